/* SPDX-License-Identifier: MIT */
/*
 * NAT for helpers (spec §9.3, §9.4, §10.6; kernel nf_nat_ftp, nf_nat_tftp,
 * nf_nat_follow_master) through the whole router: lib/fw with a real nft
 * ruleset (ct helper object, `ct helper set`, masquerade / snat / dnat).
 *
 *   client 10.0.1.2 / fd00:1::2 --- [eth1 10.0.1.1/24 fd00:1::1/64]  fw
 *                                   [eth2 10.0.2.1/24 fd00:2::1/64] --- server 10.0.2.2 / fd00:2::2
 *
 * The expected bytes are the spec's [V] observations on 6.18:
 *  - masquerade: PORT 10,0,1,2,200,10 leaves as PORT 10,0,2,1,200,10; the
 *    expectation is 10.0.2.2:* -> 10.0.2.1:51210; the data entry is ORIG
 *    10.0.2.2:20 -> 10.0.2.1:51210, REPLY 10.0.1.2:51210 -> 10.0.2.2:20;
 *  - snat to 10.0.2.100: PORT 10,0,1,2,156,65 leaves as
 *    PORT 10,0,2,100,156,65 (+2 bytes), that segment keeps its seq, every
 *    later client->server segment gets seq + 2, every later
 *    server->client segment ack - 2;
 * and the kernel's formats: EPRT with "%pI6" (eight full groups), EPSV
 * "|||port|", PASV "h1,h2,h3,h4,p1,p2".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/expect.h"
#include "ctrack/format.h"
#include "ctrack/fw.h"
#include "ctrack/nft.h"
#include "pktbuild.h"

#define SEC CT_NSEC_PER_SEC
#define T0  (100 * SEC)

static const uint8_t MAC_FW1[6] = {2, 0, 0, 0, 1, 1}, MAC_FW2[6] = {2, 0, 0, 0, 2, 1};
static const uint8_t MAC_CLI[6] = {2, 0, 0, 0, 1, 2}, MAC_SRV[6] = {2, 0, 0, 0, 2, 2};

#define C4  "10.0.1.2"
#define C4B "10.0.1.3"
#define S4  "10.0.2.2"
#define F2  "10.0.2.1"
#define C6  "fd00:1::2"
#define S6  "fd00:2::2"

/* ---- the rig: fw + ruleset ---------------------------------------------------- */

struct rig {
	struct fw *fw;
	struct nft_ruleset *rs;
	uint32_t eth1, eth2;
	struct fw_result res;
	uint8_t out[PB_MAX + 64]; /* the last forwarded packet (L3) */
	uint32_t out_len;
	struct ct_pkt op; /* ... parsed */
};

static const char *RULES_FMT =
    "table inet t {\n"
    "  ct helper ftp-standard { type \"ftp\" protocol tcp; }\n"
    "  ct helper tftp-standard { type \"tftp\" protocol udp; }\n"
    "  chain c_pre { type filter hook prerouting priority 0; policy accept;\n"
    "    tcp dport 21 ct helper set \"ftp-standard\"\n"
    "    udp dport 69 ct helper set \"tftp-standard\"\n"
    "  }\n"
    "  chain c_fwd { type filter hook forward priority 0; policy drop;\n"
    "    ct state established,related accept\n"
    "    iifname \"eth1\" accept\n"
    "    %s\n"
    "  }\n"
    "  chain c_dnat { type nat hook prerouting priority -100; %s }\n"
    "  chain c_snat { type nat hook postrouting priority 100; %s }\n"
    "}\n";

