/* SPDX-License-Identifier: MIT */
/*
 * conntrackd 1.4.7's sync messages: header, control header, conntrack and
 * expectation attribute lists.  See include/ctrack/sync.h for the layout.
 *
 * The decoder applies every check conntrackd's receiver applies (version,
 * length, type; per attribute: nta_len >= 4, nta_len <= what is left,
 * attr < max, the exact size of fixed-size attributes, the maximum of the
 * variable ones) and, since what it accepts goes into a connection table,
 * some more: the padded attributes must tile the message exactly, no
 * attribute may repeat, strings must be terminated, and the attributes must
 * describe an entry (addresses, protocol, the ports its protocol needs).
 * No allocation, no I/O.
 */
#include <errno.h>
#include <string.h>

#include "ctrack/sync.h"

#define AF_INET_  2
#define AF_INET6_ 10

static inline size_t align4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The u16s conntrackd byte-swaps on little-endian hosts (see sync.h). */
static inline uint16_t get16le(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[1] << 8 | p[0]);
}

static inline void put16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * Payload sizes.  fixed != 0: the attribute must be exactly that long;
 * otherwise max is the largest nta_len (header included) accepted.
 */
struct attr_rule {
	uint16_t fixed;
	uint16_t max;
};

static const struct attr_rule ct_rules[SYNC_A_MAX_] = {
    [SYNC_A_IPV4] = {8, 0},
    [SYNC_A_IPV6] = {32, 0},
    [SYNC_A_L4PROTO] = {1, 0},
    [SYNC_A_PORT] = {4, 0},
    [SYNC_A_TCP_STATE] = {1, 0},
    [SYNC_A_STATUS] = {4, 0},
    [SYNC_A_TIMEOUT] = {4, 0},
    [SYNC_A_MARK] = {4, 0},
    [SYNC_A_MASTER_IPV4] = {8, 0},
    [SYNC_A_MASTER_IPV6] = {32, 0},
    [SYNC_A_MASTER_L4PROTO] = {1, 0},
    [SYNC_A_MASTER_PORT] = {4, 0},
    [SYNC_A_SNAT_IPV4] = {4, 0},
    [SYNC_A_DNAT_IPV4] = {4, 0},
    [SYNC_A_SPAT_PORT] = {2, 0},
    [SYNC_A_DPAT_PORT] = {2, 0},
    [SYNC_A_NAT_SEQ_ADJ] = {24, 0},
    [SYNC_A_SCTP_STATE] = {1, 0},
    [SYNC_A_SCTP_VTAG_ORIG] = {4, 0},
    [SYNC_A_SCTP_VTAG_REPL] = {4, 0},
    [SYNC_A_DCCP_STATE] = {1, 0},
    [SYNC_A_DCCP_ROLE] = {1, 0},
    [SYNC_A_ICMP_TYPE] = {1, 0},
    [SYNC_A_ICMP_CODE] = {1, 0},
    [SYNC_A_ICMP_ID] = {2, 0},
    [SYNC_A_TCP_WSCALE_ORIG] = {1, 0},
    [SYNC_A_TCP_WSCALE_REPL] = {1, 0},
    [SYNC_A_HELPER_NAME] = {0, 16},  /* NFCT_HELPER_NAME_MAX, header included */
    [SYNC_A_LABELS] = {0, 4 + 1024}, /* 4096 label bits */
    [SYNC_A_SNAT_IPV6] = {16, 0},
    [SYNC_A_DNAT_IPV6] = {16, 0},
    [SYNC_A_SYNPROXY] = {12, 0},
    [SYNC_A_ZONE] = {2, 0},
};

