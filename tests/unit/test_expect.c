/* SPDX-License-Identifier: MIT */
/*
 * The expectation table (spec §9.1): creation limits (identical
 * replacement, overlap refusal, max_expected eviction,
 * nf_conntrack_expect_max), matching (mask, zone, INACTIVE, PERMANENT,
 * unconfirmed master, expiry), deletion with the master, GC, flush, events
 * and statistics; the TFTP helper (§9.4); ICMP errors about an expected
 * connection (§6.3).  Masters are real FTP/TFTP control entries made by
 * packets through ct_hook_conntrack / ct_confirm.
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

#define SEC CT_NSEC_PER_SEC
#define T0  (100 * SEC)
#define C4  "10.0.1.2"
#define S4  "10.0.2.2"

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
	struct ct_table_config cfg = {.max = 1024, .exp_event_fn = on_exp, .exp_event_arg = log};
	struct ct_table *t = NULL;

	assert_int_equal(ct_table_new(&cfg, &t), 0);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_events", "1"), 0);
	log->t = t;
	return t;
}

/* An FTP control connection from C4:cport to S4:21 with the ftp helper. */
static struct ct_conn *master(struct ct_table *t, uint16_t cport, const char *helper)
{
	struct pb_sess s = {
	    .cli = C4, .srv = S4, .cport = cport, .sport = 21, .cseq = 1000, .sseq = 5000};

	assert_int_equal(pb_sess_open(t, &s, helper, T0), 0);
	return s.ct;
}

/* "From S4, any port, to C4:dport" (what a PORT from C4 asks for). */
static void spec(struct ct_expect_spec *s, uint16_t dport)
{
	uint8_t src[16], dst[16];

	pb_addr(S4, src);
	pb_addr(C4, dst);
	ct_expect_spec_init(s, 0, 2, src, dst, 6, NULL, dport);
}

/* The data connection's SYN from S4:sport to C4:dport; returns its ctinfo. */
static int data_syn(struct ct_table *t, uint16_t sport, uint16_t dport, uint64_t now,
		    struct ct_conn **out)
{
	struct pb_pkt k;
	struct ct_pkt *p = pb_tcp(&k, S4, sport, C4, dport, PB_SYN, 1, 0, NULL, 0);

	assert_int_equal(pb_run(t, p, now), 0);
	if (out)
		*out = p->ct;
	return p->ctinfo;
}

static const char *line_of(struct ct_table *t, uint64_t now, char *buf, size_t len)
{
	const struct ct_expect *e = pb_one_expect(t, now);

	assert_non_null(e);
	return pb_expect_line(t, e, now, buf, len);
}

/* 1. What an expectation holds and how it is listed. */
static void test_fields(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *m = master(t, 40000, "ftp");
	struct ct_expect_spec s;
	struct ct_expect_info i;
	uint8_t a[16];

	(void)state;
	spec(&s, 51210);
	assert_int_equal(ct_expect_create(t, m, &s, T0), 0);
	ct_expect_get(t, pb_one_expect(t, T0), T0 + SEC / 2, &i);
	pb_addr(S4, a);
	assert_memory_equal(i.tuple.src, a, 16);
	assert_int_equal(i.tuple.src_l4, 0);
	assert_int_equal(i.tuple.dst_l4, 51210);
	assert_int_equal(i.mask.src_l4, 0);
	assert_int_equal(i.mask.dst_l4, 0xffff);
	assert_int_equal(i.mask.src[0] & i.mask.src[3] & i.mask.dst[0] & i.mask.dst[3], 0xff);
	assert_int_equal(i.master.src_l4, 40000);
	assert_int_equal(i.master.dst_l4, 21);
	assert_int_equal(i.timeout_s, 299);
	assert_int_equal(i.class, 0);
	assert_int_equal(i.flags, 0);
	assert_string_equal(i.helper, "ftp");
	assert_ptr_equal(ct_expect_master(pb_one_expect(t, T0)), m);
	assert_int_equal(log.n_new, 1);
	ct_table_free(t);
}

