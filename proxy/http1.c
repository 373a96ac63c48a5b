/*
 * Request and response framing over llhttp (compiled with
 * LLHTTP_STRICT_MODE). Heads are collected into a bounded store and
 * re-emitted once complete; body spans are passed straight into the out
 * buffer. The caller sizes each feed with tf_http_out_need(), so emitting
 * never fails for lack of room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "http1.h"

/* Room kept for what the rewrite adds to a head. */
#define HEAD_SLACK 2048
/* Chunk framing around one body span: "ffffffff\r\n" ... "\r\n". */
#define CHUNK_SLACK 16

/* States of the chunked-body scan (struct tf_http.ck). */
enum {
	CK_OFF = 0,     /* not a chunked body, or finished, or lost */
	CK_SIZE,        /* hex digits of a chunk size */
	CK_EXT,         /* after ';' on a chunk-size line */
	CK_SIZE_LF,     /* the LF ending a chunk-size line */
	CK_DATA,        /* ck_size bytes of data */
	CK_DATA_CR,
	CK_DATA_LF,
	CK_TRAILER,     /* at the start of a trailer line */
	CK_TRAILER_LINE,
	CK_END_LF,      /* the LF of the empty line ending the body */
};

/* The HTTP methods llhttp knows (not its RTSP ones). */
static const char *const known_methods[] = {
#define TF_METHOD(num, name, string) #string,
	HTTP_METHOD_MAP(TF_METHOD)
#undef TF_METHOD
};

static int
store_append(struct tf_http *h, const char *p, size_t n)
{
	if (n > h->max_head - h->store_len) {
		h->status = h->parser.type == HTTP_REQUEST ? 431 : 502;
		h->why = "head larger than max-header-size";
		return -1;
	}
	memcpy(h->store + h->store_len, p, n);
	h->store_len += n;
	return 0;
}

static struct tf_http *
from_parser(llhttp_t *p)
{
	return p->data;
}

static int
on_message_begin(llhttp_t *p)
{
	struct tf_http *h = from_parser(p);

	h->store_len = 0;
	h->nfields = 0;
	h->in_field = h->in_value = 0;
	h->url = h->url_len = 0;
	h->chunked_out = 0;
	h->upgrade = 0;
	h->body_bytes = 0;
	h->status = 0;
	h->why = NULL;
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t n)
{
	struct tf_http *h = from_parser(p);

	if (h->url_len == 0)
		h->url = (uint32_t)h->store_len;
	if (store_append(h, at, n) != 0)
		return HPE_USER;
	h->url_len += (uint32_t)n;
	return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct tf_http *h = from_parser(p);
	struct tf_http_field *f;

	if (!h->in_field) {
		if (h->nfields == TF_HTTP_MAX_FIELDS) {
			h->status = p->type == HTTP_REQUEST ? 431 : 502;
			h->why = "too many header fields";
			return HPE_USER;
		}
		f = &h->fields[h->nfields++];
		memset(f, 0, sizeof(*f));
		f->name = (uint32_t)h->store_len;
		h->in_field = 1;
	}
	f = &h->fields[h->nfields - 1];
	if (store_append(h, at, n) != 0)
		return HPE_USER;
	f->name_len += (uint32_t)n;
	return 0;
}

static int
on_header_field_complete(llhttp_t *p)
{
	struct tf_http *h = from_parser(p);

	if (!h->in_field) {
		/* llhttp 8.1 takes ": x", a field without a name. */
		h->why = "empty header field name";
		h->status = p->type == HTTP_REQUEST ? 400 : 502;
		return HPE_USER;
	}
	h->in_field = 0;
	h->fields[h->nfields - 1].value = (uint32_t)h->store_len;
	return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct tf_http *h = from_parser(p);
	struct tf_http_field *f;

	TF_ASSERT(h->nfields > 0); /* a name came first */
	f = &h->fields[h->nfields - 1];
	if (store_append(h, at, n) != 0)
		return HPE_USER;
	f->value_len += (uint32_t)n;
	h->in_value = 1;
	return 0;
}

