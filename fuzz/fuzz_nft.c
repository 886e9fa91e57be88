/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the nft script parser and checker: any byte string
 * is applied to an empty ruleset and, when accepted, listed; the listing is
 * applied again and listed, twice: the second and third listings must be the
 * same.  (The first may differ: like nft, a dependency written by hand can
 * disappear on the first round, e.g. `ip protocol 58 meta l4proto 58 ...`.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/nft.h"

/* Apply `in` to an empty ruleset and list it; NULL if rejected. */
static char *relist(const char *in, size_t len)
{
	struct nft_ruleset *rs = NULL;
	char *err = NULL, *out = NULL;

	if (nft_ruleset_new(NULL, &rs))
		return NULL;
	if (nft_ruleset_apply(rs, "fuzz", in, len, false, &err) == 0)
		nft_ruleset_list(rs, 0, &out);
	free(err);
	nft_ruleset_free(rs);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *l1 = relist((const char *)data, size), *l2 = NULL, *l3 = NULL;

	if (!l1)
		return 0;
	l2 = relist(l1, strlen(l1));
	if (!l2)
		abort(); /* our own listing must be accepted */
	l3 = relist(l2, strlen(l2));
	if (!l3 || strcmp(l2, l3))
		abort(); /* listing is not a fixed point */
	free(l1);
	free(l2);
	free(l3);
	return 0;
}
