/* SPDX-License-Identifier: MIT */
/*
 * ct_pkt_parse: table-driven cases built from a small frame description,
 * each parsed (1) as is, (2) placed right before an unreadable page, and
 * (3) cut at every length, so a read past the end faults at once.
 * Expected values come from the wire formats (RFC 791, 8200, 793, 768,
 * 3828, 4960, 792, 4443, 2637) and the kernel rules in the spec, never from
 * the parser's output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ct_priv.h"
#include "pkt_build.h"

/* ---- frame builder ---- */

struct fb {
	uint8_t b[4096];
	uint32_t n;
};

static void put(struct fb *f, const void *p, uint32_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct fb *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(f, b, 2);
}

struct spec {
	int id;
	const char *name;
	/* frame */
	uint8_t link;
	uint8_t nvlan;
	uint16_t tpid[3];
	uint16_t etype;      /* 0: from ipver */
	uint8_t ipver;       /* 4, 6; 0: etype payload only */
	uint8_t hdr0;        /* nonzero: overrides IP byte 0 (version/IHL) */
	uint8_t v4_optlen;   /* IPv4 option bytes (NOP-filled) */
	uint16_t v4_frag;    /* IPv4 flags + offset field */
	int32_t len_adj;     /* added to the IP length field */
	bool bad_csum;
	const uint8_t *ext;  /* IPv6 extension headers, raw */
	uint16_t ext_len;
	uint8_t nh;          /* IPv4 protocol / IPv6 first next header */
	const uint8_t *l4;
	uint16_t l4_len;
	uint16_t trailer;    /* bytes after the datagram (Ethernet padding) */
	uint32_t wire_extra; /* wire_len = len + this */
	/* expected */
	enum ct_parse_result res;
	uint8_t proto;
	uint8_t l4_bad;
	uint16_t sport, dport;
	bool frag, first, more;
	uint32_t frag_off;
	uint32_t frag_id;
};

static const uint8_t SRC4[4] = {192, 0, 2, 1}, DST4[4] = {198, 51, 100, 2};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};

/* Builds the frame; returns the offset of the IP header. */
static uint32_t build(const struct spec *s, struct fb *f)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	uint32_t l3;

	memset(f, 0, sizeof(*f));
	if (s->link == CT_LINK_ETHERNET) {
		uint16_t et = s->etype ? s->etype : (s->ipver == 6 ? 0x86dd : 0x0800);

		put(f, macs, 12);
		for (int i = 0; i < s->nvlan; i++) {
			put16(f, s->tpid[i]);
			put16(f, (uint16_t)(100 + i)); /* TCI: VLAN 100, 101, ... */
		}
		put16(f, et);
	}
	l3 = f->n;
	if (s->ipver == 4) {
		uint8_t h[60] = {0};
		uint32_t hl = 20 + s->v4_optlen;
		uint16_t tot = (uint16_t)((int32_t)(hl + s->l4_len) + s->len_adj);
		uint16_t c;

		h[0] = (uint8_t)(0x40 | hl / 4);
		h[2] = (uint8_t)(tot >> 8);
		h[3] = (uint8_t)tot;
		h[4] = 0xbe;
		h[5] = 0xef;
		h[6] = (uint8_t)(s->v4_frag >> 8);
		h[7] = (uint8_t)s->v4_frag;
		h[8] = 64;
		h[9] = s->nh;
		memcpy(h + 12, SRC4, 4);
		memcpy(h + 16, DST4, 4);
		memset(h + 20, 1, s->v4_optlen); /* NOP options */
		if (s->hdr0)
			h[0] = s->hdr0;
		c = ct_csum_fold(ct_csum_partial(h, hl, 0));
		if (s->bad_csum)
			c ^= 0x0101;
		h[10] = (uint8_t)(c >> 8);
		h[11] = (uint8_t)c;
		put(f, h, hl);
	} else if (s->ipver == 6) {
		uint8_t h[40] = {0x60, 0, 0, 0};
		uint16_t pl = (uint16_t)((int32_t)(s->ext_len + s->l4_len) + s->len_adj);

		h[4] = (uint8_t)(pl >> 8);
		h[5] = (uint8_t)pl;
		h[6] = s->nh;
		h[7] = 63;
		memcpy(h + 8, SRC6, 16);
		memcpy(h + 24, DST6, 16);
		if (s->hdr0)
			h[0] = s->hdr0;
		put(f, h, 40);
		if (s->ext_len)
			put(f, s->ext, s->ext_len);
	}
	if (s->l4_len)
		put(f, s->l4, s->l4_len);
	for (uint16_t i = 0; i < s->trailer; i++)
		put(f, (const uint8_t[]){0xee}, 1);
	return l3;
}

/* ---- guard page: the frame ends exactly at an unreadable page ---- */

static enum ct_parse_result parse_guarded(struct ct_pkt *p, const uint8_t *buf, uint32_t len,
					  uint32_t wire_len, uint8_t link, struct pk_guard *g)
{
	const uint8_t *at = pk_guard_place(g, buf, len);

	assert_non_null(at);
	memset(p, 0, sizeof(*p));
	p->wire_len = wire_len;
	return ct_pkt_parse(p, at, len, (enum ct_link)link);
}

/* ---- L4 headers ---- */

/* TCP 10000 -> 80, data offset 5, SYN */
static const uint8_t TCP20[20] = {0x27, 0x10, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02,
				  0xff, 0xff};
