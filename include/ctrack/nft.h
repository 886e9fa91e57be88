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

/* Listing flags (nft -s, -p). */
enum nft_list_flag {
	NFT_LIST_STATELESS = 1u << 0, /* -s: no counter values */
	NFT_LIST_NUMERIC_PROTO = 1u << 1, /* -p: numeric protocols */
};

/* An empty ruleset. */
int nft_ruleset_new(const struct nft_config *cfg, struct nft_ruleset **out);
void nft_ruleset_free(struct nft_ruleset *rs);

/*
 * Apply a script to the ruleset all or nothing (nft -f).  `name` is the file
 * name used in error messages.  On error the ruleset is unchanged, -EINVAL
 * (or the loader's -errno) is returned and, when err != NULL, *err receives
 * nft-style messages ("NAME:LINE:COL-COL: Error: ...", the source line and a
 * marker line), malloc'ed.  With check_only the script is fully checked but
 * the ruleset is left unchanged (nft -c).
 */
int nft_ruleset_apply(struct nft_ruleset *rs, const char *name, const char *buf, size_t len,
		      bool check_only, char **err);

/* `nft list ruleset` text (malloc'ed in *out).  flags: enum nft_list_flag. */
int nft_ruleset_list(const struct nft_ruleset *rs, unsigned flags, char **out);

/*
 * Evaluation.  The ruleset is compiled (at apply time) into per-hook chains
 * ordered by priority; evaluating a packet allocates nothing.
 */
enum nft_verdict {
	NFT_ACCEPT = 1,
	NFT_DROP = 0,
};

/* Per-packet metadata the evaluator cannot read from the packet. */
struct nft_meta {
	uint32_t iif, oif;         /* interface indexes; 0 = none */
	const char *iifname;       /* NULL = none */
	const char *oifname;
	uint32_t mark;             /* skb mark, updated by `meta mark set` */
};

/* What a ruleset decided for a packet at one hook. */
struct nft_result {
	enum nft_verdict verdict;
	bool reject;               /* drop with a reply: see reject_* */
	uint8_t reject_type;       /* 0 icmp(v6) unreach, 1 tcp reset, 2 icmpx */
	uint8_t reject_code;
	bool notrack;              /* `notrack` seen (raw chains) */
	bool zone_set;
	uint16_t zone;
	bool log;                  /* a `log` statement fired (last one wins) */
	char log_prefix[128];
	uint8_t log_level;
	bool nat;                  /* a nat statement fired (executed by the NAT module) */
};

/*
 * Evaluate the base chains of `hook` for the packet's family (p->l3num) in
 * priority order.  `now` (ns) feeds `limit`.  Counters are updated; `meta mark
 * set` updates m->mark; `ct mark set` updates p->ct.
 */
int nft_eval(struct nft_ruleset *rs, enum ct_hook hook, struct ct_pkt *p, struct nft_meta *m,
	     uint64_t now, struct nft_result *res);

#endif
