/*
 * Unit tests for proxy/json.c: escaping of every byte class, UTF-8
 * validation, exact record shape, and the overflow bound (checked with a
 * canary after the buffer, at every buffer size).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "test.h"

/* Escapes n bytes and returns a static copy of the result. */
static const char *
esc(const void *s, size_t n)
{
	static char out[1024];
	size_t w = tf_json_escape(out, sizeof(out), s, n);

	ASSERT(w != (size_t)-1);
	ASSERT_EQ(w, strlen(out));
	return out;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

TEST(escape_specials)
{
	ASSERT_STR_EQ(ESC("plain.example.com"), "plain.example.com");
	ASSERT_STR_EQ(ESC("a\"b"), "a\\\"b");
	ASSERT_STR_EQ(ESC("a\\b"), "a\\\\b");
	ASSERT_STR_EQ(ESC("/"), "/");
	ASSERT_STR_EQ(ESC("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
	ASSERT_STR_EQ(ESC("\x01\x1f"), "\\u0001\\u001f");
	ASSERT_STR_EQ(ESC("\x7f"), "\\u007f");
	ASSERT_STR_EQ(ESC(""), "");
	/* An embedded NUL is data, not the end. */
	ASSERT_STR_EQ(ESC("a\0b"), "a\\u0000b");
}

TEST(escape_every_ascii_byte)
{
	unsigned c;

	for (c = 0; c < 0x80; c++) {
		uint8_t b = (uint8_t)c;
		const char *s = esc(&b, 1);
		char want[8];

		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\\%c", c);
		else if (c == '\n')
			strcpy(want, "\\n");
		else if (c == '\r')
			strcpy(want, "\\r");
		else if (c == '\t')
			strcpy(want, "\\t");
		else if (c == '\b')
			strcpy(want, "\\b");
		else if (c == '\f')
			strcpy(want, "\\f");
		else if (c < 0x20 || c == 0x7f)
			snprintf(want, sizeof(want), "\\u%04x", c);
		else
			snprintf(want, sizeof(want), "%c", c);
		ASSERT_STR_EQ(s, want);
	}
}

TEST(escape_invalid_utf8)
{
	ASSERT_STR_EQ(ESC("\xff"), "\\u00ff");
	ASSERT_STR_EQ(ESC("\xfe"), "\\u00fe");
	/* Lone continuation bytes. */
	ASSERT_STR_EQ(ESC("a\x80z"), "a\\u0080z");
	ASSERT_STR_EQ(ESC("\xbf"), "\\u00bf");
	/* Overlong encodings. */
	ASSERT_STR_EQ(ESC("\xc0\x80"), "\\u00c0\\u0080");
	ASSERT_STR_EQ(ESC("\xc1\xbf"), "\\u00c1\\u00bf");
	ASSERT_STR_EQ(ESC("\xe0\x80\xaf"), "\\u00e0\\u0080\\u00af");
	ASSERT_STR_EQ(ESC("\xf0\x8f\xbf\xbf"),
	    "\\u00f0\\u008f\\u00bf\\u00bf");
	/* UTF-16 surrogates. */
	ASSERT_STR_EQ(ESC("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080");
	ASSERT_STR_EQ(ESC("\xed\xbf\xbf"), "\\u00ed\\u00bf\\u00bf");
	/* Above U+10FFFF. */
	ASSERT_STR_EQ(ESC("\xf4\x90\x80\x80"),
	    "\\u00f4\\u0090\\u0080\\u0080");
	ASSERT_STR_EQ(ESC("\xf5\x80\x80\x80"),
	    "\\u00f5\\u0080\\u0080\\u0080");
	/* Truncated sequences, at the end and before ASCII. */
	ASSERT_STR_EQ(ESC("\xc3"), "\\u00c3");
	ASSERT_STR_EQ(ESC("\xe2\x82"), "\\u00e2\\u0082");
	ASSERT_STR_EQ(ESC("\xe2\x82x"), "\\u00e2\\u0082x");
	ASSERT_STR_EQ(ESC("\xf0\x9f\x98"), "\\u00f0\\u009f\\u0098");
	/* A bad byte does not swallow the valid sequence after it. */
	ASSERT_STR_EQ(ESC("\xe2\xc3\xa9"), "\\u00e2\xc3\xa9");
}

TEST(escape_valid_utf8_kept)
{
	/* U+00E9, U+20AC, U+1F600, and the edges of each length. */
	ASSERT_STR_EQ(ESC("caf\xc3\xa9"), "caf\xc3\xa9");
	ASSERT_STR_EQ(ESC("\xe2\x82\xac"), "\xe2\x82\xac");
	ASSERT_STR_EQ(ESC("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	ASSERT_STR_EQ(ESC("\xc2\x80"), "\xc2\x80");
	ASSERT_STR_EQ(ESC("\xdf\xbf"), "\xdf\xbf");
	ASSERT_STR_EQ(ESC("\xe0\xa0\x80"), "\xe0\xa0\x80");
	ASSERT_STR_EQ(ESC("\xed\x9f\xbf"), "\xed\x9f\xbf");
	ASSERT_STR_EQ(ESC("\xee\x80\x80"), "\xee\x80\x80");
	ASSERT_STR_EQ(ESC("\xef\xbf\xbf"), "\xef\xbf\xbf");
	ASSERT_STR_EQ(ESC("\xf0\x90\x80\x80"), "\xf0\x90\x80\x80");
	ASSERT_STR_EQ(ESC("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");
	ASSERT_STR_EQ(ESC("\xd0\x9f\"\xd0\xb8"), "\xd0\x9f\\\"\xd0\xb8");
}

/*
 * Checks that s is valid UTF-8 and has no raw control byte, quote or
 * backslash outside an escape: what any JSON parser would require.
 */
static void
assert_json_body(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	while (*p) {
		if (*p == '\\') {
			ASSERT(strchr("\"\\/bfnrtu", p[1]) != NULL && p[1]);
			p += p[1] == 'u' ? 6 : 2;
			continue;
		}
		ASSERT(*p >= 0x20 && *p != 0x7f && *p != '"');
		if (*p < 0x80) {
			p++;
		} else if (*p >= 0xc2 && *p <= 0xdf) {
			ASSERT((p[1] & 0xc0) == 0x80);
			p += 2;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			unsigned cp = (p[0] & 0x0fu) << 12 |
			    (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);

			ASSERT((p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80);
			ASSERT(cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff));
			p += 3;
		} else {
			unsigned cp = (p[0] & 0x07u) << 18 |
			    (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 |
			    (p[3] & 0x3fu);

			ASSERT(*p >= 0xf0 && *p <= 0xf4);
			ASSERT((p[1] & 0xc0) == 0x80 &&
			    (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80);
			ASSERT(cp >= 0x10000 && cp <= 0x10ffff);
			p += 4;
		}
	}
}

/* Pseudo-random byte strings always give a valid JSON string body. */
TEST(escape_random_bytes_valid)
{
	uint32_t x = 0x12345678;
	uint8_t in[64];
	char out[64 * 6 + 1];
	int round;

	for (round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 64), i;

		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* Bias towards the interesting high bytes. */
			in[i] = (uint8_t)((x >> 16) | ((x & 1) ? 0x80 : 0));
		}
		ASSERT(tf_json_escape(out, sizeof(out), in, n) !=
		    (size_t)-1);
		assert_json_body(out);
	}
}

TEST(escape_bounded)
{
	static const char in[] = "ab\"\xc3\xa9\x01";
	/* ab \" é \u0001 = 2 + 2 + 2 + 6 = 12 bytes, then the NUL. */
	char out[32];
	size_t cap;

	for (cap = 0; cap <= 13; cap++) {
		size_t w;

		memset(out, 'Z', sizeof(out));
		w = tf_json_escape(out, cap, in, sizeof(in) - 1);
		if (cap == 13) {
			ASSERT_EQ(w, 12);
			ASSERT_STR_EQ(out, "ab\\\"\xc3\xa9\\u0001");
		} else {
			ASSERT(w == (size_t)-1);
		}
		ASSERT(out[cap] == 'Z');
		if (cap > 0)
			ASSERT(memchr(out, '\0', cap) != NULL);
	}
}

/* Writes the reference record of the brief into buf through j. */
static void
write_record(struct tf_json *j, char *buf, size_t cap)
{
	tf_json_init(j, buf, cap);
	tf_json_begin(j);
	tf_json_str(j, "a", "x");
	tf_json_str(j, "n", NULL);
	tf_json_int(j, "i", -5);
	tf_json_bool(j, "b", 1);
	tf_json_array_begin(j, "l");
	tf_json_array_str(j, "1");
	tf_json_array_str(j, "2");
	tf_json_array_end(j);
	tf_json_end(j);
}

#define RECORD \
	"{\"a\":\"x\",\"n\":null,\"i\":-5,\"b\":true,\"l\":[\"1\",\"2\"]}\n"

TEST(record_shape)
{
	struct tf_json j;
	char buf[256];

	write_record(&j, buf, sizeof(buf));
	ASSERT(!j.overflow);
	ASSERT_STR_EQ(buf, RECORD);
	ASSERT_EQ(j.len, strlen(RECORD));
}

TEST(record_members)
{
	struct tf_json j;
	char buf[512];

	tf_json_init(&j, buf, sizeof(buf));
	tf_json_begin(&j);
	tf_json_null(&j, "z");
	tf_json_int(&j, "min", -9223372036854775807LL - 1);
	tf_json_int(&j, "max", 9223372036854775807LL);
	tf_json_int(&j, "zero", 0);
	tf_json_bool(&j, "f", 0);
	tf_json_strn(&j, "sni", "a\"\x00\xff", 4);
	tf_json_strn(&j, "none", NULL, 3);
	tf_json_array_begin(&j, "empty");
	tf_json_array_end(&j);
	tf_json_array_begin(&j, "l");
	tf_json_array_str(&j, "\\");
	tf_json_array_str(&j, NULL);
	tf_json_array_end(&j);
	tf_json_str(&j, "last", "");
	tf_json_end(&j);
	ASSERT(!j.overflow);
	ASSERT_STR_EQ(buf, "{\"z\":null,\"min\":-9223372036854775808,"
	    "\"max\":9223372036854775807,\"zero\":0,\"f\":false,"
	    "\"sni\":\"a\\\"\\u0000\\u00ff\",\"none\":null,\"empty\":[],"
	    "\"l\":[\"\\\\\",null],\"last\":\"\"}\n");

	/* An empty object. */
	tf_json_init(&j, buf, sizeof(buf));
	tf_json_begin(&j);
	tf_json_end(&j);
	ASSERT_STR_EQ(buf, "{}\n");
}

/*
 * At every capacity from 0 to the full size, the writer never touches
 * the canary after cap, always leaves a NUL-terminated prefix of the full
 * record, and sets overflow exactly when the record did not fit.
 */
TEST(overflow_never_past_cap)
{
	size_t full = strlen(RECORD) + 1, cap;
	char store[256];

	for (cap = 0; cap <= full + 2; cap++) {
		struct tf_json j;
		size_t i;

		memset(store, 0xA5, sizeof(store));
		write_record(&j, store, cap);
		for (i = cap; i < sizeof(store); i++)
			if ((uint8_t)store[i] != 0xA5)
				TEST_FAIL("cap %zu: byte %zu written", cap, i);
		ASSERT_EQ(j.overflow, cap < full);
		ASSERT(j.len <= cap);
		if (cap == 0)
			continue;
		ASSERT(j.len < cap);
		ASSERT_EQ(strlen(store), j.len);
		ASSERT(strncmp(store, RECORD, j.len) == 0);
		if (!j.overflow)
			ASSERT_STR_EQ(store, RECORD);
	}
}

/* A member that does not fit is dropped whole, not cut in half. */
TEST(overflow_drops_whole_member)
{
	struct tf_json j;
	char buf[24];

	tf_json_init(&j, buf, sizeof(buf));
	tf_json_begin(&j);
	tf_json_str(&j, "a", "x");
	tf_json_str(&j, "long", "0123456789abcdef");
	ASSERT(j.overflow);
	ASSERT_STR_EQ(buf, "{\"a\":\"x\"");
	/* Later members are ignored once overflowed. */
	tf_json_int(&j, "i", 1);
	tf_json_end(&j);
	ASSERT_STR_EQ(buf, "{\"a\":\"x\"");

	/* An escape expansion that crosses the end. */
	tf_json_init(&j, buf, sizeof(buf));
	tf_json_begin(&j);
	tf_json_strn(&j, "s", "\x01\x02", 2);
	ASSERT(!j.overflow);
	tf_json_strn(&j, "t", "\x01", 1);
	ASSERT(j.overflow);
	ASSERT_STR_EQ(buf, "{\"s\":\"\\u0001\\u0002\"");

	/* An array element. */
	tf_json_init(&j, buf, sizeof(buf));
	tf_json_begin(&j);
	tf_json_array_begin(&j, "l");
	tf_json_array_str(&j, "0123456789");
	tf_json_array_str(&j, "0123456789");
	ASSERT(j.overflow);
	ASSERT_STR_EQ(buf, "{\"l\":[\"0123456789\"");
}

TEST_MAIN(
	TEST_ENTRY(escape_specials),
	TEST_ENTRY(escape_every_ascii_byte),
	TEST_ENTRY(escape_invalid_utf8),
	TEST_ENTRY(escape_valid_utf8_kept),
	TEST_ENTRY(escape_random_bytes_valid),
	TEST_ENTRY(escape_bounded),
	TEST_ENTRY(record_shape),
	TEST_ENTRY(record_members),
	TEST_ENTRY(overflow_never_past_cap),
	TEST_ENTRY(overflow_drops_whole_member)
)
