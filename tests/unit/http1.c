/*
 * Unit tests for proxy/http1.c, driven the way conn.c drives a parser:
 * bytes arrive in a source buffer of the exchange's size,
 * tf_http_feed_buf() (what the exchange calls) feeds them to tf_http_feed()
 * as far as the out buffer has the room tf_http_out_need() asks for, and a
 * writer drains the out buffer. Every feed is checked against that bound.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http1.h"
#include "test.h"

#define MAX_HEAD 4096
/* conn.c: PLAIN_BUF, and the stage buffer a parser writes into. */
#define SRC_CAP 16384
#define OUT_CAP(max_head) ((max_head) + 4096 + 16384)

#define CLIENT_IP "192.0.2.10"
#define UPSTREAM_HOST "outlook.office365.com"

/* One direction of a connection: its source, parser, out buffer, writer. */
struct rig {
	struct tf_http h;
	struct tf_buf src;      /* decrypted bytes waiting for the parser */
	struct tf_buf out;      /* what the parser emits */
	struct tf_http_rewrite rw;
	struct tf_http_reqinfo info;
	const char *host;       /* what the route callback answers */
	int refuse;             /* the route callback answers 421 */
	int routed;             /* times the route callback ran */
	char *got;              /* everything drained from out, NUL ended */
	size_t got_len, got_cap;
};

static const char *
route(void *arg, const struct tf_http_reqinfo *info, int *status)
{
	struct rig *r = arg;

	ASSERT(info == &r->info);
	ASSERT_EQ(*status, 0);
	r->routed++;
	if (r->refuse) {
		*status = 421;
		return NULL;
	}
	return r->host;
}

/*
 * Sets up a request (HTTP_REQUEST) or response parser as conn.c does,
 * with an out buffer of out_cap bytes (0: conn.c's size).
 */
static void
rig_init_cap(struct rig *r, llhttp_type_t type, size_t max_head,
    size_t out_cap)
{
	memset(r, 0, sizeof(*r));
	ASSERT_OK(tf_buf_init(&r->src, SRC_CAP));
	ASSERT_OK(tf_buf_init(&r->out, out_cap ? out_cap : OUT_CAP(max_head)));
	ASSERT_OK(tf_http_init(&r->h, type, &r->out, max_head));
	r->host = UPSTREAM_HOST;
	r->rw.route = route;
	r->rw.arg = r;
	r->rw.client_ip = CLIENT_IP;
	if (type == HTTP_REQUEST) {
		r->h.rw = &r->rw;
		r->h.info = &r->info;
	}
	r->got_cap = 4096;
	r->got = malloc(r->got_cap);
	ASSERT(r->got != NULL);
	r->got[0] = '\0';
}

static void
rig_init(struct rig *r, llhttp_type_t type, size_t max_head)
{
	rig_init_cap(r, type, max_head, 0);
}

/* A response parser, told what conn.c tells it about the request. */
static void
rig_response(struct rig *r, int is_head, int keep_alive, int http10,
    int upgrade)
{
	rig_init(r, HTTP_RESPONSE, MAX_HEAD);
	r->h.req_is_head = is_head;
	r->h.req_keep_alive = keep_alive;
	r->h.req_http10 = http10;
	r->h.req_upgrade = upgrade;
}

static void
rig_free(struct rig *r)
{
	tf_http_free(&r->h);
	tf_buf_free(&r->src);
	tf_buf_free(&r->out);
	free(r->got);
}

/* Feeds the parser as the connection does (tf_http_feed_buf(), which
 * aborts if a feed emits more than tf_http_out_need() said). Returns the
 * bytes consumed from the source. */
static size_t
parse_into(struct rig *r)
{
	uint64_t used = 0;

	tf_http_feed_buf(&r->h, &r->src, &used);
	return (size_t)used;
}

/* The writer: takes everything off the out buffer. */
static void
drain(struct rig *r)
{
	size_t n = tf_buf_len(&r->out);

	if (r->got_len + n + 1 > r->got_cap) {
		r->got_cap = (r->got_len + n + 1) * 2;
		r->got = realloc(r->got, r->got_cap);
		ASSERT(r->got != NULL);
	}
	memcpy(r->got + r->got_len, tf_buf_head(&r->out), n);
	r->got_len += n;
	r->got[r->got_len] = '\0';
	tf_buf_consume(&r->out, n);
}

/* Parses and writes until the parser can go no further. */
static void
rig_pump(struct rig *r)
{
	size_t used;

	do {
		used = parse_into(r);
		drain(r);
	} while (used > 0);
}

/*
 * The peer sends n bytes; they arrive in reads of at most step bytes,
 * each followed by a pump. Returns the bytes that found room in src (all
 * of them unless a message completed and what follows it fills src).
 */
static size_t
rig_send(struct rig *r, const char *p, size_t n, size_t step)
{
	size_t off = 0;

	while (off < n) {
		size_t k = n - off;

		if (k > step)
			k = step;
		if (k > tf_buf_space(&r->src))
			k = tf_buf_space(&r->src);
		if (k == 0)
			break;
		ASSERT_OK(tf_buf_append(&r->src, p + off, k));
		off += k;
		rig_pump(r);
	}
	return off;
}

#define SEND(r, lit) rig_send(r, lit, sizeof(lit) - 1, SIZE_MAX)

/* Forgets what was written so far. */
static void
rig_clear(struct rig *r)
{
	r->got_len = 0;
	r->got[0] = '\0';
}

/* conn.c after a DONE on a kept connection: the next message. */
static void
rig_next(struct rig *r)
{
	ASSERT_EQ(r->h.state, TF_HTTP_ST_DONE);
	tf_http_next(&r->h);
	rig_pump(r);
}

