/* SPDX-License-Identifier: MIT */
/* The router model's internals (lib/fw). */
#ifndef CTRACK_FW_PRIV_H
#define CTRACK_FW_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "ctrack/ct.h"
#include "ctrack/fw.h"
#include "ctrack/pkt.h"

#define FW_MAX_IFACES 64
#define FW_MAX_ADDRS 16   /* per interface */
#define FW_MAX_ROUTES 1024
#define FW_NEIGH_SLOTS 4096 /* open addressing, power of two */
#define FW_ARENA_SIZE (1u << 20)

struct fw_addr {
	uint8_t l3num;
	uint8_t plen;
	uint8_t addr[16];
};

struct fw_iface {
	char name[FW_IFNAMSIZ];
	uint8_t mac[6];
	uint32_t naddr;
	struct fw_addr addr[FW_MAX_ADDRS];
};

struct fw_route {
	uint8_t l3num;
	uint8_t plen;
	bool has_gw;
	bool connected;
	uint8_t prefix[16];
	uint8_t gw[16];
	uint32_t ifindex;
};

struct fw_neigh {
	uint32_t ifindex; /* 0 = empty slot */
	uint8_t l3num;
	bool is_static;
	uint8_t addr[16];
	uint8_t mac[6];
};

struct fw {
	struct ct_table *ct;
	struct ct_defrag *defrag;
	struct nft_ruleset *rs;
	uint32_t niface;
	struct fw_iface iface[FW_MAX_IFACES]; /* [i] is ifindex i + 2 */
	uint32_t nroute;
	struct fw_route route[FW_MAX_ROUTES];
	struct fw_neigh *neigh; /* FW_NEIGH_SLOTS */
	uint32_t nneigh;
	/* Output arena: every emitted frame of one call. */
	uint8_t *arena;
	uint32_t arena_used;
	struct fw_stats stats;
};

/* lib/fw/net.c */
struct fw_iface *fw_iface_get(struct fw *fw, uint32_t ifindex);
bool fw_is_local_addr(const struct fw *fw, uint8_t l3num, const uint8_t addr[16]);
/* Longest-prefix match.  Returns the route or NULL. */
const struct fw_route *fw_route_lookup(const struct fw *fw, uint8_t l3num,
				       const uint8_t dst[16]);
/* The source address the kernel would pick on ifindex towards dst. */
bool fw_select_src(const struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t dst[16],
		   uint8_t out[16]);
const uint8_t *fw_neigh_lookup(const struct fw *fw, uint32_t ifindex, uint8_t l3num,
			       const uint8_t addr[16]);
void fw_neigh_learn(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		    const uint8_t mac[6]);
bool fw_on_link(const struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16]);
bool fw_is_bcast4(const struct fw *fw, const uint8_t a[4]);
bool fw_mcast_joined(const struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t a[16]);

/* lib/fw/gen.c: packet builders.  Each writes an IP packet into buf
 * (capacity cap) and returns its length, or 0 if it must not be sent. */
/* reflect_ds: copy the TOS / traffic class minus ECN (the host's own reset,
 * not a reject rule's). */
uint32_t fw_gen_tcp_reset(const struct ct_pkt *orig, bool reflect_ds, uint8_t *buf,
			  uint32_t cap);
uint32_t fw_gen_icmp_error(const struct ct_pkt *orig, const uint8_t src[16], uint8_t type,
			   uint8_t code, uint8_t *buf, uint32_t cap);
/* src: the reply's source (NULL: the request's destination). */
uint32_t fw_gen_echo_reply(const struct ct_pkt *orig, const uint8_t *src, uint8_t *buf,
			   uint32_t cap);
/* A neighbour advertisement answering the solicitation orig (for one of
 * our addresses on the interface with this MAC). */
uint32_t fw_gen_nd_advert(const struct ct_pkt *orig, const uint8_t mac[6], bool router,
			  uint8_t *buf, uint32_t cap);
/* IPv4 record route (RFC 791): a forwarded packet's option with room left
 * gets addr in its next slot (header checksum updated). */
void fw_ip4_record_route(uint8_t *ip, const uint8_t addr[4]);
/* Decrement the TTL / hop limit of an IP packet in place (IPv4: checksum). */
void fw_dec_ttl(uint8_t *ip, uint8_t l3num);

#endif
