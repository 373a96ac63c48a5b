/*
 * Unit tests for proxy/acceptor.c on loopback sockets: a connection that
 * cannot be served is accepted, closed and counted, and accepting goes on
 * (libuv stops polling a listening socket until the connection it took
 * ahead is claimed, and for good after a uv_accept that failed);
 * max-connections pauses a listener and a connection's end resumes it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "acceptor.h"
#include "config.h"
#include "metrics.h"
#include "runtime.h"
#include "test.h"

#define MAX_CLIENTS 8

struct client {
	uv_tcp_t tcp;
	uv_connect_t creq;
	int connected;
	int ended;                      /* the gateway closed it */
	char buf[64];
};

struct fixture {
	uv_loop_t loop;
	uv_timer_t deadline;
	struct tf_listener_conf lc;
	struct tf_lstn l;
	struct tf_acceptors set;
	int fd;
	struct sockaddr_in addr;
	struct client clients[MAX_CLIENTS];
	int nclients;
	/* What the accept function does on each call. */
	const char *script;             /* 'u' untaken, 'a' accept, 'f' fail */
	int calls;
	uv_tcp_t served[MAX_CLIENTS];
	int nserved;
	uv_tcp_t busy;                  /* an open handle uv_accept refuses */
};

static int
accept_fn(void *arg, struct tf_lstn *l, uv_stream_t *server)
{
	struct fixture *f = arg;
	char what = f->script[f->calls] ? f->script[f->calls] : 'a';
	uv_tcp_t *t;

	f->calls++;
	switch (what) {
	case 'u':
		return 1;
	case 'f':
		/* uv_accept into a handle that has a socket fails, and libuv
		 * closes the connection it had taken. */
		return uv_accept(server, (uv_stream_t *)&f->busy);
	default:
		t = &f->served[f->nserved++];
		ASSERT_OK(uv_tcp_init(&f->loop, t));
		ASSERT_OK(uv_accept(server, (uv_stream_t *)t));
		return 0;
	}
}

static void
alloc_cb(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	struct client *c = h->data;

	b->base = c->buf;
	b->len = sizeof(c->buf);
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct client *c = s->data;

	if (n < 0) {
		c->ended = 1;
		uv_read_stop(s);
	}
}

static void
connect_cb(uv_connect_t *req, int status)
{
	struct client *c = req->data;

	ASSERT_OK(status);
	c->connected = 1;
	ASSERT_OK(uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb));
}

static void
connect_one(struct fixture *f)
{
	struct client *c = &f->clients[f->nclients++];

	ASSERT_OK(uv_tcp_init(&f->loop, &c->tcp));
	c->tcp.data = c;
	c->creq.data = c;
	ASSERT_OK(uv_tcp_connect(&c->creq, &c->tcp,
	    (struct sockaddr *)&f->addr, connect_cb));
}

static void
deadline_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until cond(f) holds, 5 s at most. */
static void
run_until(struct fixture *f, int (*cond)(struct fixture *))
{
	uv_timer_start(&f->deadline, deadline_cb, 5000, 0);
	while (!cond(f) && uv_is_active((uv_handle_t *)&f->deadline))
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->deadline);
}

static void
setup(struct fixture *f, const char *script, unsigned max_connections)
{
	socklen_t len = sizeof(f->addr);
	struct tf_assign a;
	int busy_fd;

	memset(f, 0, sizeof(*f));
	f->script = script;
	ASSERT_OK(uv_loop_init(&f->loop));
	ASSERT_OK(uv_timer_init(&f->loop, &f->deadline));
	f->lc.name = "edge";
	f->lc.max_connections = max_connections;
	f->l.conf = &f->lc;
	f->l.m = tf_metrics_listener("edge");
	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT(f->fd >= 0);
	f->addr.sin_family = AF_INET;
	f->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(f->fd, (struct sockaddr *)&f->addr, sizeof(f->addr)));
	ASSERT_OK(listen(f->fd, 16));
	ASSERT_OK(getsockname(f->fd, (struct sockaddr *)&f->addr, &len));
	busy_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT(busy_fd >= 0);
	ASSERT_OK(uv_tcp_init(&f->loop, &f->busy));
	ASSERT_OK(uv_tcp_open(&f->busy, busy_fd));
	tf_acceptors_init(&f->set, &f->loop, 0, accept_fn, f);
	a.fd = f->fd;
	a.l = &f->l;
	ASSERT_OK(tf_acceptors_apply(&f->set, &a, 1));
}

static void
close_cb(uv_handle_t *h)
{
}

static void
teardown(struct fixture *f)
{
	int i;

	tf_acceptors_stop(&f->set);
	for (i = 0; i < f->nclients; i++)
		uv_close((uv_handle_t *)&f->clients[i].tcp, close_cb);
	for (i = 0; i < f->nserved; i++)
		uv_close((uv_handle_t *)&f->served[i], close_cb);
	uv_close((uv_handle_t *)&f->busy, close_cb);
	uv_close((uv_handle_t *)&f->deadline, close_cb);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&f->loop));
}

