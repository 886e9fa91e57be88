/* SPDX-License-Identifier: MIT */
/*
 * Conntrack defragmentation (the kernel's nf_defrag_ipv4 / nf_defrag_ipv6
 * at priority -400, spec §2.3): fragments are held until their datagram is
 * complete, then conntrack sees the datagram once.
 *
 * Kernel rules reproduced (6.x, net/ipv4/ip_fragment.c, inet_fragment.c,
 * net/ipv6/netfilter/nf_conntrack_reasm.c):
 * - Queues are keyed by (source, destination, id, protocol) for IPv4 and
 *   (source, destination, id) for IPv6, and expire ipfrag_time (30 s) /
 *   nf_conntrack_frag6_timeout (60 s) after their first fragment.
 * - Overlaps: a fragment lying entirely inside an already received run of
 *   contiguous fragments is a duplicate and is dropped alone; any other
 *   overlap discards the whole datagram.  Linux does this for IPv6 (RFC
 *   5722 with errata 3089) and, since 4.19, identically for IPv4; so do we.
 *   "Runs" are the kernel's: a fragment joins the run of the highest
 *   fragment when it starts exactly where that one ends, otherwise it
 *   starts a new run (so [0,8) [8,16) received in that order form one run,
 *   received in reverse order two).
 * - The last fragment fixes the length: a later fragment ending beyond it,
 *   or a second last fragment with another end, is an error (IPv4: the
 *   whole datagram is discarded; IPv6: only that fragment is dropped).
 *   IPv4 non-last fragments are trimmed to a multiple of 8; an IPv6
 *   non-last fragment that is not a multiple of 8 discards the queue and
 *   the fragment passes unreassembled.  An empty fragment is an error.
 * - A first IPv6 fragment missing its upper-layer header passes unreassembled (RFC 8200
 *   §4.5), and a packet with payload length 0 (jumbogram) is not
 *   reassembled.
 * - The reassembled datagram must fit 65535 bytes (IPv4 total length, IPv6
 *   payload length); the ECN bits of the fragments must be compatible (RFC
 *   3168 §5.3): Not-ECT mixed with ECT/CE discards it; CE in any fragment
 *   makes the datagram CE.  IPv4 keeps DF when the largest fragment had DF.
 * - Memory: each family counts the bytes it holds.  While the count is
 *   above high_thresh every new fragment is dropped (the kernel's
 *   inet_frag_find refuses to find or create queues); queues are freed only
 *   by completion, error or timeout.  Since Linux 4.17 low_thresh no longer
 *   evicts anything; we accept it (it must not exceed high_thresh) and do
 *   not use it either.  We count stored bytes plus our descriptors, not the
 *   kernel's skb truesize, so the exact point where dropping starts differs.
 *
 * Not reproduced: ipfrag_max_dist (IPv4 per-peer reordering limit), the
 * defrag "user" (zone / hook) and interface parts of the key, ICMP time
 * exceeded on expiry (conntrack defrag never sends it).
 *
 * Memory layout: everything is allocated by ct_defrag_new.  Fragment copies
 * live in a pool of fixed 256-byte blocks chained by index, so no fragment
 * arrival allocates.  The pool holds high_thresh plus one maximal datagram
 * per family.  On completion the datagram and copies of the original
 * frames are written to two output buffers, valid until the next call.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "ip6.h"

enum {
	BLK = 256,
	MAX_FRAME = 65535 + 64, /* an IP datagram plus the largest link header */
	OUT_MAX = 65535 + 40,   /* the largest reassembled IPv6 packet */
	QF_FIRST_IN = 1,
	QF_LAST_IN = 2,
	NIL = 0, /* indexes below are stored + 1; 0 means none */
};

/* One held fragment.  [off, end) is its payload range in the datagram. */
struct frag {
	uint32_t next;    /* next fragment by offset, or free list */
	uint32_t blk;     /* first block of the frame copy */
	uint32_t run;     /* the head fragment of its run */
	uint32_t run_end; /* run heads only: end of the run */
	uint32_t len;     /* bytes of the frame copy */
	uint32_t off, end;
	uint32_t pl_off;  /* offset of the fragment payload in the frame */
	uint16_t l3_off;
	uint16_t fh_off;  /* IPv6: the fragment header */
	uint16_t nh_off;  /* IPv6: the next-header byte naming the fragment header */
	uint16_t pad;
};

