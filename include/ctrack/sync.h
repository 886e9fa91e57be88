/* SPDX-License-Identifier: MIT */
/*
 * State replication speaking conntrackd 1.4.7's protocol (docs/sync.md,
 * shared/spec/conntrackd-sync.md).
 *
 * Two layers, both without I/O:
 * - the wire (lib/sync/wire.c): the 8-byte header, the 16-byte ACK/NACK/
 *   RESYNC header and the conntrack / expectation attribute lists, encoded
 *   and decoded byte-exactly as conntrackd does.  The decoder trusts no
 *   length; every rejection carries a reason (enum sync_drop) the caller
 *   counts.  Nothing it rejects is handed on.
 * - the replication state machine (lib/sync/ftfw.c): FT-FW, NOTRACK and
 *   ALARM.  Time comes in as `now` (ns); messages to send go out through a
 *   callback; nothing reads a clock or touches a socket.
 * - conversion (lib/sync/conv.c): a table entry to a message and a message
 *   to a ct_conn_spec (the reply tuple rebuilt from NAT attributes).
 *
 * Byte order: every header field and every attribute in network byte order,
 * with one exception inherited from conntrackd on little-endian hosts (all
 * of the hosts it runs on in practice: x86, arm64): SPAT_PORT, DPAT_PORT and
 * ICMP_ID are sent byte-swapped (conntrackd htons()es a value that is
 * already in network order).  We reproduce what the wire carries, whatever
 * our host's order, so the fields are documented as "le16" below.
 */
#ifndef CTRACK_SYNC_H
#define CTRACK_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ct.h"

#define SYNC_PROTO_VERSION 1u
#define SYNC_HDR_LEN	   8u
#define SYNC_ACK_HDR_LEN   16u
#define SYNC_ATTR_HDR_LEN  4u
/* Largest message we build or accept (conntrackd builds into 4096 bytes). */
#define SYNC_MSG_MAX 4096u

/* Header byte 0, low nibble: the message type (conntrackd's enum nethdr_type). */
enum sync_type {
	SYNC_T_CT_NEW = 0,
	SYNC_T_CT_UPD = 1,
	SYNC_T_CT_DEL = 2,
	SYNC_T_EXP_NEW = 3,
	SYNC_T_EXP_UPD = 4,
	SYNC_T_EXP_DEL = 5,
	SYNC_T_STATE_MAX = 5,
	SYNC_T_CTL = 10,
};

enum sync_flag {
	SYNC_F_UNUSED = 1u << 0,
	SYNC_F_RESYNC = 1u << 1,
	SYNC_F_NACK = 1u << 2,
	SYNC_F_ACK = 1u << 3,
	SYNC_F_ALIVE = 1u << 4,
	SYNC_F_HELLO = 1u << 5,
	SYNC_F_HELLO_BACK = 1u << 6,
};

/* Conntrack attributes (conntrackd's enum nta_attr); payload byte order in brackets. */
enum sync_attr {
	SYNC_A_IPV4 = 0,	     /* src, dst [raw, network order] */
	SYNC_A_IPV6 = 1,	     /* src, dst [raw] */
	SYNC_A_L4PROTO = 2,	     /* u8 */
	SYNC_A_PORT = 3,	     /* sport, dport [be16] */
	SYNC_A_TCP_STATE = 4,	     /* u8 */
	SYNC_A_STATUS = 5,	     /* be32 */
	SYNC_A_TIMEOUT = 6,	     /* be32 seconds */
	SYNC_A_MARK = 7,	     /* be32 */
	SYNC_A_MASTER_IPV4 = 8,	     /* as IPV4 */
	SYNC_A_MASTER_IPV6 = 9,	     /* as IPV6 */
	SYNC_A_MASTER_L4PROTO = 10,  /* u8 */
	SYNC_A_MASTER_PORT = 11,     /* as PORT */
	SYNC_A_SNAT_IPV4 = 12,	     /* raw address */
	SYNC_A_DNAT_IPV4 = 13,	     /* raw address */
	SYNC_A_SPAT_PORT = 14,	     /* le16 (see above) */
	SYNC_A_DPAT_PORT = 15,	     /* le16 */
	SYNC_A_NAT_SEQ_ADJ = 16,     /* 6 x be32 */
	SYNC_A_SCTP_STATE = 17,	     /* u8 */
	SYNC_A_SCTP_VTAG_ORIG = 18,  /* be32 */
	SYNC_A_SCTP_VTAG_REPL = 19,  /* be32 */
	SYNC_A_DCCP_STATE = 20,	     /* u8 */
	SYNC_A_DCCP_ROLE = 21,	     /* u8 */
	SYNC_A_ICMP_TYPE = 22,	     /* u8 */
	SYNC_A_ICMP_CODE = 23,	     /* u8 */
	SYNC_A_ICMP_ID = 24,	     /* le16 */
	SYNC_A_TCP_WSCALE_ORIG = 25, /* u8 */
	SYNC_A_TCP_WSCALE_REPL = 26, /* u8 */
	SYNC_A_HELPER_NAME = 27,     /* NUL-terminated, nta_len <= 16 */
	SYNC_A_LABELS = 28,	     /* be32 words, nta_len <= 1028 */
	SYNC_A_SNAT_IPV6 = 29,	     /* raw */
	SYNC_A_DNAT_IPV6 = 30,	     /* raw */
	SYNC_A_SYNPROXY = 31,	     /* 3 x be32 */
	SYNC_A_ZONE = 32,	     /* be16 */
	SYNC_A_MAX_,
};

