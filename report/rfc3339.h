/*
 * Times for tlsfloor-report: RFC 3339 date-times as the records carry them,
 * --since arguments, and the formatting the report prints. A time is
 * microseconds since 1970-01-01T00:00:00Z in an int64_t, on the proleptic
 * Gregorian calendar, from year 1 to 9999.
 */
#ifndef TF_RFC3339_H
#define TF_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define TF_US_PER_S 1000000LL

/* a / b rounded towards minus infinity (C's / rounds towards zero), so
 * that times before 1970 fall into the right second or bucket. b > 0. */
static inline int64_t
tf_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/*
 * Parses an RFC 3339 date-time of n bytes at s: YYYY-MM-DD, 'T' (or 't' or
 * one space), hh:mm:ss, an optional fraction of any length (kept to the
 * microsecond), then 'Z' (or 'z') or +hh:mm / -hh:mm. Second 60 (a leap
 * second) is accepted and counts as the next second. Returns 0 and sets
 * *us, or -1 when s is not such a time. s need not be NUL-terminated and
 * may hold NULs (which make it not a time).
 */
int tf_rfc3339_parse(const char *s, size_t n, int64_t *us) TF_WARN_UNUSED;

/*
 * Parses a --since argument: an RFC 3339 date-time, a bare RFC 3339 date
 * (midnight UTC), or a duration back from now_us made of one or more
 * NUMBER UNIT groups with units d (86400 s), h, m and s ("7d", "12h",
 * "1h30m"; at most 100 years in total). Returns 0 and sets *us, or -1.
 */
int tf_rfc3339_parse_since(const char *s, int64_t now_us, int64_t *us)
    TF_WARN_UNUSED;

/* Writes us as "YYYY-MM-DDThh:mm:ss.mmmZ" (ms_digits non-zero) or
 * "YYYY-MM-DDThh:mm:ssZ" (ms_digits 0) into out; 40 bytes always do. */
void tf_rfc3339_format(int64_t us, int ms_digits, char *out, size_t outlen);

/* The wall clock, in microseconds since the epoch. */
int64_t tf_rfc3339_now(void);

#endif
