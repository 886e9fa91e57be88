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

/*
 * How nft's parser names a token in "unexpected X": keyword and word
 * tokens by their text, the tokens with an alias ("newline", "colon", "-")
 * by that, single-character tokens quoted ('{'), anything its scanner does
 * not know as "junk".
 */
static void describe(const struct nft_tok *t, char *what, size_t n)
{
	static const struct {
		enum nft_tok_kind k;
		const char *s;
	} names[] = {
		{ TK_NL, "newline" }, { TK_EOF, "end of file" }, { TK_NUM, "number" },
		{ TK_STRING, "quoted string" }, { TK_DOT, "." }, { TK_COLON, "colon" },
		{ TK_COMMA, "comma" }, { TK_SEMI, "semicolon" }, { TK_SLASH, "/" },
		{ TK_DASH, "-" }, { TK_STAR, "*" }, { TK_EQ, "==" }, { TK_NE, "!=" },
		{ TK_LT, "<" }, { TK_GT, ">" }, { TK_LE, "<=" }, { TK_GE, ">=" },
		{ TK_SHL, "<<" }, { TK_SHR, ">>" }, { TK_AMP, "&" }, { TK_CARET, "^" },
		{ TK_BANG, "!" }, { TK_ADDR4, "string" }, { TK_ADDR6, "string" },
		{ TK_AT, "string" }, { TK_VAR, "string" },
	};

	if (t->kind == TK_IDENT) {
		const char *op;

		/* a word that is no keyword is a string token to nft */
		if (!nft_word_is_keyword(t->s, t->len, 0, &op))
			snprintf(what, n, "string");
		else if (op)
			snprintf(what, n, "%s", op);
		else
			snprintf(what, n, "%.*s", (int)(t->len < 40 ? t->len : 40), t->s);
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].k == t->kind) {
			snprintf(what, n, "%s", names[i].s);
			return;
		}
	}
	if (t->kind == TK_ERROR && !(t->len == 1 && t->s[0] == '+'))
		snprintf(what, n, "junk");
	else if (t->kind == TK_ERROR)
		snprintf(what, n, "+");
	else
		snprintf(what, n, "'%.*s'", (int)(t->len < 4 ? t->len : 4), t->s);
}

int nft_syntax_error(struct nft_pstate *ps, const struct nft_tok *t)
{
	char what[64];

	describe(t, what, sizeof(what));
	nft_error(ps, &t->loc, NULL, "syntax error, unexpected %s", what);
	return -EINVAL;
}

int nft_syntax_error_expecting(struct nft_pstate *ps, const struct nft_tok *t,
			       const char *expecting)
{
	char what[64];

	describe(t, what, sizeof(what));
	nft_error(ps, &t->loc, NULL, "syntax error, unexpected %s, expecting %s", what, expecting);
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

/*
 * Names.  nft's grammar has one token for them, `string`: a letter, '_' or
 * '.' first, then letters, digits, '/', '-', '_' and '.' (an address, a
 * classid or a time string such as "1d" is a string token too).  Its
 * scanner turns keywords into their own tokens first, so a keyword is never
 * a name, and 1.0.6 takes no quoted string, no number and no variable
 * there: each is "syntax error, unexpected X, expecting string" on that
 * token.  Our tokens split at '.', '/' and a trailing '-', which
 * expressions need, so a name is the run of tokens that touch.
 */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '/' || c == '-' || c == '_' || c == '.';
}

static bool name_piece(const struct nft_tok *t)
{
	switch (t->kind) {
	case TK_IDENT:
	case TK_NUM:
	case TK_DOT:
	case TK_SLASH:
	case TK_DASH:
	case TK_ADDR4:
		break;
	default:
		return false;
	}
	for (uint32_t i = 0; i < t->len; i++)
		if (!name_char(t->s[i]))
			return false;
	return t->len > 0;
}

static int name_error(struct nft_pstate *ps, const struct nft_loc *loc, const char *what,
		      const char *expecting)
{
	nft_error(ps, loc, NULL, "syntax error, unexpected %s, expecting %s", what, expecting);
	return -EINVAL;
}

static int name_error_tok(struct nft_pstate *ps, const struct nft_tok *t, const char *expecting)
{
	char what[64];
	struct nft_loc l = t->loc;

	/* '$' and '@' are tokens of their own in nft: the error is on them */
	if (t->kind == TK_VAR || t->kind == TK_AT) {
		l.c2 = l.c1;
		return name_error(ps, &l, t->kind == TK_VAR ? "'$'" : "@", expecting);
	}
	describe(t, what, sizeof(what));
	return name_error(ps, &l, what, expecting);
}

/*
 * The name that starts with the text s (len bytes at loc, already read)
 * and goes on over the tokens that touch it.  *out gets the whole name.
 */