static int
two_calls(struct fixture *f)
{
	return f->calls >= 2 && f->clients[0].ended;
}

/*
 * The first connection cannot be taken (no memory for it): it is closed
 * at once and counted, and the next one is accepted. Before, it stayed
 * unclaimed in libuv, which then never polled the socket again.
 */
TEST(untaken_connection_is_dropped_and_accepting_goes_on)
{
	struct fixture f;
	uint64_t dropped;

	setup(&f, "ua", 100);
	dropped = f.l.m->connections_dropped;
	connect_one(&f);
	connect_one(&f);
	run_until(&f, two_calls);
	ASSERT_EQ(f.calls, 2);
	ASSERT(f.clients[0].ended);
	ASSERT_EQ(f.nserved, 1);
	ASSERT(!f.clients[1].ended);
	ASSERT_EQ(f.l.m->connections_dropped, dropped + 1);
	teardown(&f);
}

static int
all_ended(struct fixture *f)
{
	int i;

	for (i = 0; i < f->nclients; i++)
		if (!f->clients[i].ended)
			return 0;
	return f->nclients > 0;
}

static int
served(struct fixture *f)
{
	return f->nserved > 0;
}

/* Several in a row: one drop is still closing when the next comes. */
TEST(untaken_connections_in_a_row)
{
	struct fixture f;
	uint64_t dropped;
	int i;

	setup(&f, "uuuu", 100);
	dropped = f.l.m->connections_dropped;
	for (i = 0; i < 4; i++)
		connect_one(&f);
	run_until(&f, all_ended);
	ASSERT(all_ended(&f));
	ASSERT_EQ(f.calls, 4);
	ASSERT_EQ(f.l.m->connections_dropped, dropped + 4);
	connect_one(&f);
	run_until(&f, served);
	ASSERT_EQ(f.calls, 5);
	ASSERT_EQ(f.nserved, 1);
	teardown(&f);
}

/*
 * A uv_accept that fails loses that connection (libuv closes it). Inside
 * libuv's connection callback polling goes on; but a connection claimed
 * later, as after a pause at max-connections, found polling stopped, and
 * a failed uv_accept leaves it stopped: the acceptor polls again.
 */
TEST(failed_uv_accept_rearms)
{
	struct fixture f;

	setup(&f, "fa", 100);
	connect_one(&f);
	connect_one(&f);
	run_until(&f, two_calls);
	ASSERT_EQ(f.calls, 2);
	ASSERT(f.clients[0].ended);
	ASSERT_EQ(f.nserved, 1);
	teardown(&f);
}

static int
connected(struct fixture *f)
{
	return f->clients[f->nclients - 1].connected;
}

TEST(failed_uv_accept_after_a_pause_rearms)
{
	struct fixture f;

	setup(&f, "fa", 1);
	TF_METRIC_INC(f.l.m, connections_active);
	connect_one(&f);
	run_until(&f, connected);
	uv_run(&f.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(f.calls, 0);
	TF_METRIC_DEC(f.l.m, connections_active);
	tf_acceptors_conn_gone(&f.set);
	ASSERT_EQ(f.calls, 1);
	connect_one(&f);
	run_until(&f, two_calls);
	ASSERT_EQ(f.calls, 2);
	ASSERT(f.clients[0].ended);
	ASSERT_EQ(f.nserved, 1);
	teardown(&f);
}

static int
one_call(struct fixture *f)
{
	return f->calls >= 1;
}

/* At max-connections nothing is accepted (nor dropped); a connection's
 * end lets the waiting one in. */
TEST(max_connections_pauses_and_resumes)
{
	struct fixture f;

	setup(&f, "a", 1);
	TF_METRIC_INC(f.l.m, connections_active);
	connect_one(&f);
	run_until(&f, connected);
	uv_run(&f.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(f.calls, 0);
	ASSERT_EQ(f.set.nwaiting, 1);
	TF_METRIC_DEC(f.l.m, connections_active);
	tf_acceptors_conn_gone(&f.set);
	run_until(&f, one_call);
	ASSERT_EQ(f.calls, 1);
	ASSERT_EQ(f.nserved, 1);
	ASSERT_EQ(f.set.nwaiting, 0);
	teardown(&f);
}

TEST_MAIN(
	TEST_ENTRY(untaken_connection_is_dropped_and_accepting_goes_on),
	TEST_ENTRY(untaken_connections_in_a_row),
	TEST_ENTRY(failed_uv_accept_rearms),
	TEST_ENTRY(failed_uv_accept_after_a_pause_rearms),
	TEST_ENTRY(max_connections_pauses_and_resumes),
)
