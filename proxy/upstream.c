/*
 * Upstream connection setup for a client connection. One upstream
 * connection per client connection, kept alive across its requests; it is
 * opened when the first request head is complete and reopened after the
 * upstream closes it. upstream-connect-timeout covers resolving,
 * connecting and the TLS handshake together.
 */
#include <netdb.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"
#include "upstream.h"
#include "worker.h"

#define CIPHER_BUF (TF_TLS_MAX_PLAIN * 2)

static void connect_next(struct tf_conn *c);

static void
up_close_cb(uv_handle_t *h)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, h->data, TF_CONN_MAGIC);
	c->upstream->open = 0;
	if (c->st != TF_CONN_ST_CLOSED) {
		if (c->up == TF_UP_RETRY) {
			connect_next(c);
		} else if (c->up == TF_UP_CLOSING) {
			tf_upstream_side_free(c->upstream);
			c->upstream = NULL;
			c->up = TF_UP_NONE;
			/* A request may be waiting for a fresh connection. */
			if (c->in_exchange && c->resp_bytes == 0)
				tf_upstream_start(c);
			tf_conn_pump(c);
		}
	}
	tf_conn_unref(c);
}

/* Closes the upstream handle; next is CLOSING or RETRY. */
static void
close_handle(struct tf_conn *c, enum tf_up_state next)
{
	tf_tls_free(c->upstream->tls);
	c->upstream->tls = NULL;
	c->upstream->reading = 0;
	c->up = next;
	uv_close((uv_handle_t *)&c->upstream->tcp, up_close_cb);
}

void
tf_upstream_close(struct tf_conn *c)
{
	tf_buf_consume(&c->to_up, tf_buf_len(&c->to_up));
	tf_upstream_switch(c);
}

void
tf_upstream_switch(struct tf_conn *c)
{
	c->up_gen++;
	c->upstream_tls[0] = '\0';
	tf_http_reset(&c->resp);
	tf_buf_consume(&c->uplain, tf_buf_len(&c->uplain));
	switch (c->up) {
	case TF_UP_NONE:
	case TF_UP_CLOSING:
	case TF_UP_RETRY:
		return;
	case TF_UP_RESOLVING:
		uv_cancel((uv_req_t *)&c->gai);
		c->up = TF_UP_NONE;
		return;
	default:
		if (c->upstream->open &&
		    !uv_is_closing((uv_handle_t *)&c->upstream->tcp))
			close_handle(c, TF_UP_CLOSING);
		else
			c->up = TF_UP_NONE;
	}
}

static void
connect_cb(uv_connect_t *req, int status)
{
	struct tf_conn *c;
	char why[128];

	TF_CAST_OBJ(c, req->data, TF_CONN_MAGIC);
	if (c->st == TF_CONN_ST_CLOSED || c->up != TF_UP_CONNECTING) {
		tf_conn_unref(c);
		return;
	}
	if (status < 0) {
		c->up_err = status;
		close_handle(c, TF_UP_RETRY);
		tf_conn_unref(c);
		return;
	}
	uv_tcp_nodelay(&c->upstream->tcp, 1);
	c->upstream->eof = 0;
	c->upstream->notified = 0;
	c->upstream->writing = 0;
	tf_buf_consume(&c->upstream->in, tf_buf_len(&c->upstream->in));
	tf_buf_consume(&c->upstream->out, tf_buf_len(&c->upstream->out));
	c->upstream->tls = tf_tls_connect(c->l->client, &c->upstream->in,
	    &c->upstream->out, c->up_target->sni, c->up_target->sni);
	if (c->upstream->tls == NULL) {
		snprintf(why, sizeof(why), "cannot set up TLS");
		tf_conn_upstream_failed(c, 502, TF_M_UP_TLS, why);
		tf_conn_unref(c);
		return;
	}
	c->up = TF_UP_HANDSHAKE;
	tf_conn_pump(c);
	tf_conn_unref(c);
}

