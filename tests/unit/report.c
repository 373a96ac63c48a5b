/*
 * Unit tests for proxy/report.c: the JSON parser's edge cases, RFC 3339
 * and duration parsing for --since, aggregation over a small synthetic log
 * with malformed and overlong lines, the JSON output read back with the
 * module's own parser, the plain table, HTML escaping and the HTML page,
 * and the exit codes of tf_report_main.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "test.h"

#define PARSES(lit) parses(lit, sizeof(lit) - 1)
#define REJECTS(lit) rejects(lit, sizeof(lit) - 1)

static void
parses(const char *s, size_t n)
{
	struct tf_report_json doc;

	if (tf_report_json_parse(&doc, s, n) != 0)
		TEST_FAIL("rejected '%s': %s at %zu", s, doc.error,
		    doc.error_offset);
	ASSERT(doc.root != NULL);
	tf_report_json_free(&doc);
}

static void
rejects(const char *s, size_t n)
{
	struct tf_report_json doc;

	if (tf_report_json_parse(&doc, s, n) == 0)
		TEST_FAIL("accepted '%s'", s);
	ASSERT(doc.error != NULL);
	ASSERT(doc.error_offset <= n);
	tf_report_json_free(&doc);
}

/* Parses s, which must be a one-string document, and checks its bytes. */
static void
string_is(const char *s, const char *want, size_t wantlen)
{
	struct tf_report_json doc;

	if (tf_report_json_parse(&doc, s, strlen(s)) != 0)
		TEST_FAIL("rejected '%s': %s", s, doc.error);
	ASSERT_EQ(doc.root->type, TF_REPORT_JSTRING);
	ASSERT_EQ(doc.root->len, wantlen);
	ASSERT(memcmp(doc.root->str, want, wantlen) == 0);
	ASSERT_EQ(doc.root->str[wantlen], '\0');
	tf_report_json_free(&doc);
}

TEST(json_values)
{
	struct tf_report_json doc;
	const struct tf_report_jv *v, *a;
	const char *s = " {\"n\": -12.5e2, \"t\": true, \"f\": false, "
	    "\"z\": null, \"a\": [\"x\", \"\", \"y\"], \"o\": {\"k\": [[]]},"
	    " \"e\": {}, \"i\": 0}\r\n";

	ASSERT_OK(tf_report_json_parse(&doc, s, strlen(s)));
	ASSERT_EQ(doc.root->type, TF_REPORT_JOBJECT);
	ASSERT_EQ(doc.root->nchild, 8);
	v = tf_report_json_member(doc.root, "n");
	ASSERT(v != NULL && v->type == TF_REPORT_JNUMBER && v->num == -1250);
	ASSERT_EQ(tf_report_json_member(doc.root, "t")->type,
	    TF_REPORT_JTRUE);
	ASSERT_EQ(tf_report_json_member(doc.root, "f")->type,
	    TF_REPORT_JFALSE);
	ASSERT_EQ(tf_report_json_member(doc.root, "z")->type,
	    TF_REPORT_JNULL);
	a = tf_report_json_member(doc.root, "a");
	ASSERT(a != NULL && a->type == TF_REPORT_JARRAY && a->nchild == 3);
	ASSERT_STR_EQ(a->child->str, "x");
	ASSERT_EQ(a->child->next->len, 0);
	ASSERT_STR_EQ(a->child->next->next->str, "y");
	ASSERT(a->child->next->next->next == NULL);
	v = tf_report_json_member(doc.root, "o");
	ASSERT(v != NULL && v->type == TF_REPORT_JOBJECT);
	v = tf_report_json_member(v, "k");
	ASSERT(v != NULL && v->type == TF_REPORT_JARRAY && v->nchild == 1);
	ASSERT(v->child->type == TF_REPORT_JARRAY && v->child->nchild == 0);
	v = tf_report_json_member(doc.root, "e");
	ASSERT(v != NULL && v->type == TF_REPORT_JOBJECT && v->nchild == 0);
	ASSERT(tf_report_json_member(doc.root, "missing") == NULL);
	ASSERT(tf_report_json_member(a, "x") == NULL);
	tf_report_json_free(&doc);
	/* A freed document is zeroed and may be freed again. */
	ASSERT(doc.root == NULL && doc.text == NULL && doc.blocks == NULL);
	tf_report_json_free(&doc);

	PARSES("0");
	PARSES("-0");
	PARSES("1E+2");
	PARSES("1e-2");
	PARSES("0.000");
	PARSES("\"\"");
	PARSES("[]");
	PARSES("null");
	PARSES(" \t\r\n[ 1 , 2 ] \t\r\n");
}