static int name_rest(struct nft_pstate *ps, const char *s, size_t len, struct nft_loc loc,
		     const char *expecting, unsigned scopes, bool addr, struct nft_tok *out)
{
	bool digits = !addr && s[0] >= '0' && s[0] <= '9';
	size_t num = digits ? nft_number_prefix(s, len) : 0;
	const char *op;

	if (num) {
		loc.c2 = (uint16_t)(loc.c1 + num - 1);
		return name_error(ps, &loc, "number", expecting);
	}
	for (;;) {
		struct nft_tok *n = nft_peek(ps);

		if (n->s != s + len || n->loc.line != loc.line || !name_piece(n))
			break;
		len += n->len;
		loc.c2 = n->loc.c2;
		nft_next(ps);
	}
	struct nft_tok *n = nft_peek(ps);

	/* "name*" is a string with a trailing asterisk (an interface wildcard) */
	if (n->kind == TK_STAR && n->s == s + len && n->loc.line == loc.line) {
		loc.c2 = n->loc.c2;
		return name_error(ps, &loc, "string with a trailing asterisk", expecting);
	}
	if (!digits && !addr && nft_word_is_keyword(s, len, scopes, &op)) {
		char what[64];

		snprintf(what, sizeof(what), "%.*s", (int)(len < 40 ? len : 40), s);
		return name_error(ps, &loc, op ? op : what, expecting);
	}
	out->kind = TK_IDENT;
	out->s = s;
	out->len = (uint32_t)len;
	out->loc = loc;
	return 0;
}

/*
 * A MAC address or a classid ("a:b" before a blank) is a string token in
 * nft, so a name; our tokens split it at the colons.
 */
static bool colon_name(struct nft_pstate *ps, struct nft_tok *t, struct nft_tok *out)
{
	const struct nft_src *src = &ps->srcs[t->loc.src];
	size_t k;

	if (t->s < src->buf || t->s > src->buf + src->len)
		return false;
	k = nft_colon_word_len(t->s, (size_t)(src->buf + src->len - t->s));
	if (k <= t->len)
		return false;
	*out = *t;
	while (nft_peek(ps)->s < t->s + k && nft_peek(ps)->kind != TK_EOF) {
		out->loc.c2 = nft_peek(ps)->loc.c2;
		nft_next(ps);
	}
	out->kind = TK_IDENT;
	out->len = (uint32_t)k;
	return true;
}

static int read_name(struct nft_pstate *ps, const char *expecting, unsigned scopes,
		     struct nft_tok *out)
{
	struct nft_tok *t = nft_peek(ps);

	if ((t->kind == TK_IDENT || t->kind == TK_NUM) && colon_name(ps, t, out))
		return 0;
	switch (t->kind) {
	case TK_DOT:
		/* ".x" is a string, "." alone the concatenation operator */
		if (!name_piece(nft_peek2(ps)) || nft_peek2(ps)->s != t->s + 1)
			return name_error_tok(ps, t, expecting);
		/* fall through */
	case TK_IDENT:
	case TK_NUM:
	case TK_ADDR4:
	case TK_ADDR6:
		nft_next(ps);
		return name_rest(ps, t->s, t->len, t->loc, expecting, scopes,
				 t->kind == TK_ADDR4 || t->kind == TK_ADDR6, out);
	default:
		return name_error_tok(ps, t, expecting);
	}
}

static const char *name_copy(struct nft_pstate *ps, const struct nft_tok *n, struct nft_loc *loc)
{
	/* the kernel refuses an empty name and one of 256 bytes or more */
	if (n->len > 255) {
		nft_error(ps, &n->loc, NULL, "Could not process rule: Invalid argument");
		return NULL;
	}
	if (loc)
		*loc = n->loc;
	return nft_tok_str(ps, n);
}

const char *nft_parse_name_as(struct nft_pstate *ps, struct nft_loc *loc, const char *expecting,
			      unsigned scopes)
{
	struct nft_tok n;

	if (read_name(ps, expecting, scopes, &n))
		return NULL;
	return name_copy(ps, &n, loc);
}

const char *nft_parse_sigil_name(struct nft_pstate *ps, const struct nft_tok *sigil,
				 const char *expecting, unsigned scopes, struct nft_loc *loc)
{
	struct nft_tok n;
	struct nft_loc l = sigil->loc;

	/* "@ name" and "$ name" are fine: the sigil is a token of its own */
	if (!sigil->len) {
		if (read_name(ps, expecting, scopes, &n))
			return NULL;
	} else {
		l.c1++;
		if (name_rest(ps, sigil->s, sigil->len, l, expecting, scopes, false, &n))
			return NULL;
	}
	return name_copy(ps, &n, loc);
}

