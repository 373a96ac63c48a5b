#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* One output: a descriptor (-1 when off) or syslog. */
struct tf_log_out {
	_Atomic int fd;
	int syslog;
	int owned; /* we opened fd and must close it */
};

static struct tf_log_out outs[TF_STREAM_COUNT] = {
	[TF_STREAM_ERROR] = { .fd = 2 },
	[TF_STREAM_LEGACY] = { .fd = -1 },
	[TF_STREAM_ACCESS] = { .fd = -1 },
};

static const char *const level_names[] = {
	"debug", "info", "notice", "warn", "error", "alert",
};

static const int syslog_prio[] = {
	LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR, LOG_ALERT,
};

/*
 * Opens a log file for appending. When its folder does not exist (a fresh
 * install logging to /var/log/tlsfloor/), the folder is created, one
 * level only, and the open retried. Returns the descriptor or -1.
 */
static int
open_log_file(const char *path)
{
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
	char dir[4096];
	char *slash;
	int fd;

	fd = open(path, flags, 0640);
	if (fd != -1 || errno != ENOENT)
		return fd;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return -1;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		errno = ENOENT;
		return -1;
	}
	return open(path, flags, 0640);
}

int
tf_log_open(enum tf_log_stream s, const struct tf_log_dest *d, char *err,
    size_t errlen)
{
	struct tf_log_out *o = &outs[s];
	int fd = -1, old;

	switch (d->kind) {
	case TF_LOG_STDERR:
		fd = 2;
		break;
	case TF_LOG_OFF:
		break;
	case TF_LOG_SYSLOG:
		openlog("tlsfloor", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		o->syslog = 1;
		break;
	case TF_LOG_FILE:
		fd = open_log_file(d->path);
		if (fd == -1) {
			snprintf(err, errlen, "%s: cannot open: %s", d->path,
			    strerror(errno));
			return -1;
		}
		break;
	}
	old = atomic_exchange(&o->fd, fd);
	if (o->owned && old > 2)
		close(old);
	o->owned = d->kind == TF_LOG_FILE;
	if (d->kind != TF_LOG_SYSLOG)
		o->syslog = 0;
	return 0;
}

void
tf_log_close_all(void)
{
	size_t i;

	for (i = 0; i < TF_STREAM_COUNT; i++) {
		int old = atomic_exchange(&outs[i].fd, i == TF_STREAM_ERROR ?
		    2 : -1);
		if (outs[i].owned && old > 2)
			close(old);
		outs[i].owned = 0;
	}
}

int
tf_log_enabled(enum tf_log_stream s)
{
	return outs[s].syslog || atomic_load(&outs[s].fd) >= 0;
}

int
tf_log_fd(enum tf_log_stream s)
{
	return outs[s].syslog ? -1 : atomic_load(&outs[s].fd);
}

void
tf_log_time(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, outlen - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* Nowhere left to report it. */
		}
		p += w;
		n -= (size_t)w;
	}
}

void
tf_log_record(enum tf_log_stream s, const char *line, size_t len)
{
	struct tf_log_out *o = &outs[s];
	int fd;

	if (o->syslog) {
		syslog(LOG_INFO, "%.*s", (int)(len && line[len - 1] == '\n' ?
		    len - 1 : len), line);
		return;
	}
	fd = atomic_load(&o->fd);
	if (fd >= 0)
		write_all(fd, line, len);
}

void
tf_logv(enum tf_log_level lvl, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int r;

	if (outs[TF_STREAM_ERROR].syslog) {
		vsyslog(syslog_prio[lvl], fmt, ap);
		return;
	}
	tf_log_time(line, sizeof(line));
	n = strlen(line);
	n += (size_t)snprintf(line + n, sizeof(line) - n, " [%s] ",
	    level_names[lvl]);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r < 0)
		return;
	n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	tf_log_record(TF_STREAM_ERROR, line, n);
}

void
tf_log(enum tf_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tf_logv(lvl, fmt, ap);
	va_end(ap);
}
