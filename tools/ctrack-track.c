/* SPDX-License-Identifier: MIT */
/*
 * ctrack-track: replay a capture through libctrack as a forwarding firewall
 * whose ruleset uses conntrack (optionally `ct state invalid drop` in the
 * forward chain), then print the conntrack table.
 *
 *   ctrack-track [--set NAME=VALUE ...] [--drop-invalid] [--now SEC.USEC]
 *                [--fw-mac MAC ...] FILE.pcap
 *
 * Output, one line per input frame (numbered from 1):
 *   N VERDICT STATE [frags=I,J,...]
 * VERDICT is forward, drop, held (a fragment waiting for the rest of its
 * datagram) or skip (not IP, or not addressed to one of the --fw-mac
 * addresses); STATE is the nft `ct state` word of the packet (new,
 * established, related, invalid, untracked) or "-" when conntrack never saw
 * it.  When the last fragment of a datagram arrives the whole datagram is
 * tracked once (spec §2.3) and the line of that fragment lists, in frags=,
 * every input frame the verdict applies to.
 *
 * Then the table, as `conntrack -L -o extended` prints it, with timeouts
 * computed at --now (default: the time of the last frame).  Time is the pcap
 * timestamp in nanoseconds; the table's wall clock is the same time base.
 *
 * The path a forwarded packet takes through the kernel (spec §11.2):
 * defrag (-400) -> conntrack (-200) -> routing (TTL check) -> forward filter
 * (the optional invalid drop) -> postrouting confirm (INT_MAX).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/ct.h"
#include "ctrack/format.h"
#include "ctrack/pkt.h"

#define MAX_SETS 64
#define MAX_MACS 16

struct opts {
	const char *set_name[MAX_SETS];
	const char *set_value[MAX_SETS];
	size_t nset;
	bool drop_invalid;
	bool have_now;
	uint64_t now;
	uint8_t mac[MAX_MACS][6];
	size_t nmac;
	const char *file;
};

/*
 * A fragment held by defrag, remembered so that the verdict of its datagram
 * can be reported against its input frame.  The key is the one the kernel
 * reassembles by: addresses and identification (and protocol for IPv4).
 */
struct held {
	uint32_t index;
	uint32_t frag_id;
	uint8_t l3num;
	uint8_t proto;
	uint8_t src[16];
	uint8_t dst[16];
	bool live;
};

struct held_list {
	struct held *v;
	size_t n, cap;
};

static void usage(void)
{
	fprintf(stderr, "usage: ctrack-track [--set NAME=VALUE ...] [--drop-invalid] "
			"[--now SEC.USEC] [--fw-mac MAC ...] FILE.pcap\n");
}

static int parse_mac(const char *s, uint8_t out[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		out[i] = (uint8_t)b[i];
	}
	return 0;
}

/* "SEC" or "SEC.FRACTION" (up to 9 fraction digits) -> ns. */
static int parse_time(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long sec = strtoull(s, &end, 10);
	uint64_t ns = 0, scale = 100000000;

	if (end == s)
		return -EINVAL;
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++) {
			ns += (uint64_t)(*end - '0') * scale;
			scale /= 10;
		}
	}
	if (*end != '\0')
		return -EINVAL;
	*out = (uint64_t)sec * CT_NSEC_PER_SEC + ns;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--drop-invalid")) {
			o->drop_invalid = true;
		} else if (!strcmp(a, "--set") && i + 1 < argc) {
			char *eq = strchr(argv[++i], '=');

			if (!eq || o->nset == MAX_SETS)
				return -EINVAL;
			*eq = '\0';
			o->set_name[o->nset] = argv[i];
			o->set_value[o->nset++] = eq + 1;
		} else if (!strcmp(a, "--now") && i + 1 < argc) {
			if (parse_time(argv[++i], &o->now))
				return -EINVAL;
			o->have_now = true;
		} else if (!strcmp(a, "--fw-mac") && i + 1 < argc) {
			if (o->nmac == MAX_MACS || parse_mac(argv[++i], o->mac[o->nmac]))
				return -EINVAL;
			o->nmac++;
		} else if (a[0] == '-' || o->file) {
			return -EINVAL;
		} else {
			o->file = a;
		}
	}
	return o->file ? 0 : -EINVAL;
}