static void rig_up(struct rig *r, const char *fwd_extra, const char *dnat, const char *snat)
{
	struct nft_iface ifs[3] = {{"lo", 1}, {"eth1", 2}, {"eth2", 3}};
	struct nft_config cfg = {.ifaces = ifs, .n_ifaces = 3};
	struct fw_config fc = {.ct = {.max = 4096}};
	char rules[2048], *err = NULL;
	uint8_t a[16];
	int n;

	memset(r, 0, sizeof(*r));
	assert_int_equal(fw_new(&fc, &r->fw), 0);
	r->eth1 = (uint32_t)fw_add_iface(r->fw, "eth1", MAC_FW1);
	r->eth2 = (uint32_t)fw_add_iface(r->fw, "eth2", MAC_FW2);
	assert_int_equal(r->eth1, 2);
	assert_int_equal(r->eth2, 3);
	pb_addr("10.0.1.1", a);
	fw_add_addr(r->fw, r->eth1, 2, a, 24);
	pb_addr("10.0.2.1", a);
	fw_add_addr(r->fw, r->eth2, 2, a, 24);
	pb_addr("fd00:1::1", a);
	fw_add_addr(r->fw, r->eth1, 10, a, 64);
	pb_addr("fd00:2::1", a);
	fw_add_addr(r->fw, r->eth2, 10, a, 64);
	pb_addr(C4, a);
	fw_add_neigh(r->fw, r->eth1, 2, a, MAC_CLI);
	pb_addr(C4B, a);
	fw_add_neigh(r->fw, r->eth1, 2, a, MAC_CLI);
	pb_addr(S4, a);
	fw_add_neigh(r->fw, r->eth2, 2, a, MAC_SRV);
	pb_addr(C6, a);
	fw_add_neigh(r->fw, r->eth1, 10, a, MAC_CLI);
	pb_addr(S6, a);
	fw_add_neigh(r->fw, r->eth2, 10, a, MAC_SRV);
	n = snprintf(rules, sizeof(rules), RULES_FMT, fwd_extra ? fwd_extra : "", dnat ? dnat : "",
		     snat ? snat : "");
	assert_true(n > 0 && (size_t)n < sizeof(rules));
	assert_int_equal(nft_ruleset_new(&cfg, &r->rs), 0);
	if (nft_ruleset_apply(r->rs, "rules", rules, strlen(rules), false, &err) != 0) {
		fprintf(stderr, "%s", err ? err : "ruleset error\n");
		fail();
	}
	fw_set_ruleset(r->fw, r->rs);
}

static void rig_down(struct rig *r)
{
	fw_free(r->fw);
	nft_ruleset_free(r->rs);
}

/*
 * Inject the packet built in k from the client (eth1) or server (eth2).
 * Returns true when forwarded; the packet that left is in r->out / r->op.
 */
static bool rig_send(struct rig *r, bool from_client, const struct pb_pkt *k, uint64_t now)
{
	static uint8_t frame[PB_MAX + 14];
	const uint8_t *dmac = from_client ? MAC_FW1 : MAC_FW2;
	const uint8_t *smac = from_client ? MAC_CLI : MAC_SRV;

	memcpy(frame, dmac, 6);
	memcpy(frame + 6, smac, 6);
	frame[12] = (k->buf[0] >> 4) == 6 ? 0x86 : 0x08;
	frame[13] = (k->buf[0] >> 4) == 6 ? 0xdd : 0x00;
	memcpy(frame + 14, k->buf, k->len);
	assert_int_equal(
	    fw_input(r->fw, from_client ? r->eth1 : r->eth2, frame, k->len + 14, now, &r->res), 0);
	r->out_len = 0;
	if (getenv("FTPNAT_DEBUG"))
		fprintf(stderr, "  %s %s reason=%s ctinfo=%u status=%#x n_emit=%zu\n",
			from_client ? "c>" : "s>", fw_outcome_name(r->res.outcome),
			fw_reason_name(r->res.reason), r->res.ctinfo, r->res.ct_status,
			r->res.n_emit);
	if (r->res.outcome != FW_FORWARDED || r->res.n_emit != 1)
		return false;
	r->out_len = r->res.emit[0].len - 14;
	memcpy(r->out, r->res.emit[0].frame + 14, r->out_len);
	assert_int_equal(ct_pkt_parse(&r->op, r->out, r->out_len, CT_LINK_RAW), CT_PARSE_OK);
	return true;
}

