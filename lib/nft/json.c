/* SPDX-License-Identifier: MIT */
/*
 * nft -j: the ruleset as libnftables-json(5) objects, byte for byte as nft
 * 1.0.6 prints them: one line, jansson's default separators (", " and
 * ": "), keys in nft's order, strings escaped as jansson escapes them.
 *
 * Values follow nft's datatypes: numbers for integers, ports, marks, times
 * (seconds), strings for addresses, interface names and symbols; a flags
 * value that nft splits into flags is a string (one flag) or an array.
 * What nft 1.0.6 leaves out of JSON is left out here too: table and chain
 * comments.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

static void put_str(struct nft_sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	nft_sb_puts(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			nft_sb_puts(b, "\\\"");
			break;
		case '\\':
			nft_sb_puts(b, "\\\\");
			break;
		case '\b':
			nft_sb_puts(b, "\\b");
			break;
		case '\f':
			nft_sb_puts(b, "\\f");
			break;
		case '\n':
			nft_sb_puts(b, "\\n");
			break;
		case '\r':
			nft_sb_puts(b, "\\r");
			break;
		case '\t':
			nft_sb_puts(b, "\\t");
			break;
		default:
			if (c < 0x20) {
				char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};

				nft_sb_puts(b, u);
			} else {
				nft_sb_putn(b, (const char *)&c, 1);
			}
		}
	}
	nft_sb_puts(b, "\"");
}

static void jstr(struct nft_sbuf *b, const char *s)
{
	put_str(b, s, strlen(s));
}

/* "key": */
static void key(struct nft_sbuf *b, const char *k)
{
	jstr(b, k);
	nft_sb_puts(b, ": ");
}

static bool numeric_symbols(unsigned flags)
{
	return flags & NFT_LIST_NUMERIC;
}

static void expr_json(struct nft_sbuf *b, const struct nft_expr *e, unsigned flags);

/*
 * One value of datatype dt: nft's symbolic types print their symbol (a
 * number when the value has none, or under -n), the others their natural
 * JSON type.
 */
static void value_json(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *v,
		       unsigned flags)
{
	const struct nft_dtype *d = &nft_dtypes[dt];
	uint64_t x = nft_val_get(v, len);
	const char *n;

	switch (dt) {
	case DT_IPV4:
	case DT_IPV6: {
		struct nft_sbuf a = {0};

		nft_print_addr(&a, dt == DT_IPV4 ? 2 : 10, v);
		nft_sb_puts(&a, "");
		if (a.oom)
			b->oom = true;
		else
			jstr(b, a.s);
		free(a.s);
		return;
	}
	case DT_IFNAME:
	case DT_STRING:
		put_str(b, (const char *)v, strnlen((const char *)v, 16));
		return;
	case DT_IFINDEX:
		/* nft names the interface; "lo" is the only one it knows here */
		if (x == 1)
			jstr(b, "lo");
		else
			nft_sb_printf(b, "%" PRIu64, x);
		return;
	case DT_TIME:
		nft_sb_printf(b, "%" PRIu64, x / 1000);
		return;
	case DT_INTEGER:
	case DT_INET_SERVICE:
	case DT_MARK:
		nft_sb_printf(b, "%" PRIu64, x);
		return;
	default:
		break;
	}
	n = d->syms ? nft_sym_name(d->syms, (uint32_t)x) : NULL;
	if (numeric_symbols(flags) || (d->numeric_proto && (flags & NFT_LIST_NUMERIC_PROTO)))
		n = NULL;
	if (n)
		jstr(b, n);
	else
		nft_sb_printf(b, "%" PRIu64, x);
}

/*
 * A flags value as nft splits it: one flag is a string; several are an
 * array of flag names where the text listing shows "a,b" (comparisons), or
 * nested {"|": [...]} where it shows "a | b" (masks, set elements); zero,
 * or bits without a name, stay a number.
 */
