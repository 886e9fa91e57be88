/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: the `limit` figure.  A tracker must touch at least one cache
 * line of its table per packet that it cannot predict, so the cost of one
 * random read over an array as large as the table's resident footprint,
 * with BENCH_BATCH reads in flight at once (as a batch with prefetching could
 * have), is the floor against which the tracker's ns per packet is read.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#define LINE 64u

/* xorshift64*: cheap and good enough to defeat the prefetchers. */
static inline uint64_t next_rand(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

/* The loads' sum goes here so that the compiler must perform them. */
static volatile uint64_t limit_sink;

static uint64_t limit_once(const uint8_t *a, uint64_t nlines, size_t nreads, uint64_t seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ull ^ seed, sum = 0, t0, t1;
	size_t i = 0;

	t0 = bench_now_ns();
	while (i < nreads) {
		uint64_t idx[BENCH_BATCH];

		/* Addresses first, then the loads: they do not depend on each other. */
		for (unsigned j = 0; j < BENCH_BATCH; j++)
			idx[j] = (uint64_t)(((next_rand(&x) >> 32) * nlines) >> 32);
		for (unsigned j = 0; j < BENCH_BATCH; j++)
			sum += a[idx[j] * LINE];
		i += BENCH_BATCH;
	}
	t1 = bench_now_ns();
	limit_sink += sum;
	return t1 - t0;
}

/*
 * The table's own minimum per packet: one random index line (the bucket)
 * and one random IPv4 entry of `esize` bytes at an entry boundary (two
 * lines, three for some sizes), independent, BENCH_BATCH packets in flight.
 */
static uint64_t limit_entry_once(const uint8_t *a, uint64_t nlines, size_t esize, size_t nreads)
{
	uint64_t x = 0x2545f4914f6cdd1dull, sum = 0, t0, t1;
	uint64_t nent = nlines * LINE / esize;
	size_t i = 0;

	t0 = bench_now_ns();
	while (i < nreads) {
		uint64_t bk[BENCH_BATCH], en[BENCH_BATCH];

		for (unsigned j = 0; j < BENCH_BATCH; j++) {
			bk[j] = (uint64_t)(((next_rand(&x) >> 32) * nlines) >> 32) * LINE;
			en[j] = (uint64_t)(((next_rand(&x) >> 32) * nent) >> 32) * esize;
		}
		for (unsigned j = 0; j < BENCH_BATCH; j++)
			sum += a[bk[j]] + a[en[j]] + a[en[j] + esize - 1];
		i += BENCH_BATCH;
	}
	t1 = bench_now_ns();
	limit_sink += sum;
	return t1 - t0;
}

double bench_limit_entry_ns(size_t bytes, size_t esize, size_t nreads, int runs)
{
	double v[16];
	uint64_t nlines;
	uint8_t *a = NULL;

	if (bytes < 4 * LINE)
		bytes = 4 * LINE;
	nlines = bytes / LINE;
	if (nlines > UINT32_MAX)
		nlines = UINT32_MAX;
	if (posix_memalign((void **)&a, 4096u, nlines * LINE))
		return 0;
	for (uint64_t i = 0; i < nlines; i++)
		memset(a + i * LINE, (int)(i & 0xff), LINE);
	nreads = (nreads + BENCH_BATCH - 1) / BENCH_BATCH * BENCH_BATCH;
	if (runs > 16)
		runs = 16;
	limit_entry_once(a, nlines, esize, nreads < 100000 ? nreads : 100000);
	for (int r = 0; r < runs; r++)
		v[r] = (double)limit_entry_once(a, nlines, esize, nreads) / (double)nreads;
	free(a);
	return bench_median(v, runs);
}

double bench_limit_ns(size_t bytes, size_t nreads, int runs, bool huge)
{
	double v[16];
	uint64_t nlines;
	uint8_t *a = NULL;

	if (bytes < LINE)
		bytes = LINE;
	nlines = bytes / LINE;
	if (nlines > UINT32_MAX)
		nlines = UINT32_MAX;
	/*
	 * 2 MiB pages where the kernel gives them on request (THP "madvise"):
	 * the floor for a table that asked for them too.
	 */
	if (posix_memalign((void **)&a, huge ? 2u << 20 : 4096u, nlines * LINE))
		return 0;
	if (huge)
		madvise(a, nlines * LINE, MADV_HUGEPAGE);
	/* Make every page resident and distinct, as the table's pages are. */
	for (uint64_t i = 0; i < nlines; i++)
		memset(a + i * LINE, (int)(i & 0xff), LINE);
	nreads = (nreads + BENCH_BATCH - 1) / BENCH_BATCH * BENCH_BATCH;
	if (runs > 16)
		runs = 16;
	limit_once(a, nlines, nreads < 100000 ? nreads : 100000, 0); /* warm the TLB */
	for (int r = 0; r < runs; r++)
		v[r] = (double)limit_once(a, nlines, nreads, 0) / (double)nreads;
	free(a);
	return bench_median(v, runs);
}

struct limit_thread {
	pthread_t th;
	pthread_barrier_t *bar;
	size_t bytes, nreads;
	int cpu;
	uint64_t ns;
};

static void *limit_thread_main(void *arg)
{
	struct limit_thread *lt = arg;
	uint64_t nlines = lt->bytes / LINE;
	cpu_set_t set;
	uint8_t *a;

	CPU_ZERO(&set);
	CPU_SET(lt->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	a = malloc(nlines * LINE);
	if (a) {
		memset(a, 1, nlines * LINE);
		limit_once(a, nlines, 100000, (uint64_t)lt->cpu);
	}
	pthread_barrier_wait(lt->bar);
	if (a)
		lt->ns = limit_once(a, nlines, lt->nreads, (uint64_t)lt->cpu);
	free(a);
	return NULL;
}

/*
 * The machine's own scaling: `nthreads` threads (CPUs 0..n-1) each reading
 * nreads / nthreads random lines of its own array of bytes / nthreads, as
 * shards of one table would.  Returns ns per read over all threads.
 */
double bench_limit_par_ns(size_t bytes, size_t nreads, int nthreads)
{
	struct limit_thread lt[8];
	pthread_barrier_t bar;
	uint64_t worst = 0;

	if (nthreads < 1 || nthreads > 8 || bytes / (size_t)nthreads < LINE)
		return 0;
	pthread_barrier_init(&bar, NULL, (unsigned)nthreads);
	for (int k = 0; k < nthreads; k++) {
		lt[k].bar = &bar;
		lt[k].bytes = bytes / (size_t)nthreads;
		lt[k].nreads = (nreads / (size_t)nthreads + BENCH_BATCH - 1) / BENCH_BATCH * BENCH_BATCH;
		lt[k].cpu = k;
		lt[k].ns = 0;
		pthread_create(&lt[k].th, NULL, limit_thread_main, &lt[k]);
	}
	for (int k = 0; k < nthreads; k++) {
		pthread_join(lt[k].th, NULL);
		worst = lt[k].ns > worst ? lt[k].ns : worst;
	}
	pthread_barrier_destroy(&bar);
	return (double)worst / (double)nreads;
}
