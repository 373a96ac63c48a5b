/*
 * Unit tests for proxy/metrics.c: the listener registry, the label index
 * maps, the text rendering (every series, counts, escaping, layout) and
 * the HTTP server on a real loop, driven by blocking sockets from a
 * second thread, ending with uv_loop_close() == 0.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "metrics.h"
#include "test.h"

/* Renders into a NUL-terminated string the test frees. */
static char *
render(void)
{
	char *s = NULL;
	size_t len = 0;

	ASSERT_OK(tf_metrics_render(&s, &len));
	ASSERT(s != NULL);
	ASSERT_EQ(strlen(s), len);
	ASSERT(len > 0 && s[len - 1] == '\n');
	return s;
}

/* Fails unless text holds line (without its '\n') as a whole line. */
static void
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	TEST_FAIL("no line \"%s\" in:\n%s", line, text);
}

/* Fails unless text has no line starting with prefix. */
static void
no_line_prefix(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	for (; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, n) == 0)
			TEST_FAIL("unexpected line starting \"%s\"", prefix);
		if (strchr(p, '\n') == NULL)
			break;
	}
}

TEST(registry_same_pointer)
{
	struct tf_mlistener *a = tf_metrics_listener("edge");
	struct tf_mlistener *b = tf_metrics_listener("internal");
	char long1[100], long2[100];

	ASSERT(a != NULL && b != NULL);
	ASSERT(a != b);
	ASSERT(tf_metrics_listener("edge") == a);
	ASSERT(tf_metrics_listener("internal") == b);
	ASSERT_STR_EQ(a->name, "edge");
	ASSERT_EQ(a->connections_total, 0);
	TF_METRIC_INC(a, connections_total);
	ASSERT_EQ(tf_metrics_listener("edge")->connections_total, 1);

	/* Truncated to the field: equal prefixes share, and stay stable. */
	memset(long1, 'x', sizeof(long1) - 1);
	long1[sizeof(long1) - 1] = '\0';
	memcpy(long2, long1, sizeof(long2));
	long2[90] = 'y';
	ASSERT(tf_metrics_listener(long1) == tf_metrics_listener(long1));
	ASSERT(tf_metrics_listener(long1) == tf_metrics_listener(long2));
	ASSERT_EQ(strlen(tf_metrics_listener(long1)->name),
	    sizeof(a->name) - 1);
}

TEST(index_maps)
{
	ASSERT_EQ(tf_metrics_version_index(0x0002), TF_M_SSL20);
	ASSERT_EQ(tf_metrics_version_index(0x0300), TF_M_SSL30);
	ASSERT_EQ(tf_metrics_version_index(0x0301), TF_M_TLS10);
	ASSERT_EQ(tf_metrics_version_index(0x0302), TF_M_TLS11);
	ASSERT_EQ(tf_metrics_version_index(0x0303), TF_M_TLS12);
	ASSERT_EQ(tf_metrics_version_index(0x0304), TF_M_TLS13);
	ASSERT_EQ(tf_metrics_version_index(0x0305), -1);
	ASSERT_EQ(tf_metrics_version_index(0x0a0a), -1);   /* GREASE */
	ASSERT_EQ(tf_metrics_version_index(0x7f1c), -1);   /* draft */
	ASSERT_EQ(tf_metrics_version_index(0), -1);

	ASSERT_EQ(tf_metrics_action_index("refused"), TF_M_REFUSED);
	ASSERT_EQ(tf_metrics_action_index("allowed_audit"),
	    TF_M_ALLOWED_AUDIT);
	ASSERT_EQ(tf_metrics_action_index("allowed_exempt"),
	    TF_M_ALLOWED_EXEMPT);
	ASSERT_EQ(tf_metrics_action_index("allowed"), -1);
	ASSERT_EQ(tf_metrics_action_index("Refused"), -1);
	ASSERT_EQ(tf_metrics_action_index(""), -1);
	ASSERT_EQ(tf_metrics_action_index(NULL), -1);

	ASSERT_EQ(tf_metrics_reason_index("no_shared_cipher"),
	    TF_M_NO_SHARED_CIPHER);
	ASSERT_EQ(tf_metrics_reason_index("timeout"), TF_M_TIMEOUT);
	ASSERT_EQ(tf_metrics_reason_index("bad_record"), TF_M_BAD_RECORD);
	ASSERT_EQ(tf_metrics_reason_index("peer_alert"), TF_M_PEER_ALERT);
	ASSERT_EQ(tf_metrics_reason_index("closed"), TF_M_CLOSED);
	ASSERT_EQ(tf_metrics_reason_index("internal"), TF_M_INTERNAL);
	ASSERT_EQ(tf_metrics_reason_index("timeout "), -1);
	ASSERT_EQ(tf_metrics_reason_index("connect"), -1);
	ASSERT_EQ(tf_metrics_reason_index(NULL), -1);
}

