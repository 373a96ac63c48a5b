/*
 * ClientHello inspection: a bounds-checked parser for TLS-format and
 * SSLv2-format ClientHellos, and the JA3 and JA4 fingerprints computed
 * from what it extracted. No sockets, no TLS library state: the only
 * BoringSSL use is the MD5 and SHA-256 the fingerprints are defined with.
 *
 * The parser reads a byte span through `struct rd`, whose every accessor
 * checks the remaining length first, so no length field the peer sends can
 * make it read outside the span it was given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/md5.h>
#include <openssl/sha.h>

#include "common.h"
#include "hello.h"

#define EXT_SERVER_NAME 0x0000
#define EXT_SUPPORTED_GROUPS 0x000a
#define EXT_EC_POINT_FORMATS 0x000b
#define EXT_SIGNATURE_ALGORITHMS 0x000d
#define EXT_ALPN 0x0010
#define EXT_SUPPORTED_VERSIONS 0x002b

#define SNI_HOST_NAME 0

/* A read cursor over [p, p + len). */
struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static void
rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

static size_t
rd_left(const struct rd *r)
{
	return r->len - r->off;
}

static int
rd_u8(struct rd *r, uint8_t *v)
{
	if (rd_left(r) < 1)
		return -1;
	*v = r->p[r->off++];
	return 0;
}

static int
rd_u16(struct rd *r, uint16_t *v)
{
	if (rd_left(r) < 2)
		return -1;
	*v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return 0;
}

static int
rd_skip(struct rd *r, size_t n)
{
	if (rd_left(r) < n)
		return -1;
	r->off += n;
	return 0;
}

/*
 * Reads a vector with a `lenbytes` (1 or 2) length prefix and points `sub`
 * at its contents. Returns 0, or -1 when the prefix or the contents run
 * past the end of `r`.
 */
static int
rd_vec(struct rd *r, int lenbytes, struct rd *sub)
{
	size_t n;

	if (lenbytes == 1) {
		uint8_t v8;

		if (rd_u8(r, &v8) != 0)
			return -1;
		n = v8;
	} else {
		uint16_t v16;

		if (rd_u16(r, &v16) != 0)
			return -1;
		n = v16;
	}
	if (rd_left(r) < n)
		return -1;
	rd_init(sub, r->p + r->off, n);
	r->off += n;
	return 0;
}

