/* SPDX-License-Identifier: MIT */
/*
 * `nft list ruleset` output, byte for byte as nft 1.0.6 prints it: tab
 * indentation, objects then sets then chains, canonical statement forms.
 */
#define _GNU_SOURCE /* qsort_r: a comparator with a context, no global state */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

static const char *const fam_names[] = { [1] = "inet", [2] = "ip", [10] = "ip6" };

const char *nft_family_name(uint8_t family)
{
	return family < sizeof(fam_names) / sizeof(fam_names[0]) && fam_names[family]
		       ? fam_names[family]
		       : "";
}

/*
 * nft -n prints every symbolic constant as its number (flags in hex, one
 * per bit), priorities, protocols and times (in seconds) too; interface
 * names stay.
 */
static bool all_numeric(unsigned flags)
{
	return flags & NFT_LIST_NUMERIC;
}

static void print_expr(struct nft_sbuf *b, const struct nft_expr *e, unsigned flags);

/* Flags value as a comma list of names (ct state established,related). */
static void print_flag_list(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *v,
			    const char *sep, unsigned flags)
{
	const struct nft_dtype *d = &nft_dtypes[dt];
	uint64_t x = nft_val_get(v, len), rest = x;
	bool first = true;

	for (const struct nft_sym *s = d->syms; s && s->name; s++)
		if (s->val && (x & s->val) == s->val)
			rest &= ~(uint64_t)s->val;
	if (rest || !x) {
		nft_dt_print(b, (enum nft_dt)dt, len, v, flags, all_numeric(flags));
		return;
	}
	for (const struct nft_sym *s = d->syms; s && s->name; s++) {
		if (!s->val || (x & s->val) != s->val)
			continue;
		if (!first)
			nft_sb_puts(b, sep);
		if (all_numeric(flags))
			nft_sb_printf(b, "0x%" PRIx32, s->val);
		else
			nft_sb_puts(b, s->name);
		first = false;
	}
}

static void print_value(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *v,
			unsigned flags, bool numeric)
{
	if (dt == DT_TIME ? flags & (NFT_LIST_NUMERIC | NFT_LIST_NUMERIC_TIME) : all_numeric(flags))
		numeric = true;
	nft_dt_print(b, (enum nft_dt)dt, len, v, flags, numeric);
}

static void print_range(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *lo,
			const uint8_t *hi, unsigned flags)
{
	print_value(b, dt, len, lo, flags, true);
	nft_sb_puts(b, "-");
	print_value(b, dt, len, hi, flags, true);
}

bool nft_is_prefix_range(const uint8_t *lo, const uint8_t *hi, uint8_t len, uint8_t *plen)
{
	unsigned bits = len * 8u, p = bits;

	for (unsigned i = 0; i < bits; i++) {
		bool a = lo[i / 8] >> (7 - i % 8) & 1, c = hi[i / 8] >> (7 - i % 8) & 1;

		if (p == bits) {
			if (a == c)
				continue;
			if (a)
				return false;
			p = i;
		} else if (a || !c) {
			return false;
		}
	}
	*plen = (uint8_t)p;
	return p < bits;
}

/* An interval element: a prefix when it is one (addresses), else lo-hi. */
static void print_interval(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *lo,
			   const uint8_t *hi, unsigned flags)
{
	uint8_t plen;

	if (!memcmp(lo, hi, len)) {
		print_value(b, dt, len, lo, flags, false);
		return;
	}
	if ((dt == DT_IPV4 || dt == DT_IPV6) && nft_is_prefix_range(lo, hi, len, &plen)) {
		print_value(b, dt, len, lo, flags, false);
		nft_sb_printf(b, "/%u", plen);
		return;
	}
	print_range(b, dt, len, lo, hi, flags);
}

static void print_verdict(struct nft_sbuf *b, uint8_t code, const char *chain)
{
	static const char *const n[] = { "", "accept", "drop", "continue", "return", "jump",
					 "goto" };

	nft_sb_puts(b, n[code]);
	if (chain)
		nft_sb_printf(b, " %s", chain);
}