/* One datagram being reassembled. */
struct fq {
	uint32_t hnext;        /* hash chain */
	uint32_t older, newer; /* age list of its family */
	uint64_t created;
	uint32_t first, tail;  /* fragments sorted by offset; tail = highest */
	uint32_t len;          /* datagram payload length known so far */
	uint32_t meat;         /* payload bytes held */
	uint32_t mem;          /* bytes counted against the threshold */
	uint32_t max_size, max_df_size;
	uint32_t id;
	uint32_t nfrags;
	uint8_t fam;           /* 0 IPv4, 1 IPv6 */
	uint8_t proto;
	uint8_t flags;         /* QF_* */
	uint8_t ecn;           /* bit (1 << ECN codepoint) per fragment seen */
	uint8_t src[16], dst[16];
};

struct ct_defrag {
	uint32_t high, timeout_s[2];
	uint64_t mem[2];

	uint8_t *blk;          /* nblk * BLK bytes */
	uint32_t *blk_next;    /* chain / free list */
	uint32_t nblk, blk_free;

	struct frag *frags;    /* nblk descriptors (a fragment holds >= 1 block) */
	uint32_t frag_free;

	struct fq *q;          /* nblk queues (a queue holds >= 1 fragment) */
	uint32_t q_free;
	uint32_t *hash;
	uint32_t hash_mask;
	uint32_t age_old[2], age_new[2];

	uint8_t *out;          /* the reassembled datagram */
	struct ct_pkt out_pkt;
	uint8_t *ofr;          /* the original frames of the last datagram */
	uint32_t ofr_cap;
	const uint8_t **ofr_ptr;
	uint32_t *ofr_len;
	uint32_t ofr_n;
};

#define FR(d, i) (&(d)->frags[(i) - 1])
#define Q(d, i) (&(d)->q[(i) - 1])

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* ---- setup ---- */

int ct_defrag_new(const struct ct_defrag_config *cfg, struct ct_defrag **out)
{
	struct ct_defrag_config c = cfg ? *cfg : (struct ct_defrag_config){0};
	struct ct_defrag *d;
	uint64_t store, nblk;
	uint32_t nhash = 64;

	*out = NULL;
	if (!c.high_thresh)
		c.high_thresh = 4u << 20;
	if (!c.low_thresh)
		c.low_thresh = c.high_thresh < (3u << 20) ? c.high_thresh : 3u << 20;
	if (c.low_thresh > c.high_thresh)
		return -EINVAL;
	if (!c.timeout_s)
		c.timeout_s = 30;
	if (!c.timeout6_s)
		c.timeout6_s = 60;

	/* Per family: up to high_thresh, plus the fragment that crossed it. */
	store = 2 * ((uint64_t)c.high_thresh + 2 * MAX_FRAME);
	nblk = store / BLK;
	if (nblk > UINT32_MAX / 2)
		return -EINVAL;
	while (nhash < nblk / 4 && nhash < (1u << 20))
		nhash <<= 1;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->high = c.high_thresh;
	d->timeout_s[0] = c.timeout_s;
	d->timeout_s[1] = c.timeout6_s;
	d->nblk = (uint32_t)nblk;
	d->hash_mask = nhash - 1;
	d->ofr_cap = c.high_thresh + 2 * MAX_FRAME;
	d->blk = malloc((size_t)nblk * BLK);
	d->blk_next = malloc((size_t)nblk * sizeof(uint32_t));
	d->frags = calloc((size_t)nblk, sizeof(struct frag));
	d->q = calloc((size_t)nblk, sizeof(struct fq));
	d->hash = calloc(nhash, sizeof(uint32_t));
	d->out = malloc(OUT_MAX);
	d->ofr = malloc(d->ofr_cap);
	d->ofr_ptr = calloc((size_t)nblk, sizeof(*d->ofr_ptr));
	d->ofr_len = calloc((size_t)nblk, sizeof(*d->ofr_len));
	if (!d->blk || !d->blk_next || !d->frags || !d->q || !d->hash || !d->out || !d->ofr ||
	    !d->ofr_ptr || !d->ofr_len) {
		ct_defrag_free(d);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < d->nblk; i++) {
		d->blk_next[i] = i + 2 <= d->nblk ? i + 2 : NIL;
		d->frags[i].next = i + 2 <= d->nblk ? i + 2 : NIL;
		d->q[i].hnext = i + 2 <= d->nblk ? i + 2 : NIL;
	}
	d->blk_free = d->frag_free = d->q_free = 1;
	*out = d;
	return 0;
}