static void flags_json(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *v,
		       unsigned flags, bool or_chain)
{
	const struct nft_dtype *d = &nft_dtypes[dt];
	uint64_t x = nft_val_get(v, len), rest = x;
	unsigned count = 0;
	bool first = true;

	for (const struct nft_sym *s = d->syms; s && s->name; s++)
		if (s->val && (x & s->val) == s->val) {
			rest &= ~(uint64_t)s->val;
			count++;
		}
	if (rest || !x || count == 1) {
		value_json(b, dt, len, v, flags);
		return;
	}
	if (or_chain) {
		/* a | b | c is {"|": [{"|": [a, b]}, c]}: one level per "|" */
		unsigned i = 0;

		for (unsigned k = 1; k < count; k++)
			nft_sb_puts(b, "{\"|\": [");
		for (const struct nft_sym *s = d->syms; s && s->name; s++) {
			if (!s->val || (x & s->val) != s->val)
				continue;
			if (i++)
				nft_sb_puts(b, ", ");
			if (numeric_symbols(flags))
				nft_sb_printf(b, "%" PRIu32, s->val);
			else
				jstr(b, s->name);
			if (i > 1)
				nft_sb_puts(b, "]}");
		}
		return;
	}
	nft_sb_puts(b, "[");
	for (const struct nft_sym *s = d->syms; s && s->name; s++) {
		if (!s->val || (x & s->val) != s->val)
			continue;
		if (!first)
			nft_sb_puts(b, ", ");
		first = false;
		if (numeric_symbols(flags))
			nft_sb_printf(b, "%" PRIu32, s->val);
		else
			jstr(b, s->name);
	}
	nft_sb_puts(b, "]");
}

static void verdict_json(struct nft_sbuf *b, uint8_t code, const char *chain)
{
	static const char *const n[] = {"", "accept", "drop", "continue", "return", "jump", "goto"};

	nft_sb_puts(b, "{");
	key(b, n[code]);
	if (chain) {
		nft_sb_puts(b, "{");
		key(b, "target");
		jstr(b, chain);
		nft_sb_puts(b, "}");
	} else {
		nft_sb_puts(b, "null");
	}
	nft_sb_puts(b, "}");
}

/*
 * {"range": [lo, hi]}: unlike the text listing, which prints both ends as
 * numbers, nft's JSON only prints protocols numerically there.
 */
static void range_json(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *lo,
		       const uint8_t *hi, unsigned flags)
{
	nft_sb_puts(b, "{\"range\": [");
	value_json(b, dt, len, lo, flags | NFT_LIST_NUMERIC_PROTO);
	nft_sb_puts(b, ", ");
	value_json(b, dt, len, hi, flags | NFT_LIST_NUMERIC_PROTO);
	nft_sb_puts(b, "]}");
}

static void prefix_json(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *v, uint8_t plen,
			unsigned flags)
{
	nft_sb_puts(b, "{\"prefix\": {\"addr\": ");
	value_json(b, dt, len, v, flags);
	nft_sb_printf(b, ", \"len\": %u}}", plen);
}

/* [lo, hi] of one type: a value, an address prefix or a range. */
static void interval_json(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *lo,
			  const uint8_t *hi, unsigned flags)
{
	uint8_t plen;

	if (!memcmp(lo, hi, len))
		value_json(b, dt, len, lo, flags);
	else if ((dt == DT_IPV4 || dt == DT_IPV6) && nft_is_prefix_range(lo, hi, len, &plen))
		prefix_json(b, dt, len, lo, plen, flags);
	else
		range_json(b, dt, len, lo, hi, flags);
}

/* A concatenated key or datum: {"concat": [component, ...]}. */
static void concat_json(struct nft_sbuf *b, const struct nft_ctype *cat, const uint8_t *lo,
			const uint8_t *hi, unsigned flags)
{
	unsigned off = 0;

	nft_sb_puts(b, "{\"concat\": [");
	for (uint8_t i = 0; i < cat->n; i++) {
		uint8_t dt = cat->dt[i], len = cat->len[i];

		if (i)
			nft_sb_puts(b, ", ");
		if (!memcmp(lo + off, hi + off, len) && nft_dtypes[dt].bitmask)
			flags_json(b, dt, len, lo + off, flags, true);
		else
			interval_json(b, dt, len, lo + off, hi + off, flags);
		off += nft_slot_len(len);
	}
	nft_sb_puts(b, "]}");
}

