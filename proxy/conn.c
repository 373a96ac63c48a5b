/*
 * The pump. Every callback only records what happened and calls
 * tf_conn_pump(), which moves data in a fixed order:
 *
 *   client socket -> client.in -> TLS -> cplain -> request parser -> to_up
 *     -> upstream TLS -> upstream.out -> upstream socket
 *   upstream socket -> upstream.in -> TLS -> uplain -> response parser
 *     -> to_client -> client TLS -> client.out -> client socket
 *
 * Every buffer is bounded; a stage moves only when the next one has room,
 * and reading a socket stops while its ciphertext buffer is full.
 */
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "conn.h"
#include "hello.h"
#include "listener.h"
#include "metrics.h"
#include "proxyproto.h"
#include "log.h"
#include "tls.h"
#include "worker.h"

#define CIPHER_BUF (TF_TLS_MAX_PLAIN * 2)
#define PLAIN_BUF TF_TLS_MAX_PLAIN
#define READ_MIN 4096          /* read only with at least this much room */
#define DRAIN_TIMEOUT_MS 5000  /* last bytes to a client that won't read */

static void pump_once(struct tf_conn *c);
static int find_route(const struct tf_lstn *l, const char *name, size_t n);

static struct tf_side *
side_of(struct tf_conn *c, uv_handle_t *h)
{
	return h == (uv_handle_t *)&c->client.tcp ? &c->client : c->upstream;
}

void
tf_conn_unref(struct tf_conn *c)
{
	struct tf_worker *w;

	TF_ASSERT(c->refs > 0);
	if (--c->refs > 0 || c->st != TF_CONN_ST_CLOSED)
		return;
	tf_tls_free(c->client.tls);
	tf_buf_free(&c->client.in);
	tf_buf_free(&c->client.out);
	if (c->upstream != NULL)
		tf_upstream_side_free(c->upstream);
	tf_buf_free(&c->cplain);
	tf_buf_free(&c->to_up);
	tf_buf_free(&c->uplain);
	tf_buf_free(&c->to_client);
	tf_http_free(&c->req);
	tf_http_free(&c->resp);
	if (c->ai_list != NULL)
		uv_freeaddrinfo(c->ai_list);
	free(c->hello);
	c->magic = 0;
	TF_METRIC_DEC(c->l->m, connections_active);
	tf_listener_conn_gone(c->w, c->l);
	tf_runtime_unref(c->l->rt);
	w = c->w;
	free(c);
	tf_worker_conn_gone(w);
}

static void
handle_close_cb(uv_handle_t *h)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, h->data, TF_CONN_MAGIC);
	if (c->upstream != NULL && h == (uv_handle_t *)&c->upstream->tcp)
		c->upstream->open = 0;
	tf_conn_unref(c);
}

void
tf_conn_close(struct tf_conn *c, const char *why)
{
	if (c->st == TF_CONN_ST_CLOSED)
		return;
	tf_upstream_release(c);
	c->st = TF_CONN_ST_CLOSED;
	*c->prevp = c->next;
	if (c->next != NULL)
		c->next->prevp = c->prevp;
	tf_log_debug("conn %llu: closed: %s", (unsigned long long)c->id, why);
	if (c->up == TF_UP_RESOLVING)
		uv_cancel((uv_req_t *)&c->gai);
	c->up_gen++;
	uv_close((uv_handle_t *)&c->ctimer, handle_close_cb);
	uv_close((uv_handle_t *)&c->utimer, handle_close_cb);
	uv_close((uv_handle_t *)&c->client.tcp, handle_close_cb);
	if (c->upstream != NULL && c->upstream->open &&
	    !uv_is_closing((uv_handle_t *)&c->upstream->tcp))
		uv_close((uv_handle_t *)&c->upstream->tcp, handle_close_cb);
}

/* Writes the access record of the exchange in flight, then forgets it. */
static void
access_record(struct tf_conn *c, int status)
{
	char proto[8], cipher[8], hash[8], kx[8];
	struct tf_access a;

	if (!c->in_exchange)
		return;
	c->in_exchange = 0;
	tf_tls_iis_crypt(c->client.tls, proto, cipher, hash, kx);
	memset(&a, 0, sizeof(a));
	a.tls_version = tf_tls_version(c->client.tls);
	a.cipher = tf_tls_cipher(c->client.tls);
	a.sni = c->sni[0] ? c->sni : NULL;
	a.ja4 = c->ja4[0] ? c->ja4 : NULL;
	a.method = c->info.method;
	a.host = c->info.has_host ? c->info.host : NULL;
	a.path = c->info.path;
	a.user_agent = c->info.user_agent[0] ? c->info.user_agent : NULL;
	a.status = status;
	a.bytes_in = c->req_bytes;
	a.bytes_out = c->resp_bytes;
	a.upstream = c->target ? c->target->name : c->l->targets[0].name;
	a.upstream_tls = c->upstream_tls[0] ? c->upstream_tls : NULL;
	a.duration_ms = uv_now(&c->w->loop) - c->req_start;
	a.legacy = c->legacy;
	a.crypt_protocol = proto;
	a.crypt_cipher = cipher;
	a.crypt_hash = hash;
	a.crypt_keyexchange = kx;
	tf_record_access(&c->peer, &a);
	if (status >= 100 && status < 600)
		TF_METRIC_INC(c->l->m, requests[status / 100 - 1]);
}

