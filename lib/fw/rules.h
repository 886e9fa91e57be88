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
#include "ctrack/pkt.h"

struct nft_ruleset;

#define FW_PRIO_MIN INT32_MIN
#define FW_PRIO_MAX INT32_MAX
#define FW_PRIO_CONNTRACK (-200)

struct fw_meta {
	uint32_t iif, oif;
	const char *iifname, *oifname;
	uint32_t mark;
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
};

/* Returns 0; v->drop tells the verdict.  A NULL ruleset accepts. */
int fw_rules_eval(struct nft_ruleset *rs, enum ct_hook hook, int32_t prio_lo, int32_t prio_hi,
		  struct ct_pkt *p, struct fw_meta *m, uint64_t now, struct fw_verdict *v);

#endif
