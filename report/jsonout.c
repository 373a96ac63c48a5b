/*
 * The JSON document, written by hand rather than built as a jansson tree:
 * its layout (one client a line) and its escaping (pure ASCII) are part of
 * what operators and scripts already read, so new members are only ever
 * added, after the old ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "common.h"
#include "cset.h"
#include "json.h"
#include "jsonout.h"
#include "report.h"
#include "rfc3339.h"

/*
 * Writes n bytes at s as a JSON string (s NULL: null). The output is pure
 * ASCII: every other code point is a \uXXXX escape (a surrogate pair above
 * U+FFFF), so the document means the same and a terminal showing it sees
 * no bidi or control characters. Strings from records are valid UTF-8
 * (jansson saw to it); a byte that is not (a log's file name may hold
 * any) becomes U+00XX, as tf_json_escape does for records.
 */
static void
json_str(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			fputc(c, out);
			i++;
			continue;
		}
		l = c >= 0x80 ? tf_json_utf8_decode(p + i, n - i, &cp) : 0;
		if (l == 0) {
			cp = c;
			l = 1;
		}
		i += l;
		if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\r')
			fputs("\\r", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp > 0xffff)
			fprintf(out, "\\u%04x\\u%04x",
			    (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
			    (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
		else
			fprintf(out, "\\u%04x", (unsigned)cp);
	}
	fputc('"', out);
}

static void
json_cstr(FILE *out, const char *s)
{
	json_str(out, s, s != NULL ? strlen(s) : 0);
}

static void
json_time(FILE *out, int64_t us)
{
	char t[40];

	tf_rfc3339_format(us, 1, t, sizeof(t));
	json_cstr(out, t);
}

/* A set's value for one entry: its count, or the advice for its guess. */
typedef void json_value_fn(FILE *out, const struct tf_cset_entry *e);

static void
value_count(FILE *out, const struct tf_cset_entry *e)
{
	fprintf(out, "%llu", (unsigned long long)e->count);
}

static void
value_advice(FILE *out, const struct tf_cset_entry *e)
{
	json_cstr(out, tf_advice_find(tf_cset_str(e), e->len)->text);
}

/* {"name":value,...}; names never repeat: they are distinct strings. */
static void
json_object(FILE *out, const struct tf_cset *cs, tf_cset_order *cmp,
    json_value_fn *value)
{
	struct tf_cset_entry **v = tf_cset_sorted(cs, cmp);
	size_t i;

	fputc('{', out);
	for (i = 0; i < cs->n; i++) {
		if (i > 0)
			fputs(", ", out);
		json_str(out, v[i]->s, v[i]->len);
		fputs(": ", out);
		value(out, v[i]);
	}
	fputc('}', out);
	free(v);
}

static void
json_counts(FILE *out, const struct tf_cset *cs, tf_cset_order *cmp)
{
	json_object(out, cs, cmp, value_count);
}

/* {"guess":"advice",...}, in the order of json_counts over the same set,
 * so that each guess of the totals has its sentence. */
static void
json_advice(FILE *out, const struct tf_cset *cs)
{
	json_object(out, cs, tf_cset_order_count, value_advice);
}

/* The strings of a set as a JSON array, in order. */
static void
json_strs(FILE *out, const struct tf_cset *set, tf_cset_order *order)
{
	struct tf_cset_entry **e = tf_cset_sorted(set, order);
	size_t k;

	fputc('[', out);
	for (k = 0; k < set->n; k++) {
		if (k > 0)
			fputs(", ", out);
		json_str(out, tf_cset_str(e[k]), e[k]->len);
	}
	fputc(']', out);
	free(e);
}

/* "user_agents": the agents of c's address and JA4, most requests first;
 * "user_agents_more": the requests whose agent did not fit. */
static void
json_agents(FILE *out, const struct tf_report *r,
    const struct tf_report_client *c)
{
	const struct tf_report_agents *a = tf_report_agents_of(r, c);

	fputs(", \"user_agents\": ", out);
	if (a != NULL)
		json_strs(out, &a->uas, tf_cset_order_count);
	else
		fputs("[]", out);
	fprintf(out, ", \"user_agents_more\": %llu",
	    (unsigned long long)(a != NULL ? a->uas_more : 0));
}

int
tf_jsonout_write(struct tf_report *r, FILE *out, int64_t now)
{
	struct tf_report_client **v;
	size_t i;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	fputs("{\n  \"generated\": ", out);
	json_time(out, now);
	fputs(",\n  \"since\": ", out);
	if (r->since_us != TF_REPORT_NO_SINCE)
		json_time(out, r->since_us);
	else
		fputs("null", out);
	fputs(",\n  \"logs\": [", out);
	for (i = 0; i < r->nlogs; i++) {
		if (i > 0)
			fputs(", ", out);
		json_cstr(out, r->logs[i]);
	}
	fprintf(out, "],\n  \"records\": %llu,\n  \"malformed\": %llu,\n"
	    "  \"skipped_before_since\": %llu,\n  \"first_seen\": ",
	    (unsigned long long)r->counts.records,
	    (unsigned long long)r->counts.malformed,
	    (unsigned long long)r->counts.before_since);
	if (r->counts.records > 0)
		json_time(out, r->min_us);
	else
		fputs("null", out);
	fputs(",\n  \"last_seen\": ", out);
	if (r->counts.records > 0)
		json_time(out, r->max_us);
	else
		fputs("null", out);

	fputs(",\n  \"clients\": [", out);
	v = tf_report_clients_sorted(r);
	for (i = 0; i < r->clients.n; i++) {
		struct tf_report_client *c = v[i];

		fputs(i > 0 ? ",\n    {" : "\n    {", out);
		fputs("\"client_ip\": ", out);
		json_str(out, c->ip.p, c->ip.len);
		fputs(", \"ja4\": ", out);
		json_str(out, c->ja4.p, c->ja4.len);
		fputs(", \"client_guess\": ", out);
		json_str(out, c->guess.p, c->guess.len);
		fprintf(out, ", \"count\": %llu, \"first_seen\": ",
		    (unsigned long long)c->count);
		json_time(out, c->first_us);
		fputs(", \"last_seen\": ", out);
		json_time(out, c->last_us);
		fputs(", \"offered_max\": ", out);
		json_str(out, c->offered.p, c->offered.len);
		fputs(", \"snis\": ", out);
		json_strs(out, &c->snis, tf_cset_order_str);
		fprintf(out, ", \"snis_more\": %llu, \"actions\": ",
		    (unsigned long long)c->snis_more);
		json_counts(out, &c->actions, tf_cset_order_count);
		fputs(", \"advice\": ", out);
		json_cstr(out, tf_advice_find(c->guess.p, c->guess.len)->text);
		json_agents(out, r, c);
		fputc('}', out);
	}
	free(v);
	fputs(r->clients.n > 0 ? "\n  ],\n" : "],\n", out);

	fputs("  \"totals\": {\n    \"offered\": ", out);
	json_counts(out, &r->by_offered, tf_report_order_version);
	fputs(",\n    \"guess\": ", out);
	json_counts(out, &r->by_guess, tf_cset_order_count);
	fputs(",\n    \"action\": ", out);
	json_counts(out, &r->by_action, tf_cset_order_count);
	fputs(",\n    \"guess_advice\": ", out);
	json_advice(out, &r->by_guess);
	fprintf(out, "\n  },\n  \"other_events\": {\"handshake_failed\": %llu,"
	    " \"handshake_failed_reasons\": ",
	    (unsigned long long)r->counts.handshake_failed);
	json_counts(out, &r->hf_reasons, tf_cset_order_count);
	fprintf(out, ", \"not_tls\": %llu, \"other\": %llu},\n"
	    "  \"requests\": {\"legacy\": %llu, \"other\": %llu, "
	    "\"agents_not_kept\": %llu}\n}\n",
	    (unsigned long long)r->counts.not_tls,
	    (unsigned long long)r->counts.other_events,
	    (unsigned long long)r->counts.legacy_requests,
	    (unsigned long long)r->counts.other_requests,
	    (unsigned long long)r->counts.agents_dropped);
	return tf_report_flush(out);
}

