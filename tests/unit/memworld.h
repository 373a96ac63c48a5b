/*
 * An in-memory world for the connection core: connections whose legs run
 * over memory instead of sockets, a TLS client and TLS origins on the
 * other ends (BoringSSL through proxy/tls.c, with the test PKI), and a
 * driver that moves bytes until nothing moves. The test decides how much
 * each peer takes (its window) and when it closes, so backpressure,
 * keep-alive, tunnels and draining can be looked at step by step.
 *
 * Only the test's own loop runs: timers fire from uv_run(UV_RUN_NOWAIT)
 * in settle(); no socket is opened.
 */
#ifndef TF_TEST_MEMWORLD_H
#define TF_TEST_MEMWORLD_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "config.h"
#include "conn.h"
#include "leg.h"
#include "log.h"
#include "mcache.h"
#include "pool.h"
#include "runtime.h"
#include "test.h"
#include "tls.h"
#include "upstream.h"

#define MW_MAX_LINKS 64
#define MW_GOT_MAX (8u << 20)

/* The far end of a leg: a TLS client or origin with plaintext queues. */
struct mw_peer {
	struct tf_buf in;               /* ciphertext from the gateway */
	struct tf_buf out;              /* ciphertext to the gateway */
	struct tf_tls *tls;
	int established;
	int tls_eof;                    /* close_notify or the end came */
	struct tf_buf got;              /* plaintext received */
	char *send;                     /* plaintext still to send */
	size_t send_len, send_off;
	int want_close;                 /* close_notify, then end, once sent */
	int closed;                     /* the peer ended its side */
	int notified;
};

/* A leg of the gateway and the peer on its other end. */
struct mw_link {
	struct tf_leg *leg;             /* NULL once its transport closed */
	struct mw_peer peer;
	size_t window;                  /* ciphertext the peer takes now */
	const char *q;                  /* a send not yet taken */
	size_t qn;
	int reading;                    /* the gateway reads this leg */
	int closing;                    /* the gateway closed the leg */
	int transport_closed;           /* ... and that finished */
	int eof_delivered;
	int is_upstream;
};

struct mw_world {
	char dir[64];                   /* temporary folder */
	uv_loop_t loop;
	struct tf_config *cfg;
	struct tf_runtime *rt;
	struct tf_lstn *edge;           /* the gateway's listener */
	struct tf_mcache cache;
	struct tf_pool pool;
	struct tf_conns set;
	struct mw_link *links[MW_MAX_LINKS];
	size_t nlinks;
	size_t nupstreams;              /* upstream legs opened */
	struct mw_link *ups[MW_MAX_LINKS];
	size_t up_window;               /* window of new upstream links */
};

static struct mw_world *mw_current;

/* --- the PKI ------------------------------------------------------------- */

/* The shared test PKI (tests/certs/mk-pki.sh), made when missing. */
static inline const char *
mw_pki(void)
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

/* --- the memory transport ------------------------------------------------ */

static inline struct mw_link *
mw_link_of(struct tf_leg *leg)
{
	return leg->io;
}

static inline int
mw_read(struct tf_leg *leg, int on)
{
	mw_link_of(leg)->reading = on;
	return 0;
}

/* Moves what the peer takes from p into its in buffer. */
static inline size_t
mw_take(struct mw_link *k, const char *p, size_t n)
{
	size_t room = tf_buf_space(&k->peer.in);

	if (n > k->window)
		n = k->window;
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	ASSERT_OK(tf_buf_append(&k->peer.in, p, n));
	if (k->window != SIZE_MAX)
		k->window -= n;
	return n;
}

static inline ssize_t
mw_send(struct tf_leg *leg, const char *p, size_t n)
{
	struct mw_link *k = mw_link_of(leg);
	size_t done = mw_take(k, p, n);

	ASSERT(k->qn == 0);
	if (done < n) {
		k->q = p + done;
		k->qn = n - done;
	}
	return (ssize_t)done;
}

static inline void
mw_close(struct tf_leg *leg)
{
	struct mw_link *k = mw_link_of(leg);

	k->closing = 1;
	k->reading = 0;
}

static const struct tf_leg_ops mw_ops = {
	.read = mw_read,
	.send = mw_send,
	.close = mw_close,
};

/* --- peers ----------------------------------------------------------------- */

static inline void
mw_peer_init(struct mw_peer *p)
{
	memset(p, 0, sizeof(*p));
	ASSERT_OK(tf_buf_init(&p->in, 1 << 17));
	ASSERT_OK(tf_buf_init(&p->out, 1 << 17));
	ASSERT_OK(tf_buf_init(&p->got, MW_GOT_MAX));
}