TEST(json_string_escapes)
{
	string_is("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7);
	string_is("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5);
	string_is("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6);
	/* \u0000 is data: strings carry a length. */
	string_is("\"a\\u0000b\"", "a\0b", 3);
	/* A surrogate pair is one code point, U+1F600. */
	string_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	string_is("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
	/* Raw UTF-8 passes through unchanged. */
	string_is("\"\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80\"",
	    "\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80", 9);
	/* Member names are decoded too. */
	{
		struct tf_report_json doc;
		const char *s = "{\"s\\u006ei\":1}";

		ASSERT_OK(tf_report_json_parse(&doc, s, strlen(s)));
		ASSERT(tf_report_json_member(doc.root, "sni") != NULL);
		tf_report_json_free(&doc);
	}
}

TEST(json_rejects)
{
	REJECTS("");
	REJECTS("   ");
	REJECTS("{");
	REJECTS("}");
	REJECTS("{\"a\":1,}");
	REJECTS("[1,]");
	REJECTS("[,1]");
	REJECTS("{\"a\" 1}");
	REJECTS("{\"a\":}");
	REJECTS("{a:1}");
	REJECTS("{'a':1}");
	REJECTS("{\"a\":1 \"b\":2}");
	REJECTS("{1:2}");
	REJECTS("[1] [2]");
	REJECTS("{} x");
	REJECTS("\"abc");
	REJECTS("\"abc\\");
	REJECTS("tru");
	REJECTS("True");
	REJECTS("nul");
	REJECTS("NaN");
	REJECTS("Infinity");
	REJECTS("-");
	REJECTS("01");
	REJECTS("-01");
	REJECTS("1.");
	REJECTS(".5");
	REJECTS("1e");
	REJECTS("1e+");
	REJECTS("+1");
	REJECTS("0x10");
	REJECTS("\"\\x41\"");
	REJECTS("\"\\u00\"");
	REJECTS("\"\\u00g0\"");
	REJECTS("\"\\U0041\"");
	/* Control bytes must be escaped; a NUL byte is not the end. */
	REJECTS("\"a\tb\"");
	REJECTS("\"a\nb\"");
	REJECTS("\"a\0b\"");
	REJECTS("{\"a\":1}\0");
	/* Lone surrogates. */
	REJECTS("\"\\ud800\"");
	REJECTS("\"\\ud800x\"");
	REJECTS("\"\\ud800\\u0041\"");
	REJECTS("\"\\ud800\\ud800\"");
	REJECTS("\"\\udc00\"");
	REJECTS("\"\\udfff\\ud800\"");
	/* Invalid UTF-8: stray continuation, overlong, encoded surrogate,
	 * above U+10FFFF, truncated. */
	REJECTS("\"\x80\"");
	REJECTS("\"\xc0\x80\"");
	REJECTS("\"\xc1\xbf\"");
	REJECTS("\"\xe0\x80\x80\"");
	REJECTS("\"\xed\xa0\x80\"");
	REJECTS("\"\xf4\x90\x80\x80\"");
	REJECTS("\"\xf5\x80\x80\x80\"");
	REJECTS("\"\xff\"");
	REJECTS("\"\xe2\x82\"");
	REJECTS("\"\xe2\x82");
	/* Invalid UTF-8 outside a string is just a bad character. */
	REJECTS("\xef\xbb\xbf{}");
}

TEST(json_bounds)
{
	char buf[256], *big;
	size_t i, n;
	struct tf_report_json doc;

	/* TF_REPORT_JSON_DEPTH nested arrays parse, one more does not. */
	for (i = 0; i < TF_REPORT_JSON_DEPTH; i++)
		buf[i] = '[';
	for (i = 0; i < TF_REPORT_JSON_DEPTH; i++)
		buf[TF_REPORT_JSON_DEPTH + i] = ']';
	parses(buf, 2 * TF_REPORT_JSON_DEPTH);
	memset(buf, '[', TF_REPORT_JSON_DEPTH + 1);
	memset(buf + TF_REPORT_JSON_DEPTH + 1, ']', TF_REPORT_JSON_DEPTH + 1);
	rejects(buf, 2 * TF_REPORT_JSON_DEPTH + 2);
	/* A deep object nest is bounded the same way, early. */
	n = 0;
	for (i = 0; i < 10000 && n + 8 < sizeof(buf); i++) {
		memcpy(buf + n, "{\"a\":", 5);
		n += 5;
	}
	rejects(buf, n);

	/* Numbers: 500 characters parse, 501 do not. */
	memset(buf, '1', 200);
	parses(buf, 200);
	big = malloc(600);
	ASSERT(big != NULL);
	memset(big, '7', 500);
	parses(big, 500);
	memset(big, '7', 501);
	rejects(big, 501);
	free(big);

	/* Many values: storage is allocated in blocks, none lost. */
	n = 100000;
	big = malloc(n * 2 + 2);
	ASSERT(big != NULL);
	big[0] = '[';
	for (i = 0; i < n; i++) {
		big[1 + 2 * i] = '0';
		big[2 + 2 * i] = i + 1 < n ? ',' : ']';
	}
	ASSERT_OK(tf_report_json_parse(&doc, big, 2 * n + 1));
	ASSERT_EQ(doc.root->nchild, n);
	tf_report_json_free(&doc);
	free(big);

	/* Duplicate member names are kept; lookups find the first. */
	{
		const char *s = "{\"a\":1,\"a\":2}";

		ASSERT_OK(tf_report_json_parse(&doc, s, strlen(s)));
		ASSERT_EQ(doc.root->nchild, 2);
		ASSERT(tf_report_json_member(doc.root, "a")->num == 1);
		tf_report_json_free(&doc);
	}
}

static int64_t
time_of(const char *s)
{
	int64_t us = 0;

	if (tf_report_parse_time(s, strlen(s), &us) != 0)
		TEST_FAIL("rejected time '%s'", s);
	return us;
}

static void
time_rejected(const char *s)
{
	int64_t us;

	if (tf_report_parse_time(s, strlen(s), &us) == 0)
		TEST_FAIL("accepted time '%s'", s);
}

TEST(time_rfc3339)
{
	ASSERT_EQ(time_of("1970-01-01T00:00:00Z"), 0);
	ASSERT_EQ(time_of("2026-11-28T13:45:01.123Z"), 1795873501123000LL);
	ASSERT_EQ(time_of("2026-11-28t13:45:01.123z"), 1795873501123000LL);
	ASSERT_EQ(time_of("2026-11-28 13:45:01.123Z"), 1795873501123000LL);
	ASSERT_EQ(time_of("2026-11-28T13:45:01.123+00:00"),
	    1795873501123000LL);
	ASSERT_EQ(time_of("2026-11-28T13:45:01.123-00:00"),
	    1795873501123000LL);
	ASSERT_EQ(time_of("2026-11-28T14:45:01.123456+01:00"),
	    1795873501123456LL);
	ASSERT_EQ(time_of("2026-11-28T13:45:01-05:30"), 1795893301000000LL);
	/* A fraction of any length, kept to the microsecond. */
	ASSERT_EQ(time_of("2026-11-28T13:45:01.1Z"), 1795873501100000LL);
	ASSERT_EQ(time_of("2026-11-28T13:45:01.123456789Z"),
	    1795873501123456LL);
	ASSERT_EQ(time_of("1969-12-31T23:59:59.5Z"), -500000);
	ASSERT_EQ(time_of("2000-02-29T00:00:00Z"), 951782400000000LL);
	ASSERT_EQ(time_of("0001-01-01T00:00:00Z"), -62135596800000000LL);
	ASSERT_EQ(time_of("9999-12-31T23:59:59Z"), 253402300799000000LL);
	/* A leap second is the next second. */
	ASSERT_EQ(time_of("2016-12-31T23:59:60Z"),
	    time_of("2017-01-01T00:00:00Z"));

	time_rejected("");
	time_rejected("2026-11-28");
	time_rejected("2026-11-28T13:45:01");
	time_rejected("2026-11-28T13:45Z");
	time_rejected("2026-11-28T13:45:01.Z");
	time_rejected("2026-11-28T13:45:01,5Z");
	time_rejected("2026-11-28T13:45:01+0100");
	time_rejected("2026-11-28T13:45:01+01");
	time_rejected("2026-11-28T13:45:01+24:00");
	time_rejected("2026-11-28T13:45:01+01:60");
	time_rejected("2026-11-28T13:45:01ZZ");
	time_rejected("2026-11-28T13:45:01Z ");
	time_rejected(" 2026-11-28T13:45:01Z");
	time_rejected("2026-11-28X13:45:01Z");
	time_rejected("2026-13-01T00:00:00Z");
	time_rejected("2026-00-01T00:00:00Z");
	time_rejected("2026-11-00T00:00:00Z");
	time_rejected("2026-11-31T00:00:00Z");
	time_rejected("2026-02-29T00:00:00Z");
	time_rejected("1900-02-29T00:00:00Z");
	time_rejected("2026-11-28T24:00:00Z");
	time_rejected("2026-11-28T23:60:00Z");
	time_rejected("2026-11-28T23:59:61Z");
	time_rejected("26-11-28T13:45:01Z");
	time_rejected("+2026-11-28T13:45:01Z");
	time_rejected("2026-1-28T13:45:01Z");
}

TEST(time_format_round_trip)
{
	static const int64_t samples[] = {
		0, 1, -1, 999, 1000, -1000, 1795873501123000LL,
		-62135596800000000LL, 253402300799999000LL, 951782400000000LL,
		-500000, 86399999000LL
	};
	char out[40];
	size_t i;
	int64_t t, back;
	uint64_t x = 88172645463325252ULL;

	tf_report_format_time(1795873501123456LL, 1, out, sizeof(out));
	ASSERT_STR_EQ(out, "2026-11-28T13:45:01.123Z");
	tf_report_format_time(1795873501123456LL, 0, out, sizeof(out));
	ASSERT_STR_EQ(out, "2026-11-28T13:45:01Z");
	tf_report_format_time(-500000, 1, out, sizeof(out));
	ASSERT_STR_EQ(out, "1969-12-31T23:59:59.500Z");
	for (i = 0; i < TF_ARRAY_SIZE(samples); i++) {
		t = samples[i] / 1000 * 1000;
		tf_report_format_time(t, 1, out, sizeof(out));
		back = time_of(out);
		if (back != t)
			TEST_FAIL("%lld -> %s -> %lld", (long long)t, out,
			    (long long)back);
	}
	/* Pseudo-random times between year 1 and 9999. */
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t = -62135596800000000LL +
		    (int64_t)(x % 315537897600000000ULL) / 1000 * 1000;
		tf_report_format_time(t, 1, out, sizeof(out));
		ASSERT_EQ(time_of(out), t);
	}
}

static int64_t
since_of(const char *s, int64_t now)
{
	int64_t us = 0;

	if (tf_report_parse_since(s, now, &us) != 0)
		TEST_FAIL("rejected --since '%s'", s);
	return us;
}

static void
since_rejected(const char *s)
{
	int64_t us;

	if (tf_report_parse_since(s, 0, &us) == 0)
		TEST_FAIL("accepted --since '%s'", s);
}

TEST(since_values)
{
	const int64_t now = 1795873501123000LL, S = 1000000;

	ASSERT_EQ(since_of("7d", now), now - 7 * 86400 * S);
	ASSERT_EQ(since_of("12h", now), now - 12 * 3600 * S);
	ASSERT_EQ(since_of("30m", now), now - 30 * 60 * S);
	ASSERT_EQ(since_of("45s", now), now - 45 * S);
	ASSERT_EQ(since_of("0s", now), now);
	ASSERT_EQ(since_of("1h30m", now), now - 5400 * S);
	ASSERT_EQ(since_of("1d12h30m15s", now),
	    now - (86400 + 12 * 3600 + 1800 + 15) * S);
	ASSERT_EQ(since_of("007d", now), now - 7 * 86400 * S);
	ASSERT_EQ(since_of("36500d", now), now - 36500LL * 86400 * S);
	ASSERT_EQ(since_of("2026-11-28T13:45:01Z", now),
	    1795873501000000LL);
	ASSERT_EQ(since_of("2026-11-28T14:45:01.5+01:00", now),
	    1795873501500000LL);
	/* A bare date is midnight UTC. */
	ASSERT_EQ(since_of("2026-11-28", now), 1795824000000000LL);

	since_rejected("");
	since_rejected("7");
	since_rejected("d");
	since_rejected("7w");
	since_rejected("7D");
	since_rejected("-7d");
	since_rejected("+7d");
	since_rejected("7d ");
	since_rejected(" 7d");
	since_rejected("7 d");
	since_rejected("1.5h");
	since_rejected("7dd");
	since_rejected("99999999999999999999999d");
	since_rejected("40000d");
	since_rejected("now");
	since_rejected("2026-11-31");
	since_rejected("2026-11-28T13:45:01");
}

/* A small legacy log: 3 clients, 6 legacy records, other events, and
 * malformed lines of every kind. */
static const char synthetic_log[] =
    /* Client A (TLS1.0, two SNIs, refused twice, audit once). */
    "{\"time\":\"2026-11-28T10:00:00.000Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"listener\":\"edge\",\"client_ip\":"
    "\"203.0.113.7\",\"client_port\":1,\"sni\":\"mail.contoso.com\","
    "\"offered_max\":\"TLS1.0\",\"offered_versions\":[\"TLS1.0\"],"
    "\"hello_format\":\"tls\",\"cipher_suites\":[\"0x0035\"],\"ja3\":"
    "\"769,53,,,\",\"ja3_md5\":\"00\",\"ja4\":\"t10d_a\","
    "\"client_guess\":\"IE 8\"}\n"
    "{\"time\":\"2026-11-28T12:00:00.000+01:00\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"203.0.113.7\",\"sni\":"
    "\"autodiscover.contoso.com\",\"offered_max\":\"TLS1.0\",\"ja4\":"
    "\"t10d_a\",\"client_guess\":\"IE 8\"}\r\n"
    "{\"time\":\"2026-11-28T12:30:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"allowed_audit\",\"client_ip\":\"203.0.113.7\",\"sni\":"
    "\"mail.contoso.com\",\"offered_max\":\"TLS1.0\",\"ja4\":\"t10d_a\","
    "\"client_guess\":\"IE 8\"}\n"
    /* Client B: same IP and JA4 as A, but no guess: a different client. */
    "{\"time\":\"2026-11-28T09:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"203.0.113.7\",\"sni\":null,"
    "\"offered_max\":\"TLS1.0\",\"ja4\":\"t10d_a\",\"client_guess\":null}\n"
    /* Client C: TLS1.1 twice, from IPv6, with a hostile SNI. */
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"2001:db8::1\",\"sni\":"
    "\"<b>\\\"x\\\\\\u0001\\u202e\\ud83d\\ude00\",\"offered_max\":"
    "\"TLS1.1\",\"ja4\":\"t11d_c\",\"client_guess\":null}\n"
    "{\"time\":\"2026-11-28T11:30:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"2001:db8::1\",\"sni\":"
    "\"<b>\\\"x\\\\\\u0001\\u202e\\ud83d\\ude00\",\"offered_max\":"
    "\"TLS1.1\",\"ja4\":\"t11d_c\",\"client_guess\":null}\n"
    /* Other events. */
    "{\"time\":\"2026-11-28T11:40:00Z\",\"event\":\"handshake_failed\","
    "\"reason\":\"timeout\",\"client_ip\":\"192.0.2.1\",\"sni\":null}\n"
    "{\"time\":\"2026-11-28T11:41:00Z\",\"event\":\"not_tls\","
    "\"client_ip\":\"192.0.2.1\"}\n"
    "{\"time\":\"2026-11-28T11:42:00Z\",\"event\":\"request\","
    "\"status\":200}\n"
    /* Blank lines are not malformed. */
    "\n   \n\r\n"
    /* Malformed: broken JSON, not an object, no event, bad time, a
     * required field of the wrong type, a duplicate field, a raw
     * control byte, invalid UTF-8. */
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\",\n"
    "[1,2,3]\n"
    "{\"time\":\"2026-11-28T11:00:00Z\",\"client_ip\":\"1.2.3.4\"}\n"
    "{\"time\":\"yesterday\",\"event\":\"legacy_client\",\"action\":"
    "\"refused\",\"client_ip\":\"1.2.3.4\",\"offered_max\":\"TLS1.0\"}\n"
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":7,\"offered_max\":\"TLS1.0\"}\n"
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"1.2.3.4\",\"client_ip\":"
    "\"5.6.7.8\",\"offered_max\":\"TLS1.0\"}\n"
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"1.2.3.4\",\"offered_max\":"
    "\"TLS1.0\",\"sni\":\"a\x01\"}\n"
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"1.2.3.4\",\"offered_max\":"
    "\"TLS1.0\",\"sni\":\"\xff\"}\n"
    "{\"time\":\"2026-11-28T11:00:00Z\",\"event\":\"legacy_client\","
    "\"action\":\"refused\",\"client_ip\":\"1.2.3.4\",\"offered_max\":"
    "\"TLS1.0\",\"ja4\":[\"x\"]}";   /* no newline at the end */

#define SYNTHETIC_MALFORMED 9

static struct tf_report *
report_of(const char *log, size_t n, int64_t since)
{
	struct tf_report *r = tf_report_new(since);
	FILE *f = fmemopen((void *)log, n, "r");

	ASSERT(f != NULL);
	ASSERT_OK(tf_report_read(r, f, "synthetic.jsonl"));
	fclose(f);
	return r;
}

/* Runs a writer into memory; the caller frees the text. */
static char *
output_of(struct tf_report *r, int which, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	ASSERT(f != NULL);
	switch (which) {
	case 0:
		ASSERT_OK(tf_report_write_text(r, f));
		break;
	case 1:
		ASSERT_OK(tf_report_write_json(r, f, 1795873501123000LL));
		break;
	default:
		ASSERT_OK(tf_report_write_html(r, f, 1795873501123000LL));
		break;
	}
	fclose(f);
	if (len != NULL)
		*len = n;
	return buf;
}

TEST(aggregate_counts)
{
	struct tf_report *r;
	struct tf_report_counts c;
	const char *line;

	r = report_of(synthetic_log, sizeof(synthetic_log) - 1,
	    TF_REPORT_NO_SINCE);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.records, 6);
	ASSERT_EQ(c.clients, 3);
	ASSERT_EQ(c.malformed, SYNTHETIC_MALFORMED);
	ASSERT_EQ(c.handshake_failed, 1);
	ASSERT_EQ(c.not_tls, 1);
	ASSERT_EQ(c.other_events, 1);
	ASSERT_EQ(c.before_since, 0);
	ASSERT_EQ(c.lines, 9 + SYNTHETIC_MALFORMED);
	tf_report_free(r);

	/* --since 11:00Z keeps A's 12:00+01:00 (11:00Z: not earlier) and
	 * 12:30 records, both of C's and the three other events; A's 10:00
	 * and B's 09:00 go. */
	r = report_of(synthetic_log, sizeof(synthetic_log) - 1,
	    1795863600000000LL);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.records, 4);
	ASSERT_EQ(c.clients, 2);
	ASSERT_EQ(c.before_since, 2);
	ASSERT_EQ(c.malformed, SYNTHETIC_MALFORMED);
	tf_report_free(r);

	/* A future --since skips everything valid. */
	r = report_of(synthetic_log, sizeof(synthetic_log) - 1,
	    time_of("2999-01-01T00:00:00Z"));
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.records, 0);
	ASSERT_EQ(c.clients, 0);
	ASSERT_EQ(c.before_since, 9);
	tf_report_free(r);

	/* tf_report_feed says which lines were malformed. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	ASSERT_EQ(tf_report_feed(r, "", 0), 0);
	ASSERT_EQ(tf_report_feed(r, " \r", 2), 0);
	ASSERT_EQ(tf_report_feed(r, "{}", 2), -1);
	line = "{\"event\":\"x\",\"time\":\"2026-11-28T11:42:00Z\"}";
	ASSERT_EQ(tf_report_feed(r, line, strlen(line)), 0);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.lines, 2);
	ASSERT_EQ(c.malformed, 1);
	ASSERT_EQ(c.other_events, 1);
	tf_report_free(r);
}

/* The member key of obj, which must exist. */
static const struct tf_report_jv *
get(const struct tf_report_jv *obj, const char *key)
{
	const struct tf_report_jv *v = tf_report_json_member(obj, key);

	if (v == NULL)
		TEST_FAIL("no member '%s'", key);
	return v;
}

static long long
num(const struct tf_report_jv *obj, const char *key)
{
	const struct tf_report_jv *v = get(obj, key);

	ASSERT_EQ(v->type, TF_REPORT_JNUMBER);
	return (long long)v->num;
}

TEST(json_output_read_back)
{
	static const char hostile[] = "<b>\"x\\\x01\xe2\x80\xae\xf0\x9f\x98\x80";
	struct tf_report *r;
	struct tf_report_json doc;
	const struct tf_report_jv *cl, *c, *v, *t;
	char *out;
	size_t n, i;

	r = report_of(synthetic_log, sizeof(synthetic_log) - 1,
	    TF_REPORT_NO_SINCE);
	out = output_of(r, 1, &n);
	/* Pure ASCII: no raw control, bidi or other non-ASCII bytes. */
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] >= 0x7f ||
		    ((unsigned char)out[i] < 0x20 && out[i] != '\n'))
			TEST_FAIL("byte 0x%02x at %zu in the JSON output",
			    (unsigned char)out[i], i);
	if (tf_report_json_parse(&doc, out, n) != 0)
		TEST_FAIL("own output rejected: %s at %zu:\n%s", doc.error,
		    doc.error_offset, out);
	ASSERT_EQ(num(doc.root, "records"), 6);
	ASSERT_EQ(num(doc.root, "malformed"), SYNTHETIC_MALFORMED);
	ASSERT_EQ(num(doc.root, "skipped_before_since"), 0);
	ASSERT_EQ(get(doc.root, "since")->type, TF_REPORT_JNULL);
	ASSERT_STR_EQ(get(doc.root, "generated")->str,
	    "2026-11-28T13:45:01.123Z");
	ASSERT_STR_EQ(get(doc.root, "first_seen")->str,
	    "2026-11-28T09:00:00.000Z");
	ASSERT_STR_EQ(get(doc.root, "last_seen")->str,
	    "2026-11-28T12:30:00.000Z");
	ASSERT_STR_EQ(get(doc.root, "logs")->child->str, "synthetic.jsonl");

	/* Clients by count, then first seen: A (3), C (2), B (1). */
	cl = get(doc.root, "clients");
	ASSERT_EQ(cl->type, TF_REPORT_JARRAY);
	ASSERT_EQ(cl->nchild, 3);
	c = cl->child;
	ASSERT_STR_EQ(get(c, "client_ip")->str, "203.0.113.7");
	ASSERT_STR_EQ(get(c, "ja4")->str, "t10d_a");
	ASSERT_STR_EQ(get(c, "client_guess")->str, "IE 8");
	ASSERT_EQ(num(c, "count"), 3);
	ASSERT_STR_EQ(get(c, "first_seen")->str, "2026-11-28T10:00:00.000Z");
	ASSERT_STR_EQ(get(c, "last_seen")->str, "2026-11-28T12:30:00.000Z");
	ASSERT_STR_EQ(get(c, "offered_max")->str, "TLS1.0");
	v = get(c, "snis");
	ASSERT_EQ(v->nchild, 2);
	ASSERT_STR_EQ(v->child->str, "autodiscover.contoso.com");
	ASSERT_STR_EQ(v->child->next->str, "mail.contoso.com");
	ASSERT_EQ(num(c, "snis_more"), 0);
	v = get(c, "actions");
	ASSERT_EQ(v->nchild, 2);
	ASSERT_STR_EQ(v->child->key, "refused");
	ASSERT(v->child->num == 2);
	ASSERT_STR_EQ(v->child->next->key, "allowed_audit");
	ASSERT(v->child->next->num == 1);

	c = c->next;
	ASSERT_STR_EQ(get(c, "client_ip")->str, "2001:db8::1");
	ASSERT_EQ(get(c, "client_guess")->type, TF_REPORT_JNULL);
	ASSERT_EQ(num(c, "count"), 2);
	ASSERT_STR_EQ(get(c, "offered_max")->str, "TLS1.1");
	v = get(c, "snis");
	ASSERT_EQ(v->nchild, 1);
	/* The hostile SNI survives the round trip byte for byte. */
	ASSERT_EQ(v->child->len, sizeof(hostile) - 1);
	ASSERT(memcmp(v->child->str, hostile, sizeof(hostile) - 1) == 0);

	c = c->next;
	ASSERT_STR_EQ(get(c, "client_ip")->str, "203.0.113.7");
	ASSERT_EQ(get(c, "client_guess")->type, TF_REPORT_JNULL);
	ASSERT_EQ(num(c, "count"), 1);
	v = get(c, "snis");
	ASSERT_EQ(v->nchild, 1);
	ASSERT_EQ(v->child->type, TF_REPORT_JNULL);

	t = get(doc.root, "totals");
	v = get(t, "offered");
	ASSERT_EQ(v->nchild, 2);
	ASSERT_EQ(num(v, "TLS1.0"), 4);
	ASSERT_EQ(num(v, "TLS1.1"), 2);
	v = get(t, "guess");
	ASSERT_EQ(v->nchild, 2);
	ASSERT_EQ(num(v, "unknown"), 3);
	ASSERT_EQ(num(v, "IE 8"), 3);
	v = get(t, "action");
	ASSERT_EQ(num(v, "refused"), 5);
	ASSERT_EQ(num(v, "allowed_audit"), 1);
	v = get(doc.root, "other_events");
	ASSERT_EQ(num(v, "handshake_failed"), 1);
	ASSERT_EQ(num(get(v, "handshake_failed_reasons"), "timeout"), 1);
	ASSERT_EQ(num(v, "not_tls"), 1);
	ASSERT_EQ(num(v, "other"), 1);
	tf_report_json_free(&doc);
	free(out);
	tf_report_free(r);

	/* An empty report is valid JSON too. */
	r = tf_report_new(time_of("2026-01-01T00:00:00Z"));
	out = output_of(r, 1, &n);
	ASSERT_OK(tf_report_json_parse(&doc, out, n));
	ASSERT_EQ(get(doc.root, "clients")->nchild, 0);
	ASSERT_EQ(get(doc.root, "first_seen")->type, TF_REPORT_JNULL);
	ASSERT_STR_EQ(get(doc.root, "since")->str,
	    "2026-01-01T00:00:00.000Z");
	tf_report_json_free(&doc);
	free(out);
	tf_report_free(r);
}