/*
 * Ends the connection after what is queued for the client has gone out:
 * an error response, a TLS alert, the last response.
 */
static void
drain(struct tf_conn *c)
{
	if (c->st >= TF_CONN_ST_DRAINING)
		return;
	c->st = TF_CONN_ST_DRAINING;
	uv_timer_stop(&c->ctimer);
	c->again = 1;
}

/* Answers the exchange in flight with an error status, then drains. */
static void
respond_error(struct tf_conn *c, int status, const char *text)
{
	/* The upstream may hold a request whose response nobody will
	 * read: it must not be reused. */
	tf_upstream_close(c);
	if (c->resp_bytes == 0) {
		tf_buf_compact(&c->to_client);
		if (tf_http_error_response(&c->to_client, status, text) == 0)
			c->resp_bytes = tf_buf_len(&c->to_client);
		access_record(c, status);
	} else {
		access_record(c, c->resp.parser.status_code);
	}
	drain(c);
}

void
tf_conn_upstream_failed(struct tf_conn *c, int status, int reason,
    const char *why)
{
	TF_METRIC_INC(c->l->m, upstream_errors[reason]);
	tf_log_error("conn %llu: upstream %s: %s", (unsigned long long)c->id,
	    (c->up_target ? c->up_target : c->target)->name, why);
	tf_upstream_close(c);
	uv_timer_stop(&c->utimer);
	if (c->in_exchange) {
		respond_error(c, status, status == 504 ?
		    "The upstream server did not answer in time." :
		    "The upstream server could not be reached.");
	}
	tf_conn_pump(c);
}

static void
handshake_failed(struct tf_conn *c, const char *reason)
{
	if (!c->refused && (c->hello_seen || c->client_bytes > 0)) {
		tf_record_handshake_failed(&c->peer, c->hello, reason);
		TF_METRIC_INC(c->l->m, handshake_failures[
		    tf_metrics_reason_index(reason)]);
	}
}

static void
ctimer_cb(uv_timer_t *t)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, t->data, TF_CONN_MAGIC);
	switch (c->st) {
	case TF_CONN_ST_HANDSHAKE:
		handshake_failed(c, "timeout");
		tf_conn_close(c, "handshake timeout");
		break;
	case TF_CONN_ST_PROXYING:
		tf_conn_close(c, c->header_timer ? "header timeout" :
		    "idle timeout");
		break;
	default:
		tf_conn_close(c, "drain timeout");
		break;
	}
}

void
tf_conn_utimer_cb(uv_timer_t *t)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, t->data, TF_CONN_MAGIC);
	if (c->tunnel)
		tf_conn_close(c, "tunnel idle past upstream-timeout");
	else if (c->up != TF_UP_READY)
		tf_conn_upstream_failed(c, 502, TF_M_UP_TIMEOUT,
		    "connect timed out");
	else if (c->in_exchange)
		tf_conn_upstream_failed(c, 504, TF_M_UP_TIMEOUT,
		    "timed out waiting for "
		    "the response");
}

void
tf_conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tf_conn *c;
	struct tf_side *s;

	TF_CAST_OBJ(c, h->data, TF_CONN_MAGIC);
	s = side_of(c, h);
	if (tf_buf_tailroom(&s->in) < READ_MIN)
		tf_buf_compact(&s->in);
	buf->base = tf_buf_tail(&s->in);
	buf->len = tf_buf_tailroom(&s->in);
}

void
tf_conn_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct tf_conn *c;
	struct tf_side *s;

	TF_CAST_OBJ(c, stream->data, TF_CONN_MAGIC);
	if (c->st == TF_CONN_ST_CLOSED)
		return;
	s = side_of(c, (uv_handle_t *)stream);
	if (nread > 0) {
		tf_buf_commit(&s->in, (size_t)nread);
		if (s == &c->client)
			c->client_bytes += (uint64_t)nread;
		/* upstream-timeout counts silence: bytes moving either way
		 * (an upload still arriving, a response arriving) reset it. */
		if (c->tunnel || (c->in_exchange && c->up == TF_UP_READY))
			uv_timer_again(&c->utimer);
	} else if (nread < 0) {
		s->eof = 1;
		uv_read_stop(stream);
		s->reading = 0;
	}
	tf_conn_pump(c);
}

static void
write_cb(uv_write_t *req, int status)
{
	struct tf_conn *c;
	struct tf_side *s;

	TF_CAST_OBJ(c, req->data, TF_CONN_MAGIC);
	s = req == &c->client.wreq ? &c->client : c->upstream;
	tf_buf_consume(&s->out, s->writing);
	s->writing = 0;
	if (c->st != TF_CONN_ST_CLOSED && status < 0) {
		if (s == &c->client)
			tf_conn_close(c, "client write failed");
		else
			tf_conn_upstream_failed(c, 502, TF_M_UP_CLOSED,
			    uv_strerror(status));
	} else if (c->st != TF_CONN_ST_CLOSED) {
		tf_conn_pump(c);
	}
	tf_conn_unref(c);
}

