/* SPDX-License-Identifier: MIT */
/*
 * Differential driver for tests/helpers/helpers_diff.py: replay a pcap through
 * libctrack with helper assignment rules (tcp dport 21 -> ftp, udp dport 69 ->
 * tftp), print the per-packet verdict, conntrack -L -o extended lines and
 * conntrack -L expect lines.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctrack/ct.h"
#include "ctrack/pkt.h"
#include "ctrack/format.h"
#include "ctrack/expect.h"

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE], line[1024];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct ct_table *t;
	struct ct_table_config cfg = {.max = 65536};
	uint64_t now = 0, listnow = argc == 3 ? strtoull(argv[2], NULL, 10) : 0;
	pcap_t *pc =
	    argc == 3
		? pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err)
		: NULL;
	int n = 0;
	static uint8_t buf[70000];

	if (argc != 3) {
		fprintf(stderr, "usage: helpers_drv PCAP LIST_TIME_NS\n");
		return 2;
	}
	if (!pc || ct_table_new(&cfg, &t))
		return 1;
	ct_setting_set(t, "nf_conntrack_acct", "1");
	while (pcap_next_ex(pc, &h, &d) == 1) {
		struct ct_pkt p;
		int r;

		n++;
		now = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		memcpy(buf, d, h->caplen);
		if (ct_pkt_parse(&p, buf, h->caplen, CT_LINK_ETHERNET) != CT_PARSE_OK) {
			printf("%d parse\n", n);
			continue;
		}
		r = ct_hook_conntrack(t, &p, CT_HOOK_PREROUTING, now);
		if (r) {
			printf("%d drop ct\n", n);
			continue;
		}
		if (p.ct_new && p.ctinfo != CT_INFO_RELATED) {
			if (p.proto == 6 && p.tuple.dst_l4 == 21)
				ct_conn_set_helper(t, p.ct, "ftp", 6);
			if (p.proto == 17 && p.tuple.dst_l4 == 69)
				ct_conn_set_helper(t, p.ct, "tftp", 17);
		}
		if (p.ctinfo == CT_INFO_INVALID) {
			ct_pkt_release(t, &p);
			printf("%d drop invalid\n", n);
			continue;
		}
		r = ct_confirm(t, &p, now);
		printf("%d %s ctinfo=%u\n", n, r ? "drop helper" : "forward", p.ctinfo);
	}
	{
		struct ct_iter it;
		const struct ct_conn *c;
		struct ct_fmt_opts o = {
		    .flags = CT_FMT_EXTENDED | CT_FMT_ACCT, .now = listnow, .wall_now = listnow};
		struct ct_expect_iter ei;
		const struct ct_expect *e;

		ct_iter_init(&it);
		while ((c = ct_iter_next(t, &it, listnow))) {
			ct_format_conn(t, c, &o, line, sizeof(line));
			printf("CT %s\n", line);
		}
		o.flags = 0;
		ct_expect_iter_init(&ei);
		while ((e = ct_expect_iter_next(t, &ei, listnow))) {
			ct_format_expect(t, e, &o, line, sizeof(line));
			printf("EXP %s\n", line);
		}
	}
	return 0;
}
