/*
 * Unit tests for tlsfloor-report (report/): which lines jansson and the
 * record checks accept, strings as the record writer (proxy/json.c) emits
 * them read back byte for byte, RFC 3339 and duration parsing for --since,
 * aggregation over a small synthetic log with malformed and overlong
 * lines, the JSON output read back with jansson, the plain table, HTML
 * escaping and the HTML page, the advice per client family, the user
 * agents of access-log requests and their bounds, and the exit codes of
 * tf_cli_main.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "advice.h"
#include "cli.h"
#include "html.h"
#include "json.h"
#include "jsonout.h"
#include "report.h"
#include "rfc3339.h"
#include "text.h"
#include "test.h"

static int64_t
time_of(const char *s)
{
	int64_t us = 0;

	if (tf_rfc3339_parse(s, strlen(s), &us) != 0)
		TEST_FAIL("rejected time '%s'", s);
	return us;
}

static void
time_rejected(const char *s)
{
	int64_t us;

	if (tf_rfc3339_parse(s, strlen(s), &us) == 0)
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

	tf_rfc3339_format(1795873501123456LL, 1, out, sizeof(out));
	ASSERT_STR_EQ(out, "2026-11-28T13:45:01.123Z");
	tf_rfc3339_format(1795873501123456LL, 0, out, sizeof(out));
	ASSERT_STR_EQ(out, "2026-11-28T13:45:01Z");
	tf_rfc3339_format(-500000, 1, out, sizeof(out));
	ASSERT_STR_EQ(out, "1969-12-31T23:59:59.500Z");
	for (i = 0; i < TF_ARRAY_SIZE(samples); i++) {
		t = samples[i] / 1000 * 1000;
		tf_rfc3339_format(t, 1, out, sizeof(out));
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
		tf_rfc3339_format(t, 1, out, sizeof(out));
		ASSERT_EQ(time_of(out), t);
	}
}

static int64_t
since_of(const char *s, int64_t now)
{
	int64_t us = 0;

	if (tf_rfc3339_parse_since(s, now, &us) != 0)
		TEST_FAIL("rejected --since '%s'", s);
	return us;
}

static void
since_rejected(const char *s)
{
	int64_t us;

	if (tf_rfc3339_parse_since(s, 0, &us) == 0)
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

/* A small legacy log: 3 clients, 6 legacy records, other events, an
 * access-log request at or above the floor, and malformed lines of every
 * kind. */
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
    "\"status\":200,\"legacy\":false}\n"
    "{\"time\":\"2026-11-28T11:43:00Z\",\"event\":\"reopened\"}\n"
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
		ASSERT_OK(tf_text_write(r, f));
		break;
	case 1:
		ASSERT_OK(tf_jsonout_write(r, f, 1795873501123000LL));
		break;
	default:
		ASSERT_OK(tf_html_write(r, f, 1795873501123000LL));
		break;
	}
	fclose(f);
	if (len != NULL)
		*len = n;
	return buf;
}

/* A legacy_client record whose "sni" is the raw JSON text sni. */
#define REC_HEAD "{\"time\":\"2026-11-28T10:00:00Z\",\"event\":" \
	"\"legacy_client\",\"action\":\"refused\",\"client_ip\":\"a\"," \
	"\"offered_max\":\"TLS1.0\",\"sni\":"

/* Feeds n bytes at line to a new report: 0 (a record) or -1 (malformed).
 * The malformed count must agree. */
static int
feed_one(const char *line, size_t n)
{
	struct tf_report *r = tf_report_new(TF_REPORT_NO_SINCE);
	struct tf_report_counts c;
	int rc = tf_report_feed(r, line, n);

	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.malformed, rc != 0);
	ASSERT_EQ(c.lines, 1);
	tf_report_free(r);
	return rc;
}

#define LINE_OK(lit) do { \
	if (feed_one(lit, sizeof(lit) - 1) != 0) \
		TEST_FAIL("rejected '%s'", lit); \
} while (0)
#define LINE_BAD(lit) do { \
	if (feed_one(lit, sizeof(lit) - 1) != -1) \
		TEST_FAIL("accepted '%s'", lit); \
} while (0)
#define SNI_OK(lit) LINE_OK(REC_HEAD lit "}")
#define SNI_BAD(lit) LINE_BAD(REC_HEAD lit "}")

/* The one SNI the one client of r has: its bytes, or NULL when null. */
static const struct tf_cset_entry *
only_sni(const struct tf_report *r)
{
	struct tf_report_client **v = tf_report_clients_sorted(r);
	struct tf_cset_entry **e;
	const struct tf_cset_entry *sni;

	ASSERT_EQ(r->clients.n, 1);
	ASSERT_EQ(v[0]->snis.n, 1);
	e = tf_cset_sorted(&v[0]->snis, tf_cset_order_str);
	sni = e[0];
	free(e);
	free(v);
	return sni;
}

/* Reads the record line of n bytes and checks that its SNI is want. */
static void
sni_is(const char *line, size_t n, const char *want, size_t wantlen)
{
	struct tf_report *r = tf_report_new(TF_REPORT_NO_SINCE);
	const struct tf_cset_entry *sni;

	if (tf_report_feed(r, line, n) != 0)
		TEST_FAIL("rejected '%.*s'", (int)n, line);
	sni = only_sni(r);
	ASSERT(!sni->null);
	if (sni->len != wantlen || memcmp(sni->s, want, wantlen) != 0)
		TEST_FAIL("'%.*s': SNI of %zu bytes, expected %zu",
		    (int)n, line, sni->len, wantlen);
	ASSERT_EQ(sni->s[wantlen], '\0');
	tf_report_free(r);
}

#define SNI_IS(lit, want) \
	sni_is(REC_HEAD lit "}", sizeof(REC_HEAD lit "}") - 1, want, \
	    sizeof(want) - 1)

