/* SPDX-License-Identifier: MIT */
/*
 * ctrack-replay: captures and a ruleset in; what the firewall forwards,
 * rewrites, delivers and drops, why, and its final connection table out.
 * Time is the packets' time, so a replay is deterministic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctrack/ct.h"
#include "ctrack/expect.h"
#include "ctrack/format.h"
#include "ctrack/fw.h"
#include "ctrack/nft.h"
#include "ctrack/pkt.h"

#define MAX_INPUTS 64
#define MAX_OUTPUTS 64
/* Timestamps may step back this much between packets of one capture. */
#define BACKWARDS_TOLERANCE_NS (1000000000ull)

struct input {
	const char *path;
	char *arg;        /* the option's copy that path points into (freed at exit) */
	uint32_t ifindex; /* 0: --local */
	pcap_t *pc;
	int dlt;
	bool have;        /* a packet is buffered */
	uint64_t ts;
	uint64_t last_ts;
	struct pcap_pkthdr *hdr;
	const uint8_t *data;
	uint64_t n;
};

struct output {
	uint32_t ifindex;
	const char *path;
	char *arg;
	pcap_t *dead;
	pcap_dumper_t *dump;
};

struct replay {
	struct fw *fw;
	struct nft_ruleset *rs;
	const char *ruleset_path;
	struct input in[MAX_INPUTS];
	size_t nin;
	struct output out[MAX_OUTPUTS];
	size_t nout;
	FILE *conntrack_f, *events_f, *verdicts_f, *expect_f;
	const char *conntrack_path, *events_path, *verdicts_path, *expect_path, *ruleset_out;
	unsigned fmt_flags;
	uint64_t now;
	uint64_t frames;
	bool progress;
};

static const char *prog = "ctrack-replay";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -f RULESET --iface NAME,MAC,ADDR/PLEN[,ADDR/PLEN...] ...\n"
		"       [--route PREFIX,IFACE[,GATEWAY]] [--neigh IFACE,ADDR,MAC]\n"
		"       [--set NAME=VALUE] --in IFACE=FILE ... [--local FILE]\n"
		"       [--out IFACE=FILE] [--conntrack FILE] [-o FORMAT[,FORMAT...]]\n"
		"       [--expect FILE] [--events FILE] [--verdicts FILE] [--ruleset-out FILE]\n"
		"       [--progress|--no-progress]\n",
		prog);
}

/* ---- argument parsing ------------------------------------------------- */

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

/* "ADDR" or "ADDR/PLEN"; plen -1 when absent. */
static bool parse_addr(const char *s, uint8_t *l3num, uint8_t addr[16], int *plen)
{
	char buf[128], *slash;
	struct in_addr a4;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	*plen = -1;
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		long v;

		*slash = 0;
		v = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v < 0 || v > 128)
			return false;
		*plen = (int)v;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memcpy(addr, &a4, 4);
		*l3num = 2;
		return *plen <= 32;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*l3num = 10;
		return true;
	}
	return false;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

static void opt_iface(struct replay *r, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL, *name, *mac_s, *tok;
	uint8_t mac[6];
	int idx;

	name = strtok_r(s, ",", &save);
	mac_s = strtok_r(NULL, ",", &save);
	if (!name || !mac_s)
		die("--iface %s: expected NAME,MAC,ADDR/PLEN[,ADDR/PLEN...]", arg);
	if (!parse_mac(mac_s, mac))
		die("--iface %s: bad MAC address '%s' (expected xx:xx:xx:xx:xx:xx)", arg, mac_s);
	idx = fw_add_iface(r->fw, name, mac);
	if (idx == -EEXIST)
		die("--iface %s: interface '%s' given twice", arg, name);
	if (idx < 0)
		die("--iface %s: bad interface name '%s'", arg, name);
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		uint8_t l3, addr[16];
		int plen;

		if (!parse_addr(tok, &l3, addr, &plen) || plen < 0)
			die("--iface %s: bad address '%s' (expected ADDR/PLEN)", arg, tok);
		if (fw_add_addr(r->fw, (uint32_t)idx, l3, addr, (uint8_t)plen) < 0)
			die("--iface %s: cannot add address '%s'", arg, tok);
	}
	free(s);
}

static int iface_or_die(struct replay *r, const char *name, const char *opt, const char *arg)
{
	int idx = fw_iface_index(r->fw, name);

	if (idx < 2)
		die("%s %s: unknown interface '%s' (declare it with --iface first)", opt, arg,
		    name);
	return idx;
}

