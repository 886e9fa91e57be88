/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums (RFC 1071) and SCTP's CRC32c (RFC 3309 / RFC 4960
 * appendix B), used to verify L4 checksums where the kernel verifies them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ct_priv.h"

static inline uint32_t ld32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CSUM_LE 1
#else
#define CSUM_LE 0
#endif

static inline uint64_t ld64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return v;
}

/* One's complement add in 64 bits: the carry out comes back in at the bottom. */
static inline uint64_t add_oc(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;

	return r + (r < b);
}

/*
 * The one's complement sum does not depend on byte order (RFC 1071 §2(B)):
 * sum native 64-bit words with end-around carry and swap the bytes of the
 * folded result once, on a little-endian host.  Returns a native-order sum
 * (congruent modulo 0xffff to the sum of the 16-bit words) plus a.  Four
 * accumulators keep the carry chains apart; a TCP header without options
 * is two words and a 32-bit tail.
 */
static inline uint64_t sum_native(const uint8_t *b, size_t len, uint64_t a)
{
	uint64_t a1 = 0, a2 = 0, a3 = 0;

	while (len >= 32) {
		a = add_oc(a, ld64(b));
		a1 = add_oc(a1, ld64(b + 8));
		a2 = add_oc(a2, ld64(b + 16));
		a3 = add_oc(a3, ld64(b + 24));
		b += 32;
		len -= 32;
	}
	if (len & 16) {
		a = add_oc(a, ld64(b));
		a1 = add_oc(a1, ld64(b + 8));
		b += 16;
	}
	if (len & 8) {
		a2 = add_oc(a2, ld64(b));
		b += 8;
	}
	/* 0-7 trailing bytes, zero-padded: an odd last byte is the high byte of its word. */
	if (len & 4) {
		a3 = add_oc(a3, ld32(b));
		b += 4;
	}
	if (len & 2) {
		uint16_t w;

		memcpy(&w, b, 2);
		a1 = add_oc(a1, w);
		b += 2;
	}
	if (len & 1)
		a2 = add_oc(a2, CSUM_LE ? b[0] : (uint32_t)b[0] << 8);
	return add_oc(add_oc(a, a1), add_oc(a2, a3));
}

/* Fold a native-order sum to 16 bits (end-around carry). */
static inline uint32_t fold16(uint64_t a)
{
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffff) + (a >> 16);
	a = (a & 0xffff) + (a >> 16);
	return (uint32_t)((a & 0xffff) + (a >> 16));
}

/* A 16-bit value given in host order, as the native-order sum sees it in memory. */
static inline uint32_t be16_native(uint32_t x)
{
	return CSUM_LE ? ((x & 0xff) << 8) | ((x >> 8) & 0xff) : x & 0xffff;
}

/*
 * The result is the big-endian partial sum, folded to at most 17 bits (so
 * callers can add small terms without overflow) and congruent to the
 * unfolded sum modulo 0xffff: ct_csum_fold gives the same checksum either
 * way.
 */
uint32_t ct_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	uint64_t a = be16_native(fold16(sum_native(buf, len, 0))) + (uint64_t)sum;

	a = (a & 0xffff) + (a >> 16);
	return (uint32_t)((a & 0xffff) + (a >> 16));
}

uint16_t ct_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Pseudo-header (RFC 793 / RFC 8200 §8.1) plus `cover` bytes of the L4
 * header and payload, in one native-order sum: correct iff it folds to
 * 0xffff (the same in either byte order).
 */
static bool l4_sum_ok(const struct ct_pkt *p, const uint8_t *l4, uint32_t cover, uint32_t l4_len,
		      uint8_t proto)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint64_t a = be16_native(proto) + be16_native(l4_len >> 16) + be16_native(l4_len & 0xffff);

	if (p->l3num == 2)
		a = sum_native(ip + 12, 8, a);
	else
		a = sum_native(ip + 8, 32, a);
	return fold16(sum_native(l4, cover, a)) == 0xffff;
}

/* CRC32c, reflected polynomial 0x82F63B78, table built once (read-only after). */
static uint32_t crc32c_byte(uint32_t c)
{
	for (int k = 0; k < 8; k++)
		c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	return c;
}

static uint32_t crc32c(const uint8_t *b, size_t len, uint32_t crc)
{
	static uint32_t tab[256];
	static bool ready;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++)
			tab[i] = crc32c_byte(i);
		ready = true;
	}
	while (len--)
		crc = tab[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}

static bool sctp_crc_ok(const uint8_t *l4, uint32_t len)
{
	uint32_t want, crc;
	static const uint8_t zero[4];

	if (len < 12)
		return false;
	want = (uint32_t)l4[8] | (uint32_t)l4[9] << 8 | (uint32_t)l4[10] << 16 |
	       (uint32_t)l4[11] << 24;
	crc = crc32c(l4, 8, 0xffffffffu);
	crc = crc32c(zero, 4, crc);
	crc = crc32c(l4 + 12, len - 12, crc);
	return ~crc == want;
}

bool ct_pkt_l4_csum_ok(const struct ct_pkt *p)
{
	const uint8_t *l4 = p->data + p->l4_off;
	uint32_t len = p->l4_len;
	uint32_t cover = len;

	if (p->l4_off > p->len || len > p->len - p->l4_off)
		return false;
	switch (p->proto) {
	case 6:
		return len >= 20 && l4_sum_ok(p, l4, len, len, 6);
	case 17:
		if (len < 8)
			return false;
		/* RFC 768: zero means "no checksum"; IPv6 forbids it (RFC 8200). */
		if (l4[6] == 0 && l4[7] == 0)
			return p->l3num == 2;
		return l4_sum_ok(p, l4, len, len, 17);
	case 136:
		/* UDP-Lite (RFC 3828): coverage 0 means the whole datagram. */
		if (len < 8)
			return false;
		cover = (uint32_t)l4[4] << 8 | l4[5];
		if (cover == 0)
			cover = len;
		if (cover < 8 || cover > len)
			return false;
		return l4_sum_ok(p, l4, cover, len, 136);
	case 1:
		return len >= 8 && fold16(sum_native(l4, len, 0)) == 0xffff;
	case 58:
		return len >= 8 && l4_sum_ok(p, l4, len, len, 58);
	case 132:
		return sctp_crc_ok(l4, len);
	default:
		return true;
	}
}