static int
on_header_value_complete(llhttp_t *p)
{
	from_parser(p)->in_value = 0;
	return 0;
}

/* The fields the rewriting looks at by name; FK_OTHER for the rest. */
enum field_kind {
	FK_OTHER = 0,
	/* Hop-by-hop (RFC 9110 7.6.1), plus the ones we set ourselves:
	 * framing is re-emitted from the parser's view of the message. */
	FK_CONNECTION,
	FK_KEEP_ALIVE,
	FK_PROXY_CONNECTION,
	FK_TE,
	FK_TRAILER,
	FK_TRANSFER_ENCODING,
	FK_UPGRADE,
	FK_PROXY_AUTHENTICATE,
	FK_PROXY_AUTHORIZATION,
	FK_LAST_HOP = FK_PROXY_AUTHORIZATION,
	FK_HOST,
	FK_USER_AGENT,
	FK_CONTENT_LENGTH,
	FK_X_FORWARDED_FOR,
	FK_X_FORWARDED_PROTO,
	FK_AUTHORIZATION,
	FK_WWW_AUTHENTICATE,
};

static const struct {
	const char *name;
	uint8_t len;
	uint8_t kind;
} known_fields[] = {
#define KNOWN(n, k) { n, sizeof(n) - 1, k }
	KNOWN("connection", FK_CONNECTION),
	KNOWN("keep-alive", FK_KEEP_ALIVE),
	KNOWN("proxy-connection", FK_PROXY_CONNECTION),
	KNOWN("te", FK_TE),
	KNOWN("trailer", FK_TRAILER),
	KNOWN("transfer-encoding", FK_TRANSFER_ENCODING),
	KNOWN("upgrade", FK_UPGRADE),
	KNOWN("proxy-authenticate", FK_PROXY_AUTHENTICATE),
	KNOWN("proxy-authorization", FK_PROXY_AUTHORIZATION),
	KNOWN("host", FK_HOST),
	KNOWN("user-agent", FK_USER_AGENT),
	KNOWN("content-length", FK_CONTENT_LENGTH),
	KNOWN("x-forwarded-for", FK_X_FORWARDED_FOR),
	KNOWN("x-forwarded-proto", FK_X_FORWARDED_PROTO),
	KNOWN("authorization", FK_AUTHORIZATION),
	KNOWN("www-authenticate", FK_WWW_AUTHENTICATE),
#undef KNOWN
};

static int
same_name(const struct tf_http *h, const struct tf_http_field *f,
    const char *name, size_t n)
{
	return f->name_len == n &&
	    strncasecmp(h->store + f->name, name, n) == 0;
}

/*
 * True when a field of kind k holds an NTLM or Negotiate credential or
 * challenge: "NTLM", "Negotiate", either followed by a token, as the
 * value or one of its comma-separated challenges. Both authenticate the
 * connection, not the request (RFC 4559; IIS, Exchange).
 */
static int
conn_bound_auth(const struct tf_http *h, uint8_t k)
{
	static const struct {
		const char *name;
		size_t len;
	} schemes[] = { { "NTLM", 4 }, { "Negotiate", 9 } };
	size_t i, j;

	for (i = 0; i < h->nfields; i++) {
		const struct tf_http_field *f = &h->fields[i];
		const char *v = h->store + f->value, *end = v + f->value_len;

		if (f->kind != k)
			continue;
		while (v < end) {
			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			for (j = 0; j < TF_ARRAY_SIZE(schemes); j++) {
				size_t n = schemes[j].len;

				if ((size_t)(end - v) >= n &&
				    strncasecmp(v, schemes[j].name, n) == 0 &&
				    (v + n == end || v[n] == ' ' ||
				    v[n] == ','))
					return 1;
			}
			/* Another scheme and its parameters: on to the next
			 * comma. One inside a quoted parameter may start a
			 * false match, which only costs the pooling. */
			while (v < end && *v != ',')
				v++;
		}
	}
	return 0;
}

/*
 * Once the head is complete: what each field is, and which ones a
 * Connection header lists (its tokens compared with every field name once,
 * instead of for every field emitted).
 */
