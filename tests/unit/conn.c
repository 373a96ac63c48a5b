/*
 * Unit tests for proxy/conn.c, the pump, over in-memory legs
 * (memworld.h): a real TLS client and real TLS origins through BoringSSL,
 * no sockets. Keep-alive and the upstream pool, backpressure with a client
 * that does not read, a WebSocket tunnel, draining, a response that ends
 * an upload early, a response delimited by the end of the connection, a
 * pooled upstream connection closed as it is reused; an SMTP session
 * through STARTTLS on both legs, and its upstream without STARTTLS.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "memworld.h"
#include "metrics.h"

static const char get_a[] =
    "GET /a HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n";
static const char ok_hello[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

/* Sum of the upstream errors counted for the edge listener. */
static uint64_t
upstream_errors(struct mw_world *w)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < TF_M_NUPERRORS; i++)
		n += w->edge->m->upstream_errors[i];
	return n;
}

/* A client whose handshake completed, its connection in *cp. */
static struct mw_link *
connected(struct mw_world *w, struct tf_conn **cp)
{
	struct mw_link *k = mw_client(w, cp);

	mw_settle(w);
	ASSERT(k->peer.established);
	ASSERT_EQ((*cp)->st, TF_CONN_ST_PROXYING);
	return k;
}

TEST(handshake_then_request_rewritten)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;

	/* No buffers for HTTP until the first request byte. */
	ASSERT(!tf_exchange_ready(&c->x));
	ASSERT_EQ(w->nupstreams, 0);
	mw_peer_sends(&cl->peer, get_a);
	mw_settle(w);
	ASSERT_EQ(w->nupstreams, 1);
	up = w->ups[0];
	ASSERT(up->peer.established);
	ASSERT(mw_got_has(&up->peer, "GET /a HTTP/1.1\r\n"));
	ASSERT(mw_got_has(&up->peer, "Host: outlook.office365.test\r\n"));
	ASSERT(mw_got_has(&up->peer, "X-Forwarded-For: 192.0.2.10\r\n"));
	ASSERT(mw_got_has(&up->peer, "X-Forwarded-Proto: https\r\n"));
	ASSERT(c->x.active);
	mw_peer_sends(&up->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, ok_hello));
	ASSERT(!c->x.active);
	ASSERT_EQ(mw_log_lines(w, "access.jsonl"), 1);
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":200"));
	ASSERT(mw_log_has(w, "access.jsonl", "\"upstream_tls\":\"TLS1.3\""));
	mw_world_free(w);
}

TEST(keepalive_reuses_the_upstream_and_pools_it)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c, *c2;
	struct mw_link *cl = connected(w, &c), *cl2, *up;
	int i;

	for (i = 0; i < 3; i++) {
		mw_peer_sends(&cl->peer, get_a);
		mw_settle(w);
		ASSERT_EQ(w->nupstreams, 1);
		up = w->ups[0];
		ASSERT(mw_got_has(&up->peer, "GET /a"));
		mw_got_clear(&up->peer);
		mw_peer_sends(&up->peer, ok_hello);
		mw_settle(w);
		ASSERT(mw_got_is(&cl->peer, ok_hello));
		mw_got_clear(&cl->peer);
		ASSERT_EQ(c->st, TF_CONN_ST_PROXYING);
		/* Between requests the client holds no upstream leg, no
		 * buffer and no HTTP workspace. */
		ASSERT_EQ(c->up, TF_CONN_UP_NONE);
		ASSERT_EQ(w->pool.n, 1);
		ASSERT(!tf_exchange_ready(&c->x));
		ASSERT(c->client.in.data == NULL);
		ASSERT(c->client.out.data == NULL);
	}
	ASSERT_EQ(mw_log_lines(w, "access.jsonl"), 3);

	/* The client goes: the upstream leg waits in the pool ... */
	mw_peer_close(&cl->peer);
	mw_settle(w);
	ASSERT_EQ(w->set.n, 0);
	ASSERT_EQ(w->pool.n, 1);
	ASSERT(!up->closing);

	/* ... and the next client's request takes it. */
	cl2 = connected(w, &c2);
	mw_peer_sends(&cl2->peer, get_a);
	mw_settle(w);
	ASSERT_EQ(w->nupstreams, 1);
	ASSERT_EQ(w->pool.n, 0);
	ASSERT(mw_got_has(&up->peer, "GET /a"));
	mw_peer_sends(&up->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_is(&cl2->peer, ok_hello));
	ASSERT_EQ(upstream_errors(w), 0);
	mw_world_free(w);
}

