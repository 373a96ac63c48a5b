/*
 * Options, the LOGs, and which writers run. Every message names what
 * failed, as "tlsfloor: report: PATH: reason", so that the operator who
 * typed `tlsfloor report` sees the command they typed.
 */
#define _GNU_SOURCE                     /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "cli.h"
#include "common.h"
#include "html.h"
#include "jsonout.h"
#include "report.h"
#include "rfc3339.h"
#include "text.h"

static void
usage(FILE *f)
{
	fputs("usage: tlsfloor report [--html OUT] [--json] [--since TIME] "
	    "LOG...\n"
	    "  LOG           a legacy-log file, or an access-log file for the\n"
	    "                user agents of clients let in below the floor;\n"
	    "                in any order, gzip-compressed or not; - reads\n"
	    "                standard input\n"
	    "  --json        print the report as one JSON document\n"
	    "  --html OUT    also write a self-contained HTML page to OUT\n"
	    "                (- writes it to standard output instead of the"
	    " report)\n"
	    "  --since TIME  count only records at or after TIME: RFC 3339\n"
	    "                (2026-11-28T13:45:01Z, 2026-11-28T14:45:01+01:00,"
	    "\n                2026-11-28) or a duration back from now"
	    " (7d, 12h, 30m, 45s)\n", f);
}

static int
bad_usage(const char *why, const char *arg)
{
	if (why != NULL)
		fprintf(stderr, "tlsfloor: report: %s%s%s\n", why,
		    arg != NULL ? ": " : "", arg != NULL ? arg : "");
	usage(stderr);
	return 2;
}

/*
 * A LOG as a stream of its text, whether logrotate compressed it or not:
 * zlib reads a gzip file's contents and any other file as it is. A read
 * error or corrupt data ends the stream with ferror(), its reason kept.
 */
struct gzlog {
	gzFile gz;
	const char *why;                /* NULL: errno says */
};

static ssize_t
gzlog_read(void *cookie, char *buf, size_t n)
{
	struct gzlog *g = cookie;
	int got, zerr;

	if (n > INT_MAX)
		n = INT_MAX;
	got = gzread(g->gz, buf, (unsigned)n);
	if (got <= 0) {
		/* A stream cut short ends in Z_BUF_ERROR, not in -1. gzerror()'s
		 * own text names "<fd:N>", not the LOG. */
		(void)gzerror(g->gz, &zerr);
		if (got == 0 && zerr == Z_OK)
			return 0;
		g->why = zerr == Z_ERRNO ? NULL :
		    zerr == Z_BUF_ERROR ? "unexpected end of file" :
		    zerr == Z_MEM_ERROR ? "out of memory" : "corrupt gzip data";
		return -1;
	}
	return got;
}

/* Reads one LOG ("-": stdin) into r; 0, or -1 after saying why. */
static int
read_log(struct tf_report *r, const char *path)
{
	static const cookie_io_functions_t io = { .read = gzlog_read };
	struct gzlog g = { NULL, NULL };
	int fd = 0, rc;
	FILE *f;

	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "tlsfloor: report: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	/* gzdopen() owns fd from here; stdin is read through a copy. */
	if ((fd == 0 && (fd = dup(0)) == -1) ||
	    (g.gz = gzdopen(fd, "r")) == NULL ||
	    (f = fopencookie(&g, "r", io)) == NULL) {
		fprintf(stderr, "tlsfloor: report: %s: %s\n", path,
		    strerror(errno != 0 ? errno : ENOMEM));
		if (g.gz != NULL)
			gzclose(g.gz);
		else if (fd != -1)
			close(fd);
		return -1;
	}
	rc = tf_report_read(r, f, path);
	if (rc != 0)
		fprintf(stderr, "tlsfloor: report: %s: %s\n", path,
		    g.why != NULL ? g.why : strerror(errno));
	fclose(f);
	gzclose(g.gz);
	return rc;
}

/* Writes the HTML page to path ("-": stdout); 0, or -1 after saying why. */
static int
write_html_file(struct tf_report *r, const char *path, int64_t now)
{
	FILE *f = stdout;
	int rc;

	if (strcmp(path, "-") != 0) {
		f = fopen(path, "w");
		if (f == NULL) {
			fprintf(stderr, "tlsfloor: report: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
	}
	rc = tf_html_write(r, f, now);
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "tlsfloor: report: %s: %s\n",
		    f == stdout ? "stdout" : path, strerror(errno));
	return rc;
}

int
tf_cli_main(int argc, char **argv)
{
	const char *html = NULL, *since = NULL, **logs;
	struct tf_report *r;
	int64_t now = tf_rfc3339_now(), since_us = TF_REPORT_NO_SINCE;
	int json = 0, i, nlogs = 0, opts = 1, rc = 0;

	logs = tf_xcalloc((size_t)argc, sizeof(*logs));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts || a[0] != '-' || strcmp(a, "-") == 0) {
			logs[nlogs++] = a;
		} else if (strcmp(a, "--") == 0) {
			opts = 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			free(logs);
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--html") == 0 ||
		    strncmp(a, "--html=", 7) == 0) {
			if (html != NULL) {
				rc = bad_usage("--html given twice", NULL);
				break;
			}
			if (a[6] == '=') {
				html = a + 7;
			} else if (i + 1 < argc) {
				html = argv[++i];
			} else {
				rc = bad_usage("--html needs a file name",
				    NULL);
				break;
			}
			if (html[0] == '\0') {
				rc = bad_usage("--html needs a file name",
				    NULL);
				break;
			}
		} else if (strcmp(a, "--since") == 0 ||
		    strncmp(a, "--since=", 8) == 0) {
			if (since != NULL) {
				rc = bad_usage("--since given twice", NULL);
				break;
			}
			if (a[7] == '=') {
				since = a + 8;
			} else if (i + 1 < argc) {
				since = argv[++i];
			} else {
				rc = bad_usage("--since needs a time", NULL);
				break;
			}
			if (tf_rfc3339_parse_since(since, now, &since_us) !=
			    0) {
				rc = bad_usage("--since: not an RFC 3339 time "
				    "or a duration like 7d, 12h, 30m, 45s",
				    since);
				break;
			}
		} else {
			rc = bad_usage("unknown option", a);
			break;
		}
	}
	if (rc == 0 && nlogs == 0)
		rc = bad_usage("no LOG given", NULL);
	if (rc == 0 && json && html != NULL && strcmp(html, "-") == 0)
		rc = bad_usage("--json and --html - both want standard output",
		    NULL);
	if (rc != 0) {
		free(logs);
		return rc;
	}

	r = tf_report_new(since_us);
	for (i = 0; i < nlogs && rc == 0; i++)
		if (read_log(r, logs[i]) != 0)
			rc = 1;
	if (rc == 0 && html != NULL && write_html_file(r, html, now) != 0)
		rc = 1;
	if (rc == 0 && (html == NULL || strcmp(html, "-") != 0)) {
		if ((json ? tf_jsonout_write(r, stdout, now) :
		    tf_text_write(r, stdout)) != 0) {
			fprintf(stderr, "tlsfloor: report: stdout: %s\n",
			    strerror(errno));
			rc = 1;
		}
	}
	tf_report_free(r);
	free(logs);
	return rc;
}
