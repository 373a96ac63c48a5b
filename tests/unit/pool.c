/*
 * Unit tests for proxy/pool.c over in-memory legs (memworld.h): keys of
 * two pointers, newest first, the bound, a parked leg dropped when its
 * peer says anything or goes, the idle timer, closing, the generation
 * kept alive while a leg is parked, and the legs of old generations
 * closed after a reload.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "memworld.h"

/* An open memory leg to nobody in particular. */
static struct tf_leg *
idle_leg(struct mw_world *w, struct mw_link **kp)
{
	struct tf_leg *leg = tf_leg_new(&w->cache, NULL, NULL);
	struct mw_link *k;

	k = mw_link_new(w, leg);
	if (kp != NULL)
		*kp = k;
	return leg;
}

TEST(keys_are_two_pointers)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_pool p;
	int t0, t1, ctx0, ctx1;         /* any distinct addresses */
	struct tf_leg *a = idle_leg(w, NULL), *b = idle_leg(w, NULL);
	struct tf_leg *c = idle_leg(w, NULL);

	tf_pool_init(&p, &w->loop, 8, 30000);
	ASSERT_OK(tf_pool_put(&p, a, &t0, &ctx0, w->rt));
	ASSERT_OK(tf_pool_put(&p, b, &t0, &ctx0, w->rt));
	ASSERT_OK(tf_pool_put(&p, c, &t1, &ctx0, w->rt));
	ASSERT_EQ(p.n, 3);
	ASSERT(tf_pool_take(&p, &t0, &ctx1) == NULL);
	ASSERT(tf_pool_take(&p, &t1, &ctx1) == NULL);
	/* Newest first: the warmest connection. */
	ASSERT(tf_pool_take(&p, &t0, &ctx0) == b);
	ASSERT(tf_pool_take(&p, &t0, &ctx0) == a);
	ASSERT(tf_pool_take(&p, &t0, &ctx0) == NULL);
	ASSERT(tf_pool_take(&p, &t1, &ctx0) == c);
	ASSERT_EQ(p.n, 0);
	/* Taken legs are the caller's, unowned and still reading. */
	ASSERT(a->cb == NULL && a->reading);
	tf_leg_destroy(a);
	tf_leg_destroy(b);
	tf_leg_destroy(c);
	tf_pool_close(&p);
	mw_world_free(w);
}

TEST(bounded)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_pool p;
	int t, ctx;
	struct tf_leg *legs[3];
	size_t i;

	tf_pool_init(&p, &w->loop, 2, 30000);
	for (i = 0; i < 3; i++)
		legs[i] = idle_leg(w, NULL);
	ASSERT_OK(tf_pool_put(&p, legs[0], &t, &ctx, w->rt));
	ASSERT_OK(tf_pool_put(&p, legs[1], &t, &ctx, w->rt));
	ASSERT_EQ(tf_pool_put(&p, legs[2], &t, &ctx, w->rt), -1);
	ASSERT_EQ(p.n, 2);
	tf_leg_destroy(legs[2]);        /* still the caller's */
	tf_pool_close(&p);
	ASSERT_EQ(p.n, 0);
	ASSERT_EQ(tf_pool_put(&p, idle_leg(w, NULL), &t, &ctx, w->rt), -1);
	tf_leg_destroy(w->links[w->nlinks - 1]->leg);
	mw_world_free(w);
}

/* Nothing is owed on a parked leg: a byte from its peer, or its end,
 * ends it; no client ever reads bytes meant for another. */
TEST(parked_leg_dropped_when_its_peer_speaks_or_goes)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_pool p;
	struct mw_link *k1, *k2;
	int t, ctx;

	tf_pool_init(&p, &w->loop, 8, 30000);
	ASSERT_OK(tf_pool_put(&p, idle_leg(w, &k1), &t, &ctx, w->rt));
	ASSERT_OK(tf_pool_put(&p, idle_leg(w, &k2), &t, &ctx, w->rt));
	ASSERT(k1->reading && k2->reading);
	ASSERT_OK(tf_buf_append(&k1->peer.out, "HTTP/1.1 200 late\r\n", 19));
	mw_settle(w);
	ASSERT_EQ(p.n, 1);
	ASSERT(k1->transport_closed);
	k2->peer.closed = 1;
	mw_settle(w);
	ASSERT_EQ(p.n, 0);
	ASSERT(k2->transport_closed);
	ASSERT(tf_pool_take(&p, &t, &ctx) == NULL);
	tf_pool_close(&p);
	mw_world_free(w);
}

