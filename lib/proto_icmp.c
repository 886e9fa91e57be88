/* SPDX-License-Identifier: MIT */
/*
 * ICMP (IPv4) tracker (spec §1.3, §6.3), and the handling of ICMP/ICMPv6
 * error messages shared with proto_icmpv6.c (the kernel keeps its
 * inet-error helper in the ICMP tracker too).
 *
 * Queries (echo, timestamp, information, address mask) form entries keyed
 * by id, type and code; the reply type is found through a fixed map.  Error
 * messages never form entries: they quote a packet, and if the quoted flow
 * is tracked the error is RELATED to it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ct_priv.h"
#include "ip6.h"
#include "proto_l4.h"

/* Highest ICMP type the kernel knows (NR_ICMP_TYPES); larger types are INVALID. */
#define ICMP_TYPE_MAX 18

/*
 * Query type -> reply type, plus one (0 = not invertible).  Both directions
 * are listed: a quoted echo reply must invert to an echo request.
 */
static const uint8_t icmp_invmap[ICMP_TYPE_MAX + 1] = {
    [8] = 0 + 1,   /* echo request -> echo reply */
    [0] = 8 + 1,   /* echo reply -> echo request */
    [13] = 14 + 1, /* timestamp -> timestamp reply */
    [14] = 13 + 1, /* timestamp reply -> timestamp */
    [15] = 16 + 1, /* information request -> reply (obsolete, still mapped) */
    [16] = 15 + 1, /* information reply -> request */
    [17] = 18 + 1, /* address mask request -> reply */
    [18] = 17 + 1, /* address mask reply -> request */
};

/* Types that may create an entry: the requests only. */
static bool icmp_valid_new(uint8_t type)
{
	return type == 8 || type == 13 || type == 15 || type == 17;
}

/* RFC 792 / RFC 1122: the error messages that quote the offending datagram. */
static bool icmp_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool icmp_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	uint8_t type = (uint8_t)(orig->dst_l4 >> 8);

	if (type > ICMP_TYPE_MAX || !icmp_invmap[type])
		return false;
	*reply = *orig;
	memcpy(reply->src, orig->dst, sizeof(reply->src));
	memcpy(reply->dst, orig->src, sizeof(reply->dst));
	/* The id stays; the code stays; only the type is mapped. */
	reply->src_l4 = orig->src_l4;
	reply->dst_l4 = (uint16_t)((icmp_invmap[type] - 1) << 8 | (orig->dst_l4 & 0xff));
	return true;
}

/* ---- the quoted packet ------------------------------------------------- */

/*
 * Find the L4 header of a quoted IPv6 packet with the kernel's extension
 * header walk: only the bytes the walk reads need be quoted (the caller
 * checks what it reads at the L4 offset); a fragment header with a
 * non-zero offset (no L4 header) or "no next header" makes the quote
 * unusable.
 */
static bool quote_ip6_l4(const uint8_t *d, uint32_t ip, uint32_t end, uint8_t *proto, uint32_t *l4)
{
	struct ct_ip6_chain ch;

	if (ct_ip6_walk(d, ip, end, 0, &ch) != 0)
		return false;
	if (ch.frag_off || ch.proto == CT_IP6_NH_NONE)
		return false;
	*proto = ch.proto;
	*l4 = ch.l4;
	return true;
}

/*
 * Fill the l4 fields of a quoted packet's tuple from the first bytes of its
 * L4 header (an ICMP error quotes at least 8 of them, RFC 792).  Protocols
 * without l4 fields succeed with zeros, as the kernel's generic tracker.
 */
static bool quote_l4(const uint8_t *d, uint32_t off, uint32_t end, struct ct_tuple *tu)
{
	uint32_t avail = off < end ? end - off : 0;

	switch (tu->proto) {
	case 1:
	case 58:
		if (avail < 8)
			return false;
		tu->src_l4 = ct_rd16(d + off + 4); /* identifier */
		tu->dst_l4 = (uint16_t)(d[off] << 8 | d[off + 1]);
		return true;
	case 6:
	case 17:
	case 132:
	case 136:
		if (avail < 4)
			return false;
		tu->src_l4 = ct_rd16(d + off);
		tu->dst_l4 = ct_rd16(d + off + 2);
		return true;
	case 47:
		return ct_gre_keys(avail ? d + off : d, avail, &tu->src_l4, &tu->dst_l4);
	default:
		return true;
	}
}

/*
 * The tuple of the quoted packet, in the outer packet's address family
 * (the kernel parses the quote as the family of the outer header).
 */
static bool quote_tuple(const struct ct_pkt *p, uint32_t ip, uint32_t end, struct ct_tuple *tu)
{
	const uint8_t *d = p->data;
	uint32_t l4;

	memset(tu, 0, sizeof(*tu));
	tu->l3num = p->l3num;
	if (p->l3num == 2) {
		if (ip >= end || end - ip < 20)
			return false;
		/* A quoted non-first fragment carries no L4 header. */
		if (ct_rd16(d + ip + 6) & 0x1fff)
			return false;
		/* The header length is taken as is, as the kernel does. */
		l4 = ip + (uint32_t)(d[ip] & 0x0f) * 4;
		if (l4 > end)
			return false;
		tu->proto = d[ip + 9];
		memcpy(tu->src, d + ip + 12, 4);
		memcpy(tu->dst, d + ip + 16, 4);
	} else if (p->l3num == 10) {
		if (!quote_ip6_l4(d, ip, end, &tu->proto, &l4))
			return false;
		memcpy(tu->src, d + ip + 8, 16);
		memcpy(tu->dst, d + ip + 24, 16);
	} else {
		return false;
	}
	return quote_l4(d, l4, end, tu);
}