static void print_data(struct nft_sbuf *b, const struct nft_expr *d, unsigned flags)
{
	if (d->kind == EK_VERDICT)
		print_verdict(b, d->vcode, d->text);
	else
		print_expr(b, d, flags);
}

/*
 * nft breaks the element list of a named set after every 5 (integer-like
 * types) or 2 (others) elements; anonymous sets stay on one line.
 */
static unsigned elems_per_line(uint8_t dt)
{
	switch (dt) {
	case DT_NFPROTO:
	case DT_INTEGER:
	case DT_INET_PROTO:
	case DT_INET_SERVICE:
	case DT_TCP_FLAG:
	case DT_MARK:
	case DT_IFINDEX:
	case DT_CT_DIR:
		return 5;
	case DT_IPV4:
	case DT_CT_STATE:
	case DT_CT_STATUS:
		return 2;
	default:
		return 1;
	}
}

/* One component of a concatenated element, [lo, hi] of its type. */
static void print_component(struct nft_sbuf *b, uint8_t dt, uint8_t len, const uint8_t *lo,
			    const uint8_t *hi, unsigned flags)
{
	if (!memcmp(lo, hi, len) && nft_dtypes[dt].bitmask)
		print_flag_list(b, dt, len, lo, " | ", flags);
	else
		print_interval(b, dt, len, lo, hi, flags);
}

/* A concatenated key: its components joined by " . ". */
static void print_concat_key(struct nft_sbuf *b, const struct nft_ctype *cat, const uint8_t *lo,
			     const uint8_t *hi, unsigned flags)
{
	unsigned off = 0;

	for (uint8_t i = 0; i < cat->n; i++) {
		if (i)
			nft_sb_puts(b, " . ");
		print_component(b, cat->dt[i], cat->len[i], lo + off, hi + off, flags);
		off += nft_slot_len(cat->len[i]);
	}
}

/* Types the kernel keeps in host byte order (marks, ct state, ifindex...). */
static bool host_order(uint8_t dt)
{
	switch (dt) {
	case DT_MARK:
	case DT_CT_STATE:
	case DT_CT_STATUS:
	case DT_IFINDEX:
	case DT_INTEGER:
	case DT_TIME:
		return true;
	default:
		return false;
	}
}

/* The key as the kernel holds it (x86: host-order components little-endian). */
static void kernel_key(const struct nft_ctype *cat, const uint8_t *k, uint8_t *out)
{
	unsigned off = 0;

	for (uint8_t i = 0; i < cat->n; i++) {
		uint8_t len = cat->len[i], slot = nft_slot_len(len);

		memcpy(out + off, k + off, slot);
		if (host_order(cat->dt[i]))
			for (uint8_t j = 0; j < len; j++)
				out[off + j] = k[off + len - 1 - j];
		off += slot;
	}
}

/*
 * nft sorts the elements of a concatenated hash set as it reads them back:
 * by the kernel's key bytes taken as one little-endian number, so the last
 * byte weighs most (10.0.0.1 . 80 lists before 9.0.0.2 . 80).
 */
static int le_cmp(const void *a, const void *b, void *arg)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a;
	const struct nft_elem *y = *(const struct nft_elem *const *)b;
	const struct nft_set *s = arg;
	uint8_t kx[NFT_KEY_MAX], ky[NFT_KEY_MAX];

	kernel_key(&s->kcat, x->lo, kx);
	kernel_key(&s->kcat, y->lo, ky);
	for (unsigned i = s->key_len; i-- > 0;)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

struct order_item {
	const struct nft_elem *e;
	uint8_t key[NFT_KEY_MAX];
};

static int order_cmp(const void *a, const void *b, void *arg)
{
	const struct order_item *x = a, *y = b;
	uint8_t len = *(const uint8_t *)arg;
	int c = memcmp(x->key, y->key, len);

	/* equal sort keys: the kernel's order, highest key first */
	return c ? c : memcmp(y->e->lo, x->e->lo, len);
}

/*
 * The order nft lists a set's elements in: it sorts what the kernel
 * returns (highest key first) by its own values, in which a string is a
 * little-endian number (compared from its last byte) and a combination of
 * flags (syn | ack) counts as its first flag.  Concatenations: by the
 * kernel's key bytes (le_cmp), or, with intervals (pipapo), in the order
 * they were added.
 */
