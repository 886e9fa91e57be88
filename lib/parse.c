/* SPDX-License-Identifier: MIT */
/*
 * The packet parser: link header (Ethernet, 802.1Q, QinQ) or raw IP, the
 * IPv4 / IPv6 header checks the IP layer makes before the PREROUTING hook,
 * the IPv6 extension header walk conntrack makes, and the tuple conntrack
 * builds from the L4 header.
 *
 * Rules: no allocation, no I/O, and no read outside [data, data + len).
 * Every read goes through a length check against `len` (the bytes present)
 * and, above L3, against the IP length fields.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ct_priv.h"
#include "ip6.h"

enum {
	ETH_HLEN = 14,
	VLAN_HLEN = 4,
	ETH_P_IP = 0x0800,
	ETH_P_IPV6 = 0x86dd,
	ETH_P_8021Q = 0x8100,
	ETH_P_8021AD = 0x88a8,
	ETH_P_QINQ1 = 0x9100, /* pre-802.1ad QinQ, still seen on switches */
	IP4_MIN_HLEN = 20,
	IP4_MF = 0x2000,
	IP4_OFFMASK = 0x1fff,
	GRE_PROTO_PPP = 0x880b,
};

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD || t == ETH_P_QINQ1;
}

/*
 * Ethernet with up to two VLAN tags.  A third tag is not IP for us: the
 * kernel would hand such a frame to a stacked VLAN device we do not model.
 */
static enum ct_parse_result parse_eth(struct ct_pkt *p, uint32_t *off, uint16_t *etype)
{
	uint32_t o = ETH_HLEN;
	uint16_t t;

	if (p->len < ETH_HLEN)
		return CT_PARSE_TRUNC_L2;
	t = rd16(p->data + 12);
	while (is_vlan_tpid(t)) {
		if (p->nvlan == 2)
			return CT_PARSE_NOT_IP;
		if (p->len - o < VLAN_HLEN)
			return CT_PARSE_TRUNC_L2;
		p->vlan[p->nvlan++] = rd16(p->data + o);
		t = rd16(p->data + o + 2);
		o += VLAN_HLEN;
	}
	if (t != ETH_P_IP && t != ETH_P_IPV6)
		return CT_PARSE_NOT_IP;
	*off = o;
	*etype = t;
	return CT_PARSE_OK;
}

/*
 * IPv4 as ip_rcv_core() checks it before PREROUTING: version, IHL, header
 * present, header checksum, total length within the bytes received.  Bytes
 * beyond the total length (Ethernet padding, trailers) are ignored, as the
 * kernel trims them.  A capture cut by snaplen (wire_len > len) whose total
 * length exceeds the captured bytes is also CT_PARSE_IP_LEN: we cannot see
 * the L4 data, and guessing it would make conntrack decisions on bytes we
 * do not have; callers should capture with a large enough snaplen.
 */
static enum ct_parse_result parse_ip4(struct ct_pkt *p, uint32_t off)
{
	const uint8_t *ip = p->data + off;
	uint32_t avail = p->len - off;
	uint32_t hlen, tot;
	uint16_t fo;

	if (avail < IP4_MIN_HLEN || ip[0] >> 4 != 4)
		return CT_PARSE_IP_HDR;
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_MIN_HLEN || hlen > avail)
		return CT_PARSE_IP_HDR;
	if (ct_csum_fold(ct_csum_partial(ip, hlen, 0)) != 0)
		return CT_PARSE_IP_CSUM;
	tot = rd16(ip + 2);
	if (tot < hlen || tot > avail)
		return CT_PARSE_IP_LEN;

	p->l3num = 2;
	p->l3_off = (uint16_t)off;
	p->ttl = ip[8];
	p->proto = ip[9];
	p->l3_len = tot;
	p->l4_off = (uint16_t)(off + hlen);
	p->l4_len = tot - hlen;

	fo = rd16(ip + 6);
	p->frag_id = rd16(ip + 4);
	p->frag_more = (fo & IP4_MF) != 0;
	p->frag_off = (uint32_t)(fo & IP4_OFFMASK) * 8;
	p->is_frag = p->frag_more || p->frag_off != 0;
	p->frag_first = p->is_frag && p->frag_off == 0;

	p->tuple.l3num = 2;
	p->tuple.proto = p->proto;
	memcpy(p->tuple.src, ip + 12, 4);
	memcpy(p->tuple.dst, ip + 16, 4);
	return CT_PARSE_OK;
}

