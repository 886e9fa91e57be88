/* SPDX-License-Identifier: MIT */
/*
 * ctrackd: the connection-tracking daemon.
 *
 * Without interfaces it is a connection-table service: it owns one table
 * and serves it; with --iface it is also a live firewall forwarding between
 * the interfaces it owns through lib/fw (the same hooks, ruleset, tracking
 * and NAT as ctrack-replay), see "live interfaces" below.  Either way the
 * table is served over a root-only Unix stream socket speaking the control
 * protocol of include/ctrack/ctl.h: `ctrack` (the conntrack drop-in) lists,
 * creates, updates and deletes entries, reads statistics, changes settings
 * by sysctl name, applies rulesets and subscribes to events.  Entries
 * expire by the clock: table time is CLOCK_MONOTONIC, wall-clock timestamps
 * are CLOCK_REALTIME (the offset is taken once at start, as the kernel's
 * ktime_get_real offset).
 *
 * One thread, one poll loop: the listening socket, a signalfd (SIGTERM /
 * SIGINT: clean shutdown; SIGHUP: ruleset reload from -f; SIGUSR1:
 * statistics to the log), the interfaces' packet sockets and every client.
 * The table is only touched from this loop, so no locking.  Events go into
 * per-client output queues bounded by EVQ_MAX_BYTES; a client that falls
 * behind loses events and is told how many (a LOST message before the next
 * event it does get), as conntrack -E reports a netlink overrun.  A
 * malformed message gets an ERROR reply; a framing error (bad
 * magic/version/length) also closes that connection, since the byte stream
 * cannot be resynchronised.  Neither touches the table or the datapath.
 *
 *   usage: ctrackd [-s SOCKET] [-m MAX] [-o NAME=VALUE]... [-f RULESET] [-c CONFIG]
 *                  [--iface NAME[,MAC][,ADDR/PLEN]...]... [--route ...] [--neigh ...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctrack/ct.h"
#include "ctrack/ctl.h"
#include "ctrack/expect.h"
#include "ctrack/format.h"
#include "ctrack/fw.h"
#include "ctrack/nft.h"
#include "ctrack/pkt.h"
#include "ctrack/sync.h"

#define MAX_CLIENTS 256
#define EVQ_MAX_BYTES (2u << 20) /* per client, unsent bytes before events are lost */
#define GC_INTERVAL_MS 200
#define GC_BUDGET 16384

/* ---- logging: journal-friendly "<prio>" prefixes when under systemd ---- */

enum log_level { LOG_ERR_ = 3, LOG_WARN_ = 4, LOG_INFO_ = 6, LOG_DEBUG_ = 7 };

static int log_max = LOG_INFO_;
static bool log_journal;

__attribute__((format(printf, 2, 3))) static void logmsg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[8] = {"", "", "", "error", "warning", "", "info", "debug"};
	va_list ap;

	if ((int)lvl > log_max)
		return;
	if (log_journal)
		fprintf(stderr, "<%d>", (int)lvl);
	else
		fprintf(stderr, "ctrackd: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- clocks ---- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * CT_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* ---- clients ---- */

struct client {
	int fd;
	uint32_t pid;       /* from SO_PEERCRED: the "portid" of its events */
	char comm[32];      /* its process name: progname= in events */
	uint8_t *rbuf;
	size_t rlen, rcap;
	struct ctl_buf out; /* replies and events not yet written */
	size_t out_off;
	bool closing;       /* flush, then close */
	bool subscribed;
	uint8_t table;      /* CTL_T_CONNTRACK or CTL_T_EXPECT events */
	uint32_t evmask, fmt;
	int32_t tz;
	uint64_t lost;
};

struct daemon {
	struct ct_table *t;
	struct nft_ruleset *rs;
	char *ruleset_path; /* -f: loaded at start and on SIGHUP (owned) */
	int lfd, sfd;
	struct client *cl[MAX_CLIENTS];
	size_t ncl;
	struct client *actor; /* the client whose request is running (events are its) */
	uint64_t last_gc;
	uint64_t events_lost;
	bool stop;
};

static struct daemon D;

/* State replication (-Y options, lib/sync/service.c); NULL when not configured. */
static struct sync_service *SYNC;
#define SYNC_POLLFDS 8

static size_t pending(const struct client *c)
{
	return c->out.len - c->out_off;
}

static void client_free(struct client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->rbuf);
	ctl_buf_free(&c->out);
	free(c);
}

/* Append an EVENT for one subscriber, or count it lost when its queue is full. */
static void queue_event(struct client *c, enum ct_event_type type, const struct ct_conn *conn,
			uint64_t now)
{
	struct ct_fmt_opts o;
	uint32_t portid = D.actor ? D.actor->pid : 0;
	const char *prog = D.actor ? D.actor->comm : NULL;

	if (!c->subscribed || c->table != CTL_T_CONNTRACK || !(c->evmask & type) || c->closing)
		return;
	if (pending(c) >= EVQ_MAX_BYTES) {
		c->lost++;
		D.events_lost++;
		return;
	}
	if (c->lost) {
		ctl_msg_begin(&c->out, CTL_REP_LOST, 0);
		ctl_put_u64(&c->out, CTL_A_VALUE, c->lost);
		if (ctl_msg_end(&c->out) == 0) {
			logmsg(LOG_WARN_, "client pid %u lost %llu events", c->pid,
			       (unsigned long long)c->lost);
			c->lost = 0;
		}
	}
	memset(&o, 0, sizeof(o));
	o.flags = c->fmt;
	if (!portid)
		o.flags |= CT_FMT_EVENT_KERNEL;
	o.now = now;
	o.wall_now = clock_ns(CLOCK_REALTIME);
	o.event = type;
	o.event_wall = o.wall_now;
	o.tz_offset_s = c->tz;
	if (ctl_put_conn(&c->out, CTL_REP_EVENT, 0, D.t, conn, &o, portid, prog))
		c->lost++;
}

/* Expectation events (conntrack -E expect): no sender attribution, as the real tool prints none. */
static void on_exp_event(void *arg, enum ct_event_type type, const struct ct_expect *e,
			 uint64_t now)
{
	(void)arg;
	for (size_t i = 0; i < D.ncl; i++) {
		struct client *c = D.cl[i];
		struct ct_fmt_opts o;

		if (!c->subscribed || c->table != CTL_T_EXPECT || !(c->evmask & type) || c->closing)
			continue;
		if (pending(c) >= EVQ_MAX_BYTES) {
			c->lost++;
			D.events_lost++;
			continue;
		}
		memset(&o, 0, sizeof(o));
		o.flags = c->fmt & CT_FMT_XML;
		o.now = now;
		o.wall_now = clock_ns(CLOCK_REALTIME);
		o.event = type;
		o.tz_offset_s = c->tz;
		if (ctl_put_expect(&c->out, CTL_REP_EVENT, 0, D.t, e, &o))
			c->lost++;
	}
}

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *conn, uint64_t now)
{
	(void)arg;
	for (size_t i = 0; i < D.ncl; i++)
		queue_event(D.cl[i], type, conn, now);
	if (SYNC)
		sync_service_event(SYNC, type, conn, now);
}

/* Read the peer's pid, uid and name; only root (or our own uid) may talk to us. */
static int peer_identify(struct client *c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64];
	FILE *f;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	c->pid = (uint32_t)cr.pid;
	snprintf(c->comm, sizeof(c->comm), "?");
	snprintf(path, sizeof(path), "/proc/%u/comm", c->pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(c->comm, sizeof(c->comm), f))
			c->comm[strcspn(c->comm, "\n")] = '\0';
		fclose(f);
	}
	if (cr.uid != 0 && cr.uid != geteuid())
		return -EPERM;
	return 0;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(D.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		int err;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				logmsg(LOG_WARN_, "accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || D.ncl == MAX_CLIENTS) {
			logmsg(LOG_WARN_, "too many clients, refusing one");
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		ctl_buf_init(&c->out);
		err = peer_identify(c);
		if (err) {
			logmsg(LOG_WARN_, "refusing client pid %u: %s", c->pid, strerror(-err));
			ctl_put_error(&c->out, 0, err, "permission denied");
			c->closing = true;
		}
		D.cl[D.ncl++] = c;
		logmsg(LOG_DEBUG_, "client pid %u (%s) connected", c->pid, c->comm);
	}
}

static void handle_subscribe(struct client *c, const struct ctl_msg *m)
{
	if (m->table != CTL_T_CONNTRACK && m->table != CTL_T_EXPECT) {
		ctl_put_error(&c->out, m->seq, EINVAL, NULL);
		return;
	}
	c->subscribed = true;
	c->table = m->table;
	c->evmask = ctl_has(m, CTL_A_EVMASK) ? m->evmask : 7u;
	c->fmt = m->fmt & (CT_FMT_EXTENDED | CT_FMT_ID | CT_FMT_KTIMESTAMP | CT_FMT_TIMESTAMP |
			   CT_FMT_SAVE | CT_FMT_XML);
	c->tz = m->tz;
	ctl_put_done(&c->out, m->seq);
}

