/* SPDX-License-Identifier: MIT */
/* Interfaces, addresses, routes and neighbours of the router model. */
#include <errno.h>
#include <string.h>

#include "fw_priv.h"

static size_t alen(uint8_t l3num)
{
	return l3num == 10 ? 16 : 4;
}

struct fw_iface *fw_iface_get(struct fw *fw, uint32_t ifindex)
{
	if (ifindex < 2 || ifindex - 2 >= fw->niface)
		return NULL;
	return &fw->iface[ifindex - 2];
}

int fw_add_iface(struct fw *fw, const char *name, const uint8_t mac[6])
{
	struct fw_iface *ifc;

	if (!name || !*name || strlen(name) >= FW_IFNAMSIZ || strcmp(name, "lo") == 0)
		return -EINVAL;
	if (fw_iface_index(fw, name) >= 0)
		return -EEXIST;
	if (fw->niface == FW_MAX_IFACES)
		return -ENOSPC;
	ifc = &fw->iface[fw->niface];
	memset(ifc, 0, sizeof(*ifc));
	memcpy(ifc->name, name, strlen(name) + 1);
	memcpy(ifc->mac, mac, 6);
	return (int)(2 + fw->niface++);
}

int fw_iface_index(const struct fw *fw, const char *name)
{
	if (strcmp(name, "lo") == 0)
		return 1;
	for (uint32_t i = 0; i < fw->niface; i++) {
		if (strcmp(fw->iface[i].name, name) == 0)
			return (int)(i + 2);
	}
	return -ENOENT;
}

const char *fw_iface_name(const struct fw *fw, uint32_t ifindex)
{
	if (ifindex == 1)
		return "lo";
	if (ifindex < 2 || ifindex - 2 >= fw->niface)
		return NULL;
	return fw->iface[ifindex - 2].name;
}

const uint8_t *fw_iface_mac(const struct fw *fw, uint32_t ifindex)
{
	if (ifindex < 2 || ifindex - 2 >= fw->niface)
		return NULL;
	return fw->iface[ifindex - 2].mac;
}

/* Does addr fall in prefix/plen? */
static bool in_prefix(const uint8_t *addr, const uint8_t *prefix, uint8_t plen)
{
	uint32_t full = plen / 8, rest = plen % 8;

	if (memcmp(addr, prefix, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (addr[full] & m) == (prefix[full] & m);
	}
	return true;
}

static void mask_prefix(uint8_t *a, uint8_t plen, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t bits = plen > i * 8 ? plen - i * 8 : 0;

		if (bits < 8)
			a[i] &= (uint8_t)(0xff << (8 - bits));
	}
	for (size_t i = len; i < 16; i++)
		a[i] = 0;
}

static int route_add(struct fw *fw, uint8_t l3num, const uint8_t prefix[16], uint8_t plen,
		     uint32_t ifindex, const uint8_t *gw, bool connected)
{
	struct fw_route *r;

	if ((l3num != 2 && l3num != 10) || plen > alen(l3num) * 8)
		return -EINVAL;
	if (!fw_iface_get(fw, ifindex))
		return -ENODEV;
	if (fw->nroute == FW_MAX_ROUTES)
		return -ENOSPC;
	r = &fw->route[fw->nroute++];
	memset(r, 0, sizeof(*r));
	r->l3num = l3num;
	r->plen = plen;
	memcpy(r->prefix, prefix, alen(l3num));
	mask_prefix(r->prefix, plen, alen(l3num));
	r->ifindex = ifindex;
	r->connected = connected;
	if (gw) {
		r->has_gw = true;
		memcpy(r->gw, gw, alen(l3num));
	}
	return 0;
}

int fw_add_addr(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		uint8_t plen)
{
	struct fw_iface *ifc = fw_iface_get(fw, ifindex);
	struct fw_addr *a;

	if (!ifc)
		return -ENODEV;
	if ((l3num != 2 && l3num != 10) || plen > alen(l3num) * 8)
		return -EINVAL;
	if (ifc->naddr == FW_MAX_ADDRS)
		return -ENOSPC;
	a = &ifc->addr[ifc->naddr++];
	memset(a, 0, sizeof(*a));
	a->l3num = l3num;
	a->plen = plen;
	memcpy(a->addr, addr, alen(l3num));
	return route_add(fw, l3num, addr, plen, ifindex, NULL, true);
}

