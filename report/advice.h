/*
 * What to upgrade, per client family, for tlsfloor-report: a client_guess
 * (a CLIENT name from conf/fingerprints.tsv) maps to one sentence on how
 * that client gets TLS 1.2. The table is ordered, most specific first, and
 * matched by substring, so a name from an operator's own catalogue that
 * says "Windows 7" or "Java 7" still finds its family; a guess that
 * matches nothing, or none at all, gets the last entry's generic sentence.
 *
 * The table's text is printable ASCII, so every writer can print it as it
 * is; the guesses counted under a family come from records and are not.
 */
#ifndef TF_ADVICE_H
#define TF_ADVICE_H

#include <stddef.h>
#include <stdint.h>

#include "cset.h"

/* The most substrings one entry matches on. */
#define TF_ADVICE_PATTERNS 6

/* One family of clients and what to do about it. */
struct tf_advice {
	const char *pattern[TF_ADVICE_PATTERNS];
	                         /* substrings of a guess, unused ones NULL;
	                          * the last entry has none and matches any */
	const char *family;      /* the family's short name */
	const char *text;        /* one sentence: how it gets TLS 1.2 */
};

/* A family as the report's totals count it. */
struct tf_advice_family {
	const struct tf_advice *advice;
	uint64_t records;              /* records of all its guesses */
	struct tf_cset_entry **guesses; /* its guesses, most records first */
	size_t nguesses;
};

/* The advice for a client_guess of len bytes at guess; guess NULL (an
 * unknown client) gets the generic entry. Never NULL. */
const struct tf_advice *tf_advice_find(const char *guess, size_t len);

/*
 * Groups by_guess (records per guess, the null guess counted as
 * "unknown", which matches no pattern) into families, in a new array of
 * *n: the families with records, most records first, then in table
 * order. The guesses are by_guess's own entries. Free the array with
 * tf_advice_families_free.
 */
struct tf_advice_family *tf_advice_families(const struct tf_cset *by_guess,
    size_t *n);

void tf_advice_families_free(struct tf_advice_family *f, size_t n);

#endif
