/*
 * The lexical half of the configuration language: files, lines, words,
 * quotes, includes, relative paths and "FILE:LINE: message" errors. The
 * directives are config.c's, reached only through the callbacks in struct
 * tf_config_parse, so this file depends on no other module but common.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config_parse.h"

int
tf_config_parse_err_at(struct tf_config_parse *p, const char *file,
    int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tf_verr_at(p->err, p->errlen, file, line > 0 ? (unsigned)line : 0,
	    fmt, ap);
	va_end(ap);
	return -1;
}

int
tf_config_parse_err(struct tf_config_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tf_verr_at(p->err, p->errlen, p->file,
	    p->line > 0 ? (unsigned)p->line : 0, fmt, ap);
	va_end(ap);
	return -1;
}

void
tf_config_parse_init(struct tf_config_parse *p, char *err, size_t errlen,
    tf_config_line_cb *line_cb, tf_config_end_cb *end_cb)
{
	memset(p, 0, sizeof(*p));
	p->err = err;
	p->errlen = errlen;
	p->line_cb = line_cb;
	p->end_cb = end_cb;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

/*
 * Returns a malloc'd copy of the directory part of file, with its trailing
 * slash, or "" when file has no directory part.
 */
static char *
dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	size_t n = slash != NULL ? (size_t)(slash - file) + 1 : 0;
	char *d = tf_xmalloc(n + 1);

	memcpy(d, file, n);
	d[n] = '\0';
	return d;
}

char *
tf_config_parse_path(const struct tf_config_parse *p, const char *path)
{
	char *dir, *joined, *cwd, *abs;

	if (path[0] == '/')
		return tf_xstrdup(path);
	dir = dir_of(p->file);
	joined = tf_xasprintf("%s%s", dir, path);
	free(dir);
	if (joined[0] == '/')
		return joined;
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return joined;
	abs = tf_xasprintf("%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/",
	    joined);
	free(cwd);
	free(joined);
	return abs;
}

/* Returns the copy of path kept in p->files, adding it once. */
static const char *
add_file(struct tf_config_parse *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i], path) == 0)
			return p->files[i];
	p->files = tf_xrealloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
	p->files[p->nfiles] = tf_xstrdup(path);
	return p->files[p->nfiles++];
}

int
tf_config_parse_split(struct tf_config_parse *p, char *line,
    struct tf_config_args *a)
{
	char *in = line;

	a->argc = 0;
	for (;;) {
		char *out, *start;
		int quoted = 0;
		char sep;

		while (*in == ' ' || *in == '\t' || *in == '\r' ||
		    *in == '\n')
			in++;
		if (*in == '\0' || *in == '#')
			return 0;
		start = out = in;
		while (*in != '\0' && *in != ' ' && *in != '\t' &&
		    *in != '\r' && *in != '\n' && *in != '#') {
			if (*in != '"') {
				*out++ = *in++;
				continue;
			}
			quoted = 1;
			for (in++; *in != '"'; ) {
				if (*in == '\0' || *in == '\n')
					return tf_config_parse_err(p,
					    "unterminated quote");
				if (*in == '\\' && (in[1] == '"' ||
				    in[1] == '\\'))
					in++;
				*out++ = *in++;
			}
			in++;
		}
		sep = *in;
		*out = '\0';
		if (a->argc == a->cap) {
			a->cap = a->cap != 0 ? 2 * a->cap : 8;
			a->argv = tf_xrealloc(a->argv,
			    a->cap * sizeof(*a->argv));
			a->quoted = tf_xrealloc(a->quoted, a->cap);
		}
		a->argv[a->argc] = start;
		a->quoted[a->argc++] = (unsigned char)quoted;
		if (sep == '\0' || sep == '#')
			return 0;
		in++;
	}
}

/*
 * Reads one file (path is owned by p->files) at the current depth. A
 * block opened in this file must be closed in it: that is for end_cb to
 * check. Returns 0, or -1 with the error set; p->file and p->line are
 * restored either way.
 */
