/* SPDX-License-Identifier: MIT */
/*
 * The batch entry points (ct_track_batch, ct_hook_conntrack_batch) against
 * the per-packet functions: one mixed packet sequence -- TCP sessions with
 * retransmitted SYNs in the same batch, out-of-window and bad-checksum
 * segments, UDP request/response, ICMP echo and an ICMP error quoting a TCP
 * flow, IPv6, a zoned and a notrack packet -- is processed both ways on two
 * tables, in batches of varying size (some larger than CT_BATCH).  Every
 * packet must get the same verdict, ctinfo, direction, entry state and
 * status, and the two tables must end up with the same entries (tuples,
 * status, protocol state, timeout, id) and the same statistics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "pktbuild.h"

#define SEC  CT_NSEC_PER_SEC
#define NPKT 1200

enum { S_TCP, S_UDP, S_ICMP_ECHO, S_ICMP_ERR };

/* One packet of the sequence, built twice (one copy per table). */
struct spec {
	int kind; /* S_* */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint32_t dlen;
	bool bad_csum, notrack, zone;
	int quote; /* S_ICMP_ERR: index of the quoted packet */
};

static struct spec seq[NPKT];
static size_t nseq;
static struct pb_pkt *bufs[2];

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33) % n;
}

static struct spec S(int kind, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		     uint8_t flags, uint32_t sq, uint32_t ack, uint32_t dlen) {
	struct spec x;

	memset(&x, 0, sizeof(x));
	x.kind = kind;
	x.src = src;
	x.dst = dst;
	x.sport = sport;
	x.dport = dport;
	x.flags = flags;
	x.seq = sq;
	x.ack = ack;
	x.dlen = dlen;
	return x;
}

static void
add(struct spec s)
{
	if (nseq < NPKT)
		seq[nseq++] = s;
}

/*
 * The sequence: TCP sessions advance one step at a time in random order,
 * interleaved with UDP, ICMP and odd packets.
 */
static void make_sequence(void)
{
	enum { NTCP = 60 };
	static const char *const cli[4] = {"10.0.0.1", "10.0.0.2", "fd00::1", "10.0.0.3"};
	static const char *const srv[4] = {"10.9.0.1", "10.9.0.2", "fd00::9", "10.9.0.3"};
	int step[NTCP] = {0};

	nseq = 0;
	while (nseq < NPKT - 8) {
		uint32_t r = rnd(100);
		int f = (int)rnd(NTCP);
		const char *c = cli[f % 4], *s = srv[f % 4];
		uint16_t cp = (uint16_t)(20000 + f), sp = 80;
		uint32_t ci = 1000u * (uint32_t)f, si = 500000u + 7u * (uint32_t)f;

		if (r < 60) {
			switch (step[f]++) {
			case 0:
				add(S(S_TCP, c, s, cp, sp, PB_SYN, ci, 0, 0));
				if (rnd(3) == 0) /* retransmitted SYN, often in the same batch */
					add(S(S_TCP, c, s, cp, sp, PB_SYN, ci, 0, 0));
				break;
			case 1:
				add(S(S_TCP, s, c, sp, cp, PB_SYN | PB_ACK, si, ci + 1, 0));
				break;
			case 2:
				add(S(S_TCP, c, s, cp, sp, PB_ACK, ci + 1, si + 1, 0));
				break;
			case 3:
				add(S(S_TCP, c, s, cp, sp, PB_ACK | PB_PSH, ci + 1, si + 1, 100));
				break;
			case 4:
				add(S(S_TCP, s, c, sp, cp, PB_ACK, si + 1, ci + 101, 0));
				/* far out of window: INVALID */
				if (rnd(4) == 0)
					add(S(S_TCP, c, s, cp, sp, PB_ACK, ci + 900000000u, si + 1,
					      10));
				break;
			case 5:
				add(S(S_TCP, c, s, cp, sp, PB_FIN | PB_ACK, ci + 101, si + 1, 0));
				break;
			case 6:
				add(S(S_TCP, s, c, sp, cp, PB_FIN | PB_ACK, si + 1, ci + 102, 0));
				break;
			case 7:
				add(S(S_TCP, c, s, cp, sp, PB_ACK, ci + 102, si + 2, 0));
				break;
			default:
				/* a new SYN on the closed flow: TIME_WAIT reopen */
				add(S(S_TCP, c, s, cp, sp, PB_SYN, ci + 5000, 0, 0));
				step[f] = 1;
				break;
			}
		} else if (r < 75) {
			uint16_t up = (uint16_t)(40000 + rnd(20));

			add(S(S_UDP, c, s, up, 53, 0, 0, 0, 12));
			if (rnd(2))
				add(S(S_UDP, s, c, 53, up, 0, 0, 0, 30));
		} else if (r < 83) {
			uint16_t id = (uint16_t)rnd(5);

			add(S(S_ICMP_ECHO, "10.0.0.1", "10.9.0.1", id, 8, 0, 0, 0, 0));
			if (rnd(2))
				add(S(S_ICMP_ECHO, "10.9.0.1", "10.0.0.1", id, 0, 0, 0, 0, 0));
		} else if (r < 88 && nseq > 0) {
			int q = (int)rnd((uint32_t)nseq);

			if (seq[q].kind == S_TCP && strchr(seq[q].src, '.')) {
				struct spec x =
				    S(S_ICMP_ERR, "10.5.5.5", seq[q].src, 3, 1, 0, 0, 0, 0);

				x.quote = q;
				add(x);
			}
		} else if (r < 92) {
			struct spec x = S(S_TCP, c, s, cp, sp, PB_ACK, ci + 1, si + 1, 5);

			x.bad_csum = true;
			add(x);
		} else if (r < 95) {
			struct spec x = S(S_UDP, "10.0.0.7", "10.9.0.7", 7, 7, 0, 0, 0, 4);

			x.notrack = rnd(2);
			x.zone = !x.notrack;
			add(x);
		} else {
			/* SYN+FIN: bad flags, INVALID */
			add(S(S_TCP, c, s, cp, sp, PB_SYN | PB_FIN, ci, 0, 0));
		}
	}
}