static void
classify(struct tf_http *h)
{
	size_t i, j;

	for (i = 0; i < h->nfields; i++) {
		struct tf_http_field *f = &h->fields[i];

		f->kind = FK_OTHER;
		f->listed = 0;
		for (j = 0; j < TF_ARRAY_SIZE(known_fields); j++) {
			if (same_name(h, f, known_fields[j].name,
			    known_fields[j].len)) {
				f->kind = known_fields[j].kind;
				break;
			}
		}
	}
	for (i = 0; i < h->nfields; i++) {
		const struct tf_http_field *c = &h->fields[i];
		const char *v = h->store + c->value, *end = v + c->value_len;

		if (c->kind != FK_CONNECTION)
			continue;
		while (v < end) {
			const char *tok;
			size_t len;

			while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
				v++;
			tok = v;
			while (v < end && *v != ',' && *v != ' ' && *v != '\t')
				v++;
			len = (size_t)(v - tok);
			for (j = 0; len > 0 && j < h->nfields; j++)
				if (same_name(h, &h->fields[j], tok, len))
					h->fields[j].listed = 1;
		}
	}
}

static int
is_hop_by_hop(const struct tf_http_field *f)
{
	return f->kind != FK_OTHER && f->kind <= FK_LAST_HOP;
}

/*
 * A Connection header naming a framing field would make us drop the field
 * while forwarding the body it frames: the next hop would read the body
 * as a request (smuggling). Such a message is refused.
 */
static int
framing_listed_in_connection(const struct tf_http *h)
{
	size_t i;

	for (i = 0; i < h->nfields; i++) {
		const struct tf_http_field *f = &h->fields[i];

		if (f->listed && (f->kind == FK_CONTENT_LENGTH ||
		    f->kind == FK_TRANSFER_ENCODING || f->kind == FK_HOST))
			return 1;
	}
	return 0;
}

static void
emit(struct tf_http *h, const void *p, size_t n)
{
	/* Body bytes placed at the tail already (tf_http_feed_direct). */
	if (p == tf_buf_tail(h->out)) {
		tf_buf_commit(h->out, n);
		return;
	}
	/* tf_http_out_need() reserved the room: running out is a bug. */
	TF_ASSERT(tf_buf_append(h->out, p, n) == 0);
}

/* Emits a NUL-terminated string. */
static void
emits(struct tf_http *h, const char *s)
{
	emit(h, s, strlen(s));
}

/* Emits v in the given base (10 or 16, lower case). */
static void
emit_uint(struct tf_http *h, uint64_t v, unsigned base)
{
	static const char digits[] = "0123456789abcdef";
	char num[24], *p = num + sizeof(num);

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v != 0);
	emit(h, p, (size_t)(num + sizeof(num) - p));
}

static void
emit_field(struct tf_http *h, const struct tf_http_field *f)
{
	emit(h, h->store + f->name, f->name_len);
	emit(h, ": ", 2);
	emit(h, h->store + f->value, f->value_len);
	emit(h, "\r\n", 2);
}

/* The Transfer-Encoding fields go on as they were: a "gzip, chunked" body
 * is re-chunked and stays gzip; a response's "gzip" alone is read to close
 * and passed on so. */
static void
emit_transfer_encoding(struct tf_http *h)
{
	size_t i;

	h->chunked_out = (h->parser.flags & F_CHUNKED) != 0;
	for (i = 0; i < h->nfields; i++)
		if (h->fields[i].kind == FK_TRANSFER_ENCODING)
			emit_field(h, &h->fields[i]);
}

