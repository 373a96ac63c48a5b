/*
 * Records: one JSON line per legacy ClientHello, per failed handshake,
 * per plain-HTTP probe, per request and per SMTP session, in SPEC's
 * formats.
 */
#ifndef TF_RECORD_H
#define TF_RECORD_H

#include <stdint.h>

struct tf_fingerprints;
struct tf_hello;

/* Who a record is about. */
struct tf_record_peer {
	const char *listener;
	const char *client_ip;
	uint16_t client_port;
	const struct tf_fingerprints *fp;  /* for client_guess; may be NULL */
};

/* A ClientHello below the floor (0x0303, 0x0304) that applied to it;
 * action is refused, allowed_audit or allowed_exempt. ja4 is the hello's
 * JA4 when the caller has it already (NULL: computed here). */
void tf_record_legacy(const struct tf_record_peer *p,
    const struct tf_hello *h, const char *ja4, const char *action,
    uint16_t floor);

/* A handshake that failed after its hello was accepted; h may be NULL
 * when the hello could not be read. ja4 as for tf_record_legacy(). */
void tf_record_handshake_failed(const struct tf_record_peer *p,
    const struct tf_hello *h, const char *ja4, const char *reason);

/* Plain HTTP sent to a TLS port. */
void tf_record_not_tls(const struct tf_record_peer *p);

/* One request (access-log). */
struct tf_access {
	const char *tls_version, *cipher, *sni, *ja4;
	const char *method, *host, *path, *user_agent;
	int status;                       /* 0: no response sent */
	uint64_t bytes_in, bytes_out;
	const char *upstream;             /* HOST:PORT */
	const char *upstream_tls;         /* NULL: no upstream leg */
	uint64_t duration_ms;
	int legacy;
	const char *crypt_protocol, *crypt_cipher, *crypt_hash,
	    *crypt_keyexchange;
};

void tf_record_access(const struct tf_record_peer *p,
    const struct tf_access *a);

/*
 * One SMTP session (access-log), written when it ends, for a session
 * whose client handshake completed: a's TLS fields, bytes (plaintext
 * relayed each way after STARTTLS), upstream, upstream_tls (NULL: the
 * upstream was never reached), duration_ms (from the connection's
 * start) and legacy; the request fields are not used.
 */
void tf_record_smtp_session(const struct tf_record_peer *p,
    const struct tf_access *a);

#endif