int nft_elems_listing_order(const struct nft_set *s, const struct nft_elem **v)
{
	const struct nft_dtype *d = &nft_dtypes[s->key_dt];
	struct order_item *it;
	unsigned n = 0;
	uint8_t len = s->key_len;

	if (s->kcat.n) {
		for (const struct nft_elem *e = s->elems; e; e = e->next)
			v[n++] = e;
		if (!(s->flags & SETF_INTERVAL))
			qsort_r(v, n, sizeof(*v), le_cmp, (void *)s);
		return (int)n;
	}
	it = malloc((s->nelems + 1) * sizeof(*it));
	if (!it)
		return -1;
	for (const struct nft_elem *e = s->elems; e; e = e->next, n++) {
		it[n].e = e;
		memcpy(it[n].key, e->lo, sizeof(it[n].key));
		if (s->key_dt == DT_IFNAME || s->key_dt == DT_STRING) {
			for (unsigned i = 0; i < len; i++)
				it[n].key[i] = e->lo[len - 1 - i];
		} else if (d->bitmask && !e->interval) {
			uint64_t x = nft_val_get(e->lo, len), rest = x, first = 0;
			unsigned count = 0;

			for (const struct nft_sym *sym = d->syms; sym && sym->name; sym++)
				if (sym->val && (x & sym->val) == sym->val) {
					rest &= ~(uint64_t)sym->val;
					if (!count++)
						first = sym->val;
				}
			if (count > 1 && !rest)
				nft_val_put(it[n].key, len, first);
		}
	}
	qsort_r(it, n, sizeof(*it), order_cmp, &len);
	for (unsigned i = 0; i < n; i++)
		v[i] = it[i].e;
	free(it);
	return (int)n;
}

static void print_elems(struct nft_sbuf *b, const struct nft_set *s, unsigned flags)
{
	const struct nft_elem **v = malloc((s->nelems + 1) * sizeof(*v));
	unsigned per = elems_per_line(s->key_dt), count = 0;
	int n = v ? nft_elems_listing_order(s, v) : -1;

	if (n < 0) {
		free(v);
		b->oom = true;
		return;
	}
	nft_sb_puts(b, "{ ");
	for (int i = 0; i < n; i++) {
		const struct nft_elem *e = v[i];

		if (i)
			nft_sb_puts(b, (!s->name || count % per) ? ", " : ",\n\t\t\t     ");
		count++;
		if (s->kcat.n)
			print_concat_key(b, &s->kcat, e->lo, e->hi, flags);
		else if (e->interval)
			print_interval(b, s->key_dt, s->key_len, e->lo, e->hi, flags);
		else if (nft_dtypes[s->key_dt].bitmask)
			print_flag_list(b, s->key_dt, s->key_len, e->lo, " | ", flags);
		else
			print_value(b, s->key_dt, s->key_len, e->lo, flags, false);
		if (s->is_map) {
			nft_sb_puts(b, " : ");
			print_data(b, e->data, flags);
		}
	}
	nft_sb_puts(b, " }");
	free(v);
}

static void print_set_expr(struct nft_sbuf *b, const struct nft_set *s, unsigned flags)
{
	if (s->name)
		nft_sb_printf(b, "@%s", s->name);
	else
		print_elems(b, s, flags);
}

static const char *const meta_names[] = { "",     "length",  "mark",    "iif",
					  "oif",  "iifname", "oifname", "l4proto",
					  "nfproto" };
static const char *const ct_names[] = { "",          "state",     "direction", "status",
					"mark",      "expiration", "helper",   "l3proto",
					"protocol",  "saddr",      "daddr",    "proto-src",
					"proto-dst", "bytes",      "packets",  "zone" };

const char *nft_meta_key_name(uint8_t key)
{
	return key < sizeof(meta_names) / sizeof(meta_names[0]) ? meta_names[key] : "";
}

const char *nft_ct_key_name(uint8_t key)
{
	return key < sizeof(ct_names) / sizeof(ct_names[0]) ? ct_names[key] : "";
}

