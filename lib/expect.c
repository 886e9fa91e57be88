/* SPDX-License-Identifier: MIT */
/*
 * The expectation table (spec §9.1; kernel nf_conntrack_expect.c
 * behaviour, our own code).
 *
 * Layout: a pool of struct ct_expect preallocated with the table, chained
 * in two hashes by 32-bit indices (index + 1, 0 = end):
 *   - by destination (l3num, proto, dst address, dst port), because the
 *     destination is always matched exactly: a new entry looks up only its
 *     own bucket; newest first, as the kernel's hlist_add_head;
 *   - by master, so that a dying master drops its expectations and the
 *     per-master max_expected check walks only its own.
 * Expiry is a timestamp compared lazily (as in 6.12+): an expired
 * expectation never matches and is reaped (DESTROY) when insertion,
 * matching, listing or GC meets it.
 *
 * Concurrency: owned by the table's thread, like the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper_priv.h"

struct ct_expect {
	struct ct_tuple tuple; /* zone = the master's zone id */
	uint8_t mask_src[16];
	uint16_t mask_src_l4;
	uint8_t class;
	uint8_t flags; /* enum ct_exp_flag */
	uint8_t in_use;
	uint8_t assign_helper; /* helper id for the new entry, 0 = none */
	uint8_t nat;
	uint8_t nat_dir;
	uint8_t saved_addr[16];
	uint16_t saved_l4;
	struct ct_conn *master; /* borrowed: the master removes us before it dies */
	uint32_t id;
	uint32_t self;	       /* index + 1 */
	uint64_t expires;      /* absolute, table time (ns) */
	uint64_t seq;	       /* insertion order: the smallest is the oldest */
	uint32_t hnext, hprev; /* destination chain */
	uint32_t mnext, mprev; /* master chain */
};

struct ct_exp_table {
	struct ct_expect *pool;
	uint32_t cap;
	uint32_t used_hi;   /* slots [0, used_hi) have been touched */
	uint32_t free_head; /* index + 1 */
	uint32_t *dhash;    /* destination chain heads */
	uint32_t *mhash;    /* master chain heads */
	uint32_t hmask;
	uint32_t count;
	uint64_t seq;
	uint32_t next_id;
	struct ct_expect_stats stats;
};

/* ---- pool ----------------------------------------------------------------- */

int ct_expect_table_new(struct ct_table *t)
{
	struct ct_exp_table *x = calloc(1, sizeof(*x));
	uint32_t cap = t->set.expect_max ? t->set.expect_max : 1;
	uint32_t nb = 1;

	if (!x)
		return -ENOMEM;
	/* Buckets: a quarter of the pool, as the kernel's hash (max = 4 x hsize). */
	while (nb < cap / 4 && nb < (1u << 24))
		nb <<= 1;
	x->cap = cap;
	x->hmask = nb - 1;
	/* calloc maps zero pages: untouched slots cost nothing. */
	x->pool = calloc(cap, sizeof(*x->pool));
	x->dhash = calloc(nb, sizeof(*x->dhash));
	x->mhash = calloc(nb, sizeof(*x->mhash));
	if (!x->pool || !x->dhash || !x->mhash)
		goto err_arrays;
	t->exp = x;
	return 0;

err_arrays:
	free(x->pool);
	free(x->dhash);
	free(x->mhash);
	free(x);
	return -ENOMEM;
}

void ct_expect_table_free(struct ct_table *t)
{
	struct ct_exp_table *x = t ? t->exp : NULL;

	if (!x)
		return;
	free(x->pool);
	free(x->dhash);
	free(x->mhash);
	free(x);
	t->exp = NULL;
}

static inline struct ct_expect *at(const struct ct_exp_table *x, uint32_t ref)
{
	return ref ? &x->pool[ref - 1] : NULL;
}

static struct ct_expect *exp_alloc(struct ct_exp_table *x)
{
	struct ct_expect *e;
	uint32_t idx;

	if (x->free_head) {
		idx = x->free_head - 1;
		x->free_head = x->pool[idx].hnext; /* free slots chain through hnext */
	} else if (x->used_hi < x->cap) {
		idx = x->used_hi++;
	} else {
		return NULL;
	}
	e = &x->pool[idx];
	memset(e, 0, sizeof(*e));
	e->self = idx + 1;
	e->in_use = 1;
	return e;
}

