/* SPDX-License-Identifier: MIT */
/*
 * ct_ip6_walk (lib/ip6.h): the IPv6 extension header walk shared by the
 * parser, the ICMPv6 error quote and NAT.  Table-driven; each case is an
 * IPv6 header plus raw extension headers, walked with the bytes placed
 * right before an unreadable page so a read at or past `end` faults.
 * Expected offsets come from the header lengths of RFC 8200 §4.3-4.6
 * (8-byte units minus 1; fragment header 8 bytes) and RFC 4302 §2.2
 * (AH: 32-bit words minus 2), never from the walker's output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ip6.h"

enum { WHOLE = CT_IP6_WALK_WHOLE, FIRST = CT_IP6_WALK_FIRST_FRAG };

struct wcase {
	int id;
	const char *name;
	uint32_t ip;	  /* bytes before the IPv6 header */
	uint8_t nh;	  /* next header of the fixed header */
	uint8_t ext[64];  /* extension headers, raw */
	uint32_t ext_len; /* bytes of ext used */
	uint32_t tail;	  /* bytes after ext (upper-layer header) */
	int32_t cut;	  /* bytes removed from the end */
	uint32_t flags;
	/* expected */
	int ret;
	uint8_t proto;
	uint32_t l4, frag_hdr;
	uint16_t frag_off;
};

/* Next header, length byte, then zeros to the header's length. */
#define EXT8(nh, len) nh, len, 0, 0, 0, 0, 0, 0
/* Fragment header: offset in bytes (multiple of 8), M flag, identification 0x01020304. */
#define FRAG(nh, off, m) nh, 0, (uint8_t)((off) >> 8), (uint8_t)((off) | (m)), 1, 2, 3, 4

static const struct wcase cases[] = {
    {1,
     "no extension header: TCP right after the fixed header",
     0,
     6,
     {0},
     0,
     20,
     0,
     WHOLE,
     0,
     6,
     40,
     0,
     0},
    {2,
     "hop-by-hop, length 0 (8 bytes), then UDP",
     0,
     0,
     {EXT8(17, 0)},
     8,
     8,
     0,
     WHOLE,
     0,
     17,
     48,
     0,
     0},
    {3,
     "hop-by-hop 16 + routing 8 + destination 8, then TCP",
     0,
     0,
     {EXT8(43, 1), 0, 0, 0, 0, 0, 0, 0, 0, EXT8(60, 0), EXT8(6, 0)},
     32,
     20,
     0,
     WHOLE,
     0,
     6,
     72,
     0,
     0},
    {4,
     "AH, payload length 4: (4 + 2) * 4 = 24 bytes",
     0,
     51,
     {EXT8(6, 4), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     24,
     20,
     0,
     WHOLE,
     0,
     6,
     64,
     0,
     0},
    {5,
     "first fragment (offset 0, M): the walk goes on to TCP",
     0,
     44,
     {FRAG(6, 0, 1)},
     8,
     20,
     0,
     WHOLE,
     0,
     6,
     48,
     40,
     0},
    {6,
     "non-first fragment (offset 1480): stops after the fragment header",
     0,
     44,
     {FRAG(6, 1480, 1)},
     8,
     20,
     0,
     WHOLE,
     0,
     6,
     48,
     40,
     1480},
    {7,
     "destination options then no next header (59)",
     0,
     60,
     {EXT8(59, 0)},
     8,
     4,
     0,
     WHOLE,
     0,
     59,
     48,
     0,
     0},
    {8, "fixed header alone, next header 59", 0, 59, {0}, 0, 0, 0, 0, 0, 59, 40, 0, 0},
    {9, "fixed header cut to 39 bytes", 0, 6, {0}, 0, 0, 1, 0, -EINVAL, 0, 0, 0, 0},
    {10,
     "hop-by-hop of 16 bytes with 8 present, whole headers required",
     0,
     0,
     {EXT8(6, 1)},
     8,
     0,
     0,
     WHOLE,
     -EINVAL,
     0,
     0,
     0,
     0},
    {11,
     "the same, only the read bytes required: L4 offset past the end",
     0,
     0,
     {EXT8(6, 1)},
     8,
     0,
     0,
     0,
     0,
     6,
     56,
     0,
     0},
    {12,
     "AH of 24 bytes with 12 present, whole headers required",
     0,
     51,
     {EXT8(6, 4), 0, 0, 0, 0},
     12,
     0,
     0,
     WHOLE,
     -EINVAL,
     0,
     0,
     0,
     0},
    {13,
     "the same, only the read bytes required",
     0,
     51,
     {EXT8(6, 4), 0, 0, 0, 0},
     12,
     0,
     0,
     0,
     0,
     6,
     64,
     0,
     0},
    {14,
     "fragment header with 4 bytes present, whole headers required",
     0,
     44,
     {FRAG(6, 0, 1)},
     8,
     0,
     4,
     WHOLE,
     -EINVAL,
     0,
     0,
     0,
     0},
    {15,
     "the same, only the read bytes required (offset read: first fragment)",
     0,
     44,
     {FRAG(6, 0, 1)},
     8,
     0,
     4,
     0,
     0,
     6,
     48,
     40,
     0},
    {16,
     "fragment header with 3 bytes present: the offset is not there",
     0,
     44,
     {FRAG(6, 0, 1)},
     8,
     0,
     5,
     0,
     -EINVAL,
     0,
     0,
     0,
     0},
    {17,
     "extension header with 1 byte present: no length byte",
     0,
     60,
     {EXT8(6, 0)},
     8,
     0,
     7,
     0,
     -EINVAL,
     0,
     0,
     0,
     0},
    {18,
     "every fragment header read: the second (offset 8) stops the walk",
     0,
     44,
     {FRAG(44, 0, 1), FRAG(6, 8, 0)},
     16,
     20,
     0,
     0,
     0,
     6,
     56,
     48,
     8},
    {19,
     "first fragment header only: the second is skipped like any header",
     0,
     44,
     {FRAG(44, 0, 1), FRAG(6, 8, 0)},
     16,
     20,
     0,
     WHOLE | FIRST,
     0,
     6,
     56,
     40,
     0},
    {20,
     "two first-fragment headers: the last one read is reported",
     0,
     44,
     {FRAG(44, 0, 1), FRAG(17, 0, 0)},
     16,
     8,
     0,
     0,
     0,
     17,
     56,
     48,
     0},
    {21,
     "a fault after a fragment header keeps the fragment header",
     0,
     44,
     {FRAG(0, 0, 1), EXT8(6, 3)},
     16,
     0,
     0,
     WHOLE,
     -EINVAL,
     0,
     0,
     40,
     0},
    {22,
     "IPv6 behind 14 bytes of link header: offsets count from the buffer",
     14,
     0,
     {EXT8(44, 0), FRAG(58, 0, 0)},
     16,
     8,
     0,
     WHOLE,
     0,
     58,
     70,
     62,
     0},
    {23,
     "unknown next header (253) is the upper layer",
     0,
     60,
     {EXT8(253, 0)},
     8,
     0,
     0,
     WHOLE,
     0,
     253,
     48,
     0,
     0},
};

/* The bytes [0, len) placed so that byte len is the first of an unreadable page. */
struct guard {
	uint8_t *map;
	size_t maplen;
};

static const uint8_t *guard_place(struct guard *g, const uint8_t *buf, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + pg - 1) / pg + 1;
	uint8_t *at;

	g->maplen = (data_pages + 1) * pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data_pages * pg, pg, PROT_NONE), 0);
	at = g->map + data_pages * pg - len;
	memcpy(at, buf, len);
	return at;
}