/* Asserts the state, and for ERROR the status and that why is set. */
static void
check_state(const struct rig *r, enum tf_http_state state, int status)
{
	ASSERT_EQ(r->h.state, state);
	if (state == TF_HTTP_ST_ERROR) {
		ASSERT_EQ(r->h.status, status);
		ASSERT(r->h.why != NULL);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Reads a chunked body as the proxy writes it (lower-case hex sizes, no
 * extensions, no trailers) from p, a NUL-ended string, into body. Returns
 * the bytes the body takes up, its last chunk included.
 */
static size_t
dechunk(const char *p, char *body, size_t cap, size_t *body_len)
{
	size_t off = 0, size;

	*body_len = 0;
	for (;;) {
		ASSERT(hexval(p[off]) >= 0);
		for (size = 0; hexval(p[off]) >= 0; off++)
			size = size * 16 + (size_t)hexval(p[off]);
		ASSERT(strncmp(p + off, "\r\n", 2) == 0);
		off += 2;
		if (size == 0)
			break;
		ASSERT(strlen(p + off) >= size + 2);
		ASSERT(*body_len + size <= cap);
		memcpy(body + *body_len, p + off, size);
		*body_len += size;
		off += size;
		ASSERT(strncmp(p + off, "\r\n", 2) == 0);
		off += 2;
	}
	ASSERT(strncmp(p + off, "\r\n", 2) == 0);
	return off + 2;
}

/*
 * Workers are threads, and each makes its own parsers: several threads
 * make parsers and feed them at the same moment. Whatever http1.c shares
 * between parsers must be safe for that. A plain build only checks the
 * output; a race shows under ThreadSanitizer, where a report makes the
 * test's process exit 66 (TSan's default exitcode), so the test fails.
 * From the top of a source tree that is not configured in place:
 *
 *   mkdir build-tsan && cd build-tsan &&
 *   ../configure CC=clang CFLAGS='-g -O1 -fsanitize=thread' \
 *       LDFLAGS=-fsanitize=thread &&
 *   make tests/unit/test-http1 &&
 *   TSAN_OPTIONS=exitcode=66 tests/unit/test-http1 parsers_in_threads
 */
#define NTHREADS 8

struct parser_thread {
	pthread_t tid;
	pthread_barrier_t *start;
	int wrong;              /* outputs that were not the expected ones */
};

static void *
parser_thread_main(void *arg)
{
	static const char req[] = "POST /ews/exchange.asmx HTTP/1.1\r\n"
	    "Host: mail.contoso.com\r\nContent-Length: 5\r\n\r\nhello";
	static const char req_want[] = "POST /ews/exchange.asmx HTTP/1.1\r\n"
	    "Host: " UPSTREAM_HOST "\r\nContent-Length: 5\r\n"
	    "X-Forwarded-For: " CLIENT_IP "\r\n"
	    "X-Forwarded-Proto: https\r\n\r\nhello";
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\nok";
	struct parser_thread *t = arg;
	struct rig *q, *s;

	q = malloc(sizeof(*q));
	s = malloc(sizeof(*s));
	ASSERT(q != NULL && s != NULL);
	pthread_barrier_wait(t->start);
	rig_init(q, HTTP_REQUEST, MAX_HEAD);
	rig_init(s, HTTP_RESPONSE, MAX_HEAD);
	s->h.req_keep_alive = 1;
	rig_send(q, req, sizeof(req) - 1, SIZE_MAX);
	rig_send(s, resp, sizeof(resp) - 1, SIZE_MAX);
	if (q->h.state != TF_HTTP_ST_DONE || strcmp(q->got, req_want) != 0)
		t->wrong++;
	if (s->h.state != TF_HTTP_ST_DONE || strcmp(s->got, resp) != 0)
		t->wrong++;
	rig_free(q);
	rig_free(s);
	free(q);
	free(s);
	return NULL;
}

/*
 * The barrier is waited on once. TSan sees a barrier as a release before
 * the wait and an acquire after it, on the barrier's address: waited on
 * again, a fast thread's next arrival would hand what it wrote since to
 * a slow thread still waking from the first wait, and the race between
 * them would go unseen.
 */
TEST(parsers_in_threads)
{
	struct parser_thread t[NTHREADS];
	pthread_barrier_t start;
	int i;

	ASSERT_OK(pthread_barrier_init(&start, NULL, NTHREADS));
	for (i = 0; i < NTHREADS; i++) {
		t[i].start = &start;
		t[i].wrong = 0;
		ASSERT_OK(pthread_create(&t[i].tid, NULL, parser_thread_main,
		    &t[i]));
	}
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_OK(pthread_join(t[i].tid, NULL));
		ASSERT_EQ(t[i].wrong, 0);
	}
	ASSERT_OK(pthread_barrier_destroy(&start));
}

/* The head a request gets after the client's fields. */
#define XF "X-Forwarded-For: " CLIENT_IP "\r\nX-Forwarded-Proto: https\r\n"

TEST(request_hop_by_hop_removed)
{
	struct rig r;

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "GET /owa/ HTTP/1.1\r\n"
	    "Host: mail.contoso.com\r\n"
	    "Connection: keep-alive, X-Secret,x-other\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "Proxy-Connection: keep-alive\r\n"
	    "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
	    "TE: trailers\r\n"
	    "Trailer: X-Checksum\r\n"
	    "x-secret: 1\r\n"
	    "User-Agent: Microsoft Office/16.0\r\n"
	    "X-Other: 2\r\n"
	    "Upgrade: h2c\r\n"
	    "Accept: */*\r\n"
	    "\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	/* Host first, then the client's end-to-end fields in their order,
	 * then X-Forwarded-*. An Upgrade without "Connection: upgrade" is
	 * no upgrade: dropped like any hop-by-hop field. */
	ASSERT_STR_EQ(r.got, "GET /owa/ HTTP/1.1\r\n"
	    "Host: " UPSTREAM_HOST "\r\n"
	    "User-Agent: Microsoft Office/16.0\r\n"
	    "Accept: */*\r\n"
	    XF "\r\n");
	ASSERT_EQ(r.h.upgrade, 0);
	ASSERT_EQ(r.routed, 1);
	ASSERT_STR_EQ(r.info.method, "GET");
	ASSERT_STR_EQ(r.info.host, "mail.contoso.com");
	ASSERT_STR_EQ(r.info.path, "/owa/");
	ASSERT_STR_EQ(r.info.user_agent, "Microsoft Office/16.0");
	ASSERT_EQ(r.info.has_host, 1);
	ASSERT_EQ(r.info.keep_alive, 1);
	ASSERT_EQ(r.info.is_head, 0);
	rig_free(&r);
}

TEST(response_hop_by_hop_removed)
{
	struct rig r;

	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 200 OK\r\n"
	    "Connection: keep-alive, X-Backend\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "X-Backend: srv1\r\n"
	    "Proxy-Authenticate: Basic\r\n"
	    "Proxy-Connection: keep-alive\r\n"
	    "Trailer: X-Checksum\r\n"
	    "Upgrade: h2\r\n"
	    "Content-Length: 2\r\n"
	    "Server: Microsoft-IIS/10.0\r\n"
	    "\r\nok");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "Server: Microsoft-IIS/10.0\r\n"
	    "\r\nok");
	ASSERT_EQ(r.h.close_after, 0);
	rig_free(&r);
}

/* The response's 401 challenges with a scheme that binds to the
 * connection (NTLM, Negotiate), or not. */
static int
challenge_binds(const char *head)
{
	struct rig r;
	int v;

	rig_response(&r, 0, 1, 0, 0);
	rig_send(&r, head, strlen(head), SIZE_MAX);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	v = r.h.conn_auth;
	rig_free(&r);
	return v;
}

