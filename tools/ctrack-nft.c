/* SPDX-License-Identifier: MIT */
/*
 * ctrack-nft: nft for ctrackd's ruleset, and for rulesets without a kernel.
 *
 * Against a running ctrackd, as nft against the kernel:
 *   ctrack-nft [--socket PATH] [-c] [-ajnpstyT] COMMAND...
 *   ctrack-nft [--socket PATH] [-c] -f FILE     (FILE "-": standard input)
 *       COMMAND is what nft takes: `add table ip filter`, `add rule filter
 *       input ct state established counter accept`, `insert rule ...`,
 *       `delete rule filter input handle 4`, `flush ruleset`, and the list
 *       commands (`list ruleset`, `list tables`, `list table`, `list
 *       chains`, `list chain`, `list sets`, `list set`, `list maps`, `list
 *       map`, `list counters`, `list counter`, `list ct helpers`, `list ct
 *       helper`), which ctrackd runs on its live ruleset, counters
 *       included; -j prints them as nft -j does (libnftables-json).
 *       The words are joined with spaces into one transaction, as nft does;
 *       -f applies a file all or nothing.  An error leaves the running
 *       ruleset untouched and prints nft's message; the exit status is 1.
 *       The socket is --socket PATH, else $CTRACK_SOCKET, else
 *       /run/ctrack/ctrackd.sock.  (-S is nft's --service, so it is not used.)
 *
 * Offline (no daemon):
 *   ctrack-nft [-c] [-ajnpstyT] -f FILE [list ...]
 *       without --socket and $CTRACK_SOCKET (or with --offline), -f checks
 *       (-c) or applies FILE to an empty ruleset, then runs the list
 *       command if one is given
 *   ctrack-nft SCRIPT [-s] [-p]      (conformance-runner form: apply, then list)
 *   ctrack-nft -f FILE --eval HOOK PKTS [--conntrack] [--iif N] [--oif N] [list ruleset]
 *       evaluate each packet of PKTS (one IPv4/IPv6 packet per line, in hex)
 *       at HOOK (prerouting, input, forward, output, postrouting) and print
 *       one verdict per line; with `list ruleset` the listing follows, with
 *       the counters the packets left (for kernel-differential tests)
 *   ctrack-nft --bench              ns per packet of the evaluator
 *
 * FILE is applied all or nothing; errors go to stderr in nft's format and
 * the exit status is 1.  Offline, `include "x"` is resolved here: absolute
 * paths as given, relative ones against the including script's directory
 * and then the current directory; live, ctrackd reads included files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctrack/ctl.h"
#include "common/ctl_client.h"
#include "ctrack/nft.h"
#include "ctrack/pkt.h"

static int read_file(const char *path, char **buf, size_t *len)
{
	bool std_in = !strcmp(path, "-");
	FILE *f = std_in ? stdin : fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(b, cap);

			if (!nb) {
				free(b);
				if (!std_in)
					fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	if (!std_in)
		fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

static int loader(void *arg, const char *name, char **buf, size_t *len)
{
	const char *dir = arg;
	char path[4096];

	if (name[0] == '/' || !dir)
		return read_file(name, buf, len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!read_file(path, buf, len))
		return 0;
	return read_file(name, buf, len);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hook_by_name(const char *n)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(n, hooks[i]))
			return i;
	return -1;
}

/* Evaluate the packets of `path` (hex lines) at `hook`; print verdicts. */
static int eval_file(struct nft_ruleset *rs, int hook, const char *path, const char *iif,
		     const char *oif, bool track)
{
	struct ct_table *ct = NULL;

	FILE *f = fopen(path, "r");
	char line[8192];
	uint8_t pkt[4096];
	unsigned n = 0;

	if (!f) {
		fprintf(stderr, "Error: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (track && ct_table_new(NULL, &ct)) {
		fprintf(stderr, "Error: cannot create the connection table\n");
		fclose(f);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = 0;
		struct ct_pkt p;
		struct nft_meta m = { .iifname = iif, .oifname = oif, .iif = iif ? 1 : 0,
				      .oif = oif ? 1 : 0 };
		struct nft_result res;

		for (char *c = line; c[0] && c[1] && len < sizeof(pkt); c += 2) {
			int hi = hexval(c[0]), lo = hexval(c[1]);

			if (hi < 0 || lo < 0)
				break;
			pkt[len++] = (uint8_t)(hi << 4 | lo);
		}
		if (!len)
			continue;
		memset(&p, 0, sizeof(p));
		if (ct_pkt_parse(&p, pkt, (uint32_t)len, CT_LINK_RAW) != CT_PARSE_OK) {
			printf("%u unparsed\n", n++);
			continue;
		}
		uint64_t now = (uint64_t)n * 1000000ull;

		/*
		 * With --conntrack the packet passes conntrack (priority -200)
		 * first, as at the kernel's prerouting and output hooks, and is
		 * confirmed when accepted; otherwise it is seen as untracked.
		 */
		p.ctinfo = CT_INFO_UNTRACKED;
		if (ct && ct_hook_conntrack(ct, &p, (enum ct_hook)hook, now)) {
			printf("%u drop conntrack\n", n++);
			ct_pkt_release(ct, &p);
			continue;
		}
		nft_eval(rs, ct, (enum ct_hook)hook, INT32_MIN, INT32_MAX, &p, &m, now, &res);
		if (ct) {
			if (res.verdict == NFT_ACCEPT)
				ct_confirm(ct, &p, now);
			else
				ct_pkt_release(ct, &p);
		}
		printf("%u %s%s\n", n++, res.verdict == NFT_ACCEPT ? "accept" : "drop",
		       res.reject ? " reject" : "");
	}
	fclose(f);
	ct_table_free(ct);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A TCP/IPv4 packet from src to dst:dport with the given flags. */
static uint32_t bench_pkt(uint8_t *b, uint32_t src, uint16_t dport, uint8_t flags)
{
	memset(b, 0, 40);
	b[0] = 0x45;
	b[3] = 40;
	b[8] = 64;
	b[9] = 6;
	b[12] = (uint8_t)(src >> 24);
	b[13] = (uint8_t)(src >> 16);
	b[14] = (uint8_t)(src >> 8);
	b[15] = (uint8_t)src;
	b[16] = 192;
	b[17] = 0;
	b[18] = 2;
	b[19] = 1;
	uint16_t c = ct_csum_fold(ct_csum_partial(b, 20, 0));

	b[10] = (uint8_t)(c >> 8);
	b[11] = (uint8_t)c;
	b[20] = 0x30;
	b[21] = 0x39;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
	b[32] = 0x50;
	b[33] = flags;
	return 40;
}

#define BENCH_PKTS 4096

/* ns per packet for `script`, over packets from `gen`. */
static double bench_one(const char *script, uint32_t (*gen)(unsigned i, uint16_t *dport,
							     uint8_t *ctinfo))
{
	static uint8_t bufs[BENCH_PKTS][40];
	static struct ct_pkt pk[BENCH_PKTS];
	struct nft_ruleset *rs;
	char *err = NULL;
	uint64_t t0, t1, best = UINT64_MAX;
	unsigned rounds = strstr(script, "accept\nip saddr") ? 5 : 200;

	if (nft_ruleset_new(NULL, &rs) ||
	    nft_ruleset_apply(rs, "bench", script, strlen(script), false, &err)) {
		fprintf(stderr, "bench ruleset rejected: %s\n", err ? err : "?");
		free(err);
		nft_ruleset_free(rs);
		return -1;
	}
	for (unsigned i = 0; i < BENCH_PKTS; i++) {
		uint16_t dport;
		uint8_t ctinfo;
		uint32_t src = gen(i, &dport, &ctinfo);

		memset(&pk[i], 0, sizeof(pk[i]));
		ct_pkt_parse(&pk[i], bufs[i], bench_pkt(bufs[i], src, dport, 0x10), CT_LINK_RAW);
		pk[i].ctinfo = ctinfo;
	}
	for (int run = 0; run < 5; run++) {
		struct nft_meta m = { 0 };
		struct nft_result res;
		unsigned acc = 0;

		t0 = now_ns();
		for (unsigned r = 0; r < rounds; r++)
			for (unsigned i = 0; i < BENCH_PKTS; i++) {
				nft_eval(rs, NULL, CT_HOOK_INPUT, INT32_MIN, INT32_MAX, &pk[i], &m,
					 0, &res);
				acc += res.verdict;
			}
		t1 = now_ns();
		if (t1 - t0 < best)
			best = t1 - t0;
		if (!acc)
			fprintf(stderr, "(all dropped)\n");
	}
	nft_ruleset_free(rs);
	return (double)best / ((double)rounds * BENCH_PKTS);
}

static uint32_t gen_stateful(unsigned i, uint16_t *dport, uint8_t *ctinfo)
{
	/* mostly established traffic, some new connections to 22/80/other */
	*dport = (uint16_t)(i % 16 == 0 ? 22 : i % 16 == 1 ? 80 : i % 16 == 2 ? 443 : 5000);
	*ctinfo = i % 16 < 3 ? CT_INFO_NEW : CT_INFO_ESTABLISHED;
	return 0x0a000001 + i;
}

static uint32_t gen_nomatch(unsigned i, uint16_t *dport, uint8_t *ctinfo)
{
	*dport = 9;
	*ctinfo = CT_INFO_NEW;
	return 0x0b000000 + i;
}

static uint32_t set_n;

static uint32_t gen_set(unsigned i, uint16_t *dport, uint8_t *ctinfo)
{
	*dport = 9;
	*ctinfo = CT_INFO_NEW;
	/* half the sources are in the set (10.0.0.0 + k, k < set_n) */
	uint32_t k = (i * 2654435761u) % (set_n ? set_n : 1);

	return i % 2 ? 0x0a000000 + k : 0x0b000000 + k;
}

static char *set_script(uint32_t n)
{
	size_t cap = 128 + (size_t)n * 18;
	char *s = malloc(cap);
	size_t len;

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "table ip t {\n set s { type ipv4_addr; elements = { ");
	for (uint32_t k = 0; k < n; k++) {
		uint32_t a = 0x0a000000 + k;

		len += (size_t)snprintf(s + len, cap - len, "%s%u.%u.%u.%u", k ? ", " : "", a >> 24,
					a >> 16 & 255, a >> 8 & 255, a & 255);
	}
	snprintf(s + len, cap - len,
		 " }; }\n chain in { type filter hook input priority 0; ip saddr @s drop; } }\n");
	return s;
}

static int nft_bench(void)
{
	static const char stateful[] =
		"table inet filter { chain input { type filter hook input priority 0;\n"
		"ct state established,related accept\nct state invalid drop\n"
		"tcp dport { 22, 80 } ct state new accept\ndrop\n} }\n";
	size_t cap = 1u << 20, len;
	char *rules = malloc(cap), *s1, *s2;

	if (!rules)
		return 1;
	len = (size_t)snprintf(rules, cap, "table ip t { chain in { type filter hook input priority 0;\n");
	for (unsigned k = 0; k < 1000; k++)
		len += (size_t)snprintf(rules + len, cap - len,
					"ip saddr 10.%u.%u.1 tcp dport %u accept\n", k >> 8, k & 255,
					1000 + k);
	snprintf(rules + len, cap - len, "} }\n");
	printf("nft eval (a) stateful ruleset:        %6.1f ns/packet\n",
	       bench_one(stateful, gen_stateful));
	printf("nft eval (b) 1000 distinct rules:     %6.1f ns/packet (no rule matches)\n",
	       bench_one(rules, gen_nomatch));
	set_n = 100000;
	s1 = set_script(set_n);
	set_n = 10;
	s2 = set_script(set_n);
	if (s1 && s2) {
		printf("nft eval (c) set of 10 addresses:     %6.1f ns/packet\n",
		       bench_one(s2, gen_set));
		set_n = 100000;
		printf("nft eval (c) set of 100000 addresses: %6.1f ns/packet\n",
		       bench_one(s1, gen_set));
	}
	free(s1);
	free(s2);
	free(rules);
	return 0;
}

/* ---- live: ctrackd's ruleset over the control socket ---- */

static struct ctl_client cli = {.fd = -1};
static uint32_t next_seq = 1;

static int live_connect(const char *path)
{
	int err = ctl_client_open(&cli, path);

	if (err == -ENAMETOOLONG) {
		fprintf(stderr, "Error: socket path too long: %s\n", path);
		return -1;
	}
	if (err) {
		/* nft fails likewise when it cannot open its netlink socket */
		fprintf(stderr, "Error: cannot connect to ctrackd at %s: %s\n", path,
			strerror(-err));
		return -1;
	}
	return 0;
}

/*
 * Send the request in `req` and wait for its DONE or ERROR: 0 with the
 * reply in *rep (strings valid until the next call), or -1 after printing
 * why the daemon could not be talked to.
 */
static int live_call(struct ctl_buf *req, struct ctl_msg *rep)
{
	int err = ctl_client_call(&cli, req, rep);

	if (err == -E2BIG)
		fprintf(stderr, "Error: request too large\n");
	else if (err)
		fprintf(stderr, "Error: ctrackd: %s\n", strerror(-err));
	return err ? -1 : 0;
}

/* An ERROR reply as nft prints it: the daemon's nft-style text, or the errno. */
static void print_error(const struct ctl_msg *rep)
{
	if (ctl_has(rep, CTL_A_TEXT) && rep->text[0])
		fputs(rep->text, stderr);
	else
		fprintf(stderr, "Error: %s\n", strerror((int)rep->err));
}

/* Apply (or with check, only check) a script in ctrackd.  0 or 1 (exit status). */
static int live_apply(const char *name, const char *text, size_t len, bool check)
{
	struct ctl_buf b;
	struct ctl_msg rep;
	char *copy = malloc(len + 1);
	int rc = 1;

	if (!copy) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	/* the protocol's strings end with a NUL; a script holding one is cut there */
	memcpy(copy, text, len);
	copy[len] = 0;
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_RULESET_APPLY, next_seq++);
	ctl_put_str(&b, CTL_A_TEXT, copy);
	ctl_put_str(&b, CTL_A_NAME, name);
	if (check)
		ctl_put_u32(&b, CTL_A_FLAGS, CTL_F_CHECK);
	if (!live_call(&b, &rep)) {
		if (rep.type == CTL_REP_ERROR)
			print_error(&rep);
		else
			rc = 0;
	}
	ctl_buf_free(&b);
	free(copy);
	return rc;
}

