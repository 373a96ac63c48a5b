/*
 * Counted sets of nullable byte strings. Each set grows by doubling and
 * keeps its entries where they are, so a pointer to an entry stays valid
 * for the life of the set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "cset.h"

#define FNV_PRIME 0x100000001b3ULL

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t
tf_cset_hash(uint64_t h, const char *p, size_t n)
{
	unsigned char tag = p != NULL;
	uint64_t len = n;

	h = fnv(h, &tag, 1);
	if (p == NULL)
		return h;
	h = fnv(h, &len, sizeof(len));
	return fnv(h, p, n);
}

int
tf_cset_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
tf_cset_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	r = memcmp(a, b, alen < blen ? alen : blen);
	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

static void
grow(struct tf_cset *cs)
{
	size_t cap = cs->cap ? cs->cap * 2 : 8, i, j;
	struct tf_cset_entry **slot = tf_xcalloc(cap, sizeof(*slot));

	for (i = 0; i < cs->cap; i++) {
		if (cs->slot[i] == NULL)
			continue;
		for (j = cs->slot[i]->hash & (cap - 1); slot[j] != NULL;
		    j = (j + 1) & (cap - 1))
			;
		slot[j] = cs->slot[i];
	}
	free(cs->slot);
	cs->slot = slot;
	cs->cap = cap;
}

struct tf_cset_entry *
tf_cset_get(struct tf_cset *cs, const char *s, size_t len, size_t limit)
{
	uint64_t h = tf_cset_hash(TF_CSET_HASH_BASIS, s, len);
	struct tf_cset_entry *e;
	size_t i;

	if (cs->cap != 0) {
		for (i = h & (cs->cap - 1); (e = cs->slot[i]) != NULL;
		    i = (i + 1) & (cs->cap - 1))
			if (e->hash == h && tf_cset_eq(tf_cset_str(e),
			    e->len, s, len))
				return e;
	}
	if (cs->n >= limit)
		return NULL;
	if ((cs->n + 1) * 4 > cs->cap * 3)
		grow(cs);
	e = tf_xmalloc(sizeof(*e) + len + 1);
	e->hash = h;
	e->count = 0;
	e->null = s == NULL;
	e->len = s == NULL ? 0 : len;
	if (s != NULL)
		memcpy(e->s, s, len);
	e->s[e->len] = '\0';
	for (i = h & (cs->cap - 1); cs->slot[i] != NULL;
	    i = (i + 1) & (cs->cap - 1))
		;
	cs->slot[i] = e;
	cs->n++;
	return e;
}

void
tf_cset_add(struct tf_cset *cs, const char *s, size_t len)
{
	struct tf_cset_entry *e = tf_cset_get(cs, s, len, SIZE_MAX);

	e->count++;
}

void
tf_cset_free(struct tf_cset *cs)
{
	size_t i;

	for (i = 0; i < cs->cap; i++)
		free(cs->slot[i]);
	free(cs->slot);
	memset(cs, 0, sizeof(*cs));
}

const char *
tf_cset_str(const struct tf_cset_entry *e)
{
	return e->null ? NULL : e->s;
}

struct tf_cset_entry **
tf_cset_sorted(const struct tf_cset *cs, tf_cset_order *order)
{
	struct tf_cset_entry **v = tf_xcalloc(cs->n, sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < cs->cap; i++)
		if (cs->slot[i] != NULL)
			v[k++] = cs->slot[i];
	qsort(v, k, sizeof(*v), order);
	return v;
}

int
tf_cset_order_str(const void *a, const void *b)
{
	const struct tf_cset_entry *x = *(struct tf_cset_entry *const *)a;
	const struct tf_cset_entry *y = *(struct tf_cset_entry *const *)b;

	return tf_cset_cmp(tf_cset_str(x), x->len, tf_cset_str(y), y->len);
}

int
tf_cset_order_count(const void *a, const void *b)
{
	const struct tf_cset_entry *x = *(struct tf_cset_entry *const *)a;
	const struct tf_cset_entry *y = *(struct tf_cset_entry *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return tf_cset_order_str(a, b);
}
