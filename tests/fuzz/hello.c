/*
 * libFuzzer driver for proxy/hello.c: every input is parsed both as a
 * TLS ClientHello body (what BoringSSL's early callback hands tls.c) and
 * as an SSLv2-format record (what conn.c peek_first_bytes() sees). For
 * whatever a parser accepts, the fingerprints and the JSON escaping of the
 * SNI that record.c does are computed into buffers of exactly their size,
 * so ASan sees any overrun, and their shape is checked.
 *
 * Inputs are raw: a corpus file is a ClientHello body (record and
 * handshake headers stripped) or a whole SSLv2 record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hello.h"
#include "json.h"

/* record.c hello_fields(): char ja3[4096]. */
#define RECORD_JA3_LEN 4096

static int
is_hex_lower(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* JA3 text: digits, ',' (exactly 4) and '-', starting with the version. */
static void
check_ja3_text(const struct tf_hello *h, const char *s, size_t n)
{
	char ver[8];
	size_t i, commas = 0;

	CHECK(strlen(s) == n);
	for (i = 0; i < n; i++) {
		CHECK((s[i] >= '0' && s[i] <= '9') || s[i] == ',' ||
		    s[i] == '-');
		commas += s[i] == ',';
	}
	CHECK(commas == 4);
	snprintf(ver, sizeof(ver), "%u,", (unsigned)h->legacy_version);
	CHECK(strncmp(s, ver, strlen(ver)) == 0);
}

/*
 * A JSON string body as tf_json_escape() promises it: printable ASCII
 * other than '"' and '\\', the short escapes, \u00XX, and well-formed
 * UTF-8 (checked loosely: lead byte and continuation count).
 */
static void
check_json_body(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;

	while (i < n) {
		unsigned char c = p[i];

		if (c == '\\') {
			CHECK(i + 1 < n);
			if (p[i + 1] == 'u') {
				CHECK(i + 5 < n && p[i + 2] == '0' &&
				    p[i + 3] == '0' &&
				    is_hex_lower(s + i + 4, 2));
				i += 6;
			} else {
				CHECK(strchr("\"\\nrtbf", p[i + 1]) != NULL &&
				    p[i + 1] != '\0');
				i += 2;
			}
			continue;
		}
		CHECK(c != '"' && c >= 0x20 && c != 0x7f);
		if (c < 0x80) {
			i++;
			continue;
		}
		CHECK(c >= 0xc2 && c <= 0xf4);
		len = c <= 0xdf ? 2 : c <= 0xef ? 3 : 4;
		CHECK(i + len <= n);
		for (k = 1; k < len; k++)
			CHECK(p[i + k] >= 0x80 && p[i + k] <= 0xbf);
		i += len;
	}
}

/* Escapes bytes as record.c does for the SNI, into exact-size buffers. */
static void
check_escape(const void *bytes, size_t n, size_t small)
{
	size_t cap = 6 * n + 1, r;
	char *out = malloc(cap);

	CHECK(out != NULL);
	r = tf_json_escape(out, cap, bytes, n);
	CHECK(r != (size_t)-1 && r < cap && strlen(out) == r);
	check_json_body(out, r);
	free(out);

	/* A buffer too small: a NUL-terminated prefix, never more. */
	if (small > 0) {
		out = malloc(small);
		CHECK(out != NULL);
		r = tf_json_escape(out, small, bytes, n);
		CHECK(memchr(out, '\0', small) != NULL);
		if (r != (size_t)-1)
			CHECK(r < small && strlen(out) == r);
		free(out);
	}
}

static void
check_hello(const struct tf_hello *h, enum tf_hello_format fmt,
    size_t small)
{
	char *ja3, *ja4, md5[33];
	const char *name;
	uint16_t maxk, maxv;
	size_t n, i;

	CHECK(h->format == fmt);
	CHECK(h->nciphers <= TF_HELLO_MAX_CIPHERS);
	CHECK(h->nexts <= TF_HELLO_MAX_EXTS);
	CHECK(h->nversions <= TF_HELLO_MAX_LIST);
	CHECK(h->ngroups <= TF_HELLO_MAX_LIST);
	CHECK(h->npoint_formats <= TF_HELLO_MAX_LIST);
	CHECK(h->nsigalgs <= TF_HELLO_MAX_LIST);
	CHECK(h->sni_len < sizeof(h->sni));
	CHECK(h->alpn_first_len < sizeof(h->alpn_first));
	CHECK(h->has_sni || h->sni_len == 0);
	CHECK(h->has_alpn || h->alpn_first_len == 0);
	for (i = 0; i < h->nciphers; i++)
		CHECK(!tf_hello_is_grease(h->ciphers[i]));
	for (i = 0; i < h->nexts; i++)
		CHECK(!tf_hello_is_grease(h->exts[i]));
	if (fmt == TF_HELLO_FMT_SSLV2)
		CHECK(h->nexts == 0 && !h->has_sni && !h->has_alpn &&
		    !h->has_supported_versions);

	/* The floor decision (conn.c decide()) and offered_max. */
	maxk = tf_hello_max_known_version(h);
	maxv = tf_hello_max_version(h);
	CHECK(maxk == h->legacy_version || tf_version_name(maxk) != NULL);
	CHECK(!h->has_supported_versions || h->nversions == 0 ||
	    maxk <= maxv || maxk == h->legacy_version);
	name = tf_version_name(maxk);
	CHECK(name == NULL || strlen(name) == 6);

	/* JA3 as record.c computes it: it always fits the record's buffer. */
	ja3 = malloc(RECORD_JA3_LEN);
	CHECK(ja3 != NULL);
	n = tf_hello_ja3(h, ja3, RECORD_JA3_LEN);
	CHECK(n != (size_t)-1);
	check_ja3_text(h, ja3, n);
	tf_hello_md5_hex(ja3, md5);
	CHECK(strlen(md5) == 32 && is_hex_lower(md5, 32));

	/* And into an exact or too small buffer: a prefix, never more. */
	if (small > n + 1)
		small = n + 1;
	if (small > 0) {
		char *out = malloc(small);
		size_t m;

		CHECK(out != NULL);
		m = tf_hello_ja3(h, out, small);
		if (small == n + 1) {
			CHECK(m == n && memcmp(out, ja3, n + 1) == 0);
		} else {
			CHECK(m == (size_t)-1);
			CHECK(memchr(out, '\0', small) != NULL);
			CHECK(strncmp(out, ja3, strlen(out)) == 0);
		}
		free(out);
	}
	CHECK(tf_hello_ja3(h, ja3, 0) == (size_t)-1);
	free(ja3);

	/* JA4: "t13d1516h2_8daaf6152771_e5627efa2ab1", 36 characters. */
	ja4 = malloc(37);
	CHECK(ja4 != NULL);
	tf_hello_ja4(h, ja4);
	CHECK(strlen(ja4) == 36);
	CHECK(ja4[0] == 't' && (ja4[3] == 'd' || ja4[3] == 'i'));
	CHECK(ja4[10] == '_' && ja4[23] == '_');
	CHECK(is_hex_lower(ja4 + 11, 12) && is_hex_lower(ja4 + 24, 12));
	free(ja4);

	/* record.c writes the SNI bytes as sent, escaped. */
	if (h->has_sni)
		check_escape(h->sni, h->sni_len, small % 16);
	if (h->has_alpn)
		check_escape(h->alpn_first, h->alpn_first_len, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tf_hello h;
	size_t small = size > 0 ? data[size - 1] : 0, rlen;

	if (tf_hello_parse(&h, data, size) == 0)
		check_hello(&h, TF_HELLO_FMT_TLS, small);

	if (tf_hello_parse_sslv2(&h, data, size) == 0)
		check_hello(&h, TF_HELLO_FMT_SSLV2, small);

	/* conn.c gives the SSLv2 parser exactly the record's length. */
	if (size >= 2 && (data[0] & 0x80)) {
		rlen = 2 + (((size_t)data[0] & 0x7f) << 8 | data[1]);
		if (rlen < size) {
			uint8_t *rec = malloc(rlen);

			CHECK(rec != NULL);
			memcpy(rec, data, rlen);
			if (tf_hello_parse_sslv2(&h, rec, rlen) == 0)
				check_hello(&h, TF_HELLO_FMT_SSLV2, small);
			free(rec);
		}
	}

	/* conn.c reads TLS records as they come: put together, then parsed
	 * as conn.c does (the body after the 4-byte header). */
	if (size >= 1 && data[0] == 0x16) {
		static uint8_t frag[TF_HELLO_MAX_MSG];
		const uint8_t *msg = NULL;
		long m = tf_hello_assemble(data, size, frag, sizeof(frag),
		    &msg);

		CHECK(m >= -1 && m <= (long)sizeof(frag));
		if (m > 0) {
			CHECK(m >= 4);
			CHECK(msg == frag || (msg > data && msg + m <=
			    data + size));
			if (tf_hello_parse(&h, msg + 4, (size_t)m - 4) == 0)
				check_hello(&h, TF_HELLO_FMT_TLS, small);
		}
	}
	return 0;
}
