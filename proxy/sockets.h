/*
 * Listening sockets, on the control thread. It opens one socket per bind
 * and worker (SO_REUSEPORT, so the kernel spreads connections over
 * workers) and keeps a table of them across reloads: a bind whose address
 * did not change keeps its sockets, so no connection waiting in a backlog
 * is lost. Each worker's acceptors (acceptor.h) take their own socket of
 * every bind and close it when a reload drops it.
 */
#ifndef TF_SOCKETS_H
#define TF_SOCKETS_H

#include <stddef.h>
#include <sys/socket.h>

struct tf_config;

/* One bind's sockets, owned by the control thread's table. */
struct tf_socket {
	struct sockaddr_storage addr;   /* as configured (port 0 stays 0) */
	struct sockaddr_storage bound;  /* as bound: the kernel's port */
	socklen_t addrlen;
	int *fds;                       /* one per worker; workers close them */
	char *listener;                 /* the listener it was opened for */
	int used;                       /* taken by a bind during a sync */
	int fresh;                      /* opened by the last sync */
	struct tf_socket *next;
};

/* The listen(2) backlog of every socket. */
#define TF_SOCKETS_BACKLOG 511

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

/* Logs "listener NAME: listening on ADDR:PORT" for a socket. */
void tf_socket_announce(const char *name, const struct tf_socket *s);

#endif
