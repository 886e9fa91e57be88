/* SPDX-License-Identifier: MIT */
/*
 * The non-TCP trackers (spec §6.1-6.4, §6.6) through the whole conntrack
 * pipeline: UDP / UDP-Lite timeouts and ASSURED, ICMP and ICMPv6 queries and
 * errors (RELATED, RELATED_REPLY, INVALID), ICMPv6 neighbour discovery,
 * GRE keys and timeouts, and the SCTP association of spec §6.6.
 *
 * Packets are built by hand as raw IP datagrams with correct checksums
 * (computed here, independently of lib/csum.c), and the struct ct_pkt
 * fields are filled as the parser would.  Expected values come from the
 * spec, never from running the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "pkt_build.h"

#define SEC CT_NSEC_PER_SEC

/* ---- packet building ------------------------------------------------------ */

struct tp {
	uint8_t b[1024];
	struct ct_pkt p;
};

static const uint8_t A[4] = {10, 0, 0, 1};   /* client */
static const uint8_t B[4] = {10, 0, 0, 2};   /* server */
static const uint8_t R[4] = {10, 0, 0, 254}; /* a router on the path */
static const uint8_t X[4] = {10, 9, 9, 9};   /* an unrelated host */

static uint8_t A6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static uint8_t B6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static uint8_t R6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe};
static uint8_t LL6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe};

