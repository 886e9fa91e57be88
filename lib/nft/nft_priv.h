/* SPDX-License-Identifier: MIT */
/*
 * Internal model of the nftables engine: tokens, the resolved syntax tree
 * (expressions, statements), the ruleset (tables, chains, sets, objects),
 * datatypes.  All tree memory of a ruleset comes from one arena and is freed
 * at once with the ruleset.
 */
#ifndef CTRACK_NFT_PRIV_H
#define CTRACK_NFT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrack/nft.h"

/* ---- arena (arena.c) ---- */
struct nft_arena_chunk;
struct nft_arena {
	struct nft_arena_chunk *head;
	bool failed; /* an allocation failed: the caller turns it into -ENOMEM */
};
void *nft_alloc(struct nft_arena *a, size_t n); /* zeroed; NULL on failure */
char *nft_strndup(struct nft_arena *a, const char *s, size_t n);
void nft_arena_free(struct nft_arena *a);

/* A growable text buffer (malloc'ed); errors are sticky. */
struct nft_sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};
void nft_sb_putn(struct nft_sbuf *b, const char *s, size_t n);
void nft_sb_puts(struct nft_sbuf *b, const char *s);
void nft_sb_printf(struct nft_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- source locations and tokens (lex.c) ---- */
struct nft_loc {
	uint16_t src;  /* index in the parse state's sources */
	uint16_t c1, c2; /* first and last column, 1-based */
	uint32_t line;
	uint32_t off;  /* offset of the line start in the source */
};

enum nft_tok_kind {
	TK_EOF = 0,
	TK_NL,     /* newline: separates commands like ';' */
	TK_SEMI,
	TK_LBRACE,
	TK_RBRACE,
	TK_LPAREN,
	TK_RPAREN,
	TK_LBRACK,
	TK_RBRACK,
	TK_COMMA,
	TK_COLON,
	TK_SLASH,
	TK_DASH,
	TK_PIPE,
	TK_AMP,
	TK_CARET,
	TK_BANG,
	TK_EQ,     /* == */
	TK_NE,     /* != */
	TK_LT,
	TK_GT,
	TK_LE,
	TK_GE,
	TK_ASSIGN, /* = */
	TK_STAR,
	TK_DOT,    /* `.`: concatenation */
	TK_SHL,
	TK_SHR,
	TK_AT,     /* @name: text is the name */
	TK_VAR,    /* $name: text is the name */
	TK_IDENT,  /* letters first */
	TK_NUM,    /* digits first: 22, 0x1f, 30s, 4d23h */
	TK_ADDR4,
	TK_ADDR6,
	TK_STRING, /* text without the quotes */
	TK_ERROR,
};

struct nft_tok {
	enum nft_tok_kind kind;
	uint32_t len;
	const char *s;
	struct nft_loc loc;
};

struct nft_toks {
	struct nft_tok *v;
	size_t n, cap;
};
/* Tokenise a whole buffer; the last token is TK_EOF.  -ENOMEM on failure. */
int nft_lex(const char *buf, size_t len, uint16_t src, struct nft_toks *out);
bool nft_tok_is(const struct nft_tok *t, const char *word);
/* Scanner scopes of nft 1.0.6 that make more words keywords. */
#define NFT_KWS_AT 1u /* after '@' */
#define NFT_KWS_CT 2u /* `ct helper NAME` */
/* Is the word a keyword token of nft 1.0.6's scanner (so never a name)?
 * *op: the operator nft reports it as ("==" for `eq`), else NULL. */
bool nft_word_is_keyword(const char *s, size_t len, unsigned scopes, const char **op);
/* Length of the number nft's scanner reads at the start of a word of digits
 * first ("10", "0x1a", the 1 of "1a"); 0 for a time string ("1d", "1h30m"). */
size_t nft_number_prefix(const char *s, size_t n);
/* Length of the MAC address or classid ("1:10") nft's scanner reads as one
 * string token at the start of s, n bytes to the end of the source; 0 if none. */
size_t nft_colon_word_len(const char *s, size_t n);

/* ---- datatypes (types.c) ---- */
enum nft_dt {
	DT_INVALID = 0,
	DT_INTEGER,
	DT_IPV4,
	DT_IPV6,
	DT_INET_PROTO,
	DT_INET_SERVICE,
	DT_MARK,
	DT_IFNAME,
	DT_IFINDEX,
	DT_CT_STATE,
	DT_CT_STATUS,
	DT_CT_DIR,
	DT_TCP_FLAG,
	DT_ICMP_TYPE,
	DT_ICMP_CODE,
	DT_ICMPV6_TYPE,
	DT_ICMPV6_CODE,
	DT_ICMPX_CODE,
	DT_NFPROTO,
	DT_TIME,     /* milliseconds */
	DT_STRING,   /* ct helper names */
	DT_VERDICT,
	DT_CONCAT,   /* a concatenation: the components' types are in a struct nft_ctype */
	DT_MAX,
};

/*
 * Longest key: nf_tables keys live in its 16 32-bit registers, and each
 * component of a concatenation takes a whole number of them (a 2-byte port
 * takes 4 bytes, zero padded), so a key is at most 64 bytes and has at most
 * 16 components.
 */
#define NFT_KEY_MAX 64
#define NFT_CONCAT_MAX 16
/* Map data: at most an IPv6 address and a port (nat maps), padded. */
#define NFT_DATA_MAX 32

/* The component types of a concatenation (n >= 2), or n == 0 for a plain type. */
struct nft_ctype {
	uint8_t n;
	uint8_t dt[NFT_CONCAT_MAX];
	uint8_t len[NFT_CONCAT_MAX]; /* value bytes; the slot is rounded up to 4 */
};

/* Bytes a component of `len` bytes takes in a concatenated key. */
static inline uint8_t nft_slot_len(uint8_t len)
{
	return (uint8_t)((len + 3u) & ~3u);
}

struct nft_sym {
	const char *name;
	uint32_t val;
};

struct nft_dtype {
	const char *name;      /* set type name: "ipv4_addr" */
	const char *desc;      /* "IPv4 address" (error messages) */
	uint8_t bytes;         /* natural size */
	bool bitmask;          /* flags type (ct state, tcp flags) */
	bool numeric_proto;    /* printed as a number under -p */
	const struct nft_sym *syms;
};
extern const struct nft_dtype nft_dtypes[DT_MAX];
const struct nft_dtype *nft_dtype_by_name(const char *name, size_t len, enum nft_dt *out);

/* ---- expressions ---- */
enum nft_ek {
	EK_SYM = 0,   /* unresolved constant token (parser output) */
	EK_VALUE,
	EK_RANGE,     /* l - r */
	EK_PREFIX,    /* l / plen */
	EK_SLASH,     /* unresolved a / b (prefix or flag mask) */
	EK_LIST,      /* unresolved comma list: l chained by next */
	EK_SET,       /* set literal or reference: set */
	EK_SETLIT,    /* unresolved { ... }: elements chained in l */
	EK_SETREF,    /* unresolved @name */
	EK_ELEM,      /* l : r inside a set literal */
	EK_PAYLOAD,
	EK_META,
	EK_CT,
	EK_BINOP,     /* l op r, op is & | ^ << >> */
	EK_MAP,       /* l map r(set) */
	EK_VERDICT,
	EK_NUMGEN,    /* unused placeholder */
	EK_CONCAT,    /* a . b . c: components chained from l by next */
};

enum nft_binop { BOP_AND = 1, BOP_OR, BOP_XOR, BOP_SHL, BOP_SHR };

enum nft_proto {
	PR_NONE = 0,
	PR_IP,
	PR_IP6,
	PR_TCP,
	PR_UDP,
	PR_TH,
	PR_ICMP,
	PR_ICMPV6,
};

enum nft_meta_key {
	MK_LENGTH = 1,
	MK_MARK,
	MK_IIF,
	MK_OIF,
	MK_IIFNAME,
	MK_OIFNAME,
	MK_L4PROTO,
	MK_NFPROTO,
};

enum nft_ct_key {
	CK_STATE = 1,
	CK_DIRECTION,
	CK_STATUS,
	CK_MARK,
	CK_EXPIRATION,
	CK_HELPER,
	CK_L3PROTO,
	CK_PROTOCOL,
	CK_SADDR,
	CK_DADDR,
	CK_PROTO_SRC,
	CK_PROTO_DST,
	CK_BYTES,
	CK_PACKETS,
	CK_ZONE,
};

enum nft_verdict_code {
	VC_ACCEPT = 1,
	VC_DROP,
	VC_CONTINUE,
	VC_RETURN,
	VC_JUMP,
	VC_GOTO,
};

struct nft_set;
struct nft_chain;

struct nft_expr {
	uint8_t kind;      /* enum nft_ek */
	uint8_t dt;        /* enum nft_dt, once resolved */
	uint8_t len;       /* value bytes */
	uint8_t op;        /* binop */
	uint8_t proto;     /* payload: enum nft_proto */
	uint8_t key;       /* payload field index / meta / ct key */
	uint8_t dir;       /* ct: 0 none, 1 original, 2 reply */
	uint8_t nfproto;   /* ct saddr/daddr: 2 or 10 once known; ct `ip`/`ip6` keyword */
	uint8_t plen;      /* prefix length */
	uint8_t vcode;     /* verdict code */
	uint8_t tok;       /* EK_SYM: token kind */
	bool neg_ok;       /* spare */
	bool fam_written;  /* ct saddr/daddr: `ip`/`ip6` was written (nft's ip saddr key,
			    * not the family-less saddr its JSON tells apart) */
	struct nft_loc loc;
	uint8_t v[16];     /* EK_VALUE: big endian (strings: NUL padded) */
	const char *text;  /* EK_SYM / EK_SETREF / verdict chain name */
	uint32_t tlen;
	struct nft_expr *l, *r;
	struct nft_expr *next;   /* lists / set elements */
	struct nft_set *set;
	struct nft_loc r_loc_name; /* verdict: location of the chain name */
};

/* ---- statements ---- */
enum nft_sk {
	SK_MATCH = 1,
	SK_VERDICT,
	SK_VMAP,
	SK_COUNTER,
	SK_LOG,
	SK_LIMIT,
	SK_META_SET,
	SK_CT_SET,
	SK_NOTRACK,
	SK_REJECT,
	SK_NAT,
	SK_CT_COUNT,
};

enum nft_op {
	OP_IMPLICIT = 0,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_GT,
	OP_LE,
	OP_GE,
	OP_NEG,      /* `!` on flags: (x & v) == 0 */
	OP_FLAGCMP,  /* `v / m`: (x & m) == v, printed without op */
	OP_FLAGCMP_NE,
};

enum nft_nat_type { NAT_SNAT = 1, NAT_DNAT, NAT_MASQ, NAT_REDIR };
enum nft_natf { /* same bits as enum nft_nat_flag */
	NATF_RANDOM = 1u << 0,
	NATF_FULLY_RANDOM = 1u << 1,
	NATF_PERSISTENT = 1u << 2,
};

enum nft_reject_type { RJ_ICMP = 0, RJ_TCP_RST = 1, RJ_ICMPX = 2 };

struct nft_stmt {
	uint8_t kind;      /* enum nft_sk */
	uint8_t op;        /* SK_MATCH: enum nft_op */
	uint8_t key;       /* SK_META_SET / SK_CT_SET key */
	uint8_t vcode;     /* SK_VERDICT */
	struct nft_loc loc;
	struct nft_expr *l, *r;  /* match: lhs, rhs; set stmts: value in r; vmap: l key r set */
	const char *chain;       /* jump/goto target */
	struct nft_loc r_loc;    /* location of the target name */
	/* counter */
	uint64_t packets, bytes;
	/* log */
	const char *prefix;
	int8_t level;            /* -1: default (warn) */
	uint8_t log_flags;
	bool level_set;
	bool log_other;          /* an option other than level was given */
	/* limit */
	uint64_t rate;
	uint64_t burst;
	uint8_t unit;            /* 0 second .. 4 week */
	bool bytes_mode, over, burst_set;
	/* reject */
	uint8_t rj_type;         /* enum nft_reject_type */
	uint8_t rj_code;
	uint8_t rj_family;       /* 2 icmp, 10 icmpv6 for RJ_ICMP */
	bool rj_explicit;
	/* nat */
	uint8_t nat_type;
	uint8_t nat_family;      /* 0, 2 or 10 (`snat ip to`) */
	uint8_t nat_flags;
	bool nat_fam_written;
	bool nat_prefix;         /* `snat ip prefix to`: NF_NAT_RANGE_NETMAP */
	bool nat_concat;         /* addr is a map to address . port (port from the same lookup) */
	struct nft_expr *addr, *addr_hi, *port, *port_hi;
	/* ct count */
	uint32_t count;
	bool count_over;
	struct vm_conncount *cc; /* its compiled state (compile.c), kept across applies */
	/* limit: token bucket state (run.c), nanoseconds */
	uint64_t lim_tokens, lim_max, lim_last;
	bool lim_started;
	/* dependency bookkeeping (check.c) */
	bool hidden;             /* not listed: a dependency nft drops */
	struct nft_stmt *next;
};

struct nft_rule {
	struct nft_stmt *stmts;
	const char *comment;
	uint64_t handle;
	struct nft_loc loc;
	struct nft_loc cmd_loc;  /* `add rule ...` command, for kernel-stage errors */
	uint32_t gen;            /* script that added it: handles of rules of the
				  * script being applied are not known to it yet */
	struct nft_rule *next;
};

enum nft_chain_type { CHT_FILTER = 1, CHT_NAT, CHT_ROUTE };

struct nft_chain {
	const char *name;
	bool base;
	uint8_t type;      /* enum nft_chain_type */
	uint8_t hook;      /* enum ct_hook */
	uint8_t policy;    /* enum nft_verdict */
	int32_t prio;
	const char *comment;
	struct nft_rule *rules, *rules_tail;
	uint32_t use;      /* jumps to this chain */
	uint64_t handle;
	uint32_t vm_idx;   /* index in the compiled chains (compile.c) */
	struct nft_chain *next;
};

enum nft_set_flag {
	SETF_INTERVAL = 1u << 0,
	SETF_CONSTANT = 1u << 1,
	SETF_TIMEOUT = 1u << 2,
	SETF_DYNAMIC = 1u << 3,
};

struct nft_elem {
	uint8_t lo[NFT_KEY_MAX], hi[NFT_KEY_MAX]; /* hi == lo for single values */
	bool interval;
	struct nft_expr *data;   /* maps: resolved value or verdict */
	const char *comment;
	struct nft_loc loc;
	uint32_t seq;            /* insertion number, for stable ordering */
	struct nft_elem *next;
};

struct nft_set {
	const char *name;      /* NULL for anonymous sets */
	uint8_t key_dt, key_len;
	uint8_t data_dt, data_len;
	struct nft_ctype kcat, dcat; /* concatenated key / data (key_dt, data_dt DT_CONCAT) */
	const struct nft_expr *key_typeof, *data_typeof; /* declared with `typeof` */
	bool is_map;
	uint32_t flags;        /* enum nft_set_flag */
	struct nft_elem *elems, *elems_tail;
	uint32_t nelems;
	uint64_t handle;
	uint32_t nwritten;     /* anonymous sets: elements as written, before merging */
	const char *comment;   /* named sets: `comment "..."` of the declaration */
	void *vm;              /* compiled form (compile.c), owned by the compiled ruleset */
	struct nft_set *next;
};

struct nft_obj {
	const char *name;
	uint64_t handle;
	char helper[17];
	uint8_t l4proto;
	uint8_t l3proto;       /* 2, 10, or 1 (inet: both) */
	struct nft_obj *next;
};

struct nft_table {
	uint8_t family;        /* 2 ip, 10 ip6, 1 inet */
	const char *name;
	const char *comment;
	uint64_t handle;
	uint64_t next_handle;  /* the kernel numbers chains, sets, objects, rules per table */
	struct nft_chain *chains, *chains_tail;
	struct nft_set *sets, *sets_tail;
	struct nft_obj *objs, *objs_tail;
	struct nft_table *next;
};

struct nft_compiled; /* eval.c */
struct vm_conncount;  /* vm.h */

/* A file an accepted script included, as it was read then (ruleset.c). */
struct nft_kept_src {
	char *name;
	char *buf;
	size_t len;
};

/*
 * An accepted script, replayed to build the next ruleset.  Its includes are
 * kept as they were read, so that a replay neither reads files again nor
 * fails when one has changed or gone since.
 */
struct nft_script {
	char *name;
	char *buf;
	size_t len;
	struct nft_kept_src *incs;
	size_t ninc;
	/*
	 * Or, with burns != NULL, no script but the handles a transaction the
	 * kernel aborted had taken (nft -c, or an error at commit): the
	 * kernel's handle counters are not rolled back.
	 */
	struct nft_burn *burns;
	size_t nburns;
	uint64_t burn_table_handle;
};

struct nft_burn {
	uint8_t family;
	char *name;
	uint64_t handle;      /* the table's */
	uint64_t next_handle; /* its handle counter after the aborted transaction */
};

struct nft_ruleset {
	struct nft_config cfg;   /* cfg.ifaces points at own_ifaces */
	struct nft_iface *own_ifaces; /* copy of the caller's list, names in own_names */
	char *own_names;
	struct nft_arena arena;
	struct nft_table *tables, *tables_tail;
	/* accepted scripts, replayed to build a new ruleset atomically */
	struct nft_script *scripts;
	size_t nscripts;
	/* table handles before the first kept script (earlier ones were flushed) */
	uint64_t base_table_handle;
	struct nft_compiled *compiled;
	uint64_t next_table_handle;
};

#define NFT_FAM_INET 1
#define NFT_FAM_IP 2
#define NFT_FAM_IP6 10

/* ---- parser / checker shared state ---- */
struct nft_src {
	const char *name;
	const char *buf;
	size_t len;
	char *owned;   /* loader buffer to free */
	struct nft_toks toks;
};

struct nft_define {
	const char *name;
	uint32_t nlen;
	uint16_t src;
	size_t first, end; /* token range */
	struct nft_define *next;
};

struct nft_pending;

struct nft_pstate {
	struct nft_ruleset *rs;
	struct nft_arena *a;
	struct nft_src srcs[64];
	size_t nsrc;
	struct nft_define *defines;
	/* current token stream */
	struct nft_toks *tk;
	size_t pos;
	size_t end;
	int depth;
	/* error reporting */
	struct nft_sbuf err;
	bool failed;
	uint64_t next_handle;
	struct nft_pending **pending_tail; /* rules of the table block being read */
	uint32_t gen;            /* index of the script being applied */
	bool flushed_ruleset;    /* the script ran `flush ruleset` */
};

/* errors (error.c) */
void nft_error(struct nft_pstate *ps, const struct nft_loc *loc, const struct nft_loc *loc2,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* cursor.c: reading the token stream of ps */
struct nft_tok *nft_peek(struct nft_pstate *ps);
struct nft_tok *nft_peek2(struct nft_pstate *ps);
struct nft_tok *nft_next(struct nft_pstate *ps);
bool nft_is_kw(struct nft_pstate *ps, const char *w);
bool nft_accept_kw(struct nft_pstate *ps, const char *w);
bool nft_accept_tok(struct nft_pstate *ps, enum nft_tok_kind k);
int nft_syntax_error(struct nft_pstate *ps, const struct nft_tok *t); /* -EINVAL */
/* "syntax error, unexpected X, expecting E" where nft's parser lists E */
int nft_syntax_error_expecting(struct nft_pstate *ps, const struct nft_tok *t,
			       const char *expecting);
int nft_expect(struct nft_pstate *ps, enum nft_tok_kind k);
int nft_expect_kw(struct nft_pstate *ps, const char *w);
const char *nft_tok_str(struct nft_pstate *ps, const struct nft_tok *t);
/* A table, chain, set or object name of a command or table block (what nft
 * expects there is read from the statement so far). */
const char *nft_parse_name(struct nft_pstate *ps, struct nft_loc *loc);
/* A name where nft expects `expecting` ("string", "'{'", ...), with the
 * keywords of scopes (NFT_KWS_*) besides those of every scope. */
const char *nft_parse_name_as(struct nft_pstate *ps, struct nft_loc *loc, const char *expecting,
			      unsigned scopes);
/* Is the cursor in a command (add rule ...), not in a table block? */
bool nft_in_command(struct nft_pstate *ps);
/* The name that starts at token i, if there is one (nothing is read or reported). */
bool nft_name_at(struct nft_pstate *ps, size_t i, struct nft_tok *out);
/* The name of an @set or $variable token (sigil, already read). */
const char *nft_parse_sigil_name(struct nft_pstate *ps, const struct nft_tok *sigil,
				 const char *expecting, unsigned scopes, struct nft_loc *loc);
bool nft_at_stmt_end(struct nft_pstate *ps);
bool nft_parse_u64(const struct nft_tok *t, uint64_t *out);

/* parse.c: rules and set literals */
struct nft_rule *nft_parse_rule(struct nft_pstate *ps);
struct nft_expr *nft_parse_setlit(struct nft_pstate *ps);
/* `typeof` of a set: selectors, possibly concatenated. */
struct nft_expr *nft_parse_typeof(struct nft_pstate *ps);

/* cmd.c: a whole script */
int nft_parse_script(struct nft_pstate *ps, uint16_t src);

/* misspell.c: the name nft 1.0.6 offers in "did you mean" (NULL: none) */
struct nft_misspell {
	const void *obj;
	unsigned min;
};
void nft_misspell_init(struct nft_misspell *m);
bool nft_misspell_update(struct nft_misspell *m, const char *have, const char *want,
			 const void *obj);
const struct nft_table *nft_suggest_table(const struct nft_ruleset *rs, const char *name);
const struct nft_chain *nft_suggest_chain(const struct nft_ruleset *rs, const char *name,
					  const struct nft_table **table);
const struct nft_set *nft_suggest_set(const struct nft_ruleset *rs, const char *name,
				      const struct nft_table **table);
/* Report a missing table, chain, set as nft does (with "did you mean"); -ENOENT.
 * kernel: found missing by the kernel, not by nft's cache; rule: a rule
 * command, name being the rule's chain. */
int nft_missing_table(struct nft_pstate *ps, const char *name, const struct nft_loc *loc,
		      bool kernel);
int nft_missing_chain(struct nft_pstate *ps, const char *name, const struct nft_loc *loc,
		      bool rule);
int nft_missing_set(struct nft_pstate *ps, const char *name, const struct nft_loc *loc,
		    bool kernel);
int nft_missing_obj(struct nft_pstate *ps, const char *name, const struct nft_loc *loc);

/* error.c */
struct nft_loc nft_loc_join(const struct nft_loc *a, const struct nft_loc *b);

/* check.c: commands the parser applies */
struct nft_table *nft_table_find(struct nft_ruleset *rs, uint8_t family, const char *name);
struct nft_chain *nft_chain_find(struct nft_table *t, const char *name);
struct nft_set *nft_set_find(struct nft_table *t, const char *name);
struct nft_obj *nft_obj_find(struct nft_table *t, const char *name);
/* Check a rule for chain c and give it a handle; the caller links it in. */
int nft_check_rule(struct nft_pstate *ps, struct nft_table *t, struct nft_chain *c,
		   struct nft_rule *r);
int nft_set_delete_elems(struct nft_pstate *ps, struct nft_table *t, struct nft_set *s,
			 struct nft_expr *lit);
bool nft_chain_referenced(struct nft_table *t, struct nft_chain *c);
bool nft_set_referenced(struct nft_table *t, struct nft_set *s);
bool nft_obj_referenced(struct nft_table *t, const struct nft_obj *o);
void nft_chain_link(struct nft_chain *c, struct nft_rule *r, struct nft_rule *ref, bool before);
int nft_check_set_elems(struct nft_pstate *ps, struct nft_table *t, struct nft_set *s,
			struct nft_expr *lit, bool named);
/* Type of a `typeof` expression: dt and len of the whole, cat for concatenations. */
int nft_check_typeof(struct nft_pstate *ps, struct nft_table *t, struct nft_expr *e,
		     uint8_t *dt, uint8_t *len, struct nft_ctype *cat);
/* Component types of a set key / data from type names: `ipv4_addr . inet_service`. */
void nft_ctype_total(struct nft_ctype *cat, uint8_t *dt, uint8_t *len);
int nft_check_chain(struct nft_pstate *ps, struct nft_table *t, struct nft_chain *c,
		    const struct nft_loc *loc);

/* types.c */
int nft_dt_parse(struct nft_pstate *ps, enum nft_dt dt, uint8_t len, struct nft_expr *e);
void nft_dt_print(struct nft_sbuf *b, enum nft_dt dt, uint8_t len, const uint8_t *v,
		  unsigned flags, bool numeric);
const char *nft_sym_name(const struct nft_sym *s, uint32_t v);
bool nft_sym_lookup(const struct nft_sym *s, const char *name, size_t n, uint32_t *v);
uint64_t nft_val_get(const uint8_t *v, uint8_t len);
void nft_val_put(uint8_t *v, uint8_t len, uint64_t x);
extern const struct nft_sym nft_proto_syms[];
extern const struct nft_sym nft_icmp_code_syms[];
extern const struct nft_sym nft_icmpv6_code_syms[];
extern const struct nft_sym nft_icmpx_code_syms[];
void nft_print_addr(struct nft_sbuf *b, int family, const uint8_t *v);
void nft_print_time(struct nft_sbuf *b, uint64_t ms);

/* print.c */
void nft_print_rule(struct nft_sbuf *b, const struct nft_table *t, const struct nft_rule *r,
		    unsigned flags);
void nft_print_ruleset(struct nft_sbuf *b, const struct nft_ruleset *rs, unsigned flags);
/* Pieces of a listing, for the list commands (list.c); flags: enum nft_list_flag. */
const char *nft_family_name(uint8_t family);
const char *nft_meta_key_name(uint8_t key);
const char *nft_ct_key_name(uint8_t key);
/* v[] = the elements of s in nft's listing order; returns their number, -1 (no memory). */
int nft_elems_listing_order(const struct nft_set *s, const struct nft_elem **v);
/* Is [lo, hi] (len bytes) exactly a prefix?  *plen: its length. */
bool nft_is_prefix_range(const uint8_t *lo, const uint8_t *hi, uint8_t len, uint8_t *plen);
void nft_print_table(struct nft_sbuf *b, const struct nft_table *t, unsigned flags);
void nft_print_chain_decl(struct nft_sbuf *b, const struct nft_chain *c, unsigned flags);
void nft_print_chain(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c,
		     unsigned flags);
void nft_print_set(struct nft_sbuf *b, const struct nft_set *s, unsigned flags);
void nft_print_ct_helper(struct nft_sbuf *b, const struct nft_obj *o, unsigned flags);

/* json.c: libnftables-json(5) objects as nft 1.0.6 prints them (-j) */
void nft_json_begin(struct nft_sbuf *b);        /* {"nftables": [{"metainfo": ...} */
void nft_json_end(struct nft_sbuf *b);          /* ]}\n */
void nft_json_table(struct nft_sbuf *b, const struct nft_table *t);
void nft_json_table_full(struct nft_sbuf *b, const struct nft_table *t, unsigned flags);
void nft_json_chain(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c);
void nft_json_rules(struct nft_sbuf *b, const struct nft_table *t, const struct nft_chain *c,
		    unsigned flags);
void nft_json_set(struct nft_sbuf *b, const struct nft_table *t, const struct nft_set *s,
		  unsigned flags);
void nft_json_ct_helper(struct nft_sbuf *b, const struct nft_table *t, const struct nft_obj *o);

/* payload field descriptions */
struct nft_field {
	uint8_t proto;   /* enum nft_proto */
	const char *name;
	uint8_t off, len; /* bytes in the header */
	uint8_t dt;
};
const struct nft_field *nft_field_get(uint8_t proto, uint8_t idx);
const char *nft_proto_name(uint8_t proto);

/* compile.c */
void nft_compiled_free(struct nft_compiled *c);
int nft_compile(struct nft_ruleset *rs);
/* [lo, hi] of the prefix v/plen of a len-byte value; lo and hi are 16 bytes, zero past len. */
void nft_prefix_range(const uint8_t *v, uint8_t plen, uint8_t len, uint8_t *lo, uint8_t *hi);
/* Sorts v by the first key_len bytes of lo (the kernel's key order). */
void nft_elems_sort(const struct nft_elem **v, size_t n, uint8_t key_len);

#endif
