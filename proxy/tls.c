/*
 * TLS engine glue. Ciphertext moves through a BIO_METHOD of our own that
 * reads from the connection's `in` buffer and appends to its `out` buffer,
 * so the only copies are the ones TLS itself makes. The server side looks
 * at every ClientHello in BoringSSL's early (select-certificate) callback:
 * that is where legacy clients are recorded and certificates chosen, for
 * resuming hellos too. Client sessions resume from tickets sealed with the
 * process's keys (tickets.h); the server keeps no session cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/cipher.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "config.h"
#include "hello.h"
#include "ocsp.h"
#include "tickets.h"
#include "tls.h"

#define TF_TLS_MAGIC 0x5a17c0de

/* SPEC "Ciphers": DEFAULT for TLS 1.2, in order. */
static const char default_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
    "AES128-GCM-SHA256:AES256-GCM-SHA384";

/* Added for connections let in below the floor (0x002f 0x0035 0x000a). */
static const char below_floor_ciphers[] =
    "AES128-SHA:AES256-SHA:DES-CBC3-SHA";

static const unsigned char alpn_http11[] = { 8, 'h', 't', 't', 'p', '/',
	'1', '.', '1' };

struct tf_cert {
	X509 *leaf;
	STACK_OF(X509) *chain;  /* intermediates, without the leaf */
	EVP_PKEY *key;
	int is_ecdsa;
	uint16_t group;         /* the ECDSA key's curve as a TLS group id */
	uint8_t *ocsp;          /* the OCSP response to staple, or NULL */
	size_t ocsp_len;
};

struct tf_tls_server {
	SSL_CTX *ctx;
	struct tf_cert *certs;
	size_t ncerts;
	char *legacy_ciphers;   /* listener suites plus the below-floor ones */
	struct tf_tickets *tickets;     /* the process's; NULL: no tickets */
};

struct tf_tls_client {
	SSL_CTX *ctx;
};

struct tf_tls {
	unsigned magic;
	SSL *ssl;
	BIO *bio;
	struct tf_buf *in;
	struct tf_buf *out;
	struct tf_tls_server *server;  /* NULL on the client side */
	tf_tls_hello_cb *hello_cb;
	void *hello_arg;
	const char *err_reason;
	char err_text[256];
	int tickets_held;               /* a first write also sends tickets */
};

static BIO_METHOD *buf_method;
static pthread_once_t buf_method_once = PTHREAD_ONCE_INIT;

static int
buf_bio_read(BIO *bio, char *p, int len)
{
	struct tf_tls *t = BIO_get_data(bio);
	size_t n = tf_buf_len(t->in);

	BIO_clear_retry_flags(bio);
	if (n == 0) {
		BIO_set_retry_read(bio);
		return -1;
	}
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(p, tf_buf_head(t->in), n);
	tf_buf_consume(t->in, n);
	return (int)n;
}

/*
 * Appends at the tail only: the region before it may be under a uv_write,
 * so it must not move. The connection compacts when nothing is in flight.
 */
static int
buf_bio_write(BIO *bio, const char *p, int len)
{
	struct tf_tls *t = BIO_get_data(bio);

	BIO_clear_retry_flags(bio);
	if ((size_t)len > tf_buf_tailroom(t->out)) {
		BIO_set_retry_write(bio);
		return -1;
	}
	memcpy(tf_buf_tail(t->out), p, (size_t)len);
	tf_buf_commit(t->out, (size_t)len);
	return len;
}

static long
buf_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
buf_bio_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static void
buf_method_init(void)
{
	buf_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "tlsfloor buf");
	TF_ASSERT(buf_method != NULL);
	BIO_meth_set_read(buf_method, buf_bio_read);
	BIO_meth_set_write(buf_method, buf_bio_write);
	BIO_meth_set_ctrl(buf_method, buf_bio_ctrl);
	BIO_meth_set_create(buf_method, buf_bio_create);
}

/* Formats the first queued library error as text; clears the queue. */
static void
ssl_error_string(char *out, size_t outlen)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(out, outlen, "unknown error");
	else
		ERR_error_string_n(e, out, outlen);
	ERR_clear_error();
}

/* "FILE:LINE: what PATH: library error" */
static void
where_err(char *err, size_t errlen, const struct tf_where *w,
    const char *what, const char *path)
{
	char lib[160];

	ssl_error_string(lib, sizeof(lib));
	snprintf(err, errlen, "%s:%d: %s %s: %s", w->file, w->line, what, path,
	    lib);
}

