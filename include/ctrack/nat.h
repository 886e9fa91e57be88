/* SPDX-License-Identifier: MIT */
/*
 * NAT on top of connection tracking (spec §10), as Linux does it: no table
 * of its own.  The mapping chosen for a connection's first packet is written
 * into the entry's reply tuple; every later packet, in both directions, is
 * rewritten from the two tuples.
 *
 * - nat_setup() chooses the mapping of one manipulation (SRC: snat,
 *   masquerade; DST: dnat, redirect) for an UNCONFIRMED entry, exactly as
 *   the kernel's nf_nat_setup_info() does (spec §10.3).
 * - nat_packet() rewrites a packet at a NAT hook (spec §10.1, §10.5).
 * - nat_conn_matches() is conntrack -L --src-nat/--dst-nat/--any-nat (§10.7).
 *
 * Randomness (port search offsets) comes from a PRNG seeded from the
 * table's seed, so a replay is reproducible.
 *
 * Threading: as the table (one owner thread).  No I/O, no clock.
 */
#ifndef CTRACK_NAT_H
#define CTRACK_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "ct.h"

struct ct_pkt;

/* Which part of the tuple a NAT hook changes (the kernel's HOOK2MANIP). */
enum nat_manip_type {
	NAT_MANIP_SRC = 0, /* postrouting, input: snat, masquerade */
	NAT_MANIP_DST = 1, /* prerouting, output: dnat, redirect */
};

/* Range flags, numbered as the kernel's NF_NAT_RANGE_* (uapi nf_nat.h). */
enum nat_range_flag {
	NAT_RANGE_MAP_IPS = 1u << 0,            /* min_addr..max_addr given */
	NAT_RANGE_PROTO_SPECIFIED = 1u << 1,    /* min_proto..max_proto given */
	NAT_RANGE_PROTO_RANDOM = 1u << 2,       /* `random` */
	NAT_RANGE_PERSISTENT = 1u << 3,         /* `persistent` */
	NAT_RANGE_PROTO_RANDOM_FULLY = 1u << 4, /* `fully-random` */
	NAT_RANGE_PROTO_OFFSET = 1u << 5,       /* port = min + (orig - base) mod size */
	NAT_RANGE_NETMAP = 1u << 6,             /* keep the host bits (nft `prefix`) */
};

/*
 * A NAT range.  Addresses in network byte order (IPv4 in the first 4
 * bytes, the rest zero).  min_proto/max_proto/base_proto in host order: TCP,
 * UDP, UDP-Lite, SCTP ports; ICMP/ICMPv6 ids; GRE keys.
 */
struct nat_range {
	uint32_t flags; /* enum nat_range_flag */
	uint8_t min_addr[16];
	uint8_t max_addr[16];
	uint16_t min_proto;
	uint16_t max_proto;
	uint16_t base_proto;
};

/*
 * Allocate the NAT state of a table (by-source index, PRNG).  Call once
 * after ct_table_new(); nat_setup() allocates it on first use otherwise.
 * 0 or -ENOMEM.  Freed with the table.
 */
int nat_table_init(struct ct_table *t);

enum nat_manip_type nat_hook_manip(enum ct_hook hook);

/* Has the manipulation been decided (SRC_NAT_DONE / DST_NAT_DONE)? */
bool nat_initialized(const struct ct_conn *c, enum nat_manip_type m);

/*
 * Choose the mapping for an unconfirmed entry (nf_nat_setup_info): keep the
 * tuple when allowed and unique, reuse an existing SNAT mapping of the same
 * source, pick the address by hash, search the port with the kernel's
 * bounded search.  Rewrites the reply tuple, sets SRC_NAT/DST_NAT if the
 * tuple changed and SRC_NAT_DONE/DST_NAT_DONE in any case.  If the range
 * is exhausted the tuple is left non-unique: ct_confirm() drops the packet.
 * 0; -EBUSY if the entry is confirmed or the manipulation already done;
 * -ENOMEM if the NAT state could not be allocated.
 */