/* Expectation attributes (conntrackd's enum nta_exp_attr). */
enum sync_exp_attr {
	SYNC_EA_MASTER_IPV4 = 0,
	SYNC_EA_MASTER_IPV6,
	SYNC_EA_MASTER_L4PROTO,
	SYNC_EA_MASTER_PORT,
	SYNC_EA_EXPECT_IPV4 = 4,
	SYNC_EA_EXPECT_IPV6,
	SYNC_EA_EXPECT_L4PROTO,
	SYNC_EA_EXPECT_PORT,
	SYNC_EA_MASK_IPV4 = 8,
	SYNC_EA_MASK_IPV6,
	SYNC_EA_MASK_L4PROTO,
	SYNC_EA_MASK_PORT,
	SYNC_EA_TIMEOUT = 12, /* be32 */
	SYNC_EA_FLAGS,	      /* be32 */
	SYNC_EA_CLASS,	      /* be32 */
	SYNC_EA_NAT_IPV4,     /* src, dst */
	SYNC_EA_NAT_PORT,     /* sport, dport */
	SYNC_EA_NAT_L4PROTO,  /* u8 */
	SYNC_EA_NAT_DIR,      /* be32 */
	SYNC_EA_HELPER_NAME,  /* string, nta_len <= 16 */
	SYNC_EA_FN,	      /* string, nta_len <= 32 */
	SYNC_EA_MAX_,
};

/* Why the decoder refused a message (one counter each, sync_stats.drop[]). */
enum sync_drop {
	SYNC_DROP_SHORT = 0, /* fewer bytes than a header, or than its len */
	SYNC_DROP_VERSION,   /* version != 1 */
	SYNC_DROP_LEN,	     /* len < 8, < 16 for ACK/NACK/RESYNC, > SYNC_MSG_MAX */
	SYNC_DROP_TYPE,	     /* type neither 0..5 nor 10 */
	SYNC_DROP_FLAGS,     /* data with flags other than HELLO/HELLO_BACK, CTL with none */
	SYNC_DROP_RANGE,     /* ACK/NACK with to before from */
	SYNC_DROP_ATTR,	     /* attribute length/size/type/padding violation */
	SYNC_DROP_SEMANTIC,  /* attributes decode but do not make an entry */
	SYNC_DROP_AUTH,	     /* authentication failed or peer not configured */
	SYNC_DROP_MAX_,
};

/* A decoded header.  from/to only for ACK, NACK and RESYNC. */
struct sync_hdr {
	uint8_t version;
	uint8_t type;  /* enum sync_type */
	uint8_t flags; /* enum sync_flag */
	uint16_t len;  /* whole message */
	uint32_t seq;
	uint32_t from, to;
};

