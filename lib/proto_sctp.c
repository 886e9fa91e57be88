/* SPDX-License-Identifier: MIT */
/*
 * SCTP tracker (spec §6.6; RFC 9260, formerly RFC 4960 / RFC 2960).
 *
 * The association is followed chunk by chunk through a state table
 * indexed [direction][chunk class][state].  Verification tags are learnt
 * from INIT / INIT ACK and checked per RFC 9260 §8.5; the CRC32c is
 * verified at prerouting.  States are those of the association as seen
 * from the middle, not of either endpoint.
 *
 * Per-entry state (struct ct_sctp):
 *   state      enum ct_sctp_state
 *   vtag[d]    tag that packets travelling in direction d must carry
 *              (host byte order)
 *   flags[d]   SCTP_F_INIT: an INIT was seen in direction d (cleared by
 *              COOKIE ACK); flags[0] also holds SCTP_F_HB_VTAG_FAILED
 *   last_dir   direction of the HEARTBEAT that failed the tag check
 */
#include <stdbool.h>
#include <stdint.h>

#include "ct_priv.h"
#include "proto_l4.h"

#define SCTP_COMMON_HDR_LEN 12
#define SCTP_CHUNK_HDR_LEN  4
#define SCTP_INIT_HDR_LEN   16	 /* initiate tag, a_rwnd, streams, initial TSN */
#define SCTP_CHUNK_FLAG_T   0x01 /* RFC 9260 §3.3.7: tag reflected */

enum sctp_flag {
	SCTP_F_INIT = 0x01,
	SCTP_F_HB_VTAG_FAILED = 0x02,
};

/* Chunk types (RFC 9260 §3.2). */
enum sctp_cid {
	CID_DATA = 0,
	CID_INIT = 1,
	CID_INIT_ACK = 2,
	CID_SACK = 3,
	CID_HEARTBEAT = 4,
	CID_HEARTBEAT_ACK = 5,
	CID_ABORT = 6,
	CID_SHUTDOWN = 7,
	CID_SHUTDOWN_ACK = 8,
	CID_ERROR = 9,
	CID_COOKIE_ECHO = 10,
	CID_COOKIE_ACK = 11,
	CID_SHUTDOWN_COMPLETE = 14,
};

/* Chunk classes: the rows of the state table. */
enum sctp_class {
	SC_INIT,
	SC_INIT_ACK,
	SC_ABORT,
	SC_SHUTDOWN,
	SC_SHUTDOWN_ACK,
	SC_ERROR,
	SC_COOKIE_ECHO,
	SC_COOKIE_ACK,
	SC_SHUTDOWN_COMPLETE,
	SC_HEARTBEAT,
	SC_HEARTBEAT_ACK,
	SC_MAX,
	SC_NONE = SC_MAX, /* DATA, SACK, ...: the state does not change */
};

#define NO CT_SCTP_NONE
#define CL CT_SCTP_CLOSED
#define CW CT_SCTP_COOKIE_WAIT
#define CE CT_SCTP_COOKIE_ECHOED
#define ES CT_SCTP_ESTABLISHED
#define SS CT_SCTP_SHUTDOWN_SENT
#define SR CT_SCTP_SHUTDOWN_RECD
#define SA CT_SCTP_SHUTDOWN_ACK_SENT
#define HS CT_SCTP_HEARTBEAT_SENT
#define IV CT_SCTP_MAX /* invalid */

/*
 * new state = sctp_next[dir][class][old state].  The facts are the Linux
 * conntrack table (spec §6.6); the layout is ours: one row per chunk class,
 * one column per current state, with a note on what each row does.
 */