static const uint8_t TCP_DOFF4[20] = {0x27, 0x10, 0, 80, [12] = 0x40};
static const uint8_t TCP_DOFF15[20] = {0x27, 0x10, 0, 80, [12] = 0xf0};
/* data offset 8: 12 option bytes (NOPs) */
static const uint8_t TCP32[32] = {0x27, 0x10, 0, 80, [12] = 0x80, 0x10, [20] = 1, 1, 1, 1, 1,
				  1, 1, 1, 1, 1, 1, 1};
/* UDP 5353 -> 53, length 12, 4 data bytes */
static const uint8_t UDP12[12] = {0x14, 0xe9, 0, 53, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
static const uint8_t UDP_LEN7[12] = {0x14, 0xe9, 0, 53, 0, 7};
static const uint8_t UDP_LEN13[12] = {0x14, 0xe9, 0, 53, 0, 13};
static const uint8_t UDP_LEN8[12] = {0x14, 0xe9, 0, 53, 0, 8}; /* trailing bytes allowed */
static const uint8_t UDP_BIGLEN[8] = {0x14, 0xe9, 0, 53, 0x05, 0xdc}; /* 1500: whole datagram */
/* UDP-Lite: coverage 0 (all), 8, 4 (bad), 20 (> length, bad), checksum 0 (bad) */
static const uint8_t UDPL_COV0[12] = {0x14, 0xe9, 0, 53, 0, 0, 0x12, 0x34};
static const uint8_t UDPL_COV8[12] = {0x14, 0xe9, 0, 53, 0, 8, 0x12, 0x34};
static const uint8_t UDPL_COV4[12] = {0x14, 0xe9, 0, 53, 0, 4, 0x12, 0x34};
static const uint8_t UDPL_COV20[12] = {0x14, 0xe9, 0, 53, 0, 20, 0x12, 0x34};
static const uint8_t UDPL_NOCSUM[12] = {0x14, 0xe9, 0, 53, 0, 0, 0, 0};
/* SCTP 5000 -> 6000, vtag, crc, + one chunk header */
static const uint8_t SCTP16[16] = {0x13, 0x88, 0x17, 0x70, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 4};
/* ICMP echo request id 0x1234 seq 1; timestamp request; dest unreachable (port) */
static const uint8_t ICMP_ECHO[12] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
static const uint8_t ICMP_ECHOREP[8] = {0, 0, 0, 0, 0x12, 0x34, 0, 1};
static const uint8_t ICMP_TSTAMP[20] = {13, 0, 0, 0, 0x43, 0x21, 0, 1};
static const uint8_t ICMP_UNREACH[8] = {3, 3, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd};
static const uint8_t ICMP_TIMEX[8] = {11, 0, 0, 0, 0xaa, 0xbb, 0, 0};
static const uint8_t ICMP_REDIR[8] = {5, 1, 0, 0, 10, 0, 0, 1};
static const uint8_t ICMP_SHORT[7] = {8, 0, 0, 0, 0x12, 0x34, 0};
static const uint8_t ICMP6_ECHO[8] = {128, 0, 0, 0, 0x55, 0x66, 0, 7};
static const uint8_t ICMP6_NIQ[8] = {139, 1, 0, 0, 0x77, 0x88, 0, 0};
static const uint8_t ICMP6_UNREACH[8] = {1, 4, 0, 0, 0xaa, 0xbb, 0, 0};
static const uint8_t ICMP6_PTB[8] = {2, 0, 0, 0, 0, 0, 0x05, 0xdc};
static const uint8_t ICMP6_NS[24] = {135, 0, 0, 0, 0, 0, 0, 0};
/* GRE: v0 IPv4-in-GRE; v1 PPTP (K bit + version 1) call ID 0x1234; v1 non-PPP */
static const uint8_t GRE_V0[4] = {0, 0, 0x08, 0};
static const uint8_t GRE_V0_KEY[8] = {0x20, 0, 0x08, 0, 0xde, 0xad, 0xbe, 0xef};
static const uint8_t GRE_V1[12] = {0x30, 0x81, 0x88, 0x0b, 0, 0, 0x12, 0x34, 0, 0, 0, 1};
static const uint8_t GRE_V1_IP[8] = {0x20, 0x01, 0x08, 0x00, 0, 0, 0x12, 0x34};
static const uint8_t GRE_V1_SHORT[6] = {0x20, 0x01, 0x88, 0x0b, 0, 0};
static const uint8_t GRE_2[2] = {0, 0};
static const uint8_t ESP16[16] = {0, 0, 0, 1, 0, 0, 0, 1};

/* ---- IPv6 extension chains (next-header values inside) ---- */

/* HBH (-> TCP): PadN 4 */
static const uint8_t EXT_HBH_TCP[8] = {6, 0, 1, 4, 0, 0, 0, 0};
/* HBH (-> DST) + DST (-> ROUTING) 16 bytes + ROUTING type 4 (-> TCP) 8 bytes */
static const uint8_t EXT_CHAIN[32] = {60, 0, 1, 4, 0, 0, 0, 0, 43, 1, 1, 12, [24] = 6, 0, 4, 0};
/* AH (-> UDP): payload length 4 -> (4 + 2) * 4 = 24 bytes */
static const uint8_t EXT_AH_UDP[24] = {17, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1};
/* Fragment (-> UDP): offset 0, M, id 0xcafe0001 */
static const uint8_t EXT_FRAG_FIRST[8] = {17, 0, 0x00, 0x01, 0xca, 0xfe, 0, 1};
/* Fragment (-> UDP): offset 1448, M */
static const uint8_t EXT_FRAG_MID[8] = {17, 0, 0x05, 0xa9, 0xca, 0xfe, 0, 1};
/* Fragment (-> UDP): offset 2896, last */
static const uint8_t EXT_FRAG_LAST[8] = {17, 0, 0x0b, 0x50, 0xca, 0xfe, 0, 1};
/* Atomic fragment (RFC 6946): offset 0, no M */
static const uint8_t EXT_FRAG_ATOMIC[8] = {58, 0, 0, 0, 0, 0, 0, 9};
/* ROUTING (-> FRAG) + FRAG first (-> TCP) */
static const uint8_t EXT_RT_FRAG[16] = {44, 0, 4, 0, 0, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 5};
/* DST (-> NONE) */
static const uint8_t EXT_DST_NONE[8] = {59, 0, 1, 4};
/* DST claiming 24 bytes with 8 present */
static const uint8_t EXT_DST_OVERRUN[8] = {6, 2, 1, 4};
/* HBH with an option longer than the header */
static const uint8_t EXT_HBH_BADTLV[8] = {6, 0, 1, 9};
/* HBH with Pad1 x 6 */
static const uint8_t EXT_HBH_PAD1[8] = {17, 0, 0, 0, 0, 0, 0, 0};
/* HBH after DST (not first): conntrack skips it; IP layer drops later */
static const uint8_t EXT_DST_HBH[16] = {0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4};
/* Mobility header (135) is not an extension header for conntrack */
static const uint8_t MH8[8] = {59, 0, 0, 0};

#define E4 CT_LINK_ETHERNET, 0, {0}, 0, 4
#define E6 CT_LINK_ETHERNET, 0, {0}, 0, 6
#define R4 CT_LINK_RAW, 0, {0}, 0, 4
#define R6 CT_LINK_RAW, 0, {0}, 0, 6
#define L4(x) .l4 = x, .l4_len = sizeof(x)
#define EXT(x) .ext = x, .ext_len = sizeof(x)

static const struct spec cases[] = {
	/* ---- link layer ---- */
	{1, "eth ipv4 tcp", E4, .nh = 6, L4(TCP20), .res = CT_PARSE_OK, .proto = 6, .sport = 10000,
	 .dport = 80},
	{2, "raw ipv4 tcp", R4, .nh = 6, L4(TCP20), .res = CT_PARSE_OK, .proto = 6, .sport = 10000,
	 .dport = 80},
	{3, "802.1Q ipv4", CT_LINK_ETHERNET, 1, {0x8100}, 0, 4, .nh = 17, L4(UDP12), .proto = 17,
	 .sport = 5353, .dport = 53},
	{4, "802.1ad+802.1Q ipv4", CT_LINK_ETHERNET, 2, {0x88a8, 0x8100}, 0, 4, .nh = 17, L4(UDP12),
	 .proto = 17, .sport = 5353, .dport = 53},
	{5, "9100+802.1Q ipv6", CT_LINK_ETHERNET, 2, {0x9100, 0x8100}, 0, 6, .nh = 6, L4(TCP20),
	 .proto = 6, .sport = 10000, .dport = 80},
	{6, "802.1Q+802.1Q ipv4", CT_LINK_ETHERNET, 2, {0x8100, 0x8100}, 0, 4, .nh = 6, L4(TCP20),
	 .proto = 6, .sport = 10000, .dport = 80},
	{7, "three tags", CT_LINK_ETHERNET, 3, {0x88a8, 0x8100, 0x8100}, 0, 4, .nh = 6, L4(TCP20),
	 .res = CT_PARSE_NOT_IP},
	{8, "arp", CT_LINK_ETHERNET, 0, {0}, 0x0806, 0, .l4 = ICMP_TSTAMP, .l4_len = 20,
	 .res = CT_PARSE_NOT_IP},
	{9, "802.1Q arp", CT_LINK_ETHERNET, 1, {0x8100}, 0x0806, 0, .l4 = ICMP_TSTAMP, .l4_len = 20,
	 .res = CT_PARSE_NOT_IP},
	{10, "802.3 length field", CT_LINK_ETHERNET, 0, {0}, 0x0040, 0, .l4 = ICMP_TSTAMP,
	 .l4_len = 20, .res = CT_PARSE_NOT_IP},
	{11, "ethertype ipv4, version 6", CT_LINK_ETHERNET, 0, {0}, 0x0800, 6, .nh = 6, L4(TCP20),
	 .res = CT_PARSE_IP_HDR},
	{12, "ethertype ipv6, version 4", CT_LINK_ETHERNET, 0, {0}, 0x86dd, 4, .nh = 6, L4(TCP20),
	 .res = CT_PARSE_IP_HDR},
	{13, "raw ipv6 udp", R6, .nh = 17, L4(UDP12), .proto = 17, .sport = 5353, .dport = 53},
	{14, "raw version 7", R4, .hdr0 = 0x75, .nh = 6, L4(TCP20), .res = CT_PARSE_IP_HDR},
	{15, "ethernet padding after ipv4", E4, .nh = 17, L4(UDP12), .trailer = 18, .proto = 17,
	 .sport = 5353, .dport = 53},
	{16, "ethernet padding after ipv6", E6, .nh = 58, L4(ICMP6_ECHO), .trailer = 6, .proto = 58,
	 .sport = 0x5566, .dport = 0x8000},
	/* ---- IPv4 header ---- */
	{20, "ipv4 options", E4, .v4_optlen = 12, .nh = 6, L4(TCP20), .proto = 6, .sport = 10000,
	 .dport = 80},
	{21, "ipv4 max options", E4, .v4_optlen = 40, .nh = 17, L4(UDP12), .proto = 17,
	 .sport = 5353, .dport = 53},
	{22, "ipv4 bad checksum", E4, .nh = 6, L4(TCP20), .bad_csum = true,
	 .res = CT_PARSE_IP_CSUM},
	{23, "ipv4 ihl 4", E4, .hdr0 = 0x44, .nh = 6, L4(TCP20), .res = CT_PARSE_IP_HDR},
	{24, "ipv4 ihl 15 beyond capture", E4, .hdr0 = 0x4f, .nh = 6, L4(TCP20),
	 .res = CT_PARSE_IP_HDR},
	{25, "ipv4 total length < header", E4, .nh = 6, L4(TCP20), .len_adj = -21,
	 .res = CT_PARSE_IP_LEN},
	{26, "ipv4 total length > captured", E4, .nh = 6, L4(TCP20), .len_adj = 1,
	 .res = CT_PARSE_IP_LEN},
	{27, "ipv4 snaplen-truncated", E4, .nh = 6, L4(TCP20), .len_adj = 100, .wire_extra = 100,
	 .res = CT_PARSE_IP_LEN},
	{28, "ipv4 total length = header only", E4, .nh = 6, L4(TCP20), .len_adj = -20,
	 .trailer = 0, .proto = 6, .l4_bad = CT_L4_TRUNCATED},
	{29, "ipv4 DF only: not a fragment", E4, .v4_frag = 0x4000, .nh = 6, L4(TCP20), .proto = 6,
	 .sport = 10000, .dport = 80},
	{30, "ipv4 first fragment", E4, .v4_frag = 0x2000, .nh = 17, L4(UDP_BIGLEN), .proto = 17,
	 .sport = 5353, .dport = 53, .l4_bad = CT_L4_BAD_HEADER, .frag = true, .first = true,
	 .more = true, .frag_id = 0xbeef},
	{31, "ipv4 middle fragment", E4, .v4_frag = 0x2000 | 185, .nh = 17, L4(UDP12), .proto = 17,
	 .l4_bad = CT_L4_FRAGMENT, .frag = true, .more = true, .frag_off = 1480, .frag_id = 0xbeef},
	{32, "ipv4 last fragment", E4, .v4_frag = 370, .nh = 17, L4(UDP12), .proto = 17,
	 .l4_bad = CT_L4_FRAGMENT, .frag = true, .frag_off = 2960, .frag_id = 0xbeef},
	{33, "ipv4 max fragment offset", E4, .v4_frag = 0x1fff, .nh = 6, L4(TCP20), .proto = 6,
	 .l4_bad = CT_L4_FRAGMENT, .frag = true, .frag_off = 0x1fff * 8, .frag_id = 0xbeef},
	{34, "ipv4 evil bit + DF + MF", E4, .v4_frag = 0xe000, .nh = 6, L4(TCP20), .proto = 6,
	 .sport = 10000, .dport = 80, .frag = true, .first = true, .more = true,
	 .frag_id = 0xbeef},
	/* ---- TCP ---- */
	{40, "tcp options", E4, .nh = 6, L4(TCP32), .proto = 6, .sport = 10000, .dport = 80},
	{41, "tcp data offset 4", E4, .nh = 6, L4(TCP_DOFF4), .proto = 6, .sport = 10000,
	 .dport = 80, .l4_bad = CT_L4_BAD_HEADER},
	{42, "tcp data offset beyond", E4, .nh = 6, L4(TCP_DOFF15), .proto = 6, .sport = 10000,
	 .dport = 80, .l4_bad = CT_L4_BAD_HEADER},
	{43, "tcp 19 bytes", E4, .nh = 6, .l4 = TCP20, .l4_len = 19, .proto = 6, .sport = 10000,
	 .dport = 80, .l4_bad = CT_L4_TRUNCATED},
	{44, "tcp 3 bytes", E4, .nh = 6, .l4 = TCP20, .l4_len = 3, .proto = 6,
	 .l4_bad = CT_L4_TRUNCATED},
	{45, "tcp over ipv6", E6, .nh = 6, L4(TCP32), .proto = 6, .sport = 10000, .dport = 80},
	/* ---- UDP / UDP-Lite ---- */
	{50, "udp length 7", E4, .nh = 17, L4(UDP_LEN7), .proto = 17, .sport = 5353, .dport = 53,
	 .l4_bad = CT_L4_BAD_HEADER},
	{51, "udp length > l4", E4, .nh = 17, L4(UDP_LEN13), .proto = 17, .sport = 5353,
	 .dport = 53, .l4_bad = CT_L4_BAD_HEADER},
	{52, "udp length < l4", E4, .nh = 17, L4(UDP_LEN8), .proto = 17, .sport = 5353,
	 .dport = 53},
	{53, "udp 7 bytes", E4, .nh = 17, .l4 = UDP12, .l4_len = 7, .proto = 17, .sport = 5353,
	 .dport = 53, .l4_bad = CT_L4_TRUNCATED},
	{54, "udplite coverage 0", E4, .nh = 136, L4(UDPL_COV0), .proto = 136, .sport = 5353,
	 .dport = 53},
	{55, "udplite coverage 8", E6, .nh = 136, L4(UDPL_COV8), .proto = 136, .sport = 5353,
	 .dport = 53},
	{56, "udplite coverage 4", E4, .nh = 136, L4(UDPL_COV4), .proto = 136, .sport = 5353,
	 .dport = 53, .l4_bad = CT_L4_BAD_HEADER},
	{57, "udplite coverage > length", E4, .nh = 136, L4(UDPL_COV20), .proto = 136,
	 .sport = 5353, .dport = 53, .l4_bad = CT_L4_BAD_HEADER},
	{58, "udplite checksum 0", E4, .nh = 136, L4(UDPL_NOCSUM), .proto = 136, .sport = 5353,
	 .dport = 53, .l4_bad = CT_L4_BAD_HEADER},
	/* ---- SCTP ---- */
	{60, "sctp", E4, .nh = 132, L4(SCTP16), .proto = 132, .sport = 5000, .dport = 6000},
	{61, "sctp 11 bytes", E4, .nh = 132, .l4 = SCTP16, .l4_len = 11, .proto = 132,
	 .sport = 5000, .dport = 6000, .l4_bad = CT_L4_TRUNCATED},
	/* ---- ICMP ---- */
	{70, "icmp echo request", E4, .nh = 1, L4(ICMP_ECHO), .proto = 1, .sport = 0x1234,
	 .dport = 0x0800},
	{71, "icmp echo reply", E4, .nh = 1, L4(ICMP_ECHOREP), .proto = 1, .sport = 0x1234,
	 .dport = 0x0000},
	{72, "icmp timestamp", E4, .nh = 1, L4(ICMP_TSTAMP), .proto = 1, .sport = 0x4321,
	 .dport = 0x0d00},
	{73, "icmp port unreachable (error)", E4, .nh = 1, L4(ICMP_UNREACH), .proto = 1,
	 .sport = 0, .dport = 0x0303},
	{74, "icmp time exceeded (error)", E4, .nh = 1, L4(ICMP_TIMEX), .proto = 1, .sport = 0,
	 .dport = 0x0b00},
	{75, "icmp redirect (error)", E4, .nh = 1, L4(ICMP_REDIR), .proto = 1, .sport = 0,
	 .dport = 0x0501},
	{76, "icmp 7 bytes", E4, .nh = 1, L4(ICMP_SHORT), .proto = 1, .l4_bad = CT_L4_TRUNCATED},
	{77, "icmpv6 echo request", E6, .nh = 58, L4(ICMP6_ECHO), .proto = 58, .sport = 0x5566,
	 .dport = 0x8000},
	{78, "icmpv6 node info query", E6, .nh = 58, L4(ICMP6_NIQ), .proto = 58, .sport = 0x7788,
	 .dport = 0x8b01},
	{79, "icmpv6 unreachable (error)", E6, .nh = 58, L4(ICMP6_UNREACH), .proto = 58,
	 .sport = 0, .dport = 0x0104},
	{80, "icmpv6 packet too big (error)", E6, .nh = 58, L4(ICMP6_PTB), .proto = 58, .sport = 0,
	 .dport = 0x0200},
	{81, "icmpv6 neighbour solicitation", E6, .nh = 58, L4(ICMP6_NS), .proto = 58, .sport = 0,
	 .dport = 0x8700},
	{82, "icmpv6 7 bytes", E6, .nh = 58, .l4 = ICMP6_ECHO, .l4_len = 7, .proto = 58,
	 .l4_bad = CT_L4_TRUNCATED},
	/* ---- GRE (spec §6.2) ---- */
	{90, "gre v0", E4, .nh = 47, L4(GRE_V0), .proto = 47},
	{91, "gre v0 with key: keys stay 0", E4, .nh = 47, L4(GRE_V0_KEY), .proto = 47},
	{92, "gre v1 pptp call id", E4, .nh = 47, L4(GRE_V1), .proto = 47, .sport = 0,
	 .dport = 0x1234},
	{93, "gre v1 non-ppp: not tracked", E4, .nh = 47, L4(GRE_V1_IP), .proto = 47,
	 .l4_bad = CT_L4_BAD_HEADER},
	{94, "gre v1 6 bytes: 0/0", E4, .nh = 47, L4(GRE_V1_SHORT), .proto = 47},
	{95, "gre 2 bytes: 0/0 (generic)", E4, .nh = 47, L4(GRE_2), .proto = 47},
	{96, "gre v1 over ipv6", E6, .nh = 47, L4(GRE_V1), .proto = 47, .dport = 0x1234},
	/* ---- other protocols ---- */
	{100, "esp: generic 0/0", E4, .nh = 50, L4(ESP16), .proto = 50},
	{101, "ipv4 no payload, proto 253", E4, .nh = 253, .proto = 253},
	{102, "ipv6 esp", E6, .nh = 50, L4(ESP16), .proto = 50},
	/* ---- IPv6 header and extension headers ---- */
	{110, "ipv6 payload length > captured", E6, .nh = 6, L4(TCP20), .len_adj = 1,
	 .res = CT_PARSE_IP_LEN},
	{111, "ipv6 snaplen-truncated", E6, .nh = 6, L4(TCP20), .len_adj = 60, .wire_extra = 60,
	 .res = CT_PARSE_IP_LEN},
	{112, "ipv6 hop-by-hop", E6, EXT(EXT_HBH_TCP), .nh = 0, L4(TCP20), .proto = 6,
	 .sport = 10000, .dport = 80},
	{113, "ipv6 hbh+dst+routing", E6, EXT(EXT_CHAIN), .nh = 0, L4(TCP20), .proto = 6,
	 .sport = 10000, .dport = 80},
	{114, "ipv6 ah length rule", E6, EXT(EXT_AH_UDP), .nh = 51, L4(UDP12), .proto = 17,
	 .sport = 5353, .dport = 53},
	{115, "ipv6 first fragment", E6, EXT(EXT_FRAG_FIRST), .nh = 44, L4(UDP_BIGLEN),
	 .proto = 17, .sport = 5353, .dport = 53, .l4_bad = CT_L4_BAD_HEADER, .frag = true,
	 .first = true, .more = true, .frag_id = 0xcafe0001},
	{116, "ipv6 middle fragment", E6, EXT(EXT_FRAG_MID), .nh = 44, L4(UDP12), .proto = 17,
	 .l4_bad = CT_L4_FRAGMENT, .frag = true, .more = true, .frag_off = 1448,
	 .frag_id = 0xcafe0001},
	{117, "ipv6 last fragment", E6, EXT(EXT_FRAG_LAST), .nh = 44, L4(UDP12), .proto = 17,
	 .l4_bad = CT_L4_FRAGMENT, .frag = true, .frag_off = 2896, .frag_id = 0xcafe0001},
	{118, "ipv6 atomic fragment", E6, EXT(EXT_FRAG_ATOMIC), .nh = 44, L4(ICMP6_ECHO),
	 .proto = 58, .sport = 0x5566, .dport = 0x8000, .frag = true, .first = true, .frag_id = 9},
	{119, "ipv6 routing+fragment", E6, EXT(EXT_RT_FRAG), .nh = 43, L4(TCP20), .proto = 6,
	 .sport = 10000, .dport = 80, .frag = true, .first = true, .more = true, .frag_id = 5},
	{120, "ipv6 no next header", E6, .nh = 59, .proto = 59, .l4_bad = CT_L4_BAD_HEADER},
	{121, "ipv6 dst -> no next header", E6, EXT(EXT_DST_NONE), .nh = 60, .proto = 59,
	 .l4_bad = CT_L4_BAD_HEADER},
	{122, "ipv6 dst overrun", E6, EXT(EXT_DST_OVERRUN), .nh = 60, .res = CT_PARSE_IP6_EXTHDR},
	{123, "ipv6 hbh bad tlv", E6, EXT(EXT_HBH_BADTLV), .nh = 0, L4(TCP20),
	 .res = CT_PARSE_IP6_EXTHDR},
	{124, "ipv6 hbh pad1", E6, EXT(EXT_HBH_PAD1), .nh = 0, L4(UDP12), .proto = 17,
	 .sport = 5353, .dport = 53},
	{125, "ipv6 hbh not first: skipped", E6, EXT(EXT_DST_HBH), .nh = 60, L4(UDP12),
	 .proto = 17, .sport = 5353, .dport = 53},
	{126, "ipv6 mobility header is upper layer", E6, .nh = 135, L4(MH8), .proto = 135},
	{127, "ipv6 hbh cut by payload length", E6, EXT(EXT_HBH_TCP), .nh = 0, .len_adj = -2,
	 .res = CT_PARSE_IP6_EXTHDR},
	{128, "ipv6 bad version", E6, .hdr0 = 0x50, .nh = 6, L4(TCP20), .res = CT_PARSE_IP_HDR},
	{129, "ipv6 payload length 0, no hbh", E6, .nh = 6, L4(TCP20), .len_adj = -20,
	 .proto = 6, .l4_bad = CT_L4_TRUNCATED},
	{130, "ipv6 payload 0 + hbh, no jumbo", E6, EXT(EXT_HBH_TCP), .nh = 0, L4(TCP20),
	 .len_adj = -28, .res = CT_PARSE_IP6_EXTHDR},
};

/* The expected accounting length and L4 length of a case. */
static void expect_lengths(const struct spec *s, uint32_t *l3_len, uint32_t *l4_len)
{
	if (s->ipver == 4) {
		*l3_len = (uint32_t)((int32_t)(20 + s->v4_optlen + s->l4_len) + s->len_adj);
		*l4_len = *l3_len - 20 - s->v4_optlen;
	} else {
		*l3_len = (uint32_t)((int32_t)(40 + s->ext_len + s->l4_len) + s->len_adj);
		*l4_len = *l3_len - 40 - s->ext_len;
	}
}

static void check_case(const struct spec *s, const struct ct_pkt *p, enum ct_parse_result r,
		       uint32_t l3)
{
	uint32_t l3_len, l4_len;

	if (r != s->res)
		fail_msg("case %d (%s): result %s, want %s", s->id, s->name,
			 ct_parse_result_name(r), ct_parse_result_name(s->res));
	if (r != CT_PARSE_OK)
		return;
	expect_lengths(s, &l3_len, &l4_len);
	assert_int_equal(p->l3_off, l3);
	assert_int_equal(p->l3num, s->ipver == 4 ? 2 : 10);
	assert_int_equal(p->nvlan, s->nvlan);
	for (int i = 0; i < s->nvlan; i++)
		assert_int_equal(p->vlan[i], 100 + i);
	assert_int_equal(p->l3_len, l3_len);
	if (!s->frag || s->first) {
		assert_int_equal(p->l4_len, l4_len);
		assert_int_equal(p->l4_off, l3 + l3_len - l4_len);
	}
	assert_int_equal(p->ttl, s->ipver == 4 ? 64 : 63);
	if (p->proto != s->proto || p->l4_bad != s->l4_bad || p->tuple.src_l4 != s->sport ||
	    p->tuple.dst_l4 != s->dport)
		fail_msg("case %d (%s): proto %u bad %u l4 %#x/%#x, want %u %u %#x/%#x", s->id,
			 s->name, p->proto, p->l4_bad, p->tuple.src_l4, p->tuple.dst_l4, s->proto,
			 s->l4_bad, s->sport, s->dport);
	assert_int_equal(p->is_frag, s->frag);
	assert_int_equal(p->frag_first, s->first);
	assert_int_equal(p->frag_more, s->more);
	assert_int_equal(p->frag_off, s->frag_off);
	if (s->frag)
		assert_int_equal(p->frag_id, s->frag_id);
	if (s->ipver == 6 && s->frag)
		assert_int_equal(p->frag_hdr_off, l3 + 40 + (s->nh == 43 ? 8 : 0));
	else
		assert_int_equal(p->frag_hdr_off, 0);
	assert_int_equal(p->tuple.l3num, p->l3num);
	assert_int_equal(p->tuple.proto, s->proto);
	assert_int_equal(p->tuple.zone, 0);
	if (s->ipver == 4) {
		static const uint8_t zero[12];

		assert_memory_equal(p->tuple.src, SRC4, 4);
		assert_memory_equal(p->tuple.dst, DST4, 4);
		assert_memory_equal(p->tuple.src + 4, zero, 12);
		assert_memory_equal(p->tuple.dst + 4, zero, 12);
	} else {
		assert_memory_equal(p->tuple.src, SRC6, 16);
		assert_memory_equal(p->tuple.dst, DST6, 16);
	}
	assert_ptr_equal(p->ct, NULL);
	assert_int_equal(p->ctinfo, CT_INFO_INVALID);
}

/* Every case, as is and before an unreadable page. */
static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spec *s = &cases[i];
		struct fb f;
		struct ct_pkt p;
		struct pk_guard g;
		uint32_t l3 = build(s, &f);
		enum ct_parse_result r;

		r = parse_guarded(&p, f.b, f.n, f.n + s->wire_extra, s->link, &g);
		check_case(s, &p, r, l3);
		assert_int_equal(p.len, f.n);
		assert_int_equal(p.wire_len, f.n + s->wire_extra);
		pk_guard_free(&g);
	}
}

