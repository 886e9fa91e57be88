/* SPDX-License-Identifier: MIT */
/*
 * The public ruleset API.  A script is applied all or nothing by building a
 * new ruleset - the scripts accepted so far replayed, then the new one - and
 * swapping it in only when everything was accepted.  Replaying keeps the
 * model simple (no undo log) at the cost of re-parsing on each change, which
 * is what a control plane does rarely; a script that flushes the ruleset
 * ends the history replayed.  Rules that survive an apply keep their
 * counters and limit / ct count state, as in the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"
#include "vm.h"

/*
 * The interface list is copied: a ruleset outlives the configuration it was
 * made from (ctrackd builds its list on the stack), and every apply reads it.
 */
int nft_ruleset_new(const struct nft_config *cfg, struct nft_ruleset **out)
{
	struct nft_ruleset *rs = calloc(1, sizeof(*rs));
	size_t names = 0;

	if (!rs)
		return -ENOMEM;
	if (cfg)
		rs->cfg = *cfg;
	if (cfg && cfg->ifaces && cfg->n_ifaces) {
		for (size_t i = 0; i < cfg->n_ifaces; i++)
			names += strlen(cfg->ifaces[i].name) + 1;
		rs->own_ifaces = calloc(cfg->n_ifaces, sizeof(*rs->own_ifaces));
		rs->own_names = malloc(names);
		if (!rs->own_ifaces || !rs->own_names) {
			free(rs->own_ifaces);
			free(rs->own_names);
			free(rs);
			return -ENOMEM;
		}
		names = 0;
		for (size_t i = 0; i < cfg->n_ifaces; i++) {
			size_t n = strlen(cfg->ifaces[i].name) + 1;

			memcpy(rs->own_names + names, cfg->ifaces[i].name, n);
			rs->own_ifaces[i].name = rs->own_names + names;
			rs->own_ifaces[i].index = cfg->ifaces[i].index;
			names += n;
		}
		rs->cfg.ifaces = rs->own_ifaces;
	}
	*out = rs;
	return 0;
}

static void script_free(struct nft_script *sc)
{
	free(sc->name);
	free(sc->buf);
	for (size_t k = 0; k < sc->ninc; k++) {
		free(sc->incs[k].name);
		free(sc->incs[k].buf);
	}
	free(sc->incs);
	for (size_t k = 0; k < sc->nburns; k++)
		free(sc->burns[k].name);
	free(sc->burns);
	memset(sc, 0, sizeof(*sc));
}

static void free_contents(struct nft_ruleset *rs)
{
	nft_compiled_free(rs->compiled);
	rs->compiled = NULL;
	nft_arena_free(&rs->arena);
	for (size_t i = 0; i < rs->nscripts; i++)
		script_free(&rs->scripts[i]);
	free(rs->scripts);
	rs->scripts = NULL;
	rs->nscripts = 0;
	rs->tables = rs->tables_tail = NULL;
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	if (!rs)
		return;
	free_contents(rs);
	free(rs->own_ifaces);
	free(rs->own_names);
	free(rs);
}

/*
 * Includes while a script runs: the first time through the caller's loader,
 * each file kept with the script; on replay the kept copies, in the order
 * the script asked for them (a replay parses the same text against the same
 * state, so it asks for the same files in the same order).
 */
struct load_ctx {
	struct nft_config real;
	struct nft_script *sc;
	size_t next;
	bool replay;
};

static char *memdup0(const char *buf, size_t len)
{
	char *c = malloc(len + 1);

	if (c) {
		memcpy(c, buf, len);
		c[len] = 0;
	}
	return c;
}

static int ctx_load(void *arg, const char *name, char **buf, size_t *len)
{
	struct load_ctx *x = arg;
	struct nft_script *sc = x->sc;

	if (x->replay) {
		if (x->next >= sc->ninc || strcmp(sc->incs[x->next].name, name))
			return -ENOENT;
		*len = sc->incs[x->next].len;
		*buf = memdup0(sc->incs[x->next].buf, *len);
		x->next++;
		return *buf ? 0 : -ENOMEM;
	}
	int rc = x->real.load(x->real.load_arg, name, buf, len);

	if (rc)
		return rc;
	struct nft_kept_src *v = realloc(sc->incs, (sc->ninc + 1) * sizeof(*v));

	if (!v)
		goto oom;
	sc->incs = v;
	v[sc->ninc].name = strdup(name);
	v[sc->ninc].buf = memdup0(*buf, *len);
	v[sc->ninc].len = *len;
	if (!v[sc->ninc].name || !v[sc->ninc].buf) {
		free(v[sc->ninc].name);
		free(v[sc->ninc].buf);
		goto oom;
	}
	sc->ninc++;
	return 0;
oom:
	free(*buf);
	*buf = NULL;
	return -ENOMEM;
}