static void
copy_bounded(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
request_head(struct tf_http *h)
{
	llhttp_t *p = &h->parser;
	struct tf_http_reqinfo *info = h->info;
	const struct tf_http_field *xff[8], *host = NULL;
	const char *rewritten, *method;
	size_t i, nxff = 0;
	int has_host = 0;

	memset(info, 0, sizeof(*info));
	/* llhttp reads a request line without a version as HTTP/0.9 and
	 * goes on to fields; it would leave as an HTTP/1.1 request. */
	if (p->http_major != 1) {
		h->status = p->http_major > 1 ? 505 : 400;
		h->why = "not an HTTP/1.x request";
		return -1;
	}
	method = h->ext_method[0] ? h->ext_method :
	    llhttp_method_name((llhttp_method_t)p->method);
	copy_bounded(info->method, sizeof(info->method), method,
	    strlen(method));
	copy_bounded(info->path, sizeof(info->path), h->store + h->url,
	    h->url_len);
	info->is_head = p->method == HTTP_HEAD;
	info->keep_alive = llhttp_should_keep_alive(p);
	info->http10 = p->http_major == 1 && p->http_minor == 0;
	for (i = 0; i < h->nfields; i++) {
		const struct tf_http_field *f = &h->fields[i];

		if (f->kind == FK_HOST) {
			if (has_host++) {
				h->why = "repeated Host header";
				return -1;
			}
			copy_bounded(info->host, sizeof(info->host),
			    h->store + f->value, f->value_len);
			host = f;
		} else if (f->kind == FK_USER_AGENT) {
			copy_bounded(info->user_agent,
			    sizeof(info->user_agent), h->store + f->value,
			    f->value_len);
		}
	}
	info->has_host = has_host;
	info->conn_auth = conn_bound_auth(h, FK_AUTHORIZATION);
	if (framing_listed_in_connection(h)) {
		h->why = "Connection names a framing header";
		return -1;
	}
	if ((p->flags & F_TRANSFER_ENCODING) && !(p->flags & F_CHUNKED)) {
		/* RFC 9112 6.3: the length cannot be known. llhttp says so
		 * only after this head would have been emitted. */
		h->why = "Transfer-Encoding without chunked last";
		return -1;
	}
	if (!has_host && !info->http10) {
		h->why = "HTTP/1.1 request without Host";
		return -1;
	}
	if (p->upgrade && p->method == HTTP_CONNECT) {
		h->status = 501;
		h->why = "CONNECT is not proxied";
		return -1;
	}
	h->upgrade = p->upgrade;

	rewritten = h->rw->route(h->rw->arg, info, &h->status);
	if (h->status != 0) {
		h->why = "Host names another route than the SNI";
		return -1;
	}
	emit(h, info->method, strlen(info->method));
	emit(h, " ", 1);
	emit(h, h->store + h->url, h->url_len);
	emit(h, " HTTP/1.1\r\n", 11);
	if (rewritten != NULL) {
		emit(h, "Host: ", 6);
		emits(h, rewritten);
		emit(h, "\r\n", 2);
	} else if (host != NULL) {
		/* The client's, whole: info->host is a bounded copy, shorter
		 * than a 253-character name and its port. */
		emit(h, "Host: ", 6);
		emit(h, h->store + host->value, host->value_len);
		emit(h, "\r\n", 2);
	}
	for (i = 0; i < h->nfields; i++) {
		const struct tf_http_field *f = &h->fields[i];

		if (h->upgrade && f->kind == FK_UPGRADE) {
			emit_field(h, f); /* this hop's Upgrade goes on */
			continue;
		}
		if (is_hop_by_hop(f) || f->listed || f->kind == FK_HOST ||
		    f->kind == FK_X_FORWARDED_PROTO)
			continue;
		if (f->kind == FK_X_FORWARDED_FOR) {
			if (nxff == TF_ARRAY_SIZE(xff)) {
				h->why = "too many X-Forwarded-For headers";
				return -1;
			}
			xff[nxff++] = f;
			continue;
		}
		emit_field(h, f);
	}
	emit(h, "X-Forwarded-For: ", 17);
	for (i = 0; i < nxff; i++) {
		emit(h, h->store + xff[i]->value, xff[i]->value_len);
		emit(h, ", ", 2);
	}
	emits(h, h->rw->client_ip);
	emit(h, "\r\nX-Forwarded-Proto: https\r\n", 28);
	if (p->flags & F_CHUNKED)
		emit_transfer_encoding(h);
	if (h->upgrade)
		emit(h, "Connection: Upgrade\r\n", 21);
	emit(h, "\r\n", 2);
	return 0;
}

static int
response_head(struct tf_http *h)
{
	llhttp_t *p = &h->parser;
	int no_body = h->req_is_head || p->status_code == 204 ||
	    p->status_code == 304 || p->status_code < 200;
	size_t i;

	if (framing_listed_in_connection(h)) {
		h->why = "Connection names a framing header";
		return -1;
	}
	if (p->status_code < 100) {
		/* llhttp 8.1 takes "HTTP/1.1 20 X". */
		h->why = "status code below 100";
		return -1;
	}
	if (p->status_code == 101) {
		if (!h->req_upgrade) {
			h->why = "upstream switched protocols unasked";
			return -1;
		}
		h->upgrade = 1;
	}
	if (p->status_code >= 200)
		h->close_after = !h->req_keep_alive;
	if (!no_body && !(p->flags & (F_CHUNKED | F_CONTENT_LENGTH)))
		h->close_after = 1; /* read to close, so must we */
	emit(h, "HTTP/1.1 ", 9);
	emit_uint(h, p->status_code, 10);
	emit(h, " ", 1);
	emit(h, h->store + h->url, h->url_len);
	emit(h, "\r\n", 2);
	for (i = 0; i < h->nfields; i++) {
		const struct tf_http_field *f = &h->fields[i];

		if (h->upgrade && f->kind == FK_UPGRADE) {
			emit_field(h, f);
			continue;
		}
		if (is_hop_by_hop(f) || f->listed)
			continue;
		emit_field(h, f);
	}
	if (h->upgrade)
		emit(h, "Connection: Upgrade\r\n", 21);
	if (!no_body && (p->flags & F_TRANSFER_ENCODING))
		emit_transfer_encoding(h); /* not chunked: read to close */
	if (p->status_code >= 200 && !h->upgrade) {
		if (h->close_after)
			emit(h, "Connection: close\r\n", 19);
		else if (h->req_http10)
			emit(h, "Connection: keep-alive\r\n", 24);
	}
	emit(h, "\r\n", 2);
	/* 1, no body: HEAD, 204, 304 and every 1xx (llhttp 8.1 would read a
	 * Content-Length body after a 1xx, which a client never expects). */
	return no_body ? 1 : 0;
}

static int
on_status(llhttp_t *p, const char *at, size_t n)
{
	return on_url(p, at, n); /* the reason phrase takes the url's place */
}

static int
on_headers_complete(llhttp_t *p)
{
	struct tf_http *h = from_parser(p);
	int r;

	classify(h);
	if (p->type == HTTP_REQUEST) {
		if (request_head(h) != 0) {
			if (h->status == 0)
				h->status = 400;
			return HPE_USER;
		}
		r = 0;
	} else {
		h->conn_auth = p->status_code == 401 &&
		    conn_bound_auth(h, FK_WWW_AUTHENTICATE);
		r = response_head(h);
		if (r < 0) {
			h->status = 502;
			return HPE_USER;
		}
	}
	h->state = TF_HTTP_ST_BODY;
	if (r == 0 && (p->flags & F_CHUNKED)) {
		/* Pause, so that the next feed starts at the first chunk. */
		h->ck = CK_SIZE;
		h->ck_size = 0;
		h->ck_digits = 0;
		return HPE_PAUSED;
	}
	return r; /* 1: a response to HEAD has no body */
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct tf_http *h = from_parser(p);

	if (h->chunked_out) {
		emit_uint(h, n, 16);
		emit(h, "\r\n", 2);
	}
	emit(h, at, n);
	if (h->chunked_out)
		emit(h, "\r\n", 2);
	h->body_bytes += n;
	return 0;
}

/* Prepares the raw head scan for a new message. */
static void
scan_reset(struct tf_http *h)
{
	h->at_start = 1;
	h->ck = CK_OFF;
	h->scan_done = 0;
	h->scan_line_len = 0;
	h->scan_lines = 0;
	h->scan_prev = 0;
	h->ext_method[0] = '\0';
}

static int
on_message_complete(llhttp_t *p)
{
	struct tf_http *h = from_parser(p);

	if (h->chunked_out)
		emit(h, "0\r\n\r\n", 5); /* trailers are dropped */
	if (p->type == HTTP_RESPONSE && p->status_code < 200 && !h->upgrade) {
		/* 1xx: the final response follows. Pause anyway, so that
		 * one feed emits at most one head. */
		h->state = TF_HTTP_ST_HEAD;
		scan_reset(h);
		return HPE_PAUSED;
	}
	h->state = TF_HTTP_ST_DONE;
	return HPE_PAUSED;
}

/*
 * Shared by the parsers of every worker thread, so it is a constant,
 * complete before any thread starts, that no thread ever writes: a lazy
 * fill by the first parser would race with the others, and its
 * llhttp_settings_init() would zero the callbacks under a parser already
 * running on another thread. The fields not named are zero, as
 * llhttp_settings_init() leaves them.
 */
static const llhttp_settings_t settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_status = on_status,
	.on_header_field = on_header_field,
	.on_header_field_complete = on_header_field_complete,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

int
tf_http_init(struct tf_http *h, llhttp_type_t type, struct tf_buf *out,
    size_t max_head)
{
	char *store = malloc(max_head);

	if (store == NULL)
		return -1;
	tf_http_setup(h, type, out, store, max_head);
	return 0;
}

void
tf_http_setup(struct tf_http *h, llhttp_type_t type, struct tf_buf *out,
    char *store, size_t max_head)
{
	memset(h, 0, sizeof(*h));
	h->store = store;
	h->max_head = max_head;
	h->out = out;
	llhttp_init(&h->parser, type, &settings);
	h->parser.data = h;
	scan_reset(h);
}

void
tf_http_free(struct tf_http *h)
{
	free(h->store);
	h->store = NULL;
}

size_t
tf_http_out_need(const struct tf_http *h, size_t n)
{
	/* A head is emitted whole when it completes; bodies in spans. */
	return h->max_head + HEAD_SLACK + n + CHUNK_SLACK + 5;
}

static int
is_tchar(unsigned char c)
{
	/* strchr() finds the terminating NUL too: 0 is no token char. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * llhttp knows a fixed set of methods; Exchange uses others (RPC_IN_DATA,
 * RPC_OUT_DATA). Looks at a request's first bytes: returns the length of a
 * method token llhttp does not know (copied to ext_method), 0 when llhttp
 * should judge the bytes itself, or -1 when the token is not complete yet.
 */
static long
ext_method(struct tf_http *h, const char *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < n && i < sizeof(h->ext_method) - 1; i++) {
		if (p[i] == ' ')
			break;
		if (!is_tchar((unsigned char)p[i]))
			return 0;
	}
	if (i == n)
		return i < sizeof(h->ext_method) - 1 ? -1 : 0;
	if (i == 0 || p[i] != ' ')
		return 0;
	for (j = 0; j < TF_ARRAY_SIZE(known_methods); j++)
		if (strlen(known_methods[j]) == i &&
		    memcmp(known_methods[j], p, i) == 0)
			return 0;
	memcpy(h->ext_method, p, i);
	h->ext_method[i] = '\0';
	return (long)i;
}

/*
 * Checks the lines of a head before llhttp parses it: llhttp 8.1 lets
 * obs-fold (a line starting with a blank), bare LF and a field without a
 * name through even in strict mode, and each can hide smuggling. Returns 0
 * or -1 with why set.
 */
static int
scan_head(struct tf_http *h, const char *p, size_t n)
{
	const char *end = p + n;

	/* A line at a time: only its first byte that is not CR and the
	 * byte before its LF matter (CRs alone do not count as content). */
	while (p < end && !h->scan_done) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl != NULL ? nl : end, *q = p;

		while (q < stop && *q == '\r')
			q++;
		if (q < stop) {
			if (h->scan_line_len == 0 && h->scan_lines > 0) {
				if (*q == ' ' || *q == '\t') {
					h->why = "obsolete line folding in the "
					    "head";
					return -1;
				}
				if (*q == ':') {
					/* llhttp 8.1 reads ": x" as more of
					 * the previous field's value. */
					h->why = "empty header field name";
					return -1;
				}
			}
			h->scan_line_len = 1;
		}
		if (stop > p)
			h->scan_prev = (unsigned char)stop[-1];
		if (nl == NULL)
			break;
		if (h->scan_prev != '\r') {
			h->why = "bare LF in the head";
			return -1;
		}
		if (h->scan_line_len > 0)
			h->scan_lines++;
		else if (h->scan_lines > 0)
			h->scan_done = 1;
		h->scan_line_len = 0;
		h->scan_prev = '\n';
		p = nl + 1;
	}
	return 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Follows the chunk framing of a body just ahead of llhttp and rewrites
 * each chunk extension to a bare name of the same length (";a=1;b=2"
 * becomes ";xxx;xxx"): llhttp 8.1 rejects a token value followed by
 * another extension, which RFC 9112 7.1.1 allows, and extensions are
 * dropped anyway. Anything unexpected stops the scan (CK_OFF) and leaves
 * the bytes to llhttp's judgement, so the scan can only ever change bytes
 * after a ';' on a line both it and llhttp read as a chunk-size line.
 */
static void
chunk_scan(struct tf_http *h, char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && h->ck != CK_OFF; i++) {
		unsigned char c = (unsigned char)p[i];
		size_t k;

		switch (h->ck) {
		case CK_SIZE:
			if (hexval(c) >= 0 && h->ck_digits < 15) {
				h->ck_size = h->ck_size * 16 +
				    (uint64_t)hexval(c);
				h->ck_digits++;
			} else if (c == ';' && h->ck_digits > 0) {
				h->ck = CK_EXT;
			} else if (c == '\r' && h->ck_digits > 0) {
				h->ck = CK_SIZE_LF;
			} else {
				h->ck = CK_OFF;
			}
			break;
		case CK_EXT:
			if (c == '\r')
				h->ck = CK_SIZE_LF;
			else if (c == '\n' || c < 0x20 || c == 0x7f)
				h->ck = CK_OFF;  /* malformed: llhttp says so */
			else if (c != ';')
				p[i] = 'x';
			break;
		case CK_SIZE_LF:
			if (c != '\n')
				h->ck = CK_OFF;
			else
				h->ck = h->ck_size == 0 ? CK_TRAILER : CK_DATA;
			h->ck_digits = 0;
			break;
		case CK_DATA:
			k = n - i < h->ck_size ? n - i : (size_t)h->ck_size;
			h->ck_size -= k;
			i += k - 1;
			if (h->ck_size == 0)
				h->ck = CK_DATA_CR;
			break;
		case CK_DATA_CR:
			h->ck = c == '\r' ? CK_DATA_LF : CK_OFF;
			break;
		case CK_DATA_LF:
			h->ck = c == '\n' ? CK_SIZE : CK_OFF;
			break;
		case CK_TRAILER:
			h->ck = c == '\r' ? CK_END_LF : CK_TRAILER_LINE;
			break;
		case CK_TRAILER_LINE:
			if (c == '\n')
				h->ck = CK_TRAILER;
			break;
		case CK_END_LF:
			h->ck = CK_OFF;
			break;
		}
	}
}

