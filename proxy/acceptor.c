/*
 * Accepting connections on one worker's loop.
 *
 * libuv accepts one connection ahead and stops polling the socket until
 * uv_accept() claims it; a uv_accept() that fails closes that connection
 * and, outside libuv's connection callback (after a pause), leaves polling
 * stopped. So every connection libuv took is claimed (served, or accepted
 * and closed), with polling rearmed after a failure, or a timer comes back
 * to do it.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "acceptor.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "sockets.h"

#define RETRY_MS 50

struct tf_acceptor {
	uv_tcp_t tcp;
	uv_tcp_t spare;                 /* takes a connection to close it */
	struct tf_acceptors *set;
	struct tf_lstn *l;
	int fd;
	unsigned paused : 1;            /* at max-connections */
	unsigned stalled : 1;           /* a connection waits to be dropped */
	unsigned spare_busy : 1;        /* spare is closing */
	unsigned closing : 1;           /* tcp is closing */
	unsigned closed : 1;            /* tcp is closed */
	struct tf_acceptor *next;
};

static void connection_cb(uv_stream_t *server, int status);
static void retry_cb(uv_timer_t *t);

/*
 * At max-connections a listener stops accepting: the connection libuv
 * accepted ahead stays unclaimed, which stops it polling the socket; the
 * rest wait in the backlog. The count is the listener's, across workers
 * and configuration generations.
 */
static int
at_limit(const struct tf_lstn *l)
{
	return atomic_load_explicit(&l->m->connections_active,
	    memory_order_relaxed) >= (int64_t)l->conf->max_connections;
}

static void
wait_retry(struct tf_acceptors *set)
{
	if (set->nwaiting++ == 0)
		uv_timer_start(&set->retry, retry_cb, RETRY_MS, RETRY_MS);
}

/* libuv stopped polling after a failed uv_accept: start it again. */
static void
rearm(struct tf_acceptor *a)
{
	int r = uv_listen((uv_stream_t *)&a->tcp, TF_SOCKETS_BACKLOG,
	    connection_cb);

	if (r != 0)
		tf_log_error("listener %s: cannot accept again: %s",
		    a->l->conf->name, uv_strerror(r));
}

static void
spare_close_cb(uv_handle_t *h)
{
	struct tf_acceptor *a = h->data;

	a->spare_busy = 0;
	if (a->closed)
		free(a);
}

/*
 * Accepts the waiting connection into the spare handle and closes it.
 * Returns 0, or -1 when the spare is still closing (try again later).
 */
static int
drop_waiting(struct tf_acceptor *a)
{
	int r;

	if (a->spare_busy ||
	    uv_tcp_init(a->set->loop, &a->spare) != 0)
		return -1;
	a->spare.data = a;
	a->spare_busy = 1;
	r = uv_accept((uv_stream_t *)&a->tcp, (uv_stream_t *)&a->spare);
	uv_close((uv_handle_t *)&a->spare, spare_close_cb);
	if (r != 0)
		rearm(a);
	return 0;
}

/* Claims the waiting connection: served, or dropped and counted. */
static void
take(struct tf_acceptor *a)
{
	struct tf_acceptors *set = a->set;
	int r = set->accept(set->arg, a->l, (uv_stream_t *)&a->tcp);

	if (r == 0)
		return;
	TF_METRIC_INC(a->l->m, connections_dropped);
	if (r < 0) {
		tf_log_warn("listener %s: accept: %s", a->l->conf->name,
		    uv_strerror(r));
		rearm(a);
		return;
	}
	tf_log_error("listener %s: out of memory: connection dropped",
	    a->l->conf->name);
	if (drop_waiting(a) != 0 && !a->stalled) {
		a->stalled = 1;
		wait_retry(set);
	}
}

