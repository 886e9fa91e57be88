/* SPDX-License-Identifier: MIT */
/*
 * The compiled form of a ruleset, shared by compile.c (builds it) and run.c
 * (executes it).  A rule is a flat run of instructions over a register file
 * of bytes holding values in network byte order, like nf_tables' own
 * expressions; every name is resolved to an index or pointer at compile time.
 * An instruction's `reg` is a byte offset into the file: keys (up to 64
 * bytes, a concatenation's components in 4-byte slots) are built at 0, a nat
 * address at VM_R_ADDR and its ports at VM_R_PORT; a map writes the data's
 * low end at its register and the high end VM_HI bytes further.
 */
#ifndef CTRACK_NFT_VM_H
#define CTRACK_NFT_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "nft_priv.h"

enum vm_op {
	VM_LD_NET = 1,  /* network header bytes [off, off+len) -> dreg */
	VM_LD_TH,       /* transport header bytes */
	VM_LD_META,     /* key -> dreg */
	VM_LD_CT,       /* key, dir -> dreg; breaks without an entry (but state) */
	VM_LD_IMM,      /* a -> dreg */
	VM_BITWISE,     /* dreg = (dreg & a) ^ b */
	VM_CMP,         /* dreg cmp a, else break */
	VM_RANGE,       /* a <= dreg <= b (neg: outside), else break */
	VM_IFNAME,      /* first len bytes of dreg == a (neg: !=), else break */
	VM_LOOKUP,      /* dreg in set (neg: not in), else break */
	VM_MAP,         /* dreg = set[dreg] (data), else break */
	VM_VMAP,        /* verdict = set[dreg], else break */
	VM_VERDICT,     /* verdict code, chain index in arg */
	VM_COUNTER,     /* stmt counters += 1, len */
	VM_LOG,
	VM_LIMIT,       /* token bucket in the stmt; break when over (or under for `over`) */
	VM_META_SET,    /* meta mark = dreg */
	VM_CT_SET,      /* ct key = dreg */
	VM_NOTRACK,
	VM_REJECT,
	VM_NAT,         /* address in regs 2/3 (min/max), ports in regs 0/1 */
	VM_CT_COUNT,
	VM_ZERO,        /* len bytes at reg = 0: the padding of a concatenation's slots */
};

#define VM_REG_BYTES 384
#define VM_HI 64        /* a map's high data end, after its low end */
#define VM_R_ADDR 96    /* nat: address min (max at + VM_HI) */
#define VM_R_PORT 224   /* nat: port min (max at + VM_HI) */

enum vm_cmp { VMC_EQ = 0, VMC_NE, VMC_LT, VMC_GT, VMC_LE, VMC_GE };

struct vm_set;
struct vm_chain;

struct vm_insn {
	uint8_t op;        /* enum vm_op */
	uint8_t len;       /* value bytes */
	uint16_t reg;      /* register operated on: byte offset in the register file */
	uint8_t key;       /* meta / ct key, cmp op, reject kind, nat kind */
	uint8_t dir;       /* ct direction 0 none, 1 original, 2 reply */
	uint8_t need_l3;   /* payload: required family (2, 10), 0 any */
	uint8_t need_l4;   /* payload: required transport protocol, 0 any */
	bool neg;
	uint16_t off;      /* payload offset */
	uint32_t arg;      /* verdict: chain index; nat: flags and which regs are set */
	uint16_t nat_off[4]; /* nat: address min, max, port min, max (byte offsets) */
	uint8_t a[16];
	uint8_t b[16];
	struct vm_set *set;
	struct nft_stmt *stmt; /* counters, limit state, log text */
	struct vm_conncount *cc; /* ct count: the connections counted */
};

/*
 * `ct count` (nft_connlimit): the original tuples of the connections that
 * passed the rule and are still alive; room for limit + 1 of them, which is
 * all the verdict needs (bounded: nothing is allocated per packet).
 */
struct vm_conncount {
	uint32_t cap, n;
	struct ct_tuple t[];
};

struct vm_elem_data {
	uint8_t lo[NFT_DATA_MAX], hi[NFT_DATA_MAX]; /* value maps: data (hi for ranges) */
	uint8_t vcode;          /* verdict maps */
	uint32_t chain;
};

/*
 * Exact keys: open addressing on a power-of-two table of element indexes.
 * Intervals: elements sorted by low key, non-overlapping; binary search.
 * Concatenations with intervals (nf_tables' pipapo): every field of the key
 * within its own [lo, hi]; the elements are tried in order.
 */
struct vm_set {
	uint8_t klen;
	bool interval;
	bool concat_iv;
	uint8_t nfield;
	uint8_t fslot[NFT_CONCAT_MAX]; /* concat_iv: bytes of each field's slot */
	uint32_t n;
	uint8_t *lo;               /* n keys of klen bytes */
	uint8_t *hi;
	struct vm_elem_data *data; /* NULL for plain sets */
	/*
	 * hash: slots of `stride` bytes, the key then the element index + 1
	 * (0 = empty, host order), so that a probe touches one cache line
	 */
	uint8_t *slots;
	uint32_t stride;
	uint32_t mask;
};

struct vm_rule {
	uint32_t first, n;     /* instructions */
	uint64_t handle;
	const char *text;      /* listing text, for verdict reporting */
};

struct vm_chain {
	const char *table, *name;
	uint8_t family;
	bool base;
	uint8_t type;          /* enum nft_chain_type */
	uint8_t hook;
	uint8_t policy;
	int32_t prio;
	uint32_t order;        /* creation order: ties in priority */
	uint32_t first_rule, nrules;
};

#define VM_NFAM 2 /* 0: IPv4, 1: IPv6 */

struct nft_compiled {
	struct vm_insn *insn;
	size_t ninsn, cap_insn;
	struct vm_rule *rules;
	size_t nrules, cap_rules;
	struct vm_chain *chains;
	size_t nchains;
	struct vm_set **sets;
	size_t nsets, cap_sets;
	/* base chains per family and hook, in priority order */
	uint32_t *hooks[VM_NFAM][5];
	uint32_t nhooks[VM_NFAM][5];
	/* the family has a nat-type base chain: the kernel's NAT hooks are on */
	bool nat_hooked[VM_NFAM];
	/* something needs conntrack in the family (spec §7.7: ct expressions
	 * and statements, nat chains, ct helper objects) */
	bool uses_ct[VM_NFAM];
	char *texts;           /* rule texts, NUL separated */
};

bool nft_vm_set_find(const struct vm_set *s, const uint8_t *key, uint32_t *idx);

#endif
