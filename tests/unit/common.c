/*
 * Unit tests for proxy/common.c: the allocation helpers, tf_xasprintf(),
 * whose results must be exact at every length, far past any stack buffer,
 * tf_parse_uint() at its limits, and the "FILE:LINE: message" writer.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "test.h"

TEST(xalloc_zero_sizes)
{
	void *p = tf_xmalloc(0), *q = tf_xcalloc(0, 8), *r = tf_xcalloc(8, 0);

	/* Zero-size requests still give a pointer that free() takes. */
	ASSERT(p != NULL && q != NULL && r != NULL);
	p = tf_xrealloc(p, 0);
	ASSERT(p != NULL);
	free(p);
	free(q);
	free(r);
}

TEST(xcalloc_zeroes)
{
	unsigned char *p = tf_xcalloc(100, 3);
	size_t i;

	for (i = 0; i < 300; i++)
		ASSERT_EQ(p[i], 0);
	free(p);
}

TEST(xstrdup_copies)
{
	char src[] = "listener edge";
	char *d = tf_xstrdup(src);

	ASSERT(d != src);
	src[0] = 'X';
	ASSERT_STR_EQ(d, "listener edge");
	free(d);
	d = tf_xstrdup("");
	ASSERT_STR_EQ(d, "");
	free(d);
}

TEST(xasprintf_formats)
{
	char *s;

	s = tf_xasprintf("%s", "");
	ASSERT_STR_EQ(s, "");
	free(s);
	s = tf_xasprintf("[%s]:%u", "::1", 8443u);
	ASSERT_STR_EQ(s, "[::1]:8443");
	free(s);
	s = tf_xasprintf("%s%s%s", "/etc", "/", "tlsfloor.conf");
	ASSERT_STR_EQ(s, "/etc/tlsfloor.conf");
	free(s);
	s = tf_xasprintf("%d%%", -5);
	ASSERT_STR_EQ(s, "-5%");
	free(s);
}

/* Lengths around the sizes a fixed buffer would have, and far past them. */
TEST(xasprintf_never_truncates)
{
	static const size_t lens[] = { 0, 1, 255, 256, 511, 512, 513, 4095,
		4096, 4097, 1 << 20 };
	size_t i, j;

	for (i = 0; i < TF_ARRAY_SIZE(lens); i++) {
		char *arg = tf_xmalloc(lens[i] + 1), *s;

		for (j = 0; j < lens[i]; j++)
			arg[j] = (char)('a' + j % 26);
		arg[lens[i]] = '\0';
		s = tf_xasprintf("<%s>", arg);
		ASSERT_EQ(strlen(s), lens[i] + 2);
		ASSERT_EQ(s[0], '<');
		ASSERT_EQ(s[lens[i] + 1], '>');
		ASSERT(memcmp(s + 1, arg, lens[i]) == 0);
		free(s);
		free(arg);
	}
}

/* A width alone makes the text long, with no long argument. */
TEST(xasprintf_width)
{
	char *s = tf_xasprintf("%*s|", 100000, "x");

	ASSERT_EQ(strlen(s), 100001);
	ASSERT_EQ(s[0], ' ');
	ASSERT_EQ(s[99999], 'x');
	ASSERT_EQ(s[100000], '|');
	free(s);
}

TEST(parse_uint_values)
{
	static const struct {
		const char *text;
		uint64_t max;
		uint64_t v;
	} good[] = {
		{ "0", 0, 0 }, { "7", 9, 7 }, { "65535", 65535, 65535 },
		{ "007", 10, 7 }, { "00000000000000000000000001", 1, 1 },
		{ "32", 32, 32 }, { "128", 128, 128 },
		{ "18446744073709551615", UINT64_MAX, UINT64_MAX },
		{ "1844674407370955161", UINT64_MAX, 1844674407370955161u },
	};
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(good); i++) {
		uint64_t v = 12345;

		if (tf_parse_uint(good[i].text, good[i].max, &v) != 0)
			TEST_FAIL("'%s' (max %llu) refused", good[i].text,
			    (unsigned long long)good[i].max);
		ASSERT_EQ(v, good[i].v);
	}
}

