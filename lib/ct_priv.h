/* SPDX-License-Identifier: MIT */
/*
 * libctrack internals: the connection entry, the table, the tracker ops.
 * Not installed; only lib/ and the unit tests include it.
 *
 * Memory layout (why it looks like this):
 * - Entries live in two pools (IPv4, IPv6) preallocated from
 *   nf_conntrack_max, so the packet path never allocates.  An entry is named
 *   by a 32-bit reference: bit 31 = IPv6 pool, bits 1..30 = index + 1,
 *   bit 0 = direction (in index slots).
 * - An entry stores its original lookup key (zone included; IPv4 16 bytes,
 *   IPv6 40).  The reply key is derived from it (addresses and ports
 *   swapped, the reply zone from zone_dirs) unless it differs from that
 *   derivation -- NAT rewrote it, ICMP types invert, zones differ per
 *   direction -- in which case it is stored in the entry's slot of the
 *   pool's reply-key area (CT_CONN_RKEY), whose pages are only touched by
 *   such entries.  An IPv4 entry is 96 bytes, an IPv6 one 120.
 * - Rarely used data (accounting, timestamps, labels, master, helper) sits in
 *   a parallel extension array indexed like the pool; its pages are only
 *   touched when an entry uses them.
 * - The index is an open-addressing table of 64-byte buckets of 7 slots
 *   (32-bit hash signature + 32-bit reference), linear probing between
 *   buckets with a per-bucket overflow count so misses stop early.
 */
#ifndef CTRACK_CT_PRIV_H
#define CTRACK_CT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ctrack/ct.h"
#include "ctrack/pkt.h"

#define CT_MS (1000000ull)
#define CT_SEC (1000000000ull)

/* Lookup keys: field order is fixed, no padding (asserted). */
struct ct_key4 {
	uint32_t src; /* network order */
	uint32_t dst; /* network order */
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad; /* always 0 */
	uint16_t zone;
};
_Static_assert(sizeof(struct ct_key4) == 16, "ct_key4 has padding");

struct ct_key6 {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad; /* always 0 */
	uint16_t zone;
};
_Static_assert(sizeof(struct ct_key6) == 40, "ct_key6 has padding");

/* TCP window tracking state of one direction (spec §5.8). */
enum ct_tcp_flag {
	CT_TCPF_WINDOW_SCALE = 0x01,
	CT_TCPF_SACK_PERM = 0x02,
	CT_TCPF_CLOSE_INIT = 0x04,
	CT_TCPF_BE_LIBERAL = 0x08,
	CT_TCPF_DATA_UNACKNOWLEDGED = 0x10,
	CT_TCPF_MAXACK_SET = 0x20,
	CT_TCPF_EXP_CHALLENGE_ACK = 0x40,
	CT_TCPF_SIMULTANEOUS_OPEN = 0x80,
};

/*
 * Packed to 18 bytes (2-byte aligned) so that struct ct_tcp is 56 and an
 * IPv4 entry 96: the 32-bit fields of seen[1] are then unaligned, which
 * the compiler handles (plain loads on x86-64 and arm64).  Do not take the
 * address of a member.
 */
struct __attribute__((packed, aligned(2))) ct_tcp_dir {
	uint32_t td_end;
	uint32_t td_maxend;
	uint32_t td_maxwin;
	uint32_t td_maxack;
	uint8_t td_scale;
	uint8_t flags; /* enum ct_tcp_flag */
};
_Static_assert(sizeof(struct ct_tcp_dir) == 18, "ct_tcp_dir is 18 bytes");

struct ct_tcp {
	struct ct_tcp_dir seen[2];
	uint8_t state;      /* enum ct_tcp_state */
	uint8_t last_dir;
	uint8_t retrans;
	uint8_t last_index; /* packet class of the last packet */
	uint32_t last_seq;
	uint32_t last_ack;
	uint32_t last_end;
	uint16_t last_win;
	uint8_t last_wscale;
	uint8_t last_flags;
};
_Static_assert(sizeof(struct ct_tcp) == 56, "ct_tcp is 56 bytes");

