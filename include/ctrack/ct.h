/* SPDX-License-Identifier: MIT */
/*
 * libctrack: Linux-netfilter-compatible connection tracking in userspace.
 *
 * The library does no I/O and never reads the clock: every call that needs
 * time takes `now`, in nanoseconds on any monotonic or capture time base.
 * Errors are returned as 0 / -errno.  Pointers to connections returned by the
 * library are borrowed: valid until the next call that may delete entries
 * (ct_hook_conntrack, ct_confirm, ct_gc, ct_conn_delete, ct_table_flush).
 *
 * Threading: a struct ct_table is owned by one thread.
 */
#ifndef CTRACK_CT_H
#define CTRACK_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_table; /* opaque */
struct ct_conn;  /* opaque; see the accessors below */
struct ct_pkt;   /* ctrack/pkt.h */

#define CT_NSEC_PER_SEC 1000000000ull

enum ct_dir {
	CT_DIR_ORIGINAL = 0,
	CT_DIR_REPLY = 1,
};

/* The kernel's ip_conntrack_info values, plus INVALID (no entry attached). */
enum ct_info {
	CT_INFO_ESTABLISHED = 0,
	CT_INFO_RELATED = 1,
	CT_INFO_NEW = 2,
	CT_INFO_ESTABLISHED_REPLY = 3,
	CT_INFO_RELATED_REPLY = 4,
	CT_INFO_UNTRACKED = 7,
	CT_INFO_INVALID = 8,
};

/* nft `ct state` bits (spec §2.1). */
enum ct_state_bit {
	CT_STATE_INVALID = 1u << 0,
	CT_STATE_ESTABLISHED = 1u << 1,
	CT_STATE_RELATED = 1u << 2,
	CT_STATE_NEW = 1u << 3,
	CT_STATE_UNTRACKED = 1u << 6,
};

/* Status bits, numbered as the kernel numbers them (spec §3). */
enum ct_status {
	CT_S_EXPECTED = 1u << 0,
	CT_S_SEEN_REPLY = 1u << 1,
	CT_S_ASSURED = 1u << 2,
	CT_S_CONFIRMED = 1u << 3,
	CT_S_SRC_NAT = 1u << 4,
	CT_S_DST_NAT = 1u << 5,
	CT_S_SEQ_ADJUST = 1u << 6,
	CT_S_SRC_NAT_DONE = 1u << 7,
	CT_S_DST_NAT_DONE = 1u << 8,
	CT_S_DYING = 1u << 9,
	CT_S_FIXED_TIMEOUT = 1u << 10,
	CT_S_TEMPLATE = 1u << 11,
	CT_S_NAT_CLASH = 1u << 12,
	CT_S_HELPER = 1u << 13,
	CT_S_OFFLOAD = 1u << 14,
	CT_S_HW_OFFLOAD = 1u << 15,
};

/* Netfilter hooks (values are ours). */
enum ct_hook {
	CT_HOOK_PREROUTING = 0,
	CT_HOOK_INPUT = 1,
	CT_HOOK_FORWARD = 2,
	CT_HOOK_OUTPUT = 3,
	CT_HOOK_POSTROUTING = 4,
};

/* TCP states (spec §5.3); SCTP has its own enum below. */
enum ct_tcp_state {
	CT_TCP_NONE = 0,
	CT_TCP_SYN_SENT,
	CT_TCP_SYN_RECV,
	CT_TCP_ESTABLISHED,
	CT_TCP_FIN_WAIT,
	CT_TCP_CLOSE_WAIT,
	CT_TCP_LAST_ACK,
	CT_TCP_TIME_WAIT,
	CT_TCP_CLOSE,
	CT_TCP_SYN_SENT2,
	CT_TCP_MAX,
	CT_TCP_IGNORE,
};

