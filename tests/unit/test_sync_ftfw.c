/* SPDX-License-Identifier: MIT */
/*
 * The replication state machine (lib/sync/ftfw.c) between two nodes wired
 * through an in-memory link the test controls (deliver, drop, replay).
 * Expected behaviour is conntrackd 1.4.7's (shared/spec/conntrackd-sync.md):
 * ACK every window, ACK + NACK on a gap, resend under new sequence
 * numbers, BEFORE dropped, HELLO / HELLO_BACK, ALIVE, RESYNC, bounded
 * resend queue, wraparound; NOTRACK and ALARM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/sync.h"

#define MS   1000000ull
#define MAXQ 64

struct dgram {
	uint8_t b[4096];
	size_t len;
};

struct peer {
	struct sync_node *n;
	struct dgram out[MAXQ]; /* datagrams it transmitted, not yet taken */
	size_t nout;
	uint16_t got_port[MAXQ]; /* sport of every ct delivered to it, in order */
	uint8_t got_type[MAXQ];
	size_t ngot;
	int resyncs;
};

static void on_xmit(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;

	assert_true(p->nout < MAXQ);
	memcpy(p->out[p->nout].b, buf, len);
	p->out[p->nout++].len = len;
}

static void on_ct(void *arg, enum sync_type type, const struct sync_ct *c)
{
	struct peer *p = arg;

	assert_true(p->ngot < MAXQ);
	p->got_type[p->ngot] = (uint8_t)type;
	p->got_port[p->ngot++] = c->orig.sport;
}

static void on_resync(void *arg)
{
	((struct peer *)arg)->resyncs++;
}

static void mk(struct peer *p, enum sync_mode mode, uint32_t seq, uint32_t window, uint32_t rsq)
{
	struct sync_config cfg = {.mode = mode,
				  .seq_start = seq,
				  .ack_window = window,
				  .resend_queue_size = rsq,
				  .tx_queue_size = 64,
				  .seed = 1};
	struct sync_ops ops = {.xmit = on_xmit, .ct = on_ct, .resync = on_resync, .arg = p};

	memset(p, 0, sizeof(*p));
	assert_int_equal(sync_node_new(&cfg, &ops, &p->n), 0);
}

static void entry(struct sync_ct *c, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->orig = (struct sync_addr){.l3num = 2,
				     .src = {10, 0, 0, 1},
				     .dst = {10, 0, 0, 2},
				     .l4proto = 17,
				     .sport = sport,
				     .dport = 53};
	c->timeout = 30;
	c->have = 1u << SYNC_A_IPV4 | 1u << SYNC_A_L4PROTO | 1u << SYNC_A_PORT |
		  1u << SYNC_A_STATUS | 1u << SYNC_A_TIMEOUT;
}

/* Queue one entry and flush it as its own datagram. */
static void send1(struct peer *p, enum sync_type t, uint16_t sport, uint64_t now)
{
	struct sync_ct c;

	entry(&c, sport);
	assert_int_equal(sync_node_send_ct(p->n, t, &c), 0);
	sync_node_flush(p->n, now);
}

/* Move the datagrams `from` sent to `to`; drop_mask bit i drops the i-th. */
static void carry(struct peer *from, struct peer *to, uint32_t drop_mask, uint64_t now)
{
	for (size_t i = 0; i < from->nout; i++)
		if (!(drop_mask >> i & 1))
			sync_node_input(to->n, from->out[i].b, from->out[i].len, now);
	from->nout = 0;
}

static struct sync_stats stats(const struct peer *p)
{
	struct sync_stats s;

	sync_node_stats(p->n, &s);
	return s;
}

static uint32_t seq_of(const struct dgram *d)
{
	struct sync_hdr h;
	enum sync_drop why;

	assert_int_equal(sync_hdr_decode(d->b, d->len, &h, &why), 0);
	return h.seq;
}

/*
 * conntrackd's handshake: every message carries HELLO until a HELLO_BACK
 * arrives, and a HELLO empties the receiver's resend queue, so the link
 * is reliable only once both sides are done.  Returns the next free time.
 */
