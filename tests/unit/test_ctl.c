/* SPDX-License-Identifier: MIT */
/*
 * The control protocol (lib/ctl): wire format byte by byte, the decoder's
 * refusals (numbered cases), and requests applied to a table with the
 * kernel's ctnetlink semantics (EEXIST on an exclusive create, EINVAL
 * without a timeout, EBUSY for EXPECTED or for clearing ASSURED, ENOENT).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/ctl.h"
#include "ctrack/nft.h"

#define SEC CT_NSEC_PER_SEC

/* ---- wire format ---- */

static void test_header_bytes(void **state)
{
	struct ctl_buf b;

	(void)state;
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_COUNT, 0x01020304);
	ctl_put_u8(&b, CTL_A_TABLE, CTL_T_CONNTRACK);
	assert_int_equal(ctl_msg_end(&b), 0);
	/* magic "CT", version 1, type, length 19 (12 + 6 + 1), seq: all big-endian. */
	const uint8_t want[] = {0x43, 0x54, 1, CTL_REQ_COUNT, 0, 0, 0, 19, 1, 2, 3, 4,
				0, CTL_A_TABLE, 0, 0, 0, 1, 0};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	ctl_buf_free(&b);
}

static void mk_tuple(struct ct_tuple *tu, uint8_t a, uint8_t proto, uint16_t sp, uint16_t dp)
{
	memset(tu, 0, sizeof(*tu));
	tu->l3num = 2;
	tu->proto = proto;
	tu->src[0] = a;
	tu->src[3] = 1;
	tu->dst[0] = 2;
	tu->dst[3] = 2;
	tu->src_l4 = sp;
	tu->dst_l4 = dp;
}

static void test_roundtrip(void **state)
{
	struct ctl_buf b;
	struct ctl_msg m;
	struct ct_tuple tu;
	const uint64_t lab[2] = {0x8000000000000001ull, 2};

	(void)state;
	mk_tuple(&tu, 1, 6, 1000, 80);
	tu.zone = 7;
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_CREATE, 9);
	ctl_put_tuple(&b, CTL_A_ORIG, &tu);
	ctl_put_u32(&b, CTL_A_TIMEOUT, 120);
	ctl_put_u32(&b, CTL_A_MARK, 0xdeadbeef);
	ctl_put_u64s(&b, CTL_A_LABELS, lab, 2);
	ctl_put_str(&b, CTL_A_NAME, "nf_conntrack_acct");
	ctl_put_u32(&b, CTL_A_TZ, (uint32_t)-3600);
	assert_int_equal(ctl_msg_end(&b), 0);
	assert_int_equal(ctl_decode(b.data, b.len, &m), 0);
	assert_int_equal(m.type, CTL_REQ_CREATE);
	assert_int_equal(m.seq, 9);
	assert_true(ctl_has(&m, CTL_A_ORIG));
	assert_false(ctl_has(&m, CTL_A_REPLY));
	assert_memory_equal(&m.orig, &tu, sizeof(tu));
	assert_int_equal(m.timeout, 120);
	assert_int_equal(m.mark, 0xdeadbeef);
	assert_true(m.labels[0] == lab[0] && m.labels[1] == lab[1]);
	assert_string_equal(m.name, "nf_conntrack_acct");
	assert_int_equal(m.tz, -3600);
	ctl_buf_free(&b);
}

/* Refusals: each case patches a valid message and expects an error. */
struct bad_case {
	int n;
	size_t at;      /* byte offset to patch (SIZE_MAX: truncate by `val`) */
	uint8_t val;
	int want;
};

