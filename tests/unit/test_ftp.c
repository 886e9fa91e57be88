/* SPDX-License-Identifier: MIT */
/*
 * The FTP helper (spec §9.3): the command parser case by case (every
 * command form, split and malformed ones), then whole control connections
 * through ct_hook_conntrack / ct_confirm: sequence memory, partial-match
 * drops, wrong addresses, PORT / PASV / EPRT / EPSV in IPv4 and IPv6, the
 * RELATED data connection and the `conntrack -L expect` line.
 *
 * Expected values come from the spec and the real kernel's listing
 * (captured in a namespace on 6.18 with conntrack-tools 1.4.7).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_priv.h"
#include "pktbuild.h"
#include "seqadj.h"

#define SEC CT_NSEC_PER_SEC
#define T0  (100 * SEC)

/* ---- the parser --------------------------------------------------------- */

enum { NO = CT_FTP_NO_MATCH, OK = CT_FTP_MATCH, PART = CT_FTP_PARTIAL };

struct pcase {
	const char *name;
	int dir;
	const char *own; /* sender's own address (family of the connection) */
	const char *data;
	int res;
	const char *addr; /* expected address (NULL: own) */
	uint16_t port;
	uint32_t off, len;
};

#define O  CT_DIR_ORIGINAL
#define R  CT_DIR_REPLY
#define C4 "10.0.1.2"
#define S4 "10.0.2.2"
#define C6 "fd00:1::2"
#define S6 "fd00:2::2"

