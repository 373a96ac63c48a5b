/*
 * Unit tests for proxy/tls.c's session resumption, over memory: a
 * BoringSSL client that offers the last session it was given, against
 * server contexts built as the runtime builds them (tf_tls_server_new on
 * a listener's configuration, with a ticket key set). A session resumes
 * into another context of the same listener (another worker, a reload),
 * also after rotations while its key is kept, and never into another
 * listener, another process (other keys) or a context without tickets;
 * the early callback, where the floor is decided, runs on resuming hellos
 * too, so a ticket gets no hello below the floor past a refusal; and
 * handshakes on two threads resume cleanly while the keys rotate (the
 * CI's ThreadSanitizer run checks that nothing races).
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "config.h"
#include "test.h"
#include "tickets.h"
#include "tls.h"

#define TLS10 0x0301
#define TLS12 0x0303
#define TLS13 0x0304

/* The test PKI of the build tree (made once, as the other tests do). */
static const char *
pki(void)
{
	static char dir[PATH_MAX];
	const char *src = getenv("TF_SRCDIR"), *build = getenv("TF_BUILDDIR");
	char cmd[PATH_MAX * 2 + 64], ca[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/tests/pki", build ? build : ".");
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	if (access(ca, R_OK) != 0) {
		snprintf(cmd, sizeof(cmd), "sh '%s/tests/certs/mk-pki.sh' '%s'",
		    src ? src : ".", dir);
		if (system(cmd) != 0)
			TEST_FAIL("cannot make the test PKI: %s", cmd);
	}
	return dir;
}

/* A listener's configuration as the parser leaves it, for one cert. */
struct lconf {
	struct tf_listener_conf lc;
	struct tf_cert_conf cert;
	char chain[PATH_MAX + 32], key[PATH_MAX + 32];
};

static void
lconf_init(struct lconf *l, const char *name, const char *cert)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->chain, sizeof(l->chain), "%s/%s.pem", pki(), cert);
	snprintf(l->key, sizeof(l->key), "%s/%s.key", pki(), cert);
	l->cert.chain = l->chain;
	l->cert.key = l->key;
	l->cert.where.file = "test.conf";
	l->cert.where.line = 3;
	l->lc.name = (char *)name;
	l->lc.where.file = "test.conf";
	l->lc.where.line = 2;
	l->lc.certs = &l->cert;
	l->lc.ncerts = 1;
	l->lc.min_tls = TLS12;
}

/* A server context of listener name serving cert, sealing with tk. */
static struct tf_tls_server *
server(const char *name, const char *cert, struct tf_tickets *tk)
{
	struct tf_tls_server *s;
	struct lconf l;
	char err[512];

	lconf_init(&l, name, cert);
	if (tf_tls_server_new(&l.lc, tk, &s, err, sizeof(err)) != 0)
		TEST_FAIL("%s", err);
	return s;
}

/* The floor's stand-in: counts the hellos it is shown, answers verdict. */
struct floor {
	enum tf_tls_hello_verdict verdict;
	int calls;
};

static enum tf_tls_hello_verdict
floor_cb(void *arg, const struct tf_hello *h)
{
	struct floor *f = arg;

	ASSERT(h != NULL);
	f->calls++;
	return f->verdict;
}

/* A client that keeps the last session it got a ticket for. */
struct client {
	SSL_CTX *ctx;
	SSL_SESSION *got;
	int ntickets;
};

static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct client *cl = SSL_get_app_data(ssl);

	if (!SSL_SESSION_has_ticket(sess))
		return 0;
	SSL_SESSION_free(cl->got);
	cl->got = sess;
	cl->ntickets++;
	return 1;                       /* the reference is ours */
}

