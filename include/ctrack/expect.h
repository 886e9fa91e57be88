/* SPDX-License-Identifier: MIT */
/*
 * Helpers and expectations (spec: conntrack-semantics.md §9).
 *
 * A helper ("ftp", "tftp") is attached explicitly to a new, unconfirmed
 * entry (nft `ct helper set`), as on kernels since 6.0.  It reads the
 * entry's packets in the confirm step and registers expectations: "a
 * connection from src (masked) to dst:dport will come".  A new entry whose
 * original tuple matches an expectation becomes EXPECTED, RELATED on its
 * first packet, gets the master's mark and its master.
 *
 * Expectations live in a pool preallocated with the table (size =
 * nf_conntrack_expect_max at creation); the packet path never allocates.
 * Expiry is lazy, as in 6.12+: an expired expectation never matches and is
 * reaped (DESTROY event) when met by insertion, listing or ct_gc().
 *
 * Pointers to expectations are borrowed, valid until the next call that
 * can delete expectations (any packet call, ct_gc, deletions).
 */
#ifndef CTRACK_EXPECT_H
#define CTRACK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"
#include "format.h"

struct ct_expect; /* opaque */

/* Expectation flags, numbered as the kernel's NF_CT_EXPECT_*. */
enum ct_exp_flag {
	CT_EXP_F_PERMANENT = 1u << 0, /* survives its first match */
	CT_EXP_F_INACTIVE = 1u << 1,  /* never matches */
	CT_EXP_F_USERSPACE = 1u << 2, /* created by a userspace helper */
};

/* ---- helpers ------------------------------------------------------------ */

/*
 * Attach helper `name` ("ftp", "tftp") to an unconfirmed entry: what nft
 * `ct helper set "obj"` does, where the object says `type "name" protocol
 * l4proto`.  Sets the HELPER status.
 *   -ENOENT           no such helper;
 *   -EPROTONOSUPPORT  the helper does not handle l4proto (the object itself
 *                     would be refused by the kernel);
 *   -EINVAL           entry confirmed, or its protocol is not l4proto (the
 *                     kernel silently does nothing);
 *   -EEXIST           the entry already has a helper (left alone).
 */
int ct_conn_set_helper(struct ct_table *t, struct ct_conn *c, const char *name, uint8_t l4proto);

/* Does a helper of this name exist for this L4 protocol?  (ruleset checks) */
bool ct_helper_exists(const char *name, uint8_t l4proto);

/* ---- expectations ------------------------------------------------------- */

/*
 * An expectation to register (helpers fill it; also the control plane,
 * `conntrack -I expect`).  The zone is the master's.
 */
struct ct_expect_spec {
	struct ct_tuple tuple;	   /* expected original tuple (zone ignored) */
	uint8_t mask_src[16];	   /* source address mask (IPv4: first 4 bytes) */
	uint16_t mask_src_l4;	   /* source port mask: 0 any, 0xffff exact */
	uint8_t class;		   /* < the helper's number of classes (1) */
	uint8_t flags;		   /* enum ct_exp_flag */
	uint32_t timeout_s;	   /* 0: the master's helper policy */
	const char *assign_helper; /* helper for the new entry, or NULL */
	/*
	 * NAT (spec §10.6): the data connection must be mapped back to the
	 * saved address/port; nat_dir is the direction of the master that
	 * carried the command.  Ignored unless nat is set.
	 */
	bool nat;
	uint8_t nat_dir;
	uint8_t saved_addr[16];
	uint16_t saved_l4;
};

/*
 * Register an expectation for `master` (kernel nf_ct_expect_related):
 *   -EOPNOTSUPP  the master has no helper;
 *   -ESHUTDOWN   the master is being deleted;
 *   -EALREADY    same tuple and mask from the same master in another class;
 *   -EBUSY       clashes with another expectation;
 *   -EMFILE      max_expected reached and nothing to evict, or the table
 *                holds nf_conntrack_expect_max expectations;
 *   -ENOSPC      the preallocated pool is exhausted (expect_max raised
 *                above its value at table creation);
 *   -EINVAL      bad spec.
 */
int ct_expect_create(struct ct_table *t, struct ct_conn *master, const struct ct_expect_spec *s,
		     uint64_t now);

/* Everything a listing needs, as ctnetlink reports it. */
struct ct_expect_info {
	struct ct_tuple tuple;	/* expected tuple */
	struct ct_tuple mask;	/* src/src_l4 masks; dst all ones, dst_l4 0xffff */
	struct ct_tuple master; /* the master's original tuple */
	uint32_t timeout_s;	/* whole seconds left (floor) */
	uint32_t id;
	uint8_t flags; /* enum ct_exp_flag */
	uint8_t class;
	uint16_t zone;	    /* the master's zone id */
	const char *helper; /* the master's helper, or NULL */
	bool nat;
	uint8_t nat_dir;
	uint8_t saved_addr[16];
	uint16_t saved_l4;
};
void ct_expect_get(const struct ct_table *t, const struct ct_expect *e, uint64_t now,
		   struct ct_expect_info *out);
/* The master entry (borrowed). */
const struct ct_conn *ct_expect_master(const struct ct_expect *e);

/* Iteration over live expectations; expired ones are skipped, not reaped. */
struct ct_expect_iter {
	uint32_t pos;
};
void ct_expect_iter_init(struct ct_expect_iter *it);
const struct ct_expect *ct_expect_iter_next(const struct ct_table *t, struct ct_expect_iter *it,
					    uint64_t now);

/* Delete one expectation (DESTROY event), or all (conntrack -F expect). */
void ct_expect_delete(struct ct_table *t, const struct ct_expect *e, uint64_t now);
void ct_expect_flush(struct ct_table *t, uint64_t now);
/* Reap expired expectations; returns how many. */
size_t ct_expect_gc(struct ct_table *t, uint64_t now);
/* Live expectations (expired, not yet reaped ones included). */
uint32_t ct_expect_count(const struct ct_table *t);

/* `conntrack -S expect` counters. */
struct ct_expect_stats {
	uint64_t expect_new;	/* new entries that matched an expectation */
	uint64_t expect_create; /* expectations inserted */
	uint64_t expect_delete; /* expectations removed (any reason) */
};
void ct_expect_stats(const struct ct_table *t, struct ct_expect_stats *out);

/*
 * `conntrack -L expect` / `-E expect` text (conntrack-tools 1.4.7,
 * libnetfilter_conntrack 1.0.9), snprintf-style, no newline.  Uses
 * o->now (timeout), o->event (0 listing, else [NEW]/[DESTROY]) and
 * CT_FMT_XML (<flow> element; -o save and extended print the default
 * line, as the real tool does).
 */
int ct_format_expect(const struct ct_table *t, const struct ct_expect *e,
		     const struct ct_fmt_opts *o, char *buf, size_t buflen);
/* XML framing of `conntrack -L expect -o xml`. */
const char *ct_format_expect_xml_header(void); /* "<?xml ...?>\n<expect>\n" */
const char *ct_format_expect_xml_footer(void); /* "</expect>\n" */

#endif