/* A response body of n bytes: a pattern the client can check. */
static void
send_body(struct mw_peer *p, size_t n)
{
	char head[128], *body = malloc(n);
	size_t i;

	ASSERT(body != NULL);
	for (i = 0; i < n; i++)
		body[i] = (char)('a' + (i * 7 + i / 4096) % 26);
	snprintf(head, sizeof(head),
	    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
	mw_peer_sends(p, head);
	mw_peer_send(p, body, n);
	free(body);
}

static int
body_ok(const struct mw_peer *p, size_t n)
{
	const char *s = tf_buf_head(&p->got), *b = strstr(s, "\r\n\r\n");
	size_t i;

	if (b == NULL)
		return 0;
	b += 4;
	if ((size_t)(tf_buf_len(&p->got) - (size_t)(b - s)) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (b[i] != (char)('a' + (i * 7 + i / 4096) % 26))
			return 0;
	return 1;
}

/* Bytes the connection holds for the client, in every buffer. */
static size_t
held(const struct tf_conn *c)
{
	size_t n = tf_buf_len(&c->client.out) + tf_buf_len(&c->x.to_client) +
	    tf_buf_len(&c->x.uplain);

	if (c->upstream != NULL)
		n += tf_buf_len(&c->upstream->in);
	return n;
}

TEST(backpressure_a_client_that_does_not_read)
{
	struct mw_world *w = mw_world_new(NULL);
	const size_t body = 4u << 20;
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;
	size_t bound;

	mw_peer_sends(&cl->peer, get_a);
	mw_settle(w);
	up = w->ups[0];
	cl->window = 0;                 /* the client stops reading */
	send_body(&up->peer, body);
	mw_settle(w);

	/* Everything stopped: the origin could not send it all, the gateway
	 * stopped reading it, and holds no more than its buffers. */
	ASSERT(up->peer.send_off < up->peer.send_len);
	ASSERT(!up->reading);
	bound = c->client.out.cap + c->x.to_client.cap + c->x.uplain.cap +
	    c->upstream->in.cap;
	ASSERT(held(c) <= bound);
	ASSERT(bound < 256 * 1024);
	ASSERT_EQ(tf_buf_len(&cl->peer.got), 0);

	/* The client reads again: it all comes, intact. */
	cl->window = SIZE_MAX;
	mw_settle(w);
	ASSERT(body_ok(&cl->peer, body));
	ASSERT_EQ(c->st, TF_CONN_ST_PROXYING);
	ASSERT(!c->x.active);
	mw_world_free(w);
}

TEST(backpressure_an_origin_that_does_not_read)
{
	struct mw_world *w = mw_world_new(NULL);
	const size_t body = 2u << 20;
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;
	char head[128], *data = malloc(body);

	ASSERT(data != NULL);
	memset(data, 'u', body);
	snprintf(head, sizeof(head), "POST /up HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %zu\r\n\r\n", body);
	mw_peer_sends(&cl->peer, head);
	mw_settle(w);
	up = w->ups[0];
	up->window = 0;                 /* the origin stops reading */
	mw_peer_send(&cl->peer, data, body);
	mw_settle(w);
	ASSERT(cl->peer.send_off < cl->peer.send_len);
	ASSERT(!cl->reading);
	up->window = SIZE_MAX;
	mw_settle(w);
	ASSERT_EQ(cl->peer.send_off, cl->peer.send_len);
	ASSERT_EQ(tf_exchange_req_state(&c->x), TF_HTTP_ST_DONE);
	ASSERT(mw_got_has(&up->peer, "Content-Length: 2097152\r\n"));
	mw_peer_sends(&up->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, ok_hello));
	free(data);
	mw_world_free(w);
}

TEST(tunnel_after_101)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;

	mw_peer_sends(&cl->peer, "GET /ws HTTP/1.1\r\nHost: x\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n");
	mw_settle(w);
	up = w->ups[0];
	ASSERT(mw_got_has(&up->peer, "Upgrade: websocket\r\n"));
	mw_peer_sends(&up->peer, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	mw_settle(w);
	ASSERT(mw_got_has(&cl->peer, "101 Switching Protocols"));
	ASSERT_EQ(c->st, TF_CONN_ST_TUNNEL);
	ASSERT_EQ(c->timer_kind, TF_CONN_TM_UPSTREAM);
	mw_got_clear(&cl->peer);
	mw_got_clear(&up->peer);

	/* Raw bytes both ways, as they are. */
	mw_peer_sends(&cl->peer, "\x81\x04ping");
	mw_settle(w);
	ASSERT(mw_got_is(&up->peer, "\x81\x04ping"));
	mw_peer_sends(&up->peer, "\x81\x04pong");
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, "\x81\x04pong"));

	/* The client ends: what it sent is passed on, the tunnel ends, and
	 * its upstream leg is closed, not pooled. */
	mw_peer_sends(&cl->peer, "\x88\x00");
	mw_peer_close(&cl->peer);
	mw_settle(w);
	ASSERT(mw_got_has(&up->peer, "\x88"));
	ASSERT_EQ(w->set.n, 0);
	ASSERT_EQ(w->pool.n, 0);
	ASSERT(up->transport_closed);
	ASSERT_EQ(mw_log_lines(w, "access.jsonl"), 1);
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":101"));
	mw_world_free(w);
}