TEST(idle_ones_are_closed)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_pool p;
	struct mw_link *k;
	int t, ctx, i;

	tf_pool_init(&p, &w->loop, 8, 30);
	ASSERT_OK(tf_pool_put(&p, idle_leg(w, &k), &t, &ctx, w->rt));
	for (i = 0; i < 400 && p.n > 0; i++) {
		usleep(5000);
		uv_run(&w->loop, UV_RUN_NOWAIT);
	}
	ASSERT_EQ(p.n, 0);
	mw_settle(w);
	ASSERT(k->transport_closed);
	/* The timer stops with nothing parked: the loop can end. */
	ASSERT(!uv_is_active((uv_handle_t *)&p.timer));
	tf_pool_close(&p);
	mw_world_free(w);
}

TEST(parked_legs_keep_their_generation)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_pool p;
	unsigned refs = atomic_load(&w->rt->refs);
	struct tf_leg *leg = idle_leg(w, NULL);
	int t, ctx;

	tf_pool_init(&p, &w->loop, 8, 30000);
	ASSERT_OK(tf_pool_put(&p, leg, &t, &ctx, w->rt));
	ASSERT_EQ(atomic_load(&w->rt->refs), refs + 1);
	ASSERT(tf_pool_take(&p, &t, &ctx) == leg);
	ASSERT_EQ(atomic_load(&w->rt->refs), refs);
	ASSERT_OK(tf_pool_put(&p, leg, &t, &ctx, w->rt));
	tf_pool_close(&p);
	ASSERT_EQ(atomic_load(&w->rt->refs), refs);
	mw_world_free(w);
}

TEST(retire_closes_the_legs_of_other_generations)
{
	struct mw_world *w = mw_world_new(NULL);
	struct tf_runtime *rt2;
	struct tf_pool p;
	struct mw_link *k_old, *k_new;
	unsigned refs = atomic_load(&w->rt->refs);
	struct tf_config *cfg2;
	char path[128], err[1024];
	int t_old, t_new, ctx;

	/* The next generation, from the same file (it owns its config). */
	snprintf(path, sizeof(path), "%s/test.conf", w->dir);
	cfg2 = tf_config_load(path, err, sizeof(err));
	ASSERT(cfg2 != NULL);
	ASSERT_OK(tf_runtime_new(cfg2, NULL, &rt2, err, sizeof(err)));
	tf_pool_init(&p, &w->loop, 8, 30000);
	ASSERT_OK(tf_pool_put(&p, idle_leg(w, &k_old), &t_old, &ctx, w->rt));
	ASSERT_OK(tf_pool_put(&p, idle_leg(w, &k_new), &t_new, &ctx, rt2));
	tf_pool_retire(&p, rt2);
	ASSERT_EQ(p.n, 1);
	mw_settle(w);
	ASSERT(k_old->transport_closed);
	ASSERT(!k_new->closing);
	ASSERT_EQ(atomic_load(&w->rt->refs), refs);
	ASSERT(tf_pool_take(&p, &t_old, &ctx) == NULL);
	ASSERT(tf_pool_take(&p, &t_new, &ctx) == k_new->leg);
	tf_leg_destroy(k_new->leg);
	tf_pool_close(&p);
	tf_runtime_unref(rt2);
	mw_world_free(w);
}

TEST_MAIN(
	TEST_ENTRY(keys_are_two_pointers),
	TEST_ENTRY(bounded),
	TEST_ENTRY(parked_leg_dropped_when_its_peer_speaks_or_goes),
	TEST_ENTRY(idle_ones_are_closed),
	TEST_ENTRY(parked_legs_keep_their_generation),
	TEST_ENTRY(retire_closes_the_legs_of_other_generations),
)
