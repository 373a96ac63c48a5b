/*
 * A worker's share of the gateway.
 */
#include <string.h>

#include "config.h"
#include "log.h"
#include "runtime.h"
#include "shard.h"

#define POOL_MAX 256
#define POOL_IDLE_MS 30000
/* Bytes of free blocks kept per block size: a few dozen 32 KiB record
 * buffers, a dozen HTTP workspaces at the default max-header-size. */
#define CACHE_KEEP (4u << 20)

static void
stop_timer_cb(uv_timer_t *t)
{
	struct tf_shard *s;

	TF_CAST_OBJ(s, t->data, TF_SHARD_MAGIC);
	if (s->conns.n > 0)
		tf_log_notice("worker %u: shutdown-timeout: closing the "
		    "connections left", s->w.id);
	tf_conns_close_all(&s->conns, "shutdown-timeout");
	uv_close((uv_handle_t *)&s->stop_timer, NULL);
}

static void
conn_gone_cb(struct tf_conns *set, struct tf_lstn *l)
{
	struct tf_shard *s;

	TF_CAST_OBJ(s, set->data, TF_SHARD_MAGIC);
	tf_acceptors_conn_gone(&s->acc);
	if (s->stopping && s->conns.n == 0 &&
	    !uv_is_closing((uv_handle_t *)&s->stop_timer))
		uv_close((uv_handle_t *)&s->stop_timer, NULL);
}

/* Before the loop waits for I/O: the records of this turn, in one write
 * per log. */
static void
flush_cb(uv_prepare_t *p)
{
	tf_log_flush();
}

/* On the worker's thread, first thing: its records go in batches. */
static void
batch_task(void *arg)
{
	if (tf_log_batch() != 0)
		tf_log_warn("worker: out of memory: records written one by one");
}

int
tf_shard_start(struct tf_shard *s, unsigned id, struct tf_runtime *rt,
    const struct tf_assign *a, size_t n)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->magic = TF_SHARD_MAGIC;
	s->rt = rt;
	r = tf_worker_init(&s->w, id, s);
	if (r != 0)
		return r;
	tf_mcache_init(&s->cache, CACHE_KEEP);
	tf_pool_init(&s->pool, &s->w.loop, POOL_MAX, POOL_IDLE_MS);
	tf_conns_init(&s->conns, &s->w.loop, &s->cache, &s->pool);
	s->conns.gone_cb = conn_gone_cb;
	s->conns.data = s;
	tf_acceptors_init(&s->acc, &s->w.loop, id, tf_conn_accept,
	    &s->conns);
	TF_ASSERT(uv_timer_init(&s->w.loop, &s->stop_timer) == 0);
	s->stop_timer.data = s;
	TF_ASSERT(uv_prepare_init(&s->w.loop, &s->flush) == 0);
	uv_prepare_start(&s->flush, flush_cb);
	uv_unref((uv_handle_t *)&s->flush);  /* the loop ends without it */
	tf_mailbox_post(&s->w.mbox, batch_task, s);
	r = tf_acceptors_apply(&s->acc, a, n);
	if (r != 0)
		return r;
	return tf_worker_run(&s->w);
}

void
tf_shard_adopt(struct tf_shard *s, struct tf_runtime *rt,
    const struct tf_assign *a, size_t n)
{
	struct tf_runtime *old = s->rt;

	TF_CHECK_OBJ(s, TF_SHARD_MAGIC);
	s->rt = rt;
	if (!s->stopping)
		tf_acceptors_apply(&s->acc, a, n);
	/* Connections of the old generation still park their legs, for
	 * their own next request; what is parked now only they could take. */
	tf_pool_retire(&s->pool, rt);
	tf_runtime_unref(old);
}

static void
stop_task(void *arg)
{
	struct tf_shard *s;

	TF_CAST_OBJ(s, arg, TF_SHARD_MAGIC);
	if (s->stopping)
		return;
	s->stopping = 1;
	tf_acceptors_stop(&s->acc);
	tf_pool_close(&s->pool);
	tf_conns_stop(&s->conns);
	tf_mailbox_close(&s->w.mbox);
	/* What is left is written when the thread ends. */
	uv_close((uv_handle_t *)&s->flush, NULL);
	if (s->conns.n == 0)
		uv_close((uv_handle_t *)&s->stop_timer, NULL);
	else
		uv_timer_start(&s->stop_timer, stop_timer_cb,
		    s->rt->cfg->shutdown_timeout_ms, 0);
}

void
tf_shard_stop(struct tf_shard *s)
{
	tf_mailbox_post(&s->w.mbox, stop_task, s);
}

void
tf_shard_join(struct tf_shard *s)
{
	tf_worker_join(&s->w);
	tf_mcache_drain(&s->cache);
	tf_runtime_unref(s->rt);
	s->magic = 0;
}
