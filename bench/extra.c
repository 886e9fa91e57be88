/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: the further figures issue 8 asks for.
 * - scale: ns per packet of established TCP traffic as the table grows
 *   (1 K .. 1 M connections; 10 M with the `10m` workload).
 * - expiry: 1 M connections time out at once while packets keep flowing;
 *   the per-batch latency shows whether expiry stalls packet processing.
 * - 10m: 10 M connections created, looked up and expired, with memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MIB (1024.0 * 1024.0)
#define SCALE_PKTS 1000000u

static int new_table(uint32_t max, struct ct_table **t)
{
	struct ct_table_config cfg = {.max = max};
	int rc = ct_table_new(&cfg, t);

	if (rc)
		fprintf(stderr, "bench: ct_table_new(max %u): %s\n", max, strerror(-rc));
	return rc;
}

/*
 * Fill a table with n ESTABLISHED, ASSURED TCP connections the way a
 * control plane would (conntrack -I): no window data, so each direction's
 * first packet initialises it, as the kernel does for such entries.
 */
static int insert_established(struct ct_table *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ct_conn_spec spec;
		int rc;

		memset(&spec, 0, sizeof(spec));
		bench_tcp4_conn_tuple(i, &spec.orig);
		spec.status = CT_S_ASSURED | CT_S_SEEN_REPLY;
		spec.timeout_s = 432000;
		spec.proto_state = CT_TCP_ESTABLISHED;
		rc = ct_conn_insert(t, &spec, 0, NULL);
		if (rc) {
			fprintf(stderr, "bench: ct_conn_insert #%zu: %s\n", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* One point of the scale curve; returns 0 or -1 (set-up error). */
static int scale_point(size_t n, int runs, struct bench_scale_point *pt, bool *ok)
{
	size_t n_orig, rss0;
	uint32_t max = n * 2 < 1024 ? 1024 : (uint32_t)(n * 2);
	struct bench_counts warm = {0}, expect = {0};
	struct bench_stream s;
	struct ct_table *t;
	double ns[16];

	if (bench_gen_tcp4_acks(n, SCALE_PKTS, &s, &n_orig))
		return -1;
	expect.est_orig = n_orig;
	expect.est_reply = SCALE_PKTS - n_orig;
	rss0 = bench_rss_bytes();
	if (new_table(max, &t) || insert_established(t, n)) {
		bench_stream_free(&s);
		return -1;
	}
	/* The first pass initialises each direction's window: not timed. */
	bench_track(t, &s, 0, SCALE_PKTS, 0, false, &warm);
	if (memcmp(&warm, &expect, sizeof(warm)) != 0)
		*ok &= bench_counts_check("warm-up", &warm, &expect);
	for (int r = 0; r < runs; r++) {
		struct bench_counts c = {0};
		uint64_t base = (uint64_t)(r + 1) * (SCALE_PKTS + 1) * s.step_ns;

		ns[r] = (double)bench_track(t, &s, 0, SCALE_PKTS, base, false, &c) / SCALE_PKTS;
		if (memcmp(&c, &expect, sizeof(c)) != 0)
			*ok &= bench_counts_check("counts", &c, &expect);
	}
	pt->footprint = bench_rss_bytes() - rss0;
	ct_table_free(t);
	bench_stream_free(&s);
	pt->conns = n;
	pt->ns = bench_median(ns, runs);
	pt->limit_ns = bench_limit_ns(pt->footprint, SCALE_PKTS, 3, false);
	printf("  %10zu %9.1f %8.2f %10.1f %9.1f %10.1f\n", n, pt->ns, 1e3 / pt->ns, pt->limit_ns,
	       pt->ns / pt->limit_ns, (double)pt->footprint / MIB);
	return 0;
}

static void scale_header(void)
{
	printf("  %10s %9s %8s %10s %9s %10s\n", "conns", "ns/pkt", "Mpps", "limit ns", "x limit",
	       "MiB");
}

int bench_scale(const size_t *sizes, int nsizes, int runs, struct bench_extra *r)
{
	bool ok = true;

	printf("\nscale: established TCP, %u pure ACKs per pass on connections drawn at random "
	       "(inserted ESTABLISHED with ct_conn_insert; a warm-up pass, then the median of %d)\n",
	       SCALE_PKTS, runs);
	scale_header();
	for (int i = 0; i < nsizes && r->nscale < BENCH_SCALE_MAX; i++) {
		if (scale_point(sizes[i], runs, &r->scale[r->nscale], &ok))
			return -1;
		r->nscale++;
	}
	if (!ok)
		r->mismatch = true;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * expiry: 1 M UDP flows are created at 1-2 s; one live flow then sends a
 * packet every 10 us until 40 s, so the million expire (at 31-32 s) while
 * it flows.  After each batch of 32 live packets the application runs
 * ct_gc with a budget of 64 slots, as a datapath would.  Each batch (32
 * packets + the GC call) is timed; the worst and the percentiles show
 * whether expiry stalls packet processing.
 */
#define EXP_FLOWS 1000000u
#define EXP_GC_BUDGET 64
#define EXP_STEP_NS 10000ull
#define EXP_END_NS (40ull * CT_NSEC_PER_SEC)

int bench_expiry(struct bench_extra *r)
{
	struct bench_stream flows, live;
	struct bench_counts c = {0}, lc = {0};
	uint64_t *lat, now, t_start, done_at = 0, gc_all_ns;
	size_t nb, nbase, nexp, b, reaped = 0;
	struct ct_table *t;
	int rc = -1;

	printf("\nexpiry: %u UDP flows expire together (31-32 s) while one live flow sends a packet "
	       "every 10 us; after each batch of 32, ct_gc(budget %d)\n",
	       EXP_FLOWS, EXP_GC_BUDGET);
	if (bench_gen_udp_flows(EXP_FLOWS, &flows))
		return -1;
	if (bench_gen_udp_1flow(&live)) {
		bench_stream_free(&flows);
		return -1;
	}
	t_start = flows.t0 + EXP_FLOWS * flows.step_ns; /* creation ends at ~1 s: live starts */
	nb = (size_t)((EXP_END_NS - t_start) / (EXP_STEP_NS * BENCH_BATCH));
	lat = malloc(nb * sizeof(*lat));
	if (!lat || new_table(2 * EXP_FLOWS, &t))
		goto out;
	/* Creation at 1 us per packet, from 1 us: 1 M flows by ~1 s. */
	bench_track(t, &flows, 0, EXP_FLOWS, 0, false, &c);
	for (b = 0; b < nb; b++) {
		uint64_t t0, t1;

		/* Live packets 10 us apart: stream time is t0 + i * step_ns. */
		live.t0 = t_start + b * BENCH_BATCH * EXP_STEP_NS;
		live.step_ns = EXP_STEP_NS;
		now = live.t0 + (BENCH_BATCH - 1) * EXP_STEP_NS;
		t0 = bench_now_ns();
		bench_track(t, &live, 0, BENCH_BATCH, 0, false, &lc);
		reaped += ct_gc(t, now, EXP_GC_BUDGET);
		t1 = bench_now_ns();
		lat[b] = t1 - t0;
		if (!done_at && ct_table_count(t) <= 1)
			done_at = now;
	}
	ct_table_free(t);

	/* ct_gc_all on the same population, for contrast: one call, one stall. */
	if (new_table(2 * EXP_FLOWS, &t))
		goto out;
	{
		struct bench_counts c2 = {0};
		uint64_t t0;

		bench_track(t, &flows, 0, EXP_FLOWS, 0, false, &c2);
		t0 = bench_now_ns();
		ct_gc_all(t, EXP_END_NS);
		gc_all_ns = bench_now_ns() - t0;
	}
	ct_table_free(t);

	/*
	 * Batches before the first expiry (31 s) are the baseline: a worst case
	 * there too is the machine (preemption), not the tracker.
	 */
	nbase = (size_t)((31 * CT_NSEC_PER_SEC - t_start) / (EXP_STEP_NS * BENCH_BATCH));
	nexp = nb - nbase;
	qsort(lat, nbase, sizeof(*lat), cmp_u64);
	qsort(lat + nbase, nexp, sizeof(*lat), cmp_u64);
	r->expiry_have = true;
	r->exp_p50_ns = (double)lat[nbase + nexp / 2];
	r->exp_p99_ns = (double)lat[nbase + nexp * 99 / 100];
	r->exp_p999_ns = (double)lat[nbase + nexp * 999 / 1000];
	r->exp_worst_ns = (double)lat[nb - 1];
	r->exp_gc_all_ms = (double)gc_all_ns / 1e6;
	printf("  before    %zu batches of 32 live packets + ct_gc(%d), 1-31 s: p50 %.1f us, "
	       "p99 %.1f us, p99.9 %.1f us, worst %.1f us\n",
	       nbase, EXP_GC_BUDGET, (double)lat[nbase / 2] / 1e3,
	       (double)lat[nbase * 99 / 100] / 1e3, (double)lat[nbase * 999 / 1000] / 1e3,
	       (double)lat[nbase - 1] / 1e3);
	printf("  expiring  %zu batches, 31-40 s: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, "
	       "worst %.1f us\n",
	       nexp, r->exp_p50_ns / 1e3, r->exp_p99_ns / 1e3, r->exp_p999_ns / 1e3,
	       r->exp_worst_ns / 1e3);
	printf("  reaped    %zu by ct_gc; all gone at %.2f s of packet time (expiry 31-32 s)\n",
	       reaped, done_at ? (double)done_at / 1e9 : -1.0);
	printf("  gc-all    ct_gc_all reaping the same %u at once: %.1f ms (%.0f ns per entry): "
	       "the stall a single sweep would cause\n",
	       EXP_FLOWS, r->exp_gc_all_ms, (double)gc_all_ns / EXP_FLOWS);
	{
		struct bench_counts e1 = {.new_ = EXP_FLOWS, .created = EXP_FLOWS};
		struct bench_counts e2 = {.new_ = nb * BENCH_BATCH, .created = 1};

		if (memcmp(&c, &e1, sizeof(c)) != 0)
			r->mismatch |= !bench_counts_check("flows", &c, &e1);
		if (memcmp(&lc, &e2, sizeof(lc)) != 0)
			r->mismatch |= !bench_counts_check("live", &lc, &e2);
		if (reaped != EXP_FLOWS || !done_at) {
			printf("  expected  %u reaped by ct_gc before the end  *** MISMATCH ***\n",
			       EXP_FLOWS);
			r->mismatch = true;
		}
	}
	rc = 0;
out:
	free(lat);
	bench_stream_free(&flows);
	bench_stream_free(&live);
	return rc;
}

/*
 * 10m: 10 M UDP flows created (connections per second), looked up once
 * (packets per second), resident bytes per connection, then expired with
 * ct_gc_all (ns per entry); and the scale curve's 10 M point.
 */
int bench_10m(int runs, struct bench_extra *r)
{
	const size_t n = 10000000;
	const size_t sizes[1] = {10000000};
	struct bench_counts c1 = {0}, c2 = {0};
	struct bench_counts e1 = {.new_ = n, .created = n}, e2 = {.new_ = n};
	struct bench_stream s;
	struct ct_table *t;
	size_t rss0, rss1, reaped;
	uint64_t tc, tl, te;

	printf("\n10m: %zu UDP flows 10.0.0.(i/50000):(1024+i%%50000) -> 192.168.0.1:53 created, "
	       "looked up once, expired with ct_gc_all; max %zu\n", n, 2 * n);
	if (bench_gen_udp_flows(n, &s))
		return -1;
	rss0 = bench_rss_bytes();
	if (new_table(2 * n, &t)) {
		bench_stream_free(&s);
		return -1;
	}
	tc = bench_track(t, &s, 0, n, 0, false, &c1);
	tl = bench_track(t, &s, n, n, 0, false, &c2);
	rss1 = bench_rss_bytes();
	r->m10_count = ct_table_count(t);
	te = bench_now_ns();
	reaped = ct_gc_all(t, 2 * n * s.step_ns + 31 * CT_NSEC_PER_SEC);
	te = bench_now_ns() - te;
	if (ct_table_count(t) != 0 || reaped != n) {
		printf("  expire    %zu reaped, %u left  *** MISMATCH ***\n", reaped,
		       ct_table_count(t));
		r->mismatch = true;
	}
	ct_table_free(t);
	bench_stream_free(&s);
	r->m10_have = true;
	r->m10_create_ns = (double)tc / n;
	r->m10_lookup_ns = (double)tl / n;
	r->m10_expire_ns = (double)te / n;
	r->m10_bytes = r->m10_count ? (double)(rss1 - rss0) / r->m10_count : 0;
	if (memcmp(&c1, &e1, sizeof(c1)) || r->m10_count != n)
		r->mismatch |= !bench_counts_check("create", &c1, &e1);
	if (memcmp(&c2, &e2, sizeof(c2)))
		r->mismatch |= !bench_counts_check("lookup", &c2, &e2);
	printf("  create    %7.2f M/s    %8.1f ns/conn\n", 1e3 / r->m10_create_ns, r->m10_create_ns);
	printf("  lookup    %7.2f Mpps   %8.1f ns/pkt\n", 1e3 / r->m10_lookup_ns, r->m10_lookup_ns);
	printf("  expire    %7.2f M/s    %8.1f ns/conn (ct_gc_all)\n", 1e3 / r->m10_expire_ns,
	       r->m10_expire_ns);
	printf("  memory    %7.1f bytes/conn  (%.1f MiB resident for %u entries, table of max %zu)\n",
	       r->m10_bytes, (double)(rss1 - rss0) / MIB, r->m10_count, 2 * n);
	return bench_scale(sizes, 1, runs, r);
}