void ct_defrag_free(struct ct_defrag *d)
{
	if (!d)
		return;
	free(d->blk);
	free(d->blk_next);
	free(d->frags);
	free(d->q);
	free(d->hash);
	free(d->out);
	free(d->ofr);
	free(d->ofr_ptr);
	free(d->ofr_len);
	free(d);
}

/* ---- block store ---- */

/* Copy n bytes into a fresh block chain; returns the chain or NIL. */
static uint32_t blk_store(struct ct_defrag *d, const uint8_t *src, uint32_t n, uint32_t *nblocks)
{
	uint32_t need = (n + BLK - 1) / BLK, head = d->blk_free, b = head, last = NIL;

	if (need == 0)
		need = 1;
	for (uint32_t i = 0; i < need; i++) {
		if (b == NIL)
			return NIL; /* not enough: nothing taken yet */
		last = b;
		b = d->blk_next[b - 1];
	}
	d->blk_free = b;
	d->blk_next[last - 1] = NIL;
	for (b = head; b != NIL && n; b = d->blk_next[b - 1]) {
		uint32_t k = n < BLK ? n : BLK;

		memcpy(d->blk + (size_t)(b - 1) * BLK, src, k);
		src += k;
		n -= k;
	}
	*nblocks = need;
	return head;
}

/* Copy n bytes starting at byte `from` of a chain. */
static void blk_read(const struct ct_defrag *d, uint32_t chain, uint32_t from, uint32_t n,
		     uint8_t *dst)
{
	uint32_t b = chain;

	while (from >= BLK) {
		b = d->blk_next[b - 1];
		from -= BLK;
	}
	while (n) {
		uint32_t k = BLK - from < n ? BLK - from : n;

		memcpy(dst, d->blk + (size_t)(b - 1) * BLK + from, k);
		dst += k;
		n -= k;
		from = 0;
		b = d->blk_next[b - 1];
	}
}

static void blk_release(struct ct_defrag *d, uint32_t chain)
{
	uint32_t b = chain;

	if (b == NIL)
		return;
	while (d->blk_next[b - 1] != NIL)
		b = d->blk_next[b - 1];
	d->blk_next[b - 1] = d->blk_free;
	d->blk_free = chain;
}

/* ---- queues ---- */

static uint32_t key_hash(uint8_t fam, const uint8_t *src, const uint8_t *dst, uint32_t id,
			 uint8_t proto)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	const uint8_t *parts[2] = {src, dst};

	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 16; i++)
			h = (h ^ parts[k][i]) * 16777619u;
	h = (h ^ id) * 16777619u;
	h = (h ^ proto) * 16777619u;
	h = (h ^ fam) * 16777619u;
	return h ^ (h >> 15);
}

static uint32_t q_lookup(const struct ct_defrag *d, uint8_t fam, const uint8_t *src,
			 const uint8_t *dst, uint32_t id, uint8_t proto)
{
	uint32_t i = d->hash[key_hash(fam, src, dst, id, proto) & d->hash_mask];

	for (; i != NIL; i = d->q[i - 1].hnext) {
		const struct fq *q = &d->q[i - 1];

		if (q->fam == fam && q->id == id && q->proto == proto &&
		    !memcmp(q->src, src, 16) && !memcmp(q->dst, dst, 16))
			return i;
	}
	return NIL;
}

