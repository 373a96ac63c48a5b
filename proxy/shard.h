/*
 * What one worker serves: its acceptors, its connections and its pool of
 * upstream connections, all on the worker's loop, under the configuration
 * generation it was last given. The control thread starts a shard, gives
 * it new generations and stops it, only through the worker's mailbox.
 */
#ifndef TF_SHARD_H
#define TF_SHARD_H

#include <uv.h>

#include "acceptor.h"
#include "conn.h"
#include "mcache.h"
#include "pool.h"
#include "worker.h"

struct tf_runtime;

#define TF_SHARD_MAGIC 0x5a4dc0de

struct tf_shard {
	unsigned magic;
	struct tf_worker w;
	struct tf_runtime *rt;          /* the generation it accepts under */
	struct tf_acceptors acc;
	struct tf_conns conns;
	struct tf_pool pool;
	struct tf_mcache cache;         /* buffers and HTTP workspaces */
	uv_timer_t stop_timer;          /* shutdown-timeout */
	uv_prepare_t flush;             /* writes the records of a loop turn */
	int stopping;
};

/*
 * Starts worker id serving rt (a reference the shard takes over) on the
 * sockets a[0..n) (used before this returns). 0 or a UV code.
 */
int tf_shard_start(struct tf_shard *s, unsigned id, struct tf_runtime *rt,
    const struct tf_assign *a, size_t n);

/*
 * On the shard's worker: serve rt (a reference the shard takes over) on
 * the sockets a[0..n) from now on; connections in flight keep theirs.
 */
void tf_shard_adopt(struct tf_shard *s, struct tf_runtime *rt,
    const struct tf_assign *a, size_t n);

/*
 * From the control thread: stop accepting, let requests in flight finish
 * within shutdown-timeout, then end the worker's loop.
 */
void tf_shard_stop(struct tf_shard *s);

/* Waits for a stopped shard's worker and frees what it held. */
void tf_shard_join(struct tf_shard *s);

#endif
