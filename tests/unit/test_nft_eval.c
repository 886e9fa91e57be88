/* SPDX-License-Identifier: MIT */
/*
 * nft evaluator: numbered cases of (ruleset, packet, hook) -> verdict, with
 * netfilter's semantics (accept ends only the current base chain; drop is
 * final; policy; jump/goto/return; sets, maps, vmaps; statements).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "ctrack/ct.h"
#include "ctrack/nft.h"
#include "ctrack/pkt.h"

struct pkt_spec {
	int family;          /* 4 or 6 */
	uint8_t proto;       /* 6 tcp, 17 udp, 1 icmp, 58 icmpv6 */
	const char *src, *dst;
	uint16_t sport, dport; /* icmp: type << 8 | code in dport */
	uint8_t tcp_flags;
	uint8_t ctinfo;
};

static uint32_t build(const struct pkt_spec *s, uint8_t *b)
{
	uint32_t l4 = s->proto == 6 ? 20 : 8, off;

	memset(b, 0, 128);
	if (s->family == 4) {
		b[0] = 0x45;
		b[2] = 0;
		b[3] = (uint8_t)(20 + l4);
		b[8] = 64;
		b[9] = s->proto;
		inet_pton(AF_INET, s->src, b + 12);
		inet_pton(AF_INET, s->dst, b + 16);
		uint16_t c = ct_csum_fold(ct_csum_partial(b, 20, 0)); /* host order */

		b[10] = (uint8_t)(c >> 8);
		b[11] = (uint8_t)c;
		off = 20;
	} else {
		b[0] = 0x60;
		b[5] = (uint8_t)l4;
		b[6] = s->proto;
		b[7] = 64;
		inet_pton(AF_INET6, s->src, b + 8);
		inet_pton(AF_INET6, s->dst, b + 24);
		off = 40;
	}
	if (s->proto == 1 || s->proto == 58) {
		b[off] = (uint8_t)(s->dport >> 8);
		b[off + 1] = (uint8_t)s->dport;
	} else {
		b[off] = (uint8_t)(s->sport >> 8);
		b[off + 1] = (uint8_t)s->sport;
		b[off + 2] = (uint8_t)(s->dport >> 8);
		b[off + 3] = (uint8_t)s->dport;
		if (s->proto == 6) {
			b[off + 12] = 0x50;
			b[off + 13] = s->tcp_flags;
		} else {
			b[off + 5] = (uint8_t)l4;
		}
	}
	return off + l4;
}

static struct nft_ruleset *load(const char *script)
{
	struct nft_ruleset *rs;
	char *err = NULL;

	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	if (nft_ruleset_apply(rs, "t", script, strlen(script), false, &err))
		fail_msg("ruleset rejected:\n%s", err ? err : "?");
	return rs;
}

static enum nft_verdict run(struct nft_ruleset *rs, const struct pkt_spec *s, enum ct_hook hook,
			    struct nft_meta *m, uint64_t now, struct nft_result *res)
{
	uint8_t buf[128];
	uint32_t len = build(s, buf);
	struct ct_pkt p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(ct_pkt_parse(&p, buf, len, CT_LINK_RAW), CT_PARSE_OK);
	p.ctinfo = s->ctinfo;
	assert_int_equal(nft_eval(rs, NULL, hook, INT32_MIN, INT32_MAX, &p, m, now, res), 0);
	return res->verdict;
}

#define SYN 0x02
#define ACK 0x10

static const char stateful[] =
	"table inet filter {\n"
	"  chain input {\n"
	"    type filter hook input priority 0; policy accept;\n"
	"    ct state established,related accept\n"
	"    ct state invalid drop\n"
	"    tcp dport { 22, 80 } ct state new accept\n"
	"    drop\n"
	"  }\n"
	"}\n";

struct vcase {
	struct pkt_spec pkt;
	enum ct_hook hook;
	enum nft_verdict want;
};