/* Whether a request head's credentials bind its connection. */
static int
credentials_bind(const char *head)
{
	struct rig r;
	int v;

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	rig_send(&r, head, strlen(head), SIZE_MAX);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	v = r.info.conn_auth;
	rig_free(&r);
	return v;
}

TEST(connection_bound_auth)
{
	static const char *const binds[] = {
		"WWW-Authenticate: NTLM\r\n",
		"WWW-Authenticate: negotiate\r\n",
		"WWW-Authenticate: NTLM TlRMTVNTUAACAAAADAAMADgAAAA=\r\n",
		/* Two fields, the second binding. */
		("WWW-Authenticate: Basic realm=\"x\"\r\n"
		    "WWW-Authenticate: Negotiate\r\n"),
		"WWW-Authenticate: Basic realm=x, NTLM\r\n",
	};
	static const char *const not_binds[] = {
		"",
		"WWW-Authenticate: Basic realm=\"contoso\"\r\n",
		"WWW-Authenticate: Bearer, NTLMish\r\n",
		"X-Note: NTLM\r\n",
	};
	char head[512];
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(binds); i++) {
		snprintf(head, sizeof(head), "HTTP/1.1 401 Unauthorized\r\n"
		    "%sContent-Length: 0\r\n\r\n", binds[i]);
		ASSERT_EQ(challenge_binds(head), 1);
		/* Only a 401 challenges. */
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "%sContent-Length: 0\r\n\r\n", binds[i]);
		ASSERT_EQ(challenge_binds(head), 0);
	}
	for (i = 0; i < TF_ARRAY_SIZE(not_binds); i++) {
		snprintf(head, sizeof(head), "HTTP/1.1 401 Unauthorized\r\n"
		    "%sContent-Length: 0\r\n\r\n", not_binds[i]);
		ASSERT_EQ(challenge_binds(head), 0);
	}

	/* A client's credentials: NTLM and Negotiate bind, Basic does not. */
	ASSERT_EQ(credentials_bind("GET /a HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu\r\n\r\n"),
	    1);
	ASSERT_EQ(credentials_bind("GET /b HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Basic dTpw\r\n\r\n"), 0);
}

TEST(x_forwarded_for_appended)
{
	struct rig r;

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X-Forwarded-For: 203.0.113.7\r\n"
	    "X-Forwarded-Proto: http\r\n"
	    "X-Forwarded-For: 198.51.100.1, 10.0.0.1\r\n"
	    "\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	/* One field: the client's list, in order, then the client. The
	 * client's X-Forwarded-Proto is replaced. */
	ASSERT_STR_EQ(r.got, "GET / HTTP/1.1\r\nHost: " UPSTREAM_HOST "\r\n"
	    "X-Forwarded-For: 203.0.113.7, 198.51.100.1, 10.0.0.1, "
	    CLIENT_IP "\r\n"
	    "X-Forwarded-Proto: https\r\n\r\n");
	rig_free(&r);

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	r.rw.client_ip = "2001:db8::7";
	SEND(&r, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	ASSERT_STR_EQ(r.got, "GET / HTTP/1.1\r\nHost: " UPSTREAM_HOST "\r\n"
	    "X-Forwarded-For: 2001:db8::7\r\n"
	    "X-Forwarded-Proto: https\r\n\r\n");
	rig_free(&r);

	/* Eight X-Forwarded-For fields are kept; a ninth is refused. */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X-Forwarded-For: 1\r\nX-Forwarded-For: 2\r\n"
	    "X-Forwarded-For: 3\r\nX-Forwarded-For: 4\r\n"
	    "X-Forwarded-For: 5\r\nX-Forwarded-For: 6\r\n"
	    "X-Forwarded-For: 7\r\nX-Forwarded-For: 8\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT(strstr(r.got, "X-Forwarded-For: 1, 2, 3, 4, 5, 6, 7, 8, "
	    CLIENT_IP "\r\n") != NULL);
	rig_free(&r);
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X-Forwarded-For: 1\r\nX-Forwarded-For: 2\r\n"
	    "X-Forwarded-For: 3\r\nX-Forwarded-For: 4\r\n"
	    "X-Forwarded-For: 5\r\nX-Forwarded-For: 6\r\n"
	    "X-Forwarded-For: 7\r\nX-Forwarded-For: 8\r\n"
	    "X-Forwarded-For: 9\r\n\r\n");
	check_state(&r, TF_HTTP_ST_ERROR, 400);
	/* This one is found while the head is written out, so its start is
	 * in the out buffer; conn.c never sends it: an error closes the
	 * upstream leg, which empties that buffer. */
	ASSERT(strstr(r.got, "\r\n\r\n") == NULL);
	rig_free(&r);
}

TEST(host_rewritten_or_kept)
{
	struct rig r;

	/* The route callback names the upstream's Host. */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	r.host = "autodiscover-s.outlook.com";
	SEND(&r, "GET /autodiscover/autodiscover.xml HTTP/1.1\r\n"
	    "Accept: */*\r\nHost: autodiscover.contoso.com\r\n\r\n");
	ASSERT_STR_EQ(r.got, "GET /autodiscover/autodiscover.xml HTTP/1.1\r\n"
	    "Host: autodiscover-s.outlook.com\r\nAccept: */*\r\n" XF "\r\n");
	ASSERT_STR_EQ(r.info.host, "autodiscover.contoso.com");
	rig_free(&r);

	/* preserve-host: the route callback answers NULL, the client's
	 * Host goes on, moved to the front. */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	r.host = NULL;
	SEND(&r, "GET / HTTP/1.1\r\nAccept: */*\r\n"
	    "Host: mail.contoso.com:443\r\n\r\n");
	ASSERT_STR_EQ(r.got, "GET / HTTP/1.1\r\n"
	    "Host: mail.contoso.com:443\r\nAccept: */*\r\n" XF "\r\n");
	rig_free(&r);

	/* HTTP/1.0 may come without Host: none is made up, unless the
	 * route names one. Either way it goes on as HTTP/1.1. */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	r.host = NULL;
	SEND(&r, "GET / HTTP/1.0\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "GET / HTTP/1.1\r\n" XF "\r\n");
	ASSERT_EQ(r.info.has_host, 0);
	ASSERT_EQ(r.info.http10, 1);
	rig_free(&r);
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "GET / HTTP/1.0\r\n\r\n");
	ASSERT_STR_EQ(r.got, "GET / HTTP/1.1\r\nHost: " UPSTREAM_HOST "\r\n"
	    XF "\r\n");
	rig_free(&r);
}

/*
 * A Host that is kept goes on as the client sent it, however long: a
 * 253-character name (the longest DNS allows) and a port are longer than
 * the bounded copy the access record and the route callback get.
 */