/*
 * The Jumbo Payload option (RFC 2675), checked as ipv6_rcv's hop-by-hop
 * processing does: payload length 0, option length 4 at offset 4n+2,
 * value > 65535 and within the bytes present.  Returns the jumbo length,
 * 0 if there is no usable jumbo option.
 */
static uint32_t ip6_jumbo_len(const uint8_t *hbh, uint32_t hlen, uint32_t avail)
{
	uint32_t o = 2;

	while (o < hlen) {
		uint8_t type = hbh[o];
		uint32_t olen;

		if (type == 0) { /* Pad1 */
			o++;
			continue;
		}
		if (o + 2 > hlen)
			return 0;
		olen = hbh[o + 1];
		if (o + 2 + olen > hlen)
			return 0;
		if (type == 0xc2) {
			uint32_t v;

			if (olen != 4 || (o & 3) != 2)
				return 0;
			v = rd32(hbh + o + 2);
			if (v <= 0xffff || v > avail - CT_IP6_HLEN)
				return 0;
			return v;
		}
		o += 2 + olen;
	}
	return 0;
}

/*
 * The hop-by-hop header must fit in the payload and its options must be
 * well-formed TLVs; otherwise ipv6_rcv drops the packet before PREROUTING.
 */
static bool ip6_hbh_ok(const uint8_t *hbh, uint32_t hlen)
{
	uint32_t o = 2;

	while (o < hlen) {
		if (hbh[o] == 0) {
			o++;
			continue;
		}
		if (o + 2 > hlen || o + 2 + (uint32_t)hbh[o + 1] > hlen)
			return false;
		o += 2 + (uint32_t)hbh[o + 1];
	}
	return true;
}

/* Length of the extension header nh at h (ip6.h). */
uint32_t ct_ip6_ext_len(uint8_t nh, const uint8_t *h)
{
	if (nh == CT_IP6_NH_FRAGMENT)
		return 8;
	if (nh == CT_IP6_NH_AUTH)
		return ((uint32_t)h[1] + 2) * 4; /* RFC 4302: 32-bit words, minus 2 */
	return ((uint32_t)h[1] + 1) * 8;         /* RFC 8200: 8-octet units, minus 1 */
}

static bool ip6_is_ext(uint8_t nh)
{
	return nh == CT_IP6_NH_HOP || nh == CT_IP6_NH_ROUTING || nh == CT_IP6_NH_FRAGMENT ||
	       nh == CT_IP6_NH_AUTH || nh == CT_IP6_NH_DEST;
}

/* The walk of ip6.h; how much of each header must be present is in flags. */
int ct_ip6_walk(const uint8_t *d, uint32_t ip, uint32_t end, uint32_t flags,
		struct ct_ip6_chain *out)
{
	bool whole = (flags & CT_IP6_WALK_WHOLE) != 0;
	bool read_frag = true;
	uint32_t o = ip + CT_IP6_HLEN;
	uint8_t nh;

	memset(out, 0, sizeof(*out));
	if (ip > end || end - ip < CT_IP6_HLEN)
		return -EINVAL;
	nh = d[ip + 6];
	while (ip6_is_ext(nh)) {
		uint32_t hlen, need;

		if (o > end || end - o < 2)
			return -EINVAL;
		hlen = ct_ip6_ext_len(nh, d + o);
		need = whole ? hlen : nh == CT_IP6_NH_FRAGMENT ? 4 : 2;
		if (end - o < need)
			return -EINVAL;
		if (nh == CT_IP6_NH_FRAGMENT && read_frag) {
			read_frag = !(flags & CT_IP6_WALK_FIRST_FRAG);
			out->frag_hdr = o;
			out->frag_off = rd16(d + o + 2) & 0xfff8u;
			if (out->frag_off) {
				/* Not the first fragment: no L4 header here. */
				nh = d[o];
				o += hlen;
				break;
			}
		}
		nh = d[o];
		o += hlen;
	}
	out->proto = nh;
	out->l4 = o;
	return 0;
}

/*
 * The extension header chain as conntrack walks it (ipv6_skip_exthdr),
 * every header wholly inside the payload (a header running past it is
 * malformed).  Only the first fragment header says whether this is a
 * fragment; the walk stops after it if its offset is not zero (the rest
 * is not in this packet).  A chain ending in "no next header" (59) leaves
 * conntrack without an L4 protocol: INVALID.
 */
