/*
 * The pump. Every callback only records what happened and calls
 * tf_conn_pump(), which moves data in a fixed order:
 *
 *   client leg -> client TLS -> cplain -> request parser -> to_up
 *     -> upstream TLS -> upstream leg
 *   upstream leg -> upstream TLS -> uplain -> response parser
 *     -> to_client -> client TLS -> client leg
 *
 * Every buffer is bounded; a stage moves only when the next one has room,
 * and a leg is read only while its ciphertext buffer has room.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "hello.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "proxyproto.h"
#include "runtime.h"
#include "smtp.h"
#include "tls.h"

#define DRAIN_TIMEOUT_MS 5000  /* last bytes to a client that won't read */

_Static_assert(TF_FLOOR_AUDIT - TF_FLOOR_REFUSED == TF_M_ALLOWED_AUDIT &&
    TF_FLOOR_EXEMPT - TF_FLOOR_REFUSED == TF_M_ALLOWED_EXEMPT &&
    TF_M_REFUSED == 0, "enum tf_floor follows the metrics' actions");

static _Atomic uint64_t conn_ids;

static void leg_cb(struct tf_leg *leg, enum tf_leg_event ev, void *owner);

static void
unref(struct tf_conn *c)
{
	struct tf_conns *set = c->set;
	struct tf_lstn *l = c->l;

	TF_ASSERT(c->refs > 0);
	if (--c->refs > 0 || c->st != TF_CONN_ST_CLOSED)
		return;
	tf_leg_release(&c->client);
	tf_exchange_free(&c->x);
	free(c->hello);
	c->magic = 0;
	free(c);
	TF_METRIC_DEC(l->m, connections_active);
	set->n--;
	if (set->gone_cb != NULL)
		set->gone_cb(set, l);
	tf_runtime_unref(l->rt);
}

static void
timer_close_cb(uv_handle_t *h)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, h->data, TF_CONN_MAGIC);
	unref(c);
}

/* Runs the one timer for kind; kind NONE stops it. */
static void
set_timer(struct tf_conn *c, enum tf_conn_timer kind, uint64_t ms);

/* --- the upstream half --------------------------------------------------- */

/*
 * Lets go of the upstream connection: an opening is cancelled, a leg
 * closed. keep_request: the request waiting in to_up goes on the next one.
 */
static void
upstream_drop(struct tf_conn *c, int keep_request)
{
	if (c->up == TF_CONN_UP_OPENING)
		tf_upstream_cancel(c->opening);
	else if (c->up == TF_CONN_UP_READY)
		tf_leg_destroy(c->upstream);
	c->opening = NULL;
	c->upstream = NULL;
	c->up = TF_CONN_UP_NONE;
	/* A kept request goes again from its start. */
	c->replay = 0;
	c->sent = 0;
	tf_exchange_upstream_gone(&c->x, keep_request);
}

/*
 * The client connection ends: its upstream leg goes to the worker's pool
 * when nothing of an exchange is left on it, else it is closed.
 */
static void
upstream_release(struct tf_conn *c)
{
	struct tf_leg *leg = c->upstream;

	if (c->up == TF_CONN_UP_READY && c->set->pool != NULL &&
	    !c->set->stopping && c->st != TF_CONN_ST_TUNNEL && !c->pinned &&
	    tf_exchange_upstream_clean(&c->x) && tf_leg_idle(leg) &&
	    tf_pool_put(c->set->pool, leg, c->up_target->pool_key,
	    c->l->client, c->l->rt) == 0) {
		c->upstream = NULL;
		c->up = TF_CONN_UP_NONE;
		return;
	}
	upstream_drop(c, 0);
}

static void
drain(struct tf_conn *c)
{
	if (c->st >= TF_CONN_ST_DRAINING)
		return;
	c->st = TF_CONN_ST_DRAINING;
	set_timer(c, TF_CONN_TM_NONE, 0);
	c->again = 1;
}

/* Borrows both client buffers for bytes the gateway writes itself. 0, or
 * -1 when out of memory: the connection was closed. */
static int
client_hold(struct tf_conn *c)
{
	if (tf_leg_hold(&c->client) == 0)
		return 0;
	tf_conn_close(c, "out of memory");
	return -1;
}

static int
is_smtp(const struct tf_conn *c)
{
	return c->l->conf->protocol == TF_PROTO_SMTP;
}

/*
 * An SMTP session's upstream could not be opened: the client, whose
 * TLS is up and who waits to be answered, is told so (RFC 5321 3.8: 421
 * before closing) and the connection closes.
 */
static void
smtp_unavailable(struct tf_conn *c, int reason)
{
	static const char no_starttls[] =
	    "421 4.7.0 upstream does not offer STARTTLS\r\n";
	static const char unavailable[] =
	    "421 4.4.0 upstream unavailable, try again later\r\n";

	tf_buf_consume(&c->x.to_client, tf_buf_len(&c->x.to_client));
	if (reason == TF_M_UP_NO_STARTTLS)
		TF_ASSERT(tf_buf_append(&c->x.to_client, no_starttls,
		    sizeof(no_starttls) - 1) == 0);
	else
		TF_ASSERT(tf_buf_append(&c->x.to_client, unavailable,
		    sizeof(unavailable) - 1) == 0);
	drain(c);
}

/*
 * The upstream could not be reached, failed or timed out: counted and
 * logged; the request in flight is answered with status (502, 504) unless
 * its response already started.
 */