TEST(parse_uint_refused)
{
	static const struct {
		const char *text;
		uint64_t max;
	} bad[] = {
		{ "", 10 }, { "-1", 10 }, { "+1", 10 }, { " 1", 10 },
		{ "1 ", 10 }, { "1a", 10 }, { "0x10", 100 }, { "1.0", 10 },
		{ "65536", 65535 }, { "33", 32 }, { "129", 128 },
		{ "1", 0 }, { "8", 7 }, { "10", 9 },
		{ "18446744073709551616", UINT64_MAX },
		{ "99999999999999999999", UINT64_MAX },
		{ "184467440737095516150", UINT64_MAX },
	};
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(bad); i++) {
		uint64_t v = 12345;

		if (tf_parse_uint(bad[i].text, bad[i].max, &v) == 0)
			TEST_FAIL("'%s' (max %llu) accepted", bad[i].text,
			    (unsigned long long)bad[i].max);
		/* A refusal leaves *out alone. */
		ASSERT_EQ(v, 12345);
	}
}

static void err_at(char *err, size_t errlen, const char *file,
    unsigned line, const char *fmt, ...) TF_PRINTF(5, 6);

static void
err_at(char *err, size_t errlen, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tf_verr_at(err, errlen, file, line, fmt, ap);
	va_end(ap);
}

TEST(err_at_places)
{
	char err[128];

	err_at(err, sizeof(err), "/etc/tlsfloor/a.conf", 12, "'%s': bad", "x");
	ASSERT_STR_EQ(err, "/etc/tlsfloor/a.conf:12: 'x': bad");
	err_at(err, sizeof(err), "fp.tsv", 0, "cannot open: %s", "why");
	ASSERT_STR_EQ(err, "fp.tsv: cannot open: why");
	err_at(err, sizeof(err), NULL, 5, "empty configuration file name");
	ASSERT_STR_EQ(err, "empty configuration file name");
	err_at(err, sizeof(err), "big", 4294967295u, "m");
	ASSERT_STR_EQ(err, "big:4294967295: m");
}

TEST(err_at_truncates)
{
	static const char whole[] = "/etc/x.conf:123: unknown directive 'b'";
	char err[sizeof(whole) + 8];
	size_t len;

	/* Every size: a NUL-terminated prefix of the whole message, the
	 * bytes after the buffer untouched. */
	for (len = 1; len <= sizeof(err) - 4; len++) {
		memset(err, 'X', sizeof(err));
		err_at(err, len, "/etc/x.conf", 123, "unknown directive '%s'",
		    "b");
		ASSERT_EQ(strlen(err), len - 1 < sizeof(whole) - 1 ?
		    len - 1 : sizeof(whole) - 1);
		ASSERT(strncmp(err, whole, strlen(err)) == 0);
		ASSERT_EQ(err[len], 'X');
	}
	/* No buffer: nothing is written. */
	err_at(NULL, 0, "f", 1, "m");
	err[0] = 'X';
	err_at(err, 0, "f", 1, "m");
	ASSERT_EQ(err[0], 'X');
}

TEST_MAIN(
	TEST_ENTRY(xalloc_zero_sizes),
	TEST_ENTRY(xcalloc_zeroes),
	TEST_ENTRY(xstrdup_copies),
	TEST_ENTRY(xasprintf_formats),
	TEST_ENTRY(xasprintf_never_truncates),
	TEST_ENTRY(xasprintf_width),
	TEST_ENTRY(parse_uint_values),
	TEST_ENTRY(parse_uint_refused),
	TEST_ENTRY(err_at_places),
	TEST_ENTRY(err_at_truncates)
)
