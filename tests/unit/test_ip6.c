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

#include "ip6.h"
#include "pkt_build.h"

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
#define ZERO8	      0, 0, 0, 0, 0, 0, 0, 0
/* Fragment header: offset in bytes (multiple of 8), M flag, identification 0x01020304. */
#define FRAG(nh, off, m) nh, 0, (uint8_t)((off) >> 8), (uint8_t)((off) | (m)), 1, 2, 3, 4

static const struct wcase cases[] = {
    {.id = 1,
     .name = "no extension header: TCP right after the fixed header",
     .nh = 6,
     .tail = 20,
     .flags = WHOLE,
     .proto = 6,
     .l4 = 40},
    {.id = 2,
     .name = "hop-by-hop, length 0 (8 bytes), then UDP",
     .ext = {EXT8(17, 0)},
     .ext_len = 8,
     .tail = 8,
     .flags = WHOLE,
     .proto = 17,
     .l4 = 48},
    {.id = 3,
     .name = "hop-by-hop 16 + routing 8 + destination 8, then TCP",
     .ext = {EXT8(43, 1), ZERO8, EXT8(60, 0), EXT8(6, 0)},
     .ext_len = 32,
     .tail = 20,
     .flags = WHOLE,
     .proto = 6,
     .l4 = 72},
    {.id = 4,
     .name = "AH, payload length 4: (4 + 2) * 4 = 24 bytes",
     .nh = 51,
     .ext = {EXT8(6, 4), ZERO8, ZERO8},
     .ext_len = 24,
     .tail = 20,
     .flags = WHOLE,
     .proto = 6,
     .l4 = 64},
    {.id = 5,
     .name = "first fragment (offset 0, M): the walk goes on to TCP",
     .nh = 44,
     .ext = {FRAG(6, 0, 1)},
     .ext_len = 8,
     .tail = 20,
     .flags = WHOLE,
     .proto = 6,
     .l4 = 48,
     .frag_hdr = 40},
    {.id = 6,
     .name = "non-first fragment (offset 1480): stops after the fragment header",
     .nh = 44,
     .ext = {FRAG(6, 1480, 1)},
     .ext_len = 8,
     .tail = 20,
     .flags = WHOLE,
     .proto = 6,
     .l4 = 48,
     .frag_hdr = 40,
     .frag_off = 1480},
    {.id = 7,
     .name = "destination options then no next header (59)",
     .nh = 60,
     .ext = {EXT8(59, 0)},
     .ext_len = 8,
     .tail = 4,
     .flags = WHOLE,
     .proto = 59,
     .l4 = 48},
    {.id = 8, .name = "fixed header alone, next header 59", .nh = 59, .proto = 59, .l4 = 40},
    {.id = 9, .name = "fixed header cut to 39 bytes", .nh = 6, .cut = 1, .ret = -EINVAL},
    {.id = 10,
     .name = "hop-by-hop of 16 bytes with 8 present, whole headers required",
     .ext = {EXT8(6, 1)},
     .ext_len = 8,
     .flags = WHOLE,
     .ret = -EINVAL},
    {.id = 11,
     .name = "the same, only the read bytes required: L4 offset past the end",
     .ext = {EXT8(6, 1)},
     .ext_len = 8,
     .proto = 6,
     .l4 = 56},
    {.id = 12,
     .name = "AH of 24 bytes with 12 present, whole headers required",
     .nh = 51,
     .ext = {EXT8(6, 4), 0, 0, 0, 0},
     .ext_len = 12,
     .flags = WHOLE,
     .ret = -EINVAL},
    {.id = 13,
     .name = "the same, only the read bytes required",
     .nh = 51,
     .ext = {EXT8(6, 4), 0, 0, 0, 0},
     .ext_len = 12,
     .proto = 6,
     .l4 = 64},
    {.id = 14,
     .name = "fragment header with 4 bytes present, whole headers required",
     .nh = 44,
     .ext = {FRAG(6, 0, 1)},
     .ext_len = 8,
     .cut = 4,
     .flags = WHOLE,
     .ret = -EINVAL},
    {.id = 15,
     .name = "the same, only the read bytes required (offset read: first fragment)",
     .nh = 44,
     .ext = {FRAG(6, 0, 1)},
     .ext_len = 8,
     .cut = 4,
     .proto = 6,
     .l4 = 48,
     .frag_hdr = 40},
    {.id = 16,
     .name = "fragment header with 3 bytes present: the offset is not there",
     .nh = 44,
     .ext = {FRAG(6, 0, 1)},
     .ext_len = 8,
     .cut = 5,
     .ret = -EINVAL},
    {.id = 17,
     .name = "extension header with 1 byte present: no length byte",
     .nh = 60,
     .ext = {EXT8(6, 0)},
     .ext_len = 8,
     .cut = 7,
     .ret = -EINVAL},
    {.id = 18,
     .name = "every fragment header read: the second (offset 8) stops the walk",
     .nh = 44,
     .ext = {FRAG(44, 0, 1), FRAG(6, 8, 0)},
     .ext_len = 16,
     .tail = 20,
     .proto = 6,
     .l4 = 56,
     .frag_hdr = 48,
     .frag_off = 8},
    {.id = 19,
     .name = "first fragment header only: the second is skipped like any header",
     .nh = 44,
     .ext = {FRAG(44, 0, 1), FRAG(6, 8, 0)},
     .ext_len = 16,
     .tail = 20,
     .flags = WHOLE | FIRST,
     .proto = 6,
     .l4 = 56,
     .frag_hdr = 40},
    {.id = 20,
     .name = "two first-fragment headers: the last one read is reported",
     .nh = 44,
     .ext = {FRAG(44, 0, 1), FRAG(17, 0, 0)},
     .ext_len = 16,
     .tail = 8,
     .proto = 17,
     .l4 = 56,
     .frag_hdr = 48},
    {.id = 21,
     .name = "a fault after a fragment header keeps the fragment header",
     .nh = 44,
     .ext = {FRAG(0, 0, 1), EXT8(6, 3)},
     .ext_len = 16,
     .flags = WHOLE,
     .ret = -EINVAL,
     .frag_hdr = 40},
    {.id = 22,
     .name = "IPv6 behind 14 bytes of link header: offsets count from the buffer",
     .ip = 14,
     .ext = {EXT8(44, 0), FRAG(58, 0, 0)},
     .ext_len = 16,
     .tail = 8,
     .flags = WHOLE,
     .proto = 58,
     .l4 = 70,
     .frag_hdr = 62},
    {.id = 23,
     .name = "unknown next header (253) is the upper layer",
     .nh = 60,
     .ext = {EXT8(253, 0)},
     .ext_len = 8,
     .flags = WHOLE,
     .proto = 253,
     .l4 = 48},
};

