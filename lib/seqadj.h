/* SPDX-License-Identifier: MIT */
/*
 * TCP sequence adjustment (kernel nf_conntrack_seqadj behaviour): when a
 * NAT helper grows or shrinks a TCP payload (FTP "PORT a,b,c,d,p,q"
 * rewritten with a longer address), every later segment of that direction
 * is shifted by the difference, and the other direction's acks (and SACK
 * blocks) are shifted back.  The entry carries SEQ_ADJUST (spec §3, §9.3).
 */
#ifndef CTRACK_SEQADJ_H
#define CTRACK_SEQADJ_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_priv.h"

/* Attach the (zeroed) extension; what `ct helper set` does on a NATed entry. */
void ct_seqadj_init(struct ct_table *t, struct ct_conn *c);

/*
 * A helper changed the length of the segment starting at `seq` (host
 * order) in direction `dir` by `off` bytes: record it and set SEQ_ADJUST.
 * As the kernel, a change is recorded only if no earlier one is pending in
 * that direction or the segment lies after the last correction.
 */
void ct_seqadj_set(struct ct_table *t, struct ct_conn *c, enum ct_dir dir, uint32_t seq,
		   int32_t off);

/*
 * The offset that applies to sequence number `seq` of direction `dir`
 * (kernel nf_ct_seq_offset): what the TCP tracker subtracts from acks of
 * the other direction before its window checks.  0 without the extension.
 */
int32_t ct_seqadj_offset(const struct ct_table *t, const struct ct_conn *c, enum ct_dir dir,
			 uint32_t seq);

/*
 * Rewrite the TCP header of p (seq, ack, SACK blocks) with an incremental
 * checksum update.  The packet's buffer must be writable (lib/fw passes its
 * work copy).  false: malformed TCP options (the kernel drops the packet).
 */
bool ct_seqadj_apply(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p);

#endif
