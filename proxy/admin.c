/*
 * The admin server: a small plain-HTTP server for GET /metrics and
 * GET /healthz on the control loop. It reads one request head per
 * connection with llhttp, answers it and closes (Connection: close); a
 * body is never read. Every server keeps its own clients, so two can be
 * open at once while a reload moves the address.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>
#include <uv.h>

#include "admin.h"
#include "common.h"
#include "metrics.h"

#define ADMIN_MAGIC 0x61646d6eu         /* "admn" */
#define CLIENT_MAGIC 0x6d636c69u        /* "mcli" */

#define HEAD_MAX 8192                   /* request head bound, bytes */
#define CLIENT_TIMEOUT_MS 10000         /* whole life of a connection */
#define MAX_CLIENTS 64                  /* more are accepted and closed */

struct client;

struct tf_admin {
	unsigned magic;
	uv_tcp_t tcp;                   /* listening socket */
	int port;                       /* bound port, host order */
	int refs;                       /* tcp open + clients; freed at 0 */
	struct client *clients;         /* every client not yet freed */
	unsigned nclients;
};

enum client_state {
	CLIENT_READING = 0,             /* collecting the request head */
	CLIENT_WRITING,                 /* answer in uv_write */
	CLIENT_SHUTDOWN,                /* uv_shutdown in flight */
	CLIENT_DRAINING,                /* reading to EOF before close */
	CLIENT_CLOSING,                 /* uv_close called on both */
};

struct client {
	unsigned magic;
	struct tf_admin *server;        /* holds a ref on it */
	uv_tcp_t tcp;
	uv_timer_t timer;               /* CLIENT_TIMEOUT_MS from accept */
	uv_write_t write;
	uv_shutdown_t shutdown;
	enum client_state state;
	int handles;                    /* open handles; freed at 0 */
	llhttp_t parser;                /* over head, while CLIENT_READING */
	size_t url_off, url_len;        /* the request-target in head */
	size_t len;                     /* bytes in head */
	char head[HEAD_MAX];            /* every byte read; scratch later */
	char hdr[256];                  /* response status line + headers */
	char *body;                     /* malloc'd response body or NULL */
	size_t body_len;
	int head_only;                  /* HEAD: send hdr only */
	struct client *prev, *next;     /* in server->clients */
};

static void client_close(struct client *c);
static void client_read_cb(uv_stream_t *stream, ssize_t nread,
    const uv_buf_t *buf);
static int on_url(llhttp_t *p, const char *at, size_t n);
static int on_headers_complete(llhttp_t *p);

/* Read-only after compilation, so every server and thread may share it. */
static const llhttp_settings_t settings = {
	.on_url = on_url,
	.on_headers_complete = on_headers_complete,
};

/* Drops one reference; frees the server with its last one. */
static void
admin_unref(struct tf_admin *a)
{
	TF_ASSERT(a->refs > 0);
	if (--a->refs > 0)
		return;
	TF_ASSERT(a->clients == NULL);
	a->magic = 0;
	free(a);
}

static void
admin_close_cb(uv_handle_t *h)
{
	struct tf_admin *a;

	TF_CAST_OBJ(a, h->data, ADMIN_MAGIC);
	admin_unref(a);
}

/* Frees the client once its last handle closed. */
static void
client_close_cb(uv_handle_t *h)
{
	struct tf_admin *a;
	struct client *c;

	TF_CAST_OBJ(c, h->data, CLIENT_MAGIC);
	TF_ASSERT(c->handles > 0);
	if (--c->handles > 0)
		return;
	a = c->server;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	a->nclients--;
	free(c->body);
	c->magic = 0;
	free(c);
	admin_unref(a);
}

/*
 * Closes both handles; idempotent. Pending write and shutdown requests
 * get UV_ECANCELED callbacks before the close callbacks, and those see
 * CLIENT_CLOSING and do nothing.
 */
static void
client_close(struct client *c)
{
	if (c->state == CLIENT_CLOSING)
		return;
	c->state = CLIENT_CLOSING;
	uv_close((uv_handle_t *)&c->timer, client_close_cb);
	uv_close((uv_handle_t *)&c->tcp, client_close_cb);
}

static void
client_timer_cb(uv_timer_t *t)
{
	struct client *c;

	TF_CAST_OBJ(c, t->data, CLIENT_MAGIC);
	client_close(c);
}

static void
client_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct client *c;

	TF_CAST_OBJ(c, h->data, CLIENT_MAGIC);
	if (c->state == CLIENT_READING) {
		/* Never empty while reading: on_read answers 431 at full. */
		*buf = uv_buf_init(c->head + c->len,
		    (unsigned)(sizeof(c->head) - c->len));
	} else {
		/* Draining: the head is no longer needed; discard into it. */
		*buf = uv_buf_init(c->head, sizeof(c->head));
	}
}

