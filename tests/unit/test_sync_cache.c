/* SPDX-License-Identifier: MIT */
/*
 * The external cache and the replication filters (lib/sync/cache.c).
 * Filters follow conntrackd's Filter { Protocol / Address / State } with
 * Accept or Ignore; State applies to TCP only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ctrack/sync.h"

#define SEC 1000000000ull

static void entry(struct sync_ct *c, uint8_t last, uint16_t sport, uint32_t mark)
{
	memset(c, 0, sizeof(*c));
	c->orig = (struct sync_addr){.l3num = 2,
				     .src = {10, 0, 0, last},
				     .dst = {10, 0, 0, 2},
				     .l4proto = 6,
				     .sport = sport,
				     .dport = 80};
	c->mark = mark;
	c->have = 1u << SYNC_A_IPV4 | 1u << SYNC_A_L4PROTO | 1u << SYNC_A_PORT | 1u << SYNC_A_MARK;
}

static void test_cache_ops(void **state)
{
	struct sync_cache *c;
	struct sync_ct e;
	const struct sync_ct *it;
	struct sync_cache_stats st;
	uint32_t pos = 0;

	(void)state;
	assert_int_equal(sync_cache_new(3, &c), 0);
	entry(&e, 1, 1000, 1);
	assert_int_equal(sync_cache_update(c, &e, 0), 0);
	entry(&e, 1, 1000, 2); /* same entry, new state: replaced */
	assert_int_equal(sync_cache_update(c, &e, 0), 0);
	assert_int_equal(sync_cache_count(c), 1);
	it = sync_cache_next(c, &pos);
	assert_non_null(it);
	assert_int_equal(it->mark, 2);
	assert_null(sync_cache_next(c, &pos));
	entry(&e, 2, 1000, 0);
	assert_int_equal(sync_cache_update(c, &e, 5 * SEC), 0);
	entry(&e, 3, 1000, 0);
	assert_int_equal(sync_cache_update(c, &e, 5 * SEC), 0);
	entry(&e, 4, 1000, 0);
	assert_int_equal(sync_cache_update(c, &e, 5 * SEC), -ENOSPC); /* HashLimit reached */
	entry(&e, 9, 1000, 0);
	assert_int_equal(sync_cache_delete(c, &e), -ENOENT);
	entry(&e, 2, 1000, 7); /* delete by tuple, whatever the state */
	assert_int_equal(sync_cache_delete(c, &e), 0);
	assert_int_equal(sync_cache_count(c), 2);
	/* ALARM's CacheTimeout: the one not refreshed since 0 goes at 180 s. */
	assert_int_equal(sync_cache_expire(c, 180 * SEC, 180 * SEC), 1);
	assert_int_equal(sync_cache_count(c), 1);
	sync_cache_stats(c, &st);
	assert_int_equal(st.created, 3);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.destroyed, 1);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.full, 1);
	sync_cache_flush(c);
	assert_int_equal(sync_cache_count(c), 0);
	entry(&e, 4, 1000, 0);
	assert_int_equal(sync_cache_update(c, &e, 0), 0); /* slots came back */
	sync_cache_free(c);
	sync_cache_free(NULL);
}

struct fcase {
	uint8_t proto;
	uint8_t src_last;
	uint8_t state;
	bool pass;
};

static void run(const struct sync_filter *f, const struct fcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ct_tuple o = {.src = {10, 0, 0, cases[i].src_last},
				     .dst = {192, 168, 1, 1},
				     .l3num = 2,
				     .proto = cases[i].proto};
		struct ct_tuple r = {.src = {192, 168, 1, 1},
				     .dst = {10, 0, 0, cases[i].src_last},
				     .l3num = 2,
				     .proto = cases[i].proto};

		if (sync_filter_pass(f, &o, &r, cases[i].state) != cases[i].pass)
			fail_msg("case %zu", i + 1);
	}
}

static void test_filters(void **state)
{
	struct sync_filter f;

	(void)state;
	/* Protocol Accept { TCP SCTP } */
	memset(&f, 0, sizeof(f));
	f.proto_set = true;
	f.proto_accept = true;
	f.protos[0] = 1ull << 6;
	f.protos[2] = 1ull << (132 - 128);
	run(&f,
	    (const struct fcase[]){
		/* 1 */ {6, 1, CT_TCP_ESTABLISHED, true},
		/* 2 */ {17, 1, 0, false},
		/* 3 */ {132, 1, 0, true},
	    },
	    3);
	/* Address Ignore { 10.0.0.0/30 }, matched on either address of either direction */
	memset(&f, 0, sizeof(f));
	f.nnets = 1;
	f.net_accept = false;
	f.nets[0] = (struct sync_filter_net){.l3num = 2, .addr = {10, 0, 0, 0}, .plen = 30};
	run(&f,
	    (const struct fcase[]){
		/* 1 */ {6, 3, 0, false},
		/* 2 */ {6, 4, 0, true},
	    },
	    2);
	/* State Accept { ESTABLISHED } for TCP; other protocols pass */
	memset(&f, 0, sizeof(f));
	f.tcp_states = 1u << CT_TCP_ESTABLISHED;
	f.state_accept = true;
	run(&f,
	    (const struct fcase[]){
		/* 1 */ {6, 1, CT_TCP_ESTABLISHED, true},
		/* 2 */ {6, 1, CT_TCP_SYN_SENT, false},
		/* 3 */ {17, 1, 0, true},
	    },
	    3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_ops),
	    cmocka_unit_test(test_filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
