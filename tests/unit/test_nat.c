/* SPDX-License-Identifier: MIT */
/*
 * NAT (spec §10): tuple selection through the conntrack pipeline (keep,
 * default search classes, ranges, exhaustion, random/persistent/offset
 * flags, by-source reuse, eviction of TIME_WAIT entries), null bindings,
 * checksum updates (RFC 1624 edges, zero UDP checksum, odd lengths, IPv6
 * pseudo-header), ICMP/ICMPv6 error translation (the [V] cases of §10.5),
 * fragments, and the conntrack --src-nat/--dst-nat/--any-nat predicates.
 *
 * Packets are built by hand with checksums computed here (independently of
 * lib/).  Expected values come from the spec, RFC 1624 and the kernel's
 * documented behaviour; where the kernel is random (search offsets) the
 * test checks what is deterministic: the class or range, uniqueness.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "pkt_build.h"
#include "ctrack/nat.h"
#include "nat/nat_priv.h"

#define SEC CT_NSEC_PER_SEC
#define NOW (100 * SEC)

static const uint8_t A[4] = {10, 0, 1, 2};  /* client */
static const uint8_t B[4] = {10, 0, 1, 3};  /* second client */
static const uint8_t S[4] = {10, 0, 2, 2};  /* server */
static const uint8_t S2[4] = {10, 0, 2, 3}; /* second server */
static const uint8_t N[4] = {10, 0, 2, 1};  /* the router's outside address */
static const uint8_t V[4] = {10, 0, 1, 1};  /* a public (DNATed) address */
static const uint8_t R9[4] = {10, 0, 2, 9}; /* a router beyond */

/* ---- packets -------------------------------------------------------------- */

struct pk {
	uint8_t b[2048];
	uint32_t len;
	struct ct_pkt p;
};

static bool ip4_csum_ok(const uint8_t *ip)
{
	return pk_fold(pk_sum16(ip, (size_t)(ip[0] & 15) * 4, 0)) == 0;
}

/* Verify the L4 checksum of an IPv4 or IPv6 (no ext headers) datagram. */
static bool l4_csum_ok(const uint8_t *ip)
{
	if ((ip[0] >> 4) == 4) {
		uint32_t hl = (uint32_t)(ip[0] & 15) * 4, tot = pk_rd16(ip + 2), l4 = tot - hl;

		if (ip[9] == 1)
			return pk_fold(pk_sum16(ip + hl, l4, 0)) == 0;
		return pk_fold(pk_sum16(ip + hl, l4, pk_pseudo4(ip, ip[9], l4))) == 0;
	}
	return pk_csum(ip + 40, pk_rd16(ip + 4), pk_pseudo6(ip, ip[6], pk_rd16(ip + 4))) == 0;
}

static void parse(struct pk *k)
{
	assert_int_equal(ct_pkt_parse(&k->p, k->b, k->len, CT_LINK_RAW), CT_PARSE_OK);
}

/* TCP segment (20-byte header) with `pay` payload bytes. */
static void mk_tcp(struct pk *k, const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp,
		   uint8_t flags, uint32_t seq, uint32_t pay)
{
	uint8_t *t = k->b + 20;

	memset(k->b, 0, sizeof(k->b));
	pk_ip4_hdr(k->b, src, dst, 6, 64, 0x1234, 0, 20 + pay);
	pk_wr16(t, sp);
	pk_wr16(t + 2, dp);
	pk_wr16(t + 4, (uint16_t)(seq >> 16));
	pk_wr16(t + 6, (uint16_t)seq);
	t[12] = 5 << 4;
	t[13] = flags;
	pk_wr16(t + 14, 64240);
	for (uint32_t i = 0; i < pay; i++)
		t[20 + i] = (uint8_t)(0xa5 + 7 * i);
	pk_wr16(t + 16, pk_fold(pk_sum16(t, 20 + pay, pk_pseudo4(k->b, 6, 20 + pay))));
	k->len = 40 + pay;
	parse(k);
}

static void mk_udp(struct pk *k, const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp,
		   uint32_t pay, bool no_csum)
{
	uint8_t *u = k->b + 20;

	memset(k->b, 0, sizeof(k->b));
	pk_ip4_hdr(k->b, src, dst, 17, 64, 0x1234, 0, 8 + pay);
	pk_wr16(u, sp);
	pk_wr16(u + 2, dp);
	pk_wr16(u + 4, (uint16_t)(8 + pay));
	for (uint32_t i = 0; i < pay; i++)
		u[8 + i] = (uint8_t)(0x31 + 3 * i);
	if (!no_csum) {
		uint16_t c = pk_fold(pk_sum16(u, 8 + pay, pk_pseudo4(k->b, 17, 8 + pay)));

		pk_wr16(u + 6, c ? c : 0xffff);
	}
	k->len = 28 + pay;
	parse(k);
}

static void mk_echo(struct pk *k, const uint8_t *src, const uint8_t *dst, uint8_t type,
		    uint16_t id)
{
	uint8_t *ic = k->b + 20;

	memset(k->b, 0, sizeof(k->b));
	pk_ip4_hdr(k->b, src, dst, 1, 64, 0x1234, 0, 16);
	ic[0] = type;
	pk_wr16(ic + 4, id);
	pk_wr16(ic + 6, 1);
	memcpy(ic + 8, "pingping", 8);
	pk_wr16(ic + 2, pk_fold(pk_sum16(ic, 16, 0)));
	k->len = 36;
	parse(k);
}

/* ICMP error from `from` to `to` quoting `q_len` bytes of the IP packet q. */
static void mk_icmp_err(struct pk *k, const uint8_t *from, const uint8_t *to, uint8_t type,
			uint8_t code, const uint8_t *q, uint32_t q_len)
{
	uint8_t *ic = k->b + 20;

	memset(k->b, 0, sizeof(k->b));
	pk_ip4_hdr(k->b, from, to, 1, 64, 0x1234, 0, 8 + q_len);
	ic[0] = type;
	ic[1] = code;
	memcpy(ic + 8, q, q_len);
	pk_wr16(ic + 2, pk_fold(pk_sum16(ic, 8 + q_len, 0)));
	k->len = 28 + q_len;
	parse(k);
}

/* ---- the pipeline --------------------------------------------------------- */

static struct ct_table *mk_table(uint32_t max)
{
	struct ct_table_config cfg = {.max = max, .seed = 42};
	struct ct_table *t;

	assert_int_equal(ct_table_new(&cfg, &t), 0);
	assert_int_equal(nat_table_init(t), 0);
	return t;
}

