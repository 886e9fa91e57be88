/* SPDX-License-Identifier: MIT */
/*
 * Test-only builders of raw IPv4/IPv6 packets (TCP, UDP, ICMP) with valid
 * checksums (pkt_build.h), parsed with ct_pkt_parse(CT_LINK_RAW).  Used by
 * the helper and expectation tests.
 */
#ifndef CTRACK_TEST_PKTBUILD_H
#define CTRACK_TEST_PKTBUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "ctrack/pkt.h"
#include "pkt_build.h"

#define PB_MAX 2048

struct pb_pkt {
	uint8_t buf[PB_MAX];
	uint32_t len;
	struct ct_pkt p;
};

enum { PB_FIN = 0x01, PB_SYN = 0x02, PB_RST = 0x04, PB_PSH = 0x08, PB_ACK = 0x10 };

/* Parse "10.0.1.2" or "fd00::1" into 16 bytes; returns the family (2/10). */
static inline uint8_t pb_addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(s, ':')) {
		inet_pton(AF_INET6, s, out);
		return 10;
	}
	inet_pton(AF_INET, s, out);
	return 2;
}

/* IP header for an L4 payload of l4len bytes; returns the L4 offset. */
static inline uint32_t pb_ip(struct pb_pkt *k, const char *src, const char *dst, uint8_t proto,
			     uint32_t l4len, uint32_t *pseudo)
{
	uint8_t s[16], d[16];
	uint8_t fam = pb_addr(src, s);
	uint8_t *ip = k->buf;

	pb_addr(dst, d);
	memset(k->buf, 0, sizeof(k->buf));
	if (fam == 2) {
		pk_ip4_hdr(ip, s, d, proto, 64, 0x1234, 0, l4len);
		k->len = 20 + l4len;
		*pseudo = pk_pseudo4(ip, proto, l4len);
		return 20;
	}
	ip[0] = 0x60;
	pk_wr16(ip + 4, (uint16_t)l4len);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, s, 16);
	memcpy(ip + 24, d, 16);
	k->len = 40 + l4len;
	*pseudo = pk_pseudo6(ip, proto, l4len);
	return 40;
}

static inline struct ct_pkt *pb_parse(struct pb_pkt *k)
{
	enum ct_parse_result r = ct_pkt_parse(&k->p, k->buf, k->len, CT_LINK_RAW);

	return r == CT_PARSE_OK ? &k->p : NULL;
}

/* A TCP segment with `olen` bytes of options (a multiple of 4). */
static inline struct ct_pkt *pb_tcp_opt(struct pb_pkt *k, const char *src, uint16_t sport,
					const char *dst, uint16_t dport, uint8_t flags,
					uint32_t seq, uint32_t ack, const uint8_t *opt,
					uint32_t olen, const void *data, uint32_t dlen)
{
	uint32_t hl = 20 + olen;
	uint32_t pseudo, off = pb_ip(k, src, dst, 6, hl + dlen, &pseudo);
	uint8_t *th = k->buf + off;

	pk_wr16(th, sport);
	pk_wr16(th + 2, dport);
	pk_wr32(th + 4, seq);
	pk_wr32(th + 8, (flags & PB_ACK) ? ack : 0);
	th[12] = (uint8_t)((hl / 4) << 4);
	th[13] = flags;
	pk_wr16(th + 14, 64240);
	if (olen)
		memcpy(th + 20, opt, olen);
	if (dlen)
		memcpy(th + hl, data, dlen);
	pk_wr16(th + 16, pk_csum(th, hl + dlen, pseudo));
	return pb_parse(k);
}

static inline struct ct_pkt *pb_tcp(struct pb_pkt *k, const char *src, uint16_t sport,
				    const char *dst, uint16_t dport, uint8_t flags, uint32_t seq,
				    uint32_t ack, const void *data, uint32_t dlen)
{
	return pb_tcp_opt(k, src, sport, dst, dport, flags, seq, ack, NULL, 0, data, dlen);
}

static inline struct ct_pkt *pb_udp(struct pb_pkt *k, const char *src, uint16_t sport,
				    const char *dst, uint16_t dport, const void *data,
				    uint32_t dlen)
{
	uint32_t pseudo, off = pb_ip(k, src, dst, 17, 8 + dlen, &pseudo);
	uint8_t *uh = k->buf + off;
	uint16_t c;

	pk_wr16(uh, sport);
	pk_wr16(uh + 2, dport);
	pk_wr16(uh + 4, (uint16_t)(8 + dlen));
	if (dlen)
		memcpy(uh + 8, data, dlen);
	c = pk_csum(uh, 8 + dlen, pseudo);
	pk_wr16(uh + 6, c ? c : 0xffff);
	return pb_parse(k);
}