static void
retry_cb(uv_timer_t *t)
{
	struct tf_acceptors *set = t->data;
	struct tf_acceptor *a;

	for (a = set->head; a != NULL; a = a->next) {
		if (a->stalled) {
			if (drop_waiting(a) != 0)
				continue;
			a->stalled = 0;
			set->nwaiting--;
		} else if (a->paused && !at_limit(a->l)) {
			a->paused = 0;
			set->nwaiting--;
			tf_log_notice("listener %s: below max-connections "
			    "(%u): accepting again", a->l->conf->name,
			    a->l->conf->max_connections);
			take(a);
		}
	}
	if (set->nwaiting == 0)
		uv_timer_stop(&set->retry);
}

static void
connection_cb(uv_stream_t *server, int status)
{
	struct tf_acceptor *a = server->data;

	if (status < 0) {
		tf_log_warn("accept: %s", uv_strerror(status));
		return;
	}
	if (at_limit(a->l)) {
		tf_log_warn("listener %s: max-connections (%u) reached: not "
		    "accepting", a->l->conf->name, a->l->conf->max_connections);
		a->paused = 1;
		/* Connections of other workers end there: look again. */
		wait_retry(a->set);
		return;
	}
	take(a);
}

void
tf_acceptors_init(struct tf_acceptors *set, uv_loop_t *loop,
    unsigned worker, tf_accept_fn *accept, void *arg)
{
	set->loop = loop;
	set->worker = worker;
	set->accept = accept;
	set->arg = arg;
	set->head = NULL;
	set->nwaiting = 0;
	set->stopped = 0;
	TF_ASSERT(uv_timer_init(loop, &set->retry) == 0);
	set->retry.data = set;
}

static void
acceptor_close_cb(uv_handle_t *h)
{
	struct tf_acceptor *a = h->data;

	a->closed = 1;
	if (!a->spare_busy)
		free(a);
}

static void
acceptor_close(struct tf_acceptors *set, struct tf_acceptor *a)
{
	if (a->paused || a->stalled)
		set->nwaiting--;
	a->paused = a->stalled = 0;
	a->closing = 1;
	uv_close((uv_handle_t *)&a->tcp, acceptor_close_cb);
}

int
tf_acceptors_apply(struct tf_acceptors *set, const struct tf_assign *as,
    size_t n)
{
	struct tf_acceptor *a, **pp, *keep = NULL;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		for (pp = &set->head; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->fd == as[i].fd)
				break;
		if (*pp != NULL) {
			a = *pp;        /* kept: serves the new listener */
			*pp = a->next;
			a->l = as[i].l;
		} else {
			int e;

			a = tf_xcalloc(1, sizeof(*a));
			a->set = set;
			a->fd = as[i].fd;
			a->l = as[i].l;
			a->tcp.data = a;
			e = uv_tcp_init(set->loop, &a->tcp);
			if (e == 0)
				e = uv_tcp_open(&a->tcp, a->fd);
			if (e == 0)
				e = uv_listen((uv_stream_t *)&a->tcp,
				    TF_SOCKETS_BACKLOG, connection_cb);
			if (e != 0) {
				tf_log(TF_LOG_ALERT, "worker %u: cannot listen "
				    "for %s: %s", set->worker,
				    a->l->conf->name, uv_strerror(e));
				r = e;
				if (a->tcp.loop != NULL) {
					a->closing = 1;
					uv_close((uv_handle_t *)&a->tcp,
					    acceptor_close_cb);
				} else {
					free(a);
				}
				continue;
			}
		}
		a->next = keep;
		keep = a;
	}
	/* What is left was dropped from the configuration. */
	while (set->head != NULL) {
		a = set->head;
		set->head = a->next;
		acceptor_close(set, a);
	}
	set->head = keep;
	if (set->nwaiting == 0)
		uv_timer_stop(&set->retry);
	return r;
}

void
tf_acceptors_conn_gone(struct tf_acceptors *set)
{
	if (set->nwaiting > 0 && !set->stopped)
		retry_cb(&set->retry);
}

void
tf_acceptors_stop(struct tf_acceptors *set)
{
	struct tf_acceptor *a;

	if (set->stopped)
		return;
	set->stopped = 1;
	while (set->head != NULL) {
		a = set->head;
		set->head = a->next;
		acceptor_close(set, a);
	}
	uv_close((uv_handle_t *)&set->retry, NULL);
}