TEST(record_strings)
{
	SNI_IS("\"\"", "");
	SNI_IS("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d");
	SNI_IS("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t");
	SNI_IS("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
	/* \u0000 is data: strings carry a length. */
	SNI_IS("\"a\\u0000b\"", "a\0b");
	SNI_IS("\"\\u0000\"", "\0");
	/* A surrogate pair is one code point. */
	SNI_IS("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
	SNI_IS("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf");
	/* Raw UTF-8 passes through unchanged. */
	SNI_IS("\"\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80\"",
	    "\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80");
	SNI_OK("null");

	/* Bad escapes. */
	SNI_BAD("\"\\x41\"");
	SNI_BAD("\"\\u00\"");
	SNI_BAD("\"\\u00g0\"");
	SNI_BAD("\"\\U0041\"");
	SNI_BAD("\"abc\\\"");
	/* Control bytes must be escaped; a NUL byte is not the end. */
	SNI_BAD("\"a\tb\"");
	SNI_BAD("\"a\nb\"");
	SNI_BAD("\"a\0b\"");
	/* Lone surrogates. */
	SNI_BAD("\"\\ud800\"");
	SNI_BAD("\"\\ud800x\"");
	SNI_BAD("\"\\ud800\\u0041\"");
	SNI_BAD("\"\\ud800\\ud800\"");
	SNI_BAD("\"\\udc00\"");
	SNI_BAD("\"\\udfff\\ud800\"");
	/* Invalid UTF-8: stray continuation, overlong, encoded surrogate,
	 * above U+10FFFF, truncated. */
	SNI_BAD("\"\x80\"");
	SNI_BAD("\"\xc0\x80\"");
	SNI_BAD("\"\xc1\xbf\"");
	SNI_BAD("\"\xe0\x80\x80\"");
	SNI_BAD("\"\xed\xa0\x80\"");
	SNI_BAD("\"\xf4\x90\x80\x80\"");
	SNI_BAD("\"\xf5\x80\x80\x80\"");
	SNI_BAD("\"\xff\"");
	SNI_BAD("\"\xe2\x82\"");
	/* The wrong type. */
	SNI_BAD("7");
	SNI_BAD("true");
	SNI_BAD("[\"x\"]");
	SNI_BAD("{}");
}

TEST(record_lines)
{
	char *deep;
	size_t i, n;

	/* Unknown fields of every type, whitespace around, a trailing CR. */
	LINE_OK(" \t" REC_HEAD "\"s\",\"n\":-12.5e2,\"i\":0,\"t\":true,"
	    "\"f\":false,\"z\":null,\"a\":[\"x\",[],{}],\"o\":{\"k\":[[1]]},"
	    "\"e\":{},\"big\":1E+2,\"small\":-0.000e-2} \r");
	/* Numbers in the fields the report does not read. */
	LINE_OK(REC_HEAD "null,\"client_port\":0}");
	LINE_OK(REC_HEAD "null,\"client_port\":-0}");
	LINE_BAD(REC_HEAD "null,\"client_port\":01}");
	LINE_BAD(REC_HEAD "null,\"client_port\":1.}");
	LINE_BAD(REC_HEAD "null,\"client_port\":.5}");
	LINE_BAD(REC_HEAD "null,\"client_port\":+1}");
	LINE_BAD(REC_HEAD "null,\"client_port\":0x10}");
	LINE_BAD(REC_HEAD "null,\"client_port\":NaN}");
	LINE_BAD(REC_HEAD "null,\"client_port\":Infinity}");
	LINE_BAD(REC_HEAD "null,\"client_port\":1e}");

	/* Broken JSON. */
	LINE_BAD("{");
	LINE_BAD("}");
	LINE_BAD("x");
	LINE_BAD(REC_HEAD "null,}");
	LINE_BAD(REC_HEAD "null");
	LINE_BAD(REC_HEAD "null \"ja4\":\"j\"}");
	LINE_BAD(REC_HEAD "null,\"ja4\"}");
	LINE_BAD(REC_HEAD "null,ja4:\"j\"}");
	LINE_BAD(REC_HEAD "null,'ja4':\"j\"}");
	LINE_BAD(REC_HEAD "nul}");
	LINE_BAD(REC_HEAD "Null}");
	/* Exactly one value on a line: nothing after it, not even a NUL. */
	LINE_BAD(REC_HEAD "null} x");
	LINE_BAD(REC_HEAD "null}{}");
	LINE_BAD(REC_HEAD "null}" REC_HEAD "null}");
	LINE_BAD(REC_HEAD "null}\0");
	/* A byte order mark is not whitespace. */
	LINE_BAD("\xef\xbb\xbf" REC_HEAD "null}");
	/* A record must be an object, not one inside an array. */
	LINE_BAD("[" REC_HEAD "null}]");
	LINE_BAD("[]");
	LINE_BAD("\"legacy_client\"");
	LINE_BAD("null");
	LINE_BAD("0");
	/* A member name twice is ambiguous, whichever member it is. */
	LINE_BAD(REC_HEAD "null,\"client_ip\":\"b\"}");
	LINE_BAD(REC_HEAD "null,\"sni\":null}");
	LINE_BAD(REC_HEAD "null,\"port\":1,\"port\":2}");
	LINE_BAD(REC_HEAD "null,\"o\":{\"k\":1,\"k\":2}}");
	/* A member name may not hold \u0000 (jansson keys are C strings). */
	LINE_BAD(REC_HEAD "null,\"k\\u0000\":1}");
	/* Numbers jansson cannot hold. */
	LINE_BAD(REC_HEAD "null,\"n\":1e400}");
	LINE_BAD(REC_HEAD "null,\"n\":99999999999999999999}");

	/* Nesting: bounded by jansson, never by the stack. */
	n = 100000;
	deep = malloc(sizeof(REC_HEAD) + 2 * n + 8);
	ASSERT(deep != NULL);
	memcpy(deep, REC_HEAD, sizeof(REC_HEAD) - 1);
	for (i = 0; i < n; i++)
		deep[sizeof(REC_HEAD) - 1 + i] = '[';
	for (i = 0; i < n; i++)
		deep[sizeof(REC_HEAD) - 1 + n + i] = ']';
	deep[sizeof(REC_HEAD) - 1 + 2 * n] = '}';
	ASSERT_EQ(feed_one(deep, sizeof(REC_HEAD) + 2 * n), -1);
	free(deep);
}

/*
 * Writes a legacy_client record the way proxy/record.c does, through the
 * JSON writer of proxy/json.c, with an SNI of the n bytes at sni, into
 * buf; returns the line's length without its newline.
 */
static size_t
write_record(char *buf, size_t cap, const void *sni, size_t n)
{
	struct tf_json j;

	tf_json_init(&j, buf, cap);
	tf_json_begin(&j);
	tf_json_str(&j, "time", "2026-11-28T13:45:01.123Z");
	tf_json_str(&j, "event", "legacy_client");
	tf_json_str(&j, "action", "refused");
	tf_json_str(&j, "listener", "edge");
	tf_json_str(&j, "client_ip", "203.0.113.7");
	tf_json_int(&j, "client_port", 51234);
	tf_json_strn(&j, "sni", sni, n);
	tf_json_str(&j, "offered_max", "TLS1.0");
	tf_json_array_begin(&j, "offered_versions");
	tf_json_array_str(&j, "TLS1.0");
	tf_json_array_end(&j);
	tf_json_str(&j, "hello_format", "tls");
	tf_json_array_begin(&j, "cipher_suites");
	tf_json_array_str(&j, "0x0035");
	tf_json_array_end(&j);
	tf_json_str(&j, "ja3", "769,53,0,,");
	tf_json_str(&j, "ja3_md5", "0123456789abcdef0123456789abcdef");
	tf_json_str(&j, "ja4", "t10d010000_0123456789ab_000000000000");
	tf_json_null(&j, "client_guess");
	tf_json_end(&j);
	ASSERT(!j.overflow);
	ASSERT(j.len > 0 && buf[j.len - 1] == '\n');
	return j.len - 1;
}

/* What an SNI byte reads back as: the record writer escapes a byte that
 * is not UTF-8 as \u00XX, which is the code point U+00XX. */
static size_t
expected_byte(unsigned char b, char *out)
{
	if (b < 0x80) {
		out[0] = (char)b;
		return 1;
	}
	out[0] = (char)(0xc0 | (b >> 6));
	out[1] = (char)(0x80 | (b & 0x3f));
	return 2;
}

TEST(records_from_writer)
{
	static const char utf8[] = "caf\xc3\xa9.\xe2\x80\xae\xf0\x9f\x98\x80"
	    "<b>\"'&\\";
	char line[4096], want[1024];
	unsigned char every[256];
	size_t n, w = 0;
	unsigned b;

	/* Every single byte, NUL, controls, DEL and stray bytes included. */
	for (b = 0; b < 256; b++) {
		unsigned char byte = (unsigned char)b;

		n = write_record(line, sizeof(line), &byte, 1);
		sni_is(line, n, want, expected_byte(byte, want));
		every[b] = byte;
	}
	/* All of them in one SNI. */
	for (b = 0; b < 256; b++)
		w += expected_byte(every[b], want + w);
	n = write_record(line, sizeof(line), every, sizeof(every));
	sni_is(line, n, want, w);
	/* Valid UTF-8 is written raw and read back unchanged. */
	n = write_record(line, sizeof(line), utf8, sizeof(utf8) - 1);
	sni_is(line, n, utf8, sizeof(utf8) - 1);
	/* An empty SNI is not a missing one. */
	n = write_record(line, sizeof(line), "", 0);
	sni_is(line, n, "", 0);
}

TEST(records_huge)
{
	struct tf_report_counts c;
	struct tf_report *r;
	char *sni, *line, *want, *log;
	size_t n, big = 10000, lines = 0, i;
	FILE *f;

	/* The largest SNI a record holds, escaped at 6 bytes a byte: a line
	 * of about 60 KiB, still a record. */
	sni = malloc(TF_REPORT_LINE_MAX);
	want = malloc(2 * big);
	line = malloc(TF_REPORT_LINE_MAX + 1024);
	ASSERT(sni != NULL && want != NULL && line != NULL);
	memset(sni, 0xff, TF_REPORT_LINE_MAX);
	for (i = 0; i < big; i++)
		expected_byte(0xff, want + 2 * i);
	n = write_record(line, TF_REPORT_LINE_MAX + 1024, sni, big);
	ASSERT(n > 6 * big && n <= TF_REPORT_LINE_MAX);
	sni_is(line, n, want, 2 * big);

	/* One more escaped byte than fits in TF_REPORT_LINE_MAX: the line is
	 * malformed, read or fed, and the lines after it still count. */
	big = (TF_REPORT_LINE_MAX - (n - 6 * big)) / 6 + 1;
	n = write_record(line, TF_REPORT_LINE_MAX + 1024, sni, big);
	ASSERT(n > TF_REPORT_LINE_MAX);
	ASSERT_EQ(feed_one(line, n), -1);
	log = NULL;
	f = open_memstream(&log, &i);
	ASSERT(f != NULL);
	fwrite(line, 1, n, f);
	fputc('\n', f);
	lines++;
	n = write_record(line, TF_REPORT_LINE_MAX + 1024, "s", 1);
	fwrite(line, 1, n, f);
	fputc('\n', f);
	lines++;
	fclose(f);
	r = report_of(log, i, TF_REPORT_NO_SINCE);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.lines, lines);
	ASSERT_EQ(c.malformed, 1);
	ASSERT_EQ(c.records, 1);
	tf_report_free(r);
	free(log);
	free(line);
	free(want);
	free(sni);
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
	ASSERT_EQ(c.other_requests, 1);
	ASSERT_EQ(c.legacy_requests, 0);
	ASSERT_EQ(c.before_since, 0);
	ASSERT_EQ(c.lines, 10 + SYNTHETIC_MALFORMED);
	tf_report_free(r);

	/* --since 11:00Z keeps A's 12:00+01:00 (11:00Z: not earlier) and
	 * 12:30 records, both of C's, the three other events and the
	 * request; A's 10:00 and B's 09:00 go. */
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
	ASSERT_EQ(c.before_since, 10);
	ASSERT_EQ(c.other_requests, 0);
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

/* Reads a writer's JSON output back with jansson, as strictly as the
 * report reads records; the caller json_decref()s the document. */
static json_t *
load(const char *out, size_t n)
{
	json_error_t err;
	json_t *doc = json_loadb(out, n, JSON_REJECT_DUPLICATES, &err);

	if (doc == NULL)
		TEST_FAIL("own output rejected: %s at %d:%d:\n%s", err.text,
		    err.line, err.column, out);
	return doc;
}

/* The member key of obj, which must exist. */
static json_t *
get(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		TEST_FAIL("no member '%s'", key);
	return v;
}

static long long
num(json_t *obj, const char *key)
{
	json_t *v = get(obj, key);

	ASSERT(json_is_integer(v));
	return (long long)json_integer_value(v);
}

static const char *
str(json_t *obj, const char *key)
{
	json_t *v = get(obj, key);

	if (!json_is_string(v))
		TEST_FAIL("member '%s' is not a string", key);
	return json_string_value(v);
}

TEST(json_output_read_back)
{
	static const char hostile[] = "<b>\"x\\\x01\xe2\x80\xae\xf0\x9f\x98\x80";
	struct tf_report *r;
	json_t *doc, *cl, *c, *v, *t;
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
	doc = load(out, n);
	ASSERT_EQ(num(doc, "records"), 6);
	ASSERT_EQ(num(doc, "malformed"), SYNTHETIC_MALFORMED);
	ASSERT_EQ(num(doc, "skipped_before_since"), 0);
	ASSERT(json_is_null(get(doc, "since")));
	ASSERT_STR_EQ(str(doc, "generated"), "2026-11-28T13:45:01.123Z");
	ASSERT_STR_EQ(str(doc, "first_seen"), "2026-11-28T09:00:00.000Z");
	ASSERT_STR_EQ(str(doc, "last_seen"), "2026-11-28T12:30:00.000Z");
	v = get(doc, "logs");
	ASSERT_EQ(json_array_size(v), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(v, 0)),
	    "synthetic.jsonl");

	/* Clients by count, then first seen: A (3), C (2), B (1). */
	cl = get(doc, "clients");
	ASSERT(json_is_array(cl));
	ASSERT_EQ(json_array_size(cl), 3);
	c = json_array_get(cl, 0);
	ASSERT_STR_EQ(str(c, "client_ip"), "203.0.113.7");
	ASSERT_STR_EQ(str(c, "ja4"), "t10d_a");
	ASSERT_STR_EQ(str(c, "client_guess"), "IE 8");
	ASSERT_EQ(num(c, "count"), 3);
	ASSERT_STR_EQ(str(c, "first_seen"), "2026-11-28T10:00:00.000Z");
	ASSERT_STR_EQ(str(c, "last_seen"), "2026-11-28T12:30:00.000Z");
	ASSERT_STR_EQ(str(c, "offered_max"), "TLS1.0");
	v = get(c, "snis");
	ASSERT_EQ(json_array_size(v), 2);
	ASSERT_STR_EQ(json_string_value(json_array_get(v, 0)),
	    "autodiscover.contoso.com");
	ASSERT_STR_EQ(json_string_value(json_array_get(v, 1)),
	    "mail.contoso.com");
	ASSERT_EQ(num(c, "snis_more"), 0);
	v = get(c, "actions");
	ASSERT_EQ(json_object_size(v), 2);
	ASSERT_EQ(num(v, "refused"), 2);
	ASSERT_EQ(num(v, "allowed_audit"), 1);
	/* Most frequent first. */
	ASSERT(strstr(out, "\"actions\": {\"refused\": 2, \"allowed_audit\": "
	    "1}") != NULL);

	c = json_array_get(cl, 1);
	ASSERT_STR_EQ(str(c, "client_ip"), "2001:db8::1");
	ASSERT(json_is_null(get(c, "client_guess")));
	ASSERT_EQ(num(c, "count"), 2);
	ASSERT_STR_EQ(str(c, "offered_max"), "TLS1.1");
	v = get(c, "snis");
	ASSERT_EQ(json_array_size(v), 1);
	/* The hostile SNI survives the round trip byte for byte. */
	v = json_array_get(v, 0);
	ASSERT_EQ(json_string_length(v), sizeof(hostile) - 1);
	ASSERT(memcmp(json_string_value(v), hostile, sizeof(hostile) - 1)
	    == 0);

	c = json_array_get(cl, 2);
	ASSERT_STR_EQ(str(c, "client_ip"), "203.0.113.7");
	ASSERT(json_is_null(get(c, "client_guess")));
	ASSERT_EQ(num(c, "count"), 1);
	v = get(c, "snis");
	ASSERT_EQ(json_array_size(v), 1);
	ASSERT(json_is_null(json_array_get(v, 0)));

	t = get(doc, "totals");
	v = get(t, "offered");
	ASSERT_EQ(json_object_size(v), 2);
	ASSERT_EQ(num(v, "TLS1.0"), 4);
	ASSERT_EQ(num(v, "TLS1.1"), 2);
	v = get(t, "guess");
	ASSERT_EQ(json_object_size(v), 2);
	ASSERT_EQ(num(v, "unknown"), 3);
	ASSERT_EQ(num(v, "IE 8"), 3);
	v = get(t, "action");
	ASSERT_EQ(num(v, "refused"), 5);
	ASSERT_EQ(num(v, "allowed_audit"), 1);
	v = get(doc, "other_events");
	ASSERT_EQ(num(v, "handshake_failed"), 1);
	ASSERT_EQ(num(get(v, "handshake_failed_reasons"), "timeout"), 1);
	ASSERT_EQ(num(v, "not_tls"), 1);
	ASSERT_EQ(num(v, "other"), 1);
	/* Added members: advice and agents on every client, advice per
	 * guess, the requests. */
	for (i = 0; i < json_array_size(cl); i++) {
		c = json_array_get(cl, i);
		ASSERT(strncmp(str(c, "advice"), "Find the client by its "
		    "address and user agent", 39) == 0);
		ASSERT_EQ(json_array_size(get(c, "user_agents")), 0);
		ASSERT_EQ(num(c, "user_agents_more"), 0);
	}
	v = get(t, "guess_advice");
	ASSERT_EQ(json_object_size(v), 2);
	ASSERT_STR_EQ(str(v, "unknown"), tf_advice_find(NULL, 0)->text);
	ASSERT_STR_EQ(str(v, "IE 8"), tf_advice_find(NULL, 0)->text);
	v = get(doc, "requests");
	ASSERT_EQ(num(v, "legacy"), 0);
	ASSERT_EQ(num(v, "other"), 1);
	ASSERT_EQ(num(v, "agents_not_kept"), 0);
	json_decref(doc);
	free(out);
	tf_report_free(r);

	/* An empty report is valid JSON too. */
	r = tf_report_new(time_of("2026-01-01T00:00:00Z"));
	out = output_of(r, 1, &n);
	doc = load(out, n);
	ASSERT_EQ(json_array_size(get(doc, "clients")), 0);
	ASSERT(json_is_null(get(doc, "first_seen")));
	ASSERT_STR_EQ(str(doc, "since"), "2026-01-01T00:00:00.000Z");
	json_decref(doc);
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
	/* "IE 8" is in no family: with the unknown clients. */
	ASSERT(strstr(out, "\nWhat to upgrade\n  Other and unknown clients: "
	    "6 records\n    seen as  IE 8: 3\n             unknown: 3\n"
	    "    advice   Find the client by its address and user agent, "
	    "then upgrade its\n             operating system or its TLS "
	    "library.\n") != NULL);
	ASSERT(strstr(out, "\nRequests: 0 below the floor, 1 at or above "
	    "it\n") != NULL);
	/* No access-log agents, no AGENTS lines. */
	ASSERT(strstr(out, "AGENTS") == NULL);
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
	tf_html_escape(f, s, n);
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
	/* Times and addresses never wrap. */
	ASSERT(strstr(out, ".nw{white-space:nowrap}") != NULL);
	ASSERT(strstr(out, "<td class=\"nw\">2026-11-28T10:00:00Z</td>"
	    "<td class=\"nw\">2026-11-28T12:30:00Z</td>") != NULL);
	ASSERT(strstr(out, "<td class=\"nw\"><code>203.0.113.7</code></td>")
	    != NULL);
	ASSERT(strstr(out, "<td class=\"nw\"><code>2001:db8::1</code></td>")
	    != NULL);
	ASSERT(strstr(out, ", <span class=\"nw\">2026-11-28T09:00:00Z</span> "
	    "to <span class=\"nw\">2026-11-28T12:30:00Z</span>") != NULL);
	ASSERT(strstr(out, "Generated <span class=\"nw\">2026-11-28T13:45:01Z"
	    "</span>") != NULL);
	/* The advice, and the column for agents. */
	ASSERT(strstr(out, "<h2>What to upgrade</h2>") != NULL);
	ASSERT(strstr(out, "<tr><td>Other and unknown clients</td><td "
	    "class=\"n\">6</td><td>IE 8 (3)<br>unknown (3)</td><td>Find the "
	    "client by its address and user agent") != NULL);
	ASSERT(strstr(out, "<th>user agents</th>") != NULL);
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
		tf_rfc3339_format(1795824000000000LL +
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
	json_t *doc, *c;
	char sni[32], *out;
	size_t n;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(sni, sizeof(sni), "host%02d.test", i);
		feed_record(r, "2026-11-28T10:00:00Z", "a", sni, "TLS1.0");
	}
	feed_record(r, "2026-11-28T10:00:00Z", "a", "host00.test", "TLS1.0");
	out = output_of(r, 1, &n);
	doc = load(out, n);
	c = json_array_get(get(doc, "clients"), 0);
	ASSERT_EQ(num(c, "count"), 41);
	ASSERT_EQ(json_array_size(get(c, "snis")), TF_REPORT_SNI_LIMIT);
	ASSERT_EQ(num(c, "snis_more"), 8);
	json_decref(doc);
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

/* A legacy_client record of client "a", JA4 "j", guessed as guess. */
static void
feed_guess(struct tf_report *r, const char *guess)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "{\"time\":"
	    "\"2026-11-28T10:00:00Z\",\"event\":\"legacy_client\","
	    "\"action\":\"refused\",\"client_ip\":\"a\",\"sni\":null,"
	    "\"offered_max\":\"TLS1.0\",\"ja4\":\"j\",\"client_guess\":"
	    "\"%s\"}", guess);

	ASSERT(n > 0 && (size_t)n < sizeof(line));
	ASSERT_EQ(tf_report_feed(r, line, (size_t)n), 0);
}