/* clang-format off */
static const uint8_t sctp_next[2][SC_MAX][CT_SCTP_MAX] = {
	[CT_DIR_ORIGINAL] = {
		/*                        NO  CL  CW  CE  ES  SS  SR  SA  HS */
		[SC_INIT] =             { CL, CL, CW, CE, ES, CL, CL, SA, CW },
		/* INIT opens (or restarts from the shutdown states). */
		[SC_INIT_ACK] =         { CL, CL, CW, CE, ES, SS, SR, SA, CL },
		/* An INIT ACK from the initiator's side changes nothing. */
		[SC_ABORT] =            { CL, CL, CL, CL, CL, CL, CL, CL, CL },
		/* ABORT always closes. */
		[SC_SHUTDOWN] =         { CL, CL, CW, CE, SS, SS, SR, SA, CL },
		/* SHUTDOWN of an established association: SHUTDOWN_SENT. */
		[SC_SHUTDOWN_ACK] =     { SA, CL, CW, CE, ES, SA, SA, SA, SA },
		/* SHUTDOWN ACK answers a SHUTDOWN from the other side. */
		[SC_ERROR] =            { CL, CL, CW, CE, ES, SS, SR, SA, CL },
		/* ERROR: no stale-cookie handling in this direction. */
		[SC_COOKIE_ECHO] =      { CL, CL, CE, CE, ES, SS, SR, SA, CL },
		/* COOKIE ECHO after the INIT ACK: COOKIE_ECHOED. */
		[SC_COOKIE_ACK] =       { CL, CL, CW, ES, ES, SS, SR, SA, CL },
		/* COOKIE ACK is not expected from the initiator's side. */
		[SC_SHUTDOWN_COMPLETE] = { CL, CL, CW, CE, ES, SS, SR, CL, CL },
		/* SHUTDOWN COMPLETE ends SHUTDOWN_ACK_SENT. */
		[SC_HEARTBEAT] =        { HS, CL, CW, CE, ES, SS, SR, SA, HS },
		/* A HEARTBEAT may start tracking a secondary path. */
		[SC_HEARTBEAT_ACK] =    { CL, CL, CW, CE, ES, SS, SR, SA, HS },
		/* A HEARTBEAT ACK in the original direction changes nothing. */
	},
	[CT_DIR_REPLY] = {
		/*                        NO  CL  CW  CE  ES  SS  SR  SA  HS */
		[SC_INIT] =             { IV, CL, CW, CE, ES, SS, SR, SA, IV },
		/* A reply-side INIT is followed but never moves the state. */
		[SC_INIT_ACK] =         { IV, CW, CW, CE, ES, SS, SR, SA, IV },
		/* INIT ACK answers the INIT: COOKIE_WAIT. */
		[SC_ABORT] =            { IV, CL, CL, CL, CL, CL, CL, CL, IV },
		/* ABORT closes. */
		[SC_SHUTDOWN] =         { IV, CL, CW, CE, SR, SS, SR, SA, IV },
		/* SHUTDOWN from the responder: SHUTDOWN_RECD. */
		[SC_SHUTDOWN_ACK] =     { IV, CL, CW, CE, ES, SA, SA, SA, IV },
		/* SHUTDOWN ACK answers our SHUTDOWN: SHUTDOWN_ACK_SENT. */
		[SC_ERROR] =            { IV, CL, CW, CL, ES, SS, SR, SA, IV },
		/* ERROR in COOKIE_ECHOED (stale cookie): back to CLOSED. */
		[SC_COOKIE_ECHO] =      { IV, CL, CE, CE, ES, SS, SR, SA, IV },
		/* COOKIE ECHO is not expected from the responder's side. */
		[SC_COOKIE_ACK] =       { IV, CL, CW, ES, ES, SS, SR, SA, IV },
		/* COOKIE ACK completes the handshake: ESTABLISHED. */
		[SC_SHUTDOWN_COMPLETE] = { IV, CL, CW, CE, ES, SS, SR, CL, IV },
		/* SHUTDOWN COMPLETE ends SHUTDOWN_ACK_SENT. */
		[SC_HEARTBEAT] =        { IV, CL, CW, CE, ES, SS, SR, SA, HS },
		/* HEARTBEAT changes nothing. */
		[SC_HEARTBEAT_ACK] =    { IV, CL, CW, CE, ES, SS, SR, SA, ES },
		/* A HEARTBEAT ACK confirms a secondary path: ESTABLISHED. */
	},
};
/* clang-format on */

#undef NO
#undef CL
#undef CW
#undef CE
#undef ES
#undef SS
#undef SR
#undef SA
#undef HS
#undef IV

static enum sctp_class sctp_class(uint8_t type)
{
	switch (type) {
	case CID_INIT:
		return SC_INIT;
	case CID_INIT_ACK:
		return SC_INIT_ACK;
	case CID_ABORT:
		return SC_ABORT;
	case CID_SHUTDOWN:
		return SC_SHUTDOWN;
	case CID_SHUTDOWN_ACK:
		return SC_SHUTDOWN_ACK;
	case CID_ERROR:
		return SC_ERROR;
	case CID_COOKIE_ECHO:
		return SC_COOKIE_ECHO;
	case CID_COOKIE_ACK:
		return SC_COOKIE_ACK;
	case CID_SHUTDOWN_COMPLETE:
		return SC_SHUTDOWN_COMPLETE;
	case CID_HEARTBEAT:
		return SC_HEARTBEAT;
	case CID_HEARTBEAT_ACK:
		return SC_HEARTBEAT_ACK;
	default:
		return SC_NONE;
	}
}