static void test_stateful(void **state)
{
	static const struct vcase cases[] = {
		/* 0 */ { { 4, 6, "10.0.0.1", "10.0.0.2", 1000, 22, SYN, CT_INFO_NEW },
			  CT_HOOK_INPUT, NFT_ACCEPT },
		/* 1 */ { { 4, 6, "10.0.0.1", "10.0.0.2", 1000, 23, SYN, CT_INFO_NEW },
			  CT_HOOK_INPUT, NFT_DROP },
		/* 2 */ { { 4, 6, "10.0.0.1", "10.0.0.2", 1000, 23, ACK, CT_INFO_ESTABLISHED },
			  CT_HOOK_INPUT, NFT_ACCEPT },
		/* 3 */ { { 4, 6, "10.0.0.1", "10.0.0.2", 1000, 22, ACK, CT_INFO_INVALID },
			  CT_HOOK_INPUT, NFT_DROP },
		/* 4 */ { { 6, 6, "::1", "::2", 1000, 80, SYN, CT_INFO_NEW }, CT_HOOK_INPUT,
			  NFT_ACCEPT },
		/* 5 */ { { 6, 17, "::1", "::2", 1000, 80, 0, CT_INFO_NEW }, CT_HOOK_INPUT,
			  NFT_DROP },
		/* 6: other hooks have no base chain: accepted */
		{ { 4, 6, "10.0.0.1", "10.0.0.2", 1000, 23, SYN, CT_INFO_NEW }, CT_HOOK_FORWARD,
		  NFT_ACCEPT },
		/* 7: related (e.g. an ICMP error) */
		{ { 4, 1, "10.0.0.9", "10.0.0.2", 0, 0x0303, 0, CT_INFO_RELATED }, CT_HOOK_INPUT,
		  NFT_ACCEPT },
	};
	struct nft_ruleset *rs = load(stateful);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nft_meta m = { 0 };
		struct nft_result res;

		if (run(rs, &cases[i].pkt, cases[i].hook, &m, 0, &res) != cases[i].want)
			fail_msg("case %zu: verdict %d", i, res.verdict);
	}
	nft_ruleset_free(rs);
}

