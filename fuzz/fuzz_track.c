/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the tracker: the input drives a sequence of packets
 * between a few hosts and ports (so flows meet each other), over TCP, UDP,
 * ICMP (queries and errors quoting earlier packets), SCTP, GRE and others,
 * through conntrack and confirm or a drop, with time moving forward.
 * After every packet the table's invariants are checked:
 *   - ct_table_count() equals the allocated entries;
 *   - every listed entry is found again by both of its tuples;
 *   - no packet keeps an unconfirmed entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint32_t rd32(struct rd *r)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | rd8(r);
	return v;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

static void fix_l4_csum(uint8_t *ip, uint32_t l4len, uint8_t proto, int off)
{
	uint8_t *l4 = ip + 20;
	uint32_t sum = ct_csum_partial(ip + 12, 8, 0) + proto + l4len;

	put16(l4 + off, 0);
	put16(l4 + off, ct_csum_fold(ct_csum_partial(l4, l4len, sum)));
}

/* Build one IPv4 packet from the fuzzer's bytes.  Returns its length. */
static uint32_t build(struct rd *r, uint8_t *b, const uint8_t *last, uint32_t last_len)
{
	static const uint8_t hosts[4] = {1, 2, 3, 4};
	static const uint16_t ports[4] = {80, 1000, 1001, 53};
	uint8_t sel = rd8(r), flags = rd8(r);
	uint8_t src = hosts[sel & 3], dst = hosts[(sel >> 2) & 3];
	uint16_t sp = ports[(sel >> 4) & 3], dp = ports[(sel >> 6) & 3];
	uint8_t kind = flags & 7, paylen = rd8(r) & 63;
	uint32_t l4len = 0;
	uint8_t proto;
	uint8_t *l4 = b + 20;

	switch (kind) {
	case 0:
	case 1:
	case 2: /* TCP with fuzzed flags, seq, ack, window, options */
		proto = 6;
		l4len = 20 + paylen;
		memset(l4, 0, l4len);
		put16(l4, sp);
		put16(l4 + 2, dp);
		put32(l4 + 4, rd32(r) & (kind == 0 ? 0xff : 0xffffffff));
		put32(l4 + 8, rd32(r) & (kind == 0 ? 0xff : 0xffffffff));
		l4[12] = 5 << 4;
		l4[13] = rd8(r);
		put16(l4 + 14, (uint16_t)rd32(r));
		if (kind == 2 && paylen >= 12) {
			l4[12] = 8 << 4; /* 12 bytes of options from the input */
			for (int i = 0; i < 12; i++)
				l4[20 + i] = rd8(r);
		}
		break;
	case 3: /* UDP */
		proto = 17;
		l4len = 8 + paylen;
		memset(l4, 0, l4len);
		put16(l4, sp);
		put16(l4 + 2, dp);
		put16(l4 + 4, (uint16_t)l4len);
		break;
	case 4: /* ICMP query or error quoting the previous packet */
		proto = 1;
		memset(l4, 0, 8);
		l4[0] = rd8(r) % 20;
		l4[1] = rd8(r) & 3;
		put16(l4 + 4, sp);
		l4len = 8;
		if (last_len && (l4[0] == 3 || l4[0] == 11)) {
			uint32_t q = last_len < 48 ? last_len : 48;

			memcpy(l4 + 8, last, q);
			l4len += q;
		}
		break;
	case 5: /* SCTP chunk */
		proto = 132;
		l4len = 12 + 4 + (paylen & ~3u);
		memset(l4, 0, l4len);
		put16(l4, sp);
		put16(l4 + 2, dp);
		put32(l4 + 4, rd32(r) & 3);
		l4[12] = rd8(r) % 16;
		put16(l4 + 14, (uint16_t)(4 + (paylen & ~3u)));
		break;
	case 6: /* GRE */
		proto = 47;
		l4len = 8;
		memset(l4, 0, 8);
		l4[0] = rd8(r) & 0x20;
		l4[1] = rd8(r) & 1;
		put16(l4 + 2, rd8(r) & 1 ? 0x880b : 0x0800);
		put16(l4 + 6, sp);
		break;
	default:
		proto = (uint8_t)(rd8(r) | 0x80);
		l4len = paylen;
		memset(l4, 0, l4len);
		break;
	}
	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + l4len));
	b[8] = 64;
	b[9] = proto;
	b[12] = 10;
	b[15] = src;
	b[16] = 10;
	b[19] = dst;
	put16(b + 10, ct_csum_fold(ct_csum_partial(b, 20, 0)));
	if (!(flags & 0x80)) {
		if (proto == 6)
			fix_l4_csum(b, l4len, 6, 16);
		else if (proto == 17)
			fix_l4_csum(b, l4len, 17, 6);
		else if (proto == 1)
			put16(l4 + 2, ct_csum_fold(ct_csum_partial(l4, l4len, 0)));
	}
	return 20 + l4len;
}

