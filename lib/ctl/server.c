/* SPDX-License-Identifier: MIT */
/*
 * The daemon side of the control protocol: a decoded request applied to a
 * connection table, the replies appended to a buffer.  The semantics are
 * those of the kernel's ctnetlink for the same operation, since `ctrack`
 * must behave as `conntrack` does against the kernel:
 * - create needs a timeout (EINVAL without), refuses a taken tuple with
 *   EEXIST when exclusive, and otherwise updates the existing entry;
 * - only SEEN_REPLY, ASSURED and FIXED_TIMEOUT can be set by a client
 *   (the kernel's IPS_UNCHANGEABLE_MASK covers the others; that is why
 *   `-u OFFLOAD` on create is silently ignored), and an update may not
 *   clear SEEN_REPLY or ASSURED (EBUSY);
 * - an update always raises an UPDATE event, even when nothing changed;
 * - SCTP protocol info is all or nothing: a state without both
 *   verification tags, or tags without a state, is EINVAL (nlattr_to_sctp);
 * - NAT given on create (conntrack -I --src-nat/--dst-nat ADDR[:PORT]) is
 *   set up as nf_nat_setup_info does for a single-address range: the reply
 *   tuple takes the new address (and port, for port protocols), the entry
 *   gets SRC_NAT or DST_NAT with its _DONE bit, and the manipulation not
 *   asked for gets a null binding (its _DONE bit alone).  Without either,
 *   no NAT bit is set, as ctnetlink leaves it to the first packet;
 * - the expectation table is lib/expect's: listed, counted, flushed, its
 *   statistics; an expectation is created for an existing master
 *   (ENOENT otherwise; EOPNOTSUPP when the master has no helper, as the
 *   kernel answers conntrack -I expect) and found for GET/DELETE by
 *   matching the given tuple against expected tuples under their masks
 *   (nf_ct_expect_find_get);
 * - the dying and unconfirmed tables are empty here.
 * No I/O; time comes from struct ctl_server.
 */
#include <errno.h>
#include <stdio.h> /* snprintf */
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"
#include "ctrack/ctl.h"
#include "ctrack/expect.h"
#include "ctrack/nft.h"

/* Status bits a client may set (complement of the kernel's unchangeable mask). */
#define CTL_STATUS_CHANGEABLE (CT_S_SEEN_REPLY | CT_S_ASSURED | CT_S_FIXED_TIMEOUT)

/* Formatting flags a request may ask for (the daemon owns the rest). */
#define CTL_FMT_ALLOWED                                                                   \
	(CT_FMT_EXTENDED | CT_FMT_ID | CT_FMT_KTIMESTAMP | CT_FMT_TIMESTAMP | CT_FMT_SAVE | \
	 CT_FMT_XML)

static void fmt_opts(const struct ctl_server *s, const struct ctl_msg *req, struct ct_fmt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->flags = req->fmt & CTL_FMT_ALLOWED;
	o->now = s->now;
	o->wall_now = s->wall_now;
	o->tz_offset_s = req->tz;
}

