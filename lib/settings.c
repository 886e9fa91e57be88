/* SPDX-License-Identifier: MIT */
/*
 * The nf_conntrack sysctls that change tracking, by name, with the defaults
 * of Linux 6.18 (spec §12, §5.7, §6.6).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ct_priv.h"

enum set_flag {
	SET_RO = 1u << 0, /* fixed at table creation (max, buckets) */
};

struct setting {
	const char *name; /* without "net.netfilter." / "net.ipv4." */
	size_t off;
	uint32_t min;
	uint32_t max;
	uint32_t def;
	uint32_t flags;
};

#define S(n, field, lo, hi, d) {n, offsetof(struct ct_settings, field), lo, hi, d, 0}
#define TO(n, field, d) S(n, field, 0, 2147483, d) /* seconds; kernel stores jiffies in int */

static const struct setting settings[] = {
	{"nf_conntrack_max", offsetof(struct ct_settings, max), 0, 0x7fffffff, 262144, SET_RO},
	{"nf_conntrack_buckets", offsetof(struct ct_settings, buckets), 1, 0x7fffffff, 262144,
	 SET_RO},
	S("nf_conntrack_acct", acct, 0, 1, 0),
	S("nf_conntrack_timestamp", timestamp, 0, 1, 0),
	S("nf_conntrack_checksum", checksum, 0, 1, 1),
	S("nf_conntrack_events", events, 0, 2, 2),
	S("nf_conntrack_log_invalid", log_invalid, 0, 255, 0),
	S("nf_conntrack_expect_max", expect_max, 1, 0x7fffffff, 4096),
	TO("nf_conntrack_generic_timeout", generic_timeout, 600),
	TO("nf_conntrack_icmp_timeout", icmp_timeout, 30),
	TO("nf_conntrack_icmpv6_timeout", icmpv6_timeout, 30),
	TO("nf_conntrack_udp_timeout", udp_timeout, 30),
	TO("nf_conntrack_udp_timeout_stream", udp_timeout_stream, 120),
	TO("nf_conntrack_gre_timeout", gre_timeout, 30),
	TO("nf_conntrack_gre_timeout_stream", gre_timeout_stream, 180),
	S("nf_conntrack_tcp_loose", tcp_loose, 0, 1, 1),
	S("nf_conntrack_tcp_be_liberal", tcp_be_liberal, 0, 1, 0),
	S("nf_conntrack_tcp_ignore_invalid_rst", tcp_ignore_invalid_rst, 0, 1, 0),
	S("nf_conntrack_tcp_max_retrans", tcp_max_retrans, 0, 255, 3), /* a u8 in the kernel */
	TO("nf_conntrack_tcp_timeout_syn_sent", tcp_timeouts[CT_TCP_SYN_SENT], 120),
	TO("nf_conntrack_tcp_timeout_syn_recv", tcp_timeouts[CT_TCP_SYN_RECV], 60),
	TO("nf_conntrack_tcp_timeout_established", tcp_timeouts[CT_TCP_ESTABLISHED], 432000),
	TO("nf_conntrack_tcp_timeout_fin_wait", tcp_timeouts[CT_TCP_FIN_WAIT], 120),
	TO("nf_conntrack_tcp_timeout_close_wait", tcp_timeouts[CT_TCP_CLOSE_WAIT], 60),
	TO("nf_conntrack_tcp_timeout_last_ack", tcp_timeouts[CT_TCP_LAST_ACK], 30),
	TO("nf_conntrack_tcp_timeout_time_wait", tcp_timeouts[CT_TCP_TIME_WAIT], 120),
	TO("nf_conntrack_tcp_timeout_close", tcp_timeouts[CT_TCP_CLOSE], 10),
	TO("nf_conntrack_tcp_timeout_max_retrans", tcp_timeouts[CT_TCP_TIMEOUT_RETRANS], 300),
	TO("nf_conntrack_tcp_timeout_unacknowledged", tcp_timeouts[CT_TCP_TIMEOUT_UNACK], 300),
	TO("nf_conntrack_sctp_timeout_closed", sctp_timeouts[CT_SCTP_CLOSED], 10),
	TO("nf_conntrack_sctp_timeout_cookie_wait", sctp_timeouts[CT_SCTP_COOKIE_WAIT], 3),
	TO("nf_conntrack_sctp_timeout_cookie_echoed", sctp_timeouts[CT_SCTP_COOKIE_ECHOED], 3),
	TO("nf_conntrack_sctp_timeout_established", sctp_timeouts[CT_SCTP_ESTABLISHED], 210),
	TO("nf_conntrack_sctp_timeout_shutdown_sent", sctp_timeouts[CT_SCTP_SHUTDOWN_SENT], 3),
	TO("nf_conntrack_sctp_timeout_shutdown_recd", sctp_timeouts[CT_SCTP_SHUTDOWN_RECD], 3),
	TO("nf_conntrack_sctp_timeout_shutdown_ack_sent", sctp_timeouts[CT_SCTP_SHUTDOWN_ACK_SENT],
	   3),
	TO("nf_conntrack_sctp_timeout_heartbeat_sent", sctp_timeouts[CT_SCTP_HEARTBEAT_SENT], 30),
	S("nf_conntrack_frag6_high_thresh", frag6_high, 0, 0x7fffffff, 4194304),
	S("nf_conntrack_frag6_low_thresh", frag6_low, 0, 0x7fffffff, 3145728),
	TO("nf_conntrack_frag6_timeout", frag6_time, 60),
	S("ipfrag_high_thresh", frag_high, 0, 0x7fffffff, 4194304),
	S("ipfrag_low_thresh", frag_low, 0, 0x7fffffff, 3145728),
	TO("ipfrag_time", frag_time, 30),
	/* ctrack's own knob, spec §13: see struct ct_settings. */
	S("ctrack_compat_rst_unack", compat_rst_unack, 0, 1, 0),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static uint32_t *field(struct ct_settings *s, const struct setting *d)
{
	return (uint32_t *)((uint8_t *)s + d->off);
}

void ct_settings_default(struct ct_settings *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < NSETTINGS; i++)
		*field(s, &settings[i]) = settings[i].def;
	/* SYN_SENT2 has no sysctl: it shares SYN_SENT's default (spec §5.7). */
	s->tcp_timeouts[CT_TCP_SYN_SENT2] = 120;
}

