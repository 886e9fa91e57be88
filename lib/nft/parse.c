/* SPDX-License-Identifier: MIT */
/*
 * Recursive-descent parser for nft rules: expressions, set literals and
 * statements, up to the end of a rule.  The commands around them (tables,
 * chains, sets, add/delete/flush, define, include) are in cmd.c.  Constants
 * are left as symbols (EK_SYM) for check.c, which knows the datatype they
 * must have.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

static struct nft_expr *new_expr(struct nft_pstate *ps, enum nft_ek k, const struct nft_loc *l)
{
	struct nft_expr *e = nft_alloc(ps->a, sizeof(*e));

	if (!e) {
		nft_error(ps, l, NULL, "out of memory");
		return NULL;
	}
	e->kind = (uint8_t)k;
	e->loc = *l;
	return e;
}

static void skip_nl(struct nft_pstate *ps)
{
	while (nft_peek(ps)->kind == TK_NL)
		nft_next(ps);
}

/* ---- expressions ---- */

static struct nft_expr *parse_value(struct nft_pstate *ps);
static struct nft_expr *parse_or(struct nft_pstate *ps, bool selectors);
static struct nft_expr *parse_concat(struct nft_pstate *ps, bool selectors);
static struct nft_expr *parse_rhs(struct nft_pstate *ps);

static struct nft_define *find_define(struct nft_pstate *ps, const char *name)
{
	size_t n = strlen(name);

	for (struct nft_define *d = ps->defines; d; d = d->next)
		if (d->nlen == n && !memcmp(d->name, name, n))
			return d;
	return NULL;
}

/*
 * The define a $name token (already read) stands for.  nft reads '$' and
 * the name as two tokens, so its errors point at the name alone.
 */
/*
 * "unknown identifier": nft offers the closest define, the first of equals
 * in the order they were written (our list runs newest first).
 */
static void unknown_identifier(struct nft_pstate *ps, const char *name, const struct nft_loc *l)
{
	struct nft_misspell m;
	size_t n = 0;
	char dn[256];

	nft_misspell_init(&m);
	for (struct nft_define *o = ps->defines; o; o = o->next)
		n++;
	while (n--) {
		struct nft_define *o = ps->defines;

		for (size_t i = 0; i < n; i++)
			o = o->next;
		snprintf(dn, sizeof(dn), "%.*s", (int)o->nlen, o->name);
		nft_misspell_update(&m, dn, name, o);
	}
	if (m.obj) {
		const struct nft_define *o = m.obj;

		nft_error(ps, l, NULL,
			  "unknown identifier '%s'; did you mean identifier \u2018%.*s\u2019?", name,
			  (int)o->nlen, o->name);
	} else {
		nft_error(ps, l, NULL, "unknown identifier '%s'", name);
	}
}

/*
 * The define a $name token (already read) stands for.  nft reads '$' and
 * the name as two tokens, so its errors point at the name alone.
 */
static struct nft_define *var_define(struct nft_pstate *ps, const struct nft_tok *t)
{
	struct nft_loc nl;
	const char *name = nft_parse_sigil_name(ps, t, "string", 0, &nl);
	struct nft_define *d;

	if (!name)
		return NULL;
	d = find_define(ps, name);
	if (!d) {
		unknown_identifier(ps, name, &nl);
		return NULL;
	}
	if (ps->depth > 16) {
		nft_error(ps, &t->loc, NULL, "too many nested definitions");
		return NULL;
	}
	return d;
}

/* Parse the tokens of a `define` as one expression. */
static struct nft_expr *parse_var(struct nft_pstate *ps, const struct nft_tok *t, bool selectors)
{
	struct nft_define *d = var_define(ps, t);
	struct nft_expr *e;

	if (!d)
		return NULL;
	struct nft_toks *otk = ps->tk;
	size_t opos = ps->pos, oend = ps->end;

	ps->tk = &ps->srcs[d->src].toks;
	ps->pos = d->first;
	ps->end = d->end;
	ps->depth++;
	if (nft_peek(ps)->kind == TK_LBRACE)
		e = nft_parse_setlit(ps);
	else if (selectors)
		e = parse_concat(ps, selectors);
	else
		e = parse_rhs(ps);
	if (e && ps->pos != ps->end) {
		nft_syntax_error(ps, nft_peek(ps));
		e = NULL;
	}
	ps->depth--;
	ps->tk = otk;
	ps->pos = opos;
	ps->end = oend;
	return e;
}

static const char *const payload_protos[] = { "ip", "ip6", "tcp", "udp", "th", "icmp",
					      "icmpv6", NULL };
static const uint8_t payload_proto_ids[] = { PR_IP, PR_IP6, PR_TCP, PR_UDP, PR_TH, PR_ICMP,
					     PR_ICMPV6 };

static const struct {
	const char *name;
	uint8_t key;
	bool bare; /* usable without `meta` */
} meta_keys[] = {
	{ "length", MK_LENGTH, false }, { "mark", MK_MARK, true }, { "iif", MK_IIF, true },
	{ "oif", MK_OIF, true }, { "iifname", MK_IIFNAME, true }, { "oifname", MK_OIFNAME, true },
	{ "l4proto", MK_L4PROTO, false }, { "nfproto", MK_NFPROTO, false },
};

static const struct {
	const char *name;
	uint8_t key;
} ct_keys[] = {
	{ "state", CK_STATE }, { "direction", CK_DIRECTION }, { "status", CK_STATUS },
	{ "mark", CK_MARK }, { "expiration", CK_EXPIRATION }, { "helper", CK_HELPER },
	{ "l3proto", CK_L3PROTO }, { "protocol", CK_PROTOCOL }, { "saddr", CK_SADDR },
	{ "daddr", CK_DADDR }, { "proto-src", CK_PROTO_SRC }, { "proto-dst", CK_PROTO_DST },
	{ "bytes", CK_BYTES }, { "packets", CK_PACKETS }, { "zone", CK_ZONE },
};

