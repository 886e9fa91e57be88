/* SPDX-License-Identifier: MIT */
/*
 * Packet rewriting (spec §10.1, §10.5): the kernel's nf_nat_packet and
 * nf_nat_manip_pkt per protocol, the ICMP/ICMPv6 error translation and the
 * per-fragment fix-up.
 *
 * A packet of direction d is rewritten towards invert(tuple[!d]): at a
 * DST hook its destination, at a SRC hook its source, when the entry's
 * status says that direction is translated there.  ICMP errors RELATED to
 * an entry never see nat chains: their quoted packet is rewritten with the
 * opposite manipulation, the ICMP checksum recomputed, then the outer
 * header rewritten as a packet of direction d.
 */
#include <errno.h>
#include <string.h>

#include "ip6.h"
#include "nat_priv.h"

/*
 * The L4 offset of the IPv6 packet at ip, with the kernel's extension
 * header walk (only the bytes it reads need be present).  *frag_off is
 * the fragment offset field of the last fragment header read (non-zero:
 * no L4 header here, and *l4 is that fragment header); *frag_hdr that
 * header's offset (0 if none), set even when the walk fails after it.
 * False when the walk cannot complete (truncated, or "no next header").
 */
static bool ip6_walk(const uint8_t *d, uint32_t end, uint32_t ip, uint32_t *l4,
		     uint16_t *frag_off, uint32_t *frag_hdr)
{
	struct ct_ip6_chain ch;
	int err = ct_ip6_walk(d, ip, end, 0, &ch);

	*frag_off = ch.frag_off;
	*frag_hdr = ch.frag_hdr;
	if (err)
		return false;
	if (ch.frag_off) {
		*l4 = ch.frag_hdr;
		return true;
	}
	*l4 = ch.l4;
	return ch.proto != CT_IP6_NH_NONE;
}

/* ---- per-protocol L4 rewriting (nf_nat_l4proto_manip_pkt) ------------- */

struct manip {
	uint8_t *d;
	uint32_t end; /* end of the writable datagram bytes */
	uint32_t ip;  /* IP header offset */
	uint32_t l4;  /* L4 header offset */
	uint8_t l3num;
	const struct ct_tuple *target;
	enum nat_manip_type m;
};

/* The pseudo-header part of an L4 checksum: the address about to change. */
static void csum_addr(const struct manip *x, uint8_t *field)
{
	uint32_t n = nat_alen(x->l3num);
	uint32_t at = x->l3num == 2 ? (x->m == NAT_MANIP_SRC ? 12 : 16)
				    : (x->m == NAT_MANIP_SRC ? 8 : 24);
	const uint8_t *new = x->m == NAT_MANIP_SRC ? x->target->src : x->target->dst;

	nat_csum_replace(field, x->d + x->ip + at, new, n);
}

/* Replace the port at x->l4 + (SRC ? 0 : 2); returns the old value's bytes in old[2]. */
static void set_port(const struct manip *x, uint8_t old[2], uint8_t new[2])
{
	uint8_t *pp = x->d + x->l4 + (x->m == NAT_MANIP_SRC ? 0 : 2);

	nat_wr16(new, x->m == NAT_MANIP_SRC ? x->target->src_l4 : x->target->dst_l4);
	memcpy(old, pp, 2);
	memcpy(pp, new, 2);
}

static bool manip_tcp(const struct manip *x)
{
	uint8_t old[2], new[2];

	/* An inner header in an ICMP error may hold only 8 bytes: no checksum then. */
	if (x->l4 + 8 > x->end)
		return false;
	set_port(x, old, new);
	if (x->l4 + 20 > x->end)
		return true;
	csum_addr(x, x->d + x->l4 + 16);
	nat_csum_replace(x->d + x->l4 + 16, old, new, 2);
	return true;
}

/* UDP keeps a zero (absent) checksum; UDP-Lite always has one.  0 is sent as 0xffff. */
static bool manip_udp(const struct manip *x, bool lite)
{
	uint8_t *ck, old[2], new[2];

	if (x->l4 + 8 > x->end)
		return false;
	ck = x->d + x->l4 + 6;
	if (lite || ck[0] || ck[1]) {
		uint8_t *pp = x->d + x->l4 + (x->m == NAT_MANIP_SRC ? 0 : 2);

		nat_wr16(new, x->m == NAT_MANIP_SRC ? x->target->src_l4 : x->target->dst_l4);
		csum_addr(x, ck);
		nat_csum_replace(ck, pp, new, 2);
		if (!ck[0] && !ck[1])
			nat_wr16(ck, 0xffff);
	}
	set_port(x, old, new);
	return true;
}

