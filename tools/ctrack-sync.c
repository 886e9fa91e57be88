/* SPDX-License-Identifier: MIT */
/*
 * ctrack-sync: drive ctrackd's state replication as conntrackd's client
 * mode does, so keepalived-style scripts (primary-backup.sh) work with
 * the same letters:
 *
 *   ctrack-sync [-C SOCKET] -c [ct|expect]      commit the external cache
 *               -f [internal|external]           flush caches
 *               -n                               request a resync from the peer
 *               -B                               bulk send our entries
 *               -i [ct] / -e [ct]                dump the internal / external cache
 *               -s                               statistics
 *               --takeover                       failover: commit, then forward and
 *                                                announce the addresses (ctrackd --iface)
 *               --standby                        stop forwarding and answering for them
 *
 * It sends one text command over ctrackd's sync control socket (the -Y
 * control= path, default /run/ctrack/ctrack-sync.sock) and prints the
 * reply until the daemon closes the connection, as conntrackd -C does.
 * Exit status: 0, or 1 when the daemon cannot be reached.
 *
 *   ctrack-sync --bench [N]
 *
 * measures replication without a daemon: an active table creating N
 * connections (default 200000) as fast as it can, its events encoded and
 * sent by an FT-FW node over a loopback UDP socket to a standby node that
 * keeps them in an external cache (ACKs flowing back).  Prints replicated
 * entries per second and the replication lag (creation to arrival in the
 * standby's cache): median, 99th percentile, maximum.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "ctrack/ct.h"
#include "ctrack/sync.h"

#define DEFAULT_SOCK "/run/ctrack/ctrack-sync.sock"

static void usage(FILE *f)
{
	fprintf(f, "usage: ctrack-sync [-C SOCKET] {-c | -f [internal|external] | -n | -B |\n"
		   "                   -i | -e | -s | --takeover | --standby}\n"
		   "       ctrack-sync --bench [N]\n");
}

/* The optional word after a flag (conntrackd's "-c ct", "-f external"). */
static const char *opt_word(int argc, char **argv, int *i, const char *const *words)
{
	if (*i + 1 < argc)
		for (const char *const *w = words; *w; w++)
			if (!strcmp(argv[*i + 1], *w))
				return argv[++*i];
	return NULL;
}

/* ---- --bench ---- */

struct bench_side {
	int fd;
	struct sockaddr_in peer;
	struct sync_node *node;
	struct sync_cache *cache;
};

struct bench {
	struct bench_side a, b;
	struct ct_table *t;
	uint64_t *created; /* creation time per connection (its mark) */
	uint64_t *lag;
	size_t nlag, n;
	uint64_t t_last;
};

static struct bench B;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void b_xmit(void *arg, const uint8_t *buf, size_t len)
{
	struct bench_side *s = arg;

	/* Loopback: a full socket buffer is waited out, never dropped silently. */
	while (sendto(s->fd, buf, len, 0, (struct sockaddr *)&s->peer, sizeof(s->peer)) < 0) {
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};

		if (errno != EAGAIN && errno != ENOBUFS)
			return;
		poll(&p, 1, 10);
	}
}

static void b_ct_standby(void *arg, enum sync_type type, const struct sync_ct *c)
{
	struct bench_side *s = arg;
	uint64_t now = mono_ns();

	(void)type;
	if (sync_cache_update(s->cache, c, now) == 0 && c->mark < B.n && B.created[c->mark]) {
		B.lag[B.nlag++] = now - B.created[c->mark];
		B.created[c->mark] = 0;
		B.t_last = now;
	}
}

static void b_ct_ignore(void *arg, enum sync_type type, const struct sync_ct *c)
{
	(void)arg;
	(void)type;
	(void)c;
}

static void b_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct sync_ct m;

	(void)arg;
	if (type == CT_EVENT_NEW && sync_ct_from_conn(B.t, c, now, true, &m) == 0)
		(void)sync_node_send_ct(B.a.node, SYNC_T_CT_NEW, &m);
}

static int b_socket(struct sockaddr_in *bound)
{
	socklen_t l = sizeof(*bound);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 8 << 20;

	memset(bound, 0, sizeof(*bound));
	bound->sin_family = AF_INET;
	bound->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)bound, sizeof(*bound)) < 0 ||
	    getsockname(fd, (struct sockaddr *)bound, &l) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	return fd;
}