/* 2-8. Creation rules, case by case. */
struct ccase {
	const char *name;
	int second_master; /* 0: same master, 1: another master */
	uint16_t dport2;
	int exact_sport2; /* second expectation: exact source port 1234 */
	int src2_other;	  /* second expectation: from 10.0.3.3 instead of S4 */
	int want;	  /* return of the second create */
	uint32_t count;	  /* expectations afterwards */
	int destroys;	  /* DESTROY events */
};

static const struct ccase ccases[] = {
    /* 1 */ {"identical, same master: replaced", 0, 51210, 0, 0, 0, 1, 1},
    /* 2 */ {"identical, other master: EBUSY", 1, 51210, 0, 0, -EBUSY, 1, 0},
    /* 3 */ {"narrower overlap, other master: EBUSY", 1, 51210, 1, 0, -EBUSY, 1, 0},
    /* 4 */ {"other source, other master: both", 1, 51210, 0, 1, 0, 2, 0},
    /* 5 */ {"other port, other master: both", 1, 51211, 0, 0, 0, 2, 0},
    /* 6 */ {"other port, same master: oldest evicted", 0, 51211, 0, 0, 0, 1, 1},
    /* 7 */ {"narrower, same master: clash before eviction", 0, 51210, 1, 0, -EBUSY, 1, 0},
};

static void test_create_rules(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof(ccases) / sizeof(ccases[0]); n++) {
		const struct ccase *c = &ccases[n];
		struct evlog log = {0};
		struct ct_table *t = mk_table(&log);
		struct ct_conn *m1 = master(t, 40000, "ftp");
		struct ct_conn *m2 = master(t, 40001, "ftp");
		struct ct_expect_spec s;
		uint16_t sp = 1234;
		int r;

		spec(&s, 51210);
		assert_int_equal(ct_expect_create(t, m1, &s, T0), 0);
		spec(&s, c->dport2);
		if (c->exact_sport2) {
			s.tuple.src_l4 = sp;
			s.mask_src_l4 = 0xffff;
		}
		if (c->src2_other)
			pb_addr("10.0.3.3", s.tuple.src);
		r = ct_expect_create(t, c->second_master ? m2 : m1, &s, T0);
		if (r != c->want || ct_expect_count(t) != c->count || log.n_destroy != c->destroys)
			fail_msg("case %zu (%s): r %d count %u destroys %d", n + 1, c->name, r,
				 ct_expect_count(t), log.n_destroy);
		ct_table_free(t);
	}
}

/* 9. Bad requests. */
static void test_create_errors(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *plain = master(t, 40000, NULL);
	struct ct_conn *m = master(t, 40001, "ftp");
	struct ct_expect_spec s;

	(void)state;
	spec(&s, 51210);
	assert_int_equal(ct_expect_create(t, plain, &s, T0), -EOPNOTSUPP);
	s.class = 1; /* the ftp helper has one class */
	assert_int_equal(ct_expect_create(t, m, &s, T0), -EINVAL);
	spec(&s, 51210);
	s.tuple.l3num = 10;
	assert_int_equal(ct_expect_create(t, m, &s, T0), -EINVAL);
	spec(&s, 51210);
	s.assign_helper = "nosuch";
	assert_int_equal(ct_expect_create(t, m, &s, T0), -ENOENT);
	assert_int_equal(ct_expect_count(t), 0);
	ct_table_free(t);
}

/* 10. nf_conntrack_expect_max: the next one is refused; expired ones make room. */
static void test_expect_max(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *m[3];
	struct ct_expect_spec s;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_expect_max", "2"), 0);
	for (int i = 0; i < 3; i++)
		m[i] = master(t, (uint16_t)(40000 + i), "ftp");
	spec(&s, 50000);
	assert_int_equal(ct_expect_create(t, m[0], &s, T0), 0);
	spec(&s, 50001);
	assert_int_equal(ct_expect_create(t, m[1], &s, T0 + 10 * SEC), 0);
	spec(&s, 50002);
	assert_int_equal(ct_expect_create(t, m[2], &s, T0 + 10 * SEC), -EMFILE);
	/* the first expires at T0 + 300 s */
	assert_int_equal(ct_expect_create(t, m[2], &s, T0 + 300 * SEC), 0);
	assert_int_equal(ct_expect_count(t), 2);
	assert_int_equal(log.n_destroy, 1);
	ct_table_free(t);
}