/* A set element's key, as the text listing shows it (prefix, range, value, flags). */
static void elem_key_json(struct nft_sbuf *b, const struct nft_set *s, const struct nft_elem *e,
			  unsigned flags)
{
	uint8_t plen;

	if (s->kcat.n) {
		concat_json(b, &s->kcat, e->lo, e->hi, flags);
		return;
	}
	if (e->interval && memcmp(e->lo, e->hi, s->key_len)) {
		if ((s->key_dt == DT_IPV4 || s->key_dt == DT_IPV6) &&
		    nft_is_prefix_range(e->lo, e->hi, s->key_len, &plen))
			prefix_json(b, s->key_dt, s->key_len, e->lo, plen, flags);
		else
			range_json(b, s->key_dt, s->key_len, e->lo, e->hi, flags);
	} else if (nft_dtypes[s->key_dt].bitmask) {
		flags_json(b, s->key_dt, s->key_len, e->lo, flags, true);
	} else {
		value_json(b, s->key_dt, s->key_len, e->lo, flags);
	}
}

/* The elements of a set in the order the text listing has them: [e, ...]. */
static void elems_json(struct nft_sbuf *b, const struct nft_set *s, unsigned flags)
{
	const struct nft_elem **v = malloc((s->nelems + 1) * sizeof(*v));
	int n = v ? nft_elems_listing_order(s, v) : -1;

	if (n < 0) {
		free(v);
		b->oom = true;
		return;
	}
	nft_sb_puts(b, "[");
	for (int i = 0; i < n; i++) {
		if (i)
			nft_sb_puts(b, ", ");
		if (s->is_map) {
			nft_sb_puts(b, "[");
			elem_key_json(b, s, v[i], flags);
			nft_sb_puts(b, ", ");
			if (v[i]->data->kind == EK_VERDICT)
				verdict_json(b, v[i]->data->vcode, v[i]->data->text);
			else
				expr_json(b, v[i]->data, flags);
			nft_sb_puts(b, "]");
		} else {
			elem_key_json(b, s, v[i], flags);
		}
	}
	nft_sb_puts(b, "]");
	free(v);
}

/* "@name", or {"set": [...]} for an anonymous set. */
static void set_ref_json(struct nft_sbuf *b, const struct nft_set *s, unsigned flags)
{
	if (s->name) {
		nft_sb_printf(b, "\"@");
		nft_sb_puts(b, s->name);
		nft_sb_puts(b, "\"");
		return;
	}
	nft_sb_puts(b, "{\"set\": ");
	elems_json(b, s, flags);
	nft_sb_puts(b, "}");
}

static void selector_json(struct nft_sbuf *b, const struct nft_expr *e)
{
	switch (e->kind) {
	case EK_PAYLOAD:
		nft_sb_puts(b, "{\"payload\": {\"protocol\": ");
		jstr(b, nft_proto_name(e->proto));
		nft_sb_puts(b, ", \"field\": ");
		jstr(b, nft_field_get(e->proto, e->key)->name);
		nft_sb_puts(b, "}}");
		return;
	case EK_META:
		nft_sb_puts(b, "{\"meta\": {\"key\": ");
		jstr(b, nft_meta_key_name(e->key));
		nft_sb_puts(b, "}}");
		return;
	case EK_CT:
		nft_sb_puts(b, "{\"ct\": {\"key\": \"");
		/*
		 * `ct original ip saddr` is its own key ("ip saddr"); written
		 * without the family it is the generic "saddr", although the
		 * text listing names the family in both cases
		 */
		if ((e->key == CK_SADDR || e->key == CK_DADDR) && e->fam_written)
			nft_sb_puts(b, e->nfproto == NFT_FAM_IP6 ? "ip6 " : "ip ");
		nft_sb_puts(b, nft_ct_key_name(e->key));
		nft_sb_puts(b, "\"");
		if (e->dir)
			nft_sb_puts(b, e->dir == 1 ? ", \"dir\": \"original\""
						   : ", \"dir\": \"reply\"");
		nft_sb_puts(b, "}}");
		return;
	default:
		return;
	}
}

