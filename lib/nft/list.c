/* SPDX-License-Identifier: MIT */
/*
 * nft's list commands (`list ruleset`, `list tables`, `list table`, `list
 * chains`, `list chain`, `list sets`, `list set`, `list maps`, `list map`,
 * `list counters`, `list counter`, `list ct helpers`, `list ct helper`):
 * read from the command line as nft's grammar reads them, checked against the
 * ruleset, then printed as text (print.c) or JSON (json.c).
 *
 * As in nft, every command of a line is parsed, then every one is checked
 * (each missing name gives its own "No such file or directory"), and only a
 * line without errors prints anything.  nft looks names up in a cache that
 * holds only what the command lists, except for object commands (`list
 * counter`, `list ct helper`, `... table NAME` of sets, counters and
 * helpers), whose cache holds every table and object: only those get nft's
 * "did you mean" hints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

enum list_what {
	LW_RULESET = 1,
	LW_TABLES,
	LW_TABLE,
	LW_CHAINS,
	LW_CHAIN,
	LW_SETS,
	LW_SET,
	LW_MAPS,
	LW_MAP,
	LW_OBJS, /* counters, quotas, limits, secmarks, synproxys: none here */
	LW_OBJ,	 /* counter, quota, ..., ct timeout, ct expectation: none here */
	LW_HELPERS,
	LW_HELPER,
	LW_METERS, /* none here */
	LW_METER,
	LW_FLOWTABLES, /* none here */
	LW_FLOWTABLE,
};

/* A family the grammar knows but the engine has no tables of (arp, bridge, netdev). */
#define FAM_OTHER 0xff

struct list_cmd {
	uint8_t what;	/* enum list_what */
	uint8_t family; /* 0: every family (a ruleset spec without one) */
	bool by_table;	/* `list sets table ...` and the like */
	const char *table, *name;
	struct nft_loc table_loc, name_loc;
};

#define MAX_CMDS 16

/* ---- parsing ---- */

/* Is this token a word nft's scanner reads as a keyword (lex.c's table)? */
static bool keyword(const struct nft_tok *t)
{
	const char *op;

	return t->kind == TK_IDENT && nft_word_is_keyword(t->s, t->len, 0, &op);
}

/* "syntax error, unexpected X[, expecting Y]" as nft's parser words it. */
static int syntax(struct nft_pstate *ps, const struct nft_tok *t, const char *expecting)
{
	char what[64];
	struct nft_loc loc = t->loc;

	switch (t->kind) {
	case TK_NL:
		snprintf(what, sizeof(what), "newline");
		break;
	case TK_SEMI:
		snprintf(what, sizeof(what), "semicolon");
		break;
	case TK_EOF:
		snprintf(what, sizeof(what), "end of file");
		break;
	case TK_IDENT:
		if (keyword(t))
			snprintf(what, sizeof(what), "%.*s", (int)(t->len < 40 ? t->len : 40),
				 t->s);
		else
			snprintf(what, sizeof(what), "string");
		break;
	case TK_NUM:
		snprintf(what, sizeof(what), "number");
		break;
	case TK_STRING:
		snprintf(what, sizeof(what), "quoted string");
		break;
	case TK_AT:
	case TK_VAR:
		/* nft's scanner stops after the sigil */
		snprintf(what, sizeof(what), "%c", t->s[-1]);
		loc.c2 = loc.c1;
		break;
	default:
		snprintf(what, sizeof(what), "'%c'", t->len ? t->s[0] : '?');
		break;
	}
	if (expecting)
		nft_error(ps, &loc, NULL, "syntax error, unexpected %s, expecting %s", what,
			  expecting);
	else
		nft_error(ps, &loc, NULL, "syntax error, unexpected %s", what);
	return -EINVAL;
}

/* An optional family keyword: 0 when absent. */
static uint8_t parse_family(struct nft_pstate *ps)
{
	static const struct {
		const char *n;
		uint8_t fam;
	} fams[] = {{"ip", NFT_FAM_IP}, {"ip6", NFT_FAM_IP6},  {"inet", NFT_FAM_INET},
		    {"arp", FAM_OTHER}, {"bridge", FAM_OTHER}, {"netdev", FAM_OTHER}};

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		if (nft_accept_kw(ps, fams[i].n))
			return fams[i].fam;
	return 0;
}

