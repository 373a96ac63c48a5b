/*
 * Upstream openings. An opening holds a count of what is outstanding (its
 * timer, a getaddrinfo, a connect request) and frees itself when that
 * count reaches zero after it is done, called back or cancelled.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leg.h"
#include "metrics.h"
#include "runtime.h"
#include "smtp.h"
#include "tls.h"
#include "upstream.h"

#define TF_UPSTREAM_MAGIC 0x0b5e7ea3

enum state {
	ST_RESOLVING = 0,
	ST_CONNECTING,          /* a connect in flight, or a close for retry */
	ST_STARTING,            /* over a connected leg: TLS from the timer */
	ST_SMTP,                /* SMTP in plaintext up to STARTTLS */
	ST_HANDSHAKE,
	ST_FAILING,             /* failed at start: reported from the timer */
	ST_DONE,                /* called back or cancelled */
};

/* The replies an SMTP upstream gives before TLS (RFC 3207), in order. */
enum smtp_step {
	SMTP_GREETING = 0,      /* 220 */
	SMTP_EHLO,              /* 250 with STARTTLS among its lines */
	SMTP_STARTTLS,          /* 220 */
};

struct tf_upstream {
	unsigned magic;
	enum state st;
	uv_loop_t *loop;
	const struct tf_target *t;
	struct tf_tls_client *ctx;
	tf_upstream_cb *cb;
	void *arg;
	uv_timer_t timer;               /* the whole opening's deadline */
	uint64_t timeout_ms;
	uv_getaddrinfo_t gai;
	uv_connect_t creq;
	struct addrinfo *ai_list;       /* the addresses resolved */
	struct addrinfo *ai_next;       /* the next one to try */
	struct tf_leg *leg;
	int last_err;                   /* the last connect error, for the log */
	unsigned pending;               /* timer, gai and connect outstanding */
	int fail_reason;                /* ST_FAILING: what to report */
	enum smtp_step smtp;            /* ST_SMTP: the reply awaited */
	char fail_why[160];
};

static void connect_next(struct tf_upstream *u);
static void begin(struct tf_upstream *u);
static void start_tls(struct tf_upstream *u);
static void timer_cb(uv_timer_t *t);

static void
maybe_free(struct tf_upstream *u)
{
	if (u->pending > 0 || u->st != ST_DONE)
		return;
	if (u->ai_list != NULL)
		uv_freeaddrinfo(u->ai_list);
	u->magic = 0;
	free(u);
}

static void
timer_close_cb(uv_handle_t *h)
{
	struct tf_upstream *u;

	TF_CAST_OBJ(u, h->data, TF_UPSTREAM_MAGIC);
	u->pending--;
	maybe_free(u);
}

/* Ends the opening: what is in flight is abandoned and reaps itself. */
static void
finish(struct tf_upstream *u)
{
	if (u->st == ST_RESOLVING)
		uv_cancel((uv_req_t *)&u->gai);
	u->st = ST_DONE;
	u->cb = NULL;
	if (u->leg != NULL) {
		tf_leg_destroy(u->leg);
		u->leg = NULL;
	}
	uv_close((uv_handle_t *)&u->timer, timer_close_cb);
}

static void
fail(struct tf_upstream *u, int reason, const char *why)
{
	tf_upstream_cb *cb = u->cb;
	void *arg = u->arg;

	finish(u);
	cb(arg, NULL, reason, why);
}

/* A failure found while starting: reported from the loop, not from here. */
static void
fail_soon(struct tf_upstream *u, int reason, const char *why)
{
	u->st = ST_FAILING;
	u->fail_reason = reason;
	snprintf(u->fail_why, sizeof(u->fail_why), "%s", why);
	uv_timer_start(&u->timer, timer_cb, 0, 0);
}

static void
handshake(struct tf_upstream *u)
{
	struct tf_leg *leg = u->leg;
	tf_upstream_cb *cb = u->cb;
	void *arg = u->arg;
	char why[320];
	int r;

	r = tf_leg_handshake(leg);
	tf_leg_flush(leg);
	if (r == TF_TLS_AGAIN && (leg->eof || leg->broken))
		r = TF_TLS_ERROR;
	if (r == TF_TLS_ERROR) {
		snprintf(why, sizeof(why), "TLS handshake failed: %s",
		    tf_tls_error_text(leg->tls));
		fail(u, TF_M_UP_TLS, why);
		return;
	}
	if (r == TF_TLS_AGAIN) {
		tf_leg_want_read(leg, 1);
		return;
	}
	/* Still reading: the callee goes on from here. */
	tf_leg_trim(leg);
	tf_leg_set_owner(leg, NULL, NULL);
	u->leg = NULL;
	finish(u);
	cb(arg, leg, -1, NULL);
}

