/* SPDX-License-Identifier: MIT */
/*
 * nft ruleset parser/checker/lister: table-driven cases.  Expected texts are
 * what nft 1.0.6 prints for the same input (checked against the real nft in
 * a network namespace), not output of this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "ctrack/nft.h"

struct rule_case {
	const char *family;
	const char *rule;
	const char *listed; /* NULL: must be rejected */
};

/* numbered cases: one rule in a filter input chain */
static const struct rule_case rule_cases[] = {
	/* 0 */ { "ip", "ip protocol tcp tcp dport 22", "tcp dport 22" },
	/* 1 */ { "inet", "ip protocol tcp tcp dport 22", "ip protocol 6 tcp dport 22" },
	/* 2 */ { "ip", "ip protocol tcp counter tcp dport 22", "ip protocol 6 counter tcp dport 22" },
	/* 3 */ { "inet", "meta nfproto ipv4 ip saddr 1.2.3.4", "ip saddr 1.2.3.4" },
	/* 4 */ { "ip", "ct state new,established", "ct state established,new" },
	/* 5 */ { "ip", "ct mark xor 0x23 == 0x11", "ct mark 0x00000032" },
	/* 6 */ { "ip", "ct mark or 0x3 != 0x1", "ct mark | 0x00000003 != 0x00000001" },
	/* 7 */ { "ip", "tcp flags & (fin | syn | rst | ack) == syn", "tcp flags syn / fin,syn,rst,ack" },
	/* 8 */ { "ip", "tcp flags & syn == 0", "tcp flags ! syn" },
	/* 9 */ { "ip", "ip saddr & 0xffff0000 == 0xffff0000", "ip saddr 255.255.0.0/16" },
	/* 10 */ { "ip", "meta length { 33-55, 56-88, 100-120}", "meta length { 33-88, 100-120 }" },
	/* 11 */ { "ip", "ct expiration 30000ms", "ct expiration 30s" },
	/* 12 */ { "ip", "ct expiration 1m-1h", "ct expiration 60s-3600s" },
	/* 13 */ { "ip", "reject with icmp port-unreachable", "reject" },
	/* 14 */ { "inet", "reject", "reject" },
	/* 15 */ { "inet", "meta nfproto ipv4 reject", "reject with icmp port-unreachable" },
	/* 16 */ { "inet", "mark 12345 reject with tcp reset",
		   "meta l4proto 6 meta mark 0x00003039 reject with tcp reset" },
	/* 17 */ { "ip", "limit rate 1 kbytes / second", "limit rate 1 kbytes/second" },
	/* 18 */ { "ip", "log level warn", "log" },
	/* 19 */ { "ip", "icmp code 1 icmp type 2", "icmp type 2 icmp code host-unreachable" },
	/* 20 */ { "ip6", "ip6 saddr ::1234:1234", "ip6 saddr ::18.52.18.52" },
	/* 21 */ { "ip", "tcp dport { 22 }", "tcp dport 22" },
	/* 22 */ { "ip", "ct mark set ct mark and 0x3 or 0x4 xor 0x10",
		   "ct mark set ct mark & 0x00000017 | 0x00000014" },
	/* 23 */ { "ip", "meta iif \"lo\" accept", "iif \"lo\" accept" },
	/* 24 */ { "ip", "ct state xxx", NULL },
	/* 25 */ { "ip", "ip protocol 256", NULL },
	/* 26 */ { "ip", "tcp dport 22 udp dport 53", NULL },
	/* 27 */ { "ip", "tcp sport 22 accept drop", NULL },
	/* 28 */ { "inet", "ct original saddr ::1", NULL },
	/* 29 */ { "ip", "meta l4proto udp reject with tcp reset", NULL },
	/* 30 */ { "ip6", "reject with icmp host-unreachable", NULL },
	/* 31 */ { "ip", "limit rate 1023/second burst 10 bytes", NULL },
	/* 32 */ { "ip", "ct expiration 1d-1h", NULL },
	/* 33 */ { "ip", "meta iifname \"\"", NULL },
	/* concatenations (nft 1.0.6 -s -p listings) */
	/* 34 */ { "ip", "ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 80 } accept",
		   "ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 80 } accept" },
	/* 35: one element stays a set */
	{ "ip", "ip saddr . tcp dport { 10.0.0.1 . 22 }", "ip saddr . tcp dport { 10.0.0.1 . 22 }" },
	/* 36 */ { "inet", "ip6 saddr . ip6 daddr . udp dport { fd00::1 . fd00::2 . 53 } drop",
		   "ip6 saddr . ip6 daddr . udp dport { fd00::1 . fd00::2 . 53 } drop" },
	/* 37 */ { "inet",
		   "iifname . ip protocol . th dport vmap { \"eth0\" . tcp . 22 : accept, \"eth1\" . udp . 67 : drop }",
		   "iifname . ip protocol . th dport vmap { \"eth0\" . 6 . 22 : accept, \"eth1\" . 17 . 67 : drop }" },
	/* 38: a prefix or range per component */
	{ "ip", "ip daddr . tcp dport { 10.0.0.0/8 . 10-23, 192.168.1.1-192.168.3.8 . 80-443 } accept",
	  "ip daddr . tcp dport { 10.0.0.0/8 . 10-23, 192.168.1.1-192.168.3.8 . 80-443 } accept" },
	/* 39: host-order components sort little-endian */
	{ "ip", "ct state . ct mark { new . 0x12345678, established . 0x1 }",
	  "ct state . ct mark { established . 0x00000001, new . 0x12345678 }" },
	/* 40 */ { "ip", "ip saddr & 255.255.0.0 . tcp dport { 1.1.0.0 . 2 }",
		   "ip saddr & 255.255.0.0 . tcp dport { 1.1.0.0 . 2 }" },
	/* 41 */ { "ip", "meta mark set ct original ip saddr . meta mark map { 1.1.1.1 . 0x14 : 0x1e }",
		   "meta mark set ct original ip saddr . meta mark map { 1.1.1.1 . 0x00000014 : 0x0000001e }" },
	/* 42 */ { "ip", "ip saddr . tcp dport { 10.0.0.1-10.0.0.1 . 22 }",
		   "ip saddr . tcp dport { 10.0.0.1 . 22 }" },
	/* 43 */ { "ip", "ip saddr . tcp dport 10.0.0.1 . 22", NULL },
	/* 44 */ { "ip", "ip saddr . tcp dport { 10.0.0.1 . 22 . 5 }", NULL },
	/* 45 */ { "ip", "ip saddr . tcp dport { 10.0.0.1 }", NULL },
	/* 46 */ { "ip", "ct original saddr . meta mark { 1.1.1.1 . 0x14 }", NULL },
	/* 47 */ { "inet", "ip saddr . ip6 daddr { 1.1.1.1 . ::1 }", NULL },
	/* 48 */ { "ip", "ip saddr . tcp dport { 22 . 10.0.0.1 }", NULL },
};