/* One whole message from a client. */
static void handle_msg(struct client *c, const uint8_t *buf, uint32_t len)
{
	struct ctl_msg m;
	int err = ctl_decode(buf, len, &m);

	if (err) {
		/* The header was framed, so its seq is readable. */
		uint32_t seq = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
			       (uint32_t)buf[10] << 8 | buf[11];

		logmsg(LOG_DEBUG_, "client pid %u: bad message: %s", c->pid, strerror(-err));
		ctl_put_error(&c->out, seq, err, "malformed message");
		return;
	}
	if (m.type >= CTL_REP_DONE) {
		ctl_put_error(&c->out, m.seq, EOPNOTSUPP, "not a request");
		return;
	}
	logmsg(LOG_DEBUG_, "client pid %u: %s", c->pid, ctl_type_name(m.type));
	if (m.type == CTL_REQ_SUBSCRIBE) {
		handle_subscribe(c, &m);
		return;
	}
	struct ctl_server srv = {
		.t = D.t,
		.rs = D.rs,
		.now = clock_ns(CLOCK_MONOTONIC),
		.wall_now = clock_ns(CLOCK_REALTIME),
	};
	D.actor = c;
	err = ctl_handle(&srv, &m, &c->out);
	D.actor = NULL;
	if (err)
		logmsg(LOG_WARN_, "client pid %u: reply lost: %s", c->pid, strerror(-err));
	if (m.type == CTL_REQ_RULESET_APPLY && !(m.flags & CTL_F_CHECK))
		logmsg(LOG_INFO_, "ruleset changed by pid %u", c->pid);
}

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n;
		size_t off = 0;

		if (c->rcap - c->rlen < 65536) {
			size_t cap = c->rcap ? c->rcap * 2 : 65536;
			uint8_t *p;

			if (cap > (size_t)CTL_MSG_MAX * 2 + 65536) {
				c->closing = true;
				return;
			}
			p = realloc(c->rbuf, cap);
			if (!p) {
				c->closing = true;
				return;
			}
			c->rbuf = p;
			c->rcap = cap;
		}
		n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
		if (n == 0) {
			c->closing = true;
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->closing = true;
			return;
		}
		c->rlen += (size_t)n;
		while (!c->closing) {
			uint32_t mlen;
			int err = ctl_frame(c->rbuf + off, c->rlen - off, &mlen);

			if (err == -EAGAIN)
				break;
			if (err) {
				logmsg(LOG_WARN_, "client pid %u: unframeable stream (%s), closing",
				       c->pid, strerror(-err));
				ctl_put_error(&c->out, 0, err, "bad framing");
				c->closing = true;
				break;
			}
			if (mlen > c->rlen - off)
				break;
			handle_msg(c, c->rbuf + off, mlen);
			off += mlen;
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
		if (c->closing)
			return;
	}
}

/* Returns false when the client is gone. */
static bool client_write(struct client *c)
{
	while (pending(c)) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, pending(c), MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (!pending(c)) {
		ctl_buf_reset(&c->out);
		c->out_off = 0;
	} else if (c->out_off > (1u << 20)) {
		memmove(c->out.data, c->out.data + c->out_off, pending(c));
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	return !(c->closing && !pending(c));
}

/* ---- live interfaces: the datapath ---- */

/*
 * Each interface ctrackd owns has one AF_PACKET socket bound to it with two
 * memory-mapped TPACKET_V3 rings: receive (blocks the kernel fills and
 * retires at least every RX_BLOCK_TOV_MS, handed back after the whole block
 * is processed) and transmit (fixed frames filled here, sent as a batch by
 * one send() per interface after each received block).  Frames go through
 * fw_input (lib/fw: the hooks, conntrack, the ruleset, NAT, routing); what
 * it emits is queued on the interfaces it names.
 *
 * Around the router model ctrackd does what the kernel's neighbour layer
 * does: it answers ARP requests and IPv6 neighbour solicitations for its
 * own addresses, learns neighbours from ARP and neighbour advertisements,
 * and resolves next hops the way the kernel's neighbour layer does, after
 * the packet went through every hook: the first packet towards a next hop
 * ctrackd has never resolved installs a placeholder neighbour (MAC
 * 00:00:00:00:00:00) before it enters fw_input, so fw processes it fully
 * and emits it addressed to the placeholder; the emitted frame is held, up
 * to NEIGH_QLEN per next hop as the kernel's unres queue (oldest dropped),
 * while ARP requests / solicitations go out every second, NEIGH_PROBES
 * times; the answer fills in the MAC and the held frames leave, otherwise
 * they are dropped.  The next hop is guessed from the destination before
 * NAT; when DNAT sends a packet elsewhere and fw reports no neighbour, that
 * input frame is held instead and goes through fw_input again once
 * resolved (its counters then see it twice).  ARP and neighbour discovery
 * are answered before the
 * hooks (the kernel passes ND through the IPv6 input hook, so a ruleset that
 * drops ICMPv6 breaks the kernel's IPv6 but not ctrackd's).
 *
 * The host kernel must leave these interfaces alone: no addresses on them
 * (ctrackd also turns IPv6 off on them, so the kernel sends no neighbour
 * discovery of its own) and no forwarding through them.  Offloads: a frame
 * whose checksum the sender left to the hardware (TP_STATUS_CSUMNOTREADY,
 * veth peers) has it completed here; segmentation offload must be off on
 * the sending side (a frame longer than the MTU is dropped and counted).
 */
#define MAX_IFACES 32
#define RX_BLOCK_SIZE (1u << 18)
#define RX_BLOCK_NR 16
#define RX_BLOCK_TOV_MS 1
#define TX_FRAME_SIZE 2048u
#define TX_FRAME_NR 512u
#define NEIGH_QLEN 3
#define NEIGH_PROBES 3
#define MAX_PENDING 256
#define MAX_ROUTES 256
#define MAX_ADDRS 8
#define ETH_MAX_HDR 22u /* Ethernet header with two VLAN tags (QinQ) */

struct live_addr {
	uint8_t l3num;
	uint8_t addr[16];
	uint8_t plen;
};

struct live_iface {
	char name[FW_IFNAMSIZ];
	int os_index;   /* the kernel's ifindex */
	uint32_t fwidx; /* the router model's */
	uint8_t mac[6];
	unsigned mtu;
	int fd;
	uint8_t *rx, *tx;
	size_t rx_len, tx_len;
	unsigned rx_cur, tx_cur, tx_queued;
	struct live_addr addr[MAX_ADDRS];
	size_t naddr;
	uint64_t rx_frames, tx_frames, tx_full, oversize;
};

struct live_route {
	bool connected;
	uint8_t l3num;
	uint8_t prefix[16];
	uint8_t plen;
	uint32_t fwidx;
	bool has_gw;
	uint8_t gw[16];
};

struct held {
	uint32_t fwidx;  /* input interface, or output interface when processed */
	bool processed;  /* emitted by fw, waiting for the MAC; else an input frame */
	uint32_t len;
	uint8_t *frame;
};

/* The next hops ctrackd has put in fw's neighbour table (placeholder or resolved). */
#define NB_SLOTS 4096u
/* Neighbour states, as the kernel's NUD_* (include/net/neighbour.h). */
enum nud {
	NUD_INCOMPLETE = 1, /* placeholder in fw, broadcast solicitations under way */
	NUD_REACHABLE,      /* confirmed less than reachable_time ago */
	NUD_STALE,          /* usable, unconfirmed: the next use starts DELAY */
	NUD_DELAY,          /* used while stale: a confirmation may still come */
	NUD_PROBE,          /* unicast solicitations under way */
	NUD_FAILED,         /* no answer: placeholder again, resolved anew on use */
	NUD_PERMANENT,      /* --neigh */
};

struct nb {
	uint32_t fwidx; /* 0: free */
	uint8_t l3num;
	uint8_t addr[16];
	uint8_t state;  /* enum nud */
	uint8_t probes;
	uint8_t mac[6];
	uint64_t confirmed, updated, reachable;
};

struct pending {
	bool used;
	uint32_t fwidx; /* where the next hop lives */
	uint8_t l3num;
	uint8_t addr[16];
	uint64_t last_probe;
	unsigned probes;
	struct held q[NEIGH_QLEN];
	size_t nq;
};

struct live {
	struct fw *fw;
	struct live_iface ifc[MAX_IFACES];
	size_t nifc;
	struct live_route rt[MAX_ROUTES];
	size_t nrt;
	struct pending pend[MAX_PENDING];
	size_t npending; /* used entries of pend: the per-packet checks skip an empty table */
	struct nb nb[NB_SLOTS];
	size_t nnb;
	uint64_t last_neigh_tick;
	/* The kernel's neighbour parameters (net.ipv4.neigh.default.*). */
	uint64_t base_reachable_ns, delay_ns, retrans_ns;
	uint64_t probes_bcast, probes_ucast, nud_failed;
	uint64_t arp_in, arp_answered, nd_answered, neigh_learned, unresolved_drops;
	/*
	 * Failover role (see "standby and takeover" below): a standby
	 * forwards nothing and answers no ARP/ND for its addresses, which
	 * belong to the active node until a takeover.
	 */
	bool standby;
	unsigned announce_left; /* announcements still to send after a takeover */
	uint64_t next_announce;
	uint64_t standby_ignored, announced, takeovers;
	struct fw_result res; /* large: kept out of the stack */
};

static struct live L;

static struct live_iface *iface_by_fwidx(uint32_t fwidx)
{
	for (size_t i = 0; i < L.nifc; i++)
		if (L.ifc[i].fwidx == fwidx)
			return &L.ifc[i];
	return NULL;
}

static bool prefix_match(const uint8_t *a, const uint8_t *p, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, p, full))
		return false;
	return !rest || ((a[full] ^ p[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Longest prefix match over the configured and connected routes. */
static const struct live_route *route_lookup(uint8_t l3num, const uint8_t dst[16])
{
	const struct live_route *best = NULL;

	for (size_t i = 0; i < L.nrt; i++) {
		const struct live_route *r = &L.rt[i];

		if (r->l3num == l3num && prefix_match(dst, r->prefix, r->plen) &&
		    (!best || r->plen > best->plen))
			best = r;
	}
	return best;
}

/* ---- transmit ---- */

static uint8_t *tx_slot(struct live_iface *i, unsigned n)
{
	return i->tx + (size_t)n * TX_FRAME_SIZE;
}

static void tx_flush(struct live_iface *i)
{
	if (!i->tx_queued)
		return;
	if (send(i->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS)
		logmsg(LOG_DEBUG_, "%s: send: %s", i->name, strerror(errno));
	i->tx_queued = 0;
}

/* Queue one frame on the interface's transmit ring (sent at the next flush). */
static void tx_frame(struct live_iface *i, const uint8_t *frame, uint32_t len)
{
	const size_t off = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));
	struct tpacket3_hdr *h;

	if (len > TX_FRAME_SIZE - off || len > i->mtu + ETH_MAX_HDR) {
		i->oversize++;
		return;
	}
	h = (struct tpacket3_hdr *)tx_slot(i, i->tx_cur);
	if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
		tx_flush(i);
		if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
			i->tx_full++;
			return;
		}
	}
	memcpy((uint8_t *)h + off, frame, len);
	h->tp_len = len;
	h->tp_snaplen = len;
	h->tp_next_offset = 0;
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	i->tx_cur = (i->tx_cur + 1) % TX_FRAME_NR;
	i->tx_frames++;
	if (++i->tx_queued >= TX_FRAME_NR / 2)
		tx_flush(i);
}