/* The family name of a guess (NUL-terminated, or NULL). */
static const char *
family_of(const char *guess)
{
	return tf_advice_find(guess, guess != NULL ? strlen(guess) : 0)->family;
}

/* Checks every CLIENT of the shipped catalogue finds a family of its
 * own, not the generic sentence. */
static void
catalogue_families(void)
{
	const char *top = getenv("TF_SRCDIR"), *generic = family_of(NULL);
	char path[1024], line[1200], *client, *nl;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/conf/fingerprints.tsv",
	    top != NULL ? top : ".");
	f = fopen(path, "r");
	if (f == NULL)
		TEST_FAIL("cannot open %s (set TF_SRCDIR)", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || (client = strchr(line, '\t')) == NULL ||
		    (client = strchr(client + 1, '\t')) == NULL)
			continue;
		client++;
		if ((nl = strchr(client, '\n')) != NULL)
			*nl = '\0';
		if (family_of(client) == generic)
			TEST_FAIL("'%s' has no family", client);
		n++;
	}
	fclose(f);
	ASSERT(n > 100);
}

TEST(advice_table)
{
	static const struct {
		const char *guess, *family;
	} want[] = {
		{ "Internet Explorer 8-10 on Windows 7 (Schannel)",
		    "Windows 7 (Schannel)" },
		{ "Internet Explorer 11 on Windows 7 (Schannel)",
		    "Windows 7 (Schannel)" },
		{ "Internet Explorer 7-10 on Windows Vista/7 (Schannel)",
		    "Windows Vista or 7 (Schannel)" },
		{ "Internet Explorer 7 on Windows Vista (Schannel)",
		    "Windows Vista (Schannel)" },
		{ "Internet Explorer 6 on Windows XP (Schannel)",
		    "Windows XP (Schannel)" },
		{ "Internet Explorer 10 on Windows Phone 8.0 (Schannel)",
		    "Windows Phone 8.0" },
		{ "Internet Explorer 11 on Windows Phone 8.1 (Schannel)",
		    "Windows 8 and later (Schannel)" },
		{ "Edge 13 on Windows 10 Mobile (Schannel)",
		    "Windows 8 and later (Schannel)" },
		{ "Android 2.3.7 (OpenSSL) or Java 6u45 (JSSE)",
		    "Android 2.3 or Java 6" },
		{ "Android 4.0.4 (OpenSSL)", "Android 2.x-4.0" },
		{ "Android 4.1.1 (OpenSSL)", "Android 4.1-4.3" },
		{ "Android 4.2.2-4.3 (OpenSSL)", "Android 4.1-4.3" },
		{ "Android 4.4.2 (OpenSSL)", "Android 4.4" },
		{ "Android 5.0 (OpenSSL)", "Android 5.0 and later" },
		{ "Java 7u25 (JSSE)", "Java 7" },
		{ "Java 8u31 (JSSE)", "Java 8 and later" },
		{ "Firefox 17-24 on Windows 7 (NSS)",
		    "Firefox and other NSS clients" },
		{ "Tor Browser (Firefox 17.0.9 ESR) on Windows 7 (NSS)",
		    "Firefox and other NSS clients" },
		{ "Firefox 10 ESR on Windows 7 (NSS), or a Baidu or Yahoo "
		    "crawler", "Firefox 10 ESR or an old crawler" },
		{ "Chrome 49 on Windows XP SP3", "Chrome and Opera" },
		{ "Chrome 73-79 or Opera 60-66 on Windows 10, or Android 10",
		    "Chrome and Opera" },
		{ "Opera 12.15 on Windows 7", "Chrome and Opera" },
		{ "Safari 6.0.4 on OS X 10.8.4 (Secure Transport)",
		    "Apple (Secure Transport)" },
		{ "Safari 12.1 on iOS 12.2", "Apple (Secure Transport)" },
		{ "OpenSSL 0.9.8y, or YandexBot crawler (May 2014)",
		    "OpenSSL 0.9.8 or YandexBot" },
		{ "OpenSSL 1.0.0t", "OpenSSL before 1.0.1" },
		{ "OpenSSL 1.0.1h", "Other TLS libraries" },
		{ "Googlebot crawler (Oct 2013)", "Search engine crawlers" },
		{ "YandexBot 3.0 crawler", "Search engine crawlers" },
		{ "OpenSSL 3 s_client", "Test tools forced to an old version" },
		{ "GnuTLS 3.7 gnutls-cli",
		    "Test tools forced to an old version" },
		{ "IE 8", "Other and unknown clients" },
		{ "", "Other and unknown clients" },
		{ NULL, "Other and unknown clients" },
	};
	const struct tf_advice *a;
	const char *p;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(want); i++)
		if (strcmp(family_of(want[i].guess), want[i].family) != 0)
			TEST_FAIL("'%s': family '%s', expected '%s'",
			    want[i].guess != NULL ? want[i].guess : "(null)",
			    family_of(want[i].guess), want[i].family);

	a = tf_advice_find("Internet Explorer 8-10 on Windows 7 (Schannel)",
	    46);
	ASSERT(strstr(a->text, "KB3140245") != NULL);
	ASSERT(strstr(a->text, "DefaultSecureProtocols") != NULL);
	ASSERT(strstr(a->text, "Internet Explorer 11") != NULL);
	ASSERT(strstr(a->text, "SchUseStrongCrypto") != NULL);
	ASSERT(strstr(a->text, "upgrade Windows") != NULL);
	ASSERT_STR_EQ(tf_advice_find(NULL, 0)->text, "Find the client by its "
	    "address and user agent, then upgrade its operating system or "
	    "its TLS library.");
	ASSERT(strstr(tf_advice_find("Java 7u25 (JSSE)", 16)->text,
	    "-Dhttps.protocols=TLSv1.2") != NULL);
	/* A guess is bytes with a length: a NUL does not end it. */
	ASSERT_STR_EQ(tf_advice_find("x\0Windows 7", 11)->family,
	    "Windows 7 (Schannel)");
	ASSERT_STR_EQ(tf_advice_find("Windows 7", 8)->family,
	    "Other and unknown clients");

	/* Every sentence printable ASCII, ending in a full stop, naming no
	 * update but KB3140245. */
	for (i = 0; i < TF_ARRAY_SIZE(want); i++) {
		a = tf_advice_find(want[i].guess, want[i].guess != NULL ?
		    strlen(want[i].guess) : 0);
		for (p = a->text; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				TEST_FAIL("byte 0x%02x in '%s'",
				    (unsigned char)*p, a->text);
		ASSERT_EQ(a->text[strlen(a->text) - 1], '.');
		for (p = a->text; (p = strstr(p, "KB")) != NULL; p++)
			ASSERT(strncmp(p, "KB3140245", 9) == 0);
	}
	catalogue_families();
}

