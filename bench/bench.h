/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: the reference workloads of ../shared/bench/README.md.
 *
 * Packets are loaded (pcap) or generated in memory and parsed up front; only
 * the tracking calls (ct_hook_conntrack + ct_confirm, packets handed over in
 * batches of 32) are timed.  Each workload runs a few times on a fresh table
 * and the median is printed, beside a `limit` figure: one random read per
 * packet, batched, over an array as large as the table's resident footprint.
 */
#ifndef CTRACK_BENCH_H
#define CTRACK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrack/ct.h"
#include "ctrack/pkt.h"

#define BENCH_BATCH 32

/*
 * A packet stream held in memory.  Packet i of a run is
 * pkts[i % npkts] at time ts[i] (or t0 + i * step_ns when ts is NULL), so a
 * short array can stand for a long stream of copies (udp-1flow).  npkts is a
 * multiple of BENCH_BATCH whenever the stream is longer than the array.
 */
struct bench_stream {
	uint8_t *frames;      /* owned: the frames the packets borrow */
	struct ct_pkt *pkts;  /* owned: parsed packets */
	uint64_t *ts;         /* owned, may be NULL: per-packet time, ns */
	size_t npkts;
	uint64_t t0;
	uint64_t step_ns;
};

void bench_stream_free(struct bench_stream *s);

/* Load a classic pcap and parse every frame.  0 or -errno (message printed). */
int bench_load_pcap(const char *path, struct bench_stream *out);

/* One 42-byte UDP frame 10.1.1.1:1 -> 10.1.1.2:2, BENCH_BATCH parsed copies. */
int bench_gen_udp_1flow(struct bench_stream *out);
/* n UDP flows 10.0.0.(i / 50000):(1024 + i % 50000) -> 192.168.0.1:53. */
int bench_gen_udp_flows(size_t n, struct bench_stream *out);

/*
 * n IPv6 TCP handshakes (SYN, SYN/ACK, ACK; phase by phase, 3 n packets)
 * 2001:db8::i:(1024 + i % 60000) -> 2001:db8:1::1:80, valid checksums.
 */
int bench_gen_tcp6_handshakes(size_t n, struct bench_stream *out);

/*
 * Connection i of the scale workloads (the addressing of gen_tcp_pcap.py):
 * 10.<i>>16>.<i>>8>.<i>:(1024 + i % 60000) -> 172.16.<i % 256>.1:80, TCP.
 */
void bench_tcp4_conn_tuple(size_t i, struct ct_tuple *tu);
/*
 * m pure ACKs, each on a connection drawn at random among nconns, in a
 * random direction, with the sequence numbers of gen_tcp_pcap.py after the
 * handshake; *n_orig counts the client-to-server ones.
 */
int bench_gen_tcp4_acks(size_t nconns, size_t m, struct bench_stream *out, size_t *n_orig);

/* Classification of the tracked packets. */
struct bench_counts {
	uint64_t new_;       /* ctinfo NEW */
	uint64_t est_orig;   /* ctinfo ESTABLISHED */
	uint64_t est_reply;  /* ctinfo ESTABLISHED_REPLY */
	uint64_t related;    /* RELATED, RELATED_REPLY */
	uint64_t invalid;    /* INVALID */
	uint64_t untracked;  /* UNTRACKED */
	uint64_t created;    /* packets that created an (unconfirmed) entry */
	uint64_t drop;       /* ct_hook_conntrack verdict -EPERM */
	uint64_t confirm_fail; /* ct_confirm verdict -EPERM */
};

void bench_counts_add(struct bench_counts *acc, const struct bench_counts *c);
/* Print the counts on one line; returns true when they equal *expect. */
bool bench_counts_check(const char *label, const struct bench_counts *got,
			const struct bench_counts *expect);

/*
 * Track packets [first, first + n) of the stream (time offset by
 * time_base) and add the classification to *counts.  Packets go through
 * ct_track_batch BENCH_BATCH at a time (the time of a batch is its first
 * packet's), or with -P (bench_per_packet) through ct_hook_conntrack +
 * ct_confirm one by one at each packet's own time.  Returns the elapsed
 * ns of the tracking loop alone.  With `parse`, each packet is parsed again
 * inside the timed loop (the figure comparable to OVS, which extracts the
 * key inside conntrack_execute).
 */
extern bool bench_per_packet; /* -P */
uint64_t bench_track(struct ct_table *t, const struct bench_stream *s, size_t first, size_t n,
		     uint64_t time_base, bool parse, struct bench_counts *counts);

/*
 * The limit figure: ns per read of `nreads` random 64-byte lines of an
 * array of `bytes` bytes, the reads issued BENCH_BATCH at a time.
 * Median of `runs`.  `huge`: the array asks for 2 MiB pages (MADV_HUGEPAGE).
 */
double bench_limit_ns(size_t bytes, size_t nreads, int runs, bool huge);
/*
 * ns per packet of what any lookup in this table's layout must read: one
 * random index line plus one random entry of esize bytes (2-3 lines), over
 * an array of `bytes`, BENCH_BATCH packets in flight.
 */
double bench_limit_entry_ns(size_t bytes, size_t esize, size_t nreads, int runs);
/* The same with the reads and the array split over nthreads threads (CPUs 0..). */
double bench_limit_par_ns(size_t bytes, size_t nreads, int nthreads);

/*
 * Sharding over threads (bench/threads.c): split a stream by a hash that is
 * the same for both directions of a flow; run each shard on its own thread
 * (CPU k) and table.  bench_shard_run returns the slowest shard's ns.
 */
int bench_shard_split(const struct bench_stream *s, int nshards, struct bench_stream *out);
uint64_t bench_shard_run(struct bench_stream *shards, struct ct_table **tables, int nshards,
			 size_t first_pass, size_t passes, struct bench_counts *counts);

/* Issue 8's further figures (bench/extra.c). */
#define BENCH_SCALE_MAX 8
struct bench_scale_point {
	size_t conns;
	double ns;       /* ns per packet, median */
	double limit_ns; /* limit figure over the same footprint */
	size_t footprint;
};
struct bench_extra {
	struct bench_scale_point scale[BENCH_SCALE_MAX];
	int nscale;
	bool expiry_have;
	double exp_p50_ns, exp_p99_ns, exp_p999_ns, exp_worst_ns, exp_gc_all_ms;
	bool m10_have;
	uint32_t m10_count;
	double m10_create_ns, m10_lookup_ns, m10_expire_ns, m10_bytes;
	bool mismatch;
};
int bench_scale(const size_t *sizes, int nsizes, int runs, struct bench_extra *r);
int bench_expiry(struct bench_extra *r);
int bench_10m(int runs, struct bench_extra *r);

/* System helpers (bench/sys.c). */
uint64_t bench_now_ns(void);  /* CLOCK_MONOTONIC */
size_t bench_rss_bytes(void); /* resident set size from /proc/self/statm */
void bench_print_machine(void);
/* Other work on the CPUs now, in percent (0.5 s sample); above BENCH_BUSY_PCT, warn. */
#define BENCH_BUSY_PCT 20
double bench_busy_pct(void);
/* CPU time marks, to tell how much other work ran during a workload. */
struct bench_cpu_mark {
	unsigned long long busy, total; /* all CPUs, jiffies */
	uint64_t self_ns;               /* this process */
};
void bench_cpu_mark(struct bench_cpu_mark *m);
double bench_other_pct(const struct bench_cpu_mark *a, const struct bench_cpu_mark *b);
void bench_print_busy(const char *when, double busy);
int bench_pin_cpu(int cpu);
double bench_median(double *v, int n); /* sorts v */

#endif
