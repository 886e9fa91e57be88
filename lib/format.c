/* SPDX-License-Identifier: MIT */
/*
 * The text conntrack-tools 1.4.7 (with libnetfilter_conntrack 1.0.9) prints
 * for an entry or an event: the default line, -o xml and -o save
 * (spec: conntrack-cli.md §2, conntrack-semantics.md §7.6, §8).
 *
 * conntrack never sees the kernel's entry, only the netlink attributes
 * ctnetlink chose to send, and every optional field of the text is "print
 * it if the attribute came".  So formatting is done in two steps:
 *   1. fmt_view_build() decides, from the entry and from what kind of
 *      message this is (listing, NEW/UPDATE/DESTROY event, raised by a
 *      packet or by the control plane), which attributes ctnetlink would
 *      have sent (kernel ctnetlink_fill_info / ctnetlink_conntrack_event);
 *   2. one renderer per format prints the attributes present.
 *
 * Facts the renderers reproduce (all checked against the real tools):
 * - IPv4 addresses as inet_ntoa, IPv6 as glibc inet_ntop (compressed,
 *   dotted-quad tail for ::a.b.c.d and ::ffff:a.b.c.d).
 * - Only one of [HW_OFFLOAD] [OFFLOAD] [ASSURED], in that priority.
 * - "labels=" with no named bit set loses its '=' ("labels").
 * - XML prints the SCTP state through the TCP state-name table.
 * - -o save names -g/-n instead of -r/-q when SRC/DST_NAT_DONE is set and
 *   the address really differs, never prints the mark, and prints only the
 *   EXPECTED, SEEN_REPLY, ASSURED and FIXED_TIMEOUT status bits.
 * No I/O and no clock: times come from struct ct_fmt_opts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ct_priv.h"
#include "ctrack/format.h"

/* ---- output buffer, snprintf-style ---- */

struct fbuf {
	char *buf;
	size_t len; /* capacity including the NUL */
	size_t pos; /* length the full text needs so far */
};

__attribute__((format(printf, 2, 3))) static void fb_printf(struct fbuf *b, const char *fmt, ...)
{
	char *dst = NULL;
	size_t room = 0;
	va_list ap;
	int n;

	if (b->pos < b->len) {
		dst = b->buf + b->pos;
		room = b->len - b->pos;
	}
	va_start(ap, fmt);
	n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->pos += (size_t)n;
}

static void fb_puts(struct fbuf *b, const char *s)
{
	fb_printf(b, "%s", s);
}

/*
 * Remove the last character: the blank every "field " printer leaves at the
 * end (libnfct's final size--), the ',' after a list, or the "labels=" '='.
 * Works blind when the text was truncated: callers only unput what they know
 * they wrote.
 */
static void fb_unput(struct fbuf *b)
{
	if (b->pos == 0)
		return;
	b->pos--;
	if (b->pos < b->len)
		b->buf[b->pos] = '\0';
}

/* ---- addresses ---- */

