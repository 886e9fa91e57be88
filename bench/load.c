/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: the packet streams, loaded from pcap or generated, and parsed
 * up front so that only tracking is timed.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

#define UDP_FRAME_LEN 42 /* Ethernet 14 + IPv4 20 + UDP 8, no payload */
#define FRAME_ALIGN 8u

void bench_stream_free(struct bench_stream *s)
{
	if (!s)
		return;
	free(s->frames);
	free(s->pkts);
	free(s->ts);
	memset(s, 0, sizeof(*s));
}

static size_t align_up(size_t n)
{
	return (n + FRAME_ALIGN - 1) & ~(size_t)(FRAME_ALIGN - 1);
}

/* Parse one frame into *p; the reference workloads hold only good packets. */
static int parse_one(struct ct_pkt *p, const uint8_t *data, uint32_t len, uint32_t wire_len,
		     size_t idx)
{
	enum ct_parse_result r;

	memset(p, 0, sizeof(*p));
	r = ct_pkt_parse(p, data, len, CT_LINK_ETHERNET);
	if (r != CT_PARSE_OK) {
		fprintf(stderr, "bench: packet %zu does not parse: %s\n", idx,
			ct_parse_result_name(r));
		return -EINVAL;
	}
	p->wire_len = wire_len;
	return 0;
}

int bench_load_pcap(const char *path, struct bench_stream *out)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat st;
	size_t cap_pkts, off = 0, n = 0;
	uint32_t *lens = NULL, *wire = NULL;
	size_t *offs = NULL;
	pcap_t *pc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "bench: %s: %s\n", path, errbuf);
		return -EINVAL;
	}
	/* Every record has a 16-byte header, so these bound the contents. */
	cap_pkts = (size_t)st.st_size / 16 + 1;
	out->frames = malloc((size_t)st.st_size + FRAME_ALIGN);
	offs = malloc(cap_pkts * sizeof(*offs));
	lens = malloc(cap_pkts * sizeof(*lens));
	wire = malloc(cap_pkts * sizeof(*wire));
	out->ts = malloc(cap_pkts * sizeof(*out->ts));
	if (!out->frames || !offs || !lens || !wire || !out->ts) {
		rc = -ENOMEM;
		goto err;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		if (n == cap_pkts || off + h->caplen > (size_t)st.st_size) {
			rc = -EFBIG;
			goto err;
		}
		memcpy(out->frames + off, data, h->caplen);
		offs[n] = off;
		lens[n] = h->caplen;
		wire[n] = h->len;
		/* Microsecond pcap: the library's `now` is the capture time in ns. */
		out->ts[n] = (uint64_t)h->ts.tv_sec * CT_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec * 1000u;
		off += align_up(h->caplen);
		n++;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "bench: %s: %s\n", path, pcap_geterr(pc));
		rc = -EIO;
		goto err;
	}
	out->pkts = malloc((n ? n : 1) * sizeof(*out->pkts));
	if (!out->pkts) {
		rc = -ENOMEM;
		goto err;
	}
	out->npkts = n;
	for (size_t i = 0; i < n; i++) {
		rc = parse_one(&out->pkts[i], out->frames + offs[i], lens[i], wire[i], i);
		if (rc)
			goto err;
	}
	free(offs);
	free(lens);
	free(wire);
	pcap_close(pc);
	return 0;
err:
	if (rc == -ENOMEM)
		fprintf(stderr, "bench: %s: out of memory\n", path);
	else if (rc == -EFBIG)
		fprintf(stderr, "bench: %s: more data than the file holds?\n", path);
	free(offs);
	free(lens);
	free(wire);
	pcap_close(pc);
	bench_stream_free(out);
	return rc;
}

/* One's complement sum (RFC 1071) of an even-length buffer, not folded. */
static uint32_t sum16(const uint8_t *b, size_t len, uint32_t s)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t ip_csum(const uint8_t *b, size_t len)
{
	return fold(sum16(b, len, 0));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 (DF, TTL 64, valid header checksum) + UDP (checksum 0). */
static void write_udp_frame(uint8_t *f, const uint8_t src[4], const uint8_t dst[4],
			    uint16_t sport, uint16_t dport)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
	uint8_t *ip = f + 14, *udp = f + 34;

	memcpy(f, eth, sizeof(eth));
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 28);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, ip_csum(ip, 20));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, 8);
	put16(udp + 6, 0);
}

