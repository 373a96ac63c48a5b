/*
 * The HTML page. Every string from a record goes through tf_html_escape;
 * the only markup is the page's own. Addresses and times sit in "nw"
 * cells and spans, which never wrap: a time or an IPv6 address broken at
 * a hyphen or a colon reads as two values.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "common.h"
#include "cset.h"
#include "html.h"
#include "json.h"
#include "report.h"
#include "rfc3339.h"

/* Characters that change how text looks without being seen: C1 controls,
 * zero-width and bidirectional formatting, line separators, BOM. */
static int
cp_invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x61c ||
	    (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	    (cp >= 0xfff9 && cp <= 0xfffb);
}

void
tf_html_escape(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		unsigned char c = p[i];

		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				fputc(c, out);
				break;
			}
			l = c >= 0x80 ?
			    tf_json_utf8_decode(p + i, n - i, &cp) : 0;
			if (l == 0) {
				fprintf(out, "\\x%02x", c);
				break;
			}
			if (cp_invisible(cp))
				fprintf(out, "\\u%04x", (unsigned)cp);
			else
				fwrite(p + i, 1, l, out);
			i += l;
			continue;
		}
		i++;
	}
}

static void
html_nstr(FILE *out, const char *s, size_t n, const char *none_word)
{
	if (s == NULL)
		fprintf(out, "<span class=\"none\">%s</span>", none_word);
	else
		tf_html_escape(out, s, n);
}

static void
html_cstr(FILE *out, const char *s)
{
	tf_html_escape(out, s, strlen(s));
}

static const char html_head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<title>tlsfloor legacy-client report</title>\n"
    "<style>\n"
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}\n"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f2f2f2}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    "code{font:12px ui-monospace,monospace;word-break:break-all}\n"
    ".none{color:#888;font-style:italic}.nw{white-space:nowrap}\n"
    ".c0{fill:#6a1b9a;background:#6a1b9a}"
    ".c1{fill:#c62828;background:#c62828}"
    ".c2{fill:#ef6c00;background:#ef6c00}\n"
    ".c3{fill:#f9a825;background:#f9a825}"
    ".c4{fill:#2e7d32;background:#2e7d32}"
    ".c5{fill:#1565c0;background:#1565c0}"
    ".c6{fill:#757575;background:#757575}\n"
    "svg text{font:11px system-ui,sans-serif;fill:#444}\n"
    "svg .axis{stroke:#888}svg .grid{stroke:#e6e6e6}\n"
    "</style>\n</head>\n<body>\n";

/* A bucket start as a short label: the day, the minute or the second,
 * whichever the bucket width calls for. */
static void
bucket_label(int64_t start_s, int64_t size, char *out, size_t outlen)
{
	char t[40];

	tf_rfc3339_format(start_s * TF_US_PER_S, 0, t, sizeof(t));
	if (size >= 86400)
		snprintf(out, outlen, "%.10s", t);
	else if (size >= 60)
		snprintf(out, outlen, "%.5s %.5s", t + 5, t + 11);
	else
		snprintf(out, outlen, "%.8s", t + 11);
}

static void
duration_words(int64_t s, char *out, size_t outlen)
{
	if (s % 86400 == 0)
		snprintf(out, outlen, "%lld day%s", (long long)(s / 86400),
		    s == 86400 ? "" : "s");
	else if (s % 3600 == 0)
		snprintf(out, outlen, "%lld hour%s", (long long)(s / 3600),
		    s == 3600 ? "" : "s");
	else if (s % 60 == 0)
		snprintf(out, outlen, "%lld minute%s", (long long)(s / 60),
		    s == 60 ? "" : "s");
	else
		snprintf(out, outlen, "%lld second%s", (long long)s,
		    s == 1 ? "" : "s");
}

#define SVG_W 960
#define SVG_H 340
#define PLOT_X0 64
#define PLOT_X1 944
#define PLOT_Y0 16
#define PLOT_Y1 270

/* The legend's name of chart category k. */
static const char *
category_name(size_t k)
{
	return k < TF_REPORT_NVERSIONS ? tf_report_versions[k] : "other";
}

/* The chart: stacked bars per bucket, one colour per offered version,
 * drawn as inline SVG with no external reference. */
