/* SPDX-License-Identifier: MIT */
/*
 * nftables rulesets: parse, check, list (as nft 1.0.6 lists them) and
 * evaluate against packets at the netfilter hooks.
 *
 * The library does no I/O.  A script is handed over as a buffer; `include
 * "file"` statements are resolved through the single loader function in
 * struct nft_config (the tool reads files, the library never does).  Without
 * a loader, include is an error.
 *
 * Ownership: nft_ruleset_* objects are owned by the caller and freed with
 * nft_ruleset_free (NULL accepted).  Strings returned through `char **out`
 * are malloc'ed and freed by the caller.
 */
#ifndef CTRACK_NFT_H
#define CTRACK_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"

struct nft_ruleset; /* opaque */
struct ct_pkt;

/*
 * Loader for `include "NAME"`: returns 0 and a malloc'ed buffer (*buf, *len,
 * freed by the library) or -errno.  `name` is the string as written.
 */
typedef int (*nft_load_fn)(void *arg, const char *name, char **buf, size_t *len);

/* Interface name <-> index resolution for `meta iif "lo"` (optional). */
struct nft_iface {
	const char *name;
	uint32_t index;
};

struct nft_config {
	nft_load_fn load;      /* may be NULL: include is then refused */
	void *load_arg;
	/* Known interfaces for iif/oif; NULL = just "lo" = 1 (as in a fresh netns). */
	const struct nft_iface *ifaces;
	size_t n_ifaces;
};

/* Listing flags (nft -s, -p, -a, -j, -n, -y, -t, -T). */
enum nft_list_flag {
	NFT_LIST_STATELESS = 1u << 0, /* -s: no counter values */
	NFT_LIST_NUMERIC_PROTO = 1u << 1, /* -p: numeric protocols */
	NFT_LIST_HANDLES = 1u << 2, /* -a: object handles */
	NFT_LIST_JSON = 1u << 3, /* -j: libnftables-json(5), as nft 1.0.6 prints it */
	NFT_LIST_NUMERIC = 1u << 4, /* -n: numbers for symbols, priorities, protocols */
	NFT_LIST_NUMERIC_PRIO = 1u << 5, /* -y: chain priorities as numbers */
	NFT_LIST_TERSE = 1u << 6, /* -t: sets without their elements */
	NFT_LIST_NUMERIC_TIME = 1u << 7, /* -T: times in seconds (-n too) */
};
#define NFT_LIST_FLAGS_ALL 0xffu

/* An empty ruleset. */
int nft_ruleset_new(const struct nft_config *cfg, struct nft_ruleset **out);
void nft_ruleset_free(struct nft_ruleset *rs);

/*
 * Apply a script to the ruleset all or nothing (nft -f).  `name` is the file
 * name used in error messages.  On error the ruleset is unchanged, -EINVAL
 * (or the loader's -errno) is returned and, when err != NULL, *err receives
 * nft-style messages ("NAME:LINE:COL-COL: Error: ...", the source line and a
 * marker line), malloc'ed.  With check_only the script is fully checked but
 * the ruleset is left unchanged (nft -c); -c also reports what the kernel
 * would refuse at commit ("Could not process rule: ..."), which nft -c
 * does not.  The new ruleset is built and compiled completely before it
 * replaces the old one (it is rebuilt from the scripts applied so far, with
 * the files they included as read then); a rule that stays keeps its
 * counter and its limit / ct count state, as in the kernel, while a table
 * deleted and added again starts afresh.  With name "" (commands given as
 * arguments) messages carry no "NAME:LINE:COL-COL: " prefix, as nft prints
 * errors in its command line.
 */
int nft_ruleset_apply(struct nft_ruleset *rs, const char *name, const char *buf, size_t len,
		      bool check_only, char **err);

/* `nft list ruleset` text (malloc'ed in *out).  flags: enum nft_list_flag. */
int nft_ruleset_list(const struct nft_ruleset *rs, unsigned flags, char **out);

