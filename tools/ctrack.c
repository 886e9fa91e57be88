/* SPDX-License-Identifier: MIT */
/*
 * ctrack: the `conntrack` command of conntrack-tools 1.4.7, talking to
 * ctrackd instead of the kernel (spec: conntrack-cli.md).  Same options,
 * same stdout, same stderr summary and error lines, same exit codes, so
 * that it can be installed under the name `conntrack`.
 *
 * How it maps onto ctrackd: -L/-D/-U dump the table (each entry comes with
 * its attributes and its line already formatted by ct_format_conn), filter
 * here with conntrack's own rules (the kernel-side dump filters for mark,
 * status and family, then nfct_filter), and send one DELETE or UPDATE per
 * matching entry; -I/-A/-G are one request; -E subscribes.  The socket is
 * $CTRACK_SOCKET or /run/ctrack/ctrackd.sock (-S is taken by conntrack).
 *
 * The option tables below restate conntrack's documented command/option
 * matrix (0 illegal, 1 required, 2 optional, 3 "either the original or the
 * reply pair").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctrack/ct.h"
#include "ctrack/ctl.h"
#include "ctrack/expect.h"
#include "ctrack/format.h"

#define PROG "conntrack"
#define VERSION "1.4.7"

/* ---- commands and options, in conntrack's numbering ---- */

enum cmd {
	C_LIST, C_CREATE, C_UPDATE, C_DELETE, C_GET, C_FLUSH, C_EVENT, C_VERSION, C_HELP,
	X_LIST, X_CREATE, X_DELETE, X_GET, X_FLUSH, X_EVENT, C_COUNT, X_COUNT, C_STATS,
	X_STATS, C_ADD, N_CMD
};

enum opt {
	O_SRC, O_DST, O_RSRC, O_RDST, O_PROTO, O_TIMEOUT, O_STATUS, O_ZERO, O_EVMASK,
	O_TSRC, O_TDST, O_MSRC, O_MDST, O_NATRANGE, O_MARK, O_ID, O_FAMILY, O_SNAT, O_DNAT,
	O_OUTPUT, O_SECMARK, O_BUFSIZE, O_ANYNAT, O_ZONE, O_LABEL, O_LADD, O_LDEL, O_OZONE,
	O_RZONE, N_OPT
};

static const char *const opt_name[N_OPT] = {
	"src", "dst", "reply-src", "reply-dst", "protonum", "timeout", "status", "zero",
	"event-mask", "tuple-src", "tuple-dst", "mask-src", "mask-dst", "nat-range", "mark", "id",
	"family", "src-nat", "dst-nat", "output", "secmark", "buffer-size", "any-nat", "zone",
	"label", "label-add", "label-del", "orig-zone", "reply-zone",
};

/* Command x option legality (conntrack's commands_v_options). */
static const char cmd_opt[N_CMD][N_OPT + 1] = {
	/*              sdrqptuze[]{}amifngocbjwl<>() */
	[C_LIST] =     "22222022000220202222202220022",
	[C_CREATE] =   "33331120000002200220000202022",
	[C_UPDATE] =   "22222220000220222222000022200",
	[C_DELETE] =   "22222220000220222222000220022",
	[C_GET] =      "33331000000000020002000020000",
	[C_FLUSH] =    "00000000000000002000000000000",
	[C_EVENT] =    "22222000200220202222222220022",
	[C_VERSION] =  "00000000000000000000000000000",
	[C_HELP] =     "00002000000000000000000000000",
	[X_LIST] =     "00000000000000002002000000000",
	[X_CREATE] =   "11221120011110000000000000000",
	[X_DELETE] =   "11221000000000000000000000000",
	[X_GET] =      "11221000000000000000000000000",
	[X_FLUSH] =    "00000000000000000000000000000",
	[X_EVENT] =    "00000000000000000002000000000",
	[C_COUNT] =    "00000000000000000000000000000",
	[X_COUNT] =    "00000000000000000000000000000",
	[C_STATS] =    "00000000000000000000000000000",
	[X_STATS] =    "00000000000000000000000000000",
	[C_ADD] =      "33331120000002200220000202022",
};

static const char *const exit_msg[N_CMD] = {
	[C_LIST] = "%d flow entries have been shown.\n",
	[C_CREATE] = "%d flow entries have been created.\n",
	[C_UPDATE] = "%d flow entries have been updated.\n",
	[C_DELETE] = "%d flow entries have been deleted.\n",
	[C_GET] = "%d flow entries have been shown.\n",
	[C_EVENT] = "%d flow events have been shown.\n",
	[X_LIST] = "%d expectations have been shown.\n",
	[X_EVENT] = "%d expectation events have been shown.\n",
	[X_DELETE] = "%d expectations have been shown.\n",
	[C_ADD] = "%d flow entries have been added.\n",
};

/* ---- protocol extensions ---- */

enum l4kind { L4_PORTS, L4_ICMP, L4_ICMPV6, L4_GRE, L4_NONE };

/* Protocol option ids (the getopt value is PROTO_OFF + id). */
enum l4opt {
	P_SPORT = 1, P_DPORT, P_RSPORT, P_RDPORT, P_MSPORT, P_MDPORT, P_TSPORT, P_TDPORT,
	P_STATE, P_ITYPE, P_ICODE, P_IID, P_OVTAG, P_RVTAG, P_ROLE, P_MAX
};
#define PROTO_OFF 256

struct l4proto {
	const char *name;
	uint8_t num;
	enum l4kind kind;
	const struct option *opts;
	/* Legality per command of the options in `order` (same encoding). */
	const char *order; /* enum l4opt ids as chars 'a' + id */
	const char *const *names; /* option names in `order`, for messages */
	const char *matrix[N_CMD];
	const char *pair_msg[2];
};

#define PO(n, id) {n, 1, 0, PROTO_OFF + (id)}
static const struct option tcp_opts[] = {
	PO("orig-port-src", P_SPORT), PO("sport", P_SPORT), PO("orig-port-dst", P_DPORT),
	PO("dport", P_DPORT), PO("reply-port-src", P_RSPORT), PO("reply-port-dst", P_RDPORT),
	PO("mask-port-src", P_MSPORT), PO("mask-port-dst", P_MDPORT), PO("state", P_STATE),
	PO("tuple-port-src", P_TSPORT), PO("tuple-port-dst", P_TDPORT), {0, 0, 0, 0},
};
static const struct option udp_opts[] = {
	PO("orig-port-src", P_SPORT), PO("sport", P_SPORT), PO("orig-port-dst", P_DPORT),
	PO("dport", P_DPORT), PO("reply-port-src", P_RSPORT), PO("reply-port-dst", P_RDPORT),
	PO("mask-port-src", P_MSPORT), PO("mask-port-dst", P_MDPORT),
	PO("tuple-port-src", P_TSPORT), PO("tuple-port-dst", P_TDPORT), {0, 0, 0, 0},
};
static const struct option sctp_opts[] = {
	PO("orig-port-src", P_SPORT), PO("sport", P_SPORT), PO("orig-port-dst", P_DPORT),
	PO("dport", P_DPORT), PO("reply-port-src", P_RSPORT), PO("reply-port-dst", P_RDPORT),
	PO("mask-port-src", P_MSPORT), PO("mask-port-dst", P_MDPORT), PO("state", P_STATE),
	PO("tuple-port-src", P_TSPORT), PO("tuple-port-dst", P_TDPORT),
	PO("orig-vtag", P_OVTAG), PO("reply-vtag", P_RVTAG), {0, 0, 0, 0},
};
static const struct option dccp_opts[] = {
	PO("orig-port-src", P_SPORT), PO("sport", P_SPORT), PO("orig-port-dst", P_DPORT),
	PO("dport", P_DPORT), PO("reply-port-src", P_RSPORT), PO("reply-port-dst", P_RDPORT),
	PO("mask-port-src", P_MSPORT), PO("mask-port-dst", P_MDPORT), PO("state", P_STATE),
	PO("tuple-port-src", P_TSPORT), PO("tuple-port-dst", P_TDPORT), PO("role", P_ROLE),
	{0, 0, 0, 0},
};
static const struct option icmp_opts[] = {
	PO("icmp-type", P_ITYPE), PO("icmp-code", P_ICODE), PO("icmp-id", P_IID), {0, 0, 0, 0},
};
static const struct option icmpv6_opts[] = {
	PO("icmpv6-type", P_ITYPE), PO("icmpv6-code", P_ICODE), PO("icmpv6-id", P_IID),
	{0, 0, 0, 0},
};
static const struct option gre_opts[] = {
	PO("orig-key-src", P_SPORT), PO("srckey", P_SPORT), PO("orig-key-dst", P_DPORT),
	PO("dstkey", P_DPORT), PO("reply-key-src", P_RSPORT), PO("reply-key-dst", P_RDPORT),
	PO("mask-key-src", P_MSPORT), PO("mask-key-dst", P_MDPORT),
	PO("tuple-key-src", P_TSPORT), PO("tuple-key-dst", P_TDPORT), {0, 0, 0, 0},
};
static const struct option no_opts[] = {{0, 0, 0, 0}};

static const char *const port_names[] = {"sport", "dport", "reply-port-src", "reply-port-dst",
					  "mask-port-src", "mask-port-dst", "state",
					  "tuple-port-src", "tuple-port-dst"};
static const char *const icmp_names[] = {"icmp-type", "icmp-code", "icmp-id"};
static const char *const icmpv6_names[] = {"icmpv6-type", "icmpv6-code", "icmpv6-id"};
static const char *const gre_names[] = {"srckey", "dstkey", "reply-key-src", "reply-key-dst",
					 "mask-key-src", "mask-key-dst", "tuple-key-src",
					 "tuple-key-dst"};

#define PORT_ORDER "bcdefgjhi" /* sport dport rsport rdport msport mdport state tsport tdport */
#define PORT_MATRIX(state_create)                                                    \
	{                                                                             \
		[C_LIST] = "222200200", [C_CREATE] = "333300" state_create "00",        \
		[C_UPDATE] = "222200200", [C_DELETE] = "222200200", [C_GET] = "333300200", \
		[C_EVENT] = "222200200", [X_CREATE] = "110011011", [X_DELETE] = "111100000", \
		[X_GET] = "111100000", [C_ADD] = "333300" state_create "00",            \
	}

