/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the non-TCP trackers (proto_udp.c, proto_icmp.c,
 * proto_icmpv6.c, proto_gre.c, proto_sctp.c).  Not installed.
 */
#ifndef CTRACK_PROTO_L4_H
#define CTRACK_PROTO_L4_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_priv.h"

/*
 * The quoted IP header starts at p->data + inner_off; nothing at or past
 * `end` may be read (end = end of the outer datagram as captured).
 * outer_dst is the outer destination address (16 bytes, IPv4 in the first 4).
 * Parses the quote, inverts it, looks it up in the packet's zone and checks
 * the outer destination.  On success attaches the entry to p (RELATED or
 * RELATED_REPLY) and returns CT_ERR_RELATED; otherwise CT_ERR_INVALID.
 */
enum ct_err_result ct_icmp_related(struct ct_table *t, struct ct_pkt *p, uint32_t inner_off,
				   uint32_t end, const uint8_t outer_dst[16], uint64_t now);

/*
 * GRE keys of a packet whose GRE header starts at l4 with `avail` readable
 * bytes (spec §6.2): version 1 with protocol 0x880B (PPTP) gives the call ID
 * as the destination key; any other version, or a header too short to hold
 * the call ID, gives keys 0.  False: version 1 with another protocol, which
 * the kernel does not track.  Defined in proto_gre.c.
 */
bool ct_gre_keys(const uint8_t *l4, uint32_t avail, uint16_t *src_key, uint16_t *dst_key);

/* Big-endian loads from packet bytes. */
static inline uint16_t ct_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t ct_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* End of the L4 bytes that are both inside the IP datagram and captured. */
static inline uint32_t ct_l4_end(const struct ct_pkt *p)
{
	uint64_t end = (uint64_t)p->l4_off + p->l4_len;

	if (end > p->len)
		end = p->len;
	if (end < p->l4_off)
		end = p->l4_off;
	return (uint32_t)end;
}

/* True when the whole L4 datagram was captured, so its checksum can be verified. */
static inline bool ct_l4_complete(const struct ct_pkt *p)
{
	return p->l4_off <= p->len && p->l4_len <= p->len - p->l4_off;
}

#endif
