/* SPDX-License-Identifier: MIT */
/*
 * lib/format.c against the real conntrack v1.4.7 / libnetfilter_conntrack
 * 1.0.9.  Every expected line below is copied from output the real tool
 * printed (tests/golden/format/, captured in a network namespace on kernel
 * 6.18) or from shared/spec/conntrack-cli.md; only the conntrack id, which
 * is the entry's own attribute, is spliced in ("%u").  Entries are built
 * with ct_conn_insert() at table time 0 and formatted at `now_ms`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct_priv.h"
#include "ctrack/format.h"
#include "pkt_build.h"

#define MS 1000000ull
#define S_ 1000000000ull

/* Flags */
#define F_EXT  CT_FMT_EXTENDED
#define F_ID   CT_FMT_ID
#define F_KTS  CT_FMT_KTIMESTAMP
#define F_TS   CT_FMT_TIMESTAMP
#define F_SAVE CT_FMT_SAVE
#define F_XML  CT_FMT_XML
#define F_K    CT_FMT_EVENT_KERNEL
#define EV_NEW CT_EVENT_NEW
#define EV_UPD CT_EVENT_UPDATE
#define EV_DEL CT_EVENT_DESTROY

#define SR CT_S_SEEN_REPLY
#define AS CT_S_ASSURED

/* TCP / SCTP states */
enum {
	T_NONE,
	T_SS,
	T_SR,
	T_ES,
	T_FW,
	T_CW,
	T_LA,
	T_TW,
	T_CL,
	T_SS2,
};
enum { SC_NONE, SC_CLOSED, SC_CW, SC_CE, SC_ES, SC_SS, SC_SR, SC_SAS, SC_HS };

/* The connlabel.conf used for the captures. */
static struct ct_labelmap lmap = {.names = {[0] = "eth0-in",
					    [1] = "eth1-in",
					    [2] = "interactive",
					    [5] = "",
					    [64] = "high",
					    [127] = "last"}};

struct fcase {
	int no;
	const char *os, *od, *rs, *rd; /* rs == NULL: reply = swapped original */
	uint8_t proto;
	uint16_t osp, odp, rsp, rdp; /* reply l4 used only when rs != NULL */
	uint16_t oz, rz;
	uint32_t status, timeout, mark;
	uint8_t state;
	uint32_t vtag0, vtag1;
	bool acct;
	uint64_t pk0, by0, pk1, by1;
	uint64_t start, stop; /* start != 0: timestamps; wall time of insertion */
	uint64_t lab0, lab1;
	uint8_t evp; /* c->ev_pending while the event is formatted */
	unsigned flags;
	enum ct_event_type ev;
	uint64_t now_ms;
	uint64_t wall_now; /* 0: start + now */
	uint64_t ev_wall;
	bool map;
	const char *want;
};

