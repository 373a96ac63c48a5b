/*
 * Unit tests for proxy/hello.c: parsing of real ClientHellos from
 * tests/unit/vectors/clienthellos.tsv (expected values computed by a
 * separate implementation, see the file's header), the published JA3 and
 * JA4 examples, and malformed input. Every parse of a cut or corrupted
 * hello gets a buffer of exactly its length, so valgrind or ASan sees any
 * read past the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "json.h"
#include "test.h"

#define VECTORS "tests/unit/vectors/clienthellos.tsv"

/* One line of the vectors file. */
struct vec {
	char *line;          /* owns the strings below */
	const char *name;
	unsigned max_version;
	const char *offered_max;
	const char *sni;
	const char *ja3;
	const char *ja3_md5;
	const char *ja4;
	uint8_t *hello;      /* the whole first record */
	size_t hello_len;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into a fresh buffer; aborts the test on bad input. */
static uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *out;

	if (n % 2 != 0)
		TEST_FAIL("odd hex length");
	out = malloc(n / 2 + 1);
	ASSERT(out != NULL);
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			TEST_FAIL("bad hex digit near %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

/* Loads every capture; returns the count, *out owning an array. */
static size_t
load_vectors(struct vec **out)
{
	const char *top = getenv("TF_SRCDIR");
	char path[4096];
	struct vec *v = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", VECTORS);
	f = fopen(path, "r");
	if (f == NULL)
		TEST_FAIL("cannot open %s (set TF_SRCDIR)", path);
	while (getline(&line, &linecap, f) != -1) {
		char *field[8], *p, *save = NULL;
		struct vec *nv;
		int nf;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		p = strdup(line);
		ASSERT(p != NULL);
		for (nf = 0; nf < 8; nf++) {
			field[nf] = strtok_r(nf == 0 ? p : NULL, "\t", &save);
			if (field[nf] == NULL)
				break;
		}
		if (nf < 8)
			TEST_FAIL("%s: short line: %s", path, line);
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			ASSERT(nv != NULL);
			v = nv;
		}
		v[n].line = p;
		v[n].name = field[0];
		v[n].max_version = (unsigned)strtoul(field[1], NULL, 16);
		v[n].offered_max = field[2];
		v[n].sni = field[3];
		v[n].ja3 = field[4];
		v[n].ja3_md5 = field[5];
		v[n].ja4 = field[6];
		v[n].hello = unhex(field[7], &v[n].hello_len);
		n++;
	}
	free(line);
	fclose(f);
	*out = v;
	return n;
}

static void
free_vectors(struct vec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].line);
		free(v[i].hello);
	}
	free(v);
}

/*
 * Checks the record and handshake headers of a TLS capture and returns the
 * ClientHello body in *body. The test does this itself: tf_hello_parse
 * only sees the body.
 */
static void
tls_body(const struct vec *v, const uint8_t **body, size_t *len)
{
	const uint8_t *b = v->hello;
	size_t reclen, hslen;

	ASSERT(v->hello_len >= 9);
	ASSERT_EQ(b[0], 0x16);
	reclen = (size_t)b[3] << 8 | b[4];
	ASSERT_EQ(reclen, v->hello_len - 5);
	ASSERT_EQ(b[5], 1);
	hslen = (size_t)b[6] << 16 | (size_t)b[7] << 8 | b[8];
	ASSERT_EQ(hslen, reclen - 4);
	*body = b + 9;
	*len = hslen;
}

/* Parses a capture, from an exactly-sized copy; returns the parser's rc. */
static int
parse_vec(const struct vec *v, struct tf_hello *h)
{
	const uint8_t *body;
	uint8_t *copy;
	size_t len;
	int rc;

	if (v->hello[0] & 0x80) {
		body = v->hello;
		len = v->hello_len;
	} else {
		tls_body(v, &body, &len);
	}
	copy = malloc(len ? len : 1);
	ASSERT(copy != NULL);
	memcpy(copy, body, len);
	rc = (v->hello[0] & 0x80) ? tf_hello_parse_sslv2(h, copy, len) :
	    tf_hello_parse(h, copy, len);
	free(copy);
	return rc;
}

static void
check_fingerprints(const struct vec *v, const struct tf_hello *h)
{
	const char *name = tf_version_name(tf_hello_max_version(h));
	char ja3[4096], md5[33], ja4[37];

	if (tf_hello_max_version(h) != v->max_version)
		TEST_FAIL("%s: max version 0x%04x, expected 0x%04x", v->name,
		    tf_hello_max_version(h), v->max_version);
	if (strcmp(v->offered_max, "-") == 0)
		ASSERT(name == NULL);
	else
		ASSERT_STR_EQ(name, v->offered_max);
	if (strcmp(v->sni, "-") == 0) {
		ASSERT(!h->has_sni);
	} else {
		ASSERT(h->has_sni);
		ASSERT_EQ(h->sni_len, strlen(v->sni));
		ASSERT(memcmp(h->sni, v->sni, h->sni_len) == 0);
	}
	ASSERT(tf_hello_ja3(h, ja3, sizeof(ja3)) == strlen(v->ja3));
	ASSERT_STR_EQ(ja3, v->ja3);
	tf_hello_md5_hex(ja3, md5);
	ASSERT_STR_EQ(md5, v->ja3_md5);
	tf_hello_ja4(h, ja4);
	ASSERT_STR_EQ(ja4, v->ja4);
	ASSERT(!h->truncated);
}

