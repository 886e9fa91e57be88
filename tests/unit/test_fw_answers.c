/* SPDX-License-Identifier: MIT */
/*
 * The header fields of the firewall's own answers that the kernel copies
 * from the packet answered (found by tests/kdiff/test_replay.py against a
 * Linux 6.18 router namespace):
 *   - the TCP stack's reset for a closed port copies the TOS / traffic
 *     class without the ECN bits (tcp_v4_send_reset, tcp_v6_send_reset);
 *   - a `reject with tcp reset` rule's reset carries TOS 0 (nf_send_reset);
 *   - ICMP errors carry (TOS & 0x1e) | 0xc0 (icmp_send: RT_TOS of the
 *     offender plus precedence "internetwork control"); ICMPv6 errors 0;
 * and the input routing decision (ip_route_input_slow, ip6_rcv_core,
 * ip6_route_input): broadcasts and joined groups are delivered without an
 * answer, other multicast is never forwarded, IPv4 martians die after
 * PREROUTING, a destination without a route gets "net unreachable".
 *
 *   client 10.0.1.2 --- [eth1 10.0.1.1/24]  fw  [eth2 10.0.2.1/24] --- server 10.0.2.2
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/fw.h"
#include "ctrack/nft.h"
#include "ctrack/pkt.h"
#include "fw/fw_priv.h"
#include "pkt_build.h"

static const uint8_t MAC_FW1[6] = {2, 0, 0, 0, 1, 1}, MAC_FW2[6] = {2, 0, 0, 0, 2, 1};
static const uint8_t MAC_CLI[6] = {2, 0, 0, 0, 1, 2}, MAC_SRV[6] = {2, 0, 0, 0, 2, 2};
static const uint8_t CLI[4] = {10, 0, 1, 2}, SRV[4] = {10, 0, 2, 2}, ME[4] = {10, 0, 1, 1};
static const uint8_t CLI6[16] = {0xfd, 0, 0, 1, [15] = 2}, ME6[16] = {0xfd, 0, 0, 1, [15] = 1};
#define SEC 1000000000ull

static struct fw *mk_fw(void)
{
	struct fw *fw;
	uint8_t a[16] = {0};

	assert_int_equal(fw_new(NULL, &fw), 0);
	assert_int_equal(fw_add_iface(fw, "eth1", MAC_FW1), 2);
	assert_int_equal(fw_add_iface(fw, "eth2", MAC_FW2), 3);
	memcpy(a, ME, 4);
	assert_int_equal(fw_add_addr(fw, 2, 2, a, 24), 0);
	assert_int_equal(fw_add_addr(fw, 2, 10, ME6, 64), 0);
	memcpy(a, (const uint8_t[]){10, 0, 2, 1}, 4);
	assert_int_equal(fw_add_addr(fw, 3, 2, a, 24), 0);
	memcpy(a, SRV, 4);
	assert_int_equal(fw_add_neigh(fw, 3, 2, a, MAC_SRV), 0);
	memcpy(a, CLI, 4);
	assert_int_equal(fw_add_neigh(fw, 2, 2, a, MAC_CLI), 0);
	assert_int_equal(fw_add_neigh(fw, 2, 10, CLI6, MAC_CLI), 0);
	return fw;
}

/* Ethernet + IPv4 (tos, ttl) + TCP SYN or UDP with valid checksums. */
static uint32_t frame4(uint8_t *f, const uint8_t *dst, uint8_t proto, uint16_t dport,
		       uint8_t tos, uint8_t ttl)
{
	uint8_t *ip = f + 14, *l4 = f + 34;
	uint32_t l4len = proto == 6 ? 20 : 12;

	memset(f, 0, 14 + 20 + l4len);
	memcpy(f, MAC_FW1, 6);
	memcpy(f + 6, MAC_CLI, 6);
	f[12] = 8;
	ip[0] = 0x45;
	ip[1] = tos;
	pk_wr16(ip + 2, (uint16_t)(20 + l4len));
	pk_wr16(ip + 6, 0x4000);
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, CLI, 4);
	memcpy(ip + 16, dst, 4);
	pk_wr16(ip + 10, ct_csum_fold(ct_csum_partial(ip, 20, 0)));
	pk_wr16(l4, 40000);
	pk_wr16(l4 + 2, dport);
	if (proto == 6) {
		pk_wr16(l4 + 6, 1000);
		l4[12] = 5 << 4;
		l4[13] = 0x02;
		pk_wr16(l4 + 14, 1000);
	} else {
		pk_wr16(l4 + 4, (uint16_t)l4len);
		memcpy(l4 + 8, "ping", 4);
	}
	pk_wr16(l4 + (proto == 6 ? 16 : 6), pk_csum(l4, l4len, pk_pseudo4(ip, proto, l4len)));
	return 14 + 20 + l4len;
}

