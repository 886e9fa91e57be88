/* SPDX-License-Identifier: MIT */
/*
 * The control protocol on the wire: framing, the attribute decoder (the
 * parser of untrusted input, fuzzed by fuzz/fuzz_ctl.c) and the encoder.
 * Format: include/ctrack/ctl.h.  Every integer is read and written byte by
 * byte in big-endian order, so neither host byte order nor alignment of the
 * receive buffer matters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/ctl.h"

/* ---- byte order ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void set64(uint8_t *p, uint64_t v)
{
	set32(p, (uint32_t)(v >> 32));
	set32(p + 4, (uint32_t)v);
}

/* ---- framing ---- */

int ctl_frame(const uint8_t *buf, size_t len, uint32_t *msg_len)
{
	uint32_t n;

	if (len < CTL_HDR_LEN)
		return -EAGAIN;
	if (get16(buf) != CTL_MAGIC)
		return -EBADMSG;
	if (buf[2] != CTL_VERSION)
		return -EPROTONOSUPPORT;
	n = get32(buf + 4);
	if (n < CTL_HDR_LEN || n > CTL_MSG_MAX)
		return -EBADMSG;
	*msg_len = n;
	return 0;
}

/* ---- decoder ---- */

static bool type_known(uint8_t t)
{
	return (t >= CTL_REQ_LIST && t < CTL_REQ_MAX_) || (t >= CTL_REP_DONE && t < CTL_REP_MAX_);
}

static int get_tuple(const uint8_t *v, struct ct_tuple *tu)
{
	memset(tu, 0, sizeof(*tu));
	tu->l3num = v[0];
	tu->proto = v[1];
	tu->zone = get16(v + 2);
	memcpy(tu->src, v + 4, 16);
	memcpy(tu->dst, v + 20, 16);
	tu->src_l4 = get16(v + 36);
	tu->dst_l4 = get16(v + 38);
	if (tu->l3num != 2 && tu->l3num != 10)
		return -EAFNOSUPPORT;
	/* IPv4 uses the first 4 bytes; the rest must be zero (canonical form, ct.h). */
	if (tu->l3num == 2) {
		static const uint8_t zero[12];

		if (memcmp(tu->src + 4, zero, 12) || memcmp(tu->dst + 4, zero, 12))
			return -EINVAL;
	}
	return 0;
}

/* A string value: non-empty, NUL-terminated, no NUL inside. */
static int get_str(const uint8_t *v, uint32_t n, const char **out, size_t *len)
{
	if (n == 0 || v[n - 1] != '\0' || memchr(v, '\0', n - 1u))
		return -EINVAL;
	*out = (const char *)v;
	if (len)
		*len = n - 1u;
	return 0;
}

/* struct ctl_msg.have holds one bit per attribute. */
_Static_assert(CTL_A_MAX_ <= 32, "too many attributes for ctl_msg.have");

static int expect_len(enum ctl_attr a, uint32_t n)
{
	static const uint16_t want[CTL_A_MAX_] = {
		[CTL_A_TABLE] = 1,    [CTL_A_FLAGS] = 4,    [CTL_A_FMT] = 4,
		[CTL_A_TZ] = 4,       [CTL_A_ORIG] = CTL_TUPLE_LEN,
		[CTL_A_REPLY] = CTL_TUPLE_LEN,                [CTL_A_STATUS] = 4,
		[CTL_A_MARK] = 4,     [CTL_A_TIMEOUT] = 4,  [CTL_A_ID] = 4,
		[CTL_A_PSTATE] = 1,   [CTL_A_LABELS] = 16,  [CTL_A_COUNTERS] = 32,
		[CTL_A_TSTAMP] = 16,  [CTL_A_ERRNO] = 4,    [CTL_A_VALUE] = 8,
		[CTL_A_EVENT] = 4,    [CTL_A_EVMASK] = 4,   [CTL_A_STATS] = 80,
		[CTL_A_PORTID] = 4,   [CTL_A_SECMARK] = 4,  [CTL_A_PEER_ZONE] = 4,
		[CTL_A_VTAGS] = 8,    [CTL_A_SNAT] = CTL_NAT_LEN, [CTL_A_DNAT] = CTL_NAT_LEN,
		[CTL_A_EXP_TUPLE] = CTL_TUPLE_LEN, [CTL_A_EXP_MASK] = CTL_TUPLE_LEN,
	};

	/* Strings (want 0) are checked by get_str. */
	if (want[a] && want[a] != n)
		return -EINVAL;
	return 0;
}