static const struct pcase pcases[] = {
    /* 1 */ {"PORT", O, C4, "PORT 10,0,1,2,200,10\r\n", OK, C4, 51210, 5, 15},
    /* 2 */ {"port lower case", O, C4, "port 10,0,1,2,200,10\r\n", OK, C4, 51210, 5, 15},
    /* 3 */ {"PORT mixed case", O, C4, "pOrT 10,0,1,2,200,10\r\n", OK, C4, 51210, 5, 15},
    /* 4 */ {"PORT without CR", O, C4, "PORT 10,0,1,2,200,10\n", PART, NULL, 0, 0, 0},
    /* 5 */ {"PORT abc", O, C4, "PORT abc\r\n", PART, NULL, 0, 0, 0},
    /* 6 */ {"strict prefix POR", O, C4, "POR", PART, NULL, 0, 0, 0},
    /* 7 */ {"exactly PORT", O, C4, "PORT", PART, NULL, 0, 0, 0},
    /* 8 */ {"PORT no space", O, C4, "PORT\r\n", PART, NULL, 0, 0, 0},
    /* 9 */ {"other command", O, C4, "USER anonymous\r\n", NO, NULL, 0, 0, 0},
    /* 10 */ {"5 numbers", O, C4, "PORT 1,2,3,4,5\r\n", PART, NULL, 0, 0, 0},
    /* 11 */ {"7 numbers", O, C4, "PORT 1,2,3,4,5,6,7\r\n", PART, NULL, 0, 0, 0},
    /* 12 */ {"no terminator", O, C4, "PORT 1,2,3,4,5,6", PART, NULL, 0, 0, 0},
    /* 13 */ {"empty number is 0", O, C4, "PORT 1,2,,4,5,6\r\n", OK, "1.2.0.4", 1286, 5, 10},
    /* 14 */ {"number wraps", O, C4, "PORT 300,0,0,1,1,1\r\n", OK, "44.0.0.1", 257, 5, 13},
    /* 15 */ {"PORTS prefix", O, C4, "PORTS 10,0,1,2,200,10\r\n", OK, C4, 51210, 6, 15},
    /* 16 */ {"PORT two spaces", O, C4, "PORT  10,0,1,2,200,10\r\n", PART, NULL, 0, 0, 0},
    /* 17 */ {"EPRT v4", O, C4, "EPRT |1|10.0.1.2|51210|\r\n", OK, C4, 51210, 5, 18},
    /* 18 */ {"EPRT af 2 on v4", O, C4, "EPRT |2|10.0.1.2|51210|\r\n", PART, NULL, 0, 0, 0},
    /* 19 */ {"EPRT port 0", O, C4, "EPRT |1|10.0.1.2|0|\r\n", PART, NULL, 0, 0, 0},
    /* 20 */ {"EPRT digit delimiter", O, C4, "EPRT 515105051210\r\n", PART, NULL, 0, 0, 0},
    /* 21 */ {"EPRT other delimiter", O, C4, "EPRT !1!10.0.1.2!51210!\r\n", OK, C4, 51210, 5, 18},
    /* 22 */ {"EPRT no closing delim", O, C4, "EPRT |1|10.0.1.2|51210\r\n", PART, NULL, 0, 0, 0},
    /* 23 */ {"EPRT 3 numbers", O, C4, "EPRT |1|10.0.1|51210|\r\n", PART, NULL, 0, 0, 0},
    /* 24 */ {"EPRT space delimiter", O, C4, "EPRT  1 10.0.1.2 51210 \r\n", PART, NULL, 0, 0, 0},
    /* 25 */ {"EPRT v6", O, C6, "EPRT |2|fd00:1::2|51210|\r\n", OK, C6, 51210, 5, 19},
    /* 26 */ {"EPRT af 1 on v6", O, C6, "EPRT |1|10.0.1.2|51210|\r\n", PART, NULL, 0, 0, 0},
    /* 27 */
    {"EPRT v4-mapped", O, C6, "EPRT |2|::ffff:10.0.0.1|2000|\r\n", OK, "::ffff:10.0.0.1", 2000, 5,
     24},
    /* 28 */
    {"EPRT 8 groups", O, C6, "EPRT |2|1:2:3:4:5:6:7:8|2000|\r\n", OK, "1:2:3:4:5:6:7:8", 2000, 5,
     24},
    /* 29 */ {"EPRT 9 groups", O, C6, "EPRT |2|1:2:3:4:5:6:7:8:9|2000|\r\n", PART, NULL, 0, 0, 0},
    /* 30 */ {"EPRT two ::", O, C6, "EPRT |2|1::2::3|2000|\r\n", PART, NULL, 0, 0, 0},
    /* 31 */ {"EPRT 5 hex digits", O, C6, "EPRT |2|12345::1|2000|\r\n", PART, NULL, 0, 0, 0},
    /* 32 */ {"EPRT ::", O, C6, "EPRT |2|::|2000|\r\n", OK, "::", 2000, 5, 11},
    /* 33 */ {"EPRT upper hex", O, C6, "EPRT |2|FD00:1::2|51210|\r\n", OK, C6, 51210, 5, 19},
    /* 34 */
    {"227", R, S4, "227 Entering Passive Mode (10,0,2,2,156,65).\r\n", OK, S4, 40001, 27, 15},
    /* 35 */ {"227 nothing after", R, S4, "227 =10,0,2,2,156,65", PART, NULL, 0, 0, 0},
    /* 36 */ {"227 no digits", R, S4, "227 no numbers here\r\n", PART, NULL, 0, 0, 0},
    /* 37 */ {"227 bare", R, S4, "227 10,0,2,2,156,65\r\n", OK, S4, 40001, 4, 15},
    /* 38 */
    {"229", R, S4, "229 Entering Extended Passive Mode (|||40001|)\r\n", OK, NULL, 40001, 36, 9},
    /* 39 */ {"229 two delimiters", R, S4, "229 (||40001|)\r\n", PART, NULL, 0, 0, 0},
    /* 40 */ {"229 port 0", R, S4, "229 (|||0|)\r\n", PART, NULL, 0, 0, 0},
    /* 41 */ {"229 no paren", R, S4, "229 no paren\r\n", PART, NULL, 0, 0, 0},
    /* 42 */ {"229 v6", R, S6, "229 (|||40001|)\r\n", OK, NULL, 40001, 5, 9},
    /* 43 */ {"PORT from the server", R, S4, "PORT 10,0,1,2,200,10\r\n", NO, NULL, 0, 0, 0},
    /* 44 */ {"227 from the client", O, C4, "227 10,0,2,2,156,65\r\n", NO, NULL, 0, 0, 0},
    /* 45 */ {"reply prefix 2", R, S4, "2", PART, NULL, 0, 0, 0},
    /* 46 */ {"reply prefix 22", R, S4, "22", PART, NULL, 0, 0, 0},
    /* 47 */ {"reply 227 exactly", R, S4, "227", PART, NULL, 0, 0, 0},
    /* 48 */ {"reply 227 space only", R, S4, "227 ", PART, NULL, 0, 0, 0},
    /* 49 */ {"reply 3", R, S4, "3", NO, NULL, 0, 0, 0},
    /* 50 */ {"reply 228", R, S4, "228 x\r\n", NO, NULL, 0, 0, 0},
    /* 51 */ {"client prefix E", O, C4, "E", PART, NULL, 0, 0, 0},
    /* 52 */ {"other reply", R, S4, "220 ready\r\n", NO, NULL, 0, 0, 0},
    /* 53 */ {"PORT port 0,0", O, C4, "PORT 10,0,1,2,0,0\r\n", OK, C4, 0, 5, 12},
    /* 54 */ {"EPRT port wraps", O, C4, "EPRT |1|10.0.1.2|65537|\r\n", OK, C4, 1, 5, 18},
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		uint8_t own[16], want[16];
		uint8_t l3 = pb_addr(c->own, own);
		struct ct_ftp_match m;
		int r;

		r = ct_ftp_parse((const uint8_t *)c->data, strlen(c->data), (enum ct_dir)c->dir, l3,
				 own, &m);
		if (r != c->res)
			fail_msg("case %zu (%s): result %d, want %d", i + 1, c->name, r, c->res);
		if (r != OK)
			continue;
		pb_addr(c->addr ? c->addr : c->own, want);
		if (memcmp(m.addr, want, 16) != 0)
			fail_msg("case %zu (%s): address", i + 1, c->name);
		if (m.port != c->port || m.off != c->off || m.len != c->len)
			fail_msg("case %zu (%s): port %u off %u len %u", i + 1, c->name, m.port,
				 m.off, m.len);
	}
}

