/* SPDX-License-Identifier: MIT */
/* Packet evaluation (placeholder until the compiler lands). */
#include <errno.h>
#include <stdlib.h>

#include "nft_priv.h"

struct nft_compiled {
	int unused;
};

void nft_compiled_free(struct nft_compiled *c)
{
	free(c);
}

int nft_compile(struct nft_ruleset *rs)
{
	(void)rs;
	return 0;
}

int nft_eval(struct nft_ruleset *rs, enum ct_hook hook, struct ct_pkt *p, struct nft_meta *m,
	     uint64_t now, struct nft_result *res)
{
	(void)rs;
	(void)hook;
	(void)p;
	(void)m;
	(void)now;
	res->verdict = NFT_ACCEPT;
	return -EOPNOTSUPP;
}