static void
client_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct client *c = tf_container_of(req, struct client, shutdown);

	TF_CHECK_OBJ(c, CLIENT_MAGIC);
	if (c->state == CLIENT_CLOSING)
		return;
	if (status != 0) {
		client_close(c);
		return;
	}
	/*
	 * Read what the client still sends until it closes (or the timer
	 * fires): closing with unread bytes would make the kernel send a
	 * reset, which can destroy the answer before the client reads it.
	 * A client that already sent EOF gets it reported at once.
	 */
	c->state = CLIENT_DRAINING;
	if (uv_read_start((uv_stream_t *)&c->tcp, client_alloc_cb,
	    client_read_cb) != 0)
		client_close(c);
}

static void
client_write_cb(uv_write_t *req, int status)
{
	struct client *c = tf_container_of(req, struct client, write);

	TF_CHECK_OBJ(c, CLIENT_MAGIC);
	if (c->state == CLIENT_CLOSING)
		return;
	free(c->body);
	c->body = NULL;
	if (status != 0 ||
	    uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp,
	    client_shutdown_cb) != 0) {
		client_close(c);
		return;
	}
	c->state = CLIENT_SHUTDOWN;
}

/*
 * Writes the reason phrase of status into buf (len > 0, truncated to
 * fit): llhttp's name for the status, METHOD_NOT_ALLOWED, in the words
 * RFC 9110 writes it, "Method Not Allowed"; a name of one word stays as
 * it is ("OK"). status must be one llhttp knows: llhttp_status_name()
 * aborts on any other, and this server sends only its own constants.
 */
static void
reason_phrase(int status, char *buf, size_t len)
{
	const char *name = llhttp_status_name((llhttp_status_t)status);
	int one_word = strchr(name, '_') == NULL, word_start = 1;
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++) {
		if (name[i] == '_') {
			buf[i] = ' ';
			word_start = 1;
			continue;
		}
		buf[i] = one_word || word_start ? name[i] :
		    (char)tolower((unsigned char)name[i]);
		word_start = 0;
	}
	buf[i] = '\0';
}

/*
 * Sends status with body (taken over: malloc'd or NULL for a short text
 * of our own, copied) and moves to CLIENT_WRITING; reads stop, since one
 * request per connection is all this server takes.
 */