static void opt_route(struct replay *r, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL;
	char *pfx = strtok_r(s, ",", &save), *ifn = strtok_r(NULL, ",", &save);
	char *gw_s = strtok_r(NULL, ",", &save);
	uint8_t l3, addr[16], gl3, gw[16];
	int plen, gplen, idx;

	if (!pfx || !ifn)
		die("--route %s: expected PREFIX,IFACE[,GATEWAY]", arg);
	if (strcmp(pfx, "default") == 0)
		die("--route %s: write default as 0.0.0.0/0 or ::/0", arg);
	if (!parse_addr(pfx, &l3, addr, &plen) || plen < 0)
		die("--route %s: bad prefix '%s' (expected ADDR/PLEN)", arg, pfx);
	idx = iface_or_die(r, ifn, "--route", arg);
	if (gw_s && (!parse_addr(gw_s, &gl3, gw, &gplen) || gplen >= 0 || gl3 != l3))
		die("--route %s: bad gateway '%s'", arg, gw_s);
	if (fw_add_route(r->fw, l3, addr, (uint8_t)plen, (uint32_t)idx, gw_s ? gw : NULL) < 0)
		die("--route %s: cannot add route", arg);
	free(s);
}

static void opt_neigh(struct replay *r, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL;
	char *ifn = strtok_r(s, ",", &save), *a = strtok_r(NULL, ",", &save);
	char *m = strtok_r(NULL, ",", &save);
	uint8_t l3, addr[16], mac[6];
	int plen, idx;

	if (!ifn || !a || !m)
		die("--neigh %s: expected IFACE,ADDR,MAC", arg);
	idx = iface_or_die(r, ifn, "--neigh", arg);
	if (!parse_addr(a, &l3, addr, &plen) || plen >= 0)
		die("--neigh %s: bad address '%s'", arg, a);
	if (!parse_mac(m, mac))
		die("--neigh %s: bad MAC address '%s'", arg, m);
	fw_add_neigh(r->fw, (uint32_t)idx, l3, addr, mac);
	free(s);
}

static void opt_set(struct replay *r, const char *arg)
{
	char *s = xstrdup(arg), *eq = strchr(s, '=');
	int err;

	if (!eq)
		die("--set %s: expected NAME=VALUE", arg);
	*eq = 0;
	err = ct_setting_set(fw_ct(r->fw), s, eq + 1);
	if (err == -ENOENT)
		die("--set %s: unknown setting '%s'", arg, s);
	if (err == -EPERM) {
		/* nf_conntrack_max / _buckets were taken before the table was made */
		free(s);
		return;
	}
	if (err)
		die("--set %s: bad value '%s'", arg, eq + 1);
	free(s);
}

/*
 * nf_conntrack_max and nf_conntrack_buckets size the table, which exists
 * before the other options are read: take them from the command line first.
 */
static void presize(int argc, char **argv, struct ct_table_config *ct)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		uint32_t *dst = NULL;
		char *end;
		unsigned long n;

		if (strcmp(a, "--set") == 0 && i + 1 < argc)
			a = argv[++i];
		else if (strncmp(a, "--set=", 6) == 0)
			a += 6;
		else
			continue;
		if (strncmp(a, "net.netfilter.", 14) == 0)
			a += 14;
		if (strncmp(a, "nf_conntrack_max=", 17) == 0) {
			v = a + 17;
			dst = &ct->max;
		} else if (strncmp(a, "nf_conntrack_buckets=", 21) == 0) {
			v = a + 21;
			dst = &ct->buckets;
		} else {
			continue;
		}
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || *end || end == v || n == 0 || n > (1ul << 29))
			die("--set %s: bad value '%s' (1 to %lu)", a, v, 1ul << 29);
		*dst = (uint32_t)n;
	}
}

static void opt_in(struct replay *r, const char *arg, bool local)
{
	struct input *in;
	char *s = xstrdup(arg), *eq = strchr(s, '=');

	if (r->nin == MAX_INPUTS)
		die("too many inputs (at most %d)", MAX_INPUTS);
	in = &r->in[r->nin++];
	memset(in, 0, sizeof(*in));
	in->arg = s;
	if (local) {
		in->path = s;
		return;
	}
	if (!eq)
		die("--in %s: expected IFACE=FILE", arg);
	*eq = 0;
	in->ifindex = (uint32_t)iface_or_die(r, s, "--in", arg);
	in->path = eq + 1;
}