TEST(long_host_kept_whole)
{
	char host[300], in[512], want[512];
	struct rig r;
	size_t k;
	int n;

	for (k = 0; k < 253; k++)
		host[k] = k % 64 == 63 ? '.' : (char)('a' + k % 26);
	memcpy(host + 253, ":8443", 6);
	n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
	    host);
	ASSERT(n > 0 && (size_t)n < sizeof(in));
	snprintf(want, sizeof(want), "GET / HTTP/1.1\r\nHost: %s\r\n" XF
	    "\r\n", host);
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	r.host = NULL;
	rig_send(&r, in, (size_t)n, SIZE_MAX);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, want);
	ASSERT_EQ(strlen(r.info.host), sizeof(r.info.host) - 1);
	rig_free(&r);
}

TEST(route_refuses_421)
{
	struct rig r;

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	r.refuse = 1;
	SEND(&r, "GET / HTTP/1.1\r\nHost: other.fabrikam.com\r\n\r\n");
	check_state(&r, TF_HTTP_ST_ERROR, 421);
	ASSERT_EQ(r.routed, 1);
	/* Nothing of the refused request goes on. */
	ASSERT_STR_EQ(r.got, "");
	ASSERT_STR_EQ(r.info.host, "other.fabrikam.com");
	rig_free(&r);
}

#define CHUNKED_HEAD "POST /EWS/Exchange.asmx HTTP/1.1\r\n" \
	"Host: mail.contoso.com\r\nTransfer-Encoding: chunked\r\n" \
	"Content-Type: text/xml\r\n\r\n"
#define CHUNKED_BODY "5;name=value\r\nhello\r\n" \
	"6;a=1;b=\"x;y\"\r\n world\r\n" \
	"000A\r\n, chunked.\r\n" \
	"0;last\r\nX-Checksum: 1\r\n\r\n"
#define CHUNKED_HEAD_OUT "POST /EWS/Exchange.asmx HTTP/1.1\r\n" \
	"Host: " UPSTREAM_HOST "\r\nContent-Type: text/xml\r\n" XF \
	"Transfer-Encoding: chunked\r\n\r\n"

TEST(chunked_rechunked)
{
	static const char in[] = CHUNKED_HEAD CHUNKED_BODY
	    "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	char copy[sizeof(in)], body[64];
	struct rig r;
	size_t step, body_len, head_len = strlen(CHUNKED_HEAD_OUT);

	/* All at once: one chunk for each, extensions and trailers gone. */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	memcpy(copy, in, sizeof(in));
	ASSERT_EQ(rig_send(&r, copy, sizeof(in) - 1, SIZE_MAX),
	    sizeof(in) - 1);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, CHUNKED_HEAD_OUT
	    "5\r\nhello\r\n6\r\n world\r\na\r\n, chunked.\r\n0\r\n\r\n");
	ASSERT_EQ(r.h.body_bytes, 21);
	ASSERT_EQ(r.info.keep_alive, 1);
	/* The next request is left where it was. */
	ASSERT_EQ(tf_buf_len(&r.src), 31);
	rig_clear(&r);
	rig_next(&r);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "GET /next HTTP/1.1\r\nHost: " UPSTREAM_HOST
	    "\r\n" XF "\r\n");
	rig_free(&r);

	/* In pieces of any size: chunks follow the pieces, but the head
	 * is the same and the body decodes to the same bytes. */
	for (step = 1; step <= sizeof(in); step++) {
		rig_init(&r, HTTP_REQUEST, MAX_HEAD);
		memcpy(copy, in, sizeof(in));
		rig_send(&r, copy, sizeof(in) - 1, step);
		check_state(&r, TF_HTTP_ST_DONE, 0);
		ASSERT(strncmp(r.got, CHUNKED_HEAD_OUT, head_len) == 0);
		ASSERT_EQ(dechunk(r.got + head_len, body, sizeof(body),
		    &body_len), r.got_len - head_len);
		ASSERT_EQ(body_len, 21);
		ASSERT(memcmp(body, "hello world, chunked.", 21) == 0);
		ASSERT_EQ(r.h.body_bytes, 21);
		rig_clear(&r);
		rig_next(&r);
		ASSERT_STR_EQ(r.got, "GET /next HTTP/1.1\r\nHost: "
		    UPSTREAM_HOST "\r\n" XF "\r\n");
		rig_free(&r);
	}
}

TEST(chunked_response)
{
	struct rig r;

	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Type: text/html\r\n\r\n"
	    "4;ext\r\nWiki\r\n0\r\nExpires: never\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n");
	ASSERT_EQ(r.h.close_after, 0);
	rig_free(&r);
}

TEST(content_length_in_pieces)
{
	static const char in[] = "PUT /dav/file HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz"
	    "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char want[] = "PUT /dav/file HTTP/1.1\r\n"
	    "Host: " UPSTREAM_HOST "\r\nContent-Length: 26\r\n" XF "\r\n"
	    "abcdefghijklmnopqrstuvwxyz";
	static const char want_next[] = "GET /next HTTP/1.1\r\n"
	    "Host: " UPSTREAM_HOST "\r\n" XF "\r\n";
	struct rig r;
	size_t step;

	/* One byte at a time, and every size up to all at once, give the
	 * same bytes: the body is passed through as it arrives. */
	for (step = 1; step <= sizeof(in); step++) {
		rig_init(&r, HTTP_REQUEST, MAX_HEAD);
		rig_send(&r, in, sizeof(in) - 1, step);
		check_state(&r, TF_HTTP_ST_DONE, 0);
		ASSERT_STR_EQ(r.got, want);
		ASSERT_EQ(r.h.body_bytes, 26);
		rig_clear(&r);
		rig_next(&r);
		check_state(&r, TF_HTTP_ST_DONE, 0);
		ASSERT_STR_EQ(r.got, want_next);
		rig_free(&r);
	}
}

TEST(content_length_streamed)
{
	static const char head[] = "RPC_IN_DATA /rpc/rpcproxy.dll HTTP/1.1\r\n"
	    "Host: h\r\nContent-Length: 1048576\r\n\r\n";
	size_t len = 1048576, i, head_len;
	struct rig r;
	char *body;

	body = malloc(len);
	ASSERT(body != NULL);
	for (i = 0; i < len; i++)
		body[i] = (char)('a' + i % 23);
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	rig_send(&r, head, strlen(head), SIZE_MAX);
	check_state(&r, TF_HTTP_ST_BODY, 0);
	head_len = r.got_len;
	/* A mebibyte through a 16 KiB source buffer: it streams, in reads
	 * of an odd size. */
	ASSERT_EQ(rig_send(&r, body, len, 1000), len);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_EQ(r.h.body_bytes, len);
	ASSERT_EQ(r.got_len, head_len + len);
	ASSERT(memcmp(r.got + head_len, body, len) == 0);
	ASSERT_STR_EQ(r.info.method, "RPC_IN_DATA");
	rig_free(&r);
	free(body);
}

