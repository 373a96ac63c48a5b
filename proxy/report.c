/*
 * `tlsfloor report`: summarises legacy-log files. The flow is read (a
 * bounded line reader) -> parse (a strict JSON parser of our own) -> check
 * the record's fields -> aggregate (a hash table of distinct clients, sets
 * of counted strings, a time histogram that coarsens itself) -> write (a
 * fixed-width table, one JSON document or one self-contained HTML page).
 *
 * Every string taken from a record is kept as bytes with a length: the
 * parser decodes \u0000, so an SNI may hold a NUL. Each writer escapes
 * for its own medium: JSON through tf_json_escape, HTML with references,
 * the terminal with visible backslash escapes (a record must not be able
 * to send control sequences to the operator's terminal).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "json.h"
#include "report.h"

/* ---------------------------------------------------------------------
 * The JSON parser
 */

#define JBLOCK_VALUES 128
#define JNUMBER_MAX 500

/* Values are carved out of blocks so that pointers to them stay valid. */
struct tf_report_jblock {
	struct tf_report_jblock *next;
	size_t used;
	struct tf_report_jv v[JBLOCK_VALUES];
};

struct jparser {
	struct tf_report_json *doc;
	const unsigned char *start;
	const unsigned char *p;
	const unsigned char *end;
};

/* Records the first failure; always returns -1. */
static int
jfail(struct jparser *jp, const char *why)
{
	if (jp->doc->error == NULL) {
		jp->doc->error = why;
		jp->doc->error_offset = (size_t)(jp->p - jp->start);
	}
	return -1;
}

static struct tf_report_jv *
jv_new(struct jparser *jp)
{
	struct tf_report_jblock *b = jp->doc->blocks;
	struct tf_report_jv *v;

	if (b == NULL || b->used == JBLOCK_VALUES) {
		/* Input-sized, so failure fails this parse, not the process. */
		b = malloc(sizeof(*b));
		if (b == NULL) {
			jfail(jp, "out of memory");
			return NULL;
		}
		b->next = jp->doc->blocks;
		b->used = 0;
		jp->doc->blocks = b;
	}
	v = &b->v[b->used++];
	memset(v, 0, sizeof(*v));
	return v;
}