static int proto_index(const struct nft_tok *t)
{
	for (int i = 0; payload_protos[i]; i++)
		if (nft_tok_is(t, payload_protos[i]))
			return i;
	return -1;
}

static int meta_index(const struct nft_tok *t, bool bare)
{
	for (size_t i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++)
		if (nft_tok_is(t, meta_keys[i].name) && (!bare || meta_keys[i].bare))
			return (int)i;
	return -1;
}

/* Is the current token the start of a selector (payload, meta, ct)? */
static bool at_selector(struct nft_pstate *ps)
{
	struct nft_tok *t = nft_peek(ps), *t2 = nft_peek2(ps);
	int pi = proto_index(t);

	if (pi >= 0) {
		for (uint8_t f = 0; nft_field_get(payload_proto_ids[pi], f); f++)
			if (nft_tok_is(t2, nft_field_get(payload_proto_ids[pi], f)->name))
				return true;
		return false;
	}
	if (nft_tok_is(t, "meta") || nft_tok_is(t, "ct"))
		return true;
	return meta_index(t, true) >= 0;
}

static struct nft_expr *parse_selector(struct nft_pstate *ps)
{
	struct nft_tok *t = nft_next(ps);
	struct nft_loc loc = t->loc;
	int pi = proto_index(t);
	struct nft_expr *e;

	if (pi >= 0) {
		struct nft_tok *f = nft_next(ps);
		uint8_t proto = payload_proto_ids[pi];

		e = new_expr(ps, EK_PAYLOAD, &loc);
		if (!e)
			return NULL;
		e->proto = proto;
		for (uint8_t i = 0; nft_field_get(proto, i); i++)
			if (nft_tok_is(f, nft_field_get(proto, i)->name)) {
				e->key = i;
				e->loc = nft_loc_join(&loc, &f->loc);
				return e;
			}
		nft_syntax_error(ps, f);
		return NULL;
	}
	if (nft_tok_is(t, "meta")) {
		struct nft_tok *k = nft_next(ps);
		int mi = meta_index(k, false);

		if (mi < 0) {
			nft_syntax_error(ps, k);
			return NULL;
		}
		e = new_expr(ps, EK_META, &loc);
		if (!e)
			return NULL;
		e->key = meta_keys[mi].key;
		e->loc = nft_loc_join(&loc, &k->loc);
		return e;
	}
	if (nft_tok_is(t, "ct")) {
		e = new_expr(ps, EK_CT, &loc);
		if (!e)
			return NULL;
		if (nft_accept_kw(ps, "original"))
			e->dir = 1;
		else if (nft_accept_kw(ps, "reply"))
			e->dir = 2;
		if (nft_accept_kw(ps, "ip"))
			e->nfproto = NFT_FAM_IP;
		else if (nft_accept_kw(ps, "ip6"))
			e->nfproto = NFT_FAM_IP6;
		e->fam_written = e->nfproto != 0;
		struct nft_tok *k = nft_next(ps);

		for (size_t i = 0; i < sizeof(ct_keys) / sizeof(ct_keys[0]); i++)
			if (nft_tok_is(k, ct_keys[i].name)) {
				e->key = ct_keys[i].key;
				e->loc = nft_loc_join(&loc, &k->loc);
				return e;
			}
		nft_syntax_error(ps, k);
		return NULL;
	}
	int mi = meta_index(t, true);

	if (mi < 0) {
		nft_syntax_error(ps, t);
		return NULL;
	}
	e = new_expr(ps, EK_META, &loc);
	if (e)
		e->key = meta_keys[mi].key;
	return e;
}

/* A constant token, a parenthesised expression, a set, @set or $var. */
static struct nft_expr *parse_prim(struct nft_pstate *ps, bool selectors)
{
	struct nft_tok *t = nft_peek(ps);
	struct nft_expr *e;

	switch (t->kind) {
	case TK_NUM:
	case TK_IDENT:
	case TK_STRING:
	case TK_ADDR4:
	case TK_ADDR6:
		if (selectors && t->kind == TK_IDENT && at_selector(ps))
			return parse_selector(ps);
		nft_next(ps);
		e = new_expr(ps, EK_SYM, &t->loc);
		if (!e)
			return NULL;
		e->tok = (uint8_t)t->kind;
		e->text = t->s;
		e->tlen = t->len;
		return e;
	case TK_LBRACK: {
		nft_next(ps);
		struct nft_tok *a = nft_next(ps);

		if (a->kind != TK_ADDR6) {
			nft_syntax_error(ps, a);
			return NULL;
		}
		if (nft_expect(ps, TK_RBRACK))
			return NULL;
		e = new_expr(ps, EK_SYM, &a->loc);
		if (!e)
			return NULL;
		e->tok = TK_ADDR6;
		e->text = a->s;
		e->tlen = a->len;
		return e;
	}
	case TK_LPAREN: {
		nft_next(ps);
		e = parse_concat(ps, selectors);
		struct nft_tok *close = nft_peek(ps);

		if (!e || nft_expect(ps, TK_RPAREN))
			return NULL;
		e->loc = nft_loc_join(&t->loc, &close->loc);
		return e;
	}
	case TK_LBRACE:
		return nft_parse_setlit(ps);
	case TK_AT: {
		struct nft_loc nl;
		const char *name;

		nft_next(ps);
		name = nft_parse_sigil_name(ps, t, "string", NFT_KWS_AT, &nl);
		if (!name)
			return NULL;
		nl = nft_loc_join(&t->loc, &nl);
		e = new_expr(ps, EK_SETREF, &nl);
		if (!e)
			return NULL;
		e->text = name;
		e->tlen = (uint32_t)strlen(name);
		return e;
	}
	case TK_VAR:
		nft_next(ps);
		return parse_var(ps, t, selectors);
	default:
		nft_syntax_error(ps, t);
		return NULL;
	}
}