TEST(text_output)
{
	struct tf_report *r;
	char *out, *p;
	size_t n, i;

	r = report_of(synthetic_log, sizeof(synthetic_log) - 1,
	    TF_REPORT_NO_SINCE);
	out = output_of(r, 0, &n);
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] >= 0x7f ||
		    ((unsigned char)out[i] < 0x20 && out[i] != '\n'))
			TEST_FAIL("byte 0x%02x at %zu in the table",
			    (unsigned char)out[i], i);
	ASSERT(strstr(out, "tlsfloor report: 6 legacy_client records, "
	    "3 distinct clients") != NULL);
	ASSERT(strstr(out, "COUNT  FIRST SEEN") != NULL);
	/* The first row is client A. */
	p = strstr(out, "\n    3  2026-11-28T10:00:00Z  2026-11-28T12:30:00Z"
	    "  TLS1.0   203.0.113.7  t10d_a  IE 8\n");
	ASSERT(p != NULL);
	ASSERT(strstr(p, "SNI      autodiscover.contoso.com, "
	    "mail.contoso.com\n") != NULL);
	ASSERT(strstr(p, "ACTIONS  refused 2, allowed_audit 1\n") != NULL);
	/* The hostile SNI, visibly escaped. */
	ASSERT(strstr(out, "SNI      <b>\"x\\\\\\x01\\u202e\\U0001f600\n")
	    != NULL);
	ASSERT(strstr(out, "SNI      (none)\n") != NULL);
	ASSERT(strstr(out, "Totals by offered version\n  TLS1.0           4\n"
	    "  TLS1.1           2\n") != NULL);
	ASSERT(strstr(out, "Totals by client guess\n") != NULL);
	ASSERT(strstr(out, "  unknown          3\n") != NULL);
	ASSERT(strstr(out, "Other records: 1 handshake_failed (timeout 1), "
	    "1 not_tls, 1 of other events\n") != NULL);
	ASSERT(strstr(out, "\n9 malformed lines skipped\n") != NULL);
	free(out);
	tf_report_free(r);
}