static void b_drain(struct bench_side *s)
{
	uint8_t buf[65536], from[4];
	ssize_t n;

	while ((n = sync_chan_recv(s->fd, buf, sizeof(buf), from)) > 0)
		sync_node_input(s->node, buf, (size_t)n, mono_ns());
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int bench(size_t n)
{
	struct sockaddr_in sa, sb;
	struct sync_config cfg = {
	    .mode = SYNC_MODE_FTFW, .seq_start = 1, .seed = 1, .batch_bytes = 65000};
	struct ct_table_config tc = {.max = (uint32_t)(n + 1024), .event_fn = b_event};
	struct sync_ops oa = {.xmit = b_xmit, .ct = b_ct_ignore, .arg = &B.a};
	struct sync_ops ob = {.xmit = b_xmit, .ct = b_ct_standby, .arg = &B.b};
	uint64_t t0, end;

	B.n = n;
	B.created = calloc(n, sizeof(uint64_t));
	B.lag = calloc(n, sizeof(uint64_t));
	B.a.fd = b_socket(&sa);
	B.b.fd = b_socket(&sb);
	B.a.peer = sb;
	B.b.peer = sa;
	if (!B.created || !B.lag || B.a.fd < 0 || B.b.fd < 0 || ct_table_new(&tc, &B.t) ||
	    sync_node_new(&cfg, &oa, &B.a.node) || sync_node_new(&cfg, &ob, &B.b.node) ||
	    sync_cache_new((uint32_t)n + 1024, &B.b.cache)) {
		fprintf(stderr, "ctrack-sync: bench setup failed\n");
		return 1;
	}
	t0 = mono_ns();
	for (size_t i = 0; i < n;) {
		/* Create a batch at full speed, then let replication run. */
		for (size_t k = 0; k < 256 && i < n; k++, i++) {
			struct ct_conn_spec sp = {.timeout_s = 300,
						  .mark = (uint32_t)i,
						  .status = CT_S_ASSURED | CT_S_SEEN_REPLY,
						  .proto_state = CT_TCP_ESTABLISHED};
			uint64_t now = mono_ns();

			sp.orig = (struct ct_tuple){
			    .src = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i},
			    .dst = {192, 0, 2, 1},
			    .src_l4 = 40000,
			    .dst_l4 = 443,
			    .l3num = 2,
			    .proto = 6};
			B.created[i] = now;
			ct_conn_insert(B.t, &sp, now, NULL);
		}
		sync_node_flush(B.a.node, mono_ns());
		b_drain(&B.b);
		sync_node_flush(B.b.node, mono_ns());
		b_drain(&B.a);
	}
	end = mono_ns() + 5000000000ull;
	while (B.nlag < n && mono_ns() < end) {
		uint64_t now = mono_ns();

		sync_node_flush(B.a.node, now);
		sync_node_tick(B.a.node, now);
		b_drain(&B.b);
		sync_node_tick(B.b.node, now);
		sync_node_flush(B.b.node, now);
		b_drain(&B.a);
	}
	qsort(B.lag, B.nlag, sizeof(uint64_t), cmp_u64);
	printf("sync bench: %zu of %zu entries replicated in %.3f s: %.0f entries/s\n", B.nlag, n,
	       (double)(B.t_last - t0) / 1e9, (double)B.nlag / ((double)(B.t_last - t0) / 1e9));
	if (B.nlag)
		printf("replication lag: median %.1f us, p99 %.1f us, max %.1f us\n",
		       (double)B.lag[B.nlag / 2] / 1e3, (double)B.lag[B.nlag * 99 / 100] / 1e3,
		       (double)B.lag[B.nlag - 1] / 1e3);
	return B.nlag == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const char *const ctexp[] = {"ct", "expect", NULL};
	static const char *const caches[] = {"internal", "external", NULL};
	const char *sock = DEFAULT_SOCK;
	char cmd[64] = "";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[65536];
	ssize_t n;
	int fd;

	if (argc >= 2 && !strcmp(argv[1], "--bench"))
		return bench(argc >= 3 ? strtoul(argv[2], NULL, 10) : 200000);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *w;

		if (!strcmp(a, "-C") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(a, "-c")) {
			w = opt_word(argc, argv, &i, ctexp);
			/* Expectations are not replicated into the table yet: nothing to commit. */
			snprintf(cmd, sizeof(cmd), w && !strcmp(w, "expect") ? "stats" : "commit");
		} else if (!strcmp(a, "-f")) {
			w = opt_word(argc, argv, &i, caches);
			snprintf(cmd, sizeof(cmd), "flush%s%s", w ? " " : "", w ? w : "");
		} else if (!strcmp(a, "-n")) {
			snprintf(cmd, sizeof(cmd), "resync");
		} else if (!strcmp(a, "-B")) {
			snprintf(cmd, sizeof(cmd), "bulk");
		} else if (!strcmp(a, "-i") || !strcmp(a, "-e")) {
			(void)opt_word(argc, argv, &i, ctexp);
			snprintf(cmd, sizeof(cmd), "dump %s",
				 a[1] == 'i' ? "internal" : "external");
		} else if (!strcmp(a, "-s")) {
			snprintf(cmd, sizeof(cmd), "stats");
		} else if (!strcmp(a, "--takeover") || !strcmp(a, "--standby")) {
			snprintf(cmd, sizeof(cmd), "%s", a + 2);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!cmd[0]) {
		usage(stderr);
		return 2;
	}
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctrack-sync: socket path too long\n");
		return 1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
			"ctrack-sync: cannot connect to %s: %s (is ctrackd running with -Y?)\n",
			sock, strerror(errno));
		return 1;
	}
	cmd[strlen(cmd)] = '\n'; /* cmd is NUL-filled past its text: still terminated */
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "ctrack-sync: %s\n", strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}