static const struct attr_rule exp_rules[SYNC_EA_MAX_] = {
    [SYNC_EA_MASTER_IPV4] = {8, 0},
    [SYNC_EA_MASTER_IPV6] = {32, 0},
    [SYNC_EA_MASTER_L4PROTO] = {1, 0},
    [SYNC_EA_MASTER_PORT] = {4, 0},
    [SYNC_EA_EXPECT_IPV4] = {8, 0},
    [SYNC_EA_EXPECT_IPV6] = {32, 0},
    [SYNC_EA_EXPECT_L4PROTO] = {1, 0},
    [SYNC_EA_EXPECT_PORT] = {4, 0},
    [SYNC_EA_MASK_IPV4] = {8, 0},
    [SYNC_EA_MASK_IPV6] = {32, 0},
    [SYNC_EA_MASK_L4PROTO] = {1, 0},
    [SYNC_EA_MASK_PORT] = {4, 0},
    [SYNC_EA_TIMEOUT] = {4, 0},
    [SYNC_EA_FLAGS] = {4, 0},
    [SYNC_EA_CLASS] = {4, 0},
    [SYNC_EA_NAT_IPV4] = {8, 0},
    [SYNC_EA_NAT_PORT] = {4, 0},
    [SYNC_EA_NAT_L4PROTO] = {1, 0},
    [SYNC_EA_NAT_DIR] = {4, 0},
    [SYNC_EA_HELPER_NAME] = {0, 16},
    [SYNC_EA_FN] = {0, 32},
};

static const char *const drop_names[SYNC_DROP_MAX_] = {
    [SYNC_DROP_SHORT] = "short",
    [SYNC_DROP_VERSION] = "bad version",
    [SYNC_DROP_LEN] = "bad length",
    [SYNC_DROP_TYPE] = "bad type",
    [SYNC_DROP_FLAGS] = "bad flags",
    [SYNC_DROP_RANGE] = "bad ack range",
    [SYNC_DROP_ATTR] = "bad attribute",
    [SYNC_DROP_SEMANTIC] = "not an entry",
    [SYNC_DROP_AUTH] = "not authenticated",
};

const char *sync_drop_name(enum sync_drop why)
{
	return (unsigned)why < SYNC_DROP_MAX_ ? drop_names[why] : "?";
}

/* ---- header ---- */

int sync_frame(const uint8_t *buf, size_t len, uint16_t *msg_len, enum sync_drop *why)
{
	uint16_t l;

	if (len < SYNC_HDR_LEN) {
		*why = SYNC_DROP_SHORT;
		return -EBADMSG;
	}
	l = get16(buf + 2);
	if (l < SYNC_HDR_LEN || l > SYNC_MSG_MAX) {
		*why = SYNC_DROP_LEN;
		return -EBADMSG;
	}
	if (l > len) {
		*why = SYNC_DROP_SHORT;
		return -EBADMSG;
	}
	*msg_len = l;
	return 0;
}

int sync_hdr_decode(const uint8_t *buf, size_t len, struct sync_hdr *h, enum sync_drop *why)
{
	if (len < SYNC_HDR_LEN)
		goto err_short;
	/* conntrackd's bitfield puts the version in the high nibble. */
	h->version = buf[0] >> 4;
	h->type = buf[0] & 0x0f;
	h->flags = buf[1];
	h->len = get16(buf + 2);
	h->seq = get32(buf + 4);
	h->from = h->to = 0;
	if (h->version != SYNC_PROTO_VERSION) {
		*why = SYNC_DROP_VERSION;
		return -EBADMSG;
	}
	if (h->len != len || h->len < SYNC_HDR_LEN || h->len > SYNC_MSG_MAX)
		goto err_len;
	if (h->type > SYNC_T_STATE_MAX && h->type != SYNC_T_CTL) {
		*why = SYNC_DROP_TYPE;
		return -EBADMSG;
	}
	if (h->type <= SYNC_T_STATE_MAX) {
		/* Data may only carry the handshake flags (conntrackd's IS_DATA). */
		if (!sync_hdr_is_data(h))
			goto err_flags;
		return 0;
	}
	/* A control message that is none of ACK/NACK/RESYNC/ALIVE/HELLO* means nothing. */
	if (!(h->flags & (SYNC_F_ACK | SYNC_F_NACK | SYNC_F_RESYNC | SYNC_F_ALIVE | SYNC_F_HELLO |
			  SYNC_F_HELLO_BACK)))
		goto err_flags;
	if (sync_hdr_is_ack_type(h)) {
		if (h->len < SYNC_ACK_HDR_LEN)
			goto err_len;
		h->from = get32(buf + 8);
		h->to = get32(buf + 12);
		/* conntrackd answers MSG_BAD to an inverted range. */
		if ((h->flags & (SYNC_F_ACK | SYNC_F_NACK)) && sync_seq_before(h->to, h->from)) {
			*why = SYNC_DROP_RANGE;
			return -EBADMSG;
		}
	}
	return 0;
err_short:
	*why = SYNC_DROP_SHORT;
	return -EBADMSG;
err_len:
	*why = SYNC_DROP_LEN;
	return -EBADMSG;
err_flags:
	*why = SYNC_DROP_FLAGS;
	return -EBADMSG;
}