static void
client_init(struct client *cl, uint16_t minv, uint16_t maxv)
{
	memset(cl, 0, sizeof(*cl));
	cl->ctx = SSL_CTX_new(TLS_method());
	ASSERT(cl->ctx != NULL);
	ASSERT(SSL_CTX_set_min_proto_version(cl->ctx, minv));
	ASSERT(SSL_CTX_set_max_proto_version(cl->ctx, maxv));
	SSL_CTX_set_session_cache_mode(cl->ctx, SSL_SESS_CACHE_CLIENT);
	SSL_CTX_sess_set_new_cb(cl->ctx, new_session_cb);
}

/* Takes the session the client got last (the caller frees it). */
static SSL_SESSION *
client_take(struct client *cl)
{
	SSL_SESSION *s = cl->got;

	ASSERT(s != NULL);
	cl->got = NULL;
	return s;
}

static void
client_free(struct client *cl)
{
	SSL_SESSION_free(cl->got);
	SSL_CTX_free(cl->ctx);
}

/* What a handshake came to. */
struct hs {
	int ok;                         /* both sides completed */
	int client_resumed;
	int server_resumed;
	uint16_t version;
	const char *server_error;       /* a handshake_failed reason */
};

/* Moves what one side wrote to the other: a memory BIO into a buffer. */
static void
bio_to_buf(BIO *from, struct tf_buf *to)
{
	char tmp[4096];
	int n;

	while ((n = BIO_read(from, tmp, sizeof(tmp))) > 0)
		ASSERT_OK(tf_buf_append(to, tmp, (size_t)n));
}

static void
buf_to_bio(struct tf_buf *from, BIO *to)
{
	size_t n = tf_buf_len(from);

	if (n > 0) {
		ASSERT_EQ(BIO_write(to, tf_buf_head(from), (int)n), (int)n);
		tf_buf_consume(from, n);
	}
}

/*
 * One handshake of cl against s, offering offer (NULL: none), the floor
 * answering f. After it, the server writes a byte, which carries TLS 1.3
 * tickets, and the client reads it.
 */
static void
handshake(struct tf_tls_server *s, struct client *cl, SSL_SESSION *offer,
    struct floor *f, struct hs *out)
{
	struct tf_buf in, o;
	struct tf_tls *t;
	BIO *rbio, *wbio;
	int cdone = 0, sdone = 0, cfail = 0, sfail = 0, round, r;
	SSL *ssl;
	char b;

	memset(out, 0, sizeof(*out));
	ASSERT_OK(tf_buf_init(&in, 65536));
	ASSERT_OK(tf_buf_init(&o, 65536));
	t = tf_tls_accept(s, &in, &o, floor_cb, f);
	ASSERT(t != NULL);
	ssl = SSL_new(cl->ctx);
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	ASSERT(ssl != NULL && rbio != NULL && wbio != NULL);
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_connect_state(ssl);
	SSL_set_app_data(ssl, cl);
	ASSERT(SSL_set_tlsext_host_name(ssl, "mail.contoso.test"));
	if (offer != NULL)
		ASSERT(SSL_set_session(ssl, offer));

	for (round = 0; round < 20 && !(cdone && sdone) && !cfail && !sfail;
	    round++) {
		if (!cdone) {
			r = SSL_do_handshake(ssl);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ)
				cfail = 1;
		}
		bio_to_buf(wbio, &in);
		if (!sdone) {
			r = tf_tls_handshake(t);
			if (r == TF_TLS_OK)
				sdone = 1;
			else if (r == TF_TLS_ERROR)
				sfail = 1;
		}
		buf_to_bio(&o, rbio);
	}
	out->ok = cdone && sdone;
	if (sfail)
		out->server_error = tf_tls_error_reason(t);
	if (out->ok) {
		/* TLS 1.3 tickets go with the server's first write, as they
		 * would with the first response. */
		ASSERT_OK(tf_tls_write(t, "x", 1));
		buf_to_bio(&o, rbio);
		ASSERT_EQ(SSL_read(ssl, &b, 1), 1);
		ASSERT_EQ(b, 'x');
		ASSERT_EQ(SSL_read(ssl, &b, 1), -1);
		ASSERT_EQ(SSL_get_error(ssl, -1), SSL_ERROR_WANT_READ);
		out->client_resumed = SSL_session_reused(ssl);
		out->server_resumed = tf_tls_resumed(t);
		out->version = tf_tls_version_id(t);
		ASSERT_EQ(SSL_version(ssl), out->version);
	}
	SSL_free(ssl);
	tf_tls_free(t);
	tf_buf_free(&in);
	tf_buf_free(&o);
}

