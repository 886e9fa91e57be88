/* SPDX-License-Identifier: MIT */
/*
 * The TCP connection tracker: packet sanity, the state machine and the
 * window tracking of Linux netfilter (spec §5; behaviour of kernel 6.18).
 *
 * Verdict mapping to the kernel: NF_ACCEPT is CT_V_ACCEPT, -NF_ACCEPT
 * (packet INVALID, entry detached) is CT_V_INVALID, -NF_REPEAT (reopen after
 * killing the old entry) is CT_V_REPEAT.  An IGNORE result is CT_V_ACCEPT
 * without refresh and without accounting (spec §5.5, §6.5).
 *
 * NAT sequence adjustment of ack/sack before the window checks comes from
 * lib/seqadj.c.  Not modelled: per-entry timeout policies (the sysctl
 * timeouts are always used) and the SYN-proxy keep-alive exception (no
 * synproxy).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct_priv.h"
#include "seqadj.h"
#include "proto_tcp.h"

/* Short names so the tables below read as the spec's tables. */
enum {
	sNO = CT_TCP_NONE,
	sSS = CT_TCP_SYN_SENT,
	sSR = CT_TCP_SYN_RECV,
	sES = CT_TCP_ESTABLISHED,
	sFW = CT_TCP_FIN_WAIT,
	sCW = CT_TCP_CLOSE_WAIT,
	sLA = CT_TCP_LAST_ACK,
	sTW = CT_TCP_TIME_WAIT,
	sCL = CT_TCP_CLOSE,
	sS2 = CT_TCP_SYN_SENT2,
	sIV = CT_TCP_MAX,
	sIG = CT_TCP_IGNORE,
};

/*
 * new state = tcp_next[direction][class][old state] (spec §5.4).  Cells that
 * the handler refines (reopen, challenge ACK, simultaneous open, RST checks,
 * creation rules) are explained in the comment under their row.
 */