/*
 * Walk the attributes after the header: calls fn for each, after the
 * length checks.  Returns 0 or -EBADMSG (attribute violation, or fn's).
 */
typedef int (*attr_fn)(void *arg, uint16_t type, const uint8_t *p, uint16_t plen);

static int walk_attrs(const uint8_t *buf, size_t len, const struct attr_rule *rules,
		      unsigned nrules, uint64_t *seen, attr_fn fn, void *arg)
{
	size_t off = SYNC_HDR_LEN;

	*seen = 0;
	while (off < len) {
		uint16_t nlen, type;
		size_t left = len - off;

		if (left < SYNC_ATTR_HDR_LEN)
			return -EBADMSG; /* trailing bytes that are not an attribute */
		nlen = get16(buf + off);
		type = get16(buf + off + 2);
		if (nlen < SYNC_ATTR_HDR_LEN || nlen > left || align4(nlen) > left)
			return -EBADMSG;
		if (type >= nrules || type >= 64)
			return -EBADMSG;
		if (rules[type].fixed && nlen != SYNC_ATTR_HDR_LEN + rules[type].fixed)
			return -EBADMSG;
		if (!rules[type].fixed && (!rules[type].max || nlen > rules[type].max))
			return -EBADMSG;
		if (*seen & (1ull << type))
			return -EBADMSG; /* a repeated attribute would be ambiguous */
		*seen |= 1ull << type;
		if (fn(arg, type, buf + off + SYNC_ATTR_HDR_LEN,
		       (uint16_t)(nlen - SYNC_ATTR_HDR_LEN)))
			return -EBADMSG;
		off += align4(nlen);
	}
	return 0;
}

static int get_str(char *dst, size_t cap, const uint8_t *p, uint16_t plen)
{
	const uint8_t *nul = plen ? memchr(p, 0, plen) : NULL;

	if (!nul || (size_t)(nul - p) >= cap)
		return -EBADMSG;
	memcpy(dst, p, (size_t)(nul - p) + 1);
	return 0;
}

static void get_v4(struct sync_addr *a, const uint8_t *p)
{
	a->l3num = AF_INET_;
	memcpy(a->src, p, 4);
	memcpy(a->dst, p + 4, 4);
}

static void get_v6(struct sync_addr *a, const uint8_t *p)
{
	a->l3num = AF_INET6_;
	memcpy(a->src, p, 16);
	memcpy(a->dst, p + 16, 16);
}

static void get_ports(struct sync_addr *a, const uint8_t *p)
{
	a->sport = get16(p);
	a->dport = get16(p + 2);
}