/* prim [ '-' prim ] : a range binds tighter than the bitwise operators. */
static struct nft_expr *parse_range(struct nft_pstate *ps, bool selectors)
{
	struct nft_expr *l = parse_prim(ps, selectors), *r, *e;

	if (!l)
		return NULL;
	if (nft_peek(ps)->kind != TK_DASH)
		return l;
	nft_next(ps);
	r = parse_prim(ps, false);
	if (!r)
		return NULL;
	struct nft_loc loc = nft_loc_join(&l->loc, &r->loc);

	e = new_expr(ps, EK_RANGE, &loc);
	if (!e)
		return NULL;
	e->l = l;
	e->r = r;
	return e;
}

static int binop_tok(struct nft_pstate *ps, int level)
{
	struct nft_tok *t = nft_peek(ps);

	switch (level) {
	case 0:
		return (t->kind == TK_PIPE || nft_tok_is(t, "or")) ? BOP_OR : 0;
	case 1:
		return (t->kind == TK_CARET || nft_tok_is(t, "xor")) ? BOP_XOR : 0;
	case 2:
		return (t->kind == TK_AMP || nft_tok_is(t, "and")) ? BOP_AND : 0;
	default:
		return t->kind == TK_SHL ? BOP_SHL : t->kind == TK_SHR ? BOP_SHR : 0;
	}
}

static struct nft_expr *parse_binlevel(struct nft_pstate *ps, int level, bool selectors)
{
	struct nft_expr *l, *r, *e;
	int op;

	l = level == 4 ? parse_range(ps, selectors) : parse_binlevel(ps, level + 1, selectors);
	while (l && (op = binop_tok(ps, level))) {
		nft_next(ps);
		r = level == 4 ? parse_range(ps, selectors) :
				 parse_binlevel(ps, level + 1, selectors);
		if (!r)
			return NULL;
		struct nft_loc loc = nft_loc_join(&l->loc, &r->loc);

		e = new_expr(ps, EK_BINOP, &loc);
		if (!e)
			return NULL;
		e->op = (uint8_t)op;
		e->l = l;
		e->r = r;
		l = e;
	}
	return l;
}

static struct nft_expr *parse_or(struct nft_pstate *ps, bool selectors)
{
	return parse_binlevel(ps, 0, selectors);
}

/* Append component n to the concatenation c. */
static void concat_add(struct nft_expr *c, struct nft_expr **last, struct nft_expr *n)
{
	(*last)->next = n;
	*last = n;
	c->loc = nft_loc_join(&c->loc, &n->loc);
}

/*
 * expr [ '.' expr ]... : a concatenation binds looser than the bitwise
 * operators (nft's concat_expr over basic_expr); a set is never a component.
 */
static struct nft_expr *parse_concat(struct nft_pstate *ps, bool selectors)
{
	struct nft_expr *first = parse_or(ps, selectors), *last = first, *c;

	if (!first || nft_peek(ps)->kind != TK_DOT || first->kind == EK_SETLIT ||
	    first->kind == EK_SETREF)
		return first;
	c = new_expr(ps, EK_CONCAT, &first->loc);
	if (!c)
		return NULL;
	c->l = first;
	while (nft_accept_tok(ps, TK_DOT)) {
		struct nft_expr *n = parse_or(ps, selectors);

		if (!n)
			return NULL;
		if (n->kind == EK_SETLIT || n->kind == EK_SETREF) {
			nft_syntax_error(ps, &ps->tk->v[ps->pos - 1]);
			return NULL;
		}
		concat_add(c, &last, n);
	}
	return c;
}

struct nft_expr *nft_parse_typeof(struct nft_pstate *ps)
{
	return parse_concat(ps, true);
}

/* expr [ map SET ] : statement arguments. */
static struct nft_expr *parse_value(struct nft_pstate *ps)
{
	struct nft_expr *e = parse_concat(ps, true), *m;

	if (!e)
		return NULL;
	if (!nft_is_kw(ps, "map"))
		return e;
	nft_next(ps);
	m = new_expr(ps, EK_MAP, &e->loc);
	if (!m)
		return NULL;
	m->l = e;
	m->r = parse_prim(ps, false);
	if (!m->r)
		return NULL;
	m->loc = nft_loc_join(&e->loc, &m->r->loc);
	if (m->r->kind != EK_SETLIT && m->r->kind != EK_SETREF) {
		nft_syntax_error(ps, nft_peek(ps));
		return NULL;
	}
	return m;
}

/* a, b, c  (flag lists) */
static struct nft_expr *parse_list(struct nft_pstate *ps)
{
	struct nft_expr *first = parse_concat(ps, false), *last = first, *e;

	if (!first || nft_peek(ps)->kind != TK_COMMA)
		return first;
	e = new_expr(ps, EK_LIST, &first->loc);
	if (!e)
		return NULL;
	e->l = first;
	while (nft_accept_tok(ps, TK_COMMA)) {
		struct nft_expr *n = parse_concat(ps, false);

		if (!n)
			return NULL;
		last->next = n;
		last = n;
		e->loc = nft_loc_join(&e->loc, &n->loc);
	}
	return e;
}

/* Right-hand side of a match: list [ '/' list ] */
static struct nft_expr *parse_rhs(struct nft_pstate *ps)
{
	struct nft_expr *l = parse_list(ps), *r, *e;

	if (!l || nft_peek(ps)->kind != TK_SLASH)
		return l;
	nft_next(ps);
	r = parse_list(ps);
	if (!r)
		return NULL;
	struct nft_loc loc = nft_loc_join(&l->loc, &r->loc);

	e = new_expr(ps, EK_SLASH, &loc);
	if (!e)
		return NULL;
	e->l = l;
	e->r = r;
	return e;
}