static inline void
mw_peer_free(struct mw_peer *p)
{
	tf_tls_free(p->tls);
	tf_buf_free(&p->in);
	tf_buf_free(&p->out);
	tf_buf_free(&p->got);
	free(p->send);
}

/* Queues plaintext for the peer to send. */
static inline void
mw_peer_send(struct mw_peer *p, const void *data, size_t n)
{
	size_t left = p->send_len - p->send_off;
	char *b = malloc(left + n);

	ASSERT(b != NULL);
	if (left > 0)
		memcpy(b, p->send + p->send_off, left);
	memcpy(b + left, data, n);
	free(p->send);
	p->send = b;
	p->send_len = left + n;
	p->send_off = 0;
}

static inline void
mw_peer_sends(struct mw_peer *p, const char *s)
{
	mw_peer_send(p, s, strlen(s));
}

/* The peer's TLS: handshake, reads, writes, close_notify. Returns 1 when
 * something moved. */
static inline int
mw_peer_step(struct mw_peer *p)
{
	int moved = 0;

	if (p->tls == NULL)
		return 0;
	if (!p->established) {
		size_t before = tf_buf_len(&p->out);
		int r = tf_tls_handshake(p->tls);

		if (r == TF_TLS_ERROR)
			TEST_FAIL("peer handshake: %s",
			    tf_tls_error_text(p->tls));
		moved = tf_buf_len(&p->out) != before;
		if (r != TF_TLS_OK)
			return moved;
		p->established = 1;
		moved = 1;
	}
	while (!p->tls_eof && tf_buf_space(&p->got) > 0) {
		long r;

		tf_buf_compact(&p->got);
		r = tf_tls_read(p->tls, tf_buf_tail(&p->got),
		    tf_buf_tailroom(&p->got));
		if (r > 0) {
			tf_buf_commit(&p->got, (size_t)r);
			moved = 1;
			continue;
		}
		if (r == TF_TLS_EOF) {
			p->tls_eof = 1;
			moved = 1;
		}
		if (r == TF_TLS_ERROR)
			TEST_FAIL("peer read: %s", tf_tls_error_text(p->tls));
		break;
	}
	while (p->send_off < p->send_len) {
		size_t n = p->send_len - p->send_off;

		if (n > TF_TLS_MAX_PLAIN)
			n = TF_TLS_MAX_PLAIN;
		if (tf_buf_space(&p->out) < n + TF_TLS_RECORD_OVERHEAD)
			break;
		tf_buf_compact(&p->out);
		ASSERT_OK(tf_tls_write(p->tls, p->send + p->send_off, n));
		p->send_off += n;
		moved = 1;
	}
	if (p->want_close && p->send_off == p->send_len && !p->notified) {
		tf_tls_close_notify(p->tls);
		p->notified = 1;
		moved = 1;
	}
	return moved;
}

/* --- links ----------------------------------------------------------------- */

static inline struct mw_link *
mw_link_new(struct mw_world *w, struct tf_leg *leg)
{
	struct mw_link *k = calloc(1, sizeof(*k));

	ASSERT(k != NULL && w->nlinks < MW_MAX_LINKS);
	mw_peer_init(&k->peer);
	k->window = SIZE_MAX;
	k->leg = leg;
	leg->io = k;
	tf_leg_open(leg, &mw_ops);
	w->links[w->nlinks++] = k;
	return k;
}

/* Moves bytes both ways over one link. Returns 1 when something moved. */
static inline int
mw_link_step(struct mw_link *k)
{
	struct tf_leg *leg = k->leg;
	int moved = 0;

	if (leg == NULL)
		return mw_peer_step(&k->peer);
	if (k->closing) {
		/* The transport finishes closing: a queued send is
		 * cancelled first, as libuv does. */
		k->leg = NULL;
		k->transport_closed = 1;
		if (k->qn > 0) {
			k->qn = 0;
			tf_leg_sent(leg, UV_ECANCELED);
		}
		tf_leg_closed(leg);
		return 1;
	}
	if (k->qn > 0) {
		size_t n = mw_take(k, k->q, k->qn);

		if (n > 0) {
			moved = 1;
			k->q += n;
			k->qn -= n;
			if (k->qn == 0) {
				tf_leg_sent(leg, 0);
				return 1;
			}
		}
	}
	moved |= mw_peer_step(&k->peer);
	if (k->reading && tf_buf_len(&k->peer.out) > 0) {
		char *p;
		size_t n, len = tf_buf_len(&k->peer.out);

		tf_leg_read_space(leg, &p, &n);
		if (n > len)
			n = len;
		memcpy(p, tf_buf_head(&k->peer.out), n);
		tf_buf_consume(&k->peer.out, n);
		tf_leg_received(leg, (ssize_t)n);
		return 1;
	}
	if (k->reading && k->peer.closed && !k->eof_delivered &&
	    tf_buf_len(&k->peer.out) == 0) {
		k->eof_delivered = 1;
		tf_leg_received(leg, UV_EOF);
		return 1;
	}
	return moved;
}