static const uint8_t payload[128];

static struct ct_pkt *build(struct pb_pkt *k, const struct pb_pkt *all, const struct spec *s)
{
	struct ct_pkt *p = NULL;

	memset(&k->p, 0, sizeof(k->p));
	switch (s->kind) {
	case S_TCP:
		p = pb_tcp(k, s->src, s->sport, s->dst, s->dport, s->flags, s->seq, s->ack, payload,
			   s->dlen);
		break;
	case S_UDP:
		p = pb_udp(k, s->src, s->sport, s->dst, s->dport, payload, s->dlen);
		break;
	case S_ICMP_ECHO: {
		uint32_t pseudo, off = pb_ip(k, s->src, s->dst, 1, 16, &pseudo);
		uint8_t *ih = k->buf + off;

		memset(ih, 0, 16);
		ih[0] = (uint8_t)s->dport; /* type */
		pk_wr16(ih + 4, s->sport);  /* id */
		pk_wr16(ih + 6, 1);
		pk_wr16(ih + 2, pk_csum(ih, 16, 0));
		p = pb_parse(k);
		break;
	}
	case S_ICMP_ERR:
		p = pb_icmp_err(k, s->src, s->dst, (uint8_t)s->sport, (uint8_t)s->dport,
				&all[s->quote]);
		break;
	}
	assert_non_null(p);
	if (s->bad_csum) {
		k->buf[k->len - 1] ^= 0x5a;
		assert_non_null(pb_parse(k));
		p = &k->p;
	}
	if (s->notrack)
		ct_pkt_set_notrack(p);
	if (s->zone)
		ct_pkt_set_zone(p, 7, 3);
	return p;
}

static struct ct_table *mk_table(void)
{
	struct ct_table_config cfg = {.max = 4096};
	struct ct_table *t;

	assert_int_equal(ct_table_new(&cfg, &t), 0);
	return t;
}

struct result {
	int verdict;
	uint8_t ctinfo, dir;
	const struct ct_conn *ct;
	uint32_t status;
	uint8_t state;
};