static void opt_out(struct replay *r, const char *arg)
{
	struct output *o;
	char *s = xstrdup(arg), *eq = strchr(s, '=');

	if (!eq)
		die("--out %s: expected IFACE=FILE", arg);
	if (r->nout == MAX_OUTPUTS)
		die("too many outputs (at most %d)", MAX_OUTPUTS);
	*eq = 0;
	o = &r->out[r->nout++];
	o->arg = s;
	o->ifindex = (uint32_t)iface_or_die(r, s, "--out", arg);
	o->path = eq + 1;
}

/* conntrack's -o: a comma list; prefixes accepted (`-o ext`). */
static unsigned parse_formats(const char *arg)
{
	static const struct {
		const char *name;
		unsigned flag;
	} fmts[] = {
		{"xml", CT_FMT_XML},       {"extended", CT_FMT_EXTENDED},
		{"timestamp", CT_FMT_TIMESTAMP}, {"id", CT_FMT_ID},
		{"ktimestamp", CT_FMT_KTIMESTAMP}, {"labels", CT_FMT_LABELS},
		{"userspace", 0},          {"save", CT_FMT_SAVE},
	};
	char *s = xstrdup(arg), *save = NULL, *tok;
	unsigned flags = 0;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i, n = strlen(tok);

		for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
			if (n && strncmp(tok, fmts[i].name, n) == 0)
				break;
		}
		if (i == sizeof(fmts) / sizeof(fmts[0]))
			die("-o %s: unknown output format '%s'", arg, tok);
		flags |= fmts[i].flag;
	}
	if ((flags & CT_FMT_SAVE) && (flags & ~CT_FMT_SAVE))
		die("-o %s: save cannot be combined with other formats", arg);
	free(s);
	return flags;
}