static int ct_attr(void *arg, uint16_t type, const uint8_t *p, uint16_t plen)
{
	struct sync_ct *c = arg;

	switch ((enum sync_attr)type) {
	case SYNC_A_IPV4:
		get_v4(&c->orig, p);
		break;
	case SYNC_A_IPV6:
		get_v6(&c->orig, p);
		break;
	case SYNC_A_L4PROTO:
		c->orig.l4proto = p[0];
		break;
	case SYNC_A_PORT:
		get_ports(&c->orig, p);
		break;
	case SYNC_A_TCP_STATE:
		c->tcp_state = p[0];
		break;
	case SYNC_A_STATUS:
		c->status = get32(p);
		break;
	case SYNC_A_TIMEOUT:
		c->timeout = get32(p);
		break;
	case SYNC_A_MARK:
		c->mark = get32(p);
		break;
	case SYNC_A_MASTER_IPV4:
		get_v4(&c->master, p);
		break;
	case SYNC_A_MASTER_IPV6:
		get_v6(&c->master, p);
		break;
	case SYNC_A_MASTER_L4PROTO:
		c->master.l4proto = p[0];
		break;
	case SYNC_A_MASTER_PORT:
		get_ports(&c->master, p);
		break;
	case SYNC_A_SNAT_IPV4:
		memcpy(c->snat_addr, p, 4);
		break;
	case SYNC_A_DNAT_IPV4:
		memcpy(c->dnat_addr, p, 4);
		break;
	case SYNC_A_SPAT_PORT:
		c->spat_port = get16le(p);
		break;
	case SYNC_A_DPAT_PORT:
		c->dpat_port = get16le(p);
		break;
	case SYNC_A_NAT_SEQ_ADJ:
		for (unsigned i = 0; i < 6; i++)
			c->nat_seq_adj[i] = get32(p + 4 * i);
		break;
	case SYNC_A_SCTP_STATE:
		c->sctp_state = p[0];
		break;
	case SYNC_A_SCTP_VTAG_ORIG:
		c->sctp_vtag_orig = get32(p);
		break;
	case SYNC_A_SCTP_VTAG_REPL:
		c->sctp_vtag_repl = get32(p);
		break;
	case SYNC_A_DCCP_STATE:
		c->dccp_state = p[0];
		break;
	case SYNC_A_DCCP_ROLE:
		c->dccp_role = p[0];
		break;
	case SYNC_A_ICMP_TYPE:
		c->icmp_type = p[0];
		break;
	case SYNC_A_ICMP_CODE:
		c->icmp_code = p[0];
		break;
	case SYNC_A_ICMP_ID:
		c->icmp_id = get16le(p);
		break;
	case SYNC_A_TCP_WSCALE_ORIG:
		c->wscale_orig = p[0];
		break;
	case SYNC_A_TCP_WSCALE_REPL:
		c->wscale_repl = p[0];
		break;
	case SYNC_A_HELPER_NAME:
		return get_str(c->helper, sizeof(c->helper), p, plen);
	case SYNC_A_LABELS:
		/* Whole words only (conntrackd ignores others; we refuse them). */
		if (plen == 0 || plen % 4)
			return -EBADMSG;
		c->nlabel_words = (uint8_t)(plen / 4 > 255 ? 255 : plen / 4);
		for (unsigned i = 0; i < plen / 4u; i++) {
			uint32_t w = get32(p + 4 * i);

			/* Bits beyond the kernel's 128 cannot be represented: refuse. */
			if (i >= 4 && w)
				return -EBADMSG;
			if (i < 4)
				c->labels[i] = w;
		}
		break;
	case SYNC_A_SNAT_IPV6:
		memcpy(c->snat_addr, p, 16);
		break;
	case SYNC_A_DNAT_IPV6:
		memcpy(c->dnat_addr, p, 16);
		break;
	case SYNC_A_SYNPROXY:
		for (unsigned i = 0; i < 3; i++)
			c->synproxy[i] = get32(p + 4 * i);
		break;
	case SYNC_A_ZONE:
		c->zone = get16(p);
		break;
	case SYNC_A_MAX_:
		return -EBADMSG;
	}
	return 0;
}

#define HAS(c, a) (((c)->have >> (a)) & 1u)

static bool proto_has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 132 || p == 33 || p == 136;
}

/* Does the decoded message describe an entry we could hold? */
static bool ct_semantic_ok(const struct sync_ct *c)
{
	bool v4 = HAS(c, SYNC_A_IPV4), v6 = HAS(c, SYNC_A_IPV6);

	if (v4 == v6 || !HAS(c, SYNC_A_L4PROTO))
		return false;
	if (proto_has_ports(c->orig.l4proto) && !HAS(c, SYNC_A_PORT))
		return false;
	if ((c->orig.l4proto == 1 || c->orig.l4proto == 58) &&
	    !(HAS(c, SYNC_A_ICMP_TYPE) && HAS(c, SYNC_A_ICMP_CODE) && HAS(c, SYNC_A_ICMP_ID)))
		return false;
	if (HAS(c, SYNC_A_TCP_STATE) && (c->orig.l4proto != 6 || c->tcp_state >= CT_TCP_MAX))
		return false;
	if (HAS(c, SYNC_A_SCTP_STATE) && (c->orig.l4proto != 132 || c->sctp_state >= CT_SCTP_MAX))
		return false;
	/* NAT addresses of the other family, or a master without addresses. */
	if ((HAS(c, SYNC_A_SNAT_IPV4) || HAS(c, SYNC_A_DNAT_IPV4)) && !v4)
		return false;
	if ((HAS(c, SYNC_A_SNAT_IPV6) || HAS(c, SYNC_A_DNAT_IPV6)) && !v6)
		return false;
	if (HAS(c, SYNC_A_MASTER_IPV4) && HAS(c, SYNC_A_MASTER_IPV6))
		return false;
	/* A master's protocol or ports without its addresses name nothing. */
	if ((HAS(c, SYNC_A_MASTER_L4PROTO) || HAS(c, SYNC_A_MASTER_PORT)) &&
	    !HAS(c, SYNC_A_MASTER_IPV4) && !HAS(c, SYNC_A_MASTER_IPV6))
		return false;
	return true;
}

