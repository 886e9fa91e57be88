/* SPDX-License-Identifier: MIT */
/*
 * ct_defrag: numbered scenarios of fragments fed in a given order, with
 * the result expected at each step from the kernel's reassembly rules
 * (spec §2.3; RFC 791, RFC 8200 §4.5, RFC 5722), plus timeouts, memory
 * pressure, ECN/DF merging, the listing of original frames, and a property
 * test (random fragmentation, order and duplicates always reassemble to the
 * original bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "pkt_build.h"

#define SEC CT_NSEC_PER_SEC

static const uint8_t SRC4[4] = {10, 0, 0, 1}, DST4[4] = {10, 0, 0, 2};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* ---- datagrams: UDP 4000 -> 5000 with a checksum over the whole datagram ---- */

static uint8_t dg[70000];

static void make_udp(uint32_t n, bool v6, uint32_t seed)
{
	uint32_t sum;

	assert_true(n >= 8 && n <= sizeof(dg));
	pk_wr16(dg, 4000);
	pk_wr16(dg + 2, 5000);
	pk_wr16(dg + 4, n <= 0xffff ? n : 0);
	pk_wr16(dg + 6, 0);
	for (uint32_t i = 8; i < n; i++)
		dg[i] = (uint8_t)(i * 7 + seed);
	sum = v6 ? ct_csum_partial(SRC6, 16, 0) : ct_csum_partial(SRC4, 4, 0);
	sum = v6 ? ct_csum_partial(DST6, 16, sum) : ct_csum_partial(DST4, 4, sum);
	sum += 17 + (n >> 16) + (n & 0xffff);
	sum = ct_csum_partial(dg, n, sum);
	pk_wr16(dg + 6, ct_csum_fold(sum) ? ct_csum_fold(sum) : 0xffff);
}

/* ---- fragment frames ---- */

struct frame {
	uint8_t b[2048];
	uint32_t n;
	uint32_t l3;
};

struct f4opt {
	uint16_t id;
	uint8_t tos;
	bool df;
	uint8_t proto;
	bool vlan; /* Ethernet + 802.1Q; else raw */
};

/* IPv4 fragment carrying dg[off, off + len). */
static void frag4(struct frame *f, uint32_t off, uint32_t len, bool mf, const struct f4opt *o)
{
	uint8_t *ip;
	uint16_t c;

	memset(f, 0, sizeof(*f));
	if (o->vlan) {
		static const uint8_t eth[18] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2,
						0x81, 0, 0, 42, 0x08, 0};
		memcpy(f->b, eth, sizeof(eth));
		f->l3 = sizeof(eth);
	}
	ip = f->b + f->l3;
	ip[0] = 0x45;
	ip[1] = o->tos;
	pk_wr16(ip + 2, 20 + len);
	pk_wr16(ip + 4, o->id);
	pk_wr16(ip + 6, (o->df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | off / 8);
	ip[8] = 64;
	ip[9] = o->proto ? o->proto : 17;
	memcpy(ip + 12, SRC4, 4);
	memcpy(ip + 16, DST4, 4);
	c = ct_csum_fold(ct_csum_partial(ip, 20, 0));
	pk_wr16(ip + 10, c);
	assert_true(f->l3 + 20 + len <= sizeof(f->b));
	memcpy(ip + 20, dg + off, len);
	f->n = f->l3 + 20 + len;
}

struct f6opt {
	uint32_t id;
	uint8_t tc;
	bool dst_hdr; /* a destination options header before the fragment header */
};

