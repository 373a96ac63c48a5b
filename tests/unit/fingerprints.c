/*
 * Unit tests for proxy/fingerprints.c: the catalogue format and its errors
 * ("NAME:LINE: message"), JA4-first lookup with the JA3_MD5 fallback,
 * loading files, and the shipped catalogue against the captures of
 * tests/unit/vectors/clienthellos.tsv (read from $TF_SRCDIR, default ".").
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprints.h"
#include "test.h"

#define VECTORS "tests/unit/vectors/clienthellos.tsv"
#define CATALOGUE "conf/fingerprints.tsv"

/* Keys used by the hand-written catalogues below. */
#define JA4_A "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define JA4_B "t10d120500_d94e65cdb899_c35b4a14be45"
#define JA4_C "ts3i120000_4fde3ed791f6_000000000000"
#define MD5_A "cd08e31494f9531f560d64c695473da9"
#define MD5_B "1eede9d19dc45c2cb66d2f5c6849e843"
#define MD5_C "f4377b5c3b3bf88eb6e959e555066c42"

/* The JA4 of "IE 8-10 Win 7" in the vectors file (and SPEC.md's example). */
#define IE8_10_WIN7 "IE 8-10 Win 7"

static struct tf_fingerprints *
parse_str(const char *text, char *err, size_t errlen)
{
	return tf_fingerprints_parse(text, strlen(text), "t.tsv", err, errlen);
}

/* Parses text, which must succeed. */
static struct tf_fingerprints *
parse_ok(const char *text)
{
	struct tf_fingerprints *f;
	char err[256];

	f = parse_str(text, err, sizeof(err));
	if (f == NULL)
		TEST_FAIL("parse failed: %s", err);
	return f;
}

/* Parses text, which must fail with exactly the message want. */
static void
parse_fails(const char *text, const char *want)
{
	struct tf_fingerprints *f;
	char err[256];

	f = parse_str(text, err, sizeof(err));
	if (f != NULL) {
		tf_fingerprints_free(f);
		TEST_FAIL("parse succeeded, expected \"%s\"", want);
	}
	ASSERT_STR_EQ(err, want);
}

static const char *
guess(const struct tf_fingerprints *f, const char *ja4, const char *md5)
{
	return tf_fingerprints_guess(f, ja4, md5);
}

static void
src_path(char *out, size_t outlen, const char *rel)
{
	const char *top = getenv("TF_SRCDIR");

	snprintf(out, outlen, "%s/%s", top != NULL ? top : ".", rel);
}

/* Reads a whole file into a NUL-terminated malloc'd buffer. */
static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0, r;
	FILE *fp;

	fp = fopen(path, "r");
	if (fp == NULL)
		TEST_FAIL("cannot open %s (set TF_SRCDIR): %s", path,
		    strerror(errno));
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			ASSERT(buf != NULL);
		}
		r = fread(buf + n, 1, cap - n - 1, fp);
		n += r;
	} while (r > 0);
	ASSERT(!ferror(fp));
	fclose(fp);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* One capture of the vectors file: the columns this test needs. */
struct vec {
	const char *name, *offered_max, *ja3_md5, *ja4;
};

/*
 * Loads the captures of the vectors file (name, max_version, offered_max,
 * sni, ja3, ja3_md5, ja4, hello_hex, notes). Returns their count; *v and
 * *text own the result (free both).
 */
