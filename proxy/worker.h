/*
 * Worker threads: each owns one libuv loop, its own accepting sockets
 * (SO_REUSEPORT) and the connections it accepted. Workers share only the
 * immutable, reference-counted runtime generations, the counters and the
 * log descriptors. The control thread talks to a worker through one
 * uv_async_t and a mutex-protected mailbox.
 */
#ifndef TF_WORKER_H
#define TF_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "common.h"

struct tf_assign;
struct tf_config;
struct tf_fingerprints;
struct tf_conn;
struct tf_listener_conf;
struct tf_mlistener;
struct tf_runtime;
struct tf_tls_client;
struct tf_tls_server;

#define TF_WORKER_MAGIC 0x3017a5e1

/* Where requests go: the listener's upstream, or one of its routes. */
struct tf_target {
	const char *host;               /* the configuration's */
	uint16_t port;
	char *port_text;                /* for getaddrinfo */
	char *name;                     /* "host:port", for records and logs */
	char *host_header;              /* Host sent upstream */
	const char *sni;                /* SNI sent, name verified */
	char **names;                   /* route: SNI / Host names it takes */
	size_t nnames;
};

/* A listener's runtime objects, built once per generation. */
struct tf_lstn {
	const struct tf_listener_conf *conf;
	struct tf_runtime *rt;          /* the generation it belongs to */
	struct tf_mlistener *m;         /* its counters (across generations) */
	struct tf_tls_server *server;   /* client-facing TLS */
	struct tf_tls_client *client;   /* upstream TLS */
	struct tf_target *targets;      /* [0]: upstream; then the routes */
	size_t ntargets;
};

/*
 * One configuration generation with its runtime objects. Connections hold
 * a reference to the generation they were accepted under; it is freed,
 * configuration included, when the last reference goes.
 */
struct tf_runtime {
	struct tf_config *cfg;          /* owned */
	struct tf_lstn *lstns;
	size_t nlstns;
	struct tf_fingerprints *fp;     /* client_guess catalogue */
	uint64_t generation;
	_Atomic unsigned refs;
};

/* One accepting socket of one worker. */
struct tf_acceptor {
	uv_tcp_t tcp;
	struct tf_worker *w;
	struct tf_lstn *l;
	int fd;
	int paused;                     /* at max-connections: one accepted
	                                   socket waits in libuv, none more */
	struct tf_acceptor *next;
};

struct tf_worker {
	unsigned magic;
	unsigned id;
	uv_loop_t loop;
	uv_async_t wake;                /* the control thread's doorbell */
	uv_thread_t thread;
	struct tf_runtime *rt;          /* the current generation (a ref) */
	struct tf_acceptor *acceptors;
	struct tf_conn *conns;          /* open connections (list) */
	uv_timer_t resume;              /* retries paused acceptors */
	struct tf_side *pool;           /* idle upstream connections */
	unsigned npool;
	uv_timer_t pool_timer;          /* closes the ones idle too long */
	int npaused;
	int stopping;
	uv_timer_t stop_timer;          /* shutdown-timeout */

	/* Mailbox, under lock: a new generation and its sockets, a stop. */
	uv_mutex_t lock;
	struct tf_runtime *next_rt;
	struct tf_assign *next_assign;
	size_t next_nassign;
	int stop_requested;
};

/*
 * Builds the runtime objects (TLS contexts) of a configuration, which it
 * then owns. Errors come back as "FILE:LINE: message". Returns 0 or -1
 * (the configuration is not freed then).
 */
int tf_runtime_new(struct tf_config *cfg, struct tf_runtime **out,
    char *err, size_t errlen);
void tf_runtime_ref(struct tf_runtime *rt);
void tf_runtime_unref(struct tf_runtime *rt);

/*
 * Starts a worker thread that serves rt on the given sockets. Takes over
 * the reference to rt and the assignment array. 0 or a negative UV code.
 */
int tf_worker_start(struct tf_worker *w, unsigned id, struct tf_runtime *rt,
    struct tf_assign *a, size_t n);

/* From the control thread: switch to a new generation (takes over the
 * reference and the array). */
void tf_worker_reload(struct tf_worker *w, struct tf_runtime *rt,
    struct tf_assign *a, size_t n);

/* From the control thread: stop accepting, let requests in flight finish
 * within shutdown_ms, then end the loop. */
void tf_worker_stop(struct tf_worker *w);

/* Waits for a stopped worker's thread and frees what it held. */
void tf_worker_join(struct tf_worker *w);

/* A new conn id, unique across workers. */
uint64_t tf_worker_next_id(void);

#endif
