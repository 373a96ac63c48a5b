/*
 * The plain table: every string through plain_str, so the output is
 * printable ASCII whatever a record holds. The advice is the table's own
 * ASCII and is only wrapped.
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
#include "report.h"
#include "rfc3339.h"
#include "text.h"

/*
 * Writes n bytes at s for a terminal (out NULL: only measures) and returns
 * the columns used. Printable ASCII stays; a backslash doubles; control
 * bytes, DEL and bytes that are not UTF-8 become \xNN; every other code
 * point becomes \uXXXX, so the output is pure ASCII and a record cannot
 * drive the terminal.
 */
static size_t
plain_str(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, w = 0, l;
	uint32_t cp;
	char tmp[16];

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			if (out != NULL) {
				if (p[i] == '\\')
					fputc('\\', out);
				fputc(p[i], out);
			}
			w += p[i] == '\\' ? 2 : 1;
			i++;
			continue;
		}
		l = p[i] >= 0x80 ? tf_json_utf8_decode(p + i, n - i, &cp) : 0;
		if (l == 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
			i++;
		} else {
			snprintf(tmp, sizeof(tmp), cp > 0xffff ? "\\U%08x" :
			    "\\u%04x", (unsigned)cp);
			i += l;
		}
		if (out != NULL)
			fputs(tmp, out);
		w += strlen(tmp);
	}
	return w;
}

/* A nullable string for a terminal, as none_word when null. */
static size_t
plain_nstr(FILE *out, const char *s, size_t n, const char *none_word)
{
	if (s == NULL) {
		if (out != NULL)
			fputs(none_word, out);
		return strlen(none_word);
	}
	return plain_str(out, s, n);
}

static void
pad(FILE *out, size_t used, size_t width)
{
	for (; used < width; used++)
		fputc(' ', out);
}

static void
text_totals(FILE *out, const char *title, const struct tf_cset *cs,
    tf_cset_order *cmp)
{
	struct tf_cset_entry **v = tf_cset_sorted(cs, cmp);
	size_t i, w = 8;

	fprintf(out, "\n%s\n", title);
	for (i = 0; i < cs->n; i++) {
		size_t ew = plain_str(NULL, v[i]->s, v[i]->len);

		if (ew > w && ew <= 60)
			w = ew;
	}
	for (i = 0; i < cs->n; i++) {
		fputs("  ", out);
		pad(out, plain_str(out, v[i]->s, v[i]->len), w);
		fprintf(out, "  %8llu\n", (unsigned long long)v[i]->count);
	}
	if (cs->n == 0)
		fputs("  (none)\n", out);
	free(v);
}

/* The agents of c's address and JA4, most requests first, one a line
 * under its SNIs and actions. */
static void
text_agents(FILE *out, const struct tf_report *r,
    const struct tf_report_client *c)
{
	const struct tf_report_agents *a = tf_report_agents_of(r, c);
	struct tf_cset_entry **e;
	size_t k;

	if (a == NULL)
		return;
	e = tf_cset_sorted(&a->uas, tf_cset_order_count);
	for (k = 0; k < a->uas.n; k++) {
		fprintf(out, "%s%5llu  ", k == 0 ? "       AGENTS " :
		    "              ", (unsigned long long)e[k]->count);
		plain_nstr(out, tf_cset_str(e[k]), e[k]->len, "(none)");
		fputc('\n', out);
	}
	free(e);
	/* Only a full set turns agents away, so this is never the first
	 * line. */
	if (a->uas_more > 0)
		fprintf(out, "                     (+%llu more request%s with "
		    "other agents)\n", (unsigned long long)a->uas_more,
		    a->uas_more == 1 ? "" : "s");
}

#define WRAP_WIDTH 76

/* Writes the ASCII sentence s in lines of at most WRAP_WIDTH columns,
 * broken at spaces, each after indent columns (the first line's already
 * written). A word longer than a line stays whole. */
static void
wrap(FILE *out, const char *s, size_t indent)
{
	size_t col = indent, w;

	while (*s != '\0') {
		w = strcspn(s, " ");
		if (col > indent && col + 1 + w > WRAP_WIDTH) {
			fputc('\n', out);
			pad(out, 0, indent);
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(s, 1, w, out);
		col += w;
		s += w;
		s += strspn(s, " ");
	}
	fputc('\n', out);
}

/* What to upgrade: per family of guesses, its records, the guesses
 * counted under it and what to do. */
static void
text_advice(FILE *out, const struct tf_report *r)
{
	struct tf_advice_family *f;
	size_t i, k, n;

	fputs("\nWhat to upgrade\n", out);
	f = tf_advice_families(&r->by_guess, &n);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s  %s: %llu record%s\n", i > 0 ? "\n" : "",
		    f[i].advice->family, (unsigned long long)f[i].records,
		    f[i].records == 1 ? "" : "s");
		for (k = 0; k < f[i].nguesses; k++) {
			fputs(k == 0 ? "    seen as  " : "             ", out);
			plain_str(out, f[i].guesses[k]->s,
			    f[i].guesses[k]->len);
			fprintf(out, ": %llu\n",
			    (unsigned long long)f[i].guesses[k]->count);
		}
		fputs("    advice   ", out);
		wrap(out, f[i].advice->text, 13);
	}
	if (n == 0)
		fputs("  (none)\n", out);
	tf_advice_families_free(f, n);
}