/* accept ends one base chain only; drop in a later one wins; order by priority */
static void test_base_chains(void **state)
{
	static const char rules[] =
		"table ip a { chain late { type filter hook input priority 10; tcp dport 22 drop; } }\n"
		"table ip b { chain early { type filter hook input priority -10; accept; } }\n"
		"table ip c { chain pol { type filter hook input priority 20; policy drop; tcp dport 80 accept; } }\n";
	struct nft_ruleset *rs = load(rules);
	struct pkt_spec p22 = { 4, 6, "1.1.1.1", "2.2.2.2", 1, 22, SYN, CT_INFO_NEW };
	struct pkt_spec p80 = p22, p81 = p22;
	struct nft_meta m = { 0 };
	struct nft_result res;

	(void)state;
	p80.dport = 80;
	p81.dport = 81;
	assert_int_equal(run(rs, &p22, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	assert_string_equal(res.chain, "late");
	assert_true(res.by_rule);
	assert_int_equal(run(rs, &p80, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_string_equal(res.chain, "pol");
	assert_int_equal(run(rs, &p81, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	assert_true(res.by_policy);
	assert_string_equal(res.chain, "pol");
	nft_ruleset_free(rs);
}

static void test_jumps(void **state)
{
	static const char rules[] =
		"table ip t {\n"
		" chain in { type filter hook input priority 0; policy drop;\n"
		"   jump sub\n"
		"   meta mark 0x1 accept\n"
		"   goto tail\n"
		"   accept\n"
		" }\n"
		" chain sub { tcp dport 22 meta mark set 0x1; tcp dport 23 return; tcp dport 24 drop; }\n"
		" chain tail { tcp dport 25 accept; }\n"
		"}\n";
	struct nft_ruleset *rs = load(rules);
	struct pkt_spec p = { 4, 6, "1.1.1.1", "2.2.2.2", 1, 22, SYN, CT_INFO_NEW };
	struct nft_meta m = { 0 };
	struct nft_result res;

	(void)state;
	/* 22: mark set in sub, back in `in`, mark matches: accept */
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_int_equal(m.mark, 1);
	/* 23: return, no mark, goto tail: tail falls through -> the base policy (drop),
	 * not the rule after goto */
	m.mark = 0;
	p.dport = 23;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	assert_true(res.by_policy);
	/* 24: drop in sub is final */
	p.dport = 24;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	assert_true(res.by_rule);
	assert_string_equal(res.chain, "sub");
	/* 25: via goto tail */
	p.dport = 25;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_string_equal(res.chain, "tail");
	nft_ruleset_free(rs);
}

static void test_sets_maps(void **state)
{
	static const char rules[] =
		"table inet t {\n"
		" set nets { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.0/24 }; }\n"
		" set six { type ipv6_addr; elements = { 2001:db8::1 }; }\n"
		" chain in { type filter hook input priority 0;\n"
		"   ip saddr @nets drop\n"
		"   ip6 saddr @six drop\n"
		"   tcp dport vmap { 1-100 : drop, 443 : accept }\n"
		"   meta mark set tcp dport map { 8080 : 0x10, 8081 : 0x11 }\n"
		"   iifname \"eth*\" reject with tcp reset\n"
		" }\n"
		"}\n";
	struct nft_ruleset *rs = load(rules);
	struct nft_meta m = { 0 };
	struct nft_result res;
	struct pkt_spec p = { 4, 6, "10.9.9.9", "1.1.1.1", 1, 8080, SYN, CT_INFO_NEW };

	(void)state;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	p.src = "192.168.2.1";
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_int_equal(m.mark, 0x10);
	p.dport = 50;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	p.dport = 443;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_true(res.by_rule);
	struct pkt_spec q = { 6, 6, "2001:db8::1", "::2", 1, 443, SYN, CT_INFO_NEW };

	assert_int_equal(run(rs, &q, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	q.src = "2001:db8::2";
	assert_int_equal(run(rs, &q, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	/* interface wildcard and reject */
	p.dport = 9;
	p.dport = 200;
	m.iifname = "eth3";
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	assert_int_equal(res.reject, NFT_REJECT_TCP_RST);
	m.iifname = "wlan0";
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	nft_ruleset_free(rs);
}

static void test_limit_counter_nat(void **state)
{
	static const char rules[] =
		"table ip t {\n"
		" chain in { type filter hook input priority 0; policy drop;\n"
		"   limit rate 1/second burst 2 packets counter accept\n"
		" }\n"
		" chain pre { type nat hook prerouting priority dstnat;\n"
		"   tcp dport 80 dnat to 10.0.0.1-10.0.0.3:8080\n"
		" }\n"
		"}\n";
	struct nft_ruleset *rs = load(rules);
	struct nft_meta m = { 0 };
	struct nft_result res;
	struct pkt_spec p = { 4, 6, "1.1.1.1", "2.2.2.2", 1, 80, SYN, CT_INFO_NEW };
	char *out;

	(void)state;
	/* burst 2: two packets at t=0 pass, the third is over the limit */
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	/* one second later one more token */
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 1000000000ull, &res), NFT_ACCEPT);
	assert_int_equal(nft_ruleset_list(rs, 0, &out), 0);
	assert_non_null(strstr(out, "counter packets 3 bytes 120 accept"));
	free(out);
	/* nat-type chains run only when the NAT hook asks for them */
	assert_int_equal(run(rs, &p, CT_HOOK_PREROUTING, &m, 0, &res), NFT_ACCEPT);
	assert_int_equal(res.nat, NFT_NAT_NONE);
	assert_true(res.nat_hooked);
	m.nat_chains = true;
	assert_int_equal(run(rs, &p, CT_HOOK_PREROUTING, &m, 0, &res), NFT_ACCEPT);
	m.nat_chains = false;
	assert_int_equal(res.nat, NFT_NAT_DNAT);
	assert_true(res.nat_has_addr && res.nat_has_port);
	assert_int_equal(res.nat_addr_min[3], 1);
	assert_int_equal(res.nat_addr_max[3], 3);
	assert_int_equal(res.nat_port_min, 8080);
	assert_int_equal(res.nat_port_max, 8080);
	nft_ruleset_free(rs);
}

/* The kernel's nf_log_syslog line for a TCP SYN and a UDP datagram. */
static void test_log_format(void **state)
{
	static const char rules[] =
		"table ip t { chain in { type filter hook input priority 0;\n"
		"  log prefix \"in: \" flags tcp sequence\n } }\n";
	struct nft_ruleset *rs = load(rules);
	struct pkt_spec p = { 4, 6, "10.0.0.1", "10.0.0.2", 1000, 22, SYN, CT_INFO_NEW };
	struct nft_meta m = { .iifname = "eth0", .iif = 2 };
	struct nft_result res;
	uint8_t buf[128];
	char line[512];
	struct ct_pkt pk;

	(void)state;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	assert_true(res.log);
	assert_string_equal(res.log_prefix, "in: ");
	memset(&pk, 0, sizeof(pk));
	assert_int_equal(ct_pkt_parse(&pk, buf, build(&p, buf), CT_LINK_RAW), CT_PARSE_OK);
	nft_log_format(&pk, &m, res.log_prefix, res.log_flags, line, sizeof(line));
	assert_string_equal(line, "in: IN=eth0 OUT= MAC= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 TOS=0x00 "
				  "PREC=0x00 TTL=64 ID=0 PROTO=TCP SPT=1000 DPT=22 SEQ=0 ACK=0 "
				  "WINDOW=0 RES=0x00 SYN URGP=0 ");
	struct pkt_spec u = { 4, 17, "10.0.0.1", "10.0.0.2", 53, 5353, 0, CT_INFO_NEW };

	memset(&pk, 0, sizeof(pk));
	assert_int_equal(ct_pkt_parse(&pk, buf, build(&u, buf), CT_LINK_RAW), CT_PARSE_OK);
	m.iifname = NULL;
	m.oifname = "eth1";
	m.mark = 0x10;
	nft_log_format(&pk, &m, NULL, 0, line, sizeof(line));
	assert_string_equal(line, "IN= OUT=eth1 SRC=10.0.0.1 DST=10.0.0.2 LEN=28 TOS=0x00 PREC=0x00 "
				  "TTL=64 ID=0 PROTO=UDP SPT=53 DPT=5353 LEN=8 MARK=0x10 ");
	nft_ruleset_free(rs);
}

/* ct count: at most 2 connections; a third one is refused */
static void test_ct_count(void **state)
{
	static const char rules[] =
		"table ip t { chain in { type filter hook input priority 0; policy drop;\n"
		"  ct count 2 accept\n } }\n";
	struct nft_ruleset *rs = load(rules);
	struct nft_meta m = { 0 };
	struct nft_result res;
	struct pkt_spec p = { 4, 6, "1.1.1.1", "2.2.2.2", 1000, 22, SYN, CT_INFO_NEW };

	(void)state;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	p.sport = 1001;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	/* the first connection again: still 2 */
	p.sport = 1000;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_ACCEPT);
	p.sport = 1002;
	assert_int_equal(run(rs, &p, CT_HOOK_INPUT, &m, 0, &res), NFT_DROP);
	nft_ruleset_free(rs);
}


/*
 * Concatenations: every component must match; with intervals each field is
 * matched against its own range (the kernel's pipapo), so 10.0.0.5 . 100
 * is not in { 10.0.0.0/8 . 10-23 } although its bytes lie between the
 * element's low and high keys.
 */
static void test_concat(void **state)
{
	static const char rules[] =
		"table inet t {\n"
		" set iv { typeof ip saddr . tcp dport; flags interval;\n"
		"   elements = { 10.0.0.0/8 . 10-23, 192.168.1.1-192.168.3.8 . 80-443 } }\n"
		" set s6 { type ipv6_addr . inet_service; elements = { fd00::1 . 22 } }\n"
		" chain in { type filter hook input priority 0; policy accept;\n"
		"   ip saddr . tcp dport { 1.1.1.1 . 22, 2.2.2.2 . 80 } drop\n"
		"   ip saddr . tcp dport @iv drop\n"
		"   ip6 saddr . tcp dport @s6 drop\n"
		"   ip6 saddr . ip6 daddr . udp dport { fd00::1 . fd00::2 . 53 } drop\n"
		"   ip saddr . tcp dport vmap { 3.3.3.3 . 22 : drop, 3.3.3.3 . 23 : accept }\n"
		"   ip saddr . tcp dport != { 4.4.4.4 . 22 } tcp sport 9 drop\n"
		" }\n"
		"}\n";
	static const struct vcase cases[] = {
		/* 0 */ { { 4, 6, "1.1.1.1", "9.9.9.9", 1000, 22, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		/* 1 */ { { 4, 6, "2.2.2.2", "9.9.9.9", 1000, 80, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		/* 2: components crossed */
		{ { 4, 6, "1.1.1.1", "9.9.9.9", 1000, 80, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		/* 3: udp, the tcp port does not load */
		{ { 4, 17, "1.1.1.1", "9.9.9.9", 1000, 22, 0, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		/* 4..9: intervals per field */
		{ { 4, 6, "10.5.5.5", "9.9.9.9", 1000, 15, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 4, 6, "10.5.5.5", "9.9.9.9", 1000, 24, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		{ { 4, 6, "10.0.0.5", "9.9.9.9", 1000, 100, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		{ { 4, 6, "192.168.1.1", "9.9.9.9", 1000, 80, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 4, 6, "192.168.3.8", "9.9.9.9", 1000, 443, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 4, 6, "192.168.3.9", "9.9.9.9", 1000, 100, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		/* 10..13: IPv6, two and three components */
		{ { 6, 6, "fd00::1", "fd00::9", 1000, 22, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 6, 6, "fd00::1", "fd00::9", 1000, 23, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		{ { 6, 17, "fd00::1", "fd00::2", 1000, 53, 0, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 6, 17, "fd00::2", "fd00::1", 1000, 53, 0, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		/* 14, 15: verdict map */
		{ { 4, 6, "3.3.3.3", "9.9.9.9", 1000, 22, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 4, 6, "3.3.3.3", "9.9.9.9", 1000, 23, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
		/* 16, 17: not in the set */
		{ { 4, 6, "5.5.5.5", "9.9.9.9", 9, 22, SYN, 0 }, CT_HOOK_INPUT, NFT_DROP },
		{ { 4, 6, "4.4.4.4", "9.9.9.9", 9, 22, SYN, 0 }, CT_HOOK_INPUT, NFT_ACCEPT },
	};
	struct nft_ruleset *rs = load(rules);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nft_meta m = { 0 };
		struct nft_result res;

		if (run(rs, &cases[i].pkt, cases[i].hook, &m, 0, &res) != cases[i].want)
			fail_msg("case %zu: verdict %d", i, res.verdict);
	}
	nft_ruleset_free(rs);
}

struct nat_case {
	struct pkt_spec pkt;
	uint8_t nat;          /* enum nft_nat_kind */
	const char *amin, *amax;
	uint16_t pmin, pmax;  /* 0: no port */
	bool netmap;
};

/* nat maps to address . port (one lookup gives both) and nat prefix */
static void test_concat_nat(void **state)
{
	static const char rules[] =
		"table ip nat {\n"
		" map pfw { type ipv4_addr . inet_service : ipv4_addr . inet_service;\n"
		"   elements = { 10.1.0.1 . 80 : 10.22.0.5 . 8080, 10.1.0.1 . 81 : 10.22.0.6 . 8081 } }\n"
		" chain pre { type nat hook prerouting priority dstnat;\n"
		"   ip daddr 10.1.0.1 dnat ip to ip daddr . tcp dport map @pfw\n"
		"   ip daddr 10.1.0.2 dnat ip to tcp dport map { 80 : 10.22.0.7 . 8000 }\n"
		"   ip daddr 10.1.0.3 meta l4proto udp dnat ip to udp dport map { 53 : 10.22.0.5-10.22.0.8 . 5300-5310 }\n"
		"   ip daddr 10.1.0.4 dnat ip prefix to 10.99.0.0/16\n"
		"   ip daddr 10.1.0.5 dnat ip prefix to 10.99.0.0/16 random\n"
		" }\n"
		"}\n"
		"table ip6 nat {\n"
		" chain pre { type nat hook prerouting priority dstnat;\n"
		"   ip6 daddr fd00::1 dnat ip6 to ip6 daddr . tcp dport map { fd00::1 . 80 : fd00:22::5 . 8080 }\n"
		"   ip6 daddr fd00::2 dnat ip6 prefix to fd00:22::/64\n"
		" }\n"
		"}\n";
	static const struct nat_case cases[] = {
		/* 0 */ { { 4, 6, "10.11.0.1", "10.1.0.1", 1000, 80, SYN, 0 }, NFT_NAT_DNAT,
			  "10.22.0.5", "10.22.0.5", 8080, 8080, false },
		/* 1 */ { { 4, 6, "10.11.0.1", "10.1.0.1", 1000, 81, SYN, 0 }, NFT_NAT_DNAT,
			  "10.22.0.6", "10.22.0.6", 8081, 8081, false },
		/* 2: no element: the rule breaks */
		{ { 4, 6, "10.11.0.1", "10.1.0.1", 1000, 82, SYN, 0 }, NFT_NAT_NONE, NULL, NULL, 0, 0,
		  false },
		/* 3 */ { { 4, 6, "10.11.0.1", "10.1.0.2", 1000, 80, SYN, 0 }, NFT_NAT_DNAT,
			  "10.22.0.7", "10.22.0.7", 8000, 8000, false },
		/* 4: address and port ranges */
		{ { 4, 17, "10.11.0.1", "10.1.0.3", 1000, 53, 0, 0 }, NFT_NAT_DNAT, "10.22.0.5",
		  "10.22.0.8", 5300, 5310, false },
		/* 5: prefix: NF_NAT_RANGE_NETMAP */
		{ { 4, 17, "10.11.0.1", "10.1.0.4", 1000, 53, 0, 0 }, NFT_NAT_DNAT, "10.99.0.0",
		  "10.99.255.255", 0, 0, true },
		/* 6: flags after prefix replace it (nft 1.0.6) */
		{ { 4, 17, "10.11.0.1", "10.1.0.5", 1000, 53, 0, 0 }, NFT_NAT_DNAT, "10.99.0.0",
		  "10.99.255.255", 0, 0, false },
		/* 7 */ { { 6, 6, "fd00:11::1", "fd00::1", 1000, 80, SYN, 0 }, NFT_NAT_DNAT,
			  "fd00:22::5", "fd00:22::5", 8080, 8080, false },
		/* 8 */ { { 6, 17, "fd00:11::1", "fd00::2", 1000, 53, 0, 0 }, NFT_NAT_DNAT,
			  "fd00:22::", "fd00:22::ffff:ffff:ffff:ffff", 0, 0, true },
	};
	struct nft_ruleset *rs = load(rules);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct nat_case *c = &cases[i];
		struct nft_meta m = { .nat_chains = true };
		struct nft_result res;
		uint8_t a[16] = { 0 }, b[16] = { 0 };
		int af = c->pkt.family == 4 ? AF_INET : AF_INET6;

		run(rs, &c->pkt, CT_HOOK_PREROUTING, &m, 0, &res);
		if (res.nat != c->nat)
			fail_msg("case %zu: nat %u", i, res.nat);
		if (!c->amin)
			continue;
		assert_int_equal(inet_pton(af, c->amin, a), 1);
		assert_int_equal(inet_pton(af, c->amax, b), 1);
		if (!res.nat_has_addr || memcmp(res.nat_addr_min, a, 16) ||
		    memcmp(res.nat_addr_max, b, 16))
			fail_msg("case %zu: address", i);
		if (res.nat_has_port != (c->pmin != 0) ||
		    (c->pmin && (res.nat_port_min != c->pmin || res.nat_port_max != c->pmax)))
			fail_msg("case %zu: ports %u-%u", i, res.nat_port_min, res.nat_port_max);
		if (!!(res.nat_flags & NFT_NAT_F_NETMAP) != c->netmap)
			fail_msg("case %zu: netmap flag", i);
	}
	nft_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stateful),
		cmocka_unit_test(test_base_chains),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_sets_maps),
		cmocka_unit_test(test_limit_counter_nat),
		cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_ct_count),
		cmocka_unit_test(test_concat),
		cmocka_unit_test(test_concat_nat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