/* 11. Matching: the mask on the source port, the zone, RELATED, EXPECTED,
 *     the master's mark at the time of the match, consumption. */
static void test_match(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *m = master(t, 40000, "ftp");
	struct ct_conn *d;
	struct ct_expect_spec s;
	struct ct_expect_stats st;
	struct pb_pkt k;
	struct ct_pkt *p;

	(void)state;
	spec(&s, 51210);
	s.tuple.src_l4 = 20;
	s.mask_src_l4 = 0xffff;
	assert_int_equal(ct_expect_create(t, m, &s, T0), 0);
	ct_conn_set_mark(m, 7);
	assert_int_equal(data_syn(t, 21, 51210, T0, NULL), CT_INFO_NEW); /* wrong sport */
	assert_int_equal(data_syn(t, 20, 51211, T0, NULL), CT_INFO_NEW); /* wrong dport */
	/* another zone */
	p = pb_tcp(&k, S4, 20, C4, 51210, PB_SYN, 1, 0, NULL, 0);
	ct_pkt_set_zone(p, 5, 3);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(p->ctinfo, CT_INFO_NEW);
	assert_int_equal(ct_expect_count(t), 1);
	assert_int_equal(data_syn(t, 20, 51210, T0, &d), CT_INFO_RELATED);
	assert_true(ct_conn_status(d) & CT_S_EXPECTED);
	assert_int_equal(ct_conn_mark(d), 7);
	assert_int_equal(ct_expect_count(t), 0);
	ct_expect_stats(t, &st);
	assert_int_equal(st.expect_new, 1);
	/* its retransmitted SYN: still RELATED (original direction, no reply) */
	assert_int_equal(data_syn(t, 20, 51210, T0, NULL), CT_INFO_RELATED);
	ct_table_free(t);
}

/* 12. Flags: PERMANENT survives matches, INACTIVE never matches; listing text. */
static void test_flags(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *m = master(t, 40000, "ftp");
	struct ct_expect_spec s;
	char line[512];

	(void)state;
	spec(&s, 51210);
	s.flags = CT_EXP_F_PERMANENT;
	assert_int_equal(ct_expect_create(t, m, &s, T0), 0);
	assert_string_equal(
	    line_of(t, T0, line, sizeof(line)),
	    "300 proto=6 src=10.0.2.2 dst=10.0.1.2 sport=0 dport=51210 "
	    "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 "
	    "master-src=10.0.1.2 master-dst=10.0.2.2 sport=40000 dport=21 PERMANENT "
	    "class=0 helper=ftp");
	assert_int_equal(data_syn(t, 2000, 51210, T0, NULL), CT_INFO_RELATED);
	assert_int_equal(data_syn(t, 2001, 51210, T0, NULL), CT_INFO_RELATED);
	assert_int_equal(ct_expect_count(t), 1);

	spec(&s, 51210);
	s.flags = CT_EXP_F_INACTIVE | CT_EXP_F_USERSPACE;
	assert_int_equal(ct_expect_create(t, m, &s, T0), 0); /* replaces the permanent one */
	assert_non_null(strstr(line_of(t, T0, line, sizeof(line)),
			       " dport=21 INACTIVE,USERSPACE class=0 helper=ftp"));
	assert_int_equal(data_syn(t, 2002, 51210, T0, NULL), CT_INFO_NEW);
	assert_int_equal(ct_expect_count(t), 1);
	ct_table_free(t);
}

/* 13. An unconfirmed master's expectation does not match (nobody could know it). */
static void test_unconfirmed_master(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct pb_pkt k1;
	struct ct_pkt *p1 = pb_tcp(&k1, C4, 40000, S4, 21, PB_SYN, 1000, 0, NULL, 0);
	struct ct_expect_spec s;

	(void)state;
	assert_int_equal(ct_hook_conntrack(t, p1, CT_HOOK_PREROUTING, T0), 0);
	assert_int_equal(ct_conn_set_helper(t, p1->ct, "ftp", 6), 0);
	spec(&s, 51210);
	assert_int_equal(ct_expect_create(t, p1->ct, &s, T0), 0);
	assert_int_equal(data_syn(t, 20, 51210, T0, NULL), CT_INFO_NEW);
	assert_int_equal(ct_expect_count(t), 1); /* not consumed */
	assert_int_equal(ct_confirm(t, p1, T0), 0);
	assert_int_equal(data_syn(t, 21, 51210, T0, NULL), CT_INFO_RELATED);
	ct_table_free(t);
}