/* An IPv4 PORT on an IPv6 connection replaces only the first 4 bytes. */
static void test_parse_port_on_v6(void **state)
{
	uint8_t own[16], want[16];
	struct ct_ftp_match m;
	const char *d = "PORT 10,0,1,2,200,10\r\n";

	(void)state;
	pb_addr(C6, own);
	memcpy(want, own, 16);
	want[0] = 10, want[1] = 0, want[2] = 1, want[3] = 2;
	assert_int_equal(ct_ftp_parse((const uint8_t *)d, strlen(d), O, 10, own, &m), OK);
	assert_memory_equal(m.addr, want, 16);
}

/* Every prefix of a valid command is either a partial match or, once the
 * terminator is in, a match: never a crash, never an out-of-range read
 * (run under ASan: each prefix is copied into an exact-size buffer). */
static void test_parse_prefixes(void **state)
{
	const char *cmds[] = {"PORT 10,0,1,2,200,10\r\n", "EPRT |2|fd00:1::2|51210|\r\n",
			      "227 Entering Passive Mode (10,0,2,2,156,65).\r\n",
			      "229 Entering Extended Passive Mode (|||40001|)\r\n"};
	const int dirs[] = {O, O, R, R};
	const uint8_t l3[] = {2, 10, 2, 10};

	(void)state;
	for (int c = 0; c < 4; c++) {
		size_t n = strlen(cmds[c]);
		uint8_t own[16] = {0};

		for (size_t k = 1; k <= n; k++) {
			uint8_t *b = malloc(k);
			struct ct_ftp_match m;
			int r;

			memcpy(b, cmds[c], k);
			r = ct_ftp_parse(b, k, (enum ct_dir)dirs[c], l3[c], own, &m);
			assert_true(r == PART || r == OK);
			free(b);
		}
	}
}

/* ---- control connections through the pipeline ------------------------------ */

struct evlog {
	int n_new, n_destroy;
	char last[512];
	struct ct_table *t;
};

static void on_exp(void *arg, enum ct_event_type type, const struct ct_expect *e, uint64_t now)
{
	struct evlog *l = arg;
	struct ct_fmt_opts o;

	if (type == CT_EVENT_NEW)
		l->n_new++;
	else if (type == CT_EVENT_DESTROY)
		l->n_destroy++;
	memset(&o, 0, sizeof(o));
	o.now = now;
	o.event = type;
	ct_format_expect(l->t, e, &o, l->last, sizeof(l->last));
}

static struct ct_table *mk_table(struct evlog *log)
{
	struct ct_table_config cfg = {
	    .max = 1024, .exp_event_fn = log ? on_exp : NULL, .exp_event_arg = log};
	struct ct_table *t = NULL;