static void test_walk_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wcase *c = &cases[i];
		uint8_t buf[256] = {0};
		uint32_t len = c->ip + CT_IP6_HLEN + c->ext_len + c->tail - (uint32_t)c->cut;
		struct ct_ip6_chain ch;
		const uint8_t *d;
		struct pk_guard g;
		int ret;

		print_message("case %d: %s\n", c->id, c->name);
		buf[c->ip] = 0x60;
		buf[c->ip + 6] = c->nh;
		memcpy(buf + c->ip + CT_IP6_HLEN, c->ext, c->ext_len);
		memset(buf + c->ip + CT_IP6_HLEN + c->ext_len, 0xab, c->tail);
		d = pk_guard_place(&g, buf, len);
		assert_non_null(d);
		ret = ct_ip6_walk(d, c->ip, len, c->flags, &ch);
		assert_int_equal(ret, c->ret);
		assert_int_equal(ch.frag_hdr, c->frag_hdr);
		assert_int_equal(ch.frag_off, c->frag_off);
		if (ret == 0) {
			assert_int_equal(ch.proto, c->proto);
			assert_int_equal(ch.l4, c->l4);
		}
		pk_guard_free(&g);
	}
}

/* Header lengths: RFC 8200 §4.3-4.6 (8-byte units minus 1, fragment 8), RFC 4302 §2.2 (AH). */
static void test_ext_len(void **state)
{
	static const struct {
		uint8_t nh, len_byte;
		uint32_t want;
	} v[] = {
	    {CT_IP6_NH_HOP, 0, 8},	{CT_IP6_NH_ROUTING, 1, 16},   {CT_IP6_NH_DEST, 255, 2048},
	    {CT_IP6_NH_AUTH, 4, 24},	{CT_IP6_NH_AUTH, 0, 8},	      {CT_IP6_NH_AUTH, 255, 1028},
	    {CT_IP6_NH_FRAGMENT, 0, 8}, {CT_IP6_NH_FRAGMENT, 200, 8},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t h[2] = {6, v[i].len_byte};

		assert_int_equal(ct_ip6_ext_len(v[i].nh, h), v[i].want);
	}
}

/* An IPv6 header offset at or past the end reads nothing. */
static void test_walk_empty(void **state)
{
	struct ct_ip6_chain ch;
	struct pk_guard g;
	const uint8_t *d;
	uint8_t b[1] = {0};

	(void)state;
	d = pk_guard_place(&g, b, 0);
	assert_non_null(d);
	assert_int_equal(ct_ip6_walk(d, 0, 0, 0, &ch), -EINVAL);
	pk_guard_free(&g);
	d = pk_guard_place(&g, b, 1);
	assert_non_null(d);
	assert_int_equal(ct_ip6_walk(d, 1, 0, CT_IP6_WALK_WHOLE, &ch), -EINVAL);
	assert_int_equal(ch.frag_hdr, 0);
	pk_guard_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_cases),
	    cmocka_unit_test(test_walk_empty),
	    cmocka_unit_test(test_ext_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
