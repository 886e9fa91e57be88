/* SPDX-License-Identifier: MIT */
/*
 * Error messages as nft prints them:
 *   FILE:LINE:FIRST-LAST: Error: MESSAGE   (just "Error: MESSAGE" for a command line)
 *   <the source line>
 *   <'^' under the offending span, '~' under a related span>
 * Only the first error of a script is kept: later ones tend to be noise.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nft_priv.h"

struct nft_loc nft_loc_join(const struct nft_loc *a, const struct nft_loc *b)
{
	struct nft_loc l = *a;

	if (b->line == a->line && b->src == a->src && b->c2 > l.c2)
		l.c2 = b->c2;
	return l;
}

void nft_error(struct nft_pstate *ps, const struct nft_loc *loc, const struct nft_loc *loc2,
	       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	const struct nft_src *s = &ps->srcs[loc->src];

	/* Commands given as arguments (an unnamed source) carry no location prefix. */
	if (s->name && s->name[0])
		nft_sb_printf(&ps->err, "%s:%u:%u-%u: ", s->name, loc->line, loc->c1, loc->c2);
	nft_sb_printf(&ps->err, "Error: %s\n", msg);
	if (loc->off > s->len)
		return;
	const char *line = s->buf + loc->off;
	const char *end = memchr(line, '\n', s->len - loc->off);
	size_t n = end ? (size_t)(end - line) : s->len - loc->off;

	nft_sb_putn(&ps->err, line, n);
	nft_sb_puts(&ps->err, "\n");
	size_t width = loc->c2;

	if (loc2 && loc2->line == loc->line && loc2->src == loc->src && loc2->c2 > width)
		width = loc2->c2;
	for (size_t c = 1; c <= width; c++) {
		char m = ' ';

		if (c >= loc->c1 && c <= loc->c2)
			m = '^';
		else if (loc2 && loc2->line == loc->line && loc2->src == loc->src &&
			 c >= loc2->c1 && c <= loc2->c2)
			m = '~';
		else if (c <= n && line[c - 1] == '\t')
			m = '\t';
		nft_sb_putn(&ps->err, &m, 1);
	}
	nft_sb_puts(&ps->err, "\n");
}