TEST(drain_after_connection_close)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;

	mw_peer_sends(&cl->peer, "GET /a HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n");
	mw_settle(w);
	up = w->ups[0];
	cl->window = 0;
	mw_peer_sends(&up->peer, ok_hello);
	mw_settle(w);
	/* Done, but the client has not taken it yet. */
	ASSERT_EQ(c->st, TF_CONN_ST_DRAINING);
	ASSERT_EQ(c->timer_kind, TF_CONN_TM_DRAIN);
	ASSERT_EQ(w->set.n, 1);
	cl->window = SIZE_MAX;
	mw_settle(w);
	ASSERT(cl->peer.tls_eof);       /* the response, then close_notify */
	ASSERT(mw_got_has(&cl->peer, "Connection: close\r\n"));
	ASSERT(mw_got_has(&cl->peer, "hello"));
	ASSERT_EQ(w->set.n, 0);
	ASSERT(cl->transport_closed);
	/* The origin meant to keep its connection: it is pooled. */
	ASSERT_EQ(w->pool.n, 1);
	mw_world_free(w);
}

/*
 * The origin answers before it read the whole upload (Connection: close)
 * while the gateway still has part of it queued on the upstream leg, and
 * the client has pipelined its next request: the gateway closes that leg
 * itself, cancelling its own send, and serves the next request on a new
 * one. The cancelled send is nobody's error: no 502, nothing counted or
 * logged.
 */
TEST(early_response_cancels_the_upload_quietly)
{
	struct mw_world *w = mw_world_new(NULL);
	const size_t body = 32 * 1024;
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;
	char head[128], *data = malloc(body);

	ASSERT(data != NULL);
	memset(data, 'x', body);
	snprintf(head, sizeof(head), "POST /up HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %zu\r\n\r\n", body);
	mw_peer_sends(&cl->peer, head);
	mw_settle(w);
	up = w->ups[0];
	up->window = 0;
	mw_peer_send(&cl->peer, data, body);
	mw_peer_sends(&cl->peer, get_a);
	mw_settle(w);
	/* The whole upload is in, part of it still queued on the leg. */
	ASSERT_EQ(tf_exchange_req_state(&c->x), TF_HTTP_ST_DONE);
	ASSERT(up->qn > 0);
	mw_peer_sends(&up->peer, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Connection: close\r\n\r\nearly");
	mw_settle(w);
	ASSERT(up->transport_closed);
	ASSERT(mw_got_has(&cl->peer, "early"));
	/* The pipelined request went on a new upstream leg. */
	ASSERT_EQ(w->nupstreams, 2);
	ASSERT(mw_got_has(&w->ups[1]->peer, "GET /a HTTP/1.1\r\n"));
	mw_peer_sends(&w->ups[1]->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_has(&cl->peer, ok_hello));
	ASSERT(!mw_got_has(&cl->peer, "502"));
	ASSERT_EQ(c->st, TF_CONN_ST_PROXYING);
	ASSERT_EQ(upstream_errors(w), 0);
	ASSERT(!mw_log_has(w, "error.log", "upstream"));
	ASSERT_EQ(mw_log_lines(w, "access.jsonl"), 2);
	free(data);
	mw_world_free(w);
}

TEST(response_delimited_by_the_end_of_the_connection)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;

	mw_peer_sends(&cl->peer, get_a);
	mw_settle(w);
	up = w->ups[0];
	mw_peer_sends(&up->peer, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
	mw_peer_close(&up->peer);
	mw_settle(w);
	/* Re-chunked for the client, who keeps its connection. */
	ASSERT(mw_got_has(&cl->peer, "Transfer-Encoding: chunked\r\n") ||
	    mw_got_has(&cl->peer, "Connection: close\r\n"));
	ASSERT(mw_got_has(&cl->peer, "until the end"));
	ASSERT(up->transport_closed);
	ASSERT_EQ(upstream_errors(w), 0);
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":200"));
	mw_world_free(w);
}