int ctl_put_conn(struct ctl_buf *b, enum ctl_type type, uint32_t seq, const struct ct_table *t,
		 const struct ct_conn *c, const struct ct_fmt_opts *o, uint32_t portid,
		 const char *progname)
{
	char line[2048], *text = line;
	struct ct_tuple tu;
	uint64_t v[4], left;
	int n, err;

	n = ct_format_conn(t, c, o, line, sizeof(line));
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(line)) {
		text = malloc((size_t)n + 1);
		if (!text)
			return -ENOMEM;
		ct_format_conn(t, c, o, text, (size_t)n + 1);
	}
	ctl_msg_begin(b, type, seq);
	if (type == CTL_REP_EVENT) {
		ctl_put_u32(b, CTL_A_EVENT, o->event);
		if (portid) {
			ctl_put_u32(b, CTL_A_PORTID, portid);
			if (progname && *progname)
				ctl_put_str(b, CTL_A_PROGNAME, progname);
		}
	}
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &tu);
	ctl_put_tuple(b, CTL_A_ORIG, &tu);
	ct_conn_tuple(c, CT_DIR_REPLY, &tu);
	ctl_put_tuple(b, CTL_A_REPLY, &tu);
	ctl_put_u32(b, CTL_A_STATUS, ct_conn_status(c));
	ctl_put_u32(b, CTL_A_MARK, ct_conn_mark(c));
	left = ct_conn_timeout_left(c, o->now) / CT_NSEC_PER_SEC;
	ctl_put_u32(b, CTL_A_TIMEOUT, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
	ctl_put_u32(b, CTL_A_ID, ct_conn_id(c));
	ctl_put_u8(b, CTL_A_PSTATE, ct_conn_proto_state(c));
	if (ct_conn_proto(c) == 132) {
		uint32_t tags[2] = {c->ps.sctp.vtag[CT_DIR_ORIGINAL], c->ps.sctp.vtag[CT_DIR_REPLY]};

		ctl_put_u32s(b, CTL_A_VTAGS, tags, 2);
	}
	if (ct_conn_labels(t, c, v))
		ctl_put_u64s(b, CTL_A_LABELS, v, 2);
	if (ct_conn_counters(t, c, CT_DIR_ORIGINAL, &v[0], &v[1]) &&
	    ct_conn_counters(t, c, CT_DIR_REPLY, &v[2], &v[3]))
		ctl_put_u64s(b, CTL_A_COUNTERS, v, 4);
	if (ct_conn_timestamps(t, c, &v[0], &v[1]))
		ctl_put_u64s(b, CTL_A_TSTAMP, v, 2);
	ctl_put_str(b, CTL_A_TEXT, text);
	err = ctl_msg_end(b);
	if (text != line)
		free(text);
	return err;
}

/* ---- requests ---- */

/* ---- the expectation table ---- */

static bool names_entry(const struct ctl_msg *req);

int ctl_put_expect(struct ctl_buf *b, enum ctl_type type, uint32_t seq, const struct ct_table *t,
		   const struct ct_expect *e, const struct ct_fmt_opts *o)
{
	char line[1024];
	struct ct_expect_info info;
	int n = ct_format_expect(t, e, o, line, sizeof(line));

	if (n < 0)
		return n;
	ct_expect_get(t, e, o->now, &info);
	ctl_msg_begin(b, type, seq);
	if (type == CTL_REP_EVENT)
		ctl_put_u32(b, CTL_A_EVENT, o->event);
	ctl_put_tuple(b, CTL_A_ORIG, &info.master);
	ctl_put_tuple(b, CTL_A_EXP_TUPLE, &info.tuple);
	ctl_put_tuple(b, CTL_A_EXP_MASK, &info.mask);
	ctl_put_u32(b, CTL_A_TIMEOUT, info.timeout_s);
	ctl_put_u32(b, CTL_A_ID, info.id);
	ctl_put_str(b, CTL_A_TEXT, line);
	return ctl_msg_end(b);
}

/* nf_ct_tuple_mask_cmp: the source under the mask, the rest exactly. */
static bool exp_matches(const struct ct_tuple *tu, const struct ct_expect_info *x)
{
	size_t n = tu->l3num == 10 ? 16 : 4;

	if (tu->l3num != x->tuple.l3num || tu->proto != x->tuple.proto ||
	    memcmp(tu->dst, x->tuple.dst, n) || tu->dst_l4 != x->tuple.dst_l4 ||
	    ((tu->src_l4 ^ x->tuple.src_l4) & x->mask.src_l4))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((tu->src[i] ^ x->tuple.src[i]) & x->mask.src[i])
			return false;
	return true;
}

static const struct ct_expect *exp_find(struct ctl_server *s, const struct ct_tuple *tu)
{
	struct ct_expect_iter it;
	const struct ct_expect *e;

	ct_expect_iter_init(&it);
	while ((e = ct_expect_iter_next(s->t, &it, s->now))) {
		struct ct_expect_info x;

		ct_expect_get(s->t, e, s->now, &x);
		if (exp_matches(tu, &x))
			return e;
	}
	return NULL;
}

