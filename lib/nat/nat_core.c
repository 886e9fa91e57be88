/* SPDX-License-Identifier: MIT */
/*
 * The NAT state of a table: allocation, the deterministic PRNG, the
 * by-source index and its upkeep when the table frees entries, the
 * masquerade interface record, counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper_priv.h"
#include "nat_priv.h"

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 64;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

int nat_table_init(struct ct_table *t)
{
	struct nat_state *n;
	uint32_t cap = t->set.max ? t->set.max : 1;

	if (t->nat)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	/* A distinct stream from the table's hash seed, reproducible per seed. */
	n->rng = t->seed ^ 0x6e61745f726e6721ull;
	n->bysrc_mask = pow2_at_least(cap) - 1;
	n->bysrc = calloc((size_t)n->bysrc_mask + 1, sizeof(*n->bysrc));
	n->ed[0] = calloc(cap, sizeof(struct nat_entry_data));
	n->ed[1] = calloc(cap, sizeof(struct nat_entry_data));
	if (!n->bysrc || !n->ed[0] || !n->ed[1]) {
		nat_state_free(n);
		return -ENOMEM;
	}
	t->nat = n;
	/* FTP/TFTP on NATed masters rewrite and expect through NAT (§9.3, §10.6). */
	ct_nat_helper_set(t, &nat_helper_ops);
	return 0;
}

void nat_state_free(struct nat_state *n)
{
	if (!n)
		return;
	free(n->bysrc);
	free(n->ed[0]);
	free(n->ed[1]);
	free(n);
}

struct nat_state *nat_state_get(struct ct_table *t)
{
	if (!t->nat && nat_table_init(t) != 0)
		return NULL;
	return t->nat;
}

/* splitmix64: small, fast, and the same sequence for the same seed. */
uint16_t nat_random_u16(struct nat_state *n)
{
	uint64_t z = (n->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint16_t)(z >> 48);
}

struct nat_entry_data *nat_entry(const struct ct_table *t, const struct ct_conn *c)
{
	return &t->nat->ed[c->l3num == 10][ct_ref_index(c->self)];
}

struct ct_conn *nat_ref_conn(const struct ct_table *t, uint32_t ref)
{
	const struct ct_pool *pl = &t->pool[(ref & CT_REF_V6) != 0];

	return (struct ct_conn *)(pl->mem + (size_t)ct_ref_index(ref) * pl->size);
}

/* Hash of what the kernel's hash_by_src covers: source address and l4, protocol, zone. */
uint32_t nat_bysrc_hash(const struct ct_table *t, const struct ct_tuple *o)
{
	uint64_t h = t->seed ^ 0x62797372635f6e61ull;
	uint64_t w[3] = {0, 0, 0};

	memcpy(&w[0], o->src, 8);
	memcpy(&w[1], o->src + 8, 8);
	w[2] = (uint64_t)o->src_l4 | (uint64_t)o->proto << 16 | (uint64_t)o->l3num << 24 |
	       (uint64_t)o->zone << 32;
	for (int i = 0; i < 3; i++) {
		h ^= w[i];
		h *= 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h >> 32) & t->nat->bysrc_mask;
}

void nat_bysrc_add(struct ct_table *t, struct ct_conn *c)
{
	struct ct_tuple o;
	uint32_t b;

	ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
	b = nat_bysrc_hash(t, &o);
	nat_entry(t, c)->bysrc_next = t->nat->bysrc[b];
	t->nat->bysrc[b] = c->self;
}

/* Called by the table for each freed entry with SRC_NAT_DONE (ct_priv.h). */
void nat_conn_free(struct ct_table *t, struct ct_conn *c)
{
	struct nat_entry_data *e = nat_entry(t, c);
	struct ct_tuple o;
	uint32_t *link;

	ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
	link = &t->nat->bysrc[nat_bysrc_hash(t, &o)];
	while (*link) {
		if (*link == c->self) {
			*link = e->bysrc_next;
			break;
		}
		link = &nat_entry(t, nat_ref_conn(t, *link))->bysrc_next;
	}
	e->bysrc_next = 0;
	e->masq_oif = 0;
}

enum nat_manip_type nat_hook_manip(enum ct_hook hook)
{
	return (hook == CT_HOOK_POSTROUTING || hook == CT_HOOK_INPUT) ? NAT_MANIP_SRC
								     : NAT_MANIP_DST;
}

bool nat_initialized(const struct ct_conn *c, enum nat_manip_type m)
{
	return c->status & (m == NAT_MANIP_SRC ? CT_S_SRC_NAT_DONE : CT_S_DST_NAT_DONE);
}

void nat_set_masq_oif(struct ct_table *t, const struct ct_conn *c, uint32_t ifindex)
{
	if (t->nat)
		nat_entry(t, c)->masq_oif = ifindex;
}

/*
 * nf_nat_oif_changed: a masqueraded flow whose original-direction packets
 * now leave by another interface is killed and the packet dropped (§10.2).
 */
bool nat_oif_changed(const struct ct_table *t, const struct ct_pkt *p, enum ct_hook hook,
		     uint32_t oif)
{
	uint32_t masq;

	if (!t->nat || !p->ct || hook != CT_HOOK_POSTROUTING || p->dir != CT_DIR_ORIGINAL)
		return false;
	masq = nat_entry(t, p->ct)->masq_oif;
	return masq && masq != oif;
}

void nat_get_stats(const struct ct_table *t, struct nat_stats *out)
{
	if (t->nat)
		*out = t->nat->stats;
	else
		memset(out, 0, sizeof(*out));
}