struct ct_sctp {
	uint8_t state; /* enum ct_sctp_state */
	uint8_t last_dir;
	uint8_t flags[2];
	uint32_t vtag[2];
	uint32_t init_tsn[2];
};

struct ct_udp {
	uint64_t stream_ts; /* creation + 2 s (ns) */
};

union ct_proto_state {
	struct ct_tcp tcp;
	struct ct_sctp sctp;
	struct ct_udp udp;
};
_Static_assert(sizeof(union ct_proto_state) == 56, "protocol state is 56 bytes");

/* Pending event bits, folded into UPDATE (or NEW at confirm). */
enum ct_ev_bit {
	CT_EV_PROTOINFO = 1u << 0,
	CT_EV_STATUS = 1u << 1, /* ASSURED, SEEN_REPLY, ... */
	CT_EV_MARK = 1u << 2,
	CT_EV_LABEL = 1u << 3,
	CT_EV_HELPER = 1u << 4,
	CT_EV_SEQADJ = 1u << 5,
};

/* Which extensions an entry carries. */
enum ct_ext_bit {
	CT_EXT_ACCT = 1u << 0,
	CT_EXT_TSTAMP = 1u << 1,
	CT_EXT_LABELS = 1u << 2,
	CT_EXT_HELPER = 1u << 3,
	CT_EXT_NAT = 1u << 4,
	CT_EXT_SEQADJ = 1u << 5,
	CT_EXT_MASTER = 1u << 6, /* ct_ext_data.master is valid (EXPECTED entries) */
};

/*
 * The entry's common part (24 bytes, then the protocol state).  Ownership:
 * the table owns every entry; packets and callers hold borrowed pointers.
 * The conntrack id lives in the pool's id array (ct_conn_id_slot), read only
 * by formatting and the control plane.
 */
struct ct_conn {
	/*
	 * Confirmed: absolute expiry (ns, table time).
	 * Unconfirmed: the relative timeout to apply at confirm.
	 */
	uint64_t expires;
	uint32_t self;       /* own reference (pool bit | (index + 1) << 1) */
	uint32_t mark;
	uint16_t status;     /* enum ct_status */
	uint8_t l3num;       /* 2 or 10 */
	uint8_t proto;
	uint8_t ext;         /* enum ct_ext_bit */
	uint8_t ev_pending;  /* enum ct_ev_bit */
	uint8_t zone_dirs;   /* template zone dirs (1 orig, 2 reply, 3 both) */
	uint8_t in_use;      /* non-zero while allocated: 1 | CT_CONN_RKEY */
	union ct_proto_state ps;
};
_Static_assert(sizeof(struct ct_conn) == 80, "ct_conn is 80 bytes");

/* in_use bit: the reply key is stored in the pool's reply-key area. */
#define CT_CONN_RKEY 2u

struct ct_conn4 {
	struct ct_conn c;
	struct ct_key4 k; /* original direction */
};
_Static_assert(sizeof(struct ct_conn4) == 96, "IPv4 entry is 96 bytes");

struct ct_conn6 {
	struct ct_conn c;
	struct ct_key6 k; /* original direction */
};
_Static_assert(sizeof(struct ct_conn6) == 120, "IPv6 entry is 120 bytes");

/*
 * A pool's mapping: this header, the entries (pool->mem), then one 32-bit
 * id per entry, then one reply-key slot per entry.  The header lets an
 * entry find its slots without the table (ct_conn_tuple and ct_conn_id
 * take none).
 */
struct ct_pool_hdr {
	uint8_t *rkey;
	uint32_t *ids;
	uint8_t pad[48];
};
_Static_assert(sizeof(struct ct_pool_hdr) == 64, "pool header is one cache line");