int sync_ct_decode(const uint8_t *buf, size_t len, struct sync_ct *ct, enum sync_drop *why)
{
	struct sync_hdr h;
	int err = sync_hdr_decode(buf, len, &h, why);

	if (err)
		return err;
	if (h.type > SYNC_T_CT_DEL) {
		*why = SYNC_DROP_TYPE;
		return -EBADMSG;
	}
	memset(ct, 0, sizeof(*ct));
	if (walk_attrs(buf, len, ct_rules, SYNC_A_MAX_, &ct->have, ct_attr, ct)) {
		*why = SYNC_DROP_ATTR;
		return -EBADMSG;
	}
	if (!ct_semantic_ok(ct)) {
		*why = SYNC_DROP_SEMANTIC;
		return -EBADMSG;
	}
	return 0;
}

static int exp_attr(void *arg, uint16_t type, const uint8_t *p, uint16_t plen)
{
	struct sync_exp *e = arg;

	switch ((enum sync_exp_attr)type) {
	case SYNC_EA_MASTER_IPV4:
		get_v4(&e->master, p);
		break;
	case SYNC_EA_MASTER_IPV6:
		get_v6(&e->master, p);
		break;
	case SYNC_EA_MASTER_L4PROTO:
		e->master.l4proto = p[0];
		break;
	case SYNC_EA_MASTER_PORT:
		get_ports(&e->master, p);
		break;
	case SYNC_EA_EXPECT_IPV4:
		get_v4(&e->expect, p);
		break;
	case SYNC_EA_EXPECT_IPV6:
		get_v6(&e->expect, p);
		break;
	case SYNC_EA_EXPECT_L4PROTO:
		e->expect.l4proto = p[0];
		break;
	case SYNC_EA_EXPECT_PORT:
		get_ports(&e->expect, p);
		break;
	case SYNC_EA_MASK_IPV4:
		get_v4(&e->mask, p);
		break;
	case SYNC_EA_MASK_IPV6:
		get_v6(&e->mask, p);
		break;
	case SYNC_EA_MASK_L4PROTO:
		e->mask.l4proto = p[0];
		break;
	case SYNC_EA_MASK_PORT:
		get_ports(&e->mask, p);
		break;
	case SYNC_EA_TIMEOUT:
		e->timeout = get32(p);
		break;
	case SYNC_EA_FLAGS:
		e->flags = get32(p);
		break;
	case SYNC_EA_CLASS:
		e->class_ = get32(p);
		break;
	case SYNC_EA_NAT_IPV4:
		get_v4(&e->nat, p);
		break;
	case SYNC_EA_NAT_PORT:
		get_ports(&e->nat, p);
		break;
	case SYNC_EA_NAT_L4PROTO:
		e->nat.l4proto = p[0];
		break;
	case SYNC_EA_NAT_DIR:
		e->nat_dir = get32(p);
		break;
	case SYNC_EA_HELPER_NAME:
		return get_str(e->helper, sizeof(e->helper), p, plen);
	case SYNC_EA_FN:
		return get_str(e->fn, sizeof(e->fn), p, plen);
	case SYNC_EA_MAX_:
		return -EBADMSG;
	}
	return 0;
}

int sync_exp_decode(const uint8_t *buf, size_t len, struct sync_exp *e, enum sync_drop *why)
{
	struct sync_hdr h;
	uint64_t seen;
	int err = sync_hdr_decode(buf, len, &h, why);

	if (err)
		return err;
	if (h.type < SYNC_T_EXP_NEW || h.type > SYNC_T_EXP_DEL) {
		*why = SYNC_DROP_TYPE;
		return -EBADMSG;
	}
	memset(e, 0, sizeof(*e));
	if (walk_attrs(buf, len, exp_rules, SYNC_EA_MAX_, &seen, exp_attr, e)) {
		*why = SYNC_DROP_ATTR;
		return -EBADMSG;
	}
	e->have = (uint32_t)seen;
	/* An expectation needs its master and expected tuples. */
	if (!(e->master.l3num && e->expect.l3num && (seen >> SYNC_EA_MASTER_L4PROTO & 1) &&
	      (seen >> SYNC_EA_EXPECT_L4PROTO & 1))) {
		*why = SYNC_DROP_SEMANTIC;
		return -EBADMSG;
	}
	return 0;
}