static void expr_json(struct nft_sbuf *b, const struct nft_expr *e, unsigned flags)
{
	static const char *const ops[] = {"", "&", "|", "^", "<<", ">>"};

	switch (e->kind) {
	case EK_VALUE:
		if (nft_dtypes[e->dt].bitmask)
			flags_json(b, e->dt, e->len, e->v, flags, false);
		else
			value_json(b, e->dt, e->len, e->v, flags);
		return;
	case EK_RANGE:
		range_json(b, e->dt, e->len, e->l->v, e->r->v, flags);
		return;
	case EK_PREFIX:
		prefix_json(b, e->dt, e->len, e->l ? e->l->v : e->v, e->plen, flags);
		return;
	case EK_SET:
		set_ref_json(b, e->set, flags);
		return;
	case EK_PAYLOAD:
	case EK_META:
	case EK_CT:
		selector_json(b, e);
		return;
	case EK_BINOP:
		nft_sb_puts(b, "{");
		key(b, ops[e->op]);
		nft_sb_puts(b, "[");
		expr_json(b, e->l, flags);
		nft_sb_puts(b, ", ");
		if (e->r->kind == EK_VALUE && nft_dtypes[e->r->dt].bitmask)
			flags_json(b, e->r->dt, e->r->len, e->r->v, flags, true);
		else
			expr_json(b, e->r, flags);
		nft_sb_puts(b, "]}");
		return;
	case EK_MAP:
		nft_sb_puts(b, "{\"map\": {\"key\": ");
		expr_json(b, e->l, flags);
		nft_sb_puts(b, ", \"data\": ");
		set_ref_json(b, e->set, flags);
		nft_sb_puts(b, "}}");
		return;
	case EK_VERDICT:
		verdict_json(b, e->vcode, e->text);
		return;
	case EK_CONCAT:
		nft_sb_puts(b, "{\"concat\": [");
		for (const struct nft_expr *c = e->l; c; c = c->next) {
			if (c != e->l)
				nft_sb_puts(b, ", ");
			if (c->kind == EK_RANGE)
				interval_json(b, c->dt, c->len, c->l->v, c->r->v, flags);
			else
				expr_json(b, c, flags);
		}
		nft_sb_puts(b, "]}");
		return;
	default:
		nft_sb_puts(b, "null");
		return;
	}
}

static void match_json(struct nft_sbuf *b, const struct nft_stmt *s, unsigned flags)
{
	static const char *const ops[] = {
	    [OP_IMPLICIT] = "==", [OP_EQ] = "==",	 [OP_NE] = "!=", [OP_LT] = "<",
	    [OP_GT] = ">",	  [OP_LE] = "<=",	 [OP_GE] = ">=", [OP_NEG] = "!",
	    [OP_FLAGCMP] = "==",  [OP_FLAGCMP_NE] = "!="};
	const struct nft_expr *l = s->l, *r = s->r;
	const char *op = ops[s->op];

	/* a bare flags value (ct state established) is nft's implicit "in" */
	if (s->op == OP_IMPLICIT && r->kind == EK_VALUE && nft_dtypes[r->dt].bitmask)
		op = "in";
	nft_sb_puts(b, "{\"match\": {\"op\": ");
	jstr(b, op);
	nft_sb_puts(b, ", \"left\": ");
	if (s->op == OP_FLAGCMP || s->op == OP_FLAGCMP_NE) {
		/* `tcp flags syn / syn,ack`: the mask is a list, as in the text */
		nft_sb_puts(b, "{\"&\": [");
		expr_json(b, l->l, flags);
		nft_sb_puts(b, ", ");
		flags_json(b, l->r->dt, l->r->len, l->r->v, flags, false);
		nft_sb_puts(b, "]}");
	} else {
		expr_json(b, l, flags);
	}
	nft_sb_puts(b, ", \"right\": ");
	if (r->kind == EK_VALUE && nft_dtypes[r->dt].bitmask &&
	    (s->op == OP_EQ || s->op == OP_NE) && l->kind != EK_BINOP)
		/* an exact flags comparison is a single symbol or a number */
		value_json(b, r->dt, r->len, r->v, flags);
	else
		expr_json(b, r, flags);
	nft_sb_puts(b, "}}");
}

