/*
 * The aggregation behind tlsfloor-report: reads legacy-log JSONL files
 * (SPEC "Legacy-client records") and counts the legacy_client records per
 * distinct client (client_ip + ja4 + client_guess), with totals, the other
 * events and a time histogram for the chart. Access-log files (SPEC
 * "Access records") may come among them, in any order: a request that
 * came in below the floor ("legacy": true) adds its user agent to those of
 * its client_ip + ja4, which the writers show with the clients of that
 * address and JA4; other requests are only counted. The writers (text.h,
 * jsonout.h, html.h) read what it counted.
 *
 * Each line is parsed with jansson. A line is a record only when it is one
 * JSON object, within TF_REPORT_LINE_MAX, with no member name twice, and
 * the fields the report reads have their types; anything else is one
 * "malformed" count and nothing more, so a hostile or damaged log cannot
 * stop the report. Memory grows with the number of distinct clients, never
 * with the length of a line; what the access log adds is bounded by the
 * TF_REPORT_UA_ constants alone.
 */
#ifndef TF_REPORT_H
#define TF_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "cset.h"

#define TF_REPORT_MAGIC 0x7e9027a1u
#define TF_REPORT_CLIENT_MAGIC 0x7e9027a2u
#define TF_REPORT_AGENTS_MAGIC 0x7e9027a3u

/* The longest line read as a record, without its newline; longer lines are
 * malformed. Records the daemon writes are at most 16 KiB. */
#define TF_REPORT_LINE_MAX 65536

/* No --since: every record counts. */
#define TF_REPORT_NO_SINCE INT64_MIN

/* A client keeps at most this many distinct SNIs: the SNI is the client's
 * to choose, and a scanner that sends a new one each time must not turn
 * one table row into thousands. The rest are counted in snis_more. */
#define TF_REPORT_SNI_LIMIT 32

/* The user agents of legacy requests, kept per client_ip + ja4 and bounded
 * like the SNIs: the agent is the client's to choose. At most UA_LIMIT
 * distinct agents per address and JA4 (the requests of others are counted
 * in uas_more), each cut to UA_LEN bytes at a character boundary (the
 * daemon writes at most 255), for at most UA_PAIRS addresses and JA4s of
 * at most UA_KEY_MAX bytes each (an address is at most 45, a JA4 36); the
 * legacy requests of any other are counted in agents_dropped. */
#define TF_REPORT_UA_LIMIT 16
#define TF_REPORT_UA_LEN 256
#define TF_REPORT_UA_PAIRS 4096
#define TF_REPORT_UA_KEY_MAX 64

/* Versions as SPEC spells them, oldest first (tf_report_versions); a
 * version's index is its chart category, and TF_REPORT_NVERSIONS is the
 * category of any other spelling. */
#define TF_REPORT_NVERSIONS 6
#define TF_REPORT_NCATEGORIES (TF_REPORT_NVERSIONS + 1)

/* The histogram behind the chart has at most this many buckets. */
#define TF_REPORT_CHART_MAX 60

extern const char *const tf_report_versions[TF_REPORT_NVERSIONS];

/* A string from a record: owned bytes plus a NUL, or JSON null. */
struct tf_report_str {
	char *p;                      /* NULL for null */
	size_t len;                   /* length of p, which may hold NULs */
};

/* One distinct client: client_ip + ja4 + client_guess. */
struct tf_report_client {
	unsigned magic;
	uint64_t hash;                /* of the key, for the client table */
	struct tf_report_str ip;      /* the key; never null */
	struct tf_report_str ja4;     /* the key; may be null */
	struct tf_report_str guess;   /* the key; may be null */
	uint64_t count;               /* legacy_client records */
	int64_t first_us, last_us;    /* earliest and latest record time */
	struct tf_report_str offered; /* the newest offered_max seen */
	struct tf_cset snis;          /* distinct SNIs, at most SNI_LIMIT */
	uint64_t snis_more;           /* records whose SNI did not fit */
	struct tf_cset actions;       /* distinct actions with counts */
};

/* The clients, by key: open addressing, linear probing. */
struct tf_report_ctab {
	struct tf_report_client **slot; /* cap slots, NULL when free */
	size_t cap;                   /* a power of two, or 0 */
	size_t n;                     /* clients held */
};

