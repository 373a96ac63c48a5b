/*
 * The helpers of common.h that are functions: allocation and formatting
 * that abort on failure, the decimal parser and the place-prefixed error
 * message. Every program links this file; it depends on no other module.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Allocation failure of a fixed-size internal object: nothing to unwind. */
static void
oom(size_t n)
{
	fprintf(stderr, "tlsfloor: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
tf_xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
tf_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
tf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n != 0 ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
tf_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = tf_xmalloc(n);

	memcpy(p, s, n);
	return p;
}

/*
 * Formats in two passes, so the result is never cut at a buffer size. A
 * negative count from vsnprintf() means a format the compiler's printf
 * check should have refused, or a result over INT_MAX bytes: both are
 * bugs of the caller, not conditions to report.
 */
char *
tf_xasprintf(const char *fmt, ...)
{
	va_list ap, again;
	char *s;
	int n, r;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	TF_ASSERT(n >= 0);
	s = tf_xmalloc((size_t)n + 1);
	r = vsnprintf(s, (size_t)n + 1, fmt, again);
	va_end(again);
	TF_ASSERT(r == n);
	return s;
}

int
tf_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned digit;

		if (*s < '0' || *s > '9')
			return -1;
		digit = (unsigned)(*s - '0');
		/* v * 10 + digit > max, asked without overflowing. */
		if (digit > max || v > (max - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

void
tf_verr_at(char *err, size_t errlen, const char *file, unsigned line,
    const char *fmt, va_list ap)
{
	size_t n = 0;
	int r;

	if (err == NULL || errlen == 0)
		return;
	err[0] = '\0';
	if (file != NULL && line > 0)
		r = snprintf(err, errlen, "%s:%u: ", file, line);
	else if (file != NULL)
		r = snprintf(err, errlen, "%s: ", file);
	else
		r = 0;
	/* A prefix that does not fit leaves room for the NUL only. */
	if (r > 0)
		n = (size_t)r < errlen ? (size_t)r : errlen - 1;
	vsnprintf(err + n, errlen - n, fmt, ap);
}