/* The forwarded packet's TCP fields. */
static uint32_t out_seq(const struct rig *r)
{
	const uint8_t *t = r->out + r->op.l4_off;

	return (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
}

static uint32_t out_ack(const struct rig *r)
{
	const uint8_t *t = r->out + r->op.l4_off;

	return (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
}

static const char *out_payload(const struct rig *r, uint32_t *len)
{
	const uint8_t *t = r->out + r->op.l4_off;
	uint32_t hl = r->op.proto == 6 ? (uint32_t)(t[12] >> 4) * 4 : 8;

	*len = r->op.l4_len - hl;
	return (const char *)t + hl;
}

/* The forwarded packet is well formed: lengths, IPv4 header and L4 checksums. */
static void assert_out_valid(const struct rig *r)
{
	assert_true(ct_pkt_l4_csum_ok(&r->op));
	if (r->op.l3num == 2) {
		assert_int_equal((r->out[2] << 8 | r->out[3]), r->out_len);
		assert_int_equal(pk_csum(r->out, 20, 0), 0);
	} else {
		assert_int_equal((r->out[4] << 8 | r->out[5]) + 40, r->out_len);
	}
}

static void assert_out_payload(const struct rig *r, const char *want)
{
	uint32_t n;
	const char *p = out_payload(r, &n);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* A TCP control session played by both ends (sequence numbers as sent). */
struct sess {
	const char *c, *s;
	uint16_t cp, sp;
	const char *sc, *ss; /* the client and server as the server sees them (NULL: c, s) */
	uint32_t cseq, sseq; /* next seq each end sends (its own view) */
};

static void tcp_send(struct rig *r, struct sess *s, bool from_client, uint8_t flags,
		     const char *data, uint64_t now, bool want_fwd)
{
	struct pb_pkt k;
	uint32_t dlen = data ? (uint32_t)strlen(data) : 0;

	if (from_client)
		pb_tcp(&k, s->c, s->cp, s->s, s->sp, flags, s->cseq, s->sseq, data, dlen);
	else
		pb_tcp(&k, s->ss ? s->ss : s->s, s->sp, s->sc ? s->sc : s->c, s->cp, flags, s->sseq,
		       s->cseq, data, dlen);
	assert_int_equal(rig_send(r, from_client, &k, now), want_fwd);
	if (from_client)
		s->cseq += dlen + ((flags & (PB_SYN | PB_FIN)) ? 1 : 0);
	else
		s->sseq += dlen + ((flags & (PB_SYN | PB_FIN)) ? 1 : 0);
}

/* Handshake and the greeting, so that later segments are parsed (§9.3). */
static void sess_open(struct rig *r, struct sess *s, uint64_t now)
{
	tcp_send(r, s, true, PB_SYN, NULL, now, true);
	tcp_send(r, s, false, PB_SYN | PB_ACK, NULL, now, true);
	tcp_send(r, s, true, PB_ACK, NULL, now, true);
	tcp_send(r, s, false, PB_ACK | PB_PSH, "220 ready\r\n", now, true);
	tcp_send(r, s, true, PB_ACK | PB_PSH, "USER ftp\r\n", now, true);
}

static const struct ct_expect *one_expect(struct rig *r, uint64_t now)
{
	struct ct_table *t = fw_ct(r->fw);
	struct ct_expect_iter it;
	const struct ct_expect *e, *first;

	ct_expect_iter_init(&it);
	first = ct_expect_iter_next(t, &it, now);
	e = first ? ct_expect_iter_next(t, &it, now) : NULL;
	return e ? NULL : first;
}

static void expect_line(struct rig *r, const struct ct_expect *e, uint64_t now, char *buf,
			size_t len)
{
	struct ct_fmt_opts o = {.now = now, .wall_now = now};

	assert_non_null(e);
	ct_format_expect(fw_ct(r->fw), e, &o, buf, len);
}

static void conn_line(struct rig *r, const char *src, uint16_t sport, uint64_t now, char *buf,
		      size_t len)
{
	struct ct_table *t = fw_ct(r->fw);
	struct ct_fmt_opts o = {.now = now, .wall_now = now};
	struct ct_iter it;
	const struct ct_conn *c;
	uint8_t a[16];

	pb_addr(src, a);
	ct_iter_init(&it);
	while ((c = ct_iter_next(t, &it, now)) != NULL) {
		struct ct_tuple tu;

		ct_conn_tuple(c, CT_DIR_ORIGINAL, &tu);
		if (tu.src_l4 == sport && memcmp(tu.src, a, 16) == 0) {
			ct_format_conn(t, c, &o, buf, len);
			return;
		}
	}
	fail_msg("no entry from %s:%u", src, sport);
}

/* ---- 1. masquerade, active FTP (spec §9.3 [V]) ---------------------------------- */

static void test_masquerade_port(void **state)
{
	struct rig r;
	struct sess s = {C4, S4, 40000, 21, F2, NULL, 1000, 5000};
	struct pb_pkt k;
	char line[512];
	const struct ct_expect *e;

	(void)state;
	rig_up(&r, NULL, NULL, "oifname \"eth2\" masquerade");
	sess_open(&r, &s, T0);
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "PORT 10,0,1,2,200,10\r\n", T0, true);
	assert_out_payload(&r, "PORT 10,0,2,1,200,10\r\n");
	assert_out_valid(&r);
	/* same length: no sequence adjustment */
	assert_int_equal(out_seq(&r), s.cseq - 22);
	e = one_expect(&r, T0);
	expect_line(&r, e, T0, line, sizeof(line));
	assert_string_equal(line, "300 proto=6 src=10.0.2.2 dst=10.0.2.1 sport=0 dport=51210 "
				  "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 "
				  "dport=65535 master-src=10.0.1.2 master-dst=10.0.2.2 sport=40000 "
				  "dport=21 class=0 helper=ftp");
	tcp_send(&r, &s, false, PB_ACK | PB_PSH, "200 ok\r\n", T0, true);
	/* the data connection from the server, to the masquerading address */
	pb_tcp(&k, S4, 20, F2, 51210, PB_SYN, 7000, 0, NULL, 0);
	assert_true(rig_send(&r, false, &k, T0 + SEC));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	{
		uint8_t a[16];

		pb_addr(C4, a);
		assert_memory_equal(r.out + 16, a, 4); /* to the inside host */
		pb_addr(S4, a);
		assert_memory_equal(r.out + 12, a, 4);
		assert_int_equal(r.op.tuple.dst_l4, 51210);
		assert_int_equal(r.op.tuple.src_l4, 20);
	}
	assert_out_valid(&r);
	assert_null(one_expect(&r, T0 + SEC));
	conn_line(&r, S4, 20, T0 + SEC, line, sizeof(line));
	assert_string_equal(line, "tcp      6 120 SYN_SENT src=10.0.2.2 dst=10.0.2.1 sport=20 "
				  "dport=51210 [UNREPLIED] src=10.0.1.2 dst=10.0.2.2 sport=51210 "
				  "dport=20 mark=0 use=1");
	/* the client answers: translated back to the masquerading address */
	pb_tcp(&k, C4, 51210, S4, 20, PB_SYN | PB_ACK, 9000, 7001, NULL, 0);
	assert_true(rig_send(&r, true, &k, T0 + SEC));
	{
		uint8_t a[16];

		pb_addr(F2, a);
		assert_memory_equal(r.out + 12, a, 4);
		assert_int_equal(r.op.tuple.src_l4, 51210);
	}
	assert_out_valid(&r);
	assert_true(r.res.ct_status & CT_S_EXPECTED);
	assert_true(r.res.ct_status & CT_S_DST_NAT);
	assert_false(r.res.ct_status & CT_S_SRC_NAT);
	rig_down(&r);
}

/* ---- 2. snat to a longer address: +2 bytes and sequence adjustment ------------ */

static void test_snat_seqadj(void **state)
{
	struct rig r;
	struct sess s = {C4, S4, 40001, 21, "10.0.2.100", NULL, 100000, 700000};
	uint32_t port_seq;
	char line[512];

	(void)state;
	rig_up(&r, NULL, NULL, "oifname \"eth2\" snat ip to 10.0.2.100");
	sess_open(&r, &s, T0);
	port_seq = s.cseq;
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "PORT 10,0,1,2,156,65\r\n", T0, true);
	assert_out_payload(&r, "PORT 10,0,2,100,156,65\r\n");
	assert_out_valid(&r);
	assert_int_equal(out_seq(&r), port_seq); /* the rewritten segment keeps its seq */
	assert_true(r.res.ct_status & CT_S_SEQ_ADJUST);
	expect_line(&r, one_expect(&r, T0), T0, line, sizeof(line));
	assert_string_equal(line, "300 proto=6 src=10.0.2.2 dst=10.0.2.100 sport=0 dport=40001 "
				  "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 "
				  "dport=65535 master-src=10.0.1.2 master-dst=10.0.2.2 sport=40001 "
				  "dport=21 class=0 helper=ftp");
	/* the server acks what it received (2 bytes more than the client sent) */
	{
		struct pb_pkt k;

		pb_tcp(&k, S4, 21, "10.0.2.100", 40001, PB_ACK | PB_PSH, s.sseq, s.cseq + 2,
		       "200 ok\r\n", 8);
		assert_true(rig_send(&r, false, &k, T0));
		assert_out_valid(&r);
		assert_int_equal(out_ack(&r), s.cseq); /* ack - 2 */
		assert_int_equal(out_seq(&r), s.sseq);
		s.sseq += 8;
	}
	/* every later client segment: seq + 2 */
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "LIST\r\n", T0, true);
	assert_int_equal(out_seq(&r), s.cseq - 6 + 2);
	assert_int_equal(out_ack(&r), s.sseq);
	assert_out_payload(&r, "LIST\r\n");
	assert_out_valid(&r);
	{
		struct pb_pkt k;

		pb_tcp(&k, S4, 21, "10.0.2.100", 40001, PB_ACK, s.sseq, s.cseq + 2, NULL, 0);
		assert_true(rig_send(&r, false, &k, T0));
		assert_int_equal(out_ack(&r), s.cseq);
		assert_out_valid(&r);
	}
	/* a second PORT after the first correction: adds up (+2 again) */
	port_seq = s.cseq;
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "PORT 10,0,1,2,156,66\r\n", T0, true);
	assert_out_payload(&r, "PORT 10,0,2,100,156,66\r\n");
	assert_int_equal(out_seq(&r), port_seq + 2);
	assert_out_valid(&r);
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "NOOP\r\n", T0, true);
	assert_int_equal(out_seq(&r), s.cseq - 6 + 4);
	rig_down(&r);
}

