/* SPDX-License-Identifier: MIT */
/*
 * Tuple selection (spec §10.3): the kernel's nf_nat_setup_info with
 * get_unique_tuple, the by-source reuse, the address choice by hash and the
 * bounded port search, rewritten from the documented behaviour.
 *
 * "Unique" means what nf_nat_used_tuple means: the reply tuple the
 * candidate would give is not linked (in either direction) by a confirmed,
 * live entry, except by one with the very same original tuple (the same
 * flow racing itself; confirm's clash handling decides that case).
 */
#include <errno.h>
#include <string.h>

#include "nat_priv.h"

#define NAT_MAX_ATTEMPTS 128 /* first search round (NF_NAT_MAX_ATTEMPTS) */
#define NAT_HARDER_THRESH 32 /* last tries of a round that may evict (MAX / 4) */

#define RANDOM_ALL (NAT_RANGE_PROTO_RANDOM | NAT_RANGE_PROTO_RANDOM_FULLY)

static bool proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33;
}

static bool proto_is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/* nf_ct_invert_tuple: the protocol's own inversion (ICMP maps the type). */
static void tuple_invert(const struct ct_tuple *in, struct ct_tuple *out)
{
	if (!ct_l4proto_find(in->proto)->invert(in, out))
		ct_tuple_invert_ports(in, out);
	out->zone = in->zone;
}

static bool tuple_eq(const struct ct_tuple *a, const struct ct_tuple *b)
{
	return a->l3num == b->l3num && a->proto == b->proto && a->src_l4 == b->src_l4 &&
	       a->dst_l4 == b->dst_l4 && memcmp(a->src, b->src, 16) == 0 &&
	       memcmp(a->dst, b->dst, 16) == 0;
}

/* Network order compares as numbers bytewise (ntohl for IPv4, ipv6_addr_cmp). */
static bool addr_in_range(const uint8_t *a, const struct nat_range *r, uint8_t l3num)
{
	uint32_t n = nat_alen(l3num);

	return memcmp(a, r->min_addr, n) >= 0 && memcmp(a, r->max_addr, n) <= 0;
}

/* l4proto_in_range: the manipulable l4 field of tu within [min, max]. */
static bool l4_in_range(const struct ct_tuple *tu, enum nat_manip_type m, uint16_t min,
			uint16_t max)
{
	uint16_t v;

	if (proto_is_icmp(tu->proto))
		v = tu->src_l4; /* the id, whichever the manipulation */
	else if (proto_has_ports(tu->proto) || tu->proto == 47)
		v = m == NAT_MANIP_SRC ? tu->src_l4 : tu->dst_l4;
	else
		return true;
	return v >= min && v <= max;
}

/* nf_in_range (used for SRC only): would this source satisfy the range? */
static bool src_in_range(const struct ct_tuple *tu, const struct nat_range *r)
{
	if ((r->flags & NAT_RANGE_MAP_IPS) && !addr_in_range(tu->src, r, tu->l3num))
		return false;
	if (!(r->flags & NAT_RANGE_PROTO_SPECIFIED))
		return true;
	return l4_in_range(tu, NAT_MANIP_SRC, r->min_proto, r->max_proto);
}

/* ---- uniqueness ------------------------------------------------------ */

struct sel {
	struct ct_table *t;
	struct ct_conn *c;
	uint16_t reply_zone;
	uint64_t now;
};

static bool same_orig(const struct ct_conn *a, const struct ct_conn *b)
{
	struct ct_tuple x, y;

	ct_conn_tuple(a, CT_DIR_ORIGINAL, &x);
	ct_conn_tuple(b, CT_DIR_ORIGINAL, &y);
	return tuple_eq(&x, &y) && x.zone == y.zone;
}

/* nf_nat_used_tuple */
static bool used_tuple(const struct sel *s, const struct ct_tuple *cand)
{
	struct ct_tuple reply;
	struct ct_conn *x;

	tuple_invert(cand, &reply);
	reply.zone = s->reply_zone;
	x = ct_find(s->t, &reply, s->now, NULL);
	if (!x || x == s->c)
		return false;
	return !same_orig(x, s->c);
}

/* nf_nat_may_kill: a SNATed TCP entry at TIME_WAIT or later, not pinned. */
static bool may_kill(const struct ct_conn *x)
{
	if (x->proto != 6 || x->ps.tcp.state < CT_TCP_TIME_WAIT)
		return false;
	if (x->status & (CT_S_FIXED_TIMEOUT | CT_S_DYING))
		return false;
	return x->status & CT_S_SRC_NAT;
}