static uint64_t handshake(struct peer *a, struct peer *b)
{
	sync_node_tick(a->n, 0); /* ALIVE + HELLO */
	carry(a, b, 0, 0);
	sync_node_tick(b->n, 0); /* ACK + HELLO + HELLO_BACK */
	carry(b, a, 0, 0);
	sync_node_tick(a->n, 2000 * MS); /* ALIVE + HELLO_BACK */
	carry(a, b, 0, 2000 * MS);
	sync_node_tick(b->n, 2000 * MS);
	carry(b, a, 0, 2000 * MS);
	return 3000 * MS;
}

/* 1: data flows; HELLO until HELLO_BACK; a full window is acknowledged. */
static void test_hello_and_window(void **state)
{
	struct peer a, b;
	struct sync_hdr h;
	enum sync_drop why;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 100, 3, 16);
	mk(&b, SYNC_MODE_FTFW, 500, 3, 16);
	send1(&a, SYNC_T_CT_NEW, 1, 0);
	send1(&a, SYNC_T_CT_NEW, 2, 0);
	assert_int_equal(a.out[0].b[1], SYNC_F_HELLO);
	assert_int_equal(seq_of(&a.out[0]), 100);
	assert_int_equal(seq_of(&a.out[1]), 101);
	carry(&a, &b, 0, 0);
	assert_int_equal(b.ngot, 2);
	assert_int_equal(stats(&a).rs_len, 2);
	send1(&a, SYNC_T_CT_UPD, 1, 0);
	carry(&a, &b, 0, 0);
	assert_int_equal(b.ngot, 3);
	assert_int_equal(b.got_type[2], SYNC_T_CT_UPD);
	/* Window of 3 reached: B owes ACK(100, 102), carrying HELLO_BACK (and its own HELLO). */
	sync_node_flush(b.n, 0);
	assert_int_equal(b.nout, 1);
	assert_int_equal(sync_hdr_decode(b.out[0].b, b.out[0].len, &h, &why), 0);
	assert_int_equal(h.flags, SYNC_F_ACK | SYNC_F_HELLO | SYNC_F_HELLO_BACK);
	assert_int_equal(h.from, 100);
	assert_int_equal(h.to, 102);
	assert_int_equal(h.seq, 500);
	carry(&b, &a, 0, 0);
	assert_int_equal(stats(&a).rs_len, 0);
	/* A got HELLO_BACK: no more HELLO on its messages (but it owes B a HELLO_BACK). */
	send1(&a, SYNC_T_CT_NEW, 4, 0);
	assert_int_equal(a.out[0].b[1], SYNC_F_HELLO_BACK);
	send1(&a, SYNC_T_CT_NEW, 5, 0);
	assert_int_equal(a.out[1].b[1], 0);
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 2: a lost message: ACK what came before, NACK the gap, resend under a new seq. */
static void test_gap_nack_resend(void **state)
{
	struct peer a, b;
	struct sync_hdr h;
	enum sync_drop why;
	struct dgram replay;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 8, 100, 16);
	mk(&b, SYNC_MODE_FTFW, 900, 100, 16);
	handshake(&a, &b); /* A used 8 and 9 */
	b.ngot = 0;
	send1(&a, SYNC_T_CT_NEW, 1, 0); /* seq 10 */
	send1(&a, SYNC_T_CT_NEW, 2, 0); /* seq 11: lost */
	send1(&a, SYNC_T_CT_NEW, 3, 0); /* seq 12 */
	assert_int_equal(seq_of(&a.out[0]), 10);
	assert_int_equal(a.out[0].b[1], 0); /* handshake done: no flags */
	replay = a.out[0];
	carry(&a, &b, 1u << 1, 0);
	assert_int_equal(b.ngot, 2);
	assert_int_equal(stats(&b).lost, 1);
	sync_node_flush(b.n, 0);
	/* Both go in one datagram: ACK(10, 10) then NACK(11, 11). */
	assert_int_equal(b.nout, 1);
	assert_int_equal(b.out[0].len, 32);
	assert_int_equal(sync_hdr_decode(b.out[0].b, 16, &h, &why), 0);
	assert_true(h.flags & SYNC_F_ACK);
	assert_int_equal(h.from, 10);
	assert_int_equal(h.to, 10);
	assert_int_equal(sync_hdr_decode(b.out[0].b + 16, 16, &h, &why), 0);
	assert_true(h.flags & SYNC_F_NACK);
	assert_int_equal(h.from, 11);
	assert_int_equal(h.to, 11);
	carry(&b, &a, 0, 0);
	assert_int_equal(stats(&a).resent, 1);
	assert_int_equal(stats(&a).rs_len, 1); /* 12 stays until acknowledged; 10 went */
	sync_node_flush(a.n, 0);
	assert_int_equal(a.nout, 1);
	assert_int_equal(seq_of(&a.out[0]), 13); /* a new sequence number */
	carry(&a, &b, 0, 0);
	assert_int_equal(b.ngot, 3);
	assert_int_equal(b.got_port[2], 2);
	/* A replay of seq 10 is BEFORE: dropped, not delivered again. */
	sync_node_input(b.n, replay.b, replay.len, 0);
	assert_int_equal(b.ngot, 3);
	assert_int_equal(stats(&b).before, 1);
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 3: a NACKed state whose entry has a newer queued state is not resent. */
static void test_superseded_not_resent(void **state)
{
	struct peer a, b;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 1, 100, 16);
	mk(&b, SYNC_MODE_FTFW, 1000, 100, 16);
	handshake(&a, &b);
	send1(&a, SYNC_T_CT_NEW, 1, 0);
	carry(&a, &b, 0, 0);
	send1(&a, SYNC_T_CT_NEW, 9, 0); /* lost */
	send1(&a, SYNC_T_CT_DEL, 9, 0);
	carry(&a, &b, 1u << 0, 0);
	assert_int_equal(b.got_type[b.ngot - 1], SYNC_T_CT_DEL);
	sync_node_flush(b.n, 0); /* ACK, NACK of the lost one */
	carry(&b, &a, 0, 0);
	assert_int_equal(stats(&a).superseded, 1);
	assert_int_equal(stats(&a).resent, 0);
	sync_node_flush(a.n, 0);
	assert_int_equal(a.nout, 0); /* the stale NEW 9 is not sent */
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 4: sequence numbers wrap around 2^32 without a gap. */
static void test_wraparound(void **state)
{
	struct peer a, b;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 0xfffffffbu, 2, 16);
	mk(&b, SYNC_MODE_FTFW, 1, 2, 16);
	/* ALIVE fffffffb, ACK fffffffc; the ACK it then owes goes out first as fffffffd. */
	handshake(&a, &b);
	b.ngot = 0;
	for (uint16_t i = 1; i <= 5; i++)
		send1(&a, SYNC_T_CT_NEW, i, 0);
	assert_int_equal(seq_of(&a.out[2]), 0);
	carry(&a, &b, 0, 0);
	assert_int_equal(b.ngot, 5);
	assert_int_equal(stats(&b).lost, 0);
	assert_int_equal(stats(&b).before, 0);
	/* Six messages (fffffffd..2), windows of 2: three ACKs across the wrap clear A's queue. */
	assert_int_equal(stats(&a).rs_len, 6);
	sync_node_flush(b.n, 0);
	carry(&b, &a, 0, 0);
	assert_int_equal(stats(&a).acks_rcv >= 3, 1);
	assert_int_equal(stats(&a).rs_len, 0);
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 5: the resend queue is bounded; the oldest entries are purged. */
static void test_rs_bound(void **state)
{
	struct peer a;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 1, 100, 4);
	for (uint16_t i = 1; i <= 10; i++)
		send1(&a, SYNC_T_CT_NEW, i, 0);
	assert_int_equal(stats(&a).rs_len, 4);
	assert_int_equal(stats(&a).rs_purged, 6);
	sync_node_free(a.n);
}