	assert_int_equal(ct_table_new(&cfg, &t), 0);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_events", "1"), 0);
	if (log)
		log->t = t;
	return t;
}

static void sess4(struct pb_sess *s)
{
	memset(s, 0, sizeof(*s));
	s->cli = C4, s->srv = S4, s->cport = 40000, s->sport = 21;
	s->cseq = 1000, s->sseq = 5000;
}

static void sess6(struct pb_sess *s)
{
	memset(s, 0, sizeof(*s));
	s->cli = C6, s->srv = S6, s->cport = 40000, s->sport = 21;
	s->cseq = 1000, s->sseq = 5000;
}

/* Banner and USER: seeds the '\n' memory of both directions. */
static void greet(struct ct_table *t, struct pb_sess *s, uint64_t now)
{
	assert_int_equal(pb_sess_send(t, s, 0, "220 ready\r\n", now), 0);
	assert_int_equal(pb_sess_send(t, s, 1, "USER a\r\n", now), 0);
	assert_int_equal(pb_sess_send(t, s, 0, "331 password\r\n", now), 0);
}

/* 1. Active FTP: PORT, the expectation line, the RELATED data connection. */
static void test_active_v4(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;
	const struct ct_expect *e;
	char line[512];

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	assert_true(ct_conn_status(s.ct) & CT_S_HELPER);
	assert_string_equal(ct_conn_helper_name(t, s.ct), "ftp");
	ct_conn_set_mark(s.ct, 42);
	greet(t, &s, T0);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 1);
	assert_int_equal(log.n_new, 1);
	e = pb_one_expect(t, T0);
	assert_non_null(e);
	assert_string_equal(pb_expect_line(t, e, T0, line, sizeof(line)),
			    "300 proto=6 src=10.0.2.2 dst=10.0.1.2 sport=0 dport=51210 "
			    "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 "
			    "master-src=10.0.1.2 master-dst=10.0.2.2 sport=40000 dport=21 class=0 "
			    "helper=ftp");
	/* [V] listed a moment later with 299 */
	assert_int_equal(strncmp(pb_expect_line(t, e, T0 + 1000, line, sizeof(line)), "299 ", 4),
			 0);
	assert_string_equal(log.last,
			    "    [NEW] 300 proto=6 src=10.0.2.2 dst=10.0.1.2 sport=0 dport=51210 "
			    "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 "
			    "master-src=10.0.1.2 master-dst=10.0.2.2 sport=40000 dport=21 class=0 "
			    "helper=ftp");

	/* `conntrack -L` shows the helper before use= ([V] "... mark=0 helper=ftp use=1") */
	{
		struct ct_fmt_opts o = {.now = T0};
		char cl[512];
		size_t n;

		ct_format_conn(t, s.ct, &o, cl, sizeof(cl));
		n = strlen(cl);
		assert_true(n > 25);
		assert_string_equal(cl + n - 25, " mark=42 helper=ftp use=1");
	}
	/* The data connection: server port 20 to the announced port. */
	p = pb_tcp(&k, S4, 20, C4, 51210, PB_SYN, 777, 0, NULL, 0);
	assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0 + SEC), 0);
	assert_int_equal(p->ctinfo, CT_INFO_RELATED);
	assert_true(ct_conn_status(p->ct) & CT_S_EXPECTED);
	assert_int_equal(ct_conn_mark(p->ct), 42);
	assert_null(ct_conn_helper_name(t, p->ct));
	assert_int_equal(ct_expect_count(t), 0); /* consumed */
	assert_int_equal(log.n_destroy, 1);
	assert_int_equal(ct_confirm(t, p, T0 + SEC), 0);
	{
		struct ct_conn *data = p->ct;

		p = pb_tcp(&k, C4, 51210, S4, 20, PB_SYN | PB_ACK, 9000, 778, NULL, 0);
		assert_int_equal(pb_run(t, p, T0 + SEC), 0);
		assert_ptr_equal(p->ct, data);
		assert_int_equal(p->ctinfo, CT_INFO_ESTABLISHED_REPLY);
		p = pb_tcp(&k, S4, 20, C4, 51210, PB_ACK, 778, 9001, NULL, 0);
		assert_int_equal(pb_run(t, p, T0 + SEC), 0);
		assert_int_equal(p->ctinfo, CT_INFO_ESTABLISHED);
		assert_true(ct_conn_status(data) & CT_S_EXPECTED); /* kept */
	}
	{
		struct ct_expect_stats st;

		ct_expect_stats(t, &st);
		assert_int_equal(st.expect_new, 1);
		assert_int_equal(st.expect_create, 1);
		assert_int_equal(st.expect_delete, 1);
	}
	ct_table_free(t);
}