static void test_decoder_refusals(void **state)
{
	/* COUNT with TABLE (19 bytes), then a string attr NAME "ab\0" at 19..27. */
	static const struct bad_case cases[] = {
		{1, 0, 0x00, -EBADMSG},             /* bad magic */
		{2, 2, 2, -EPROTONOSUPPORT},        /* other version */
		{3, 3, 200, -EOPNOTSUPP},           /* unknown type */
		{4, 7, 0xff, -EBADMSG},             /* length disagrees with buffer */
		{5, 4, 0x7f, -EBADMSG},             /* length over CTL_MSG_MAX */
		{6, 13, 99, -EINVAL},               /* unknown attribute */
		{7, 13, 0, -EINVAL},                /* attribute 0 */
		{8, 16, 1, -EBADMSG},               /* attribute longer than the message */
		{9, 18, 9, -EINVAL},                /* table out of range */
		{10, 27, 'c', -EINVAL},             /* string not NUL-terminated */
		{11, 25, 0, -EINVAL},               /* NUL inside a string */
		{12, SIZE_MAX, 1, -EBADMSG},        /* truncated by one byte */
		{13, 20, CTL_A_TABLE, -EINVAL},     /* duplicate attribute (and wrong size) */
		{14, 24, 1, -EINVAL},               /* string cut short: no NUL (patched below) */
	};
	struct ctl_buf b;

	(void)state;
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_COUNT, 1);
	ctl_put_u8(&b, CTL_A_TABLE, 0);
	ctl_put_str(&b, CTL_A_NAME, "ab");
	assert_int_equal(ctl_msg_end(&b), 0);
	assert_int_equal(b.len, 28);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t m[64];
		size_t len = b.len;
		struct ctl_msg out;
		int rc;

		memcpy(m, b.data, b.len);
		if (cases[i].at == SIZE_MAX)
			len -= cases[i].val;
		else
			m[cases[i].at] = cases[i].val;
		if (cases[i].n == 14) {
			/* NAME attribute declared 1 byte long: "a" without NUL. */
			m[24] = 1;
			m[7] = 26;
			len = 26;
		}
		rc = ctl_decode(m, len, &out);
		if (rc != cases[i].want)
			fail_msg("case %d: got %d want %d", cases[i].n, rc, cases[i].want);
	}
	ctl_buf_free(&b);
}

static void test_frame(void **state)
{
	const uint8_t hdr[12] = {0x43, 0x54, 1, 1, 0, 0, 0, 12, 0, 0, 0, 0};
	uint32_t n = 0;

	(void)state;
	assert_int_equal(ctl_frame(hdr, 11, &n), -EAGAIN);
	assert_int_equal(ctl_frame(hdr, 12, &n), 0);
	assert_int_equal(n, 12);
	uint8_t small[12];
	memcpy(small, hdr, 12);
	small[7] = 11; /* shorter than a header */
	assert_int_equal(ctl_frame(small, 12, &n), -EBADMSG);
}

static void test_ipv4_tuple_must_be_canonical(void **state)
{
	struct ctl_buf b;
	struct ctl_msg m;
	struct ct_tuple tu;

	(void)state;
	mk_tuple(&tu, 1, 17, 1, 2);
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_GET, 1);
	ctl_put_tuple(&b, CTL_A_ORIG, &tu);
	assert_int_equal(ctl_msg_end(&b), 0);
	b.data[CTL_HDR_LEN + CTL_ATTR_HDR_LEN + 4 + 10] = 1; /* junk after the IPv4 source */
	assert_int_equal(ctl_decode(b.data, b.len, &m), -EINVAL);
	b.data[CTL_HDR_LEN + CTL_ATTR_HDR_LEN + 4 + 10] = 0;
	b.data[CTL_HDR_LEN + CTL_ATTR_HDR_LEN] = 7; /* l3num 7 */
	assert_int_equal(ctl_decode(b.data, b.len, &m), -EAFNOSUPPORT);
	ctl_buf_free(&b);
}

/* ---- requests against a table ---- */

struct fx {
	struct ct_table *t;
	struct nft_ruleset *rs;
	struct ctl_server s;
	struct ctl_buf req, out;
	int events;
};

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct fx *f = arg;

	(void)type;
	(void)c;
	(void)now;
	f->events++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ct_table_config cfg = {.max = 16, .event_fn = on_event};

	cfg.event_arg = f;
	if (!f || ct_table_new(&cfg, &f->t) || nft_ruleset_new(NULL, &f->rs))
		return -1;
	f->s.t = f->t;
	f->s.rs = f->rs;
	f->s.now = 10 * SEC;
	f->s.wall_now = 1700000000ull * SEC;
	ctl_buf_init(&f->req);
	ctl_buf_init(&f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ctl_buf_free(&f->req);
	ctl_buf_free(&f->out);
	nft_ruleset_free(f->rs);
	ct_table_free(f->t);
	free(f);
	return 0;
}