static char *
html_escaped(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT(f != NULL);
	tf_report_html_escape(f, s, n);
	fclose(f);
	return buf;
}

#define HTML_IS(lit, want) do { \
	char *h_ = html_escaped(lit, sizeof(lit) - 1); \
	ASSERT_STR_EQ(h_, want); \
	free(h_); \
} while (0)

TEST(html_escaping)
{
	HTML_IS("mail.contoso.com", "mail.contoso.com");
	HTML_IS("<script>alert(\"x\")</script>",
	    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
	HTML_IS("a&b'c", "a&amp;b&#39;c");
	HTML_IS("&amp;", "&amp;amp;");
	HTML_IS("a\\b", "a\\\\b");
	HTML_IS("\x01\t\n\x7f", "\\x01\\x09\\x0a\\x7f");
	HTML_IS("a\0b", "a\\x00b");
	/* Printable UTF-8 stays; invisible and bidi characters show. */
	HTML_IS("\xc3\xa9\xf0\x9f\x98\x80", "\xc3\xa9\xf0\x9f\x98\x80");
	HTML_IS("\xe2\x80\xae", "\\u202e");
	HTML_IS("\xe2\x80\x8b\xef\xbb\xbf\xc2\x9b", "\\u200b\\ufeff\\u009b");
	/* Bytes that are not UTF-8. */
	HTML_IS("\xff\xc3", "\\xff\\xc3");
}

TEST(html_page)
{
	struct tf_report *r;
	char *out;
	size_t n, i;

	r = report_of(synthetic_log, sizeof(synthetic_log) - 1,
	    TF_REPORT_NO_SINCE);
	out = output_of(r, 2, &n);
	ASSERT_EQ(strlen(out), n);
	ASSERT(strncmp(out, "<!DOCTYPE html>\n", 16) == 0);
	ASSERT(strstr(out, "<style>") != NULL);
	ASSERT(strstr(out, "<svg") != NULL);
	ASSERT(strstr(out, "</svg>") != NULL);
	ASSERT(strstr(out, "</html>\n") != NULL);
	/* Self-contained. */
	ASSERT(strstr(out, "http:") == NULL);
	ASSERT(strstr(out, "https:") == NULL);
	ASSERT(strstr(out, "src=") == NULL);
	ASSERT(strstr(out, "href=") == NULL);
	ASSERT(strstr(out, "url(") == NULL);
	ASSERT(strstr(out, "<script") == NULL);
	/* The hostile SNI is text. */
	ASSERT(strstr(out, "&lt;b&gt;&quot;x\\\\\\x01\\u202e\xf0\x9f\x98\x80")
	    != NULL);
	ASSERT(strstr(out, "<b>") == NULL);
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 && out[i] != '\n')
			TEST_FAIL("control byte 0x%02x in the page",
			    (unsigned char)out[i]);
	/* 6 records between 09:00 and 12:30: 5-minute bars, one
	 * rectangle per non-empty bar and version, and a legend. */
	ASSERT(strstr(out, "one bar per 5 minutes (UTC)") != NULL);
	ASSERT(strstr(out, ">TLS1.0 (4)</text>") != NULL);
	ASSERT(strstr(out, ">TLS1.1 (2)</text>") != NULL);
	ASSERT(strstr(out, "9 malformed lines skipped") != NULL);
	free(out);
	tf_report_free(r);

	/* No records: still a page, with a chart that says so. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	out = output_of(r, 2, &n);
	ASSERT(strstr(out, "<svg") != NULL);
	ASSERT(strstr(out, "No legacy-client records") != NULL);
	free(out);
	tf_report_free(r);
}

/* A legacy_client line at the given time, client and SNI. */
static void
feed_record(struct tf_report *r, const char *time, const char *ip,
    const char *sni, const char *offered)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"event\":"
	    "\"legacy_client\",\"action\":\"refused\",\"client_ip\":\"%s\","
	    "\"sni\":\"%s\",\"offered_max\":\"%s\",\"ja4\":\"j\","
	    "\"client_guess\":null}", time, ip, sni, offered);

	ASSERT(n > 0 && (size_t)n < sizeof(line));
	ASSERT_EQ(tf_report_feed(r, line, (size_t)n), 0);
}