/* 14. Lazy expiry, GC, delete, flush, and the master's death. */
static void test_removal(void **state)
{
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *m1 = master(t, 40000, "ftp");
	struct ct_conn *m2 = master(t, 40001, "ftp");
	struct ct_expect_spec s;

	(void)state;
	spec(&s, 50000);
	assert_int_equal(ct_expect_create(t, m1, &s, T0), 0);
	assert_int_equal(ct_gc_all(t, T0 + 299 * SEC), 0);
	assert_int_equal(ct_expect_count(t), 1);
	ct_gc_all(t, T0 + 300 * SEC);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(log.n_destroy, 1);
	assert_int_equal(strncmp(log.last, "[DESTROY] 0 proto=6 ", 20), 0);

	spec(&s, 50001);
	assert_int_equal(ct_expect_create(t, m1, &s, T0), 0);
	spec(&s, 50002);
	assert_int_equal(ct_expect_create(t, m2, &s, T0), 0);
	ct_conn_delete(t, m1, T0);
	assert_int_equal(ct_expect_count(t), 1);
	ct_expect_delete(t, pb_one_expect(t, T0), T0);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(ct_expect_create(t, m2, &s, T0), 0);
	ct_expect_flush(t, T0);
	assert_int_equal(ct_expect_count(t), 0);
	assert_int_equal(log.n_destroy, 4);
	ct_table_free(t);
}

/* 15. TFTP: RRQ expects the server's reply from any port (spec §9.4 [V]). */
static void test_tftp_rrq(void **state)
{
	static const uint8_t rrq[] = {0, 1, 'f', 0, 'o', 'c', 't', 'e', 't', 0};
	static const uint8_t data[] = {0, 3, 0, 1, 'x'};
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct pb_pkt k;
	struct ct_pkt *p;
	struct ct_conn *mc;
	char line[512];

	(void)state;
	p = pb_udp(&k, C4, 34202, S4, 69, rrq, sizeof(rrq));
	assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0), 0);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "tftp", 17), 0);
	assert_int_equal(ct_confirm(t, p, T0), 0);
	mc = p->ct;
	/* [V] proto=17 src=10.0.2.2 dst=10.0.1.2 sport=0 dport=34202 ... helper=tftp */
	assert_string_equal(line_of(t, T0, line, sizeof(line)),
			    "300 proto=17 src=10.0.2.2 dst=10.0.1.2 sport=0 dport=34202 "
			    "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 "
			    "master-src=10.0.1.2 master-dst=10.0.2.2 sport=34202 dport=69 class=0 "
			    "helper=tftp");
	/* a retransmitted RRQ replaces it */
	p = pb_udp(&k, C4, 34202, S4, 69, rrq, sizeof(rrq));
	assert_int_equal(pb_run(t, p, T0 + SEC), 0);
	assert_int_equal(log.n_new, 2);
	assert_int_equal(log.n_destroy, 1);
	/* DATA from a new server port: RELATED, EXPECTED, no helper */
	p = pb_udp(&k, S4, 50001, C4, 34202, data, sizeof(data));
	assert_int_equal(pb_run(t, p, T0 + 2 * SEC), 0);
	assert_int_equal(p->ctinfo, CT_INFO_RELATED);
	assert_true(ct_conn_status(p->ct) & CT_S_EXPECTED);
	assert_ptr_not_equal(p->ct, mc);
	assert_null(ct_conn_helper_name(t, p->ct));
	assert_int_equal(ct_expect_count(t), 0);
	/* the master keeps helper=tftp and stays unreplied */
	assert_string_equal(ct_conn_helper_name(t, mc), "tftp");
	assert_false(ct_conn_status(mc) & CT_S_SEEN_REPLY);
	ct_table_free(t);
}