static int fmt_ipv4(const uint8_t a[4], char *buf, size_t buflen)
{
	return snprintf(buf, buflen, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/*
 * glibc inet_ntop(AF_INET6): the longest run of two or more zero groups
 * (the first one on a tie) becomes "::"; groups in lower-case hex without
 * leading zeros; when the run starts the address and covers 6 groups, or 5
 * groups followed by ffff, the last 32 bits are written as a dotted quad.
 */
static int fmt_ipv6(const uint8_t a[16], char *out, size_t outlen)
{
	char tmp[48];
	struct fbuf b = {tmp, sizeof(tmp), 0};
	uint16_t w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				cur_len = 0;
			}
			cur_len++;
			if (cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;

	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				fb_puts(&b, ":");
			continue;
		}
		if (i != 0)
			fb_puts(&b, ":");
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			fb_printf(&b, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
			break;
		}
		fb_printf(&b, "%x", w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		fb_puts(&b, ":");
	return snprintf(out, outlen, "%s", tmp);
}

int ct_format_addr(uint8_t l3num, const uint8_t addr[16], char *buf, size_t buflen)
{
	if (l3num == 2)
		return fmt_ipv4(addr, buf, buflen);
	if (l3num == 10)
		return fmt_ipv6(addr, buf, buflen);
	return -EAFNOSUPPORT;
}

/* ---- names, as libnetfilter_conntrack / conntrack-tools spell them ---- */

static const char *const tcp_names[10] = {
    "NONE",	  "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",	  "SYN_SENT2",
};

static const char *const sctp_names[10] = {
    "NONE",	     "CLOSED",	      "COOKIE_WAIT",	   "COOKIE_ECHOED",  "ESTABLISHED",
    "SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED",
};

/* Out-of-table states print as NONE (libnfct's bound check). */
static const char *tcp_name(uint8_t s)
{
	return s < 10 ? tcp_names[s] : tcp_names[0];
}

static const char *sctp_name(uint8_t s)
{
	return s < 10 ? sctp_names[s] : sctp_names[0];
}

static const char *l3_name(uint8_t l3)
{
	if (l3 == 2)
		return "ipv4";
	if (l3 == 10)
		return "ipv6";
	return "unknown";
}

/* Protocols whose tuple is printed as sport=/dport=. */
static bool l4_has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 136 || p == 132 || p == 33;
}

/* ---- step 1: which attributes the message carries ---- */

enum zone_kind {
	ZONE_NONE,
	ZONE_BOTH,  /* CTA_ZONE: zone=N */
	ZONE_ORIG,  /* CTA_TUPLE_ZONE in the original tuple: zone-orig=N */
	ZONE_REPLY, /* ... in the reply tuple: zone-reply=N */
	ZONE_SPLIT, /* both tuples zoned differently (not producible by the kernel) */
};

struct fmt_view {
	struct ct_tuple tu[2];
	uint32_t status;
	uint32_t mark;
	uint32_t id;
	uint32_t timeout;
	uint8_t l3, proto, pstate;
	enum zone_kind zone;
	bool has_timeout, has_state, has_mark, has_use, has_acct, has_tstamp, has_stop, has_labels,
	    has_vtags;
	uint64_t packets[2], bytes[2];
	uint64_t start, stop;
	uint64_t labels[2];
	uint32_t vtag[2];
	uint32_t use;
	const char *helper;
};

/*
 * The kernel's use count as a dump sees it: the table's own reference plus
 * one per connection created from one of this entry's expectations (each
 * child holds its master; the expectation itself holds none, checked with
 * an FTP PASV data connection: use=2 on the control entry).  Only an entry
 * with a helper can be a master, so only those pay for the scan; a child is
 * EXPECTED and names its master in its extension data, which is zeroed when
 * the entry gets its first extension.
 */
static uint32_t conn_use(const struct ct_table *t, const struct ct_conn *c)
{
	uint32_t use = 1;

	if (!(c->ext & CT_EXT_HELPER))
		return use;
	for (int v6 = 0; v6 < 2; v6++) {
		const struct ct_pool *pl = &t->pool[v6];

		for (uint32_t i = 0; i < pl->used_hi; i++) {
			const struct ct_conn *k =
			    (const struct ct_conn *)(pl->mem + (size_t)i * pl->size);

			if (k->in_use && k->ext && (k->status & CT_S_EXPECTED) && k != c &&
			    pl->ext[i].master == c->self)
				use++;
		}
	}
	return use;
}

static bool proto_has_state(uint8_t proto)
{
	return proto == 6 || proto == 132;
}

/*
 * Which attributes ctnetlink puts in the message (kernel 6.18):
 * - dumps (listings): everything: timeout, protoinfo, counters and
 *   timestamps when the extension exists, mark, use, labels when nonzero,
 *   helper;
 * - DESTROY events: timeout unless it is 0, protoinfo (state only),
 *   counters, timestamps (stop only when set), mark only when nonzero;
 *   never use, helper or labels;
 * - NEW/UPDATE events: timeout; protoinfo, mark and labels when the event
 *   carries IPCT_PROTOINFO / IPCT_MARK / IPCT_LABEL (mark also when
 *   nonzero); helper when the entry has one; never counters, timestamps or
 *   use.  Events the control plane raises (ctnetlink create/update) always
 *   carry PROTOINFO, MARK and LABEL; a NEW raised by a packet always
 *   carries PROTOINFO (the tracker left state NONE).
 */
static void fmt_view_build(const struct ct_table *t, const struct ct_conn *c,
			   const struct ct_fmt_opts *o, struct fmt_view *v)
{
	bool listing = o->event == 0;
	bool destroy = o->event == CT_EVENT_DESTROY;
	bool kernel = !listing && (o->flags & CT_FMT_EVENT_KERNEL);
	unsigned pend = c->ev_pending;
	uint64_t left;

	memset(v, 0, sizeof(*v));
	ct_conn_tuple(c, CT_DIR_ORIGINAL, &v->tu[0]);
	ct_conn_tuple(c, CT_DIR_REPLY, &v->tu[1]);
	v->status = ct_conn_status(c);
	v->mark = ct_conn_mark(c);
	v->id = ct_conn_id(c);
	v->l3 = ct_conn_l3num(c);
	v->proto = ct_conn_proto(c);
	v->pstate = ct_conn_proto_state(c);
	v->helper = ct_conn_helper_name(t, c);

	left = ct_conn_timeout_left(c, o->now) / CT_NSEC_PER_SEC;
	v->timeout = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	v->has_timeout = !destroy || v->timeout != 0;

	/*
	 * An UPDATE always carries at least one event bit; none left means the
	 * table cleared them before calling us, so assume the common case, a
	 * state change.
	 */
	if (kernel && o->event == CT_EVENT_UPDATE && pend == 0)
		pend = CT_EV_PROTOINFO;

	if (proto_has_state(v->proto)) {
		if (listing || destroy || !kernel)
			v->has_state = true;
		else if (o->event == CT_EVENT_NEW || (pend & CT_EV_PROTOINFO))
			v->has_state = true;
	}
	/* SCTP verification tags travel with the protoinfo, except on DESTROY. */
	if (v->proto == 132 && v->has_state && !destroy) {
		v->has_vtags = true;
		v->vtag[0] = c->ps.sctp.vtag[0];
		v->vtag[1] = c->ps.sctp.vtag[1];
	}

	if (listing || (!destroy && !kernel))
		v->has_mark = true;
	else
		v->has_mark = v->mark != 0 || (!destroy && (pend & CT_EV_MARK));
	v->has_use = listing;
	if (listing)
		v->use = conn_use(t, c);

	if (listing || destroy) {
		v->has_acct =
		    ct_conn_counters(t, c, CT_DIR_ORIGINAL, &v->packets[0], &v->bytes[0]) &&
		    ct_conn_counters(t, c, CT_DIR_REPLY, &v->packets[1], &v->bytes[1]);
		v->has_tstamp = ct_conn_timestamps(t, c, &v->start, &v->stop);
		v->has_stop = v->has_tstamp && v->stop != 0;
	}

	/* A packet-raised NEW only has labels if a rule set them (IPCT_LABEL). */
	if (listing ||
	    (!destroy && (!kernel || o->event == CT_EVENT_NEW || (pend & CT_EV_LABEL)))) {
		ct_conn_labels(t, c, v->labels);
		v->has_labels = (v->labels[0] | v->labels[1]) != 0;
	}
	if (destroy)
		v->helper = NULL;

	/* The kernel's zone is one id plus a direction mask. */
	if (v->tu[0].zone == v->tu[1].zone)
		v->zone = v->tu[0].zone ? ZONE_BOTH : ZONE_NONE;
	else if (v->tu[1].zone == 0)
		v->zone = ZONE_ORIG;
	else if (v->tu[0].zone == 0)
		v->zone = ZONE_REPLY;
	else
		v->zone = ZONE_SPLIT;
}

static bool zone_orig(const struct fmt_view *v)
{
	return v->zone == ZONE_ORIG || v->zone == ZONE_SPLIT;
}

static bool zone_reply(const struct fmt_view *v)
{
	return v->zone == ZONE_REPLY || v->zone == ZONE_SPLIT;
}

/* ---- dates: ctime() text without the C library's time zone state ---- */

struct civil {
	int64_t year;
	unsigned mon, mday, hour, min, sec, wday; /* mon 1..12, wday 0 = Sunday */
};

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
static void civil_from_secs(int64_t secs, struct civil *cv)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	int64_t era, doe, yoe, doy, mp;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	cv->hour = (unsigned)(rem / 3600);
	cv->min = (unsigned)(rem % 3600 / 60);
	cv->sec = (unsigned)(rem % 60);
	cv->wday = (unsigned)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	cv->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	cv->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	cv->year = yoe + era * 400 + (cv->mon <= 2);
}

