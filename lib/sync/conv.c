/* SPDX-License-Identifier: MIT */
/*
 * Table entries to sync messages and back.
 *
 * conntrackd sends only the original tuple; NAT travels as separate
 * attributes (SNAT/DNAT address, SPAT/DPAT port), present when the NAT
 * manipulation is done and changed the address or port, exactly as
 * libnetfilter_conntrack's NFCT_GOPT_IS_SNAT/DNAT/SPAT/DPAT decide.  The
 * receiver rebuilds the reply tuple by inverting the original and applying
 * them, as ctnetlink does with CTA_NAT_SRC/DST on a commit.
 */
#include <errno.h>
#include <string.h>

#include "ct_priv.h"
#include "ctrack/sync.h"

#define AF_INET_  2
#define AF_INET6_ 10

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 33 || proto == 136;
}

static bool is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static void set(struct sync_ct *s, enum sync_attr a)
{
	s->have |= 1ull << a;
}

static void put_nat(struct sync_ct *s, const struct ct_tuple *o, const struct ct_tuple *r,
		    uint32_t status)
{
	size_t alen = o->l3num == AF_INET6_ ? 16 : 4;
	bool v6 = o->l3num == AF_INET6_;

	if (status & CT_S_SRC_NAT_DONE) {
		if (memcmp(r->dst, o->src, alen)) {
			memcpy(s->snat_addr, r->dst, alen);
			set(s, v6 ? SYNC_A_SNAT_IPV6 : SYNC_A_SNAT_IPV4);
		}
		if (has_ports(o->proto) && r->dst_l4 != o->src_l4) {
			s->spat_port = r->dst_l4;
			set(s, SYNC_A_SPAT_PORT);
		}
	}
	if (status & CT_S_DST_NAT_DONE) {
		if (memcmp(r->src, o->dst, alen)) {
			memcpy(s->dnat_addr, r->src, alen);
			set(s, v6 ? SYNC_A_DNAT_IPV6 : SYNC_A_DNAT_IPV4);
		}
		if (has_ports(o->proto) && r->src_l4 != o->dst_l4) {
			s->dpat_port = r->src_l4;
			set(s, SYNC_A_DPAT_PORT);
		}
	}
}

int sync_ct_from_conn(const struct ct_table *t, const struct ct_conn *c, uint64_t now,
		      bool with_timeout, struct sync_ct *s)
{
	struct ct_tuple o, r;
	uint64_t labels[2];
	const char *helper;
	uint64_t left;

	ct_conn_tuple(c, CT_DIR_ORIGINAL, &o);
	ct_conn_tuple(c, CT_DIR_REPLY, &r);
	if (o.l3num != AF_INET_ && o.l3num != AF_INET6_)
		return -EAFNOSUPPORT;
	memset(s, 0, sizeof(*s));
	s->orig.l3num = o.l3num;
	memcpy(s->orig.src, o.src, 16);
	memcpy(s->orig.dst, o.dst, 16);
	s->orig.l4proto = o.proto;
	set(s, o.l3num == AF_INET6_ ? SYNC_A_IPV6 : SYNC_A_IPV4);
	s->status = ct_conn_status(c);
	set(s, SYNC_A_STATUS);
	set(s, SYNC_A_L4PROTO);
	if (has_ports(o.proto)) {
		s->orig.sport = o.src_l4;
		s->orig.dport = o.dst_l4;
		set(s, SYNC_A_PORT);
	}
	if (o.proto == 6) {
		s->tcp_state = ct_conn_proto_state(c);
		set(s, SYNC_A_TCP_STATE);
	} else if (o.proto == 132) {
		s->sctp_state = ct_conn_proto_state(c);
		set(s, SYNC_A_SCTP_STATE);
	} else if (is_icmp(o.proto)) {
		s->icmp_type = (uint8_t)(o.dst_l4 >> 8);
		s->icmp_code = (uint8_t)o.dst_l4;
		s->icmp_id = o.src_l4;
		set(s, SYNC_A_ICMP_TYPE);
		set(s, SYNC_A_ICMP_CODE);
		set(s, SYNC_A_ICMP_ID);
	}
	if (with_timeout) {
		left = ct_conn_timeout_left(c, now) / CT_NSEC_PER_SEC;
		s->timeout = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
		set(s, SYNC_A_TIMEOUT);
	}
	s->mark = ct_conn_mark(c);
	set(s, SYNC_A_MARK);
	put_nat(s, &o, &r, s->status);
	helper = ct_conn_helper_name(t, c);
	if (helper && *helper) {
		strncpy(s->helper, helper, sizeof(s->helper) - 1);
		set(s, SYNC_A_HELPER_NAME);
	}
	if (ct_conn_labels(t, c, labels) && (labels[0] || labels[1])) {
		s->labels[0] = (uint32_t)labels[0];
		s->labels[1] = (uint32_t)(labels[0] >> 32);
		s->labels[2] = (uint32_t)labels[1];
		s->labels[3] = (uint32_t)(labels[1] >> 32);
		s->nlabel_words = 4; /* the kernel's 128 label bits */
		set(s, SYNC_A_LABELS);
	}
	if (o.zone) {
		s->zone = o.zone;
		set(s, SYNC_A_ZONE);
	}
	return 0;
}