/* ---- encoder ---- */

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	bool overflow;
};

/* Reserve an attribute of plen payload bytes, zero its padding; NULL on overflow. */
static uint8_t *put_attr(struct wbuf *w, uint16_t type, size_t plen)
{
	size_t total = align4(SYNC_ATTR_HDR_LEN + plen);
	uint8_t *a;

	if (w->overflow || w->len + total > w->cap || w->len + total > SYNC_MSG_MAX) {
		w->overflow = true;
		return NULL;
	}
	a = w->p + w->len;
	memset(a, 0, total);
	put16(a, (uint16_t)(SYNC_ATTR_HDR_LEN + plen));
	put16(a + 2, type);
	w->len += total;
	return a + SYNC_ATTR_HDR_LEN;
}

static void put_u8(struct wbuf *w, uint16_t type, uint8_t v)
{
	uint8_t *p = put_attr(w, type, 1);

	if (p)
		p[0] = v;
}

static void put_u16be(struct wbuf *w, uint16_t type, uint16_t v)
{
	uint8_t *p = put_attr(w, type, 2);

	if (p)
		put16(p, v);
}

static void put_u16le(struct wbuf *w, uint16_t type, uint16_t v)
{
	uint8_t *p = put_attr(w, type, 2);

	if (p)
		put16le(p, v);
}

static void put_u32(struct wbuf *w, uint16_t type, uint32_t v)
{
	uint8_t *p = put_attr(w, type, 4);

	if (p)
		put32(p, v);
}

static void put_words(struct wbuf *w, uint16_t type, const uint32_t *v, size_t n)
{
	uint8_t *p = put_attr(w, type, 4 * n);

	for (size_t i = 0; p && i < n; i++)
		put32(p + 4 * i, v[i]);
}

static void put_addrs(struct wbuf *w, uint16_t t4, uint16_t t6, const struct sync_addr *a)
{
	size_t n = a->l3num == AF_INET6_ ? 16 : 4;
	uint8_t *p = put_attr(w, a->l3num == AF_INET6_ ? t6 : t4, 2 * n);

	if (p) {
		memcpy(p, a->src, n);
		memcpy(p + n, a->dst, n);
	}
}

static void put_ports(struct wbuf *w, uint16_t type, const struct sync_addr *a)
{
	uint8_t *p = put_attr(w, type, 4);

	if (p) {
		put16(p, a->sport);
		put16(p + 2, a->dport);
	}
}

static void put_str(struct wbuf *w, uint16_t type, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap - 1);
	uint8_t *p = put_attr(w, type, n + 1);

	if (p)
		memcpy(p, s, n); /* the NUL is the zeroed padding */
}

static int begin(struct wbuf *w, uint8_t *buf, size_t cap, enum sync_type type, uint8_t flags,
		 uint32_t seq)
{
	if (cap < SYNC_HDR_LEN)
		return -EMSGSIZE;
	*w = (struct wbuf){.p = buf, .cap = cap, .len = SYNC_HDR_LEN};
	buf[0] = (uint8_t)(SYNC_PROTO_VERSION << 4 | ((unsigned)type & 0x0f));
	buf[1] = flags;
	put32(buf + 4, seq);
	return 0;
}

static int finish(struct wbuf *w)
{
	if (w->overflow)
		return -EMSGSIZE;
	put16(w->p + 2, (uint16_t)w->len);
	return (int)w->len;
}