/* Queues one command line in plaintext and sends it. */
static void
smtp_send(struct tf_upstream *u, const char *line)
{
	size_t n = strlen(line);

	/* The buffer is held, empty of all but earlier commands, and
	 * large: a command line always fits. */
	TF_ASSERT(tf_buf_append(&u->leg->out, line, n) == 0);
	tf_leg_flush(u->leg);
}

/*
 * The upstream's side of the dialogue before TLS: its greeting, our EHLO,
 * its capabilities, which must offer STARTTLS, our STARTTLS and its 220;
 * then TLS as for any upstream. Its replies are bounded (smtp.h); a reply
 * other than the one expected fails the opening, and so do bytes after
 * the 220 to STARTTLS: they would be read as if they came under TLS
 * (the mirror image of CVE-2011-0411).
 */
static void
smtp_prologue(struct tf_upstream *u)
{
	static const int expected[] = { 220, 250, 220 };
	static const char *const step[] = { "greeting", "EHLO", "STARTTLS" };
	struct tf_leg *leg = u->leg;
	struct tf_smtp_reply r;
	char line[TF_SMTP_LINE_MAX], why[160];
	long n;

	for (;;) {
		n = tf_smtp_reply(tf_buf_head(&leg->in), tf_buf_len(&leg->in),
		    &r);
		if (n == 0 && (leg->eof || leg->broken)) {
			snprintf(why, sizeof(why), "closed before its SMTP %s "
			    "reply", step[u->smtp]);
			fail(u, TF_M_UP_CLOSED, why);
			return;
		}
		if (n == 0) {
			tf_leg_want_read(leg, 1);
			return;
		}
		if (n < 0 || r.code != expected[u->smtp]) {
			snprintf(why, sizeof(why), n < 0 ? "malformed SMTP %s "
			    "reply" : "SMTP %s reply %d", step[u->smtp],
			    r.code);
			fail(u, TF_M_UP_BAD_RESPONSE, why);
			return;
		}
		tf_buf_consume(&leg->in, (size_t)n);
		switch (u->smtp) {
		case SMTP_GREETING:
			snprintf(line, sizeof(line), "EHLO %s\r\n",
			    u->t->smtp_ehlo);
			smtp_send(u, line);
			u->smtp = SMTP_EHLO;
			break;
		case SMTP_EHLO:
			if (!r.starttls) {
				fail(u, TF_M_UP_NO_STARTTLS,
				    "SMTP: does not offer STARTTLS");
				return;
			}
			smtp_send(u, "STARTTLS\r\n");
			u->smtp = SMTP_STARTTLS;
			break;
		case SMTP_STARTTLS:
			if (tf_buf_len(&leg->in) > 0) {
				fail(u, TF_M_UP_BAD_RESPONSE, "SMTP: bytes "
				    "after its 220 to STARTTLS");
				return;
			}
			start_tls(u);
			return;
		}
	}
}

static void
leg_cb(struct tf_leg *leg, enum tf_leg_event ev, void *owner)
{
	struct tf_upstream *u;

	TF_CAST_OBJ(u, owner, TF_UPSTREAM_MAGIC);
	if (ev == TF_LEG_EV_CLOSED)
		connect_next(u);        /* closed to try the next address */
	else if (u->st == ST_SMTP)
		smtp_prologue(u);
	else if (u->st == ST_HANDSHAKE)
		handshake(u);
}

/* SMTP towards the upstream; and then TLS, or TLS at once. */
static void
begin(struct tf_upstream *u)
{
	if (u->t->smtp_ehlo == NULL) {
		start_tls(u);
		return;
	}
	if (tf_leg_hold(u->leg) != 0) {
		fail(u, TF_M_UP_CONNECT, "out of memory");
		return;
	}
	u->st = ST_SMTP;
	u->smtp = SMTP_GREETING;
	smtp_prologue(u);
}

/* TLS over a connected leg. */
static void
start_tls(struct tf_upstream *u)
{
	struct tf_leg *leg = u->leg;

	leg->tls = tf_tls_connect(u->ctx, &leg->in, &leg->out, u->t->sni,
	    u->t->sni);
	if (leg->tls == NULL) {
		fail(u, TF_M_UP_TLS, "cannot set up TLS");
		return;
	}
	u->st = ST_HANDSHAKE;
	handshake(u);
}

static void
timer_cb(uv_timer_t *t)
{
	struct tf_upstream *u;

	TF_CAST_OBJ(u, t->data, TF_UPSTREAM_MAGIC);
	if (u->st == ST_FAILING) {
		fail(u, u->fail_reason, u->fail_why);
	} else if (u->st == ST_STARTING) {
		uv_timer_start(&u->timer, timer_cb, u->timeout_ms, 0);
		begin(u);
	} else {
		fail(u, TF_M_UP_TIMEOUT, "connect timed out");
	}
}