static int exp_request(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	struct ct_fmt_opts o;
	const struct ct_expect *e;
	struct ct_expect_iter it;
	struct ct_expect_spec spec;
	struct ct_expect_stats st;
	struct ct_conn *master;
	uint64_t n = 0, v[10] = {0};
	int err;

	fmt_opts(s, req, &o);
	o.flags &= CT_FMT_XML;
	switch (req->type) {
	case CTL_REQ_LIST:
		ct_expect_iter_init(&it);
		while ((e = ct_expect_iter_next(s->t, &it, s->now))) {
			err = ctl_put_expect(out, CTL_REP_ENTRY, req->seq, s->t, e, &o);
			if (err)
				return err;
		}
		return 0;
	case CTL_REQ_COUNT:
		ct_expect_iter_init(&it);
		while (ct_expect_iter_next(s->t, &it, s->now))
			n++;
		ctl_msg_begin(out, CTL_REP_DONE, req->seq);
		ctl_put_u64(out, CTL_A_VALUE, n);
		return ctl_msg_end(out) ? -ENOMEM : 1;
	case CTL_REQ_FLUSH:
		ct_expect_flush(s->t, s->now);
		return 0;
	case CTL_REQ_STATS:
		ct_expect_stats(s->t, &st);
		v[0] = st.expect_new;
		v[1] = st.expect_create;
		v[2] = st.expect_delete;
		ctl_msg_begin(out, CTL_REP_STATS, req->seq);
		ctl_put_u64s(out, CTL_A_STATS, v, 10);
		return ctl_msg_end(out);
	case CTL_REQ_GET:
	case CTL_REQ_DELETE:
		if (!names_entry(req) && !ctl_has(req, CTL_A_EXP_TUPLE))
			return -EINVAL;
		e = exp_find(s, ctl_has(req, CTL_A_EXP_TUPLE) ? &req->exp_tuple
				: ctl_has(req, CTL_A_ORIG) ? &req->orig : &req->reply);
		if (!e)
			return -ENOENT;
		if (req->type == CTL_REQ_GET)
			return ctl_put_expect(out, CTL_REP_ENTRY, req->seq, s->t, e, &o);
		ct_expect_delete(s->t, e, s->now);
		return 0;
	case CTL_REQ_CREATE:
		if (!ctl_has(req, CTL_A_ORIG) || !ctl_has(req, CTL_A_EXP_TUPLE) ||
		    !ctl_has(req, CTL_A_EXP_MASK))
			return -EINVAL;
		master = ct_find(s->t, &req->orig, s->now, NULL);
		if (!master)
			return -ENOENT;
		memset(&spec, 0, sizeof(spec));
		spec.tuple = req->exp_tuple;
		memcpy(spec.mask_src, req->exp_mask.src, 16);
		spec.mask_src_l4 = req->exp_mask.src_l4;
		spec.timeout_s = req->timeout;
		return ct_expect_create(s->t, master, &spec, s->now);
	default:
		return -EOPNOTSUPP;
	}
}

static int do_list(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	struct ct_fmt_opts o;
	struct ct_iter it;
	const struct ct_conn *c;
	int err;

	if (req->table != CTL_T_CONNTRACK)
		return 0; /* dying, unconfirmed: none to show */
	fmt_opts(s, req, &o);
	ct_iter_init(&it);
	while ((c = ct_iter_next(s->t, &it, s->now))) {
		err = ctl_put_conn(out, CTL_REP_ENTRY, req->seq, s->t, c, &o, 0, NULL);
		if (err)
			return err;
		/* -z: ctnetlink reports the counters, then zeroes them (CTA_COUNTERS). */
		if ((req->flags & CTL_F_ZERO) && (c->ext & CT_EXT_ACCT)) {
			struct ct_ext_data *e = ct_conn_ext(s->t, c);

			memset(e->packets, 0, sizeof(e->packets));
			memset(e->bytes, 0, sizeof(e->bytes));
		}
	}
	return 0;
}