static void print_selector(struct nft_sbuf *b, const struct nft_expr *e)
{
	switch (e->kind) {
	case EK_PAYLOAD:
		nft_sb_printf(b, "%s %s", nft_proto_name(e->proto),
			      nft_field_get(e->proto, e->key)->name);
		return;
	case EK_META:
		/* nft lists iif/oif/iifname/oifname without `meta` */
		if (e->key == MK_IIF || e->key == MK_OIF || e->key == MK_IIFNAME ||
		    e->key == MK_OIFNAME)
			nft_sb_puts(b, meta_names[e->key]);
		else
			nft_sb_printf(b, "meta %s", meta_names[e->key]);
		return;
	case EK_CT:
		nft_sb_puts(b, "ct ");
		if (e->dir)
			nft_sb_puts(b, e->dir == 1 ? "original " : "reply ");
		if (e->key == CK_SADDR || e->key == CK_DADDR)
			nft_sb_puts(b, e->nfproto == NFT_FAM_IP6 ? "ip6 " : "ip ");
		nft_sb_puts(b, ct_names[e->key]);
		return;
	default:
		return;
	}
}

static void print_expr(struct nft_sbuf *b, const struct nft_expr *e, unsigned flags)
{
	static const char *const ops[] = { "", "&", "|", "^", "<<", ">>" };

	switch (e->kind) {
	case EK_VALUE:
		if (nft_dtypes[e->dt].bitmask)
			print_flag_list(b, e->dt, e->len, e->v, ",", flags);
		else
			print_value(b, e->dt, e->len, e->v, flags, false);
		return;
	case EK_RANGE:
		print_range(b, e->dt, e->len, e->l->v, e->r->v, flags);
		return;
	case EK_PREFIX:
		print_value(b, e->dt, e->len, e->l ? e->l->v : e->v, flags, false);
		nft_sb_printf(b, "/%u", e->plen);
		return;
	case EK_SET:
		print_set_expr(b, e->set, flags);
		return;
	case EK_PAYLOAD:
	case EK_META:
	case EK_CT:
		print_selector(b, e);
		return;
	case EK_BINOP:
		print_expr(b, e->l, flags);
		nft_sb_printf(b, " %s ", ops[e->op]);
		if (e->r->kind == EK_VALUE && nft_dtypes[e->r->dt].bitmask) {
			/* a multi-flag mask lists as (a | b) */
			bool multi = __builtin_popcountll(nft_val_get(e->r->v, e->r->len)) > 1;

			if (multi)
				nft_sb_puts(b, "(");
			print_flag_list(b, e->r->dt, e->r->len, e->r->v, " | ", flags);
			if (multi)
				nft_sb_puts(b, ")");
		} else
			print_expr(b, e->r, flags);
		return;
	case EK_MAP:
		print_expr(b, e->l, flags);
		nft_sb_puts(b, " map ");
		print_set_expr(b, e->set, flags);
		return;
	case EK_VERDICT:
		print_verdict(b, e->vcode, e->text);
		return;
	case EK_CONCAT:
		for (const struct nft_expr *c = e->l; c; c = c->next) {
			if (c != e->l)
				nft_sb_puts(b, " . ");
			if (c->kind == EK_RANGE)
				print_interval(b, c->dt, c->len, c->l->v, c->r->v, flags);
			else
				print_expr(b, c, flags);
		}
		return;
	default:
		return;
	}
}

static void print_match(struct nft_sbuf *b, const struct nft_stmt *s, unsigned flags)
{
	static const char *const ops[] = { [OP_IMPLICIT] = "", [OP_EQ] = "== ", [OP_NE] = "!= ",
					   [OP_LT] = "< ",     [OP_GT] = "> ",  [OP_LE] = "<= ",
					   [OP_GE] = ">= ",    [OP_NEG] = "! ", [OP_FLAGCMP] = "",
					   [OP_FLAGCMP_NE] = "!= " };
	const struct nft_expr *l = s->l, *r = s->r;

	if (s->op == OP_FLAGCMP || s->op == OP_FLAGCMP_NE) {
		print_expr(b, l->l, flags);
		nft_sb_printf(b, " %s", ops[s->op]);
		print_flag_list(b, r->dt, r->len, r->v, ",", flags);
		nft_sb_puts(b, " / ");
		print_flag_list(b, l->r->dt, l->r->len, l->r->v, ",", flags);
		return;
	}
	print_expr(b, l, flags);
	nft_sb_printf(b, " %s", ops[s->op]);
	if (r->kind == EK_VALUE && nft_dtypes[r->dt].bitmask &&
	    (s->op == OP_EQ || s->op == OP_NE) && l->kind != EK_BINOP) {
		/* an exact flags comparison prints a single name or a number */
		print_value(b, r->dt, r->len, r->v, flags, false);
		return;
	}
	print_expr(b, r, flags);
}