/* The words of a command joined with spaces, as nft joins its arguments (malloc'ed). */
static char *join_words(char **words, int nwords)
{
	size_t len = 1;
	char *text;

	for (int i = 0; i < nwords; i++)
		len += strlen(words[i]) + 1;
	text = malloc(len);
	if (!text)
		return NULL;
	len = 0;
	for (int i = 0; i < nwords; i++) {
		size_t n = strlen(words[i]);

		if (i)
			text[len++] = ' ';
		memcpy(text + len, words[i], n);
		len += n;
	}
	text[len] = 0;
	return text;
}

/* Does a command line start with `list` (as a word of its own or the first of several)? */
static bool is_list(const char *w)
{
	return !strncmp(w, "list", 4) && (!w[4] || w[4] == ' ' || w[4] == '\t');
}

/*
 * A list command (`list ruleset`, `list set inet filter x`, ...): ctrackd
 * runs it on its live ruleset, counters included, and answers with the
 * listing or with nft's error message.
 */
static int live_list_cmd(char **words, int nwords, unsigned flags)
{
	struct ctl_buf b;
	struct ctl_msg rep;
	char *cmd = join_words(words, nwords);
	int rc = 1;

	if (!cmd) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_RULESET_LIST, next_seq++);
	ctl_put_u32(&b, CTL_A_FLAGS, flags);
	ctl_put_str(&b, CTL_A_TEXT, cmd);
	if (!live_call(&b, &rep)) {
		if (rep.type == CTL_REP_ERROR) {
			print_error(&rep);
		} else {
			fputs(ctl_has(&rep, CTL_A_TEXT) ? rep.text : "", stdout);
			rc = 0;
		}
	}
	ctl_buf_free(&b);
	free(cmd);
	return rc;
}

