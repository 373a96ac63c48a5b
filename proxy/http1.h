/*
 * HTTP/1.1 framing for one direction of a proxied connection, on llhttp.
 * Bytes go in with tf_http_feed(); the rewritten message comes out in the
 * `out` buffer: a new head (hop-by-hop headers removed, Host and
 * X-Forwarded-* set for requests) and the body, streamed, re-chunked when
 * it arrived chunked. A codec only: it never touches a socket.
 */
#ifndef TF_HTTP1_H
#define TF_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "common.h"

struct tf_buf;

#define TF_HTTP_MAX_FIELDS 128
#define TF_HTTP_MAX_CONN_TOKENS 16

enum tf_http_state {
	TF_HTTP_ST_HEAD = 0,   /* reading a head */
	TF_HTTP_ST_BODY,       /* head emitted, body streaming */
	TF_HTTP_ST_DONE,       /* message complete; paused until next() */
	TF_HTTP_ST_ERROR,      /* malformed; see status and why */
};

struct tf_http_field {
	uint32_t name, name_len;    /* offsets into store */
	uint32_t value, value_len;
	uint8_t kind;               /* what the name is (http1.c), once the
	                               head is complete */
	uint8_t listed;             /* a Connection header names it */
};

struct tf_http_reqinfo;

/*
 * Chooses where a request goes once its head is read: returns the Host to
 * send (NULL keeps the client's), or NULL with *status set (421) to refuse
 * it.
 */
typedef const char *tf_http_route_cb(void *arg,
    const struct tf_http_reqinfo *info, int *status);

/* Rewriting parameters for a request head. */
struct tf_http_rewrite {
	tf_http_route_cb *route;
	void *arg;
	const char *client_ip;  /* appended to X-Forwarded-For */
};

/* What the access record needs from a request head (copied, bounded). */
struct tf_http_reqinfo {
	char method[32];
	char host[256];
	char path[1024];
	char user_agent[256];
	int has_host;
	int is_head;            /* HEAD: the response has no body */
	int keep_alive;         /* the client wants the connection kept */
	int http10;             /* the client spoke HTTP/1.0 */
	int conn_auth;          /* Authorization: NTLM or Negotiate */
};

struct tf_http {
	llhttp_t parser;
	enum tf_http_state state;
	struct tf_buf *out;     /* the rewritten stream goes here */
	size_t max_head;        /* max-header-size */

	char *store;            /* head bytes: url/status, names, values */
	size_t store_len;
	struct tf_http_field fields[TF_HTTP_MAX_FIELDS];
	size_t nfields;
	int in_field;           /* a name span is open */
	int in_value;           /* a value span is open */
	uint32_t url, url_len;  /* request target, or response reason */

	/* Request side. */
	const struct tf_http_rewrite *rw;
	struct tf_http_reqinfo *info;

	/* Response side: what the request said. */
	int req_is_head;
	int req_keep_alive;
	int req_http10;
	int req_upgrade;        /* the request asked for an Upgrade */

	/* Raw head scan (llhttp lets obs-fold and bare LF through). */
	int at_start;           /* no byte of this message seen yet */
	int scan_done;          /* the head's end was found */
	int scan_line_len;      /* the current head line has content */
	int scan_lines;         /* lines seen in this head */
	unsigned char scan_prev;
	char ext_method[32];    /* a method llhttp does not know, or "" */

	/* Chunked body scan: chunk extensions are rewritten in place to bare
	 * names before llhttp reads them (8.1 rejects "a;x=1;y=2"). */
	int ck;                 /* state; 0: off */
	int ck_digits;
	uint64_t ck_size;       /* the size being read, or data left */

	/* Per message. */
	int chunked_out;        /* body is re-chunked */
	int upgrade;            /* request: asks for Upgrade; response: 101 */
	int close_after;        /* this message ends the connection */
	int status;             /* response status; or 400/431 on error */
	int conn_auth;          /* response: a 401 challenging with NTLM or
	                           Negotiate, which bind to the connection */
	const char *why;        /* error text for the log */
	uint64_t body_bytes;    /* body bytes seen (decoded) */
};

/*
 * Prepares a parser. type is HTTP_REQUEST or HTTP_RESPONSE. Returns 0 or
 * -1 when the head store cannot be allocated.
 */
int tf_http_init(struct tf_http *h, llhttp_type_t type, struct tf_buf *out,
    size_t max_head) TF_WARN_UNUSED;
void tf_http_free(struct tf_http *h);

/* The same with a head store of max_head bytes at store, which stays the
 * caller's (tf_http_free() must not be called then). */
void tf_http_setup(struct tf_http *h, llhttp_type_t type, struct tf_buf *out,
    char *store, size_t max_head);

/*
 * Space the out buffer must have before the next tf_http_feed() of n
 * bytes, so that nothing the parser emits can overflow it.
 */
size_t tf_http_out_need(const struct tf_http *h, size_t n);

/*
 * Feeds n bytes (chunk extensions in them may be rewritten in place; they
 * are dropped anyway). Returns the bytes consumed: fewer than n when a message
 * completed (state DONE; the rest belongs to the next message) or on an
 * error (state ERROR, with status 400/431/502 and why set).
 */
size_t tf_http_feed(struct tf_http *h, char *p, size_t n);

/*
 * Feeds h from src as far as h's out buffer has room for what a feed may
 * emit (tf_http_out_need()), stopping at the end of a message or at an
 * error. Returns the bytes emitted into h->out; *consumed grows by the
 * bytes taken from src. Emitting more than tf_http_out_need() said aborts.
 */
uint64_t tf_http_feed_buf(struct tf_http *h, struct tf_buf *src,
    uint64_t *consumed);

/*
 * A body with a Content-Length, passed on as it is, need not be copied:
 * tf_http_direct_room() says how many of its next bytes may be written
 * straight at the tail of h->out (0: none, the message is not such a
 * body), and tf_http_feed_direct() then parses the n bytes written there
 * in place. Returns what tf_http_feed() returns.
 */
size_t tf_http_direct_room(struct tf_http *h);
size_t tf_http_feed_direct(struct tf_http *h, size_t n);

/* The peer closed: completes a read-to-close message. Returns 0 when the
 * message is now complete, -1 when it was cut short. */
int tf_http_finish(struct tf_http *h);

/* Starts the next message after DONE. */
void tf_http_next(struct tf_http *h);

/* Forgets everything about the stream: a new connection starts. */
void tf_http_reset(struct tf_http *h);

/* Writes a small plain-text error response ("HTTP/1.1 502 Bad Gateway")
 * with Connection: close into out. Returns 0 or -1 if it does not fit. */
int tf_http_error_response(struct tf_buf *out, int status, const char *text);

/* The reason phrase of a status code. */
const char *tf_http_reason(int status);

/* "llhttp 8.1.0". */
const char *tf_http_library_version(void);

#endif