/* Returns 1 when BoringSSL takes the name (or alias) as a cipher list. */
static int
cipher_known(const char *name)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	int ok;

	TF_ASSERT(ctx != NULL);
	ok = SSL_CTX_set_strict_cipher_list(ctx, name);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/*
 * Turns a `ciphers` value (names or 0xNNNN, separated by ':' ',' or
 * blanks; DEFAULT expands to SPEC's list) into a BoringSSL cipher string.
 * Returns 0, or -1 with the offending token copied to bad.
 */
static int
cipher_string(const char *spec, char *out, size_t outlen, char *bad,
    size_t badlen)
{
	char tok[128];
	size_t n = 0;

	out[0] = '\0';
	while (*spec != '\0') {
		const char *name = tok;
		size_t len = strcspn(spec, ":, \t");

		if (len == 0) {
			spec++;
			continue;
		}
		if (len >= sizeof(tok))
			len = sizeof(tok) - 1;
		memcpy(tok, spec, len);
		tok[len] = '\0';
		spec += len;
		if (strcasecmp(tok, "DEFAULT") == 0) {
			name = default_ciphers;
		} else if (strncasecmp(tok, "0x", 2) == 0) {
			char *end;
			unsigned long v = strtoul(tok + 2, &end, 16);
			const SSL_CIPHER *c = NULL;

			if (*end == '\0' && end != tok + 2 && v <= 0xffff)
				c = SSL_get_cipher_by_value((uint16_t)v);
			if (c == NULL) {
				snprintf(bad, badlen, "%s", tok);
				return -1;
			}
			name = SSL_CIPHER_get_name(c);
		} else if (!cipher_known(tok)) {
			snprintf(bad, badlen, "%s", tok);
			return -1;
		}
		n += (size_t)snprintf(out + n, outlen - n, "%s%s",
		    n ? ":" : "", name);
		if (n >= outlen) {
			snprintf(bad, badlen, "%s", tok);
			return -1;
		}
	}
	return 0;
}

static void
cert_clear(struct tf_cert *c)
{
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	free(c->ocsp);
}

/*
 * Reads the `ocsp-file` of a certificate and checks it is a good answer
 * for its leaf (ocsp.h). Returns 0, or -1 with err at the directive.
 */
static int
ocsp_load(const struct tf_cert_conf *cc, struct tf_cert *c, char *err,
    size_t errlen)
{
	const char *why;
	FILE *f;
	size_t n;

	f = fopen(cc->ocsp, "rb");
	if (f == NULL) {
		why = strerror(errno);
		goto fail;
	}
	c->ocsp = tf_xmalloc(TF_OCSP_MAX + 1);
	n = fread(c->ocsp, 1, TF_OCSP_MAX + 1, f);
	why = ferror(f) ? strerror(errno) : n > TF_OCSP_MAX ?
	    "bigger than 64 KiB" : n == 0 ? "empty file" : NULL;
	fclose(f);
	if (why == NULL && tf_ocsp_check(c->ocsp, n, c->leaf, &why) == 0) {
		c->ocsp_len = n;
		return 0;
	}
fail:
	snprintf(err, errlen, "%s:%d: ocsp-file %s: %s", cc->ocsp_where.file,
	    cc->ocsp_where.line, cc->ocsp, why);
	return -1;
}

/* Loads one `cert CHAIN [KEY]`: leaf, intermediates, key, and checks that
 * they belong together. */