static void record(struct result *r, const struct ct_pkt *p, int verdict)
{
	r->verdict = verdict;
	r->ctinfo = p->ctinfo;
	r->dir = p->ct ? p->dir : 0;
	r->ct = p->ct;
	r->status = p->ct ? ct_conn_status(p->ct) : 0;
	r->state = p->ct ? ct_conn_proto_state(p->ct) : 0;
}

/* Entries are compared by position: both tables allocate in the same order. */
static void assert_same_result(const struct result *a, const struct result *b,
			       const struct ct_table *ta, const struct ct_table *tb)
{
	assert_int_equal(a->verdict, b->verdict);
	assert_int_equal(a->ctinfo, b->ctinfo);
	assert_int_equal(a->dir, b->dir);
	assert_int_equal(a->ct == NULL, b->ct == NULL);
	if (a->ct) {
		bool v6 = ct_conn_l3num(a->ct) == 10;
		const uint8_t *ma = ta->pool[v6].mem, *mb = tb->pool[v6].mem;

		assert_int_equal((const uint8_t *)a->ct - ma, (const uint8_t *)b->ct - mb);
		assert_int_equal(a->status, b->status);
		assert_int_equal(a->state, b->state);
	}
}

static void assert_same_tables(const struct ct_table *a, const struct ct_table *b, uint64_t now)
{
	struct ct_iter ia, ib;
	const struct ct_conn *ca, *cb;
	struct ct_stats sa, sb;
	size_t n = 0;

	ct_iter_init(&ia);
	ct_iter_init(&ib);
	for (;;) {
		struct ct_tuple ta[2], tb[2];

		ca = ct_iter_next(a, &ia, now);
		cb = ct_iter_next(b, &ib, now);
		assert_int_equal(ca == NULL, cb == NULL);
		if (!ca)
			break;
		for (int d = 0; d < 2; d++) {
			ct_conn_tuple(ca, (enum ct_dir)d, &ta[d]);
			ct_conn_tuple(cb, (enum ct_dir)d, &tb[d]);
			assert_memory_equal(&ta[d], &tb[d], sizeof(ta[d]));
		}
		assert_int_equal(ct_conn_status(ca), ct_conn_status(cb));
		assert_int_equal(ct_conn_proto_state(ca), ct_conn_proto_state(cb));
		assert_int_equal(ct_conn_timeout_left(ca, now), ct_conn_timeout_left(cb, now));
		assert_int_equal(ct_conn_id(ca), ct_conn_id(cb));
		assert_int_equal(ct_conn_mark(ca), ct_conn_mark(cb));
		n++;
	}
	assert_true(n > 20);
	assert_int_equal(ct_table_count(a), ct_table_count(b));
	ct_table_stats(a, &sa);
	ct_table_stats(b, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
}

/* Build both copies of packets [at, at + m) for this pass. */
static void build_batch(size_t at, size_t m, struct ct_pkt **pa, struct ct_pkt **pb)
{
	for (size_t i = 0; i < m; i++) {
		pa[i] = build(&bufs[0][at + i], bufs[0], &seq[at + i]);
		pb[i] = build(&bufs[1][at + i], bufs[1], &seq[at + i]);
	}
}

/* 1. ct_track_batch == hook + confirm per packet. */
static void test_track_batch(void **state)
{
	static struct result ra[NPKT], rb[NPKT];
	struct ct_table *a = mk_table(), *b = mk_table();
	uint64_t now = SEC;
	size_t at = 0, batches = 0, big = 0;

	(void)state;
	make_sequence();
	while (at < nseq) {
		struct ct_pkt *pa[80], *pb[80];
		int va[80];
		size_t m = 1 + rnd(70);

		if (m > nseq - at)
			m = nseq - at;
		build_batch(at, m, pa, pb);
		for (size_t i = 0; i < m; i++) {
			int v = ct_hook_conntrack(a, pa[i], CT_HOOK_PREROUTING, now);

			if (v == 0)
				v = ct_confirm(a, pa[i], now);
			else
				ct_pkt_release(a, pa[i]);
			ra[at + i].verdict = v;
		}
		/* Entry state is compared once the whole batch is through, on both sides. */
		for (size_t i = 0; i < m; i++)
			record(&ra[at + i], pa[i], ra[at + i].verdict);
		ct_track_batch(b, pb, m, now, va);
		for (size_t i = 0; i < m; i++) {
			record(&rb[at + i], pb[i], va[i]);
			assert_same_result(&ra[at + i], &rb[at + i], a, b);
		}
		batches++;
		big += m > CT_BATCH;
		at += m;
		now += SEC / 10;
	}
	assert_true(big > 0);
	assert_same_tables(a, b, now);
	/* Expiry while batching: both sides reap the same entries. */
	now += 200 * SEC;
	at = 0;
	while (at < nseq) {
		struct ct_pkt *pa[80], *pb[80];
		int va[80];
		size_t m = nseq - at < 40 ? nseq - at : 40;

		build_batch(at, m, pa, pb);
		for (size_t i = 0; i < m; i++) {
			int v = ct_hook_conntrack(a, pa[i], CT_HOOK_PREROUTING, now);

			if (v == 0)
				v = ct_confirm(a, pa[i], now);
			else
				ct_pkt_release(a, pa[i]);
			ra[at + i].verdict = v;
		}
		/* Entry state is compared once the whole batch is through, on both sides. */
		for (size_t i = 0; i < m; i++)
			record(&ra[at + i], pa[i], ra[at + i].verdict);
		ct_track_batch(b, pb, m, now, va);
		for (size_t i = 0; i < m; i++) {
			record(&rb[at + i], pb[i], va[i]);
			assert_same_result(&ra[at + i], &rb[at + i], a, b);
		}
		at += m;
		now += SEC;
	}
	assert_same_tables(a, b, now);
	ct_table_free(a);
	ct_table_free(b);
}

/* 2. ct_hook_conntrack_batch == the hook per packet; confirm afterwards either way. */
static void test_hook_batch(void **state)
{
	static struct result ra[NPKT], rb[NPKT];
	struct ct_table *a = mk_table(), *b = mk_table();
	uint64_t now = SEC;
	size_t at = 0;

	(void)state;
	make_sequence();
	while (at < nseq) {
		struct ct_pkt *pa[80], *pb[80];
		int va[80];
		size_t m = 1 + rnd(40);

		if (m > nseq - at)
			m = nseq - at;
		build_batch(at, m, pa, pb);
		for (size_t i = 0; i < m; i++)
			ra[at + i].verdict = ct_hook_conntrack(a, pa[i], CT_HOOK_PREROUTING, now);
		for (size_t i = 0; i < m; i++)
			record(&ra[at + i], pa[i], ra[at + i].verdict);
		ct_hook_conntrack_batch(b, pb, m, CT_HOOK_PREROUTING, now, va);
		for (size_t i = 0; i < m; i++) {
			record(&rb[at + i], pb[i], va[i]);
			assert_same_result(&ra[at + i], &rb[at + i], a, b);
		}
		/* The confirm step, packet by packet, on both. */
		for (size_t i = 0; i < m; i++) {
			int x = ra[at + i].verdict ? (ct_pkt_release(a, pa[i]), 0)
						   : ct_confirm(a, pa[i], now);
			int y = rb[at + i].verdict ? (ct_pkt_release(b, pb[i]), 0)
						   : ct_confirm(b, pb[i], now);

			assert_int_equal(x, y);
			assert_int_equal(pa[i]->ctinfo, pb[i]->ctinfo);
		}
		at += m;
		now += SEC / 10;
	}
	assert_same_tables(a, b, now);
	ct_table_free(a);
	ct_table_free(b);
}

static int setup(void **state)
{
	(void)state;
	bufs[0] = calloc(NPKT, sizeof(struct pb_pkt));
	bufs[1] = calloc(NPKT, sizeof(struct pb_pkt));
	return bufs[0] && bufs[1] ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(bufs[0]);
	free(bufs[1]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_track_batch),
	    cmocka_unit_test(test_hook_batch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
