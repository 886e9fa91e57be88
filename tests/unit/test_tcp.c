/* SPDX-License-Identifier: MIT */
/*
 * The TCP tracker (spec §5): flag sanity, packet classes, the two transition
 * tables cell by cell (pure lookup and through the whole pipeline), the
 * IGNORE / RST / resync rules, timeouts, ASSURED, window tracking and the
 * window-scaling cases measured on 6.18.
 *
 * Packets are built by hand (IPv4 + TCP with correct checksums, computed by
 * a checksum routine of this file) and run through ct_hook_conntrack() and
 * ct_confirm() as a forwarded packet would be.  Expected values come from
 * the spec's tables, transcribed independently below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "proto_tcp.h"
#include "pkt_build.h"

#define SEC CT_NSEC_PER_SEC

enum {
	FIN = 0x01,
	SYN = 0x02,
	RST = 0x04,
	PSH = 0x08,
	ACK = 0x10,
	URG = 0x20,
	ECE = 0x40,
	CWR = 0x80
};
enum { C2S = 0, S2C = 1 }; /* client (originator) to server, and back */

/* ---- packet building --------------------------------------------------- */

struct seg {
	int dir;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t len;	    /* payload bytes */
	const uint8_t *opt; /* raw options, padded here to 4 bytes */
	uint8_t optlen;
};

struct flow {
	struct ct_table *t;
	uint64_t now;
	enum ct_hook hook;
	uint32_t cip, sip; /* host order */
	uint16_t cport, sport;
	uint8_t buf[2048];
	struct ct_pkt p;
	int ret;
	/* Counters read from the DESTROY event (the entry is gone after). */
	int destroyed;
	uint64_t dead_pkts[2];
	int updates;
};

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct flow *f = arg;
	uint64_t b;

	(void)now;
	if (type == CT_EVENT_UPDATE)
		f->updates++;
	if (type != CT_EVENT_DESTROY)
		return;
	f->destroyed++;
	ct_conn_counters(f->t, c, CT_DIR_ORIGINAL, &f->dead_pkts[0], &b);
	ct_conn_counters(f->t, c, CT_DIR_REPLY, &f->dead_pkts[1], &b);
}

static struct flow *flow_new(void)
{
	struct flow *f = calloc(1, sizeof(*f));
	struct ct_table_config cfg = {.max = 64, .event_fn = on_event};

	assert_non_null(f);
	cfg.event_arg = f;
	assert_int_equal(ct_table_new(&cfg, &f->t), 0);
	assert_int_equal(ct_setting_set(f->t, "nf_conntrack_acct", "1"), 0);
	f->now = 1000 * SEC;
	f->hook = CT_HOOK_PREROUTING;
	f->cip = 0x0a000001;
	f->sip = 0x0a000002;
	f->cport = 40000;
	f->sport = 80;
	return f;
}

static void flow_free(struct flow *f)
{
	ct_table_free(f->t);
	free(f);
}

static void set(struct flow *f, const char *name, const char *val)
{
	assert_int_equal(ct_setting_set(f->t, name, val), 0);
}

