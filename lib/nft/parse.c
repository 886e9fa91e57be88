/* SPDX-License-Identifier: MIT */
/*
 * Recursive-descent parser for nft scripts.  Commands are applied one at a
 * time to the working ruleset as nft does (a rule may use a set added two
 * lines above); the caller makes the whole script atomic.  Constants are left
 * as symbols (EK_SYM) for check.c, which knows the datatype they must have.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

static struct nft_tok *peek(struct nft_pstate *ps)
{
	return &ps->tk->v[ps->pos < ps->end ? ps->pos : ps->end];
}

static struct nft_tok *peek2(struct nft_pstate *ps)
{
	size_t p = ps->pos + 1;

	return &ps->tk->v[p < ps->end ? p : ps->end];
}

static struct nft_tok *next(struct nft_pstate *ps)
{
	struct nft_tok *t = peek(ps);

	if (ps->pos < ps->end)
		ps->pos++;
	return t;
}

static bool is_kw(struct nft_pstate *ps, const char *w)
{
	return nft_tok_is(peek(ps), w);
}

static bool accept_kw(struct nft_pstate *ps, const char *w)
{
	if (!is_kw(ps, w))
		return false;
	next(ps);
	return true;
}

static bool accept_tok(struct nft_pstate *ps, enum nft_tok_kind k)
{
	if (peek(ps)->kind != k)
		return false;
	next(ps);
	return true;
}

static int syntax_error(struct nft_pstate *ps, const struct nft_tok *t)
{
	char what[64];

	switch (t->kind) {
	case TK_NL:
		snprintf(what, sizeof(what), "newline");
		break;
	case TK_EOF:
		snprintf(what, sizeof(what), "end of file");
		break;
	case TK_IDENT:
		snprintf(what, sizeof(what), "%.*s", (int)(t->len < 40 ? t->len : 40), t->s);
		break;
	case TK_NUM:
		snprintf(what, sizeof(what), "number");
		break;
	case TK_STRING:
		snprintf(what, sizeof(what), "quoted string");
		break;
	case TK_ADDR4:
	case TK_ADDR6:
	case TK_AT:
	case TK_VAR:
		snprintf(what, sizeof(what), "string");
		break;
	default:
		snprintf(what, sizeof(what), "'%.*s'", (int)(t->len < 4 ? t->len : 4), t->s);
		break;
	}
	nft_error(ps, &t->loc, NULL, "syntax error, unexpected %s", what);
	return -EINVAL;
}

static int expect(struct nft_pstate *ps, enum nft_tok_kind k)
{
	if (accept_tok(ps, k))
		return 0;
	return syntax_error(ps, peek(ps));
}

static int expect_kw(struct nft_pstate *ps, const char *w)
{
	if (accept_kw(ps, w))
		return 0;
	return syntax_error(ps, peek(ps));
}

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

static const char *tok_str(struct nft_pstate *ps, const struct nft_tok *t)
{
	return nft_strndup(ps->a, t->s, t->len);
}

/* A name (table, chain, set): identifier, number-word or quoted string. */
static const char *parse_name(struct nft_pstate *ps, struct nft_loc *loc)
{
	struct nft_tok *t = peek(ps);

	if (t->kind != TK_IDENT && t->kind != TK_STRING && t->kind != TK_NUM) {
		syntax_error(ps, t);
		return NULL;
	}
	next(ps);
	if (loc)
		*loc = t->loc;
	/*
	 * The kernel refuses empty names; names nft would list in a form it
	 * cannot read back (blanks, quotes, control characters) are refused
	 * here so that every listing is a valid script.
	 */
	bool bad = t->len == 0 || t->len > 255;

	if (t->kind == TK_STRING && !bad) {
		/* a quoted name must read back as one word when listed */
		for (uint32_t i = 0; i < t->len && !bad; i++) {
			char c = t->s[i];
			bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

			bad = !(alpha || (i && ((c >= '0' && c <= '9') || c == '-')));
		}
		bad |= t->s[t->len - 1] == '-';
	}
	if (bad) {
		nft_error(ps, &t->loc, NULL, "Could not process rule: Invalid argument");
		return NULL;
	}
	return tok_str(ps, t);
}

static void skip_nl(struct nft_pstate *ps)
{
	while (peek(ps)->kind == TK_NL)
		next(ps);
}

static bool at_stmt_end(struct nft_pstate *ps)
{
	enum nft_tok_kind k = peek(ps)->kind;

	return k == TK_NL || k == TK_SEMI || k == TK_EOF || k == TK_RBRACE;
}

/* ---- expressions ---- */

static struct nft_expr *parse_setlit(struct nft_pstate *ps);
static struct nft_expr *parse_value(struct nft_pstate *ps);
static struct nft_expr *parse_or(struct nft_pstate *ps, bool selectors);
static struct nft_expr *parse_rhs(struct nft_pstate *ps);

static struct nft_define *find_define(struct nft_pstate *ps, const struct nft_tok *t)
{
	for (struct nft_define *d = ps->defines; d; d = d->next)
		if (d->nlen == t->len && !memcmp(d->name, t->s, t->len))
			return d;
	return NULL;
}

/* Parse the tokens of a `define` as one expression. */
static struct nft_expr *parse_var(struct nft_pstate *ps, const struct nft_tok *t, bool selectors)
{
	struct nft_define *d = find_define(ps, t);
	struct nft_expr *e;

	if (!d) {
		nft_error(ps, &t->loc, NULL, "unknown identifier '%.*s'", (int)t->len, t->s);
		return NULL;
	}
	if (ps->depth > 16) {
		nft_error(ps, &t->loc, NULL, "too many nested definitions");
		return NULL;
	}
	struct nft_toks *otk = ps->tk;
	size_t opos = ps->pos, oend = ps->end;