int fw_add_route(struct fw *fw, uint8_t l3num, const uint8_t prefix[16], uint8_t plen,
		 uint32_t ifindex, const uint8_t *gw)
{
	return route_add(fw, l3num, prefix, plen, ifindex, gw, false);
}

bool fw_is_local_addr(const struct fw *fw, uint8_t l3num, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < fw->niface; i++) {
		const struct fw_iface *ifc = &fw->iface[i];

		for (uint32_t j = 0; j < ifc->naddr; j++) {
			if (ifc->addr[j].l3num == l3num &&
			    memcmp(ifc->addr[j].addr, addr, alen(l3num)) == 0)
				return true;
		}
	}
	return false;
}

const struct fw_route *fw_route_lookup(const struct fw *fw, uint8_t l3num, const uint8_t dst[16])
{
	const struct fw_route *best = NULL;

	for (uint32_t i = 0; i < fw->nroute; i++) {
		const struct fw_route *r = &fw->route[i];

		if (r->l3num != l3num || !in_prefix(dst, r->prefix, r->plen))
			continue;
		/* Longest prefix wins; on a tie the connected (or first) route. */
		if (!best || r->plen > best->plen)
			best = r;
	}
	return best;
}

bool fw_on_link(const struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16])
{
	const struct fw_iface *ifc;

	if (ifindex < 2 || ifindex - 2 >= fw->niface)
		return false;
	ifc = &fw->iface[ifindex - 2];
	for (uint32_t j = 0; j < ifc->naddr; j++) {
		if (ifc->addr[j].l3num == l3num &&
		    in_prefix(addr, ifc->addr[j].addr, ifc->addr[j].plen))
			return true;
	}
	return false;
}

/*
 * Source address selection, simplified from the kernel's: the first address
 * of the interface whose prefix holds dst, else its first address of the
 * family (IPv6: link-local addresses are skipped for global destinations).
 */