/* 2. The first data segment of a direction is never parsed; the next one is. */
static void test_first_segment_not_parsed(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,11\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 1);
	ct_table_free(t);
}

/* 3. A segment after one that did not end in '\n' is not parsed. */
static void test_not_after_newline(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "NOOP", T0), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 0);
	/* ...but the one after that is: the PORT segment ended in '\n'. */
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 1);
	ct_table_free(t);
}

/* 4. Partial matches are dropped; the memory is untouched, so the
 *    retransmitted good command at the same seq is parsed. */
static void test_partial_dropped(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	/* [V] `PORT abc\r\n` never reached the server */
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT abc\r\n", T0), -EPERM);
	/* a command split in two: the first half is a partial match */
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10", T0), -EPERM);
	assert_int_equal(pb_sess_send(t, &s, 1, "PO", T0), -EPERM);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 1);
	/* the entry survived the drops */
	assert_true(ct_conn_status(s.ct) & CT_S_CONFIRMED);
	ct_table_free(t);
}

/* 5. Another host's address: accepted, no expectation. */
static void test_wrong_address(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,9,9,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(
	    pb_sess_send(t, &s, 0, "227 Entering Passive Mode (10,0,9,9,156,65).\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 0);
	ct_table_free(t);
}

/* 6. Passive FTP: 227 from the server expects the client. */
static void test_passive_v4(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;
	char line[512];

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PASV\r\n", T0), 0);
	assert_int_equal(
	    pb_sess_send(t, &s, 0, "227 Entering Passive Mode (10,0,2,2,156,65).\r\n", T0), 0);
	assert_string_equal(pb_expect_line(t, pb_one_expect(t, T0), T0, line, sizeof(line)),
			    "300 proto=6 src=10.0.1.2 dst=10.0.2.2 sport=0 dport=40001 "
			    "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 "
			    "master-src=10.0.1.2 master-dst=10.0.2.2 sport=40000 dport=21 class=0 "
			    "helper=ftp");
	/* a data connection to another port is not related */
	p = pb_tcp(&k, C4, 45000, S4, 40002, PB_SYN, 1, 0, NULL, 0);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(p->ctinfo, CT_INFO_NEW);
	p = pb_tcp(&k, C4, 45001, S4, 40001, PB_SYN, 1, 0, NULL, 0);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(p->ctinfo, CT_INFO_RELATED);
	assert_true(ct_conn_status(p->ct) & CT_S_EXPECTED);
	ct_table_free(t);
}

/* 7. IPv6: EPRT from the client, EPSV from the server. */
static void test_v6_eprt_epsv(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;
	char line[512];

	(void)state;
	sess6(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "EPRT |2|fd00:1::2|51210|\r\n", T0), 0);
	assert_string_equal(
	    pb_expect_line(t, pb_one_expect(t, T0), T0, line, sizeof(line)),
	    "300 proto=6 src=fd00:2::2 dst=fd00:1::2 sport=0 dport=51210 "
	    "mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 "
	    "master-src=fd00:1::2 master-dst=fd00:2::2 sport=40000 dport=21 class=0 "
	    "helper=ftp");
	assert_int_equal(pb_sess_send(t, &s, 0, "200 EPRT ok\r\n", T0), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "EPSV\r\n", T0), 0);
	assert_int_equal(
	    pb_sess_send(t, &s, 0, "229 Entering Extended Passive Mode (|||40001|)\r\n", T0), 0);
	/* max_expected 1: the EPSV expectation evicted the EPRT one */
	assert_string_equal(
	    pb_expect_line(t, pb_one_expect(t, T0), T0, line, sizeof(line)),
	    "300 proto=6 src=fd00:1::2 dst=fd00:2::2 sport=0 dport=40001 "
	    "mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 "
	    "master-src=fd00:1::2 master-dst=fd00:2::2 sport=40000 dport=21 class=0 "
	    "helper=ftp");
	p = pb_tcp(&k, C6, 45001, S6, 40001, PB_SYN, 1, 0, NULL, 0);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(p->ctinfo, CT_INFO_RELATED);
	ct_table_free(t);
}

