/* SPDX-License-Identifier: MIT */
/*
 * The router's packet path (spec §11.2):
 *
 *   input frame -> IP checks -> defrag (-400) -> PREROUTING [raw < -200]
 *     -> conntrack (-200) -> PREROUTING [>= -200] -> routing
 *     -> local:   INPUT [all] -> confirm -> delivered -> host answer (output path)
 *     -> forward: TTL check, TTL-1 -> FORWARD [all] -> POSTROUTING [all]
 *                 -> confirm -> neighbour -> frame out
 *   local packet -> OUTPUT [< -200] -> conntrack -> OUTPUT [>= -200] -> routing
 *     -> POSTROUTING [all] -> confirm -> neighbour -> frame out
 *
 * Every call's emitted frames live in the arena until the next call.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/nat.h"
#include "ctrack/nft.h"
#include "fw_priv.h"
#include "rules.h"

#define WORK_SIZE (65535 + 256)

struct flight {
	struct ct_pkt p;       /* parsed from work */
	uint8_t *work;         /* mutable copy of the L3 packet */
	uint32_t in_ifindex;   /* 0 for local packets */
	bool reassembled;
	struct fw_meta meta;
};

static uint8_t work_buf[WORK_SIZE]; /* reused: one packet in flight at a time */

int fw_new(const struct fw_config *cfg, struct fw **out)
{
	struct fw *fw = calloc(1, sizeof(*fw));
	int err;

	if (!fw)
		return -ENOMEM;
	err = ct_table_new(cfg ? &cfg->ct : NULL, &fw->ct);
	if (err)
		goto err_ct;
	err = nat_table_init(fw->ct); /* NAT (issue 5): by-source index, PRNG */
	if (err)
		goto err_defrag;
	err = ct_defrag_new(NULL, &fw->defrag);
	if (err)
		goto err_defrag;
	fw->neigh = calloc(FW_NEIGH_SLOTS, sizeof(*fw->neigh));
	fw->arena = malloc(FW_ARENA_SIZE);
	if (!fw->neigh || !fw->arena) {
		err = -ENOMEM;
		goto err_mem;
	}
	*out = fw;
	return 0;

err_mem:
	free(fw->neigh);
	free(fw->arena);
	ct_defrag_free(fw->defrag);
err_defrag:
	ct_table_free(fw->ct);
err_ct:
	free(fw);
	return err;
}

void fw_free(struct fw *fw)
{
	if (!fw)
		return;
	ct_defrag_free(fw->defrag);
	ct_table_free(fw->ct);
	free(fw->neigh);
	free(fw->arena);
	free(fw);
}

struct ct_table *fw_ct(struct fw *fw)
{
	return fw->ct;
}

void fw_set_ruleset(struct fw *fw, struct nft_ruleset *rs)
{
	fw->rs = rs;
}

void fw_get_stats(const struct fw *fw, struct fw_stats *out)
{
	*out = fw->stats;
}

void fw_tick(struct fw *fw, uint64_t now)
{
	ct_defrag_expire(fw->defrag, now);
	ct_gc(fw->ct, now, 1024);
}

const char *fw_reason_name(enum fw_reason r)
{
	static const char *const names[FW_R_MAX] = {
		[FW_R_NONE] = "none",           [FW_R_RULE] = "rule",
		[FW_R_NOT_IP] = "not-ip",       [FW_R_OTHERHOST] = "not-for-us",
		[FW_R_MALFORMED] = "malformed", [FW_R_FRAGMENT] = "fragment",
		[FW_R_CT_DROP] = "conntrack",   [FW_R_NO_ROUTE] = "no-route",
		[FW_R_TTL] = "ttl-exceeded",    [FW_R_NO_NEIGH] = "no-neighbour",
		[FW_R_MARTIAN] = "martian",     [FW_R_ARENA] = "output-full",
	};
	return r < FW_R_MAX && names[r] ? names[r] : "?";
}

const char *fw_outcome_name(enum fw_outcome o)
{
	static const char *const names[FW_OUTCOME_MAX] = {
		[FW_FORWARDED] = "forwarded", [FW_DELIVERED] = "delivered",
		[FW_DROPPED] = "dropped",     [FW_REJECTED] = "rejected",
		[FW_HELD] = "held",           [FW_SENT] = "sent",
	};
	return o < FW_OUTCOME_MAX ? names[o] : "?";
}

/* Clear a result but for its emit array (6 KiB): only n_emit entries count. */
static void result_reset(struct fw_result *res)
{
	memset(res, 0, offsetof(struct fw_result, emit));
}

/* ---- output ----------------------------------------------------------- */

/* Copy an IP packet into the arena behind an Ethernet header. */
static uint8_t *emit_ip(struct fw *fw, struct fw_result *res, uint32_t ifindex,
			const uint8_t *dst_mac, const uint8_t *ip, uint32_t len, uint8_t l3num,
			bool generated)
{
	struct fw_iface *ifc = fw_iface_get(fw, ifindex);
	uint8_t *f;

	if (!ifc || res->n_emit == FW_MAX_EMIT || fw->arena_used + len + 14 > FW_ARENA_SIZE)
		return NULL;
	f = fw->arena + fw->arena_used;
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, ifc->mac, 6);
	f[12] = l3num == 2 ? 0x08 : 0x86;
	f[13] = l3num == 2 ? 0x00 : 0xdd;
	memcpy(f + 14, ip, len);
	fw->arena_used += len + 14;
	res->emit[res->n_emit++] = (struct fw_emit){
		.ifindex = ifindex, .frame = f, .len = len + 14, .generated = generated};
	if (generated)
		fw->stats.generated++;
	return f + 14;
}

static void drop(struct fw *fw, struct fw_result *res, enum fw_reason why)
{
	res->outcome = FW_DROPPED;
	res->reason = why;
	fw->stats.dropped[why]++;
}

static void note_verdict(struct fw_result *res, const struct fw_verdict *v, enum ct_hook hook)
{
	res->hook = hook;
	res->by_rule = v->by_rule;
	res->by_policy = v->by_policy;
	res->table = v->table;
	res->chain = v->chain;
	res->handle = v->handle;
	res->rule_text = v->rule_text;
}

