/* SPDX-License-Identifier: MIT */
/*
 * The generic tracker for every L4 protocol without its own (spec §4, §6.2):
 * addresses only, one timeout, never ASSURED, clash-merge allowed.
 */
#include "ct_priv.h"

static bool generic_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	ct_tuple_invert_ports(orig, reply);
	return true;
}

static enum ct_verdict generic_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				      enum ct_hook hook, uint64_t now)
{
	(void)hook;
	ct_refresh_acct(t, c, p, t->set.generic_timeout, now);
	return CT_V_ACCEPT;
}

const struct ct_l4proto ct_l4proto_generic = {
	.proto = 0,
	.allow_clash = true,
	.invert = generic_invert,
	.packet = generic_packet,
};
