/*
 * Unit tests for proxy/worker.c: mailboxes run what is posted, in order,
 * on their own loop's thread; tf_workers_each() calls done on the control
 * loop only once every worker has run its part. The reload relies on that
 * last one: it logs "reloaded: generation N" (and sets the generation
 * gauge) from done, so that the log never runs ahead of the workers.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "test.h"
#include "worker.h"

#define NWORKERS 2

struct control {
	uv_loop_t loop;
	struct tf_mailbox mbox;
	struct tf_worker workers[NWORKERS];
	struct tf_worker *ws[NWORKERS];
	_Atomic int each_done[NWORKERS];
	uv_thread_t each_thread[NWORKERS];
	int done_calls;
	int done_saw_all;
	uv_thread_t done_thread;
};

static void
quit_task(void *arg)
{
	tf_mailbox_close(&((struct tf_worker *)arg)->mbox);
}

static void
start(struct control *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	ASSERT_OK(uv_loop_init(&c->loop));
	ASSERT_OK(tf_mailbox_init(&c->mbox, &c->loop, 0));
	for (i = 0; i < NWORKERS; i++) {
		ASSERT_OK(tf_worker_init(&c->workers[i], (unsigned)i, c));
		c->ws[i] = &c->workers[i];
		ASSERT_OK(tf_worker_run(&c->workers[i]));
	}
}

static void
stop(struct control *c)
{
	int i;

	for (i = 0; i < NWORKERS; i++) {
		tf_mailbox_post(&c->workers[i].mbox, quit_task,
		    &c->workers[i]);
		tf_worker_join(&c->workers[i]);
	}
	tf_mailbox_close(&c->mbox);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	tf_mailbox_destroy(&c->mbox);
	ASSERT_OK(uv_loop_close(&c->loop));
}

/* Worker 0 is slow: done must still wait for it. */
static void
each_fn(void *arg, struct tf_worker *w)
{
	struct control *c = arg;

	c->each_thread[w->id] = uv_thread_self();
	if (w->id == 0)
		usleep(300 * 1000);
	atomic_store(&c->each_done[w->id], 1);
}

static void
done_fn(void *arg)
{
	struct control *c = arg;
	int i;

	c->done_calls++;
	c->done_thread = uv_thread_self();
	c->done_saw_all = 1;
	for (i = 0; i < NWORKERS; i++)
		if (!atomic_load(&c->each_done[i]))
			c->done_saw_all = 0;
	uv_stop(&c->loop);
}

TEST(each_then_done_after_every_worker)
{
	struct control c;
	uv_thread_t self = uv_thread_self();
	int i;

	start(&c);
	tf_workers_each(c.ws, NWORKERS, each_fn, done_fn, &c.mbox, &c);
	/* done comes from the control loop, never from here. */
	ASSERT_EQ(c.done_calls, 0);
	uv_run(&c.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(c.done_calls, 1);
	ASSERT(c.done_saw_all);
	ASSERT(uv_thread_equal(&c.done_thread, &self));
	for (i = 0; i < NWORKERS; i++) {
		ASSERT(uv_thread_equal(&c.each_thread[i],
		    &c.workers[i].thread));
		ASSERT(!uv_thread_equal(&c.each_thread[i], &self));
	}
	stop(&c);
}

#define NPOSTS 2000

struct order {
	uv_loop_t loop;
	struct tf_mailbox mbox;
	int seen[2];                    /* next expected number per poster */
	int bad;
	int total;
};

struct post {
	struct order *o;
	int poster, n;
};

static void
record_task(void *arg)
{
	struct post *p = arg;

	if (p->n != p->o->seen[p->poster])
		p->o->bad++;
	p->o->seen[p->poster] = p->n + 1;
	if (++p->o->total == 2 * NPOSTS)
		tf_mailbox_close(&p->o->mbox);
	free(p);
}

static void
poster(void *arg)
{
	struct order *o = ((struct post *)arg)->o;
	int who = ((struct post *)arg)->poster, i;

	free(arg);
	for (i = 0; i < NPOSTS; i++) {
		struct post *p = malloc(sizeof(*p));

		ASSERT(p != NULL);
		p->o = o;
		p->poster = who;
		p->n = i;
		tf_mailbox_post(&o->mbox, record_task, p);
	}
}

/* Two threads post at once: all of it runs, each thread's in order. */
TEST(mailbox_runs_everything_in_order)
{
	struct order o;
	uv_thread_t t[2];
	int i;

	memset(&o, 0, sizeof(o));
	ASSERT_OK(uv_loop_init(&o.loop));
	ASSERT_OK(tf_mailbox_init(&o.mbox, &o.loop, 0));
	for (i = 0; i < 2; i++) {
		struct post *p = malloc(sizeof(*p));

		ASSERT(p != NULL);
		p->o = &o;
		p->poster = i;
		ASSERT_OK(uv_thread_create(&t[i], poster, p));
	}
	uv_run(&o.loop, UV_RUN_DEFAULT);        /* ends at the close */
	for (i = 0; i < 2; i++)
		ASSERT_OK(uv_thread_join(&t[i]));
	ASSERT_EQ(o.total, 2 * NPOSTS);
	ASSERT_EQ(o.bad, 0);
	tf_mailbox_destroy(&o.mbox);
	ASSERT_OK(uv_loop_close(&o.loop));
}

static void
count_task(void *arg)
{
	(*(int *)arg)++;
}

/* A weak mailbox does not keep its loop running; closing one runs what
 * was posted before. */
TEST(weak_mailbox_and_close)
{
	uv_loop_t loop;
	struct tf_mailbox mb;
	int n = 0;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(tf_mailbox_init(&mb, &loop, 1));
	ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	tf_mailbox_post(&mb, count_task, &n);
	tf_mailbox_post(&mb, count_task, &n);
	tf_mailbox_close(&mb);
	ASSERT_EQ(n, 2);
	uv_run(&loop, UV_RUN_DEFAULT);
	tf_mailbox_destroy(&mb);
	ASSERT_OK(uv_loop_close(&loop));
}

TEST_MAIN(
	TEST_ENTRY(each_then_done_after_every_worker),
	TEST_ENTRY(mailbox_runs_everything_in_order),
	TEST_ENTRY(weak_mailbox_and_close),
)
