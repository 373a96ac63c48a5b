/*
 * TLS for both legs, on BoringSSL, through BIOs that read from and write
 * to the connection's own bounded ciphertext buffers (libuv owns the
 * sockets). This is the only module besides hello.c that includes
 * <openssl/...>; everyone else sees the opaque types below.
 */
#ifndef TF_TLS_H
#define TF_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct tf_buf;
struct tf_hello;
struct tf_listener_conf;
struct tf_tickets;

/* Server side of one listener: SSL_CTX plus its certificates. */
struct tf_tls_server;
/* Client side towards one listener's upstream: SSL_CTX with the CA. */
struct tf_tls_client;
/* One TLS connection (either side). */
struct tf_tls;

/*
 * What the hello callback tells the handshake to do with a ClientHello:
 * go on under the listener's floor (a hello below it is then refused with
 * a protocol_version alert), refuse it (it is below the floor: no
 * certificate is chosen for it, and the floor refuses it the same way),
 * or let this connection in below the floor.
 */
enum tf_tls_hello_verdict {
	TF_TLS_HELLO_CONTINUE = 0,
	TF_TLS_HELLO_REFUSE,
	TF_TLS_HELLO_LOWER_FLOOR,
};

/* Called once per connection from inside the handshake with the parsed
 * ClientHello (NULL when BoringSSL accepted bytes our parser did not). */
typedef enum tf_tls_hello_verdict tf_tls_hello_cb(void *arg,
    const struct tf_hello *h);

/* Results of tf_tls_handshake / tf_tls_read. */
enum {
	TF_TLS_OK = 0,
	TF_TLS_AGAIN = -1,  /* needs more ciphertext in (or room out) */
	TF_TLS_EOF = -2,    /* close_notify received */
	TF_TLS_ERROR = -3,  /* fatal; see tf_tls_error_* */
};

/* Room a write of n plaintext bytes may take in the out buffer: n plus
 * this, plus TF_TLS_TICKETS_ROOM on a server's first write after a TLS
 * 1.3 handshake (it carries the session tickets). tf_tls_write_room()
 * says which. */
#define TF_TLS_RECORD_OVERHEAD 256
#define TF_TLS_TICKETS_ROOM 2048
#define TF_TLS_MAX_PLAIN 16384

/*
 * Builds the server context of a listener: certificates (each one loaded,
 * checked against its key), floor, suites, ALPN, and resumption: session
 * tickets sealed with tk's keys (which must outlive the context), bound to
 * this listener and its certificates; tk NULL: no tickets, so no
 * resumption. No session cache either way. Errors say "FILE:LINE:
 * message" at the directive that failed. Returns 0 or -1.
 */
int tf_tls_server_new(const struct tf_listener_conf *lc,
    struct tf_tickets *tk, struct tf_tls_server **out, char *err,
    size_t errlen);
void tf_tls_server_free(struct tf_tls_server *s);

/* The first DNS name of the listener's first certificate (wildcards
 * skipped), else its subject's CN, into name (n bytes). 0, or -1 when it
 * has neither. */
int tf_tls_server_name(const struct tf_tls_server *s, char *name, size_t n);

/* Builds the upstream client context: TLS 1.2+, the CA file, verify. */
int tf_tls_client_new(const struct tf_listener_conf *lc,
    struct tf_tls_client **out, char *err, size_t errlen);
void tf_tls_client_free(struct tf_tls_client *c);

/*
 * A connection over the given buffers: `in` holds ciphertext received,
 * `out` receives ciphertext to send. The buffers outlive the tf_tls.
 * NULL on allocation failure.
 */
struct tf_tls *tf_tls_accept(struct tf_tls_server *s, struct tf_buf *in,
    struct tf_buf *out, tf_tls_hello_cb *cb, void *arg);
struct tf_tls *tf_tls_connect(struct tf_tls_client *c, struct tf_buf *in,
    struct tf_buf *out, const char *sni, const char *verify_name);
void tf_tls_free(struct tf_tls *t);

/* Drives the handshake: TF_TLS_OK when done, TF_TLS_AGAIN or
 * TF_TLS_ERROR. */
int tf_tls_handshake(struct tf_tls *t);

/* Reads plaintext: bytes read (> 0), TF_TLS_AGAIN, TF_TLS_EOF or
 * TF_TLS_ERROR. */
long tf_tls_read(struct tf_tls *t, char *p, size_t n);

/* Encrypts n <= TF_TLS_MAX_PLAIN bytes into out; the caller checks that
 * out has tf_tls_write_room(t, n) bytes of space. 0 or TF_TLS_ERROR. */
int tf_tls_write(struct tf_tls *t, const char *p, size_t n);

/* The room in out a write of n bytes needs. */
size_t tf_tls_write_room(const struct tf_tls *t, size_t n);

/* Queues a close_notify alert into out. */
void tf_tls_close_notify(struct tf_tls *t);

/* True when the TLS engine holds anything a read could use: decrypted
 * data or records not yet processed (it reads no further ahead). */
int tf_tls_has_pending(const struct tf_tls *t);

/* Bytes of decrypted data held inside the TLS engine. */
size_t tf_tls_pending(struct tf_tls *t);

/* After TF_TLS_ERROR: a handshake_failed reason of SPEC
 * (no_shared_cipher, bad_record, peer_alert, closed, internal) and a
 * human-readable description for the error log. */
const char *tf_tls_error_reason(const struct tf_tls *t);
const char *tf_tls_error_text(const struct tf_tls *t);

/* The negotiated protocol as "TLS1.2", cipher as its standard name,
 * and the IIS crypt_* hex values; valid after the handshake. */
const char *tf_tls_version(const struct tf_tls *t);
uint16_t tf_tls_version_id(const struct tf_tls *t);
/* 1 when the handshake resumed a session (a ticket), 0 for a full one. */
int tf_tls_resumed(const struct tf_tls *t);
const char *tf_tls_cipher(const struct tf_tls *t);
void tf_tls_iis_crypt(const struct tf_tls *t, char proto[8], char cipher[8],
    char hash[8], char kx[8]);

/* "BoringSSL API 17". */
const char *tf_tls_library_version(void);

#endif