/*
 * The chain of `jump $x`: the define's value, one word (or a quoted
 * string) whose location is the one errors about the chain point at.
 */
static const char *var_chain(struct nft_pstate *ps, const struct nft_tok *t, struct nft_loc *loc)
{
	struct nft_define *d = var_define(ps, t);

	if (!d)
		return NULL;
	const struct nft_tok *v = &ps->srcs[d->src].toks.v[d->first];
	size_t n = d->end - d->first, len = v->len;

	*loc = v->loc;
	for (size_t i = 1; i < n; i++) {
		if (v[i].s != v[i - 1].s + v[i - 1].len || v[i].kind == TK_STRING)
			break;
		len += v[i].len;
		loc->c2 = v[i].loc.c2;
	}
	return nft_strndup(ps->a, v->s, len);
}

/*
 * A verdict.  The chain of jump/goto is a name or a $variable; what nft
 * says it expected instead differs in a set literal (`{ k : jump c }`).
 */
static struct nft_expr *parse_verdict_expr(struct nft_pstate *ps, bool in_set)
{
	static const struct {
		const char *w;
		uint8_t code;
	} v[] = { { "accept", VC_ACCEPT }, { "drop", VC_DROP }, { "continue", VC_CONTINUE },
		  { "return", VC_RETURN }, { "jump", VC_JUMP }, { "goto", VC_GOTO } };
	struct nft_tok *t = nft_peek(ps);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!nft_tok_is(t, v[i].w))
			continue;
		nft_next(ps);
		struct nft_expr *e = new_expr(ps, EK_VERDICT, &t->loc);

		if (!e)
			return NULL;
		e->vcode = v[i].code;
		e->dt = DT_VERDICT;
		if (v[i].code == VC_JUMP || v[i].code == VC_GOTO) {
			struct nft_loc nl;
			struct nft_tok *c = nft_peek(ps);

			if (c->kind == TK_VAR) {
				nft_next(ps);
				e->text = var_chain(ps, c, &nl);
			} else {
				e->text = nft_parse_name_as(ps, &nl,
							    in_set ? "string or '$'" : "'{'", 0);
			}
			if (!e->text)
				return NULL;
			e->loc = nft_loc_join(&e->loc, &nl);
			e->r_loc_name = nl;
		}
		return e;
	}
	return NULL;
}

static bool at_verdict(struct nft_pstate *ps)
{
	static const char *const w[] = { "accept", "drop", "continue", "return", "jump", "goto" };

	for (size_t i = 0; i < 6; i++)
		if (nft_is_kw(ps, w[i]))
			return true;
	return false;
}

/* One set element: value [/ len] [: data] [comment "..."] */
/* An optional "/ length" after a set element's key or data, or a nat address: v / n. */
static struct nft_expr *parse_prefix_len(struct nft_pstate *ps, struct nft_expr *v)
{
	struct nft_expr *n, *e;
	struct nft_loc loc;

	if (nft_peek(ps)->kind != TK_SLASH)
		return v;
	nft_next(ps);
	n = parse_prim(ps, false);
	if (!n)
		return NULL;
	loc = nft_loc_join(&v->loc, &n->loc);
	e = new_expr(ps, EK_SLASH, &loc);
	if (!e)
		return NULL;
	e->l = v;
	e->r = n;
	return e;
}

/*
 * A key or data of a set element: value [/ len], or a concatenation of
 * those (a prefix or range applies to its component: 10.0.0.0/8 . 10-23).
 */
static struct nft_expr *parse_elem_value(struct nft_pstate *ps)
{
	struct nft_expr *v = parse_or(ps, false), *c, *last;

	if (v)
		v = parse_prefix_len(ps, v);
	if (!v || nft_peek(ps)->kind != TK_DOT)
		return v;
	c = new_expr(ps, EK_CONCAT, &v->loc);
	if (!c)
		return NULL;
	c->l = last = v;
	while (nft_accept_tok(ps, TK_DOT)) {
		struct nft_expr *n = parse_or(ps, false);

		if (n)
			n = parse_prefix_len(ps, n);
		if (!n)
			return NULL;
		concat_add(c, &last, n);
	}
	return c;
}

static struct nft_expr *parse_elem(struct nft_pstate *ps)
{
	struct nft_expr *k, *d, *e;

	if (nft_peek(ps)->kind == TK_LBRACE)
		return nft_parse_setlit(ps);
	k = parse_elem_value(ps);
	if (!k)
		return NULL;
	if (nft_accept_kw(ps, "comment")) {
		if (nft_peek(ps)->kind != TK_STRING)
			return nft_syntax_error(ps, nft_peek(ps)), NULL;
		nft_next(ps);
	}
	if (nft_peek(ps)->kind != TK_COLON)
		return k;
	nft_next(ps);
	if (at_verdict(ps))
		d = parse_verdict_expr(ps, true);
	else
		d = parse_elem_value(ps);
	if (!d)
		return NULL;
	struct nft_loc loc = nft_loc_join(&k->loc, &d->loc);

	e = new_expr(ps, EK_ELEM, &loc);
	if (!e)
		return NULL;
	e->l = k;
	e->r = d;
	return e;
}

struct nft_expr *nft_parse_setlit(struct nft_pstate *ps)
{
	struct nft_tok *open = nft_next(ps);
	struct nft_expr *s = new_expr(ps, EK_SETLIT, &open->loc), *last = NULL;

	if (!s)
		return NULL;
	for (;;) {
		skip_nl(ps);
		if (nft_peek(ps)->kind == TK_RBRACE)
			break;
		struct nft_expr *e = parse_elem(ps);

		if (!e)
			return NULL;
		if (last)
			last->next = e;
		else
			s->l = e;
		last = e;
		skip_nl(ps);
		if (!nft_accept_tok(ps, TK_COMMA))
			break;
	}
	skip_nl(ps);
	struct nft_tok *close = nft_peek(ps);

