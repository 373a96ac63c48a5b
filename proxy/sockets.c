/*
 * The control thread's table of listening sockets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "sockets.h"

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
	    bind(fd, sa, len) != 0 || listen(fd, TF_SOCKETS_BACKLOG) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	*fd_out = fd;
	return 0;
}

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)ss)->sin6_port :
	    ((const struct sockaddr_in *)ss)->sin_port;
}

/*
 * SO_REUSEPORT lets any process of the same user bind the port too, and
 * share its connections: a second tlsfloor started by mistake would take
 * half the clients. Before its own sockets, the address is bound once
 * without SO_REUSEPORT, which fails while anyone else listens there.
 * Skipped when one of this process's sockets has the port (a reload that
 * moves a bind from 0.0.0.0 to one address) or when the kernel picks it.
 */
static int
probe_free(const struct tf_sockets *t, const struct tf_bind_conf *b)
{
	const struct tf_socket *s;
	int fd, r = 0, on = 1;

	if (port_of(&b->addr) == 0)
		return 0;
	for (s = t->head; s != NULL; s = s->next)
		if (s->bound.ss_family == b->addr.ss_family &&
		    port_of(&s->bound) == port_of(&b->addr))
			return 0;
	fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    (b->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(fd, (const struct sockaddr *)&b->addr, b->addrlen) != 0)
		r = -errno;
	close(fd);
	return r;
}

/* Opens one socket per worker; with port 0, all on the first one's port. */
static struct tf_socket *
socket_open(const struct tf_sockets *t, const struct tf_bind_conf *b,
    char *err, size_t errlen)
{
	struct tf_socket *s;
	struct sockaddr_storage ss = b->addr;
	socklen_t len = b->addrlen;
	unsigned w, nworkers = t->nworkers;
	int r = probe_free(t, b);

	if (r != 0) {
		snprintf(err, errlen, "%s:%d: bind %s: %s%s", b->where.file,
		    b->where.line, b->text, strerror(-r), r == -EADDRINUSE ?
		    " (by another process: is tlsfloor already running?)" :
		    "");
		return NULL;
	}
	s = tf_xcalloc(1, sizeof(*s));
	s->addr = b->addr;
	s->addrlen = b->addrlen;
	s->fds = tf_xcalloc(nworkers, sizeof(int));
	for (w = 0; w < nworkers; w++) {
		r = open_one((struct sockaddr *)&ss, len, &s->fds[w]);
		if (r != 0) {
			snprintf(err, errlen, "%s:%d: bind %s: %s",
			    b->where.file, b->where.line, b->text,
			    strerror(-r));
			while (w-- > 0)
				close(s->fds[w]);
			tf_socket_free(s);
			return NULL;
		}
		if (w == 0)
			getsockname(s->fds[0], (struct sockaddr *)&ss, &len);
	}
	s->bound = ss;
	return s;
}

void
tf_socket_free(struct tf_socket *s)
{
	free(s->listener);
	free(s->fds);
	free(s);
}

static struct tf_socket *
find_unused(struct tf_sockets *t, const struct tf_bind_conf *b,
    const char *listener)
{
	struct tf_socket *s;

	for (s = t->head; s != NULL; s = s->next) {
		if (s->used || s->addrlen != b->addrlen)
			continue;
		/* The same address; with port 0, for the same listener. */
		if (memcmp(&s->addr, &b->addr, b->addrlen) == 0 &&
		    (port_of(&b->addr) != 0 || strcmp(s->listener,
		    listener) == 0))
			return s;
		/* The port the kernel gave, now written in the file. */
		if (port_of(&b->addr) != 0 &&
		    memcmp(&s->bound, &b->addr, b->addrlen) == 0)
			return s;
	}
	return NULL;
}

int
tf_sockets_sync(struct tf_sockets *t, const struct tf_config *cfg,
    struct tf_socket ***binds_out, struct tf_socket **dropped, char *err,
    size_t errlen)
{
	struct tf_socket **binds, *fresh = NULL, *s, **pp;
	size_t i, j, k = 0, n = 0;
	unsigned w;

	for (i = 0; i < cfg->nlisteners; i++)
		n += cfg->listeners[i].nbinds;
	binds = tf_xcalloc(n + 1, sizeof(*binds));
	for (s = t->head; s != NULL; s = s->next)
		s->used = s->fresh = 0;
	for (i = 0; i < cfg->nlisteners; i++) {
		for (j = 0; j < cfg->listeners[i].nbinds; j++, k++) {
			const struct tf_bind_conf *b =
			    &cfg->listeners[i].binds[j];

			s = find_unused(t, b, cfg->listeners[i].name);
			if (s == NULL) {
				s = socket_open(t, b, err, errlen);
				if (s == NULL)
					goto fail;
				s->listener = tf_xstrdup(
				    cfg->listeners[i].name);
				s->fresh = 1;
				s->next = fresh;
				fresh = s;
			}
			s->used = 1;
			binds[k] = s;
		}
	}
	/* Commit: unused old sockets go, the fresh ones join. */
	*dropped = NULL;
	for (pp = &t->head; *pp != NULL;) {
		s = *pp;
		if (!s->used) {
			*pp = s->next;
			s->next = *dropped;
			*dropped = s;
		} else {
			pp = &s->next;
		}
	}
	while (fresh != NULL) {
		s = fresh;
		fresh = s->next;
		s->next = t->head;
		t->head = s;
	}
	*binds_out = binds;
	return (int)n;
fail:
	while (fresh != NULL) {
		s = fresh;
		fresh = s->next;
		for (w = 0; w < t->nworkers; w++)
			close(s->fds[w]);
		tf_socket_free(s);
	}
	free(binds);
	return -1;
}

void
tf_socket_announce(const char *name, const struct tf_socket *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[64];
	uint16_t port = 0;

	if (getsockname(s->fds[0], (struct sockaddr *)&ss, &len) != 0)
		return;
	tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip), &port);
	tf_log_notice(ss.ss_family == AF_INET6 ?
	    "listener %s: listening on [%s]:%u" :
	    "listener %s: listening on %s:%u", name, ip, port);
}