/* ---- the ruleset ------------------------------------------------------ */

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (cap - n < 4096) {
			char *nb = realloc(b, cap ? cap * 2 : 65536);

			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(b + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

static int load_include(void *arg, const char *name, char **buf, size_t *len)
{
	(void)arg;
	return read_file(name, buf, len);
}

static void load_ruleset(struct replay *r)
{
	struct nft_iface ifs[66];
	struct nft_config cfg = {.load = load_include, .ifaces = ifs};
	char *buf, *err = NULL;
	size_t len;
	int rc;

	ifs[cfg.n_ifaces++] = (struct nft_iface){"lo", 1};
	for (uint32_t i = 2; fw_iface_name(r->fw, i) && cfg.n_ifaces < 66; i++)
		ifs[cfg.n_ifaces++] = (struct nft_iface){fw_iface_name(r->fw, i), i};
	rc = read_file(r->ruleset_path, &buf, &len);
	if (rc)
		die("cannot read ruleset %s: %s", r->ruleset_path, strerror(-rc));
	if (nft_ruleset_new(&cfg, &r->rs))
		die("out of memory");
	rc = nft_ruleset_apply(r->rs, r->ruleset_path, buf, len, false, &err);
	free(buf);
	if (rc) {
		fprintf(stderr, "%s", err ? err : "ruleset error\n");
		free(err);
		exit(2);
	}
	fw_set_ruleset(r->fw, r->rs);
}

/* ---- captures --------------------------------------------------------- */

static void open_inputs(struct replay *r)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	for (size_t i = 0; i < r->nin; i++) {
		struct input *in = &r->in[i];

		in->pc = pcap_open_offline_with_tstamp_precision(in->path,
								 PCAP_TSTAMP_PRECISION_NANO,
								 errbuf);
		if (!in->pc)
			die("%s: %s", in->path, errbuf);
		in->dlt = pcap_datalink(in->pc);
		switch (in->dlt) {
		case DLT_EN10MB:
		case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
		case DLT_LINUX_SLL2:
#endif
		case DLT_RAW: /* 12 on Linux; 101 is the LINKTYPE value libpcap maps to it */
		case 228: /* DLT_IPV4 */
		case 229: /* DLT_IPV6 */
			break;
		default:
			die("%s: link type %s is not supported (Ethernet, Linux cooked or raw IP)",
			    in->path, pcap_datalink_val_to_name(in->dlt)
					      ? pcap_datalink_val_to_name(in->dlt)
					      : "unknown");
		}
	}
}

/* Read the next packet of an input into its buffer slot. */
static void input_advance(struct input *in)
{
	int rc = pcap_next_ex(in->pc, &in->hdr, &in->data);

	if (rc == 1) {
		uint64_t ts = (uint64_t)in->hdr->ts.tv_sec * 1000000000ull +
			      (uint64_t)in->hdr->ts.tv_usec;

		if (in->n && ts + BACKWARDS_TOLERANCE_NS < in->last_ts)
			die("%s: packet %llu: timestamp goes backwards by more than 1 s", in->path,
			    (unsigned long long)in->n + 1);
		in->ts = ts < in->last_ts ? in->last_ts : ts;
		in->last_ts = in->ts;
		in->n++;
		in->have = true;
		return;
	}
	in->have = false;
	if (rc == PCAP_ERROR)
		die("%s: packet %llu: %s (truncated or corrupt capture)", in->path,
		    (unsigned long long)in->n + 1, pcap_geterr(in->pc));
}

/*
 * Give the firewall an Ethernet frame whatever the capture's link type:
 * cooked and raw captures get a header addressed to the interface.
 */
static const uint8_t *to_ethernet(struct input *in, const uint8_t *mac, const uint8_t *d,
				  uint32_t *len, uint8_t *buf, size_t cap)
{
	uint32_t n = *len, hl = 0;
	uint16_t proto = 0;
	const uint8_t *src = NULL;
	static const uint8_t zero[6];

	switch (in->dlt) {
	case DLT_EN10MB:
		return d;
	case DLT_LINUX_SLL:
		if (n < 16)
			return NULL;
		hl = 16;
		proto = (uint16_t)(d[14] << 8 | d[15]);
		if (d[4] == 0 && d[5] == 6)
			src = d + 6;
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (n < 20)
			return NULL;
		hl = 20;
		proto = (uint16_t)(d[0] << 8 | d[1]);
		if (d[11] == 6)
			src = d + 12;
		break;
#endif
	default: /* raw IP */
		if (n < 1)
			return NULL;
		proto = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	}
	if (n - hl + 14 > cap)
		return NULL;
	memcpy(buf, mac ? mac : zero, 6);
	memcpy(buf + 6, src ? src : zero, 6);
	buf[12] = (uint8_t)(proto >> 8);
	buf[13] = (uint8_t)proto;
	memcpy(buf + 14, d + hl, n - hl);
	*len = n - hl + 14;
	return buf;
}

/* ---- outputs ---------------------------------------------------------- */

static FILE *open_out(const char *path)
{
	FILE *f;

	if (!path || strcmp(path, "-") == 0)
		return stdout;
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	return f;
}

static void open_outputs(struct replay *r)
{
	for (size_t i = 0; i < r->nout; i++) {
		struct output *o = &r->out[i];

		o->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144,
							       PCAP_TSTAMP_PRECISION_MICRO);
		if (!o->dead)
			die("out of memory");
		o->dump = pcap_dump_open(o->dead, o->path);
		if (!o->dump)
			die("cannot write %s: %s", o->path, pcap_geterr(o->dead));
	}
	r->conntrack_f = open_out(r->conntrack_path);
	if (r->events_path)
		r->events_f = open_out(r->events_path);
	if (r->verdicts_path)
		r->verdicts_f = open_out(r->verdicts_path);
	if (r->expect_path)
		r->expect_f = open_out(r->expect_path);
}

static void write_frames(struct replay *r, const struct fw_result *res, uint64_t now)
{
	for (size_t i = 0; i < res->n_emit; i++) {
		const struct fw_emit *e = &res->emit[i];

		for (size_t j = 0; j < r->nout; j++) {
			struct pcap_pkthdr h;

			if (r->out[j].ifindex != e->ifindex)
				continue;
			h.ts.tv_sec = (time_t)(now / 1000000000ull);
			h.ts.tv_usec = (suseconds_t)(now % 1000000000ull / 1000);
			h.caplen = h.len = e->len;
			pcap_dump((u_char *)r->out[j].dump, &h, e->frame);
		}
	}
}

static const char *ctinfo_name(uint8_t ci)
{
	switch (ci) {
	case CT_INFO_ESTABLISHED:
	case CT_INFO_ESTABLISHED_REPLY:
		return "established";
	case CT_INFO_RELATED:
	case CT_INFO_RELATED_REPLY:
		return "related";
	case CT_INFO_NEW:
		return "new";
	case CT_INFO_UNTRACKED:
		return "untracked";
	default:
		return "invalid";
	}
}