/* The entry a GET/UPDATE/DELETE names: by original or reply tuple, id optional. */
static struct ct_conn *find_req(struct ctl_server *s, const struct ctl_msg *req)
{
	struct ct_conn *c;

	if (ctl_has(req, CTL_A_ORIG))
		c = ct_find(s->t, &req->orig, s->now, NULL);
	else
		c = ct_find(s->t, &req->reply, s->now, NULL);
	if (c && ctl_has(req, CTL_A_ID) && ct_conn_id(c) != req->id)
		return NULL;
	return c;
}

/* SCTP protoinfo carries the state and both tags together, or nothing. */
static bool sctp_info_ok(const struct ctl_msg *req, uint8_t proto)
{
	if (proto != 132)
		return true;
	return ctl_has(req, CTL_A_PSTATE) == ctl_has(req, CTL_A_VTAGS);
}

static bool names_entry(const struct ctl_msg *req)
{
	return ctl_has(req, CTL_A_ORIG) || ctl_has(req, CTL_A_REPLY);
}

/*
 * Change an existing entry as ctnetlink_change_conntrack does.  All checks
 * come before any change, so a refused update leaves the entry untouched.
 */
static int apply_update(struct ctl_server *s, struct ct_conn *c, const struct ctl_msg *req)
{
	uint32_t st = c->status;

	if (ctl_has(req, CTL_A_STATUS)) {
		uint32_t d = st ^ req->status;

		if (d & (CT_S_EXPECTED | CT_S_CONFIRMED | CT_S_DYING))
			return -EBUSY;
		if ((d & CT_S_SEEN_REPLY) && !(req->status & CT_S_SEEN_REPLY))
			return -EBUSY;
		if ((d & CT_S_ASSURED) && !(req->status & CT_S_ASSURED))
			return -EBUSY;
	}
	if (ctl_has(req, CTL_A_PSTATE) && c->proto == 6 && req->pstate >= CT_TCP_MAX)
		return -EINVAL;
	if (ctl_has(req, CTL_A_PSTATE) && c->proto == 132 && req->pstate >= CT_SCTP_MAX)
		return -EINVAL;
	if (!sctp_info_ok(req, c->proto))
		return -EINVAL;

	if (ctl_has(req, CTL_A_STATUS))
		c->status = (uint16_t)((st & ~CTL_STATUS_CHANGEABLE) |
				       (req->status & CTL_STATUS_CHANGEABLE));
	if (ctl_has(req, CTL_A_TIMEOUT))
		c->expires = s->now + (uint64_t)req->timeout * CT_SEC;
	if (ctl_has(req, CTL_A_MARK))
		c->mark = req->mark;
	if (ctl_has(req, CTL_A_PSTATE)) {
		if (c->proto == 6)
			c->ps.tcp.state = req->pstate;
		else if (c->proto == 132)
			c->ps.sctp.state = req->pstate;
	}
	if (c->proto == 132 && ctl_has(req, CTL_A_VTAGS)) {
		c->ps.sctp.vtag[CT_DIR_ORIGINAL] = req->vtags[0];
		c->ps.sctp.vtag[CT_DIR_REPLY] = req->vtags[1];
	}
	if (ctl_has(req, CTL_A_LABELS))
		ct_conn_set_labels(s->t, c, req->labels);
	/* ctnetlink reports every update as an UPDATE event carrying all of it. */
	c->ev_pending = 0;
	if (s->t->event_fn && s->t->set.events)
		s->t->event_fn(s->t->event_arg, CT_EVENT_UPDATE, c, s->now);
	return 0;
}

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 33 || proto == 136;
}