/* Starts field k of an object that may stay empty: "{" before the first field. */
static void field(struct nft_sbuf *b, bool *any, const char *k)
{
	nft_sb_puts(b, *any ? ", " : "{");
	*any = true;
	key(b, k);
}

/* Flag names: one as a string, several as an array. */
static void names_json(struct nft_sbuf *b, const char *const *names, unsigned n)
{
	if (n > 1)
		nft_sb_puts(b, "[");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			nft_sb_puts(b, ", ");
		jstr(b, names[i]);
	}
	if (n > 1)
		nft_sb_puts(b, "]");
}

static void log_json(struct nft_sbuf *b, const struct nft_stmt *s)
{
	static const char *const levels[] = {"emerg",  "alert", "crit",	 "err",	 "warn",
					     "notice", "info",	"debug", "audit"};
	const char *names[5];
	unsigned n = 0;
	bool any = false;

	if ((s->log_flags & 0x2f) == 0x2f) {
		names[n++] = "all";
	} else {
		if (s->log_flags & NFT_LOG_TCPSEQ)
			names[n++] = "tcp sequence";
		if (s->log_flags & NFT_LOG_TCPOPT)
			names[n++] = "tcp options";
		if (s->log_flags & NFT_LOG_IPOPT)
			names[n++] = "ip options";
		if (s->log_flags & NFT_LOG_UID)
			names[n++] = "skuid";
		if (s->log_flags & NFT_LOG_MACDECODE)
			names[n++] = "ether";
	}
	nft_sb_puts(b, "{\"log\": ");
	if (s->prefix) {
		field(b, &any, "prefix");
		jstr(b, s->prefix);
	}
	/* warn is the default level, which nft does not show */
	if (s->level_set && s->level != 4) {
		field(b, &any, "level");
		jstr(b, levels[s->level]);
	}
	if (n) {
		field(b, &any, "flags");
		names_json(b, names, n);
	}
	nft_sb_puts(b, any ? "}}" : "null}");
}

/* A byte count in the largest unit that divides it: nft's kbytes / mbytes. */
static uint64_t byte_unit(uint64_t v, const char **unit)
{
	static const char *const bu[] = {"bytes", "kbytes", "mbytes"};
	int i = 0;

	while (i < 2 && v && v % 1024 == 0) {
		v /= 1024;
		i++;
	}
	*unit = bu[i];
	return v;
}

static void limit_json(struct nft_sbuf *b, const struct nft_stmt *s)
{
	static const char *const units[] = {"second", "minute", "hour", "day", "week"};
	const char *ru = NULL, *bu = NULL;
	uint64_t rate = s->rate, burst;

	if (s->bytes_mode) {
		rate = byte_unit(s->rate, &ru);
		burst = byte_unit(s->burst, &bu);
	} else {
		/* the kernel's default burst is 5 packets */
		burst = s->burst_set ? s->burst : 5;
	}
	nft_sb_printf(b,
		      "{\"limit\": {\"rate\": %" PRIu64 ", \"burst\": %" PRIu64 ", \"per\": ", rate,
		      burst);
	jstr(b, units[s->unit]);
	if (s->over)
		nft_sb_puts(b, ", \"inv\": true");
	if (s->bytes_mode) {
		nft_sb_puts(b, ", \"rate_unit\": ");
		jstr(b, ru);
		nft_sb_puts(b, ", \"burst_unit\": ");
		jstr(b, bu);
	}
	nft_sb_puts(b, "}}");
}

static void reject_json(struct nft_sbuf *b, const struct nft_table *t, const struct nft_stmt *s,
			unsigned flags)
{
	uint8_t dt, code = s->rj_code;
	const char *type;

	(void)t;
	switch (s->rj_type) {
	case RJ_TCP_RST:
		nft_sb_puts(b, "{\"reject\": {\"type\": \"tcp reset\"}}");
		return;
	case RJ_ICMPX:
		type = "icmpx";
		dt = DT_ICMPX_CODE;
		break;
	default:
		type = s->rj_family == NFT_FAM_IP ? "icmp" : "icmpv6";
		dt = s->rj_family == NFT_FAM_IP ? DT_ICMP_CODE : DT_ICMPV6_CODE;
		break;
	}
	nft_sb_puts(b, "{\"reject\": {\"type\": ");
	jstr(b, type);
	nft_sb_puts(b, ", \"expr\": ");
	value_json(b, dt, 1, &code, flags);
	nft_sb_puts(b, "}}");
}