TEST(unknown_method_passed_through)
{
	static const char in[] = "RPC_OUT_DATA /rpc/rpcproxy.dll?"
	    "mail.contoso.com:6001 HTTP/1.1\r\nHost: mail.contoso.com\r\n"
	    "Content-Length: 5\r\n\r\nhello";
	static const char want[] = "RPC_OUT_DATA /rpc/rpcproxy.dll?"
	    "mail.contoso.com:6001 HTTP/1.1\r\nHost: " UPSTREAM_HOST "\r\n"
	    "Content-Length: 5\r\n" XF "\r\nhello";
	struct rig r;
	size_t step;

	for (step = 1; step <= sizeof(in); step++) {
		rig_init(&r, HTTP_REQUEST, MAX_HEAD);
		rig_send(&r, in, sizeof(in) - 1, step);
		check_state(&r, TF_HTTP_ST_DONE, 0);
		ASSERT_STR_EQ(r.got, want);
		ASSERT_STR_EQ(r.info.method, "RPC_OUT_DATA");
		rig_free(&r);
	}
}

TEST(head_response_without_body)
{
	struct rig r;

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "HEAD /owa/ HTTP/1.1\r\nHost: h\r\n\r\n");
	ASSERT_EQ(r.info.is_head, 1);
	rig_free(&r);

	/* Its Content-Length describes the GET: no body follows, and the
	 * next response is not taken for one. */
	rig_response(&r, 1, 1, 0, 0);
	SEND(&r, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n"
	    "Content-Type: text/html\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n"
	    "Content-Type: text/html\r\n\r\n");
	ASSERT_EQ(tf_buf_len(&r.src), 40);
	ASSERT_EQ(r.h.body_bytes, 0);
	rig_free(&r);

	/* Nor does a chunked one, and its Transfer-Encoding is not sent. */
	rig_response(&r, 1, 1, 0, 0);
	SEND(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\n\r\n");
	rig_free(&r);

	/* 204 and 304 have no body whatever the request. */
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 204 No Content\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 204 No Content\r\n\r\n");
	rig_free(&r);
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n"
	    "ETag: \"1\"\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50"
	    "\r\nETag: \"1\"\r\n\r\n");
	rig_free(&r);
}

