/* SPDX-License-Identifier: MIT */
/*
 * The sync service ctrackd runs: glue between the connection table, the
 * replication state machine (ftfw.c), the external cache (cache.c), the
 * channels (udp.c) and the control socket that ctrack-sync talks to.
 *
 * Roles are conntrackd's: every node sends NEW / UPDATE / DESTROY for its
 * own entries (as filtered) and keeps what its peer sends in the external
 * cache, which reaches the table only on a commit (-c), or at once with
 * disable-external-cache.  Entries we insert ourselves (commit, injection)
 * raise table events that must not be echoed back: `injecting` marks them.
 *
 * Time comes in as `now` (CLOCK_MONOTONIC ns, the table's time base).
 * Threading: ctrackd's single loop thread.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctrack/format.h"
#include "ctrack/sync.h"

#define MAX_CHANS     4
#define DGRAM_MAX     65536
#define LINK_CHECK_NS (200 * 1000000ull)
#define TAG_LEN	      8

struct sync_service {
	struct ct_table *t;
	struct sync_config ncfg;
	struct sync_node *node;
	struct sync_cache *ext;
	struct sync_filter filter;
	struct sync_chan_cfg chans[MAX_CHANS];
	int fds[MAX_CHANS];
	size_t nchans, cur;
	char control_path[108];
	int ctl_fd;
	bool no_ext_cache;
	uint32_t commit_timeout_s, hashlimit, cache_timeout_s;
	bool injecting;
	bool keyed;
	uint8_t key[16];
	uint64_t now, last_link_check, next_alarm_sweep;
	/* counters of the service itself (the node counts the protocol) */
	uint64_t send_errors, failovers, unknown_peer, bad_tag, committed, commit_failed, injected,
	    inject_failed;
	uint8_t *dgram;
	/* failover: the daemon's datapath role (NULL fn: no datapath) */
	sync_role_fn role_fn;
	void *role_arg;
	bool active;
	uint64_t takeovers;
};

/* ---- SipHash-2-4 (Aumasson & Bernstein): the optional message tag ---- */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

static uint64_t siphash24(const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t mi = le64(m + i);

		v3 ^= mi;
		SIPROUND;
		SIPROUND;
		v0 ^= mi;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- output buffer for control replies ---- */

struct text {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->p && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *q = realloc(t->p, cap);
		if (!q)
			return;
		t->p = q;
		t->cap = cap;
	}
}

/* ---- node callbacks ---- */

static void on_xmit(void *arg, const uint8_t *buf, size_t len)
{
	struct sync_service *s = arg;
	uint8_t tagged[DGRAM_MAX];

	if (!s->nchans)
		return;
	if (s->keyed && len + TAG_LEN <= sizeof(tagged)) {
		uint64_t tag = siphash24(s->key, buf, len);

		memcpy(tagged, buf, len);
		for (int i = 0; i < TAG_LEN; i++)
			tagged[len + (size_t)i] = (uint8_t)(tag >> (8 * i));
		buf = tagged;
		len += TAG_LEN;
	}
	for (size_t tries = 0; tries < s->nchans; tries++) {
		size_t c = s->cur;
		int err = sync_chan_send(s->fds[c], &s->chans[c], buf, len);

		/* A full socket buffer (a bulk send) is waited out briefly, not a dead link. */
		for (int spin = 0; (err == -EAGAIN || err == -ENOBUFS) && spin < 50; spin++) {
			struct pollfd p = {.fd = s->fds[c], .events = POLLOUT};

			poll(&p, 1, 2);
			err = sync_chan_send(s->fds[c], &s->chans[c], buf, len);
		}
		if (!err)
			return;
		s->send_errors++;
		if (err == -EAGAIN || err == -ENOBUFS || err == -EMSGSIZE)
			return; /* FT-FW recovers it by NACK; NOTRACK/ALARM by the next refresh */
		/* The link is gone (ENETDOWN, ENETUNREACH, ...): fail over, conntrackd-style. */
		s->cur = (s->cur + 1) % s->nchans;
		s->failovers++;
	}
}

