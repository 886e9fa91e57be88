/* SPDX-License-Identifier: MIT */
/*
 * TCP tracker internals shared with its unit test: the packet classes, the
 * INVALID reason codes and the pure state-table lookup.  Not installed.
 */
#ifndef CTRACK_PROTO_TCP_H
#define CTRACK_PROTO_TCP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Packet class ("index", spec §5.2).  The numbering is the kernel's: it is
 * stored in struct ct_tcp.last_index, and a zeroed entry (conntrack -I) must
 * read as "last packet was a SYN" exactly as a zeroed kernel entry does.
 */
enum ct_tcp_class {
	CT_TCPC_SYN = 0,
	CT_TCPC_SYNACK = 1,
	CT_TCPC_FIN = 2,
	CT_TCPC_ACK = 3,
	CT_TCPC_RST = 4,
	CT_TCPC_NONE = 5,
	CT_TCPC_MAX = 6,
};

/* Raw TCP flag bits (RFC 9293 §3.1). */
enum ct_tcp_hdr_flag {
	CT_TH_FIN = 0x01,
	CT_TH_SYN = 0x02,
	CT_TH_RST = 0x04,
	CT_TH_PSH = 0x08,
	CT_TH_ACK = 0x10,
	CT_TH_URG = 0x20,
	CT_TH_ECE = 0x40,
	CT_TH_CWR = 0x80,
};

/*
 * Values of struct ct_pkt.invalid_reason set by the TCP tracker.  Each maps
 * to one of the kernel's nf_ct_tcp log messages.
 */
enum ct_tcp_invalid {
	CT_TCP_INV_NONE = 0,
	CT_TCP_INV_TRUNCATED = 1, /* "truncated packet": short header, doff < 5, fragment */
	CT_TCP_INV_CSUM = 2,	  /* "bad checksum" (prerouting, nf_conntrack_checksum=1) */
	CT_TCP_INV_FLAGS = 3,	  /* "invalid tcp flag combination" */
	CT_TCP_INV_NEW = 4,	  /* "invalid new": class may not create an entry */
	CT_TCP_INV_NO_LOOSE = 5,  /* ACK pickup refused: nf_conntrack_tcp_loose=0 */
	CT_TCP_INV_STATE = 6,	  /* "invalid state": table cell IV */
	CT_TCP_INV_RST = 7,	  /* "invalid rst": seq below the peer's highest ACK */
	CT_TCP_INV_SEQ_OVER = 8,  /* "SEQ is over upper bound" (window check I) */
	CT_TCP_INV_ACK_OVER = 9,  /* "ACK is over upper bound" (window check III) */
};

/* True if the flag byte is one of the combinations the kernel accepts (§5.1). */
bool ct_tcp_flags_ok(uint8_t flags);

/* The packet class of a flag byte (§5.2). */
enum ct_tcp_class ct_tcp_classify(uint8_t flags);

/*
 * The raw transition table (§5.4): new state for (dir, class, old state),
 * CT_TCP_MAX for IV and CT_TCP_IGNORE for IG.  Out-of-range input gives
 * CT_TCP_MAX.  The notes 1-5 are applied by the packet handler, not here.
 */
uint8_t ct_tcp_next_state(unsigned dir, unsigned cls, unsigned old_state);

#endif