static void print_limit(struct nft_sbuf *b, const struct nft_stmt *s)
{
	static const char *const units[] = { "second", "minute", "hour", "day", "week" };

	nft_sb_printf(b, "limit rate %s", s->over ? "over " : "");
	if (!s->bytes_mode) {
		nft_sb_printf(b, "%" PRIu64 "/%s", s->rate, units[s->unit]);
		if (s->burst_set && s->burst != 5)
			nft_sb_printf(b, " burst %" PRIu64 " packets", s->burst);
		return;
	}
	static const char *const bu[] = { "bytes", "kbytes", "mbytes" };
	uint64_t r = s->rate;
	int i = 0;

	while (i < 2 && r && r % 1024 == 0) {
		r /= 1024;
		i++;
	}
	nft_sb_printf(b, "%" PRIu64 " %s/%s", r, bu[i], units[s->unit]);
	if (s->burst) {
		r = s->burst;
		i = 0;
		while (i < 2 && r % 1024 == 0) {
			r /= 1024;
			i++;
		}
		nft_sb_printf(b, " burst %" PRIu64 " %s", r, bu[i]);
	}
}

static void print_log(struct nft_sbuf *b, const struct nft_stmt *s)
{
	static const char *const levels[] = { "emerg", "alert",  "crit", "err",  "warn",
					      "notice", "info", "debug", "audit" };

	nft_sb_puts(b, "log");
	if (s->prefix)
		nft_sb_printf(b, " prefix \"%s\"", s->prefix);
	if (s->level_set && s->level != 4)
		nft_sb_printf(b, " level %s", levels[s->level]);
	if ((s->log_flags & 0x2f) == 0x2f) {
		nft_sb_puts(b, " flags all");
		return;
	}
	if (s->log_flags & 0x3) {
		nft_sb_puts(b, " flags tcp");
		if (s->log_flags & 0x1)
			nft_sb_puts(b, (s->log_flags & 0x2) ? " sequence,options" : " sequence");
		else
			nft_sb_puts(b, " options");
	}
	if (s->log_flags & 0x4)
		nft_sb_puts(b, " flags ip options");
	if (s->log_flags & 0x8)
		nft_sb_puts(b, " flags skuid");
	if (s->log_flags & 0x20)
		nft_sb_puts(b, " flags ether");
}

static void print_reject(struct nft_sbuf *b, const struct nft_table *t,
			 const struct nft_stmt *s, unsigned flags)
{
	const char *n;

	switch (s->rj_type) {
	case RJ_TCP_RST:
		nft_sb_puts(b, "reject with tcp reset");
		return;
	case RJ_ICMPX:
		if (s->rj_code == 1 && t->family == NFT_FAM_INET) {
			nft_sb_puts(b, "reject");
			return;
		}
		n = nft_sym_name(nft_icmpx_code_syms, s->rj_code);
		nft_sb_puts(b, "reject with icmpx ");
		break;
	default:
		if (s->rj_family == NFT_FAM_IP) {
			if (s->rj_code == 3 && t->family == NFT_FAM_IP) {
				nft_sb_puts(b, "reject");
				return;
			}
			n = nft_sym_name(nft_icmp_code_syms, s->rj_code);
			nft_sb_puts(b, "reject with icmp ");
		} else {
			if (s->rj_code == 4 && t->family == NFT_FAM_IP6) {
				nft_sb_puts(b, "reject");
				return;
			}
			n = nft_sym_name(nft_icmpv6_code_syms, s->rj_code);
			nft_sb_puts(b, "reject with icmpv6 ");
		}
		break;
	}
	if (n && !all_numeric(flags))
		nft_sb_puts(b, n);
	else
		nft_sb_printf(b, "%u", s->rj_code);
}