/* The user agents of the legacy requests of one client_ip + ja4. */
struct tf_report_agents {
	unsigned magic;
	uint64_t hash;                /* of the key, for the agent table */
	struct tf_report_str ip;      /* the key; never null */
	struct tf_report_str ja4;     /* the key; may be null */
	struct tf_cset uas;           /* distinct agents (null: none sent)
	                               * with their requests, at most
	                               * UA_LIMIT */
	uint64_t uas_more;            /* requests whose agent did not fit */
};

/* The agents, by key: open addressing, linear probing, at most
 * TF_REPORT_UA_PAIRS of them. */
struct tf_report_atab {
	struct tf_report_agents **slot; /* cap slots, NULL when free */
	size_t cap;                   /* a power of two, or 0 */
	size_t n;                     /* keys held */
};

/* The time histogram behind the chart: at most TF_REPORT_CHART_MAX
 * buckets of `size` seconds, aligned to the epoch, covering every counted
 * legacy_client record; the buckets widen as the span grows. */
struct tf_report_chart {
	int64_t size;                 /* bucket width in seconds */
	int64_t b0;                   /* first bucket, in units of size */
	size_t nb;                    /* buckets in use; 0: empty */
	uint64_t cnt[TF_REPORT_CHART_MAX][TF_REPORT_NCATEGORIES];
	                              /* records per bucket and category */
};

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
	uint64_t legacy_requests;  /* request records with "legacy": true */
	uint64_t other_requests;   /* request records with "legacy": false */
	uint64_t agents_dropped;   /* legacy_requests whose agent had no room:
	                            * UA_PAIRS full, or a key too long */
};

struct tf_report {
	unsigned magic;
	int64_t since_us;             /* TF_REPORT_NO_SINCE: no filter */
	struct tf_report_counts counts; /* clients is kept in clients.n */
	struct tf_report_ctab clients;
	struct tf_report_atab agents; /* from legacy requests */
	struct tf_cset by_offered;    /* legacy_client records per offered */
	struct tf_cset by_guess;      /* ... per guess, null as "unknown" */
	struct tf_cset by_action;     /* ... per action */
	struct tf_cset hf_reasons;    /* handshake_failed records per reason */
	int64_t min_us, max_us;       /* span of the legacy_client records */
	struct tf_report_chart chart;
	char **logs;                  /* names of the inputs read, in order */
	size_t nlogs;
};

/* A new, empty report that counts records at or after since_us
 * (TF_REPORT_NO_SINCE: all). Aborts on OOM. Free with tf_report_free. */
struct tf_report *tf_report_new(int64_t since_us);

/* Frees r and everything it holds; r may be NULL. */
void tf_report_free(struct tf_report *r);

/*
 * Reads one line (n bytes at line, without its newline; a trailing CR is
 * whitespace). Blank lines are ignored. Returns 0 when the line was a
 * valid record (counted, or skipped as older than --since or as another
 * event), -1 when it was malformed (and counted as such). A request
 * record is valid with a boolean "legacy" and, when that is true, a
 * string client_ip and a string or null ja4 and user_agent.
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

/* The clients in a new array of r->clients.n, in report order: count
 * descending, then first seen, then the key. The caller frees the array,
 * never the clients. */
struct tf_report_client **tf_report_clients_sorted(const struct tf_report *r);

/* The agents of the legacy requests with c's client_ip and ja4, or NULL
 * when there were none (or none had room). */
const struct tf_report_agents *tf_report_agents_of(const struct tf_report *r,
    const struct tf_report_client *c);

/* The chart category of an offered_max spelling: its index in
 * tf_report_versions, or TF_REPORT_NVERSIONS when s is null or unknown. */
int tf_report_version_index(const char *s, size_t len);

/* Orders counted versions: known ones oldest first, then other spellings
 * in byte order (a tf_cset_order). */
int tf_report_order_version(const void *a, const void *b);

/* Ends a writer: flushes out and returns 0, or -1 with errno set when
 * anything written to out failed. */
int tf_report_flush(FILE *out) TF_WARN_UNUSED;

#endif