/* A full handshake then a resumption, into another context each time. */
static void
resume_across_contexts(uint16_t version)
{
	struct tf_tls_server *a, *b;
	struct floor f = { TF_TLS_HELLO_CONTINUE, 0 };
	struct tf_tickets *tk;
	struct client cl;
	SSL_SESSION *sess;
	struct hs h;

	ASSERT_OK(tf_tickets_new(&tk));
	a = server("edge", "gateway-ecdsa", tk);
	b = server("edge", "gateway-ecdsa", tk);  /* another generation */
	client_init(&cl, TLS12, version);

	handshake(a, &cl, NULL, &f, &h);
	ASSERT(h.ok);
	ASSERT_EQ(h.version, version);
	ASSERT(!h.client_resumed && !h.server_resumed);
	sess = client_take(&cl);

	handshake(b, &cl, sess, &f, &h);
	ASSERT(h.ok);
	ASSERT_EQ(h.version, version);
	ASSERT(h.client_resumed);
	ASSERT(h.server_resumed);
	/* The early callback saw the resuming hello too. */
	ASSERT_EQ(f.calls, 2);
	handshake(a, &cl, sess, &f, &h);
	ASSERT(h.ok && h.client_resumed && h.server_resumed);

	SSL_SESSION_free(sess);
	client_free(&cl);
	tf_tls_server_free(a);
	tf_tls_server_free(b);
	tf_tickets_free(tk);
}

TEST(resume_tls13)
{
	resume_across_contexts(TLS13);
}

TEST(resume_tls12)
{
	resume_across_contexts(TLS12);
}

/* A ticket resumes nowhere else: a full handshake, which succeeds. */
TEST(full_handshake_elsewhere)
{
	static const uint16_t versions[] = { TLS12, TLS13 };
	struct floor f = { TF_TLS_HELLO_CONTINUE, 0 };
	struct tf_tickets *tk, *tk2;
	struct tf_tls_server *a, *elsewhere[4];
	struct client cl;
	SSL_SESSION *sess;
	struct hs h;
	size_t i, j;

	ASSERT_OK(tf_tickets_new(&tk));
	ASSERT_OK(tf_tickets_new(&tk2));
	a = server("edge", "gateway-ecdsa", tk);
	/* Another process (its own keys), another listener, the same
	 * listener with another certificate, a context without tickets. */
	elsewhere[0] = server("edge", "gateway-ecdsa", tk2);
	elsewhere[1] = server("internal", "gateway-ecdsa", tk);
	elsewhere[2] = server("edge", "gateway-rsa", tk);
	elsewhere[3] = server("edge", "gateway-ecdsa", NULL);
	for (i = 0; i < TF_ARRAY_SIZE(versions); i++) {
		client_init(&cl, TLS12, versions[i]);
		handshake(a, &cl, NULL, &f, &h);
		ASSERT(h.ok);
		sess = client_take(&cl);
		for (j = 0; j < TF_ARRAY_SIZE(elsewhere); j++) {
			handshake(elsewhere[j], &cl, sess, &f, &h);
			if (!h.ok || h.client_resumed || h.server_resumed)
				TEST_FAIL("TLS %#x, context %zu: ok %d, "
				    "resumed %d/%d", versions[i], j, h.ok,
				    h.client_resumed, h.server_resumed);
		}
		/* Still good where it came from. */
		handshake(a, &cl, sess, &f, &h);
		ASSERT(h.ok && h.server_resumed);
		SSL_SESSION_free(sess);
		client_free(&cl);
	}
	for (j = 0; j < TF_ARRAY_SIZE(elsewhere); j++)
		tf_tls_server_free(elsewhere[j]);
	tf_tls_server_free(a);
	tf_tickets_free(tk);
	tf_tickets_free(tk2);
}