static int
cert_load(const struct tf_cert_conf *cc, struct tf_cert *c, char *err,
    size_t errlen)
{
	const char *keypath = cc->key ? cc->key : cc->chain;
	BIO *bio;
	X509 *x;

	memset(c, 0, sizeof(*c));
	ERR_clear_error();
	bio = BIO_new_file(cc->chain, "r");
	if (bio == NULL) {
		snprintf(err, errlen, "%s:%d: cannot read certificate %s: %s",
		    cc->where.file, cc->where.line, cc->chain,
		    strerror(errno));
		ERR_clear_error();
		return -1;
	}
	c->leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (c->leaf == NULL) {
		BIO_free(bio);
		where_err(err, errlen, &cc->where,
		    "no certificate in", cc->chain);
		return -1;
	}
	c->chain = sk_X509_new_null();
	TF_ASSERT(c->chain != NULL);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		TF_ASSERT(sk_X509_push(c->chain, x));
	ERR_clear_error(); /* the end of the file reads as an error */
	BIO_free(bio);

	bio = BIO_new_file(keypath, "r");
	if (bio == NULL) {
		snprintf(err, errlen, "%s:%d: cannot read key %s: %s",
		    cc->where.file, cc->where.line, keypath, strerror(errno));
		ERR_clear_error();
		cert_clear(c);
		return -1;
	}
	c->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (c->key == NULL) {
		where_err(err, errlen, &cc->where, "no private key in",
		    keypath);
		cert_clear(c);
		return -1;
	}
	if (!X509_check_private_key(c->leaf, c->key)) {
		where_err(err, errlen, &cc->where,
		    "key does not match certificate", cc->chain);
		cert_clear(c);
		return -1;
	}
	if (cc->ocsp != NULL && ocsp_load(cc, c, err, errlen) != 0) {
		cert_clear(c);
		return -1;
	}
	c->is_ecdsa = EVP_PKEY_id(c->key) == EVP_PKEY_EC;
	if (c->is_ecdsa) {
		const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(c->key);

		switch (EC_GROUP_get_curve_name(EC_KEY_get0_group(ec))) {
		case NID_X9_62_prime256v1: c->group = 23; break;
		case NID_secp384r1: c->group = 24; break;
		case NID_secp521r1: c->group = 25; break;
		}
	}
	return 0;
}

static int
use_cert(SSL *ssl, const struct tf_cert *c)
{
	SSL_certs_clear(ssl);
	return SSL_use_certificate(ssl, c->leaf) &&
	    SSL_use_PrivateKey(ssl, c->key) && SSL_set1_chain(ssl, c->chain);
}

/*
 * Returns 1 when the hello says the client can use an ECDSA certificate
 * on the given curve: an ECDSA signature algorithm (or, before TLS 1.2's
 * signature_algorithms, none listed), the curve among its groups when it
 * lists them, and for TLS 1.2 and older an ECDHE-ECDSA suite.
 */
static int
hello_takes_ecdsa(const struct tf_hello *h, uint16_t group)
{
	static const uint16_t ecdsa_suites[] = { 0xc02b, 0xc02c, 0xcca9,
		0xc009, 0xc00a };
	int tls13 = 0, sig = h->nsigalgs == 0, curve = h->ngroups == 0;
	int suite = 0;
	size_t i, j;

	for (i = 0; i < h->nversions; i++)
		if (h->versions[i] == TF_TLS13_VERSION)
			tls13 = 1;
	for (i = 0; i < h->nsigalgs; i++)
		if ((h->sigalgs[i] & 0xff) == 3)
			sig = 1;
	for (i = 0; i < h->ngroups; i++)
		if (h->groups[i] == group)
			curve = 1;
	for (i = 0; i < h->nciphers; i++)
		for (j = 0; j < TF_ARRAY_SIZE(ecdsa_suites); j++)
			if (h->ciphers[i] == ecdsa_suites[j])
				suite = 1;
	if (tls13 && h->nsigalgs == 0)
		sig = 0;
	return sig && curve && (tls13 || suite);
}

/*
 * Chooses the certificate for a hello. Among the certificates whose names
 * match the SNI, an ECDSA one the client can use is preferred, then the
 * first other one. With no SNI or no match, the first certificate, unless
 * it is ECDSA and the client cannot use it: then the first non-ECDSA one.
 * Returns an index into s->certs.
 */
static size_t
choose_cert(const struct tf_tls_server *s, const struct tf_hello *h)
{
	size_t i, other = s->ncerts;
	int any = 0;

	if (h == NULL)
		return 0;
	if (h->has_sni && h->sni_len > 0) {
		for (i = 0; i < s->ncerts; i++) {
			const struct tf_cert *c = &s->certs[i];

			if (X509_check_host(c->leaf, (const char *)h->sni,
			    h->sni_len, 0, NULL) != 1)
				continue;
			any = 1;
			if (c->is_ecdsa && hello_takes_ecdsa(h, c->group))
				return i;
			if (!c->is_ecdsa && other == s->ncerts)
				other = i;
		}
		if (other < s->ncerts)
			return other;
		if (any) {
			for (i = 0; i < s->ncerts; i++)
				if (X509_check_host(s->certs[i].leaf,
				    (const char *)h->sni, h->sni_len, 0,
				    NULL) == 1)
					return i;
		}
	}
	if (!s->certs[0].is_ecdsa || hello_takes_ecdsa(h, s->certs[0].group))
		return 0;
	for (i = 1; i < s->ncerts; i++)
		if (!s->certs[i].is_ecdsa)
			return i;
	return 0;
}

