/* SPDX-License-Identifier: MIT */
/*
 * The connection table: entry pools, the two-link index, lookup, creation,
 * confirm and clash handling, expiry and garbage collection, early drop and
 * events (spec §1.4, §1.5, §2.2, §7).  Layout rationale in ct_priv.h.
 *
 * Concurrency: a table is owned by one thread; nothing here locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ct_priv.h"
#include "helper_priv.h"

/* ---- hashing ---------------------------------------------------------- */

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline void store64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

/*
 * A keyed multiply-xor hash over the 8-byte words of a key.  Inline with a
 * constant length, so each family's loop unrolls (2 words IPv4, 5 IPv6).
 */
static inline uint64_t hash_words(const void *key, size_t len, uint64_t seed)
{
	const uint8_t *k = key;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull);

	for (size_t i = 0; i < len; i += 8)
		h = (h ^ load64(k + i)) * 0x9fb21c651e98df25ull + (h >> 29);
	return mix64(h);
}

/* The ct_key6 is 40 bytes: five words.  ct_key4 is 16 bytes: two words. */
static inline uint64_t key_hash(const struct ct_table *t, bool v6, const void *key)
{
	if (v6)
		return hash_words(key, sizeof(struct ct_key6), t->seed);
	return hash_words(key, sizeof(struct ct_key4), t->seed);
}

/* ---- pools and references ------------------------------------------- */

static inline struct ct_conn *ref_conn(const struct ct_table *t, uint32_t ref)
{
	if (ref & CT_REF_V6)
		return (struct ct_conn *)(t->pool[1].mem +
					  (size_t)ct_ref_index(ref) * sizeof(struct ct_conn6));
	return (struct ct_conn *)(t->pool[0].mem + (size_t)ct_ref_index(ref) * sizeof(struct ct_conn4));
}

static inline size_t key_len(bool v6)
{
	return v6 ? sizeof(struct ct_key6) : sizeof(struct ct_key4);
}

/* Copy a key with a constant size per family (inline moves, no call). */
static inline void key_copy(void *dst, const void *src, bool v6)
{
	if (v6)
		memcpy(dst, src, sizeof(struct ct_key6));
	else
		memcpy(dst, src, sizeof(struct ct_key4));
}

/* Room for either family's key. */
union keybuf {
	struct ct_key4 k4;
	struct ct_key6 k6;
	uint8_t b[sizeof(struct ct_key6)];
	uint64_t w[sizeof(struct ct_key6) / 8];
};

static inline const void *conn_okey(const struct ct_conn *c)
{
	if (c->l3num == 10)
		return &((const struct ct_conn6 *)c)->k;
	return &((const struct ct_conn4 *)c)->k;
}

static inline void *conn_okey_mut(struct ct_conn *c)
{
	return (void *)conn_okey(c);
}

/*
 * The last word of a key (sport, dport, proto, pad, zone) with the ports
 * swapped and, unless keep_zone, the zone cleared.
 */
static inline uint64_t swap_ports_word(uint64_t w, bool keep_zone)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	uint64_t p = w >> 32;

	w = (w & 0xffffffffu) | (((p >> 16) | ((p & 0xffff) << 16)) & 0xffffffffu) << 32;
	return keep_zone ? w : w & ~(uint64_t)0xffff;
#else
	uint64_t p = w & 0xffffffffu;

	w = (w & ~(uint64_t)0xffffffffu) | (((p >> 16) | (p << 16)) & 0xffffffffu);
	return keep_zone ? w : w & 0x0000ffffffffffffull;
#endif
}

/*
 * The reply key as derived from the original: addresses and l4 fields
 * swapped (every tracker but ICMP inverts so), the reply zone the
 * original's when the template zone applies both ways, else the default.
 * Built from and stored as whole 64-bit words: the hash and the compare
 * that follow load it as words, and narrow stores would not forward to
 * them (the load would wait for the stores to retire, and with them for
 * any cache miss before: measured, 50 ns per entry in GC).
 */
static inline void derive_reply(const struct ct_conn *c, union keybuf *out)
{
	bool keep_zone = c->zone_dirs == 3;

	if (c->l3num == 10) {
		const uint8_t *o = (const uint8_t *)&((const struct ct_conn6 *)c)->k;

		out->w[0] = load64(o + 16);
		out->w[1] = load64(o + 24);
		out->w[2] = load64(o);
		out->w[3] = load64(o + 8);
		out->w[4] = swap_ports_word(load64(o + 32), keep_zone);
	} else {
		const uint8_t *o = (const uint8_t *)&((const struct ct_conn4 *)c)->k;
		uint64_t a = load64(o);

		out->w[0] = a >> 32 | a << 32; /* src <-> dst, either byte order */
		out->w[1] = swap_ports_word(load64(o + 8), keep_zone);
		/* Never read for IPv4; set so that no path looks uninitialised. */
		out->w[2] = out->w[3] = out->w[4] = 0;
	}
}

/* The key of direction dir: stored, or derived into *buf. */
static inline const void *conn_key(const struct ct_conn *c, unsigned dir, union keybuf *buf)
{
	if (dir == CT_DIR_ORIGINAL)
		return conn_okey(c);
	if (c->in_use & CT_CONN_RKEY)
		return ct_conn_rkey(c);
	derive_reply(c, buf);
	return buf->b;
}

static struct ct_conn *pool_alloc(struct ct_pool *pl, bool v6)
{
	uint32_t idx;
	struct ct_conn *c;

	if (pl->free_head) {
		idx = pl->free_head - 1;
		c = (struct ct_conn *)(pl->mem + (size_t)idx * pl->size);
		pl->free_head = c->self; /* free entries chain through `self` */
	} else if (pl->used_hi < pl->cap) {
		idx = pl->used_hi++;
		c = (struct ct_conn *)(pl->mem + (size_t)idx * pl->size);
	} else {
		return NULL;
	}
	if (v6)
		memset(c, 0, sizeof(struct ct_conn6));
	else
		memset(c, 0, sizeof(struct ct_conn4));
	c->self = (v6 ? CT_REF_V6 : 0) | (idx + 1) << 1;
	c->in_use = 1;
	return c;
}

static void pool_free(struct ct_table *t, struct ct_conn *c)
{
	struct ct_pool *pl = &t->pool[c->l3num == 10];
	uint32_t idx = ct_ref_index(c->self);

	/* NAT hook: drop the entry from the by-source index (lib/nat). */
	if (t->nat && (c->status & CT_S_SRC_NAT_DONE))
		nat_conn_free(t, c);
	if (t->pend == c)
		t->pend = NULL;
	c->in_use = 0;
	c->self = pl->free_head;
	pl->free_head = idx + 1;
	t->count--;
}

/* ---- the index -------------------------------------------------------- */

/* Map the low 32 hash bits onto [0, nbuckets) by multiply-shift (any count). */
static inline uint32_t h_bucket(const struct ct_table *t, uint64_t h)
{
	return (uint32_t)(((uint64_t)(uint32_t)h * t->nbuckets) >> 32);
}

static inline uint32_t b_next(const struct ct_table *t, uint32_t b)
{
	return b + 1 == t->nbuckets ? 0 : b + 1;
}

/*
 * The slot signature: 30 hash bits, bit 1 always set (0 marks an empty
 * slot) and bit 0 the family, so a signature match implies a live slot of
 * the right pool and the bucket scan is one vector compare.
 */
