/*
 * Prometheus counters and the small plain-HTTP server that exposes them.
 *
 * Counters live in one struct tf_mlistener per listener name, kept in a
 * list that only grows: workers increment fields with relaxed atomics and
 * never take a lock; the control thread creates entries at config load and
 * renders them on demand. The server runs on the control loop, answers one
 * request per connection and closes it (Connection: close), so it needs no
 * HTTP parser beyond the request line.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "common.h"
#include "metrics.h"

/* ------------------------------------------------------------------------
 * The registry
 */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tf_mlistener *registry_head;  /* in creation order */
static struct tf_mlistener *registry_tail;

static _Atomic uint64_t reloads_ok;
static _Atomic uint64_t reloads_failed;
static _Atomic uint64_t generation;

/*
 * Returns the counters of a listener name, creating them zeroed on first
 * use; the same pointer for the same name for the life of the process.
 * Names longer than the field are truncated, and names equal after
 * truncation share counters. Never returns NULL (allocation aborts).
 */
struct tf_mlistener *
tf_metrics_listener(const char *name)
{
	struct tf_mlistener *m;
	char key[sizeof(m->name)];

	snprintf(key, sizeof(key), "%s", name);
	pthread_mutex_lock(&registry_lock);
	for (m = registry_head; m != NULL; m = m->next)
		if (strcmp(m->name, key) == 0)
			goto out;
	/* All-zero bytes are the zero of every lock-free atomic integer on
	 * the platforms libuv supports, so calloc initialises the counters. */
	m = tf_xcalloc(1, sizeof(*m));
	memcpy(m->name, key, sizeof(key));
	if (registry_tail != NULL)
		registry_tail->next = m;
	else
		registry_head = m;
	registry_tail = m;
out:
	pthread_mutex_unlock(&registry_lock);
	return m;
}

/* Label spellings, indexed by the enums of metrics.h. */
static const char *const version_names[TF_M_NVERSIONS] = {
	"SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3",
};
static const char *const action_names[TF_M_NACTIONS] = {
	"refused", "allowed_audit", "allowed_exempt",
};
static const char *const reason_names[TF_M_NREASONS] = {
	"no_shared_cipher", "timeout", "bad_record", "peer_alert", "closed",
	"internal",
};
static const char *const upstream_error_names[TF_M_NUPERRORS] = {
	"resolve", "connect", "tls", "timeout", "bad_response", "closed",
};
static const char *const code_names[5] = {
	"1xx", "2xx", "3xx", "4xx", "5xx",
};

/*
 * Maps a wire version (0x0002 for an SSLv2-format hello, 0x0300 ...
 * 0x0304) to its index; -1 for anything else (GREASE, drafts).
 */
int
tf_metrics_version_index(uint16_t tls_version)
{
	switch (tls_version) {
	case 0x0002:
		return TF_M_SSL20;
	case 0x0300:
		return TF_M_SSL30;
	case 0x0301:
		return TF_M_TLS10;
	case 0x0302:
		return TF_M_TLS11;
	case 0x0303:
		return TF_M_TLS12;
	case 0x0304:
		return TF_M_TLS13;
	default:
		return -1;
	}
}

/* Returns the index of s in names[0..n), or -1 (also for NULL). */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
tf_metrics_action_index(const char *action)
{
	return name_index(action_names, TF_M_NACTIONS, action);
}

int
tf_metrics_reason_index(const char *reason)
{
	return name_index(reason_names, TF_M_NREASONS, reason);
}

void
tf_metrics_reload(int ok)
{
	if (ok)
		atomic_fetch_add_explicit(&reloads_ok, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&reloads_failed, 1,
		    memory_order_relaxed);
}

