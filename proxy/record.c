#include <stdio.h>
#include <string.h>

#include "fingerprints.h"
#include "hello.h"
#include "json.h"
#include "log.h"
#include "record.h"

/* The largest record: 256 suites at 9 bytes, a JA3 of up to 3 KiB, an
 * SNI escaped at 6 bytes a byte, and the rest. */
#define RECORD_MAX 16384

/* "0x" and four lower-case hex digits: out holds 7 bytes. */
static void
hex4(uint16_t v, char out[7])
{
	static const char digits[] = "0123456789abcdef";

	out[0] = '0';
	out[1] = 'x';
	out[2] = digits[v >> 12 & 0xf];
	out[3] = digits[v >> 8 & 0xf];
	out[4] = digits[v >> 4 & 0xf];
	out[5] = digits[v & 0xf];
	out[6] = '\0';
}

static void
version_str(uint16_t v, char out[8])
{
	const char *n = tf_version_name(v);

	if (n != NULL)
		snprintf(out, 8, "%s", n);
	else
		hex4(v, out);
}

static void
begin(struct tf_json *j, const char *event, const struct tf_record_peer *p)
{
	char now[40];

	tf_log_time(now, sizeof(now));
	tf_json_begin(j);
	tf_json_str(j, "time", now);
	tf_json_str(j, "event", event);
	tf_json_str(j, "listener", p->listener);
	tf_json_str(j, "client_ip", p->client_ip);
	tf_json_int(j, "client_port", p->client_port);
}

/* The fingerprint fields shared by legacy_client and handshake_failed. */
static void
hello_fields(struct tf_json *j, const struct tf_hello *h,
    const char *ja4_known, const struct tf_fingerprints *fp)
{
	char v[8], ja3[4096], md5[33], ja4[37];
	size_t i;

	if (h == NULL) {
		tf_json_null(j, "sni");
		tf_json_null(j, "offered_max");
		tf_json_null(j, "offered_versions");
		tf_json_null(j, "hello_format");
		tf_json_null(j, "cipher_suites");
		tf_json_null(j, "ja3");
		tf_json_null(j, "ja3_md5");
		tf_json_null(j, "ja4");
		tf_json_null(j, "client_guess");
		return;
	}
	if (h->has_sni)
		tf_json_strn(j, "sni", h->sni, h->sni_len);
	else
		tf_json_null(j, "sni");
	version_str(tf_hello_max_known_version(h), v);
	tf_json_str(j, "offered_max", v);
	tf_json_array_begin(j, "offered_versions");
	if (h->has_supported_versions) {
		for (i = 0; i < h->nversions; i++) {
			version_str(h->versions[i], v);
			tf_json_array_str(j, v);
		}
	} else {
		version_str(h->legacy_version, v);
		tf_json_array_str(j, v);
	}
	tf_json_array_end(j);
	tf_json_str(j, "hello_format",
	    h->format == TF_HELLO_FMT_SSLV2 ? "sslv2" : "tls");
	tf_json_array_begin(j, "cipher_suites");
	for (i = 0; i < h->nciphers; i++) {
		char s[8];

		hex4(h->ciphers[i], s);
		tf_json_array_str(j, s);
	}
	tf_json_array_end(j);
	md5[0] = '\0';
	if (tf_hello_ja3(h, ja3, sizeof(ja3)) != (size_t)-1) {
		tf_hello_md5_hex(ja3, md5);
		tf_json_str(j, "ja3", ja3);
		tf_json_str(j, "ja3_md5", md5);
	} else {
		tf_json_null(j, "ja3");
		tf_json_null(j, "ja3_md5");
	}
	if (ja4_known != NULL && ja4_known[0] != '\0')
		memcpy(ja4, ja4_known, sizeof(ja4));
	else
		tf_hello_ja4(h, ja4);
	tf_json_str(j, "ja4", ja4);
	tf_json_str(j, "client_guess", fp == NULL ? NULL :
	    tf_fingerprints_guess(fp, ja4, md5[0] ? md5 : NULL));
}

static void
finish(struct tf_json *j, enum tf_log_stream s)
{
	tf_json_end(j);
	if (j->overflow) {
		tf_log_error("record too large for its buffer; dropped");
		return;
	}
	tf_log_record(s, j->buf, j->len);
}