/* A table, chain, set or object name: a plain word (not a keyword, not quoted). */
static int parse_name(struct nft_pstate *ps, const char **name, struct nft_loc *loc)
{
	struct nft_tok *t = nft_peek(ps);

	if (t->kind != TK_IDENT || keyword(t))
		return syntax(ps, t, "string");
	nft_next(ps);
	*name = nft_tok_str(ps, t);
	*loc = t->loc;
	return *name ? 0 : -ENOMEM;
}

/* [FAMILY] TABLE [NAME]: a named table's family defaults to ip. */
static int parse_spec(struct nft_pstate *ps, struct list_cmd *c, bool with_name)
{
	c->family = parse_family(ps);
	if (!c->family)
		c->family = NFT_FAM_IP;
	c->by_table = true;
	if (parse_name(ps, &c->table, &c->table_loc))
		return -EINVAL;
	if (with_name && parse_name(ps, &c->name, &c->name_loc))
		return -EINVAL;
	return 0;
}

/* `... table [FAMILY] NAME` or a ruleset spec `[FAMILY]`. */
static int parse_ruleset_or_table(struct nft_pstate *ps, struct list_cmd *c)
{
	if (nft_accept_kw(ps, "table"))
		return parse_spec(ps, c, false);
	c->family = parse_family(ps);
	return 0;
}

static int parse_one(struct nft_pstate *ps, struct list_cmd *c)
{
	struct nft_tok *t = nft_peek(ps);

	memset(c, 0, sizeof(*c));
	if (!nft_accept_kw(ps, "list"))
		return syntax(ps, t, NULL);
	/* what a word lists, and what follows it */
	static const struct {
		const char *w;
		uint8_t what;
		uint8_t spec; /* 0 [FAMILY], 1 [FAMILY] TABLE, 2 [FAMILY] TABLE NAME,
			       * 3 [FAMILY] or table [FAMILY] TABLE */
	} words[] = {
	    {"ruleset", LW_RULESET, 0},
	    {"tables", LW_TABLES, 0},
	    {"table", LW_TABLE, 1},
	    {"chains", LW_CHAINS, 0},
	    {"chain", LW_CHAIN, 2},
	    {"sets", LW_SETS, 3},
	    {"set", LW_SET, 2},
	    {"maps", LW_MAPS, 0},
	    {"map", LW_MAP, 2},
	    {"counters", LW_OBJS, 3},
	    {"counter", LW_OBJ, 2},
	    {"quotas", LW_OBJS, 3},
	    {"quota", LW_OBJ, 2},
	    {"limits", LW_OBJS, 3},
	    {"limit", LW_OBJ, 2},
	    {"secmarks", LW_OBJS, 3},
	    {"secmark", LW_OBJ, 2},
	    {"synproxys", LW_OBJS, 3},
	    {"synproxy", LW_OBJ, 2},
	    {"meters", LW_METERS, 0},
	    {"meter", LW_METER, 2},
	    {"flowtables", LW_FLOWTABLES, 0},
	    {"flowtable", LW_FLOWTABLE, 2},
	};

	t = nft_peek(ps);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!nft_accept_kw(ps, words[i].w))
			continue;
		c->what = words[i].what;
		switch (words[i].spec) {
		case 0:
			c->family = parse_family(ps);
			return 0;
		case 1:
			return parse_spec(ps, c, false);
		case 2:
			return parse_spec(ps, c, true);
		default:
			return parse_ruleset_or_table(ps, c);
		}
	}
	if (nft_accept_kw(ps, "ct")) {
		t = nft_peek(ps);
		if (nft_accept_kw(ps, "helper")) {
			c->what = LW_HELPER;
			return parse_spec(ps, c, true);
		}
		if (nft_accept_kw(ps, "timeout") || nft_accept_kw(ps, "expectation")) {
			c->what = LW_OBJ;
			return parse_spec(ps, c, true);
		}
		if (nft_accept_kw(ps, "helpers")) {
			c->what = LW_HELPERS;
			if (!nft_is_kw(ps, "table"))
				return syntax(ps, nft_peek(ps), "table");
			nft_next(ps);
			return parse_spec(ps, c, false);
		}
		return syntax(ps, t, "timeout or expectation or helper or helpers");
	}
	return syntax(ps, t, NULL);
}

