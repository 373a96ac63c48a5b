/*
 * The lexical half of the configuration language (SPEC.md), internal to
 * config.c: files read line by line, each line split into words, quotes
 * and escapes, `include GLOB`, paths relative to the file that names them,
 * and "FILE:LINE: message" errors. It knows no directive: each line's
 * words go to the caller's callback, which is where config.c's directive
 * table takes over. Nothing here includes config.h.
 */
#ifndef TF_CONFIG_PARSE_H
#define TF_CONFIG_PARSE_H

#include <stddef.h>

#include "common.h"

/* At most this many nested includes below the main file. */
#define TF_CONFIG_INCLUDE_DEPTH 16

/* The words of one line; argv[0] is the directive name. */
struct tf_config_args {
	char **argv;            /* into the line being parsed */
	unsigned char *quoted;  /* quoted[i]: argv[i] had quotes in it */
	size_t argc;
	size_t cap;             /* entries allocated in argv and quoted */
};

struct tf_config_parse;

/*
 * Called for each line that has at least one word, with p->file and
 * p->line at that line; the words live until the call returns. Returns 0,
 * or -1 with the error set (the parse then stops).
 */
typedef int tf_config_line_cb(struct tf_config_parse *p,
    const struct tf_config_args *a);

/*
 * Called after the last line of each file (an included one too), with
 * p->file and p->depth still those of that file. Returns 0, or -1 with
 * the error set.
 */
typedef int tf_config_end_cb(struct tf_config_parse *p);

/*
 * The state of one parse. The caller embeds it in its own state, which
 * its callbacks reach with tf_container_of().
 */
struct tf_config_parse {
	char *err;              /* the caller's message buffer; may be NULL */
	size_t errlen;
	const char *file;       /* the file being read (in files), or NULL */
	int line;               /* its line being parsed; 0 before the first */
	int depth;              /* include nesting; the main file is 0 */
	char **files;           /* every file read, each once, in the order
	                         * first read; the caller owns and frees the
	                         * array and its strings */
	size_t nfiles;
	tf_config_line_cb *line_cb;
	tf_config_end_cb *end_cb; /* may be NULL */
};

/* Starts a parse with no file read yet; err (if any) is emptied. */
void tf_config_parse_init(struct tf_config_parse *p, char *err,
    size_t errlen, tf_config_line_cb *line_cb, tf_config_end_cb *end_cb);

/*
 * Reads the main file, calling the callbacks for it and for every file it
 * includes. Returns 0, or -1 with the error set: "FILE: cannot open: why"
 * when the file itself cannot be read, else at the place of the problem.
 * Callbacks may call tf_config_parse_include(), not this.
 */
int tf_config_parse_file(struct tf_config_parse *p, const char *path);

/*
 * `include PATTERN`, from a line callback: reads each file that pattern
 * (relative to the current file's folder) matches, in glob(3)'s sorted
 * order, one level deeper. A pattern with wildcards that matches nothing
 * is fine; a plain name that does not exist is an error. kw is the
 * directive's name, for messages. Returns 0, or -1 with the error set.
 */
int tf_config_parse_include(struct tf_config_parse *p, const char *kw,
    const char *pattern);

/*
 * Splits one line in place into a: blanks separate words, "..." holds
 * blanks (with \" and \\ as escapes), '#' outside quotes starts a comment.
 * a's arrays grow as needed; the caller frees a->argv and a->quoted.
 * Returns 0 (a->argc may be 0), or -1 with the error set at p->line.
 */
int tf_config_parse_split(struct tf_config_parse *p, char *line,
    struct tf_config_args *a);

/*
 * Returns a malloc'd absolute path for one written in the current file:
 * absolute paths are kept, relative ones are taken from that file's folder
 * and made absolute, so that a later chdir() or reload cannot change what
 * they name.
 */
char *tf_config_parse_path(const struct tf_config_parse *p,
    const char *path);

/*
 * Sets the error to "FILE:LINE: message", "FILE: message" when line is 0,
 * or "message" when file is NULL, cut to fit p->errlen. Returns -1, for
 * "return tf_config_parse_err_at(...);".
 */
int tf_config_parse_err_at(struct tf_config_parse *p, const char *file,
    int line, const char *fmt, ...) TF_PRINTF(4, 5);

/* The same at the line being parsed. */
int tf_config_parse_err(struct tf_config_parse *p, const char *fmt, ...)
    TF_PRINTF(2, 3);

#endif
