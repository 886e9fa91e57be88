/* SPDX-License-Identifier: MIT */
/*
 * conntrack -L --src-nat / --dst-nat / --any-nat (spec §10.7).
 *
 * conntrack-tools 1.4.7 decides from the tuples and status through
 * libnetfilter_conntrack 1.0.9's "is SNAT/SPAT/DNAT/DPAT" predicates:
 *   SNAT: SRC_NAT_DONE and reply dst address != orig src address
 *   SPAT: SRC_NAT_DONE and reply dst l4     != orig src l4
 *   DNAT: DST_NAT_DONE and reply src address != orig dst address
 *   DPAT: DST_NAT_DONE and reply src l4     != orig dst l4
 * Two quirks are kept on purpose: addresses compare on their first 32 bits
 * (IPv4 view, also for IPv6), and the l4 compare looks at the raw l4
 * fields for every protocol, so an ICMP entry compares its reply's
 * type/code with its id (1.0.9 has no "has ports" test).
 */
#include <string.h>

#include "nat_priv.h"


/*
 * One side of filter_nat: with an address and/or port, the mapping must
 * be of that kind and equal; without either, any mapping of the kind.
 */
static bool side(bool nat, bool pat, const uint8_t *mapped, uint16_t mapped_port,
		 bool has_addr, const uint8_t addr[4], bool has_port, uint16_t port)
{
	bool hit = false;

	if (has_addr && nat && memcmp(addr, mapped, 4) == 0)
		hit = true;
	if (has_port) {
		bool port_ok = pat && port == mapped_port;

		if (has_addr && hit && !port_ok)
			hit = false;
		if (!has_addr && port_ok)
			hit = true;
	}
	if (!has_addr && !has_port && (nat || pat))
		hit = true;
	return hit;
}

bool nat_conn_matches(const struct ct_conn *c, const struct nat_filter *f)
{
	struct ct_tuple o, r;
	bool check_src, check_dst, has_src = false, has_dst = false;
	uint32_t st = c->status;

	if (!(f->kinds & (NAT_FILTER_SRC | NAT_FILTER_DST | NAT_FILTER_ANY)))
		return true;
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
	ct_conn_tuple(c, CT_DIR_REPLY, &r);
	check_src = f->kinds & (NAT_FILTER_SRC | NAT_FILTER_ANY);
	check_dst = f->kinds & (NAT_FILTER_DST | NAT_FILTER_ANY);
	if (check_src) {
		bool done = st & CT_S_SRC_NAT_DONE;

		has_src = side(done && memcmp(r.dst, o.src, 4) != 0, done && r.dst_l4 != o.src_l4,
			       r.dst, r.dst_l4, f->src_has_addr, f->src_addr, f->src_has_port,
			       f->src_port);
	}
	if (check_dst) {
		bool done = st & CT_S_DST_NAT_DONE;

		has_dst = side(done && memcmp(r.src, o.dst, 4) != 0, done && r.src_l4 != o.dst_l4,
			       r.src, r.src_l4, f->dst_has_addr, f->dst_addr, f->dst_has_port,
			       f->dst_port);
	}
	if (f->kinds & NAT_FILTER_ANY)
		return has_src || has_dst;
	if ((f->kinds & NAT_FILTER_SRC) && (f->kinds & NAT_FILTER_DST))
		return has_src && has_dst;
	if (f->kinds & NAT_FILTER_SRC)
		return has_src;
	return has_dst;
}