TEST(vectors_fingerprints)
{
	struct vec *v;
	size_t n = load_vectors(&v), i;
	size_t sslv2 = 0, grease = 0, nosni = 0, tls13 = 0, tls10 = 0;

	ASSERT(n >= 12);
	for (i = 0; i < n; i++) {
		struct tf_hello h;

		if (parse_vec(&v[i], &h) != 0)
			TEST_FAIL("%s: parse failed", v[i].name);
		check_fingerprints(&v[i], &h);
		sslv2 += h.format == TF_HELLO_FMT_SSLV2;
		grease += h.grease > 0;
		nosni += !h.has_sni;
		tls13 += tf_hello_max_version(&h) == TF_TLS13_VERSION;
		tls10 += tf_hello_max_version(&h) == TF_TLS10_VERSION;
	}
	/* The file must keep covering each kind of client. */
	ASSERT(sslv2 >= 2);
	ASSERT(grease >= 1);
	ASSERT(nosni >= 3);
	ASSERT(tls13 >= 1);
	ASSERT(tls10 >= 1);
	printf("# %zu captures: %zu SSLv2-format, %zu with GREASE, "
	    "%zu without SNI, %zu TLS1.3, %zu TLS1.0\n", n, sslv2, grease,
	    nosni, tls13, tls10);
	free_vectors(v, n);
}

/* Offset of the extensions block in a ClientHello body. */
static size_t
ext_offset(const uint8_t *b, size_t len)
{
	size_t off = 2 + 32;

	off += 1 + b[off];                                  /* session_id */
	off += 2 + ((size_t)b[off] << 8 | b[off + 1]);      /* ciphers */
	off += 1 + b[off];                                  /* compression */
	ASSERT(off <= len);
	return off;
}

/*
 * Every proper prefix of every capture is rejected, except a TLS body cut
 * exactly where the (optional) extensions block starts: that is a valid
 * extension-less hello.
 */
TEST(vectors_truncated)
{
	struct vec *v;
	size_t n = load_vectors(&v), i, cut;

	for (i = 0; i < n; i++) {
		int sslv2 = (v[i].hello[0] & 0x80) != 0;
		const uint8_t *body = v[i].hello;
		size_t len = v[i].hello_len, extoff = (size_t)-1;

		if (!sslv2) {
			tls_body(&v[i], &body, &len);
			extoff = ext_offset(body, len);
		}
		for (cut = 0; cut < len; cut++) {
			struct tf_hello h;
			uint8_t *copy = malloc(cut ? cut : 1);
			int rc;

			ASSERT(copy != NULL);
			memcpy(copy, body, cut);
			rc = sslv2 ? tf_hello_parse_sslv2(&h, copy, cut) :
			    tf_hello_parse(&h, copy, cut);
			free(copy);
			if (cut == extoff) {
				ASSERT_EQ(rc, 0);
				ASSERT_EQ(h.nexts, 0);
			} else if (rc != -1) {
				TEST_FAIL("%s: cut at %zu of %zu accepted",
				    v[i].name, cut, len);
			}
		}
	}
	free_vectors(v, n);
}

/* A byte after the extensions block, or after the record, is garbage. */
TEST(vectors_trailing_byte)
{
	struct vec *v;
	size_t n = load_vectors(&v), i;

	for (i = 0; i < n; i++) {
		const uint8_t *body;
		struct tf_hello h;
		uint8_t *copy;
		size_t len;

		if (v[i].hello[0] & 0x80)
			continue;
		tls_body(&v[i], &body, &len);
		copy = malloc(len + 1);
		ASSERT(copy != NULL);
		memcpy(copy, body, len);
		copy[len] = 0;
		if (tf_hello_parse(&h, copy, len + 1) != -1)
			TEST_FAIL("%s: trailing byte accepted", v[i].name);
		free(copy);
	}
	free_vectors(v, n);
}

/* A small ClientHello builder for hand-made cases. */
struct bld {
	uint8_t b[8192];
	size_t len;
};

static void
put8(struct bld *b, unsigned v)
{
	ASSERT(b->len < sizeof(b->b));
	b->b[b->len++] = (uint8_t)v;
}