void
tf_metrics_set_generation(uint64_t gen)
{
	atomic_store_explicit(&generation, gen, memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Rendering
 */

/* A growable text buffer; after an allocation failure, failed is set and
 * every later append is a no-op. */
struct out {
	char *p;
	size_t len;
	size_t cap;
	int failed;
};

/* Makes room for n more bytes plus a NUL. Returns 0 or -1 (sets failed). */
static int
out_reserve(struct out *o, size_t n)
{
	size_t cap;
	char *p;

	if (o->failed)
		return -1;
	if (o->cap - o->len > n)
		return 0;
	cap = o->cap != 0 ? o->cap : 4096;
	while (cap - o->len <= n) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	p = realloc(o->p, cap);
	if (p == NULL)
		goto fail;
	o->p = p;
	o->cap = cap;
	return 0;
fail:
	o->failed = 1;
	return -1;
}

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (out_reserve(o, n) != 0)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_printf(struct out *o, const char *fmt, ...) TF_PRINTF(2, 3);

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out_reserve(o, 128) != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	if ((size_t)n >= o->cap - o->len) {
		if (out_reserve(o, (size_t)n) != 0)
			return;
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
	}
	o->len += (size_t)n;
}

/*
 * Appends a label value escaped as the text format requires: backslash,
 * double quote and line feed become \\, \" and \n. Other bytes pass as
 * they are (the format is UTF-8 and takes any other byte in a value).
 */
static void
out_label_value(struct out *o, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc;

		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\n':
			esc = "\\n";
			break;
		default:
			continue;
		}
		out_add(o, run, (size_t)(s - run));
		out_add(o, esc, 2);
		run = s + 1;
	}
	out_add(o, run, (size_t)(s - run));
}