/* ---- 3. passive FTP to a DNATed server: 227 rewritten --------------------------- */

static void test_dnat_pasv(void **state)
{
	struct rig r;
	struct sess s = {C4, F2, 40002, 21, NULL, S4, 1000, 5000};
	struct pb_pkt k;
	char line[512];

	(void)state;
	rig_up(&r, "ct status dnat accept", "iifname \"eth1\" tcp dport 21 dnat ip to 10.0.2.2",
	       NULL);
	/* the server answers from its own address, the client sees 10.0.2.1 */
	s.s = F2;
	tcp_send(&r, &s, true, PB_SYN, NULL, T0, true);
	pb_tcp(&k, S4, 21, C4, 40002, PB_SYN | PB_ACK, s.sseq, s.cseq, NULL, 0);
	assert_true(rig_send(&r, false, &k, T0));
	s.sseq++;
	tcp_send(&r, &s, true, PB_ACK, NULL, T0, true);
	pb_tcp(&k, S4, 21, C4, 40002, PB_ACK | PB_PSH, s.sseq, s.cseq, "220 ready\r\n", 11);
	assert_true(rig_send(&r, false, &k, T0));
	s.sseq += 11;
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "PASV\r\n", T0, true);
	pb_tcp(&k, S4, 21, C4, 40002, PB_ACK | PB_PSH, s.sseq, s.cseq,
	       "227 Entering Passive Mode (10,0,2,2,156,65).\r\n", 46);
	assert_true(rig_send(&r, false, &k, T0));
	assert_out_payload(&r, "227 Entering Passive Mode (10,0,2,1,156,65).\r\n");
	assert_out_valid(&r);
	expect_line(&r, one_expect(&r, T0), T0, line, sizeof(line));
	assert_string_equal(line, "300 proto=6 src=10.0.1.2 dst=10.0.2.1 sport=0 dport=40001 "
				  "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 "
				  "dport=65535 master-src=10.0.1.2 master-dst=10.0.2.1 sport=40002 "
				  "dport=21 class=0 helper=ftp");
	/* the client's data connection reaches the real server */
	pb_tcp(&k, C4, 40100, F2, 40001, PB_SYN, 1, 0, NULL, 0);
	assert_true(rig_send(&r, true, &k, T0));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	{
		uint8_t a[16];

		pb_addr(S4, a);
		assert_memory_equal(r.out + 16, a, 4);
		assert_int_equal(r.op.tuple.dst_l4, 40001);
	}
	assert_out_valid(&r);
	conn_line(&r, C4, 40100, T0, line, sizeof(line));
	assert_string_equal(line, "tcp      6 120 SYN_SENT src=10.0.1.2 dst=10.0.2.1 sport=40100 "
				  "dport=40001 [UNREPLIED] src=10.0.2.2 dst=10.0.1.2 sport=40001 "
				  "dport=40100 mark=0 use=1");
	rig_down(&r);
}

