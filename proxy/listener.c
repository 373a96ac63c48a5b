#include <errno.h>
#include <stdatomic.h>
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

/*
 * At max-connections a listener stops accepting: its connection callback
 * leaves the socket libuv accepted unclaimed, which stops libuv polling
 * the listening socket; the rest wait in the kernel's backlog. Claiming it
 * later (tf_conn_accept calls uv_accept) resumes polling. Nothing is
 * accepted and dropped.
 */
static int
at_limit(const struct tf_lstn *l)
{
	return atomic_load(&l->nconns) >= l->conf->max_connections;
}

static void
resume_cb(uv_timer_t *t)
{
	struct tf_worker *w = t->data;
	size_t i;

	for (i = 0; i < w->nacceptors; i++) {
		struct tf_acceptor *a = &w->acceptors[i];

		if (!a->paused || at_limit(a->l) || w->stopping)
			continue;
		a->paused = 0;
		w->npaused--;
		tf_log_notice("listener %s: below max-connections (%u): "
		    "accepting again", a->l->conf->name,
		    a->l->conf->max_connections);
		tf_conn_accept(w, a->l, (uv_stream_t *)&a->tcp);
	}
	if (w->npaused == 0)
		uv_timer_stop(&w->resume);
}

void
tf_listener_conn_gone(struct tf_worker *w, struct tf_lstn *l)
{
	atomic_fetch_sub(&l->nconns, 1);
	if (w->npaused > 0)
		resume_cb(&w->resume);
}

static void
connection_cb(uv_stream_t *server, int status)
{
	struct tf_acceptor *a = server->data;
	struct tf_worker *w = a->w;

	if (status < 0) {
		tf_log_warn("accept: %s", uv_strerror(status));
		return;
	}
	if (at_limit(a->l)) {
		tf_log_warn("listener %s: max-connections (%u) reached: not "
		    "accepting", a->l->conf->name, a->l->conf->max_connections);
		a->paused = 1;
		/* Connections of other workers end there: look again. */
		if (w->npaused++ == 0)
			uv_timer_start(&w->resume, resume_cb, 50, 50);
		return;
	}
	tf_conn_accept(w, a->l, server);
}

int
tf_listener_start(struct tf_worker *w)
{
	size_t i;
	int r;

	w->resume.data = w;
	uv_timer_init(&w->loop, &w->resume);
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

	if (w->resume.loop != NULL && !uv_is_closing((uv_handle_t *)&w->resume))
		uv_close((uv_handle_t *)&w->resume, NULL);
	for (i = 0; i < w->nacceptors; i++)
		if (w->acceptors[i].tcp.loop != NULL &&
		    !uv_is_closing((uv_handle_t *)&w->acceptors[i].tcp))
			uv_close((uv_handle_t *)&w->acceptors[i].tcp, NULL);
}
