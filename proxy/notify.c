/*
 * sd_notify(3) written out rather than linked from libsystemd, as HAProxy
 * does: the protocol is a documented interface systemd keeps stable
 * (systemd.io/PORTABILITY_AND_STABILITY), one datagram a message, and
 * the daemon then needs no library that only one init system provides.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/* STATUS= text, at most: a reload error (FILE:LINE: message) fits. */
#define STATUS_MAX 1536

int
tf_notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *salen)
{
	size_t len = strlen(name);

	if (len < 2 || (name[0] != '/' && name[0] != '@'))
		return -EAFNOSUPPORT;
	if (len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	/* A path ends at its NUL; an abstract name is the bytes after '\0'. */
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, len);
	if (name[0] == '@') {
		sa->sun_path[0] = '\0';
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len + 1);
	}
	return 0;
}

size_t
tf_notify_format(char *buf, size_t size, const char *head, const char *status)
{
	int n;
	size_t i, len;

	if (size == 0)
		return 0;
	n = snprintf(buf, size, "%s\nSTATUS=%s", head, status);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	len = (size_t)n < size ? (size_t)n : size - 1;
	for (i = strlen(head) + 1; i < len; i++) {
		if (buf[i] == '\n')
			buf[i] = ' ';
	}
	return len;
}

/* One datagram to $NOTIFY_SOCKET, if set; a failure is logged only. */
static void
send_msg(const char *msg, size_t len)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	ssize_t n;
	int fd, r;

	if (name == NULL || name[0] == '\0')
		return;
	r = tf_notify_addr(name, &sa, &salen);
	if (r != 0) {
		tf_log_warn("NOTIFY_SOCKET %s: %s", name, strerror(-r));
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		tf_log_warn("NOTIFY_SOCKET %s: %s", name, strerror(errno));
		return;
	}
	n = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (n == -1)
		tf_log_warn("NOTIFY_SOCKET %s: %s", name, strerror(errno));
	close(fd);
}

void
tf_notify_ready(const char *fmt, ...)
{
	char status[STATUS_MAX], head[64], msg[STATUS_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	/* Under systemd the main PID is known; other managers may need it. */
	snprintf(head, sizeof(head), "READY=1\nMAINPID=%ld", (long)getpid());
	send_msg(msg, tf_notify_format(msg, sizeof(msg), head, status));
}

void
tf_notify_reloading(void)
{
	char head[64], msg[128];
	struct timespec ts;

	/* MONOTONIC_USEC= ties READY=1 to this reload (Type=notify-reload,
	 * systemd 253); older managers ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(head, sizeof(head), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	send_msg(msg, tf_notify_format(msg, sizeof(msg), head, "reloading"));
}

void
tf_notify_stopping(void)
{
	char msg[64];

	send_msg(msg, tf_notify_format(msg, sizeof(msg), "STOPPING=1",
	    "stopping"));
}
