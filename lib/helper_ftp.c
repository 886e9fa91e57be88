/* SPDX-License-Identifier: MIT */
/*
 * The FTP helper (spec §9.3): reads PORT / EPRT from the client and 227
 * (PASV) / 229 (EPSV) replies from the server, and expects the data
 * connection they announce.
 *
 * Behaviour reproduced from the kernel's nf_conntrack_ftp (our own code):
 * - only ESTABLISHED / ESTABLISHED_REPLY packets with payload are looked at;
 * - a segment is parsed only if it starts right after a segment that ended
 *   in '\n' (two such sequence numbers remembered per direction), so the
 *   first data segment of each direction only seeds the memory;
 * - a known command prefix followed by garbage, or a payload that is a
 *   strict prefix of a command, drops the packet ("partial match");
 * - an address other than the sender's own creates no expectation
 *   (module parameter loose=0);
 * - the expectation: from the peer's address, any port, to the address the
 *   peer sees for the sender, at the announced port; TCP, class 0.
 *
 * The parser never reads outside [data, data + len): every loop is bounded
 * by len.
 */
#include <errno.h>
#include <string.h>

#include "helper_priv.h"

/* ---- the parser --------------------------------------------------------- */

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool prefix_equal_ci(const uint8_t *d, const char *pat, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(d[i]) != lower((uint8_t)pat[i]))
			return false;
	return true;
}

/*
 * n numbers separated by `sep`, ended by `term` (term 0: any other
 * character) right after the n-th number.  Numbers may be empty (0) and
 * wrap modulo 2^32, as in the kernel.  Returns the characters consumed
 * before the terminator, or 0.
 */
static size_t read_numbers(const uint8_t *d, size_t len, uint32_t *num, unsigned n, uint8_t sep,
			   uint8_t term)
{
	unsigned i = 0;

	memset(num, 0, n * sizeof(*num));
	for (size_t k = 0; k < len; k++) {
		if (is_digit(d[k])) {
			num[i] = num[i] * 10 + (uint32_t)(d[k] - '0');
		} else if (d[k] == sep) {
			if (++i == n)
				return 0; /* one separator too many */
		} else {
			return ((d[k] == term || term == 0) && i == n - 1) ? k : 0;
		}
	}
	return 0; /* ran out of data before the terminator */
}

/* A port up to `delim`, from `start`: nonzero, 16-bit wrapping.  Returns
 * the index after the closing delimiter, or 0. */
static size_t read_port(const uint8_t *d, size_t start, size_t len, uint8_t delim, uint16_t *port)
{
	uint16_t v = 0;

	for (size_t k = start; k < len; k++) {
		if (d[k] == delim) {
			if (v == 0)
				return 0;
			*port = v;
			return k + 1;
		}
		if (!is_digit(d[k]))
			return 0;
		v = (uint16_t)(v * 10 + (d[k] - '0'));
	}
	return 0;
}

