/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071) against a naive reference: 16-bit
 * big-endian words summed with end-around carry, an odd last byte padded
 * with zero.  Every length 0..600 at every start offset 0..7, random and
 * all-0xff contents, chained partial sums, and TCP/UDP verification of
 * real-shaped IPv4 and IPv6 segments with a single bit flipped anywhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/pkt.h"

static uint32_t ref_sum(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

/* ct_csum_fold(ct_csum_partial()) equals the reference's complement. */
static void test_partial_lengths_offsets(void **state)
{
	static uint8_t buf[608 + 8];

	(void)state;
	for (int fill = 0; fill < 3; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = fill == 0 ? rnd8() : fill == 1 ? 0xff : 0;
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len <= 600; len++) {
				uint32_t want = ref_sum(buf + off, len, 0);
				uint32_t got = ct_csum_partial(buf + off, len, 0);

				assert_int_equal(ct_csum_fold(got), (uint16_t)~want);
			}
	}
}

/* Chaining: the sum of a buffer in two even-length pieces is the sum of the whole. */
static void test_partial_chained(void **state)
{
	uint8_t buf[256];

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t len = 2 + rnd8(), cut = (rnd8() % (len / 2 + 1)) * 2;
		uint32_t whole, parts;

		for (size_t i = 0; i < len; i++)
			buf[i] = rnd8();
		whole = ct_csum_partial(buf, len, 0);
		parts = ct_csum_partial(buf + cut, len - cut, ct_csum_partial(buf, cut, 0));
		assert_int_equal(ct_csum_fold(whole), ct_csum_fold(parts));
		assert_int_equal(ct_csum_fold(whole), (uint16_t)~ref_sum(buf, len, 0));
	}
}

/* An IPv4 or IPv6 frame (raw IP) with a TCP or UDP segment of plen payload bytes. */
static size_t mk_segment(uint8_t *f, bool v6, uint8_t proto, size_t plen)
{
	size_t l3 = v6 ? 40 : 20, l4 = proto == 6 ? 20 : 8, n = l3 + l4 + plen;
	uint8_t *h = f + l3;
	uint32_t sum;

	memset(f, 0, n);
	if (v6) {
		f[0] = 0x60;
		f[4] = (uint8_t)((l4 + plen) >> 8);
		f[5] = (uint8_t)(l4 + plen);
		f[6] = proto;
		f[7] = 64;
		for (int i = 0; i < 32; i++)
			f[8 + i] = rnd8();
	} else {
		f[0] = 0x45;
		f[2] = (uint8_t)(n >> 8);
		f[3] = (uint8_t)n;
		f[8] = 64;
		f[9] = proto;
		for (int i = 0; i < 8; i++)
			f[12 + i] = rnd8();
		sum = ref_sum(f, 20, 0);
		f[10] = (uint8_t)(~sum >> 8);
		f[11] = (uint8_t)~sum;
	}
	for (size_t i = 0; i < l4 + plen; i++)
		h[i] = rnd8();
	if (proto == 6) {
		h[12] = 0x50;
		h[16] = h[17] = 0;
	} else {
		h[4] = (uint8_t)((l4 + plen) >> 8);
		h[5] = (uint8_t)(l4 + plen);
		h[6] = h[7] = 0;
	}
	/* Pseudo-header (RFC 793 / RFC 8200 §8.1), then the segment. */
	sum = ref_sum(f + (v6 ? 8 : 12), v6 ? 32 : 8, proto + (uint32_t)(l4 + plen));
	sum = ref_sum(h, l4 + plen, sum);
	sum = (uint16_t)~sum;
	if (proto == 17 && sum == 0)
		sum = 0xffff;
	h[proto == 6 ? 16 : 6] = (uint8_t)(sum >> 8);
	h[proto == 6 ? 17 : 7] = (uint8_t)sum;
	return n;
}

static void test_l4_verify(void **state)
{
	static uint8_t f[40 + 20 + 300];

	(void)state;
	for (int v6 = 0; v6 < 2; v6++)
		for (int udp = 0; udp < 2; udp++)
			for (size_t plen = 0; plen <= 300; plen += 1 + plen / 4) {
				size_t n = mk_segment(f, v6, udp ? 17 : 6, plen);
				size_t l3 = v6 ? 40 : 20;
				struct ct_pkt p;

				assert_int_equal(ct_pkt_parse(&p, f, (uint32_t)n, CT_LINK_RAW),
						 CT_PARSE_OK);
				assert_true(ct_pkt_l4_csum_ok(&p));
				/* One flipped bit anywhere in the segment is caught. */
				for (size_t i = l3; i < n; i += 1 + (n - l3) / 16) {
					uint8_t bit = (uint8_t)(1u << (rnd8() & 7));

					f[i] ^= bit;
					assert_int_equal(ct_pkt_parse(&p, f, (uint32_t)n, CT_LINK_RAW),
							 CT_PARSE_OK);
					assert_false(ct_pkt_l4_csum_ok(&p));
					f[i] ^= bit;
				}
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_lengths_offsets),
		cmocka_unit_test(test_partial_chained),
		cmocka_unit_test(test_l4_verify),
	};

	return cmocka_run_group_tests_name("csum", tests, NULL, NULL);
}
