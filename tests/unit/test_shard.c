/* SPDX-License-Identifier: MIT */
/*
 * RSS-style sharding (ct_pkt_shard_hash): both directions of a flow, and
 * ICMP errors quoting it, reach the same shard; and a mixed stream split
 * over 4 tables by the hash is classified exactly as on one table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "pktbuild.h"

#define SEC CT_NSEC_PER_SEC

/* 1. Directions and ICMP errors. */
static void test_symmetric(void **state)
{
	struct pb_pkt a, b, e;
	static const char *const pairs[][2] = {
	    {"10.0.0.1", "10.9.0.1"}, {"192.168.1.7", "8.8.8.8"}, {"fd00::1", "fd00::9"}};

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		for (uint16_t port = 1000; port < 1100; port++) {
			const char *x = pairs[i][0], *y = pairs[i][1];

			assert_non_null(pb_tcp(&a, x, port, y, 80, PB_SYN, 1, 0, NULL, 0));
			assert_non_null(pb_tcp(&b, y, 80, x, port, PB_SYN | PB_ACK, 9, 2, NULL, 0));
			assert_int_equal(ct_pkt_shard_hash(&a.p, true),
					 ct_pkt_shard_hash(&b.p, true));
			assert_int_equal(ct_pkt_shard_hash(&a.p, false),
					 ct_pkt_shard_hash(&b.p, false));
			assert_non_null(pb_udp(&a, x, port, y, 53, "q", 1));
			assert_non_null(pb_udp(&b, y, 53, x, port, "r", 1));
			assert_int_equal(ct_pkt_shard_hash(&a.p, true),
					 ct_pkt_shard_hash(&b.p, true));
			if (i < 2) {
				/* An ICMP error from a router about either direction. */
				assert_non_null(pb_tcp(&a, x, port, y, 80, PB_SYN, 1, 0, NULL, 0));
				assert_non_null(pb_icmp_err(&e, "10.5.5.5", x, 3, 1, &a));
				assert_int_equal(ct_pkt_shard_hash(&e.p, true),
						 ct_pkt_shard_hash(&a.p, true));
				assert_int_equal(ct_pkt_shard_hash(&e.p, false),
						 ct_pkt_shard_hash(&a.p, false));
			}
		}
	}
	/* Different ports spread: 100 flows over 4 shards use every shard. */
	{
		unsigned seen = 0;

		for (uint16_t port = 1000; port < 1100; port++) {
			assert_non_null(
			    pb_tcp(&a, "10.0.0.1", port, "10.9.0.1", 80, PB_SYN, 1, 0, NULL, 0));
			seen |= 1u << (ct_pkt_shard_hash(&a.p, true) % 4);
		}
		assert_int_equal(seen, 15);
	}
}

/* 2. A stream over 4 sharded tables is classified as on one table. */
static void test_sharded_equals_single(void **state)
{
	enum { NF = 200, NS = 4 };
	struct ct_table_config cfg = {.max = 4096};
	struct ct_table *one, *sh[NS];
	struct pb_pkt k1, k2;
	uint64_t now = SEC;
	uint32_t total = 0;

	(void)state;
	assert_int_equal(ct_table_new(&cfg, &one), 0);
	for (int s = 0; s < NS; s++)
		assert_int_equal(ct_table_new(&cfg, &sh[s]), 0);
	for (int step = 0; step < 6; step++) {
		for (int f = 0; f < NF; f++) {
			char cli[32], srv[32];
			uint16_t cp = (uint16_t)(2000 + f);
			uint32_t ci = 100u * (uint32_t)f, si = 77777u * (uint32_t)f;
			struct ct_pkt *p1 = NULL, *p2 = NULL;

			snprintf(cli, sizeof(cli), "10.1.%d.%d", f / 200, f % 200 + 1);
			snprintf(srv, sizeof(srv), "172.16.0.%d", f % 7 + 1);
			switch (step) {
			case 0:
				p1 = pb_tcp(&k1, cli, cp, srv, 80, PB_SYN, ci, 0, NULL, 0);
				p2 = pb_tcp(&k2, cli, cp, srv, 80, PB_SYN, ci, 0, NULL, 0);
				break;
			case 1:
				p1 = pb_tcp(&k1, srv, 80, cli, cp, PB_SYN | PB_ACK, si, ci + 1,
					    NULL, 0);
				p2 = pb_tcp(&k2, srv, 80, cli, cp, PB_SYN | PB_ACK, si, ci + 1,
					    NULL, 0);
				break;
			case 2:
				p1 = pb_tcp(&k1, cli, cp, srv, 80, PB_ACK, ci + 1, si + 1, NULL, 0);
				p2 = pb_tcp(&k2, cli, cp, srv, 80, PB_ACK, ci + 1, si + 1, NULL, 0);
				break;
			case 3: {
				struct pb_pkt q;

				assert_non_null(
				    pb_tcp(&q, cli, cp, srv, 80, PB_ACK, ci + 1, si + 1, NULL, 0));
				p1 = pb_icmp_err(&k1, "10.200.0.1", cli, 11, 0, &q);
				p2 = pb_icmp_err(&k2, "10.200.0.1", cli, 11, 0, &q);
				break;
			}
			case 4:
				p1 = pb_udp(&k1, cli, cp, srv, 53, "x", 1);
				p2 = pb_udp(&k2, cli, cp, srv, 53, "x", 1);
				break;
			default:
				p1 = pb_udp(&k1, srv, 53, cli, cp, "y", 1);
				p2 = pb_udp(&k2, srv, 53, cli, cp, "y", 1);
				break;
			}
			assert_non_null(p1);
			assert_non_null(p2);
			assert_int_equal(pb_run(one, p1, now),
					 pb_run(sh[ct_pkt_shard_hash(p2, true) % NS], p2, now));
			assert_int_equal(p1->ctinfo, p2->ctinfo);
			assert_int_not_equal(p1->ctinfo, CT_INFO_INVALID);
			assert_int_equal(p1->ct ? ct_conn_proto_state(p1->ct) : 0,
					 p2->ct ? ct_conn_proto_state(p2->ct) : 0);
			now += 1000;
		}
	}
	for (int s = 0; s < NS; s++) {
		assert_true(ct_table_count(sh[s]) > 0);
		total += ct_table_count(sh[s]);
		ct_table_free(sh[s]);
	}
	assert_int_equal(total, ct_table_count(one));
	assert_int_equal(total, 2 * NF);
	ct_table_free(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symmetric),
	    cmocka_unit_test(test_sharded_equals_single),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