static int decode_attr(struct ctl_msg *m, enum ctl_attr a, const uint8_t *v, uint32_t n)
{
	switch (a) {
	case CTL_A_TABLE:
		m->table = v[0];
		return m->table <= CTL_T_UNCONFIRMED ? 0 : -EINVAL;
	case CTL_A_FLAGS:
		m->flags = get32(v);
		return 0;
	case CTL_A_FMT:
		m->fmt = get32(v);
		return 0;
	case CTL_A_TZ:
		m->tz = (int32_t)get32(v);
		/* Real offsets lie within +-26 hours. */
		return (m->tz > -100000 && m->tz < 100000) ? 0 : -EINVAL;
	case CTL_A_ORIG:
		return get_tuple(v, &m->orig);
	case CTL_A_REPLY:
		return get_tuple(v, &m->reply);
	case CTL_A_STATUS:
		m->status = get32(v);
		return m->status <= 0xffff ? 0 : -EINVAL;
	case CTL_A_MARK:
		m->mark = get32(v);
		return 0;
	case CTL_A_TIMEOUT:
		m->timeout = get32(v);
		return 0;
	case CTL_A_ID:
		m->id = get32(v);
		return 0;
	case CTL_A_PSTATE:
		m->pstate = v[0];
		return 0;
	case CTL_A_LABELS:
		m->labels[0] = get64(v);
		m->labels[1] = get64(v + 8);
		return 0;
	case CTL_A_COUNTERS:
		for (int i = 0; i < 4; i++)
			m->counters[i] = get64(v + 8 * i);
		return 0;
	case CTL_A_TSTAMP:
		m->tstamp[0] = get64(v);
		m->tstamp[1] = get64(v + 8);
		return 0;
	case CTL_A_TEXT:
		return get_str(v, n, &m->text, &m->text_len);
	case CTL_A_ERRNO:
		m->err = get32(v);
		return (m->err > 0 && m->err < 4096) ? 0 : -EINVAL;
	case CTL_A_VALUE:
		m->value = get64(v);
		return 0;
	case CTL_A_NAME:
		return get_str(v, n, &m->name, NULL);
	case CTL_A_EVENT:
		m->event = get32(v);
		return (m->event == CT_EVENT_NEW || m->event == CT_EVENT_UPDATE ||
			m->event == CT_EVENT_DESTROY)
			       ? 0
			       : -EINVAL;
	case CTL_A_EVMASK:
		m->evmask = get32(v);
		return m->evmask <= 7 ? 0 : -EINVAL;
	case CTL_A_STATS: {
		uint64_t *f[10] = {&m->stats.found,	     &m->stats.invalid,
				   &m->stats.insert,	     &m->stats.insert_failed,
				   &m->stats.drop,	     &m->stats.early_drop,
				   &m->stats.error,	     &m->stats.search_restart,
				   &m->stats.clash_resolve, &m->stats.chaintoolong};

		for (int i = 0; i < 10; i++)
			*f[i] = get64(v + 8 * i);
		return 0;
	}
	case CTL_A_PORTID:
		m->portid = get32(v);
		return 0;
	case CTL_A_PROGNAME:
		return get_str(v, n, &m->progname, NULL);
	case CTL_A_SECMARK:
		m->secmark = get32(v);
		return 0;
	case CTL_A_PEER_ZONE:
		m->peer_zone = get32(v);
		return m->peer_zone <= UINT16_MAX ? 0 : -EINVAL;
	case CTL_A_SNAT:
	case CTL_A_DNAT: {
		struct ctl_nat *n = a == CTL_A_SNAT ? &m->snat : &m->dnat;

		memcpy(n->addr, v, 16);
		n->port = get16(v + 16);
		n->port_set = v[18] == 1;
		return v[18] <= 1 && v[19] == 0 ? 0 : -EINVAL;
	}
	case CTL_A_EXP_TUPLE:
		return get_tuple(v, &m->exp_tuple);
	case CTL_A_EXP_MASK:
		return get_tuple(v, &m->exp_mask);
	case CTL_A_VTAGS:
		m->vtags[0] = get32(v);
		m->vtags[1] = get32(v + 4);
		return 0;
	default:
		return -EINVAL;
	}
}

