/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the nft script parser and checker: any byte string
 * is applied to an empty ruleset and, when accepted, listed and the listing
 * re-applied (it must be accepted again and list the same).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_ruleset *rs = NULL, *rs2 = NULL;
	char *err = NULL, *out = NULL, *out2 = NULL;

	if (nft_ruleset_new(NULL, &rs))
		return 0;
	if (nft_ruleset_apply(rs, "fuzz", (const char *)data, size, false, &err))
		goto done;
	if (nft_ruleset_list(rs, 0, &out))
		goto done;
	if (nft_ruleset_new(NULL, &rs2))
		goto done;
	if (nft_ruleset_apply(rs2, "relist", out, strlen(out), false, NULL) == 0 &&
	    nft_ruleset_list(rs2, 0, &out2) == 0 && strcmp(out, out2) != 0)
		abort(); /* listing is not a fixed point */
done:
	free(err);
	free(out);
	free(out2);
	nft_ruleset_free(rs);
	nft_ruleset_free(rs2);
	return 0;
}
