#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "worker.h"

#define BACKLOG 511

static int
open_one(const struct sockaddr *sa, socklen_t len, int *fd_out)
{
	int fd, on = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
	    (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(fd, sa, len) != 0 || listen(fd, BACKLOG) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	*fd_out = fd;
	return 0;
}

int
tf_listener_open(const struct tf_config *cfg, unsigned nworkers, int **fds,
    char *err, size_t errlen)
{
	size_t i, j, nbinds = 0, k = 0;
	unsigned w;
	int *out;

	for (i = 0; i < cfg->nlisteners; i++)
		nbinds += cfg->listeners[i].nbinds;
	out = tf_xcalloc(nbinds * nworkers, sizeof(*out));
	for (i = 0; i < nbinds * nworkers; i++)
		out[i] = -1;
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct tf_listener_conf *lc = &cfg->listeners[i];

		for (j = 0; j < lc->nbinds; j++, k++) {
			const struct tf_bind_conf *b = &lc->binds[j];
			struct sockaddr_storage ss = b->addr;
			socklen_t len = b->addrlen;

			for (w = 0; w < nworkers; w++) {
				int r = open_one((struct sockaddr *)&ss, len,
				    &out[k * nworkers + w]);

				if (r != 0) {
					snprintf(err, errlen, "%s:%d: bind %s: "
					    "%s", b->where.file, b->where.line,
					    b->text, strerror(-r));
					goto fail;
				}
				/* Port 0: every worker takes the first's. */
				if (w == 0)
					getsockname(out[k * nworkers],
					    (struct sockaddr *)&ss, &len);
			}
		}
	}
	*fds = out;
	return (int)nbinds;
fail:
	for (i = 0; i < nbinds * nworkers; i++)
		if (out[i] >= 0)
			close(out[i]);
	free(out);
	return -1;
}

void
tf_listener_announce(const struct tf_config *cfg, const int *fds,
    unsigned nworkers)
{
	size_t i, j, k = 0;

	for (i = 0; i < cfg->nlisteners; i++) {
		const struct tf_listener_conf *lc = &cfg->listeners[i];

		for (j = 0; j < lc->nbinds; j++, k++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			char ip[64];
			uint16_t port = 0;

			if (getsockname(fds[k * nworkers],
			    (struct sockaddr *)&ss, &len) != 0)
				continue;
			tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip),
			    &port);
			tf_log_notice(ss.ss_family == AF_INET6 ?
			    "listener %s: listening on [%s]:%u" :
			    "listener %s: listening on %s:%u", lc->name, ip,
			    port);
		}
	}
}

static void
connection_cb(uv_stream_t *server, int status)
{
	struct tf_acceptor *a = server->data;

	if (status < 0) {
		tf_log_warn("accept: %s", uv_strerror(status));
		return;
	}
	tf_conn_accept(a->w, a->l, server);
}

int
tf_listener_start(struct tf_worker *w)
{
	size_t i;
	int r;

	for (i = 0; i < w->nacceptors; i++) {
		struct tf_acceptor *a = &w->acceptors[i];

		a->tcp.data = a;
		r = uv_tcp_init(&w->loop, &a->tcp);
		if (r == 0)
			r = uv_tcp_open(&a->tcp, w->fds[i]);
		if (r == 0)
			r = uv_listen((uv_stream_t *)&a->tcp, BACKLOG,
			    connection_cb);
		if (r != 0)
			return r;
	}
	return 0;
}

void
tf_listener_stop(struct tf_worker *w)
{
	size_t i;

	for (i = 0; i < w->nacceptors; i++)
		if (w->acceptors[i].tcp.loop != NULL &&
		    !uv_is_closing((uv_handle_t *)&w->acceptors[i].tcp))
			uv_close((uv_handle_t *)&w->acceptors[i].tcp, NULL);
}