/*
 * One nft list command, as nft reads it from its command line (the words
 * joined with spaces): `list ruleset [FAMILY]`, `list tables [FAMILY]`,
 * `list table [FAMILY] NAME`, `list chains [FAMILY]`, `list chain [FAMILY]
 * TABLE NAME`, `list sets [FAMILY]`, `list sets table [FAMILY] TABLE`, `list
 * set [FAMILY] TABLE NAME`, `list maps [FAMILY]`, `list map ...`, `list
 * ct helpers table [FAMILY] TABLE`, `list ct helper [FAMILY] TABLE NAME`;
 * and the kinds the engine has none of, answered as nft answers for a
 * ruleset without them: `list counters|quotas|limits|secmarks|synproxys
 * [FAMILY]` (and `... table ...`: the tables that have objects, empty),
 * `list counter|quota|limit|secmark|synproxy|ct timeout|ct expectation
 * ...`, `list meters|flowtables [FAMILY]`, `list meter|flowtable ...`.
 * Several commands may be separated by ';'.  A family left out means ip
 * for a named table, all families otherwise.
 * Returns 0 with the listing (text, or JSON with NFT_LIST_JSON) malloc'ed
 * in *out, or -ENOENT (a table, chain, set or object that does not exist)
 * or -EINVAL (syntax) with nft's message in *err (malloc'ed, when err is
 * not NULL): "Error: No such file or directory", the command and a marker
 * line under the name.
 */
int nft_ruleset_list_cmd(const struct nft_ruleset *rs, const char *cmd, unsigned flags,
			 char **out, char **err);

/*
 * Evaluation.  A ruleset is compiled when it is applied: per hook, the base
 * chains of both families in priority order; rules as flat operation lists
 * with resolved offsets; sets as hash tables (exact keys) or sorted interval
 * arrays (binary search).  Evaluating a packet allocates nothing and compares
 * no strings (interface names excepted, as the kernel does).
 */
enum nft_verdict {
	NFT_DROP = 0,
	NFT_ACCEPT = 1,
};

/* Per-packet metadata the evaluator cannot read from the packet. */
struct nft_meta {
	uint32_t iif, oif;         /* interface indexes; 0 = none */
	const char *iifname;       /* NULL = none */
	const char *oifname;
	uint32_t mark;             /* skb mark: read by `meta mark`, written by `meta mark set` */
	/*
	 * [in] false: the hook's base chains in [prio_lo, prio_hi) except
	 * nat-type chains; true: only its nat-type chains, all priorities
	 * (the kernel runs them from its NAT hooks, for first packets).
	 */
	bool nat_chains;
};

enum nft_reject_kind {
	NFT_REJECT_NONE = 0,
	NFT_REJECT_ICMP,     /* ICMP (IPv4) or ICMPv6 (IPv6) unreachable, code in reject_code */
	NFT_REJECT_TCP_RST,
	NFT_REJECT_ICMPX,    /* 0 no-route, 1 port, 2 host, 3 admin-prohibited */
};

enum nft_nat_kind {
	NFT_NAT_NONE = 0,
	NFT_NAT_SNAT,
	NFT_NAT_DNAT,
	NFT_NAT_MASQUERADE,
	NFT_NAT_REDIRECT,
};

/* Flags of a nat statement (random, fully-random, persistent, prefix). */
enum nft_nat_flag {
	NFT_NAT_F_RANDOM = 1u << 0,
	NFT_NAT_F_FULLY_RANDOM = 1u << 1,
	NFT_NAT_F_PERSISTENT = 1u << 2,
	/* `snat ip prefix to P`: NF_NAT_RANGE_NETMAP, the host bits are kept */
	NFT_NAT_F_NETMAP = 1u << 3,
};