/* The nat statement's family is named where the text listing names it. */
static bool nat_names_family(const struct nft_table *t, const struct nft_stmt *s)
{
	if (!s->addr || !s->nat_family)
		return false;
	if (t->family == NFT_FAM_INET || s->nat_concat)
		return true;
	if (s->addr->kind != EK_MAP)
		return false;
	for (const struct nft_elem *e = s->addr->set->elems; e; e = e->next)
		if (e->data && (e->data->kind == EK_RANGE || e->data->kind == EK_PREFIX))
			return true;
	return false;
}

static void nat_json(struct nft_sbuf *b, const struct nft_table *t, const struct nft_stmt *s,
		     unsigned flags)
{
	static const char *const names[] = {"", "snat", "dnat", "masquerade", "redirect"};
	const char *fl[4];
	unsigned nf = 0;
	bool any = false;

	if (s->nat_flags & NATF_RANDOM)
		fl[nf++] = "random";
	if (s->nat_flags & NATF_FULLY_RANDOM)
		fl[nf++] = "fully-random";
	if (s->nat_flags & NATF_PERSISTENT)
		fl[nf++] = "persistent";
	/* `prefix to`: the kernel's NF_NAT_RANGE_NETMAP */
	if (s->nat_prefix)
		fl[nf++] = "netmap";
	nft_sb_puts(b, "{");
	key(b, names[s->nat_type]);
	if (nat_names_family(t, s)) {
		field(b, &any, "family");
		jstr(b, s->nat_family == NFT_FAM_IP ? "ip" : "ip6");
	}
	if (s->addr && (s->nat_type == NAT_SNAT || s->nat_type == NAT_DNAT)) {
		const struct nft_expr *a = s->addr, *h = s->addr_hi;
		uint8_t plen;

		field(b, &any, "addr");
		if (h && a->kind == EK_VALUE && h->kind == EK_VALUE) {
			if (!s->port && nft_is_prefix_range(a->v, h->v, a->len, &plen))
				prefix_json(b, a->dt, a->len, a->v, plen, flags);
			else
				range_json(b, a->dt, a->len, a->v, h->v, flags);
		} else {
			expr_json(b, a, flags);
		}
	}
	if (s->port) {
		field(b, &any, "port");
		if (s->port_hi && s->port->kind == EK_VALUE && s->port_hi->kind == EK_VALUE)
			range_json(b, s->port->dt, s->port->len, s->port->v, s->port_hi->v, flags);
		else
			expr_json(b, s->port, flags);
	}
	if (nf) {
		field(b, &any, "flags");
		names_json(b, fl, nf);
	}
	if (s->nat_prefix) {
		field(b, &any, "type_flags");
		jstr(b, "prefix");
	}
	nft_sb_puts(b, any ? "}}" : "null}");
}