int
tf_hello_is_grease(uint16_t v)
{
	/* RFC 8701 section 2: 0x?a?a with both bytes equal. */
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Appends v to a list of at most cap entries, or sets h->truncated. */
static void
push16(struct tf_hello *h, uint16_t *list, size_t *n, size_t cap,
    uint16_t v)
{
	if (*n < cap)
		list[(*n)++] = v;
	else
		h->truncated = 1;
}

/*
 * Reads a whole vector of 16-bit values (a `lenbytes` length prefix, an
 * even byte count) that must fill `r` exactly, into list, GREASE values
 * removed and counted. Returns 0 or -1.
 */
static int
parse_u16_list(struct tf_hello *h, struct rd *r, int lenbytes,
    uint16_t *list, size_t *n, size_t cap)
{
	struct rd v;
	uint16_t x;

	if (rd_vec(r, lenbytes, &v) != 0 || rd_left(r) != 0)
		return -1;
	if (v.len % 2 != 0)
		return -1;
	while (rd_left(&v) > 0) {
		if (rd_u16(&v, &x) != 0)
			return -1;
		if (tf_hello_is_grease(x)) {
			h->grease++;
			continue;
		}
		push16(h, list, n, cap, x);
	}
	return 0;
}

/*
 * server_name (RFC 6066 section 3): a ServerNameList of (type, name)
 * entries. Keeps the first host_name's bytes as sent, whatever they are;
 * names longer than the buffer are cut and flagged. An empty extension
 * body (only legal in a ServerHello) is tolerated and records no name.
 */
static int
parse_sni(struct tf_hello *h, struct rd *r)
{
	struct rd list, name;
	uint8_t type;

	if (rd_left(r) == 0)
		return 0;
	if (rd_vec(r, 2, &list) != 0 || rd_left(r) != 0)
		return -1;
	while (rd_left(&list) > 0) {
		if (rd_u8(&list, &type) != 0 || rd_vec(&list, 2, &name) != 0)
			return -1;
		if (type != SNI_HOST_NAME || h->has_sni)
			continue;
		h->has_sni = 1;
		h->sni_len = name.len;
		if (h->sni_len > sizeof(h->sni) - 1) {
			h->sni_len = sizeof(h->sni) - 1;
			h->truncated = 1;
		}
		memcpy(h->sni, name.p, h->sni_len);
	}
	return 0;
}

/* ALPN (RFC 7301 section 3.1): keeps the first protocol name as sent. */
static int
parse_alpn(struct tf_hello *h, struct rd *r)
{
	struct rd list, proto;
	int first = 1;

	if (rd_vec(r, 2, &list) != 0 || rd_left(r) != 0)
		return -1;
	h->has_alpn = 1;
	while (rd_left(&list) > 0) {
		if (rd_vec(&list, 1, &proto) != 0)
			return -1;
		if (!first)
			continue;
		first = 0;
		/* A 1-byte length cannot exceed the 256-byte buffer. */
		memcpy(h->alpn_first, proto.p, proto.len);
		h->alpn_first_len = proto.len;
	}
	return 0;
}

static int
parse_point_formats(struct tf_hello *h, struct rd *r)
{
	struct rd v;
	uint8_t x;

	if (rd_vec(r, 1, &v) != 0 || rd_left(r) != 0)
		return -1;
	while (rd_u8(&v, &x) == 0) {
		if (h->npoint_formats < TF_HELLO_MAX_LIST)
			h->point_formats[h->npoint_formats++] = x;
		else
			h->truncated = 1;
	}
	return 0;
}

/* Decodes the body of one extension of the types we keep. */
static int
parse_extension(struct tf_hello *h, uint16_t type, struct rd *body)
{
	switch (type) {
	case EXT_SERVER_NAME:
		return parse_sni(h, body);
	case EXT_SUPPORTED_GROUPS:
		return parse_u16_list(h, body, 2, h->groups, &h->ngroups,
		    TF_HELLO_MAX_LIST);
	case EXT_EC_POINT_FORMATS:
		return parse_point_formats(h, body);
	case EXT_SIGNATURE_ALGORITHMS:
		return parse_u16_list(h, body, 2, h->sigalgs, &h->nsigalgs,
		    TF_HELLO_MAX_LIST);
	case EXT_ALPN:
		return parse_alpn(h, body);
	case EXT_SUPPORTED_VERSIONS:
		h->has_supported_versions = 1;
		return parse_u16_list(h, body, 1, h->versions, &h->nversions,
		    TF_HELLO_MAX_LIST);
	default:
		return 0;
	}
}

/*
 * The extensions block: a 2-byte length, then (type, 2-byte length, body)
 * entries that must fill it exactly. A type sent twice is rejected (RFC
 * 8446 section 4.2, RFC 5246 section 7.4.1.4), so no field has to choose
 * between two values; GREASE types are exempt. `seen` is a bitmap of the
 * 65536 types.
 */
static int
parse_extensions(struct tf_hello *h, struct rd *r)
{
	uint8_t seen[65536 / 8];
	struct rd block, body;
	uint16_t type;

	memset(seen, 0, sizeof(seen));
	if (rd_vec(r, 2, &block) != 0)
		return -1;
	while (rd_left(&block) > 0) {
		if (rd_u16(&block, &type) != 0 ||
		    rd_vec(&block, 2, &body) != 0)
			return -1;
		if (tf_hello_is_grease(type)) {
			/* Never interpreted, so a repeat is harmless. */
			h->grease++;
			continue;
		}
		if (seen[type >> 3] & (1u << (type & 7)))
			return -1;
		seen[type >> 3] |= (uint8_t)(1u << (type & 7));
		push16(h, h->exts, &h->nexts, TF_HELLO_MAX_EXTS, type);
		if (parse_extension(h, type, &body) != 0)
			return -1;
	}
	return 0;
}

/*
 * Contract: body is the ClientHello handshake message without its 4-byte
 * header, exactly len bytes. Fills *h (zeroed first) and returns 0, or
 * returns -1 if any length is inconsistent or any byte is left over; *h is
 * then partly filled and must not be used. Reads nothing outside body.
 */
int
tf_hello_parse(struct tf_hello *h, const uint8_t *body, size_t len)
{
	struct rd r, sid, suites, comp;
	uint16_t v;

	memset(h, 0, sizeof(*h));
	h->format = TF_HELLO_FMT_TLS;
	rd_init(&r, body, len);
	if (rd_u16(&r, &h->legacy_version) != 0 || rd_skip(&r, 32) != 0)
		return -1;
	if (rd_vec(&r, 1, &sid) != 0 || sid.len > 32)
		return -1;
	if (rd_vec(&r, 2, &suites) != 0 || suites.len % 2 != 0)
		return -1;
	while (rd_u16(&suites, &v) == 0) {
		if (tf_hello_is_grease(v)) {
			h->grease++;
			continue;
		}
		push16(h, h->ciphers, &h->nciphers, TF_HELLO_MAX_CIPHERS, v);
	}
	if (rd_vec(&r, 1, &comp) != 0)
		return -1;
	/* Extensions are optional (RFC 5246 section 7.4.1.2). */
	if (rd_left(&r) == 0)
		return 0;
	if (parse_extensions(h, &r) != 0)
		return -1;
	return rd_left(&r) == 0 ? 0 : -1;
}

long
tf_hello_assemble(const uint8_t *p, size_t n, uint8_t *out, size_t outlen,
    const uint8_t **msg)
{
	size_t have = 0, need = 0, off = 0;

	while (off + 5 <= n) {
		size_t rlen = (size_t)p[off + 3] << 8 | p[off + 4], take;

		/* Handshake records of an SSL 3.0 or TLS version only. */
		if (p[off] != 0x16 || p[off + 1] != 0x03 || rlen == 0 ||
		    rlen > 16384)
			return -1;
		if (off + 5 + rlen > n)
			return 0;               /* the record is not all here */
		take = rlen;
		if (have == 0 && rlen >= 4) {
			if (p[off + 5] != 1)    /* not a ClientHello */
				return -1;
			need = 4 + ((size_t)p[off + 6] << 16 |
			    (size_t)p[off + 7] << 8 | p[off + 8]);
			if (need > outlen)
				return -1;
			if (rlen >= need) {     /* whole in one record */
				*msg = p + off + 5;
				return (long)need;
			}
		}
		if (have + take > outlen)
			take = outlen - have;
		memcpy(out + have, p + off + 5, take);
		have += take;
		off += 5 + rlen;
		if (need == 0 && have >= 4) {
			if (out[0] != 1)
				return -1;
			need = 4 + ((size_t)out[1] << 16 | (size_t)out[2] << 8 |
			    out[3]);
			if (need > outlen)
				return -1;
		}
		if (need != 0 && have >= need) {
			*msg = out;
			return (long)need;
		}
	}
	return 0;
}

/*
 * Contract: rec starts at an SSLv2 record header, len bytes available
 * (bytes after the record are ignored). Only the 2-byte header form (high
 * bit set) is accepted, as RFC 5246 appendix E.2 requires of a V2
 * ClientHello. Fills *h and returns 0, or returns -1.
 */
int
tf_hello_parse_sslv2(struct tf_hello *h, const uint8_t *rec, size_t len)
{
	struct rd r, msg;
	uint16_t reclen, cs_len, sid_len, ch_len;
	uint8_t type;
	size_t i;

	memset(h, 0, sizeof(*h));
	h->format = TF_HELLO_FMT_SSLV2;
	rd_init(&r, rec, len);
	if (rd_u16(&r, &reclen) != 0 || (reclen & 0x8000) == 0)
		return -1;
	reclen &= 0x7fff;
	if (rd_left(&r) < reclen)
		return -1;
	rd_init(&msg, rec + 2, reclen);
	if (rd_u8(&msg, &type) != 0 || type != 1)
		return -1;
	if (rd_u16(&msg, &h->legacy_version) != 0 ||
	    rd_u16(&msg, &cs_len) != 0 || rd_u16(&msg, &sid_len) != 0 ||
	    rd_u16(&msg, &ch_len) != 0)
		return -1;
	/* RFC 5246 E.2: the challenge is 16 to 32 bytes. */
	if (cs_len % 3 != 0 || sid_len > 32 || ch_len < 16 || ch_len > 32)
		return -1;
	if (rd_left(&msg) != (size_t)cs_len + sid_len + ch_len)
		return -1;
	for (i = 0; i < cs_len; i += 3) {
		const uint8_t *s = msg.p + msg.off + i;
		uint16_t v = (uint16_t)(s[1] << 8 | s[2]);

		/* Specs 0x00XXYY are TLS cipher suites (RFC 5246 E.2). */
		if (s[0] != 0)
			continue;
		if (tf_hello_is_grease(v)) {
			h->grease++;
			continue;
		}
		push16(h, h->ciphers, &h->nciphers, TF_HELLO_MAX_CIPHERS, v);
	}
	return 0;
}

uint16_t
tf_hello_max_version(const struct tf_hello *h)
{
	uint16_t max = 0;
	size_t i;

	if (!h->has_supported_versions || h->nversions == 0)
		return h->legacy_version;
	for (i = 0; i < h->nversions; i++)
		if (h->versions[i] > max)
			max = h->versions[i];
	return max;
}

uint16_t
tf_hello_max_known_version(const struct tf_hello *h)
{
	uint16_t max = 0;
	size_t i;

	if (h->has_supported_versions)
		for (i = 0; i < h->nversions; i++)
			if (h->versions[i] > max &&
			    tf_version_name(h->versions[i]) != NULL)
				max = h->versions[i];
	return max ? max : h->legacy_version;
}

const char *
tf_version_name(uint16_t v)
{
	switch (v) {
	case TF_SSL2_VERSION:
		return "SSL2.0";
	case TF_SSL3_VERSION:
		return "SSL3.0";
	case TF_TLS10_VERSION:
		return "TLS1.0";
	case TF_TLS11_VERSION:
		return "TLS1.1";
	case TF_TLS12_VERSION:
		return "TLS1.2";
	case TF_TLS13_VERSION:
		return "TLS1.3";
	default:
		return NULL;
	}
}

/* The list counts of a hello given to the fingerprint functions. */
static void
check_counts(const struct tf_hello *h)
{
	TF_ASSERT(h->nciphers <= TF_HELLO_MAX_CIPHERS);
	TF_ASSERT(h->nexts <= TF_HELLO_MAX_EXTS);
	TF_ASSERT(h->ngroups <= TF_HELLO_MAX_LIST);
	TF_ASSERT(h->npoint_formats <= TF_HELLO_MAX_LIST);
	TF_ASSERT(h->nsigalgs <= TF_HELLO_MAX_LIST);
	TF_ASSERT(h->nversions <= TF_HELLO_MAX_LIST);
	TF_ASSERT(h->alpn_first_len <= sizeof(h->alpn_first));
}

/* A bounded string builder; `over` is set once anything did not fit. */
struct sb {
	char *buf;
	size_t cap;
	size_t len;
	int over;
};

/* Appends n bytes. */
static void
sb_put(struct sb *b, const char *p, size_t n)
{
	if (b->over || n >= b->cap - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

/* Appends v in decimal. */
static void
sb_dec(struct sb *b, unsigned v)
{
	char num[12], *p = num + sizeof(num);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sb_put(b, p, (size_t)(num + sizeof(num) - p));
}

/* Appends v (16 bits) as 4 lower-case hex digits. */
static void
sb_hex4(struct sb *b, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	char h[4] = { digits[v >> 12 & 0xf], digits[v >> 8 & 0xf],
		digits[v >> 4 & 0xf], digits[v & 0xf] };

	sb_put(b, h, 4);
}

/* One JA3 field: decimal values joined with '-' (empty list: ""). */
static void
ja3_list16(struct sb *b, const uint16_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_put(b, "-", 1);
		sb_dec(b, v[i]);
	}
}

/*
 * Contract: writes "SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats" (salesforce/ja3 python/ja3/ja3.py) and a NUL
 * into out. SSLVersion is the client_version field, not
 * supported_versions; the lists are already GREASE-free. Returns the
 * string length, or (size_t)-1 when outlen is too small (out then holds a
 * NUL-terminated prefix if outlen > 0). JA3 is undefined for SSLv2-format
 * hellos; for those this gives the version field, the TLS-compatible
 * cipher specs and three empty fields.
 */
size_t
tf_hello_ja3(const struct tf_hello *h, char *out, size_t outlen)
{
	struct sb b = { out, outlen, 0, outlen == 0 };
	size_t i;

	check_counts(h);
	if (outlen > 0)
		out[0] = '\0';
	sb_dec(&b, h->legacy_version);
	sb_put(&b, ",", 1);
	ja3_list16(&b, h->ciphers, h->nciphers);
	sb_put(&b, ",", 1);
	ja3_list16(&b, h->exts, h->nexts);
	sb_put(&b, ",", 1);
	ja3_list16(&b, h->groups, h->ngroups);
	sb_put(&b, ",", 1);
	for (i = 0; i < h->npoint_formats; i++) {
		if (i > 0)
			sb_put(&b, "-", 1);
		sb_dec(&b, h->point_formats[i]);
	}
	return b.over ? (size_t)-1 : b.len;
}

static void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void
tf_hello_md5_hex(const char *s, char out[33])
{
	uint8_t md[MD5_DIGEST_LENGTH];

	MD5((const uint8_t *)s, strlen(s), md);
	hex_encode(md, sizeof(md), out);
}

/* JA4.md "TLS and DTLS Version": two characters, "00" when unknown. */
static const char *
ja4_version(uint16_t v)
{
	switch (v) {
	case TF_TLS13_VERSION:
		return "13";
	case TF_TLS12_VERSION:
		return "12";
	case TF_TLS11_VERSION:
		return "11";
	case TF_TLS10_VERSION:
		return "10";
	case TF_SSL3_VERSION:
		return "s3";
	case TF_SSL2_VERSION:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	default:
		return "00";
	}
}

static int
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

/*
 * JA4.md "ALPN Extension Value": the first and last characters of the
 * first protocol ("00" when there is none or it is empty); when either of
 * them is not alphanumeric, the first and last characters of the hex
 * rendering of the whole value instead.
 */
static void
ja4_alpn(const struct tf_hello *h, char out[3])
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)h->alpn_first;
	size_t n = h->alpn_first_len;

	if (!h->has_alpn || n == 0) {
		memcpy(out, "00", 3);
		return;
	}
	if (is_alnum(p[0]) && is_alnum(p[n - 1])) {
		out[0] = (char)p[0];
		out[1] = (char)p[n - 1];
	} else {
		out[0] = digits[p[0] >> 4];
		out[1] = digits[p[n - 1] & 0x0f];
	}
	out[2] = '\0';
}