/* Run the request built in f->req; returns the errno of ERROR or 0 for DONE; *n_entries. */
static int run(struct fx *f, int *n_entries, struct ctl_msg *last_entry, struct ctl_msg *done)
{
	struct ctl_msg m;
	size_t off = 0;
	int ents = 0, rc = -1;

	assert_int_equal(ctl_msg_end(&f->req), 0);
	assert_int_equal(ctl_decode(f->req.data, f->req.len, &m), 0);
	ctl_buf_reset(&f->out);
	assert_int_equal(ctl_handle(&f->s, &m, &f->out), 0);
	while (off < f->out.len) {
		struct ctl_msg r;
		uint32_t n;

		assert_int_equal(ctl_frame(f->out.data + off, f->out.len - off, &n), 0);
		assert_int_equal(ctl_decode(f->out.data + off, n, &r), 0);
		assert_int_equal(r.seq, m.seq);
		if (r.type == CTL_REP_ENTRY) {
			ents++;
			if (last_entry)
				*last_entry = r;
		} else if (r.type == CTL_REP_DONE) {
			rc = 0;
			if (done)
				*done = r;
		} else if (r.type == CTL_REP_ERROR) {
			rc = (int)r.err;
		}
		off += n;
	}
	if (n_entries)
		*n_entries = ents;
	ctl_buf_reset(&f->req);
	return rc;
}

static void req_create(struct fx *f, uint8_t a, bool excl, bool timeout, uint32_t status)
{
	struct ct_tuple tu;

	mk_tuple(&tu, a, 6, 10, 20);
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 5);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	if (timeout)
		ctl_put_u32(&f->req, CTL_A_TIMEOUT, 120);
	ctl_put_u32(&f->req, CTL_A_STATUS, status);
	ctl_put_u32(&f->req, CTL_A_MARK, 42);
	ctl_put_u8(&f->req, CTL_A_PSTATE, CT_TCP_ESTABLISHED);
	ctl_put_u32(&f->req, CTL_A_FLAGS, excl ? CTL_F_EXCL : 0);
}