static void stmt_json(struct nft_sbuf *b, const struct nft_table *t, const struct nft_stmt *s,
		      unsigned flags)
{
	switch (s->kind) {
	case SK_MATCH:
		match_json(b, s, flags);
		return;
	case SK_VERDICT:
		verdict_json(b, s->vcode, s->chain);
		return;
	case SK_VMAP:
		nft_sb_puts(b, "{\"vmap\": {\"key\": ");
		expr_json(b, s->l, flags);
		nft_sb_puts(b, ", \"data\": ");
		set_ref_json(b, s->r->set, flags);
		nft_sb_puts(b, "}}");
		return;
	case SK_COUNTER:
		if (flags & NFT_LIST_STATELESS)
			nft_sb_puts(b, "{\"counter\": null}");
		else
			nft_sb_printf(
			    b, "{\"counter\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 "}}",
			    s->packets, s->bytes);
		return;
	case SK_LOG:
		log_json(b, s);
		return;
	case SK_LIMIT:
		limit_json(b, s);
		return;
	case SK_META_SET:
		nft_sb_puts(b,
			    "{\"mangle\": {\"key\": {\"meta\": {\"key\": \"mark\"}}, \"value\": ");
		expr_json(b, s->r, flags);
		nft_sb_puts(b, "}}");
		return;
	case SK_CT_SET:
		if (s->key == CK_HELPER) {
			/* a ct helper object reference */
			nft_sb_puts(b, "{\"ct helper\": ");
			expr_json(b, s->r, flags);
			nft_sb_puts(b, "}");
			return;
		}
		nft_sb_puts(b, "{\"mangle\": {\"key\": {\"ct\": {\"key\": ");
		jstr(b, nft_ct_key_name(s->key));
		nft_sb_puts(b, "}}, \"value\": ");
		expr_json(b, s->r, flags);
		nft_sb_puts(b, "}}");
		return;
	case SK_NOTRACK:
		nft_sb_puts(b, "{\"notrack\": null}");
		return;
	case SK_REJECT:
		reject_json(b, t, s, flags);
		return;
	case SK_NAT:
		nat_json(b, t, s, flags);
		return;
	case SK_CT_COUNT:
		nft_sb_printf(b, "{\"ct count\": {\"val\": %u%s}}", s->count,
			      s->count_over ? ", \"inv\": true" : "");
		return;
	default:
		nft_sb_puts(b, "null");
		return;
	}
}

/* {"family": F, "table": T, ...: the head shared by chains and rules */
static void fam_table(struct nft_sbuf *b, const struct nft_table *t)
{
	nft_sb_puts(b, "{\"family\": ");
	jstr(b, nft_family_name(t->family));
	nft_sb_puts(b, ", \"table\": ");
	jstr(b, t->name);
}

static void rule_json(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c,
		      const struct nft_rule *r, unsigned flags)
{
	bool first = true;

	nft_sb_puts(b, ", {\"rule\": ");
	fam_table(b, t);
	nft_sb_puts(b, ", \"chain\": ");
	jstr(b, c->name);
	nft_sb_printf(b, ", \"handle\": %" PRIu64, r->handle);
	if (r->comment) {
		nft_sb_puts(b, ", \"comment\": ");
		jstr(b, r->comment);
	}
	nft_sb_puts(b, ", \"expr\": [");
	for (const struct nft_stmt *s = r->stmts; s; s = s->next) {
		if (s->hidden)
			continue;
		if (!first)
			nft_sb_puts(b, ", ");
		first = false;
		stmt_json(b, t, s, flags);
	}
	nft_sb_puts(b, "]}}");
}

void nft_json_begin(struct nft_sbuf *b)
{
	nft_sb_puts(b, "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", "
		       "\"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}");
}

void nft_json_end(struct nft_sbuf *b)
{
	nft_sb_puts(b, "]}\n");
}

void nft_json_table(struct nft_sbuf *b, const struct nft_table *t)
{
	nft_sb_puts(b, ", {\"table\": {\"family\": ");
	jstr(b, nft_family_name(t->family));
	nft_sb_puts(b, ", \"name\": ");
	jstr(b, t->name);
	nft_sb_printf(b, ", \"handle\": %" PRIu64 "}}", t->handle);
}

void nft_json_chain(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c)
{
	static const char *const types[] = {"", "filter", "nat", "route"};
	static const char *const hooks[] = {"prerouting", "input", "forward", "output",
					    "postrouting"};

	nft_sb_puts(b, ", {\"chain\": ");
	fam_table(b, t);
	nft_sb_puts(b, ", \"name\": ");
	jstr(b, c->name);
	nft_sb_printf(b, ", \"handle\": %" PRIu64, c->handle);
	if (c->base)
		nft_sb_printf(b,
			      ", \"type\": \"%s\", \"hook\": \"%s\", \"prio\": %d, \"policy\": "
			      "\"%s\"",
			      types[c->type], hooks[c->hook], (int)c->prio,
			      c->policy == NFT_ACCEPT ? "accept" : "drop");
	nft_sb_puts(b, "}}");
}