static size_t
feed_error(struct tf_http *h, size_t used)
{
	if (h->status == 0)
		h->status = h->parser.type == HTTP_REQUEST ? 400 : 502;
	if (h->why == NULL)
		h->why = llhttp_get_error_reason(&h->parser);
	h->state = TF_HTTP_ST_ERROR;
	return used;
}

size_t
tf_http_feed(struct tf_http *h, char *p, size_t n)
{
	llhttp_errno_t e;
	size_t used = 0;
	long m;

	if (h->state == TF_HTTP_ST_DONE || h->state == TF_HTTP_ST_ERROR)
		return 0;
	if (h->at_start && n > 0 && h->parser.type == HTTP_REQUEST &&
	    p[0] != '\r' && p[0] != '\n') {
		m = ext_method(h, p, n);
		if (m < 0)
			return 0; /* wait for the whole token */
	} else {
		m = 0;
	}
	if (h->state == TF_HTTP_ST_HEAD && scan_head(h, p, n) != 0)
		return feed_error(h, 0);
	if (h->state == TF_HTTP_ST_BODY && h->ck != CK_OFF)
		chunk_scan(h, p, n);
	if (n > 0)
		h->at_start = 0;
	if (m > 0) {
		/* Parsed as POST: the body framing of a request does not
		 * depend on its method. */
		if (llhttp_execute(&h->parser, "POST", 4) != HPE_OK)
			return feed_error(h, 0);
		used = (size_t)m;
		p += m;
		n -= (size_t)m;
	}
	e = llhttp_execute(&h->parser, p, n);
	switch (e) {
	case HPE_OK:
		return used + n;
	case HPE_PAUSED:
		if (h->state != TF_HTTP_ST_DONE)
			llhttp_resume(&h->parser); /* after a 1xx */
		return used + (size_t)(llhttp_get_error_pos(&h->parser) - p);
	case HPE_PAUSED_UPGRADE:
		/* Only after on_message_complete paused: not reached. */
		return used + (size_t)(llhttp_get_error_pos(&h->parser) - p);
	default:
		return feed_error(h, used + (size_t)(llhttp_get_error_pos(
		    &h->parser) - p));
	}
}

