/* SPDX-License-Identifier: MIT */
/*
 * The ctrackd control protocol: how `ctrack` (the conntrack client) and
 * ctrack-nft talk to ctrackd over its Unix stream socket.
 *
 * Wire format (every integer big-endian, whatever the host):
 *
 *   header, 12 bytes:
 *     u16 magic    0x4354 ("CT")
 *     u8  version  CTL_VERSION
 *     u8  type     enum ctl_type
 *     u32 length   of the whole message, header included
 *                  (CTL_HDR_LEN .. CTL_MSG_MAX)
 *     u32 seq      chosen by the client, echoed in every reply to it
 *   then attributes, back to back, no padding:
 *     u16 type     enum ctl_attr
 *     u32 length   of the value only
 *     value        fixed size per type, or a NUL-terminated string
 *
 * A request gets zero or more ENTRY replies and then exactly one DONE or
 * ERROR with the same seq.  EVENT and LOST messages (seq 0) arrive only after
 * a SUBSCRIBE.  The decoder never trusts a length: a message that is
 * truncated, oversized, of an unknown version/type/attribute, with a
 * duplicate attribute or a value of the wrong size is refused with -errno
 * and the daemon answers ERROR (framing errors also close the connection,
 * since the stream cannot be resynchronised).
 *
 * The library does no I/O: the encoder writes into a growable buffer, the
 * decoder reads a buffer, the handler applies a request to a table.
 */
#ifndef CTRACK_CTL_H
#define CTRACK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "format.h"

#define CTL_MAGIC 0x4354u
#define CTL_VERSION 1u
#define CTL_HDR_LEN 12u
#define CTL_ATTR_HDR_LEN 6u
#define CTL_MSG_MAX (4u << 20) /* a ruleset listing can be large */
#define CTL_DEFAULT_SOCK "/run/ctrack/ctrackd.sock"

enum ctl_type {
	/* requests */
	CTL_REQ_LIST = 1,      /* TABLE, FMT, TZ, FLAGS(ZERO) -> ENTRY*, DONE */
	CTL_REQ_GET = 2,       /* ORIG or REPLY, ID?, FMT, TZ -> ENTRY, DONE */
	CTL_REQ_CREATE = 3,    /* entry attrs, FLAGS(EXCL) -> DONE */
	CTL_REQ_UPDATE = 4,    /* ORIG (+ID), new MARK/STATUS/TIMEOUT/PSTATE/LABELS -> ENTRY, DONE */
	CTL_REQ_DELETE = 5,    /* ORIG or REPLY (+ID) -> DONE */
	CTL_REQ_FLUSH = 6,     /* TABLE -> DONE */
	CTL_REQ_COUNT = 7,     /* TABLE -> DONE(VALUE) */
	CTL_REQ_STATS = 8,     /* TABLE -> STATS, DONE (expect table: expect_new,
				  expect_create, expect_delete in the first three) */
	CTL_REQ_SETTING_GET = 9,  /* NAME -> DONE(VALUE) */
	CTL_REQ_SETTING_SET = 10, /* NAME, TEXT -> DONE */
	CTL_REQ_RULESET_APPLY = 11, /* TEXT, NAME?, FLAGS(CHECK) -> DONE or ERROR(TEXT) */
	CTL_REQ_RULESET_LIST = 12,  /* FLAGS(list flags), TEXT? (an nft list command;
				       default `list ruleset`) -> DONE(TEXT) or ERROR(TEXT) */
	CTL_REQ_SUBSCRIBE = 13, /* TABLE, EVMASK, FMT, TZ -> DONE, then EVENT/LOST */
	CTL_REQ_MAX_,
	/* replies */
	CTL_REP_DONE = 64,  /* VALUE?, TEXT? */
	CTL_REP_ERROR = 65, /* ERRNO, TEXT? */
	CTL_REP_ENTRY = 66, /* entry attrs + TEXT (the formatted line) */
	CTL_REP_EVENT = 67, /* EVENT, PORTID?, PROGNAME?, entry attrs + TEXT */
	CTL_REP_LOST = 68,  /* VALUE: events dropped since the last message */
	CTL_REP_STATS = 69, /* STATS */
	CTL_REP_MAX_,
};

