/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 extension header walk, shared by the packet parser (parse.c),
 * the quoted packet of ICMPv6 errors (proto_icmp.c) and NAT's rewriting
 * (nat/nat_pkt.c), and the header length rule defrag.c uses too.  Defined
 * in parse.c.  Not installed.
 */
#ifndef CTRACK_IP6_H
#define CTRACK_IP6_H

#include <stdint.h>

enum { CT_IP6_HLEN = 40 };

/*
 * Next-header values the walk treats as extension headers: those the
 * kernel's ipv6_ext_hdr() names (RFC 8200 §4; AH is RFC 4302).
 */
enum ct_ip6_nh {
	CT_IP6_NH_HOP = 0,
	CT_IP6_NH_ROUTING = 43,
	CT_IP6_NH_FRAGMENT = 44,
	CT_IP6_NH_AUTH = 51,
	CT_IP6_NH_NONE = 59,
	CT_IP6_NH_DEST = 60,
};

enum ct_ip6_walk_flags {
	/*
	 * Every extension header must lie wholly before `end`.  Without it,
	 * only the bytes the walk reads must (the next-header and length
	 * bytes, four bytes of a fragment header), as the kernel's
	 * ipv6_skip_exthdr() reads them: the upper-layer offset may then lie
	 * past `end`, and the caller checks what it reads there.
	 */
	CT_IP6_WALK_WHOLE = 1u << 0,
	/*
	 * Only the first fragment header is read (it says whether the packet
	 * is a fragment); later ones are skipped like any extension header.
	 * Without it every fragment header is read and the last one read is
	 * the one reported.
	 */
	CT_IP6_WALK_FIRST_FRAG = 1u << 1,
};

struct ct_ip6_chain {
	uint32_t l4;	   /* offset of the upper-layer header (see proto) */
	uint32_t frag_hdr; /* offset of the fragment header reported; 0: none */
	uint16_t frag_off; /* its fragment offset in bytes (flag bits masked off) */
	uint8_t proto;	   /* the upper-layer protocol */
};

/*
 * Length in bytes of the extension header of type nh at h, h[0..1] present:
 * a fragment header is 8 bytes, AH counts 32-bit words minus 2 (RFC 4302
 * §2.2), the others 8-byte units minus 1 (RFC 8200 §4.3-4.6).
 */
uint32_t ct_ip6_ext_len(uint8_t nh, const uint8_t *h);

/*
 * Walk the extension headers of the IPv6 header at d + ip; nothing at or
 * past d + end is read; header lengths as ct_ip6_ext_len().  The walk
 * stops at:
 *   - a header that is not an extension header: out->proto and out->l4;
 *   - "no next header" (59): out->proto is CT_IP6_NH_NONE, out->l4 where
 *     that header would start;
 *   - a fragment header with a non-zero offset (a non-first fragment: no
 *     upper-layer header in this packet): out->frag_hdr is that header,
 *     out->proto its next header and out->l4 the byte after it.
 * Returns 0, or -EINVAL when the fixed header or an extension header runs
 * past `end` (per flags, enum ct_ip6_walk_flags); *out then holds the
 * fragment header found before the fault, if any.
 */
int ct_ip6_walk(const uint8_t *d, uint32_t ip, uint32_t end, uint32_t flags,
		struct ct_ip6_chain *out);

#endif
