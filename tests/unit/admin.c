/*
 * Unit tests for proxy/admin.c: the /metrics and /healthz server on a real
 * loop, driven by blocking sockets from a second thread: answers, bounds
 * (head size, clients, per-client timeout), two servers open at once as
 * during a reload, and closing; every test ends with uv_loop_close() == 0.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "admin.h"
#include "metrics.h"
#include "test.h"

#define HEAD_MAX 8192           /* admin.c's request head bound */
#define MAX_CLIENTS 64          /* admin.c's bound on open clients */

struct http_result {
	int status;             /* from the status line; -1 when none */
	char head[1024];        /* response head */
	char body[65536];       /* response body, NUL-terminated */
	size_t body_len;
	long content_length;    /* -1 when absent */
	int eof;                /* the server closed after the answer */
};

/* Connects to 127.0.0.1:port with 5 s timeouts: the descriptor, or -1
 * with errno. */
static int
try_dial(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		TEST_FAIL("socket failed");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Connects to 127.0.0.1:port; fails the test when that fails. */
static int
dial(int port)
{
	int fd = try_dial(port);

	if (fd < 0)
		TEST_FAIL("connect to port %d failed: %s", port,
		    strerror(errno));
	return fd;
}

static void
send_all(int fd, const char *p, size_t len)
{
	if (send(fd, p, len, MSG_NOSIGNAL) != (ssize_t)len)
		TEST_FAIL("send failed: %s", strerror(errno));
}

/*
 * Reads the answer on fd until the server closes (bounded by the 5 s
 * receive timeout), closes fd and splits the answer into r.
 */
static void
http_read(int fd, struct http_result *r)
{
	static char buf[sizeof(r->head) + sizeof(r->body) + 1];
	size_t got = 0;
	char *end, *cl;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->content_length = -1;
	for (;;) {
		ssize_t n;

		if (got == sizeof(buf) - 1)
			TEST_FAIL("answer too large");
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n == 0) {
			r->eof = 1;
			break;
		}
		if (n < 0)
			break;          /* timeout: eof stays 0 */
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';       /* answers are text: no NUL inside */
	end = strstr(buf, "\r\n\r\n");
	if (end == NULL)
		return;
	end += 4;
	if ((size_t)(end - buf) >= sizeof(r->head))
		TEST_FAIL("answer head too large");
	memcpy(r->head, buf, (size_t)(end - buf));
	r->body_len = got - (size_t)(end - buf);
	if (r->body_len >= sizeof(r->body))
		TEST_FAIL("answer body too large");
	memcpy(r->body, end, r->body_len);
	if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
		r->status = -1;
	if ((cl = strstr(r->head, "\r\nContent-Length: ")) != NULL)
		r->content_length = strtol(cl + 18, NULL, 10);
}

/*
 * Sends req (len bytes), optionally half-closes, and reads the answer
 * until the server closes.
 */
static void
http_exchange(int port, const char *req, size_t len, int half_close,
    struct http_result *r)
{
	int fd = dial(port);

	send_all(fd, req, len);
	if (half_close)
		shutdown(fd, SHUT_WR);
	http_read(fd, r);
}

/* Fails unless r is an answer with status, body and Connection: close. */
static void
check_answer(const char *what, const struct http_result *r, int status,
    const char *body_part)
{
	if (r->status != status)
		TEST_FAIL("%s: status %d, expected %d; head:\n%s", what,
		    r->status, status, r->head);
	if (!r->eof)
		TEST_FAIL("%s: the server did not close", what);
	if (strstr(r->head, "\r\nConnection: close\r\n") == NULL)
		TEST_FAIL("%s: no Connection: close", what);
	if (r->content_length != (long)r->body_len)
		TEST_FAIL("%s: Content-Length %ld, body %zu bytes", what,
		    r->content_length, r->body_len);
	if (body_part != NULL && strstr(r->body, body_part) == NULL)
		TEST_FAIL("%s: body has no \"%s\":\n%s", what, body_part,
		    r->body);
}

/* Fails unless r's first line is line. */
static void
check_status_line(const struct http_result *r, const char *line)
{
	size_t n = strlen(line);

	if (strncmp(r->head, line, n) != 0 ||
	    strncmp(r->head + n, "\r\n", 2) != 0)
		TEST_FAIL("status line is not \"%s\":\n%s", line, r->head);
}

/*
 * Fails unless the connection fd is closed by the server without an
 * answer: EOF, or a reset when the server closed before reading what we
 * sent (not a timeout: that would be EAGAIN after 5 s).
 */
static void
check_closed(const char *what, int fd)
{
	ssize_t n;
	char b;

	n = recv(fd, &b, 1, 0);
	if (n != 0 && !(n < 0 && errno == ECONNRESET))
		TEST_FAIL("%s: recv %zd (%s)", what, n,
		    n < 0 ? strerror(errno) : "data");
	close(fd);
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sin;

	ASSERT_OK(uv_ip4_addr("127.0.0.1", port, &sin));
	return sin;
}

#define REQ(s) s, sizeof(s) - 1

/* ------------------------------------------------------------------------
 * A loop on the test's thread, the client on a second one. The client
 * asks the loop to act through steps: it sets step, wakes the loop and
 * waits on done until the step ran there.
 */

struct harness;
typedef void step_fn(struct harness *h);

struct harness {
	uv_loop_t loop;
	uv_async_t wake;
	sem_t done;
	step_fn *step;          /* what the loop runs next */
	struct tf_admin *a, *b; /* servers under test, or NULL */
	int port_a, port_b;
	void *(*client)(void *);
	void *arg;              /* the test's own state */
};

static void
wake_cb(uv_async_t *async)
{
	struct harness *h = async->data;

	h->step(h);
	ASSERT_OK(sem_post(&h->done));
}

/* From the client thread: runs fn on the loop and waits for it. */
static void
on_loop(struct harness *h, step_fn *fn)
{
	h->step = fn;
	ASSERT_OK(uv_async_send(&h->wake));
	while (sem_wait(&h->done) != 0)
		ASSERT(errno == EINTR);
}

static void
close_a(struct harness *h)
{
	tf_admin_close(h->a);
	h->a = NULL;
}

/* The client's last step: closes what is open, and the loop ends. */
static void
finish(struct harness *h)
{
	tf_admin_close(h->a);
	tf_admin_close(h->b);
	h->a = h->b = NULL;
	uv_close((uv_handle_t *)&h->wake, NULL);
}

/* Opens server a on 127.0.0.1:0 and sets port_a. */
static void
harness_init(struct harness *h)
{
	struct sockaddr_in sin = loopback(0);

	memset(h, 0, sizeof(*h));
	ASSERT_OK(uv_loop_init(&h->loop));
	ASSERT_OK(sem_init(&h->done, 0, 0));
	ASSERT_OK(uv_async_init(&h->loop, &h->wake, wake_cb));
	h->wake.data = h;
	ASSERT_OK(tf_admin_open(&h->loop, (struct sockaddr *)&sin, &h->a));
	h->port_a = tf_admin_port(h->a);
	ASSERT(h->port_a > 0);
}

/* Runs the loop while client runs on its thread; the client ends with
 * on_loop(h, finish). Fails unless the loop closes clean. */
static void
harness_run(struct harness *h, void *(*client)(void *))
{
	pthread_t th;

	ASSERT_OK(pthread_create(&th, NULL, client, h));
	ASSERT_OK(uv_run(&h->loop, UV_RUN_DEFAULT));
	ASSERT_OK(pthread_join(th, NULL));
	ASSERT_OK(uv_loop_close(&h->loop));
	ASSERT_OK(sem_destroy(&h->done));
}

/* ------------------------------------------------------------------------
 * Answers
 */

struct answers {
	struct http_result metrics, metrics_qs, healthz, notfound, post,
	    put, head, big, bad, lf_only, split, bad_field, http09, http2,
	    unknown_method;
	int idle_fd;            /* open, unanswered, when the server closes */
};

/*
 * Sends a request in pieces, pausing between them so that the server
 * reads them apart (it would read the same bytes right if it did not).
 */
static void
http_exchange_split(int port, const char *const *pieces, size_t n,
    struct http_result *r)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int fd = dial(port);
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			nanosleep(&pause, NULL);
		send_all(fd, pieces[i], strlen(pieces[i]));
	}
	http_read(fd, r);
}