TEST(expect_100_continue)
{
	struct rig r;

	/* The head goes on before the body arrives: the origin is the one
	 * to answer 100 (or a final status). */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "POST /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: h\r\n"
	    "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
	check_state(&r, TF_HTTP_ST_BODY, 0);
	ASSERT_STR_EQ(r.got, "POST /Microsoft-Server-ActiveSync HTTP/1.1\r\n"
	    "Host: " UPSTREAM_HOST "\r\nExpect: 100-continue\r\n"
	    "Content-Length: 4\r\n" XF "\r\n");
	SEND(&r, "data");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	rig_free(&r);

	/* The 100 goes back as soon as it is read, then the final one. */
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 100 Continue\r\n\r\n");
	check_state(&r, TF_HTTP_ST_HEAD, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 100 Continue\r\n\r\n");
	SEND(&r, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	rig_free(&r);
}

TEST(informational_responses)
{
	struct rig r;

	/* Several 1xx and the final one in one read; a 1xx never has a
	 * body, even with a Content-Length. */
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 102 Processing\r\nContent-Length: 5\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 102 Processing\r\nContent-Length: 5"
	    "\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	ASSERT_EQ(r.h.parser.status_code, 200);
	rig_free(&r);
}

TEST(upgrade_and_101)
{
	struct rig r;

	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "GET /owa/ws HTTP/1.1\r\nHost: mail.contoso.com\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n\x81\x05hello");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_EQ(r.h.upgrade, 1);
	ASSERT_STR_EQ(r.got, "GET /owa/ws HTTP/1.1\r\n"
	    "Host: " UPSTREAM_HOST "\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n" XF
	    "Connection: Upgrade\r\n\r\n");
	/* The first frame is the tunnel's, not the parser's. */
	ASSERT_EQ(tf_buf_len(&r.src), 7);
	rig_free(&r);

	rig_response(&r, 0, 1, 0, 1);
	SEND(&r, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	    "\x81\x02hi");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_EQ(r.h.upgrade, 1);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Connection: Upgrade\r\n\r\n");
	ASSERT_EQ(tf_buf_len(&r.src), 4);
	rig_free(&r);

	/* A 101 the request did not ask for is a bad response. */
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n");
	check_state(&r, TF_HTTP_ST_ERROR, 502);
	ASSERT_STR_EQ(r.got, "");
	rig_free(&r);

	/* The origin may refuse the upgrade with a normal response. */
	rig_response(&r, 0, 1, 0, 1);
	SEND(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_EQ(r.h.upgrade, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
	rig_free(&r);

	/* CONNECT is not proxied. */
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	SEND(&r, "CONNECT mail.contoso.com:443 HTTP/1.1\r\n"
	    "Host: mail.contoso.com:443\r\n\r\n");
	check_state(&r, TF_HTTP_ST_ERROR, 501);
	ASSERT_STR_EQ(r.got, "");
	rig_free(&r);
}

TEST(read_to_close)
{
	struct rig r;

	/* No length: the body ends when the origin closes, so the client
	 * connection must close after it too. */
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ");
	check_state(&r, TF_HTTP_ST_BODY, 0);
	SEND(&r, "data");
	check_state(&r, TF_HTTP_ST_BODY, 0);
	ASSERT_EQ(r.h.close_after, 1);
	ASSERT_OK(tf_http_finish(&r.h));
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Connection: close\r\n\r\nsome data");
	ASSERT_EQ(r.h.body_bytes, 9);
	/* Finishing what is complete changes nothing. */
	ASSERT_OK(tf_http_finish(&r.h));
	rig_free(&r);

	/* A coding other than chunked, last: read to close as well, and
	 * the coding goes on named. */
	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b");
	check_state(&r, TF_HTTP_ST_BODY, 0);
	ASSERT_OK(tf_http_finish(&r.h));
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
	    "Connection: close\r\n\r\n\x1f\x8b");
	rig_free(&r);
}

TEST(cut_response_refused)
{
	static const char *const cut[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5\r\nab",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5\r\nhello\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "0\r\n",
		"HTTP/1.1 200 OK\r\nContent-Le",
		"",
	};
	struct rig r;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(cut); i++) {
		rig_response(&r, 0, 1, 0, 0);
		rig_send(&r, cut[i], strlen(cut[i]), SIZE_MAX);
		if (tf_http_finish(&r.h) != -1)
			TEST_FAIL("finished a cut response: %s", cut[i]);
		ASSERT(r.h.state != TF_HTTP_ST_DONE);
		rig_free(&r);
	}
}

TEST(keep_alive_decisions)
{
	static const struct {
		const char *in;
		int keep_alive, http10;
	} req[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1, 0 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		    0, 0 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Close, TE\r\n\r\n",
		    0, 0 },
		{ "GET / HTTP/1.0\r\n\r\n", 0, 1 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1, 1 },
	};
	static const struct {
		int keep_alive, http10;
		const char *in, *want;
		int close_after, upstream_keep;
	} resp[] = {
		{ 1, 0, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 1 },
		{ 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n", 1, 1 },
		{ 1, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
		    "Connection: keep-alive\r\n\r\n", 0, 1 },
		{ 0, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n", 1, 1 },
		/* The origin closing its leg does not close the client's:
		 * conn.c takes another upstream connection. */
		{ 1, 0, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
		    "Content-Length: 0\r\n\r\n",
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ 1, 0, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
		    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 0 },
	};
	struct rig r;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(req); i++) {
		rig_init(&r, HTTP_REQUEST, MAX_HEAD);
		rig_send(&r, req[i].in, strlen(req[i].in), SIZE_MAX);
		check_state(&r, TF_HTTP_ST_DONE, 0);
		if (r.info.keep_alive != req[i].keep_alive ||
		    r.info.http10 != req[i].http10)
			TEST_FAIL("keep_alive %d http10 %d for %s",
			    r.info.keep_alive, r.info.http10, req[i].in);
		/* Connection is this hop's; none goes on. */
		ASSERT(strstr(r.got, "Connection") == NULL);
		ASSERT(strstr(r.got, "TE:") == NULL);
		rig_free(&r);
	}
	for (i = 0; i < TF_ARRAY_SIZE(resp); i++) {
		rig_response(&r, 0, resp[i].keep_alive, resp[i].http10, 0);
		rig_send(&r, resp[i].in, strlen(resp[i].in), SIZE_MAX);
		check_state(&r, TF_HTTP_ST_DONE, 0);
		ASSERT_STR_EQ(r.got, resp[i].want);
		ASSERT_EQ(r.h.close_after, resp[i].close_after);
		ASSERT_EQ(llhttp_should_keep_alive(&r.h.parser),
		    resp[i].upstream_keep);
		rig_free(&r);
	}
}

/* Sends in to a fresh request parser, one byte at a time, in pieces
 * and all at once: each must refuse it with status, forwarding nothing. */
static void
check_refused_why(const char *in, size_t n, size_t max_head, int status,
    const char *why)
{
	static const size_t steps[] = { 1, 7, SIZE_MAX };
	struct rig r;
	size_t i, step;

	for (i = 0; i < TF_ARRAY_SIZE(steps); i++) {
		step = steps[i];
		rig_init(&r, HTTP_REQUEST, max_head);
		rig_send(&r, in, n, step);
		if (r.h.state != TF_HTTP_ST_ERROR || r.h.status != status)
			TEST_FAIL("state %d status %d, expected %d, in steps "
			    "of %zu for: %s", (int)r.h.state, r.h.status,
			    status, step, in);
		ASSERT(r.h.why != NULL);
		if (why != NULL)
			ASSERT_STR_EQ(r.h.why, why);
		if (r.got_len != 0)
			TEST_FAIL("forwarded \"%s\" for: %s", r.got, in);
		rig_free(&r);
	}
}

static void
check_refused(const char *in, size_t n, size_t max_head, int status)
{
	check_refused_why(in, n, max_head, status, NULL);
}

#define REFUSED(lit, status) \
	check_refused(lit, sizeof(lit) - 1, MAX_HEAD, status)
#define REFUSED_WHY(lit, status, why) \
	check_refused_why(lit, sizeof(lit) - 1, MAX_HEAD, status, why)

TEST(ambiguous_framing_refused)
{
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n0\r\n\r\n", 400);
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nab", 400);
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n"
	    "ab", 400);
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12a\r\n\r\n",
	    400);
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n"
	    "\r\n", 400);
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n", 400);
	/* Dropping a framing field named in Connection would let the next
	 * hop read the body as a request. */
	REFUSED("POST / HTTP/1.1\r\nHost: h\r\nConnection: Content-Length\r\n"
	    "Content-Length: 5\r\n\r\nhello", 400);
	REFUSED("GET / HTTP/1.1\r\nHost: h\r\nConnection: host\r\n\r\n", 400);
	REFUSED("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", 400);
	REFUSED("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", 400);
}