static enum ssl_select_cert_result_t
select_cert_cb(const SSL_CLIENT_HELLO *ch)
{
	struct tf_tls *t = SSL_get_app_data(ch->ssl);
	struct tf_hello hello, *h = &hello;
	enum tf_tls_hello_verdict v = TF_TLS_HELLO_CONTINUE;
	const struct tf_cert *c;
	size_t i;

	TF_CHECK_OBJ(t, TF_TLS_MAGIC);
	if (tf_hello_parse(h, ch->client_hello, ch->client_hello_len) != 0)
		h = NULL;
	if (t->hello_cb != NULL)
		v = t->hello_cb(t->hello_arg, h);
	if (v == TF_TLS_HELLO_REFUSE)
		return ssl_select_cert_success; /* the version check refuses */
	if (v == TF_TLS_HELLO_LOWER_FLOOR) {
		if (!SSL_set_min_proto_version(ch->ssl, TLS1_VERSION) ||
		    !SSL_set_strict_cipher_list(ch->ssl,
		    t->server->legacy_ciphers))
			return ssl_select_cert_error;
	}
	i = choose_cert(t->server, h);
	c = &t->server->certs[i];
	if (i != 0 && !use_cert(ch->ssl, c))
		return ssl_select_cert_error;
	/* Sent only when the client asked (status_request). */
	if (c->ocsp != NULL && !SSL_set_ocsp_response(ch->ssl, c->ocsp,
	    c->ocsp_len))
		return ssl_select_cert_error;
	return ssl_select_cert_success;
}

