/* SPDX-License-Identifier: MIT */
/*
 * The connection table core: lifecycle (unconfirmed -> confirmed), lookups
 * from both directions, ctinfo, expiry, early drop, zones, clash handling,
 * settings, and a differential check of the index against a naive model.
 * Packets use an L4 protocol without a tracker (generic), so only the core
 * is exercised.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"

#define PROTO_GENERIC 253
#define SEC CT_NSEC_PER_SEC

static void mk_pkt(struct ct_pkt *p, uint32_t src, uint32_t dst, uint8_t proto)
{
	memset(p, 0, sizeof(*p));
	p->l3num = 2;
	p->proto = proto;
	p->l3_len = 100;
	p->tuple.l3num = 2;
	p->tuple.proto = proto;
	src = __builtin_bswap32(src);
	dst = __builtin_bswap32(dst);
	memcpy(p->tuple.src, &src, 4);
	memcpy(p->tuple.dst, &dst, 4);
}

static void mk_pkt6(struct ct_pkt *p, uint8_t s_last, uint8_t d_last)
{
	memset(p, 0, sizeof(*p));
	p->l3num = 10;
	p->proto = PROTO_GENERIC;
	p->l3_len = 140;
	p->tuple.l3num = 10;
	p->tuple.proto = PROTO_GENERIC;
	p->tuple.src[0] = 0xfd;
	p->tuple.src[15] = s_last;
	p->tuple.dst[0] = 0xfd;
	p->tuple.dst[15] = d_last;
}

struct ev_log {
	int n_new, n_update, n_destroy;
};

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct ev_log *l = arg;

	(void)c;
	(void)now;
	if (type == CT_EVENT_NEW)
		l->n_new++;
	else if (type == CT_EVENT_UPDATE)
		l->n_update++;
	else
		l->n_destroy++;
}

static struct ct_table *mk_table(uint32_t max, struct ev_log *log)
{
	struct ct_table_config cfg = {.max = max, .event_fn = log ? on_event : NULL,
				      .event_arg = log};
	struct ct_table *t = NULL;

	assert_int_equal(ct_table_new(&cfg, &t), 0);
	return t;
}

/* Run one packet through conntrack and the confirm step (forwarded path). */
static int run(struct ct_table *t, struct ct_pkt *p, uint64_t now)
{
	int r = ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, now);

	if (r)
		return r;
	return ct_confirm(t, p, now);
}

