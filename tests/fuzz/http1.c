/*
 * libFuzzer driver for proxy/http1.c: one direction of a proxied
 * connection, driven the way conn.c drives it.
 *
 * Input: three control bytes, then the byte stream of the connection.
 *   byte 0  bit 0    0: requests (client side), 1: responses (upstream)
 *           bit 1    max-header-size 1k (else 4k)
 *           bits 2-3 requests: the route callback keeps the Host, sets a
 *                    fixed one, answers 421, or 421 for some Hosts and a
 *                    253-character name for the others
 *           bit 4    requests: client_ip IPv6 (longest form), else IPv4
 *           bits 4-7 responses: req_is_head, req_keep_alive, req_http10,
 *                    req_upgrade
 *   byte 1  read sizes: 0 as much as fits, 1 one byte at a time, 2..127
 *           up to that many bytes, 128..255 up to (byte-127)*128 bytes
 *   byte 2  seeds the sizes; bit 0 set: the writer drains the out buffer
 *           a random amount at a time instead of all of it
 *
 * The stream goes into a source buffer of conn.c's size in reads of those
 * sizes; parse_into() below is conn.c's, except that tf_http_feed() gets a
 * copy of exactly the n bytes (so ASan sees a read past them), copied back
 * after (the feed may rewrite chunk extensions in place, and conn.c would
 * feed the rewritten bytes again). The out buffer has the daemon's size.
 * After a message is DONE, the stream goes on where conn.c would call
 * tf_http_next(), and stops where it would not.
 *
 * Checked besides memory safety: each feed emits at most what
 * tf_http_out_need() promised; states and error statuses are valid; the
 * route callback gets bounded strings, and the method that goes on is
 * HEAD exactly when the response side is told so, and never CONNECT; the
 * rewritten stream is re-read by a plain llhttp parser (strict, with RFC
 * 9112 rules for responses without content) that must find the same
 * message boundaries and body lengths, never an error: a disagreement is
 * a request or response the next hop would frame differently.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "buf.h"
#include "check.h"
#include "http1.h"

/* conn.c: PLAIN_BUF (TF_TLS_MAX_PLAIN) and the stage buffers. */
#define SRC_CAP 16384
#define OUT_CAP(max_head) ((max_head) + 4096 + 16384)

/* One message the proxy completed: where its rewritten bytes end. */
struct msg {
	size_t end;         /* offset in the output stream */
	uint64_t body;      /* body bytes, decoded */
	size_t ext_len;     /* request with a method llhttp does not know */
	int eof;            /* a read-to-close body ended by tf_http_finish */
	int upgrade;        /* a 101: raw bytes follow */
};

struct fz {
	const uint8_t *in;
	size_t in_len, in_off;
	uint64_t rng;
	int response;
	unsigned read_mode;
	int drain_random;
	int route_mode;

	struct tf_http h;
	struct tf_http_rewrite rw;
	struct tf_http_reqinfo info;
	struct tf_buf src, out;

	char *all;          /* every byte emitted, in order */
	size_t all_len, all_cap;
	struct msg *msgs;
	size_t nmsgs, msgs_cap;
	int stopped;        /* conn.c would stop parsing here */
};

static char long_host[260];