static void inject(struct sync_service *s, enum sync_type type, const struct sync_ct *c)
{
	struct ct_conn_spec spec;
	struct ct_conn *conn;

	if (sync_ct_to_spec(c, s->commit_timeout_s ? s->commit_timeout_s : 180, &spec)) {
		s->inject_failed++;
		return;
	}
	s->injecting = true;
	conn = ct_lookup(s->t, &spec.orig, s->now, NULL);
	if (conn)
		ct_conn_delete(s->t, conn, s->now);
	if (type != SYNC_T_CT_DEL) {
		if (ct_conn_insert(s->t, &spec, s->now, &conn))
			s->inject_failed++;
		else
			s->injected++;
	}
	s->injecting = false;
}

static void on_ct(void *arg, enum sync_type type, const struct sync_ct *c)
{
	struct sync_service *s = arg;

	if (s->no_ext_cache) {
		inject(s, type, c);
		return;
	}
	if (type == SYNC_T_CT_DEL)
		(void)sync_cache_delete(s->ext, c);
	else
		(void)sync_cache_update(s->ext, c, s->now);
}

static bool local_passes(struct sync_service *s, const struct ct_conn *c)
{
	struct ct_tuple o, r;

	ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
	ct_conn_tuple(c, CT_DIR_REPLY, &r);
	return sync_filter_pass(&s->filter, &o, &r, ct_conn_proto_state(c));
}

static void send_conn(struct sync_service *s, enum sync_type type, const struct ct_conn *c)
{
	struct sync_ct m;

	if (sync_ct_from_conn(s->t, c, s->now, !s->commit_timeout_s, &m) == 0)
		(void)sync_node_send_ct(s->node, type, &m);
}

/* Bulk send (-B, and a peer's RESYNC): every local entry, as conntrackd's resync_send. */
static size_t bulk_send(struct sync_service *s)
{
	struct ct_iter it;
	const struct ct_conn *c;
	size_t n = 0;

	ct_iter_init(&it);
	while ((c = ct_iter_next(s->t, &it, s->now))) {
		if (!local_passes(s, c))
			continue;
		send_conn(s, SYNC_T_CT_UPD, c);
		n++;
		/* Keep the queue flowing on big tables. */
		if (n % 1024 == 0)
			sync_node_flush(s->node, s->now);
	}
	return n;
}

static void on_resync(void *arg)
{
	bulk_send(arg);
}

/* ---- options ---- */

static int parse_v4(const char *a, uint8_t out[4])
{
	return inet_pton(AF_INET, a, out) == 1 ? 0 : -EINVAL;
}

static int opt_chan(struct sync_service *s, const char *v, bool mcast)
{
	char buf[256], *save = NULL, *tok;
	struct sync_chan_cfg *c;
	int i = 0;

	if (s->nchans == MAX_CHANS || strlen(v) >= sizeof(buf))
		return -EINVAL;
	c = &s->chans[s->nchans];
	memset(c, 0, sizeof(*c));
	c->mcast = mcast;
	c->port = 3780;
	c->checksum = true;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
		if (i == 0 && parse_v4(tok, mcast ? c->peer : c->local))
			return -EINVAL;
		else if (i == 1 && parse_v4(tok, mcast ? c->local : c->peer))
			return -EINVAL;
		else if (i < 2)
			continue;
		else if (!strncmp(tok, "port=", 5))
			c->port = (uint16_t)strtoul(tok + 5, NULL, 10);
		else if (!strncmp(tok, "iface=", 6))
			snprintf(c->iface, sizeof(c->iface), "%s", tok + 6);
		else if (!strcmp(tok, "checksum=off"))
			c->checksum = false;
		else if (!strcmp(tok, "checksum=on"))
			c->checksum = true;
		else if (!strncmp(tok, "sndbuf=", 7))
			c->sndbuf = atoi(tok + 7);
		else if (!strncmp(tok, "rcvbuf=", 7))
			c->rcvbuf = atoi(tok + 7);
		else if (!strcmp(tok, "default"))
			c->is_default = true;
		else
			return -EINVAL;
	}
	if (i < 2)
		return -EINVAL;
	if (c->is_default)
		s->cur = s->nchans;
	s->nchans++;
	return 0;
}

static const char *const tcp_state_names[] = {
    "NONE",	  "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",	  "SYN_SENT2",
};