/*
 * nf_nat_used_tuple_harder: in the last tries of a search round, a new
 * TCP SYN may evict the SNATed entry holding the tuple when that entry is
 * in TIME_WAIT/CLOSE and the new SYN's sequence is beyond the old one's
 * (spec §10.3).
 */
static bool used_tuple_harder(const struct sel *s, const struct ct_tuple *cand,
			      uint32_t attempts_left)
{
	struct ct_tuple reply;
	enum ct_dir dir = CT_DIR_ORIGINAL;
	struct ct_conn *x;
	uint16_t flags;

	if (attempts_left > NAT_HARDER_THRESH || cand->proto != 6 ||
	    s->c->ps.tcp.state != CT_TCP_SYN_SENT)
		return used_tuple(s, cand);
	tuple_invert(cand, &reply);
	reply.zone = s->reply_zone;
	x = ct_find(s->t, &reply, s->now, &dir);
	if (!x)
		return false;
	if (dir == CT_DIR_ORIGINAL || x == s->c || !may_kill(x))
		return true;
	if ((int32_t)(s->c->ps.tcp.seen[0].td_end - x->ps.tcp.seen[0].td_end) <= 0)
		return true;
	flags = x->status;
	ct_kill(s->t, x, s->now);
	s->t->nat->stats.evicted++;
	/* Even when evicted, an offloaded entry's tuple is not reused. */
	return flags & (CT_S_OFFLOAD | CT_S_HW_OFFLOAD);
}

/* ---- step 1: the same source's existing mapping ---------------------- */

/*
 * find_appropriate_src: the newest entry with the same original source
 * (address, l4, protocol, zone) whose mapped source, with our destination,
 * lies in the range.
 */
static bool find_appropriate_src(const struct sel *s, const struct ct_tuple *orig,
				 const struct nat_range *r, struct ct_tuple *out)
{
	const struct ct_table *t = s->t;
	uint32_t ref = t->nat->bysrc[nat_bysrc_hash(t, orig)];

	for (; ref; ref = nat_entry(t, nat_ref_conn(t, ref))->bysrc_next) {
		const struct ct_conn *x = nat_ref_conn(t, ref);
		struct ct_tuple xo, xr, res;

		if (x == s->c)
			continue;
		ct_conn_tuple(x, CT_DIR_ORIGINAL, &xo);
		if (xo.l3num != orig->l3num || xo.proto != orig->proto ||
		    xo.src_l4 != orig->src_l4 || xo.zone != orig->zone ||
		    memcmp(xo.src, orig->src, 16) != 0)
			continue;
		ct_conn_tuple(x, CT_DIR_REPLY, &xr);
		tuple_invert(&xr, &res);
		memcpy(res.dst, orig->dst, 16);
		res.dst_l4 = orig->dst_l4;
		if (src_in_range(&res, r)) {
			*out = res;
			return true;
		}
	}
	return false;
}

/* ---- step 2: the address --------------------------------------------- */

static inline uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

/*
 * Bob Jenkins' lookup3 hashword() (public domain), which Linux calls
 * jhash2: the address choice must be the kernel's to be reproducible
 * against it (the same client/server pair always gets the same address).
 */
static uint32_t lookup3_words(const uint32_t *k, uint32_t n, uint32_t initval)
{
	uint32_t a, b, c;

	a = b = c = 0xdeadbeefu + (n << 2) + initval;
	while (n > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		a -= c; a ^= rol32(c, 4);  c += b;
		b -= a; b ^= rol32(a, 6);  a += c;
		c -= b; c ^= rol32(b, 8);  b += a;
		a -= c; a ^= rol32(c, 16); c += b;
		b -= a; b ^= rol32(a, 19); a += c;
		c -= b; c ^= rol32(b, 4);  b += a;
		n -= 3;
		k += 3;
	}
	switch (n) {
	case 3:
		c += k[2];
		/* fall through */
	case 2:
		b += k[1];
		/* fall through */
	case 1:
		a += k[0];
		c ^= b; c -= rol32(b, 14);
		a ^= c; a -= rol32(c, 11);
		b ^= a; b -= rol32(a, 25);
		c ^= b; c -= rol32(b, 16);
		a ^= c; a -= rol32(c, 4);
		b ^= a; b -= rol32(a, 14);
		c ^= b; c -= rol32(b, 24);
		break;
	default:
		break;
	}
	return c;
}