static void check_invariants(struct ct_table *t, uint64_t now)
{
	uint32_t allocated = 0;
	struct ct_iter it;
	const struct ct_conn *c;

	for (int f = 0; f < 2; f++) {
		const struct ct_pool *pl = &t->pool[f];

		for (uint32_t i = 0; i < pl->used_hi; i++) {
			const struct ct_conn *e =
				(const struct ct_conn *)(pl->mem + (size_t)i * pl->size);

			if (!e->in_use)
				continue;
			allocated++;
			if (!(e->status & CT_S_CONFIRMED))
				abort(); /* an unconfirmed entry outlived its packet */
		}
	}
	if (allocated != ct_table_count(t))
		abort();
	ct_iter_init(&it);
	while ((c = ct_iter_next(t, &it, now)) != NULL) {
		struct ct_tuple tu[2];

		ct_conn_tuple(c, CT_DIR_ORIGINAL, &tu[0]);
		ct_conn_tuple(c, CT_DIR_REPLY, &tu[1]);
		for (int d = 0; d < 2; d++) {
			enum ct_dir dir;

			if (ct_find(t, &tu[d], now, &dir) != c)
				abort();
			/* A flow that is its own reverse (src == dst) matches either link. */
			if (dir != (enum ct_dir)d && memcmp(&tu[0], &tu[1], sizeof(tu[0])) != 0)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_table_config cfg = {.max = 8};
	struct ct_table *t;
	struct rd r = {data, size};
	static uint8_t pkt[2][2048];
	uint32_t len[2] = {0, 0};
	uint64_t now = CT_SEC;
	int cur = 0;

	if (ct_table_new(&cfg, &t))
		return 0;
	if (size && (data[0] & 1))
		ct_setting_set(t, "nf_conntrack_tcp_loose", "0");
	if (size && (data[0] & 2))
		ct_setting_set(t, "nf_conntrack_tcp_be_liberal", "1");
	if (size && (data[0] & 4))
		ct_setting_set(t, "nf_conntrack_acct", "1");
	for (int n = 0; n < 64 && r.n; n++) {
		struct ct_pkt p;
		uint8_t ctl = rd8(&r);

		cur ^= 1;
		len[cur] = build(&r, pkt[cur], pkt[cur ^ 1], len[cur ^ 1]);
		now += (uint64_t)(ctl & 0x1f) * (ctl & 0x20 ? CT_SEC * 10 : CT_SEC / 4);
		if (ct_pkt_parse(&p, pkt[cur], len[cur], CT_LINK_RAW) != CT_PARSE_OK)
			continue;
		if (ct_hook_conntrack(t, &p, (ctl & 0x40) ? CT_HOOK_OUTPUT : CT_HOOK_PREROUTING,
				      now) == 0) {
			if (ctl & 0x80)
				ct_pkt_release(t, &p); /* dropped by a rule */
			else
				ct_confirm(t, &p, now);
		}
		if (n % 8 == 7)
			ct_gc(t, now, 4);
		check_invariants(t, now);
	}
	ct_gc_all(t, now + 1000 * CT_SEC);
	ct_table_free(t);
	return 0;
}