/*
 * Every truncation of every case, each before an unreadable page.  A cut
 * that keeps the whole IP datagram (only trailer bytes lost) parses as the
 * full frame; any shorter cut of an OK frame must fail at the IP layer or
 * the link layer, never read beyond the cut.
 */
static void test_truncations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spec *s = &cases[i];
		struct fb f;
		uint32_t l3 = build(s, &f);
		uint32_t l3_len = 0, l4_len = 0;

		expect_lengths(s, &l3_len, &l4_len);
		for (uint32_t cut = 0; cut < f.n; cut++) {
			struct ct_pkt p;
			struct pk_guard g;
			enum ct_parse_result r;

			r = parse_guarded(&p, f.b, cut, f.n, s->link, &g);
			if (s->res == CT_PARSE_OK && cut >= l3 + l3_len) {
				check_case(s, &p, r, l3);
			} else if (s->res == CT_PARSE_OK) {
				if (r == CT_PARSE_OK || r == CT_PARSE_NOT_IP)
					fail_msg("case %d (%s) cut %u: %s", s->id, s->name, cut,
						 ct_parse_result_name(r));
				if (cut < l3 && s->link == CT_LINK_ETHERNET)
					assert_int_equal(r, CT_PARSE_TRUNC_L2);
			}
			pk_guard_free(&g);
		}
	}
}