/* Connects to the next resolved address, or fails when none is left. */
static void
connect_next(struct tf_conn *c)
{
	struct addrinfo *ai = c->ai_next;
	char why[160];
	int r;

	if (ai == NULL) {
		snprintf(why, sizeof(why), "connect failed: %s",
		    c->up_err ? uv_strerror(c->up_err) : "no address");
		c->up = TF_UP_NONE;
		tf_conn_upstream_failed(c, 502, TF_M_UP_CONNECT, why);
		return;
	}
	c->ai_next = ai->ai_next;
	r = uv_tcp_init(&c->w->loop, &c->upstream->tcp);
	if (r != 0) {
		c->up_err = r;
		c->ai_next = NULL;
		connect_next(c);
		return;
	}
	c->upstream->tcp.data = c;
	c->upstream->open = 1;
	c->refs++;
	c->up = TF_UP_CONNECTING;
	c->creq.data = c;
	r = uv_tcp_connect(&c->creq, &c->upstream->tcp, ai->ai_addr,
	    connect_cb);
	if (r != 0) {
		c->up_err = r;
		close_handle(c, TF_UP_RETRY);
		return;
	}
	c->refs++;
}

static void
gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct tf_conn *c;
	char why[160];

	TF_CAST_OBJ(c, req->data, TF_CONN_MAGIC);
	if (c->st == TF_CONN_ST_CLOSED || c->up != TF_UP_RESOLVING) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		tf_conn_unref(c);
		return;
	}
	if (status < 0) {
		snprintf(why, sizeof(why), "cannot resolve: %s",
		    uv_strerror(status));
		c->up = TF_UP_NONE;
		tf_conn_upstream_failed(c, 502, TF_M_UP_RESOLVE, why);
		tf_conn_unref(c);
		return;
	}
	if (c->ai_list != NULL)
		uv_freeaddrinfo(c->ai_list);
	c->ai_list = c->ai_next = res;
	c->up_err = 0;
	connect_next(c);
	tf_conn_unref(c);
}

/* The pool key of a target: connections to it are interchangeable. */
static void
pool_key(const struct tf_target *t, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s|%s", t->name, t->sni);
}

/* Takes an idle connection to the target verified by ctx, or NULL. */
static struct tf_side *
pool_take(struct tf_worker *w, const void *ctx, const char *key)
{
	struct tf_side **pp, *s;

	for (pp = &w->pool; (s = *pp) != NULL; pp = &s->pool_next) {
		if (s->pool_ctx != ctx || strcmp(s->pool_key, key) != 0)
			continue;
		*pp = s->pool_next;
		w->npool--;
		uv_read_stop((uv_stream_t *)&s->tcp);
		s->reading = 0;
		s->magic = 0;
		tf_runtime_unref(s->rt);
		s->rt = NULL;
		return s;
	}
	return NULL;
}

void
tf_upstream_start(struct tf_conn *c)
{
	const struct tf_listener_conf *lc = c->l->conf;
	struct addrinfo hints;
	char key[sizeof(c->upstream->pool_key)];
	struct tf_side *s;
	int r;

	if (c->up != TF_UP_NONE)
		return; /* connecting already, or closing: retried then */
	if (c->upstream == NULL) {
		/* An idle connection to the same place is cheaper than a
		 * new TCP and TLS handshake. */
		pool_key(c->target, key, sizeof(key));
		s = pool_take(c->w, c->l->client, key);
		if (s != NULL) {
			c->upstream = s;
			s->tcp.data = c;
			c->refs++;
			c->up = TF_UP_READY;
			c->up_target = c->target;
			memcpy(c->upstream_tls, s->tls_version,
			    sizeof(c->upstream_tls));
			tf_http_reset(&c->resp);
			if (c->in_exchange)
				uv_timer_start(&c->utimer, tf_conn_utimer_cb,
				    lc->upstream_timeout_ms,
				    lc->upstream_timeout_ms);
			c->again = 1;
			return;
		}
		s = calloc(1, sizeof(*s));
		if (s == NULL || tf_buf_init(&s->in, CIPHER_BUF) != 0 ||
		    tf_buf_init(&s->out, CIPHER_BUF) != 0) {
			if (s != NULL)
				tf_upstream_side_free(s);
			tf_conn_upstream_failed(c, 502, TF_M_UP_CONNECT,
			    "out of memory");
			return;
		}
		c->upstream = s;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	c->gai.data = c;
	c->up = TF_UP_RESOLVING;
	uv_timer_start(&c->utimer, tf_conn_utimer_cb,
	    lc->upstream_connect_timeout_ms, 0);
	c->up_target = c->target;
	r = uv_getaddrinfo(&c->w->loop, &c->gai, gai_cb, c->up_target->host,
	    c->up_target->port_text, &hints);
	if (r != 0) {
		c->up = TF_UP_NONE;
		tf_conn_upstream_failed(c, 502, TF_M_UP_RESOLVE,
		    uv_strerror(r));
		return;
	}
	c->refs++;
}

void
tf_upstream_side_free(struct tf_side *s)
{
	tf_tls_free(s->tls);
	tf_buf_free(&s->in);
	tf_buf_free(&s->out);
	tf_runtime_unref(s->rt);
	free(s);
}

/* --- the pool ------------------------------------------------------------
 *
 * Each worker keeps the idle upstream connections its client connections
 * left behind, keyed by target and by the TLS context that verified them
 * (a reload with another CA does not reuse them). A parked connection is
 * read: the upstream closing it, or saying anything, ends it. It is
 * closed after POOL_IDLE_MS, before the upstream's own idle timeout.
 */
#define POOL_MAX 256
#define POOL_IDLE_MS 30000

static void
pool_close_cb(uv_handle_t *h)
{
	tf_upstream_side_free(h->data);
}

static void
pool_drop(struct tf_side *s)
{
	struct tf_worker *w = s->w;
	struct tf_side **pp;

	for (pp = &w->pool; *pp != NULL; pp = &(*pp)->pool_next) {
		if (*pp == s) {
			*pp = s->pool_next;
			w->npool--;
			break;
		}
	}
	s->magic = 0;
	uv_close((uv_handle_t *)&s->tcp, pool_close_cb);
}

static void
pool_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tf_side *s = h->data;

	tf_buf_compact(&s->in);
	buf->base = tf_buf_tail(&s->in);
	buf->len = tf_buf_tailroom(&s->in);
}

