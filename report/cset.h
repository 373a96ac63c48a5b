/*
 * Nullable byte strings and counted sets of them, for tlsfloor-report.
 *
 * A string taken from a record is bytes with a length: a JSON string may
 * hold \u0000, so no length is ever taken with strlen. NULL with length 0
 * stands for JSON null, which is a value of its own: null, "" and "null"
 * are three different strings everywhere below.
 */
#ifndef TF_CSET_H
#define TF_CSET_H

#include <stddef.h>
#include <stdint.h>

/* The FNV-1a offset basis: the hash of nothing. */
#define TF_CSET_HASH_BASIS 0xcbf29ce484222325ULL

/* Orders two `struct tf_cset_entry *const *`, for qsort. */
typedef int tf_cset_order(const void *, const void *);

/* One distinct string of a set. */
struct tf_cset_entry {
	uint64_t hash;       /* tf_cset_hash of the string */
	uint64_t count;      /* what the set's user counted for it */
	int null;            /* the string is JSON null (len is then 0) */
	size_t len;          /* length of s, which may hold NULs */
	char s[];            /* len bytes and a NUL */
};

/* Distinct strings with counts: open addressing, linear probing, at most
 * three quarters full. All zero is an empty set. */
struct tf_cset {
	struct tf_cset_entry **slot; /* cap slots, NULL when free */
	size_t cap;                  /* a power of two, or 0 */
	size_t n;                    /* entries held */
};

/* Extends hash h with the nullable string p/n, so that null, "" and the
 * boundaries between successive strings all hash apart. */
uint64_t tf_cset_hash(uint64_t h, const char *p, size_t n);

/* Whether two nullable strings are the same (null equals only null). */
int tf_cset_eq(const char *a, size_t alen, const char *b, size_t blen);

/* Byte order of two nullable strings, null first; <0, 0 or >0. */
int tf_cset_cmp(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Finds the entry for s/len (s NULL: null), inserting it with count 0 when
 * it is absent and the set holds fewer than limit entries (SIZE_MAX: no
 * limit). Returns the entry, which lives as long as the set, or NULL when
 * it is absent and the set is full. Aborts on OOM.
 */
struct tf_cset_entry *tf_cset_get(struct tf_cset *cs, const char *s,
    size_t len, size_t limit);

/* Counts s/len once more, with no limit on the set's size. */
void tf_cset_add(struct tf_cset *cs, const char *s, size_t len);

/* Frees every entry and leaves cs empty. */
void tf_cset_free(struct tf_cset *cs);

/* The entry's string, or NULL when it is null. */
const char *tf_cset_str(const struct tf_cset_entry *e);

/* The entries of cs in a new array of cs->n, sorted by order; the caller
 * frees the array, never the entries. */
struct tf_cset_entry **tf_cset_sorted(const struct tf_cset *cs,
    tf_cset_order *order);

/* Orders: by string (tf_cset_cmp); by count descending, then string. */
int tf_cset_order_str(const void *a, const void *b);
int tf_cset_order_count(const void *a, const void *b);

#endif