void
tf_conn_flush(struct tf_conn *c, struct tf_side *s)
{
	size_t n = tf_buf_len(&s->out);
	uv_buf_t b;
	int r;

	if (s->writing || n == 0 || !s->open || s->eof)
		return;
	b = uv_buf_init(tf_buf_head(&s->out), (unsigned)n);
	r = uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
	if (r > 0) {
		tf_buf_consume(&s->out, (size_t)r);
		if ((size_t)r == n)
			return;
		b = uv_buf_init(tf_buf_head(&s->out), (unsigned)(n - r));
	} else if (r != UV_EAGAIN && r != UV_ENOSYS) {
		s->eof = 1;
		c->again = 1;
		return;
	}
	s->wreq.data = c;
	if (uv_write(&s->wreq, (uv_stream_t *)&s->tcp, &b, 1, write_cb) != 0) {
		s->eof = 1;
		c->again = 1;
		return;
	}
	s->writing = b.len;
	c->refs++;
}

/* Encrypts plaintext from src into the side's out buffer, as far as it
 * has room. Returns 0 or TF_TLS_ERROR. */
static int
encrypt_into(struct tf_side *s, struct tf_buf *src)
{
	while (tf_buf_len(src) > 0) {
		size_t n = tf_buf_len(src);

		if (n > TF_TLS_MAX_PLAIN)
			n = TF_TLS_MAX_PLAIN;
		if (tf_buf_tailroom(&s->out) < n + TF_TLS_RECORD_OVERHEAD) {
			if (s->writing)
				break;
			tf_buf_compact(&s->out);
			if (tf_buf_tailroom(&s->out) <
			    n + TF_TLS_RECORD_OVERHEAD)
				break;
		}
		if (tf_tls_write(s->tls, tf_buf_head(src), n) != 0)
			return TF_TLS_ERROR;
		tf_buf_consume(src, n);
	}
	return 0;
}

/* Decrypts from the side into dst while dst has room. Returns
 * TF_TLS_AGAIN, TF_TLS_EOF or TF_TLS_ERROR. */
static int
decrypt_into(struct tf_side *s, struct tf_buf *dst)
{
	for (;;) {
		long r;

		if (tf_buf_tailroom(dst) == 0)
			tf_buf_compact(dst);
		if (tf_buf_tailroom(dst) == 0)
			return TF_TLS_AGAIN;
		r = tf_tls_read(s->tls, tf_buf_tail(dst),
		    tf_buf_tailroom(dst));
		if (r <= 0) {
			if (r == TF_TLS_AGAIN && s->eof &&
			    tf_buf_len(&s->in) == 0)
				return TF_TLS_EOF; /* TCP closed, no notify */
			return (int)r;
		}
		tf_buf_commit(dst, (size_t)r);
	}
}

/*
 * Feeds a parser from src while its output buffer has room. Returns the
 * bytes emitted into the parser's out buffer.
 */
static uint64_t
parse_into(struct tf_http *h, struct tf_buf *src, uint64_t *consumed_total)
{
	uint64_t emitted = 0;

	while (tf_buf_len(src) > 0 &&
	    (h->state == TF_HTTP_ST_HEAD || h->state == TF_HTTP_ST_BODY)) {
		size_t n = tf_buf_len(src), need, space, before, used;

		need = tf_http_out_need(h, n);
		space = tf_buf_space(h->out);
		if (space < need) {
			size_t base = tf_http_out_need(h, 0);

			if (space <= base)
				break;
			n = space - base;
		}
		if (tf_buf_tailroom(h->out) < tf_http_out_need(h, n))
			tf_buf_compact(h->out);
		before = tf_buf_len(h->out);
		used = tf_http_feed(h, tf_buf_head(src), n);
		emitted += tf_buf_len(h->out) - before;
		tf_buf_consume(src, used);
		if (consumed_total != NULL)
			*consumed_total += used;
		if (used == 0 && h->state != TF_HTTP_ST_DONE)
			break;
		if (h->state == TF_HTTP_ST_DONE || h->state == TF_HTTP_ST_ERROR)
			break;
	}
	return emitted;
}

static void
start_idle(struct tf_conn *c)
{
	c->header_timer = 0;
	uv_timer_start(&c->ctimer, ctimer_cb, c->l->conf->idle_timeout_ms, 0);
}

static void
request_head_done(struct tf_conn *c)
{
	c->in_exchange = 1;
	c->header_timer = 0;
	c->resp_bytes = 0;
	c->req_start = uv_now(&c->w->loop);
	uv_timer_stop(&c->ctimer);
	c->resp.req_is_head = c->info.is_head;
	c->resp.req_keep_alive = c->info.keep_alive && !c->client.eof;
	c->resp.req_http10 = c->info.http10;
	c->resp.req_upgrade = c->req.upgrade;
	if (c->up != TF_UP_NONE && c->up_target != c->target) {
		/* Without SNI, Host chose another route: a new upstream. */
		tf_upstream_switch(c);
	} else if (c->up == TF_UP_READY) {
		uv_timer_start(&c->utimer, tf_conn_utimer_cb,
		    c->l->conf->upstream_timeout_ms,
		    c->l->conf->upstream_timeout_ms);
	} else {
		tf_upstream_start(c);
	}
}