size_t
tf_http_direct_room(struct tf_http *h)
{
	uint64_t left = h->parser.content_length;
	size_t room;

	if (h->state != TF_HTTP_ST_BODY || h->chunked_out || h->ck != CK_OFF ||
	    !(h->parser.flags & F_CONTENT_LENGTH) || left == 0)
		return 0;
	if (tf_buf_tailroom(h->out) < left)
		tf_buf_compact(h->out);
	room = tf_buf_tailroom(h->out);
	return left < room ? (size_t)left : room;
}

size_t
tf_http_feed_direct(struct tf_http *h, size_t n)
{
	TF_ASSERT(n <= tf_http_direct_room(h));
	return tf_http_feed(h, tf_buf_tail(h->out), n);
}

uint64_t
tf_http_feed_buf(struct tf_http *h, struct tf_buf *src, uint64_t *consumed)
{
	uint64_t emitted = 0;

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
			need = tf_http_out_need(h, n);
		}
		if (tf_buf_tailroom(h->out) < need)
			tf_buf_compact(h->out);
		before = tf_buf_len(h->out);
		used = tf_http_feed(h, tf_buf_head(src), n);
		TF_ASSERT(used <= n && tf_buf_len(h->out) - before <= need);
		emitted += tf_buf_len(h->out) - before;
		tf_buf_consume(src, used);
		*consumed += used;
		if (used == 0 && h->state != TF_HTTP_ST_DONE)
			break;
		if (h->state == TF_HTTP_ST_DONE || h->state == TF_HTTP_ST_ERROR)
			break;
	}
	return emitted;
}