static void note_ct(struct fw_result *res, const struct ct_pkt *p)
{
	res->ctinfo = p->ctinfo;
	res->ct_status = p->ct ? ct_conn_status(p->ct) : 0;
}

/* Resolve the next hop's MAC for a packet to dst leaving by route r. */
static const uint8_t *next_hop_mac(struct fw *fw, const struct fw_route *r, uint8_t l3num,
				   const uint8_t dst[16])
{
	return fw_neigh_lookup(fw, r->ifindex, l3num, r->has_gw ? r->gw : dst);
}

/* ---- locally generated packets ---------------------------------------- */

static void output_path(struct fw *fw, const uint8_t *ip, uint32_t len, uint64_t now,
			struct fw_result *res, bool generated, const struct ct_pkt *attach);

static bool tracks_update(struct fw *fw)
{
	uint32_t n = ct_table_count(fw->ct);

	if (n > fw->stats.peak_conns)
		fw->stats.peak_conns = n;
	return true;
}

/* ---- rejects and host answers ----------------------------------------- */

static void icmp_codes(uint8_t l3num, enum fw_reject kind, uint8_t code, uint8_t *type,
		       uint8_t *out_code)
{
	/* icmpx codes: 0 no-route, 1 port-unreachable, 2 host-unreachable, 3 admin-prohibited */
	static const uint8_t x4[4] = {0, 3, 1, 13}, x6[4] = {0, 4, 3, 1};

	*type = l3num == 2 ? 3 : 1;
	if (kind == FW_REJECT_ICMPX)
		*out_code = code < 4 ? (l3num == 2 ? x4[code] : x6[code]) : 0;
	else
		*out_code = code;
}

/*
 * The source of an ICMP error: the packet's own destination when it was
 * for us (icmp_send uses it for local routes), else our address on the
 * interface that leads back to the sender.
 */
static bool error_source(struct fw *fw, const struct ct_pkt *o, uint32_t in_ifindex,
			 uint8_t src[16])
{
	const struct fw_route *r;

	if (fw_is_local_addr(fw, o->l3num, o->tuple.dst)) {
		memcpy(src, o->tuple.dst, 16);
		return true;
	}
	r = fw_route_lookup(fw, o->l3num, o->tuple.src);
	return fw_select_src(fw, r ? r->ifindex : in_ifindex, o->l3num, o->tuple.src, src);
}

static void send_reject(struct fw *fw, struct flight *f, const struct fw_verdict *v,
			uint64_t now, struct fw_result *res)
{
	static uint8_t buf[1400];
	uint32_t n = 0;

	if (v->reject == FW_REJECT_TCP_RST) {
		n = fw_gen_tcp_reset(&f->p, false, buf, sizeof(buf));
	} else {
		uint8_t src[16] = {0}, type, code;

		icmp_codes(f->p.l3num, v->reject, v->reject_code, &type, &code);
		if (error_source(fw, &f->p, f->in_ifindex, src))
			n = fw_gen_icmp_error(&f->p, src, type, code, buf, sizeof(buf));
	}
	if (n)
		output_path(fw, buf, n, now, res, true, &f->p);
}

/*
 * A neighbour solicitation (RFC 4861 7.1.1 validity: hop limit 255, code
 * 0, a unicast target, a specified source) for an address of the
 * receiving interface gets an advertisement (ndisc_recv_ns).  Duplicate
 * address detection probes (unspecified source) are not answered here.
 */
static uint32_t nd_answer(struct fw *fw, const struct flight *f, uint8_t *buf, uint32_t cap)
{
	const struct ct_pkt *p = &f->p;
	const uint8_t *ip = f->work, *ns = f->work + (p->l4_off - p->l3_off);
	struct fw_iface *ifc = fw_iface_get(fw, f->in_ifindex);
	static const uint8_t zero[16];

	if (!ifc || ip[7] != 255 || ns[1] != 0 || ns[8] == 0xff || memcmp(ip + 8, zero, 16) == 0)
		return 0;
	for (uint32_t i = 0; i < ifc->naddr; i++) {
		if (ifc->addr[i].l3num == 10 && memcmp(ifc->addr[i].addr, ns + 8, 16) == 0)
			return fw_gen_nd_advert(p, ifc->mac, true, buf, cap);
	}
	return 0;
}

/*
 * A Linux host with no listener answers (spec §11.3).  `unicast`: the
 * packet was for one of our unicast addresses.  For a broadcast or a
 * multicast group nothing is answered (tcp_v4/v6_send_reset check the
 * route type, UDP and ICMP send no errors about them, IPv4 echo requests
 * to them are ignored: icmp_echo_ignore_broadcasts=1), except an IPv6 echo
 * request, answered from our address towards the sender
 * (icmpv6_echo_ignore_multicast=0).
 */
static void host_answer(struct fw *fw, struct flight *f, bool unicast, uint64_t now,
			struct fw_result *res)
{
	static uint8_t buf[WORK_SIZE];
	const struct ct_pkt *p = &f->p;
	uint32_t n = 0;

	if (!unicast && p->proto != 58)
		return;
	/* TCP, UDP, ICMP and ICMPv6 verify the checksum before anything else
	 * (tcp_v4_rcv, __udp4_lib_rcv, icmp_rcv, icmpv6_rcv ...): a corrupt
	 * segment is discarded unanswered even if the ruleset let it in. */
	if (!ct_pkt_l4_csum_ok(p))
		return;
	switch (p->proto) {
	case 6:
		n = fw_gen_tcp_reset(p, true, buf, sizeof(buf));
		break;
	case 17:
	case 136: {
		uint8_t src[16] = {0};

		memcpy(src, p->tuple.dst, 16);
		n = fw_gen_icmp_error(p, src, p->l3num == 2 ? 3 : 1, p->l3num == 2 ? 3 : 4, buf,
				      sizeof(buf));
		break;
	}
	case 58:
		if (p->l4_len >= 24 && f->work[p->l4_off - p->l3_off] == 135) {
			n = nd_answer(fw, f, buf, sizeof(buf));
			break;
		}
		/* fall through */
	case 1: {
		uint8_t src[16] = {0};

		if (!unicast && !fw_select_src(fw, f->in_ifindex, p->l3num,
					       f->work + (p->l3num == 2 ? 12 : 8), src))
			return;
		n = fw_gen_echo_reply(p, unicast ? NULL : src, buf, sizeof(buf));
		break;
	}
	default:
		break;
	}
	if (n)
		output_path(fw, buf, n, now, res, true, NULL);
}