/* clang-format off */
static const struct fcase cases[] = {
/* ---- spec §2 and listing.txt block 1: -I entries, default format ---- */
{1, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 120, .mark = 42,
 .state = T_ES, .now_ms = 500,
 .want = "tcp      6 119 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=42 use=1"},
{2, "1.1.1.1", "2.2.2.2", 0, 0, 17, 53000, 53, .timeout = 30, .now_ms = 500,
 .want = "udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=53000 dport=53 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=53 dport=53000 mark=0 use=1"},
{3, "1.1.1.1", "2.2.2.2", "2.2.2.2", "1.1.1.1", 1, 1226, 8 << 8, 1226, 0, .timeout = 30,
 .now_ms = 1500,
 .want = "icmp     1 28 src=1.1.1.1 dst=2.2.2.2 type=8 code=0 id=1226 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 type=0 code=0 id=1226 mark=0 use=1"},
{4, "10.0.0.1", "10.0.0.2", 0, 0, 6, 1111, 80, .timeout = 60, .state = T_SS, .now_ms = 500,
 .flags = F_EXT,
 .want = "ipv4     2 tcp      6 59 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1111 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1111 mark=0 use=1"},
{5, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 120, .mark = 42,
 .state = T_ES, .now_ms = 6500, .flags = F_ID,
 .want = "tcp      6 113 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=42 use=1 id=%u"},
{6, "1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", 17, 1, 5, 9, 8, .timeout = 30, .now_ms = 500,
 .want = "udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=5 [UNREPLIED] src=3.3.3.3 dst=4.4.4.4 sport=9 dport=8 mark=0 use=1"},
{7, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 4, .rz = 4, .timeout = 30, .now_ms = 500,
 .want = "udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=4 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=4 dport=1 zone-reply=4 mark=0 use=1"},
{8, "1.1.1.1", "2.2.2.2", 0, 0, 200, .timeout = 30, .now_ms = 500,
 .want = "unknown  200 29 src=1.1.1.1 dst=2.2.2.2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 mark=0 use=1"},
{9, "::ffff:1.2.3.4", "2001:db8::1:0:0:1", 0, 0, 6, 1, 2, .timeout = 30, .state = T_SS,
 .now_ms = 500,
 .want = "tcp      6 29 SYN_SENT src=::ffff:1.2.3.4 dst=2001:db8::1:0:0:1 sport=1 dport=2 [UNREPLIED] src=2001:db8::1:0:0:1 dst=::ffff:1.2.3.4 sport=2 dport=1 mark=0 use=1"},
{10, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 6, .status = SR | AS, .timeout = 30, .state = SC_ES,
 .vtag0 = 7, .vtag1 = 8, .now_ms = 500,
 .want = "sctp     132 29 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=5 dport=6 src=2.2.2.2 dst=1.1.1.1 sport=6 dport=5 [ASSURED] mark=0 use=1"},
{11, "1.1.1.1", "2.2.2.2", 0, 0, 136, 5, 6, .timeout = 30, .now_ms = 500,
 .want = "udplite  136 29 src=1.1.1.1 dst=2.2.2.2 sport=5 dport=6 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=6 dport=5 mark=0 use=1"},
{12, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 2, .oz = 7, .rz = 7, .timeout = 30, .now_ms = 500,
 .want = "udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 zone=7 use=1"},
{13, "1.1.1.1", "2.2.2.2", 0, 0, 47, 0x1234, 0xab, .timeout = 30, .now_ms = 500,
 .want = "gre      47 29 src=1.1.1.1 dst=2.2.2.2 srckey=0x1234 dstkey=0xab [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 srckey=0xab dstkey=0x1234 mark=0 use=1"},
{14, "1.1.1.1", "2.2.2.2", 0, 0, 6, 1, 2, .status = CT_S_FIXED_TIMEOUT, .timeout = 30,
 .state = T_SS2, .now_ms = 500,
 .want = "tcp      6 29 SYN_SENT2 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 use=1"},
{15, "fd00::1", "fd00:0:0:1::22", "fd00:0:0:1::22", "fd00::1", 58, 77, 128 << 8, 77, 129 << 8,
 .timeout = 30, .now_ms = 500,
 .want = "icmpv6   58 29 src=fd00::1 dst=fd00:0:0:1::22 type=128 code=0 id=77 [UNREPLIED] src=fd00:0:0:1::22 dst=fd00::1 type=129 code=0 id=77 mark=0 use=1"},
{16, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 3, .oz = 3, .timeout = 30, .now_ms = 500,
 .want = "udp      17 29 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=3 zone-orig=3 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=3 dport=1 mark=0 use=1"},
{17, "1.1.1.1", "2.2.2.2", 0, 0, 6, 11, 20, .status = AS | CT_S_FIXED_TIMEOUT, .timeout = 30,
 .state = T_ES, .now_ms = 500,
 .want = "tcp      6 29 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=11 dport=20 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=20 dport=11 [ASSURED] mark=0 use=1"},
{18, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 8, .timeout = 30, .state = SC_SAS, .now_ms = 500,
 .want = "sctp     132 29 SHUTDOWN_ACK_SENT src=1.1.1.1 dst=2.2.2.2 sport=5 dport=8 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=8 dport=5 mark=0 use=1"},
{19, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 7, .timeout = 30, .state = SC_CW, .now_ms = 500,
 .want = "sctp     132 29 COOKIE_WAIT src=1.1.1.1 dst=2.2.2.2 sport=5 dport=7 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=7 dport=5 mark=0 use=1"},
{20, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 9, .timeout = 30, .state = SC_CLOSED, .now_ms = 500,
 .want = "sctp     132 29 CLOSED src=1.1.1.1 dst=2.2.2.2 sport=5 dport=9 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=9 dport=5 mark=0 use=1"},
{21, "1.1.1.1", "2.2.2.2", 0, 0, 6, 1, 3, .timeout = 30, .state = T_NONE, .now_ms = 500,
 .want = "tcp      6 29 NONE src=1.1.1.1 dst=2.2.2.2 sport=1 dport=3 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=3 dport=1 mark=0 use=1"},
{22, "1.1.1.1", "2.2.2.2", 0, 0, 6, 1, 4, .timeout = 30, .state = T_TW, .now_ms = 500,
 .want = "tcp      6 29 TIME_WAIT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=4 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=4 dport=1 mark=0 use=1"},
{23, "1.1.1.1", "2.2.2.2", 0, 0, 6, 1, 5, .timeout = 30, .state = T_CW, .now_ms = 500,
 .want = "tcp      6 29 CLOSE_WAIT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=5 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=5 dport=1 mark=0 use=1"},
/* NAT entries (conntrack -I -g/-n): the kernel sets *_NAT and both *_NAT_DONE */
{24, "1.1.1.5", "2.2.2.2", "3.3.3.3", "1.1.1.5", 6, 10, 20, 20, 10,
 .status = CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30, .state = T_ES,
 .now_ms = 500,
 .want = "tcp      6 29 ESTABLISHED src=1.1.1.5 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=3.3.3.3 dst=1.1.1.5 sport=20 dport=10 mark=0 use=1"},
{25, "1.1.1.7", "2.2.2.2", "5.5.5.5", "4.4.4.4", 6, 10, 20, 88, 77,
 .status = CT_S_DST_NAT | CT_S_SRC_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30,
 .state = T_ES, .now_ms = 500,
 .want = "tcp      6 29 ESTABLISHED src=1.1.1.7 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=5.5.5.5 dst=4.4.4.4 sport=88 dport=77 mark=0 use=1"},

/* ---- -o extended (listing.txt block 1) ---- */
{30, "fd00::1", "fd00:0:0:1::22", "fd00:0:0:1::22", "fd00::1", 58, 77, 128 << 8, 77, 129 << 8,
 .timeout = 30, .now_ms = 500, .flags = F_EXT,
 .want = "ipv6     10 icmpv6   58 29 src=fd00::1 dst=fd00:0:0:1::22 type=128 code=0 id=77 [UNREPLIED] src=fd00:0:0:1::22 dst=fd00::1 type=129 code=0 id=77 mark=0 use=1"},
{31, "1.1.1.1", "2.2.2.2", 0, 0, 200, .timeout = 30, .now_ms = 500, .flags = F_EXT,
 .want = "ipv4     2 unknown  200 29 src=1.1.1.1 dst=2.2.2.2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 mark=0 use=1"},
{32, "fd00::1", "fd00::2", "fd00::3", "fd00::1", 17, 10, 20, 99, 10,
 .status = CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30, .now_ms = 500,
 .flags = F_EXT,
 .want = "ipv6     10 udp      17 29 src=fd00::1 dst=fd00::2 sport=10 dport=20 [UNREPLIED] src=fd00::3 dst=fd00::1 sport=99 dport=10 mark=0 use=1"},
{33, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 8, .timeout = 30, .state = SC_SAS, .now_ms = 500,
 .flags = F_EXT | F_ID,
 .want = "ipv4     2 sctp     132 29 SHUTDOWN_ACK_SENT src=1.1.1.1 dst=2.2.2.2 sport=5 dport=8 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=8 dport=5 mark=0 use=1 id=%u"},

/* ---- -o save (listing.txt block 1, spec §2) ---- */
{40, "1.1.1.1", "2.2.2.2", 0, 0, 17, 53000, 53, .timeout = 30, .now_ms = 6500, .flags = F_SAVE,
 .want = "-A -t 23 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p udp --sport 53000 --dport 53 --reply-port-src 53 --reply-port-dst 53000"},
{41, "1.1.1.1", "2.2.2.2", "2.2.2.2", "1.1.1.1", 1, 1226, 8 << 8, 1226, 0, .timeout = 30,
 .now_ms = 7500, .flags = F_SAVE,
 .want = "-A -t 22 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1226"},
{42, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 120, .mark = 42,
 .state = T_ES, .now_ms = 7500, .flags = F_SAVE,
 .want = "-A -t 112 -u SEEN_REPLY,ASSURED -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{43, "1.1.1.1", "2.2.2.2", 0, 0, 6, 11, 20, .status = AS | CT_S_FIXED_TIMEOUT, .timeout = 30,
 .state = T_ES, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u ASSURED,FIXED_TIMEOUT -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 11 --dport 20 --reply-port-src 20 --reply-port-dst 11 --state ESTABLISHED"},
{44, "1.1.1.1", "2.2.2.2", 0, 0, 6, 12, 20, .status = SR | AS | CT_S_FIXED_TIMEOUT,
 .timeout = 30, .state = T_ES, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u SEEN_REPLY,ASSURED,FIXED_TIMEOUT -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 12 --dport 20 --reply-port-src 20 --reply-port-dst 12 --state ESTABLISHED"},
{45, "1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", 17, 1, 5, 9, 8, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 3.3.3.3 -q 4.4.4.4 -p udp --sport 1 --dport 5 --reply-port-src 9 --reply-port-dst 8"},
{46, "1.1.1.6", "2.2.2.2", "2.2.2.2", "4.4.4.4", 6, 10, 20, 20, 10,
 .status = CT_S_SRC_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE, .timeout = 30, .state = T_ES,
 .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.6 -d 2.2.2.2 -r 2.2.2.2 -n 4.4.4.4 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{47, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 8, .timeout = 30, .state = SC_SAS, .vtag0 = 7,
 .vtag1 = 8, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p sctp --sport 5 --dport 8 --reply-port-src 8 --reply-port-dst 5 --state SHUTDOWN_ACK_SENT --orig-vtag 7 --reply-vtag 8"},
{48, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 4, .rz = 4, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET --reply-zone 4 -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p udp --sport 1 --dport 4 --reply-port-src 4 --reply-port-dst 1"},
{49, "1.1.1.1", "2.2.2.2", 0, 0, 6, 1, 3, .timeout = 30, .state = T_NONE, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 1 --dport 3 --reply-port-src 3 --reply-port-dst 1 --state NONE"},
{50, "1.1.1.1", "2.2.2.2", 0, 0, 200, .timeout = 30, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p 200"},
{51, "::ffff:1.2.3.4", "2001:db8::1:0:0:1", 0, 0, 6, 1, 2, .timeout = 30, .state = T_SS,
 .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s ::ffff:1.2.3.4 -d 2001:db8::1:0:0:1 -r 2001:db8::1:0:0:1 -q ::ffff:1.2.3.4 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state SYN_SENT"},
{52, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 6, .status = SR | AS, .timeout = 30, .state = SC_ES,
 .vtag0 = 7, .vtag1 = 8, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u SEEN_REPLY,ASSURED -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p sctp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state ESTABLISHED --orig-vtag 7 --reply-vtag 8"},
{53, "1.1.1.5", "2.2.2.2", "3.3.3.3", "1.1.1.5", 6, 10, 20, 20, 10,
 .status = CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30, .state = T_ES,
 .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.5 -d 2.2.2.2 -g 3.3.3.3 -q 1.1.1.5 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{54, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 7, .timeout = 30, .state = SC_CW, .vtag0 = 7,
 .vtag1 = 8, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p sctp --sport 5 --dport 7 --reply-port-src 7 --reply-port-dst 5 --state COOKIE_WAIT --orig-vtag 7 --reply-vtag 8"},
/* port-only DNAT keeps -r */
{55, "1.1.1.8", "2.2.2.2", "2.2.2.2", "1.1.1.8", 17, 10, 20, 99, 10,
 .status = CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.8 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.8 -p udp --sport 10 --dport 20 --reply-port-src 99 --reply-port-dst 10"},
{56, "1.1.1.1", "2.2.2.2", 0, 0, 136, 5, 6, .timeout = 30, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p udplite --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5"},
{57, "1.1.1.7", "2.2.2.2", "5.5.5.5", "4.4.4.4", 6, 10, 20, 88, 77,
 .status = CT_S_DST_NAT | CT_S_SRC_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30,
 .state = T_ES, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.7 -d 2.2.2.2 -g 5.5.5.5 -n 4.4.4.4 -p tcp --sport 10 --dport 20 --reply-port-src 88 --reply-port-dst 77 --state ESTABLISHED"},
{58, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 2, .oz = 7, .rz = 7, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -w 7 -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1"},
{59, "1.1.1.1", "2.2.2.2", 0, 0, 47, 0x1234, 0xab, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p gre --srckey 4660 --dstkey 171 --reply-key-src 171 --reply-key-dst 4660"},
{60, "1.1.1.1", "2.2.2.2", 0, 0, 6, 1, 2, .status = CT_S_FIXED_TIMEOUT, .timeout = 30,
 .state = T_SS2, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u FIXED_TIMEOUT -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state SYN_SENT2"},
{61, "fd00::1", "fd00::2", "fd00::3", "fd00::1", 17, 10, 20, 99, 10,
 .status = CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s fd00::1 -d fd00::2 -g fd00::3 -q fd00::1 -p udp --sport 10 --dport 20 --reply-port-src 99 --reply-port-dst 10"},
{62, "fd00::1", "fd00:0:0:1::22", "fd00:0:0:1::22", "fd00::1", 58, 77, 128 << 8, 77, 129 << 8,
 .timeout = 30, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET -s fd00::1 -d fd00:0:0:1::22 -r fd00:0:0:1::22 -q fd00::1 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 77"},
{63, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 3, .oz = 3, .timeout = 30, .now_ms = 500,
 .flags = F_SAVE,
 .want = "-A -t 29 -u UNSET --orig-zone 3 -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p udp --sport 1 --dport 3 --reply-port-src 3 --reply-port-dst 1"},
/* spec §2: masquerade + dnat through a router */
{64, "10.10.1.2", "10.10.1.1", "10.10.2.2", "10.10.2.1", 6, 59602, 9999, 9000, 59602,
 .status = SR | AS | CT_S_SRC_NAT | CT_S_DST_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE,
 .timeout = 432000, .state = T_ES, .now_ms = 500, .flags = F_SAVE,
 .want = "-A -t 431999 -u SEEN_REPLY,ASSURED -s 10.10.1.2 -d 10.10.1.1 -g 10.10.2.2 -n 10.10.2.1 -p tcp --sport 59602 --dport 9999 --reply-port-src 9000 --reply-port-dst 59602 --state ESTABLISHED"},
{65, "10.10.1.2", "10.10.1.1", "10.10.2.2", "10.10.2.1", 6, 59602, 9999, 9000, 59602,
 .status = SR | AS | CT_S_SRC_NAT | CT_S_DST_NAT | CT_S_SRC_NAT_DONE | CT_S_DST_NAT_DONE,
 .timeout = 432000, .state = T_ES, .now_ms = 500,
 .want = "tcp      6 431999 ESTABLISHED src=10.10.1.2 dst=10.10.1.1 sport=59602 dport=9999 src=10.10.2.2 dst=10.10.2.1 sport=9000 dport=59602 [ASSURED] mark=0 use=1"},
{66, "192.168.100.3", "224.0.0.22", 0, 0, 2, .timeout = 600, .now_ms = 3500,
 .want = "unknown  2 596 src=192.168.100.3 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=192.168.100.3 mark=0 use=1"},

/* ---- -o xml (listing.txt block 1) ---- */
{70, "1.1.1.1", "2.2.2.2", 0, 0, 17, 53000, 53, .timeout = 30, .now_ms = 500, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>53000</sport><dport>53</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>53</sport><dport>53000</dport></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{71, "1.1.1.1", "2.2.2.2", "2.2.2.2", "1.1.1.1", 1, 1226, 8 << 8, 1226, 0, .timeout = 30,
 .now_ms = 500, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"1\" protoname=\"icmp\"></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"1\" protoname=\"icmp\"></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
/* SCTP through libnfct's TCP state names: SHUTDOWN_ACK_SENT (7) -> TIME_WAIT */
{72, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 8, .timeout = 30, .state = SC_SAS, .now_ms = 500,
 .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"132\" protoname=\"sctp\"><sport>5</sport><dport>8</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"132\" protoname=\"sctp\"><sport>8</sport><dport>5</dport></layer4></meta><meta direction=\"independent\"><state>TIME_WAIT</state><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{73, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 4, .rz = 4, .timeout = 30, .now_ms = 500,
 .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>1</sport><dport>4</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>4</sport><dport>1</dport></layer4><zone>4</zone></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{74, "1.1.1.1", "2.2.2.2", 0, 0, 200, .timeout = 30, .now_ms = 500, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"200\" protoname=\"unknown\"></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"200\" protoname=\"unknown\"></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{75, "1.1.1.1", "2.2.2.2", 0, 0, 132, 5, 6, .status = SR | AS, .timeout = 30, .state = SC_ES,
 .now_ms = 500, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"132\" protoname=\"sctp\"><sport>5</sport><dport>6</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"132\" protoname=\"sctp\"><sport>6</sport><dport>5</dport></layer4></meta><meta direction=\"independent\"><state>FIN_WAIT</state><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><assured/></meta></flow>"},
{76, "1.1.1.7", "2.2.2.2", "5.5.5.5", "4.4.4.4", 6, 10, 20, 88, 77,
 .status = CT_S_DST_NAT | CT_S_SRC_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30,
 .state = T_ES, .now_ms = 500, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.7</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>5.5.5.5</src><dst>4.4.4.4</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>88</sport><dport>77</dport></layer4></meta><meta direction=\"independent\"><state>ESTABLISHED</state><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{77, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 2, .oz = 7, .rz = 7, .timeout = 30, .now_ms = 500,
 .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>1</sport><dport>2</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>2</sport><dport>1</dport></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><zone>7</zone><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{78, "fd00::1", "fd00::2", "fd00::3", "fd00::1", 17, 10, 20, 99, 10,
 .status = CT_S_DST_NAT | CT_S_DST_NAT_DONE | CT_S_SRC_NAT_DONE, .timeout = 30, .now_ms = 500,
 .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"10\" protoname=\"ipv6\"><src>fd00::1</src><dst>fd00::2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"10\" protoname=\"ipv6\"><src>fd00::3</src><dst>fd00::1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>99</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{79, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 3, .oz = 3, .timeout = 30, .now_ms = 500,
 .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>1</sport><dport>3</dport></layer4><zone>3</zone></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>3</sport><dport>1</dport></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{80, "fd00::1", "fd00:0:0:1::22", "fd00:0:0:1::22", "fd00::1", 58, 77, 128 << 8, 77, 129 << 8,
 .timeout = 30, .now_ms = 500, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"10\" protoname=\"ipv6\"><src>fd00::1</src><dst>fd00:0:0:1::22</dst></layer3><layer4 protonum=\"58\" protoname=\"icmpv6\"></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"10\" protoname=\"ipv6\"><src>fd00:0:0:1::22</src><dst>fd00::1</dst></layer3><layer4 protonum=\"58\" protoname=\"icmpv6\"></layer4></meta><meta direction=\"independent\"><timeout>29</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/></meta></flow>"},

/* ---- accounting and timestamps (listing.txt block 2) ---- */
{90, "fd00::1", "fd00::2", 0, 0, 17, 10, 20, .oz = 5, .timeout = 100, .acct = true,
 .start = 1795446393605968947ull, .now_ms = 2200,
 .want = "udp      17 97 src=fd00::1 dst=fd00::2 sport=10 dport=20 zone-orig=5 packets=0 bytes=0 [UNREPLIED] src=fd00::2 dst=fd00::1 sport=20 dport=10 packets=0 bytes=0 mark=0 delta-time=2 use=1"},
{91, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 9, .rz = 9, .status = SR | AS,
 .timeout = 100, .mark = 7, .state = T_ES, .acct = true, .start = 1795446393605052930ull,
 .now_ms = 2200,
 .want = "tcp      6 97 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=7 zone=9 delta-time=2 use=1"},
{92, "fd00::1", "fd00::2", 0, 0, 17, 10, 20, .oz = 5, .timeout = 100, .acct = true,
 .start = 1795446393605968947ull, .now_ms = 2200, .flags = F_EXT | F_ID,
 .want = "ipv6     10 udp      17 97 src=fd00::1 dst=fd00::2 sport=10 dport=20 zone-orig=5 packets=0 bytes=0 [UNREPLIED] src=fd00::2 dst=fd00::1 sport=20 dport=10 packets=0 bytes=0 mark=0 delta-time=2 use=1 id=%u"},
{93, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 9, .rz = 9, .status = SR | AS,
 .timeout = 100, .mark = 7, .state = T_ES, .acct = true, .start = 1795446393605052930ull,
 .now_ms = 2200, .flags = F_KTS,
 .want = "tcp      6 97 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=7 zone=9 delta-time=2 [start=Mon Nov 23 15:06:33 2026] use=1"},
{94, "fd00::1", "fd00::2", 0, 0, 17, 10, 20, .oz = 5, .timeout = 100, .acct = true,
 .start = 1795446393605968947ull, .now_ms = 2200, .flags = F_SAVE,
 .want = "-A -t 97 -u UNSET --orig-zone 5 -s fd00::1 -d fd00::2 -r fd00::2 -q fd00::1 -p udp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10"},
{95, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 9, .rz = 9, .status = SR | AS,
 .timeout = 100, .mark = 7, .state = T_ES, .acct = true, .start = 1795446393605052930ull,
 .now_ms = 2200, .flags = F_SAVE,
 .want = "-A -t 97 -u SEEN_REPLY,ASSURED -w 9 -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{96, "fd00::1", "fd00::2", 0, 0, 17, 10, 20, .oz = 5, .timeout = 100, .acct = true,
 .start = 1795446393605968947ull, .now_ms = 2200, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"10\" protoname=\"ipv6\"><src>fd00::1</src><dst>fd00::2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>10</sport><dport>20</dport></layer4><zone>5</zone><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"10\" protoname=\"ipv6\"><src>fd00::2</src><dst>fd00::1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>20</sport><dport>10</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\"><timeout>97</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/><deltatime>2</deltatime></meta></flow>"},
{97, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 9, .rz = 9, .status = SR | AS,
 .timeout = 100, .mark = 7, .state = T_ES, .acct = true, .start = 1795446393605052930ull,
 .now_ms = 2200, .flags = F_XML | F_KTS,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\"><state>ESTABLISHED</state><timeout>97</timeout><mark>7</mark><zone>9</zone><use>1</use><id>%u</id><assured/><timestamp><start>1795446393605052930</start></timestamp><deltatime>2</deltatime></meta></flow>"},
/* spec §2: acct + timestamps with real traffic */
{98, "127.0.0.1", "127.0.0.1", 0, 0, 6, 49518, 8080, .status = SR | AS, .timeout = 120,
 .state = T_TW, .acct = true, .pk0 = 6, .by0 = 325, .pk1 = 4, .by1 = 222,
 .start = 1795334068800000000ull, .now_ms = 500,
 .want = "tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=49518 dport=8080 packets=6 bytes=325 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=49518 packets=4 bytes=222 [ASSURED] mark=0 delta-time=1 use=1"},
{99, "127.0.0.1", "127.0.0.1", 0, 0, 17, 40000, 5353, .status = SR, .timeout = 30,
 .acct = true, .pk0 = 1, .by0 = 38, .pk1 = 1, .by1 = 48, .start = 1795334070200000000ull,
 .now_ms = 900, .flags = F_KTS,
 .want = "udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=5353 packets=1 bytes=38 src=127.0.0.1 dst=127.0.0.1 sport=5353 dport=40000 packets=1 bytes=48 mark=0 delta-time=1 [start=Sun Nov 22 07:54:30 2026] use=1"},
/* listing-traffic.txt: generic-tracked DCCP, IGMP, GRE; ICMP with a reply */
{100, "127.0.0.1", "127.0.0.1", 0, 0, 33, .timeout = 600, .acct = true, .pk0 = 1, .by0 = 36,
 .start = 1795446154660086893ull, .now_ms = 1200, .flags = F_EXT,
 .want = "ipv4     2 dccp     33 598 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=0 packets=1 bytes=36 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=0 dport=0 packets=0 bytes=0 mark=0 delta-time=1 use=1"},
{101, "127.0.0.1", "127.0.0.1", 0, 0, 2, .timeout = 600, .acct = true, .pk0 = 1, .by0 = 28,
 .start = 1795446154660432080ull, .now_ms = 1200, .flags = F_EXT,
 .want = "ipv4     2 unknown  2 598 src=127.0.0.1 dst=127.0.0.1 packets=1 bytes=28 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 packets=0 bytes=0 mark=0 delta-time=1 use=1"},
{102, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0, .status = SR,
 .timeout = 30, .acct = true, .pk0 = 1, .by0 = 32, .pk1 = 1, .by1 = 32,
 .start = 1795446154659801247ull, .now_ms = 1200, .flags = F_EXT,
 .want = "ipv4     2 icmp     1 28 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=1234 packets=1 bytes=32 src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=1234 packets=1 bytes=32 mark=0 delta-time=1 use=1"},
{103, "::1", "::1", 0, 0, 17, 47650, 5353, .timeout = 30, .acct = true, .pk0 = 1, .by0 = 60,
 .start = 1795446154660597236ull, .now_ms = 1200, .flags = F_EXT,
 .want = "ipv6     10 udp      17 28 src=::1 dst=::1 sport=47650 dport=5353 packets=1 bytes=60 [UNREPLIED] src=::1 dst=::1 sport=5353 dport=47650 packets=0 bytes=0 mark=0 delta-time=1 use=1"},
{104, "127.0.0.1", "127.0.0.1", 0, 0, 47, .timeout = 30, .acct = true, .pk0 = 1, .by0 = 44,
 .start = 1795446154660322699ull, .now_ms = 1200, .flags = F_EXT,
 .want = "ipv4     2 gre      47 28 src=127.0.0.1 dst=127.0.0.1 srckey=0x0 dstkey=0x0 packets=1 bytes=44 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 srckey=0x0 dstkey=0x0 packets=0 bytes=0 mark=0 delta-time=1 use=1"},
{105, "127.0.0.1", "127.0.0.1", 0, 0, 33, .timeout = 600, .acct = true, .pk0 = 1, .by0 = 36,
 .start = 1795446154660086893ull, .now_ms = 1200, .flags = F_SAVE,
 .want = "-A -t 598 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p dccp"},
{106, "127.0.0.1", "127.0.0.1", 0, 0, 2, .timeout = 600, .now_ms = 1200, .flags = F_SAVE,
 .want = "-A -t 598 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p 2"},
{107, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0, .status = SR,
 .timeout = 30, .now_ms = 1200, .flags = F_SAVE,
 .want = "-A -t 28 -u SEEN_REPLY -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1234"},
{108, "127.0.0.1", "127.0.0.1", 0, 0, 47, .timeout = 30, .now_ms = 1200, .flags = F_SAVE,
 .want = "-A -t 28 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p gre --srckey 0 --dstkey 0 --reply-key-src 0 --reply-key-dst 0"},
{109, "127.0.0.1", "127.0.0.1", 0, 0, 33, .timeout = 600, .acct = true, .pk0 = 1, .by0 = 36,
 .start = 1795446154660086893ull, .now_ms = 1200, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"33\" protoname=\"dccp\"><sport>0</sport><dport>0</dport></layer4><counters><packets>1</packets><bytes>36</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"33\" protoname=\"dccp\"><sport>0</sport><dport>0</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\"><timeout>598</timeout><mark>0</mark><use>1</use><id>%u</id><unreplied/><deltatime>1</deltatime></meta></flow>"},

/* ---- labels (listing.txt block 3; spec §2) ---- */
{110, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 100, .state = T_ES,
 .lab0 = 1ull << 0 | 1ull << 2, .lab1 = 1ull << 63, .now_ms = 500, .map = true,
 .want = "tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=0 use=1 labels=eth0-in,interactive,last"},
{111, "1.1.1.6", "2.2.2.2", 0, 0, 6, 10, 20, .timeout = 100, .state = T_ES,
 .lab0 = 1ull << 3, .lab1 = 1, .now_ms = 500, .map = true,
 .want = "tcp      6 99 ESTABLISHED src=1.1.1.6 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=2.2.2.2 dst=1.1.1.6 sport=20 dport=10 mark=0 use=1 labels=high"},
/* only an unnamed bit: libnfct strips the '=' */
{112, "1.1.1.5", "2.2.2.2", 0, 0, 6, 10, 20, .timeout = 100, .state = T_ES, .lab0 = 1ull << 3,
 .now_ms = 500, .map = true,
 .want = "tcp      6 99 ESTABLISHED src=1.1.1.5 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=2.2.2.2 dst=1.1.1.5 sport=20 dport=10 mark=0 use=1 labels"},
/* without a label map nothing is printed */
{113, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 100, .state = T_ES,
 .lab0 = 1ull << 0 | 1ull << 2, .lab1 = 1ull << 63, .now_ms = 500,
 .want = "tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=0 use=1"},
{114, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 100, .state = T_ES,
 .lab0 = 1ull << 0 | 1ull << 2, .lab1 = 1ull << 63, .now_ms = 500, .map = true,
 .flags = F_EXT | F_ID,
 .want = "ipv4     2 tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=0 use=1 id=%u labels=eth0-in,interactive,last"},
{115, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 100, .state = T_ES,
 .lab0 = 1ull << 0 | 1ull << 2, .lab1 = 1ull << 63, .now_ms = 500, .map = true, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><state>ESTABLISHED</state><timeout>99</timeout><mark>0</mark><labels><label>eth0-in</label><label>interactive</label><label>last</label></labels><use>1</use><id>%u</id><assured/></meta></flow>"},
{116, "1.1.1.5", "2.2.2.2", 0, 0, 6, 10, 20, .timeout = 100, .state = T_ES, .lab0 = 1ull << 3,
 .now_ms = 500, .map = true, .flags = F_XML,
 .want = "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.5</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.5</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><state>ESTABLISHED</state><timeout>99</timeout><mark>0</mark><labels></labels><use>1</use><id>%u</id><unreplied/></meta></flow>"},
{117, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS, .timeout = 120, .state = T_ES,
 .acct = true, .start = 1795446000200000000ull, .lab0 = 1ull << 0 | 1ull << 2, .now_ms = 700,
 .map = true, .flags = F_EXT | F_ID,
 .want = "ipv4     2 tcp      6 119 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=0 delta-time=0 use=1 id=%u labels=eth0-in,interactive"},

/* ---- offload flags: one of them, in priority order (spec §2) ---- */
{120, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .status = SR | AS | CT_S_OFFLOAD, .timeout = 120,
 .state = T_ES, .now_ms = 500,
 .want = "tcp      6 119 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [OFFLOAD] mark=0 use=1"},
{121, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20,
 .status = SR | AS | CT_S_OFFLOAD | CT_S_HW_OFFLOAD, .timeout = 120, .state = T_ES,
 .now_ms = 500,
 .want = "tcp      6 119 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [HW_OFFLOAD] mark=0 use=1"},

/* ---- events raised by the control plane (events-userspace.*) ---- */
{130, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .ev = EV_NEW,
 .want = "    [NEW] tcp      6 100 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=42 zone=3"},
{131, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .ev = EV_NEW, .flags = F_TS | F_EXT | F_ID | F_KTS, .ev_wall = 1795446099299169123ull,
 .want = "[1795446099.299169]\t    [NEW] ipv4     2 tcp      6 100 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=42 zone=3 id=%u"},
{132, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .ev = EV_NEW, .flags = F_SAVE,
 .want = "-A -t 100 -u SEEN_REPLY,ASSURED -w 3 -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{133, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .ev = EV_NEW, .flags = F_XML,
 .want = "<flow type=\"new\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><state>ESTABLISHED</state><timeout>100</timeout><mark>42</mark><zone>3</zone><id>%u</id><assured/></meta></flow>"},
{134, "1.1.1.2", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 100, .ev = EV_NEW,
 .want = "    [NEW] udp      17 100 src=1.1.1.2 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=2.2.2.2 dst=1.1.1.2 sport=20 dport=10 mark=0"},
{135, "1.1.1.2", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 100, .ev = EV_NEW,
 .flags = F_TS | F_EXT | F_ID | F_KTS, .ev_wall = 1795446099300586999ull,
 .want = "[1795446099.300586]\t    [NEW] ipv4     2 udp      17 100 src=1.1.1.2 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=2.2.2.2 dst=1.1.1.2 sport=20 dport=10 mark=0 id=%u"},
{136, "1.1.1.2", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 50, .acct = true,
 .start = 1795446099300000000ull, .ev = EV_UPD, .evp = CT_EV_MARK,
 .want = " [UPDATE] udp      17 50 src=1.1.1.2 dst=2.2.2.2 sport=10 dport=20 [UNREPLIED] src=2.2.2.2 dst=1.1.1.2 sport=20 dport=10 mark=0"},
{137, "1.1.1.2", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 50, .ev = EV_UPD, .flags = F_SAVE,
 .want = "-U -t 50 -u UNSET -s 1.1.1.2 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.2 -p udp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10"},
{138, "1.1.1.2", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 50, .mark = 1, .now_ms = 500,
 .ev = EV_UPD, .flags = F_XML,
 .want = "<flow type=\"update\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.2</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>20</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><timeout>49</timeout><mark>1</mark><id>%u</id><unreplied/></meta></flow>"},
{139, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .stop = 1795446099320000000ull, .now_ms = 500, .ev = EV_DEL,
 .want = "[DESTROY] tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=42 zone=3 delta-time=0"},
{140, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .stop = 1795446099320000000ull, .now_ms = 500, .ev = EV_DEL,
 .flags = F_TS | F_EXT | F_ID | F_KTS, .ev_wall = 1795446099320343000ull,
 .want = "[1795446099.320343]\t[DESTROY] ipv4     2 tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=42 zone=3 delta-time=0 [start=Mon Nov 23 15:01:39 2026] [stop=Mon Nov 23 15:01:39 2026] id=%u"},
{141, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .stop = 1795446099320000000ull, .now_ms = 500, .ev = EV_DEL, .flags = F_SAVE,
 .want = "-D -t 99 -u SEEN_REPLY,ASSURED -w 3 -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{142, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .oz = 3, .rz = 3, .status = SR | AS,
 .timeout = 100, .mark = 42, .state = T_ES, .acct = true, .start = 1795446099299000000ull,
 .stop = 1795446099320000000ull, .now_ms = 500, .ev = EV_DEL, .flags = F_XML,
 .want = "<flow type=\"destroy\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\"><state>ESTABLISHED</state><timeout>99</timeout><mark>42</mark><zone>3</zone><id>%u</id><assured/><deltatime>0</deltatime></meta></flow>"},
{143, "1.1.1.2", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 50, .mark = 1, .acct = true,
 .start = 1795446099300000000ull, .stop = 1795446100633000000ull, .now_ms = 1320,
 .ev = EV_DEL,
 .want = "[DESTROY] udp      17 48 src=1.1.1.2 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 [UNREPLIED] src=2.2.2.2 dst=1.1.1.2 sport=20 dport=10 packets=0 bytes=0 mark=1 delta-time=1"},
/* spec §2 */
{144, "127.0.0.1", "127.0.0.1", 0, 0, 17, 40000, 5353, .status = SR, .timeout = 30,
 .acct = true, .pk0 = 1, .by0 = 38, .pk1 = 1, .by1 = 48, .start = 1795334446100000000ull,
 .stop = 1795334447000000000ull, .now_ms = 900, .ev = EV_DEL, .flags = F_KTS | F_ID,
 .want = "[DESTROY] udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=5353 packets=1 bytes=38 src=127.0.0.1 dst=127.0.0.1 sport=5353 dport=40000 packets=1 bytes=48 delta-time=1 [start=Sun Nov 22 08:00:46 2026] [stop=Sun Nov 22 08:00:47 2026] id=%u"},
{145, "127.0.0.1", "127.0.0.1", 0, 0, 17, 40000, 5353, .status = SR, .timeout = 30,
 .ev = EV_UPD, .flags = F_SAVE | F_K, .evp = CT_EV_STATUS,
 .want = "-U -t 30 -u SEEN_REPLY -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p udp --sport 40000 --dport 5353 --reply-port-src 5353 --reply-port-dst 40000"},
{146, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53112, 8080, .timeout = 120, .state = T_SS,
 .ev = EV_NEW, .flags = F_K | F_TS | F_EXT | F_ID, .ev_wall = 1795334078026047999ull,
 .want = "[1795334078.026047]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=53112 dport=8080 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53112 id=%u"},
{147, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53112, 8080, .status = SR | AS, .timeout = 432000,
 .state = T_ES, .ev = EV_UPD, .evp = CT_EV_PROTOINFO | CT_EV_STATUS, .flags = F_K,
 .want = " [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=53112 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53112 [ASSURED]"},

/* ---- events raised by packets (events-kernel.*), `ct mark set 5` on the flow ---- */
{150, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .timeout = 120, .mark = 5,
 .state = T_SS, .acct = true, .start = 1795446154056479076ull, .ev = EV_NEW, .flags = F_K,
 .map = true,
 .want = "    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 mark=5"},
{151, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .timeout = 120, .mark = 5,
 .state = T_SS, .ev = EV_NEW, .flags = F_K | F_SAVE,
 .want = "-A -t 120 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p tcp --sport 53310 --dport 8080 --reply-port-src 8080 --reply-port-dst 53310 --state SYN_SENT"},
{152, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR, .timeout = 60, .mark = 5,
 .state = T_SR, .ev = EV_UPD, .evp = CT_EV_PROTOINFO | CT_EV_STATUS, .flags = F_K,
 .map = true,
 .want = " [UPDATE] tcp      6 60 SYN_RECV src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 mark=5"},
{153, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR, .timeout = 60, .mark = 5,
 .state = T_SR, .lab0 = 1ull << 2, .ev = EV_UPD, .evp = CT_EV_LABEL, .flags = F_K,
 .map = true,
 .want = " [UPDATE] tcp      6 60 src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 mark=5 labels=interactive"},
{154, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR, .timeout = 60, .mark = 5,
 .state = T_SR, .lab0 = 1ull << 2, .ev = EV_UPD, .evp = CT_EV_LABEL, .flags = F_K | F_SAVE,
 .want = "-U -t 60 -u SEEN_REPLY -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p tcp --sport 53310 --dport 8080 --reply-port-src 8080 --reply-port-dst 53310"},
{155, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR | AS, .timeout = 432000,
 .mark = 5, .state = T_ES, .lab0 = 1ull << 2, .ev = EV_UPD,
 .evp = CT_EV_PROTOINFO | CT_EV_STATUS, .flags = F_K, .map = true,
 .want = " [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 [ASSURED] mark=5"},
{156, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR | AS, .timeout = 60,
 .mark = 5, .state = T_CW, .lab0 = 1ull << 2, .ev = EV_UPD, .evp = CT_EV_PROTOINFO,
 .flags = F_K | F_SAVE,
 .want = "-U -t 60 -u SEEN_REPLY,ASSURED -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p tcp --sport 53310 --dport 8080 --reply-port-src 8080 --reply-port-dst 53310 --state CLOSE_WAIT"},
{157, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR | AS, .timeout = 120,
 .mark = 5, .state = T_TW, .lab0 = 1ull << 2, .acct = true, .pk0 = 6, .by0 = 325, .pk1 = 5,
 .by1 = 270, .start = 1795446154056479076ull, .stop = 1795446155788611305ull, .now_ms = 1732,
 .ev = EV_DEL, .flags = F_K, .map = true,
 .want = "[DESTROY] tcp      6 118 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 packets=6 bytes=325 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 packets=5 bytes=270 [ASSURED] mark=5 delta-time=1"},
{158, "127.0.0.1", "127.0.0.1", 0, 0, 6, 53310, 8080, .status = SR | AS, .timeout = 120,
 .mark = 5, .state = T_TW, .lab0 = 1ull << 2, .acct = true, .pk0 = 6, .by0 = 325, .pk1 = 5,
 .by1 = 270, .start = 1795446154056479076ull, .stop = 1795446155788611305ull, .now_ms = 1732,
 .ev = EV_DEL, .flags = F_XML | F_TS | F_KTS, .ev_wall = 1795446155790000000ull, .map = true,
 .want = "<flow type=\"destroy\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>53310</sport><dport>8080</dport></layer4><counters><packets>6</packets><bytes>325</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>8080</sport><dport>53310</dport></layer4><counters><packets>5</packets><bytes>270</bytes></counters></meta><meta direction=\"independent\"><state>TIME_WAIT</state><timeout>118</timeout><mark>5</mark><id>%u</id><assured/><timestamp><start>1795446154056479076</start><stop>1795446155788611305</stop></timestamp><deltatime>1</deltatime></meta><when><hour>15</hour><min>02</min><sec>35</sec><wday>2</wday><day>23</day><month>11</month><year>2026</year></when></flow>"},
{159, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0,
 .timeout = 30, .acct = true, .start = 1795446154659801247ull, .ev = EV_NEW, .flags = F_K,
 .want = "    [NEW] icmp     1 30 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=1234 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=1234"},
{160, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0,
 .timeout = 30, .ev = EV_NEW, .flags = F_K | F_XML | F_TS | F_KTS,
 .ev_wall = 1795446154660000000ull,
 .want = "<flow type=\"new\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"1\" protoname=\"icmp\"></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"1\" protoname=\"icmp\"></layer4></meta><meta direction=\"independent\"><timeout>30</timeout><id>%u</id><unreplied/></meta><when><hour>15</hour><min>02</min><sec>34</sec><wday>2</wday><day>23</day><month>11</month><year>2026</year></when></flow>"},
{161, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0,
 .status = SR, .timeout = 30, .ev = EV_UPD, .evp = CT_EV_STATUS, .flags = F_K,
 .want = " [UPDATE] icmp     1 30 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=1234 src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=1234"},
{162, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0,
 .status = SR, .timeout = 30, .ev = EV_UPD, .evp = CT_EV_STATUS, .flags = F_K | F_SAVE,
 .want = "-U -t 30 -u SEEN_REPLY -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 1234"},
{163, "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", 1, 1234, 8 << 8, 1234, 0,
 .status = SR, .timeout = 30, .acct = true, .pk0 = 1, .by0 = 32, .pk1 = 1, .by1 = 32,
 .start = 1795446154659801247ull, .stop = 1795446155788707792ull, .now_ms = 1129,
 .ev = EV_DEL, .flags = F_XML | F_TS | F_KTS, .ev_wall = 1795446155790000000ull,
 .want = "<flow type=\"destroy\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"1\" protoname=\"icmp\"></layer4><counters><packets>1</packets><bytes>32</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"1\" protoname=\"icmp\"></layer4><counters><packets>1</packets><bytes>32</bytes></counters></meta><meta direction=\"independent\"><timeout>28</timeout><id>%u</id><timestamp><start>1795446154659801247</start><stop>1795446155788707792</stop></timestamp><deltatime>1</deltatime></meta><when><hour>15</hour><min>02</min><sec>35</sec><wday>2</wday><day>23</day><month>11</month><year>2026</year></when></flow>"},
{164, "127.0.0.1", "127.0.0.1", 0, 0, 33, .timeout = 600, .ev = EV_NEW, .flags = F_K,
 .want = "    [NEW] dccp     33 600 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=0 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=0 dport=0"},
{165, "127.0.0.1", "127.0.0.1", 0, 0, 33, .timeout = 600, .ev = EV_NEW, .flags = F_K | F_SAVE,
 .want = "-A -t 600 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p dccp"},
{166, "127.0.0.1", "127.0.0.1", 0, 0, 47, .timeout = 30, .ev = EV_NEW, .flags = F_K,
 .want = "    [NEW] gre      47 30 src=127.0.0.1 dst=127.0.0.1 srckey=0x0 dstkey=0x0 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 srckey=0x0 dstkey=0x0"},
{167, "127.0.0.1", "127.0.0.1", 0, 0, 2, .timeout = 600, .ev = EV_NEW, .flags = F_K,
 .want = "    [NEW] unknown  2 600 src=127.0.0.1 dst=127.0.0.1 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1"},
{168, "127.0.0.1", "127.0.0.1", 0, 0, 2, .timeout = 600, .ev = EV_NEW, .flags = F_K | F_SAVE,
 .want = "-A -t 600 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p 2"},
{169, "::1", "::1", 0, 0, 17, 47650, 5353, .timeout = 30, .ev = EV_NEW, .flags = F_K,
 .want = "    [NEW] udp      17 30 src=::1 dst=::1 sport=47650 dport=5353 [UNREPLIED] src=::1 dst=::1 sport=5353 dport=47650"},
{170, "127.0.0.1", "127.0.0.1", 0, 0, 47, .timeout = 30, .acct = true, .pk0 = 1, .by0 = 44,
 .start = 1795446154660322699ull, .stop = 1795446155789277442ull, .now_ms = 1129,
 .ev = EV_DEL, .flags = F_K,
 .want = "[DESTROY] gre      47 28 src=127.0.0.1 dst=127.0.0.1 srckey=0x0 dstkey=0x0 packets=1 bytes=44 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 srckey=0x0 dstkey=0x0 packets=0 bytes=0 delta-time=1"},
{171, "127.0.0.1", "127.0.0.1", 0, 0, 17, 45624, 5353, .timeout = 30, .acct = true,
 .start = 1795446099412000000ull, .ev = EV_NEW, .flags = F_K | F_XML,
 .want = "<flow type=\"new\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>45624</sport><dport>5353</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>127.0.0.1</src><dst>127.0.0.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>5353</sport><dport>45624</dport></layer4></meta><meta direction=\"independent\"><timeout>30</timeout><id>%u</id><unreplied/></meta></flow>"},
{172, "127.0.0.1", "127.0.0.1", 0, 0, 17, 45624, 5353, .timeout = 30, .acct = true, .pk0 = 1,
 .by0 = 30, .start = 1795446099412000000ull, .stop = 1795446100631000000ull, .now_ms = 1220,
 .ev = EV_DEL, .flags = F_TS | F_EXT | F_ID | F_KTS, .ev_wall = 1795446100631830000ull,
 .want = "[1795446100.631830]\t[DESTROY] ipv4     2 udp      17 28 src=127.0.0.1 dst=127.0.0.1 sport=45624 dport=5353 packets=1 bytes=30 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=5353 dport=45624 packets=0 bytes=0 delta-time=1 [start=Mon Nov 23 15:01:39 2026] [stop=Mon Nov 23 15:01:40 2026] id=%u"},
{173, "127.0.0.1", "127.0.0.1", 0, 0, 17, 45624, 5353, .timeout = 30, .acct = true, .pk0 = 1,
 .by0 = 30, .start = 1795446099412000000ull, .stop = 1795446100631000000ull, .now_ms = 1220,
 .ev = EV_DEL, .flags = F_SAVE,
 .want = "-D -t 28 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p udp --sport 45624 --dport 5353 --reply-port-src 5353 --reply-port-dst 45624"},

/* ---- DESTROY of an expired entry (events-expiry.*): no timeout ---- */
{180, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .timeout = 1, .mark = 9, .state = T_ES,
 .acct = true, .start = 1795446665800000000ull, .stop = 1795446666790000000ull, .now_ms = 3000,
 .ev = EV_DEL, .flags = F_K | F_KTS,
 .want = "[DESTROY] tcp      6 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 mark=9 delta-time=1 [start=Mon Nov 23 15:11:05 2026] [stop=Mon Nov 23 15:11:06 2026]"},
{181, "1.1.1.1", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 1, .acct = true,
 .start = 1795446665800000000ull, .stop = 1795446666790000000ull, .now_ms = 3000,
 .ev = EV_DEL, .flags = F_K | F_KTS,
 .want = "[DESTROY] udp      17 src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 delta-time=1 [start=Mon Nov 23 15:11:05 2026] [stop=Mon Nov 23 15:11:06 2026]"},
{182, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .timeout = 1, .mark = 9, .state = T_ES,
 .acct = true, .start = 1795446665800000000ull, .stop = 1795446666790000000ull, .now_ms = 3000,
 .ev = EV_DEL, .flags = F_K | F_SAVE,
 .want = "-D -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED"},
{183, "1.1.1.1", "2.2.2.2", 0, 0, 6, 10, 20, .timeout = 1, .mark = 9, .state = T_ES,
 .acct = true, .start = 1795446665800000000ull, .stop = 1795446666790000000ull, .now_ms = 3000,
 .ev = EV_DEL, .flags = F_K | F_XML,
 .want = "<flow type=\"destroy\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\"><state>ESTABLISHED</state><mark>9</mark><id>%u</id><unreplied/><deltatime>0</deltatime></meta></flow>"},
{184, "1.1.1.1", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 1, .acct = true,
 .start = 1795446665800000000ull, .stop = 1795446666790000000ull, .now_ms = 3000,
 .ev = EV_DEL, .flags = F_K | F_XML,
 .want = "<flow type=\"destroy\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>10</sport><dport>20</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>20</sport><dport>10</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\"><id>%u</id><unreplied/><deltatime>0</deltatime></meta></flow>"},
{185, "1.1.1.1", "2.2.2.2", 0, 0, 17, 10, 20, .timeout = 1, .ev = EV_NEW, .flags = F_XML,
 .want = "<flow type=\"new\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src><dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src><dst>1.1.1.1</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>20</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><timeout>1</timeout><mark>0</mark><id>%u</id><unreplied/></meta></flow>"},
};
/* clang-format on */

static void parse_addr(const char *s, struct ct_tuple *tu, uint8_t *out)
{
	if (strchr(s, ':')) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		tu->l3num = 10;
	} else {
		assert_int_equal(inet_pton(AF_INET, s, out), 1);
		tu->l3num = 2;
	}
}

/* Build the entry of a case; the table is created with the case's wall clock. */
static struct ct_conn *build(const struct fcase *fc, struct ct_table **tp)
{
	struct ct_table_config cfg = {.max = 64, .wall_offset = fc->start};
	struct ct_conn_spec s;
	struct ct_conn *c = NULL;

	memset(&s, 0, sizeof(s));
	assert_int_equal(ct_table_new(&cfg, tp), 0);
	parse_addr(fc->os, &s.orig, s.orig.src);
	parse_addr(fc->od, &s.orig, s.orig.dst);
	s.orig.proto = fc->proto;
	s.orig.src_l4 = fc->osp;
	s.orig.dst_l4 = fc->odp;
	s.orig.zone = fc->oz;
	s.reply = s.orig;
	if (fc->rs) {
		parse_addr(fc->rs, &s.reply, s.reply.src);
		parse_addr(fc->rd, &s.reply, s.reply.dst);
		s.reply.src_l4 = fc->rsp;
		s.reply.dst_l4 = fc->rdp;
	} else {
		memcpy(s.reply.src, s.orig.dst, 16);
		memcpy(s.reply.dst, s.orig.src, 16);
		s.reply.src_l4 = fc->odp;
		s.reply.dst_l4 = fc->osp;
	}
	s.reply.zone = fc->rz;
	s.status = fc->status;
	s.timeout_s = fc->timeout;
	s.mark = fc->mark;
	s.proto_state = fc->state;
	s.labels[0] = fc->lab0;
	s.labels[1] = fc->lab1;
	s.acct = fc->acct;
	s.packets[0] = fc->pk0;
	s.packets[1] = fc->pk1;
	s.bytes[0] = fc->by0;
	s.bytes[1] = fc->by1;
	s.tstamp = fc->start != 0;
	assert_int_equal(ct_conn_insert(*tp, &s, 0, &c), 0);
	assert_non_null(c);
	if (fc->proto == 132) {
		c->ps.sctp.vtag[0] = fc->vtag0;
		c->ps.sctp.vtag[1] = fc->vtag1;
	}
	if (fc->stop)
		ct_conn_ext(*tp, c)->tstamp_stop = fc->stop;
	c->ev_pending = fc->evp;
	return c;
}

static void fill_opts(const struct fcase *fc, struct ct_fmt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->flags = fc->flags;
	o->now = fc->now_ms * MS;
	o->wall_now = fc->wall_now ? fc->wall_now : fc->start + fc->now_ms * MS;
	o->labels = fc->map ? &lmap : NULL;
	o->event = fc->ev;
	o->event_wall = fc->ev_wall;
}

static void test_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *fc = &cases[i];
		struct ct_table *t = NULL;
		struct ct_fmt_opts o;
		char want[2048], got[2048];
		const struct ct_conn *c = build(fc, &t);
		int n;

		fill_opts(fc, &o);
		snprintf(want, sizeof(want), fc->want, ct_conn_id(c));
		n = ct_format_conn(t, c, &o, got, sizeof(got));
		if (strcmp(want, got) != 0)
			fail_msg("case %d:\n want: %s\n  got: %s", fc->no, want, got);
		assert_int_equal(n, (int)strlen(want));
		ct_table_free(t);
	}
}

/* snprintf contract: the return value is the full length at every buffer size. */
static void test_truncation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i += 7) {
		const struct fcase *fc = &cases[i];
		struct ct_table *t = NULL;
		struct ct_fmt_opts o;
		char full[2048], small[2048];
		const struct ct_conn *c = build(fc, &t);
		int n = 0;

		fill_opts(fc, &o);
		n = ct_format_conn(t, c, &o, full, sizeof(full));
		assert_int_equal(ct_format_conn(t, c, &o, NULL, 0), n);
		for (size_t len = 1; len <= (size_t)n + 1; len++) {
			memset(small, 'X', sizeof(small));
			assert_int_equal(ct_format_conn(t, c, &o, small, len), n);
			assert_int_equal(small[len - 1], '\0');
			assert_int_equal(strlen(small), len - 1 < (size_t)n ? len - 1 : (size_t)n);
			assert_memory_equal(small, full, strlen(small));
			assert_int_equal(small[len], 'X');
		}
		ct_table_free(t);
	}
}

/* ct_format_addr must print exactly what glibc's inet_ntop prints. */
static void check_addr6(const uint8_t a[16])
{
	char want[64], got[64];

	assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
	assert_int_equal(ct_format_addr(10, a, got, sizeof(got)), (int)strlen(want));
	if (strcmp(want, got) != 0)
		fail_msg("inet_ntop %s, ours %s", want, got);
}

static void test_addr(void **state)
{
	static const char *const fixed[] = {
	    "::",
	    "::1",
	    "::2:3",
	    "::ffff:1.2.3.4",
	    "::1.2.3.4",
	    "1::",
	    "1:0:0:2::3",
	    "1::2:0:0:3",
	    "1:0:1:0:1:0:1:0",
	    "fe80::1",
	    "::ffff:0:0",
	    "0:0:1::",
	    "1:2:3:4:5:6:7:8",
	    "2001:db8::1:0:0:1",
	    "fd00:0:0:1::22",
	    "::fffe:1.2.3.4",
	    "0:0:0:0:0:ffff:0:1",
	    "ffff::",
	};
	uint8_t a[16];
	char buf[64];
	unsigned seed = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, fixed[i], a), 1);
		check_addr6(a);
	}
	/* random addresses with many zero groups */
	for (int n = 0; n < 200000; n++) {
		for (int w = 0; w < 8; w++) {
			unsigned r = rand_r(&seed);
			uint16_t v = (r & 3) ? 0 : (uint16_t)(r >> 8);

			if ((r & 0x70) == 0x70)
				v = 0xffff;
			a[2 * w] = (uint8_t)(v >> 8);
			a[2 * w + 1] = (uint8_t)v;
		}
		check_addr6(a);
	}
	memcpy(a, (uint8_t[4]){192, 168, 100, 3}, 4);
	assert_int_equal(ct_format_addr(2, a, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "192.168.100.3");
	assert_int_equal(ct_format_addr(7, a, buf, sizeof(buf)), -EAFNOSUPPORT);
}

/*
 * ctime() dates: compare the ktimestamp text against the C library's
 * asctime of gmtime (plus an offset) over a wide range of instants.
 */
static void test_ctime(void **state)
{
	static const int tz[] = {0, 3600, -18000, 19800, 46800};
	unsigned seed = 99;

	(void)state;
	for (int n = 0; n < 3000; n++) {
		const struct fcase base = {0, "1.1.1.1", "2.2.2.2", 0, 0, 17, 1, 2, .timeout = 30};
		/* 2001 .. 2099, any nanosecond */
		uint64_t secs_in =
		    1000000000ull +
		    ((uint64_t)rand_r(&seed) << 16 ^ (uint64_t)rand_r(&seed)) % 3100000000ull;
		uint64_t start = secs_in * S_ + (uint64_t)rand_r(&seed) % S_;
		struct fcase fc = base;
		struct ct_table *t = NULL;
		struct ct_fmt_opts o;
		char got[512], want[64], *p;
		time_t secs;
		struct tm tm;
		int off = tz[n % 5];
		const struct ct_conn *c;

		fc.start = start;
		c = build(&fc, &t);
		fill_opts(&fc, &o);
		o.flags = CT_FMT_KTIMESTAMP;
		o.tz_offset_s = off;
		ct_format_conn(t, c, &o, got, sizeof(got));
		secs = (time_t)(start / S_) + off;
		gmtime_r(&secs, &tm);
		asctime_r(&tm, want);
		want[24] = '\0';
		p = strstr(got, "[start=");
		assert_non_null(p);
		if (strncmp(p + 7, want, 24) != 0 || p[31] != ']')
			fail_msg("start %llu off %d: want %s got %.26s", (unsigned long long)start,
				 off, want, p + 7);
		ct_table_free(t);
	}
}

/* The XML document framing of conntrack -L -o xml. */
static void test_xml_frame(void **state)
{
	(void)state;
	assert_string_equal(ct_format_xml_header(),
			    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n");
	assert_string_equal(ct_format_xml_footer(), "</conntrack>\n");
}

/*
 * Through the table's own event path: a DESTROY raised by ct_conn_delete
 * carries the stop stamp and counters; formatted inside the callback.
 */
struct ev_capture {
	struct ct_table *t;
	struct ct_fmt_opts o;
	char line[3][1024];
	int n;
};

static void on_event(void *arg, enum ct_event_type type, const struct ct_conn *c, uint64_t now)
{
	struct ev_capture *cap = arg;

	cap->o.event = type;
	cap->o.now = now;
	if (cap->n < 3)
		ct_format_conn(cap->t, c, &cap->o, cap->line[cap->n++], sizeof(cap->line[0]));
}

static void test_event_path(void **state)
{
	struct ev_capture cap;
	struct ct_table_config cfg = {.max = 16,
				      .event_fn = on_event,
				      .event_arg = &cap,
				      .wall_offset = 1795446099299000000ull};
	struct ct_conn_spec s;
	struct ct_conn *c = NULL;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ct_table_new(&cfg, &cap.t), 0);
	assert_int_equal(ct_setting_set(cap.t, "nf_conntrack_events", "1"), 0);
	s.orig.l3num = 2;
	s.orig.proto = 6;
	memcpy(s.orig.src, (uint8_t[4]){1, 1, 1, 1}, 4);
	memcpy(s.orig.dst, (uint8_t[4]){2, 2, 2, 2}, 4);
	s.orig.src_l4 = 10;
	s.orig.dst_l4 = 20;
	s.orig.zone = 3;
	s.reply = s.orig;
	memcpy(s.reply.src, s.orig.dst, 16);
	memcpy(s.reply.dst, s.orig.src, 16);
	s.reply.src_l4 = 20;
	s.reply.dst_l4 = 10;
	s.status = CT_S_SEEN_REPLY | CT_S_ASSURED;
	s.timeout_s = 100;
	s.mark = 42;
	s.proto_state = CT_TCP_ESTABLISHED;
	s.acct = true;
	s.tstamp = true;
	cap.o.wall_now = cfg.wall_offset;
	assert_int_equal(ct_conn_insert(cap.t, &s, 0, &c), 0);
	ct_conn_delete(cap.t, c, 500 * MS);
	ct_table_free(cap.t);

	assert_int_equal(cap.n, 2);
	assert_string_equal(cap.line[0],
			    "    [NEW] tcp      6 100 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 "
			    "dport=20 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 [ASSURED] mark=42 "
			    "zone=3");
	assert_string_equal(cap.line[1],
			    "[DESTROY] tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 "
			    "dport=20 packets=0 bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 "
			    "packets=0 bytes=0 [ASSURED] mark=42 zone=3 delta-time=0");
}

/*
 * use= counts the children of an FTP control entry (listing-ftp.txt); the
 * data connection is EXPECTED and names the control entry as its master.
 */
static void test_use_children(void **state)
{
	const struct fcase m = {0,
				"127.0.0.1",
				"127.0.0.1",
				0,
				0,
				6,
				47160,
				21,
				.status = SR | AS,
				.timeout = 432000,
				.state = T_ES,
				.now_ms = 500};
	struct ct_table *t = NULL;
	struct ct_conn *master = build(&m, &t), *child = NULL;
	struct ct_conn_spec s;
	struct ct_fmt_opts o;
	char got[1024], want[1024];
	const char *helper;

	(void)state;
	memset(ct_conn_ext(t, master), 0, sizeof(struct ct_ext_data));
	master->ext |= CT_EXT_HELPER;
	memset(&s, 0, sizeof(s));
	s.orig.l3num = 2;
	s.orig.proto = 6;
	memcpy(s.orig.src, (uint8_t[4]){127, 0, 0, 1}, 4);
	memcpy(s.orig.dst, (uint8_t[4]){127, 0, 0, 1}, 4);
	s.orig.src_l4 = 33642;
	s.orig.dst_l4 = 40001;
	s.reply = s.orig;
	s.reply.src_l4 = 40001;
	s.reply.dst_l4 = 33642;
	s.status = CT_S_EXPECTED | SR | AS;
	s.timeout_s = 432000;
	s.proto_state = CT_TCP_ESTABLISHED;
	s.acct = true; /* gives the child its extension data */
	assert_int_equal(ct_conn_insert(t, &s, 0, &child), 0);
	ct_conn_ext(t, child)->master = master->self;

	fill_opts(&m, &o);
	ct_format_conn(t, master, &o, got, sizeof(got));
	helper = ct_conn_helper_name(t, master);
	/* the real line carries helper=ftp; helper names come with the helpers */
	snprintf(want, sizeof(want),
		 "tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=47160 dport=21 "
		 "src=127.0.0.1 dst=127.0.0.1 sport=21 dport=47160 [ASSURED] mark=0 %s%suse=2",
		 helper ? "helper=" : "", helper ? "ftp " : "");
	assert_string_equal(got, want);

	ct_conn_delete(t, child, 600 * MS);
	ct_format_conn(t, master, &o, got, sizeof(got));
	assert_non_null(strstr(got, " use=1"));
	ct_table_free(t);
}

/*
 * End to end: the TCP flow of events-kernel.labels.txt (127.0.0.1:53310 ->
 * :8080, `ct mark set 5` on the way out, acct and timestamps on) replayed
 * through the real tracker; every event is formatted in its callback.  The
 * packets carry the same option lengths as the loopback capture (20 bytes on
 * SYNs, 12 otherwise), so the counters match too.  The capture's label-only
 * UPDATE is left out (no ruleset here).
 */
struct replay {
	struct ct_table *t;
	uint64_t wall0;
	char line[16][512];
	int n;
};

static void on_replay_event(void *arg, enum ct_event_type type, const struct ct_conn *c,
			    uint64_t now)
{
	struct replay *r = arg;
	struct ct_fmt_opts o = {
	    .flags = CT_FMT_EVENT_KERNEL, .now = now, .wall_now = r->wall0 + now, .event = type};

	if (r->n < 16)
		ct_format_conn(r->t, c, &o, r->line[r->n++], sizeof(r->line[0]));
}

/* One loopback IPv4/TCP segment through conntrack and confirm. */
static void replay_seg(struct replay *r, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
		       uint16_t len, uint64_t now, uint32_t mark)
{
	static const uint8_t syn_opt[20] = {2, 4, 0xff, 0xd7, 1, 1, 8, 10, 0, 0,
					    0, 1, 0,	0,    0, 0, 1, 1,  1, 1};
	static const uint8_t ts_opt[12] = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1};
	uint8_t buf[128], *th = buf + 20;
	uint16_t sp = dir ? 8080 : 53310, dp = dir ? 53310 : 8080;
	uint32_t optlen = (flags & 0x02) ? 20 : 12, l4 = 20 + optlen + len, tot = 20 + l4;
	uint32_t lo = 0x7f000001, nlo = __builtin_bswap32(lo);
	uint8_t la[4];
	struct ct_pkt p;

	memset(buf, 0, sizeof(buf));
	pk_wr32(la, lo);
	pk_ip4_hdr(buf, la, la, 6, 64, 0, 0, l4);
	pk_wr16(th, sp);
	pk_wr16(th + 2, dp);
	pk_wr32(th + 4, seq);
	pk_wr32(th + 8, ack);
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = flags;
	pk_wr16(th + 14, 65483);
	memcpy(th + 20, (flags & 0x02) ? syn_opt : ts_opt, optlen);
	pk_wr16(th + 16, pk_csum(th, l4, pk_pseudo4(buf, 6, l4)));

	memset(&p, 0, sizeof(p));
	p.data = buf;
	p.len = p.wire_len = tot;
	p.link = CT_LINK_RAW;
	p.l3num = 2;
	p.proto = 6;
	p.ttl = 64;
	p.l4_off = 20;
	p.l3_len = tot;
	p.l4_len = l4;
	p.tuple.l3num = 2;
	p.tuple.proto = 6;
	memcpy(p.tuple.src, &nlo, 4);
	memcpy(p.tuple.dst, &nlo, 4);
	p.tuple.src_l4 = sp;
	p.tuple.dst_l4 = dp;
	assert_int_equal(ct_hook_conntrack(r->t, &p, CT_HOOK_OUTPUT, now), 0);
	assert_non_null(p.ct);
	if (mark && dir == 0)
		ct_conn_set_mark(p.ct, mark); /* nft: tcp dport 8080 ct mark set 5 */
	assert_int_equal(ct_confirm(r->t, &p, now), 0);
}

static void test_replay_tcp(void **state)
{
	static const char *const want[] = {
	    "    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "[UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 mark=5",
	    " [UPDATE] tcp      6 60 SYN_RECV src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 mark=5",
	    " [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=53310 "
	    "dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 [ASSURED] mark=5",
	    " [UPDATE] tcp      6 120 FIN_WAIT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 [ASSURED] mark=5",
	    " [UPDATE] tcp      6 60 CLOSE_WAIT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 [ASSURED] mark=5",
	    " [UPDATE] tcp      6 30 LAST_ACK src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 [ASSURED] mark=5",
	    " [UPDATE] tcp      6 120 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 [ASSURED] mark=5",
	    "[DESTROY] tcp      6 118 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=53310 dport=8080 "
	    "packets=6 bytes=325 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=53310 packets=5 "
	    "bytes=270 [ASSURED] mark=5 delta-time=1",
	};
	struct replay r;
	struct ct_table_config cfg = {.max = 16, .event_fn = on_replay_event, .event_arg = &r};
	const uint64_t t0 = 100 * S_;
	enum { SYN = 0x02, FIN = 0x01, ACK = 0x10, PSH = 0x08 };

	(void)state;
	memset(&r, 0, sizeof(r));
	r.wall0 = 1795446054056479076ull; /* t0 = the capture's start stamp */
	cfg.wall_offset = r.wall0;
	assert_int_equal(ct_table_new(&cfg, &r.t), 0);
	assert_int_equal(ct_setting_set(r.t, "nf_conntrack_events", "1"), 0);
	assert_int_equal(ct_setting_set(r.t, "nf_conntrack_acct", "1"), 0);
	assert_int_equal(ct_setting_set(r.t, "nf_conntrack_timestamp", "1"), 0);

	replay_seg(&r, 0, SYN, 1000, 0, 0, t0, 5);
	replay_seg(&r, 1, SYN | ACK, 5000, 1001, 0, t0 + 1 * MS, 0);
	replay_seg(&r, 0, ACK, 1001, 5001, 0, t0 + 2 * MS, 5);
	replay_seg(&r, 0, PSH | ACK, 1001, 5001, 5, t0 + 3 * MS, 5);
	replay_seg(&r, 1, ACK, 5001, 1006, 0, t0 + 4 * MS, 0);
	replay_seg(&r, 1, PSH | ACK, 5001, 1006, 2, t0 + 5 * MS, 0);
	replay_seg(&r, 0, ACK, 1006, 5003, 0, t0 + 6 * MS, 5);
	replay_seg(&r, 1, FIN | ACK, 5003, 1006, 0, t0 + 200 * MS, 0);
	replay_seg(&r, 0, ACK, 1006, 5004, 0, t0 + 201 * MS, 5);
	replay_seg(&r, 0, FIN | ACK, 1006, 5004, 0, t0 + 500 * MS, 5);
	replay_seg(&r, 1, ACK, 5004, 1007, 0, t0 + 501 * MS, 0);
	ct_table_flush(r.t, t0 + 1732 * MS);
	ct_table_free(r.t);

	for (int i = 0; i < r.n && i < 8; i++)
		if (strcmp(r.line[i], want[i]) != 0)
			fail_msg("event %d:\n want: %s\n  got: %s", i, want[i], r.line[i]);
	assert_int_equal(r.n, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),	 cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_addr),	 cmocka_unit_test(test_ctime),
	    cmocka_unit_test(test_xml_frame),	 cmocka_unit_test(test_event_path),
	    cmocka_unit_test(test_use_children), cmocka_unit_test(test_replay_tcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