/* 16. TFTP opcodes: WRQ expects too; DATA, ACK, ERROR and short packets do not. */
static void test_tftp_opcodes(void **state)
{
	static const struct {
		uint8_t pl[4];
		uint32_t len;
		uint32_t want;
	} cases[] = {
	    /* 1 */ {{0, 2, 'f', 0}, 4, 1}, /* WRQ */
	    /* 2 */ {{0, 3, 0, 1}, 4, 0},   /* DATA */
	    /* 3 */ {{0, 4, 0, 1}, 4, 0},   /* ACK */
	    /* 4 */ {{0, 5, 0, 1}, 4, 0},   /* ERROR */
	    /* 5 */ {{0, 1, 0, 0}, 1, 0},   /* one byte: no opcode */
	    /* 6 */ {{1, 1, 0, 0}, 4, 0},   /* opcode 257 */
	    /* 7 */ {{0, 1, 0, 0}, 2, 1},   /* RRQ, bare opcode */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct evlog log = {0};
		struct ct_table *t = mk_table(&log);
		struct pb_pkt k;
		struct ct_pkt *p = pb_udp(&k, C4, 34000, S4, 69, cases[i].pl, cases[i].len);

		assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0), 0);
		assert_int_equal(ct_conn_set_helper(t, p->ct, "tftp", 17), 0);
		assert_int_equal(ct_confirm(t, p, T0), 0);
		if (ct_expect_count(t) != cases[i].want)
			fail_msg("case %zu: %u expectations", i + 1, ct_expect_count(t));
		ct_table_free(t);
	}
}

/* 17. An ICMP error about an expected connection is related to it. */
static void test_icmp_related(void **state)
{
	static const uint8_t rrq[] = {0, 1, 'f', 0, 'o', 'c', 't', 'e', 't', 0};
	static const uint8_t data[] = {0, 3, 0, 1, 'x'};
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct pb_pkt k, dk, ik;
	struct ct_pkt *p;
	struct ct_conn *dc;

	(void)state;
	p = pb_udp(&k, C4, 34200, S4, 69, rrq, sizeof(rrq));
	assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0), 0);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "tftp", 17), 0);
	assert_int_equal(ct_confirm(t, p, T0), 0);
	p = pb_udp(&dk, S4, 50001, C4, 34200, data, sizeof(data));
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_int_equal(p->ctinfo, CT_INFO_RELATED);
	dc = p->ct;
	/* the client answers the DATA with port unreachable */
	p = pb_icmp_err(&ik, C4, S4, 3, 3, &dk);
	assert_non_null(p);
	assert_int_equal(pb_run(t, p, T0), 0);
	assert_ptr_equal(p->ct, dc);
	assert_int_equal(p->ctinfo, CT_INFO_RELATED_REPLY);
	/* the error neither replies nor refreshes */
	assert_false(ct_conn_status(dc) & CT_S_SEEN_REPLY);
	ct_table_free(t);
}

/* 18. The helper's drop when the expectation cannot be added (expect_max 0
 *     is refused by the sysctl, so fill the table from another master). */
static void test_tftp_drop_when_full(void **state)
{
	static const uint8_t rrq[] = {0, 1, 'f', 0};
	struct evlog log = {0};
	struct ct_table *t = mk_table(&log);
	struct ct_conn *m = master(t, 40000, "ftp");
	struct ct_expect_spec s;
	struct pb_pkt k;
	struct ct_pkt *p;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_expect_max", "1"), 0);
	spec(&s, 50000);
	assert_int_equal(ct_expect_create(t, m, &s, T0), 0);
	p = pb_udp(&k, C4, 34200, S4, 69, rrq, sizeof(rrq));
	assert_int_equal(ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, T0), 0);
	assert_int_equal(ct_conn_set_helper(t, p->ct, "tftp", 17), 0);
	assert_int_equal(ct_confirm(t, p, T0), -EPERM);
	assert_null(p->ct);
	/* the dropped packet's new entry is gone */
	assert_null(ct_lookup(t, &p->tuple, T0, NULL));
	ct_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_create_rules),
	    cmocka_unit_test(test_create_errors),
	    cmocka_unit_test(test_expect_max),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_unconfirmed_master),
	    cmocka_unit_test(test_removal),
	    cmocka_unit_test(test_tftp_rrq),
	    cmocka_unit_test(test_tftp_opcodes),
	    cmocka_unit_test(test_icmp_related),
	    cmocka_unit_test(test_tftp_drop_when_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
