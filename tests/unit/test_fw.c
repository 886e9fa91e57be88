/* SPDX-License-Identifier: MIT */
/*
 * The router model without a ruleset: forwarding (TTL, checksum, MACs),
 * routing, neighbours, local delivery and the host's answers (spec §11.3),
 * TTL exceeded, fragments forwarded as the original fragments.
 *
 *   client 10.0.1.2 --- [eth1 10.0.1.1/24]  fw  [eth2 10.0.2.1/24] --- server 10.0.2.2
 *                                                                   `- 10.9.0.0/16 via 10.0.2.254
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ctrack/fw.h"
#include "ctrack/pkt.h"
#include "pkt_build.h"

static const uint8_t MAC_FW1[6] = {2, 0, 0, 0, 1, 1}, MAC_FW2[6] = {2, 0, 0, 0, 2, 1};
static const uint8_t MAC_CLI[6] = {2, 0, 0, 0, 1, 2}, MAC_SRV[6] = {2, 0, 0, 0, 2, 2};
static const uint8_t MAC_GW[6] = {2, 0, 0, 0, 2, 0xfe};
#define SEC 1000000000ull

static struct fw *mk_fw(void)
{
	struct fw *fw;
	uint8_t a[16];

	assert_int_equal(fw_new(NULL, &fw), 0);
	assert_int_equal(fw_add_iface(fw, "eth1", MAC_FW1), 2);
	assert_int_equal(fw_add_iface(fw, "eth2", MAC_FW2), 3);
	pk_addr4(a, 10, 0, 1, 1);
	assert_int_equal(fw_add_addr(fw, 2, 2, a, 24), 0);
	pk_addr4(a, 10, 0, 2, 1);
	assert_int_equal(fw_add_addr(fw, 3, 2, a, 24), 0);
	pk_addr4(a, 10, 9, 0, 0);
	uint8_t gw[16];
	pk_addr4(gw, 10, 0, 2, 254);
	assert_int_equal(fw_add_route(fw, 2, a, 16, 3, gw), 0);
	pk_addr4(a, 10, 0, 2, 2);
	assert_int_equal(fw_add_neigh(fw, 3, 2, a, MAC_SRV), 0);
	assert_int_equal(fw_add_neigh(fw, 3, 2, gw, MAC_GW), 0);
	return fw;
}

/* An Ethernet + IPv4 frame; l4 built by the caller after 34 bytes. */
static uint32_t frame4(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src,
		       const uint8_t *dst, uint8_t proto, uint8_t ttl, uint32_t l4len, uint16_t fo)
{
	uint8_t *ip = f + 14;

	pk_eth_hdr(f, dmac, smac, 0x0800);
	pk_ip4_hdr(ip, src, dst, proto, ttl, 0x1234, fo, l4len);
	return 14 + 20 + l4len;
}

static void l4_csum(uint8_t *f, int off)
{
	uint8_t *ip = f + 14, *l4 = f + 34;
	uint32_t len = pk_rd16(ip + 2) - 20u;

	pk_wr16(l4 + off, 0);
	pk_wr16(l4 + off, pk_csum(l4, len, pk_pseudo4(ip, ip[9], len)));
}

static uint32_t tcp_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *src, const uint8_t *dst,
			  uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags,
			  uint32_t plen, uint8_t ttl)
{
	uint32_t n = frame4(f, dmac, MAC_CLI, src, dst, 6, ttl, 20 + plen, 0x4000);
	uint8_t *t = f + 34;

	memset(t, 0, 20 + plen);
	pk_tcp_hdr(t, sp, dp, seq, ack, flags, 1000);
	l4_csum(f, 16);
	return n;
}

static bool ip_csum_ok(const uint8_t *ip)
{
	return ct_csum_fold(ct_csum_partial(ip, (ip[0] & 15) * 4u, 0)) == 0;
}