/* Writes the # HELP and # TYPE lines of one family. */
static void
out_family(struct out *o, const char *name, const char *type,
    const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Writes one sample: NAME{listener="L"[,K1="V1"[,K2="V2"]]} VALUE. K1/K2
 * may be NULL. Label values are escaped; NAME and keys are ours.
 */
static void
out_sample(struct out *o, const char *name, const struct tf_mlistener *m,
    const char *k1, const char *v1, const char *k2, const char *v2,
    uint64_t value)
{
	out_printf(o, "%s{listener=\"", name);
	out_label_value(o, m->name);
	if (k1 != NULL) {
		out_printf(o, "\",%s=\"", k1);
		out_label_value(o, v1);
	}
	if (k2 != NULL) {
		out_printf(o, "\",%s=\"", k2);
		out_label_value(o, v2);
	}
	out_printf(o, "\"} %llu\n", (unsigned long long)value);
}

#define LOAD(p) atomic_load_explicit(p, memory_order_relaxed)

/* Writes every per-listener family; the caller holds registry_lock. */
static void
render_listeners(struct out *o)
{
	const struct tf_mlistener *m;
	size_t i, j;

	out_family(o, "tlsfloor_connections_total", "counter",
	    "Client connections accepted.");
	for (m = registry_head; m != NULL; m = m->next)
		out_sample(o, "tlsfloor_connections_total", m, NULL, NULL,
		    NULL, NULL, LOAD(&m->connections_total));

	out_family(o, "tlsfloor_connections_dropped_total", "counter",
	    "Client connections accepted and closed at once because no "
	    "memory was left to serve them.");
	for (m = registry_head; m != NULL; m = m->next)
		out_sample(o, "tlsfloor_connections_dropped_total", m, NULL,
		    NULL, NULL, NULL, LOAD(&m->connections_dropped));

	out_family(o, "tlsfloor_connections_active", "gauge",
	    "Client connections open now.");
	for (m = registry_head; m != NULL; m = m->next) {
		int64_t v = LOAD(&m->connections_active);

		out_printf(o, "tlsfloor_connections_active{listener=\"");
		out_label_value(o, m->name);
		out_printf(o, "\"} %lld\n", (long long)v);
	}

	/* BoringSSL completes no SSL 2.0 or 3.0 handshake: those series
	 * appear only if something ever counts one. */
	out_family(o, "tlsfloor_handshakes_total", "counter",
	    "Client TLS handshakes completed, by negotiated version.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NVERSIONS; i++) {
			uint64_t v = LOAD(&m->handshakes[i]);

			if (i < TF_M_TLS10 && v == 0)
				continue;
			out_sample(o, "tlsfloor_handshakes_total", m,
			    "version", version_names[i], NULL, NULL, v);
		}

	out_family(o, "tlsfloor_legacy_clients_total", "counter",
	    "ClientHellos below the floor, by highest offered version and "
	    "action.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NVERSIONS; i++)
			for (j = 0; j < TF_M_NACTIONS; j++)
				out_sample(o, "tlsfloor_legacy_clients_total",
				    m, "offered", version_names[i], "action",
				    action_names[j], LOAD(&m->legacy[i][j]));

	out_family(o, "tlsfloor_handshake_failures_total", "counter",
	    "Client handshakes that failed after the hello was accepted.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NREASONS; i++)
			out_sample(o, "tlsfloor_handshake_failures_total", m,
			    "reason", reason_names[i], NULL, NULL,
			    LOAD(&m->handshake_failures[i]));

	out_family(o, "tlsfloor_requests_total", "counter",
	    "Requests answered, by status class.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_ARRAY_SIZE(code_names); i++)
			out_sample(o, "tlsfloor_requests_total", m, "code",
			    code_names[i], NULL, NULL,
			    LOAD(&m->requests[i]));

	out_family(o, "tlsfloor_upstream_errors_total", "counter",
	    "Upstream failures, by reason.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NUPERRORS; i++)
			out_sample(o, "tlsfloor_upstream_errors_total", m,
			    "reason", upstream_error_names[i], NULL, NULL,
			    LOAD(&m->upstream_errors[i]));
}

/*
 * Renders every metric into a malloc'd, NUL-terminated buffer that the
 * caller frees; *len excludes the NUL. Returns 0, or -1 when memory ran
 * out (nothing to free then). Takes the registry lock; call from one
 * thread at a time per buffer, any thread.
 */
int
tf_metrics_render(char **out, size_t *len)
{
	struct out o = { NULL, 0, 0, 0 };

	pthread_mutex_lock(&registry_lock);
	render_listeners(&o);
	pthread_mutex_unlock(&registry_lock);

	out_family(&o, "tlsfloor_config_reloads_total", "counter",
	    "Configuration reloads (SIGHUP), by result.");
	out_printf(&o, "tlsfloor_config_reloads_total{result=\"ok\"} %llu\n",
	    (unsigned long long)LOAD(&reloads_ok));
	out_printf(&o,
	    "tlsfloor_config_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)LOAD(&reloads_failed));
	out_family(&o, "tlsfloor_config_generation", "gauge",
	    "Generation of the configuration in use (1 at start).");
	out_printf(&o, "tlsfloor_config_generation %llu\n",
	    (unsigned long long)LOAD(&generation));

	if (o.failed || o.p == NULL) {
		free(o.p);
		return -1;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}

/* ------------------------------------------------------------------------
 * The server
 */

#define SERVER_MAGIC 0x6d657472u        /* "metr" */
#define CLIENT_MAGIC 0x6d636c69u        /* "mcli" */

#define HEAD_MAX 8192                   /* request head bound, bytes */
#define CLIENT_TIMEOUT_MS 10000         /* whole life of a connection */
#define MAX_CLIENTS 64                  /* more are accepted and closed */

struct server {
	unsigned magic;
	uv_tcp_t tcp;                   /* listening socket */
	int port;                       /* bound port, host order */
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
	uv_tcp_t tcp;
	uv_timer_t timer;               /* CLIENT_TIMEOUT_MS from accept */
	uv_write_t write;
	uv_shutdown_t shutdown;
	enum client_state state;
	int handles;                    /* open handles; freed at 0 */
	size_t len;                     /* bytes in head */
	char head[HEAD_MAX];            /* request head; scratch later */
	char hdr[256];                  /* response status line + headers */
	char *body;                     /* malloc'd response body or NULL */
	size_t body_len;
	int head_only;                  /* HEAD: send hdr only */
	struct client *prev, *next;     /* in clients */
};

static struct server *server;           /* NULL when not serving */
static struct client *clients;          /* every client not yet freed */
static unsigned nclients;

static void client_close(struct client *c);
static void client_read_cb(uv_stream_t *stream, ssize_t nread,
    const uv_buf_t *buf);

static void
server_close_cb(uv_handle_t *h)
{
	struct server *s;

	TF_CAST_OBJ(s, h->data, SERVER_MAGIC);
	s->magic = 0;
	free(s);
}

/* Frees the client once its last handle closed. */
static void
client_close_cb(uv_handle_t *h)
{
	struct client *c;

	TF_CAST_OBJ(c, h->data, CLIENT_MAGIC);
	TF_ASSERT(c->handles > 0);
	if (--c->handles > 0)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nclients--;
	free(c->body);
	c->magic = 0;
	free(c);
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

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	default:
		return "Error";
	}
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
	int n;

	uv_read_stop((uv_stream_t *)&c->tcp);
	c->body = body;
	c->body_len = body_len;
	n = snprintf(c->hdr, sizeof(c->hdr),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "\r\n",
	    status, reason_phrase(status), ctype, body_len,
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
 * Returns the length of the head (through its blank line) in buf[0..len),
 * or 0 while incomplete. A bare LF line end is taken as well as CRLF.
 */
static size_t
head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Routes a complete head in c->head[0..c->len). */
static void
client_handle(struct client *c)
{
	char *line = c->head, *eol, *method, *target, *version, *q;
	size_t mlen, tlen;
	char *body;
	size_t body_len;

	eol = memchr(line, '\n', c->len);
	TF_ASSERT(eol != NULL);
	if (eol > line && eol[-1] == '\r')
		eol--;
	*eol = '\0';

	/* METHOD SP request-target SP HTTP-version */
	method = line;
	mlen = strcspn(method, " ");
	if (mlen == 0 || method[mlen] != ' ')
		goto bad;
	target = method + mlen + 1;
	tlen = strcspn(target, " ");
	if (tlen == 0 || target[tlen] != ' ')
		goto bad;
	version = target + tlen + 1;
	if (strncmp(version, "HTTP/1.", 7) != 0 || version[7] < '0' ||
	    version[7] > '9' || version[8] != '\0')
		goto bad;
	method[mlen] = '\0';
	target[tlen] = '\0';

	if (strcmp(method, "HEAD") == 0)
		c->head_only = 1;
	else if (strcmp(method, "GET") != 0) {
		client_respond_text(c, 405, "method not allowed\n");
		return;
	}
	if ((q = strchr(target, '?')) != NULL)
		*q = '\0';
	if (strcmp(target, "/metrics") == 0) {
		if (tf_metrics_render(&body, &body_len) != 0) {
			client_respond_text(c, 500, "out of memory\n");
			return;
		}
		client_respond(c, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", body, body_len);
	} else if (strcmp(target, "/healthz") == 0) {
		client_respond_text(c, 200, "ok\n");
	} else {
		client_respond_text(c, 404, "not found\n");
	}
	return;
bad:
	client_respond_text(c, 400, "bad request\n");
}

static void
client_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c;

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
	c->len += (size_t)nread;
	if (head_end(c->head, c->len) != 0)
		client_handle(c);
	else if (c->len == sizeof(c->head))
		client_respond_text(c, 431, "request head too large\n");
}

static void
server_connection_cb(uv_stream_t *listener, int status)
{
	struct server *s;
	struct client *c;

	TF_CAST_OBJ(s, listener->data, SERVER_MAGIC);
	if (status != 0)
		return;                 /* e.g. EMFILE: libuv retries later */
	c = tf_xcalloc(1, sizeof(*c));
	c->magic = CLIENT_MAGIC;
	c->state = CLIENT_READING;
	TF_ASSERT(uv_tcp_init(listener->loop, &c->tcp) == 0);
	TF_ASSERT(uv_timer_init(listener->loop, &c->timer) == 0);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles = 2;
	c->next = clients;
	if (clients != NULL)
		clients->prev = c;
	clients = c;
	nclients++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 ||
	    nclients > MAX_CLIENTS ||
	    uv_timer_start(&c->timer, client_timer_cb, CLIENT_TIMEOUT_MS,
	    0) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, client_alloc_cb,
	    client_read_cb) != 0)
		client_close(c);
}

/*
 * Binds addr (libuv sets SO_REUSEADDR on its own), listens and serves on
 * loop until tf_metrics_stop(). Returns 0, UV_EBUSY when already serving,
 * or the negative UV code of the failed step (nothing left open then).
 * Control thread only.
 */
int
tf_metrics_serve(uv_loop_t *loop, const struct sockaddr *addr)
{
	struct sockaddr_storage ss;
	struct server *s;
	int len = (int)sizeof(ss), rc;

	if (server != NULL)
		return UV_EBUSY;
	s = tf_xcalloc(1, sizeof(*s));
	s->magic = SERVER_MAGIC;
	rc = uv_tcp_init(loop, &s->tcp);
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->tcp.data = s;
	rc = uv_tcp_bind(&s->tcp, addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->tcp, 64,
		    server_connection_cb);
	if (rc == 0)
		rc = uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss,
		    &len);
	if (rc != 0) {
		uv_close((uv_handle_t *)&s->tcp, server_close_cb);
		return rc;
	}
	if (ss.ss_family == AF_INET6)
		s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	server = s;
	return 0;
}

/* The bound port of the running server, or -1 when not serving. */
int
tf_metrics_port(void)
{
	return server != NULL ? server->port : -1;
}

/*
 * Closes the listening socket and every open connection; memory goes in
 * the close callbacks, so the loop must run once more. Idempotent; a
 * new tf_metrics_serve() may follow at once. Control thread only.
 */
void
tf_metrics_stop(void)
{
	struct client *c;

	if (server != NULL) {
		uv_close((uv_handle_t *)&server->tcp, server_close_cb);
		server = NULL;
	}
	for (c = clients; c != NULL; c = c->next)
		client_close(c);
}
