/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums (RFC 1071) and SCTP's CRC32c (RFC 3309 / RFC 4960
 * appendix B), used to verify L4 checksums where the kernel verifies them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct_priv.h"

uint32_t ct_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	uint64_t acc = sum;

	/*
	 * Sum big-endian 32-bit words into 64 bits (no carry is lost before
	 * 2^32 words), then the 16-bit tail; the one's complement sum is the
	 * same whatever the grouping (RFC 1071 §2).
	 */
	while (len >= 4) {
		acc += (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)b[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t ct_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum (RFC 793 / RFC 8200 §8.1) for the packet's addresses. */
static uint32_t pseudo_sum(const struct ct_pkt *p, uint32_t l4_len, uint8_t proto)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint32_t sum;

	if (p->l3num == 2) {
		sum = ct_csum_partial(ip + 12, 8, 0);
	} else {
		sum = ct_csum_partial(ip + 8, 32, 0);
	}
	sum = ct_csum_partial((const uint8_t[]){0, proto}, 2, sum);
	sum += l4_len >> 16;
	sum = ct_csum_partial((const uint8_t[]){(uint8_t)(l4_len >> 8), (uint8_t)l4_len}, 2, sum);
	return sum;
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
		return len >= 20 && ct_csum_fold(ct_csum_partial(l4, len, pseudo_sum(p, len, 6))) == 0;
	case 17:
		if (len < 8)
			return false;
		/* RFC 768: zero means "no checksum"; IPv6 forbids it (RFC 8200). */
		if (l4[6] == 0 && l4[7] == 0)
			return p->l3num == 2;
		return ct_csum_fold(ct_csum_partial(l4, len, pseudo_sum(p, len, 17))) == 0;
	case 136:
		/* UDP-Lite (RFC 3828): coverage 0 means the whole datagram. */
		if (len < 8)
			return false;
		cover = (uint32_t)l4[4] << 8 | l4[5];
		if (cover == 0)
			cover = len;
		if (cover < 8 || cover > len)
			return false;
		return ct_csum_fold(ct_csum_partial(l4, cover, pseudo_sum(p, len, 136))) == 0;
	case 1:
		return len >= 8 && ct_csum_fold(ct_csum_partial(l4, len, 0)) == 0;
	case 58:
		return len >= 8 && ct_csum_fold(ct_csum_partial(l4, len, pseudo_sum(p, len, 58))) == 0;
	case 132:
		return sctp_crc_ok(l4, len);
	default:
		return true;
	}
}
