/*
 * Listening sockets. The control thread opens one socket per bind and
 * worker (SO_REUSEPORT, so the kernel spreads connections over workers);
 * each worker adopts its own and accepts on it.
 */
#ifndef TF_LISTENER_H
#define TF_LISTENER_H

#include <stddef.h>

struct tf_config;
struct tf_worker;
struct tf_lstn;

/*
 * Opens nworkers listening sockets for every bind of every listener, in
 * listener/bind order, worker-major within a bind: fds[(b * nworkers) + w].
 * A bind with port 0 gets its port from the kernel once, and every worker
 * binds that port. Errors say "FILE:LINE: bind ADDR: reason". Returns the
 * number of binds, or -1.
 */
int tf_listener_open(const struct tf_config *cfg, unsigned nworkers,
    int **fds, char *err, size_t errlen);

/* Logs "listener NAME: listening on ADDR:PORT" for every bind. */
void tf_listener_announce(const struct tf_config *cfg, const int *fds,
    unsigned nworkers);

/* Starts accepting on the worker's adopted sockets. 0 or a UV code. */
int tf_listener_start(struct tf_worker *w);

/* A connection of listener l ended: resumes paused acceptors that are
 * below max-connections again. */
void tf_listener_conn_gone(struct tf_worker *w, struct tf_lstn *l);

/* Stops accepting (closes the worker's listening handles). */
void tf_listener_stop(struct tf_worker *w);

#endif