/* Ethernet + IPv6 (traffic class, flow label) + TCP SYN to the firewall. */
static uint32_t syn6(uint8_t *f, uint8_t tclass)
{
	uint8_t *ip = f + 14, *t = f + 54;

	memset(f, 0, 74);
	memcpy(f, MAC_FW1, 6);
	memcpy(f + 6, MAC_CLI, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = (uint8_t)(0x60 | tclass >> 4);
	ip[1] = (uint8_t)(tclass << 4 | 0x1);
	pk_wr16(ip + 2, 0x2345); /* flow label 0x12345 */
	pk_wr16(ip + 4, 20);
	ip[6] = 6;
	ip[7] = 64;
	memcpy(ip + 8, CLI6, 16);
	memcpy(ip + 24, ME6, 16);
	pk_wr16(t, 40000);
	pk_wr16(t + 2, 22);
	pk_wr16(t + 6, 1000);
	t[12] = 5 << 4;
	t[13] = 0x02;
	pk_wr16(t + 14, 1000);
	pk_wr16(t + 16, pk_csum(t, 20, pk_pseudo6(ip, 6, 20)));
	return 74;
}

/* 1. The host's reset copies the TOS without ECN (v4) and the traffic class
 *    without ECN, but not the flow label (v6, auto_flowlabels off). */
static void test_host_reset_tos(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128];
	uint32_t n;

	(void)state;
	n = frame4(f, ME, 6, 22, 0x2a, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1);
	assert_int_equal(res.emit[0].frame[14 + 1], 0x28);
	assert_int_equal(ct_csum_fold(ct_csum_partial(res.emit[0].frame + 14, 20, 0)), 0);
	n = syn6(f, 0x2a);
	fw_input(fw, 2, f, n, 2 * SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1);
	/* version 6, traffic class 0x28, flow label 0 */
	assert_int_equal(pk_rd16(res.emit[0].frame + 14), 0x6280);
	assert_int_equal(pk_rd16(res.emit[0].frame + 16), 0);
	fw_free(fw);
}

/* 2. ICMP errors: (TOS & 0x1e) | 0xc0, for a closed UDP port and for TTL 1. */
static void test_icmp_error_tos(void **state)
{
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128];
	uint32_t n;

	(void)state;
	n = frame4(f, ME, 17, 9999, 0x2a, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.n_emit, 1);
	assert_int_equal(res.emit[0].frame[14 + 1], 0xca);
	assert_int_equal(res.emit[0].frame[14 + 20], 3);
	assert_int_equal(ct_csum_fold(ct_csum_partial(res.emit[0].frame + 14, 20, 0)), 0);
	n = frame4(f, SRV, 17, 33434, 0xff, 1);
	fw_input(fw, 2, f, n, 2 * SEC, &res);
	assert_int_equal(res.outcome, FW_DROPPED);
	assert_int_equal(res.n_emit, 1);
	assert_int_equal(res.emit[0].frame[14 + 1], 0xde);
	assert_int_equal(res.emit[0].frame[14 + 20], 11);
	fw_free(fw);
}

