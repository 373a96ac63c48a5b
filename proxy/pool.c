/*
 * The upstream pool: a small hash of idle legs by key, and a list by age
 * for the idle timer.
 */
#include <stdint.h>
#include <stdlib.h>

#include "leg.h"
#include "pool.h"
#include "runtime.h"

struct tf_pool_entry {
	struct tf_pool *pool;
	struct tf_leg *leg;
	const void *target, *ctx;
	struct tf_runtime *rt;           /* a reference */
	uint64_t parked_at;              /* uv_now */
	unsigned bucket;
	TAILQ_ENTRY(tf_pool_entry) by_key, by_age;
	struct tf_pool_entry *next_spare;
};

static unsigned
bucket_of(const void *target, const void *ctx)
{
	uintptr_t h = (uintptr_t)target * 31 + (uintptr_t)ctx;

	return (unsigned)((h >> 4) ^ (h >> 12)) % TF_POOL_BUCKETS;
}

void
tf_pool_init(struct tf_pool *p, uv_loop_t *loop, unsigned max,
    uint64_t idle_ms)
{
	size_t i;

	p->magic = TF_POOL_MAGIC;
	p->loop = loop;
	p->n = 0;
	p->max = max;
	p->idle_ms = idle_ms;
	p->closed = 0;
	p->spare = NULL;
	for (i = 0; i < TF_POOL_BUCKETS; i++)
		TAILQ_INIT(&p->buckets[i]);
	TAILQ_INIT(&p->by_age);
	TF_ASSERT(uv_timer_init(loop, &p->timer) == 0);
	p->timer.data = p;
}

/* Unlinks an entry and keeps it for the next put (a keep-alive client
 * parks and takes a leg each request: no malloc for it); the leg is
 * returned to the caller. */
static struct tf_leg *
unlink_entry(struct tf_pool_entry *e)
{
	struct tf_pool *p = e->pool;
	struct tf_leg *leg = e->leg;

	TAILQ_REMOVE(&p->buckets[e->bucket], e, by_key);
	TAILQ_REMOVE(&p->by_age, e, by_age);
	p->n--;
	if (p->n == 0)
		uv_timer_stop(&p->timer);
	tf_runtime_unref(e->rt);
	e->next_spare = p->spare;
	p->spare = e;
	tf_leg_set_owner(leg, NULL, NULL);
	return leg;
}

static void
drop(struct tf_pool_entry *e)
{
	tf_leg_destroy(unlink_entry(e));
}

/* Nothing is owed on a parked leg: any byte or the end of it ends it. */
static void
parked_cb(struct tf_leg *leg, enum tf_leg_event ev, void *owner)
{
	drop(owner);
}

static void
timer_cb(uv_timer_t *t)
{
	struct tf_pool *p;
	struct tf_pool_entry *e;
	uint64_t now;

	TF_CAST_OBJ(p, t->data, TF_POOL_MAGIC);
	now = uv_now(p->loop);
	while ((e = TAILQ_FIRST(&p->by_age)) != NULL &&
	    now - e->parked_at >= p->idle_ms)
		drop(e);
}

int
tf_pool_put(struct tf_pool *p, struct tf_leg *leg, const void *target,
    const void *ctx, struct tf_runtime *rt)
{
	struct tf_pool_entry *e;

	if (p->closed || p->n >= p->max)
		return -1;
	if ((e = p->spare) != NULL)
		p->spare = e->next_spare;
	else if ((e = malloc(sizeof(*e))) == NULL)
		return -1;
	e->pool = p;
	e->leg = leg;
	e->target = target;
	e->ctx = ctx;
	e->rt = rt;
	tf_runtime_ref(rt);
	e->parked_at = uv_now(p->loop);
	e->bucket = bucket_of(target, ctx);
	TAILQ_INSERT_HEAD(&p->buckets[e->bucket], e, by_key);
	TAILQ_INSERT_TAIL(&p->by_age, e, by_age);
	if (p->n++ == 0) {
		uint64_t tick = p->idle_ms < 1000 ? p->idle_ms : 1000;

		uv_timer_start(&p->timer, timer_cb, tick, tick);
	}
	tf_leg_set_owner(leg, parked_cb, e);
	tf_leg_want_read(leg, 1);
	if (!leg->reading) {
		unlink_entry(e);
		return -1;
	}
	return 0;
}

struct tf_leg *
tf_pool_take(struct tf_pool *p, const void *target, const void *ctx)
{
	struct tf_pool_entry *e;

	TAILQ_FOREACH(e, &p->buckets[bucket_of(target, ctx)], by_key) {
		if (e->target != target || e->ctx != ctx)
			continue;
		/* Still reading: the taker goes on reading it (stopping and
		 * starting again costs two epoll_ctl calls). */
		return unlink_entry(e);
	}
	return NULL;
}

void
tf_pool_retire(struct tf_pool *p, const struct tf_runtime *rt)
{
	struct tf_pool_entry *e, *next;

	for (e = TAILQ_FIRST(&p->by_age); e != NULL; e = next) {
		next = TAILQ_NEXT(e, by_age);
		if (e->rt != rt)
			drop(e);
	}
}

void
tf_pool_close(struct tf_pool *p)
{
	struct tf_pool_entry *e;

	if (p->closed)
		return;
	p->closed = 1;
	while ((e = TAILQ_FIRST(&p->by_age)) != NULL)
		drop(e);
	while ((e = p->spare) != NULL) {
		p->spare = e->next_spare;
		free(e);
	}
	uv_close((uv_handle_t *)&p->timer, NULL);
}