/* What the base chains of one hook decided for a packet. */
struct nft_result {
	enum nft_verdict verdict;
	/* reject: the packet is dropped and this answer is due */
	uint8_t reject;             /* enum nft_reject_kind */
	uint8_t reject_code;
	/* templates set before conntrack (raw chains) */
	bool notrack;
	bool zone_set;
	uint16_t zone;
	/* `ct helper set`: the helper object's helper name */
	char helper[17];
	/* nat statement that fired (executed by the NAT module) */
	uint8_t nat;                /* enum nft_nat_kind */
	uint8_t nat_flags;          /* enum nft_nat_flag */
	bool nat_has_addr, nat_has_port;
	uint8_t nat_addr_min[16], nat_addr_max[16]; /* network order */
	uint16_t nat_port_min, nat_port_max;        /* host order */
	/* the last `log` statement that fired */
	bool log;
	const char *log_prefix;     /* borrowed from the ruleset; NULL if none */
	uint8_t log_level;          /* syslog level, 4 = warn */
	uint8_t log_flags;          /* enum nft_log_flag */
	/* the packet's family has a nat-type base chain (NAT hooks active) */
	bool nat_hooked;
	/* who decided: a rule (verdict statement) or a chain policy */
	bool by_rule, by_policy;
	const char *table, *chain;  /* borrowed from the ruleset */
	uint64_t handle;            /* rule handle (1, 2, ... in order of addition) */
	const char *rule_text;      /* the rule as `list ruleset` prints it (-s) */
};

/* `log flags` (the kernel's NF_LOG_* bits). */
enum nft_log_flag {
	NFT_LOG_TCPSEQ = 0x01,
	NFT_LOG_TCPOPT = 0x02,
	NFT_LOG_IPOPT = 0x04,
	NFT_LOG_UID = 0x08,
	NFT_LOG_MACDECODE = 0x20,
};

/*
 * The line the kernel's packet logger (nf_log_syslog) writes for a `log`
 * statement that fired: "PREFIX" "IN=.. OUT=.. [MAC=..] SRC=.. DST=.. LEN=..
 * ... PROTO=TCP SPT=.. DPT=.. ..." without the syslog level marker and
 * without the trailing newline.  IN is m->iifname, OUT m->oifname (empty
 * when NULL); MAC is printed for packets with an input interface, from the
 * link header when the packet has one.  snprintf-style: returns the full
 * length; the text is truncated to buflen.
 */
int nft_log_format(const struct ct_pkt *p, const struct nft_meta *m, const char *prefix,
		   unsigned log_flags, char *buf, size_t buflen);

/*
 * Does anything in the ruleset need connection tracking for this family
 * (2 or 10)?  The kernel hooks conntrack (and its defrag) into a namespace
 * only then (spec §7.7): ct expressions and statements, nat chains, ct
 * helper objects.
 */
bool nft_uses_conntrack(const struct nft_ruleset *rs, uint8_t l3num);

/*
 * Evaluate the base chains of `hook` for the packet's family (p->l3num)
 * whose priority lies in [prio_lo, prio_hi), in priority order, with
 * netfilter's verdict semantics: accept ends one base chain and the packet
 * goes on to the next; drop (and reject) is final; policies apply when a
 * base chain runs out of rules.  `ct` may be NULL (ct helper and ct
 * bytes/packets then read as absent).  `now` (ns) feeds `limit` and
 * `ct expiration`.  Counters are updated in the ruleset; `meta mark set`
 * writes m->mark; `ct mark set` writes p->ct; `notrack` and `ct zone set`
 * set the packet's template.  Returns 0.
 */
/*
 * Would nft_eval with these arguments run any base chain?  Lets a caller
 * skip hooks the ruleset does not use (the kernel registers no hook then).
 */
bool nft_would_run(const struct nft_ruleset *rs, enum ct_hook hook, uint8_t l3num,
		   int32_t prio_lo, int32_t prio_hi, bool nat_chains);
/* The family (2 or 10) has a nat-type base chain (NAT hooks active). */
bool nft_nat_hooked(const struct nft_ruleset *rs, uint8_t l3num);

int nft_eval(struct nft_ruleset *rs, struct ct_table *ct, enum ct_hook hook, int32_t prio_lo,
	     int32_t prio_hi, struct ct_pkt *p, struct nft_meta *m, uint64_t now,
	     struct nft_result *res);

#endif