static void local_civil(uint64_t wall_ns, int tz_offset_s, struct civil *cv)
{
	civil_from_secs((int64_t)(wall_ns / CT_NSEC_PER_SEC) + tz_offset_s, cv);
}

/* ctime() minus its newline: "Sun Nov 22 07:54:30 2026" (day is %3d). */
static void fb_ctime(struct fbuf *b, uint64_t wall_ns, int tz_offset_s)
{
	static const char wd[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char mn[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct civil cv;

	local_civil(wall_ns, tz_offset_s, &cv);
	fb_printf(b, "%s %s%3u %.2u:%.2u:%.2u %lld", wd[cv.wday], mn[cv.mon - 1], cv.mday, cv.hour,
		  cv.min, cv.sec, (long long)cv.year);
}

/*
 * delta-time: whole seconds of stop (or now) minus whole seconds of start.
 * The XML <deltatime> of a stopped entry is instead the nanosecond
 * difference cut to seconds, so the two can differ by one.
 */
static unsigned long long delta_time(const struct fmt_view *v, const struct ct_fmt_opts *o,
				     bool xml)
{
	int64_t stop = (int64_t)((v->has_stop ? v->stop : o->wall_now) / CT_NSEC_PER_SEC);
	int64_t start = (int64_t)(v->start / CT_NSEC_PER_SEC);

	if (xml && v->has_stop)
		return (unsigned long long)(int64_t)((v->stop - v->start) / CT_NSEC_PER_SEC);
	return (unsigned long long)(stop - start);
}

/* ---- the default format ---- */

static void fb_addr(struct fbuf *b, uint8_t l3, const uint8_t a[16])
{
	char tmp[48];

	if (ct_format_addr(l3, a, tmp, sizeof(tmp)) > 0)
		fb_puts(b, tmp);
}

static void fb_tuple_default(struct fbuf *b, const struct fmt_view *v, const struct ct_tuple *tu)
{
	if (v->l3 == 2 || v->l3 == 10) {
		fb_puts(b, "src=");
		fb_addr(b, v->l3, tu->src);
		fb_puts(b, " dst=");
		fb_addr(b, v->l3, tu->dst);
		fb_puts(b, " ");
	}
	if (l4_has_ports(v->proto))
		fb_printf(b, "sport=%u dport=%u ", tu->src_l4, tu->dst_l4);
	else if (v->proto == 47)
		fb_printf(b, "srckey=0x%x dstkey=0x%x ", tu->src_l4, tu->dst_l4);
	else if (v->proto == 1 || v->proto == 58)
		fb_printf(b, "type=%d code=%d id=%d ", tu->dst_l4 >> 8, tu->dst_l4 & 0xff,
			  tu->src_l4);
}

static void fb_labels_default(struct fbuf *b, const struct fmt_view *v,
			      const struct ct_labelmap *map)
{
	fb_puts(b, "labels=");
	for (unsigned i = 0; i < 128; i++) {
		const char *name = map->names[i];

		if (!(v->labels[i / 64] >> (i % 64) & 1))
			continue;
		if (name == NULL || name[0] == '\0')
			continue;
		fb_printf(b, "%s,", name);
	}
	/* libnfct drops the last character: the ',' or, with no name, the '='. */
	fb_unput(b);
	fb_puts(b, " ");
}

static void fmt_default(struct fbuf *b, const struct fmt_view *v, const struct ct_fmt_opts *o)
{
	switch (o->event) {
	case CT_EVENT_NEW:
		fb_printf(b, "%9s ", "[NEW]");
		break;
	case CT_EVENT_UPDATE:
		fb_printf(b, "%9s ", "[UPDATE]");
		break;
	case CT_EVENT_DESTROY:
		fb_printf(b, "%9s ", "[DESTROY]");
		break;
	default:
		break;
	}
	if (o->flags & CT_FMT_EXTENDED)
		fb_printf(b, "%-8s %u ", l3_name(v->l3), v->l3);
	fb_printf(b, "%-8s %u ", ct_proto_name(v->proto), v->proto);
	if (v->has_timeout)
		fb_printf(b, "%u ", v->timeout);
	if (v->has_state)
		fb_printf(b, "%s ", v->proto == 6 ? tcp_name(v->pstate) : sctp_name(v->pstate));

	fb_tuple_default(b, v, &v->tu[0]);
	if (zone_orig(v))
		fb_printf(b, "zone-orig=%u ", v->tu[0].zone);
	if (v->has_acct)
		fb_printf(b, "packets=%llu bytes=%llu ", (unsigned long long)v->packets[0],
			  (unsigned long long)v->bytes[0]);
	if (!(v->status & CT_S_SEEN_REPLY))
		fb_puts(b, "[UNREPLIED] ");

	fb_tuple_default(b, v, &v->tu[1]);
	if (zone_reply(v))
		fb_printf(b, "zone-reply=%u ", v->tu[1].zone);
	if (v->has_acct)
		fb_printf(b, "packets=%llu bytes=%llu ", (unsigned long long)v->packets[1],
			  (unsigned long long)v->bytes[1]);

	if (v->status & CT_S_HW_OFFLOAD)
		fb_puts(b, "[HW_OFFLOAD] ");
	else if (v->status & CT_S_OFFLOAD)
		fb_puts(b, "[OFFLOAD] ");
	else if (v->status & CT_S_ASSURED)
		fb_puts(b, "[ASSURED] ");

	if (v->has_mark)
		fb_printf(b, "mark=%u ", v->mark);
	if (v->zone == ZONE_BOTH)
		fb_printf(b, "zone=%u ", v->tu[0].zone);
	if (v->has_tstamp) {
		fb_printf(b, "delta-time=%llu ", delta_time(v, o, false));
		if (o->flags & CT_FMT_KTIMESTAMP) {
			fb_puts(b, "[start=");
			fb_ctime(b, v->start, o->tz_offset_s);
			fb_puts(b, "] ");
			if (v->has_stop) {
				fb_puts(b, "[stop=");
				fb_ctime(b, v->stop, o->tz_offset_s);
				fb_puts(b, "] ");
			}
		}
	}
	if (v->helper)
		fb_printf(b, "helper=%s ", v->helper);
	if (v->has_use)
		fb_printf(b, "use=%u ", v->use);
	if (o->flags & CT_FMT_ID)
		fb_printf(b, "id=%u ", v->id);
	if (o->labels && v->has_labels)
		fb_labels_default(b, v, o->labels);
	fb_unput(b); /* trailing blank */
}

/* ---- -o xml ---- */

static void fb_tuple_xml(struct fbuf *b, const struct fmt_view *v, int dir)
{
	const struct ct_tuple *tu = &v->tu[dir];

	fb_printf(b, "<meta direction=\"%s\">", dir == 0 ? "original" : "reply");
	fb_printf(b, "<layer3 protonum=\"%d\" protoname=\"%s\">", v->l3, l3_name(v->l3));
	if (v->l3 == 2 || v->l3 == 10) {
		fb_puts(b, "<src>");
		fb_addr(b, v->l3, tu->src);
		fb_puts(b, "</src><dst>");
		fb_addr(b, v->l3, tu->dst);
		fb_puts(b, "</dst>");
	}
	fb_puts(b, "</layer3>");
	fb_printf(b, "<layer4 protonum=\"%d\" protoname=\"%s\">", v->proto, ct_proto_name(v->proto));
	if (l4_has_ports(v->proto))
		fb_printf(b, "<sport>%u</sport><dport>%u</dport>", tu->src_l4, tu->dst_l4);
	else if (v->proto == 47)
		fb_printf(b, "<srckey>0x%x</srckey><dstkey>0x%x</dstkey>", tu->src_l4, tu->dst_l4);
	fb_puts(b, "</layer4>");
	if ((dir == 0 && zone_orig(v)) || (dir == 1 && zone_reply(v)))
		fb_printf(b, "<zone>%u</zone>", tu->zone);
	if (v->has_acct)
		fb_printf(b, "<counters><packets>%llu</packets><bytes>%llu</bytes></counters>",
			  (unsigned long long)v->packets[dir], (unsigned long long)v->bytes[dir]);
	fb_puts(b, "</meta>");
}

/* <when>: the event's local time, as struct tm fields (wday 1 = Sunday). */
static void fb_when_xml(struct fbuf *b, const struct ct_fmt_opts *o)
{
	struct civil cv;

	local_civil(o->event_wall, o->tz_offset_s, &cv);
	fb_printf(b,
		  "<when><hour>%u</hour><min>%02u</min><sec>%02u</sec><wday>%u</wday>"
		  "<day>%u</day><month>%u</month><year>%lld</year></when>",
		  cv.hour, cv.min, cv.sec, cv.wday + 1, cv.mday, cv.mon, (long long)cv.year);
}

static void fmt_xml(struct fbuf *b, const struct fmt_view *v, const struct ct_fmt_opts *o)
{
	switch (o->event) {
	case CT_EVENT_NEW:
		fb_puts(b, "<flow type=\"new\">");
		break;
	case CT_EVENT_UPDATE:
		fb_puts(b, "<flow type=\"update\">");
		break;
	case CT_EVENT_DESTROY:
		fb_puts(b, "<flow type=\"destroy\">");
		break;
	default:
		fb_puts(b, "<flow>");
		break;
	}
	fb_tuple_xml(b, v, 0);
	fb_tuple_xml(b, v, 1);

	/* The status attribute is always present, so this block always is. */
	fb_puts(b, "<meta direction=\"independent\">");
	if (v->has_state)
		fb_printf(b, "<state>%s</state>", tcp_name(v->pstate)); /* SCTP too (sic) */
	if (v->has_timeout)
		fb_printf(b, "<timeout>%u</timeout>", v->timeout);
	if (v->has_mark)
		fb_printf(b, "<mark>%u</mark>", v->mark);
	if (o->labels && v->has_labels) {
		fb_puts(b, "<labels>");
		for (unsigned i = 0; i < 128; i++) {
			const char *name = o->labels->names[i];

			if (!(v->labels[i / 64] >> (i % 64) & 1))
				continue;
			if (name == NULL || name[0] == '\0')
				continue;
			fb_printf(b, "<label>%s</label>", name);
		}
		fb_puts(b, "</labels>");
	}
	if (v->zone == ZONE_BOTH)
		fb_printf(b, "<zone>%u</zone>", v->tu[0].zone);
	if (v->has_use)
		fb_printf(b, "<use>%u</use>", v->use);
	fb_printf(b, "<id>%u</id>", v->id);
	if (v->status & CT_S_ASSURED)
		fb_puts(b, "<assured/>");
	if (!(v->status & CT_S_SEEN_REPLY))
		fb_puts(b, "<unreplied/>");
	if (v->has_tstamp) {
		if (o->flags & CT_FMT_KTIMESTAMP) {
			fb_printf(b, "<timestamp><start>%llu</start>",
				  (unsigned long long)v->start);
			if (v->has_stop)
				fb_printf(b, "<stop>%llu</stop>", (unsigned long long)v->stop);
			fb_puts(b, "</timestamp>");
		}
		fb_printf(b, "<deltatime>%llu</deltatime>", delta_time(v, o, true));
	}
	fb_puts(b, "</meta>");
	if (o->event != 0 && (o->flags & CT_FMT_TIMESTAMP))
		fb_when_xml(b, o);
	if (v->helper)
		fb_printf(b, "<helper>%s</helper>", v->helper);
	fb_puts(b, "</flow>");
}

/* ---- -o save ---- */

static bool addr_differs(uint8_t l3, const uint8_t a[16], const uint8_t b[16])
{
	return memcmp(a, b, l3 == 10 ? 16 : 4) != 0;
}

static void fb_status_save(struct fbuf *b, uint32_t status)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} map[] = {
	    {CT_S_EXPECTED, "EXPECTED"},
	    {CT_S_SEEN_REPLY, "SEEN_REPLY"},
	    {CT_S_ASSURED, "ASSURED"},
	    {CT_S_FIXED_TIMEOUT, "FIXED_TIMEOUT"},
	};
	bool any = false;

	fb_puts(b, "-u ");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!(status & map[i].bit))
			continue;
		fb_printf(b, "%s,", map[i].name);
		any = true;
	}
	if (any) {
		fb_unput(b);
		fb_puts(b, " ");
	} else {
		fb_puts(b, "UNSET ");
	}
}