int sync_ct_orig_tuple(const struct sync_ct *s, struct ct_tuple *o)
{
	size_t alen;

	if (s->orig.l3num != AF_INET_ && s->orig.l3num != AF_INET6_)
		return -EINVAL;
	alen = s->orig.l3num == AF_INET6_ ? 16 : 4;
	memset(o, 0, sizeof(*o));
	o->l3num = s->orig.l3num;
	o->proto = s->orig.l4proto;
	memcpy(o->src, s->orig.src, alen);
	memcpy(o->dst, s->orig.dst, alen);
	if (has_ports(o->proto)) {
		o->src_l4 = s->orig.sport;
		o->dst_l4 = s->orig.dport;
	} else if (is_icmp(o->proto)) {
		o->src_l4 = s->icmp_id;
		o->dst_l4 = (uint16_t)(s->icmp_type << 8 | s->icmp_code);
	}
	if (sync_ct_has(s, SYNC_A_ZONE))
		o->zone = s->zone;
	return 0;
}

int sync_ct_to_spec(const struct sync_ct *s, uint32_t default_timeout_s, struct ct_conn_spec *spec)
{
	size_t alen = s->orig.l3num == AF_INET6_ ? 16 : 4;
	struct ct_tuple *r = &spec->reply;

	memset(spec, 0, sizeof(*spec));
	if (sync_ct_orig_tuple(s, &spec->orig))
		return -EINVAL;
	if (!ct_l4proto_find(spec->orig.proto)->invert(&spec->orig, r))
		return -EINVAL;
	r->zone = spec->orig.zone;
	if (sync_ct_has(s, SYNC_A_SNAT_IPV4) || sync_ct_has(s, SYNC_A_SNAT_IPV6))
		memcpy(r->dst, s->snat_addr, alen);
	if (sync_ct_has(s, SYNC_A_SPAT_PORT))
		r->dst_l4 = s->spat_port;
	if (sync_ct_has(s, SYNC_A_DNAT_IPV4) || sync_ct_has(s, SYNC_A_DNAT_IPV6))
		memcpy(r->src, s->dnat_addr, alen);
	if (sync_ct_has(s, SYNC_A_DPAT_PORT))
		r->src_l4 = s->dpat_port;
	/*
	 * Status: only what ctnetlink lets a create set (SEEN_REPLY, ASSURED,
	 * FIXED_TIMEOUT; the rest is IPS_UNCHANGEABLE_MASK) plus what its NAT
	 * setup sets: the NAT_DONE bits, and SRC_NAT/DST_NAT when a mapping
	 * changed the tuple.  A peer cannot make us hold a DYING or TEMPLATE
	 * entry.
	 */
	spec->status = s->status & (CT_S_SEEN_REPLY | CT_S_ASSURED | CT_S_FIXED_TIMEOUT |
				    CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE);
	if (sync_ct_has(s, SYNC_A_SNAT_IPV4) || sync_ct_has(s, SYNC_A_SNAT_IPV6) ||
	    sync_ct_has(s, SYNC_A_SPAT_PORT))
		spec->status |= CT_S_SRC_NAT | CT_S_SRC_NAT_DONE;
	if (sync_ct_has(s, SYNC_A_DNAT_IPV4) || sync_ct_has(s, SYNC_A_DNAT_IPV6) ||
	    sync_ct_has(s, SYNC_A_DPAT_PORT))
		spec->status |= CT_S_DST_NAT | CT_S_DST_NAT_DONE;
	spec->timeout_s = sync_ct_has(s, SYNC_A_TIMEOUT) ? s->timeout : default_timeout_s;
	spec->mark = s->mark;
	if (sync_ct_has(s, SYNC_A_TCP_STATE))
		spec->proto_state = s->tcp_state;
	else if (sync_ct_has(s, SYNC_A_SCTP_STATE))
		spec->proto_state = s->sctp_state;
	if (sync_ct_has(s, SYNC_A_LABELS)) {
		spec->labels[0] = (uint64_t)s->labels[1] << 32 | s->labels[0];
		spec->labels[1] = (uint64_t)s->labels[3] << 32 | s->labels[2];
	}
	return 0;
}
