/*
 * Requests and responses of one connection: parsing, routing, rewriting,
 * error responses and access records.
 */
#include <string.h>

#include "config.h"
#include "exchange.h"
#include "mcache.h"
#include "metrics.h"
#include "record.h"
#include "runtime.h"
#include "tls.h"

/*
 * A workspace: the parsers, what the access record needs, and the memory
 * of the four buffers and the two head stores, in one block whose size
 * follows the listener's max-header-size.
 */
struct tf_exchange_ws {
	struct tf_http req;
	struct tf_http resp;
	struct tf_http_reqinfo info;    /* the request in flight */
	size_t size;                    /* of the whole block */
	char mem[];
};

/* Buffer sizes for a max-header-size of max. */
#define PLAIN_SIZE TF_TLS_MAX_PLAIN
#define STAGE_SIZE(max) ((max) + 4096 + TF_TLS_MAX_PLAIN)

static const char *route_cb(void *arg, const struct tf_http_reqinfo *info,
    int *status);

void
tf_exchange_init(struct tf_exchange *x, const struct tf_lstn *l,
    const struct tf_record_peer *peer, struct tf_mcache *cache)
{
	memset(x, 0, sizeof(*x));
	x->l = l;
	x->peer = peer;
	x->cache = cache;
	x->target = &l->targets[0];
	x->sni_route = -1;
	x->rw.client_ip = peer->client_ip;
	x->rw.route = route_cb;
	x->rw.arg = x;
}

int
tf_exchange_alloc(struct tf_exchange *x)
{
	size_t max = x->l->conf->max_header_size;
	size_t size = sizeof(struct tf_exchange_ws) + 2 * PLAIN_SIZE +
	    2 * STAGE_SIZE(max) + 2 * max;
	struct tf_exchange_ws *ws;
	char *p;

	if (x->ws != NULL)
		return 0;
	ws = tf_mcache_get(x->cache, size);
	if (ws == NULL)
		return -1;
	ws->size = size;
	p = ws->mem;
	tf_buf_attach(&x->cplain, p, PLAIN_SIZE);
	p += PLAIN_SIZE;
	tf_buf_attach(&x->uplain, p, PLAIN_SIZE);
	p += PLAIN_SIZE;
	tf_buf_attach(&x->to_up, p, STAGE_SIZE(max));
	p += STAGE_SIZE(max);
	tf_buf_attach(&x->to_client, p, STAGE_SIZE(max));
	p += STAGE_SIZE(max);
	tf_http_setup(&ws->req, HTTP_REQUEST, &x->to_up, p, max);
	p += max;
	tf_http_setup(&ws->resp, HTTP_RESPONSE, &x->to_client, p, max);
	memset(&ws->info, 0, sizeof(ws->info));
	ws->req.info = &ws->info;
	ws->req.rw = &x->rw;
	x->ws = ws;
	return 0;
}

void
tf_exchange_free(struct tf_exchange *x)
{
	struct tf_exchange_ws *ws = x->ws;

	if (ws == NULL)
		return;
	tf_buf_detach(&x->cplain);
	tf_buf_detach(&x->uplain);
	tf_buf_detach(&x->to_up);
	tf_buf_detach(&x->to_client);
	x->ws = NULL;
	tf_mcache_put(x->cache, ws, ws->size);
}

int
tf_exchange_trim(struct tf_exchange *x)
{
	struct tf_exchange_ws *ws = x->ws;

	if (ws == NULL || x->active || tf_buf_len(&x->cplain) != 0 ||
	    tf_buf_len(&x->to_up) != 0 || tf_buf_len(&x->uplain) != 0 ||
	    tf_buf_len(&x->to_client) != 0 ||
	    ws->req.state != TF_HTTP_ST_HEAD || !ws->req.at_start)
		return 0;
	tf_exchange_free(x);
	return 1;
}

enum tf_http_state
tf_exchange_req_state(const struct tf_exchange *x)
{
	return x->ws != NULL ? x->ws->req.state : TF_HTTP_ST_HEAD;
}

int
tf_exchange_upstream_clean(const struct tf_exchange *x)
{
	return !x->active && tf_buf_len(&x->to_up) == 0 &&
	    tf_buf_len(&x->uplain) == 0 && (x->ws == NULL ||
	    (x->ws->resp.state == TF_HTTP_ST_HEAD && x->ws->resp.at_start));
}

int
tf_exchange_request_blocked(const struct tf_exchange *x)
{
	return x->ws != NULL && tf_buf_len(&x->cplain) > 0 &&
	    tf_buf_space(&x->to_up) <= tf_http_out_need(&x->ws->req, 0);
}

