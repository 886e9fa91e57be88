/* SPDX-License-Identifier: MIT */
/*
 * Datatypes of the nft language: symbol tables (protocol, service, ICMP
 * names as nft 1.0.6 knows them, built in: nothing is read from /etc), value
 * parsing from tokens and value printing in nft's canonical forms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

const struct nft_sym nft_proto_syms[] = {
	{ "hopopt", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ggp", 3 }, { "ipencap", 4 },
	{ "st", 5 }, { "tcp", 6 }, { "egp", 8 }, { "igp", 9 }, { "pup", 12 }, { "udp", 17 },
	{ "hmp", 20 }, { "xns-idp", 22 }, { "rdp", 27 }, { "iso-tp4", 29 }, { "dccp", 33 },
	{ "xtp", 36 }, { "ddp", 37 }, { "idpr-cmtp", 38 }, { "ipv6", 41 }, { "ipv6-route", 43 },
	{ "ipv6-frag", 44 }, { "idrp", 45 }, { "rsvp", 46 }, { "gre", 47 }, { "esp", 50 },
	{ "ah", 51 }, { "skip", 57 }, { "ipv6-icmp", 58 }, { "ipv6-nonxt", 59 },
	{ "ipv6-opts", 60 }, { "rspf", 73 }, { "vmtp", 81 }, { "eigrp", 88 }, { "ospf", 89 },
	{ "ax.25", 93 }, { "ipip", 94 }, { "etherip", 97 }, { "encap", 98 }, { "pim", 103 },
	{ "ipcomp", 108 }, { "vrrp", 112 }, { "l2tp", 115 }, { "isis", 124 }, { "sctp", 132 },
	{ "fc", 133 }, { "mobility-header", 135 }, { "udplite", 136 }, { "mpls-in-ip", 137 },
	{ "manet", 138 }, { "hip", 139 }, { "shim6", 140 }, { "wesp", 141 }, { "rohc", 142 },
	{ "ethernet", 143 },
	/* accepted on input only (aliases) */
	{ "icmpv6", 58 }, { "comp", 108 },
	{ NULL, 0 },
};

static const struct nft_sym service_syms[] = {
	{ "tcpmux", 1 }, { "echo", 7 }, { "discard", 9 }, { "systat", 11 }, { "daytime", 13 },
	{ "netstat", 15 }, { "qotd", 17 }, { "chargen", 19 }, { "ftp-data", 20 }, { "ftp", 21 },
	{ "ssh", 22 }, { "telnet", 23 }, { "smtp", 25 }, { "time", 37 }, { "whois", 43 },
	{ "tacacs", 49 }, { "domain", 53 }, { "gopher", 70 }, { "finger", 79 }, { "http", 80 },
	{ "kerberos", 88 }, { "pop3", 110 }, { "sunrpc", 111 }, { "auth", 113 }, { "nntp", 119 },
	{ "ntp", 123 }, { "epmap", 135 }, { "netbios-ns", 137 }, { "netbios-dgm", 138 },
	{ "netbios-ssn", 139 }, { "imap2", 143 }, { "imap", 143 }, { "snmp", 161 },
	{ "snmp-trap", 162 }, { "bgp", 179 }, { "irc", 194 }, { "ldap", 389 }, { "https", 443 },
	{ "microsoft-ds", 445 }, { "kpasswd", 464 }, { "submissions", 465 }, { "syslog", 514 },
	{ "submission", 587 }, { "ldaps", 636 }, { "rsync", 873 }, { "ftps", 990 },
	{ "imaps", 993 }, { "pop3s", 995 }, { "openvpn", 1194 }, { "ms-sql-s", 1433 },
	{ "l2tp", 1701 }, { "radius", 1812 }, { "nfs", 2049 }, { "mysql", 3306 },
	{ "rdp", 3389 }, { "sip", 5060 }, { "postgresql", 5432 }, { "http-alt", 8080 },
	{ "bootps", 67 }, { "bootpc", 68 }, { "tftp", 69 },
	{ NULL, 0 },
};