/* 3. A `reject with tcp reset` rule's reset has TOS 0 whatever the SYN's. */
static void test_reject_reset_tos(void **state)
{
	static const char rules[] = "table ip t {\n"
				    "  chain forward {\n"
				    "    type filter hook forward priority 0; policy accept;\n"
				    "    tcp dport 113 reject with tcp reset\n"
				    "  }\n"
				    "}\n";
	struct nft_iface ifs[] = {{"lo", 1}, {"eth1", 2}, {"eth2", 3}};
	struct nft_config cfg = {.ifaces = ifs, .n_ifaces = 3};
	struct nft_ruleset *rs;
	struct fw *fw = mk_fw();
	struct fw_result res;
	char *err = NULL;
	uint8_t f[128];
	uint32_t n;

	(void)state;
	assert_int_equal(nft_ruleset_new(&cfg, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "t", rules, sizeof(rules) - 1, false, &err), 0);
	fw_set_ruleset(fw, rs);
	n = frame4(f, SRV, 6, 113, 0x2a, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_REJECTED);
	assert_int_equal(res.n_emit, 1);
	assert_int_equal(res.emit[0].frame[14 + 1], 0);
	assert_int_equal(res.emit[0].frame[14 + 20 + 13], 0x14);
	fw_free(fw);
	nft_ruleset_free(rs);
	free(err);
}

/* A frame with the given destination MAC (IPv4 UDP from the client). */
static uint32_t udp4_to(uint8_t *f, const uint8_t *dmac, const uint8_t *src, const uint8_t *dst)
{
	uint32_t n = frame4(f, dst, 17, 9999, 0, 64);
	uint8_t *ip = f + 14, *l4 = f + 34;

	memcpy(f, dmac, 6);
	memcpy(ip + 12, src, 4);
	pk_wr16(ip + 10, 0);
	pk_wr16(ip + 10, ct_csum_fold(ct_csum_partial(ip, 20, 0)));
	pk_wr16(l4 + 6, 0);
	pk_wr16(l4 + 6, pk_csum(l4, 12, pk_pseudo4(ip, 17, 12)));
	return n;
}

/* 4. Routing input: broadcast, multicast, martians, no route. */
static void test_route_input(void **state)
{
	static const uint8_t BC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t MC[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	static const uint8_t SUBNET_BC[4] = {10, 0, 1, 255}, LIMITED[4] = {255, 255, 255, 255};
	static const uint8_t MDNS[4] = {224, 0, 0, 251}, ALLHOSTS[4] = {224, 0, 0, 1};
	static const uint8_t FAR[4] = {192, 0, 2, 1}, OTHER_FW[4] = {10, 0, 2, 1};
	static const uint8_t LOOP[4] = {127, 0, 0, 1};
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], def[16] = {0};
	uint32_t n;

	(void)state;
	/* a default route, so that routing alone would forward anything */
	assert_int_equal(fw_add_route(fw, 2, def, 0, 3, SRV), 0);
	/* broadcasts and all-hosts: delivered, no port unreachable */
	n = udp4_to(f, BC, CLI, SUBNET_BC);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 0);
	n = udp4_to(f, BC, CLI, LIMITED);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 0);
	n = udp4_to(f, MC, CLI, ALLHOSTS);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 0);
	/* a group nobody joined: not forwarded by the default route */
	n = udp4_to(f, MC, CLI, MDNS);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DROPPED);
	assert_int_equal(res.reason, FW_R_NO_ROUTE);
	assert_int_equal(res.n_emit, 0);
	/* a unicast packet in a broadcast frame is not forwarded */
	n = udp4_to(f, BC, CLI, FAR);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DROPPED);
	assert_int_equal(res.reason, FW_R_OTHERHOST);
	/* martians: our own address or loopback as source, loopback as destination */
	n = udp4_to(f, MAC_FW1, OTHER_FW, FAR);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.reason, FW_R_MARTIAN);
	n = udp4_to(f, MAC_FW1, LOOP, FAR);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.reason, FW_R_MARTIAN);
	n = udp4_to(f, MAC_FW1, CLI, LOOP);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.reason, FW_R_MARTIAN);
	/* only the broadcast / all-hosts deliveries left entries */
	assert_int_equal(ct_table_count(fw_ct(fw)), 3);
	fw_free(fw);

	/* no route at all: "net unreachable" from the receiving interface */
	fw = mk_fw();
	n = udp4_to(f, MAC_FW1, CLI, FAR);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_DROPPED);
	assert_int_equal(res.reason, FW_R_NO_ROUTE);
	assert_int_equal(res.n_emit, 1);
	assert_memory_equal(res.emit[0].frame + 14 + 12, ME, 4);
	assert_int_equal(res.emit[0].frame[14 + 20], 3);
	assert_int_equal(res.emit[0].frame[14 + 21], 0);
	assert_int_equal(ct_table_count(fw_ct(fw)), 0);
	fw_free(fw);
}

