/* SPDX-License-Identifier: MIT */
/*
 * The replication state machine: conntrackd's FT-FW, NOTRACK and ALARM
 * modes (shared/spec/conntrackd-sync.md), as a pure function of the
 * messages given and the time passed in.
 *
 * Queues.  Every message waiting to be sent or to be acknowledged lives in
 * one pool of items allocated at creation: the TX list (sent at the next
 * flush, each under a fresh sequence number) and the resend list (sent,
 * not yet acknowledged; FT-FW only), both in sequence order.  As in
 * conntrackd, the resend list holds data and the ACK/NACK/RESYNC control
 * messages; when it is full its oldest item is purged.
 *
 * conntrackd keeps one object per entry and re-sends its *current* state;
 * we keep message copies, and to get the same effect each copy records
 * whether a newer state of the same entry was queued after it
 * (`superseded`, via a small index by tuple hash).  A superseded state is
 * neither flushed nor re-sent: the newer one follows it, or was already
 * received.  That keeps a NACK from resurrecting an entry whose DESTROY
 * the peer already has.
 *
 * No I/O, no clock, no allocation after sync_node_new().
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/sync.h"

#define NIL UINT32_MAX

enum item_kind { IT_FREE = 0, IT_CTL, IT_CT, IT_EXP };
enum item_list { L_NONE = 0, L_TX, L_RS };
enum seq_track { SEQ_UNSET, SEQ_IN_SYNC, SEQ_AFTER, SEQ_BEFORE };
enum verdict { MSG_DATA, MSG_CTL, MSG_DROP, MSG_BAD };
enum hello_state { HELLO_INIT, HELLO_SAY, HELLO_DONE };

struct item {
	uint32_t prev, next; /* links in its list (or the free list: next) */
	uint8_t kind;	     /* enum item_kind */
	uint8_t list;	     /* enum item_list */
	uint8_t type;	     /* enum sync_type (data) */
	uint8_t flags;	     /* control flags (IT_CTL) */
	bool superseded;     /* a newer state of this entry was queued */
	uint32_t seq;	     /* sequence sent under (on the resend list) */
	uint32_t from, to;   /* ACK/NACK/RESYNC */
	uint32_t hash;	     /* tuple hash (IT_CT) */
	struct sync_ct ct;
};

struct list {
	uint32_t head, tail, len;
};

struct sync_node {
	struct sync_config cfg;
	struct sync_ops ops;
	struct item *items;
	uint32_t nitems, free_head;
	struct list tx, rs;
	uint32_t *latest; /* tuple hash -> newest queued item of that entry */
	uint32_t hmask;
	uint8_t *batch;
	size_t batch_len;
	/* send side */
	uint32_t cur_seq;
	enum hello_state hello;
	bool say_hello_back;
	uint64_t next_alive;
	/* receive side */
	bool seq_set;
	uint32_t last_seq_recv;
	bool ack_from_set;
	uint32_t ack_from;
	int32_t window;
	uint64_t rng;
	struct sync_stats st;
};

/* ---- pool and lists ---- */

static void list_init(struct list *l)
{
	l->head = l->tail = NIL;
	l->len = 0;
}

static struct list *list_of(struct sync_node *n, uint8_t which)
{
	return which == L_TX ? &n->tx : &n->rs;
}

static void list_del(struct sync_node *n, uint32_t i)
{
	struct item *it = &n->items[i];
	struct list *l = list_of(n, it->list);

	if (it->prev != NIL)
		n->items[it->prev].next = it->next;
	else
		l->head = it->next;
	if (it->next != NIL)
		n->items[it->next].prev = it->prev;
	else
		l->tail = it->prev;
	l->len--;
	it->list = L_NONE;
	it->prev = it->next = NIL;
}