	if (nft_expect(ps, TK_RBRACE))
		return NULL;
	if (!s->l) {
		nft_syntax_error(ps, close);
		return NULL;
	}
	s->loc = nft_loc_join(&open->loc, &close->loc);
	return s;
}

/* ---- statements ---- */

static struct nft_stmt *new_stmt(struct nft_pstate *ps, enum nft_sk k, const struct nft_loc *l)
{
	struct nft_stmt *s = nft_alloc(ps->a, sizeof(*s));

	if (!s) {
		nft_error(ps, l, NULL, "out of memory");
		return NULL;
	}
	s->kind = (uint8_t)k;
	s->loc = *l;
	s->level = -1;
	return s;
}

static int parse_counter(struct nft_pstate *ps, struct nft_stmt *s)
{
	for (;;) {
		uint64_t *dst;

		if (nft_accept_kw(ps, "packets"))
			dst = &s->packets;
		else if (nft_accept_kw(ps, "bytes"))
			dst = &s->bytes;
		else
			return 0;
		if (!nft_parse_u64(nft_peek(ps), dst))
			return nft_syntax_error(ps, nft_peek(ps));
		nft_next(ps);
	}
}

static const char *const log_levels[] = { "emerg", "alert", "crit", "err", "warn",
					  "notice", "info", "debug", "audit" };

static int parse_log(struct nft_pstate *ps, struct nft_stmt *s)
{
	for (;;) {
		struct nft_tok *t = nft_peek(ps);

		if (nft_accept_kw(ps, "prefix")) {
			if (nft_peek(ps)->kind != TK_STRING)
				return nft_syntax_error(ps, nft_peek(ps));
			s->prefix = nft_tok_str(ps, nft_next(ps));
			if (strlen(s->prefix) > 127) {
				nft_error(ps, &t->loc, NULL, "log prefix is too long");
				return -EINVAL;
			}
		} else if (nft_accept_kw(ps, "level")) {
			struct nft_tok *l = nft_next(ps);
			size_t i;

			for (i = 0; i < 9; i++)
				if (nft_tok_is(l, log_levels[i]))
					break;
			if (i == 9) {
				nft_error(ps, &l->loc, NULL, "invalid log level");
				return -EINVAL;
			}
			s->level = (int8_t)i;
			s->level_set = true;
		} else if (nft_accept_kw(ps, "flags")) {
			if (nft_accept_kw(ps, "all")) {
				s->log_flags = 0x2f;
			} else if (nft_accept_kw(ps, "tcp")) {
				do {
					if (nft_accept_kw(ps, "sequence"))
						s->log_flags |= 0x1;
					else if (nft_accept_kw(ps, "options"))
						s->log_flags |= 0x2;
					else
						return nft_syntax_error(ps, nft_peek(ps));
				} while (nft_accept_tok(ps, TK_COMMA));
			} else if (nft_accept_kw(ps, "ip")) {
				if (nft_expect_kw(ps, "options"))
					return -EINVAL;
				s->log_flags |= 0x4;
			} else if (nft_accept_kw(ps, "skuid")) {
				s->log_flags |= 0x8;
			} else if (nft_accept_kw(ps, "ether")) {
				s->log_flags |= 0x20;
			} else {
				return nft_syntax_error(ps, nft_peek(ps));
			}
		} else if (nft_is_kw(ps, "snaplen") || nft_is_kw(ps, "group") ||
			   nft_is_kw(ps, "queue-threshold")) {
			nft_error(ps, &t->loc, NULL, "log %.*s is not supported", (int)t->len, t->s);
			return -EINVAL;
		} else {
			return 0;
		}
		if (!nft_tok_is(t, "level"))
			s->log_other = true;
	}
}

static const char *const time_units[] = { "second", "minute", "hour", "day", "week" };

static int parse_limit(struct nft_pstate *ps, struct nft_stmt *s)
{
	struct nft_tok *t, *u;
	uint64_t n;
	size_t i;

	if (nft_expect_kw(ps, "rate"))
		return -EINVAL;
	s->over = nft_accept_kw(ps, "over");
	t = nft_next(ps);
	if (!nft_parse_u64(t, &n))
		return nft_syntax_error(ps, t);
	s->rate = n;
	if (nft_peek(ps)->kind == TK_IDENT) {
		u = nft_next(ps);
		struct nft_loc l = nft_loc_join(&t->loc, &u->loc);

		if (nft_tok_is(u, "bytes"))
			s->rate = n;
		else if (nft_tok_is(u, "kbytes"))
			s->rate = n * 1024;
		else if (nft_tok_is(u, "mbytes"))
			s->rate = n * 1024 * 1024;
		else {
			nft_error(ps, &l, NULL, "Wrong rate format");
			return -EINVAL;
		}
		s->bytes_mode = true;
	}
	if (nft_expect(ps, TK_SLASH))
		return -EINVAL;
	u = nft_next(ps);
	for (i = 0; i < 5; i++)
		if (nft_tok_is(u, time_units[i]))
			break;
	if (i == 5) {
		nft_error(ps, &u->loc, NULL, "Wrong time format");
		return -EINVAL;
	}
	s->unit = (uint8_t)i;
	if (!nft_accept_kw(ps, "burst"))
		return 0;
	t = nft_next(ps);
	if (!nft_parse_u64(t, &n))
		return nft_syntax_error(ps, t);
	s->burst_set = true;
	s->burst = n;
	if (nft_accept_kw(ps, "packets")) {
		if (s->bytes_mode) {
			nft_error(ps, &t->loc, NULL, "syntax error, unexpected packets");
			return -EINVAL;
		}
		return 0;
	}
	u = nft_peek(ps);
	if (nft_tok_is(u, "bytes") || nft_tok_is(u, "kbytes") || nft_tok_is(u, "mbytes")) {
		nft_next(ps);
		if (!s->bytes_mode) {
			nft_error(ps, &u->loc, NULL, "syntax error, unexpected %.*s", (int)u->len,
				  u->s);
			return -EINVAL;
		}
		if (nft_tok_is(u, "kbytes"))
			s->burst = n * 1024;
		else if (nft_tok_is(u, "mbytes"))
			s->burst = n * 1024 * 1024;
		return 0;
	}
	if (s->bytes_mode)
		return nft_syntax_error(ps, u);
	return 0;
}