static uint32_t q_create(struct ct_defrag *d, uint8_t fam, const uint8_t *src,
			 const uint8_t *dst, uint32_t id, uint8_t proto, uint64_t now)
{
	uint32_t i = d->q_free, *bucket;
	struct fq *q;

	if (i == NIL)
		return NIL;
	q = Q(d, i);
	d->q_free = q->hnext;
	memset(q, 0, sizeof(*q));
	q->fam = fam;
	q->id = id;
	q->proto = proto;
	memcpy(q->src, src, 16);
	memcpy(q->dst, dst, 16);
	q->created = now;
	q->mem = sizeof(struct fq);
	d->mem[fam] += q->mem;
	bucket = &d->hash[key_hash(fam, src, dst, id, proto) & d->hash_mask];
	q->hnext = *bucket;
	*bucket = i;
	/* newest at the end of the family's age list */
	q->older = d->age_new[fam];
	if (q->older)
		Q(d, q->older)->newer = i;
	else
		d->age_old[fam] = i;
	d->age_new[fam] = i;
	return i;
}

/* Free a queue and everything it holds (inet_frag_kill + put). */
static void q_kill(struct ct_defrag *d, uint32_t i)
{
	struct fq *q = Q(d, i);
	uint32_t *pp = &d->hash[key_hash(q->fam, q->src, q->dst, q->id, q->proto) & d->hash_mask];
	uint32_t f = q->first;

	while (*pp != i)
		pp = &Q(d, *pp)->hnext;
	*pp = q->hnext;
	if (q->older)
		Q(d, q->older)->newer = q->newer;
	else
		d->age_old[q->fam] = q->newer;
	if (q->newer)
		Q(d, q->newer)->older = q->older;
	else
		d->age_new[q->fam] = q->older;
	while (f != NIL) {
		struct frag *fr = FR(d, f);
		uint32_t next = fr->next;

		blk_release(d, fr->blk);
		fr->next = d->frag_free;
		d->frag_free = f;
		f = next;
	}
	d->mem[q->fam] -= q->mem;
	q->hnext = d->q_free;
	d->q_free = i;
}

void ct_defrag_expire(struct ct_defrag *d, uint64_t now)
{
	d->ofr_n = 0;
	for (int fam = 0; fam < 2; fam++) {
		uint64_t t = (uint64_t)d->timeout_s[fam] * CT_NSEC_PER_SEC;

		while (d->age_old[fam] != NIL) {
			uint32_t i = d->age_old[fam];

			if (now < Q(d, i)->created + t)
				break;
			q_kill(d, i);
		}
	}
}

/* ---- insertion (the kernel's run logic, see the top comment) ---- */

enum ins_result {
	INS_OK,
	INS_DUP,
	INS_OVERLAP,
};

static enum ins_result q_check_insert(const struct ct_defrag *d, const struct fq *q, uint32_t off,
				      uint32_t end)
{
	if (q->tail == NIL)
		return INS_OK;
	if (FR(d, q->tail)->end < end)
		return off < FR(d, q->tail)->end ? INS_OVERLAP : INS_OK;
	for (uint32_t f = q->first; f != NIL; f = FR(d, f)->next) {
		const struct frag *h = FR(d, f);

		if (h->run != f)
			continue; /* not a run head */
		if (end <= h->off)
			break;
		if (off >= h->run_end)
			continue;
		return off >= h->off && end <= h->run_end ? INS_DUP : INS_OVERLAP;
	}
	return INS_OK;
}

/* Link fragment f (off/end set) into q; q_check_insert said INS_OK. */
static void q_insert(struct ct_defrag *d, struct fq *q, uint32_t f)
{
	struct frag *fr = FR(d, f);
	uint32_t *pp = &q->first;

	if (q->tail != NIL && FR(d, q->tail)->end < fr->end) {
		struct frag *t = FR(d, q->tail);

		if (fr->off == t->end) {
			fr->run = t->run;
			FR(d, t->run)->run_end = fr->end;
		} else {
			fr->run = f;
			fr->run_end = fr->end;
		}
		t->next = f;
		fr->next = NIL;
		q->tail = f;
		return;
	}
	fr->run = f;
	fr->run_end = fr->end;
	while (*pp != NIL && FR(d, *pp)->off < fr->off)
		pp = &FR(d, *pp)->next;
	fr->next = *pp;
	*pp = f;
	if (fr->next == NIL)
		q->tail = f;
}