TEST(advice_output)
{
	struct tf_advice_family *f;
	struct tf_report *r = tf_report_new(TF_REPORT_NO_SINCE);
	json_t *doc, *c;
	char *out;
	size_t n, i;

	for (i = 0; i < 5; i++)
		feed_guess(r, "Java 7u25 (JSSE)");
	for (i = 0; i < 3; i++)
		feed_guess(r, "Internet Explorer 8-10 on Windows 7 (Schannel)");
	feed_guess(r, "Internet Explorer 11 on Windows 7 (Schannel)");
	feed_record(r, "2026-11-28T10:00:00Z", "a", "s", "TLS1.0");
	feed_record(r, "2026-11-28T10:00:00Z", "b", "s", "TLS1.0");
	feed_guess(r, "IE 8");

	/* Families by records, their guesses by records. */
	f = tf_advice_families(&r->by_guess, &n);
	ASSERT_EQ(n, 3);
	ASSERT_STR_EQ(f[0].advice->family, "Java 7");
	ASSERT_EQ(f[0].records, 5);
	ASSERT_EQ(f[0].nguesses, 1);
	ASSERT_STR_EQ(f[1].advice->family, "Windows 7 (Schannel)");
	ASSERT_EQ(f[1].records, 4);
	ASSERT_EQ(f[1].nguesses, 2);
	ASSERT_EQ(f[1].guesses[0]->count, 3);
	ASSERT_EQ(f[1].guesses[1]->count, 1);
	ASSERT_STR_EQ(f[2].advice->family, "Other and unknown clients");
	ASSERT_EQ(f[2].records, 3);
	ASSERT_STR_EQ(f[2].guesses[0]->s, "unknown");
	ASSERT_STR_EQ(f[2].guesses[1]->s, "IE 8");
	tf_advice_families_free(f, n);

	out = output_of(r, 0, NULL);
	ASSERT(strstr(out, "\nWhat to upgrade\n  Java 7: 5 records\n"
	    "    seen as  Java 7u25 (JSSE): 5\n    advice   Java 7 has TLS 1.2 "
	    "but does not offer it by default: move the\n") != NULL);
	ASSERT(strstr(out, "\n\n  Windows 7 (Schannel): 4 records\n"
	    "    seen as  Internet Explorer 8-10 on Windows 7 (Schannel): 3\n"
	    "             Internet Explorer 11 on Windows 7 (Schannel): 1\n"
	    "    advice   Windows 7 has TLS 1.2 but leaves it off for most "
	    "programs: use\n             Internet Explorer 11") != NULL);
	ASSERT(strstr(out, "KB3140245") != NULL);
	ASSERT(strstr(out, "\n\n  Other and unknown clients: 3 records\n"
	    "    seen as  unknown: 2\n             IE 8: 1\n    advice   Find "
	    "the client by its address and user agent") != NULL);
	/* Wrapped within 76 columns, the table aside. */
	for (i = 0; out[i] != '\0'; i++) {
		size_t len = strcspn(out + i, "\n");

		if (strncmp(out + i, "    advice   ", 13) == 0 ||
		    strncmp(out + i, "             ", 13) == 0)
			ASSERT(len <= 76);
		i += len;
		if (out[i] == '\0')
			break;
	}
	free(out);

	out = output_of(r, 1, &n);
	doc = load(out, n);
	for (i = 0; i < json_array_size(get(doc, "clients")); i++) {
		c = json_array_get(get(doc, "clients"), i);
		ASSERT_STR_EQ(str(c, "advice"), tf_advice_find(
		    json_string_value(get(c, "client_guess")),
		    json_string_length(get(c, "client_guess")))->text);
	}
	c = json_array_get(get(doc, "clients"), 1);
	ASSERT_STR_EQ(str(c, "client_guess"),
	    "Internet Explorer 8-10 on Windows 7 (Schannel)");
	ASSERT(strstr(str(c, "advice"), "KB3140245") != NULL);
	c = get(get(doc, "totals"), "guess_advice");
	ASSERT_EQ(json_object_size(c), 5);
	ASSERT(strstr(str(c, "Internet Explorer 11 on Windows 7 (Schannel)"),
	    "KB3140245") != NULL);
	ASSERT(strncmp(str(c, "unknown"), "Find the client", 15) == 0);
	json_decref(doc);
	/* Still in the order of the totals. */
	ASSERT(strstr(out, "\"guess_advice\": {\"Java 7u25 (JSSE)\": \"Java 7 "
	    "has") != NULL);
	free(out);

	out = output_of(r, 2, NULL);
	ASSERT(strstr(out, "<tr><td>Windows 7 (Schannel)</td><td class=\"n\">4"
	    "</td><td>Internet Explorer 8-10 on Windows 7 (Schannel) (3)<br>"
	    "Internet Explorer 11 on Windows 7 (Schannel) (1)</td><td>Windows "
	    "7 has TLS 1.2") != NULL);
	ASSERT(strstr(out, "turn on &quot;Use TLS 1.2&quot;") != NULL);
	free(out);
	tf_report_free(r);

	/* No records: a section that says so. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	out = output_of(r, 0, NULL);
	ASSERT(strstr(out, "\nWhat to upgrade\n  (none)\n") != NULL);
	free(out);
	tf_report_free(r);
}

/*
 * Writes an access record the way proxy/record.c does, through the JSON
 * writer of proxy/json.c, for client_ip ip with ja4 and user_agent (NULL:
 * null), into buf; returns the line's length without its newline.
 */
static size_t
write_access(char *buf, size_t cap, const char *ip, const char *ja4,
    const char *ua, int legacy)
{
	struct tf_json j;

	tf_json_init(&j, buf, cap);
	tf_json_begin(&j);
	tf_json_str(&j, "time", "2026-11-28T11:45:01.123Z");
	tf_json_str(&j, "event", "request");
	tf_json_str(&j, "listener", "edge");
	tf_json_str(&j, "client_ip", ip);
	tf_json_int(&j, "client_port", 51234);
	tf_json_str(&j, "tls_version", legacy ? "TLS1.0" : "TLS1.3");
	tf_json_str(&j, "cipher", "ECDHE-RSA-AES256-SHA");
	tf_json_str(&j, "sni", "mail.contoso.com");
	tf_json_str(&j, "ja4", ja4);
	tf_json_str(&j, "method", "GET");
	tf_json_str(&j, "host", "mail.contoso.com");
	tf_json_str(&j, "path", "/owa/");
	tf_json_int(&j, "status", 200);
	tf_json_int(&j, "bytes_in", 312);
	tf_json_int(&j, "bytes_out", 5120);
	tf_json_str(&j, "upstream", "exchange");
	tf_json_str(&j, "upstream_tls", "TLSv1.3");
	tf_json_int(&j, "duration_ms", 12);
	tf_json_str(&j, "user_agent", ua);
	tf_json_bool(&j, "legacy", legacy);
	tf_json_str(&j, "crypt_protocol", legacy ? "40" : "3000");
	tf_json_str(&j, "crypt_cipher", "6610");
	tf_json_str(&j, "crypt_hash", "8004");
	tf_json_str(&j, "crypt_keyexchange", "ae06");
	tf_json_end(&j);
	ASSERT(!j.overflow);
	ASSERT(j.len > 0 && buf[j.len - 1] == '\n');
	return j.len - 1;
}

/* Adds one access record to a log being written to f. */
static void
put_access(FILE *f, const char *ip, const char *ja4, const char *ua,
    int legacy)
{
	char line[2048];
	size_t n = write_access(line, sizeof(line), ip, ja4, ua, legacy);

	fwrite(line, 1, n, f);
	fputc('\n', f);
}

/* Feeds one access record to r. */
static void
feed_access(struct tf_report *r, const char *ip, const char *ja4,
    const char *ua, int legacy)
{
	char line[2048];
	size_t n = write_access(line, sizeof(line), ip, ja4, ua, legacy);

	ASSERT_EQ(tf_report_feed(r, line, n), 0);
}

#define REQ_HEAD "{\"time\":\"2026-11-28T10:00:00Z\",\"event\":\"request\","

TEST(request_lines)
{
	struct tf_report_counts c;
	struct tf_report *r;

	LINE_OK(REQ_HEAD "\"legacy\":false}");
	/* The fields of a request at or above the floor are not read. */
	LINE_OK(REQ_HEAD "\"legacy\":false,\"client_ip\":7,\"ja4\":[],"
	    "\"user_agent\":{}}");
	LINE_OK(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\",\"ja4\":\"j\","
	    "\"user_agent\":\"u\"}");
	LINE_OK(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\",\"ja4\":null,"
	    "\"user_agent\":null}");
	LINE_OK(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\"}");
	LINE_OK(REQ_HEAD "\"legacy\":true,\"client_ip\":\"\","
	    "\"user_agent\":\"a\\u0000b\"}");

	/* SPEC's access records always say whether they were legacy. */
	LINE_BAD(REQ_HEAD "\"status\":200}");
	LINE_BAD(REQ_HEAD "\"legacy\":null}");
	LINE_BAD(REQ_HEAD "\"legacy\":\"true\"}");
	LINE_BAD(REQ_HEAD "\"legacy\":1}");
	LINE_BAD(REQ_HEAD "\"legacy\":[true]}");
	LINE_BAD(REQ_HEAD "\"legacy\":true}");
	LINE_BAD(REQ_HEAD "\"legacy\":true,\"client_ip\":null}");
	LINE_BAD(REQ_HEAD "\"legacy\":true,\"client_ip\":7}");
	LINE_BAD(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\",\"ja4\":7}");
	LINE_BAD(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\","
	    "\"user_agent\":7}");
	LINE_BAD(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\","
	    "\"user_agent\":[\"u\"]}");
	LINE_BAD(REQ_HEAD "\"legacy\":true,\"legacy\":false,"
	    "\"client_ip\":\"a\"}");
	LINE_BAD("{\"event\":\"request\",\"legacy\":false}");
	LINE_BAD("{\"time\":\"yesterday\",\"event\":\"request\","
	    "\"legacy\":false}");

	/* Requests at or above the floor are counted apart, never as
	 * malformed; legacy ones count where --since says. */
	r = tf_report_new(time_of("2026-11-28T11:00:00Z"));
	feed_access(r, "192.0.2.1", "t13d_x", "curl/8.5.0", 0);
	feed_access(r, "192.0.2.1", "t13d_x", NULL, 0);
	feed_access(r, "192.0.2.2", NULL, "Mozilla/5.0", 0);
	feed_access(r, "203.0.113.7", "t10d_a", "MSIE", 1);
	ASSERT_EQ(tf_report_feed(r, REQ_HEAD "\"legacy\":true,\"client_ip\":"
	    "\"a\"}", sizeof(REQ_HEAD "\"legacy\":true,\"client_ip\":\"a\"}")
	    - 1), 0);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.lines, 5);
	ASSERT_EQ(c.malformed, 0);
	ASSERT_EQ(c.other_requests, 3);
	ASSERT_EQ(c.legacy_requests, 1);
	ASSERT_EQ(c.before_since, 1);
	ASSERT_EQ(c.other_events, 0);
	ASSERT_EQ(c.records, 0);
	ASSERT_EQ(r->agents.n, 1);
	tf_report_free(r);
}

