/*
 * One proxied connection: the client leg (TLS server), the upstream leg
 * (TLS client) when there is one, the exchange between them, and the pump
 * that moves bytes through every layer in a fixed order. A connection
 * lives on one worker's loop and belongs to that worker's set.
 *
 * Lifecycle (st), in order, each state left only forwards:
 *
 *   ACCEPTED   set up; with proxy-protocol on, the PROXY header comes
 *   SMTP       protocol smtp: greeted, commands answered up to STARTTLS
 *   PEEK       the first bytes: a TLS record, an SSLv2 hello, plain HTTP
 *   HELLO      TLS records go to BoringSSL until it shows the hello
 *   HANDSHAKE  the hello was decided on: the rest of the handshake
 *   PROXYING   requests and responses
 *   TUNNEL     after a 101, or an SMTP session's handshake: raw bytes
 *              both ways (SMTP: once the upstream is open)
 *   DRAINING   what is queued for the client goes out, then close
 *   CLOSED     handles closing; freed when the last one is closed
 */
#ifndef TF_CONN_H
#define TF_CONN_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/queue.h>

#include <uv.h>

#include "exchange.h"
#include "leg.h"
#include "record.h"
#include "upstream.h"

struct tf_hello;
struct tf_lstn;
struct tf_mcache;
struct tf_pool;
struct tf_target;

#define TF_CONN_MAGIC 0xc0ec7a11

enum tf_conn_state {
	TF_CONN_ST_ACCEPTED = 0,
	TF_CONN_ST_SMTP,
	TF_CONN_ST_PEEK,
	TF_CONN_ST_HELLO,
	TF_CONN_ST_HANDSHAKE,
	TF_CONN_ST_PROXYING,
	TF_CONN_ST_TUNNEL,
	TF_CONN_ST_DRAINING,
	TF_CONN_ST_CLOSED,
};

/* The floor decision on a ClientHello (SPEC "mode"). The last three are
 * in the order of the metrics' action label. */
enum tf_floor {
	TF_FLOOR_NONE = 0,              /* no hello decided on yet */
	TF_FLOOR_PASS,                  /* at or above the floor */
	TF_FLOOR_REFUSED,               /* below: recorded and refused */
	TF_FLOOR_AUDIT,                 /* below: recorded, let in (audit) */
	TF_FLOOR_EXEMPT,                /* below: recorded, let in (exempt) */
};

/* What the connection's one timer is counting down. */
enum tf_conn_timer {
	TF_CONN_TM_NONE = 0,
	TF_CONN_TM_HANDSHAKE,           /* handshake-timeout */
	TF_CONN_TM_HEADER,              /* header-timeout */
	TF_CONN_TM_IDLE,                /* idle-timeout */
	TF_CONN_TM_UPSTREAM,            /* upstream-timeout (silence) */
	TF_CONN_TM_DRAIN,               /* the last bytes to a slow reader */
};

/* The upstream half. */
enum tf_conn_up {
	TF_CONN_UP_NONE = 0,            /* no upstream connection */
	TF_CONN_UP_OPENING,             /* an opening is in flight */
	TF_CONN_UP_READY,               /* a leg carries requests */
};

TAILQ_HEAD(tf_conn_list, tf_conn);

/* One worker's connections and what they share. */
struct tf_conns {
	uv_loop_t *loop;
	struct tf_mcache *cache;        /* lends buffers; NULL: malloc */
	struct tf_pool *pool;           /* idle upstream legs; NULL: none */
	tf_upstream_open_fn *open_upstream;  /* tf_upstream_open */
	struct tf_conn_list list;       /* open connections */
	unsigned n;                     /* connections not yet freed */
	int stopping;                   /* graceful stop: no keep-alive */
	/* Called after a connection of listener l was freed. */
	void (*gone_cb)(struct tf_conns *set, struct tf_lstn *l);
	void *data;                     /* the owner's */
};

struct tf_conn {
	unsigned magic;
	uint64_t id;                    /* unique in the process, for logs */
	struct tf_conns *set;
	struct tf_lstn *l;              /* holds a reference to l->rt */
	TAILQ_ENTRY(tf_conn) link;      /* in set->list until closed */
	enum tf_conn_state st;
	enum tf_floor floor;
	enum tf_conn_up up;
	enum tf_conn_timer timer_kind;
	unsigned refs;                  /* handles not yet closed */
	unsigned established : 1;       /* the client handshake completed */
	unsigned pumping : 1;           /* tf_conn_pump() is running */
	unsigned again : 1;             /* pump once more before returning */
	unsigned replay : 1;            /* the upstream leg came from the
	                                   pool and has not answered yet: what
	                                   went on it stays in x.to_up */
	unsigned pinned : 1;            /* NTLM/Negotiate: the upstream leg
	                                   is this client's until it closes */
	size_t sent;                    /* replay: bytes of x.to_up sent */
	uint64_t start_ms;              /* started (loop time), for records */

	struct tf_leg client;
	struct tf_leg *upstream;        /* UP_READY: the upstream leg */
	struct tf_upstream *opening;    /* UP_OPENING: the opening */
	const struct tf_target *up_target; /* where upstream/opening goes */
	uv_timer_t timer;
	struct tf_exchange x;

	struct sockaddr_storage addr;   /* the client's (PROXY header's) */
	char ip[INET6_ADDRSTRLEN];
	struct tf_record_peer peer;
	struct tf_hello *hello;         /* kept until the handshake is done */
	char sni[256];                  /* "" when none */
	char ja4[37];                   /* "" until the hello was read */
};

/* Prepares an empty set on loop. */
void tf_conns_init(struct tf_conns *set, uv_loop_t *loop,
    struct tf_mcache *cache, struct tf_pool *pool);

/*
 * Graceful stop: no new keep-alive; connections without a request in
 * flight close now, the others once their response is complete.
 */
void tf_conns_stop(struct tf_conns *set);

/* Closes every connection now. */
void tf_conns_close_all(struct tf_conns *set, const char *why);

/*
 * Accepts the connection waiting on server, for listener l, into set (a
 * struct tf_conns). Returns 0 when it was accepted (it may have been
 * closed since), 1 when it could not be taken (no memory: it still waits
 * in server), or the negative UV code of a uv_accept that failed (libuv
 * closed it).
 */
int tf_conn_accept(void *set, struct tf_lstn *l, uv_stream_t *server);

/*
 * A connection of l without transport (its client leg is not open), or
 * NULL when out of memory. tf_conn_accept() uses it; tests open the
 * client leg over memory, then call tf_conn_start().
 */
struct tf_conn *tf_conn_new(struct tf_conns *set, struct tf_lstn *l);

/* Starts a connection whose client leg is open, from the address sa. */
void tf_conn_start(struct tf_conn *c, const struct sockaddr *sa);

/* Moves bytes through every layer until nothing more moves. Re-entry
 * only asks the running pump to go round once more. */
void tf_conn_pump(struct tf_conn *c);

/* Closes now: stops everything, closes handles, frees at the last one.
 * Idempotent. */
void tf_conn_close(struct tf_conn *c, const char *why);

/* Graceful stop of one connection (see tf_conns_stop). */
void tf_conn_stop(struct tf_conn *c);

#endif
