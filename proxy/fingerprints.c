/*
 * The client_guess catalogue: parsing "JA4<TAB>JA3_MD5<TAB>CLIENT" text
 * into two sorted arrays, one per key, searched with bsearch(). Parsing
 * checks every line fully, so a catalogue that loads holds only well-formed
 * keys, printable names and no key twice.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "fingerprints.h"

#define JA4_LEN 36
#define MD5_LEN 32

/* One key of one catalogue line. */
struct entry {
	char key[JA4_LEN + 1];  /* JA4 or JA3_MD5, NUL-terminated */
	unsigned line;          /* line number in the source text */
	size_t name_off;        /* offset of the client name in names */
};

/* A growable array of entries. */
struct entries {
	struct entry *v;
	size_t n, cap;
};

struct tf_fingerprints {
	unsigned magic;        /* TF_FINGERPRINTS_MAGIC */
	char *names;           /* every client name, each NUL-terminated */
	struct entry *ja4;     /* sorted by key, distinct keys */
	size_t nja4;
	struct entry *ja3;     /* sorted by key, distinct keys */
	size_t nja3;
	size_t nlines;         /* entry lines (each gives one or two keys) */
};

/* The state of one parse, for messages. */
struct parse {
	const char *name;      /* file name in messages */
	char *err;             /* caller's message buffer, may be NULL */
	size_t errlen;
};

static void perr(const struct parse *p, unsigned line, const char *fmt, ...)
    TF_PRINTF(3, 4);

/* Writes "NAME:LINE: message" (or "NAME: message" for line 0) to p->err. */
static void
perr(const struct parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tf_verr_at(p->err, p->errlen, p->name, line, fmt, ap);
	va_end(ap);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int
is_lower_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

static int
is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/*
 * Checks a JA4 (TLS client) fingerprint, JA4.md: "a_b_c" where a is
 * protocol (t, q or d), version (two of [0-9a-z]: 13, s3, 00...), SNI
 * (d or i), two-digit cipher and extension counts and two ALPN characters
 * ([0-9A-Za-z]), and b and c are 12 lower-case hex digits. Returns 0 when
 * s (n bytes) is one, -1 when its length is wrong, else the 1-based
 * position of the first wrong character.
 */
static long
ja4_check(const char *s, size_t n)
{
	size_t i;

	if (n != JA4_LEN)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int ok;

		if (i == 0)
			ok = c == 't' || c == 'q' || c == 'd';
		else if (i <= 2)
			ok = is_lower_alnum(c);
		else if (i == 3)
			ok = c == 'd' || c == 'i';
		else if (i <= 7)
			ok = is_digit(c);
		else if (i <= 9)
			ok = is_alnum(c);
		else if (i == 10 || i == 23)
			ok = c == '_';
		else
			ok = is_lower_hex(c);
		if (!ok)
			return (long)i + 1;
	}
	return 0;
}