/* 6: ALIVE when idle; a pending acknowledgement instead when one is owed. */
static void test_alive(void **state)
{
	struct peer a, b;
	struct sync_hdr h;
	enum sync_drop why;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 50, 100, 16);
	mk(&b, SYNC_MODE_FTFW, 70, 100, 16);
	assert_int_equal(sync_node_deadline(a.n), 0);
	sync_node_tick(a.n, 5 * MS);
	assert_int_equal(a.nout, 1);
	assert_int_equal(a.out[0].len, 8);
	assert_int_equal(a.out[0].b[0], 0x1a);
	assert_int_equal(a.out[0].b[1], SYNC_F_ALIVE | SYNC_F_HELLO);
	assert_int_equal(sync_node_deadline(a.n), 1005 * MS);
	sync_node_tick(a.n, 500 * MS); /* not yet */
	assert_int_equal(a.nout, 1);
	a.nout = 0;
	send1(&a, SYNC_T_CT_NEW, 1, 600 * MS); /* seq 51 */
	send1(&a, SYNC_T_CT_NEW, 2, 600 * MS); /* seq 52 */
	carry(&a, &b, 0, 600 * MS);
	sync_node_tick(b.n, 2000 * MS);
	assert_int_equal(b.nout, 1);
	assert_int_equal(sync_hdr_decode(b.out[0].b, b.out[0].len, &h, &why), 0);
	assert_true(h.flags & SYNC_F_ACK);
	assert_int_equal(h.from, 51);
	assert_int_equal(h.to, 52);
	carry(&b, &a, 0, 2000 * MS);
	assert_int_equal(stats(&a).rs_len, 0);
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 7: RESYNC asks the peer for its whole cache; a restarted peer's HELLO clears our queue. */
static void test_resync_and_restart(void **state)
{
	struct peer a, b;
	struct sync_hdr h;
	enum sync_drop why;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 1, 100, 16);
	mk(&b, SYNC_MODE_FTFW, 100, 100, 16);
	handshake(&a, &b);
	a.ngot = 0;
	assert_int_equal(sync_node_request_resync(b.n), 0);
	sync_node_flush(b.n, 0);
	assert_int_equal(sync_hdr_decode(b.out[0].b, b.out[0].len, &h, &why), 0);
	assert_int_equal(h.len, 16);
	assert_int_equal(h.from, 0);
	assert_int_equal(h.to, 0);
	carry(&b, &a, 0, 0);
	assert_int_equal(a.resyncs, 1);
	send1(&a, SYNC_T_CT_NEW, 1, 0);
	a.nout = 0; /* lost */
	assert_true(stats(&a).rs_len >= 1);
	/* B restarts: its first message says HELLO. */
	sync_node_free(b.n);
	mk(&b, SYNC_MODE_FTFW, 5000, 100, 16);
	send1(&b, SYNC_T_CT_NEW, 9, 0);
	carry(&b, &a, 0, 0);
	assert_int_equal(stats(&a).rs_len, 0);
	assert_int_equal(stats(&a).hello_rcv, 2); /* the handshake's, the restart's */
	assert_int_equal(a.ngot, 1);
	send1(&a, SYNC_T_CT_NEW, 2, 0);
	assert_true(a.out[0].b[1] & SYNC_F_HELLO_BACK);
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 8: NOTRACK: no handshake, no resend queue, gaps only counted; ALIVE is not its. */
static void test_notrack(void **state)
{
	struct peer a, b;
	uint8_t alive[8];

	(void)state;
	mk(&a, SYNC_MODE_NOTRACK, 1, 0, 0);
	mk(&b, SYNC_MODE_NOTRACK, 1, 0, 0);
	send1(&a, SYNC_T_CT_NEW, 1, 0);
	send1(&a, SYNC_T_CT_NEW, 2, 0);
	send1(&a, SYNC_T_CT_NEW, 3, 0);
	assert_int_equal(a.out[0].b[1], 0);
	carry(&a, &b, 1u << 1, 0);
	assert_int_equal(b.ngot, 2);
	assert_int_equal(stats(&b).lost, 1);
	assert_int_equal(stats(&a).rs_len, 0);
	sync_node_flush(b.n, 0);
	assert_int_equal(b.nout, 0); /* no ACK, no NACK */
	assert_int_equal(sync_ctl_encode(SYNC_F_ALIVE, 4, 0, 0, alive, sizeof(alive)), 8);
	sync_node_input(b.n, alive, 8, 0);
	assert_int_equal(stats(&b).drop[SYNC_DROP_FLAGS], 1);
	assert_int_equal(sync_node_request_resync(b.n), 0);
	sync_node_flush(b.n, 0);
	carry(&b, &a, 0, 0);
	assert_int_equal(a.resyncs, 1);
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 9: ALARM: flagged messages ignored, no resync, refresh in 1..RefreshTime s. */
static void test_alarm(void **state)
{
	struct peer a, b;
	struct sync_ct c;
	uint8_t msg[256];
	int len;

	(void)state;
	mk(&a, SYNC_MODE_ALARM, 1, 0, 0);
	mk(&b, SYNC_MODE_ALARM, 1, 0, 0);
	assert_int_equal(sync_node_request_resync(b.n), -EOPNOTSUPP);
	send1(&a, SYNC_T_CT_NEW, 1, 0);
	carry(&a, &b, 0, 0);
	assert_int_equal(b.ngot, 1);
	entry(&c, 2);
	len = sync_ct_encode(&c, SYNC_T_CT_NEW, SYNC_F_HELLO, 2, msg, sizeof(msg));
	sync_node_input(b.n, msg, (size_t)len, 0);
	assert_int_equal(b.ngot, 1);
	for (int i = 0; i < 1000; i++) {
		uint64_t t = sync_node_alarm_next(a.n, 1000 * MS);

		assert_true(t >= 2000 * MS);
		assert_true(t < (1000 + 61000) * MS);
	}
	sync_node_free(a.n);
	sync_node_free(b.n);
}

/* 10: a malformed message is counted and dropped; the rest of the datagram still counts. */
static void test_malformed_in_datagram(void **state)
{
	struct peer a, b;
	struct sync_ct c;
	uint8_t dg[512];
	int l1, l2;

	(void)state;
	mk(&a, SYNC_MODE_FTFW, 1, 100, 16);
	mk(&b, SYNC_MODE_FTFW, 1, 100, 16);
	entry(&c, 1);
	c.have &= ~(1ull << SYNC_A_PORT); /* a UDP entry without ports: not an entry */
	l1 = sync_ct_encode(&c, SYNC_T_CT_NEW, 0, 1, dg, sizeof(dg));
	entry(&c, 2);
	l2 = sync_ct_encode(&c, SYNC_T_CT_NEW, 0, 2, dg + l1, sizeof(dg) - (size_t)l1);
	dg[l1 + l2] = 0x20; /* a trailing byte: unframeable */
	sync_node_input(b.n, dg, (size_t)(l1 + l2 + 1), 0);
	assert_int_equal(b.ngot, 1);
	assert_int_equal(b.got_port[0], 2);
	assert_int_equal(stats(&b).drop[SYNC_DROP_SEMANTIC], 1);
	assert_int_equal(stats(&b).drop[SYNC_DROP_SHORT], 1);
	assert_int_equal(stats(&b).lost, 0); /* the bad one still advanced the sequence */
	sync_node_free(a.n);
	sync_node_free(b.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hello_and_window),
	    cmocka_unit_test(test_gap_nack_resend),
	    cmocka_unit_test(test_superseded_not_resent),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_rs_bound),
	    cmocka_unit_test(test_alive),
	    cmocka_unit_test(test_resync_and_restart),
	    cmocka_unit_test(test_notrack),
	    cmocka_unit_test(test_alarm),
	    cmocka_unit_test(test_malformed_in_datagram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