/* Commands separated by ';' or newlines, as nft reads a command line. */
static int parse_line(struct nft_pstate *ps, struct list_cmd *cmds, size_t *n)
{
	*n = 0;
	for (;;) {
		while (nft_peek(ps)->kind == TK_NL || nft_peek(ps)->kind == TK_SEMI)
			nft_next(ps);
		if (nft_peek(ps)->kind == TK_EOF)
			break;
		if (*n == MAX_CMDS) {
			nft_error(ps, &nft_peek(ps)->loc, NULL, "too many list commands");
			return -EINVAL;
		}
		if (parse_one(ps, &cmds[*n]))
			return -EINVAL;
		(*n)++;
		struct nft_tok *t = nft_peek(ps);

		if (t->kind != TK_NL && t->kind != TK_SEMI && t->kind != TK_EOF)
			return syntax(ps, t, "end of file or newline or semicolon");
	}
	if (!*n)
		return syntax(ps, nft_peek(ps), NULL);
	return 0;
}

/* ---- lookups ---- */

static bool fam_match(uint8_t want, uint8_t fam)
{
	return !want || want == fam;
}

static const struct nft_table *find_table(const struct nft_ruleset *rs, uint8_t fam,
					  const char *name)
{
	for (const struct nft_table *t = rs->tables; t; t = t->next)
		if (t->family == fam && !strcmp(t->name, name))
			return t;
	return NULL;
}

