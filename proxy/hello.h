/*
 * ClientHello inspection: parses a ClientHello (TLS or SSLv2 format) into
 * the fields the legacy-client records and fingerprints need, and computes
 * JA3 and JA4. Pure byte work: no sockets, no TLS library state, so it can
 * be unit-tested and fuzzed on its own.
 */
#ifndef TF_HELLO_H
#define TF_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define TF_SSL2_VERSION 0x0002
#define TF_SSL3_VERSION 0x0300
#define TF_TLS10_VERSION 0x0301
#define TF_TLS11_VERSION 0x0302
#define TF_TLS12_VERSION 0x0303
#define TF_TLS13_VERSION 0x0304

#define TF_HELLO_MAX_CIPHERS 256
/* The longest ClientHello read before the TLS library (with its header). */
#define TF_HELLO_MAX_MSG (16384 + 4)
#define TF_HELLO_MAX_EXTS 64
#define TF_HELLO_MAX_LIST 64

enum tf_hello_format {
	TF_HELLO_FMT_TLS = 0,
	TF_HELLO_FMT_SSLV2,
};

/*
 * What a ClientHello offered. Lists keep hello order; GREASE values are
 * removed from every list (JA3 and JA4 ignore them) and counted in
 * `grease`. Lists longer than their array are truncated and `truncated`
 * is set; what was kept is still in order.
 */
struct tf_hello {
	enum tf_hello_format format;
	uint16_t legacy_version;          /* client_version field */
	int has_supported_versions;       /* extension 43 present */
	uint16_t versions[TF_HELLO_MAX_LIST];   /* from extension 43 */
	size_t nversions;
	uint16_t ciphers[TF_HELLO_MAX_CIPHERS]; /* TLS suites; SSLv2 specs of
	                                           form 0x00XXYY kept as XXYY */
	size_t nciphers;
	uint16_t exts[TF_HELLO_MAX_EXTS];       /* extension types */
	size_t nexts;
	uint16_t groups[TF_HELLO_MAX_LIST];     /* supported_groups (10) */
	size_t ngroups;
	uint8_t point_formats[TF_HELLO_MAX_LIST]; /* ec_point_formats (11) */
	size_t npoint_formats;
	uint16_t sigalgs[TF_HELLO_MAX_LIST];    /* signature_algorithms (13) */
	size_t nsigalgs;
	int has_sni;
	uint8_t sni[256];                 /* host_name bytes as sent, any byte */
	size_t sni_len;
	int has_alpn;
	char alpn_first[256];             /* first ALPN protocol, as sent */
	size_t alpn_first_len;
	int grease;                       /* GREASE values seen */
	int truncated;                    /* some list did not fit */
};

/* Returns 1 for the 16 GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... */
int tf_hello_is_grease(uint16_t v);

/*
 * Parses a TLS-format ClientHello body: the handshake message after its
 * 4-byte header (client_version, random, session_id, cipher_suites,
 * compression_methods, extensions). Returns 0, or -1 if malformed.
 */
int tf_hello_parse(struct tf_hello *h, const uint8_t *body, size_t len);

/*
 * Finds a whole ClientHello handshake message in the TLS records at p (n
 * bytes received so far), its fragments put together when it spans
 * records. Returns the message's length (its 4-byte header included) with
 * *msg pointing at it, in p when one record holds it all, else in out
 * (outlen bytes at most); 0 when more bytes are needed; -1 when these are
 * not such records (another record type or version, a bad length, not a
 * ClientHello, longer than outlen): the TLS library judges those.
 */
long tf_hello_assemble(const uint8_t *p, size_t n, uint8_t *out,
    size_t outlen, const uint8_t **msg);

/*
 * Parses an SSLv2-format CLIENT-HELLO record, starting at its 2-byte record
 * header (first byte has the high bit set). Returns 0 or -1.
 */
int tf_hello_parse_sslv2(struct tf_hello *h, const uint8_t *rec, size_t len);

/* Highest version offered: supported_versions when present, else the
 * legacy version. GREASE ignored. */
uint16_t tf_hello_max_version(const struct tf_hello *h);

/*
 * The highest version offered that is a released one (SSL 2.0 to TLS 1.3):
 * TLS 1.3 drafts (0x7fXX) and unknown values are passed over, as no server
 * here can speak them. This is what the floor is compared with and what
 * records call offered_max.
 */
uint16_t tf_hello_max_known_version(const struct tf_hello *h);

/* "SSL2.0", "SSL3.0", "TLS1.0" ... "TLS1.3", or NULL for other values. */
const char *tf_version_name(uint16_t v);

/*
 * JA3 per salesforce/ja3: "SSLVersion,Ciphers,Extensions,Curves,PointFormats"
 * in decimal, '-' joined, GREASE removed. Writes a NUL-terminated string;
 * returns its length, or (size_t)-1 when out is too small.
 */
size_t tf_hello_ja3(const struct tf_hello *h, char *out, size_t outlen);

/* Lower-case hex MD5 of s (33 bytes with the NUL). */
void tf_hello_md5_hex(const char *s, char out[33]);

/*
 * JA4 (TLS client) per FoxIO's technical_details/JA4.md, transport 't':
 * "t13d1516h2_8daaf6152771_e5627efa2ab1". Writes 37 bytes with the NUL.
 */
void tf_hello_ja4(const struct tf_hello *h, char out[37]);

#endif
