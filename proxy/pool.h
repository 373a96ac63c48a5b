/*
 * A worker's idle upstream connections, kept for the next request to the
 * same place. A connection is parked under a key of two pointers: the
 * target (struct tf_target's pool_key) and the TLS context that verified
 * it, so a reload with another CA or another upstream never reuses one;
 * keys are compared, never dereferenced. A parked connection is read: the
 * upstream closing it or saying anything ends it, so no client ever reads
 * bytes meant for another. It is closed after idle_ms, before the
 * upstream's own keep-alive timeout would.
 */
#ifndef TF_POOL_H
#define TF_POOL_H

#include <sys/queue.h>

#include <uv.h>

#include "common.h"

struct tf_leg;
struct tf_pool_entry;
struct tf_runtime;

#define TF_POOL_MAGIC 0x9001a11e
#define TF_POOL_BUCKETS 64

TAILQ_HEAD(tf_pool_list, tf_pool_entry);

struct tf_pool {
	unsigned magic;
	uv_loop_t *loop;
	uv_timer_t timer;                /* runs while anything is parked */
	struct tf_pool_list buckets[TF_POOL_BUCKETS]; /* by key; newest first */
	struct tf_pool_list by_age;      /* oldest first */
	unsigned n;                      /* parked now */
	unsigned max;                    /* parked at most */
	uint64_t idle_ms;                /* parked at most this long */
	int closed;                      /* tf_pool_close() ran */
	struct tf_pool_entry *spare;     /* unlinked entries, for reuse: as
	                                    many as were ever parked at once */
};

/* Prepares an empty pool on loop. */
void tf_pool_init(struct tf_pool *p, uv_loop_t *loop, unsigned max,
    uint64_t idle_ms);

/*
 * Parks an idle, open leg (the caller checked tf_leg_idle()) under
 * {target, ctx}, keeping rt (which owns both) alive meanwhile. Returns 0
 * when the pool took it, -1 when it did not (closed, full, out of memory):
 * the leg is still the caller's then.
 */
int tf_pool_put(struct tf_pool *p, struct tf_leg *leg, const void *target,
    const void *ctx, struct tf_runtime *rt);

/* Takes the most recently parked leg under {target, ctx}, or NULL. The
 * leg is the caller's, still reading, with no owner: the caller gives it
 * one before the loop runs again. */
struct tf_leg *tf_pool_take(struct tf_pool *p, const void *target,
    const void *ctx);

/* Closes every parked leg of a generation other than rt (a reload's new
 * connections never take them; without this they would stay open until
 * idle_ms, a set for each reload). */
void tf_pool_retire(struct tf_pool *p, const struct tf_runtime *rt);

/* Closes every parked leg and the timer; nothing is parked after. */
void tf_pool_close(struct tf_pool *p);

#endif
