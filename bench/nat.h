/* SPDX-License-Identifier: MIT */
/* ctrack-bench: NAT workloads (bench/nat.c, issue 5). */
#ifndef CTRACK_BENCH_NAT_H
#define CTRACK_BENCH_NAT_H

#include <stdbool.h>
#include <stdint.h>

struct bench_nat_results {
	bool have_masq, have_snat, mismatch;
	double plain_ns, masq_ns;  /* tcp-100k per packet, without NAT / through masquerade */
	double snat_empty_ns, snat90_ns; /* per new connection */
	uint64_t snat90_worst_ns, snat_full_worst_ns;
	uint64_t snat90_p999_ns, snat_full_p999_ns; /* 99.9th percentile */
};

/* nat-masq and nat-snat90: 0, or -1 on a set-up error (message printed). */
int bench_nat_run(const char *dir, int runs, struct bench_nat_results *res);
/* The summary lines. */
void bench_nat_summary(const struct bench_nat_results *r);

#endif