static void
upstream_failed(struct tf_conn *c, int status, int reason, const char *why)
{
	TF_METRIC_INC(c->l->m, upstream_errors[reason]);
	tf_log_error("conn %llu: upstream %s: %s", (unsigned long long)c->id,
	    (c->up_target ? c->up_target : c->x.target)->name, why);
	if (c->timer_kind == TF_CONN_TM_UPSTREAM)
		set_timer(c, TF_CONN_TM_NONE, 0);
	if (c->x.active) {
		tf_exchange_fail(&c->x, uv_now(c->set->loop), status,
		    status == 504 ?
		    "The upstream server did not answer in time." :
		    "The upstream server could not be reached.");
		drain(c);
	} else if (is_smtp(c) && c->st == TF_CONN_ST_TUNNEL) {
		smtp_unavailable(c, reason);
	}
	upstream_drop(c, 0);
	c->again = 1;
}

static void
upstream_timer(struct tf_conn *c)
{
	set_timer(c, TF_CONN_TM_UPSTREAM, c->l->conf->upstream_timeout_ms);
}

/* The upstream leg is ready: it carries the requests from now on. */
static void
attach(struct tf_conn *c, struct tf_leg *leg)
{
	c->upstream = leg;
	c->up = TF_CONN_UP_READY;
	tf_leg_set_owner(leg, leg_cb, c);
	strncpy(c->x.upstream_tls, tf_tls_version(leg->tls),
	    sizeof(c->x.upstream_tls) - 1);
	if (c->x.active || c->st == TF_CONN_ST_TUNNEL)
		upstream_timer(c);
	c->again = 1;
}

static void
opened_cb(void *arg, struct tf_leg *leg, int reason, const char *why)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, arg, TF_CONN_MAGIC);
	c->opening = NULL;
	c->up = TF_CONN_UP_NONE;
	if (leg == NULL)
		upstream_failed(c, 502, reason, why);
	else
		attach(c, leg);
	tf_conn_pump(c);
}

/*
 * An upstream connection for the request in flight: pooled (unless
 * from_pool is 0), or new. What goes on a pooled one is kept until it
 * answers, in case the origin closed it just as it was taken.
 */
static void
upstream_open(struct tf_conn *c, int from_pool)
{
	const struct tf_target *t = c->x.target;
	struct tf_leg *leg = NULL;

	c->up_target = t;
	if (from_pool && c->set->pool != NULL)
		leg = tf_pool_take(c->set->pool, t->pool_key, c->l->client);
	if (leg != NULL) {
		c->replay = 1;
		c->sent = 0;
		attach(c, leg);
		return;
	}
	c->up = TF_CONN_UP_OPENING;
	c->opening = c->set->open_upstream(c->set->loop, c->set->cache, t,
	    c->l->client, c->l->conf->upstream_connect_timeout_ms,
	    opened_cb, c);
}

/* The pooled leg answered: what it was sent need not be kept. */
static void
replay_end(struct tf_conn *c)
{
	if (!c->replay)
		return;
	c->replay = 0;
	tf_buf_consume(&c->x.to_up, c->sent);
	c->sent = 0;
}

/*
 * Encrypts the request bytes onto the upstream leg. Until a pooled leg
 * answers, the bytes it was sent stay in to_up, past c->sent; keeping
 * them never holds the request up: when the client's next bytes need the
 * room they take, they go, and the request can no longer be sent again.
 */
static int
send_upstream(struct tf_conn *c, struct tf_leg *leg)
{
	struct tf_buf unsent;
	size_t n;
	int r;

	if (!c->replay)
		return tf_leg_encrypt(leg, &c->x.to_up);
	unsent = c->x.to_up;
	tf_buf_consume(&unsent, c->sent);
	n = tf_buf_len(&unsent);
	r = tf_leg_encrypt(leg, &unsent);
	c->sent += n - tf_buf_len(&unsent);
	if (tf_exchange_request_blocked(&c->x))
		replay_end(c);
	return r;
}

/*
 * A pooled leg failed before any byte of the response came: the origin
 * closed it as it was reused (an idle timeout, a restart). The request,
 * still whole in to_up, goes on a new connection when nothing of it was
 * sent yet, or when its method is idempotent (RFC 9110, 9.2.2), as nginx
 * does for its cached connections: an origin may have acted on a POST it
 * then did not answer. Returns 1 when the request was sent off again.
 */
static int
retry_fresh(struct tf_conn *c)
{
	if (!c->replay || !c->x.active ||
	    (c->sent > 0 && !tf_exchange_idempotent(&c->x)))
		return 0;
	tf_log_info("conn %llu: upstream %s: a pooled connection closed as "
	    "it was reused; the request goes on a new one",
	    (unsigned long long)c->id, c->up_target->name);
	upstream_drop(c, 1);
	upstream_open(c, 0);
	c->again = 1;
	return 1;
}

/* --- SMTP before STARTTLS ------------------------------------------------ */

/*
 * protocol smtp: the greeting, once a PROXY header (if any) is read. The
 * dialogue before STARTTLS runs in the client leg's own buffers, in
 * plaintext. Returns 0, or -1 when the connection was closed.
 */