TEST(upstream_cut_short_is_a_502)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;

	mw_peer_sends(&cl->peer, get_a);
	mw_settle(w);
	up = w->ups[0];
	mw_peer_close(&up->peer);
	mw_settle(w);
	ASSERT(mw_got_has(&cl->peer, "HTTP/1.1 502 Bad Gateway\r\n"));
	ASSERT_EQ(w->edge->m->upstream_errors[TF_M_UP_CLOSED], 1);
	ASSERT(mw_log_has(w, "error.log", "upstream outlook.office365.test:443"));
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":502"));
	ASSERT_EQ(w->set.n, 0);
	mw_world_free(w);
}

/* The client's first request leaves its upstream leg in the pool. */
static void
first_request_pools(struct mw_world *w, struct mw_link *cl,
    struct tf_conn *c)
{
	mw_peer_sends(&cl->peer, get_a);
	mw_settle(w);
	mw_peer_sends(&w->ups[w->nupstreams - 1]->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, ok_hello));
	mw_got_clear(&cl->peer);
	ASSERT_EQ(c->up, TF_CONN_UP_NONE);
	ASSERT_EQ(w->pool.n, 1);
}

TEST(pooled_upstream_closed_at_reuse_is_retried)
{
	static const char put[] = "PUT /p HTTP/1.1\r\n"
	    "Host: mail.contoso.test\r\nContent-Length: 4\r\n\r\nbody";
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *stale, *fresh;

	first_request_pools(w, cl, c);
	stale = w->ups[0];
	mw_got_clear(&stale->peer);
	/* The PUT goes on the pooled leg, which the origin then closes
	 * without a word of answer ... */
	mw_peer_sends(&cl->peer, put);
	mw_settle(w);
	ASSERT_EQ(w->nupstreams, 1);
	ASSERT(mw_got_has(&stale->peer, "PUT /p"));
	mw_peer_close(&stale->peer);
	mw_settle(w);
	/* ... and it goes again, whole, on a new connection. */
	ASSERT_EQ(w->nupstreams, 2);
	fresh = w->ups[1];
	ASSERT(mw_got_has(&fresh->peer, "PUT /p HTTP/1.1\r\n"));
	ASSERT(mw_got_has(&fresh->peer, "\r\n\r\nbody"));
	mw_peer_sends(&fresh->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, ok_hello));
	ASSERT_EQ(upstream_errors(w), 0);
	ASSERT(mw_log_has(w, "error.log", "closed as it was reused"));
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":200"));
	mw_world_free(w);
}

/* True when what the peer got ends with its head's end and n bytes c. */
static int
body_at_end(const struct mw_peer *p, char c, size_t n)
{
	const char *s = tf_buf_head(&p->got);
	size_t len = tf_buf_len(&p->got), i;

	if (len < n + 4 || memcmp(s + len - n - 4, "\r\n\r\n", 4) != 0)
		return 0;
	for (i = len - n; i < len; i++)
		if (s[i] != c)
			return 0;
	return 1;
}

TEST(pooled_upstream_carries_a_large_upload)
{
	static const char head[] = "POST /p HTTP/1.1\r\n"
	    "Host: mail.contoso.test\r\nContent-Length: 300000\r\n\r\n";
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;
	char *body = malloc(300000);

	ASSERT(body != NULL);
	memset(body, 'b', 300000);
	first_request_pools(w, cl, c);
	up = w->ups[0];
	mw_got_clear(&up->peer);
	/* What goes on a pooled leg is kept until it answers, but never so
	 * that the rest of an upload waits for the room it takes. */
	mw_peer_sends(&cl->peer, head);
	mw_peer_send(&cl->peer, body, 300000);
	mw_settle(w);
	ASSERT_EQ(w->nupstreams, 1);
	ASSERT(body_at_end(&up->peer, 'b', 300000));
	ASSERT(!c->replay);
	mw_peer_sends(&up->peer, ok_hello);
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, ok_hello));
	free(body);
	mw_world_free(w);
}