static int hexval(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Dotted quad of exactly four decimal bytes ending at `delim`.  Returns
 * the length, or 0. */
static size_t read_dotted(const uint8_t *d, size_t len, uint8_t delim, uint8_t out[4])
{
	unsigned i = 0, v = 0, digits = 0;

	for (size_t k = 0; k < len; k++) {
		if (is_digit(d[k])) {
			v = v * 10 + (unsigned)(d[k] - '0');
			if (++digits > 3 || v > 255)
				return 0;
		} else if (d[k] == '.' && digits && i < 3) {
			out[i++] = (uint8_t)v;
			v = digits = 0;
		} else if (d[k] == delim && digits && i == 3) {
			out[3] = (uint8_t)v;
			return k;
		} else {
			return 0;
		}
	}
	return 0;
}

/*
 * An IPv6 address in text (RFC 4291 §2.2: hex groups, one "::", an
 * optional dotted-quad tail) ending exactly at `delim`, as the kernel's
 * in6_pton with a delimiter.  Returns the length, or 0.
 */
static size_t read_ipv6(const uint8_t *d, size_t len, uint8_t delim, uint8_t out[16])
{
	uint8_t buf[16] = {0};
	size_t k = 0;
	int ng = 0, gap = -1;

	if (len >= 2 && d[0] == ':' && d[1] == ':') {
		gap = 0;
		k = 2;
		if (k < len && d[k] == delim)
			goto done;
	} else if (len >= 1 && d[0] == ':') {
		return 0;
	}
	for (;;) {
		size_t start = k;
		unsigned v = 0;

		if (ng >= 8)
			return 0;
		while (k < len && k - start < 5 && hexval(d[k]) >= 0)
			v = v << 4 | (unsigned)hexval(d[k++]);
		if (k == start || k - start > 4)
			return 0;
		if (k < len && d[k] == '.') {
			/* dotted-quad tail: needs room for two groups */
			size_t n;

			if (ng > 6 || (gap < 0 && ng != 6))
				return 0;
			n = read_dotted(d + start, len - start, delim, buf + ng * 2);
			if (!n)
				return 0;
			ng += 2;
			k = start + n;
			break;
		}
		buf[ng * 2] = (uint8_t)(v >> 8);
		buf[ng * 2 + 1] = (uint8_t)v;
		ng++;
		if (k >= len)
			return 0;
		if (d[k] == delim)
			break;
		if (d[k] != ':')
			return 0;
		k++;
		if (k < len && d[k] == ':') {
			if (gap >= 0)
				return 0;
			gap = ng;
			k++;
			if (k < len && d[k] == delim)
				break;
		}
	}
done:
	if (gap < 0 && ng != 8)
		return 0;
	if (gap >= 0 && ng > 7)
		return 0;
	memset(out, 0, 16);
	if (gap < 0) {
		memcpy(out, buf, 16);
	} else {
		memcpy(out, buf, (size_t)gap * 2);
		memcpy(out + 16 - (ng - gap) * 2, buf + gap * 2, (size_t)(ng - gap) * 2);
	}
	return k;
}

/* RFC 959 "h1,h2,h3,h4,p1,p2" ended by term.  Returns the length, or 0. */
static size_t get_rfc959(const uint8_t *d, size_t len, uint8_t term, struct ct_ftp_match *m)
{
	uint32_t n[6];
	size_t l = read_numbers(d, len, n, 6, ',', term);
	uint32_t a;

	if (!l)
		return 0;
	a = n[0] << 24 | n[1] << 16 | n[2] << 8 | n[3];
	m->addr[0] = (uint8_t)(a >> 24);
	m->addr[1] = (uint8_t)(a >> 16);
	m->addr[2] = (uint8_t)(a >> 8);
	m->addr[3] = (uint8_t)a;
	m->port = (uint16_t)(n[4] << 8 | n[5]);
	return l;
}

/* 227 replies: the numbers start at the first digit; any non-number
 * character ends them (RFC 1123 §4.1.2.6). */
static size_t get_pasv(const uint8_t *d, size_t len, size_t *skip, struct ct_ftp_match *m)
{
	size_t i = 0;

	while (i < len && !is_digit(d[i]))
		i++;
	if (i == len)
		return 0;
	*skip = i;
	return get_rfc959(d + i, len - i, 0, m);
}

/* EPRT: "<d>1<d>a.b.c.d<d>port<d>" or "<d>2<d>ipv6<d>port<d>" (RFC 2428). */
static size_t get_eprt(const uint8_t *d, size_t len, uint8_t l3num, struct ct_ftp_match *m)
{
	uint8_t delim;
	size_t l;

	if (len <= 3)
		return 0;
	delim = d[0];
	if (is_digit(delim) || delim < 33 || delim > 126 || d[2] != delim)
		return 0;
	/* The family must be the connection's. */
	if ((l3num == 2 && d[1] != '1') || (l3num == 10 && d[1] != '2'))
		return 0;
	if (d[1] == '1') {
		uint32_t n[4];

		l = read_numbers(d + 3, len - 3, n, 4, '.', delim);
		if (l) {
			uint32_t a = n[0] << 24 | n[1] << 16 | n[2] << 8 | n[3];

			m->addr[0] = (uint8_t)(a >> 24);
			m->addr[1] = (uint8_t)(a >> 16);
			m->addr[2] = (uint8_t)(a >> 8);
			m->addr[3] = (uint8_t)a;
		}
	} else {
		l = read_ipv6(d + 3, len - 3, delim, m->addr);
	}
	if (!l)
		return 0;
	return read_port(d, 3 + l + 1, len, delim, &m->port);
}

/* EPSV reply: "(<d><d><d>port<d>)" after the '(' (RFC 2428). */
static size_t get_epsv(const uint8_t *d, size_t len, struct ct_ftp_match *m)
{
	uint8_t delim;

	if (len <= 3)
		return 0;
	delim = d[0];
	if (is_digit(delim) || delim < 33 || delim > 126 || d[1] != delim || d[2] != delim)
		return 0;
	return read_port(d, 3, len, delim, &m->port);
}

struct ftp_pattern {
	const char *prefix;
	uint8_t plen;
	uint8_t skip; /* skip to (and past) this character first; 0: none */
	enum ct_ftp_type type;
};

/* Per direction, in the order the kernel tries them. */
/* clang-format off */
static const struct ftp_pattern patterns[2][2] = {
	[CT_DIR_ORIGINAL] = {
		{"PORT", 4, ' ', CT_FTP_PORT},
		{"EPRT", 4, ' ', CT_FTP_EPRT},
	},
	[CT_DIR_REPLY] = {
		{"227 ", 4, 0, CT_FTP_PASV},
		{"229 ", 4, '(', CT_FTP_EPSV},
	},
};
/* clang-format on */

static enum ct_ftp_parse_result try_pattern(const struct ftp_pattern *pt, const uint8_t *d,
					    size_t len, uint8_t l3num, struct ct_ftp_match *m)
{
	size_t i = pt->plen, n = 0, skip = 0;

	if (len <= pt->plen)
		return prefix_equal_ci(d, pt->prefix, len) ? CT_FTP_PARTIAL : CT_FTP_NO_MATCH;
	if (!prefix_equal_ci(d, pt->prefix, pt->plen))
		return CT_FTP_NO_MATCH;
	if (pt->skip) {
		while (d[i] != pt->skip) {
			if (i == len - 1)
				return CT_FTP_PARTIAL;
			i++;
		}
		i++;
	}
	switch (pt->type) {
	case CT_FTP_PORT:
		n = get_rfc959(d + i, len - i, '\r', m);
		break;
	case CT_FTP_PASV:
		n = get_pasv(d + i, len - i, &skip, m);
		break;
	case CT_FTP_EPRT:
		n = get_eprt(d + i, len - i, l3num, m);
		break;
	case CT_FTP_EPSV:
		n = get_epsv(d + i, len - i, m);
		break;
	}
	if (!n)
		return CT_FTP_PARTIAL;
	m->type = pt->type;
	m->off = (uint32_t)(i + skip);
	m->len = (uint32_t)n;
	return CT_FTP_MATCH;
}

enum ct_ftp_parse_result ct_ftp_parse(const uint8_t *data, size_t len, enum ct_dir dir,
				      uint8_t l3num, const uint8_t own_addr[16],
				      struct ct_ftp_match *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 2; i++) {
		enum ct_ftp_parse_result r;

		/* EPSV names no address: the sender's own is implied. */
		memcpy(m->addr, own_addr, 16);
		r = try_pattern(&patterns[dir & 1][i], data, len, l3num, m);
		if (r != CT_FTP_NO_MATCH)
			return r;
	}
	memset(m, 0, sizeof(*m));
	return CT_FTP_NO_MATCH;
}