static int parse_reject(struct nft_pstate *ps, struct nft_stmt *s)
{
	struct nft_tok *t;

	s->rj_type = RJ_ICMP;
	if (!nft_accept_kw(ps, "with"))
		return 0;
	s->rj_explicit = true;
	t = nft_next(ps);
	if (nft_tok_is(t, "tcp")) {
		if (nft_expect_kw(ps, "reset"))
			return -EINVAL;
		s->rj_type = RJ_TCP_RST;
		return 0;
	}
	const struct nft_sym *syms;

	if (nft_tok_is(t, "icmp")) {
		s->rj_type = RJ_ICMP;
		s->rj_family = NFT_FAM_IP;
		syms = nft_icmp_code_syms;
	} else if (nft_tok_is(t, "icmpv6")) {
		s->rj_type = RJ_ICMP;
		s->rj_family = NFT_FAM_IP6;
		syms = nft_icmpv6_code_syms;
	} else if (nft_tok_is(t, "icmpx")) {
		s->rj_type = RJ_ICMPX;
		syms = nft_icmpx_code_syms;
	} else {
		return nft_syntax_error(ps, t);
	}
	nft_accept_kw(ps, "type");
	t = nft_next(ps);
	uint32_t v;
	uint64_t n;

	if (nft_parse_u64(t, &n) && n < 256)
		v = (uint32_t)n;
	else if (t->kind != TK_IDENT || !nft_sym_lookup(syms, t->s, t->len, &v)) {
		nft_error(ps, &t->loc, NULL, "Could not parse %s code",
			  s->rj_type == RJ_ICMPX ? "icmpx" : s->rj_family == NFT_FAM_IP ? "icmp" : "icmpv6");
		return -EINVAL;
	}
	s->rj_code = (uint8_t)v;
	s->r_loc = t->loc;
	return 0;
}

static int parse_nat_flags(struct nft_pstate *ps, struct nft_stmt *s)
{
	for (;;) {
		if (nft_accept_kw(ps, "random"))
			s->nat_flags |= NATF_RANDOM;
		else if (nft_accept_kw(ps, "fully-random"))
			s->nat_flags |= NATF_FULLY_RANDOM;
		else if (nft_accept_kw(ps, "persistent"))
			s->nat_flags |= NATF_PERSISTENT;
		else
			return nft_syntax_error(ps, nft_peek(ps));
		if (!nft_accept_tok(ps, TK_COMMA))
			return 0;
	}
}

static bool at_nat_flag(struct nft_pstate *ps)
{
	return nft_is_kw(ps, "random") || nft_is_kw(ps, "fully-random") ||
	       nft_is_kw(ps, "persistent");
}

/* Port part after ':' : PORT [- PORT] or an expression with map. */
static int parse_nat_ports(struct nft_pstate *ps, struct nft_stmt *s)
{
	s->port = parse_value(ps);
	if (!s->port)
		return -EINVAL;
	if (s->port->kind == EK_RANGE) {
		s->port_hi = s->port->r;
		s->port = s->port->l;
	}
	return 0;
}

static int parse_nat(struct nft_pstate *ps, struct nft_stmt *s)
{
	bool need_to = false;

	if (s->nat_type == NAT_SNAT || s->nat_type == NAT_DNAT) {
		if (nft_accept_kw(ps, "ip")) {
			s->nat_family = NFT_FAM_IP;
			need_to = true;
		} else if (nft_accept_kw(ps, "ip6")) {
			s->nat_family = NFT_FAM_IP6;
			need_to = true;
		}
		s->nat_fam_written = need_to;
		s->nat_prefix = nft_accept_kw(ps, "prefix");
		if (nft_expect_kw(ps, "to"))
			return -EINVAL;
		if (nft_peek(ps)->kind == TK_COLON && !s->nat_prefix) {
			nft_next(ps);
			if (parse_nat_ports(ps, s))
				return -EINVAL;
		} else {
			s->addr = parse_value(ps);
			if (!s->addr)
				return -EINVAL;
			if (s->addr->kind == EK_RANGE) {
				s->addr_hi = s->addr->r;
				s->addr = s->addr->l;
			}
			s->addr = parse_prefix_len(ps, s->addr);
			if (!s->addr)
				return -EINVAL;
			/* PREFIX TO takes an address (or a map) only, no ports */
			if (!s->nat_prefix && nft_accept_tok(ps, TK_COLON) && parse_nat_ports(ps, s))
				return -EINVAL;
		}
		if (at_nat_flag(ps)) {
			/*
			 * nft 1.0.6 keeps `prefix` in the statement's flags, which
			 * the flags given after it replace: the kernel gets no
			 * NF_NAT_RANGE_NETMAP and nft lists no `prefix`
			 */
			s->nat_prefix = false;
			return parse_nat_flags(ps, s);
		}
		return 0;
	}
	/* masquerade / redirect */
	if (at_nat_flag(ps) && parse_nat_flags(ps, s))
		return -EINVAL;
	if (nft_accept_kw(ps, "to")) {
		if (s->nat_flags) {
			nft_syntax_error(ps, &ps->tk->v[ps->pos - 1]);
			return -EINVAL;
		}
		if (!nft_accept_tok(ps, TK_COLON) && s->nat_type == NAT_MASQ)
			return nft_syntax_error(ps, nft_peek(ps));
		if (parse_nat_ports(ps, s))
			return -EINVAL;
		if (at_nat_flag(ps))
			return parse_nat_flags(ps, s);
	}
	return 0;
}

