/* SPDX-License-Identifier: MIT */
/*
 * Names in nft scripts: which words nft 1.0.6 refuses where it wants a
 * name (its keywords, per scanner scope), quoted names and numbers, names
 * it takes although they look like paths, times or addresses, and the
 * "did you mean" of a missing table, set or variable.  Every expected line
 * is the first line of what the real nft 1.0.6 printed for the same script
 * (nft -c -f x.nft in a network namespace).  tests/nft/keywords.py checks
 * thousands more, word by word and position by position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctrack/nft.h"
#include "nft/nft_priv.h"

struct name_case {
	const char *script;
	const char *error; /* first line of nft's message; NULL: accepted */
};

static const struct name_case cases[] = {
	/*  0 */ { "table ip fwd {\n}\n",
		  "x.nft:1:10-12: Error: syntax error, unexpected fwd, expecting string" },
	/*  1 */ { "table inet last {\n}\n",
		  NULL },
	/*  2 */ { "table ip \"t\" {\n}\n",
		  "x.nft:1:10-12: Error: syntax error, unexpected quoted string, expecting string" },
	/*  3 */ { "table ip 10 {\n}\n",
		  "x.nft:1:10-11: Error: syntax error, unexpected number, expecting string" },
	/*  4 */ { "table ip 1d {\n}\n",
		  NULL },
	/*  5 */ { "table ip eth0.100 {\n}\n",
		  NULL },
	/*  6 */ { "table ip a/b- {\n}\n",
		  NULL },
	/*  7 */ { "table ip eq {\n}\n",
		  "x.nft:1:10-11: Error: syntax error, unexpected ==, expecting string" },
	/*  8 */ { "table ip x* {\n}\n",
		  "x.nft:1:10-11: Error: syntax error, unexpected string with a trailing asterisk, expecting string" },
	/*  9 */ { "add table inet\n",
		  "x.nft:1:15-15: Error: syntax error, unexpected newline, expecting string" },
	/* 10 */ { "add table ip t\nadd chain ip t saddr\n",
		  NULL },
	/* 11 */ { "add table ip t\nadd chain ip t map\n",
		  "x.nft:2:16-18: Error: syntax error, unexpected map, expecting string" },
	/* 12 */ { "add table ip t\nadd ct helper ip t saddr\n",
		  "x.nft:2:20-24: Error: syntax error, unexpected saddr, expecting string" },
	/* 13 */ { "add table ip t\nadd ct helper ip t ll\n",
		  "x.nft:2:22-22: Error: syntax error, unexpected newline, expecting '{'" },
	/* 14 */ { "add table ip t\nadd chain ip t c\nadd set ip t s { type ipv4_addr; }\nadd rule ip t c ip saddr @ll\n",
		  "x.nft:4:27-28: Error: syntax error, unexpected ll, expecting string" },
	/* 15 */ { "add table ip t\nadd chain ip t c\nadd rule ip t c ip saddr @nh\n",
		  "x.nft:3:27-28: Error: syntax error, unexpected nh, expecting string" },
	/* 16 */ { "add table ip t\nadd chain ip t c\nadd rule ip t c jump ip\n",
		  "x.nft:3:22-23: Error: syntax error, unexpected ip, expecting '{'" },
	/* 17 */ { "add table ip t\nadd chain ip t c\nadd rule ip t c jump $x\n",
		  "x.nft:3:23-23: Error: unknown identifier 'x'" },
	/* 18 */ { "define x = c\nadd table ip t\nadd chain ip t c\nadd chain ip t d\nadd rule ip t d jump $x\n",
		  NULL },
	/* 19 */ { "define ip = 1.2.3.4\n",
		  "x.nft:1:8-9: Error: syntax error, unexpected ip, expecting string" },
	/* 20 */ { "define a.b = 1.2.3.4\nadd table ip t\nadd chain ip t c\nadd rule ip t c ip saddr $a.b\n",
		  NULL },
	/* 21 */ { "add table ip t\nadd chain ip t c\nadd rule ip t c ip saddr $1\n",
		  "x.nft:3:27-27: Error: syntax error, unexpected number, expecting string" },
	/* 22 */ { "delete table ip handle\n",
		  "x.nft:1:23-23: Error: syntax error, unexpected newline, expecting number" },
	/* 23 */ { "delete table ip fwd\n",
		  "x.nft:1:17-19: Error: syntax error, unexpected fwd, expecting handle or string" },
	/* 24 */ { "delete map ip t fwd\n",
		  "x.nft:1:17-19: Error: syntax error, unexpected fwd, expecting string" },
	/* 25 */ { "add table ip abc\nadd chain ip abd c\n",
		  "x.nft:2:14-16: Error: No such file or directory; did you mean table ‘abc’ in family ip?" },
	/* 26 */ { "add table ip abc\ndelete table ip abd\n",
		  "x.nft:2:17-19: Error: No such file or directory; did you mean table ‘abc’ in family ip?" },
	/* 27 */ { "add table ip t\nadd set ip t abc { type ipv4_addr; }\nflush set ip t abd\n",
		  "x.nft:3:16-18: Error: No such file or directory; did you mean set ‘abc’ in table ip ‘t’?" },
	/* 28 */ { "add table ip t\nadd chain ip t c\nadd rule ip t c accept :\n",
		  "x.nft:3:24-24: Error: syntax error, unexpected colon, expecting end of file or newline or semicolon" },
	/* 29 */ { "add table ip t\nadd map ip t s x\n",
		  "x.nft:2:16-16: Error: syntax error, unexpected string, expecting '{'" },
};

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct name_case *c = &cases[i];
		struct nft_ruleset *rs;
		char *err = NULL;
		int rc;

		assert_int_equal(nft_ruleset_new(NULL, &rs), 0);
		rc = nft_ruleset_apply(rs, "x.nft", c->script, strlen(c->script), true, &err);
		if (!c->error && rc)
			fail_msg("case %zu: refused: %s", i, err ? err : "(no message)");
		if (c->error) {
			size_t n = strlen(c->error);

			if (!rc || !err || strncmp(err, c->error, n) || err[n] != '\n')
				fail_msg("case %zu: got '%s', want '%s'", i, err ? err : "(accepted)",
					 c->error);
		}
		free(err);
		nft_ruleset_free(rs);
	}
}