static enum ct_parse_result parse_ip6_ext(struct ct_pkt *p, uint32_t off, uint32_t end)
{
	struct ct_ip6_chain ch;
	int err = ct_ip6_walk(p->data, off, end, CT_IP6_WALK_WHOLE | CT_IP6_WALK_FIRST_FRAG, &ch);

	if (ch.frag_hdr) {
		const uint8_t *h = p->data + ch.frag_hdr;

		p->is_frag = true;
		p->frag_hdr_off = (uint16_t)ch.frag_hdr;
		p->frag_off = ch.frag_off;
		p->frag_more = (h[3] & 1) != 0;
		p->frag_first = ch.frag_off == 0;
		p->frag_id = rd32(h + 4);
	}
	/* Offsets past 64 KiB do not fit the packet's 16-bit fields. */
	if (err || ch.l4 > UINT16_MAX)
		return CT_PARSE_IP6_EXTHDR;
	if (ch.proto == CT_IP6_NH_NONE && !ch.frag_off)
		p->l4_bad = CT_L4_BAD_HEADER;
	p->proto = ch.proto;
	p->l4_off = (uint16_t)ch.l4;
	p->l4_len = end - ch.l4;
	return CT_PARSE_OK;
}

/*
 * IPv6 as ipv6_rcv checks it before PREROUTING (version, payload length
 * within the bytes present, hop-by-hop header well-formed, jumbograms),
 * then the extension header walk.
 */
static enum ct_parse_result parse_ip6(struct ct_pkt *p, uint32_t off)
{
	const uint8_t *ip = p->data + off;
	uint32_t avail = p->len - off;
	uint32_t plen, end;
	uint8_t nh;

	if (avail < CT_IP6_HLEN || ip[0] >> 4 != 6)
		return CT_PARSE_IP_HDR;
	plen = rd16(ip + 4);
	nh = ip[6];
	if (CT_IP6_HLEN + plen > avail)
		return CT_PARSE_IP_LEN;
	if (nh == CT_IP6_NH_HOP) {
		uint32_t room = plen ? plen : avail - CT_IP6_HLEN;
		uint32_t hlen;

		if (room < 2)
			return CT_PARSE_IP6_EXTHDR;
		hlen = ((uint32_t)ip[CT_IP6_HLEN + 1] + 1) * 8;
		if (hlen > room || !ip6_hbh_ok(ip + CT_IP6_HLEN, hlen))
			return CT_PARSE_IP6_EXTHDR;
		if (plen == 0) {
			plen = ip6_jumbo_len(ip + CT_IP6_HLEN, hlen, avail);
			if (plen == 0)
				return CT_PARSE_IP6_EXTHDR;
		}
	}
	end = off + CT_IP6_HLEN + plen;

	p->l3num = 10;
	p->l3_off = (uint16_t)off;
	p->ttl = ip[7];
	p->l3_len = CT_IP6_HLEN + plen;
	p->tuple.l3num = 10;
	memcpy(p->tuple.src, ip + 8, 16);
	memcpy(p->tuple.dst, ip + 24, 16);
	if (parse_ip6_ext(p, off, end) != CT_PARSE_OK)
		return CT_PARSE_IP6_EXTHDR;
	p->tuple.proto = p->proto;
	return CT_PARSE_OK;
}

/* ICMPv4 error types (RFC 792): they quote a datagram, carry no id. */
static bool icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * GRE keys as the kernel's GRE tracker builds them (spec §6.2): version 0
 * (or a header too short to read) gets keys 0/0 like the generic tracker;
 * version 1 (PPTP, RFC 2637) with protocol PPP gets the call ID as the
 * destination key; version 1 with another protocol has no tuple (INVALID).
 * A version 1 header shorter than 8 bytes keeps 0/0, as in the kernel.
 */
static void l4_gre(struct ct_pkt *p, const uint8_t *l4, uint32_t n)
{
	if (n < 4 || (l4[1] & 0x07) != 1)
		return;
	if (n < 8)
		return;
	if (rd16(l4 + 2) != GRE_PROTO_PPP) {
		p->l4_bad = CT_L4_BAD_HEADER;
		return;
	}
	p->tuple.dst_l4 = rd16(l4 + 6);
}