/* clang-format off */
static const uint8_t tcp_next[2][CT_TCPC_MAX][CT_TCP_MAX] = {
	[CT_DIR_ORIGINAL] = {
		/*                 sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
		[CT_TCPC_SYN] = { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
		/*
		 * A SYN creates (NO) or retransmits/re-initialises (SS).  In
		 * SR..LA our view may be stale, so it passes untouched and is
		 * remembered for resync.  TW/CL->SS is a reopen only if a FIN
		 * was sent or the last in-window packet was our RST (note 1),
		 * else IG.  In S2 it is the initiator's SYN of a simultaneous
		 * open.
		 */
		[CT_TCPC_SYNACK] = { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
		/*
		 * Only a simultaneous open makes the initiator send a SYN-ACK:
		 * after our SYN and the responder's SYN (S2), or repeated (SR).
		 */
		[CT_TCPC_FIN] = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		/*
		 * The first FIN moves to FW; a FIN in FW (the peer's, or our
		 * retransmission: the table cannot tell) to LA; a FIN after
		 * the final ACK keeps TW; no FIN before the handshake.
		 */
		[CT_TCPC_ACK] = { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
		/*
		 * NO->ES is loose pickup (note 2).  SR->ES completes the
		 * handshake.  The ACK of a FIN moves FW->CW; in LA it is the
		 * final ACK (->TW) unless it is a challenge ACK (note 3).  In
		 * SS and S2 the initiator cannot ACK anything yet.
		 */
		[CT_TCPC_RST] = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		/*
		 * A RST closes, subject to the sequence rules of §5.5; with no
		 * reply yet it deletes the entry (note 4).  It cannot create.
		 */
		[CT_TCPC_NONE] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
		/* No SYN, FIN, RST or ACK: unreachable, §5.1 rejects it first. */
	},
	[CT_DIR_REPLY] = {
		/*                 sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
		[CT_TCPC_SYN] = { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
		/*
		 * The responder's bare SYN in SS is a simultaneous open (S2).
		 * In TW it may start a new connection the other way round
		 * (reopen, note 1).  NO is unreachable: a packet without an
		 * entry is always ORIGINAL.
		 */
		[CT_TCPC_SYNACK] = { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
		/*
		 * The normal answer to the SYN (SS->SR), or the simultaneous
		 * open's SYN-ACK (S2->SR).  Later ones are retransmissions or
		 * answers to a SYN we ignored: IG, with resync (§5.5).
		 */
		[CT_TCPC_FIN] = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		/* As in the original direction. */
		[CT_TCPC_ACK] = { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
		/*
		 * In SS a bare ACK may be a challenge ACK (RFC 5961) to our
		 * SYN: IG, and its ack is remembered.  In SR it is the third
		 * packet of a simultaneous open: ES only if S2 was passed
		 * (note 5), else SR.  LA->TW unless challenge ACK (note 3).
		 */
		[CT_TCPC_RST] = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		/* As in the original direction. */
		[CT_TCPC_NONE] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
		/* Unreachable, as in the original direction. */
	},
};
/* clang-format on */

uint8_t ct_tcp_next_state(unsigned dir, unsigned cls, unsigned old_state)
{
	if (dir > CT_DIR_REPLY || cls >= CT_TCPC_MAX || old_state >= CT_TCP_MAX)
		return sIV;
	return tcp_next[dir][cls][old_state];
}

/*
 * The class of each combination of FIN, SYN, RST, ACK and URG (PSH, ECE
 * and CWR never matter, spec §5.1), or TCPC_BAD for the combinations §5.1
 * rejects: one load on the packet path for ct_tcp_flags_ok and
 * ct_tcp_classify together.  Indexed by flags & TCP_FLAGS_SEEN.
 */
#define TCP_FLAGS_SEEN (CT_TH_FIN | CT_TH_SYN | CT_TH_RST | CT_TH_ACK | CT_TH_URG)
#define TCPC_BAD 0xff
enum {
	SY = CT_TCPC_SYN,
	SA = CT_TCPC_SYNACK,
	FI = CT_TCPC_FIN,
	AC = CT_TCPC_ACK,
	RS = CT_TCPC_RST,
	XX = TCPC_BAD,
};
/* clang-format off */
static const uint8_t tcp_flag_class[64] = {
	/* row: ACK (0x10) and URG (0x20) bits; column: FIN, SYN, RST (and PSH, masked) */
	XX, XX, SY, XX, RS, XX, XX, XX,  XX, XX, XX, XX, XX, XX, XX, XX, /* none     */
	AC, FI, SA, XX, RS, XX, XX, XX,  XX, XX, XX, XX, XX, XX, XX, XX, /* ACK      */
	XX, XX, SY, XX, XX, XX, XX, XX,  XX, XX, XX, XX, XX, XX, XX, XX, /* URG      */
	AC, FI, XX, XX, XX, XX, XX, XX,  XX, XX, XX, XX, XX, XX, XX, XX, /* ACK, URG */
};
/* clang-format on */

bool ct_tcp_flags_ok(uint8_t flags)
{
	return tcp_flag_class[flags & TCP_FLAGS_SEEN] != TCPC_BAD;
}

enum ct_tcp_class ct_tcp_classify(uint8_t flags)
{
	if (flags & CT_TH_RST)
		return CT_TCPC_RST;
	if (flags & CT_TH_SYN)
		return (flags & CT_TH_ACK) ? CT_TCPC_SYNACK : CT_TCPC_SYN;
	if (flags & CT_TH_FIN)
		return CT_TCPC_FIN;
	if (flags & CT_TH_ACK)
		return CT_TCPC_ACK;
	return CT_TCPC_NONE;
}

/* RFC 1982-style sequence comparisons (mod 2^32). */
static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return seq_before(b, a);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The parts of a segment the tracker uses, in host order. */
struct tcp_seg {
	const uint8_t *opt; /* options, borrowed from the packet */
	uint32_t optlen;
	uint32_t seq;
	uint32_t ack; /* the raw ack field, whether or not ACK is set */
	uint32_t end; /* seq + payload (+1 SYN, +1 FIN) */
	uint16_t win; /* raw, unscaled */
	uint8_t flags;
	uint8_t cls; /* enum ct_tcp_class */
};

#define TCP_OPT_EOL	  0
#define TCP_OPT_NOP	  1
#define TCP_OPT_WSCALE	  3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK	  5
#define TCP_MAX_WSCALE	  14 /* RFC 7323 §2.3 */

/*
 * Walk the options and call back for each complete one.  Like the kernel we
 * stop at EOL, at a length < 2 ("silly option") and at an option that runs
 * past the header (never parse partial options).
 */
struct tcp_opt_view {
	uint8_t kind;
	uint8_t len;
	const uint8_t *val; /* len - 2 bytes */
};

static bool tcp_opt_next(const uint8_t **pos, const uint8_t *end, struct tcp_opt_view *o)
{
	const uint8_t *b = *pos;

	while (b < end) {
		if (b[0] == TCP_OPT_EOL)
			return false;
		if (b[0] == TCP_OPT_NOP) {
			b++;
			continue;
		}
		if (end - b < 2 || b[1] < 2 || b[1] > end - b)
			return false;
		o->kind = b[0];
		o->len = b[1];
		o->val = b + 2;
		*pos = b + b[1];
		return true;
	}
	return false;
}

/*
 * Read window scale and SACK-permitted into a direction's state.  With no
 * options at all the old values stay (as in the kernel); otherwise every
 * flag except BE_LIBERAL is cleared first.
 */
static void tcp_parse_options(const struct tcp_seg *g, struct ct_tcp_dir *d)
{
	const uint8_t *pos = g->opt, *end = g->opt + g->optlen;
	struct tcp_opt_view o;

	if (!g->optlen)
		return;
	d->td_scale = 0;
	d->flags &= CT_TCPF_BE_LIBERAL;
	while (tcp_opt_next(&pos, end, &o)) {
		if (o.kind == TCP_OPT_SACK_PERM && o.len == 2) {
			d->flags |= CT_TCPF_SACK_PERM;
		} else if (o.kind == TCP_OPT_WSCALE && o.len == 3) {
			d->td_scale = o.val[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o.val[0];
			d->flags |= CT_TCPF_WINDOW_SCALE;
		}
	}
}

/*
 * The highest right edge of the first well-formed SACK option (RFC 2018),
 * if it is beyond `sack`.
 */
static uint32_t tcp_sack_edge(const struct tcp_seg *g, uint32_t sack)
{
	const uint8_t *pos = g->opt, *end = g->opt + g->optlen;
	struct tcp_opt_view o;

	while (tcp_opt_next(&pos, end, &o)) {
		if (o.kind != TCP_OPT_SACK || o.len < 10 || (o.len - 2) % 8)
			continue;
		for (unsigned i = 0; i + 8 <= (unsigned)o.len - 2; i += 8) {
			uint32_t right = rd32(o.val + i + 4);

			if (seq_after(right, sack))
				sack = right;
		}
		return sack;
	}
	return sack;
}

/*
 * Sanity checks of spec §5.1 and extraction of the segment.  Returns 0 or
 * the INVALID reason.
 */
static uint8_t tcp_sanity(const struct ct_table *t, const struct ct_pkt *p, enum ct_hook hook,
			  struct tcp_seg *g)
{
	const uint8_t *th;
	uint32_t hlen;

	if (p->l4_bad != CT_L4_OK || p->l4_len < 20 || p->l4_off > p->len ||
	    p->len - p->l4_off < 20)
		return CT_TCP_INV_TRUNCATED;
	th = p->data + p->l4_off;
	hlen = (uint32_t)(th[12] >> 4) * 4;
	if (hlen < 20 || p->l4_len < hlen || p->len - p->l4_off < hlen)
		return CT_TCP_INV_TRUNCATED;

	/* The kernel trusts locally generated checksums (offload). */
	if (t->set.checksum && hook == CT_HOOK_PREROUTING && !ct_pkt_l4_csum_ok(p))
		return CT_TCP_INV_CSUM;

	g->flags = th[13];
	g->cls = tcp_flag_class[g->flags & TCP_FLAGS_SEEN];
	if (g->cls == TCPC_BAD)
		return CT_TCP_INV_FLAGS;
	g->seq = rd32(th + 4);
	g->ack = rd32(th + 8);
	g->win = (uint16_t)(th[14] << 8 | th[15]);
	g->opt = th + 20;
	g->optlen = hlen - 20;
	/* SYN and FIN each occupy one sequence number (RFC 9293 §3.4). */
	g->end = g->seq + (p->l4_len - hlen) + !!(g->flags & CT_TH_SYN) + !!(g->flags & CT_TH_FIN);
	return 0;
}

/* Clear one direction's window data, keeping only BE_LIBERAL. */
static void tcp_dir_reset(struct ct_tcp_dir *d)
{
	d->td_end = 0;
	d->td_maxend = 0;
	d->td_maxwin = 0;
	d->td_maxack = 0;
	d->td_scale = 0;
	d->flags &= CT_TCPF_BE_LIBERAL;
}

/*
 * Fresh, unconfirmed entry (kernel tcp_new): only a SYN, or an ACK with
 * nf_conntrack_tcp_loose, may create it (spec §5.4 note 2).  The state stays
 * NONE here; the state machine moves it.  Returns 0 or the INVALID reason.
 */
static uint8_t tcp_new(const struct ct_table *t, struct ct_tcp *s, const struct tcp_seg *g)
{
	struct ct_tcp_dir *o = &s->seen[CT_DIR_ORIGINAL];
	uint8_t next = tcp_next[CT_DIR_ORIGINAL][g->cls][sNO];

	if (next >= CT_TCP_MAX)
		return CT_TCP_INV_NEW;
	if (next != sSS && !t->set.tcp_loose)
		return CT_TCP_INV_NO_LOOSE;

	memset(s, 0, sizeof(*s));
	o->td_end = g->end;
	o->td_maxwin = g->win ? g->win : 1;
	if (next == sSS) {
		o->td_maxend = o->td_end;
		tcp_parse_options(g, o);
	} else {
		/*
		 * Mid-stream pickup: the history is lost, so trust this
		 * packet, assume SACK and be liberal both ways (the window
		 * scale of either side is unknown).
		 */
		o->td_maxend = o->td_end + o->td_maxwin;
		s->seen[0].flags = CT_TCPF_SACK_PERM | CT_TCPF_BE_LIBERAL;
		s->seen[1].flags = CT_TCPF_SACK_PERM | CT_TCPF_BE_LIBERAL;
	}
	s->last_index = CT_TCPC_NONE;
	return 0;
}

/*
 * First SYN(-ACK) of a direction, or its re-initialisation: window data from
 * this packet.  RFC 7323 §2.2: scaling is used only if both sides offer it.
 * That is decided on the reply side only: an originator's re-initialising
 * SYN in SYN_SENT arrives before the responder said anything, so "the peer
 * offered no wscale" means nothing yet and the scale must stay (the kernel
 * fixed this in 6.8, "correct window scaling with retransmitted SYN").
 */
static void tcp_init_sender(struct ct_tcp_dir *snd, struct ct_tcp_dir *rcv, const struct tcp_seg *g,
			    uint8_t dir)
{
	snd->td_end = g->end;
	snd->td_maxend = g->end;
	snd->td_maxwin = g->win ? g->win : 1;
	tcp_parse_options(g, snd);
	if (dir == CT_DIR_REPLY &&
	    !((snd->flags & CT_TCPF_WINDOW_SCALE) && (rcv->flags & CT_TCPF_WINDOW_SCALE))) {
		snd->td_scale = 0;
		rcv->td_scale = 0;
	}
}

enum tcp_win_result {
	TCP_WIN_ACCEPT,
	TCP_WIN_IGNORE,
	TCP_WIN_INVALID,
};

/* A failed check, unless the sender or the sysctl is liberal (§5.8). */
static enum tcp_win_result tcp_win_fail(const struct ct_table *t, const struct ct_tcp_dir *snd,
					enum tcp_win_result res)
{
	if (t->set.tcp_be_liberal || (snd->flags & CT_TCPF_BE_LIBERAL))
		return TCP_WIN_ACCEPT;
	return res;
}

/* Pick up a direction never seen with a SYN (spec §5.8 "mid-stream"). */
static void tcp_init_midstream(struct ct_tcp_dir *snd, struct ct_tcp_dir *rcv,
			       const struct tcp_seg *g, uint32_t sack)
{
	uint32_t swin = (uint32_t)g->win << snd->td_scale;

	snd->td_end = g->end;
	snd->td_maxwin = swin ? swin : 1;
	snd->td_maxend = g->end + snd->td_maxwin;
	if (rcv->td_maxwin == 0) {
		/* Peer never seen: let checks III and IV pass until it is. */
		rcv->td_end = sack;
		rcv->td_maxend = sack;
	} else if (sack == rcv->td_end + 1) {
		/* Most likely the answer to a keep-alive probe (seq - 1). */
		rcv->td_end++;
	}
}

/* Record an ACK-class packet; identical repeats count as retransmissions. */
static void tcp_note_retrans(struct ct_tcp *s, uint8_t dir, uint32_t seq, uint32_t ack,
			     uint32_t end, uint16_t win_raw)
{
	if (s->last_dir == dir && s->last_seq == seq && s->last_ack == ack && s->last_end == end &&
	    s->last_win == win_raw) {
		s->retrans++;
		return;
	}
	s->last_dir = dir;
	s->last_seq = seq;
	s->last_ack = ack;
	s->last_end = end;
	s->last_win = win_raw;
	s->retrans = 0;
}

/*
 * Window tracking (spec §5.8, kernel tcp_in_window).  S = sender, R =
 * receiver.  On ACCEPT the window data has been updated.
 */
static enum tcp_win_result tcp_window(const struct ct_table *t, struct ct_tcp *s, uint8_t dir,
				      const struct tcp_seg *g, uint8_t *reason)
{
	struct ct_tcp_dir *snd = &s->seen[dir];
	struct ct_tcp_dir *rcv = &s->seen[!dir];
	uint32_t seq = g->seq, ack = g->ack, sack = g->ack, end = g->end, win = g->win;
	uint32_t maxackwin, overshoot, swin;
	bool has_ack = g->flags & CT_TH_ACK;
	bool syn = g->flags & CT_TH_SYN;
	bool rst = g->flags & CT_TH_RST;
	bool seq_low_ok, ack_low_ok;

	/* SACK blocks count as acknowledgement only if the receiver allowed them. */
	if (rcv->flags & CT_TCPF_SACK_PERM)
		sack = tcp_sack_edge(g, sack);
	/*
	 * A NAT helper changed the payload length in the other direction: the
	 * peer acknowledges mangled sequence numbers, the tracker's window
	 * data holds the original ones (kernel: nf_ct_seq_offset on ack - 1).
	 */
	{
		const struct ct_conn *c =
			(const struct ct_conn *)((const char *)s - offsetof(struct ct_conn, ps.tcp));

		if (c->status & CT_S_SEQ_ADJUST) {
			int32_t off = ct_seqadj_offset(t, c, (enum ct_dir)!dir, ack - 1);

			ack -= (uint32_t)off;
			sack -= (uint32_t)off;
		}
	}

	if (snd->td_maxwin == 0) {
		if (syn) {
			/* SYN-ACK to the SYN, or the reply SYN of a simultaneous open. */
			tcp_init_sender(snd, rcv, g, dir);
			if (!has_ack)
				return TCP_WIN_ACCEPT;
		} else {
			tcp_init_midstream(snd, rcv, g, sack);
		}
	} else if (syn && seq_after(end, snd->td_end) && (s->state == sSS || s->state == sSR)) {
		/*
		 * RFC 9293 §3.4.1: a restarted TCP may pick a higher ISN; it
		 * may also change its options.  Rebuild this side.
		 */
		tcp_init_sender(snd, rcv, g, dir);
		if (dir == CT_DIR_REPLY && !has_ack)
			return TCP_WIN_ACCEPT;
	}

	/* No ACK (or the broken RST+ACK with ack 0): pretend it acks R's end. */
	if (!has_ack || (rst && ack == 0)) {
		ack = rcv->td_end;
		sack = rcv->td_end;
	}
	/* A RST answering the SYN may carry seq 0. */
	if (rst && seq == 0 && s->state == sSS) {
		seq = snd->td_end;
		end = snd->td_end;
	}

	maxackwin = snd->td_maxwin > 66000 ? snd->td_maxwin : 66000;
	/* II: the segment ends no more than R's max window before S's end. */
	seq_low_ok = rcv->td_maxwin == 0 || seq_after(end, snd->td_end - rcv->td_maxwin - 1);
	/* IV: the ACK is not older than the largest window allows. */
	ack_low_ok = seq_after(sack, rcv->td_end - maxackwin - 1);

	/* I: the segment starts inside what R allowed S to send. */
	if (!seq_before(seq, snd->td_maxend + 1)) {
		overshoot = end - snd->td_maxend + 1;
		/*
		 * Only I fails and by no more than R's window: some stacks
		 * overrun the window.  Pass it unaccounted but remember the
		 * data so a later ACK of it does not fail III.
		 */
		if (rcv->td_maxwin && seq_low_ok && ack_low_ok && overshoot <= rcv->td_maxwin &&
		    seq_before(sack, rcv->td_end + 1)) {
			snd->td_end = end;
			snd->flags |= CT_TCPF_DATA_UNACKNOWLEDGED;
			return tcp_win_fail(t, snd, TCP_WIN_IGNORE);
		}
		*reason = CT_TCP_INV_SEQ_OVER;
		return tcp_win_fail(t, snd, TCP_WIN_INVALID);
	}
	/* III: it acknowledges nothing R has not sent. */
	if (!seq_before(sack, rcv->td_end + 1)) {
		*reason = CT_TCP_INV_ACK_OVER;
		return tcp_win_fail(t, snd, TCP_WIN_INVALID);
	}
	/* II and IV failures are old retransmissions / delayed ACKs: ignore. */
	if (!seq_low_ok || !ack_low_ok)
		return tcp_win_fail(t, snd, TCP_WIN_IGNORE);

	/* RFC 7323 §2.2: the window of a SYN is never scaled. */
	if (!syn)
		win <<= snd->td_scale;

	swin = win + (sack - ack);
	if (snd->td_maxwin < swin)
		snd->td_maxwin = swin;
	if (seq_after(end, snd->td_end)) {
		snd->td_end = end;
		snd->flags |= CT_TCPF_DATA_UNACKNOWLEDGED;
	}
	if (has_ack) {
		if (!(snd->flags & CT_TCPF_MAXACK_SET)) {
			snd->td_maxack = ack;
			snd->flags |= CT_TCPF_MAXACK_SET;
		} else if (seq_after(ack, snd->td_maxack)) {
			snd->td_maxack = ack;
		}
	}

	if (rcv->td_maxwin != 0 && seq_after(end, snd->td_maxend))
		rcv->td_maxwin += end - snd->td_maxend;
	if (seq_after(sack + win, rcv->td_maxend - 1)) {
		rcv->td_maxend = sack + win;
		if (win == 0)
			rcv->td_maxend++;
	}
	if (ack == rcv->td_end)
		rcv->flags &= ~CT_TCPF_DATA_UNACKNOWLEDGED;

	if (g->cls == CT_TCPC_ACK)
		tcp_note_retrans(s, dir, seq, ack, end, g->win);
	return TCP_WIN_ACCEPT;
}

/* The kernel's nf_conntrack_tcp_established(): ES and ASSURED. */
static bool tcp_established(const struct ct_conn *c)
{
	return c->ps.tcp.state == sES && (c->status & CT_S_ASSURED);
}

static bool tcp_can_early_drop(const struct ct_conn *c)
{
	switch (c->ps.tcp.state) {
	case CT_TCP_FIN_WAIT:
	case CT_TCP_CLOSE_WAIT:
	case CT_TCP_LAST_ACK:
	case CT_TCP_TIME_WAIT:
	case CT_TCP_CLOSE:
		return true;
	default:
		return false;
	}
}

/*
 * Remember a packet we let through untouched (IG), so that the answer to
 * it can resynchronise us (spec §5.5).
 */
static void tcp_note_ignored(struct ct_tcp *s, uint8_t dir, const struct tcp_seg *g,
			     uint8_t old_state)
{
	s->last_index = g->cls;
	s->last_dir = dir;
	s->last_seq = g->seq;
	s->last_end = g->end;
	s->last_win = g->win;

	if (g->cls == CT_TCPC_SYN && dir == CT_DIR_ORIGINAL) {
		struct ct_tcp_dir opts = {0};

		tcp_parse_options(g, &opts);
		s->last_flags = opts.flags & (CT_TCPF_WINDOW_SCALE | CT_TCPF_SACK_PERM);
		s->last_wscale = (opts.flags & CT_TCPF_WINDOW_SCALE) ? opts.td_scale : 0;
		/*
		 * An RFC 5961 peer answers a SYN in LAST_ACK with a challenge
		 * ACK, which must not be taken for the final ACK.
		 */
		if (old_state == sLA)
			s->last_flags |= CT_TCPF_EXP_CHALLENGE_ACK;
	}
	/* A reply ACK to our SYN may be a challenge ACK (RFC 5961 §4). */
	if (old_state == sSS && g->cls == CT_TCPC_ACK && dir == CT_DIR_REPLY)
		s->last_ack = g->ack;
}

/*
 * A SYN-ACK acknowledging the SYN we ignored: both ends are in sync and we
 * are not.  Rebuild the SYN side from the recorded values and restart the
 * handshake at SS->SR (spec §5.5 resync).
 */
static bool tcp_try_resync(struct ct_tcp *s, uint8_t dir, const struct tcp_seg *g)
{
	struct ct_tcp_dir *o;

	if (g->cls != CT_TCPC_SYNACK || s->last_index != CT_TCPC_SYN || s->last_dir == dir ||
	    g->ack != s->last_end)
		return false;
	o = &s->seen[s->last_dir];
	o->td_end = s->last_end;
	o->td_maxend = s->last_end;
	o->td_maxwin = s->last_win ? s->last_win : 1;
	o->td_scale = s->last_wscale;
	s->last_flags &= ~CT_TCPF_EXP_CHALLENGE_ACK;
	o->flags = s->last_flags;
	tcp_dir_reset(&s->seen[dir]);
	return true;
}

/* Outcome of the RST sequence rules (spec §5.5 "RST packets"). */
enum tcp_rst_action {
	TCP_RST_CHECK,	    /* go through the window check */
	TCP_RST_SKIP_CHECK, /* accept without the window check */
	TCP_RST_INVALID,
};

static enum tcp_rst_action tcp_rst_rules(const struct ct_table *t, const struct ct_conn *c,
					 uint8_t dir, const struct tcp_seg *g, uint8_t *new_state)
{
	const struct ct_tcp *s = &c->ps.tcp;
	const struct ct_tcp_dir *peer = &s->seen[!dir];
	uint32_t seq = g->seq;

	/*
	 * Closing: the tuple may already be reused and the recorded data is
	 * stale; GC might drop the entry anyway.  No checks.
	 */
	if (tcp_can_early_drop(c))
		return TCP_RST_SKIP_CHECK;

	/* The peer's highest ACK is meaningless after a SYN we let through. */
	if ((peer->flags & CT_TCPF_MAXACK_SET) && s->last_index != CT_TCPC_SYN) {
		/* Most likely the answer to a SYN we let through. */
		if (seq == 0 && !tcp_established(c))
			return TCP_RST_CHECK;
		/* RFC 5961 §3.2: a RST below the receive window is bogus. */
		if (seq_before(seq, peer->td_maxack) && !t->set.tcp_ignore_invalid_rst)
			return TCP_RST_INVALID;
		if (!tcp_established(c) || seq == peer->td_maxack)
			return TCP_RST_CHECK;
		/* An RST train: data (ACK) then RST at its end. */
		if (s->last_index == CT_TCPC_ACK && s->last_dir == dir && seq == s->last_end)
			return TCP_RST_CHECK;
		/*
		 * In window but not exact: keep ESTABLISHED, the peer will
		 * send a challenge ACK (RFC 5961 §3.2).
		 */
		*new_state = s->state;
	}
	/*
	 * The answer to a SYN or ACK we ignored (that SYN was in window then,
	 * or we hold a half-open entry): it may acknowledge data we never saw,
	 * so skip the window check.
	 *
	 * For the SYN case 6.18 also wants the RST to come from the other
	 * side: a SYN is answered by its peer.  Measured [kdiff]: after an
	 * in-window (re-initialising or simultaneous-open) SYN, a RST from
	 * the SYN's own side whose ack happens to equal the recorded end
	 * (stale, from an earlier ignored packet; or 0 == 0 when nothing was
	 * ever recorded) goes through the window check; the same RST from
	 * the peer skips it.  The ACK case has no such condition: a RST from
	 * the ignored ACK's own side with ack == its end still skips.
	 */
	if ((((c->status & CT_S_SEEN_REPLY) && s->last_index == CT_TCPC_SYN &&
	      s->last_dir != dir) ||
	     (!(c->status & CT_S_ASSURED) && s->last_index == CT_TCPC_ACK)) &&
	    g->ack == s->last_end)
		return TCP_RST_SKIP_CHECK;
	/* The answer to a challenge ACK we let through in SS. */
	if (s->state == sSS && s->last_index == CT_TCPC_ACK && s->last_dir == CT_DIR_REPLY &&
	    seq == s->last_ack)
		return TCP_RST_SKIP_CHECK;
	return TCP_RST_CHECK;
}

/*
 * An INVALID FIN or RST on an ASSURED entry answering a FIN/RST from the
 * other side: the two ends disagree with us and the connection is likely
 * dead.  Lower the expiry to the UNACK timeout instead of keeping it
 * ESTABLISHED for days (kernel nf_tcp_handle_invalid).
 */
static void tcp_handle_invalid(struct ct_table *t, struct ct_conn *c, uint8_t dir,
			       const struct tcp_seg *g, uint64_t now)
{
	struct ct_tcp *s = &c->ps.tcp;
	uint64_t left, unack;

	if (!(c->status & CT_S_ASSURED) || (c->status & CT_S_FIXED_TIMEOUT))
		return;
	if (g->cls != CT_TCPC_RST && g->cls != CT_TCPC_FIN)
		return;
	if (s->last_dir != dir && (s->last_index == CT_TCPC_FIN || s->last_index == CT_TCPC_RST)) {
		left = ct_timeout_left_ns(c, now);
		if (left < 120 * CT_SEC)
			return;
		unack = (uint64_t)t->set.tcp_timeouts[CT_TCP_TIMEOUT_UNACK] * CT_SEC;
		if (left > unack)
			ct_set_timeout_ns(t, c, unack, now);
	} else {
		s->last_index = g->cls;
		s->last_dir = dir;
	}
}

/* Timeout after an accepted in-window packet (spec §5.7 rules 1-5). */
static uint32_t tcp_pick_timeout(const struct ct_table *t, const struct ct_tcp *s,
				 uint8_t new_state, uint8_t cls)
{
	const uint32_t *to = t->set.tcp_timeouts;
	uint32_t retrans = to[CT_TCP_TIMEOUT_RETRANS], unack = to[CT_TCP_TIMEOUT_UNACK];

	if (s->retrans >= t->set.tcp_max_retrans && to[new_state] > retrans)
		return retrans;
	if (cls == CT_TCPC_RST) {
		/*
		 * [Δ] 6.18: any RST uses CLOSE.  The 6.12 source capped a RST
		 * that keeps ESTABLISHED at UNACK instead (spec §13).
		 */
		if (t->set.compat_rst_unack && new_state == sES)
			return to[sES] > unack ? unack : to[sES];
		return to[sCL];
	}
	if (((s->seen[0].flags | s->seen[1].flags) & CT_TCPF_DATA_UNACKNOWLEDGED) &&
	    to[new_state] > unack)
		return unack;
	if (s->last_win == 0 && to[new_state] > retrans)
		return retrans;
	return to[new_state];
}

static enum ct_verdict tcp_invalid(struct ct_pkt *p, uint8_t reason)
{
	p->invalid_reason = reason;
	return CT_V_INVALID;
}

/*
 * Notes 1, 3 and 5 of spec §5.4 and the IG handling.  Returns true when the
 * packet must continue to the window check with *old_state / *new_state
 * possibly changed; false when *verdict is final.
 */
static bool tcp_special_cells(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
			      const struct tcp_seg *g, uint8_t *old_state, uint8_t *new_state,
			      bool *skip_window, enum ct_verdict *verdict, uint64_t now)
{
	struct ct_tcp *s = &c->ps.tcp;
	uint8_t dir = p->dir;
	enum tcp_rst_action ra;

	*verdict = CT_V_ACCEPT;
	switch (*new_state) {
	case sSS:
		if (*old_state < sTW)
			return true;
		/*
		 * Reopen (note 1): RFC 1122 §4.2.2.13 lets a SYN end
		 * TIME-WAIT.  Only if a FIN closed the old connection or our
		 * own RST did; otherwise treat it as IG.
		 */
		if (((s->seen[dir].flags | s->seen[!dir].flags) & CT_TCPF_CLOSE_INIT) ||
		    (s->last_dir == dir && s->last_index == CT_TCPC_RST)) {
			ct_kill(t, c, now);
			*verdict = CT_V_REPEAT;
			return false;
		}
		/* fall through */
	case sIG:
		if (tcp_try_resync(s, dir, g)) {
			*old_state = sSS;
			*new_state = sSR;
			return true;
		}
		tcp_note_ignored(s, dir, g, *old_state);
		return false;
	case sIV:
		*verdict = tcp_invalid(p, CT_TCP_INV_STATE);
		return false;
	case sTW:
		/* Note 3: the challenge ACK to a SYN we saw in LAST_ACK. */
		if (*old_state == sLA && g->cls == CT_TCPC_ACK && s->last_dir != dir &&
		    s->last_index == CT_TCPC_SYN && (s->last_flags & CT_TCPF_EXP_CHALLENGE_ACK)) {
			s->last_flags &= ~CT_TCPF_EXP_CHALLENGE_ACK;
			return false;
		}
		return true;
	case sS2:
		/* The table alone cannot tell a simultaneous open later. */
		s->last_flags |= CT_TCPF_SIMULTANEOUS_OPEN;
		return true;
	case sSR:
		/* Note 5: the third packet of a simultaneous open. */
		if (dir == CT_DIR_REPLY && g->cls == CT_TCPC_ACK &&
		    (s->last_flags & CT_TCPF_SIMULTANEOUS_OPEN))
			*new_state = sES;
		return true;
	case sCL:
		if (g->cls != CT_TCPC_RST)
			return true;
		ra = tcp_rst_rules(t, c, dir, g, new_state);
		if (ra == TCP_RST_INVALID) {
			*verdict = tcp_invalid(p, CT_TCP_INV_RST);
			return false;
		}
		*skip_window = ra == TCP_RST_SKIP_CHECK;
		return true;
	default:
		return true;
	}
}

static enum ct_verdict tcp_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				  enum ct_hook hook, uint64_t now)
{
	struct ct_tcp *s = &c->ps.tcp;
	uint8_t dir = p->dir;
	uint8_t reason = 0, old_state, new_state;
	bool skip_window = false;
	enum ct_verdict verdict;
	struct tcp_seg g;
	uint32_t timeout;

	reason = tcp_sanity(t, p, hook, &g);
	if (reason)
		return tcp_invalid(p, reason);
	if (p->ct_new) {
		reason = tcp_new(t, s, &g);
		if (reason)
			return tcp_invalid(p, reason);
	}

	old_state = s->state;
	/* dir and class are in range; the state may come from a control plane. */
	new_state = old_state < CT_TCP_MAX ? tcp_next[dir][g.cls][old_state] : sIV;
	if (!tcp_special_cells(t, c, p, &g, &old_state, &new_state, &skip_window, &verdict, now))
		return verdict;

	if (!skip_window) {
		switch (tcp_window(t, s, dir, &g, &reason)) {
		case TCP_WIN_IGNORE:
			return CT_V_ACCEPT;
		case TCP_WIN_INVALID:
			tcp_handle_invalid(t, c, dir, &g, now);
			return tcp_invalid(p, reason);
		case TCP_WIN_ACCEPT:
			break;
		}
	}

	/* In-window from here on. */
	s->last_index = g.cls;
	s->last_dir = dir;
	s->state = new_state;
	if (old_state != new_state && new_state == sFW)
		s->seen[dir].flags |= CT_TCPF_CLOSE_INIT;
	timeout = tcp_pick_timeout(t, s, new_state, g.cls);
	if (old_state != new_state)
		ct_event_mark(c, CT_EV_PROTOINFO);

	if (!(c->status & CT_S_SEEN_REPLY)) {
		/*
		 * Note 4: a RST as the only answer means there is no
		 * connection; drop the entry now rather than wait.
		 */
		if (g.flags & CT_TH_RST) {
			ct_acct(t, c, p);
			ct_kill(t, c, now);
			return CT_V_ACCEPT;
		}
		/*
		 * A SYN in SS must not refresh: a client or NAT reusing the
		 * port could otherwise keep the entry (and its NAT binding)
		 * alive for ever.
		 */
		if (g.cls == CT_TCPC_SYN && old_state == sSS)
			return CT_V_ACCEPT;
		/* Pickup without a reply: no five-day ESTABLISHED timeout. */
		if (new_state == sES && timeout > t->set.tcp_timeouts[CT_TCP_TIMEOUT_UNACK])
			timeout = t->set.tcp_timeouts[CT_TCP_TIMEOUT_UNACK];
	} else if (!(c->status & CT_S_ASSURED) && (old_state == sSR || old_state == sES) &&
		   new_state == sES) {
		/* Handshake completed, or a picked-up flow answered (§5.6). */
		ct_status_set(c, CT_S_ASSURED);
	}
	ct_refresh_acct(t, c, p, timeout, now);
	return CT_V_ACCEPT;
}

/* Reply tuple: swap addresses and ports (spec §1.3). */
static bool tcp_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	ct_tuple_invert_ports(orig, reply);
	return true;
}

const struct ct_l4proto ct_l4proto_tcp = {
    .proto = 6,
    .allow_clash = false,
    .error = NULL,
    .invert = tcp_invert,
    .packet = tcp_packet,
    .can_early_drop = tcp_can_early_drop,
};