TEST(no_ticket_without_keys)
{
	static const uint16_t versions[] = { TLS12, TLS13 };
	struct floor f = { TF_TLS_HELLO_CONTINUE, 0 };
	struct tf_tls_server *s = server("edge", "gateway-ecdsa", NULL);
	struct client cl;
	struct hs h;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(versions); i++) {
		client_init(&cl, TLS12, versions[i]);
		handshake(s, &cl, NULL, &f, &h);
		ASSERT(h.ok);
		ASSERT_EQ(cl.ntickets, 0);
		client_free(&cl);
	}
	tf_tls_server_free(s);
}

/*
 * The first ticket resumes while its key is kept (NKEYS - 1 rotations),
 * and a TLS 1.2 one is then reissued under the current key; after one
 * more rotation its key is gone and the hello gets a full handshake.
 */
static void
rotation(uint16_t version)
{
	struct floor f = { TF_TLS_HELLO_CONTINUE, 0 };
	struct tf_ticket_key cur;
	struct tf_tls_server *s;
	struct tf_tickets *tk;
	struct client cl;
	SSL_SESSION *first, *renewed;
	const uint8_t *ticket;
	struct hs h;
	size_t len;
	int i;

	ASSERT_OK(tf_tickets_new(&tk));
	s = server("edge", "gateway-ecdsa", tk);
	client_init(&cl, TLS12, version);
	handshake(s, &cl, NULL, &f, &h);
	ASSERT(h.ok);
	first = client_take(&cl);
	for (i = 1; i <= TF_TICKETS_NKEYS; i++) {
		ASSERT_OK(tf_tickets_rotate(tk));
		cl.ntickets = 0;
		handshake(s, &cl, first, &f, &h);
		ASSERT(h.ok);
		if (i == TF_TICKETS_NKEYS) {
			ASSERT(!h.client_resumed && !h.server_resumed);
			break;
		}
		ASSERT(h.client_resumed && h.server_resumed);
		/* A new ticket, sealed with the current key. */
		ASSERT(cl.ntickets > 0);
		renewed = client_take(&cl);
		SSL_SESSION_get0_ticket(renewed, &ticket, &len);
		tf_tickets_current(tk, &cur);
		ASSERT(len > TF_TICKET_NAME_LEN);
		ASSERT(memcmp(ticket, cur.name, TF_TICKET_NAME_LEN) == 0);
		SSL_SESSION_free(renewed);
	}
	SSL_SESSION_free(first);
	client_free(&cl);
	tf_tls_server_free(s);
	tf_tickets_free(tk);
}

TEST(rotation_tls13)
{
	rotation(TLS13);
}

TEST(rotation_tls12)
{
	rotation(TLS12);
}

/*
 * A TLS 1.0 client let in below the floor (audit) gets a ticket, and
 * resumes with it while the listener still lets it in; the early callback
 * sees every one of its hellos (so each is recorded). Once the listener
 * enforces (a reload: a new context of the same listener, the same keys),
 * the same ticket is refused like any TLS 1.0 hello.
 */