/* Extension data, parallel to the pools. */
struct ct_ext_data {
	uint64_t packets[2];
	uint64_t bytes[2];
	uint64_t tstamp_start; /* wall ns */
	uint64_t tstamp_stop;  /* wall ns */
	uint64_t labels[2];
	uint32_t master;       /* reference of the master entry, 0 if none */
	uint8_t helper;        /* helper id, 0 if none */
	uint8_t pad[3];
	uint32_t helper_data[8]; /* per-helper private state (FTP seq memory, ...) */
	/*
	 * TCP sequence adjustment after a NAT helper changed a payload's
	 * length (CT_EXT_SEQADJ, lib/seqadj.c), per direction: segments after
	 * correction_pos are shifted by offset_after, earlier ones by
	 * offset_before.
	 */
	struct ct_seqadj_dir {
		uint32_t correction_pos;
		int32_t offset_before;
		int32_t offset_after;
	} seqadj[2];
};

/* Settings: every nf_conntrack sysctl that changes tracking (spec §12). */
struct ct_settings {
	uint32_t max;
	uint32_t buckets;
	uint32_t acct;
	uint32_t timestamp;
	uint32_t checksum;
	uint32_t events;
	uint32_t log_invalid;
	uint32_t expect_max;
	uint32_t generic_timeout;
	uint32_t icmp_timeout;
	uint32_t icmpv6_timeout;
	uint32_t udp_timeout;
	uint32_t udp_timeout_stream;
	uint32_t gre_timeout;
	uint32_t gre_timeout_stream;
	uint32_t tcp_loose;
	uint32_t tcp_be_liberal;
	uint32_t tcp_ignore_invalid_rst;
	uint32_t tcp_max_retrans;
	/* Indexed by enum ct_tcp_state for NONE..SYN_SENT2, then RETRANS, UNACK. */
	uint32_t tcp_timeouts[CT_TCP_SYN_SENT2 + 3];
	/* Indexed by enum ct_sctp_state. */
	uint32_t sctp_timeouts[CT_SCTP_MAX];
	uint32_t frag_high, frag_low, frag_time;
	uint32_t frag6_high, frag6_low, frag6_time;
	/*
	 * ctrack compatibility knob (spec §13): 1 = a RST that keeps ESTABLISHED
	 * uses the UNACK timeout (6.12 source); 0 = CLOSE timeout (6.18, default).
	 */
	uint32_t compat_rst_unack;
};

#define CT_TCP_TIMEOUT_RETRANS (CT_TCP_SYN_SENT2 + 1)
#define CT_TCP_TIMEOUT_UNACK (CT_TCP_SYN_SENT2 + 2)

void ct_settings_default(struct ct_settings *s);

/* 64-byte index bucket. */
#define CT_BUCKET_SLOTS 7
struct ct_bucket {
	uint32_t sig[CT_BUCKET_SLOTS];
	uint32_t ref[CT_BUCKET_SLOTS]; /* 0 = empty */
	uint32_t overflow; /* entries whose home is here or earlier, stored later */
	uint32_t pad;
};
_Static_assert(sizeof(struct ct_bucket) == 64, "bucket is one cache line");

struct ct_pool {
	uint8_t *mem;          /* entries of `size` bytes (after a struct ct_pool_hdr) */
	struct ct_ext_data *ext;
	uint32_t size;         /* sizeof(struct ct_conn4/6) */
	uint32_t cap;
	uint32_t used_hi;      /* slots [0, used_hi) have been touched */
	uint32_t free_head;    /* index + 1 of the first free entry, 0 = none */
};

struct ct_table {
	struct ct_settings set;
	struct ct_bucket *buckets;
	uint32_t nbuckets;
	uint32_t count;        /* allocated entries, unconfirmed included */
	struct ct_pool pool[2]; /* [0] IPv4, [1] IPv6 */
	uint64_t seed;
	uint32_t next_id;
	uint32_t gc_pos;       /* GC cursor over pool slots */
	uint8_t gc_pool;
	ct_event_fn event_fn;
	void *event_arg;
	uint64_t wall_offset;
	struct ct_stats stats;
	/* The entry attached to the packet in flight: never freed under it. */
	struct ct_conn *held;
	/*
	 * The last entry created by the hook, with the hashes of its keys and
	 * a copy of its reply key: ct_confirm links it without hashing again
	 * unless NAT changed the reply key meanwhile (lib/table.c).
	 */
	struct ct_conn *pend;
	uint64_t pend_h[2];
	uint8_t pend_rkey[sizeof(struct ct_key6)];
	/* Helpers and expectations (lib/expect.c, lib/helper.c). */
	struct ct_exp_table *exp;
	ct_exp_event_fn exp_event_fn;
	void *exp_event_arg;
	/* NAT's helper hooks (nf_nat_ftp, ...), set by lib/nat; NULL without NAT. */
	const struct ct_nat_helper_ops *nat_helper;
	/* lib/nat: by-source index, PRNG, per-entry NAT data (NULL until used). */
	struct nat_state *nat;
};