/* Build the IPv4/TCP packet of s into f->buf and describe it in f->p. */
static void build(struct flow *f, const struct seg *s)
{
	uint8_t *ip = f->buf, *th = f->buf + 20;
	uint32_t src = s->dir == C2S ? f->cip : f->sip, dst = s->dir == C2S ? f->sip : f->cip;
	uint16_t sp = s->dir == C2S ? f->cport : f->sport, dp = s->dir == C2S ? f->sport : f->cport;
	uint32_t optpad = (s->optlen + 3u) & ~3u;
	uint32_t thl = 20 + optpad, l4len = thl + s->len, tot = 20 + l4len;
	uint32_t nsrc = __builtin_bswap32(src), ndst = __builtin_bswap32(dst);
	uint8_t sa[4], da[4];

	assert_true(tot <= sizeof(f->buf));
	memset(f->buf, 0, tot);
	pk_wr32(sa, src);
	pk_wr32(da, dst);
	pk_ip4_hdr(ip, sa, da, 6, 64, 0, 0, l4len);

	pk_wr16(th, sp);
	pk_wr16(th + 2, dp);
	pk_wr32(th + 4, s->seq);
	pk_wr32(th + 8, s->ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = s->flags;
	pk_wr16(th + 14, s->win);
	if (s->optlen)
		memcpy(th + 20, s->opt, s->optlen);
	for (uint32_t i = s->optlen; i < optpad; i++)
		th[20 + i] = 0; /* EOL padding */
	pk_wr16(th + 16, pk_csum(th, l4len, pk_pseudo4(ip, 6, l4len)));

	memset(&f->p, 0, sizeof(f->p));
	f->p.data = f->buf;
	f->p.len = tot;
	f->p.wire_len = tot;
	f->p.link = CT_LINK_RAW;
	f->p.l3num = 2;
	f->p.proto = 6;
	f->p.ttl = 64;
	f->p.l4_off = 20;
	f->p.l3_len = tot;
	f->p.l4_len = l4len;
	f->p.tuple.l3num = 2;
	f->p.tuple.proto = 6;
	memcpy(f->p.tuple.src, &nsrc, 4);
	memcpy(f->p.tuple.dst, &ndst, 4);
	f->p.tuple.src_l4 = sp;
	f->p.tuple.dst_l4 = dp;
}

/* Conntrack hook then confirm, as for a forwarded packet. Returns ctinfo. */
static uint8_t run_pkt(struct flow *f)
{
	f->ret = ct_hook_conntrack(f->t, &f->p, f->hook, f->now);
	if (f->ret == 0)
		f->ret = ct_confirm(f->t, &f->p, f->now);
	else
		ct_pkt_release(f->t, &f->p);
	return f->p.ctinfo;
}

static uint8_t tx(struct flow *f, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		  uint16_t len)
{
	struct seg s = {.dir = dir, .flags = flags, .seq = seq, .ack = ack, .win = win, .len = len};

	build(f, &s);
	return run_pkt(f);
}

static uint8_t tx_opt(struct flow *f, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
		      uint16_t win, uint16_t len, const uint8_t *opt, uint8_t optlen)
{
	struct seg s = {.dir = dir,
			.flags = flags,
			.seq = seq,
			.ack = ack,
			.win = win,
			.len = len,
			.opt = opt,
			.optlen = optlen};

	build(f, &s);
	return run_pkt(f);
}

/* The entry of the flow (client -> server tuple), NULL if none. */
static struct ct_conn *conn(struct flow *f)
{
	struct ct_tuple tu = {0};
	uint32_t a = __builtin_bswap32(f->cip), b = __builtin_bswap32(f->sip);

	tu.l3num = 2;
	tu.proto = 6;
	memcpy(tu.src, &a, 4);
	memcpy(tu.dst, &b, 4);
	tu.src_l4 = f->cport;
	tu.dst_l4 = f->sport;
	return ct_lookup(f->t, &tu, f->now, NULL);
}

#define NO_ENTRY 0xff
static uint8_t state(struct flow *f)
{
	struct ct_conn *c = conn(f);

	return c ? ct_conn_proto_state(c) : NO_ENTRY;
}

/* Remaining timeout in whole seconds (rounded up). */
static uint64_t tmo(struct flow *f)
{
	struct ct_conn *c = conn(f);

	assert_non_null(c);
	return (ct_conn_timeout_left(c, f->now) + SEC - 1) / SEC;
}

static uint64_t pkts(struct flow *f, int dir)
{
	uint64_t p = 0, b = 0;

	assert_true(ct_conn_counters(f->t, conn(f), (enum ct_dir)dir, &p, &b));
	return p;
}

static uint32_t status(struct flow *f)
{
	return ct_conn_status(conn(f));
}

static bool invalid(struct flow *f)
{
	return f->p.ctinfo == CT_INFO_INVALID;
}

/* ---- reaching each state with known sequence numbers ------------------ */

#define C0  1000u   /* client ISN */
#define S0  500000u /* server ISN */
#define WIN 65535

struct ends {
	uint32_t c, s; /* next sequence number of each side */
};

/* Drive a fresh flow into state st (spec §5.3) along the usual path. */
static struct ends reach(struct flow *f, uint8_t st)
{
	struct ends e = {C0 + 1, 0};

	if (st == CT_TCP_NONE)
		return (struct ends){C0, S0};
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	assert_int_equal(state(f), CT_TCP_SYN_SENT);
	if (st == CT_TCP_SYN_SENT)
		return e;
	if (st == CT_TCP_SYN_SENT2) {
		tx(f, S2C, SYN, S0, 0, WIN, 0);
		assert_int_equal(state(f), CT_TCP_SYN_SENT2);
		return (struct ends){C0 + 1, S0 + 1};
	}
	tx(f, S2C, SYN | ACK, S0, C0 + 1, WIN, 0);
	e.s = S0 + 1;
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	if (st == CT_TCP_SYN_RECV)
		return e;
	tx(f, C2S, ACK, e.c, e.s, WIN, 0);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	if (st == CT_TCP_ESTABLISHED)
		return e;
	if (st == CT_TCP_CLOSE) {
		tx(f, C2S, RST | ACK, e.c, e.s, 0, 0);
		assert_int_equal(state(f), CT_TCP_CLOSE);
		return e;
	}
	tx(f, C2S, FIN | ACK, e.c, e.s, WIN, 0);
	e.c++;
	assert_int_equal(state(f), CT_TCP_FIN_WAIT);
	if (st == CT_TCP_FIN_WAIT)
		return e;
	tx(f, S2C, ACK, e.s, e.c, WIN, 0);
	assert_int_equal(state(f), CT_TCP_CLOSE_WAIT);
	if (st == CT_TCP_CLOSE_WAIT)
		return e;
	tx(f, S2C, FIN | ACK, e.s, e.c, WIN, 0);
	e.s++;
	assert_int_equal(state(f), CT_TCP_LAST_ACK);
	if (st == CT_TCP_LAST_ACK)
		return e;
	tx(f, C2S, ACK, e.c, e.s, WIN, 0);
	assert_int_equal(state(f), CT_TCP_TIME_WAIT);
	return e;
}

/* Handshake with ISNs C0/S0; every later test starts from it. */
static struct ends handshake(struct flow *f)
{
	return reach(f, CT_TCP_ESTABLISHED);
}

/* ---- 1. flag sanity (§5.1) and classes (§5.2) -------------------------- */

static void test_flags_valid(void **st)
{
	/* The accepted combinations of {FIN,SYN,RST,ACK,URG} (spec §5.1). */
	static const uint8_t ok[] = {SYN,	SYN | URG,	 SYN | ACK, RST,      RST | ACK,
				     FIN | ACK, FIN | ACK | URG, ACK,	    ACK | URG};

	(void)st;
	for (unsigned fl = 0; fl < 256; fl++) {
		uint8_t core = fl & (FIN | SYN | RST | ACK | URG);
		bool want = false;

		for (size_t i = 0; i < sizeof(ok); i++)
			want |= core == ok[i];
		if (ct_tcp_flags_ok((uint8_t)fl) != want)
			fail_msg("flags 0x%02x: expected %d", fl, want);
	}
}

static void test_classify(void **st)
{
	static const struct {
		uint8_t flags;
		enum ct_tcp_class cls;
	} cases[] = {
	    /* 1 */ {SYN, CT_TCPC_SYN},
	    /* 2 */ {SYN | ACK, CT_TCPC_SYNACK},
	    /* 3 */ {SYN | URG | PSH, CT_TCPC_SYN},
	    /* 4 */ {FIN | ACK, CT_TCPC_FIN},
	    /* 5 */ {ACK | PSH, CT_TCPC_ACK},
	    /* 6 */ {RST | ACK, CT_TCPC_RST},
	    /* 7 */ {RST | SYN, CT_TCPC_RST},
	    /* 8 */ {0, CT_TCPC_NONE},
	    /* 9 */ {URG, CT_TCPC_NONE},
	    /* 10 */ {FIN, CT_TCPC_FIN},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ct_tcp_classify(cases[i].flags) != cases[i].cls)
			fail_msg("case %zu", i + 1);
}

/* ---- 2. the transition tables, cell by cell (§5.4) --------------------- */

/* Spec §5.4 transcribed: rows SYN, SYNACK, FIN, ACK, RST, NONE; columns NO..S2. */
static const char *const spec_tables[2][6] = {
    {
	"SS SS IG IG IG IG IG SS SS S2",
	"IV IV SR IV IV IV IV IV IV SR",
	"IV IV FW FW LA LA LA TW CL IV",
	"ES IV ES ES CW CW TW TW CL IV",
	"IV CL CL CL CL CL CL CL CL CL",
	"IV IV IV IV IV IV IV IV IV IV",
    },
    {
	"IV S2 IV IV IV IV IV SS IV S2",
	"IV SR IG IG IG IG IG IG IG SR",
	"IV IV FW FW LA LA LA TW CL IV",
	"IV IG SR ES CW CW TW TW CL IG",
	"IV CL CL CL CL CL CL CL CL CL",
	"IV IV IV IV IV IV IV IV IV IV",
    },
};

static uint8_t abbrev(const char *s)
{
	static const char *const names[] = {"NO", "SS", "SR", "ES", "FW", "CW",
					    "LA", "TW", "CL", "S2", "IV", "IG"};

	for (uint8_t i = 0; i < 12; i++)
		if (!strncmp(s, names[i], 2))
			return i;
	fail_msg("bad abbreviation %.2s", s);
	return 0;
}

static uint8_t spec_cell(int dir, int cls, int old)
{
	return abbrev(spec_tables[dir][cls] + 3 * old);
}

static void test_table_cells(void **st)
{
	(void)st;
	assert_int_equal(CT_TCP_MAX, 10);
	assert_int_equal(CT_TCP_IGNORE, 11);
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < CT_TCPC_MAX; k++)
			for (int o = 0; o < CT_TCP_MAX; o++)
				if (ct_tcp_next_state((unsigned)d, (unsigned)k, (unsigned)o) !=
				    spec_cell(d, k, o))
					fail_msg("dir %d class %d old %d", d, k, o);
	/* Out of range input is IV. */
	assert_int_equal(ct_tcp_next_state(2, 0, 0), CT_TCP_MAX);
	assert_int_equal(ct_tcp_next_state(0, 6, 0), CT_TCP_MAX);
	assert_int_equal(ct_tcp_next_state(0, 0, 10), CT_TCP_MAX);
}

/*
 * Every reachable cell through the pipeline.  The state is reached along the
 * normal path (reach()), then one in-window packet of the class is sent with
 * natural seq/ack.  The expected outcome is the spec cell with its notes:
 * IG and IV leave the state (IV makes the packet INVALID); a SYN into SS
 * from TW/CL reopens here (TW was reached through FINs, CL through our own
 * RST: note 1); a RST while no reply was seen deletes the entry (note 4).
 */
enum { OUT_DEL = 100, OUT_REOPEN = 101 };

static void cell_packet(struct flow *f, int dir, int cls, struct ends e)
{
	uint32_t own = dir == C2S ? e.c : e.s, peer = dir == C2S ? e.s : e.c;
	uint32_t isn = dir == C2S ? C0 : S0;

	switch (cls) {
	case CT_TCPC_SYN:
		tx(f, dir, SYN, isn, 0, WIN, 0);
		break;
	case CT_TCPC_SYNACK:
		tx(f, dir, SYN | ACK, isn, peer, WIN, 0);
		break;
	case CT_TCPC_FIN:
		tx(f, dir, FIN | ACK, own, peer, WIN, 0);
		break;
	case CT_TCPC_ACK:
		tx(f, dir, ACK, own, peer, WIN, 0);
		break;
	case CT_TCPC_RST:
		tx(f, dir, RST | ACK, own, peer, 0, 0);
		break;
	}
}

