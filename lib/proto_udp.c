/* SPDX-License-Identifier: MIT */
/*
 * UDP and UDP-Lite trackers (spec §6.1).
 *
 * Any valid datagram creates an entry.  Until a reply has been seen it
 * lives udp_timeout (30 s); once replied, a packet more than 2 s after the
 * entry was created makes it a "stream": udp_timeout_stream (120 s) and
 * ASSURED.  The 2 s rule keeps one-shot request/response exchanges (DNS)
 * from becoming ASSURED and so protected from early drop.
 */
#include <stdbool.h>
#include <stdint.h>

#include "ct_priv.h"
#include "proto_l4.h"

#define UDP_HDR_LEN	 8
#define UDP_STREAM_DELAY (2 * CT_SEC)

/* RFC 768 datagram checks; the checksum only where packets enter. */
static bool udp_valid(const struct ct_table *t, const struct ct_pkt *p, enum ct_hook hook)
{
	const uint8_t *h = p->data + p->l4_off;
	uint16_t len;

	if (ct_l4_end(p) - p->l4_off < UDP_HDR_LEN)
		return false; /* short packet */
	len = ct_rd16(h + 4);
	if (len > p->l4_len || len < UDP_HDR_LEN)
		return false; /* truncated or malformed */
	/*
	 * A zero checksum means "none" (RFC 768).  The kernel's conntrack
	 * accepts it in both families; IPv6 (RFC 8200 §8.1) rejects it later
	 * in the local UDP stack, not here.
	 */
	if (h[6] == 0 && h[7] == 0)
		return true;
	/*
	 * Verified at prerouting only: locally generated packets may carry
	 * offloaded checksums.  A capture cut short cannot be verified and is
	 * taken as good, as a NIC-verified packet would be.
	 */
	if (hook == CT_HOOK_PREROUTING && t->set.checksum && ct_l4_complete(p) &&
	    !ct_pkt_l4_csum_ok(p))
		return false;
	return true;
}

/*
 * The kernel's UDP-Lite check: sum over the checksum coverage with a
 * pseudo-header whose protocol field is 17 (UDP), not 136 — it passes
 * IPPROTO_UDP to its partial-checksum helper.  Reproduced as is, so a
 * datagram summed per RFC 3828 is INVALID at prerouting, as on Linux.
 */
static bool udplite_csum_ok(const struct ct_pkt *p, uint32_t cover)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint32_t sum;

	if (p->l3num == 2)
		sum = ct_csum_partial(ip + 12, 8, 0);
	else
		sum = ct_csum_partial(ip + 8, 32, 0);
	sum += 17;
	sum += p->l4_len >> 16;
	sum += p->l4_len & 0xffff;
	sum = ct_csum_partial(p->data + p->l4_off, cover, sum);
	return ct_csum_fold(sum) == 0;
}

/* RFC 3828: the length field is the checksum coverage (0 = everything). */
static bool udplite_valid(const struct ct_table *t, const struct ct_pkt *p, enum ct_hook hook)
{
	const uint8_t *h = p->data + p->l4_off;
	uint32_t cover;

	if (ct_l4_end(p) - p->l4_off < UDP_HDR_LEN)
		return false; /* short packet */
	cover = ct_rd16(h + 4);
	if (cover == 0)
		cover = p->l4_len;
	else if (cover < UDP_HDR_LEN || cover > p->l4_len)
		return false; /* invalid checksum coverage */
	/* RFC 3828 §3.1: the checksum is mandatory. */
	if (h[6] == 0 && h[7] == 0)
		return false;
	if (hook == CT_HOOK_PREROUTING && t->set.checksum && ct_l4_complete(p) &&
	    !udplite_csum_ok(p, cover))
		return false;
	return true;
}

static void udp_track(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p, uint64_t now)
{
	uint16_t status = c->status;

	/* The stream clock starts with the packet that creates the entry. */
	if (!(status & CT_S_CONFIRMED))
		c->ps.udp.stream_ts = now + UDP_STREAM_DELAY;

	/*
	 * "Replied" means SEEN_REPLY was set before this packet: the core
	 * sets it after the handler, so the first reply itself still gets
	 * the unreplied timeout (spec §2.2 step 8).
	 */
	if (status & CT_S_SEEN_REPLY) {
		uint32_t timeout = t->set.udp_timeout;
		bool stream = false;

		if (now > c->ps.udp.stream_ts) {
			timeout = t->set.udp_timeout_stream;
			stream = !(status & CT_S_ASSURED);
		}
		ct_refresh_acct(t, c, p, timeout, now);
		/* Clash losers time out in a second: never protect them. */
		if (status & CT_S_NAT_CLASH)
			return;
		if (stream)
			ct_status_set(c, CT_S_ASSURED);
	} else {
		ct_refresh_acct(t, c, p, t->set.udp_timeout, now);
	}
}

static enum ct_verdict udp_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				  enum ct_hook hook, uint64_t now)
{
	if (!udp_valid(t, p, hook))
		return CT_V_INVALID;
	udp_track(t, c, p, now);
	return CT_V_ACCEPT;
}

static enum ct_verdict udplite_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				      enum ct_hook hook, uint64_t now)
{
	if (!udplite_valid(t, p, hook))
		return CT_V_INVALID;
	udp_track(t, c, p, now);
	return CT_V_ACCEPT;
}

static bool udp_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	ct_tuple_invert_ports(orig, reply);
	return true;
}

const struct ct_l4proto ct_l4proto_udp = {
    .proto = 17,
    .allow_clash = true,
    .error = NULL,
    .invert = udp_invert,
    .packet = udp_packet,
    .can_early_drop = NULL,
};

/* UDP-Lite shares UDP's timeouts and sysctls (the kernel's udp pernet data). */
const struct ct_l4proto ct_l4proto_udplite = {
    .proto = 136,
    .allow_clash = true,
    .error = NULL,
    .invert = udp_invert,
    .packet = udplite_packet,
    .can_early_drop = NULL,
};