static const struct l4proto protos[] = {
	{"tcp", 6, L4_PORTS, tcp_opts, PORT_ORDER, port_names, PORT_MATRIX("1"),
	 {"you have to specify `--sport' and `--dport'",
	  "you have to specify `--reply-src-port' and `--reply-dst-port'"}},
	{"udp", 17, L4_PORTS, udp_opts, "bcdefghi", (const char *const[]){"sport", "dport",
	 "reply-port-src", "reply-port-dst", "mask-port-src", "mask-port-dst",
	 "tuple-port-src", "tuple-port-dst"},
	 {[C_LIST] = "22220000", [C_CREATE] = "33330000", [C_UPDATE] = "22220000",
	  [C_DELETE] = "22220000", [C_GET] = "33330000", [C_EVENT] = "22220000",
	  [X_CREATE] = "11001111", [X_DELETE] = "11110000", [X_GET] = "11110000",
	  [C_ADD] = "33330000"},
	 {"you have to specify `--sport' and `--dport'",
	  "you have to specify `--reply-src-port' and `--reply-dst-port'"}},
	{"udplite", 136, L4_PORTS, udp_opts, "bcdefghi", (const char *const[]){"sport", "dport",
	 "reply-port-src", "reply-port-dst", "mask-port-src", "mask-port-dst",
	 "tuple-port-src", "tuple-port-dst"},
	 {[C_LIST] = "22220000", [C_CREATE] = "33330000", [C_UPDATE] = "22220000",
	  [C_DELETE] = "22220000", [C_GET] = "33330000", [C_EVENT] = "22220000",
	  [X_CREATE] = "11001111", [X_DELETE] = "11110000", [X_GET] = "11110000",
	  [C_ADD] = "33330000"},
	 {"you have to specify `--sport' and `--dport'",
	  "you have to specify `--reply-src-port' and `--reply-dst-port'"}},
	{"sctp", 132, L4_PORTS, sctp_opts, PORT_ORDER "no", (const char *const[]){"sport", "dport",
	 "reply-port-src", "reply-port-dst", "mask-port-src", "mask-port-dst", "state",
	 "tuple-port-src", "tuple-port-dst", "orig-vtag", "reply-vtag"},
	 {[C_LIST] = "22220020022", [C_CREATE] = "33330010011", [C_UPDATE] = "22220020022",
	  [C_DELETE] = "22220020022", [C_GET] = "33330020022", [C_EVENT] = "22220020022",
	  [X_CREATE] = "11001101100", [X_DELETE] = "11110000000", [X_GET] = "11110000000",
	  [C_ADD] = "33330010011"},
	 {"you have to specify `--sport' and `--dport'",
	  "you have to specify `--reply-src-port' and `--reply-dst-port'"}},
	{"dccp", 33, L4_PORTS, dccp_opts, PORT_ORDER "p", (const char *const[]){"sport", "dport",
	 "reply-port-src", "reply-port-dst", "mask-port-src", "mask-port-dst", "state",
	 "tuple-port-src", "tuple-port-dst", "role"},
	 {[C_LIST] = "2222002002", [C_CREATE] = "3333001002", [C_UPDATE] = "2222002002",
	  [C_DELETE] = "2222002002", [C_GET] = "3333002002", [C_EVENT] = "2222002002",
	  [X_CREATE] = "1100110110", [X_DELETE] = "1111000000", [X_GET] = "1111000000",
	  [C_ADD] = "3333001002"},
	 {"you have to specify `--sport' and `--dport'",
	  "you have to specify `--reply-src-port' and `--reply-dst-port'"}},
	{"icmp", 1, L4_ICMP, icmp_opts, "klm", icmp_names,
	 {[C_LIST] = "222", [C_CREATE] = "112", [C_UPDATE] = "222", [C_DELETE] = "222",
	  [C_GET] = "112", [C_EVENT] = "222", [X_CREATE] = "112", [X_DELETE] = "112",
	  [X_GET] = "112", [C_ADD] = "112"},
	 {NULL, NULL}},
	{"icmpv6", 58, L4_ICMPV6, icmpv6_opts, "klm", icmpv6_names,
	 {[C_LIST] = "222", [C_CREATE] = "112", [C_UPDATE] = "222", [C_DELETE] = "222",
	  [C_GET] = "112", [C_EVENT] = "222", [X_CREATE] = "112", [X_DELETE] = "112",
	  [X_GET] = "112", [C_ADD] = "112"},
	 {NULL, NULL}},
	{"gre", 47, L4_GRE, gre_opts, "bcdefghi", gre_names,
	 {[C_LIST] = "22220000", [C_CREATE] = "33330000", [C_UPDATE] = "22220000",
	  [C_DELETE] = "22220000", [C_GET] = "33330000", [C_EVENT] = "22220000",
	  [X_CREATE] = "11001111", [X_DELETE] = "11110000", [X_GET] = "11110000",
	  [C_ADD] = "33330000"},
	 {"you have to specify `--srckey' and `--dstkey'",
	  "you have to specify `--reply-src-key' and `--reply-dst-key'"}},
};
static const struct l4proto proto_unknown = {"unknown", 0, L4_NONE, no_opts, "", NULL,
					     {NULL}, {NULL, NULL}};

/* ---- the parsed command ---- */

struct addr {
	uint8_t a[16];
	int family;
};

struct req {
	enum cmd cmd;
	unsigned command; /* bit per enum cmd */
	int table;
	uint32_t options; /* bit per enum opt */
	int family;
	const struct l4proto *l4;
	uint8_t proto;
	uint32_t l4flags; /* bit per enum l4opt */
	struct addr src, dst, rsrc, rdst;
	uint8_t smask[16], dmask[16];
	bool smasked, dmasked;
	struct addr snat, dnat;
	bool snat_addr, dnat_addr, snat_port_set, dnat_port_set;
	uint16_t snat_port, dnat_port;
	uint32_t timeout;
	uint32_t status, status_fmask, status_fval;
	uint32_t mark, mark_mask;
	uint32_t id, secmark;
	uint16_t zone, ozone, rzone;
	unsigned event_mask, output;
	uint16_t sport, dport, rsport, rdport;
	/* expectations: --tuple-src/dst, --mask-src/dst and their ports */
	struct addr tsrc, tdst, msrc, mdst;
	uint16_t tsport, tdport, msport, mdport;
	uint8_t state;
	uint8_t itype, icode;
	uint16_t iid;
	uint32_t vtag[2];
	uint64_t label_filter[2], label_mod[2];
	bool label_del_all;
};

enum { OUT_XML = 1, OUT_EXT = 2, OUT_TMS = 4, OUT_ID = 8, OUT_KTMS = 16, OUT_CL = 32,
       OUT_SAVE = 64 };
enum { EV_NEW = 1, EV_UPD = 2, EV_DEL = 4 };

static int counter;
static struct ct_labelmap labelmap;
static bool labelmap_loaded;

static uint32_t bit(int n)
{
	return 1u << n;
}

/* ---- errors, conntrack's wording ---- */

__attribute__((noreturn, format(printf, 2, 3))) static void exit_error(int status,
								       const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s v%s (conntrack-tools): ", PROG, VERSION);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (status == 2)
		fprintf(stderr, "Try `%s -h' or '%s --help' for more information.\n", PROG, PROG);
	exit(status);
}

#define PARAMETER_PROBLEM 2
#define OTHER_PROBLEM 1

static const char *err2str(int err, enum cmd cmd)
{
	switch (err) {
	case EINVAL:
		return "invalid parameters";
	case EEXIST:
		if (cmd == C_CREATE)
			return "Such conntrack exists, try -U to update";
		break;
	case ENOENT:
		if (cmd == C_CREATE || cmd == C_GET || cmd == C_DELETE || cmd == C_ADD)
			return "such conntrack doesn't exist";
		if (cmd == X_CREATE)
			return "master conntrack not found";
		break;
	case ENOMEM:
		if (cmd == C_CREATE || cmd == C_GET || cmd == C_ADD)
			return "not enough memory";
		break;
	case EAFNOSUPPORT:
		if (cmd == C_GET)
			return "protocol not supported";
		break;
	case EPERM:
		return "sorry, you must be root or get CAP_NET_ADMIN capability to do this";
	}
	return strerror(err);
}

/* ---- the connection to ctrackd ---- */

static volatile sig_atomic_t ev_stop; /* -E: SIGINT/SIGTERM seen */
static int sock_fd = -1;
static uint32_t next_seq = 1;
static uint8_t *rbuf;
static size_t rlen, rcap;

static void daemon_connect(void)
{
	const char *path = getenv("CTRACK_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (!path || !*path)
		path = CTL_DEFAULT_SOCK;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock_fd < 0 || connect(sock_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* conntrack fails here when it cannot open its netlink socket. */
		fprintf(stderr, "ctrack: cannot connect to ctrackd at %s: %s\n", path,
			strerror(errno));
		exit_error(OTHER_PROBLEM, "Can't open handler");
	}
}

static void send_buf(struct ctl_buf *b)
{
	size_t off = 0;

	if (ctl_msg_end(b))
		exit_error(OTHER_PROBLEM, "out of memory");
	while (off < b->len) {
		ssize_t n = send(sock_fd, b->data + off, b->len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			exit_error(OTHER_PROBLEM, "Operation failed: %s", strerror(errno));
		}
		off += (size_t)n;
	}
	ctl_buf_reset(b);
}

/* Next message from the daemon (valid until the next call); false at EOF. */
static bool recv_msg(struct ctl_msg *m)
{
	static size_t consumed;
	uint32_t n;

	if (consumed) {
		memmove(rbuf, rbuf + consumed, rlen - consumed);
		rlen -= consumed;
		consumed = 0;
	}
	for (;;) {
		int err = rlen ? ctl_frame(rbuf, rlen, &n) : -EAGAIN;

		if (err && err != -EAGAIN)
			exit_error(OTHER_PROBLEM, "Operation failed: %s", strerror(-err));
		if (!err && n <= rlen)
			break;
		if (rcap - rlen < 65536) {
			rcap = rcap ? rcap * 2 : 131072;
			rbuf = realloc(rbuf, rcap);
			if (!rbuf)
				exit_error(OTHER_PROBLEM, "out of memory");
		}
		ssize_t r = recv(sock_fd, rbuf + rlen, rcap - rlen, 0);
		if (r < 0 && errno == EINTR && !ev_stop)
			continue;
		if (r <= 0)
			return false;
		rlen += (size_t)r;
	}
	if (ctl_decode(rbuf, n, m))
		exit_error(OTHER_PROBLEM, "Operation failed: %s", strerror(EBADMSG));
	consumed = n;
	return true;
}

static void begin(struct ctl_buf *b, enum ctl_type t)
{
	ctl_msg_begin(b, t, next_seq++);
}

/* ---- parsing helpers ---- */

static void set_family(int *family, int f)
{
	if (*family == AF_UNSPEC)
		*family = f;
	else if (*family != f)
		exit_error(PARAMETER_PROBLEM, "mismatched address family");
}

/* IPv4 the inet_aton way (so "1", "1.2" and hex are addresses), else IPv6. */
static int parse_inet(const char *s, uint8_t out[16])
{
	struct in_addr a4;
	struct in6_addr a6;

	memset(out, 0, 16);
	if (inet_aton(s, &a4)) {
		memcpy(out, &a4, 4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6) > 0) {
		memcpy(out, &a6, 16);
		return AF_INET6;
	}
	return AF_UNSPEC;
}

static void build_mask(uint8_t m[16], int bits, int family)
{
	int total = family == AF_INET ? 4 : 16;

	memset(m, 0, 16);
	for (int i = 0; i < total; i++) {
		int b = bits - 8 * i;

		m[i] = b >= 8 ? 0xff : b > 0 ? (uint8_t)(0xff << (8 - b)) : 0;
	}
}

static void parse_addr_opt(struct req *r, int opt, const char *arg, struct addr *out,
			   bool cidr_ok, uint8_t *mask, bool *masked)
{
	char buf[INET6_ADDRSTRLEN];
	char *slash, *end;
	long bits = -1;
	int fam;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	if (slash) {
		bits = strtol(slash + 1, &end, 10);
		if (bits < 0 || *end)
			bits = -2;
		*slash = '\0';
	}
	fam = parse_inet(buf, out->a);
	if (fam == AF_UNSPEC)
		exit_error(PARAMETER_PROBLEM, "Invalid IP address `%s'", arg);
	if ((fam == AF_INET && bits > 32) || (fam == AF_INET6 && bits > 128))
		bits = -2;
	out->family = fam;
	set_family(&r->family, fam);
	if (bits != -1 && !cidr_ok)
		exit_error(PARAMETER_PROBLEM, "CIDR notation unavailable for `--%s'", opt_name[opt]);
	if (bits == -2)
		exit_error(PARAMETER_PROBLEM, "Invalid netmask");
	r->options |= bit(opt);
	if (bits >= 0 && mask && bits != (fam == AF_INET ? 32 : 128)) {
		build_mask(mask, (int)bits, fam);
		*masked = true;
		r->options |= bit(opt == O_SRC ? O_MSRC : O_MDST);
	}
}

/* conntrack's comma lists with prefix matching (strncasecmp over the token). */
static bool match_word(const char *tok, size_t len, const char *const *words, size_t n,
		       size_t *idx)
{
	for (size_t i = 0; i < n; i++) {
		if (strncasecmp(tok, words[i], len) == 0) {
			*idx = i;
			return true;
		}
	}
	return false;
}

static bool nat_word(const char *tok, size_t len)
{
	if (strncasecmp(tok, "SRC_NAT", len) == 0) {
		fprintf(stderr, "WARNING: ignoring SRC_NAT, use --src-nat instead\n");
		return true;
	}
	if (strncasecmp(tok, "DST_NAT", len) == 0) {
		fprintf(stderr, "WARNING: ignoring DST_NAT, use --dst-nat instead\n");
		return true;
	}
	return false;
}

static void parse_list(const char *arg, const char *const *words, const unsigned *vals,
		       size_t n, unsigned *out)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t i;

		if (len == 0)
			exit_error(PARAMETER_PROBLEM, "Bad parameter `%s'", p);
		if (!nat_word(p, len)) {
			if (!match_word(p, len, words, n, &i))
				exit_error(PARAMETER_PROBLEM, "Bad parameter `%s'", p);
			*out |= vals[i];
		}
		if (!comma)
			break;
		p = comma + 1;
	}
}

