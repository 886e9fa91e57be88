/* SPDX-License-Identifier: MIT */
/*
 * Tokeniser for the nft language.  Like nft's scanner it picks the longest
 * match among the token shapes, which is what lets "dead::beef" be an IPv6
 * address while "accept" stays a word, and "aaaa:::accept" split into the
 * address "aaaa::", ':' and "accept".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_word(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-';
}

/* Longest prefix of s that is a valid IPv6 address (0 if none). */
static size_t match_ipv6(const char *s, size_t n)
{
	size_t run = 0;
	bool colon = false;
	char tmp[64];
	struct in6_addr a;

	while (run < n && run < 60 && (is_hex(s[run]) || s[run] == ':' || s[run] == '.')) {
		colon |= s[run] == ':';
		run++;
	}
	if (!colon)
		return 0;
	for (size_t l = run; l >= 2; l--) {
		memcpy(tmp, s, l);
		tmp[l] = 0;
		if (memchr(tmp, ':', l) && inet_pton(AF_INET6, tmp, &a) == 1)
			return l;
	}
	return 0;
}

static size_t match_ipv4(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t d = 0;

		if (part) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		while (i < n && is_digit(s[i]) && d < 3) {
			i++;
			d++;
		}
		if (!d)
			return 0;
	}
	if (i < n && (is_digit(s[i]) || (s[i] == '.' && i + 1 < n && is_digit(s[i + 1]))))
		return 0;
	return i;
}

static int push(struct nft_toks *t, enum nft_tok_kind k, const char *s, size_t len,
		const struct nft_loc *loc)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct nft_tok *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	struct nft_tok *o = &t->v[t->n++];

	o->kind = k;
	o->s = s;
	o->len = (uint32_t)len;
	o->loc = *loc;
	return 0;
}

static const struct {
	const char *s;
	enum nft_tok_kind k;
} punct[] = {
	{ "==", TK_EQ }, { "!=", TK_NE }, { "<=", TK_LE }, { ">=", TK_GE }, { "<<", TK_SHL },
	{ ">>", TK_SHR }, { "{", TK_LBRACE }, { "}", TK_RBRACE }, { "(", TK_LPAREN },
	{ ")", TK_RPAREN }, { "[", TK_LBRACK }, { "]", TK_RBRACK }, { ",", TK_COMMA },
	{ ":", TK_COLON }, { ";", TK_SEMI }, { "/", TK_SLASH }, { "-", TK_DASH },
	{ "|", TK_PIPE }, { "&", TK_AMP }, { "^", TK_CARET }, { "!", TK_BANG },
	{ "<", TK_LT }, { ">", TK_GT }, { "=", TK_ASSIGN }, { "*", TK_STAR }, { ".", TK_DOT },
};

int nft_lex(const char *buf, size_t len, uint16_t src, struct nft_toks *out)
{
	size_t i = 0, line_start = 0;
	uint32_t line = 1;
	struct nft_loc loc = { .src = src };

	while (i < len) {
		char c = buf[i];
		size_t l = 0;
		enum nft_tok_kind k = TK_ERROR;
		const char *s = buf + i;

		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '\\' && i + 1 < len && buf[i + 1] == '\n') {
			i += 2;
			line++;
			line_start = i;
			continue;
		}
		if (c == '#') {
			while (i < len && buf[i] != '\n')
				i++;
			continue;
		}
		loc.line = line;
		loc.off = (uint32_t)line_start;
		loc.c1 = (uint16_t)(i - line_start + 1);
		if (c == '\n') {
			loc.c2 = loc.c1;
			if (push(out, TK_NL, s, 1, &loc))
				return -ENOMEM;
			i++;
			line++;
			line_start = i;
			continue;
		}
		if (c == '"') {
			size_t j = i + 1;

			while (j < len && buf[j] != '"' && buf[j] != '\n')
				j++;
			if (j >= len || buf[j] != '"') {
				l = j - i;
				k = TK_ERROR;
			} else {
				loc.c2 = (uint16_t)(j - line_start + 1);
				if (push(out, TK_STRING, s + 1, j - i - 1, &loc))
					return -ENOMEM;
				i = j + 1;
				continue;
			}
		} else if (c == '$' || c == '@') {
			size_t j = i + 1;

			while (j < len && (is_word(buf[j]) || buf[j] == '.'))
				j++;
			loc.c2 = (uint16_t)(j - line_start);
			if (push(out, c == '$' ? TK_VAR : TK_AT, s + 1, j - i - 1, &loc))
				return -ENOMEM;
			i = j;
			continue;
		} else {
			size_t v6 = match_ipv6(s, len - i);
			size_t v4 = is_digit(c) ? match_ipv4(s, len - i) : 0;
			size_t w = 0;

			if (is_alpha(c)) {
				while (i + w < len && is_word(s[w]))
					w++;
				/* a word does not end with '-' (that is a range) */
				while (w > 1 && s[w - 1] == '-')
					w--;
				k = TK_IDENT;
			} else if (is_digit(c)) {
				while (i + w < len && (is_alpha(s[w]) || is_digit(s[w])))
					w++;
				k = TK_NUM;
			}
			l = w;
			if (v4 > l) {
				l = v4;
				k = TK_ADDR4;
			}
			if (v6 > l) {
				l = v6;
				k = TK_ADDR6;
			}
			if (!l) {
				for (size_t p = 0; p < sizeof(punct) / sizeof(punct[0]); p++) {
					size_t pl = strlen(punct[p].s);

					if (pl <= len - i && !memcmp(s, punct[p].s, pl)) {
						l = pl;
						k = punct[p].k;
						break;
					}
				}
			}
			if (!l) {
				l = 1;
				k = TK_ERROR;
			}
		}
		loc.c2 = (uint16_t)(i + l - line_start);
		if (push(out, k, s, l, &loc))
			return -ENOMEM;
		i += l;
	}
	loc.line = line;
	loc.off = (uint32_t)line_start;
	loc.c1 = loc.c2 = (uint16_t)(i - line_start + 1);
	return push(out, TK_EOF, buf + len, 0, &loc);
}

bool nft_tok_is(const struct nft_tok *t, const char *word)
{
	size_t n = strlen(word);

	return (t->kind == TK_IDENT || t->kind == TK_NUM) && t->len == n &&
	       !memcmp(t->s, word, n);
}