static void exp_free(struct ct_exp_table *x, struct ct_expect *e)
{
	e->in_use = 0;
	e->master = NULL;
	e->hnext = x->free_head;
	x->free_head = e->self;
}

/* ---- hashing -------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

/* The destination part of a tuple: what an expectation matches exactly. */
static uint32_t dst_bucket(const struct ct_table *t, const struct ct_tuple *tu)
{
	uint64_t a, b, h;

	memcpy(&a, tu->dst, 8);
	memcpy(&b, tu->dst + 8, 8);
	h = t->seed ^ ((uint64_t)tu->l3num << 56 | (uint64_t)tu->proto << 48 | tu->dst_l4);
	h = mix64(h ^ a);
	h = mix64(h ^ b);
	return (uint32_t)h & t->exp->hmask;
}

static uint32_t master_bucket(const struct ct_table *t, const struct ct_conn *master)
{
	return (uint32_t)mix64(t->seed ^ master->self) & t->exp->hmask;
}

static void exp_link(struct ct_table *t, struct ct_expect *e)
{
	struct ct_exp_table *x = t->exp;
	uint32_t *dh = &x->dhash[dst_bucket(t, &e->tuple)];
	uint32_t *mh = &x->mhash[master_bucket(t, e->master)];

	e->hprev = 0;
	e->hnext = *dh;
	if (*dh)
		at(x, *dh)->hprev = e->self;
	*dh = e->self;
	e->mprev = 0;
	e->mnext = *mh;
	if (*mh)
		at(x, *mh)->mprev = e->self;
	*mh = e->self;
}

static void exp_unlink(struct ct_table *t, struct ct_expect *e)
{
	struct ct_exp_table *x = t->exp;

	if (e->hprev)
		at(x, e->hprev)->hnext = e->hnext;
	else
		x->dhash[dst_bucket(t, &e->tuple)] = e->hnext;
	if (e->hnext)
		at(x, e->hnext)->hprev = e->hprev;
	if (e->mprev)
		at(x, e->mprev)->mnext = e->mnext;
	else
		x->mhash[master_bucket(t, e->master)] = e->mnext;
	if (e->mnext)
		at(x, e->mnext)->mprev = e->mprev;
}

/* ---- events and removal ----------------------------------------------------- */

static void exp_event(struct ct_table *t, enum ct_event_type type, const struct ct_expect *e,
		      uint64_t now)
{
	if (t->exp_event_fn && t->set.events)
		t->exp_event_fn(t->exp_event_arg, type, e, now);
}

/* Unlink, fire DESTROY (the master is still readable), free. */
static void exp_remove(struct ct_table *t, struct ct_expect *e, uint64_t now)
{
	struct ct_exp_table *x = t->exp;

	exp_unlink(t, e);
	x->count--;
	x->stats.expect_delete++;
	exp_event(t, CT_EVENT_DESTROY, e, now);
	exp_free(x, e);
}

static inline bool exp_expired(const struct ct_expect *e, uint64_t now)
{
	return (int64_t)(e->expires - now) <= 0;
}

/* ---- comparisons (kernel nf_ct_tuple_mask_cmp, expect_matches, expect_clash) ---- */

/* The master's zone id, whatever the directions it applies to. */
static uint16_t conn_zone_id(const struct ct_conn *c)
{
	uint16_t o, r;
	unsigned dirs;

	ct_conn_zone(c, &o, &r, &dirs);
	if (dirs & 1)
		return o;
	if (dirs & 2)
		return r;
	return 0;
}

static bool dst_equal(const struct ct_tuple *a, const struct ct_tuple *b)
{
	return a->l3num == b->l3num && a->proto == b->proto && a->dst_l4 == b->dst_l4 &&
	       memcmp(a->dst, b->dst, 16) == 0;
}

/* Source parts equal under `mask` (address bytes and the l4 field). */
static bool src_equal_masked(const struct ct_tuple *a, const struct ct_tuple *b,
			     const uint8_t mask[16], uint16_t mask_l4)
{
	for (int i = 0; i < 16; i++)
		if ((a->src[i] ^ b->src[i]) & mask[i])
			return false;
	return ((a->src_l4 ^ b->src_l4) & mask_l4) == 0;
}

