/* SPDX-License-Identifier: MIT */
/*
 * RSS-style sharding: a hash of a packet's flow that is the same in both
 * directions, so that a flow and its replies reach the same thread and the
 * same table (a struct ct_table is owned by one thread; tables share
 * nothing, so N threads scale with no lock on the packet path).
 *
 * ICMP and ICMPv6 error messages hash as the flow they quote, so that they
 * reach the table that can find the flow and mark them RELATED (spec §4).
 * The packet must be reassembled first, as the kernel's conntrack sees it:
 * a non-first fragment carries no ports.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ct_priv.h"

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* One endpoint: address bytes and port, folded into 64 bits. */
static uint64_t endpoint(const uint8_t *addr, unsigned alen, uint16_t port, bool ports)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, addr, alen < 8 ? alen : 8);
	if (alen > 8)
		memcpy(&b, addr + 8, 8);
	return mix(a ^ mix(b ^ 0x9e3779b97f4a7c15ull)) + (ports ? port : 0);
}

/* Symmetric: the two endpoints are combined in sorted order. */
static uint32_t sym_hash(const uint8_t *src, const uint8_t *dst, unsigned alen, uint16_t sport,
			 uint16_t dport, uint8_t proto, bool ports)
{
	uint64_t a = endpoint(src, alen, sport, ports), b = endpoint(dst, alen, dport, ports);
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;

	return (uint32_t)(mix(lo * 0x9fb21c651e98df25ull ^ hi ^ proto) >> 32);
}

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33;
}

/*
 * The flow an ICMP(v6) error quotes: its addresses, protocol and (if the
 * quote holds them) ports.  False if the packet is no error or the quote
 * is too short.
 */
static bool quoted_flow(const struct ct_pkt *p, uint32_t *h, bool ports)
{
	const uint8_t *l4 = p->data + p->l4_off, *in;
	uint32_t n = p->l4_len, ihl;
	uint8_t type, proto;

	if (p->l4_off > p->len || n > p->len - p->l4_off || n < 8)
		return false;
	type = l4[0];
	in = l4 + 8;
	n -= 8;
	if (p->proto == 1) {
		if (!(type == 3 || type == 4 || type == 5 || type == 11 || type == 12) || n < 20)
			return false;
		ihl = (uint32_t)(in[0] & 15) * 4;
		proto = in[9];
		ports = ports && has_ports(proto) && ihl >= 20 && n >= ihl + 4;
		*h = sym_hash(in + 12, in + 16, 4, ports ? rd16(in + ihl) : 0,
			      ports ? rd16(in + ihl + 2) : 0, proto, ports);
		return true;
	}
	if (type >= 128 || n < 40)
		return false;
	proto = in[6];
	ports = ports && has_ports(proto) && n >= 44;
	*h = sym_hash(in + 8, in + 24, 16, ports ? rd16(in + 40) : 0, ports ? rd16(in + 42) : 0,
		      proto, ports);
	return true;
}

uint32_t ct_pkt_shard_hash(const struct ct_pkt *p, bool ports)
{
	const struct ct_tuple *tu = &p->tuple;
	unsigned alen = tu->l3num == 10 ? 16 : 4;
	uint32_t h;

	if ((p->proto == 1 || p->proto == 58) && p->l4_bad == CT_L4_OK && quoted_flow(p, &h, ports))
		return h;
	/*
	 * Only port-carrying protocols use the l4 fields: ICMP echo's type
	 * and GRE's call ids differ between the two directions.
	 */
	if (!has_ports(p->proto))
		ports = false;
	return sym_hash(tu->src, tu->dst, alen, tu->src_l4, tu->dst_l4, tu->proto, ports);
}