static void fb_proto_save(struct fbuf *b, const struct fmt_view *v)
{
	const struct ct_tuple *o = &v->tu[0], *r = &v->tu[1];

	switch (v->proto) {
	case 6:
	case 17:
	case 136:
	case 132:
		fb_printf(b, "-p %s ", ct_proto_name(v->proto));
		fb_printf(b, "--sport %u --dport %u --reply-port-src %u --reply-port-dst %u ",
			  o->src_l4, o->dst_l4, r->src_l4, r->dst_l4);
		if (v->proto == 6 && v->has_state)
			fb_printf(b, "--state %s ", tcp_name(v->pstate));
		if (v->proto == 132 && v->has_state)
			fb_printf(b, "--state %s ", sctp_name(v->pstate));
		if (v->has_vtags)
			fb_printf(b, "--orig-vtag %u --reply-vtag %u ", v->vtag[0], v->vtag[1]);
		break;
	case 1:
	case 58: {
		const char *p = v->proto == 1 ? "icmp" : "icmpv6";

		fb_printf(b, "-p %s --%s-type %u --%s-code %u --%s-id %u ", p, p, o->dst_l4 >> 8, p,
			  o->dst_l4 & 0xff, p, o->src_l4);
		break;
	}
	case 47:
		fb_printf(b,
			  "-p gre --srckey %u --dstkey %u --reply-key-src %u --reply-key-dst %u ",
			  o->src_l4, o->dst_l4, r->src_l4, r->dst_l4);
		break;
	case 33:
		/* conntrack knows DCCP, but a generic-tracked flow has no ports. */
		fb_puts(b, "-p dccp ");
		break;
	default:
		fb_printf(b, "-p %d ", v->proto);
		break;
	}
}