TEST(below_floor_ticket_refused_under_enforce)
{
	struct floor audit = { TF_TLS_HELLO_LOWER_FLOOR, 0 };
	struct floor enforce = { TF_TLS_HELLO_CONTINUE, 0 };
	struct tf_tls_server *before, *after;
	struct tf_tickets *tk;
	struct client cl;
	SSL_SESSION *sess;
	struct hs h;

	ASSERT_OK(tf_tickets_new(&tk));
	before = server("edge", "gateway-ecdsa", tk);
	after = server("edge", "gateway-ecdsa", tk);
	client_init(&cl, TLS10, TLS10);
	handshake(before, &cl, NULL, &audit, &h);
	ASSERT(h.ok);
	ASSERT_EQ(h.version, TLS10);
	sess = client_take(&cl);
	handshake(before, &cl, sess, &audit, &h);
	ASSERT(h.ok && h.server_resumed);
	ASSERT_EQ(audit.calls, 2);

	handshake(after, &cl, sess, &enforce, &h);
	ASSERT(!h.ok);
	ASSERT_EQ(enforce.calls, 1);
	ASSERT(h.server_error != NULL);

	SSL_SESSION_free(sess);
	client_free(&cl);
	tf_tls_server_free(before);
	tf_tls_server_free(after);
	tf_tickets_free(tk);
}

/* Two workers handshaking and resuming while the control thread rotates. */
struct race {
	struct tf_tls_server *s[2];     /* two generations of a listener */
	_Atomic int stop;
	_Atomic int failed;
	_Atomic unsigned long resumed;
	_Atomic unsigned long done;
};

static void *
worker(void *arg)
{
	struct race *r = arg;
	struct floor f = { TF_TLS_HELLO_CONTINUE, 0 };
	SSL_SESSION *sess = NULL;
	struct client cl;
	struct hs h;
	unsigned i;

	client_init(&cl, TLS12, TLS13);
	for (i = 0; i < 400 && !atomic_load(&r->stop); i++) {
		handshake(r->s[i % 2], &cl, sess, &f, &h);
		if (!h.ok)
			atomic_store(&r->failed, 1);
		if (h.server_resumed)
			atomic_fetch_add(&r->resumed, 1);
		atomic_fetch_add(&r->done, 1);
		if (cl.got != NULL) {
			SSL_SESSION_free(sess);
			sess = client_take(&cl);
		}
	}
	SSL_SESSION_free(sess);
	client_free(&cl);
	return NULL;
}

TEST(resume_on_threads_while_rotating)
{
	struct tf_tickets *tk;
	struct race r;
	pthread_t th[2];
	size_t i;
	int n = 0;

	memset(&r, 0, sizeof(r));
	ASSERT_OK(tf_tickets_new(&tk));
	r.s[0] = server("edge", "gateway-ecdsa", tk);
	r.s[1] = server("edge", "gateway-ecdsa", tk);
	for (i = 0; i < TF_ARRAY_SIZE(th); i++)
		ASSERT_OK(pthread_create(&th[i], NULL, worker, &r));
	/* A key is dropped NKEYS rotations after it came: 15 ms here, time
	 * for many resumptions and for some tickets to expire. */
	while (atomic_load(&r.done) < 2 * 400 && n < 4000) {
		ASSERT_OK(tf_tickets_rotate(tk));
		n++;
		usleep(5000);
	}
	atomic_store(&r.stop, 1);
	for (i = 0; i < TF_ARRAY_SIZE(th); i++)
		ASSERT_OK(pthread_join(th[i], NULL));
	ASSERT_EQ(atomic_load(&r.failed), 0);
	ASSERT(atomic_load(&r.resumed) > 0);
	ASSERT(n > 0);
	tf_tls_server_free(r.s[0]);
	tf_tls_server_free(r.s[1]);
	tf_tickets_free(tk);
}

TEST_MAIN(
	TEST_ENTRY(resume_tls13),
	TEST_ENTRY(resume_tls12),
	TEST_ENTRY(full_handshake_elsewhere),
	TEST_ENTRY(no_ticket_without_keys),
	TEST_ENTRY(rotation_tls13),
	TEST_ENTRY(rotation_tls12),
	TEST_ENTRY(below_floor_ticket_refused_under_enforce),
	TEST_ENTRY(resume_on_threads_while_rotating),
)