static bool neigh_hold_emitted(struct live_iface *o, const uint8_t *f, uint32_t len,
			       uint64_t now);

static void tx_emits(const struct fw_result *res, uint64_t now)
{
	for (size_t k = 0; k < res->n_emit; k++) {
		struct live_iface *o = iface_by_fwidx(res->emit[k].ifindex);

		if (o && !neigh_hold_emitted(o, res->emit[k].frame, res->emit[k].len, now))
			tx_frame(o, res->emit[k].frame, res->emit[k].len);
	}
}

/* ---- ARP and neighbour discovery ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static const struct live_addr *iface_has_addr(const struct live_iface *i, uint8_t l3num,
					      const uint8_t *a)
{
	size_t n = l3num == 2 ? 4 : 16;

	for (size_t k = 0; k < i->naddr; k++)
		if (i->addr[k].l3num == l3num && memcmp(i->addr[k].addr, a, n) == 0)
			return &i->addr[k];
	return NULL;
}

/* Our address to speak from towards `dst`: one on its subnet, else the first. */
static const struct live_addr *source_addr(const struct live_iface *i, uint8_t l3num,
					   const uint8_t *dst)
{
	const struct live_addr *first = NULL;

	for (size_t k = 0; k < i->naddr; k++) {
		if (i->addr[k].l3num != l3num)
			continue;
		if (!first)
			first = &i->addr[k];
		if (prefix_match(dst, i->addr[k].addr, i->addr[k].plen))
			return &i->addr[k];
	}
	return first;
}

static void arp_send(struct live_iface *i, uint16_t op, const uint8_t *eth_dst,
		     const uint8_t *tha, const uint8_t *spa, const uint8_t *tpa)
{
	uint8_t f[42];

	memcpy(f, eth_dst, 6);
	memcpy(f + 6, i->mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);      /* Ethernet */
	put16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, i->mac, 6);
	memcpy(f + 28, spa, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, tpa, 4);
	tx_frame(i, f, sizeof(f));
}

static void neigh_resolved(struct live_iface *i, uint8_t l3num, const uint8_t *addr,
			   const uint8_t mac[6], uint64_t now, bool confirmed);

static void arp_input(struct live_iface *i, const uint8_t *f, uint32_t len, uint64_t now)
{
	static const uint8_t zero[6];
	uint8_t addr[16] = {0};
	uint16_t op;

	L.arp_in++;
	if (len < 42 || f[14] != 0 || f[15] != 1 || f[16] != 0x08 || f[17] != 0 || f[18] != 6 ||
	    f[19] != 4)
		return;
	op = (uint16_t)(f[20] << 8 | f[21]);
	/* Learn the sender when it has an address (not an ARP probe). */
	if (memcmp(f + 28, zero, 4) != 0 && !(f[22] & 1)) {
		memcpy(addr, f + 28, 4);
		/* A reply sent to us confirms reachability (arp_process); the rest updates. */
		if (op == 2 || iface_has_addr(i, 2, f + 38))
			neigh_resolved(i, 2, addr, f + 22, now,
				       op == 2 && memcmp(f, i->mac, 6) == 0);
	}
	if (op == 1 && iface_has_addr(i, 2, f + 38) && !L.standby) {
		arp_send(i, 2, f + 22, f + 22, f + 38, f + 28);
		L.arp_answered++;
	}
}

static uint16_t icmp6_csum(const uint8_t *ip6, const uint8_t *icmp, uint32_t len)
{
	uint32_t sum = ct_csum_partial(ip6 + 8, 32, 0);

	sum = ct_csum_partial((const uint8_t[]){0, 0, (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0,
						58},
			      8, sum);
	return ct_csum_fold(ct_csum_partial(icmp, len, sum));
}

/* An ICMPv6 NS (135) or NA (136) with one link-layer address option. */
static void nd_send(struct live_iface *i, uint8_t type, const uint8_t *eth_dst,
		    const uint8_t *src, const uint8_t *dst, const uint8_t *target, uint8_t flags)
{
	uint8_t f[14 + 40 + 32];
	uint8_t *ip = f + 14, *m = ip + 40;
	uint16_t c;

	memset(f, 0, sizeof(f));
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, i->mac, 6);
	put16(f + 12, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, 32);
	ip[6] = 58;
	ip[7] = 255; /* RFC 4861: hop limit 255 */
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	m[0] = type;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	m[24] = type == 135 ? 1 : 2; /* source / target link-layer address */
	m[25] = 1;
	memcpy(m + 26, i->mac, 6);
	c = icmp6_csum(ip, m, 32);
	put16(m + 2, c);
	tx_frame(i, f, sizeof(f));
}

static void nd_solicit(struct live_iface *i, const uint8_t *target)
{
	const struct live_addr *src = source_addr(i, 10, target);
	uint8_t dst[16] = {0xff, 0x02, [11] = 1, [12] = 0xff};
	uint8_t mac[6] = {0x33, 0x33, 0xff};

	if (!src)
		return;
	/* The solicited-node multicast address (RFC 4291 §2.7.1) and its MAC. */
	memcpy(dst + 13, target + 13, 3);
	memcpy(mac + 3, target + 13, 3);
	nd_send(i, 135, mac, src->addr, dst, target, 0);
}

/* NS for one of our addresses: answer; NA: learn.  Returns true if consumed. */
static bool nd_input(struct live_iface *i, const uint8_t *f, uint32_t len, uint64_t now)
{
	const uint8_t *ip = f + 14, *m = ip + 40;
	uint32_t plen;
	const uint8_t *lla = NULL;
	static const uint8_t unspec[16];

	if (len < 14 + 40 + 24 || ip[6] != 58 || (m[0] != 135 && m[0] != 136) || ip[7] != 255)
		return false;
	plen = (uint32_t)(ip[4] << 8 | ip[5]);
	if (plen < 24 || 14u + 40u + plen > len || icmp6_csum(ip, m, plen) != 0)
		return false;
	for (uint32_t o = 24; o + 8 <= plen && m[o + 1]; o += 8u * m[o + 1]) {
		if (m[o] == (m[0] == 135 ? 1 : 2) && m[o + 1] == 1)
			lla = m + o + 2;
	}
	if (m[0] == 136) {
		/* A solicited advertisement confirms reachability; others only update. */
		neigh_resolved(i, 10, m + 8, lla ? lla : f + 6, now, (m[4] & 0x40) != 0);
		return true;
	}
	if (!iface_has_addr(i, 10, m + 8))
		return true; /* not for us: the kernel would ignore it too */
	if (lla && memcmp(ip + 8, unspec, 16) != 0)
		neigh_resolved(i, 10, ip + 8, lla, now, false);
	if (L.standby)
		return true; /* the active node answers for the address */
	/* Solicited, Override, Router; to the sender, or all nodes for DAD. */
	if (memcmp(ip + 8, unspec, 16) == 0) {
		static const uint8_t all[16] = {0xff, 0x02, [15] = 1};
		static const uint8_t all_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

		nd_send(i, 136, all_mac, m + 8, all, m + 8, 0x80 | 0x20);
	} else {
		nd_send(i, 136, f + 6, m + 8, ip + 8, m + 8, 0x80 | 0x40 | 0x20);
	}
	L.nd_answered++;
	return true;
}

static void neigh_probe(struct pending *p, uint64_t now)
{
	struct live_iface *i = iface_by_fwidx(p->fwidx);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6];

	p->last_probe = now;
	p->probes++;
	L.probes_bcast++;
	if (!i)
		return;
	if (p->l3num == 2) {
		const struct live_addr *src = source_addr(i, 2, p->addr);

		if (src)
			arp_send(i, 1, bcast, zero, src->addr, p->addr);
	} else {
		nd_solicit(i, p->addr);
	}
}

static void process_frame(struct live_iface *i, const uint8_t *frame, uint32_t len,
			  uint64_t now, bool requeued);

static struct nb *nb_find(uint32_t fwidx, uint8_t l3num, const uint8_t addr[16], bool add)
{
	uint32_t h = 2166136261u ^ fwidx ^ (uint32_t)l3num << 8;

	for (size_t k = 0; k < 16; k++)
		h = (h ^ addr[k]) * 16777619u;
	for (uint32_t n = 0; n < NB_SLOTS; n++) {
		struct nb *e = &L.nb[(h + n) & (NB_SLOTS - 1)];

		if (e->fwidx == 0) {
			if (!add || L.nnb >= NB_SLOTS * 3 / 4)
				return NULL;
			e->fwidx = fwidx;
			e->l3num = l3num;
			memcpy(e->addr, addr, 16);
			L.nnb++;
			return e;
		}
		if (e->fwidx == fwidx && e->l3num == l3num && memcmp(e->addr, addr, 16) == 0)
			return e;
	}
	return NULL;
}