/* ---- hooks ------------------------------------------------------------ */

/*
 * Evaluate the chains of one hook.  The verdict reported for a packet that
 * passes is the last rule that accepted it; a chain's accept policy only
 * stands when no rule has accepted it yet (the forward chain's `accept`
 * rule, not the postrouting chain's policy, decided a forwarded packet).
 */
static bool run_rules(struct fw *fw, struct flight *f, enum ct_hook hook, int32_t lo, int32_t hi,
		      uint64_t now, struct fw_result *res, struct fw_verdict *v)
{
	fw_rules_eval(fw->rs, fw->ct, hook, lo, hi, &f->p, &f->meta, now, v);
	if (v->drop || v->reject) {
		note_verdict(res, v, hook);
		return false;
	}
	if (v->by_rule || (v->by_policy && !res->by_rule))
		note_verdict(res, v, hook);
	return true;
}

/* Stop a packet: rule drop or reject.  Releases its unconfirmed entry. */
static void stop_packet(struct fw *fw, struct flight *f, const struct fw_verdict *v,
			uint64_t now, struct fw_result *res)
{
	note_ct(res, &f->p);
	if (v->reject) {
		/* The answer goes out first, then the packet and its new entry die. */
		send_reject(fw, f, v, now, res);
		res->outcome = FW_REJECTED;
		res->reason = FW_R_RULE;
		fw->stats.rejected++;
	} else {
		drop(fw, res, FW_R_RULE);
	}
	ct_pkt_release(fw->ct, &f->p);
}

/* ---- NAT (lib/nat, issue 5; spec §10.2, §10.4) -------------------------- */

static bool ip6_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/*
 * Redirect's new destination: 127.0.0.1 / ::1 at output, else the first
 * address of the receiving interface.  IPv4: the first primary address
 * (the head of the interface's list; addresses are kept in the order
 * added).  IPv6: the head of the kernel's address list, which holds
 * global addresses before link-local ones and, within a scope, the newest
 * first (kdiff test_redirect_several_addresses: with fd00:1::1 then
 * fd00:8::1 on the interface, the kernel redirected to fd00:8::1); only an
 * address of the destination's scope class is taken.
 */
static bool redirect_addr(struct fw *fw, const struct flight *f, enum ct_hook hook,
			  uint8_t out[16])
{
	struct fw_iface *ifc = fw_iface_get(fw, f->in_ifindex);
	const struct fw_addr *pick = NULL;
	bool want_ll = f->p.l3num == 10 && ip6_link_local(f->p.tuple.dst);

	memset(out, 0, 16);
	if (hook == CT_HOOK_OUTPUT) {
		if (f->p.l3num == 2) {
			out[0] = 127;
			out[3] = 1;
		} else {
			out[15] = 1;
		}
		return true;
	}
	for (uint32_t i = 0; ifc && i < ifc->naddr; i++) {
		const struct fw_addr *a = &ifc->addr[i];

		if (a->l3num != f->p.l3num)
			continue;
		if (a->l3num == 2) {
			pick = a;
			break;
		}
		if (ip6_link_local(a->addr) == want_ll)
			pick = a; /* the newest of the scope wins */
	}
	if (!pick)
		return false;
	memcpy(out, pick->addr, pick->l3num == 2 ? 4 : 16);
	return true;
}

/* RFC 6724 policy table labels (the kernel's default address labels). */
static uint32_t ip6_label(const uint8_t *a)
{
	static const struct {
		uint8_t prefix[16];
		uint8_t plen;
		uint8_t label;
	} tab[] = {
		{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, 0},
		{{0x20, 0x01, 0x00, 0x10}, 28, 7},
		{{0x20, 0x01}, 32, 6},
		{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, 4},
		{{0}, 96, 3},
		{{0x20, 0x02}, 16, 2},
		{{0x3f, 0xfe}, 16, 12},
		{{0xfe, 0xc0}, 10, 11},
		{{0xfc}, 7, 5},
	};
	uint8_t best = 0;
	uint32_t label = 1; /* ::/0 */

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		uint32_t full = tab[i].plen / 8, rest = tab[i].plen % 8;

		if (tab[i].plen <= best || memcmp(a, tab[i].prefix, full) != 0)
			continue;
		if (rest && ((a[full] ^ tab[i].prefix[full]) & (uint8_t)(0xff << (8 - rest))))
			continue;
		best = tab[i].plen;
		label = tab[i].label;
	}
	return label;
}

/* Leading bits two addresses share (ipv6_addr_diff). */
static uint32_t ip6_common_bits(const uint8_t *a, const uint8_t *b)
{
	for (uint32_t i = 0; i < 16; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x) {
			uint32_t n = i * 8;

			while (!(x & 0x80)) {
				x <<= 1;
				n++;
			}
			return n;
		}
	}
	return 128;
}

/*
 * IPv6 masquerade's source: the kernel asks ipv6_dev_get_saddr() for the
 * packet's destination (not the next hop, as IPv4 does) on the egress
 * interface, i.e. RFC 6724 source selection.  The rules that can differ
 * between a router's static addresses: 1 the destination itself; 2 the
 * appropriate scope (link-local for link-local destinations); 6 matching
 * label; 8 longest matching prefix, at most the address's prefix length.
 * Ties go to the head of the kernel's list: the newest address (kdiff
 * test_masquerade_source_selection: fd00:2::1/64 then fd00:9::1/64 on the
 * interface, destination fd00:44::5 via fd00:2::2 -> fd00:9::1).
 */