/*
 * Moves bytes and fires due timers until nothing moves any more (bounded).
 * Peers that asked to close end their side once their close_notify went.
 */
static inline void
mw_settle(struct mw_world *w)
{
	int i, moved;

	for (i = 0; i < 100000; i++) {
		size_t k;

		moved = 0;
		for (k = 0; k < w->nlinks; k++) {
			struct mw_link *l = w->links[k];

			moved |= mw_link_step(l);
			if (l->peer.notified && !l->peer.closed &&
			    tf_buf_len(&l->peer.out) == 0) {
				l->peer.closed = 1;
				moved = 1;
			}
		}
		moved |= uv_run(&w->loop, UV_RUN_NOWAIT) != 0 &&
		    uv_loop_alive(&w->loop) && i < 10;
		if (!moved)
			return;
	}
	TEST_FAIL("the world did not settle");
}

/* --- the world ------------------------------------------------------------- */

/* The origin's TLS on an upstream link, from what it has received on. */
static inline void
mw_origin_tls(struct mw_world *w, struct mw_link *k)
{
	k->peer.tls = tf_tls_accept(w->rt->lstns[1].server, &k->peer.in,
	    &k->peer.out, NULL, NULL);
	ASSERT(k->peer.tls != NULL);
}

static inline struct tf_upstream *
mw_open_upstream(uv_loop_t *loop, struct tf_mcache *cache,
    const struct tf_target *t, struct tf_tls_client *ctx,
    uint64_t timeout_ms, tf_upstream_cb *cb, void *arg)
{
	struct mw_world *w = mw_current;
	struct tf_leg *leg = tf_leg_new(cache, NULL, NULL);
	struct mw_link *k;

	k = mw_link_new(w, leg);
	k->is_upstream = 1;
	k->window = w->up_window;
	/* The origin: the second listener's server context has its cert.
	 * An SMTP origin speaks plaintext first: the test starts its TLS
	 * (mw_origin_tls) after STARTTLS. */
	if (t->smtp_ehlo == NULL)
		mw_origin_tls(w, k);
	w->ups[w->nupstreams++] = k;
	return tf_upstream_over(loop, leg, t, ctx, timeout_ms, cb, arg);
}

/*
 * A world with one gateway listener ("edge": the test gateway certificate,
 * upstream outlook.office365.test verified against the test CA) and the
 * peers' contexts (a client that verifies mail.contoso.test, an origin
 * with the origin certificate). extra goes into the edge listener.
 */
static inline struct mw_world *
mw_world_new(const char *extra)
{
	struct mw_world *w = calloc(1, sizeof(*w));
	const char *pki = mw_pki();
	char path[128], err[1024];
	FILE *f;

	ASSERT(w != NULL);
	snprintf(w->dir, sizeof(w->dir), "/tmp/tf-unit.XXXXXX");
	ASSERT(mkdtemp(w->dir) != NULL);
	snprintf(path, sizeof(path), "%s/test.conf", w->dir);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fprintf(f,
	    "error-log %s/error.log\n"
	    "legacy-log %s/legacy.jsonl\n"
	    "access-log %s/access.jsonl\n"
	    "listener edge {\n"
	    "  bind 127.0.0.1:1\n"
	    "  cert %s/gateway-ecdsa.pem %s/gateway-ecdsa.key\n"
	    "  upstream outlook.office365.test:443\n"
	    "  upstream-ca %s/ca.pem\n"
	    "%s\n"
	    "}\n"
	    "listener peers {\n"
	    "  bind 127.0.0.1:2\n"
	    "  cert %s/origin.pem %s/origin.key\n"
	    "  upstream mail.contoso.test:443\n"
	    "  upstream-ca %s/ca.pem\n"
	    "}\n", w->dir, w->dir, w->dir, pki, pki, pki, extra ? extra : "",
	    pki, pki, pki);
	ASSERT_OK(fclose(f));
	w->cfg = tf_config_load(path, err, sizeof(err));
	if (w->cfg == NULL)
		TEST_FAIL("%s", err);
	if (tf_runtime_new(w->cfg, NULL, &w->rt, err, sizeof(err)) != 0)
		TEST_FAIL("%s", err);
	ASSERT_OK(tf_log_open(TF_STREAM_ERROR, &w->cfg->error_log,
	    &w->cfg->syslog, err, sizeof(err)));
	ASSERT_OK(tf_log_open(TF_STREAM_LEGACY, &w->cfg->legacy_log,
	    &w->cfg->syslog, err, sizeof(err)));
	ASSERT_OK(tf_log_open(TF_STREAM_ACCESS, &w->cfg->access_log,
	    &w->cfg->syslog, err, sizeof(err)));
	w->edge = &w->rt->lstns[0];
	ASSERT_OK(uv_loop_init(&w->loop));
	tf_mcache_init(&w->cache, 1u << 20);
	tf_pool_init(&w->pool, &w->loop, 16, 30000);
	tf_conns_init(&w->set, &w->loop, &w->cache, &w->pool);
	w->set.open_upstream = mw_open_upstream;
	w->up_window = SIZE_MAX;
	mw_current = w;
	return w;
}