/* 5. Neighbour solicitation for our address: an advertisement (RFC 4861). */
static void test_nd_advert(void **state)
{
	static const uint8_t SOL[16] = {0xff, 2, [11] = 1, 0xff, 0, 0, 1};
	struct fw *fw = mk_fw();
	struct fw_result res;
	uint8_t f[128], *ip = f + 14, *ns = f + 54;
	uint32_t sum;

	(void)state;
	memset(f, 0, sizeof(f));
	memcpy(f, (const uint8_t[]){0x33, 0x33, 0xff, 0, 0, 1}, 6);
	memcpy(f + 6, MAC_CLI, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	pk_wr16(ip + 4, 32);
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, CLI6, 16);
	memcpy(ip + 24, SOL, 16);
	ns[0] = 135;
	memcpy(ns + 8, ME6, 16);
	ns[24] = 1;
	ns[25] = 1;
	memcpy(ns + 26, MAC_CLI, 6);
	sum = ct_csum_partial(ip + 8, 32, 0) + 58 + 32;
	pk_wr16(ns + 2, ct_csum_fold(ct_csum_partial(ns, 32, sum)));
	fw_input(fw, 2, f, 14 + 40 + 32, SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1);
	const uint8_t *o = res.emit[0].frame + 14, *na = o + 40;
	assert_memory_equal(res.emit[0].frame, MAC_CLI, 6);
	assert_int_equal(o[7], 255);
	assert_memory_equal(o + 8, ME6, 16);
	assert_memory_equal(o + 24, CLI6, 16);
	assert_int_equal(pk_rd16(o + 4), 32);
	assert_int_equal(na[0], 136);
	assert_int_equal(na[4], 0xe0); /* Router, Solicited, Override */
	assert_memory_equal(na + 8, ME6, 16);
	assert_int_equal(na[24], 2);
	assert_memory_equal(na + 26, MAC_FW1, 6);
	sum = ct_csum_partial(o + 8, 32, 0) + 58 + 32;
	assert_int_equal(ct_csum_fold(ct_csum_partial(na, 32, sum)), 0);
	/* hop limit below 255: invalid, not answered */
	ip[7] = 254;
	fw_input(fw, 2, f, 14 + 40 + 32, 2 * SEC, &res);
	assert_int_equal(res.n_emit, 0);
	fw_free(fw);
}

/* 6. The verdict reported: the accepting rule, not a later chain's policy,
 *    and not the chains the host's answer went through. */