static void
exchange_done(struct tf_conn *c)
{
	int keep = !c->resp.close_after && c->info.keep_alive &&
	    c->req.state == TF_HTTP_ST_DONE && !c->client.eof &&
	    !c->req.upgrade && !c->w->stopping;

	access_record(c, c->resp.parser.status_code);
	if (c->resp.upgrade) {
		/* 101: from here on, bytes both ways until either side ends;
		 * upstream-timeout bounds the silence. */
		c->tunnel = 1;
		uv_timer_stop(&c->ctimer);
		uv_timer_start(&c->utimer, tf_conn_utimer_cb,
		    c->l->conf->upstream_timeout_ms,
		    c->l->conf->upstream_timeout_ms);
		c->again = 1;
		return;
	}
	uv_timer_stop(&c->utimer);
	/* The upstream leg may outlive a client that is done: it goes to
	 * the worker's pool when the client connection closes. */
	if (!llhttp_should_keep_alive(&c->resp.parser) ||
	    c->req.state != TF_HTTP_ST_DONE || c->req.upgrade)
		tf_upstream_close(c);
	else
		tf_http_next(&c->resp);
	if (!keep) {
		drain(c);
		return;
	}
	tf_http_next(&c->req);
	c->req_bytes = 0;
	c->resp_bytes = 0;
	start_idle(c);
	c->again = 1;
}

/* Returns 1 when the client's address is in the listener's exempt list. */
static int
is_exempt(const struct tf_conn *c)
{
	const struct tf_listener_conf *lc = c->l->conf;
	size_t i;

	for (i = 0; i < lc->nexempt; i++)
		if (tf_cidr_match(&lc->exempt[i], (const struct sockaddr *)
		    &c->addr))
			return 1;
	return 0;
}

/*
 * The floor decision for a hello, made once per connection: at or above
 * the floor it goes on; below it, it is recorded and refused, or let in
 * when the listener audits or the source is exempt. SSL 3.0 and SSLv2
 * cannot be spoken at all and are always refused.
 */
static void
decide(struct tf_conn *c, const struct tf_hello *h)
{
	uint16_t v = tf_hello_max_known_version(h);
	const char *action = "refused";

	if (c->decided)
		return;
	c->decided = 1;
	tf_hello_ja4(h, c->ja4);
	if (v >= c->l->conf->min_tls)
		return;
	if (v >= TF_TLS10_VERSION && is_exempt(c))
		action = "allowed_exempt";
	else if (v >= TF_TLS10_VERSION && c->l->conf->mode == TF_MODE_AUDIT)
		action = "allowed_audit";
	if (action[0] == 'r')
		c->refused = 1;
	else
		c->legacy = 1;
	tf_record_legacy(&c->peer, h, action);
	if (tf_metrics_version_index(v) >= 0)
		TF_METRIC_INC(c->l->m, legacy[tf_metrics_version_index(v)]
		    [tf_metrics_action_index(action)]);
}

/*
 * Looks at the first bytes before BoringSSL does, for what it never shows
 * the early callback as such: SSLv2-format hellos (it converts them, or
 * rejects pure SSLv2 outright) and plain HTTP. Returns 0 when the
 * handshake may go on, TF_TLS_AGAIN to wait for more bytes, -1 when the
 * connection was answered here.
 */
static int
peek_first_bytes(struct tf_conn *c)
{
#define NOT_TLS_BODY "This port speaks HTTPS (TLS); send the request over TLS.\n"
	static const char not_tls[] = "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 57\r\n"
	    "Connection: close\r\n\r\n" NOT_TLS_BODY;
	_Static_assert(sizeof(NOT_TLS_BODY) - 1 == 57, "Content-Length");
	const uint8_t *p = (const uint8_t *)tf_buf_head(&c->client.in);
	size_t n = tf_buf_len(&c->client.in), rlen;
	struct tf_hello *h;

	if (n == 0)
		return TF_TLS_AGAIN;
	if (p[0] >= 'A' && p[0] <= 'Z') {
		/* A TLS record starts 0x16; this is someone's HTTP. */
		tf_record_not_tls(&c->peer);
		tf_buf_consume(&c->client.in, n);
		if (tf_buf_append(&c->client.out, not_tls,
		    sizeof(not_tls) - 1) != 0)
			abort(); /* the buffer is empty and large */
		c->refused = 1;
		drain(c);
		return -1;
	}
	if (!(p[0] & 0x80))
		return 0;
	if (n < 2)
		return TF_TLS_AGAIN;
	rlen = 2 + (((size_t)p[0] & 0x7f) << 8 | p[1]);
	if (n < rlen && rlen <= c->client.in.cap)
		return TF_TLS_AGAIN;
	h = malloc(sizeof(*h));
	if (h != NULL && n >= rlen && tf_hello_parse_sslv2(h, p, rlen) == 0) {
		c->hello_seen = 1;
		decide(c, h);
		/* A let-in one reaches the early callback converted. */
		if (c->legacy) {
			c->hello = h;
			return 0;
		}
	}
	free(h);
	return 0;
}