static int
alpn_select_cb(SSL *ssl, const uint8_t **out, uint8_t *outlen,
    const uint8_t *in, unsigned inlen, void *arg)
{
	unsigned i = 0;

	while (i < inlen) {
		unsigned len = in[i];

		if (i + 1 + len > inlen)
			break;
		if (len == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + len;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

_Static_assert(TF_TICKET_NAME_LEN == SSL_TICKET_KEY_NAME_LEN,
    "a ticket key name is what BoringSSL puts in the ticket");

/*
 * BoringSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_cb), on the
 * worker's thread, inside a handshake. Sealing (encrypt = 1): the current
 * key's name, a random IV, AES-256-CBC and HMAC-SHA256 under its secrets;
 * 1, or -1 to fail the handshake. Opening: 1 under the current key, 2
 * under a retired one (BoringSSL then issues a new ticket, sealed with the
 * current key), 0 for a name not in the set (expired, or sealed by
 * another process): the handshake goes on as a full one. The copy of the
 * key is wiped before returning.
 */
static int
ticket_key_cb(SSL *ssl, uint8_t *name, uint8_t *iv, EVP_CIPHER_CTX *cctx,
    HMAC_CTX *hctx, int encrypt)
{
	struct tf_tls *t = SSL_get_app_data(ssl);
	const EVP_CIPHER *cipher = EVP_aes_256_cbc();
	enum tf_ticket_found found = TF_TICKET_CURRENT;
	struct tf_ticket_key k;
	int ok;

	TF_CHECK_OBJ(t, TF_TLS_MAGIC);
	if (encrypt) {
		tf_tickets_current(t->server->tickets, &k);
		memcpy(name, k.name, TF_TICKET_NAME_LEN);
		ok = RAND_bytes(iv, EVP_CIPHER_iv_length(cipher)) &&
		    EVP_EncryptInit_ex(cctx, cipher, NULL, k.aes_key, iv);
	} else {
		found = tf_tickets_find(t->server->tickets, name, &k);
		if (found == TF_TICKET_UNKNOWN)
			return 0;
		ok = EVP_DecryptInit_ex(cctx, cipher, NULL, k.aes_key, iv);
	}
	ok = ok && HMAC_Init_ex(hctx, k.hmac_key, sizeof(k.hmac_key),
	    EVP_sha256(), NULL);
	OPENSSL_cleanse(&k, sizeof(k));
	if (!ok)
		return -1;
	return found == TF_TICKET_RETIRED ? 2 : 1;
}

/*
 * The session id context of a listener: SHA-256 over its name and the
 * leaf certificates it serves. A session carries the context it was made
 * under, and BoringSSL resumes it only where the context is the same: in
 * the listener that issued it (the ticket keys are shared by all of
 * them), and only while that listener serves the same certificates (after
 * a reload that renewed one, clients see the new one in a full
 * handshake). 0 or -1.
 */
static int
session_id_context(const struct tf_tls_server *s,
    const struct tf_listener_conf *lc, uint8_t out[SHA256_DIGEST_LENGTH])
{
	static const char label[] = "tlsfloor listener";
	uint8_t md[EVP_MAX_MD_SIZE];
	SHA256_CTX sha;
	unsigned n;
	size_t i;

	SHA256_Init(&sha);
	SHA256_Update(&sha, label, sizeof(label));
	SHA256_Update(&sha, lc->name, strlen(lc->name) + 1);
	for (i = 0; i < s->ncerts; i++) {
		if (!X509_digest(s->certs[i].leaf, EVP_sha256(), md, &n))
			return -1;
		SHA256_Update(&sha, md, n);
	}
	SHA256_Final(out, &sha);
	return 0;
}

/*
 * Resumption on a listener's context, stateless only: no session cache
 * (memory matters more than a lookup), and, when tk is set, tickets
 * sealed with the process's shared keys (tickets.h), good for
 * TF_TICKETS_LIFETIME_S for TLS 1.2 sessions and TLS 1.3 PSKs alike. The
 * session id context binds each session to this listener.
 *
 * The floor needs nothing here. BoringSSL calls the early callback
 * (select_cert_cb) on every hello before it decides whether to resume,
 * so a resuming hello is decided on, recorded, and refused or let in
 * exactly like any other; and a session resumes only at the version and
 * suite that the hello negotiates now. A TLS 1.0 hello is refused under
 * enforce whatever ticket it carries, and a TLS 1.0 session let in under
 * audit is of no use to a hello at the floor. Returns 0 or -1.
 */
static int
session_setup(struct tf_tls_server *s, const struct tf_listener_conf *lc,
    struct tf_tickets *tk)
{
	uint8_t sid_ctx[SHA256_DIGEST_LENGTH];

	_Static_assert(sizeof(sid_ctx) <= SSL_MAX_SID_CTX_LENGTH,
	    "the session id context fits");
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	if (session_id_context(s, lc, sid_ctx) != 0 ||
	    !SSL_CTX_set_session_id_context(s->ctx, sid_ctx, sizeof(sid_ctx)))
		return -1;
	if (tk == NULL) {
		SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);
		return 0;
	}
	TF_ASSERT(EVP_CIPHER_key_length(EVP_aes_256_cbc()) ==
	    sizeof(((struct tf_ticket_key *)NULL)->aes_key));
	s->tickets = tk;
	SSL_CTX_set_timeout(s->ctx, TF_TICKETS_LIFETIME_S);
	SSL_CTX_set_session_psk_dhe_timeout(s->ctx, TF_TICKETS_LIFETIME_S);
	SSL_CTX_set_tlsext_ticket_key_cb(s->ctx, ticket_key_cb);
	return 0;
}

int
tf_tls_server_new(const struct tf_listener_conf *lc, struct tf_tickets *tk,
    struct tf_tls_server **out, char *err, size_t errlen)
{
	struct tf_tls_server *s;
	char ciphers[2048], bad[128] = "";
	size_t i;

	pthread_once(&buf_method_once, buf_method_init);
	s = tf_xcalloc(1, sizeof(*s));
	s->ctx = SSL_CTX_new(TLS_method());
	TF_ASSERT(s->ctx != NULL);
	if (cipher_string(lc->ciphers ? lc->ciphers : "DEFAULT", ciphers,
	    sizeof(ciphers), bad, sizeof(bad)) != 0 ||
	    !SSL_CTX_set_strict_cipher_list(s->ctx, ciphers)) {
		if (lc->ciphers == NULL)
			abort(); /* our own DEFAULT must build */
		snprintf(err, errlen, "%s:%d: ciphers: '%s' is not a TLS 1.2 "
		    "suite of this BoringSSL", lc->ciphers_where.file,
		    lc->ciphers_where.line, bad[0] ? bad : lc->ciphers);
		ERR_clear_error();
		goto fail;
	}
	s->legacy_ciphers = tf_xasprintf("%s:%s", ciphers,
	    below_floor_ciphers);
	TF_ASSERT(SSL_CTX_set_min_proto_version(s->ctx, lc->min_tls));
	TF_ASSERT(SSL_CTX_set_max_proto_version(s->ctx, TLS1_3_VERSION));
	SSL_CTX_set_options(s->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(s->ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_select_certificate_cb(s->ctx, select_cert_cb);
	/* An SMTP listener's TLS carries no HTTP: it must not agree to
	 * http/1.1 (a cross-protocol attack, ALPACA, would need it to). */
	if (lc->protocol == TF_PROTO_HTTP)
		SSL_CTX_set_alpn_select_cb(s->ctx, alpn_select_cb, NULL);

	s->certs = tf_xcalloc(lc->ncerts, sizeof(*s->certs));
	for (i = 0; i < lc->ncerts; i++) {
		if (cert_load(&lc->certs[i], &s->certs[i], err, errlen) != 0)
			goto fail;
		s->ncerts++;
	}
	TF_ASSERT(s->ncerts > 0);
	if (!SSL_CTX_use_certificate(s->ctx, s->certs[0].leaf) ||
	    !SSL_CTX_use_PrivateKey(s->ctx, s->certs[0].key) ||
	    !SSL_CTX_set1_chain(s->ctx, s->certs[0].chain)) {
		where_err(err, errlen, &lc->certs[0].where,
		    "cannot use certificate", lc->certs[0].chain);
		goto fail;
	}
	if (session_setup(s, lc, tk) != 0) {
		where_err(err, errlen, &lc->where,
		    "cannot set up session resumption for listener", lc->name);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	tf_tls_server_free(s);
	return -1;
}

int
tf_tls_server_name(const struct tf_tls_server *s, char *name, size_t n)
{
	X509 *leaf = s->certs[0].leaf;
	GENERAL_NAMES *gens;
	int i, len = -1;

	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < (int)sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *p;

		if (g->type != GEN_DNS)
			continue;
		p = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len > 0 && (size_t)len < n && memchr(p, '*', len) == NULL &&
		    memchr(p, '\0', len) == NULL) {
			memcpy(name, p, (size_t)len);
			name[len] = '\0';
			break;
		}
		len = -1;
	}
	GENERAL_NAMES_free(gens);
	if (len < 0)
		len = X509_NAME_get_text_by_NID(X509_get_subject_name(leaf),
		    NID_commonName, name, (int)n);
	ERR_clear_error();
	return len > 0 ? 0 : -1;
}

void
tf_tls_server_free(struct tf_tls_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ncerts; i++)
		cert_clear(&s->certs[i]);
	free(s->certs);
	free(s->legacy_ciphers);
	SSL_CTX_free(s->ctx);
	free(s);
}

int
tf_tls_client_new(const struct tf_listener_conf *lc,
    struct tf_tls_client **out, char *err, size_t errlen)
{
	struct tf_tls_client *c;

	pthread_once(&buf_method_once, buf_method_init);
	c = tf_xcalloc(1, sizeof(*c));
	c->ctx = SSL_CTX_new(TLS_method());
	TF_ASSERT(c->ctx != NULL);
	/* Whatever the client spoke, the upstream leg is TLS 1.2 or newer. */
	TF_ASSERT(SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION));
	TF_ASSERT(SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION));
	if (lc->protocol == TF_PROTO_HTTP)
		TF_ASSERT(SSL_CTX_set_alpn_protos(c->ctx, alpn_http11,
		    sizeof(alpn_http11)) == 0);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
	ERR_clear_error();
	if (!SSL_CTX_load_verify_locations(c->ctx, lc->upstream_ca, NULL)) {
		if (lc->upstream_verify) {
			where_err(err, errlen, &lc->upstream_ca_where,
			    "cannot load upstream-ca", lc->upstream_ca);
			tf_tls_client_free(c);
			return -1;
		}
		ERR_clear_error();
	}
	SSL_CTX_set_verify(c->ctx, lc->upstream_verify ? SSL_VERIFY_PEER :
	    SSL_VERIFY_NONE, NULL);
	*out = c;
	return 0;
}