/* 1. A flow's first packet is NEW, the reply ESTABLISHED_REPLY, then ESTABLISHED. */
static void test_lifecycle(void **state)
{
	struct ev_log log = {0};
	struct ct_table *t = mk_table(16, &log);
	struct ct_pkt p;
	struct ct_stats st;

	(void)state;
	mk_pkt(&p, 0x0a000001, 0x0a000002, PROTO_GENERIC);
	assert_int_equal(ct_hook_conntrack(t, &p, CT_HOOK_PREROUTING, 1 * SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_NEW);
	assert_true(p.ct_new);
	/* unconfirmed entries are invisible to lookups */
	assert_null(ct_lookup(t, &p.tuple, 1 * SEC, NULL));
	assert_int_equal(ct_table_count(t), 1);
	assert_int_equal(ct_confirm(t, &p, 1 * SEC), 0);
	assert_int_equal(log.n_new, 1);
	assert_true(ct_conn_status(p.ct) & CT_S_CONFIRMED);
	assert_int_equal(ct_conn_timeout_left(p.ct, 1 * SEC), 600 * SEC);

	/* A second original packet: still NEW (no reply yet). */
	mk_pkt(&p, 0x0a000001, 0x0a000002, PROTO_GENERIC);
	assert_int_equal(run(t, &p, 2 * SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_NEW);
	assert_false(p.ct_new);

	mk_pkt(&p, 0x0a000002, 0x0a000001, PROTO_GENERIC);
	assert_int_equal(run(t, &p, 3 * SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	assert_int_equal(p.dir, CT_DIR_REPLY);
	assert_true(ct_conn_status(p.ct) & CT_S_SEEN_REPLY);
	assert_false(ct_conn_status(p.ct) & CT_S_ASSURED); /* generic: never ASSURED */
	assert_int_equal(log.n_update, 1);

	mk_pkt(&p, 0x0a000001, 0x0a000002, PROTO_GENERIC);
	assert_int_equal(run(t, &p, 4 * SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_ESTABLISHED);
	assert_int_equal(ct_table_count(t), 1);
	ct_table_stats(t, &st);
	assert_int_equal(st.insert, 1);
	ct_table_free(t);
}

/* 2. A first packet dropped before confirm leaves nothing behind (§1.5). */
static void test_dropped_first_packet(void **state)
{
	struct ev_log log = {0};
	struct ct_table *t = mk_table(16, &log);
	struct ct_pkt p;
	struct ct_iter it;

	(void)state;
	mk_pkt(&p, 1, 2, PROTO_GENERIC);
	assert_int_equal(ct_hook_conntrack(t, &p, CT_HOOK_PREROUTING, SEC), 0);
	ct_pkt_release(t, &p);
	assert_int_equal(ct_table_count(t), 0);
	assert_int_equal(log.n_new, 0);
	ct_iter_init(&it);
	assert_null(ct_iter_next(t, &it, SEC));
	ct_table_free(t);
}

/* 3. Expiry: an expired entry never matches; a new packet starts a new connection. */
static void test_expiry(void **state)
{
	struct ev_log log = {0};
	struct ct_table *t = mk_table(16, &log);
	struct ct_pkt p;
	uint32_t id1;

	(void)state;
	assert_int_equal(ct_setting_set(t, "net.netfilter.nf_conntrack_generic_timeout", "10"),
			 0);
	mk_pkt(&p, 1, 2, PROTO_GENERIC);
	assert_int_equal(run(t, &p, 0), 0);
	id1 = ct_conn_id(p.ct);
	assert_non_null(ct_lookup(t, &p.tuple, 9 * SEC, NULL));
	assert_null(ct_lookup(t, &p.tuple, 10 * SEC, NULL));
	assert_int_equal(log.n_destroy, 1);
	assert_int_equal(ct_table_count(t), 0);
	mk_pkt(&p, 1, 2, PROTO_GENERIC);
	assert_int_equal(run(t, &p, 11 * SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_NEW);
	assert_int_not_equal(ct_conn_id(p.ct), id1);
	/* GC reaps without lookups */
	assert_int_equal(ct_gc_all(t, 30 * SEC), 1);
	assert_int_equal(ct_table_count(t), 0);
	assert_int_equal(log.n_destroy, 2);
	ct_table_free(t);
}

/* 4. Table full: early drop of non-ASSURED entries, else the packet is dropped. */
static void test_table_full(void **state)
{
	struct ct_table *t = mk_table(4, NULL);
	struct ct_pkt p;
	struct ct_stats st;
	struct ct_iter it;
	const struct ct_conn *c;
	int n = 0;

	(void)state;
	for (uint32_t i = 0; i < 4; i++) {
		mk_pkt(&p, 100 + i, 2, PROTO_GENERIC);
		assert_int_equal(run(t, &p, SEC), 0);
	}
	assert_int_equal(ct_table_count(t), 4);
	/* All entries are non-ASSURED; the 5th may evict some from its buckets,
	 * or is dropped if none share its neighbourhood. */
	mk_pkt(&p, 200, 2, PROTO_GENERIC);
	int r = run(t, &p, SEC);
	ct_table_stats(t, &st);
	if (r == 0)
		assert_true(st.early_drop >= 1);
	else
		assert_int_equal(st.drop, 1);
	assert_true(ct_table_count(t) <= 4);

	/* Make every entry ASSURED: nothing can be evicted, the new flow is dropped. */
	ct_iter_init(&it);
	while ((c = ct_iter_next(t, &it, SEC)) != NULL) {
		((struct ct_conn *)c)->status |= CT_S_ASSURED;
		n++;
	}
	for (uint32_t i = 0; ct_table_count(t) < 4; i++) {
		mk_pkt(&p, 300 + i, 2, PROTO_GENERIC);
		assert_int_equal(run(t, &p, SEC), 0);
		((struct ct_conn *)p.ct)->status |= CT_S_ASSURED;
	}
	ct_table_stats(t, &st);
	uint64_t drops = st.drop;
	mk_pkt(&p, 400, 2, PROTO_GENERIC);
	assert_int_equal(run(t, &p, SEC), -EPERM);
	assert_null(p.ct);
	ct_table_stats(t, &st);
	assert_int_equal(st.drop, drops + 1);
	assert_int_equal(ct_table_count(t), 4); /* existing flows kept */
	(void)n;
	ct_table_free(t);
}

/* 5. Zones: the same tuple in two zones is two entries (§8.5). */
static void test_zones(void **state)
{
	struct ct_table *t = mk_table(16, NULL);
	struct ct_pkt p;
	uint16_t zo, zr;
	unsigned dirs;

	(void)state;
	mk_pkt(&p, 1, 2, PROTO_GENERIC);
	assert_int_equal(run(t, &p, SEC), 0);
	mk_pkt(&p, 1, 2, PROTO_GENERIC);
	ct_pkt_set_zone(&p, 7, 3);
	assert_int_equal(run(t, &p, SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_NEW);
	assert_true(p.ct_new == false);
	assert_int_equal(ct_table_count(t), 2);
	ct_conn_zone(p.ct, &zo, &zr, &dirs);
	assert_int_equal(zo, 7);
	assert_int_equal(zr, 7);
	assert_int_equal(dirs, 3);
	/* A reply in zone 0 finds the zone-0 entry only. */
	mk_pkt(&p, 2, 1, PROTO_GENERIC);
	assert_int_equal(run(t, &p, SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	ct_conn_zone(p.ct, &zo, &zr, &dirs);
	assert_int_equal(zo, 0);
	/*
	 * nft `ct zone set` zones both directions: a reply that did not get
	 * the zone misses and creates a reverse entry in zone 0 (spec §8.5 [V]).
	 */
	mk_pkt(&p, 5, 6, PROTO_GENERIC);
	ct_pkt_set_zone(&p, 3, 3);
	assert_int_equal(run(t, &p, SEC), 0);
	mk_pkt(&p, 6, 5, PROTO_GENERIC);
	assert_int_equal(run(t, &p, SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_NEW);
	ct_conn_zone(p.ct, &zo, &zr, &dirs);
	assert_int_equal(dirs, 0);
	/*
	 * A zone for the original direction only (CT --zone-orig): the reply
	 * tuple keeps zone 0, and a reply carrying the same template finds it
	 * through the second, reply-zone lookup (§1.4).
	 */
	mk_pkt(&p, 7, 8, PROTO_GENERIC);
	ct_pkt_set_zone(&p, 4, 1);
	assert_int_equal(run(t, &p, SEC), 0);
	ct_conn_zone(p.ct, &zo, &zr, &dirs);
	assert_int_equal(zo, 4);
	assert_int_equal(zr, 0);
	mk_pkt(&p, 8, 7, PROTO_GENERIC);
	ct_pkt_set_zone(&p, 4, 1);
	assert_int_equal(run(t, &p, SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	ct_table_free(t);
}

/* 6. Clash: two unconfirmed entries for one flow; the second merges (§7.3 a). */
static void test_clash_merge(void **state)
{
	struct ct_table *t = mk_table(16, NULL);
	struct ct_pkt a, b;
	struct ct_stats st;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_acct", "1"), 0);
	mk_pkt(&a, 1, 2, PROTO_GENERIC);
	mk_pkt(&b, 1, 2, PROTO_GENERIC);
	assert_int_equal(ct_hook_conntrack(t, &a, CT_HOOK_PREROUTING, SEC), 0);
	t->held = NULL; /* two packets in flight at once, as on two CPUs */
	assert_int_equal(ct_hook_conntrack(t, &b, CT_HOOK_PREROUTING, SEC), 0);
	assert_true(a.ct_new && b.ct_new);
	assert_int_equal(ct_confirm(t, &a, SEC), 0);
	assert_int_equal(ct_confirm(t, &b, SEC), 0);
	assert_ptr_equal(a.ct, b.ct);
	ct_table_stats(t, &st);
	assert_int_equal(st.clash_resolve, 1);
	assert_int_equal(ct_table_count(t), 1);
	uint64_t pk, by;
	assert_true(ct_conn_counters(t, a.ct, CT_DIR_ORIGINAL, &pk, &by));
	assert_int_equal(pk, 2);
	assert_int_equal(by, 200);
	ct_table_free(t);
}

/* 7. Settings by sysctl name. */
static void test_settings(void **state)
{
	struct ct_table *t = mk_table(16, NULL);
	long long v;
	static const struct {
		const char *name;
		long long def;
	} defaults[] = {
		{"net.netfilter.nf_conntrack_max", 16},
		{"nf_conntrack_acct", 0},
		{"nf_conntrack_checksum", 1},
		{"nf_conntrack_tcp_loose", 1},
		{"nf_conntrack_tcp_max_retrans", 3},
		{"nf_conntrack_tcp_timeout_established", 432000},
		{"nf_conntrack_tcp_timeout_syn_sent", 120},
		{"nf_conntrack_tcp_timeout_close", 10},
		{"nf_conntrack_udp_timeout", 30},
		{"nf_conntrack_udp_timeout_stream", 120},
		{"nf_conntrack_icmp_timeout", 30},
		{"nf_conntrack_icmpv6_timeout", 30},
		{"nf_conntrack_generic_timeout", 600},
		{"nf_conntrack_gre_timeout_stream", 180},
		{"nf_conntrack_sctp_timeout_established", 210},
		{"nf_conntrack_sctp_timeout_heartbeat_sent", 30},
		{"nf_conntrack_expect_max", 4096},
		{"net/netfilter/nf_conntrack_frag6_timeout", 60},
		{"net.ipv4.ipfrag_time", 30},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		assert_int_equal(ct_setting_get(t, defaults[i].name, &v), 0);
		assert_int_equal(v, defaults[i].def);
	}
	assert_int_equal(ct_setting_set(t, "nf_conntrack_tcp_loose", "0"), 0);
	assert_int_equal(t->set.tcp_loose, 0);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_tcp_loose", "2"), -EINVAL);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_tcp_loose", "x"), -EINVAL);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_tcp_loose", "-1"), -EINVAL);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_nope", "1"), -ENOENT);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_max", "10"), -EPERM);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_udp_timeout", "45\n"), 0);
	assert_int_equal(t->set.udp_timeout, 45);
	assert_non_null(ct_setting_name(0));
	ct_table_free(t);
}

/* 8. The index against a naive model: random inserts, deletes and lookups. */
static void test_index_differential(void **state)
{
	enum { N = 20000 };
	struct ct_table *t = mk_table(N, NULL);
	static bool live[N];
	static struct ct_conn *conns[N];
	struct ct_pkt p;
	uint64_t rnd = 12345;

	(void)state;
	memset(live, 0, sizeof(live));
	for (int step = 0; step < 200000; step++) {
		uint32_t i;

		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		i = (uint32_t)(rnd >> 33) % N;
		mk_pkt(&p, 0x0a000000 + i, 0xc0a80001, PROTO_GENERIC);
		if ((rnd >> 20) % 3 == 0 && live[i]) {
			ct_conn_delete(t, conns[i], SEC);
			live[i] = false;
		} else {
			struct ct_conn *c = ct_lookup(t, &p.tuple, SEC, NULL);

			assert_true((c != NULL) == live[i]);
			if (!live[i]) {
				assert_int_equal(run(t, &p, SEC), 0);
				conns[i] = p.ct;
				live[i] = true;
			} else {
				assert_ptr_equal(c, conns[i]);
			}
		}
	}
	uint32_t n = 0;
	for (int i = 0; i < N; i++)
		n += live[i];
	assert_int_equal(ct_table_count(t), n);
	ct_table_free(t);
}

/* 9. IPv6 entries are found from both directions. */
static void test_ipv6(void **state)
{
	struct ct_table *t = mk_table(16, NULL);
	struct ct_pkt p;
	struct ct_tuple tu;

	(void)state;
	mk_pkt6(&p, 1, 2);
	assert_int_equal(run(t, &p, SEC), 0);
	mk_pkt6(&p, 2, 1);
	assert_int_equal(run(t, &p, SEC), 0);
	assert_int_equal(p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	ct_conn_tuple(p.ct, CT_DIR_REPLY, &tu);
	assert_int_equal(tu.src[15], 2);
	assert_int_equal(tu.l3num, 10);
	assert_int_equal(ct_table_count(t), 1);
	ct_table_free(t);
}

/* 10. Control-plane insertion: duplicates refused, accounting attached. */
static void test_insert(void **state)
{
	struct ct_table *t = mk_table(16, NULL);
	struct ct_conn_spec s = {0};
	struct ct_conn *c;
	struct ct_tuple r;

	(void)state;
	s.orig.l3num = 2;
	s.orig.proto = PROTO_GENERIC;
	s.orig.src[0] = 1;
	s.orig.dst[0] = 2;
	s.timeout_s = 100;
	s.status = CT_S_SEEN_REPLY;
	s.mark = 42;
	s.acct = true;
	assert_int_equal(ct_conn_insert(t, &s, SEC, &c), 0);
	ct_conn_tuple(c, CT_DIR_REPLY, &r);
	assert_int_equal(r.src[0], 2);
	assert_int_equal(ct_conn_mark(c), 42);
	assert_int_equal(ct_conn_timeout_left(c, SEC), 100 * SEC);
	assert_int_equal(ct_conn_insert(t, &s, SEC, &c), -EEXIST);
	s.orig.l3num = 3;
	assert_int_equal(ct_conn_insert(t, &s, SEC, &c), -EINVAL);
	ct_table_free(t);
}

/* Resident bytes of this process (/proc/self/statm). */
static size_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &res), 2);
	fclose(f);
	return res * 4096;
}

/* Fill a table with n flows through the hooks; every one must be NEW and confirmed. */
static void fill(struct ct_table *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct ct_pkt p;

		mk_pkt(&p, 0x0a000000 + i, 0xc0a80001, PROTO_GENERIC);
		assert_int_equal(run(t, &p, SEC), 0);
		assert_int_equal(p.ctinfo, CT_INFO_NEW);
	}
	assert_int_equal(ct_table_count(t), n);
}

/*
 * 11. .prefault: the index and the entries are resident once ct_table_new
 * returns (a full table's worth), and filling the table then adds next to
 * nothing; without it, creation costs next to nothing and filling pays.
 * The table behaves the same either way.
 */
static void test_prefault(void **state)
{
	const uint32_t max = 60000, n = 50000;
	struct ct_table_config cfg = {.max = max, .prefault = true};
	struct ct_table *t = NULL;
	size_t r0, r1, r2;
	struct ct_pkt p;
	enum ct_dir dir;

	(void)state;
	/* Entries alone: max x 96 bytes; the index and ids come on top. */
	r0 = rss_bytes();
	assert_int_equal(ct_table_new(&cfg, &t), 0);
	r1 = rss_bytes();
	assert_true(r1 - r0 >= (size_t)max * 96);
	fill(t, n);
	r2 = rss_bytes();
	assert_true(r2 - r1 < (size_t)n * 16);
	mk_pkt(&p, 0xc0a80001, 0x0a000000 + 1234, PROTO_GENERIC);
	assert_non_null(ct_lookup(t, &p.tuple, SEC, &dir));
	assert_int_equal(dir, CT_DIR_REPLY);
	ct_table_free(t);

	cfg.prefault = false;
	r0 = rss_bytes();
	assert_int_equal(ct_table_new(&cfg, &t), 0);
	r1 = rss_bytes();
	assert_true(r1 - r0 < (size_t)max * 16);
	fill(t, n);
	r2 = rss_bytes();
	assert_true(r2 - r1 >= (size_t)n * 96);
	assert_non_null(ct_lookup(t, &p.tuple, SEC, &dir));
	ct_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),     cmocka_unit_test(test_dropped_first_packet),
		cmocka_unit_test(test_expiry),        cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_zones),         cmocka_unit_test(test_clash_merge),
		cmocka_unit_test(test_settings),      cmocka_unit_test(test_index_differential),
		cmocka_unit_test(test_ipv6),          cmocka_unit_test(test_insert),
		cmocka_unit_test(test_prefault),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
