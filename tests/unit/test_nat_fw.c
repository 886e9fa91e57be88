/* SPDX-License-Identifier: MIT */
/*
 * NAT in the router model (spec §10.2, §10.4, §11): the nat chains run for a
 * connection's first packet only, masquerade takes the egress address, DNAT
 * port forwarding reroutes, replies are translated back, the reject answer
 * to a DNATed packet is translated back (§11.3), and a pressure test: 70,000
 * connections through snat to one address run the port space out; the
 * drops are counted as the kernel counts them (insert_failed + drop) and no
 * search tries more than 128 + 64 + 32 + 16 + 8 = 248 candidates.
 *
 * The ruleset is this file's own fw_rules_eval (linked before the
 * library's), standing in for the nft evaluator: it answers the nat-chain
 * questions with the statement configured in `g`.
 *
 *   client 10.0.1.2/.3 --- [eth1 10.0.1.1/24]  fw  [eth2 10.0.2.1/24] --- server 10.0.2.2
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

/* ---- the stand-in ruleset --------------------------------------------------- */

static struct {
	bool hooked;              /* a nat chain exists for IPv4 */
	enum ct_hook hook;        /* where the nat statement sits */
	uint8_t kind;             /* enum fw_nat_kind */
	struct nat_range range;
	bool reject_forward;      /* filter forward: reject with tcp reset / icmp */
	enum fw_reject reject;
	unsigned nat_calls[5];    /* nat chain evaluations per hook */
} g;

int fw_rules_eval(struct nft_ruleset *rs, struct ct_table *ct, enum ct_hook hook,
		  int32_t prio_lo, int32_t prio_hi, struct ct_pkt *p, struct fw_meta *m,
		  uint64_t now, struct fw_verdict *v)
{
	(void)rs;
	(void)ct;
	(void)p;
	(void)now;
	memset(v, 0, sizeof(*v));
	if (m->nat_chains) {
		v->nat_hooked = g.hooked;
		if (!g.hooked)
			return 0;
		g.nat_calls[hook]++;
		if (hook == g.hook && g.kind) {
			v->nat_kind = g.kind;
			v->nat_range = g.range;
			v->by_rule = true;
		}
		return 0;
	}
	if (g.reject_forward && hook == CT_HOOK_FORWARD && prio_lo <= 0 && prio_hi > 0) {
		v->drop = true;
		v->reject = g.reject;
		v->reject_code = 1; /* icmpx port-unreachable */
		v->by_rule = true;
	}
	return 0;
}

/* ---- frames ----------------------------------------------------------------- */

static uint32_t tcp_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
			  const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp,
			  uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *ip = f + 14, *t = f + 34;

	memset(f, 0, 74);
	pk_eth_hdr(f, dmac, smac, 0x0800);
	pk_ip4_hdr(ip, src, dst, 6, 64, 0, 0x4000, 20);
	pk_tcp_hdr(t, sp, dp, seq, ack, flags, 1000);
	pk_wr16(t + 16, pk_csum(t, 20, pk_pseudo4(ip, 6, 20)));
	return 54;
}

static bool ip_ok(const uint8_t *ip)
{
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, l4 = pk_rd16(ip + 2) - hl;
	uint32_t ph = ip[9] == 1 ? 0 : pk_sum16(ip + 12, 8, 0) + ip[9] + l4;

	return pk_fold(pk_sum16(ip, hl, 0)) == 0 && pk_fold(pk_sum16(ip + hl, l4, ph)) == 0;
}

static struct fw *mk_fw(uint32_t max)
{
	struct fw_config cfg = {.ct = {.max = max, .seed = 7}};
	struct fw *fw;
	uint8_t a[16];

	assert_int_equal(fw_new(&cfg, &fw), 0);
	assert_int_equal(fw_add_iface(fw, "eth1", MAC_FW1), 2);
	assert_int_equal(fw_add_iface(fw, "eth2", MAC_FW2), 3);
	pk_addr4(a, 10, 0, 1, 1);
	assert_int_equal(fw_add_addr(fw, 2, 2, a, 24), 0);
	pk_addr4(a, 10, 0, 2, 1);
	assert_int_equal(fw_add_addr(fw, 3, 2, a, 24), 0);
	pk_addr4(a, 10, 0, 2, 2);
	assert_int_equal(fw_add_neigh(fw, 3, 2, a, MAC_SRV), 0);
	return fw;
}

static void reset_rules(void)
{
	memset(&g, 0, sizeof(g));
}

/* ---- 1. masquerade ----------------------------------------------------------- */