/* Describes byte c for a message: "'x'" or "byte 0xNN". */
static const char *
show_byte(char c, char buf[16])
{
	unsigned char u = (unsigned char)c;

	if (u > 0x20 && u < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", u);
	return buf;
}

/* Appends a key to a, growing it. Returns 0, or -1 when out of memory. */
static int
push(struct entries *a, const char *key, size_t keylen, unsigned line,
    size_t name_off)
{
	struct entry *e;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct entry *v = realloc(a->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	e = &a->v[a->n++];
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	e->line = line;
	e->name_off = name_off;
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

static int
cmp_key(const void *key, const void *e)
{
	return strcmp(key, ((const struct entry *)e)->key);
}

/*
 * Sorts a and finds a key given twice. Returns the entry of the earliest
 * line that repeats a key (with *first the line that gave it before), or
 * NULL.
 */
static const struct entry *
sort_and_find_duplicate(struct entries *a, unsigned *first)
{
	const struct entry *dup = NULL;
	size_t i;

	if (a->n > 1)
		qsort(a->v, a->n, sizeof(a->v[0]), cmp_entry);
	for (i = 1; i < a->n; i++) {
		if (strcmp(a->v[i].key, a->v[i - 1].key) != 0)
			continue;
		if (dup == NULL || a->v[i].line < dup->line) {
			dup = &a->v[i];
			*first = a->v[i - 1].line;
		}
	}
	return dup;
}

/*
 * Parses one line (without its CR LF or LF; n <= TF_FINGERPRINTS_MAX_LINE;
 * no NUL) into ja4, ja3 and names. Returns 0 (also for comments and blank
 * lines) or -1 with the message set.
 */
static int
parse_line(const struct parse *p, unsigned line, const char *s, size_t n,
    struct entries *ja4, struct entries *ja3, char *names, size_t *names_len,
    size_t *nlines)
{
	const char *f[3], *tab, *end;
	size_t flen[3], i, name_off;
	char b[16];
	long at;

	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i == n || s[i] == '#')
		return 0;

	end = s + n;
	f[0] = s;
	for (i = 0; i < 2; i++) {
		tab = memchr(f[i], '\t', (size_t)(end - f[i]));
		if (tab == NULL) {
			perr(p, line, "expected 3 TAB-separated fields "
			    "(JA4, JA3_MD5, CLIENT), found %zu", i + 1);
			return -1;
		}
		flen[i] = (size_t)(tab - f[i]);
		f[i + 1] = tab + 1;
	}
	/* The name: blanks around it are not part of it. */
	flen[2] = (size_t)(end - f[2]);
	while (flen[2] > 0 && f[2][0] == ' ') {
		f[2]++;
		flen[2]--;
	}
	while (flen[2] > 0 && (f[2][flen[2] - 1] == ' ' ||
	    f[2][flen[2] - 1] == '\t'))
		flen[2]--;
	if (memchr(f[2], '\t', flen[2]) != NULL) {
		perr(p, line, "more than 3 TAB-separated fields "
		    "(JA4, JA3_MD5, CLIENT)");
		return -1;
	}

	if (!(flen[0] == 1 && f[0][0] == '-') &&
	    (at = ja4_check(f[0], flen[0])) != 0) {
		if (at < 0)
			perr(p, line, "bad JA4: %zu characters, expected %d "
			    "(like t13d1516h2_8daaf6152771_e5627efa2ab1) "
			    "or '-'", flen[0], JA4_LEN);
		else
			perr(p, line, "bad JA4: unexpected %s at position "
			    "%ld (expected like "
			    "t13d1516h2_8daaf6152771_e5627efa2ab1)",
			    show_byte(f[0][at - 1], b), at);
		return -1;
	}
	if (!(flen[1] == 1 && f[1][0] == '-')) {
		for (i = 0; i < flen[1] && is_lower_hex(f[1][i]); i++)
			;
		if (flen[1] != MD5_LEN || i != MD5_LEN) {
			perr(p, line, "bad JA3_MD5: expected %d lower-case hex "
			    "digits or '-'", MD5_LEN);
			return -1;
		}
	}
	if (flen[0] == 1 && flen[1] == 1) {
		perr(p, line, "no key: JA4 and JA3_MD5 are both '-'");
		return -1;
	}

	if (flen[2] == 0) {
		perr(p, line, "empty client name");
		return -1;
	}
	for (i = 0; i < flen[2]; i++) {
		unsigned char c = (unsigned char)f[2][i];

		if (c < 0x20 || c == 0x7f) {
			perr(p, line, "control byte 0x%02x in the client name",
			    c);
			return -1;
		}
	}

	name_off = *names_len;
	memcpy(names + name_off, f[2], flen[2]);
	names[name_off + flen[2]] = '\0';
	*names_len += flen[2] + 1;

	if ((flen[0] == JA4_LEN &&
	    push(ja4, f[0], flen[0], line, name_off) != 0) ||
	    (flen[1] == MD5_LEN &&
	    push(ja3, f[1], flen[1], line, name_off) != 0)) {
		perr(p, line, "out of memory");
		return -1;
	}
	(*nlines)++;
	return 0;
}

struct tf_fingerprints *
tf_fingerprints_parse(const char *text, size_t len, const char *name,
    char *err, size_t errlen)
{
	struct parse p = { name != NULL ? name : "fingerprints", err, errlen };
	struct entries ja4 = { NULL, 0, 0 }, ja3 = { NULL, 0, 0 };
	const struct entry *d4, *d3;
	struct tf_fingerprints *f;
	size_t pos = 0, names_len = 0, nlines = 0;
	unsigned line = 0, first4 = 0, first3 = 0;
	char *names;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* Names are copied out of the text, so they never need more. */
	names = malloc(len + 1);
	if (names == NULL) {
		perr(&p, 0, "out of memory");
		return NULL;
	}
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;

		line++;
		pos += n + (nl != NULL);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > TF_FINGERPRINTS_MAX_LINE) {
			perr(&p, line, "line longer than %d bytes",
			    TF_FINGERPRINTS_MAX_LINE);
			goto fail;
		}
		if (memchr(s, '\0', n) != NULL) {
			perr(&p, line, "NUL byte in line");
			goto fail;
		}
		if (parse_line(&p, line, s, n, &ja4, &ja3, names, &names_len,
		    &nlines) != 0)
			goto fail;
	}

	d4 = sort_and_find_duplicate(&ja4, &first4);
	d3 = sort_and_find_duplicate(&ja3, &first3);
	if (d4 != NULL && (d3 == NULL || d4->line <= d3->line)) {
		perr(&p, d4->line, "duplicate JA4 %s (first on line %u)",
		    d4->key, first4);
		goto fail;
	}
	if (d3 != NULL) {
		perr(&p, d3->line, "duplicate JA3_MD5 %s (first on line %u)",
		    d3->key, first3);
		goto fail;
	}

	f = tf_xcalloc(1, sizeof(*f));
	f->magic = TF_FINGERPRINTS_MAGIC;
	f->names = names;
	f->ja4 = ja4.v;
	f->nja4 = ja4.n;
	f->ja3 = ja3.v;
	f->nja3 = ja3.n;
	f->nlines = nlines;
	return f;

fail:
	free(ja4.v);
	free(ja3.v);
	free(names);
	return NULL;
}

