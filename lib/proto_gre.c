/* SPDX-License-Identifier: MIT */
/*
 * GRE tracker (spec §6.2).
 *
 * Plain GRE (RFC 2784, version 0) has no ports: the keys are 0 and the flow
 * is the address pair.  Enhanced GRE (RFC 2637, version 1, PPTP) carries the
 * peer's call ID, which becomes the destination key; the source key would
 * come from the PPTP helper's key map, which ctrack does not have, so it is
 * 0.  Timeouts: gre_timeout until a reply was seen, then
 * gre_timeout_stream and ASSURED.
 */
#include <stdbool.h>
#include <stdint.h>

#include "ct_priv.h"
#include "proto_l4.h"

#define GRE_VERSION_MASK 0x0007
#define GRE_VERSION_PPTP 1
#define GRE_PROTO_PPP	 0x880b

bool ct_gre_keys(const uint8_t *l4, uint32_t avail, uint16_t *src_key, uint16_t *dst_key)
{
	*src_key = 0;
	*dst_key = 0;
	/* Too short for the base header, or not version 1: like generic. */
	if (avail < 4 || (ct_rd16(l4) & GRE_VERSION_MASK) != GRE_VERSION_PPTP)
		return true;
	/* The kernel keeps keys 0 when the call ID is beyond the packet. */
	if (avail < 8)
		return true;
	if (ct_rd16(l4 + 2) != GRE_PROTO_PPP)
		return false;
	*dst_key = ct_rd16(l4 + 6); /* RFC 2637 §4.1: call ID */
	return true;
}

static bool gre_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	ct_tuple_invert_ports(orig, reply);
	return true;
}

static enum ct_verdict gre_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				  enum ct_hook hook, uint64_t now)
{
	uint32_t avail = ct_l4_end(p) - p->l4_off;
	uint16_t skey, dkey;
	uint16_t status;

	(void)hook;
	/* Version 1 with a protocol other than PPP is not tracked. */
	if (!ct_gre_keys(p->data + p->l4_off, avail, &skey, &dkey))
		return CT_V_INVALID;
	/*
	 * The keys came from the packet parser; the entry is only right if
	 * they agree with the rule above.
	 */
	if (p->tuple.src_l4 != skey || p->tuple.dst_l4 != dkey)
		return CT_V_INVALID;

	status = c->status;
	if (status & CT_S_SEEN_REPLY) {
		ct_refresh_acct(t, c, p, t->set.gre_timeout_stream, now);
		/* Clash losers time out in a second: never protect them. */
		if (status & CT_S_NAT_CLASH)
			return CT_V_ACCEPT;
		ct_status_set(c, CT_S_ASSURED);
	} else {
		ct_refresh_acct(t, c, p, t->set.gre_timeout, now);
	}
	return CT_V_ACCEPT;
}

const struct ct_l4proto ct_l4proto_gre = {
    .proto = 47,
    .allow_clash = true,
    .error = NULL,
    .invert = gre_invert,
    .packet = gre_packet,
    .can_early_drop = NULL,
};