int nat_setup(struct ct_table *t, struct ct_conn *c, const struct nat_range *r,
	      enum nat_manip_type m, uint64_t now);

/*
 * The null binding made when no rule bound at a NAT hook: same address,
 * but the port may still move to keep the reply tuple unique (§10.2).
 */
int nat_null_binding(struct ct_table *t, struct ct_conn *c, enum ct_hook hook, uint64_t now);

/*
 * Masquerade bookkeeping: the entry was masqueraded out of ifindex.  A later
 * original-direction packet leaving by another interface kills the entry
 * (nat_oif_changed).  Call after nat_setup().
 */
void nat_set_masq_oif(struct ct_table *t, const struct ct_conn *c, uint32_t ifindex);
/* True when p (at postrouting, leaving by oif) must kill its entry and drop. */
bool nat_oif_changed(const struct ct_table *t, const struct ct_pkt *p, enum ct_hook hook,
		     uint32_t oif);

/*
 * Rewrite a packet at a NAT hook (nf_nat_packet and, for ICMP/ICMPv6 errors
 * RELATED to an entry, the error translation).  `data` is p->data made
 * writable (same bytes); p must be parsed from it.  The packet's tuple
 * (p->tuple) is updated to the rewritten addresses and ports.
 * 0, or -EPERM: drop (a header too short to rewrite, a bad ICMP error
 * checksum, an ICMP redirect about a NATed entry).
 */
int nat_packet(struct ct_table *t, struct ct_pkt *p, uint8_t *data, enum ct_hook hook);

/* Is p an ICMP/ICMPv6 error RELATED to an entry (translated, never bound)? */
bool nat_pkt_is_icmp_error(const struct ct_pkt *p);

/*
 * Fragments (spec §2.3): after the reassembled datagram `whole` was
 * rewritten, bring one of its original fragments (an IP packet of len
 * bytes at frag) in line: addresses in every fragment (IPv4 header
 * checksum updated incrementally), and the L4 header bytes the fragment
 * carries (ports, L4 checksum) copied from the rewritten datagram.
 */
void nat_fragment_sync(const uint8_t *whole, uint32_t whole_len, uint8_t *frag, uint32_t len);

/*
 * conntrack -L/-E NAT filters (conntrack-tools 1.4.7 with libnetfilter_
 * conntrack 1.0.9, spec §10.7).  `kinds` is a mask of the options given;
 * with an address (IPv4 only, as conntrack-tools compares ATTR_SNAT_IPV4)
 * and/or a port, the mapped address/port must also match.  For --any-nat
 * both addr/port apply to either kind.
 */
enum nat_filter_kind {
	NAT_FILTER_SRC = 1u << 0, /* -n / --src-nat */
	NAT_FILTER_DST = 1u << 1, /* -g / --dst-nat */
	NAT_FILTER_ANY = 1u << 2, /* -j / --any-nat */
};
struct nat_filter {
	unsigned kinds;       /* enum nat_filter_kind */
	bool src_has_addr, src_has_port;
	uint8_t src_addr[4];  /* network order */
	uint16_t src_port;    /* host order */
	bool dst_has_addr, dst_has_port;
	uint8_t dst_addr[4];
	uint16_t dst_port;
};
/* True when the entry is listed (the filter keeps it). */
bool nat_conn_matches(const struct ct_conn *c, const struct nat_filter *f);

/* Counters (for benchmarks and tests). */
struct nat_stats {
	uint64_t setups;          /* nat_setup calls that chose a tuple */
	uint64_t changed;         /* ... that changed the tuple */
	uint64_t bysource_reused; /* mapping taken from the by-source index */
	uint64_t searches;        /* port/id searches run */
	uint64_t search_tries;    /* candidates tried in all searches */
	uint64_t search_max;      /* most candidates tried by one search */
	uint64_t exhausted;       /* searches that found nothing unique */
	uint64_t evicted;         /* TIME_WAIT/CLOSE entries evicted by a SYN */
	uint64_t dropped;         /* packets nat_packet dropped */
};
void nat_get_stats(const struct ct_table *t, struct nat_stats *out);

#endif