static void print_nat_addr(struct nft_sbuf *b, const struct nft_stmt *s, unsigned flags,
			   bool brackets)
{
	const struct nft_expr *a = s->addr, *h = s->addr_hi;

	if (a->kind == EK_VALUE && h && h->kind == EK_VALUE) {
		uint8_t plen;

		if (!s->port && nft_is_prefix_range(a->v, h->v, a->len, &plen)) {
			print_value(b, a->dt, a->len, a->v, flags, false);
			nft_sb_printf(b, "/%u", plen);
			return;
		}
	}
	if (brackets)
		nft_sb_puts(b, "[");
	print_expr(b, a, flags);
	if (brackets)
		nft_sb_puts(b, "]");
	if (h) {
		nft_sb_puts(b, brackets ? "-[" : "-");
		print_expr(b, h, flags);
		if (brackets)
			nft_sb_puts(b, "]");
	}
}

static void print_nat_flags(struct nft_sbuf *b, uint8_t f)
{
	const char *sep = " ";

	if (f & NATF_RANDOM) {
		nft_sb_printf(b, "%srandom", sep);
		sep = ",";
	}
	if (f & NATF_FULLY_RANDOM) {
		nft_sb_printf(b, "%sfully-random", sep);
		sep = ",";
	}
	if (f & NATF_PERSISTENT)
		nft_sb_printf(b, "%spersistent", sep);
}

static void print_ports(struct nft_sbuf *b, const struct nft_stmt *s, unsigned flags)
{
	nft_sb_puts(b, ":");
	print_expr(b, s->port, flags);
	if (s->port_hi) {
		nft_sb_puts(b, "-");
		print_expr(b, s->port_hi, flags);
	}
}

static bool map_has_interval_data(const struct nft_expr *a)
{
	if (a->kind != EK_MAP)
		return false;
	for (const struct nft_elem *e = a->set->elems; e; e = e->next)
		if (e->data && (e->data->kind == EK_RANGE || e->data->kind == EK_PREFIX))
			return true;
	return false;
}

static void print_nat(struct nft_sbuf *b, const struct nft_table *t, const struct nft_stmt *s,
		      unsigned flags)
{
	static const char *const names[] = { "", "snat", "dnat", "masquerade", "redirect" };

	nft_sb_puts(b, names[s->nat_type]);
	if (s->nat_type == NAT_SNAT || s->nat_type == NAT_DNAT) {
		/* nft names the family in inet tables and for maps to ranges */
		if (s->addr && s->nat_family &&
		    (t->family == NFT_FAM_INET || s->nat_concat || map_has_interval_data(s->addr)))
			nft_sb_puts(b, s->nat_family == NFT_FAM_IP ? " ip" : " ip6");
		if (s->nat_prefix)
			nft_sb_puts(b, " prefix");
		nft_sb_puts(b, " to ");
		if (s->addr) {
			bool br = s->port && s->addr->dt == DT_IPV6 && s->addr->kind == EK_VALUE;

			print_nat_addr(b, s, flags, br);
		}
		if (s->port)
			print_ports(b, s, flags);
	} else if (s->port) {
		nft_sb_puts(b, " to ");
		print_ports(b, s, flags);
	}
	print_nat_flags(b, s->nat_flags);
}

