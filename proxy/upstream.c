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
	c->upstream.open = 0;
	if (c->st != TF_CONN_ST_CLOSED) {
		if (c->up == TF_UP_RETRY) {
			connect_next(c);
		} else if (c->up == TF_UP_CLOSING) {
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
	tf_tls_free(c->upstream.tls);
	c->upstream.tls = NULL;
	c->upstream.reading = 0;
	c->up = next;
	uv_close((uv_handle_t *)&c->upstream.tcp, up_close_cb);
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
		if (c->upstream.open &&
		    !uv_is_closing((uv_handle_t *)&c->upstream.tcp))
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
	uv_tcp_nodelay(&c->upstream.tcp, 1);
	c->upstream.eof = 0;
	c->upstream.notified = 0;
	c->upstream.writing = 0;
	tf_buf_consume(&c->upstream.in, tf_buf_len(&c->upstream.in));
	tf_buf_consume(&c->upstream.out, tf_buf_len(&c->upstream.out));
	c->upstream.tls = tf_tls_connect(c->l->client, &c->upstream.in,
	    &c->upstream.out, c->up_target->sni, c->up_target->sni);
	if (c->upstream.tls == NULL) {
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
	r = uv_tcp_init(&c->w->loop, &c->upstream.tcp);
	if (r != 0) {
		c->up_err = r;
		c->ai_next = NULL;
		connect_next(c);
		return;
	}
	c->upstream.open = 1;
	c->refs++;
	c->up = TF_UP_CONNECTING;
	c->creq.data = c;
	r = uv_tcp_connect(&c->creq, &c->upstream.tcp, ai->ai_addr,
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

void
tf_upstream_start(struct tf_conn *c)
{
	const struct tf_listener_conf *lc = c->l->conf;
	struct addrinfo hints;
	int r;

	if (c->up != TF_UP_NONE)
		return; /* connecting already, or closing: retried then */
	if (c->upstream.in.data == NULL &&
	    (tf_buf_init(&c->upstream.in, CIPHER_BUF) != 0 ||
	    tf_buf_init(&c->upstream.out, CIPHER_BUF) != 0)) {
		tf_conn_upstream_failed(c, 502, TF_M_UP_CONNECT,
		    "out of memory");
		return;
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