int ctl_decode(const uint8_t *buf, size_t len, struct ctl_msg *m)
{
	uint32_t n;
	size_t off = CTL_HDR_LEN;
	int err = ctl_frame(buf, len, &n);

	if (err == -EAGAIN)
		return -EBADMSG; /* a whole message was promised */
	if (err)
		return err;
	if (n != len)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->type = buf[3];
	m->seq = get32(buf + 8);
	if (!type_known(m->type))
		return -EOPNOTSUPP;
	while (off < len) {
		uint16_t a;
		uint32_t alen;

		if (len - off < CTL_ATTR_HDR_LEN)
			return -EBADMSG;
		a = get16(buf + off);
		alen = get32(buf + off + 2);
		off += CTL_ATTR_HDR_LEN;
		if (alen > len - off)
			return -EBADMSG;
		if (a == CTL_A_UNSPEC || a >= CTL_A_MAX_)
			return -EINVAL;
		if (m->have & (1u << a))
			return -EINVAL; /* duplicate */
		err = expect_len((enum ctl_attr)a, alen);
		if (!err)
			err = decode_attr(m, (enum ctl_attr)a, buf + off, alen);
		if (err)
			return err;
		m->have |= 1u << a;
		off += alen;
	}
	return 0;
}

/* ---- encoder ---- */