static int
smtp_start(struct tf_conn *c)
{
	if (client_hold(c) != 0)
		return -1;
	/* A dialogue of small lines: each reply must go at once. */
	tf_leg_nodelay(&c->client);
	TF_ASSERT(tf_smtp_greet(&c->client.out, c->l->smtp_host) == 0);
	c->st = TF_CONN_ST_SMTP;
	return 0;
}

/*
 * Answers the client's commands. Returns 0 once STARTTLS was answered
 * (what the client sends next is TLS), else -1: wait for more, or the
 * connection ends.
 */
static int
smtp_dialogue(struct tf_conn *c)
{
	if (client_hold(c) != 0)
		return -1;
	switch (tf_smtp_serve(&c->client.in, &c->client.out,
	    c->l->smtp_host)) {
	case TF_SMTP_TLS:
		/* The TLS handshake gets a handshake-timeout of its own. */
		set_timer(c, TF_CONN_TM_HANDSHAKE,
		    c->l->conf->handshake_timeout_ms);
		c->st = TF_CONN_ST_PEEK;
		return 0;
	case TF_SMTP_QUIT:
		drain(c);
		return -1;
	case TF_SMTP_TOO_LONG:
		tf_log_info("conn %llu: %s: SMTP command line too long",
		    (unsigned long long)c->id, c->ip);
		drain(c);
		return -1;
	case TF_SMTP_MORE:
		break;
	}
	if (c->client.eof)
		tf_conn_close(c, "client closed before STARTTLS");
	return -1;
}

/* The dialogue before STARTTLS took longer than handshake-timeout. */
static void
smtp_timeout(struct tf_conn *c)
{
	static const char msg[] = "421 4.4.2 timeout, closing connection\r\n";

	tf_log_info("conn %llu: %s: no STARTTLS within handshake-timeout",
	    (unsigned long long)c->id, c->ip);
	if (tf_leg_hold(&c->client) == 0 &&
	    tf_buf_space(&c->client.out) >= sizeof(msg)) {
		tf_buf_compact(&c->client.out);
		TF_ASSERT(tf_buf_append(&c->client.out, msg,
		    sizeof(msg) - 1) == 0);
	}
	drain(c);
}

/*
 * An SMTP session's client handshake is done: its upstream opens (the
 * SMTP prologue, then TLS: upstream.c) and from then on bytes go both
 * ways, as in a tunnel. The client's next bytes, its EHLO under TLS, wait
 * in cplain meanwhile. An SMTP upstream connection never comes from the
 * pool nor goes to it: each session starts with its own greeting.
 */
static void
smtp_relay(struct tf_conn *c)
{
	c->st = TF_CONN_ST_TUNNEL;
	set_timer(c, TF_CONN_TM_NONE, 0);
	if (tf_exchange_alloc(&c->x) != 0) {
		tf_log_error("conn %llu: out of memory",
		    (unsigned long long)c->id);
		tf_conn_close(c, "out of memory");
		return;
	}
	upstream_open(c, 0);
	c->again = 1;
}

/* --- timers -------------------------------------------------------------- */

static void
handshake_failed(struct tf_conn *c, const char *reason)
{
	if (c->floor != TF_FLOOR_REFUSED && c->client.bytes_in > 0) {
		tf_record_handshake_failed(&c->peer, c->hello,
		    c->hello != NULL ? c->ja4 : NULL, reason);
		TF_METRIC_INC(c->l->m, handshake_failures[
		    tf_metrics_reason_index(reason)]);
	}
}

static void
timer_cb(uv_timer_t *t)
{
	struct tf_conn *c;
	enum tf_conn_timer kind;

	TF_CAST_OBJ(c, t->data, TF_CONN_MAGIC);
	kind = c->timer_kind;
	c->timer_kind = TF_CONN_TM_NONE;
	switch (kind) {
	case TF_CONN_TM_HANDSHAKE:
		if (c->st == TF_CONN_ST_SMTP) {
			smtp_timeout(c);
			tf_conn_pump(c);
			break;
		}
		handshake_failed(c, "timeout");
		tf_conn_close(c, "handshake timeout");
		break;
	case TF_CONN_TM_HEADER:
		tf_conn_close(c, "header timeout");
		break;
	case TF_CONN_TM_IDLE:
		tf_conn_close(c, "idle timeout");
		break;
	case TF_CONN_TM_UPSTREAM:
		if (c->st == TF_CONN_ST_TUNNEL) {
			tf_conn_close(c, "tunnel idle past upstream-timeout");
		} else if (c->x.active) {
			upstream_failed(c, 504, TF_M_UP_TIMEOUT,
			    "timed out waiting for the response");
			tf_conn_pump(c);
		}
		break;
	case TF_CONN_TM_DRAIN:
		tf_conn_close(c, "drain timeout");
		break;
	case TF_CONN_TM_NONE:
		break;
	}
}

static void
set_timer(struct tf_conn *c, enum tf_conn_timer kind, uint64_t ms)
{
	c->timer_kind = kind;
	if (kind == TF_CONN_TM_NONE)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, timer_cb, ms, 0);
}

/* --- the client's hello -------------------------------------------------- */

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

static const char *
floor_action(enum tf_floor f)
{
	switch (f) {
	case TF_FLOOR_AUDIT:
		return "allowed_audit";
	case TF_FLOOR_EXEMPT:
		return "allowed_exempt";
	default:
		return "refused";
	}
}