/* Same tuple and same mask, same zone: an identical expectation. */
static bool exp_identical(const struct ct_expect *a, const struct ct_expect *b)
{
	return dst_equal(&a->tuple, &b->tuple) && a->tuple.src_l4 == b->tuple.src_l4 &&
	       memcmp(a->tuple.src, b->tuple.src, 16) == 0 &&
	       memcmp(a->mask_src, b->mask_src, 16) == 0 && a->mask_src_l4 == b->mask_src_l4 &&
	       a->tuple.zone == b->tuple.zone;
}

/* The parts both masks cover are equal: the two would match the same flow. */
static bool exp_clash(const struct ct_expect *a, const struct ct_expect *b)
{
	uint8_t m[16];

	for (int i = 0; i < 16; i++)
		m[i] = a->mask_src[i] & b->mask_src[i];
	return dst_equal(&a->tuple, &b->tuple) && a->tuple.zone == b->tuple.zone &&
	       src_equal_masked(&a->tuple, &b->tuple, m, a->mask_src_l4 & b->mask_src_l4);
}

/* ---- insertion -------------------------------------------------------------- */

void ct_expect_spec_init(struct ct_expect_spec *s, uint8_t class, uint8_t l3num, const uint8_t *src,
			 const uint8_t dst[16], uint8_t proto, const uint16_t *src_l4,
			 uint16_t dst_l4)
{
	size_t alen = l3num == 10 ? 16 : 4;

	memset(s, 0, sizeof(*s));
	s->class = class;
	s->tuple.l3num = l3num;
	s->tuple.proto = proto;
	if (src) {
		memcpy(s->tuple.src, src, alen);
		memset(s->mask_src, 0xff, alen);
	}
	if (src_l4) {
		s->tuple.src_l4 = *src_l4;
		s->mask_src_l4 = 0xffff;
	}
	memcpy(s->tuple.dst, dst, alen);
	s->tuple.dst_l4 = dst_l4;
}

/* Expectations of `master` in `class` that are alive; reaps expired ones. */
static uint32_t master_class_count(struct ct_table *t, const struct ct_conn *master, uint8_t class,
				   uint64_t now, struct ct_expect **oldest)
{
	struct ct_exp_table *x = t->exp;
	uint32_t ref = x->mhash[master_bucket(t, master)], n = 0;

	*oldest = NULL;
	while (ref) {
		struct ct_expect *e = at(x, ref);

		ref = e->mnext;
		if (e->master != master || e->class != class)
			continue;
		if (exp_expired(e, now)) {
			exp_remove(t, e, now);
			continue;
		}
		n++;
		if (!*oldest || e->seq < (*oldest)->seq)
			*oldest = e;
	}
	return n;
}

static void reap_all(struct ct_table *t, uint64_t now)
{
	struct ct_exp_table *x = t->exp;

	for (uint32_t i = 0; i < x->used_hi; i++)
		if (x->pool[i].in_use && exp_expired(&x->pool[i], now))
			exp_remove(t, &x->pool[i], now);
}

/*
 * Replacement and clash rules (kernel __nf_ct_expect_check): walking the
 * destination bucket, the first identical expectation of the same master
 * is replaced (or -EALREADY if its class differs) and the walk stops; any
 * clash met before that is -EBUSY.
 */
static int check_bucket(struct ct_table *t, const struct ct_expect *n, uint64_t now)
{
	struct ct_exp_table *x = t->exp;
	uint32_t ref = x->dhash[dst_bucket(t, &n->tuple)];

	while (ref) {
		struct ct_expect *e = at(x, ref);

		ref = e->hnext;
		if (exp_expired(e, now)) {
			exp_remove(t, e, now);
			continue;
		}
		if (e->master == n->master && exp_identical(e, n)) {
			if (e->class != n->class)
				return -EALREADY;
			exp_remove(t, e, now);
			return 0;
		}
		if (exp_clash(e, n))
			return -EBUSY;
	}
	return 0;
}