/* Commands given as words: joined with spaces into one transaction, as nft does. */
static int live_words(char **words, int nwords, bool check, unsigned flags)
{
	char *text;
	size_t len;
	int rc;

	if (is_list(words[0]))
		return live_list_cmd(words, nwords, flags);
	text = join_words(words, nwords);
	if (!text) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	/* nft's command line ends with a newline: errors point past the end at it */
	len = strlen(text);
	char *nl = realloc(text, len + 2);

	if (!nl) {
		free(text);
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	text = nl;
	text[len++] = '\n';
	text[len] = 0;
	/* an unnamed source: nft prints command-line errors without a location */
	rc = live_apply("", text, len, check);
	free(text);
	return rc;
}

/* nft's command keywords: a first word that is one of them starts a command. */
static bool is_command(const char *w)
{
	static const char *const cmds[] = { "add",    "create", "insert", "delete", "destroy",
					    "flush",  "list",   "replace", "reset", "rename",
					    "describe", "monitor", "get",   "export", "import",
					    "table",  "chain",  "rule",   "set",    "map",
					    "element", "define", "include" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strncmp(w, cmds[i], strlen(cmds[i])) &&
		    (!w[strlen(cmds[i])] || w[strlen(cmds[i])] == ' '))
			return true;
	return false;
}

/*
 * Flag options, nft's letters: -c -s -p -a -j -n -y -t -T, bundled as getopt
 * allows (-an, -nn), or long.  Returns NFT_LIST_* bits (OPT_CHECK for -c),
 * 0 for an argument that is no flag option, OPT_BAD for an unknown letter
 * in a bundle.
 */
#define OPT_CHECK (1u << 30)
#define OPT_BAD (1u << 31)

static unsigned flag_option(const char *a)
{
	static const struct {
		char c;
		const char *name;
		unsigned bits;
	} opts[] = {
		{ 'c', "--check", OPT_CHECK },
		{ 's', "--stateless", NFT_LIST_STATELESS },
		{ 'p', "--numeric-protocol", NFT_LIST_NUMERIC_PROTO },
		{ 'a', "--handle", NFT_LIST_HANDLES },
		{ 'j', "--json", NFT_LIST_JSON },
		{ 'n', "--numeric", NFT_LIST_NUMERIC },
		{ 'y', "--numeric-priority", NFT_LIST_NUMERIC_PRIO },
		{ 't', "--terse", NFT_LIST_TERSE },
		{ 'T', "--numeric-time", NFT_LIST_NUMERIC_TIME },
	};
	unsigned bits = 0;
	size_t i;

	if (a[0] != '-' || !a[1])
		return 0;
	if (a[1] == '-') {
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (!strcmp(a, opts[i].name))
				return opts[i].bits;
		return 0;
	}
	for (const char *c = a + 1; *c; c++) {
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (*c == opts[i].c)
				break;
		if (i == sizeof(opts) / sizeof(opts[0]))
			/* a single unknown letter is some other option (-f, -e ...) */
			return c == a + 1 && !c[1] ? 0 : OPT_BAD;
		bits |= opts[i].bits;
	}
	return bits;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ctrack-nft [--socket PATH] [-c] [-ajnpstyT] COMMAND...        (ctrackd)\n"
		"       ctrack-nft [--socket PATH] [-c] -f FILE                      (ctrackd)\n"
		"       ctrack-nft [--offline] [-c] [-ajnpstyT] -f FILE [list ...]\n"
		"       ctrack-nft SCRIPT [-s] [-p]\n");
}