/* True for a message carrying a state (conntrackd's IS_DATA). */
static inline bool sync_hdr_is_data(const struct sync_hdr *h)
{
	return h->type <= SYNC_T_STATE_MAX &&
	       (h->flags & ~(unsigned)(SYNC_F_HELLO | SYNC_F_HELLO_BACK)) == 0;
}

/* True when the header carries from/to (16 bytes). */
static inline bool sync_hdr_is_ack_type(const struct sync_hdr *h)
{
	return h->type == SYNC_T_CTL &&
	       (h->flags & (SYNC_F_ACK | SYNC_F_NACK | SYNC_F_RESYNC)) != 0;
}

/* One direction's addresses and ports as carried by IPV4/IPV6 + PORT. */
struct sync_addr {
	uint8_t l3num;	 /* 2 AF_INET, 10 AF_INET6, 0 absent */
	uint8_t src[16]; /* network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint8_t l4proto;
	uint16_t sport, dport; /* host order */
};

/*
 * A conntrack message's content.  `have` has bit (1 << enum sync_attr) for
 * every attribute present; the encoder writes exactly those, in
 * conntrackd's order, so decode + encode reproduces a message.
 */
struct sync_ct {
	uint64_t have;
	struct sync_addr orig; /* IPV4/IPV6, L4PROTO, PORT */
	uint8_t tcp_state;
	uint32_t status, timeout, mark;
	struct sync_addr master;	      /* MASTER_* */
	uint8_t snat_addr[16], dnat_addr[16]; /* IPv4: first 4 bytes */
	uint16_t spat_port, dpat_port;	      /* host order */
	uint32_t nat_seq_adj[6];
	uint8_t sctp_state;
	uint32_t sctp_vtag_orig, sctp_vtag_repl;
	uint8_t dccp_state, dccp_role;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id; /* host order */
	uint8_t wscale_orig, wscale_repl;
	char helper[16];      /* NUL-terminated */
	uint32_t labels[4];   /* label bit n = labels[n / 32] bit n % 32 */
	uint8_t nlabel_words; /* words sent (conntrackd: maxbit / 32 + 1) */
	uint32_t synproxy[3]; /* as on the wire: its, isn, tsoff */
	uint16_t zone;
};

static inline bool sync_ct_has(const struct sync_ct *c, enum sync_attr a)
{
	return (c->have >> a) & 1u;
}

/* An expectation message's content (wire level only). */
struct sync_exp {
	uint32_t have; /* bit per enum sync_exp_attr */
	struct sync_addr master, expect, mask, nat;
	uint32_t timeout, flags, class_, nat_dir;
	char helper[16];
	char fn[32];
};

/*
 * Framing: the length of the first message of a datagram (several are
 * packed back to back).  0 and *msg_len, or -EBADMSG with *why set.
 */
int sync_frame(const uint8_t *buf, size_t len, uint16_t *msg_len, enum sync_drop *why);

/* Decode a header (buf holds exactly the message, len bytes).  0 or -EBADMSG + *why. */
int sync_hdr_decode(const uint8_t *buf, size_t len, struct sync_hdr *h, enum sync_drop *why);

/* Decode a whole conntrack (types 0..2) message.  0 or -EBADMSG + *why. */
int sync_ct_decode(const uint8_t *buf, size_t len, struct sync_ct *ct, enum sync_drop *why);

/* Decode a whole expectation (types 3..5) message.  0 or -EBADMSG + *why. */
int sync_exp_decode(const uint8_t *buf, size_t len, struct sync_exp *e, enum sync_drop *why);

/*
 * Encoders: write one message at buf (cap bytes).  Return its length, or
 * -EMSGSIZE when it does not fit.  The attributes are those in ->have.
 */
int sync_ct_encode(const struct sync_ct *ct, enum sync_type type, uint8_t flags, uint32_t seq,
		   uint8_t *buf, size_t cap);
int sync_exp_encode(const struct sync_exp *e, enum sync_type type, uint8_t flags, uint32_t seq,
		    uint8_t *buf, size_t cap);
/* A control message: 16 bytes with from/to for ACK/NACK/RESYNC, else 8. */
int sync_ctl_encode(uint8_t flags, uint32_t seq, uint32_t from, uint32_t to, uint8_t *buf,
		    size_t cap);