/*
 * The floor decision for a hello, made once per connection: at or above
 * its floor it passes; below it, it is recorded and refused, or let in
 * when the listener audits or the source is exempt. SSL 3.0 and SSLv2
 * cannot be spoken at all and are always refused.
 */
static enum tf_floor
decide(struct tf_conn *c, const struct tf_hello *h)
{
	uint16_t v = tf_hello_max_known_version(h), floor;
	enum tf_floor f = TF_FLOOR_REFUSED;
	int vi;

	if (c->floor != TF_FLOOR_NONE)
		return c->floor;
	tf_hello_ja4(h, c->ja4);
	floor = tf_runtime_floor(c->l, h->has_sni ? (const char *)h->sni :
	    NULL, h->sni_len);
	if (v >= floor) {
		f = TF_FLOOR_PASS;
	} else {
		if (v >= TF_TLS10_VERSION && is_exempt(c))
			f = TF_FLOOR_EXEMPT;
		else if (v >= TF_TLS10_VERSION &&
		    c->l->conf->mode == TF_MODE_AUDIT)
			f = TF_FLOOR_AUDIT;
		tf_record_legacy(&c->peer, h, c->ja4, floor_action(f), floor);
		vi = tf_metrics_version_index(v);
		if (vi >= 0)
			TF_METRIC_INC(c->l->m,
			    legacy[vi][f - TF_FLOOR_REFUSED]);
	}
	TF_METRIC_INC(c->l->m, floor_hellos[floor == TF_TLS13_VERSION]
	    [f - TF_FLOOR_PASS]);
	return c->floor = f;
}

static int
let_in_below_floor(const struct tf_conn *c)
{
	return c->floor == TF_FLOOR_AUDIT || c->floor == TF_FLOOR_EXEMPT;
}

/*
 * Called by the TLS layer from inside the handshake with the parsed
 * ClientHello (NULL when it could not be parsed): this is where a hello
 * below the floor is recorded and the route of its SNI found.
 */
static enum tf_tls_hello_verdict
hello_cb(void *arg, const struct tf_hello *h)
{
	struct tf_conn *c = arg;

	TF_CHECK_OBJ(c, TF_CONN_MAGIC);
	if (c->st == TF_CONN_ST_HELLO)
		c->st = TF_CONN_ST_HANDSHAKE;
	if (h != NULL) {
		if (h->has_sni) {
			size_t n = h->sni_len < sizeof(c->sni) - 1 ?
			    h->sni_len : sizeof(c->sni) - 1;

			memcpy(c->sni, h->sni, n);
			c->sni[n] = '\0';
			c->x.sni = c->sni;
			c->x.sni_route = tf_runtime_find_route(c->l, c->sni, n);
		}
		decide(c, h);
		/* Kept for a handshake_failed record, until the handshake
		 * completes (an SSLv2-format one is kept as it was sent). */
		if (c->hello == NULL && c->floor != TF_FLOOR_REFUSED &&
		    (c->hello = malloc(sizeof(*c->hello))) != NULL)
			memcpy(c->hello, h, sizeof(*c->hello));
	}
	/* Below the floor and not let in: BoringSSL sends alert 70. */
	if (c->floor == TF_FLOOR_REFUSED)
		return TF_TLS_HELLO_REFUSE;
	return let_in_below_floor(c) ? TF_TLS_HELLO_LOWER_FLOOR :
	    TF_TLS_HELLO_CONTINUE;
}

/*
 * A hello below the floor is refused here, before any TLS state exists
 * for it, with what BoringSSL would answer: a fatal protocol_version
 * alert in a TLS 1.0 record. The legacy record was written by decide().
 */
static void
refuse(struct tf_conn *c)
{
	static const char alert[] = { 0x15, 0x03, 0x01, 0x00, 0x02, 0x02,
		0x46 };

	tf_buf_consume(&c->client.in, tf_buf_len(&c->client.in));
	if (client_hold(c) != 0)
		return;
	if (tf_buf_append(&c->client.out, alert, sizeof(alert)) != 0)
		abort(); /* the buffer is empty and large */
	drain(c);
}

/*
 * A TLS record: the ClientHello is read, put together when it spans
 * records, and decided on before BoringSSL sees it; a refusal costs no
 * TLS state at all. Returns as peek_first_bytes(); whatever these bytes
 * cannot tell (not a ClientHello, too large, cut short by the end of the
 * connection, malformed) is BoringSSL's to judge.
 */
