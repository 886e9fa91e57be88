/* SPDX-License-Identifier: MIT */
/*
 * The parser's cursor over a token stream (struct nft_pstate: tk, pos,
 * end): look-ahead, keywords, the "syntax error, unexpected X" message nft
 * prints, names and plain numbers.  Used by the rule parser (parse.c) and
 * the command parser (cmd.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nft_priv.h"

struct nft_tok *nft_peek(struct nft_pstate *ps)
{
	return &ps->tk->v[ps->pos < ps->end ? ps->pos : ps->end];
}

struct nft_tok *nft_peek2(struct nft_pstate *ps)
{
	size_t p = ps->pos + 1;

	return &ps->tk->v[p < ps->end ? p : ps->end];
}

struct nft_tok *nft_next(struct nft_pstate *ps)
{
	struct nft_tok *t = nft_peek(ps);

	if (ps->pos < ps->end)
		ps->pos++;
	return t;
}

bool nft_is_kw(struct nft_pstate *ps, const char *w)
{
	return nft_tok_is(nft_peek(ps), w);
}

bool nft_accept_kw(struct nft_pstate *ps, const char *w)
{
	if (!nft_is_kw(ps, w))
		return false;
	nft_next(ps);
	return true;
}

bool nft_accept_tok(struct nft_pstate *ps, enum nft_tok_kind k)
{
	if (nft_peek(ps)->kind != k)
		return false;
	nft_next(ps);
	return true;
}

int nft_syntax_error(struct nft_pstate *ps, const struct nft_tok *t)
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
	case TK_DOT:
		snprintf(what, sizeof(what), ".");
		break;
	case TK_COLON:
		snprintf(what, sizeof(what), "colon");
		break;
	case TK_COMMA:
		snprintf(what, sizeof(what), "comma");
		break;
	case TK_SEMI:
		snprintf(what, sizeof(what), "semicolon");
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

int nft_expect(struct nft_pstate *ps, enum nft_tok_kind k)
{
	if (nft_accept_tok(ps, k))
		return 0;
	return nft_syntax_error(ps, nft_peek(ps));
}

int nft_expect_kw(struct nft_pstate *ps, const char *w)
{
	if (nft_accept_kw(ps, w))
		return 0;
	return nft_syntax_error(ps, nft_peek(ps));
}

const char *nft_tok_str(struct nft_pstate *ps, const struct nft_tok *t)
{
	return nft_strndup(ps->a, t->s, t->len);
}

/* A name (table, chain, set): identifier, number-word or quoted string. */
const char *nft_parse_name(struct nft_pstate *ps, struct nft_loc *loc)
{
	struct nft_tok *t = nft_peek(ps);

	if (t->kind != TK_IDENT && t->kind != TK_STRING && t->kind != TK_NUM) {
		nft_syntax_error(ps, t);
		return NULL;
	}
	nft_next(ps);
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
	return nft_tok_str(ps, t);
}

bool nft_at_stmt_end(struct nft_pstate *ps)
{
	enum nft_tok_kind k = nft_peek(ps)->kind;

	return k == TK_NL || k == TK_SEMI || k == TK_EOF || k == TK_RBRACE;
}

bool nft_parse_u64(const struct nft_tok *t, uint64_t *out)
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