/* Wraparound-safe sequence comparison (as TCP's before()/after()). */
static inline bool sync_seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool sync_seq_after(uint32_t a, uint32_t b)
{
	return sync_seq_before(b, a);
}

/* ---- conversion between table entries and messages (lib/sync/conv.c) ---- */

struct ct_table;
/*
 * A table entry as conntrackd's ct2msg would describe it: original tuple,
 * status, protocol state, timeout (unless commit_timeout), mark (always: a
 * mark reset to 0 must replicate), NAT attributes when NAT applies, labels
 * when any bit is set, zone when not 0.  0 or -EAFNOSUPPORT.
 */
int sync_ct_from_conn(const struct ct_table *t, const struct ct_conn *c, uint64_t now,
		      bool with_timeout, struct sync_ct *out);

/*
 * The entry a message describes, ready for ct_conn_insert(): the reply
 * tuple is the inverted original with the NAT attributes applied, as the
 * kernel's ctnetlink builds it on a conntrackd commit.  0, or -EINVAL when
 * the message lacks what an entry needs (addresses, protocol, ports).
 * default_timeout_s is used when the message has no TIMEOUT.
 */
int sync_ct_to_spec(const struct sync_ct *s, uint32_t default_timeout_s, struct ct_conn_spec *spec);

/* The original tuple a message names (for lookups and DESTROY). */
int sync_ct_orig_tuple(const struct sync_ct *s, struct ct_tuple *out);

const char *sync_drop_name(enum sync_drop why);

/* ---- the replication state machine (lib/sync/ftfw.c) ---- */

enum sync_mode {
	SYNC_MODE_FTFW = 0, /* reliable: sequence numbers, ACK windows, NACK + resend */
	SYNC_MODE_NOTRACK,  /* best effort; sequence tracked for statistics only */
	SYNC_MODE_ALARM,    /* periodic refresh of every entry; flagged messages ignored */
};

struct sync_config {
	enum sync_mode mode;
	uint32_t resend_queue_size; /* FT-FW ResendQueueSize; 0 = 131072 */
	uint32_t tx_queue_size;	    /* messages waiting for the next flush; 0 = 65536 */
	uint32_t ack_window;	    /* FT-FW ACKWindowSize; 0 = 300 */
	uint32_t alive_ms;	    /* ALIVE interval; 0 = 1000 */
	uint32_t refresh_s;	    /* ALARM RefreshTime; 0 = 60 */
	uint32_t seq_start;	    /* first sequence number (conntrackd: time(NULL)) */
	uint32_t batch_bytes;	    /* datagram payload: interface MTU - 28; 0 = 1472 */
	uint64_t seed;		    /* ALARM jitter */
};

/*
 * What the state machine needs from its owner.  Called synchronously from
 * sync_node_input / sync_node_flush / sync_node_tick; the callbacks must not
 * call back into the node except sync_node_send_ct (the resync callback
 * queues the whole internal cache).
 */
struct sync_ops {
	/* A datagram to transmit (one or more messages).  Borrowed for the call. */
	void (*xmit)(void *arg, const uint8_t *buf, size_t len);
	/* A valid conntrack message from the peer. */
	void (*ct)(void *arg, enum sync_type type, const struct sync_ct *c);
	/* A valid expectation message (may be NULL). */
	void (*exp)(void *arg, enum sync_type type, const struct sync_exp *e);
	/* The peer asked for our whole internal cache (RESYNC). */
	void (*resync)(void *arg);
	void *arg;
};

struct sync_stats {
	uint64_t msg_sent, msg_rcv, bytes_sent, bytes_rcv, dgram_sent, dgram_rcv;
	uint64_t drop[SYNC_DROP_MAX_]; /* malformed messages by reason */
	uint64_t lost;		       /* sequence numbers skipped (gaps seen) */
	uint64_t before;	       /* old/replayed messages dropped */
	uint64_t acks_sent, nacks_sent, acks_rcv, nacks_rcv;
	uint64_t resent;      /* messages re-sent after a NACK */
	uint64_t superseded;  /* NACKed states not re-sent: a newer one was queued */
	uint64_t rs_purged;   /* resend queue full: oldest entry dropped */
	uint64_t tx_overflow; /* queue full: message not queued */
	uint64_t resync_rcv;  /* RESYNC requests honoured */
	uint64_t hello_rcv;
	uint32_t rs_len, tx_len;
};

