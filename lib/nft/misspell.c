/* SPDX-License-Identifier: MIT */
/*
 * "did you mean": when a table, chain, set or variable is missing, nft
 * 1.0.6 names the one whose name is closest, if close enough:
 *
 *   Error: No such file or directory; did you mean set ‘abc’ in table ip ‘t’?
 *
 * Which name it offers is decided by its edit distance, and the distance it
 * computes is not the textbook one: its table is filled with rows one cell
 * too narrow (so a row's last cell is the next row's first) and compares
 * the characters one place to the right (the terminating NUL included).
 * "to" is then 1 away from "s", and every 2- or 3-letter word is offered
 * "s".  A suggestion only matches nft's if it is computed the same way, so
 * this file reproduces that arithmetic (tests/nft/keywords.tsv has the
 * answers of the real nft for hundreds of words).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

/* The distance from `have` (an existing name) to `want` (the missing one). */
static unsigned misspell_distance(const char *have, const char *want)
{
	size_t la = strlen(have), lb = strlen(want);
	unsigned *d = calloc((la + 1) * (lb + 1), sizeof(*d));
	unsigned r;

	if (!d)
		return ~0u;
	/* cell (i, j) lives at i * lb + j: rows overlap, as in nft */
	for (size_t i = 0; i <= la; i++)
		d[i * lb] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			/* have[la] and want[lb] are the NULs */
			unsigned sub = have[i] != want[j];
			unsigned v = d[(i - 1) * lb + j] + 1;

			if (d[i * lb + j - 1] + 1 < v)
				v = d[i * lb + j - 1] + 1;
			if (d[(i - 1) * lb + j - 1] + sub < v)
				v = d[(i - 1) * lb + j - 1] + sub;
			if (i > 1 && j > 1 && have[i] == want[j - 1] && have[i - 1] == want[j] &&
			    d[(i - 2) * lb + j - 2] + sub < v)
				v = d[(i - 2) * lb + j - 2] + sub;
			d[i * lb + j] = v;
		}
	}
	r = d[la * lb + lb];
	free(d);
	return r;
}

void nft_misspell_init(struct nft_misspell *m)
{
	m->obj = NULL;
	m->min = ~0u;
}

/*
 * Offer `have` for `want` if it is close enough for its length and closer
 * than what was offered so far (the first of equals stays).
 */
bool nft_misspell_update(struct nft_misspell *m, const char *have, const char *want,
			 const void *obj)
{
	size_t la = strlen(have), lb = strlen(want);
	size_t max = la > lb ? la : lb, min = la > lb ? lb : la;
	unsigned threshold, dist;

	if (max <= 1)
		return false;
	if (max - min <= 1)
		threshold = (unsigned)((max + 2) / 3);
	else
		threshold = (unsigned)((max + 4) / 3);
	if (!threshold)
		threshold = 1;
	dist = misspell_distance(have, want);
	if (dist > threshold || dist >= m->min)
		return false;
	m->min = dist;
	m->obj = obj;
	return true;
}

/* Tables, chains and sets are searched in every table, in creation order. */
const struct nft_table *nft_suggest_table(const struct nft_ruleset *rs, const char *name)
{
	struct nft_misspell m;

	nft_misspell_init(&m);
	for (const struct nft_table *t = rs->tables; t; t = t->next)
		nft_misspell_update(&m, t->name, name, t);
	return m.obj;
}

const struct nft_chain *nft_suggest_chain(const struct nft_ruleset *rs, const char *name,
					  const struct nft_table **table)
{
	struct nft_misspell m;

	nft_misspell_init(&m);
	for (const struct nft_table *t = rs->tables; t; t = t->next)
		for (const struct nft_chain *c = t->chains; c; c = c->next)
			if (nft_misspell_update(&m, c->name, name, c))
				*table = t;
	return m.obj;
}

const struct nft_set *nft_suggest_set(const struct nft_ruleset *rs, const char *name,
				      const struct nft_table **table)
{
	struct nft_misspell m;

	nft_misspell_init(&m);
	for (const struct nft_table *t = rs->tables; t; t = t->next)
		for (const struct nft_set *s = t->sets; s; s = s->next)
			if (s->name && nft_misspell_update(&m, s->name, name, s))
				*table = t;
	return m.obj;
}

/*
 * What nft reports for a missing object.  Where its evaluator looks the
 * object up in its cache (the table of `add chain`, the set of `add element`
 * or `flush set`), that is "No such file or directory" with a suggestion
 * when there is one.  Where only the kernel finds out (`delete table`,
 * `flush chain`, a rule's jump), nft looks for a suggestion after the fact
 * and reports "Could not process rule: No such file or directory" if it has
 * none.
 */
static int plain(struct nft_pstate *ps, const struct nft_loc *loc, bool kernel)
{
	nft_error(ps, loc, NULL, "%sNo such file or directory",
		  kernel ? "Could not process rule: " : "");
	return -ENOENT;
}

int nft_missing_table(struct nft_pstate *ps, const char *name, const struct nft_loc *loc,
		      bool kernel)
{
	const struct nft_table *near = nft_suggest_table(ps->rs, name);

	if (!near)
		return plain(ps, loc, kernel);
	nft_error(ps, loc, NULL,
		  "No such file or directory; did you mean table \u2018%s\u2019 in family %s?",
		  near->name, nft_family_name(near->family));
	return -ENOENT;
}

int nft_missing_chain(struct nft_pstate *ps, const char *name, const struct nft_loc *loc,
		      bool rule)
{
	const struct nft_table *t = NULL;
	const struct nft_chain *near = nft_suggest_chain(ps->rs, name, &t);

	/* for a rule, nft searched with the name of the rule's chain */
	if (!near || (rule && !strcmp(near->name, name)))
		return plain(ps, loc, true);
	nft_error(ps, loc, NULL,
		  "No such file or directory; did you mean chain \u2018%s\u2019 in table %s "
		  "\u2018%s\u2019?",
		  near->name, nft_family_name(t->family), t->name);
	return -ENOENT;
}

int nft_missing_set(struct nft_pstate *ps, const char *name, const struct nft_loc *loc,
		    bool kernel)
{
	const struct nft_table *t = NULL;
	const struct nft_set *near = nft_suggest_set(ps->rs, name, &t);

	if (!near)
		return plain(ps, loc, kernel);
	nft_error(ps, loc, NULL,
		  "No such file or directory; did you mean %s \u2018%s\u2019 in table %s "
		  "\u2018%s\u2019?",
		  near->is_map ? "map" : "set", near->name, nft_family_name(t->family), t->name);
	return -ENOENT;
}

int nft_missing_obj(struct nft_pstate *ps, const char *name, const struct nft_loc *loc)
{
	const struct nft_table *t = NULL;
	struct nft_misspell m;

	nft_misspell_init(&m);
	for (const struct nft_table *tt = ps->rs->tables; tt; tt = tt->next)
		for (const struct nft_obj *o = tt->objs; o; o = o->next)
			if (nft_misspell_update(&m, o->name, name, o))
				t = tt;
	if (!m.obj)
		return plain(ps, loc, true);
	nft_error(ps, loc, NULL,
		  "No such file or directory; did you mean obj \u2018%s\u2019 in table %s "
		  "\u2018%s\u2019?",
		  ((const struct nft_obj *)m.obj)->name, nft_family_name(t->family), t->name);
	return -ENOENT;
}
