/* SPDX-License-Identifier: MIT */
/*
 * NAT differences found by the kernel-differential suite (tests/kdiff/
 * test_nat_*.py), one numbered case each, asserting the kernel's observed
 * behaviour in the router model.
 *
 * 1. A forwarded packet whose TTL runs out after DNAT: the router's time
 *    exceeded is RELATED to the dying packet's entry and translated back
 *    like a reject's answer (§10.5, §11.3).  The kernel (6.18) sent, for a
 *    SYN 10.0.1.2:40005 -> 10.0.1.50:8080 DNATed to 10.0.2.2:80 with TTL 1,
 *    ICMP 11/0 from 10.0.1.50 (the address the tuple gives) quoting
 *    10.0.1.2:40005 -> 10.0.1.50:8080 with TTL 1; no entry remains.
 *
 * 2. IPv6 masquerade picks its source as ipv6_dev_get_saddr() does for the
 *    packet's destination (RFC 6724), not for the next hop; equal
 *    candidates go to the newest address.  Kernel: f1 with fd00:2::1/64
 *    then fd00:9::1/64, destination fd00:44::5 routed via fd00:2::2 ->
 *    fd00:9::1.
 * 3. IPv6 redirect takes the head of the kernel's address list, the newest
 *    global address: f0 with fd00:1::1/64 then fd00:8::1/64 -> fd00:8::1.
 *
 * The ruleset is this file's own fw_rules_eval (linked before the
 * library's), as in test_nat_fw.c: one nat statement at one hook.
 *
 *   client 10.0.1.2 --- [eth1 10.0.1.1/24]  fw  [eth2 10.0.2.1/24] --- server 10.0.2.2
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ctrack/fw.h"
#include "ctrack/nat.h"
#include "ctrack/pkt.h"
#include "fw/rules.h"
#include "pkt_build.h"

#define SEC 1000000000ull

static const uint8_t MAC_FW1[6] = {2, 0, 0, 0, 1, 1}, MAC_FW2[6] = {2, 0, 0, 0, 2, 1};
static const uint8_t MAC_CLI[6] = {2, 0, 0, 0, 1, 2}, MAC_SRV[6] = {2, 0, 0, 0, 2, 2};

static struct nat_range g_range;
static enum ct_hook g_hook = CT_HOOK_PREROUTING;
static uint8_t g_kind = FW_NAT_DNAT;

int fw_rules_eval(struct nft_ruleset *rs, struct ct_table *ct, enum ct_hook hook,
		  int32_t prio_lo, int32_t prio_hi, struct ct_pkt *p, struct fw_meta *m,
		  uint64_t now, struct fw_verdict *v)
{
	(void)rs;
	(void)ct;
	(void)p;
	(void)now;
	(void)prio_lo;
	(void)prio_hi;
	memset(v, 0, sizeof(*v));
	if (m->nat_chains) {
		v->nat_hooked = true;
		if (hook == g_hook) {
			v->nat_kind = g_kind;
			v->nat_range = g_range;
			v->by_rule = true;
		}
	}
	return 0;
}

/* A TCP SYN frame (IPv4, no options) with the given TTL. */
static uint32_t syn_frame(uint8_t *f, const uint8_t *src, const uint8_t *dst, uint16_t sp,
			  uint16_t dp, uint8_t ttl)
{
	uint8_t *ip = f + 14, *t = f + 34;

	memset(f, 0, 74);
	pk_eth_hdr(f, MAC_FW1, MAC_CLI, 0x0800);
	pk_ip4_hdr(ip, src, dst, 6, ttl, 0x1234, 0x4000, 20);
	pk_tcp_hdr(t, sp, dp, 1000000, 0, 0x02, 29200);
	pk_wr16(t + 16, pk_csum(t, 20, pk_pseudo4(ip, 6, 20)));
	return 54;
}

static struct fw *mk_fw(void)
{
	struct fw_config cfg = {.ct = {.max = 1024, .seed = 7}};
	struct fw *fw;
	uint8_t a[16];