static void status_text(uint32_t st, char *buf, size_t len)
{
	static const char *const names[] = {"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED",
					    "SRC_NAT", "DST_NAT", "SEQ_ADJUST", "SRC_NAT_DONE",
					    "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT"};
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (st & (1u << i))
			off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s",
						off ? "," : "", names[i]);
	}
	if (!off)
		snprintf(buf, len, "-");
}

static const char *hook_name(enum ct_hook h)
{
	static const char *const n[] = {"prerouting", "input", "forward", "output",
					"postrouting"};
	return (unsigned)h < 5 ? n[h] : "?";
}

static void write_verdict(struct replay *r, const struct input *in, uint64_t now,
			  const struct fw_result *res)
{
	char st[160];
	FILE *f = r->verdicts_f;

	status_text(res->ct_status, st, sizeof(st));
	fprintf(f, "%llu %llu.%06llu %s %s", (unsigned long long)r->frames,
		(unsigned long long)(now / 1000000000ull),
		(unsigned long long)(now % 1000000000ull / 1000),
		in->ifindex ? fw_iface_name(r->fw, in->ifindex) : "local",
		fw_outcome_name(res->outcome));
	if (res->outcome == FW_FORWARDED || res->outcome == FW_SENT)
		fprintf(f, " to %s", fw_iface_name(r->fw, res->out_ifindex));
	if (res->outcome == FW_DROPPED)
		fprintf(f, " reason=%s", fw_reason_name(res->reason));
	fprintf(f, " ct=%s status=%s", ctinfo_name(res->ctinfo), st);
	if (res->by_rule && res->table)
		fprintf(f, " rule=%s:%s:%llu \"%s\"", res->table, res->chain,
			(unsigned long long)res->handle, res->rule_text ? res->rule_text : "");
	else if (res->by_policy && res->table)
		fprintf(f, " policy=%s:%s:%s", res->table, res->chain, hook_name(res->hook));
	fputc('\n', f);
}

/* Events, as `conntrack -E -o timestamp` prints them, stamped with packet time. */
static struct replay *event_sink;

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct replay *r = arg;
	struct ct_fmt_opts o = {
		.flags = CT_FMT_TIMESTAMP | CT_FMT_EVENT_KERNEL | (r->fmt_flags & CT_FMT_EXTENDED),
		.now = now,
		.wall_now = now,
		.event = type,
		.event_wall = now,
	};
	char line[2048];

	if (!r->events_f)
		return;
	ct_format_conn(fw_ct(r->fw), c, &o, line, sizeof(line));
	fprintf(r->events_f, "%s\n", line);
}

static void write_table(struct replay *r)
{
	struct ct_table *t = fw_ct(r->fw);
	struct ct_fmt_opts o = {.flags = r->fmt_flags, .now = r->now, .wall_now = r->now};
	struct ct_iter it;
	const struct ct_conn *c;
	char line[4096];

	ct_gc_all(t, r->now);
	if (r->fmt_flags & CT_FMT_XML)
		fputs(ct_format_xml_header(), r->conntrack_f);
	ct_iter_init(&it);
	while ((c = ct_iter_next(t, &it, r->now)) != NULL) {
		ct_format_conn(t, c, &o, line, sizeof(line));
		if (r->fmt_flags & CT_FMT_XML)
			fputs(line, r->conntrack_f);
		else
			fprintf(r->conntrack_f, "%s\n", line);
	}
	if (r->fmt_flags & CT_FMT_XML)
		fputs(ct_format_xml_footer(), r->conntrack_f);
}

/*
 * The expectations left at the end, as `conntrack -L expect -f ipv4` then
 * `-f ipv6` print them (conntrack-tools lists IPv4 only without -f; both
 * families are written here so that nothing is hidden).  -o xml gives the
 * XML listing.
 */