static void test_create_get_list(void **state)
{
	struct fx *f = *state;
	struct ctl_msg e;
	struct ct_tuple tu;
	int n;

	req_create(f, 1, true, true, CT_S_ASSURED | CT_S_SEEN_REPLY);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(ct_table_count(f->t), 1);
	/* 2: exclusive create of a taken tuple */
	req_create(f, 1, true, true, 0);
	assert_int_equal(run(f, &n, NULL, NULL), EEXIST);
	/* 3: no timeout */
	req_create(f, 3, true, false, 0);
	assert_int_equal(run(f, &n, NULL, NULL), EINVAL);
	/* 4: EXPECTED cannot be set by a client (kernel: EBUSY) */
	req_create(f, 4, true, true, CT_S_EXPECTED);
	assert_int_equal(run(f, &n, NULL, NULL), EBUSY);
	/* 5: OFFLOAD is silently ignored */
	req_create(f, 5, true, true, CT_S_OFFLOAD);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(ct_table_count(f->t), 2);

	mk_tuple(&tu, 1, 6, 10, 20);
	ctl_msg_begin(&f->req, CTL_REQ_GET, 6);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	assert_int_equal(run(f, &n, &e, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e.mark, 42);
	assert_int_equal(e.timeout, 120);
	assert_int_equal(e.pstate, CT_TCP_ESTABLISHED);
	assert_true(e.status & CT_S_ASSURED);

	ctl_msg_begin(&f->req, CTL_REQ_LIST, 7);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(n, 2);
	ctl_msg_begin(&f->req, CTL_REQ_LIST, 8);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(n, 0);
}


/*
 * SCTP protocol info is all or nothing (kernel nlattr_to_sctp), and NAT
 * given on create rewrites the reply tuple as a single-address
 * nf_nat_setup_info does, with a null binding for the other manipulation.
 */
static void test_sctp_tags_and_nat_create(void **state)
{
	struct fx *f = *state;
	struct ct_tuple tu;
	struct ctl_msg e;
	uint32_t tags[2] = {0x01020304, 0xa0b0c0d0};
	struct ctl_nat sn = {.addr = {5, 5, 5, 5}, .port = 99, .port_set = true};
	struct ctl_nat dn = {.addr = {6, 6, 6, 6}};
	int n;

	/* 1: SCTP state without tags: EINVAL */
	mk_tuple(&tu, 1, 132, 7, 8);
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 1);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 90);
	ctl_put_u8(&f->req, CTL_A_PSTATE, CT_SCTP_ESTABLISHED);
	assert_int_equal(run(f, &n, NULL, NULL), EINVAL);
	/* 2: with both tags: stored and reported */
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 2);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 90);
	ctl_put_u8(&f->req, CTL_A_PSTATE, CT_SCTP_ESTABLISHED);
	ctl_put_u32s(&f->req, CTL_A_VTAGS, tags, 2);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_GET, 3);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	assert_int_equal(run(f, &n, &e, NULL), 0);
	assert_true(ctl_has(&e, CTL_A_VTAGS));
	assert_int_equal(e.vtags[0], tags[0]);
	assert_int_equal(e.vtags[1], tags[1]);
	/* 3: an update with tags but no state: EINVAL, entry unchanged */
	ctl_msg_begin(&f->req, CTL_REQ_UPDATE, 4);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32s(&f->req, CTL_A_VTAGS, tags, 2);
	assert_int_equal(run(f, &n, NULL, NULL), EINVAL);

	/* 4: source NAT with a port, destination NAT without: reply tuple and bits */
	mk_tuple(&tu, 9, 6, 1000, 80);
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 5);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 90);
	ctl_put_nat(&f->req, CTL_A_SNAT, &sn);
	ctl_put_nat(&f->req, CTL_A_DNAT, &dn);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_GET, 6);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	assert_int_equal(run(f, &n, &e, NULL), 0);
	assert_memory_equal(e.reply.src, dn.addr, 4);
	assert_int_equal(e.reply.src_l4, 80); /* no port given: kept */
	assert_memory_equal(e.reply.dst, sn.addr, 4);
	assert_int_equal(e.reply.dst_l4, 99);
	assert_int_equal(e.status & (CT_S_SRC_NAT | CT_S_DST_NAT | CT_S_SRC_NAT_DONE |
				     CT_S_DST_NAT_DONE),
			 CT_S_SRC_NAT | CT_S_DST_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	/* 5: source NAT only: the destination gets a null binding (DONE alone) */
	mk_tuple(&tu, 10, 17, 1000, 53);
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 7);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 90);
	ctl_put_nat(&f->req, CTL_A_SNAT, &dn);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_GET, 8);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	assert_int_equal(run(f, &n, &e, NULL), 0);
	assert_int_equal(e.status & (CT_S_SRC_NAT | CT_S_DST_NAT | CT_S_SRC_NAT_DONE |
				     CT_S_DST_NAT_DONE),
			 CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	assert_int_equal(e.reply.dst_l4, 1000);
	/* 6: a NAT attribute with a bad port flag is refused by the decoder */
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 9);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_nat(&f->req, CTL_A_SNAT, &dn);
	assert_int_equal(ctl_msg_end(&f->req), 0);
	f->req.data[f->req.len - 2] = 2;
	{
		struct ctl_msg m;

		assert_int_equal(ctl_decode(f->req.data, f->req.len, &m), -EINVAL);
	}
	ctl_buf_reset(&f->req);
}

