/*
 * Requests and responses of one connection: parsing, routing, rewriting,
 * error responses and access records.
 */
#include <string.h>

#include "config.h"
#include "exchange.h"
#include "metrics.h"
#include "record.h"
#include "runtime.h"
#include "tls.h"

static const char *route_cb(void *arg, const struct tf_http_reqinfo *info,
    int *status);

void
tf_exchange_init(struct tf_exchange *x, const struct tf_lstn *l,
    const struct tf_record_peer *peer)
{
	memset(x, 0, sizeof(*x));
	x->l = l;
	x->peer = peer;
	x->target = &l->targets[0];
	x->sni_route = -1;
	x->rw.client_ip = peer->client_ip;
	x->rw.route = route_cb;
	x->rw.arg = x;
	x->req.info = &x->info;
}

int
tf_exchange_alloc(struct tf_exchange *x)
{
	size_t max = x->l->conf->max_header_size;
	size_t stage = max + 4096 + TF_TLS_MAX_PLAIN;

	if (tf_buf_init(&x->cplain, TF_TLS_MAX_PLAIN) != 0 ||
	    tf_buf_init(&x->uplain, TF_TLS_MAX_PLAIN) != 0 ||
	    tf_buf_init(&x->to_up, stage) != 0 ||
	    tf_buf_init(&x->to_client, stage) != 0 ||
	    tf_http_init(&x->req, HTTP_REQUEST, &x->to_up, max) != 0 ||
	    tf_http_init(&x->resp, HTTP_RESPONSE, &x->to_client, max) != 0)
		return -1;
	x->req.info = &x->info;
	x->req.rw = &x->rw;
	return 0;
}

void
tf_exchange_free(struct tf_exchange *x)
{
	tf_buf_free(&x->cplain);
	tf_buf_free(&x->to_up);
	tf_buf_free(&x->uplain);
	tf_buf_free(&x->to_client);
	tf_http_free(&x->req);
	tf_http_free(&x->resp);
}

/* Writes the access record of the exchange in flight, then forgets it. */
static void
record(struct tf_exchange *x, uint64_t now, int status)
{
	char proto[8], cipher[8], hash[8], kx[8];
	struct tf_access a;

	if (!x->active)
		return;
	x->active = 0;
	tf_tls_iis_crypt(x->client_tls, proto, cipher, hash, kx);
	memset(&a, 0, sizeof(a));
	a.tls_version = tf_tls_version(x->client_tls);
	a.cipher = tf_tls_cipher(x->client_tls);
	a.sni = x->sni;
	a.ja4 = x->ja4;
	a.method = x->info.method;
	a.host = x->info.has_host ? x->info.host : NULL;
	a.path = x->info.path;
	a.user_agent = x->info.user_agent[0] ? x->info.user_agent : NULL;
	a.status = status;
	a.bytes_in = x->req_bytes;
	a.bytes_out = x->resp_bytes;
	a.upstream = x->target->name;
	a.upstream_tls = x->upstream_tls[0] ? x->upstream_tls : NULL;
	a.duration_ms = now - x->req_start;
	a.legacy = x->legacy;
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
	x->active = 1;
	x->resp_bytes = 0;
	x->req_start = now;
	x->resp.req_is_head = x->info.is_head;
	x->resp.req_keep_alive = x->info.keep_alive && !client_eof;
	x->resp.req_http10 = x->info.http10;
	x->resp.req_upgrade = x->req.upgrade;
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
	enum tf_http_state before = x->req.state;

	tf_http_feed_buf(&x->req, &x->cplain, &x->req_bytes);
	if (x->req.state == TF_HTTP_ST_ERROR) {
		if (!x->active) {
			x->active = 1;  /* for its access record */
			x->resp_bytes = 0;
			x->req_start = now;
		}
		tf_exchange_fail(x, now, x->req.status,
		    refusal_text(x->req.status));
		return TF_EX_REFUSED;
	}
	if (before == TF_HTTP_ST_HEAD && (x->req.state == TF_HTTP_ST_BODY ||
	    x->req.state == TF_HTTP_ST_DONE)) {
		head_done(x, now, client_eof);
		return TF_EX_HEAD;
	}
	return TF_EX_NONE;
}

enum tf_ex_event
tf_exchange_response(struct tf_exchange *x)
{
	if (x->active) {
		uint64_t unused = 0;

		x->resp_bytes += tf_http_feed_buf(&x->resp, &x->uplain, &unused);
	}
	if (x->resp.state == TF_HTTP_ST_ERROR)
		return TF_EX_BAD;
	if (x->resp.state == TF_HTTP_ST_DONE)
		return TF_EX_DONE;
	return TF_EX_NONE;
}

enum tf_ex_event
tf_exchange_upstream_eof(struct tf_exchange *x)
{
	if (x->resp.state == TF_HTTP_ST_BODY && tf_http_finish(&x->resp) == 0)
		return TF_EX_DONE;
	return TF_EX_BAD;
}

enum tf_ex_next
tf_exchange_finish(struct tf_exchange *x, uint64_t now, int may_keep,
    int *reuse)
{
	int keep = may_keep && !x->resp.close_after && x->info.keep_alive &&
	    x->req.state == TF_HTTP_ST_DONE && !x->req.upgrade;

	record(x, now, x->resp.parser.status_code);
	*reuse = 0;
	if (x->resp.upgrade)
		return TF_EX_NEXT_TUNNEL;
	*reuse = llhttp_should_keep_alive(&x->resp.parser) &&
	    x->req.state == TF_HTTP_ST_DONE && !x->req.upgrade;
	if (*reuse)
		tf_http_next(&x->resp);
	if (!keep)
		return TF_EX_NEXT_CLOSE;
	tf_http_next(&x->req);
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
		status = x->resp.parser.status_code;
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
	if (!keep_request)
		tf_buf_consume(&x->to_up, tf_buf_len(&x->to_up));
	tf_buf_consume(&x->uplain, tf_buf_len(&x->uplain));
	tf_http_reset(&x->resp);
}

/* Moves what fits from one plaintext buffer to another. */
static void
move_bytes(struct tf_buf *from, struct tf_buf *to)
{
	size_t n = tf_buf_len(from);

	if (n > tf_buf_space(to))
		n = tf_buf_space(to);
	if (n == 0)
		return;
	TF_ASSERT(tf_buf_append(to, tf_buf_head(from), n) == 0);
	tf_buf_consume(from, n);
}

void
tf_exchange_tunnel(struct tf_exchange *x)
{
	move_bytes(&x->cplain, &x->to_up);
	move_bytes(&x->uplain, &x->to_client);
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