static bool manip_sctp(const struct manip *x)
{
	uint8_t old[2], new[2];
	uint32_t crc;

	if (x->l4 + 8 > x->end)
		return false;
	set_port(x, old, new);
	if (x->l4 + 12 > x->end)
		return true;
	/* The CRC covers no pseudo-header: recompute it over what is there. */
	crc = nat_sctp_crc(x->d + x->l4, x->end - x->l4);
	x->d[x->l4 + 8] = (uint8_t)crc;
	x->d[x->l4 + 9] = (uint8_t)(crc >> 8);
	x->d[x->l4 + 10] = (uint8_t)(crc >> 16);
	x->d[x->l4 + 11] = (uint8_t)(crc >> 24);
	return true;
}

/* Queries carry the id; errors keep their header (the kernel's type switch). */
static bool icmp_is_query(uint8_t type)
{
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static bool manip_icmp(const struct manip *x)
{
	uint8_t *h = x->d + x->l4, new[2];

	if (x->l4 + 8 > x->end)
		return false;
	if (!icmp_is_query(h[0]))
		return true;
	/* The id becomes the target's, whichever the manipulation. */
	nat_wr16(new, x->target->src_l4);
	nat_csum_replace(h + 2, h + 4, new, 2);
	memcpy(h + 4, new, 2);
	return true;
}

static bool manip_icmpv6(const struct manip *x)
{
	uint8_t *h = x->d + x->l4, new[2];

	if (x->l4 + 8 > x->end)
		return false;
	csum_addr(x, h + 2);
	if (h[0] == 128 || h[0] == 129) {
		nat_wr16(new, x->target->src_l4);
		nat_csum_replace(h + 2, h + 4, new, 2);
		memcpy(h + 4, new, 2);
	}
	return true;
}

/* GRE: only PPTP (version 1) carries a key to rewrite, the destination call ID. */
static bool manip_gre(const struct manip *x)
{
	uint8_t *h = x->d + x->l4;

	if (x->l4 + 8 > x->end)
		return false;
	if (x->m != NAT_MANIP_DST)
		return true;
	switch (h[1] & 7) {
	case 0:
		return true;
	case 1:
		nat_wr16(h + 6, x->target->dst_l4);
		return true;
	default:
		return false;
	}
}

static bool manip_l4(const struct manip *x)
{
	switch (x->target->proto) {
	case 6:
		return manip_tcp(x);
	case 17:
		return manip_udp(x, false);
	case 136:
		return manip_udp(x, true);
	case 132:
		return manip_sctp(x);
	case 1:
		return manip_icmp(x);
	case 58:
		return manip_icmpv6(x);
	case 47:
		return manip_gre(x);
	default:
		return true; /* unknown protocols pass unmodified */
	}
}

/*
 * nf_nat_ipv4/ipv6_manip_pkt: rewrite the L4 part (unless a non-first
 * fragment), then the address (IPv4: header checksum updated).
 */
static bool manip_pkt(uint8_t *d, uint32_t end, uint32_t ip, uint8_t l3num,
		      const struct ct_tuple *target, enum nat_manip_type m)
{
	struct manip x = {.d = d, .end = end, .ip = ip, .l3num = l3num, .target = target, .m = m};
	const uint8_t *new = m == NAT_MANIP_SRC ? target->src : target->dst;

	if (l3num == 2) {
		uint8_t *a;

		if (ip + 20 > end)
			return false;
		x.l4 = ip + (uint32_t)(d[ip] & 0x0f) * 4;
		if (!(nat_rd16(d + ip + 6) & 0x1fff) && !manip_l4(&x))
			return false;
		a = d + ip + (m == NAT_MANIP_SRC ? 12 : 16);
		nat_csum_replace(d + ip + 10, a, new, 4);
		memcpy(a, new, 4);
	} else {
		uint16_t fo;
		uint32_t fh;

		if (ip + 40 > end)
			return false;
		if (ip6_walk(d, end, ip, &x.l4, &fo, &fh) && !fo && !manip_l4(&x))
			return false;
		memcpy(d + ip + (m == NAT_MANIP_SRC ? 8 : 24), new, 16);
	}
	return true;
}

/* ---- the packet ------------------------------------------------------- */

/* The status bit that says direction dir is translated at a hook of type m. */
static uint16_t nat_statusbit(enum nat_manip_type m, uint8_t dir)
{
	uint16_t bit = m == NAT_MANIP_SRC ? CT_S_SRC_NAT : CT_S_DST_NAT;

	if (dir == CT_DIR_REPLY)
		bit ^= CT_S_SRC_NAT | CT_S_DST_NAT;
	return bit;
}

static void tuple_invert(const struct ct_tuple *in, struct ct_tuple *out)
{
	if (!ct_l4proto_find(in->proto)->invert(in, out))
		ct_tuple_invert_ports(in, out);
}

static uint32_t pkt_end(const struct ct_pkt *p)
{
	uint64_t end = (uint64_t)p->l3_off + p->l3_len;

	return end < p->len ? (uint32_t)end : p->len;
}

/* Keep the parsed tuple in step with the rewritten header. */
static void update_tuple(struct ct_pkt *p, const struct ct_tuple *target, enum nat_manip_type m,
			 bool l4)
{
	if (m == NAT_MANIP_SRC)
		memcpy(p->tuple.src, target->src, 16);
	else
		memcpy(p->tuple.dst, target->dst, 16);
	if (!l4 || (p->is_frag && !p->frag_first))
		return;
	if (p->proto == 1 || p->proto == 58) {
		uint8_t type = (uint8_t)(p->tuple.dst_l4 >> 8);

		if ((p->proto == 1 && icmp_is_query(type)) ||
		    (p->proto == 58 && (type == 128 || type == 129)))
			p->tuple.src_l4 = target->src_l4;
	} else if (p->proto == 6 || p->proto == 17 || p->proto == 136 || p->proto == 132) {
		if (m == NAT_MANIP_SRC)
			p->tuple.src_l4 = target->src_l4;
		else
			p->tuple.dst_l4 = target->dst_l4;
	}
}

bool nat_pkt_is_icmp_error(const struct ct_pkt *p)
{
	return p->ct && (p->ctinfo == CT_INFO_RELATED || p->ctinfo == CT_INFO_RELATED_REPLY) &&
	       ((p->l3num == 2 && p->proto == 1) || (p->l3num == 10 && p->proto == 58));
}

static int drop(struct ct_table *t)
{
	if (t->nat)
		t->nat->stats.dropped++;
	return -EPERM;
}

/* Is the ICMP/ICMPv6 checksum of the (fully captured) message right? */
static bool icmp_csum_ok(const struct ct_pkt *p, uint32_t end)
{
	if ((uint64_t)p->l3_off + p->l3_len > p->len)
		return true; /* not all captured: cannot tell, as if offloaded */
	if (p->l3num == 2)
		return ct_csum_fold(ct_csum_partial(p->data + p->l4_off, end - p->l4_off, 0)) == 0;
	return ct_pkt_l4_csum_ok(p);
}

/* The ICMPv6 checksum over the message at l4 with the packet's current addresses. */
static uint16_t icmpv6_csum(const uint8_t *d, uint32_t ip, uint32_t l4, uint32_t end)
{
	uint32_t len = end - l4;
	uint8_t ph[8] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			 (uint8_t)len, 0, 0, 0, 58};
	uint32_t sum = ct_csum_partial(d + ip + 8, 32, 0);

	sum = ct_csum_partial(ph, 8, sum);
	return ct_csum_fold(ct_csum_partial(d + l4, len, sum));
}