static int spec_to_exp(const struct ct_table *t, struct ct_conn *master,
		       const struct ct_expect_spec *s, struct ct_expect *n)
{
	size_t alen = s->tuple.l3num == 10 ? 16 : 4;
	const struct ct_helper *ah = NULL;

	if (s->tuple.l3num != ct_conn_l3num(master) || s->class != 0)
		return -EINVAL;
	if (s->assign_helper) {
		ah = ct_helper_by_name(s->assign_helper);
		if (!ah)
			return -ENOENT;
	}
	memset(n, 0, sizeof(*n));
	n->tuple.l3num = s->tuple.l3num;
	n->tuple.proto = s->tuple.proto;
	memcpy(n->tuple.src, s->tuple.src, alen);
	memcpy(n->tuple.dst, s->tuple.dst, alen);
	n->tuple.src_l4 = s->tuple.src_l4;
	n->tuple.dst_l4 = s->tuple.dst_l4;
	n->tuple.zone = conn_zone_id(master);
	memcpy(n->mask_src, s->mask_src, alen);
	n->mask_src_l4 = s->mask_src_l4;
	n->class = s->class;
	n->flags = s->flags & (CT_EXP_F_PERMANENT | CT_EXP_F_INACTIVE | CT_EXP_F_USERSPACE);
	n->assign_helper = ah ? ct_helper_id(ah) : 0;
	n->nat = s->nat;
	n->nat_dir = s->nat_dir;
	memcpy(n->saved_addr, s->saved_addr, 16);
	n->saved_l4 = s->saved_l4;
	n->master = master;
	(void)t;
	return 0;
}

int ct_expect_create(struct ct_table *t, struct ct_conn *master, const struct ct_expect_spec *s,
		     uint64_t now)
{
	struct ct_exp_table *x = t->exp;
	const struct ct_helper *h = ct_conn_helper(t, master);
	struct ct_expect n, *e, *oldest;
	uint32_t timeout_s;
	int err;

	if (!h)
		return -EOPNOTSUPP;
	if (ct_conn_status(master) & CT_S_DYING)
		return -ESHUTDOWN;
	err = spec_to_exp(t, master, s, &n);
	if (err)
		return err;
	err = check_bucket(t, &n, now);
	if (err)
		return err;
	/* max_expected per master and class: evict the oldest once. */
	if (h->max_expected &&
	    master_class_count(t, master, n.class, now, &oldest) >= h->max_expected) {
		exp_remove(t, oldest, now);
		if (master_class_count(t, master, n.class, now, &oldest) >= h->max_expected)
			return -EMFILE;
	}
	/* nf_conntrack_expect_max ("expectation table full"). */
	if (x->count >= t->set.expect_max) {
		reap_all(t, now);
		if (x->count >= t->set.expect_max)
			return -EMFILE;
	}
	e = exp_alloc(x);
	if (!e)
		return -ENOSPC;
	n.self = e->self;
	*e = n;
	e->in_use = 1;
	timeout_s = s->timeout_s ? s->timeout_s : h->timeout_s;
	e->expires = now + (uint64_t)timeout_s * CT_SEC;
	e->seq = ++x->seq;
	e->id = (uint32_t)mix64(t->seed ^ 0x6578706563ull ^ ++x->next_id);
	exp_link(t, e);
	x->count++;
	x->stats.expect_create++;
	exp_event(t, CT_EVENT_NEW, e, now);
	return 0;
}

/* ---- matching a new entry (kernel nf_ct_find_expectation + init_conntrack) ---- */

void ct_expect_match_new(struct ct_table *t, struct ct_conn *c, uint16_t zone, uint64_t now)
{
	struct ct_exp_table *x = t->exp;
	struct ct_expect *e = NULL;
	struct ct_conn *master;
	struct ct_ext_data *ext;
	struct ct_expect_info info;
	struct ct_tuple tu;
	uint32_t ref;
	bool follow;

	if (!x || !x->count)
		return;
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &tu);
	ref = x->dhash[dst_bucket(t, &tu)];
	while (ref) {
		struct ct_expect *i = at(x, ref);

		ref = i->hnext;
		if (exp_expired(i, now)) {
			exp_remove(t, i, now);
			continue;
		}
		if (!(i->flags & CT_EXP_F_INACTIVE) && dst_equal(&i->tuple, &tu) &&
		    i->tuple.zone == zone &&
		    src_equal_masked(&tu, &i->tuple, i->mask_src, i->mask_src_l4)) {
			e = i;
			break;
		}
	}
	if (!e)
		return;
	/*
	 * The master must have left the box (confirmed) and be alive; the
	 * first match decides, there is no second candidate.
	 */
	master = e->master;
	if (!ct_conn_confirmed(master) || (ct_conn_status(master) & CT_S_DYING) ||
	    ct_conn_timeout_left(master, now) == 0)
		return;
	c->status |= CT_S_EXPECTED;
	ext = ct_ext_add(t, c, CT_EXT_MASTER);
	ext->master = master->self;
	c->mark = ct_conn_mark(master);
	if (e->assign_helper) {
		ext = ct_ext_add(t, c, CT_EXT_HELPER);
		ext->helper = e->assign_helper;
		memset(ext->helper_data, 0, sizeof(ext->helper_data));
	}
	x->stats.expect_new++;
	follow = e->nat && t->nat_helper && t->nat_helper->follow_master;
	if (follow)
		ct_expect_get(t, e, now, &info);
	if (!(e->flags & CT_EXP_F_PERMANENT))
		exp_remove(t, e, now);
	if (follow)
		t->nat_helper->follow_master(t, c, master, &info, now);
}