static void list_add_tail(struct sync_node *n, uint8_t which, uint32_t i)
{
	struct list *l = list_of(n, which);
	struct item *it = &n->items[i];

	it->list = which;
	it->next = NIL;
	it->prev = l->tail;
	if (l->tail != NIL)
		n->items[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->len++;
}

static void item_free(struct sync_node *n, uint32_t i)
{
	struct item *it = &n->items[i];

	if (it->list != L_NONE)
		list_del(n, i);
	if (it->kind == IT_CT && n->latest[it->hash & n->hmask] == i)
		n->latest[it->hash & n->hmask] = NIL;
	it->kind = IT_FREE;
	it->next = n->free_head;
	n->free_head = i;
}

/* Purge the oldest resend item (conntrackd's rs_queue_purge_full). */
static void rs_purge_oldest(struct sync_node *n)
{
	if (n->rs.head == NIL)
		return;
	item_free(n, n->rs.head);
	n->st.rs_purged++;
}

/* A free item, or NIL when the TX side is at its bound. */
static uint32_t item_alloc(struct sync_node *n)
{
	uint32_t i;

	if (n->tx.len >= n->cfg.tx_queue_size) {
		n->st.tx_overflow++;
		return NIL;
	}
	if (n->free_head == NIL)
		rs_purge_oldest(n);
	i = n->free_head;
	if (i == NIL) {
		n->st.tx_overflow++;
		return NIL;
	}
	n->free_head = n->items[i].next;
	memset(&n->items[i], 0, offsetof(struct item, ct));
	n->items[i].prev = n->items[i].next = NIL;
	return i;
}

/* FNV-1a over the fields that name an entry: its original tuple. */
static uint32_t ct_key_hash(const struct sync_ct *c)
{
	uint32_t h = 2166136261u;
	const uint8_t *parts[3] = {c->orig.src, c->orig.dst, NULL};
	uint8_t tail[9] = {c->orig.l3num,
			   c->orig.l4proto,
			   (uint8_t)(c->orig.sport >> 8),
			   (uint8_t)c->orig.sport,
			   (uint8_t)(c->orig.dport >> 8),
			   (uint8_t)c->orig.dport,
			   (uint8_t)(c->icmp_id >> 8),
			   (uint8_t)c->icmp_id,
			   c->icmp_type};

	for (unsigned p = 0; parts[p]; p++)
		for (unsigned k = 0; k < 16; k++)
			h = (h ^ parts[p][k]) * 16777619u;
	for (unsigned k = 0; k < sizeof(tail); k++)
		h = (h ^ tail[k]) * 16777619u;
	return (h ^ c->zone) * 16777619u;
}

static bool same_entry(const struct sync_ct *a, const struct sync_ct *b)
{
	return a->orig.l3num == b->orig.l3num && a->orig.l4proto == b->orig.l4proto &&
	       !memcmp(a->orig.src, b->orig.src, 16) && !memcmp(a->orig.dst, b->orig.dst, 16) &&
	       a->orig.sport == b->orig.sport && a->orig.dport == b->orig.dport &&
	       a->icmp_id == b->icmp_id && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code && a->zone == b->zone;
}

/* ---- lifetime ---- */

int sync_node_new(const struct sync_config *cfg, const struct sync_ops *ops, struct sync_node **out)
{
	struct sync_node *n;
	uint32_t h = 1;

	if (!ops || !ops->xmit || !ops->ct || cfg->mode > SYNC_MODE_ALARM)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	n->ops = *ops;
	if (!n->cfg.resend_queue_size)
		n->cfg.resend_queue_size = 131072;
	if (!n->cfg.tx_queue_size)
		n->cfg.tx_queue_size = 65536;
	if (!n->cfg.ack_window)
		n->cfg.ack_window = 300;
	if (!n->cfg.alive_ms)
		n->cfg.alive_ms = 1000;
	if (!n->cfg.refresh_s)
		n->cfg.refresh_s = 60;
	if (!n->cfg.batch_bytes)
		n->cfg.batch_bytes = 1472;
	if (n->cfg.batch_bytes < SYNC_MSG_MAX)
		n->cfg.batch_bytes = n->cfg.batch_bytes < 256 ? 256 : n->cfg.batch_bytes;
	n->nitems =
	    n->cfg.tx_queue_size + (n->cfg.mode == SYNC_MODE_FTFW ? n->cfg.resend_queue_size : 0);
	while (h < n->nitems && h < (1u << 30))
		h <<= 1;
	n->hmask = h - 1;
	n->items = calloc(n->nitems, sizeof(*n->items));
	n->latest = malloc((size_t)h * sizeof(*n->latest));
	n->batch = malloc(n->cfg.batch_bytes > SYNC_MSG_MAX ? n->cfg.batch_bytes : SYNC_MSG_MAX);
	if (!n->items || !n->latest || !n->batch) {
		sync_node_free(n);
		return -ENOMEM;
	}
	memset(n->latest, 0xff, (size_t)h * sizeof(*n->latest));
	for (uint32_t i = 0; i < n->nitems; i++)
		n->items[i].next = i + 1 < n->nitems ? i + 1 : NIL;
	n->free_head = 0;
	list_init(&n->tx);
	list_init(&n->rs);
	n->cur_seq = cfg->seq_start;
	n->window = (int32_t)n->cfg.ack_window;
	n->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
	*out = n;
	return 0;
}

void sync_node_free(struct sync_node *n)
{
	if (!n)
		return;
	free(n->items);
	free(n->latest);
	free(n->batch);
	free(n);
}

/* ---- queueing ---- */

static int queue_ctl(struct sync_node *n, uint8_t flags, uint32_t from, uint32_t to)
{
	uint32_t i = item_alloc(n);

	if (i == NIL)
		return -ENOBUFS;
	n->items[i].kind = IT_CTL;
	n->items[i].flags = flags;
	n->items[i].from = from;
	n->items[i].to = to;
	list_add_tail(n, L_TX, i);
	if (flags & SYNC_F_ACK)
		n->st.acks_sent++;
	if (flags & SYNC_F_NACK)
		n->st.nacks_sent++;
	return 0;
}

int sync_node_send_ct(struct sync_node *n, enum sync_type type, const struct sync_ct *c)
{
	uint32_t i, j, h;

	if (type > SYNC_T_CT_DEL)
		return -EINVAL;
	i = item_alloc(n);
	if (i == NIL)
		return -ENOBUFS;
	h = ct_key_hash(c);
	j = n->latest[h & n->hmask];
	if (j != NIL && n->items[j].kind == IT_CT && n->items[j].hash == h &&
	    same_entry(&n->items[j].ct, c))
		n->items[j].superseded = true;
	n->latest[h & n->hmask] = i;
	n->items[i].kind = IT_CT;
	n->items[i].type = (uint8_t)type;
	n->items[i].hash = h;
	n->items[i].ct = *c;
	list_add_tail(n, L_TX, i);
	return 0;
}

int sync_node_request_resync(struct sync_node *n)
{
	if (n->cfg.mode == SYNC_MODE_ALARM)
		return -EOPNOTSUPP;
	return queue_ctl(n, SYNC_F_RESYNC, 0, 0);
}

void sync_node_rs_clear(struct sync_node *n)
{
	while (n->rs.head != NIL)
		item_free(n, n->rs.head);
}

/* ---- transmit ---- */

static void batch_emit(struct sync_node *n)
{
	if (!n->batch_len)
		return;
	n->ops.xmit(n->ops.arg, n->batch, n->batch_len);
	n->st.dgram_sent++;
	n->st.bytes_sent += n->batch_len;
	n->batch_len = 0;
}

/* The handshake flags every FT-FW message carries (conntrackd's nethdr_set_hello). */
static uint8_t hello_flags(struct sync_node *n)
{
	uint8_t f = 0;

	if (n->cfg.mode != SYNC_MODE_FTFW)
		return 0;
	if (n->hello == HELLO_INIT)
		n->hello = HELLO_SAY;
	if (n->hello == HELLO_SAY)
		f |= SYNC_F_HELLO;
	if (n->say_hello_back) {
		f |= SYNC_F_HELLO_BACK;
		n->say_hello_back = false;
	}
	return f;
}

/* Encode one item under the next sequence number into the batch. */
static void xmit_item(struct sync_node *n, struct item *it)
{
	uint8_t msg[SYNC_MSG_MAX];
	uint8_t flags = hello_flags(n);
	int len;

	it->seq = n->cur_seq++;
	if (it->kind == IT_CTL)
		len = sync_ctl_encode((uint8_t)(it->flags | flags), it->seq, it->from, it->to, msg,
				      sizeof(msg));
	else
		len = sync_ct_encode(&it->ct, it->type, flags, it->seq, msg, sizeof(msg));
	if (len < 0)
		return; /* cannot happen: a sync_ct always fits in SYNC_MSG_MAX */
	if (n->batch_len + (size_t)len > n->cfg.batch_bytes)
		batch_emit(n);
	memcpy(n->batch + n->batch_len, msg, (size_t)len);
	n->batch_len += (size_t)len;
	n->st.msg_sent++;
}

void sync_node_flush(struct sync_node *n, uint64_t now)
{
	bool sent = false;

	while (n->tx.head != NIL) {
		uint32_t i = n->tx.head;
		struct item *it = &n->items[i];
		bool keep;

		list_del(n, i);
		if (it->kind == IT_CT && it->superseded) {
			item_free(n, i);
			continue;
		}
		xmit_item(n, it);
		sent = true;
		/* FT-FW keeps data and ACK/NACK/RESYNC until acknowledged; ALIVE goes. */
		keep =
		    n->cfg.mode == SYNC_MODE_FTFW &&
		    (it->kind == IT_CT || (it->flags & (SYNC_F_ACK | SYNC_F_NACK | SYNC_F_RESYNC)));
		if (!keep) {
			item_free(n, i);
			continue;
		}
		while (n->rs.len >= n->cfg.resend_queue_size)
			rs_purge_oldest(n);
		list_add_tail(n, L_RS, i);
	}
	batch_emit(n);
	if (sent)
		n->next_alive = now + (uint64_t)n->cfg.alive_ms * 1000000ull;
}

uint64_t sync_node_deadline(const struct sync_node *n)
{
	return n->cfg.mode == SYNC_MODE_FTFW ? n->next_alive : UINT64_MAX;
}

void sync_node_tick(struct sync_node *n, uint64_t now)
{
	if (n->cfg.mode != SYNC_MODE_FTFW || now < n->next_alive)
		return;
	/* Owe an acknowledgement?  Send it; otherwise say we are alive. */
	if (n->ack_from_set && n->seq_set) {
		queue_ctl(n, SYNC_F_ACK, n->ack_from, n->last_seq_recv);
		n->ack_from_set = false;
	} else {
		queue_ctl(n, SYNC_F_ALIVE, 0, 0);
	}
	sync_node_flush(n, now);
	n->next_alive = now + (uint64_t)n->cfg.alive_ms * 1000000ull;
}

uint64_t sync_node_alarm_next(struct sync_node *n, uint64_t now)
{
	uint64_t x;

	/* xorshift64*: reproducible from the seed. */
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	x = n->rng * 2685821657736338717ull;
	return now + (1 + (x >> 32) % n->cfg.refresh_s) * 1000000000ull +
	       (x & 0xffffffffu) % 1000000000ull;
}

/* ---- receive ---- */

/* ACK: drop acknowledged items; NACK: move them back to TX.  Both in [from, to]. */
static void rs_range(struct sync_node *n, const struct sync_hdr *h, bool nack)
{
	uint32_t i = n->rs.head;

	while (i != NIL) {
		struct item *it = &n->items[i];
		uint32_t next = it->next;

		if (sync_seq_before(it->seq, h->from)) {
			i = next;
			continue;
		}
		if (sync_seq_after(it->seq, h->to))
			break;
		if (!nack || (it->kind == IT_CT && it->superseded)) {
			if (nack)
				n->st.superseded++;
			item_free(n, i);
		} else {
			list_del(n, i);
			list_add_tail(n, L_TX, i);
			n->st.resent++;
		}
		i = next;
	}
}

static enum seq_track track_seq(struct sync_node *n, uint32_t seq, uint32_t *exp)
{
	*exp = n->last_seq_recv + 1;
	if (!n->seq_set)
		return SEQ_UNSET;
	if (seq == *exp)
		return SEQ_IN_SYNC;
	if (sync_seq_after(seq, *exp)) {
		n->st.lost += seq - *exp;
		return SEQ_AFTER;
	}
	n->st.before++;
	return SEQ_BEFORE;
}

/* conntrackd's digest_msg: what a message is, and its control effect. */
static enum verdict digest(struct sync_node *n, const struct sync_hdr *h)
{
	if (sync_hdr_is_data(h))
		return MSG_DATA;
	if (h->flags & SYNC_F_ACK) {
		n->st.acks_rcv++;
		rs_range(n, h, false);
		return MSG_CTL;
	}
	if (h->flags & SYNC_F_NACK) {
		n->st.nacks_rcv++;
		rs_range(n, h, true);
		return MSG_CTL;
	}
	if (h->flags & SYNC_F_RESYNC) {
		n->st.resync_rcv++;
		if (n->ops.resync)
			n->ops.resync(n->ops.arg);
		return MSG_CTL;
	}
	if (h->flags & SYNC_F_ALIVE)
		return MSG_CTL;
	return MSG_BAD;
}

/* In-window bookkeeping shared by IN_SYNC, UNSET and HELLO (conntrackd's bypass). */
static enum verdict in_sync(struct sync_node *n, const struct sync_hdr *h)
{
	enum verdict v = digest(n, h);

	if (v == MSG_BAD)
		return v;
	if (!n->ack_from_set) {
		n->ack_from_set = true;
		n->ack_from = h->seq;
	}
	if (--n->window <= 0) {
		/* A whole window received: acknowledge it. */
		queue_ctl(n, SYNC_F_ACK, n->ack_from, h->seq);
		n->window = (int32_t)n->cfg.ack_window;
		n->ack_from_set = false;
	}
	return v;
}

static enum verdict ftfw_recv(struct sync_node *n, const struct sync_hdr *h)
{
	enum verdict v;
	uint32_t exp;

	if (h->flags & SYNC_F_HELLO_BACK && n->hello == HELLO_SAY)
		n->hello = HELLO_DONE;
	if (h->flags & SYNC_F_HELLO) {
		/*
		 * The peer (re)started: it knows nothing of our window or of
		 * what we have not seen acknowledged.  Answer HELLO_BACK, restart
		 * the window at this message, forget the resend queue.
		 */
		n->st.hello_rcv++;
		n->say_hello_back = true;
		if (n->ack_from_set && sync_seq_before(h->seq, n->ack_from)) {
			n->window = (int32_t)n->cfg.ack_window - 1;
			n->ack_from = h->seq;
		}
		sync_node_rs_clear(n);
		v = in_sync(n, h);
		goto out;
	}
	switch (track_seq(n, h->seq, &exp)) {
	case SEQ_AFTER:
		v = digest(n, h);
		if (v == MSG_BAD)
			goto out;
		/* A gap: acknowledge what came before it, ask for the gap. */
		if (n->ack_from_set) {
			queue_ctl(n, SYNC_F_ACK, n->ack_from, exp - 1);
			n->ack_from_set = false;
		}
		queue_ctl(n, SYNC_F_NACK, exp, h->seq - 1);
		n->window = (int32_t)n->cfg.ack_window - 1;
		n->ack_from = h->seq;
		n->ack_from_set = true;
		break;
	case SEQ_BEFORE:
		v = MSG_DROP; /* late or replayed: never applied twice */
		break;
	case SEQ_UNSET:
	case SEQ_IN_SYNC:
	default:
		v = in_sync(n, h);
		break;
	}
out:
	if (v == MSG_DATA || v == MSG_CTL) {
		n->last_seq_recv = h->seq;
		n->seq_set = true;
	}
	return v;
}

static enum verdict notrack_recv(struct sync_node *n, const struct sync_hdr *h)
{
	enum verdict v = MSG_BAD;
	uint32_t exp;

	(void)track_seq(n, h->seq, &exp);
	if (sync_hdr_is_data(h)) {
		v = MSG_DATA;
	} else if (h->flags & SYNC_F_RESYNC) {
		n->st.resync_rcv++;
		if (n->ops.resync)
			n->ops.resync(n->ops.arg);
		v = MSG_CTL;
	}
	n->last_seq_recv = h->seq;
	n->seq_set = true;
	return v;
}

static enum verdict alarm_recv(struct sync_node *n, const struct sync_hdr *h)
{
	uint32_t exp;

	/* ALARM has no control messages: anything flagged is ignored. */
	if (h->flags)
		return MSG_DROP;
	(void)track_seq(n, h->seq, &exp);
	n->last_seq_recv = h->seq;
	n->seq_set = true;
	return h->type <= SYNC_T_STATE_MAX ? MSG_DATA : MSG_DROP;
}

static void deliver(struct sync_node *n, const struct sync_hdr *h, const uint8_t *msg)
{
	enum sync_drop why;

	if (h->type <= SYNC_T_CT_DEL) {
		struct sync_ct c;

		if (sync_ct_decode(msg, h->len, &c, &why)) {
			n->st.drop[why]++;
			return;
		}
		n->ops.ct(n->ops.arg, (enum sync_type)h->type, &c);
	} else {
		struct sync_exp e;

		if (sync_exp_decode(msg, h->len, &e, &why)) {
			n->st.drop[why]++;
			return;
		}
		if (n->ops.exp)
			n->ops.exp(n->ops.arg, (enum sync_type)h->type, &e);
	}
}

void sync_node_input(struct sync_node *n, const uint8_t *buf, size_t len, uint64_t now)
{
	size_t off = 0;

	(void)now;
	n->st.dgram_rcv++;
	n->st.bytes_rcv += len;
	while (off < len) {
		struct sync_hdr h;
		enum sync_drop why;
		enum verdict v;
		uint16_t mlen;

		if (sync_frame(buf + off, len - off, &mlen, &why)) {
			n->st.drop[why]++; /* the rest of the datagram cannot be framed */
			return;
		}
		if (sync_hdr_decode(buf + off, mlen, &h, &why)) {
			n->st.drop[why]++;
			off += mlen;
			continue;
		}
		n->st.msg_rcv++;
		if (n->cfg.mode == SYNC_MODE_FTFW)
			v = ftfw_recv(n, &h);
		else if (n->cfg.mode == SYNC_MODE_NOTRACK)
			v = notrack_recv(n, &h);
		else
			v = alarm_recv(n, &h);
		if (v == MSG_BAD)
			n->st.drop[SYNC_DROP_FLAGS]++;
		else if (v == MSG_DATA)
			deliver(n, &h, buf + off);
		off += mlen;
	}
}

void sync_node_stats(const struct sync_node *n, struct sync_stats *out)
{
	*out = n->st;
	out->rs_len = n->rs.len;
	out->tx_len = n->tx.len;
}