static const char *const versions[] = {
	"SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3",
};
static const char *const actions[] = {
	"refused", "allowed_audit", "allowed_exempt",
};
static const char *const reasons[] = {
	"no_shared_cipher", "timeout", "bad_record", "peer_alert", "closed",
	"internal",
};
static const char *const uperrors[] = {
	"resolve", "connect", "tls", "timeout", "bad_response", "closed",
};
static const char *const codes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

TEST(render_zeros_from_the_start)
{
	static const struct {
		const char *name, *type;
	} families[] = {
		{ "tlsfloor_connections_total", "counter" },
		{ "tlsfloor_connections_active", "gauge" },
		{ "tlsfloor_handshakes_total", "counter" },
		{ "tlsfloor_legacy_clients_total", "counter" },
		{ "tlsfloor_handshake_failures_total", "counter" },
		{ "tlsfloor_requests_total", "counter" },
		{ "tlsfloor_upstream_errors_total", "counter" },
		{ "tlsfloor_config_reloads_total", "counter" },
		{ "tlsfloor_config_generation", "gauge" },
	};
	char line[256], *s;
	size_t i, j;

	/* Without listeners: families and the process-wide series. */
	s = render();
	for (i = 0; i < TF_ARRAY_SIZE(families); i++) {
		snprintf(line, sizeof(line), "# TYPE %s %s",
		    families[i].name, families[i].type);
		has_line(s, line);
		snprintf(line, sizeof(line), "# HELP %s ", families[i].name);
		ASSERT(strstr(s, line) != NULL);
	}
	has_line(s, "tlsfloor_config_reloads_total{result=\"ok\"} 0");
	has_line(s, "tlsfloor_config_reloads_total{result=\"failed\"} 0");
	has_line(s, "tlsfloor_config_generation 0");
	no_line_prefix(s, "tlsfloor_connections_total{");
	free(s);

	tf_metrics_listener("edge");
	s = render();
	has_line(s, "tlsfloor_connections_total{listener=\"edge\"} 0");
	has_line(s, "tlsfloor_connections_active{listener=\"edge\"} 0");
	for (i = 2; i < TF_ARRAY_SIZE(versions); i++) {
		snprintf(line, sizeof(line), "tlsfloor_handshakes_total"
		    "{listener=\"edge\",version=\"%s\"} 0", versions[i]);
		has_line(s, line);
	}
	/* No SSL handshake ever completes: no series for those. */
	no_line_prefix(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"SSL");
	for (i = 0; i < TF_ARRAY_SIZE(versions); i++)
		for (j = 0; j < TF_ARRAY_SIZE(actions); j++) {
			snprintf(line, sizeof(line),
			    "tlsfloor_legacy_clients_total{listener=\"edge\","
			    "offered=\"%s\",action=\"%s\"} 0", versions[i],
			    actions[j]);
			has_line(s, line);
		}
	for (i = 0; i < TF_ARRAY_SIZE(reasons); i++) {
		snprintf(line, sizeof(line),
		    "tlsfloor_handshake_failures_total{listener=\"edge\","
		    "reason=\"%s\"} 0", reasons[i]);
		has_line(s, line);
	}
	for (i = 0; i < TF_ARRAY_SIZE(codes); i++) {
		snprintf(line, sizeof(line), "tlsfloor_requests_total"
		    "{listener=\"edge\",code=\"%s\"} 0", codes[i]);
		has_line(s, line);
	}
	for (i = 0; i < TF_ARRAY_SIZE(uperrors); i++) {
		snprintf(line, sizeof(line),
		    "tlsfloor_upstream_errors_total{listener=\"edge\","
		    "reason=\"%s\"} 0", uperrors[i]);
		has_line(s, line);
	}
	free(s);
}