enum ct_sctp_state {
	CT_SCTP_NONE = 0,
	CT_SCTP_CLOSED,
	CT_SCTP_COOKIE_WAIT,
	CT_SCTP_COOKIE_ECHOED,
	CT_SCTP_ESTABLISHED,
	CT_SCTP_SHUTDOWN_SENT,
	CT_SCTP_SHUTDOWN_RECD,
	CT_SCTP_SHUTDOWN_ACK_SENT,
	CT_SCTP_HEARTBEAT_SENT,
	CT_SCTP_MAX,
};

/*
 * One direction of a flow (spec §1.1), in a canonical form used by the API.
 * Addresses are in network byte order; IPv4 uses the first 4 bytes and the
 * rest is zero.  Ports, ICMP ids and GRE keys are in host byte order.  For
 * ICMP/ICMPv6 dst_l4 is type << 8 | code.  zone is the zone id that applies
 * to this direction.
 */
struct ct_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t src_l4;
	uint16_t dst_l4;
	uint8_t l3num; /* 2 = AF_INET, 10 = AF_INET6 */
	uint8_t proto;
	uint16_t zone;
};

enum ct_event_type {
	CT_EVENT_NEW = 1u << 0,
	CT_EVENT_UPDATE = 1u << 1,
	CT_EVENT_DESTROY = 1u << 2,
};

/*
 * Called synchronously while the entry is valid; the callback must not call
 * back into the table (it may format the entry).  `now` is the event time.
 */
typedef void (*ct_event_fn)(void *arg, enum ct_event_type type, const struct ct_conn *c,
			    uint64_t now);

/*
 * Expectation events (`conntrack -E expect`): NEW when an expectation is
 * registered, DESTROY when it is removed (matched, replaced, evicted,
 * expired, deleted, or its master died).  Same rules as ct_event_fn; the
 * expectation and its master are readable during the call.  See
 * ctrack/expect.h.
 */
struct ct_expect;
typedef void (*ct_exp_event_fn)(void *arg, enum ct_event_type type, const struct ct_expect *e,
				uint64_t now);

struct ct_table_config {
	uint32_t max;     /* nf_conntrack_max; 0 = kernel default 262144 */
	uint32_t buckets; /* nf_conntrack_buckets; 0 = derived from max */
	uint64_t seed;    /* hash seed; 0 = fixed default (deterministic) */
	ct_event_fn event_fn;
	void *event_arg;
	/* Wall-clock time of now == 0, in ns since the epoch (for timestamps). */
	uint64_t wall_offset;
	ct_exp_event_fn exp_event_fn; /* NULL: no expectation events */
	void *exp_event_arg;
	/*
	 * Fault the index and the entry pools in now, in the calling thread,
	 * instead of on first use: the resident size is that of a full table
	 * from the start, and no packet ever waits for the kernel to hand out
	 * and zero a page (the datapath's latency stays flat, and threads of a
	 * sharded table do not fault at once).  false: pages on demand.
	 */
	bool prefault;
};

/* Lifetime */
int ct_table_new(const struct ct_table_config *cfg, struct ct_table **out);
void ct_table_free(struct ct_table *t); /* accepts NULL */

/*
 * Settings, addressed by sysctl name ("net.netfilter.nf_conntrack_tcp_loose"
 * or the short "nf_conntrack_tcp_loose").  Values are decimal integers as the
 * kernel accepts them.  -ENOENT: unknown name; -EINVAL: bad value;
 * -EPERM: read-only after creation (max and buckets are set in the config).
 */
int ct_setting_set(struct ct_table *t, const char *name, const char *value);
int ct_setting_get(const struct ct_table *t, const char *name, long long *out);
/* Iterate setting names: returns NULL past the end. */
const char *ct_setting_name(size_t i);

/*
 * The conntrack hook (priority -200 at prerouting and output).  The packet
 * must have been parsed with ct_pkt_parse() and, if it was a fragment,
 * reassembled.  On return p->ct / p->ctinfo / p->dir are set.  Returns a
 * verdict: 0 accept, -EPERM drop (table full, TCP handler drop, ...).
 * A new connection is attached unconfirmed: the caller must later call
 * ct_confirm() (packet accepted at the last hook) or ct_pkt_release()
 * (packet dropped).
 */