/* The expect table: empty answers, and -I expect as the kernel answers it. */
static void test_expect_requests(void **state)
{
	struct fx *f = *state;
	struct ct_tuple tu, et, em;
	struct ctl_msg d;
	int n;

	/* 1: list, count and stats of an empty expect table */
	ctl_msg_begin(&f->req, CTL_REQ_LIST, 1);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(n, 0);
	ctl_msg_begin(&f->req, CTL_REQ_COUNT, 2);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	assert_int_equal(run(f, &n, NULL, &d), 0);
	assert_true(ctl_has(&d, CTL_A_VALUE));
	assert_int_equal(d.value, 0);
	/* 2: create for a master that does not exist: ENOENT */
	mk_tuple(&tu, 1, 6, 10, 20);
	mk_tuple(&et, 1, 6, 0, 3000);
	memset(&em, 0, sizeof(em));
	em.l3num = 2;
	memset(em.src, 0xff, 4);
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 3);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_tuple(&f->req, CTL_A_EXP_TUPLE, &et);
	ctl_put_tuple(&f->req, CTL_A_EXP_MASK, &em);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 60);
	assert_int_equal(run(f, &n, NULL, NULL), ENOENT);
	/* 3: the master exists but has no helper: EOPNOTSUPP (kernel answer) */
	req_create(f, 1, true, true, 0);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 4);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_tuple(&f->req, CTL_A_EXP_TUPLE, &et);
	ctl_put_tuple(&f->req, CTL_A_EXP_MASK, &em);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 60);
	assert_int_equal(run(f, &n, NULL, NULL), EOPNOTSUPP);
	/* 4: missing expected tuple or mask: EINVAL */
	ctl_msg_begin(&f->req, CTL_REQ_CREATE, 5);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	assert_int_equal(run(f, &n, NULL, NULL), EINVAL);
	/* 5: get and delete of nothing: ENOENT; update: not for expectations */
	ctl_msg_begin(&f->req, CTL_REQ_GET, 6);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &et);
	assert_int_equal(run(f, &n, NULL, NULL), ENOENT);
	ctl_msg_begin(&f->req, CTL_REQ_DELETE, 7);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_tuple(&f->req, CTL_A_EXP_TUPLE, &et);
	assert_int_equal(run(f, &n, NULL, NULL), ENOENT);
	ctl_msg_begin(&f->req, CTL_REQ_UPDATE, 8);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &et);
	assert_int_equal(run(f, &n, NULL, NULL), EOPNOTSUPP);
	/* 6: flush and stats answer DONE / STATS+DONE */
	ctl_msg_begin(&f->req, CTL_REQ_FLUSH, 9);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_STATS, 10);
	ctl_put_u8(&f->req, CTL_A_TABLE, CTL_T_EXPECT);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	/* the connection table is untouched by all of it */
	assert_int_equal(ct_table_count(f->t), 1);
}

static void test_update_delete(void **state)
{
	struct fx *f = *state;
	struct ct_tuple tu;
	struct ctl_msg e;
	int n, ev;

	req_create(f, 1, true, true, CT_S_ASSURED | CT_S_SEEN_REPLY);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	mk_tuple(&tu, 1, 6, 10, 20);

	/* clearing ASSURED is refused and changes nothing */
	ctl_msg_begin(&f->req, CTL_REQ_UPDATE, 1);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_STATUS, CT_S_CONFIRMED | CT_S_SEEN_REPLY);
	ctl_put_u32(&f->req, CTL_A_MARK, 7);
	assert_int_equal(run(f, &n, NULL, NULL), EBUSY);

	ev = f->events;
	ctl_msg_begin(&f->req, CTL_REQ_UPDATE, 2);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_MARK, 7);
	ctl_put_u32(&f->req, CTL_A_TIMEOUT, 300);
	assert_int_equal(run(f, &n, &e, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e.mark, 7);
	assert_int_equal(e.timeout, 300);
	assert_int_equal(f->events, ev + 1); /* one UPDATE event */

	/* a wrong id does not name the entry */
	ctl_msg_begin(&f->req, CTL_REQ_DELETE, 3);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	ctl_put_u32(&f->req, CTL_A_ID, e.id + 1);
	assert_int_equal(run(f, &n, NULL, NULL), ENOENT);
	/* delete by the reply tuple */
	ctl_msg_begin(&f->req, CTL_REQ_DELETE, 4);
	ctl_put_tuple(&f->req, CTL_A_REPLY, &e.reply);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(ct_table_count(f->t), 0);
	ctl_msg_begin(&f->req, CTL_REQ_DELETE, 5);
	ctl_put_tuple(&f->req, CTL_A_ORIG, &tu);
	assert_int_equal(run(f, &n, NULL, NULL), ENOENT);
}

