/* SPDX-License-Identifier: MIT */
/*
 * conntrack-tools 1.4.7 text formats (spec: ../shared/spec/conntrack-cli.md §2).
 * Formatting writes into a caller buffer, snprintf-style: returns the length
 * the full text needs (excluding the NUL); output is truncated if buflen is
 * too small.  No newline is appended.
 */
#ifndef CTRACK_FORMAT_H
#define CTRACK_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"

/* Output flags: `-o` options of conntrack, combinable except SAVE and XML. */
enum ct_fmt_flag {
	CT_FMT_EXTENDED = 1u << 0,   /* "ipv4     2 " prefix */
	CT_FMT_ID = 1u << 1,         /* " id=N" */
	CT_FMT_KTIMESTAMP = 1u << 2, /* [start=...] [stop=...] */
	CT_FMT_TIMESTAMP = 1u << 3,  /* events only: "[sec.usec]\t" prefix */
	CT_FMT_LABELS = 1u << 4,     /* labels=a,b (needs a label map) */
	CT_FMT_SAVE = 1u << 5,       /* "-A -t ..." / "-U ..." for events */
	CT_FMT_XML = 1u << 6,        /* <flow>...</flow> */
	CT_FMT_ACCT = 1u << 7,       /* print packets=/bytes= (set when the ext is present) */
	CT_FMT_EVENT_KERNEL = 1u << 8, /* kernel-originated event: no mark=/use= */
};

/* Label bit -> name map (connlabel.conf); NULL entries are unnamed bits. */
struct ct_labelmap {
	const char *names[128];
};

struct ct_fmt_opts {
	unsigned flags;              /* enum ct_fmt_flag */
	uint64_t now;                /* table time, for the timeout column */
	uint64_t wall_now;           /* wall clock ns, for delta-time and timestamps */
	const struct ct_labelmap *labels;
	/* events: which event this line is (0 for listings) */
	enum ct_event_type event;
	uint64_t event_wall;         /* event time (wall ns), for CT_FMT_TIMESTAMP */
	int tz_offset_s;             /* local time offset for ctime-style dates (0 = UTC) */
};

int ct_format_conn(const struct ct_table *t, const struct ct_conn *c,
		   const struct ct_fmt_opts *o, char *buf, size_t buflen);

/* XML document framing for -o xml listings. */
const char *ct_format_xml_header(void);  /* "<?xml ...?>\n<conntrack>\n" */
const char *ct_format_xml_footer(void);  /* "</conntrack>\n" */

/* Address text as conntrack prints it (IPv6 compressed). */
int ct_format_addr(uint8_t l3num, const uint8_t addr[16], char *buf, size_t buflen);

#endif