static void
put16(struct bld *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void
putn(struct bld *b, const void *p, size_t n)
{
	ASSERT(n <= sizeof(b->b) - b->len);
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

/* Opens a 16-bit length prefix; close it with len16_end(b, mark). */
static size_t
len16_begin(struct bld *b)
{
	put16(b, 0);
	return b->len;
}

static void
len16_end(struct bld *b, size_t mark)
{
	size_t n = b->len - mark;

	b->b[mark - 2] = (uint8_t)(n >> 8);
	b->b[mark - 1] = (uint8_t)n;
}

/* client_version, random, empty session_id, ciphers, null compression. */
static void
hello_start(struct bld *b, unsigned version, const uint16_t *ciphers,
    size_t nciphers)
{
	uint8_t random[32];
	size_t i;

	memset(b, 0, sizeof(*b));
	memset(random, 0x5a, sizeof(random));
	put16(b, version);
	putn(b, random, sizeof(random));
	put8(b, 0);
	put16(b, (unsigned)(2 * nciphers));
	for (i = 0; i < nciphers; i++)
		put16(b, ciphers[i]);
	put8(b, 1);
	put8(b, 0);
}

static void
ext_sni(struct bld *b, const void *name, size_t n)
{
	size_t e, l;

	put16(b, 0);
	e = len16_begin(b);
	l = len16_begin(b);
	put8(b, 0);
	put16(b, (unsigned)n);
	putn(b, name, n);
	len16_end(b, l);
	len16_end(b, e);
}

static void
ext_u16list(struct bld *b, unsigned type, int lenbytes, const uint16_t *v,
    size_t n)
{
	size_t e, i;

	put16(b, type);
	e = len16_begin(b);
	if (lenbytes == 1)
		put8(b, (unsigned)(2 * n));
	else
		put16(b, (unsigned)(2 * n));
	for (i = 0; i < n; i++)
		put16(b, v[i]);
	len16_end(b, e);
}

static int
parse_exact(struct tf_hello *h, const struct bld *b)
{
	uint8_t *copy = malloc(b->len ? b->len : 1);
	int rc;

	ASSERT(copy != NULL);
	memcpy(copy, b->b, b->len);
	rc = tf_hello_parse(h, copy, b->len);
	free(copy);
	return rc;
}

TEST(grease_removed_and_counted)
{
	static const uint16_t ciphers[] = { 0x0a0a, 0x1301, 0xc02f, 0xfafa };
	static const uint16_t versions[] = { 0x2a2a, 0x0304, 0x0303 };
	static const uint16_t groups[] = { 0x3a3a, 0x001d, 0x0017 };
	static const uint16_t sigalgs[] = { 0x4a4a, 0x0403, 0x0804 };
	struct tf_hello h;
	struct bld b;
	size_t x;
	char ja3[256], ja4[37];
	unsigned v;

	hello_start(&b, 0x0303, ciphers, TF_ARRAY_SIZE(ciphers));
	x = len16_begin(&b);
	put16(&b, 0x5a5a);                      /* GREASE extension */
	put16(&b, 0);
	ext_sni(&b, "example.com", 11);
	ext_u16list(&b, 43, 1, versions, TF_ARRAY_SIZE(versions));
	ext_u16list(&b, 10, 2, groups, TF_ARRAY_SIZE(groups));
	ext_u16list(&b, 13, 2, sigalgs, TF_ARRAY_SIZE(sigalgs));
	put16(&b, 0xdada);                      /* GREASE extension */
	put16(&b, 1);
	put8(&b, 0);
	len16_end(&b, x);

	ASSERT_OK(parse_exact(&h, &b));
	ASSERT_EQ(h.grease, 7);
	ASSERT_EQ(h.nciphers, 2);
	ASSERT_EQ(h.ciphers[0], 0x1301);
	ASSERT_EQ(h.ciphers[1], 0xc02f);
	ASSERT_EQ(h.nexts, 4);
	ASSERT_EQ(h.exts[0], 0);
	ASSERT_EQ(h.exts[1], 43);
	ASSERT_EQ(h.exts[2], 10);
	ASSERT_EQ(h.exts[3], 13);
	ASSERT_EQ(h.nversions, 2);
	ASSERT_EQ(h.versions[0], 0x0304);
	ASSERT_EQ(h.ngroups, 2);
	ASSERT_EQ(h.groups[0], 0x001d);
	ASSERT_EQ(h.nsigalgs, 2);
	ASSERT_EQ(h.sigalgs[0], 0x0403);
	ASSERT_EQ(tf_hello_max_version(&h), TF_TLS13_VERSION);
	ASSERT(tf_hello_ja3(&h, ja3, sizeof(ja3)) != (size_t)-1);
	ASSERT_STR_EQ(ja3, "771,4865-49199,0-43-10-13,29-23,");
	tf_hello_ja4(&h, ja4);
	ASSERT(strncmp(ja4, "t13d020400_", 11) == 0);

	for (v = 0; v <= 0xffff; v++) {
		int want = (v >> 8) == (v & 0xff) && (v & 0x0f) == 0x0a;

		ASSERT_EQ(tf_hello_is_grease((uint16_t)v), want);
	}
	ASSERT(tf_hello_is_grease(0x0a0a) && tf_hello_is_grease(0xfafa));
	ASSERT(!tf_hello_is_grease(0x0a1a) && !tf_hello_is_grease(0x0b0b));
}

/* supported_versions holding only GREASE falls back to client_version. */
TEST(grease_only_versions)
{
	static const uint16_t ciphers[] = { 0x002f };
	static const uint16_t versions[] = { 0x7a7a };
	struct tf_hello h;
	struct bld b;
	size_t x;

	hello_start(&b, 0x0301, ciphers, 1);
	x = len16_begin(&b);
	ext_u16list(&b, 43, 1, versions, 1);
	len16_end(&b, x);
	ASSERT_OK(parse_exact(&h, &b));
	ASSERT(h.has_supported_versions);
	ASSERT_EQ(h.nversions, 0);
	ASSERT_EQ(tf_hello_max_version(&h), TF_TLS10_VERSION);
}

TEST(sni_raw_bytes)
{
	static const uint16_t ciphers[] = { 0x002f };
	static const uint8_t name[] = "a\"b\\c\x01\n\x7f\xff\xc0\x80.";
	size_t nlen = sizeof(name) - 1, x;
	struct tf_hello h;
	struct tf_json j;
	struct bld b;
	char buf[256];

	hello_start(&b, 0x0301, ciphers, 1);
	x = len16_begin(&b);
	ext_sni(&b, name, nlen);
	len16_end(&b, x);
	ASSERT_OK(parse_exact(&h, &b));
	ASSERT(h.has_sni);
	ASSERT_EQ(h.sni_len, nlen);
	ASSERT(memcmp(h.sni, name, nlen) == 0);
	ASSERT(!h.truncated);

	/* What the record writer will make of it. */
	tf_json_init(&j, buf, sizeof(buf));
	tf_json_begin(&j);
	tf_json_strn(&j, "sni", h.sni, h.sni_len);
	tf_json_end(&j);
	ASSERT(!j.overflow);
	ASSERT_STR_EQ(buf, "{\"sni\":\"a\\\"b\\\\c\\u0001\\n\\u007f\\u00ff"
	    "\\u00c0\\u0080.\"}\n");
}

TEST(sni_too_long_truncated)
{
	static const uint16_t ciphers[] = { 0x002f };
	uint8_t name[300];
	struct tf_hello h;
	struct bld b;
	size_t x;

	memset(name, 'a', sizeof(name));
	name[254] = 'X';
	name[255] = 'Y';
	hello_start(&b, 0x0303, ciphers, 1);
	x = len16_begin(&b);
	ext_sni(&b, name, sizeof(name));
	len16_end(&b, x);
	ASSERT_OK(parse_exact(&h, &b));
	ASSERT(h.has_sni);
	ASSERT(h.truncated);
	ASSERT_EQ(h.sni_len, 255);
	ASSERT_EQ(h.sni[254], 'X');
}

TEST(alpn_first_protocol)
{
	static const uint16_t ciphers[] = { 0x1301 };
	struct tf_hello h;
	struct bld b;
	size_t x, e, l;
	char ja4[37];

	hello_start(&b, 0x0303, ciphers, 1);
	x = len16_begin(&b);
	put16(&b, 16);
	e = len16_begin(&b);
	l = len16_begin(&b);
	put8(&b, 8);
	putn(&b, "http/1.1", 8);
	put8(&b, 2);
	putn(&b, "h2", 2);
	len16_end(&b, l);
	len16_end(&b, e);
	len16_end(&b, x);
	ASSERT_OK(parse_exact(&h, &b));
	ASSERT(h.has_alpn);
	ASSERT_EQ(h.alpn_first_len, 8);
	ASSERT(memcmp(h.alpn_first, "http/1.1", 8) == 0);
	tf_hello_ja4(&h, ja4);
	ASSERT(strncmp(ja4, "t12i0101h1_", 11) == 0);
}

/* Builds a body whose extensions block is `ext` (n bytes, unframed). */
static int
parse_with_exts(const void *ext, size_t n)
{
	static const uint16_t ciphers[] = { 0x002f };
	struct tf_hello h;
	struct bld b;

	hello_start(&b, 0x0303, ciphers, 1);
	put16(&b, (unsigned)n);
	putn(&b, ext, n);
	return parse_exact(&h, &b);
}

TEST(bad_lengths)
{
	struct tf_hello h;
	struct bld b;
	uint8_t sid[33];

	memset(sid, 0, sizeof(sid));
	/* Odd cipher_suites length. */
	memset(&b, 0, sizeof(b));
	put16(&b, 0x0303);
	putn(&b, sid, 32);
	put8(&b, 0);
	put16(&b, 3);
	put16(&b, 0x002f);
	put8(&b, 0x0a);
	put8(&b, 1);
	put8(&b, 0);
	ASSERT_EQ(parse_exact(&h, &b), -1);

	/* session_id longer than 32. */
	memset(&b, 0, sizeof(b));
	put16(&b, 0x0303);
	putn(&b, sid, 32);
	put8(&b, 33);
	putn(&b, sid, 33);
	put16(&b, 2);
	put16(&b, 0x002f);
	put8(&b, 1);
	put8(&b, 0);
	ASSERT_EQ(parse_exact(&h, &b), -1);

	/* cipher_suites length running past the end. */
	memset(&b, 0, sizeof(b));
	put16(&b, 0x0303);
	putn(&b, sid, 32);
	put8(&b, 0);
	put16(&b, 0xfffe);
	put16(&b, 0x002f);
	ASSERT_EQ(parse_exact(&h, &b), -1);

	/* Empty extensions block: fine. */
	ASSERT_EQ(parse_with_exts("", 0), 0);
	/* Extension length past the block. */
	ASSERT_EQ(parse_with_exts("\x00\x17\x00\x01", 4), -1);
	/* Trailing garbage inside the block: a partial extension header. */
	ASSERT_EQ(parse_with_exts("\x00\x17\x00\x00\x00", 5), -1);
	ASSERT_EQ(parse_with_exts("\x00\x17\x00\x00\x00\x17\x00", 7), -1);
	/* Duplicate extension. */
	ASSERT_EQ(parse_with_exts("\x00\x17\x00\x00\x00\x17\x00\x00", 8), -1);
	/* ... but a repeated GREASE type is only counted. */
	ASSERT_EQ(parse_with_exts("\x0a\x0a\x00\x00\x0a\x0a\x00\x00", 8), 0);
	/* Unknown extensions are kept, in order. */
	ASSERT_EQ(parse_with_exts("\x12\x34\x00\x01\x00\x00\x17\x00\x00", 9),
	    0);
	/* SNI list length disagreeing with the extension length. */
	ASSERT_EQ(parse_with_exts("\x00\x00\x00\x05\x00\x04\x00\x00\x00", 9),
	    -1);
	ASSERT_EQ(parse_with_exts("\x00\x00\x00\x05\x00\x02\x00\x00\x00", 9),
	    -1);
	/* SNI name length past its list. */
	ASSERT_EQ(parse_with_exts("\x00\x00\x00\x06\x00\x04\x00\x00\x05"
	    "a", 10), -1);
	/* supported_versions with an odd byte count. */
	ASSERT_EQ(parse_with_exts("\x00\x2b\x00\x04\x03\x03\x04\x00", 8), -1);
	/* supported_groups whose list overruns the extension. */
	ASSERT_EQ(parse_with_exts("\x00\x0a\x00\x04\x00\x04\x00\x1d", 8), -1);
	/* signature_algorithms with bytes after the list. */
	ASSERT_EQ(parse_with_exts("\x00\x0d\x00\x05\x00\x02\x04\x03\x00", 9),
	    -1);
	/* ec_point_formats overrunning. */
	ASSERT_EQ(parse_with_exts("\x00\x0b\x00\x02\x02\x00", 6), -1);
	/* ALPN protocol length past the list. */
	ASSERT_EQ(parse_with_exts("\x00\x10\x00\x05\x00\x03\x03h2", 9), -1);
	/* ALPN list with a byte left over. */
	ASSERT_EQ(parse_with_exts("\x00\x10\x00\x06\x00\x03\x02h2\x00", 10),
	    -1);
	/* A missing extensions block is fine; a 1-byte one is not. */
	hello_start(&b, 0x0303, (const uint16_t[]){ 0x002f }, 1);
	ASSERT_EQ(parse_exact(&h, &b), 0);
	put8(&b, 0);
	ASSERT_EQ(parse_exact(&h, &b), -1);
	ASSERT_EQ(tf_hello_parse(&h, (const uint8_t *)"", 0), -1);
}

TEST(too_many_ciphers_truncated)
{
	uint16_t ciphers[300];
	struct tf_hello h;
	struct bld b;
	size_t i;
	char ja4[37];

	for (i = 0; i < TF_ARRAY_SIZE(ciphers); i++)
		ciphers[i] = (uint16_t)(0x0100 + i);
	hello_start(&b, 0x0303, ciphers, TF_ARRAY_SIZE(ciphers));
	ASSERT_OK(parse_exact(&h, &b));
	ASSERT(h.truncated);
	ASSERT_EQ(h.nciphers, TF_HELLO_MAX_CIPHERS);
	ASSERT_EQ(h.ciphers[TF_HELLO_MAX_CIPHERS - 1],
	    0x0100 + TF_HELLO_MAX_CIPHERS - 1);
	tf_hello_ja4(&h, ja4);
	ASSERT(strncmp(ja4, "t12i990000_", 11) == 0);
	ASSERT_STR_EQ(ja4 + 24, "000000000000");
}

static size_t
sslv2_record(uint8_t *out, unsigned version, const uint8_t *specs,
    size_t nspecs, size_t sid, size_t chal)
{
	size_t body = 9 + 3 * nspecs + sid + chal, i = 0;

	out[i++] = (uint8_t)(0x80 | body >> 8);
	out[i++] = (uint8_t)body;
	out[i++] = 1;
	out[i++] = (uint8_t)(version >> 8);
	out[i++] = (uint8_t)version;
	out[i++] = 0;
	out[i++] = (uint8_t)(3 * nspecs);
	out[i++] = 0;
	out[i++] = (uint8_t)sid;
	out[i++] = 0;
	out[i++] = (uint8_t)chal;
	memcpy(out + i, specs, 3 * nspecs);
	i += 3 * nspecs;
	memset(out + i, 0x11, sid + chal);
	return i + sid + chal;
}

static int
parse_sslv2_exact(struct tf_hello *h, const uint8_t *rec, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	ASSERT(copy != NULL);
	memcpy(copy, rec, len);
	rc = tf_hello_parse_sslv2(h, copy, len);
	free(copy);
	return rc;
}

TEST(sslv2_format)
{
	/* SSL_CK_RC4_128_WITH_MD5, TLS_RSA_WITH_RC4_128_MD5, a GREASE
	 * spec, SSL_CK_DES_192_EDE3_CBC_WITH_MD5, TLS ..._3DES_EDE_CBC_SHA. */
	static const uint8_t specs[] = { 0x01, 0x00, 0x80, 0x00, 0x00, 0x04,
		0x00, 0x2a, 0x2a, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x0a };
	uint8_t rec[128];
	struct tf_hello h;
	size_t len;
	char ja3[128], ja4[37];

	len = sslv2_record(rec, 0x0002, specs, 5, 0, 16);
	ASSERT_OK(parse_sslv2_exact(&h, rec, len));
	ASSERT_EQ(h.format, TF_HELLO_FMT_SSLV2);
	ASSERT_EQ(h.legacy_version, TF_SSL2_VERSION);
	ASSERT_EQ(h.nciphers, 2);
	ASSERT_EQ(h.ciphers[0], 0x0004);
	ASSERT_EQ(h.ciphers[1], 0x000a);
	ASSERT_EQ(h.grease, 1);
	ASSERT_EQ(h.nexts, 0);
	ASSERT(!h.has_sni);
	ASSERT_STR_EQ(tf_version_name(tf_hello_max_version(&h)), "SSL2.0");
	ASSERT(tf_hello_ja3(&h, ja3, sizeof(ja3)) != (size_t)-1);
	ASSERT_STR_EQ(ja3, "2,4-10,,,");
	tf_hello_ja4(&h, ja4);
	ASSERT(strncmp(ja4, "ts2i020000_", 11) == 0);
	ASSERT_STR_EQ(ja4 + 24, "000000000000");

	/* Bytes after the record are not the parser's business. */
	rec[len] = 0xee;
	ASSERT_OK(parse_sslv2_exact(&h, rec, len + 1));

	/* Announcing TLS 1.0 in an SSLv2-format hello, 32-byte challenge. */
	len = sslv2_record(rec, 0x0301, specs + 3, 1, 16, 32);
	ASSERT_OK(parse_sslv2_exact(&h, rec, len));
	ASSERT_STR_EQ(tf_version_name(tf_hello_max_version(&h)), "TLS1.0");

	/* Rejects. */
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 16);
	rec[0] &= 0x7f;                         /* 3-byte header form */
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len), -1);
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 16);
	rec[2] = 2;                             /* not CLIENT-HELLO */
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len), -1);
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 16);
	rec[6] = 14;                            /* specs not 3-byte multiple */
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len), -1);
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 15);  /* short chal. */
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len), -1);
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 33);  /* long chal. */
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len), -1);
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 16);
	rec[1]++;                               /* record longer than parts */
	rec[len] = 0;
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len + 1), -1);
	len = sslv2_record(rec, 0x0300, specs, 5, 0, 16);
	rec[10] = 17;                           /* parts longer than record */
	ASSERT_EQ(parse_sslv2_exact(&h, rec, len), -1);
	ASSERT_EQ(parse_sslv2_exact(&h, rec, 1), -1);
}