/* An address word as the kernel's u32 view of it on a little-endian host. */
static uint32_t word_le(const uint8_t *a, unsigned i)
{
	const uint8_t *p = a + 4 * i;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t word_be(const uint8_t *a, unsigned i)
{
	const uint8_t *p = a + 4 * i;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be(uint8_t *a, unsigned i, uint32_t v)
{
	uint8_t *p = a + 4 * i;

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * find_best_ips_proto: one address -> it; otherwise a hash of the source
 * (and, unless persistent, the destination and zone) scaled into the range
 * word by word, the first word within [min, max], later words over their
 * full span once an earlier word is below its maximum.
 */
static void find_best_ips(struct ct_tuple *tu, const struct nat_range *r, enum nat_manip_type m,
			  uint16_t zone_id)
{
	uint8_t *var = m == NAT_MANIP_SRC ? tu->src : tu->dst;
	unsigned maxw = tu->l3num == 10 ? 3 : 0;
	uint32_t src_words[4], j;
	bool persistent = r->flags & NAT_RANGE_PERSISTENT;
	bool full = false;

	if (!(r->flags & NAT_RANGE_MAP_IPS))
		return;
	if (memcmp(r->min_addr, r->max_addr, 16) == 0) {
		memcpy(var, r->min_addr, 16);
		return;
	}
	if (r->flags & NAT_RANGE_NETMAP) {
		/* Keep the host part, take the network part of the range. */
		for (unsigned i = 0; i < nat_alen(tu->l3num); i++) {
			uint8_t mask = (uint8_t)~(r->min_addr[i] ^ r->max_addr[i]);

			var[i] = (uint8_t)((var[i] & ~mask) | (r->min_addr[i] & mask));
		}
		return;
	}
	for (unsigned i = 0; i < 4; i++)
		src_words[i] = word_le(tu->src, i);
	j = lookup3_words(src_words, 4, persistent ? 0 : word_le(tu->dst, maxw) ^ zone_id);
	for (unsigned i = 0; i <= maxw; i++) {
		uint32_t minip, dist;

		if (!full) {
			minip = word_be(r->min_addr, i);
			dist = word_be(r->max_addr, i) - minip + 1;
		} else {
			minip = 0;
			dist = ~0u;
		}
		put_be(var, i, minip + (uint32_t)(((uint64_t)j * dist) >> 32));
		if (word_be(var, i) != word_be(r->max_addr, i))
			full = true;
		if (!persistent)
			j ^= word_le(tu->dst, i);
	}
}

/* ---- step 4: the bounded search -------------------------------------- */

static uint16_t conn_master(const struct ct_table *t, const struct ct_conn *c)
{
	return c->ext ? (ct_conn_ext(t, c)->master != 0) : 0;
}

/*
 * nf_nat_l4proto_unique_tuple: search the id/port range from an offset
 * (random for SNAT and for random flags, 0 for plain DNAT, netmap-style
 * for PROTO_OFFSET): min(range, 128) tries, then rounds of half as many
 * from new random offsets while the last round had at least 16 tries.
 * Gives up with the last candidate in place (non-unique: confirm drops).
 */
static void unique_tuple(const struct sel *s, struct ct_tuple *tu, const struct nat_range *r,
			 enum nat_manip_type m)
{
	struct nat_state *n = s->t->nat;
	uint32_t min, range_size, attempts, tries = 0;
	uint16_t *key, off;

	if (proto_is_icmp(tu->proto)) {
		key = &tu->src_l4;
		if (r->flags & NAT_RANGE_PROTO_SPECIFIED) {
			min = r->min_proto;
			range_size = (uint32_t)r->max_proto - r->min_proto + 1;
		} else {
			min = 0;
			range_size = 65536;
		}
	} else if (tu->proto == 47) {
		/* GRE keys change only for PPTP (entries with a master). */
		if (!conn_master(s->t, s->c))
			return;
		key = m == NAT_MANIP_SRC ? &tu->src_l4 : &tu->dst_l4;
		if (r->flags & NAT_RANGE_PROTO_SPECIFIED) {
			min = r->min_proto;
			range_size = (uint32_t)r->max_proto - r->min_proto + 1;
		} else {
			min = 1;
			range_size = 65535;
		}
	} else if (proto_has_ports(tu->proto)) {
		key = m == NAT_MANIP_SRC ? &tu->src_l4 : &tu->dst_l4;
		if (!(r->flags & NAT_RANGE_PROTO_SPECIFIED)) {
			/* A destination mapping without ports never changes the port. */
			if (m == NAT_MANIP_DST)
				return;
			/* The kernel's default classes (spec §10.3 step 4). */
			if (*key < 512) {
				min = 1;
				range_size = 511;
			} else if (*key < 1024) {
				min = 600;
				range_size = 1023 - 600 + 1;
			} else {
				min = 1024;
				range_size = 65535 - 1024 + 1;
			}
		} else {
			uint32_t lo = r->min_proto, hi = r->max_proto;

			if (hi < lo) {
				uint32_t x = lo;

				lo = hi;
				hi = x;
			}
			min = lo;
			range_size = hi - lo + 1;
		}
	} else {
		return;
	}

	if (r->flags & NAT_RANGE_PROTO_OFFSET)
		off = (uint16_t)(*key - r->base_proto);
	else if ((r->flags & RANDOM_ALL) || m != NAT_MANIP_DST)
		off = nat_random_u16(n);
	else
		off = 0;
	attempts = range_size < NAT_MAX_ATTEMPTS ? range_size : NAT_MAX_ATTEMPTS;
	n->stats.searches++;
	for (;;) {
		for (uint32_t i = 0; i < attempts; i++, off++) {
			*key = (uint16_t)(min + off % range_size);
			tries++;
			if (!used_tuple_harder(s, tu, attempts - i))
				goto found;
		}
		if (attempts >= range_size || attempts < 16)
			break;
		attempts /= 2;
		off = nat_random_u16(n);
	}
	n->stats.exhausted++;
found:
	n->stats.search_tries += tries;
	if (tries > n->stats.search_max)
		n->stats.search_max = tries;
}

/* ---- get_unique_tuple ------------------------------------------------ */

static void get_unique_tuple(const struct sel *s, struct ct_tuple *tu,
			     const struct ct_tuple *orig, const struct nat_range *r,
			     enum nat_manip_type m, uint16_t zone_id)
{
	bool random_all = r->flags & RANDOM_ALL;

	/* 1) SNAT: keep the source if allowed, or reuse its mapping. */
	if (m == NAT_MANIP_SRC && !random_all) {
		if (src_in_range(orig, r)) {
			if (!used_tuple(s, orig)) {
				*tu = *orig;
				return;
			}
		} else if (find_appropriate_src(s, orig, r, tu)) {
			if (!used_tuple(s, tu)) {
				s->t->nat->stats.bysource_reused++;
				return;
			}
		}
	}
	/* 2) The address. */
	*tu = *orig;
	find_best_ips(tu, r, m, zone_id);
	/* 3) Keep the l4 part if it is in range and unique. */
	if (!random_all) {
		if (r->flags & NAT_RANGE_PROTO_SPECIFIED) {
			/* A single-port range is taken as is, unique or not. */
			if (!(r->flags & NAT_RANGE_PROTO_OFFSET) &&
			    l4_in_range(tu, m, r->min_proto, r->max_proto) &&
			    (r->min_proto == r->max_proto || !used_tuple(s, tu)))
				return;
		} else if (!used_tuple(s, tu)) {
			return;
		}
	}
	/* 4) Search. */
	unique_tuple(s, tu, r, m);
}

int nat_setup(struct ct_table *t, struct ct_conn *c, const struct nat_range *r,
	      enum nat_manip_type m, uint64_t now)
{
	struct ct_tuple rep, curr, nt, nr;
	struct sel s = {.t = t, .c = c, .now = now};
	struct nat_state *n;

	if (ct_conn_confirmed(c) || nat_initialized(c, m))
		return -EBUSY;
	n = nat_state_get(t);
	if (!n)
		return -ENOMEM;
	/* What the packet looks like now: the inverse of the reply (earlier manips included). */
	ct_conn_tuple(c, CT_DIR_REPLY, &rep);
	s.reply_zone = rep.zone;
	tuple_invert(&rep, &curr);
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &nt);
	curr.zone = nt.zone;
	get_unique_tuple(&s, &nt, &curr, r, m, curr.zone ? curr.zone : rep.zone);
	n->stats.setups++;
	if (!tuple_eq(&nt, &curr)) {
		tuple_invert(&nt, &nr);
		ct_conn_alter_reply(c, &nr);
		c->status |= m == NAT_MANIP_SRC ? CT_S_SRC_NAT : CT_S_DST_NAT;
		n->stats.changed++;
	}
	if (m == NAT_MANIP_SRC)
		nat_bysrc_add(t, c);
	c->status |= m == NAT_MANIP_SRC ? CT_S_SRC_NAT_DONE : CT_S_DST_NAT_DONE;
	return 0;
}

int nat_null_binding(struct ct_table *t, struct ct_conn *c, enum ct_hook hook, uint64_t now)
{
	enum nat_manip_type m = nat_hook_manip(hook);
	struct nat_range r = {.flags = NAT_RANGE_MAP_IPS};
	struct ct_tuple rep;

	/* Same address as now: the reply's destination (SRC) or source (DST). */
	ct_conn_tuple(c, CT_DIR_REPLY, &rep);
	memcpy(r.min_addr, m == NAT_MANIP_SRC ? rep.dst : rep.src, 16);
	memcpy(r.max_addr, r.min_addr, 16);
	return nat_setup(t, c, &r, m, now);
}
