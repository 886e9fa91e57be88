/* SPDX-License-Identifier: MIT */
/*
 * Compile a checked ruleset into the flat form of vm.h.  Dependencies nft
 * adds implicitly (a tcp header field needs a TCP packet, an ip header field
 * an IPv4 packet) become checks of the load instructions, as the kernel's
 * payload expressions fail on packets without that header.
 */
#define _GNU_SOURCE /* qsort_r: a comparator with a context, no global state */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

struct cc {
	struct nft_ruleset *rs;
	struct nft_compiled *c;
	const struct nft_table *t;
};

void nft_prefix_range(const uint8_t *v, uint8_t plen, uint8_t len, uint8_t *lo, uint8_t *hi)
{
	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (unsigned i = 0; i < len; i++) {
		unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;
		uint8_t m = (uint8_t)(keep ? 0xff << (8 - keep) : 0);

		lo[i] = v[i] & m;
		hi[i] = (uint8_t)(v[i] | (uint8_t)~m);
	}
}

static int elem_cmp(const void *a, const void *b, void *key_len)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a;
	const struct nft_elem *y = *(const struct nft_elem *const *)b;

	return memcmp(x->lo, y->lo, *(const uint8_t *)key_len);
}

void nft_elems_sort(const struct nft_elem **v, size_t n, uint8_t key_len)
{
	qsort_r(v, n, sizeof(*v), elem_cmp, &key_len);
}

static void mark_uses_ct(struct nft_compiled *c, uint8_t family)
{
	if (family == NFT_FAM_INET || family == NFT_FAM_IP)
		c->uses_ct[0] = true;
	if (family == NFT_FAM_INET || family == NFT_FAM_IP6)
		c->uses_ct[1] = true;
}

static struct vm_insn *emit(struct cc *x, uint8_t op)
{
	struct nft_compiled *c = x->c;

