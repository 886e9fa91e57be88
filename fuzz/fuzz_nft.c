/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the nft script parser and checker: any byte string
 * is applied to an empty ruleset and, when accepted, evaluated on a TCP/IPv4
 * and a UDP/IPv6 packet at every hook, and listed (also in JSON and with
 * the other list commands); the listing is
 * applied again and listed, twice: the second and third listings must be the
 * same.  (The first may differ: like nft, a dependency written by hand can
 * disappear on the first round, e.g. `ip protocol 58 meta l4proto 58 ...`.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/nft.h"
#include "ctrack/pkt.h"

/* Packets every accepted ruleset is evaluated on, at every hook. */
static const uint8_t pkt_tcp4[] = {
	0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x04, 0x00, 0x00, 0x16, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0, 0, 0, 0, 0,
};
static const uint8_t pkt_udp6[] = {
	0x60, 0, 0, 0, 0, 8, 17, 64, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0,
};

static void eval_all(struct nft_ruleset *rs)
{
	const uint8_t *pk[] = { pkt_tcp4, pkt_udp6 };
	const uint32_t len[] = { sizeof(pkt_tcp4), sizeof(pkt_udp6) };

	for (int i = 0; i < 2; i++)
		for (int h = 0; h <= CT_HOOK_POSTROUTING; h++)
			for (int nat = 0; nat < 2; nat++) {
				struct ct_pkt p;
				struct nft_meta m = { .iifname = "eth0", .iif = 2, .nat_chains = nat };
				struct nft_result res;

				memset(&p, 0, sizeof(p));
				if (ct_pkt_parse(&p, pk[i], len[i], CT_LINK_RAW) != CT_PARSE_OK)
					continue;
				p.ctinfo = CT_INFO_NEW;
				nft_eval(rs, NULL, (enum ct_hook)h, INT32_MIN, INT32_MAX, &p, &m,
					 (uint64_t)h, &res);
			}
}

/* The other list commands, and JSON, on every accepted ruleset: they must not fail. */
static void list_more(const struct nft_ruleset *rs)
{
	static const struct {
		const char *cmd;
		unsigned flags;
	} cmds[] = {
		{ "list ruleset", NFT_LIST_JSON },
		{ "list ruleset", NFT_LIST_JSON | NFT_LIST_NUMERIC | NFT_LIST_STATELESS },
		{ "list ruleset", NFT_LIST_NUMERIC | NFT_LIST_HANDLES | NFT_LIST_TERSE },
		{ "list tables; list chains; list sets; list maps; list counters", 0 },
		{ "list tables; list chains; list sets; list maps", NFT_LIST_JSON },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out = NULL, *err = NULL;

		if (nft_ruleset_list_cmd(rs, cmds[i].cmd, cmds[i].flags, &out, &err) && !err)
			abort(); /* only memory can fail these */
		free(out);
		free(err);
	}
}

/* Apply `in` to an empty ruleset and list it; NULL if rejected. */
static char *relist(const char *in, size_t len)
{
	struct nft_ruleset *rs = NULL;
	char *err = NULL, *out = NULL;

	if (nft_ruleset_new(NULL, &rs))
		return NULL;
	if (nft_ruleset_apply(rs, "fuzz", in, len, false, &err) == 0) {
		nft_ruleset_list(rs, 0, &out);
		list_more(rs);
		eval_all(rs);
	}
	free(err);
	nft_ruleset_free(rs);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *l1 = relist((const char *)data, size), *l2 = NULL, *l3 = NULL;

	if (!l1)
		return 0;
	/*
	 * Like nft, a listing is not always a valid script (contradictory
	 * matches such as `meta nfproto ipv6 meta nfproto ipv4 reject` list as
	 * `meta nfproto ipv6 reject with icmp ...`); when it is, listing it
	 * again must give the same text.
	 */
	l2 = relist(l1, strlen(l1));
	if (l2) {
		l3 = relist(l2, strlen(l2));
		if (!l3 || strcmp(l2, l3))
			abort(); /* listing is not a fixed point */
	}
	free(l1);
	free(l2);
	free(l3);
	return 0;
}
