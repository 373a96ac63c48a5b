/*
 * Unit tests for proxy/config_parse.c on its own, without any directive:
 * word splitting, quotes and escapes, comments, files and their line
 * numbers, includes, relative paths and the "FILE:LINE: message" errors.
 * A recording line callback stands in for config.c. Files go into a
 * mkdtemp() folder under /tmp that is removed when the test exits.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw() */
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_parse.h"
#include "test.h"

static char tmpdir[256];

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates this test's folder (canonical, as errors name it). */
static void
setup(void)
{
	char dir[] = "/tmp/tf-config-parse-test-XXXXXX";
	char *real;

	if (mkdtemp(dir) == NULL)
		TEST_FAIL("mkdtemp: %s", strerror(errno));
	real = realpath(dir, NULL);
	if (real == NULL || strlen(real) >= sizeof(tmpdir))
		TEST_FAIL("realpath: %s", strerror(errno));
	strcpy(tmpdir, real);
	free(real);
	atexit(rm_tmpdir);
}

static const char *at(const char *fmt, ...) TF_PRINTF(1, 2);

/* Returns a static tmpdir + "/" + name (name is a printf format). */
static const char *
at(const char *fmt, ...)
{
	static char out[PATH_MAX];
	char name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s/%s", tmpdir, name);
	return out;
}

/* Writes n bytes of text to tmpdir/name. */
static void
put_n(const char *name, const char *text, size_t n)
{
	const char *path = at("%s", name);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		TEST_FAIL("%s: %s", path, strerror(errno));
	if (fwrite(text, 1, n, f) != n || fclose(f) != 0)
		TEST_FAIL("%s: write failed", path);
}

static void
put(const char *name, const char *text)
{
	put_n(name, text, strlen(text));
}

static void
put_dir(const char *name)
{
	const char *path = at("%s", name);

	if (mkdir(path, 0755) != 0)
		TEST_FAIL("mkdir %s: %s", path, strerror(errno));
}

/* What the callbacks saw, one line of text per call. */
struct rec {
	struct tf_config_parse cp;
	char log[8192];
	int fail_line;   /* the line callback fails on this line; 0: never */
	int fail_end;    /* the end callback fails at this depth; -1: never */
};