static void frag6(struct frame *f, uint32_t off, uint32_t len, bool m, const struct f6opt *o)
{
	uint8_t *ip = f->b, *h;
	uint32_t ext = o->dst_hdr ? 16 : 8;

	memset(f, 0, sizeof(*f));
	ip[0] = (uint8_t)(0x60 | o->tc >> 4);
	ip[1] = (uint8_t)(o->tc << 4);
	pk_wr16(ip + 4, ext + len);
	ip[6] = o->dst_hdr ? 60 : 44;
	ip[7] = 64;
	memcpy(ip + 8, SRC6, 16);
	memcpy(ip + 24, DST6, 16);
	h = ip + 40;
	if (o->dst_hdr) {
		h[0] = 44; /* -> fragment */
		h[1] = 0;
		h[2] = 1; /* PadN 4 */
		h[3] = 4;
		h += 8;
	}
	h[0] = 17;
	pk_wr16(h + 2, off | (m ? 1 : 0));
	h[4] = (uint8_t)(o->id >> 24);
	h[5] = (uint8_t)(o->id >> 16);
	h[6] = (uint8_t)(o->id >> 8);
	h[7] = (uint8_t)o->id;
	assert_true(40 + ext + len <= sizeof(f->b));
	memcpy(h + 8, dg + off, len);
	f->n = 40 + ext + len;
}

static enum ct_defrag_result feed(struct ct_defrag *d, const struct frame *f, uint64_t now,
				  struct ct_pkt **out)
{
	static struct ct_pkt p; /* the defrag copies what it keeps */
	enum ct_parse_result r;

	p.wire_len = 0;
	r = ct_pkt_parse(&p, f->b, f->n, f->l3 ? CT_LINK_ETHERNET : CT_LINK_RAW);
	assert_int_equal(r, CT_PARSE_OK);
	return ct_defrag_feed(d, &p, now, out);
}

/* The reassembled datagram carries exactly dg[0, n) after its IP header(s). */
static void check_dgram(const struct ct_pkt *o, bool v6, uint32_t n)
{
	assert_non_null(o);
	assert_int_equal(o->link, CT_LINK_RAW);
	assert_false(o->is_frag);
	assert_int_equal(o->proto, 17);
	assert_int_equal(o->l3num, v6 ? 10 : 2);
	assert_int_equal(o->l3_len, (v6 ? 40 : 20) + n);
	assert_int_equal(o->l4_len, n);
	assert_int_equal(o->frag_hdr_off, 0);
	assert_memory_equal(o->data + o->l4_off, dg, n);
	assert_int_equal(o->tuple.src_l4, 4000);
	assert_int_equal(o->tuple.dst_l4, 5000);
	assert_int_equal(o->l4_bad, CT_L4_OK);
	assert_true(ct_pkt_l4_csum_ok(o));
	if (!v6) {
		assert_int_equal(o->data[6] & 0x3f, 0); /* MF and offset cleared */
		assert_int_equal(ct_csum_fold(ct_csum_partial(o->data, 20, 0)), 0);
	} else {
		assert_int_equal(o->data[6], 17); /* fragment header removed */
	}
}

/* ---- scenario tables ---- */

enum want {
	H = CT_DEFRAG_HELD,
	C = CT_DEFRAG_COMPLETE,
	D = CT_DEFRAG_DROP, /* this fragment only */
	P = CT_DEFRAG_PASS,
	K = 10,             /* DROP, and the whole datagram is discarded */
};

struct step {
	uint32_t off, len;
	bool more;
	int want;
};

struct scen {
	int id;
	const char *name;
	uint32_t dglen;
	struct step s[8];
};

#define M true
#define L false