/* A jumbogram (RFC 2675): payload length 0 and a Jumbo Payload option. */
static void test_jumbo(void **state)
{
	uint32_t plen = 70000, n = 40 + plen;
	uint8_t *buf = calloc(1, n);
	struct ct_pkt p;
	struct pk_guard g;

	(void)state;
	assert_non_null(buf);
	buf[0] = 0x60;
	buf[6] = 0; /* HBH */
	buf[7] = 1;
	memcpy(buf + 8, SRC6, 16);
	memcpy(buf + 24, DST6, 16);
	/* HBH -> UDP, PadN(0)... no: Jumbo at offset 2 (4n+2), len 4 */
	buf[40] = 17;
	buf[41] = 0;
	buf[42] = 0xc2;
	buf[43] = 4;
	buf[44] = (uint8_t)(plen >> 24);
	buf[45] = (uint8_t)(plen >> 16);
	buf[46] = (uint8_t)(plen >> 8);
	buf[47] = (uint8_t)plen;
	buf[48] = 0x30; /* sport 0x3039 = 12345 */
	buf[49] = 0x39;
	buf[50] = 0;
	buf[51] = 9;
	/* UDP length 0 for jumbograms (RFC 2675 §4): our parser sees 0 < 8. */
	assert_int_equal(parse_guarded(&p, buf, n, n, CT_LINK_RAW, &g), CT_PARSE_OK);
	assert_int_equal(p.l3_len, n);
	assert_int_equal(p.l4_off, 48);
	assert_int_equal(p.l4_len, plen - 8);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.tuple.src_l4, 12345);
	assert_int_equal(p.tuple.dst_l4, 9);
	pk_guard_free(&g);
	/* jumbo value <= 65535: dropped by the IP layer */
	buf[44] = buf[45] = 0;
	buf[46] = 0x10;
	buf[47] = 0;
	assert_int_equal(parse_guarded(&p, buf, n, n, CT_LINK_RAW, &g), CT_PARSE_IP6_EXTHDR);
	pk_guard_free(&g);
	/* jumbo longer than the capture */
	buf[44] = 0;
	buf[45] = 0x02;
	buf[46] = 0;
	buf[47] = 0;
	assert_int_equal(parse_guarded(&p, buf, n, n, CT_LINK_RAW, &g), CT_PARSE_IP6_EXTHDR);
	pk_guard_free(&g);
	free(buf);
}

