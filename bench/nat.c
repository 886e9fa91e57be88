/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: NAT workloads (issue 5).
 *
 * nat-masq: tcp-100k (the same pcap) through masquerade, beside the same
 *   stream without NAT.  The server's packets are first readdressed to the
 *   masquerade address (untimed: the server answers the address it saw).
 *   Timed per packet, as the kernel's NAT hooks do it (spec §10.2, lib/fw
 *   nat_step): conntrack at prerouting; the DST null binding for a new
 *   entry and the rewrite at prerouting (-100); the masquerade binding
 *   (nat_setup, one address) for a new entry and the rewrite at
 *   postrouting (+100); confirm.  Client ports are all kept (no two flows
 *   share a server and a client port), so the expected counts are exact.
 *
 * nat-snat90: new connections per second through `snat to 192.0.2.1`
 *   (class 1024-65535, 64,512 ports) towards one server 172.16.0.1:80 when
 *   90 % of the ports are taken (58,061 live UDP entries on a random 90 %
 *   of them).  Each new connection comes from a new client with a random
 *   source port >= 1024, so it is kept 10 % of the time and searched
 *   otherwise (§10.3 step 4).  Each connection is timed alone (two clock
 *   reads, ~40 ns, included) and deleted after, untimed, so the range stays
 *   at 90 %.  Beside it: the same with the range empty, and with it full
 *   (every search gives up after 128 + 64 + 32 + 16 + 8 tries and the
 *   packet is dropped at confirm); the worst single packet of each is
 *   printed with the 99.9th percentile (issue 5: no packet waits on a long
 *   search; the worst of a shared VM includes being preempted).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ctrack/nat.h"
#include "nat.h"

#define MASQ_ADDR 0xc0000201u /* 192.0.2.1 */
#define SNAT_PORTS (65535 - 1024 + 1)
#define SNAT_NEW 20000
#define UDP_LEN 42

/* ---- the NAT pipeline of one packet ------------------------------------ */

struct nat_counts {
	uint64_t tally[16];
	uint64_t drop, confirm_fail;
};

/*
 * One packet through conntrack, both NAT hooks and confirm (lib/fw/fw.c
 * nat_step, without the ruleset: the binding is given).  Returns false if
 * the packet was dropped.
 */
static inline bool nat_pipeline(struct ct_table *t, struct ct_pkt *p, const struct nat_range *r,
				uint64_t now, struct nat_counts *k)
{
	uint8_t *data = (uint8_t *)(uintptr_t)p->data;
	bool first;

	p->ct = NULL;
	p->ct_new = false;
	if (ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, now) != 0) {
		k->drop++;
		ct_pkt_release(t, p);
		return false;
	}
	k->tally[p->ctinfo & 15]++;
	first = p->ct && !nat_pkt_is_icmp_error(p) &&
		(p->ctinfo == CT_INFO_NEW || p->ctinfo == CT_INFO_RELATED);
	if (first && !nat_initialized(p->ct, NAT_MANIP_DST) &&
	    nat_null_binding(t, p->ct, CT_HOOK_PREROUTING, now) != 0)
		goto drop;
	if (p->ct && nat_packet(t, p, data, CT_HOOK_PREROUTING) != 0)
		goto drop;
	if (first && !nat_initialized(p->ct, NAT_MANIP_SRC) &&
	    nat_setup(t, p->ct, r, NAT_MANIP_SRC, now) != 0)
		goto drop;
	if (p->ct && nat_packet(t, p, data, CT_HOOK_POSTROUTING) != 0)
		goto drop;
	if (ct_confirm(t, p, now) != 0) {
		k->confirm_fail++;
		return false;
	}
	return true;
drop:
	k->drop++;
	ct_pkt_release(t, p);
	return false;
}