/* 8. max_expected = 1: a second PORT evicts the first (DESTROY, then NEW). */
static void test_max_expected(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct pb_sess s;
	char line[512];

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,11\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 1);
	assert_int_equal(log.n_new, 2);
	assert_int_equal(log.n_destroy, 1);
	pb_expect_line(t, pb_one_expect(t, T0), T0, line, sizeof(line));
	assert_non_null(strstr(line, " dport=51211 mask-src="));
	ct_table_free(t);
}

/* 9. No helper: nothing is expected, the data connection is NEW. */
static void test_no_helper(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, NULL, T0), 0);
	assert_null(ct_conn_helper_name(t, s.ct));
	assert_false(ct_conn_status(s.ct) & CT_S_HELPER);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 0);
	p = pb_tcp(&k, S4, 20, C4, 51210, PB_SYN, 777, 0, NULL, 0);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(p->ctinfo, CT_INFO_NEW);
	ct_table_free(t);
}

/* 10. ct_conn_set_helper rules (nft_ct_helper_obj_eval). */
static void test_set_helper_rules(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, NULL, T0), 0);
	/* confirmed: too late */
	assert_int_equal(ct_conn_set_helper(t, s.ct, "ftp", 6), -EINVAL);
	p = pb_udp(&k, C4, 5000, S4, 21, "x", 1);
	assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0), 0);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "sip", 17), -ENOENT);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "ftp", 17), -EPROTONOSUPPORT);
	/* object for tcp, entry is udp: nothing happens */
	assert_int_equal(ct_conn_set_helper(t, p->ct, "ftp", 6), -EINVAL);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "tftp", 17), 0);
	assert_true(ct_conn_status(p->ct) & CT_S_HELPER);
	/* an entry that has a helper is left alone */
	assert_int_equal(ct_conn_set_helper(t, p->ct, "tftp", 17), -EEXIST);
	assert_int_equal(ct_confirm(t, p, T0), 0);
	assert_string_equal(ct_conn_helper_name(t, p->ct), "tftp");
	assert_true(ct_helper_exists("ftp", 6));
	assert_false(ct_helper_exists("ftp", 17));
	assert_true(ct_helper_exists("tftp", 17));
	ct_table_free(t);
}

/* 11. The expectation dies with its master (conn DESTROY, then expectation DESTROY). */
static void test_master_deleted(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(ct_expect_count(t), 1);
	ct_conn_delete(t, s.ct, T0 + SEC);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(log.n_destroy, 1);
	assert_int_equal(strncmp(log.last, "[DESTROY] 299 proto=6 ", 22), 0);
	p = pb_tcp(&k, S4, 20, C4, 51210, PB_SYN, 777, 0, NULL, 0);
	assert_int_equal(pb_run(t, p, T0 + SEC), 0);
	assert_int_equal(p->ctinfo, CT_INFO_NEW);
	ct_table_free(t);
}

/* 12. 300 s lifetime: after it, the data connection is NEW. */
static void test_expiry(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p;

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_non_null(pb_one_expect(t, T0 + 300 * SEC - 1));
	assert_null(pb_one_expect(t, T0 + 300 * SEC));
	p = pb_tcp(&k, S4, 20, C4, 51210, PB_SYN, 777, 0, NULL, 0);
	assert_int_equal(pb_run(t, p, T0 + 300 * SEC), 0);
	assert_int_equal(p->ctinfo, CT_INFO_NEW);
	assert_int_equal(ct_expect_count(t), 0); /* reaped on the way */
	ct_table_free(t);
}

/* 13. The helper reads only ESTABLISHED packets: data in the SYN is ignored. */
static void test_syn_payload_ignored(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_pkt k;
	struct ct_pkt *p;
	const char *cmd = "PORT 10,0,1,2,200,10\r\n";

	(void)state;
	p = pb_tcp(&k, C4, 40000, S4, 21, PB_SYN, 1000, 0, cmd, (uint32_t)strlen(cmd));
	assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0), 0);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "ftp", 6), 0);
	assert_int_equal(ct_confirm(t, p, T0), 0);
	assert_int_equal(ct_expect_count(t), 0);
	ct_table_free(t);
}