static uint32_t
rnd(struct fz *f)
{
	/* xorshift64* */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (uint32_t)((f->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static size_t
read_size(struct fz *f)
{
	size_t max;

	if (f->read_mode == 0)
		return SIZE_MAX;
	if (f->read_mode == 1)
		return 1;
	if (f->read_mode < 128)
		max = f->read_mode;
	else
		max = (size_t)(f->read_mode - 127) * 128;
	return 1 + rnd(f) % max;
}

static void
keep_output(struct fz *f, const char *p, size_t n)
{
	if (f->all_len + n > f->all_cap) {
		f->all_cap = (f->all_len + n) * 2 + 4096;
		f->all = realloc(f->all, f->all_cap);
		CHECK(f->all != NULL);
	}
	memcpy(f->all + f->all_len, p, n);
	f->all_len += n;
}

/* The upstream (or client) writer: takes bytes off the out buffer. */
static int
drain(struct fz *f, int all)
{
	size_t n = tf_buf_len(&f->out);

	if (n == 0)
		return 0;
	if (!all && f->drain_random)
		n = rnd(f) % 4 == 0 ? 0 : 1 + rnd(f) % n;
	if (n == 0)
		return 0;
	keep_output(f, tf_buf_head(&f->out), n);
	tf_buf_consume(&f->out, n);
	return 1;
}

static const char *
route(void *arg, const struct tf_http_reqinfo *info, int *status)
{
	struct fz *f = arg;

	CHECK(info == &f->info);
	CHECK(memchr(info->method, '\0', sizeof(info->method)) != NULL);
	CHECK(info->method[0] != '\0');
	CHECK(memchr(info->host, '\0', sizeof(info->host)) != NULL);
	CHECK(memchr(info->path, '\0', sizeof(info->path)) != NULL);
	CHECK(memchr(info->user_agent, '\0',
	    sizeof(info->user_agent)) != NULL);
	CHECK(info->has_host || info->http10);
	CHECK(*status == 0);
	/* The method that goes on is the one the response side is told
	 * about (HEAD), and never the refused CONNECT. */
	CHECK(info->is_head == (strcmp(info->method, "HEAD") == 0));
	CHECK(strcmp(info->method, "CONNECT") != 0);
	switch (f->route_mode) {
	case 0:
		return NULL;
	case 1:
		return "outlook.office365.com";
	case 2:
		*status = 421;
		return NULL;
	default:
		if (info->has_host && strchr(info->host, 'x') != NULL) {
			*status = 421;
			return NULL;
		}
		return long_host;
	}
}

static void
check_state(struct fz *f)
{
	const struct tf_http *h = &f->h;

	CHECK(h->state == TF_HTTP_ST_HEAD || h->state == TF_HTTP_ST_BODY ||
	    h->state == TF_HTTP_ST_DONE || h->state == TF_HTTP_ST_ERROR);
	CHECK(h->store_len <= h->max_head);
	CHECK(h->nfields <= TF_HTTP_MAX_FIELDS);
	CHECK(tf_buf_len(&f->out) <= f->out.cap);
	if (h->state == TF_HTTP_ST_ERROR) {
		CHECK(h->why != NULL);
		if (f->response)
			CHECK(h->status == 502);
		else
			CHECK(h->status == 400 || h->status == 421 ||
			    h->status == 431 || h->status == 501 ||
			    h->status == 505);
	}
}

/* tf_http_feed_buf() of proxy/http1.c, with the feed on an exact copy
 * (ASan sees any read past the bytes given). */
static int
parse_into(struct fz *f)
{
	struct tf_http *h = &f->h;
	struct tf_buf *src = &f->src;
	int progress = 0;

	while (tf_buf_len(src) > 0 &&
	    (h->state == TF_HTTP_ST_HEAD || h->state == TF_HTTP_ST_BODY)) {
		size_t n = tf_buf_len(src), need, space, before, used, emitted;
		char *copy;

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
		CHECK(tf_buf_tailroom(h->out) >= need);
		before = tf_buf_len(h->out);

		copy = malloc(n);
		CHECK(copy != NULL);
		memcpy(copy, tf_buf_head(src), n);
		used = tf_http_feed(h, copy, n);
		memcpy(tf_buf_head(src), copy, n);
		free(copy);

		emitted = tf_buf_len(h->out) - before;
		CHECK(used <= n);
		CHECK(emitted <= need);
		check_state(f);
		tf_buf_consume(src, used);
		if (used > 0 || emitted > 0)
			progress = 1;
		if (used == 0 && h->state != TF_HTTP_ST_DONE)
			break;
		if (h->state == TF_HTTP_ST_DONE || h->state == TF_HTTP_ST_ERROR)
			break;
	}
	return progress;
}

/* A message is DONE: notes where it ends, and goes on as conn.c would. */
static void
message_done(struct fz *f, int eof)
{
	struct tf_http *h = &f->h;
	struct msg *m;
	int go_on;

	CHECK(h->state == TF_HTTP_ST_DONE);
	if (f->nmsgs == f->msgs_cap) {
		f->msgs_cap = f->msgs_cap * 2 + 16;
		f->msgs = realloc(f->msgs, f->msgs_cap * sizeof(*f->msgs));
		CHECK(f->msgs != NULL);
	}
	m = &f->msgs[f->nmsgs++];
	memset(m, 0, sizeof(*m));
	/* Everything emitted so far, drained or not. */
	m->end = f->all_len + tf_buf_len(&f->out);
	m->body = h->body_bytes;
	m->eof = eof;
	if (!f->response && h->ext_method[0] != '\0') {
		m->ext_len = strlen(h->ext_method);
		CHECK(strcmp(f->info.method, h->ext_method) == 0);
	}
	if (f->response) {
		m->upgrade = h->upgrade;
		if (h->upgrade)
			CHECK(h->parser.status_code == 101 && h->req_upgrade);
		/* conn.c exchange_done(): a 101 becomes a tunnel; otherwise
		 * the next response is read only on a kept connection. */
		go_on = !h->upgrade && !eof && !h->close_after &&
		    h->req_keep_alive && llhttp_should_keep_alive(&h->parser);
	} else {
		/* The next request is read once the exchange is done, on a
		 * kept connection that was not upgraded. */
		go_on = f->info.keep_alive && !h->upgrade;
	}
	if (go_on)
		tf_http_next(h);
	else
		f->stopped = 1;
}

/* The next hop's parser, re-reading what the proxy emitted. */
struct ref {
	int is_head;        /* responses: the request was HEAD */
	int complete;
	int headers;
	int status;
	uint64_t body;
};

static int
ref_on_message_begin(llhttp_t *p)
{
	struct ref *r = p->data;

	r->complete = r->headers = 0;
	r->body = 0;
	return 0;
}

static int
ref_on_headers_complete(llhttp_t *p)
{
	struct ref *r = p->data;

	r->headers = 1;
	if (p->type == HTTP_RESPONSE) {
		int s = p->status_code;

		/* RFC 9112 6.3: no content, whatever the fields say. */
		if (s < 200 || s == 204 || s == 304 || r->is_head)
			return 1;
	}
	return 0;
}

static int
ref_on_body(llhttp_t *p, const char *at, size_t n)
{
	struct ref *r = p->data;

	(void)at;
	r->body += n;
	return 0;
}

static int
ref_on_message_complete(llhttp_t *p)
{
	struct ref *r = p->data;

	r->complete = 1;
	r->status = p->status_code;
	return HPE_PAUSED;
}

static void
ref_fail(struct fz *f, const llhttp_t *p, const char *what, size_t at)
{
	fprintf(stderr, "http1 fuzz: the rewritten stream is framed "
	    "differently: %s (output offset %zu of %zu, llhttp: %s %s)\n",
	    what, at, f->all_len, llhttp_errno_name(llhttp_get_errno(p)),
	    llhttp_get_error_reason(p) ? llhttp_get_error_reason(p) : "");
	fprintf(stderr, "--- output ---\n%.*s\n--- end ---\n",
	    (int)(f->all_len > 4096 ? 4096 : f->all_len), f->all);
	abort();
}

/*
 * Runs the next hop's parser over [*off, end): returns the llhttp result
 * with *off moved past what it consumed. 1xx responses are stepped over.
 */
static llhttp_errno_t
ref_run(struct fz *f, llhttp_t *p, struct ref *r, size_t *off, size_t end)
{
	llhttp_errno_t e;

	for (;;) {
		const char *start = f->all + *off;

		e = llhttp_execute(p, start, end - *off);
		if (e == HPE_OK) {
			*off = end;
			return e;
		}
		*off += (size_t)(llhttp_get_error_pos(p) - start);
		if (e == HPE_PAUSED && r->complete && p->type ==
		    HTTP_RESPONSE && r->status < 200 && r->status != 101) {
			llhttp_resume(p);
			r->complete = 0;
			continue;
		}
		return e;
	}
}

static void
ref_check(struct fz *f)
{
	static llhttp_settings_t s;
	static int s_ready;
	llhttp_t p;
	struct ref r;
	size_t off = 0, i;
	llhttp_errno_t e;

	if (!s_ready) {
		llhttp_settings_init(&s);
		s.on_message_begin = ref_on_message_begin;
		s.on_headers_complete = ref_on_headers_complete;
		s.on_body = ref_on_body;
		s.on_message_complete = ref_on_message_complete;
		s_ready = 1;
	}
	memset(&r, 0, sizeof(r));
	r.is_head = f->response && f->h.req_is_head;
	llhttp_init(&p, f->response ? HTTP_RESPONSE : HTTP_REQUEST, &s);
	p.data = &r;

	for (i = 0; i < f->nmsgs; i++) {
		const struct msg *m = &f->msgs[i];

		CHECK(m->end >= off && m->end <= f->all_len);
		if (m->ext_len > 0) {
			/* The method goes on as the client sent it. */
			CHECK(m->end - off > m->ext_len &&
			    f->all[off + m->ext_len] == ' ');
			if (llhttp_execute(&p, "POST", 4) != HPE_OK)
				ref_fail(f, &p, "request line", off);
			off += m->ext_len;
		}
		e = ref_run(f, &p, &r, &off, m->end);
		if (m->upgrade) {
			/* A 101: raw bytes follow, whatever its fields say. */
			if (!r.headers || (e != HPE_OK && e != HPE_PAUSED &&
			    e != HPE_PAUSED_UPGRADE))
				ref_fail(f, &p, "101 head", off);
			return;
		}
		if (m->eof) {
			if (e != HPE_OK)
				ref_fail(f, &p, "read-to-close message", off);
			e = llhttp_finish(&p);
			if (!r.complete || (e != HPE_OK && e != HPE_PAUSED))
				ref_fail(f, &p, "read-to-close end", off);
		} else if (e != HPE_PAUSED || !r.complete || off != m->end) {
			ref_fail(f, &p, "message end", off);
		}
		if (r.body != m->body)
			ref_fail(f, &p, "body length", off);
		if (m->eof)
			CHECK(i + 1 == f->nmsgs);
		llhttp_resume(&p);
		r.complete = 0;
	}
	if (f->stopped || off == f->all_len)
		return;
	/* What follows the last complete message: a valid beginning. */
	if (!f->response && f->h.ext_method[0] != '\0') {
		size_t k = strlen(f->h.ext_method);

		if (f->all_len - off <= k)
			return;
		if (llhttp_execute(&p, "POST", 4) != HPE_OK)
			ref_fail(f, &p, "request line", off);
		off += k;
	}
	e = ref_run(f, &p, &r, &off, f->all_len);
	if (e != HPE_OK)
		ref_fail(f, &p, "unfinished message", off);
}

static void
run(struct fz *f)
{
	struct tf_http *h = &f->h;

	for (;;) {
		int progress = 0;

		/* A read: what arrived goes into the source buffer. */
		if (f->in_off < f->in_len && tf_buf_space(&f->src) > 0) {
			size_t k = read_size(f);

			if (k > tf_buf_space(&f->src))
				k = tf_buf_space(&f->src);
			if (k > f->in_len - f->in_off)
				k = f->in_len - f->in_off;
			CHECK(tf_buf_append(&f->src, f->in + f->in_off, k) ==
			    0);
			f->in_off += k;
			progress = 1;
		}
		progress |= parse_into(f);
		if (h->state == TF_HTTP_ST_ERROR)
			return;
		if (h->state == TF_HTTP_ST_DONE) {
			message_done(f, 0);
			if (f->stopped)
				return;
			progress = 1;
		}
		progress |= drain(f, 0);
		if (!progress)
			break;
	}
	/* The peer closed. conn.c calls tf_http_finish() on a response
	 * still in its body. */
	if (f->response && h->state == TF_HTTP_ST_BODY) {
		int r = tf_http_finish(h);

		check_state(f);
		if (r == 0)
			message_done(f, 1);
		else
			CHECK(h->state != TF_HTTP_ST_DONE);
	}
}

/* TF_FUZZ_VERBOSE=1: what happened to each input, on stderr. */
static int
verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("TF_FUZZ_VERBOSE") != NULL;
	return v;
}

static void
init_long_host(void)
{
	size_t i;

	/* 253 characters of DNS name, as a route's host could be, and a
	 * port. */
	for (i = 0; i < 253; i++)
		long_host[i] = i % 64 == 63 ? '.' : 'a' + (char)(i % 26);
	memcpy(long_host + 253, ":65535", 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	size_t max_head;
	uint8_t b0;

	if (size < 3)
		return -1;
	if (long_host[0] == '\0')
		init_long_host();
	memset(&f, 0, sizeof(f));
	b0 = data[0];
	f.response = b0 & 1;
	max_head = b0 & 2 ? 1024 : 4096;
	f.route_mode = (b0 >> 2) & 3;
	f.read_mode = data[1];
	f.drain_random = data[2] & 1;
	f.rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)data[1] << 8 | data[2]) ^
	    (uint64_t)size << 32;
	f.in = data + 3;
	f.in_len = size - 3;

	CHECK(tf_buf_init(&f.src, SRC_CAP) == 0);
	CHECK(tf_buf_init(&f.out, OUT_CAP(max_head)) == 0);
	CHECK(tf_http_init(&f.h, f.response ? HTTP_RESPONSE : HTTP_REQUEST,
	    &f.out, max_head) == 0);
	if (f.response) {
		f.h.req_is_head = (b0 >> 4) & 1;
		f.h.req_keep_alive = (b0 >> 5) & 1;
		f.h.req_http10 = (b0 >> 6) & 1;
		f.h.req_upgrade = (b0 >> 7) & 1;
	} else {
		f.rw.route = route;
		f.rw.arg = &f;
		f.rw.client_ip = b0 & 16 ?
		    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" :
		    "192.0.2.10";
		f.h.rw = &f.rw;
		f.h.info = &f.info;
	}

	run(&f);
	while (drain(&f, 1))
		;
	if (verbose())
		fprintf(stderr, "http1 fuzz: %s, state %d, status %d (%s), "
		    "%zu messages, %zu of %zu bytes read, output:\n%.*s\n",
		    f.response ? "responses" : "requests", (int)f.h.state,
		    f.h.status, f.h.why ? f.h.why : "-", f.nmsgs, f.in_off,
		    f.in_len, (int)f.all_len, f.all ? f.all : "");
	ref_check(&f);

	tf_http_free(&f.h);
	tf_buf_free(&f.src);
	tf_buf_free(&f.out);
	free(f.all);
	free(f.msgs);
	return 0;
}
