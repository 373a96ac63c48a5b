/*
 * Listening sockets. The control thread opens one socket per bind and
 * worker (SO_REUSEPORT, so the kernel spreads connections over workers)
 * and keeps a table of them across reloads: a bind whose address did not
 * change keeps its sockets, so no connection waiting in a backlog is lost.
 * Each worker adopts its own socket of every bind and accepts on it.
 */
#ifndef TF_LISTENER_H
#define TF_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

#include <uv.h>

struct tf_config;
struct tf_worker;
struct tf_lstn;

/* One bind's sockets, owned by the control thread's table. */
struct tf_socket {
	struct sockaddr_storage addr;   /* as configured (port 0 stays 0) */
	socklen_t addrlen;
	int *fds;                       /* one per worker; workers close them */
	char *listener;                 /* the listener it was opened for */
	int used;                       /* taken by a bind during a sync */
	int fresh;                      /* opened by the last sync */
	struct tf_socket *next;
};

struct tf_sockets {
	struct tf_socket *head;
	unsigned nworkers;
};

/*
 * Finds or opens the sockets for every bind of cfg, in listener/bind order,
 * matching a bind to an open socket by its address (and, for port 0, by
 * its listener too: a kernel-chosen port is that listener's alone),
 * into (*binds)[k] (a malloc'd array). Sockets that no bind uses any more
 * are unlinked into *dropped (the caller frees them with tf_socket_free
 * once no worker accepts on them). On failure nothing changes (what was
 * opened is closed) and err says "FILE:LINE: bind ADDR: reason".
 * Returns the number of binds, or -1.
 */
int tf_sockets_sync(struct tf_sockets *s, const struct tf_config *cfg,
    struct tf_socket ***binds, struct tf_socket **dropped, char *err,
    size_t errlen);

/* Frees a dropped socket's record (not its fds, the workers' to close). */
void tf_socket_free(struct tf_socket *s);

/* Logs "listener NAME: listening on ADDR:PORT" for bind k. */
void tf_listener_announce(const char *name, const struct tf_socket *s);

/* One socket for a worker to accept on, and the listener it serves. */
struct tf_assign {
	int fd;
	struct tf_lstn *l;
};

/*
 * In the worker: accept on exactly the given sockets from now on. Kept
 * sockets take the new listener objects, new ones start listening,
 * sockets not listed are closed. 0 or a UV code.
 */
int tf_listener_apply(struct tf_worker *w, const struct tf_assign *a,
    size_t n);

/* A connection of listener l ended: resumes paused acceptors that are
 * below max-connections again. */
void tf_listener_conn_gone(struct tf_worker *w, struct tf_lstn *l);

/* Stops accepting (closes the worker's listening handles). */
void tf_listener_stop(struct tf_worker *w);

#endif
