/* SPDX-License-Identifier: MIT */
/*
 * Semantic checks, as nft's evaluation step and the kernel's validation do
 * them: symbols become typed values, protocol context is tracked through a
 * rule (so `tcp dport` after `meta l4proto udp` is a conflict and a nat port
 * needs a transport match), dependencies nft would not list are marked
 * hidden, constant expressions are folded into nft's canonical forms, and
 * anonymous sets are built (intervals merged).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

struct ctx {
	struct nft_pstate *ps;
	struct nft_table *t;
	struct nft_chain *c;
	struct nft_rule *r;
	uint8_t nfproto;             /* 0 unknown, 2, 10 */
	struct nft_stmt *nf_dep;     /* `meta nfproto X` that a later match may hide */
	uint8_t l4;                  /* known transport protocol, 0 unknown */
	bool l4_any;                 /* a set of transport protocols is known */
	uint8_t l4_last;             /* last protocol of that set (for messages) */
	struct nft_stmt *l4_dep;     /* protocol match a later match may hide */
	bool l4_dep_payload;         /* l4_dep is `ip protocol` / `ip6 nexthdr` */
	struct nft_stmt *terminal;
	bool no_kill;                /* resolving a statement argument: deps stay listed */
	bool nfproto_known;
	struct nft_stmt *ct_l3_reject;
	bool seen_payload;
	bool l4_from_hdr;           /* a header match came before */
	bool nf_from_hint;           /* nfproto only suggested by an ICMP/ICMPv6 match (inet) */
	bool ct_no_l4;               /* ct proto-src/dst without a transport protocol */
	const struct nft_loc *key_loc; /* selector a set literal is matched with (messages) */
	const struct nft_ctype *want_dcat; /* map data wanted by the statement: a concatenation */
	bool nat_addr;               /* resolving a nat statement's address */
	struct nft_stmt *ct_l3_dep;  /* `ct l3proto ipv4` in an ip table: a header match drops it */          /* from meta nfproto or an ip/ip6 header match */
};

/* ---- concatenations ---- */

void nft_ctype_total(struct nft_ctype *cat, uint8_t *dt, uint8_t *len)
{
	unsigned n = 0;

	for (uint8_t i = 0; i < cat->n; i++)
		n += nft_slot_len(cat->len[i]);
	*dt = DT_CONCAT;
	*len = (uint8_t)(n > 255 ? 255 : n);
}

/* Component types of a resolved expression (cat->n == 0: not a concatenation). */
static void expr_ctype(const struct nft_expr *e, struct nft_ctype *cat)
{
	cat->n = 0;
	if (e->kind != EK_CONCAT)
		return;
	for (const struct nft_expr *c = e->l; c && cat->n < NFT_CONCAT_MAX; c = c->next) {
		cat->dt[cat->n] = c->dt;
		cat->len[cat->n] = c->len;
		cat->n++;
	}
}

static bool same_type(uint8_t dt1, const struct nft_ctype *c1, uint8_t dt2,
		      const struct nft_ctype *c2)
{
	if (dt1 != dt2)
		return false;
	if (dt1 != DT_CONCAT)
		return true;
	if (c1->n != c2->n)
		return false;
	for (uint8_t i = 0; i < c1->n; i++)
		if (c1->dt[i] != c2->dt[i])
			return false;
	return true;
}

/* nft's name of a type: "IPv4 address", "concatenation of (IPv4 address, ...)". */
static const char *type_desc(char *buf, size_t n, uint8_t dt, const struct nft_ctype *cat)
{
	size_t o;

	if (dt != DT_CONCAT || !cat || !cat->n)
		return nft_dtypes[dt].desc;
	o = (size_t)snprintf(buf, n, "concatenation of (");
	for (uint8_t i = 0; i < cat->n && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "",
				      nft_dtypes[cat->dt[i]].desc);
	if (o < n)
		snprintf(buf + o, n - o, ")");
	return buf;
}


struct nft_table *nft_table_find(struct nft_ruleset *rs, uint8_t family, const char *name)
{
	for (struct nft_table *t = rs->tables; t; t = t->next)
		if (t->family == family && !strcmp(t->name, name))
			return t;
	return NULL;
}