/* ---- completion ---- */

/* RFC 3168 §5.3 via the kernel's ip_frag_ecn_table: -1 invalid, else CE bits to set. */
static int ecn_merge(uint8_t seen)
{
	const uint8_t not_ect = 1, ce = 8;

	if ((seen & not_ect) && (seen & ~not_ect))
		return -1;
	return (seen & ce) ? 3 : 0;
}

/* Copy the original frames, in offset order, to the listing buffers. */
static void list_frames(struct ct_defrag *d, const struct fq *q)
{
	uint32_t used = 0;

	d->ofr_n = 0;
	for (uint32_t f = q->first; f != NIL; f = FR(d, f)->next) {
		const struct frag *fr = FR(d, f);

		if (used + fr->len > d->ofr_cap)
			break; /* cannot happen: the store is smaller than the buffer */
		blk_read(d, fr->blk, 0, fr->len, d->ofr + used);
		d->ofr_ptr[d->ofr_n] = d->ofr + used;
		d->ofr_len[d->ofr_n] = fr->len;
		d->ofr_n++;
		used += fr->len;
	}
}

/* Append every fragment's payload after `hdr` header bytes in d->out. */
static void copy_payloads(struct ct_defrag *d, const struct fq *q, uint32_t hdr)
{
	for (uint32_t f = q->first; f != NIL; f = FR(d, f)->next) {
		const struct frag *fr = FR(d, f);

		blk_read(d, fr->blk, fr->pl_off, fr->end - fr->off, d->out + hdr + fr->off);
	}
}

/*
 * Build the datagram (ip_frag_reasm / nf_ct_frag6_reasm), parse it, list
 * the originals, free the queue.  Every failure discards the queue.
 */
static enum ct_defrag_result q_reasm(struct ct_defrag *d, uint32_t qi, struct ct_pkt **out)
{
	struct fq *q = Q(d, qi);
	const struct frag *head = FR(d, q->first);
	int ecn = ecn_merge(q->ecn);
	uint32_t hdr, total;

	if (ecn < 0)
		goto drop;
	if (q->fam == 0) {
		uint16_t c;

		blk_read(d, head->blk, head->l3_off, 1, d->out);
		hdr = (uint32_t)(d->out[0] & 0x0f) * 4;
		total = hdr + q->len;
		if (total > 65535)
			goto drop;
		blk_read(d, head->blk, head->l3_off, hdr, d->out);
		copy_payloads(d, q, hdr);
		d->out[1] |= (uint8_t)ecn;
		wr16(d->out + 2, (uint16_t)total);
		/* DF survives when the largest fragment carried it. */
		wr16(d->out + 6, q->max_df_size == q->max_size ? 0x4000 : 0);
		wr16(d->out + 10, 0);
		c = ct_csum_fold(ct_csum_partial(d->out, hdr, 0));
		wr16(d->out + 10, c);
	} else {
		uint32_t unfrag = head->fh_off - head->l3_off; /* 40 + headers before */
		uint8_t nh;

		if (unfrag - 40 + q->len > 65535)
			goto drop;
		hdr = unfrag;
		total = hdr + q->len;
		blk_read(d, head->blk, head->l3_off, hdr, d->out);
		blk_read(d, head->blk, head->fh_off, 1, &nh);
		d->out[head->nh_off - head->l3_off] = nh;
		copy_payloads(d, q, hdr);
		wr16(d->out + 4, (uint16_t)(total - 40));
		d->out[1] |= (uint8_t)(ecn << 4);
	}
	memset(&d->out_pkt, 0, sizeof(d->out_pkt));
	d->out_pkt.wire_len = total;
	if (ct_pkt_parse(&d->out_pkt, d->out, total, CT_LINK_RAW) != CT_PARSE_OK)
		goto drop;
	list_frames(d, q);
	q_kill(d, qi);
	*out = &d->out_pkt;
	return CT_DEFRAG_COMPLETE;
drop:
	q_kill(d, qi);
	return CT_DEFRAG_DROP;
}

/* ---- per-family front ends ---- */