static const struct scen scen4[] = {
	{1, "in order", 24, {{0, 8, M, H}, {8, 8, M, H}, {16, 8, L, C}}},
	{2, "reverse order", 24, {{16, 8, L, H}, {8, 8, M, H}, {0, 8, M, C}}},
	{3, "middle first", 24, {{8, 8, M, H}, {16, 8, L, H}, {0, 8, M, C}}},
	{4, "exact duplicate", 24, {{0, 8, M, H}, {0, 8, M, D}, {8, 8, M, H}, {16, 8, L, C}}},
	{5, "duplicate spanning one run", 24,
	 {{0, 8, M, H}, {8, 8, M, H}, {0, 16, M, D}, {16, 8, L, C}}},
	/* [8,16) then [0,8) are two runs: [0,16) overlaps, datagram discarded;
	 * (16,8) then starts a fresh queue, proven by [0,8) being held again. */
	{6, "same bytes, two runs: overlap", 24,
	 {{8, 8, M, H}, {0, 8, M, H}, {0, 16, M, K}, {16, 8, L, H}, {0, 8, M, H}, {8, 8, M, C}}},
	{7, "partial overlap with the tail", 24,
	 {{0, 16, M, H}, {8, 16, L, K}, {16, 8, L, H}, {0, 16, M, C}}},
	{8, "second last fragment with another end", 32,
	 {{0, 8, M, H}, {16, 8, L, H}, {24, 8, L, K}, {0, 8, M, H}}},
	{9, "fragment beyond the last", 24, {{16, 8, L, H}, {24, 8, M, K}, {16, 8, L, H}}},
	{10, "last fragment ends before data held", 24,
	 {{16, 8, M, H}, {8, 8, L, K}, {16, 8, M, H}}},
	{11, "empty fragment", 24, {{0, 8, M, H}, {8, 0, M, K}, {0, 8, M, H}}},
	{12, "non-last trimmed to 8 bytes", 24, {{0, 13, M, H}, {8, 16, L, C}}},
	{13, "non-last shorter than 8: empty after trim", 24, {{0, 8, M, H}, {8, 5, M, K}}},
	{14, "duplicate of the last", 24,
	 {{16, 8, L, H}, {16, 8, L, D}, {0, 8, M, H}, {8, 8, M, C}}},
	{15, "overlap into the next run", 32,
	 {{24, 8, L, H}, {8, 8, M, H}, {0, 8, M, H}, {8, 24, M, K}}},
	{16, "MF=0 offset 0 is not a fragment", 24, {{0, 24, L, P}}},
	{17, "contained in a longer earlier fragment", 40,
	 {{0, 32, M, H}, {8, 8, M, D}, {32, 8, L, C}}},
};

static const struct scen scen6[] = {
	{101, "in order", 3000, {{0, 1232, M, H}, {1232, 1232, M, H}, {2464, 536, L, C}}},
	{102, "reverse", 3000, {{2464, 536, L, H}, {1232, 1232, M, H}, {0, 1232, M, C}}},
	{103, "overlap discards the datagram (RFC 5722)", 3000,
	 {{0, 1232, M, H}, {1224, 1232, M, K}, {0, 1232, M, H}}},
	{104, "exact duplicate ignored", 3000,
	 {{1232, 1232, M, H}, {1232, 1232, M, D}, {0, 1232, M, H}, {2464, 536, L, C}}},
	/* conntrack's defrag takes non-last fragments below 1280 bytes (kdiff [V]) */
	{105, "small non-last fragments reassembled", 2000, {{0, 1000, M, H}, {1000, 1000, L, C}}},
	{106, "non-last not a multiple of 8: passes, queue gone", 3000,
	 {{0, 1232, M, H}, {1232, 1233, M, P}, {0, 1232, M, H}}},
	{107, "second last with another end: only it dropped", 3000,
	 {{0, 1232, M, H}, {2464, 536, L, H}, {2464, 600, L, D}, {1232, 1232, M, C}}},
	{108, "first fragment without its UDP header passes", 3000, {{0, 4, M, P}}},
	{109, "atomic fragment", 100, {{0, 100, L, C}}},
	{110, "fragment beyond the last dropped", 3000,
	 {{2464, 536, L, H}, {3000, 1232, M, D}, {0, 1232, M, H}, {1232, 1232, M, C}}},
	{111, "empty last fragment", 3000, {{0, 1232, M, H}, {1232, 0, L, D}, {0, 1232, M, D}}},
};