struct sync_node; /* opaque; one per replication link, owned by one thread */

/* 0, -EINVAL (bad config) or -ENOMEM.  Queues are allocated here, once. */
int sync_node_new(const struct sync_config *cfg, const struct sync_ops *ops,
		  struct sync_node **out);
void sync_node_free(struct sync_node *n); /* accepts NULL */

/* Queue a local state for the peer (sent at the next flush).  0 or -ENOBUFS. */
int sync_node_send_ct(struct sync_node *n, enum sync_type type, const struct sync_ct *c);
/* Queue a RESYNC request (conntrackd -n; FT-FW and NOTRACK). 0, -ENOBUFS, -EOPNOTSUPP. */
int sync_node_request_resync(struct sync_node *n);

/* One received datagram: frame, validate, run the mode, deliver. */
void sync_node_input(struct sync_node *n, const uint8_t *buf, size_t len, uint64_t now);
/* Transmit everything queued (batched into datagrams); re-arms the alive timer. */
void sync_node_flush(struct sync_node *n, uint64_t now);
/* Timers: ALIVE / pending ACK (FT-FW).  Call when now >= sync_node_deadline(). */
void sync_node_tick(struct sync_node *n, uint64_t now);
uint64_t sync_node_deadline(const struct sync_node *n);

/* ALARM: when an entry refreshed at `now` is next due (1..RefreshTime s + jitter). */
uint64_t sync_node_alarm_next(struct sync_node *n, uint64_t now);

/* Clear the resend queue (HELLO from a restarted peer, or -f). */
void sync_node_rs_clear(struct sync_node *n);
void sync_node_stats(const struct sync_node *n, struct sync_stats *out);

/* ---- the external cache and the replication filters (lib/sync/cache.c) ---- */

struct sync_cache; /* opaque: states replicated to us, keyed by original tuple */

struct sync_cache_stats {
	uint64_t active, created, updated, destroyed, expired, full;
};

/* A cache of at most max entries (0: conntrackd's HashLimit 131072).  0 or -ENOMEM. */
int sync_cache_new(uint32_t max, struct sync_cache **out);
void sync_cache_free(struct sync_cache *c); /* accepts NULL */
/* Insert or replace.  0, -EINVAL (no tuple), -ENOSPC (full, counted). */
int sync_cache_update(struct sync_cache *c, const struct sync_ct *s, uint64_t now);
/* 0 or -ENOENT. */
int sync_cache_delete(struct sync_cache *c, const struct sync_ct *s);
void sync_cache_flush(struct sync_cache *c);
/* ALARM's CacheTimeout: drop entries not refreshed for max_age ns.  Returns how many. */
size_t sync_cache_expire(struct sync_cache *c, uint64_t now, uint64_t max_age);
/* Iterate: *pos = 0 first; NULL at the end.  Pointers borrowed until the next change. */
const struct sync_ct *sync_cache_next(const struct sync_cache *c, uint32_t *pos);
uint32_t sync_cache_count(const struct sync_cache *c);
void sync_cache_stats(const struct sync_cache *c, struct sync_cache_stats *out);

/* conntrackd's Filter { Protocol, Address, State } (Accept or Ignore each). */
struct sync_filter_net {
	uint8_t l3num;
	uint8_t addr[16];
	uint8_t plen;
};
struct sync_filter {
	bool proto_set, proto_accept;
	uint64_t protos[4]; /* bit per IP protocol number */
	size_t nnets;
	bool net_accept;
	struct sync_filter_net nets[32];
	uint32_t tcp_states; /* bit per enum ct_tcp_state; 0 = no state filter */
	bool state_accept;
};
/* Is a local entry replicated?  o/r: its tuples; proto_state: its TCP state. */
bool sync_filter_pass(const struct sync_filter *f, const struct ct_tuple *o,
		      const struct ct_tuple *r, uint8_t proto_state);

/* ---- channels (lib/sync/udp.c: the only sync file doing I/O, sockets only) ---- */