/* ICMPv4 error (type/code) from src to dst quoting the first 28 bytes of `quoted`. */
static inline struct ct_pkt *pb_icmp_err(struct pb_pkt *k, const char *src, const char *dst,
					 uint8_t type, uint8_t code, const struct pb_pkt *quoted)
{
	uint32_t qlen = quoted->len < 28 ? quoted->len : 28;
	uint32_t pseudo, off = pb_ip(k, src, dst, 1, 8 + qlen, &pseudo);
	uint8_t *ih = k->buf + off;

	ih[0] = type;
	ih[1] = code;
	memcpy(ih + 8, quoted->buf, qlen);
	pk_wr16(ih + 2, pk_csum(ih, 8 + qlen, 0));
	return pb_parse(k);
}

/* ---- a TCP session through the conntrack hook and confirm ------------------ */

#include "ctrack/expect.h"

struct pb_sess {
	const char *cli, *srv;
	uint16_t cport, sport;
	uint32_t cseq, sseq; /* next sequence number of each side */
	struct ct_conn *ct;
	uint8_t ctinfo; /* of the last packet */
};

/* Conntrack hook at prerouting then the confirm step, as a forwarded packet. */
static inline int pb_run(struct ct_table *t, struct ct_pkt *p, uint64_t now)
{
	int r = ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, now);

	if (r)
		return r;
	return ct_confirm(t, p, now);
}

/* Three-way handshake; the SYN's new entry gets `helper` (NULL: none). */
static inline int pb_sess_open(struct ct_table *t, struct pb_sess *s, const char *helper,
			       uint64_t now)
{
	struct pb_pkt k;
	struct ct_pkt *p;
	int r;

	p = pb_tcp(&k, s->cli, s->cport, s->srv, s->sport, PB_SYN, s->cseq, 0, NULL, 0);
	if (!p || ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, now))
		return -1;
	if (helper && ct_conn_set_helper(t, p->ct, helper, 6))
		return -2;
	if (ct_confirm(t, p, now))
		return -3;
	s->ct = p->ct;
	s->cseq++;
	p = pb_tcp(&k, s->srv, s->sport, s->cli, s->cport, PB_SYN | PB_ACK, s->sseq, s->cseq, NULL,
		   0);
	if ((r = pb_run(t, p, now)))
		return r;
	s->sseq++;
	p = pb_tcp(&k, s->cli, s->cport, s->srv, s->sport, PB_ACK, s->cseq, s->sseq, NULL, 0);
	return pb_run(t, p, now);
}

/* One data segment; the sender's seq advances only if it got through. */
static inline int pb_sess_send(struct ct_table *t, struct pb_sess *s, int from_client,
			       const char *data, uint64_t now)
{
	struct pb_pkt k;
	struct ct_pkt *p;
	uint32_t n = (uint32_t)strlen(data);
	int r;

	if (from_client)
		p = pb_tcp(&k, s->cli, s->cport, s->srv, s->sport, PB_ACK | PB_PSH, s->cseq,
			   s->sseq, data, n);
	else
		p = pb_tcp(&k, s->srv, s->sport, s->cli, s->cport, PB_ACK | PB_PSH, s->sseq,
			   s->cseq, data, n);
	r = pb_run(t, p, now);
	s->ctinfo = p->ctinfo;
	if (r == 0) {
		if (from_client)
			s->cseq += n;
		else
			s->sseq += n;
	}
	return r;
}

/* The only live expectation (NULL if there is not exactly one). */
static inline const struct ct_expect *pb_one_expect(struct ct_table *t, uint64_t now)
{
	struct ct_expect_iter it;
	const struct ct_expect *e, *first;

	ct_expect_iter_init(&it);
	first = ct_expect_iter_next(t, &it, now);
	e = first ? ct_expect_iter_next(t, &it, now) : NULL;
	return e ? NULL : first;
}

static inline const char *pb_expect_line(struct ct_table *t, const struct ct_expect *e,
					 uint64_t now, char *buf, size_t len)
{
	struct ct_fmt_opts o;

	memset(&o, 0, sizeof(o));
	o.now = now;
	ct_format_expect(t, e, &o, buf, len);
	return buf;
}

#endif