static void test_cells_pipeline(void **st)
{
	int n = 0;

	(void)st;
	for (int d = 0; d < 2; d++) {
		for (int k = 0; k < CT_TCPC_NONE; k++) {
			for (int o = 0; o < CT_TCP_MAX; o++) {
				uint8_t cell = spec_cell(d, k, o), want = cell, got, inv;
				struct flow *f;
				struct ends e;

				if (o == CT_TCP_NONE && d == CT_DIR_REPLY)
					continue; /* unreachable: no entry means ORIGINAL */
				f = flow_new();
				e = reach(f, (uint8_t)o);
				f->now += SEC;
				cell_packet(f, d, k, e);
				got = state(f);
				inv = invalid(f);
				if (cell == CT_TCP_IGNORE || cell == CT_TCP_MAX)
					want = o == CT_TCP_NONE ? NO_ENTRY : (uint8_t)o;
				if (cell == CT_TCP_SYN_SENT && o >= CT_TCP_TIME_WAIT)
					want = OUT_REOPEN;
				if (k == CT_TCPC_RST && o == CT_TCP_SYN_SENT)
					want = OUT_DEL;

				if (want == OUT_REOPEN) {
					/* A new entry, started by this SYN's sender. */
					bool ok = !inv && f->p.ctinfo == CT_INFO_NEW &&
						  f->destroyed == 1 && f->p.ct &&
						  ct_conn_proto_state(f->p.ct) == CT_TCP_SYN_SENT &&
						  !(ct_conn_status(f->p.ct) & CT_S_SEEN_REPLY);
					if (!ok)
						fail_msg("dir %d class %d old %d: no reopen", d, k,
							 o);
				} else if (want == OUT_DEL) {
					if (inv || got != NO_ENTRY || f->destroyed != 1)
						fail_msg("dir %d class %d old %d: not deleted", d,
							 k, o);
				} else if (got != want || inv != (cell == CT_TCP_MAX)) {
					fail_msg("dir %d class %d old %d: state %d invalid %d, "
						 "want %d invalid %d",
						 d, k, o, got, inv, want, cell == CT_TCP_MAX);
				}
				flow_free(f);
				n++;
			}
		}
	}
	assert_int_equal(n, 95);
}

/* ---- 3. sanity (§5.1) --------------------------------------------------- */

static void test_sanity(void **st)
{
	static const struct {
		const char *what;
		int kind; /* 0 doff < 5, 1 doff beyond segment, 2 short L4, 3 bad csum,
			     4 bad flags */
		uint8_t flags;
		enum ct_hook hook;
		const char *checksum;
		bool want_invalid;
		uint8_t reason;
	} cases[] = {
	    /* 1 */ {"doff 4", 0, SYN, CT_HOOK_PREROUTING, "1", true, CT_TCP_INV_TRUNCATED},
	    /* 2 */ {"doff past end", 1, SYN, CT_HOOK_PREROUTING, "1", true, CT_TCP_INV_TRUNCATED},
	    /* 3 */ {"l4 < 20", 2, SYN, CT_HOOK_PREROUTING, "1", true, CT_TCP_INV_TRUNCATED},
	    /* 4 */ {"bad csum prerouting", 3, SYN, CT_HOOK_PREROUTING, "1", true, CT_TCP_INV_CSUM},
	    /* 5 */ {"bad csum output", 3, SYN, CT_HOOK_OUTPUT, "1", false, 0},
	    /* 6 */ {"bad csum, checksum=0", 3, SYN, CT_HOOK_PREROUTING, "0", false, 0},
	    /* 7 */ {"SYN+FIN", 4, SYN | FIN, CT_HOOK_PREROUTING, "1", true, CT_TCP_INV_FLAGS},
	    /* 8 */ {"NULL", 4, 0, CT_HOOK_PREROUTING, "1", true, CT_TCP_INV_FLAGS},
	    /* 9 */
	    {"SYN+PSH+ECE+CWR", 4, SYN | PSH | ECE | CWR, CT_HOOK_PREROUTING, "1", false, 0},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow *f = flow_new();
		struct seg s = {.dir = C2S, .flags = cases[i].flags, .seq = C0, .win = WIN};

		set(f, "nf_conntrack_checksum", cases[i].checksum);
		f->hook = cases[i].hook;
		build(f, &s);
		switch (cases[i].kind) {
		case 0:
			f->buf[20 + 12] = 4 << 4;
			break;
		case 1:
			f->buf[20 + 12] = 6 << 4; /* 24 bytes claimed, 20 present */
			break;
		case 2:
			f->p.l4_len = 19;
			break;
		case 3:
			f->buf[20 + 16] ^= 0x55;
			break;
		default:
			break;
		}
		run_pkt(f);
		if (invalid(f) != cases[i].want_invalid)
			fail_msg("case %zu (%s): invalid %d", i + 1, cases[i].what, invalid(f));
		if (cases[i].want_invalid && f->p.invalid_reason != cases[i].reason)
			fail_msg("case %zu (%s): reason %d", i + 1, cases[i].what,
				 f->p.invalid_reason);
		assert_int_equal(state(f), cases[i].want_invalid ? NO_ENTRY : CT_TCP_SYN_SENT);
		flow_free(f);
	}
}

/* Invalid flag combinations are INVALID even inside an established flow. */
static void test_bad_flags_in_established(void **st)
{
	static const uint8_t bad[] = {
	    FIN, 0, SYN | FIN, FIN | RST, FIN | SYN | RST | PSH | URG, FIN | PSH | URG};

	(void)st;
	for (size_t i = 0; i < sizeof(bad); i++) {
		struct flow *f = flow_new();
		struct ends e = handshake(f);

		tx(f, C2S, bad[i], e.c, e.s, WIN, 0);
		if (!invalid(f) || f->p.invalid_reason != CT_TCP_INV_FLAGS)
			fail_msg("case %zu: flags 0x%02x not invalid", i + 1, bad[i]);
		assert_int_equal(state(f), CT_TCP_ESTABLISHED);
		flow_free(f);
	}
}

/* ---- 4. lifecycle timeouts (§5.7) and ASSURED (§5.6) ------------------- */

static void test_handshake_and_close(void **st)
{
	struct flow *f = flow_new();
	struct ends e = {C0 + 1, S0 + 1};

	(void)st;
	/* 1: SYN -> SS 120 s, NEW, unreplied */
	assert_int_equal(tx(f, C2S, SYN, C0, 0, WIN, 0), CT_INFO_NEW);
	assert_int_equal(state(f), CT_TCP_SYN_SENT);
	assert_int_equal(tmo(f), 120);
	assert_false(status(f) & CT_S_SEEN_REPLY);
	/* 2: SYN-ACK -> SR 60 s, reply seen, not assured */
	f->now += SEC;
	assert_int_equal(tx(f, S2C, SYN | ACK, S0, e.c, WIN, 0), CT_INFO_ESTABLISHED_REPLY);
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	assert_int_equal(tmo(f), 60);
	assert_true(status(f) & CT_S_SEEN_REPLY);
	assert_false(status(f) & CT_S_ASSURED);
	/* 3: ACK -> ES 432000 s and ASSURED */
	assert_int_equal(tx(f, C2S, ACK, e.c, e.s, WIN, 0), CT_INFO_ESTABLISHED);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	assert_int_equal(tmo(f), 432000);
	assert_true(status(f) & CT_S_ASSURED);
	/* 4: data -> unacknowledged: 300 s */
	tx(f, C2S, ACK | PSH, e.c, e.s, WIN, 100);
	e.c += 100;
	assert_int_equal(tmo(f), 300);
	/* 5: its ACK -> 432000 again */
	tx(f, S2C, ACK, e.s, e.c, WIN, 0);
	assert_int_equal(tmo(f), 432000);
	/* 6: FIN -> FW 120 */
	tx(f, C2S, FIN | ACK, e.c, e.s, WIN, 0);
	e.c++;
	assert_int_equal(state(f), CT_TCP_FIN_WAIT);
	assert_int_equal(tmo(f), 120);
	/* 7: ACK of the FIN -> CW 60 */
	tx(f, S2C, ACK, e.s, e.c, WIN, 0);
	assert_int_equal(state(f), CT_TCP_CLOSE_WAIT);
	assert_int_equal(tmo(f), 60);
	/* 8: server FIN -> LA 30 */
	tx(f, S2C, FIN | ACK, e.s, e.c, WIN, 0);
	e.s++;
	assert_int_equal(state(f), CT_TCP_LAST_ACK);
	assert_int_equal(tmo(f), 30);
	/* 9: last ACK -> TW 120 */
	tx(f, C2S, ACK, e.c, e.s, WIN, 0);
	assert_int_equal(state(f), CT_TCP_TIME_WAIT);
	assert_int_equal(tmo(f), 120);
	/* 10: counted: 5 client packets, 4 server packets */
	assert_int_equal(pkts(f, C2S), 5);
	assert_int_equal(pkts(f, S2C), 4);
	/* 11: it expires after 120 s */
	f->now += 120 * SEC;
	assert_null(conn(f));
	flow_free(f);
}

