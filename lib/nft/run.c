/* SPDX-License-Identifier: MIT */
/*
 * Packet evaluation over the compiled ruleset, with nf_tables' semantics
 * (nft_do_chain): rules run in order; a failed expression ends the rule
 * (NFT_BREAK); accept ends the base chain and the packet moves on to the
 * next base chain of the hook; drop is final; jump pushes a return point,
 * goto does not; return (or the end of a chain) pops, and at the bottom of
 * the stack the base chain's policy applies.  Nothing is allocated here.
 */
#include <string.h>

#include "ctrack/pkt.h"
#include "vm.h"

#define VM_STACK 16 /* NFT_JUMP_STACK_SIZE */

enum { VC_NONE = 0, VC_BREAK = 100 };

struct run {
	struct nft_compiled *c;
	struct ct_table *ct;
	struct ct_pkt *p;
	struct nft_meta *m;
	uint64_t now;
	struct nft_result *res;
	uint8_t reg[VM_REG_BYTES];
	uint32_t jump_chain; /* target of the last jump/goto */
};

/* Registers hold `len` meaningful bytes; what follows is never read. */
static void put_be(uint8_t *r, uint8_t len, uint64_t v)
{
	for (int i = len - 1; i >= 0; i--) {
		r[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* memcmp for the short keys of packet fields, without a library call. */
static inline int vm_cmp(const uint8_t *a, const uint8_t *b, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static inline void vm_copy(uint8_t *d, const uint8_t *s, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		d[i] = s[i];
}

static uint64_t get_be(const uint8_t *r, uint8_t len)
{
	uint64_t v = 0;

	for (uint8_t i = 0; i < len && i < 8; i++)
		v = v << 8 | r[i];
	return v;
}

static bool load_payload(struct run *x, const struct vm_insn *i, uint8_t *r)
{
	const struct ct_pkt *p = x->p;
	uint32_t base;

	if (i->need_l3 && p->l3num != i->need_l3)
		return false;
	if (i->op == VM_LD_NET) {
		base = p->l3_off;
	} else {
		if (i->need_l4 && p->proto != i->need_l4)
			return false;
		/* no transport header in a later fragment */
		if (p->is_frag && !p->frag_first)
			return false;
		base = p->l4_off;
	}
	if ((uint64_t)base + i->off + i->len > p->len)
		return false;
	vm_copy(r, p->data + base + i->off, i->len);
	return true;
}

static void put_name(uint8_t *r, const char *name)
{
	memset(r, 0, 16);
	if (name)
		strncpy((char *)r, name, 16);
}

static bool load_meta(struct run *x, const struct vm_insn *i, uint8_t *r)
{
	const struct ct_pkt *p = x->p;
	const struct nft_meta *m = x->m;

	switch (i->key) {
	case MK_LENGTH:
		put_be(r, 4, p->l3_len);
		return true;
	case MK_MARK:
		put_be(r, 4, m->mark);
		return true;
	case MK_IIF:
		put_be(r, 4, m->iif);
		return m->iif != 0;
	case MK_OIF:
		put_be(r, 4, m->oif);
		return m->oif != 0;
	case MK_IIFNAME:
		put_name(r, m->iifname);
		return m->iifname != NULL;
	case MK_OIFNAME:
		put_name(r, m->oifname);
		return m->oifname != NULL;
	case MK_L4PROTO:
		put_be(r, 1, p->proto);
		return true;
	case MK_NFPROTO:
		put_be(r, 1, p->l3num);
		return true;
	default:
		return false;
	}
}

static bool load_ct(struct run *x, const struct vm_insn *i, uint8_t *r)
{
	const struct ct_pkt *p = x->p;
	const struct ct_conn *c = p->ct;
	struct ct_tuple tu;
	uint64_t pk[2] = { 0, 0 }, by[2] = { 0, 0 };

	if (i->key == CK_STATE) {
		put_be(r, 4, ct_info_state_bit((enum ct_info)p->ctinfo));
		return true;
	}
	if (!c)
		return false;
	switch (i->key) {
	case CK_DIRECTION:
		put_be(r, 1, p->dir);
		return true;
	case CK_STATUS:
		put_be(r, 4, ct_conn_status(c));
		return true;
	case CK_MARK:
		put_be(r, 4, ct_conn_mark(c));
		return true;
	case CK_EXPIRATION:
		put_be(r, 4, ct_conn_timeout_left(c, x->now) / 1000000u);
		return true;
	case CK_HELPER:
		put_name(r, x->ct ? ct_conn_helper_name(x->ct, c) : NULL);
		return r[0] != 0;
	case CK_L3PROTO:
		put_be(r, 1, ct_conn_l3num(c));
		return true;
	case CK_PROTOCOL:
		put_be(r, 1, ct_conn_proto(c));
		return true;
	case CK_SADDR:
	case CK_DADDR:
		if (i->need_l3 && ct_conn_l3num(c) != i->need_l3)
			return false;
		ct_conn_tuple(c, i->dir == 2 ? CT_DIR_REPLY : CT_DIR_ORIGINAL, &tu);
		memset(r, 0, 16);
		memcpy(r, i->key == CK_SADDR ? tu.src : tu.dst, i->len);
		return true;
	case CK_PROTO_SRC:
	case CK_PROTO_DST:
		ct_conn_tuple(c, i->dir == 2 ? CT_DIR_REPLY : CT_DIR_ORIGINAL, &tu);
		put_be(r, 2, i->key == CK_PROTO_SRC ? tu.src_l4 : tu.dst_l4);
		return true;
	case CK_BYTES:
	case CK_PACKETS:
		if (!x->ct || !ct_conn_counters(x->ct, c, CT_DIR_ORIGINAL, &pk[0], &by[0]) ||
		    !ct_conn_counters(x->ct, c, CT_DIR_REPLY, &pk[1], &by[1]))
			return false;
		if (i->dir) {
			put_be(r, 8, i->key == CK_BYTES ? by[i->dir - 1] : pk[i->dir - 1]);
		} else {
			put_be(r, 8, i->key == CK_BYTES ? by[0] + by[1] : pk[0] + pk[1]);
		}
		return true;
	case CK_ZONE: {
		uint16_t o, rz;
		unsigned dirs;

		ct_conn_zone(c, &o, &rz, &dirs);
		put_be(r, 2, i->dir == 2 ? rz : o);
		return true;
	}
	default:
		return false;
	}
}

static bool cmp_ok(uint8_t op, int c)
{
	switch (op) {
	case VMC_EQ:
		return c == 0;
	case VMC_NE:
		return c != 0;
	case VMC_LT:
		return c < 0;
	case VMC_GT:
		return c > 0;
	case VMC_LE:
		return c <= 0;
	default:
		return c >= 0;
	}
}

/*
 * The kernel's token bucket (nft_limit): tokens are nanoseconds of credit,
 * one packet (or byte) costs unit/rate, the bucket holds `burst` packets'
 * worth (byte mode: rate + burst bytes' worth).  Returns true when the
 * packet is within the limit.
 */
static bool limit_ok(struct nft_stmt *s, uint64_t now, uint32_t len)
{
	static const uint64_t unit_s[] = { 1, 60, 3600, 86400, 604800 };
	uint64_t nsecs = unit_s[s->unit] * 1000000000ull, cost;

	if (!s->lim_started) {
		uint64_t burst = s->burst_set ? s->burst : 0;

		if (!s->bytes_mode) {
			if (!burst)
				burst = 5;
			s->lim_max = nsecs / s->rate * burst;
		} else {
			s->lim_max = (uint64_t)((unsigned __int128)nsecs * (s->rate + burst) / s->rate);
		}
		s->lim_tokens = s->lim_max;
		s->lim_last = now;
		s->lim_started = true;
	}
	cost = s->bytes_mode ? (uint64_t)((unsigned __int128)nsecs * len / s->rate) :
			       nsecs / s->rate;
	uint64_t tokens = s->lim_tokens + (now > s->lim_last ? now - s->lim_last : 0);

	if (tokens > s->lim_max)
		tokens = s->lim_max;
	s->lim_last = now;
	if (tokens >= cost) {
		s->lim_tokens = tokens - cost;
		return true;
	}
	s->lim_tokens = tokens;
	return false;
}

static void do_nat(struct run *x, const struct vm_insn *i)
{
	struct nft_result *res = x->res;

	res->nat = i->key;
	res->nat_flags = (uint8_t)(i->arg & 0xff);
	if (i->arg & (1u << 12))
		res->nat_flags |= NFT_NAT_F_NETMAP;
	res->nat_has_addr = i->arg & (1u << 8);
	res->nat_has_port = i->arg & (1u << 10);
	if (res->nat_has_addr) {
		memcpy(res->nat_addr_min, x->reg + i->nat_off[0], 16);
		memcpy(res->nat_addr_max, x->reg + i->nat_off[1], 16);
		if (i->len == 4) {
			/* an IPv4 address: what follows it in the register is not part of it */
			memset(res->nat_addr_min + 4, 0, 12);
			memset(res->nat_addr_max + 4, 0, 12);
		}
	}
	if (res->nat_has_port) {
		res->nat_port_min = (uint16_t)get_be(x->reg + i->nat_off[2], 2);
		res->nat_port_max = (uint16_t)get_be(x->reg + i->nat_off[3], 2);
	}
}

/*
 * nft_connlimit: forget counted connections that are gone, count this one
 * (by its original tuple) if it is new to the list, return the count.  The
 * kernel's list is unbounded and its garbage collection depends on CPUs and
 * jiffies; this keeps limit + 1 entries and collects on every call, which
 * gives the same answer while at most limit + 1 connections are alive.
 */
static uint32_t conncount(struct run *x, struct vm_conncount *cc)
{
	struct ct_tuple tu;
	bool seen = false;

	if (x->p->ct)
		ct_conn_tuple(x->p->ct, CT_DIR_ORIGINAL, &tu);
	else
		tu = x->p->tuple;
	for (uint32_t k = 0; k < cc->n;) {
		if (!memcmp(&cc->t[k], &tu, sizeof(tu))) {
			seen = true;
			k++;
			continue;
		}
		if (x->ct && !ct_lookup(x->ct, &cc->t[k], x->now, NULL)) {
			cc->t[k] = cc->t[--cc->n];
			continue;
		}
		k++;
	}
	if (!seen && cc->n < cc->cap)
		cc->t[cc->n++] = tu;
	return cc->n;
}

/* Run one rule; returns a verdict code, VC_NONE (fell through) or VC_BREAK. */
static int run_rule(struct run *x, const struct vm_rule *vr)
{
	const struct vm_insn *i = &x->c->insn[vr->first], *end = i + vr->n;
	uint32_t idx;

	for (; i < end; i++) {
		uint8_t *r = x->reg + i->reg;

		switch (i->op) {
		case VM_LD_NET:
		case VM_LD_TH:
			if (!load_payload(x, i, r))
				return VC_BREAK;
			break;
		case VM_LD_META:
			if (!load_meta(x, i, r))
				return VC_BREAK;
			break;
		case VM_LD_CT:
			if (!load_ct(x, i, r))
				return VC_BREAK;
			break;
		case VM_LD_IMM:
			memcpy(r, i->a, 16);
			break;
		case VM_BITWISE:
			for (uint8_t k = 0; k < i->len; k++)
				r[k] = (uint8_t)((r[k] & i->a[k]) ^ i->b[k]);
			break;
		case VM_CMP:
			if (!cmp_ok(i->key, vm_cmp(r, i->a, i->len)))
				return VC_BREAK;
			break;
		case VM_RANGE: {
			bool in = vm_cmp(r, i->a, i->len) >= 0 && vm_cmp(r, i->b, i->len) <= 0;

			if (in == i->neg)
				return VC_BREAK;
			break;
		}
		case VM_IFNAME:
			if ((memcmp(r, i->a, i->len) == 0) == i->neg)
				return VC_BREAK;
			break;
		case VM_LOOKUP:
			if (nft_vm_set_find(i->set, r, &idx) == i->neg)
				return VC_BREAK;
			break;
		case VM_MAP:
			if (!nft_vm_set_find(i->set, r, &idx))
				return VC_BREAK;
			memcpy(r, i->set->data[idx].lo, NFT_DATA_MAX);
			memcpy(r + VM_HI, i->set->data[idx].hi, NFT_DATA_MAX);
			break;
		case VM_VMAP:
			if (!nft_vm_set_find(i->set, r, &idx))
				return VC_BREAK;
			x->jump_chain = i->set->data[idx].chain;
			return i->set->data[idx].vcode;
		case VM_VERDICT:
			x->jump_chain = i->arg;
			return i->key;
		case VM_COUNTER:
			i->stmt->packets++;
			i->stmt->bytes += x->p->l3_len;
			break;
		case VM_LOG:
			x->res->log = true;
			x->res->log_prefix = i->stmt->prefix;
			x->res->log_level = (uint8_t)(i->stmt->level < 0 ? 4 : i->stmt->level);
			x->res->log_flags = i->stmt->log_flags;
			break;
		case VM_LIMIT:
			if (limit_ok(i->stmt, x->now, x->p->l3_len) == i->stmt->over)
				return VC_BREAK;
			break;
		case VM_META_SET:
			x->m->mark = (uint32_t)get_be(r, 4);
			break;
		case VM_CT_SET:
			if (i->key == CK_MARK) {
				if (x->p->ct)
					ct_conn_set_mark(x->p->ct, (uint32_t)get_be(r, 4));
			} else if (i->key == CK_ZONE) {
				x->res->zone_set = true;
				x->res->zone = (uint16_t)get_be(r, 2);
				ct_pkt_set_zone(x->p, x->res->zone, 3);
			} else if (i->key == CK_HELPER) {
				memcpy(x->res->helper, r, 16);
				x->res->helper[16] = 0;
			}
			break;
		case VM_NOTRACK:
			x->res->notrack = true;
			ct_pkt_set_notrack(x->p);
			break;
		case VM_REJECT:
			if ((i->need_l4 && x->p->proto != i->need_l4) ||
			    (i->need_l3 && x->p->l3num != i->need_l3))
				return VC_BREAK;
			x->res->reject = i->key;
			x->res->reject_code = i->a[0];
			return VC_DROP;
		case VM_NAT:
			if (i->need_l3 && x->p->l3num != i->need_l3)
				return VC_BREAK;
			do_nat(x, i);
			return VC_ACCEPT;
		case VM_CT_COUNT:
			if ((conncount(x, i->cc) > i->stmt->count) != i->stmt->count_over)
				return VC_BREAK;
			break;
		case VM_ZERO:
			memset(r, 0, i->len);
			break;
		default:
			break;
		}
	}
	return VC_NONE;
}

static void decided(struct run *x, const struct vm_chain *ch, const struct vm_rule *vr)
{
	struct nft_result *res = x->res;

	res->table = ch->table;
	res->chain = ch->name;
	res->by_rule = vr != NULL;
	res->by_policy = vr == NULL;
	res->handle = vr ? vr->handle : 0;
	res->rule_text = vr ? vr->text : NULL;
}

/* One base chain with its jump stack; returns VC_ACCEPT or VC_DROP. */
static int run_base(struct run *x, uint32_t base)
{
	struct {
		uint32_t chain, rule;
	} stack[VM_STACK];
	unsigned sp = 0;
	uint32_t cur = base, ri = 0;
	const struct nft_compiled *c = x->c;

	for (;;) {
		const struct vm_chain *ch = &c->chains[cur];

		if (ri >= ch->nrules) {
			if (!sp)
				break;
			sp--;
			cur = stack[sp].chain;
			ri = stack[sp].rule;
			continue;
		}
		const struct vm_rule *vr = &c->rules[ch->first_rule + ri];
		int v = run_rule(x, vr);

		switch (v) {
		case VC_ACCEPT:
		case VC_DROP:
			decided(x, ch, vr);
			return v;
		case VC_JUMP:
			if (sp == VM_STACK) {
				decided(x, ch, vr);
				return VC_DROP;
			}
			stack[sp].chain = cur;
			stack[sp].rule = ri + 1;
			sp++;
			cur = x->jump_chain;
			ri = 0;
			continue;
		case VC_GOTO:
			cur = x->jump_chain;
			ri = 0;
			continue;
		case VC_RETURN:
			if (!sp) {
				ri = ch->nrules;
				continue;
			}
			sp--;
			cur = stack[sp].chain;
			ri = stack[sp].rule;
			continue;
		default: /* VC_NONE, VC_CONTINUE, VC_BREAK */
			ri++;
			continue;
		}
	}
	const struct vm_chain *bc = &c->chains[base];

	decided(x, bc, NULL);
	return bc->policy == NFT_ACCEPT ? VC_ACCEPT : VC_DROP;
}

bool nft_would_run(const struct nft_ruleset *rs, enum ct_hook hook, uint8_t l3num,
		   int32_t prio_lo, int32_t prio_hi, bool nat_chains)
{
	const struct nft_compiled *c;
	int f = l3num == NFT_FAM_IP6 ? 1 : 0;

	if (!rs || !rs->compiled || (unsigned)hook > CT_HOOK_POSTROUTING)
		return false;
	c = rs->compiled;
	for (uint32_t k = 0; k < c->nhooks[f][hook]; k++) {
		const struct vm_chain *ch = &c->chains[c->hooks[f][hook][k]];

		if ((ch->type == CHT_NAT) != nat_chains)
			continue;
		if (!nat_chains && (ch->prio < prio_lo || ch->prio >= prio_hi))
			continue;
		return true;
	}
	return false;
}

bool nft_nat_hooked(const struct nft_ruleset *rs, uint8_t l3num)
{
	return rs && rs->compiled && rs->compiled->nat_hooked[l3num == NFT_FAM_IP6 ? 1 : 0];
}

int nft_eval(struct nft_ruleset *rs, struct ct_table *ct, enum ct_hook hook, int32_t prio_lo,
	     int32_t prio_hi, struct ct_pkt *p, struct nft_meta *m, uint64_t now,
	     struct nft_result *res)
{
	/*
	 * Not zero-initialised as a whole: the register file is written by
	 * every rule before it is read (a concatenation's padding by VM_ZERO),
	 * and clearing 384 bytes per packet and hook would be wasted.
	 */
	struct run x;

	x.c = NULL;
	x.ct = ct;
	x.p = p;
	x.m = m;
	x.now = now;
	x.res = res;
	x.jump_chain = 0;

	memset(res, 0, sizeof(*res));
	res->verdict = NFT_ACCEPT;
	if (!rs || !rs->compiled || (unsigned)hook > CT_HOOK_POSTROUTING)
		return 0;
	x.c = rs->compiled;
	int f = p->l3num == NFT_FAM_IP6 ? 1 : 0;

	res->nat_hooked = x.c->nat_hooked[f];
	for (uint32_t k = 0; k < x.c->nhooks[f][hook]; k++) {
		const struct vm_chain *ch = &x.c->chains[x.c->hooks[f][hook][k]];

		/* nat chains run from the NAT hook, for first packets only */
		if ((ch->type == CHT_NAT) != m->nat_chains)
			continue;
		if (!m->nat_chains && (ch->prio < prio_lo || ch->prio >= prio_hi))
			continue;
		if (run_base(&x, x.c->hooks[f][hook][k]) == VC_DROP) {
			res->verdict = NFT_DROP;
			return 0;
		}
	}
	return 0;
}