/*
 * The L4 part: tuple fields, and the header checks that make conntrack
 * call the packet INVALID (tcp_error, udp_error, udplite_error, ...).
 * n is the L4 length per the IP length fields, all present.
 */
static void parse_l4(struct ct_pkt *p)
{
	const uint8_t *l4 = p->data + p->l4_off;
	uint32_t n = p->l4_len;
	uint32_t v;

	if (p->is_frag && !p->frag_first) {
		p->l4_bad = CT_L4_FRAGMENT;
		return;
	}
	switch (p->proto) {
	case 6:   /* TCP */
	case 17:  /* UDP */
	case 136: /* UDP-Lite */
	case 132: /* SCTP */
		if (n >= 4) {
			p->tuple.src_l4 = rd16(l4);
			p->tuple.dst_l4 = rd16(l4 + 2);
		}
		break;
	case 1:
	case 58:
		if (n >= 8) {
			bool err = p->proto == 1 ? icmp4_is_error(l4[0]) : l4[0] < 128;

			p->tuple.dst_l4 = (uint16_t)(l4[0] << 8 | l4[1]);
			p->tuple.src_l4 = err ? 0 : rd16(l4 + 4);
		} else {
			p->l4_bad = CT_L4_TRUNCATED;
		}
		return;
	case 47:
		l4_gre(p, l4, n);
		return;
	default:
		return;
	}

	switch (p->proto) {
	case 6:
		if (n < 20) {
			p->l4_bad = CT_L4_TRUNCATED;
			break;
		}
		v = (uint32_t)(l4[12] >> 4) * 4;
		if (v < 20 || v > n)
			p->l4_bad = CT_L4_BAD_HEADER;
		break;
	case 17:
		if (n < 8) {
			p->l4_bad = CT_L4_TRUNCATED;
			break;
		}
		v = rd16(l4 + 4);
		if (v < 8 || v > n)
			p->l4_bad = CT_L4_BAD_HEADER;
		break;
	case 136:
		/* RFC 3828: coverage 0 = whole datagram, else 8..length;
		 * the checksum is mandatory. */
		if (n < 8) {
			p->l4_bad = CT_L4_TRUNCATED;
			break;
		}
		v = rd16(l4 + 4);
		if ((v != 0 && (v < 8 || v > n)) || rd16(l4 + 6) == 0)
			p->l4_bad = CT_L4_BAD_HEADER;
		break;
	case 132:
		if (n < 12)
			p->l4_bad = CT_L4_TRUNCATED;
		break;
	}
}

enum ct_parse_result ct_pkt_parse(struct ct_pkt *p, const uint8_t *data, uint32_t len,
				  enum ct_link link)
{
	uint32_t wire_len = p->wire_len;
	enum ct_parse_result r;
	uint32_t off = 0;
	uint16_t etype = 0;

	memset(p, 0, sizeof(*p));
	p->data = data;
	p->len = len;
	p->wire_len = wire_len < len ? len : wire_len;
	p->link = (uint8_t)link;
	p->ctinfo = CT_INFO_INVALID;

	if (link == CT_LINK_ETHERNET) {
		r = parse_eth(p, &off, &etype);
		if (r != CT_PARSE_OK)
			return r;
	} else if (link == CT_LINK_RAW) {
		if (len < 1)
			return CT_PARSE_IP_HDR;
		etype = data[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP;
	} else {
		return CT_PARSE_NOT_IP;
	}

	r = etype == ETH_P_IP ? parse_ip4(p, off) : parse_ip6(p, off);
	if (r != CT_PARSE_OK)
		return r;
	parse_l4(p);
	return CT_PARSE_OK;
}

const char *ct_parse_result_name(enum ct_parse_result r)
{
	static const char *const names[CT_PARSE_MAX] = {
		[CT_PARSE_OK] = "ok",
		[CT_PARSE_NOT_IP] = "not-ip",
		[CT_PARSE_TRUNC_L2] = "truncated-l2",
		[CT_PARSE_IP_HDR] = "bad-ip-header",
		[CT_PARSE_IP_CSUM] = "bad-ip-checksum",
		[CT_PARSE_IP_LEN] = "bad-ip-length",
		[CT_PARSE_IP6_EXTHDR] = "bad-ipv6-exthdr",
	};

	if ((unsigned)r >= CT_PARSE_MAX)
		return "unknown";
	return names[r];
}
