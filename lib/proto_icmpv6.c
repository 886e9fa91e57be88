/* SPDX-License-Identifier: MIT */
/*
 * ICMPv6 tracker (spec §1.3, §6.4).
 *
 * Echo and node-information queries form entries; errors (type < 128) and
 * qualifying redirects are RELATED to the flow they quote; neighbour
 * discovery, MLD and multicast router discovery are never tracked.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ct_priv.h"
#include "proto_l4.h"

enum {
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_ECHO_REPLY = 129,
	ICMP6_NI_QUERY = 139,
	ICMP6_NI_REPLY = 140,
	ICMP6_REDIRECT = 137,
};

/* RFC 4861 §4.6: option type of the Redirected Header option. */
#define ND_OPT_REDIRECTED_HDR 4

static bool icmp6_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	uint8_t type = (uint8_t)(orig->dst_l4 >> 8);
	uint8_t rtype;

	switch (type) {
	case ICMP6_ECHO_REQUEST:
		rtype = ICMP6_ECHO_REPLY;
		break;
	case ICMP6_ECHO_REPLY:
		rtype = ICMP6_ECHO_REQUEST;
		break;
	case ICMP6_NI_QUERY:
		rtype = ICMP6_NI_REPLY;
		break;
	case ICMP6_NI_REPLY:
		rtype = ICMP6_NI_QUERY;
		break;
	default:
		return false;
	}
	*reply = *orig;
	memcpy(reply->src, orig->dst, sizeof(reply->src));
	memcpy(reply->dst, orig->src, sizeof(reply->dst));
	reply->src_l4 = orig->src_l4;
	reply->dst_l4 = (uint16_t)(rtype << 8 | (orig->dst_l4 & 0xff));
	return true;
}

/*
 * Link-local traffic the kernel leaves untracked: MLD (130-132), router and
 * neighbour discovery (133-136), MLDv2 report (143) and multicast router
 * discovery advertisement/solicitation (151, 152).
 */
static bool icmp6_untracked(uint8_t type)
{
	return (type >= 130 && type <= 136) || type == 143 || type == 151 || type == 152;
}

/*
 * A redirect (RFC 4861 §8) is RELATED to the flow it quotes only when it
 * passes the checks every host applies to redirects (§8.1): code 0, hop
 * limit 255, link-local source, and a Redirected Header option carrying the
 * quote.  Returns the offset of the quoted IPv6 header and narrows *end
 * to the option, or returns 0 when the redirect must be INVALID.
 */
static uint32_t redirect_quote(const struct ct_pkt *p, uint32_t *end_io)
{
	uint32_t end = *end_io;
	const uint8_t *d = p->data;
	const uint8_t *src = d + p->l3_off + 8;
	uint32_t off = p->l4_off + 40; /* type..reserved (8), target, destination */

	if (d[p->l4_off + 1] != 0 || p->ttl != 255)
		return 0;
	if (!(src[0] == 0xfe && (src[1] & 0xc0) == 0x80))
		return 0;
	while (off < end && end - off >= 2) {
		uint32_t olen = (uint32_t)d[off + 1] * 8;

		if (olen == 0)
			return 0; /* RFC 4861 §4.6: zero length is invalid */
		if (end - off < olen)
			return 0;
		if (d[off] == ND_OPT_REDIRECTED_HDR) {
			*end_io = off + olen;
			return off + 8;
		}
		off += olen;
	}
	return 0;
}

static enum ct_err_result icmp6_error(struct ct_table *t, struct ct_pkt *p, enum ct_hook hook,
				      uint64_t now)
{
	uint32_t end = ct_l4_end(p);
	uint32_t quote;
	uint8_t type;

	/* ICMPv6 inside IPv4 is not looked at here; its packet() refuses it. */
	if (p->l3num != 10)
		return CT_ERR_NONE;
	if (end - p->l4_off < 8)
		return CT_ERR_INVALID; /* short packet */
	if (hook == CT_HOOK_PREROUTING && t->set.checksum && ct_l4_complete(p) &&
	    !ct_pkt_l4_csum_ok(p))
		return CT_ERR_INVALID;
	type = p->data[p->l4_off];
	if (icmp6_untracked(type)) {
		p->ct = NULL;
		p->ct_new = false;
		p->ctinfo = CT_INFO_UNTRACKED;
		return CT_ERR_UNTRACKED;
	}
	if (type == ICMP6_REDIRECT) {
		/* Room for the target and destination addresses first. */
		if (end - p->l4_off < 40)
			return CT_ERR_INVALID;
		quote = redirect_quote(p, &end);
		if (!quote)
			return CT_ERR_INVALID;
	} else if (type >= 128) {
		return CT_ERR_NONE; /* informational: a query or reply */
	} else {
		quote = p->l4_off + 8;
	}
	return ct_icmp_related(t, p, quote, end, p->data + p->l3_off + 24, now);
}

static enum ct_verdict icmp6_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				    enum ct_hook hook, uint64_t now)
{
	(void)hook;
	if (p->l3num != 10)
		return CT_V_INVALID;
	/* Only echo and node-information queries may create an entry. */
	if (!ct_conn_confirmed(c)) {
		struct ct_tuple orig;
		uint8_t type;

		ct_conn_tuple(c, CT_DIR_ORIGINAL, &orig);
		type = (uint8_t)(orig.dst_l4 >> 8);
		if (type != ICMP6_ECHO_REQUEST && type != ICMP6_NI_QUERY)
			return CT_V_INVALID;
	}
	ct_refresh_acct(t, c, p, t->set.icmpv6_timeout, now);
	return CT_V_ACCEPT;
}

const struct ct_l4proto ct_l4proto_icmpv6 = {
    .proto = 58,
    .allow_clash = false,
    .error = icmp6_error,
    .invert = icmp6_invert,
    .packet = icmp6_packet,
    .can_early_drop = NULL,
};
