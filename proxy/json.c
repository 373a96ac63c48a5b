/*
 * A bounded JSON object writer for one-line records. The buffer always
 * holds a NUL-terminated string; a member that does not fit is rolled back
 * whole, `overflow` is set and every later call does nothing, so the
 * buffer never holds half a member and nothing is written past `cap`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/*
 * Length of the well-formed UTF-8 sequence at p (n bytes left), or 0.
 * RFC 3629 section 4: no overlong forms, no surrogates, nothing above
 * U+10FFFF. Sets *cp to the code point.
 */
size_t
tf_json_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 1; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/*
 * Bytes that go into a JSON string as they are: printable ASCII but '"'
 * and '\\'. Everything else needs a look (escapes, UTF-8 sequences).
 */
static const uint8_t plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

/*
 * Contract: writes the JSON string body for the n bytes at s (no quotes)
 * and a NUL into out, never more than outlen bytes. Returns the length
 * without the NUL, or (size_t)-1 when it did not fit, out then holding an
 * unspecified but NUL-terminated prefix (if outlen > 0). Runs of plain
 * bytes are copied whole: a record is mostly those.
 */
size_t
tf_json_escape(char *out, size_t outlen, const void *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = s;
	size_t i = 0, o = 0;

	if (outlen == 0)
		return (size_t)-1;
	while (i < n) {
		char esc[6];
		const char *piece = esc;
		size_t plen, adv = 1, run = i;
		uint8_t c;
		uint32_t cp;

		while (run < n && plain[p[run]])
			run++;
		if (run > i) {
			piece = (const char *)p + i;
			plen = adv = run - i;
		} else if ((c = p[i]) == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			plen = 2;
		} else if (c == '\n' || c == '\r' || c == '\t' ||
		    c == '\b' || c == '\f') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' :
			    c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
			plen = 2;
		} else if (c >= 0x80 &&
		    (adv = tf_json_utf8_decode(p + i, n - i, &cp)) != 0) {
			piece = (const char *)p + i;
			plen = adv;
		} else {
			/* Other control bytes, DEL, and stray bytes. */
			memcpy(esc, "\\u00", 4);
			esc[4] = digits[c >> 4];
			esc[5] = digits[c & 0x0f];
			plen = 6;
			adv = 1;
		}
		if (plen >= outlen - o) {
			out[o] = '\0';
			return (size_t)-1;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += adv;
	}
	out[o] = '\0';
	return o;
}

/* Appends n raw bytes, keeping room for the NUL; 0 or -1 (overflow). */
static int
put(struct tf_json *j, const char *s, size_t n)
{
	if (j->overflow)
		return -1;
	if (j->cap == 0 || n >= j->cap - j->len) {
		j->overflow = 1;
		return -1;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
	return 0;
}

static int
put_str(struct tf_json *j, const char *s)
{
	return put(j, s, strlen(s));
}

/* Appends a quoted, escaped string; 0 or -1 (overflow). */
static int
put_quoted(struct tf_json *j, const void *s, size_t n)
{
	size_t w;

	if (put(j, "\"", 1) != 0)
		return -1;
	w = tf_json_escape(j->buf + j->len, j->cap - j->len, s, n);
	if (w == (size_t)-1) {
		j->buf[j->len] = '\0';
		j->overflow = 1;
		return -1;
	}
	j->len += w;
	return put(j, "\"", 1);
}

/* Undoes a member that did not fit, and stops the writer. */
static void
rollback(struct tf_json *j, size_t mark)
{
	j->len = mark;
	if (j->cap > 0)
		j->buf[mark] = '\0';
	j->overflow = 1;
}

/*
 * Starts a member: the separator, the quoted key and ':'. Returns the
 * length to roll back to if the member does not fit, or (size_t)-1 when
 * the writer has overflowed (now or before).
 */
static size_t
member_begin(struct tf_json *j, const char *key)
{
	size_t mark = j->len;

	if (j->overflow)
		return (size_t)-1;
	/* Keys are literals of ours: nothing to escape. */
	if ((!j->first && put(j, ",", 1) != 0) || put(j, "\"", 1) != 0 ||
	    put_str(j, key) != 0 || put(j, "\":", 2) != 0) {
		rollback(j, mark);
		return (size_t)-1;
	}
	j->first = 0;
	return mark;
}

/* A member whose value is the raw JSON text v (a number or literal). */
static void
member_raw(struct tf_json *j, const char *key, const char *v)
{
	size_t mark = member_begin(j, key);

	if (mark == (size_t)-1)
		return;
	if (put_str(j, v) != 0)
		rollback(j, mark);
}

void
tf_json_init(struct tf_json *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->len = 0;
	j->cap = cap;
	j->first = 1;
	j->overflow = 0;
	if (cap > 0)
		buf[0] = '\0';
}

void
tf_json_begin(struct tf_json *j)
{
	if (put(j, "{", 1) == 0)
		j->first = 1;
}

void
tf_json_end(struct tf_json *j)
{
	(void)put(j, "}\n", 2);
}

void
tf_json_str(struct tf_json *j, const char *key, const char *s)
{
	tf_json_strn(j, key, s, s != NULL ? strlen(s) : 0);
}

void
tf_json_strn(struct tf_json *j, const char *key, const void *s, size_t n)
{
	size_t mark;

	if (s == NULL) {
		tf_json_null(j, key);
		return;
	}
	mark = member_begin(j, key);
	if (mark == (size_t)-1)
		return;
	if (put_quoted(j, s, n) != 0)
		rollback(j, mark);
}

void
tf_json_null(struct tf_json *j, const char *key)
{
	member_raw(j, key, "null");
}

void
tf_json_int(struct tf_json *j, const char *key, long long v)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	member_raw(j, key, p);
}

void
tf_json_bool(struct tf_json *j, const char *key, int v)
{
	member_raw(j, key, v ? "true" : "false");
}

void
tf_json_array_begin(struct tf_json *j, const char *key)
{
	member_raw(j, key, "[");
	if (!j->overflow)
		j->first = 1;
}

/* An array element: s NULL writes null. */
void
tf_json_array_str(struct tf_json *j, const char *s)
{
	size_t mark = j->len;

	if (j->overflow)
		return;
	if ((!j->first && put(j, ",", 1) != 0) ||
	    (s == NULL ? put_str(j, "null") : put_quoted(j, s,
	    strlen(s))) != 0) {
		rollback(j, mark);
		return;
	}
	j->first = 0;
}

void
tf_json_array_end(struct tf_json *j)
{
	if (put(j, "]", 1) == 0)
		j->first = 0;
}