static void test_walk_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wcase *c = &cases[i];
		uint8_t buf[256] = {0};
		uint32_t len = c->ip + CT_IP6_HLEN + c->ext_len + c->tail - (uint32_t)c->cut;
		struct ct_ip6_chain ch;
		const uint8_t *d;
		struct guard g;
		int ret;

		print_message("case %d: %s\n", c->id, c->name);
		buf[c->ip] = 0x60;
		buf[c->ip + 6] = c->nh;
		memcpy(buf + c->ip + CT_IP6_HLEN, c->ext, c->ext_len);
		memset(buf + c->ip + CT_IP6_HLEN + c->ext_len, 0xab, c->tail);
		d = guard_place(&g, buf, len);
		ret = ct_ip6_walk(d, c->ip, len, c->flags, &ch);
		assert_int_equal(ret, c->ret);
		assert_int_equal(ch.frag_hdr, c->frag_hdr);
		assert_int_equal(ch.frag_off, c->frag_off);
		if (ret == 0) {
			assert_int_equal(ch.proto, c->proto);
			assert_int_equal(ch.l4, c->l4);
		}
		munmap(g.map, g.maplen);
	}
}

/* An IPv6 header offset at or past the end reads nothing. */
static void test_walk_empty(void **state)
{
	struct ct_ip6_chain ch;
	struct guard g;
	const uint8_t *d;
	uint8_t b[1] = {0};

	(void)state;
	d = guard_place(&g, b, 0);
	assert_int_equal(ct_ip6_walk(d, 0, 0, 0, &ch), -EINVAL);
	munmap(g.map, g.maplen);
	d = guard_place(&g, b, 1);
	assert_int_equal(ct_ip6_walk(d, 1, 0, CT_IP6_WALK_WHOLE, &ch), -EINVAL);
	assert_int_equal(ch.frag_hdr, 0);
	munmap(g.map, g.maplen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_cases),
	    cmocka_unit_test(test_walk_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