	if (c->ninsn == c->cap_insn) {
		size_t cap = c->cap_insn ? c->cap_insn * 2 : 256;
		struct vm_insn *v = realloc(c->insn, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->insn = v;
		c->cap_insn = cap;
	}
	struct vm_insn *i = &c->insn[c->ninsn++];

	memset(i, 0, sizeof(*i));
	i->op = op;
	/* The kernel takes a conntrack reference (nf_ct_netns_get) for these. */
	if (x->t && (op == VM_LD_CT || op == VM_CT_SET || op == VM_NAT || op == VM_CT_COUNT))
		mark_uses_ct(c, x->t->family);
	return i;
}

static uint32_t hash_key(const uint8_t *k, uint8_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint8_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

#define VM_LO(s, i) ((s)->lo + (size_t)(i) * (s)->klen)
#define VM_HIK(s, i) ((s)->hi + (size_t)(i) * (s)->klen)

/* Each field of the key within the element's range for it (pipapo). */
static bool concat_find(const struct vm_set *s, const uint8_t *key, uint32_t *idx)
{
	for (uint32_t k = 0; k < s->n; k++) {
		const uint8_t *lo = VM_LO(s, k), *hi = VM_HIK(s, k);
		unsigned off = 0, f;

		for (f = 0; f < s->nfield; f++) {
			uint8_t l = s->fslot[f];

			if (memcmp(key + off, lo + off, l) < 0 || memcmp(key + off, hi + off, l) > 0)
				break;
			off += l;
		}
		if (f == s->nfield) {
			*idx = k;
			return true;
		}
	}
	return false;
}

bool nft_vm_set_find(const struct vm_set *s, const uint8_t *key, uint32_t *idx)
{
	if (s->concat_iv)
		return concat_find(s, key, idx);
	if (s->interval) {
		uint32_t lo = 0, hi = s->n;

		/* last element whose low key is <= key */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (memcmp(VM_LO(s, mid), key, s->klen) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!lo || memcmp(key, VM_HIK(s, lo - 1), s->klen) > 0)
			return false;
		*idx = lo - 1;
		return true;
	}
	for (uint32_t h = hash_key(key, s->klen) & s->mask;; h = (h + 1) & s->mask) {
		const uint8_t *slot = s->slots + (size_t)h * s->stride;
		uint32_t e;
		uint8_t j = 0;

		memcpy(&e, slot + s->klen, sizeof(e));
		if (!e)
			return false;
		while (j < s->klen && slot[j] == key[j])
			j++;
		if (j == s->klen) {
			*idx = e - 1;
			return true;
		}
	}
}

static void data_part(const struct nft_expr *d, uint8_t *lo, uint8_t *hi, uint8_t len)
{
	uint8_t l16[16], h16[16];

	switch (d->kind) {
	case EK_RANGE:
		memcpy(lo, d->l->v, len);
		memcpy(hi, d->r->v, len);
		break;
	case EK_PREFIX:
		nft_prefix_range(d->l ? d->l->v : d->v, d->plen, d->len, l16, h16);
		memcpy(lo, l16, len);
		memcpy(hi, h16, len);
		break;
	default:
		memcpy(lo, d->v, len);
		memcpy(hi, d->v, len);
		break;
	}
}

static void elem_data(const struct nft_expr *d, struct vm_elem_data *o)
{
	unsigned off = 0;

	switch (d->kind) {
	case EK_VERDICT:
		o->vcode = d->vcode;
		break;
	case EK_CONCAT:
		/* address . port of a nat map: each in its slot, low and high ends */
		for (const struct nft_expr *c = d->l; c; c = c->next) {
			if (off + c->len > NFT_DATA_MAX)
				break;
			data_part(c, o->lo + off, o->hi + off, c->len);
			off += nft_slot_len(c->len);
		}
		break;
	default:
		data_part(d, o->lo, o->hi, 16);
		break;
	}
}

static void set_free(struct vm_set *s)
{
	if (!s)
		return;
	free(s->lo);
	free(s->hi);
	free(s->data);
	free(s->slots);
	free(s);
}

static struct vm_set *compile_set(struct cc *x, struct nft_set *ns)
{
	struct nft_compiled *c = x->c;
	struct vm_set *s;
	const struct nft_elem **v;
	uint32_t n = 0;

	if (ns->vm)
		return ns->vm;
	if (c->nsets == c->cap_sets) {
		size_t cap = c->cap_sets ? c->cap_sets * 2 : 16;
		struct vm_set **nv = realloc(c->sets, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		c->sets = nv;
		c->cap_sets = cap;
	}
	s = calloc(1, sizeof(*s));
	v = malloc((ns->nelems + 1) * sizeof(*v));
	if (!s || !v)
		goto err;
	s->klen = ns->key_len;
	s->interval = ns->flags & SETF_INTERVAL;
	if (s->interval && ns->kcat.n) {
		s->concat_iv = true;
		s->nfield = ns->kcat.n;
		for (uint8_t f = 0; f < ns->kcat.n; f++)
			s->fslot[f] = nft_slot_len(ns->kcat.len[f]);
	}
	for (const struct nft_elem *e = ns->elems; e; e = e->next)
		v[n++] = e;
	if (s->interval && !s->concat_iv)
		nft_elems_sort(v, n, ns->key_len);
	s->n = n;
	s->lo = calloc(n + 1, s->klen);
	s->hi = calloc(n + 1, s->klen);
	if (!s->lo || !s->hi)
		goto err;
	if (ns->is_map) {
		s->data = calloc(n + 1, sizeof(*s->data));
		if (!s->data)
			goto err;
	}
	for (uint32_t i = 0; i < n; i++) {
		memcpy(VM_LO(s, i), v[i]->lo, s->klen);
		memcpy(VM_HIK(s, i), v[i]->hi, s->klen);
		if (s->data && v[i]->data) {
			elem_data(v[i]->data, &s->data[i]);
			if (v[i]->data->kind == EK_VERDICT && v[i]->data->text) {
				struct nft_chain *ch = nft_chain_find((struct nft_table *)x->t,
								      v[i]->data->text);

				s->data[i].chain = ch ? ch->vm_idx : 0;
			}
		}
	}
	if (!s->interval) {
		uint32_t cap = 4;

		while (cap < 2 * n)
			cap *= 2;
		s->stride = (s->klen + 4u + 3u) & ~3u;
		s->slots = calloc(cap, s->stride);
		if (!s->slots)
			goto err;
		s->mask = cap - 1;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t h = hash_key(VM_LO(s, i), s->klen) & s->mask, e = i + 1, used;

			for (;; h = (h + 1) & s->mask) {
				memcpy(&used, s->slots + (size_t)h * s->stride + s->klen, 4);
				if (!used)
					break;
			}
			memcpy(s->slots + (size_t)h * s->stride, VM_LO(s, i), s->klen);
			memcpy(s->slots + (size_t)h * s->stride + s->klen, &e, 4);
		}
	}
	free(v);
	c->sets[c->nsets++] = s;
	ns->vm = s;
	return s;
err:
	free(v);
	set_free(s);
	return NULL;
}

/* Load a selector into a register. */
static int load(struct cc *x, const struct nft_expr *e, uint16_t reg)
{
	struct vm_insn *i;

	switch (e->kind) {
	case EK_PAYLOAD: {
		const struct nft_field *f = nft_field_get(e->proto, e->key);
		static const uint8_t l4[] = { [PR_TCP] = 6, [PR_UDP] = 17, [PR_ICMP] = 1,
					      [PR_ICMPV6] = 58, [PR_TH] = 0 };
		bool net = e->proto == PR_IP || e->proto == PR_IP6;

		i = emit(x, net ? VM_LD_NET : VM_LD_TH);
		if (!i)
			return -ENOMEM;
		i->need_l3 = e->proto == PR_IP ? 2 : e->proto == PR_IP6 ? 10 : 0;
		i->need_l4 = net ? 0 : l4[e->proto];
		i->off = f->off;
		i->len = f->len;
		break;
	}
	case EK_META:
		i = emit(x, VM_LD_META);
		if (!i)
			return -ENOMEM;
		i->key = e->key;
		i->len = e->len;
		break;
	case EK_CT:
		i = emit(x, VM_LD_CT);
		if (!i)
			return -ENOMEM;
		i->key = e->key;
		i->dir = e->dir;
		i->len = e->len;
		i->need_l3 = e->nfproto;
		break;
	case EK_VALUE:
		i = emit(x, VM_LD_IMM);
		if (!i)
			return -ENOMEM;
		i->len = e->len;
		memcpy(i->a, e->v, 16);
		break;
	default:
		return -EINVAL;
	}
	i->reg = reg;
	return 0;
}

static int compile_value(struct cc *x, const struct nft_expr *e, uint16_t reg)
{
	struct vm_insn *i;

	switch (e->kind) {
	case EK_CONCAT: {
		/* components in 4-byte slots, the padding zeroed as the kernel does */
		unsigned off = 0;

		i = emit(x, VM_ZERO);
		if (!i)
			return -ENOMEM;
		i->reg = reg;
		i->len = e->len;
		for (const struct nft_expr *c = e->l; c; c = c->next) {
			if (compile_value(x, c, (uint16_t)(reg + off)))
				return -ENOMEM;
			off += nft_slot_len(c->len);
		}
		return 0;
	}
	case EK_BINOP: {
		if (compile_value(x, e->l, reg))
			return -ENOMEM;
		i = emit(x, VM_BITWISE);
		if (!i)
			return -ENOMEM;
		i->reg = reg;
		i->len = e->len;
		for (int k = 0; k < 16; k++) {
			uint8_t cv = e->r->v[k];

			/* (r & a) ^ b : and c -> (c, 0); or c -> (~c, c); xor c -> (~0, c) */
			i->a[k] = e->op == BOP_AND ? cv : e->op == BOP_OR ? (uint8_t)~cv : 0xff;
			i->b[k] = e->op == BOP_AND ? 0 : cv;
		}
		return 0;
	}
	case EK_MAP:
		if (compile_value(x, e->l, reg))
			return -ENOMEM;
		i = emit(x, VM_MAP);
		if (!i)
			return -ENOMEM;
		i->reg = reg;
		i->len = e->len;
		i->set = compile_set(x, e->set);
		return i->set ? 0 : -ENOMEM;
	default:
		return load(x, e, reg);
	}
}

static int compile_match(struct cc *x, const struct nft_stmt *s)
{
	const struct nft_expr *r = s->r;
	struct vm_insn *i;

	if (compile_value(x, s->l, 0))
		return -ENOMEM;
	uint8_t len = s->l->len;
	bool neg = s->op == OP_NE || s->op == OP_FLAGCMP_NE;

	switch (r->kind) {
	case EK_SET:
		i = emit(x, VM_LOOKUP);
		if (!i)
			return -ENOMEM;
		i->set = compile_set(x, r->set);
		i->neg = neg;
		return i->set ? 0 : -ENOMEM;
	case EK_RANGE:
		i = emit(x, VM_RANGE);
		if (!i)
			return -ENOMEM;
		memcpy(i->a, r->l->v, 16);
		memcpy(i->b, r->r->v, 16);
		i->len = len;
		i->neg = neg;
		return 0;
	case EK_PREFIX: {
		uint8_t lo[16], hi[16];

		nft_prefix_range(r->l ? r->l->v : r->v, r->plen, len, lo, hi);
		i = emit(x, VM_RANGE);
		if (!i)
			return -ENOMEM;
		memcpy(i->a, lo, 16);
		memcpy(i->b, hi, 16);
		i->len = len;
		i->neg = neg;
		return 0;
	}
	default:
		break;
	}
	if (r->dt == DT_IFNAME) {
		/* "eth*" matches names starting with "eth"; "eth\*" is literal */
		size_t n = strnlen((const char *)r->v, 16);

		i = emit(x, VM_IFNAME);
		if (!i)
			return -ENOMEM;
		memcpy(i->a, r->v, 16);
		i->len = 16;
		if (n && r->v[n - 1] == '*') {
			if (n >= 2 && r->v[n - 2] == '\\') {
				i->a[n - 2] = '*';
				i->a[n - 1] = 0;
			} else {
				i->len = (uint8_t)(n - 1);
			}
		}
		i->neg = neg;
		return 0;
	}
	bool flags = nft_dtypes[r->dt].bitmask && s->l->kind != EK_BINOP;

	if (flags && (s->op == OP_IMPLICIT || s->op == OP_NEG)) {
		/* implicit: any of the flags; `!`: none of them */
		i = emit(x, VM_BITWISE);
		if (!i)
			return -ENOMEM;
		memcpy(i->a, r->v, 16);
		i->len = len;
		i = emit(x, VM_CMP);
		if (!i)
			return -ENOMEM;
		i->key = s->op == OP_NEG ? VMC_EQ : VMC_NE;
		i->len = len;
		return 0;
	}
	static const uint8_t ops[] = { [OP_IMPLICIT] = VMC_EQ, [OP_EQ] = VMC_EQ, [OP_NE] = VMC_NE,
				       [OP_LT] = VMC_LT, [OP_GT] = VMC_GT, [OP_LE] = VMC_LE,
				       [OP_GE] = VMC_GE, [OP_NEG] = VMC_EQ,
				       [OP_FLAGCMP] = VMC_EQ, [OP_FLAGCMP_NE] = VMC_NE };

	i = emit(x, VM_CMP);
	if (!i)
		return -ENOMEM;
	i->key = ops[s->op];
	i->len = len;
	memcpy(i->a, r->v, 16);
	return 0;
}

static int compile_nat(struct cc *x, const struct nft_stmt *s)
{
	struct vm_insn *i;
	uint32_t arg = s->nat_flags;
	uint16_t off[4] = { VM_R_ADDR, VM_R_ADDR, VM_R_PORT, VM_R_PORT };

	if (s->nat_prefix)
		arg |= 1u << 12; /* NF_NAT_RANGE_NETMAP */
	if (s->addr) {
		arg |= 1u << 8;
		if (s->addr->kind == EK_PREFIX) {
			uint8_t lo[16], hi[16];

			nft_prefix_range(s->addr->l->v, s->addr->plen, s->addr->len, lo, hi);
			i = emit(x, VM_LD_IMM);
			if (!i)
				return -ENOMEM;
			i->reg = VM_R_ADDR;
			memcpy(i->a, lo, 16);
			i = emit(x, VM_LD_IMM);
			if (!i)
				return -ENOMEM;
			i->reg = VM_R_ADDR + VM_HI;
			memcpy(i->a, hi, 16);
			off[1] = VM_R_ADDR + VM_HI;
		} else {
			if (compile_value(x, s->addr, VM_R_ADDR))
				return -ENOMEM;
			if (s->addr->kind == EK_MAP)
				off[1] = VM_R_ADDR + VM_HI; /* the map loaded min and max */
			if (s->addr_hi) {
				if (compile_value(x, s->addr_hi, VM_R_ADDR + VM_HI))
					return -ENOMEM;
				off[1] = VM_R_ADDR + VM_HI;
			}
			if (s->nat_concat) {
				/* address . port from one lookup: the port follows the address */
				uint8_t a = nft_slot_len(s->nat_family == NFT_FAM_IP6 ? 16 : 4);

				arg |= 1u << 10;
				off[2] = (uint16_t)(VM_R_ADDR + a);
				off[3] = (uint16_t)(VM_R_ADDR + VM_HI + a);
			}
		}
	}
	if (s->port) {
		arg |= 1u << 10;
		if (compile_value(x, s->port, VM_R_PORT))
			return -ENOMEM;
		if (s->port->kind == EK_MAP)
			off[3] = VM_R_PORT + VM_HI;
		if (s->port_hi) {
			if (compile_value(x, s->port_hi, VM_R_PORT + VM_HI))
				return -ENOMEM;
			off[3] = VM_R_PORT + VM_HI;
		}
	}
	i = emit(x, VM_NAT);
	if (!i)
		return -ENOMEM;
	i->key = s->nat_type;
	i->arg = arg;
	memcpy(i->nat_off, off, sizeof(off));
	i->need_l3 = s->nat_family;
	i->len = s->addr ? (s->nat_family == NFT_FAM_IP6 ? 16 : 4) : 0;
	return 0;
}

static int compile_stmt(struct cc *x, struct nft_stmt *s)
{
	struct vm_insn *i;

	switch (s->kind) {
	case SK_MATCH:
		return compile_match(x, s);
	case SK_VERDICT: {
		i = emit(x, VM_VERDICT);
		if (!i)
			return -ENOMEM;
		i->key = s->vcode;
		if (s->chain) {
			struct nft_chain *c = nft_chain_find((struct nft_table *)x->t, s->chain);

			i->arg = c ? c->vm_idx : 0;
		}
		return 0;
	}
	case SK_VMAP:
		if (compile_value(x, s->l, 0))
			return -ENOMEM;
		i = emit(x, VM_VMAP);
		if (!i)
			return -ENOMEM;
		i->set = compile_set(x, s->r->set);
		return i->set ? 0 : -ENOMEM;
	case SK_COUNTER:
	case SK_LOG:
	case SK_LIMIT:
	case SK_NOTRACK:
	case SK_CT_COUNT:
		i = emit(x, s->kind == SK_COUNTER ? VM_COUNTER :
			    s->kind == SK_LOG	  ? VM_LOG :
			    s->kind == SK_LIMIT	  ? VM_LIMIT :
			    s->kind == SK_NOTRACK ? VM_NOTRACK : VM_CT_COUNT);
		if (!i)
			return -ENOMEM;
		i->stmt = s;
		if (s->kind == SK_CT_COUNT) {
			uint32_t cap = s->count < 4096 ? s->count + 1 : 4097;

			i->cc = nft_alloc(&x->rs->arena,
					  sizeof(*i->cc) + cap * sizeof(struct ct_tuple));
			if (!i->cc)
				return -ENOMEM;
			i->cc->cap = cap;
			s->cc = i->cc;
		}
		return 0;
	case SK_META_SET:
	case SK_CT_SET:
		if (s->kind == SK_CT_SET && s->key == CK_HELPER && s->r->kind == EK_VALUE) {
			/*
			 * `ct helper set "obj"` names a ct helper object; what gets
			 * attached is the object's helper type ("ftp"), which is what
			 * nft_result.helper carries (the object was checked to exist).
			 */
			struct nft_expr v = *s->r;
			char name[17] = {0};
			const struct nft_obj *o;

			memcpy(name, s->r->v, 16);
			o = nft_obj_find((struct nft_table *)x->t, name);
			if (o) {
				memset(v.v, 0, sizeof(v.v));
				memcpy(v.v, o->helper, strnlen(o->helper, 16));
			}
			if (compile_value(x, &v, 0))
				return -ENOMEM;
		} else if (compile_value(x, s->r, 0)) {
			return -ENOMEM;
		}
		i = emit(x, s->kind == SK_META_SET ? VM_META_SET : VM_CT_SET);
		if (!i)
			return -ENOMEM;
		i->key = s->key;
		i->len = s->r->len;
		return 0;
	case SK_REJECT:
		i = emit(x, VM_REJECT);
		if (!i)
			return -ENOMEM;
		i->key = s->rj_type == RJ_TCP_RST ? NFT_REJECT_TCP_RST :
			 s->rj_type == RJ_ICMPX	  ? NFT_REJECT_ICMPX : NFT_REJECT_ICMP;
		i->a[0] = s->rj_code;
		/* the dependency nft adds: tcp reset only for TCP, icmp per family */
		i->need_l4 = s->rj_type == RJ_TCP_RST ? 6 : 0;
		i->need_l3 = s->rj_type == RJ_ICMP ? s->rj_family : 0;
		return 0;
	case SK_NAT:
		return compile_nat(x, s);
	default:
		return 0;
	}
}

static int add_rule(struct cc *x, const struct nft_rule *r)
{
	struct nft_compiled *c = x->c;
	struct nft_sbuf b = { 0 };

	if (c->nrules == c->cap_rules) {
		size_t cap = c->cap_rules ? c->cap_rules * 2 : 64;
		struct vm_rule *v = realloc(c->rules, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->rules = v;
		c->cap_rules = cap;
	}
	struct vm_rule *vr = &c->rules[c->nrules];

	vr->first = (uint32_t)c->ninsn;
	vr->handle = r->handle;
	for (struct nft_stmt *s = r->stmts; s; s = s->next)
		if (compile_stmt(x, s))
			return -ENOMEM;
	vr->n = (uint32_t)(c->ninsn - vr->first);
	nft_print_rule(&b, x->t, r, NFT_LIST_STATELESS);
	vr->text = b.s ? nft_strndup(&x->rs->arena, b.s, b.len) : "";
	free(b.s);
	if (b.oom || !vr->text)
		return -ENOMEM;
	c->nrules++;
	return 0;
}

static struct nft_compiled *cmp_sort_ctx;

static int chain_cmp(const void *a, const void *b)
{
	const struct vm_chain *x = &cmp_sort_ctx->chains[*(const uint32_t *)a];
	const struct vm_chain *y = &cmp_sort_ctx->chains[*(const uint32_t *)b];

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int build_hooks(struct nft_compiled *c)
{
	for (int f = 0; f < VM_NFAM; f++)
		for (int h = 0; h < 5; h++) {
			uint32_t n = 0;

			c->hooks[f][h] = malloc((c->nchains + 1) * sizeof(uint32_t));
			if (!c->hooks[f][h])
				return -ENOMEM;
			for (uint32_t i = 0; i < c->nchains; i++) {
				const struct vm_chain *ch = &c->chains[i];
				bool fam = ch->family == NFT_FAM_INET ||
					   ch->family == (f ? NFT_FAM_IP6 : NFT_FAM_IP);

				if (ch->base && fam && ch->hook == h)
					c->hooks[f][h][n++] = i;
				if (ch->base && fam && ch->type == CHT_NAT)
					c->nat_hooked[f] = c->uses_ct[f] = true;
			}
			cmp_sort_ctx = c;
			qsort(c->hooks[f][h], n, sizeof(uint32_t), chain_cmp);
			c->nhooks[f][h] = n;
		}
	return 0;
}

void nft_compiled_free(struct nft_compiled *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsets; i++)
		set_free(c->sets[i]);
	free(c->sets);
	free(c->insn);
	free(c->rules);
	free(c->chains);
	for (int f = 0; f < VM_NFAM; f++)
		for (int h = 0; h < 5; h++)
			free(c->hooks[f][h]);
	free(c);
}

bool nft_uses_conntrack(const struct nft_ruleset *rs, uint8_t l3num)
{
	if (!rs || !rs->compiled)
		return false;
	return rs->compiled->uses_ct[l3num == 10 ? 1 : 0];
}

int nft_compile(struct nft_ruleset *rs)
{
	struct nft_compiled *c = calloc(1, sizeof(*c));
	struct cc x = { .rs = rs, .c = c };
	size_t n = 0;

	if (!c)
		return -ENOMEM;
	for (struct nft_table *t = rs->tables; t; t = t->next)
		for (struct nft_chain *ch = t->chains; ch; ch = ch->next)
			ch->vm_idx = (uint32_t)n++;
	c->chains = calloc(n + 1, sizeof(*c->chains));
	if (!c->chains)
		goto err;
	for (struct nft_table *t = rs->tables; t; t = t->next) {
		x.t = t;
		for (struct nft_obj *o = t->objs; o; o = o->next)
			if (o->helper[0])
				mark_uses_ct(c, t->family); /* ct helper objects */
		for (struct nft_chain *ch = t->chains; ch; ch = ch->next) {
			struct vm_chain *vc = &c->chains[ch->vm_idx];

			vc->table = t->name;
			vc->name = ch->name;
			vc->family = t->family;
			vc->base = ch->base;
			vc->type = ch->type;
			vc->hook = ch->hook;
			vc->policy = ch->policy;
			vc->prio = ch->prio;
			vc->order = ch->vm_idx;
			vc->first_rule = (uint32_t)c->nrules;
			for (struct nft_rule *r = ch->rules; r; r = r->next)
				if (add_rule(&x, r))
					goto err;
			vc->nrules = (uint32_t)(c->nrules - vc->first_rule);
		}
	}
	c->nchains = n;
	if (build_hooks(c))
		goto err;
	nft_compiled_free(rs->compiled);
	rs->compiled = c;
	return 0;
err:
	nft_compiled_free(c);
	return -ENOMEM;
}