/* A retransmitted SYN in SS is neither counted nor refreshes (§5.7). */
static void test_syn_in_ss_not_refreshed(void **st)
{
	struct flow *f = flow_new();

	(void)st;
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	f->now += SEC;
	assert_int_equal(tmo(f), 119);
	f->now += 2 * SEC;
	/* 1: retransmission */
	assert_int_equal(tx(f, C2S, SYN, C0, 0, WIN, 0), CT_INFO_NEW);
	assert_int_equal(tmo(f), 117);
	assert_int_equal(pkts(f, C2S), 1);
	/* 2: re-initialisation with a higher ISN: re-inits window, no refresh */
	f->now += SEC;
	tx(f, C2S, SYN, C0 + 5000, 0, WIN, 0);
	assert_int_equal(tmo(f), 116);
	assert_int_equal(pkts(f, C2S), 1);
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_end, C0 + 5001);
	/* 3: the SYN-ACK to the new ISN is accepted and counted */
	tx(f, S2C, SYN | ACK, S0, C0 + 5001, WIN, 0);
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	assert_int_equal(pkts(f, S2C), 1);
	flow_free(f);
}

/*
 * A SYN re-initialised with an ISN far above the first, then a SYN-ACK that
 * acknowledges the old ISN: window check IV fails, so IGNORE: the state
 * stays SS, nothing is counted, but UNREPLIED is cleared (§5.5) [V].
 */
static void test_synack_acks_old_isn(void **st)
{
	struct flow *f = flow_new();

	(void)st;
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	tx(f, C2S, SYN, C0 + 100000, 0, WIN, 0);
	assert_int_equal(state(f), CT_TCP_SYN_SENT);
	tx(f, S2C, SYN | ACK, S0, C0 + 1, WIN, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_SYN_SENT);
	assert_true(status(f) & CT_S_SEEN_REPLY);
	assert_int_equal(pkts(f, S2C), 0);
	/* The SYN-ACK to the new ISN then works. */
	tx(f, S2C, SYN | ACK, S0, C0 + 100001, WIN, 0);
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	assert_int_equal(pkts(f, S2C), 1);
	flow_free(f);
}

/* State changes and ASSURED raise UPDATE events; IG and plain data do not. */
static void test_events(void **st)
{
	struct flow *f = flow_new();
	struct ends e = {C0 + 1, S0 + 1};

	(void)st;
	tx(f, C2S, SYN, C0, 0, WIN, 0); /* NEW at confirm */
	assert_int_equal(f->updates, 0);
	tx(f, S2C, SYN | ACK, S0, e.c, WIN, 0); /* SR, SEEN_REPLY */
	assert_int_equal(f->updates, 1);
	tx(f, C2S, ACK, e.c, e.s, WIN, 0); /* ES, ASSURED */
	assert_int_equal(f->updates, 2);
	tx(f, C2S, ACK | PSH, e.c, e.s, WIN, 10); /* no change */
	e.c += 10;
	assert_int_equal(f->updates, 2);
	tx(f, C2S, SYN, 77, 0, WIN, 0); /* IG */
	assert_int_equal(f->updates, 2);
	tx(f, S2C, FIN | ACK, e.s, e.c, WIN, 0); /* FW */
	assert_int_equal(f->updates, 3);
	flow_free(f);
}

/* ---- 5. loose pickup (§5.4 note 2) -------------------------------------- */

static void test_pickup(void **st)
{
	struct flow *f = flow_new();

	(void)st;
	/* 1: ACK mid-stream creates ES, 300 s, unreplied, not assured */
	assert_int_equal(tx(f, C2S, ACK, 7777, 8888, 1000, 10), CT_INFO_NEW);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	assert_int_equal(tmo(f), 300);
	assert_false(status(f) & (CT_S_SEEN_REPLY | CT_S_ASSURED));
	/* liberal + SACK_PERM on both sides */
	for (int d = 0; d < 2; d++)
		assert_int_equal(conn(f)->ps.tcp.seen[d].flags & 0x0a, 0x0a);
	/* 2: the first reply: still 300 s, no ASSURED */
	tx(f, S2C, ACK, 8888, 7787, 1000, 0);
	assert_int_equal(tmo(f), 300);
	assert_true(status(f) & CT_S_SEEN_REPLY);
	assert_false(status(f) & CT_S_ASSURED);
	/* 3: the next packet assures it; even far out of window (liberal) */
	assert_int_equal(tx(f, C2S, ACK, 7787 + 3000000, 8888, 1000, 0), CT_INFO_ESTABLISHED);
	assert_true(status(f) & CT_S_ASSURED);
	assert_int_equal(tmo(f), 432000);
	flow_free(f);

	/* 4: with tcp_loose=0 the ACK is INVALID and nothing is created */
	f = flow_new();
	set(f, "nf_conntrack_tcp_loose", "0");
	tx(f, C2S, ACK, 7777, 8888, 1000, 10);
	assert_true(invalid(f));
	assert_int_equal(f->p.invalid_reason, CT_TCP_INV_NO_LOOSE);
	assert_int_equal(state(f), NO_ENTRY);
	assert_int_equal(ct_table_count(f->t), 0);
	/* 5: a SYN still creates */
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	assert_int_equal(state(f), CT_TCP_SYN_SENT);
	flow_free(f);

	/* 6-8: SYN-ACK, FIN, RST never create */
	for (int i = 0; i < 3; i++) {
		static const uint8_t fl[] = {SYN | ACK, FIN | ACK, RST};

		f = flow_new();
		tx(f, C2S, fl[i], 1, 2, WIN, 0);
		assert_true(invalid(f));
		assert_int_equal(f->p.invalid_reason, CT_TCP_INV_NEW);
		assert_int_equal(ct_table_count(f->t), 0);
		flow_free(f);
	}
}

/* ---- 6. RST rules (§5.5) ------------------------------------------------ */

/* A RST answering the SYN deletes the entry, counted (note 4, §6.5). */
static void test_rst_no_reply_deletes(void **st)
{
	struct flow *f = flow_new();

	(void)st;
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	assert_int_equal(tx(f, S2C, RST | ACK, 0, C0 + 1, 0, 0), CT_INFO_ESTABLISHED_REPLY);
	assert_false(invalid(f));
	assert_int_equal(f->destroyed, 1);
	assert_int_equal(f->dead_pkts[0], 1);
	assert_int_equal(f->dead_pkts[1], 1);
	assert_null(conn(f));
	flow_free(f);
}

