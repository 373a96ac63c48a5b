/*
 * `tlsfloor report`: reads legacy-log JSONL files (SPEC "Legacy-client
 * records") and summarises the legacy_client records per distinct client
 * (client_ip + ja4 + client_guess) as a fixed-width table, one JSON
 * document, or a self-contained HTML page with a chart drawn in inline SVG.
 *
 * The module holds its own small, strict JSON parser: a record is read only
 * through it, every line is bounded (TF_REPORT_LINE_MAX) and nesting is
 * bounded (TF_REPORT_JSON_DEPTH), so a hostile or damaged log costs one
 * "malformed" count per bad line and nothing else. Memory grows with the
 * number of distinct clients, never with the length of a line.
 *
 * Nothing here touches libuv or BoringSSL; the daemon never calls it.
 */
#ifndef TF_REPORT_H
#define TF_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

/* The longest line read as a record, without its newline; longer lines are
 * malformed. Records the daemon writes are at most 16 KiB. */
#define TF_REPORT_LINE_MAX 65536

/* The deepest nesting of arrays and objects the JSON parser accepts. */
#define TF_REPORT_JSON_DEPTH 32

/* No --since: every record counts. */
#define TF_REPORT_NO_SINCE INT64_MIN

/*
 * Entry point for `tlsfloor report ...`; argv[0] is "report". Returns the
 * process exit status: 0 (malformed lines do not change it), 1 when a LOG
 * cannot be opened or read or an output cannot be written (a
 * "tlsfloor: report: PATH: reason" line on stderr), 2 on bad usage (usage
 * on stderr). Not re-entrant: it writes to stdout and stderr.
 */
int tf_report_main(int argc, char **argv);

/*
 * The JSON parser.
 */

enum tf_report_jtype {
	TF_REPORT_JNULL = 0,
	TF_REPORT_JFALSE,
	TF_REPORT_JTRUE,
	TF_REPORT_JNUMBER,
	TF_REPORT_JSTRING,
	TF_REPORT_JARRAY,
	TF_REPORT_JOBJECT
};

/* One value of a parsed document. Every pointer points into the document
 * that holds the value and lives as long as it. */
struct tf_report_jv {
	enum tf_report_jtype type;
	const char *key;        /* member name inside an object, else NULL */
	size_t keylen;          /* its length (a name may hold a NUL) */
	const char *str;        /* JSTRING: the decoded UTF-8, NUL-terminated */
	size_t len;             /* its length, which may hold NULs */
	double num;             /* JNUMBER: the value */
	size_t nchild;          /* JARRAY/JOBJECT: number of children */
	struct tf_report_jv *child; /* first element or member, or NULL */
	struct tf_report_jv *next;  /* next sibling, in document order */
};

struct tf_report_jblock;

/* A parsed document; all zero before the first parse. */
struct tf_report_json {
	struct tf_report_jv *root;     /* the top-level value, or NULL */
	char *text;                    /* storage of decoded strings */
	size_t text_len;               /* bytes of text used */
	struct tf_report_jblock *blocks; /* storage of values */
	const char *error;             /* static reason of the last failure */
	size_t error_offset;           /* byte offset of that failure */
};

/*
 * Parses exactly one JSON text (RFC 8259) of n bytes at s, with optional
 * whitespace around it: objects, arrays, strings with every escape
 * (\uXXXX surrogate pairs combined; a lone surrogate is an error), numbers
 * in the strict grammar, true, false and null. Raw control bytes in
 * strings, invalid UTF-8, nesting deeper than TF_REPORT_JSON_DEPTH and
 * numbers longer than 500 characters are errors. Duplicate member names are
 * kept (tf_report_json_member finds the first).
 * Returns 0 with doc->root set, or -1 with doc->error and
 * doc->error_offset set. Either way the caller frees doc with
 * tf_report_json_free; doc may be reused after that.
 */
int tf_report_json_parse(struct tf_report_json *doc, const void *s,
    size_t n) TF_WARN_UNUSED;

/* Frees what doc holds and zeroes it. Safe on a zeroed doc. */
void tf_report_json_free(struct tf_report_json *doc);