/* Accept "net.netfilter.X", "net/netfilter/X", "net.ipv4.X" and bare "X". */
static const struct setting *find(const char *name)
{
	static const char *const prefixes[] = {"net.netfilter.", "net/netfilter/", "net.ipv4.",
					       "net/ipv4/", ""};

	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		size_t n = strlen(prefixes[p]);

		if (strncmp(name, prefixes[p], n) != 0)
			continue;
		for (size_t i = 0; i < NSETTINGS; i++) {
			if (strcmp(name + n, settings[i].name) == 0)
				return &settings[i];
		}
	}
	return NULL;
}

int ct_setting_set(struct ct_table *t, const char *name, const char *value)
{
	const struct setting *d = find(name);
	unsigned long long v;
	char *end;

	if (!d)
		return -ENOENT;
	if (d->flags & SET_RO)
		return -EPERM;
	if (!value || *value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	if (errno || *end || v < d->min || v > d->max)
		return -EINVAL;
	*field(&t->set, d) = (uint32_t)v;
	return 0;
}

int ct_setting_get(const struct ct_table *t, const char *name, long long *out)
{
	const struct setting *d = find(name);

	if (!d)
		return -ENOENT;
	*out = *field((struct ct_settings *)&t->set, d);
	return 0;
}

const char *ct_setting_name(size_t i)
{
	return i < NSETTINGS ? settings[i].name : NULL;
}