static const char *const status_words[] = {"ASSURED", "SEEN_REPLY", "UNSET", "FIXED_TIMEOUT",
					   "EXPECTED", "OFFLOAD", "HW_OFFLOAD"};
static const unsigned status_vals[] = {CT_S_ASSURED, CT_S_SEEN_REPLY, 0, CT_S_FIXED_TIMEOUT,
				       CT_S_EXPECTED, CT_S_OFFLOAD, CT_S_HW_OFFLOAD};

/* -u: NAME sets, !NAME goes to the filter mask, UNREPLIED = !SEEN_REPLY. */
static void parse_status(const char *arg, uint32_t *status, uint32_t *mask)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		bool neg;
		size_t len, i;

		if (comma == p)
			exit_error(PARAMETER_PROBLEM, "Bad parameter `%s'", p);
		neg = *p == '!';
		if (neg)
			p++;
		if (comma && comma == p)
			exit_error(PARAMETER_PROBLEM, "Bad parameter `%s'", p);
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!neg && strncmp(p, "UNREPLIED", 9) == 0) {
			*mask |= CT_S_SEEN_REPLY;
		} else {
			if (len == 0)
				exit_error(PARAMETER_PROBLEM, "Bad parameter `%s'", p);
			if (!nat_word(p, len)) {
				if (!match_word(p, len, status_words, 7, &i))
					exit_error(PARAMETER_PROBLEM, "Bad parameter `%s'", p);
				*(neg ? mask : status) |= status_vals[i];
			}
		}
		if (!comma)
			break;
		p = comma + 1;
	}
}

static void labelmap_init(void)
{
	FILE *f = fopen("/etc/xtables/connlabel.conf", "r");
	char line[256];

	if (labelmap_loaded)
		return;
	labelmap_loaded = true;
	if (!f) {
		fprintf(stderr, "nfct_labelmap_new: %s\n", strerror(errno));
		labelmap_loaded = false;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end, *name;
		unsigned long b = strtoul(line, &end, 0);

		if (end == line || b >= 128)
			continue;
		name = end + strspn(end, " \t");
		name[strcspn(name, " \t\r\n")] = '\0';
		if (*name && !labelmap.names[b])
			labelmap.names[b] = strdup(name);
	}
	fclose(f);
}

static void parse_labels(char *arg, uint64_t out[2])
{
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		int b = -1;

		for (int i = 0; i < 128 && labelmap_loaded; i++)
			if (labelmap.names[i] && strcmp(labelmap.names[i], tok) == 0)
				b = i;
		if (b < 0)
			exit_error(PARAMETER_PROBLEM, "unknown label '%s'", tok);
		out[b / 64] |= 1ull << (b % 64);
	}
}

static const struct l4proto *find_proto(const char *name, uint8_t *num)
{
	struct protoent *pe;
	unsigned long v;
	char *end;

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcasecmp(protos[i].name, name) == 0) {
			*num = protos[i].num;
			return &protos[i];
		}
	}
	pe = getprotobyname(name);
	if (pe) {
		*num = (uint8_t)pe->p_proto;
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (protos[i].num == *num)
				return &proto_unknown; /* by /etc/protocols alias: no options */
		return &proto_unknown;
	}
	errno = 0;
	v = strtoul(name, &end, 0);
	if (end == name || *end || v > 255)
		return NULL;
	*num = (uint8_t)v;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].num == *num)
			return &protos[i];
	return &proto_unknown;
}

static char *optional_arg(int argc, char **argv)
{
	if (optarg)
		return optarg;
	if (optind < argc && argv[optind][0] != '-' && argv[optind][0] != '!')
		return argv[optind++];
	return NULL;
}

enum { T_CONNTRACK, T_EXPECT, T_DYING, T_UNCONFIRMED };

static int check_type(int argc, char **argv)
{
	const char *t = optional_arg(argc, argv);
	size_t n;

	if (!t)
		return T_CONNTRACK;
	n = strlen(t);
	if (strncmp("expect", t, n) == 0)
		return T_EXPECT;
	if (strncmp("conntrack", t, n) == 0)
		return T_CONNTRACK;
	if (strncmp("dying", t, n) == 0)
		return T_DYING;
	if (strncmp("unconfirmed", t, n) == 0)
		return T_UNCONFIRMED;
	exit_error(PARAMETER_PROBLEM, "unknown type `%s'", t);
}

static const struct option base_opts[] = {
	{"dump", 2, 0, 'L'}, {"create", 2, 0, 'I'}, {"add", 2, 0, 'A'}, {"delete", 2, 0, 'D'},
	{"update", 2, 0, 'U'}, {"get", 2, 0, 'G'}, {"flush", 2, 0, 'F'}, {"event", 2, 0, 'E'},
	{"counter", 2, 0, 'C'}, {"stats", 0, 0, 'S'}, {"version", 0, 0, 'V'},
	{"help", 0, 0, 'h'}, {"orig-src", 1, 0, 's'}, {"src", 1, 0, 's'},
	{"orig-dst", 1, 0, 'd'}, {"dst", 1, 0, 'd'}, {"reply-src", 1, 0, 'r'},
	{"reply-dst", 1, 0, 'q'}, {"protonum", 1, 0, 'p'}, {"timeout", 1, 0, 't'},
	{"status", 1, 0, 'u'}, {"zero", 0, 0, 'z'}, {"event-mask", 1, 0, 'e'},
	{"tuple-src", 1, 0, '['}, {"tuple-dst", 1, 0, ']'}, {"mask-src", 1, 0, '{'},
	{"mask-dst", 1, 0, '}'}, {"nat-range", 1, 0, 'a'}, {"mark", 1, 0, 'm'},
	{"secmark", 1, 0, 'c'}, {"id", 2, 0, 'i'}, {"family", 1, 0, 'f'},
	{"src-nat", 2, 0, 'n'}, {"dst-nat", 2, 0, 'g'}, {"output", 1, 0, 'o'},
	{"buffer-size", 1, 0, 'b'}, {"any-nat", 2, 0, 'j'}, {"zone", 1, 0, 'w'},
	{"label", 1, 0, 'l'}, {"label-add", 1, 0, '<'}, {"label-del", 2, 0, '>'},
	{"orig-zone", 1, 0, '('}, {"reply-zone", 1, 0, ')'}, {0, 0, 0, 0},
};
#define N_BASE (sizeof(base_opts) / sizeof(base_opts[0]) - 1)

static const char getopt_str[] = ":LIUDGEFAhVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::g::c:b:C::Sj::w:l:<:>::(:):";

static const char *long_name(const struct option *o, int val)
{
	for (; o->name; o++)
		if (o->val == val)
			return o->name;
	return "unknown";
}

static void add_command(struct req *r, enum cmd c)
{
	if (r->command)
		exit_error(PARAMETER_PROBLEM, "Invalid commands combination");
	r->command = bit(c);
	r->cmd = c;
}

static void nat_opt(struct req *r, int c, char *arg)
{
	char *colon, *addr = arg, *port = NULL;
	char tmp[INET6_ADDRSTRLEN + 8];
	struct addr a;

	snprintf(tmp, sizeof(tmp), "%s", arg);
	if ((colon = strchr(tmp, '[')) != NULL) {
		char *close = strchr(colon + 1, ']');

		if (close == colon + 1)
			exit_error(PARAMETER_PROBLEM, "No IPv6 address specified");
		if (!close)
			exit_error(PARAMETER_PROBLEM, "No closing ']' around IPv6 address");
		*close = '\0';
		addr = colon + 1;
		if (close[1] == ':')
			port = close + 2;
	} else if ((colon = strchr(tmp, ':')) != NULL && !strchr(colon + 1, ':')) {
		*colon = '\0';
		addr = tmp;
		port = colon + 1;
	} else {
		addr = tmp;
	}
	if (port) {
		if (!*port)
			exit_error(PARAMETER_PROBLEM, "No port specified after `:'");
		for (const char *p = port; *p; p++)
			if (!isdigit((unsigned char)*p) || strtol(port, NULL, 10) > 65535)
				exit_error(PARAMETER_PROBLEM, "Invalid port `%s'", port);
	}
	memset(&a, 0, sizeof(a));
	parse_addr_opt(r, c == 'n' ? O_SNAT : c == 'g' ? O_DNAT : O_ANYNAT, addr, &a, false,
		       NULL, NULL);
	if (c == 'n' || c == 'j') {
		r->snat = a;
		r->snat_addr = true;
		if (port) {
			r->snat_port_set = true;
			r->snat_port = (uint16_t)atoi(port);
		}
	}
	if (c == 'g' || c == 'j') {
		r->dnat = a;
		r->dnat_addr = true;
		if (port) {
			r->dnat_port_set = true;
			r->dnat_port = (uint16_t)atoi(port);
		}
	}
}

static const char *const tcp_states[] = {"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED",
					 "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
					 "CLOSE", "SYN_SENT2"};
static const char *const sctp_states[] = {"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED",
					  "ESTABLISHED", "SHUTDOWN_SENT", "SHUTDOWN_RECD",
					  "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT"};

static void proto_opt(struct req *r, int id, const char *arg)
{
	r->l4flags |= bit(id);
	switch (id) {
	case P_SPORT:
		r->sport = (uint16_t)atoi(arg);
		break;
	case P_DPORT:
		r->dport = (uint16_t)atoi(arg);
		break;
	case P_RSPORT:
		r->rsport = (uint16_t)atoi(arg);
		break;
	case P_RDPORT:
		r->rdport = (uint16_t)atoi(arg);
		break;
	case P_TSPORT:
		r->tsport = (uint16_t)atoi(arg);
		break;
	case P_TDPORT:
		r->tdport = (uint16_t)atoi(arg);
		break;
	case P_MSPORT:
		r->msport = (uint16_t)atoi(arg);
		break;
	case P_MDPORT:
		r->mdport = (uint16_t)atoi(arg);
		break;
	case P_STATE:
		if (r->l4->num == 6) {
			size_t i;

			for (i = 0; i < 10 && strcmp(arg, tcp_states[i]); i++)
				;
			if (strcmp(arg, "LISTEN") == 0)
				i = CT_TCP_SYN_SENT2;
			else if (i == 10)
				exit_error(PARAMETER_PROBLEM, "unknown TCP state `%s'", arg);
			r->state = (uint8_t)i;
		} else if (r->l4->num == 132) {
			size_t i;

			for (i = 0; i < 9 && strcmp(arg, sctp_states[i]); i++)
				;
			if (i == 9)
				exit_error(PARAMETER_PROBLEM, "unknown SCTP state `%s'", arg);
			r->state = (uint8_t)i;
		}
		break;
	case P_ITYPE:
		r->itype = (uint8_t)atoi(arg);
		break;
	case P_ICODE:
		r->icode = (uint8_t)atoi(arg);
		break;
	case P_IID:
		r->iid = (uint16_t)atoi(arg);
		break;
	case P_OVTAG:
	case P_RVTAG:
		r->vtag[id == P_RVTAG] = (uint32_t)strtoul(arg, NULL, 0);
		break;
	default:
		break;
	}
}

