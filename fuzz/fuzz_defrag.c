/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ct_defrag.  The input is a list of records, each
 * turned into a frame, parsed and fed with a growing clock:
 *   0: raw IP bytes (IPv4 header checksum fixed up so they get through)
 *   1: an IPv4 fragment of a fixed datagram: id, offset, length, MF, TOS
 *   2: an IPv6 fragment likewise: id, offset, length, M, traffic class
 *   3: advance the clock (may expire queues)
 * Synthesised fragments share addresses, so ids collide and queues overlap,
 * duplicate, time out and hit the (small) memory limit.  On COMPLETE the
 * datagram and every listed frame are read in full, so ASan sees any bad
 * pointer or length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"

static uint8_t frame[70000];

static uint32_t take(const uint8_t **d, size_t *n, uint32_t bytes)
{
	uint32_t v = 0;

	while (bytes--) {
		v <<= 8;
		if (*n) {
			v |= **d;
			(*d)++;
			(*n)--;
		}
	}
	return v;
}

static uint32_t build4(uint32_t id, uint32_t off, uint32_t len, bool mf, uint8_t tos)
{
	uint16_t c;

	off &= 0xfff8;
	len %= 1500;
	memset(frame, 0, 20);
	frame[0] = 0x45;
	frame[1] = tos;
	frame[2] = (uint8_t)((20 + len) >> 8);
	frame[3] = (uint8_t)(20 + len);
	frame[4] = (uint8_t)(id >> 8);
	frame[5] = (uint8_t)id;
	frame[6] = (uint8_t)((mf ? 0x20 : 0) | (tos & 0x40) | (off >> 11));
	frame[7] = (uint8_t)(off >> 3);
	frame[8] = 64;
	frame[9] = (tos & 0x80) ? 6 : 17;
	frame[12] = 10;
	frame[15] = 1;
	frame[16] = 10;
	frame[19] = 2;
	for (uint32_t i = 0; i < len; i++)
		frame[20 + i] = (uint8_t)(off + i);
	c = ct_csum_fold(ct_csum_partial(frame, 20, 0));
	frame[10] = (uint8_t)(c >> 8);
	frame[11] = (uint8_t)c;
	return 20 + len;
}

static uint32_t build6(uint32_t id, uint32_t off, uint32_t len, bool m, uint8_t tc)
{
	bool dst = tc & 0x80;
	uint32_t ext = dst ? 16 : 8, o = 40;

	off &= 0xfff8;
	len %= 2000;
	memset(frame, 0, 56);
	frame[0] = 0x60;
	frame[1] = (uint8_t)(tc << 4);
	frame[4] = (uint8_t)((ext + len) >> 8);
	frame[5] = (uint8_t)(ext + len);
	frame[6] = dst ? 60 : 44;
	frame[7] = 64;
	frame[23] = 1;
	frame[39] = 2;
	if (dst) {
		frame[40] = 44;
		frame[42] = 1;
		frame[43] = 4;
		o = 48;
	}
	frame[o] = (tc & 0x40) ? 58 : 17;
	frame[o + 2] = (uint8_t)(off >> 8);
	frame[o + 3] = (uint8_t)((off & 0xf8) | (m ? 1 : 0));
	frame[o + 7] = (uint8_t)id;
	for (uint32_t i = 0; i < len; i++)
		frame[o + 8 + i] = (uint8_t)(off + i);
	return o + 8 + len;
}

static volatile uint32_t sink;

static void touch(const uint8_t *b, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += b[i];
	sink = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_defrag *d;
	uint64_t now = 0;

	/* One context for the whole run (allocation is slow under ASan);
	 * every input ends by expiring everything, which empties it. */
	if (!d) {
		struct ct_defrag_config cfg = {.high_thresh = 65536, .low_thresh = 32768};

		if (ct_defrag_new(&cfg, &d))
			abort();
	}
	while (size) {
		uint32_t op = take(&data, &size, 1), n = 0;
		struct ct_pkt p = {0}, *out = NULL;

		switch (op & 3) {
		case 0:
			n = take(&data, &size, 2) % 2048;
			if (n > size)
				n = (uint32_t)size;
			memcpy(frame, data, n);
			data += n;
			size -= n;
			if (n >= 20 && frame[0] >> 4 == 4) {
				uint32_t hl = (frame[0] & 15u) * 4;

				if (hl >= 20 && hl <= n) {
					uint16_t c;

					frame[10] = frame[11] = 0;
					c = ct_csum_fold(ct_csum_partial(frame, hl, 0));
					frame[10] = (uint8_t)(c >> 8);
					frame[11] = (uint8_t)c;
				}
			}
			break;
		case 1:
		case 2: {
			uint32_t id = take(&data, &size, 1) & 3;
			uint32_t off = take(&data, &size, 2);
			uint32_t len = take(&data, &size, 2);
			uint32_t fl = take(&data, &size, 1);

			n = (op & 3) == 1 ? build4(id, off, len, fl & 1, (uint8_t)(fl >> 1))
					  : build6(id, off, len, fl & 1, (uint8_t)(fl >> 1));
			break;
		}
		case 3:
			now += (uint64_t)take(&data, &size, 1) * CT_NSEC_PER_SEC / 4;
			ct_defrag_expire(d, now);
			continue;
		}
		now += 1000;
		if (ct_pkt_parse(&p, frame, n, CT_LINK_RAW) != CT_PARSE_OK)
			continue;
		if (ct_defrag_feed(d, &p, now, &out) == CT_DEFRAG_COMPLETE) {
			const uint8_t *const *frames;
			const uint32_t *lens;
			size_t k;

			if (!out || out->is_frag || out->l3_off + (uint64_t)out->l3_len > out->len)
				abort();
			touch(out->data, out->len);
			k = ct_defrag_fragments(d, &frames, &lens);
			if (k == 0)
				abort();
			for (size_t i = 0; i < k; i++)
				touch(frames[i], lens[i]);
		} else if (out) {
			abort();
		}
	}
	ct_defrag_expire(d, UINT64_MAX);
	return 0;
}
