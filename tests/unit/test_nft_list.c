/* SPDX-License-Identifier: MIT */
/*
 * nft list commands (nft_ruleset_list_cmd) and ctrackd's RULESET_LIST with
 * a command: table-driven cases.  The expected texts are what nft 1.0.6
 * printed for the same ruleset and command in a network namespace, not
 * output of this code.
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

#include "ctrack/ctl.h"
#include "ctrack/nft.h"

static const char ruleset[] =
    "table inet f {\n"
    "\tct helper ftp-std {\n\t\ttype \"ftp\" protocol tcp\n\t\tl3proto inet\n\t}\n"
    "\tset s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcomment \"bad\"\n"
    "\t\telements = { 10.0.0.0/8, 192.0.2.1 }\n\t}\n"
    "\tmap m {\n\t\ttype inet_service : verdict\n\t\telements = { 22 : accept, 80 : drop }\n\t}\n"
    "\tchain c {\n\t\ttype filter hook input priority filter + 5; policy drop;\n"
    "\t\tct state established,related counter packets 3 bytes 120 accept\n"
    "\t\tip saddr @s drop comment \"blocked\"\n\t\ttcp dport vmap @m\n\t}\n"
    "}\n"
    "table ip nat {\n\tchain post {\n"
    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
    "\t\toifname \"eth0\" masquerade\n\t}\n}\n";

#define META                                                                                       \
	"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": "               \
	"\"Lester Gooch #5\", \"json_schema_version\": 1}}"

struct list_case {
	const char *cmd;
	unsigned flags;
	int rc;
	const char *text; /* stdout (rc 0) or the error message */
};

/* numbered cases */
static const struct list_case cases[] = {
    /* 0 */ {"list tables", 0, 0, "table inet f\ntable ip nat\n"},
    /* 1 */ {"list tables ip", 0, 0, "table ip nat\n"},
    /* 2 */
    {"list chain inet f c", NFT_LIST_HANDLES, 0,
     "table inet f {\n\tchain c { # handle 1\n\t\ttype filter hook input priority "
     "filter + 5; policy drop;\n\t\tct state established,related counter packets 3 "
     "bytes 120 accept # handle 5\n\t\tip saddr @s drop comment \"blocked\" # handle "
     "6\n\t\ttcp dport vmap @m # handle 7\n\t}\n}\n"},
    /* 3 */
    {"list chains", 0, 0,
     "table inet f {\n\tchain c {\n\t\ttype filter hook input priority filter + 5; "
     "policy drop;\n\t}\n}\ntable ip nat {\n\tchain post {\n\t\ttype nat hook "
     "postrouting priority srcnat; policy accept;\n\t}\n}\n"},
    /* 4 */
    {"list set inet f s", 0, 0,
     "table inet f {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcomment "
     "\"bad\"\n\t\telements = { 10.0.0.0/8, 192.0.2.1 }\n\t}\n}\n"},
    /* 5 */
    {"list sets", 0, 0,
     "table inet f {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcomment "
     "\"bad\"\n\t\telements = { 10.0.0.0/8, 192.0.2.1 }\n\t}\n}\ntable ip nat {\n}\n"},
    /* 6 */
    {"list maps inet", 0, 0,
     "table inet f {\n\tmap m {\n\t\ttype inet_service : verdict\n\t\telements = { 22 "
     ": accept, 80 : drop }\n\t}\n}\n"},
    /* 7 */ {"list counters", 0, 0, "table inet f {\n}\n"},
    /* 8 */
    {"list set inet f m", 0, -ENOENT,
     "Error: No such file or directory\nlist set inet f m\n                ^\n"},
    /* 9 */
    {"list counter inet f ftp-st", 0, -ENOENT,
     "Error: No such file or directory; did you mean obj \xe2\x80\x98"
     "ftp-std\xe2\x80\x99 in table inet \xe2\x80\x98"
     "f\xe2\x80\x99?\nlist counter inet f ftp-st\n                    ^^^^^^\n"},
    /* 10 */
    {"list set inet f", 0, -EINVAL,
     "Error: syntax error, unexpected newline, expecting string\nlist set inet f\n"
     "               ^\n"},
    /* 11 */
    {"list table ip filter", 0, -ENOENT,
     "Error: No such file or directory\nlist table ip filter\n              ^^^^^^\n"},
    /* 12 */
    {"list tables", NFT_LIST_JSON, 0,
     META ", {\"table\": {\"family\": \"inet\", \"name\": \"f\", \"handle\": 1}}, "
	  "{\"table\": {\"family\": \"ip\", \"name\": \"nat\", \"handle\": 2}}]}\n"},
    /* 13 */
    {"list chain ip nat post", NFT_LIST_JSON, 0,
     META ", {\"chain\": {\"family\": \"ip\", \"table\": \"nat\", \"name\": \"post\", "
	  "\"handle\": 1, \"type\": \"nat\", \"hook\": \"postrouting\", \"prio\": 100, "
	  "\"policy\": \"accept\"}}, {\"rule\": {\"family\": \"ip\", \"table\": \"nat\", "
	  "\"chain\": \"post\", \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", "
	  "\"left\": {\"meta\": {\"key\": \"oifname\"}}, \"right\": \"eth0\"}}, "
	  "{\"masquerade\": null}]}}]}\n"},
    /* 14 */
    {"list set inet f s", NFT_LIST_JSON | NFT_LIST_STATELESS, 0,
     META ", {\"set\": {\"family\": \"inet\", \"name\": \"s\", \"table\": \"f\", "
	  "\"type\": \"ipv4_addr\", \"handle\": 3, \"comment\": \"bad\", \"flags\": "
	  "[\"interval\"], \"elem\": [{\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": "
	  "8}}, \"192.0.2.1\"]}}]}\n"},
    /* 15 */
    {"list map inet f m", NFT_LIST_JSON, 0,
     META ", {\"map\": {\"family\": \"inet\", \"name\": \"m\", \"table\": \"f\", "
	  "\"type\": \"inet_service\", \"handle\": 4, \"map\": \"verdict\", \"elem\": "
	  "[[22, {\"accept\": null}], [80, {\"drop\": null}]]}}]}\n"},
    /* 16 */
    {"list chain inet f c", NFT_LIST_NUMERIC, 0,
     "table inet f {\n\tchain c {\n\t\ttype filter hook input priority 5; policy "
     "drop;\n\t\tct state 0x2,0x4 counter packets 3 bytes 120 accept\n\t\tip saddr @s "
     "drop comment \"blocked\"\n\t\ttcp dport vmap @m\n\t}\n}\n"},
    /* 17 */
    {"list chains ip", NFT_LIST_NUMERIC_PRIO, 0,
     "table ip nat {\n\tchain post {\n\t\ttype nat hook postrouting priority 100; "
     "policy accept;\n\t}\n}\n"},
};

