/* SPDX-License-Identifier: MIT */
/*
 * ctrack-bench: the timed loop.  Each packet goes through the conntrack hook
 * at prerouting and, if accepted, the confirm step at postrouting, before the
 * next one: that is the order in which one CPU of the kernel sees them, and
 * it keeps two packets of one new flow in a batch from racing.  Packets are
 * handed over BENCH_BATCH at a time, like OVS's dp_packet_batch.
 */
#include <stdio.h>

#include "bench.h"

bool bench_per_packet; /* -P: the per-packet functions instead of ct_track_batch */

void bench_counts_add(struct bench_counts *acc, const struct bench_counts *c)
{
	acc->new_ += c->new_;
	acc->est_orig += c->est_orig;
	acc->est_reply += c->est_reply;
	acc->related += c->related;
	acc->invalid += c->invalid;
	acc->untracked += c->untracked;
	acc->created += c->created;
	acc->drop += c->drop;
	acc->confirm_fail += c->confirm_fail;
}

bool bench_counts_check(const char *label, const struct bench_counts *got,
			const struct bench_counts *expect)
{
	bool ok = got->new_ == expect->new_ && got->est_orig == expect->est_orig &&
		  got->est_reply == expect->est_reply && got->related == expect->related &&
		  got->invalid == expect->invalid && got->untracked == expect->untracked &&
		  got->created == expect->created && got->drop == expect->drop &&
		  got->confirm_fail == expect->confirm_fail;

	printf("  %-9s new %llu  est-orig %llu  est-reply %llu  invalid %llu", label,
	       (unsigned long long)got->new_, (unsigned long long)got->est_orig,
	       (unsigned long long)got->est_reply, (unsigned long long)got->invalid);
	if (got->related || got->untracked || got->drop || got->confirm_fail)
		printf("  related %llu  untracked %llu  drop %llu  confirm-fail %llu",
		       (unsigned long long)got->related, (unsigned long long)got->untracked,
		       (unsigned long long)got->drop, (unsigned long long)got->confirm_fail);
	printf("  (created %llu)  %s\n", (unsigned long long)got->created,
	       ok ? "OK" : "*** MISMATCH ***");
	if (!ok)
		printf("  %-9s new %llu  est-orig %llu  est-reply %llu  invalid %llu  related %llu"
		       "  untracked %llu  drop %llu  confirm-fail %llu  (created %llu)\n",
		       "expected", (unsigned long long)expect->new_,
		       (unsigned long long)expect->est_orig, (unsigned long long)expect->est_reply,
		       (unsigned long long)expect->invalid, (unsigned long long)expect->related,
		       (unsigned long long)expect->untracked, (unsigned long long)expect->drop,
		       (unsigned long long)expect->confirm_fail,
		       (unsigned long long)expect->created);
	return ok;
}

/*
 * One batch.  The per-ctinfo tally is an array increment so that counting
 * costs the loop about a nanosecond; the result fields are cleared because a
 * stream may hand the same struct ct_pkt over many times (udp-1flow).
 */
static inline void track_batch(struct ct_table *t, struct ct_pkt *pk, size_t n, size_t first,
			       const struct bench_stream *s, uint64_t time_base, bool parse,
			       uint64_t tally[16], uint64_t *created, uint64_t *drop,
			       uint64_t *cfail)
{
	for (size_t j = 0; j < n; j++) {
		struct ct_pkt *p = &pk[j];
		uint64_t now = time_base + (s->ts ? s->ts[first + j] : s->t0 + (first + j) * s->step_ns);

		if (parse) {
			/* As OVS's conntrack_execute does: extraction counts too. */
			uint32_t wire_len = p->wire_len;

			if (ct_pkt_parse(p, p->data, p->len, CT_LINK_ETHERNET) != CT_PARSE_OK) {
				(*drop)++;
				continue;
			}
			p->wire_len = wire_len;
		}
		p->ct = NULL;
		p->ct_new = false;
		if (ct_hook_conntrack(t, p, CT_HOOK_PREROUTING, now) != 0) {
			(*drop)++;
			ct_pkt_release(t, p);
			continue;
		}
		tally[p->ctinfo & 15]++;
		*created += p->ct_new;
		if (ct_confirm(t, p, now) != 0)
			(*cfail)++;
	}
}