static struct pending *pending_get(uint32_t fwidx, uint8_t l3num, const uint8_t hop[16],
				   uint64_t now)
{
	struct pending *free_slot = NULL;

	for (size_t k = 0; k < MAX_PENDING; k++) {
		struct pending *q = &L.pend[k];

		if (q->used && q->fwidx == fwidx && q->l3num == l3num &&
		    memcmp(q->addr, hop, 16) == 0)
			return q;
		if (!q->used && !free_slot)
			free_slot = q;
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	L.npending++;
	free_slot->fwidx = fwidx;
	free_slot->l3num = l3num;
	memcpy(free_slot->addr, hop, 16);
	neigh_probe(free_slot, now);
	return free_slot;
}

static void pending_hold(struct pending *p, uint32_t fwidx, bool processed,
			 const uint8_t *frame, uint32_t len)
{
	uint8_t *copy;

	if (p->nq == NEIGH_QLEN) {
		/* The kernel's unres queue drops the oldest. */
		free(p->q[0].frame);
		memmove(p->q, p->q + 1, (NEIGH_QLEN - 1) * sizeof(p->q[0]));
		p->nq--;
		L.unresolved_drops++;
	}
	copy = malloc(len);
	if (!copy) {
		L.unresolved_drops++;
		return;
	}
	memcpy(copy, frame, len);
	p->q[p->nq++] = (struct held){.fwidx = fwidx, .processed = processed, .len = len,
				      .frame = copy};
}

/* reachable_time: base_reachable_time randomised in [1/2, 3/2), as neigh_rand_reach_time. */
static uint64_t rand_reach(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return L.base_reachable_ns / 2 + (L.base_reachable_ns ? x % L.base_reachable_ns : 0);
}

/*
 * A neighbour's link-layer address was learned: `confirmed` when the answer
 * proves two-way reachability (a solicited reply), else it is merely
 * STALE (neigh_update semantics).  Held packets leave.
 */
static void neigh_resolved(struct live_iface *i, uint8_t l3num, const uint8_t *addr,
			   const uint8_t mac[6], uint64_t now, bool confirmed)
{
	size_t n = l3num == 2 ? 4 : 16;
	uint8_t a[16] = {0};
	struct nb *e;

	memcpy(a, addr, n);
	e = nb_find(i->fwidx, l3num, a, true);
	if (e && e->state == NUD_PERMANENT)
		return;
	if (e && !confirmed && e->state >= NUD_REACHABLE && e->state <= NUD_PROBE &&
	    memcmp(e->mac, mac, 6) == 0 && L.npending == 0)
		return; /* nothing new: the state stays (an unsolicited update) */
	fw_add_neigh(L.fw, i->fwidx, l3num, a, mac);
	if (e) {
		bool changed = memcmp(e->mac, mac, 6) != 0;

		memcpy(e->mac, mac, 6);
		e->probes = 0;
		e->updated = now;
		if (confirmed) {
			e->state = NUD_REACHABLE;
			e->confirmed = now;
			e->reachable = rand_reach();
		} else if (e->state != NUD_REACHABLE || changed) {
			e->state = NUD_STALE;
		}
	}
	L.neigh_learned++;
	for (size_t k = 0; k < MAX_PENDING; k++) {
		struct pending *p = &L.pend[k];
		struct held q[NEIGH_QLEN];
		size_t nq;

		if (!p->used || p->fwidx != i->fwidx || p->l3num != l3num || memcmp(p->addr, a, 16))
			continue;
		nq = p->nq;
		memcpy(q, p->q, sizeof(q));
		p->used = false;
		L.npending--;
		p->nq = 0;
		for (size_t j = 0; j < nq; j++) {
			struct live_iface *o = iface_by_fwidx(q[j].fwidx);

			if (o && q[j].processed) {
				memcpy(q[j].frame, mac, 6);
				tx_frame(o, q[j].frame, q[j].len);
			} else if (o) {
				process_frame(o, q[j].frame, q[j].len, now, true);
			}
			free(q[j].frame);
		}
	}
}

/* The destination of an IP frame, and whether it has one we can route. */
static bool frame_dst(const uint8_t *f, uint32_t len, uint8_t *l3num, uint8_t dst[16])
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);

	memset(dst, 0, 16);
	if (type == 0x0800 && len >= 14 + 20) {
		*l3num = 2;
		memcpy(dst, f + 14 + 16, 4);
		return dst[0] < 224 && !(dst[0] == 255);
	}
	if (type == 0x86dd && len >= 14 + 40) {
		*l3num = 10;
		memcpy(dst, f + 14 + 24, 16);
		return dst[0] != 0xff;
	}
	return false;
}

/*
 * Before fw sees a frame: when its next hop (by the destination before NAT)
 * has never been resolved, put a placeholder in fw's neighbour table and
 * start resolving, so the packet is processed once and held after the
 * hooks, as the kernel's neighbour layer holds it.
 */
static void neigh_prepare(struct live_iface *in, const uint8_t *f, uint32_t len, uint64_t now)
{
	static const uint8_t zero_mac[6];
	struct nb *e;
	const struct live_route *r;
	uint8_t l3num, dst[16], hop[16];

	if (!frame_dst(f, len, &l3num, dst))
		return;
	/*
	 * fw learns the source of every IP frame from a host on a connected
	 * prefix (fw_neigh_learn): so does this mirror.  A source that is
	 * still a placeholder cannot be learned by fw (placeholders are
	 * static): it is resolved here, from this frame.
	 */
	if (!(f[6] & 1)) {
		uint8_t src[16] = {0};
		const struct live_route *sr;

		memcpy(src, f + 14 + (l3num == 2 ? 12 : 8), l3num == 2 ? 4 : 16);
		sr = route_lookup(l3num, src);
		if (sr && sr->connected && sr->fwidx == in->fwidx &&
		    !iface_has_addr(in, l3num, src)) {
			bool waiting = false;

			for (size_t k = 0; L.npending && k < MAX_PENDING && !waiting; k++)
				waiting = L.pend[k].used && L.pend[k].fwidx == in->fwidx &&
					  L.pend[k].l3num == l3num &&
					  memcmp(L.pend[k].addr, src, 16) == 0;
			if (waiting) {
				neigh_resolved(in, l3num, src, f + 6, now, false);
			} else {
				struct nb *e = nb_find(in->fwidx, l3num, src, true);

				if (e && !e->state) {
					e->state = NUD_STALE; /* learned by fw from this frame */
					memcpy(e->mac, f + 6, 6);
					e->updated = now;
				}
			}
		}
	}
	if (!(r = route_lookup(l3num, dst)))
		return;
	memcpy(hop, r->has_gw ? r->gw : dst, 16);
	if (iface_has_addr(iface_by_fwidx(r->fwidx), l3num, hop))
		return;
	e = nb_find(r->fwidx, l3num, hop, true);
	if (!e)
		return;
	switch (e->state) {
	case NUD_REACHABLE:
		if (now - e->confirmed < e->reachable)
			return;
		e->state = NUD_STALE;
		/* fall through - used while stale */
	case NUD_STALE:
		e->state = NUD_DELAY;
		e->updated = now;
		return;
	case NUD_DELAY:
	case NUD_PROBE:
	case NUD_INCOMPLETE:
	case NUD_PERMANENT:
		return;
	default: /* new, or FAILED: resolve (anew) */
		break;
	}
	e->state = NUD_INCOMPLETE;
	e->probes = 0;
	fw_add_neigh(L.fw, r->fwidx, l3num, hop, zero_mac);
	pending_get(r->fwidx, l3num, hop, now);
}

/* fw emitted a frame for a placeholder neighbour: hold it until resolved. */
static bool neigh_hold_emitted(struct live_iface *o, const uint8_t *f, uint32_t len,
			       uint64_t now)
{
	static const uint8_t zero_mac[6];
	const struct live_route *r;
	struct pending *p;
	uint8_t l3num, dst[16], hop[16];

	if (memcmp(f, zero_mac, 6) != 0)
		return false;
	if (frame_dst(f, len, &l3num, dst) && (r = route_lookup(l3num, dst)) &&
	    r->fwidx == o->fwidx) {
		memcpy(hop, r->has_gw ? r->gw : dst, 16);
		p = pending_get(o->fwidx, l3num, hop, now);
		if (p) {
			pending_hold(p, o->fwidx, true, f, len);
			return true;
		}
	}
	L.unresolved_drops++;
	return true; /* never put a frame for MAC 0 on the wire */
}

/*
 * fw found no neighbour for a packet that came in on `in` (its next hop was
 * not the one guessed before NAT): work out the real one from its conntrack
 * entry, hold the input frame and solicit.
 */
static void neigh_miss(struct live_iface *in, const uint8_t *frame, uint32_t len, uint64_t now)
{
	struct ct_pkt p;
	struct ct_tuple t, other;
	const struct ct_conn *c;
	const struct live_route *r;
	struct pending *slot;
	enum ct_dir dir;
	uint8_t hop[16] = {0};

	if (ct_pkt_parse(&p, frame, len, CT_LINK_ETHERNET) != CT_PARSE_OK)
		return;
	t = p.tuple;
	memcpy(hop, t.dst, 16);
	c = ct_lookup(fw_ct(L.fw), &t, now, &dir);
	if (c) {
		ct_conn_tuple(c, dir == CT_DIR_ORIGINAL ? CT_DIR_REPLY : CT_DIR_ORIGINAL, &other);
		memcpy(hop, other.src, 16);
	}
	r = route_lookup(p.l3num, hop);
	if (!r)
		return;
	if (r->has_gw)
		memcpy(hop, r->gw, 16);
	slot = pending_get(r->fwidx, p.l3num, hop, now);
	if (!slot) {
		L.unresolved_drops++;
		return;
	}
	pending_hold(slot, in->fwidx, false, frame, len);
}

/* A unicast solicitation to a known neighbour (NUD_PROBE). */
static void neigh_probe_unicast(struct nb *e, uint64_t now)
{
	struct live_iface *i = iface_by_fwidx(e->fwidx);
	static const uint8_t zero[6];
	const struct live_addr *src;

	e->probes++;
	e->updated = now;
	L.probes_ucast++;
	if (!i || !(src = source_addr(i, e->l3num, e->addr)))
		return;
	if (e->l3num == 2)
		arp_send(i, 1, e->mac, zero, src->addr, e->addr);
	else
		nd_send(i, 135, e->mac, src->addr, e->addr, e->addr, 0);
}

/*
 * The kernel's neighbour timers: DELAY turns into PROBE after
 * delay_first_probe_time unless confirmed meanwhile; PROBE sends
 * ucast_solicit (3) unicast solicitations retrans_time apart, then the
 * neighbour FAILS: fw gets the placeholder back, so the next packets are
 * held while it is resolved anew by broadcast.
 */