static void test_list_cmds(void **state)
{
	struct nft_ruleset *rs;
	char *err = NULL;

	(void)state;
	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "t", ruleset, strlen(ruleset), false, &err), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct list_case *c = &cases[i];
		char *out = NULL, *msg = NULL;
		int rc = nft_ruleset_list_cmd(rs, c->cmd, c->flags, &out, &msg);

		if (rc != c->rc || strcmp(rc ? (msg ? msg : "") : out, c->text))
			fail_msg("case %zu (%s): rc %d, got:\n%s\nexpected:\n%s", i, c->cmd, rc,
				 rc ? msg : out, c->text);
		assert_true(rc ? out == NULL : msg == NULL);
		free(out);
		free(msg);
	}
	nft_ruleset_free(rs);
}

/* RULESET_LIST with a command: DONE with the listing, or ERROR with nft's message. */
static void test_ctl_list_cmd(void **state)
{
	struct ct_table *t;
	struct nft_ruleset *rs;
	struct ctl_server srv = {0};
	struct ctl_buf req, out;
	struct ctl_msg m, r;
	uint32_t n;
	static const struct {
		const char *cmd;
		unsigned flags;
		uint8_t type;
		const char *text;
	} reqs[] = {
	    {"list tables ip", 0, CTL_REP_DONE, "table ip nat\n"},
	    {"list tables", NFT_LIST_JSON, CTL_REP_DONE,
	     META ", {\"table\": {\"family\": \"inet\", \"name\": \"f\", \"handle\": 1}}, "
		  "{\"table\": {\"family\": \"ip\", \"name\": \"nat\", \"handle\": 2}}]}\n"},
	    {"list table ip filter", 0, CTL_REP_ERROR,
	     "Error: No such file or directory\nlist table ip filter\n              ^^^^^^\n"},
	};

	(void)state;
	assert_int_equal(ct_table_new(NULL, &t), 0);
	assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
	assert_int_equal(nft_ruleset_apply(rs, "t", ruleset, strlen(ruleset), false, NULL), 0);
	srv.t = t;
	srv.rs = rs;
	ctl_buf_init(&req);
	ctl_buf_init(&out);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		ctl_buf_reset(&req);
		ctl_buf_reset(&out);
		ctl_msg_begin(&req, CTL_REQ_RULESET_LIST, (uint32_t)i + 1);
		ctl_put_u32(&req, CTL_A_FLAGS, reqs[i].flags);
		ctl_put_str(&req, CTL_A_TEXT, reqs[i].cmd);
		assert_int_equal(ctl_msg_end(&req), 0);
		assert_int_equal(ctl_decode(req.data, req.len, &m), 0);
		assert_int_equal(ctl_handle(&srv, &m, &out), 0);
		assert_int_equal(ctl_frame(out.data, out.len, &n), 0);
		assert_int_equal(n, out.len); /* one reply */
		assert_int_equal(ctl_decode(out.data, n, &r), 0);
		assert_int_equal(r.type, reqs[i].type);
		assert_non_null(r.text);
		assert_string_equal(r.text, reqs[i].text);
		if (r.type == CTL_REP_ERROR)
			assert_int_equal(r.err, ENOENT);
	}
	ctl_buf_free(&req);
	ctl_buf_free(&out);
	nft_ruleset_free(rs);
	ct_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_cmds),
	    cmocka_unit_test(test_ctl_list_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