/* Per-protocol inversion of a quoted tuple (the kernel's nf_ct_invert_tuple). */
static bool quote_invert(const struct ct_tuple *orig, struct ct_tuple *inv)
{
	if (orig->proto == 1)
		return ct_l4proto_icmp.invert(orig, inv);
	if (orig->proto == 58)
		return ct_l4proto_icmpv6.invert(orig, inv);
	ct_tuple_invert_ports(orig, inv);
	return true;
}

/* Zone id of the packet's template for one direction (spec §8.5). */
static uint16_t pkt_zone(const struct ct_pkt *p, enum ct_dir dir)
{
	return (p->zone_dirs & (1u << dir)) ? p->zone_id : 0;
}

/*
 * Look the inverted quote up.  A link matches only with the zone id that
 * applies to its own direction, so with a one-direction zone both ids are
 * tried, each accepted only for the direction it belongs to.
 */
static struct ct_conn *related_find(struct ct_table *t, const struct ct_pkt *p, struct ct_tuple *tu,
				    uint64_t now, enum ct_dir *dir)
{
	uint16_t zo = pkt_zone(p, CT_DIR_ORIGINAL);
	uint16_t zr = pkt_zone(p, CT_DIR_REPLY);
	struct ct_conn *c;

	tu->zone = zo;
	c = ct_find(t, tu, now, dir);
	if (zo == zr || (c && *dir == CT_DIR_ORIGINAL))
		return c;
	tu->zone = zr;
	c = ct_find(t, tu, now, dir);
	if (c && *dir == CT_DIR_REPLY)
		return c;
	return NULL;
}

enum ct_err_result ct_icmp_related(struct ct_table *t, struct ct_pkt *p, uint32_t inner_off,
				   uint32_t end, const uint8_t outer_dst[16], uint64_t now)
{
	struct ct_tuple quoted, inv, link;
	enum ct_dir dir = CT_DIR_ORIGINAL;
	struct ct_conn *c;

	if (!quote_tuple(p, inner_off, end, &quoted))
		goto invalid;
	/* The quote is a packet the erring host received: its inverse is
	 * the direction the error travels in. */
	if (!quote_invert(&quoted, &inv))
		goto invalid;
	c = related_find(t, p, &inv, now, &dir);
	if (!c)
		goto invalid;
	/*
	 * The error must go to the host the quoted packet came from, i.e. the
	 * destination of the link it matched.  Otherwise a forged quote could
	 * make a packet to any host RELATED to someone else's flow.
	 */
	ct_conn_tuple(c, dir, &link);
	if (memcmp(link.dst, outer_dst, 16) != 0)
		goto invalid;

	/* No refresh, no accounting, no SEEN_REPLY (spec §6.3 step 5). */
	t->held = c; /* attached to the packet in flight: not freed under it */
	p->ct = c;
	p->ct_new = false;
	p->dir = (uint8_t)dir;
	p->ctinfo = dir == CT_DIR_REPLY ? CT_INFO_RELATED_REPLY : CT_INFO_RELATED;
	return CT_ERR_RELATED;

invalid:
	return CT_ERR_INVALID;
}

/* ---- ICMP ops ------------------------------------------------------------ */

static enum ct_err_result icmp_error(struct ct_table *t, struct ct_pkt *p, enum ct_hook hook,
				     uint64_t now)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint32_t end = ct_l4_end(p);
	uint8_t outer_dst[16] = {0};
	uint8_t type;

	/* ICMP inside IPv6 is not looked at here; its packet() refuses it. */
	if (p->l3num != 2)
		return CT_ERR_NONE;
	if (end - p->l4_off < 8)
		goto invalid; /* short packet */
	/* Checksums are verified where packets enter (prerouting) only. */
	if (hook == CT_HOOK_PREROUTING && t->set.checksum && ct_l4_complete(p) &&
	    !ct_pkt_l4_csum_ok(p))
		goto invalid;
	type = p->data[p->l4_off];
	/* RFC 1122 3.2.2: unknown types are discarded; the kernel knows 0..18. */
	if (type > ICMP_TYPE_MAX)
		goto invalid;
	if (!icmp_is_error(type))
		return CT_ERR_NONE;
	memcpy(outer_dst, ip + 16, 4);
	return ct_icmp_related(t, p, p->l4_off + 8, end, outer_dst, now);

invalid:
	return CT_ERR_INVALID;
}

static enum ct_verdict icmp_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				   enum ct_hook hook, uint64_t now)
{
	struct ct_tuple orig;

	(void)hook;
	if (p->l3num != 2)
		return CT_V_INVALID;
	/*
	 * Only a request may have created the entry.  The kernel checks the
	 * original type on every packet, so an entry inserted by hand with
	 * a reply type never accepts packets either.
	 */
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &orig);
	if (!icmp_valid_new((uint8_t)(orig.dst_l4 >> 8)))
		return CT_V_INVALID;
	/* Kept after the reply, for duplicates (spec §6.3). */
	ct_refresh_acct(t, c, p, t->set.icmp_timeout, now);
	return CT_V_ACCEPT;
}

const struct ct_l4proto ct_l4proto_icmp = {
    .proto = 1,
    .allow_clash = false,
    .error = icmp_error,
    .invert = icmp_invert,
    .packet = icmp_packet,
    .can_early_drop = NULL,
};