static void
jskip_ws(struct jparser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

/* Writes code point cp (valid, not a surrogate) as UTF-8; returns bytes. */
static size_t
utf8_encode(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads the 4 hex digits of a \u escape at jp->p; 0 or -1. */
static int
jhex4(struct jparser *jp, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (jp->end - jp->p < 4)
		return jfail(jp, "short \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = jp->p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return jfail(jp, "bad hex digit in \\u escape");
	}
	jp->p += 4;
	*out = v;
	return 0;
}

/*
 * Parses the string at jp->p (on its opening quote) into the document's
 * text storage. The decoded form is never longer than the escaped one, and
 * the two quotes pay for the NUL, so storage of the input's size suffices.
 */
static int
jstring(struct jparser *jp, const char **str, size_t *len)
{
	struct tf_report_json *doc = jp->doc;
	char *o0 = doc->text + doc->text_len, *o = o0;
	uint32_t cp, lo;
	size_t l;

	jp->p++;
	for (;;) {
		unsigned char c;

		if (jp->p >= jp->end)
			return jfail(jp, "unterminated string");
		c = *jp->p;
		if (c == '"') {
			jp->p++;
			break;
		}
		if (c < 0x20)
			return jfail(jp, "control character in string");
		if (c != '\\') {
			l = tf_json_utf8_decode(jp->p, (size_t)(jp->end - jp->p), &cp);
			if (l == 0)
				return jfail(jp, "invalid UTF-8 in string");
			memcpy(o, jp->p, l);
			o += l;
			jp->p += l;
			continue;
		}
		jp->p++;
		if (jp->p >= jp->end)
			return jfail(jp, "unterminated escape");
		c = *jp->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			*o++ = (char)c;
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (jhex4(jp, &cp) != 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jfail(jp, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (jp->end - jp->p < 2 || jp->p[0] != '\\' ||
				    jp->p[1] != 'u')
					return jfail(jp, "lone high surrogate");
				jp->p += 2;
				if (jhex4(jp, &lo) != 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jfail(jp, "lone high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			o += utf8_encode(cp, o);
			break;
		default:
			jp->p--;
			return jfail(jp, "bad escape");
		}
	}
	*o = '\0';
	*str = o0;
	*len = (size_t)(o - o0);
	doc->text_len += *len + 1;
	return 0;
}

/* The strict RFC 8259 number grammar, then strtod on a bounded copy. */
static int
jnumber(struct jparser *jp, struct tf_report_jv *v)
{
	const unsigned char *q = jp->p, *e = jp->end;
	char tmp[JNUMBER_MAX + 1];
	size_t n;

	if (q < e && *q == '-')
		q++;
	if (q < e && *q == '0') {
		q++;
	} else if (q < e && *q >= '1' && *q <= '9') {
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	} else {
		return jfail(jp, "bad number");
	}
	if (q < e && *q == '.') {
		q++;
		if (q >= e || *q < '0' || *q > '9')
			return jfail(jp, "bad number fraction");
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q >= e || *q < '0' || *q > '9')
			return jfail(jp, "bad number exponent");
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	n = (size_t)(q - jp->p);
	if (n > JNUMBER_MAX)
		return jfail(jp, "number too long");
	memcpy(tmp, jp->p, n);
	tmp[n] = '\0';
	v->type = TF_REPORT_JNUMBER;
	v->num = strtod(tmp, NULL);
	jp->p = q;
	return 0;
}

static int
jliteral(struct jparser *jp, const char *word, enum tf_report_jtype t,
    struct tf_report_jv *v)
{
	size_t n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return jfail(jp, "unexpected character");
	jp->p += n;
	v->type = t;
	return 0;
}

static int jvalue(struct jparser *jp, unsigned depth,
    struct tf_report_jv **out);

/* Arrays and objects; jp->p is on the opening bracket. */
static int
jcontainer(struct jparser *jp, unsigned depth, struct tf_report_jv *v)
{
	int object = *jp->p == '{';
	unsigned char close = object ? '}' : ']';
	struct tf_report_jv **link = &v->child, *child;
	const char *key = NULL;
	size_t keylen = 0;

	if (depth >= TF_REPORT_JSON_DEPTH)
		return jfail(jp, "nested too deep");
	v->type = object ? TF_REPORT_JOBJECT : TF_REPORT_JARRAY;
	jp->p++;
	jskip_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 0;
	}
	for (;;) {
		if (object) {
			jskip_ws(jp);
			if (jp->p >= jp->end || *jp->p != '"')
				return jfail(jp, "expected a member name");
			if (jstring(jp, &key, &keylen) != 0)
				return -1;
			jskip_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':')
				return jfail(jp, "expected ':'");
			jp->p++;
		}
		if (jvalue(jp, depth + 1, &child) != 0)
			return -1;
		child->key = key;
		child->keylen = keylen;
		*link = child;
		link = &child->next;
		v->nchild++;
		jskip_ws(jp);
		if (jp->p >= jp->end)
			return jfail(jp, "unterminated container");
		if (*jp->p == close) {
			jp->p++;
			return 0;
		}
		if (*jp->p != ',')
			return jfail(jp, object ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		jp->p++;
	}
}

/* One value of any type; depth counts the containers around it. */
static int
jvalue(struct jparser *jp, unsigned depth, struct tf_report_jv **out)
{
	struct tf_report_jv *v;

	jskip_ws(jp);
	if (jp->p >= jp->end)
		return jfail(jp, "unexpected end of input");
	v = jv_new(jp);
	if (v == NULL)
		return -1;
	*out = v;
	switch (*jp->p) {
	case '{':
	case '[':
		return jcontainer(jp, depth, v);
	case '"':
		v->type = TF_REPORT_JSTRING;
		return jstring(jp, &v->str, &v->len);
	case 't':
		return jliteral(jp, "true", TF_REPORT_JTRUE, v);
	case 'f':
		return jliteral(jp, "false", TF_REPORT_JFALSE, v);
	case 'n':
		return jliteral(jp, "null", TF_REPORT_JNULL, v);
	default:
		if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9'))
			return jnumber(jp, v);
		return jfail(jp, "unexpected character");
	}
}

int
tf_report_json_parse(struct tf_report_json *doc, const void *s, size_t n)
{
	struct jparser jp;
	struct tf_report_jv *root;

	memset(doc, 0, sizeof(*doc));
	jp.doc = doc;
	jp.start = jp.p = s;
	jp.end = jp.start + n;
	doc->text = malloc(n + 1);
	if (doc->text == NULL)
		return jfail(&jp, "out of memory");
	if (jvalue(&jp, 0, &root) != 0)
		return -1;
	jskip_ws(&jp);
	if (jp.p != jp.end)
		return jfail(&jp, "data after the value");
	doc->root = root;
	return 0;
}

void
tf_report_json_free(struct tf_report_json *doc)
{
	struct tf_report_jblock *b, *next;

	for (b = doc->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(doc->text);
	memset(doc, 0, sizeof(*doc));
}

const struct tf_report_jv *
tf_report_json_member(const struct tf_report_jv *obj, const char *key)
{
	const struct tf_report_jv *m;
	size_t n = strlen(key);

	if (obj == NULL || obj->type != TF_REPORT_JOBJECT)
		return NULL;
	for (m = obj->child; m != NULL; m = m->next)
		if (m->keylen == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

/* ---------------------------------------------------------------------
 * Times
 */

#define US_PER_S 1000000LL
#define SINCE_MAX_S (100LL * 366 * 86400)

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Exactly n decimal digits at s; 0 or -1. */
static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD" at s (10 bytes available): days since the epoch. */
static int
parse_date(const char *s, int64_t *days)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	int y, m, d, leap;

	if (digits(s, 4, &y) != 0 || s[4] != '-' ||
	    digits(s + 5, 2, &m) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) != 0)
		return -1;
	if (m < 1 || m > 12 || d < 1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int
tf_report_parse_time(const char *s, size_t n, int64_t *us)
{
	int h, mi, sec, oh = 0, om = 0;
	int64_t days, frac = 0, t, off = 0;
	size_t i, fd = 0;

	/* The shortest form is "YYYY-MM-DDThh:mm:ssZ". */
	if (n < 20 || parse_date(s, &days) != 0)
		return -1;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) != 0)
		return -1;
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	i = 19;
	if (s[i] == '.') {
		size_t first = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (fd < 6) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
			i++;
		}
		if (i == first)
			return -1;
		for (; fd < 6; fd++)
			frac *= 10;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (n - i < 6 || digits(s + i + 1, 2, &oh) != 0 ||
		    s[i + 3] != ':' || digits(s + i + 4, 2, &om) != 0 ||
		    oh > 23 || om > 59)
			return -1;
		off = (int64_t)oh * 3600 + om * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	t = days * 86400 + h * 3600 + mi * 60 + sec - off;
	*us = t * US_PER_S + frac;
	return 0;
}

int
tf_report_parse_since(const char *s, int64_t now_us, int64_t *us)
{
	size_t n = strlen(s), i = 0;
	int64_t days, total = 0;

	if (n == 10 && parse_date(s, &days) == 0) {
		*us = days * 86400 * US_PER_S;
		return 0;
	}
	if (tf_report_parse_time(s, n, us) == 0)
		return 0;
	if (n == 0)
		return -1;
	while (i < n) {
		int64_t v = 0, unit;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (s[i] - '0');
			if (v > SINCE_MAX_S)
				return -1;
			i++;
		}
		if (i >= n)
			return -1;
		switch (s[i++]) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			return -1;
		}
		if (v > SINCE_MAX_S / unit)
			return -1;
		total += v * unit;
		if (total > SINCE_MAX_S)
			return -1;
	}
	*us = now_us - total * US_PER_S;
	return 0;
}

void
tf_report_format_time(int64_t us, int ms_digits, char *out, size_t outlen)
{
	int64_t secs = floordiv(us, US_PER_S), days, y;
	int64_t ms = (us - secs * US_PER_S) / 1000, sod;
	unsigned m, d;

	days = floordiv(secs, 86400);
	sod = secs - days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (ms_digits)
		snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
		    (long long)y, m, d, (unsigned)(sod / 3600),
		    (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
		    (unsigned)ms);
	else
		snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02uZ",
		    (long long)y, m, d, (unsigned)(sod / 3600),
		    (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------------
 * Aggregation: nullable strings, counted sets, the client table
 */

#define TF_REPORT_MAGIC 0x7e9027a1u
#define TF_CLIENT_MAGIC 0x7e9027a2u

/* A client keeps at most this many distinct SNIs: the SNI is the client's
 * to choose, and a scanner that sends a new one each time must not turn
 * one table row into thousands. The rest are counted in snis_more. */
#define SNI_LIMIT 32

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* A string from a record: owned bytes plus a NUL, or JSON null. */
struct rstr {
	char *p;          /* NULL for null */
	size_t len;
};

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Hashes a nullable string so that null, "" and field boundaries differ. */
static uint64_t
hash_str(uint64_t h, const char *p, size_t n)
{
	unsigned char tag = p != NULL;
	uint64_t len = n;

	h = fnv(h, &tag, 1);
	if (p == NULL)
		return h;
	h = fnv(h, &len, sizeof(len));
	return fnv(h, p, n);
}

static int
str_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Byte order, null first. */
static int
str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	r = memcmp(a, b, alen < blen ? alen : blen);
	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

static void
rstr_set(struct rstr *s, const char *p, size_t n)
{
	s->len = n;
	s->p = NULL;
	if (p == NULL)
		return;
	s->p = tf_xmalloc(n + 1);
	memcpy(s->p, p, n);
	s->p[n] = '\0';
}

/* One distinct string of a counted set. */
struct centry {
	uint64_t hash;
	uint64_t count;
	int null;          /* the string is JSON null */
	size_t len;
	char s[];          /* len bytes and a NUL */
};

/* Distinct strings with counts: open addressing, linear probing. */
struct cset {
	struct centry **slot;
	size_t cap;        /* a power of two, or 0 */
	size_t n;
};

static void
cset_grow(struct cset *cs)
{
	size_t cap = cs->cap ? cs->cap * 2 : 8, i, j;
	struct centry **slot = tf_xcalloc(cap, sizeof(*slot));

	for (i = 0; i < cs->cap; i++) {
		if (cs->slot[i] == NULL)
			continue;
		for (j = cs->slot[i]->hash & (cap - 1); slot[j] != NULL;
		    j = (j + 1) & (cap - 1))
			;
		slot[j] = cs->slot[i];
	}
	free(cs->slot);
	cs->slot = slot;
	cs->cap = cap;
}

/*
 * Finds the entry for s (NULL: null), inserting it with count 0 if it is
 * absent and the set holds fewer than limit entries. Returns the entry, or
 * NULL when it is absent and the set is full.
 */
static struct centry *
cset_get(struct cset *cs, const char *s, size_t len, size_t limit)
{
	uint64_t h = hash_str(FNV_BASIS, s, len);
	struct centry *e;
	size_t i;

	if (cs->cap != 0) {
		for (i = h & (cs->cap - 1); (e = cs->slot[i]) != NULL;
		    i = (i + 1) & (cs->cap - 1))
			if (e->hash == h && str_eq(e->null ? NULL : e->s,
			    e->len, s, len))
				return e;
	}
	if (cs->n >= limit)
		return NULL;
	if ((cs->n + 1) * 4 > cs->cap * 3)
		cset_grow(cs);
	e = tf_xmalloc(sizeof(*e) + len + 1);
	e->hash = h;
	e->count = 0;
	e->null = s == NULL;
	e->len = s == NULL ? 0 : len;
	if (s != NULL)
		memcpy(e->s, s, len);
	e->s[e->len] = '\0';
	for (i = h & (cs->cap - 1); cs->slot[i] != NULL;
	    i = (i + 1) & (cs->cap - 1))
		;
	cs->slot[i] = e;
	cs->n++;
	return e;
}

static void
cset_add(struct cset *cs, const char *s, size_t len)
{
	struct centry *e = cset_get(cs, s, len, SIZE_MAX);

	e->count++;
}

static void
cset_free(struct cset *cs)
{
	size_t i;

	for (i = 0; i < cs->cap; i++)
		free(cs->slot[i]);
	free(cs->slot);
	memset(cs, 0, sizeof(*cs));
}

static const char *
centry_str(const struct centry *e)
{
	return e->null ? NULL : e->s;
}

/* The entries of cs in a new array (cs->n of them), sorted by cmp. */
static struct centry **
cset_sorted(const struct cset *cs,
    int (*cmp)(const void *, const void *))
{
	struct centry **v = tf_xcalloc(cs->n, sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < cs->cap; i++)
		if (cs->slot[i] != NULL)
			v[k++] = cs->slot[i];
	qsort(v, k, sizeof(*v), cmp);
	return v;
}

static int
centry_cmp_str(const void *a, const void *b)
{
	const struct centry *x = *(struct centry *const *)a;
	const struct centry *y = *(struct centry *const *)b;

	return str_cmp(centry_str(x), x->len, centry_str(y), y->len);
}

/* Count descending, then string. */
static int
centry_cmp_count(const void *a, const void *b)
{
	const struct centry *x = *(struct centry *const *)a;
	const struct centry *y = *(struct centry *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return centry_cmp_str(a, b);
}

/* Versions as SPEC spells them, oldest first; their index is the chart
 * category, and NVERSIONS is the category of any other spelling. */
static const char *const version_names[] = {
	"SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"
};
#define NVERSIONS 6
#define NCATEGORIES (NVERSIONS + 1)

static int
version_index(const char *s, size_t len)
{
	int i;

	for (i = 0; i < NVERSIONS; i++)
		if (s != NULL && str_eq(s, len, version_names[i],
		    strlen(version_names[i])))
			return i;
	return NVERSIONS;
}

/* Known versions oldest first, then other spellings in byte order. */
static int
centry_cmp_version(const void *a, const void *b)
{
	const struct centry *x = *(struct centry *const *)a;
	const struct centry *y = *(struct centry *const *)b;
	int vx = version_index(centry_str(x), x->len);
	int vy = version_index(centry_str(y), y->len);

	if (vx != vy)
		return vx - vy;
	return centry_cmp_str(a, b);
}

/* One distinct client: client_ip + ja4 + client_guess. */
struct client {
	unsigned magic;
	uint64_t hash;
	struct rstr ip, ja4, guess;   /* the key; ja4 and guess may be null */
	uint64_t count;               /* legacy_client records */
	int64_t first_us, last_us;    /* earliest and latest record time */
	struct rstr offered;          /* the newest offered_max seen */
	struct cset snis;             /* distinct SNIs, at most SNI_LIMIT */
	uint64_t snis_more;           /* records whose SNI did not fit */
	struct cset actions;          /* distinct actions with counts */
};

struct ctab {
	struct client **slot;
	size_t cap;                   /* a power of two, or 0 */
	size_t n;
};

/* The time histogram behind the chart: at most CHART_MAX buckets of
 * `size` seconds, aligned to the epoch, covering every counted record. */
#define CHART_MAX 60

struct chart {
	int64_t size;                 /* bucket width in seconds */
	int64_t b0;                   /* first bucket, in units of size */
	size_t nb;                    /* buckets in use; 0: empty */
	uint64_t cnt[CHART_MAX][NCATEGORIES];
};

struct tf_report {
	unsigned magic;
	int64_t since_us;             /* TF_REPORT_NO_SINCE: no filter */
	struct tf_report_counts counts;
	struct ctab clients;
	struct cset by_offered;       /* legacy_client records per offered_max */
	struct cset by_guess;         /* ... per client_guess, null: unknown */
	struct cset by_action;        /* ... per action */
	struct cset hf_reasons;       /* handshake_failed records per reason */
	int64_t min_us, max_us;       /* span of the legacy_client records */
	struct chart chart;
	char **logs;                  /* names of the inputs read, in order */
	size_t nlogs;
	struct tf_report_json doc;    /* the current line's parse */
};

static uint64_t
client_hash(const char *ip, size_t iplen, const char *ja4, size_t ja4len,
    const char *guess, size_t guesslen)
{
	uint64_t h = FNV_BASIS;

	h = hash_str(h, ip, iplen);
	h = hash_str(h, ja4, ja4len);
	return hash_str(h, guess, guesslen);
}

static void
ctab_grow(struct ctab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i, j;
	struct client **slot = tf_xcalloc(cap, sizeof(*slot));

	for (i = 0; i < t->cap; i++) {
		if (t->slot[i] == NULL)
			continue;
		for (j = t->slot[i]->hash & (cap - 1); slot[j] != NULL;
		    j = (j + 1) & (cap - 1))
			;
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
}

/* The client with this key, created (count 0) if it is new. */
static struct client *
ctab_get(struct ctab *t, const struct tf_report_jv *ip,
    const struct tf_report_jv *ja4, const struct tf_report_jv *guess)
{
	const char *ja4s = ja4 != NULL ? ja4->str : NULL;
	const char *gs = guess != NULL ? guess->str : NULL;
	size_t ja4n = ja4 != NULL ? ja4->len : 0;
	size_t gn = guess != NULL ? guess->len : 0;
	uint64_t h = client_hash(ip->str, ip->len, ja4s, ja4n, gs, gn);
	struct client *c;
	size_t i;

	if (t->cap != 0) {
		for (i = h & (t->cap - 1); (c = t->slot[i]) != NULL;
		    i = (i + 1) & (t->cap - 1))
			if (c->hash == h &&
			    str_eq(c->ip.p, c->ip.len, ip->str, ip->len) &&
			    str_eq(c->ja4.p, c->ja4.len, ja4s, ja4n) &&
			    str_eq(c->guess.p, c->guess.len, gs, gn))
				return c;
	}
	if ((t->n + 1) * 4 > t->cap * 3)
		ctab_grow(t);
	c = tf_xcalloc(1, sizeof(*c));
	c->magic = TF_CLIENT_MAGIC;
	c->hash = h;
	rstr_set(&c->ip, ip->str, ip->len);
	rstr_set(&c->ja4, ja4s, ja4n);
	rstr_set(&c->guess, gs, gn);
	for (i = h & (t->cap - 1); t->slot[i] != NULL;
	    i = (i + 1) & (t->cap - 1))
		;
	t->slot[i] = c;
	t->n++;
	return c;
}

static void
client_free(struct client *c)
{
	TF_CHECK_OBJ(c, TF_CLIENT_MAGIC);
	free(c->ip.p);
	free(c->ja4.p);
	free(c->guess.p);
	free(c->offered.p);
	cset_free(&c->snis);
	cset_free(&c->actions);
	c->magic = 0;
	free(c);
}

/* Count descending, then first seen, then the key, so output is stable. */
static int
client_cmp(const void *a, const void *b)
{
	const struct client *x = *(struct client *const *)a;
	const struct client *y = *(struct client *const *)b;
	int r;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	r = str_cmp(x->ip.p, x->ip.len, y->ip.p, y->ip.len);
	if (r == 0)
		r = str_cmp(x->ja4.p, x->ja4.len, y->ja4.p, y->ja4.len);
	if (r == 0)
		r = str_cmp(x->guess.p, x->guess.len, y->guess.p,
		    y->guess.len);
	return r;
}

/* The clients in a new array (r->clients.n of them), in report order. */
static struct client **
clients_sorted(const struct tf_report *r)
{
	struct client **v = tf_xcalloc(r->clients.n, sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < r->clients.cap; i++)
		if (r->clients.slot[i] != NULL)
			v[k++] = r->clients.slot[i];
	qsort(v, k, sizeof(*v), client_cmp);
	return v;
}

/* Bucket widths the chart steps through; each divides the next, so a
 * coarser bucket holds whole finer ones. Past the last, widths double. */
static const int64_t chart_steps[] = {
	1, 10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400
};

static int64_t
chart_next_step(int64_t size)
{
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(chart_steps); i++)
		if (chart_steps[i] > size)
			return chart_steps[i];
	return size * 2;
}

/* Re-buckets the histogram at the next width. */
static void
chart_coarsen(struct chart *ch)
{
	uint64_t tmp[CHART_MAX][NCATEGORIES];
	int64_t ns = chart_next_step(ch->size);
	int64_t nb0 = floordiv(ch->b0 * ch->size, ns), j = 0;
	size_t i, k;

	memset(tmp, 0, sizeof(tmp));
	for (i = 0; i < ch->nb; i++) {
		j = floordiv((ch->b0 + (int64_t)i) * ch->size, ns) - nb0;
		for (k = 0; k < NCATEGORIES; k++)
			tmp[j][k] += ch->cnt[i][k];
	}
	memcpy(ch->cnt, tmp, sizeof(tmp));
	ch->b0 = nb0;
	ch->nb = (size_t)j + 1;
	ch->size = ns;
}

/* Counts one record at t seconds in category cat, widening the buckets
 * until the whole span fits in CHART_MAX of them. */
static void
chart_add(struct chart *ch, int64_t t, int cat)
{
	int64_t idx, lo, hi, last;

	if (ch->nb == 0) {
		ch->size = 1;
		ch->b0 = t;
		ch->nb = 1;
		memset(ch->cnt[0], 0, sizeof(ch->cnt[0]));
		ch->cnt[0][cat]++;
		return;
	}
	for (;;) {
		idx = floordiv(t, ch->size);
		last = ch->b0 + (int64_t)ch->nb - 1;
		lo = idx < ch->b0 ? idx : ch->b0;
		hi = idx > last ? idx : last;
		if (hi - lo < CHART_MAX)
			break;
		chart_coarsen(ch);
	}
	if (idx < ch->b0) {
		size_t shift = (size_t)(ch->b0 - idx);

		memmove(ch->cnt[shift], ch->cnt[0],
		    ch->nb * sizeof(ch->cnt[0]));
		memset(ch->cnt[0], 0, shift * sizeof(ch->cnt[0]));
		ch->b0 = idx;
		ch->nb += shift;
	} else if (idx > last) {
		memset(ch->cnt[ch->nb], 0,
		    (size_t)(idx - last) * sizeof(ch->cnt[0]));
		ch->nb = (size_t)(idx - ch->b0) + 1;
	}
	ch->cnt[idx - ch->b0][cat]++;
}

struct tf_report *
tf_report_new(int64_t since_us)
{
	struct tf_report *r = tf_xcalloc(1, sizeof(*r));

	r->magic = TF_REPORT_MAGIC;
	r->since_us = since_us;
	return r;
}

void
tf_report_free(struct tf_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	for (i = 0; i < r->clients.cap; i++)
		if (r->clients.slot[i] != NULL)
			client_free(r->clients.slot[i]);
	free(r->clients.slot);
	cset_free(&r->by_offered);
	cset_free(&r->by_guess);
	cset_free(&r->by_action);
	cset_free(&r->hf_reasons);
	for (i = 0; i < r->nlogs; i++)
		free(r->logs[i]);
	free(r->logs);
	tf_report_json_free(&r->doc);
	r->magic = 0;
	free(r);
}

void
tf_report_get_counts(const struct tf_report *r, struct tf_report_counts *c)
{
	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	*c = r->counts;
	c->clients = r->clients.n;
}

/* The record fields the report reads. */
enum {
	F_EVENT = 0, F_TIME, F_ACTION, F_CLIENT_IP, F_JA4, F_CLIENT_GUESS,
	F_SNI, F_OFFERED_MAX, F_REASON, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"event", "time", "action", "client_ip", "ja4", "client_guess",
	"sni", "offered_max", "reason"
};

static int
is_str(const struct tf_report_jv *v)
{
	return v != NULL && v->type == TF_REPORT_JSTRING;
}

/* Absent, null, or a string: the fields SPEC allows to be null. */
static int
is_str_or_null(const struct tf_report_jv *v)
{
	return v == NULL || v->type == TF_REPORT_JNULL ||
	    v->type == TF_REPORT_JSTRING;
}

/* A null or absent value as NULL, so that null keys compare alike. */
static const struct tf_report_jv *
str_or_null(const struct tf_report_jv *v)
{
	return v != NULL && v->type == TF_REPORT_JSTRING ? v : NULL;
}

static void
count_legacy(struct tf_report *r, const struct tf_report_jv **f,
    int64_t t)
{
	const struct tf_report_jv *ja4 = str_or_null(f[F_JA4]);
	const struct tf_report_jv *guess = str_or_null(f[F_CLIENT_GUESS]);
	const struct tf_report_jv *sni = str_or_null(f[F_SNI]);
	const struct tf_report_jv *off = f[F_OFFERED_MAX];
	struct client *c;
	struct centry *e;
	int vi = version_index(off->str, off->len);

	c = ctab_get(&r->clients, f[F_CLIENT_IP], ja4, guess);
	if (c->count == 0 || t < c->first_us)
		c->first_us = t;
	if (c->count == 0 || t > c->last_us)
		c->last_us = t;
	/* Keep the newest known version; a spelling we do not know only
	 * wins over nothing. */
	if (c->offered.p == NULL || (vi < NVERSIONS &&
	    (version_index(c->offered.p, c->offered.len) == NVERSIONS ||
	    vi > version_index(c->offered.p, c->offered.len)))) {
		free(c->offered.p);
		rstr_set(&c->offered, off->str, off->len);
	}
	c->count++;
	e = cset_get(&c->snis, sni ? sni->str : NULL, sni ? sni->len : 0,
	    SNI_LIMIT);
	if (e != NULL)
		e->count++;
	else
		c->snis_more++;
	cset_add(&c->actions, f[F_ACTION]->str, f[F_ACTION]->len);

	cset_add(&r->by_offered, off->str, off->len);
	if (guess != NULL)
		cset_add(&r->by_guess, guess->str, guess->len);
	else
		cset_add(&r->by_guess, "unknown", 7);
	cset_add(&r->by_action, f[F_ACTION]->str, f[F_ACTION]->len);
	if (r->counts.records == 0 || t < r->min_us)
		r->min_us = t;
	if (r->counts.records == 0 || t > r->max_us)
		r->max_us = t;
	chart_add(&r->chart, floordiv(t, US_PER_S), vi);
	r->counts.records++;
}

/*
 * Checks and counts one parsed record. Returns 0, or -1 when the record is
 * malformed: not an object, a field the report reads given twice, or a
 * field of the wrong type or missing.
 */
static int
count_record(struct tf_report *r, const struct tf_report_jv *root)
{
	const struct tf_report_jv *f[F_COUNT], *m;
	const struct tf_report_jv *ev;
	int64_t t;
	size_t k;

	if (root->type != TF_REPORT_JOBJECT)
		return -1;
	memset(f, 0, sizeof(f));
	for (m = root->child; m != NULL; m = m->next) {
		for (k = 0; k < F_COUNT; k++) {
			if (!str_eq(m->key, m->keylen, field_names[k],
			    strlen(field_names[k])))
				continue;
			if (f[k] != NULL)
				return -1;
			f[k] = m;
			break;
		}
	}
	ev = f[F_EVENT];
	if (!is_str(ev) || !is_str(f[F_TIME]) ||
	    tf_report_parse_time(f[F_TIME]->str, f[F_TIME]->len, &t) != 0)
		return -1;
	if (str_eq(ev->str, ev->len, "legacy_client", 13)) {
		if (!is_str(f[F_ACTION]) || !is_str(f[F_CLIENT_IP]) ||
		    !is_str(f[F_OFFERED_MAX]) || !is_str_or_null(f[F_JA4]) ||
		    !is_str_or_null(f[F_CLIENT_GUESS]) ||
		    !is_str_or_null(f[F_SNI]))
			return -1;
		if (t < r->since_us) {
			r->counts.before_since++;
			return 0;
		}
		count_legacy(r, f, t);
	} else if (str_eq(ev->str, ev->len, "handshake_failed", 16)) {
		if (!is_str_or_null(f[F_REASON]))
			return -1;
		if (t < r->since_us) {
			r->counts.before_since++;
			return 0;
		}
		m = str_or_null(f[F_REASON]);
		if (m != NULL)
			cset_add(&r->hf_reasons, m->str, m->len);
		else
			cset_add(&r->hf_reasons, "unknown", 7);
		r->counts.handshake_failed++;
	} else if (t < r->since_us) {
		r->counts.before_since++;
	} else if (str_eq(ev->str, ev->len, "not_tls", 7)) {
		r->counts.not_tls++;
	} else {
		r->counts.other_events++;
	}
	return 0;
}

int
tf_report_feed(struct tf_report *r, const char *line, size_t n)
{
	size_t i;
	int rc;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	for (i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == n)
		return 0;
	r->counts.lines++;
	rc = -1;
	if (n <= TF_REPORT_LINE_MAX &&
	    tf_report_json_parse(&r->doc, line, n) == 0)
		rc = count_record(r, r->doc.root);
	tf_report_json_free(&r->doc);
	if (rc != 0)
		r->counts.malformed++;
	return rc;
}

int
tf_report_read(struct tf_report *r, FILE *f, const char *name)
{
	/* Room for a whole line plus a large read behind it. */
	size_t cap = 2 * (size_t)TF_REPORT_LINE_MAX + 2, len = 0;
	char *buf = tf_xmalloc(cap);
	int discarding = 0, err;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	r->logs = tf_xrealloc(r->logs, (r->nlogs + 1) * sizeof(*r->logs));
	r->logs[r->nlogs++] = tf_xstrdup(name);
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len, f), start = 0;
		size_t scan = len;
		char *nl;

		if (got == 0)
			break;
		len += got;
		while ((nl = memchr(buf + scan, '\n', len - scan)) != NULL) {
			size_t end = (size_t)(nl - buf);

			if (discarding)
				discarding = 0;
			else
				(void)tf_report_feed(r, buf + start,
				    end - start);
			start = scan = end + 1;
		}
		if (discarding) {
			/* Still inside an overlong line: drop it all. */
			len = 0;
			continue;
		}
		if (len - start > TF_REPORT_LINE_MAX) {
			/* Counted once here; its bytes are never kept. */
			r->counts.lines++;
			r->counts.malformed++;
			discarding = 1;
			len = 0;
			continue;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	if (ferror(f)) {
		err = errno;
		free(buf);
		errno = err != 0 ? err : EIO;
		return -1;
	}
	if (!discarding && len > 0)
		(void)tf_report_feed(r, buf, len);
	free(buf);
	return 0;
}

/* ---------------------------------------------------------------------
 * Plain text
 */

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

/* Finishes a writer: flushes and reports whether anything failed. */
static int
finish(FILE *out)
{
	int err;

	if (fflush(out) != 0 || ferror(out)) {
		err = errno;
		errno = err != 0 ? err : EIO;
		return -1;
	}
	return 0;
}

static void
text_totals(FILE *out, const char *title, const struct cset *cs,
    int (*cmp)(const void *, const void *))
{
	struct centry **v = cset_sorted(cs, cmp);
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

int
tf_report_write_text(struct tf_report *r, FILE *out)
{
	struct client **v;
	struct centry **e;
	size_t i, k, wip = 9, wja4 = 3, woff = 7, w;
	char t1[40], t2[40];

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	v = clients_sorted(r);
	fprintf(out, "tlsfloor report: %llu legacy_client record%s, "
	    "%zu distinct client%s",
	    (unsigned long long)r->counts.records,
	    r->counts.records == 1 ? "" : "s", r->clients.n,
	    r->clients.n == 1 ? "" : "s");
	if (r->counts.records > 0) {
		tf_report_format_time(r->min_us, 0, t1, sizeof(t1));
		tf_report_format_time(r->max_us, 0, t2, sizeof(t2));
		fprintf(out, ", %s to %s", t1, t2);
	}
	fputc('\n', out);
	if (r->since_us != TF_REPORT_NO_SINCE) {
		tf_report_format_time(r->since_us, 0, t1, sizeof(t1));
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
		struct client *c = v[i];

		tf_report_format_time(c->first_us, 0, t1, sizeof(t1));
		tf_report_format_time(c->last_us, 0, t2, sizeof(t2));
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

		e = cset_sorted(&c->snis, centry_cmp_str);
		fputs("       SNI      ", out);
		for (k = 0; k < c->snis.n; k++) {
			if (k > 0)
				fputs(", ", out);
			plain_nstr(out, centry_str(e[k]), e[k]->len,
			    "(none)");
		}
		if (c->snis_more > 0)
			fprintf(out, " (+%llu more record%s with other SNIs)",
			    (unsigned long long)c->snis_more,
			    c->snis_more == 1 ? "" : "s");
		fputc('\n', out);
		free(e);

		e = cset_sorted(&c->actions, centry_cmp_count);
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
	}
	free(v);

	text_totals(out, "Totals by offered version", &r->by_offered,
	    centry_cmp_version);
	text_totals(out, "Totals by client guess", &r->by_guess,
	    centry_cmp_count);
	if (r->counts.handshake_failed + r->counts.not_tls +
	    r->counts.other_events > 0) {
		fprintf(out, "\nOther records: %llu handshake_failed",
		    (unsigned long long)r->counts.handshake_failed);
		e = cset_sorted(&r->hf_reasons, centry_cmp_count);
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
	fprintf(out, "\n%llu malformed lines skipped\n",
	    (unsigned long long)r->counts.malformed);
	return finish(out);
}

/* ---------------------------------------------------------------------
 * JSON
 */

/*
 * Writes n bytes at s as a JSON string (s NULL: null). The output is pure
 * ASCII: every other code point is a \uXXXX escape (a surrogate pair above
 * U+FFFF), so the document means the same and a terminal showing it sees
 * no bidi or control characters. Strings from records are valid UTF-8 (the
 * parser saw to it); a byte that is not (a log's file name may hold any)
 * becomes U+00XX, as tf_json_escape does for records.
 */
static void
json_str(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			fputc(c, out);
			i++;
			continue;
		}
		l = c >= 0x80 ? tf_json_utf8_decode(p + i, n - i, &cp) : 0;
		if (l == 0) {
			cp = c;
			l = 1;
		}
		i += l;
		if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\r')
			fputs("\\r", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp > 0xffff)
			fprintf(out, "\\u%04x\\u%04x",
			    (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
			    (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
		else
			fprintf(out, "\\u%04x", (unsigned)cp);
	}
	fputc('"', out);
}

static void
json_cstr(FILE *out, const char *s)
{
	json_str(out, s, s != NULL ? strlen(s) : 0);
}

static void
json_time(FILE *out, int64_t us)
{
	char t[40];

	tf_report_format_time(us, 1, t, sizeof(t));
	json_cstr(out, t);
}

/* {"name":count,...}; names never repeat: they are distinct strings. */
static void
json_counts(FILE *out, const struct cset *cs,
    int (*cmp)(const void *, const void *))
{
	struct centry **v = cset_sorted(cs, cmp);
	size_t i;

	fputc('{', out);
	for (i = 0; i < cs->n; i++) {
		if (i > 0)
			fputs(", ", out);
		json_str(out, v[i]->s, v[i]->len);
		fprintf(out, ": %llu", (unsigned long long)v[i]->count);
	}
	fputc('}', out);
	free(v);
}

int
tf_report_write_json(struct tf_report *r, FILE *out, int64_t now)
{
	struct client **v;
	struct centry **e;
	size_t i, k;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	fputs("{\n  \"generated\": ", out);
	json_time(out, now);
	fputs(",\n  \"since\": ", out);
	if (r->since_us != TF_REPORT_NO_SINCE)
		json_time(out, r->since_us);
	else
		fputs("null", out);
	fputs(",\n  \"logs\": [", out);
	for (i = 0; i < r->nlogs; i++) {
		if (i > 0)
			fputs(", ", out);
		json_cstr(out, r->logs[i]);
	}
	fprintf(out, "],\n  \"records\": %llu,\n  \"malformed\": %llu,\n"
	    "  \"skipped_before_since\": %llu,\n  \"first_seen\": ",
	    (unsigned long long)r->counts.records,
	    (unsigned long long)r->counts.malformed,
	    (unsigned long long)r->counts.before_since);
	if (r->counts.records > 0)
		json_time(out, r->min_us);
	else
		fputs("null", out);
	fputs(",\n  \"last_seen\": ", out);
	if (r->counts.records > 0)
		json_time(out, r->max_us);
	else
		fputs("null", out);

	fputs(",\n  \"clients\": [", out);
	v = clients_sorted(r);
	for (i = 0; i < r->clients.n; i++) {
		struct client *c = v[i];

		fputs(i > 0 ? ",\n    {" : "\n    {", out);
		fputs("\"client_ip\": ", out);
		json_str(out, c->ip.p, c->ip.len);
		fputs(", \"ja4\": ", out);
		json_str(out, c->ja4.p, c->ja4.len);
		fputs(", \"client_guess\": ", out);
		json_str(out, c->guess.p, c->guess.len);
		fprintf(out, ", \"count\": %llu, \"first_seen\": ",
		    (unsigned long long)c->count);
		json_time(out, c->first_us);
		fputs(", \"last_seen\": ", out);
		json_time(out, c->last_us);
		fputs(", \"offered_max\": ", out);
		json_str(out, c->offered.p, c->offered.len);
		fputs(", \"snis\": [", out);
		e = cset_sorted(&c->snis, centry_cmp_str);
		for (k = 0; k < c->snis.n; k++) {
			if (k > 0)
				fputs(", ", out);
			json_str(out, centry_str(e[k]), e[k]->len);
		}
		free(e);
		fprintf(out, "], \"snis_more\": %llu, \"actions\": ",
		    (unsigned long long)c->snis_more);
		json_counts(out, &c->actions, centry_cmp_count);
		fputc('}', out);
	}
	free(v);
	fputs(r->clients.n > 0 ? "\n  ],\n" : "],\n", out);

	fputs("  \"totals\": {\n    \"offered\": ", out);
	json_counts(out, &r->by_offered, centry_cmp_version);
	fputs(",\n    \"guess\": ", out);
	json_counts(out, &r->by_guess, centry_cmp_count);
	fputs(",\n    \"action\": ", out);
	json_counts(out, &r->by_action, centry_cmp_count);
	fprintf(out, "\n  },\n  \"other_events\": {\"handshake_failed\": %llu,"
	    " \"handshake_failed_reasons\": ",
	    (unsigned long long)r->counts.handshake_failed);
	json_counts(out, &r->hf_reasons, centry_cmp_count);
	fprintf(out, ", \"not_tls\": %llu, \"other\": %llu}\n}\n",
	    (unsigned long long)r->counts.not_tls,
	    (unsigned long long)r->counts.other_events);
	return finish(out);
}

/* ---------------------------------------------------------------------
 * HTML
 */

void
tf_report_html_escape(FILE *out, const char *s, size_t n)
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
			l = c >= 0x80 ? tf_json_utf8_decode(p + i, n - i, &cp) : 0;
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
		tf_report_html_escape(out, s, n);
}

static void
html_cstr(FILE *out, const char *s)
{
	tf_report_html_escape(out, s, strlen(s));
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
    ".none{color:#888;font-style:italic}\n"
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

	tf_report_format_time(start_s * US_PER_S, 0, t, sizeof(t));
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

/* The chart: stacked bars per bucket, one colour per offered version,
 * drawn as inline SVG with no external reference. */
static void
html_chart(FILE *out, const struct tf_report *r)
{
	const struct chart *ch = &r->chart;
	static const uint64_t mantissa[] = { 1, 2, 5 };
	uint64_t maxv = 0, step = 1, pow10 = 1, top, y, tot;
	uint64_t used[NCATEGORIES];
	double bw, scale, base, h, x;
	size_t i, k, every;
	char lab[64], words[64];
	int m = 0;

	memset(used, 0, sizeof(used));
	for (i = 0; i < ch->nb; i++) {
		tot = 0;
		for (k = 0; k < NCATEGORIES; k++) {
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
		for (k = 0; k < NCATEGORIES; k++) {
			if (ch->cnt[i][k] == 0)
				continue;
			h = (double)ch->cnt[i][k] * scale;
			base -= h;
			fprintf(out, "<rect class=\"c%zu\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			    "<title>%s: %s %llu</title></rect>\n", k,
			    x + bw * 0.1, base, bw * 0.8, h, lab,
			    k < NVERSIONS ? version_names[k] : "other",
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
	for (k = 0; k < NCATEGORIES; k++) {
		if (used[k] == 0)
			continue;
		fprintf(out, "<rect class=\"c%zu\" x=\"%.1f\" y=\"%d\" "
		    "width=\"12\" height=\"12\"/><text x=\"%.1f\" y=\"%d\">"
		    "%s (%llu)</text>\n", k, x, PLOT_Y1 + 36, x + 16,
		    PLOT_Y1 + 46, k < NVERSIONS ? version_names[k] : "other",
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
    const struct cset *cs, int (*cmp)(const void *, const void *))
{
	struct centry **v = cset_sorted(cs, cmp);
	size_t i;

	fprintf(out, "<h2>%s</h2>\n<table>\n<tr><th>%s</th><th>records"
	    "</th></tr>\n", title, what);
	for (i = 0; i < cs->n; i++) {
		fputs("<tr><td><code>", out);
		tf_report_html_escape(out, v[i]->s, v[i]->len);
		fprintf(out, "</code></td><td class=\"n\">%llu</td></tr>\n",
		    (unsigned long long)v[i]->count);
	}
	fputs("</table>\n", out);
	free(v);
}

int
tf_report_write_html(struct tf_report *r, FILE *out, int64_t now)
{
	struct client **v;
	struct centry **e;
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
		tf_report_format_time(r->min_us, 0, t1, sizeof(t1));
		tf_report_format_time(r->max_us, 0, t2, sizeof(t2));
		fprintf(out, ", %s to %s", t1, t2);
	}
	fputs(".<br>\n", out);
	if (r->since_us != TF_REPORT_NO_SINCE) {
		tf_report_format_time(r->since_us, 0, t1, sizeof(t1));
		fprintf(out, "Since %s: %llu older record%s skipped.<br>\n",
		    t1, (unsigned long long)r->counts.before_since,
		    r->counts.before_since == 1 ? "" : "s");
	}
	fprintf(out, "%llu malformed lines skipped.<br>\nLogs: ",
	    (unsigned long long)r->counts.malformed);
	for (i = 0; i < r->nlogs; i++) {
		fputs(i > 0 ? ", <code>" : "<code>", out);
		html_cstr(out, r->logs[i]);
		fputs("</code>", out);
	}
	tf_report_format_time(now, 0, t1, sizeof(t1));
	fprintf(out, ".<br>\nGenerated %s.</p>\n", t1);

	fputs("<h2>Legacy connections over time, by offered version</h2>\n",
	    out);
	html_chart(out, r);

	fputs("<h2>Clients</h2>\n<table>\n<tr><th>count</th><th>first seen"
	    "</th><th>last seen</th><th>offered max</th><th>client IP</th>"
	    "<th>JA4</th><th>client guess</th><th>SNIs</th><th>actions</th>"
	    "</tr>\n", out);
	v = clients_sorted(r);
	for (i = 0; i < r->clients.n; i++) {
		struct client *c = v[i];

		tf_report_format_time(c->first_us, 0, t1, sizeof(t1));
		tf_report_format_time(c->last_us, 0, t2, sizeof(t2));
		fprintf(out, "<tr><td class=\"n\">%llu</td><td>%s</td>"
		    "<td>%s</td><td>", (unsigned long long)c->count, t1, t2);
		html_nstr(out, c->offered.p, c->offered.len, "none");
		fputs("</td><td><code>", out);
		html_nstr(out, c->ip.p, c->ip.len, "none");
		fputs("</code></td><td><code>", out);
		html_nstr(out, c->ja4.p, c->ja4.len, "none");
		fputs("</code></td><td>", out);
		html_nstr(out, c->guess.p, c->guess.len, "unknown");
		fputs("</td><td>", out);
		e = cset_sorted(&c->snis, centry_cmp_str);
		for (k = 0; k < c->snis.n; k++) {
			fputs(k > 0 ? "<br><code>" : "<code>", out);
			html_nstr(out, centry_str(e[k]), e[k]->len, "none");
			fprintf(out, "</code> (%llu)",
			    (unsigned long long)e[k]->count);
		}
		free(e);
		if (c->snis_more > 0)
			fprintf(out, "<br><span class=\"none\">%llu more with "
			    "other SNIs</span>",
			    (unsigned long long)c->snis_more);
		fputs("</td><td>", out);
		e = cset_sorted(&c->actions, centry_cmp_count);
		for (k = 0; k < c->actions.n; k++) {
			if (k > 0)
				fputs("<br>", out);
			tf_report_html_escape(out, e[k]->s, e[k]->len);
			fprintf(out, " %llu", (unsigned long long)e[k]->count);
		}
		free(e);
		fputs("</td></tr>\n", out);
	}
	free(v);
	fputs("</table>\n", out);

	html_totals(out, "Totals by offered version", "offered max",
	    &r->by_offered, centry_cmp_version);
	html_totals(out, "Totals by client guess", "client guess",
	    &r->by_guess, centry_cmp_count);
	if (r->counts.handshake_failed + r->counts.not_tls +
	    r->counts.other_events > 0) {
		html_totals(out, "Failed handshakes", "reason",
		    &r->hf_reasons, centry_cmp_count);
		fprintf(out, "<p>%llu not_tls record%s, %llu record%s of "
		    "other events.</p>\n",
		    (unsigned long long)r->counts.not_tls,
		    r->counts.not_tls == 1 ? "" : "s",
		    (unsigned long long)r->counts.other_events,
		    r->counts.other_events == 1 ? "" : "s");
	}
	fputs("</body>\n</html>\n", out);
	return finish(out);
}

/* ---------------------------------------------------------------------
 * The command
 */

static void
usage(FILE *f)
{
	fputs("usage: tlsfloor report [--html OUT] [--json] [--since TIME] "
	    "LOG...\n"
	    "  LOG           a legacy-log file; - reads standard input\n"
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

/* Reads one LOG ("-": stdin) into r; 0, or -1 after saying why. */
static int
read_log(struct tf_report *r, const char *path)
{
	FILE *f = stdin;
	int rc;

	if (strcmp(path, "-") != 0) {
		f = fopen(path, "r");
		if (f == NULL) {
			fprintf(stderr, "tlsfloor: report: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
	}
	rc = tf_report_read(r, f, path);
	if (rc != 0)
		fprintf(stderr, "tlsfloor: report: %s: %s\n", path,
		    strerror(errno));
	if (f != stdin)
		fclose(f);
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
	rc = tf_report_write_html(r, f, now);
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "tlsfloor: report: %s: %s\n",
		    f == stdout ? "stdout" : path, strerror(errno));
	return rc;
}

int
tf_report_main(int argc, char **argv)
{
	const char *html = NULL, *since = NULL, **logs;
	struct tf_report *r;
	int64_t now = now_us(), since_us = TF_REPORT_NO_SINCE;
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
			if (tf_report_parse_since(since, now, &since_us) !=
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
		if ((json ? tf_report_write_json(r, stdout, now) :
		    tf_report_write_text(r, stdout)) != 0) {
			fprintf(stderr, "tlsfloor: report: stdout: %s\n",
			    strerror(errno));
			rc = 1;
		}
	}
	tf_report_free(r);
	free(logs);
	return rc;
}