static uint8_t sctp_new_state(enum ct_dir dir, uint8_t cur, uint8_t type)
{
	enum sctp_class cls = sctp_class(type);

	if (cls == SC_NONE || cur >= CT_SCTP_MAX)
		return cur;
	return sctp_next[dir][cls][cur];
}

/* ---- chunk walk ----------------------------------------------------------- */

/*
 * Iteration over the chunks of a packet: start after the common header,
 * stop at the end of the datagram or when a chunk header no longer fits.
 * Lengths are rounded up to 4 (RFC 9260 §3.2, padding).
 */
struct sctp_walk {
	const uint8_t *d;
	uint32_t off;
	uint32_t end;
	uint32_t count;
};

static void walk_init(struct sctp_walk *w, const struct ct_pkt *p)
{
	w->d = p->data;
	w->off = p->l4_off + SCTP_COMMON_HDR_LEN;
	w->end = ct_l4_end(p);
	w->count = 0;
}

/* The current chunk header, or NULL at the end. */
static const uint8_t *walk_chunk(const struct sctp_walk *w)
{
	if (w->off >= w->end || w->end - w->off < SCTP_CHUNK_HDR_LEN)
		return NULL;
	return w->d + w->off;
}

static void walk_next(struct sctp_walk *w, const uint8_t *ch)
{
	w->off += ((uint32_t)ct_rd16(ch + 2) + 3) & ~3u;
	w->count++;
}

/* Bitmap of the chunk types present (types 0..255). */
struct sctp_map {
	uint64_t bits[4];
};

static bool map_has(const struct sctp_map *m, uint8_t type)
{
	return m->bits[type >> 6] & (1ull << (type & 63));
}

/*
 * Structural checks: at least one chunk; no zero-length chunk (the walk
 * would not advance); COOKIE ECHO / COOKIE ACK only first; INIT, INIT ACK
 * and SHUTDOWN COMPLETE alone (RFC 9260 §6.10 forbids bundling them).
 */
static bool sctp_basic_ok(const struct ct_pkt *p, struct sctp_map *map)
{
	struct sctp_walk w;
	const uint8_t *ch;
	bool lone = false;

	walk_init(&w, p);
	while ((ch = walk_chunk(&w)) != NULL) {
		uint8_t type = ch[0];

		if (type == CID_INIT || type == CID_INIT_ACK || type == CID_SHUTDOWN_COMPLETE)
			lone = true;
		if ((type == CID_COOKIE_ACK || type == CID_COOKIE_ECHO || lone) && w.count != 0)
			return false;
		if (ct_rd16(ch + 2) == 0)
			return false;
		map->bits[type >> 6] |= 1ull << (type & 63);
		walk_next(&w, ch);
	}
	return w.count != 0;
}

/* Initiate Tag of an INIT / INIT ACK chunk, if the chunk holds it. */
static bool init_tag(const struct sctp_walk *w, uint32_t *tag)
{
	uint32_t off = w->off + SCTP_CHUNK_HDR_LEN;

	if (off > w->end || w->end - off < SCTP_INIT_HDR_LEN)
		return false;
	*tag = ct_rd32(w->d + off);
	return true;
}

/*
 * First packet of an association (out of the blue, RFC 9260 §8.4): every
 * chunk must be able to open an entry, and the tags are seeded from it.
 */
static bool sctp_new(struct ct_conn *c, const struct ct_pkt *p, uint32_t vtag)
{
	struct ct_sctp *s = &c->ps.sctp;
	struct sctp_walk w;
	const uint8_t *ch;

	*s = (struct ct_sctp){0};
	walk_init(&w, p);
	while ((ch = walk_chunk(&w)) != NULL) {
		uint8_t ns = sctp_new_state(CT_DIR_ORIGINAL, CT_SCTP_NONE, ch[0]);
		uint32_t tag;

		if (ns == CT_SCTP_NONE || ns == CT_SCTP_MAX)
			return false;
		if (ch[0] == CID_INIT) {
			/* §8.5.1 (A): an INIT carries tag 0. */
			if (vtag != 0 || !init_tag(&w, &tag))
				return false;
			/* Replies must carry the tag the initiator chose. */
			s->vtag[CT_DIR_REPLY] = tag;
		} else if (ch[0] == CID_HEARTBEAT) {
			/* A secondary path: learn the sender's tag. */
			s->vtag[CT_DIR_ORIGINAL] = vtag;
		} else {
			/* §8.4 (5), (8): the answer to an OOTB packet reflects its tag. */
			s->vtag[CT_DIR_REPLY] = vtag;
		}
		s->state = CT_SCTP_NONE;
		walk_next(&w, ch);
	}
	return true;
}

