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

/*
 * Words nft 1.0.6's scanner returns as keyword tokens in every start
 * condition.  Where its grammar wants a name (a `string` token) they are a
 * syntax error: `map fwd { ... }` is "unexpected fwd, expecting string".
 * Recorded from the real nft, position by position (tests/nft/keywords.tsv);
 * words missing here (saddr, state, ...) are keywords only inside a scope
 * and plain strings elsewhere.  Sorted for bsearch (strcmp order).
 */
static const char *const kw_global[] = {
	"accept", "add", "ah", "all", "and", "arp", "auto-merge", "bridge", "cgroup",
	"chain", "comment", "comp", "constant", "continue", "counter", "cpu", "create",
	"ct", "day", "dccp", "define", "delete", "describe", "device", "devices", "dnat",
	"drop", "dst", "dup", "dynamic", "ecn", "element", "elements", "eq", "esp",
	"ether", "exists", "expires", "export", "exthdr", "fib", "flags", "flow",
	"flowtable", "flush", "frag", "fwd", "gc-interval", "ge", "get", "goto", "gt",
	"handle", "hbh", "hook", "hour", "ibriport", "ibrname", "icmp", "icmpv6", "igmp",
	"iif", "iifgroup", "iifname", "iiftype", "import", "include", "index", "inet",
	"insert", "interval", "ip", "ip6", "ipsec", "jhash", "jump", "le", "limit",
	"list", "log", "lshift", "lt", "map", "mark", "masquerade", "meta", "meter", "mh",
	"missing", "monitor", "ne", "netdev", "nftrace", "not", "notrack", "numgen",
	"obriport", "obrname", "offload", "oif", "oifgroup", "oifname", "oiftype", "or",
	"osf", "pkttype", "policy", "position", "priority", "queue", "quota", "random",
	"redefine", "redirect", "reject", "rename", "replace", "reset", "return",
	"rshift", "rt", "rt0", "rt2", "rtclassid", "rule", "ruleset", "sctp", "secmark",
	"set", "size", "skgid", "skuid", "snat", "socket", "srh", "symhash", "synproxy",
	"table", "tcp", "th", "time", "timeout", "tproxy", "type", "typeof", "udp",
	"udplite", "undefine", "update", "vlan", "vmap", "xor", "xt",
};

/* After '@' (nft's "at" scope): the header bases of a raw payload. */
static const char *const kw_at[] = { "ll", "nh" };

/* Inside a `ct` scope, which stays open over the name of `ct helper NAME`. */
static const char *const kw_ct[] = {
	"avgpkt", "bytes", "count", "daddr", "direction", "dport", "event",
	"expectation", "expiration", "helper", "helpers", "id", "l3proto", "label",
	"original", "over", "packets", "proto-dst", "proto-src", "protocol", "reply",
	"saddr", "state", "status", "zone",
};

static int kw_cmp(const void *key, const void *elem)
{
	const struct { const char *s; size_t n; } *k = key;
	const char *w = *(const char *const *)elem;
	int c = strncmp(k->s, w, k->n);

	if (c)
		return c;
	return w[k->n] ? -1 : 0;
}

static bool in_list(const char *const *v, size_t n, const char *s, size_t len)
{
	struct { const char *s; size_t n; } key = { s, len };

	return bsearch(&key, v, n, sizeof(v[0]), kw_cmp) != NULL;
}

/*
 * The words nft's scanner reads as operators: its parser reports them by
 * the operator's name ("unexpected ==" for `eq`).
 */
static const struct {
	const char *word, *op;
} kw_ops[] = {
	{ "and", "&" }, { "eq", "==" }, { "ge", ">=" }, { "gt", ">" }, { "le", "<=" },
	{ "lshift", "<<" }, { "lt", "<" }, { "ne", "!=" }, { "not", "!" }, { "or", "'|'" },
	{ "rshift", ">>" }, { "xor", "^" },
};

bool nft_word_is_keyword(const char *s, size_t len, unsigned scopes, const char **op)
{
	*op = NULL;
	for (size_t i = 0; i < sizeof(kw_ops) / sizeof(kw_ops[0]); i++)
		if (strlen(kw_ops[i].word) == len && !memcmp(kw_ops[i].word, s, len))
			*op = kw_ops[i].op;
	if (in_list(kw_global, sizeof(kw_global) / sizeof(kw_global[0]), s, len))
		return true;
	if ((scopes & NFT_KWS_AT) && in_list(kw_at, sizeof(kw_at) / sizeof(kw_at[0]), s, len))
		return true;
	return (scopes & NFT_KWS_CT) && in_list(kw_ct, sizeof(kw_ct) / sizeof(kw_ct[0]), s, len);
}

/*
 * Longest prefix of s that nft's scanner reads as a time string,
 * ([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?: such a word ("1d",
 * "1h30m") is a string token, so it is a valid name, while "10" or "1a"
 * starts with a number.  Each part is optional, so every choice is tried
 * ("1ms" is one "ms" part, not "m" then a dangling "s").
 */
static size_t timestring_len(const char *s, size_t n, size_t at, int unit)
{
	static const char *const units[] = { "d", "h", "m", "s", "ms" };
	size_t best = at;

	for (int u = unit; u < 5; u++) {
		size_t i = at, ul = strlen(units[u]);

		while (i < n && is_digit(s[i]))
			i++;
		if (i == at || i + ul > n || memcmp(s + i, units[u], ul))
			continue;
		size_t l = timestring_len(s, n, i + ul, u + 1);

		if (l > best)
			best = l;
	}
	return best;
}

size_t nft_number_prefix(const char *s, size_t n)
{
	size_t d = 0, h = 0, t = timestring_len(s, n, 0, 0);

	/* the VLAN ethertype names are strings of their own in nft's scanner */
	if ((n == 6 && !memcmp(s, "8021ad", 6)) || (n == 5 && !memcmp(s, "8021q", 5)))
		return 0;

	while (d < n && is_digit(s[d]))
		d++;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && is_hex(s[2])) {
		h = 2;
		while (h < n && is_hex(s[h]))
			h++;
	}
	if (h > d)
		d = h;
	/* an address is a string token too ("1.2.3.4", "1::2") */
	if (match_ipv4(s, n) > d || match_ipv6(s, n) > d)
		return 0;
	/* flex takes the longest match */
	return t > d ? 0 : d;
}

static size_t hex_run(const char *s, size_t n, size_t at, size_t max)
{
	size_t i = at;

	while (i < n && i - at < max && is_hex(s[i]))
		i++;
	return i - at;
}

size_t nft_colon_word_len(const char *s, size_t n)
{
	size_t best = 0, i = 0, h;

	/* a MAC address: five "xx:" and "xx" */
	for (int g = 0; g < 6; g++) {
		h = hex_run(s, n, i, 2);
		if (!h)
			break;
		i += h;
		if (g == 5) {
			best = i;
			break;
		}
		if (i >= n || s[i] != ':')
			break;
		i++;
	}
	/* a classid "hhhh:hhhh", only before a blank, ':', '-', '}' or ',' */
	h = hex_run(s, n, 0, 4);
	if (h && h < n && s[h] == ':') {
		size_t h2 = hex_run(s, n, h + 1, 4), end = h + 1 + h2;

		if (h2 && end < n && strchr(" \t\n:-},", s[end]) && s[end] && end > best)
			best = end;
	}
	return best;
}