static size_t
load_vectors(struct vec **out, char **text)
{
	char path[4096], *p, *line, *save = NULL;
	struct vec *v = NULL;
	size_t n = 0, cap = 0, len;

	src_path(path, sizeof(path), VECTORS);
	*text = slurp(path, &len);
	for (line = strtok_r(*text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *field[7];
		int i;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (i = 0, p = line; i < 7; i++) {
			field[i] = p;
			p = strchr(p, '\t');
			if (p == NULL && i < 6)
				TEST_FAIL("%s: short line: %s", path, line);
			if (p != NULL)
				*p++ = '\0';
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			ASSERT(v != NULL);
		}
		v[n].name = field[0];
		v[n].offered_max = field[2];
		v[n].ja3_md5 = field[5];
		v[n].ja4 = field[6];
		n++;
	}
	*out = v;
	return n;
}

/* Below the TLS 1.2 floor: the captures that produce legacy records. */
static int
below_tls12(const struct vec *v)
{
	return strcmp(v->offered_max, "SSL2.0") == 0 ||
	    strcmp(v->offered_max, "SSL3.0") == 0 ||
	    strcmp(v->offered_max, "TLS1.0") == 0 ||
	    strcmp(v->offered_max, "TLS1.1") == 0;
}

TEST(comments_blank_lines_and_line_endings)
{
	struct tf_fingerprints *f;
	size_t n4, n3;

	f = parse_ok(
	    "# a comment\n"
	    "\n"
	    "   \t  \n"
	    "  # an indented comment\n"
	    JA4_A "\t" MD5_A "\tChrome 101 on Windows 10\r\n"
	    JA4_B "\t-\t  Internet Explorer 8-10 (Schannel)  \t \n"
	    "-\t" MD5_C "\tIE 6 # not a comment");
	ASSERT_EQ(tf_fingerprints_count(f, &n4, &n3), 3);
	ASSERT_EQ(n4, 2);
	ASSERT_EQ(n3, 2);
	ASSERT_STR_EQ(guess(f, JA4_A, NULL), "Chrome 101 on Windows 10");
	ASSERT_STR_EQ(guess(f, NULL, MD5_A), "Chrome 101 on Windows 10");
	ASSERT_STR_EQ(guess(f, JA4_B, NULL),
	    "Internet Explorer 8-10 (Schannel)");
	ASSERT_STR_EQ(guess(f, NULL, MD5_C), "IE 6 # not a comment");
	tf_fingerprints_free(f);
}

TEST(empty_catalogue)
{
	struct tf_fingerprints *f;

	f = parse_ok("");
	ASSERT_EQ(tf_fingerprints_count(f, NULL, NULL), 0);
	ASSERT(guess(f, JA4_A, MD5_A) == NULL);
	tf_fingerprints_free(f);

	f = parse_ok("# only comments\n\n");
	ASSERT(guess(f, JA4_A, MD5_A) == NULL);
	tf_fingerprints_free(f);
	tf_fingerprints_free(NULL);
}

TEST(ja4_first_then_ja3)
{
	struct tf_fingerprints *f;

	f = parse_ok(
	    JA4_A "\t-\tby JA4 A\n"
	    "-\t" MD5_A "\tby JA3 A\n"
	    JA4_B "\t" MD5_B "\tboth B\n");
	/* Both keys known, on different lines: the JA4 line wins. */
	ASSERT_STR_EQ(guess(f, JA4_A, MD5_A), "by JA4 A");
	ASSERT_STR_EQ(guess(f, JA4_A, MD5_B), "by JA4 A");
	ASSERT_STR_EQ(guess(f, JA4_A, NULL), "by JA4 A");
	/* Unknown or absent JA4: the JA3_MD5 decides. */
	ASSERT_STR_EQ(guess(f, JA4_C, MD5_A), "by JA3 A");
	ASSERT_STR_EQ(guess(f, NULL, MD5_A), "by JA3 A");
	ASSERT_STR_EQ(guess(f, JA4_C, MD5_B), "both B");
	ASSERT_STR_EQ(guess(f, JA4_B, MD5_C), "both B");
	/* Nothing known. */
	ASSERT(guess(f, JA4_C, MD5_C) == NULL);
	ASSERT(guess(f, NULL, NULL) == NULL);
	ASSERT(guess(f, "", "") == NULL);
	ASSERT(guess(f, "-", "-") == NULL);
	/* Keys are exact: no prefix or case folding. */
	ASSERT(guess(f, "t13d1516h2_8daaf6152771", NULL) == NULL);
	ASSERT(guess(f, NULL, "CD08E31494F9531F560D64C695473DA9") == NULL);
	tf_fingerprints_free(f);
}

TEST(bad_ja4)
{
	parse_fails("# c\n" "t13d1516h2_8daaf6152771_e5627efa2ab\t-\tx\n",
	    "t.tsv:2: bad JA4: 35 characters, expected 36 (like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1) or '-'");
	parse_fails("x13d1516h2_8daaf6152771_e5627efa2ab1\t-\tx\n",
	    "t.tsv:1: bad JA4: unexpected 'x' at position 1 (expected like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1)");
	parse_fails("t13x1516h2_8daaf6152771_e5627efa2ab1\t-\tx\n",
	    "t.tsv:1: bad JA4: unexpected 'x' at position 4 (expected like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1)");
	parse_fails("t13d15a6h2_8daaf6152771_e5627efa2ab1\t-\tx\n",
	    "t.tsv:1: bad JA4: unexpected 'a' at position 7 (expected like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1)");
	parse_fails("t13d1516h2-8daaf6152771_e5627efa2ab1\t-\tx\n",
	    "t.tsv:1: bad JA4: unexpected '-' at position 11 (expected like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1)");
	parse_fails("t13d1516h2_8DAAF6152771_e5627efa2ab1\t-\tx\n",
	    "t.tsv:1: bad JA4: unexpected 'D' at position 13 (expected like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1)");
	parse_fails("t13d1516h2_8daaf6152771_e5627efa2ab \t" MD5_A "\tx\n",
	    "t.tsv:1: bad JA4: unexpected byte 0x20 at position 36 "
	    "(expected like t13d1516h2_8daaf6152771_e5627efa2ab1)");
	parse_fails("--\t" MD5_A "\tx\n",
	    "t.tsv:1: bad JA4: 2 characters, expected 36 (like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1) or '-'");
	parse_fails("\t" MD5_A "\tx\n",
	    "t.tsv:1: bad JA4: 0 characters, expected 36 (like "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1) or '-'");
}

TEST(good_ja4_shapes)
{
	struct tf_fingerprints *f;

	/* SSL 3.0, QUIC, DTLS, an unknown version, upper-case ALPN. */
	f = parse_ok(
	    "ts3i120000_4fde3ed791f6_000000000000\t-\tssl3\n"
	    "q13d0310h3_55b375c5d22e_cd85d2d88918\t-\tquic\n"
	    "dd2i0100h2_000000000000_000000000000\t-\tdtls\n"
	    "t00d1615H2_46e7e9700bed_2a77702ff8e0\t-\tdraft\n");
	ASSERT_STR_EQ(guess(f, "q13d0310h3_55b375c5d22e_cd85d2d88918", NULL),
	    "quic");
	ASSERT_STR_EQ(guess(f, "t00d1615H2_46e7e9700bed_2a77702ff8e0", NULL),
	    "draft");
	tf_fingerprints_free(f);
}

TEST(bad_md5)
{
	parse_fails(JA4_A "\tCD08E31494F9531F560D64C695473DA9\tx\n",
	    "t.tsv:1: bad JA3_MD5: expected 32 lower-case hex digits or '-'");
	parse_fails(JA4_A "\tcd08e31494f9531f560d64c695473da\tx\n",
	    "t.tsv:1: bad JA3_MD5: expected 32 lower-case hex digits or '-'");
	parse_fails(JA4_A "\tcd08e31494f9531f560d64c695473da9a\tx\n",
	    "t.tsv:1: bad JA3_MD5: expected 32 lower-case hex digits or '-'");
	parse_fails("\n\n" JA4_A "\tcd08e31494f9531f560d64c695473dzz\tx\n",
	    "t.tsv:3: bad JA3_MD5: expected 32 lower-case hex digits or '-'");
	parse_fails(JA4_A "\t\tx\n",
	    "t.tsv:1: bad JA3_MD5: expected 32 lower-case hex digits or '-'");
}

TEST(missing_and_extra_fields)
{
	parse_fails(JA4_A "\n",
	    "t.tsv:1: expected 3 TAB-separated fields (JA4, JA3_MD5, CLIENT), "
	    "found 1");
	parse_fails("# ok\n" JA4_A "\t" MD5_A "\n",
	    "t.tsv:2: expected 3 TAB-separated fields (JA4, JA3_MD5, CLIENT), "
	    "found 2");
	/* Spaces are not separators. */
	parse_fails(JA4_A " " MD5_A " Chrome\n",
	    "t.tsv:1: expected 3 TAB-separated fields (JA4, JA3_MD5, CLIENT), "
	    "found 1");
	parse_fails(JA4_A "\t" MD5_A "\tChrome\t101\n",
	    "t.tsv:1: more than 3 TAB-separated fields (JA4, JA3_MD5, "
	    "CLIENT)");
	/* A trailing TAB is trailing blank space, not a fourth field. */
	tf_fingerprints_free(parse_ok(JA4_A "\t" MD5_A "\tChrome\t\n"));
}

TEST(no_key_and_bad_names)
{
	parse_fails("-\t-\tnobody\n",
	    "t.tsv:1: no key: JA4 and JA3_MD5 are both '-'");
	parse_fails(JA4_A "\t-\t\n", "t.tsv:1: empty client name");
	parse_fails(JA4_A "\t-\t  \t \n", "t.tsv:1: empty client name");
	parse_fails(JA4_A "\t-\t \t-\n",
	    "t.tsv:1: more than 3 TAB-separated fields (JA4, JA3_MD5, "
	    "CLIENT)");
	parse_fails(JA4_A "\t-\tbell\a\n",
	    "t.tsv:1: control byte 0x07 in the client name");
	parse_fails(JA4_A "\t-\tdel\x7f!\n",
	    "t.tsv:1: control byte 0x7f in the client name");
	parse_fails(JA4_A "\t-\tcr\rinside\n",
	    "t.tsv:1: control byte 0x0d in the client name");
}

TEST(utf8_names)
{
	struct tf_fingerprints *f;

	f = parse_ok(JA4_A "\t-\tNavigateur \xc3\xa9tonnant\n");
	ASSERT_STR_EQ(guess(f, JA4_A, NULL), "Navigateur \xc3\xa9tonnant");
	tf_fingerprints_free(f);
}

TEST(duplicates)
{
	parse_fails(
	    "# dup\n"
	    JA4_A "\t" MD5_A "\tone\n"
	    JA4_B "\t-\ttwo\n"
	    JA4_A "\t-\tthree\n",
	    "t.tsv:4: duplicate JA4 " JA4_A " (first on line 2)");
	parse_fails(
	    JA4_A "\t" MD5_A "\tone\n"
	    "-\t" MD5_B "\ttwo\n"
	    "\n"
	    JA4_B "\t" MD5_A "\tthree\n",
	    "t.tsv:4: duplicate JA3_MD5 " MD5_A " (first on line 1)");
	/* The earliest repeating line is reported, whichever key. */
	parse_fails(
	    JA4_A "\t" MD5_A "\tone\n"
	    JA4_B "\t" MD5_B "\ttwo\n"
	    "-\t" MD5_B "\tthree\n"
	    JA4_A "\t-\tfour\n"
	    JA4_A "\t-\tfive\n",
	    "t.tsv:3: duplicate JA3_MD5 " MD5_B " (first on line 2)");
	parse_fails(
	    JA4_C "\t-\tone\n"
	    JA4_C "\t-\ttwo\n"
	    JA4_A "\t-\tthree\n"
	    JA4_A "\t-\tfour\n"
	    JA4_C "\t-\tfive\n",
	    "t.tsv:2: duplicate JA4 " JA4_C " (first on line 1)");
	/* The same name twice is fine: families share names. */
	tf_fingerprints_free(parse_ok(
	    JA4_A "\t-\tsame\n"
	    JA4_B "\t-\tsame\n"));
}

TEST(line_length)
{
	char line[TF_FINGERPRINTS_MAX_LINE + 64];
	struct tf_fingerprints *f;
	char err[256];
	size_t n;

	/* Exactly TF_FINGERPRINTS_MAX_LINE bytes (before the CRLF): fine. */
	n = (size_t)snprintf(line, sizeof(line), "%s\t-\t", JA4_A);
	memset(line + n, 'x', TF_FINGERPRINTS_MAX_LINE - n);
	memcpy(line + TF_FINGERPRINTS_MAX_LINE, "\r\n", 3);
	f = parse_ok(line);
	ASSERT_EQ(strlen(guess(f, JA4_A, NULL)), TF_FINGERPRINTS_MAX_LINE - n);
	tf_fingerprints_free(f);

	/* One more byte: refused, even in a comment. */
	memset(line, '#', TF_FINGERPRINTS_MAX_LINE + 1);
	memcpy(line + TF_FINGERPRINTS_MAX_LINE + 1, "\n", 2);
	f = tf_fingerprints_parse(line, strlen(line), "long.tsv", err,
	    sizeof(err));
	ASSERT(f == NULL);
	ASSERT_STR_EQ(err, "long.tsv:1: line longer than 1024 bytes");

	/* Also on the last line without a newline. */
	memset(line, 'x', TF_FINGERPRINTS_MAX_LINE + 1);
	f = tf_fingerprints_parse(line, TF_FINGERPRINTS_MAX_LINE + 1,
	    "long.tsv", err, sizeof(err));
	ASSERT(f == NULL);
	ASSERT_STR_EQ(err, "long.tsv:1: line longer than 1024 bytes");
}

TEST(nul_byte_and_unterminated_text)
{
	static const char text[] = JA4_A "\t-\tok\n" "-\t" MD5_A "\tn\0ul\n";
	static const char part[] = JA4_A "\t-\tname-that-is-cut";
	struct tf_fingerprints *f;
	char err[256];

	f = tf_fingerprints_parse(text, sizeof(text) - 1, "t.tsv", err,
	    sizeof(err));
	ASSERT(f == NULL);
	ASSERT_STR_EQ(err, "t.tsv:2: NUL byte in line");

	/* len bounds the text: nothing past it is read. */
	f = tf_fingerprints_parse(part, sizeof(part) - 5, "t.tsv", err,
	    sizeof(err));
	ASSERT(f != NULL);
	ASSERT_STR_EQ(guess(f, JA4_A, NULL), "name-that-is");
	tf_fingerprints_free(f);
}

TEST(error_buffer)
{
	char err[12];

	/* No buffer at all, and a short one that truncates. */
	ASSERT(tf_fingerprints_parse("-\t-\tx\n", 6, "t.tsv", NULL, 0) ==
	    NULL);
	memset(err, 'z', sizeof(err));
	ASSERT(tf_fingerprints_parse("-\t-\tx\n", 6, "t.tsv", err,
	    sizeof(err)) == NULL);
	ASSERT_STR_EQ(err, "t.tsv:1: no");
	ASSERT(tf_fingerprints_parse("-\t-\tx\n", 6, "t.tsv", err, 1) ==
	    NULL);
	ASSERT_EQ(err[0], '\0');
}

TEST(many_entries)
{
	enum { N = 20000 };
	struct tf_fingerprints *f;
	char *text, key[40], name[16];
	size_t len = 0, i, n4, n3;

	text = malloc((size_t)N * 96);
	ASSERT(text != NULL);
	/* Descending order, half with a JA4 too, to exercise the sort. */
	for (i = N; i-- > 0;) {
		if (i % 2 == 0)
			len += (size_t)sprintf(text + len,
			    "t12d%04zuh2_%012zx_000000000000\t%032zx\tc%zu\n",
			    i % 10000, i, i, i);
		else
			len += (size_t)sprintf(text + len, "-\t%032zx\tc%zu\n",
			    i, i);
	}
	f = tf_fingerprints_parse(text, len, "many", NULL, 0);
	ASSERT(f != NULL);
	ASSERT_EQ(tf_fingerprints_count(f, &n4, &n3), N);
	ASSERT_EQ(n4, N / 2);
	ASSERT_EQ(n3, N);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "%032zx", i);
		snprintf(name, sizeof(name), "c%zu", i);
		ASSERT_STR_EQ(guess(f, NULL, key), name);
		if (i % 2 == 0) {
			snprintf(key, sizeof(key),
			    "t12d%04zuh2_%012zx_000000000000", i % 10000, i);
			ASSERT_STR_EQ(guess(f, key, NULL), name);
		}
	}
	ASSERT(guess(f, NULL, "ffffffffffffffffffffffffffffffff") == NULL);
	tf_fingerprints_free(f);
	free(text);
}

