/*
 * Shared helpers for every tlsfloor module: object magic checks, invariant
 * checks that stay on in release builds, allocation and formatting that
 * abort for small fixed-size objects, parsing of decimal numbers and the
 * "FILE:LINE: message" errors of the file parsers. Nothing here touches
 * libuv or BoringSSL.
 */
#ifndef TF_COMMON_H
#define TF_COMMON_H

#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define tf_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Invariant check: stays enabled in release builds, aborts with file:line. */
#define TF_ASSERT(e)                                                      \
	do {                                                              \
		if (!(e)) {                                               \
			fprintf(stderr, "%s:%d: assertion failed: %s\n",  \
			    __FILE__, __LINE__, #e);                      \
			abort();                                          \
		}                                                         \
	} while (0)

/* Every heap object starts with `unsigned magic`; callbacks check it. */
#define TF_CHECK_OBJ(o, m) TF_ASSERT((o) != NULL && (o)->magic == (m))
#define TF_CAST_OBJ(to, from, m)  \
	do {                      \
		(to) = (from);    \
		TF_CHECK_OBJ(to, m); \
	} while (0)

#define TF_WARN_UNUSED __attribute__((warn_unused_result))
#define TF_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Allocation of small fixed-size internal objects: failure aborts. Any
 * allocation whose size a peer influences must use malloc and fail only
 * the connection instead.
 */
void *tf_xmalloc(size_t n);
void *tf_xcalloc(size_t n, size_t size);
void *tf_xrealloc(void *p, size_t n);
char *tf_xstrdup(const char *s);

/*
 * Returns a malloc'd string formatted as by printf, however long; the
 * caller frees it. Failure aborts, as above, so the same rule applies:
 * never for text whose length a peer chooses.
 */
char *tf_xasprintf(const char *fmt, ...) TF_PRINTF(1, 2);

/*
 * Parses the whole of s as a decimal number of at most max: digits only
 * (leading zeros allowed), no sign, no blanks, no overflow. Returns 0 with
 * *out set, or -1 with *out untouched.
 */
int tf_parse_uint(const char *s, uint64_t max, uint64_t *out);

/*
 * Writes "FILE:LINE: message" into err, or "FILE: message" when line is 0,
 * or "message" when file is NULL; cut to fit errlen, always NUL-terminated.
 * Does nothing when err is NULL or errlen is 0. For the parsers of files
 * an operator writes (configuration, fingerprint catalogue), whose errors
 * all name their place this way.
 */
void tf_verr_at(char *err, size_t errlen, const char *file, unsigned line,
    const char *fmt, va_list ap) TF_PRINTF(5, 0);

#endif