/*
 * proxy-protocol on: the load balancer's PROXY header comes first; its
 * source address becomes the client's for records, exemptions and
 * X-Forwarded-For. Returns 0 when done, TF_TLS_AGAIN to wait, -1 when the
 * connection was closed.
 */
static int
read_proxy_header(struct tf_conn *c)
{
	struct sockaddr_storage src;
	size_t used = 0;
	int r;

	r = tf_proxy_parse((const uint8_t *)tf_buf_head(&c->client.in),
	    tf_buf_len(&c->client.in), &src, &used);
	if (r == TF_PROXY_AGAIN && !c->client.eof)
		return TF_TLS_AGAIN;
	if (r != TF_PROXY_OK) {
		tf_log_info("conn %llu: %s: no valid PROXY protocol header",
		    (unsigned long long)c->id, c->ip);
		tf_conn_close(c, "bad PROXY header");
		return -1;
	}
	tf_buf_consume(&c->client.in, used);
	c->proxied = 1;
	if (src.ss_family != AF_UNSPEC) {
		c->addr = src;
		tf_addr_format((struct sockaddr *)&src, c->ip, sizeof(c->ip),
		    &c->peer.client_port);
	}
	return 0;
}

static void
client_handshake(struct tf_conn *c)
{
	int r;

	if (c->l->conf->proxy_protocol && !c->proxied) {
		r = read_proxy_header(c);
		if (r != 0)
			return;
	}
	if (!c->peeked) {
		r = peek_first_bytes(c);
		if (r < 0)
			return;
		if (r == TF_TLS_AGAIN) {
			if (c->client.eof)
				tf_conn_close(c, "client closed before hello");
			return;
		}
		c->peeked = 1;
	}
	r = tf_tls_handshake(c->client.tls);

	if (r == TF_TLS_AGAIN) {
		if (c->client.eof && tf_buf_len(&c->client.in) == 0) {
			handshake_failed(c, "closed");
			tf_conn_close(c, "client closed during handshake");
		}
		return;
	}
	if (r == TF_TLS_ERROR) {
		if (!c->refused) {
			handshake_failed(c, tf_tls_error_reason(c->client.tls));
			tf_log(TF_LOG_INFO, "conn %llu: handshake failed: %s",
			    (unsigned long long)c->id,
			    tf_tls_error_text(c->client.tls));
		}
		drain(c); /* send the alert */
		return;
	}
	c->st = TF_CONN_ST_PROXYING;
	free(c->hello);
	c->hello = NULL;
	{
		int vi = tf_metrics_version_index(tf_tls_version_id(
		    c->client.tls));

		if (vi >= 0)
			TF_METRIC_INC(c->l->m, handshakes[vi]);
	}
	/* The first request head must come within header-timeout. */
	c->header_timer = 1;
	uv_timer_start(&c->ctimer, ctimer_cb, c->l->conf->header_timeout_ms,
	    0);
	c->again = 1;
}

/*
 * The HTTP buffers and parsers, made when the first request bytes are
 * there: a connection that only completed its handshake holds none of
 * them. Returns 0 or -1 (out of memory).
 */
static int
http_init(struct tf_conn *c)
{
	size_t max = c->l->conf->max_header_size;
	size_t stage = max + 4096 + TF_TLS_MAX_PLAIN;

	if (tf_buf_init(&c->cplain, PLAIN_BUF) != 0 ||
	    tf_buf_init(&c->uplain, PLAIN_BUF) != 0 ||
	    tf_buf_init(&c->to_up, stage) != 0 ||
	    tf_buf_init(&c->to_client, stage) != 0 ||
	    tf_http_init(&c->req, HTTP_REQUEST, &c->to_up, max) != 0 ||
	    tf_http_init(&c->resp, HTTP_RESPONSE, &c->to_client, max) != 0)
		return -1;
	c->req.info = &c->info;
	c->req.rw = &c->rw;
	return 0;
}