void
tf_tls_client_free(struct tf_tls_client *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

static struct tf_tls *
tls_new(SSL_CTX *ctx, struct tf_buf *in, struct tf_buf *out)
{
	struct tf_tls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->magic = TF_TLS_MAGIC;
	t->in = in;
	t->out = out;
	t->ssl = SSL_new(ctx);
	t->bio = BIO_new(buf_method);
	if (t->ssl == NULL || t->bio == NULL) {
		SSL_free(t->ssl);
		BIO_free(t->bio);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	BIO_set_data(t->bio, t);
	BIO_up_ref(t->bio);
	SSL_set_bio(t->ssl, t->bio, t->bio);
	SSL_set_app_data(t->ssl, t);
	return t;
}

struct tf_tls *
tf_tls_accept(struct tf_tls_server *s, struct tf_buf *in, struct tf_buf *out,
    tf_tls_hello_cb *cb, void *arg)
{
	struct tf_tls *t = tls_new(s->ctx, in, out);

	if (t == NULL)
		return NULL;
	t->server = s;
	t->hello_cb = cb;
	t->hello_arg = arg;
	SSL_set_accept_state(t->ssl);
	return t;
}

/* Returns 1 when s is an IPv4 or IPv6 literal. */
static int
is_ip_literal(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

struct tf_tls *
tf_tls_connect(struct tf_tls_client *c, struct tf_buf *in,
    struct tf_buf *out, const char *sni, const char *verify_name)
{
	struct tf_tls *t = tls_new(c->ctx, in, out);
	int ok = 1;

	if (t == NULL)
		return NULL;
	SSL_set_connect_state(t->ssl);
	/* RFC 6066: a literal IP address is not a server name. */
	if (!is_ip_literal(sni))
		ok = SSL_set_tlsext_host_name(t->ssl, sni);
	if (ok && is_ip_literal(verify_name))
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    verify_name);
	else if (ok)
		ok = SSL_set1_host(t->ssl, verify_name);
	if (!ok) {
		ERR_clear_error();
		tf_tls_free(t);
		return NULL;
	}
	return t;
}

void
tf_tls_free(struct tf_tls *t)
{
	if (t == NULL)
		return;
	TF_CHECK_OBJ(t, TF_TLS_MAGIC);
	SSL_free(t->ssl);
	BIO_free(t->bio);
	t->magic = 0;
	free(t);
}

/* Records why a call failed, for the record and the error log. */
static void
set_error(struct tf_tls *t, int sslerr)
{
	unsigned long e = ERR_peek_error();
	int reason = ERR_GET_REASON(e);
	long vr;

	if (sslerr == SSL_ERROR_SYSCALL && e == 0) {
		t->err_reason = "closed";
		snprintf(t->err_text, sizeof(t->err_text),
		    "connection closed during TLS");
		return;                 /* nothing queued */
	}
	if (e == 0) {
		t->err_reason = "internal";
		snprintf(t->err_text, sizeof(t->err_text), "TLS error %d",
		    sslerr);
		return;                 /* nothing queued */
	}
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		t->err_reason = "internal";
	else if (reason == SSL_R_NO_SHARED_CIPHER)
		t->err_reason = "no_shared_cipher";
	else if (reason >= SSL_AD_REASON_OFFSET)
		t->err_reason = "peer_alert";
	else
		t->err_reason = "bad_record";
	if (t->server == NULL &&
	    (vr = SSL_get_verify_result(t->ssl)) != X509_V_OK) {
		snprintf(t->err_text, sizeof(t->err_text),
		    "certificate verify failed (%s)",
		    X509_verify_cert_error_string(vr));
		ERR_clear_error();
		return;
	}
	ssl_error_string(t->err_text, sizeof(t->err_text));
}

/*
 * The error queue. SSL_get_error() reads it, so it must be empty before
 * each SSL call, and clearing it costs about as much as a small SSL_read.
 * Instead of clearing it before every call on the hot path, every path
 * that may leave an error clears it after: set_error() (each failed SSL
 * call ends there), tls_new() and tf_tls_connect() on failure, and
 * tf_tls_close_notify(). Workers make no other BoringSSL calls.
 */

int
tf_tls_handshake(struct tf_tls *t)
{
	int r, e;

	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		/* A TLS 1.3 server holds its NewSessionTickets back until its
		 * first write, which then carries them: one send for both. */
		t->tickets_held = t->server != NULL &&
		    SSL_version(t->ssl) >= TLS1_3_VERSION;
		return TF_TLS_OK;
	}
	e = SSL_get_error(t->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return TF_TLS_AGAIN;
	default:
		set_error(t, e);
		return TF_TLS_ERROR;
	}
}

long
tf_tls_read(struct tf_tls *t, char *p, size_t n)
{
	int r, e;

	if (n > INT32_MAX)
		n = INT32_MAX;
	r = SSL_read(t->ssl, p, (int)n);
	if (r > 0)
		return r;
	e = SSL_get_error(t->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return TF_TLS_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return TF_TLS_EOF;
	default:
		set_error(t, e);
		return TF_TLS_ERROR;
	}
}

int
tf_tls_write(struct tf_tls *t, const char *p, size_t n)
{
	int r;

	TF_ASSERT(n <= TF_TLS_MAX_PLAIN);
	r = SSL_write(t->ssl, p, (int)n);
	if (r == (int)n) {
		t->tickets_held = 0;
		return 0;
	}
	set_error(t, SSL_get_error(t->ssl, r));
	return TF_TLS_ERROR;
}

void
tf_tls_close_notify(struct tf_tls *t)
{
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

size_t
tf_tls_write_room(const struct tf_tls *t, size_t n)
{
	return n + TF_TLS_RECORD_OVERHEAD +
	    (t->tickets_held ? TF_TLS_TICKETS_ROOM : 0);
}

int
tf_tls_has_pending(const struct tf_tls *t)
{
	return SSL_has_pending(t->ssl);
}

size_t
tf_tls_pending(struct tf_tls *t)
{
	return (size_t)SSL_pending(t->ssl);
}

const char *
tf_tls_error_reason(const struct tf_tls *t)
{
	return t->err_reason ? t->err_reason : "internal";
}

const char *
tf_tls_error_text(const struct tf_tls *t)
{
	return t->err_text[0] ? t->err_text : "unknown TLS error";
}

const char *
tf_tls_version(const struct tf_tls *t)
{
	const char *v = tf_version_name((uint16_t)SSL_version(t->ssl));

	return v ? v : "unknown";
}

uint16_t
tf_tls_version_id(const struct tf_tls *t)
{
	return (uint16_t)SSL_version(t->ssl);
}

int
tf_tls_resumed(const struct tf_tls *t)
{
	return SSL_session_reused(t->ssl);
}

const char *
tf_tls_cipher(const struct tf_tls *t)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);

	return c ? SSL_CIPHER_standard_name(c) : "none";
}

