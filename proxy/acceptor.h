/*
 * A worker's accepting sockets: the worker's own socket of every bind
 * (sockets.h opens them on the control thread), each serving the listener
 * of the current generation. At max-connections a listener stops
 * accepting (the rest wait in the kernel's backlog) and starts again when
 * connections end, on any worker. A connection that cannot be served (no
 * memory) is accepted and closed at once and counted, so accepting never
 * stops for good.
 */
#ifndef TF_ACCEPTOR_H
#define TF_ACCEPTOR_H

#include <stddef.h>

#include <uv.h>

#include "common.h"

struct tf_acceptor;
struct tf_lstn;

/*
 * Takes the connection waiting on server for listener l. Returns 0 when it
 * was accepted, a positive value when it could not be taken (it still
 * waits in server), or the negative UV code of a uv_accept that failed (it
 * is gone).
 */
typedef int tf_accept_fn(void *arg, struct tf_lstn *l, uv_stream_t *server);

/* One socket for a worker to accept on, and the listener it serves. */
struct tf_assign {
	int fd;
	struct tf_lstn *l;
};

struct tf_acceptors {
	uv_loop_t *loop;
	unsigned worker;                /* the worker's number, for logs */
	tf_accept_fn *accept;
	void *arg;
	struct tf_acceptor *head;
	uv_timer_t retry;               /* runs while some acceptor waits */
	unsigned nwaiting;              /* paused or stalled acceptors */
	int stopped;
};

/* Prepares an empty set on loop; accept(arg, ...) takes connections. */
void tf_acceptors_init(struct tf_acceptors *set, uv_loop_t *loop,
    unsigned worker, tf_accept_fn *accept, void *arg);

/*
 * Accepts on exactly the given sockets from now on: kept sockets serve
 * their new listener, new ones start listening, sockets not listed are
 * closed. Returns 0, or the UV code of the last socket that could not
 * listen (logged; the others are in use).
 */
int tf_acceptors_apply(struct tf_acceptors *set, const struct tf_assign *a,
    size_t n);

/* A connection ended: paused listeners below max-connections resume. */
void tf_acceptors_conn_gone(struct tf_acceptors *set);

/* Stops accepting: closes every socket and the timer. */
void tf_acceptors_stop(struct tf_acceptors *set);

#endif