static char *list_one(const char *family, const char *rule, char **err)
{
	char script[1024], *out = NULL;
	struct nft_ruleset *rs;

	snprintf(script, sizeof(script),
		 "add table %s t\nadd chain %s t c { type filter hook input priority 0; }\n"
		 "add rule %s t c %s\n",
		 family, family, family, rule);
	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	if (nft_ruleset_apply(rs, "t.nft", script, strlen(script), false, err) == 0)
		assert_int_equal(nft_ruleset_list(rs, NFT_LIST_STATELESS | NFT_LIST_NUMERIC_PROTO,
						  &out), 0);
	nft_ruleset_free(rs);
	return out;
}

/* The rule line of the only chain: the 3rd line of the listing. */
static void rule_line(const char *listing, char *buf, size_t len)
{
	const char *p = listing;

	for (int i = 0; i < 3 && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	assert_non_null(p);
	while (*p == '\t')
		p++;
	size_t n = strcspn(p, "\n");

	assert_true(n < len);
	memcpy(buf, p, n);
	buf[n] = 0;
}

static void test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		const struct rule_case *c = &rule_cases[i];
		char *err = NULL, line[512];
		char *out = list_one(c->family, c->rule, &err);

		if (!c->listed) {
			if (out)
				fail_msg("case %zu accepted: %s", i, c->rule);
			assert_non_null(err);
			free(err);
			continue;
		}
		if (!out)
			fail_msg("case %zu rejected: %s\n%s", i, c->rule, err ? err : "");
		rule_line(out, line, sizeof(line));
		if (strcmp(line, c->listed))
			fail_msg("case %zu: '%s' listed as '%s', want '%s'", i, c->rule, line,
				 c->listed);
		free(out);
		free(err);
	}
}

