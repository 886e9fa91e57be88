/* SPDX-License-Identifier: MIT */
/*
 * ctrackd: the connection-tracking daemon, "table service" mode.
 *
 * It owns one connection table and serves it over a root-only Unix stream
 * socket speaking the control protocol of include/ctrack/ctl.h: `ctrack`
 * (the conntrack drop-in) lists, creates, updates and deletes entries, reads
 * statistics, changes settings by sysctl name, applies rulesets and
 * subscribes to events.  Entries expire by the clock: table time is
 * CLOCK_MONOTONIC, wall-clock timestamps are CLOCK_REALTIME (the offset is
 * taken once at start, as the kernel's ktime_get_real offset).
 *
 * One thread, one poll loop: the listening socket, a signalfd (SIGTERM /
 * SIGINT: clean shutdown; SIGHUP: logged, reload comes with interfaces) and
 * every client.  The table is only touched from this loop, so no locking.
 * Events go into per-client output queues bounded by EVQ_MAX_BYTES; a
 * client that falls behind loses events and is told how many (a LOST
 * message before the next event it does get), as conntrack -E reports a
 * netlink overrun.  A malformed message gets an ERROR reply; a framing error
 * (bad magic/version/length) also closes that connection, since the byte
 * stream cannot be resynchronised.  Neither touches the table.
 *
 *   usage: ctrackd [-s SOCKET] [-m MAX] [-o NAME=VALUE]... [-v] [-q]
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctrack/ct.h"
#include "ctrack/ctl.h"
#include "ctrack/format.h"
#include "ctrack/nft.h"

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
	uint32_t evmask, fmt;
	int32_t tz;
	uint64_t lost;
};

struct daemon {
	struct ct_table *t;
	struct nft_ruleset *rs;
	int lfd, sfd;
	struct client *cl[MAX_CLIENTS];
	size_t ncl;
	struct client *actor; /* the client whose request is running (events are its) */
	uint64_t last_gc;
	uint64_t events_lost;
	bool stop;
};

static struct daemon D;

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

	if (!c->subscribed || !(c->evmask & type) || c->closing)
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

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *conn, uint64_t now)
{
	(void)arg;
	for (size_t i = 0; i < D.ncl; i++)
		queue_event(D.cl[i], type, conn, now);
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
	c->evmask = ctl_has(m, CTL_A_EVMASK) ? m->evmask : 7u;
	/* No expectation events exist yet: an expect subscriber hears nothing. */
	if (m->table == CTL_T_EXPECT)
		c->evmask = 0;
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
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void read_signals(void)
{
	struct signalfd_siginfo si;

	while (read(D.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			logmsg(LOG_INFO_, "SIGHUP: no ruleset file in table-service mode");
			continue;
		}
		logmsg(LOG_INFO_, "signal %u: shutting down", si.ssi_signo);
		D.stop = true;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ctrackd [-s SOCKET] [-m MAX] [-o NAME=VALUE]... [-v] [-q]\n"
		   "  -s SOCKET  control socket (default %s)\n"
		   "  -m MAX     nf_conntrack_max (table size)\n"
		   "  -o N=V     a setting by sysctl name, e.g. -o nf_conntrack_acct=1\n"
		   "  -v / -q    more / less logging\n",
		CTL_DEFAULT_SOCK);
}

static void gc_tick(void)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (now - D.last_gc < GC_INTERVAL_MS * 1000000ull)
		return;
	D.last_gc = now;
	ct_gc(D.t, now, GC_BUDGET);
}

static void run_loop(void)
{
	struct pollfd pfd[MAX_CLIENTS + 2];

	while (!D.stop) {
		size_t n = 0;

		pfd[n++] = (struct pollfd){.fd = D.lfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = D.sfd, .events = POLLIN};
		for (size_t i = 0; i < D.ncl; i++) {
			short ev = D.cl[i]->closing ? 0 : POLLIN;

			if (pending(D.cl[i]))
				ev |= POLLOUT;
			pfd[n++] = (struct pollfd){.fd = D.cl[i]->fd, .events = ev};
		}
		if (poll(pfd, n, GC_INTERVAL_MS) < 0 && errno != EINTR) {
			logmsg(LOG_ERR_, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			read_signals();
		if (pfd[0].revents & POLLIN)
			accept_clients();
		/* Clients accepted just now are polled next round. */
		for (size_t i = 0; i + 2 < n && i < D.ncl; i++) {
			if (pfd[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(D.cl[i]);
		}
		gc_tick();
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

int main(int argc, char **argv)
{
	const char *sock = CTL_DEFAULT_SOCK;
	struct ct_table_config cfg = {0};
	char *sets[64];
	size_t nsets = 0;
	int c, rc = 1;

	log_journal = getenv("JOURNAL_STREAM") != NULL;
	while ((c = getopt(argc, argv, "s:m:o:vqh")) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'm':
			cfg.max = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			if (nsets < 64)
				sets[nsets++] = optarg;
			break;
		case 'v':
			log_max = LOG_DEBUG_;
			break;
		case 'q':
			log_max = LOG_WARN_;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	cfg.event_fn = on_event;
	cfg.wall_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (ct_table_new(&cfg, &D.t) || nft_ruleset_new(NULL, &D.rs)) {
		logmsg(LOG_ERR_, "cannot allocate the table");
		goto out;
	}
	for (size_t i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');
		int err;

		if (!eq) {
			logmsg(LOG_ERR_, "-o %s: expected NAME=VALUE", sets[i]);
			goto out;
		}
		*eq = '\0';
		err = ct_setting_set(D.t, sets[i], eq + 1);
		if (err) {
			logmsg(LOG_ERR_, "setting %s: %s", sets[i], strerror(-err));
			goto out;
		}
	}
	D.sfd = open_signals();
	D.lfd = open_socket(sock);
	if (D.sfd < 0 || D.lfd < 0)
		goto out;
	logmsg(LOG_INFO_, "serving the connection table on %s (table service mode)", sock);
	run_loop();
	rc = 0;
out:
	for (size_t i = 0; i < D.ncl; i++)
		client_free(D.cl[i]);
	if (D.lfd > 0) {
		close(D.lfd);
		unlink(sock);
	}
	nft_ruleset_free(D.rs);
	ct_table_free(D.t);
	logmsg(LOG_INFO_, "stopped");
	return rc;
}