/* References */
#define CT_REF_V6 0x80000000u
static inline uint32_t ct_ref_index(uint32_t ref)
{
	return ((ref & ~CT_REF_V6) >> 1) - 1;
}

/* The header of the pool an entry lives in. */
static inline const struct ct_pool_hdr *ct_conn_pool_hdr(const struct ct_conn *c)
{
	bool v6 = (c->self & CT_REF_V6) != 0;
	size_t size = v6 ? sizeof(struct ct_conn6) : sizeof(struct ct_conn4);

	return (const struct ct_pool_hdr *)(const void *)((const uint8_t *)c -
							   ct_ref_index(c->self) * size -
							   sizeof(struct ct_pool_hdr));
}

/* The entry's reply-key slot (valid when in_use & CT_CONN_RKEY). */
static inline void *ct_conn_rkey(const struct ct_conn *c)
{
	size_t klen = (c->self & CT_REF_V6) ? sizeof(struct ct_key6) : sizeof(struct ct_key4);

	return ct_conn_pool_hdr(c)->rkey + ct_ref_index(c->self) * klen;
}

/* The entry's conntrack id. */
static inline uint32_t *ct_conn_id_slot(const struct ct_conn *c)
{
	return &ct_conn_pool_hdr(c)->ids[ct_ref_index(c->self)];
}

static inline bool ct_conn_confirmed(const struct ct_conn *c)
{
	return c->status & CT_S_CONFIRMED;
}

static inline struct ct_ext_data *ct_conn_ext(const struct ct_table *t, const struct ct_conn *c)
{
	const struct ct_pool *pl = &t->pool[c->l3num == 10];
	return &pl->ext[ct_ref_index(c->self)];
}

/* Tracker verdicts */
enum ct_verdict {
	CT_V_ACCEPT = 0,
	CT_V_INVALID,  /* detach the entry: packet is INVALID (new entry freed) */
	CT_V_DROP,     /* drop the packet */
	CT_V_REPEAT,   /* the handler killed the entry: look up again (TCP reopen) */
};

/* Result of an ICMP-family error() hook */
enum ct_err_result {
	CT_ERR_NONE = 0,   /* not an error message: continue normally */
	CT_ERR_RELATED,    /* p->ct, p->ctinfo, p->dir set (RELATED / RELATED_REPLY) */
	CT_ERR_INVALID,    /* INVALID, no entry */
	CT_ERR_UNTRACKED,  /* ND/MLD: untracked */
};

struct ct_l4proto {
	uint8_t proto;
	bool allow_clash;
	/* ICMP/ICMPv6 only (NULL otherwise): runs before the lookup. */
	enum ct_err_result (*error)(struct ct_table *t, struct ct_pkt *p, enum ct_hook hook,
				    uint64_t now);
	/* Build the reply tuple; false: not invertible (INVALID, nothing created). */
	bool (*invert)(const struct ct_tuple *orig, struct ct_tuple *reply);
	/*
	 * The packet handler.  p->ct, p->dir and p->ctinfo are set.  When
	 * p->ct_new, c is a fresh unconfirmed entry with zeroed proto state:
	 * validate that the packet may create a connection and initialise.
	 * The handler does its own sanity and checksum checks (checksums only
	 * at prerouting, when set.checksum), refreshes with ct_refresh_acct()
	 * and raises events with ct_event_mark().
	 */
	enum ct_verdict (*packet)(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				  enum ct_hook hook, uint64_t now);
	/* GC early drop of ASSURED entries (spec §7.2 step 3). NULL = never. */
	bool (*can_early_drop)(const struct ct_conn *c);
};