static void
html_chart(FILE *out, const struct tf_report *r)
{
	const struct tf_report_chart *ch = &r->chart;
	static const uint64_t mantissa[] = { 1, 2, 5 };
	uint64_t maxv = 0, step = 1, pow10 = 1, top, y, tot;
	uint64_t used[TF_REPORT_NCATEGORIES];
	double bw, scale, base, h, x;
	size_t i, k, every;
	char lab[64], words[64];
	int m = 0;

	memset(used, 0, sizeof(used));
	for (i = 0; i < ch->nb; i++) {
		tot = 0;
		for (k = 0; k < TF_REPORT_NCATEGORIES; k++) {
			tot += ch->cnt[i][k];
			used[k] += ch->cnt[i][k];
		}
		if (tot > maxv)
			maxv = tot;
	}
	fprintf(out, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"legacy connections over time by "
	    "offered version\">\n", SVG_W, SVG_H, SVG_W, SVG_H);
	if (ch->nb == 0) {
		fprintf(out, "<text x=\"%d\" y=\"%d\">No legacy-client records"
		    "</text>\n</svg>\n", PLOT_X0, PLOT_Y0 + 40);
		return;
	}
	/* A step of 1, 2 or 5 times a power of ten, five grid lines at most. */
	while (step * 5 < maxv) {
		if (++m == 3) {
			m = 0;
			pow10 *= 10;
		}
		step = mantissa[m] * pow10;
	}
	top = (maxv + step - 1) / step * step;
	scale = (double)(PLOT_Y1 - PLOT_Y0) / (double)top;
	for (y = 0; y <= top; y += step) {
		double yy = PLOT_Y1 - (double)y * scale;

		fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" "
		    "x2=\"%d\" y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%llu</text>\n", PLOT_X0, yy, PLOT_X1,
		    yy, PLOT_X0 - 6, yy + 4, (unsigned long long)y);
	}
	bw = (double)(PLOT_X1 - PLOT_X0) / (double)ch->nb;
	for (i = 0; i < ch->nb; i++) {
		int64_t start = (ch->b0 + (int64_t)i) * ch->size;

		bucket_label(start, ch->size, lab, sizeof(lab));
		x = PLOT_X0 + (double)i * bw;
		base = PLOT_Y1;
		for (k = 0; k < TF_REPORT_NCATEGORIES; k++) {
			if (ch->cnt[i][k] == 0)
				continue;
			h = (double)ch->cnt[i][k] * scale;
			base -= h;
			fprintf(out, "<rect class=\"c%zu\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			    "<title>%s: %s %llu</title></rect>\n", k,
			    x + bw * 0.1, base, bw * 0.8, h, lab,
			    category_name(k),
			    (unsigned long long)ch->cnt[i][k]);
		}
	}
	/* About eight time labels, under the bars they name. */
	every = (ch->nb + 7) / 8;
	for (i = 0; i < ch->nb; i += every) {
		bucket_label((ch->b0 + (int64_t)i) * ch->size, ch->size, lab,
		    sizeof(lab));
		fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" "
		    "x2=\"%.1f\" y2=\"%d\"/><text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">%s</text>\n",
		    PLOT_X0 + ((double)i + 0.5) * bw, PLOT_Y1,
		    PLOT_X0 + ((double)i + 0.5) * bw, PLOT_Y1 + 4,
		    PLOT_X0 + ((double)i + 0.5) * bw, PLOT_Y1 + 18, lab);
	}
	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\"/>\n", PLOT_X0, PLOT_Y1, PLOT_X1, PLOT_Y1);
	x = PLOT_X0;
	for (k = 0; k < TF_REPORT_NCATEGORIES; k++) {
		if (used[k] == 0)
			continue;
		fprintf(out, "<rect class=\"c%zu\" x=\"%.1f\" y=\"%d\" "
		    "width=\"12\" height=\"12\"/><text x=\"%.1f\" y=\"%d\">"
		    "%s (%llu)</text>\n", k, x, PLOT_Y1 + 36, x + 16,
		    PLOT_Y1 + 46, category_name(k),
		    (unsigned long long)used[k]);
		x += 130;
	}
	duration_words(ch->size, words, sizeof(words));
	fprintf(out, "<text x=\"%d\" y=\"%d\">one bar per %s (UTC)</text>\n",
	    PLOT_X0, PLOT_Y1 + 64, words);
	fputs("</svg>\n", out);
}