enum ctl_attr {
	CTL_A_UNSPEC = 0,
	CTL_A_TABLE,    /* u8 enum ctl_table */
	CTL_A_FLAGS,    /* u32 enum ctl_flag */
	CTL_A_FMT,      /* u32 enum ct_fmt_flag */
	CTL_A_TZ,       /* u32: two's complement local time offset in seconds */
	CTL_A_ORIG,     /* tuple, CTL_TUPLE_LEN bytes (layout below) */
	CTL_A_REPLY,    /* tuple */
	CTL_A_STATUS,   /* u32 enum ct_status */
	CTL_A_MARK,     /* u32 */
	CTL_A_TIMEOUT,  /* u32 seconds */
	CTL_A_ID,       /* u32 */
	CTL_A_PSTATE,   /* u8 TCP/SCTP state */
	CTL_A_LABELS,   /* 2 x u64 */
	CTL_A_COUNTERS, /* 4 x u64: packets orig, bytes orig, packets reply, bytes reply */
	CTL_A_TSTAMP,   /* 2 x u64 wall ns: start, stop */
	CTL_A_TEXT,     /* string */
	CTL_A_ERRNO,    /* u32 positive errno */
	CTL_A_VALUE,    /* u64 */
	CTL_A_NAME,     /* string */
	CTL_A_EVENT,    /* u32 enum ct_event_type */
	CTL_A_EVMASK,   /* u32 enum ct_event_type bits */
	CTL_A_STATS,    /* 10 x u64, struct ct_stats order */
	CTL_A_PORTID,   /* u32 */
	CTL_A_PROGNAME, /* string */
	CTL_A_SECMARK,  /* u32 */
	CTL_A_PEER_ZONE, /* u32: CREATE, zone of the direction not given as a tuple */
	CTL_A_VTAGS,    /* 2 x u32: SCTP verification tags, original then reply */
	CTL_A_SNAT,     /* CREATE: source NAT, CTL_NAT_LEN bytes (layout below) */
	CTL_A_DNAT,     /* CREATE: destination NAT */
	CTL_A_EXP_TUPLE, /* tuple: the expected tuple (expect table) */
	CTL_A_EXP_MASK,  /* tuple: its mask (src, src_l4 significant) */
	CTL_A_MAX_,
};

enum ctl_table {
	CTL_T_CONNTRACK = 0,
	CTL_T_EXPECT = 1,
	CTL_T_DYING = 2,
	CTL_T_UNCONFIRMED = 3,
};

enum ctl_flag {
	CTL_F_EXCL = 1u << 0,  /* CREATE: EEXIST if present (conntrack -I) */
	CTL_F_ZERO = 1u << 1,  /* LIST: zero counters after reporting (-z) */
	CTL_F_CHECK = 1u << 2, /* RULESET_APPLY: check only (nft -c) */
};

/* Tuple attribute: u8 l3num, u8 proto, u16 zone, 16 src, 16 dst, u16 sport, u16 dport. */
#define CTL_TUPLE_LEN 40u

/* NAT attribute: 16 address (IPv4 in the first 4), u16 port, u8 port given (0/1), u8 0. */
#define CTL_NAT_LEN 20u
struct ctl_nat {
	uint8_t addr[16];
	uint16_t port;
	bool port_set;
};

/* A decoded message.  Strings point into the decoded buffer (borrowed). */
struct ctl_msg {
	uint8_t type;    /* enum ctl_type */
	uint32_t seq;
	uint32_t have;   /* bit (1 << enum ctl_attr) per attribute present */
	uint8_t table;
	uint32_t flags;
	uint32_t fmt;
	int32_t tz;
	struct ct_tuple orig, reply;
	uint32_t status, mark, timeout, id, secmark;
	uint8_t pstate;
	uint64_t labels[2];
	uint64_t counters[4];
	uint64_t tstamp[2];
	const char *text;
	size_t text_len;
	uint32_t err;
	uint64_t value;
	const char *name;
	uint32_t event, evmask;
	struct ct_stats stats;
	uint32_t portid;
	const char *progname;
	uint32_t peer_zone;
	uint32_t vtags[2];
	struct ctl_nat snat, dnat;
	struct ct_tuple exp_tuple, exp_mask;
};