/* The reply tuple and status bits of a created entry with NAT (see the top). */
static int nat_setup(const struct ctl_msg *req, struct ct_conn_spec *spec)
{
	size_t alen = spec->orig.l3num == 10 ? 16 : 4;
	bool sn = ctl_has(req, CTL_A_SNAT), dn = ctl_has(req, CTL_A_DNAT);

	if (!ctl_has(req, CTL_A_ORIG) || ctl_has(req, CTL_A_REPLY))
		return -EINVAL;
	if (dn) {
		memset(spec->reply.src, 0, 16);
		memcpy(spec->reply.src, req->dnat.addr, alen);
		if (req->dnat.port_set && has_ports(spec->orig.proto))
			spec->reply.src_l4 = req->dnat.port;
		spec->status |= CT_S_DST_NAT;
	}
	if (sn) {
		memset(spec->reply.dst, 0, 16);
		memcpy(spec->reply.dst, req->snat.addr, alen);
		if (req->snat.port_set && has_ports(spec->orig.proto))
			spec->reply.dst_l4 = req->snat.port;
		spec->status |= CT_S_SRC_NAT;
	}
	spec->status |= CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE;
	return 0;
}

static int do_create(struct ctl_server *s, const struct ctl_msg *req)
{
	struct ct_conn_spec spec;
	struct ct_conn *c;
	int err;

	if (!ctl_has(req, CTL_A_ORIG) && !ctl_has(req, CTL_A_REPLY))
		return -EINVAL;
	c = find_req(s, req);
	if (c) {
		if (req->flags & CTL_F_EXCL)
			return -EEXIST;
		return apply_update(s, c, req);
	}
	if (!ctl_has(req, CTL_A_TIMEOUT))
		return -EINVAL;
	/* ctnetlink_change_status on a fresh entry: these bits differ from 0. */
	if (req->status & (CT_S_EXPECTED | CT_S_CONFIRMED | CT_S_DYING))
		return -EBUSY;
	memset(&spec, 0, sizeof(spec));
	/*
	 * A missing direction is the inverse of the given one; its zone comes
	 * separately (conntrack -w sets both, --orig-zone / --reply-zone one).
	 */
	if (ctl_has(req, CTL_A_ORIG) && ctl_has(req, CTL_A_REPLY)) {
		spec.orig = req->orig;
		spec.reply = req->reply;
	} else if (ctl_has(req, CTL_A_ORIG)) {
		spec.orig = req->orig;
		if (!ct_l4proto_find(req->orig.proto)->invert(&req->orig, &spec.reply))
			return -EINVAL;
		spec.reply.zone = (uint16_t)req->peer_zone;
	} else {
		spec.reply = req->reply;
		if (!ct_l4proto_find(req->reply.proto)->invert(&req->reply, &spec.orig))
			return -EINVAL;
		spec.orig.zone = (uint16_t)req->peer_zone;
	}
	if (spec.reply.l3num && spec.reply.l3num != spec.orig.l3num)
		return -EINVAL;
	spec.status = req->status & CTL_STATUS_CHANGEABLE;
	spec.timeout_s = req->timeout;
	spec.mark = req->mark;
	if (ctl_has(req, CTL_A_PSTATE)) {
		if ((spec.orig.proto == 6 && req->pstate >= CT_TCP_MAX) ||
		    (spec.orig.proto == 132 && req->pstate >= CT_SCTP_MAX))
			return -EINVAL;
		spec.proto_state = req->pstate;
	}
	if (!sctp_info_ok(req, spec.orig.proto))
		return -EINVAL;
	if (ctl_has(req, CTL_A_SNAT) || ctl_has(req, CTL_A_DNAT)) {
		int e = nat_setup(req, &spec);

		if (e)
			return e;
	}
	if (spec.orig.proto == 132 && ctl_has(req, CTL_A_VTAGS)) {
		spec.sctp_vtag[CT_DIR_ORIGINAL] = req->vtags[0];
		spec.sctp_vtag[CT_DIR_REPLY] = req->vtags[1];
	}
	spec.labels[0] = req->labels[0];
	spec.labels[1] = req->labels[1];
	err = ct_conn_insert(s->t, &spec, s->now, &c);
	return err == -ENOSPC ? -ENOMEM : err;
}

static int do_update(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	struct ct_fmt_opts o;
	struct ct_conn *c;
	int err;

	if (!names_entry(req))
		return -EINVAL;
	c = find_req(s, req);
	if (!c)
		return -ENOENT;
	err = apply_update(s, c, req);
	if (err)
		return err;
	fmt_opts(s, req, &o);
	return ctl_put_conn(out, CTL_REP_ENTRY, req->seq, s->t, c, &o, 0, NULL);
}