/* Fills h with the inputs of the example in FoxIO's JA4.md. */
static void
foxio_example(struct tf_hello *h)
{
	static const uint16_t ciphers[] = { 0x1301, 0x1302, 0x1303, 0xc02b,
		0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
		0x009c, 0x009d, 0x002f, 0x0035 };
	static const uint16_t exts[] = { 0x001b, 0x0000, 0x0033, 0x0010,
		0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
		0x002b, 0xff01, 0x000b, 0x000a, 0x0015 };
	static const uint16_t sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503,
		0x0805, 0x0501, 0x0806, 0x0601 };

	memset(h, 0, sizeof(*h));
	h->legacy_version = TF_TLS12_VERSION;
	h->has_supported_versions = 1;
	h->versions[0] = TF_TLS13_VERSION;
	h->versions[1] = TF_TLS12_VERSION;
	h->nversions = 2;
	memcpy(h->ciphers, ciphers, sizeof(ciphers));
	h->nciphers = TF_ARRAY_SIZE(ciphers);
	memcpy(h->exts, exts, sizeof(exts));
	h->nexts = TF_ARRAY_SIZE(exts);
	memcpy(h->sigalgs, sigalgs, sizeof(sigalgs));
	h->nsigalgs = TF_ARRAY_SIZE(sigalgs);
	h->has_sni = 1;
	memcpy(h->sni, "example.com", 11);
	h->sni_len = 11;
	h->has_alpn = 1;
	memcpy(h->alpn_first, "h2", 2);
	h->alpn_first_len = 2;
}