/* The protocol's own option matrix and pairing rule (its final_check). */
static void proto_check(struct req *r)
{
	const struct l4proto *p = r->l4;
	const char *row = p->matrix[r->cmd];
	size_t n = strlen(p->order);
	bool special = false;

	for (size_t i = 0; i < n; i++) {
		int id = p->order[i] - 'a';
		char v = row ? row[i] : '0';
		bool given = r->l4flags & bit(id);

		if (!given && v == '1')
			exit_error(PARAMETER_PROBLEM, "You need to supply the `--%s' option for this command",
				   p->names[i]);
		if (given && v == '0')
			exit_error(PARAMETER_PROBLEM, "Illegal option `--%s' with this command",
				   p->names[i]);
		if (v == '3')
			special = true;
	}
	if (special && p->pair_msg[0]) {
		uint32_t o = bit(P_SPORT) | bit(P_DPORT), rp = bit(P_RSPORT) | bit(P_RDPORT);

		if ((r->l4flags & o) != o && (r->l4flags & rp) != rp) {
			bool partial_reply = !(r->l4flags & o) && (r->l4flags & rp);

			exit_error(PARAMETER_PROBLEM, "%s", p->pair_msg[partial_reply]);
		}
	}
}

static void generic_check(struct req *r)
{
	const char *row = cmd_opt[r->cmd];
	bool special = false;

	for (int i = 0; i < N_OPT; i++) {
		bool given = r->options & bit(i);

		if (!given && row[i] == '1')
			exit_error(PARAMETER_PROBLEM, "You need to supply the `--%s' option for this command",
				   opt_name[i]);
		if (given && row[i] == '0')
			exit_error(PARAMETER_PROBLEM, "Illegal option `--%s' with this command",
				   opt_name[i]);
		if (row[i] == '3')
			special = true;
	}
	if (special) {
		uint32_t o = bit(O_SRC) | bit(O_DST), rp = bit(O_RSRC) | bit(O_RDST);

		if ((r->options & o) != o && (r->options & rp) != rp) {
			if (!(r->options & o) && (r->options & rp))
				exit_error(PARAMETER_PROBLEM,
					   "you have to specify `--reply-src' and `--reply-dst'");
			exit_error(PARAMETER_PROBLEM, "you have to specify `--src' and `--dst'");
		}
	}
}

static void usage(const char *prog)
{
	printf("Command line interface for the connection tracking system. Version %s\n", VERSION);
	printf("Usage: %s [commands] [options]\n", prog);
	printf("\nCommands:\n"
	       "  -L [table] [options]\t\tList conntrack or expectation table\n"
	       "  -G [table] parameters\t\tGet conntrack or expectation\n"
	       "  -D [table] parameters\t\tDelete conntrack or expectation\n"
	       "  -I [table] parameters\t\tCreate a conntrack or expectation\n"
	       "  -U [table] parameters\t\tUpdate a conntrack\n"
	       "  -E [table] [options]\t\tShow events\n"
	       "  -F [table]\t\t\tFlush table\n"
	       "  -C [table]\t\t\tShow counter\n"
	       "  -S\t\t\t\tShow statistics\n");
	printf("\nTables: conntrack, expect, dying, unconfirmed\n");
	printf("\nConntrack parameters and options:\n"
	       "  -n, --src-nat ip\t\t\tsource NAT ip\n"
	       "  -g, --dst-nat ip\t\t\tdestination NAT ip\n"
	       "  -j, --any-nat ip\t\t\tsource or destination NAT ip\n"
	       "  -m, --mark mark\t\t\tSet mark\n"
	       "  -c, --secmark secmark\t\t\tSet selinux secmark\n"
	       "  -e, --event-mask eventmask\t\tEvent mask, eg. NEW,DESTROY\n"
	       "  -z, --zero \t\t\t\tZero counters while listing\n"
	       "  -o, --output type[,...]\t\tOutput format, eg. xml\n"
	       "  -l, --label label[,...]\t\tconntrack labels\n");
	printf("\nExpectation parameters and options:\n"
	       "  --tuple-src ip\tSource address in expect tuple\n"
	       "  --tuple-dst ip\tDestination address in expect tuple\n");
	printf("\nUpdating parameters and options:\n"
	       "  --label-add label\tAdd label\n"
	       "  --label-del label\tDelete label\n");
	printf("\nCommon parameters and options:\n"
	       "  -s, --src, --orig-src ip\t\tSource address from original direction\n"
	       "  -d, --dst, --orig-dst ip\t\tDestination address from original direction\n"
	       "  -r, --reply-src ip\t\tSource addres from reply direction\n"
	       "  -q, --reply-dst ip\t\tDestination address from reply direction\n"
	       "  -p, --protonum proto\t\tLayer 4 Protocol, eg. 'tcp'\n"
	       "  -f, --family proto\t\tLayer 3 Protocol, eg. 'ipv6'\n"
	       "  -t, --timeout timeout\t\tSet timeout\n"
	       "  -u, --status status\t\tSet status, eg. ASSURED\n"
	       "  -w, --zone value\t\tSet conntrack zone\n"
	       "  --orig-zone value\t\tSet zone for original direction\n"
	       "  --reply-zone value\t\tSet zone for reply direction\n"
	       "  -b, --buffer-size\t\tNetlink socket buffer size\n"
	       "  --mask-src ip\t\t\tSource mask address\n"
	       "  --mask-dst ip\t\t\tDestination mask address\n\n");
}

/*
 * conntrack 1.4.7 reads -c, -i and -m with a bare strtoul: trailing junk is
 * ignored and a word reads as 0 ("-m foo" is mark 0, "-c 5x" secmark 5).
 */
static uint32_t parse_u32_lenient(const char *arg)
{
	return (uint32_t)strtoul(arg, NULL, 0);
}

/* -m VALUE[/MASK]: the mask is ~0 unless a '/' follows the number. */
static void parse_mark(struct req *r, const char *arg)
{
	char *end;

	r->mark = (uint32_t)strtoul(arg, &end, 0);
	r->mark_mask = *end == '/' ? (uint32_t)strtoul(end + 1, NULL, 0) : 0xffffffffu;
}

static void do_parse(struct req *r, int argc, char **argv)
{
	static const char *const ev_words[] = {"ALL", "NEW", "UPDATES", "DESTROY"};
	static const unsigned ev_vals[] = {7, EV_NEW, EV_UPD, EV_DEL};
	static const char *const out_words[] = {"xml", "extended", "timestamp", "id",
						"ktimestamp", "labels", "userspace", "save"};
	static const unsigned out_vals[] = {OUT_XML, OUT_EXT, OUT_TMS, OUT_ID,
					    OUT_KTMS, OUT_CL, 0, OUT_SAVE};
	struct option *opts = (struct option *)base_opts;
	char *label_args[16], *ladd_args[16];
	size_t nlabel = 0, nladd = 0;
	int c, type;

	memset(r, 0, sizeof(*r));
	r->l4 = NULL;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, getopt_str, opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			type = check_type(argc, argv);
			r->table = type;
			add_command(r, type == T_EXPECT ? X_LIST : C_LIST);
			break;
		case 'I': case 'D': case 'G': case 'F': case 'E': case 'V': case 'h':
		case 'C': case 'S': case 'U': case 'A': {
			static const int map[][2] = {
				['I'] = {C_CREATE, X_CREATE}, ['D'] = {C_DELETE, X_DELETE},
				['G'] = {C_GET, X_GET},       ['F'] = {C_FLUSH, X_FLUSH},
				['E'] = {C_EVENT, X_EVENT},   ['V'] = {C_VERSION, C_VERSION},
				['h'] = {C_HELP, C_HELP},     ['C'] = {C_COUNT, X_COUNT},
				['S'] = {C_STATS, X_STATS},   ['U'] = {C_UPDATE, -1},
				['A'] = {C_ADD, -1},
			};
			type = check_type(argc, argv);
			if (type == T_DYING || type == T_UNCONFIRMED)
				exit_error(PARAMETER_PROBLEM,
					   "Can't do that command with tables `dying' and `unconfirmed'");
			if (map[c][type] < 0)
				exit_error(PARAMETER_PROBLEM, "Can't do --%s on %s", long_name(opts, c),
					   type == T_CONNTRACK ? "conntrack" : "expectations");
			r->table = type;
			add_command(r, (enum cmd)map[c][type]);
			break;
		}
		case 's':
			parse_addr_opt(r, O_SRC, optarg, &r->src, true, r->smask, &r->smasked);
			break;
		case 'd':
			parse_addr_opt(r, O_DST, optarg, &r->dst, true, r->dmask, &r->dmasked);
			break;
		case 'r':
			parse_addr_opt(r, O_RSRC, optarg, &r->rsrc, false, NULL, NULL);
			break;
		case 'q':
			parse_addr_opt(r, O_RDST, optarg, &r->rdst, false, NULL, NULL);
			break;
		case '[': case ']': case '{': case '}': {
			int o = c == '[' ? O_TSRC : c == ']' ? O_TDST : c == '{' ? O_MSRC : O_MDST;
			struct addr *a = c == '[' ? &r->tsrc : c == ']' ? &r->tdst
					 : c == '{' ? &r->msrc : &r->mdst;

			parse_addr_opt(r, o, optarg, a, c == '[' || c == ']', NULL, NULL);
			break;
		}
		case 'p': {
			const struct l4proto *p;
			size_t n = 0;

			r->options |= bit(O_PROTO);
			p = find_proto(optarg, &r->proto);
			if (!p)
				exit_error(PARAMETER_PROBLEM, "`%s' unsupported protocol", optarg);
			r->l4 = p;
			/* The protocol's options join the table from here on, as in conntrack. */
			for (const struct option *o = p->opts; o->name; o++)
				n++;
			struct option *merged = calloc(N_BASE + n + 1, sizeof(*merged));
			if (!merged)
				exit_error(OTHER_PROBLEM, "out of memory");
			memcpy(merged, base_opts, N_BASE * sizeof(*merged));
			memcpy(merged + N_BASE, p->opts, n * sizeof(*merged));
			if (opts != base_opts)
				free(opts); /* a second -p replaces the first one's options */
			opts = merged;
			break;
		}
		case 't':
			r->options |= bit(O_TIMEOUT);
			r->timeout = (uint32_t)atol(optarg);
			break;
		case 'u':
			r->options |= bit(O_STATUS);
			parse_status(optarg, &r->status, &r->status_fmask);
			if (!r->status_fmask)
				r->status_fmask = r->status;
			r->status_fval = r->status;
			break;
		case 'e':
			r->options |= bit(O_EVMASK);
			parse_list(optarg, ev_words, ev_vals, 4, &r->event_mask);
			break;
		case 'o':
			r->options |= bit(O_OUTPUT);
			parse_list(optarg, out_words, out_vals, 8, &r->output);
			if ((r->output & OUT_SAVE) && (r->output & ~(unsigned)OUT_SAVE))
				exit_error(OTHER_PROBLEM, "cannot combine save output with any other output type, use -o save only");
			break;
		case 'z':
			r->options |= bit(O_ZERO);
			break;
		case 'n': case 'g': case 'j': {
			char *a = optional_arg(argc, argv);

			r->options |= bit(c == 'n' ? O_SNAT : c == 'g' ? O_DNAT : O_ANYNAT);
			if (a)
				nat_opt(r, c, a);
			break;
		}
		case 'w':
			r->options |= bit(O_ZONE);
			r->zone = (uint16_t)strtoul(optarg, NULL, 0); /* "-w 11-s" is zone 11 */
			break;
		case '(':
			r->options |= bit(O_OZONE);
			r->ozone = (uint16_t)strtoul(optarg, NULL, 0);
			break;
		case ')':
			r->options |= bit(O_RZONE);
			r->rzone = (uint16_t)strtoul(optarg, NULL, 0);
			break;
		case 'i': {
			char *a = optional_arg(argc, argv);

			r->options |= bit(O_ID);
			if (a)
				r->id = parse_u32_lenient(a);
			break;
		}
		case 'c':
			r->options |= bit(O_SECMARK);
			r->secmark = parse_u32_lenient(optarg);
			break;
		case 'm':
			r->options |= bit(O_MARK);
			parse_mark(r, optarg);
			break;
		case 'l': case '<': case '>':
			r->options |= bit(c == 'l' ? O_LABEL : c == '<' ? O_LADD : O_LDEL);
			if ((r->options & (bit(O_LADD) | bit(O_LDEL))) == (bit(O_LADD) | bit(O_LDEL)))
				exit_error(OTHER_PROBLEM, "cannot use --label-add and --label-del at the same time");
			if (c == '>') {
				char *a = optional_arg(argc, argv);

				if (!a) {
					r->label_del_all = true;
					break;
				}
				if (nladd < 16)
					ladd_args[nladd++] = a;
			} else if (c == '<') {
				if (nladd < 16)
					ladd_args[nladd++] = optarg;
			} else if (nlabel < 16) {
				label_args[nlabel++] = optarg;
			}
			break;
		case 'a':
			fprintf(stderr, "WARNING: ignoring -%c, deprecated option.\n", c);
			break;
		case 'f':
			r->options |= bit(O_FAMILY);
			if (strncmp(optarg, "ipv4", 4) == 0)
				set_family(&r->family, AF_INET);
			else if (strncmp(optarg, "ipv6", 4) == 0)
				set_family(&r->family, AF_INET6);
			else
				exit_error(PARAMETER_PROBLEM, "`%s' unsupported protocol", optarg);
			break;
		case 'b':
			r->options |= bit(O_BUFSIZE);
			break;
		case ':':
			exit_error(PARAMETER_PROBLEM, "option `%s' requires an argument", argv[optind - 1]);
		case '?':
			exit_error(PARAMETER_PROBLEM, "unknown option `%s'", argv[optind - 1]);
		default:
			if (c >= PROTO_OFF && c < PROTO_OFF + P_MAX && r->l4)
				proto_opt(r, c - PROTO_OFF, optarg);
			break;
		}
	}
	if (opts != base_opts)
		free(opts);
	if (r->family == AF_UNSPEC) {
		switch (r->cmd) {
		case C_LIST: case C_UPDATE: case C_DELETE: case C_GET: case C_FLUSH: case C_EVENT:
			break;
		default:
			r->family = AF_INET;
		}
	}
	if ((r->options & (bit(O_LABEL) | bit(O_LADD) | bit(O_LDEL))) ||
	    ((r->options & bit(O_OUTPUT)) && (r->output & OUT_CL))) {
		labelmap_init();
		for (size_t i = 0; i < nlabel; i++)
			parse_labels(label_args[i], r->label_filter);
		for (size_t i = 0; i < nladd; i++)
			parse_labels(ladd_args[i], r->label_mod);
	}
	if ((r->options & bit(O_ANYNAT)) && (r->options & (bit(O_SNAT) | bit(O_DNAT))))
		exit_error(PARAMETER_PROBLEM, "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
	generic_check(r);
	if (!(r->command & bit(C_HELP)) && r->l4)
		proto_check(r);
}