static inline bool ctl_has(const struct ctl_msg *m, enum ctl_attr a)
{
	return (m->have >> a) & 1u;
}

/*
 * Framing: given the bytes received so far, the length of the first message.
 * 0 and *msg_len; -EAGAIN: fewer than CTL_HDR_LEN bytes; -EBADMSG: bad magic
 * or length; -EPROTONOSUPPORT: other version.
 */
int ctl_frame(const uint8_t *buf, size_t len, uint32_t *msg_len);

/* Decode one whole message (exactly `len` bytes).  0 or -errno; *m is undefined on error. */
int ctl_decode(const uint8_t *buf, size_t len, struct ctl_msg *m);

/* Encoder: a growable buffer holding one or more messages (owner: caller). */
struct ctl_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t msg_start; /* where the message being built starts */
	bool failed;      /* allocation failed or a message got too large */
};
void ctl_buf_init(struct ctl_buf *b);
void ctl_buf_free(struct ctl_buf *b); /* leaves it empty and reusable */
void ctl_buf_reset(struct ctl_buf *b);
void ctl_msg_begin(struct ctl_buf *b, enum ctl_type type, uint32_t seq);
void ctl_put_u8(struct ctl_buf *b, enum ctl_attr a, uint8_t v);
void ctl_put_u32(struct ctl_buf *b, enum ctl_attr a, uint32_t v);
void ctl_put_u64(struct ctl_buf *b, enum ctl_attr a, uint64_t v);
void ctl_put_u64s(struct ctl_buf *b, enum ctl_attr a, const uint64_t *v, size_t n);
void ctl_put_u32s(struct ctl_buf *b, enum ctl_attr a, const uint32_t *v, size_t n);
void ctl_put_str(struct ctl_buf *b, enum ctl_attr a, const char *s);
void ctl_put_tuple(struct ctl_buf *b, enum ctl_attr a, const struct ct_tuple *tu);
void ctl_put_nat(struct ctl_buf *b, enum ctl_attr a, const struct ctl_nat *n);
/* Ends the message (writes its length).  0, or -ENOMEM / -EMSGSIZE (message dropped). */
int ctl_msg_end(struct ctl_buf *b);

/* An expectation as an ENTRY or EVENT: master, expected tuple, mask, timeout, id, TEXT. */
struct ct_expect;
int ctl_put_expect(struct ctl_buf *b, enum ctl_type type, uint32_t seq, const struct ct_table *t,
		   const struct ct_expect *e, const struct ct_fmt_opts *o);

/* Convenience: a whole ERROR / DONE reply. */
int ctl_put_error(struct ctl_buf *b, uint32_t seq, int err /* positive */, const char *text);
int ctl_put_done(struct ctl_buf *b, uint32_t seq);

/*
 * An entry as an ENTRY or EVENT message: every attribute of the entry plus
 * its line formatted with ct_format_conn(o).  For EVENT, o->event is the
 * event and portid/progname name the client that caused it (0/NULL: the
 * datapath, a "kernel" event).
 */
int ctl_put_conn(struct ctl_buf *b, enum ctl_type type, uint32_t seq, const struct ct_table *t,
		 const struct ct_conn *c, const struct ct_fmt_opts *o, uint32_t portid,
		 const char *progname);

/*
 * Server side: what a request applies to.  Events the table raises while a
 * request runs are the requester's ("userspace" events): the daemon knows
 * who is being served, the library does not need to.
 */
struct nft_ruleset;
struct ctl_server {
	struct ct_table *t;
	struct nft_ruleset *rs; /* may be NULL: ruleset requests get -EOPNOTSUPP */
	uint64_t now;           /* table time (ns) */
	uint64_t wall_now;      /* wall clock (ns) */
};

/*
 * Apply a decoded request and append the replies (ENTRY..., then DONE or
 * ERROR) to `out`.  SUBSCRIBE is per-connection state and is handled by the
 * daemon, not here (ERROR EOPNOTSUPP).  Never fails for a bad request: the
 * error goes into the reply.  Returns 0, or -ENOMEM when `out` failed.
 */
int ctl_handle(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out);

/* Names for logs. */
const char *ctl_type_name(uint8_t type);

#endif