static const char *state_word(const struct ct_pkt *p)
{
	switch (p->ctinfo) {
	case CT_INFO_NEW:
		return "new";
	case CT_INFO_ESTABLISHED:
	case CT_INFO_ESTABLISHED_REPLY:
		return "established";
	case CT_INFO_RELATED:
	case CT_INFO_RELATED_REPLY:
		return "related";
	case CT_INFO_UNTRACKED:
		return "untracked";
	default:
		return "invalid";
	}
}

/* Addresses of a parsed IP packet, read from its header (fragments have no
 * usable tuple). */
static void frag_key(const struct ct_pkt *p, uint32_t index, struct held *h)
{
	const uint8_t *ip = p->data + p->l3_off;

	memset(h, 0, sizeof(*h));
	h->index = index;
	h->frag_id = p->frag_id;
	h->l3num = p->l3num;
	h->live = true;
	if (p->l3num == 2) {
		h->proto = ip[9];
		memcpy(h->src, ip + 12, 4);
		memcpy(h->dst, ip + 16, 4);
	} else {
		memcpy(h->src, ip + 8, 16);
		memcpy(h->dst, ip + 24, 16);
	}
}

static bool same_datagram(const struct held *a, const struct held *b)
{
	return a->l3num == b->l3num && a->frag_id == b->frag_id && a->proto == b->proto &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16);
}

static int held_add(struct held_list *l, const struct held *h)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct held *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *h;
	return 0;
}

/* Print " frags=..." for every live held fragment of the datagram of `key`
 * (the completing fragment is included) and retire them. */
static void held_release(struct held_list *l, const struct held *key)
{
	const char *sep = " frags=";

	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].live || !same_datagram(&l->v[i], key))
			continue;
		printf("%s%u", sep, l->v[i].index);
		sep = ",";
		l->v[i].live = false;
	}
}

static bool mac_ok(const struct opts *o, const uint8_t *frame, uint32_t len, int dlt)
{
	if (!o->nmac || dlt != DLT_EN10MB)
		return true;
	if (len < 6)
		return false;
	for (size_t i = 0; i < o->nmac; i++)
		if (!memcmp(frame, o->mac[i], 6))
			return true;
	return false;
}

/*
 * Conntrack, routing and the forward filter for one complete packet.
 * Returns true if the packet is forwarded.
 */
static bool fw_packet(struct ct_table *t, struct ct_pkt *p, const struct opts *o, uint64_t now)
{
	if (ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, now) < 0)
		goto drop;
	/* ip_forward(): TTL / hop limit exhausted -> ICMP time exceeded, drop. */
	if (p->ttl <= 1)
		goto drop;
	if (o->drop_invalid && p->ctinfo == CT_INFO_INVALID)
		goto drop;
	return ct_confirm(t, p, now) == 0;
drop:
	ct_pkt_release(t, p);
	return false;
}

static int print_table(const struct ct_table *t, uint64_t now)
{
	struct ct_iter it;
	const struct ct_conn *c;
	char buf[2048];

	ct_iter_init(&it);
	while ((c = ct_iter_next(t, &it, now)) != NULL) {
		struct ct_fmt_opts fo = {
		    .flags = CT_FMT_EXTENDED,
		    .now = now,
		    .wall_now = now,
		};
		uint64_t pk, by;

		if (ct_conn_counters(t, c, CT_DIR_ORIGINAL, &pk, &by))
			fo.flags |= CT_FMT_ACCT;
		if (ct_format_conn(t, c, &fo, buf, sizeof(buf)) < 0)
			return -EINVAL;
		printf("%s\n", buf);
	}
	return 0;
}

struct replay {
	struct ct_table *t;
	struct ct_defrag *d;
	const struct opts *o;
	struct held_list held;
	int dlt;
	enum ct_link link;
};

/*
 * One input frame: the IP layer's checks, defrag, then the firewall path.
 * Prints the frame's line.  Returns 0 or -ENOMEM.
 */