void ct_expect_master_gone(struct ct_table *t, struct ct_conn *c, uint64_t now)
{
	struct ct_exp_table *x = t->exp;
	uint32_t ref;

	if (!x || !x->count || !(c->ext & CT_EXT_HELPER))
		return;
	ref = x->mhash[master_bucket(t, c)];
	while (ref) {
		struct ct_expect *e = at(x, ref);

		ref = e->mnext;
		if (e->master == c)
			exp_remove(t, e, now);
	}
}

/* ---- listing and control plane ------------------------------------------------- */

void ct_expect_get(const struct ct_table *t, const struct ct_expect *e, uint64_t now,
		   struct ct_expect_info *out)
{
	size_t alen = e->tuple.l3num == 10 ? 16 : 4;

	memset(out, 0, sizeof(*out));
	out->tuple = e->tuple;
	out->tuple.zone = 0;
	out->mask.l3num = e->tuple.l3num;
	out->mask.proto = e->tuple.proto;
	memcpy(out->mask.src, e->mask_src, 16);
	out->mask.src_l4 = e->mask_src_l4;
	/* ctnetlink reports the destination mask as all ones. */
	memset(out->mask.dst, 0xff, alen);
	out->mask.dst_l4 = 0xffff;
	ct_conn_tuple(e->master, CT_DIR_ORIGINAL, &out->master);
	out->timeout_s = exp_expired(e, now) ? 0 : (uint32_t)((e->expires - now) / CT_SEC);
	out->id = e->id;
	out->flags = e->flags;
	out->class = e->class;
	out->zone = e->tuple.zone;
	out->helper = ct_conn_helper_name(t, e->master);
	out->nat = e->nat;
	out->nat_dir = e->nat_dir;
	memcpy(out->saved_addr, e->saved_addr, 16);
	out->saved_l4 = e->saved_l4;
}

const struct ct_conn *ct_expect_master(const struct ct_expect *e)
{
	return e->master;
}

void ct_expect_iter_init(struct ct_expect_iter *it)
{
	it->pos = 0;
}

const struct ct_expect *ct_expect_iter_next(const struct ct_table *t, struct ct_expect_iter *it,
					    uint64_t now)
{
	const struct ct_exp_table *x = t->exp;

	while (x && it->pos < x->used_hi) {
		const struct ct_expect *e = &x->pool[it->pos++];

		if (e->in_use && !exp_expired(e, now))
			return e;
	}
	return NULL;
}

void ct_expect_delete(struct ct_table *t, const struct ct_expect *e, uint64_t now)
{
	struct ct_exp_table *x = t->exp;
	struct ct_expect *m;

	if (!x || e < x->pool || e >= x->pool + x->used_hi || !e->in_use)
		return;
	m = &x->pool[e - x->pool];
	exp_remove(t, m, now);
}

void ct_expect_flush(struct ct_table *t, uint64_t now)
{
	struct ct_exp_table *x = t->exp;

	for (uint32_t i = 0; x && i < x->used_hi; i++)
		if (x->pool[i].in_use)
			exp_remove(t, &x->pool[i], now);
}

size_t ct_expect_gc(struct ct_table *t, uint64_t now)
{
	struct ct_exp_table *x = t->exp;
	uint32_t before;

	if (!x || !x->count)
		return 0;
	before = x->count;
	reap_all(t, now);
	return before - x->count;
}

uint32_t ct_expect_count(const struct ct_table *t)
{
	return t->exp ? t->exp->count : 0;
}

void ct_expect_stats(const struct ct_table *t, struct ct_expect_stats *out)
{
	if (t->exp)
		*out = t->exp->stats;
	else
		memset(out, 0, sizeof(*out));
}