static void test_expiry_flush_count(void **state)
{
	struct fx *f = *state;
	struct ctl_msg d;
	int n;

	req_create(f, 1, true, true, 0);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	req_create(f, 2, true, true, 0);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_COUNT, 1);
	assert_int_equal(run(f, &n, NULL, &d), 0);
	assert_int_equal(d.value, 2);
	/* 120 s later both have expired: the listing is empty */
	f->s.now += 121 * SEC;
	ctl_msg_begin(&f->req, CTL_REQ_LIST, 2);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(n, 0);
	f->s.now -= 121 * SEC;
	ctl_msg_begin(&f->req, CTL_REQ_FLUSH, 3);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	assert_int_equal(ct_table_count(f->t), 0);
}

static void test_settings_and_ruleset(void **state)
{
	struct fx *f = *state;
	struct ctl_msg d;
	const char *rs = "table ip filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tct state established accept\n\t}\n}\n";
	int n;

	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 1);
	ctl_put_str(&f->req, CTL_A_NAME, "net.netfilter.nf_conntrack_acct");
	ctl_put_str(&f->req, CTL_A_TEXT, "1");
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_GET, 2);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_acct");
	assert_int_equal(run(f, &n, NULL, &d), 0);
	assert_int_equal(d.value, 1);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_GET, 3);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_no_such_thing");
	assert_int_equal(run(f, &n, NULL, NULL), ENOENT);
	/* max: writable (the kernel's initial netns) up to the pool (16 here) */
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_max");
	ctl_put_str(&f->req, CTL_A_TEXT, "5");
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_GET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "net.netfilter.nf_conntrack_max");
	assert_int_equal(run(f, &n, NULL, &d), 0);
	assert_int_equal(d.value, 5);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_max");
	ctl_put_str(&f->req, CTL_A_TEXT, "17");
	assert_int_equal(run(f, &n, NULL, NULL), ENOSPC);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_max");
	ctl_put_str(&f->req, CTL_A_TEXT, "0");
	assert_int_equal(run(f, &n, NULL, NULL), ENOSPC);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_max");
	ctl_put_str(&f->req, CTL_A_TEXT, "x");
	assert_int_equal(run(f, &n, NULL, NULL), EINVAL);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_buckets");
	ctl_put_str(&f->req, CTL_A_TEXT, "5");
	assert_int_equal(run(f, &n, NULL, NULL), EPERM);
	/* count: the table's size, read-only */
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_GET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "net.netfilter.nf_conntrack_count");
	assert_int_equal(run(f, &n, NULL, &d), 0);
	assert_int_equal(d.value, 0);
	ctl_msg_begin(&f->req, CTL_REQ_SETTING_SET, 4);
	ctl_put_str(&f->req, CTL_A_NAME, "nf_conntrack_count");
	ctl_put_str(&f->req, CTL_A_TEXT, "5");
	assert_int_equal(run(f, &n, NULL, NULL), EPERM);

	ctl_msg_begin(&f->req, CTL_REQ_RULESET_APPLY, 5);
	ctl_put_str(&f->req, CTL_A_TEXT, rs);
	assert_int_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_RULESET_APPLY, 6);
	ctl_put_str(&f->req, CTL_A_TEXT, "add rule ip filter nosuchchain accept\n");
	assert_int_not_equal(run(f, &n, NULL, NULL), 0);
	ctl_msg_begin(&f->req, CTL_REQ_RULESET_LIST, 7);
	assert_int_equal(run(f, &n, NULL, &d), 0);
	assert_non_null(d.text);
	assert_non_null(strstr(d.text, "ct state established accept"));
}

static void test_subscribe_is_the_daemons(void **state)
{
	struct fx *f = *state;
	int n;

	ctl_msg_begin(&f->req, CTL_REQ_SUBSCRIBE, 1);
	assert_int_equal(run(f, &n, NULL, NULL), EOPNOTSUPP);
	ctl_msg_begin(&f->req, CTL_REP_DONE, 2); /* a reply sent as a request */
	assert_int_equal(run(f, &n, NULL, NULL), EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decoder_refusals),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_ipv4_tuple_must_be_canonical),
		cmocka_unit_test_setup_teardown(test_create_get_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sctp_tags_and_nat_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_flush_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_and_ruleset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_is_the_daemons, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