static void test_rst_variants(void **st)
{
	static const struct {
		const char *what;
		uint8_t setup; /* 0 ES, 1 ES + client data 100 B, 2 SR, 3 FW */
		int dir;
		int32_t seq_off; /* from the sender's next sequence number */
		bool ignore_invalid_rst;
		bool compat;
		bool want_invalid;
		uint8_t want_state;
		uint64_t want_tmo;
	} cases[] = {
	    /* 1 */ {"exact (== peer max ack)", 0, C2S, 0, false, false, false, CT_TCP_CLOSE, 10},
	    /* 2 */
	    {"below peer max ack", 0, C2S, -10, false, false, true, CT_TCP_ESTABLISHED, 431999},
	    /* 3 */
	    {"below, ignore_invalid_rst", 0, C2S, -10, true, false, false, CT_TCP_ESTABLISHED, 10},
	    /* 4 */
	    {"in window, not exact", 0, C2S, 50, false, false, false, CT_TCP_ESTABLISHED, 10},
	    /* 5 */
	    {"in window, not exact, 6.12 compat", 0, C2S, 50, false, true, false,
	     CT_TCP_ESTABLISHED, 300},
	    /* 6 */ {"RST train after data", 1, C2S, 0, false, false, false, CT_TCP_CLOSE, 10},
	    /* 7 */ {"server exact", 0, S2C, 0, false, false, false, CT_TCP_CLOSE, 10},
	    /* 8 */
	    {"not assured: in window -> CL", 2, C2S, 50, false, false, false, CT_TCP_CLOSE, 10},
	    /* 9 */
	    {"closing state: anything goes", 3, S2C, 100000000, false, false, false, CT_TCP_CLOSE,
	     10},
	    /* 10 */
	    {"out of window", 0, C2S, 10000000, false, false, true, CT_TCP_ESTABLISHED, 431999},
	    /*
	     * In SR the server may not send past its SYN-ACK until the
	     * client ACKs (td_maxend = end): 50 bytes beyond is an
	     * overshoot within the client's window, so window IGNORE.
	     */
	    /* 11 */
	    {"SR, server beyond its allowance", 2, S2C, 50, false, false, false, CT_TCP_SYN_RECV,
	     59},
	    /* seq 0 (offset -next): an answer to a SYN unless ES and ASSURED. */
	    /* 12 */
	    {"SR, seq 0", 2, C2S, -(int32_t)(C0 + 1), false, false, false, CT_TCP_CLOSE, 10},
	    /* 13 */
	    {"ES assured, seq 0: below max ack", 0, C2S, -(int32_t)(C0 + 1), false, false, true,
	     CT_TCP_ESTABLISHED, 431999},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow *f = flow_new();
		struct ends e;
		uint32_t seq, ack;

		if (cases[i].ignore_invalid_rst)
			set(f, "nf_conntrack_tcp_ignore_invalid_rst", "1");
		if (cases[i].compat)
			set(f, "ctrack_compat_rst_unack", "1");
		switch (cases[i].setup) {
		case 0:
			e = handshake(f);
			break;
		case 1:
			e = handshake(f);
			tx(f, C2S, ACK | PSH, e.c, e.s, WIN, 100);
			e.c += 100;
			break;
		case 2:
			e = reach(f, CT_TCP_SYN_RECV);
			break;
		default:
			e = reach(f, CT_TCP_FIN_WAIT);
			break;
		}
		seq = (cases[i].dir == C2S ? e.c : e.s) + (uint32_t)cases[i].seq_off;
		ack = cases[i].dir == C2S ? e.s : e.c;
		f->now += SEC;
		tx(f, cases[i].dir, RST | ACK, seq, ack, 0, 0);
		if (invalid(f) != cases[i].want_invalid || state(f) != cases[i].want_state ||
		    tmo(f) != cases[i].want_tmo)
			fail_msg("case %zu (%s): invalid %d state %d timeout %llu", i + 1,
				 cases[i].what, invalid(f), state(f), (unsigned long long)tmo(f));
		if (cases[i].want_invalid && cases[i].seq_off < 0 &&
		    f->p.invalid_reason != CT_TCP_INV_RST)
			fail_msg("case %zu: reason %d", i + 1, f->p.invalid_reason);
		flow_free(f);
	}
}

/* A RST answering a SYN we ignored in ES skips the window check (§5.5 3.). */
static void test_rst_answers_ignored_syn(void **st)
{
	struct flow *f = flow_new();
	struct ends e = handshake(f);

	(void)st;
	tx(f, C2S, SYN, 900000000, 0, WIN, 0); /* IG: new ISN far away */
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	/* seq far out of any window, ack = the ignored SYN's end */
	tx(f, S2C, RST | ACK, 12345, 900000001, 0, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_CLOSE);
	(void)e;
	flow_free(f);
}

/* A RST answering a challenge ACK let through in SS (§5.5 4.). */
static void test_rst_answers_challenge_ack_in_ss(void **st)
{
	struct flow *f = flow_new();

	(void)st;
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	/* The server still has an old connection: it answers with a bare ACK. */
	tx(f, S2C, ACK, 777777, 3000000000u, WIN, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_SYN_SENT); /* IG */
	assert_true(status(f) & CT_S_SEEN_REPLY);    /* IG still clears UNREPLIED */
	assert_int_equal(pkts(f, S2C), 0);	     /* ... but is not counted */
	/* The client resets the old connection with seq = the challenge's ack. */
	tx(f, C2S, RST, 3000000000u, 0, 0, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_CLOSE);
	flow_free(f);
}

/*
 * "RST answering a SYN we let through" (§5.5 3.) needs the RST to come from
 * the side opposite the SYN; the ACK variant does not care.  Measured on
 * 6.18 [kdiff: test_tcp_min_random35/39/67 and probes]: a RST from the SYN's
 * own side whose ack equals the recorded end goes through the window check.
 */