int ct_hook_conntrack(struct ct_table *t, struct ct_pkt *p, enum ct_hook hook, uint64_t now);

/* The confirm step (postrouting / input, priority INT_MAX).  0 or -EPERM (dropped). */
int ct_confirm(struct ct_table *t, struct ct_pkt *p, uint64_t now);

/*
 * Batches.  The same as calling the per-packet functions on pkts[0..n) in
 * order, with identical results (verdicts, ctinfo, entries, events), but
 * faster on large tables: every packet's key is hashed first, then its
 * index bucket and its entry are prefetched, so that the cache misses of
 * the batch overlap instead of following one another.  verdicts (NULL: not
 * wanted) receives each packet's return value.  Any n; packets are taken
 * CT_BATCH packets at a time.
 *
 * ct_hook_conntrack_batch: ct_hook_conntrack(t, pkts[i], hook, now) for
 * each packet; the caller confirms or releases them later, as usual.
 * ct_track_batch: for each packet in turn, ct_hook_conntrack at prerouting
 * and, if accepted, ct_confirm -- a tracker with no rules between the two
 * hooks (verdicts[i]: the hook's if it dropped, else the confirm's).  Each
 * packet is confirmed before the next is looked up, so two packets of one
 * new flow in a batch behave as they do one by one.
 */
#define CT_BATCH 32
void ct_hook_conntrack_batch(struct ct_table *t, struct ct_pkt *const *pkts, size_t n,
			     enum ct_hook hook, uint64_t now, int *verdicts);
void ct_track_batch(struct ct_table *t, struct ct_pkt *const *pkts, size_t n, uint64_t now,
		    int *verdicts);

/*
 * Sharding over threads (RSS-style): a table is owned by one thread, so N
 * threads run N tables and each packet goes to table
 * ct_pkt_shard_hash(p, true) % N.  The hash is the same for both
 * directions of a flow; ICMP/ICMPv6 errors hash as the flow they quote
 * (so they are found RELATED); packets must be reassembled first.  With
 * ports = false only the address pair (and protocol) count: then the
 * connections a helper expects between the same hosts (FTP data) land in
 * the master's table too.  See docs/performance.md.
 */
uint32_t ct_pkt_shard_hash(const struct ct_pkt *p, bool ports);

/* The packet was dropped or consumed: free an unconfirmed entry it carries. */
void ct_pkt_release(struct ct_table *t, struct ct_pkt *p);

/* Templates set before conntrack (nft `ct zone set` in the raw chain, `notrack`). */
void ct_pkt_set_zone(struct ct_pkt *p, uint16_t id, unsigned dirs /* 1 orig, 2 reply, 3 both */);
void ct_pkt_set_notrack(struct ct_pkt *p);

/* Garbage collection: reap up to `budget` slots' worth of expired entries. */
size_t ct_gc(struct ct_table *t, uint64_t now, size_t budget);
/* Reap every expired entry. */
size_t ct_gc_all(struct ct_table *t, uint64_t now);

/* Iteration over confirmed, live entries (NAT_CLASH entries are skipped). */
struct ct_iter {
	uint32_t pos;
	uint32_t pool;
};
void ct_iter_init(struct ct_iter *it);
const struct ct_conn *ct_iter_next(const struct ct_table *t, struct ct_iter *it, uint64_t now);

/* Lookup by tuple (either direction).  dir_out may be NULL. */
struct ct_conn *ct_lookup(struct ct_table *t, const struct ct_tuple *tu, uint64_t now,
			  enum ct_dir *dir_out);

/*
 * Creating entries from a control plane (conntrack -I) and tests.  The
 * entry is inserted confirmed.  -EEXIST if either tuple is taken, -ENOSPC if
 * the table is full, -EINVAL for a bad spec.
 */