/* The first member of obj named key (NUL-free), or NULL when obj is not
 * an object or has no such member. */
const struct tf_report_jv *tf_report_json_member(
    const struct tf_report_jv *obj, const char *key);

/*
 * Times. Internally a time is microseconds since 1970-01-01T00:00:00Z.
 */

/*
 * Parses an RFC 3339 date-time of n bytes at s: YYYY-MM-DD, 'T' (or 't' or
 * one space), hh:mm:ss, an optional fraction of any length (kept to the
 * microsecond), then 'Z' (or 'z') or +hh:mm / -hh:mm. Second 60 (a leap
 * second) is accepted and counts as the next second. Returns 0 and sets
 * *us, or -1 when s is not such a time.
 */
int tf_report_parse_time(const char *s, size_t n, int64_t *us)
    TF_WARN_UNUSED;

/*
 * Parses a --since argument: an RFC 3339 date-time, a bare RFC 3339 date
 * (midnight UTC), or a duration back from now_us made of one or more
 * NUMBER UNIT groups with units d (86400 s), h, m and s ("7d", "12h",
 * "1h30m"; at most 100 years in total). Returns 0 and sets *us, or -1.
 */
int tf_report_parse_since(const char *s, int64_t now_us, int64_t *us)
    TF_WARN_UNUSED;

/* Writes us as "YYYY-MM-DDThh:mm:ss.mmmZ" (ms_digits 3) or
 * "YYYY-MM-DDThh:mm:ssZ" (ms_digits 0) into out. */
void tf_report_format_time(int64_t us, int ms_digits, char *out,
    size_t outlen);

/*
 * The aggregation.
 */

struct tf_report;

/* What was read, for callers and tests. */
struct tf_report_counts {
	uint64_t lines;            /* non-blank lines read */
	uint64_t records;          /* legacy_client records counted */
	uint64_t clients;          /* distinct clients among them */
	uint64_t malformed;        /* lines skipped as malformed */
	uint64_t before_since;     /* valid records older than --since */
	uint64_t handshake_failed; /* handshake_failed records counted */
	uint64_t not_tls;          /* not_tls records counted */
	uint64_t other_events;     /* valid records of any other event */
};

/* A new, empty report that counts records at or after since_us
 * (TF_REPORT_NO_SINCE: all). Aborts on OOM. Free with tf_report_free. */
struct tf_report *tf_report_new(int64_t since_us);
void tf_report_free(struct tf_report *r);

/*
 * Reads one line (n bytes at line, without its newline; a trailing CR is
 * ignored as whitespace). Blank lines are ignored. Returns 0 when the line
 * was a valid record (counted, or skipped as older than --since or as
 * another event), -1 when it was malformed (and counted as such).
 */
int tf_report_feed(struct tf_report *r, const char *line, size_t n);

/*
 * Reads every line of f until EOF through tf_report_feed; a line longer
 * than TF_REPORT_LINE_MAX is one malformed line and is never held whole.
 * Records name (used in the JSON and HTML output). Returns 0, or -1 with
 * errno set on a read error.
 */
int tf_report_read(struct tf_report *r, FILE *f, const char *name)
    TF_WARN_UNUSED;

void tf_report_get_counts(const struct tf_report *r,
    struct tf_report_counts *c);

/*
 * Writers. Each returns 0, or -1 when writing to out failed (errno set).
 * now_us is the time the report says it was generated.
 */
int tf_report_write_text(struct tf_report *r, FILE *out) TF_WARN_UNUSED;
int tf_report_write_json(struct tf_report *r, FILE *out, int64_t now_us)
    TF_WARN_UNUSED;
int tf_report_write_html(struct tf_report *r, FILE *out, int64_t now_us)
    TF_WARN_UNUSED;

/* Writes n bytes at s as HTML text, safe in element content and in quoted
 * attribute values: & < > " ' become references, control bytes and bytes
 * that are not UTF-8 become U+FFFD-free visible escapes ("\x01"). */
void tf_report_html_escape(FILE *out, const char *s, size_t n);

#endif