/* CRC32c (Castagnoli), bit by bit: RFC 9260 appendix A. */
static uint32_t crc32c(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

/* Pseudo-header sum; `proto` is what goes in the protocol field. */
static uint32_t pseudo(const struct tp *t, uint8_t proto)
{
	const struct ct_pkt *p = &t->p;

	if (p->l3num == 2)
		return pk_pseudo4(t->b, proto, p->l4_len);
	return pk_pseudo6(t->b, proto, p->l4_len);
}

/* Write the L4 checksum the way a correct sender would. */
static void l4_checksum(struct tp *t)
{
	struct ct_pkt *p = &t->p;
	uint8_t *l4 = t->b + p->l4_off;
	uint32_t cover = p->l4_len;
	uint32_t crc;

	switch (p->proto) {
	case 17:
		pk_wr16(l4 + 6, 0);
		pk_wr16(l4 + 6, pk_fold(pk_sum16(l4, p->l4_len, pseudo(t, 17))));
		if (pk_rd16(l4 + 6) == 0)
			pk_wr16(l4 + 6, 0xffff); /* RFC 768: computed zero is sent as all ones */
		break;
	case 136:
		/*
		 * Linux conntrack verifies UDP-Lite with a pseudo-header that
		 * says 17; sum it that way so the packet is valid for it.
		 */
		if (pk_rd16(l4 + 4))
			cover = pk_rd16(l4 + 4);
		pk_wr16(l4 + 6, 0);
		pk_wr16(l4 + 6, pk_fold(pk_sum16(l4, cover, pseudo(t, 17))));
		break;
	case 1:
		pk_wr16(l4 + 2, 0);
		pk_wr16(l4 + 2, pk_fold(pk_sum16(l4, p->l4_len, 0)));
		break;
	case 58:
		pk_wr16(l4 + 2, 0);
		pk_wr16(l4 + 2, pk_fold(pk_sum16(l4, p->l4_len, pseudo(t, 58))));
		break;
	case 132:
		memset(l4 + 8, 0, 4);
		crc = crc32c(l4, p->l4_len);
		/* Stored least significant byte first. */
		l4[8] = (uint8_t)crc;
		l4[9] = (uint8_t)(crc >> 8);
		l4[10] = (uint8_t)(crc >> 16);
		l4[11] = (uint8_t)(crc >> 24);
		break;
	default:
		break;
	}
}

static bool icmp_query(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 0 || (type >= 8 && type <= 10) || (type >= 13 && type <= 18);
	return type >= 128;
}

/* The tuple the parser gives the packet (spec §1.1, pkt.h). */
static void fill_tuple(struct tp *t)
{
	struct ct_pkt *p = &t->p;
	struct ct_tuple *tu = &p->tuple;
	const uint8_t *l4 = t->b + p->l4_off;

	memset(tu, 0, sizeof(*tu));
	tu->l3num = p->l3num;
	tu->proto = p->proto;
	if (p->l3num == 2) {
		memcpy(tu->src, t->b + 12, 4);
		memcpy(tu->dst, t->b + 16, 4);
	} else {
		memcpy(tu->src, t->b + 8, 16);
		memcpy(tu->dst, t->b + 24, 16);
	}
	switch (p->proto) {
	case 6:
	case 17:
	case 132:
	case 136:
		tu->src_l4 = pk_rd16(l4);
		tu->dst_l4 = pk_rd16(l4 + 2);
		break;
	case 1:
	case 58:
		tu->dst_l4 = pk_rd16(l4);
		if (icmp_query(p->proto, l4[0]))
			tu->src_l4 = pk_rd16(l4 + 4);
		break;
	case 47:
		if ((l4[1] & 7) == 1 && pk_rd16(l4 + 2) == 0x880b)
			tu->dst_l4 = pk_rd16(l4 + 6);
		break;
	default:
		break;
	}
}

static void finish(struct tp *t, uint8_t l3num, uint32_t l4_off, uint32_t l4_len, uint8_t proto,
		   uint8_t ttl)
{
	struct ct_pkt *p = &t->p;

	memset(p, 0, sizeof(*p));
	p->data = t->b;
	p->len = l4_off + l4_len;
	p->wire_len = p->len;
	p->link = CT_LINK_RAW;
	p->l3num = l3num;
	p->proto = proto;
	p->ttl = ttl;
	p->l4_off = (uint16_t)l4_off;
	p->l3_len = l4_off + l4_len;
	p->l4_len = l4_len;
	l4_checksum(t);
	fill_tuple(t);
}

/* An IPv4 datagram around `l4`. */
static void ip4(struct tp *t, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		const uint8_t *l4, uint32_t n)
{
	uint8_t *h = t->b;

	memset(t->b, 0, sizeof(t->b));
	pk_ip4_hdr(h, src, dst, proto, 64, 0, 0, n);
	memcpy(h + 20, l4, n);
	finish(t, 2, 20, n, proto, 64);
}

/* An IPv6 datagram: `ext` holds extension headers (chained by the caller). */
static void ip6(struct tp *t, const uint8_t src[16], const uint8_t dst[16], uint8_t first_nh,
		const uint8_t *ext, uint32_t next, uint8_t proto, const uint8_t *l4, uint32_t n,
		uint8_t hop)
{
	uint8_t *h = t->b;

	memset(t->b, 0, sizeof(t->b));
	h[0] = 0x60;
	pk_wr16(h + 4, (uint16_t)(next + n));
	h[6] = next ? first_nh : proto;
	h[7] = hop;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	if (next)
		memcpy(h + 40, ext, next);
	memcpy(h + 40 + next, l4, n);
	finish(t, 10, 40 + next, n, proto, hop);
}

static void udp4(struct tp *t, const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp,
		 uint32_t payload)
{
	uint8_t l4[512] = {0};

	pk_wr16(l4, sp);
	pk_wr16(l4 + 2, dp);
	pk_wr16(l4 + 4, (uint16_t)(8 + payload));
	memset(l4 + 8, 'u', payload);
	ip4(t, src, dst, 17, l4, 8 + payload);
}

static void icmp4(struct tp *t, const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t code,
		  uint16_t id, const uint8_t *body, uint32_t n)
{
	uint8_t l4[512] = {0};

	l4[0] = type;
	l4[1] = code;
	pk_wr16(l4 + 4, id);
	pk_wr16(l4 + 6, 1); /* sequence */
	if (n)
		memcpy(l4 + 8, body, n);
	ip4(t, src, dst, 1, l4, 8 + n);
}

/* An ICMP error quoting the first `n` bytes of the datagram in q (20 + 8 by default). */
static void icmp4_err(struct tp *t, const uint8_t *src, const uint8_t *dst, uint8_t type,
		      const struct tp *q, uint32_t n)
{
	icmp4(t, src, dst, type, 0, 0, q->b, n ? n : 28);
}

static struct ct_table *mk_table(void)
{
	struct ct_table_config cfg = {.max = 64};
	struct ct_table *t = NULL;

	assert_int_equal(ct_table_new(&cfg, &t), 0);
	return t;
}

/* Forwarded path: conntrack at prerouting, then confirm. */
static int run(struct ct_table *t, struct tp *x, uint64_t now)
{
	int r = ct_hook_conntrack(t, &x->p, CT_HOOK_PREROUTING, now);

	if (r)
		return r;
	return ct_confirm(t, &x->p, now);
}

static int run_hook(struct ct_table *t, struct tp *x, enum ct_hook hook, uint64_t now)
{
	int r = ct_hook_conntrack(t, &x->p, hook, now);

	if (r)
		return r;
	return ct_confirm(t, &x->p, now);
}

static uint64_t left(const struct tp *x, uint64_t now)
{
	return ct_conn_timeout_left(x->p.ct, now);
}

/* ---- UDP ------------------------------------------------------------------- */

/* 1. A one-way UDP flow: NEW every time, 30 s, never ASSURED (spec §6.1). */
static void test_udp_unreplied(void **state)
{
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	for (int i = 0; i < 4; i++) {
		udp4(&x, A, B, 40000, 53, 20);
		assert_int_equal(run(t, &x, (uint64_t)(1 + 5 * i) * SEC), 0);
		assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
		assert_int_equal(left(&x, (uint64_t)(1 + 5 * i) * SEC), 30 * SEC);
		assert_false(ct_conn_status(x.p.ct) & (CT_S_ASSURED | CT_S_SEEN_REPLY));
	}
	assert_int_equal(ct_table_count(t), 1);
	ct_table_free(t);
}

/*
 * 2. Replied flow: the first reply still gets 30 s and no ASSURED; later
 * packets within 2 s of creation 30 s; after 2 s 120 s and ASSURED.
 */
static void test_udp_stream(void **state)
{
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	udp4(&x, A, B, 40000, 5000, 10);
	assert_int_equal(run(t, &x, 10 * SEC), 0);
	udp4(&x, B, A, 5000, 40000, 10);
	assert_int_equal(run(t, &x, 10 * SEC + 500 * CT_MS), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	assert_int_equal(left(&x, 10 * SEC + 500 * CT_MS), 30 * SEC);
	assert_true(ct_conn_status(x.p.ct) & CT_S_SEEN_REPLY);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);

	/* 2 s after creation exactly: not yet "after" 2 s. */
	udp4(&x, A, B, 40000, 5000, 10);
	assert_int_equal(run(t, &x, 12 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED);
	assert_int_equal(left(&x, 12 * SEC), 30 * SEC);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);

	udp4(&x, B, A, 5000, 40000, 10);
	assert_int_equal(run(t, &x, 12 * SEC + 1), 0);
	assert_int_equal(left(&x, 12 * SEC + 1), 120 * SEC);
	assert_true(ct_conn_status(x.p.ct) & CT_S_ASSURED);

	/* Stays a stream. */
	udp4(&x, A, B, 40000, 5000, 10);
	assert_int_equal(run(t, &x, 50 * SEC), 0);
	assert_int_equal(left(&x, 50 * SEC), 120 * SEC);
	ct_table_free(t);
}

/* 3. A first reply 3 s after the query: 30 s, no ASSURED (spec §6.1 [V]). */
static void test_udp_late_first_reply(void **state)
{
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	udp4(&x, A, B, 40001, 53, 30);
	assert_int_equal(run(t, &x, 100 * SEC), 0);
	udp4(&x, B, A, 53, 40001, 60);
	assert_int_equal(run(t, &x, 103 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	assert_int_equal(left(&x, 103 * SEC), 30 * SEC);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);
	/* The next packet, either direction, makes it a stream. */
	udp4(&x, A, B, 40001, 53, 30);
	assert_int_equal(run(t, &x, 104 * SEC), 0);
	assert_int_equal(left(&x, 104 * SEC), 120 * SEC);
	assert_true(ct_conn_status(x.p.ct) & CT_S_ASSURED);
	ct_table_free(t);
}

/* 4. Checksums: bad at prerouting = INVALID; other hooks and checksum=0 do not check. */
static void test_udp_checksum(void **state)
{
	static const enum ct_hook hooks[] = {CT_HOOK_OUTPUT, CT_HOOK_INPUT, CT_HOOK_FORWARD,
					     CT_HOOK_POSTROUTING};
	struct ct_table *t = mk_table();
	struct ct_stats st;
	struct tp x;

	(void)state;
	/* 4.1 bad checksum at prerouting */
	udp4(&x, A, B, 1111, 2222, 16);
	x.b[x.p.l4_off + 9] ^= 0x55;
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	assert_null(x.p.ct);
	assert_int_equal(ct_table_count(t), 0);
	ct_table_stats(t, &st);
	assert_int_equal(st.invalid, 1);

	/* 4.2 the same packet at any other hook is tracked */
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		udp4(&x, A, B, (uint16_t)(1000 + i), 2222, 16);
		x.b[x.p.l4_off + 9] ^= 0x55;
		assert_int_equal(run_hook(t, &x, hooks[i], 1 * SEC), 0);
		assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	}

	/* 4.3 nf_conntrack_checksum=0 turns the check off */
	assert_int_equal(ct_setting_set(t, "nf_conntrack_checksum", "0"), 0);
	udp4(&x, A, B, 3333, 2222, 16);
	x.b[x.p.l4_off + 9] ^= 0x55;
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_checksum", "1"), 0);

	/* 4.4 a zero checksum means "none" and is valid over IPv4 */
	udp4(&x, A, B, 4444, 2222, 16);
	pk_wr16(x.b + x.p.l4_off + 6, 0);
	x.b[x.p.l4_off + 9] ^= 0x55;
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	ct_table_free(t);
}

/* 5. Length field: larger than the datagram or below 8 is INVALID, at any hook. */
static void test_udp_length(void **state)
{
	static const struct {
		uint16_t len;
		uint8_t ctinfo;
	} cases[] = {
	    {28, CT_INFO_INVALID}, /* 5.1 > 8 + 16 bytes present */
	    {7, CT_INFO_INVALID},  /* 5.2 < header */
	    {24, CT_INFO_NEW},	   /* 5.3 exact */
	    {12, CT_INFO_NEW},	   /* 5.4 shorter than the IP payload: trailing bytes are fine */
	};
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		udp4(&x, A, B, (uint16_t)(7000 + i), 9, 16);
		pk_wr16(x.b + x.p.l4_off + 4, cases[i].len);
		pk_wr16(x.b + x.p.l4_off + 6, 0); /* no checksum: only the length matters */
		assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 1 * SEC), 0);
		assert_int_equal(x.p.ctinfo, cases[i].ctinfo);
	}
	/* 5.5 shorter than a UDP header */
	udp4(&x, A, B, 7100, 9, 0);
	x.p.l4_len = 6;
	x.p.len = x.p.l4_off + 6;
	assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	ct_table_free(t);
}

/* 6. Timeouts follow the sysctls; NAT_CLASH entries are never ASSURED. */
static void test_udp_sysctl_and_clash(void **state)
{
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_udp_timeout", "45"), 0);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_udp_timeout_stream", "200"), 0);
	udp4(&x, A, B, 100, 200, 1);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(left(&x, 1 * SEC), 45 * SEC);
	udp4(&x, B, A, 200, 100, 1);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	udp4(&x, A, B, 100, 200, 1);
	assert_int_equal(run(t, &x, 10 * SEC), 0);
	assert_int_equal(left(&x, 10 * SEC), 200 * SEC);

	/* A clash loser (status forced here) gets refreshed but not ASSURED. */
	udp4(&x, A, B, 101, 200, 1);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	udp4(&x, B, A, 200, 101, 1);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	x.p.ct->status |= CT_S_NAT_CLASH;
	udp4(&x, A, B, 101, 200, 1);
	assert_int_equal(run(t, &x, 10 * SEC), 0);
	assert_int_equal(left(&x, 10 * SEC), 200 * SEC);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);
	ct_table_free(t);
}