static void nud_tick(uint64_t now)
{
	static const uint8_t zero_mac[6];

	for (uint32_t k = 0; L.nnb && k < NB_SLOTS; k++) {
		struct nb *e = &L.nb[k];

		if (!e->fwidx)
			continue;
		if (e->state == NUD_DELAY) {
			if (e->confirmed && now - e->confirmed < e->reachable)
				e->state = NUD_REACHABLE;
			else if (now - e->updated >= L.delay_ns) {
				e->state = NUD_PROBE;
				e->probes = 0;
				neigh_probe_unicast(e, now);
			}
		} else if (e->state == NUD_PROBE && now - e->updated >= L.retrans_ns) {
			if (e->probes < NEIGH_PROBES) {
				neigh_probe_unicast(e, now);
			} else {
				e->state = NUD_FAILED;
				fw_add_neigh(L.fw, e->fwidx, e->l3num, e->addr, zero_mac);
				L.nud_failed++;
			}
		}
	}
}

static void neigh_tick(uint64_t now)
{
	if (now - L.last_neigh_tick < L.retrans_ns / 5)
		return;
	L.last_neigh_tick = now;
	nud_tick(now);
	for (size_t k = 0; k < MAX_PENDING; k++) {
		struct pending *p = &L.pend[k];

		if (!p->used || now - p->last_probe < L.retrans_ns)
			continue;
		if (p->probes >= NEIGH_PROBES) {
			struct nb *e = nb_find(p->fwidx, p->l3num, p->addr, false);

			if (e && e->state == NUD_INCOMPLETE) {
				e->state = NUD_FAILED;
				L.nud_failed++;
			}
			for (size_t j = 0; j < p->nq; j++)
				free(p->q[j].frame);
			L.unresolved_drops += p->nq;
			p->nq = 0;
			p->used = false;
			L.npending--;
			continue;
		}
		neigh_probe(p, now);
	}
}

/* ---- standby and takeover ---- */

/*
 * Failover in the way of keepalived + conntrackd: two ctrackd nodes own
 * the same addresses on the same links; the standby keeps the active
 * node's entries in its sync external cache and stays silent (no
 * forwarding, no ARP or ND answers, so hosts keep talking to the active
 * node).  On "takeover" (ctrack-sync --takeover, from a notify script)
 * the sync service commits the external cache into the table, then
 * role_hook() starts forwarding and announces every address with its MAC:
 * a gratuitous ARP request (sender and target address both ours, RFC 5227
 * §2.3 announcement) and an unsolicited neighbour advertisement to
 * all-nodes with Override set (RFC 4861 §7.2.6), so hosts replace the dead
 * node's MAC in their caches at once instead of after their neighbour
 * entries time out.  They are sent ANNOUNCE_COUNT times, ANNOUNCE_GAP_MS
 * apart (RFC 4861's MAX_NEIGHBOR_ADVERTISEMENT is 3): one may be lost.
 */
#define ANNOUNCE_COUNT 3
#define ANNOUNCE_GAP_MS 1000

static void announce(void)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6];
	static const uint8_t all[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

	for (size_t k = 0; k < L.nifc; k++) {
		struct live_iface *i = &L.ifc[k];

		for (size_t a = 0; a < i->naddr; a++) {
			const uint8_t *ad = i->addr[a].addr;

			if (i->addr[a].l3num == 2)
				arp_send(i, 1, bcast, zero, ad, ad);
			else /* Router, Override; not Solicited */
				nd_send(i, 136, all_mac, ad, all, ad, 0x80 | 0x20);
			L.announced++;
		}
		tx_flush(i);
	}
}

/* The sync service's role hook (sync_service_set_role). */
static int role_hook(void *arg, bool active, char *msg, size_t msg_len)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	size_t naddr = 0;

	(void)arg;
	if (!L.fw) {
		snprintf(msg, msg_len, "no interfaces (table service mode): nothing to take over");
		return -EOPNOTSUPP;
	}
	for (size_t k = 0; k < L.nifc; k++)
		naddr += L.ifc[k].naddr;
	if (!active) {
		L.standby = true;
		L.announce_left = 0;
		/* Held packets would leave after a late answer: drop them. */
		for (size_t k = 0; k < MAX_PENDING; k++) {
			for (size_t j = 0; j < L.pend[k].nq; j++)
				free(L.pend[k].q[j].frame);
			L.pend[k].nq = 0;
			L.pend[k].used = false;
		}
		L.npending = 0;
		logmsg(LOG_INFO_, "standby: forwarding stopped, %zu address(es) left to the peer",
		       naddr);
		snprintf(msg, msg_len, "standby: not forwarding, not answering for %zu address(es)",
			 naddr);
		return 0;
	}
	if (L.standby)
		L.takeovers++;
	L.standby = false;
	announce();
	L.announce_left = ANNOUNCE_COUNT - 1;
	L.next_announce = now + ANNOUNCE_GAP_MS * 1000000ull;
	logmsg(LOG_INFO_, "takeover: forwarding; %zu address(es) announced (%u table entries)",
	       naddr, ct_table_count(D.t));
	snprintf(msg, msg_len, "active: forwarding, %zu address(es) announced", naddr);
	return 0;
}

/* ---- receive ---- */

/* Complete a TCP/UDP checksum the sender left to the hardware. */
static void csum_complete(uint8_t *frame, uint32_t len)
{
	struct ct_pkt p;
	uint8_t *l4;
	uint32_t sum, l4len;
	int at;

	if (ct_pkt_parse(&p, frame, len, CT_LINK_ETHERNET) != CT_PARSE_OK || p.is_frag)
		return;
	at = p.proto == 6 ? 16 : p.proto == 17 ? 6 : -1;
	l4len = p.l4_len;
	if (at < 0 || p.l4_off + l4len > len || l4len < (uint32_t)at + 2)
		return;
	l4 = frame + p.l4_off;
	l4[at] = l4[at + 1] = 0;
	if (p.l3num == 2)
		sum = ct_csum_partial(frame + p.l3_off + 12, 8, 0);
	else
		sum = ct_csum_partial(frame + p.l3_off + 8, 32, 0);
	sum = ct_csum_partial((const uint8_t[]){0, p.proto, (uint8_t)(l4len >> 8), (uint8_t)l4len},
			      4, sum);
	sum += l4len >> 16;
	{
		uint16_t c = ct_csum_fold(ct_csum_partial(l4, l4len, sum));

		if (c == 0 && p.proto == 17)
			c = 0xffff;
		put16(l4 + at, c);
	}
}

static void process_frame(struct live_iface *i, const uint8_t *frame, uint32_t len,
			  uint64_t now, bool requeued)
{
	struct fw_result *res = &L.res;
	uint16_t type;

	if (len < 14)
		return;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	if (type == 0x0806) {
		arp_input(i, frame, len, now);
		return;
	}
	if (type == 0x86dd && len > 14 + 40 && frame[14 + 6] == 58 && nd_input(i, frame, len, now))
		return;
	if (L.standby) {
		/* Only neighbours are learned (above), ready for a takeover. */
		L.standby_ignored++;
		return;
	}
	neigh_prepare(i, frame, len, now);
	if (fw_input(L.fw, i->fwidx, frame, len, now, res) < 0)
		return;
	tx_emits(res, now);
	if (res->outcome == FW_DROPPED && res->reason == FW_R_NO_NEIGH && !requeued)
		neigh_miss(i, frame, len, now);
}

/* Walk the retired receive blocks of one interface. */
static void rx_ring(struct live_iface *i)
{
	static uint8_t buf[65536 + 64];

	for (;;) {
		struct tpacket_block_desc *b =
		    (struct tpacket_block_desc *)(i->rx + (size_t)i->rx_cur * RX_BLOCK_SIZE);
		struct tpacket3_hdr *h;
		uint32_t n;
		uint64_t now;

		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		now = clock_ns(CLOCK_MONOTONIC);
		n = b->hdr.bh1.num_pkts;
		h = (struct tpacket3_hdr *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
		for (uint32_t k = 0; k < n; k++) {
			const uint8_t *data = (const uint8_t *)h + h->tp_mac;
			uint32_t len = h->tp_snaplen;

			i->rx_frames++;
			if (h->tp_len > i->mtu + ETH_MAX_HDR || h->tp_len != h->tp_snaplen) {
				i->oversize++; /* a GSO super-frame or a truncated one */
			} else if (h->tp_status & TP_STATUS_CSUMNOTREADY) {
				memcpy(buf, data, len);
				csum_complete(buf, len);
				process_frame(i, buf, len, now, false);
			} else {
				process_frame(i, data, len, now, false);
			}
			h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		i->rx_cur = (i->rx_cur + 1) % RX_BLOCK_NR;
		for (size_t k = 0; k < L.nifc; k++)
			tx_flush(&L.ifc[k]);
		/*
		 * Under a flood this loop does not return to the main poll for
		 * long: the replication messages the block's events queued leave
		 * now, or the sync transmit queue would overflow (and lose
		 * entries), and the peer's ACKs are read before its socket
		 * buffer overflows.
		 */
		if (SYNC) {
			struct pollfd sp[SYNC_POLLFDS];
			size_t ns = sync_service_pollfds(SYNC, sp, SYNC_POLLFDS);

			if (poll(sp, ns, 0) >= 0)
				sync_service_run(SYNC, sp, ns, now);
		}
	}
}

static int iface_query(struct live_iface *i)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->name);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	i->os_index = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		i->mtu = (unsigned)ifr.ifr_mtu;
	else
		i->mtu = 1500;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	memcpy(i->mac, ifr.ifr_hwaddr.sa_data, 6);
	/* Up, and generic receive offload off: the ring must see wire frames. */
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			logmsg(LOG_WARN_, "%s: cannot bring it up: %s", i->name, strerror(errno));
	}
	{
		struct ethtool_value ev = {.cmd = ETHTOOL_SGRO, .data = 0};

		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			logmsg(LOG_DEBUG_, "%s: cannot turn GRO off: %s", i->name, strerror(errno));
	}
out:
	close(fd);
	return err;
}