static struct nft_stmt *parse_set_stmt(struct nft_pstate *ps, struct nft_expr *sel)
{
	struct nft_stmt *s;

	nft_next(ps); /* set */
	s = new_stmt(ps, sel->kind == EK_META ? SK_META_SET : SK_CT_SET, &sel->loc);
	if (!s)
		return NULL;
	s->key = sel->key;
	s->l = sel;
	if (nft_peek(ps)->kind == TK_LBRACE) {
		nft_syntax_error(ps, nft_peek(ps));
		return NULL;
	}
	s->r = parse_value(ps);
	if (!s->r)
		return NULL;
	s->loc = nft_loc_join(&s->loc, &s->r->loc);
	return s;
}

static int relop(struct nft_pstate *ps)
{
	struct nft_tok *t = nft_peek(ps);
	static const struct {
		enum nft_tok_kind k;
		const char *w;
		uint8_t op;
	} ops[] = { { TK_EQ, "eq", OP_EQ }, { TK_NE, "ne", OP_NE }, { TK_LT, "lt", OP_LT },
		    { TK_GT, "gt", OP_GT }, { TK_LE, "le", OP_LE }, { TK_GE, "ge", OP_GE },
		    { TK_BANG, NULL, OP_NEG } };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (t->kind == ops[i].k || (ops[i].w && nft_tok_is(t, ops[i].w))) {
			nft_next(ps);
			return ops[i].op;
		}
	return OP_IMPLICIT;
}

static struct nft_stmt *parse_match(struct nft_pstate *ps)
{
	struct nft_expr *lhs = parse_concat(ps, true);
	struct nft_stmt *s;

	if (!lhs)
		return NULL;
	if (nft_is_kw(ps, "set") && (lhs->kind == EK_META || lhs->kind == EK_CT))
		return parse_set_stmt(ps, lhs);
	if (nft_is_kw(ps, "vmap")) {
		nft_next(ps);
		s = new_stmt(ps, SK_VMAP, &lhs->loc);
		if (!s)
			return NULL;
		s->l = lhs;
		s->r = parse_prim(ps, false);
		if (!s->r)
			return NULL;
		if (s->r->kind != EK_SETLIT && s->r->kind != EK_SETREF) {
			nft_error(ps, &s->r->loc, NULL, "syntax error, unexpected %s", "value");
			return NULL;
		}
		return s;
	}
	s = new_stmt(ps, SK_MATCH, &lhs->loc);
	if (!s)
		return NULL;
	s->l = lhs;
	s->op = (uint8_t)relop(ps);
	struct nft_tok *t = nft_peek(ps);

	if (t->kind == TK_NL || t->kind == TK_SEMI || t->kind == TK_EOF ||
	    t->kind == TK_RBRACE) {
		nft_syntax_error(ps, t);
		return NULL;
	}
	s->r = parse_rhs(ps);
	if (!s->r)
		return NULL;
	s->loc = nft_loc_join(&lhs->loc, &s->r->loc);
	return s;
}

/*
 * Words of nft's scanner that can start or continue a statement (the ones
 * not supported here among them).  A word that is none of them is a plain
 * string to nft's grammar.
 */
static bool nft_keyword(const struct nft_tok *t)
{
	static const char *const kw[] = {
		"accept", "add", "ah", "arp", "comment", "comp", "counter", "ct", "dccp",
		"delete", "dnat", "drop", "dst", "dup", "esp", "ether", "exthdr", "fib",
		"flow", "frag", "fwd", "goto", "hbh", "icmp", "icmpv6", "igmp", "iif",
		"iifname", "iiftype", "inet", "ip", "ip6", "ipsec", "jhash", "jump", "last",
		"limit", "log", "map", "mark", "masquerade", "meta", "mh", "notrack",
		"numgen", "oif", "oifname", "oiftype", "osf", "queue", "quota", "redirect",
		"reject", "return", "rt", "sctp", "secmark", "set", "snat", "socket",
		"symhash", "synproxy", "tcp", "th", "tproxy", "udp", "udplite", "update",
		"vlan", "xt", "continue", "length", "nfproto", "l4proto", "priority",
		"skuid", "skgid", "rtclassid", "ibrname", "obrname", "pkttype", "cpu",
		"iifgroup", "oifgroup", "cgroup", "random", "protocol", "nftrace",
		"time", "day", "hour", "sdif", "sdifname", "ipsec", "vxlan", "geneve",
		"gre", "gretap", "dscp", "ecn", "ttl", "version", "saddr", "daddr",
		"sport", "dport", "type", "code", "with", "to", "over", "burst",
		"packets", "bytes", "level", "prefix", "group", "flags", "name",
	};

	if (t->kind != TK_IDENT)
		return false;
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (nft_tok_is(t, kw[i]))
			return true;
	return false;
}

/*
 * A statement that starts with an unknown word: nft's grammar reads it as a
 * symbol to be matched against what follows, so a value after it gives "No
 * symbol type information" (on the word) and anything else a syntax error
 * on the token that follows ("unexpected newline" for `tcp dport 22 acept`).
 */
