/*
 * Worker threads and mailboxes.
 */
#include <stdlib.h>
#include <string.h>

#include "worker.h"

struct tf_task {
	tf_task_fn *fn;
	void *arg;
	STAILQ_ENTRY(tf_task) link;
};

static void
run_tasks(struct tf_mailbox *mb)
{
	struct tf_task_list todo;
	struct tf_task *t;

	STAILQ_INIT(&todo);
	uv_mutex_lock(&mb->lock);
	STAILQ_CONCAT(&todo, &mb->tasks);
	uv_mutex_unlock(&mb->lock);
	while ((t = STAILQ_FIRST(&todo)) != NULL) {
		STAILQ_REMOVE_HEAD(&todo, link);
		t->fn(t->arg);
		free(t);
	}
}

static void
async_cb(uv_async_t *a)
{
	run_tasks(a->data);
}

int
tf_mailbox_init(struct tf_mailbox *mb, uv_loop_t *loop, int weak)
{
	int r;

	STAILQ_INIT(&mb->tasks);
	mb->closed = 0;
	r = uv_mutex_init(&mb->lock);
	if (r != 0)
		return r;
	r = uv_async_init(loop, &mb->async, async_cb);
	if (r != 0) {
		uv_mutex_destroy(&mb->lock);
		return r;
	}
	mb->async.data = mb;
	if (weak)
		uv_unref((uv_handle_t *)&mb->async);
	return 0;
}

void
tf_mailbox_post(struct tf_mailbox *mb, tf_task_fn *fn, void *arg)
{
	struct tf_task *t = tf_xmalloc(sizeof(*t));

	t->fn = fn;
	t->arg = arg;
	uv_mutex_lock(&mb->lock);
	STAILQ_INSERT_TAIL(&mb->tasks, t, link);
	uv_mutex_unlock(&mb->lock);
	uv_async_send(&mb->async);
}

void
tf_mailbox_close(struct tf_mailbox *mb)
{
	if (mb->closed)
		return;
	mb->closed = 1;
	run_tasks(mb);
	uv_close((uv_handle_t *)&mb->async, NULL);
}

void
tf_mailbox_destroy(struct tf_mailbox *mb)
{
	/* A task posted after the close never runs: it is dropped. */
	struct tf_task *t;

	while ((t = STAILQ_FIRST(&mb->tasks)) != NULL) {
		STAILQ_REMOVE_HEAD(&mb->tasks, link);
		free(t);
	}
	uv_mutex_destroy(&mb->lock);
}

int
tf_worker_init(struct tf_worker *w, unsigned id, void *data)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->magic = TF_WORKER_MAGIC;
	w->id = id;
	w->data = data;
	r = uv_loop_init(&w->loop);
	if (r != 0)
		return r;
	r = tf_mailbox_init(&w->mbox, &w->loop, 0);
	if (r != 0)
		uv_loop_close(&w->loop);
	return r;
}

static void
worker_main(void *arg)
{
	struct tf_worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
}

int
tf_worker_run(struct tf_worker *w)
{
	return uv_thread_create(&w->thread, worker_main, w);
}

void
tf_worker_join(struct tf_worker *w)
{
	uv_thread_join(&w->thread);
	TF_ASSERT(uv_loop_close(&w->loop) == 0);
	tf_mailbox_destroy(&w->mbox);
	w->magic = 0;
}

/* One tf_workers_each() in progress. */
struct each {
	void (*each)(void *arg, struct tf_worker *w);
	tf_task_fn *done;
	struct tf_mailbox *control;
	void *arg;
	_Atomic unsigned left;          /* workers still to run each() */
};

struct each_one {
	struct each *e;
	struct tf_worker *w;
};

static void
each_task(void *arg)
{
	struct each_one *one = arg;
	struct each *e = one->e;

	e->each(e->arg, one->w);
	free(one);
	/* acq_rel: what every worker did happens before done() runs. */
	if (atomic_fetch_sub_explicit(&e->left, 1, memory_order_acq_rel) ==
	    1) {
		tf_mailbox_post(e->control, e->done, e->arg);
		free(e);
	}
}

void
tf_workers_each(struct tf_worker *const *ws, unsigned n,
    void (*each)(void *arg, struct tf_worker *w), tf_task_fn *done,
    struct tf_mailbox *control, void *arg)
{
	struct each *e = tf_xmalloc(sizeof(*e));
	unsigned i;

	TF_ASSERT(n > 0);
	e->each = each;
	e->done = done;
	e->control = control;
	e->arg = arg;
	atomic_init(&e->left, n);
	for (i = 0; i < n; i++) {
		struct each_one *one = tf_xmalloc(sizeof(*one));

		one->e = e;
		one->w = ws[i];
		tf_mailbox_post(&ws[i]->mbox, each_task, one);
	}
}