int
tf_http_finish(struct tf_http *h)
{
	llhttp_errno_t e;

	if (h->state == TF_HTTP_ST_DONE)
		return 0;
	/* A read-to-close body ends here; on_message_complete pauses, so
	 * llhttp_finish answers HPE_PAUSED for a complete message. */
	e = llhttp_finish(&h->parser);
	return h->state == TF_HTTP_ST_DONE && (e == HPE_OK ||
	    e == HPE_PAUSED) ? 0 : -1;
}

void
tf_http_next(struct tf_http *h)
{
	TF_ASSERT(h->state == TF_HTTP_ST_DONE);
	h->state = TF_HTTP_ST_HEAD;
	h->close_after = 0;
	scan_reset(h);
	llhttp_resume(&h->parser);
}

void
tf_http_reset(struct tf_http *h)
{
	llhttp_init(&h->parser, h->parser.type, &settings);
	h->parser.data = h;
	h->state = TF_HTTP_ST_HEAD;
	h->close_after = 0;
	scan_reset(h);
}

const char *
tf_http_reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

int
tf_http_error_response(struct tf_buf *out, int status, const char *text)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s\n", status, tf_http_reason(status),
	    strlen(text) + 1, text);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return tf_buf_append(out, msg, (size_t)n);
}

const char *
tf_http_library_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "llhttp %d.%d.%d", LLHTTP_VERSION_MAJOR,
	    LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH);
	return v;
}