/*
 * nf_nat_icmp_reply_translation / nf_nat_icmpv6_reply_translation.
 * Drops a message too short to hold the quoted IP header, one with a bad
 * checksum, and redirects about NATed entries.
 */
static int icmp_translate(struct ct_table *t, struct ct_pkt *p, uint8_t *d,
			  enum nat_manip_type m)
{
	const struct ct_conn *c = p->ct;
	uint32_t end = pkt_end(p), hl = p->l4_off, inner = hl + 8;
	uint16_t done = CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE;
	struct ct_tuple other, target;
	uint8_t type;

	if (end < inner + (p->l3num == 2 ? 20 : 40))
		return drop(t);
	if (!icmp_csum_ok(p, end))
		return drop(t);
	type = d[hl];
	/* Redirects would let NATed hosts talk past the translation. */
	if ((p->l3num == 2 && type == 5) || (p->l3num == 10 && type == 137)) {
		if ((c->status & done) != done || (c->status & (CT_S_SRC_NAT | CT_S_DST_NAT)))
			return drop(t);
	}
	if (!(c->status & nat_statusbit(m, p->dir)))
		return 0;
	/* The quote is a packet of the other direction: the opposite manipulation. */
	ct_conn_tuple(c, (enum ct_dir)!p->dir, &other);
	if (!manip_pkt(d, end, inner, p->l3num, &other,
		       m == NAT_MANIP_SRC ? NAT_MANIP_DST : NAT_MANIP_SRC))
		return drop(t);
	nat_wr16(d + hl + 2, 0);
	if (p->l3num == 2)
		nat_wr16(d + hl + 2, ct_csum_fold(ct_csum_partial(d + hl, end - hl, 0)));
	else
		nat_wr16(d + hl + 2, icmpv6_csum(d, p->l3_off, hl, end));
	/* The outer header as a packet of direction d. */
	tuple_invert(&other, &target);
	target.proto = p->l3num == 2 ? 1 : 58;
	if (!manip_pkt(d, end, p->l3_off, p->l3num, &target, m))
		return drop(t);
	update_tuple(p, &target, m, false);
	return 0;
}