static void test_rst_skip_needs_other_side(void **st)
{
	static const uint8_t ws14[] = {1, 3, 3, 14};
	static const struct {
		const char *what;
		uint8_t setup;	  /* see the switch below */
		int rst_dir;	  /* the RST's sender */
		uint32_t rst_seq; /* 0: sender's next + 50000000 (out of window) */
		uint32_t rst_ack; /* 0: RST without ACK, ack field 0 */
		int want;	  /* 0 accepted (CLOSE), 1 IGNORE, 2 INVALID */
		uint8_t want_state;
	} cases[] = {
	    /*
	     * Setup 0 (random35): SYN, ignored reply ACK (last_end 7000000),
	     * re-initialising SYN (in window, last SYN from C2S).
	     */
	    /* 1 */ {"reinit SYN, RST from the SYN side", 0, C2S, 0, 7000000, 2, CT_TCP_SYN_SENT},
	    /* 2 */ {"reinit SYN, RST from the peer", 0, S2C, 7000000, 7000000, 0, CT_TCP_CLOSE},
	    /*
	     * Setup 1 (random67): SYN, reply SYN (S2, last SYN from S2C,
	     * nothing recorded: last_end 0); a RST without ACK has ack 0.
	     */
	    /* 3 */ {"S2, RST from the SYN side, ack 0 (II fails)", 1, S2C, S0 - 200000, 0, 1,
		     CT_TCP_SYN_SENT2},
	    /* 4 */ {"S2, RST from the peer, ack 0 == end 0", 1, C2S, 0, 0, 0, CT_TCP_CLOSE},
	    /* 5 */ {"S2, RST+ACK from the peer, ack != end", 1, C2S, 0, S0 + 1, 2,
		     CT_TCP_SYN_SENT2},
	    /*
	     * Setup 2: ES, then a new client SYN ignored (last_end 77000001).
	     */
	    /* 6 */ {"ignored SYN, RST from the SYN side", 2, C2S, 0, 77000001, 2,
		     CT_TCP_ESTABLISHED},
	    /* 7 */ {"ignored SYN, RST from the peer", 2, S2C, 0, 77000001, 0, CT_TCP_CLOSE},
	    /*
	     * Setup 3: SYN, ignored reply ACK at seq 1050000: a RST from the
	     * ACK's own side acking that end still skips the check.
	     */
	    /* 8 */ {"ignored ACK, RST from the ACK side", 3, S2C, 5000000, 1050000, 0, CT_TCP_CLOSE},
	    /* 9 */ {"ignored ACK, RST acking past it", 3, S2C, 5000000, 1050001, 2,
		     CT_TCP_SYN_SENT},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow *f = flow_new();
		struct ends e = {C0 + 1, S0 + 1};
		uint64_t before;
		uint32_t seq;
		int got;

		switch (cases[i].setup) {
		case 0:
			tx_opt(f, C2S, SYN, C0, 0, 0, 0, ws14, sizeof(ws14));
			tx(f, S2C, ACK, 7000000, 9000000, 100, 0);
			assert_int_equal(state(f), CT_TCP_SYN_SENT);
			tx(f, C2S, SYN, 9000000, 0, 1000, 0);
			assert_false(invalid(f));
			e = (struct ends){9000001, 7000000};
			break;
		case 1:
			e = reach(f, CT_TCP_SYN_SENT2);
			break;
		case 2:
			e = handshake(f);
			tx(f, C2S, SYN, 77000000, 0, WIN, 0);
			assert_int_equal(state(f), CT_TCP_ESTABLISHED);
			break;
		default:
			tx(f, C2S, SYN, C0, 0, WIN, 0);
			tx(f, S2C, ACK, 1050000, 777, 100, 0);
			assert_int_equal(state(f), CT_TCP_SYN_SENT);
			break;
		}
		seq = cases[i].rst_seq ? cases[i].rst_seq
				       : (cases[i].rst_dir == C2S ? e.c : e.s) + 50000000u;
		before = pkts(f, cases[i].rst_dir);
		tx(f, cases[i].rst_dir, cases[i].rst_ack ? RST | ACK : RST, seq, cases[i].rst_ack, 0,
		   0);
		got = invalid(f) ? 2 : pkts(f, cases[i].rst_dir) == before ? 1 : 0;
		if (got != cases[i].want || state(f) != cases[i].want_state)
			fail_msg("case %zu (%s): result %d state %d", i + 1, cases[i].what, got,
				 state(f));
		flow_free(f);
	}
}

/* Out-of-window FIN answering an invalid FIN of the peer: expiry -> UNACK. */
static void test_invalid_fin_lowers_timeout(void **st)
{
	struct flow *f = flow_new();
	struct ends e = handshake(f);

	(void)st;
	assert_int_equal(tmo(f), 432000);
	tx(f, C2S, FIN | ACK, e.c + 50000000, e.s, WIN, 0);
	assert_true(invalid(f));
	assert_int_equal(tmo(f), 432000); /* first one: only remembered */
	tx(f, S2C, FIN | ACK, e.s + 50000000, e.c, WIN, 0);
	assert_true(invalid(f));
	assert_int_equal(tmo(f), 300);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	flow_free(f);
}

/* ---- 7. reopen (note 1) -------------------------------------------------- */

static void test_reopen(void **st)
{
	struct flow *f;
	struct ct_conn *c;
	enum ct_dir d;
	struct ct_tuple tu;

	(void)st;
	/* 1: client SYN in TIME_WAIT starts a fresh entry */
	f = flow_new();
	reach(f, CT_TCP_TIME_WAIT);
	f->now += 5 * SEC;
	assert_int_equal(tx(f, C2S, SYN, C0 + 100000, 0, WIN, 0), CT_INFO_NEW);
	assert_int_equal(state(f), CT_TCP_SYN_SENT);
	assert_int_equal(tmo(f), 120);
	assert_false(status(f) & CT_S_SEEN_REPLY);
	assert_int_equal(f->destroyed, 1);
	assert_int_equal(pkts(f, C2S), 1);
	flow_free(f);

	/* 2: server SYN in TIME_WAIT: the new entry's originator is the server */
	f = flow_new();
	reach(f, CT_TCP_TIME_WAIT);
	assert_int_equal(tx(f, S2C, SYN, S0 + 100000, 0, WIN, 0), CT_INFO_NEW);
	c = f->p.ct;
	assert_non_null(c);
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &tu);
	assert_int_equal(tu.src_l4, f->sport);
	assert_non_null(ct_lookup(f->t, &tu, f->now, &d));
	assert_int_equal(d, CT_DIR_ORIGINAL);
	assert_int_equal(ct_conn_proto_state(c), CT_TCP_SYN_SENT);
	flow_free(f);

	/* 3: CLOSE by the server's RST, then a client SYN: no FIN, not our RST -> IG */
	f = flow_new();
	{
		struct ends e = handshake(f);

		tx(f, S2C, RST | ACK, e.s, e.c, 0, 0);
		assert_int_equal(state(f), CT_TCP_CLOSE);
		f->now += SEC;
		tx(f, C2S, SYN, C0 + 100000, 0, WIN, 0);
		assert_false(invalid(f));
		assert_int_equal(state(f), CT_TCP_CLOSE);
		assert_int_equal(f->destroyed, 0);
		assert_int_equal(tmo(f), 9); /* IG: not refreshed */
		/* 4: the server's SYN-ACK to it resyncs: SS -> SR */
		tx(f, S2C, SYN | ACK, S0 + 7, C0 + 100001, WIN, 0);
		assert_false(invalid(f));
		assert_int_equal(state(f), CT_TCP_SYN_RECV);
		tx(f, C2S, ACK, C0 + 100001, S0 + 8, WIN, 0);
		assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	}
	flow_free(f);
}

/* Resync (§5.5): ES, a new client SYN, the server's SYN-ACK -> SR -> ES [V]. */
static void test_resync_from_es(void **st)
{
	struct flow *f = flow_new();
	static const uint8_t ws7[] = {1, 3, 3, 7};

	(void)st;
	handshake(f);
	tx_opt(f, C2S, SYN, 42, 0, 1000, 0, ws7, sizeof(ws7));
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	assert_int_equal(conn(f)->ps.tcp.last_wscale, 7);
	tx_opt(f, S2C, SYN | ACK, 99, 43, 2000, 0, ws7, sizeof(ws7));
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_end, 43);
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_scale, 7);
	assert_int_equal(conn(f)->ps.tcp.seen[1].td_end, 100);
	tx(f, C2S, ACK, 43, 100, 1000, 0);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	flow_free(f);
}

/* ---- 8. simultaneous open (note 5) and challenge ACK (note 3) ---------- */