static void run_scen(const struct scen *sc, bool v6)
{
	struct ct_defrag *d;
	struct frame fr[8];
	int held[8], nheld = 0;

	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	make_udp(sc->dglen, v6, (uint32_t)sc->id);
	for (int i = 0; i < 8 && (sc->s[i].len || sc->s[i].want); i++) {
		const struct step *st = &sc->s[i];
		struct f4opt o4 = {.id = 77, .vlan = (i & 1) != 0};
		struct f6opt o6 = {.id = 0x10000 + 77};
		struct ct_pkt *out = (struct ct_pkt *)1;
		enum ct_defrag_result r;
		int want = st->want == K ? D : st->want;

		if (v6)
			frag6(&fr[i], st->off, st->len, st->more, &o6);
		else
			frag4(&fr[i], st->off, st->len, st->more, &o4);
		r = feed(d, &fr[i], (uint64_t)i * SEC, &out);
		if ((int)r != want)
			fail_msg("case %d (%s) step %d: result %d, want %d", sc->id, sc->name, i, r,
				 want);
		if (st->want == K)
			nheld = 0;
		if (r == CT_DEFRAG_HELD)
			held[nheld++] = i;
		if (r != CT_DEFRAG_COMPLETE) {
			assert_null(out);
			continue;
		}
		held[nheld++] = i;
		check_dgram(out, v6, sc->dglen);
		/* The originals, by offset: exactly the frames we kept. */
		const uint8_t *const *frames;
		const uint32_t *lens;
		size_t n = ct_defrag_fragments(d, &frames, &lens);

		assert_int_equal(n, nheld);
		for (size_t k = 0; k < n; k++) {
			const struct frame *best = NULL;

			/* the k-th smallest offset among the kept frames */
			for (int j = 0; j < nheld; j++) {
				const struct frame *c = &fr[held[j]];
				size_t rank = 0;

				for (int m = 0; m < nheld; m++)
					if (sc->s[held[m]].off < sc->s[held[j]].off)
						rank++;
				if (rank == k)
					best = c;
			}
			assert_non_null(best);
			assert_int_equal(lens[k], best->n);
			assert_memory_equal(frames[k], best->b, best->n);
		}
		nheld = 0;
	}
	ct_defrag_free(d);
}

static void test_ipv4_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scen4) / sizeof(scen4[0]); i++)
		run_scen(&scen4[i], false);
}

static void test_ipv6_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scen6) / sizeof(scen6[0]); i++)
		run_scen(&scen6[i], true);
}

/* Not a fragment: PASS, nothing listed. */
static void test_pass(void **state)
{
	struct ct_defrag *d;
	struct frame f;
	struct ct_pkt *out;
	struct f4opt o = {.id = 1, .df = true};
	const uint8_t *const *frames;
	const uint32_t *lens;

	(void)state;
	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	make_udp(100, false, 1);
	frag4(&f, 0, 100, false, &o);
	f.b[6] = 0x40; /* DF, offset 0: not a fragment */
	f.b[10] = f.b[11] = 0;
	pk_wr16(f.b + 10, ct_csum_fold(ct_csum_partial(f.b, 20, 0)));
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_PASS);
	assert_null(out);
	assert_int_equal(ct_defrag_fragments(d, &frames, &lens), 0);
	ct_defrag_free(d);
	ct_defrag_free(NULL);
}

/* Interleaved datagrams; same id but other protocol is another datagram. */
static void test_interleaved(void **state)
{
	struct ct_defrag *d;
	struct frame a0, a1, b0, b1, c0;
	struct f4opt oa = {.id = 1}, ob = {.id = 2}, oc = {.id = 1, .proto = 136};
	struct ct_pkt *out;

	(void)state;
	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	make_udp(16, false, 3);
	frag4(&a0, 0, 8, true, &oa);
	frag4(&a1, 8, 8, false, &oa);
	frag4(&b0, 0, 8, true, &ob);
	frag4(&b1, 8, 8, false, &ob);
	frag4(&c0, 0, 8, true, &oc);
	assert_int_equal(feed(d, &a0, 0, &out), CT_DEFRAG_HELD);
	assert_int_equal(feed(d, &b0, 0, &out), CT_DEFRAG_HELD);
	assert_int_equal(feed(d, &c0, 0, &out), CT_DEFRAG_HELD);
	assert_int_equal(feed(d, &b1, 0, &out), CT_DEFRAG_COMPLETE);
	check_dgram(out, false, 16);
	assert_int_equal(feed(d, &a1, 0, &out), CT_DEFRAG_COMPLETE);
	check_dgram(out, false, 16);
	ct_defrag_free(d);
}