/* conntrack at prerouting: the packet's first packet creates an unconfirmed entry. */
static struct ct_conn *track(struct ct_table *t, struct pk *k, enum ct_hook hook)
{
	assert_int_equal(ct_hook_conntrack(t, &k->p, hook, NOW), 0);
	assert_non_null(k->p.ct);
	return k->p.ct;
}

static struct nat_range range4(const uint8_t *lo, const uint8_t *hi, uint16_t plo, uint16_t phi)
{
	struct nat_range r;

	memset(&r, 0, sizeof(r));
	if (lo) {
		r.flags |= NAT_RANGE_MAP_IPS;
		memcpy(r.min_addr, lo, 4);
		memcpy(r.max_addr, hi ? hi : lo, 4);
	}
	if (plo) {
		r.flags |= NAT_RANGE_PROTO_SPECIFIED;
		r.min_proto = plo;
		r.max_proto = phi ? phi : plo;
	}
	return r;
}

/*
 * A new TCP SYN (or UDP/ICMP packet in k) through conntrack, one NAT
 * manipulation and confirm.  The reply tuple chosen is stored in *rep;
 * returns ct_confirm's verdict.
 */
static int nat_flow(struct ct_table *t, struct pk *k, const struct nat_range *r,
		    enum nat_manip_type m, struct ct_tuple *rep, uint16_t *status)
{
	struct ct_conn *c = track(t, k, m == NAT_MANIP_SRC ? CT_HOOK_PREROUTING : CT_HOOK_PREROUTING);

	assert_true(k->p.ct_new);
	assert_int_equal(nat_setup(t, c, r, m, NOW), 0);
	ct_conn_tuple(c, CT_DIR_REPLY, rep);
	if (status)
		*status = (uint16_t)ct_conn_status(c);
	return ct_confirm(t, &k->p, NOW);
}

static int snat_tcp(struct ct_table *t, const uint8_t *src, uint16_t sp, const uint8_t *dst,
		    uint16_t dp, const struct nat_range *r, struct ct_tuple *rep)
{
	struct pk k;

	mk_tcp(&k, src, sp, dst, dp, 0x02, 1000, 0);
	return nat_flow(t, &k, r, NAT_MANIP_SRC, rep, NULL);
}

static bool addr_is(const uint8_t *a, const uint8_t *want)
{
	return memcmp(a, want, 4) == 0;
}

/* ---- 1. keep and default search classes (§10.3 steps 1, 3, 4) ------------- */

static void test_snat_keep_and_classes(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range r = range4(N, NULL, 0, 0);
	struct ct_tuple rep;
	struct pk k;
	uint16_t st;

	(void)state;
	/* 1.1 [V] 10.0.1.2:40000 masqueraded -> 10.0.2.1:40000 (unique: kept). */
	mk_tcp(&k, A, 40000, S, 80, 0x02, 1, 0);
	assert_int_equal(nat_flow(t, &k, &r, NAT_MANIP_SRC, &rep, &st), 0);
	assert_true(addr_is(rep.src, S) && rep.src_l4 == 80);
	assert_true(addr_is(rep.dst, N) && rep.dst_l4 == 40000);
	assert_int_equal(st & (CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT),
			 CT_S_SRC_NAT | CT_S_SRC_NAT_DONE);
	/* 1.2 a second client with the same port: searched in 1024-65535. */
	assert_int_equal(snat_tcp(t, B, 40000, S, 80, &r, &rep), 0);
	assert_true(addr_is(rep.dst, N));
	assert_true(rep.dst_l4 >= 1024 && rep.dst_l4 != 40000);
	/* 1.3 "taken" is the whole tuple: towards another server 40000 is free. */
	assert_int_equal(snat_tcp(t, B, 40001, S2, 80, &r, &rep), 0);
	assert_int_equal(snat_tcp(t, A, 40001, S, 80, &r, &rep), 0);
	assert_int_equal(rep.dst_l4, 40001);
	/* 1.4 512-1023 searches 600-1023 ([V] 10.0.1.3:800 got 636). */
	assert_int_equal(snat_tcp(t, A, 800, S, 80, &r, &rep), 0);
	assert_int_equal(rep.dst_l4, 800);
	assert_int_equal(snat_tcp(t, B, 800, S, 80, &r, &rep), 0);
	assert_true(rep.dst_l4 >= 600 && rep.dst_l4 <= 1023 && rep.dst_l4 != 800);
	/* 1.5 512-599 belongs to the same class. */
	assert_int_equal(snat_tcp(t, A, 550, S, 80, &r, &rep), 0);
	assert_int_equal(snat_tcp(t, B, 550, S, 80, &r, &rep), 0);
	assert_true(rep.dst_l4 >= 600 && rep.dst_l4 <= 1023);
	/* 1.6 < 512 searches 1-511. */
	assert_int_equal(snat_tcp(t, A, 100, S, 80, &r, &rep), 0);
	assert_int_equal(snat_tcp(t, B, 100, S, 80, &r, &rep), 0);
	assert_true(rep.dst_l4 >= 1 && rep.dst_l4 <= 511 && rep.dst_l4 != 100);
	/* 1.7 1023 / 1024 edges. */
	assert_int_equal(snat_tcp(t, A, 1023, S, 80, &r, &rep), 0);
	assert_int_equal(snat_tcp(t, B, 1023, S, 80, &r, &rep), 0);
	assert_true(rep.dst_l4 >= 600 && rep.dst_l4 <= 1023 && rep.dst_l4 != 1023);
	assert_int_equal(snat_tcp(t, A, 1024, S, 80, &r, &rep), 0);
	assert_int_equal(snat_tcp(t, B, 1024, S, 80, &r, &rep), 0);
	assert_true(rep.dst_l4 >= 1024 && rep.dst_l4 != 1024);
	ct_table_free(t);
}

/* ---- 2. explicit port ranges ([V] cases of §10.3) ---------------------------- */

