/* SPDX-License-Identifier: MIT */
/*
 * TCP sequence adjustment for NAT helpers (see seqadj.h).  Our own code
 * reproducing the kernel's nf_conntrack_seqadj behaviour:
 * - per direction one correction point and the offsets before/after it;
 * - a segment's seq is shifted by offset_after if it lies after the
 *   correction point, else by offset_before; the segment that was itself
 *   rewritten keeps its seq;
 * - acks and SACK edges of the other direction are shifted back, compared
 *   after removing offset_before;
 * - SACK options are walked like the kernel: EOL ends, NOP skips, a
 *   truncated option makes the packet fail.
 */
#include <string.h>

#include "seqadj.h"

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) < 0;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Replace a 32-bit field covered by the TCP checksum (RFC 1624 eqn. 3). */
static void csum_replace32(uint8_t *check, uint8_t *field, uint32_t to)
{
	uint32_t from = rd32(field);
	uint32_t sum = (uint16_t) ~(check[0] << 8 | check[1]);

	sum += (uint16_t) ~(from >> 16);
	sum += (uint16_t)~from;
	sum += to >> 16;
	sum += to & 0xffff;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	check[0] = (uint8_t)(sum >> 8);
	check[1] = (uint8_t)sum;
	wr32(field, to);
}

void ct_seqadj_init(struct ct_table *t, struct ct_conn *c)
{
	struct ct_ext_data *e;

	if (c->ext & CT_EXT_SEQADJ)
		return;
	e = ct_ext_add(t, c, CT_EXT_SEQADJ);
	memset(e->seqadj, 0, sizeof(e->seqadj));
}

void ct_seqadj_set(struct ct_table *t, struct ct_conn *c, enum ct_dir dir, uint32_t seq,
		   int32_t off)
{
	struct ct_seqadj_dir *w;

	if (off == 0)
		return;
	ct_seqadj_init(t, c);
	ct_status_set(c, CT_S_SEQ_ADJUST);
	w = &ct_conn_ext(t, c)->seqadj[dir];
	if (w->offset_before == w->offset_after || seq_after(seq, w->correction_pos)) {
		w->correction_pos = seq;
		w->offset_before = w->offset_after;
		w->offset_after += off;
	}
}

int32_t ct_seqadj_offset(const struct ct_table *t, const struct ct_conn *c, enum ct_dir dir,
			 uint32_t seq)
{
	const struct ct_seqadj_dir *w;

	if (!(c->ext & CT_EXT_SEQADJ))
		return 0;
	w = &ct_conn_ext(t, c)->seqadj[dir];
	return seq_after(seq, w->correction_pos) ? w->offset_after : w->offset_before;
}

/* An ack-like value of the other direction, shifted back. */
static uint32_t ack_back(const struct ct_seqadj_dir *o, uint32_t v)
{
	if (seq_after(v - (uint32_t)o->offset_before, o->correction_pos))
		return v - (uint32_t)o->offset_after;
	return v - (uint32_t)o->offset_before;
}

static bool sack_adjust(uint8_t *th, uint32_t doff, const struct ct_seqadj_dir *o)
{
	uint32_t k = 20;

	while (k < doff) {
		uint8_t kind = th[k];

		if (kind == 0) /* EOL */
			return true;
		if (kind == 1) { /* NOP */
			k++;
			continue;
		}
		if (k + 1 == doff || k + th[k + 1] > doff || th[k + 1] < 2)
			return false; /* no partial options */
		if (kind == 5 && th[k + 1] >= 2 + 8 && (th[k + 1] - 2) % 8 == 0) {
			for (uint32_t b = k + 2; b < k + th[k + 1]; b += 4)
				csum_replace32(th + 16, th + b, ack_back(o, rd32(th + b)));
		}
		k += th[k + 1];
	}
	return true;
}

bool ct_seqadj_apply(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p)
{
	const struct ct_seqadj_dir *w, *o;
	uint32_t doff, seq;
	uint8_t *th;

	if (!(c->ext & CT_EXT_SEQADJ) || p->proto != 6)
		return true;
	if ((uint32_t)p->l4_off + 20 > p->len)
		return true;
	/* The caller's buffer is its writable work copy (ct_confirm contract). */
	th = (uint8_t *)(uintptr_t)(p->data + p->l4_off);
	doff = (uint32_t)(th[12] >> 4) * 4;
	w = &ct_conn_ext(t, c)->seqadj[p->dir];
	o = &ct_conn_ext(t, c)->seqadj[!p->dir];
	seq = rd32(th + 4);
	csum_replace32(th + 16, th + 4,
		       seq + (uint32_t)(seq_after(seq, w->correction_pos) ? w->offset_after
									  : w->offset_before));
	if (!(th[13] & 0x10)) /* no ACK flag */
		return true;
	csum_replace32(th + 16, th + 8, ack_back(o, rd32(th + 8)));
	if (doff < 20 || (uint32_t)p->l4_off + doff > p->len)
		return true;
	return sack_adjust(th, doff, o);
}