static void one_addr_range(struct nat_range *r, uint32_t addr)
{
	memset(r, 0, sizeof(*r));
	r->flags = NAT_RANGE_MAP_IPS;
	r->min_addr[0] = (uint8_t)(addr >> 24);
	r->min_addr[1] = (uint8_t)(addr >> 16);
	r->min_addr[2] = (uint8_t)(addr >> 8);
	r->min_addr[3] = (uint8_t)addr;
	memcpy(r->max_addr, r->min_addr, 16);
}

static int nat_table(uint32_t max, struct ct_table **t)
{
	struct ct_table_config cfg = {.max = max};
	int rc = ct_table_new(&cfg, t);

	if (rc == 0)
		rc = nat_table_init(*t);
	if (rc)
		fprintf(stderr, "bench: nat table (max %u): %s\n", max, strerror(-rc));
	return rc;
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* IPv4 header and TCP/UDP checksums of the packet at ip, from scratch. */
static void ip4_fix_csums(uint8_t *ip)
{
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, l4len = rd16(ip + 2) - hl;
	uint8_t ph[4] = {0, ip[9], (uint8_t)(l4len >> 8), (uint8_t)l4len};
	uint8_t *l4 = ip + hl, *ck = ip[9] == 6 ? l4 + 16 : l4 + 6;
	uint16_t c;

	wr16(ip + 10, 0);
	wr16(ip + 10, ct_csum_fold(ct_csum_partial(ip, hl, 0)));
	wr16(ck, 0);
	c = ct_csum_fold(ct_csum_partial(l4, l4len,
					 ct_csum_partial(ph, 4, ct_csum_partial(ip + 12, 8, 0))));
	if (ip[9] == 17 && c == 0)
		c = 0xffff;
	wr16(ck, c);
}

static double median_of(double *v, int n)
{
	return bench_median(v, n);
}

/* ---- nat-masq ------------------------------------------------------------ */

/* The end of the stream's frame storage (frames are stored in order). */
static size_t frames_size(const struct bench_stream *s)
{
	const struct ct_pkt *last = &s->pkts[s->npkts - 1];

	return (size_t)(last->data - s->frames) + last->len;
}

static int masq_prepare(struct bench_stream *s)
{
	for (size_t i = 0; i < s->npkts; i++) {
		struct ct_pkt *p = &s->pkts[i];
		uint8_t *ip = (uint8_t *)(uintptr_t)p->data + p->l3_off;
		uint32_t wire = p->wire_len;

		if (ip[12] != 172 || ip[13] != 16)
			continue; /* the client's packets keep their addresses */
		ip[16] = (uint8_t)(MASQ_ADDR >> 24);
		ip[17] = (uint8_t)(MASQ_ADDR >> 16);
		ip[18] = (uint8_t)(MASQ_ADDR >> 8);
		ip[19] = (uint8_t)MASQ_ADDR;
		ip4_fix_csums(ip);
		if (ct_pkt_parse(p, p->data, p->len, CT_LINK_ETHERNET) != CT_PARSE_OK) {
			fprintf(stderr, "bench: nat-masq: packet %zu does not parse\n", i);
			return -EINVAL;
		}
		p->wire_len = wire;
	}
	return 0;
}

static int do_masq(const char *dir, int runs, struct bench_nat_results *res)
{
	const uint64_t conns = 100000;
	struct bench_stream s;
	struct nat_range r;
	uint8_t *frames0 = NULL;
	struct ct_pkt *pkts0 = NULL;
	double ns[16], pns[16];
	size_t fsz;
	char path[4096];
	bool ok = true;
	int rc;

	snprintf(path, sizeof(path), "%s/tcp-100k.pcap", dir);
	if (bench_load_pcap(path, &s))
		return -1;
	printf("\nnat-masq: tcp-100k (%zu packets) through masquerade to 192.0.2.1 beside the "
	       "same without NAT; max 262144\n", s.npkts);
	if (s.npkts != conns * 10) {
		fprintf(stderr, "bench: nat-masq: %zu packets, expected %llu\n", s.npkts,
			(unsigned long long)(conns * 10));
		bench_stream_free(&s);
		return -1;
	}
	/* Without NAT: the stream as it is. */
	for (int i = 0; i < runs; i++) {
		struct bench_counts c = {0};
		struct ct_table *t;

		if (nat_table(262144, &t))
			goto fail;
		pns[i] = (double)bench_track(t, &s, 0, s.npkts, 0, false, &c) / (double)s.npkts;
		ok &= c.new_ == conns && c.est_orig == 5 * conns && c.est_reply == 4 * conns &&
		      c.invalid == 0;
		ct_table_free(t);
	}
	rc = masq_prepare(&s);
	if (rc)
		goto fail;
	fsz = frames_size(&s);
	frames0 = malloc(fsz);
	pkts0 = malloc(s.npkts * sizeof(*pkts0));
	if (!frames0 || !pkts0)
		goto fail;
	memcpy(frames0, s.frames, fsz);
	memcpy(pkts0, s.pkts, s.npkts * sizeof(*pkts0));
	one_addr_range(&r, MASQ_ADDR);
	for (int i = 0; i < runs; i++) {
		struct nat_counts k = {0};
		struct nat_stats st;
		struct ct_table *t;
		uint64_t t0, t1;

		/* NAT rewrites frames and parsed packets in place: start from copies. */
		memcpy(s.frames, frames0, fsz);
		memcpy(s.pkts, pkts0, s.npkts * sizeof(*pkts0));
		if (nat_table(262144, &t))
			goto fail;
		t0 = bench_now_ns();
		for (size_t j = 0; j < s.npkts; j++)
			nat_pipeline(t, &s.pkts[j], &r, s.ts[j], &k);
		t1 = bench_now_ns();
		ns[i] = (double)(t1 - t0) / (double)s.npkts;
		nat_get_stats(t, &st);
		/* Every entry masqueraded, every port kept, every packet classified. */
		ok &= k.tally[CT_INFO_NEW] == conns && k.tally[CT_INFO_ESTABLISHED] == 5 * conns &&
		      k.tally[CT_INFO_ESTABLISHED_REPLY] == 4 * conns &&
		      k.tally[CT_INFO_INVALID] == 0 && k.drop == 0 && k.confirm_fail == 0 &&
		      st.changed == conns && st.searches == 0 && ct_table_count(t) == conns;
		if (i == 0)
			printf("  counts    new %llu  est-orig %llu  est-reply %llu  invalid %llu  "
			       "drop %llu  masqueraded %llu  searches %llu  %s\n",
			       (unsigned long long)k.tally[CT_INFO_NEW],
			       (unsigned long long)k.tally[CT_INFO_ESTABLISHED],
			       (unsigned long long)k.tally[CT_INFO_ESTABLISHED_REPLY],
			       (unsigned long long)k.tally[CT_INFO_INVALID],
			       (unsigned long long)(k.drop + k.confirm_fail),
			       (unsigned long long)st.changed, (unsigned long long)st.searches,
			       ok ? "OK" : "*** MISMATCH ***");
		ct_table_free(t);
	}
	res->plain_ns = median_of(pns, runs);
	res->masq_ns = median_of(ns, runs);
	res->have_masq = true;
	res->mismatch |= !ok;
	printf("  no NAT    %7.2f Mpps %8.1f ns/pkt   (median of %d)\n", 1e3 / res->plain_ns,
	       res->plain_ns, runs);
	printf("  masq      %7.2f Mpps %8.1f ns/pkt   (median of %d): NAT adds %.1f ns/pkt\n",
	       1e3 / res->masq_ns, res->masq_ns, runs, res->masq_ns - res->plain_ns);
	free(frames0);
	free(pkts0);
	bench_stream_free(&s);
	return 0;
fail:
	free(frames0);
	free(pkts0);
	bench_stream_free(&s);
	return -1;
}

/* ---- nat-snat90 ---------------------------------------------------------- */

/* A 42-byte UDP frame src:sport -> 172.16.0.1:80, parsed into *p. */
static int udp_frame(uint8_t *f, struct ct_pkt *p, uint32_t src, uint16_t sport)
{
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	uint8_t *ip = f + 14;

	memset(f, 0, UDP_LEN);
	memcpy(f, mac, 12);
	f[12] = 0x08;
	ip[0] = 0x45;
	wr16(ip + 2, 28);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = (uint8_t)(src >> 24);
	ip[13] = (uint8_t)(src >> 16);
	ip[14] = (uint8_t)(src >> 8);
	ip[15] = (uint8_t)src;
	ip[16] = 172;
	ip[17] = 16;
	ip[19] = 1;
	wr16(ip + 20, sport);
	wr16(ip + 22, 80);
	wr16(ip + 24, 8);
	ip4_fix_csums(ip);
	memset(p, 0, sizeof(*p));
	if (ct_pkt_parse(p, f, UDP_LEN, CT_LINK_ETHERNET) != CT_PARSE_OK)
		return -EINVAL;
	p->wire_len = UDP_LEN;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct snat_run {
	double ns_per_conn; /* mean */
	uint64_t p999_ns;   /* 99.9th percentile */
	uint64_t worst_ns;
	uint64_t passed, dropped;
	double tries_per_search;
};

/*
 * Fill `taken` of the 64,512 ports (a random subset), then time SNAT_NEW
 * new connections one by one, deleting each after.
 */
static int snat_run(uint32_t taken, struct snat_run *out)
{
	static uint8_t frame[UDP_LEN];
	static uint16_t ports[SNAT_PORTS];
	static uint64_t times[SNAT_NEW];
	uint64_t rng = 0x9e3779b97f4a7c15ull, now = CT_NSEC_PER_SEC, total = 0, worst = 0;
	struct nat_counts k = {0};
	struct nat_stats st0, st1;
	struct nat_range r;
	struct ct_table *t;
	struct ct_pkt p;

	if (nat_table(262144, &t))
		return -1;
	one_addr_range(&r, MASQ_ADDR);
	for (uint32_t i = 0; i < SNAT_PORTS; i++)
		ports[i] = (uint16_t)(1024 + i);
	for (uint32_t i = SNAT_PORTS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(xorshift(&rng) % (i + 1));
		uint16_t x = ports[i];

		ports[i] = ports[j];
		ports[j] = x;
	}
	/* Clients 10.64.0.0/10 each take their own port, kept. */
	for (uint32_t i = 0; i < taken; i++) {
		if (udp_frame(frame, &p, 0x0a400000u + i, ports[i]))
			goto fail;
		if (!nat_pipeline(t, &p, &r, now, &k))
			goto fail;
	}
	if (ct_table_count(t) != taken) {
		fprintf(stderr, "bench: nat-snat90: fill left %u entries, expected %u\n",
			ct_table_count(t), taken);
		goto fail;
	}
	nat_get_stats(t, &st0);
	memset(&k, 0, sizeof(k));
	for (uint32_t i = 0; i < SNAT_NEW; i++) {
		uint16_t sport = (uint16_t)(1024 + xorshift(&rng) % SNAT_PORTS);
		uint64_t t0, el;
		bool ok;

		if (udp_frame(frame, &p, 0x0b000000u + i, sport))
			goto fail;
		t0 = bench_now_ns();
		ok = nat_pipeline(t, &p, &r, now, &k);
		el = bench_now_ns() - t0;
		times[i] = el;
		total += el;
		worst = el > worst ? el : worst;
		if (ok) {
			out->passed++;
			ct_conn_delete(t, p.ct, now);
		} else {
			out->dropped++;
		}
	}
	nat_get_stats(t, &st1);
	out->ns_per_conn = (double)total / SNAT_NEW;
	out->worst_ns = worst;
	qsort(times, SNAT_NEW, sizeof(times[0]), cmp_u64);
	out->p999_ns = times[SNAT_NEW - SNAT_NEW / 1000];
	out->tries_per_search = st1.searches > st0.searches
					? (double)(st1.search_tries - st0.search_tries) /
						  (double)(st1.searches - st0.searches)
					: 0.0;
	ct_table_free(t);
	return 0;
fail:
	fprintf(stderr, "bench: nat-snat90: set-up failed\n");
	ct_table_free(t);
	return -1;
}

static void print_snat(const char *label, const struct snat_run *s)
{
	printf("  %-9s %7.3f M/s  %8.1f ns/conn  p99.9 %6.1f us  worst %7.1f us  "
	       "%.1f tries/search  %llu passed, %llu dropped\n",
	       label, 1e3 / s->ns_per_conn, s->ns_per_conn, (double)s->p999_ns / 1e3,
	       (double)s->worst_ns / 1e3,
	       s->tries_per_search, (unsigned long long)s->passed,
	       (unsigned long long)s->dropped);
}

static int do_snat90(struct bench_nat_results *res)
{
	const uint32_t t90 = (uint32_t)(SNAT_PORTS * 9 / 10);
	struct snat_run empty = {0}, s90 = {0}, full = {0};

	printf("\nnat-snat90: %d new UDP connections through snat to 192.0.2.1 (64,512 ports "
	       "1024-65535) towards 172.16.0.1:80, random client ports, each timed alone and "
	       "deleted after\n", SNAT_NEW);
	if (snat_run(0, &empty) || snat_run(t90, &s90) || snat_run(SNAT_PORTS, &full))
		return -1;
	print_snat("empty", &empty);
	print_snat("90% taken", &s90);
	print_snat("full", &full);
	/* 90 %: every connection passes; full: every one is dropped at confirm. */
	if (empty.dropped || s90.dropped || full.passed) {
		printf("  *** MISMATCH: expected every connection to pass (empty, 90%%) and none "
		       "(full) ***\n");
		res->mismatch = true;
	}
	res->have_snat = true;
	res->snat90_ns = s90.ns_per_conn;
	res->snat90_worst_ns = s90.worst_ns;
	res->snat90_p999_ns = s90.p999_ns;
	res->snat_full_p999_ns = full.p999_ns;
	res->snat_empty_ns = empty.ns_per_conn;
	res->snat_full_worst_ns = full.worst_ns;
	return 0;
}

int bench_nat_run(const char *dir, int runs, struct bench_nat_results *res)
{
	int err = 0;

	memset(res, 0, sizeof(*res));
	err |= do_masq(dir, runs ? runs : 5, res);
	err |= do_snat90(res);
	return err;
}

void bench_nat_summary(const struct bench_nat_results *r)
{
	if (r->have_masq)
		printf("  tcp-100k masq      %8.2f Mpps %7.1f ns/pkt   (no NAT, same run: %.2f Mpps "
		       "%.1f ns/pkt)\n",
		       1e3 / r->masq_ns, r->masq_ns, 1e3 / r->plain_ns, r->plain_ns);
	if (r->have_snat)
		printf("  snat 90%% taken     %8.3f M/s  %7.1f ns/conn  p99.9 %.1f us, worst %.1f us "
		       "(empty: %.3f M/s; full: p99.9 %.1f us, worst %.1f us)\n",
		       1e3 / r->snat90_ns, r->snat90_ns, (double)r->snat90_p999_ns / 1e3,
		       (double)r->snat90_worst_ns / 1e3, 1e3 / r->snat_empty_ns,
		       (double)r->snat_full_p999_ns / 1e3, (double)r->snat_full_worst_ns / 1e3);
	if (r->mismatch)
		printf("  nat                *** MISMATCH (see above) ***\n");
}
