/*
 * Unit tests for proxy/http1.c, driven the way conn.c drives a parser:
 * bytes arrive in a source buffer of conn.c's size, parse_into() (a copy
 * of conn.c's) feeds them to tf_http_feed() as far as the out buffer has
 * the room tf_http_out_need() asks for, and a writer drains the out
 * buffer. Every feed is checked against that bound.
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

/* Sets up a request (HTTP_REQUEST) or response parser as conn.c does. */
static void
rig_init(struct rig *r, llhttp_type_t type, size_t max_head)
{
	memset(r, 0, sizeof(*r));
	ASSERT_OK(tf_buf_init(&r->src, SRC_CAP));
	ASSERT_OK(tf_buf_init(&r->out, OUT_CAP(max_head)));
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
rig_free(struct rig *r)
{
	tf_http_free(&r->h);
	tf_buf_free(&r->src);
	tf_buf_free(&r->out);
	free(r->got);
}

/*
 * conn.c parse_into(): feeds the parser from src while the out buffer has
 * room, and checks that no feed emits more than tf_http_out_need() said.
 * Returns the bytes consumed from src.
 */
static size_t
parse_into(struct rig *r)
{
	struct tf_http *h = &r->h;
	struct tf_buf *src = &r->src;
	size_t total = 0;

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
		need = tf_http_out_need(h, n);
		ASSERT(tf_buf_tailroom(h->out) >= need);
		before = tf_buf_len(h->out);
		used = tf_http_feed(h, tf_buf_head(src), n);
		ASSERT(used <= n);
		ASSERT(tf_buf_len(h->out) - before <= need);
		tf_buf_consume(src, used);
		total += used;
		if (used == 0 && h->state != TF_HTTP_ST_DONE)
			break;
		if (h->state == TF_HTTP_ST_DONE || h->state == TF_HTTP_ST_ERROR)
			break;
	}
	return total;
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

/*
 * Workers are threads, and each makes its own parsers: several threads
 * make parsers and feed them at the same moment. Whatever http1.c shares
 * between parsers must be safe for that. A plain build only checks the
 * output; the race itself shows under ThreadSanitizer, where a report
 * makes the process exit 66 and so fails this test:
 *
 *   mkdir build-tsan && cd build-tsan &&
 *   ../configure CC=clang CFLAGS='-g -O1 -fsanitize=thread' \
 *       LDFLAGS=-fsanitize=thread &&
 *   make tests/unit/test-http1 &&
 *   TSAN_OPTIONS=exitcode=66 tests/unit/test-http1 parsers_in_threads
 */
#define NTHREADS 8
#define ROUNDS 4

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
	int i;

	q = malloc(sizeof(*q));
	s = malloc(sizeof(*s));
	ASSERT(q != NULL && s != NULL);
	for (i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(t->start);
		rig_init(q, HTTP_REQUEST, MAX_HEAD);
		rig_init(s, HTTP_RESPONSE, MAX_HEAD);
		s->h.req_keep_alive = 1;
		rig_send(q, req, sizeof(req) - 1, SIZE_MAX);
		rig_send(s, resp, sizeof(resp) - 1, SIZE_MAX);
		if (q->h.state != TF_HTTP_ST_DONE ||
		    strcmp(q->got, req_want) != 0)
			t->wrong++;
		if (s->h.state != TF_HTTP_ST_DONE ||
		    strcmp(s->got, resp) != 0)
			t->wrong++;
		rig_free(q);
		rig_free(s);
	}
	free(q);
	free(s);
	return NULL;
}

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

TEST_MAIN(
	TEST_ENTRY(parsers_in_threads)
)