int
tf_exchange_idempotent(const struct tf_exchange *x)
{
	if (x->ws == NULL)
		return 0;
	switch (x->ws->req.parser.method) {
	case HTTP_GET:
	case HTTP_HEAD:
	case HTTP_OPTIONS:
	case HTTP_TRACE:
	case HTTP_PUT:
	case HTTP_DELETE:
		return 1;
	default:
		return 0;
	}
}

/* The fields a request's record and an SMTP session's have in common. */
static void
access_init(const struct tf_exchange *x, struct tf_access *a,
    uint64_t duration_ms)
{
	memset(a, 0, sizeof(*a));
	a->tls_version = tf_tls_version(x->client_tls);
	a->cipher = tf_tls_cipher(x->client_tls);
	a->sni = x->sni;
	a->ja4 = x->ja4;
	a->bytes_in = x->req_bytes;
	a->bytes_out = x->resp_bytes;
	a->upstream = x->target->name;
	a->upstream_tls = x->upstream_tls[0] ? x->upstream_tls : NULL;
	a->duration_ms = duration_ms;
	a->legacy = x->legacy;
}

/* Writes the access record of the exchange in flight, then forgets it. */
static void
record(struct tf_exchange *x, uint64_t now, int status)
{
	const struct tf_http_reqinfo *info;
	char proto[8], cipher[8], hash[8], kx[8];
	struct tf_access a;

	if (!x->active)
		return;
	x->active = 0;
	info = &x->ws->info;
	tf_tls_iis_crypt(x->client_tls, proto, cipher, hash, kx);
	access_init(x, &a, now - x->req_start);
	a.method = info->method;
	a.host = info->has_host ? info->host : NULL;
	a.path = info->path;
	a.user_agent = info->user_agent[0] ? info->user_agent : NULL;
	a.status = status;
	a.crypt_protocol = proto;
	a.crypt_cipher = cipher;
	a.crypt_hash = hash;
	a.crypt_keyexchange = kx;
	tf_record_access(x->peer, &a);
	if (status >= 100 && status < 600)
		TF_METRIC_INC(x->l->m, requests[status / 100 - 1]);
}

/* The exchange starts: the response side learns what the request said. */
static void
head_done(struct tf_exchange *x, uint64_t now, int client_eof)
{
	struct tf_exchange_ws *ws = x->ws;

	x->active = 1;
	x->resp_bytes = 0;
	x->req_start = now;
	ws->resp.req_is_head = ws->info.is_head;
	ws->resp.req_keep_alive = ws->info.keep_alive && !client_eof;
	ws->resp.req_http10 = ws->info.http10;
	ws->resp.req_upgrade = ws->req.upgrade;
}

static const char *
refusal_text(int status)
{
	switch (status) {
	case 431:
		return "The request head is too large.";
	case 421:
		return "This host is not served on this connection's server "
		    "name.";
	case 501:
		return "Not implemented.";
	default:
		return "The request is malformed.";
	}
}

enum tf_ex_event
tf_exchange_request(struct tf_exchange *x, uint64_t now, int client_eof)
{
	struct tf_http *req = &x->ws->req;
	enum tf_http_state before = req->state;

	tf_http_feed_buf(req, &x->cplain, &x->req_bytes);
	if (req->state == TF_HTTP_ST_ERROR) {
		if (!x->active) {
			x->active = 1;  /* for its access record */
			x->resp_bytes = 0;
			x->req_start = now;
		}
		x->why = req->why;
		tf_exchange_fail(x, now, req->status,
		    refusal_text(req->status));
		return TF_EX_REFUSED;
	}
	if (before == TF_HTTP_ST_HEAD && (req->state == TF_HTTP_ST_BODY ||
	    req->state == TF_HTTP_ST_DONE)) {
		head_done(x, now, client_eof);
		return TF_EX_HEAD;
	}
	return TF_EX_NONE;
}

enum tf_ex_event
tf_exchange_response(struct tf_exchange *x)
{
	struct tf_http *resp;
	uint64_t unused = 0;

	if (x->ws == NULL)
		return TF_EX_NONE;
	resp = &x->ws->resp;
	if (x->active)
		x->resp_bytes += tf_http_feed_buf(resp, &x->uplain, &unused);
	if (resp->state == TF_HTTP_ST_ERROR) {
		x->why = resp->why != NULL ? resp->why : "malformed response";
		return TF_EX_BAD;
	}
	return resp->state == TF_HTTP_ST_DONE ? TF_EX_DONE : TF_EX_NONE;
}

char *
tf_exchange_direct(struct tf_exchange *x, size_t *room)
{
	if (x->ws == NULL || !x->active || tf_buf_len(&x->uplain) != 0 ||
	    (*room = tf_http_direct_room(&x->ws->resp)) == 0)
		return NULL;
	return tf_buf_tail(&x->to_client);
}