TEST(malformed_head_refused)
{
	/* llhttp 8.1 takes some of these even in strict mode (a bare LF
	 * ending the head, for one); the raw scan of the head finds them
	 * all before llhttp reads them. */
	REFUSED_WHY("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: a\r\n folded\r\n"
	    "\r\n", 400, "obsolete line folding in the head");
	REFUSED_WHY("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: a\r\n\tfolded\r\n"
	    "\r\n", 400, "obsolete line folding in the head");
	REFUSED_WHY("GET / HTTP/1.1\nHost: h\n\n", 400, "bare LF in the head");
	REFUSED_WHY("GET / HTTP/1.1\r\nHost: h\r\n\n", 400,
	    "bare LF in the head");
	REFUSED_WHY("GET / HTTP/1.1\r\nX-Pad: a\nHost: h\r\n\r\n", 400,
	    "bare LF in the head");
	REFUSED_WHY("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", 400,
	    "empty header field name");
	REFUSED("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: a\rX: b\r\n\r\n", 400);
	REFUSED("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400);
	REFUSED("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: a\0b\r\n\r\n", 400);
	REFUSED("GET / HTTP/9.1\r\nHost: h\r\n\r\n", 400);
	/* A request line without a version is HTTP/0.9 to llhttp, which
	 * then reads fields after it: it would go out as HTTP/1.1 (found by
	 * fuzz-http1 with PRI, whose HTTP/1.1 form the next hop refuses). */
	REFUSED_WHY("GET /\r\nHost: h\r\n\r\n", 400,
	    "not an HTTP/1.x request");
	REFUSED_WHY("PRI c://o/ak/1.1\r\nHost: i\r\n\r\n", 400,
	    "not an HTTP/1.x request");
	REFUSED_WHY("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505,
	    "not an HTTP/1.x request");
	REFUSED("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
}

TEST(oversize_head_431)
{
	char in[2048];
	int n;

	/* The head store holds 1024 bytes: the request is refused once it
	 * grows past them. */
	n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X-Pad: %01100d\r\n\r\n", 0);
	ASSERT(n > 0 && (size_t)n < sizeof(in));
	check_refused(in, (size_t)n, 1024, 431);
	/* The same URL or field name. */
	n = snprintf(in, sizeof(in), "GET /%01100d HTTP/1.1\r\nHost: h\r\n"
	    "\r\n", 0);
	check_refused(in, (size_t)n, 1024, 431);
	n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X%01100d: 1\r\n\r\n", 0);
	check_refused(in, (size_t)n, 1024, 431);
}

TEST(oversize_response_head_502)
{
	char in[2048];
	struct rig r;
	int n;

	n = snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n"
	    "Set-Cookie: %01100d\r\nContent-Length: 0\r\n\r\n", 0);
	ASSERT(n > 0 && (size_t)n < sizeof(in));
	rig_init(&r, HTTP_RESPONSE, 1024);
	r.h.req_keep_alive = 1;
	rig_send(&r, in, (size_t)n, SIZE_MAX);
	check_state(&r, TF_HTTP_ST_ERROR, 502);
	ASSERT_STR_EQ(r.got, "");
	rig_free(&r);
}

/* Writes a request head with nfields fields (Host included) into in. */
static size_t
many_fields(char *in, size_t cap, int nfields)
{
	size_t n;
	int i;

	n = (size_t)snprintf(in, cap, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 1; i < nfields; i++)
		n += (size_t)snprintf(in + n, cap - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(in + n, cap - n, "\r\n");
	ASSERT(n < cap);
	return n;
}

TEST(too_many_fields)
{
	char in[4096];
	struct rig r;
	size_t n;

	n = many_fields(in, sizeof(in), TF_HTTP_MAX_FIELDS);
	rig_init(&r, HTTP_REQUEST, MAX_HEAD);
	rig_send(&r, in, n, SIZE_MAX);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT(strstr(r.got, "X-127: v\r\n" XF "\r\n") != NULL);
	rig_free(&r);

	n = many_fields(in, sizeof(in), TF_HTTP_MAX_FIELDS + 1);
	check_refused(in, n, MAX_HEAD, 431);
}

TEST(bad_chunking)
{
	static const char *const bad[] = {
		"zz\r\nhello\r\n0\r\n\r\n",
		"\r\nhello\r\n0\r\n\r\n",
		"ffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
		"5\nhello\r\n0\r\n\r\n",
		"5\r\nhelloX0\r\n\r\n",
		"5\r\nhello\r\n-1\r\n\r\n",
		"5 \r\nhello\r\n0\r\n\r\n",
		"5;\x01\r\nhello\r\n0\r\n\r\n",
	};
	static const char head[] = "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	static const char rhead[] = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	char copy[64];
	struct rig r;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(bad); i++) {
		/* The head has gone on already; the body stops at the
		 * error, and the connection with it. */
		rig_init(&r, HTTP_REQUEST, MAX_HEAD);
		SEND(&r, head);
		check_state(&r, TF_HTTP_ST_BODY, 0);
		strcpy(copy, bad[i]);
		rig_send(&r, copy, strlen(copy), SIZE_MAX);
		if (r.h.state != TF_HTTP_ST_ERROR || r.h.status != 400)
			TEST_FAIL("request: state %d status %d for %s",
			    (int)r.h.state, r.h.status, bad[i]);
		rig_free(&r);

		rig_response(&r, 0, 1, 0, 0);
		SEND(&r, rhead);
		strcpy(copy, bad[i]);
		rig_send(&r, copy, strlen(copy), SIZE_MAX);
		if (r.h.state != TF_HTTP_ST_ERROR || r.h.status != 502)
			TEST_FAIL("response: state %d status %d for %s",
			    (int)r.h.state, r.h.status, bad[i]);
		rig_free(&r);
	}
}

TEST(reset_after_error)
{
	struct rig r;

	rig_response(&r, 0, 1, 0, 0);
	SEND(&r, "HTTP/1.1 20 X\r\n\r\n");
	check_state(&r, TF_HTTP_ST_ERROR, 502);
	/* A new upstream connection: the same parser starts over. */
	tf_buf_consume(&r.src, tf_buf_len(&r.src));
	tf_http_reset(&r.h);
	SEND(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_STR_EQ(r.got, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	rig_free(&r);
}

/*
 * An out buffer with exactly the room tf_http_out_need() asks for to feed
 * n bytes: no feed is larger, and none has room to spare. A request's
 * first feed must hold its method and the blank after it (ext_method()
 * waits for them, up to 32 bytes), so requests get 32, responses 1.
 */
static size_t
tight_cap(llhttp_type_t type, size_t max_head)
{
	struct rig probe;
	size_t cap;

	rig_init(&probe, type, max_head);
	cap = tf_http_out_need(&probe.h, type == HTTP_REQUEST ? 32 : 1);
	rig_free(&probe);
	return cap;
}

/* Appends n copies of the string s at *len. */
static void
repeat(char *in, size_t cap, size_t *len, const char *s, size_t n)
{
	size_t k = strlen(s);

	ASSERT(*len + n * k < cap);
	while (n-- > 0) {
		memcpy(in + *len, s, k);
		*len += k;
	}
	in[*len] = '\0';
}

/*
 * tf_http_out_need()'s bound, with no slack from the out buffer: heads
 * made as large as the rewrite can make them (the store full, every
 * field as short as can be, the longest Host, client address and
 * X-Forwarded-For list), and bodies of one-byte chunks. emit() aborts on
 * an overflow; tf_http_feed_buf() checks each feed.
 */
TEST(out_need_bound_tight)
{
	char in[8192], host[300], body[128];
	struct rig r;
	size_t n, k, body_len;

	for (k = 0; k < 253; k++)
		host[k] = k % 64 == 63 ? '.' : (char)('a' + k % 26);
	memcpy(host + 253, ":65535", 7);

	/* A request: the store holds the path, names and values; 283 of
	 * its 1024 bytes are fields, 11 of them long, 117 one letter. */
	n = 0;
	repeat(in, sizeof(in), &n, "RPC_IN_DATA /", 1);
	repeat(in, sizeof(in), &n, "p", 1024 - 283 - 1);
	repeat(in, sizeof(in), &n, " HTTP/1.1\r\nHost: h\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n", 1);
	repeat(in, sizeof(in), &n, "X-Forwarded-For: 1\r\n", 8);
	repeat(in, sizeof(in), &n, "a:\r\n", TF_HTTP_MAX_FIELDS - 11);
	repeat(in, sizeof(in), &n, "\r\n", 1);
	rig_init_cap(&r, HTTP_REQUEST, 1024, tight_cap(HTTP_REQUEST, 1024));
	r.host = host;
	r.rw.client_ip = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
	ASSERT_EQ(rig_send(&r, in, n, SIZE_MAX), n);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	ASSERT_EQ(r.h.store_len, 1024);
	ASSERT_EQ(r.h.nfields, TF_HTTP_MAX_FIELDS);
	ASSERT(strstr(r.got, "X-Forwarded-For: 1, 1, 1, 1, 1, 1, 1, 1, "
	    "ffff:") != NULL);
	ASSERT(strstr(r.got, "\r\nConnection: Upgrade\r\n\r\n") != NULL);
	rig_free(&r);

	/* A response, read to close: the reason phrase fills the store. */
	n = 0;
	repeat(in, sizeof(in), &n, "HTTP/1.1 200 ", 1);
	repeat(in, sizeof(in), &n, "r", 1024 - 148);
	repeat(in, sizeof(in), &n, "\r\nTransfer-Encoding: gzip\r\n", 1);
	repeat(in, sizeof(in), &n, "a:\r\n", TF_HTTP_MAX_FIELDS - 1);
	repeat(in, sizeof(in), &n, "\r\nabc", 1);
	rig_init_cap(&r, HTTP_RESPONSE, 1024,
	    tight_cap(HTTP_RESPONSE, 1024));
	r.h.req_keep_alive = 1;
	r.h.req_http10 = 1;
	ASSERT_EQ(rig_send(&r, in, n, SIZE_MAX), n);
	check_state(&r, TF_HTTP_ST_BODY, 0);
	ASSERT_EQ(r.h.store_len, 1024);
	ASSERT_OK(tf_http_finish(&r.h));
	drain(&r);
	ASSERT(strstr(r.got, "a: \r\nTransfer-Encoding: gzip\r\n"
	    "Connection: close\r\n\r\nabc") != NULL);
	rig_free(&r);

	/* A chunked body: one-byte chunks, with extensions, each fed a
	 * byte at a time, each emitted with its own framing. */
	n = 0;
	repeat(in, sizeof(in), &n, "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 1);
	k = n;
	repeat(in, sizeof(in), &n, "1;ext=val\r\nz\r\n", 100);
	repeat(in, sizeof(in), &n, "0\r\n\r\n", 1);
	rig_init_cap(&r, HTTP_REQUEST, 1024, tight_cap(HTTP_REQUEST, 1024));
	ASSERT_EQ(rig_send(&r, in, n, SIZE_MAX), n);
	check_state(&r, TF_HTTP_ST_DONE, 0);
	k = strstr(r.got, "\r\n\r\n") + 4 - r.got;
	ASSERT_EQ(dechunk(r.got + k, body, sizeof(body), &body_len),
	    r.got_len - k);
	ASSERT_EQ(body_len, 100);
	rig_free(&r);
}

/*
 * A Content-Length body read straight into the out buffer
 * (tf_http_feed_direct) comes out as it would through the source buffer,
 * and the message ends where its length says. Chunked and read-to-close
 * bodies are not taken that way.
 */
TEST(direct_body)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n";
	struct tf_buf src, out;
	struct tf_http h;
	uint64_t used = 0;
	size_t room, sent = 0, i;
	char body[10000];

	for (i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	ASSERT_OK(tf_buf_init(&src, 4096));
	ASSERT_OK(tf_buf_init(&out, 65536 + 8192 + 16384));
	ASSERT_OK(tf_http_init(&h, HTTP_RESPONSE, &out, 65536));
	h.req_keep_alive = 1;
	ASSERT_EQ(tf_http_direct_room(&h), 0);  /* no body yet */
	ASSERT_OK(tf_buf_append(&src, head, sizeof(head) - 1));
	tf_http_feed_buf(&h, &src, &used);
	ASSERT_EQ(h.state, TF_HTTP_ST_BODY);
	ASSERT(strstr(out.data, "Content-Length: 10000\r\n") != NULL);
	while (sent < sizeof(body)) {
		size_t n = 3000;

		room = tf_http_direct_room(&h);
		ASSERT(room > 0 && room <= sizeof(body) - sent);
		if (n > room)
			n = room;
		memcpy(tf_buf_tail(&out), body + sent, n);
		ASSERT_EQ(tf_http_feed_direct(&h, n), n);
		sent += n;
	}
	ASSERT_EQ(h.state, TF_HTTP_ST_DONE);
	ASSERT_EQ(tf_http_direct_room(&h), 0);
	ASSERT(tf_buf_len(&out) > sizeof(body));
	ASSERT(memcmp(tf_buf_tail(&out) - sizeof(body), body,
	    sizeof(body)) == 0);
	tf_http_free(&h);

	/* Chunked: re-chunked, never direct. */
	tf_buf_consume(&out, tf_buf_len(&out));
	ASSERT_OK(tf_http_init(&h, HTTP_RESPONSE, &out, 65536));
	h.req_keep_alive = 1;
	ASSERT_OK(tf_buf_append(&src, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 47));
	tf_http_feed_buf(&h, &src, &used);
	ASSERT_EQ(h.state, TF_HTTP_ST_BODY);
	ASSERT_EQ(tf_http_direct_room(&h), 0);
	tf_http_free(&h);
	tf_buf_free(&src);
	tf_buf_free(&out);
}

TEST_MAIN(
	TEST_ENTRY(direct_body),
	TEST_ENTRY(parsers_in_threads),
	TEST_ENTRY(request_hop_by_hop_removed),
	TEST_ENTRY(response_hop_by_hop_removed),
	TEST_ENTRY(connection_bound_auth),
	TEST_ENTRY(x_forwarded_for_appended),
	TEST_ENTRY(host_rewritten_or_kept),
	TEST_ENTRY(long_host_kept_whole),
	TEST_ENTRY(route_refuses_421),
	TEST_ENTRY(chunked_rechunked),
	TEST_ENTRY(chunked_response),
	TEST_ENTRY(content_length_in_pieces),
	TEST_ENTRY(content_length_streamed),
	TEST_ENTRY(unknown_method_passed_through),
	TEST_ENTRY(head_response_without_body),
	TEST_ENTRY(expect_100_continue),
	TEST_ENTRY(informational_responses),
	TEST_ENTRY(upgrade_and_101),
	TEST_ENTRY(read_to_close),
	TEST_ENTRY(cut_response_refused),
	TEST_ENTRY(keep_alive_decisions),
	TEST_ENTRY(ambiguous_framing_refused),
	TEST_ENTRY(malformed_head_refused),
	TEST_ENTRY(oversize_head_431),
	TEST_ENTRY(oversize_response_head_502),
	TEST_ENTRY(too_many_fields),
	TEST_ENTRY(bad_chunking),
	TEST_ENTRY(reset_after_error),
	TEST_ENTRY(out_need_bound_tight)
)