TEST(ja4_published_example)
{
	struct tf_hello h;
	char ja4[37];

	foxio_example(&h);
	tf_hello_ja4(&h, ja4);
	ASSERT_STR_EQ(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");

	/* JA4.md: without signature algorithms, no '_' is hashed. */
	h.nsigalgs = 0;
	tf_hello_ja4(&h, ja4);
	ASSERT_STR_EQ(ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");

	/* No SNI: 'i'; the c hash ignores SNI and ALPN either way. */
	foxio_example(&h);
	h.has_sni = 0;
	memmove(h.exts + 1, h.exts + 2, 14 * sizeof(h.exts[0]));
	h.nexts = 15;
	tf_hello_ja4(&h, ja4);
	ASSERT_STR_EQ(ja4, "t13i1515h2_8daaf6152771_e5627efa2ab1");

	/* Only SNI and ALPN: empty c list. No ciphers: empty b list. */
	foxio_example(&h);
	h.exts[0] = 0x0000;
	h.exts[1] = 0x0010;
	h.nexts = 2;
	h.nsigalgs = 0;
	h.nciphers = 0;
	tf_hello_ja4(&h, ja4);
	ASSERT_STR_EQ(ja4, "t13d0002h2_000000000000_000000000000");
}

TEST(ja4_alpn_rules)
{
	/* The examples of JA4.md "ALPN Extension Value". */
	static const struct {
		const char *alpn;
		size_t len;
		const char *want;
	} cases[] = {
		{ "h2", 2, "h2" },
		{ "http/1.1", 8, "h1" },
		{ "\xab", 1, "ab" },
		{ "\xab\xcd", 2, "ad" },
		{ "\x30\xab", 2, "3b" },
		{ "\x30\x31\xab\xcd", 4, "3d" },
		{ "\x30\xab\xcd\x31", 4, "01" },
		{ "x", 1, "xx" },
		{ "", 0, "00" },
	};
	struct tf_hello h;
	size_t i;
	char ja4[37];

	for (i = 0; i < TF_ARRAY_SIZE(cases); i++) {
		foxio_example(&h);
		memcpy(h.alpn_first, cases[i].alpn, cases[i].len);
		h.alpn_first_len = cases[i].len;
		tf_hello_ja4(&h, ja4);
		if (strncmp(ja4 + 8, cases[i].want, 2) != 0)
			TEST_FAIL("case %zu: %s, expected ALPN %s", i, ja4,
			    cases[i].want);
	}
	foxio_example(&h);
	h.has_alpn = 0;
	tf_hello_ja4(&h, ja4);
	ASSERT(strncmp(ja4, "t13d151600_", 11) == 0);
}

TEST(ja4_versions)
{
	static const struct {
		uint16_t v;
		const char *want;
	} cases[] = {
		{ 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" },
		{ 0x0301, "10" }, { 0x0300, "s3" }, { 0x0002, "s2" },
		{ 0x7f17, "00" }, { 0x0200, "00" },
	};
	struct tf_hello h;
	size_t i;
	char ja4[37];

	for (i = 0; i < TF_ARRAY_SIZE(cases); i++) {
		memset(&h, 0, sizeof(h));
		h.legacy_version = cases[i].v;
		tf_hello_ja4(&h, ja4);
		if (strncmp(ja4 + 1, cases[i].want, 2) != 0)
			TEST_FAIL("0x%04x: %s", cases[i].v, ja4);
		ASSERT_STR_EQ(ja4 + 3,
		    "i000000_000000000000_000000000000");
	}
}

/* Fills h from a JA3 string's fields, for the README examples. */
static void
ja3_from_lists(struct tf_hello *h, uint16_t version, const uint16_t *c,
    size_t nc, const uint16_t *e, size_t ne, const uint16_t *g, size_t ng,
    const uint8_t *pf, size_t npf)
{
	memset(h, 0, sizeof(*h));
	h->legacy_version = version;
	if (nc > 0)
		memcpy(h->ciphers, c, nc * sizeof(*c));
	h->nciphers = nc;
	if (ne > 0)
		memcpy(h->exts, e, ne * sizeof(*e));
	h->nexts = ne;
	if (ng > 0)
		memcpy(h->groups, g, ng * sizeof(*g));
	h->ngroups = ng;
	if (npf > 0)
		memcpy(h->point_formats, pf, npf);
	h->npoint_formats = npf;
}

TEST(ja3_published_examples)
{
	/* salesforce/ja3 README.md, "How it works". */
	static const uint16_t c1[] = { 47, 53, 5, 10, 49161, 49162, 49171,
		49172, 50, 56, 19, 4 };
	static const uint16_t e1[] = { 0, 10, 11 };
	static const uint16_t g1[] = { 23, 24, 25 };
	static const uint8_t p1[] = { 0 };
	static const uint16_t c2[] = { 4, 5, 10, 9, 100, 98, 3, 6, 19, 18,
		99 };
	struct tf_hello h;
	char ja3[256], md5[33];
	size_t n;

	ja3_from_lists(&h, 769, c1, TF_ARRAY_SIZE(c1), e1, 3, g1, 3, p1, 1);
	n = tf_hello_ja3(&h, ja3, sizeof(ja3));
	ASSERT_STR_EQ(ja3, "769,47-53-5-10-49161-49162-49171-49172-50-56-"
	    "19-4,0-10-11,23-24-25,0");
	ASSERT_EQ(n, strlen(ja3));
	tf_hello_md5_hex(ja3, md5);
	ASSERT_STR_EQ(md5, "ada70206e40642a3e4461f35503241d5");

	ja3_from_lists(&h, 769, c2, TF_ARRAY_SIZE(c2), NULL, 0, NULL, 0,
	    NULL, 0);
	tf_hello_ja3(&h, ja3, sizeof(ja3));
	ASSERT_STR_EQ(ja3, "769,4-5-10-9-100-98-3-6-19-18-99,,,");
	tf_hello_md5_hex(ja3, md5);
	ASSERT_STR_EQ(md5, "de350869b8c85de67a350c8d186f11e6");

	/* Exact fit, one byte short, and no buffer at all. */
	ASSERT_EQ(tf_hello_ja3(&h, ja3, 36), 35);
	ASSERT(tf_hello_ja3(&h, ja3, 35) == (size_t)-1);
	ASSERT(strlen(ja3) < 35);
	ASSERT(tf_hello_ja3(&h, ja3, 0) == (size_t)-1);
	tf_hello_md5_hex("", md5);
	ASSERT_STR_EQ(md5, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(version_names)
{
	ASSERT_STR_EQ(tf_version_name(0x0002), "SSL2.0");
	ASSERT_STR_EQ(tf_version_name(0x0300), "SSL3.0");
	ASSERT_STR_EQ(tf_version_name(0x0301), "TLS1.0");
	ASSERT_STR_EQ(tf_version_name(0x0302), "TLS1.1");
	ASSERT_STR_EQ(tf_version_name(0x0303), "TLS1.2");
	ASSERT_STR_EQ(tf_version_name(0x0304), "TLS1.3");
	ASSERT(tf_version_name(0x0200) == NULL);
	ASSERT(tf_version_name(0x7f17) == NULL);
	ASSERT(tf_version_name(0x0a0a) == NULL);
	ASSERT(tf_version_name(0) == NULL);
}

/* TLS 1.3 drafts (Chrome 65, Firefox 59) are passed over for the floor. */
TEST(max_known_version)
{
	struct tf_hello h;

	memset(&h, 0, sizeof(h));
	h.legacy_version = TF_TLS12_VERSION;
	ASSERT_EQ(tf_hello_max_known_version(&h), TF_TLS12_VERSION);
	h.has_supported_versions = 1;
	h.versions[0] = 0x7f17;
	h.versions[1] = TF_TLS12_VERSION;
	h.versions[2] = TF_TLS11_VERSION;
	h.nversions = 3;
	ASSERT_EQ(tf_hello_max_version(&h), 0x7f17);
	ASSERT_EQ(tf_hello_max_known_version(&h), TF_TLS12_VERSION);
	h.versions[0] = TF_TLS13_VERSION;
	ASSERT_EQ(tf_hello_max_known_version(&h), TF_TLS13_VERSION);
	h.versions[0] = 0x7f1c;
	h.nversions = 1;
	h.legacy_version = TF_TLS10_VERSION;
	ASSERT_EQ(tf_hello_max_known_version(&h), TF_TLS10_VERSION);
}

/* A ClientHello of len bytes (header included): type 1, then filler. */
static void
fake_hello(uint8_t *m, size_t len)
{
	size_t i;

	m[0] = 1;
	m[1] = (uint8_t)((len - 4) >> 16);
	m[2] = (uint8_t)((len - 4) >> 8);
	m[3] = (uint8_t)(len - 4);
	for (i = 4; i < len; i++)
		m[i] = (uint8_t)i;
}

/* Puts msg into records of at most frag bytes each; returns the size. */
static size_t
records(uint8_t *out, const uint8_t *msg, size_t len, size_t frag)
{
	size_t o = 0, i;

	for (i = 0; i < len; i += frag) {
		size_t n = len - i < frag ? len - i : frag;

		out[o++] = 0x16;
		out[o++] = 0x03;
		out[o++] = 0x01;
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
		memcpy(out + o, msg + i, n);
		o += n;
	}
	return o;
}

/* A hello whole in one record, or in fragments of any size, is put
 * together; a cut one waits; what is no ClientHello record is declined. */
TEST(assemble_hello)
{
	static uint8_t msg[TF_HELLO_MAX_MSG], wire[2 * TF_HELLO_MAX_MSG];
	static uint8_t out[TF_HELLO_MAX_MSG];
	static const size_t frags[] = { 1, 2, 3, 4, 5, 100, 517, 16384 };
	const uint8_t *got;
	size_t i, n, cut;

	fake_hello(msg, 517);
	n = records(wire, msg, 517, 16384);
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got), 517);
	ASSERT(got == wire + 5);                /* in place */
	for (i = 0; i < TF_ARRAY_SIZE(frags); i++) {
		n = records(wire, msg, 517, frags[i]);
		ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got),
		    517);
		ASSERT(memcmp(got, msg, 517) == 0);
		for (cut = 0; cut < n; cut += 7)
			ASSERT_EQ(tf_hello_assemble(wire, cut, out,
			    sizeof(out), &got), 0);
	}
	/* The largest there is, and one byte more. */
	fake_hello(msg, TF_HELLO_MAX_MSG);
	n = records(wire, msg, TF_HELLO_MAX_MSG, 16384);
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got),
	    TF_HELLO_MAX_MSG);
	ASSERT(memcmp(got, msg, TF_HELLO_MAX_MSG) == 0);
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out) - 1, &got), -1);
	/* Not a handshake record, a bad version or length, not a hello. */
	fake_hello(msg, 517);
	n = records(wire, msg, 517, 16384);
	wire[0] = 0x17;
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got), -1);
	wire[0] = 0x16;
	wire[1] = 0x02;
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got), -1);
	wire[1] = 0x03;
	wire[3] = 0x41;                         /* 16640 > 16384 */
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got), -1);
	wire[3] = 0x02;
	wire[5] = 2;                            /* a ServerHello */
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got), -1);
	msg[0] = 2;
	n = records(wire, msg, 517, 2);         /* its type in a fragment */
	ASSERT_EQ(tf_hello_assemble(wire, n, out, sizeof(out), &got), -1);
	ASSERT_EQ(tf_hello_assemble(wire, 4, out, sizeof(out), &got), 0);
}

TEST_MAIN(
	TEST_ENTRY(assemble_hello),
	TEST_ENTRY(vectors_fingerprints),
	TEST_ENTRY(vectors_truncated),
	TEST_ENTRY(vectors_trailing_byte),
	TEST_ENTRY(grease_removed_and_counted),
	TEST_ENTRY(grease_only_versions),
	TEST_ENTRY(sni_raw_bytes),
	TEST_ENTRY(sni_too_long_truncated),
	TEST_ENTRY(alpn_first_protocol),
	TEST_ENTRY(bad_lengths),
	TEST_ENTRY(too_many_ciphers_truncated),
	TEST_ENTRY(sslv2_format),
	TEST_ENTRY(ja4_published_example),
	TEST_ENTRY(ja4_alpn_rules),
	TEST_ENTRY(ja4_versions),
	TEST_ENTRY(ja3_published_examples),
	TEST_ENTRY(version_names),
	TEST_ENTRY(max_known_version)
)
