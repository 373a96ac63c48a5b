/*
 * Worker threads: each owns one libuv loop, its own accepting sockets
 * (SO_REUSEPORT) and the connections it accepted. Workers share only the
 * immutable runtime generation and the log descriptors.
 */
#ifndef TF_WORKER_H
#define TF_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "common.h"

struct tf_config;
struct tf_listener_conf;
struct tf_conn;
struct tf_tls_server;
struct tf_tls_client;

#define TF_WORKER_MAGIC 0x3017a5e1

/* A listener's runtime objects, built once per generation. */
struct tf_lstn {
	const struct tf_listener_conf *conf;
	struct tf_tls_server *server;   /* client-facing TLS */
	struct tf_tls_client *client;   /* upstream TLS */
	char *upstream_port;            /* the port as text, for getaddrinfo */
	char *upstream_name;            /* "host:port", for records and logs */
	char *host_header;              /* Host sent upstream */
	const char *sni;                /* SNI sent upstream */
	const char *verify_name;        /* name verified in its certificate */
	_Atomic unsigned nconns;        /* open connections, all workers */
};

/* One configuration generation with its runtime objects. */
struct tf_runtime {
	struct tf_config *cfg;
	struct tf_lstn *lstns;
	size_t nlstns;
};

/* One accepting socket of one worker. */
struct tf_acceptor {
	uv_tcp_t tcp;
	struct tf_worker *w;
	struct tf_lstn *l;
	int paused;                     /* at max-connections: one accepted
	                                   socket waits in libuv, none more */
};

struct tf_worker {
	unsigned magic;
	unsigned id;
	uv_loop_t loop;
	uv_async_t wake;                /* stop requests from the control loop */
	uv_thread_t thread;
	struct tf_runtime *rt;
	struct tf_acceptor *acceptors;
	size_t nacceptors;
	int *fds;                       /* listening sockets to adopt */
	struct tf_conn *conns;          /* open connections (list) */
	uv_timer_t resume;              /* retries paused acceptors */
	int npaused;
	int stopping;
	char scratch[65536];            /* read buffer for alloc callbacks */
};

/*
 * Builds the runtime objects (TLS contexts) of a configuration. Errors
 * come back as "FILE:LINE: message". Returns 0 or -1.
 */
int tf_runtime_new(struct tf_config *cfg, struct tf_runtime **out,
    char *err, size_t errlen);
void tf_runtime_free(struct tf_runtime *rt);

/*
 * Starts a worker thread over listening sockets fds (one per acceptor, in
 * listener/bind order). Returns 0 or a negative UV code.
 */
int tf_worker_start(struct tf_worker *w, unsigned id, struct tf_runtime *rt,
    int *fds, size_t nfds);

/* Asks a worker to stop (from another thread) and waits for it. */
void tf_worker_stop(struct tf_worker *w);

/* A new conn id, unique across workers. */
uint64_t tf_worker_next_id(void);

#endif