TEST(chart_buckets)
{
	struct tf_report *r;
	char *out, t[40];
	int i;

	/* Within one second: one-second bars. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	feed_record(r, "2026-11-28T10:00:00.1Z", "a", "s", "TLS1.0");
	feed_record(r, "2026-11-28T10:00:00.9Z", "a", "s", "TLS1.1");
	out = output_of(r, 2, NULL);
	ASSERT(strstr(out, "one bar per 1 second (UTC)") != NULL);
	free(out);
	tf_report_free(r);

	/* Hourly records over three days, in reverse order: 6-hour bars. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	for (i = 72; i >= 0; i--) {
		tf_report_format_time(1795824000000000LL +
		    (int64_t)i * 3600 * 1000000, 0, t, sizeof(t));
		feed_record(r, t, "a", "s", i % 2 ? "TLS1.0" : "SSL3.0");
	}
	out = output_of(r, 2, NULL);
	ASSERT(strstr(out, "one bar per 6 hours (UTC)") != NULL);
	ASSERT(strstr(out, ">TLS1.0 (36)</text>") != NULL);
	ASSERT(strstr(out, ">SSL3.0 (37)</text>") != NULL);
	free(out);
	tf_report_free(r);

	/* Records years apart, and an unknown version spelling. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	feed_record(r, "0001-01-01T00:00:00Z", "a", "s", "TLS1.0");
	feed_record(r, "9999-12-31T23:59:59Z", "a", "s", "0x0305");
	feed_record(r, "2026-11-28T10:00:00Z", "a", "s", "TLS1.0");
	out = output_of(r, 2, NULL);
	ASSERT(strstr(out, "one bar per ") != NULL);
	ASSERT(strstr(out, ">other (1)</text>") != NULL);
	free(out);
	/* offered_max keeps the newest known version. */
	out = output_of(r, 0, NULL);
	ASSERT(strstr(out, "  TLS1.0   a          j    unknown\n") != NULL);
	free(out);
	tf_report_free(r);
}