static bool masq_src6(struct fw *fw, uint32_t oif, const uint8_t *dst, uint8_t out[16])
{
	struct fw_iface *ifc = fw_iface_get(fw, oif);
	const struct fw_addr *best = NULL;
	int32_t bscore[3] = {0, 0, 0};
	int32_t dscope = ip6_link_local(dst) ? 2 : 14;
	uint32_t dlabel = ip6_label(dst);

	for (uint32_t i = 0; ifc && i < ifc->naddr; i++) {
		const struct fw_addr *a = &ifc->addr[i];
		int32_t scope, sc[3];
		uint32_t m;

		if (a->l3num != 10)
			continue;
		if (memcmp(a->addr, dst, 16) == 0) {
			best = a;
			break;
		}
		scope = ip6_link_local(a->addr) ? 2 : 14;
		sc[0] = scope >= dscope ? -scope : scope - 128;
		sc[1] = ip6_label(a->addr) == dlabel;
		m = ip6_common_bits(a->addr, dst);
		sc[2] = (int32_t)(m > a->plen ? a->plen : m);
		/* Later (newer) addresses win ties: >= on the first differing rule. */
		if (best && (sc[0] < bscore[0] ||
			     (sc[0] == bscore[0] && (sc[1] < bscore[1] ||
						     (sc[1] == bscore[1] && sc[2] < bscore[2])))))
			continue;
		best = a;
		memcpy(bscore, sc, sizeof(sc));
	}
	if (!best)
		return false;
	memcpy(out, best->addr, 16);
	return true;
}

/* Apply the nat statement found by the nat chains.  False: drop the packet. */
static bool nat_bind(struct fw *fw, struct flight *f, enum ct_hook hook,
		     const struct fw_verdict *v, uint64_t now)
{
	enum nat_manip_type m = nat_hook_manip(hook);
	struct nat_range r = v->nat_range;
	struct ct_conn *c = f->p.ct;
	struct ct_tuple o;
	uint8_t a[16];

	if (v->nat_family && v->nat_family != f->p.l3num)
		return true; /* `snat ip to` on an IPv6 packet: no binding */
	switch (v->nat_kind) {
	case FW_NAT_SNAT:
	case FW_NAT_DNAT:
		if ((v->nat_kind == FW_NAT_SNAT) != (m == NAT_MANIP_SRC))
			return true;
		return nat_setup(fw->ct, c, &r, m, now) == 0;
	case FW_NAT_MASQUERADE: {
		const struct fw_route *rt = fw_route_lookup(fw, f->p.l3num, f->p.tuple.dst);
		static const uint8_t zero[16];

		if (hook != CT_HOOK_POSTROUTING)
			return true;
		/* A 0.0.0.0 source is left alone (then null-bound). */
		ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
		if (f->p.l3num == 2 && memcmp(o.src, zero, 4) == 0)
			return true;
		/*
		 * IPv4: the address the egress interface would pick for the
		 * next hop (inet_select_addr); IPv6: source selection for the
		 * destination.
		 */
		if (f->p.l3num == 10) {
			if (!masq_src6(fw, f->meta.oif, f->p.tuple.dst, a))
				return false;
		} else if (!rt || !fw_select_src(fw, f->meta.oif, f->p.l3num,
						 rt->has_gw ? rt->gw : f->p.tuple.dst, a)) {
			return false;
		}
		break;
	}
	case FW_NAT_REDIRECT:
		if (m != NAT_MANIP_DST || !redirect_addr(fw, f, hook, a))
			return m != NAT_MANIP_DST;
		break;
	default:
		return true;
	}
	r.flags |= NAT_RANGE_MAP_IPS;
	memcpy(r.min_addr, a, 16);
	memcpy(r.max_addr, a, 16);
	if (nat_setup(fw->ct, c, &r, m, now) != 0)
		return false;
	if (v->nat_kind == FW_NAT_MASQUERADE)
		nat_set_masq_oif(fw->ct, c, f->meta.oif);
	return true;
}

/*
 * The NAT hook at dstnat (prerouting/output, -100) or srcnat (postrouting/
 * input, +100): nat chains for a connection's first packet only, a null
 * binding when nothing bound, then the rewrite of every packet
 * (nf_nat_inet_fn).  ICMP errors are only translated.  False: the packet
 * was stopped (res filled).
 */
static bool nat_step(struct fw *fw, struct flight *f, enum ct_hook hook, uint64_t now,
		     struct fw_result *res)
{
	struct ct_pkt *p = &f->p;
	enum nat_manip_type m = nat_hook_manip(hook);
	struct fw_verdict v;

	if (!p->ct)
		return true;
	if (!nat_pkt_is_icmp_error(p) &&
	    (p->ctinfo == CT_INFO_NEW || p->ctinfo == CT_INFO_RELATED) &&
	    !nat_initialized(p->ct, m)) {
		f->meta.nat_chains = true;
		fw_rules_eval(fw->rs, fw->ct, hook, FW_PRIO_MIN, FW_PRIO_MAX, p, &f->meta, now, &v);
		f->meta.nat_chains = false;
		if (v.drop || v.reject) {
			note_verdict(res, &v, hook);
			stop_packet(fw, f, &v, now, res);
			return false;
		}
		if (v.by_rule)
			note_verdict(res, &v, hook);
		if (v.nat_hooked) {
			if (!nat_bind(fw, f, hook, &v, now))
				goto drop;
			if (!nat_initialized(p->ct, m) &&
			    nat_null_binding(fw->ct, p->ct, hook, now) != 0)
				goto drop;
		}
	} else if (nat_oif_changed(fw->ct, p, hook, f->meta.oif)) {
		/* A masqueraded flow changed its way out: kill it, drop the packet. */
		ct_conn_delete(fw->ct, p->ct, now);
		goto drop;
	}
	if (nat_packet(fw->ct, p, f->work, hook) != 0)
		goto drop;
	return true;
drop:
	note_ct(res, p);
	ct_pkt_release(fw->ct, p);
	drop(fw, res, FW_R_CT_DROP);
	return false;
}