static int do_get(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	struct ct_fmt_opts o;
	struct ct_conn *c;

	if (req->table != CTL_T_CONNTRACK)
		return -ENOENT;
	if (!names_entry(req))
		return -EINVAL;
	c = find_req(s, req);
	if (!c)
		return -ENOENT;
	fmt_opts(s, req, &o);
	return ctl_put_conn(out, CTL_REP_ENTRY, req->seq, s->t, c, &o, 0, NULL);
}

static int do_delete(struct ctl_server *s, const struct ctl_msg *req)
{
	struct ct_conn *c;

	if (req->table != CTL_T_CONNTRACK)
		return -ENOENT;
	if (!names_entry(req))
		return -EINVAL;
	c = find_req(s, req);
	if (!c)
		return -ENOENT;
	ct_conn_delete(s->t, c, s->now);
	return 0;
}

static int do_stats(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	struct ct_stats st;
	uint64_t v[10];

	memset(&st, 0, sizeof(st));
	if (req->table == CTL_T_CONNTRACK)
		ct_table_stats(s->t, &st);
	v[0] = st.found;
	v[1] = st.invalid;
	v[2] = st.insert;
	v[3] = st.insert_failed;
	v[4] = st.drop;
	v[5] = st.early_drop;
	v[6] = st.error;
	v[7] = st.search_restart;
	v[8] = st.clash_resolve;
	v[9] = st.chaintoolong;
	ctl_msg_begin(out, CTL_REP_STATS, req->seq);
	ctl_put_u64s(out, CTL_A_STATS, v, 10);
	return ctl_msg_end(out);
}

static int done_value(struct ctl_buf *out, uint32_t seq, uint64_t v)
{
	ctl_msg_begin(out, CTL_REP_DONE, seq);
	ctl_put_u64(out, CTL_A_VALUE, v);
	return ctl_msg_end(out);
}

/* The sysctl's short name: "net.netfilter.X", "net/netfilter/X" and "X" are one key. */
static const char *short_name(const char *name)
{
	static const char *const prefixes[] = {"net.netfilter.", "net/netfilter/"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return name + strlen(prefixes[i]);
	return name;
}

/*
 * nf_conntrack_max is writable, as in the kernel's initial namespace, but
 * only up to the size of the table's preallocated pool (ctrackd -m): the
 * table cannot grow.  Lowering it below the current count kills nothing:
 * new entries then go through early drop, as in the kernel.  0, the
 * kernel's "no limit", is refused for the same reason.
 */
static int set_max(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	uint32_t cap = s->t->pool[0].cap;
	const char *v = req->text;
	unsigned long long x;
	char *end;
	char why[200];

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || *end || x > 0x7fffffffull)
		return -EINVAL;
	if (x == 0 || x > cap) {
		snprintf(why, sizeof(why),
			 "ctrackd's table is preallocated for %u entries (ctrackd -m): "
			 "nf_conntrack_max can be set from 1 to %u; %s",
			 cap, cap,
			 x ? "restart ctrackd with a larger -m to raise it"
			   : "0 (no limit) is not supported");
		return ctl_put_error(out, req->seq, ENOSPC, why) ? -ENOMEM : 0;
	}
	s->t->set.max = (uint32_t)x;
	return ctl_put_done(out, req->seq);
}

static int do_setting(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	long long v;
	int err;

	if (!ctl_has(req, CTL_A_NAME))
		return -EINVAL;
	/* nf_conntrack_count: the table's size, read-only as in the kernel */
	if (!strcmp(short_name(req->name), "nf_conntrack_count")) {
		if (req->type == CTL_REQ_SETTING_SET)
			return -EPERM;
		return done_value(out, req->seq, ct_table_count(s->t));
	}
	if (req->type == CTL_REQ_SETTING_SET) {
		if (!ctl_has(req, CTL_A_TEXT))
			return -EINVAL;
		if (!strcmp(short_name(req->name), "nf_conntrack_max"))
			return set_max(s, req, out);
		err = ct_setting_set(s->t, req->name, req->text);
		return err ? err : ctl_put_done(out, req->seq);
	}
	err = ct_setting_get(s->t, req->name, &v);
	return err ? err : done_value(out, req->seq, (uint64_t)v);
}