/* 1. Forwarding: TTL - 1, header checksum valid, MACs rewritten, payload intact. */
static void test_forward(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], cli[16], srv[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(srv, 10, 0, 2, 2);
	uint32_t n = tcp_frame(f, MAC_FW1, cli, srv, 40000, 80, 1000, 0, 0x02, 0, 64);
	assert_int_equal(fw_input(fw, 2, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_int_equal(res.out_ifindex, 3);
	assert_int_equal(res.n_emit, 1);
	const uint8_t *o = res.emit[0].frame;
	assert_memory_equal(o, MAC_SRV, 6);
	assert_memory_equal(o + 6, MAC_FW2, 6);
	assert_int_equal(o[14 + 8], 63);
	assert_true(ip_csum_ok(o + 14));
	assert_int_equal(pk_rd16(o + 14 + 4), 0x1234); /* IPv4 ID untouched */
	assert_memory_equal(o + 34, f + 34, 20);     /* TCP untouched */
	assert_int_equal(res.ctinfo, CT_INFO_NEW);
	assert_int_equal(ct_table_count(fw_ct(fw)), 1);
	/* Learned the client's MAC: the reply reaches it. */
	n = tcp_frame(f, MAC_FW2, srv, cli, 80, 40000, 5000, 1001, 0x12, 0, 64);
	memcpy(f + 6, MAC_SRV, 6);
	assert_int_equal(fw_input(fw, 3, f, n, SEC, &res), 0);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_memory_equal(res.emit[0].frame, MAC_CLI, 6);
	assert_int_equal(res.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	fw_free(fw);
}

/* 2. Routing: a gateway route uses the gateway's MAC; no route drops. */
static void test_routes(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], cli[16], far[16], none[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(far, 10, 9, 3, 4);
	pk_addr4(none, 172, 16, 0, 1);
	uint32_t n = tcp_frame(f, MAC_FW1, cli, far, 1, 2, 1, 0, 0x02, 0, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_memory_equal(res.emit[0].frame, MAC_GW, 6);
	n = tcp_frame(f, MAC_FW1, cli, none, 1, 2, 1, 0, 0x02, 0, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DROPPED);
	assert_int_equal(res.reason, FW_R_NO_ROUTE);
	/* nothing was confirmed for the dropped packet */
	assert_int_equal(ct_table_count(fw_ct(fw)), 1);
	/* A frame for another MAC is not ours. */
	uint8_t other[6] = {2, 9, 9, 9, 9, 9};
	n = tcp_frame(f, other, cli, far, 1, 3, 1, 0, 0x02, 0, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.reason, FW_R_OTHERHOST);
	fw_free(fw);
}

/* 3. TTL 1: ICMP time exceeded from the ingress address, the packet dropped, no entry. */
static void test_ttl_exceeded(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], cli[16], srv[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(srv, 10, 0, 2, 2);
	/* teach the firewall the client's MAC first */
	uint32_t n = tcp_frame(f, MAC_FW1, cli, srv, 7, 8, 1, 0, 0x02, 0, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	n = tcp_frame(f, MAC_FW1, cli, srv, 40000, 80, 1000, 0, 0x02, 0, 1);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DROPPED);
	assert_int_equal(res.reason, FW_R_TTL);
	assert_int_equal(res.n_emit, 1);
	const uint8_t *ip = res.emit[0].frame + 14;
	assert_true(res.emit[0].generated);
	assert_int_equal(res.emit[0].ifindex, 2);
	assert_int_equal(ip[9], 1);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[1], 0xc0);
	static const uint8_t ingress[4] = {10, 0, 1, 1};

	assert_memory_equal(ip + 12, ingress, 4);
	assert_memory_equal(ip + 16, cli, 4);
	assert_int_equal(ip[20], 11);
	assert_int_equal(ip[21], 0);
	/* quote: the original IP header (TTL 1 as received) and its TCP header */
	assert_memory_equal(ip + 28, f + 14, 40);
	assert_true(ip_csum_ok(ip));
	assert_int_equal(ct_csum_fold(ct_csum_partial(ip + 20, pk_rd16(ip + 2) - 20u, 0)), 0);
	/* the first flow only */
	assert_int_equal(ct_table_count(fw_ct(fw)), 1);
	fw_free(fw);
}

/* 4. Local delivery: SYN -> RST+ACK (seq 0, ack = seq+1); the entry is deleted. */
static void test_local_tcp_reset(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], cli[16], me[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(me, 10, 0, 1, 1);
	uint32_t n = tcp_frame(f, MAC_FW1, cli, me, 40000, 22, 1000, 0, 0x02, 0, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1);
	const uint8_t *ip = res.emit[0].frame + 14, *t = ip + 20;
	assert_memory_equal(res.emit[0].frame, MAC_CLI, 6);
	assert_int_equal(pk_rd16(ip + 6), 0x4000); /* DF */
	assert_int_equal(pk_rd16(ip + 4), 0);      /* ID 0 */
	assert_int_equal(ip[8], 64);
	assert_int_equal(pk_rd16(t), 22);
	assert_int_equal(pk_rd16(t + 2), 40000);
	assert_int_equal(pk_rd32(t + 4), 0);
	assert_int_equal(pk_rd32(t + 8), 1001);
	assert_int_equal(t[13], 0x14);
	assert_int_equal(pk_rd16(t + 14), 0); /* window 0 */
	/* The RST was the only reply: the entry is gone (spec §11.3). */
	assert_int_equal(ct_table_count(fw_ct(fw)), 0);
	/* An ACK segment gets a bare RST with seq = its ack. */
	n = tcp_frame(f, MAC_FW1, cli, me, 40001, 22, 5, 777, 0x10, 0, 64);
	fw_input(fw, 2, f, n, 2 * SEC, &res);
	t = res.emit[0].frame + 34;
	assert_int_equal(t[13], 0x04);
	assert_int_equal(pk_rd32(t + 4), 777);
	assert_int_equal(pk_rd32(t + 8), 0);
	/* A RST is never answered. */
	n = tcp_frame(f, MAC_FW1, cli, me, 40002, 22, 5, 0, 0x04, 0, 64);
	fw_input(fw, 2, f, n, 3 * SEC, &res);
	assert_int_equal(res.n_emit, 0);
	fw_free(fw);
}

/* 5. UDP to a closed port: ICMP port unreachable; the entry stays [UNREPLIED]. */
static void test_local_udp(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], cli[16], me[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(me, 10, 0, 1, 1);
	uint32_t n = frame4(f, MAC_FW1, MAC_CLI, cli, me, 17, 64, 12, 0);
	pk_wr16(f + 34, 5353);
	pk_wr16(f + 36, 9999);
	pk_wr16(f + 38, 12);
	memcpy(f + 42, "abcd", 4);
	l4_csum(f, 6);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1);
	const uint8_t *ip = res.emit[0].frame + 14;
	assert_int_equal(ip[9], 1);
	assert_int_equal(ip[20], 3);
	assert_int_equal(ip[21], 3);
	assert_memory_equal(ip + 12, me, 4);
	assert_memory_equal(ip + 28, f + 14, 32);
	assert_int_equal(ct_table_count(fw_ct(fw)), 1);
	struct ct_iter it;
	ct_iter_init(&it);
	const struct ct_conn *c = ct_iter_next(fw_ct(fw), &it, SEC);
	assert_non_null(c);
	assert_false(ct_conn_status(c) & CT_S_SEEN_REPLY); /* the ICMP error is RELATED */
	fw_free(fw);
}

/* 6. Ping the firewall: an echo reply with the request's id, sequence and data. */
static void test_local_ping(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], cli[16], me[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(me, 10, 0, 2, 1); /* the other interface's address is ours too */
	uint32_t n = frame4(f, MAC_FW1, MAC_CLI, cli, me, 1, 64, 16, 0);
	uint8_t *ic = f + 34;
	memset(ic, 0, 16);
	ic[0] = 8;
	pk_wr16(ic + 4, 0x77);
	pk_wr16(ic + 6, 3);
	memcpy(ic + 8, "pingping", 8);
	pk_wr16(ic + 2, ct_csum_fold(ct_csum_partial(ic, 16, 0)));
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1);
	const uint8_t *ip = res.emit[0].frame + 14;
	assert_memory_equal(ip + 12, me, 4);
	assert_memory_equal(ip + 16, cli, 4);
	assert_int_equal(ip[20], 0);
	assert_memory_equal(ip + 24, ic + 4, 12);
	assert_int_equal(ct_csum_fold(ct_csum_partial(ip + 20, 16, 0)), 0);
	/* The reply passed conntrack: the echo entry has seen a reply. */
	struct ct_iter it;
	ct_iter_init(&it);
	const struct ct_conn *c = ct_iter_next(fw_ct(fw), &it, SEC);
	assert_non_null(c);
	assert_true(ct_conn_status(c) & CT_S_SEEN_REPLY);
	fw_free(fw);
}

/* 7. Fragments: held until complete, then the original fragments leave, TTL - 1. */
static void test_fragments(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f1[128], f2[128], cli[16], srv[16];

	(void)state;
	pk_addr4(cli, 10, 0, 1, 2);
	pk_addr4(srv, 10, 0, 2, 2);
	/* UDP datagram of 8 + 24 bytes split at 16: [0,16) MF and [16,32) */
	uint8_t udp[32];
	memset(udp, 'u', sizeof(udp));
	pk_wr16(udp, 1111);
	pk_wr16(udp + 2, 2222);
	pk_wr16(udp + 4, 32);
	pk_wr16(udp + 6, 0);
	uint32_t n1 = frame4(f1, MAC_FW1, MAC_CLI, cli, srv, 17, 64, 16, 0x2000);
	memcpy(f1 + 34, udp, 16);
	uint32_t n2 = frame4(f2, MAC_FW1, MAC_CLI, cli, srv, 17, 64, 16, 2);
	memcpy(f2 + 34, udp + 16, 16);
	fw_input(fw, 2, f2, n2, SEC, &res);
	assert_int_equal(res.outcome, FW_HELD);
	assert_int_equal(ct_table_count(fw_ct(fw)), 0);
	fw_input(fw, 2, f1, n1, SEC, &res);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_int_equal(res.n_emit, 2);
	/* in offset order, same lengths, TTL 63, checksums valid */
	assert_int_equal(pk_rd16(res.emit[0].frame + 14 + 6), 0x2000);
	assert_int_equal(pk_rd16(res.emit[1].frame + 14 + 6), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(res.emit[i].len, 14 + 20 + 16);
		assert_int_equal(res.emit[i].frame[14 + 8], 63);
		assert_true(ip_csum_ok(res.emit[i].frame + 14));
	}
	assert_int_equal(ct_table_count(fw_ct(fw)), 1);
	fw_free(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward),        cmocka_unit_test(test_routes),
		cmocka_unit_test(test_ttl_exceeded),   cmocka_unit_test(test_local_tcp_reset),
		cmocka_unit_test(test_local_udp),      cmocka_unit_test(test_local_ping),
		cmocka_unit_test(test_fragments),
	};

	return cmocka_run_group_tests_name("fw", tests, NULL, NULL);
}