enum tf_ex_event
tf_exchange_direct_done(struct tf_exchange *x, size_t n)
{
	struct tf_http *resp = &x->ws->resp;
	size_t before = tf_buf_len(&x->to_client);

	if (n > 0) {
		TF_ASSERT(tf_http_feed_direct(resp, n) == n);
		x->resp_bytes += tf_buf_len(&x->to_client) - before;
	}
	return resp->state == TF_HTTP_ST_DONE ? TF_EX_DONE : TF_EX_NONE;
}

enum tf_ex_event
tf_exchange_upstream_eof(struct tf_exchange *x)
{
	struct tf_http *resp = &x->ws->resp;

	if (resp->state == TF_HTTP_ST_BODY && tf_http_finish(resp) == 0)
		return TF_EX_DONE;
	return TF_EX_BAD;
}

enum tf_ex_next
tf_exchange_finish(struct tf_exchange *x, uint64_t now, int may_keep,
    int *reuse)
{
	struct tf_exchange_ws *ws = x->ws;
	int keep = may_keep && !ws->resp.close_after && ws->info.keep_alive &&
	    ws->req.state == TF_HTTP_ST_DONE && !ws->req.upgrade;

	record(x, now, ws->resp.parser.status_code);
	x->conn_auth = ws->resp.conn_auth || ws->info.conn_auth;
	*reuse = 0;
	if (ws->resp.upgrade)
		return TF_EX_NEXT_TUNNEL;
	*reuse = llhttp_should_keep_alive(&ws->resp.parser) &&
	    ws->req.state == TF_HTTP_ST_DONE && !ws->req.upgrade;
	if (*reuse)
		tf_http_next(&ws->resp);
	if (!keep)
		return TF_EX_NEXT_CLOSE;
	tf_http_next(&ws->req);
	x->req_bytes = 0;
	x->resp_bytes = 0;
	return TF_EX_NEXT_KEEP;
}

void
tf_exchange_fail(struct tf_exchange *x, uint64_t now, int status,
    const char *text)
{
	/* A response that started keeps its status in the record. */
	if (x->resp_bytes > 0)
		status = x->ws->resp.parser.status_code;
	tf_exchange_upstream_gone(x, 0);
	if (x->resp_bytes == 0) {
		tf_buf_compact(&x->to_client);
		if (tf_http_error_response(&x->to_client, status, text) == 0)
			x->resp_bytes = tf_buf_len(&x->to_client);
	}
	record(x, now, status);
}

void
tf_exchange_upstream_gone(struct tf_exchange *x, int keep_request)
{
	x->upstream_tls[0] = '\0';
	if (x->ws == NULL)
		return;
	if (!keep_request)
		tf_buf_consume(&x->to_up, tf_buf_len(&x->to_up));
	tf_buf_consume(&x->uplain, tf_buf_len(&x->uplain));
	tf_http_reset(&x->ws->resp);
}

/* Moves what fits from one plaintext buffer to another; adds the bytes
 * moved to *count. */
static void
move_bytes(struct tf_buf *from, struct tf_buf *to, uint64_t *count)
{
	size_t n = tf_buf_len(from);

	if (n > tf_buf_space(to))
		n = tf_buf_space(to);
	if (n == 0)
		return;
	TF_ASSERT(tf_buf_append(to, tf_buf_head(from), n) == 0);
	tf_buf_consume(from, n);
	*count += n;
}

void
tf_exchange_tunnel(struct tf_exchange *x)
{
	move_bytes(&x->cplain, &x->to_up, &x->req_bytes);
	move_bytes(&x->uplain, &x->to_client, &x->resp_bytes);
}

void
tf_exchange_session_record(const struct tf_exchange *x, uint64_t duration_ms)
{
	struct tf_access a;

	access_init(x, &a, duration_ms);
	tf_record_smtp_session(x->peer, &a);
}

/*
 * SPEC "Routes": the SNI picks the route; without SNI, the Host header
 * does; with neither matching, the listener's upstream. A Host that names
 * another route than the SNI's is refused with 421.
 */
static const char *
route_cb(void *arg, const struct tf_http_reqinfo *info, int *status)
{
	struct tf_exchange *x = arg;
	const char *host = info->host, *colon;
	size_t n = strlen(host);
	int by_host, t;

	if (host[0] == '[')
		colon = strchr(host, ']') ? strchr(host, ']') + 1 : host + n;
	else
		colon = strchr(host, ':');
	if (colon != NULL && colon < host + n && *colon == ':')
		n = (size_t)(colon - host);
	by_host = info->has_host ? tf_runtime_find_route(x->l, host, n) : -1;
	if (x->sni != NULL) {
		t = x->sni_route > 0 ? x->sni_route : 0;
		if (by_host > 0 && by_host != t) {
			*status = 421;
			return NULL;
		}
	} else {
		t = by_host > 0 ? by_host : 0;
	}
	x->target = &x->l->targets[t];
	return x->l->conf->preserve_host ? NULL : x->target->host_header;
}
