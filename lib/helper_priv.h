/* SPDX-License-Identifier: MIT */
/*
 * Helpers and expectations, internal side: the helper descriptor, the
 * calls the core makes (lib/table.c), the FTP command parser (shared with
 * the unit tests and the fuzz target) and the hooks NAT plugs in.
 */
#ifndef CTRACK_HELPER_PRIV_H
#define CTRACK_HELPER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct_priv.h"
#include "ctrack/expect.h"

/*
 * A helper (kernel struct nf_conntrack_helper, one expectation class).
 * help() runs in the confirm step for every packet of an entry carrying
 * the helper, except RELATED_REPLY ICMP errors; it returns CT_V_ACCEPT or
 * CT_V_DROP.
 */
struct ct_helper {
	const char *name;
	uint8_t proto;	       /* L4 protocol */
	uint32_t max_expected; /* per master and class; 0 = unlimited */
	uint32_t timeout_s;    /* expectation lifetime */
	enum ct_verdict (*help)(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				uint64_t now);
};

extern const struct ct_helper ct_helper_ftp;
extern const struct ct_helper ct_helper_tftp;

/* Registry: ids start at 1 (0 = none, as in ct_ext_data.helper). */
const struct ct_helper *ct_helper_by_id(uint8_t id);
const struct ct_helper *ct_helper_by_name(const char *name);
uint8_t ct_helper_id(const struct ct_helper *h);
/* The helper attached to an entry, or NULL. */
const struct ct_helper *ct_conn_helper(const struct ct_table *t, const struct ct_conn *c);

/* ---- calls from the core (lib/table.c) ---------------------------------- */

/* Table lifetime: the expectation pool, sized by t->set.expect_max. */
int ct_expect_table_new(struct ct_table *t);
void ct_expect_table_free(struct ct_table *t);

/*
 * A packet created the new unconfirmed entry c (spec §2.2 step 5): if its
 * original tuple matches an expectation of zone `zone`, make c EXPECTED,
 * give it the master, the master's mark and assign_helper, remove the
 * expectation unless PERMANENT, and let NAT follow the master.
 */
void ct_expect_match_new(struct ct_table *t, struct ct_conn *c, uint16_t zone, uint64_t now);

/* c is being deleted (or an unconfirmed c freed): drop its expectations. */
void ct_expect_master_gone(struct ct_table *t, struct ct_conn *c, uint64_t now);

/*
 * The confirm step's helper part (kernel nf_confirm): run c's helper on
 * the packet, then apply SEQ_ADJUST (lib/seqadj.c; rewrites the TCP
 * header).  Nothing for RELATED_REPLY packets.  0 accept, -EPERM drop.
 */
int ct_helper_confirm(struct ct_table *t, struct ct_pkt *p, uint64_t now);

/* ---- the FTP command parser (lib/helper_ftp.c) -------------------------- */

enum ct_ftp_type {
	CT_FTP_PORT = 0, /* client: PORT h1,h2,h3,h4,p1,p2 */
	CT_FTP_PASV,	 /* server: 227 ... h1,h2,h3,h4,p1,p2 */
	CT_FTP_EPRT,	 /* client: EPRT |af|addr|port| */
	CT_FTP_EPSV,	 /* server: 229 ... (|||port|) */
};

struct ct_ftp_match {
	enum ct_ftp_type type;
	uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes */
	uint16_t port;	   /* host order */
	uint32_t off, len; /* the address/port text inside the payload (for NAT) */
};

enum ct_ftp_parse_result {
	CT_FTP_NO_MATCH = 0, /* not a command the helper knows: accept */
	CT_FTP_MATCH = 1,    /* m is filled */
	CT_FTP_PARTIAL = -1, /* a known prefix with nothing valid after it: drop */
};

/*
 * Parse one segment's payload the way the kernel's FTP helper does.  dir is
 * the direction of the packet (ORIGINAL: PORT/EPRT, REPLY: 227/229);
 * l3num the connection's family; own_addr the sender's address in its own
 * direction's tuple (what an EPSV reply implicitly names, and the bytes an
 * IPv4 PORT on an IPv6 connection leaves in place).  Never reads outside
 * [data, data + len).
 */
enum ct_ftp_parse_result ct_ftp_parse(const uint8_t *data, size_t len, enum ct_dir dir,
				      uint8_t l3num, const uint8_t own_addr[16],
				      struct ct_ftp_match *m);

/* ---- NAT (lib/nat) -------------------------------------------------------- */

/*
 * What the NAT module plugs in (kernel nf_nat_ftp_hook, nf_nat_tftp_hook,
 * nf_nat_follow_master).  Set with ct_nat_helper_set(); each member may be
 * NULL.
 *
 * ftp/tftp run instead of registering the expectation when the master has
 * SRC_NAT or DST_NAT: they may rewrite the payload (the packet buffer is
 * the caller's, see lib/fw), must register the (possibly changed)
 * expectation with ct_expect_create() and set SEQ_ADJUST when the payload
 * length changes.  They return CT_V_ACCEPT or CT_V_DROP.
 *
 * follow_master runs for a new entry created from an expectation whose
 * spec had nat set (after EXPECTED, master and mark are in place).
 */
struct ct_nat_helper_ops {
	enum ct_verdict (*ftp)(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
			       uint32_t payload_off, const struct ct_ftp_match *m,
			       struct ct_expect_spec *exp, uint64_t now);
	enum ct_verdict (*tftp)(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				struct ct_expect_spec *exp, uint64_t now);
	void (*follow_master)(struct ct_table *t, struct ct_conn *c, const struct ct_conn *master,
			      const struct ct_expect_info *e, uint64_t now);
};

static inline void ct_nat_helper_set(struct ct_table *t, const struct ct_nat_helper_ops *ops)
{
	t->nat_helper = ops;
}

/*
 * Build the spec for "a connection to dst:dport from src (any source port
 * when src_l4 is NULL, any source address when src is NULL)", as the
 * kernel's nf_ct_expect_init.
 */
void ct_expect_spec_init(struct ct_expect_spec *s, uint8_t class, uint8_t l3num, const uint8_t *src,
			 const uint8_t dst[16], uint8_t proto, const uint16_t *src_l4,
			 uint16_t dst_l4);

#endif