/* The kernel stays off our interfaces: no IPv6 (no link-local, no ND of its own). */
static void iface_quiet_kernel(const struct live_iface *i)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", i->name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1\n", 2) != 2)
		logmsg(LOG_DEBUG_, "%s: cannot turn the kernel's IPv6 off", i->name);
	if (fd >= 0)
		close(fd);
}

static int iface_open(struct live_iface *i)
{
	struct tpacket_req3 rq;
	struct sockaddr_ll sll;
	int v = TPACKET_V3, one = 1, err;

	err = iface_query(i);
	if (err)
		return err;
	iface_quiet_kernel(i);
	i->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (i->fd < 0)
		return -errno;
	if (setsockopt(i->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0)
		return -errno;
	/* Our own transmissions are not received back. */
	setsockopt(i->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	memset(&rq, 0, sizeof(rq));
	rq.tp_block_size = RX_BLOCK_SIZE;
	rq.tp_block_nr = RX_BLOCK_NR;
	rq.tp_frame_size = TX_FRAME_SIZE;
	rq.tp_frame_nr = RX_BLOCK_SIZE / TX_FRAME_SIZE * RX_BLOCK_NR;
	rq.tp_retire_blk_tov = RX_BLOCK_TOV_MS;
	if (setsockopt(i->fd, SOL_PACKET, PACKET_RX_RING, &rq, sizeof(rq)) < 0)
		return -errno;
	memset(&rq, 0, sizeof(rq));
	rq.tp_block_size = TX_FRAME_SIZE * 64;
	rq.tp_block_nr = TX_FRAME_NR / 64;
	rq.tp_frame_size = TX_FRAME_SIZE;
	rq.tp_frame_nr = TX_FRAME_NR;
	if (setsockopt(i->fd, SOL_PACKET, PACKET_TX_RING, &rq, sizeof(rq)) < 0)
		return -errno;
	i->rx_len = (size_t)RX_BLOCK_SIZE * RX_BLOCK_NR;
	i->tx_len = (size_t)TX_FRAME_SIZE * TX_FRAME_NR;
	i->rx = mmap(NULL, i->rx_len + i->tx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
		     i->fd, 0);
	if (i->rx == MAP_FAILED)
		i->rx = mmap(NULL, i->rx_len + i->tx_len, PROT_READ | PROT_WRITE, MAP_SHARED, i->fd,
			     0);
	if (i->rx == MAP_FAILED) {
		i->rx = NULL;
		return -errno;
	}
	i->tx = i->rx + i->rx_len;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = i->os_index;
	if (bind(i->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

static void iface_close(struct live_iface *i)
{
	if (i->rx)
		munmap(i->rx, i->rx_len + i->tx_len);
	if (i->fd > 0)
		close(i->fd);
}

static void live_stats_log(void)
{
	struct fw_stats st;

	if (!L.fw)
		return;
	fw_get_stats(L.fw, &st);
	logmsg(LOG_INFO_,
	       "stats: in %llu forwarded %llu delivered %llu sent %llu rejected %llu held %llu "
	       "generated %llu; table %u entries; events lost %llu",
	       (unsigned long long)st.in, (unsigned long long)st.forwarded,
	       (unsigned long long)st.delivered, (unsigned long long)st.sent,
	       (unsigned long long)st.rejected, (unsigned long long)st.held,
	       (unsigned long long)st.generated, ct_table_count(D.t),
	       (unsigned long long)D.events_lost);
	for (int r = 1; r < FW_R_MAX; r++)
		if (st.dropped[r])
			logmsg(LOG_INFO_, "stats: dropped %s %llu", fw_reason_name((enum fw_reason)r),
			       (unsigned long long)st.dropped[r]);
	logmsg(LOG_INFO_, "stats: arp in %llu, answered %llu; nd answered %llu; neighbours learned "
			  "%llu; probes broadcast %llu unicast %llu; failed %llu; unresolved drops %llu",
	       (unsigned long long)L.arp_in, (unsigned long long)L.arp_answered,
	       (unsigned long long)L.nd_answered, (unsigned long long)L.neigh_learned,
	       (unsigned long long)L.probes_bcast, (unsigned long long)L.probes_ucast,
	       (unsigned long long)L.nud_failed, (unsigned long long)L.unresolved_drops);
	logmsg(LOG_INFO_, "stats: role %s; takeovers %llu, announcements %llu, ignored as standby %llu",
	       L.standby ? "standby" : "active", (unsigned long long)L.takeovers,
	       (unsigned long long)L.announced, (unsigned long long)L.standby_ignored);
	for (size_t k = 0; k < L.nifc; k++)
		logmsg(LOG_INFO_, "stats: %s rx %llu tx %llu tx-ring-full %llu oversize %llu",
		       L.ifc[k].name, (unsigned long long)L.ifc[k].rx_frames,
		       (unsigned long long)L.ifc[k].tx_frames, (unsigned long long)L.ifc[k].tx_full,
		       (unsigned long long)L.ifc[k].oversize);
}

/* ---- setup ---- */

static int open_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		logmsg(LOG_ERR_, "socket path too long: %s", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			logmsg(LOG_ERR_, "mkdir %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path); /* a stale socket from a previous run */
	/* Created with mode 0600: only root (the owner) may connect. */
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		logmsg(LOG_ERR_, "bind %s: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	chmod(path, 0600);
	return fd;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (cap - n < 4096) {
			char *nb = realloc(b, cap ? cap * 2 : 65536);

			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(b + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int load_include(void *arg, const char *name, char **buf, size_t *len)
{
	(void)arg;
	return read_file(name, buf, len);
}

/*
 * The ruleset file replaces the ruleset, all or nothing: its text runs
 * after a "flush ruleset" in one transaction (so nft's line numbers stay
 * those of the file; columns on line 1 are shifted by the prefix).  A file
 * with an error changes nothing and the old ruleset stays.  Connections are
 * kept either way.
 */
static int ruleset_reload(bool initial)
{
	static const char prefix[] = "flush ruleset; ";
	char *buf, *text, *err = NULL;
	size_t len;
	int rc;

	if (!D.ruleset_path)
		return 0;
	rc = read_file(D.ruleset_path, &buf, &len);
	if (rc) {
		logmsg(LOG_ERR_, "ruleset %s: %s", D.ruleset_path, strerror(-rc));
		return rc;
	}
	text = malloc(sizeof(prefix) + len);
	if (!text) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(text, prefix, sizeof(prefix) - 1);
	memcpy(text + sizeof(prefix) - 1, buf, len + 1);
	free(buf);
	rc = nft_ruleset_apply(D.rs, D.ruleset_path, text, sizeof(prefix) - 1 + len, false, &err);
	free(text);
	if (rc) {
		logmsg(LOG_ERR_, "ruleset %s refused%s:\n%s", D.ruleset_path,
		       initial ? "" : ", the old one stays", err ? err : "(no message)");
		free(err);
		return rc;
	}
	free(err);
	logmsg(LOG_INFO_, "ruleset %s %s", D.ruleset_path, initial ? "loaded" : "reloaded");
	return 0;
}

static void read_signals(void)
{
	struct signalfd_siginfo si;

	while (read(D.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!D.ruleset_path)
				logmsg(LOG_INFO_, "SIGHUP: no ruleset file (-f) to reload");
			else
				ruleset_reload(false);
			continue;
		}
		if (si.ssi_signo == SIGUSR1) {
			live_stats_log();
			continue;
		}
		logmsg(LOG_INFO_, "signal %u: shutting down", si.ssi_signo);
		D.stop = true;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ctrackd [-s SOCKET] [-m MAX] [-o NAME=VALUE]... [-f RULESET] [-c CONFIG]\n"
		"               [--iface NAME[,MAC][,ADDR/PLEN]...]... [--route PREFIX,IFACE[,GW]]...\n"
		"               [--neigh IFACE,ADDR,MAC]... [-Y OPT]... [--standby] [--prefault]\n"
		"               [-v] [-q]\n"
		"  -s SOCKET  control socket (default %s)\n"
		"  -m MAX     nf_conntrack_max (table size)\n"
		"  -o N=V     a setting by sysctl name, e.g. -o nf_conntrack_acct=1 (also --set)\n"
		"  -f FILE    nftables ruleset, reloaded on SIGHUP (all or nothing)\n"
		"  -c FILE    configuration: one option per line, 'iface ...', 'route ...',\n"
		"             'neigh ...', 'set N=V', 'ruleset FILE', 'socket PATH', 'max N'\n"
		"  --iface    an interface ctrackd owns, with its addresses (MAC: the NIC's)\n"
		"  --route    a route (0.0.0.0/0 or ::/0 for the default)\n"
		"  --neigh    a static neighbour\n"
		"  --neigh-timers R,D,T  neighbour reachable, delay-first-probe and retransmit\n"
		"             times in ms (the kernel's 30000,5000,1000)\n"
		"  -Y OPT     state replication with conntrackd's protocol (docs/sync.md),\n"
		"             e.g. -Y mode=ftfw -Y udp=LOCAL,PEER,iface=eth1 (also --sync)\n"
		"  --standby  start as a failover standby: no forwarding, no ARP/ND answers\n"
		"             until `ctrack-sync --takeover` (config: 'role standby')\n"
		"  --prefault fault the whole table (max entries) into memory at start, so that\n"
		"             no packet waits for a page fault (config: 'prefault yes')\n"
		"  -v / -q    more / less logging; SIGUSR1 logs statistics\n"
		"Without --iface ctrackd is a connection-table service only.\n",
		CTL_DEFAULT_SOCK);
}

static void gc_tick(void)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	/*
	 * A standby sends nothing on the shared links: a probe would carry a
	 * shared address as its sender and move the hosts' entries to us.
	 */
	if (L.fw && !L.standby)
		neigh_tick(now);
	if (L.announce_left && now >= L.next_announce) {
		announce();
		L.announce_left--;
		L.next_announce = now + ANNOUNCE_GAP_MS * 1000000ull;
	}
	if (now - D.last_gc < GC_INTERVAL_MS * 1000000ull)
		return;
	D.last_gc = now;
	if (L.fw)
		fw_tick(L.fw, now);
	else
		ct_gc(D.t, now, GC_BUDGET);
}

static void run_loop(void)
{
	struct pollfd pfd[MAX_CLIENTS + MAX_IFACES + 2 + SYNC_POLLFDS];
	const size_t base = 2 + L.nifc;

	while (!D.stop) {
		size_t n = 0;

		pfd[n++] = (struct pollfd){.fd = D.lfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = D.sfd, .events = POLLIN};
		for (size_t i = 0; i < L.nifc; i++)
			pfd[n++] = (struct pollfd){.fd = L.ifc[i].fd, .events = POLLIN};
		for (size_t i = 0; i < D.ncl; i++) {
			short ev = D.cl[i]->closing ? 0 : POLLIN;

			if (pending(D.cl[i]))
				ev |= POLLOUT;
			pfd[n++] = (struct pollfd){.fd = D.cl[i]->fd, .events = ev};
		}
		size_t sync_at = n, nsync = 0;
		int wait_ms = L.nifc ? 100 : GC_INTERVAL_MS;

		if (SYNC) {
			int t = sync_service_timeout_ms(SYNC, clock_ns(CLOCK_MONOTONIC));

			nsync = sync_service_pollfds(SYNC, pfd + n, SYNC_POLLFDS);
			n += nsync;
			if (t >= 0 && t < wait_ms)
				wait_ms = t;
		}
		if (poll(pfd, n, wait_ms) < 0 && errno != EINTR) {
			logmsg(LOG_ERR_, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			read_signals();
		/* The rings are walked every round: a block may be ready without a wakeup. */
		for (size_t i = 0; i < L.nifc; i++)
			rx_ring(&L.ifc[i]);
		if (pfd[0].revents & POLLIN)
			accept_clients();
		/* Clients accepted just now are polled next round. */
		for (size_t i = 0; i + base < n && i < D.ncl; i++) {
			if (pfd[i + base].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(D.cl[i]);
		}
		gc_tick();
		if (SYNC)
			sync_service_run(SYNC, pfd + sync_at, nsync, clock_ns(CLOCK_MONOTONIC));
		for (size_t i = 0; i < L.nifc; i++)
			tx_flush(&L.ifc[i]);
		/* Write (events may have been queued for anyone) and reap. */
		for (size_t i = 0; i < D.ncl;) {
			if (!client_write(D.cl[i]) ||
			    (D.cl[i]->closing && !pending(D.cl[i]))) {
				logmsg(LOG_DEBUG_, "client pid %u gone", D.cl[i]->pid);
				client_free(D.cl[i]);
				D.cl[i] = D.cl[--D.ncl];
				continue;
			}
			i++;
		}
	}
}

/* ---- configuration ---- */

struct config {
	char *sock; /* owned; NULL: the default */
	uint32_t max;
	bool prefault; /* fault the table's memory in at start */
	char *sets[64];
	size_t nsets;
	char *ifaces[MAX_IFACES];
	size_t nifaces;
	char *routes[MAX_ROUTES];
	size_t nroutes;
	char *neighs[256];
	size_t nneighs;
};

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

/* "ADDR" or "ADDR/PLEN"; plen -1 when absent. */
static bool parse_ip(const char *s, uint8_t *l3num, uint8_t addr[16], int *plen)
{
	char buf[128], *slash;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	*plen = -1;
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		long v;

		*slash = '\0';
		v = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v < 0 || v > 128)
			return false;
		*plen = (int)v;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*l3num = 2;
		return *plen <= 32;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*l3num = 10;
		return true;
	}
	return false;
}

static bool cfg_add(char **v, size_t *n, size_t max, const char *arg)
{
	if (*n == max)
		return false;
	v[(*n)++] = strdup(arg);
	return v[*n - 1] != NULL;
}

static int config_line(struct config *c, const char *key, const char *val);

static void config_free(struct config *c)
{
	for (size_t i = 0; i < c->nsets; i++)
		free(c->sets[i]);
	for (size_t i = 0; i < c->nifaces; i++)
		free(c->ifaces[i]);
	for (size_t i = 0; i < c->nroutes; i++)
		free(c->routes[i]);
	for (size_t i = 0; i < c->nneighs; i++)
		free(c->neighs[i]);
	free(c->sock);
	memset(c, 0, sizeof(*c));
}

static int config_file(struct config *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;

	if (!f) {
		logmsg(LOG_ERR_, "config %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *key, *val;

		lineno++;
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		key = p;
		val = p + strcspn(p, " \t");
		if (*val)
			*val++ = '\0';
		val += strspn(val, " \t");
		if (config_line(c, key, val) < 0) {
			logmsg(LOG_ERR_, "config %s:%u: bad line '%s %s'", path, lineno, key, val);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int config_line(struct config *c, const char *key, const char *val)
{
	if (!*val)
		return -1;
	if (strcmp(key, "iface") == 0)
		return cfg_add(c->ifaces, &c->nifaces, MAX_IFACES, val) ? 0 : -1;
	if (strcmp(key, "route") == 0)
		return cfg_add(c->routes, &c->nroutes, MAX_ROUTES, val) ? 0 : -1;
	if (strcmp(key, "neigh") == 0)
		return cfg_add(c->neighs, &c->nneighs, 256, val) ? 0 : -1;
	if (strcmp(key, "set") == 0)
		return cfg_add(c->sets, &c->nsets, 64, val) ? 0 : -1;
	if (strcmp(key, "ruleset") == 0) {
		free(D.ruleset_path);
		D.ruleset_path = strdup(val);
		return D.ruleset_path ? 0 : -1;
	}
	if (strcmp(key, "socket") == 0) {
		free(c->sock);
		c->sock = strdup(val);
		return c->sock ? 0 : -1;
	}
	if (strcmp(key, "neigh-timers") == 0) {
		unsigned long r, d, t;

		if (sscanf(val, "%lu,%lu,%lu", &r, &d, &t) != 3 || !r || !t)
			return -1;
		L.base_reachable_ns = r * 1000000ull;
		L.delay_ns = d * 1000000ull;
		L.retrans_ns = t * 1000000ull;
		return 0;
	}
	if (strcmp(key, "role") == 0) {
		if (strcmp(val, "standby") && strcmp(val, "active"))
			return -1;
		L.standby = strcmp(val, "standby") == 0;
		return 0;
	}
	if (strcmp(key, "max") == 0) {
		c->max = (uint32_t)strtoul(val, NULL, 0);
		return 0;
	}
	if (strcmp(key, "prefault") == 0) {
		if (strcmp(val, "yes") && strcmp(val, "no")) {
			logmsg(LOG_ERR_, "prefault: expected 'yes' or 'no', got '%s'", val);
			return -1;
		}
		c->prefault = strcmp(val, "yes") == 0;
		return 0;
	}
	return -1;
}

/* --iface NAME[,MAC][,ADDR/PLEN...]: open it and declare it to the router. */
static int setup_iface(const char *arg)
{
	char *s = strdup(arg), *save = NULL, *tok;
	struct live_iface *i = &L.ifc[L.nifc];
	bool mac_given = false;
	uint8_t mac[6];
	int idx, err = -1;

	if (!s)
		return -1;
	memset(i, 0, sizeof(*i));
	tok = strtok_r(s, ",", &save);
	if (!tok || strlen(tok) >= FW_IFNAMSIZ) {
		logmsg(LOG_ERR_, "--iface %s: bad interface name", arg);
		goto out;
	}
	snprintf(i->name, sizeof(i->name), "%s", tok);
	err = iface_open(i);
	if (err) {
		logmsg(LOG_ERR_, "--iface %s: %s", arg, strerror(-err));
		iface_close(i);
		err = -1;
		goto out;
	}
	err = -1;
	tok = strtok_r(NULL, ",", &save);
	if (tok && parse_mac(tok, mac)) {
		memcpy(i->mac, mac, 6);
		mac_given = true;
		tok = strtok_r(NULL, ",", &save);
	}
	idx = fw_add_iface(L.fw, i->name, i->mac);
	if (idx < 0) {
		logmsg(LOG_ERR_, "--iface %s: %s", arg, idx == -EEXIST ? "given twice" : "refused");
		iface_close(i);
		goto out;
	}
	i->fwidx = (uint32_t)idx;
	for (; tok; tok = strtok_r(NULL, ",", &save)) {
		struct live_addr *a = &i->addr[i->naddr];
		struct live_route *r = &L.rt[L.nrt];
		int plen;

		if (i->naddr == MAX_ADDRS || L.nrt == MAX_ROUTES ||
		    !parse_ip(tok, &a->l3num, a->addr, &plen) || plen < 0 ||
		    fw_add_addr(L.fw, i->fwidx, a->l3num, a->addr, (uint8_t)plen) < 0) {
			logmsg(LOG_ERR_, "--iface %s: bad address '%s' (expected ADDR/PLEN)", arg, tok);
			L.nifc++; /* closed with the others */
			goto out;
		}
		a->plen = (uint8_t)plen;
		i->naddr++;
		/* The connected route. */
		memset(r, 0, sizeof(*r));
		r->l3num = a->l3num;
		memcpy(r->prefix, a->addr, 16);
		r->plen = a->plen;
		r->fwidx = i->fwidx;
		r->connected = true;
		L.nrt++;
	}
	L.nifc++;
	logmsg(LOG_INFO_, "interface %s (ifindex %d, %02x:%02x:%02x:%02x:%02x:%02x%s, mtu %u), %zu "
			  "address(es)",
	       i->name, i->os_index, i->mac[0], i->mac[1], i->mac[2], i->mac[3], i->mac[4],
	       i->mac[5], mac_given ? " given" : "", i->mtu, i->naddr);
	err = 0;
out:
	free(s);
	return err;
}

static struct live_iface *iface_by_name(const char *name)
{
	for (size_t i = 0; i < L.nifc; i++)
		if (strcmp(L.ifc[i].name, name) == 0)
			return &L.ifc[i];
	return NULL;
}

static int setup_route(const char *arg)
{
	char *s = strdup(arg), *save = NULL;
	char *pfx = s ? strtok_r(s, ",", &save) : NULL, *ifn = strtok_r(NULL, ",", &save);
	char *gw_s = strtok_r(NULL, ",", &save);
	struct live_route *r = &L.rt[L.nrt];
	struct live_iface *i;
	uint8_t gl3;
	int plen, gplen, err = -1;

	memset(r, 0, sizeof(*r));
	if (!pfx || !ifn || L.nrt == MAX_ROUTES || !parse_ip(pfx, &r->l3num, r->prefix, &plen) ||
	    plen < 0 || !(i = iface_by_name(ifn)) ||
	    (gw_s && (!parse_ip(gw_s, &gl3, r->gw, &gplen) || gplen >= 0 || gl3 != r->l3num))) {
		logmsg(LOG_ERR_, "--route %s: expected PREFIX/PLEN,IFACE[,GATEWAY] on an --iface", arg);
		goto out;
	}
	r->plen = (uint8_t)plen;
	r->fwidx = i->fwidx;
	r->has_gw = gw_s != NULL;
	if (fw_add_route(L.fw, r->l3num, r->prefix, r->plen, r->fwidx, gw_s ? r->gw : NULL) < 0) {
		logmsg(LOG_ERR_, "--route %s: refused", arg);
		goto out;
	}
	L.nrt++;
	err = 0;
out:
	free(s);
	return err;
}

static int setup_neigh(const char *arg)
{
	char *s = strdup(arg), *save = NULL;
	char *ifn = s ? strtok_r(s, ",", &save) : NULL, *a = strtok_r(NULL, ",", &save);
	char *m = strtok_r(NULL, ",", &save);
	struct live_iface *i;
	uint8_t l3, addr[16], mac[6];
	int plen, err = -1;

	if (!ifn || !a || !m || !(i = iface_by_name(ifn)) || !parse_ip(a, &l3, addr, &plen) ||
	    plen >= 0 || !parse_mac(m, mac)) {
		logmsg(LOG_ERR_, "--neigh %s: expected IFACE,ADDR,MAC", arg);
		goto out;
	}
	fw_add_neigh(L.fw, i->fwidx, l3, addr, mac);
	{
		struct nb *e = nb_find(i->fwidx, l3, addr, true);

		if (e) {
			e->state = NUD_PERMANENT;
			memcpy(e->mac, mac, 6);
		}
	}
	err = 0;
out:
	free(s);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"socket", 1, 0, 's'}, {"max", 1, 0, 'm'},   {"set", 1, 0, 'o'},
		{"ruleset", 1, 0, 'f'}, {"config", 1, 0, 'c'}, {"iface", 1, 0, 'i'},
		{"route", 1, 0, 'r'},  {"neigh", 1, 0, 'n'}, {"verbose", 0, 0, 'v'},
		{"quiet", 0, 0, 'q'},  {"help", 0, 0, 'h'},  {"sync", 1, 0, 'Y'},
		{"neigh-timers", 1, 0, 'T'}, {"standby", 0, 0, 'S'},
		{"prefault", 0, 0, 'P'},
		{0, 0, 0, 0},
	};
	struct config cf = {0};
	struct ct_table_config cfg = {0};
	int c, rc = 1;
	bool bad = false;
	char *syncopts[64];
	size_t nsyncopts = 0;

	log_journal = getenv("JOURNAL_STREAM") != NULL;
	/* The kernel's defaults: base_reachable_time 30 s, delay_first_probe_time 5 s,
	 * retrans_time 1 s. */
	L.base_reachable_ns = 30 * CT_NSEC_PER_SEC;
	L.delay_ns = 5 * CT_NSEC_PER_SEC;
	L.retrans_ns = CT_NSEC_PER_SEC;
	while ((c = getopt_long(argc, argv, "s:m:o:f:c:i:r:n:Y:vqh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			bad |= config_line(&cf, "socket", optarg) < 0;
			break;
		case 'm':
			cf.max = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			bad |= config_line(&cf, "set", optarg) < 0;
			break;
		case 'f':
			bad |= config_line(&cf, "ruleset", optarg) < 0;
			break;
		case 'c':
			bad |= config_file(&cf, optarg) < 0;
			break;
		case 'i':
			bad |= config_line(&cf, "iface", optarg) < 0;
			break;
		case 'r':
			bad |= config_line(&cf, "route", optarg) < 0;
			break;
		case 'n':
			bad |= config_line(&cf, "neigh", optarg) < 0;
			break;
		case 'T':
			bad |= config_line(&cf, "neigh-timers", optarg) < 0;
			break;
		case 'S':
			bad |= config_line(&cf, "role", "standby") < 0;
			break;
		case 'P':
			cf.prefault = true;
			break;
		case 'Y':
			if (nsyncopts < 64)
				syncopts[nsyncopts++] = optarg;
			break;
		case 'v':
			log_max = LOG_DEBUG_;
			break;
		case 'q':
			log_max = LOG_WARN_;
			break;
		case 'h':
			usage(stdout);
			config_free(&cf);
			return 0;
		default:
			usage(stderr);
			config_free(&cf);
			return 2;
		}
	}
	if (bad || optind < argc) {
		usage(stderr);
		config_free(&cf);
		return 2;
	}
	if (L.standby && (!cf.nifaces || !nsyncopts)) {
		/* Only ctrack-sync --takeover (the -Y control socket) ends a standby. */
		logmsg(LOG_ERR_, "--standby needs --iface and state replication (-Y)");
		config_free(&cf);
		return 2;
	}
	if (!cf.sock && !(cf.sock = strdup(CTL_DEFAULT_SOCK)))
		return 1;
	cfg.max = cf.max;
	cfg.prefault = cf.prefault;
	cfg.event_fn = on_event;
	cfg.exp_event_fn = on_exp_event;
	cfg.wall_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (cf.nifaces) {
		struct fw_config fc = {.ct = cfg};

		if (fw_new(&fc, &L.fw)) {
			logmsg(LOG_ERR_, "cannot allocate the router");
			goto out;
		}
		D.t = fw_ct(L.fw);
		for (size_t i = 0; i < cf.nifaces; i++)
			if (setup_iface(cf.ifaces[i]))
				goto out;
		for (size_t i = 0; i < cf.nroutes; i++)
			if (setup_route(cf.routes[i]))
				goto out;
		for (size_t i = 0; i < cf.nneighs; i++)
			if (setup_neigh(cf.neighs[i]))
				goto out;
	} else if (cf.nroutes || cf.nneighs) {
		logmsg(LOG_ERR_, "--route and --neigh need an --iface");
		goto out;
	} else if (ct_table_new(&cfg, &D.t)) {
		logmsg(LOG_ERR_, "cannot allocate the table");
		goto out;
	}
	{
		struct nft_iface ifs[MAX_IFACES + 1];
		struct nft_config nc = {.load = load_include, .ifaces = ifs};

		ifs[nc.n_ifaces++] = (struct nft_iface){"lo", 1};
		for (size_t i = 0; i < L.nifc; i++)
			ifs[nc.n_ifaces++] = (struct nft_iface){L.ifc[i].name, L.ifc[i].fwidx};
		if (nft_ruleset_new(&nc, &D.rs)) {
			logmsg(LOG_ERR_, "cannot allocate the ruleset");
			goto out;
		}
	}
	if (L.fw)
		fw_set_ruleset(L.fw, D.rs);
	for (size_t i = 0; i < cf.nsets; i++) {
		char *eq = strchr(cf.sets[i], '=');
		int err;

		if (!eq) {
			logmsg(LOG_ERR_, "-o %s: expected NAME=VALUE", cf.sets[i]);
			goto out;
		}
		*eq = '\0';
		err = ct_setting_set(D.t, cf.sets[i], eq + 1);
		if (err) {
			logmsg(LOG_ERR_, "setting %s: %s", cf.sets[i], strerror(-err));
			goto out;
		}
	}
	if (ruleset_reload(true))
		goto out;
	D.sfd = open_signals();
	D.lfd = open_socket(cf.sock);
	if (D.sfd < 0 || D.lfd < 0)
		goto out;
	if (L.nifc)
		logmsg(LOG_INFO_, "%s between %zu interface(s); control socket %s",
		       L.standby ? "standby (not forwarding)" : "forwarding", L.nifc, cf.sock);
	else
		logmsg(LOG_INFO_, "serving the connection table on %s (table service mode)",
		       cf.sock);
	if (nsyncopts) {
		char err[128] = "";

		if (sync_service_new(D.t, &SYNC))
			goto out;
		sync_service_set_role(SYNC, role_hook, NULL, !L.standby);
		for (size_t i = 0; i < nsyncopts; i++) {
			if (sync_service_option(SYNC, syncopts[i])) {
				logmsg(LOG_ERR_, "-Y %s: bad sync option", syncopts[i]);
				goto out;
			}
		}
		if (sync_service_start(SYNC, clock_ns(CLOCK_MONOTONIC), err, sizeof(err))) {
			logmsg(LOG_ERR_, "sync: %s", err);
			goto out;
		}
		logmsg(LOG_INFO_, "state replication running (conntrackd protocol)");
	}
	run_loop();
	if (L.nifc)
		live_stats_log();
	rc = 0;
out:
	for (size_t i = 0; i < D.ncl; i++)
		client_free(D.cl[i]);
	if (D.lfd > 0) {
		close(D.lfd);
		unlink(cf.sock);
	}
	for (size_t i = 0; i < L.nifc; i++)
		iface_close(&L.ifc[i]);
	for (size_t k = 0; k < MAX_PENDING; k++)
		for (size_t j = 0; j < L.pend[k].nq; j++)
			free(L.pend[k].q[j].frame);
	nft_ruleset_free(D.rs);
	sync_service_free(SYNC);
	SYNC = NULL;
	if (L.fw)
		fw_free(L.fw);
	else
		ct_table_free(D.t);
	config_free(&cf);
	free(D.ruleset_path);
	logmsg(LOG_INFO_, "stopped");
	return rc;
}