/*
 * -f FILE offline: apply to an empty ruleset, evaluate, then run the list
 * command `list` (words joined with spaces; NULL: none).
 */
static int offline(const char *file, bool check, const char *list, unsigned flags,
		   const char *evalf, int hook, const char *iif, const char *oif, bool track)
{
	const char *name = strcmp(file, "-") ? file : "/dev/stdin";
	char *buf, *err = NULL, *dir = strdup(file), *slash;
	size_t len;
	int rc = read_file(file, &buf, &len);

	if (rc) {
		/* nft reports it from its internal location, with two empty lines */
		fprintf(stderr, "internal:0:0-0: Error: Could not open file \"%s\": %s\n\n\n", file,
			strerror(-rc));
		free(dir);
		return 1;
	}
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = 0;
	struct nft_config cfg = { .load = loader, .load_arg = slash ? dir : NULL };
	struct nft_ruleset *rs;

	if (nft_ruleset_new(&cfg, &rs)) {
		fprintf(stderr, "Error: out of memory\n");
		free(buf);
		free(dir);
		return 1;
	}
	rc = nft_ruleset_apply(rs, name, buf, len, check, &err);
	free(buf);
	if (rc) {
		if (err)
			fputs(err, stderr);
		else
			fprintf(stderr, "Error: %s\n", strerror(-rc));
		free(err);
		nft_ruleset_free(rs);
		free(dir);
		return 1;
	}
	if (evalf && !check && eval_file(rs, hook, evalf, iif, oif, track))
		rc = 1;
	if (list && !check) {
		char *out = NULL;

		err = NULL;
		if (nft_ruleset_list_cmd(rs, list, flags, &out, &err)) {
			fputs(err ? err : "Error: out of memory\n", stderr);
			rc = 1;
		} else {
			fputs(out, stdout);
		}
		free(out);
		free(err);
	}
	nft_ruleset_free(rs);
	free(dir);
	return rc ? 1 : 0;
}