static inline uint32_t h_sig(uint64_t h, bool v6)
{
	return ((uint32_t)(h >> 32) & ~3u) | 2u | (uint32_t)v6;
}

/* Bit i set when slot i of the bucket carries signature sig. */
static inline uint32_t bucket_match(const struct ct_bucket *bk, uint32_t sig)
{
#ifdef __SSE2__
	/* sig[0..6] and, in lane 7, ref[0] (masked off). */
	__m128i s = _mm_set1_epi32((int)sig);
	__m128i lo = _mm_load_si128((const __m128i *)(const void *)bk->sig);
	__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(bk->sig + 4));
	uint32_t m = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo, s))) |
		     (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, s))) << 4;

	return m & ((1u << CT_BUCKET_SLOTS) - 1);
#else
	uint32_t m = 0;

	for (int i = 0; i < CT_BUCKET_SLOTS; i++)
		m |= (uint32_t)(bk->sig[i] == sig) << i;
	return m;
#endif
}

static void index_insert(struct ct_table *t, uint64_t h, uint32_t ref)
{
	uint32_t b = h_bucket(t, h);

	for (;;) {
		struct ct_bucket *bk = &t->buckets[b];

		for (int i = 0; i < CT_BUCKET_SLOTS; i++) {
			if (bk->ref[i] == 0) {
				bk->sig[i] = h_sig(h, (ref & CT_REF_V6) != 0);
				bk->ref[i] = ref;
				return;
			}
		}
		/* The index holds at least twice the pool: a free slot exists. */
		bk->overflow++;
		b = b_next(t, b);
	}
}

static void index_remove(struct ct_table *t, uint64_t h, uint32_t ref)
{
	uint32_t home = h_bucket(t, h), b = home;

	for (;;) {
		struct ct_bucket *bk = &t->buckets[b];

		for (int i = 0; i < CT_BUCKET_SLOTS; i++) {
			if (bk->ref[i] == ref) {
				bk->ref[i] = 0;
				bk->sig[i] = 0;
				for (uint32_t x = home; x != b; x = b_next(t, x))
					t->buckets[x].overflow--;
				return;
			}
		}
		if (bk->overflow == 0)
			return; /* not linked (cannot happen for confirmed entries) */
		b = b_next(t, b);
	}
}

/* Keys are fixed-size and padding-free: compare them as 64-bit words. */
static inline bool key_equal(const void *a, const void *b, bool v6)
{
	const uint8_t *x = a, *y = b;
	uint64_t d = (load64(x) ^ load64(y)) | (load64(x + 8) ^ load64(y + 8));

	if (v6)
		d |= (load64(x + 16) ^ load64(y + 16)) | (load64(x + 24) ^ load64(y + 24)) |
		     (load64(x + 32) ^ load64(y + 32));
	return d == 0;
}

/*
 * Give an entry (original key and zone_dirs set) its reply key: stored
 * only when the derivation would not give it back.
 */
static void conn_set_reply(struct ct_conn *c, const void *rkey)
{
	bool v6 = c->l3num == 10;
	union keybuf d;

	derive_reply(c, &d);
	if (key_equal(d.b, rkey, v6)) {
		c->in_use &= (uint8_t)~CT_CONN_RKEY;
		return;
	}
	memcpy(ct_conn_rkey(c), rkey, key_len(v6));
	c->in_use |= CT_CONN_RKEY;
}

/* Does the key of link (entry, dir) equal key? */
static inline bool link_key_equal(const struct ct_conn *c, unsigned dir, const void *key, bool v6)
{
	union keybuf b;

	if (dir == CT_DIR_ORIGINAL)
		return key_equal(conn_okey(c), key, v6);
	if (__builtin_expect(c->in_use & CT_CONN_RKEY, 0))
		return key_equal(ct_conn_rkey(c), key, v6);
	derive_reply(c, &b);
	return key_equal(b.b, key, v6);
}

/* Find the reference linked under key (with its direction bit). 0 if none. */
static inline __attribute__((always_inline)) uint32_t index_find(const struct ct_table *t, bool v6,
								 const void *key, uint64_t h)
{
	uint32_t b = h_bucket(t, h), sig = h_sig(h, v6);

	for (;;) {
		const struct ct_bucket *bk = &t->buckets[b];

		for (uint32_t m = bucket_match(bk, sig); m; m &= m - 1) {
			uint32_t ref = bk->ref[__builtin_ctz(m)];

			if (link_key_equal(ref_conn(t, ref), ref & 1, key, v6))
				return ref;
		}
		if (bk->overflow == 0)
			return 0;
		b = b_next(t, b);
	}
}

static void conn_link(struct ct_table *t, struct ct_conn *c, unsigned dir)
{
	bool v6 = c->l3num == 10;
	union keybuf b;
	const void *k = conn_key(c, dir, &b);

	index_insert(t, key_hash(t, v6, k), c->self | dir);
}

/* The same with the key's hash already known. */
static inline void conn_link_h(struct ct_table *t, struct ct_conn *c, unsigned dir, uint64_t h)
{
	index_insert(t, h, c->self | dir);
}

static void conn_unlink(struct ct_table *t, struct ct_conn *c, unsigned dir)
{
	bool v6 = c->l3num == 10;
	union keybuf b;
	const void *k = conn_key(c, dir, &b);

	index_remove(t, key_hash(t, v6, k), c->self | dir);
}

/* ---- keys and tuples -------------------------------------------------- */

/* The last key word: sport, dport, proto, pad (0), zone -- struct ct_key4/6 order. */
static inline uint64_t l4_word(uint16_t sport, uint16_t dport, uint8_t proto, uint16_t zone)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (uint64_t)sport << 48 | (uint64_t)dport << 32 | (uint64_t)proto << 24 | zone;
#else
	return sport | (uint64_t)dport << 16 | (uint64_t)proto << 32 | (uint64_t)zone << 48;
#endif
}