/*
 * Per-chunk tag rules for HEARTBEAT and HEARTBEAT ACK (a path may be
 * probed before the handshake was seen, or after the peer restarted).
 * Returns 1 to process the chunk, 0 to skip it (packet accepted without
 * refresh), -1 for INVALID.
 */
static int sctp_heartbeat_tag(struct ct_sctp *s, uint8_t type, enum ct_dir dir, uint32_t vtag,
			      bool has_data, bool *ignore)
{
	if (s->vtag[dir] == 0) {
		s->vtag[dir] = vtag;
		return 1;
	}
	if (vtag == s->vtag[dir]) {
		s->flags[0] &= (uint8_t)~SCTP_F_HB_VTAG_FAILED;
		return 1;
	}
	if (has_data || *ignore)
		return -1;
	if (type == CID_HEARTBEAT) {
		/* Maybe a restarted peer: remember, let it through unrefreshed. */
		s->flags[0] |= SCTP_F_HB_VTAG_FAILED;
		s->last_dir = (uint8_t)dir;
		*ignore = true;
		return 0;
	}
	/* An ACK from the other side of a failed HEARTBEAT adopts the new tags. */
	if (!(s->flags[0] & SCTP_F_HB_VTAG_FAILED) || s->last_dir == dir)
		return -1;
	s->flags[0] &= (uint8_t)~SCTP_F_HB_VTAG_FAILED;
	s->vtag[dir] = vtag;
	s->vtag[!dir] = 0;
	return 1;
}

/* §8.5.1 (B), (C): ABORT and SHUTDOWN COMPLETE may reflect the peer's tag (T bit). */
static bool sctp_reflect_ok(const struct ct_sctp *s, uint8_t flags, enum ct_dir dir, uint32_t vtag)
{
	if (flags & SCTP_CHUNK_FLAG_T)
		return vtag == s->vtag[!dir];
	return vtag == s->vtag[dir];
}

/* INIT ACK: the tag must agree with what an INIT announced, unless this is a collision. */
static bool sctp_init_ack_ok(const struct ct_sctp *s, enum ct_dir dir, uint32_t tag)
{
	uint32_t known = s->vtag[!dir];
	bool init_here = s->flags[dir] & SCTP_F_INIT;
	bool init_there = s->flags[!dir] & SCTP_F_INIT;

	if (!init_there && known && known != tag)
		return false;
	if (init_here && init_there && known != tag)
		return false;
	return true;
}

/* ---- ops ----------------------------------------------------------------- */

static enum ct_verdict sctp_packet(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				   enum ct_hook hook, uint64_t now)
{
	enum ct_dir dir = p->dir ? CT_DIR_REPLY : CT_DIR_ORIGINAL;
	struct ct_sctp *s = &c->ps.sctp;
	struct sctp_map map = {{0}};
	uint8_t old_state, new_state;
	struct sctp_walk w;
	const uint8_t *ch;
	bool ignore = false;
	uint32_t vtag;

	if (ct_l4_end(p) - p->l4_off < SCTP_COMMON_HDR_LEN)
		return CT_V_INVALID; /* short packet */
	if (hook == CT_HOOK_PREROUTING && t->set.checksum && ct_l4_complete(p) &&
	    !ct_pkt_l4_csum_ok(p))
		return CT_V_INVALID; /* bad CRC32c (RFC 9260 appendix A) */
	vtag = ct_rd32(p->data + p->l4_off + 4);
	if (!sctp_basic_ok(p, &map))
		return CT_V_INVALID;

	if (!ct_conn_confirmed(c)) {
		/* §8.4: out-of-the-blue ABORT, SHUTDOWN COMPLETE, COOKIE ACK are discarded. */
		if (map_has(&map, CID_ABORT) || map_has(&map, CID_SHUTDOWN_COMPLETE) ||
		    map_has(&map, CID_COOKIE_ACK))
			return CT_V_INVALID;
		if (!sctp_new(c, p, vtag))
			return CT_V_INVALID;
	}