static const struct nft_chain *find_chain(const struct nft_table *t, const char *name)
{
	for (const struct nft_chain *c = t->chains; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* A named set (maps: is_map) of t. */
static const struct nft_set *find_set(const struct nft_table *t, const char *name, bool is_map)
{
	for (const struct nft_set *s = t->sets; s; s = s->next)
		if (s->name && s->is_map == is_map && !strcmp(s->name, name))
			return s;
	return NULL;
}

static const struct nft_obj *find_obj(const struct nft_table *t, const char *name)
{
	for (const struct nft_obj *o = t->objs; o; o = o->next)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

/* "No such file or directory" at loc, with nft's hint for object commands. */
static int table_missing(struct nft_pstate *ps, const struct list_cmd *c, bool hint)
{
	const struct nft_table *near = NULL;
	struct nft_misspell ms;

	nft_misspell_init(&ms);
	for (const struct nft_table *t = hint ? ps->rs->tables : NULL; t; t = t->next) {
		if (!strcmp(t->name, c->table)) {
			near = t;
			break;
		}
		if (nft_misspell_update(&ms, t->name, c->table, t->name))
			near = t;
	}
	if (near)
		nft_error(
		    ps, &c->table_loc, NULL,
		    "No such file or directory; did you mean table \xe2\x80\x98%s\xe2\x80\x99 in "
		    "family %s?",
		    near->name, nft_family_name(near->family));
	else
		nft_error(ps, &c->table_loc, NULL, "No such file or directory");
	return -ENOENT;
}

static int obj_missing(struct nft_pstate *ps, const struct list_cmd *c)
{
	const struct nft_table *nt = NULL;
	const struct nft_obj *near = NULL;
	struct nft_misspell ms;
	bool exact = false;

	nft_misspell_init(&ms);

	/* an object of that very name (of another type, or table) wins at once */
	for (const struct nft_table *t = ps->rs->tables; t && !exact; t = t->next)
		for (const struct nft_obj *o = t->objs; o; o = o->next) {
			if (!strcmp(o->name, c->name)) {
				near = o;
				nt = t;
				exact = true;
				break;
			}
			if (nft_misspell_update(&ms, o->name, c->name, o->name)) {
				near = o;
				nt = t;
			}
		}
	if (near)
		nft_error(
		    ps, &c->name_loc, NULL,
		    "No such file or directory; did you mean obj \xe2\x80\x98%s\xe2\x80\x99 in "
		    "table %s \xe2\x80\x98%s\xe2\x80\x99?",
		    near->name, nft_family_name(nt->family), nt->name);
	else
		nft_error(ps, &c->name_loc, NULL, "No such file or directory");
	return -ENOENT;
}

/* No set of that name: nft's hint names the closest set or map of any table. */
static int set_missing(struct nft_pstate *ps, const struct list_cmd *c)
{
	const struct nft_table *nt = NULL;
	const struct nft_set *near = NULL;
	struct nft_misspell ms;
	bool exact = false;

	nft_misspell_init(&ms);

	/* a set of that very name in another table wins at once */
	for (const struct nft_table *t = ps->rs->tables; t && !exact; t = t->next)
		for (const struct nft_set *s = t->sets; s; s = s->next) {
			if (!s->name)
				continue;
			if (!strcmp(s->name, c->name)) {
				near = s;
				nt = t;
				exact = true;
				break;
			}
			if (nft_misspell_update(&ms, s->name, c->name, s->name)) {
				near = s;
				nt = t;
			}
		}
	if (near)
		nft_error(
		    ps, &c->name_loc, NULL,
		    "No such file or directory; did you mean %s \xe2\x80\x98%s\xe2\x80\x99 in "
		    "table %s \xe2\x80\x98%s\xe2\x80\x99?",
		    near->is_map ? "map" : "set", near->name, nft_family_name(nt->family),
		    nt->name);
	else
		nft_error(ps, &c->name_loc, NULL, "No such file or directory");
	return -ENOENT;
}

/* Does everything the command names exist?  Reports what does not. */
static int check_cmd(struct nft_pstate *ps, const struct list_cmd *c)
{
	const struct nft_ruleset *rs = ps->rs;
	const struct nft_table *t;
	/* the commands whose cache holds every table: nft's hints */
	bool objects = c->what == LW_OBJS || c->what == LW_OBJ || c->what == LW_HELPERS ||
		       c->what == LW_HELPER || c->what == LW_SETS || c->what == LW_METER;

	if (!c->by_table)
		return 0;
	t = find_table(rs, c->family, c->table);
	if (!t)
		return table_missing(ps, c, objects);
	switch (c->what) {
	case LW_CHAIN:
		if (!find_chain(t, c->name))
			goto no_name;
		return 0;
	case LW_SET:
	case LW_MAP:
		if (!find_set(t, c->name, c->what == LW_MAP))
			goto no_name;
		return 0;
	case LW_OBJ:
		/* the engine has no counter, quota, limit ... objects */
		return obj_missing(ps, c);
	case LW_METER:
		/* nor meters: a set of that name is no meter */
		if (find_set(t, c->name, false) || find_set(t, c->name, true))
			goto no_name;
		return set_missing(ps, c);
	case LW_FLOWTABLE:
		goto no_name;
	case LW_HELPER:
		if (!find_obj(t, c->name))
			return obj_missing(ps, c);
		return 0;
	default:
		return 0;
	}
no_name:
	nft_error(ps, &c->name_loc, NULL, "No such file or directory");
	return -ENOENT;
}

/* ---- output ---- */

static bool table_wanted(const struct list_cmd *c, const struct nft_table *t)
{
	/*
	 * nft 1.0.6 checks that the table of `list sets table F T` exists, then
	 * lists the sets of every table of family F
	 */
	if (c->what == LW_SETS)
		return fam_match(c->family, t->family);
	if (c->by_table)
		return t->family == c->family && !strcmp(t->name, c->table);
	return fam_match(c->family, t->family);
}

static void text_cmd(struct nft_sbuf *b, const struct nft_ruleset *rs, const struct list_cmd *c,
		     unsigned flags)
{
	for (const struct nft_table *t = rs->tables; t; t = t->next) {
		const char *fam = nft_family_name(t->family);

		if (!table_wanted(c, t))
			continue;
		switch (c->what) {
		case LW_RULESET:
		case LW_TABLE:
			nft_print_table(b, t, flags);
			continue;
		case LW_TABLES:
			nft_sb_printf(b, "table %s %s\n", fam, t->name);
			continue;
		case LW_OBJS:
		case LW_HELPERS:
			/* nft lists only the tables that have objects */
			if (!t->objs)
				continue;
			break;
		default:
			break;
		}
		nft_sb_printf(b, "table %s %s {\n", fam, t->name);
		switch (c->what) {
		case LW_CHAINS:
			for (const struct nft_chain *ch = t->chains; ch; ch = ch->next) {
				nft_print_chain_decl(b, ch, flags);
				nft_sb_puts(b, "\t}\n");
			}
			break;
		case LW_CHAIN:
			nft_print_chain(b, t, find_chain(t, c->name), flags);
			break;
		case LW_SETS:
		case LW_MAPS:
			for (const struct nft_set *s = t->sets; s; s = s->next)
				if (s->name && s->is_map == (c->what == LW_MAPS))
					nft_print_set(b, s, flags);
			break;
		case LW_SET:
		case LW_MAP:
			nft_print_set(b, find_set(t, c->name, c->what == LW_MAP), flags);
			break;
		case LW_HELPERS:
		case LW_HELPER:
			for (const struct nft_obj *o = t->objs; o; o = o->next)
				if (c->what == LW_HELPERS || !strcmp(o->name, c->name))
					nft_print_ct_helper(b, o, flags);
			break;
		default:
			break;
		}
		nft_sb_puts(b, "}\n");
	}
}

static void json_cmd(struct nft_sbuf *b, const struct nft_ruleset *rs, const struct list_cmd *c,
		     unsigned flags)
{
	nft_json_begin(b);
	for (const struct nft_table *t = rs->tables; t; t = t->next) {
		if (!table_wanted(c, t))
			continue;
		switch (c->what) {
		case LW_RULESET:
		case LW_TABLE:
			nft_json_table_full(b, t, flags);
			break;
		case LW_TABLES:
			nft_json_table(b, t);
			break;
		case LW_CHAINS:
			for (const struct nft_chain *ch = t->chains; ch; ch = ch->next)
				nft_json_chain(b, t, ch);
			break;
		case LW_CHAIN: {
			const struct nft_chain *ch = find_chain(t, c->name);

			nft_json_chain(b, t, ch);
			nft_json_rules(b, t, ch, flags);
			break;
		}
		case LW_SETS:
		case LW_MAPS:
			for (const struct nft_set *s = t->sets; s; s = s->next)
				if (s->name && s->is_map == (c->what == LW_MAPS))
					nft_json_set(b, t, s, flags);
			break;
		case LW_SET:
		case LW_MAP:
			nft_json_set(b, t, find_set(t, c->name, c->what == LW_MAP), flags);
			break;
		case LW_HELPERS:
		case LW_HELPER:
			for (const struct nft_obj *o = t->objs; o; o = o->next)
				if (c->what == LW_HELPERS || !strcmp(o->name, c->name))
					nft_json_ct_helper(b, t, o);
			break;
		default:
			/* counters, quotas, meters, flowtables ...: the engine has none */
			break;
		}
	}
	nft_json_end(b);
}

/*
 * Read the command line in ps->srcs[0] and check every command; each error
 * is reported (nft reports all of them), the first one's code returned.
 */
static int read_cmds(struct nft_pstate *ps, struct list_cmd *cmds, size_t *n)
{
	int rc = nft_lex(ps->srcs[0].buf, ps->srcs[0].len, 0, &ps->srcs[0].toks);

	*n = 0;
	if (rc)
		return rc;
	ps->tk = &ps->srcs[0].toks;
	ps->end = ps->tk->n - 1;
	rc = parse_line(ps, cmds, n);
	if (rc)
		return rc;
	for (size_t i = 0; i < *n && !ps->a->failed; i++) {
		int e;

		ps->failed = false;
		e = check_cmd(ps, &cmds[i]);
		if (e && !rc)
			rc = e;
	}
	if (!rc && ps->a->failed)
		rc = -ENOMEM;
	return rc;
}

int nft_ruleset_list_cmd(const struct nft_ruleset *rs, const char *cmd, unsigned flags, char **out,
			 char **err)
{
	struct nft_pstate *ps = calloc(1, sizeof(*ps));
	struct nft_arena arena = {0};
	struct list_cmd cmds[MAX_CMDS];
	struct nft_sbuf b = {0};
	size_t n = 0, len = strlen(cmd);
	char *buf = malloc(len + 2);
	int rc;

	*out = NULL;
	if (err)
		*err = NULL;
	if (!ps || !buf) {
		free(ps);
		free(buf);
		return -ENOMEM;
	}
	/* nft ends its command line with a newline: "unexpected newline" points past the end */
	memcpy(buf, cmd, len);
	buf[len] = '\n';
	buf[len + 1] = 0;
	/* the parser state wants a writable ruleset; listing never changes it */
	ps->rs = (struct nft_ruleset *)rs;
	ps->a = &arena;
	ps->srcs[0].name = "";
	ps->srcs[0].buf = buf;
	ps->srcs[0].len = len + 1;
	ps->nsrc = 1;
	rc = read_cmds(ps, cmds, &n);
	/* only a line without errors prints anything */
	for (size_t i = 0; !rc && i < n; i++) {
		if (flags & NFT_LIST_JSON)
			json_cmd(&b, rs, &cmds[i], flags);
		else
			text_cmd(&b, rs, &cmds[i], flags);
	}
	nft_sb_puts(&b, "");
	if (!rc && b.oom)
		rc = -ENOMEM;
	if (rc) {
		free(b.s);
		if (err && ps->err.s) {
			*err = ps->err.s;
			ps->err.s = NULL;
		}
	} else {
		*out = b.s;
	}
	free(ps->err.s);
	free(ps->srcs[0].toks.v);
	free(ps);
	free(buf);
	nft_arena_free(&arena);
	return rc;
}