/*
 * Conntrack (and its defrag) run only while something needs them (spec
 * §7.7): a ruleset using ct or NAT for the family.  Without a ruleset the
 * router tracks everything (the library's default for tests and tools).
 */
static bool tracking(const struct fw *fw, uint8_t l3num)
{
	return !fw->rs || nft_uses_conntrack(fw->rs, l3num);
}

static bool conntrack(struct fw *fw, struct flight *f, enum ct_hook hook, uint64_t now,
		      struct fw_result *res)
{
	if (!tracking(fw, f->p.l3num))
		return true;
	if (ct_hook_conntrack(fw->ct, &f->p, hook, now) != 0) {
		note_ct(res, &f->p);
		drop(fw, res, FW_R_CT_DROP);
		return false;
	}
	return true;
}

static bool confirm(struct fw *fw, struct flight *f, uint64_t now, struct fw_result *res)
{
	bool was_new = f->p.ct_new;

	if (ct_confirm(fw->ct, &f->p, now) != 0) {
		note_ct(res, &f->p);
		drop(fw, res, FW_R_CT_DROP);
		return false;
	}
	if (was_new && !f->p.ct_new && f->p.ct)
		fw->stats.conns_created++;
	tracks_update(fw);
	note_ct(res, &f->p);
	return true;
}

/*
 * Output path for packets the firewall sends (answers, rejects, local
 * captures).  `attach`: a reject's original packet; the answer then carries
 * the original's entry as RELATED (nf_ct_attach) and makes no entry.
 */
static void output_path_run(struct fw *fw, const uint8_t *ip, uint32_t len, uint64_t now,
			    struct fw_result *res, bool generated, const struct ct_pkt *attach);

/*
 * The verdict fields of a result: a generated answer's trip through output
 * and postrouting must not overwrite what is reported for the packet that
 * caused it.
 */
struct verdict_note {
	enum ct_hook hook;
	bool by_rule, by_policy;
	const char *table, *chain, *rule_text;
	uint64_t handle;
	uint8_t ctinfo;
	uint32_t ct_status;
};

static void output_path(struct fw *fw, const uint8_t *ip, uint32_t len, uint64_t now,
			struct fw_result *res, bool generated, const struct ct_pkt *attach)
{
	struct verdict_note k = {res->hook,	res->by_rule,	  res->by_policy,
				 res->table,	res->chain,	  res->rule_text,
				 res->handle,	res->ctinfo,	  res->ct_status};

	output_path_run(fw, ip, len, now, res, generated, attach);
	if (!generated)
		return;
	res->hook = k.hook;
	res->by_rule = k.by_rule;
	res->by_policy = k.by_policy;
	res->table = k.table;
	res->chain = k.chain;
	res->rule_text = k.rule_text;
	res->handle = k.handle;
	res->ctinfo = k.ctinfo;
	res->ct_status = k.ct_status;
}

static void output_path_run(struct fw *fw, const uint8_t *ip, uint32_t len, uint64_t now,
			    struct fw_result *res, bool generated, const struct ct_pkt *attach)
{
	static uint8_t out_work[WORK_SIZE];
	struct flight f;
	struct fw_verdict v;
	const struct fw_route *r;
	const uint8_t *mac;
	uint8_t *dst;

	if (len > sizeof(out_work))
		return;
	memcpy(out_work, ip, len);
	memset(&f, 0, sizeof(f));
	f.work = out_work;
	if (ct_pkt_parse(&f.p, out_work, len, CT_LINK_RAW) != CT_PARSE_OK)
		return;
	if (attach && attach->ct) {
		f.p.ct = attach->ct;
		f.p.ctinfo = attach->dir == CT_DIR_ORIGINAL ? CT_INFO_RELATED_REPLY
							    : CT_INFO_RELATED;
		f.p.dir = !attach->dir;
	}
	r = fw_route_lookup(fw, f.p.l3num, f.p.tuple.dst);
	if (!r)
		return;
	f.meta.oif = r->ifindex;
	f.meta.oifname = fw_iface_name(fw, r->ifindex);
	if (!run_rules(fw, &f, CT_HOOK_OUTPUT, FW_PRIO_MIN, FW_PRIO_CONNTRACK, now, res, &v))
		goto dropped;
	if (v.notrack)
		ct_pkt_set_notrack(&f.p);
	if (v.zone_set)
		ct_pkt_set_zone(&f.p, v.zone, 3);
	if (tracking(fw, f.p.l3num) && ct_hook_conntrack(fw->ct, &f.p, CT_HOOK_OUTPUT, now) != 0)
		return;
	if (!run_rules(fw, &f, CT_HOOK_OUTPUT, FW_PRIO_CONNTRACK, FW_PRIO_NAT_DST, now, res, &v))
		goto dropped;
	if (!nat_step(fw, &f, CT_HOOK_OUTPUT, now, res))
		goto stopped;
	if (!run_rules(fw, &f, CT_HOOK_OUTPUT, FW_PRIO_NAT_DST, FW_PRIO_MAX, now, res, &v))
		goto dropped;
	/* Rerouted when the destination changed (DNAT at output). */
	r = fw_route_lookup(fw, f.p.l3num, f.p.tuple.dst);
	if (!r)
		goto dropped;
	f.meta.oif = r->ifindex;
	f.meta.oifname = fw_iface_name(fw, r->ifindex);
	if (!run_rules(fw, &f, CT_HOOK_POSTROUTING, FW_PRIO_MIN, FW_PRIO_NAT_SRC, now, res, &v))
		goto dropped;
	if (!nat_step(fw, &f, CT_HOOK_POSTROUTING, now, res))
		goto stopped;
	if (!run_rules(fw, &f, CT_HOOK_POSTROUTING, FW_PRIO_NAT_SRC, FW_PRIO_MAX, now, res, &v))
		goto dropped;
	if (attach) {
		f.p.ct = NULL; /* borrowed from the original: never confirmed here */
	} else if (ct_confirm(fw->ct, &f.p, now) != 0) {
		return;
	}
	if (!generated)
		note_ct(res, &f.p); /* a --local packet: its own ct state is reported */
	mac = next_hop_mac(fw, r, f.p.l3num, f.p.tuple.dst);
	if (!mac)
		return;
	dst = emit_ip(fw, res, r->ifindex, mac, out_work, f.p.l3_len, f.p.l3num, generated);
	(void)dst;
	fw->stats.sent++;
	return;
dropped:
	if (attach)
		f.p.ct = NULL;
	ct_pkt_release(fw->ct, &f.p);
	return;
stopped:
	/* nat_step released the packet; a borrowed entry stays with its owner. */
	return;
}