TEST(render_counts)
{
	struct tf_mlistener *e = tf_metrics_listener("edge");
	struct tf_mlistener *o = tf_metrics_listener("other");
	char *s;
	int i;

	for (i = 0; i < 3; i++)
		TF_METRIC_INC(e, connections_total);
	TF_METRIC_INC(e, connections_active);
	TF_METRIC_INC(e, connections_active);
	TF_METRIC_DEC(e, connections_active);
	TF_METRIC_INC(e, handshakes[tf_metrics_version_index(0x0304)]);
	TF_METRIC_INC(e, handshakes[tf_metrics_version_index(0x0304)]);
	TF_METRIC_INC(e, handshakes[TF_M_TLS12]);
	TF_METRIC_INC(e, legacy[TF_M_TLS10][tf_metrics_action_index(
	    "refused")]);
	TF_METRIC_INC(e, legacy[TF_M_SSL20][TF_M_REFUSED]);
	TF_METRIC_INC(e, legacy[TF_M_TLS11][TF_M_ALLOWED_EXEMPT]);
	TF_METRIC_INC(e, handshake_failures[tf_metrics_reason_index(
	    "timeout")]);
	TF_METRIC_INC(e, requests[1]);
	TF_METRIC_INC(e, requests[1]);
	TF_METRIC_INC(e, requests[4]);
	TF_METRIC_INC(e, upstream_errors[TF_M_UP_CONNECT]);
	TF_METRIC_INC(o, requests[3]);
	tf_metrics_reload(1);
	tf_metrics_reload(1);
	tf_metrics_reload(0);
	tf_metrics_set_generation(3);

	s = render();
	has_line(s, "tlsfloor_connections_total{listener=\"edge\"} 3");
	has_line(s, "tlsfloor_connections_total{listener=\"other\"} 0");
	has_line(s, "tlsfloor_connections_active{listener=\"edge\"} 1");
	has_line(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"TLS1.3\"} 2");
	has_line(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"TLS1.2\"} 1");
	has_line(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"TLS1.1\"} 0");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"TLS1.0\",action=\"refused\"} 1");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"SSL2.0\",action=\"refused\"} 1");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"TLS1.1\",action=\"allowed_exempt\"} 1");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"TLS1.1\",action=\"allowed_audit\"} 0");
	has_line(s, "tlsfloor_handshake_failures_total{listener=\"edge\","
	    "reason=\"timeout\"} 1");
	has_line(s, "tlsfloor_requests_total{listener=\"edge\","
	    "code=\"2xx\"} 2");
	has_line(s, "tlsfloor_requests_total{listener=\"edge\","
	    "code=\"5xx\"} 1");
	has_line(s, "tlsfloor_requests_total{listener=\"other\","
	    "code=\"4xx\"} 1");
	has_line(s, "tlsfloor_requests_total{listener=\"other\","
	    "code=\"2xx\"} 0");
	has_line(s, "tlsfloor_upstream_errors_total{listener=\"edge\","
	    "reason=\"connect\"} 1");
	has_line(s, "tlsfloor_config_reloads_total{result=\"ok\"} 2");
	has_line(s, "tlsfloor_config_reloads_total{result=\"failed\"} 1");
	has_line(s, "tlsfloor_config_generation 3");
	free(s);

	/* A gauge may go below zero on a bookkeeping bug: show it as is. */
	TF_METRIC_DEC(o, connections_active);
	s = render();
	has_line(s, "tlsfloor_connections_active{listener=\"other\"} -1");
	free(s);
}

/*
 * The text format's layout: every sample belongs to the family whose
 * # TYPE came last (a counter's samples may add _total), families are
 * not repeated, and each sample line is NAME[{...}] VALUE.
 */
TEST(render_layout)
{
	char *s, *p, *nl, family[128] = "";
	char seen[2048] = " ";

	tf_metrics_listener("a");
	tf_metrics_listener("b");
	s = render();
	for (p = s; *p != '\0'; p = nl + 1) {
		char name[128], rest[512];

		nl = strchr(p, '\n');
		ASSERT(nl != NULL);
		*nl = '\0';
		if (strncmp(p, "# TYPE ", 7) == 0) {
			char key[140];

			ASSERT_EQ(sscanf(p + 7, "%127s", family), 1);
			snprintf(key, sizeof(key), " %s ", family);
			if (strstr(seen, key) != NULL)
				TEST_FAIL("family %s repeated", family);
			ASSERT(strlen(seen) + strlen(key) < sizeof(seen));
			strcat(seen, key + 1);
			continue;
		}
		if (p[0] == '#') {
			ASSERT(strncmp(p, "# HELP ", 7) == 0);
			continue;
		}
		ASSERT(family[0] != '\0');
		ASSERT_EQ(sscanf(p, "%127[a-z_]%511[^\n]", name, rest), 2);
		if (strcmp(name, family) != 0)
			TEST_FAIL("sample %s under family %s", name, family);
		ASSERT(rest[0] == '{' || rest[0] == ' ');
		ASSERT(strrchr(rest, ' ') != NULL);
		ASSERT(strspn(strrchr(rest, ' ') + 1, "-0123456789") ==
		    strlen(strrchr(rest, ' ') + 1));
	}
	free(s);
}