static void *
answers_client(void *arg)
{
	struct harness *h = arg;
	struct answers *r = h->arg;
	static char big[9000];
	static const char partial[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	static const char *const split[] = {
		"GET /met", "rics?x=1 HTTP/1.1\r\nHo", "st: x\r\n\r", "\n",
	};
	int port = h->port_a;

	http_exchange(port, REQ("GET /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &r->metrics);
	http_exchange(port, REQ("GET /metrics?x=1 HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 1, &r->metrics_qs);
	http_exchange(port, REQ("GET /healthz HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 1, &r->healthz);
	http_exchange(port, REQ("GET /nope HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &r->notfound);
	http_exchange(port, REQ("POST /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Length: 5\r\n\r\nhello"), 0,
	    &r->post);
	http_exchange(port, REQ("PUT /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &r->put);
	http_exchange(port, REQ("HEAD /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &r->head);
	http_exchange(port, REQ("GARBAGE\r\n\r\n"), 0, &r->bad);
	http_exchange(port, REQ("GET /healthz HTTP/1.0\n\n"), 0,
	    &r->lf_only);
	http_exchange_split(port, split, TF_ARRAY_SIZE(split), &r->split);
	http_exchange(port, REQ("GET /healthz HTTP/1.1\r\n"
	    "Bad Field: x\r\n\r\n"), 0, &r->bad_field);
	http_exchange(port, REQ("GET /healthz\r\n\r\n"), 0, &r->http09);
	http_exchange(port, REQ("GET /healthz HTTP/2.0\r\n\r\n"), 0,
	    &r->http2);
	http_exchange(port, REQ("FROB /healthz HTTP/1.1\r\n\r\n"), 0,
	    &r->unknown_method);

	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Pad: ", 30);
	memset(big + 30, 'a', sizeof(big) - 30);
	http_exchange(port, big, sizeof(big), 0, &r->big);

	/* An unfinished request stays open until the server closes. */
	r->idle_fd = dial(port);
	send_all(r->idle_fd, partial, sizeof(partial) - 1);
	on_loop(h, finish);
	return NULL;
}

TEST(answers)
{
	struct harness h;
	struct answers r;

	TF_METRIC_INC(tf_metrics_listener("edge"), connections_total);
	tf_metrics_set_generation(1);
	harness_init(&h);
	h.arg = &r;
	harness_run(&h, answers_client);

	check_answer("GET /metrics", &r.metrics, 200,
	    "\ntlsfloor_connections_total{listener=\"edge\"} 1\n");
	ASSERT(strstr(r.metrics.head, "\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n") != NULL);
	ASSERT(strstr(r.metrics.body, "tlsfloor_config_generation 1\n") !=
	    NULL);
	check_answer("GET /metrics?x=1", &r.metrics_qs, 200,
	    "# TYPE tlsfloor_requests_total counter\n");
	check_answer("GET /healthz", &r.healthz, 200, NULL);
	ASSERT_STR_EQ(r.healthz.body, "ok\n");
	check_answer("GET /nope", &r.notfound, 404, NULL);
	check_answer("POST /metrics", &r.post, 405, NULL);
	ASSERT(strstr(r.post.head, "\r\nAllow: GET, HEAD\r\n") != NULL);
	check_answer("PUT /metrics", &r.put, 405, NULL);
	check_answer("GARBAGE", &r.bad, 400, NULL);
	check_answer("LF-only GET /healthz", &r.lf_only, 200, "ok\n");
	check_answer("GET /metrics?x=1 in 4 pieces", &r.split, 200,
	    "# TYPE tlsfloor_config_generation gauge\n");
	check_answer("a field name with a blank", &r.bad_field, 400, NULL);
	check_answer("HTTP/0.9 request line", &r.http09, 400, NULL);
	check_answer("HTTP/2.0 request line", &r.http2, 400, NULL);
	check_answer("a method llhttp does not know", &r.unknown_method, 400,
	    NULL);

	/* Reason phrases: llhttp's status names, in RFC 9110's words. */
	check_status_line(&r.metrics, "HTTP/1.1 200 OK");
	check_status_line(&r.notfound, "HTTP/1.1 404 Not Found");
	check_status_line(&r.post, "HTTP/1.1 405 Method Not Allowed");
	check_status_line(&r.bad, "HTTP/1.1 400 Bad Request");

	/* HEAD: the GET's headers, no body. */
	ASSERT_EQ(r.head.status, 200);
	ASSERT(r.head.eof);
	ASSERT_EQ(r.head.body_len, 0);
	ASSERT_EQ(r.head.content_length, r.metrics.content_length);

	/* More than 8 KiB of head: 431, and the answer arrives intact
	 * although the server did not read everything we sent. */
	check_answer("9000-byte head", &r.big, 431, NULL);
	check_status_line(&r.big,
	    "HTTP/1.1 431 Request Header Fields Too Large");

	/* The unanswered connection was closed with the server. */
	check_closed("idle connection", r.idle_fd);
}

/* ------------------------------------------------------------------------
 * Bounds
 */

struct head_bound {
	struct http_result at_max, over_max;
};

/* Writes a GET /healthz head of exactly len bytes into buf. */
static void
head_of(char *buf, size_t len)
{
	static const char start[] = "GET /healthz HTTP/1.1\r\nX-Pad: ";

	TF_ASSERT(len > sizeof(start) + 4);
	memcpy(buf, start, sizeof(start) - 1);
	memset(buf + sizeof(start) - 1, 'a', len - (sizeof(start) - 1) - 4);
	memcpy(buf + len - 4, "\r\n\r\n", 4);
}

static void *
head_bound_client(void *arg)
{
	struct harness *h = arg;
	struct head_bound *r = h->arg;
	static char buf[HEAD_MAX + 1];

	head_of(buf, HEAD_MAX);
	http_exchange(h->port_a, buf, HEAD_MAX, 0, &r->at_max);
	head_of(buf, HEAD_MAX + 1);
	http_exchange(h->port_a, buf, HEAD_MAX + 1, 0, &r->over_max);
	on_loop(h, finish);
	return NULL;
}

/* A head of exactly HEAD_MAX bytes is read; one byte more is not. */
TEST(head_bound)
{
	struct harness h;
	struct head_bound r;

	harness_init(&h);
	h.arg = &r;
	harness_run(&h, head_bound_client);
	check_answer("head of HEAD_MAX bytes", &r.at_max, 200, "ok\n");
	check_answer("head of HEAD_MAX + 1 bytes", &r.over_max, 431, NULL);
}

struct max_clients {
	struct http_result last;
	int over_fd;            /* the client over MAX_CLIENTS */
};

static void *
max_clients_client(void *arg)
{
	struct harness *h = arg;
	struct max_clients *r = h->arg;
	static const char partial[] = "GET /healthz HTTP/1.1\r\n";
	int fds[MAX_CLIENTS], i;

	/* The kernel queues connections in order, so the server has taken
	 * all of these by the time it takes the next one. */
	for (i = 0; i < MAX_CLIENTS; i++) {
		fds[i] = dial(h->port_a);
		send_all(fds[i], partial, sizeof(partial) - 1);
	}
	r->over_fd = dial(h->port_a);
	send_all(r->over_fd, partial, sizeof(partial) - 1);
	check_closed("client over the limit", r->over_fd);

	send_all(fds[MAX_CLIENTS - 1], REQ("\r\n"));
	http_read(fds[MAX_CLIENTS - 1], &r->last);
	for (i = 0; i < MAX_CLIENTS - 1; i++)
		close(fds[i]);
	on_loop(h, finish);
	return NULL;
}

/*
 * With MAX_CLIENTS connections open, the next one is accepted and closed
 * at once, and those within the limit are still served.
 */
TEST(max_clients)
{
	struct harness h;
	struct max_clients r;

	harness_init(&h);
	h.arg = &r;
	harness_run(&h, max_clients_client);
	check_answer("last client within the limit", &r.last, 200, "ok\n");
}

struct timeout_run {
	double idle_s;          /* until an idle client was closed */
	int eof;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
timeout_client(void *arg)
{
	struct harness *h = arg;
	struct timeout_run *r = h->arg;
	struct timeval tv = { 15, 0 };
	double t0 = now_s();
	int fd = dial(h->port_a);
	char b;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send_all(fd, REQ("GET /healthz HTTP/1.1\r\n"));
	r->eof = recv(fd, &b, 1, 0) == 0;
	r->idle_s = now_s() - t0;
	close(fd);
	on_loop(h, finish);
	return NULL;
}

/* A client that never finishes its head is closed after 10 s. */
TEST(client_timeout)
{
	struct harness h;
	struct timeout_run r;

	harness_init(&h);
	h.arg = &r;
	harness_run(&h, timeout_client);
	ASSERT(r.eof);
	if (r.idle_s < 9.5 || r.idle_s > 12.0)
		TEST_FAIL("idle client closed after %.1f s, expected 10",
		    r.idle_s);
}

/* ------------------------------------------------------------------------
 * Opening and closing, as a reload does
 */

struct two {
	struct http_result a, b, b_after;
	int a_refused_errno;    /* connecting to a after it closed */
	int a_idle_fd;          /* a's client, open when a closes */
};

static void *
two_client(void *arg)
{
	struct harness *h = arg;
	struct two *r = h->arg;
	int fd;

	http_exchange(h->port_a, REQ("GET /healthz HTTP/1.1\r\n\r\n"), 0,
	    &r->a);
	http_exchange(h->port_b, REQ("GET /healthz HTTP/1.1\r\n\r\n"), 0,
	    &r->b);
	r->a_idle_fd = dial(h->port_a);
	send_all(r->a_idle_fd, REQ("GET /healthz"));
	on_loop(h, close_a);
	fd = try_dial(h->port_a);
	if (fd >= 0)
		TEST_FAIL("server a still accepts after tf_admin_close()");
	r->a_refused_errno = errno;
	http_exchange(h->port_b, REQ("GET /metrics HTTP/1.1\r\n\r\n"), 0,
	    &r->b_after);
	on_loop(h, finish);
	return NULL;
}

/*
 * Two servers serve side by side; a bind to a taken address fails with
 * nothing changed; closing one leaves the other serving.
 */
TEST(two_servers)
{
	struct sockaddr_in sin;
	struct tf_admin *x = (struct tf_admin *)&sin;
	struct harness h;
	struct two r;

	harness_init(&h);
	h.arg = &r;
	sin = loopback(h.port_a);
	ASSERT_EQ(tf_admin_open(&h.loop, (struct sockaddr *)&sin, &x),
	    UV_EADDRINUSE);
	ASSERT(x == (struct tf_admin *)&sin);   /* untouched */
	sin = loopback(0);
	ASSERT_OK(tf_admin_open(&h.loop, (struct sockaddr *)&sin, &h.b));
	h.port_b = tf_admin_port(h.b);
	ASSERT(h.port_b > 0 && h.port_b != h.port_a);
	harness_run(&h, two_client);

	check_answer("server a", &r.a, 200, "ok\n");
	check_answer("server b", &r.b, 200, "ok\n");
	ASSERT_EQ(r.a_refused_errno, ECONNREFUSED);
	check_closed("server a's client", r.a_idle_fd);
	check_answer("server b after a closed", &r.b_after, 200,
	    "tlsfloor_config_generation ");
}

static void
close_soon_cb(uv_timer_t *t)
{
	tf_admin_close(t->data);
	uv_close((uv_handle_t *)t, NULL);
}

/*
 * A failed bind leaves nothing open; a closed server's address can be
 * bound again at once, and the loop still ends clean.
 */
TEST(open_errors_and_reopen)
{
	struct sockaddr_in sin;
	struct tf_admin *a = NULL;
	uv_loop_t loop;
	uv_timer_t t;
	int fd, port, one = 1;
	socklen_t len = sizeof(sin);

	ASSERT_OK(uv_loop_init(&loop));

	/* A port some other socket listens on. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin = loopback(0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_OK(listen(fd, 1));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	ASSERT_EQ(tf_admin_open(&loop, (struct sockaddr *)&sin, &a),
	    UV_EADDRINUSE);
	ASSERT(a == NULL);
	close(fd);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

	sin = loopback(0);
	ASSERT_OK(tf_admin_open(&loop, (struct sockaddr *)&sin, &a));
	port = tf_admin_port(a);
	tf_admin_close(a);
	tf_admin_close(NULL);
	sin = loopback(port);
	ASSERT_OK(tf_admin_open(&loop, (struct sockaddr *)&sin, &a));
	ASSERT_EQ(tf_admin_port(a), port);
	ASSERT_OK(uv_timer_init(&loop, &t));
	t.data = a;
	ASSERT_OK(uv_timer_start(&t, close_soon_cb, 10, 0));
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_OK(uv_loop_close(&loop));
}

TEST_MAIN(
	TEST_ENTRY(answers),
	TEST_ENTRY(head_bound),
	TEST_ENTRY(max_clients),
	TEST_ENTRY(client_timeout),
	TEST_ENTRY(two_servers),
	TEST_ENTRY(open_errors_and_reopen),
)