static const struct nft_sym ct_state_syms[] = {
	{ "invalid", 1 }, { "established", 2 }, { "related", 4 }, { "new", 8 },
	{ "untracked", 64 }, { NULL, 0 },
};

static const struct nft_sym ct_status_syms[] = {
	{ "expected", 1 }, { "seen-reply", 2 }, { "assured", 4 }, { "confirmed", 8 },
	{ "snat", 16 }, { "dnat", 32 }, { "dying", 512 }, { NULL, 0 },
};

static const struct nft_sym ct_dir_syms[] = {
	{ "original", 0 }, { "reply", 1 }, { NULL, 0 },
};

static const struct nft_sym tcp_flag_syms[] = {
	{ "fin", 1 }, { "syn", 2 }, { "rst", 4 }, { "psh", 8 }, { "ack", 16 }, { "urg", 32 },
	{ "ecn", 64 }, { "cwr", 128 }, { NULL, 0 },
};

static const struct nft_sym icmp_type_syms[] = {
	{ "echo-reply", 0 }, { "destination-unreachable", 3 }, { "source-quench", 4 },
	{ "redirect", 5 }, { "echo-request", 8 }, { "router-advertisement", 9 },
	{ "router-solicitation", 10 }, { "time-exceeded", 11 }, { "parameter-problem", 12 },
	{ "timestamp-request", 13 }, { "timestamp-reply", 14 }, { "info-request", 15 },
	{ "info-reply", 16 }, { "address-mask-request", 17 }, { "address-mask-reply", 18 },
	{ NULL, 0 },
};

const struct nft_sym nft_icmp_code_syms[] = {
	{ "net-unreachable", 0 }, { "host-unreachable", 1 }, { "prot-unreachable", 2 },
	{ "port-unreachable", 3 }, { "frag-needed", 4 }, { "net-prohibited", 9 },
	{ "host-prohibited", 10 }, { "admin-prohibited", 13 }, { NULL, 0 },
};

static const struct nft_sym icmpv6_type_syms[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 }, { "time-exceeded", 3 },
	{ "parameter-problem", 4 }, { "echo-request", 128 }, { "echo-reply", 129 },
	{ "mld-listener-query", 130 }, { "mld-listener-report", 131 },
	{ "mld-listener-done", 132 }, { "mld-listener-reduction", 132 },
	{ "nd-router-solicit", 133 }, { "nd-router-advert", 134 }, { "nd-neighbor-solicit", 135 },
	{ "nd-neighbor-advert", 136 }, { "nd-redirect", 137 }, { "router-renumbering", 138 },
	{ "ind-neighbor-solicit", 141 }, { "ind-neighbor-advert", 142 },
	{ "mld2-listener-report", 143 }, { NULL, 0 },
};

const struct nft_sym nft_icmpv6_code_syms[] = {
	{ "no-route", 0 }, { "admin-prohibited", 1 }, { "addr-unreachable", 3 },
	{ "port-unreachable", 4 }, { "policy-fail", 5 }, { "reject-route", 6 }, { NULL, 0 },
};

const struct nft_sym nft_icmpx_code_syms[] = {
	{ "no-route", 0 }, { "port-unreachable", 1 }, { "host-unreachable", 2 },
	{ "admin-prohibited", 3 }, { NULL, 0 },
};

static const struct nft_sym nfproto_syms[] = {
	{ "ipv4", 2 }, { "ipv6", 10 }, { NULL, 0 },
};