/* The attribute order is ct2msg's (see the captures in tests/unit/test_sync_wire.c). */
int sync_ct_encode(const struct sync_ct *c, enum sync_type type, uint8_t flags, uint32_t seq,
		   uint8_t *buf, size_t cap)
{
	struct wbuf w;

	if (begin(&w, buf, cap, type, flags, seq))
		return -EMSGSIZE;
	if (HAS(c, SYNC_A_IPV4) || HAS(c, SYNC_A_IPV6))
		put_addrs(&w, SYNC_A_IPV4, SYNC_A_IPV6, &c->orig);
	if (HAS(c, SYNC_A_STATUS))
		put_u32(&w, SYNC_A_STATUS, c->status);
	if (HAS(c, SYNC_A_L4PROTO))
		put_u8(&w, SYNC_A_L4PROTO, c->orig.l4proto);
	if (HAS(c, SYNC_A_PORT))
		put_ports(&w, SYNC_A_PORT, &c->orig);
	if (HAS(c, SYNC_A_TCP_STATE))
		put_u8(&w, SYNC_A_TCP_STATE, c->tcp_state);
	if (HAS(c, SYNC_A_TCP_WSCALE_ORIG))
		put_u8(&w, SYNC_A_TCP_WSCALE_ORIG, c->wscale_orig);
	if (HAS(c, SYNC_A_TCP_WSCALE_REPL))
		put_u8(&w, SYNC_A_TCP_WSCALE_REPL, c->wscale_repl);
	if (HAS(c, SYNC_A_SCTP_STATE))
		put_u8(&w, SYNC_A_SCTP_STATE, c->sctp_state);
	if (HAS(c, SYNC_A_SCTP_VTAG_ORIG))
		put_u32(&w, SYNC_A_SCTP_VTAG_ORIG, c->sctp_vtag_orig);
	if (HAS(c, SYNC_A_SCTP_VTAG_REPL))
		put_u32(&w, SYNC_A_SCTP_VTAG_REPL, c->sctp_vtag_repl);
	if (HAS(c, SYNC_A_DCCP_STATE))
		put_u8(&w, SYNC_A_DCCP_STATE, c->dccp_state);
	if (HAS(c, SYNC_A_DCCP_ROLE))
		put_u8(&w, SYNC_A_DCCP_ROLE, c->dccp_role);
	if (HAS(c, SYNC_A_ICMP_TYPE))
		put_u8(&w, SYNC_A_ICMP_TYPE, c->icmp_type);
	if (HAS(c, SYNC_A_ICMP_CODE))
		put_u8(&w, SYNC_A_ICMP_CODE, c->icmp_code);
	if (HAS(c, SYNC_A_ICMP_ID))
		put_u16le(&w, SYNC_A_ICMP_ID, c->icmp_id);
	if (HAS(c, SYNC_A_TIMEOUT))
		put_u32(&w, SYNC_A_TIMEOUT, c->timeout);
	if (HAS(c, SYNC_A_MARK))
		put_u32(&w, SYNC_A_MARK, c->mark);
	if (HAS(c, SYNC_A_MASTER_IPV4) || HAS(c, SYNC_A_MASTER_IPV6)) {
		put_addrs(&w, SYNC_A_MASTER_IPV4, SYNC_A_MASTER_IPV6, &c->master);
		if (HAS(c, SYNC_A_MASTER_L4PROTO))
			put_u8(&w, SYNC_A_MASTER_L4PROTO, c->master.l4proto);
		if (HAS(c, SYNC_A_MASTER_PORT))
			put_ports(&w, SYNC_A_MASTER_PORT, &c->master);
	}
	if (HAS(c, SYNC_A_SNAT_IPV4)) {
		uint8_t *p = put_attr(&w, SYNC_A_SNAT_IPV4, 4);
		if (p)
			memcpy(p, c->snat_addr, 4);
	}
	if (HAS(c, SYNC_A_DNAT_IPV4)) {
		uint8_t *p = put_attr(&w, SYNC_A_DNAT_IPV4, 4);
		if (p)
			memcpy(p, c->dnat_addr, 4);
	}
	if (HAS(c, SYNC_A_SNAT_IPV6)) {
		uint8_t *p = put_attr(&w, SYNC_A_SNAT_IPV6, 16);
		if (p)
			memcpy(p, c->snat_addr, 16);
	}
	if (HAS(c, SYNC_A_DNAT_IPV6)) {
		uint8_t *p = put_attr(&w, SYNC_A_DNAT_IPV6, 16);
		if (p)
			memcpy(p, c->dnat_addr, 16);
	}
	if (HAS(c, SYNC_A_SPAT_PORT))
		put_u16le(&w, SYNC_A_SPAT_PORT, c->spat_port);
	if (HAS(c, SYNC_A_DPAT_PORT))
		put_u16le(&w, SYNC_A_DPAT_PORT, c->dpat_port);
	if (HAS(c, SYNC_A_NAT_SEQ_ADJ))
		put_words(&w, SYNC_A_NAT_SEQ_ADJ, c->nat_seq_adj, 6);
	if (HAS(c, SYNC_A_HELPER_NAME))
		put_str(&w, SYNC_A_HELPER_NAME, c->helper, sizeof(c->helper));
	if (HAS(c, SYNC_A_LABELS)) {
		uint32_t words[4] = {0};
		size_t n = c->nlabel_words ? c->nlabel_words : 4;
		uint8_t *p;

		memcpy(words, c->labels, sizeof(words));
		p = put_attr(&w, SYNC_A_LABELS, 4 * n);
		for (size_t i = 0; p && i < n; i++)
			put32(p + 4 * i, i < 4 ? words[i] : 0);
	}
	if (HAS(c, SYNC_A_SYNPROXY))
		put_words(&w, SYNC_A_SYNPROXY, c->synproxy, 3);
	if (HAS(c, SYNC_A_ZONE))
		put_u16be(&w, SYNC_A_ZONE, c->zone);
	return finish(&w);
}

