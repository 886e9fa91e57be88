/* SPDX-License-Identifier: MIT */
/*
 * NAT for helpers (spec §9.3, §9.4, §10.6): the hooks the FTP and TFTP
 * helpers call when their master is NATed (struct ct_nat_helper_ops,
 * lib/helper_priv.h), as the kernel's nf_nat_ftp, nf_nat_tftp and
 * nf_nat_follow_master behave.  Our own code.
 *
 * FTP: the address and port inside PORT / EPRT / 227 / 229 are rewritten
 * to what the peer must connect to (the master's reply-side view of the
 * sender), the expectation is registered at that port (another one when
 * it is taken), and a change of the payload length is recorded for TCP
 * sequence adjustment (lib/seqadj.c) of every later packet.
 *
 * The expectation carries the original port and the direction; the data
 * connection it lets in is then mapped back (follow_master): its source
 * becomes the address the master's sender talks to, its destination the
 * sender's real address and port.
 *
 * Buffers: the packet is rewritten in place and may grow.  The caller's
 * buffer (lib/fw's work copy) holds l3_off + 65535 bytes at least, the most
 * an IP packet can be; a packet that would exceed 65535 bytes is not
 * mangled, as the kernel's enlarge_skb refuses it, and is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctrack/pkt.h"
#include "helper_priv.h"
#include "nat_priv.h"
#include "seqadj.h"

#define IP_MAXPACKET	    65535u
#define FTP_FIND_PORT_TRIES 128 /* nf_nat_exp_find_port: random tries after the first */

/* ---- the replacement text (nf_nat_ftp_fmt_cmd) ------------------------- */

/* "%pI6": eight groups of four lowercase hex digits, never compressed. */
static int fmt_ipv6_full(char *buf, size_t len, const uint8_t a[16])
{
	return snprintf(buf, len,
			"%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
			"%02x%02x",
			a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
			a[12], a[13], a[14], a[15]);
}

/* Returns the text length, or 0 (the kernel then drops: cannot mangle). */
static size_t ftp_fmt(enum ct_ftp_type type, uint8_t l3num, const uint8_t addr[16], uint16_t port,
		      char *buf, size_t len)
{
	char a6[40];
	int n = 0;

	switch (type) {
	case CT_FTP_PORT:
	case CT_FTP_PASV:
		/* RFC 959 h1,h2,h3,h4,p1,p2 (on IPv6 the first four bytes, as the kernel). */
		n = snprintf(buf, len, "%u,%u,%u,%u,%u,%u", addr[0], addr[1], addr[2], addr[3],
			     port >> 8, port & 0xff);
		break;
	case CT_FTP_EPRT:
		if (l3num == 2) {
			n = snprintf(buf, len, "|1|%u.%u.%u.%u|%u|", addr[0], addr[1], addr[2],
				     addr[3], port);
		} else {
			fmt_ipv6_full(a6, sizeof(a6), addr);
			n = snprintf(buf, len, "|2|%s|%u|", a6, port);
		}
		break;
	case CT_FTP_EPSV:
		n = snprintf(buf, len, "|||%u|", port);
		break;
	}
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* ---- rewriting the TCP payload (nf_nat_mangle_tcp_packet) --------------- */

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IPv4 header checksum, recomputed as ip_send_check does. */
static void ip4_send_check(uint8_t *ip)
{
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;

	ip[10] = ip[11] = 0;
	nat_wr16(ip + 10, ct_csum_fold(ct_csum_partial(ip, ihl, 0)));
}

/*
 * The TCP checksum over the whole segment.  The kernel leaves a mangled
 * packet CHECKSUM_PARTIAL and completes it on transmit, where a folded 0
 * is written as 0xffff.
 */
static void tcp_full_csum(const struct ct_pkt *p, uint8_t *th)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint32_t sum, len = p->l4_len;
	uint8_t ph[4] = {0, 6, (uint8_t)(len >> 8), (uint8_t)len};
	uint16_t c;

	th[16] = th[17] = 0;
	sum = p->l3num == 2 ? ct_csum_partial(ip + 12, 8, 0) : ct_csum_partial(ip + 8, 32, 0);
	sum = ct_csum_partial(ph, sizeof(ph), sum);
	sum += len >> 16;
	sum = ct_csum_partial(th, len, sum);
	c = ct_csum_fold(sum);
	nat_wr16(th + 16, c ? c : 0xffff);
}

/*
 * Replace match_len bytes at payload_off + match_off with rep, moving the
 * rest of the segment, and fix the IP length, the checksums and the
 * packet's parsed lengths.  False when the packet would grow past 65535
 * bytes.
 */
static bool mangle_tcp(struct ct_pkt *p, uint32_t payload_off, uint32_t match_off,
		       uint32_t match_len, const char *rep, uint32_t rep_len)
{
	uint8_t *d = (uint8_t *)(uintptr_t)p->data; /* writable: the caller's work copy */
	uint32_t start = payload_off + match_off;
	uint32_t end = (uint32_t)p->l4_off + p->l4_len; /* end of the segment */
	int32_t delta = (int32_t)rep_len - (int32_t)match_len;
	uint8_t *ip = d + p->l3_off;

	if (start + match_len > end || end > p->len)
		return false;
	if (delta > 0 && p->l3_len + (uint32_t)delta > IP_MAXPACKET)
		return false;
	if (delta)
		memmove(d + start + rep_len, d + start + match_len, end - start - match_len);
	memcpy(d + start, rep, rep_len);
	p->l3_len = (uint32_t)((int32_t)p->l3_len + delta);
	p->l4_len = (uint32_t)((int32_t)p->l4_len + delta);
	p->len = (uint32_t)((int32_t)p->len + delta);
	p->wire_len = (uint32_t)((int32_t)p->wire_len + delta);
	if (p->l3num == 2) {
		nat_wr16(ip + 2, (uint16_t)p->l3_len);
		ip4_send_check(ip);
	} else {
		nat_wr16(ip + 4, (uint16_t)(p->l3_len - 40));
	}
	tcp_full_csum(p, d + p->l4_off);
	return true;
}