static void write_expect(struct replay *r)
{
	struct ct_table *t = fw_ct(r->fw);
	struct ct_fmt_opts o = {
	    .flags = r->fmt_flags & CT_FMT_XML, .now = r->now, .wall_now = r->now};
	static const uint8_t fams[2] = {2, 10};
	struct ct_expect_iter it;
	const struct ct_expect *e;
	struct ct_expect_info info;
	char line[2048];

	ct_expect_gc(t, r->now);
	if (o.flags & CT_FMT_XML)
		fputs(ct_format_expect_xml_header(), r->expect_f);
	for (int f = 0; f < 2; f++) {
		ct_expect_iter_init(&it);
		while ((e = ct_expect_iter_next(t, &it, r->now)) != NULL) {
			ct_expect_get(t, e, r->now, &info);
			if (info.tuple.l3num != fams[f])
				continue;
			ct_format_expect(t, e, &o, line, sizeof(line));
			if (o.flags & CT_FMT_XML)
				fputs(line, r->expect_f);
			else
				fprintf(r->expect_f, "%s\n", line);
		}
	}
	if (o.flags & CT_FMT_XML)
		fputs(ct_format_expect_xml_footer(), r->expect_f);
}

static void progress(struct replay *r, uint64_t total_hint, struct timespec *t0, bool final)
{
	struct timespec t1;
	double el;

	if (!r->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
	fprintf(stderr, "\r%llu packets  %.0f pkt/s  %u connections%s",
		(unsigned long long)r->frames, el > 0 ? (double)r->frames / el : 0.0,
		ct_table_count(fw_ct(r->fw)), final ? "\n" : "   ");
	(void)total_hint;
}

static void summary(struct replay *r, double secs)
{
	struct fw_stats s;
	uint64_t dropped = 0;

	fw_get_stats(r->fw, &s);
	for (int i = 0; i < FW_R_MAX; i++)
		dropped += s.dropped[i];
	fprintf(stderr,
		"%s: %llu packets in, %llu forwarded, %llu delivered, %llu rejected, "
		"%llu dropped, %llu held; %llu sent by the firewall\n",
		prog, (unsigned long long)s.in, (unsigned long long)s.forwarded,
		(unsigned long long)s.delivered, (unsigned long long)s.rejected,
		(unsigned long long)dropped, (unsigned long long)s.held,
		(unsigned long long)s.generated);
	if (dropped) {
		fprintf(stderr, "%s: dropped:", prog);
		for (int i = 0; i < FW_R_MAX; i++) {
			if (s.dropped[i])
				fprintf(stderr, " %s %llu", fw_reason_name((enum fw_reason)i),
					(unsigned long long)s.dropped[i]);
		}
		fputc('\n', stderr);
	}
	fprintf(stderr, "%s: %llu connections created, peak table %u, final table %u; %.0f packets/s\n",
		prog, (unsigned long long)s.conns_created, s.peak_conns,
		ct_table_count(fw_ct(r->fw)), secs > 0 ? (double)s.in / secs : 0.0);
}

/* ---- main ------------------------------------------------------------- */

enum {
	OPT_IFACE = 256, OPT_ROUTE, OPT_NEIGH, OPT_SET, OPT_IN, OPT_LOCAL, OPT_OUT,
	OPT_CONNTRACK, OPT_EXPECT, OPT_EVENTS, OPT_VERDICTS, OPT_RULESET_OUT, OPT_PROGRESS,
	OPT_NO_PROGRESS,
};

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"file", required_argument, NULL, 'f'},
		{"iface", required_argument, NULL, OPT_IFACE},
		{"route", required_argument, NULL, OPT_ROUTE},
		{"neigh", required_argument, NULL, OPT_NEIGH},
		{"set", required_argument, NULL, OPT_SET},
		{"in", required_argument, NULL, OPT_IN},
		{"local", required_argument, NULL, OPT_LOCAL},
		{"out", required_argument, NULL, OPT_OUT},
		{"conntrack", required_argument, NULL, OPT_CONNTRACK},
		{"output", required_argument, NULL, 'o'},
		{"expect", required_argument, NULL, OPT_EXPECT},
		{"events", required_argument, NULL, OPT_EVENTS},
		{"verdicts", required_argument, NULL, OPT_VERDICTS},
		{"ruleset-out", required_argument, NULL, OPT_RULESET_OUT},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct replay r = {0};
	struct fw_config cfg = {0};
	struct timespec t0, t1;
	int c, prog_opt = -1;
	static uint8_t ethbuf[262144 + 64];

	cfg.ct.max = 262144;
	presize(argc, argv, &cfg.ct);
	cfg.ct.event_fn = on_event;
	cfg.ct.event_arg = &r;
	event_sink = &r;
	if (fw_new(&cfg, &r.fw))
		die("out of memory");
	while ((c = getopt_long(argc, argv, "f:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': r.ruleset_path = optarg; break;
		case 'o': r.fmt_flags = parse_formats(optarg); break;
		case OPT_IFACE: opt_iface(&r, optarg); break;
		case OPT_ROUTE: opt_route(&r, optarg); break;
		case OPT_NEIGH: opt_neigh(&r, optarg); break;
		case OPT_SET: opt_set(&r, optarg); break;
		case OPT_IN: opt_in(&r, optarg, false); break;
		case OPT_LOCAL: opt_in(&r, optarg, true); break;
		case OPT_OUT: opt_out(&r, optarg); break;
		case OPT_CONNTRACK: r.conntrack_path = optarg; break;
		case OPT_EXPECT: r.expect_path = optarg; break;
		case OPT_EVENTS: r.events_path = optarg; break;
		case OPT_VERDICTS: r.verdicts_path = optarg; break;
		case OPT_RULESET_OUT: r.ruleset_out = optarg; break;
		case OPT_PROGRESS: prog_opt = 1; break;
		case OPT_NO_PROGRESS: prog_opt = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!r.ruleset_path)
		die("no ruleset: give -f RULESET");
	if (!r.nin)
		die("no input: give --in IFACE=FILE");
	r.progress = prog_opt >= 0 ? prog_opt : isatty(2);
	load_ruleset(&r);
	open_inputs(&r);
	open_outputs(&r);
	for (size_t i = 0; i < r.nin; i++)
		input_advance(&r.in[i]);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct input *in = NULL;
		struct fw_result res;
		const uint8_t *frame;
		uint32_t len;

		/* Merge by timestamp; ties go to the earlier input on the command line. */
		for (size_t i = 0; i < r.nin; i++) {
			if (r.in[i].have && (!in || r.in[i].ts < in->ts))
				in = &r.in[i];
		}
		if (!in)
			break;
		if (in->ts > r.now)
			r.now = in->ts;
		len = in->hdr->caplen;
		r.frames++;
		if (in->ifindex) {
			frame = to_ethernet(in, fw_iface_mac(r.fw, in->ifindex), in->data, &len,
					    ethbuf, sizeof(ethbuf));
			/* A frame that cannot be framed is a counted malformed drop. */
			fw_input(r.fw, in->ifindex, frame ? frame : in->data, frame ? len : 0, r.now,
				 &res);
		} else {
			bool eth = in->dlt == DLT_EN10MB;

			frame = eth ? in->data : to_ethernet(in, NULL, in->data, &len, ethbuf,
							     sizeof(ethbuf));
			if (frame && !eth) {
				frame += 14;
				len -= 14;
			}
			fw_local(r.fw, frame ? frame : in->data, frame ? len : 0, eth, r.now, &res);
		}
		write_frames(&r, &res, r.now);
		if (r.verdicts_f)
			write_verdict(&r, in, r.now, &res);
		if ((r.frames & 1023) == 0) {
			fw_tick(r.fw, r.now);
			if ((r.frames & 0xffff) == 0)
				progress(&r, 0, &t0, false);
		}
		input_advance(in);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	progress(&r, 0, &t0, true);
	write_table(&r);
	if (r.expect_f)
		write_expect(&r);
	if (r.ruleset_out) {
		char *txt = NULL;
		FILE *f = open_out(r.ruleset_out);

		if (nft_ruleset_list(r.rs, 0, &txt) == 0 && txt)
			fputs(txt, f);
		free(txt);
		if (f != stdout)
			fclose(f);
	}
	summary(&r, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (size_t i = 0; i < r.nout; i++) {
		pcap_dump_close(r.out[i].dump);
		pcap_close(r.out[i].dead);
		free(r.out[i].arg);
	}
	for (size_t i = 0; i < r.nin; i++) {
		pcap_close(r.in[i].pc);
		free(r.in[i].arg);
	}
	if (r.conntrack_f != stdout)
		fclose(r.conntrack_f);
	if (r.events_f && r.events_f != stdout)
		fclose(r.events_f);
	if (r.verdicts_f && r.verdicts_f != stdout)
		fclose(r.verdicts_f);
	if (r.expect_f && r.expect_f != stdout)
		fclose(r.expect_f);
	nft_ruleset_free(r.rs);
	fw_free(r.fw);
	return 0;
}