static void test_snat_port_ranges(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range one = range4(N, NULL, 30000, 0), two = range4(N, NULL, 30000, 30001);
	struct nat_range wide = range4(N, NULL, 30000, 31000);
	struct ct_stats st;
	struct ct_tuple rep;

	(void)state;
	/* 2.1 snat to N:30000: the first flow gets 30000. */
	assert_int_equal(snat_tcp(t, A, 40000, S, 80, &one, &rep), 0);
	assert_int_equal(rep.dst_l4, 30000);
	/* 2.2 taken: a single-port range still uses it and confirm drops. */
	assert_int_equal(snat_tcp(t, B, 40000, S, 80, &one, &rep), -EPERM);
	assert_int_equal(rep.dst_l4, 30000);
	ct_table_stats(t, &st);
	assert_int_equal(st.insert_failed, 1);
	assert_int_equal(st.drop, 1);
	/* 2.3 30000-30001 with 30000 taken -> 30001; both taken -> dropped. */
	assert_int_equal(snat_tcp(t, B, 40001, S, 80, &two, &rep), 0);
	assert_int_equal(rep.dst_l4, 30001);
	assert_int_equal(snat_tcp(t, B, 40002, S, 80, &two, &rep), -EPERM);
	assert_true(rep.dst_l4 == 30000 || rep.dst_l4 == 30001);
	/* 2.4 UDP alike. */
	{
		struct pk k;

		mk_udp(&k, A, 5000, S, 53, 4, false);
		assert_int_equal(nat_flow(t, &k, &one, NAT_MANIP_SRC, &rep, NULL), 0);
		assert_int_equal(rep.dst_l4, 30000);
		mk_udp(&k, B, 5000, S, 53, 4, false);
		assert_int_equal(nat_flow(t, &k, &one, NAT_MANIP_SRC, &rep, NULL), -EPERM);
	}
	/* 2.5 an original port inside the range and unique is kept. */
	assert_int_equal(snat_tcp(t, A, 30500, S, 80, &wide, &rep), 0);
	assert_int_equal(rep.dst_l4, 30500);
	/* 2.6 outside the range: moved into it. */
	assert_int_equal(snat_tcp(t, A, 2000, S, 80, &wide, &rep), 0);
	assert_true(rep.dst_l4 >= 30000 && rep.dst_l4 <= 31000);
	ct_table_free(t);
}

/* ---- 3. DNAT --------------------------------------------------------------- */

static void test_dnat(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range to_s = range4(S, NULL, 0, 0), to_s8080 = range4(S, NULL, 8080, 0);
	struct nat_range pair = range4(S, NULL, 8080, 8081);
	struct ct_tuple rep;
	struct pk k;
	uint16_t st;

	(void)state;
	/* 3.1 dnat to S: reply S:80 -> A; DST_NAT + DST_NAT_DONE. */
	mk_tcp(&k, A, 40000, V, 80, 0x02, 1, 0);
	assert_int_equal(nat_flow(t, &k, &to_s, NAT_MANIP_DST, &rep, &st), 0);
	assert_true(addr_is(rep.src, S) && rep.src_l4 == 80 && addr_is(rep.dst, A) &&
		    rep.dst_l4 == 40000);
	assert_int_equal(st & (CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE),
			 CT_S_DST_NAT | CT_S_DST_NAT_DONE);
	/* 3.2 port forward 8080. */
	mk_tcp(&k, A, 40001, V, 9999, 0x02, 1, 0);
	assert_int_equal(nat_flow(t, &k, &to_s8080, NAT_MANIP_DST, &rep, NULL), 0);
	assert_true(addr_is(rep.src, S) && rep.src_l4 == 8080);
	/* 3.3 without a port range the port never changes: the clash is dropped at confirm. */
	mk_tcp(&k, A, 40000, V, 80, 0x02, 1, 0);
	/* same orig tuple as 3.1 would be found; use another public address */
	{
		static const uint8_t V2[4] = {10, 0, 1, 9};

		mk_tcp(&k, A, 40000, V2, 80, 0x02, 1, 0);
		assert_int_equal(nat_flow(t, &k, &to_s, NAT_MANIP_DST, &rep, NULL), -EPERM);
		assert_int_equal(rep.src_l4, 80);
	}
	/* 3.4 plain DNAT searches sequentially from the range's minimum. */
	mk_tcp(&k, A, 41000, V, 7000, 0x02, 1, 0);
	assert_int_equal(nat_flow(t, &k, &pair, NAT_MANIP_DST, &rep, NULL), 0);
	assert_int_equal(rep.src_l4, 8080);
	/* 41001 towards V:7001 -> S:8080 would be unique too (other client port). */
	mk_tcp(&k, A, 41000, V, 7001, 0x02, 1, 0);
	assert_int_equal(nat_flow(t, &k, &pair, NAT_MANIP_DST, &rep, NULL), 0);
	assert_int_equal(rep.src_l4, 8081);
	ct_table_free(t);
}

/* ---- 4. null bindings (§10.2) ---------------------------------------------- */