/* v (16 bits) in lower-case hex without leading zeros, as "%x" does. */
static void
hex16(char out[8], unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 12, i = 0;

	while (shift > 0 && (v >> shift & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		out[i++] = digits[v >> shift & 0xf];
	out[i] = '\0';
}

/*
 * IIS's W3C log fields: SChannel protocol flags and CryptoAPI ALG_IDs in
 * lower-case hex, so LogParser reports written for IIS keep working.
 */
void
tf_tls_iis_crypt(const struct tf_tls *t, char proto[8], char cipher[8],
    char hash[8], char kx[8])
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	unsigned p = 0, ci = 0, h = 0, k = 0;
	int nid;

	switch (SSL_version(t->ssl)) {
	case TLS1_VERSION: p = 0x40; break;
	case TLS1_1_VERSION: p = 0x100; break;
	case TLS1_2_VERSION: p = 0x400; break;
	case TLS1_3_VERSION: p = 0x1000; break;
	}
	if (c != NULL) {
		switch (SSL_CIPHER_get_cipher_nid(c)) {
		case NID_aes_128_gcm: case NID_aes_128_cbc: ci = 0x660e; break;
		case NID_aes_256_gcm: case NID_aes_256_cbc: ci = 0x6610; break;
		case NID_des_ede3_cbc: ci = 0x6603; break;
		}
		nid = SSL_CIPHER_get_digest_nid(c);
		if (nid == NID_undef)
			nid = SSL_CIPHER_get_prf_nid(c);
		switch (nid) {
		case NID_sha1: h = 0x8004; break;
		case NID_sha256: h = 0x800c; break;
		case NID_sha384: h = 0x800d; break;
		}
		switch (SSL_CIPHER_get_kx_nid(c)) {
		case NID_kx_ecdhe: k = 0xae06; break;
		case NID_kx_rsa: k = 0xa400; break;
		case NID_kx_any: k = 0xae06; break; /* TLS 1.3: (EC)DHE */
		}
	}
	hex16(proto, p);
	hex16(cipher, ci);
	hex16(hash, h);
	hex16(kx, k);
}

const char *
tf_tls_library_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "BoringSSL API %d", BORINGSSL_API_VERSION);
	return v;
}