struct fin {
	uint32_t off, end;  /* payload range, before trimming */
	uint32_t pl_off;    /* payload offset in the frame */
	bool more;
	uint8_t ecn_bit;
	uint32_t fragsize;  /* IPv4: header + payload, for DF */
	bool df;
	uint16_t nh_off;
};

/*
 * Store one fragment into its queue; shared by both families once the
 * family-specific length rules have run.  `end` is already trimmed.
 */
static enum ct_defrag_result q_add(struct ct_defrag *d, uint32_t qi, const struct ct_pkt *p,
				   const struct fin *in, uint32_t end, struct ct_pkt **out)
{
	struct fq *q = Q(d, qi);
	uint32_t f, nb = 0, chain;
	uint32_t flen = p->l3_off + p->l3_len;
	struct frag *fr;

	switch (q_check_insert(d, q, in->off, end)) {
	case INS_DUP:
		return CT_DEFRAG_DROP;
	case INS_OVERLAP:
		q_kill(d, qi);
		return CT_DEFRAG_DROP;
	case INS_OK:
		break;
	}
	f = d->frag_free;
	chain = f != NIL ? blk_store(d, p->data, flen, &nb) : NIL;
	if (chain == NIL) {
		/* Out of store: counted drop; do not keep an empty queue. */
		if (q->first == NIL)
			q_kill(d, qi);
		return CT_DEFRAG_DROP;
	}
	d->frag_free = FR(d, f)->next;
	fr = FR(d, f);
	memset(fr, 0, sizeof(*fr));
	fr->blk = chain;
	fr->len = flen;
	fr->off = in->off;
	fr->end = end;
	fr->pl_off = in->pl_off;
	fr->l3_off = p->l3_off;
	fr->fh_off = p->frag_hdr_off;
	fr->nh_off = in->nh_off;
	q_insert(d, q, f);
	q->nfrags++;
	q->mem += nb * BLK + (uint32_t)sizeof(struct frag);
	d->mem[q->fam] += nb * BLK + sizeof(struct frag);
	q->meat += end - in->off;
	q->ecn |= in->ecn_bit;
	if (in->off == 0)
		q->flags |= QF_FIRST_IN;
	if (in->fragsize > q->max_size)
		q->max_size = in->fragsize;
	if (in->df && in->fragsize > q->max_df_size)
		q->max_df_size = in->fragsize;
	if (q->flags == (QF_FIRST_IN | QF_LAST_IN) && q->meat == q->len)
		return q_reasm(d, qi, out);
	return CT_DEFRAG_HELD;
}

/* ip_defrag + ip_frag_queue. */
static enum ct_defrag_result feed4(struct ct_defrag *d, const struct ct_pkt *p, uint64_t now,
				   struct ct_pkt **out)
{
	const uint8_t *ip = p->data + p->l3_off;
	struct fin in = {0};
	uint32_t qi, end, hl = (uint32_t)(ip[0] & 0x0f) * 4;
	struct fq *q;

	if (d->mem[0] > d->high)
		return CT_DEFRAG_DROP;
	qi = q_lookup(d, 0, p->tuple.src, p->tuple.dst, p->frag_id, p->proto);
	if (qi == NIL)
		qi = q_create(d, 0, p->tuple.src, p->tuple.dst, p->frag_id, p->proto, now);
	if (qi == NIL)
		return CT_DEFRAG_DROP;
	q = Q(d, qi);

	in.off = p->frag_off;
	in.more = p->frag_more;
	in.pl_off = p->l3_off + hl;
	in.ecn_bit = (uint8_t)(1u << (ip[1] & 3));
	in.df = (ip[6] & 0x40) != 0;
	in.fragsize = p->l3_len;
	end = in.off + p->l3_len - hl;
	if (!in.more) {
		if (end < q->len || ((q->flags & QF_LAST_IN) && end != q->len))
			goto discard;
		q->flags |= QF_LAST_IN;
		q->len = end;
	} else {
		end &= ~7u;
		if (end > q->len) {
			if (q->flags & QF_LAST_IN)
				goto discard;
			q->len = end;
		}
	}
	if (end == in.off)
		goto discard;
	return q_add(d, qi, p, &in, end, out);
discard:
	q_kill(d, qi);
	return CT_DEFRAG_DROP;
}