/* ---- 4. EPRT / EPSV over IPv6 with masquerade ----------------------------------- */

static void test_v6_eprt_epsv(void **state)
{
	struct rig r;
	struct sess s = {C6, S6, 40003, 21, "fd00:2::1", NULL, 1000, 5000};
	struct sess v = {C6, S6, 40004, 21, "fd00:2::1", NULL, 3000, 8000};
	struct pb_pkt k;
	char line[512];

	(void)state;
	rig_up(&r, NULL, NULL, "oifname \"eth2\" masquerade");
	sess_open(&r, &s, T0);
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "EPRT |2|fd00:1::2|51211|\r\n", T0, true);
	/* "%pI6": never compressed; +30 bytes */
	assert_out_payload(&r, "EPRT |2|fd00:0002:0000:0000:0000:0000:0000:0001|51211|\r\n");
	assert_out_valid(&r);
	assert_true(r.res.ct_status & CT_S_SEQ_ADJUST);
	expect_line(&r, one_expect(&r, T0), T0, line, sizeof(line));
	assert_string_equal(line,
			    "300 proto=6 src=fd00:2::2 dst=fd00:2::1 sport=0 dport=51211 "
			    "mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
			    "mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 "
			    "dport=65535 master-src=fd00:1::2 master-dst=fd00:2::2 sport=40003 "
			    "dport=21 class=0 helper=ftp");
	pb_tcp(&k, S6, 20, "fd00:2::1", 51211, PB_SYN, 1, 0, NULL, 0);
	assert_true(rig_send(&r, false, &k, T0));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	{
		uint8_t a[16];

		pb_addr(C6, a);
		assert_memory_equal(r.out + 24, a, 16);
	}
	assert_out_valid(&r);
	/* later client data: seq + 30 */
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "NOOP\r\n", T0, true);
	assert_int_equal(out_seq(&r), s.cseq - 6 + 30);
	assert_out_valid(&r);

	/* EPSV: the reply names only a port; same length, nothing to adjust */
	sess_open(&r, &v, T0);
	tcp_send(&r, &v, true, PB_ACK | PB_PSH, "EPSV\r\n", T0, true);
	tcp_send(&r, &v, false, PB_ACK | PB_PSH,
		 "229 Entering Extended Passive Mode (|||40001|)\r\n", T0, true);
	assert_out_payload(&r, "229 Entering Extended Passive Mode (|||40001|)\r\n");
	assert_out_valid(&r);
	assert_false(r.res.ct_status & CT_S_SEQ_ADJUST);
	pb_tcp(&k, C6, 40200, S6, 40001, PB_SYN, 1, 0, NULL, 0);
	assert_true(rig_send(&r, true, &k, T0));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	{
		uint8_t a[16];

		pb_addr("fd00:2::1", a);
		assert_memory_equal(r.out + 8, a, 16); /* masqueraded like its master */
	}
	assert_out_valid(&r);
	rig_down(&r);
}