struct sync_chan_cfg {
	bool mcast;	    /* Multicast { } rather than UDP { } */
	uint8_t local[4];   /* IPv4_address (UDP) / IPv4_interface (Multicast) */
	uint8_t peer[4];    /* IPv4_Destination_Address (UDP) / IPv4_address group */
	uint16_t port;	    /* Port / Group; default 3780 */
	char iface[16];	    /* Interface: link state for failover, SO_BINDTODEVICE */
	bool checksum;	    /* Checksum on (default): SO_NO_CHECK cleared */
	int sndbuf, rcvbuf; /* SndSocketBuffer / RcvSocketBuffer (0: system default) */
	bool is_default;    /* the channel used first */
};

/* A bound, non-blocking socket, or -errno. */
int sync_chan_open(const struct sync_chan_cfg *c);
int sync_chan_send(int fd, const struct sync_chan_cfg *c, const uint8_t *buf, size_t len);
ssize_t sync_chan_recv(int fd, uint8_t *buf, size_t cap, uint8_t from_addr[4]);
/* Is the channel's interface up and running (no interface: true)? */
bool sync_chan_link_up(const struct sync_chan_cfg *c);
/* The interface's MTU, or 0 when unknown (no interface). */
int sync_chan_mtu(const struct sync_chan_cfg *c);

/* ---- the daemon's sync service (lib/sync/service.c) ---- */

/*
 * Everything ctrackd needs to run replication: options, channels with
 * failover, the state machine, the external cache, the filters, table
 * events in, commits out, and the control socket ctrack-sync talks to
 * (one text command per connection, text reply, then close).  The table
 * is the internal cache (conntrackd's DisableInternalCache): bulk sends,
 * resyncs and -i dumps read it through the filters.
 */
struct sync_service;
struct pollfd;

int sync_service_new(struct ct_table *t, struct sync_service **out);
void sync_service_free(struct sync_service *s); /* accepts NULL; closes its sockets */
/*
 * One option, as ctrackd's -Y takes it (docs/sync.md): "mode=ftfw",
 * "udp=LOCAL,PEER[,port=N][,iface=IF][,checksum=off][,sndbuf=N][,rcvbuf=N][,default]",
 * "mcast=GROUP,LOCAL[,...same]", "filter-proto=accept|ignore:tcp,udp,...",
 * "filter-addr=accept|ignore:A[/P],...", "filter-state=accept|ignore:ESTABLISHED,...",
 * "control=PATH", "disable-external-cache", "commit-timeout=S",
 * "resend-queue=N", "ack-window=N", "refresh=S", "cache-timeout=S",
 * "hashlimit=N", "key=HEX" (authentication, off by default).
 * 0 or -EINVAL.  Before sync_service_start() only.
 */
int sync_service_option(struct sync_service *s, const char *opt);
/* Open the channels and the control socket.  0 or -errno (err_text says what). */
int sync_service_start(struct sync_service *s, uint64_t now, char *err_text, size_t err_len);
/* Append the fds to poll; returns how many were added (at most max). */
size_t sync_service_pollfds(const struct sync_service *s, struct pollfd *pfd, size_t max);
/* Handle the polled fds (the same array slice), timers, and flush. */
void sync_service_run(struct sync_service *s, const struct pollfd *pfd, size_t n, uint64_t now);
/* A table event (from ctrackd's event callback). */
void sync_service_event(struct sync_service *s, enum ct_event_type type, const struct ct_conn *c,
			uint64_t now);
/* Milliseconds until the service needs sync_service_run() again (for poll). */
int sync_service_timeout_ms(const struct sync_service *s, uint64_t now);

/*
 * Failover roles (docs/sync.md "Failover").  ctrackd registers the hook
 * that switches its datapath between standby (no forwarding, no ARP/ND
 * answers for its addresses) and active.  The control command "takeover"
 * commits the external cache first and then calls hook(arg, true, ...), so
 * forwarding starts with every replicated entry already in the table;
 * "standby" calls hook(arg, false, ...).  The hook writes one line for the
 * reply into msg and returns 0 or -errno.  `active` is the starting role.
 */
typedef int (*sync_role_fn)(void *arg, bool active, char *msg, size_t msg_len);
void sync_service_set_role(struct sync_service *s, sync_role_fn fn, void *arg, bool active);

#endif