static int alloc_stream(size_t n, struct bench_stream *out)
{
	memset(out, 0, sizeof(*out));
	out->frames = malloc(n * align_up(UDP_FRAME_LEN));
	out->pkts = malloc(n * sizeof(*out->pkts));
	if (!out->frames || !out->pkts) {
		bench_stream_free(out);
		fprintf(stderr, "bench: out of memory\n");
		return -ENOMEM;
	}
	out->npkts = n;
	out->t0 = 1000;     /* like the pcaps: first packet at 1 us */
	out->step_ns = 1000; /* 1 us apart: 10 M packets span 10 s < UDP timeouts */
	return 0;
}

int bench_gen_udp_1flow(struct bench_stream *out)
{
	static const uint8_t src[4] = {10, 1, 1, 1}, dst[4] = {10, 1, 1, 2};
	int rc = alloc_stream(BENCH_BATCH, out);

	if (rc)
		return rc;
	for (size_t i = 0; i < BENCH_BATCH; i++) {
		uint8_t *f = out->frames + i * align_up(UDP_FRAME_LEN);

		write_udp_frame(f, src, dst, 1, 2);
		rc = parse_one(&out->pkts[i], f, UDP_FRAME_LEN, UDP_FRAME_LEN, i);
		if (rc) {
			bench_stream_free(out);
			return rc;
		}
	}
	return 0;
}

int bench_gen_udp_flows(size_t n, struct bench_stream *out)
{
	static const uint8_t dst[4] = {192, 168, 0, 1};
	int rc = alloc_stream(n, out);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint8_t *f = out->frames + i * align_up(UDP_FRAME_LEN);
		uint8_t src[4] = {10, 0, 0, (uint8_t)(i / 50000)};

		write_udp_frame(f, src, dst, (uint16_t)(1024 + i % 50000), 53);
		rc = parse_one(&out->pkts[i], f, UDP_FRAME_LEN, UDP_FRAME_LEN, i);
		if (rc) {
			bench_stream_free(out);
			return rc;
		}
	}
	return 0;
}

#define TCP6_FRAME_LEN 74 /* Ethernet 14 + IPv6 40 + TCP 20 */

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet + IPv6 + TCP without options, window 65535, valid checksum. */
static void write_tcp6_frame(uint8_t *f, const uint8_t src[16], const uint8_t dst[16],
			     uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			     uint8_t flags)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
	uint8_t *ip = f + 14, *tcp = f + 54;
	uint32_t s;

	memcpy(f, eth, sizeof(eth));
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, 20);
	ip[6] = 6;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	/* RFC 8200 8.1 pseudo-header: addresses, upper-layer length, next header. */
	s = sum16(ip + 8, 32, 0) + 20 + 6;
	put16(tcp + 16, fold(sum16(tcp, 20, s)));
}