TEST(pooled_upstream_closed_at_reuse_fails_a_post)
{
	static const char post[] = "POST /p HTTP/1.1\r\n"
	    "Host: mail.contoso.test\r\nContent-Length: 4\r\n\r\nbody";
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *stale;

	first_request_pools(w, cl, c);
	stale = w->ups[0];
	mw_peer_sends(&cl->peer, post);
	mw_settle(w);
	ASSERT(mw_got_has(&stale->peer, "POST /p"));
	mw_peer_close(&stale->peer);
	mw_settle(w);
	/* The origin may have acted on it: not sent again. */
	ASSERT_EQ(w->nupstreams, 1);
	ASSERT(mw_got_has(&cl->peer, "HTTP/1.1 502 Bad Gateway\r\n"));
	ASSERT_EQ(w->edge->m->upstream_errors[TF_M_UP_CLOSED], 1);
	mw_world_free(w);
}

TEST(client_gone_mid_upload_ends_both_legs)
{
	static const char post[] = "POST /up HTTP/1.1\r\n"
	    "Host: mail.contoso.test\r\nContent-Length: 100000\r\n\r\n"
	    "only the start";
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c), *up;

	mw_peer_sends(&cl->peer, post);
	mw_settle(w);
	up = w->ups[0];
	ASSERT(mw_got_has(&up->peer, "only the start"));
	/* The client goes; the origin, waiting for the rest, says
	 * nothing. Both legs end at once, not at upstream-timeout. */
	mw_peer_close(&cl->peer);
	mw_settle(w);
	ASSERT_EQ(w->set.n, 0);
	ASSERT(up->closing);
	ASSERT(mw_log_has(w, "error.log", "closed before the end of its "
	    "request body"));
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":400"));
	ASSERT_EQ(upstream_errors(w), 0);
	mw_world_free(w);
}

TEST(malformed_request_gets_400_and_no_upstream)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_conn *c;
	struct mw_link *cl = connected(w, &c);

	mw_peer_sends(&cl->peer, "GET /a HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
	mw_settle(w);
	ASSERT(mw_got_has(&cl->peer, "HTTP/1.1 400 Bad Request\r\n"));
	ASSERT_EQ(w->nupstreams, 0);
	ASSERT_EQ(w->set.n, 0);
	ASSERT(mw_log_has(w, "access.jsonl", "\"status\":400"));
	mw_world_free(w);
}

#define SMTP_LISTENER "  protocol smtp\n  smtp-hostname relay.test\n"

/*
 * An SMTP client up to its TLS handshake: greeted, EHLO answered, then
 * STARTTLS with RSET pipelined behind it (CVE-2011-0411), which must go
 * nowhere; then TLS, and its EHLO under TLS queued.
 */
static struct mw_link *
smtp_client(struct mw_world *w, struct tf_conn **cp)
{
	struct mw_link *cl = mw_client_plain(w, cp);

	mw_settle(w);
	ASSERT(mw_raw_got(cl, "220 relay.test ESMTP tlsfloor\r\n"));
	ASSERT_EQ((*cp)->st, TF_CONN_ST_SMTP);
	mw_raw_send(cl, "EHLO printer\r\nSTARTTLS\r\nRSET\r\n");
	mw_settle(w);
	ASSERT(mw_raw_got(cl, "250-relay.test\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"));
	ASSERT_EQ((*cp)->st, TF_CONN_ST_PEEK);
	ASSERT_EQ(w->nupstreams, 0);
	mw_client_tls(w, cl);
	mw_peer_sends(&cl->peer, "EHLO printer\r\n");
	mw_settle(w);
	ASSERT(cl->peer.established);
	ASSERT_EQ((*cp)->st, TF_CONN_ST_TUNNEL);
	return cl;
}

/* The origin's greeting and its answer to the gateway's EHLO. */
static struct mw_link *
smtp_origin(struct mw_world *w, const char *ehlo_reply)
{
	struct mw_link *up;

	ASSERT_EQ(w->nupstreams, 1);
	up = w->ups[0];
	mw_raw_send(up, "220 origin ESMTP\r\n");
	mw_settle(w);
	ASSERT(mw_raw_got(up, "EHLO relay.test\r\n"));
	mw_raw_send(up, ehlo_reply);
	mw_settle(w);
	return up;
}