extern const struct ct_l4proto ct_l4proto_tcp;
extern const struct ct_l4proto ct_l4proto_udp;
extern const struct ct_l4proto ct_l4proto_udplite;
extern const struct ct_l4proto ct_l4proto_icmp;
extern const struct ct_l4proto ct_l4proto_icmpv6;
extern const struct ct_l4proto ct_l4proto_gre;
extern const struct ct_l4proto ct_l4proto_sctp;
extern const struct ct_l4proto ct_l4proto_generic;

const struct ct_l4proto *ct_l4proto_find(uint8_t proto);

/* Services the core offers the trackers (lib/table.c). */

/*
 * Refresh the timeout to now + timeout_s (unless FIXED_TIMEOUT) and count
 * the packet in accounting.  Works for unconfirmed entries (stores it
 * relative).  The kernel's nf_ct_refresh_acct.  Inline: every accepted
 * packet calls it.
 */
/* Same as ct_refresh_acct but with a timeout in ns. */
static inline void ct_set_timeout_ns(struct ct_table *t, struct ct_conn *c, uint64_t timeout_ns,
				     uint64_t now)
{
	(void)t;
	if (c->status & CT_S_FIXED_TIMEOUT)
		return;
	c->expires = ct_conn_confirmed(c) ? now + timeout_ns : timeout_ns;
}

/* Count the packet without refreshing (nf_ct_acct_update). */
static inline void ct_acct(struct ct_table *t, struct ct_conn *c, const struct ct_pkt *p)
{
	struct ct_ext_data *e;

	if (!(c->ext & CT_EXT_ACCT))
		return;
	e = ct_conn_ext(t, c);
	e->packets[p->dir]++;
	e->bytes[p->dir] += p->l3_len;
}

static inline void ct_refresh_acct(struct ct_table *t, struct ct_conn *c, const struct ct_pkt *p,
				   uint32_t timeout_s, uint64_t now)
{
	ct_set_timeout_ns(t, c, (uint64_t)timeout_s * CT_SEC, now);
	ct_acct(t, c, p);
}

/* Remaining timeout in ns (relative for unconfirmed entries). */
uint64_t ct_timeout_left_ns(const struct ct_conn *c, uint64_t now);

/*
 * Mark extension `bit` present and return the extension data (zeroed when
 * the entry gains its first extension).
 */
struct ct_ext_data *ct_ext_add(struct ct_table *t, struct ct_conn *c, uint8_t bit);

/* Delete a confirmed entry now (DESTROY event); no-op on unconfirmed. */
void ct_kill(struct ct_table *t, struct ct_conn *c, uint64_t now);

static inline void ct_event_mark(struct ct_conn *c, unsigned ev)
{
	c->ev_pending |= (uint8_t)ev;
}

static inline void ct_status_set(struct ct_conn *c, uint16_t bits)
{
	if ((c->status & bits) != bits) {
		c->status |= bits;
		c->ev_pending |= CT_EV_STATUS;
	}
}

/*
 * Find a confirmed live entry by tuple (zone in tu->zone).  Reaps expired
 * entries met on the way.  Returns a borrowed pointer or NULL.
 */
struct ct_conn *ct_find(struct ct_table *t, const struct ct_tuple *tu, uint64_t now,
			enum ct_dir *dir_out);

/*
 * NAT hooks (lib/nat, spec §10.1).  NAT rewrites the reply tuple of an
 * UNCONFIRMED entry (its keys are not linked yet): -EBUSY if confirmed.
 * The zone of the reply key is kept.
 */
int ct_conn_alter_reply(struct ct_conn *c, const struct ct_tuple *reply);
/* Called by the table for every entry it frees (lib/nat/nat_core.c). */
struct nat_state;
void nat_conn_free(struct ct_table *t, struct ct_conn *c);
void nat_state_free(struct nat_state *n);

/* Generic tuple inversion (swap addresses and l4 fields). */
void ct_tuple_invert_ports(const struct ct_tuple *orig, struct ct_tuple *reply);

#endif