static int
peek_tls_hello(struct tf_conn *c, const uint8_t *p, size_t n)
{
	uint8_t frag[TF_HELLO_MAX_MSG];
	const uint8_t *msg;
	struct tf_hello *h;
	long m;

	m = tf_hello_assemble(p, n, frag, sizeof(frag), &msg);
	if (m == 0 && !c->client.eof && n < c->client.in.cap)
		return TF_TLS_AGAIN;
	if (m <= 0 || (h = malloc(sizeof(*h))) == NULL)
		return 0;
	if (tf_hello_parse(h, msg + 4, (size_t)m - 4) != 0) {
		free(h);
		return 0;
	}
	if (decide(c, h) == TF_FLOOR_REFUSED) {
		free(h);
		refuse(c);
		return -1;
	}
	c->hello = h;   /* for a handshake_failed record */
	return 0;
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
	struct tf_buf *in = &c->client.in;
	const uint8_t *p = (const uint8_t *)tf_buf_head(in);
	size_t n = tf_buf_len(in), rlen;
	struct tf_hello *h;

	if (n == 0)
		return TF_TLS_AGAIN;
	if (is_smtp(c) && p[0] != 0x16 && !(p[0] & 0x80)) {
		/* After "220 Ready to start TLS" only TLS may come. */
		tf_log_info("conn %llu: %s: no TLS after STARTTLS",
		    (unsigned long long)c->id, c->ip);
		tf_conn_close(c, "no TLS after STARTTLS");
		return -1;
	}
	if (p[0] >= 'A' && p[0] <= 'Z') {
		/* A TLS record starts 0x16; this is someone's HTTP. */
		tf_record_not_tls(&c->peer);
		tf_buf_consume(in, n);
		if (client_hold(c) != 0)
			return -1;
		if (tf_buf_append(&c->client.out, not_tls,
		    sizeof(not_tls) - 1) != 0)
			abort(); /* the buffer is empty and large */
		drain(c);
		return -1;
	}
	if (p[0] == 0x16)
		return peek_tls_hello(c, p, n);
	if (!(p[0] & 0x80))
		return 0;
	if (n < 2)
		return TF_TLS_AGAIN;
	rlen = 2 + (((size_t)p[0] & 0x7f) << 8 | p[1]);
	if (n < rlen && rlen <= in->cap)
		return TF_TLS_AGAIN;
	h = malloc(sizeof(*h));
	if (h != NULL && n >= rlen && tf_hello_parse_sslv2(h, p, rlen) == 0) {
		/* A let-in one reaches the early callback converted. */
		if (decide(c, h) != TF_FLOOR_PASS && let_in_below_floor(c)) {
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
	if (src.ss_family != AF_UNSPEC) {
		c->addr = src;
		tf_addr_format((struct sockaddr *)&src, c->ip, sizeof(c->ip),
		    &c->peer.client_port);
	}
	return 0;
}

/* The client's side up to a completed handshake. */
static void
client_handshake(struct tf_conn *c)
{
	int r, vi;

	if (c->st == TF_CONN_ST_ACCEPTED) {
		if (c->l->conf->proxy_protocol &&
		    read_proxy_header(c) != 0)
			return;
		if (is_smtp(c)) {
			if (smtp_start(c) != 0)
				return;
		} else {
			c->st = TF_CONN_ST_PEEK;
		}
	}
	if (c->st == TF_CONN_ST_SMTP && smtp_dialogue(c) != 0)
		return;
	if (c->st == TF_CONN_ST_PEEK) {
		r = peek_first_bytes(c);
		if (r < 0)
			return;
		if (r == TF_TLS_AGAIN) {
			if (c->client.eof)
				tf_conn_close(c, "client closed before hello");
			return;
		}
		/* TLS state only for a hello that goes on. */
		c->client.tls = tf_tls_accept(c->l->server, &c->client.in,
		    &c->client.out, hello_cb, c);
		if (c->client.tls == NULL) {
			tf_log_error("conn %llu: out of memory",
			    (unsigned long long)c->id);
			tf_conn_close(c, "out of memory");
			return;
		}
		c->x.client_tls = c->client.tls;
		c->st = TF_CONN_ST_HELLO;
	}
	r = tf_leg_handshake(&c->client);
	if (r == TF_TLS_AGAIN) {
		if (c->client.eof && tf_buf_len(&c->client.in) == 0) {
			handshake_failed(c, "closed");
			tf_conn_close(c, "client closed during handshake");
		}
		return;
	}
	if (r == TF_TLS_ERROR) {
		if (c->floor != TF_FLOOR_REFUSED) {
			handshake_failed(c, tf_tls_error_reason(c->client.tls));
			tf_log(TF_LOG_INFO, "conn %llu: handshake failed: %s",
			    (unsigned long long)c->id,
			    tf_tls_error_text(c->client.tls));
		}
		drain(c); /* send the alert */
		return;
	}
	c->st = TF_CONN_ST_PROXYING;
	c->established = 1;
	/* Responses must not wait for an ACK of the tickets; a refused
	 * client, one write and gone, never needed this. */
	tf_leg_nodelay(&c->client);
	free(c->hello);
	c->hello = NULL;
	c->x.ja4 = c->ja4[0] ? c->ja4 : NULL;
	c->x.legacy = let_in_below_floor(c);
	vi = tf_metrics_version_index(tf_tls_version_id(c->client.tls));
	if (vi >= 0)
		TF_METRIC_INC(c->l->m, handshakes[vi]);
	if (vi >= 0 && tf_tls_resumed(c->client.tls))
		TF_METRIC_INC(c->l->m, handshakes_resumed[vi]);
	if (is_smtp(c)) {
		smtp_relay(c);
		return;
	}
	/* The first request head must come within header-timeout. */
	set_timer(c, TF_CONN_TM_HEADER, c->l->conf->header_timeout_ms);
	c->again = 1;
}

/* --- requests and responses ---------------------------------------------- */

/* A request head is in: its upstream connection, and the wait for it. */
static void
request_head(struct tf_conn *c)
{
	set_timer(c, TF_CONN_TM_NONE, 0);
	if (c->up != TF_CONN_UP_NONE && c->up_target != c->x.target) {
		/* Without SNI, Host chose another route: a new upstream,
		 * where a pinned client authenticates anew. */
		upstream_drop(c, 1);
		c->pinned = 0;
	}
	if (c->up == TF_CONN_UP_READY)
		upstream_timer(c);
	else if (c->up == TF_CONN_UP_NONE)
		upstream_open(c, 1);
}

static void
proxy_requests(struct tf_conn *c)
{
	enum tf_ex_event ev;
	int r;

	if (!tf_exchange_ready(&c->x)) {
		if (tf_tls_pending(c->client.tls) == 0 &&
		    tf_buf_len(&c->client.in) == 0 && !c->client.eof)
			return; /* nothing yet: stay small */
		if (tf_exchange_alloc(&c->x) != 0) {
			tf_log_error("conn %llu: out of memory",
			    (unsigned long long)c->id);
			tf_conn_close(c, "out of memory");
			return;
		}
	}
	r = tf_leg_decrypt(&c->client, &c->x.cplain);
	if (r == TF_TLS_ERROR) {
		tf_conn_close(c, "client TLS error");
		return;
	}
	if (tf_exchange_req_state(&c->x) == TF_HTTP_ST_HEAD && !c->x.active &&
	    c->timer_kind != TF_CONN_TM_HEADER &&
	    tf_buf_len(&c->x.cplain) > 0)
		set_timer(c, TF_CONN_TM_HEADER, c->l->conf->header_timeout_ms);
	ev = tf_exchange_request(&c->x, uv_now(c->set->loop), c->client.eof);
	if (ev == TF_EX_HEAD) {
		request_head(c);
	} else if (ev == TF_EX_REFUSED) {
		tf_log(TF_LOG_INFO, "conn %llu: bad request: %s",
		    (unsigned long long)c->id, c->x.why);
		upstream_drop(c, 0);
		drain(c);
	} else if (c->client.eof && c->x.active && c->x.resp_bytes == 0 &&
	    tf_exchange_req_state(&c->x) == TF_HTTP_ST_BODY &&
	    tf_buf_len(&c->x.cplain) == 0) {
		/* The client went before its request body ended: the request
		 * can never complete, and the origin would wait for the rest
		 * until upstream-timeout. Recorded as a 400, as by nginx. */
		tf_log(TF_LOG_INFO, "conn %llu: the client closed before the "
		    "end of its request body", (unsigned long long)c->id);
		upstream_drop(c, 0);
		tf_exchange_fail(&c->x, uv_now(c->set->loop), 400,
		    "The request body ended early.");
		drain(c);
	}
}

/* The response is complete: the next request, a tunnel, or the end. */
static void
exchange_done(struct tf_conn *c)
{
	int reuse;
	enum tf_ex_next next;

	next = tf_exchange_finish(&c->x, uv_now(c->set->loop),
	    !c->client.eof && !c->set->stopping, &reuse);
	if (next == TF_EX_NEXT_TUNNEL) {
		/* 101: from here on, bytes both ways until either side ends;
		 * upstream-timeout bounds the silence. */
		c->st = TF_CONN_ST_TUNNEL;
		upstream_timer(c);
		c->again = 1;
		return;
	}
	set_timer(c, TF_CONN_TM_NONE, 0);
	if (c->x.conn_auth && !c->pinned) {
		c->pinned = 1;
		tf_log_info("conn %llu: upstream %s: NTLM/Negotiate: the "
		    "client keeps this upstream connection until either "
		    "closes", (unsigned long long)c->id, c->up_target->name);
	}
	/* A reusable upstream leg goes back to the pool at once: a client
	 * between requests holds no upstream connection. Unless it is
	 * pinned: NTLM and Negotiate authenticate the connection, which
	 * must then never serve another client; and when it cannot go on,
	 * the client's connection ends too, so that it authenticates
	 * again on a new one. */
	if (reuse && !c->pinned) {
		upstream_release(c);
	} else if (!reuse) {
		upstream_drop(c, 0);
		if (c->pinned)
			next = TF_EX_NEXT_CLOSE;
	}
	if (next == TF_EX_NEXT_CLOSE) {
		drain(c);
		return;
	}
	set_timer(c, TF_CONN_TM_IDLE, c->l->conf->idle_timeout_ms);
	c->again = 1;
}

/*
 * True when a pinned upstream leg, between requests, has ended or sent
 * bytes nobody asked for. TLS messages after the handshake (a 1.3
 * session ticket, a key update) are taken in passing.
 */
static int
pinned_ended(struct tf_leg *leg)
{
	char junk[1];
	size_t got = 0;
	int r;

	if (leg->broken || leg->eof)
		return 1;
	if (tf_buf_len(&leg->in) == 0)
		return 0;
	r = tf_leg_decrypt_to(leg, junk, sizeof(junk), &got);
	return got > 0 || r == TF_TLS_EOF || r == TF_TLS_ERROR;
}

static void
proxy_upstream(struct tf_conn *c)
{
	struct tf_leg *leg = c->upstream;
	enum tf_ex_event ev;
	size_t room, got;
	char *p;
	int r;

	if (c->up != TF_CONN_UP_READY)
		return;
	if (c->pinned && !c->x.active && pinned_ended(leg)) {
		/* Between requests a pinned connection owes nothing: what
		 * comes is its end (or junk), and ends the client's too. */
		upstream_drop(c, 0);
		drain(c);
		return;
	}
	if (leg->broken) {
		if (!retry_fresh(c))
			upstream_failed(c, 502, TF_M_UP_CLOSED,
			    uv_strerror(leg->error));
		return;
	}
	if (send_upstream(c, leg) != 0) {
		upstream_failed(c, 502, TF_M_UP_TLS,
		    tf_tls_error_text(leg->tls));
		return;
	}
	tf_leg_flush(leg);
	if ((p = tf_exchange_direct(&c->x, &room)) != NULL) {
		/* Body bytes go straight where the client's come from. */
		r = tf_leg_decrypt_to(leg, p, room, &got);
		ev = tf_exchange_direct_done(&c->x, got);
	} else {
		r = tf_leg_decrypt(leg, &c->x.uplain);
		if (c->replay && tf_buf_len(&c->x.uplain) > 0)
			replay_end(c);
		ev = tf_exchange_response(&c->x);
	}
	if (ev == TF_EX_BAD) {
		upstream_failed(c, 502, TF_M_UP_BAD_RESPONSE, c->x.why);
		return;
	}
	if (ev == TF_EX_DONE) {
		exchange_done(c);
		return;
	}
	if (r != TF_TLS_EOF && r != TF_TLS_ERROR)
		return;
	if (!c->x.active) {
		upstream_drop(c, 0);    /* an idle keep-alive one ended */
	} else if (retry_fresh(c)) {
		return;
	} else if (tf_exchange_upstream_eof(&c->x) == TF_EX_DONE) {
		exchange_done(c);
	} else {
		upstream_failed(c, 502, r == TF_TLS_EOF ? TF_M_UP_CLOSED :
		    TF_M_UP_TLS, r == TF_TLS_EOF ?
		    "closed the connection before the response ended" :
		    tf_tls_error_text(leg->tls));
	}
}

/*
 * After a 101 (WebSocket), or in an SMTP session: raw bytes both ways. It
 * ends, after what one side sent has been passed on, when that side
 * closes.
 */
static void
proxy_tunnel(struct tf_conn *c)
{
	struct tf_leg *leg = c->upstream;
	int r;

	r = tf_leg_decrypt(&c->client, &c->x.cplain);
	if (r == TF_TLS_ERROR) {
		tf_conn_close(c, "client TLS error in tunnel");
		return;
	}
	if (c->up != TF_CONN_UP_READY) {
		/* An SMTP upstream still opening: the client's bytes wait,
		 * unless it is gone. */
		if (c->client.eof)
			drain(c);
		return;
	}
	tf_exchange_tunnel(&c->x);
	if (tf_leg_encrypt(leg, &c->x.to_up) != 0) {
		tf_conn_close(c, "upstream TLS error in tunnel");
		return;
	}
	tf_leg_flush(leg);
	tf_leg_decrypt(leg, &c->x.uplain);
	tf_exchange_tunnel(&c->x);
	if ((c->client.eof && tf_buf_len(&c->x.cplain) == 0 &&
	    tf_buf_len(&c->x.to_up) == 0) ||
	    ((leg->eof || leg->broken) && tf_buf_len(&c->x.uplain) == 0))
		drain(c);
}

/* --- the pump ------------------------------------------------------------ */

static void
pump_once(struct tf_conn *c)
{
	if (c->st < TF_CONN_ST_PROXYING)
		client_handshake(c);
	if (c->st == TF_CONN_ST_TUNNEL) {
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
	if (c->established && tf_leg_encrypt(&c->client, &c->x.to_client) != 0) {
		tf_conn_close(c, "client TLS error");
		return;
	}
	if (c->st == TF_CONN_ST_DRAINING && c->established &&
	    tf_buf_len(&c->x.to_client) == 0 && !c->client.notified) {
		c->client.notified = 1;
		tf_leg_close_notify(&c->client);
	}
	tf_leg_flush(&c->client);
	if (c->client.broken) {
		tf_conn_close(c, "client write failed");
		return;
	}
	if (c->st == TF_CONN_ST_PROXYING && c->client.eof && !c->x.active) {
		tf_conn_close(c, "client closed");
		return;
	}
	if (c->st == TF_CONN_ST_DRAINING) {
		if (c->client.eof || (tf_buf_len(&c->client.out) == 0 &&
		    tf_buf_len(&c->x.to_client) == 0)) {
			tf_conn_close(c, "done");
			return;
		}
		if (c->timer_kind != TF_CONN_TM_DRAIN)
			set_timer(c, TF_CONN_TM_DRAIN, DRAIN_TIMEOUT_MS);
	}
	tf_leg_want_read(&c->client, c->st < TF_CONN_ST_DRAINING);
	if (c->up == TF_CONN_UP_READY)
		tf_leg_want_read(c->upstream, 1);
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
	p->len[2] = tf_buf_len(&c->x.cplain);
	p->len[3] = tf_buf_len(&c->x.to_up);
	if (c->up == TF_CONN_UP_READY) {
		p->len[4] = tf_buf_len(&c->upstream->in);
		p->len[5] = tf_buf_len(&c->upstream->out);
	}
	p->len[6] = tf_buf_len(&c->x.uplain);
	p->len[7] = tf_buf_len(&c->x.to_client);
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
	if (c->st == TF_CONN_ST_CLOSED)
		return;
	/* Quiet now: the buffers nothing is in go back to the worker. */
	tf_leg_trim(&c->client);
	if (c->up == TF_CONN_UP_READY)
		tf_leg_trim(c->upstream);
	if (c->st == TF_CONN_ST_PROXYING || c->st == TF_CONN_ST_DRAINING)
		tf_exchange_trim(&c->x);
}

static void
leg_cb(struct tf_leg *leg, enum tf_leg_event ev, void *owner)
{
	struct tf_conn *c;

	TF_CAST_OBJ(c, owner, TF_CONN_MAGIC);
	if (ev == TF_LEG_EV_CLOSED) {
		unref(c);               /* the client leg; upstream ones are
		                           destroyed, never reported closed */
		return;
	}
	if (c->st == TF_CONN_ST_CLOSED)
		return;
	if (ev == TF_LEG_EV_READ) {
		/* upstream-timeout counts silence: bytes arriving either way
		 * (an upload still coming, a response coming) restart it. */
		if (c->timer_kind == TF_CONN_TM_UPSTREAM)
			upstream_timer(c);
	}
	tf_conn_pump(c);
}

/* --- life ---------------------------------------------------------------- */

void
tf_conn_close(struct tf_conn *c, const char *why)
{
	if (c->st == TF_CONN_ST_CLOSED)
		return;
	if (is_smtp(c) && c->established)
		tf_exchange_session_record(&c->x,
		    uv_now(c->set->loop) - c->start_ms);
	upstream_release(c);
	c->st = TF_CONN_ST_CLOSED;
	TAILQ_REMOVE(&c->set->list, c, link);
	tf_log_debug("conn %llu: closed: %s", (unsigned long long)c->id, why);
	c->timer_kind = TF_CONN_TM_NONE;
	uv_close((uv_handle_t *)&c->timer, timer_close_cb);
	if (tf_leg_close(&c->client) != 0)
		unref(c);               /* no TF_LEG_EV_CLOSED will come */
}

void
tf_conn_stop(struct tf_conn *c)
{
	/* An SMTP session is a request in flight: cut, a device would send
	 * its message again. It ends within shutdown-timeout. */
	if (is_smtp(c) && c->st == TF_CONN_ST_TUNNEL)
		return;
	if (!c->x.active || c->st < TF_CONN_ST_PROXYING)
		tf_conn_close(c, "stopping");
}

struct tf_conn *
tf_conn_new(struct tf_conns *set, struct tf_lstn *l)
{
	struct tf_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->magic = TF_CONN_MAGIC;
	c->id = atomic_fetch_add_explicit(&conn_ids, 1,
	    memory_order_relaxed) + 1;
	c->set = set;
	c->l = l;
	tf_runtime_ref(l->rt);
	TF_METRIC_INC(l->m, connections_total);
	TF_METRIC_INC(l->m, connections_active);
	set->n++;
	TAILQ_INSERT_TAIL(&set->list, c, link);
	tf_leg_init(&c->client, set->cache, leg_cb, c);
	TF_ASSERT(uv_timer_init(set->loop, &c->timer) == 0);
	c->timer.data = c;
	c->refs = 2;                    /* the timer and the client leg */
	c->peer.client_ip = c->ip;
	c->peer.listener = l->conf->name;
	c->peer.fp = l->rt->fp;
	tf_exchange_init(&c->x, l, &c->peer, set->cache);
	return c;
}

void
tf_conn_start(struct tf_conn *c, const struct sockaddr *sa)
{
	const struct tf_listener_conf *lc = c->l->conf;

	memcpy(&c->addr, sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	tf_addr_format(sa, c->ip, sizeof(c->ip), &c->peer.client_port);
	c->start_ms = uv_now(c->set->loop);
	/* With protocol smtp, the dialogue up to STARTTLS has this one. */
	set_timer(c, TF_CONN_TM_HANDSHAKE, lc->handshake_timeout_ms);
	tf_conn_pump(c);
}

int
tf_conn_accept(void *arg, struct tf_lstn *l, uv_stream_t *server)
{
	struct tf_conns *set = arg;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), r;
	struct tf_conn *c;

	c = tf_conn_new(set, l);
	if (c == NULL)
		return 1;
	if (tf_leg_tcp_init(&c->client, set->loop) != 0) {
		tf_conn_close(c, "out of memory");
		return 1;
	}
	r = uv_accept(server, (uv_stream_t *)&c->client.tcp);
	if (r != 0) {
		tf_conn_close(c, "accept failed");
		return r;
	}
	if (uv_tcp_getpeername(&c->client.tcp, (struct sockaddr *)&ss,
	    &sslen) != 0) {
		tf_conn_close(c, "accept failed");
		return 0;
	}
	tf_conn_start(c, (struct sockaddr *)&ss);
	return 0;
}

void
tf_conns_init(struct tf_conns *set, uv_loop_t *loop, struct tf_mcache *cache,
    struct tf_pool *pool)
{
	memset(set, 0, sizeof(*set));
	set->loop = loop;
	set->cache = cache;
	set->pool = pool;
	set->open_upstream = tf_upstream_open;
	TAILQ_INIT(&set->list);
}

void
tf_conns_stop(struct tf_conns *set)
{
	struct tf_conn *c, *next;

	set->stopping = 1;
	for (c = TAILQ_FIRST(&set->list); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		tf_conn_stop(c);
	}
}

void
tf_conns_close_all(struct tf_conns *set, const char *why)
{
	struct tf_conn *c;

	while ((c = TAILQ_FIRST(&set->list)) != NULL)
		tf_conn_close(c, why);
}