static int
parse_file(struct tf_config_parse *p, const char *path)
{
	const char *saved_file = p->file;
	int saved_line = p->line;
	struct tf_config_args a = { NULL, NULL, 0, 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct stat st;
	FILE *f;
	int r = -1, e;

	f = fopen(path, "re");
	if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		f = NULL;
		errno = EISDIR;
	}
	if (f == NULL) {
		e = errno;
		if (saved_file == NULL)
			return tf_config_parse_err_at(p, path, 0,
			    "cannot open: %s", strerror(e));
		return tf_config_parse_err(p, "%s: cannot open: %s", path,
		    strerror(e));
	}
	p->file = path;
	p->line = 0;
	while ((n = getline(&line, &cap, f)) != -1) {
		p->line++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			tf_config_parse_err(p, "NUL byte in line");
			goto out;
		}
		if (tf_config_parse_split(p, line, &a) == -1)
			goto out;
		if (a.argc > 0 && p->line_cb(p, &a) == -1)
			goto out;
	}
	if (ferror(f)) {
		e = errno;
		tf_config_parse_err_at(p, path, 0, "read error: %s",
		    strerror(e));
		goto out;
	}
	if (p->end_cb != NULL && p->end_cb(p) == -1)
		goto out;
	r = 0;
out:
	free(line);
	free(a.argv);
	free(a.quoted);
	fclose(f);
	p->file = saved_file;
	p->line = saved_line;
	return r;
}

int
tf_config_parse_file(struct tf_config_parse *p, const char *path)
{
	if (path[0] == '\0')
		return tf_config_parse_err_at(p, NULL, 0,
		    "empty configuration file name");
	return parse_file(p, add_file(p, path));
}

static int
has_glob_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * Returns a malloc'd pattern: dir taken literally (its glob characters
 * escaped, since a folder may be called "a[1]"), then pat as a pattern.
 */
static char *
glob_join(const char *dir, const char *pat)
{
	char *full = tf_xmalloc(2 * strlen(dir) + strlen(pat) + 1), *o = full;

	for (; *dir != '\0'; dir++) {
		if (strchr("*?[]\\", *dir) != NULL)
			*o++ = '\\';
		*o++ = *dir;
	}
	strcpy(o, pat);
	return full;
}

/*
 * A plain file name that does not exist is an error, as in nginx, since it
 * is almost certainly a typo; a pattern with wildcards may match nothing.
 */
int
tf_config_parse_include(struct tf_config_parse *p, const char *kw,
    const char *pattern)
{
	char *dir, *full;
	glob_t g;
	size_t i;
	int r;

	if (pattern[0] == '\0')
		return tf_config_parse_err(p, "'%s': empty path", kw);
	if (p->depth >= TF_CONFIG_INCLUDE_DEPTH)
		return tf_config_parse_err(p, "'%s': nested too deeply "
		    "(more than %d levels)", kw, TF_CONFIG_INCLUDE_DEPTH);
	dir = pattern[0] == '/' ? tf_xstrdup("") : dir_of(p->file);
	if (!has_glob_magic(pattern)) {
		full = tf_xasprintf("%s%s", dir, pattern);
		free(dir);
		p->depth++;
		r = parse_file(p, add_file(p, full));
		p->depth--;
		free(full);
		return r;
	}

	full = glob_join(dir, pattern);
	free(dir);
	r = glob(full, 0, NULL, &g);
	free(full);
	if (r == GLOB_NOMATCH) {
		globfree(&g);
		return 0;
	}
	if (r != 0) {
		globfree(&g);
		return tf_config_parse_err(p, "'%s': cannot expand '%s'", kw,
		    pattern);
	}
	r = 0;
	p->depth++;
	for (i = 0; i < g.gl_pathc && r == 0; i++)
		r = parse_file(p, add_file(p, g.gl_pathv[i]));
	p->depth--;
	globfree(&g);
	return r;
}