static void
proxy_requests(struct tf_conn *c)
{
	enum tf_http_state before;
	int r;

	if (c->cplain.data == NULL) {
		if (tf_tls_pending(c->client.tls) == 0 &&
		    tf_buf_len(&c->client.in) == 0 && !c->client.eof)
			return; /* nothing yet: stay small */
		if (http_init(c) != 0) {
			tf_log_error("conn %llu: out of memory",
			    (unsigned long long)c->id);
			tf_conn_close(c, "out of memory");
			return;
		}
	}
	before = c->req.state;
	r = decrypt_into(&c->client, &c->cplain);
	if (r == TF_TLS_ERROR) {
		tf_conn_close(c, "client TLS error");
		return;
	}
	if (r == TF_TLS_EOF)
		c->client.eof = 1;

	if (c->req.state == TF_HTTP_ST_HEAD && !c->header_timer &&
	    tf_buf_len(&c->cplain) > 0) {
		c->header_timer = 1;
		uv_timer_start(&c->ctimer, ctimer_cb,
		    c->l->conf->header_timeout_ms, 0);
	}
	parse_into(&c->req, &c->cplain, &c->req_bytes);
	if (before == TF_HTTP_ST_HEAD && (c->req.state == TF_HTTP_ST_BODY ||
	    c->req.state == TF_HTTP_ST_DONE))
		request_head_done(c);
	if (c->req.state == TF_HTTP_ST_ERROR) {
		tf_log(TF_LOG_INFO, "conn %llu: bad request: %s",
		    (unsigned long long)c->id, c->req.why);
		if (!c->in_exchange) {
			c->in_exchange = 1; /* for its access record */
			c->resp_bytes = 0;
			c->req_start = uv_now(&c->w->loop);
		}
		respond_error(c, c->req.status, c->req.status == 431 ?
		    "The request head is too large." :
		    c->req.status == 421 ? "This host is not served on this "
		    "connection's server name." :
		    c->req.status == 501 ? "Not implemented." :
		    "The request is malformed.");
	}
}

static void
proxy_upstream(struct tf_conn *c)
{
	int r;

	if (c->up == TF_UP_HANDSHAKE) {
		r = tf_tls_handshake(c->upstream->tls);
		tf_conn_flush(c, c->upstream);
		if (r == TF_TLS_AGAIN && c->upstream->eof)
			r = TF_TLS_ERROR;
		if (r == TF_TLS_ERROR) {
			char why[320];

			snprintf(why, sizeof(why), "TLS handshake failed: %s",
			    tf_tls_error_text(c->upstream->tls));
			tf_conn_upstream_failed(c, 502, TF_M_UP_TLS, why);
			return;
		}
		if (r == TF_TLS_AGAIN)
			return;
		c->up = TF_UP_READY;
		snprintf(c->upstream_tls, sizeof(c->upstream_tls), "%s",
		    tf_tls_version(c->upstream->tls));
		uv_timer_stop(&c->utimer);
		if (c->in_exchange)
			uv_timer_start(&c->utimer, tf_conn_utimer_cb,
			    c->l->conf->upstream_timeout_ms,
			    c->l->conf->upstream_timeout_ms);
	}
	if (c->up != TF_UP_READY)
		return;
	if (encrypt_into(c->upstream, &c->to_up) != 0) {
		tf_conn_upstream_failed(c, 502, TF_M_UP_TLS, tf_tls_error_text(
		    c->upstream->tls));
		return;
	}
	tf_conn_flush(c, c->upstream);

	r = decrypt_into(c->upstream, &c->uplain);
	if (c->in_exchange)
		c->resp_bytes += parse_into(&c->resp, &c->uplain, NULL);
	if (c->resp.state == TF_HTTP_ST_ERROR) {
		tf_conn_upstream_failed(c, 502, TF_M_UP_BAD_RESPONSE,
		    c->resp.why ? c->resp.why :
		    "malformed response");
		return;
	}
	if (c->resp.state == TF_HTTP_ST_DONE) {
		exchange_done(c);
		return;
	}
	if (r == TF_TLS_EOF || r == TF_TLS_ERROR) {
		if (c->in_exchange && c->resp.state == TF_HTTP_ST_BODY &&
		    tf_http_finish(&c->resp) == 0) {
			exchange_done(c);
		} else if (c->in_exchange) {
			tf_conn_upstream_failed(c, 502, r == TF_TLS_EOF ?
			    TF_M_UP_CLOSED : TF_M_UP_TLS, r == TF_TLS_EOF ?
			    "closed the connection before the response ended" :
			    tf_tls_error_text(c->upstream->tls));
		} else {
			tf_upstream_close(c); /* idle keep-alive closed */
		}
	}
}

static void
update_reading(struct tf_conn *c, struct tf_side *s, int want)
{
	if (s == NULL)
		return;
	want = want && s->open && !s->eof &&
	    tf_buf_space(&s->in) >= READ_MIN;
	if (want && !s->reading) {
		if (uv_read_start((uv_stream_t *)&s->tcp, tf_conn_alloc_cb,
		    tf_conn_read_cb) == 0)
			s->reading = 1;
	} else if (!want && s->reading) {
		uv_read_stop((uv_stream_t *)&s->tcp);
		s->reading = 0;
	}
}

/* Moves what fits from one plaintext buffer to another. */
static void
move_bytes(struct tf_buf *from, struct tf_buf *to)
{
	size_t n = tf_buf_len(from);

	if (n > tf_buf_space(to))
		n = tf_buf_space(to);
	if (n == 0)
		return;
	TF_ASSERT(tf_buf_append(to, tf_buf_head(from), n) == 0);
	tf_buf_consume(from, n);
}

/*
 * After a 101 (WebSocket): raw bytes both ways. It ends, after what one
 * side sent has been passed on, when that side closes.
 */
