/* SPDX-License-Identifier: MIT */
/* Binding of the router's hooks to the nft evaluator (lib/nft). */
#include <string.h>

#include "ctrack/expect.h"
#include "ctrack/nft.h"
#include "rules.h"

static void map_nat(const struct nft_result *r, struct fw_verdict *v)
{
	static const uint8_t kinds[] = {
		[NFT_NAT_NONE] = FW_NAT_NONE,     [NFT_NAT_SNAT] = FW_NAT_SNAT,
		[NFT_NAT_DNAT] = FW_NAT_DNAT,     [NFT_NAT_MASQUERADE] = FW_NAT_MASQUERADE,
		[NFT_NAT_REDIRECT] = FW_NAT_REDIRECT,
	};
	struct nat_range *nr = &v->nat_range;

	v->nat_hooked = r->nat_hooked;
	if (r->nat >= sizeof(kinds) || r->nat == NFT_NAT_NONE)
		return;
	v->nat_kind = kinds[r->nat];
	memset(nr, 0, sizeof(*nr));
	if (r->nat_has_addr) {
		nr->flags |= NAT_RANGE_MAP_IPS;
		memcpy(nr->min_addr, r->nat_addr_min, 16);
		memcpy(nr->max_addr, r->nat_addr_max, 16);
	}
	if (r->nat_has_port) {
		nr->flags |= NAT_RANGE_PROTO_SPECIFIED;
		nr->min_proto = r->nat_port_min;
		nr->max_proto = r->nat_port_max;
	}
	if (r->nat_flags & NFT_NAT_F_RANDOM)
		nr->flags |= NAT_RANGE_PROTO_RANDOM;
	if (r->nat_flags & NFT_NAT_F_FULLY_RANDOM)
		nr->flags |= NAT_RANGE_PROTO_RANDOM_FULLY;
	if (r->nat_flags & NFT_NAT_F_PERSISTENT)
		nr->flags |= NAT_RANGE_PERSISTENT;
	if (r->nat_flags & NFT_NAT_F_NETMAP)
		nr->flags |= NAT_RANGE_NETMAP;
}

int fw_rules_eval(struct nft_ruleset *rs, struct ct_table *ct, enum ct_hook hook,
		  int32_t prio_lo, int32_t prio_hi, struct ct_pkt *p, struct fw_meta *m,
		  uint64_t now, struct fw_verdict *v)
{
	struct nft_meta nm = {
		.iif = m->iif,
		.oif = m->oif,
		.iifname = m->iifname,
		.oifname = m->oifname,
		.mark = m->mark,
		.nat_chains = m->nat_chains,
	};
	struct nft_result r;

	memset(v, 0, sizeof(*v));
	if (!rs)
		return 0;
	/* No base chain of this hook in range: nothing to run (the fast path). */
	if (!nft_would_run(rs, hook, p->l3num, prio_lo, prio_hi, m->nat_chains)) {
		v->nat_hooked = nft_nat_hooked(rs, p->l3num);
		return 0;
	}
	nft_eval(rs, ct, hook, prio_lo, prio_hi, p, &nm, now, &r);
	m->mark = nm.mark;
	v->drop = r.verdict == NFT_DROP;
	v->reject = (enum fw_reject)r.reject;
	v->reject_code = r.reject_code;
	v->notrack = r.notrack;
	v->zone_set = r.zone_set;
	v->zone = r.zone;
	v->by_rule = r.by_rule;
	v->by_policy = r.by_policy;
	v->table = r.table;
	v->chain = r.chain;
	v->handle = r.handle;
	v->rule_text = r.rule_text;
	map_nat(&r, v);
	/* `ct helper set`: attach to the new, unconfirmed entry only (spec §9.2). */
	if (r.helper[0] && ct && p->ct && p->ct_new)
		ct_conn_set_helper(ct, p->ct, r.helper, ct_conn_proto(p->ct));
	return 0;
}