struct tf_fingerprints *
tf_fingerprints_load(const char *path, char *err, size_t errlen)
{
	struct parse p = { path, err, errlen };
	struct tf_fingerprints *f;
	struct stat st;
	size_t len = 0, cap;
	char *buf = NULL;
	int fd, e;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		perr(&p, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		e = errno;
		perr(&p, 0, "cannot open: %s", strerror(e));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		perr(&p, 0, "cannot open: %s", strerror(EISDIR));
		goto fail;
	}
	/* st_size is a hint only: a pipe has none, a file may grow. */
	cap = S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (unsigned long long)st.st_size < TF_FINGERPRINTS_MAX_FILE ?
	    (size_t)st.st_size + 1 : 65536;
	for (;;) {
		ssize_t r;

		if (len == cap || buf == NULL) {
			char *nbuf;

			if (buf != NULL)
				cap = cap * 2;
			if (cap > TF_FINGERPRINTS_MAX_FILE + 1)
				cap = TF_FINGERPRINTS_MAX_FILE + 1;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				perr(&p, 0, "out of memory");
				goto fail;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			e = errno;
			perr(&p, 0, "read error: %s", strerror(e));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > TF_FINGERPRINTS_MAX_FILE) {
			perr(&p, 0, "larger than %u bytes",
			    TF_FINGERPRINTS_MAX_FILE);
			goto fail;
		}
	}
	close(fd);
	f = tf_fingerprints_parse(buf, len, path, err, errlen);
	free(buf);
	return f;

fail:
	free(buf);
	close(fd);
	return NULL;
}

struct tf_fingerprints *
tf_fingerprints_builtin(void)
{
	struct tf_fingerprints *f;
	char err[256];

	f = tf_fingerprints_parse(tf_fingerprints_tsv, tf_fingerprints_tsv_len,
	    "conf/fingerprints.tsv (built in)", err, sizeof(err));
	if (f == NULL) {
		fprintf(stderr, "tlsfloor: %s\n", err);
		abort();
	}
	return f;
}

const char *
tf_fingerprints_guess(const struct tf_fingerprints *f, const char *ja4,
    const char *ja3_md5)
{
	const struct entry *e = NULL;

	TF_CHECK_OBJ(f, TF_FINGERPRINTS_MAGIC);
	if (ja4 != NULL && f->nja4 > 0)
		e = bsearch(ja4, f->ja4, f->nja4, sizeof(f->ja4[0]), cmp_key);
	if (e == NULL && ja3_md5 != NULL && f->nja3 > 0)
		e = bsearch(ja3_md5, f->ja3, f->nja3, sizeof(f->ja3[0]),
		    cmp_key);
	return e != NULL ? f->names + e->name_off : NULL;
}

size_t
tf_fingerprints_count(const struct tf_fingerprints *f, size_t *nja4,
    size_t *nja3)
{
	TF_CHECK_OBJ(f, TF_FINGERPRINTS_MAGIC);
	if (nja4 != NULL)
		*nja4 = f->nja4;
	if (nja3 != NULL)
		*nja3 = f->nja3;
	return f->nlines;
}

void
tf_fingerprints_free(struct tf_fingerprints *f)
{
	if (f == NULL)
		return;
	TF_CHECK_OBJ(f, TF_FINGERPRINTS_MAGIC);
	free(f->ja4);
	free(f->ja3);
	free(f->names);
	f->magic = 0;
	free(f);
}