void
tf_record_legacy(const struct tf_record_peer *p, const struct tf_hello *h,
    const char *ja4, const char *action, uint16_t floor)
{
	char buf[RECORD_MAX];
	struct tf_json j;

	if (!tf_log_enabled(TF_STREAM_LEGACY))
		return;
	tf_json_init(&j, buf, sizeof(buf));
	begin(&j, "legacy_client", p);
	tf_json_str(&j, "action", action);
	tf_json_str(&j, "floor", floor == TF_TLS13_VERSION ? "TLS1.3" :
	    "TLS1.2");
	hello_fields(&j, h, ja4, p->fp);
	finish(&j, TF_STREAM_LEGACY);
}

void
tf_record_handshake_failed(const struct tf_record_peer *p,
    const struct tf_hello *h, const char *ja4, const char *reason)
{
	char buf[RECORD_MAX];
	struct tf_json j;

	if (!tf_log_enabled(TF_STREAM_LEGACY))
		return;
	tf_json_init(&j, buf, sizeof(buf));
	begin(&j, "handshake_failed", p);
	tf_json_str(&j, "reason", reason);
	hello_fields(&j, h, ja4, p->fp);
	finish(&j, TF_STREAM_LEGACY);
}

void
tf_record_not_tls(const struct tf_record_peer *p)
{
	char buf[1024];
	struct tf_json j;

	if (!tf_log_enabled(TF_STREAM_LEGACY))
		return;
	tf_json_init(&j, buf, sizeof(buf));
	begin(&j, "not_tls", p);
	finish(&j, TF_STREAM_LEGACY);
}

/* The client's TLS, shared by request and smtp_session records. */
static void
tls_fields(struct tf_json *j, const struct tf_access *a)
{
	tf_json_str(j, "tls_version", a->tls_version);
	tf_json_str(j, "cipher", a->cipher);
	tf_json_str(j, "sni", a->sni);
	tf_json_str(j, "ja4", a->ja4);
}

/* Bytes, upstream and time, shared likewise. */
static void
traffic_fields(struct tf_json *j, const struct tf_access *a)
{
	tf_json_int(j, "bytes_in", (long long)a->bytes_in);
	tf_json_int(j, "bytes_out", (long long)a->bytes_out);
	tf_json_str(j, "upstream", a->upstream);
	tf_json_str(j, "upstream_tls", a->upstream_tls);
	tf_json_int(j, "duration_ms", (long long)a->duration_ms);
}

void
tf_record_access(const struct tf_record_peer *p, const struct tf_access *a)
{
	char buf[RECORD_MAX];
	struct tf_json j;

	if (!tf_log_enabled(TF_STREAM_ACCESS))
		return;
	tf_json_init(&j, buf, sizeof(buf));
	begin(&j, "request", p);
	tls_fields(&j, a);
	tf_json_str(&j, "method", a->method);
	tf_json_str(&j, "host", a->host);
	tf_json_str(&j, "path", a->path);
	tf_json_int(&j, "status", a->status);
	traffic_fields(&j, a);
	tf_json_str(&j, "user_agent", a->user_agent);
	tf_json_bool(&j, "legacy", a->legacy);
	tf_json_str(&j, "crypt_protocol", a->crypt_protocol);
	tf_json_str(&j, "crypt_cipher", a->crypt_cipher);
	tf_json_str(&j, "crypt_hash", a->crypt_hash);
	tf_json_str(&j, "crypt_keyexchange", a->crypt_keyexchange);
	finish(&j, TF_STREAM_ACCESS);
}

void
tf_record_smtp_session(const struct tf_record_peer *p,
    const struct tf_access *a)
{
	char buf[RECORD_MAX];
	struct tf_json j;

	if (!tf_log_enabled(TF_STREAM_ACCESS))
		return;
	tf_json_init(&j, buf, sizeof(buf));
	begin(&j, "smtp_session", p);
	tls_fields(&j, a);
	traffic_fields(&j, a);
	tf_json_bool(&j, "legacy", a->legacy);
	finish(&j, TF_STREAM_ACCESS);
}