static int proto_num(const char *n)
{
	static const struct {
		const char *name;
		int num;
	} p[] = {
	    {"tcp", 6},	   {"udp", 17},	 {"icmp", 1},	   {"icmpv6", 58},
	    {"sctp", 132}, {"dccp", 33}, {"udplite", 136}, {"gre", 47},
	};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (!strcasecmp(n, p[i].name))
			return p[i].num;
	return -1;
}

/* "accept:a,b,c" or "ignore:a,b,c": calls item() for each. */
static int opt_list(const char *v, bool *accept, int (*item)(struct sync_service *, const char *),
		    struct sync_service *s)
{
	char buf[1024], *save = NULL, *tok;

	if (!strncmp(v, "accept:", 7))
		*accept = true;
	else if (!strncmp(v, "ignore:", 7))
		*accept = false;
	else
		return -EINVAL;
	if (strlen(v + 7) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v + 7);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (item(s, tok))
			return -EINVAL;
	return 0;
}

static int item_proto(struct sync_service *s, const char *n)
{
	int p = proto_num(n);

	if (p < 0)
		return -EINVAL;
	s->filter.proto_set = true;
	s->filter.protos[p / 64] |= 1ull << (p % 64);
	return 0;
}

static int item_addr(struct sync_service *s, const char *n)
{
	struct sync_filter_net *net;
	char a[64], *slash;

	if (s->filter.nnets == sizeof(s->filter.nets) / sizeof(s->filter.nets[0]) ||
	    strlen(n) >= sizeof(a))
		return -EINVAL;
	net = &s->filter.nets[s->filter.nnets];
	memset(net, 0, sizeof(*net));
	snprintf(a, sizeof(a), "%s", n);
	slash = strchr(a, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, a, net->addr) == 1) {
		net->l3num = 2;
		net->plen = 32;
	} else if (inet_pton(AF_INET6, a, net->addr) == 1) {
		net->l3num = 10;
		net->plen = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		unsigned long p = strtoul(slash + 1, NULL, 10);

		if (p > net->plen)
			return -EINVAL;
		net->plen = (uint8_t)p;
	}
	s->filter.nnets++;
	return 0;
}

static int item_state(struct sync_service *s, const char *n)
{
	for (unsigned i = 0; i < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]); i++)
		if (!strcasecmp(n, tcp_state_names[i])) {
			s->filter.tcp_states |= 1u << i;
			return 0;
		}
	return -EINVAL;
}

static int opt_key(struct sync_service *s, const char *hex)
{
	if (strlen(hex) != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		s->key[i] = (uint8_t)v;
	}
	s->keyed = true;
	return 0;
}

int sync_service_option(struct sync_service *s, const char *o)
{
	const char *v = strchr(o, '=');
	size_t kl = v ? (size_t)(v - o) : strlen(o);

	v = v ? v + 1 : "";
#define KEY(k) (kl == strlen(k) && !strncmp(o, k, kl))
	if (KEY("mode")) {
		if (!strcasecmp(v, "ftfw"))
			s->ncfg.mode = SYNC_MODE_FTFW;
		else if (!strcasecmp(v, "notrack"))
			s->ncfg.mode = SYNC_MODE_NOTRACK;
		else if (!strcasecmp(v, "alarm"))
			s->ncfg.mode = SYNC_MODE_ALARM;
		else
			return -EINVAL;
		return 0;
	}
	if (KEY("udp"))
		return opt_chan(s, v, false);
	if (KEY("mcast"))
		return opt_chan(s, v, true);
	if (KEY("filter-proto"))
		return opt_list(v, &s->filter.proto_accept, item_proto, s);
	if (KEY("filter-addr"))
		return opt_list(v, &s->filter.net_accept, item_addr, s);
	if (KEY("filter-state"))
		return opt_list(v, &s->filter.state_accept, item_state, s);
	if (KEY("control")) {
		if (strlen(v) >= sizeof(s->control_path))
			return -EINVAL;
		snprintf(s->control_path, sizeof(s->control_path), "%s", v);
		return 0;
	}
	if (KEY("disable-external-cache")) {
		s->no_ext_cache = true;
		return 0;
	}
	if (KEY("key"))
		return opt_key(s, v);
	if (KEY("commit-timeout") || KEY("resend-queue") || KEY("ack-window") || KEY("refresh") ||
	    KEY("cache-timeout") || KEY("hashlimit")) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (!*v || *end || n > UINT32_MAX)
			return -EINVAL;
		if (KEY("commit-timeout"))
			s->commit_timeout_s = (uint32_t)n;
		else if (KEY("resend-queue"))
			s->ncfg.resend_queue_size = (uint32_t)n;
		else if (KEY("ack-window"))
			s->ncfg.ack_window = (uint32_t)n;
		else if (KEY("refresh"))
			s->ncfg.refresh_s = (uint32_t)n;
		else if (KEY("cache-timeout"))
			s->cache_timeout_s = (uint32_t)n;
		else
			s->hashlimit = (uint32_t)n;
		return 0;
	}