/* ---- input ------------------------------------------------------------ */

static void forward(struct fw *fw, struct flight *f, const struct fw_route *r, uint64_t now,
		    struct fw_result *res)
{
	struct fw_verdict v;
	const uint8_t *mac;
	static uint8_t err_buf[1400];

	f->meta.oif = r->ifindex;
	f->meta.oifname = fw_iface_name(fw, r->ifindex);
	/* ip_forward: TTL checked and decremented before the FORWARD hook. */
	if (f->p.ttl <= 1) {
		uint8_t src[16] = {0};
		uint32_t n = 0;

		if (fw_select_src(fw, f->in_ifindex, f->p.l3num, f->p.tuple.src, src))
			n = fw_gen_icmp_error(&f->p, src, f->p.l3num == 2 ? 11 : 3, 0, err_buf,
					      sizeof(err_buf));
		note_ct(res, &f->p);
		/*
		 * The error carries the dying packet's entry, as a reject's
		 * answer does: it is RELATED to it and NAT translates it back
		 * (kdiff test_router_errors_for_nat: the kernel's time
		 * exceeded for a DNATed packet quotes the pre-DNAT
		 * destination).  The entry is released after.
		 */
		if (n)
			output_path(fw, err_buf, n, now, res, true, &f->p);
		ct_pkt_release(fw->ct, &f->p);
		drop(fw, res, FW_R_TTL);
		return;
	}
	fw_dec_ttl(f->work, f->p.l3num);
	f->p.ttl--;
	if (f->p.l3num == 2 && (f->work[0] & 15) > 5 && !f->reassembled) {
		uint8_t me[16];

		if (fw_select_src(fw, r->ifindex, 2, f->p.tuple.dst, me))
			fw_ip4_record_route(f->work, me);
	}
	if (!run_rules(fw, f, CT_HOOK_FORWARD, FW_PRIO_MIN, FW_PRIO_MAX, now, res, &v) ||
	    !run_rules(fw, f, CT_HOOK_POSTROUTING, FW_PRIO_MIN, FW_PRIO_NAT_SRC, now, res, &v)) {
		stop_packet(fw, f, &v, now, res);
		return;
	}
	if (!nat_step(fw, f, CT_HOOK_POSTROUTING, now, res))
		return;
	if (!run_rules(fw, f, CT_HOOK_POSTROUTING, FW_PRIO_NAT_SRC, FW_PRIO_MAX, now, res, &v)) {
		stop_packet(fw, f, &v, now, res);
		return;
	}
	mac = next_hop_mac(fw, r, f->p.l3num, f->p.tuple.dst);
	if (!confirm(fw, f, now, res))
		return;
	if (!mac) {
		drop(fw, res, FW_R_NO_NEIGH);
		return;
	}
	res->outcome = FW_FORWARDED;
	res->out_ifindex = r->ifindex;
	fw->stats.forwarded++;
	if (f->reassembled) {
		/* The original fragments leave, in offset order, each TTL - 1. */
		const uint8_t *const *frames;
		const uint32_t *lens;
		size_t n = ct_defrag_fragments(fw->defrag, &frames, &lens);

		for (size_t i = 0; i < n; i++) {
			struct ct_pkt fp;
			uint8_t *ip;

			if (ct_pkt_parse(&fp, frames[i], lens[i], CT_LINK_ETHERNET) != CT_PARSE_OK)
				continue;
			ip = emit_ip(fw, res, r->ifindex, mac, frames[i] + fp.l3_off, fp.l3_len,
				     fp.l3num, false);
			if (!ip) {
				drop(fw, res, FW_R_ARENA);
				return;
			}
			/* NAT: every fragment takes the rewritten addresses (and ports). */
			nat_fragment_sync(f->work, f->p.l3_len, ip, fp.l3_len);
			fw_dec_ttl(ip, fp.l3num);
		}
		return;
	}
	if (!emit_ip(fw, res, r->ifindex, mac, f->work, f->p.l3_len, f->p.l3num, false))
		drop(fw, res, FW_R_ARENA);
}

static void deliver(struct fw *fw, struct flight *f, bool unicast, uint64_t now,
		    struct fw_result *res)
{
	struct fw_verdict v;

	f->meta.oif = 0;
	f->meta.oifname = NULL;
	if (!run_rules(fw, f, CT_HOOK_INPUT, FW_PRIO_MIN, FW_PRIO_NAT_SRC, now, res, &v)) {
		stop_packet(fw, f, &v, now, res);
		return;
	}
	if (!nat_step(fw, f, CT_HOOK_INPUT, now, res))
		return;
	if (!run_rules(fw, f, CT_HOOK_INPUT, FW_PRIO_NAT_SRC, FW_PRIO_MAX, now, res, &v)) {
		stop_packet(fw, f, &v, now, res);
		return;
	}
	if (!confirm(fw, f, now, res))
		return;
	res->outcome = FW_DELIVERED;
	fw->stats.delivered++;
	host_answer(fw, f, unicast, now, res);
}

/* ---- routing input (ip_route_input_slow, ip6_route_input) -------------- */

enum route_in {
	RI_LOCAL,       /* one of our unicast addresses */
	RI_LOCAL_GROUP, /* a broadcast of ours or a joined multicast group */
	RI_FORWARD,
	RI_MARTIAN,     /* impossible source or destination */
	RI_NOT_JOINED,  /* multicast we neither joined nor route (no mrouting) */
	RI_UNREACHABLE, /* no route: ip_error / ip6_pkt_drop answer */
};