/* ---- the sequence memory (helper_data) ------------------------------------ */

/*
 * helper_data layout: [0..1] sequence numbers after a '\n' in the original
 * direction, [2..3] in the reply direction, [4] bits 0-7 how many of the
 * original direction's are set, bits 8-15 the reply direction's.
 */
static unsigned nl_count(const uint32_t *hd, unsigned dir)
{
	return (hd[4] >> (8 * dir)) & 0xff;
}

static bool nl_seq_known(const uint32_t *hd, unsigned dir, uint32_t seq)
{
	for (unsigned i = 0; i < nl_count(hd, dir); i++)
		if (hd[dir * 2 + i] == seq)
			return true;
	return false;
}

/* Remember seq; with both slots full, it replaces the older if it is newer. */
static void nl_seq_update(uint32_t *hd, unsigned dir, uint32_t seq)
{
	uint32_t *s = &hd[dir * 2];
	unsigned n = nl_count(hd, dir), oldest;

	if (nl_seq_known(hd, dir, seq))
		return;
	if (n < 2) {
		s[n] = seq;
		hd[4] += 1u << (8 * dir);
		return;
	}
	oldest = (int32_t)(s[0] - s[1]) < 0 ? 0 : 1;
	if ((int32_t)(seq - s[oldest]) > 0)
		s[oldest] = seq;
}