const struct nft_dtype nft_dtypes[DT_MAX] = {
	[DT_INVALID] = { "invalid", "invalid", 0, false, false, NULL },
	[DT_INTEGER] = { "integer", "integer", 4, false, false, NULL },
	[DT_IPV4] = { "ipv4_addr", "IPv4 address", 4, false, false, NULL },
	[DT_IPV6] = { "ipv6_addr", "IPv6 address", 16, false, false, NULL },
	[DT_INET_PROTO] = { "inet_proto", "Internet protocol", 1, false, true, nft_proto_syms },
	[DT_INET_SERVICE] = { "inet_service", "internet network service", 2, false, false,
			      service_syms },
	[DT_MARK] = { "mark", "packet mark", 4, false, false, NULL },
	[DT_IFNAME] = { "ifname", "network interface name", 16, false, false, NULL },
	[DT_IFINDEX] = { "iface_index", "network interface index", 4, false, false, NULL },
	[DT_CT_STATE] = { "ct_state", "conntrack state", 4, true, false, ct_state_syms },
	[DT_CT_STATUS] = { "ct_status", "conntrack status", 4, true, false, ct_status_syms },
	[DT_CT_DIR] = { "ct_dir", "conntrack direction", 1, false, false, ct_dir_syms },
	[DT_TCP_FLAG] = { "tcp_flag", "TCP flag", 1, true, false, tcp_flag_syms },
	[DT_ICMP_TYPE] = { "icmp_type", "ICMP type", 1, false, false, icmp_type_syms },
	[DT_ICMP_CODE] = { "icmp_code", "icmp code", 1, false, false, nft_icmp_code_syms },
	[DT_ICMPV6_TYPE] = { "icmpv6_type", "ICMPv6 type", 1, false, false, icmpv6_type_syms },
	[DT_ICMPV6_CODE] = { "icmpv6_code", "icmpv6 code", 1, false, false, nft_icmpv6_code_syms },
	[DT_ICMPX_CODE] = { "icmpx_code", "icmpx code", 1, false, false, nft_icmpx_code_syms },
	[DT_NFPROTO] = { "nf_proto", "netfilter protocol", 1, false, false, nfproto_syms },
	[DT_TIME] = { "time", "relative time", 4, false, false, NULL },
	[DT_STRING] = { "string", "string", 16, false, false, NULL },
	[DT_VERDICT] = { "verdict", "verdict", 4, false, false, NULL },
	[DT_CONCAT] = { "concat", "concatenation", 0, false, false, NULL },
};

const struct nft_dtype *nft_dtype_by_name(const char *name, size_t len, enum nft_dt *out)
{
	for (int i = 1; i < DT_MAX; i++) {
		const char *n = nft_dtypes[i].name;

		if (strlen(n) == len && !memcmp(n, name, len)) {
			*out = (enum nft_dt)i;
			return &nft_dtypes[i];
		}
	}
	return NULL;
}

const char *nft_sym_name(const struct nft_sym *s, uint32_t v)
{
	for (; s && s->name; s++)
		if (s->val == v)
			return s->name;
	return NULL;
}

bool nft_sym_lookup(const struct nft_sym *s, const char *name, size_t n, uint32_t *v)
{
	for (; s && s->name; s++)
		if (strlen(s->name) == n && !memcmp(s->name, name, n)) {
			*v = s->val;
			return true;
		}
	return false;
}

uint64_t nft_val_get(const uint8_t *v, uint8_t len)
{
	uint64_t x = 0;

	for (uint8_t i = 0; i < len && i < 8; i++)
		x = x << 8 | v[i];
	return x;
}

void nft_val_put(uint8_t *v, uint8_t len, uint64_t x)
{
	memset(v, 0, 16);
	for (int i = (int)len - 1; i >= 0 && len <= 8; i--) {
		v[i] = (uint8_t)x;
		x >>= 8;
	}
}

/* Decimal or 0x hexadecimal, the whole token. */
static bool parse_uint(const char *s, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	size_t i = 0;
	int base = 10;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (x > (UINT64_MAX - d) / (uint64_t)base)
			return false;
		x = x * (uint64_t)base + d;
	}
	*out = x;
	return true;
}

