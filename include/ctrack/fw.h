/* SPDX-License-Identifier: MIT */
/*
 * A Linux router in a library: interfaces, routes, neighbours, the netfilter
 * hooks in the kernel's order (spec §11) with conntrack and an nft ruleset,
 * forwarding (TTL, MAC rewrite), local delivery and the answers a Linux host
 * with no listening service gives.  No I/O: frames go in, frames come out.
 *
 * Ownership: frames handed in are borrowed for the call; frames in a
 * struct fw_result live in the fw's output arena until the next fw_* call.
 */
#ifndef CTRACK_FW_H
#define CTRACK_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"

struct fw;
struct nft_ruleset;

#define FW_IFNAMSIZ 16
#define FW_MAX_EMIT 256

enum fw_outcome {
	FW_FORWARDED = 0, /* left by res->out_ifindex */
	FW_DELIVERED,     /* accepted at input: for the firewall itself */
	FW_DROPPED,       /* see res->reason */
	FW_REJECTED,      /* dropped by a reject rule, an answer was sent */
	FW_HELD,          /* a fragment waiting for the rest of its datagram */
	FW_SENT,          /* a locally generated packet left */
	FW_OUTCOME_MAX,
};

enum fw_reason {
	FW_R_NONE = 0,
	FW_R_RULE,        /* a drop verdict or chain policy */
	FW_R_NOT_IP,      /* not IPv4/IPv6 (ARP, LLDP, ...) */
	FW_R_OTHERHOST,   /* destination MAC is not ours */
	FW_R_MALFORMED,   /* the IP layer discarded it (bad header, checksum, length) */
	FW_R_FRAGMENT,    /* bad or expired fragment */
	FW_R_CT_DROP,     /* conntrack dropped it (table full, insert failed, TCP) */
	FW_R_NO_ROUTE,
	FW_R_TTL,         /* TTL / hop limit exceeded while forwarding */
	FW_R_NO_NEIGH,    /* next hop's MAC unknown */
	FW_R_MARTIAN,     /* source is one of our addresses, or not unicast */
	FW_R_ARENA,       /* output arena full */
	FW_R_MAX,
};

struct fw_emit {
	uint32_t ifindex;
	const uint8_t *frame;
	uint32_t len;
	bool generated;  /* made by the firewall (answer, reject, ICMP error) */
};

struct fw_result {
	enum fw_outcome outcome;
	enum fw_reason reason;
	uint32_t out_ifindex;
	uint8_t ctinfo;      /* enum ct_info of the packet after conntrack */
	uint32_t ct_status;  /* status bits of its entry (0 if none) */
	enum ct_hook hook;   /* where the decision fell */
	/* The rule that decided (drop/reject/accept), if any. */
	bool by_rule;
	bool by_policy;
	const char *table;   /* borrowed from the ruleset */
	const char *chain;
	uint64_t handle;
	const char *rule_text;
	size_t n_emit;
	struct fw_emit emit[FW_MAX_EMIT];
};

struct fw_config {
	struct ct_table_config ct;
};

int fw_new(const struct fw_config *cfg, struct fw **out);
void fw_free(struct fw *fw); /* accepts NULL */
struct ct_table *fw_ct(struct fw *fw);

/* Interfaces are numbered from 2 (1 is lo, as in a fresh namespace). */
int fw_add_iface(struct fw *fw, const char *name, const uint8_t mac[6]);
int fw_iface_index(const struct fw *fw, const char *name); /* -ENOENT */
const char *fw_iface_name(const struct fw *fw, uint32_t ifindex);
const uint8_t *fw_iface_mac(const struct fw *fw, uint32_t ifindex); /* NULL if none */
/* An address with its prefix: adds the connected route. */
int fw_add_addr(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		uint8_t plen);
int fw_add_route(struct fw *fw, uint8_t l3num, const uint8_t prefix[16], uint8_t plen,
		 uint32_t ifindex, const uint8_t *gw /* NULL: on-link */);
int fw_add_neigh(struct fw *fw, uint32_t ifindex, uint8_t l3num, const uint8_t addr[16],
		 const uint8_t mac[6]);
/* The ruleset evaluated at the hooks (borrowed; NULL = accept all, conntrack on). */
void fw_set_ruleset(struct fw *fw, struct nft_ruleset *rs);

/* A frame received on an interface (Ethernet). */
int fw_input(struct fw *fw, uint32_t ifindex, const uint8_t *frame, uint32_t len, uint64_t now,
	     struct fw_result *res);
/* A locally generated packet (starts at the IP header, or Ethernet if eth). */
int fw_local(struct fw *fw, const uint8_t *pkt, uint32_t len, bool eth, uint64_t now,
	     struct fw_result *res);
/* Expire fragments and connections (call now and then with packet time). */
void fw_tick(struct fw *fw, uint64_t now);

struct fw_stats {
	uint64_t in, forwarded, delivered, sent, rejected, held;
	uint64_t dropped[FW_R_MAX];
	uint64_t generated;
	uint32_t peak_conns;
	uint64_t conns_created;
};
void fw_get_stats(const struct fw *fw, struct fw_stats *out);
const char *fw_reason_name(enum fw_reason r);
const char *fw_outcome_name(enum fw_outcome o);

#endif