/* ---- filtering (the kernel's dump filter, then nfct_filter) ---- */

struct entry {
	struct ctl_msg m;
};

static bool addr_eq(const uint8_t *a, const uint8_t *b, int fam)
{
	return memcmp(a, b, fam == AF_INET ? 4 : 16) == 0;
}

static bool net_match(const uint8_t *a, const uint8_t *net, const uint8_t *mask)
{
	for (int i = 0; i < 16; i++)
		if ((a[i] & mask[i]) != (net[i] & mask[i]))
			return false;
	return true;
}

static uint16_t icmp_type_code(const struct ct_tuple *t)
{
	return t->dst_l4;
}

static bool nat_filter_ok(const struct req *r, const struct ctl_msg *m)
{
	bool chk_s = r->options & (bit(O_SNAT) | bit(O_ANYNAT));
	bool chk_d = r->options & (bit(O_DNAT) | bit(O_ANYNAT));
	bool is_snat = m->status & CT_S_SRC_NAT_DONE, is_dnat = m->status & CT_S_DST_NAT_DONE;
	int fam = m->orig.l3num == 10 ? AF_INET6 : AF_INET;
	bool has_s = false, has_d = false;

	/* SNAT changes the reply destination; SPAT its port (NFCT_GOPT_IS_SNAT/SPAT). */
	bool snat_addr = is_snat && !addr_eq(m->reply.dst, m->orig.src, fam);
	bool snat_port = is_snat && m->reply.dst_l4 != m->orig.src_l4;
	bool dnat_addr = is_dnat && !addr_eq(m->reply.src, m->orig.dst, fam);
	bool dnat_port = is_dnat && m->reply.src_l4 != m->orig.dst_l4;

	if (chk_s) {
		bool ca = r->snat_addr && r->snat.family == AF_INET, cp = r->snat_port_set;

		if (ca && snat_addr && addr_eq(r->snat.a, m->reply.dst, AF_INET))
			has_s = true;
		if (cp) {
			bool ok = snat_port && r->snat_port == m->reply.dst_l4;

			if (ca && has_s && !ok)
				has_s = false;
			if (!ca && ok)
				has_s = true;
		}
		if (!ca && !cp && (snat_addr || snat_port))
			has_s = true;
	}
	if (chk_d) {
		bool ca = r->dnat_addr && r->dnat.family == AF_INET, cp = r->dnat_port_set;

		if (ca && dnat_addr && addr_eq(r->dnat.a, m->reply.src, AF_INET))
			has_d = true;
		if (cp) {
			bool ok = dnat_port && r->dnat_port == m->reply.src_l4;

			if (ca && has_d && !ok)
				has_d = false;
			if (!ca && ok)
				has_d = true;
		}
		if (!ca && !cp && (dnat_addr || dnat_port))
			has_d = true;
	}
	if (r->options & bit(O_ANYNAT))
		return has_s || has_d;
	if ((r->options & bit(O_SNAT)) && (r->options & bit(O_DNAT)))
		return has_s && has_d;
	if (r->options & bit(O_SNAT))
		return has_s;
	if (r->options & bit(O_DNAT))
		return has_d;
	return true;
}

/*
 * The attributes the command names must all match (nfct_cmp with
 * NFCT_CMP_MASK).  For -U only the tuples select (NFCT_CMP_ORIG/REPL):
 * status and protocol state given there are new values, not filters.
 */
static bool cmp_ok(const struct req *r, const struct ctl_msg *m, bool update)
{
	const struct ct_tuple *o = &m->orig, *rp = &m->reply;
	int fam = o->l3num == 10 ? AF_INET6 : AF_INET;
	bool ports = r->l4 && r->l4->kind == L4_PORTS;
	bool gre = r->l4 && r->l4->kind == L4_GRE;
	bool icmp = r->l4 && (r->l4->kind == L4_ICMP || r->l4->kind == L4_ICMPV6);

	if ((r->options & (bit(O_SRC) | bit(O_DST))) &&
	    o->l3num != (r->family == AF_INET6 ? 10 : 2))
		return false;
	if ((r->options & bit(O_SRC)) && !r->smasked && !addr_eq(o->src, r->src.a, fam))
		return false;
	if ((r->options & bit(O_DST)) && !r->dmasked && !addr_eq(o->dst, r->dst.a, fam))
		return false;
	if ((r->options & bit(O_RSRC)) && !addr_eq(rp->src, r->rsrc.a, fam))
		return false;
	if ((r->options & bit(O_RDST)) && !addr_eq(rp->dst, r->rdst.a, fam))
		return false;
	if ((r->options & bit(O_PROTO)) && o->proto != r->proto)
		return false;
	if (ports || gre) {
		if ((r->l4flags & bit(P_SPORT)) && o->src_l4 != r->sport)
			return false;
		if ((r->l4flags & bit(P_DPORT)) && o->dst_l4 != r->dport)
			return false;
		if ((r->l4flags & bit(P_RSPORT)) && rp->src_l4 != r->rsport)
			return false;
		if ((r->l4flags & bit(P_RDPORT)) && rp->dst_l4 != r->rdport)
			return false;
		if (!update && (r->l4flags & bit(P_STATE)) && m->pstate != r->state)
			return false;
	}
	if (icmp) {
		if ((r->l4flags & bit(P_ITYPE)) && (icmp_type_code(o) >> 8) != r->itype)
			return false;
		if ((r->l4flags & bit(P_ICODE)) && (icmp_type_code(o) & 0xff) != r->icode)
			return false;
		if ((r->l4flags & bit(P_IID)) && o->src_l4 != r->iid)
			return false;
	}
	if (!update && (r->options & bit(O_STATUS)) && (m->status & r->status) != r->status)
		return false;
	if ((r->options & bit(O_ID)) && r->id && m->id != r->id)
		return false;
	/*
	 * -c never excludes anything: the kernel no longer puts CTA_SECMARK in
	 * its messages, and libnetfilter_conntrack's masked compare passes an
	 * attribute the entry lacks (checked: `-L -c 5` lists every entry).
	 */
	if ((r->options & bit(O_ZONE)) && !(o->zone == rp->zone && o->zone == r->zone))
		return false;
	if ((r->options & bit(O_OZONE)) && o->zone != r->ozone)
		return false;
	if ((r->options & bit(O_RZONE)) && rp->zone != r->rzone)
		return false;
	return true;
}

enum fmode {
	F_LIST,   /* -L, -E: mark and status filters as the kernel dump applies them */
	F_DELETE, /* -D: mark filter in the kernel, status compared by nfct_cmp */
	F_UPDATE, /* -U: -m and -u are new values; only tuples, NAT, labels, masks select */
};

static bool filter_ok(const struct req *r, const struct ctl_msg *m, enum fmode mode)
{
	int fam = m->orig.l3num == 10 ? AF_INET6 : AF_INET;

	if (r->family && fam != r->family)
		return false;
	if (mode != F_UPDATE && (r->options & bit(O_MARK)) && (m->mark & r->mark_mask) != r->mark)
		return false;
	/* -L sends the -u filter to the kernel as (status & mask) == value. */
	if (mode == F_LIST && (r->options & bit(O_STATUS)) &&
	    (m->status & r->status_fmask) != r->status_fval)
		return false;
	if (!nat_filter_ok(r, m))
		return false;
	if (r->options & bit(O_LABEL)) {
		if (!ctl_has(m, CTL_A_LABELS))
			return false;
		if ((m->labels[0] & r->label_filter[0]) != r->label_filter[0] ||
		    (m->labels[1] & r->label_filter[1]) != r->label_filter[1])
			return false;
	}
	if (r->smasked && !(fam == r->family && net_match(m->orig.src, r->src.a, r->smask)))
		return false;
	if (r->dmasked && !(fam == r->family && net_match(m->orig.dst, r->dst.a, r->dmask)))
		return false;
	return cmp_ok(r, m, mode == F_UPDATE);
}

/* ---- printing ---- */

static unsigned fmt_flags(const struct req *r, bool listing)
{
	unsigned f = 0;

	if (r->output & OUT_SAVE)
		return CT_FMT_SAVE;
	if (r->output & OUT_XML)
		f |= CT_FMT_XML;
	if (r->output & OUT_EXT)
		f |= CT_FMT_EXTENDED;
	if (r->output & OUT_ID)
		f |= CT_FMT_ID;
	if ((r->output & OUT_KTMS) && listing)
		f |= CT_FMT_KTIMESTAMP;
	if (r->output & OUT_TMS)
		f |= CT_FMT_TIMESTAMP;
	return f;
}

static int32_t tz_offset(void)
{
	time_t now = time(NULL);
	struct tm lt;

	localtime_r(&now, &lt);
	return (int32_t)lt.tm_gmtoff;
}

/* labels=a,b, appended as libnetfilter_conntrack does after id=. */
static void print_line(const struct req *r, const struct ctl_msg *m, const char *text,
		       bool use2)
{
	char *line = strdup(text ? text : ""), *u;

	if (!line)
		exit_error(OTHER_PROBLEM, "out of memory");
	/* A GET holds a reference while the kernel fills the reply: use=2. */
	if (use2 && ((u = strstr(line, " use=1")) || (u = strstr(line, "<use>1</use>")))) {
		char *one = strchr(u, '1');
		*one = '2';
	}
	fputs(line, stdout);
	if (labelmap_loaded && ctl_has(m, CTL_A_LABELS) && !(r->output & (OUT_SAVE | OUT_XML))) {
		bool any = false;

		fputs(" labels=", stdout);
		for (int b = 0; b < 128; b++) {
			if ((m->labels[b / 64] >> (b % 64)) & 1 && labelmap.names[b]) {
				printf("%s%s", any ? "," : "", labelmap.names[b]);
				any = true;
			}
		}
	}
	fputc('\n', stdout);
	free(line);
}