static void
pool_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct tf_side *s;

	TF_CAST_OBJ(s, stream->data, TF_SIDE_MAGIC);
	/* Nothing is owed on a parked connection: whatever comes (a late
	 * response, the upstream closing) ends it, so no client ever reads
	 * bytes meant for another. */
	if (nread != 0)
		pool_drop(s);
}

static void
pool_timer_cb(uv_timer_t *t)
{
	struct tf_worker *w = t->data;
	uint64_t now = uv_now(&w->loop);
	struct tf_side *s, *next;

	for (s = w->pool; s != NULL; s = next) {
		next = s->pool_next;
		if (now - s->parked_at >= POOL_IDLE_MS)
			pool_drop(s);
	}
	if (w->pool == NULL)
		uv_timer_stop(t);
}

void
tf_upstream_release(struct tf_conn *c)
{
	struct tf_side *s = c->upstream;
	struct tf_worker *w = c->w;

	if (s == NULL || c->up != TF_UP_READY || c->in_exchange ||
	    c->tunnel || w->stopping || w->npool >= POOL_MAX ||
	    !s->open || s->eof || s->writing ||
	    tf_buf_len(&s->in) != 0 || tf_buf_len(&s->out) != 0 ||
	    tf_buf_len(&c->to_up) != 0 || tf_buf_len(&c->uplain) != 0 ||
	    c->resp.state != TF_HTTP_ST_HEAD || !c->resp.at_start ||
	    tf_tls_pending(s->tls) != 0)
		return;
	uv_read_stop((uv_stream_t *)&s->tcp);
	s->reading = 0;
	s->magic = TF_SIDE_MAGIC;
	s->w = w;
	s->tcp.data = s;
	s->pool_ctx = c->l->client;
	pool_key(c->up_target, s->pool_key, sizeof(s->pool_key));
	memcpy(s->tls_version, c->upstream_tls, sizeof(s->tls_version));
	s->rt = c->l->rt;
	tf_runtime_ref(s->rt);
	s->parked_at = uv_now(&w->loop);
	s->pool_next = w->pool;
	w->pool = s;
	w->npool++;
	if (uv_read_start((uv_stream_t *)&s->tcp, pool_alloc_cb,
	    pool_read_cb) != 0) {
		pool_drop(s);
	} else if (!uv_is_active((uv_handle_t *)&w->pool_timer)) {
		uv_timer_start(&w->pool_timer, pool_timer_cb, 1000, 1000);
	}
	c->upstream = NULL;
	c->up = TF_UP_NONE;
	TF_ASSERT(c->refs > 1);
	c->refs--;                  /* the handle is the pool's now */
}

void
tf_upstream_pool_close_all(struct tf_worker *w)
{
	while (w->pool != NULL)
		pool_drop(w->pool);
	if (!uv_is_closing((uv_handle_t *)&w->pool_timer))
		uv_close((uv_handle_t *)&w->pool_timer, NULL);
}