static void TF_PRINTF(2, 3)
rec_add(struct rec *r, const char *fmt, ...)
{
	size_t n = strlen(r->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

/* The file name without tmpdir, for short expectations. */
static const char *
short_name(const char *file)
{
	size_t n = strlen(tmpdir);

	if (file != NULL && strncmp(file, tmpdir, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file != NULL ? file : "(null)";
}

/*
 * Logs "NAME:LINE depth D: w1|w2|...\n" (a quoted word in []) and runs
 * `include X` lines through tf_config_parse_include().
 */
static int
rec_line(struct tf_config_parse *cp, const struct tf_config_args *a)
{
	struct rec *r = tf_container_of(cp, struct rec, cp);
	size_t i;

	ASSERT(a->argc > 0);
	rec_add(r, "%s:%d depth %d:", short_name(cp->file), cp->line,
	    cp->depth);
	for (i = 0; i < a->argc; i++)
		rec_add(r, a->quoted[i] ? "%s[%s]" : "%s%s", i ? "|" : " ",
		    a->argv[i]);
	rec_add(r, "\n");
	if (cp->line == r->fail_line)
		return tf_config_parse_err(cp, "callback says no");
	if (strcmp(a->argv[0], "include") == 0 && a->argc == 2)
		return tf_config_parse_include(cp, a->argv[0], a->argv[1]);
	return 0;
}

static int
rec_end(struct tf_config_parse *cp)
{
	struct rec *r = tf_container_of(cp, struct rec, cp);

	rec_add(r, "end %s depth %d\n", short_name(cp->file), cp->depth);
	if (cp->depth == r->fail_end)
		return tf_config_parse_err_at(cp, cp->file, 0, "end says no");
	return 0;
}

static void
rec_init(struct rec *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->fail_end = -1;
	tf_config_parse_init(&r->cp, err, errlen, rec_line, rec_end);
}

static void
rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->cp.nfiles; i++)
		free(r->cp.files[i]);
	free(r->cp.files);
}

/* Parses tmpdir/name, which must succeed; returns the callbacks' log. */
static const char *
parse_ok(struct rec *r, const char *name)
{
	char err[512];

	rec_init(r, err, sizeof(err));
	if (tf_config_parse_file(&r->cp, at("%s", name)) != 0)
		TEST_FAIL("%s: %s", name, err);
	ASSERT_STR_EQ(err, "");
	/* Outside the parse, no file and no line. */
	ASSERT(r->cp.file == NULL);
	ASSERT_EQ(r->cp.line, 0);
	ASSERT_EQ(r->cp.depth, 0);
	return r->log;
}

/*
 * Parses tmpdir/name, which must fail with tmpdir + "/" + expected (or
 * expected alone when it starts with '/' or has no ':').
 */
static void
parse_err(struct rec *r, const char *name, const char *expected)
{
	char err[512], want[PATH_MAX + 512];

	memset(err, 'X', sizeof(err));
	rec_init(r, err, sizeof(err));
	ASSERT_EQ(tf_config_parse_file(&r->cp, at("%s", name)), -1);
	snprintf(want, sizeof(want), "%s/%s", tmpdir, expected);
	ASSERT_STR_EQ(err, want);
	ASSERT(r->cp.file == NULL);
	ASSERT_EQ(r->cp.depth, 0);
}

/*
 * Splits text (at file "f.conf", line 7) and returns its words as
 * "w1|w2|..." with quoted words in [], or the error.
 */
static const char *
split(const char *text)
{
	static char out[4096];
	struct tf_config_args a = { NULL, NULL, 0, 0 };
	struct tf_config_parse p;
	char err[256], *line = strdup(text);
	size_t i, n = 0;

	ASSERT(line != NULL);
	tf_config_parse_init(&p, err, sizeof(err), NULL, NULL);
	p.file = "f.conf";
	p.line = 7;
	out[0] = '\0';
	if (tf_config_parse_split(&p, line, &a) != 0) {
		snprintf(out, sizeof(out), "ERR %s", err);
	} else {
		for (i = 0; i < a.argc; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n,
			    a.quoted[i] ? "%s[%s]" : "%s%s", i ? "|" : "",
			    a.argv[i]);
	}
	free(a.argv);
	free(a.quoted);
	free(line);
	return out;
}

TEST(split_words)
{
	ASSERT_STR_EQ(split("bind 127.0.0.1:0"), "bind|127.0.0.1:0");
	ASSERT_STR_EQ(split("  \tcert\t a.pem   b.key \r\n"),
	    "cert|a.pem|b.key");
	ASSERT_STR_EQ(split("listener edge {\n"), "listener|edge|{");
	ASSERT_STR_EQ(split("}"), "}");
	ASSERT_STR_EQ(split(""), "");
	ASSERT_STR_EQ(split(" \t\r\n"), "");
	/* Every byte but blanks, '"' and '#' belongs to a word. */
	ASSERT_STR_EQ(split("a\\b c'd {x}"), "a\\b|c'd|{x}");
}

TEST(split_comments)
{
	ASSERT_STR_EQ(split("# a comment"), "");
	ASSERT_STR_EQ(split("   #indented"), "");
	ASSERT_STR_EQ(split("workers 2 # two"), "workers|2");
	ASSERT_STR_EQ(split("workers 2# two"), "workers|2");
	/* '#' ends a word even without a blank before it. */
	ASSERT_STR_EQ(split("a#b c"), "a");
	ASSERT_STR_EQ(split("\"a#b\" c"), "[a#b]|c");
	ASSERT_STR_EQ(split("\"a b\"#c"), "[a b]");
}

TEST(split_quotes)
{
	ASSERT_STR_EQ(split("cert \"/a b/c.pem\""), "cert|[/a b/c.pem]");
	ASSERT_STR_EQ(split("\"\""), "[]");
	ASSERT_STR_EQ(split("x \"\" y"), "x|[]|y");
	/* Quotes may hold part of a word; the word is then quoted. */
	ASSERT_STR_EQ(split("ab\"c d\"ef"), "[abc def]");
	ASSERT_STR_EQ(split("\"a\"\"b\""), "[ab]");
	ASSERT_STR_EQ(split("\"}\""), "[}]");
	ASSERT_STR_EQ(split("\"\ttab\""), "[\ttab]");
}

TEST(split_escapes)
{
	ASSERT_STR_EQ(split("\"a\\\"b\""), "[a\"b]");
	ASSERT_STR_EQ(split("\"a\\\\b\""), "[a\\b]");
	ASSERT_STR_EQ(split("\"\\\\\""), "[\\]");
	ASSERT_STR_EQ(split("\"\\\"\""), "[\"]");
	/* Only \" and \\ are escapes; any other backslash is kept. */
	ASSERT_STR_EQ(split("\"a\\nb\""), "[a\\nb]");
	ASSERT_STR_EQ(split("\"a\\\""), "ERR f.conf:7: unterminated quote");
	/* Outside quotes a backslash is an ordinary byte. */
	ASSERT_STR_EQ(split("a\\\\b"), "a\\\\b");
}

TEST(split_unterminated)
{
	ASSERT_STR_EQ(split("\"abc"), "ERR f.conf:7: unterminated quote");
	ASSERT_STR_EQ(split("cert \"a.pem\n"),
	    "ERR f.conf:7: unterminated quote");
	ASSERT_STR_EQ(split("a \"b\" \"c"), "ERR f.conf:7: unterminated quote");
	/* A comment cannot end a quote. */
	ASSERT_STR_EQ(split("\"a # b"), "ERR f.conf:7: unterminated quote");
}

TEST(split_many_words)
{
	struct tf_config_args a = { NULL, NULL, 0, 0 };
	struct tf_config_parse p;
	char line[4096], word[16];
	size_t i, n = 0;

	/* More words than the first allocation, every third one quoted. */
	for (i = 0; i < 500; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    i % 3 == 1 ? " \"%zu\"" : " %zu", i);
	tf_config_parse_init(&p, NULL, 0, NULL, NULL);
	ASSERT_OK(tf_config_parse_split(&p, line, &a));
	ASSERT_EQ(a.argc, 500);
	ASSERT(a.cap >= 500);
	for (i = 0; i < 500; i++) {
		snprintf(word, sizeof(word), "%zu", i);
		ASSERT_STR_EQ(a.argv[i], word);
		ASSERT_EQ(a.quoted[i], i % 3 == 1);
	}
	/* The same args serve the next line, as for every line of a file. */
	strcpy(line, "one");
	ASSERT_OK(tf_config_parse_split(&p, line, &a));
	ASSERT_EQ(a.argc, 1);
	ASSERT_STR_EQ(a.argv[0], "one");
	free(a.argv);
	free(a.quoted);
}

TEST(file_lines)
{
	struct rec r;

	setup();
	put("main.conf",
	    "# heading\n"
	    "\n"
	    "workers 2\n"
	    "   \t\n"
	    "listener edge {   # opens\n"
	    "\tbind \"127.0.0.1:0\"\r\n"
	    "}");
	ASSERT_STR_EQ(parse_ok(&r, "main.conf"),
	    "main.conf:3 depth 0: workers|2\n"
	    "main.conf:5 depth 0: listener|edge|{\n"
	    "main.conf:6 depth 0: bind|[127.0.0.1:0]\n"
	    "main.conf:7 depth 0: }\n"
	    "end main.conf depth 0\n");
	ASSERT_EQ(r.cp.nfiles, 1);
	ASSERT_STR_EQ(r.cp.files[0], at("main.conf"));
	rec_free(&r);

	/* An empty file calls only the end callback. */
	put("empty.conf", "");
	ASSERT_STR_EQ(parse_ok(&r, "empty.conf"), "end empty.conf depth 0\n");
	rec_free(&r);
}

TEST(file_long_line)
{
	struct rec r;
	char *text = malloc(200000), *want = malloc(200100);

	setup();
	ASSERT(text != NULL && want != NULL);
	memset(text, 'x', 199990);
	strcpy(text + 199990, " y\n");
	put("main.conf", text);
	memcpy(want, "main.conf:1 depth 0: ", 21);
	memset(want + 21, 'x', 199990);
	strcpy(want + 21 + 199990, "|y\nend main.conf depth 0\n");
	rec_init(&r, NULL, 0);
	ASSERT_OK(tf_config_parse_file(&r.cp, at("main.conf")));
	/* The log is shorter than the line: compare what it kept. */
	ASSERT(strncmp(r.log, want, sizeof(r.log) - 1) == 0);
	rec_free(&r);
	free(text);
	free(want);
}

TEST(file_errors)
{
	struct rec r;
	char err[512];

	setup();
	put_n("nul.conf", "workers 1\nwor\0kers 2\n", 21);
	parse_err(&r, "nul.conf", "nul.conf:2: NUL byte in line");
	ASSERT_STR_EQ(r.log, "nul.conf:1 depth 0: workers|1\n");
	rec_free(&r);

	put("quote.conf", "a\n\nb \"c\n");
	parse_err(&r, "quote.conf", "quote.conf:3: unterminated quote");
	rec_free(&r);

	parse_err(&r, "missing.conf",
	    "missing.conf: cannot open: No such file or directory");
	ASSERT_STR_EQ(r.log, "");
	rec_free(&r);

	put_dir("dir.conf");
	parse_err(&r, "dir.conf", "dir.conf: cannot open: Is a directory");
	rec_free(&r);

	rec_init(&r, err, sizeof(err));
	ASSERT_EQ(tf_config_parse_file(&r.cp, ""), -1);
	ASSERT_STR_EQ(err, "empty configuration file name");
	ASSERT_EQ(r.cp.nfiles, 0);
	rec_free(&r);
}

TEST(callback_errors)
{
	struct rec r;
	char err[512];

	setup();
	put("main.conf", "a\nb\nc\n");
	rec_init(&r, err, sizeof(err));
	r.fail_line = 2;
	ASSERT_EQ(tf_config_parse_file(&r.cp, at("main.conf")), -1);
	ASSERT_STR_EQ(err, at("main.conf:2: callback says no"));
	/* Nothing after the failing line is read, not even the end. */
	ASSERT_STR_EQ(r.log,
	    "main.conf:1 depth 0: a\n"
	    "main.conf:2 depth 0: b\n");
	rec_free(&r);

	rec_init(&r, err, sizeof(err));
	r.fail_end = 0;
	ASSERT_EQ(tf_config_parse_file(&r.cp, at("main.conf")), -1);
	ASSERT_STR_EQ(err, at("main.conf: end says no"));
	rec_free(&r);
}

TEST(include_order_and_depth)
{
	struct rec r;

	setup();
	put_dir("conf.d");
	put("conf.d/b.conf", "from b\n");
	put("conf.d/a.conf", "from a\ninclude ../leaf.inc\n");
	put("conf.d/c.txt", "not matched\n");
	put("leaf.inc", "leaf\n");
	put("main.conf", "first\ninclude conf.d/*.conf\nlast\n");
	ASSERT_STR_EQ(parse_ok(&r, "main.conf"),
	    "main.conf:1 depth 0: first\n"
	    "main.conf:2 depth 0: include|conf.d/*.conf\n"
	    "conf.d/a.conf:1 depth 1: from|a\n"
	    "conf.d/a.conf:2 depth 1: include|../leaf.inc\n"
	    "conf.d/../leaf.inc:1 depth 2: leaf\n"
	    "end conf.d/../leaf.inc depth 2\n"
	    "end conf.d/a.conf depth 1\n"
	    "conf.d/b.conf:1 depth 1: from|b\n"
	    "end conf.d/b.conf depth 1\n"
	    "main.conf:3 depth 0: last\n"
	    "end main.conf depth 0\n");
	/* Each file once, in the order first read; the relative include
	 * keeps the path as written from the including file's folder. */
	ASSERT_EQ(r.cp.nfiles, 4);
	ASSERT_STR_EQ(r.cp.files[0], at("main.conf"));
	ASSERT_STR_EQ(r.cp.files[1], at("conf.d/a.conf"));
	ASSERT_STR_EQ(r.cp.files[2], at("conf.d/../leaf.inc"));
	ASSERT_STR_EQ(r.cp.files[3], at("conf.d/b.conf"));
	rec_free(&r);

	/* The same file included twice is read twice, listed once. */
	put("twice.conf", "include leaf.inc\ninclude leaf.inc\n");
	parse_ok(&r, "twice.conf");
	ASSERT_EQ(r.cp.nfiles, 2);
	rec_free(&r);
}

TEST(include_patterns)
{
	struct rec r;

	setup();
	/* A pattern matching nothing is fine; a missing plain name is not. */
	put("main.conf", "include none/*.conf\ninclude x?.conf\nok\n");
	ASSERT_STR_EQ(parse_ok(&r, "main.conf"),
	    "main.conf:1 depth 0: include|none/*.conf\n"
	    "main.conf:2 depth 0: include|x?.conf\n"
	    "main.conf:3 depth 0: ok\n"
	    "end main.conf depth 0\n");
	rec_free(&r);
}

TEST(include_errors)
{
	struct rec r;
	char err[512], want[PATH_MAX + 128];

	setup();
	put("typo.conf", "\ninclude nothere.conf\n");
	rec_init(&r, err, sizeof(err));
	ASSERT_EQ(tf_config_parse_file(&r.cp, at("typo.conf")), -1);
	/* An included file that cannot be opened is named in full, at
	 * the include line. */
	snprintf(want, sizeof(want), "%s/typo.conf:2: %s/nothere.conf: "
	    "cannot open: No such file or directory", tmpdir, tmpdir);
	ASSERT_STR_EQ(err, want);
	rec_free(&r);

	put("empty.conf", "include \"\"\n");
	parse_err(&r, "empty.conf", "empty.conf:1: 'include': empty path");
	rec_free(&r);

	put("self.conf", "x\ninclude self.conf\n");
	parse_err(&r, "self.conf",
	    "self.conf:2: 'include': nested too deeply (more than 16 levels)");
	/* 16 levels of the same file: one entry in files. */
	ASSERT_EQ(r.cp.nfiles, 1);
	rec_free(&r);

	/* An error in an included file names that file and its line. */
	put("bad.inc", "ok\n\"open\n");
	put("outer.conf", "include bad.inc\n");
	parse_err(&r, "outer.conf", "bad.inc:2: unterminated quote");
	rec_free(&r);
}

TEST(include_restores_place)
{
	struct rec r;

	setup();
	put("a.inc", "in a\n\n\n\n\n\n\n\n\nline ten\n");
	put("main.conf", "one\ninclude a.inc\nthree\n");
	ASSERT_STR_EQ(parse_ok(&r, "main.conf"),
	    "main.conf:1 depth 0: one\n"
	    "main.conf:2 depth 0: include|a.inc\n"
	    "a.inc:1 depth 1: in|a\n"
	    "a.inc:10 depth 1: line|ten\n"
	    "end a.inc depth 1\n"
	    "main.conf:3 depth 0: three\n"
	    "end main.conf depth 0\n");
	rec_free(&r);
}

TEST(include_glob_escaping)
{
	struct rec r;

	setup();
	/* The including file's folder is taken literally, even when its
	 * name holds glob characters; only the pattern is a pattern. */
	put_dir("we[ir]d*");
	put_dir("we[ir]d*/conf.d");
	put("we[ir]d*/conf.d/x.conf", "x\n");
	put_dir("weidx");
	put_dir("weidx/conf.d");
	put("weidx/conf.d/decoy.conf", "decoy\n");
	put("we[ir]d*/main.conf", "include conf.d/*.conf\n");
	ASSERT_STR_EQ(parse_ok(&r, "we[ir]d*/main.conf"),
	    "we[ir]d*/main.conf:1 depth 0: include|conf.d/*.conf\n"
	    "we[ir]d*/conf.d/x.conf:1 depth 1: x\n"
	    "end we[ir]d*/conf.d/x.conf depth 1\n"
	    "end we[ir]d*/main.conf depth 0\n");
	rec_free(&r);
}

TEST(paths)
{
	struct tf_config_parse p;
	char cwd[PATH_MAX], *s;

	setup();
	tf_config_parse_init(&p, NULL, 0, NULL, NULL);
	p.file = "/etc/tlsfloor/tlsfloor.conf";
	s = tf_config_parse_path(&p, "/abs/key.pem");
	ASSERT_STR_EQ(s, "/abs/key.pem");
	free(s);
	s = tf_config_parse_path(&p, "certs/mail.pem");
	ASSERT_STR_EQ(s, "/etc/tlsfloor/certs/mail.pem");
	free(s);
	s = tf_config_parse_path(&p, "../x");
	ASSERT_STR_EQ(s, "/etc/tlsfloor/../x");
	free(s);

	/* A file named relative to the working folder gives absolute
	 * paths, so a later chdir() cannot change them. */
	ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
	if (chdir(tmpdir) != 0)
		TEST_FAIL("chdir: %s", strerror(errno));
	p.file = "sub/main.conf";
	s = tf_config_parse_path(&p, "a.pem");
	ASSERT_STR_EQ(s, at("sub/a.pem"));
	free(s);
	p.file = "main.conf";
	s = tf_config_parse_path(&p, "a.pem");
	ASSERT_STR_EQ(s, at("a.pem"));
	free(s);
	if (chdir("/") != 0)
		TEST_FAIL("chdir: %s", strerror(errno));
	s = tf_config_parse_path(&p, "a.pem");
	ASSERT_STR_EQ(s, "/a.pem");
	free(s);
	ASSERT_OK(chdir(cwd));
}

TEST(error_format)
{
	struct tf_config_parse p;
	char err[64];

	memset(err, 'X', sizeof(err));
	tf_config_parse_init(&p, err, sizeof(err), NULL, NULL);
	ASSERT_STR_EQ(err, "");
	tf_config_parse_err_at(&p, "a.conf", 12, "bad '%s'", "x");
	ASSERT_STR_EQ(err, "a.conf:12: bad 'x'");
	tf_config_parse_err_at(&p, "a.conf", 0, "cannot open: %s", "why");
	ASSERT_STR_EQ(err, "a.conf: cannot open: why");
	tf_config_parse_err_at(&p, NULL, 3, "no place");
	ASSERT_STR_EQ(err, "no place");
	p.file = "b.conf";
	p.line = 4;
	ASSERT_EQ(tf_config_parse_err(&p, "%d words", 2), -1);
	ASSERT_STR_EQ(err, "b.conf:4: 2 words");
	ASSERT_EQ(tf_config_parse_err_at(&p, "c", 1, "m"), -1);
}

TEST(error_truncation)
{
	struct tf_config_parse p;
	char err[16];
	size_t len;

	/* Every size, down to one byte: always NUL-terminated, a prefix
	 * of the whole message. */
	for (len = 1; len <= sizeof(err); len++) {
		memset(err, 'X', sizeof(err));
		tf_config_parse_init(&p, err, len, NULL, NULL);
		tf_config_parse_err_at(&p, "/etc/x.conf", 123,
		    "unknown directive '%s'", "bogus");
		ASSERT_EQ(strlen(err), len - 1);
		ASSERT(strncmp(err, "/etc/x.conf:123: unknown", len - 1) == 0);
	}
	/* No buffer at all is allowed. */
	tf_config_parse_init(&p, NULL, 0, NULL, NULL);
	ASSERT_EQ(tf_config_parse_err_at(&p, "f", 1, "m"), -1);
	tf_config_parse_init(&p, err, 0, NULL, NULL);
	err[0] = 'X';
	tf_config_parse_err_at(&p, "f", 1, "m");
	ASSERT_EQ(err[0], 'X');
}

TEST_MAIN(
	TEST_ENTRY(split_words),
	TEST_ENTRY(split_comments),
	TEST_ENTRY(split_quotes),
	TEST_ENTRY(split_escapes),
	TEST_ENTRY(split_unterminated),
	TEST_ENTRY(split_many_words),
	TEST_ENTRY(file_lines),
	TEST_ENTRY(file_long_line),
	TEST_ENTRY(file_errors),
	TEST_ENTRY(callback_errors),
	TEST_ENTRY(include_order_and_depth),
	TEST_ENTRY(include_patterns),
	TEST_ENTRY(include_errors),
	TEST_ENTRY(include_restores_place),
	TEST_ENTRY(include_glob_escaping),
	TEST_ENTRY(paths),
	TEST_ENTRY(error_format),
	TEST_ENTRY(error_truncation)
)