/* ---- requests ---- */

static int wait_done(struct ctl_msg *last)
{
	struct ctl_msg m;

	while (recv_msg(&m)) {
		if (m.type == CTL_REP_DONE) {
			if (last)
				*last = m;
			return 0;
		}
		if (m.type == CTL_REP_ERROR)
			return -(int)m.err;
	}
	return -ECONNRESET;
}

static void put_tuple_from(struct req *r, struct ctl_buf *b, enum ctl_attr a, bool reply)
{
	struct ct_tuple t;
	const struct addr *s = reply ? &r->rsrc : &r->src, *d = reply ? &r->rdst : &r->dst;

	memset(&t, 0, sizeof(t));
	t.l3num = r->family == AF_INET6 ? 10 : 2;
	t.proto = r->proto;
	memcpy(t.src, s->a, 16);
	memcpy(t.dst, d->a, 16);
	if (r->l4 && (r->l4->kind == L4_PORTS || r->l4->kind == L4_GRE)) {
		t.src_l4 = reply ? r->rsport : r->sport;
		t.dst_l4 = reply ? r->rdport : r->dport;
	} else if (r->l4 && (r->l4->kind == L4_ICMP || r->l4->kind == L4_ICMPV6)) {
		uint8_t type = r->itype;

		if (reply) {
			/* The reply of an echo request is an echo reply (kernel invert maps). */
			static const uint8_t inv4[] = {[8] = 1, [0] = 9, [13] = 15, [14] = 14,
						       [15] = 17, [16] = 16, [17] = 19, [18] = 18};
			(void)inv4;
		}
		t.src_l4 = r->iid;
		t.dst_l4 = (uint16_t)(type << 8 | r->icode);
	}
	if (r->options & bit(O_ZONE))
		t.zone = r->zone;
	if (!reply && (r->options & bit(O_OZONE)))
		t.zone = r->ozone;
	if (reply && (r->options & bit(O_RZONE)))
		t.zone = r->rzone;
	ctl_put_tuple(b, a, &t);
}

static void fail(int err, enum cmd cmd)
{
	exit_error(OTHER_PROBLEM, "Operation failed: %s", err2str(err, cmd));
}

static void do_create(struct req *r)
{
	struct ctl_buf b;
	bool orig = (r->options & (bit(O_SRC) | bit(O_DST))) == (bit(O_SRC) | bit(O_DST));
	bool repl = (r->options & (bit(O_RSRC) | bit(O_RDST))) == (bit(O_RSRC) | bit(O_RDST));
	int err;

	ctl_buf_init(&b);
	begin(&b, CTL_REQ_CREATE);
	if (orig)
		put_tuple_from(r, &b, CTL_A_ORIG, false);
	if (repl)
		put_tuple_from(r, &b, CTL_A_REPLY, true);
	if (orig != repl) {
		uint16_t pz = (r->options & bit(O_ZONE)) ? r->zone : 0;

		if (orig && (r->options & bit(O_RZONE)))
			pz = r->rzone;
		if (repl && (r->options & bit(O_OZONE)))
			pz = r->ozone;
		ctl_put_u32(&b, CTL_A_PEER_ZONE, pz);
	}
	if (r->options & bit(O_TIMEOUT))
		ctl_put_u32(&b, CTL_A_TIMEOUT, r->timeout);
	if (r->options & bit(O_STATUS))
		ctl_put_u32(&b, CTL_A_STATUS, r->status);
	if (r->options & bit(O_MARK))
		ctl_put_u32(&b, CTL_A_MARK, r->mark);
	if (r->l4flags & bit(P_STATE))
		ctl_put_u8(&b, CTL_A_PSTATE, r->state);
	if (r->l4flags & (bit(P_OVTAG) | bit(P_RVTAG)))
		ctl_put_u32s(&b, CTL_A_VTAGS, r->vtag, 2);
	/* --src-nat/--dst-nat with an address: NAT set up at creation. */
	if ((r->options & bit(O_SNAT)) && r->snat_addr) {
		struct ctl_nat n = {.port = r->snat_port, .port_set = r->snat_port_set};

		memcpy(n.addr, r->snat.a, 16);
		ctl_put_nat(&b, CTL_A_SNAT, &n);
	}
	if ((r->options & bit(O_DNAT)) && r->dnat_addr) {
		struct ctl_nat n = {.port = r->dnat_port, .port_set = r->dnat_port_set};

		memcpy(n.addr, r->dnat.a, 16);
		ctl_put_nat(&b, CTL_A_DNAT, &n);
	}
	if (r->options & bit(O_LADD))
		ctl_put_u64s(&b, CTL_A_LABELS, r->label_mod, 2);
	ctl_put_u32(&b, CTL_A_FLAGS, CTL_F_EXCL);
	send_buf(&b);
	ctl_buf_free(&b);
	err = wait_done(NULL);
	if (err == 0)
		counter++;
	else if (!(r->cmd == C_ADD && err == -EEXIST))
		fail(-err, r->cmd);
}

static void do_get(struct req *r)
{
	struct ctl_buf b;
	struct ctl_msg m;
	bool orig = (r->options & (bit(O_SRC) | bit(O_DST))) == (bit(O_SRC) | bit(O_DST));

	/*
	 * libnetfilter_conntrack refuses to build a GET whose original tuple has
	 * no layer 3 protocol, which is the case when only the reply tuple was
	 * given (-r/-q): conntrack 1.4.7 fails with EINVAL before asking.
	 */
	if (!(r->options & (bit(O_SRC) | bit(O_DST))))
		fail(EINVAL, C_GET);
	ctl_buf_init(&b);
	begin(&b, CTL_REQ_GET);
	put_tuple_from(r, &b, orig ? CTL_A_ORIG : CTL_A_REPLY, !orig);
	if ((r->options & bit(O_ID)) && r->id)
		ctl_put_u32(&b, CTL_A_ID, r->id);
	ctl_put_u32(&b, CTL_A_FMT, fmt_flags(r, true));
	ctl_put_u32(&b, CTL_A_TZ, (uint32_t)tz_offset());
	send_buf(&b);
	ctl_buf_free(&b);
	while (recv_msg(&m)) {
		if (m.type == CTL_REP_ENTRY) {
			if (r->output & OUT_XML)
				fputs(ct_format_xml_header(), stdout);
			print_line(r, &m, m.text, true);
			if (r->output & OUT_XML)
				fputs(ct_format_xml_footer(), stdout);
			counter++;
		} else if (m.type == CTL_REP_DONE) {
			return;
		} else if (m.type == CTL_REP_ERROR) {
			fail((int)m.err, C_GET);
		}
	}
}

/* Dump the table into a private array (entries are copied: replies get reused). */
struct dumped {
	struct ctl_msg m;
	char *text;
};

static size_t dump_table(struct req *r, int table, unsigned fmt, bool zero, struct dumped **out)
{
	struct ctl_buf b;
	struct ctl_msg m;
	struct dumped *v = NULL;
	size_t n = 0, cap = 0;

	ctl_buf_init(&b);
	begin(&b, CTL_REQ_LIST);
	ctl_put_u8(&b, CTL_A_TABLE, (uint8_t)table);
	ctl_put_u32(&b, CTL_A_FMT, fmt);
	ctl_put_u32(&b, CTL_A_TZ, (uint32_t)tz_offset());
	if (zero)
		ctl_put_u32(&b, CTL_A_FLAGS, CTL_F_ZERO);
	send_buf(&b);
	ctl_buf_free(&b);
	while (recv_msg(&m)) {
		if (m.type == CTL_REP_ENTRY) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					exit_error(OTHER_PROBLEM, "out of memory");
			}
			v[n].m = m;
			v[n].text = strdup(m.text ? m.text : "");
			v[n].m.text = v[n].text;
			v[n].m.name = NULL;
			v[n].m.progname = NULL;
			n++;
		} else if (m.type == CTL_REP_DONE) {
			break;
		} else if (m.type == CTL_REP_ERROR) {
			fail((int)m.err, r->cmd);
		}
	}
	*out = v;
	return n;
}