static void test_error_format(void **state)
{
	static const char script[] = "add table ip t\n"
				     "add chain ip t c { type filter hook output priority 0; }\n"
				     "add rule ip t c ct state xxx\n";
	static const char want[] = "x.nft:3:26-28: Error: Could not parse conntrack state\n"
				   "add rule ip t c ct state xxx\n"
				   "                         ^^^\n";
	struct nft_ruleset *rs;
	char *err = NULL;

	(void)state;
	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "x.nft", script, strlen(script), false, &err),
			 -EINVAL);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
	nft_ruleset_free(rs);
}

/* A failed script leaves the ruleset as it was (all or nothing). */
static void test_atomic(void **state)
{
	static const char ok[] = "table ip a { chain c { tcp dport 1 accept; }; }\n";
	static const char bad[] = "add table ip b\nadd rule ip a c ct state xxx\n";
	struct nft_ruleset *rs;
	char *before, *after, *err = NULL;

	(void)state;
	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "ok", ok, strlen(ok), false, NULL), 0);
	assert_int_equal(nft_ruleset_list(rs, 0, &before), 0);
	assert_int_not_equal(nft_ruleset_apply(rs, "bad", bad, strlen(bad), false, &err), 0);
	assert_int_equal(nft_ruleset_list(rs, 0, &after), 0);
	assert_string_equal(before, after);
	assert_non_null(strstr(before, "tcp dport 1 accept"));
	free(before);
	free(after);
	free(err);
	nft_ruleset_free(rs);
}

/* Commands on rules and elements of an earlier script (handles, positions);
 * the expected listing is what nft 1.0.6 prints for the same two scripts. */
static void test_positions(void **state)
{
	static const char s1[] = "table ip t {\n set s { type ipv4_addr; elements = { 1.1.1.1, 2.2.2.2 }; }\n"
				 " chain c {\n tcp dport 1 accept\n tcp dport 2 accept\n"
				 " tcp dport 3 accept\n }\n}\n";
	static const char s2[] = "delete rule ip t c handle 4\n"
				 "add rule ip t c position 3 tcp dport 10 accept\n"
				 "insert rule ip t c position 5 tcp dport 11 accept\n"
				 "add rule ip t c index 0 tcp dport 12 accept\n"
				 "delete element ip t s { 1.1.1.1 }\n";
	static const char want[] = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n"
				   "\t\telements = { 2.2.2.2 }\n\t}\n\n\tchain c {\n"
				   "\t\ttcp dport 1 accept\n\t\ttcp dport 12 accept\n"
				   "\t\ttcp dport 10 accept\n\t\ttcp dport 11 accept\n"
				   "\t\ttcp dport 3 accept\n\t}\n}\n";
	struct nft_ruleset *rs;
	char *out, *err = NULL;

	(void)state;
	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "s1", s1, strlen(s1), false, NULL), 0);
	if (nft_ruleset_apply(rs, "s2", s2, strlen(s2), false, &err))
		fail_msg("%s", err);
	assert_int_equal(nft_ruleset_list(rs, 0, &out), 0);
	assert_string_equal(out, want);
	free(out);
	nft_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
