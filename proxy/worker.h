/*
 * Threads with a libuv loop each, and mailboxes: the only way one thread
 * asks another for something. A mailbox runs functions posted from any
 * thread on its loop, in the order they were posted. The control thread
 * has one; every worker has one. What a worker serves is not this
 * module's business (shard.h).
 */
#ifndef TF_WORKER_H
#define TF_WORKER_H

#include <stdatomic.h>
#include <sys/queue.h>

#include <uv.h>

#include "common.h"

#define TF_WORKER_MAGIC 0x3017a5e1

typedef void tf_task_fn(void *arg);

struct tf_task;
STAILQ_HEAD(tf_task_list, tf_task);

struct tf_mailbox {
	uv_async_t async;
	uv_mutex_t lock;
	struct tf_task_list tasks;      /* under lock */
	int closed;                     /* no more tasks run */
};

/*
 * Sets up a mailbox on loop (from the thread that runs loop, or before it
 * runs). 0 or a UV code. A mailbox keeps its loop alive until closed,
 * unless weak, for a loop that should end when nothing else is left.
 */
int tf_mailbox_init(struct tf_mailbox *mb, uv_loop_t *loop, int weak);

/* Any thread: fn(arg) will run on the mailbox's loop. */
void tf_mailbox_post(struct tf_mailbox *mb, tf_task_fn *fn, void *arg);

/*
 * On the mailbox's loop: closes it; tasks posted and not yet run are run
 * first, none after. Call tf_mailbox_destroy() once its loop has ended.
 */
void tf_mailbox_close(struct tf_mailbox *mb);
void tf_mailbox_destroy(struct tf_mailbox *mb);

struct tf_worker {
	unsigned magic;
	unsigned id;                    /* 0 .. workers - 1 */
	uv_loop_t loop;
	uv_thread_t thread;
	struct tf_mailbox mbox;
	void *data;                     /* the owner's */
};

/*
 * Sets up worker id's loop and mailbox, without a thread yet: the owner
 * puts its handles on w->loop, then calls tf_worker_run(). 0 or a UV code.
 */
int tf_worker_init(struct tf_worker *w, unsigned id, void *data);

/* Runs the loop on a new thread until nothing is left on it (the mailbox
 * closed included). 0 or a UV code. */
int tf_worker_run(struct tf_worker *w);

/* Waits for the thread to end and frees the loop. */
void tf_worker_join(struct tf_worker *w);

/*
 * Runs each(arg, w) on every one of the n workers ws[i] (each on its own
 * thread), then, once every one has returned, done(arg) on the control
 * mailbox. The workers' mailboxes must be open.
 */
void tf_workers_each(struct tf_worker *const *ws, unsigned n,
    void (*each)(void *arg, struct tf_worker *w), tf_task_fn *done,
    struct tf_mailbox *control, void *arg);

#endif