static void test_simultaneous_open(void **st)
{
	struct flow *f = flow_new();

	(void)st;
	tx(f, C2S, SYN, C0, 0, WIN, 0);
	f->now += 2 * SEC;
	/* 1: the server's own SYN: S2, not refreshed, not counted */
	tx(f, S2C, SYN, S0, 0, WIN, 0);
	assert_int_equal(state(f), CT_TCP_SYN_SENT2);
	assert_int_equal(tmo(f), 118);
	assert_int_equal(pkts(f, S2C), 0);
	/* 2: the client's SYN-ACK: SR */
	tx(f, C2S, SYN | ACK, C0, S0 + 1, WIN, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	/* 3: the server's SYN-ACK: ignored */
	tx(f, S2C, SYN | ACK, S0, C0 + 1, WIN, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	/* 4: the server's ACK completes it: ES + ASSURED */
	tx(f, S2C, ACK, S0 + 1, C0 + 1, WIN, 0);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	assert_true(status(f) & CT_S_ASSURED);
	flow_free(f);
}

static void test_challenge_ack_last_ack(void **st)
{
	struct flow *f = flow_new();
	struct ends e = reach(f, CT_TCP_LAST_ACK);

	(void)st;
	/* 1: a client SYN in LA is ignored and arms the challenge flag */
	tx(f, C2S, SYN, C0 + 1000000, 0, WIN, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_LAST_ACK);
	/* 2: the server's challenge ACK does not move LA -> TW */
	tx(f, S2C, ACK, e.s, e.c, WIN, 0);
	assert_false(invalid(f));
	assert_int_equal(state(f), CT_TCP_LAST_ACK);
	/* 3: the client's real last ACK does */
	tx(f, C2S, ACK, e.c, e.s, WIN, 0);
	assert_int_equal(state(f), CT_TCP_TIME_WAIT);
	flow_free(f);
}

/* ---- 9. retransmissions (§5.7 rule 1) ----------------------------------- */

static void test_retrans_cap(void **st)
{
	struct flow *f = flow_new();
	struct ends e = handshake(f);
	static const uint64_t want[] = {432000, 432000, 300, 300};

	(void)st;
	/* The handshake ACK was the first; identical ones follow. */
	for (size_t i = 0; i < 4; i++) {
		tx(f, C2S, ACK, e.c, e.s, WIN, 0);
		if (tmo(f) != want[i])
			fail_msg("repeat %zu: timeout %llu", i + 1, (unsigned long long)tmo(f));
	}
	assert_int_equal(conn(f)->ps.tcp.retrans, 4);
	/* A different window resets the counter. */
	tx(f, C2S, ACK, e.c, e.s, WIN - 1, 0);
	assert_int_equal(tmo(f), 432000);
	/* A zero window: cap RETRANS (rule 4). */
	tx(f, C2S, ACK, e.c, e.s, 0, 0);
	assert_int_equal(tmo(f), 300);
	flow_free(f);
}

/* ---- 10. window checks (§5.8) ------------------------------------------- */

/*
 * The window-scaling table of §5.8: both SYNs offer wscale 7, every window
 * field is 1000; the server then sends data starting `ahead` bytes past its
 * next sequence number.
 */
static void test_window_scaling(void **st)
{
	static const uint8_t ws7[] = {1, 3, 3, 7};
	static const struct {
		uint32_t ahead;
		bool synack_ws;
		int want; /* 0 accepted, 1 IGNORE, 2 INVALID */
	} cases[] = {
	    /* 1 */ {100000, true, 0},
	    /* 2 */ {120000, true, 0},
	    /* 3 */ {200000, true, 1},
	    /* 4 */ {300000, true, 2},
	    /* 5 */ {500, false, 0},
	    /* 6 */ {100000, false, 2},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow *f = flow_new();
		uint32_t sseq = S0 + 1 + cases[i].ahead;
		uint64_t before_pkts, before_tmo;
		int got;

		tx_opt(f, C2S, SYN, C0, 0, 1000, 0, ws7, sizeof(ws7));
		tx_opt(f, S2C, SYN | ACK, S0, C0 + 1, 1000, 0, ws7,
		       cases[i].synack_ws ? sizeof(ws7) : 0);
		tx(f, C2S, ACK, C0 + 1, S0 + 1, 1000, 0);
		assert_int_equal(state(f), CT_TCP_ESTABLISHED);
		f->now += SEC;
		before_pkts = pkts(f, S2C);
		before_tmo = tmo(f);
		tx(f, S2C, ACK | PSH, sseq, C0 + 1, 1000, 100);
		got = invalid(f) ? 2 : pkts(f, S2C) == before_pkts ? 1 : 0;
		if (got != cases[i].want)
			fail_msg("case %zu: result %d, want %d", i + 1, got, cases[i].want);
		if (got == 0)
			assert_int_equal(tmo(f), 300); /* unacknowledged data */
		if (got == 1) {
			/* not refreshed, td_end advanced */
			assert_int_equal(tmo(f), before_tmo);
			assert_int_equal(conn(f)->ps.tcp.seen[1].td_end, sseq + 100);
		}
		if (got == 2)
			assert_int_equal(f->p.invalid_reason, CT_TCP_INV_SEQ_OVER);
		flow_free(f);
	}
}

/*
 * RFC 7323 "both or neither" is decided on the reply side only (kernel fix
 * of 6.8, "correct window scaling with retransmitted SYN").  A SYN that
 * re-initialises the originator in SYN_SENT keeps its own wscale although
 * the responder has not offered one yet.
 */
static void test_reinit_syn_keeps_wscale(void **st)
{
	static const uint8_t ws7[] = {1, 3, 3, 7};
	static const uint8_t ws3[] = {1, 3, 3, 3};
	static const uint8_t sackperm[] = {4, 2, 1, 1};
	struct flow *f;

	(void)st;
	/*
	 * 1: SYN, higher-ISN SYN, SYN-ACK, ACK, all wscale 7, every window
	 * field 1000.  The client's window means 128000: server data 100000
	 * ahead fits (with scale 0 it would be INVALID).
	 */
	f = flow_new();
	tx_opt(f, C2S, SYN, C0, 0, 1000, 0, ws7, sizeof(ws7));
	tx_opt(f, C2S, SYN, C0 + 100000, 0, 1000, 0, ws7, sizeof(ws7));
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_end, C0 + 100001);
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_scale, 7);
	tx_opt(f, S2C, SYN | ACK, S0, C0 + 100001, 1000, 0, ws7, sizeof(ws7));
	assert_int_equal(state(f), CT_TCP_SYN_RECV);
	tx(f, C2S, ACK, C0 + 100001, S0 + 1, 1000, 0);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	tx(f, S2C, ACK | PSH, S0 + 1 + 100000, C0 + 100001, 1000, 100);
	assert_false(invalid(f));
	assert_int_equal(pkts(f, S2C), 2);
	flow_free(f);

	/*
	 * 2: test_tcp_min_random2 [kdiff]: the responder's SYN-ACK without
	 * wscale fails the window check (acks nothing sent) but leaves its
	 * window data; the originator's re-initialising SYN with wscale 3
	 * then keeps scale 3.  A later ACK of the originator with window
	 * 65535 means 524280, so the responder's segment far below its
	 * td_end still passes check II and is counted.
	 */
	f = flow_new();
	tx_opt(f, C2S, SYN, 1996704917u, 0, 1000, 0, ws3 + 1, 3);
	tx(f, S2C, ACK | PSH, 1563430078u, 1996706018u, 29200, 0); /* IG */
	tx_opt(f, S2C, SYN | ACK, 1563457733u, 1996706018u, 29200, 0, sackperm,
	       sizeof(sackperm));
	assert_true(invalid(f));
	{
		static const uint8_t o[] = {4, 2, 1, 3, 3, 3, 1, 1};

		tx_opt(f, C2S, SYN, 1996706018u, 0, 29200, 0, o, sizeof(o));
	}
	assert_false(invalid(f));
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_scale, 3);
	tx(f, S2C, RST, 1563430078u, 0, 65535, 0);
	assert_int_equal(state(f), CT_TCP_CLOSE);
	tx(f, C2S, ACK, 1996707022u, 1563430082u, 65535, 100);
	assert_false(invalid(f));
	assert_int_equal(pkts(f, S2C), 1);
	tx(f, S2C, ACK | PSH, 1563364019u, 1996707122u, 0, 0);
	assert_false(invalid(f));
	assert_int_equal(pkts(f, S2C), 2);
	assert_int_equal(pkts(f, C2S), 3);
	flow_free(f);

	/* 3: the reply side still enforces "both or neither". */
	f = flow_new();
	tx_opt(f, C2S, SYN, C0, 0, 1000, 0, ws7, sizeof(ws7));
	tx(f, S2C, SYN | ACK, S0, C0 + 1, 1000, 0);
	assert_int_equal(conn(f)->ps.tcp.seen[0].td_scale, 0);
	assert_int_equal(conn(f)->ps.tcp.seen[1].td_scale, 0);
	flow_free(f);
}