static inline uint64_t addr4_word(const uint8_t *src, const uint8_t *dst)
{
	uint32_t a, b;

	memcpy(&a, src, 4);
	memcpy(&b, dst, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (uint64_t)a << 32 | b;
#else
	return a | (uint64_t)b << 32;
#endif
}

/*
 * A tuple as a lookup key, with the zone id given for its direction.
 * Written as whole 64-bit words: the hash and the compares load it so, and
 * narrow stores would not forward to those loads (see derive_reply).
 */
static inline void tuple_to_key_z(const struct ct_tuple *tu, uint16_t zone, void *key)
{
	uint8_t *k = key;

	if (tu->l3num == 10) {
		store64(k, load64(tu->src));
		store64(k + 8, load64(tu->src + 8));
		store64(k + 16, load64(tu->dst));
		store64(k + 24, load64(tu->dst + 8));
		store64(k + 32, l4_word(tu->src_l4, tu->dst_l4, tu->proto, zone));
	} else {
		store64(k, addr4_word(tu->src, tu->dst));
		store64(k + 8, l4_word(tu->src_l4, tu->dst_l4, tu->proto, zone));
	}
}

static void tuple_to_key(const struct ct_tuple *tu, void *key)
{
	tuple_to_key_z(tu, tu->zone, key);
}

void ct_conn_tuple(const struct ct_conn *c, enum ct_dir dir, struct ct_tuple *out)
{
	union keybuf b;

	memset(out, 0, sizeof(*out));
	out->l3num = c->l3num;
	if (c->l3num == 10) {
		const struct ct_key6 *k = conn_key(c, dir, &b);

		memcpy(out->src, k->src, 16);
		memcpy(out->dst, k->dst, 16);
		out->src_l4 = k->sport;
		out->dst_l4 = k->dport;
		out->proto = k->proto;
		out->zone = k->zone;
	} else {
		const struct ct_key4 *k = conn_key(c, dir, &b);

		memcpy(out->src, &k->src, 4);
		memcpy(out->dst, &k->dst, 4);
		out->src_l4 = k->sport;
		out->dst_l4 = k->dport;
		out->proto = k->proto;
		out->zone = k->zone;
	}
}

/* NAT hook (lib/nat): the reply key of an unconfirmed entry is not linked. */
int ct_conn_alter_reply(struct ct_conn *c, const struct ct_tuple *reply)
{
	struct ct_tuple cur, nt = *reply;

	if (ct_conn_confirmed(c))
		return -EBUSY;
	ct_conn_tuple(c, CT_DIR_REPLY, &cur);
	nt.l3num = c->l3num;
	nt.proto = c->proto;
	nt.zone = cur.zone;
	{
		union keybuf k;

		tuple_to_key(&nt, k.b);
		conn_set_reply(c, k.b);
	}
	return 0;
}

/* ---- time ------------------------------------------------------------- */

static inline bool conn_expired(const struct ct_conn *c, uint64_t now)
{
	return ct_conn_confirmed(c) && (int64_t)(c->expires - now) <= 0;
}

uint64_t ct_timeout_left_ns(const struct ct_conn *c, uint64_t now)
{
	if (!ct_conn_confirmed(c))
		return c->expires;
	if ((int64_t)(c->expires - now) <= 0)
		return 0;
	return c->expires - now;
}

uint64_t ct_conn_timeout_left(const struct ct_conn *c, uint64_t now)
{
	return ct_timeout_left_ns(c, now);
}


/* ---- extensions ------------------------------------------------------- */

/* Extension data is zeroed the first time an entry uses any extension. */
static struct ct_ext_data *ext_use(struct ct_table *t, struct ct_conn *c, uint8_t bit)
{
	struct ct_ext_data *e = ct_conn_ext(t, c);

	if (!c->ext)
		memset(e, 0, sizeof(*e));
	c->ext |= bit;
	return e;
}

struct ct_ext_data *ct_ext_add(struct ct_table *t, struct ct_conn *c, uint8_t bit)
{
	return ext_use(t, c, bit);
}



/* ---- events ----------------------------------------------------------- */

static void event(struct ct_table *t, enum ct_event_type type, struct ct_conn *c, uint64_t now)
{
	if (t->event_fn && t->set.events)
		t->event_fn(t->event_arg, type, c, now);
}

static void flush_update(struct ct_table *t, struct ct_conn *c, uint64_t now)
{
	if (c->ev_pending && ct_conn_confirmed(c) && !(c->status & CT_S_DYING)) {
		/* The formatter reads ev_pending to know what changed: clear after. */
		event(t, CT_EVENT_UPDATE, c, now);
		c->ev_pending = 0;
	}
}

/* ---- deletion --------------------------------------------------------- */

/*
 * Unlink, fire DESTROY and free.  An entry still attached to a packet in
 * flight (held) is freed when that packet ends (ct_confirm/ct_pkt_release).
 */
static void conn_destroy(struct ct_table *t, struct ct_conn *c, uint64_t now, bool held)
{
	if (c->status & CT_S_DYING)
		return;
	c->status |= CT_S_DYING;
	if (ct_conn_confirmed(c)) {
		if (!(c->status & CT_S_NAT_CLASH))
			conn_unlink(t, c, CT_DIR_ORIGINAL);
		conn_unlink(t, c, CT_DIR_REPLY);
		if (c->ext & CT_EXT_TSTAMP) {
			struct ct_ext_data *e = ct_conn_ext(t, c);
			uint64_t overdue = (int64_t)(now - c->expires) > 0 ? now - c->expires : 0;

			/* stop = deletion time moved back by how long it was overdue (§8.2) */
			e->tstamp_stop = t->wall_offset + now - overdue;
		}
		if (!(c->status & CT_S_NAT_CLASH))
			event(t, CT_EVENT_DESTROY, c, now);
	}
	/* helpers: a master's expectations die with it, after its DESTROY (§9.1) */
	ct_expect_master_gone(t, c, now);
	if (!held)
		pool_free(t, c);
}

void ct_kill(struct ct_table *t, struct ct_conn *c, uint64_t now)
{
	if (!ct_conn_confirmed(c))
		return;
	conn_destroy(t, c, now, c == t->held);
}

void ct_conn_delete(struct ct_table *t, struct ct_conn *c, uint64_t now)
{
	ct_kill(t, c, now);
}

void ct_table_flush(struct ct_table *t, uint64_t now)
{
	for (int f = 0; f < 2; f++) {
		struct ct_pool *pl = &t->pool[f];

		for (uint32_t i = 0; i < pl->used_hi; i++) {
			struct ct_conn *c = (struct ct_conn *)(pl->mem + (size_t)i * pl->size);

			if (c->in_use && ct_conn_confirmed(c))
				ct_kill(t, c, now);
		}
	}
}

/* ---- lookup ----------------------------------------------------------- */

/* Kept out of line: the lookup fast path stays small. */
static __attribute__((noinline, cold)) void reap_found(struct ct_table *t, struct ct_conn *c,
						       uint64_t now)
{
	ct_kill(t, c, now);
}

/*
 * Look a key up by its hash; an expired entry found is reaped and reported
 * missing.
 */
static inline __attribute__((always_inline)) struct ct_conn *
find_key_h(struct ct_table *t, bool v6, const void *key, uint64_t h, uint64_t now, unsigned *dir)
{
	uint32_t ref = index_find(t, v6, key, h);
	struct ct_conn *c;

	if (!ref)
		return NULL;
	c = ref_conn(t, ref);
	if (__builtin_expect(conn_expired(c, now), 0)) {
		reap_found(t, c, now);
		return NULL;
	}
	*dir = ref & 1;
	return c;
}

static struct ct_conn *find_key(struct ct_table *t, bool v6, const void *key, uint64_t now,
				unsigned *dir)
{
	return find_key_h(t, v6, key, key_hash(t, v6, key), now, dir);
}

struct ct_conn *ct_find(struct ct_table *t, const struct ct_tuple *tu, uint64_t now,
			enum ct_dir *dir_out)
{
	uint8_t key[sizeof(struct ct_key6)];
	unsigned dir = 0;
	struct ct_conn *c;

	tuple_to_key(tu, key);
	c = find_key(t, tu->l3num == 10, key, now, &dir);
	if (c && dir_out)
		*dir_out = dir;
	return c;
}

struct ct_conn *ct_lookup(struct ct_table *t, const struct ct_tuple *tu, uint64_t now,
			  enum ct_dir *dir_out)
{
	return ct_find(t, tu, now, dir_out);
}

/* ---- table lifetime --------------------------------------------------- */

/*
 * The index and the pools are large and touched at random: map them
 * anonymously (zero pages on demand, 64-byte aligned) and ask for
 * transparent huge pages, so that a lookup's two dependent reads do not
 * also miss the TLB.  Sizes are rounded to the page size in big_free.
 */
#define BIG_PAGE 4096u

/*
 * Fault [p, p + len) in now.  After the huge-page hint, so that the pages
 * are huge ones where the kernel has them.  Kernels before 5.14 lack
 * MADV_POPULATE_WRITE: touch every page instead (the mapping is
 * zero-filled, so writing a zero changes nothing).
 */
static int big_prefault(void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(BIG_PAGE - 1);

	len += (uintptr_t)p - a;
#ifdef MADV_POPULATE_WRITE
	if (madvise((void *)a, len, MADV_POPULATE_WRITE) == 0)
		return 0;
	/*
	 * Only a kernel without it (EINVAL) is worked around: out of memory
	 * is an error for ct_table_new, not an OOM kill half-way through
	 * touching the pages.
	 */
	if (errno != EINVAL)
		return -ENOMEM;
#endif
	for (size_t off = 0; off < len; off += BIG_PAGE)
		((volatile uint8_t *)a)[off] = 0;
	return 0;
}

static void *big_alloc(size_t size, bool prefault)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (size >= (2u << 20))
		madvise(p, size, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
	if (prefault && big_prefault(p, size)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

static void big_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

/* Bytes of a pool's mapping: header, entries, ids, reply-key slots. */
static size_t pool_map_size(const struct ct_pool *pl, bool v6)
{
	size_t n = pl->cap ? pl->cap : 1;

	return sizeof(struct ct_pool_hdr) + n * (pl->size + sizeof(uint32_t) + key_len(v6));
}

static int pool_map(struct ct_pool *pl, bool v6, bool prefault)
{
	size_t n = pl->cap ? pl->cap : 1;
	uint8_t *m = big_alloc(pool_map_size(pl, v6), false);
	struct ct_pool_hdr *h = (struct ct_pool_hdr *)(void *)m;

	if (!m)
		return -ENOMEM;
	pl->mem = m + sizeof(*h);
	h->ids = (uint32_t *)(void *)(pl->mem + n * pl->size);
	h->rkey = pl->mem + n * (pl->size + sizeof(uint32_t));
	/* Entries and ids; the reply-key slots (NAT only) stay on demand. */
	if (prefault && big_prefault(m, (size_t)(h->rkey - m)))
		return -ENOMEM; /* the mapping is freed with the table's arrays */
	return 0;
}

static void table_arrays_free(struct ct_table *t)
{
	for (int f = 0; f < 2; f++) {
		size_t n = t->pool[f].cap ? t->pool[f].cap : 1;

		if (t->pool[f].mem)
			big_free(t->pool[f].mem - sizeof(struct ct_pool_hdr),
				 pool_map_size(&t->pool[f], f));
		big_free(t->pool[f].ext, n * sizeof(struct ct_ext_data));
	}
	big_free(t->buckets, (size_t)t->nbuckets * sizeof(struct ct_bucket));
}

int ct_table_new(const struct ct_table_config *cfg, struct ct_table **out)
{
	struct ct_table *t;
	uint64_t slots;
	uint32_t nb, max;
	bool prefault;

	/*
	 * Whole cache lines of its own: tables of threads sharding a flow
	 * space are written per packet and must not share a line (false
	 * sharing made two threads create connections slower than one).
	 */
	t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	ct_settings_default(&t->set);
	max = cfg && cfg->max ? cfg->max : t->set.max;
	if (max > (1u << 29))
		goto err_inval;
	t->set.max = max;
	t->set.buckets = cfg && cfg->buckets ? cfg->buckets : max;
	t->seed = cfg && cfg->seed ? cfg->seed : 0x5ca1ab1e0ddba11ull;
	if (cfg) {
		t->event_fn = cfg->event_fn;
		t->event_arg = cfg->event_arg;
		t->wall_offset = cfg->wall_offset;
	}
	/*
	 * Two links per entry, index slots at most 80 % full when the table
	 * is: 7-slot buckets keep probe sequences short at that load.
	 */
	slots = (uint64_t)max * 2 * 10 / 8 + CT_BUCKET_SLOTS;
	nb = (uint32_t)((slots + CT_BUCKET_SLOTS - 1) / CT_BUCKET_SLOTS);
	if (nb < 2)
		nb = 2;
	t->nbuckets = nb;
	prefault = cfg && cfg->prefault;
	t->buckets = big_alloc((size_t)nb * sizeof(struct ct_bucket), prefault);
	if (!t->buckets)
		goto err_buckets;
	t->pool[0].size = sizeof(struct ct_conn4);
	t->pool[1].size = sizeof(struct ct_conn6);
	for (int f = 0; f < 2; f++) {
		struct ct_pool *pl = &t->pool[f];

		/*
		 * Zero pages on demand unless asked otherwise: untouched slots
		 * cost nothing.  The extension area (accounting, timestamps,
		 * labels, NAT) stays on demand: most tables use none of it.
		 */
		pl->cap = max;
		pl->ext = big_alloc((size_t)(max ? max : 1) * sizeof(struct ct_ext_data), false);
		if (pool_map(pl, f, prefault) || !pl->ext)
			goto err_pools;
	}
	/* helpers: the expectation pool, sized by nf_conntrack_expect_max */
	if (cfg) {
		t->exp_event_fn = cfg->exp_event_fn;
		t->exp_event_arg = cfg->exp_event_arg;
	}
	if (ct_expect_table_new(t))
		goto err_pools;
	*out = t;
	return 0;

err_pools:
	table_arrays_free(t);
err_buckets:
	free(t);
	return -ENOMEM;
err_inval:
	free(t);
	return -EINVAL;
}

void ct_table_free(struct ct_table *t)
{
	if (!t)
		return;
	ct_expect_table_free(t); /* helpers */
	nat_state_free(t->nat); /* NAT hook (lib/nat) */
	table_arrays_free(t);
	free(t);
}

uint32_t ct_table_count(const struct ct_table *t)
{
	return t->count;
}

void ct_table_stats(const struct ct_table *t, struct ct_stats *out)
{
	*out = t->stats;
}

/* ---- early drop (spec §7.2) ------------------------------------------ */

/*
 * Scan up to 8 buckets from the new tuple's home bucket; in the first one
 * holding any confirmed, non-ASSURED, non-DYING entry, delete all such
 * entries (linked there by either direction).
 */
static bool early_drop(struct ct_table *t, uint64_t h, uint64_t now)
{
	uint32_t b = h_bucket(t, h);

	for (int n = 0; n < 8; n++, b = b_next(t, b)) {
		struct ct_bucket *bk = &t->buckets[b];
		int dropped = 0;

		for (int i = 0; i < CT_BUCKET_SLOTS; i++) {
			struct ct_conn *c;

			if (!bk->ref[i])
				continue;
			c = ref_conn(t, bk->ref[i]);
			if (c->status & (CT_S_ASSURED | CT_S_DYING) || c == t->held)
				continue;
			ct_kill(t, c, now);
			t->stats.early_drop++;
			dropped++;
			/* the slot may now hold a moved ref: rescan this bucket */
			i = -1;
		}
		if (dropped)
			return true;
	}
	return false;
}

/* ---- the conntrack hook (spec §2.2) ---------------------------------- */

static inline uint16_t zone_for(const struct ct_pkt *p, unsigned dir)
{
	return (p->zone_dirs & (1u << dir)) ? p->zone_id : 0;
}

/* A packet's lookup key (original-direction zone) and its hash. */
struct pkt_key {
	uint64_t h;
	union {
		struct ct_key4 k4;
		struct ct_key6 k6;
		uint8_t b[sizeof(struct ct_key6)];
	} k;
};

static inline void pkt_key_make(const struct ct_table *t, const struct ct_pkt *p,
				struct pkt_key *pk)
{
	bool v6 = p->tuple.l3num == 10;

	tuple_to_key_z(&p->tuple, zone_for(p, CT_DIR_ORIGINAL), pk->k.b);
	pk->h = key_hash(t, v6, pk->k.b);
}

/* The second probe of lookup_pkt: the reply-direction zone id. */
static __attribute__((noinline)) struct ct_conn *lookup_reply_zone(struct ct_table *t,
								   const struct ct_pkt *p,
								   uint64_t now, unsigned *dir)
{
	uint8_t key[sizeof(struct ct_key6)];
	uint16_t zone = zone_for(p, CT_DIR_REPLY);
	struct ct_conn *c;

	tuple_to_key_z(&p->tuple, zone, key);
	c = find_key(t, p->tuple.l3num == 10, key, now, dir);
	if (c && zone_for(p, *dir) == zone)
		return c;
	return NULL;
}

/*
 * Look the packet's tuple up with the zone id of each direction (§1.4):
 * first the original-direction id (the key in *pk), then the
 * reply-direction id if it differs.  A link found must also agree with the
 * packet's zone for that link's direction.
 */
static inline struct ct_conn *lookup_pkt(struct ct_table *t, const struct ct_pkt *p,
					 const struct pkt_key *pk, uint64_t now, unsigned *dir)
{
	struct ct_conn *c = find_key_h(t, p->tuple.l3num == 10, pk->k.b, pk->h, now, dir);

	if (!p->zone_dirs)
		return c; /* the default zone both ways */
	if (c && zone_for(p, *dir) == zone_for(p, CT_DIR_ORIGINAL))
		return c;
	if (zone_for(p, CT_DIR_REPLY) == zone_for(p, CT_DIR_ORIGINAL))
		return NULL;
	return lookup_reply_zone(t, p, now, dir);
}

static int new_conn(struct ct_table *t, struct ct_pkt *p, const struct ct_l4proto *l4,
		    const struct pkt_key *pk, uint64_t now, struct ct_conn **out)
{
	struct ct_tuple orig = p->tuple, reply;
	bool v6 = orig.l3num == 10;
	struct ct_conn *c;
	union keybuf rk;

	orig.zone = zone_for(p, CT_DIR_ORIGINAL);
	if (!l4->invert(&orig, &reply))
		return -EINVAL;
	reply.zone = zone_for(p, CT_DIR_REPLY);
	if (t->count >= t->set.max && !early_drop(t, pk->h, now))
		return -ENOSPC;
	c = pool_alloc(&t->pool[v6], v6);
	if (!c)
		return -ENOSPC;
	t->count++;
	c->l3num = orig.l3num;
	c->proto = orig.proto;
	c->zone_dirs = p->zone_dirs;
	key_copy(conn_okey_mut(c), pk->k.b, v6);
	tuple_to_key(&reply, rk.b);
	conn_set_reply(c, rk.b);
	*ct_conn_id_slot(c) = (uint32_t)mix64(t->seed ^ ++t->next_id);
	/* Both hashes for ct_confirm, unless NAT rewrites the reply key first. */
	t->pend = c;
	t->pend_h[CT_DIR_ORIGINAL] = pk->h;
	t->pend_h[CT_DIR_REPLY] = key_hash(t, v6, rk.b);
	key_copy(t->pend_rkey, rk.b, v6);
	if (t->set.acct)
		ext_use(t, c, CT_EXT_ACCT);
	if (t->set.timestamp)
		ext_use(t, c, CT_EXT_TSTAMP);
	/* helpers: is this a connection an expectation waits for? (§2.2 step 5, §9.1) */
	ct_expect_match_new(t, c, p->zone_dirs ? p->zone_id : 0, now);
	*out = c;
	return 0;
}

/* Free an unconfirmed entry a packet owns, or a killed entry it holds. */
static inline void release(struct ct_table *t, struct ct_pkt *p)
{
	struct ct_conn *c = p->ct;

	if (c == t->held)
		t->held = NULL;
	if (!c)
		return;
	if (p->ct_new && !ct_conn_confirmed(c)) {
		pool_free(t, c);
		p->ct = NULL;
		p->ct_new = false;
	} else if (c->status & CT_S_DYING && c->in_use) {
		pool_free(t, c);
		p->ct = NULL;
	}
}

static void set_invalid(struct ct_table *t, struct ct_pkt *p)
{
	release(t, p);
	p->ct = NULL;
	p->ct_new = false;
	p->ctinfo = CT_INFO_INVALID;
	t->stats.invalid++;
}

/* The hook; pk is the packet's key, made by the caller or here (NULL). */
static int hook_conntrack(struct ct_table *t, struct ct_pkt *p, enum ct_hook hook, uint64_t now,
			  const struct pkt_key *pk)
{
	const struct ct_l4proto *l4;
	struct pkt_key own;
	struct ct_conn *c;
	unsigned dir = 0;

	if (p->ct)
		return 0; /* already attached (looped back) */
	p->ct_new = false;
	if (p->notrack) {
		p->ctinfo = CT_INFO_UNTRACKED;
		return 0;
	}
	if (p->l4_bad != CT_L4_OK) {
		set_invalid(t, p);
		return 0;
	}
	/* The two common trackers without the lookup's call. */
	l4 = p->proto == 6 ? &ct_l4proto_tcp : p->proto == 17 ? &ct_l4proto_udp
							  : ct_l4proto_find(p->proto);
	if (l4->error) {
		switch (l4->error(t, p, hook, now)) {
		case CT_ERR_NONE:
			break;
		case CT_ERR_RELATED:
			t->held = p->ct; /* never freed under the packet */
			return 0;
		case CT_ERR_UNTRACKED:
			p->ct = NULL;
			p->ctinfo = CT_INFO_UNTRACKED;
			return 0;
		case CT_ERR_INVALID:
			/* ICMP error handling failures count as `error`, not `invalid`. */
			t->stats.error++;
			set_invalid(t, p);
			t->stats.invalid--;
			return 0;
		}
	}
	if (!pk) {
		pkt_key_make(t, p, &own);
		pk = &own;
	}
	for (int round = 0; round < 3; round++) {
		enum ct_verdict v;

		c = lookup_pkt(t, p, pk, now, &dir);
		if (!c) {
			int err = new_conn(t, p, l4, pk, now, &c);

			if (err == -EINVAL) {
				set_invalid(t, p);
				return 0;
			}
			if (err) {
				t->stats.drop++;
				p->ct = NULL;
				p->ctinfo = CT_INFO_INVALID;
				return -EPERM;
			}
			p->ct_new = true;
			dir = CT_DIR_ORIGINAL;
			p->ctinfo = (c->status & CT_S_EXPECTED) ? CT_INFO_RELATED : CT_INFO_NEW;
		} else if (dir == CT_DIR_REPLY) {
			p->ctinfo = CT_INFO_ESTABLISHED_REPLY;
		} else if (c->status & CT_S_SEEN_REPLY) {
			p->ctinfo = CT_INFO_ESTABLISHED;
		} else {
			p->ctinfo = (c->status & CT_S_EXPECTED) ? CT_INFO_RELATED : CT_INFO_NEW;
		}
		p->ct = c;
		p->dir = (uint8_t)dir;
		t->held = c;
		v = l4->packet(t, c, p, hook, now);
		switch (v) {
		case CT_V_ACCEPT:
			if (dir == CT_DIR_REPLY && !(c->status & CT_S_SEEN_REPLY))
				ct_status_set(c, CT_S_SEEN_REPLY);
			flush_update(t, c, now);
			return 0;
		case CT_V_INVALID:
			set_invalid(t, p);
			return 0;
		case CT_V_DROP:
			release(t, p);
			p->ct = NULL;
			p->ctinfo = CT_INFO_INVALID;
			return -EPERM;
		case CT_V_REPEAT:
			/* The handler killed the old entry: start again (TCP reopen). */
			release(t, p);
			p->ct = NULL;
			p->ct_new = false;
			t->stats.search_restart++;
			break;
		}
	}
	set_invalid(t, p);
	return 0;
}

int ct_hook_conntrack(struct ct_table *t, struct ct_pkt *p, enum ct_hook hook, uint64_t now)
{
	return hook_conntrack(t, p, hook, now, NULL);
}

/* ---- batches ---------------------------------------------------------- */

static int confirm_new(struct ct_table *t, struct ct_pkt *p, uint64_t now);

/*
 * The confirm step's common case inline: a packet of a known connection
 * without helper or sequence adjustment only lets go of its entry.
 */
static inline int confirm(struct ct_table *t, struct ct_pkt *p, uint64_t now)
{
	const struct ct_conn *c = p->ct;

	if (!p->ct_new && (!c || !((c->ext & CT_EXT_HELPER) || (c->status & CT_S_SEQ_ADJUST)))) {
		release(t, p);
		return 0;
	}
	return confirm_new(t, p, now);
}


/* Packets the hook will look up with their key (the others return early). */
static inline bool batch_lookup_wanted(const struct ct_pkt *p)
{
	return !p->ct && !p->notrack && p->l4_bad == CT_L4_OK;
}

/*
 * The bucket the reply key of a new connection from this packet will go to.
 * It returns the address rather than prefetching it: a static function
 * whose only effect is a prefetch counts as pure to GCC's IPA analysis, and
 * its calls, whose result is unused, were removed as dead -- for a whole
 * release the reply bucket was never prefetched (creation at 1 M
 * connections: 258 ns, with the prefetch 124 ns).
 */
static inline const struct ct_bucket *batch_reply_bucket(const struct ct_table *t,
							  const struct ct_pkt *p,
							  const struct pkt_key *pk)
{
	union keybuf r;
	bool v6 = p->tuple.l3num == 10;
	uint64_t zone = l4_word(0, 0, 0, zone_for(p, CT_DIR_REPLY));

	/* Words, as derive_reply builds them (store forwarding). */
	if (v6) {
		store64(r.b, load64(pk->k.b + 16));
		store64(r.b + 8, load64(pk->k.b + 24));
		store64(r.b + 16, load64(pk->k.b));
		store64(r.b + 24, load64(pk->k.b + 8));
		store64(r.b + 32, swap_ports_word(load64(pk->k.b + 32), false) | zone);
	} else {
		uint64_t a = load64(pk->k.b);

		store64(r.b, a >> 32 | a << 32);
		store64(r.b + 8, swap_ports_word(load64(pk->k.b + 8), false) | zone);
	}
	return &t->buckets[h_bucket(t, key_hash(t, v6, r.b))];
}

/*
 * Prefetching pays once the table outgrows the caches; below this many
 * entries the batch only hashes (the hook needs the keys anyway).
 */
#define BATCH_PREFETCH_MIN 16384u

/*
 * Stage 1: hash every packet's key and prefetch its home bucket.  Stage 2:
 * prefetch the entry of the first signature match in that bucket (its
 * cache lines: an entry may straddle two or three).  Both stages only read
 * the table; the hook then does the real lookup with the same key and
 * hash.  want[i]: packet i is looked up (the others return early).
 */
static void batch_prefetch(struct ct_table *t, struct ct_pkt *const *pkts, size_t n,
			   struct pkt_key *pk, bool *want)
{
	bool deep = t->count >= BATCH_PREFETCH_MIN;
	uint32_t bi[CT_BATCH];

	for (size_t i = 0; i < n; i++) {
		want[i] = batch_lookup_wanted(pkts[i]);
		if (!want[i])
			continue;
		pkt_key_make(t, pkts[i], &pk[i]);
		bi[i] = h_bucket(t, pk[i].h);
		if (deep)
			__builtin_prefetch(&t->buckets[bi[i]]);
	}
	if (!deep)
		return;
	for (size_t i = 0; i < n; i++) {
		bool v6 = pkts[i]->tuple.l3num == 10;
		const uint8_t *c;
		uint32_t m;

		if (!want[i])
			continue;
		m = bucket_match(&t->buckets[bi[i]], h_sig(pk[i].h, v6));
		if (!m) {
			/*
			 * A miss (no overflow to follow): a new connection,
			 * whose confirm links the reply key.  Prefetch that
			 * bucket too, for the trackers whose reply swaps
			 * addresses and ports (a wrong guess costs a prefetch).
			 */
			if (t->buckets[bi[i]].overflow == 0 && pkts[i]->proto != 1 &&
			    pkts[i]->proto != 58)
				__builtin_prefetch(batch_reply_bucket(t, pkts[i], &pk[i]));
			continue;
		}
		c = (const uint8_t *)ref_conn(t, t->buckets[bi[i]].ref[__builtin_ctz(m)]);
		__builtin_prefetch(c);
		__builtin_prefetch(c + 63);
		__builtin_prefetch(c + (v6 ? sizeof(struct ct_conn6) : sizeof(struct ct_conn4)) - 1);
	}
}

void ct_hook_conntrack_batch(struct ct_table *t, struct ct_pkt *const *pkts, size_t n,
			     enum ct_hook hook, uint64_t now, int *verdicts)
{
	struct pkt_key pk[CT_BATCH];
	bool want[CT_BATCH];

	for (size_t at = 0; at < n; at += CT_BATCH) {
		size_t m = n - at < CT_BATCH ? n - at : CT_BATCH;

		batch_prefetch(t, pkts + at, m, pk, want);
		for (size_t i = 0; i < m; i++) {
			struct ct_pkt *p = pkts[at + i];
			int r = hook_conntrack(t, p, hook, now, want[i] ? &pk[i] : NULL);

			if (verdicts)
				verdicts[at + i] = r;
		}
	}
}

void ct_track_batch(struct ct_table *t, struct ct_pkt *const *pkts, size_t n, uint64_t now,
		    int *verdicts)
{
	struct pkt_key pk[CT_BATCH];
	bool want[CT_BATCH];

	for (size_t at = 0; at < n; at += CT_BATCH) {
		size_t m = n - at < CT_BATCH ? n - at : CT_BATCH;

		batch_prefetch(t, pkts + at, m, pk, want);
		for (size_t i = 0; i < m; i++) {
			struct ct_pkt *p = pkts[at + i];
			int r = hook_conntrack(t, p, CT_HOOK_PREROUTING, now, want[i] ? &pk[i] : NULL);

			if (r == 0)
				r = confirm(t, p, now);
			else
				ct_pkt_release(t, p);
			if (verdicts)
				verdicts[at + i] = r;
		}
	}
}

/* ---- confirm (spec §7.3) --------------------------------------------- */

static void conn_add_counters(struct ct_table *t, struct ct_conn *dst, const struct ct_conn *src)
{
	struct ct_ext_data *d, *s;

	if (!(dst->ext & CT_EXT_ACCT) || !(src->ext & CT_EXT_ACCT))
		return;
	d = ct_conn_ext(t, dst);
	s = ct_conn_ext(t, src);
	for (int i = 0; i < 2; i++) {
		d->packets[i] += s->packets[i];
		d->bytes[i] += s->bytes[i];
	}
}

static int clash(struct ct_table *t, struct ct_pkt *p, struct ct_conn *c, uint64_t now)
{
	const struct ct_l4proto *l4 = ct_l4proto_find(c->proto);
	bool v6 = c->l3num == 10;
	size_t len = key_len(v6);
	union keybuf b0, b1, b2, b3;
	const void *co, *cr, *oo, *orr;
	unsigned dir;
	struct ct_conn *old;

	if (!l4->allow_clash)
		goto drop;
	co = conn_key(c, CT_DIR_ORIGINAL, &b0);
	cr = conn_key(c, CT_DIR_REPLY, &b1);
	old = find_key(t, v6, co, now, &dir);
	if (!old)
		old = find_key(t, v6, cr, now, &dir);
	/* (a) the same flow (or its exact reverse) confirmed first: merge into it. */
	if (old && old->zone_dirs == c->zone_dirs) {
		oo = conn_key(old, CT_DIR_ORIGINAL, &b2);
		orr = conn_key(old, CT_DIR_REPLY, &b3);
		if ((memcmp(oo, co, len) == 0 && memcmp(orr, cr, len) == 0) ||
		    (memcmp(oo, cr, len) == 0 && memcmp(orr, co, len) == 0)) {
			conn_add_counters(t, old, c);
			release(t, p);
			p->ct = old;
			p->dir = (uint8_t)dir;
			t->stats.clash_resolve++;
			return 0;
		}
	}
	/* (b) our reply tuple is free: link only the reply side, 1 s, hidden. */
	if (!find_key(t, v6, cr, now, &dir)) {
		c->status |= CT_S_CONFIRMED | CT_S_NAT_CLASH | CT_S_FIXED_TIMEOUT;
		c->expires = now + CT_SEC;
		conn_link(t, c, CT_DIR_REPLY);
		p->ct_new = false;
		t->stats.clash_resolve++;
		return 0;
	}
drop:
	t->stats.insert_failed++;
	t->stats.drop++;
	release(t, p);
	p->ct = NULL;
	p->ctinfo = CT_INFO_INVALID;
	return -EPERM;
}

int ct_confirm(struct ct_table *t, struct ct_pkt *p, uint64_t now)
{
	return confirm(t, p, now);
}

/* Everything else: helpers, sequence adjustment, new entries (spec §7.3). */
static int confirm_new(struct ct_table *t, struct ct_pkt *p, uint64_t now)
{
	struct ct_conn *c = p->ct;
	union keybuf bo, br;
	const void *ko, *kr;
	uint64_t h[2];
	bool v6;
	unsigned dir;

	/*
	 * helpers: the entry's helper sees every packet here, after NAT and
	 * before confirm, except ICMP errors in the reply direction, then
	 * SEQ_ADJUST entries get their TCP seq/ack shifted (kernel nf_confirm,
	 * §9.2); this rewrites the packet, whose buffer must be writable.
	 */
	if (c && ((c->ext & CT_EXT_HELPER) || (c->status & CT_S_SEQ_ADJUST)) &&
	    ct_helper_confirm(t, p, now) != 0) {
		if (p->ct_new)
			ct_expect_master_gone(t, c, now); /* a new entry dies with its drop */
		release(t, p);
		p->ct = NULL;
		p->ctinfo = CT_INFO_INVALID;
		return -EPERM;
	}
	if (!c || !p->ct_new) {
		release(t, p);
		return 0;
	}
	if (c->status & CT_S_DYING) {
		release(t, p);
		p->ctinfo = CT_INFO_INVALID;
		return -EPERM;
	}
	v6 = c->l3num == 10;
	ko = conn_key(c, CT_DIR_ORIGINAL, &bo);
	kr = conn_key(c, CT_DIR_REPLY, &br);
	/* The hashes new_conn computed, unless NAT has changed the reply key since. */
	if (t->pend == c && key_equal(kr, t->pend_rkey, v6)) {
		h[0] = t->pend_h[0];
		h[1] = t->pend_h[1];
	} else {
		h[0] = key_hash(t, v6, ko);
		h[1] = key_hash(t, v6, kr);
	}
	t->pend = NULL;
	if (find_key_h(t, v6, ko, h[0], now, &dir) || find_key_h(t, v6, kr, h[1], now, &dir)) {
		int r;

		/* helpers: a clashing new entry loses what its helper just expected */
		ct_expect_master_gone(t, c, now);
		r = clash(t, p, c, now);

		if (c == t->held && p->ct != c)
			t->held = NULL;
		return r;
	}
	c->expires = now + c->expires;
	c->status |= CT_S_CONFIRMED;
	if (c->ext & CT_EXT_TSTAMP)
		ct_conn_ext(t, c)->tstamp_start = t->wall_offset + now;
	conn_link_h(t, c, CT_DIR_ORIGINAL, h[0]);
	conn_link_h(t, c, CT_DIR_REPLY, h[1]);
	t->stats.insert++;
	p->ct_new = false;
	if (t->held == c)
		t->held = NULL;
	event(t, CT_EVENT_NEW, c, now);
	c->ev_pending = 0;
	return 0;
}

void ct_pkt_release(struct ct_table *t, struct ct_pkt *p)
{
	release(t, p);
}

void ct_pkt_set_zone(struct ct_pkt *p, uint16_t id, unsigned dirs)
{
	p->zone_id = id;
	p->zone_dirs = (uint8_t)(dirs & 3);
}

void ct_pkt_set_notrack(struct ct_pkt *p)
{
	p->notrack = true;
}

/* ---- garbage collection (spec §7.2 step 3, §7.4) ---------------------- */

static bool gc_early_drop_victim(const struct ct_conn *c)
{
	const struct ct_l4proto *l4;

	if (!(c->status & CT_S_ASSURED))
		return true;
	l4 = ct_l4proto_find(c->proto);
	return l4->can_early_drop && l4->can_early_drop(c);
}

size_t ct_gc(struct ct_table *t, uint64_t now, size_t budget)
{
	size_t reaped = 0;
	/* GC early drop while the count is at least 95 % of max (integer, as the kernel). */
	uint32_t high = t->set.max / 100 * 95;

	while (budget--) {
		struct ct_pool *pl = &t->pool[t->gc_pool];
		struct ct_conn *c;

		if (t->gc_pos >= pl->used_hi) {
			t->gc_pos = 0;
			t->gc_pool ^= 1;
			continue;
		}
		if (t->gc_pos == 0 && t->gc_pool == 0)
			ct_expect_gc(t, now); /* helpers: once per pass */
		c = (struct ct_conn *)(pl->mem + (size_t)t->gc_pos++ * pl->size);
		if (!c->in_use || !ct_conn_confirmed(c) || (c->status & CT_S_DYING))
			continue;
		if (conn_expired(c, now) ||
		    (high && t->count >= high && gc_early_drop_victim(c))) {
			ct_kill(t, c, now);
			reaped++;
		}
	}
	return reaped;
}

size_t ct_gc_all(struct ct_table *t, uint64_t now)
{
	size_t reaped = 0;

	ct_expect_gc(t, now); /* helpers */

	for (int f = 0; f < 2; f++) {
		struct ct_pool *pl = &t->pool[f];

		for (uint32_t i = 0; i < pl->used_hi; i++) {
			struct ct_conn *c = (struct ct_conn *)(pl->mem + (size_t)i * pl->size);

			if (c->in_use && conn_expired(c, now) && !(c->status & CT_S_DYING)) {
				ct_kill(t, c, now);
				reaped++;
			}
		}
	}
	return reaped;
}

/* ---- iteration -------------------------------------------------------- */

void ct_iter_init(struct ct_iter *it)
{
	it->pos = 0;
	it->pool = 0;
}

const struct ct_conn *ct_iter_next(const struct ct_table *t, struct ct_iter *it, uint64_t now)
{
	while (it->pool < 2) {
		const struct ct_pool *pl = &t->pool[it->pool];

		while (it->pos < pl->used_hi) {
			const struct ct_conn *c =
				(const struct ct_conn *)(pl->mem + (size_t)it->pos++ * pl->size);

			if (c->in_use && ct_conn_confirmed(c) &&
			    !(c->status & (CT_S_DYING | CT_S_NAT_CLASH)) && !conn_expired(c, now))
				return c;
		}
		it->pool++;
		it->pos = 0;
	}
	return NULL;
}

/* ---- control-plane insertion ----------------------------------------- */

int ct_conn_insert(struct ct_table *t, const struct ct_conn_spec *s, uint64_t now,
		   struct ct_conn **out)
{
	struct ct_tuple orig = s->orig, reply = s->reply;
	const struct ct_l4proto *l4 = ct_l4proto_find(orig.proto);
	bool v6 = orig.l3num == 10;
	unsigned dir;
	struct ct_conn *c;

	if (orig.l3num != 2 && orig.l3num != 10)
		return -EINVAL;
	if (reply.l3num == 0) {
		uint16_t z = reply.zone;

		if (!l4->invert(&orig, &reply))
			return -EINVAL;
		reply.zone = z;
	}
	if (reply.l3num != orig.l3num || reply.proto != orig.proto)
		return -EINVAL;
	if (ct_find(t, &orig, now, NULL) || ct_find(t, &reply, now, NULL))
		return -EEXIST;
	if (t->count >= t->set.max)
		return -ENOSPC;
	c = pool_alloc(&t->pool[v6], v6);
	if (!c)
		return -ENOSPC;
	t->count++;
	c->l3num = orig.l3num;
	c->proto = orig.proto;
	c->zone_dirs = (orig.zone && orig.zone == reply.zone) ? 3
		       : (orig.zone ? 1 : 0) | (reply.zone ? 2 : 0);
	tuple_to_key(&orig, conn_okey_mut(c));
	{
		union keybuf rk;

		tuple_to_key(&reply, rk.b);
		conn_set_reply(c, rk.b);
	}
	*ct_conn_id_slot(c) = (uint32_t)mix64(t->seed ^ ++t->next_id);
	c->status = (uint16_t)(s->status | CT_S_CONFIRMED);
	c->mark = s->mark;
	if (c->proto == 6)
		c->ps.tcp.state = s->proto_state;
	else if (c->proto == 132) {
		c->ps.sctp.state = s->proto_state;
		c->ps.sctp.vtag[CT_DIR_ORIGINAL] = s->sctp_vtag[CT_DIR_ORIGINAL];
		c->ps.sctp.vtag[CT_DIR_REPLY] = s->sctp_vtag[CT_DIR_REPLY];
	}
	c->expires = now + (uint64_t)s->timeout_s * CT_SEC;
	if (s->acct || t->set.acct) {
		struct ct_ext_data *e = ext_use(t, c, CT_EXT_ACCT);

		for (int i = 0; i < 2; i++) {
			e->packets[i] = s->packets[i];
			e->bytes[i] = s->bytes[i];
		}
	}
	if (s->tstamp || t->set.timestamp)
		ext_use(t, c, CT_EXT_TSTAMP)->tstamp_start = t->wall_offset + now;
	if (s->labels[0] || s->labels[1]) {
		struct ct_ext_data *e = ext_use(t, c, CT_EXT_LABELS);

		e->labels[0] = s->labels[0];
		e->labels[1] = s->labels[1];
	}
	conn_link(t, c, CT_DIR_ORIGINAL);
	conn_link(t, c, CT_DIR_REPLY);
	t->stats.insert++;
	event(t, CT_EVENT_NEW, c, now);
	(void)dir;
	if (out)
		*out = c;
	return 0;
}

/* ---- accessors -------------------------------------------------------- */

uint32_t ct_conn_status(const struct ct_conn *c)
{
	return c->status;
}

uint32_t ct_conn_mark(const struct ct_conn *c)
{
	return c->mark;
}

void ct_conn_set_mark(struct ct_conn *c, uint32_t mark)
{
	if (c->mark != mark) {
		c->mark = mark;
		c->ev_pending |= CT_EV_MARK;
	}
}

uint32_t ct_conn_id(const struct ct_conn *c)
{
	return *ct_conn_id_slot(c);
}

uint8_t ct_conn_l3num(const struct ct_conn *c)
{
	return c->l3num;
}

uint8_t ct_conn_proto(const struct ct_conn *c)
{
	return c->proto;
}

uint8_t ct_conn_proto_state(const struct ct_conn *c)
{
	if (c->proto == 6)
		return c->ps.tcp.state;
	if (c->proto == 132)
		return c->ps.sctp.state;
	return 0;
}

bool ct_conn_counters(const struct ct_table *t, const struct ct_conn *c, enum ct_dir dir,
		      uint64_t *packets, uint64_t *bytes)
{
	const struct ct_ext_data *e;

	if (!(c->ext & CT_EXT_ACCT))
		return false;
	e = ct_conn_ext(t, c);
	*packets = e->packets[dir];
	*bytes = e->bytes[dir];
	return true;
}

bool ct_conn_timestamps(const struct ct_table *t, const struct ct_conn *c, uint64_t *start,
			uint64_t *stop)
{
	const struct ct_ext_data *e;

	if (!(c->ext & CT_EXT_TSTAMP))
		return false;
	e = ct_conn_ext(t, c);
	*start = e->tstamp_start;
	*stop = e->tstamp_stop;
	return true;
}

bool ct_conn_labels(const struct ct_table *t, const struct ct_conn *c, uint64_t out[2])
{
	const struct ct_ext_data *e;

	out[0] = out[1] = 0;
	if (!(c->ext & CT_EXT_LABELS))
		return false;
	e = ct_conn_ext(t, c);
	out[0] = e->labels[0];
	out[1] = e->labels[1];
	return true;
}

void ct_conn_set_labels(struct ct_table *t, struct ct_conn *c, const uint64_t labels[2])
{
	struct ct_ext_data *e = ext_use(t, c, CT_EXT_LABELS);

	if (e->labels[0] != labels[0] || e->labels[1] != labels[1]) {
		e->labels[0] = labels[0];
		e->labels[1] = labels[1];
		c->ev_pending |= CT_EV_LABEL;
	}
}

const char *ct_conn_helper_name(const struct ct_table *t, const struct ct_conn *c)
{
	const struct ct_helper *h = ct_conn_helper(t, c);

	return h ? h->name : NULL;
}

void ct_conn_zone(const struct ct_conn *c, uint16_t *orig_id, uint16_t *reply_id, unsigned *dirs)
{
	struct ct_tuple o, r;

	ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
	ct_conn_tuple(c, CT_DIR_REPLY, &r);
	*orig_id = o.zone;
	*reply_id = r.zone;
	*dirs = c->zone_dirs;
}