static void
proxy_tunnel(struct tf_conn *c)
{
	int r;

	r = decrypt_into(&c->client, &c->cplain);
	if (r == TF_TLS_ERROR) {
		tf_conn_close(c, "client TLS error in tunnel");
		return;
	}
	if (r == TF_TLS_EOF)
		c->client.eof = 1;
	move_bytes(&c->cplain, &c->to_up);
	if (encrypt_into(c->upstream, &c->to_up) != 0) {
		tf_conn_close(c, "upstream TLS error in tunnel");
		return;
	}
	tf_conn_flush(c, c->upstream);
	r = decrypt_into(c->upstream, &c->uplain);
	if (r == TF_TLS_EOF || r == TF_TLS_ERROR)
		c->upstream->eof = 1;
	move_bytes(&c->uplain, &c->to_client);
	if ((c->client.eof && tf_buf_len(&c->cplain) == 0 &&
	    tf_buf_len(&c->to_up) == 0) ||
	    (c->upstream->eof && tf_buf_len(&c->uplain) == 0))
		drain(c);
}

static void
pump_once(struct tf_conn *c)
{
	if (c->st == TF_CONN_ST_HANDSHAKE)
		client_handshake(c);
	if (c->st == TF_CONN_ST_PROXYING && c->tunnel) {
		proxy_tunnel(c);
	} else if (c->st == TF_CONN_ST_PROXYING) {
		proxy_requests(c);
		/* A refused request may have left bytes in to_up: once
		 * draining, nothing more goes upstream. */
		if (c->st == TF_CONN_ST_PROXYING)
			proxy_upstream(c);
	}
	if (c->st == TF_CONN_ST_CLOSED)
		return;
	if (c->client.tls != NULL && c->st != TF_CONN_ST_HANDSHAKE &&
	    encrypt_into(&c->client, &c->to_client) != 0) {
		tf_conn_close(c, "client TLS error");
		return;
	}
	if (c->st == TF_CONN_ST_DRAINING && tf_buf_len(&c->to_client) == 0 &&
	    !c->client.notified && c->client.tls != NULL &&
	    c->client_bytes > 0 && !c->refused && c->hello_seen) {
		c->client.notified = 1;
		tf_tls_close_notify(c->client.tls);
	}
	tf_conn_flush(c, &c->client);

	if (c->st == TF_CONN_ST_PROXYING && c->client.eof &&
	    !c->in_exchange && !c->tunnel) {
		tf_conn_close(c, "client closed");
		return;
	}
	if (c->st == TF_CONN_ST_DRAINING) {
		if (c->client.eof || (tf_buf_len(&c->client.out) == 0 &&
		    tf_buf_len(&c->to_client) == 0)) {
			tf_conn_close(c, "done");
			return;
		}
		if (!uv_is_active((uv_handle_t *)&c->ctimer))
			uv_timer_start(&c->ctimer, ctimer_cb,
			    DRAIN_TIMEOUT_MS, 0);
	}
	update_reading(c, &c->client, c->st <= TF_CONN_ST_PROXYING);
	update_reading(c, c->upstream, c->up == TF_UP_HANDSHAKE ||
	    c->up == TF_UP_READY);
}

/* Every buffer's fill and the states: the pump loops while they move. */
struct progress {
	size_t len[8];
	int st, up;
};

static void
progress(const struct tf_conn *c, struct progress *p)
{
	memset(p, 0, sizeof(*p));
	p->len[0] = tf_buf_len(&c->client.in);
	p->len[1] = tf_buf_len(&c->client.out);
	p->len[2] = tf_buf_len(&c->cplain);
	p->len[3] = tf_buf_len(&c->to_up);
	if (c->upstream != NULL) {
		p->len[4] = tf_buf_len(&c->upstream->in);
		p->len[5] = tf_buf_len(&c->upstream->out);
	}
	p->len[6] = tf_buf_len(&c->uplain);
	p->len[7] = tf_buf_len(&c->to_client);
	p->st = (int)c->st;
	p->up = (int)c->up;
}

void
tf_conn_pump(struct tf_conn *c)
{
	struct progress before, after;

	if (c->st == TF_CONN_ST_CLOSED)
		return;
	if (c->pumping) {
		c->again = 1;
		return;
	}
	c->pumping = 1;
	do {
		c->again = 0;
		progress(c, &before);
		pump_once(c);
		progress(c, &after);
		if (memcmp(&before, &after, sizeof(before)) != 0)
			c->again = 1;
	} while (c->again && c->st != TF_CONN_ST_CLOSED);
	c->pumping = 0;
}

/*
 * Called by the TLS layer from inside the handshake with the parsed
 * ClientHello: this is where a hello below the floor is recorded.
 */
