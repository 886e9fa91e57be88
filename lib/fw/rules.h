/* SPDX-License-Identifier: MIT */
/*
 * The router's view of the ruleset: evaluate the base chains of one hook
 * whose priority lies in [prio_lo, prio_hi), so that conntrack (-200), NAT
 * and confirm can sit between them as in the kernel (spec §11.1).
 */
#ifndef CTRACK_FW_RULES_H
#define CTRACK_FW_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "ctrack/ct.h"
#include "ctrack/nat.h"
#include "ctrack/pkt.h"

struct nft_ruleset;

#define FW_PRIO_MIN INT32_MIN
#define FW_PRIO_MAX INT32_MAX
#define FW_PRIO_CONNTRACK (-200)
#define FW_PRIO_NAT_DST (-100) /* dstnat: where the NAT core hook sits (spec §11.1) */
#define FW_PRIO_NAT_SRC 100    /* srcnat */

struct fw_meta {
	uint32_t iif, oif;
	const char *iifname, *oifname;
	uint32_t mark;
	/*
	 * [in] Which chains to evaluate.  false: every base chain of the hook
	 * in [prio_lo, prio_hi) EXCEPT nat-type chains.  true: only the
	 * nat-type base chains of the hook, whatever their priority (the
	 * kernel runs them all from its NAT hook at -100 / +100, in priority
	 * order, and only for a connection's first packet).
	 */
	bool nat_chains;
};

/* The nat statement that fired (struct fw_verdict.nat_kind). */
enum fw_nat_kind {
	FW_NAT_NONE = 0,
	FW_NAT_SNAT,
	FW_NAT_DNAT,
	FW_NAT_MASQUERADE,
	FW_NAT_REDIRECT,
};

enum fw_reject {
	FW_REJECT_NONE = 0,
	FW_REJECT_ICMP,   /* code in reject_code: ICMP type 3 (v4) / ICMPv6 type 1 (v6) */
	FW_REJECT_TCP_RST,
	FW_REJECT_ICMPX,  /* family-independent code: 0 no-route, 1 port, 2 host, 3 admin */
};

struct fw_verdict {
	bool drop;
	enum fw_reject reject;
	uint8_t reject_code;
	bool notrack;
	bool zone_set;
	uint16_t zone;
	/* The rule (or policy) that decided, when known. */
	bool by_rule, by_policy;
	const char *table, *chain, *rule_text;
	uint64_t handle;
	/*
	 * NAT, filled when m->nat_chains is set.  A nat statement is terminal
	 * (it ends evaluation as accept does).  nat_range uses ctrack/nat.h:
	 * NAT_RANGE_MAP_IPS with min_addr..max_addr when an address, range or
	 * map value was given (`dnat to ip daddr map {...}` resolved by the
	 * evaluator), NAT_RANGE_PROTO_SPECIFIED with min_proto..max_proto
	 * (host order) when a port or port range was given, and the
	 * RANDOM / RANDOM_FULLY / PERSISTENT flags.  For masquerade and
	 * redirect only the port range and flags are used.  nat_family is the
	 * family written in the statement (`snat ip to`), 0 if none.
	 * nat_hooked: the packet's family has at least one nat-type base chain
	 * in the ruleset (the kernel then registers its NAT hooks, so null
	 * bindings and NAT_DONE bits happen); set whether or not one fired.
	 */
	uint8_t nat_kind; /* enum fw_nat_kind */
	uint8_t nat_family;
	bool nat_hooked;
	struct nat_range nat_range;
};

/* Returns 0; v->drop tells the verdict.  A NULL ruleset accepts. */
int fw_rules_eval(struct nft_ruleset *rs, struct ct_table *ct, enum ct_hook hook,
		  int32_t prio_lo, int32_t prio_hi, struct ct_pkt *p, struct fw_meta *m,
		  uint64_t now, struct fw_verdict *v);

#endif