TEST(load_files)
{
	char dir[] = "/tmp/tf-fingerprints-XXXXXX", path[256], want[512];
	struct tf_fingerprints *f;
	char err[512];
	FILE *fp;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ok.tsv", dir);
	fp = fopen(path, "w");
	ASSERT(fp != NULL);
	fprintf(fp, "# mine\n%s\t%s\tMy client\n", JA4_A, MD5_A);
	ASSERT_OK(fclose(fp));
	f = tf_fingerprints_load(path, err, sizeof(err));
	if (f == NULL)
		TEST_FAIL("%s", err);
	ASSERT_STR_EQ(guess(f, JA4_A, NULL), "My client");
	ASSERT_STR_EQ(guess(f, NULL, MD5_A), "My client");
	tf_fingerprints_free(f);

	/* An error names the file and line. */
	fp = fopen(path, "w");
	ASSERT(fp != NULL);
	fprintf(fp, "# mine\n%s\tXX\tMy client\n", JA4_A);
	ASSERT_OK(fclose(fp));
	ASSERT(tf_fingerprints_load(path, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "%s:2: bad JA3_MD5: expected 32 "
	    "lower-case hex digits or '-'", path);
	ASSERT_STR_EQ(err, want);

	/* An empty file is an empty catalogue. */
	fp = fopen(path, "w");
	ASSERT(fp != NULL);
	ASSERT_OK(fclose(fp));
	f = tf_fingerprints_load(path, err, sizeof(err));
	ASSERT(f != NULL);
	ASSERT_EQ(tf_fingerprints_count(f, NULL, NULL), 0);
	tf_fingerprints_free(f);
	ASSERT_OK(unlink(path));

	ASSERT(tf_fingerprints_load(path, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "%s: cannot open: %s", path,
	    strerror(ENOENT));
	ASSERT_STR_EQ(err, want);

	ASSERT(tf_fingerprints_load(dir, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "%s: cannot open: %s", dir,
	    strerror(EISDIR));
	ASSERT_STR_EQ(err, want);
	ASSERT_OK(rmdir(dir));
}

TEST(builtin_is_the_shipped_file)
{
	struct tf_fingerprints *f;
	char path[4096], *text;
	size_t len, n4, n3;

	src_path(path, sizeof(path), CATALOGUE);
	text = slurp(path, &len);
	ASSERT_EQ(tf_fingerprints_tsv_len, len);
	ASSERT(memcmp(tf_fingerprints_tsv, text, len) == 0);
	ASSERT_EQ(tf_fingerprints_tsv[len], '\0');
	free(text);

	f = tf_fingerprints_builtin();
	ASSERT(tf_fingerprints_count(f, &n4, &n3) > 100);
	ASSERT(n4 > 100);
	ASSERT(n3 > 100);
	tf_fingerprints_free(f);

	/* The file on disk parses the same way through tf_fingerprints_load. */
	f = tf_fingerprints_load(path, NULL, 0);
	ASSERT(f != NULL);
	tf_fingerprints_free(f);
}

TEST(builtin_names_ie8_10_win7)
{
	struct tf_fingerprints *f;
	const struct vec *ie = NULL;
	struct vec *v;
	char *text, ja4_no_sni[37];
	size_t n, i;

	n = load_vectors(&v, &text);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, IE8_10_WIN7) == 0)
			ie = &v[i];
	if (ie == NULL)
		TEST_FAIL("no \"%s\" in %s", IE8_10_WIN7, VECTORS);
	ASSERT_STR_EQ(ie->ja4, JA4_B);

	f = tf_fingerprints_builtin();
	/* IE 7 on Vista and IE 8-10 on 7 share this JA4: the family. */
	ASSERT_STR_EQ(guess(f, ie->ja4, NULL),
	    "Internet Explorer 7-10 on Windows Vista/7 (Schannel)");
	ASSERT_STR_EQ(guess(f, ie->ja4, ie->ja3_md5),
	    "Internet Explorer 7-10 on Windows Vista/7 (Schannel)");
	/* Its JA3 alone is specific. */
	ASSERT_STR_EQ(guess(f, NULL, ie->ja3_md5),
	    "Internet Explorer 8-10 on Windows 7 (Schannel)");
	/* The same hello without SNI (connecting to an IP address). */
	memcpy(ja4_no_sni, ie->ja4, sizeof(ja4_no_sni));
	ja4_no_sni[3] = 'i';
	ja4_no_sni[7]--;
	ASSERT_STR_EQ(guess(f, ja4_no_sni, NULL),
	    "Internet Explorer 7-10 on Windows Vista/7 (Schannel)");
	tf_fingerprints_free(f);
	free(v);
	free(text);
}

TEST(builtin_knows_every_legacy_capture)
{
	struct tf_fingerprints *f;
	struct vec *v;
	char *text;
	size_t n, i, legacy = 0;

	n = load_vectors(&v, &text);
	ASSERT(n >= 162);
	f = tf_fingerprints_builtin();
	for (i = 0; i < n; i++) {
		if (!below_tls12(&v[i]))
			continue;
		legacy++;
		if (guess(f, v[i].ja4, v[i].ja3_md5) == NULL)
			TEST_FAIL("no guess for %s (%s, %s)", v[i].name,
			    v[i].ja4, v[i].ja3_md5);
	}
	/* 41 of the 162 SSL Labs captures, and the two local ones. */
	ASSERT(legacy >= 43);
	tf_fingerprints_free(f);
	free(v);
	free(text);
}

TEST(builtin_knows_every_capture_by_either_key)
{
	struct tf_fingerprints *f;
	struct vec *v;
	char *text;
	size_t n, i;

	n = load_vectors(&v, &text);
	f = tf_fingerprints_builtin();
	for (i = 0; i < n; i++) {
		if (guess(f, v[i].ja4, NULL) == NULL)
			TEST_FAIL("no guess for %s by JA4 %s", v[i].name,
			    v[i].ja4);
		if (guess(f, NULL, v[i].ja3_md5) == NULL)
			TEST_FAIL("no guess for %s by JA3_MD5 %s", v[i].name,
			    v[i].ja3_md5);
	}
	tf_fingerprints_free(f);
	free(v);
	free(text);
}

TEST_MAIN(
	TEST_ENTRY(comments_blank_lines_and_line_endings),
	TEST_ENTRY(empty_catalogue),
	TEST_ENTRY(ja4_first_then_ja3),
	TEST_ENTRY(bad_ja4),
	TEST_ENTRY(good_ja4_shapes),
	TEST_ENTRY(bad_md5),
	TEST_ENTRY(missing_and_extra_fields),
	TEST_ENTRY(no_key_and_bad_names),
	TEST_ENTRY(utf8_names),
	TEST_ENTRY(duplicates),
	TEST_ENTRY(line_length),
	TEST_ENTRY(nul_byte_and_unterminated_text),
	TEST_ENTRY(error_buffer),
	TEST_ENTRY(many_entries),
	TEST_ENTRY(load_files),
	TEST_ENTRY(builtin_is_the_shipped_file),
	TEST_ENTRY(builtin_names_ie8_10_win7),
	TEST_ENTRY(builtin_knows_every_legacy_capture),
	TEST_ENTRY(builtin_knows_every_capture_by_either_key)
)