static enum tf_tls_hello_verdict
hello_cb(void *arg, const struct tf_hello *h)
{
	struct tf_conn *c = arg;

	TF_CHECK_OBJ(c, TF_CONN_MAGIC);
	c->hello_seen = 1;
	if (h != NULL) {
		if (h->has_sni) {
			size_t n = h->sni_len < sizeof(c->sni) - 1 ?
			    h->sni_len : sizeof(c->sni) - 1;

			memcpy(c->sni, h->sni, n);
			c->sni[n] = '\0';
			c->sni_route = find_route(c->l, c->sni, n);
		}
		decide(c, h);
		/* Kept for a handshake_failed record, until the handshake
		 * completes (an SSLv2-format one is kept as it was sent). */
		if (c->hello == NULL && !c->refused &&
		    (c->hello = malloc(sizeof(*c->hello))) != NULL)
			memcpy(c->hello, h, sizeof(*c->hello));
	}
	/* Below the floor and not let in: BoringSSL sends alert 70. */
	return c->legacy ? TF_TLS_HELLO_LOWER_FLOOR : TF_TLS_HELLO_CONTINUE;
}

/* The route whose names hold name (n bytes, any case); -1: none. */
static int
find_route(const struct tf_lstn *l, const char *name, size_t n)
{
	size_t i, j;

	for (i = 1; i < l->ntargets; i++)
		for (j = 0; j < l->targets[i].nnames; j++)
			if (strlen(l->targets[i].names[j]) == n &&
			    strncasecmp(l->targets[i].names[j], name, n) == 0)
				return (int)i;
	return -1;
}

/*
 * SPEC "Routes": the SNI picks the route; without SNI, the Host header
 * does; with neither matching, the listener's upstream. A Host that names
 * another route than the SNI's is refused with 421.
 */
static const char *
route_cb(void *arg, const struct tf_http_reqinfo *info, int *status)
{
	struct tf_conn *c = arg;
	const char *host = info->host, *colon;
	size_t n = strlen(host);
	int by_host, t;

	if (host[0] == '[')
		colon = strchr(host, ']') ? strchr(host, ']') + 1 : host + n;
	else
		colon = strchr(host, ':');
	if (colon != NULL && colon < host + n && *colon == ':')
		n = (size_t)(colon - host);
	by_host = info->has_host ? find_route(c->l, host, n) : -1;
	if (c->sni[0] != '\0') {
		t = c->sni_route > 0 ? c->sni_route : 0;
		if (by_host > 0 && by_host != t) {
			*status = 421;
			return NULL;
		}
	} else {
		t = by_host > 0 ? by_host : 0;
	}
	c->target = &c->l->targets[t];
	return c->l->conf->preserve_host ? NULL : c->target->host_header;
}

void
tf_conn_stop(struct tf_conn *c)
{
	if (!c->in_exchange || c->st == TF_CONN_ST_HANDSHAKE)
		tf_conn_close(c, "stopping");
}

void
tf_conn_accept(struct tf_worker *w, struct tf_lstn *l, uv_stream_t *server)
{
	const struct tf_listener_conf *lc = l->conf;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct tf_conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return; /* the socket stays in libuv; accepted when we can */
	tf_runtime_ref(l->rt);
	TF_METRIC_INC(l->m, connections_total);
	TF_METRIC_INC(l->m, connections_active);
	c->magic = TF_CONN_MAGIC;
	c->id = tf_worker_next_id();
	c->w = w;
	c->l = l;
	c->client.tcp.data = c;
	c->ctimer.data = c;
	c->utimer.data = c;
	if (uv_tcp_init(&w->loop, &c->client.tcp) != 0) {
		TF_METRIC_DEC(l->m, connections_active);
		tf_runtime_unref(l->rt);
		free(c);
		return;
	}
	c->client.open = 1;
	uv_timer_init(&w->loop, &c->ctimer);
	uv_timer_init(&w->loop, &c->utimer);
	c->refs = 3;
	c->next = w->conns;
	if (c->next != NULL)
		c->next->prevp = &c->next;
	c->prevp = &w->conns;
	w->conns = c;

	if (uv_accept(server, (uv_stream_t *)&c->client.tcp) != 0 ||
	    uv_tcp_getpeername(&c->client.tcp, (struct sockaddr *)&ss,
	    &sslen) != 0) {
		tf_conn_close(c, "accept failed");
		return;
	}
	uv_tcp_nodelay(&c->client.tcp, 1);
	c->addr = ss;
	tf_addr_format((struct sockaddr *)&ss, c->ip, sizeof(c->ip),
	    &c->peer.client_port);
	c->peer.client_ip = c->ip;
	c->peer.listener = lc->name;
	c->peer.fp = l->rt->fp;
	c->rw.client_ip = c->ip;
	c->rw.route = route_cb;
	c->rw.arg = c;
	c->target = &l->targets[0];
	c->sni_route = -1;
	c->req.info = &c->info;

	if (tf_buf_init(&c->client.in, CIPHER_BUF) != 0 ||
	    tf_buf_init(&c->client.out, CIPHER_BUF) != 0) {
		tf_log_error("conn %llu: out of memory",
		    (unsigned long long)c->id);
		tf_conn_close(c, "out of memory");
		return;
	}
	c->client.tls = tf_tls_accept(l->server, &c->client.in,
	    &c->client.out, hello_cb, c);
	if (c->client.tls == NULL) {
		tf_conn_close(c, "out of memory");
		return;
	}
	uv_timer_start(&c->ctimer, ctimer_cb, lc->handshake_timeout_ms, 0);
	tf_conn_pump(c);
}