static int do_ruleset(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	char *text = NULL;
	int err;

	if (!s->rs)
		return -EOPNOTSUPP;
	if (req->type == CTL_REQ_RULESET_LIST) {
		unsigned flags = req->flags & NFT_LIST_FLAGS_ALL; /* -s -p -a -j -n -y -t -T */

		/* TEXT: an nft list command; without it, `list ruleset` */
		if (ctl_has(req, CTL_A_TEXT)) {
			char *msg = NULL;

			err = nft_ruleset_list_cmd(s->rs, req->text, flags, &text, &msg);
			if (err) {
				/* nft's message travels with the error, as for apply */
				int e = ctl_put_error(out, req->seq, err, msg);

				free(msg);
				return e;
			}
		} else {
			err = nft_ruleset_list(s->rs, flags, &text);
		}
		if (err)
			return err;
		ctl_msg_begin(out, CTL_REP_DONE, req->seq);
		ctl_put_str(out, CTL_A_TEXT, text ? text : "");
		free(text);
		return ctl_msg_end(out);
	}
	if (!ctl_has(req, CTL_A_TEXT))
		return -EINVAL;
	err = nft_ruleset_apply(s->rs, ctl_has(req, CTL_A_NAME) ? req->name : "/dev/stdin",
				req->text, req->text_len, req->flags & CTL_F_CHECK, &text);
	if (err) {
		/* The nft-style diagnostics travel with the error; the old ruleset stays. */
		int e = ctl_put_error(out, req->seq, err, text);

		free(text);
		return e;
	}
	free(text);
	return ctl_put_done(out, req->seq);
}

/* Returns 0 when the replies (DONE included) are in `out`, or -errno for ERROR. */
static int dispatch(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	int err;

	if (req->table == CTL_T_EXPECT && req->type <= CTL_REQ_STATS) {
		err = exp_request(s, req, out);
		if (err == 1)
			return 0; /* the reply is complete (COUNT) */
		return err ? err : ctl_put_done(out, req->seq);
	}
	switch (req->type) {
	case CTL_REQ_LIST:
		err = do_list(s, req, out);
		break;
	case CTL_REQ_GET:
		err = do_get(s, req, out);
		break;
	case CTL_REQ_CREATE:
		err = do_create(s, req);
		break;
	case CTL_REQ_UPDATE:
		err = do_update(s, req, out);
		break;
	case CTL_REQ_DELETE:
		err = do_delete(s, req);
		break;
	case CTL_REQ_FLUSH:
		if (req->table == CTL_T_CONNTRACK)
			ct_table_flush(s->t, s->now);
		err = 0;
		break;
	case CTL_REQ_COUNT:
		return done_value(out, req->seq,
				  req->table == CTL_T_CONNTRACK ? ct_table_count(s->t) : 0);
	case CTL_REQ_STATS:
		err = do_stats(s, req, out);
		break;
	case CTL_REQ_SETTING_GET:
	case CTL_REQ_SETTING_SET:
		return do_setting(s, req, out);
	case CTL_REQ_RULESET_APPLY:
	case CTL_REQ_RULESET_LIST:
		return do_ruleset(s, req, out);
	default:
		return -EOPNOTSUPP; /* replies, SUBSCRIBE (the daemon's) */
	}
	return err ? err : ctl_put_done(out, req->seq);
}

int ctl_handle(struct ctl_server *s, const struct ctl_msg *req, struct ctl_buf *out)
{
	size_t mark = out->len;
	int err = dispatch(s, req, out);

	if (err == 0)
		return 0;
	/* ENTRY messages already appended belong to a failed request: drop them. */
	out->len = mark;
	out->failed = false;
	return ctl_put_error(out, req->seq, err, NULL);
}