TEST(user_agents)
{
	static const char msie[] = "Mozilla/4.0 (compatible; MSIE 8.0; "
	    "Windows NT 6.1; Trident/4.0)";
	static const char hostile[] = "<b>\"ua'&\x01\xe2\x80\xae";
	struct tf_report_client **v;
	const struct tf_report_agents *a;
	struct tf_report_counts c;
	struct tf_report *r;
	json_t *doc, *cl, *ua;
	char *log = NULL, *out;
	size_t n = 0, i;
	FILE *f = open_memstream(&log, &n);

	/* The access log first: its agents wait for their clients. */
	ASSERT(f != NULL);
	put_access(f, "203.0.113.7", "t10d_a", msie, 1);
	put_access(f, "203.0.113.7", "t10d_a", NULL, 1);
	put_access(f, "203.0.113.7", "t10d_a", msie, 1);
	put_access(f, "203.0.113.7", "t10d_a", hostile, 1);
	put_access(f, "2001:db8::1", "t11d_c", "Dalvik/1.6.0", 1);
	/* Same address, another JA4; same JA4, another address; nobody's. */
	put_access(f, "203.0.113.7", "t10d_z", "Other/1", 1);
	put_access(f, "203.0.113.8", "t10d_a", "Other/2", 1);
	/* At or above the floor: counted, never shown. */
	put_access(f, "203.0.113.7", "t10d_a", "curl/8.5.0", 0);
	put_access(f, "203.0.113.7", "t10d_a", "curl/8.5.0", 0);
	fwrite(synthetic_log, 1, sizeof(synthetic_log) - 1, f);
	fclose(f);
	r = report_of(log, n, TF_REPORT_NO_SINCE);
	free(log);

	tf_report_get_counts(r, &c);
	ASSERT_EQ(c.records, 6);
	ASSERT_EQ(c.malformed, SYNTHETIC_MALFORMED);
	ASSERT_EQ(c.legacy_requests, 7);
	ASSERT_EQ(c.other_requests, 3);
	ASSERT_EQ(c.agents_dropped, 0);
	ASSERT_EQ(c.other_events, 1);
	ASSERT_EQ(r->agents.n, 4);

	/* A and B share their address and JA4, so their agents. */
	v = tf_report_clients_sorted(r);
	a = tf_report_agents_of(r, v[0]);
	ASSERT(a != NULL);
	ASSERT(a == tf_report_agents_of(r, v[2]));
	ASSERT_EQ(a->uas.n, 3);
	ASSERT_EQ(a->uas_more, 0);
	ASSERT_EQ(tf_cset_get((struct tf_cset *)&a->uas, msie,
	    sizeof(msie) - 1, 0)->count, 2);
	ASSERT_EQ(tf_cset_get((struct tf_cset *)&a->uas, NULL, 0, 0)->count, 1);
	a = tf_report_agents_of(r, v[1]);
	ASSERT(a != NULL && a->uas.n == 1);
	free(v);

	out = output_of(r, 0, NULL);
	/* Under A's row, after its SNIs and actions. */
	ASSERT(strstr(out, "\n    3  2026-11-28T10:00:00Z  2026-11-28T12:30:00Z"
	    "  TLS1.0   203.0.113.7  t10d_a  IE 8\n"
	    "       SNI      autodiscover.contoso.com, mail.contoso.com\n"
	    "       ACTIONS  refused 2, allowed_audit 1\n"
	    "       AGENTS     2  Mozilla/4.0 (compatible; MSIE 8.0; Windows "
	    "NT 6.1; Trident/4.0)\n                  1  (none)\n"
	    "                  1  <b>\"ua'&\\x01\\u202e\n    2  ") != NULL);
	ASSERT(strstr(out, "       ACTIONS  refused 2\n       AGENTS     1  "
	    "Dalvik/1.6.0\n") != NULL);
	ASSERT(strstr(out, "Other/") == NULL);
	ASSERT(strstr(out, "curl/") == NULL);
	ASSERT(strstr(out, "\nRequests: 7 below the floor, 3 at or above "
	    "it\n") != NULL);
	ASSERT(strstr(out, "were not kept") == NULL);
	free(out);

	out = output_of(r, 1, &n);
	doc = load(out, n);
	cl = get(doc, "clients");
	ua = get(json_array_get(cl, 0), "user_agents");
	ASSERT_EQ(json_array_size(ua), 3);
	ASSERT_STR_EQ(json_string_value(json_array_get(ua, 0)), msie);
	ASSERT(json_is_null(json_array_get(ua, 1)));
	ASSERT_EQ(json_string_length(json_array_get(ua, 2)),
	    sizeof(hostile) - 1);
	ASSERT(memcmp(json_string_value(json_array_get(ua, 2)), hostile,
	    sizeof(hostile) - 1) == 0);
	ASSERT_EQ(num(json_array_get(cl, 0), "user_agents_more"), 0);
	ua = get(json_array_get(cl, 1), "user_agents");
	ASSERT_EQ(json_array_size(ua), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(ua, 0)),
	    "Dalvik/1.6.0");
	ASSERT(json_equal(get(json_array_get(cl, 2), "user_agents"),
	    get(json_array_get(cl, 0), "user_agents")));
	ASSERT_EQ(num(get(doc, "requests"), "legacy"), 7);
	ASSERT_EQ(num(get(doc, "requests"), "other"), 3);
	ASSERT_EQ(num(get(doc, "requests"), "agents_not_kept"), 0);
	ASSERT_EQ(num(get(doc, "other_events"), "other"), 1);
	ASSERT_EQ(num(doc, "malformed"), SYNTHETIC_MALFORMED);
	json_decref(doc);
	for (i = 0; i < n; i++)
		ASSERT((unsigned char)out[i] < 0x7f);
	free(out);

	out = output_of(r, 2, NULL);
	ASSERT(strstr(out, "<td><code>Mozilla/4.0 (compatible; MSIE 8.0; "
	    "Windows NT 6.1; Trident/4.0)</code> (2)<br><code><span "
	    "class=\"none\">none</span></code> (1)<br><code>&lt;b&gt;&quot;"
	    "ua&#39;&amp;\\x01\\u202e</code> (1)</td></tr>") != NULL);
	ASSERT(strstr(out, "<b>\"ua") == NULL);
	ASSERT(strstr(out, "<p>7 requests below the floor") != NULL);
	free(out);
	tf_report_free(r);
}