/* 7. UDP-Lite: coverage and mandatory checksum; shares UDP's timeouts. */
static void test_udplite(void **state)
{
	struct ct_table *t = mk_table();
	uint8_t l4[64] = {0};
	struct tp x;

	(void)state;
	pk_wr16(l4, 5000);
	pk_wr16(l4 + 2, 6000);
	pk_wr16(l4 + 4, 8); /* 7.1 coverage: the header only */
	ip4(&x, A, B, 136, l4, 40);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(left(&x, 1 * SEC), 30 * SEC);
	/* 7.2 reply, then a stream after 2 s */
	pk_wr16(l4, 6000);
	pk_wr16(l4 + 2, 5000);
	pk_wr16(l4 + 4, 0); /* coverage 0: everything */
	ip4(&x, B, A, 136, l4, 40);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	ip4(&x, B, A, 136, l4, 40);
	assert_int_equal(run(t, &x, 4 * SEC), 0);
	assert_int_equal(left(&x, 4 * SEC), 120 * SEC);
	assert_true(ct_conn_status(x.p.ct) & CT_S_ASSURED);

	/* 7.3 coverage beyond the datagram */
	pk_wr16(l4, 5001);
	pk_wr16(l4 + 4, 41);
	ip4(&x, A, B, 136, l4, 40);
	assert_int_equal(run(t, &x, 5 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 7.4 coverage below the header */
	pk_wr16(l4 + 4, 4);
	ip4(&x, A, B, 136, l4, 40);
	assert_int_equal(run(t, &x, 5 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 7.5 checksum 0 is not allowed (RFC 3828 §3.1), at any hook */
	pk_wr16(l4 + 4, 0);
	ip4(&x, A, B, 136, l4, 40);
	pk_wr16(x.b + x.p.l4_off + 6, 0);
	assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 5 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 7.6 bad checksum inside the coverage at prerouting */
	ip4(&x, A, B, 136, l4, 40);
	x.b[x.p.l4_off + 20] ^= 1;
	assert_int_equal(run(t, &x, 5 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 7.7 a change outside the coverage is not checked */
	pk_wr16(l4 + 4, 16);
	ip4(&x, A, B, 136, l4, 40);
	x.b[x.p.l4_off + 30] ^= 1;
	assert_int_equal(run(t, &x, 5 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);

	/*
	 * 7.8 Linux verifies UDP-Lite with protocol 17 in the pseudo-header
	 * (it hands IPPROTO_UDP to its partial-checksum helper), so a
	 * datagram summed per RFC 3828 (protocol 136) fails at prerouting
	 * and passes elsewhere.
	 */
	pk_wr16(l4, 5002);
	pk_wr16(l4 + 4, 0);
	ip4(&x, A, B, 136, l4, 40);
	pk_wr16(x.b + x.p.l4_off + 6, 0);
	pk_wr16(x.b + x.p.l4_off + 6, pk_fold(pk_sum16(x.b + x.p.l4_off, 40, pseudo(&x, 136))));
	assert_int_equal(run(t, &x, 6 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 6 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	ct_table_free(t);
}

/* ---- ICMP ------------------------------------------------------------------ */

/* 8. Echo request creates, reply is ESTABLISHED_REPLY, entry kept, 30 s, never ASSURED. */
static void test_icmp_echo(void **state)
{
	struct ct_table *t = mk_table();
	struct ct_tuple rt;
	struct tp x;

	(void)state;
	icmp4(&x, A, B, 8, 0, 0x1234, NULL, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(left(&x, 1 * SEC), 30 * SEC);
	/* The reply tuple keeps id and code and maps the type (spec §1.3). */
	ct_conn_tuple(x.p.ct, CT_DIR_REPLY, &rt);
	assert_int_equal(rt.src_l4, 0x1234);
	assert_int_equal(rt.dst_l4, 0 << 8 | 0);
	assert_memory_equal(rt.src, B, 4);

	icmp4(&x, B, A, 0, 0, 0x1234, NULL, 0);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	assert_int_equal(left(&x, 2 * SEC), 30 * SEC);
	/* not removed on reply: a duplicate reply still matches */
	icmp4(&x, B, A, 0, 0, 0x1234, NULL, 0);
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	icmp4(&x, A, B, 8, 0, 0x1234, NULL, 0);
	assert_int_equal(run(t, &x, 4 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);
	assert_int_equal(ct_table_count(t), 1);

	/* 8.2 the timeout sysctl */
	assert_int_equal(ct_setting_set(t, "nf_conntrack_icmp_timeout", "7"), 0);
	icmp4(&x, A, B, 8, 0, 0x1234, NULL, 0);
	assert_int_equal(run(t, &x, 5 * SEC), 0);
	assert_int_equal(left(&x, 5 * SEC), 7 * SEC);
	ct_table_free(t);
}

/* 9. Which ICMP types create entries, and which are INVALID (spec §6.3). */
static void test_icmp_types(void **state)
{
	static const struct {
		uint8_t type;
		uint8_t ctinfo;
	} cases[] = {
	    {8, CT_INFO_NEW},	   /* 9.1 echo */
	    {13, CT_INFO_NEW},	   /* 9.2 timestamp */
	    {15, CT_INFO_NEW},	   /* 9.3 information request */
	    {17, CT_INFO_NEW},	   /* 9.4 address mask */
	    {0, CT_INFO_INVALID},  /* 9.5 echo reply without entry */
	    {14, CT_INFO_INVALID}, /* 9.6 timestamp reply without entry */
	    {18, CT_INFO_INVALID}, /* 9.7 mask reply without entry */
	    {9, CT_INFO_INVALID},  /* 9.8 router advertisement: not invertible */
	    {10, CT_INFO_INVALID}, /* 9.9 router solicitation */
	    {19, CT_INFO_INVALID}, /* 9.10 beyond 18 */
	    {42, CT_INFO_INVALID}, /* 9.11 [V] type 42 */
	    {255, CT_INFO_INVALID},
	};
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		icmp4(&x, A, B, cases[i].type, 0, (uint16_t)(100 + i), NULL, 0);
		assert_int_equal(run(t, &x, 1 * SEC), 0);
		assert_int_equal(x.p.ctinfo, cases[i].ctinfo);
		if (cases[i].ctinfo == CT_INFO_INVALID)
			assert_null(x.p.ct);
	}
	assert_int_equal(ct_table_count(t), 4);

	/* 9.13 timestamp reply matches its request */
	icmp4(&x, B, A, 14, 0, 101, NULL, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);

	/* 9.14 bad checksum at prerouting */
	icmp4(&x, A, B, 8, 0, 999, NULL, 0);
	x.b[x.p.l4_off + 6] ^= 1;
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* ... not checked at output */
	assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	ct_table_free(t);
}

/* 10. The pure inversion maps of spec §1.3. */
static void test_icmp_invert(void **state)
{
	static const struct {
		uint8_t proto, type, rtype;
		bool ok;
	} cases[] = {
	    {1, 8, 0, true},	  {1, 0, 8, true},	{1, 13, 14, true},    {1, 14, 13, true},
	    {1, 15, 16, true},	  {1, 16, 15, true},	{1, 17, 18, true},    {1, 18, 17, true},
	    {1, 3, 0, false},	  {1, 9, 0, false},	{1, 200, 0, false},   {58, 128, 129, true},
	    {58, 129, 128, true}, {58, 139, 140, true}, {58, 140, 139, true}, {58, 1, 0, false},
	    {58, 135, 0, false},  {58, 141, 0, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ct_l4proto *l4 = ct_l4proto_find(cases[i].proto);
		struct ct_tuple o = {.l3num = 2, .proto = cases[i].proto}, r;

		memcpy(o.src, A, 4);
		memcpy(o.dst, B, 4);
		o.src_l4 = 0xbeef;
		o.dst_l4 = (uint16_t)(cases[i].type << 8 | 5);
		assert_int_equal(l4->invert(&o, &r), cases[i].ok);
		if (!cases[i].ok)
			continue;
		assert_memory_equal(r.src, B, 4);
		assert_memory_equal(r.dst, A, 4);
		assert_int_equal(r.src_l4, 0xbeef);
		assert_int_equal(r.dst_l4, cases[i].rtype << 8 | 5);
	}
}

/*
 * 11. ICMP errors about a UDP flow A -> B (spec §6.3): RELATED_REPLY when the
 * quote is an original packet (the error goes back to A), RELATED when it
 * quotes a reply, INVALID for a bogus outer destination or an unknown flow.
 * Errors neither refresh nor count nor set SEEN_REPLY.
 */
static void test_icmp_errors(void **state)
{
	struct ct_table *t = mk_table();
	struct tp orig, rep, e;
	struct ct_conn *c;
	struct ct_stats st;
	uint64_t pk, by;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_acct", "1"), 0);
	udp4(&orig, A, B, 33000, 4000, 40);
	assert_int_equal(run(t, &orig, 1 * SEC), 0);
	c = orig.p.ct;

	/* 11.1 port unreachable from B to A, quoting A -> B */
	icmp4_err(&e, B, A, 3, &orig, 0);
	assert_int_equal(run(t, &e, 5 * SEC), 0);
	assert_ptr_equal(e.p.ct, c);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);
	assert_int_equal(e.p.dir, CT_DIR_REPLY);
	/* no refresh, no counting, no SEEN_REPLY */
	assert_int_equal(ct_conn_timeout_left(c, 5 * SEC), 26 * SEC);
	assert_false(ct_conn_status(c) & CT_S_SEEN_REPLY);
	assert_true(ct_conn_counters(t, c, CT_DIR_REPLY, &pk, &by));
	assert_int_equal(pk, 0);
	assert_true(ct_conn_counters(t, c, CT_DIR_ORIGINAL, &pk, &by));
	assert_int_equal(pk, 1);

	/* 11.2 time exceeded from a router: the outer source is not checked */
	icmp4_err(&e, R, A, 11, &orig, 0);
	assert_int_equal(run(t, &e, 5 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 11.3 the quote carries the whole datagram (more than 8 L4 bytes) */
	icmp4_err(&e, R, A, 3, &orig, orig.p.len);
	assert_int_equal(run(t, &e, 5 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 11.4 bogus outer destination */
	icmp4_err(&e, B, X, 3, &orig, 0);
	assert_int_equal(run(t, &e, 5 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	assert_null(e.p.ct);
	ct_table_stats(t, &st);
	assert_int_equal(st.error, 1);

	/* 11.5 an error about a reply packet B -> A goes to B: RELATED */
	udp4(&rep, B, A, 4000, 33000, 40);
	assert_int_equal(run(t, &rep, 6 * SEC), 0);
	icmp4_err(&e, R, B, 3, &rep, 0);
	assert_int_equal(run(t, &e, 7 * SEC), 0);
	assert_ptr_equal(e.p.ct, c);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED);
	assert_int_equal(e.p.dir, CT_DIR_ORIGINAL);

	/* 11.6 every error type (3, 4, 5, 11, 12) */
	for (uint8_t type = 3; type <= 12; type++) {
		if (type > 5 && type < 11)
			continue;
		icmp4_err(&e, R, A, type, &orig, 0);
		assert_int_equal(run(t, &e, 7 * SEC), 0);
		assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);
	}

	/* 11.7 unknown flow: a different port */
	udp4(&rep, A, B, 33001, 4000, 40);
	icmp4_err(&e, B, A, 3, &rep, 0);
	assert_int_equal(run(t, &e, 7 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	assert_int_equal(ct_table_count(t), 1);

	/* 11.8 a quote cut inside the L4 ports: INVALID */
	icmp4_err(&e, B, A, 3, &orig, 22);
	assert_int_equal(run(t, &e, 7 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 11.9 bad checksum on the error at prerouting */
	icmp4_err(&e, B, A, 3, &orig, 0);
	e.b[e.p.l4_off + 30] ^= 1;
	assert_int_equal(run(t, &e, 7 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 11.10 the entry still expires on its own clock */
	assert_int_equal(ct_conn_timeout_left(c, 7 * SEC), 29 * SEC);
	ct_table_free(t);
}

/* 12. Quotes with IPv4 options, quoted fragments, and a quoted echo request. */
static void test_icmp_quote_shapes(void **state)
{
	struct ct_table *t = mk_table();
	struct tp orig, e, inner;
	uint8_t q[64];

	(void)state;
	udp4(&orig, A, B, 33000, 4000, 8);
	assert_int_equal(run(t, &orig, 1 * SEC), 0);

	/* 12.1 quoted header with 4 bytes of options (IHL 6) */
	memcpy(q, orig.b, 20);
	q[0] = 0x46;
	memset(q + 20, 1, 4); /* NOPs */
	memcpy(q + 24, orig.b + 20, 8);
	icmp4(&e, B, A, 3, 3, 0, q, 32);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 12.2 quoted non-first fragment: no L4 header to match */
	memcpy(q, orig.b, 28);
	pk_wr16(q + 6, 0x0001); /* offset 8 bytes */
	icmp4(&e, B, A, 3, 3, 0, q, 28);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 12.3 quoted first fragment (MF set, offset 0) is fine */
	memcpy(q, orig.b, 28);
	pk_wr16(q + 6, 0x2000);
	icmp4(&e, B, A, 3, 3, 0, q, 28);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 12.4 IHL pointing past the quote */
	memcpy(q, orig.b, 28);
	q[0] = 0x4f;
	icmp4(&e, B, A, 3, 3, 0, q, 28);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 12.5 a quote shorter than an IP header */
	icmp4(&e, B, A, 3, 3, 0, orig.b, 12);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 12.6 an error about an echo request: RELATED_REPLY to the echo entry */
	icmp4(&orig, A, B, 8, 0, 77, NULL, 0);
	assert_int_equal(run(t, &orig, 3 * SEC), 0);
	icmp4_err(&e, R, A, 11, &orig, 0);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_ptr_equal(e.p.ct, orig.p.ct);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 12.7 an error quoting an error cannot be inverted */
	icmp4_err(&inner, B, A, 3, &orig, 0);
	icmp4(&e, R, B, 3, 0, 0, inner.b, 36);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	ct_table_free(t);
}

/* 13. Zones: the error is looked up in the packet's zone. */
static void test_icmp_error_zone(void **state)
{
	struct ct_table *t = mk_table();
	struct tp orig, e, x;

	(void)state;
	udp4(&orig, A, B, 1000, 2000, 4);
	ct_pkt_set_zone(&orig.p, 7, 3);
	assert_int_equal(run(t, &orig, 1 * SEC), 0);
	/* 13.1 default zone: no match */
	icmp4_err(&e, B, A, 3, &orig, 0);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	/* 13.2 zone 7 */
	icmp4_err(&e, B, A, 3, &orig, 0);
	ct_pkt_set_zone(&e.p, 7, 3);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/*
	 * 13.3 a zone on the original direction only: the reply link keeps
	 * zone 0, so an error matching it is found with the reply-side id.
	 */
	udp4(&orig, A, B, 1001, 2000, 4);
	ct_pkt_set_zone(&orig.p, 9, 1);
	assert_int_equal(run(t, &orig, 3 * SEC), 0);
	icmp4_err(&e, B, A, 3, &orig, 0);
	ct_pkt_set_zone(&e.p, 9, 1);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_ptr_equal(e.p.ct, orig.p.ct);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);
	/* 13.4 ... and an error matching the original link needs id 9 */
	udp4(&x, B, A, 2000, 1001, 4);
	icmp4_err(&e, R, B, 3, &x, 0);
	ct_pkt_set_zone(&e.p, 9, 1);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED);
	icmp4_err(&e, R, B, 3, &x, 0);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	/*
	 * 13.5 the reply-side id only finds reply links: an entry zoned 9 both
	 * ways is not found from a packet zoned 9 on the reply side only
	 * when the quote matches its original link.
	 */
	udp4(&orig, A, B, 1002, 2000, 4);
	ct_pkt_set_zone(&orig.p, 9, 3);
	assert_int_equal(run(t, &orig, 3 * SEC), 0);
	udp4(&x, B, A, 2000, 1002, 4);
	icmp4_err(&e, R, B, 3, &x, 0);
	ct_pkt_set_zone(&e.p, 9, 2);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	ct_table_free(t);
}

/* ---- ICMPv6 ---------------------------------------------------------------- */

static void icmp6(struct tp *t, const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t code,
		  uint16_t id, const uint8_t *body, uint32_t n, uint8_t hop)
{
	uint8_t l4[512] = {0};

	l4[0] = type;
	l4[1] = code;
	pk_wr16(l4 + 4, id);
	pk_wr16(l4 + 6, 1);
	if (n)
		memcpy(l4 + 8, body, n);
	ip6(t, src, dst, 0, NULL, 0, 58, l4, 8 + n, hop);
}

static void udp6(struct tp *t, const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp,
		 const uint8_t *ext, uint32_t next, uint8_t first_nh)
{
	uint8_t l4[64] = {0};

	pk_wr16(l4, sp);
	pk_wr16(l4 + 2, dp);
	pk_wr16(l4 + 4, 16);
	ip6(t, src, dst, first_nh, ext, next, 17, l4, 16, 64);
}

/*
 * 14.0 UDP over IPv6: conntrack accepts a zero checksum in either family
 * (the kernel skips the check when the field is 0; RFC 8200's ban is
 * enforced by the receiving UDP stack, not by conntrack), and verifies a
 * non-zero one at prerouting.
 */
static void test_udp6_checksum(void **state)
{
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	udp6(&x, A6, B6, 10, 20, NULL, 0, 0);
	pk_wr16(x.b + x.p.l4_off + 6, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	udp6(&x, A6, B6, 11, 20, NULL, 0, 0);
	x.b[x.p.l4_off + 10] ^= 1;
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	udp6(&x, A6, B6, 11, 20, NULL, 0, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	ct_table_free(t);
}

/* 14. Echo request / reply over IPv6; 129 without an entry is INVALID. */
static void test_icmp6_echo(void **state)
{
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	icmp6(&x, A6, B6, 129, 0, 5, NULL, 0, 64);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	assert_int_equal(ct_table_count(t), 0);

	icmp6(&x, A6, B6, 128, 0, 5, NULL, 0, 64);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(left(&x, 1 * SEC), 30 * SEC);
	icmp6(&x, B6, A6, 129, 0, 5, NULL, 0, 64);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);

	/* 14.2 node information query creates too; 141 cannot */
	icmp6(&x, A6, B6, 139, 0, 6, NULL, 0, 64);
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	icmp6(&x, A6, B6, 141, 0, 6, NULL, 0, 64);
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);

	/* 14.3 bad checksum at prerouting */
	icmp6(&x, A6, B6, 128, 0, 9, NULL, 0, 64);
	x.b[x.p.l4_off + 7] ^= 1;
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);

	/* 14.4 the timeout sysctl */
	assert_int_equal(ct_setting_set(t, "nf_conntrack_icmpv6_timeout", "11"), 0);
	icmp6(&x, A6, B6, 128, 0, 5, NULL, 0, 64);
	assert_int_equal(run(t, &x, 4 * SEC), 0);
	assert_int_equal(left(&x, 4 * SEC), 11 * SEC);
	ct_table_free(t);
}

/* 15. ND, MLD and MRD messages are UNTRACKED, with no entry (spec §6.4). */
static void test_icmp6_untracked(void **state)
{
	static const struct {
		uint8_t type;
		uint8_t ctinfo;
	} cases[] = {
	    {130, CT_INFO_UNTRACKED}, {131, CT_INFO_UNTRACKED}, {132, CT_INFO_UNTRACKED},
	    {133, CT_INFO_UNTRACKED}, {134, CT_INFO_UNTRACKED}, {135, CT_INFO_UNTRACKED},
	    {136, CT_INFO_UNTRACKED}, {143, CT_INFO_UNTRACKED}, {151, CT_INFO_UNTRACKED},
	    {152, CT_INFO_UNTRACKED}, {153, CT_INFO_INVALID},	{144, CT_INFO_INVALID},
	};
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		icmp6(&x, LL6, A6, cases[i].type, 0, 0, NULL, 0, 255);
		assert_int_equal(run(t, &x, 1 * SEC), 0);
		assert_int_equal(x.p.ctinfo, cases[i].ctinfo);
		assert_null(x.p.ct);
		assert_int_equal(ct_info_state_bit(x.p.ctinfo), cases[i].ctinfo == CT_INFO_UNTRACKED
								    ? CT_STATE_UNTRACKED
								    : CT_STATE_INVALID);
	}
	assert_int_equal(ct_table_count(t), 0);
	ct_table_free(t);
}

/* 16. ICMPv6 errors, with extension headers in the quote. */
static void test_icmp6_errors(void **state)
{
	/* Hop-by-hop (8 bytes, PadN) -> destination options (8 bytes) -> UDP */
	static const uint8_t ext[16] = {60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
	struct ct_table *t = mk_table();
	struct tp orig, rep, e;
	uint8_t q[128];

	(void)state;
	udp6(&orig, A6, B6, 1500, 2500, ext, sizeof(ext), 0);
	assert_int_equal(run(t, &orig, 1 * SEC), 0);
	assert_int_equal(orig.p.ctinfo, CT_INFO_NEW);

	/* 16.1 destination unreachable back to A: RELATED_REPLY */
	icmp6(&e, R6, A6, 1, 4, 0, orig.b, orig.p.len, 64);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_ptr_equal(e.p.ct, orig.p.ct);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 16.2 packet too big about a reply, to B: RELATED */
	udp6(&rep, B6, A6, 2500, 1500, NULL, 0, 0);
	assert_int_equal(run(t, &rep, 2 * SEC), 0);
	icmp6(&e, R6, B6, 2, 0, 0, rep.b, rep.p.len, 64);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED);
	assert_false(ct_conn_status(e.p.ct) & CT_S_ASSURED);

	/* 16.3 bogus outer destination */
	icmp6(&e, R6, B6, 1, 4, 0, orig.b, orig.p.len, 64);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 16.4 quote whose fragment header says "not the first fragment" */
	memcpy(q, orig.b, 40);
	q[6] = 44;
	q[40] = 17;
	q[41] = 0;
	pk_wr16(q + 42, 8 << 3); /* offset 64 bytes */
	memset(q + 44, 0, 4);
	memcpy(q + 48, orig.b + orig.p.l4_off, 8);
	icmp6(&e, R6, A6, 1, 4, 0, q, 56, 64);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 16.5 the same with offset 0 (first fragment): RELATED_REPLY */
	pk_wr16(q + 42, 1); /* M flag only */
	icmp6(&e, R6, A6, 1, 4, 0, q, 56, 64);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);

	/* 16.6 quote cut inside the extension headers */
	icmp6(&e, R6, A6, 1, 4, 0, orig.b, 44, 64);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);

	/* 16.7 "no next header" in the quote */
	memcpy(q, orig.b, 48);
	q[6] = 59;
	icmp6(&e, R6, A6, 1, 4, 0, q, 48, 64);
	assert_int_equal(run(t, &e, 3 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	ct_table_free(t);
}

/* A redirect (RFC 4861 §4.5) from `src` to `dst`, with an optional quote. */
static void redirect6(struct tp *t, const uint8_t *src, const uint8_t *dst, uint8_t hop,
		      const struct tp *quote, bool with_lladdr)
{
	uint8_t l4[512] = {0};
	uint32_t n = 40; /* type, code, checksum, reserved, target, destination */

	l4[0] = 137;
	memcpy(l4 + 8, R6, 16);
	memcpy(l4 + 24, B6, 16);
	if (with_lladdr) { /* target link-layer address option, 8 bytes */
		l4[n] = 2;
		l4[n + 1] = 1;
		n += 8;
	}
	if (quote) { /* Redirected Header: type, length, 6 reserved, the packet */
		uint32_t units = (8 + quote->p.len + 7) / 8;

		l4[n] = 4;
		l4[n + 1] = (uint8_t)units;
		memcpy(l4 + n + 8, quote->b, quote->p.len);
		n += units * 8;
	}
	ip6(t, src, dst, 0, NULL, 0, 58, l4, n, hop);
}

/* 17. Redirects: RELATED only with hop limit 255, link-local source and the option. */
static void test_icmp6_redirect(void **state)
{
	struct ct_table *t = mk_table();
	struct tp orig, e;

	(void)state;
	udp6(&orig, A6, B6, 1600, 2600, NULL, 0, 0);
	assert_int_equal(run(t, &orig, 1 * SEC), 0);

	/* 17.1 valid, after another option */
	redirect6(&e, LL6, A6, 255, &orig, true);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_ptr_equal(e.p.ct, orig.p.ct);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);
	/* 17.2 valid, the quote option alone */
	redirect6(&e, LL6, A6, 255, &orig, false);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_RELATED_REPLY);
	/* 17.3 hop limit 64 */
	redirect6(&e, LL6, A6, 64, &orig, false);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	/* 17.4 global source */
	redirect6(&e, R6, A6, 255, &orig, false);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	/* 17.5 no Redirected Header option */
	redirect6(&e, LL6, A6, 255, NULL, true);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	/* 17.6 no options at all */
	redirect6(&e, LL6, A6, 255, NULL, false);
	assert_int_equal(run(t, &e, 2 * SEC), 0);
	assert_int_equal(e.p.ctinfo, CT_INFO_INVALID);
	assert_int_equal(ct_table_count(t), 1);
	ct_table_free(t);
}

/* ---- GRE ------------------------------------------------------------------- */

static void gre4(struct tp *t, const uint8_t *src, const uint8_t *dst, int version, uint16_t proto,
		 uint16_t call_id)
{
	uint8_t l4[32] = {0};
	uint32_t n = 4;

	if (version == 1) {
		l4[0] = 0x20; /* K (key present: payload length + call ID) */
		l4[1] = 0x01;
		pk_wr16(l4 + 2, proto);
		pk_wr16(l4 + 4, 0);
		pk_wr16(l4 + 6, call_id);
		n = 8;
	} else {
		pk_wr16(l4 + 2, proto);
	}
	memset(l4 + n, 0x45, 12);
	ip4(t, src, dst, 47, l4, n + 12);
}

/* 18. GRE version 0: keys 0; 30 s until replied, then 180 s and ASSURED. */
static void test_gre_v0(void **state)
{
	struct ct_table *t = mk_table();
	struct ct_tuple tu;
	struct tp x;

	(void)state;
	gre4(&x, A, B, 0, 0x0800, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(left(&x, 1 * SEC), 30 * SEC);
	ct_conn_tuple(x.p.ct, CT_DIR_ORIGINAL, &tu);
	assert_int_equal(tu.src_l4, 0);
	assert_int_equal(tu.dst_l4, 0);

	/* the first reply itself: 30 s, not ASSURED */
	gre4(&x, B, A, 0, 0x0800, 0);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED_REPLY);
	assert_int_equal(left(&x, 2 * SEC), 30 * SEC);
	assert_false(ct_conn_status(x.p.ct) & CT_S_ASSURED);
	/* any later packet: 180 s and ASSURED (no 2 s rule for GRE) */
	gre4(&x, A, B, 0, 0x0800, 0);
	assert_int_equal(run(t, &x, 2 * SEC + 1), 0);
	assert_int_equal(left(&x, 2 * SEC + 1), 180 * SEC);
	assert_true(ct_conn_status(x.p.ct) & CT_S_ASSURED);
	ct_table_free(t);
}

/* 19. GRE version 1 (PPTP): dstkey = call ID, srckey 0; other protocols INVALID. */
static void test_gre_v1(void **state)
{
	struct ct_table *t = mk_table();
	struct ct_tuple tu;
	struct tp x;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_gre_timeout", "40"), 0);
	assert_int_equal(ct_setting_set(t, "nf_conntrack_gre_timeout_stream", "90"), 0);
	gre4(&x, A, B, 1, 0x880b, 0x1234);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(left(&x, 1 * SEC), 40 * SEC);
	ct_conn_tuple(x.p.ct, CT_DIR_ORIGINAL, &tu);
	assert_int_equal(tu.src_l4, 0);
	assert_int_equal(tu.dst_l4, 0x1234);
	ct_conn_tuple(x.p.ct, CT_DIR_REPLY, &tu);
	assert_int_equal(tu.src_l4, 0x1234);
	assert_int_equal(tu.dst_l4, 0);

	/* 19.2 without the PPTP helper the peer's packets (its own call ID) are another flow */
	gre4(&x, B, A, 1, 0x880b, 0x5678);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	assert_int_equal(ct_table_count(t), 2);

	/* 19.3 version 1 carrying something other than PPP is not tracked */
	gre4(&x, A, B, 1, 0x0800, 0x1234);
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);

	/* 19.4 keys the parser got wrong are refused rather than tracked wrongly */
	gre4(&x, A, B, 1, 0x880b, 0x4321);
	x.p.tuple.dst_l4 = 0;
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	assert_int_equal(ct_table_count(t), 2);
	ct_table_free(t);
}

/* ---- SCTP ------------------------------------------------------------------ */

struct chunk {
	uint8_t type, flags;
	uint32_t init_tag; /* INIT / INIT ACK */
	uint16_t len;	   /* value bytes for other chunks */
};

static void sctp4(struct tp *t, const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp,
		  uint32_t vtag, const struct chunk *ch, size_t nch)
{
	uint8_t l4[512] = {0};
	uint32_t n = 12;

	pk_wr16(l4, sp);
	pk_wr16(l4 + 2, dp);
	pk_wr32(l4 + 4, vtag);
	for (size_t i = 0; i < nch; i++) {
		uint16_t clen = 4;

		l4[n] = ch[i].type;
		l4[n + 1] = ch[i].flags;
		if (ch[i].type == 1 || ch[i].type == 2) {
			pk_wr32(l4 + n + 4, ch[i].init_tag);
			pk_wr32(l4 + n + 8, 65536);
			pk_wr16(l4 + n + 12, 10);
			pk_wr16(l4 + n + 14, 10);
			pk_wr32(l4 + n + 16, 1000);
			clen = 20;
		} else {
			clen = (uint16_t)(4 + ch[i].len);
			memset(l4 + n + 4, 0xab, ch[i].len);
		}
		pk_wr16(l4 + n + 2, clen);
		n += (clen + 3u) & ~3u;
	}
	ip4(t, src, dst, 132, l4, n);
}

#define TA 0x11111111u /* A's tag: B's packets carry it */
#define TB 0x22222222u /* B's tag: A's packets carry it */

static void sctp1(struct tp *t, bool from_a, uint32_t vtag, uint8_t type, uint8_t flags)
{
	struct chunk ch = {.type = type, .flags = flags, .len = 8};

	if (type == 1)
		ch.init_tag = TA;
	else if (type == 2)
		ch.init_tag = TB;
	if (from_a)
		sctp4(t, A, B, 1000, 2000, vtag, &ch, 1);
	else
		sctp4(t, B, A, 2000, 1000, vtag, &ch, 1);
}

struct ev_count {
	int n_update;
};

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct ev_count *e = arg;

	(void)c;
	(void)now;
	if (type == CT_EVENT_UPDATE)
		e->n_update++;
}

/* 20. The association of spec §6.6, state and timeout after each chunk. */
static void test_sctp_path(void **state)
{
	static const struct {
		bool from_a;
		uint32_t vtag;
		uint8_t type;
		uint8_t ctinfo;
		uint8_t st;
		uint32_t timeout;
		bool assured;
		bool event;
	} steps[] = {
	    /* 20.1 */ {true, 0, 1, CT_INFO_NEW, CT_SCTP_CLOSED, 10, false, false},
	    /* 20.2 */
	    {false, TA, 2, CT_INFO_ESTABLISHED_REPLY, CT_SCTP_COOKIE_WAIT, 3, false, true},
	    /* 20.3 */ {true, TB, 10, CT_INFO_ESTABLISHED, CT_SCTP_COOKIE_ECHOED, 3, false, true},
	    /* 20.4 */
	    {false, TA, 11, CT_INFO_ESTABLISHED_REPLY, CT_SCTP_ESTABLISHED, 210, true, true},
	    /* 20.5 DATA */
	    {true, TB, 0, CT_INFO_ESTABLISHED, CT_SCTP_ESTABLISHED, 210, true, false},
	    /* 20.6 SACK */
	    {false, TA, 3, CT_INFO_ESTABLISHED_REPLY, CT_SCTP_ESTABLISHED, 210, true, false},
	    /* 20.7 HEARTBEAT */
	    {true, TB, 4, CT_INFO_ESTABLISHED, CT_SCTP_ESTABLISHED, 210, true, false},
	    /* 20.8 HB ACK */
	    {false, TA, 5, CT_INFO_ESTABLISHED_REPLY, CT_SCTP_ESTABLISHED, 210, true, false},
	    /* 20.9 */ {true, TB, 7, CT_INFO_ESTABLISHED, CT_SCTP_SHUTDOWN_SENT, 3, true, true},
	    /* 20.10 */
	    {false, TA, 8, CT_INFO_ESTABLISHED_REPLY, CT_SCTP_SHUTDOWN_ACK_SENT, 3, true, true},
	    /* 20.11 */ {true, TB, 14, CT_INFO_ESTABLISHED, CT_SCTP_CLOSED, 10, true, true},
	};
	struct ev_count ev = {0};
	struct ct_table_config cfg = {.max = 16, .event_fn = on_event, .event_arg = &ev};
	struct ct_table *t = NULL;
	struct tp x;

	(void)state;
	assert_int_equal(ct_table_new(&cfg, &t), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t now = (uint64_t)(i + 1) * SEC;
		int before = ev.n_update;

		sctp1(&x, steps[i].from_a, steps[i].vtag, steps[i].type, 0);
		assert_int_equal(run(t, &x, now), 0);
		assert_int_equal(x.p.ctinfo, steps[i].ctinfo);
		assert_non_null(x.p.ct);
		assert_int_equal(ct_conn_proto_state(x.p.ct), steps[i].st);
		assert_int_equal(left(&x, now), (uint64_t)steps[i].timeout * SEC);
		assert_int_equal(!!(ct_conn_status(x.p.ct) & CT_S_ASSURED), steps[i].assured);
		/* state changes raise an update; the reply's SEEN_REPLY does too */
		if (steps[i].event)
			assert_true(ev.n_update > before);
		else if (i > 0)
			assert_int_equal(ev.n_update, before);
		if (i == 0)
			assert_false(ct_conn_status(x.p.ct) & CT_S_SEEN_REPLY); /* [UNREPLIED] */
	}
	assert_int_equal(ct_table_count(t), 1);
	ct_table_free(t);
}

/* 21. Tags and CRC: a wrong tag or a bad CRC32c is INVALID and not counted. */
static void test_sctp_invalid(void **state)
{
	struct ct_table *t = mk_table();
	struct ct_conn *c;
	uint64_t pk, by, pk0;
	struct tp x;

	(void)state;
	assert_int_equal(ct_setting_set(t, "nf_conntrack_acct", "1"), 0);
	sctp1(&x, true, 0, 1, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	c = x.p.ct;
	sctp1(&x, false, TA, 2, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	sctp1(&x, true, TB, 10, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	sctp1(&x, false, TA, 11, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(ct_conn_proto_state(c), CT_SCTP_ESTABLISHED);
	assert_true(ct_conn_counters(t, c, CT_DIR_ORIGINAL, &pk0, &by));

	/* 21.1 DATA with the wrong tag */
	sctp1(&x, true, TA, 0, 0);
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 21.2 bad CRC at prerouting */
	sctp1(&x, true, TB, 0, 0);
	x.b[x.p.l4_off + 20] ^= 1;
	assert_int_equal(run(t, &x, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	assert_true(ct_conn_counters(t, c, CT_DIR_ORIGINAL, &pk, &by));
	assert_int_equal(pk, pk0);
	/* 21.3 the same bad CRC is not checked at output */
	assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 2 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED);
	/* 21.4 ABORT must carry the receiver's tag, or the sender's with T set */
	sctp1(&x, true, TA, 6, 0);
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	sctp1(&x, true, TA, 6, 1);
	assert_int_equal(run(t, &x, 3 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_ESTABLISHED);
	assert_int_equal(ct_conn_proto_state(c), CT_SCTP_CLOSED);
	assert_int_equal(ct_conn_timeout_left(c, 3 * SEC), 10 * SEC);
	ct_table_free(t);
}

/* 22. What may open an entry (RFC 9260 §8.4) and packet structure checks. */
static void test_sctp_new(void **state)
{
	static const struct {
		uint8_t type;
		uint32_t vtag;
		uint8_t ctinfo;
		uint8_t st;
	} cases[] = {
	    {6, 5, CT_INFO_INVALID, 0},			    /* 22.1 OOTB ABORT */
	    {14, 5, CT_INFO_INVALID, 0},		    /* 22.2 OOTB SHUTDOWN COMPLETE */
	    {11, 5, CT_INFO_INVALID, 0},		    /* 22.3 OOTB COOKIE ACK */
	    {0, 5, CT_INFO_INVALID, 0},			    /* 22.4 DATA */
	    {3, 5, CT_INFO_INVALID, 0},			    /* 22.5 SACK */
	    {1, 5, CT_INFO_INVALID, 0},			    /* 22.6 INIT with a non-zero tag */
	    {4, 5, CT_INFO_NEW, CT_SCTP_HEARTBEAT_SENT},    /* 22.7 HEARTBEAT: secondary path */
	    {8, 5, CT_INFO_NEW, CT_SCTP_SHUTDOWN_ACK_SENT}, /* 22.8 OOTB SHUTDOWN ACK */
	    {10, 0, CT_INFO_NEW, CT_SCTP_CLOSED},	    /* 22.9 COOKIE ECHO, tag 0 */
	    {10, 5, CT_INFO_INVALID, 0}, /* 22.10 COOKIE ECHO: tag must be the (unknown, 0) one */
	};
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chunk ch = {.type = cases[i].type, .len = 4, .init_tag = 9};

		sctp4(&x, A, B, (uint16_t)(3000 + i), 80, cases[i].vtag, &ch, 1);
		assert_int_equal(run(t, &x, 1 * SEC), 0);
		assert_int_equal(x.p.ctinfo, cases[i].ctinfo);
		if (x.p.ct)
			assert_int_equal(ct_conn_proto_state(x.p.ct), cases[i].st);
	}
	/* 22.11 INIT bundled with another chunk */
	{
		struct chunk ch[2] = {{.type = 1, .init_tag = 7}, {.type = 0, .len = 4}};

		sctp4(&x, A, B, 3100, 80, 0, ch, 2);
		assert_int_equal(run(t, &x, 1 * SEC), 0);
		assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	}
	/* 22.12 no chunk at all */
	sctp4(&x, A, B, 3101, 80, 0, NULL, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 22.13 shorter than the common header */
	sctp1(&x, true, 0, 1, 0);
	x.p.l4_len = 10;
	x.p.len = x.p.l4_off + 10;
	assert_int_equal(run_hook(t, &x, CT_HOOK_OUTPUT, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	/* 22.14 a zero-length chunk */
	sctp1(&x, true, 0, 1, 0);
	pk_wr16(x.b + x.p.l4_off + 14, 0);
	l4_checksum(&x);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_INVALID);
	ct_table_free(t);
}

/* 23. A retransmitted INIT does not refresh; shutdown states are early-droppable. */
static void test_sctp_retrans_and_early_drop(void **state)
{
	static const struct {
		uint8_t st;
		bool droppable;
	} drop_cases[] = {
	    {CT_SCTP_CLOSED, false},	       {CT_SCTP_COOKIE_WAIT, false},
	    {CT_SCTP_COOKIE_ECHOED, false},    {CT_SCTP_ESTABLISHED, false},
	    {CT_SCTP_SHUTDOWN_SENT, true},     {CT_SCTP_SHUTDOWN_RECD, true},
	    {CT_SCTP_SHUTDOWN_ACK_SENT, true}, {CT_SCTP_HEARTBEAT_SENT, false},
	};
	const struct ct_l4proto *l4 = ct_l4proto_find(132);
	struct ct_table *t = mk_table();
	struct tp x;

	(void)state;
	sctp1(&x, true, 0, 1, 0);
	assert_int_equal(run(t, &x, 1 * SEC), 0);
	sctp1(&x, true, 0, 1, 0);
	assert_int_equal(run(t, &x, 5 * SEC), 0);
	assert_int_equal(x.p.ctinfo, CT_INFO_NEW);
	/* 23.1 expiry still counts from the first INIT */
	assert_int_equal(left(&x, 5 * SEC), 6 * SEC);

	/* 23.2 SHUTDOWN from the responder: SHUTDOWN_RECD */
	sctp1(&x, false, TA, 2, 0);
	assert_int_equal(run(t, &x, 6 * SEC), 0);
	sctp1(&x, true, TB, 10, 0);
	assert_int_equal(run(t, &x, 6 * SEC), 0);
	sctp1(&x, false, TA, 11, 0);
	assert_int_equal(run(t, &x, 6 * SEC), 0);
	sctp1(&x, false, TA, 7, 0);
	assert_int_equal(run(t, &x, 7 * SEC), 0);
	assert_int_equal(ct_conn_proto_state(x.p.ct), CT_SCTP_SHUTDOWN_RECD);
	assert_int_equal(left(&x, 7 * SEC), 3 * SEC);

	/* 23.3 can_early_drop per state */
	for (size_t i = 0; i < sizeof(drop_cases) / sizeof(drop_cases[0]); i++) {
		struct ct_conn c = {.proto = 132};

		c.ps.sctp.state = drop_cases[i].st;
		assert_int_equal(l4->can_early_drop(&c), drop_cases[i].droppable);
	}
	assert_null(ct_l4proto_find(17)->can_early_drop);
	assert_true(ct_l4proto_find(17)->allow_clash);
	assert_true(ct_l4proto_find(136)->allow_clash);
	assert_true(ct_l4proto_find(47)->allow_clash);
	assert_false(ct_l4proto_find(132)->allow_clash);
	assert_false(ct_l4proto_find(1)->allow_clash);
	assert_false(ct_l4proto_find(58)->allow_clash);
	ct_table_free(t);
}

/*
 * 25. The hand-built packets parse (lib/parse.c) to the same L3/L4 fields
 * and tuple that the tests above fill in, and a flow run through the
 * parser behaves the same.
 */
static void test_parser_agreement(void **state)
{
	static const uint8_t ext[16] = {60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
	struct ct_table *t = mk_table();
	struct tp x[12], q;
	struct ct_pkt pp;
	size_t n = 0;

	(void)state;
	udp4(&x[n++], A, B, 1, 2, 10);
	icmp4(&x[n++], A, B, 8, 0, 0x4242, NULL, 0);
	udp4(&q, A, B, 1, 2, 10);
	icmp4_err(&x[n++], R, A, 3, &q, 0);
	gre4(&x[n++], A, B, 0, 0x0800, 0);
	gre4(&x[n++], A, B, 1, 0x880b, 0x1234);
	sctp1(&x[n++], true, 0, 1, 0);
	icmp6(&x[n++], A6, B6, 128, 0, 7, NULL, 0, 64);
	icmp6(&x[n++], R6, A6, 1, 4, 0, q.b, 28, 64);
	udp6(&x[n++], A6, B6, 5, 6, ext, sizeof(ext), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ct_pkt_parse(&pp, x[i].b, x[i].p.len, CT_LINK_RAW), CT_PARSE_OK);
		assert_int_equal(pp.l4_bad, CT_L4_OK);
		assert_int_equal(pp.l3num, x[i].p.l3num);
		assert_int_equal(pp.proto, x[i].p.proto);
		assert_int_equal(pp.l4_off, x[i].p.l4_off);
		assert_int_equal(pp.l4_len, x[i].p.l4_len);
		assert_int_equal(pp.l3_len, x[i].p.l3_len);
		assert_int_equal(pp.ttl, x[i].p.ttl);
		assert_memory_equal(&pp.tuple, &x[i].p.tuple, sizeof(pp.tuple));
	}
	/* 25.2 a UDP exchange and an error about it, parsed */
	udp4(&q, A, B, 777, 53, 10);
	assert_int_equal(ct_pkt_parse(&pp, q.b, q.p.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_int_equal(ct_hook_conntrack(t, &pp, CT_HOOK_PREROUTING, 1 * SEC), 0);
	assert_int_equal(ct_confirm(t, &pp, 1 * SEC), 0);
	assert_int_equal(pp.ctinfo, CT_INFO_NEW);
	icmp4_err(&x[0], B, A, 3, &q, 0);
	assert_int_equal(ct_pkt_parse(&pp, x[0].b, x[0].p.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_int_equal(ct_hook_conntrack(t, &pp, CT_HOOK_PREROUTING, 2 * SEC), 0);
	assert_int_equal(pp.ctinfo, CT_INFO_RELATED_REPLY);
	assert_int_equal(ct_confirm(t, &pp, 2 * SEC), 0);
	/* 25.3 GRE v1 with a foreign protocol: the parser flags it, INVALID either way */
	gre4(&x[0], A, B, 1, 0x0800, 1);
	assert_int_equal(ct_pkt_parse(&pp, x[0].b, x[0].p.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_int_equal(ct_hook_conntrack(t, &pp, CT_HOOK_PREROUTING, 2 * SEC), 0);
	assert_int_equal(pp.ctinfo, CT_INFO_INVALID);
	ct_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp_unreplied),
	    cmocka_unit_test(test_udp_stream),
	    cmocka_unit_test(test_udp_late_first_reply),
	    cmocka_unit_test(test_udp_checksum),
	    cmocka_unit_test(test_udp_length),
	    cmocka_unit_test(test_udp_sysctl_and_clash),
	    cmocka_unit_test(test_udplite),
	    cmocka_unit_test(test_icmp_echo),
	    cmocka_unit_test(test_icmp_types),
	    cmocka_unit_test(test_icmp_invert),
	    cmocka_unit_test(test_icmp_errors),
	    cmocka_unit_test(test_icmp_quote_shapes),
	    cmocka_unit_test(test_icmp_error_zone),
	    cmocka_unit_test(test_udp6_checksum),
	    cmocka_unit_test(test_icmp6_echo),
	    cmocka_unit_test(test_icmp6_untracked),
	    cmocka_unit_test(test_icmp6_errors),
	    cmocka_unit_test(test_icmp6_redirect),
	    cmocka_unit_test(test_gre_v0),
	    cmocka_unit_test(test_gre_v1),
	    cmocka_unit_test(test_sctp_path),
	    cmocka_unit_test(test_sctp_invalid),
	    cmocka_unit_test(test_sctp_new),
	    cmocka_unit_test(test_sctp_retrans_and_early_drop),
	    cmocka_unit_test(test_parser_agreement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