/* "1d2h3m4s5ms" or a plain number of seconds, in milliseconds. */
static bool parse_time(const char *s, size_t n, uint64_t *ms)
{
	uint64_t total = 0, cur = 0;
	bool digits = false, any_unit = false;
	size_t i = 0;

	if (parse_uint(s, n, &cur)) {
		*ms = cur * 1000;
		return true;
	}
	cur = 0;
	while (i < n) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			digits = true;
			i++;
			continue;
		}
		if (!digits)
			return false;
		uint64_t mul;

		if (c == 'm' && i + 1 < n && s[i + 1] == 's') {
			mul = 1;
			i++;
		} else if (c == 'd') {
			mul = 86400000;
		} else if (c == 'h') {
			mul = 3600000;
		} else if (c == 'm') {
			mul = 60000;
		} else if (c == 's') {
			mul = 1000;
		} else {
			return false;
		}
		total += cur * mul;
		cur = 0;
		digits = false;
		any_unit = true;
		i++;
	}
	if (digits || !any_unit)
		return false;
	*ms = total;
	return true;
}

static int err_parse(struct nft_pstate *ps, struct nft_expr *e, enum nft_dt dt)
{
	nft_error(ps, &e->loc, NULL, "Could not parse %s", nft_dtypes[dt].desc);
	return -EINVAL;
}

static int err_range(struct nft_pstate *ps, struct nft_expr *e, uint64_t v, uint8_t len)
{
	uint64_t max = len >= 8 ? UINT64_MAX : (1ull << (len * 8)) - 1;

	nft_error(ps, &e->loc, NULL, "Value %" PRIu64 " exceeds valid range 0-%" PRIu64, v, max);
	return -EINVAL;
}

static int parse_string(struct nft_pstate *ps, struct nft_expr *e, size_t max)
{
	if (e->tlen == 0) {
		nft_error(ps, &e->loc, NULL, "Empty string is not allowed");
		return -EINVAL;
	}
	if (e->tlen > max) {
		nft_error(ps, &e->loc, NULL, "String exceeds maximum length of %zu", max);
		return -EINVAL;
	}
	memset(e->v, 0, sizeof(e->v));
	memcpy(e->v, e->text, e->tlen);
	return 0;
}

static int parse_ifindex(struct nft_pstate *ps, struct nft_expr *e)
{
	const struct nft_config *c = &ps->rs->cfg;
	uint64_t x;

	if (e->tok == TK_NUM && parse_uint(e->text, e->tlen, &x) && x <= UINT32_MAX) {
		nft_val_put(e->v, 4, x);
		return 0;
	}
	if (!c->ifaces) {
		if (e->tlen == 2 && !memcmp(e->text, "lo", 2)) {
			nft_val_put(e->v, 4, 1);
			return 0;
		}
	}
	for (size_t i = 0; i < c->n_ifaces; i++)
		if (strlen(c->ifaces[i].name) == e->tlen &&
		    !memcmp(c->ifaces[i].name, e->text, e->tlen)) {
			nft_val_put(e->v, 4, c->ifaces[i].index);
			return 0;
		}
	nft_error(ps, &e->loc, NULL, "Interface does not exist");
	return -EINVAL;
}

/*
 * Turn the EK_SYM `e` into an EK_VALUE of type dt and `len` bytes.  Errors
 * use nft's wording where we know it.
 */