static void fmt_save(struct fbuf *b, const struct fmt_view *v, const struct ct_fmt_opts *o)
{
	bool dnat, snat;

	switch (o->event) {
	case CT_EVENT_UPDATE:
		fb_puts(b, "-U ");
		break;
	case CT_EVENT_DESTROY:
		fb_puts(b, "-D ");
		break;
	default:
		fb_puts(b, "-A "); /* listings and NEW */
		break;
	}
	if (v->has_timeout)
		fb_printf(b, "-t %u ", v->timeout);
	fb_status_save(b, v->status);
	if (v->zone == ZONE_BOTH)
		fb_printf(b, "-w %u ", v->tu[0].zone);
	if (zone_orig(v))
		fb_printf(b, "--orig-zone %u ", v->tu[0].zone);
	if (zone_reply(v))
		fb_printf(b, "--reply-zone %u ", v->tu[1].zone);

	if (v->l3 == 2 || v->l3 == 10) {
		dnat = (v->status & CT_S_DST_NAT_DONE) &&
		       addr_differs(v->l3, v->tu[1].src, v->tu[0].dst);
		snat = (v->status & CT_S_SRC_NAT_DONE) &&
		       addr_differs(v->l3, v->tu[1].dst, v->tu[0].src);
		fb_puts(b, "-s ");
		fb_addr(b, v->l3, v->tu[0].src);
		fb_puts(b, " -d ");
		fb_addr(b, v->l3, v->tu[0].dst);
		fb_puts(b, dnat ? " -g " : " -r ");
		fb_addr(b, v->l3, v->tu[1].src);
		fb_puts(b, snat ? " -n " : " -q ");
		fb_addr(b, v->l3, v->tu[1].dst);
		fb_puts(b, " ");
	}
	fb_proto_save(b, v);
	fb_unput(b); /* trailing blank */
}