	/* §8.5: the tag must match, except for the chunks with their own rules. */
	if (!map_has(&map, CID_INIT) && !map_has(&map, CID_SHUTDOWN_COMPLETE) &&
	    !map_has(&map, CID_COOKIE_ECHO) && !map_has(&map, CID_ABORT) &&
	    !map_has(&map, CID_SHUTDOWN_ACK) && !map_has(&map, CID_HEARTBEAT) &&
	    !map_has(&map, CID_HEARTBEAT_ACK) && vtag != s->vtag[dir])
		return CT_V_INVALID;

	old_state = new_state = CT_SCTP_NONE;
	walk_init(&w, p);
	for (; (ch = walk_chunk(&w)) != NULL; walk_next(&w, ch)) {
		uint8_t type = ch[0];
		uint32_t tag;

		switch (type) {
		case CID_INIT:
			if (vtag != 0) /* §8.5.1 (A) */
				return CT_V_INVALID;
			break;
		case CID_ABORT:
		case CID_SHUTDOWN_COMPLETE:
			if (!sctp_reflect_ok(s, ch[1], dir, vtag))
				return CT_V_INVALID;
			break;
		case CID_COOKIE_ECHO:
			/* §8.5.1 (D): the tag from the INIT ACK. */
			if (vtag != s->vtag[dir])
				return CT_V_INVALID;
			break;
		case CID_COOKIE_ACK:
			/* Handshake done: a later INIT is a restart, not a collision. */
			s->flags[0] &= (uint8_t)~SCTP_F_INIT;
			s->flags[1] &= (uint8_t)~SCTP_F_INIT;
			break;
		case CID_HEARTBEAT:
		case CID_HEARTBEAT_ACK: {
			int r = sctp_heartbeat_tag(s, type, dir, vtag, map_has(&map, CID_DATA),
						   &ignore);
			if (r < 0)
				return CT_V_INVALID;
			if (r == 0)
				continue;
			break;
		}
		default:
			break;
		}

		old_state = s->state;
		new_state = sctp_new_state(dir, old_state, type);
		if (new_state == CT_SCTP_MAX)
			return CT_V_INVALID;

		if (type == CID_INIT) {
			if (!init_tag(&w, &tag))
				return CT_V_INVALID;
			if ((s->flags[dir] & SCTP_F_INIT) && (s->flags[!dir] & SCTP_F_INIT))
				s->flags[!dir] &= (uint8_t)~SCTP_F_INIT;
			s->flags[dir] |= SCTP_F_INIT;
			s->vtag[!dir] = tag;
			/*
			 * A retransmitted INIT does not refresh, so a client
			 * (or NAT) reusing the port cannot keep the entry
			 * alive forever.
			 */
			if (new_state == CT_SCTP_CLOSED && old_state == CT_SCTP_CLOSED &&
			    ct_conn_confirmed(c))
				ignore = true;
		} else if (type == CID_INIT_ACK) {
			if (!init_tag(&w, &tag) || !sctp_init_ack_ok(s, dir, tag))
				return CT_V_INVALID;
			s->vtag[!dir] = tag;
		}

		s->state = new_state;
		if (old_state != new_state) {
			ct_event_mark(c, CT_EV_PROTOINFO);
			if (new_state == CT_SCTP_ESTABLISHED)
				ct_status_set(c, CT_S_ASSURED);
		}
	}

	/* Accepted without refresh (and so without accounting). */
	if (ignore)
		return CT_V_ACCEPT;
	if (new_state == CT_SCTP_NONE)
		new_state = CT_SCTP_CLOSED; /* the kernel's timeouts[0] is CLOSED's */
	ct_refresh_acct(t, c, p, t->set.sctp_timeouts[new_state], now);
	return CT_V_ACCEPT;
}

static bool sctp_invert(const struct ct_tuple *orig, struct ct_tuple *reply)
{
	ct_tuple_invert_ports(orig, reply);
	return true;
}

/* The closing states may be early-dropped even when ASSURED (spec §7.2). */
static bool sctp_can_early_drop(const struct ct_conn *c)
{
	switch (c->ps.sctp.state) {
	case CT_SCTP_SHUTDOWN_SENT:
	case CT_SCTP_SHUTDOWN_RECD:
	case CT_SCTP_SHUTDOWN_ACK_SENT:
		return true;
	default:
		return false;
	}
}

const struct ct_l4proto ct_l4proto_sctp = {
    .proto = 132,
    .allow_clash = false,
    .error = NULL,
    .invert = sctp_invert,
    .packet = sctp_packet,
    .can_early_drop = sctp_can_early_drop,
};