TEST(user_agent_bounds)
{
	char ua[600], ip[128];
	struct tf_report_counts c;
	struct tf_report_client **v;
	const struct tf_report_agents *a;
	struct tf_cset_entry **e;
	struct tf_report *r = tf_report_new(TF_REPORT_NO_SINCE);
	json_t *doc, *cl;
	char *out;
	size_t n;
	int i;

	/* 40 distinct agents from one address and JA4: UA_LIMIT kept, the
	 * requests of the rest counted; a kept one still counts. */
	for (i = 0; i < 40; i++) {
		snprintf(ua, sizeof(ua), "agent-%02d", i);
		feed_access(r, "a", "j", ua, 1);
	}
	feed_access(r, "a", "j", "agent-00", 1);
	feed_record(r, "2026-11-28T10:00:00Z", "a", "s", "TLS1.0");
	v = tf_report_clients_sorted(r);
	a = tf_report_agents_of(r, v[0]);
	free(v);
	ASSERT(a != NULL);
	ASSERT_EQ(a->uas.n, TF_REPORT_UA_LIMIT);
	ASSERT_EQ(a->uas_more, 40 - TF_REPORT_UA_LIMIT);
	out = output_of(r, 0, NULL);
	ASSERT(strstr(out, "       AGENTS     2  agent-00\n"
	    "                  1  agent-01\n") != NULL);
	ASSERT(strstr(out, "agent-15\n                     (+24 more requests "
	    "with other agents)\n") != NULL);
	ASSERT(strstr(out, "agent-16") == NULL);
	free(out);
	out = output_of(r, 1, &n);
	doc = load(out, n);
	cl = json_array_get(get(doc, "clients"), 0);
	ASSERT_EQ(json_array_size(get(cl, "user_agents")), TF_REPORT_UA_LIMIT);
	ASSERT_EQ(num(cl, "user_agents_more"), 24);
	json_decref(doc);
	free(out);
	out = output_of(r, 2, NULL);
	ASSERT(strstr(out, "<br><span class=\"none\">24 more with other "
	    "agents</span></td></tr>") != NULL);
	free(out);
	tf_report_free(r);

	/* An agent is cut to UA_LEN bytes, never inside a character: two
	 * that differ only after the cut are one. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	memset(ua, 'x', sizeof(ua));
	ua[sizeof(ua) - 1] = '\0';
	feed_access(r, "a", "j", ua, 1);
	ua[sizeof(ua) - 2] = 'y';
	feed_access(r, "a", "j", ua, 1);
	memcpy(ua + TF_REPORT_UA_LEN - 1, "\xc3\xa9", 2);
	feed_access(r, "b", "j", ua, 1);
	feed_access(r, "c", "j", "\xc3\xa9", 1);
	feed_record(r, "2026-11-28T10:00:00Z", "a", "s", "TLS1.0");
	feed_record(r, "2026-11-28T10:00:01Z", "b", "s", "TLS1.0");
	v = tf_report_clients_sorted(r);
	a = tf_report_agents_of(r, v[0]);
	ASSERT(a != NULL && a->uas.n == 1);
	e = tf_cset_sorted(&a->uas, tf_cset_order_str);
	ASSERT_EQ(e[0]->len, TF_REPORT_UA_LEN);
	ASSERT_EQ(e[0]->count, 2);
	free(e);
	a = tf_report_agents_of(r, v[1]);
	ASSERT(a != NULL && a->uas.n == 1);
	e = tf_cset_sorted(&a->uas, tf_cset_order_str);
	ASSERT_EQ(e[0]->len, TF_REPORT_UA_LEN - 1);
	ASSERT_EQ(e[0]->s[TF_REPORT_UA_LEN - 2], 'x');
	free(e);
	free(v);
	tf_report_free(r);

	/* Keys longer than UA_KEY_MAX and keys past UA_PAIRS are not kept,
	 * only counted; a key already held still is. */
	r = tf_report_new(TF_REPORT_NO_SINCE);
	memset(ip, '1', sizeof(ip));
	ip[TF_REPORT_UA_KEY_MAX] = '\0';
	feed_access(r, ip, "j", "kept", 1);
	ip[TF_REPORT_UA_KEY_MAX] = '1';
	ip[TF_REPORT_UA_KEY_MAX + 1] = '\0';
	feed_access(r, ip, "j", "dropped", 1);
	feed_access(r, "a", ip, "dropped", 1);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(r->agents.n, 1);
	ASSERT_EQ(c.agents_dropped, 2);
	for (i = 0; i < TF_REPORT_UA_PAIRS + 10; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		feed_access(r, ip, "j", "ua", 1);
	}
	feed_access(r, "10.0.0.0", "j", "ua", 1);
	tf_report_get_counts(r, &c);
	ASSERT_EQ(r->agents.n, TF_REPORT_UA_PAIRS);
	ASSERT_EQ(c.legacy_requests, TF_REPORT_UA_PAIRS + 14);
	/* 2 too long, 11 past the limit (one of them: 10.0.0.0 is held). */
	ASSERT_EQ(c.agents_dropped, 2 + 11);
	ASSERT_EQ(c.malformed, 0);
	snprintf(ip, sizeof(ip), "10.0.%d.%d", (TF_REPORT_UA_PAIRS + 9) / 256,
	    (TF_REPORT_UA_PAIRS + 9) % 256);
	feed_record(r, "2026-11-28T10:00:00Z", ip, "s", "TLS1.0");
	v = tf_report_clients_sorted(r);
	ASSERT(tf_report_agents_of(r, v[0]) == NULL);
	free(v);
	out = output_of(r, 0, NULL);
	ASSERT(strstr(out, "AGENTS") == NULL);
	ASSERT(strstr(out, "\nRequests: 4110 below the floor, 0 at or above "
	    "it\nThe user agents of 13 below the floor were not kept: more "
	    "than 4096 client addresses and JA4s, or one too long\n") != NULL);
	free(out);
	out = output_of(r, 1, &n);
	doc = load(out, n);
	ASSERT_EQ(num(get(doc, "requests"), "agents_not_kept"), 13);
	cl = json_array_get(get(doc, "clients"), 0);
	ASSERT_EQ(json_array_size(get(cl, "user_agents")), 0);
	json_decref(doc);
	free(out);
	tf_report_free(r);
}

/* Runs tf_cli_main with stdout and stderr sent to files in dir. */
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
	return tf_cli_main(argc, argv);
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
	TEST_ENTRY(record_strings),
	TEST_ENTRY(record_lines),
	TEST_ENTRY(records_from_writer),
	TEST_ENTRY(records_huge),
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
	TEST_ENTRY(advice_table),
	TEST_ENTRY(advice_output),
	TEST_ENTRY(request_lines),
	TEST_ENTRY(user_agents),
	TEST_ENTRY(user_agent_bounds),
	TEST_ENTRY(long_lines),
	TEST_ENTRY(main_exit_codes)
)
