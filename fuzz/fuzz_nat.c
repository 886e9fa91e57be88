/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for NAT packet rewriting (lib/nat).  Input: one control
 * byte then raw IP bytes.  The packet is parsed and tracked; a first
 * packet gets a DNAT and an SNAT binding chosen by the control byte
 * (ports, ranges, flags); then it is rewritten at all four NAT hooks, and
 * the rewritten bytes are synced into a copy as if it were a fragment.
 * A second copy of the same bytes then runs as a reply and as an ICMP
 * error is handled by whatever conntrack made of it.  ASan/UBSan watch
 * every read and write stay inside the datagram.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "ctrack/nat.h"

static uint8_t buf[65536 + 64];
static uint8_t copy[65536 + 64];

static void run(struct ct_table *t, size_t n, uint8_t ctl, uint64_t now)
{
	static const enum ct_hook hooks[4] = {CT_HOOK_PREROUTING, CT_HOOK_POSTROUTING,
					      CT_HOOK_OUTPUT, CT_HOOK_INPUT};
	struct ct_pkt p;

	if (ct_pkt_parse(&p, buf, (uint32_t)n, CT_LINK_RAW) != CT_PARSE_OK)
		return;
	if (ct_hook_conntrack(t, &p, CT_HOOK_PREROUTING, now) != 0)
		return;
	if (p.ct && p.ct_new) {
		struct nat_range r;

		memset(&r, 0, sizeof(r));
		r.flags = NAT_RANGE_MAP_IPS | (ctl & 0x3c);
		memcpy(r.min_addr, p.tuple.dst, 16);
		memcpy(r.max_addr, p.tuple.dst, 16);
		r.max_addr[p.l3num == 2 ? 3 : 15] ^= ctl & 3;
		if (memcmp(r.max_addr, r.min_addr, 16) < 0)
			memcpy(r.max_addr, r.min_addr, 16);
		if (ctl & 0x40) {
			r.flags |= NAT_RANGE_PROTO_SPECIFIED;
			r.min_proto = (uint16_t)(ctl * 97);
			r.max_proto = (uint16_t)(r.min_proto + (ctl & 7));
			r.base_proto = ctl;
		}
		nat_setup(t, p.ct, &r, NAT_MANIP_DST, now);
		nat_null_binding(t, p.ct, CT_HOOK_POSTROUTING, now);
	}
	for (int i = 0; i < 4; i++) {
		if (nat_packet(t, &p, buf, hooks[i]) != 0)
			break;
	}
	memcpy(copy, buf, n);
	nat_fragment_sync(buf, p.l3_len, copy, (uint32_t)n);
	if (ct_confirm(t, &p, now) != 0)
		ct_pkt_release(t, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_table *t;
	struct ct_table_config cfg = {.max = 256, .seed = 1};
	uint8_t ctl;
	size_t n;

	if (!t && (ct_table_new(&cfg, &t) != 0 || nat_table_init(t) != 0))
		abort();
	if (size < 2)
		return 0;
	ctl = data[0];
	n = size - 1 < sizeof(buf) - 64 ? size - 1 : sizeof(buf) - 64;
	/* Fix the IPv4 header checksum so the packet gets through the IP layer. */
	memcpy(buf, data + 1, n);
	if (n >= 20 && (buf[0] >> 4) == 4 && (buf[0] & 15) >= 5 && (size_t)(buf[0] & 15) * 4 <= n) {
		buf[10] = buf[11] = 0;
		uint16_t c = ct_csum_fold(ct_csum_partial(buf, (size_t)(buf[0] & 15) * 4, 0));
		buf[10] = (uint8_t)(c >> 8);
		buf[11] = (uint8_t)c;
	}
	run(t, n, ctl, 1000000000ull * (1 + (ctl & 0x80)));
	if (ct_table_count(t) > 200)
		ct_table_flush(t, 0);
	return 0;
}
