/*
 * The admin server: GET /metrics (the Prometheus text metrics.c renders)
 * and GET /healthz over plain HTTP/1.1 on the `metrics` address, one
 * request per connection, on the control loop. Each server is an object
 * of its own, so that a reload can open the new one while the old one
 * still serves, and close the old one only once the reload commits.
 */
#ifndef TF_ADMIN_H
#define TF_ADMIN_H

#include <sys/socket.h>

#include <uv.h>

#include "common.h"

struct tf_admin;

/*
 * Binds addr, listens and serves on loop until tf_admin_close(); servers
 * already open are not touched. Returns 0 with *out set, or the negative
 * UV code of the failed step with *out untouched (nothing is left open;
 * memory goes when the loop runs). Control thread only.
 */
int tf_admin_open(uv_loop_t *loop, const struct sockaddr *addr,
    struct tf_admin **out) TF_WARN_UNUSED;

/* The port the server bound, host order (the kernel's pick for port 0). */
int tf_admin_port(const struct tf_admin *a);

/*
 * Closes the listening socket and every connection of the server; its
 * memory goes in the close callbacks, so the loop must run once more.
 * The pointer is invalid after the call. Does nothing for NULL.
 */
void tf_admin_close(struct tf_admin *a);

#endif