static void print_stmt(struct nft_sbuf *b, const struct nft_table *t, const struct nft_stmt *s,
		       unsigned flags)
{
	static const char *const ct_set[] = { [CK_MARK] = "mark", [CK_ZONE] = "zone",
					      [CK_HELPER] = "helper" };

	switch (s->kind) {
	case SK_MATCH:
		print_match(b, s, flags);
		return;
	case SK_VERDICT:
		print_verdict(b, s->vcode, s->chain);
		return;
	case SK_VMAP:
		print_expr(b, s->l, flags);
		nft_sb_puts(b, " vmap ");
		print_set_expr(b, s->r->set, flags);
		return;
	case SK_COUNTER:
		if (flags & NFT_LIST_STATELESS)
			nft_sb_puts(b, "counter");
		else
			nft_sb_printf(b, "counter packets %" PRIu64 " bytes %" PRIu64,
				      s->packets, s->bytes);
		return;
	case SK_LOG:
		print_log(b, s);
		return;
	case SK_LIMIT:
		print_limit(b, s);
		return;
	case SK_META_SET:
		nft_sb_puts(b, "meta mark set ");
		print_expr(b, s->r, flags);
		return;
	case SK_CT_SET:
		nft_sb_printf(b, "ct %s set ", ct_set[s->key]);
		print_expr(b, s->r, flags);
		return;
	case SK_NOTRACK:
		nft_sb_puts(b, "notrack");
		return;
	case SK_REJECT:
		print_reject(b, t, s, flags);
		return;
	case SK_NAT:
		print_nat(b, t, s, flags);
		return;
	case SK_CT_COUNT:
		nft_sb_printf(b, "ct count %s%u", s->count_over ? "over " : "", s->count);
		return;
	default:
		return;
	}
}

void nft_print_rule(struct nft_sbuf *b, const struct nft_table *t, const struct nft_rule *r,
		    unsigned flags)
{
	bool first = true;

	for (const struct nft_stmt *s = r->stmts; s; s = s->next) {
		if (s->hidden)
			continue;
		if (!first)
			nft_sb_puts(b, " ");
		first = false;
		print_stmt(b, t, s, flags);
	}
	if (r->comment)
		nft_sb_printf(b, " comment \"%s\"", r->comment);
}

static void print_prio(struct nft_sbuf *b, const struct nft_chain *c, unsigned flags)
{
	static const struct {
		const char *n;
		int32_t v;
		int hook; /* -1: any hook */
	} names[] = { { "raw", -300, -1 },   { "mangle", -150, -1 },
		      { "dstnat", -100, CT_HOOK_PREROUTING }, { "filter", 0, -1 },
		      { "security", 50, -1 }, { "srcnat", 100, CT_HOOK_POSTROUTING } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int32_t d = c->prio - names[i].v;

		if (flags & (NFT_LIST_NUMERIC | NFT_LIST_NUMERIC_PRIO))
			break;

		if (names[i].hook >= 0 && names[i].hook != c->hook)
			continue;
		if (d < -10 || d > 10)
			continue;
		if (!d)
			nft_sb_printf(b, "%s", names[i].n);
		else
			nft_sb_printf(b, "%s %c %d", names[i].n, d < 0 ? '-' : '+', d < 0 ? -d : d);
		return;
	}
	nft_sb_printf(b, "%d", c->prio);
}

/* A chain's head: its line, comment and hook line (`list chains` stops there). */
void nft_print_chain_decl(struct nft_sbuf *b, const struct nft_chain *c, unsigned flags)
{
	static const char *const types[] = { "", "filter", "nat", "route" };
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };

	nft_sb_printf(b, "\tchain %s {", c->name);
	if (flags & NFT_LIST_HANDLES)
		nft_sb_printf(b, " # handle %" PRIu64, c->handle);
	nft_sb_puts(b, "\n");
	if (c->comment)
		nft_sb_printf(b, "\t\tcomment \"%s\"\n", c->comment);
	if (c->base) {
		nft_sb_printf(b, "\t\ttype %s hook %s priority ", types[c->type], hooks[c->hook]);
		print_prio(b, c, flags);
		nft_sb_printf(b, "; policy %s;\n", c->policy == NFT_ACCEPT ? "accept" : "drop");
	}
}

void nft_print_chain(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c,
		     unsigned flags)
{
	nft_print_chain_decl(b, c, flags);
	for (const struct nft_rule *r = c->rules; r; r = r->next) {
		nft_sb_puts(b, "\t\t");
		nft_print_rule(b, t, r, flags);
		if (flags & NFT_LIST_HANDLES)
			nft_sb_printf(b, " # handle %" PRIu64, r->handle);
		nft_sb_puts(b, "\n");
	}
	nft_sb_puts(b, "\t}\n");
}