/* ECN (RFC 3168 §5.3) and DF merging, IPv4 and IPv6. */
static void test_ecn_df(void **state)
{
	static const struct {
		int id;
		uint8_t a, b; /* ECN codepoints of the two fragments */
		bool dfa, dfb;
		int want;     /* CT_DEFRAG_*; */
		uint8_t ecn;  /* resulting codepoint */
		bool df;
	} t[] = {
		{1, 2, 3, true, true, C, 3, true},   /* ECT(0) + CE -> CE, DF kept */
		{2, 1, 3, false, false, C, 3, false}, /* ECT(1) + CE -> CE */
		{3, 2, 2, true, false, C, 2, true},  /* first (largest) DF -> DF */
		{4, 2, 1, false, true, C, 2, false}, /* last (smaller) DF only -> no DF */
		{5, 0, 2, false, false, D, 0, false}, /* Not-ECT + ECT(0): discarded */
		{6, 3, 0, false, false, D, 0, false}, /* CE + Not-ECT: discarded */
		{7, 0, 0, false, false, C, 0, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (int v6 = 0; v6 < 2; v6++) {
			struct ct_defrag *d;
			struct frame f0, f1;
			struct ct_pkt *out;

			assert_int_equal(ct_defrag_new(NULL, &d), 0);
			make_udp(v6 ? 1300 : 24, v6, 9);
			if (v6) {
				struct f6opt o0 = {.id = 5, .tc = t[i].a}, o1 = {.id = 5, .tc = t[i].b};

				frag6(&f0, 0, 1232, true, &o0);
				frag6(&f1, 1232, 68, false, &o1);
			} else {
				struct f4opt o0 = {.id = 5, .tos = t[i].a, .df = t[i].dfa};
				struct f4opt o1 = {.id = 5, .tos = t[i].b, .df = t[i].dfb};

				frag4(&f0, 0, 16, true, &o0);
				frag4(&f1, 16, 8, false, &o1);
			}
			assert_int_equal(feed(d, &f0, 0, &out), CT_DEFRAG_HELD);
			if ((int)feed(d, &f1, 0, &out) != t[i].want)
				fail_msg("ecn case %d v6 %d", t[i].id, v6);
			if (t[i].want == C) {
				check_dgram(out, v6, v6 ? 1300 : 24);
				if (v6) {
					assert_int_equal((out->data[1] >> 4) & 3, t[i].ecn);
				} else {
					assert_int_equal(out->data[1] & 3, t[i].ecn);
					assert_int_equal(out->data[6], t[i].df ? 0x40 : 0);
				}
			}
			ct_defrag_free(d);
		}
	}
}

/* IPv6 with a destination options header before the fragment header. */
static void test_ipv6_unfragmentable(void **state)
{
	struct ct_defrag *d;
	struct frame f0, f1;
	struct f6opt o = {.id = 0xabcdef01, .dst_hdr = true};
	struct ct_pkt *out;

	(void)state;
	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	make_udp(2000, true, 4);
	frag6(&f0, 0, 1224, true, &o);
	frag6(&f1, 1224, 776, false, &o);
	assert_int_equal(feed(d, &f1, 0, &out), CT_DEFRAG_HELD);
	assert_int_equal(feed(d, &f0, 0, &out), CT_DEFRAG_COMPLETE);
	assert_non_null(out);
	assert_int_equal(out->data[6], 60);    /* IPv6 -> DST kept */
	assert_int_equal(out->data[40], 17);   /* DST -> UDP (was fragment) */
	assert_int_equal(out->l3_len, 40 + 8 + 2000);
	assert_int_equal(out->data[4] << 8 | out->data[5], 8 + 2000);
	assert_int_equal(out->l4_off, 48);
	assert_int_equal(out->l4_len, 2000);
	assert_memory_equal(out->data + 48, dg, 2000);
	assert_true(ct_pkt_l4_csum_ok(out));
	ct_defrag_free(d);
}

/* Queues expire ipfrag_time (30 s) / frag6 timeout (60 s) after creation. */
static void test_timeouts(void **state)
{
	static const struct {
		int id;
		bool v6;
		uint32_t cfg4, cfg6;
		uint64_t at; /* time of the second fragment */
		bool completes;
	} t[] = {
		{1, false, 0, 0, 30 * SEC - 1, true},
		{2, false, 0, 0, 30 * SEC, false},
		{3, true, 0, 0, 60 * SEC - 1, true},
		{4, true, 0, 0, 60 * SEC, false},
		{5, true, 0, 0, 30 * SEC, true},
		{6, false, 5, 0, 5 * SEC, false},
		{7, true, 0, 10, 9 * SEC, true},
		{8, true, 0, 10, 10 * SEC, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ct_defrag_config cfg = {.timeout_s = t[i].cfg4, .timeout6_s = t[i].cfg6};
		struct ct_defrag *d;
		struct frame f0, f1;
		struct ct_pkt *out;

		assert_int_equal(ct_defrag_new(&cfg, &d), 0);
		if (t[i].v6) {
			struct f6opt o = {.id = 3};

			make_udp(1300, true, 5);
			frag6(&f0, 0, 1232, true, &o);
			frag6(&f1, 1232, 68, false, &o);
		} else {
			struct f4opt o = {.id = 3};

			make_udp(24, false, 5);
			frag4(&f0, 0, 16, true, &o);
			frag4(&f1, 16, 8, false, &o);
		}
		assert_int_equal(feed(d, &f0, 1000, &out), CT_DEFRAG_HELD);
		if (t[i].completes) {
			assert_int_equal(feed(d, &f1, 1000 + t[i].at, &out), CT_DEFRAG_COMPLETE);
		} else {
			/* The first fragment is gone: the second waits alone. */
			assert_int_equal(feed(d, &f1, 1000 + t[i].at, &out), CT_DEFRAG_HELD);
			assert_int_equal(feed(d, &f0, 1000 + t[i].at, &out), CT_DEFRAG_COMPLETE);
		}
		ct_defrag_free(d);
	}
}

/* An explicit ct_defrag_expire frees the queue too. */
static void test_expire_call(void **state)
{
	struct ct_defrag *d;
	struct frame f0, f1;
	struct f4opt o = {.id = 9};
	struct ct_pkt *out;

	(void)state;
	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	make_udp(24, false, 6);
	frag4(&f0, 0, 16, true, &o);
	frag4(&f1, 16, 8, false, &o);
	assert_int_equal(feed(d, &f0, 0, &out), CT_DEFRAG_HELD);
	ct_defrag_expire(d, 29 * SEC);
	ct_defrag_expire(d, 31 * SEC);
	/* time going backwards afterwards does not revive it */
	assert_int_equal(feed(d, &f1, 10 * SEC, &out), CT_DEFRAG_HELD);
	ct_defrag_free(d);
}

/*
 * Memory pressure: above high_thresh every fragment is refused, even for
 * an existing queue (the kernel's inet_frag_find); families count apart;
 * expiry frees the memory again.
 */
static void test_memory_pressure(void **state)
{
	struct ct_defrag_config cfg = {.high_thresh = 16384, .low_thresh = 12288};
	struct ct_defrag *d;
	struct frame f;
	struct ct_pkt *out;
	int held = 0;

	(void)state;
	assert_int_equal(ct_defrag_new(&cfg, &d), 0);
	make_udp(1480 + 8, false, 7);
	for (int id = 1; id < 100; id++) {
		struct f4opt o = {.id = (uint16_t)id};
		enum ct_defrag_result r;

		frag4(&f, 0, 1480, true, &o);
		r = feed(d, &f, 0, &out);
		if (r == CT_DEFRAG_DROP)
			break;
		assert_int_equal(r, CT_DEFRAG_HELD);
		held++;
	}
	/* ~1.6 KB counted per 1500-byte fragment: about ten fit in 16 KiB */
	assert_in_range(held, 8, 12);
	{
		/* the last fragment of datagram 1 is refused too */
		struct f4opt o = {.id = 1};

		frag4(&f, 1480, 8, false, &o);
		assert_int_equal(feed(d, &f, 1, &out), CT_DEFRAG_DROP);
	}
	{
		/* IPv6 has its own budget */
		struct f6opt o = {.id = 1};

		make_udp(1300, true, 7);
		frag6(&f, 0, 1232, true, &o);
		assert_int_equal(feed(d, &f, 2, &out), CT_DEFRAG_HELD);
		frag6(&f, 1232, 68, false, &o);
		assert_int_equal(feed(d, &f, 3, &out), CT_DEFRAG_COMPLETE);
	}
	{
		/* after ipfrag_time everything is free again */
		struct f4opt o = {.id = 1};

		make_udp(1480 + 8, false, 7);
		frag4(&f, 0, 1480, true, &o);
		assert_int_equal(feed(d, &f, 30 * SEC, &out), CT_DEFRAG_HELD);
		frag4(&f, 1480, 8, false, &o);
		assert_int_equal(feed(d, &f, 30 * SEC, &out), CT_DEFRAG_COMPLETE);
		check_dgram(out, false, 1488);
	}
	ct_defrag_free(d);
}

/* Datagrams beyond 65535 bytes are discarded at completion. */
static void test_oversize(void **state)
{
	struct ct_defrag *d;
	struct frame f;
	struct ct_pkt *out;
	struct f4opt o = {.id = 4};
	struct f6opt o6 = {.id = 4};
	uint32_t off;

	(void)state;
	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	make_udp(65535 - 20, false, 8);
	/* 65515 payload bytes: the largest IPv4 datagram, accepted */
	for (off = 0; off + 1480 < 65515; off += 1480) {
		frag4(&f, off, 1480, true, &o);
		assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_HELD);
	}
	frag4(&f, off, 65515 - off, false, &o);
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_COMPLETE);
	assert_int_equal(out->l3_len, 65535);
	assert_int_equal(ct_defrag_fragments(d, &(const uint8_t *const *){0}, &(const uint32_t *){0}),
			 (65515 + 1479) / 1480);
	/* one byte more: discarded, and the queue is gone */
	o.id = 5;
	make_udp(65535 - 20 + 8, false, 8);
	for (off = 0; off + 1480 < 65516; off += 1480) {
		frag4(&f, off, 1480, true, &o);
		assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_HELD);
	}
	frag4(&f, off, 65516 - off, false, &o);
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_DROP);
	frag4(&f, 0, 1480, true, &o);
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_HELD);
	/* IPv6: a fragment ending beyond 65535 is dropped on its own */
	make_udp(1300, true, 8);
	frag6(&f, 65528, 16, false, &o6);
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_DROP);
	/* IPv6: payload length 8 (fragment header) + 65528 > 65535: discarded */
	make_udp(65528, true, 8);
	for (off = 0; off + 1232 < 65528; off += 1232) {
		frag6(&f, off, 1232, true, &o6);
		assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_HELD);
	}
	frag6(&f, off, 65528 - off, false, &o6);
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_COMPLETE);
	assert_int_equal(out->l3_len, 40 + 65528);
	o6.id = 5;
	o6.dst_hdr = true; /* 8 more unfragmentable bytes: 65536 */
	for (off = 0; off + 1224 < 65528; off += 1224) {
		frag6(&f, off, 1224, true, &o6);
		assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_HELD);
	}
	frag6(&f, off, 65528 - off, false, &o6);
	assert_int_equal(feed(d, &f, 0, &out), CT_DEFRAG_DROP);
	ct_defrag_free(d);
}

