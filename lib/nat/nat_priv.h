/* SPDX-License-Identifier: MIT */
/*
 * lib/nat internals: the NAT state a table carries (t->nat), shared by
 * nat_core.c (state, by-source index, PRNG), nat_tuple.c (tuple selection),
 * nat_pkt.c (packet rewriting) and nat_csum.c (checksum updates).
 */
#ifndef CTRACK_NAT_PRIV_H
#define CTRACK_NAT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_priv.h"
#include "ctrack/nat.h"

/* Per-entry NAT data, in arrays parallel to the table's pools. */
struct nat_entry_data {
	uint32_t bysrc_next; /* next entry reference in the by-source chain, 0 = end */
	uint32_t masq_oif;   /* masquerade: interface the entry left by, 0 = none */
};

/*
 * The by-source index (the kernel's nf_nat_bysource): every entry whose
 * SRC manipulation was decided, chained under the hash of its original
 * source (address, port, protocol, zone), newest first.  SNAT uses it to
 * give a source the mapping it already has (spec §10.3 step 1).
 */
struct nat_state {
	uint64_t rng;                 /* splitmix64 state, seeded from the table seed */
	uint32_t bysrc_mask;          /* heads - 1 (power of two) */
	uint32_t *bysrc;              /* chain heads: entry references, 0 = empty */
	struct nat_entry_data *ed[2]; /* [0] IPv4 pool, [1] IPv6 pool */
	struct nat_stats stats;
};

/* lib/nat/nat_core.c */
struct nat_state *nat_state_get(struct ct_table *t); /* allocates on first use; NULL: -ENOMEM */
uint16_t nat_random_u16(struct nat_state *n);
struct nat_entry_data *nat_entry(const struct ct_table *t, const struct ct_conn *c);
struct ct_conn *nat_ref_conn(const struct ct_table *t, uint32_t ref);
uint32_t nat_bysrc_hash(const struct ct_table *t, const struct ct_tuple *orig);
void nat_bysrc_add(struct ct_table *t, struct ct_conn *c);

/* lib/nat/nat_helper.c: the helpers' NAT hooks, set on the table by nat_table_init(). */
struct ct_nat_helper_ops;
extern const struct ct_nat_helper_ops nat_helper_ops;

/* lib/nat/nat_csum.c: checksums as the kernel updates them. */
/*
 * RFC 1624 eqn. 3 incremental update of the 16-bit checksum at `field`
 * for `len` bytes (even) changing from old to new.  As the kernel's
 * inet_proto_csum_replace*: the result is never 0xffff.
 */
void nat_csum_replace(uint8_t *field, const uint8_t *old, const uint8_t *new, uint32_t len);
/* CRC32c of SCTP (RFC 4960 appendix B) over a packet with its CRC field zeroed. */
uint32_t nat_sctp_crc(const uint8_t *l4, uint32_t len);

static inline uint16_t nat_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void nat_wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline uint32_t nat_alen(uint8_t l3num)
{
	return l3num == 10 ? 16 : 4;
}

#endif