/* Names exist for every result and unknown values do not crash. */
static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < CT_PARSE_MAX; r++) {
		assert_non_null(ct_parse_result_name((enum ct_parse_result)r));
		assert_string_not_equal(ct_parse_result_name((enum ct_parse_result)r), "unknown");
	}
	assert_string_equal(ct_parse_result_name(CT_PARSE_OK), "ok");
	assert_string_equal(ct_parse_result_name(CT_PARSE_MAX), "unknown");
}

/* wire_len 0 (not set by the caller) reads as len; stale results are reset. */
static void test_reset(void **state)
{
	struct spec s = {1, "x", E4, .nh = 6, L4(TCP20)};
	struct fb f;
	struct ct_pkt p;

	(void)state;
	build(&s, &f);
	memset(&p, 0xa5, sizeof(p));
	p.wire_len = 0;
	assert_int_equal(ct_pkt_parse(&p, f.b, f.n, CT_LINK_ETHERNET), CT_PARSE_OK);
	assert_int_equal(p.wire_len, f.n);
	assert_ptr_equal(p.ct, NULL);
	assert_false(p.ct_new);
	assert_false(p.notrack);
	assert_int_equal(p.zone_id, 0);
	assert_int_equal(p.frag_hdr_off, 0);
	assert_int_equal(ct_pkt_parse(&p, f.b, f.n, (enum ct_link)7), CT_PARSE_NOT_IP);
}