TEST(sni_limit)
{
	struct tf_report *r = tf_report_new(TF_REPORT_NO_SINCE);
	struct tf_report_json doc;
	const struct tf_report_jv *c;
	char sni[32], *out;
	size_t n;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(sni, sizeof(sni), "host%02d.test", i);
		feed_record(r, "2026-11-28T10:00:00Z", "a", sni, "TLS1.0");
	}
	feed_record(r, "2026-11-28T10:00:00Z", "a", "host00.test", "TLS1.0");
	out = output_of(r, 1, &n);
	ASSERT_OK(tf_report_json_parse(&doc, out, n));
	c = get(doc.root, "clients")->child;
	ASSERT_EQ(num(c, "count"), 41);
	ASSERT_EQ(get(c, "snis")->nchild, 32);
	ASSERT_EQ(num(c, "snis_more"), 8);
	tf_report_json_free(&doc);
	free(out);
	tf_report_free(r);
}

TEST(long_lines)
{
	static const char rec[] = "{\"time\":\"2026-11-28T10:00:00Z\","
	    "\"event\":\"legacy_client\",\"action\":\"refused\","
	    "\"client_ip\":\"a\",\"offered_max\":\"TLS1.0\",\"sni\":\"";
	struct tf_report_counts c;
	struct tf_report *r;
	size_t cap = 8 * TF_REPORT_LINE_MAX, n = 0, pad;
	char *log = malloc(cap);

	ASSERT(log != NULL);
	/* A record of exactly TF_REPORT_LINE_MAX bytes counts. */
	memcpy(log + n, rec, sizeof(rec) - 1);
	n += sizeof(rec) - 1;
	pad = TF_REPORT_LINE_MAX - (sizeof(rec) - 1) - 2;
	memset(log + n, 'x', pad);
	n += pad;
	memcpy(log + n, "\"}\n", 3);
	n += 3;
	/* One byte more is malformed, and so is a 3-line-buffer monster;
	 * the lines after each still count. */
	memcpy(log + n, rec, sizeof(rec) - 1);
	n += sizeof(rec) - 1;
	memset(log + n, 'y', pad + 1);
	n += pad + 1;
	memcpy(log + n, "\"}\n", 3);
	n += 3;
	memcpy(log + n, rec, sizeof(rec) - 1);
	n += sizeof(rec) - 1;
	memcpy(log + n, "s\"}\n", 4);
	n += 4;
	memset(log + n, 'z', 3 * TF_REPORT_LINE_MAX);
	n += 3 * TF_REPORT_LINE_MAX;
	log[n++] = '\n';
	memcpy(log + n, rec, sizeof(rec) - 1);
	n += sizeof(rec) - 1;
	memcpy(log + n, "t\"}", 3);
	n += 3;
	ASSERT(n < cap);

	r = report_of(log, n, TF_REPORT_NO_SINCE);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.records, 3);
	ASSERT_EQ(c.malformed, 2);
	ASSERT_EQ(c.lines, 5);
	tf_report_free(r);

	/* An endless last line is one malformed line. */
	r = report_of(log + n - 3 * TF_REPORT_LINE_MAX - (sizeof(rec) - 1)
	    - 4, 2 * TF_REPORT_LINE_MAX, TF_REPORT_NO_SINCE);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.records, 0);
	ASSERT_EQ(c.malformed, 1);
	tf_report_free(r);

	/* tf_report_feed bounds a line too. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	memcpy(log, rec, sizeof(rec) - 1);
	memset(log + sizeof(rec) - 1, 'x', TF_REPORT_LINE_MAX);
	memcpy(log + sizeof(rec) - 1 + TF_REPORT_LINE_MAX, "\"}", 2);
	ASSERT_EQ(tf_report_feed(r, log, sizeof(rec) + 1 +
	    TF_REPORT_LINE_MAX), -1);
	tf_report_free(r);
	free(log);
}

/* Runs tf_report_main with stdout and stderr sent to files in dir. */
static int
run_main(const char *dir, int argc, char **argv)
{
	char path[512];

	fflush(stdout);
	fflush(stderr);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	ASSERT(freopen(path, "w", stdout) != NULL);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	ASSERT(freopen(path, "w", stderr) != NULL);
	return tf_report_main(argc, argv);
}

