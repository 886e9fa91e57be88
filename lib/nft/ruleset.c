/* SPDX-License-Identifier: MIT */
/*
 * The public ruleset API.  A script is applied all or nothing by building a
 * new ruleset - the scripts accepted so far replayed, then the new one - and
 * swapping it in only when everything was accepted.  Replaying keeps the
 * model simple (no undo log) at the cost of re-parsing on each change, which
 * is what a control plane does rarely.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

int nft_ruleset_new(const struct nft_config *cfg, struct nft_ruleset **out)
{
	struct nft_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -ENOMEM;
	if (cfg)
		rs->cfg = *cfg;
	*out = rs;
	return 0;
}

static void free_contents(struct nft_ruleset *rs)
{
	nft_compiled_free(rs->compiled);
	rs->compiled = NULL;
	nft_arena_free(&rs->arena);
	for (size_t i = 0; i < rs->nscripts; i++) {
		free(rs->scripts[i]);
		free(rs->script_names[i]);
	}
	free(rs->scripts);
	free(rs->script_names);
	free(rs->script_lens);
	rs->scripts = rs->script_names = NULL;
	rs->script_lens = NULL;
	rs->nscripts = 0;
	rs->tables = rs->tables_tail = NULL;
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	if (!rs)
		return;
	free_contents(rs);
	free(rs);
}

static int run_script(struct nft_ruleset *rs, const char *name, const char *buf, size_t len,
		      uint32_t gen, char **err)
{
	struct nft_pstate *ps = calloc(1, sizeof(*ps));
	int rc;

	if (!ps)
		return -ENOMEM;
	ps->gen = gen;
	ps->rs = rs;
	ps->a = &rs->arena;
	ps->srcs[0].name = name;
	ps->srcs[0].buf = buf;
	ps->srcs[0].len = len;
	ps->nsrc = 1;
	rc = nft_lex(buf, len, 0, &ps->srcs[0].toks);
	if (!rc)
		rc = nft_parse_script(ps, 0);
	if (rc || ps->failed) {
		rc = rc ? rc : -EINVAL;
		if (rc != -ENOMEM && !ps->failed)
			rc = -EINVAL;
	}
	if (rs->arena.failed)
		rc = -ENOMEM;
	if (rc && err && ps->err.s) {
		*err = ps->err.s;
		ps->err.s = NULL;
	}
	free(ps->err.s);
	for (size_t i = 0; i < ps->nsrc; i++) {
		free(ps->srcs[i].toks.v);
		free(ps->srcs[i].owned);
	}
	free(ps);
	return rc;
}

static int keep_script(struct nft_ruleset *rs, const char *name, const char *buf, size_t len)
{
	size_t n = rs->nscripts + 1;
	char **s = realloc(rs->scripts, n * sizeof(*s));

	if (!s)
		return -ENOMEM;
	rs->scripts = s;
	char **nm = realloc(rs->script_names, n * sizeof(*nm));

	if (!nm)
		return -ENOMEM;
	rs->script_names = nm;
	size_t *l = realloc(rs->script_lens, n * sizeof(*l));

	if (!l)
		return -ENOMEM;
	rs->script_lens = l;
	rs->scripts[rs->nscripts] = malloc(len + 1);
	rs->script_names[rs->nscripts] = strdup(name);
	if (!rs->scripts[rs->nscripts] || !rs->script_names[rs->nscripts]) {
		free(rs->scripts[rs->nscripts]);
		free(rs->script_names[rs->nscripts]);
		return -ENOMEM;
	}
	memcpy(rs->scripts[rs->nscripts], buf, len);
	rs->scripts[rs->nscripts][len] = 0;
	rs->script_lens[rs->nscripts] = len;
	rs->nscripts = n;
	return 0;
}

int nft_ruleset_apply(struct nft_ruleset *rs, const char *name, const char *buf, size_t len,
		      bool check_only, char **err)
{
	struct nft_ruleset *nrs;
	int rc;

	if (err)
		*err = NULL;
	rc = nft_ruleset_new(&rs->cfg, &nrs);
	if (rc)
		return rc;
	for (size_t i = 0; i < rs->nscripts && !rc; i++) {
		rc = keep_script(nrs, rs->script_names[i], rs->scripts[i], rs->script_lens[i]);
		if (!rc)
			rc = run_script(nrs, nrs->script_names[i], nrs->scripts[i],
					nrs->script_lens[i], (uint32_t)i + 1, NULL);
	}
	if (!rc)
		rc = keep_script(nrs, name, buf, len);
	if (!rc)
		rc = run_script(nrs, nrs->script_names[nrs->nscripts - 1],
				nrs->scripts[nrs->nscripts - 1], len, (uint32_t)nrs->nscripts, err);
	if (!rc && !check_only)
		rc = nft_compile(nrs);
	if (rc || check_only) {
		nft_ruleset_free(nrs);
		return rc;
	}
	free_contents(rs);
	struct nft_config cfg = rs->cfg;

	*rs = *nrs;
	rs->cfg = cfg;
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