int bench_gen_tcp6_handshakes(size_t n, struct bench_stream *out)
{
	enum { SYN = 0x02, ACK = 0x10 };
	uint8_t srv[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
	size_t stride = align_up(TCP6_FRAME_LEN);
	int rc;

	srv[15] = 1;
	memset(out, 0, sizeof(*out));
	out->frames = malloc(3 * n * stride);
	out->pkts = malloc(3 * n * sizeof(*out->pkts));
	if (!out->frames || !out->pkts) {
		bench_stream_free(out);
		fprintf(stderr, "bench: out of memory\n");
		return -ENOMEM;
	}
	out->npkts = 3 * n;
	out->t0 = 1000;
	out->step_ns = 1000;
	/* Phase by phase, as gen_tcp_pcap.py: all SYNs, all SYN/ACKs, all ACKs. */
	for (size_t ph = 0; ph < 3; ph++) {
		for (size_t i = 0; i < n; i++) {
			size_t k = ph * n + i;
			uint8_t *f = out->frames + k * stride;
			uint8_t cli[16] = {0x20, 0x01, 0x0d, 0xb8};
			uint16_t cport = (uint16_t)(1024 + i % 60000);
			uint32_t cseq = (uint32_t)(1000 + i), sseq = (uint32_t)(500000 + i);

			put32(cli + 12, (uint32_t)i);
			if (ph == 0)
				write_tcp6_frame(f, cli, srv, cport, 80, cseq, 0, SYN);
			else if (ph == 1)
				write_tcp6_frame(f, srv, cli, 80, cport, sseq, cseq + 1, SYN | ACK);
			else
				write_tcp6_frame(f, cli, srv, cport, 80, cseq + 1, sseq + 1, ACK);
			rc = parse_one(&out->pkts[k], f, TCP6_FRAME_LEN, TCP6_FRAME_LEN, k);
			if (rc) {
				bench_stream_free(out);
				return rc;
			}
		}
	}
	return 0;
}

#define TCP4_FRAME_LEN 54 /* Ethernet 14 + IPv4 20 + TCP 20 */

/* Ethernet + IPv4 + TCP without options, window 65535, valid checksums. */
static void write_tcp4_frame(uint8_t *f, const uint8_t src[4], const uint8_t dst[4],
			     uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			     uint8_t flags)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
	uint8_t *ip = f + 14, *tcp = f + 34;
	uint32_t s;

	memcpy(f, eth, sizeof(eth));
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 40);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, ip_csum(ip, 20));
	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	/* RFC 793 pseudo-header: addresses, zero, protocol, TCP length. */
	s = sum16(ip + 12, 8, 0) + 6 + 20;
	put16(tcp + 16, fold(sum16(tcp, 20, s)));
}

void bench_tcp4_conn_tuple(size_t i, struct ct_tuple *tu)
{
	memset(tu, 0, sizeof(*tu));
	tu->src[0] = 10;
	tu->src[1] = (uint8_t)(i >> 16);
	tu->src[2] = (uint8_t)(i >> 8);
	tu->src[3] = (uint8_t)i;
	tu->dst[0] = 172;
	tu->dst[1] = 16;
	tu->dst[2] = (uint8_t)(i % 256);
	tu->dst[3] = 1;
	tu->src_l4 = (uint16_t)(1024 + i % 60000);
	tu->dst_l4 = 80;
	tu->l3num = 2;
	tu->proto = 6;
}

int bench_gen_tcp4_acks(size_t nconns, size_t m, struct bench_stream *out, size_t *n_orig)
{
	size_t stride = align_up(TCP4_FRAME_LEN);
	uint64_t x = 0x2545f4914f6cdd1dull;
	int rc;

	memset(out, 0, sizeof(*out));
	out->frames = malloc(m * stride);
	out->pkts = malloc(m * sizeof(*out->pkts));
	if (!out->frames || !out->pkts) {
		bench_stream_free(out);
		fprintf(stderr, "bench: out of memory\n");
		return -ENOMEM;
	}
	out->npkts = m;
	out->t0 = 1000;
	out->step_ns = 1000;
	*n_orig = 0;
	for (size_t k = 0; k < m; k++) {
		uint8_t *f = out->frames + k * stride;
		struct ct_tuple tu;
		size_t i;
		uint32_t cseq, sseq;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		i = (size_t)((x * 0x2545f4914f6cdd1dull) >> 33) % nconns;
		bench_tcp4_conn_tuple(i, &tu);
		cseq = (uint32_t)(1000 + i);
		sseq = (uint32_t)(500000 + i);
		/* A pure ACK of everything the peer sent: valid in ESTABLISHED. */
		if (x & 1) {
			write_tcp4_frame(f, tu.src, tu.dst, tu.src_l4, tu.dst_l4, cseq + 1, sseq + 1,
					 0x10);
			(*n_orig)++;
		} else {
			write_tcp4_frame(f, tu.dst, tu.src, tu.dst_l4, tu.src_l4, sseq + 1, cseq + 1,
					 0x10);
		}
		rc = parse_one(&out->pkts[k], f, TCP4_FRAME_LEN, TCP4_FRAME_LEN, k);
		if (rc) {
			bench_stream_free(out);
			return rc;
		}
	}
	return 0;
}
