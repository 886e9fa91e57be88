/* SPDX-License-Identifier: MIT */
/*
 * Log lines in the format of the kernel's nf_log_syslog (the backend of
 * nft `log` without a group): fields, order and number formats as the
 * kernel prints them for IPv4 and IPv6 with TCP, UDP, ICMP and ICMPv6.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctrack/pkt.h"
#include "nft_priv.h"

struct lbuf {
	char *b;
	size_t len, used;
};

static void out(struct lbuf *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct lbuf *l, const char *fmt, ...)
{
	va_list ap;
	size_t room = l->used < l->len ? l->len - l->used : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? l->b + l->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->used += (size_t)n;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void log_tcp(struct lbuf *l, const uint8_t *t, uint32_t avail, unsigned flags)
{
	static const char *const names[] = { "CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN",
					     "FIN" };

	out(l, "PROTO=TCP ");
	if (avail < 20) {
		out(l, "INCOMPLETE [%u bytes] ", avail);
		return;
	}
	out(l, "SPT=%u DPT=%u ", be16(t), be16(t + 2));
	if (flags & NFT_LOG_TCPSEQ)
		out(l, "SEQ=%u ACK=%u ", be32(t + 4), be32(t + 8));
	out(l, "WINDOW=%u ", be16(t + 14));
	/* the reserved bits after the data offset */
	out(l, "RES=0x%02x ", (unsigned)((be32(t + 12) & 0x0F000000u) >> 22));
	for (int i = 0; i < 8; i++)
		if (t[13] & (0x80 >> i))
			out(l, "%s ", names[i]);
	out(l, "URGP=%u ", be16(t + 18));
}

static void log_l4(struct lbuf *l, uint8_t proto, const uint8_t *t, uint32_t avail,
		   unsigned flags, bool v6, int depth);

static void log_ip(struct lbuf *l, const uint8_t *ip, uint32_t avail, unsigned flags, int depth)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (avail < 1)
		return;
	if ((ip[0] >> 4) == 4) {
		if (avail < 20) {
			out(l, "TRUNCATED");
			return;
		}
		uint32_t ihl = (ip[0] & 15u) * 4u;
		uint16_t frag = be16(ip + 6);

		inet_ntop(AF_INET, ip + 12, s, sizeof(s));
		inet_ntop(AF_INET, ip + 16, d, sizeof(d));
		out(l, "SRC=%s DST=%s ", s, d);
		out(l, "LEN=%u TOS=0x%02X PREC=0x%02X TTL=%u ID=%u ", be16(ip + 2), ip[1] & 0x1e,
		    ip[1] & 0xe0, ip[8], be16(ip + 4));
		if (frag & 0x8000)
			out(l, "CE ");
		if (frag & 0x4000)
			out(l, "DF ");
		if (frag & 0x2000)
			out(l, "MF ");
		if (frag & 0x1fff)
			out(l, "FRAG:%u ", frag & 0x1fff);
		if (frag & 0x1fff) {
			/* a later fragment: no transport header to show */
			static const char *const pn[] = { [1] = "ICMP", [6] = "TCP", [17] = "UDP" };

			if (ip[9] < sizeof(pn) / sizeof(pn[0]) && pn[ip[9]])
				out(l, "PROTO=%s ", pn[ip[9]]);
			else
				out(l, "PROTO=%u ", ip[9]);
			return;
		}
		if (ihl < 20 || ihl > avail)
			return;
		log_l4(l, ip[9], ip + ihl, avail - ihl, flags, false, depth);
		return;
	}
	if (avail < 40) {
		out(l, "TRUNCATED");
		return;
	}
	inet_ntop(AF_INET6, ip + 8, s, sizeof(s));
	inet_ntop(AF_INET6, ip + 24, d, sizeof(d));
	out(l, "SRC=%s DST=%s ", s, d);
	out(l, "LEN=%u TC=%u HOPLIMIT=%u FLOWLBL=%u ", be16(ip + 4) + 40u,
	    (unsigned)((be32(ip) >> 20) & 0xff), ip[7], be32(ip) & 0xfffffu);
	log_l4(l, ip[6], ip + 40, avail - 40, flags, true, depth);
}

static void log_l4(struct lbuf *l, uint8_t proto, const uint8_t *t, uint32_t avail,
		   unsigned flags, bool v6, int depth)
{
	switch (proto) {
	case 6:
		log_tcp(l, t, avail, flags);
		return;
	case 17:
		out(l, "PROTO=UDP ");
		if (avail < 8) {
			out(l, "INCOMPLETE [%u bytes] ", avail);
			return;
		}
		out(l, "SPT=%u DPT=%u LEN=%u ", be16(t), be16(t + 2), be16(t + 4));
		return;
	case 1:
	case 58:
		if ((proto == 1) == v6)
			break;
		out(l, "PROTO=%s ", v6 ? "ICMPv6" : "ICMP");
		if (avail < 4) {
			out(l, "INCOMPLETE [%u bytes] ", avail);
			return;
		}
		out(l, "TYPE=%u CODE=%u ", t[0], t[1]);
		if (!v6 && (t[0] == 0 || t[0] == 8) && avail >= 8)
			out(l, "ID=%u SEQ=%u ", be16(t + 4), be16(t + 6));
		else if (v6 && (t[0] == 128 || t[0] == 129) && avail >= 8)
			out(l, "ID=%u SEQ=%u ", be16(t + 4), be16(t + 6));
		else if (!v6 && t[0] == 12 && avail >= 8)
			out(l, "PARAMETER=%u ", t[4] << 0);
		else if (!v6 && t[0] == 5 && avail >= 8)
			out(l, "GATEWAY=%u.%u.%u.%u ", t[4], t[5], t[6], t[7]);
		if ((!v6 && (t[0] == 3 || t[0] == 4 || t[0] == 11 || t[0] == 12 || t[0] == 5)) ||
		    (v6 && t[0] >= 1 && t[0] <= 4)) {
			/* an error: the quoted packet, one level deep */
			if (depth == 0 && avail > 8) {
				out(l, "[");
				log_ip(l, t + 8, avail - 8, flags, 1);
				out(l, "] ");
			}
			if (!v6 && t[0] == 3 && t[1] == 4 && avail >= 8)
				out(l, "MTU=%u ", be16(t + 6));
			if (v6 && t[0] == 2 && avail >= 8)
				out(l, "MTU=%u ", be32(t + 4));
		}
		return;
	default:
		break;
	}
	out(l, "PROTO=%u ", proto);
}

int nft_log_format(const struct ct_pkt *p, const struct nft_meta *m, const char *prefix,
		   unsigned log_flags, char *buf, size_t buflen)
{
	struct lbuf l = { .b = buf, .len = buflen };

	if (buflen)
		buf[0] = 0;
	out(&l, "%sIN=%s OUT=%s ", prefix ? prefix : "", m && m->iifname ? m->iifname : "",
	    m && m->oifname ? m->oifname : "");
	if (m && m->iifname) {
		/* the link header as hex bytes (empty without one) */
		out(&l, "MAC=");
		for (uint32_t i = 0; i < p->l3_off && i < p->len; i++)
			out(&l, i ? ":%02x" : "%02x", p->data[i]);
		out(&l, " ");
	}
	if (p->l3_off < p->len)
		log_ip(&l, p->data + p->l3_off, p->len - p->l3_off, log_flags, 0);
	if (m && m->mark)
		out(&l, "MARK=0x%x ", m->mark);
	/* the kernel's line ends with the separator blank before the newline */
	return (int)l.used;
}