TEST(label_escaping)
{
	char *s;

	TF_METRIC_INC(tf_metrics_listener("we\"ird\\na\nme"),
	    connections_total);
	s = render();
	has_line(s, "tlsfloor_connections_total"
	    "{listener=\"we\\\"ird\\\\na\\nme\"} 1");
	has_line(s, "tlsfloor_requests_total"
	    "{listener=\"we\\\"ird\\\\na\\nme\",code=\"1xx\"} 0");
	/* No raw line feed leaked into a sample. */
	ASSERT(strstr(s, "\nme\"") == NULL);
	free(s);
}

/* ------------------------------------------------------------------------
 * The server
 */

struct http_result {
	int status;             /* from the status line; -1 when none */
	char head[1024];        /* response head */
	char body[65536];       /* response body, NUL-terminated */
	size_t body_len;
	long content_length;    /* -1 when absent */
	int eof;                /* the server closed after the answer */
};

/* Connects to 127.0.0.1:port with 5 s timeouts; aborts on failure. */
static int
dial(int port)
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
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		TEST_FAIL("connect to port %d failed", port);
	return fd;
}

/*
 * Sends req (len bytes), optionally half-closes, and reads the answer
 * until the server closes (bounded by the 5 s receive timeout).
 */
static void
http_exchange(int port, const char *req, size_t len, int half_close,
    struct http_result *r)
{
	static char buf[sizeof(r->head) + sizeof(r->body) + 1];
	size_t got = 0;
	char *end, *cl;
	int fd = dial(port);

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->content_length = -1;
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		TEST_FAIL("send failed");
	if (half_close)
		shutdown(fd, SHUT_WR);
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

/* What the client thread found; checked by the main thread. */
struct server_run {
	int port;
	uv_async_t done;        /* wakes the loop to stop the server */
	struct http_result metrics, metrics_qs, healthz, notfound, post,
	    head, big, bad, lf_only;
	int idle_fd;            /* open, unanswered, when stop runs */
};

static void
server_done_cb(uv_async_t *a)
{
	tf_metrics_stop();
	ASSERT_EQ(tf_metrics_port(), -1);
	uv_close((uv_handle_t *)a, NULL);
}

#define REQ(s) s, sizeof(s) - 1

static void *
client_thread(void *arg)
{
	struct server_run *run = arg;
	static char big[9000];
	static const char partial[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";

	http_exchange(run->port, REQ("GET /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &run->metrics);
	http_exchange(run->port, REQ("GET /metrics?x=1 HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 1, &run->metrics_qs);
	http_exchange(run->port, REQ("GET /healthz HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 1, &run->healthz);
	http_exchange(run->port, REQ("GET /nope HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &run->notfound);
	http_exchange(run->port, REQ("POST /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Length: 5\r\n\r\nhello"), 0,
	    &run->post);
	http_exchange(run->port, REQ("HEAD /metrics HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n"), 0, &run->head);
	http_exchange(run->port, REQ("GARBAGE\r\n\r\n"), 0, &run->bad);
	http_exchange(run->port, REQ("GET /healthz HTTP/1.0\n\n"), 0,
	    &run->lf_only);

	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Pad: ", 30);
	memset(big + 30, 'a', sizeof(big) - 30);
	http_exchange(run->port, big, sizeof(big), 0, &run->big);

	/* An unfinished request stays open until tf_metrics_stop(). */
	run->idle_fd = dial(run->port);
	if (send(run->idle_fd, partial, sizeof(partial) - 1, 0) !=
	    (ssize_t)sizeof(partial) - 1)
		TEST_FAIL("send failed");
	uv_async_send(&run->done);
	return NULL;
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

TEST(server)
{
	struct sockaddr_in sin;
	struct server_run run;
	pthread_t th;
	uv_loop_t loop;
	ssize_t n;
	char b;

	memset(&run, 0, sizeof(run));
	TF_METRIC_INC(tf_metrics_listener("edge"), connections_total);
	tf_metrics_set_generation(1);
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_EQ(tf_metrics_port(), -1);
	ASSERT_OK(tf_metrics_serve(&loop, (struct sockaddr *)&sin));
	run.port = tf_metrics_port();
	ASSERT(run.port > 0);
	ASSERT_EQ(tf_metrics_serve(&loop, (struct sockaddr *)&sin),
	    UV_EBUSY);
	ASSERT_OK(uv_async_init(&loop, &run.done, server_done_cb));
	ASSERT_OK(pthread_create(&th, NULL, client_thread, &run));
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_OK(pthread_join(th, NULL));
	ASSERT_OK(uv_loop_close(&loop));

	check_answer("GET /metrics", &run.metrics, 200,
	    "\ntlsfloor_connections_total{listener=\"edge\"} 1\n");
	ASSERT(strstr(run.metrics.head, "\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n") != NULL);
	ASSERT(strstr(run.metrics.body, "tlsfloor_config_generation 1\n") !=
	    NULL);
	check_answer("GET /metrics?x=1", &run.metrics_qs, 200,
	    "# TYPE tlsfloor_requests_total counter\n");
	check_answer("GET /healthz", &run.healthz, 200, NULL);
	ASSERT_STR_EQ(run.healthz.body, "ok\n");
	check_answer("GET /nope", &run.notfound, 404, NULL);
	check_answer("POST /metrics", &run.post, 405, NULL);
	ASSERT(strstr(run.post.head, "\r\nAllow: GET, HEAD\r\n") != NULL);
	check_answer("GARBAGE", &run.bad, 400, NULL);
	check_answer("LF-only GET /healthz", &run.lf_only, 200, "ok\n");

	/* HEAD: the GET's headers, no body. */
	ASSERT_EQ(run.head.status, 200);
	ASSERT(run.head.eof);
	ASSERT_EQ(run.head.body_len, 0);
	ASSERT_EQ(run.head.content_length, run.metrics.content_length);

	/* More than 8 KiB of head: 431, and the answer arrives intact
	 * although the server did not read everything we sent. */
	check_answer("9000-byte head", &run.big, 431, NULL);

	/* The unanswered connection was closed by tf_metrics_stop(): EOF,
	 * or a reset when the stop came before the server read our bytes
	 * (not a timeout: that would be EAGAIN after 5 s). */
	n = recv(run.idle_fd, &b, 1, 0);
	if (n != 0 && !(n < 0 && errno == ECONNRESET))
		TEST_FAIL("idle connection: recv %zd (%s)", n,
		    n < 0 ? strerror(errno) : "data");
	close(run.idle_fd);
}

static void
stop_soon_cb(uv_timer_t *t)
{
	tf_metrics_stop();
	uv_close((uv_handle_t *)t, NULL);
}

/*
 * A failed bind leaves nothing open; a stopped server can be started
 * again at once on the same port (what a reload that keeps the address
 * does), and the loop still ends clean.
 */
TEST(serve_errors_and_restart)
{
	struct sockaddr_in sin;
	uv_loop_t loop;
	uv_timer_t t;
	int fd, port, one = 1;
	socklen_t len = sizeof(sin);

	ASSERT_OK(uv_loop_init(&loop));

	/* A port some other socket listens on. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_OK(listen(fd, 1));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	ASSERT(tf_metrics_serve(&loop, (struct sockaddr *)&sin) < 0);
	ASSERT_EQ(tf_metrics_port(), -1);
	close(fd);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(tf_metrics_serve(&loop, (struct sockaddr *)&sin));
	port = tf_metrics_port();
	tf_metrics_stop();
	tf_metrics_stop();
	ASSERT_OK(uv_ip4_addr("127.0.0.1", port, &sin));
	ASSERT_OK(tf_metrics_serve(&loop, (struct sockaddr *)&sin));
	ASSERT_EQ(tf_metrics_port(), port);
	ASSERT_OK(uv_timer_init(&loop, &t));
	ASSERT_OK(uv_timer_start(&t, stop_soon_cb, 10, 0));
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_OK(uv_loop_close(&loop));
}

TEST_MAIN(
	TEST_ENTRY(registry_same_pointer),
	TEST_ENTRY(index_maps),
	TEST_ENTRY(render_zeros_from_the_start),
	TEST_ENTRY(render_counts),
	TEST_ENTRY(render_layout),
	TEST_ENTRY(label_escaping),
	TEST_ENTRY(server),
	TEST_ENTRY(serve_errors_and_restart),
)