/* Handle counters only go up: an aborted transaction's take stays taken. */
static void apply_burns(struct nft_ruleset *rs, const struct nft_script *sc)
{
	if (rs->next_table_handle < sc->burn_table_handle)
		rs->next_table_handle = sc->burn_table_handle;
	for (size_t k = 0; k < sc->nburns; k++)
		for (struct nft_table *t = rs->tables; t; t = t->next)
			if (t->family == sc->burns[k].family && t->handle == sc->burns[k].handle &&
			    !strcmp(t->name, sc->burns[k].name) &&
			    t->next_handle < sc->burns[k].next_handle)
				t->next_handle = sc->burns[k].next_handle;
}

/*
 * The kernel ran the transaction of nrs and aborted it (nft -c, or an error
 * at commit): tables that exist in rs keep the handles it took, and table
 * handles stay taken.  Recorded in rs's history so that replays agree.
 */
static void keep_burns(struct nft_ruleset *rs, const struct nft_ruleset *nrs)
{
	struct nft_script *v = realloc(rs->scripts, (rs->nscripts + 1) * sizeof(*v));
	struct nft_script *sc;

	if (!v)
		return;
	rs->scripts = v;
	sc = &v[rs->nscripts];
	memset(sc, 0, sizeof(*sc));
	sc->burn_table_handle = nrs->next_table_handle;
	for (const struct nft_table *t = rs->tables; t; t = t->next) {
		const struct nft_table *n = nrs->tables;

		while (n && !(n->family == t->family && n->handle == t->handle &&
			      !strcmp(n->name, t->name)))
			n = n->next;
		if (!n || n->next_handle <= t->next_handle)
			continue;
		struct nft_burn *b = realloc(sc->burns, (sc->nburns + 1) * sizeof(*b));

		if (!b)
			break;
		sc->burns = b;
		b[sc->nburns].family = t->family;
		b[sc->nburns].name = strdup(t->name);
		b[sc->nburns].handle = t->handle;
		b[sc->nburns].next_handle = n->next_handle;
		if (!b[sc->nburns].name)
			break;
		sc->nburns++;
	}
	if (!sc->nburns && sc->burn_table_handle <= rs->next_table_handle) {
		script_free(sc);
		return;
	}
	rs->nscripts++;
	apply_burns(rs, sc);
}

/* Run script `idx` of rs (kept already); *flushed: it ran `flush ruleset`. */
static int run_script(struct nft_ruleset *rs, size_t idx, bool replay, bool *flushed, char **err)
{
	struct nft_script *sc = &rs->scripts[idx];
	struct nft_pstate *ps = calloc(1, sizeof(*ps));
	struct load_ctx lx = { .real = rs->cfg, .sc = sc, .replay = replay };
	int rc;

	if (!ps)
		return -ENOMEM;
	if (sc->burns || sc->burn_table_handle) {
		apply_burns(rs, sc);
		free(ps);
		return 0;
	}
	if (rs->cfg.load) {
		rs->cfg.load = ctx_load;
		rs->cfg.load_arg = &lx;
	}
	ps->gen = (uint32_t)idx + 1;
	ps->rs = rs;
	ps->a = &rs->arena;
	ps->srcs[0].name = sc->name;
	ps->srcs[0].buf = sc->buf;
	ps->srcs[0].len = sc->len;
	ps->nsrc = 1;
	rc = nft_lex(sc->buf, sc->len, 0, &ps->srcs[0].toks);
	if (!rc)
		rc = nft_parse_script(ps, 0);
	if (rc || ps->failed) {
		rc = rc ? rc : -EINVAL;
		if (rc != -ENOMEM && !ps->failed)
			rc = -EINVAL;
	}
	rs->cfg = lx.real;
	if (rs->arena.failed)
		rc = -ENOMEM;
	if (rc && err && ps->err.s) {
		*err = ps->err.s;
		ps->err.s = NULL;
	}
	if (flushed)
		*flushed = ps->flushed_ruleset;
	free(ps->err.s);
	for (size_t i = 0; i < ps->nsrc; i++) {
		free(ps->srcs[i].toks.v);
		free(ps->srcs[i].owned);
	}
	free(ps);
	return rc;
}