static void test_null_binding(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range masq = range4(N, NULL, 0, 0);
	struct ct_tuple rep;
	struct ct_conn *c;
	struct pk k;

	(void)state;
	/* 4.1 nothing bound, unique: DONE bits only, tuple unchanged. */
	mk_tcp(&k, A, 40000, S, 80, 0x02, 1, 0);
	c = track(t, &k, CT_HOOK_PREROUTING);
	assert_int_equal(nat_null_binding(t, c, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(nat_null_binding(t, c, CT_HOOK_POSTROUTING, NOW), 0);
	assert_int_equal(ct_conn_status(c) & 0x1f0, CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	ct_conn_tuple(c, CT_DIR_REPLY, &rep);
	assert_true(addr_is(rep.dst, A) && rep.dst_l4 == 40000);
	/* 4.2 a second decision is refused. */
	assert_int_equal(nat_setup(t, c, &masq, NAT_MANIP_SRC, NOW), -EBUSY);
	assert_int_equal(ct_confirm(t, &k.p, NOW), 0);
	assert_int_equal(nat_null_binding(t, c, CT_HOOK_INPUT, NOW), -EBUSY);
	/* 4.3 a local flow colliding with a masqueraded one moves its port. */
	assert_int_equal(snat_tcp(t, B, 41000, S, 80, &masq, &rep), 0);
	assert_int_equal(rep.dst_l4, 41000);
	mk_tcp(&k, N, 41000, S, 80, 0x02, 1, 0);
	c = track(t, &k, CT_HOOK_OUTPUT);
	assert_int_equal(nat_null_binding(t, c, CT_HOOK_OUTPUT, NOW), 0);
	assert_int_equal(nat_null_binding(t, c, CT_HOOK_POSTROUTING, NOW), 0);
	ct_conn_tuple(c, CT_DIR_REPLY, &rep);
	assert_true(addr_is(rep.dst, N));
	assert_true(rep.dst_l4 >= 1024 && rep.dst_l4 != 41000);
	assert_int_equal(ct_conn_status(c) & 0x1f0,
			 CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	assert_int_equal(ct_confirm(t, &k.p, NOW), 0);
	ct_table_free(t);
}

/* ---- 5. flags: random, persistent, offset; address ranges ------------------- */

static void test_flags(void **state)
{
	static const uint8_t N1[4] = {192, 0, 2, 1}, N4[4] = {192, 0, 2, 4};
	struct ct_table *t = mk_table(4096);
	struct nat_range rnd = range4(N, NULL, 0, 0), pers = range4(N1, N4, 0, 0);
	struct nat_range multi = range4(N1, N4, 0, 0), off = range4(N, NULL, 5000, 5099);
	struct ct_tuple rep;
	int changed = 0, seen[4] = {0};
	uint8_t first[4];

	(void)state;
	/* 5.1 random: always searched, even when the original is unique. */
	rnd.flags |= NAT_RANGE_PROTO_RANDOM;
	for (uint16_t i = 0; i < 32; i++) {
		assert_int_equal(snat_tcp(t, A, (uint16_t)(20000 + i), S, 80, &rnd, &rep), 0);
		assert_true(rep.dst_l4 >= 1024);
		changed += rep.dst_l4 != 20000 + i;
	}
	assert_true(changed >= 30);
	/* 5.2 fully-random behaves the same. */
	rnd.flags = NAT_RANGE_MAP_IPS | NAT_RANGE_PROTO_RANDOM_FULLY;
	changed = 0;
	for (uint16_t i = 0; i < 32; i++) {
		assert_int_equal(snat_tcp(t, A, (uint16_t)(21000 + i), S, 80, &rnd, &rep), 0);
		changed += rep.dst_l4 != 21000 + i;
	}
	assert_true(changed >= 30);
	/* 5.3 persistent: one client, several servers, one address. */
	pers.flags |= NAT_RANGE_PERSISTENT;
	assert_int_equal(snat_tcp(t, A, 30000, S, 80, &pers, &rep), 0);
	memcpy(first, rep.dst, 4);
	assert_true(memcmp(first, N1, 4) >= 0 && memcmp(first, N4, 4) <= 0);
	for (uint8_t i = 3; i < 40; i++) {
		const uint8_t srv[4] = {10, 0, 2, i};

		assert_int_equal(snat_tcp(t, A, 30000, srv, 80, &pers, &rep), 0);
		assert_memory_equal(rep.dst, first, 4);
	}
	/* 5.4 without persistent: stable per (client, server) pair, all in range,
	 * spread over more than one address. */
	for (uint8_t i = 10; i < 74; i++) {
		const uint8_t cli[4] = {10, 0, 1, i};
		uint8_t a1[4];

		assert_int_equal(snat_tcp(t, cli, 31000, S, 80, &multi, &rep), 0);
		memcpy(a1, rep.dst, 4);
		assert_true(a1[0] == 192 && a1[1] == 0 && a1[2] == 2 && a1[3] >= 1 && a1[3] <= 4);
		seen[a1[3] - 1] = 1;
		assert_int_equal(snat_tcp(t, cli, 31001, S, 80, &multi, &rep), 0);
		assert_memory_equal(rep.dst, a1, 4);
	}
	assert_true(seen[0] + seen[1] + seen[2] + seen[3] >= 2);
	/* 5.5 PROTO_OFFSET: 5000 + (1234 - 1000) mod 100 = 5034. */
	off.flags |= NAT_RANGE_PROTO_OFFSET;
	off.base_proto = 1000;
	assert_int_equal(snat_tcp(t, A, 1234, S, 80, &off, &rep), 0);
	assert_int_equal(rep.dst_l4, 5034);
	ct_table_free(t);
}

/* ---- 6. by-source reuse (§10.3 step 1) -------------------------------------- */

static void test_bysource(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range r = range4(N, NULL, 0, 0);
	struct nat_stats ns;
	struct ct_tuple rep;
	uint16_t p;

	(void)state;
	assert_int_equal(snat_tcp(t, B, 40000, S, 80, &r, &rep), 0);
	assert_int_equal(rep.dst_l4, 40000);
	/* A:40000 -> S clashes: moved to some port p. */
	assert_int_equal(snat_tcp(t, A, 40000, S, 80, &r, &rep), 0);
	p = rep.dst_l4;
	assert_true(p != 40000);
	/* A:40000 -> S2: 40000 would be unique, but A:40000 already maps to p. */
	assert_int_equal(snat_tcp(t, A, 40000, S2, 80, &r, &rep), 0);
	assert_int_equal(rep.dst_l4, p);
	nat_get_stats(t, &ns);
	assert_int_equal(ns.bysource_reused, 1);
	ct_table_free(t);
}

/* ---- 7. ICMP ids ------------------------------------------------------------ */

static void test_icmp_id(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range r = range4(N, NULL, 0, 0);
	struct ct_tuple rep;
	struct pk k;

	(void)state;
	mk_echo(&k, A, S, 8, 7);
	assert_int_equal(nat_flow(t, &k, &r, NAT_MANIP_SRC, &rep, NULL), 0);
	assert_true(addr_is(rep.dst, N) && rep.src_l4 == 7 && rep.dst_l4 == 0);
	mk_echo(&k, B, S, 8, 7);
	assert_int_equal(nat_flow(t, &k, &r, NAT_MANIP_SRC, &rep, NULL), 0);
	/* The id moved (searched over 0-65535); the reply keeps type 0 code 0. */
	assert_true(addr_is(rep.dst, N) && rep.src_l4 != 7 && rep.dst_l4 == 0);
	ct_table_free(t);
}

/* ---- 8. bounded search and eviction ----------------------------------------- */

static void test_exhaustion_bounded(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range r10 = range4(N, NULL, 30000, 30009);
	struct nat_stats ns;
	struct ct_tuple rep;

	(void)state;
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(snat_tcp(t, A, (uint16_t)(30000 + i), S, 80, &r10, &rep), 0);
	/* 10 ports taken: one round of min(10, 128) tries, then confirm drops. */
	assert_int_equal(snat_tcp(t, B, 30000, S, 80, &r10, &rep), -EPERM);
	nat_get_stats(t, &ns);
	assert_int_equal(ns.exhausted, 1);
	assert_int_equal(ns.search_max, 10);
	ct_table_free(t);
}

static void test_evict_time_wait(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range r = range4(N, NULL, 5000, 5001);
	struct ct_conn_spec sp;
	struct nat_stats ns;
	struct ct_tuple rep;

	(void)state;
	/* Two SNATed entries in TIME_WAIT hold N:5000 and N:5001 towards S:80. */
	for (uint16_t i = 0; i < 2; i++) {
		memset(&sp, 0, sizeof(sp));
		sp.orig = (struct ct_tuple){.src_l4 = (uint16_t)(1000 + i), .dst_l4 = 80, .l3num = 2,
					    .proto = 6};
		memcpy(sp.orig.src, A, 4);
		memcpy(sp.orig.dst, S, 4);
		sp.reply = (struct ct_tuple){.src_l4 = 80, .dst_l4 = (uint16_t)(5000 + i), .l3num = 2,
					     .proto = 6};
		memcpy(sp.reply.src, S, 4);
		memcpy(sp.reply.dst, N, 4);
		sp.status = CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE |
			    CT_S_SEEN_REPLY | CT_S_ASSURED;
		sp.proto_state = CT_TCP_TIME_WAIT;
		sp.timeout_s = 120;
		assert_int_equal(ct_conn_insert(t, &sp, NOW, NULL), 0);
	}
	/* A new SYN beyond their sequence space evicts one (last 32 tries). */
	assert_int_equal(snat_tcp(t, B, 7000, S, 80, &r, &rep), 0);
	assert_true(rep.dst_l4 == 5000 || rep.dst_l4 == 5001);
	nat_get_stats(t, &ns);
	assert_int_equal(ns.evicted, 1);
	assert_int_equal(ct_table_count(t), 2);
	ct_table_free(t);
}

/* ---- 9. checksums ----------------------------------------------------------- */

static void test_csum_replace_edges(void **state)
{
	static const struct {
		uint16_t hc, m, m2, want;
	} cases[] = {
		/* 1 RFC 1624 §4 example: eqn. 3 gives 0x0000 (eqn. 2 would give 0xffff). */
		{0xdd2f, 0x5555, 0x3285, 0x0000},
		/* 2 an identity update of a 0xffff checksum gives 0x0000, never 0xffff. */
		{0xffff, 0x1234, 0x1234, 0x0000},
		/* 3 a 0x0000 checksum stays 0x0000 under an identity update. */
		{0x0000, 0xabcd, 0xabcd, 0x0000},
		/* 4 all-ones data: ~(0xffff + 0x0000 + 0x0000) */
		{0x0000, 0xffff, 0x0000, 0x0000},
		/* 5 an ordinary update: ~(~0x1c46 + ~0x0001 + 0x0002) = 0x1c45 */
		{0x1c46, 0x0001, 0x0002, 0x1c45},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[2], o[2], n[2];

		pk_wr16(f, cases[i].hc);
		pk_wr16(o, cases[i].m);
		pk_wr16(n, cases[i].m2);
		nat_csum_replace(f, o, n, 2);
		if (pk_rd16(f) != cases[i].want)
			fail_msg("case %zu: got %04x want %04x", i + 1, pk_rd16(f), cases[i].want);
	}
}

/* Run a packet of an existing entry through nat_packet at `hook`. */
static int rewrite(struct ct_table *t, struct pk *k, enum ct_hook hook)
{
	assert_int_equal(ct_hook_conntrack(t, &k->p, hook == CT_HOOK_POSTROUTING ||
							     hook == CT_HOOK_INPUT
						     ? CT_HOOK_PREROUTING
						     : hook,
					   NOW),
			 0);
	return nat_packet(t, &k->p, k->b, hook);
}

static void test_rewrite_tcp_udp(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range masq = range4(N, NULL, 0, 0), fwd = range4(S, NULL, 8080, 0);
	struct ct_tuple rep;
	struct pk k;

	(void)state;
	/* 9.1 TCP with an odd payload, SNAT: source, checksums. */
	mk_tcp(&k, A, 40000, S, 80, 0x02, 77, 13);
	track(t, &k, CT_HOOK_PREROUTING);
	assert_int_equal(nat_setup(t, k.p.ct, &masq, NAT_MANIP_SRC, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_PREROUTING), 0); /* DST hook: nothing */
	assert_true(addr_is(k.b + 12, A));
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	assert_true(addr_is(k.b + 12, N) && addr_is(k.b + 16, S));
	assert_true(addr_is(k.p.tuple.src, N));
	assert_true(ip4_csum_ok(k.b) && l4_csum_ok(k.b));
	assert_int_equal(ct_confirm(t, &k.p, NOW), 0);
	/* 9.2 the reply S:80 -> N:40000 becomes S:80 -> A:40000 at prerouting. */
	mk_tcp(&k, S, 80, N, 40000, 0x12, 5000, 0);
	assert_int_equal(rewrite(t, &k, CT_HOOK_PREROUTING), 0);
	assert_true(addr_is(k.b + 16, A) && pk_rd16(k.b + 22) == 40000);
	assert_true(ip4_csum_ok(k.b) && l4_csum_ok(k.b));
	/* 9.3 DNAT port forward rewrites address and port; the reply is un-done. */
	mk_udp(&k, A, 5353, V, 53, 7, false);
	assert_int_equal(nat_flow(t, &k, &fwd, NAT_MANIP_DST, &rep, NULL), 0);
	mk_udp(&k, A, 5353, V, 53, 7, false);
	assert_int_equal(rewrite(t, &k, CT_HOOK_PREROUTING), 0);
	assert_true(addr_is(k.b + 16, S) && pk_rd16(k.b + 22) == 8080);
	assert_true(ip4_csum_ok(k.b) && l4_csum_ok(k.b));
	assert_int_equal(k.p.tuple.dst_l4, 8080);
	mk_udp(&k, S, 8080, A, 5353, 3, false);
	assert_int_equal(rewrite(t, &k, CT_HOOK_POSTROUTING), 0);
	assert_true(addr_is(k.b + 12, V) && pk_rd16(k.b + 20) == 53);
	assert_true(ip4_csum_ok(k.b) && l4_csum_ok(k.b));
	/* 9.4 a zero (absent) UDP checksum stays zero. */
	mk_udp(&k, A, 6000, S, 53, 5, true);
	track(t, &k, CT_HOOK_PREROUTING);
	assert_int_equal(nat_setup(t, k.p.ct, &masq, NAT_MANIP_SRC, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	assert_true(addr_is(k.b + 12, N));
	assert_int_equal(pk_rd16(k.b + 26), 0);
	assert_true(ip4_csum_ok(k.b));
	ct_pkt_release(t, &k.p);
	ct_table_free(t);
}

/*
 * 9.5 A UDP checksum that the rewrite makes 0x0000 is sent as 0xffff
 * (RFC 768: zero means "no checksum").  The new source is chosen so that
 * ~C + ~old + new = 0xffff in one's complement.
 */
static void test_udp_mangled_zero(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range r;
	struct pk k;
	uint32_t s;
	uint8_t n[4];

	(void)state;
	mk_udp(&k, A, 6001, S, 53, 5, false);
	/* new word 0 = C + old word 0 (one's complement), word 1 unchanged */
	s = (uint32_t)pk_rd16(k.b + 26) + pk_rd16(A);
	s = (s & 0xffff) + (s >> 16);
	pk_wr16(n, (uint16_t)s);
	memcpy(n + 2, A + 2, 2);
	r = range4(n, NULL, 0, 0);
	track(t, &k, CT_HOOK_PREROUTING);
	assert_int_equal(nat_setup(t, k.p.ct, &r, NAT_MANIP_SRC, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	assert_memory_equal(k.b + 12, n, 4);
	assert_int_equal(pk_rd16(k.b + 26), 0xffff);
	assert_true(l4_csum_ok(k.b) && ip4_csum_ok(k.b));
	ct_pkt_release(t, &k.p);
	ct_table_free(t);
}

/* 9.6 IPv6: no IP checksum, the pseudo-header is updated. */
static void test_rewrite_ipv6(void **state)
{
	static const uint8_t A6[16] = {0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t S6[16] = {0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t N6[16] = {0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct ct_table *t = mk_table(1024);
	struct nat_range r;
	struct pk k;
	uint8_t *u = k.b + 40;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.b[0] = 0x60;
	pk_wr16(k.b + 4, 8 + 9);
	k.b[6] = 17;
	k.b[7] = 64;
	memcpy(k.b + 8, A6, 16);
	memcpy(k.b + 24, S6, 16);
	pk_wr16(u, 40000);
	pk_wr16(u + 2, 53);
	pk_wr16(u + 4, 17);
	memcpy(u + 8, "abcdefghi", 9);
	pk_wr16(u + 6, pk_fold(pk_sum16(u, 17, pk_pseudo6(k.b, 17, 17))));
	k.len = 57;
	parse(&k);
	memset(&r, 0, sizeof(r));
	r.flags = NAT_RANGE_MAP_IPS;
	memcpy(r.min_addr, N6, 16);
	memcpy(r.max_addr, N6, 16);
	track(t, &k, CT_HOOK_PREROUTING);
	assert_int_equal(nat_setup(t, k.p.ct, &r, NAT_MANIP_SRC, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	assert_memory_equal(k.b + 8, N6, 16);
	assert_true(l4_csum_ok(k.b));
	assert_int_equal(ct_confirm(t, &k.p, NOW), 0);
	ct_table_free(t);
}

/* ---- 10. ICMP errors (§10.5) ------------------------------------------------ */

/*
 * 10.1 [V] Port-unreachable 10.0.2.2 -> 10.0.2.1 quoting
 * 10.0.2.1:40000 -> 10.0.2.2:9999 reaches the client as 10.0.2.2 -> 10.0.1.2
 * quoting 10.0.1.2:40000 -> ... (masquerade to 10.0.2.1).
 */
static void test_icmp_error_snat(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range masq = range4(N, NULL, 0, 0);
	struct ct_tuple rep;
	struct pk k, q;
	uint8_t *in;

	(void)state;
	mk_udp(&k, A, 40000, S, 9999, 5, false);
	assert_int_equal(nat_flow(t, &k, &masq, NAT_MANIP_SRC, &rep, NULL), 0);
	/* What the server received: N:40000 -> S:9999 (odd length 33). */
	mk_udp(&q, N, 40000, S, 9999, 5, false);
	mk_icmp_err(&k, S, N, 3, 3, q.b, q.len);
	assert_int_equal(ct_hook_conntrack(t, &k.p, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(k.p.ctinfo, CT_INFO_RELATED_REPLY);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_PREROUTING), 0);
	in = k.b + 28;
	assert_true(addr_is(k.b + 12, S) && addr_is(k.b + 16, A));
	assert_true(addr_is(in + 12, A) && addr_is(in + 16, S) && pk_rd16(in + 20) == 40000);
	assert_true(ip4_csum_ok(k.b) && ip4_csum_ok(in));
	assert_true(l4_csum_ok(k.b)); /* ICMP over an odd-length message */
	assert_true(l4_csum_ok(in));  /* the whole quoted UDP datagram */
	/* srcnat for a reply: DST_NAT not set, nothing changes. */
	memcpy(q.b, k.b, k.len);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	assert_memory_equal(q.b, k.b, k.len);
	ct_table_free(t);
}

/*
 * 10.2 [V] A host-unreachable from router 10.0.2.9 about a flow DNATed from
 * 10.0.1.1:8080 reaches the client from 10.0.1.1, quoting 10.0.1.1:8080.
 */
static void test_icmp_error_dnat(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range fwd = range4(S, NULL, 80, 0);
	struct ct_tuple rep;
	struct pk k, q;
	uint8_t *in;

	(void)state;
	mk_tcp(&k, A, 40000, V, 8080, 0x02, 99, 0);
	assert_int_equal(nat_flow(t, &k, &fwd, NAT_MANIP_DST, &rep, NULL), 0);
	/* The SYN as forwarded: A:40000 -> S:80, quoted whole (40 bytes). */
	mk_tcp(&q, A, 40000, S, 80, 0x02, 99, 0);
	mk_icmp_err(&k, R9, A, 3, 1, q.b, q.len);
	assert_int_equal(ct_hook_conntrack(t, &k.p, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(k.p.ctinfo, CT_INFO_RELATED_REPLY);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_PREROUTING), 0);
	assert_true(addr_is(k.b + 12, R9)); /* SRC_NAT not set: dstnat leaves it */
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	in = k.b + 28;
	assert_true(addr_is(k.b + 12, V) && addr_is(k.b + 16, A));
	assert_true(addr_is(in + 16, V) && pk_rd16(in + 22) == 8080 && addr_is(in + 12, A));
	assert_true(ip4_csum_ok(k.b) && ip4_csum_ok(in) && l4_csum_ok(k.b) && l4_csum_ok(in));
	/* 10.3 a quote with only 8 TCP bytes: ports rewritten, no checksum field. */
	mk_icmp_err(&k, R9, A, 3, 1, q.b, 28);
	assert_int_equal(ct_hook_conntrack(t, &k.p, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	assert_true(pk_rd16(k.b + 28 + 22) == 8080 && l4_csum_ok(k.b));
	/* 10.4 a bad ICMP checksum is dropped. */
	mk_icmp_err(&k, R9, A, 3, 1, q.b, q.len);
	k.b[22] ^= 0x55;
	ct_setting_set(t, "nf_conntrack_checksum", "0");
	assert_int_equal(ct_hook_conntrack(t, &k.p, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(k.p.ctinfo, CT_INFO_RELATED_REPLY);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), -EPERM);
	/* 10.5 a redirect about a NATed entry is dropped. */
	mk_icmp_err(&k, R9, A, 5, 1, q.b, q.len);
	assert_int_equal(ct_hook_conntrack(t, &k.p, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), -EPERM);
	ct_table_free(t);
}

/* 10.6 ICMP echo through SNAT: the id in both directions. */
static void test_icmp_echo_rewrite(void **state)
{
	struct ct_table *t = mk_table(1024);
	struct nat_range masq = range4(N, NULL, 0, 0);
	struct ct_tuple rep;
	struct pk k;
	uint16_t id;

	(void)state;
	mk_echo(&k, B, S, 8, 9);
	assert_int_equal(nat_flow(t, &k, &masq, NAT_MANIP_SRC, &rep, NULL), 0);
	mk_echo(&k, A, S, 8, 9); /* same id: must move */
	track(t, &k, CT_HOOK_PREROUTING);
	assert_int_equal(nat_setup(t, k.p.ct, &masq, NAT_MANIP_SRC, NOW), 0);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_POSTROUTING), 0);
	id = pk_rd16(k.b + 24);
	assert_true(id != 9 && addr_is(k.b + 12, N));
	assert_true(l4_csum_ok(k.b) && ip4_csum_ok(k.b));
	assert_int_equal(ct_confirm(t, &k.p, NOW), 0);
	mk_echo(&k, S, N, 0, id);
	assert_int_equal(rewrite(t, &k, CT_HOOK_PREROUTING), 0);
	assert_true(addr_is(k.b + 16, A) && pk_rd16(k.b + 24) == 9);
	assert_true(l4_csum_ok(k.b) && ip4_csum_ok(k.b));
	ct_table_free(t);
}

/* 10.7 IPv6: masquerade, then an ICMPv6 port unreachable back ("IPv6 NAT behaves like IPv4"). */
static void ip6_udp(struct pk *k, const uint8_t *src, uint16_t sp, const uint8_t *dst, uint16_t dp)
{
	uint8_t *u = k->b + 40;

	memset(k->b, 0, sizeof(k->b));
	k->b[0] = 0x60;
	pk_wr16(k->b + 4, 8 + 9);
	k->b[6] = 17;
	k->b[7] = 64;
	memcpy(k->b + 8, src, 16);
	memcpy(k->b + 24, dst, 16);
	pk_wr16(u, sp);
	pk_wr16(u + 2, dp);
	pk_wr16(u + 4, 17);
	memcpy(u + 8, "abcdefghi", 9);
	pk_wr16(u + 6, pk_fold(pk_sum16(u, 17, pk_pseudo6(k->b, 17, 17))));
	k->len = 57;
	parse(k);
}

static void test_icmpv6_error_snat(void **state)
{
	static const uint8_t A6[16] = {0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t S6[16] = {0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t N6[16] = {0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct ct_table *t = mk_table(1024);
	struct nat_range r;
	struct ct_tuple rep;
	struct pk k, q;
	uint8_t *ic = k.b + 40, *in = k.b + 48;
	uint32_t mlen;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.flags = NAT_RANGE_MAP_IPS;
	memcpy(r.min_addr, N6, 16);
	memcpy(r.max_addr, N6, 16);
	ip6_udp(&k, A6, 40000, S6, 53);
	assert_int_equal(nat_flow(t, &k, &r, NAT_MANIP_SRC, &rep, NULL), 0);
	assert_memory_equal(rep.dst, N6, 16);
	ip6_udp(&q, N6, 40000, S6, 53);
	/* S6 -> N6 ICMPv6 1/4 quoting the 57-byte datagram (odd length). */
	memset(k.b, 0, sizeof(k.b));
	mlen = 8 + q.len;
	k.b[0] = 0x60;
	pk_wr16(k.b + 4, (uint16_t)mlen);
	k.b[6] = 58;
	k.b[7] = 64;
	memcpy(k.b + 8, S6, 16);
	memcpy(k.b + 24, N6, 16);
	ic[0] = 1;
	ic[1] = 4;
	memcpy(ic + 8, q.b, q.len);
	pk_wr16(ic + 2, pk_fold(pk_sum16(ic, mlen, pk_pseudo6(k.b, 58, mlen))));
	k.len = 40 + mlen;
	parse(&k);
	assert_int_equal(ct_hook_conntrack(t, &k.p, CT_HOOK_PREROUTING, NOW), 0);
	assert_int_equal(k.p.ctinfo, CT_INFO_RELATED_REPLY);
	assert_int_equal(nat_packet(t, &k.p, k.b, CT_HOOK_PREROUTING), 0);
	assert_memory_equal(k.b + 24, A6, 16);
	assert_memory_equal(in + 8, A6, 16);
	assert_memory_equal(in + 24, S6, 16);
	assert_int_equal(pk_rd16(in + 40), 40000);
	assert_true(l4_csum_ok(k.b));
	assert_true(l4_csum_ok(in));
	ct_table_free(t);
}

/* ---- 11. fragments (§2.3) ---------------------------------------------------- */

static void test_fragment_sync(void **state)
{
	struct pk whole, orig;
	uint8_t f1[60], f2[60];
	struct ct_table *t = mk_table(64);
	struct nat_range masq = range4(N, NULL, 30000, 0);

	(void)state;
	/* A 8 + 40 byte UDP datagram, fragments of 24 and 24 payload bytes. */
	mk_udp(&whole, A, 40000, S, 53, 40, false);
	orig = whole;
	memcpy(f1, whole.b, 20);
	pk_wr16(f1 + 2, 44);
	pk_wr16(f1 + 6, 0x2000 | 0); /* MF */
	memcpy(f1 + 20, whole.b + 20, 24);
	pk_wr16(f1 + 10, 0);
	pk_wr16(f1 + 10, pk_fold(pk_sum16(f1, 20, 0)));
	memcpy(f2, whole.b, 20);
	pk_wr16(f2 + 2, 44);
	pk_wr16(f2 + 6, 3); /* offset 24 bytes */
	memcpy(f2 + 20, whole.b + 44, 24);
	pk_wr16(f2 + 10, 0);
	pk_wr16(f2 + 10, pk_fold(pk_sum16(f2, 20, 0)));
	track(t, &whole, CT_HOOK_PREROUTING);
	assert_int_equal(nat_setup(t, whole.p.ct, &masq, NAT_MANIP_SRC, NOW), 0);
	assert_int_equal(nat_packet(t, &whole.p, whole.b, CT_HOOK_POSTROUTING), 0);
	nat_fragment_sync(whole.b, whole.len, f1, 44);
	nat_fragment_sync(whole.b, whole.len, f2, 44);
	/* Addresses in both, ports and checksum in the first, data untouched. */
	assert_true(addr_is(f1 + 12, N) && addr_is(f2 + 12, N));
	assert_true(ip4_csum_ok(f1) && ip4_csum_ok(f2));
	assert_memory_equal(f1 + 20, whole.b + 20, 24);
	assert_int_equal(pk_rd16(f1 + 20), 30000);
	assert_memory_equal(f2 + 20, orig.b + 44, 24);
	ct_pkt_release(t, &whole.p);
	ct_table_free(t);
}

/* ---- 12. conntrack --src-nat / --dst-nat / --any-nat (§10.7) ------------------ */

static struct ct_conn *insert(struct ct_table *t, uint8_t proto, const uint8_t *os, uint16_t osp,
			      const uint8_t *od, uint16_t odp, const uint8_t *rs, uint16_t rsp,
			      const uint8_t *rd, uint16_t rdp, uint32_t status)
{
	struct ct_conn_spec sp;
	struct ct_conn *c;

	memset(&sp, 0, sizeof(sp));
	sp.orig = (struct ct_tuple){.src_l4 = osp, .dst_l4 = odp, .l3num = 2, .proto = proto};
	memcpy(sp.orig.src, os, 4);
	memcpy(sp.orig.dst, od, 4);
	sp.reply = (struct ct_tuple){.src_l4 = rsp, .dst_l4 = rdp, .l3num = 2, .proto = proto};
	memcpy(sp.reply.src, rs, 4);
	memcpy(sp.reply.dst, rd, 4);
	sp.status = status;
	sp.timeout_s = 100;
	assert_int_equal(ct_conn_insert(t, &sp, NOW, &c), 0);
	return c;
}

static void test_nat_filter(void **state)
{
	enum { SD = CT_S_SRC_NAT_DONE | CT_S_SRC_NAT, DD = CT_S_DST_NAT_DONE | CT_S_DST_NAT };
	struct ct_table *t = mk_table(64);
	struct ct_conn *masq, *both, *none, *spat, *dpat, *echo;
	struct nat_filter f;

	(void)state;
	/* masquerade keeping the port: SNAT only */
	masq = insert(t, 6, A, 40000, S, 80, S, 80, N, 40000, SD | CT_S_DST_NAT_DONE);
	/* dnat + masquerade: both kinds */
	both = insert(t, 6, A, 40001, V, 8080, S, 80, N, 40001, SD | DD);
	/* null bindings only */
	none = insert(t, 6, A, 40002, S, 80, S, 80, A, 40002,
		      CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	/* port only (SPAT): same address, other port */
	spat = insert(t, 17, N, 500, S, 53, S, 53, N, 700, SD | CT_S_DST_NAT_DONE);
	/* destination port only (DPAT) */
	dpat = insert(t, 17, A, 600, S, 53, S, 5353, A, 600, DD | CT_S_SRC_NAT_DONE);
	/* ICMP with null bindings: 1.0.9 compares reply type/code with the id (quirk) */
	echo = insert(t, 1, A, 77, S, 8 << 8, S, 77, A, 0, CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);

	memset(&f, 0, sizeof(f));
	f.kinds = NAT_FILTER_SRC;
	assert_true(nat_conn_matches(masq, &f) && nat_conn_matches(both, &f));
	assert_false(nat_conn_matches(none, &f));
	assert_true(nat_conn_matches(spat, &f));
	assert_false(nat_conn_matches(dpat, &f));
	assert_true(nat_conn_matches(echo, &f));
	f.kinds = NAT_FILTER_DST;
	assert_false(nat_conn_matches(masq, &f));
	assert_true(nat_conn_matches(both, &f) && nat_conn_matches(dpat, &f));
	assert_false(nat_conn_matches(none, &f) || nat_conn_matches(spat, &f));
	f.kinds = NAT_FILTER_SRC | NAT_FILTER_DST; /* -n -g: both kinds required */
	assert_true(nat_conn_matches(both, &f));
	assert_false(nat_conn_matches(masq, &f));
	f.kinds = NAT_FILTER_ANY;
	assert_true(nat_conn_matches(masq, &f) && nat_conn_matches(dpat, &f));
	assert_false(nat_conn_matches(none, &f));
	/* -n ADDR */
	f.kinds = NAT_FILTER_SRC;
	f.src_has_addr = true;
	memcpy(f.src_addr, N, 4);
	assert_true(nat_conn_matches(masq, &f));
	memcpy(f.src_addr, R9, 4);
	assert_false(nat_conn_matches(masq, &f));
	/* -n ADDR:PORT needs a changed port too: the port-keeping masq entry is out. */
	memcpy(f.src_addr, N, 4);
	f.src_has_port = true;
	f.src_port = 40000;
	assert_false(nat_conn_matches(masq, &f));
	/* -n :PORT alone (port only) */
	f.src_has_addr = false;
	f.src_port = 700;
	assert_true(nat_conn_matches(spat, &f));
	/* -g ADDR */
	memset(&f, 0, sizeof(f));
	f.kinds = NAT_FILTER_DST;
	f.dst_has_addr = true;
	memcpy(f.dst_addr, S, 4);
	assert_true(nat_conn_matches(both, &f));
	assert_false(nat_conn_matches(dpat, &f)); /* address unchanged: not DNAT */
	ct_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snat_keep_and_classes),
		cmocka_unit_test(test_snat_port_ranges),
		cmocka_unit_test(test_dnat),
		cmocka_unit_test(test_null_binding),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_bysource),
		cmocka_unit_test(test_icmp_id),
		cmocka_unit_test(test_exhaustion_bounded),
		cmocka_unit_test(test_evict_time_wait),
		cmocka_unit_test(test_csum_replace_edges),
		cmocka_unit_test(test_rewrite_tcp_udp),
		cmocka_unit_test(test_udp_mangled_zero),
		cmocka_unit_test(test_rewrite_ipv6),
		cmocka_unit_test(test_icmp_error_snat),
		cmocka_unit_test(test_icmp_error_dnat),
		cmocka_unit_test(test_icmp_echo_rewrite),
		cmocka_unit_test(test_icmpv6_error_snat),
		cmocka_unit_test(test_fragment_sync),
		cmocka_unit_test(test_nat_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