static bool v4_zero(const uint8_t *a)
{
	return !a[0] && !a[1] && !a[2] && !a[3];
}

/*
 * What ip6_rcv_core drops before PREROUTING: multicast or loopback
 * sources, loopback destinations and multicast of scope 0 or 1 from the
 * wire.  (IPv4's checks all happen in routing, after PREROUTING.)
 */
static bool ip6_rcv_martian(const uint8_t *ip)
{
	static const uint8_t lo[16] = {[15] = 1};
	const uint8_t *src = ip + 8, *dst = ip + 24;

	return src[0] == 0xff || memcmp(src, lo, 16) == 0 || memcmp(dst, lo, 16) == 0 ||
	       (dst[0] == 0xff && (dst[1] & 0x0f) <= 1);
}

/*
 * The IPv4 input route's checks, in the kernel's order: multicast first
 * (joined groups only; sources validated as ip_route_input_mc does), then
 * martian sources, broadcasts, zero / loopback addresses, local addresses
 * and the FIB.  A source that is one of our addresses is a martian
 * (fib_validate_source), as for IPv4 only: IPv6 forwards it.
 */
static enum route_in route_input4(struct fw *fw, const struct flight *f)
{
	static const uint8_t all[4] = {255, 255, 255, 255};
	const uint8_t *ip = f->work, *src = ip + 12, *dst = ip + 16;
	/* Multicast and limited-broadcast sources are always martians; with
	 * rp_filter off the source is otherwise only checked against our own
	 * addresses (fib_validate_source's fast path). */
	bool src_bad = (src[0] & 0xf0) == 0xe0 || memcmp(src, all, 4) == 0;
	uint8_t s16[16] = {0}, d16[16] = {0};

	memcpy(s16, src, 4);
	memcpy(d16, dst, 4);
	if ((dst[0] & 0xf0) == 0xe0) {
		if (src_bad || src[0] == 127)
			return RI_MARTIAN;
		if (v4_zero(src) && !(dst[0] == 224 && !dst[1] && !dst[2]) && ip[9] != 2)
			return RI_MARTIAN;
		if (!v4_zero(src) && fw_is_local_addr(fw, 2, s16))
			return RI_MARTIAN;
		return fw_mcast_joined(fw, f->in_ifindex, 2, d16) ? RI_LOCAL_GROUP : RI_NOT_JOINED;
	}
	if (src_bad)
		return RI_MARTIAN;
	if (memcmp(dst, all, 4) == 0 || (v4_zero(src) && v4_zero(dst)))
		return v4_zero(src) || !fw_is_local_addr(fw, 2, s16) ? RI_LOCAL_GROUP : RI_MARTIAN;
	if (v4_zero(src) || v4_zero(dst) || src[0] == 127 || dst[0] == 127)
		return RI_MARTIAN;
	if (fw_is_local_addr(fw, 2, s16))
		return RI_MARTIAN;
	if (fw_is_local_addr(fw, 2, d16))
		return RI_LOCAL;
	if (fw_is_bcast4(fw, dst))
		return RI_LOCAL_GROUP;
	return fw_route_lookup(fw, 2, d16) ? RI_FORWARD : RI_UNREACHABLE;
}

static enum route_in route_input(struct fw *fw, const struct flight *f,
				 const struct fw_route **r)
{
	uint8_t dst[16];

	*r = NULL;
	if (f->p.l3num == 2) {
		enum route_in k = route_input4(fw, f);

		if (k == RI_FORWARD) {
			memset(dst, 0, 16);
			memcpy(dst, f->work + 16, 4);
			*r = fw_route_lookup(fw, 2, dst);
		}
		return k;
	}
	memcpy(dst, f->work + 24, 16);
	if (dst[0] == 0xff)
		return fw_mcast_joined(fw, f->in_ifindex, 10, dst) ? RI_LOCAL_GROUP : RI_NOT_JOINED;
	if (fw_is_local_addr(fw, 10, dst))
		return RI_LOCAL;
	*r = fw_route_lookup(fw, 10, dst);
	return *r ? RI_FORWARD : RI_UNREACHABLE;
}

/*
 * A packet routing did not take: its unconfirmed entry dies; for no route
 * the kernel answers destination unreachable, "net unreachable" (ip_error,
 * code 0) / "no route to destination" (ip6_pkt_drop, code 0), from our
 * address on the interface back to the sender.
 */
static void unrouted(struct fw *fw, struct flight *f, enum fw_reason why, bool answer,
		     uint64_t now, struct fw_result *res)
{
	static uint8_t err_buf[1400];
	uint8_t src[16] = {0};
	uint32_t n = 0;

	if (answer && fw_select_src(fw, f->in_ifindex, f->p.l3num,
				    f->work + (f->p.l3num == 2 ? 12 : 8), src))
		n = fw_gen_icmp_error(&f->p, src, f->p.l3num == 2 ? 3 : 1, 0, err_buf,
				      sizeof(err_buf));
	note_ct(res, &f->p);
	ct_pkt_release(fw->ct, &f->p);
	if (n)
		output_path(fw, err_buf, n, now, res, true, NULL);
	drop(fw, res, why);
}

static bool mac_is_ours(const struct fw_iface *ifc, const uint8_t *dst)
{
	return (dst[0] & 1) || memcmp(dst, ifc->mac, 6) == 0;
}

int fw_input(struct fw *fw, uint32_t ifindex, const uint8_t *frame, uint32_t len, uint64_t now,
	     struct fw_result *res)
{
	struct fw_iface *ifc = fw_iface_get(fw, ifindex);
	struct ct_pkt raw, *q = &raw;
	struct flight f;
	struct fw_verdict v;
	const struct fw_route *r;
	enum ct_parse_result pr;

