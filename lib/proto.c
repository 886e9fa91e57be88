/* SPDX-License-Identifier: MIT */
/* The tracker registry and protocol-independent tuple helpers. */
#include "ct_priv.h"

const struct ct_l4proto *ct_l4proto_find(uint8_t proto)
{
	switch (proto) {
	case 6:
		return &ct_l4proto_tcp;
	case 17:
		return &ct_l4proto_udp;
	case 136:
		return &ct_l4proto_udplite;
	case 1:
		return &ct_l4proto_icmp;
	case 58:
		return &ct_l4proto_icmpv6;
	case 47:
		return &ct_l4proto_gre;
	case 132:
		return &ct_l4proto_sctp;
	default:
		return &ct_l4proto_generic;
	}
}

/*
 * Swap addresses and l4 fields (TCP, UDP, UDP-Lite, SCTP, GRE; generic has
 * zero l4 fields so the swap is harmless).  The zone is left to the caller:
 * the reply direction's zone id may differ from the original's.
 */
void ct_tuple_invert_ports(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	struct ct_tuple r = *orig;

	memcpy(r.src, orig->dst, 16);
	memcpy(r.dst, orig->src, 16);
	r.src_l4 = orig->dst_l4;
	r.dst_l4 = orig->src_l4;
	*reply = r;
}

/* The names libnetfilter_conntrack prints (proto2str); others are "unknown". */
const char *ct_proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 136:
		return "udplite";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 47:
		return "gre";
	case 132:
		return "sctp";
	case 33:
		return "dccp";
	default:
		return "unknown";
	}
}

const char *ct_tcp_state_name(uint8_t state)
{
	static const char *const names[] = {
		"NONE",     "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",     "SYN_SENT2",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

const char *ct_sctp_state_name(uint8_t state)
{
	static const char *const names[] = {
		"NONE",          "CLOSED",        "COOKIE_WAIT",       "COOKIE_ECHOED",
		"ESTABLISHED",   "SHUTDOWN_SENT", "SHUTDOWN_RECD",     "SHUTDOWN_ACK_SENT",
		"HEARTBEAT_SENT",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

uint32_t ct_info_state_bit(enum ct_info ci)
{
	switch (ci) {
	case CT_INFO_INVALID:
		return CT_STATE_INVALID;
	case CT_INFO_UNTRACKED:
		return CT_STATE_UNTRACKED;
	default:
		/* 1 << (ctinfo mod 3 + 1): reply directions fold onto their originals. */
		return 1u << ((unsigned)ci % 3 + 1);
	}
}