/* The client's TLS on a client link (after STARTTLS, or at once). */
static inline void
mw_client_tls(struct mw_world *w, struct mw_link *k)
{
	k->peer.tls = tf_tls_connect(w->rt->lstns[1].client, &k->peer.in,
	    &k->peer.out, "mail.contoso.test", "mail.contoso.test");
	ASSERT(k->peer.tls != NULL);
}

/* A client connection from 192.0.2.10:5555 without TLS yet: what it and
 * the gateway send is in peer.out and peer.in as it is. */
static inline struct mw_link *
mw_client_plain(struct mw_world *w, struct tf_conn **cp)
{
	struct sockaddr_in sin;
	struct tf_conn *c = tf_conn_new(&w->set, w->edge);
	struct mw_link *k;

	ASSERT(c != NULL);
	k = mw_link_new(w, &c->client);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5555);
	sin.sin_addr.s_addr = htonl(0xc000020a);
	tf_conn_start(c, (struct sockaddr *)&sin);
	if (cp != NULL)
		*cp = c;
	return k;
}

/* A client connection from 192.0.2.10:5555 with a TLS client on it. */
static inline struct mw_link *
mw_client(struct mw_world *w, struct tf_conn **cp)
{
	struct mw_link *k = mw_client_plain(w, cp);

	mw_client_tls(w, k);
	return k;
}

/* Plaintext from a peer without TLS (yet). */
static inline void
mw_raw_send(struct mw_link *k, const char *s)
{
	ASSERT_OK(tf_buf_append(&k->peer.out, s, strlen(s)));
}

/* True when a peer without TLS received exactly s; it is then taken. */
static inline int
mw_raw_got(struct mw_link *k, const char *s)
{
	size_t n = strlen(s);

	if (tf_buf_len(&k->peer.in) != n ||
	    memcmp(tf_buf_head(&k->peer.in), s, n) != 0) {
		fprintf(stderr, "# peer received \"%.*s\"\n",
		    (int)tf_buf_len(&k->peer.in), tf_buf_head(&k->peer.in));
		return 0;
	}
	tf_buf_consume(&k->peer.in, n);
	return 1;
}

/* The peer ends: close_notify, then the end of its transport. */
static inline void
mw_peer_close(struct mw_peer *p)
{
	p->want_close = 1;
}

/* True when the peer received exactly s since its buffer was last
 * emptied. */
static inline int
mw_got_is(const struct mw_peer *p, const char *s)
{
	return tf_buf_len(&p->got) == strlen(s) &&
	    memcmp(tf_buf_head(&p->got), s, strlen(s)) == 0;
}

static inline int
mw_got_has(const struct mw_peer *p, const char *s)
{
	const char *h = tf_buf_head(&p->got);
	size_t n = tf_buf_len(&p->got), m = strlen(s), i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(h + i, s, m) == 0)
			return 1;
	return 0;
}

static inline void
mw_got_clear(struct mw_peer *p)
{
	tf_buf_consume(&p->got, tf_buf_len(&p->got));
}

/* Lines in one of the world's logs. */
static inline int
mw_log_lines(struct mw_world *w, const char *name)
{
	char path[128], line[8192];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* Whether a log holds a line with s. */
static inline int
mw_log_has(struct mw_world *w, const char *name, const char *s)
{
	char path[128], line[8192];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

/*
 * Ends the world: every connection closed, the pool emptied, every
 * handle closed (the loop must close cleanly), everything freed.
 */
static inline void
mw_world_free(struct mw_world *w)
{
	char cmd[128];
	size_t k;

	tf_conns_close_all(&w->set, "test over");
	tf_pool_close(&w->pool);
	mw_settle(w);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(w->set.n, 0);
	ASSERT_OK(uv_loop_close(&w->loop));
	for (k = 0; k < w->nlinks; k++) {
		ASSERT(w->links[k]->leg == NULL);
		mw_peer_free(&w->links[k]->peer);
		free(w->links[k]);
	}
	tf_mcache_drain(&w->cache);
	tf_log_close_all();
	tf_runtime_unref(w->rt);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	ASSERT_OK(system(cmd));
	free(w);
}

#endif