void nft_json_rules(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c,
		    unsigned flags)
{
	for (const struct nft_rule *r = c->rules; r; r = r->next)
		rule_json(b, t, c, r, flags);
}

void nft_json_set(struct nft_sbuf *b, const struct nft_table *t, const struct nft_set *s,
		  unsigned flags)
{
	nft_sb_printf(b, ", {\"%s\": {\"family\": ", s->is_map ? "map" : "set");
	jstr(b, nft_family_name(t->family));
	nft_sb_puts(b, ", \"name\": ");
	jstr(b, s->name);
	nft_sb_puts(b, ", \"table\": ");
	jstr(b, t->name);
	nft_sb_puts(b, ", \"type\": ");
	if (s->kcat.n) {
		/* a concatenation's key type is the array of its components' */
		nft_sb_puts(b, "[");
		for (uint8_t i = 0; i < s->kcat.n; i++) {
			if (i)
				nft_sb_puts(b, ", ");
			jstr(b, nft_dtypes[s->kcat.dt[i]].name);
		}
		nft_sb_puts(b, "]");
	} else {
		jstr(b, nft_dtypes[s->key_dt].name);
	}
	nft_sb_printf(b, ", \"handle\": %" PRIu64, s->handle);
	if (s->comment) {
		nft_sb_puts(b, ", \"comment\": ");
		jstr(b, s->comment);
	}
	if (s->is_map) {
		/* but a concatenated data type is one string, "a . b" */
		nft_sb_puts(b, ", \"map\": \"");
		if (s->dcat.n)
			for (uint8_t i = 0; i < s->dcat.n; i++)
				nft_sb_printf(b, "%s%s", i ? " . " : "", nft_dtypes[s->dcat.dt[i]].name);
		else
			nft_sb_puts(b, nft_dtypes[s->data_dt].name);
		nft_sb_puts(b, "\"");
	}
	if (s->flags & (SETF_CONSTANT | SETF_INTERVAL)) {
		nft_sb_puts(b, ", \"flags\": [");
		if (s->flags & SETF_CONSTANT)
			nft_sb_puts(b,
				    (s->flags & SETF_INTERVAL) ? "\"constant\", " : "\"constant\"");
		if (s->flags & SETF_INTERVAL)
			nft_sb_puts(b, "\"interval\"");
		nft_sb_puts(b, "]");
	}
	if (s->elems && !(flags & NFT_LIST_TERSE)) {
		nft_sb_puts(b, ", \"elem\": ");
		elems_json(b, s, flags);
	}
	nft_sb_puts(b, "}}");
}

void nft_json_ct_helper(struct nft_sbuf *b, const struct nft_table *t, const struct nft_obj *o)
{
	nft_sb_puts(b, ", {\"ct helper\": {\"family\": ");
	jstr(b, nft_family_name(t->family));
	nft_sb_puts(b, ", \"name\": ");
	jstr(b, o->name);
	nft_sb_puts(b, ", \"table\": ");
	jstr(b, t->name);
	nft_sb_printf(b, ", \"handle\": %" PRIu64 ", \"type\": ", o->handle);
	jstr(b, o->helper);
	nft_sb_printf(b, ", \"protocol\": \"%s\", \"l3proto\": ", o->l4proto == 6 ? "tcp" : "udp");
	jstr(b, nft_family_name(o->l3proto));
	nft_sb_puts(b, "}}");
}

/* A table with everything in it: objects, sets, chains, then every chain's rules. */
void nft_json_table_full(struct nft_sbuf *b, const struct nft_table *t, unsigned flags)
{
	nft_json_table(b, t);
	for (const struct nft_obj *o = t->objs; o; o = o->next)
		nft_json_ct_helper(b, t, o);
	for (const struct nft_set *s = t->sets; s; s = s->next)
		if (s->name)
			nft_json_set(b, t, s, flags);
	for (const struct nft_chain *c = t->chains; c; c = c->next)
		nft_json_chain(b, t, c);
	for (const struct nft_chain *c = t->chains; c; c = c->next)
		nft_json_rules(b, t, c, flags);
}