static char *
slurp(const char *dir, const char *name)
{
	char path[512], *buf = malloc(1 << 16);
	FILE *f;
	size_t n;

	fflush(stdout);
	fflush(stderr);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	ASSERT(f != NULL && buf != NULL);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TEST(main_exit_codes)
{
	char dir[] = "/tmp/tf-report-unit.XXXXXX", log[600], html[600];
	char *text;
	FILE *f;
	int rc;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(log, sizeof(log), "%s/legacy.jsonl", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	f = fopen(log, "w");
	ASSERT(f != NULL);
	fwrite(synthetic_log, 1, sizeof(synthetic_log) - 1, f);
	fclose(f);

	{
		char *argv[] = { "report", log, NULL };

		ASSERT_EQ(run_main(dir, 2, argv), 0);
		text = slurp(dir, "stdout");
		ASSERT(strstr(text, "9 malformed lines skipped") != NULL);
		free(text);
	}
	{
		char *argv[] = { "report", "--json", "--since=2026-11-28T11:00Z",
		    log, NULL };

		/* Not RFC 3339 (no seconds): bad usage. */
		ASSERT_EQ(run_main(dir, 4, argv), 2);
		text = slurp(dir, "stderr");
		ASSERT(strstr(text, "usage: tlsfloor report") != NULL);
		free(text);
	}
	{
		char *argv[] = { "report", "--html", html, "--since", "7d",
		    "--json", log, NULL };

		ASSERT_EQ(run_main(dir, 7, argv), 0);
		text = slurp(dir, "report.html");
		ASSERT(strstr(text, "<svg") != NULL);
		free(text);
	}
	{
		char *argv[] = { "report", "--", "--json", NULL };

		/* After --, "--json" is a LOG, and it does not exist. */
		rc = run_main(dir, 3, argv);
		ASSERT_EQ(rc, 1);
		text = slurp(dir, "stderr");
		ASSERT_STR_EQ(text, "tlsfloor: report: --json: "
		    "No such file or directory\n");
		free(text);
	}
	{
		char *argv[] = { "report", log, dir, NULL };

		/* A directory opens but cannot be read. */
		ASSERT_EQ(run_main(dir, 3, argv), 1);
		text = slurp(dir, "stderr");
		ASSERT(strstr(text, "Is a directory") != NULL);
		free(text);
	}
	{
		char *argv[] = { "report", "--html", "/nonexistent/dir/x.html",
		    log, NULL };

		ASSERT_EQ(run_main(dir, 4, argv), 1);
		text = slurp(dir, "stderr");
		ASSERT(strstr(text, "tlsfloor: report: /nonexistent/dir/"
		    "x.html: No such file or directory") != NULL);
		free(text);
	}
	{
		char *argv[] = { "report", "--html", "/dev/full", log, NULL };

		if (access("/dev/full", W_OK) == 0)
			ASSERT_EQ(run_main(dir, 4, argv), 1);
	}
	{
		char *a1[] = { "report", NULL };
		char *a2[] = { "report", "--bogus", log, NULL };
		char *a3[] = { "report", log, "--html", NULL };
		char *a4[] = { "report", "--since", "yesterday", log, NULL };
		char *a5[] = { "report", "--since", "1d", "--since", "2d",
		    log, NULL };
		char *a6[] = { "report", "--json", "--html", "-", log, NULL };
		char *a7[] = { "report", "-x", log, NULL };

		ASSERT_EQ(run_main(dir, 1, a1), 2);
		ASSERT_EQ(run_main(dir, 3, a2), 2);
		ASSERT_EQ(run_main(dir, 3, a3), 2);
		ASSERT_EQ(run_main(dir, 4, a4), 2);
		ASSERT_EQ(run_main(dir, 6, a5), 2);
		ASSERT_EQ(run_main(dir, 5, a6), 2);
		ASSERT_EQ(run_main(dir, 3, a7), 2);
	}
	{
		char *argv[] = { "report", "--help", NULL };

		ASSERT_EQ(run_main(dir, 2, argv), 0);
		text = slurp(dir, "stdout");
		ASSERT(strncmp(text, "usage: tlsfloor report", 22) == 0);
		free(text);
	}
	unlink(log);
	unlink(html);
	snprintf(log, sizeof(log), "%s/stdout", dir);
	unlink(log);
	snprintf(log, sizeof(log), "%s/stderr", dir);
	unlink(log);
	rmdir(dir);
}

TEST_MAIN(
	TEST_ENTRY(json_values),
	TEST_ENTRY(json_string_escapes),
	TEST_ENTRY(json_rejects),
	TEST_ENTRY(json_bounds),
	TEST_ENTRY(time_rfc3339),
	TEST_ENTRY(time_format_round_trip),
	TEST_ENTRY(since_values),
	TEST_ENTRY(aggregate_counts),
	TEST_ENTRY(json_output_read_back),
	TEST_ENTRY(text_output),
	TEST_ENTRY(html_escaping),
	TEST_ENTRY(html_page),
	TEST_ENTRY(chart_buckets),
	TEST_ENTRY(sni_limit),
	TEST_ENTRY(long_lines),
	TEST_ENTRY(main_exit_codes)
)