/* ---- entry points ---- */

int ct_format_conn(const struct ct_table *t, const struct ct_conn *c, const struct ct_fmt_opts *o,
		   char *buf, size_t buflen)
{
	struct fbuf b = {buf, buflen, 0};
	struct fmt_view v;

	if (buflen)
		buf[0] = '\0';
	fmt_view_build(t, c, o, &v);
	if (o->flags & CT_FMT_SAVE) {
		fmt_save(&b, &v, o);
	} else if (o->flags & CT_FMT_XML) {
		fmt_xml(&b, &v, o);
	} else {
		/* -o timestamp on events: "[sec.usec]\t" (printf "%-.8ld.%-.6ld"). */
		if (o->event != 0 && (o->flags & CT_FMT_TIMESTAMP))
			fb_printf(&b, "[%.8llu.%.6llu]\t",
				  (unsigned long long)(o->event_wall / CT_NSEC_PER_SEC),
				  (unsigned long long)(o->event_wall % CT_NSEC_PER_SEC / 1000));
		fmt_default(&b, &v, o);
	}
	return b.pos > INT32_MAX ? INT32_MAX : (int)b.pos;
}

const char *ct_format_xml_header(void)
{
	return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n";
}

const char *ct_format_xml_footer(void)
{
	return "</conntrack>\n";
}