static void
html_totals(FILE *out, const char *title, const char *what,
    const struct tf_cset *cs, tf_cset_order *cmp)
{
	struct tf_cset_entry **v = tf_cset_sorted(cs, cmp);
	size_t i;

	fprintf(out, "<h2>%s</h2>\n<table>\n<tr><th>%s</th><th>records"
	    "</th></tr>\n", title, what);
	for (i = 0; i < cs->n; i++) {
		fputs("<tr><td><code>", out);
		tf_html_escape(out, v[i]->s, v[i]->len);
		fprintf(out, "</code></td><td class=\"n\">%llu</td></tr>\n",
		    (unsigned long long)v[i]->count);
	}
	fputs("</table>\n", out);
	free(v);
}

/* The strings of a set, one a line with its count, in order, then how
 * many records did not fit (more, "with other WHAT"). */
static void
html_set(FILE *out, const struct tf_cset *set, tf_cset_order *order,
    uint64_t more, const char *what)
{
	struct tf_cset_entry **e = tf_cset_sorted(set, order);
	size_t k;

	for (k = 0; k < set->n; k++) {
		fputs(k > 0 ? "<br><code>" : "<code>", out);
		html_nstr(out, tf_cset_str(e[k]), e[k]->len, "none");
		fprintf(out, "</code> (%llu)", (unsigned long long)e[k]->count);
	}
	free(e);
	if (more > 0)
		fprintf(out, "<br><span class=\"none\">%llu more with other "
		    "%s</span>", (unsigned long long)more, what);
}

/* The cell of the agents of c's address and JA4, most requests first. */
static void
html_agents(FILE *out, const struct tf_report *r,
    const struct tf_report_client *c)
{
	const struct tf_report_agents *a = tf_report_agents_of(r, c);

	fputs("<td>", out);
	if (a != NULL)
		html_set(out, &a->uas, tf_cset_order_count, a->uas_more,
		    "agents");
	fputs("</td>", out);
}

