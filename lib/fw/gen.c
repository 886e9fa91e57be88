/* SPDX-License-Identifier: MIT */
/*
 * Packets the firewall makes itself (spec §11.3): TCP resets, ICMP/ICMPv6
 * errors and echo replies, built as Linux builds them; and the TTL decrement
 * of forwarding.
 */
#include <string.h>

#include "fw_priv.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A deterministic stand-in for the kernel's unpredictable IPv4 IDs. */
static uint16_t next_ip_id(void)
{
	static uint32_t ctr = 0x1d2c;

	ctr = ctr * 1103515245u + 12345u;
	return (uint16_t)(ctr >> 16);
}

static uint32_t ip4_header(uint8_t *b, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
			   uint32_t l4len, uint8_t tos, uint16_t id, bool df)
{
	uint32_t tot = 20 + l4len;

	b[0] = 0x45;
	b[1] = tos;
	put16(b + 2, (uint16_t)tot);
	put16(b + 4, id);
	put16(b + 6, df ? 0x4000 : 0);
	b[8] = 64;
	b[9] = proto;
	put16(b + 10, 0);
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	put16(b + 10, ct_csum_fold(ct_csum_partial(b, 20, 0)));
	return 20;
}

static uint32_t ip6_header(uint8_t *b, const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
			   uint32_t l4len, uint8_t tclass)
{
	put32(b, 6u << 28 | (uint32_t)tclass << 20);
	put16(b + 4, (uint16_t)l4len);
	b[6] = nh;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

/* L4 checksum with the pseudo-header of the IP header at ip. */
static uint16_t l4_csum(const uint8_t *ip, uint8_t l3num, const uint8_t *l4, uint32_t len,
			uint8_t proto)
{
	uint32_t sum;

	if (l3num == 2)
		sum = ct_csum_partial(ip + 12, 8, 0);
	else
		sum = ct_csum_partial(ip + 8, 32, 0);
	sum += proto;
	sum += len;
	return ct_csum_fold(ct_csum_partial(l4, len, sum));
}

/* The TOS / traffic class byte of the packet at ip. */
static uint8_t ds_field(const uint8_t *ip, uint8_t l3num)
{
	return l3num == 2 ? ip[1] : (uint8_t)((get32(ip) >> 20) & 0xff);
}

uint32_t fw_gen_tcp_reset(const struct ct_pkt *o, bool reflect_ds, uint8_t *buf, uint32_t cap)
{
	const uint8_t *ip = o->data + o->l3_off, *th = o->data + o->l4_off;
	uint32_t doff, payload, seq, ack, hl;
	uint8_t flags, *t, ds = 0;

	if (o->proto != 6 || o->l4_len < 20 || cap < 60)
		return 0;
	flags = th[13];
	if (flags & 0x04)
		return 0; /* never answer a RST */
	doff = (uint32_t)(th[12] >> 4) * 4;
	payload = o->l4_len > doff ? o->l4_len - doff : 0;
	/*
	 * The TCP stack's reset (tcp_v4_send_reset / tcp_v6_send_reset) copies
	 * the segment's TOS / traffic class without the ECN bits; the reset of
	 * a `reject with tcp reset` rule (nf_send_reset) is built with 0.
	 */
	if (reflect_ds)
		ds = ds_field(ip, o->l3num) & (uint8_t)~0x03;
	if (o->l3num == 2)
		hl = ip4_header(buf, ip + 16, ip + 12, 6, 20, ds, 0, true);
	else
		hl = ip6_header(buf, o->tuple.dst, o->tuple.src, 6, 20, ds);
	t = buf + hl;
	memset(t, 0, 20);
	memcpy(t, th + 2, 2); /* ports swapped */
	memcpy(t + 2, th, 2);
	if (flags & 0x10) {
		/* The segment had ACK: RST with seq = its ack. */
		seq = get32(th + 8);
		ack = 0;
		t[13] = 0x04;
	} else {
		/* RST+ACK acking everything the segment occupied. */
		seq = 0;
		ack = get32(th + 4) + payload + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
		t[13] = 0x14;
	}
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	put16(t + 16, l4_csum(buf, o->l3num, t, 20, 6));
	return hl + 20;
}

static bool addr_multicast(uint8_t l3num, const uint8_t *a)
{
	if (l3num == 2)
		return (a[0] & 0xf0) == 0xe0 || (a[0] == 255 && a[1] == 255 && a[2] == 255 &&
						 a[3] == 255);
	return a[0] == 0xff;
}

static bool addr_zero(uint8_t l3num, const uint8_t *a)
{
	static const uint8_t z[16];

	return memcmp(a, z, l3num == 2 ? 4 : 16) == 0;
}

/* RFC 1122 3.2.2 / RFC 4443 2.4 (e): when an error must not be sent. */
static bool icmp_error_allowed(const struct ct_pkt *o)
{
	const uint8_t *l4 = o->data + o->l4_off;

	if (o->is_frag && !o->frag_first)
		return false;
	if (addr_multicast(o->l3num, o->tuple.dst) || addr_multicast(o->l3num, o->tuple.src) ||
	    addr_zero(o->l3num, o->tuple.src))
		return false;
	if (o->proto == 1 && o->l4_len >= 1) {
		uint8_t ty = l4[0];

		/* never about an ICMP error */
		if (ty == 3 || ty == 4 || ty == 5 || ty == 11 || ty == 12)
			return false;
	}
	if (o->proto == 58 && o->l4_len >= 1 && l4[0] < 128)
		return false;
	return true;
}

uint32_t fw_gen_icmp_error(const struct ct_pkt *o, const uint8_t src[16], uint8_t type,
			   uint8_t code, uint8_t *buf, uint32_t cap)
{
	const uint8_t *ip = o->data + o->l3_off;
	uint32_t hl, quote, avail, limit;
	uint8_t *ic;

	if (!icmp_error_allowed(o))
		return 0;
	avail = o->len - o->l3_off;
	if (avail > o->l3_len)
		avail = o->l3_len;
	/* The whole error fits 576 bytes (IPv4) or the minimum MTU 1280 (IPv6). */
	limit = o->l3num == 2 ? 576 - 20 - 8 : 1280 - 40 - 8;
	quote = avail < limit ? avail : limit;
	if (cap < quote + 48)
		return 0;
	hl = o->l3num == 2 ? 20 : 40;
	ic = buf + hl;
	ic[0] = type;
	ic[1] = code;
	put16(ic + 2, 0);
	put32(ic + 4, 0);
	memcpy(ic + 8, ip, quote);
	if (o->l3num == 2) {
		/* icmp_send: the offender's TOS bits (RT_TOS, mask 0x1e) with
		 * precedence "internetwork control" (0xc0). */
		ip4_header(buf, src, ip + 12, 1, 8 + quote, (uint8_t)((ip[1] & 0x1e) | 0xc0),
			   next_ip_id(), false);
		put16(ic + 2, ct_csum_fold(ct_csum_partial(ic, 8 + quote, 0)));
	} else {
		ip6_header(buf, src, ip + 8, 58, 8 + quote, 0);
		put16(ic + 2, l4_csum(buf, 10, ic, 8 + quote, 58));
	}
	return hl + 8 + quote;
}

uint32_t fw_gen_echo_reply(const struct ct_pkt *o, const uint8_t *src, uint8_t *buf, uint32_t cap)
{
	const uint8_t *ip = o->data + o->l3_off, *l4 = o->data + o->l4_off;
	uint32_t len = o->l4_len, hl;
	uint8_t *ic;

	if (len < 8 || o->l4_off + len > o->len)
		return 0;
	if (addr_multicast(o->l3num, o->tuple.src))
		return 0;
	hl = o->l3num == 2 ? 20 : 40;
	if (cap < hl + len)
		return 0;
	ic = buf + hl;
	memcpy(ic, l4, len);
	put16(ic + 2, 0);
	if (o->l3num == 2) {
		if (l4[0] != 8)
			return 0;
		ic[0] = 0;
		/* The request's TOS is kept (icmp_reply); no DF; TTL 64. */
		ip4_header(buf, src ? src : ip + 16, ip + 12, 1, len, ip[1], next_ip_id(), false);
		put16(ic + 2, ct_csum_fold(ct_csum_partial(ic, len, 0)));
	} else {
		uint8_t tclass = (uint8_t)((get32(ip) >> 20) & 0xff);

		if (l4[0] != 128)
			return 0;
		ic[0] = 129;
		ip6_header(buf, src ? src : ip + 24, ip + 8, 58, len, tclass);
		put16(ic + 2, l4_csum(buf, 10, ic, len, 58));
	}
	return hl + len;
}

uint32_t fw_gen_nd_advert(const struct ct_pkt *o, const uint8_t mac[6], bool router,
			  uint8_t *buf, uint32_t cap)
{
	const uint8_t *ip = o->data + o->l3_off, *ns = o->data + o->l4_off;
	bool mcast = ip[24] == 0xff;
	uint32_t len = mcast ? 32 : 24;
	uint8_t *na = buf + 40;

	if (cap < 40 + 32 || o->l4_len < 24)
		return 0;
	/*
	 * ndisc_send_na for a solicitation of one of our addresses: from the
	 * target to the soliciter, hop limit 255; Solicited, Router when
	 * forwarding, and for a multicast solicitation Override and our
	 * link-layer address (a unicast probe gets neither).
	 */
	memset(na, 0, len);
	na[0] = 136;
	na[4] = (uint8_t)((router ? 0x80 : 0) | 0x40 | (mcast ? 0x20 : 0));
	memcpy(na + 8, ns + 8, 16);
	if (mcast) {
		na[24] = 2; /* target link-layer address */
		na[25] = 1;
		memcpy(na + 26, mac, 6);
	}
	ip6_header(buf, ns + 8, ip + 8, 58, len, 0);
	buf[7] = 255;
	put16(na + 2, l4_csum(buf, 10, na, len, 58));
	return 40 + len;
}

void fw_ip4_record_route(uint8_t *ip, const uint8_t addr[4])
{
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4, i = 20;

	while (i < hl) {
		uint8_t *o = ip + i, len;

		if (o[0] == 0) /* end of options */
			return;
		if (o[0] == 1) { /* no-op */
			i++;
			continue;
		}
		len = i + 1 < hl ? o[1] : 0;
		if (len < 2 || i + len > hl)
			return;
		if (o[0] == 7 && len >= 3 && o[2] >= 4 && (uint32_t)o[2] + 3 <= len) {
			/* ip_options_compile + ip_forward_options: the next slot
			 * takes the address we send from, the pointer moves on. */
			memcpy(o + o[2] - 1, addr, 4);
			o[2] = (uint8_t)(o[2] + 4);
			put16(ip + 10, 0);
			put16(ip + 10, ct_csum_fold(ct_csum_partial(ip, hl, 0)));
			return;
		}
		i += len;
	}
}

void fw_dec_ttl(uint8_t *ip, uint8_t l3num)
{
	if (l3num == 2) {
		/* RFC 1624 incremental update: the TTL is the high byte of word 4. */
		uint32_t sum = (uint16_t)~((uint32_t)ip[10] << 8 | ip[11]);

		sum += (uint16_t)~((uint32_t)ip[8] << 8 | ip[9]);
		ip[8]--;
		sum += (uint32_t)ip[8] << 8 | ip[9];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, (uint16_t)~sum);
	} else {
		ip[7]--;
	}
}