	assert_int_equal(fw_new(&cfg, &fw), 0);
	assert_int_equal(fw_add_iface(fw, "eth1", MAC_FW1), 2);
	assert_int_equal(fw_add_iface(fw, "eth2", MAC_FW2), 3);
	pk_addr4(a, 10, 0, 1, 1);
	assert_int_equal(fw_add_addr(fw, 2, 2, a, 24), 0);
	pk_addr4(a, 10, 0, 2, 1);
	assert_int_equal(fw_add_addr(fw, 3, 2, a, 24), 0);
	pk_addr4(a, 10, 0, 1, 2);
	assert_int_equal(fw_add_neigh(fw, 2, 2, a, MAC_CLI), 0);
	pk_addr4(a, 10, 0, 2, 2);
	assert_int_equal(fw_add_neigh(fw, 3, 2, a, MAC_SRV), 0);
	return fw;
}

/* ---- 1. time exceeded for a DNATed packet ----------------------------------- */

static void test_ttl_exceeded_after_dnat(void **state)
{
	static const struct {
		uint8_t dst_last; /* the client's destination 10.0.1.x */
	} cases[] = {
		{50}, /* 1.1 an address the router does not own */
		{1},  /* 1.2 the router's own address */
	};
	uint8_t f[128], cli[16], vip[16];
	struct fw_result res;
	const uint8_t *o, *q;
	struct fw *fw;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&g_range, 0, sizeof(g_range));
		g_range.flags = NAT_RANGE_MAP_IPS | NAT_RANGE_PROTO_SPECIFIED;
		pk_addr4(g_range.min_addr, 10, 0, 2, 2);
		pk_addr4(g_range.max_addr, 10, 0, 2, 2);
		g_range.min_proto = g_range.max_proto = 80;
		fw = mk_fw();
		pk_addr4(cli, 10, 0, 1, 2);
		pk_addr4(vip, 10, 0, 1, cases[i].dst_last);
		assert_int_equal(fw_input(fw, 2, f, syn_frame(f, cli, vip, 40005, 8080, 1), SEC,
					  &res), 0);
		assert_int_equal(res.outcome, FW_DROPPED);
		assert_int_equal(res.reason, FW_R_TTL);
		assert_int_equal(res.n_emit, 1);
		assert_int_equal(res.emit[0].ifindex, 2);
		o = res.emit[0].frame + 14;
		assert_int_equal(o[9], 1);
		assert_int_equal(o[20], 11);
		assert_int_equal(o[21], 0);
		/* Outer: from the tuple's address, to the client; checksums right. */
		assert_memory_equal(o + 12, vip, 4);
		assert_memory_equal(o + 16, cli, 4);
		assert_int_equal(pk_fold(pk_sum16(o, 20, 0)), 0);
		assert_int_equal(pk_fold(pk_sum16(o + 20, pk_rd16(o + 2) - 20u, 0)), 0);
		/* Quote: the packet as the client sent it (TTL 1, pre-DNAT). */
		q = o + 28;
		assert_int_equal(q[8], 1);
		assert_memory_equal(q + 12, cli, 4);
		assert_memory_equal(q + 16, vip, 4);
		assert_int_equal(pk_fold(pk_sum16(q, 20, 0)), 0);
		assert_int_equal(pk_rd16(q + 20), 40005);
		assert_int_equal(pk_rd16(q + 22), 8080);
		assert_int_equal(pk_fold(pk_sum16(q + 20, 20, pk_sum16(q + 12, 8, 0) + 6 + 20)), 0);
		/* The dying packet's entry is gone. */
		assert_int_equal(ct_table_count(fw_ct(fw)), 0);
		fw_free(fw);
	}
}