static int frame(struct replay *r, const struct pcap_pkthdr *h, const uint8_t *data, uint32_t n,
		 uint64_t now)
{
	struct ct_pkt pkt, *pp = &pkt;
	struct held key;
	enum ct_parse_result pr;
	bool is_frag = false, fwd;

	if (!mac_ok(r->o, data, h->caplen, r->dlt)) {
		printf("%u skip -\n", n);
		return 0;
	}
	memset(&pkt, 0, sizeof(pkt));
	pr = ct_pkt_parse(&pkt, data, h->caplen, r->link);
	if (pkt.wire_len < h->len)
		pkt.wire_len = h->len;
	if (pr == CT_PARSE_NOT_IP) {
		printf("%u skip -\n", n);
		return 0;
	}
	if (pr != CT_PARSE_OK) {
		/* The IP layer discards it before any hook (spec §2.2 step 0). */
		printf("%u drop -\n", n);
		return 0;
	}
	ct_defrag_expire(r->d, now);
	if (pkt.is_frag) {
		frag_key(&pkt, n, &key);
		switch (ct_defrag_feed(r->d, &pkt, now, &pp)) {
		case CT_DEFRAG_PASS:
			pp = &pkt;
			break;
		case CT_DEFRAG_HELD:
			if (held_add(&r->held, &key))
				return -ENOMEM;
			printf("%u held -\n", n);
			return 0;
		case CT_DEFRAG_DROP:
			printf("%u drop -\n", n);
			return 0;
		case CT_DEFRAG_COMPLETE:
			if (held_add(&r->held, &key))
				return -ENOMEM;
			is_frag = true;
			break;
		}
	}
	fwd = fw_packet(r->t, pp, r->o, now);
	printf("%u %s %s", n, fwd ? "forward" : "drop", state_word(pp));
	if (is_frag)
		held_release(&r->held, &key);
	printf("\n");
	return 0;
}

static int replay(pcap_t *pc, struct ct_table *t, struct ct_defrag *d, const struct opts *o,
		  uint64_t *last)
{
	struct replay r = {.t = t, .d = d, .o = o, .dlt = pcap_datalink(pc)};
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t n = 0;
	int rc, err = 0;

	if (r.dlt == DLT_EN10MB) {
		r.link = CT_LINK_ETHERNET;
	} else if (r.dlt == DLT_RAW || r.dlt == 12 /* DLT_RAW on some BSDs */) {
		r.link = CT_LINK_RAW;
	} else {
		fprintf(stderr, "ctrack-track: unsupported link type %d\n", r.dlt);
		return -EINVAL;
	}
	/* Nanosecond precision was requested, so tv_usec holds nanoseconds. */
	while (!err && (rc = pcap_next_ex(pc, &h, &data)) == 1) {
		*last = (uint64_t)h->ts.tv_sec * CT_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec;
		err = frame(&r, h, data, ++n, *last);
	}
	if (!err && rc == -1) {
		fprintf(stderr, "ctrack-track: %s\n", pcap_geterr(pc));
		err = -EIO;
	}
	free(r.held.v);
	return err;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct opts o = {0};
	struct ct_table_config cfg = {0};
	struct ct_table *t = NULL;
	struct ct_defrag_config dcfg = {0};
	struct ct_defrag *d = NULL;
	pcap_t *pc;
	uint64_t last = 0;
	int rc = 1;

	if (parse_args(argc, argv, &o)) {
		usage();
		return 2;
	}
	pc = pcap_open_offline_with_tstamp_precision(o.file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		fprintf(stderr, "ctrack-track: %s\n", errbuf);
		return 1;
	}
	if (ct_table_new(&cfg, &t)) {
		fprintf(stderr, "ctrack-track: cannot create the table\n");
		goto err_pcap;
	}
	if (ct_defrag_new(&dcfg, &d)) {
		fprintf(stderr, "ctrack-track: cannot create the defrag context\n");
		goto err_table;
	}
	for (size_t i = 0; i < o.nset; i++) {
		int e = ct_setting_set(t, o.set_name[i], o.set_value[i]);

		if (e) {
			fprintf(stderr, "ctrack-track: --set %s=%s: %s\n", o.set_name[i],
				o.set_value[i], strerror(-e));
			goto err_defrag;
		}
	}
	if (replay(pc, t, d, &o, &last))
		goto err_defrag;
	if (print_table(t, o.have_now ? o.now : last))
		goto err_defrag;
	rc = 0;
err_defrag:
	ct_defrag_free(d);
err_table:
	ct_table_free(t);
err_pcap:
	pcap_close(pc);
	return rc;
}