/* ---- 5. the expected port is taken: another port, and the text says so ----------- */

static void test_port_taken(void **state)
{
	struct rig r;
	struct sess a = {C4, S4, 40005, 21, F2, NULL, 1000, 5000};
	struct sess b = {C4B, S4, 40006, 21, F2, NULL, 2000, 6000};
	char line[512];
	uint32_t n;
	const char *txt;
	unsigned h[6];
	uint16_t port;
	struct pb_pkt k;

	(void)state;
	rig_up(&r, NULL, NULL, "oifname \"eth2\" masquerade");
	sess_open(&r, &a, T0);
	sess_open(&r, &b, T0);
	tcp_send(&r, &a, true, PB_ACK | PB_PSH, "PORT 10,0,1,2,200,10\r\n", T0, true);
	assert_out_payload(&r, "PORT 10,0,2,1,200,10\r\n");
	/* 10.0.1.3 announces the same port: 10.0.2.2 -> 10.0.2.1:51210 is taken */
	tcp_send(&r, &b, true, PB_ACK | PB_PSH, "PORT 10,0,1,3,200,10\r\n", T0, true);
	assert_out_valid(&r);
	txt = out_payload(&r, &n);
	assert_int_equal(
	    sscanf(txt, "PORT %u,%u,%u,%u,%u,%u\r\n", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]), 6);
	assert_int_equal(h[0] * 1000 + h[1] * 100 + h[2] * 10 + h[3], 10000 + 0 + 20 + 1);
	port = (uint16_t)(h[4] * 256 + h[5]);
	assert_true(port > 51210 && port < 65535);
	/* the data connection to that port reaches 10.0.1.3 at its own port 51210 */
	pb_tcp(&k, S4, 20, F2, port, PB_SYN, 1, 0, NULL, 0);
	assert_true(rig_send(&r, false, &k, T0));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	{
		uint8_t ad[16];

		pb_addr(C4B, ad);
		assert_memory_equal(r.out + 16, ad, 4);
		assert_int_equal(r.op.tuple.dst_l4, 51210);
	}
	/* and to 51210 reaches 10.0.1.2 */
	pb_tcp(&k, S4, 20, F2, 51210, PB_SYN, 1, 0, NULL, 0);
	assert_true(rig_send(&r, false, &k, T0));
	{
		uint8_t ad[16];

		pb_addr(C4, ad);
		assert_memory_equal(r.out + 16, ad, 4);
	}
	(void)line;
	rig_down(&r);
}