/* What to upgrade: a row per family of guesses. */
static void
html_advice(FILE *out, const struct tf_report *r)
{
	struct tf_advice_family *f;
	size_t i, k, n;

	fputs("<h2>What to upgrade</h2>\n<table>\n<tr><th>clients</th>"
	    "<th>records</th><th>client guesses</th><th>advice</th></tr>\n",
	    out);
	f = tf_advice_families(&r->by_guess, &n);
	for (i = 0; i < n; i++) {
		fputs("<tr><td>", out);
		html_cstr(out, f[i].advice->family);
		fprintf(out, "</td><td class=\"n\">%llu</td><td>",
		    (unsigned long long)f[i].records);
		for (k = 0; k < f[i].nguesses; k++) {
			if (k > 0)
				fputs("<br>", out);
			tf_html_escape(out, f[i].guesses[k]->s,
			    f[i].guesses[k]->len);
			fprintf(out, " (%llu)",
			    (unsigned long long)f[i].guesses[k]->count);
		}
		fputs("</td><td>", out);
		html_cstr(out, f[i].advice->text);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	tf_advice_families_free(f, n);
}

int
tf_html_write(struct tf_report *r, FILE *out, int64_t now)
{
	struct tf_report_client **v;
	struct tf_cset_entry **e;
	size_t i, k;
	char t1[40], t2[40];

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	fputs(html_head, out);
	fputs("<h1>tlsfloor legacy-client report</h1>\n<p>", out);
	fprintf(out, "%llu legacy_client record%s from %zu distinct "
	    "client%s", (unsigned long long)r->counts.records,
	    r->counts.records == 1 ? "" : "s", r->clients.n,
	    r->clients.n == 1 ? "" : "s");
	if (r->counts.records > 0) {
		tf_rfc3339_format(r->min_us, 0, t1, sizeof(t1));
		tf_rfc3339_format(r->max_us, 0, t2, sizeof(t2));
		fprintf(out, ", <span class=\"nw\">%s</span> to "
		    "<span class=\"nw\">%s</span>", t1, t2);
	}
	fputs(".<br>\n", out);
	if (r->since_us != TF_REPORT_NO_SINCE) {
		tf_rfc3339_format(r->since_us, 0, t1, sizeof(t1));
		fprintf(out, "Since <span class=\"nw\">%s</span>: %llu older "
		    "record%s skipped.<br>\n", t1,
		    (unsigned long long)r->counts.before_since,
		    r->counts.before_since == 1 ? "" : "s");
	}
	fprintf(out, "%llu malformed lines skipped.<br>\nLogs: ",
	    (unsigned long long)r->counts.malformed);
	for (i = 0; i < r->nlogs; i++) {
		fputs(i > 0 ? ", <code>" : "<code>", out);
		html_cstr(out, r->logs[i]);
		fputs("</code>", out);
	}
	tf_rfc3339_format(now, 0, t1, sizeof(t1));
	fprintf(out, ".<br>\nGenerated <span class=\"nw\">%s</span>.</p>\n",
	    t1);

	fputs("<h2>Legacy connections over time, by offered version</h2>\n",
	    out);
	html_chart(out, r);

	fputs("<h2>Clients</h2>\n<table>\n<tr><th>count</th><th>first seen"
	    "</th><th>last seen</th><th>offered max</th><th>client IP</th>"
	    "<th>JA4</th><th>client guess</th><th>SNIs</th><th>actions</th>"
	    "<th>user agents</th></tr>\n", out);
	v = tf_report_clients_sorted(r);
	for (i = 0; i < r->clients.n; i++) {
		struct tf_report_client *c = v[i];

		tf_rfc3339_format(c->first_us, 0, t1, sizeof(t1));
		tf_rfc3339_format(c->last_us, 0, t2, sizeof(t2));
		fprintf(out, "<tr><td class=\"n\">%llu</td><td class=\"nw\">"
		    "%s</td><td class=\"nw\">%s</td><td>",
		    (unsigned long long)c->count, t1, t2);
		html_nstr(out, c->offered.p, c->offered.len, "none");
		fputs("</td><td class=\"nw\"><code>", out);
		html_nstr(out, c->ip.p, c->ip.len, "none");
		fputs("</code></td><td><code>", out);
		html_nstr(out, c->ja4.p, c->ja4.len, "none");
		fputs("</code></td><td>", out);
		html_nstr(out, c->guess.p, c->guess.len, "unknown");
		fputs("</td><td>", out);
		html_set(out, &c->snis, tf_cset_order_str, c->snis_more,
		    "SNIs");
		fputs("</td><td>", out);
		e = tf_cset_sorted(&c->actions, tf_cset_order_count);
		for (k = 0; k < c->actions.n; k++) {
			if (k > 0)
				fputs("<br>", out);
			tf_html_escape(out, e[k]->s, e[k]->len);
			fprintf(out, " %llu", (unsigned long long)e[k]->count);
		}
		free(e);
		fputs("</td>", out);
		html_agents(out, r, c);
		fputs("</tr>\n", out);
	}
	free(v);
	fputs("</table>\n", out);

	html_totals(out, "Totals by offered version", "offered max",
	    &r->by_offered, tf_report_order_version);
	html_totals(out, "Totals by client guess", "client guess",
	    &r->by_guess, tf_cset_order_count);
	html_advice(out, r);
	if (r->counts.handshake_failed + r->counts.not_tls +
	    r->counts.other_events > 0) {
		html_totals(out, "Failed handshakes", "reason",
		    &r->hf_reasons, tf_cset_order_count);
		fprintf(out, "<p>%llu not_tls record%s, %llu record%s of "
		    "other events.</p>\n",
		    (unsigned long long)r->counts.not_tls,
		    r->counts.not_tls == 1 ? "" : "s",
		    (unsigned long long)r->counts.other_events,
		    r->counts.other_events == 1 ? "" : "s");
	}
	if (r->counts.legacy_requests + r->counts.other_requests > 0) {
		fprintf(out, "<h2>Requests</h2>\n<p>%llu request%s below the "
		    "floor, their user agents with the clients above; %llu at "
		    "or above it.",
		    (unsigned long long)r->counts.legacy_requests,
		    r->counts.legacy_requests == 1 ? "" : "s",
		    (unsigned long long)r->counts.other_requests);
		if (r->counts.agents_dropped > 0)
			fprintf(out, " The user agents of %llu below the floor "
			    "were not kept: more than %d client addresses and "
			    "JA4s, or one too long.",
			    (unsigned long long)r->counts.agents_dropped,
			    TF_REPORT_UA_PAIRS);
		fputs("</p>\n", out);
	}
	fputs("</body>\n</html>\n", out);
	return tf_report_flush(out);
}

