/* SPDX-License-Identifier: MIT */
/*
 * Test-only packet building blocks, header-only so that every test stays
 * one binary: big-endian loads and stores, the RFC 1071 Internet checksum
 * and the RFC 793 / RFC 8200 pseudo-header sums (computed here, not with
 * lib/csum.c, so a checksum bug in the library cannot hide in the test),
 * IPv4 / Ethernet / TCP headers, and a guard page that makes any read past
 * a packet fault.  pktbuild.h builds parsed packets and sessions on top.
 */
#ifndef CTRACK_TEST_PKT_BUILD_H
#define CTRACK_TEST_PKT_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- byte order (network order on the wire) ---- */

static inline void pk_wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void pk_wr32(uint8_t *b, uint32_t v)
{
	pk_wr16(b, (uint16_t)(v >> 16));
	pk_wr16(b + 2, (uint16_t)v);
}

static inline uint16_t pk_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t pk_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- RFC 1071 checksum ---- */

/* Adds the 16-bit words of b to s, an odd last byte padded with zero; not folded. */
static inline uint32_t pk_sum16(const uint8_t *b, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

/* Folds the carries back in and complements: the checksum field's value. */
static inline uint16_t pk_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline uint16_t pk_csum(const uint8_t *b, size_t n, uint32_t s)
{
	return pk_fold(pk_sum16(b, n, s));
}

/* Pseudo-header sums of the IPv4 (RFC 793) and IPv6 (RFC 8200 §8.1) header at ip. */
static inline uint32_t pk_pseudo4(const uint8_t *ip, uint8_t proto, uint32_t len)
{
	return pk_sum16(ip + 12, 8, 0) + proto + len;
}

static inline uint32_t pk_pseudo6(const uint8_t *ip, uint8_t proto, uint32_t len)
{
	return pk_sum16(ip + 8, 32, 0) + proto + (len >> 16) + (len & 0xffff);
}

/* ---- addresses and headers ---- */

/* An IPv4 address x.y.z.w in a 16-byte address field (the rest zero). */
static inline void pk_addr4(uint8_t a[16], int x, int y, int z, int w)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)x;
	a[1] = (uint8_t)y;
	a[2] = (uint8_t)z;
	a[3] = (uint8_t)w;
}

/*
 * A 20-byte IPv4 header (no options, TOS 0) before l4len bytes of payload,
 * with its header checksum.  frag is the flags + fragment offset field.
 */
static inline void pk_ip4_hdr(uint8_t *ip, const uint8_t src[4], const uint8_t dst[4],
			      uint8_t proto, uint8_t ttl, uint16_t id, uint16_t frag,
			      uint32_t l4len)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	pk_wr16(ip + 2, (uint16_t)(20 + l4len));
	pk_wr16(ip + 4, id);
	pk_wr16(ip + 6, frag);
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	pk_wr16(ip + 10, pk_csum(ip, 20, 0));
}

/* An Ethernet II header (14 bytes). */
static inline void pk_eth_hdr(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
			      uint16_t etype)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	pk_wr16(f + 12, etype);
}

/* A 20-byte TCP header (no options, urgent pointer 0); the checksum is left 0. */
static inline void pk_tcp_hdr(uint8_t *t, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
			      uint8_t flags, uint16_t win)
{
	memset(t, 0, 20);
	pk_wr16(t, sp);
	pk_wr16(t + 2, dp);
	pk_wr32(t + 4, seq);
	pk_wr32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	pk_wr16(t + 14, win);
}

/* ---- guard page ---- */

/* len bytes placed so that the byte after them is the first of an unreadable page. */
struct pk_guard {
	uint8_t *map;
	size_t maplen;
};

/* Returns where the copy of buf starts, NULL if the mapping failed. */
static inline const uint8_t *pk_guard_place(struct pk_guard *g, const uint8_t *buf, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + pg - 1) / pg + 1;
	uint8_t *at;

	g->maplen = (data_pages + 1) * pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return NULL;
	if (mprotect(g->map + data_pages * pg, pg, PROT_NONE) != 0) {
		munmap(g->map, g->maplen);
		return NULL;
	}
	at = g->map + data_pages * pg - len;
	if (len)
		memcpy(at, buf, len);
	return at;
}

static inline void pk_guard_free(struct pk_guard *g)
{
	munmap(g->map, g->maplen);
}

#endif