static void test_masquerade(void **state)
{
	struct fw *fw;
	struct fw_result res;
	uint8_t f[128], cli[16], srv[16], fw2[16];
	struct ct_iter it;
	const struct ct_conn *c;
	struct ct_tuple rep;
	uint32_t n;

	(void)state;
	reset_rules();
	g.hooked = true;
	g.hook = CT_HOOK_POSTROUTING;
	g.kind = FW_NAT_MASQUERADE;
	fw = mk_fw(1024);
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(srv, 10, 0, 2, 2);
	pk_addr4(fw2, 10, 0, 2, 1);
	/* 1.1 the SYN leaves from the egress address, port kept ([V] §10.3). */
	n = tcp_frame(f, MAC_FW1, MAC_CLI, cli, srv, 40000, 80, 1000, 0, 0x02);
	assert_int_equal(fw_input(fw, 2, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_memory_equal(res.emit[0].frame + 14 + 12, fw2, 4);
	assert_int_equal(pk_rd16(res.emit[0].frame + 34), 40000);
	assert_true(ip_ok(res.emit[0].frame + 14));
	assert_int_equal(res.ct_status & (CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE),
			 CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	/* 1.2 the SYN-ACK to 10.0.2.1:40000 reaches the client. */
	n = tcp_frame(f, MAC_FW2, MAC_SRV, srv, fw2, 80, 40000, 5000, 1001, 0x12);
	assert_int_equal(fw_input(fw, 3, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_int_equal(res.out_ifindex, 2);
	assert_memory_equal(res.emit[0].frame + 14 + 16, cli, 4);
	assert_true(ip_ok(res.emit[0].frame + 14));
	/* 1.3 the ACK: translated, and the nat chains are not consulted again. */
	n = tcp_frame(f, MAC_FW1, MAC_CLI, cli, srv, 40000, 80, 1001, 5001, 0x10);
	assert_int_equal(fw_input(fw, 2, f, n, SEC, &res), 0);
	assert_memory_equal(res.emit[0].frame + 14 + 12, fw2, 4);
	assert_int_equal(g.nat_calls[CT_HOOK_PREROUTING], 1);
	assert_int_equal(g.nat_calls[CT_HOOK_POSTROUTING], 1);
	/* 1.4 the listing shows the NATed reply tuple. */
	ct_iter_init(&it);
	c = ct_iter_next(fw_ct(fw), &it, SEC);
	assert_non_null(c);
	ct_conn_tuple(c, CT_DIR_REPLY, &rep);
	assert_memory_equal(rep.dst, fw2, 4);
	assert_int_equal(rep.dst_l4, 40000);
	fw_free(fw);
}

/* ---- 2. DNAT port forward to the router's address, rerouted ------------------- */

static void test_dnat_forward(void **state)
{
	struct fw *fw;
	struct fw_result res;
	uint8_t f[128], cli[16], srv[16], fw1[16];
	uint32_t n;

	(void)state;
	reset_rules();
	g.hooked = true;
	g.hook = CT_HOOK_PREROUTING;
	g.kind = FW_NAT_DNAT;
	g.range.flags = NAT_RANGE_MAP_IPS | NAT_RANGE_PROTO_SPECIFIED;
	pk_addr4(g.range.min_addr, 10, 0, 2, 2);
	pk_addr4(g.range.max_addr, 10, 0, 2, 2);
	g.range.min_proto = g.range.max_proto = 80;
	fw = mk_fw(1024);
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(srv, 10, 0, 2, 2);
	pk_addr4(fw1, 10, 0, 1, 1);
	n = tcp_frame(f, MAC_FW1, MAC_CLI, cli, fw1, 40000, 8080, 1000, 0, 0x02);
	assert_int_equal(fw_input(fw, 2, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_int_equal(res.out_ifindex, 3);
	assert_memory_equal(res.emit[0].frame + 14 + 16, srv, 4);
	assert_int_equal(pk_rd16(res.emit[0].frame + 36), 80);
	assert_true(ip_ok(res.emit[0].frame + 14));
	assert_true(res.ct_status & CT_S_DST_NAT);
	/* The reply comes back from 10.0.1.1:8080. */
	n = tcp_frame(f, MAC_FW2, MAC_SRV, srv, cli, 80, 40000, 5000, 1001, 0x12);
	assert_int_equal(fw_input(fw, 3, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_memory_equal(res.emit[0].frame + 14 + 12, fw1, 4);
	assert_int_equal(pk_rd16(res.emit[0].frame + 34), 8080);
	assert_true(ip_ok(res.emit[0].frame + 14));
	fw_free(fw);
}

/*
 * 3. §11.3: a tcp-reset reject of a SYN DNATed from 10.0.1.1:8080 to
 * 10.0.2.2:80 comes from 10.0.1.1:8080; an ICMP error quotes 10.0.1.1:8080
 * (and, per §10.5, comes from the tuple's address 10.0.1.1).
 */
static void test_reject_after_dnat(void **state)
{
	struct fw *fw;
	struct fw_result res;
	uint8_t f[128], cli[16], fw1[16];
	const uint8_t *o;
	uint32_t n;

	(void)state;
	for (int kind = 0; kind < 2; kind++) {
		reset_rules();
		g.hooked = true;
		g.hook = CT_HOOK_PREROUTING;
		g.kind = FW_NAT_DNAT;
		g.range.flags = NAT_RANGE_MAP_IPS | NAT_RANGE_PROTO_SPECIFIED;
		pk_addr4(g.range.min_addr, 10, 0, 2, 2);
		pk_addr4(g.range.max_addr, 10, 0, 2, 2);
		g.range.min_proto = g.range.max_proto = 80;
		g.reject_forward = true;
		g.reject = kind ? FW_REJECT_ICMPX : FW_REJECT_TCP_RST;
		fw = mk_fw(1024);
		pk_addr4(cli, 10, 0, 1, 2);
		pk_addr4(fw1, 10, 0, 1, 1);
		n = tcp_frame(f, MAC_FW1, MAC_CLI, cli, fw1, 40000, 8080, 1000, 0, 0x02);
		assert_int_equal(fw_input(fw, 2, f, n, SEC, &res), 0);
		assert_int_equal(res.outcome, FW_REJECTED);
		assert_int_equal(res.n_emit, 1);
		o = res.emit[0].frame + 14;
		assert_true(ip_ok(o));
		assert_memory_equal(o + 12, fw1, 4);
		assert_memory_equal(o + 16, cli, 4);
		if (kind == 0) {
			assert_int_equal(o[9], 6);
			assert_int_equal(pk_rd16(o + 20), 8080);
			assert_int_equal(pk_rd16(o + 22), 40000);
		} else {
			assert_int_equal(o[9], 1);
			assert_memory_equal(o + 28 + 16, fw1, 4); /* quoted destination */
			assert_int_equal(pk_rd16(o + 28 + 22), 8080);
		}
		assert_int_equal(ct_table_count(fw_ct(fw)), 0);
		fw_free(fw);
	}
}

/* 4. No nat chain for the family: no bindings, no DONE bits. */
static void test_no_nat_hooks(void **state)
{
	struct fw *fw;
	struct fw_result res;
	uint8_t f[128], cli[16], srv[16];
	uint32_t n;

	(void)state;
	reset_rules();
	fw = mk_fw(1024);
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(srv, 10, 0, 2, 2);
	n = tcp_frame(f, MAC_FW1, MAC_CLI, cli, srv, 40000, 80, 1000, 0, 0x02);
	assert_int_equal(fw_input(fw, 2, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_int_equal(res.ct_status & (CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE), 0);
	fw_free(fw);
}

/* ---- 5. pressure: 70,000 connections through snat to one address ------------- */

static void test_pressure_70k(void **state)
{
	struct fw *fw;
	struct fw_result res;
	struct fw_stats fs;
	struct ct_stats cs;
	struct nat_stats ns;
	uint8_t f[128], c1[16], c2[16], srv[16];
	uint32_t n, ok = 0, dropped = 0;

	(void)state;
	reset_rules();
	g.hooked = true;
	g.hook = CT_HOOK_POSTROUTING;
	g.kind = FW_NAT_SNAT;
	g.range.flags = NAT_RANGE_MAP_IPS;
	pk_addr4(g.range.min_addr, 10, 0, 2, 1);
	pk_addr4(g.range.max_addr, 10, 0, 2, 1);
	fw = mk_fw(131072);
	pk_addr4(c1, 10, 0, 1, 2);
	pk_addr4(c2, 10, 0, 1, 3);
	pk_addr4(srv, 10, 0, 2, 2);
	/* 64,512 connections from ports 1024-65535 keep their ports ... */
	for (uint32_t p = 1024; p <= 65535; p++) {
		n = tcp_frame(f, MAC_FW1, MAC_CLI, c1, srv, (uint16_t)p, 80, p, 0, 0x02);
		fw_input(fw, 2, f, n, SEC, &res);
		ok += res.outcome == FW_FORWARDED;
	}
	assert_int_equal(ok, 64512);
	/* ... then 5,488 more (from a second address) find 1024-65535 full. */
	for (uint32_t p = 1024; p < 1024 + 5488; p++) {
		n = tcp_frame(f, MAC_FW1, MAC_CLI, c2, srv, (uint16_t)p, 80, p, 0, 0x02);
		fw_input(fw, 2, f, n, SEC, &res);
		if (res.outcome == FW_DROPPED && res.reason == FW_R_CT_DROP)
			dropped++;
	}
	assert_int_equal(dropped, 5488);
	/* Dropped at confirm (§7.3): insert_failed and drop count each one. */
	ct_table_stats(fw_ct(fw), &cs);
	assert_int_equal(cs.insert_failed, 5488);
	assert_int_equal(cs.drop, 5488);
	assert_int_equal(ct_table_count(fw_ct(fw)), 64512);
	fw_get_stats(fw, &fs);
	assert_int_equal(fs.dropped[FW_R_CT_DROP], 5488);
	/* Every exhausted search gave up after 128 + 64 + 32 + 16 + 8 tries. */
	nat_get_stats(fw_ct(fw), &ns);
	assert_int_equal(ns.exhausted, 5488);
	assert_int_equal(ns.search_max, 248);
	assert_int_equal(ns.search_tries, 5488ull * 248);
	fw_free(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masquerade),
		cmocka_unit_test(test_dnat_forward),
		cmocka_unit_test(test_reject_after_dnat),
		cmocka_unit_test(test_no_nat_hooks),
		cmocka_unit_test(test_pressure_70k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