/*
 * Replays the fuzzers' kept crash inputs (fuzz/regress/fuzz_parse/) when the
 * test runs from the repository root: every input must parse without a
 * fault, as Ethernet and as raw IP.
 */
static void test_regress(void **state)
{
	FILE *lst;
	char name[512];

	(void)state;
	lst = popen("ls fuzz/regress/fuzz_parse/ 2>/dev/null", "r");
	if (!lst)
		return;
	while (fgets(name, sizeof(name), lst)) {
		char path[600];
		uint8_t buf[65536 + 64];
		size_t n;
		FILE *in;

		name[strcspn(name, "\n")] = 0;
		snprintf(path, sizeof(path), "fuzz/regress/fuzz_parse/%s", name);
		in = fopen(path, "rb");
		if (!in)
			continue;
		n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		for (int link = 0; link < 2; link++) {
			struct ct_pkt p;
			struct pk_guard g;

			parse_guarded(&p, buf, (uint32_t)n, (uint32_t)n, (uint8_t)link, &g);
			pk_guard_free(&g);
		}
	}
	pclose(lst);
}

/*
 * The seed corpus holds real frames (fuzz/corpus/fuzz_parse/, checksums
 * valid); when run from the repository root each must parse as described.
 */
static void test_seed_frames(void **state)
{
	static const struct {
		const char *file;
		uint8_t link;
		enum ct_parse_result res;
		uint8_t proto;
		uint16_t sport, dport;
		uint8_t nvlan;
		bool csum_ok;
	} seeds[] = {
		{"eth-ipv4-tcp-syn", 0, CT_PARSE_OK, 6, 43210, 443, 0, true},
		{"vlan-ipv4-udp-dns", 0, CT_PARSE_OK, 17, 53000, 53, 1, true},
		{"qinq-ipv4-icmp-echo", 0, CT_PARSE_OK, 1, 0x4242, 0x0800, 2, true},
		{"eth-ipv6-icmpv6-echo", 0, CT_PARSE_OK, 58, 0x77, 0x8000, 0, true},
		{"eth-ipv6-hbh-dst-frag-udp", 0, CT_PARSE_OK, 17, 5000, 5001, 0, false},
		{"eth-ipv4-frag-middle", 0, CT_PARSE_OK, 17, 0, 0, 0, false},
		{"eth-ipv4-gre-pptp", 0, CT_PARSE_OK, 47, 0, 0x1234, 0, true},
		{"raw-ipv6-tcp", 1, CT_PARSE_OK, 6, 1234, 22, 0, false},
		{"eth-arp", 0, CT_PARSE_NOT_IP, 0, 0, 0, 0, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[256];
		uint8_t buf[2048];
		struct ct_pkt p;
		struct pk_guard g;
		size_t n;
		FILE *in;

		snprintf(path, sizeof(path), "fuzz/corpus/fuzz_parse/%s", seeds[i].file);
		in = fopen(path, "rb");
		if (!in)
			skip(); /* not run from the repository root */
		n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		assert_int_equal(parse_guarded(&p, buf, (uint32_t)n, (uint32_t)n, seeds[i].link, &g),
				 seeds[i].res);
		if (seeds[i].res == CT_PARSE_OK) {
			if (p.proto != seeds[i].proto || p.tuple.src_l4 != seeds[i].sport ||
			    p.tuple.dst_l4 != seeds[i].dport || p.nvlan != seeds[i].nvlan)
				fail_msg("%s: proto %u %#x/%#x nvlan %u", seeds[i].file, p.proto,
					 p.tuple.src_l4, p.tuple.dst_l4, p.nvlan);
			if (seeds[i].csum_ok)
				assert_true(ct_pkt_l4_csum_ok(&p));
		}
		pk_guard_free(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),   cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_jumbo),   cmocka_unit_test(test_names),
		cmocka_unit_test(test_reset),   cmocka_unit_test(test_regress),
		cmocka_unit_test(test_seed_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