#define EHAS(e, a) (((e)->have >> (a)) & 1u)

/* exp2msg's order: master, expected, mask, timeout, flags, class, NAT, helper, fn. */
int sync_exp_encode(const struct sync_exp *e, enum sync_type type, uint8_t flags, uint32_t seq,
		    uint8_t *buf, size_t cap)
{
	const struct sync_addr *tu[3] = {&e->master, &e->expect, &e->mask};
	struct wbuf w;

	if (begin(&w, buf, cap, type, flags, seq))
		return -EMSGSIZE;
	for (unsigned i = 0; i < 3; i++) {
		uint16_t base = (uint16_t)(4 * i);

		if (EHAS(e, base) || EHAS(e, base + 1))
			put_addrs(&w, base, (uint16_t)(base + 1), tu[i]);
		if (EHAS(e, base + 2))
			put_u8(&w, (uint16_t)(base + 2), tu[i]->l4proto);
		if (EHAS(e, base + 3))
			put_ports(&w, (uint16_t)(base + 3), tu[i]);
	}
	if (EHAS(e, SYNC_EA_TIMEOUT))
		put_u32(&w, SYNC_EA_TIMEOUT, e->timeout);
	if (EHAS(e, SYNC_EA_FLAGS))
		put_u32(&w, SYNC_EA_FLAGS, e->flags);
	if (EHAS(e, SYNC_EA_CLASS))
		put_u32(&w, SYNC_EA_CLASS, e->class_);
	/* conntrackd has no NAT_IPV6: an IPv6 NAT tuple cannot be sent. */
	if (EHAS(e, SYNC_EA_NAT_IPV4) && e->nat.l3num == AF_INET_)
		put_addrs(&w, SYNC_EA_NAT_IPV4, SYNC_EA_NAT_IPV4, &e->nat);
	if (EHAS(e, SYNC_EA_NAT_L4PROTO))
		put_u8(&w, SYNC_EA_NAT_L4PROTO, e->nat.l4proto);
	if (EHAS(e, SYNC_EA_NAT_PORT))
		put_ports(&w, SYNC_EA_NAT_PORT, &e->nat);
	if (EHAS(e, SYNC_EA_NAT_DIR))
		put_u32(&w, SYNC_EA_NAT_DIR, e->nat_dir);
	if (EHAS(e, SYNC_EA_HELPER_NAME))
		put_str(&w, SYNC_EA_HELPER_NAME, e->helper, sizeof(e->helper));
	if (EHAS(e, SYNC_EA_FN))
		put_str(&w, SYNC_EA_FN, e->fn, sizeof(e->fn));
	return finish(&w);
}

int sync_ctl_encode(uint8_t flags, uint32_t seq, uint32_t from, uint32_t to, uint8_t *buf,
		    size_t cap)
{
	bool ack = flags & (SYNC_F_ACK | SYNC_F_NACK | SYNC_F_RESYNC);
	size_t len = ack ? SYNC_ACK_HDR_LEN : SYNC_HDR_LEN;

	if (cap < len)
		return -EMSGSIZE;
	buf[0] = (uint8_t)(SYNC_PROTO_VERSION << 4 | SYNC_T_CTL);
	buf[1] = flags;
	put16(buf + 2, (uint16_t)len);
	put32(buf + 4, seq);
	if (ack) {
		put32(buf + 8, from);
		put32(buf + 12, to);
	}
	return (int)len;
}