static int
cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* First 12 hex characters of SHA-256(s), lower case. */
static void
ja4_hash12(const char *s, size_t n, char out[13])
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	SHA256((const uint8_t *)s, n, md);
	hex_encode(md, 6, out);
}

/* Comma-joined 4-digit lower-case hex. */
static void
ja4_list(struct sb *b, const uint16_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_put(b, ",", 1);
		sb_hex4(b, v[i]);
	}
}

/*
 * Contract: writes the 36-character JA4 (transport "t") and a NUL into
 * out. Sections per JA4.md: a = t, version, d/i, cipher count, extension
 * count (both GREASE-free, capped at 99), ALPN; b = SHA-256 of the sorted
 * cipher list; c = SHA-256 of the sorted extension list without SNI and
 * ALPN, then "_" and the signature algorithms in hello order when there
 * are any. An empty b or c list gives "000000000000". JA4 is undefined
 * for SSLv2-format hellos; for those this uses the version field, the
 * TLS-compatible cipher specs and no extensions ("ts3i..." for SSL 3.0).
 */
void
tf_hello_ja4(const struct tf_hello *h, char out[37])
{
	/* Worst case: 5 bytes per list entry. */
	char text[(TF_HELLO_MAX_CIPHERS > TF_HELLO_MAX_EXTS +
	    TF_HELLO_MAX_LIST ? TF_HELLO_MAX_CIPHERS :
	    TF_HELLO_MAX_EXTS + TF_HELLO_MAX_LIST) * 5 + 2];
	uint16_t sorted[TF_HELLO_MAX_CIPHERS];
	char alpn[3], hb[13], hc[13];
	struct sb b;
	size_t i, n, nc, ne;
	int sni = h->has_sni;

	check_counts(h);
	for (i = 0; i < h->nexts; i++)
		if (h->exts[i] == EXT_SERVER_NAME)
			sni = 1;
	nc = h->nciphers > 99 ? 99 : h->nciphers;
	ne = h->nexts > 99 ? 99 : h->nexts;
	ja4_alpn(h, alpn);

	memcpy(hb, "000000000000", 13);
	if (h->nciphers > 0) {
		memcpy(sorted, h->ciphers, h->nciphers * sizeof(sorted[0]));
		qsort(sorted, h->nciphers, sizeof(sorted[0]), cmp_u16);
		b = (struct sb){ text, sizeof(text), 0, 0 };
		ja4_list(&b, sorted, h->nciphers);
		TF_ASSERT(!b.over);
		ja4_hash12(text, b.len, hb);
	}

	memcpy(hc, "000000000000", 13);
	for (i = 0, n = 0; i < h->nexts; i++)
		if (h->exts[i] != EXT_SERVER_NAME && h->exts[i] != EXT_ALPN)
			sorted[n++] = h->exts[i];
	if (n > 0) {
		qsort(sorted, n, sizeof(sorted[0]), cmp_u16);
		b = (struct sb){ text, sizeof(text), 0, 0 };
		ja4_list(&b, sorted, n);
		if (h->nsigalgs > 0) {
			sb_put(&b, "_", 1);
			ja4_list(&b, h->sigalgs, h->nsigalgs);
		}
		TF_ASSERT(!b.over);
		ja4_hash12(text, b.len, hc);
	}

	/* "t" version d|i cipher-count extension-count alpn "_" b "_" c */
	out[0] = 't';
	memcpy(out + 1, ja4_version(tf_hello_max_version(h)), 2);
	out[3] = sni ? 'd' : 'i';
	out[4] = (char)('0' + nc / 10);
	out[5] = (char)('0' + nc % 10);
	out[6] = (char)('0' + ne / 10);
	out[7] = (char)('0' + ne % 10);
	memcpy(out + 8, alpn, 2);
	out[10] = '_';
	memcpy(out + 11, hb, 12);
	out[23] = '_';
	memcpy(out + 24, hc, 12);
	out[36] = '\0';
}