/* Append a copy of a script (its includes are kept as it runs). */
static int keep_script(struct nft_ruleset *rs, const char *name, const char *buf, size_t len)
{
	struct nft_script *v = realloc(rs->scripts, (rs->nscripts + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	rs->scripts = v;
	memset(&v[rs->nscripts], 0, sizeof(*v));
	v[rs->nscripts].name = strdup(name ? name : "");
	v[rs->nscripts].buf = memdup0(buf, len);
	v[rs->nscripts].len = len;
	if (!v[rs->nscripts].name || !v[rs->nscripts].buf) {
		script_free(&v[rs->nscripts]);
		return -ENOMEM;
	}
	rs->nscripts++;
	return 0;
}

/* A copy of an accepted script with its includes. */
static int copy_script(struct nft_ruleset *rs, const struct nft_script *sc)
{
	int rc = keep_script(rs, sc->name, sc->buf ? sc->buf : "", sc->len);
	struct nft_script *d;

	if (rc)
		return rc;
	d = &rs->scripts[rs->nscripts - 1];
	d->burn_table_handle = sc->burn_table_handle;
	if (sc->nburns) {
		d->burns = calloc(sc->nburns, sizeof(*d->burns));
		if (!d->burns)
			return -ENOMEM;
		for (size_t k = 0; k < sc->nburns; k++) {
			d->burns[k] = sc->burns[k];
			d->burns[k].name = strdup(sc->burns[k].name);
			d->nburns = k + 1;
			if (!d->burns[k].name)
				return -ENOMEM;
		}
	}
	if (!sc->ninc)
		return 0;
	d->incs = calloc(sc->ninc, sizeof(*d->incs));
	if (!d->incs)
		return -ENOMEM;
	for (size_t k = 0; k < sc->ninc; k++) {
		d->incs[k].name = strdup(sc->incs[k].name);
		d->incs[k].buf = memdup0(sc->incs[k].buf, sc->incs[k].len);
		d->incs[k].len = sc->incs[k].len;
		d->ninc = k + 1;
		if (!d->incs[k].name || !d->incs[k].buf)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Is `n` the rule `o` was (same statements)?  Within one table handle a
 * rule handle names one rule for its whole life (nothing here replaces a
 * rule in place), so this is a safety net: the statement kinds and the
 * stateless text must agree.
 */
static bool same_rule(const struct nft_table *nt, const struct nft_rule *n,
		      const struct nft_table *ot, const struct nft_rule *o)
{
	const struct nft_stmt *a = n->stmts, *b = o->stmts;
	struct nft_sbuf sa = { 0 }, sb = { 0 };
	bool same;

	for (; a && b; a = a->next, b = b->next)
		if (a->kind != b->kind)
			return false;
	if (a || b)
		return false;
	nft_print_rule(&sa, nt, n, NFT_LIST_STATELESS);
	nft_print_rule(&sb, ot, o, NFT_LIST_STATELESS);
	same = !sa.oom && !sb.oom && sa.len == sb.len && (!sa.len || !memcmp(sa.s, sb.s, sa.len));
	free(sa.s);
	free(sb.s);
	return same;
}

static void carry_stmt_state(struct nft_stmt *n, const struct nft_stmt *o)
{
	switch (n->kind) {
	case SK_COUNTER:
		n->packets = o->packets;
		n->bytes = o->bytes;
		break;
	case SK_LIMIT:
		n->lim_tokens = o->lim_tokens;
		n->lim_max = o->lim_max;
		n->lim_last = o->lim_last;
		n->lim_started = o->lim_started;
		break;
	case SK_CT_COUNT:
		if (n->cc && o->cc && n->cc->cap == o->cc->cap) {
			n->cc->n = o->cc->n;
			memcpy(n->cc->t, o->cc->t, o->cc->n * sizeof(o->cc->t[0]));
		}
		break;
	default:
		break;
	}
}

/*
 * The kernel changes a ruleset in place: a rule that stays keeps its
 * counter, its limit's token bucket and its ct count list while others come
 * and go.  The ruleset here is rebuilt on every apply, so that state is
 * carried from the old rule to the new one, matched by table (family, name
 * and handle: a table deleted and created again starts afresh, as in the
 * kernel), chain (name and handle) and rule handle.
 */
static void carry_state(struct nft_ruleset *nrs, const struct nft_ruleset *old)
{
	for (struct nft_table *nt = nrs->tables; nt; nt = nt->next) {
		const struct nft_table *ot = old->tables;

		while (ot && !(ot->family == nt->family && ot->handle == nt->handle &&
			       !strcmp(ot->name, nt->name)))
			ot = ot->next;
		if (!ot)
			continue;
		for (struct nft_chain *nc = nt->chains; nc; nc = nc->next) {
			const struct nft_chain *oc = ot->chains;

			while (oc && !(oc->handle == nc->handle && !strcmp(oc->name, nc->name)))
				oc = oc->next;
			if (!oc)
				continue;
			const struct nft_rule *orl = oc->rules;

			for (struct nft_rule *nr = nc->rules; nr; nr = nr->next) {
				const struct nft_rule *o = orl;

				/* rules keep their order: search on from the last match */
				while (o && o->handle != nr->handle)
					o = o->next;
				if (!o) {
					for (o = oc->rules; o && o->handle != nr->handle;)
						o = o->next;
					if (!o)
						continue;
				}
				orl = o->next;
				if (!same_rule(nt, nr, ot, o))
					continue;
				struct nft_stmt *a = nr->stmts;
				const struct nft_stmt *b = o->stmts;

				for (; a && b; a = a->next, b = b->next)
					carry_stmt_state(a, b);
			}
		}
	}
}

int nft_ruleset_apply(struct nft_ruleset *rs, const char *name, const char *buf, size_t len,
		      bool check_only, char **err)
{
	struct nft_ruleset *nrs;
	bool flushed = false;
	uint64_t h0;
	int rc = 0;

	if (err)
		*err = NULL;
	/* the new ruleset borrows rs's configuration (and interface list) */
	nrs = calloc(1, sizeof(*nrs));
	if (!nrs)
		return -ENOMEM;
	nrs->cfg = rs->cfg;
	nrs->base_table_handle = rs->base_table_handle;
	nrs->next_table_handle = rs->base_table_handle;
	for (size_t i = 0; i < rs->nscripts && !rc; i++) {
		rc = copy_script(nrs, &rs->scripts[i]);
		if (!rc)
			rc = run_script(nrs, i, true, NULL, NULL);
	}
	h0 = nrs->next_table_handle;
	if (!rc)
		rc = keep_script(nrs, name, buf, len);
	if (!rc) {
		char *msg = NULL;

		rc = run_script(nrs, nrs->nscripts - 1, false, &flushed, &msg);
		/* check-only, or refused at commit: the kernel saw the transaction */
		if ((!rc && check_only) ||
		    (rc == -EINVAL && msg && strstr(msg, "Error: Could not process rule:")))
			keep_burns(rs, nrs);
		if (err)
			*err = msg;
		else
			free(msg);
	}
	if (!rc && !check_only)
		rc = nft_compile(nrs);
	if (rc || check_only) {
		nft_ruleset_free(nrs);
		return rc;
	}
	/*
	 * A script that flushed the whole ruleset makes the ones before it
	 * irrelevant but for the table handles they used: drop them, so that
	 * a long-running daemon does not replay its whole history each time.
	 */
	if (flushed && nrs->nscripts > 1) {
		size_t last = nrs->nscripts - 1;

		for (size_t i = 0; i < last; i++)
			script_free(&nrs->scripts[i]);
		nrs->scripts[0] = nrs->scripts[last];
		nrs->nscripts = 1;
		nrs->base_table_handle = h0;
		/* rules remember their script's index (gen): renumber */
		for (struct nft_table *t = nrs->tables; t; t = t->next)
			for (struct nft_chain *c = t->chains; c; c = c->next)
				for (struct nft_rule *r = c->rules; r; r = r->next)
					r->gen = 1;
	}
	carry_state(nrs, rs);
	free_contents(rs);
	nrs->cfg = rs->cfg;
	nrs->own_ifaces = rs->own_ifaces;
	nrs->own_names = rs->own_names;
	*rs = *nrs;
	free(nrs);
	return 0;
}

int nft_ruleset_list(const struct nft_ruleset *rs, unsigned flags, char **out)
{
	struct nft_sbuf b = { 0 };

	nft_print_ruleset(&b, rs, flags);
	nft_sb_puts(&b, "");
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	*out = b.s;
	return 0;
}
