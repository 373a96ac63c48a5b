/*
 * The HTTP request/response cycle of one client connection, over its four
 * plaintext buffers: requests from the client's plaintext are parsed,
 * routed and rewritten towards the upstream; responses from the upstream's
 * plaintext are parsed and rewritten towards the client; each exchange
 * ends with its access record. No sockets and no TLS here: the connection
 * moves the bytes in and out and acts on the events these functions return.
 *
 * The buffers and the parsers live in a workspace borrowed from the
 * worker's cache at a request's first byte and given back when the
 * connection is quiet again (tf_exchange_trim()): between requests a
 * keep-alive connection holds none of them.
 */
#ifndef TF_EXCHANGE_H
#define TF_EXCHANGE_H

#include <stdint.h>

#include "buf.h"
#include "common.h"
#include "http1.h"

struct tf_exchange_ws;
struct tf_lstn;
struct tf_mcache;
struct tf_record_peer;
struct tf_target;
struct tf_tls;

enum tf_ex_event {
	TF_EX_NONE = 0,
	TF_EX_HEAD,             /* a request head is in: target says where */
	TF_EX_REFUSED,          /* the request was refused: its error
	                           response is queued, its record written */
	TF_EX_DONE,             /* the response is complete */
	TF_EX_BAD,              /* the upstream's response is malformed */
};

/* What the connection does once a response is complete. */
enum tf_ex_next {
	TF_EX_NEXT_KEEP = 0,    /* wait for the next request */
	TF_EX_NEXT_CLOSE,       /* send what is queued, then close */
	TF_EX_NEXT_TUNNEL,      /* 101: raw bytes both ways from now on */
};

struct tf_exchange {
	struct tf_exchange_ws *ws;      /* parsers and buffers; NULL: none */
	/* Plaintext, in the workspace (data NULL without one). */
	struct tf_buf cplain;           /* from the client, not yet parsed */
	struct tf_buf to_up;            /* rewritten, for the upstream */
	struct tf_buf uplain;           /* from the upstream, not yet parsed */
	struct tf_buf to_client;        /* rewritten, for the client */
	struct tf_http_rewrite rw;
	struct tf_mcache *cache;        /* lends workspaces */
	const char *why;                /* the last refusal or bad response */

	const struct tf_lstn *l;
	const struct tf_target *target; /* where the request in flight goes */
	int sni_route;                  /* the route the SNI names; -1: none */
	int active;                     /* a request head is in, its
	                                   response not complete */
	uint64_t req_bytes;             /* request bytes read from the client */
	uint64_t resp_bytes;            /* response bytes for the client */
	uint64_t req_start;             /* when the head was complete (ms) */

	/* For the access records. */
	const struct tf_record_peer *peer;
	struct tf_tls *client_tls;
	const char *sni;                /* NULL: none */
	const char *ja4;                /* NULL: none */
	int legacy;                     /* let in below the floor */
	int conn_auth;                  /* the last exchange authenticated
	                                   the upstream connection, or was
	                                   challenged to (NTLM, Negotiate) */
	char upstream_tls[8];           /* the upstream leg's version, or "" */
};

/* Prepares an exchange for a connection of l; workspaces come from
 * cache (NULL: malloc). */
void tf_exchange_init(struct tf_exchange *x, const struct tf_lstn *l,
    const struct tf_record_peer *peer, struct tf_mcache *cache);

/* Borrows a workspace (at a request's first bytes). 0, or -1 when out of
 * memory. */
int tf_exchange_alloc(struct tf_exchange *x) TF_WARN_UNUSED;

/*
 * Gives the workspace back when nothing is in it: no exchange active,
 * every buffer empty, no request begun. Returns 1 when it did.
 */
int tf_exchange_trim(struct tf_exchange *x);

/* Gives the workspace back, whatever it holds (the connection ends). */
void tf_exchange_free(struct tf_exchange *x);

/* True while a workspace is held. */
static inline int tf_exchange_ready(const struct tf_exchange *x)
{
	return x->ws != NULL;
}

/* The request parser's state (TF_HTTP_ST_HEAD without a workspace). */
enum tf_http_state tf_exchange_req_state(const struct tf_exchange *x);

/*
 * True when an upstream connection may serve another client: nothing of
 * an exchange is left for it or from it, and the response parser is at
 * the start of a message.
 */
int tf_exchange_upstream_clean(const struct tf_exchange *x);

/* True when client bytes wait for room in to_up that the request parser
 * needs (what to_up holds would have to go first). */
int tf_exchange_request_blocked(const struct tf_exchange *x);

/* True when the request in flight has an idempotent method (RFC 9110,
 * 9.2.2): sending it twice does what sending it once does. */
int tf_exchange_idempotent(const struct tf_exchange *x);

/*
 * Parses client plaintext into to_up as far as to_up has room. now is the
 * loop's time in ms; client_eof says the client will send no more.
 * Returns TF_EX_HEAD when a request head completed, TF_EX_REFUSED when the
 * request is refused (the caller drops the upstream and drains), else
 * TF_EX_NONE.
 */
enum tf_ex_event tf_exchange_request(struct tf_exchange *x, uint64_t now,
    int client_eof);

/*
 * Parses upstream plaintext into to_client as far as it has room, while
 * an exchange is active. TF_EX_DONE, TF_EX_BAD or TF_EX_NONE.
 */
enum tf_ex_event tf_exchange_response(struct tf_exchange *x);

/*
 * Where response body bytes may be decrypted straight into, skipping a
 * copy: returns the place and *room (at most that many bytes), or NULL
 * when the response is not at such a body (then tf_exchange_response()).
 * tf_exchange_direct_done() takes the n bytes written there, as
 * tf_exchange_response() would.
 */
char *tf_exchange_direct(struct tf_exchange *x, size_t *room);
enum tf_ex_event tf_exchange_direct_done(struct tf_exchange *x, size_t n);

/*
 * The upstream ended while the response was being read: completes a
 * response delimited by the end of the connection. TF_EX_DONE, or
 * TF_EX_BAD when the response was cut short.
 */
enum tf_ex_event tf_exchange_upstream_eof(struct tf_exchange *x);

/*
 * The response is complete: writes the access record and says what comes
 * next; may_keep is false when the client is gone or the worker stops.
 * *reuse says whether the upstream connection may carry another request.
 */
enum tf_ex_next tf_exchange_finish(struct tf_exchange *x, uint64_t now,
    int may_keep, int *reuse);

/*
 * Ends the exchange in flight with an error status (502, 504, ...): the
 * error response is queued unless a response already started, and the
 * record is written with the status the client got. Nothing more goes to
 * or comes from the upstream.
 */
void tf_exchange_fail(struct tf_exchange *x, uint64_t now, int status,
    const char *text);

/*
 * The upstream connection went: what was read from it is dropped, and what
 * was meant for it too unless keep_request (the request goes on another
 * connection).
 */
void tf_exchange_upstream_gone(struct tf_exchange *x, int keep_request);

/* In a tunnel (after a 101, an SMTP session): moves bytes both ways as
 * far as there is room, counting them in req_bytes and resp_bytes. */
void tf_exchange_tunnel(struct tf_exchange *x);

/* An SMTP session ended: its one access record, with the bytes the
 * tunnel moved, after duration_ms. */
void tf_exchange_session_record(const struct tf_exchange *x,
    uint64_t duration_ms);

#endif
