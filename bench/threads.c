/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: scaling over threads (issue 8).  A struct ct_table is owned
 * by one thread, so the way to use two cores is RSS-style sharding: each
 * packet goes to the shard chosen by a hash that is the same for both
 * directions of a flow (the library's ct_pkt_shard_hash), and each shard
 * has its own table.  The packets are split up front (as a NIC's RSS
 * would); the threads start together on a barrier and the rate is all
 * packets over the slowest thread's time.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct shard {
	pthread_t th;
	pthread_barrier_t *bar;
	struct bench_stream s; /* pkts owned; frames borrowed */
	struct ct_table *t;
	size_t first, n;
	int cpu;
	uint64_t ns;
	struct bench_counts c;
};

static void *shard_main(void *arg)
{
	struct shard *sh = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sh->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(sh->bar);
	sh->ns = bench_track(sh->t, &sh->s, sh->first, sh->n, 0, false, &sh->c);
	return NULL;
}

int bench_shard_split(const struct bench_stream *s, int nshards, struct bench_stream *out)
{
	for (int k = 0; k < nshards; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		out[k].pkts = malloc(s->npkts * sizeof(*s->pkts));
		if (!out[k].pkts)
			return -1;
		out[k].t0 = s->t0;
		out[k].step_ns = s->step_ns;
	}
	for (size_t i = 0; i < s->npkts; i++) {
		/* The library's RSS-style hash: the same for both directions of a flow. */
		struct bench_stream *o = &out[ct_pkt_shard_hash(&s->pkts[i], true) % (uint32_t)nshards];

		o->pkts[o->npkts++] = s->pkts[i];
	}
	return 0;
}

/*
 * Run packets [first, first + n_each_pass * passes) of each shard's stream
 * (generated streams: they wrap) on its own thread and table; returns the
 * wall ns (the slowest shard) and adds the counts.
 */
uint64_t bench_shard_run(struct bench_stream *shards, struct ct_table **tables, int nshards,
			 size_t first_pass, size_t passes, struct bench_counts *counts)
{
	struct shard sh[8];
	pthread_barrier_t bar;
	uint64_t worst = 0;

	if (nshards > 8)
		return 0;
	pthread_barrier_init(&bar, NULL, (unsigned)nshards);
	for (int k = 0; k < nshards; k++) {
		memset(&sh[k], 0, sizeof(sh[k]));
		sh[k].bar = &bar;
		sh[k].s = shards[k];
		sh[k].t = tables[k];
		sh[k].first = first_pass * shards[k].npkts;
		sh[k].n = passes * shards[k].npkts;
		sh[k].cpu = k;
		pthread_create(&sh[k].th, NULL, shard_main, &sh[k]);
	}
	for (int k = 0; k < nshards; k++) {
		pthread_join(sh[k].th, NULL);
		worst = sh[k].ns > worst ? sh[k].ns : worst;
		bench_counts_add(counts, &sh[k].c);
	}
	pthread_barrier_destroy(&bar);
	return worst;
}