static void test_window_checks(void **st)
{
	static const struct {
		const char *what;
		int32_t seq_off, ack_off; /* client packet, from next seq / server end */
		bool liberal;
		int want; /* 0 accepted, 1 IGNORE, 2 INVALID */
		uint8_t reason;
	} cases[] = {
	    /* 1 */ {"in window", 0, 0, false, 0, 0},
	    /* 2 */ {"ack over upper bound (III)", 0, 1, false, 2, CT_TCP_INV_ACK_OVER},
	    /* 3 */ {"ack over upper bound, be_liberal", 0, 1, true, 0, 0},
	    /* 4 */ {"seq under lower bound (II)", -200000, 0, false, 1, 0},
	    /* 5 */ {"ack under lower bound (IV)", 0, -200000, false, 1, 0},
	    /*
	     * The client may send up to ack + window = e.c + 65535.  Past it
	     * by no more than the server's max window (65535): IGNORE;
	     * further: INVALID.
	     */
	    /* 6 */ {"seq over upper bound, overshoot <= window", 70000, 0, false, 1, 0},
	    /* 7 */ {"seq over upper bound (I)", 140000, 0, false, 2, CT_TCP_INV_SEQ_OVER},
	    /* 8 */ {"seq over upper bound, be_liberal", 140000, 0, true, 0, 0},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow *f = flow_new();
		struct ends e = handshake(f);
		uint64_t before;
		int got;

		if (cases[i].liberal)
			set(f, "nf_conntrack_tcp_be_liberal", "1");
		before = pkts(f, C2S);
		tx(f, C2S, ACK, e.c + (uint32_t)cases[i].seq_off, e.s + (uint32_t)cases[i].ack_off,
		   WIN, 0);
		got = invalid(f) ? 2 : pkts(f, C2S) == before ? 1 : 0;
		if (got != cases[i].want)
			fail_msg("case %zu (%s): result %d", i + 1, cases[i].what, got);
		if (got == 2 && f->p.invalid_reason != cases[i].reason)
			fail_msg("case %zu: reason %d", i + 1, f->p.invalid_reason);
		assert_int_equal(state(f), CT_TCP_ESTABLISHED);
		flow_free(f);
	}
}

/* SACK blocks count as acknowledgement only if the receiver allowed SACK. */
static void test_sack(void **st)
{
	static const uint8_t sackperm[] = {4, 2, 1, 1};

	(void)st;
	for (int perm = 0; perm < 2; perm++) {
		struct flow *f = flow_new();
		uint8_t sack[12] = {1, 1, 5, 10};

		/* The receiver of the SACK (the server) decides. */
		tx_opt(f, C2S, SYN, C0, 0, WIN, 0, sackperm, sizeof(sackperm));
		tx_opt(f, S2C, SYN | ACK, S0, C0 + 1, WIN, 0, sackperm,
		       perm ? sizeof(sackperm) : 0);
		tx(f, C2S, ACK, C0 + 1, S0 + 1, WIN, 0);
		/* server sends 1000 bytes */
		tx(f, S2C, ACK | PSH, S0 + 1, C0 + 1, WIN, 1000);
		/* the client SACKs [S0+501, S0+2001): beyond what the server sent */
		pk_wr32(sack + 4, S0 + 501);
		pk_wr32(sack + 8, S0 + 2001);
		tx_opt(f, C2S, ACK, C0 + 1, S0 + 1, WIN, 0, sack, 12);
		/* with SACK permitted, the right edge is checked (III): INVALID */
		assert_int_equal(invalid(f), perm == 1);
		if (perm)
			assert_int_equal(f->p.invalid_reason, CT_TCP_INV_ACK_OVER);
		flow_free(f);
	}
}

/* ---- 11. early drop ------------------------------------------------------- */

static void test_can_early_drop(void **st)
{
	struct ct_conn c;

	(void)st;
	memset(&c, 0, sizeof(c));
	for (uint8_t s = 0; s < CT_TCP_MAX; s++) {
		bool want = s == CT_TCP_FIN_WAIT || s == CT_TCP_CLOSE_WAIT ||
			    s == CT_TCP_LAST_ACK || s == CT_TCP_TIME_WAIT || s == CT_TCP_CLOSE;

		c.ps.tcp.state = s;
		assert_int_equal(ct_l4proto_tcp.can_early_drop(&c), want);
	}
	assert_int_equal(ct_l4proto_tcp.proto, 6);
	assert_false(ct_l4proto_tcp.allow_clash);
}

/* ---- 12. the hand-built packets match the parser -------------------- */

static void test_parser_agrees(void **st)
{
	static const uint8_t ws7[] = {1, 3, 3, 7};
	struct flow *f = flow_new();
	struct ct_pkt q;
	struct seg s = {.dir = S2C,
			.flags = SYN | ACK,
			.seq = S0,
			.ack = C0 + 1,
			.win = WIN,
			.len = 33,
			.opt = ws7,
			.optlen = sizeof(ws7)};

	(void)st;
	build(f, &s);
	assert_int_equal(ct_pkt_parse(&q, f->buf, f->p.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_int_equal(q.l4_bad, CT_L4_OK);
	assert_int_equal(q.l4_off, f->p.l4_off);
	assert_int_equal(q.l4_len, f->p.l4_len);
	assert_int_equal(q.l3_len, f->p.l3_len);
	assert_int_equal(q.proto, 6);
	assert_memory_equal(&q.tuple, &f->p.tuple, sizeof(q.tuple));
	assert_true(ct_pkt_l4_csum_ok(&q));

	/* A handshake with parsed packets. */
	s = (struct seg){.dir = C2S, .flags = SYN, .seq = C0, .win = WIN};
	build(f, &s);
	assert_int_equal(ct_pkt_parse(&f->p, f->buf, f->p.len, CT_LINK_RAW), CT_PARSE_OK);
	run_pkt(f);
	s = (struct seg){.dir = S2C, .flags = SYN | ACK, .seq = S0, .ack = C0 + 1, .win = WIN};
	build(f, &s);
	assert_int_equal(ct_pkt_parse(&f->p, f->buf, f->p.len, CT_LINK_RAW), CT_PARSE_OK);
	run_pkt(f);
	s = (struct seg){.dir = C2S, .flags = ACK, .seq = C0 + 1, .ack = S0 + 1, .win = WIN};
	build(f, &s);
	assert_int_equal(ct_pkt_parse(&f->p, f->buf, f->p.len, CT_LINK_RAW), CT_PARSE_OK);
	assert_int_equal(run_pkt(f), CT_INFO_ESTABLISHED);
	assert_int_equal(state(f), CT_TCP_ESTABLISHED);
	assert_true(status(f) & CT_S_ASSURED);
	flow_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_valid),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_table_cells),
	    cmocka_unit_test(test_cells_pipeline),
	    cmocka_unit_test(test_sanity),
	    cmocka_unit_test(test_bad_flags_in_established),
	    cmocka_unit_test(test_handshake_and_close),
	    cmocka_unit_test(test_syn_in_ss_not_refreshed),
	    cmocka_unit_test(test_synack_acks_old_isn),
	    cmocka_unit_test(test_events),
	    cmocka_unit_test(test_pickup),
	    cmocka_unit_test(test_rst_no_reply_deletes),
	    cmocka_unit_test(test_rst_variants),
	    cmocka_unit_test(test_rst_answers_ignored_syn),
	    cmocka_unit_test(test_rst_answers_challenge_ack_in_ss),
	    cmocka_unit_test(test_rst_skip_needs_other_side),
	    cmocka_unit_test(test_invalid_fin_lowers_timeout),
	    cmocka_unit_test(test_reopen),
	    cmocka_unit_test(test_resync_from_es),
	    cmocka_unit_test(test_simultaneous_open),
	    cmocka_unit_test(test_challenge_ack_last_ack),
	    cmocka_unit_test(test_retrans_cap),
	    cmocka_unit_test(test_window_scaling),
	    cmocka_unit_test(test_reinit_syn_keeps_wscale),
	    cmocka_unit_test(test_window_checks),
	    cmocka_unit_test(test_sack),
	    cmocka_unit_test(test_can_early_drop),
	    cmocka_unit_test(test_parser_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