/* ---- the expectation ------------------------------------------------------ */

/* Remove the expectation of `master` at dst port `port` (nf_ct_unexpect_related). */
static void unexpect(struct ct_table *t, const struct ct_conn *master, const struct ct_tuple *tu,
		     uint64_t now)
{
	struct ct_expect_iter it;
	const struct ct_expect *e;
	struct ct_expect_info info;

	ct_expect_iter_init(&it);
	while ((e = ct_expect_iter_next(t, &it, now)) != NULL) {
		if (ct_expect_master(e) != master)
			continue;
		ct_expect_get(t, e, now, &info);
		if (info.tuple.dst_l4 == tu->dst_l4 && info.tuple.proto == tu->proto &&
		    memcmp(info.tuple.dst, tu->dst, 16) == 0) {
			ct_expect_delete(t, e, now);
			return;
		}
	}
}

/*
 * nf_nat_exp_find_port: the announced port if it can be expected, else up
 * to 128 random ports in [port, 65535) while the failure is a clash with
 * another expectation.  0 when none.
 */
static uint16_t exp_find_port(struct ct_table *t, struct ct_conn *master,
			      struct ct_expect_spec *exp, uint64_t now)
{
	uint16_t port = exp->tuple.dst_l4, min = port;
	uint32_t range = 65535u - port;
	uint32_t left = range < FTP_FIND_PORT_TRIES ? range : FTP_FIND_PORT_TRIES;
	struct nat_state *n = nat_state_get(t);

	for (;;) {
		int err;

		exp->tuple.dst_l4 = port;
		err = ct_expect_create(t, master, exp, now);
		if (err == 0)
			return port;
		if (err != -EBUSY || left == 0 || !n)
			return 0;
		left--;
		port = (uint16_t)(min + nat_random_u16(n) % range);
	}
}

/* ---- the hooks -------------------------------------------------------------- */

static enum ct_verdict nat_ftp(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
			       uint32_t payload_off, const struct ct_ftp_match *m,
			       struct ct_expect_spec *exp, uint64_t now)
{
	enum ct_dir dir = (enum ct_dir)p->dir;
	struct ct_tuple peer;
	char text[sizeof("|2|") + 40 + sizeof("|65535|")];
	uint32_t seq;
	uint16_t port;
	size_t n;

	/* The data connection comes from where this packet goes: the peer's tuple. */
	ct_conn_tuple(c, !dir, &peer);
	exp->nat = true;
	exp->nat_dir = (uint8_t)dir;
	memcpy(exp->saved_addr, m->addr, 16);
	exp->saved_l4 = exp->tuple.dst_l4;
	port = exp_find_port(t, c, exp, now);
	if (!port)
		return CT_V_DROP; /* "all ports in use" */
	n = ftp_fmt(m->type, c->l3num, peer.dst, port, text, sizeof(text));
	seq = rd32(p->data + p->l4_off + 4);
	if (!n || !mangle_tcp(p, payload_off, m->off, m->len, text, (uint32_t)n)) {
		unexpect(t, c, &exp->tuple, now); /* "cannot mangle packet" */
		return CT_V_DROP;
	}
	/* The rewritten segment keeps its seq; later ones move (lib/seqadj.c). */
	if (n != m->len)
		ct_seqadj_set(t, c, dir, seq, (int32_t)n - (int32_t)m->len);
	return CT_V_ACCEPT;
}

static enum ct_verdict nat_tftp(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				struct ct_expect_spec *exp, uint64_t now)
{
	struct ct_tuple orig;

	/* The server answers the client's NATed address; map it back to its port. */
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &orig);
	exp->nat = true;
	exp->nat_dir = CT_DIR_ORIGINAL;
	memcpy(exp->saved_addr, orig.src, 16);
	exp->saved_l4 = orig.src_l4;
	(void)p;
	return ct_expect_create(t, c, exp, now) == 0 ? CT_V_ACCEPT : CT_V_DROP;
}

/*
 * nf_nat_follow_master: SRC to the address the master's sender talks to
 * (master tuple[nat_dir].dst), DST to the sender itself at the saved port
 * (tuple[nat_dir].src).  Each setup sets its *_NAT_DONE bit, and SRC_NAT /
 * DST_NAT when the tuple changed.
 */
static void nat_follow_master(struct ct_table *t, struct ct_conn *c, const struct ct_conn *master,
			      const struct ct_expect_info *e, uint64_t now)
{
	struct nat_range r = {.flags = NAT_RANGE_MAP_IPS};
	struct ct_tuple mt;

	ct_conn_tuple(master, (enum ct_dir)e->nat_dir, &mt);
	memcpy(r.min_addr, mt.dst, 16);
	memcpy(r.max_addr, mt.dst, 16);
	nat_setup(t, c, &r, NAT_MANIP_SRC, now);
	r.flags = NAT_RANGE_MAP_IPS | NAT_RANGE_PROTO_SPECIFIED;
	r.min_proto = r.max_proto = e->saved_l4;
	memcpy(r.min_addr, mt.src, 16);
	memcpy(r.max_addr, mt.src, 16);
	nat_setup(t, c, &r, NAT_MANIP_DST, now);
}

const struct ct_nat_helper_ops nat_helper_ops = {
    .ftp = nat_ftp,
    .tftp = nat_tftp,
    .follow_master = nat_follow_master,
};