static void print_type(struct nft_sbuf *b, uint8_t dt, const struct nft_ctype *cat)
{
	if (dt != DT_CONCAT) {
		nft_sb_puts(b, nft_dtypes[dt].name);
		return;
	}
	for (uint8_t i = 0; i < cat->n; i++)
		nft_sb_printf(b, "%s%s", i ? " . " : "", nft_dtypes[cat->dt[i]].name);
}

void nft_print_set(struct nft_sbuf *b, const struct nft_set *s, unsigned flags)
{
	nft_sb_printf(b, "\t%s %s {", s->is_map ? "map" : "set", s->name);
	if (flags & NFT_LIST_HANDLES)
		nft_sb_printf(b, " # handle %" PRIu64, s->handle);
	nft_sb_puts(b, "\n");
	if (s->key_typeof) {
		nft_sb_puts(b, "\t\ttypeof ");
		print_expr(b, s->key_typeof, flags);
	} else {
		nft_sb_puts(b, "\t\ttype ");
		print_type(b, s->key_dt, &s->kcat);
	}
	if (s->is_map) {
		nft_sb_puts(b, " : ");
		if (s->data_typeof)
			print_expr(b, s->data_typeof, flags);
		else
			print_type(b, s->data_dt, &s->dcat);
	}
	nft_sb_puts(b, "\n");
	if (s->flags & (SETF_INTERVAL | SETF_CONSTANT)) {
		const char *sep = "";

		nft_sb_puts(b, "\t\tflags ");
		if (s->flags & SETF_CONSTANT) {
			nft_sb_puts(b, "constant");
			sep = ",";
		}
		if (s->flags & SETF_INTERVAL)
			nft_sb_printf(b, "%sinterval", sep);
		nft_sb_puts(b, "\n");
	}
	if (s->comment)
		nft_sb_printf(b, "\t\tcomment \"%s\"\n", s->comment);
	/* -t (terse) leaves the elements out */
	if (s->elems && !(flags & NFT_LIST_TERSE)) {
		nft_sb_puts(b, "\t\telements = ");
		print_elems(b, s, flags);
		nft_sb_puts(b, "\n");
	}
	nft_sb_puts(b, "\t}\n");
}

void nft_print_ct_helper(struct nft_sbuf *b, const struct nft_obj *o, unsigned flags)
{
	nft_sb_printf(b, "\tct helper %s {", o->name);
	if (flags & NFT_LIST_HANDLES)
		nft_sb_printf(b, " # handle %" PRIu64, o->handle);
	nft_sb_printf(b, "\n\t\ttype \"%s\" protocol %s\n\t\tl3proto %s\n\t}\n", o->helper,
		      o->l4proto == 6 ? "tcp" : "udp", nft_family_name(o->l3proto));
}

/* A whole table: objects, then sets, then chains, a blank line between. */
void nft_print_table(struct nft_sbuf *b, const struct nft_table *t, unsigned flags)
{
	bool first = true;

	nft_sb_printf(b, "table %s %s {", nft_family_name(t->family), t->name);
	if (flags & NFT_LIST_HANDLES)
		nft_sb_printf(b, " # handle %" PRIu64, t->handle);
	nft_sb_puts(b, "\n");
	if (t->comment)
		nft_sb_printf(b, "\tcomment \"%s\"\n", t->comment);
	for (const struct nft_obj *o = t->objs; o; o = o->next) {
		if (!first)
			nft_sb_puts(b, "\n");
		first = false;
		nft_print_ct_helper(b, o, flags);
	}
	for (const struct nft_set *s = t->sets; s; s = s->next) {
		if (!first)
			nft_sb_puts(b, "\n");
		first = false;
		nft_print_set(b, s, flags);
	}
	for (const struct nft_chain *c = t->chains; c; c = c->next) {
		if (!first)
			nft_sb_puts(b, "\n");
		first = false;
		nft_print_chain(b, t, c, flags);
	}
	nft_sb_puts(b, "}\n");
}

void nft_print_ruleset(struct nft_sbuf *b, const struct nft_ruleset *rs, unsigned flags)
{
	for (const struct nft_table *t = rs->tables; t; t = t->next)
		nft_print_table(b, t, flags);
}