void ctl_buf_init(struct ctl_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ctl_buf_free(struct ctl_buf *b)
{
	free(b->data);
	ctl_buf_init(b);
}

void ctl_buf_reset(struct ctl_buf *b)
{
	b->len = 0;
	b->msg_start = 0;
	b->failed = false;
}

/* Room for n more bytes; sets failed (and returns NULL) if none. */
static uint8_t *grow(struct ctl_buf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->len - b->msg_start + n > CTL_MSG_MAX) {
		b->failed = true;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

void ctl_msg_begin(struct ctl_buf *b, enum ctl_type type, uint32_t seq)
{
	uint8_t *p;

	b->failed = false;
	b->msg_start = b->len;
	p = grow(b, CTL_HDR_LEN);
	if (!p)
		return;
	set16(p, CTL_MAGIC);
	p[2] = CTL_VERSION;
	p[3] = (uint8_t)type;
	set32(p + 4, 0);
	set32(p + 8, seq);
}

static uint8_t *put_attr(struct ctl_buf *b, enum ctl_attr a, size_t n)
{
	uint8_t *p;

	if (n > CTL_MSG_MAX) {
		b->failed = true;
		return NULL;
	}
	p = grow(b, CTL_ATTR_HDR_LEN + n);
	if (!p)
		return NULL;
	set16(p, (uint16_t)a);
	set32(p + 2, (uint32_t)n);
	return p + CTL_ATTR_HDR_LEN;
}

void ctl_put_u8(struct ctl_buf *b, enum ctl_attr a, uint8_t v)
{
	uint8_t *p = put_attr(b, a, 1);

	if (p)
		p[0] = v;
}

void ctl_put_u32(struct ctl_buf *b, enum ctl_attr a, uint32_t v)
{
	uint8_t *p = put_attr(b, a, 4);

	if (p)
		set32(p, v);
}

void ctl_put_u64(struct ctl_buf *b, enum ctl_attr a, uint64_t v)
{
	uint8_t *p = put_attr(b, a, 8);

	if (p)
		set64(p, v);
}

void ctl_put_u64s(struct ctl_buf *b, enum ctl_attr a, const uint64_t *v, size_t n)
{
	uint8_t *p = put_attr(b, a, 8 * n);

	for (size_t i = 0; p && i < n; i++)
		set64(p + 8 * i, v[i]);
}

void ctl_put_u32s(struct ctl_buf *b, enum ctl_attr a, const uint32_t *v, size_t n)
{
	uint8_t *p = put_attr(b, a, 4 * n);

	for (size_t i = 0; p && i < n; i++)
		set32(p + 4 * i, v[i]);
}

void ctl_put_str(struct ctl_buf *b, enum ctl_attr a, const char *s)
{
	size_t n = strlen(s) + 1;
	uint8_t *p = put_attr(b, a, n);

	if (p)
		memcpy(p, s, n);
}

void ctl_put_tuple(struct ctl_buf *b, enum ctl_attr a, const struct ct_tuple *tu)
{
	uint8_t *p = put_attr(b, a, CTL_TUPLE_LEN);

	if (!p)
		return;
	p[0] = tu->l3num;
	p[1] = tu->proto;
	set16(p + 2, tu->zone);
	memcpy(p + 4, tu->src, 16);
	memcpy(p + 20, tu->dst, 16);
	if (tu->l3num == 2) {
		memset(p + 8, 0, 12);
		memset(p + 24, 0, 12);
	}
	set16(p + 36, tu->src_l4);
	set16(p + 38, tu->dst_l4);
}

void ctl_put_nat(struct ctl_buf *b, enum ctl_attr a, const struct ctl_nat *n)
{
	uint8_t *p = put_attr(b, a, CTL_NAT_LEN);

	if (!p)
		return;
	memcpy(p, n->addr, 16);
	set16(p + 16, n->port);
	p[18] = n->port_set ? 1 : 0;
	p[19] = 0;
}

int ctl_msg_end(struct ctl_buf *b)
{
	if (b->failed) {
		int err = b->len - b->msg_start + 1 > CTL_MSG_MAX ? -EMSGSIZE : -ENOMEM;

		/* Drop the partial message so the buffer holds only whole ones. */
		if (b->len > b->msg_start)
			b->len = b->msg_start;
		b->failed = false;
		return err;
	}
	set32(b->data + b->msg_start + 4, (uint32_t)(b->len - b->msg_start));
	return 0;
}

int ctl_put_error(struct ctl_buf *b, uint32_t seq, int err, const char *text)
{
	ctl_msg_begin(b, CTL_REP_ERROR, seq);
	ctl_put_u32(b, CTL_A_ERRNO, (uint32_t)(err < 0 ? -err : err));
	if (text && *text)
		ctl_put_str(b, CTL_A_TEXT, text);
	return ctl_msg_end(b);
}

int ctl_put_done(struct ctl_buf *b, uint32_t seq)
{
	ctl_msg_begin(b, CTL_REP_DONE, seq);
	return ctl_msg_end(b);
}

const char *ctl_type_name(uint8_t type)
{
	static const char *const req[] = {
		"?",	    "list",	   "get",	  "create",	  "update",
		"delete",   "flush",	   "count",	  "stats",	  "setting-get",
		"setting-set", "ruleset-apply", "ruleset-list", "subscribe",
	};
	static const char *const rep[] = {"done", "error", "entry", "event", "lost", "stats"};

	if (type < CTL_REQ_MAX_)
		return req[type];
	if (type >= CTL_REP_DONE && type < CTL_REP_MAX_)
		return rep[type - CTL_REP_DONE];
	return "unknown";
}
