/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ct_pkt_parse: the input is one frame, parsed as
 * Ethernet and as raw IP.  libFuzzer hands us a buffer of exactly `size`
 * bytes, so AddressSanitizer catches any read past the end.  On success the
 * parser's offsets must stay inside the frame, and the L4 checksum helper
 * (which trusts them) is run too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ct_priv.h"

static void check(const struct ct_pkt *p)
{
	if (p->l3_off + (uint64_t)p->l3_len > p->len)
		abort();
	if (p->l4_off + (uint64_t)p->l4_len > p->len)
		abort();
	if (p->l4_off < p->l3_off || p->l4_off + (uint64_t)p->l4_len != p->l3_off + (uint64_t)p->l3_len)
		abort();
	if (p->frag_first && !p->is_frag)
		abort();
	(void)ct_pkt_l4_csum_ok(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_pkt p = {0};

	if (size > UINT32_MAX)
		return 0;
	for (int link = CT_LINK_ETHERNET; link <= CT_LINK_RAW; link++) {
		p.wire_len = (uint32_t)size;
		if (ct_pkt_parse(&p, data, (uint32_t)size, (enum ct_link)link) == CT_PARSE_OK)
			check(&p);
		(void)ct_parse_result_name((enum ct_parse_result)(data && size ? data[0] : 0));
	}
	return 0;
}
