/*
 * Opening an upstream connection: resolve the target, connect to each
 * address in turn, for an SMTP target the plaintext dialogue up to
 * STARTTLS, then the TLS 1.2+ handshake with the chain and the host name
 * verified, all within one timeout. The result is a ready leg,
 * handed to a callback. An opening is an object of its own: its owner may
 * cancel it at any time (a client that goes away), after which nothing is
 * called back and it frees itself once its requests and handles are done.
 */
#ifndef TF_UPSTREAM_H
#define TF_UPSTREAM_H

#include <stdint.h>

#include <uv.h>

#include "common.h"

struct tf_leg;
struct tf_mcache;
struct tf_target;
struct tf_tls_client;
struct tf_upstream;

/*
 * Called once per opening unless it was cancelled, never from inside the
 * function that started it. On success leg is a leg with TLS established
 * and verified, still reading, now the callee's (give it an owner before
 * returning), and reason is -1; on
 * failure leg is NULL, reason a TF_M_UP_* value and why a text for the
 * error log.
 */
typedef void tf_upstream_cb(void *arg, struct tf_leg *leg, int reason,
    const char *why);

/*
 * Opens a connection to t verified by ctx (both must outlive the opening)
 * within timeout_ms; its leg borrows buffers from cache. Never fails at
 * once: a failure to start is called back like any other.
 */
struct tf_upstream *tf_upstream_open(uv_loop_t *loop,
    struct tf_mcache *cache, const struct tf_target *t,
    struct tf_tls_client *ctx, uint64_t timeout_ms, tf_upstream_cb *cb,
    void *arg);

/*
 * The same over an already connected, open leg, which the opening takes
 * (tests connect legs through memory).
 */
struct tf_upstream *tf_upstream_over(uv_loop_t *loop, struct tf_leg *leg,
    const struct tf_target *t, struct tf_tls_client *ctx,
    uint64_t timeout_ms, tf_upstream_cb *cb, void *arg);

/* How connections get their upstream legs: tf_upstream_open, or a test's. */
typedef struct tf_upstream *tf_upstream_open_fn(uv_loop_t *loop,
    struct tf_mcache *cache, const struct tf_target *t,
    struct tf_tls_client *ctx, uint64_t timeout_ms, tf_upstream_cb *cb,
    void *arg);

/* Abandons an opening: no callback after this. */
void tf_upstream_cancel(struct tf_upstream *u);

#endif
