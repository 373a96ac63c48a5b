/*
 * libFuzzer driver for report/: the records tlsfloor-report reads. The
 * input is a legacy log, an access log or both mixed: read once line by
 * line through tf_report_feed() (each line in a buffer of exactly its
 * length) and once whole through tf_report_read() from a memory stream,
 * with a --since taken from the first input byte; both readings must
 * count the same, and the user agents stay within their bounds. The three
 * writers (table, JSON, HTML) then write what was counted into memory
 * streams, and the JSON one must be valid JSON.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "html.h"
#include "jsonout.h"
#include "report.h"
#include "text.h"

/* A fixed "now", so that a run is the same every time. */
#define NOW_US INT64_C(1796200000000000)

static void
feed_lines(struct tf_report *r, const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl != NULL ? (size_t)(nl - (data + i)) : size - i;
		char *line = malloc(n > 0 ? n : 1);

		CHECK(line != NULL);
		memcpy(line, data + i, n);
		/* Lines over the limit are malformed without being held
		 * whole, as tf_report_read() does. */
		if (n > TF_REPORT_LINE_MAX)
			CHECK(tf_report_feed(r, line, n) == -1);
		else
			(void)tf_report_feed(r, line, n);
		free(line);
		i += n + 1;
	}
}

static void
write_all(struct tf_report *r)
{
	char *buf;
	size_t len;
	FILE *f;
	json_t *j;
	json_error_t err;

	f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(tf_text_write(r, f) == 0);
	fclose(f);
	free(buf);

	f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(tf_html_write(r, f, NOW_US) == 0);
	fclose(f);
	free(buf);

	f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(tf_jsonout_write(r, f, NOW_US) == 0);
	fclose(f);
	/* Strings from records may hold any byte, NUL too, escaped as
	 * \u0000: valid JSON, which jansson reads everywhere except in an
	 * object key (a client_guess or offered_max counted by value). */
	j = json_loadb(buf, len, JSON_ALLOW_NUL, &err);
	if (j == NULL && strstr(err.text, "NUL byte in object key") == NULL) {
		fprintf(stderr, "JSON output: %s (line %d)\n", err.text,
		    err.line);
		abort();
	}
	CHECK(j == NULL || json_is_object(j));
	json_decref(j);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_report *a, *b;
	struct tf_report_counts ca, cb;
	int64_t since = TF_REPORT_NO_SINCE;
	FILE *f;

	if (size > 0 && data[0] < 0x20) {
		/* A --since 0..31 days before NOW_US. */
		since = NOW_US - (int64_t)data[0] * 86400 * INT64_C(1000000);
		data++;
		size--;
	}
	a = tf_report_new(since);
	feed_lines(a, data, size);
	tf_report_get_counts(a, &ca);

	b = tf_report_new(since);
	if (size > 0) {
		f = fmemopen((void *)(uintptr_t)data, size, "r");
		CHECK(f != NULL);
		CHECK(tf_report_read(b, f, "fuzz") == 0);
		fclose(f);
	}
	tf_report_get_counts(b, &cb);
	CHECK(memcmp(&ca, &cb, sizeof(ca)) == 0);
	CHECK(ca.records + ca.malformed + ca.before_since +
	    ca.handshake_failed + ca.not_tls + ca.other_events +
	    ca.legacy_requests + ca.other_requests == ca.lines);
	CHECK(ca.agents_dropped <= ca.legacy_requests);
	CHECK(b->agents.n <= TF_REPORT_UA_PAIRS);

	write_all(b);
	tf_report_free(a);
	tf_report_free(b);
	return 0;
}