	result_reset(res);
	res->ctinfo = CT_INFO_INVALID;
	fw->arena_used = 0;
	if (!ifc)
		return -ENODEV;
	fw->stats.in++;
	if (len < 14) {
		drop(fw, res, FW_R_MALFORMED);
		return 0;
	}
	pr = ct_pkt_parse(&raw, frame, len, CT_LINK_ETHERNET);
	if (pr == CT_PARSE_NOT_IP) {
		drop(fw, res, FW_R_NOT_IP);
		return 0;
	}
	if (!mac_is_ours(ifc, frame)) {
		drop(fw, res, FW_R_OTHERHOST);
		return 0;
	}
	if (pr != CT_PARSE_OK) {
		drop(fw, res, FW_R_MALFORMED);
		return 0;
	}
	if (raw.l3num == 10 && ip6_rcv_martian(frame + raw.l3_off)) {
		drop(fw, res, FW_R_MARTIAN);
		return 0;
	}
	if (!fw_is_local_addr(fw, raw.l3num, raw.tuple.src))
		fw_neigh_learn(fw, ifindex, raw.l3num, raw.tuple.src, frame + 6);
	memset(&f, 0, sizeof(f));
	if (raw.is_frag && tracking(fw, raw.l3num)) {
		switch (ct_defrag_feed(fw->defrag, &raw, now, &q)) {
		case CT_DEFRAG_PASS:
			q = &raw;
			break;
		case CT_DEFRAG_HELD:
			res->outcome = FW_HELD;
			fw->stats.held++;
			return 0;
		case CT_DEFRAG_COMPLETE:
			f.reassembled = true;
			break;
		case CT_DEFRAG_DROP:
			drop(fw, res, FW_R_FRAGMENT);
			return 0;
		}
	}
	/* Work on a private copy of the L3 packet: hooks may rewrite it. */
	if (q->l3_len > WORK_SIZE || q->l3_off + q->l3_len > q->len) {
		drop(fw, res, FW_R_MALFORMED);
		return 0;
	}
	memcpy(work_buf, q->data + q->l3_off, q->l3_len);
	f.work = work_buf;
	/*
	 * The copy holds the same L3 packet: rebase the parse instead of
	 * parsing again (offsets become relative to the IP header).
	 */
	f.p = *q;
	f.p.data = work_buf;
	f.p.len = q->l3_len;
	f.p.wire_len = q->l3_len;
	f.p.link = CT_LINK_RAW;
	f.p.l4_off = (uint16_t)(q->l4_off - q->l3_off);
	f.p.frag_hdr_off = q->frag_hdr_off ? (uint16_t)(q->frag_hdr_off - q->l3_off) : 0;
	f.p.l3_off = 0;
	f.p.nvlan = 0;
	f.in_ifindex = ifindex;
	f.meta.iif = ifindex;
	f.meta.iifname = ifc->name;

	/* PREROUTING: raw chains, conntrack, then the rest. */
	if (!run_rules(fw, &f, CT_HOOK_PREROUTING, FW_PRIO_MIN, FW_PRIO_CONNTRACK, now, res, &v)) {
		stop_packet(fw, &f, &v, now, res);
		return 0;
	}
	if (v.notrack)
		ct_pkt_set_notrack(&f.p);
	if (v.zone_set)
		ct_pkt_set_zone(&f.p, v.zone, 3);
	if (!conntrack(fw, &f, CT_HOOK_PREROUTING, now, res))
		return 0;
	note_ct(res, &f.p);
	if (!run_rules(fw, &f, CT_HOOK_PREROUTING, FW_PRIO_CONNTRACK, FW_PRIO_NAT_DST, now, res,
		       &v)) {
		stop_packet(fw, &f, &v, now, res);
		return 0;
	}
	if (!nat_step(fw, &f, CT_HOOK_PREROUTING, now, res))
		return 0;
	if (!run_rules(fw, &f, CT_HOOK_PREROUTING, FW_PRIO_NAT_DST, FW_PRIO_MAX, now, res, &v)) {
		stop_packet(fw, &f, &v, now, res);
		return 0;
	}
	/* Routing decision. */
	switch (route_input(fw, &f, &r)) {
	case RI_LOCAL:
		deliver(fw, &f, true, now, res);
		return 0;
	case RI_LOCAL_GROUP:
		deliver(fw, &f, false, now, res);
		return 0;
	case RI_FORWARD:
		break;
	case RI_MARTIAN:
		unrouted(fw, &f, FW_R_MARTIAN, false, now, res);
		return 0;
	case RI_NOT_JOINED:
		unrouted(fw, &f, FW_R_NO_ROUTE, false, now, res);
		return 0;
	case RI_UNREACHABLE:
		unrouted(fw, &f, FW_R_NO_ROUTE, true, now, res);
		return 0;
	}
	/* ip_forward / ip6_forward: only frames addressed to our MAC. */
	if (frame[0] & 1) {
		unrouted(fw, &f, FW_R_OTHERHOST, false, now, res);
		return 0;
	}
	forward(fw, &f, r, now, res);
	return 0;
}

int fw_local(struct fw *fw, const uint8_t *pkt, uint32_t len, bool eth, uint64_t now,
	     struct fw_result *res)
{
	struct ct_pkt p;
	uint32_t off = 0;

	result_reset(res);
	res->ctinfo = CT_INFO_INVALID;
	fw->arena_used = 0;
	fw->stats.in++;
	if (eth) {
		if (ct_pkt_parse(&p, pkt, len, CT_LINK_ETHERNET) != CT_PARSE_OK) {
			drop(fw, res, FW_R_MALFORMED);
			return 0;
		}
		off = p.l3_off;
		len = p.l3_len;
	} else if (ct_pkt_parse(&p, pkt, len, CT_LINK_RAW) != CT_PARSE_OK) {
		drop(fw, res, FW_R_MALFORMED);
		return 0;
	} else {
		len = p.l3_len;
	}
	output_path(fw, pkt + off, len, now, res, false, NULL);
	if (res->n_emit) {
		res->outcome = FW_SENT;
		res->out_ifindex = res->emit[0].ifindex;
	} else if (res->outcome != FW_DROPPED) {
		drop(fw, res, FW_R_RULE);
	}
	return 0;
}