/* 14. Sequence adjustment (spec §9.3 [V] snat example: PORT grew by 2 bytes):
 *     the rewritten segment keeps its seq, later client segments leave
 *     with seq + 2, later server segments with ack - 2 (SACK edges too);
 *     the TCP checksum stays valid. */
static void test_seqadj(void **state)
{
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	struct pb_pkt k;
	struct ct_pkt *p, q;
	uint32_t port_seq, sack_l, sack_r;
	uint8_t opt[12] = {1, 1, 5, 10};
	const char *cmd = "PORT 10,0,1,2,156,65\r\n";

	(void)state;
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	port_seq = s.cseq;
	/* what the NAT FTP hook does after rewriting the PORT text */
	ct_seqadj_set(t, s.ct, CT_DIR_ORIGINAL, port_seq, 2);
	assert_true(ct_conn_status(s.ct) & CT_S_SEQ_ADJUST);
	p = pb_tcp(&k, C4, 40000, S4, 21, PB_ACK | PB_PSH, port_seq, s.sseq, cmd,
		   (uint32_t)strlen(cmd));
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(pk_rd32(k.buf + 24), port_seq); /* kept */
	s.cseq += (uint32_t)strlen(cmd);
	p = pb_tcp(&k, C4, 40000, S4, 21, PB_ACK | PB_PSH, s.cseq, s.sseq, "LIST\r\n", 6);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(pk_rd32(k.buf + 24), s.cseq + 2);
	assert_int_equal(pk_rd32(k.buf + 28), s.sseq); /* the server's side did not change */
	assert_int_equal(ct_pkt_parse(&q, k.buf, k.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_true(ct_pkt_l4_csum_ok(&q));
	s.cseq += 6;
	/* the server acks the client; one SACK block above and one below the correction */
	sack_l = port_seq - 10;
	sack_r = s.cseq;
	pk_wr32(opt + 4, sack_l);
	pk_wr32(opt + 8, sack_r);
	p = pb_tcp_opt(&k, S4, 21, C4, 40000, PB_ACK, s.sseq, s.cseq, opt, 12, NULL, 0);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(pk_rd32(k.buf + 24), s.sseq);
	assert_int_equal(pk_rd32(k.buf + 28), s.cseq - 2);
	assert_int_equal(pk_rd32(k.buf + 20 + 24), sack_l);
	assert_int_equal(pk_rd32(k.buf + 20 + 28), sack_r - 2);
	assert_int_equal(ct_pkt_parse(&q, k.buf, k.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_true(ct_pkt_l4_csum_ok(&q));
	assert_int_equal(ct_seqadj_offset(t, s.ct, CT_DIR_ORIGINAL, port_seq), 0);
	assert_int_equal(ct_seqadj_offset(t, s.ct, CT_DIR_ORIGINAL, port_seq + 1), 2);
	/* a second change before the first is passed is ignored; a later one adds up */
	ct_seqadj_set(t, s.ct, CT_DIR_ORIGINAL, port_seq - 100, 5);
	assert_int_equal(ct_seqadj_offset(t, s.ct, CT_DIR_ORIGINAL, port_seq + 1), 2);
	ct_seqadj_set(t, s.ct, CT_DIR_ORIGINAL, s.cseq, -1);
	assert_int_equal(ct_seqadj_offset(t, s.ct, CT_DIR_ORIGINAL, s.cseq), 2);
	assert_int_equal(ct_seqadj_offset(t, s.ct, CT_DIR_ORIGINAL, s.cseq + 1), 1);
	/* a truncated option: the packet is dropped */
	opt[0] = 1, opt[1] = 1, opt[2] = 5, opt[3] = 20;
	p = pb_tcp_opt(&k, S4, 21, C4, 40000, PB_ACK, s.sseq, s.cseq, opt, 12, NULL, 0);
	assert_int_equal(pb_run(t, p, T0), -EPERM);
	ct_table_free(t);
}

/* 15. NAT interplay: with SRC_NAT/DST_NAT on the master, the NAT module's
 *     FTP hook gets the match (text offset and length, the payload offset)
 *     and the expectation to register, in place of the helper; a new entry
 *     from a nat expectation calls follow_master. */
static struct {
	int ftp_calls, follow_calls;
	uint32_t payload_off, off, len;
	struct ct_expect_spec exp;
	const struct ct_conn *master;
	uint16_t saved_l4;
} nat_log;

static enum ct_verdict fake_nat_ftp(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				    uint32_t payload_off, const struct ct_ftp_match *m,
				    struct ct_expect_spec *exp, uint64_t now)
{
	(void)p;
	nat_log.ftp_calls++;
	nat_log.payload_off = payload_off;
	nat_log.off = m->off;
	nat_log.len = m->len;
	nat_log.exp = *exp;
	exp->nat = true;
	exp->nat_dir = CT_DIR_ORIGINAL;
	exp->saved_l4 = m->port;
	return ct_expect_create(t, c, exp, now) == 0 ? CT_V_ACCEPT : CT_V_DROP;
}

static void fake_follow(struct ct_table *t, struct ct_conn *c, const struct ct_conn *master,
			const struct ct_expect_info *e, uint64_t now)
{
	(void)t;
	(void)now;
	assert_true(ct_conn_status(c) & CT_S_EXPECTED);
	nat_log.follow_calls++;
	nat_log.master = master;
	nat_log.saved_l4 = e->saved_l4;
}

static void test_nat_hooks(void **state)
{
	static const struct ct_nat_helper_ops ops = {.ftp = fake_nat_ftp,
						     .follow_master = fake_follow};
	struct ct_table *t = mk_table(NULL);
	struct pb_sess s;
	uint8_t a[16];

	(void)state;
	memset(&nat_log, 0, sizeof(nat_log));
	ct_nat_helper_set(t, &ops);
	sess4(&s);
	assert_int_equal(pb_sess_open(t, &s, "ftp", T0), 0);
	greet(t, &s, T0);
	/* not NATed: the helper registers the expectation itself */
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,10\r\n", T0), 0);
	assert_int_equal(nat_log.ftp_calls, 0);
	assert_int_equal(ct_expect_count(t), 1);
	s.ct->status |= CT_S_SRC_NAT;
	assert_int_equal(pb_sess_send(t, &s, 1, "PORT 10,0,1,2,200,11\r\n", T0), 0);
	assert_int_equal(nat_log.ftp_calls, 1);
	assert_int_equal(nat_log.payload_off, 20 + 20);
	assert_int_equal(nat_log.off, 5);
	assert_int_equal(nat_log.len, 15);
	pb_addr(S4, a);
	assert_memory_equal(nat_log.exp.tuple.src, a, 16);
	pb_addr(C4, a);
	assert_memory_equal(nat_log.exp.tuple.dst, a, 16);
	assert_int_equal(nat_log.exp.tuple.dst_l4, 51211);
	assert_int_equal(nat_log.exp.mask_src_l4, 0);
	{
		struct pb_pkt k;
		struct ct_pkt *p = pb_tcp(&k, S4, 20, C4, 51211, PB_SYN, 1, 0, NULL, 0);

		assert_int_equal(pb_run(t, p, T0), 0);
		assert_int_equal(p->ctinfo, CT_INFO_RELATED);
	}
	assert_int_equal(nat_log.follow_calls, 1);
	assert_ptr_equal(nat_log.master, s.ct);
	assert_int_equal(nat_log.saved_l4, 51211);
	ct_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_port_on_v6),
	    cmocka_unit_test(test_parse_prefixes),
	    cmocka_unit_test(test_active_v4),
	    cmocka_unit_test(test_first_segment_not_parsed),
	    cmocka_unit_test(test_not_after_newline),
	    cmocka_unit_test(test_partial_dropped),
	    cmocka_unit_test(test_wrong_address),
	    cmocka_unit_test(test_passive_v4),
	    cmocka_unit_test(test_v6_eprt_epsv),
	    cmocka_unit_test(test_max_expected),
	    cmocka_unit_test(test_no_helper),
	    cmocka_unit_test(test_set_helper_rules),
	    cmocka_unit_test(test_master_deleted),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_syn_payload_ignored),
	    cmocka_unit_test(test_seqadj),
	    cmocka_unit_test(test_nat_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