static void test_config(void **state)
{
	struct ct_defrag_config bad = {.high_thresh = 1000, .low_thresh = 2000};
	struct ct_defrag *d = (struct ct_defrag *)1;

	(void)state;
	assert_int_equal(ct_defrag_new(&bad, &d), -EINVAL);
	assert_null(d);
}

/*
 * Property: a datagram cut into random 8-byte-multiple pieces, fed in a
 * random order with random exact duplicates, always completes exactly
 * once, on the last missing piece, with the original bytes, and lists
 * each piece once in offset order.
 */
static void test_random_orders(void **state)
{
	uint32_t rng = 12345;
	struct ct_defrag *d;

	(void)state;
	assert_int_equal(ct_defrag_new(NULL, &d), 0);
	for (int round = 0; round < 300; round++) {
		bool v6 = round & 1;
		uint32_t n = 1500 + (uint32_t)(round * 97) % 6000;
		uint32_t offs[64], lens[64], order[128], npieces = 0, nsend = 0, off = 0;
		uint32_t unit = v6 ? 1232 : 8;
		bool got[64] = {0};
		uint32_t missing;

		make_udp(n, v6, (uint32_t)round);
		while (off < n) {
			uint32_t len;

			rng = rng * 1103515245u + 12345u;
			len = v6 ? unit : unit * (1 + (rng >> 16) % 150);
			if (off + len >= n || npieces == 63)
				len = n - off;
			offs[npieces] = off;
			lens[npieces++] = len;
			off += len;
		}
		for (uint32_t i = 0; i < npieces; i++)
			order[nsend++] = i;
		for (uint32_t i = 0; i < npieces / 2; i++) {
			rng = rng * 1103515245u + 12345u;
			order[nsend++] = (rng >> 16) % npieces;
		}
		for (uint32_t i = nsend - 1; i > 0; i--) {
			uint32_t j, tmp;

			rng = rng * 1103515245u + 12345u;
			j = (rng >> 16) % (i + 1);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		missing = npieces;
		for (uint32_t i = 0; i < nsend; i++) {
			uint32_t k = order[i];
			struct frame f;
			struct ct_pkt *out;
			enum ct_defrag_result r;
			struct f4opt o4 = {.id = (uint16_t)round};
			struct f6opt o6 = {.id = (uint32_t)round};

			if (v6)
				frag6(&f, offs[k], lens[k], k + 1 < npieces, &o6);
			else
				frag4(&f, offs[k], lens[k], k + 1 < npieces, &o4);
			r = feed(d, &f, (uint64_t)round * SEC, &out);
			if (missing == 0) {
				/* after completion: a new queue starts (or PASS for a whole one) */
				continue;
			}
			if (got[k]) {
				assert_int_equal(r, CT_DEFRAG_DROP);
				continue;
			}
			got[k] = true;
			missing--;
			if (missing) {
				assert_int_equal(r, CT_DEFRAG_HELD);
				continue;
			}
			assert_int_equal(r, CT_DEFRAG_COMPLETE);
			check_dgram(out, v6, n);
			{
				const uint8_t *const *frames;
				const uint32_t *fl;

				assert_int_equal(ct_defrag_fragments(d, &frames, &fl), npieces);
				for (uint32_t j = 0; j < npieces; j++)
					assert_int_equal(fl[j], (v6 ? 48 : 20) + lens[j]);
			}
		}
		/* drop whatever the trailing duplicates left */
		ct_defrag_expire(d, (uint64_t)(round + 61) * SEC);
	}
	ct_defrag_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_scenarios),
		cmocka_unit_test(test_ipv6_scenarios),
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_ecn_df),
		cmocka_unit_test(test_ipv6_unfragmentable),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_expire_call),
		cmocka_unit_test(test_memory_pressure),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_random_orders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