	ps->tk = &ps->srcs[d->src].toks;
	ps->pos = d->first;
	ps->end = d->end;
	ps->depth++;
	if (peek(ps)->kind == TK_LBRACE)
		e = parse_setlit(ps);
	else if (selectors)
		e = parse_or(ps, selectors);
	else
		e = parse_rhs(ps);
	if (e && ps->pos != ps->end) {
		syntax_error(ps, peek(ps));
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
	struct nft_tok *t = peek(ps), *t2 = peek2(ps);
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
	struct nft_tok *t = next(ps);
	struct nft_loc loc = t->loc;
	int pi = proto_index(t);
	struct nft_expr *e;

	if (pi >= 0) {
		struct nft_tok *f = next(ps);
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
		syntax_error(ps, f);
		return NULL;
	}
	if (nft_tok_is(t, "meta")) {
		struct nft_tok *k = next(ps);
		int mi = meta_index(k, false);

		if (mi < 0) {
			syntax_error(ps, k);
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
		if (accept_kw(ps, "original"))
			e->dir = 1;
		else if (accept_kw(ps, "reply"))
			e->dir = 2;
		if (accept_kw(ps, "ip"))
			e->nfproto = NFT_FAM_IP;
		else if (accept_kw(ps, "ip6"))
			e->nfproto = NFT_FAM_IP6;
		struct nft_tok *k = next(ps);

		for (size_t i = 0; i < sizeof(ct_keys) / sizeof(ct_keys[0]); i++)
			if (nft_tok_is(k, ct_keys[i].name)) {
				e->key = ct_keys[i].key;
				e->loc = nft_loc_join(&loc, &k->loc);
				return e;
			}
		syntax_error(ps, k);
		return NULL;
	}
	int mi = meta_index(t, true);

	if (mi < 0) {
		syntax_error(ps, t);
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
	struct nft_tok *t = peek(ps);
	struct nft_expr *e;

	switch (t->kind) {
	case TK_NUM:
	case TK_IDENT:
	case TK_STRING:
	case TK_ADDR4:
	case TK_ADDR6:
		if (selectors && t->kind == TK_IDENT && at_selector(ps))
			return parse_selector(ps);
		next(ps);
		e = new_expr(ps, EK_SYM, &t->loc);
		if (!e)
			return NULL;
		e->tok = (uint8_t)t->kind;
		e->text = t->s;
		e->tlen = t->len;
		return e;
	case TK_LBRACK: {
		next(ps);
		struct nft_tok *a = next(ps);

		if (a->kind != TK_ADDR6) {
			syntax_error(ps, a);
			return NULL;
		}
		if (expect(ps, TK_RBRACK))
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
		next(ps);
		e = parse_or(ps, selectors);
		struct nft_tok *close = peek(ps);

		if (!e || expect(ps, TK_RPAREN))
			return NULL;
		e->loc = nft_loc_join(&t->loc, &close->loc);
		return e;
	}
	case TK_LBRACE:
		return parse_setlit(ps);
	case TK_AT:
		next(ps);
		e = new_expr(ps, EK_SETREF, &t->loc);
		if (!e)
			return NULL;
		e->text = nft_strndup(ps->a, t->s, t->len);
		e->tlen = t->len;
		return e;
	case TK_VAR:
		next(ps);
		return parse_var(ps, t, selectors);
	default:
		syntax_error(ps, t);
		return NULL;
	}
}

/* prim [ '-' prim ] : a range binds tighter than the bitwise operators. */
static struct nft_expr *parse_range(struct nft_pstate *ps, bool selectors)
{
	struct nft_expr *l = parse_prim(ps, selectors), *r, *e;

	if (!l)
		return NULL;
	if (peek(ps)->kind != TK_DASH)
		return l;
	next(ps);
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
	struct nft_tok *t = peek(ps);

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
		next(ps);
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

/* expr [ map SET ] : statement arguments. */
static struct nft_expr *parse_value(struct nft_pstate *ps)
{
	struct nft_expr *e = parse_or(ps, true), *m;

	if (!e)
		return NULL;
	if (!is_kw(ps, "map"))
		return e;
	next(ps);
	m = new_expr(ps, EK_MAP, &e->loc);
	if (!m)
		return NULL;
	m->l = e;
	m->r = parse_prim(ps, false);
	if (!m->r)
		return NULL;
	if (m->r->kind != EK_SETLIT && m->r->kind != EK_SETREF) {
		syntax_error(ps, peek(ps));
		return NULL;
	}
	return m;
}

/* a, b, c  (flag lists) */
static struct nft_expr *parse_list(struct nft_pstate *ps)
{
	struct nft_expr *first = parse_or(ps, false), *last = first, *e;

	if (!first || peek(ps)->kind != TK_COMMA)
		return first;
	e = new_expr(ps, EK_LIST, &first->loc);
	if (!e)
		return NULL;
	e->l = first;
	while (accept_tok(ps, TK_COMMA)) {
		struct nft_expr *n = parse_or(ps, false);

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

	if (!l || peek(ps)->kind != TK_SLASH)
		return l;
	next(ps);
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

static struct nft_expr *parse_verdict_expr(struct nft_pstate *ps)
{
	static const struct {
		const char *w;
		uint8_t code;
	} v[] = { { "accept", VC_ACCEPT }, { "drop", VC_DROP }, { "continue", VC_CONTINUE },
		  { "return", VC_RETURN }, { "jump", VC_JUMP }, { "goto", VC_GOTO } };
	struct nft_tok *t = peek(ps);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!nft_tok_is(t, v[i].w))
			continue;
		next(ps);
		struct nft_expr *e = new_expr(ps, EK_VERDICT, &t->loc);

		if (!e)
			return NULL;
		e->vcode = v[i].code;
		e->dt = DT_VERDICT;
		if (v[i].code == VC_JUMP || v[i].code == VC_GOTO) {
			struct nft_loc nl;

			e->text = parse_name(ps, &nl);
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
		if (is_kw(ps, w[i]))
			return true;
	return false;
}

/* One set element: value [/ len] [: data] [comment "..."] */
static struct nft_expr *parse_elem(struct nft_pstate *ps)
{
	struct nft_expr *k, *d, *e;

	if (peek(ps)->kind == TK_LBRACE)
		return parse_setlit(ps);
	k = parse_or(ps, false);
	if (!k)
		return NULL;
	if (peek(ps)->kind == TK_SLASH) {
		next(ps);
		struct nft_expr *p = parse_prim(ps, false);

		if (!p)
			return NULL;
		struct nft_loc loc = nft_loc_join(&k->loc, &p->loc);

		e = new_expr(ps, EK_SLASH, &loc);
		if (!e)
			return NULL;
		e->l = k;
		e->r = p;
		k = e;
	}
	if (accept_kw(ps, "comment")) {
		if (peek(ps)->kind != TK_STRING)
			return syntax_error(ps, peek(ps)), NULL;
		next(ps);
	}
	if (peek(ps)->kind != TK_COLON)
		return k;
	next(ps);
	if (at_verdict(ps))
		d = parse_verdict_expr(ps);
	else {
		d = parse_or(ps, false);
		if (d && peek(ps)->kind == TK_SLASH) {
			next(ps);
			struct nft_expr *p = parse_prim(ps, false);

			if (!p)
				return NULL;
			struct nft_loc loc = nft_loc_join(&d->loc, &p->loc);

			e = new_expr(ps, EK_SLASH, &loc);
			if (!e)
				return NULL;
			e->l = d;
			e->r = p;
			d = e;
		}
	}
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

static struct nft_expr *parse_setlit(struct nft_pstate *ps)
{
	struct nft_tok *open = next(ps);
	struct nft_expr *s = new_expr(ps, EK_SETLIT, &open->loc), *last = NULL;

	if (!s)
		return NULL;
	for (;;) {
		skip_nl(ps);
		if (peek(ps)->kind == TK_RBRACE)
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
		if (!accept_tok(ps, TK_COMMA))
			break;
	}
	skip_nl(ps);
	struct nft_tok *close = peek(ps);

	if (expect(ps, TK_RBRACE))
		return NULL;
	if (!s->l) {
		syntax_error(ps, close);
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

static bool parse_u64(const struct nft_tok *t, uint64_t *out)
{
	uint64_t x = 0;

	if (t->kind != TK_NUM)
		return false;
	for (uint32_t i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(t->s[i] - '0');
	}
	*out = x;
	return true;
}

static int parse_counter(struct nft_pstate *ps, struct nft_stmt *s)
{
	for (;;) {
		uint64_t *dst;

		if (accept_kw(ps, "packets"))
			dst = &s->packets;
		else if (accept_kw(ps, "bytes"))
			dst = &s->bytes;
		else
			return 0;
		if (!parse_u64(peek(ps), dst))
			return syntax_error(ps, peek(ps));
		next(ps);
	}
}

static const char *const log_levels[] = { "emerg", "alert", "crit", "err", "warn",
					  "notice", "info", "debug", "audit" };

static int parse_log(struct nft_pstate *ps, struct nft_stmt *s)
{
	for (;;) {
		struct nft_tok *t = peek(ps);

		if (accept_kw(ps, "prefix")) {
			if (peek(ps)->kind != TK_STRING)
				return syntax_error(ps, peek(ps));
			s->prefix = tok_str(ps, next(ps));
			if (strlen(s->prefix) > 127) {
				nft_error(ps, &t->loc, NULL, "log prefix is too long");
				return -EINVAL;
			}
		} else if (accept_kw(ps, "level")) {
			struct nft_tok *l = next(ps);
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
		} else if (accept_kw(ps, "flags")) {
			if (accept_kw(ps, "all")) {
				s->log_flags = 0x2f;
			} else if (accept_kw(ps, "tcp")) {
				do {
					if (accept_kw(ps, "sequence"))
						s->log_flags |= 0x1;
					else if (accept_kw(ps, "options"))
						s->log_flags |= 0x2;
					else
						return syntax_error(ps, peek(ps));
				} while (accept_tok(ps, TK_COMMA));
			} else if (accept_kw(ps, "ip")) {
				if (expect_kw(ps, "options"))
					return -EINVAL;
				s->log_flags |= 0x4;
			} else if (accept_kw(ps, "skuid")) {
				s->log_flags |= 0x8;
			} else if (accept_kw(ps, "ether")) {
				s->log_flags |= 0x20;
			} else {
				return syntax_error(ps, peek(ps));
			}
		} else if (is_kw(ps, "snaplen") || is_kw(ps, "group") ||
			   is_kw(ps, "queue-threshold")) {
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

	if (expect_kw(ps, "rate"))
		return -EINVAL;
	s->over = accept_kw(ps, "over");
	t = next(ps);
	if (!parse_u64(t, &n))
		return syntax_error(ps, t);
	s->rate = n;
	if (peek(ps)->kind == TK_IDENT) {
		u = next(ps);
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
	if (expect(ps, TK_SLASH))
		return -EINVAL;
	u = next(ps);
	for (i = 0; i < 5; i++)
		if (nft_tok_is(u, time_units[i]))
			break;
	if (i == 5) {
		nft_error(ps, &u->loc, NULL, "Wrong time format");
		return -EINVAL;
	}
	s->unit = (uint8_t)i;
	if (!accept_kw(ps, "burst"))
		return 0;
	t = next(ps);
	if (!parse_u64(t, &n))
		return syntax_error(ps, t);
	s->burst_set = true;
	s->burst = n;
	if (accept_kw(ps, "packets")) {
		if (s->bytes_mode) {
			nft_error(ps, &t->loc, NULL, "syntax error, unexpected packets");
			return -EINVAL;
		}
		return 0;
	}
	u = peek(ps);
	if (nft_tok_is(u, "bytes") || nft_tok_is(u, "kbytes") || nft_tok_is(u, "mbytes")) {
		next(ps);
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
		return syntax_error(ps, u);
	return 0;
}

static int parse_reject(struct nft_pstate *ps, struct nft_stmt *s)
{
	struct nft_tok *t;

	s->rj_type = RJ_ICMP;
	if (!accept_kw(ps, "with"))
		return 0;
	s->rj_explicit = true;
	t = next(ps);
	if (nft_tok_is(t, "tcp")) {
		if (expect_kw(ps, "reset"))
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
		return syntax_error(ps, t);
	}
	accept_kw(ps, "type");
	t = next(ps);
	uint32_t v;
	uint64_t n;

	if (parse_u64(t, &n) && n < 256)
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
		if (accept_kw(ps, "random"))
			s->nat_flags |= NATF_RANDOM;
		else if (accept_kw(ps, "fully-random"))
			s->nat_flags |= NATF_FULLY_RANDOM;
		else if (accept_kw(ps, "persistent"))
			s->nat_flags |= NATF_PERSISTENT;
		else
			return syntax_error(ps, peek(ps));
		if (!accept_tok(ps, TK_COMMA))
			return 0;
	}
}

static bool at_nat_flag(struct nft_pstate *ps)
{
	return is_kw(ps, "random") || is_kw(ps, "fully-random") || is_kw(ps, "persistent");
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
		if (accept_kw(ps, "ip")) {
			s->nat_family = NFT_FAM_IP;
			need_to = true;
		} else if (accept_kw(ps, "ip6")) {
			s->nat_family = NFT_FAM_IP6;
			need_to = true;
		}
		s->nat_fam_written = need_to;
		if (expect_kw(ps, "to"))
			return -EINVAL;
		if (peek(ps)->kind == TK_COLON) {
			next(ps);
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
			if (peek(ps)->kind == TK_SLASH) {
				next(ps);
				struct nft_expr *p = parse_prim(ps, false), *e;

				if (!p)
					return -EINVAL;
				struct nft_loc loc = nft_loc_join(&s->addr->loc, &p->loc);

				e = new_expr(ps, EK_SLASH, &loc);
				if (!e)
					return -EINVAL;
				e->l = s->addr;
				e->r = p;
				s->addr = e;
			}
			if (accept_tok(ps, TK_COLON) && parse_nat_ports(ps, s))
				return -EINVAL;
		}
		if (at_nat_flag(ps))
			return parse_nat_flags(ps, s);
		return 0;
	}
	/* masquerade / redirect */
	if (at_nat_flag(ps) && parse_nat_flags(ps, s))
		return -EINVAL;
	if (accept_kw(ps, "to")) {
		if (s->nat_flags) {
			syntax_error(ps, &ps->tk->v[ps->pos - 1]);
			return -EINVAL;
		}
		if (!accept_tok(ps, TK_COLON) && s->nat_type == NAT_MASQ)
			return syntax_error(ps, peek(ps));
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

	next(ps); /* set */
	s = new_stmt(ps, sel->kind == EK_META ? SK_META_SET : SK_CT_SET, &sel->loc);
	if (!s)
		return NULL;
	s->key = sel->key;
	s->l = sel;
	if (peek(ps)->kind == TK_LBRACE) {
		syntax_error(ps, peek(ps));
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
	struct nft_tok *t = peek(ps);
	static const struct {
		enum nft_tok_kind k;
		const char *w;
		uint8_t op;
	} ops[] = { { TK_EQ, "eq", OP_EQ }, { TK_NE, "ne", OP_NE }, { TK_LT, "lt", OP_LT },
		    { TK_GT, "gt", OP_GT }, { TK_LE, "le", OP_LE }, { TK_GE, "ge", OP_GE },
		    { TK_BANG, NULL, OP_NEG } };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (t->kind == ops[i].k || (ops[i].w && nft_tok_is(t, ops[i].w))) {
			next(ps);
			return ops[i].op;
		}
	return OP_IMPLICIT;
}

static struct nft_stmt *parse_match(struct nft_pstate *ps)
{
	struct nft_expr *lhs = parse_or(ps, true);
	struct nft_stmt *s;

	if (!lhs)
		return NULL;
	if (is_kw(ps, "set") && (lhs->kind == EK_META || lhs->kind == EK_CT))
		return parse_set_stmt(ps, lhs);
	if (is_kw(ps, "vmap")) {
		next(ps);
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
	struct nft_tok *t = peek(ps);

	if (t->kind == TK_NL || t->kind == TK_SEMI || t->kind == TK_EOF ||
	    t->kind == TK_RBRACE) {
		syntax_error(ps, t);
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
	const struct nft_tok *n = peek2(ps);

	if (nft_keyword(t)) {
		syntax_error(ps, t);
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
	syntax_error(ps, n);
}

static struct nft_stmt *parse_stmt(struct nft_pstate *ps)
{
	struct nft_tok *t = peek(ps);
	struct nft_stmt *s = NULL;
	int rc = 0;

	if (at_verdict(ps)) {
		struct nft_expr *v = parse_verdict_expr(ps);

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
		next(ps);
		s = new_stmt(ps, SK_COUNTER, &t->loc);
		if (s && is_kw(ps, "name")) {
			nft_error(ps, &peek(ps)->loc, NULL, "named counters are not supported");
			return NULL;
		}
		rc = s ? parse_counter(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "log")) {
		next(ps);
		s = new_stmt(ps, SK_LOG, &t->loc);
		rc = s ? parse_log(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "limit")) {
		next(ps);
		s = new_stmt(ps, SK_LIMIT, &t->loc);
		rc = s ? parse_limit(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "reject")) {
		next(ps);
		s = new_stmt(ps, SK_REJECT, &t->loc);
		rc = s ? parse_reject(ps, s) : -ENOMEM;
	} else if (nft_tok_is(t, "notrack")) {
		next(ps);
		s = new_stmt(ps, SK_NOTRACK, &t->loc);
	} else if (nft_tok_is(t, "snat") || nft_tok_is(t, "dnat") ||
		   nft_tok_is(t, "masquerade") || nft_tok_is(t, "redirect")) {
		next(ps);
		s = new_stmt(ps, SK_NAT, &t->loc);
		if (s) {
			s->nat_type = nft_tok_is(t, "snat") ? NAT_SNAT :
				      nft_tok_is(t, "dnat") ? NAT_DNAT :
				      nft_tok_is(t, "masquerade") ? NAT_MASQ : NAT_REDIR;
			rc = parse_nat(ps, s);
		}
	} else if (nft_tok_is(t, "ct") && nft_tok_is(peek2(ps), "count")) {
		next(ps);
		next(ps);
		s = new_stmt(ps, SK_CT_COUNT, &t->loc);
		if (!s)
			return NULL;
		s->count_over = accept_kw(ps, "over");
		uint64_t n;

		if (!parse_u64(peek(ps), &n) || n > UINT32_MAX)
			return syntax_error(ps, peek(ps)), NULL;
		next(ps);
		s->count = (uint32_t)n;
	} else if (t->kind == TK_IDENT || t->kind == TK_VAR || t->kind == TK_LPAREN) {
		if (t->kind == TK_IDENT && !at_selector(ps)) {
			unknown_word_stmt(ps, t);
			return NULL;
		}
		return parse_match(ps);
	} else {
		syntax_error(ps, t);
		return NULL;
	}
	return rc ? NULL : s;
}

/* Statements up to the end of the line; `comment "..."` ends a rule. */
static struct nft_rule *parse_rule(struct nft_pstate *ps)
{
	struct nft_rule *r = nft_alloc(ps->a, sizeof(*r));
	struct nft_stmt *last = NULL;

	if (!r)
		return NULL;
	r->gen = ps->gen;
	r->loc = peek(ps)->loc;
	while (!at_stmt_end(ps)) {
		if (accept_kw(ps, "comment")) {
			if (peek(ps)->kind != TK_STRING) {
				syntax_error(ps, peek(ps));
				return NULL;
			}
			r->comment = tok_str(ps, next(ps));
			if (!at_stmt_end(ps)) {
				syntax_error(ps, peek(ps));
				return NULL;
			}
			break;
		}
		struct nft_stmt *s = parse_stmt(ps);

		if (!s)
			return NULL;
		if (last)
			last->next = s;
		else
			r->stmts = s;
		last = s;
		r->loc = nft_loc_join(&r->loc, &s->loc);
	}
	if (!r->stmts) {
		syntax_error(ps, peek(ps));
		return NULL;
	}
	return r;
}

/* ---- commands ---- */

static int parse_family(struct nft_pstate *ps, uint8_t *fam)
{
	struct nft_tok *t = peek(ps);

	if (nft_tok_is(t, "ip"))
		*fam = NFT_FAM_IP;
	else if (nft_tok_is(t, "ip6"))
		*fam = NFT_FAM_IP6;
	else if (nft_tok_is(t, "inet"))
		*fam = NFT_FAM_INET;
	else if (nft_tok_is(t, "arp") || nft_tok_is(t, "bridge") || nft_tok_is(t, "netdev")) {
		nft_error(ps, &t->loc, NULL, "family %.*s is not supported", (int)t->len, t->s);
		return -EINVAL;
	} else {
		*fam = NFT_FAM_IP;
		return 0;
	}
	/* `ip` followed by end-of-names means it is the table name */
	struct nft_tok *t2 = peek2(ps);

	if (t2->kind == TK_IDENT || t2->kind == TK_STRING || t2->kind == TK_NUM) {
		next(ps);
		return 0;
	}
	*fam = NFT_FAM_IP;
	return 0;
}

static int no_such(struct nft_pstate *ps, const struct nft_loc *loc)
{
	nft_error(ps, loc, NULL, "Could not process rule: No such file or directory");
	return -ENOENT;
}

static struct nft_table *get_table(struct nft_pstate *ps, uint8_t *fam, struct nft_loc *loc)
{
	const char *name;
	struct nft_table *t;

	if (parse_family(ps, fam))
		return NULL;
	name = parse_name(ps, loc);
	if (!name)
		return NULL;
	t = nft_table_find(ps->rs, *fam, name);
	if (!t)
		no_such(ps, loc);
	return t;
}

static struct nft_table *add_table(struct nft_pstate *ps, uint8_t fam, const char *name)
{
	struct nft_table *t = nft_table_find(ps->rs, fam, name);

	if (t)
		return t;
	t = nft_alloc(ps->a, sizeof(*t));
	if (!t)
		return NULL;
	t->family = fam;
	t->name = name;
	t->handle = ++ps->rs->next_table_handle;
	if (ps->rs->tables_tail)
		ps->rs->tables_tail->next = t;
	else
		ps->rs->tables = t;
	ps->rs->tables_tail = t;
	return t;
}

static int parse_prio(struct nft_pstate *ps, struct nft_chain *c)
{
	static const struct {
		const char *n;
		int32_t v;
	} names[] = { { "raw", -300 }, { "mangle", -150 }, { "dstnat", -100 },
		      { "filter", 0 }, { "security", 50 }, { "srcnat", 100 } };
	struct nft_tok *t = next(ps);
	int32_t base = 0, sign = 1;
	uint64_t n;
	bool neg = false;

	if (t->kind == TK_DASH) {
		neg = true;
		t = next(ps);
	}
	if (parse_u64(t, &n) && n <= INT32_MAX) {
		c->prio = neg ? -(int32_t)n : (int32_t)n;
		return 0;
	}
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (nft_tok_is(t, names[i].n))
			break;
	if (neg || i == sizeof(names) / sizeof(names[0])) {
		nft_error(ps, &t->loc, NULL, "'%.*s' is invalid priority in this context.",
			  (int)t->len, t->s);
		return -EINVAL;
	}
	base = names[i].v;
	if (peek(ps)->kind == TK_DASH || nft_tok_is(peek(ps), "+") ||
	    peek(ps)->kind == TK_ERROR) {
		if (peek(ps)->kind == TK_DASH)
			sign = -1;
		else if (!(peek(ps)->len == 1 && peek(ps)->s[0] == '+'))
			return syntax_error(ps, peek(ps));
		next(ps);
		if (!parse_u64(peek(ps), &n) || n > INT32_MAX)
			return syntax_error(ps, peek(ps));
		next(ps);
		base += sign * (int32_t)n;
	}
	c->prio = base;
	return 0;
}

/*
 * Rules of a table block are checked once the whole block is read: nft
 * creates a block's chains, sets and objects before its rules, so a rule may
 * jump to a chain or use a set declared further down.
 */
struct nft_pending {
	struct nft_chain *c;
	struct nft_rule *r;
	struct nft_pending *next;
};

static int defer_rule(struct nft_pstate *ps, struct nft_chain *c, struct nft_rule *r)
{
	struct nft_pending *p = nft_alloc(ps->a, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->c = c;
	p->r = r;
	*ps->pending_tail = p;
	ps->pending_tail = &p->next;
	return 0;
}

static int parse_chain_spec(struct nft_pstate *ps, struct nft_table *t, struct nft_chain *c,
			    bool block)
{
	struct nft_loc loc = peek(ps)->loc;

	for (;;) {
		while (peek(ps)->kind == TK_NL || peek(ps)->kind == TK_SEMI)
			next(ps);
		struct nft_tok *k = peek(ps);

		if (k->kind == TK_RBRACE)
			break;
		if (accept_kw(ps, "type")) {
			struct nft_tok *ty = next(ps);

			if (nft_tok_is(ty, "filter"))
				c->type = CHT_FILTER;
			else if (nft_tok_is(ty, "nat"))
				c->type = CHT_NAT;
			else if (nft_tok_is(ty, "route"))
				c->type = CHT_ROUTE;
			else {
				nft_error(ps, &ty->loc, NULL, "unknown chain type");
				return -EINVAL;
			}
			if (expect_kw(ps, "hook"))
				return -EINVAL;
			struct nft_tok *h = next(ps);
			static const char *const hooks[] = { "prerouting", "input", "forward",
							     "output", "postrouting" };
			size_t i;

			for (i = 0; i < 5; i++)
				if (nft_tok_is(h, hooks[i]))
					break;
			if (i == 5) {
				nft_error(ps, &h->loc, NULL, "unknown chain hook");
				return -EINVAL;
			}
			c->hook = (uint8_t)i;
			c->base = true;
			if (accept_kw(ps, "device")) {
				nft_error(ps, &h->loc, NULL, "device is not supported here");
				return -EINVAL;
			}
			if (expect_kw(ps, "priority") || parse_prio(ps, c))
				return -EINVAL;
			loc = nft_loc_join(&loc, &ps->tk->v[ps->pos - 1].loc);
		} else if (accept_kw(ps, "policy")) {
			struct nft_tok *p = next(ps);

			if (nft_tok_is(p, "accept"))
				c->policy = NFT_ACCEPT;
			else if (nft_tok_is(p, "drop"))
				c->policy = NFT_DROP;
			else
				return syntax_error(ps, p);
		} else if (accept_kw(ps, "comment")) {
			if (peek(ps)->kind != TK_STRING)
				return syntax_error(ps, peek(ps));
			c->comment = tok_str(ps, next(ps));
		} else if (block) {
			struct nft_rule *r = parse_rule(ps);

			if (!r || defer_rule(ps, c, r))
				return -EINVAL;
			continue;
		} else {
			return syntax_error(ps, k);
		}
		if (!at_stmt_end(ps))
			return syntax_error(ps, peek(ps));
	}
	return nft_check_chain(ps, t, c, &loc);
}

static struct nft_chain *add_chain(struct nft_pstate *ps, struct nft_table *t, const char *name,
				   const struct nft_loc *loc)
{
	struct nft_chain *c = nft_chain_find(t, name);

	if (c)
		return c;
	if (strlen(name) > 255) {
		nft_error(ps, loc, NULL, "Chain name too long");
		return NULL;
	}
	c = nft_alloc(ps->a, sizeof(*c));
	if (!c)
		return NULL;
	c->name = name;
	c->policy = NFT_ACCEPT;
	if (t->chains_tail)
		t->chains_tail->next = c;
	else
		t->chains = c;
	t->chains_tail = c;
	c->handle = ++t->next_handle;
	return c;
}

static int chain_body(struct nft_pstate *ps, struct nft_table *t, struct nft_chain *c,
		      bool block)
{
	/* a base chain keeps its hook when re-added without a spec */
	if (!accept_tok(ps, TK_LBRACE))
		return 0;
	if (parse_chain_spec(ps, t, c, block))
		return -EINVAL;
	return expect(ps, TK_RBRACE);
}

/* Set / map declaration body: type, flags, elements. */
static int parse_set_body(struct nft_pstate *ps, struct nft_table *t, struct nft_set *s,
			  bool is_map)
{
	struct nft_expr *elems = NULL;
	bool have_type = false;

	if (expect(ps, TK_LBRACE))
		return -EINVAL;
	for (;;) {
		while (peek(ps)->kind == TK_NL || peek(ps)->kind == TK_SEMI)
			next(ps);
		if (peek(ps)->kind == TK_RBRACE)
			break;
		if (accept_kw(ps, "type")) {
			struct nft_tok *ty = next(ps);
			enum nft_dt dt;

			if (!nft_dtype_by_name(ty->s, ty->len, &dt) || dt == DT_VERDICT ||
			    dt == DT_INVALID) {
				nft_error(ps, &ty->loc, NULL, "unknown datatype %.*s", (int)ty->len,
					  ty->s);
				return -EINVAL;
			}
			s->key_dt = (uint8_t)dt;
			s->key_len = nft_dtypes[dt].bytes;
			if (dt == DT_INET_SERVICE)
				s->key_len = 2;
			if (is_map) {
				if (expect(ps, TK_COLON))
					return -EINVAL;
				ty = next(ps);
				if (!nft_dtype_by_name(ty->s, ty->len, &dt) || dt == DT_INVALID) {
					nft_error(ps, &ty->loc, NULL, "unknown datatype %.*s",
						  (int)ty->len, ty->s);
					return -EINVAL;
				}
				s->data_dt = (uint8_t)dt;
				s->data_len = nft_dtypes[dt].bytes;
				if (dt == DT_INET_SERVICE)
					s->data_len = 2;
			} else if (peek(ps)->kind == TK_COLON) {
				return syntax_error(ps, peek(ps));
			}
			have_type = true;
		} else if (accept_kw(ps, "flags")) {
			do {
				struct nft_tok *f = next(ps);

				if (nft_tok_is(f, "interval"))
					s->flags |= SETF_INTERVAL;
				else if (nft_tok_is(f, "constant"))
					s->flags |= SETF_CONSTANT;
				else {
					nft_error(ps, &f->loc, NULL, "unsupported set flag");
					return -EINVAL;
				}
			} while (accept_tok(ps, TK_COMMA));
		} else if (accept_kw(ps, "elements")) {
			if (expect(ps, TK_ASSIGN))
				return -EINVAL;
			if (peek(ps)->kind != TK_LBRACE)
				return syntax_error(ps, peek(ps));
			elems = parse_setlit(ps);
			if (!elems)
				return -EINVAL;
		} else if (accept_kw(ps, "comment")) {
			if (peek(ps)->kind != TK_STRING)
				return syntax_error(ps, peek(ps));
			next(ps);
		} else if (accept_kw(ps, "policy")) {
			next(ps);
		} else if (accept_kw(ps, "auto-merge")) {
		} else {
			return syntax_error(ps, peek(ps));
		}
		if (!at_stmt_end(ps))
			return syntax_error(ps, peek(ps));
	}
	struct nft_tok *close = peek(ps);

	if (expect(ps, TK_RBRACE))
		return -EINVAL;
	if (!have_type && !s->key_dt) {
		nft_error(ps, &close->loc, NULL, "set definition does not specify key");
		return -EINVAL;
	}
	s->is_map = is_map;
	if (elems)
		return nft_check_set_elems(ps, t, s, elems, true);
	return 0;
}

static struct nft_set *add_set(struct nft_pstate *ps, struct nft_table *t, const char *name,
			       const struct nft_loc *loc, bool is_map)
{
	struct nft_set *s = nft_set_find(t, name);

	if (s) {
		if (s->is_map != is_map) {
			nft_error(ps, loc, NULL, "Could not process rule: File exists");
			return NULL;
		}
		return s;
	}
	s = nft_alloc(ps->a, sizeof(*s));
	if (!s)
		return NULL;
	s->name = name;
	if (t->sets_tail)
		t->sets_tail->next = s;
	else
		t->sets = s;
	t->sets_tail = s;
	return s;
}

static int parse_ct_helper_body(struct nft_pstate *ps, struct nft_table *t, struct nft_obj *o)
{
	bool have_type = false;

	if (expect(ps, TK_LBRACE))
		return -EINVAL;
	for (;;) {
		while (peek(ps)->kind == TK_NL || peek(ps)->kind == TK_SEMI)
			next(ps);
		if (peek(ps)->kind == TK_RBRACE)
			break;
		if (accept_kw(ps, "type")) {
			struct nft_tok *n = next(ps);

			if (n->kind != TK_STRING)
				return syntax_error(ps, n);
			if (n->len == 0 || n->len > 15) {
				nft_error(ps, &n->loc, NULL, "invalid helper name");
				return -EINVAL;
			}
			memcpy(o->helper, n->s, n->len);
			if (expect_kw(ps, "protocol"))
				return -EINVAL;
			struct nft_tok *p = next(ps);

			if (nft_tok_is(p, "tcp"))
				o->l4proto = 6;
			else if (nft_tok_is(p, "udp"))
				o->l4proto = 17;
			else
				return syntax_error(ps, p);
			have_type = true;
		} else if (accept_kw(ps, "l3proto")) {
			struct nft_tok *p = next(ps);

			if (nft_tok_is(p, "ip"))
				o->l3proto = NFT_FAM_IP;
			else if (nft_tok_is(p, "ip6"))
				o->l3proto = NFT_FAM_IP6;
			else if (nft_tok_is(p, "inet"))
				o->l3proto = NFT_FAM_INET;
			else
				return syntax_error(ps, p);
			if (t->family != NFT_FAM_INET && o->l3proto != t->family) {
				nft_error(ps, &p->loc, NULL,
					  "Could not process rule: Operation not supported");
				return -EINVAL;
			}
		} else {
			return syntax_error(ps, peek(ps));
		}
		if (!at_stmt_end(ps))
			return syntax_error(ps, peek(ps));
	}
	struct nft_tok *close = peek(ps);

	if (expect(ps, TK_RBRACE))
		return -EINVAL;
	if (!have_type) {
		nft_error(ps, &close->loc, NULL, "missing helper type");
		return -EINVAL;
	}
	if (!o->l3proto)
		o->l3proto = t->family;
	return 0;
}

static int add_ct_helper(struct nft_pstate *ps, struct nft_table *t, const char *name)
{
	struct nft_obj *o = nft_obj_find(t, name);
	bool fresh = !o;

	if (fresh) {
		o = nft_alloc(ps->a, sizeof(*o));
		if (!o)
			return -ENOMEM;
		o->name = name;
	}
	if (parse_ct_helper_body(ps, t, o))
		return -EINVAL;
	if (fresh) {
		if (t->objs_tail)
			t->objs_tail->next = o;
		else
			t->objs = o;
		t->objs_tail = o;
	}
	return 0;
}

static int parse_table_items(struct nft_pstate *ps, struct nft_table *t);

/* Create the chains a block declares, by name, before anything else. */
static int prescan_chains(struct nft_pstate *ps, struct nft_table *t)
{
	int depth = 0;

	for (size_t i = ps->pos; i < ps->end; i++) {
		struct nft_tok *k = &ps->tk->v[i];

		if (k->kind == TK_LBRACE)
			depth++;
		else if (k->kind == TK_RBRACE && --depth < 0)
			break;
		else if (!depth && nft_tok_is(k, "chain") && i + 1 < ps->end) {
			struct nft_tok *n = &ps->tk->v[i + 1];

			if ((n->kind == TK_IDENT || n->kind == TK_STRING || n->kind == TK_NUM) &&
			    !add_chain(ps, t, tok_str(ps, n), &n->loc))
				return -EINVAL;
		}
	}
	return 0;
}

static int parse_table_block(struct nft_pstate *ps, struct nft_table *t)
{
	struct nft_pending *first = NULL, **otail = ps->pending_tail;

	if (expect(ps, TK_LBRACE))
		return -EINVAL;
	ps->pending_tail = &first;
	if (prescan_chains(ps, t))
		return -EINVAL;
	if (parse_table_items(ps, t))
		return -EINVAL;
	ps->pending_tail = otail;
	/* the kernel numbers a block's objects, then its sets, then its rules */
	for (struct nft_obj *o = t->objs; o; o = o->next)
		if (!o->handle)
			o->handle = ++t->next_handle;
	for (struct nft_set *s = t->sets; s; s = s->next)
		if (!s->handle)
			s->handle = ++t->next_handle;
	for (struct nft_pending *p = first; p; p = p->next) {
		if (nft_check_rule(ps, t, p->c, p->r))
			return -EINVAL;
		nft_chain_link(p->c, p->r, NULL, false);
	}
	return expect(ps, TK_RBRACE);
}

static int parse_table_items(struct nft_pstate *ps, struct nft_table *t)
{
	for (;;) {
		while (peek(ps)->kind == TK_NL || peek(ps)->kind == TK_SEMI)
			next(ps);
		struct nft_tok *k = peek(ps);
		struct nft_loc nl;
		const char *name;

		if (k->kind == TK_RBRACE)
			break;
		if (accept_kw(ps, "chain")) {
			name = parse_name(ps, &nl);
			if (!name)
				return -EINVAL;
			struct nft_chain *c = add_chain(ps, t, name, &nl);

			if (!c || expect(ps, TK_LBRACE) || parse_chain_spec(ps, t, c, true) ||
			    expect(ps, TK_RBRACE))
				return -EINVAL;
		} else if (accept_kw(ps, "set") || accept_kw(ps, "map")) {
			bool is_map = nft_tok_is(k, "map");

			name = parse_name(ps, &nl);
			if (!name)
				return -EINVAL;
			struct nft_set *s = add_set(ps, t, name, &nl, is_map);

			if (!s || parse_set_body(ps, t, s, is_map))
				return -EINVAL;
		} else if (accept_kw(ps, "ct")) {
			if (expect_kw(ps, "helper"))
				return -EINVAL;
			name = parse_name(ps, &nl);
			if (!name || add_ct_helper(ps, t, name))
				return -EINVAL;
		} else if (accept_kw(ps, "comment")) {
			if (peek(ps)->kind != TK_STRING)
				return syntax_error(ps, peek(ps));
			t->comment = tok_str(ps, next(ps));
		} else {
			return syntax_error(ps, k);
		}
		if (!at_stmt_end(ps))
			return syntax_error(ps, peek(ps));
	}
	return 0;
}

static void chain_unlink_rules(struct nft_chain *c)
{
	c->rules = c->rules_tail = NULL;
}

static int cmd_add(struct nft_pstate *ps, bool insert, bool create)
{
	/* the command's first token: `add`, `insert`, ... (or `rule` itself) */
	size_t cmd_first = ps->pos > 0 && !nft_tok_is(peek(ps), "table") ? ps->pos - 1 : ps->pos;
	struct nft_tok *what = next(ps);
	struct nft_loc nl;
	uint8_t fam;
	struct nft_table *t;
	const char *name;

	if (nft_tok_is(what, "table")) {
		if (parse_family(ps, &fam))
			return -EINVAL;
		name = parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		if (create && nft_table_find(ps->rs, fam, name)) {
			nft_error(ps, &nl, NULL, "Could not process rule: File exists");
			return -EEXIST;
		}
		t = add_table(ps, fam, name);
		if (!t)
			return -ENOMEM;
		if (peek(ps)->kind == TK_LBRACE)
			return parse_table_block(ps, t);
		return 0;
	}
	if (nft_tok_is(what, "chain")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		name = parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		struct nft_chain *c = add_chain(ps, t, name, &nl);

		if (!c)
			return -EINVAL;
		return chain_body(ps, t, c, false);
	}
	if (nft_tok_is(what, "rule")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		name = parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		struct nft_chain *c = nft_chain_find(t, name);

		if (!c)
			return no_such(ps, &nl);
		struct nft_rule *ref = NULL;
		struct nft_tok *pk = peek(ps);

		if (accept_kw(ps, "position") || accept_kw(ps, "handle") ||
		    accept_kw(ps, "index")) {
			uint64_t n;
			struct nft_tok *nt = peek(ps);

			if (!parse_u64(nt, &n))
				return syntax_error(ps, nt);
			next(ps);
			/* only rules committed before this script have handles */
			uint64_t k = 0;

			for (ref = c->rules; ref; ref = ref->next) {
				if (ref->gen == ps->gen)
					continue;
				if (nft_tok_is(pk, "index") ? k == n : ref->handle == n)
					break;
				k++;
			}
			if (!ref) {
				struct nft_loc l = nft_loc_join(&pk->loc, &nt->loc);

				return no_such(ps, &l);
			}
		}
		struct nft_rule *r = parse_rule(ps);

		if (!r)
			return -EINVAL;
		r->cmd_loc = nft_loc_join(&ps->tk->v[cmd_first].loc, &r->loc);
		/* nft's command location takes in the terminating newline */
		if (peek(ps)->kind == TK_NL && peek(ps)->loc.line == r->cmd_loc.line)
			r->cmd_loc.c2 = peek(ps)->loc.c2;
		if (nft_check_rule(ps, t, c, r))
			return -EINVAL;
		nft_chain_link(c, r, ref, insert);
		return 0;
	}
	if (nft_tok_is(what, "set") || nft_tok_is(what, "map")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		name = parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		struct nft_set *s = add_set(ps, t, name, &nl, nft_tok_is(what, "map"));

		if (!s || parse_set_body(ps, t, s, nft_tok_is(what, "map")))
			return -EINVAL;
		if (!s->handle)
			s->handle = ++t->next_handle;
		return 0;
	}
	if (nft_tok_is(what, "element")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		name = parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		struct nft_set *s = nft_set_find(t, name);

		if (!s)
			return no_such(ps, &nl);
		if (peek(ps)->kind != TK_LBRACE)
			return syntax_error(ps, peek(ps));
		struct nft_expr *lit = parse_setlit(ps);

		return lit ? nft_check_set_elems(ps, t, s, lit, true) : -EINVAL;
	}
	if (nft_tok_is(what, "ct")) {
		if (expect_kw(ps, "helper"))
			return -EINVAL;
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		name = parse_name(ps, &nl);
		if (!name || add_ct_helper(ps, t, name))
			return -EINVAL;
		if (!t->objs_tail->handle)
			t->objs_tail->handle = ++t->next_handle;
		return 0;
	}
	return syntax_error(ps, what);
}

static int unlink_table(struct nft_pstate *ps, struct nft_table *t)
{
	struct nft_table **pp = &ps->rs->tables, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			if (ps->rs->tables_tail == t)
				ps->rs->tables_tail = prev;
			return 0;
		}
	return -ENOENT;
}

static int cmd_flush_delete(struct nft_pstate *ps, bool del)
{
	struct nft_tok *what = next(ps);
	struct nft_loc nl;
	uint8_t fam;
	struct nft_table *t;

	if (!del && nft_tok_is(what, "ruleset")) {
		if (parse_family(ps, &fam))
			return -EINVAL;
		ps->rs->tables = ps->rs->tables_tail = NULL;
		ps->flushed_ruleset = true;
		return 0;
	}
	if (nft_tok_is(what, "table")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		if (del)
			return unlink_table(ps, t);
		for (struct nft_chain *c = t->chains; c; c = c->next)
			chain_unlink_rules(c);
		return 0;
	}
	if (nft_tok_is(what, "chain")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		const char *name = parse_name(ps, &nl);

		if (!name)
			return -EINVAL;
		struct nft_chain *c = nft_chain_find(t, name);

		if (!c)
			return no_such(ps, &nl);
		if (!del) {
			chain_unlink_rules(c);
			return 0;
		}
		if (c->rules || nft_chain_referenced(t, c)) {
			nft_error(ps, &nl, NULL, "Could not process rule: Device or resource busy");
			return -EBUSY;
		}
		struct nft_chain **pp = &t->chains, *prev = NULL;

		for (; *pp; prev = *pp, pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				if (t->chains_tail == c)
					t->chains_tail = prev;
				break;
			}
		return 0;
	}
	if (nft_tok_is(what, "set") || nft_tok_is(what, "map")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		const char *name = parse_name(ps, &nl);

		if (!name)
			return -EINVAL;
		struct nft_set *s = nft_set_find(t, name);

		if (!s)
			return no_such(ps, &nl);
		if (del && nft_set_referenced(t, s)) {
			nft_error(ps, &nl, NULL, "Could not process rule: Device or resource busy");
			return -EBUSY;
		}
		s->elems = s->elems_tail = NULL;
		s->nelems = 0;
		if (del) {
			struct nft_set **pp = &t->sets, *prev = NULL;

			for (; *pp; prev = *pp, pp = &(*pp)->next)
				if (*pp == s) {
					*pp = s->next;
					if (t->sets_tail == s)
						t->sets_tail = prev;
					break;
				}
		}
		return 0;
	}
	if (del && nft_tok_is(what, "rule")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		const char *name = parse_name(ps, &nl);

		if (!name)
			return -EINVAL;
		struct nft_chain *c = nft_chain_find(t, name);
		struct nft_tok *h;
		uint64_t n;

		if (!c)
			return no_such(ps, &nl);
		if (expect_kw(ps, "handle"))
			return -EINVAL;
		h = peek(ps);
		if (!parse_u64(h, &n))
			return syntax_error(ps, h);
		next(ps);
		struct nft_rule **pp = &c->rules;

		while (*pp && ((*pp)->handle != n || (*pp)->gen == ps->gen))
			pp = &(*pp)->next;
		if (!*pp)
			return no_such(ps, &h->loc);
		*pp = (*pp)->next;
		c->rules_tail = NULL;
		for (struct nft_rule *r = c->rules; r; r = r->next)
			c->rules_tail = r;
		return 0;
	}
	if (del && nft_tok_is(what, "element")) {
		t = get_table(ps, &fam, &nl);
		if (!t)
			return -EINVAL;
		const char *name = parse_name(ps, &nl);

		if (!name)
			return -EINVAL;
		struct nft_set *s = nft_set_find(t, name);

		if (!s)
			return no_such(ps, &nl);
		if (peek(ps)->kind != TK_LBRACE)
			return syntax_error(ps, peek(ps));
		struct nft_expr *lit = parse_setlit(ps);

		return lit ? nft_set_delete_elems(ps, t, s, lit) : -EINVAL;
	}
	return syntax_error(ps, what);
}

static int cmd_define(struct nft_pstate *ps)
{
	struct nft_tok *n = next(ps);
	struct nft_define *d;

	if (n->kind != TK_IDENT)
		return syntax_error(ps, n);
	if (expect(ps, TK_ASSIGN))
		return -EINVAL;
	d = nft_alloc(ps->a, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->name = n->s;
	d->nlen = n->len;
	for (size_t i = 0; i < ps->nsrc; i++)
		if (&ps->srcs[i].toks == ps->tk)
			d->src = (uint16_t)i;
	d->first = ps->pos;
	int depth = 0;

	while (peek(ps)->kind != TK_EOF) {
		enum nft_tok_kind k = peek(ps)->kind;

		if (k == TK_LBRACE)
			depth++;
		else if (k == TK_RBRACE)
			depth--;
		else if (depth <= 0 && (k == TK_NL || k == TK_SEMI))
			break;
		if (depth <= 0 && k == TK_NL)
			break;
		next(ps);
	}
	d->end = ps->pos;
	if (d->end == d->first)
		return syntax_error(ps, peek(ps));
	d->next = ps->defines;
	ps->defines = d;
	return 0;
}

static int parse_commands(struct nft_pstate *ps);

static int cmd_include(struct nft_pstate *ps)
{
	struct nft_tok *f = next(ps);
	const struct nft_config *cfg = &ps->rs->cfg;
	char name[4096];
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (f->kind != TK_STRING)
		return syntax_error(ps, f);
	if (f->len >= sizeof(name)) {
		nft_error(ps, &f->loc, NULL, "File name too long");
		return -EINVAL;
	}
	memcpy(name, f->s, f->len);
	name[f->len] = 0;
	if (!cfg->load || ps->nsrc >= sizeof(ps->srcs) / sizeof(ps->srcs[0]) || ps->depth > 8) {
		nft_error(ps, &f->loc, NULL, "Could not process include");
		return -EINVAL;
	}
	rc = cfg->load(cfg->load_arg, name, &buf, &len);
	if (rc) {
		struct nft_loc l = nft_loc_join(&ps->tk->v[ps->pos - 2].loc, &f->loc);

		nft_error(ps, &l, NULL, "File not found: %s", name);
		return rc;
	}
	uint16_t src = (uint16_t)ps->nsrc++;
	struct nft_src *s = &ps->srcs[src];

	s->name = nft_strndup(ps->a, name, strlen(name));
	s->buf = buf;
	s->len = len;
	s->owned = buf;
	if (nft_lex(buf, len, src, &s->toks))
		return -ENOMEM;
	struct nft_toks *otk = ps->tk;
	size_t opos = ps->pos, oend = ps->end;

	ps->tk = &s->toks;
	ps->pos = 0;
	ps->end = s->toks.n - 1;
	ps->depth++;
	rc = parse_commands(ps);
	ps->depth--;
	ps->tk = otk;
	ps->pos = opos;
	ps->end = oend;
	return rc;
}

static int parse_command(struct nft_pstate *ps)
{
	struct nft_tok *t = peek(ps);

	if (accept_kw(ps, "add"))
		return cmd_add(ps, false, false);
	if (accept_kw(ps, "create"))
		return cmd_add(ps, false, true);
	if (accept_kw(ps, "insert"))
		return cmd_add(ps, true, false);
	if (accept_kw(ps, "flush"))
		return cmd_flush_delete(ps, false);
	if (accept_kw(ps, "delete") || accept_kw(ps, "destroy"))
		return cmd_flush_delete(ps, true);
	if (accept_kw(ps, "define") || accept_kw(ps, "redefine"))
		return cmd_define(ps);
	if (accept_kw(ps, "include"))
		return cmd_include(ps);
	if (is_kw(ps, "table"))
		return cmd_add(ps, false, false);
	if (is_kw(ps, "chain") || is_kw(ps, "rule") || is_kw(ps, "set") || is_kw(ps, "map") ||
	    is_kw(ps, "element"))
		return cmd_add(ps, false, false);
	if (is_kw(ps, "list")) {
		nft_error(ps, &t->loc, NULL, "list commands are not supported in scripts");
		return -EINVAL;
	}
	return syntax_error(ps, t);
}

static int parse_commands(struct nft_pstate *ps)
{
	for (;;) {
		while (peek(ps)->kind == TK_NL || peek(ps)->kind == TK_SEMI)
			next(ps);
		if (peek(ps)->kind == TK_EOF || ps->pos >= ps->end)
			return 0;
		if (parse_command(ps) || ps->failed || ps->a->failed) {
			if (!ps->failed)
				nft_error(ps, &peek(ps)->loc, NULL, "out of memory");
			return -EINVAL;
		}
		if (!at_stmt_end(ps) || peek(ps)->kind == TK_RBRACE)
			return syntax_error(ps, peek(ps));
	}
}

int nft_parse_script(struct nft_pstate *ps, uint16_t src)
{
	ps->tk = &ps->srcs[src].toks;
	ps->pos = 0;
	ps->end = ps->tk->n - 1;
	return parse_commands(ps);
}