static void free_dump(struct dumped *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

static void do_list(struct req *r)
{
	struct dumped *v;
	bool zero = r->options & bit(O_ZERO);
	int table = r->table == T_DYING ? CTL_T_DYING
		    : r->table == T_UNCONFIRMED ? CTL_T_UNCONFIRMED : CTL_T_CONNTRACK;
	uint32_t cmpmask = bit(O_PROTO) | bit(O_SRC) | bit(O_DST) | bit(O_RSRC) | bit(O_RDST) |
			   bit(O_MARK) | bit(O_SECMARK) | bit(O_STATUS) | bit(O_ID) |
			   bit(O_ZONE) | bit(O_LABEL) | bit(O_OZONE) | bit(O_RZONE);
	size_t n;
	bool xml = false;

	if (table == CTL_T_CONNTRACK && (r->options & cmpmask) && zero)
		exit_error(PARAMETER_PROBLEM, "Can't use -z with filtering parameters");
	/*
	 * -u goes to the kernel as a dump filter (status & mask) == value, and
	 * ctnetlink refuses a zero mask ("-L -u UNSET") with EINVAL before
	 * dumping anything: such a filter would be all or nothing.
	 */
	if (table == CTL_T_CONNTRACK && (r->options & bit(O_STATUS)) && r->status_fmask == 0)
		fail(EINVAL, C_LIST);
	n = dump_table(r, table, fmt_flags(r, true), zero, &v);
	for (size_t i = 0; i < n; i++) {
		if (table == CTL_T_CONNTRACK && !filter_ok(r, &v[i].m, F_LIST))
			continue;
		if ((r->output & OUT_XML) && !xml) {
			fputs(ct_format_xml_header(), stdout);
			xml = true;
		}
		print_line(r, &v[i].m, v[i].text, false);
		counter++;
	}
	if (xml)
		fputs(ct_format_xml_footer(), stdout);
	free_dump(v, n);
}

static void do_delete(struct req *r)
{
	struct dumped *v;
	size_t n = dump_table(r, CTL_T_CONNTRACK, fmt_flags(r, false), false, &v);

	for (size_t i = 0; i < n; i++) {
		struct ctl_buf b;
		int err;

		if (!filter_ok(r, &v[i].m, F_DELETE))
			continue;
		ctl_buf_init(&b);
		begin(&b, CTL_REQ_DELETE);
		ctl_put_tuple(&b, CTL_A_ORIG, &v[i].m.orig);
		ctl_put_u32(&b, CTL_A_ID, v[i].m.id);
		send_buf(&b);
		ctl_buf_free(&b);
		err = wait_done(NULL);
		if (err == -ENOENT)
			continue; /* vanished meanwhile */
		if (err)
			fail(-err, C_DELETE);
		/* The save line of a deleted entry is a -D command (NFCT_T_DESTROY). */
		if ((r->output & OUT_SAVE) && strncmp(v[i].text, "-A ", 3) == 0)
			v[i].text[1] = 'D';
		print_line(r, &v[i].m, v[i].text, false);
		counter++;
	}
	free_dump(v, n);
}

/*
 * -U, as conntrack 1.4.7 does it.  It dumps the table and, for each entry
 * the filter selects and the change would alter, sends an UPDATE and then
 * a GET (to print the result) on a second netlink socket, reading exactly
 * one message after each.  Both requests ask for an acknowledgement, so a
 * successful GET is answered by two messages (the entry, then the ACK) and
 * the single read leaves the ACK behind: from the second entry on, every
 * read returns the answer to an earlier request.  What users see, and what
 * this reproduces message for message:
 * - not every updated entry is printed (an entry is printed by whichever
 *   read happens to get it, possibly one request later);
 * - an error is reported against the request whose read picks it up:
 *   read after an UPDATE it is the line "Operation failed: <strerror>" and
 *   the run goes on; read after a GET, ENOENT means "vanished" (not
 *   counted) and anything else ends the run;
 * - every GET whose read is not an error counts as updated.
 * The entries are real: each UPDATE and GET is performed here on ctrackd in
 * the same order, and only the delivery of the answers is replayed.
 *
 * The UPDATE and GET carry the original tuple as libnetfilter_conntrack
 * copies it (NFCT_CP_ORIG): without its zone, so an entry in a zone other
 * than 0 in the original direction is not found (ENOENT); and with the
 * family of the command line, so with no address and no -f (family 0, a
 * 1.4.7 bug fixed in 1.4.8) the kernel answers EOPNOTSUPP.
 */
enum nl_kind { NL_ACK, NL_ERR, NL_ENTRY };

struct nl_msg {
	enum nl_kind kind;
	int err;
	struct ctl_msg m;
	char *text;
};

struct nl_queue {
	struct nl_msg *v;
	size_t head, len, cap;
};

static void nlq_push(struct nl_queue *q, enum nl_kind kind, int err, const struct ctl_msg *m)
{
	struct nl_msg *e;

	if (q->head + q->len == q->cap) {
		if (q->head) {
			memmove(q->v, q->v + q->head, q->len * sizeof(*q->v));
			q->head = 0;
		} else {
			q->cap = q->cap ? q->cap * 2 : 16;
			q->v = realloc(q->v, q->cap * sizeof(*q->v));
			if (!q->v)
				exit_error(OTHER_PROBLEM, "out of memory");
		}
	}
	e = &q->v[q->head + q->len++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->err = err;
	if (m) {
		e->m = *m;
		e->text = strdup(m->text ? m->text : "");
		if (!e->text)
			exit_error(OTHER_PROBLEM, "out of memory");
		e->m.text = e->text;
		e->m.name = NULL;
		e->m.progname = NULL;
	}
}

/* The one read after a request (the queue is never empty then). */
static struct nl_msg nlq_pop(struct nl_queue *q)
{
	struct nl_msg e = q->v[q->head++];

	q->len--;
	return e;
}

static void nlq_free(struct nl_queue *q)
{
	while (q->len) {
		struct nl_msg e = nlq_pop(q);

		free(e.text);
	}
	free(q->v);
}

/* The tuple libnetfilter_conntrack sends for an entry of the dump. */
static struct ct_tuple update_tuple(const struct req *r, const struct ctl_msg *e)
{
	struct ct_tuple t = e->orig;

	(void)r;
	t.zone = 0;
	return t;
}

/*
 * One request to ctrackd; its answer as the kernel would queue it.  SCTP
 * tags only go with the state, both of them (nlattr_to_sctp): the update of
 * conntrack given one tag alone carries a partial SCTP protoinfo, which the
 * kernel refuses with EINVAL, and so is it here (the control protocol has no
 * way to say "one tag").  A tag alone is no change by itself: nfct_cmp does
 * not compare tags.
 */
static void update_request(struct req *r, struct nl_queue *q, enum ctl_type type,
			   const struct ctl_msg *e, const struct ctl_msg *want)
{
	struct ctl_buf b;
	struct ctl_msg m;
	struct ct_tuple t = update_tuple(r, e);
	bool got_entry = false;
	int err = 0;

	if (r->family == AF_UNSPEC) {
		nlq_push(q, NL_ERR, EOPNOTSUPP, NULL);
		return;
	}
	if (type == CTL_REQ_UPDATE && e->orig.proto == 132 &&
	    (r->l4flags & (bit(P_OVTAG) | bit(P_RVTAG))) &&
	    (r->l4flags & (bit(P_OVTAG) | bit(P_RVTAG))) != (bit(P_OVTAG) | bit(P_RVTAG))) {
		nlq_push(q, NL_ERR, EINVAL, NULL);
		return;
	}
	ctl_buf_init(&b);
	begin(&b, type);
	ctl_put_tuple(&b, CTL_A_ORIG, &t);
	ctl_put_u32(&b, CTL_A_FMT, fmt_flags(r, false));
	ctl_put_u32(&b, CTL_A_TZ, (uint32_t)tz_offset());
	if (type == CTL_REQ_UPDATE) {
		if (ctl_has(want, CTL_A_MARK))
			ctl_put_u32(&b, CTL_A_MARK, want->mark);
		if (ctl_has(want, CTL_A_STATUS))
			ctl_put_u32(&b, CTL_A_STATUS, want->status);
		if (ctl_has(want, CTL_A_TIMEOUT))
			ctl_put_u32(&b, CTL_A_TIMEOUT, want->timeout);
		if (ctl_has(want, CTL_A_PSTATE))
			ctl_put_u8(&b, CTL_A_PSTATE, want->pstate);
		if (ctl_has(want, CTL_A_VTAGS))
			ctl_put_u32s(&b, CTL_A_VTAGS, want->vtags, 2);
		if (ctl_has(want, CTL_A_LABELS))
			ctl_put_u64s(&b, CTL_A_LABELS, want->labels, 2);
	}
	send_buf(&b);
	ctl_buf_free(&b);
	while (recv_msg(&m)) {
		if (m.type == CTL_REP_ENTRY && type == CTL_REQ_GET && !got_entry) {
			nlq_push(q, NL_ENTRY, 0, &m);
			got_entry = true;
		} else if (m.type == CTL_REP_DONE) {
			break;
		} else if (m.type == CTL_REP_ERROR) {
			err = (int)m.err;
			break;
		}
	}
	if (err)
		nlq_push(q, NL_ERR, err, NULL);
	else
		nlq_push(q, NL_ACK, 0, NULL);
}

static void do_update(struct req *r)
{
	struct dumped *v;
	struct nl_queue q = {0};
	size_t n = dump_table(r, CTL_T_CONNTRACK, fmt_flags(r, false), false, &v);

	for (size_t i = 0; i < n; i++) {
		struct ctl_msg *e = &v[i].m, want;
		uint64_t lab[2] = {e->labels[0], e->labels[1]};
		struct nl_msg got;

		if (!filter_ok(r, e, F_UPDATE))
			continue;
		if ((r->options & bit(O_ID)) && r->id && e->id != r->id)
			continue;
		memset(&want, 0, sizeof(want));
		want.mark = e->mark;
		want.status = e->status;
		if (r->options & bit(O_MARK)) {
			want.mark = (e->mark & ~r->mark_mask) ^ r->mark;
			want.have |= 1u << CTL_A_MARK;
		}
		if (r->options & bit(O_STATUS)) {
			/* Existing bits are kept: -U can only set flags. */
			want.status = e->status | r->status;
			want.have |= 1u << CTL_A_STATUS;
		}
		if (r->options & bit(O_TIMEOUT)) {
			want.timeout = r->timeout;
			want.have |= 1u << CTL_A_TIMEOUT;
		}
		if (r->l4flags & bit(P_STATE)) {
			want.pstate = r->state;
			want.have |= 1u << CTL_A_PSTATE;
		}
		if ((r->l4flags & (bit(P_OVTAG) | bit(P_RVTAG))) == (bit(P_OVTAG) | bit(P_RVTAG))) {
			want.vtags[0] = r->vtag[0];
			want.vtags[1] = r->vtag[1];
			want.have |= 1u << CTL_A_VTAGS;
		}
		if (r->options & bit(O_LADD)) {
			lab[0] |= r->label_mod[0];
			lab[1] |= r->label_mod[1];
		}
		if (r->options & bit(O_LDEL)) {
			if (r->label_del_all) {
				lab[0] = lab[1] = 0;
			} else {
				lab[0] &= ~r->label_mod[0];
				lab[1] &= ~r->label_mod[1];
			}
		}
		if (r->options & (bit(O_LADD) | bit(O_LDEL))) {
			want.labels[0] = lab[0];
			want.labels[1] = lab[1];
			want.have |= 1u << CTL_A_LABELS;
		}
		/* Nothing would change: conntrack sends nothing (nfct_cmp of old and new). */
		if (want.mark == e->mark && want.status == e->status && lab[0] == e->labels[0] &&
		    lab[1] == e->labels[1] &&
		    (!ctl_has(&want, CTL_A_TIMEOUT) || want.timeout == e->timeout) &&
		    (!ctl_has(&want, CTL_A_PSTATE) || want.pstate == e->pstate))
			continue;

		update_request(r, &q, CTL_REQ_UPDATE, e, &want);
		got = nlq_pop(&q);
		if (got.kind == NL_ERR)
			fprintf(stderr, "Operation failed: %s\n", err2str(got.err, C_UPDATE));
		free(got.text);

		update_request(r, &q, CTL_REQ_GET, e, NULL);
		got = nlq_pop(&q);
		if (got.kind == NL_ERR) {
			if (got.err == ENOENT)
				continue; /* "the entry has vanished" */
			fflush(stdout);
			fail(got.err, C_UPDATE);
		}
		if (got.kind == NL_ENTRY) {
			print_line(r, &got.m, got.text, true);
			free(got.text);
		}
		counter++;
	}
	nlq_free(&q);
	free_dump(v, n);
}

static void simple_request(enum ctl_type t, int table, struct ctl_msg *done)
{
	struct ctl_buf b;
	struct ctl_msg m;

	ctl_buf_init(&b);
	begin(&b, t);
	ctl_put_u8(&b, CTL_A_TABLE, (uint8_t)table);
	send_buf(&b);
	ctl_buf_free(&b);
	while (recv_msg(&m)) {
		if (m.type == CTL_REP_STATS && done)
			*done = m;
		else if (m.type == CTL_REP_DONE) {
			if (done && t != CTL_REQ_STATS)
				*done = m;
			return;
		} else if (m.type == CTL_REP_ERROR) {
			exit_error(OTHER_PROBLEM, "Operation failed: %s", strerror((int)m.err));
		}
	}
	exit_error(OTHER_PROBLEM, "Operation failed: %s", strerror(ECONNRESET));
}

/* ---- expectations ---- */

/* -L expect: one line each; with -o xml inside <expect>...</expect>. */
static void do_list_expect(struct req *r)
{
	struct ctl_buf b;
	struct ctl_msg m;
	bool xml = false;

	ctl_buf_init(&b);
	begin(&b, CTL_REQ_LIST);
	ctl_put_u8(&b, CTL_A_TABLE, CTL_T_EXPECT);
	ctl_put_u32(&b, CTL_A_FMT, (r->output & OUT_XML) ? CT_FMT_XML : 0);
	ctl_put_u32(&b, CTL_A_TZ, (uint32_t)tz_offset());
	send_buf(&b);
	ctl_buf_free(&b);
	while (recv_msg(&m)) {
		if (m.type == CTL_REP_ENTRY) {
			/* The dump is asked for the family of -f (0: all). */
			if (r->family && m.exp_tuple.l3num != (r->family == AF_INET6 ? 10 : 2))
				continue;
			if ((r->output & OUT_XML) && !xml) {
				fputs(ct_format_expect_xml_header(), stdout);
				xml = true;
			}
			printf("%s\n", m.text ? m.text : "");
			counter++;
		} else if (m.type == CTL_REP_DONE) {
			break;
		} else if (m.type == CTL_REP_ERROR) {
			fail((int)m.err, r->cmd);
		}
	}
	if (xml)
		fputs(ct_format_expect_xml_footer(), stdout);
}

static void put_exp_tuple(struct req *r, struct ctl_buf *b, enum ctl_attr a, const struct addr *s,
			  const struct addr *d, uint16_t sp, uint16_t dp)
{
	struct ct_tuple t;

	memset(&t, 0, sizeof(t));
	t.l3num = r->family == AF_INET6 ? 10 : 2;
	t.proto = r->proto;
	memcpy(t.src, s->a, 16);
	memcpy(t.dst, d->a, 16);
	t.src_l4 = sp;
	t.dst_l4 = dp;
	ctl_put_tuple(b, a, &t);
}

/*
 * -I/-G/-D expect.  conntrack sends the -s/-d tuple as the master for -I
 * and -G and as the expected tuple for -D; the kernel looks -G and -D up
 * among the expected tuples either way.  -G prints the expectation with no
 * summary; -D prints nothing and its summary counts nothing ("0
 * expectations have been shown.", exit 1), as 1.4.7 does.
 */
static void do_expect_request(struct req *r)
{
	struct ctl_buf b;
	struct ctl_msg m;

	ctl_buf_init(&b);
	begin(&b, r->cmd == X_CREATE ? CTL_REQ_CREATE : r->cmd == X_GET ? CTL_REQ_GET
									 : CTL_REQ_DELETE);
	ctl_put_u8(&b, CTL_A_TABLE, CTL_T_EXPECT);
	if (r->cmd == X_DELETE)
		put_exp_tuple(r, &b, CTL_A_EXP_TUPLE, &r->src, &r->dst, r->sport, r->dport);
	else
		put_tuple_from(r, &b, CTL_A_ORIG, false);
	if (r->cmd == X_CREATE) {
		struct addr ones;

		memset(&ones, 0xff, sizeof(ones));
		put_exp_tuple(r, &b, CTL_A_EXP_TUPLE, &r->tsrc, &r->tdst, r->tsport, r->tdport);
		put_exp_tuple(r, &b, CTL_A_EXP_MASK, &r->msrc, &ones, r->msport, 0xffff);
		if (r->options & bit(O_TIMEOUT))
			ctl_put_u32(&b, CTL_A_TIMEOUT, r->timeout);
	}
	ctl_put_u32(&b, CTL_A_FMT, (r->output & OUT_XML) ? CT_FMT_XML : 0);
	send_buf(&b);
	ctl_buf_free(&b);
	while (recv_msg(&m)) {
		if (m.type == CTL_REP_ENTRY) {
			printf("%s\n", m.text ? m.text : "");
		} else if (m.type == CTL_REP_DONE) {
			return;
		} else if (m.type == CTL_REP_ERROR) {
			fail((int)m.err, r->cmd);
		}
	}
}

/*
 * The CPUs the kernel reports statistics for: every possible CPU
 * (/sys/devices/system/cpu/possible, e.g. "0-3" or "0,2-5").  Falls back
 * to CPU 0 alone.
 */
static size_t possible_cpus(unsigned *cpus, size_t max)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char line[4096], *p, *end;
	size_t n = 0;

	if (f && fgets(line, sizeof(line), f)) {
		for (p = line; *p && n < max;) {
			unsigned long lo = strtoul(p, &end, 10), hi = lo;

			if (end == p)
				break;
			if (*end == '-')
				hi = strtoul(end + 1, &end, 10);
			for (unsigned long c = lo; c <= hi && n < max; c++)
				cpus[n++] = (unsigned)c;
			p = end + (*end == ',');
			if (*end != ',')
				break;
		}
	}
	if (f)
		fclose(f);
	if (n == 0)
		cpus[n++] = 0;
	return n;
}

/*
 * conntrack -S prints one line per possible CPU, from the kernel's per-CPU
 * counters.  ctrackd counts in one datapath thread, so its counters are
 * reported as the first CPU's and the other CPUs' lines are zero: the sums
 * over the lines, which is what the counters mean, are right.
 */
static void do_stats(bool expect)
{
	static unsigned cpus[4096];
	size_t ncpu = possible_cpus(cpus, sizeof(cpus) / sizeof(cpus[0]));
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	simple_request(CTL_REQ_STATS, expect ? CTL_T_EXPECT : CTL_T_CONNTRACK, &m);
	for (size_t i = 0; i < ncpu; i++) {
		const struct ct_stats *s = &m.stats;
		static const struct ct_stats zero;

		if (i > 0)
			s = &zero;
		printf("cpu=%-4u\t", cpus[i]);
		if (expect) {
			/* The expect counters travel in the first three STATS fields. */
			printf("expect_new=%u expect_create=%u expect_delete=%u \n",
			       (unsigned)s->found, (unsigned)s->invalid, (unsigned)s->insert);
			continue;
		}
		printf("found=%u invalid=%u insert=%u insert_failed=%u drop=%u early_drop=%u "
		       "error=%u search_restart=%u clash_resolve=%u chaintoolong=%u \n",
		       (unsigned)s->found, (unsigned)s->invalid, (unsigned)s->insert,
		       (unsigned)s->insert_failed, (unsigned)s->drop, (unsigned)s->early_drop,
		       (unsigned)s->error, (unsigned)s->search_restart,
		       (unsigned)s->clash_resolve, (unsigned)s->chaintoolong);
	}
}

/* ---- events ---- */

static void on_signal(int s)
{
	(void)s;
	ev_stop = 1;
}

static void do_events(struct req *r)
{
	struct ctl_buf b;
	struct ctl_msg m;
	struct sigaction sa;
	bool xml_open = false;
	unsigned mask = (r->options & bit(O_EVMASK)) ? r->event_mask : 7;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: recv returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	ctl_buf_init(&b);
	begin(&b, CTL_REQ_SUBSCRIBE);
	ctl_put_u8(&b, CTL_A_TABLE, r->cmd == X_EVENT ? CTL_T_EXPECT : CTL_T_CONNTRACK);
	ctl_put_u32(&b, CTL_A_EVMASK, mask & 7);
	ctl_put_u32(&b, CTL_A_FMT, fmt_flags(r, true) & ~(unsigned)CT_FMT_TIMESTAMP);
	ctl_put_u32(&b, CTL_A_TZ, (uint32_t)tz_offset());
	send_buf(&b);
	ctl_buf_free(&b);
	if (r->options & bit(O_BUFSIZE))
		fprintf(stderr, "NOTICE: Netlink socket buffer size has been set to %zu bytes.\n",
			(size_t)0);
	while (!ev_stop) {
		if (!recv_msg(&m))
			break;
		if (m.type == CTL_REP_LOST) {
			fprintf(stderr, "WARNING: We have hit ENOBUFS! We are losing events.\n"
					"This message means that the current netlink socket buffer size is too small.\n"
					"Please, check --buffer-size in conntrack(8) manpage.\n");
			continue;
		}
		if (m.type == CTL_REP_ERROR)
			fail((int)m.err, r->cmd);
		if (m.type != CTL_REP_EVENT ||
		    (r->cmd == C_EVENT && !filter_ok(r, &m, F_LIST)))
			continue;
		if ((r->output & OUT_XML) && !xml_open) {
			fputs(ct_format_xml_header(), stdout);
			xml_open = true;
		}
		if ((r->output & OUT_TMS) && !(r->output & (OUT_XML | OUT_SAVE))) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			printf("[%-.8ld.%-.6ld]\t", (long)ts.tv_sec, (long)(ts.tv_nsec / 1000));
		}
		if (ctl_has(&m, CTL_A_PORTID)) {
			printf("%s [USERSPACE] portid=%u", m.text ? m.text : "", m.portid);
			if (m.progname)
				printf(" progname=%s", m.progname);
			putchar('\n');
		} else {
			print_line(r, &m, m.text, false);
		}
		fflush(stdout);
		counter++;
	}
	if (xml_open)
		fputs(ct_format_xml_footer(), stdout);
	fflush(stdout);
	fprintf(stderr, "%s v%s (conntrack-tools): ", PROG, VERSION);
	fprintf(stderr, exit_msg[r->cmd], counter);
	exit(0);
}