struct nft_chain *nft_chain_find(struct nft_table *t, const char *name)
{
	for (struct nft_chain *c = t->chains; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

struct nft_set *nft_set_find(struct nft_table *t, const char *name)
{
	for (struct nft_set *s = t->sets; s; s = s->next)
		if (s->name && !strcmp(s->name, name))
			return s;
	return NULL;
}

struct nft_obj *nft_obj_find(struct nft_table *t, const char *name)
{
	for (struct nft_obj *o = t->objs; o; o = o->next)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static int fail(struct ctx *x, const struct nft_loc *l, const struct nft_loc *l2, const char *m)
{
	nft_error(x->ps, l, l2, "%s", m);
	return -EINVAL;
}

/*
 * A jump to a missing chain: the kernel refuses the rule (ENOENT), and nft
 * then looks for a chain whose name is close to that of the rule's own
 * chain (not the missing one).  Elements of a named map are not a rule.
 */
static int missing_chain(struct ctx *x, const struct nft_loc *l)
{
	if (x->r && x->c)
		return nft_missing_chain(x->ps, x->c->name, l, true);
	return fail(x, l, NULL, "Could not process rule: No such file or directory");
}

static const char *l4_name(uint8_t p)
{
	const char *n = nft_sym_name(nft_proto_syms, p);

	if (p == 58)
		return "icmpv6";
	return n ? n : "unknown";
}

/* ---- selectors ---- */

static uint8_t proto_l4(uint8_t proto)
{
	switch (proto) {
	case PR_TCP:
		return 6;
	case PR_UDP:
		return 17;
	case PR_ICMP:
		return 1;
	case PR_ICMPV6:
		return 58;
	default:
		return 0;
	}
}

/* Network protocol the selector needs, and the dependency it kills. */
static int need_nfproto(struct ctx *x, uint8_t fam, const struct nft_loc *loc)
{
	static const char *const names[] = { [2] = "ip", [10] = "ip6" };

	if (x->t->family != NFT_FAM_INET) {
		uint8_t have = x->nfproto ? x->nfproto : x->t->family;

		if (fam != have) {
			nft_error(x->ps, loc, NULL, "conflicting protocols specified: %s vs. %s",
				  names[have], names[fam]);
			return -EINVAL;
		}
		return 0;
	}
	uint8_t have = x->nfproto;

	if (have && have != fam) {
		nft_error(x->ps, loc, x->nf_dep ? &x->nf_dep->loc : NULL,
			  "conflicting protocols specified: %s vs. %s", names[x->nfproto],
			  names[fam]);
		return -EINVAL;
	}
	if (x->nf_dep)
		x->nf_dep->hidden = true;
	x->nf_dep = NULL;
	x->nfproto = fam;
	return 0;
}

/* Wrapper for header matches: they tell the protocol context as well. */
static int need_nfproto_hdr(struct ctx *x, uint8_t fam, const struct nft_loc *loc)
{
	if (need_nfproto(x, fam, loc))
		return -EINVAL;
	x->nfproto_known = true;
	return 0;
}

static int resolve_payload(struct ctx *x, struct nft_expr *e)
{
	x->seen_payload = true;
	if (x->ct_l3_dep) {
		x->ct_l3_dep->hidden = true;
		x->ct_l3_dep = NULL;
	}
	const struct nft_field *f;
	uint8_t p;

	f = nft_field_get(e->proto, e->key);
	p = proto_l4(e->proto);
	if ((e->proto == PR_ICMP || e->proto == PR_ICMPV6) && x->t->family == NFT_FAM_INET) {
		/*
		 * in inet tables ICMP suggests IPv4 and ICMPv6 IPv6 to later
		 * statements; it does not conflict with what is known already
		 * (`ip protocol ipv6-icmp icmpv6 type 1` is valid)
		 */
		uint8_t fam = e->proto == PR_ICMP ? NFT_FAM_IP : NFT_FAM_IP6;

		if (!x->nfproto) {
			x->nfproto = fam;
			x->nf_from_hint = true;
		} else if (x->nfproto == fam && x->nf_dep && !x->no_kill)
			x->nf_dep->hidden = true;
	}
	if (e->proto == PR_IP || e->proto == PR_IP6) {
		if (need_nfproto_hdr(x, e->proto == PR_IP ? NFT_FAM_IP : NFT_FAM_IP6, &e->loc))
			return -EINVAL;
	} else if (p) {
		if ((x->l4 && x->l4 != p) || (!x->l4 && x->l4_any)) {
			nft_error(x->ps, &e->loc, NULL, "conflicting protocols specified: %s vs. %s",
				  l4_name(x->l4 ? x->l4 : x->l4_last), l4_name(p));
			return -EINVAL;
		}
		/*
		 * nft drops a protocol match it would have generated itself;
		 * in inet tables `ip protocol` also says "IPv4" and stays.
		 */
		if (x->l4_dep && x->l4 == p && !(x->no_kill && x->l4_dep_payload) &&
		    !(x->l4_dep_payload && x->t->family == NFT_FAM_INET))
			x->l4_dep->hidden = true;
		x->l4_dep = NULL;
		x->l4 = p;
		x->l4_from_hdr = true;
	}
	e->dt = f->dt;
	e->len = f->len;
	return 0;
}

static const struct {
	uint8_t dt, len;
} meta_types[] = {
	[MK_LENGTH] = { DT_INTEGER, 4 }, [MK_MARK] = { DT_MARK, 4 },
	[MK_IIF] = { DT_IFINDEX, 4 },    [MK_OIF] = { DT_IFINDEX, 4 },
	[MK_IIFNAME] = { DT_IFNAME, 16 }, [MK_OIFNAME] = { DT_IFNAME, 16 },
	[MK_L4PROTO] = { DT_INET_PROTO, 1 }, [MK_NFPROTO] = { DT_NFPROTO, 1 },
};

static const struct {
	uint8_t dt, len;
	uint8_t dir; /* 0 forbidden, 1 optional, 2 required */
} ct_types[] = {
	[CK_STATE] = { DT_CT_STATE, 4, 0 },    [CK_DIRECTION] = { DT_CT_DIR, 1, 0 },
	[CK_STATUS] = { DT_CT_STATUS, 4, 0 },  [CK_MARK] = { DT_MARK, 4, 0 },
	[CK_EXPIRATION] = { DT_TIME, 4, 0 },   [CK_HELPER] = { DT_STRING, 16, 0 },
	[CK_L3PROTO] = { DT_NFPROTO, 1, 1 },   [CK_PROTOCOL] = { DT_INET_PROTO, 1, 1 },
	[CK_SADDR] = { DT_IPV4, 4, 2 },        [CK_DADDR] = { DT_IPV4, 4, 2 },
	[CK_PROTO_SRC] = { DT_INET_SERVICE, 2, 2 }, [CK_PROTO_DST] = { DT_INET_SERVICE, 2, 2 },
	[CK_BYTES] = { DT_INTEGER, 8, 1 },     [CK_PACKETS] = { DT_INTEGER, 8, 1 },
	[CK_ZONE] = { DT_INTEGER, 2, 1 },
};

static int resolve_ct(struct ctx *x, struct nft_expr *e, bool in_match)
{
	uint8_t need = ct_types[e->key].dir;

	if (e->dir && !need)
		return fail(x, &e->loc, NULL, "syntax error, unexpected direction");
	if (!e->dir && need == 2)
		return fail(x, &e->loc, NULL, "syntax error, missing direction");
	e->dt = ct_types[e->key].dt;
	e->len = ct_types[e->key].len;
	if (e->key == CK_PROTOCOL || e->key == CK_L3PROTO)
		e->dir = 0; /* nft lists `ct original protocol` as `ct protocol` */
	if ((e->key == CK_PROTO_SRC || e->key == CK_PROTO_DST) && !x->l4 && !x->l4_any)
		x->ct_no_l4 = true;
	if (e->key != CK_SADDR && e->key != CK_DADDR) {
		if (e->nfproto)
			return fail(x, &e->loc, NULL, "syntax error, unexpected ip");
		return 0;
	}
	uint8_t fam = e->nfproto;

	if (!fam) {
		if (x->t->family != NFT_FAM_INET && in_match)
			fam = x->t->family;
		else if (x->nfproto && in_match)
			fam = x->nfproto;
		else
			return fail(x, &e->loc, NULL,
				    "cannot determine ip protocol version, use \"ip saddr\" or "
				    "\"ip6 saddr\" instead");
	}
	/* checks the context and drops `meta nfproto`, but sets none itself */
	uint8_t known = x->nfproto;

	if (need_nfproto(x, fam, &e->loc))
		return -EINVAL;
	if (x->t->family == NFT_FAM_INET)
		x->nfproto = known;
	e->nfproto = fam;
	e->dt = fam == NFT_FAM_IP ? DT_IPV4 : DT_IPV6;
	e->len = fam == NFT_FAM_IP ? 4 : 16;
	return 0;
}

static int resolve_value(struct ctx *x, struct nft_expr *e, uint8_t dt, uint8_t len);
static int canon_bitwise(struct ctx *x, struct nft_expr *e);
static bool all_ones(const uint8_t *v, uint8_t len);
static bool is_zero(const uint8_t *v, uint8_t len);
static int resolve_prefix(struct ctx *x, struct nft_expr *e, uint8_t dt, uint8_t len);

/* Selector, or selector op constant. */
static int resolve_lhs(struct ctx *x, struct nft_expr *e, bool in_match)
{
	switch (e->kind) {
	case EK_PAYLOAD:
		return resolve_payload(x, e);
	case EK_META:
		if (e->key == MK_NFPROTO && x->t->family != NFT_FAM_INET)
			return fail(x, &e->loc, NULL, "meta nfproto is only useful in the inet family");
		e->dt = meta_types[e->key].dt;
		e->len = meta_types[e->key].len;
		return 0;
	case EK_CT:
		return resolve_ct(x, e, in_match);
	case EK_BINOP:
		if (e->op == BOP_SHL || e->op == BOP_SHR)
			return fail(x, &e->loc, NULL, "shift expressions are not supported");
		if (resolve_lhs(x, e->l, in_match))
			return -EINVAL;
		e->dt = e->l->dt;
		e->len = e->l->len;
		if (resolve_value(x, e->r, e->dt, e->len))
			return -EINVAL;
		if (e->r->kind != EK_VALUE)
			return fail(x, &e->r->loc, NULL, "Binary operation requires a constant");
		return 0;
	case EK_CONCAT: {
		unsigned n = 0, len = 0;

		for (struct nft_expr *c = e->l; c; c = c->next) {
			if (c->kind == EK_SYM || c->kind == EK_CONCAT || c->kind == EK_RANGE)
				return fail(x, &c->loc, NULL,
					    "Can't parse symbolic invalid expressions");
			/* nft does not take a ct address's family from the table here */
			if (c->kind == EK_CT && (c->key == CK_SADDR || c->key == CK_DADDR) &&
			    !c->nfproto)
				return fail(x, &c->loc, NULL,
					    "specify either ip or ip6 for address matching");
			if (resolve_lhs(x, c, in_match))
				return -EINVAL;
			if (c->kind == EK_BINOP && c->l->kind == EK_BINOP && canon_bitwise(x, c))
				return -EINVAL;
			len += nft_slot_len(c->len);
			if (++n > NFT_CONCAT_MAX || len > NFT_KEY_MAX)
				return fail(x, &c->loc, NULL, "too many concatenation components");
		}
		e->dt = DT_CONCAT;
		e->len = (uint8_t)len;
		return 0;
	}
	default:
		return fail(x, &e->loc, NULL, "syntax error, unexpected value");
	}
}

/* ---- constants ---- */

static void val_op(uint8_t *dst, const uint8_t *a, const uint8_t *b, uint8_t op, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		dst[i] = op == BOP_AND ? a[i] & b[i] : op == BOP_OR ? a[i] | b[i] : a[i] ^ b[i];
}

static int val_cmp(const uint8_t *a, const uint8_t *b, uint8_t len)
{
	return memcmp(a, b, len);
}

static bool is_selector(const struct nft_expr *e)
{
	return e->kind == EK_PAYLOAD || e->kind == EK_META || e->kind == EK_CT;
}

static int build_set(struct ctx *x, struct nft_expr *lit, const struct nft_expr *key,
		     uint8_t ddt, uint8_t dlen, const struct nft_ctype *dcat, bool is_map,
		     struct nft_set **out);

static bool has_selector(const struct nft_expr *e)
{
	if (!e)
		return false;
	if (is_selector(e))
		return true;
	return e->kind == EK_BINOP && (has_selector(e->l) || has_selector(e->r));
}

/*
 * Resolve a constant-ish expression of type dt: symbols, folded bitwise
 * operations, ranges, and - in statement arguments - selectors and maps.
 */
static int resolve_value(struct ctx *x, struct nft_expr *e, uint8_t dt, uint8_t len)
{
	switch (e->kind) {
	case EK_VALUE:
		return 0;
	case EK_SYM:
		return nft_dt_parse(x->ps, dt, len, e);
	case EK_BINOP:
		if (e->op == BOP_SHL || e->op == BOP_SHR)
			return fail(x, &e->loc, NULL, "shift expressions are not supported");
		if (has_selector(e->l)) {
			if (resolve_lhs(x, e, false))
				return -EINVAL;
			return canon_bitwise(x, e);
		}
		if (resolve_value(x, e->l, dt, len) || resolve_value(x, e->r, dt, len))
			return -EINVAL;
		if (e->l->kind != EK_VALUE || e->r->kind != EK_VALUE)
			return fail(x, &e->loc, NULL, "Binary operation requires constants");
		val_op(e->v, e->l->v, e->r->v, e->op, len);
		e->kind = EK_VALUE;
		e->dt = dt;
		e->len = len;
		return 0;
	case EK_RANGE:
		if (resolve_value(x, e->l, dt, len) || resolve_value(x, e->r, dt, len))
			return -EINVAL;
		if (e->l->kind != EK_VALUE || e->r->kind != EK_VALUE)
			return fail(x, &e->loc, NULL, "Range requires constant values");
		if (val_cmp(e->l->v, e->r->v, len) >= 0)
			return fail(x, &e->loc, NULL, "Range has zero or negative size");
		e->dt = dt;
		e->len = len;
		return 0;
	case EK_PAYLOAD:
	case EK_META:
	case EK_CT:
		if (resolve_lhs(x, e, false))
			return -EINVAL;
		if (e->dt != dt && !(nft_dtypes[e->dt].bytes == nft_dtypes[dt].bytes &&
				     (dt == DT_MARK || dt == DT_INTEGER))) {
			nft_error(x->ps, &e->loc, NULL,
				  "datatype mismatch: expected %s, expression has type %s",
				  nft_dtypes[dt].desc, nft_dtypes[e->dt].desc);
			return -EINVAL;
		}
		return 0;
	case EK_MAP: {
		struct nft_expr *k = e->l;
		bool nk = x->no_kill;

		/*
		 * a protocol match before a map keeps listed, but not before a
		 * nat address map (nft drops `ip protocol tcp` there)
		 */
		x->no_kill = !x->nat_addr;
		int rc = resolve_lhs(x, k, false);

		x->no_kill = nk;
		if (rc)
			return -EINVAL;
		if (e->r->kind == EK_SETREF) {
			struct nft_set *s = nft_set_find(x->t, e->r->text);
			struct nft_ctype kc;
			char b1[256], b2[256];

			if (!s || !s->is_map)
				return fail(x, &e->r->loc, NULL, "No such file or directory");
			expr_ctype(k, &kc);
			if (!same_type(s->key_dt, &s->kcat, k->dt, &kc)) {
				nft_error(x->ps, &e->r->loc, &k->loc,
					  "datatype mismatch, map expects %s, mapping expression has "
					  "type %s",
					  type_desc(b1, sizeof(b1), s->key_dt, &s->kcat),
					  type_desc(b2, sizeof(b2), k->dt, &kc));
				return -EINVAL;
			}
			e->set = s;
		} else if (build_set(x, e->r, k, dt, len, x->want_dcat, true, &e->set)) {
			return -EINVAL;
		}
		e->dt = dt;
		e->len = len;
		return 0;
	}
	case EK_SETLIT:
		return fail(x, &e->loc, NULL, "syntax error, unexpected '{'");
	case EK_SLASH:
		return resolve_prefix(x, e, dt, len);
	default:
		return fail(x, &e->loc, NULL, "syntax error, unexpected value");
	}
}

/*
 * A chain of & | ^ with constants on a selector is one kernel bitwise
 * operation, dst = (src & m) ^ x; nft lists it back as
 * `src & (m | or) ^ flip | or` with or = ~m & x and flip = m & x, leaving
 * out the parts that do nothing.
 */
static int canon_bitwise(struct ctx *x, struct nft_expr *e)
{
	uint8_t m[16], xr[16], or[16], flip[16], len = e->len;
	struct nft_expr *sel = e;

	if (e->kind != EK_BINOP)
		return 0;
	memset(m, 0xff, sizeof(m));
	memset(xr, 0, sizeof(xr));
	/* walk down to the selector, applying operations bottom-up */
	struct nft_expr *chain[32];
	int n = 0;

	while (sel->kind == EK_BINOP && n < 32) {
		if (sel->r->kind != EK_VALUE || (sel->op != BOP_AND && sel->op != BOP_OR &&
						 sel->op != BOP_XOR))
			return 0;
		chain[n++] = sel;
		sel = sel->l;
	}
	if (!is_selector(sel))
		return 0;
	for (int i = n - 1; i >= 0; i--) {
		const uint8_t *c = chain[i]->r->v;

		for (uint8_t k = 0; k < len; k++) {
			if (chain[i]->op == BOP_AND) {
				m[k] &= c[k];
				xr[k] &= c[k];
			} else if (chain[i]->op == BOP_OR) {
				m[k] &= (uint8_t)~c[k];
				xr[k] |= c[k];
			} else {
				xr[k] ^= c[k];
			}
		}
	}
	for (uint8_t k = 0; k < len; k++) {
		or[k] = (uint8_t)(~m[k] & xr[k]);
		flip[k] = m[k] & xr[k];
		m[k] |= or[k];
	}
	struct nft_expr *cur = sel;
	const uint8_t *parts[3] = { m, flip, or };
	const uint8_t ops[3] = { BOP_AND, BOP_XOR, BOP_OR };

	for (int i = 0; i < 3; i++) {
		if (i == 0 ? all_ones(m, len) : is_zero(parts[i], len))
			continue;
		struct nft_expr *b = nft_alloc(x->ps->a, sizeof(*b));
		struct nft_expr *c = nft_alloc(x->ps->a, sizeof(*c));

		if (!b || !c)
			return -ENOMEM;
		c->kind = EK_VALUE;
		c->dt = e->dt;
		c->len = len;
		memcpy(c->v, parts[i], len);
		b->kind = EK_BINOP;
		b->op = ops[i];
		b->dt = e->dt;
		b->len = len;
		b->loc = e->loc;
		b->l = cur;
		b->r = c;
		cur = b;
	}
	*e = *cur;
	return 0;
}

/* ---- sets ---- */

static int resolve_prefix(struct ctx *x, struct nft_expr *e, uint8_t dt, uint8_t len)
{
	struct nft_expr *p = e->r;
	uint64_t n = 0;

	if (resolve_value(x, e->l, dt, len))
		return -EINVAL;
	if (p->kind != EK_SYM || p->tok != TK_NUM)
		return fail(x, &p->loc, NULL, "syntax error, prefix length expected");
	for (uint32_t i = 0; i < p->tlen; i++) {
		if (p->text[i] < '0' || p->text[i] > '9')
			return fail(x, &p->loc, NULL, "syntax error, prefix length expected");
		n = n * 10 + (uint64_t)(p->text[i] - '0');
		if (n > 1000)
			break;
	}
	if (n > len * 8u)
		return fail(x, &p->loc, NULL, "Prefix length exceeds the address size");
	e->dt = dt;
	e->len = len;
	/* the host part of a prefix is not kept (the kernel compares masked) */
	uint8_t lo[16], hi[16];

	nft_prefix_range(e->l->v, (uint8_t)n, len, lo, hi);
	memcpy(e->l->v, lo, 16);
	if (n == len * 8u) {
		/* a full-length prefix is the address itself */
		e->kind = EK_VALUE;
		memcpy(e->v, e->l->v, 16);
		return 0;
	}
	e->kind = EK_PREFIX;
	e->plen = (uint8_t)n;
	return 0;
}

/* Turn a key expression into [lo, hi]. */
static int elem_key(struct ctx *x, struct nft_expr *k, uint8_t dt, uint8_t len,
		    struct nft_elem *el)
{
	if (k->kind == EK_SLASH) {
		if (resolve_prefix(x, k, dt, len))
			return -EINVAL;
		nft_prefix_range(k->l->v, k->plen, len, el->lo, el->hi);
		el->interval = true;
		return 0;
	}
	if (resolve_value(x, k, dt, len))
		return -EINVAL;
	if (k->kind == EK_RANGE) {
		memcpy(el->lo, k->l->v, 16);
		memcpy(el->hi, k->r->v, 16);
		el->interval = true;
		return 0;
	}
	if (k->kind != EK_VALUE)
		return fail(x, &k->loc, NULL, "Set element must be a constant");
	memcpy(el->lo, k->v, 16);
	memcpy(el->hi, k->v, 16);
	return 0;
}

/*
 * A concatenated key or data: each component is resolved with its type and
 * written to its slot of lo / hi (4-byte aligned, zero padded).  A range or
 * a prefix applies to its component only (nf_tables' pipapo matches every
 * field against its own interval).
 */
static int elem_concat(struct ctx *x, struct nft_expr *k, const struct nft_ctype *cat,
		       const struct nft_loc *key_loc, bool data, uint8_t *lo, uint8_t *hi,
		       bool *interval)
{
	char b1[256], b2[256];
	struct nft_ctype got = { 0 };
	unsigned off = 0, n = 0;

	if (k->kind != EK_CONCAT) {
		nft_error(x->ps, &k->loc, NULL, "invalid data type, expected %s",
			  type_desc(b1, sizeof(b1), DT_CONCAT, cat));
		return -EINVAL;
	}
	for (struct nft_expr *c = k->l; c; c = c->next) {
		/* in map data nft reads the first extra component as a symbol */
		if (++n > cat->n && data)
			return fail(x, &c->loc, NULL, "Can't parse symbolic invalid expressions");
	}
	if (n > cat->n)
		return fail(x, &k->loc, key_loc, "too many concatenation components");
	if (n < cat->n) {
		got = *cat;
		got.n = (uint8_t)n;
		nft_error(x->ps, &k->loc, NULL,
			  "datatype mismatch, expected %s, expression has type %s",
			  type_desc(b1, sizeof(b1), DT_CONCAT, cat),
			  type_desc(b2, sizeof(b2), DT_CONCAT, &got));
		return -EINVAL;
	}
	n = 0;
	for (struct nft_expr *c = k->l; c; c = c->next, n++) {
		uint8_t dt = cat->dt[n], len = cat->len[n];

		if (c->kind == EK_SLASH) {
			if (resolve_prefix(x, c, dt, len))
				return -EINVAL;
		} else if (c->kind == EK_RANGE) {
			/* a range of one value is fine in a concatenation (pipapo) */
			if (resolve_value(x, c->l, dt, len) || resolve_value(x, c->r, dt, len))
				return -EINVAL;
			if (c->l->kind != EK_VALUE || c->r->kind != EK_VALUE)
				return fail(x, &c->loc, NULL, "Range requires constant values");
			if (memcmp(c->l->v, c->r->v, len) > 0)
				return fail(x, &c->loc, NULL, "Range has zero or negative size");
			c->dt = dt;
			c->len = len;
		} else if (resolve_value(x, c, dt, len)) {
			return -EINVAL;
		}
		switch (c->kind) {
		case EK_VALUE:
			memcpy(lo + off, c->v, len);
			memcpy(hi + off, c->v, len);
			break;
		case EK_RANGE:
			memcpy(lo + off, c->l->v, len);
			memcpy(hi + off, c->r->v, len);
			*interval = true;
			break;
		case EK_PREFIX: {
			uint8_t l16[16], h16[16];

			nft_prefix_range(c->l ? c->l->v : c->v, c->plen, len, l16, h16);
			memcpy(lo + off, l16, len);
			memcpy(hi + off, h16, len);
			*interval = true;
			break;
		}
		default:
			return fail(x, &c->loc, NULL, "Set element must be a constant");
		}
		off += nft_slot_len(len);
	}
	return 0;
}

static int elem_data(struct ctx *x, struct nft_set *s, struct nft_expr *d, struct nft_elem *el)
{
	if (s->data_dt == DT_VERDICT) {
		if (d->kind != EK_VERDICT)
			return fail(x, &d->loc, NULL, "datatype mismatch, expected verdict");
		if (d->vcode == VC_JUMP || d->vcode == VC_GOTO) {
			struct nft_chain *c = nft_chain_find(x->t, d->text);

			/* the kernel refuses the element: nft points at its key */
			if (!c)
				return missing_chain(x, &el->loc);
			c->use++;
		}
		el->data = d;
		return 0;
	}
	if (d->kind == EK_VERDICT)
		return fail(x, &d->loc, NULL, "datatype mismatch, expected value");
	if (s->dcat.n) {
		uint8_t lo[NFT_KEY_MAX], hi[NFT_KEY_MAX];
		bool iv = false;

		if (elem_concat(x, d, &s->dcat, NULL, true, lo, hi, &iv))
			return -EINVAL;
		el->data = d;
		d->dt = DT_CONCAT;
		d->len = s->data_len;
		return 0;
	}
	if (d->kind == EK_SLASH) {
		if (resolve_prefix(x, d, s->data_dt, s->data_len))
			return -EINVAL;
	} else if (resolve_value(x, d, s->data_dt, s->data_len)) {
		return -EINVAL;
	}
	if (d->kind != EK_VALUE && d->kind != EK_RANGE && d->kind != EK_PREFIX)
		return fail(x, &d->loc, NULL, "Set element data must be a constant");
	if (s->data_dt == DT_STRING && x->c) {
		/* ct helper maps name helper objects */
		char name[17] = { 0 };

		memcpy(name, d->v, 16);
		if (!nft_obj_find(x->t, name))
			return fail(x, &d->loc, NULL,
				    "Could not process rule: No such file or directory");
	}
	el->data = d;
	return 0;
}

static int elem_cmp(const void *a, const void *b, uint8_t len)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a;
	const struct nft_elem *y = *(const struct nft_elem *const *)b;
	int c = memcmp(x->lo, y->lo, len);

	return c ? c : memcmp(x->hi, y->hi, len);
}

static uint8_t sort_len;

static int elem_qcmp(const void *a, const void *b)
{
	return elem_cmp(a, b, sort_len);
}

/* By key, then by position (addresses of arena nodes grow in insertion order
 * within a chunk only, so compare the element's sequence number). */
static int elem_qcmp_stable(const void *a, const void *b)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a;
	const struct nft_elem *y = *(const struct nft_elem *const *)b;
	int c = memcmp(x->lo, y->lo, sort_len);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* hi + 1 == lo2, in big endian of `len` bytes */
static bool adjacent(const uint8_t *hi, const uint8_t *lo2, uint8_t len)
{
	uint8_t t[16];
	int i;

	memcpy(t, hi, len);
	for (i = len - 1; i >= 0; i--)
		if (++t[i])
			break;
	if (i < 0)
		return false;
	return !memcmp(t, lo2, len);
}

/* The set's elements as an array (malloc'ed), numbered in list order if `number`. */
static struct nft_elem **elems_to_array(const struct nft_set *s, bool number)
{
	struct nft_elem **v = malloc(s->nelems * sizeof(*v));
	size_t i = 0;

	if (!v)
		return NULL;
	for (struct nft_elem *e = s->elems; e; e = e->next, i++) {
		if (number)
			e->seq = (uint32_t)i;
		v[i] = e;
	}
	return v;
}

/* Make v[0..n) (n >= 1) the set's element list, numbered in that order; frees v. */
static void elems_from_array(struct nft_set *s, struct nft_elem **v, size_t n)
{
	s->elems = NULL;
	for (size_t i = n; i-- > 0;) {
		v[i]->seq = (uint32_t)i;
		v[i]->next = s->elems;
		s->elems = v[i];
	}
	s->elems_tail = v[n - 1];
	s->nelems = (uint32_t)n;
	free(v);
}

/*
 * Sort the elements of an interval set; merge overlapping and adjacent ones
 * (anonymous sets, as nft's automerge) or refuse overlaps (maps, and new
 * elements of named sets).
 */
static int normalise_intervals(struct ctx *x, struct nft_set *s, bool merge, size_t first_new)
{
	size_t n = s->nelems, i, j;
	struct nft_elem **v;

	if (n < 2)
		return 0;
	v = elems_to_array(s, false);
	if (!v)
		return -ENOMEM;
	sort_len = s->key_len;
	qsort(v, n, sizeof(*v), elem_qcmp);
	for (i = 0, j = 0; i < n; i++) {
		struct nft_elem *cur = v[i];

		if (j) {
			struct nft_elem *prev = v[j - 1];
			bool overlap = memcmp(cur->lo, prev->hi, s->key_len) <= 0;
			bool same = !memcmp(cur->lo, prev->lo, s->key_len) &&
				    !memcmp(cur->hi, prev->hi, s->key_len);

			if (same && !s->is_map)
				continue;
			if (overlap && (s->is_map || !merge)) {
				if (!merge && !s->is_map && cur->seq < first_new &&
				    prev->seq < first_new)
					goto keep;
				nft_error(x->ps, &cur->loc, &prev->loc,
					  s->is_map ? "conflicting intervals specified" :
						      "interval overlaps with an existing one");
				free(v);
				return -EINVAL;
			}
			if (merge && !s->is_map &&
			    (overlap || adjacent(prev->hi, cur->lo, s->key_len))) {
				if (memcmp(cur->hi, prev->hi, s->key_len) > 0)
					memcpy(prev->hi, cur->hi, sizeof(prev->hi));
				prev->interval = true;
				continue;
			}
		}
keep:
		v[j++] = cur;
	}
	elems_from_array(s, v, j);
	return 0;
}

static int add_elems(struct ctx *x, struct nft_set *s, struct nft_expr *lit, bool *has_interval)
{
	for (struct nft_expr *e = lit->l; e; e = e->next) {
		if (e->kind == EK_SETLIT) {
			if (add_elems(x, s, e, has_interval))
				return -EINVAL;
			continue;
		}
		struct nft_elem *el = nft_alloc(x->ps->a, sizeof(*el));
		struct nft_expr *k = e, *d = NULL;

		if (!el)
			return -ENOMEM;
		el->loc = e->kind == EK_ELEM ? e->l->loc : e->loc;
		el->seq = s->nelems;
		if (e->kind == EK_ELEM) {
			k = e->l;
			d = e->r;
			if (!s->is_map)
				return fail(x, &e->loc, NULL, "syntax error, unexpected ':'");
		} else if (s->is_map) {
			return fail(x, &e->loc, NULL, "syntax error, missing map data");
		}
		if (s->kcat.n) {
			if (elem_concat(x, k, &s->kcat, x->key_loc, false, el->lo, el->hi,
					&el->interval))
				return -EINVAL;
		} else if (elem_key(x, k, s->key_dt, s->key_len, el)) {
			return -EINVAL;
		}
		if (d && elem_data(x, s, d, el))
			return -EINVAL;
		*has_interval |= el->interval;
		if (s->elems_tail)
			s->elems_tail->next = el;
		else
			s->elems = el;
		s->elems_tail = el;
		s->nelems++;
	}
	return 0;
}

static int elem_qcmp_full(const void *a, const void *b)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a;
	const struct nft_elem *y = *(const struct nft_elem *const *)b;
	int c = elem_cmp(a, b, sort_len);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int elem_qcmp_seq(const void *a, const void *b)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a;
	const struct nft_elem *y = *(const struct nft_elem *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Concatenations with intervals (the kernel's pipapo set): no merging, an
 * element given twice is kept once, and the elements stay in the order
 * they were added, which is the order the kernel lists them in.
 */
static int concat_intervals(struct nft_set *s)
{
	size_t n = s->nelems, i, j;
	struct nft_elem **v;

	if (n < 2)
		return 0;
	v = elems_to_array(s, true);
	if (!v)
		return -ENOMEM;
	sort_len = s->key_len;
	qsort(v, n, sizeof(*v), elem_qcmp_full);
	for (i = 0, j = 0; i < n; i++)
		if (!j || elem_cmp(&v[j - 1], &v[i], s->key_len))
			v[j++] = v[i];
	qsort(v, j, sizeof(*v), elem_qcmp_seq);
	elems_from_array(s, v, j);
	return 0;
}

/*
 * Exact-key sets: drop repeated keys (adding an element that exists is not
 * an error for `add`), keeping them in key order.  Maps keep the first data.
 */
static int dedupe(struct nft_set *s)
{
	size_t n = s->nelems, i, j;
	struct nft_elem **v;

	if (n < 2)
		return 0;
	v = elems_to_array(s, false);
	if (!v)
		return -ENOMEM;
	sort_len = s->key_len;
	qsort(v, n, sizeof(*v), elem_qcmp_stable);
	for (i = 0, j = 0; i < n; i++)
		if (!j || memcmp(v[j - 1]->lo, v[i]->lo, s->key_len))
			v[j++] = v[i];
	elems_from_array(s, v, j);
	return 0;
}

static int build_set(struct ctx *x, struct nft_expr *lit, const struct nft_expr *key,
		     uint8_t ddt, uint8_t dlen, const struct nft_ctype *dcat, bool is_map,
		     struct nft_set **out)
{
	struct nft_set *s = nft_alloc(x->ps->a, sizeof(*s));
	const struct nft_loc *kl = x->key_loc;
	bool iv = false;
	int rc;

	if (!s)
		return -ENOMEM;
	s->key_dt = key->dt;
	s->key_len = key->len;
	expr_ctype(key, &s->kcat);
	s->data_dt = ddt;
	s->data_len = dlen;
	if (dcat)
		s->dcat = *dcat;
	s->is_map = is_map;
	s->flags = SETF_CONSTANT;
	x->key_loc = &key->loc;
	rc = add_elems(x, s, lit, &iv);
	x->key_loc = kl;
	if (rc)
		return -EINVAL;
	s->nwritten = s->nelems;
	if (iv) {
		s->flags |= SETF_INTERVAL;
		if (s->kcat.n ? concat_intervals(s) : normalise_intervals(x, s, true, 0))
			return -EINVAL;
	} else if (dedupe(s)) {
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

int nft_check_set_elems(struct nft_pstate *ps, struct nft_table *t, struct nft_set *s,
			struct nft_expr *lit, bool named)
{
	struct ctx x = { .ps = ps, .t = t };
	bool iv = false;
	uint32_t before = s->nelems;

	(void)named;
	if (add_elems(&x, s, lit, &iv))
		return -EINVAL;
	if (iv && !(s->flags & SETF_INTERVAL))
		return fail(&x, &lit->loc, NULL,
			    "You must add 'flags interval' to your set declaration if you want "
			    "to add prefix/range elements");
	if ((s->flags & SETF_INTERVAL) && s->kcat.n)
		return concat_intervals(s);
	if (s->flags & SETF_INTERVAL)
		return normalise_intervals(&x, s, false, before);
	return dedupe(s);
}

static bool each_target(struct nft_table *t, struct nft_chain *c,
			bool (*fn)(struct nft_table *, struct nft_chain *, void *), void *arg);

/* `delete element`: every element named must exist; all or nothing. */
int nft_set_delete_elems(struct nft_pstate *ps, struct nft_table *t, struct nft_set *s,
			 struct nft_expr *lit)
{
	struct ctx x = { .ps = ps, .t = t };
	struct nft_set tmp = *s;
	bool iv = false;

	tmp.elems = tmp.elems_tail = NULL;
	tmp.nelems = 0;
	tmp.name = NULL;
	if (add_elems(&x, &tmp, lit, &iv))
		return -EINVAL;
	for (struct nft_elem *d = tmp.elems; d; d = d->next) {
		bool found = false;

		for (struct nft_elem *e = s->elems; e && !found; e = e->next)
			found = !memcmp(e->lo, d->lo, sizeof(e->lo)) &&
				!memcmp(e->hi, d->hi, sizeof(e->hi));
		if (!found)
			return fail(&x, &d->loc, NULL,
				    "Could not process rule: No such file or directory");
	}
	for (struct nft_elem *d = tmp.elems; d; d = d->next) {
		struct nft_elem **pp = &s->elems;

		while (*pp && (memcmp((*pp)->lo, d->lo, sizeof(d->lo)) ||
			       memcmp((*pp)->hi, d->hi, sizeof(d->hi))))
			pp = &(*pp)->next;
		if (*pp) {
			*pp = (*pp)->next;
			s->nelems--;
		}
	}
	s->elems_tail = NULL;
	for (struct nft_elem *e = s->elems; e; e = e->next)
		s->elems_tail = e;
	return 0;
}

/* Is chain c the target of a jump, goto or verdict map in table t? */
static bool is_target(struct nft_table *t, struct nft_chain *n, void *arg)
{
	(void)t;
	return n == arg;
}

bool nft_chain_referenced(struct nft_table *t, struct nft_chain *c)
{
	for (struct nft_chain *o = t->chains; o; o = o->next)
		if (each_target(t, o, is_target, c))
			return true;
	for (struct nft_set *s = t->sets; s; s = s->next)
		for (struct nft_elem *e = s->elems; e; e = e->next)
			if (e->data && e->data->kind == EK_VERDICT && e->data->text &&
			    !strcmp(e->data->text, c->name))
				return true;
	return false;
}

/* Does a rule of table t use the named set s? */
bool nft_set_referenced(struct nft_table *t, struct nft_set *s)
{
	for (struct nft_chain *c = t->chains; c; c = c->next)
		for (struct nft_rule *r = c->rules; r; r = r->next)
			for (struct nft_stmt *st = r->stmts; st; st = st->next) {
				const struct nft_expr *v[] = { st->l, st->r, st->addr, st->port };

				for (size_t i = 0; i < 4; i++)
					if (v[i] && (v[i]->set == s || (v[i]->kind == EK_MAP &&
									 v[i]->set == s)))
						return true;
			}
	return false;
}

static bool elems_name(const struct nft_set *s, const char *name)
{
	if (!s || s->data_dt != DT_STRING)
		return false;
	for (const struct nft_elem *e = s->elems; e; e = e->next)
		if (e->data && e->data->kind == EK_VALUE && !memcmp(e->data->v, name, 16))
			return true;
	return false;
}

/* A ct helper object set by a rule or named by a map's element is in use. */
bool nft_obj_referenced(struct nft_table *t, const struct nft_obj *o)
{
	char name[16] = { 0 };

	memcpy(name, o->name, strnlen(o->name, sizeof(name)));
	for (const struct nft_set *s = t->sets; s; s = s->next)
		if (elems_name(s, name))
			return true;
	for (struct nft_chain *c = t->chains; c; c = c->next)
		for (struct nft_rule *r = c->rules; r; r = r->next)
			for (struct nft_stmt *st = r->stmts; st; st = st->next) {
				if (st->kind != SK_CT_SET || st->key != CK_HELPER || !st->r)
					continue;
				if (st->r->kind == EK_VALUE && !memcmp(st->r->v, name, 16))
					return true;
				if (st->r->kind == EK_MAP && elems_name(st->r->set, name))
					return true;
			}
	return false;
}

/* ---- statements ---- */

static bool all_ones(const uint8_t *v, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		if (v[i] != 0xff)
			return false;
	return true;
}

static bool is_zero(const uint8_t *v, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		if (v[i])
			return false;
	return true;
}

static unsigned popcount(const uint8_t *v, uint8_t len)
{
	unsigned n = 0;

	for (uint8_t i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(v[i]);
	return n;
}

/* Leading ones only?  Returns the prefix length or -1. */
static int mask_prefix(const uint8_t *m, uint8_t len)
{
	int p = 0;
	bool zero = false;

	for (unsigned i = 0; i < len * 8u; i++) {
		bool b = m[i / 8] >> (7 - i % 8) & 1;

		if (b && zero)
			return -1;
		if (b)
			p++;
		else
			zero = true;
	}
	return p;
}

static int flags_list(struct ctx *x, struct nft_expr *e, uint8_t dt, uint8_t len)
{
	if (e->kind != EK_LIST)
		return resolve_value(x, e, dt, len);
	uint8_t acc[16] = { 0 };

	for (struct nft_expr *i = e->l; i; i = i->next) {
		if (resolve_value(x, i, dt, len))
			return -EINVAL;
		if (i->kind != EK_VALUE)
			return fail(x, &i->loc, NULL, "List member must be a constant value");
		val_op(acc, acc, i->v, BOP_OR, len);
	}
	e->kind = EK_VALUE;
	e->dt = dt;
	e->len = len;
	memcpy(e->v, acc, 16);
	return 0;
}

/* The canonical forms nft lists for `selector & | ^ constant  op  value`. */
static int canon_binop(struct ctx *x, struct nft_stmt *s)
{
	struct nft_expr *b = s->l, *c = b->r, *v = s->r;
	uint8_t len = b->len;
	bool bitmask = nft_dtypes[b->dt].bitmask;

	if (s->op == OP_NEG)
		return fail(x, &b->loc, &v->loc, "cannot combine negation with binary expression");
	if (v->kind != EK_VALUE || (s->op != OP_IMPLICIT && s->op != OP_EQ && s->op != OP_NE)) {
		if (s->op == OP_IMPLICIT)
			s->op = OP_EQ;
		return 0;
	}
	if (b->op == BOP_XOR) {
		/* x ^ c == v  <=>  x == v ^ c */
		val_op(v->v, v->v, c->v, BOP_XOR, len);
		s->l = b->l;
		if (s->op == OP_EQ && !bitmask)
			s->op = OP_IMPLICIT;
		return 0;
	}
	if (b->op != BOP_AND) {
		if (s->op == OP_IMPLICIT)
			s->op = OP_EQ;
		return 0;
	}
	bool ne = s->op == OP_NE;

	if (bitmask) {
		if (is_zero(v->v, len)) {
			s->l = b->l;
			s->r = c;
			s->op = ne ? OP_IMPLICIT : OP_NEG;
			return 0;
		}
		if (all_ones(c->v, len)) {
			s->l = b->l;
			s->op = ne ? OP_NE : OP_EQ;
			return 0;
		}
		if (popcount(c->v, len) == 1 && !memcmp(c->v, v->v, len)) {
			s->op = ne ? OP_NE : OP_EQ;
			return 0;
		}
		s->op = ne ? OP_FLAGCMP_NE : OP_FLAGCMP;
		return 0;
	}
	if (all_ones(c->v, len)) {
		s->l = b->l;
		s->op = ne ? OP_NE : OP_IMPLICIT;
		return 0;
	}
	int p = mask_prefix(c->v, len);
	uint8_t tmp[16];

	val_op(tmp, v->v, c->v, BOP_AND, len);
	if (p >= 0 && !memcmp(tmp, v->v, len) &&
	    (b->dt == DT_IPV4 || b->dt == DT_IPV6 || b->dt == DT_MARK)) {
		v->kind = EK_PREFIX;
		v->plen = (uint8_t)p;
		struct nft_expr *inner = nft_alloc(x->ps->a, sizeof(*inner));

		if (!inner)
			return -ENOMEM;
		*inner = *v;
		inner->kind = EK_VALUE;
		v->l = inner;
		s->l = b->l;
		s->op = ne ? OP_NE : OP_IMPLICIT;
		return 0;
	}
	s->op = ne ? OP_NE : OP_EQ;
	return 0;
}

static int set_ref(struct ctx *x, struct nft_expr *lhs, struct nft_expr *ref, bool want_map,
		   struct nft_set **out)
{
	struct nft_set *s = nft_set_find(x->t, ref->text);

	if (!s)
		return nft_missing_set(x->ps, ref->text, &ref->loc, false);
	if (s->is_map != want_map)
		return fail(x, &ref->loc, NULL, "No such file or directory");
	struct nft_ctype lc;
	char b1[256], b2[256];

	expr_ctype(lhs, &lc);
	if (!same_type(s->key_dt, &s->kcat, lhs->dt, &lc)) {
		nft_error(x->ps, &ref->loc, &lhs->loc,
			  "datatype mismatch, expected %s, expression has type %s",
			  type_desc(b1, sizeof(b1), lhs->dt, &lc),
			  type_desc(b2, sizeof(b2), s->key_dt, &s->kcat));
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* Record what a protocol match tells later statements. */
static void learn_context(struct ctx *x, struct nft_stmt *s)
{
	struct nft_expr *l = s->l, *r = s->r;
	bool eq = s->op == OP_IMPLICIT || s->op == OP_EQ;
	bool l4sel = (l->kind == EK_META && l->key == MK_L4PROTO) ||
		     (l->kind == EK_PAYLOAD && l->proto == PR_IP && l->key == 0) ||
		     (l->kind == EK_PAYLOAD && l->proto == PR_IP6 && l->key == 0);

	if (!eq)
		return;
	if (l->kind == EK_CT && l->key == CK_PROTOCOL && r->kind == EK_VALUE &&
	    (x->t->family != NFT_FAM_INET || x->nfproto_known)) {
		/* ct protocol names the transport only when the network is known */
		x->l4 = r->v[0];
		x->l4_dep = s;
		x->l4_dep_payload = false;
		return;
	}
	if (l->kind == EK_CT && l->key == CK_L3PROTO && r->kind == EK_VALUE &&
	    (r->v[0] == NFT_FAM_IP || r->v[0] == NFT_FAM_IP6)) {
		/* a dependency only when it is what tells the family */
		if (!x->seen_payload &&
		    (x->t->family != NFT_FAM_INET || !x->nfproto || x->nf_from_hint))
			x->ct_l3_dep = s;
		if (x->t->family == NFT_FAM_INET)
			x->ct_l3_reject = s; /* an inet reject drops it in any case */
		if (x->t->family == NFT_FAM_INET) {
			x->nfproto = r->v[0];
			x->nf_from_hint = false;
		}
		return;
	}
	if (l->kind == EK_META && l->key == MK_NFPROTO && r->kind == EK_VALUE) {
		if (r->v[0] != NFT_FAM_IP && r->v[0] != NFT_FAM_IP6)
			return;
		x->nfproto = r->v[0];
		x->nfproto_known = true;
		x->nf_dep = x->t->family == NFT_FAM_INET ? s : NULL;
		return;
	}
	if (!l4sel || x->l4_from_hdr)
		return; /* a transport header match already fixed the protocol */
	if (r->kind == EK_VALUE) {
		x->l4 = r->v[0];
		x->l4_any = false;
		x->l4_dep = s;
		x->l4_dep_payload = l->kind == EK_PAYLOAD;
	} else if (r->kind == EK_SET && r->set && !r->set->name && r->set->elems) {
		x->l4 = 0;
		x->l4_any = true;
		x->l4_last = r->set->elems_tail->lo[0];
		x->l4_dep = NULL;
	}
}

/* nft turns a one-element anonymous set into a plain comparison. */
static void single_elem(struct ctx *x, struct nft_expr *r)
{
	struct nft_elem *el = r->set->elems;
	uint8_t len = r->set->key_len, dt = r->set->key_dt;
	struct nft_expr *lo, *hi;

	if (!el->interval || !memcmp(el->lo, el->hi, len)) {
		r->kind = EK_VALUE;
		r->dt = dt;
		r->len = len;
		memcpy(r->v, el->lo, 16);
		return;
	}
	lo = nft_alloc(x->ps->a, sizeof(*lo));
	hi = nft_alloc(x->ps->a, sizeof(*hi));
	if (!lo || !hi)
		return;
	lo->kind = hi->kind = EK_VALUE;
	lo->dt = hi->dt = dt;
	lo->len = hi->len = len;
	memcpy(lo->v, el->lo, 16);
	memcpy(hi->v, el->hi, 16);
	r->dt = dt;
	r->len = len;
	r->l = lo;
	r->r = hi;
	if (dt == DT_IPV4 || dt == DT_IPV6) {
		/* an address interval that is a prefix lists as one */
		unsigned p = 0;

		while (p < len * 8u && (lo->v[p / 8] >> (7 - p % 8) & 1) ==
					       (hi->v[p / 8] >> (7 - p % 8) & 1))
			p++;
		bool ok = true;

		for (unsigned i = p; i < len * 8u; i++)
			if ((lo->v[i / 8] >> (7 - i % 8) & 1) || !(hi->v[i / 8] >> (7 - i % 8) & 1))
				ok = false;
		if (ok) {
			r->kind = EK_PREFIX;
			r->plen = (uint8_t)p;
			return;
		}
	}
	r->kind = EK_RANGE;
}

static int check_match(struct ctx *x, struct nft_stmt *s)
{
	struct nft_expr *l = s->l, *r = s->r;

	if (resolve_lhs(x, l, true))
		return -EINVAL;
	if (l->kind == EK_BINOP && l->l->kind == EK_BINOP && canon_bitwise(x, l))
		return -EINVAL;
	uint8_t dt = l->dt, len = l->len;
	bool bitmask = nft_dtypes[dt].bitmask;

	if (x->ct_no_l4) {
		/* nft cannot type the port without knowing the protocol */
		return fail(x, &r->loc, NULL, "Can't parse symbolic invalid expressions");
	}
	if (l->kind == EK_CONCAT && r->kind != EK_SETLIT && r->kind != EK_SETREF)
		return fail(x, &l->loc, &r->loc,
			    "Use concatenations with sets and maps, not singleton values");

	switch (r->kind) {
	case EK_LIST:
		if (!bitmask)
			return fail(x, &r->loc, NULL,
				    "syntax error, comma-separated list is only valid for flags");
		if (flags_list(x, r, dt, len))
			return -EINVAL;
		break;
	case EK_SLASH:
		if (bitmask) {
			if (flags_list(x, r->l, dt, len) || flags_list(x, r->r, dt, len))
				return -EINVAL;
			if (l->kind == EK_BINOP)
				return fail(x, &r->loc, NULL, "syntax error, unexpected '/'");
			if (s->op != OP_IMPLICIT && s->op != OP_EQ && s->op != OP_NE)
				return fail(x, &r->loc, NULL, "syntax error, unexpected '/'");
			struct nft_expr *b = nft_alloc(x->ps->a, sizeof(*b));

			if (!b)
				return -ENOMEM;
			b->kind = EK_BINOP;
			b->op = BOP_AND;
			b->loc = l->loc;
			b->l = l;
			b->r = r->r;
			b->dt = dt;
			b->len = len;
			s->l = b;
			s->r = r->l;
			if (s->op == OP_IMPLICIT)
				s->op = OP_EQ;
			if (canon_binop(x, s))
				return -EINVAL;
			break;
		}
		if (resolve_prefix(x, r, dt, len))
			return -EINVAL;
		break;
	case EK_SETLIT: {
		struct nft_set *set;

		if (build_set(x, r, l, 0, 0, NULL, false, &set))
			return -EINVAL;
		r->kind = EK_SET;
		r->set = set;
		/* a concatenation stays a set lookup, even with one element */
		if (set->nwritten == 1 && !set->kcat.n)
			single_elem(x, r);
		break;
	}
	case EK_SETREF:
		if (set_ref(x, l, r, false, &r->set))
			return -EINVAL;
		r->kind = EK_SET;
		break;
	default:
		if (resolve_value(x, r, dt, len))
			return -EINVAL;
		if (r->kind != EK_VALUE && r->kind != EK_RANGE)
			return fail(x, &r->loc, NULL, "Right hand side must be a constant");
		break;
	}
	if (s->op == OP_NEG && !bitmask)
		return fail(x, &s->loc, NULL, "negation is only valid for flags");
	if (r->kind == EK_SET) {
		if (s->op == OP_EQ && s->l->kind != EK_BINOP)
			s->op = OP_IMPLICIT;
		if (s->op == OP_IMPLICIT && s->l->kind == EK_BINOP)
			s->op = OP_EQ;
		if (s->op != OP_IMPLICIT && s->op != OP_NE && s->op != OP_EQ)
			return fail(x, &s->loc, NULL, "relational operation not valid for sets");
	} else if (r->kind == EK_RANGE || r->kind == EK_PREFIX) {
		if (s->op == OP_EQ)
			s->op = OP_IMPLICIT;
		if (s->op != OP_IMPLICIT && s->op != OP_NE)
			return fail(x, &s->loc, NULL, "relational operation not valid for ranges");
	} else if (s->l->kind == EK_BINOP && s->op != OP_FLAGCMP && s->op != OP_FLAGCMP_NE) {
		if (canon_binop(x, s))
			return -EINVAL;
	} else if (!bitmask && s->op == OP_EQ && s->l->kind != EK_BINOP) {
		s->op = OP_IMPLICIT;
	}
	if (l->kind == EK_META && (l->key == MK_L4PROTO) && x->l4 &&
	    s->r->kind == EK_VALUE && s->r->v[0] != x->l4 && s->op == OP_IMPLICIT &&
	    x->l4_dep) {
		nft_error(x->ps, &s->loc, &x->l4_dep->loc,
			  "conflicting protocols specified: %s vs. %s", l4_name(x->l4),
			  l4_name(s->r->v[0]));
		return -EINVAL;
	}
	learn_context(x, s);
	return 0;
}

static int check_vmap(struct ctx *x, struct nft_stmt *s)
{
	if (resolve_lhs(x, s->l, true))
		return -EINVAL;
	if (s->r->kind == EK_SETREF) {
		struct nft_set *set;

		if (set_ref(x, s->l, s->r, true, &set))
			return -EINVAL;
		if (set->data_dt != DT_VERDICT)
			return fail(x, &s->r->loc, NULL, "map is not a verdict map");
		s->r->kind = EK_SET;
		s->r->set = set;
		return 0;
	}
	if (build_set(x, s->r, s->l, DT_VERDICT, 4, NULL, true, &s->r->set))
		return -EINVAL;
	s->r->kind = EK_SET;
	return 0;
}

static int check_set_stmt(struct ctx *x, struct nft_stmt *s)
{
	uint8_t dt, len;

	if (s->kind == SK_META_SET) {
		if (s->key != MK_MARK)
			return fail(x, &s->loc, NULL, "meta key cannot be set");
		dt = DT_MARK;
		len = 4;
	} else {
		struct nft_expr *l = s->l;

		if (l->dir || l->nfproto)
			return fail(x, &l->loc, NULL, "syntax error, unexpected direction");
		switch (s->key) {
		case CK_MARK:
			dt = DT_MARK;
			len = 4;
			break;
		case CK_ZONE:
			dt = DT_INTEGER;
			len = 2;
			break;
		case CK_HELPER:
			dt = DT_STRING;
			len = 16;
			break;
		default:
			return fail(x, &l->loc, NULL, "ct key cannot be set");
		}
	}
	if (resolve_value(x, s->r, dt, len))
		return -EINVAL;
	if (s->r->kind == EK_RANGE)
		return fail(x, &s->r->loc, NULL, "Range is not valid here");
	if (s->kind == SK_CT_SET && s->key == CK_HELPER) {
		if (s->r->kind == EK_VALUE) {
			char name[17] = { 0 };

			memcpy(name, s->r->v, 16);
			if (!nft_obj_find(x->t, name))
				return fail(x, &s->r->loc, NULL,
					    "Could not process rule: No such file or directory");
		} else if (s->r->kind != EK_MAP) {
			return fail(x, &s->r->loc, NULL, "helper name expected");
		}
	}
	return 0;
}

static bool nat_hook_ok(uint8_t type, uint8_t hook)
{
	switch (type) {
	case NAT_SNAT:
		return hook == CT_HOOK_POSTROUTING || hook == CT_HOOK_INPUT;
	case NAT_DNAT:
	case NAT_REDIR:
		return hook == CT_HOOK_PREROUTING || hook == CT_HOOK_OUTPUT;
	default:
		return hook == CT_HOOK_POSTROUTING;
	}
}

static int nat_addr(struct ctx *x, struct nft_stmt *s, struct nft_expr *e, uint8_t dt, uint8_t len)
{
	if (e->kind == EK_SLASH)
		return resolve_prefix(x, e, dt, len);
	if (resolve_value(x, e, dt, len))
		return -EINVAL;
	return 0;
	(void)s;
}

/*
 * Does the nat address map to address . port?  As nft decides: an element
 * of an anonymous map whose data is a concatenation, or a named map whose
 * data type is one.
 */
static bool nat_concat_map(struct ctx *x, const struct nft_expr *a)
{
	if (a->kind != EK_MAP || !a->r)
		return false;
	if (a->r->kind == EK_SETREF) {
		const struct nft_set *s = nft_set_find(x->t, a->r->text);

		return s && s->is_map && s->dcat.n;
	}
	if (a->r->kind != EK_SETLIT)
		return false;
	for (const struct nft_expr *e = a->r->l; e; e = e->next)
		if (e->kind == EK_ELEM && e->r && e->r->kind == EK_CONCAT)
			return true;
	return false;
}

static int check_nat(struct ctx *x, struct nft_stmt *s)
{
	struct nft_chain *c = x->c;
	uint8_t fam = x->t->family;

	(void)c;
	if (fam == NFT_FAM_INET) {
		if (s->nat_family) {
			if (x->nfproto && x->nfproto != s->nat_family)
				return fail(x, &s->loc, NULL,
					    x->nfproto == NFT_FAM_IP ?
						    "conflicting protocols specified: ip vs. ip6. You must "
						    "specify ip or ip6 family in nat statement" :
						    "conflicting protocols specified: ip6 vs. ip. You must "
						    "specify ip or ip6 family in nat statement");
			fam = s->nat_family;
		} else if (x->nfproto) {
			fam = x->nfproto;
			if (s->addr && x->ct_l3_dep)
				x->ct_l3_dep->hidden = true;
		} else {
			fam = 0;
		}
		if (s->addr && !fam)
			return fail(x, &s->loc, NULL,
				    "ip or ip6 must be specified with address for inet tables.");
		s->nat_family = s->addr ? fam : 0;
	} else {
		if (s->nat_family && s->nat_family != fam)
			return fail(x, &s->loc, NULL, "conflicting protocols specified");
		s->nat_family = s->addr ? fam : 0;
	}
	if (s->addr && nat_concat_map(x, s->addr)) {
		/*
		 * A map to address . port (nft's STMT_NAT_F_CONCAT): one lookup
		 * gives both, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED.
		 */
		struct nft_ctype dc = { .n = 2 };
		uint8_t cdt, clen;
		char b1[256], b2[256];
		int rc;

		dc.dt[0] = fam == NFT_FAM_IP6 ? DT_IPV6 : DT_IPV4;
		dc.len[0] = fam == NFT_FAM_IP6 ? 16 : 4;
		dc.dt[1] = DT_INET_SERVICE;
		dc.len[1] = 2;
		nft_ctype_total(&dc, &cdt, &clen);
		x->want_dcat = &dc;
		x->nat_addr = true;
		rc = resolve_value(x, s->addr, cdt, clen);
		x->nat_addr = false;
		x->want_dcat = NULL;
		if (rc)
			return -EINVAL;
		if (!same_type(s->addr->set->data_dt, &s->addr->set->dcat, cdt, &dc)) {
			nft_error(x->ps, &s->addr->r->loc, NULL,
				  "datatype mismatch, expected %s, map has type %s",
				  type_desc(b1, sizeof(b1), cdt, &dc),
				  type_desc(b2, sizeof(b2), s->addr->set->data_dt,
					    &s->addr->set->dcat));
			return -EINVAL;
		}
		if (!x->l4 && !x->l4_any)
			return fail(x, &s->addr->loc, &s->loc,
				    "transport protocol mapping is only valid after transport "
				    "protocol match");
		s->nat_concat = true;
	} else if (s->addr) {
		uint8_t dt = fam == NFT_FAM_IP6 ? DT_IPV6 : DT_IPV4, len = fam == NFT_FAM_IP6 ? 16 : 4;

		x->nat_addr = true;
		int rc = nat_addr(x, s, s->addr, dt, len);

		x->nat_addr = false;
		if (rc)
			return -EINVAL;
		if (s->addr_hi && nat_addr(x, s, s->addr_hi, dt, len))
			return -EINVAL;
		if (s->addr_hi && s->addr->kind == EK_VALUE && s->addr_hi->kind == EK_VALUE &&
		    memcmp(s->addr->v, s->addr_hi->v, len) > 0)
			return fail(x, &s->addr->loc, NULL, "Range has zero or negative size");
	}
	if (s->port) {
		if (!x->l4 && !x->l4_any) {
			struct nft_loc pl = s->port->loc;

			return fail(x, &pl, &s->loc,
				    "transport protocol mapping is only valid after transport "
				    "protocol match");
		}
		if (resolve_value(x, s->port, DT_INET_SERVICE, 2))
			return -EINVAL;
		if (s->port_hi && resolve_value(x, s->port_hi, DT_INET_SERVICE, 2))
			return -EINVAL;
	}
	return 0;
}

static struct nft_stmt *l4proto_match(struct ctx *x, uint8_t proto, const struct nft_loc *loc)
{
	struct nft_stmt *m = nft_alloc(x->ps->a, sizeof(*m));
	struct nft_expr *l = nft_alloc(x->ps->a, sizeof(*l)), *r = nft_alloc(x->ps->a, sizeof(*r));

	if (!m || !l || !r)
		return NULL;
	m->kind = SK_MATCH;
	m->loc = *loc;
	l->kind = EK_META;
	l->key = MK_L4PROTO;
	l->dt = DT_INET_PROTO;
	l->len = 1;
	r->kind = EK_VALUE;
	r->dt = DT_INET_PROTO;
	r->len = 1;
	r->v[0] = proto;
	m->l = l;
	m->r = r;
	return m;
}

static int check_reject(struct ctx *x, struct nft_stmt *s)
{
	uint8_t fam = x->t->family;
	struct nft_chain *c = x->c;

	(void)c;
	if (s->rj_type == RJ_TCP_RST) {
		if ((x->l4 && x->l4 != 6) || x->l4_any)
			return fail(x, &s->loc, x->l4_dep ? &x->l4_dep->loc : NULL,
				    "you cannot use tcp reset with this protocol");
		if (x->nf_dep)
			x->nf_dep->hidden = true;
		if (x->ct_l3_reject)
			x->ct_l3_reject->hidden = true;
		if (x->l4_dep && fam != NFT_FAM_INET)
			x->l4_dep->hidden = true;
		if (!x->l4) {
			/*
			 * nft adds `meta l4proto tcp` (inet; listed first) or
			 * `ip protocol tcp` (ip, ip6; not listed)
			 */
			struct nft_stmt *m = l4proto_match(x, 6, &s->loc);

			if (!m)
				return -ENOMEM;
			m->hidden = fam != NFT_FAM_INET;
			m->next = x->r->stmts;
			x->r->stmts = m;
		}
		return 0;
	}
	if (s->rj_type == RJ_ICMPX) {
		if (fam != NFT_FAM_INET)
			return fail(x, &s->r_loc, NULL, "abstracted ICMP unreachable not supported");
		return 0;
	}
	if (!s->rj_family) {
		if (fam == NFT_FAM_INET) {
			if (!x->nfproto) {
				s->rj_type = RJ_ICMPX;
				s->rj_code = 1;
				return 0;
			}
			s->rj_family = x->nfproto;
			s->rj_explicit = true;
		} else {
			s->rj_family = fam;
		}
		s->rj_code = s->rj_family == NFT_FAM_IP ? 3 : 4;
	}
	if (fam != NFT_FAM_INET) {
		if (s->rj_family != fam)
			return fail(x, &s->loc, NULL, "conflicting protocols specified: ip vs ip6");
		return 0;
	}
	if (x->nfproto && x->nfproto != s->rj_family)
		return fail(x, &s->loc, x->nf_dep ? &x->nf_dep->loc : NULL,
			    "conflicting protocols specified: ip vs ip6");
	if (x->nf_dep)
		x->nf_dep->hidden = true;
	if (x->ct_l3_dep)
		x->ct_l3_dep->hidden = true;
	if (x->ct_l3_reject)
		x->ct_l3_reject->hidden = true;
	return 0;
}

static int check_verdict(struct ctx *x, struct nft_stmt *s)
{
	(void)x;
	(void)s;
	return 0;
}

/* Call `fn` for each chain that chain `c` jumps or goes to (also via verdict maps). */
static bool each_target(struct nft_table *t, struct nft_chain *c,
			bool (*fn)(struct nft_table *, struct nft_chain *, void *), void *arg)
{
	for (struct nft_rule *r = c->rules; r; r = r->next)
		for (struct nft_stmt *s = r->stmts; s; s = s->next) {
			if (s->kind == SK_VERDICT && s->chain) {
				struct nft_chain *n = nft_chain_find(t, s->chain);

				if (n && fn(t, n, arg))
					return true;
			}
			if (s->kind != SK_VMAP || !s->r->set)
				continue;
			for (struct nft_elem *e = s->r->set->elems; e; e = e->next) {
				struct nft_chain *n;

				if (!e->data || e->data->kind != EK_VERDICT || !e->data->text)
					continue;
				n = nft_chain_find(t, e->data->text);
				if (n && fn(t, n, arg))
					return true;
			}
		}
	return false;
}

struct walk {
	struct nft_chain *target;
	struct nft_chain *path[20];
	int depth;
};

/*
 * Depth-first walk: true when `target` is reached, a chain repeats on the
 * path (a loop) or the path grows beyond the kernel's 16 jump levels.
 */
static bool walk_step(struct nft_table *t, struct nft_chain *c, void *arg)
{
	struct walk *w = arg;

	if (c == w->target)
		return true;
	for (int i = 0; i < w->depth; i++)
		if (w->path[i] == c)
			return true;
	if (w->depth >= 16)
		return true;
	w->path[w->depth++] = c;
	bool hit = each_target(t, c, walk_step, w);

	w->depth--;
	return hit;
}

static bool base_reaches(struct nft_table *t, struct nft_chain *c)
{
	for (struct nft_chain *b = t->chains; b; b = b->next) {
		struct walk w = { .target = c };

		if (b->base && (b == c || walk_step(t, b, &w)))
			return true;
	}
	return false;
}

/*
 * What the kernel refuses when the rule is committed; nft reports these
 * only after its own checks passed, as "Could not process rule".
 */
static int kernel_check(struct ctx *x, struct nft_stmt *s)
{
	struct nft_chain *c = x->c;

	switch (s->kind) {
	case SK_NAT:
		if (!c->base || c->type != CHT_NAT || !nat_hook_ok(s->nat_type, c->hook))
			return fail(x, x->r->cmd_loc.line ? &x->r->cmd_loc : &x->r->loc, NULL,
				    "Could not process rule: Operation not supported");
		return 0;
	case SK_REJECT:
		if (c->base && c->hook == CT_HOOK_POSTROUTING)
			return fail(x, x->r->cmd_loc.line ? &x->r->cmd_loc : &x->r->loc, NULL,
				    "Could not process rule: Operation not supported");
		return 0;
	case SK_VERDICT: {
		if (s->vcode != VC_JUMP && s->vcode != VC_GOTO)
			return 0;
		struct nft_chain *t = nft_chain_find(x->t, s->chain);

		if (!t)
			return missing_chain(x, &s->r_loc);
		if (t->base)
			return fail(x, &s->r_loc, NULL,
				    "Could not process rule: Operation not supported");
		/*
		 * the kernel refuses loops (and more than 16 levels of jumps)
		 * in what a base chain can reach
		 */
		struct walk w = { .target = c };

		if (base_reaches(x->t, c) && walk_step(x->t, t, &w))
			return fail(x, x->r->cmd_loc.line ? &x->r->cmd_loc : &x->r->loc, NULL,
				    "Could not process rule: Too many links");
		t->use++;
		return 0;
	}
	default:
		return 0;
	}
}

static bool is_terminal(const struct nft_stmt *s)
{
	switch (s->kind) {
	case SK_VERDICT:
		return s->vcode != VC_CONTINUE;
	case SK_REJECT:
	case SK_NAT:
		return true;
	default:
		return false;
	}
}

static int check_stmt_kind(struct ctx *x, struct nft_stmt *s);

static int check_stmt(struct ctx *x, struct nft_stmt *s)
{
	if (x->terminal)
		return fail(x, &s->loc, &x->terminal->loc,
			    "Statement after terminal statement has no effect");
	int rc = check_stmt_kind(x, s);

	if (s->kind != SK_MATCH) {
		/* a statement between a dependency and its user keeps it listed */
		x->l4_dep = NULL;
		x->nf_dep = NULL;
		x->ct_l3_dep = NULL;
		x->ct_l3_reject = NULL;
	}
	return rc;
}

static int check_stmt_kind(struct ctx *x, struct nft_stmt *s)
{
	switch (s->kind) {
	case SK_MATCH:
		return check_match(x, s);
	case SK_VMAP:
		return check_vmap(x, s);
	case SK_META_SET:
	case SK_CT_SET:
		return check_set_stmt(x, s);
	case SK_NAT:
		return check_nat(x, s);
	case SK_REJECT:
		return check_reject(x, s);
	case SK_VERDICT:
		return check_verdict(x, s);
	case SK_LOG:
		if (s->level == 8 && s->log_other)
			return fail(x, &s->loc, NULL,
				    "log level audit doesn't support any further options");
		return 0;
	case SK_LIMIT:
		if (!s->rate)
			return fail(x, &s->loc, NULL, "limit rate must be > 0");
		return 0;
	case SK_NOTRACK:
		return 0;
	default:
		return 0;
	}
}

/*
 * As nft's listing does: a `th` header match after a transport protocol
 * match (possibly one nft added itself, as for `reject with tcp reset`) is
 * listed as that protocol's header, and the protocol match as its dependency
 * is dropped.
 */
static void th_postprocess(struct ctx *x, struct nft_rule *r)
{
	struct nft_stmt *dep = NULL;
	uint8_t l4 = 0;

	for (struct nft_stmt *s = r->stmts; s; s = s->next) {
		if (s->kind != SK_MATCH) {
			dep = NULL;
			continue;
		}
		struct nft_expr *l = s->l;
		bool eq = (s->op == OP_IMPLICIT || s->op == OP_EQ) && s->r->kind == EK_VALUE;

		if (eq && ((l->kind == EK_META && l->key == MK_L4PROTO) ||
			   (l->kind == EK_CT && l->key == CK_PROTOCOL) ||
			   (l->kind == EK_PAYLOAD && (l->proto == PR_IP || l->proto == PR_IP6) &&
			    l->key == 0))) {
			l4 = s->r->v[0];
			dep = s->hidden ? NULL : s;
			continue;
		}
		if (l->kind == EK_BINOP)
			l = l->l;
		if (l->kind == EK_PAYLOAD && (l->proto == PR_TCP || l->proto == PR_UDP)) {
			l4 = l->proto == PR_TCP ? 6 : 17;
			dep = NULL;
			continue;
		}
		if (l->kind == EK_PAYLOAD && l->proto == PR_TH && (l4 == 6 || l4 == 17)) {
			l->proto = l4 == 6 ? PR_TCP : PR_UDP;
			if (dep && !(dep->l->kind == EK_PAYLOAD && x->t->family == NFT_FAM_INET))
				dep->hidden = true;
			dep = NULL;
		}
	}
}

static bool mergeable(const struct nft_stmt *s)
{
	return s && s->kind == SK_MATCH && !s->hidden && s->op == OP_IMPLICIT &&
	       s->l->kind == EK_PAYLOAD && s->r->kind == EK_VALUE;
}

/*
 * nft merges adjacent payload matches on contiguous fields of one header
 * into a single comparison and lists them back in header order.
 */
static void payload_merge_order(struct nft_rule *r)
{
	for (struct nft_stmt **pp = &r->stmts; *pp && (*pp)->next; pp = &(*pp)->next) {
		struct nft_stmt *a = *pp, *b = a->next;

		if (!mergeable(a) || !mergeable(b) || a->l->proto != b->l->proto)
			continue;
		const struct nft_field *fa = nft_field_get(a->l->proto, a->l->key);
		const struct nft_field *fb = nft_field_get(b->l->proto, b->l->key);

		if (fb->off + fb->len == fa->off) {
			a->next = b->next;
			b->next = a;
			*pp = b;
		}
	}
}

/* Anonymous sets (and maps) in an expression tree. */
static uint64_t anon_sets(const struct nft_expr *e)
{
	uint64_t n = 0;

	for (; e; e = e->next) {
		if ((e->kind == EK_SET || (e->kind == EK_MAP && (!e->r || e->r->kind != EK_SET))) &&
		    e->set && !e->set->name)
			n++;
		if (e->kind != EK_SET)
			n += anon_sets(e->l) + anon_sets(e->r);
		if (e->kind != EK_LIST)
			break;
	}
	return n;
}

int nft_check_rule(struct nft_pstate *ps, struct nft_table *t, struct nft_chain *c,
		   struct nft_rule *r)
{
	struct ctx x = { .ps = ps, .t = t, .c = c, .r = r };

	if (t->family != NFT_FAM_INET)
		x.nfproto = t->family;
	for (struct nft_stmt *s = r->stmts; s; s = s->next) {
		/* the reject dependency may be prepended while we walk */
		if (check_stmt(&x, s))
			return -EINVAL;
		if (is_terminal(s))
			x.terminal = s;
	}
	for (struct nft_stmt *s = r->stmts; s; s = s->next)
		if (kernel_check(&x, s))
			return -EINVAL;
	th_postprocess(&x, r);
	payload_merge_order(r);
	/*
	 * The rule's anonymous sets are objects of the table too: nft adds
	 * each before the rule, and each takes the next handle.
	 */
	for (struct nft_stmt *s = r->stmts; s; s = s->next) {
		t->next_handle += anon_sets(s->l) + anon_sets(s->r);
		if (s->kind == SK_NAT)
			t->next_handle += anon_sets(s->addr) + anon_sets(s->addr_hi) +
					  anon_sets(s->port) + anon_sets(s->port_hi);
	}
	r->handle = ++t->next_handle;
	return 0;
}

/* Link r into c: at the end (ref NULL, !before), at the start (ref NULL,
 * before), or before / after the rule ref. */
void nft_chain_link(struct nft_chain *c, struct nft_rule *r, struct nft_rule *ref, bool before)
{
	struct nft_rule **pp = &c->rules, *prev = NULL;

	if (!ref && !before) {
		r->next = NULL;
		if (c->rules_tail)
			c->rules_tail->next = r;
		else
			c->rules = r;
		c->rules_tail = r;
		return;
	}
	if (ref && !before) {
		r->next = ref->next;
		ref->next = r;
		if (c->rules_tail == ref)
			c->rules_tail = r;
		return;
	}
	while (ref && *pp && *pp != ref) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	(void)prev;
	r->next = *pp;
	*pp = r;
	if (!r->next)
		c->rules_tail = r;
}

int nft_check_chain(struct nft_pstate *ps, struct nft_table *t, struct nft_chain *c,
		    const struct nft_loc *loc)
{
	struct ctx x = { .ps = ps, .t = t, .c = c };

	if (!c->base)
		return 0;
	if (c->type == CHT_NAT && c->hook == CT_HOOK_FORWARD)
		return fail(&x, loc, NULL, "Could not process rule: Operation not supported");
	if (c->type == CHT_ROUTE && c->hook != CT_HOOK_OUTPUT)
		return fail(&x, loc, NULL, "Could not process rule: Operation not supported");
	if (c->type == CHT_NAT && c->prio == -300 && 0)
		return 0;
	return 0;
}

/* One selector of a `typeof`: its type, without a rule's protocol context. */
static int typeof_one(struct ctx *x, struct nft_expr *e)
{
	const struct nft_field *f;

	switch (e->kind) {
	case EK_PAYLOAD:
		f = nft_field_get(e->proto, e->key);
		e->dt = f->dt;
		e->len = f->len;
		return 0;
	case EK_META:
		e->dt = meta_types[e->key].dt;
		e->len = meta_types[e->key].len;
		return 0;
	case EK_CT:
		return resolve_ct(x, e, false);
	default:
		return fail(x, &e->loc, NULL, "Can't parse symbolic invalid expressions");
	}
}

int nft_check_typeof(struct nft_pstate *ps, struct nft_table *t, struct nft_expr *e,
		     uint8_t *dt, uint8_t *len, struct nft_ctype *cat)
{
	struct ctx x = { .ps = ps, .t = t, .no_kill = true };

	cat->n = 0;
	if (e->kind != EK_CONCAT) {
		if (typeof_one(&x, e))
			return -EINVAL;
		*dt = e->dt;
		*len = e->len;
		return 0;
	}
	unsigned n = 0;

	for (struct nft_expr *c = e->l; c; c = c->next) {
		if (typeof_one(&x, c))
			return -EINVAL;
		if (++n > NFT_CONCAT_MAX)
			return fail(&x, &c->loc, NULL, "too many concatenation components");
	}
	expr_ctype(e, cat);
	nft_ctype_total(cat, dt, len);
	e->dt = DT_CONCAT;
	e->len = *len;
	if (*len > NFT_KEY_MAX)
		return fail(&x, &e->loc, NULL, "too many concatenation components");
	return 0;
}