static void unknown_word_stmt(struct nft_pstate *ps, const struct nft_tok *t)
{
	const struct nft_tok *n = nft_peek2(ps);

	if (nft_keyword(t)) {
		nft_syntax_error(ps, t);
		return;
	}
	switch (n->kind) {
	case TK_IDENT:
		if (nft_keyword(n))
			break;
		/* fall through */
	case TK_NUM:
	case TK_ADDR4:
	case TK_ADDR6:
	case TK_STRING:
	case TK_LBRACE:
	case TK_VAR:
	case TK_EQ:
	case TK_NE:
	case TK_LT:
	case TK_GT:
	case TK_LE:
	case TK_GE:
		nft_error(ps, &t->loc, NULL, "No symbol type information");
		return;
	case TK_SEMI:
		nft_error(ps, &n->loc, NULL, "syntax error, unexpected semicolon");
		return;
	default:
		break;
	}
	nft_syntax_error(ps, n);
}

static struct nft_stmt *parse_stmt(struct nft_pstate *ps)
{
	struct nft_tok *t = nft_peek(ps);
	struct nft_stmt *s = NULL;
	int rc = 0;

	if (at_verdict(ps)) {
		struct nft_expr *v = parse_verdict_expr(ps, false);

		if (!v)
			return NULL;
		s = new_stmt(ps, SK_VERDICT, &v->loc);
		if (s) {
			s->vcode = v->vcode;
			s->chain = v->text;
			s->r_loc = v->r_loc_name;
		}
		return s;
	}
	if (nft_tok_is(t, "counter")) {
		nft_next(ps);
		s = new_stmt(ps, SK_COUNTER, &t->loc);
		if (s && nft_is_kw(ps, "name")) {
			nft_error(ps, &nft_peek(ps)->loc, NULL, "named counters are not supported");
			return NULL;
		}
		rc = s ? parse_counter(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "log")) {
		nft_next(ps);
		s = new_stmt(ps, SK_LOG, &t->loc);
		rc = s ? parse_log(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "limit")) {
		nft_next(ps);
		s = new_stmt(ps, SK_LIMIT, &t->loc);
		rc = s ? parse_limit(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "reject")) {
		nft_next(ps);
		s = new_stmt(ps, SK_REJECT, &t->loc);
		rc = s ? parse_reject(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "notrack")) {
		nft_next(ps);
		s = new_stmt(ps, SK_NOTRACK, &t->loc);
	} else if (nft_tok_is(t, "snat") || nft_tok_is(t, "dnat") ||
		   nft_tok_is(t, "masquerade") || nft_tok_is(t, "redirect")) {
		nft_next(ps);
		s = new_stmt(ps, SK_NAT, &t->loc);
		if (s) {
			s->nat_type = nft_tok_is(t, "snat") ? NAT_SNAT :
				      nft_tok_is(t, "dnat") ? NAT_DNAT :
				      nft_tok_is(t, "masquerade") ? NAT_MASQ : NAT_REDIR;
			rc = parse_nat(ps, s);
		}
	} else if (nft_tok_is(t, "ct") && nft_tok_is(nft_peek2(ps), "count")) {
		nft_next(ps);
		nft_next(ps);
		s = new_stmt(ps, SK_CT_COUNT, &t->loc);
		if (!s)
			return NULL;
		s->count_over = nft_accept_kw(ps, "over");
		uint64_t n;

		if (!nft_parse_u64(nft_peek(ps), &n) || n > UINT32_MAX)
			return nft_syntax_error(ps, nft_peek(ps)), NULL;
		nft_next(ps);
		s->count = (uint32_t)n;
	} else if (t->kind == TK_IDENT || t->kind == TK_VAR || t->kind == TK_LPAREN) {
		if (t->kind == TK_IDENT && !at_selector(ps)) {
			unknown_word_stmt(ps, t);
			return NULL;
		}
		return parse_match(ps);
	} else {
		nft_syntax_error(ps, t);
		return NULL;
	}
	return rc ? NULL : s;
}

/* Statements up to the end of the line; `comment "..."` ends a rule. */
struct nft_rule *nft_parse_rule(struct nft_pstate *ps)
{
	struct nft_rule *r = nft_alloc(ps->a, sizeof(*r));
	struct nft_stmt *last = NULL;

	if (!r)
		return NULL;
	r->gen = ps->gen;
	r->loc = nft_peek(ps)->loc;
	while (!nft_at_stmt_end(ps)) {
		if (nft_accept_kw(ps, "comment")) {
			if (nft_peek(ps)->kind != TK_STRING) {
				nft_syntax_error(ps, nft_peek(ps));
				return NULL;
			}
			r->comment = nft_tok_str(ps, nft_next(ps));
			if (!nft_at_stmt_end(ps)) {
				nft_syntax_error(ps, nft_peek(ps));
				return NULL;
			}
			break;
		}
		/*
		 * After a statement, a token that starts none: nft's parser
		 * wanted the rule to end there.
		 */
		enum nft_tok_kind k = nft_peek(ps)->kind;

		if (last && (k == TK_COLON || k == TK_RPAREN || k == TK_RBRACK)) {
			char what[16];

			snprintf(what, sizeof(what), k == TK_COLON ? "colon" :
				 k == TK_RPAREN ? "')'" : "']'");
			/* a command may also end the file */
			nft_error(ps, &nft_peek(ps)->loc, NULL,
				  "syntax error, unexpected %s, expecting %snewline or semicolon", what,
				  nft_in_command(ps) ? "end of file or " : "");
			return NULL;
		}
		struct nft_stmt *s = parse_stmt(ps);

		if (!s)
			return NULL;
		if (last)
			last->next = s;
		else
			r->stmts = s;
		last = s;
		/* the rule spans up to its last token (kernel errors mark it whole) */
		r->loc = nft_loc_join(&r->loc, &s->loc);
		if (ps->pos > 0 && ps->tk->v[ps->pos - 1].loc.line == r->loc.line &&
		    ps->tk->v[ps->pos - 1].loc.src == r->loc.src)
			r->loc = nft_loc_join(&r->loc, &ps->tk->v[ps->pos - 1].loc);
	}
	if (!r->stmts) {
		nft_syntax_error(ps, nft_peek(ps));
		return NULL;
	}
	return r;
}
