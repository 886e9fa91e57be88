/* SPDX-License-Identifier: MIT */
/*
 * The commands of an nft script: add/create/insert, delete/destroy, flush,
 * table blocks with their chains, sets and ct helpers, define and include.
 * Commands are applied one at a time to the working ruleset as nft does (a
 * rule may use a set added two lines above); the caller makes the whole
 * script atomic.  Rules and set literals are read by parse.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

static int parse_family(struct nft_pstate *ps, uint8_t *fam)
{
	struct nft_tok *t = nft_peek(ps);

	if (nft_tok_is(t, "ip"))
		*fam = NFT_FAM_IP;
	else if (nft_tok_is(t, "ip6"))
		*fam = NFT_FAM_IP6;
	else if (nft_tok_is(t, "inet"))
		*fam = NFT_FAM_INET;
	else if (nft_tok_is(t, "arp") || nft_tok_is(t, "bridge") || nft_tok_is(t, "netdev")) {
		/* without a name after it, the name reader reports what nft does */
		enum nft_tok_kind k = nft_peek2(ps)->kind;

		if (k != TK_IDENT && k != TK_STRING && k != TK_NUM) {
			*fam = NFT_FAM_IP;
			return 0;
		}
		nft_error(ps, &t->loc, NULL, "family %.*s is not supported", (int)t->len, t->s);
		return -EINVAL;
	} else {
		*fam = NFT_FAM_IP;
		return 0;
	}
	/* `ip` followed by end-of-names means it is the table name */
	struct nft_tok *t2 = nft_peek2(ps);

	if (t2->kind == TK_IDENT || t2->kind == TK_STRING || t2->kind == TK_NUM) {
		nft_next(ps);
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

/*
 * Who finds a missing table: nft's cache when it evaluates the command
 * (add chain, set, element; flush set), the kernel otherwise; for a table
 * command nft then suggests a table, for the others it stays silent.
 */
enum lookup { BY_CACHE, BY_KERNEL, BY_KERNEL_TABLE };

static struct nft_table *get_table(struct nft_pstate *ps, uint8_t *fam, struct nft_loc *loc,
				   enum lookup by)
{
	const char *name;
	struct nft_table *t;

	if (parse_family(ps, fam))
		return NULL;
	name = nft_parse_name(ps, loc);
	if (!name)
		return NULL;
	t = nft_table_find(ps->rs, *fam, name);
	if (t)
		return t;
	/*
	 * nft reads the whole command before it looks anything up: a bad
	 * object name after the table is the error it reports.
	 */
	struct nft_tok n;

	if (by != BY_KERNEL_TABLE && !nft_name_at(ps, ps->pos, &n)) {
		nft_parse_name(ps, NULL);
		return NULL;
	}
	if (by == BY_KERNEL)
		no_such(ps, loc);
	else
		nft_missing_table(ps, name, loc, by == BY_KERNEL_TABLE);
	return NULL;
}

/*
 * The chain or set a command names after its table: its name, looked up in
 * t.  NULL with *err set when the name is malformed (-EINVAL) or missing
 * (nft's "No such file or directory", with its hint; `kernel`: reported as
 * the kernel reports it).  *loc ends at the name.
 */
static struct nft_chain *named_chain(struct nft_pstate *ps, struct nft_table *t,
				     struct nft_loc *loc, bool kernel, int *err)
{
	const char *name = nft_parse_name(ps, loc);
	struct nft_chain *c;

	*err = -EINVAL;
	if (!name)
		return NULL;
	c = nft_chain_find(t, name);
	if (!c)
		*err = nft_missing_chain(ps, name, loc, kernel);
	return c;
}

static struct nft_set *named_set(struct nft_pstate *ps, struct nft_table *t, struct nft_loc *loc,
				 bool kernel, int *err)
{
	const char *name = nft_parse_name(ps, loc);
	struct nft_set *s;

	*err = -EINVAL;
	if (!name)
		return NULL;
	s = nft_set_find(t, name);
	if (!s)
		*err = nft_missing_set(ps, name, loc, kernel);
	return s;
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
	struct nft_tok *t = nft_next(ps);
	int32_t base = 0, sign = 1;
	uint64_t n;
	bool neg = false;

	if (t->kind == TK_DASH) {
		neg = true;
		t = nft_next(ps);
	}
	if (nft_parse_u64(t, &n) && n <= INT32_MAX) {
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
	if (nft_peek(ps)->kind == TK_DASH || nft_tok_is(nft_peek(ps), "+") ||
	    nft_peek(ps)->kind == TK_ERROR) {
		if (nft_peek(ps)->kind == TK_DASH)
			sign = -1;
		else if (!(nft_peek(ps)->len == 1 && nft_peek(ps)->s[0] == '+'))
			return nft_syntax_error(ps, nft_peek(ps));
		nft_next(ps);
		if (!nft_parse_u64(nft_peek(ps), &n) || n > INT32_MAX)
			return nft_syntax_error(ps, nft_peek(ps));
		nft_next(ps);
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
	struct nft_loc loc = nft_peek(ps)->loc;

	for (;;) {
		while (nft_peek(ps)->kind == TK_NL || nft_peek(ps)->kind == TK_SEMI)
			nft_next(ps);
		struct nft_tok *k = nft_peek(ps);

		if (k->kind == TK_RBRACE)
			break;
		if (nft_accept_kw(ps, "type")) {
			struct nft_tok *ty = nft_next(ps);

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
			if (nft_expect_kw(ps, "hook"))
				return -EINVAL;
			struct nft_tok *h = nft_next(ps);
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
			if (nft_accept_kw(ps, "device")) {
				nft_error(ps, &h->loc, NULL, "device is not supported here");
				return -EINVAL;
			}
			if (nft_expect_kw(ps, "priority") || parse_prio(ps, c))
				return -EINVAL;
			loc = nft_loc_join(&loc, &ps->tk->v[ps->pos - 1].loc);
		} else if (nft_accept_kw(ps, "policy")) {
			struct nft_tok *p = nft_next(ps);

			if (nft_tok_is(p, "accept"))
				c->policy = NFT_ACCEPT;
			else if (nft_tok_is(p, "drop"))
				c->policy = NFT_DROP;
			else
				return nft_syntax_error(ps, p);
		} else if (nft_accept_kw(ps, "comment")) {
			if (nft_peek(ps)->kind != TK_STRING)
				return nft_syntax_error(ps, nft_peek(ps));
			c->comment = nft_tok_str(ps, nft_next(ps));
		} else if (block) {
			struct nft_rule *r = nft_parse_rule(ps);

			if (!r || defer_rule(ps, c, r))
				return -EINVAL;
			continue;
		} else {
			return nft_syntax_error(ps, k);
		}
		if (!nft_at_stmt_end(ps))
			return nft_syntax_error(ps, nft_peek(ps));
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
	if (!nft_accept_tok(ps, TK_LBRACE))
		return 0;
	if (parse_chain_spec(ps, t, c, block))
		return -EINVAL;
	return nft_expect(ps, TK_RBRACE);
}

/*
 * TYPE [ . TYPE ]... of a set declaration; a concatenation's components
 * go to cat (its dt is DT_CONCAT, its len the padded total).
 */
static int parse_type_names(struct nft_pstate *ps, bool data, uint8_t *dt, uint8_t *len,
			    struct nft_ctype *cat)
{
	struct nft_ctype c = { 0 };

	do {
		struct nft_tok *ty = nft_next(ps);
		enum nft_dt d;

		if (!nft_dtype_by_name(ty->s, ty->len, &d) || d == DT_INVALID || d == DT_CONCAT ||
		    (d == DT_VERDICT && (!data || c.n || nft_peek(ps)->kind == TK_DOT))) {
			nft_error(ps, &ty->loc, NULL, "unknown datatype %.*s", (int)ty->len, ty->s);
			return -EINVAL;
		}
		if (c.n == NFT_CONCAT_MAX) {
			nft_error(ps, &ty->loc, NULL, "too many concatenation components");
			return -EINVAL;
		}
		c.dt[c.n] = (uint8_t)d;
		c.len[c.n] = d == DT_INET_SERVICE ? 2 : nft_dtypes[d].bytes;
		c.n++;
	} while (nft_accept_tok(ps, TK_DOT));
	if (c.n == 1) {
		*dt = c.dt[0];
		*len = c.len[0];
		cat->n = 0;
		return 0;
	}
	*cat = c;
	nft_ctype_total(cat, dt, len);
	if (*len > NFT_KEY_MAX || (data && *len > NFT_DATA_MAX)) {
		nft_error(ps, &ps->tk->v[ps->pos - 1].loc, NULL, "too many concatenation components");
		return -EINVAL;
	}
	return 0;
}

/* Set / map declaration body: type, flags, elements. */
static int parse_set_body(struct nft_pstate *ps, struct nft_table *t, struct nft_set *s,
			  bool is_map)
{
	struct nft_expr *elems = NULL;
	bool have_type = false;

	if (!nft_accept_tok(ps, TK_LBRACE))
		return nft_syntax_error_expecting(ps, nft_peek(ps), "'{'");
	for (;;) {
		while (nft_peek(ps)->kind == TK_NL || nft_peek(ps)->kind == TK_SEMI)
			nft_next(ps);
		if (nft_peek(ps)->kind == TK_RBRACE)
			break;
		if (nft_accept_kw(ps, "type")) {
			if (parse_type_names(ps, false, &s->key_dt, &s->key_len, &s->kcat))
				return -EINVAL;
			s->key_typeof = NULL;
			if (is_map) {
				if (nft_expect(ps, TK_COLON))
					return -EINVAL;
				if (parse_type_names(ps, true, &s->data_dt, &s->data_len, &s->dcat))
					return -EINVAL;
				s->data_typeof = NULL;
			} else if (nft_peek(ps)->kind == TK_COLON) {
				return nft_syntax_error(ps, nft_peek(ps));
			}
			have_type = true;
		} else if (nft_accept_kw(ps, "typeof")) {
			struct nft_expr *k = nft_parse_typeof(ps);

			if (!k || nft_check_typeof(ps, t, k, &s->key_dt, &s->key_len, &s->kcat))
				return -EINVAL;
			s->key_typeof = k;
			if (is_map) {
				if (nft_expect(ps, TK_COLON))
					return -EINVAL;
				if (nft_accept_kw(ps, "verdict")) {
					s->data_dt = DT_VERDICT;
					s->data_len = nft_dtypes[DT_VERDICT].bytes;
					s->dcat.n = 0;
					s->data_typeof = NULL;
				} else {
					struct nft_expr *d = nft_parse_typeof(ps);

					if (!d || nft_check_typeof(ps, t, d, &s->data_dt, &s->data_len,
								   &s->dcat))
						return -EINVAL;
					s->data_typeof = d;
				}
			} else if (nft_peek(ps)->kind == TK_COLON) {
				return nft_syntax_error(ps, nft_peek(ps));
			}
			have_type = true;
		} else if (nft_accept_kw(ps, "flags")) {
			do {
				struct nft_tok *f = nft_next(ps);

				if (nft_tok_is(f, "interval"))
					s->flags |= SETF_INTERVAL;
				else if (nft_tok_is(f, "constant"))
					s->flags |= SETF_CONSTANT;
				else {
					nft_error(ps, &f->loc, NULL, "unsupported set flag");
					return -EINVAL;
				}
			} while (nft_accept_tok(ps, TK_COMMA));
		} else if (nft_accept_kw(ps, "elements")) {
			if (nft_expect(ps, TK_ASSIGN))
				return -EINVAL;
			if (nft_peek(ps)->kind != TK_LBRACE)
				return nft_syntax_error(ps, nft_peek(ps));
			elems = nft_parse_setlit(ps);
			if (!elems)
				return -EINVAL;
		} else if (nft_accept_kw(ps, "comment")) {
			if (nft_peek(ps)->kind != TK_STRING)
				return nft_syntax_error(ps, nft_peek(ps));
			/* the kernel keeps a set's user data from its creation */
			struct nft_tok *c = nft_next(ps);

			if (!s->handle && !s->comment)
				s->comment = nft_tok_str(ps, c);
		} else if (nft_accept_kw(ps, "policy")) {
			nft_next(ps);
		} else if (nft_accept_kw(ps, "auto-merge")) {
		} else {
			return nft_syntax_error(ps, nft_peek(ps));
		}
		if (!nft_at_stmt_end(ps))
			return nft_syntax_error(ps, nft_peek(ps));
	}
	struct nft_tok *close = nft_peek(ps);

	if (nft_expect(ps, TK_RBRACE))
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

	if (!nft_accept_tok(ps, TK_LBRACE))
		return nft_syntax_error_expecting(ps, nft_peek(ps), "'{'");
	for (;;) {
		while (nft_peek(ps)->kind == TK_NL || nft_peek(ps)->kind == TK_SEMI)
			nft_next(ps);
		if (nft_peek(ps)->kind == TK_RBRACE)
			break;
		if (nft_accept_kw(ps, "type")) {
			struct nft_tok *n = nft_next(ps);

			if (n->kind != TK_STRING)
				return nft_syntax_error(ps, n);
			if (n->len == 0 || n->len > 15) {
				nft_error(ps, &n->loc, NULL, "invalid helper name");
				return -EINVAL;
			}
			memcpy(o->helper, n->s, n->len);
			if (nft_expect_kw(ps, "protocol"))
				return -EINVAL;
			struct nft_tok *p = nft_next(ps);

			if (nft_tok_is(p, "tcp"))
				o->l4proto = 6;
			else if (nft_tok_is(p, "udp"))
				o->l4proto = 17;
			else
				return nft_syntax_error(ps, p);
			have_type = true;
		} else if (nft_accept_kw(ps, "l3proto")) {
			struct nft_tok *p = nft_next(ps);

			if (nft_tok_is(p, "ip"))
				o->l3proto = NFT_FAM_IP;
			else if (nft_tok_is(p, "ip6"))
				o->l3proto = NFT_FAM_IP6;
			else if (nft_tok_is(p, "inet"))
				o->l3proto = NFT_FAM_INET;
			else
				return nft_syntax_error(ps, p);
			if (t->family != NFT_FAM_INET && o->l3proto != t->family) {
				nft_error(ps, &p->loc, NULL,
					  "Could not process rule: Operation not supported");
				return -EINVAL;
			}
		} else {
			return nft_syntax_error(ps, nft_peek(ps));
		}
		if (!nft_at_stmt_end(ps))
			return nft_syntax_error(ps, nft_peek(ps));
	}
	struct nft_tok *close = nft_peek(ps);

	if (nft_expect(ps, TK_RBRACE))
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
			struct nft_tok n;

			if (nft_name_at(ps, i + 1, &n) && !add_chain(ps, t, nft_tok_str(ps, &n), &n.loc))
				return -EINVAL;
		}
	}
	return 0;
}

static int parse_table_block(struct nft_pstate *ps, struct nft_table *t)
{
	struct nft_pending *first = NULL, **otail = ps->pending_tail;

	if (nft_expect(ps, TK_LBRACE))
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
	return nft_expect(ps, TK_RBRACE);
}

static int parse_table_items(struct nft_pstate *ps, struct nft_table *t)
{
	for (;;) {
		while (nft_peek(ps)->kind == TK_NL || nft_peek(ps)->kind == TK_SEMI)
			nft_next(ps);
		struct nft_tok *k = nft_peek(ps);
		struct nft_loc nl;
		const char *name;

		if (k->kind == TK_RBRACE)
			break;
		if (nft_accept_kw(ps, "chain")) {
			name = nft_parse_name(ps, &nl);
			if (!name)
				return -EINVAL;
			struct nft_chain *c = add_chain(ps, t, name, &nl);

			if (!c || nft_expect(ps, TK_LBRACE) || parse_chain_spec(ps, t, c, true) ||
			    nft_expect(ps, TK_RBRACE))
				return -EINVAL;
		} else if (nft_accept_kw(ps, "set") || nft_accept_kw(ps, "map")) {
			bool is_map = nft_tok_is(k, "map");

			name = nft_parse_name(ps, &nl);
			if (!name)
				return -EINVAL;
			struct nft_set *s = add_set(ps, t, name, &nl, is_map);

			if (!s || parse_set_body(ps, t, s, is_map))
				return -EINVAL;
		} else if (nft_accept_kw(ps, "ct")) {
			if (nft_expect_kw(ps, "helper"))
				return -EINVAL;
			name = nft_parse_name(ps, &nl);
			if (!name || add_ct_helper(ps, t, name))
				return -EINVAL;
		} else if (nft_accept_kw(ps, "comment")) {
			if (nft_peek(ps)->kind != TK_STRING)
				return nft_syntax_error(ps, nft_peek(ps));
			t->comment = nft_tok_str(ps, nft_next(ps));
		} else {
			return nft_syntax_error(ps, k);
		}
		if (!nft_at_stmt_end(ps))
			return nft_syntax_error(ps, nft_peek(ps));
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
	size_t cmd_first =
	    ps->pos > 0 && !nft_tok_is(nft_peek(ps), "table") ? ps->pos - 1 : ps->pos;
	struct nft_tok *what = nft_next(ps);
	struct nft_loc nl;
	uint8_t fam;
	struct nft_table *t;
	const char *name;

	if (nft_tok_is(what, "table")) {
		if (parse_family(ps, &fam))
			return -EINVAL;
		name = nft_parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		if (create && nft_table_find(ps->rs, fam, name)) {
			nft_error(ps, &nl, NULL, "Could not process rule: File exists");
			return -EEXIST;
		}
		t = add_table(ps, fam, name);
		if (!t)
			return -ENOMEM;
		if (nft_peek(ps)->kind == TK_LBRACE)
			return parse_table_block(ps, t);
		return 0;
	}
	if (nft_tok_is(what, "chain")) {
		t = get_table(ps, &fam, &nl, BY_CACHE);
		if (!t)
			return -EINVAL;
		name = nft_parse_name(ps, &nl);
		if (!name)
			return -EINVAL;
		struct nft_chain *c = add_chain(ps, t, name, &nl);

		if (!c)
			return -EINVAL;
		return chain_body(ps, t, c, false);
	}
	if (nft_tok_is(what, "rule")) {
		t = get_table(ps, &fam, &nl, BY_KERNEL);
		if (!t)
			return -EINVAL;
		int err;
		struct nft_chain *c = named_chain(ps, t, &nl, true, &err);

		if (!c)
			return err;
		struct nft_rule *ref = NULL;
		struct nft_tok *pk = nft_peek(ps);

		if (nft_accept_kw(ps, "position") || nft_accept_kw(ps, "handle") ||
		    nft_accept_kw(ps, "index")) {
			uint64_t n;
			struct nft_tok *nt = nft_peek(ps);

			if (!nft_parse_u64(nt, &n))
				return nft_syntax_error(ps, nt);
			nft_next(ps);
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
		struct nft_rule *r = nft_parse_rule(ps);

		if (!r)
			return -EINVAL;
		r->cmd_loc = nft_loc_join(&ps->tk->v[cmd_first].loc, &r->loc);
		/* nft's command location takes in the terminating newline */
		if (nft_peek(ps)->kind == TK_NL && nft_peek(ps)->loc.line == r->cmd_loc.line)
			r->cmd_loc.c2 = nft_peek(ps)->loc.c2;
		if (nft_check_rule(ps, t, c, r))
			return -EINVAL;
		nft_chain_link(c, r, ref, insert);
		return 0;
	}
	if (nft_tok_is(what, "set") || nft_tok_is(what, "map")) {
		t = get_table(ps, &fam, &nl, BY_CACHE);
		if (!t)
			return -EINVAL;
		name = nft_parse_name(ps, &nl);
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
		t = get_table(ps, &fam, &nl, BY_CACHE);
		if (!t)
			return -EINVAL;
		int err;
		struct nft_set *s = named_set(ps, t, &nl, false, &err);

		if (!s)
			return err;
		if (nft_peek(ps)->kind != TK_LBRACE)
			return nft_syntax_error(ps, nft_peek(ps));
		struct nft_expr *lit = nft_parse_setlit(ps);

		return lit ? nft_check_set_elems(ps, t, s, lit, true) : -EINVAL;
	}
	if (nft_tok_is(what, "ct")) {
		if (nft_expect_kw(ps, "helper"))
			return -EINVAL;
		t = get_table(ps, &fam, &nl, BY_CACHE);
		if (!t)
			return -EINVAL;
		name = nft_parse_name(ps, &nl);
		if (!name || add_ct_helper(ps, t, name))
			return -EINVAL;
		if (!t->objs_tail->handle)
			t->objs_tail->handle = ++t->next_handle;
		return 0;
	}
	return nft_syntax_error(ps, what);
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
	struct nft_tok *what = nft_next(ps);
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
		t = get_table(ps, &fam, &nl, BY_KERNEL_TABLE);
		if (!t)
			return -EINVAL;
		if (del)
			return unlink_table(ps, t);
		for (struct nft_chain *c = t->chains; c; c = c->next)
			chain_unlink_rules(c);
		return 0;
	}
	if (nft_tok_is(what, "chain")) {
		t = get_table(ps, &fam, &nl, BY_KERNEL);
		if (!t)
			return -EINVAL;
		int err;
		struct nft_chain *c = named_chain(ps, t, &nl, false, &err);

		if (!c)
			return err;
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
		/* nft looks up the set of a flush, the kernel that of a delete */
		t = get_table(ps, &fam, &nl, del ? BY_KERNEL : BY_CACHE);
		if (!t)
			return -EINVAL;
		int err;
		struct nft_set *s = named_set(ps, t, &nl, del, &err);

		if (!s)
			return err;
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
		t = get_table(ps, &fam, &nl, BY_KERNEL);
		if (!t)
			return -EINVAL;
		int err;
		struct nft_chain *c = named_chain(ps, t, &nl, true, &err);
		struct nft_tok *h;
		uint64_t n;

		if (!c)
			return err;
		if (nft_expect_kw(ps, "handle"))
			return -EINVAL;
		h = nft_peek(ps);
		if (!nft_parse_u64(h, &n))
			return nft_syntax_error(ps, h);
		nft_next(ps);
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
	if (del && nft_tok_is(what, "ct")) {
		if (nft_expect_kw(ps, "helper"))
			return -EINVAL;
		t = get_table(ps, &fam, &nl, BY_KERNEL);
		if (!t)
			return -EINVAL;
		const char *name = nft_parse_name(ps, &nl);
		struct nft_obj **pp = &t->objs, *prev = NULL;

		if (!name)
			return -EINVAL;
		while (*pp && strcmp((*pp)->name, name))
			prev = *pp, pp = &(*pp)->next;
		if (!*pp)
			return nft_missing_obj(ps, name, &nl);
		if (nft_obj_referenced(t, *pp)) {
			nft_error(ps, &nl, NULL, "Could not process rule: Device or resource busy");
			return -EBUSY;
		}
		if (t->objs_tail == *pp)
			t->objs_tail = prev;
		*pp = (*pp)->next;
		return 0;
	}
	if (del && nft_tok_is(what, "element")) {
		t = get_table(ps, &fam, &nl, BY_CACHE);
		if (!t)
			return -EINVAL;
		int err;
		struct nft_set *s = named_set(ps, t, &nl, false, &err);

		if (!s)
			return err;
		if (nft_peek(ps)->kind != TK_LBRACE)
			return nft_syntax_error(ps, nft_peek(ps));
		struct nft_expr *lit = nft_parse_setlit(ps);

		return lit ? nft_set_delete_elems(ps, t, s, lit) : -EINVAL;
	}
	return nft_syntax_error(ps, what);
}

static int cmd_define(struct nft_pstate *ps)
{
	const char *name = nft_parse_name_as(ps, NULL, "string", 0);
	struct nft_define *d;

	if (!name)
		return -EINVAL;
	if (nft_expect(ps, TK_ASSIGN))
		return -EINVAL;
	d = nft_alloc(ps->a, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->name = name;
	d->nlen = (uint32_t)strlen(name);
	for (size_t i = 0; i < ps->nsrc; i++)
		if (&ps->srcs[i].toks == ps->tk)
			d->src = (uint16_t)i;
	d->first = ps->pos;
	int depth = 0;

	while (nft_peek(ps)->kind != TK_EOF) {
		enum nft_tok_kind k = nft_peek(ps)->kind;

		if (k == TK_LBRACE)
			depth++;
		else if (k == TK_RBRACE)
			depth--;
		else if (depth <= 0 && (k == TK_NL || k == TK_SEMI))
			break;
		if (depth <= 0 && k == TK_NL)
			break;
		nft_next(ps);
	}
	d->end = ps->pos;
	if (d->end == d->first)
		return nft_syntax_error(ps, nft_peek(ps));
	d->next = ps->defines;
	ps->defines = d;
	return 0;
}

static int parse_commands(struct nft_pstate *ps);

static int cmd_include(struct nft_pstate *ps)
{
	struct nft_tok *f = nft_next(ps);
	const struct nft_config *cfg = &ps->rs->cfg;
	char name[4096];
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (f->kind != TK_STRING)
		return nft_syntax_error(ps, f);
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
	struct nft_tok *t = nft_peek(ps);

	if (nft_accept_kw(ps, "add"))
		return cmd_add(ps, false, false);
	if (nft_accept_kw(ps, "create"))
		return cmd_add(ps, false, true);
	if (nft_accept_kw(ps, "insert"))
		return cmd_add(ps, true, false);
	if (nft_accept_kw(ps, "flush"))
		return cmd_flush_delete(ps, false);
	if (nft_accept_kw(ps, "delete") || nft_accept_kw(ps, "destroy"))
		return cmd_flush_delete(ps, true);
	if (nft_accept_kw(ps, "define") || nft_accept_kw(ps, "redefine"))
		return cmd_define(ps);
	if (nft_accept_kw(ps, "include"))
		return cmd_include(ps);
	if (nft_is_kw(ps, "table"))
		return cmd_add(ps, false, false);
	if (nft_is_kw(ps, "chain") || nft_is_kw(ps, "rule") || nft_is_kw(ps, "set") ||
	    nft_is_kw(ps, "map") || nft_is_kw(ps, "element"))
		return cmd_add(ps, false, false);
	if (nft_is_kw(ps, "list")) {
		nft_error(ps, &t->loc, NULL, "list commands are not supported in scripts");
		return -EINVAL;
	}
	return nft_syntax_error(ps, t);
}

static int parse_commands(struct nft_pstate *ps)
{
	for (;;) {
		while (nft_peek(ps)->kind == TK_NL || nft_peek(ps)->kind == TK_SEMI)
			nft_next(ps);
		if (nft_peek(ps)->kind == TK_EOF || ps->pos >= ps->end)
			return 0;
		if (parse_command(ps) || ps->failed || ps->a->failed) {
			if (!ps->failed)
				nft_error(ps, &nft_peek(ps)->loc, NULL, "out of memory");
			return -EINVAL;
		}
		if (!nft_at_stmt_end(ps) || nft_peek(ps)->kind == TK_RBRACE)
			return nft_syntax_error(ps, nft_peek(ps));
	}
}

int nft_parse_script(struct nft_pstate *ps, uint16_t src)
{
	ps->tk = &ps->srcs[src].toks;
	ps->pos = 0;
	ps->end = ps->tk->n - 1;
	return parse_commands(ps);
}
