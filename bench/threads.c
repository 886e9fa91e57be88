/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: scaling over threads (issue 8).  A struct ct_table is owned
 * by one thread, so the way to use two cores is RSS-style sharding: each
 * packet goes to the shard chosen by a hash that is the same for both
 * directions of a flow, and each shard has its own table.  The packets are
 * split up front (as a NIC's RSS would); the threads start together on a
 * barrier and the rate is all packets over the slowest thread's time.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* The same value for a tuple and its inverse: order the two endpoints. */
static uint32_t symmetric_hash(const struct ct_tuple *tu)
{
	uint32_t a = 0, b = 0, h;

	for (int i = 0; i < 16; i += 4) {
		uint32_t x, y;

		memcpy(&x, tu->src + i, 4);
		memcpy(&y, tu->dst + i, 4);
		a = a * 31 + x;
		b = b * 31 + y;
	}
	a = a * 65599 + tu->src_l4;
	b = b * 65599 + tu->dst_l4;
	h = (a < b ? a : b) * 0x9e3779b1u ^ (a < b ? b : a);
	h ^= h >> 15;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h ^ tu->proto;
}

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
		struct bench_stream *o = &out[symmetric_hash(&s->pkts[i].tuple) % (uint32_t)nshards];

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