int nft_dt_parse(struct nft_pstate *ps, enum nft_dt dt, uint8_t len, struct nft_expr *e)
{
	const struct nft_dtype *d = &nft_dtypes[dt];
	uint64_t x = 0;
	uint32_t sv;
	int rc = 0;

	if (e->kind != EK_SYM)
		return 0;
	switch (dt) {
	case DT_IPV4:
		if (e->tok == TK_ADDR4) {
			char tmp[20];

			memcpy(tmp, e->text, e->tlen);
			tmp[e->tlen] = 0;
			memset(e->v, 0, 16);
			if (inet_pton(AF_INET, tmp, e->v) != 1)
				return err_parse(ps, e, dt);
		} else if (e->tok == TK_NUM && parse_uint(e->text, e->tlen, &x)) {
			if (x > UINT32_MAX)
				return err_range(ps, e, x, 4);
			nft_val_put(e->v, 4, x);
		} else if (e->tok == TK_ADDR6) {
			nft_error(ps, &e->loc, NULL,
				  "Could not resolve hostname: Address family for hostname not supported");
			return -EINVAL;
		} else {
			nft_error(ps, &e->loc, NULL,
				  "Could not resolve hostname: Name or service not known");
			return -EINVAL;
		}
		break;
	case DT_IPV6:
		if (e->tok == TK_ADDR6) {
			char tmp[64];

			memcpy(tmp, e->text, e->tlen);
			tmp[e->tlen] = 0;
			if (inet_pton(AF_INET6, tmp, e->v) != 1)
				return err_parse(ps, e, dt);
		} else if (e->tok == TK_ADDR4) {
			nft_error(ps, &e->loc, NULL,
				  "Could not resolve hostname: Address family for hostname not supported");
			return -EINVAL;
		} else {
			nft_error(ps, &e->loc, NULL,
				  "Could not resolve hostname: Name or service not known");
			return -EINVAL;
		}
		break;
	case DT_IFNAME:
		rc = parse_string(ps, e, 16);
		break;
	case DT_STRING:
		rc = parse_string(ps, e, 16);
		break;
	case DT_IFINDEX:
		rc = parse_ifindex(ps, e);
		break;
	case DT_TIME:
		if (e->tok != TK_NUM || !parse_time(e->text, e->tlen, &x))
			return err_parse(ps, e, dt);
		if (x > UINT32_MAX)
			return err_range(ps, e, x, 4);
		nft_val_put(e->v, 4, x);
		break;
	default:
		if (e->tok == TK_NUM && parse_uint(e->text, e->tlen, &x)) {
			if (len < 8 && x >> (len * 8)) {
				if (dt == DT_INET_PROTO) {
					nft_error(ps, &e->loc, NULL, "Protocol out of range");
					return -EINVAL;
				}
				return err_range(ps, e, x, len);
			}
			nft_val_put(e->v, len, x);
		} else if ((e->tok == TK_IDENT || e->tok == TK_STRING) && d->syms &&
			   nft_sym_lookup(d->syms, e->text, e->tlen, &sv)) {
			nft_val_put(e->v, len, sv);
		} else if (dt == DT_INET_PROTO && e->tok == TK_IDENT) {
			nft_error(ps, &e->loc, NULL, "Could not resolve protocol name");
			return -EINVAL;
		} else if (dt == DT_INET_SERVICE && (e->tok == TK_IDENT || e->tok == TK_ADDR4 || e->tok == TK_ADDR6)) {
			nft_error(ps, &e->loc, NULL, "Could not resolve service: Servname not supported for ai_socktype");
			return -EINVAL;
		} else {
			return err_parse(ps, e, dt);
		}
		break;
	}
	if (rc)
		return rc;
	e->kind = EK_VALUE;
	e->dt = (uint8_t)dt;
	e->len = len;
	return 0;
}

void nft_print_addr(struct nft_sbuf *b, int family, const uint8_t *v)
{
	char tmp[64];

	if (inet_ntop(family == 10 ? AF_INET6 : AF_INET, v, tmp, sizeof(tmp)))
		nft_sb_puts(b, tmp);
}

void nft_print_time(struct nft_sbuf *b, uint64_t ms)
{
	static const struct {
		uint64_t ms;
		const char *u;
	} units[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
		      { 1, "ms" } };

	if (!ms) {
		nft_sb_puts(b, "0s");
		return;
	}
	for (size_t i = 0; i < 5; i++)
		if (ms >= units[i].ms) {
			nft_sb_printf(b, "%" PRIu64 "%s", ms / units[i].ms, units[i].u);
			ms %= units[i].ms;
		}
}

/*
 * Print one value.  `numeric` is nft's forced numeric output inside ranges:
 * symbolic types print their numbers, times print seconds.
 */