/*
 * One batch through ct_track_batch (hook + confirm per packet, with the
 * batch's hashing and prefetching); now is the first packet's time, as a
 * datapath takes one timestamp per received batch.  Entries created are
 * counted from the table's insert statistic afterwards.
 */
static inline void track_batch_api(struct ct_table *t, struct ct_pkt *pk, size_t n, size_t first,
				   const struct bench_stream *s, uint64_t time_base, bool parse,
				   uint64_t tally[16], uint64_t *drop)
{
	struct ct_pkt *pp[BENCH_BATCH];
	int v[BENCH_BATCH];
	uint64_t now = time_base + (s->ts ? s->ts[first] : s->t0 + first * s->step_ns);
	size_t m = 0;

	for (size_t j = 0; j < n; j++) {
		struct ct_pkt *p = &pk[j];

		if (parse) {
			uint32_t wire_len = p->wire_len;

			if (ct_pkt_parse(p, p->data, p->len, CT_LINK_ETHERNET) != CT_PARSE_OK) {
				(*drop)++;
				continue;
			}
			p->wire_len = wire_len;
		}
		p->ct = NULL;
		p->ct_new = false;
		pp[m++] = p;
	}
	ct_track_batch(t, pp, m, now, v);
	for (size_t j = 0; j < m; j++) {
		tally[pp[j]->ctinfo & 15]++;
		*drop += v[j] != 0;
	}
}

uint64_t bench_track(struct ct_table *t, const struct bench_stream *s, size_t first, size_t n,
		     uint64_t time_base, bool parse, struct bench_counts *counts)
{
	uint64_t tally[16] = {0}, created = 0, drop = 0, cfail = 0, t0, t1;
	struct bench_counts c = {0};
	struct ct_stats st0, st1;
	size_t i = 0;

	/* Recorded times cover the recording only; generated ones go on forever. */
	if (s->ts && first + n > s->npkts) {
		fprintf(stderr, "bench: run past the end of a recorded stream\n");
		return 0;
	}
	ct_table_stats(t, &st0);
	t0 = bench_now_ns();
	while (!bench_per_packet && i < n) {
		size_t at = (first + i) % s->npkts;
		size_t len = n - i < BENCH_BATCH ? n - i : BENCH_BATCH;

		if (len > s->npkts - at)
			len = s->npkts - at;
		if (parse)
			track_batch_api(t, &s->pkts[at], len, first + i, s, time_base, true, tally,
					&drop);
		else
			track_batch_api(t, &s->pkts[at], len, first + i, s, time_base, false, tally,
					&drop);
		i += len;
	}
	while (i < n) {
		size_t at = (first + i) % s->npkts;
		size_t len = n - i < BENCH_BATCH ? n - i : BENCH_BATCH;

		if (len > s->npkts - at)
			len = s->npkts - at;
		/* Two copies of the loop, so the plain one carries no parse test. */
		if (parse)
			track_batch(t, &s->pkts[at], len, first + i, s, time_base, true, tally,
				    &created, &drop, &cfail);
		else
			track_batch(t, &s->pkts[at], len, first + i, s, time_base, false, tally,
				    &created, &drop, &cfail);
		i += len;
	}
	t1 = bench_now_ns();
	ct_table_stats(t, &st1);
	if (!bench_per_packet)
		created = st1.insert - st0.insert;

	c.new_ = tally[CT_INFO_NEW];
	c.est_orig = tally[CT_INFO_ESTABLISHED];
	c.est_reply = tally[CT_INFO_ESTABLISHED_REPLY];
	c.related = tally[CT_INFO_RELATED] + tally[CT_INFO_RELATED_REPLY];
	c.invalid = tally[CT_INFO_INVALID];
	c.untracked = tally[CT_INFO_UNTRACKED];
	c.created = created;
	c.drop = drop;
	c.confirm_fail = cfail;
	bench_counts_add(counts, &c);
	return t1 - t0;
}