static void
connect_cb(uv_connect_t *req, int status)
{
	struct tf_upstream *u;

	TF_CAST_OBJ(u, req->data, TF_UPSTREAM_MAGIC);
	u->pending--;
	if (u->st != ST_CONNECTING) {
		maybe_free(u);
		return;
	}
	if (status < 0) {
		u->last_err = status;
		tf_leg_close(u->leg);   /* then the next address */
		return;
	}
	uv_tcp_nodelay(&u->leg->tcp, 1);
	begin(u);
}

/* Connects to the next resolved address, or fails when none is left. */
static void
connect_next(struct tf_upstream *u)
{
	struct addrinfo *ai = u->ai_next;
	char why[160];
	int r;

	if (ai == NULL) {
		snprintf(why, sizeof(why), "connect failed: %s",
		    u->last_err ? uv_strerror(u->last_err) : "no address");
		fail(u, TF_M_UP_CONNECT, why);
		return;
	}
	u->ai_next = ai->ai_next;
	r = tf_leg_tcp_init(u->leg, u->loop);
	if (r == 0) {
		u->creq.data = u;
		r = uv_tcp_connect(&u->creq, &u->leg->tcp, ai->ai_addr,
		    connect_cb);
		if (r == 0) {
			u->pending++;
			return;
		}
		u->last_err = r;
		tf_leg_close(u->leg);   /* then the next address */
		return;
	}
	u->last_err = r;
	u->ai_next = NULL;
	connect_next(u);
}

static void
gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct tf_upstream *u;
	char why[160];

	TF_CAST_OBJ(u, req->data, TF_UPSTREAM_MAGIC);
	u->pending--;
	if (u->st != ST_RESOLVING) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		maybe_free(u);
		return;
	}
	if (status < 0) {
		snprintf(why, sizeof(why), "cannot resolve: %s",
		    uv_strerror(status));
		fail(u, TF_M_UP_RESOLVE, why);
		return;
	}
	u->ai_list = u->ai_next = res;
	u->st = ST_CONNECTING;
	connect_next(u);
}

static struct tf_upstream *
opening_new(uv_loop_t *loop, const struct tf_target *t,
    struct tf_tls_client *ctx, uint64_t timeout_ms, tf_upstream_cb *cb,
    void *arg)
{
	struct tf_upstream *u = tf_xcalloc(1, sizeof(*u));

	u->magic = TF_UPSTREAM_MAGIC;
	u->loop = loop;
	u->t = t;
	u->ctx = ctx;
	u->cb = cb;
	u->arg = arg;
	TF_ASSERT(uv_timer_init(loop, &u->timer) == 0);
	u->timer.data = u;
	u->pending = 1;
	u->timeout_ms = timeout_ms;
	uv_timer_start(&u->timer, timer_cb, timeout_ms, 0);
	return u;
}

struct tf_upstream *
tf_upstream_open(uv_loop_t *loop, struct tf_mcache *cache,
    const struct tf_target *t, struct tf_tls_client *ctx,
    uint64_t timeout_ms, tf_upstream_cb *cb, void *arg)
{
	struct tf_upstream *u;
	struct addrinfo hints;
	int r;

	u = opening_new(loop, t, ctx, timeout_ms, cb, arg);
	u->leg = tf_leg_new(cache, leg_cb, u);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	u->gai.data = u;
	u->st = ST_RESOLVING;
	r = uv_getaddrinfo(loop, &u->gai, gai_cb, t->host, t->port_text,
	    &hints);
	if (r != 0) {
		fail_soon(u, TF_M_UP_RESOLVE, uv_strerror(r));
		return u;
	}
	u->pending++;
	return u;
}

struct tf_upstream *
tf_upstream_over(uv_loop_t *loop, struct tf_leg *leg,
    const struct tf_target *t, struct tf_tls_client *ctx,
    uint64_t timeout_ms, tf_upstream_cb *cb, void *arg)
{
	struct tf_upstream *u;

	u = opening_new(loop, t, ctx, timeout_ms, cb, arg);
	u->leg = leg;
	tf_leg_set_owner(leg, leg_cb, u);
	/* TLS starts from the loop, so nothing calls back from here. */
	u->st = ST_STARTING;
	uv_timer_start(&u->timer, timer_cb, 0, 0);
	return u;
}

void
tf_upstream_cancel(struct tf_upstream *u)
{
	TF_CHECK_OBJ(u, TF_UPSTREAM_MAGIC);
	if (u->st != ST_DONE)
		finish(u);
}
