/* SPDX-License-Identifier: MIT */
/*
 * The external cache: the states a peer replicated to us, kept apart from
 * the connection table until a commit (conntrackd -c) moves them in.
 * Keyed by the original tuple; a pool sized at creation (conntrackd's
 * HashLimit), a full pool is a counted refusal.  Also the filters that
 * decide which local entries are replicated (conntrackd's Filter).
 * No I/O; the owner's thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/sync.h"

#define NIL UINT32_MAX

struct slot {
	uint32_t next; /* hash chain, or free list */
	bool used;
	uint64_t updated; /* ns, time of the last message */
	struct sync_ct ct;
};

struct sync_cache {
	struct slot *slots;
	uint32_t nslots, free_head, count;
	uint32_t *heads;
	uint32_t hmask;
	struct sync_cache_stats st;
};

static uint32_t key_hash(const struct ct_tuple *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static bool key_of(const struct sync_ct *c, struct ct_tuple *k)
{
	return sync_ct_orig_tuple(c, k) == 0;
}

int sync_cache_new(uint32_t max, struct sync_cache **out)
{
	struct sync_cache *c;
	uint32_t h = 1;

	if (!max)
		max = 131072;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	while (h < max && h < (1u << 30))
		h <<= 1;
	c->hmask = h - 1;
	c->nslots = max;
	c->slots = calloc(max, sizeof(*c->slots));
	c->heads = malloc((size_t)h * sizeof(*c->heads));
	if (!c->slots || !c->heads) {
		sync_cache_free(c);
		return -ENOMEM;
	}
	memset(c->heads, 0xff, (size_t)h * sizeof(*c->heads));
	for (uint32_t i = 0; i < max; i++)
		c->slots[i].next = i + 1 < max ? i + 1 : NIL;
	c->free_head = 0;
	*out = c;
	return 0;
}

void sync_cache_free(struct sync_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->heads);
	free(c);
}

/* The slot holding the entry named by k, and the link pointing at it. */
static uint32_t find(struct sync_cache *c, const struct ct_tuple *k, uint32_t **link)
{
	uint32_t *l = &c->heads[key_hash(k) & c->hmask];

	while (*l != NIL) {
		struct ct_tuple o;

		if (key_of(&c->slots[*l].ct, &o) && !memcmp(&o, k, sizeof(o)))
			break;
		l = &c->slots[*l].next;
	}
	if (link)
		*link = l;
	return *l;
}

int sync_cache_update(struct sync_cache *c, const struct sync_ct *s, uint64_t now)
{
	struct ct_tuple k;
	uint32_t *link, i;

	memset(&k, 0, sizeof(k));
	if (!key_of(s, &k))
		return -EINVAL;
	i = find(c, &k, &link);
	if (i != NIL) {
		c->slots[i].ct = *s;
		c->slots[i].updated = now;
		c->st.updated++;
		return 0;
	}
	if (c->free_head == NIL) {
		c->st.full++;
		return -ENOSPC;
	}
	i = c->free_head;
	c->free_head = c->slots[i].next;
	c->slots[i] = (struct slot){.next = NIL, .used = true, .updated = now, .ct = *s};
	*link = i;
	c->count++;
	c->st.created++;
	return 0;
}

static void unlink_slot(struct sync_cache *c, uint32_t *link, uint32_t i)
{
	*link = c->slots[i].next;
	c->slots[i].used = false;
	c->slots[i].next = c->free_head;
	c->free_head = i;
	c->count--;
}

int sync_cache_delete(struct sync_cache *c, const struct sync_ct *s)
{
	struct ct_tuple k;
	uint32_t *link, i;

	memset(&k, 0, sizeof(k));
	if (!key_of(s, &k))
		return -EINVAL;
	i = find(c, &k, &link);
	if (i == NIL)
		return -ENOENT;
	unlink_slot(c, link, i);
	c->st.destroyed++;
	return 0;
}

void sync_cache_flush(struct sync_cache *c)
{
	for (uint32_t h = 0; h <= c->hmask; h++) {
		while (c->heads[h] != NIL)
			unlink_slot(c, &c->heads[h], c->heads[h]);
	}
}

size_t sync_cache_expire(struct sync_cache *c, uint64_t now, uint64_t max_age)
{
	size_t n = 0;

	for (uint32_t h = 0; h <= c->hmask; h++) {
		uint32_t *l = &c->heads[h];

		while (*l != NIL) {
			if (now - c->slots[*l].updated >= max_age) {
				unlink_slot(c, l, *l);
				n++;
				continue;
			}
			l = &c->slots[*l].next;
		}
	}
	c->st.expired += n;
	return n;
}

const struct sync_ct *sync_cache_next(const struct sync_cache *c, uint32_t *pos)
{
	while (*pos < c->nslots) {
		const struct slot *s = &c->slots[(*pos)++];

		if (s->used)
			return &s->ct;
	}
	return NULL;
}

uint32_t sync_cache_count(const struct sync_cache *c)
{
	return c->count;
}

void sync_cache_stats(const struct sync_cache *c, struct sync_cache_stats *out)
{
	*out = c->st;
	out->active = c->count;
}

/* ---- filters ---- */

static bool addr_in(const struct sync_filter_net *n, uint8_t l3num, const uint8_t *a)
{
	unsigned full = n->plen / 8, rest = n->plen % 8;

	if (n->l3num != l3num)
		return false;
	if (memcmp(n->addr, a, full))
		return false;
	return !rest || ((n->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool sync_filter_pass(const struct sync_filter *f, const struct ct_tuple *o,
		      const struct ct_tuple *r, uint8_t proto_state)
{
	if (f->proto_set) {
		bool in = (f->protos[o->proto / 64] >> (o->proto % 64)) & 1;

		if (in != f->proto_accept)
			return false;
	}
	if (f->nnets) {
		bool in = false;

		for (size_t i = 0; i < f->nnets && !in; i++)
			in = addr_in(&f->nets[i], o->l3num, o->src) ||
			     addr_in(&f->nets[i], o->l3num, o->dst) ||
			     addr_in(&f->nets[i], r->l3num, r->src) ||
			     addr_in(&f->nets[i], r->l3num, r->dst);
		if (in != f->net_accept)
			return false;
	}
	/* conntrackd's State filter applies to TCP only. */
	if (f->tcp_states && o->proto == 6) {
		bool in = (f->tcp_states >> proto_state) & 1;

		if (in != f->state_accept)
			return false;
	}
	return true;
}
