/* SPDX-License-Identifier: MIT */
/*
 * Parsed packets.  The parser never allocates and never reads outside
 * [data, data + len).  A struct ct_pkt borrows its buffer: the caller owns it
 * and keeps it alive while the packet is processed.
 */
#ifndef CTRACK_PKT_H
#define CTRACK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"

/* Where the frame starts. */
enum ct_link {
	CT_LINK_ETHERNET = 0, /* DLT_EN10MB, with 802.1Q / QinQ tags */
	CT_LINK_RAW = 1,      /* starts at the IP header (DLT_RAW) */
};

/*
 * Parse outcome.  CT_PARSE_OK means conntrack sees the packet (it may still be
 * INVALID for conntrack, see l4_bad).  Every other value means the packet
 * never reaches the netfilter hooks (the IP layer discards it) or is not IP.
 */
enum ct_parse_result {
	CT_PARSE_OK = 0,
	CT_PARSE_NOT_IP,       /* ARP, LLDP, ...: not for conntrack */
	CT_PARSE_TRUNC_L2,     /* shorter than the link header */
	CT_PARSE_IP_HDR,       /* bad version, IHL < 5, header beyond the capture */
	CT_PARSE_IP_CSUM,      /* IPv4 header checksum wrong: the IP layer drops it */
	CT_PARSE_IP_LEN,       /* total length < header, or > captured bytes */
	CT_PARSE_IP6_EXTHDR,   /* malformed IPv6 extension header chain */
	CT_PARSE_MAX,
};

/* Why conntrack would find the L4 part unusable (-> INVALID). */
enum ct_l4_bad {
	CT_L4_OK = 0,
	CT_L4_TRUNCATED,   /* L4 header cut short */
	CT_L4_FRAGMENT,    /* non-first fragment (when not reassembled) */
	CT_L4_BAD_HEADER,  /* e.g. TCP data offset < 5, UDP length wrong */
};

struct ct_pkt {
	/* [in] frame */
	const uint8_t *data;
	uint32_t len;        /* bytes present at data */
	uint32_t wire_len;   /* original length on the wire (>= len) */
	uint8_t link;        /* enum ct_link */

	/* [parser] L2 */
	uint8_t nvlan;
	uint16_t vlan[2];    /* VLAN TCIs, outer first */
	uint16_t l3_off;     /* offset of the IP header from data */

	/* [parser] L3 */
	uint8_t l3num;       /* 2 or 10 */
	uint8_t proto;       /* L4 protocol (IPv6: after extension headers) */
	uint8_t ttl;         /* TTL / hop limit */
	uint8_t l4_bad;      /* enum ct_l4_bad */
	uint16_t l4_off;     /* offset of the L4 header from data */
	uint32_t l3_len;     /* IPv4 total length; IPv6 40 + payload length (accounting bytes) */
	uint32_t l4_len;     /* L4 header + payload bytes, per the IP length fields */

	/* [parser] fragments */
	bool is_frag;        /* a fragment (first or not) */
	bool frag_first;     /* offset 0 */
	bool frag_more;      /* MF set */
	uint16_t frag_hdr_off; /* IPv6: offset of the fragment header; 0 if none */
	uint32_t frag_off;   /* byte offset of this fragment's data */
	uint32_t frag_id;    /* IPv4 ID or IPv6 identification */

	/*
	 * [parser] The original-direction-style tuple of this packet, filled
	 * for every protocol when the L4 header is usable.  ICMP errors carry
	 * the outer tuple here (type/code, id 0); trackers parse the quote.
	 */
	struct ct_tuple tuple;

	/* [conntrack] results */
	struct ct_conn *ct;  /* borrowed; NULL when INVALID or UNTRACKED */
	uint8_t ctinfo;      /* enum ct_info */
	uint8_t dir;         /* enum ct_dir */
	bool ct_new;         /* ct is unconfirmed and owned by this packet */

	/* [rules, before conntrack] template */
	bool notrack;
	uint8_t zone_dirs;   /* 0: default zone; 1 orig, 2 reply, 3 both */
	uint16_t zone_id;

	/* [conntrack] reason a packet was made INVALID (for logs and counters) */
	uint8_t invalid_reason;
};

/*
 * Parse a frame.  Fills every [parser] field.  Does not verify L4 checksums
 * (trackers do, where the kernel does).
 */
enum ct_parse_result ct_pkt_parse(struct ct_pkt *p, const uint8_t *data, uint32_t len,
				  enum ct_link link);
const char *ct_parse_result_name(enum ct_parse_result r);

/* Internet checksum helpers */
uint32_t ct_csum_partial(const void *buf, size_t len, uint32_t sum);
uint16_t ct_csum_fold(uint32_t sum);
/* Verify the L4 checksum of a (complete, reassembled) packet: TCP, UDP,
 * UDP-Lite, ICMP, ICMPv6.  UDP checksum 0 over IPv4 is valid.  SCTP: CRC32c. */
bool ct_pkt_l4_csum_ok(const struct ct_pkt *p);

/*
 * Defragmentation (the kernel's conntrack defrag, priority -400).
 * Bounded memory (high/low thresholds as the ipfrag/frag6 sysctls) and time.
 */
struct ct_defrag;
struct ct_defrag_config {
	uint32_t high_thresh; /* bytes; 0 = 4 MiB */
	uint32_t low_thresh;  /* bytes; 0 = 3 MiB */
	uint32_t timeout_s;   /* 0 = 30 (IPv4) */
	uint32_t timeout6_s;  /* 0 = 60 (IPv6) */
};
int ct_defrag_new(const struct ct_defrag_config *cfg, struct ct_defrag **out);
void ct_defrag_free(struct ct_defrag *d);

enum ct_defrag_result {
	CT_DEFRAG_PASS = 0,   /* not a fragment: process p as is */
	CT_DEFRAG_HELD,       /* fragment stored; nothing to process yet */
	CT_DEFRAG_COMPLETE,   /* *out is the reassembled datagram (parsed) */
	CT_DEFRAG_DROP,       /* invalid fragment (overlap, too large, no memory) */
};
/*
 * Feed a parsed packet.  On COMPLETE, *out points at a packet owned by the
 * defrag context (valid until the next ct_defrag_* call) whose data is the
 * reassembled L3 datagram (link RAW); the original fragments, in offset
 * order, can be listed with ct_defrag_fragments() until then.
 */
enum ct_defrag_result ct_defrag_feed(struct ct_defrag *d, const struct ct_pkt *p, uint64_t now,
				     struct ct_pkt **out);
/* The stored original fragments of the last COMPLETE datagram, by offset.
 * Returns the count; frames[i]/lens[i] are borrowed. */
size_t ct_defrag_fragments(const struct ct_defrag *d, const uint8_t *const **frames,
			   const uint32_t **lens);
/* Expire incomplete datagrams older than the timeout. */
void ct_defrag_expire(struct ct_defrag *d, uint64_t now);

#endif