bool nft_name_at(struct nft_pstate *ps, size_t i, struct nft_tok *out)
{
	size_t pos = ps->pos;
	bool failed = ps->failed;
	int rc;

	/* read it as the parser will, quietly: a failed state reports nothing */
	ps->pos = i;
	ps->failed = true;
	rc = read_name(ps, "string", 0, out);
	ps->pos = pos;
	ps->failed = failed;
	return rc == 0;
}

static bool is_family(const struct nft_tok *t)
{
	static const char *const f[] = { "ip", "ip6", "inet", "arp", "bridge", "netdev" };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (nft_tok_is(t, f[i]))
			return true;
	return false;
}

/*
 * What nft's parser expects at the name the cursor is on, read from the
 * statement so far (the command parser does not say): after `delete table`
 * (or chain, set) the last name may also be `handle N`; the names of a
 * `ct helper` command or block are read inside the ct scope; a family word
 * right after the object word was taken as the family (`table ip {` is an
 * error on the brace).
 */
struct name_ctx {
	const char *expecting;
	unsigned scopes;
	bool family; /* the cursor is on a family word nft takes as the family */
};

static const char *const cmd_words[] = { "add", "create", "insert", "replace", "delete",
					 "destroy", "flush", "list", "reset", "rename", "get" };

/* The first token of the statement the cursor is in. */
static size_t stmt_first(struct nft_pstate *ps)
{
	const struct nft_tok *v = ps->tk->v;
	size_t first = ps->pos;

	while (first > 0 && v[first - 1].kind != TK_NL && v[first - 1].kind != TK_SEMI &&
	       v[first - 1].kind != TK_LBRACE && v[first - 1].kind != TK_RBRACE)
		first--;
	return first;
}

bool nft_in_command(struct nft_pstate *ps)
{
	const struct nft_tok *t = &ps->tk->v[stmt_first(ps)];

	for (size_t i = 0; i < sizeof(cmd_words) / sizeof(cmd_words[0]); i++)
		if (nft_tok_is(t, cmd_words[i]))
			return true;
	return false;
}

static void name_context(struct nft_pstate *ps, struct name_ctx *c)
{
	const char *const *cmds = cmd_words;
	const struct nft_tok *v = ps->tk->v;
	size_t first = stmt_first(ps), obj, groups = 0;
	bool del = false, cmd = false;

	c->expecting = "string";
	c->scopes = 0;
	c->family = false;
	obj = first;
	for (size_t i = 0; i < sizeof(cmd_words) / sizeof(cmd_words[0]) && obj < ps->pos; i++) {
		if (nft_tok_is(&v[obj], cmds[i])) {
			del = i == 4 || i == 5;
			cmd = true;
			obj++;
			break;
		}
	}
	if (obj + 1 < ps->pos && nft_tok_is(&v[obj], "ct")) {
		c->scopes = NFT_KWS_CT;
		obj++;
	}
	if (obj >= ps->pos)
		return;
	/* count the names between the object word and the cursor */
	bool fam = false;

	for (size_t i = obj + 1; i < ps->pos; i++) {
		if (i == obj + 1 && is_family(&v[i]))
			fam = true;
		else if (v[i].s != v[i - 1].s + v[i - 1].len || i == obj + 1)
			groups++;
	}
	if (!fam && !groups && (cmd || nft_tok_is(&v[obj], "table")) && is_family(&v[ps->pos]))
		c->family = true;
	if (del && (nft_tok_is(&v[obj], "table") ? groups == 0 :
		    (nft_tok_is(&v[obj], "chain") || nft_tok_is(&v[obj], "set")) && groups == 1))
		c->expecting = "handle or string";
}

/* A name (table, chain, set, object) in a command or a table block. */
const char *nft_parse_name(struct nft_pstate *ps, struct nft_loc *loc)
{
	struct name_ctx c;

	name_context(ps, &c);
	if (c.family) {
		/*
		 * nft read the family here (our caller saw no name after
		 * it): the name it then wants is the next token.
		 */
		nft_next(ps);
	}
	if (!strcmp(c.expecting, "handle or string") && nft_is_kw(ps, "handle")) {
		struct nft_tok *n = nft_peek2(ps);
		char what[64];

		nft_next(ps);
		describe(n, what, sizeof(what));
		if (n->kind == TK_NUM && nft_number_prefix(n->s, n->len) == n->len) {
			/* deleting by handle: we keep no handles of tables, chains, sets */
			nft_error(ps, &n->loc, NULL,
				  "Could not process rule: No such file or directory");
			return NULL;
		}
		name_error(ps, &n->loc, what, "number");
		return NULL;
	}
	return nft_parse_name_as(ps, loc, c.expecting, c.scopes);
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