static void test_verdict_reported(void **state)
{
	static const char rules[] = "table inet t {\n"
				    "  chain forward {\n"
				    "    type filter hook forward priority 0; policy drop;\n"
				    "    ip daddr 10.0.2.2 accept\n"
				    "  }\n"
				    "  chain in {\n"
				    "    type filter hook input priority 0; policy drop;\n"
				    "    udp dport 9999 accept\n"
				    "  }\n"
				    "  chain out {\n"
				    "    type filter hook output priority 0; policy accept;\n"
				    "  }\n"
				    "  chain post {\n"
				    "    type filter hook postrouting priority 0; policy accept;\n"
				    "  }\n"
				    "}\n";
	struct nft_iface ifs[] = {{"lo", 1}, {"eth1", 2}, {"eth2", 3}};
	struct nft_config cfg = {.ifaces = ifs, .n_ifaces = 3};
	struct nft_ruleset *rs;
	struct fw *fw = mk_fw();
	struct fw_result res;
	char *err = NULL;
	uint8_t f[128];
	uint32_t n;

	(void)state;
	assert_int_equal(nft_ruleset_new(&cfg, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "t", rules, sizeof(rules) - 1, false, &err), 0);
	fw_set_ruleset(fw, rs);
	n = frame4(f, SRV, 17, 53, 0, 64);
	fw_input(fw, 2, f, n, SEC, &res);
	assert_int_equal(res.outcome, FW_FORWARDED);
	assert_true(res.by_rule);
	assert_string_equal(res.chain, "forward");
	/* no ct expression in the ruleset: conntrack is not active (spec §7.7) */
	assert_int_equal(res.ctinfo, CT_INFO_INVALID);
	assert_int_equal(ct_table_count(fw_ct(fw)), 0);
	n = frame4(f, ME, 17, 9999, 0, 64);
	fw_input(fw, 2, f, n, 2 * SEC, &res);
	assert_int_equal(res.outcome, FW_DELIVERED);
	assert_int_equal(res.n_emit, 1); /* the port unreachable went through out, post */
	assert_true(res.by_rule);
	assert_string_equal(res.chain, "in");
	assert_int_equal(res.hook, CT_HOOK_INPUT);
	assert_int_equal(res.ctinfo, CT_INFO_INVALID); /* not tracked, as above */
	fw_free(fw);
	nft_ruleset_free(rs);
	free(err);
}

/* 7. Record route: the next free slot takes our address, the pointer moves
 *    on, the header checksum follows; a full option is left alone. */
static void test_record_route(void **state)
{
	static const uint8_t me[4] = {10, 0, 2, 1};
	uint8_t ip[32] = {0x48, 0, 0, 32, 0, 0, 0, 0, 63, 17, 0, 0, 10, 0, 1, 2, 10, 0, 2, 2,
			  7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t full[28] = {0x47, 0, 0, 28, 0, 0, 0, 0, 63, 17, 0, 0, 10, 0, 1, 2, 10, 0, 2, 2,
			    7, 7, 8, 1, 2, 3, 4, 0};
	uint8_t copy[28];

	(void)state;
	pk_wr16(ip + 10, ct_csum_fold(ct_csum_partial(ip, 32, 0)));
	fw_ip4_record_route(ip, me);
	assert_memory_equal(ip + 23, me, 4);
	assert_int_equal(ip[22], 8);
	assert_int_equal(ct_csum_fold(ct_csum_partial(ip, 32, 0)), 0);
	fw_ip4_record_route(ip, me); /* second slot */
	assert_memory_equal(ip + 27, me, 4);
	assert_int_equal(ip[22], 12);
	memcpy(copy, full, sizeof(full));
	fw_ip4_record_route(full, me);
	assert_memory_equal(full, copy, sizeof(full));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_reset_tos),
		cmocka_unit_test(test_icmp_error_tos),
		cmocka_unit_test(test_reject_reset_tos),
		cmocka_unit_test(test_route_input),
		cmocka_unit_test(test_nd_advert),
		cmocka_unit_test(test_verdict_reported),
		cmocka_unit_test(test_record_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