#undef KEY
	return -EINVAL;
}

/* ---- lifetime ---- */

int sync_service_new(struct ct_table *t, struct sync_service **out)
{
	struct sync_service *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->t = t;
	s->ctl_fd = -1;
	for (int i = 0; i < MAX_CHANS; i++)
		s->fds[i] = -1;
	snprintf(s->control_path, sizeof(s->control_path), "/run/ctrack/ctrack-sync.sock");
	s->cache_timeout_s = 180;
	*out = s;
	return 0;
}

void sync_service_free(struct sync_service *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < MAX_CHANS; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	if (s->ctl_fd >= 0) {
		close(s->ctl_fd);
		unlink(s->control_path);
	}
	sync_node_free(s->node);
	sync_cache_free(s->ext);
	free(s->dgram);
	free(s);
}

static int open_control(struct sync_service *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd;

	memcpy(sa.sun_path, s->control_path, strlen(s->control_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(s->control_path);
	old = umask(0177); /* root only, as ctrackd's own socket */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		umask(old);
		close(fd);
		return err;
	}
	umask(old);
	s->ctl_fd = fd;
	return 0;
}

int sync_service_start(struct sync_service *s, uint64_t now, char *err_text, size_t err_len)
{
	struct sync_ops ops = {.xmit = on_xmit, .ct = on_ct, .resync = on_resync, .arg = s};
	int err;

	s->now = now;
	if (!s->nchans) {
		snprintf(err_text, err_len, "no channel (udp= or mcast=)");
		return -EINVAL;
	}
	/* Messages are packed up to the default link's MTU - 28 (IPv4 + UDP), as conntrackd. */
	int mtu = sync_chan_mtu(&s->chans[s->cur]);

	if (mtu > 28 + TAG_LEN + 256)
		s->ncfg.batch_bytes = (uint32_t)mtu - 28 - (s->keyed ? TAG_LEN : 0);
	else if (s->keyed)
		s->ncfg.batch_bytes = 1500 - 28 - TAG_LEN;
	/* conntrackd starts its sequence at time(NULL); any start is valid, ours varies too. */
	s->ncfg.seq_start = (uint32_t)(now / 1000000ull);
	s->ncfg.seed = now | 1;
	err = sync_node_new(&s->ncfg, &ops, &s->node);
	if (!err)
		err = sync_cache_new(s->hashlimit, &s->ext);
	s->dgram = malloc(DGRAM_MAX);
	if (err || !s->dgram) {
		snprintf(err_text, err_len, "out of memory");
		return err ? err : -ENOMEM;
	}
	for (size_t i = 0; i < s->nchans; i++) {
		s->fds[i] = sync_chan_open(&s->chans[i]);
		if (s->fds[i] < 0) {
			err = s->fds[i];
			snprintf(err_text, err_len, "channel %zu: %s", i, strerror(-err));
			return err;
		}
	}
	err = open_control(s);
	if (err) {
		snprintf(err_text, err_len, "control socket %s: %s", s->control_path,
			 strerror(-err));
		return err;
	}
	s->next_alarm_sweep = sync_node_alarm_next(s->node, now);
	return 0;
}

/* ---- events in ---- */

void sync_service_event(struct sync_service *s, enum ct_event_type type, const struct ct_conn *c,
			uint64_t now)
{
	if (!s || !s->node || s->injecting)
		return;
	s->now = now;
	if (!local_passes(s, c))
		return;
	send_conn(s,
		  type == CT_EVENT_NEW	     ? SYNC_T_CT_NEW
		  : type == CT_EVENT_DESTROY ? SYNC_T_CT_DEL
					     : SYNC_T_CT_UPD,
		  c);
}

/* ---- control commands (ctrack-sync) ---- */

static void fmt_ext(struct text *o, const struct sync_ct *c)
{
	char src[64], dst[64];
	int af = c->orig.l3num == 10 ? AF_INET6 : AF_INET;

	inet_ntop(af, c->orig.src, src, sizeof(src));
	inet_ntop(af, c->orig.dst, dst, sizeof(dst));
	tprintf(o, "%-8s %u ", ct_proto_name(c->orig.l4proto), c->orig.l4proto);
	if (sync_ct_has(c, SYNC_A_TCP_STATE))
		tprintf(o, "%s ", ct_tcp_state_name(c->tcp_state));
	tprintf(o, "src=%s dst=%s ", src, dst);
	if (sync_ct_has(c, SYNC_A_PORT))
		tprintf(o, "sport=%u dport=%u ", c->orig.sport, c->orig.dport);
	if (sync_ct_has(c, SYNC_A_ICMP_TYPE))
		tprintf(o, "type=%u code=%u id=%u ", c->icmp_type, c->icmp_code, c->icmp_id);
	if (c->status & CT_S_ASSURED)
		tprintf(o, "[ASSURED] ");
	if (c->mark)
		tprintf(o, "mark=%u ", c->mark);
	if (sync_ct_has(c, SYNC_A_ZONE))
		tprintf(o, "zone=%u ", c->zone);
	o->len--; /* the trailing space */
	tprintf(o, "\n");
}

static void cmd_dump(struct sync_service *s, struct text *o, bool external)
{
	if (external) {
		uint32_t pos = 0;
		const struct sync_ct *c;

		while ((c = sync_cache_next(s->ext, &pos)))
			fmt_ext(o, c);
		return;
	}
	struct ct_iter it;
	const struct ct_conn *c;
	struct ct_fmt_opts fo = {.now = s->now};
	char line[1024];

	ct_iter_init(&it);
	while ((c = ct_iter_next(s->t, &it, s->now)))
		if (local_passes(s, c) && ct_format_conn(s->t, c, &fo, line, sizeof(line)) > 0)
			tprintf(o, "%s\n", line);
}

static void cmd_commit(struct sync_service *s, struct text *o)
{
	uint32_t pos = 0;
	const struct sync_ct *c;
	uint64_t ok = s->injected, bad = s->inject_failed;

	while ((c = sync_cache_next(s->ext, &pos)))
		inject(s, SYNC_T_CT_UPD, c);
	s->committed += s->injected - ok;
	s->commit_failed += s->inject_failed - bad;
	tprintf(o, "committed %llu entries (%llu failed)\n", (unsigned long long)(s->injected - ok),
		(unsigned long long)(s->inject_failed - bad));
}

/*
 * Failover (keepalived's notify scripts call it): the external cache goes
 * into the table before the datapath starts forwarding, so the first
 * packet of every replicated connection finds its entry (an unknown
 * mid-stream packet would be `ct state new` and meet the ruleset's policy).
 */
static void cmd_role(struct sync_service *s, struct text *o, bool active)
{
	char msg[256] = "";
	int err;

	if (active)
		cmd_commit(s, o);
	if (!s->role_fn) {
		tprintf(o, "no datapath: role unchanged\n");
		return;
	}
	err = s->role_fn(s->role_arg, active, msg, sizeof(msg));
	if (err) {
		tprintf(o, "role change refused: %s\n", msg[0] ? msg : strerror(-err));
		return;
	}
	if (active && !s->active)
		s->takeovers++;
	s->active = active;
	tprintf(o, "%s\n", msg[0] ? msg : active ? "active" : "standby");
}

void sync_service_set_role(struct sync_service *s, sync_role_fn fn, void *arg, bool active)
{
	s->role_fn = fn;
	s->role_arg = arg;
	s->active = active;
}

static void cmd_stats(struct sync_service *s, struct text *o)
{
	struct sync_stats st;
	struct sync_cache_stats cs;
	static const char *const modes[] = {"FTFW", "NOTRACK", "ALARM"};

	sync_node_stats(s->node, &st);
	sync_cache_stats(s->ext, &cs);
	tprintf(o, "cache internal (connection table):\ncurrent active connections:\t%10u\n\n",
		ct_table_count(s->t));
	tprintf(o,
		"cache external:\ncurrent active connections:\t%10llu\n"
		"connections created:\t\t%10llu\tfailed:\t%10llu\n"
		"connections updated:\t\t%10llu\n"
		"connections destroyed:\t\t%10llu\texpired:\t%10llu\n\n",
		(unsigned long long)cs.active, (unsigned long long)cs.created,
		(unsigned long long)cs.full, (unsigned long long)cs.updated,
		(unsigned long long)cs.destroyed, (unsigned long long)cs.expired);
	if (s->role_fn)
		tprintf(o, "role %s, takeovers %llu\n", s->active ? "active" : "standby",
			(unsigned long long)s->takeovers);
	tprintf(o, "mode %s, channel %zu of %zu active (%s), failovers %llu, send errors %llu\n",
		modes[s->ncfg.mode], s->cur, s->nchans,
		s->chans[s->cur].mcast ? "multicast" : "udp", (unsigned long long)s->failovers,
		(unsigned long long)s->send_errors);
	tprintf(o,
		"network: %llu msgs sent (%llu dgrams, %llu bytes), %llu msgs recv (%llu bytes)\n",
		(unsigned long long)st.msg_sent, (unsigned long long)st.dgram_sent,
		(unsigned long long)st.bytes_sent, (unsigned long long)st.msg_rcv,
		(unsigned long long)st.bytes_rcv);
	tprintf(o,
		"message tracking: %llu lost, %llu before, %llu acks/%llu nacks sent, "
		"%llu acks/%llu nacks recv, %llu resent, %llu superseded\n",
		(unsigned long long)st.lost, (unsigned long long)st.before,
		(unsigned long long)st.acks_sent, (unsigned long long)st.nacks_sent,
		(unsigned long long)st.acks_rcv, (unsigned long long)st.nacks_rcv,
		(unsigned long long)st.resent, (unsigned long long)st.superseded);
	tprintf(o, "malformed:");
	for (int i = 0; i < SYNC_DROP_MAX_; i++)
		tprintf(o, " %s=%llu", sync_drop_name((enum sync_drop)i),
			(unsigned long long)st.drop[i]);
	tprintf(o, " unknown-peer=%llu bad-tag=%llu\n", (unsigned long long)s->unknown_peer,
		(unsigned long long)s->bad_tag);
	tprintf(o, "rsqueue: %u, txqueue: %u, purged %llu, overflow %llu\n", st.rs_len, st.tx_len,
		(unsigned long long)st.rs_purged, (unsigned long long)st.tx_overflow);
	tprintf(o,
		"injected %llu (%llu failed), committed %llu (%llu failed), resyncs served %llu\n",
		(unsigned long long)s->injected, (unsigned long long)s->inject_failed,
		(unsigned long long)s->committed, (unsigned long long)s->commit_failed,
		(unsigned long long)st.resync_rcv);
}

static void run_command(struct sync_service *s, char *cmd, struct text *o)
{
	char *arg = strchr(cmd, ' ');

	cmd[strcspn(cmd, "\r\n")] = '\0';
	if (arg)
		*arg++ = '\0';
	if (!strcmp(cmd, "commit")) {
		cmd_commit(s, o);
	} else if (!strcmp(cmd, "flush")) {
		/* conntrackd -f: both caches by default; the internal one is the table here. */
		if (!arg || !strcmp(arg, "external"))
			sync_cache_flush(s->ext);
		if (arg && !strcmp(arg, "internal"))
			sync_node_rs_clear(s->node);
		tprintf(o, "flushed\n");
	} else if (!strcmp(cmd, "resync")) {
		int err = sync_node_request_resync(s->node);

		tprintf(o, err ? "resync not available in this mode\n" : "resync requested\n");
	} else if (!strcmp(cmd, "bulk")) {
		tprintf(o, "sent %zu entries\n", bulk_send(s));
	} else if (!strcmp(cmd, "dump")) {
		cmd_dump(s, o, arg && !strcmp(arg, "external"));
	} else if (!strcmp(cmd, "takeover")) {
		cmd_role(s, o, true);
	} else if (!strcmp(cmd, "standby")) {
		cmd_role(s, o, false);
	} else if (!strcmp(cmd, "stats")) {
		cmd_stats(s, o);
	} else {
		tprintf(o, "unknown command\n");
	}
}

static void serve_control(struct sync_service *s)
{
	for (;;) {
		int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		struct text o = {0};
		struct pollfd p;
		char cmd[256];
		ssize_t n;

		if (fd < 0)
			return;
		/* One short command, sent at once by ctrack-sync: wait for it briefly. */
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		n = poll(&p, 1, 1000) == 1 ? recv(fd, cmd, sizeof(cmd) - 1, 0) : -1;
		if (n > 0) {
			cmd[n] = '\0';
			run_command(s, cmd, &o);
			sync_node_flush(s->node, s->now);
			for (size_t off = 0; o.p && off < o.len;) {
				ssize_t w = send(fd, o.p + off, o.len - off, MSG_NOSIGNAL);

				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
		free(o.p);
		close(fd);
	}
}

/* ---- the loop ---- */

size_t sync_service_pollfds(const struct sync_service *s, struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nchans && n < max; i++)
		pfd[n++] = (struct pollfd){.fd = s->fds[i], .events = POLLIN};
	if (s->ctl_fd >= 0 && n < max)
		pfd[n++] = (struct pollfd){.fd = s->ctl_fd, .events = POLLIN};
	return n;
}

static void read_chan(struct sync_service *s, size_t i)
{
	uint8_t from[4];
	ssize_t n;

	while ((n = sync_chan_recv(s->fds[i], s->dgram, DGRAM_MAX, from)) > 0) {
		size_t len = (size_t)n;

		/* Unicast: only the configured peer may feed us. */
		if (!s->chans[i].mcast && memcmp(from, s->chans[i].peer, 4)) {
			s->unknown_peer++;
			continue;
		}
		if (s->keyed) {
			uint64_t tag, got = 0;

			if (len < TAG_LEN + SYNC_HDR_LEN) {
				s->bad_tag++;
				continue;
			}
			len -= TAG_LEN;
			tag = siphash24(s->key, s->dgram, len);
			for (int b = 0; b < TAG_LEN; b++)
				got |= (uint64_t)s->dgram[len + (size_t)b] << (8 * b);
			if (got != tag) {
				s->bad_tag++;
				continue;
			}
		}
		/* conntrackd moves to the channel data arrives on. */
		s->cur = i;
		sync_node_input(s->node, s->dgram, len, s->now);
	}
}

static void check_links(struct sync_service *s)
{
	if (s->now - s->last_link_check < LINK_CHECK_NS)
		return;
	s->last_link_check = s->now;
	if (sync_chan_link_up(&s->chans[s->cur]))
		return;
	for (size_t k = 1; k < s->nchans; k++) {
		size_t c = (s->cur + k) % s->nchans;

		if (sync_chan_link_up(&s->chans[c])) {
			s->cur = c;
			s->failovers++;
			return;
		}
	}
}

void sync_service_run(struct sync_service *s, const struct pollfd *pfd, size_t n, uint64_t now)
{
	s->now = now;
	for (size_t i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLERR)))
			continue;
		if (pfd[i].fd == s->ctl_fd) {
			serve_control(s);
			continue;
		}
		for (size_t c = 0; c < s->nchans; c++)
			if (pfd[i].fd == s->fds[c])
				read_chan(s, c);
	}
	check_links(s);
	if (s->ncfg.mode == SYNC_MODE_ALARM) {
		if (now >= s->next_alarm_sweep) {
			bulk_send(s);
			s->next_alarm_sweep = sync_node_alarm_next(s->node, now);
		}
		sync_cache_expire(s->ext, now, (uint64_t)s->cache_timeout_s * 1000000000ull);
	}
	sync_node_flush(s->node, now);
	if (now >= sync_node_deadline(s->node))
		sync_node_tick(s->node, now);
}

int sync_service_timeout_ms(const struct sync_service *s, uint64_t now)
{
	struct sync_stats st;
	uint64_t d;

	if (!s || !s->node)
		return -1;
	sync_node_stats(s->node, &st);
	if (st.tx_len)
		return 0;
	d = sync_node_deadline(s->node);
	if (s->ncfg.mode == SYNC_MODE_ALARM)
		d = s->next_alarm_sweep;
	if (d <= now)
		return 0;
	d = (d - now) / 1000000ull + 1;
	return d > 1000 ? 1000 : (int)d;
}
