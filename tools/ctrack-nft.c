/* SPDX-License-Identifier: MIT */
/*
 * ctrack-nft: check and list nftables rulesets without a kernel.
 *
 *   ctrack-nft [-c] [-s] [-p] [-a] -f FILE [list ruleset]
 *   ctrack-nft SCRIPT [-s] [-p]      (conformance-runner form: apply, then list)
 *   ctrack-nft -f FILE --eval HOOK PKTS [--conntrack] [--iif N] [--oif N] [list ruleset]
 *       evaluate each packet of PKTS (one IPv4/IPv6 packet per line, in hex)
 *       at HOOK (prerouting, input, forward, output, postrouting) and print
 *       one verdict per line; with `list ruleset` the listing follows, with
 *       the counters the packets left (for kernel-differential tests)
 *   ctrack-nft --bench              ns per packet of the evaluator
 *
 * FILE is applied to an empty ruleset all or nothing; errors go to stderr in
 * nft's format and the exit status is 1.  `include "x"` is resolved here:
 * absolute paths as given, relative ones against the including script's
 * directory and then the current directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrack/nft.h"
#include "ctrack/pkt.h"

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
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

static void usage(void)
{
	fprintf(stderr, "usage: ctrack-nft [-c] [-s] [-p] [-a] -f FILE [list ruleset]\n"
			"       ctrack-nft SCRIPT [-s] [-p]\n");
}

int main(int argc, char **argv)
{
	const char *file = NULL, *evalf = NULL, *iif = NULL, *oif = NULL;
	bool check = false, list = false, positional = false, track = false;
	unsigned flags = 0;
	int hook = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-c") || !strcmp(a, "--check"))
			check = true;
		else if (!strcmp(a, "-s") || !strcmp(a, "--stateless"))
			flags |= NFT_LIST_STATELESS;
		else if (!strcmp(a, "-p") || !strcmp(a, "--numeric-protocol"))
			flags |= NFT_LIST_NUMERIC_PROTO;
		else if (!strcmp(a, "-a") || !strcmp(a, "--handle"))
			flags |= NFT_LIST_HANDLES;
		else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			if (++i >= argc) {
				usage();
				return 2;
			}
			file = argv[i];
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
		} else if (!strcmp(a, "list") && i + 1 < argc && !strcmp(argv[i + 1], "ruleset")) {
			list = true;
			i++;
		} else if (a[0] != '-' && !file) {
			file = a;
			positional = true;
		} else {
			usage();
			return 2;
		}
	}
	if (!file) {
		usage();
		return 2;
	}
	if (positional)
		list = true;

	char *buf, *err = NULL, *dir = strdup(file), *slash;
	size_t len;
	int rc = read_file(file, &buf, &len);

	if (rc) {
		fprintf(stderr, "Error: Could not open file \"%s\": %s\n", file, strerror(-rc));
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
		return 1;
	}
	rc = nft_ruleset_apply(rs, file, buf, len, check, &err);
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
		char *out;

		if (nft_ruleset_list(rs, flags, &out)) {
			fprintf(stderr, "Error: out of memory\n");
			rc = 1;
		} else {
			fputs(out, stdout);
			free(out);
		}
	}
	nft_ruleset_free(rs);
	free(dir);
	return rc ? 1 : 0;
}