TEST(smtp_session_over_starttls)
{
	struct mw_world *w = mw_world_new(SMTP_LISTENER);
	struct tf_conn *c;
	struct mw_link *cl = smtp_client(w, &c), *up;

	/* The client's EHLO waits while the upstream opens. */
	up = smtp_origin(w, "250-origin\r\n250-SIZE 1000\r\n"
	    "250 STARTTLS\r\n");
	ASSERT(mw_raw_got(up, "STARTTLS\r\n"));
	mw_raw_send(up, "220 2.0.0 go ahead\r\n");
	mw_settle(w);
	/* The gateway's ClientHello came after the 220: TLS now. */
	mw_origin_tls(w, up);
	mw_settle(w);
	ASSERT(up->peer.established);
	ASSERT_EQ(c->up, TF_CONN_UP_READY);
	ASSERT_EQ(c->timer_kind, TF_CONN_TM_UPSTREAM);
	/* Under TLS the origin sees the client's EHLO, never the RSET. */
	ASSERT(mw_got_is(&up->peer, "EHLO printer\r\n"));
	mw_peer_sends(&up->peer, "250-origin\r\n250 AUTH PLAIN\r\n");
	mw_settle(w);
	ASSERT(mw_got_is(&cl->peer, "250-origin\r\n250 AUTH PLAIN\r\n"));
	mw_peer_sends(&cl->peer, "QUIT\r\n");
	mw_settle(w);
	mw_peer_sends(&up->peer, "221 bye\r\n");
	mw_peer_close(&up->peer);
	mw_settle(w);
	ASSERT(mw_got_has(&cl->peer, "221 bye\r\n"));
	/* The upstream ended the session, and so the client's. */
	ASSERT_EQ(w->set.n, 0);
	ASSERT_EQ(w->pool.n, 0);
	ASSERT_EQ(mw_log_lines(w, "access.jsonl"), 1);
	ASSERT(mw_log_has(w, "access.jsonl", "\"event\":\"smtp_session\""));
	ASSERT(mw_log_has(w, "access.jsonl", "\"bytes_in\":20,"));
	ASSERT(mw_log_has(w, "access.jsonl", "\"bytes_out\":37,"));
	ASSERT(mw_log_has(w, "access.jsonl", "\"legacy\":false"));
	ASSERT_EQ(upstream_errors(w), 0);
	mw_world_free(w);
}

TEST(smtp_upstream_without_starttls)
{
	struct mw_world *w = mw_world_new(SMTP_LISTENER);
	struct tf_conn *c;
	struct mw_link *cl = smtp_client(w, &c), *up;

	up = smtp_origin(w, "250-origin\r\n250 AUTH PLAIN\r\n");
	/* Nothing more goes to it; the client is told, over its TLS. */
	ASSERT_EQ(tf_buf_len(&up->peer.in), 0);
	ASSERT(mw_got_is(&cl->peer,
	    "421 4.7.0 upstream does not offer STARTTLS\r\n"));
	ASSERT(cl->peer.tls_eof);
	ASSERT(up->transport_closed);
	ASSERT_EQ(w->edge->m->upstream_errors[TF_M_UP_NO_STARTTLS], 1);
	mw_peer_close(&cl->peer);
	mw_settle(w);
	ASSERT_EQ(w->set.n, 0);
	ASSERT(mw_log_has(w, "access.jsonl", "\"upstream_tls\":null"));
	mw_world_free(w);
}

TEST_MAIN(
	TEST_ENTRY(handshake_then_request_rewritten),
	TEST_ENTRY(keepalive_reuses_the_upstream_and_pools_it),
	TEST_ENTRY(backpressure_a_client_that_does_not_read),
	TEST_ENTRY(backpressure_an_origin_that_does_not_read),
	TEST_ENTRY(tunnel_after_101),
	TEST_ENTRY(smtp_session_over_starttls),
	TEST_ENTRY(smtp_upstream_without_starttls),
	TEST_ENTRY(drain_after_connection_close),
	TEST_ENTRY(early_response_cancels_the_upload_quietly),
	TEST_ENTRY(response_delimited_by_the_end_of_the_connection),
	TEST_ENTRY(upstream_cut_short_is_a_502),
	TEST_ENTRY(pooled_upstream_closed_at_reuse_is_retried),
	TEST_ENTRY(pooled_upstream_carries_a_large_upload),
	TEST_ENTRY(pooled_upstream_closed_at_reuse_fails_a_post),
	TEST_ENTRY(client_gone_mid_upload_ends_both_legs),
	TEST_ENTRY(malformed_request_gets_400_and_no_upstream),
)
