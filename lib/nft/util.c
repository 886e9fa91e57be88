/* SPDX-License-Identifier: MIT */
/* Arena allocation for ruleset trees and a growable text buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_priv.h"

struct nft_arena_chunk {
	struct nft_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

#define NFT_CHUNK 65536

void *nft_alloc(struct nft_arena *a, size_t n)
{
	struct nft_arena_chunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t sz = n > NFT_CHUNK ? n : NFT_CHUNK;

		c = malloc(sizeof(*c) + sz);
		if (!c) {
			a->failed = true;
			return NULL;
		}
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;

	c->used += n;
	memset(p, 0, n);
	return p;
}

char *nft_strndup(struct nft_arena *a, const char *s, size_t n)
{
	char *p = nft_alloc(a, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

void nft_arena_free(struct nft_arena *a)
{
	struct nft_arena_chunk *c = a->head, *n;

	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
}

void nft_sb_putn(struct nft_sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void nft_sb_puts(struct nft_sbuf *b, const char *s)
{
	nft_sb_putn(b, s, strlen(s));
}

void nft_sb_printf(struct nft_sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		nft_sb_putn(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);

	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	nft_sb_putn(b, big, (size_t)n);
	free(big);
}