static void
client_respond(struct client *c, int status, const char *ctype,
    char *body, size_t body_len)
{
	uv_buf_t bufs[2];
	unsigned nbufs = 1;
	char reason[64];
	int n;

	uv_read_stop((uv_stream_t *)&c->tcp);
	c->body = body;
	c->body_len = body_len;
	reason_phrase(status, reason, sizeof(reason));
	n = snprintf(c->hdr, sizeof(c->hdr),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "\r\n",
	    status, reason, ctype, body_len,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	TF_ASSERT(n > 0 && (size_t)n < sizeof(c->hdr));
	bufs[0] = uv_buf_init(c->hdr, (unsigned)n);
	if (!c->head_only && body_len != 0) {
		bufs[1] = uv_buf_init(body, (unsigned)body_len);
		nbufs = 2;
	}
	if (uv_write(&c->write, (uv_stream_t *)&c->tcp, bufs, nbufs,
	    client_write_cb) != 0) {
		client_close(c);
		return;
	}
	c->state = CLIENT_WRITING;
}

/* Answers with a short plain-text body (copied). */
static void
client_respond_text(struct client *c, int status, const char *text)
{
	size_t n = strlen(text);
	char *body = tf_xmalloc(n);

	memcpy(body, text, n);
	client_respond(c, status, "text/plain; charset=utf-8", body, n);
}

/*
 * Notes where the request-target lies in c->head. llhttp hands it over in
 * pieces when it spans reads; head keeps every byte read, so the pieces
 * are contiguous there and an offset and a length hold them all.
 */
static int
on_url(llhttp_t *p, const char *at, size_t n)
{
	struct client *c;

	TF_CAST_OBJ(c, p->data, CLIENT_MAGIC);
	if (c->url_len == 0)
		c->url_off = (size_t)(at - c->head);
	TF_ASSERT(at == c->head + c->url_off + c->url_len);
	c->url_len += n;
	return 0;
}

/* The head is all this server reads: llhttp_execute() stops here. */
static int
on_headers_complete(llhttp_t *p)
{
	return HPE_PAUSED;
}

/* Returns whether target[0..len) is path, once its query is cut off. */
static int
path_is(const char *target, size_t len, const char *path)
{
	const char *q = memchr(target, '?', len);

	if (q != NULL)
		len = (size_t)(q - target);
	return len == strlen(path) && memcmp(target, path, len) == 0;
}

/* Routes the request whose head llhttp has just parsed. */
static void
client_handle(struct client *c)
{
	const char *target = c->head + c->url_off;
	char *body;
	size_t body_len;

	if (llhttp_get_http_major(&c->parser) != 1) {
		client_respond_text(c, 400, "bad request\n");
		return;
	}
	switch (llhttp_get_method(&c->parser)) {
	case HTTP_HEAD:
		c->head_only = 1;
		break;
	case HTTP_GET:
		break;
	default:
		client_respond_text(c, 405, "method not allowed\n");
		return;
	}
	if (path_is(target, c->url_len, "/metrics")) {
		if (tf_metrics_render(&body, &body_len) != 0) {
			client_respond_text(c, 500, "out of memory\n");
			return;
		}
		client_respond(c, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", body, body_len);
	} else if (path_is(target, c->url_len, "/healthz")) {
		client_respond_text(c, 200, "ok\n");
	} else {
		client_respond_text(c, 404, "not found\n");
	}
}

/*
 * Feeds what arrived to llhttp, which reads it in place in c->head. A
 * complete head is answered; a malformed one gets 400, and a head that
 * fills c->head without ending gets 431. While draining, bytes are
 * discarded.
 */
static void
client_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c;
	llhttp_errno_t e;

	TF_CAST_OBJ(c, stream->data, CLIENT_MAGIC);
	if (nread == 0 || c->state == CLIENT_CLOSING)
		return;
	if (nread < 0) {
		/* EOF or error while reading the head or draining (reads are
		 * stopped in between): nothing more to answer or to drain. */
		client_close(c);
		return;
	}
	if (c->state != CLIENT_READING)
		return;                 /* draining: discard */
	e = llhttp_execute(&c->parser, c->head + c->len, (size_t)nread);
	c->len += (size_t)nread;
	if (e == HPE_PAUSED)
		client_handle(c);
	else if (e != HPE_OK)
		client_respond_text(c, 400, "bad request\n");
	else if (c->len == sizeof(c->head))
		client_respond_text(c, 431, "request head too large\n");
}

static void
admin_connection_cb(uv_stream_t *listener, int status)
{
	struct tf_admin *a;
	struct client *c;

	TF_CAST_OBJ(a, listener->data, ADMIN_MAGIC);
	if (status != 0)
		return;                 /* e.g. EMFILE: libuv retries later */
	c = tf_xcalloc(1, sizeof(*c));
	c->magic = CLIENT_MAGIC;
	c->server = a;
	c->state = CLIENT_READING;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	TF_ASSERT(uv_tcp_init(listener->loop, &c->tcp) == 0);
	TF_ASSERT(uv_timer_init(listener->loop, &c->timer) == 0);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles = 2;
	c->next = a->clients;
	if (a->clients != NULL)
		a->clients->prev = c;
	a->clients = c;
	a->nclients++;
	a->refs++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 ||
	    a->nclients > MAX_CLIENTS ||
	    uv_timer_start(&c->timer, client_timer_cb, CLIENT_TIMEOUT_MS,
	    0) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, client_alloc_cb,
	    client_read_cb) != 0)
		client_close(c);
}

/*
 * Binds addr (libuv sets SO_REUSEADDR on its own) and listens. Returns 0
 * with *out set, or the negative UV code of the failed step: the handle
 * is closed then and its memory goes in the close callback.
 */
int
tf_admin_open(uv_loop_t *loop, const struct sockaddr *addr,
    struct tf_admin **out)
{
	struct sockaddr_storage ss;
	struct tf_admin *a;
	int len = (int)sizeof(ss), rc;

	a = tf_xcalloc(1, sizeof(*a));
	a->magic = ADMIN_MAGIC;
	rc = uv_tcp_init(loop, &a->tcp);
	if (rc != 0) {
		free(a);
		return rc;
	}
	a->tcp.data = a;
	a->refs = 1;
	rc = uv_tcp_bind(&a->tcp, addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&a->tcp, 64,
		    admin_connection_cb);
	if (rc == 0)
		rc = uv_tcp_getsockname(&a->tcp, (struct sockaddr *)&ss,
		    &len);
	if (rc != 0) {
		uv_close((uv_handle_t *)&a->tcp, admin_close_cb);
		return rc;
	}
	if (ss.ss_family == AF_INET6)
		a->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		a->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*out = a;
	return 0;
}

int
tf_admin_port(const struct tf_admin *a)
{
	TF_CHECK_OBJ(a, ADMIN_MAGIC);
	return a->port;
}

/*
 * Closes the listening socket at once (uv_close closes the descriptor
 * synchronously, so the address is free when this returns) and every
 * client; the server is freed after the last of their close callbacks.
 */
void
tf_admin_close(struct tf_admin *a)
{
	struct client *c;

	if (a == NULL)
		return;
	TF_CHECK_OBJ(a, ADMIN_MAGIC);
	TF_ASSERT(!uv_is_closing((uv_handle_t *)&a->tcp));
	uv_close((uv_handle_t *)&a->tcp, admin_close_cb);
	for (c = a->clients; c != NULL; c = c->next)
		client_close(c);
}
