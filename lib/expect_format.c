/* SPDX-License-Identifier: MIT */
/*
 * The text of `conntrack -L expect` / `-E expect` (conntrack-tools 1.4.7,
 * libnetfilter_conntrack 1.0.9), from what ctnetlink sends for an
 * expectation: timeout, tuple, mask, master tuple, flags, class and the
 * master's helper name (never the zone: the kernel does not dump it).
 *
 * Checked against the real tools on 6.18 (FTP helper in a namespace):
 *   299 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=51210
 *   mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535
 *   master-src=127.0.0.1 master-dst=127.0.0.1 sport=58036 dport=21 class=0
 *   helper=ftp                                                  (one line)
 * Events are prefixed with "%9s " ("    [NEW] ", "[DESTROY] "); -o
 * extended and -o save print the same line.  Flags, when set, come before
 * class as "PERMANENT,INACTIVE,USERSPACE ".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "helper_priv.h"

struct fbuf {
	char *buf;
	size_t cap;
	size_t len; /* length the full text needs */
};

static void out(struct fbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct fbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->len < b->cap ? b->buf + b->len : NULL,
		      b->len < b->cap ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 || proto == 33;
}

static void addr_pair(struct fbuf *b, const struct ct_tuple *tu, const char *s, const char *d)
{
	char a1[64], a2[64];

	ct_format_addr(tu->l3num, tu->src, a1, sizeof(a1));
	ct_format_addr(tu->l3num, tu->dst, a2, sizeof(a2));
	out(b, "%s=%s %s=%s ", s, a1, d, a2);
}

/* The l4 part of a tuple; `proto` is the tuple's protocol. */
static void l4_part(struct fbuf *b, const struct ct_tuple *tu, uint8_t proto)
{
	if (has_ports(proto))
		out(b, "sport=%u dport=%u ", tu->src_l4, tu->dst_l4);
	else if (proto == 1 || proto == 58)
		out(b, "type=%u code=%u id=%u ", tu->dst_l4 >> 8, tu->dst_l4 & 0xff, tu->src_l4);
}

static void xml_pair(struct fbuf *b, const char *tag, const struct ct_tuple *tu)
{
	char a1[64], a2[64];

	ct_format_addr(tu->l3num, tu->src, a1, sizeof(a1));
	ct_format_addr(tu->l3num, tu->dst, a2, sizeof(a2));
	out(b, "<%s><src>%s</src><dst>%s</dst></%s>", tag, a1, a2, tag);
}

static void xml_ports(struct fbuf *b, const char *tag, const struct ct_tuple *tu, uint8_t proto)
{
	out(b, "<%s>", tag);
	if (has_ports(proto))
		out(b, "<sport>%u</sport><dport>%u</dport>", tu->src_l4, tu->dst_l4);
	out(b, "</%s>", tag);
}

static void format_xml(struct fbuf *b, const struct ct_expect_info *i)
{
	out(b, "<flow><layer3 protonum=\"%u\" protoname=\"%s\">", i->tuple.l3num,
	    i->tuple.l3num == 10 ? "ipv6" : "ipv4");
	xml_pair(b, "expected", &i->tuple);
	xml_pair(b, "mask", &i->mask);
	xml_pair(b, "master", &i->master);
	out(b, "</layer3><layer4 protonum=\"%u\" protoname=\"%s\">", i->tuple.proto,
	    ct_proto_name(i->tuple.proto));
	xml_ports(b, "expected", &i->tuple, i->tuple.proto);
	xml_ports(b, "mask", &i->mask, i->tuple.proto);
	xml_ports(b, "master", &i->master, i->master.proto);
	out(b, "</layer4><meta>");
	if (i->helper)
		out(b, "<helper-name>%s</helper-name>", i->helper);
	out(b, "<timeout>%u</timeout><class>%u</class></meta></flow>", i->timeout_s, i->class);
}

int ct_format_expect(const struct ct_table *t, const struct ct_expect *e,
		     const struct ct_fmt_opts *o, char *buf, size_t buflen)
{
	struct fbuf b = {.buf = buf, .cap = buflen, .len = 0};
	struct ct_expect_info i;
	const char *delim = "";

	if (buflen)
		buf[0] = '\0';
	ct_expect_get(t, e, o->now, &i);
	if (o->flags & CT_FMT_XML) {
		format_xml(&b, &i);
		return (int)b.len;
	}
	if (o->event == CT_EVENT_NEW)
		out(&b, "%9s ", "[NEW]");
	else if (o->event == CT_EVENT_UPDATE)
		out(&b, "%9s ", "[UPDATE]");
	else if (o->event == CT_EVENT_DESTROY)
		out(&b, "%9s ", "[DESTROY]");
	out(&b, "%u proto=%u ", i.timeout_s, i.tuple.proto);
	addr_pair(&b, &i.tuple, "src", "dst");
	l4_part(&b, &i.tuple, i.tuple.proto);
	addr_pair(&b, &i.mask, "mask-src", "mask-dst");
	l4_part(&b, &i.mask, i.tuple.proto);
	addr_pair(&b, &i.master, "master-src", "master-dst");
	l4_part(&b, &i.master, i.master.proto);
	if (i.flags & CT_EXP_F_PERMANENT) {
		out(&b, "PERMANENT");
		delim = ",";
	}
	if (i.flags & CT_EXP_F_INACTIVE) {
		out(&b, "%sINACTIVE", delim);
		delim = ",";
	}
	if (i.flags & CT_EXP_F_USERSPACE)
		out(&b, "%sUSERSPACE", delim);
	if (i.flags)
		out(&b, " ");
	out(&b, "class=%u ", i.class);
	if (i.helper)
		out(&b, "helper=%s", i.helper);
	/* The line ends in "class=N " unless a helper follows: drop that blank. */
	if (!i.helper) {
		b.len--;
		if (b.len < b.cap)
			buf[b.len] = '\0';
	}
	return (int)b.len;
}

const char *ct_format_expect_xml_header(void)
{
	return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<expect>\n";
}

const char *ct_format_expect_xml_footer(void)
{
	return "</expect>\n";
}
