/*
 * One proxied connection: the client half (TLS server), the upstream half
 * (TLS client), the four bounded buffers between them, and the pump that
 * moves bytes through every layer in a fixed order.
 */
#ifndef TF_CONN_H
#define TF_CONN_H

#include <netinet/in.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "http1.h"
#include "record.h"

struct tf_worker;
struct tf_runtime;
struct tf_lstn;
struct tf_target;
struct tf_tls;
struct tf_hello;

#define TF_CONN_MAGIC 0xc0ec7a11

enum tf_conn_state {
	TF_CONN_ST_HANDSHAKE = 0,  /* client TLS handshake */
	TF_CONN_ST_PROXYING,       /* requests and responses */
	TF_CONN_ST_DRAINING,       /* flushing the last bytes, then close */
	TF_CONN_ST_CLOSED,         /* handles closing; freed at refs == 0 */
};

enum tf_up_state {
	TF_UP_NONE = 0,            /* no upstream connection */
	TF_UP_RESOLVING,           /* uv_getaddrinfo in flight */
	TF_UP_CONNECTING,          /* uv_tcp_connect in flight */
	TF_UP_HANDSHAKE,           /* TLS handshake with the upstream */
	TF_UP_READY,               /* carrying requests */
	TF_UP_CLOSING,             /* handle closing; NONE when closed */
	TF_UP_RETRY,               /* closing to try the next address */
};

/* One TCP+TLS leg. */
struct tf_side {
	uv_tcp_t tcp;
	uv_write_t wreq;
	struct tf_buf in;          /* ciphertext received */
	struct tf_buf out;         /* ciphertext to send */
	struct tf_tls *tls;
	size_t writing;            /* bytes of out under uv_write; 0: none */
	unsigned open : 1;         /* tcp initialised and not yet closed */
	unsigned reading : 1;      /* uv_read_start in effect */
	unsigned eof : 1;          /* the peer closed or the read failed */
	unsigned notified : 1;     /* close_notify queued */

	/* Upstream sides only, while parked in the worker's pool. */
	unsigned magic;            /* TF_SIDE_MAGIC while parked */
	struct tf_side *pool_next;
	struct tf_worker *w;
	const void *pool_ctx;      /* the TLS context that verified it */
	char pool_key[320];        /* "host:port|sni" */
	uint64_t parked_at;        /* uv_now */
	struct tf_runtime *rt;     /* kept alive while parked */
	char tls_version[8];
};

#define TF_SIDE_MAGIC 0x51de5a7e

struct tf_conn {
	unsigned magic;
	uint64_t id;
	struct tf_worker *w;
	struct tf_lstn *l;
	struct tf_conn *next;      /* worker's list */
	struct tf_conn **prevp;
	enum tf_conn_state st;
	unsigned refs;             /* open handles and requests in flight */

	struct tf_side client;
	struct tf_side *upstream;  /* NULL until needed; may come from and go
	                              to the worker's pool */
	enum tf_up_state up;
	const struct tf_target *target;    /* where this request goes */
	const struct tf_target *up_target; /* where the upstream leg goes */
	int sni_route;             /* target index the SNI names; -1: none */
	unsigned up_gen;           /* bumps when an upstream is abandoned */
	uv_timer_t ctimer;         /* handshake / header / idle / drain */
	uv_timer_t utimer;         /* upstream connect / inactivity */
	uv_getaddrinfo_t gai;
	uv_connect_t creq;
	struct addrinfo *ai_list;  /* upstream addresses */
	struct addrinfo *ai_next;  /* the next one to try */
	int up_err;                /* last connect error, for the log */

	struct tf_buf cplain;      /* client plaintext, not yet parsed */
	struct tf_buf to_up;       /* rewritten request bytes */
	struct tf_buf uplain;      /* upstream plaintext, not yet parsed */
	struct tf_buf to_client;   /* rewritten response bytes */
	struct tf_http req;
	struct tf_http resp;
	struct tf_http_reqinfo info;
	struct tf_http_rewrite rw;

	struct sockaddr_storage addr;  /* the client's address */
	char ip[INET6_ADDRSTRLEN];
	struct tf_record_peer peer;
	struct tf_hello *hello;    /* kept until the handshake completes */
	int hello_seen;
	int peeked;                /* the first bytes were looked at */
	int proxied;               /* the PROXY header was read */
	int decided;               /* the floor decision is made */
	int refused;               /* below the floor: recorded, refused */
	int legacy;                /* let in below the floor (audit, exempt) */
	uint64_t client_bytes;     /* ciphertext received from the client */
	char sni[256];
	char ja4[37];
	char upstream_tls[8];

	int in_exchange;           /* a request head is in, its response not */
	int tunnel;                /* after 101: raw bytes both ways */
	int header_timer;          /* the header timer runs for this head */
	uint64_t resp_bytes;       /* response bytes emitted to the client */
	uint64_t req_bytes;        /* request bytes read from the client */
	uint64_t req_start;        /* uv_now at the request head */

	int pumping;               /* re-entry guard */
	int again;                 /* pump again before returning */
};

/* Accepts one connection from a listening socket of worker w. */
void tf_conn_accept(struct tf_worker *w, struct tf_lstn *l,
    uv_stream_t *server);

/* Moves bytes through every layer until nothing more can move. */
void tf_conn_pump(struct tf_conn *c);

/* Closes now: stops everything, closes handles, frees at the last one. */
void tf_conn_close(struct tf_conn *c, const char *why);

/* The upstream could not be reached or failed: answers the request in
 * flight with status (502, 504) unless a response already started. */
void tf_conn_upstream_failed(struct tf_conn *c, int status, int reason,
    const char *why);

/* Graceful stop: closes the connection now when no request is in flight,
 * else once its response is complete. */
void tf_conn_stop(struct tf_conn *c);

/* Drops one reference; frees the connection when it was the last. */
void tf_conn_unref(struct tf_conn *c);

/* Shared by both halves: alloc/read callbacks and flushing. */
void tf_conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void tf_conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
void tf_conn_flush(struct tf_conn *c, struct tf_side *side);

/* worker.c: a connection of a stopping worker is gone. */
void tf_worker_conn_gone(struct tf_worker *w);

/* The upstream timer: connect timeout, then upstream-timeout. */
void tf_conn_utimer_cb(uv_timer_t *t);

/* upstream.c */
void tf_upstream_start(struct tf_conn *c);
void tf_upstream_close(struct tf_conn *c);
/* The client connection ends: parks its upstream leg in the worker's pool
 * when it is idle and reusable. */
void tf_upstream_release(struct tf_conn *c);
/* Closes every parked upstream connection (the worker stops). */
void tf_upstream_pool_close_all(struct tf_worker *w);
/* Frees an upstream side whose handle is closed. */
void tf_upstream_side_free(struct tf_side *s);
/* Closes the upstream connection but keeps the request waiting for it
 * (its target changed); the next connection carries it. */
void tf_upstream_switch(struct tf_conn *c);

#endif