/* ---- 6. TFTP read through masquerade (spec §9.4) ---------------------------------- */

static void test_tftp_masquerade(void **state)
{
	struct rig r;
	struct pb_pkt k;
	char line[512];
	static const char rrq[] = "\x00\x01"
				  "file\x00"
				  "octet\x00";

	(void)state;
	rig_up(&r, NULL, NULL, "oifname \"eth2\" masquerade");
	pb_udp(&k, C4, 34200, S4, 69, rrq, sizeof(rrq) - 1);
	assert_true(rig_send(&r, true, &k, T0));
	expect_line(&r, one_expect(&r, T0), T0, line, sizeof(line));
	assert_string_equal(line, "300 proto=17 src=10.0.2.2 dst=10.0.2.1 sport=0 dport=34200 "
				  "mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 "
				  "dport=65535 master-src=10.0.1.2 master-dst=10.0.2.2 sport=34200 "
				  "dport=69 class=0 helper=tftp");
	pb_udp(&k, S4, 50001, F2, 34200,
	       "\x00\x03\x00\x01"
	       "data",
	       8);
	assert_true(rig_send(&r, false, &k, T0 + SEC));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	{
		uint8_t a[16];

		pb_addr(C4, a);
		assert_memory_equal(r.out + 16, a, 4);
		assert_int_equal(r.op.tuple.dst_l4, 34200);
	}
	assert_out_valid(&r);
	conn_line(&r, S4, 50001, T0 + SEC, line, sizeof(line));
	assert_string_equal(line, "udp      17 30 src=10.0.2.2 dst=10.0.2.1 sport=50001 "
				  "dport=34200 [UNREPLIED] src=10.0.1.2 dst=10.0.2.2 sport=34200 "
				  "dport=50001 mark=0 use=1");
	rig_down(&r);
}

/* ---- 7. without NAT nothing is rewritten; without the helper no hole ---------------- */

static void test_no_nat_no_rewrite(void **state)
{
	struct rig r;
	struct sess s = {C4, S4, 40007, 21, NULL, NULL, 1000, 5000};
	struct pb_pkt k;

	(void)state;
	rig_up(&r, NULL, NULL, NULL);
	sess_open(&r, &s, T0);
	tcp_send(&r, &s, true, PB_ACK | PB_PSH, "PORT 10,0,1,2,200,10\r\n", T0, true);
	assert_out_payload(&r, "PORT 10,0,1,2,200,10\r\n");
	assert_false(r.res.ct_status & CT_S_SEQ_ADJUST);
	pb_tcp(&k, S4, 20, C4, 51210, PB_SYN, 1, 0, NULL, 0);
	assert_true(rig_send(&r, false, &k, T0));
	assert_int_equal(r.res.ctinfo, CT_INFO_RELATED);
	/* another port: not expected, the stateful forward chain drops it */
	pb_tcp(&k, S4, 20, C4, 51211, PB_SYN, 1, 0, NULL, 0);
	assert_false(rig_send(&r, false, &k, T0));
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_masquerade_port),   cmocka_unit_test(test_snat_seqadj),
	    cmocka_unit_test(test_dnat_pasv),	      cmocka_unit_test(test_v6_eprt_epsv),
	    cmocka_unit_test(test_port_taken),	      cmocka_unit_test(test_tftp_masquerade),
	    cmocka_unit_test(test_no_nat_no_rewrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