/* ---- the helper ------------------------------------------------------------ */

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Register the expectation for a parsed command (or let NAT do it). */
static enum ct_verdict ftp_expect(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				  uint32_t payload_off, const struct ct_ftp_match *m, uint64_t now)
{
	struct ct_tuple peer;
	struct ct_expect_spec s;

	/* The peer will connect: from its address, to the sender as it sees it. */
	ct_conn_tuple(c, !p->dir, &peer);
	ct_expect_spec_init(&s, 0, c->l3num, peer.src, peer.dst, 6, NULL, m->port);
	if ((c->status & (CT_S_SRC_NAT | CT_S_DST_NAT)) && t->nat_helper && t->nat_helper->ftp)
		return t->nat_helper->ftp(t, c, p, payload_off, m, &s, now);
	return ct_expect_create(t, c, &s, now) == 0 ? CT_V_ACCEPT : CT_V_DROP;
}

static enum ct_verdict ftp_help(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				uint64_t now)
{
	uint32_t *hd = ct_conn_ext(t, c)->helper_data;
	enum ct_verdict v = CT_V_ACCEPT;
	const uint8_t *th, *data;
	uint32_t doff, datalen, seq;
	struct ct_ftp_match m;
	struct ct_tuple own;
	bool ends_nl;

	/* Until traffic was seen both ways, packets are not looked at. */
	if (p->ctinfo != CT_INFO_ESTABLISHED && p->ctinfo != CT_INFO_ESTABLISHED_REPLY)
		return CT_V_ACCEPT;
	if ((uint32_t)p->l4_off + 20 > p->len || p->l4_len < 20)
		return CT_V_ACCEPT;
	th = p->data + p->l4_off;
	doff = (uint32_t)(th[12] >> 4) * 4;
	if (doff >= p->l4_len)
		return CT_V_ACCEPT; /* no payload */
	datalen = p->l4_len - doff;
	/* A capture cut short hides the payload: nothing to parse. */
	if ((uint64_t)p->l4_off + doff + datalen > p->len)
		return CT_V_ACCEPT;
	data = th + doff;
	seq = be32(th + 4);
	ends_nl = data[datalen - 1] == '\n';

	if (nl_seq_known(hd, p->dir, seq)) {
		ct_conn_tuple(c, p->dir, &own);
		switch (ct_ftp_parse(data, datalen, p->dir, c->l3num, own.src, &m)) {
		case CT_FTP_PARTIAL:
			return CT_V_DROP; /* and the memory is left as it was */
		case CT_FTP_NO_MATCH:
			break;
		case CT_FTP_MATCH:
			/* Another host named in the command: no expectation (loose=0). */
			if (memcmp(m.addr, own.src, 16) == 0)
				v = ftp_expect(t, c, p, p->l4_off + doff, &m, now);
			break;
		}
	}
	if (ends_nl)
		nl_seq_update(hd, p->dir, seq + datalen);
	return v;
}

const struct ct_helper ct_helper_ftp = {
    .name = "ftp",
    .proto = 6,
    .max_expected = 1,
    .timeout_s = 300,
    .help = ftp_help,
};