int
tf_text_write(struct tf_report *r, FILE *out)
{
	struct tf_report_client **v;
	struct tf_cset_entry **e;
	size_t i, k, wip = 9, wja4 = 3, woff = 7, w;
	char t1[40], t2[40];

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	v = tf_report_clients_sorted(r);
	fprintf(out, "tlsfloor report: %llu legacy_client record%s, "
	    "%zu distinct client%s",
	    (unsigned long long)r->counts.records,
	    r->counts.records == 1 ? "" : "s", r->clients.n,
	    r->clients.n == 1 ? "" : "s");
	if (r->counts.records > 0) {
		tf_rfc3339_format(r->min_us, 0, t1, sizeof(t1));
		tf_rfc3339_format(r->max_us, 0, t2, sizeof(t2));
		fprintf(out, ", %s to %s", t1, t2);
	}
	fputc('\n', out);
	if (r->since_us != TF_REPORT_NO_SINCE) {
		tf_rfc3339_format(r->since_us, 0, t1, sizeof(t1));
		fprintf(out, "since %s: %llu older record%s skipped\n", t1,
		    (unsigned long long)r->counts.before_since,
		    r->counts.before_since == 1 ? "" : "s");
	}

	/* Column widths from the data, capped so that one odd value does
	 * not push every row off the screen. */
	for (i = 0; i < r->clients.n; i++) {
		w = plain_str(NULL, v[i]->ip.p, v[i]->ip.len);
		if (w > wip && w <= 45)
			wip = w;
		w = plain_nstr(NULL, v[i]->ja4.p, v[i]->ja4.len, "-");
		if (w > wja4 && w <= 40)
			wja4 = w;
		w = plain_str(NULL, v[i]->offered.p, v[i]->offered.len);
		if (w > woff && w <= 12)
			woff = w;
	}
	if (r->clients.n > 0) {
		fputc('\n', out);
		fprintf(out, "%5s  %-20s  %-20s  ", "COUNT", "FIRST SEEN",
		    "LAST SEEN");
		pad(out, (size_t)fprintf(out, "OFFERED"), woff);
		fputs("  ", out);
		pad(out, (size_t)fprintf(out, "CLIENT IP"), wip);
		fputs("  ", out);
		pad(out, (size_t)fprintf(out, "JA4"), wja4);
		fputs("  CLIENT GUESS\n", out);
	}
	for (i = 0; i < r->clients.n; i++) {
		struct tf_report_client *c = v[i];

		tf_rfc3339_format(c->first_us, 0, t1, sizeof(t1));
		tf_rfc3339_format(c->last_us, 0, t2, sizeof(t2));
		fprintf(out, "%5llu  %-20s  %-20s  ",
		    (unsigned long long)c->count, t1, t2);
		pad(out, plain_str(out, c->offered.p, c->offered.len), woff);
		fputs("  ", out);
		pad(out, plain_str(out, c->ip.p, c->ip.len), wip);
		fputs("  ", out);
		pad(out, plain_nstr(out, c->ja4.p, c->ja4.len, "-"), wja4);
		fputs("  ", out);
		plain_nstr(out, c->guess.p, c->guess.len, "unknown");
		fputc('\n', out);

		e = tf_cset_sorted(&c->snis, tf_cset_order_str);
		fputs("       SNI      ", out);
		for (k = 0; k < c->snis.n; k++) {
			if (k > 0)
				fputs(", ", out);
			plain_nstr(out, tf_cset_str(e[k]), e[k]->len,
			    "(none)");
		}
		if (c->snis_more > 0)
			fprintf(out, " (+%llu more record%s with other SNIs)",
			    (unsigned long long)c->snis_more,
			    c->snis_more == 1 ? "" : "s");
		fputc('\n', out);
		free(e);

		e = tf_cset_sorted(&c->actions, tf_cset_order_count);
		fputs("       ACTIONS  ", out);
		for (k = 0; k < c->actions.n; k++) {
			if (k > 0)
				fputs(", ", out);
			plain_str(out, e[k]->s, e[k]->len);
			fprintf(out, " %llu",
			    (unsigned long long)e[k]->count);
		}
		fputc('\n', out);
		free(e);
		text_agents(out, r, c);
	}
	free(v);

	text_totals(out, "Totals by offered version", &r->by_offered,
	    tf_report_order_version);
	text_totals(out, "Totals by client guess", &r->by_guess,
	    tf_cset_order_count);
	text_advice(out, r);
	if (r->counts.handshake_failed + r->counts.not_tls +
	    r->counts.other_events > 0) {
		fprintf(out, "\nOther records: %llu handshake_failed",
		    (unsigned long long)r->counts.handshake_failed);
		e = tf_cset_sorted(&r->hf_reasons, tf_cset_order_count);
		for (k = 0; k < r->hf_reasons.n; k++) {
			fputs(k == 0 ? " (" : ", ", out);
			plain_str(out, e[k]->s, e[k]->len);
			fprintf(out, " %llu", (unsigned long long)e[k]->count);
		}
		if (r->hf_reasons.n > 0)
			fputc(')', out);
		free(e);
		fprintf(out, ", %llu not_tls, %llu of other events\n",
		    (unsigned long long)r->counts.not_tls,
		    (unsigned long long)r->counts.other_events);
	}
	if (r->counts.legacy_requests + r->counts.other_requests > 0) {
		fprintf(out, "\nRequests: %llu below the floor, %llu at or "
		    "above it\n", (unsigned long long)r->counts.legacy_requests,
		    (unsigned long long)r->counts.other_requests);
		if (r->counts.agents_dropped > 0)
			fprintf(out, "The user agents of %llu below the floor "
			    "were not kept: more than %d client addresses and "
			    "JA4s, or one too long\n",
			    (unsigned long long)r->counts.agents_dropped,
			    TF_REPORT_UA_PAIRS);
	}
	fprintf(out, "\n%llu malformed lines skipped\n",
	    (unsigned long long)r->counts.malformed);
	return tf_report_flush(out);
}