/* The offset of the next-header byte that names the header at fh_off. */
static uint16_t ip6_prev_nh(const struct ct_pkt *p)
{
	const uint8_t *b = p->data;
	uint32_t nh_at = p->l3_off + 6u, o = p->l3_off + 40u;

	while (o < p->frag_hdr_off) {
		uint8_t nh = b[nh_at];

		nh_at = o;
		o += ct_ip6_ext_len(nh, b + o);
	}
	return (uint16_t)nh_at;
}

/* L4 header bytes a first fragment must hold (ipv6frag_thdr_truncated). */
static uint32_t ip6_l4_need(uint8_t proto)
{
	switch (proto) {
	case 6:
		return 20;
	case 17:
	case 58:
		return 8;
	default:
		return 1;
	}
}

/* nf_ct_frag6_gather + nf_ct_frag6_queue. */
static enum ct_defrag_result feed6(struct ct_defrag *d, const struct ct_pkt *p, uint64_t now,
				   struct ct_pkt **out)
{
	const uint8_t *ip = p->data + p->l3_off;
	struct fin in = {0};
	uint32_t qi, end;
	struct fq *q;

	if (rd16(ip + 4) == 0)
		return CT_DEFRAG_PASS; /* jumbogram: no fragment header allowed */
	if (p->frag_first && p->proto != 59 && p->l4_len < ip6_l4_need(p->proto))
		return CT_DEFRAG_PASS; /* RFC 8200 §4.5: headers not all in the first */
	/*
	 * Linux's local IPv6 reassembly refuses non-last fragments below the
	 * minimum MTU, but conntrack's defrag (nf_conntrack_reasm) does not:
	 * the kernel-differential test forwards 400-byte fragments, tracked.
	 */
	if (d->mem[1] > d->high)
		return CT_DEFRAG_DROP;

	in.off = p->frag_off;
	in.more = p->frag_more;
	in.pl_off = p->frag_hdr_off + 8u;
	in.ecn_bit = (uint8_t)(1u << ((ip[1] >> 4) & 3));
	in.nh_off = ip6_prev_nh(p);
	end = in.off + (p->l3_off + p->l3_len - in.pl_off);
	if (end > 65535)
		return CT_DEFRAG_DROP;

	qi = q_lookup(d, 1, p->tuple.src, p->tuple.dst, p->frag_id, 0);
	if (qi == NIL)
		qi = q_create(d, 1, p->tuple.src, p->tuple.dst, p->frag_id, 0, now);
	if (qi == NIL)
		return CT_DEFRAG_DROP;
	q = Q(d, qi);

	if (!in.more) {
		if (end < q->len || ((q->flags & QF_LAST_IN) && end != q->len))
			goto drop_one;
		q->flags |= QF_LAST_IN;
		q->len = end;
	} else {
		if (end & 7) {
			/* RFC 8200 wants a parameter problem; conntrack kills the
			 * queue and lets this fragment through unreassembled. */
			q_kill(d, qi);
			return CT_DEFRAG_PASS;
		}
		if (end > q->len) {
			if (q->flags & QF_LAST_IN)
				goto drop_one;
			q->len = end;
		}
	}
	if (end == in.off)
		goto drop_one;
	return q_add(d, qi, p, &in, end, out);
drop_one:
	/* The queue stays, but a queue created for this fragment alone is empty. */
	if (q->first == NIL)
		q_kill(d, qi);
	return CT_DEFRAG_DROP;
}

enum ct_defrag_result ct_defrag_feed(struct ct_defrag *d, const struct ct_pkt *p, uint64_t now,
				     struct ct_pkt **out)
{
	*out = NULL;
	ct_defrag_expire(d, now);
	if (!p->is_frag || (p->l3num != 2 && p->l3num != 10))
		return CT_DEFRAG_PASS;
	return p->l3num == 2 ? feed4(d, p, now, out) : feed6(d, p, now, out);
}

size_t ct_defrag_fragments(const struct ct_defrag *d, const uint8_t *const **frames,
			   const uint32_t **lens)
{
	*frames = d->ofr_ptr;
	*lens = d->ofr_len;
	return d->ofr_n;
}