void nft_dt_print(struct nft_sbuf *b, enum nft_dt dt, uint8_t len, const uint8_t *v,
		  unsigned flags, bool numeric)
{
	const struct nft_dtype *d = &nft_dtypes[dt];
	uint64_t x = nft_val_get(v, len);
	const char *n;

	switch (dt) {
	case DT_IPV4:
		nft_print_addr(b, 2, v);
		return;
	case DT_IPV6:
		nft_print_addr(b, 10, v);
		return;
	case DT_MARK:
		nft_sb_printf(b, "0x%08" PRIx64, x);
		return;
	case DT_IFNAME:
	case DT_STRING:
		nft_sb_printf(b, "\"%.16s\"", (const char *)v);
		return;
	case DT_IFINDEX:
		if (x == 1) {
			nft_sb_puts(b, "\"lo\"");
			return;
		}
		nft_sb_printf(b, "%" PRIu64, x);
		return;
	case DT_TIME:
		if (numeric)
			nft_sb_printf(b, "%" PRIu64 "s", x / 1000);
		else
			nft_print_time(b, x);
		return;
	case DT_INET_SERVICE:
	case DT_INTEGER:
		nft_sb_printf(b, "%" PRIu64, x);
		return;
	default:
		break;
	}
	if (d->numeric_proto && (flags & NFT_LIST_NUMERIC_PROTO))
		numeric = true;
	if (d->bitmask && !numeric) {
		n = nft_sym_name(d->syms, (uint32_t)x);
		if (n) {
			nft_sb_puts(b, n);
			return;
		}
		nft_sb_printf(b, "0x%" PRIx64, x);
		return;
	}
	n = numeric ? NULL : nft_sym_name(d->syms, (uint32_t)x);
	if (n)
		nft_sb_puts(b, n);
	else if (d->bitmask)
		nft_sb_printf(b, "0x%" PRIx64, x);
	else
		nft_sb_printf(b, "%" PRIu64, x);
}

static const struct nft_field fields[] = {
	{ PR_IP, "protocol", 9, 1, DT_INET_PROTO },
	{ PR_IP, "saddr", 12, 4, DT_IPV4 },
	{ PR_IP, "daddr", 16, 4, DT_IPV4 },
	{ PR_IP6, "nexthdr", 6, 1, DT_INET_PROTO },
	{ PR_IP6, "saddr", 8, 16, DT_IPV6 },
	{ PR_IP6, "daddr", 24, 16, DT_IPV6 },
	{ PR_TCP, "sport", 0, 2, DT_INET_SERVICE },
	{ PR_TCP, "dport", 2, 2, DT_INET_SERVICE },
	{ PR_TCP, "flags", 13, 1, DT_TCP_FLAG },
	{ PR_UDP, "sport", 0, 2, DT_INET_SERVICE },
	{ PR_UDP, "dport", 2, 2, DT_INET_SERVICE },
	{ PR_TH, "sport", 0, 2, DT_INET_SERVICE },
	{ PR_TH, "dport", 2, 2, DT_INET_SERVICE },
	{ PR_ICMP, "type", 0, 1, DT_ICMP_TYPE },
	{ PR_ICMP, "code", 1, 1, DT_ICMP_CODE },
	{ PR_ICMPV6, "type", 0, 1, DT_ICMPV6_TYPE },
	{ PR_ICMPV6, "code", 1, 1, DT_ICMPV6_CODE },
	{ 0, NULL, 0, 0, 0 },
};

const struct nft_field *nft_field_get(uint8_t proto, uint8_t idx)
{
	for (const struct nft_field *f = fields; f->name; f++)
		if (f->proto == proto && idx-- == 0)
			return f;
	return NULL;
}

const char *nft_proto_name(uint8_t proto)
{
	static const char *const names[] = { "", "ip", "ip6", "tcp", "udp", "th", "icmp",
					     "icmpv6" };

	return proto < sizeof(names) / sizeof(names[0]) ? names[proto] : "";
}