static int run(struct req *r, const char *progname)
{
	struct ctl_msg m;

	switch (r->cmd) {
	case C_VERSION:
		printf("%s v%s (conntrack-tools)\n", PROG, VERSION);
		return 0;
	case C_HELP:
		usage(progname);
		if (r->l4 && r->l4 != &proto_unknown)
			printf("Proto `%s' help:\n", r->l4->name);
		return 0;
	default:
		break;
	}
	if (!r->command) {
		usage(progname);
		return 0;
	}
	if (sock_fd < 0)
		daemon_connect();
	switch (r->cmd) {
	case C_LIST:
		do_list(r);
		break;
	case X_LIST:
		do_list_expect(r);
		break;
	case C_CREATE:
	case C_ADD:
		do_create(r);
		break;
	case C_UPDATE:
		do_update(r);
		break;
	case C_DELETE:
		do_delete(r);
		break;
	case C_GET:
		do_get(r);
		break;
	case X_GET:
	case X_DELETE:
	case X_CREATE:
		do_expect_request(r);
		break;
	case C_FLUSH:
	case X_FLUSH:
		simple_request(CTL_REQ_FLUSH, r->cmd == C_FLUSH ? CTL_T_CONNTRACK : CTL_T_EXPECT,
			       NULL);
		fprintf(stderr, "%s v%s (conntrack-tools): ", PROG, VERSION);
		fprintf(stderr, r->cmd == C_FLUSH ? "connection tracking table has been emptied.\n"
						  : "expectation table has been emptied.\n");
		break;
	case C_EVENT:
	case X_EVENT:
		do_events(r);
		break;
	case C_COUNT:
	case X_COUNT:
		memset(&m, 0, sizeof(m));
		simple_request(CTL_REQ_COUNT, r->cmd == C_COUNT ? CTL_T_CONNTRACK : CTL_T_EXPECT,
			       &m);
		printf("%d\n", (int)m.value);
		break;
	case C_STATS:
	case X_STATS:
		do_stats(r->cmd == X_STATS);
		break;
	default:
		break;
	}
	return 0;
}

/* conntrack's print_stats: the summary, and failure when nothing matched. */
static int summary(const struct req *r)
{
	if (r->command && exit_msg[r->cmd]) {
		fprintf(stderr, "%s v%s (conntrack-tools): ", PROG, VERSION);
		fprintf(stderr, exit_msg[r->cmd], counter);
		if (counter == 0 && r->cmd != C_LIST && r->cmd != X_LIST && r->cmd != C_ADD)
			return -1;
	}
	return 0;
}

/* -R FILE: one command per line, only -I -A -U -D -F. */
static int load_file(const char *prog, const char *name)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	char line[10240];
	struct req *cmds = NULL;
	size_t n = 0;

	if (!f)
		exit_error(PARAMETER_PROBLEM, "Failed to open file %s for reading",
			   strcmp(name, "-") == 0 ? "/dev/stdin" : name);
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *argv[256];
		int argc = 0;

		if (*p == '\n' || *p == '#' || *p == '\0')
			continue;
		argv[argc++] = (char *)prog;
		for (char *tok = strtok(p, " \t\n"); tok && argc < 255; tok = strtok(NULL, " \t\n")) {
			size_t l = strlen(tok);

			if (l >= 2 && tok[0] == '"' && tok[l - 1] == '"') {
				tok[l - 1] = '\0';
				tok++;
			}
			argv[argc++] = strdup(tok);
		}
		argv[argc] = NULL;
		cmds = realloc(cmds, (n + 1) * sizeof(*cmds));
		if (!cmds)
			exit_error(OTHER_PROBLEM, "OOM");
		do_parse(&cmds[n], argc, argv);
		for (int k = 1; k < argc; k++)
			free(argv[k]); /* the parsed command keeps no pointer into them */
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		static const char *const names[N_CMD] = {
			[C_LIST] = "-L", [C_GET] = "-G", [C_EVENT] = "-E", [C_VERSION] = "-V",
			[C_HELP] = "-h", [X_LIST] = "-L expect", [X_CREATE] = "-C expect",
			[X_DELETE] = "-D expect", [X_GET] = "-G expect", [X_FLUSH] = "-F expect",
			[X_EVENT] = "-E expect", [C_COUNT] = "-C", [X_COUNT] = "-C expect",
			[C_STATS] = "-S", [X_STATS] = "-S expect"};
		enum cmd c = cmds[i].cmd;

		if (!cmds[i].command || !(c == C_CREATE || c == C_ADD || c == C_UPDATE ||
					  c == C_DELETE || c == C_FLUSH))
			exit_error(PARAMETER_PROBLEM, "Cannot use command `%s' with --load-file",
				   cmds[i].command && names[c] ? names[c] : "unknown");
	}
	for (size_t i = 0; i < n; i++) {
		counter = 0;
		run(&cmds[i], prog);
	}
	free(cmds);
	if (f != stdin)
		fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct req r;

	if (argc > 2 && (!strcmp(argv[1], "-R") || !strcmp(argv[1], "--load-file")))
		return load_file(argv[0], argv[2]);
	do_parse(&r, argc, argv);
	run(&r, argv[0]);
	return summary(&r) < 0 ? 1 : 0;
}