int nat_packet(struct ct_table *t, struct ct_pkt *p, uint8_t *data, enum ct_hook hook)
{
	enum nat_manip_type m = nat_hook_manip(hook);
	struct ct_tuple other, target;
	const struct ct_conn *c = p->ct;

	if (!c)
		return 0;
	if (nat_pkt_is_icmp_error(p))
		return icmp_translate(t, p, data, m);
	if (!(c->status & nat_statusbit(m, p->dir)))
		return 0;
	ct_conn_tuple(c, (enum ct_dir)!p->dir, &other);
	tuple_invert(&other, &target);
	if (!manip_pkt(data, pkt_end(p), p->l3_off, p->l3num, &target, m))
		return drop(t);
	update_tuple(p, &target, m, true);
	return 0;
}

/* ---- fragments -------------------------------------------------------- */

/* Offsets of the fragmentable data and of the L4 header, per family. */
struct frag_geo {
	uint32_t data;  /* where fragment payload byte 0 sits (fragment: its offset 0) */
	uint32_t l4;    /* L4 header (whole datagram only) */
	uint32_t fo;    /* fragment offset in bytes */
	uint32_t plen;  /* payload bytes present */
};

static bool geo_whole(const uint8_t *w, uint32_t len, struct frag_geo *g)
{
	if (len < 20)
		return false;
	if ((w[0] >> 4) == 4) {
		g->data = (uint32_t)(w[0] & 0x0f) * 4;
		g->l4 = g->data;
	} else {
		uint16_t fo;
		uint32_t fh;

		if (!ip6_walk(w, len, 0, &g->l4, &fo, &fh))
			return false;
		g->data = 40;
	}
	return g->l4 <= len;
}

static bool geo_frag(const uint8_t *f, uint32_t len, struct frag_geo *g)
{
	if (len < 20)
		return false;
	if ((f[0] >> 4) == 4) {
		uint32_t tot = nat_rd16(f + 2);

		g->data = (uint32_t)(f[0] & 0x0f) * 4;
		g->fo = (uint32_t)(nat_rd16(f + 6) & 0x1fff) * 8;
		if (tot > len)
			tot = len;
		g->plen = tot > g->data ? tot - g->data : 0;
	} else {
		uint16_t fo;
		uint32_t fh, l4;

		ip6_walk(f, len, 0, &l4, &fo, &fh);
		if (!fh)
			return false;
		g->data = fh + 8;
		g->fo = fo;
		g->plen = len > g->data ? len - g->data : 0;
	}
	return true;
}

/*
 * Every fragment takes the rewritten addresses; the ones carrying part of
 * the first 20 L4 bytes (ports, checksums, ICMP id) take those bytes.
 * For IPv6 the unfragmentable part of the fragment and of the reassembled
 * datagram have the same length, so fragmentable data lines up from
 * `data` in both.
 */
void nat_fragment_sync(const uint8_t *whole, uint32_t whole_len, uint8_t *frag, uint32_t len)
{
	struct frag_geo w, f;
	uint32_t lo, hi;

	if (!geo_whole(whole, whole_len, &w) || !geo_frag(frag, len, &f))
		return;
	if ((whole[0] >> 4) == 4) {
		for (uint32_t a = 12; a < 20; a += 4) {
			if (memcmp(frag + a, whole + a, 4) != 0) {
				nat_csum_replace(frag + 10, frag + a, whole + a, 4);
				memcpy(frag + a, whole + a, 4);
			}
		}
		w.data = w.l4; /* IPv4 fragments count offsets from the L4 header */
	} else {
		memcpy(frag + 8, whole + 8, 32);
		w.data = f.data - 8; /* the fragment header is absent from the whole */
	}
	/* L4 bytes [w.l4, w.l4 + 20) of the whole, in fragment payload coordinates. */
	lo = w.l4 - w.data;
	hi = lo + 20;
	for (uint32_t k = 0; k < f.plen; k++) {
		uint32_t pos = f.fo + k, src = w.data + pos;

		if (pos < lo || pos >= hi)
			continue;
		if (src >= whole_len)
			break;
		frag[f.data + k] = whole[src];
	}
}