struct ct_conn_spec {
	struct ct_tuple orig;
	struct ct_tuple reply;    /* zeroed: inverted from orig */
	uint32_t status;          /* enum ct_status bits (CONFIRMED implied) */
	uint32_t timeout_s;
	uint32_t mark;
	uint8_t proto_state;      /* TCP / SCTP state */
	uint64_t labels[2];
	bool acct;                /* attach accounting (counters start at 0) */
	uint64_t packets[2], bytes[2];
	bool tstamp;              /* attach timestamps; start = now */
	/*
	 * SCTP only: the verification tags packets must carry in the original
	 * and reply direction (ctnetlink CTA_PROTOINFO_SCTP_VTAG_ORIGINAL/REPLY,
	 * conntrack --orig-vtag/--reply-vtag); 0 = not known yet.
	 */
	uint32_t sctp_vtag[2];
};
int ct_conn_insert(struct ct_table *t, const struct ct_conn_spec *spec, uint64_t now,
		   struct ct_conn **out);

/* Deleting entries from a control plane (conntrack -D / -F). */
void ct_conn_delete(struct ct_table *t, struct ct_conn *c, uint64_t now);
void ct_table_flush(struct ct_table *t, uint64_t now);
uint32_t ct_table_count(const struct ct_table *t);

/* Statistics of `conntrack -S`. */
struct ct_stats {
	uint64_t found, invalid, insert, insert_failed, drop, early_drop, error, search_restart,
		clash_resolve, chaintoolong;
};
void ct_table_stats(const struct ct_table *t, struct ct_stats *out);

/* Accessors */
void ct_conn_tuple(const struct ct_conn *c, enum ct_dir dir, struct ct_tuple *out);
uint32_t ct_conn_status(const struct ct_conn *c);
uint32_t ct_conn_mark(const struct ct_conn *c);
void ct_conn_set_mark(struct ct_conn *c, uint32_t mark);
uint32_t ct_conn_id(const struct ct_conn *c);
uint8_t ct_conn_l3num(const struct ct_conn *c);
uint8_t ct_conn_proto(const struct ct_conn *c);
/* TCP or SCTP state; 0 for other protocols. */
uint8_t ct_conn_proto_state(const struct ct_conn *c);
/* Remaining lifetime in ns (0 if expired). */
uint64_t ct_conn_timeout_left(const struct ct_conn *c, uint64_t now);
/* Extensions live beside the entry in the table, hence the table argument. */
/* Accounting; false if the extension is absent. */
bool ct_conn_counters(const struct ct_table *t, const struct ct_conn *c, enum ct_dir dir,
		      uint64_t *packets, uint64_t *bytes);
/* Timestamps (wall clock ns, stop 0 while alive); false if the extension is absent. */
bool ct_conn_timestamps(const struct ct_table *t, const struct ct_conn *c, uint64_t *start,
			uint64_t *stop);
/* Labels; false (and zeroes) if the entry has none. */
bool ct_conn_labels(const struct ct_table *t, const struct ct_conn *c, uint64_t out[2]);
void ct_conn_set_labels(struct ct_table *t, struct ct_conn *c, const uint64_t labels[2]);
const char *ct_conn_helper_name(const struct ct_table *t, const struct ct_conn *c); /* or NULL */
/* Zone: dirs is 0 (default zone), 1 original only, 2 reply only, 3 both. */
void ct_conn_zone(const struct ct_conn *c, uint16_t *orig_id, uint16_t *reply_id, unsigned *dirs);

/* Names */
const char *ct_tcp_state_name(uint8_t state);   /* "ESTABLISHED" */
const char *ct_sctp_state_name(uint8_t state);  /* "ESTABLISHED" */
const char *ct_proto_name(uint8_t proto);        /* "tcp", ..., "unknown" */
uint32_t ct_info_state_bit(enum ct_info ci);     /* nft ct state bit */

#endif