/* -f FILE against ctrackd: the file's text in one transaction. */
static int live_file(const char *file, bool check)
{
	const char *name = strcmp(file, "-") ? file : "/dev/stdin";
	char *buf;
	size_t len;
	int rc = read_file(file, &buf, &len);

	if (rc) {
		/* nft reports it from its internal location, with two empty lines */
		fprintf(stderr, "internal:0:0-0: Error: Could not open file \"%s\": %s\n\n\n", file,
			strerror(-rc));
		return 1;
	}
	rc = live_apply(name, buf, len, check);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *evalf = NULL, *iif = NULL, *oif = NULL;
	const char *sock = getenv("CTRACK_SOCKET");
	bool check = false, positional = false, track = false, force_offline = false;
	unsigned flags = 0;
	int hook = -1, first_word = 0;

	if (sock && !*sock)
		sock = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		unsigned f = flag_option(a);

		if (f == OPT_BAD) {
			usage();
			return 2;
		}
		if (f) {
			if (f & OPT_CHECK)
				check = true;
			flags |= f & NFT_LIST_FLAGS_ALL;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			if (++i >= argc) {
				usage();
				return 2;
			}
			file = argv[i];
		} else if (!strcmp(a, "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strncmp(a, "--socket=", 9)) {
			sock = a + 9;
		} else if (!strcmp(a, "--offline")) {
			force_offline = true;
		} else if (!strcmp(a, "--eval") && i + 2 < argc) {
			hook = hook_by_name(argv[i + 1]);
			evalf = argv[i + 2];
			i += 2;
			if (hook < 0) {
				usage();
				return 2;
			}
		} else if (!strcmp(a, "--conntrack")) {
			track = true;
		} else if (!strcmp(a, "--iif") && i + 1 < argc) {
			iif = argv[++i];
		} else if (!strcmp(a, "--oif") && i + 1 < argc) {
			oif = argv[++i];
		} else if (!strcmp(a, "--bench")) {
			return nft_bench();
		} else if (!strcmp(a, "--")) {
			/* nft's way to pass words starting with '-' (priority -100) */
			if (i + 1 < argc)
				first_word = i + 1;
			break;
		} else if (a[0] != '-' && is_command(a)) {
			/* as nft: everything from the first command word on is the command */
			first_word = i;
			break;
		} else if (a[0] != '-' && !file) {
			file = a;
			positional = true;
		} else {
			usage();
			return 2;
		}
	}
	char **words = first_word ? argv + first_word : NULL;
	int nwords = first_word ? argc - first_word : 0;
	bool listing = nwords && is_list(words[0]);

	if ((flags & NFT_LIST_JSON) && (nwords || file) && !listing && !positional) {
		/* nft -j reads its commands as JSON: not supported here */
		fprintf(stderr, "Error: ctrack-nft reads no JSON commands; -j applies to list "
				"commands\n");
		return 1;
	}

	/*
	 * Offline as before: the conformance runner's SCRIPT form, --eval, and
	 * -f without a socket named by --socket or $CTRACK_SOCKET (so
	 * `ctrack-nft -c -f FILE` and `ctrack-nft -f FILE list ruleset` never
	 * touch a daemon that happens to run); --offline forces it.
	 */
	if (positional || evalf || force_offline || (file && !sock)) {
		if (!file || (nwords && !listing)) {
			usage();
			return 2;
		}
		char *list = listing ? join_words(words, nwords) : positional ? strdup("list ruleset")
									       : NULL;

		if ((listing || positional) && !list) {
			fprintf(stderr, "Error: out of memory\n");
			return 1;
		}
		int rc = offline(file, check, list, flags, evalf, hook, iif, oif, track);

		free(list);
		return rc;
	}
	if (!file && !nwords) {
		fprintf(stderr, "ctrack-nft: no command specified\n");
		return 1;
	}
	if (live_connect(sock ? sock : CTL_DEFAULT_SOCK))
		return 1;
	int rc = 0;

	if (file)
		rc = live_file(file, check);
	if (!rc && nwords)
		rc = live_words(words, nwords, check, flags);
	ctl_client_close(&cli);
	return rc;
}