bool fw_select_src(const struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t dst[16],
		   uint8_t out[16])
{
	const struct fw_iface *ifc;
	const struct fw_addr *first = NULL;

	if (ifindex < 2 || ifindex - 2 >= fw->niface)
		return false;
	ifc = &fw->iface[ifindex - 2];
	for (uint32_t j = 0; j < ifc->naddr; j++) {
		const struct fw_addr *a = &ifc->addr[j];

		if (a->l3num != l3num)
			continue;
		if (in_prefix(dst, a->addr, a->plen)) {
			memset(out, 0, 16);
			memcpy(out, a->addr, alen(l3num));
			return true;
		}
		if (l3num == 10 && a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
			continue;
		if (!first)
			first = a;
	}
	if (!first)
		return false;
	memset(out, 0, 16);
	memcpy(out, first->addr, alen(l3num));
	return true;
}

/* ---- neighbours: open addressing keyed by (ifindex, family, address) ---- */

static uint32_t neigh_hash(uint32_t ifindex, uint8_t l3num, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ ifindex ^ (uint32_t)l3num << 8;

	for (size_t i = 0; i < alen(l3num); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (FW_NEIGH_SLOTS - 1);
}

static struct fw_neigh *neigh_slot(const struct fw *fw, uint32_t ifindex, uint8_t l3num,
				   const uint8_t *addr, bool *found)
{
	uint32_t i = neigh_hash(ifindex, l3num, addr);

	for (uint32_t n = 0; n < FW_NEIGH_SLOTS; n++, i = (i + 1) & (FW_NEIGH_SLOTS - 1)) {
		struct fw_neigh *e = &fw->neigh[i];

		if (e->ifindex == 0) {
			*found = false;
			return e;
		}
		if (e->ifindex == ifindex && e->l3num == l3num &&
		    memcmp(e->addr, addr, alen(l3num)) == 0) {
			*found = true;
			return e;
		}
	}
	*found = false;
	return NULL;
}

const uint8_t *fw_neigh_lookup(const struct fw *fw, uint32_t ifindex, uint8_t l3num,
			       const uint8_t addr[16])
{
	bool found;
	struct fw_neigh *e = neigh_slot(fw, ifindex, l3num, addr, &found);

	return found ? e->mac : NULL;
}

static void neigh_set(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		      const uint8_t mac[6], bool is_static)
{
	bool found;
	struct fw_neigh *e = neigh_slot(fw, ifindex, l3num, addr, &found);

	if (!e)
		return; /* table full: learning stops, static entries were added first */
	if (found && e->is_static && !is_static)
		return;
	if (!found) {
		/* keep a quarter free so probes stay short */
		if (fw->nneigh >= FW_NEIGH_SLOTS * 3 / 4)
			return;
		fw->nneigh++;
	}
	e->ifindex = ifindex;
	e->l3num = l3num;
	e->is_static = is_static;
	memset(e->addr, 0, 16);
	memcpy(e->addr, addr, alen(l3num));
	memcpy(e->mac, mac, 6);
}

int fw_add_neigh(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		 const uint8_t mac[6])
{
	if (!fw_iface_get(fw, ifindex))
		return -ENODEV;
	if (l3num != 2 && l3num != 10)
		return -EINVAL;
	neigh_set(fw, ifindex, l3num, addr, mac, true);
	return 0;
}

void fw_neigh_learn(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		    const uint8_t mac[6])
{
	/* Only unicast source MACs of hosts on a connected prefix are learned. */
	if (mac[0] & 1)
		return;
	if (!fw_on_link(fw, ifindex, l3num, addr))
		return;
	neigh_set(fw, ifindex, l3num, addr, mac, false);
}

/* ---- address classes (routing input decisions) ------------------------- */

/*
 * An IPv4 broadcast address of ours: the limited broadcast, or the
 * directed broadcast of one of our prefixes shorter than /31 (the kernel
 * adds a local broadcast route for it, fib_add_ifaddr).
 */
bool fw_is_bcast4(const struct fw *fw, const uint8_t a[4])
{
	static const uint8_t all[4] = {255, 255, 255, 255};

	if (memcmp(a, all, 4) == 0)
		return true;
	for (uint32_t i = 0; i < fw->niface; i++) {
		const struct fw_iface *ifc = &fw->iface[i];

		for (uint32_t j = 0; j < ifc->naddr; j++) {
			const struct fw_addr *x = &ifc->addr[j];
			uint32_t m, p, d;

			if (x->l3num != 2 || x->plen >= 31)
				continue;
			m = x->plen ? ~0u << (32 - x->plen) : 0;
			p = (uint32_t)x->addr[0] << 24 | (uint32_t)x->addr[1] << 16 |
			    (uint32_t)x->addr[2] << 8 | x->addr[3];
			d = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
			if (d == ((p & m) | ~m))
				return true;
		}
	}
	return false;
}

/*
 * Multicast groups a Linux router's interface has joined without any
 * listener: all-hosts 224.0.0.1; all-nodes ff02::1, all-routers ff02::2 and
 * ff05::2 (forwarding on), and the solicited-node group of each IPv6
 * address of the interface and of its subnet-router anycast address.
 */
bool fw_mcast_joined(const struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t a[16])
{
	static const uint8_t allhosts[4] = {224, 0, 0, 1};
	static const uint8_t sol[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	const struct fw_iface *ifc;

	if (l3num == 2)
		return memcmp(a, allhosts, 4) == 0;
	static const uint8_t zero[13];

	if (a[0] != 0xff)
		return false;
	if ((a[1] == 0x02 || a[1] == 0x05) && memcmp(a + 2, zero, 13) == 0 && a[15] == 2)
		return true; /* ff02::2, ff05::2 */
	if (a[1] == 0x02 && memcmp(a + 2, zero, 13) == 0 && a[15] == 1)
		return true; /* ff02::1 */
	if (memcmp(a, sol, 13) != 0 || ifindex < 2 || ifindex - 2 >= fw->niface)
		return false;
	ifc = &fw->iface[ifindex - 2];
	for (uint32_t j = 0; j < ifc->naddr; j++) {
		const struct fw_addr *x = &ifc->addr[j];
		uint8_t any[16];

		if (x->l3num != 10)
			continue;
		if (memcmp(a + 13, x->addr + 13, 3) == 0)
			return true;
		memcpy(any, x->addr, 16);
		mask_prefix(any, x->plen, 16);
		if (x->plen < 127 && memcmp(a + 13, any + 13, 3) == 0)
			return true;
	}
	return false;
}