/* An IPv6 UDP frame (no payload) to the firewall's eth1. */
static uint32_t udp6_frame(uint8_t *f, const uint8_t *src, const uint8_t *dst, uint16_t sp,
			   uint16_t dp)
{
	uint8_t *ip = f + 14, *u = f + 54;
	uint32_t ph;

	memset(f, 0, 62);
	memcpy(f, MAC_FW1, 6);
	memcpy(f + 6, MAC_CLI, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	pk_wr16(ip + 4, 8);
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	pk_wr16(u, sp);
	pk_wr16(u + 2, dp);
	pk_wr16(u + 4, 8);
	ph = pk_sum16(ip + 8, 32, 0) + 17 + 8;
	pk_wr16(u + 6, pk_fold(pk_sum16(u, 8, ph)));
	return 62;
}

static void a6(uint8_t *a, uint16_t w0, uint16_t w1, uint16_t last)
{
	memset(a, 0, 16);
	pk_wr16(a, w0);
	pk_wr16(a + 2, w1);
	pk_wr16(a + 14, last);
}

/* ---- 2. IPv6 masquerade source selection ------------------------------------ */

static void test_masquerade6_source(void **state)
{
	static const struct {
		uint16_t dnet, dlast; /* destination fd00:<dnet>::<dlast> */
		uint16_t want_net;    /* expected source fd00:<want_net>::1 */
	} cases[] = {
		{0x44, 5, 9}, /* 2.1 routed via fd00:2::2, a tie on every rule: the newest */
		{2, 2, 2},    /* 2.2 on-link fd00:2::/64: the longest match */
		{9, 2, 9},    /* 2.3 on-link fd00:9::/64 */
	};
	uint8_t f[128], cli[16], dst[16], a[16], gw[16];
	struct fw_result res;
	struct fw *fw;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&g_range, 0, sizeof(g_range));
		g_hook = CT_HOOK_POSTROUTING;
		g_kind = FW_NAT_MASQUERADE;
		fw = mk_fw();
		a6(a, 0xfd00, 1, 1);
		assert_int_equal(fw_add_addr(fw, 2, 10, a, 64), 0);
		a6(a, 0xfd00, 2, 1);
		assert_int_equal(fw_add_addr(fw, 3, 10, a, 64), 0);
		a6(a, 0xfd00, 9, 1);
		assert_int_equal(fw_add_addr(fw, 3, 10, a, 64), 0);
		a6(gw, 0xfd00, 2, 2);
		assert_int_equal(fw_add_neigh(fw, 3, 10, gw, MAC_SRV), 0);
		a6(a, 0xfd00, 9, 2);
		assert_int_equal(fw_add_neigh(fw, 3, 10, a, MAC_SRV), 0);
		a6(a, 0xfd00, 0x44, 0);
		assert_int_equal(fw_add_route(fw, 10, a, 64, 3, gw), 0);
		a6(cli, 0xfd00, 1, 2);
		a6(dst, 0xfd00, cases[i].dnet, cases[i].dlast);
		assert_int_equal(fw_input(fw, 2, f, udp6_frame(f, cli, dst, 5000, 53), SEC, &res),
				 0);
		assert_int_equal(res.outcome, FW_FORWARDED);
		assert_int_equal(res.n_emit, 1);
		a6(a, 0xfd00, cases[i].want_net, 1);
		assert_memory_equal(res.emit[0].frame + 14 + 8, a, 16);
		fw_free(fw);
	}
	g_hook = CT_HOOK_PREROUTING;
	g_kind = FW_NAT_DNAT;
}

/* ---- 3. IPv6 redirect: the newest global address ----------------------------- */

static void test_redirect6_newest(void **state)
{
	uint8_t f[128], cli[16], dst[16], a[16];
	struct fw_result res;
	struct ct_iter it;
	const struct ct_conn *c;
	struct ct_tuple rep;
	struct fw *fw;

	(void)state;
	memset(&g_range, 0, sizeof(g_range));
	g_hook = CT_HOOK_PREROUTING;
	g_kind = FW_NAT_REDIRECT;
	fw = mk_fw();
	a6(a, 0xfd00, 1, 1);
	assert_int_equal(fw_add_addr(fw, 2, 10, a, 64), 0);
	a6(a, 0xfd00, 8, 1);
	assert_int_equal(fw_add_addr(fw, 2, 10, a, 64), 0);
	a6(cli, 0xfd00, 1, 2);
	a6(dst, 0xfd00, 2, 2);
	assert_int_equal(fw_input(fw, 2, f, udp6_frame(f, cli, dst, 7001, 53), SEC, &res), 0);
	assert_int_equal(res.outcome, FW_DELIVERED);
	ct_iter_init(&it);
	c = ct_iter_next(fw_ct(fw), &it, SEC);
	assert_non_null(c);
	ct_conn_tuple(c, CT_DIR_REPLY, &rep);
	a6(a, 0xfd00, 8, 1);
	assert_memory_equal(rep.src, a, 16);
	fw_free(fw);
	g_kind = FW_NAT_DNAT;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_exceeded_after_dnat),
		cmocka_unit_test(test_masquerade6_source),
		cmocka_unit_test(test_redirect6_newest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