/* Keywords of nft 1.0.6's scanner, in every scope or in one. */
static void test_keyword_table(void **state)
{
	static const struct {
		const char *w;
		unsigned scopes;
		bool kw;
	} v[] = {
		/* 0 */ { "fwd", 0, true },	     /* 1 */ { "saddr", 0, false },
		/* 2 */ { "saddr", NFT_KWS_CT, true }, /* 3 */ { "ll", 0, false },
		/* 4 */ { "ll", NFT_KWS_AT, true },     /* 5 */ { "last", 0, false },
		/* 6 */ { "destroy", 0, false },	     /* 7 */ { "xt", 0, true },
		/* 8 */ { "accept", 0, true },	     /* 9 */ { "Accept", 0, false },
		/* 10 */ { "vxlan", 0, false },	     /* 11 */ { "auto-merge", 0, true },
	};
	const char *op;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (nft_word_is_keyword(v[i].w, strlen(v[i].w), v[i].scopes, &op) != v[i].kw)
			fail_msg("case %zu: %s", i, v[i].w);
	assert_true(nft_word_is_keyword("xor", 3, 0, &op));
	assert_string_equal(op, "^");
}

/* Which names nft offers in "did you mean" (answers of the real nft). */
static void test_misspell(void **state)
{
	static const struct {
		const char *have, *want;
		bool offered;
	} v[] = {
		/* 0 */ { "s", "to", true },     /* 1 */ { "s", "foo", true },
		/* 2 */ { "s", "sack", false },  /* 3 */ { "s", "c", false },
		/* 4 */ { "abc", "abd", true },  /* 5 */ { "abc", "abcde", true },
		/* 6 */ { "abc", "s1", false },  /* 7 */ { "abc", "c", true },
		/* 8 */ { "abc", "xbc", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct nft_misspell m;

		nft_misspell_init(&m);
		if (nft_misspell_update(&m, v[i].have, v[i].want, &m) != v[i].offered)
			fail_msg("case %zu: %s for %s", i, v[i].have, v[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_keyword_table),
		cmocka_unit_test(test_misspell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
