#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/*
 * One output. Workers load fd and write to it while the control thread
 * reopens the logs, so a number once in fd is never closed while workers
 * run: if a reopen closed it, the next open(2) or accept(2) could take the
 * number, and a worker that had loaded it a moment before would write its
 * line into another file or into a client's connection. The first time a
 * stream needs a descriptor it gets its own, above 2, and keeps it: a
 * reopen points it at the new file with dup2(), and switching the stream
 * off or to syslog points it at /dev/null, which lets the file go.
 */
struct tf_log_out {
	_Atomic int fd;     /* own, 2 until own exists, or -1: nowhere */
	_Atomic int syslog; /* lines go to syslog(3) instead */
	int own;            /* the stream's descriptor, or -1; control thread */
	const char *name;   /* the directive, for diagnostics */
	_Atomic uint64_t lost;  /* records the file refused */
	_Atomic int failing;    /* the last write failed */
	_Atomic int torn;       /* ... halfway through a line */
};

static struct tf_log_out outs[TF_STREAM_COUNT] = {
	[TF_STREAM_ERROR] = { .fd = 2, .own = -1, .name = "error-log" },
	[TF_STREAM_LEGACY] = { .fd = -1, .own = -1, .name = "legacy-log" },
	[TF_STREAM_ACCESS] = { .fd = -1, .own = -1, .name = "access-log" },
};

static const char *const level_names[] = {
	"debug", "info", "notice", "warn", "error", "alert",
};

static const int syslog_prio[] = {
	LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR, LOG_ALERT,
};

static int (*log_opener)(const char *path) = tf_log_file_open;

void
tf_log_set_opener(int (*open_fn)(const char *path))
{
	log_opener = open_fn != NULL ? open_fn : tf_log_file_open;
}

/*
 * When the folder does not exist (a fresh install logging to
 * /var/log/tlsfloor/), it is created, one level only, and the open
 * retried. Nothing here allocates or formats: the log opener runs it in a
 * child forked from a process that may have threads (privsep.c).
 */
int
tf_log_file_open(const char *path)
{
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY;
	size_t n = strlen(path);
	char dir[4096];
	char *slash;
	int fd;

	fd = open(path, flags, 0640);
	if (fd != -1 || errno != ENOENT || n >= sizeof(dir))
		return fd;
	memcpy(dir, path, n + 1);
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

/*
 * Makes the stream's own descriptor refer to what fd refers to, creating
 * the descriptor the first time. fd stays open: the caller closes it if
 * it is a temporary one. Control thread only. Returns 0, or -1 with errno
 * set and the stream unchanged.
 */
static int
point(struct tf_log_out *o, int fd)
{
	if (o->own == -1) {
		/* Above 2: a later dup2() onto it must not replace stderr. */
		o->own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		return o->own == -1 ? -1 : 0;
	}
	if (dup2(fd, o->own) == -1)
		return -1;
	/* dup2() clears close-on-exec on the descriptor it replaces. */
	return fcntl(o->own, F_SETFD, FD_CLOEXEC) == -1 ? -1 : 0;
}

/*
 * Lets go of the file the stream's own descriptor refers to, once nothing
 * is written to it, by pointing the descriptor at /dev/null. If that
 * fails, the file merely stays open until the next reopen.
 */
static void
let_go(struct tf_log_out *o)
{
	int fd;

	if (o->own == -1)
		return;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return;
	(void)point(o, fd);
	close(fd);
}

int
tf_log_open(enum tf_log_stream s, const struct tf_log_dest *d, char *err,
    size_t errlen)
{
	struct tf_log_out *o = &outs[s];
	int fd;

	switch (d->kind) {
	case TF_LOG_STDERR:
		/* Until the stream has its own descriptor, fd 2 is it. */
		if (o->own != -1 && point(o, 2) != 0) {
			snprintf(err, errlen, "stderr: cannot open: %s",
			    strerror(errno));
			return -1;
		}
		atomic_store(&o->fd, o->own != -1 ? o->own : 2);
		atomic_store(&o->syslog, 0);
		break;
	case TF_LOG_OFF:
		atomic_store(&o->fd, -1);
		atomic_store(&o->syslog, 0);
		let_go(o);
		break;
	case TF_LOG_SYSLOG:
		openlog("tlsfloor", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		atomic_store(&o->syslog, 1);
		atomic_store(&o->fd, -1);
		let_go(o);
		break;
	case TF_LOG_FILE:
		fd = log_opener(d->path);
		if (fd == -1 || point(o, fd) != 0) {
			snprintf(err, errlen, "%s: cannot open: %s", d->path,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
		atomic_store(&o->fd, o->own);
		atomic_store(&o->syslog, 0);
		break;
	}
	return 0;
}

void
tf_log_close_all(void)
{
	size_t i;

	for (i = 0; i < TF_STREAM_COUNT; i++) {
		atomic_store(&outs[i].fd, i == TF_STREAM_ERROR ? 2 : -1);
		if (outs[i].own != -1)
			close(outs[i].own);
		outs[i].own = -1;
	}
}

int
tf_log_enabled(enum tf_log_stream s)
{
	return atomic_load(&outs[s].syslog) || atomic_load(&outs[s].fd) >= 0;
}

int
tf_log_fd(enum tf_log_stream s)
{
	return atomic_load(&outs[s].syslog) ? -1 : atomic_load(&outs[s].fd);
}

void
tf_log_time(char *out, size_t outlen)
{
	/* Each thread formats the date and time once a second. */
	static _Thread_local time_t sec = -1;
	static _Thread_local char date[32];     /* "YYYY-MM-DDTHH:MM:SS" */
	static _Thread_local size_t date_len;
	struct timespec ts;
	long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != sec) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		date_len = strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		sec = ts.tv_sec;
	}
	if (outlen < date_len + sizeof(".000Z")) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	ms = ts.tv_nsec / 1000000;
	memcpy(out, date, date_len);
	out += date_len;
	out[0] = '.';
	out[1] = (char)('0' + ms / 100);
	out[2] = (char)('0' + ms / 10 % 10);
	out[3] = (char)('0' + ms % 10);
	out[4] = 'Z';
	out[5] = '\0';
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

static uint64_t
count_lines(const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t k = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/*
 * The n bytes at p, whole records, could not be written (errno e): they
 * are counted as lost, and the error log says so once, when the stream
 * starts failing.
 */
static void
records_lost(struct tf_log_out *o, const char *p, size_t n, int e)
{
	atomic_fetch_add_explicit(&o->lost, count_lines(p, n),
	    memory_order_relaxed);
	if (atomic_exchange(&o->failing, 1) == 0)
		tf_log_error("%s: cannot write: %s; records are counted in "
		    "tlsfloor_log_records_lost_total until writing works "
		    "again", o->name, strerror(e));
}

/*
 * Writes whole record lines to a record stream. When the file system
 * refuses them (full, over quota, an I/O error), the gateway goes on
 * serving: the lines that did not go are counted as lost, and writing
 * resumes by itself once the file takes lines again, which the error log
 * notes with the count lost so far. A line cut short by the failure is
 * ended before the next one is written, so the file still holds one
 * record a line (the cut one, counted as lost, is not valid JSON).
 */
static void
write_records(struct tf_log_out *o, int fd, const char *p, size_t n)
{
	const char *start = p;
	ssize_t w;

	if (atomic_load_explicit(&o->torn, memory_order_relaxed) &&
	    atomic_exchange(&o->torn, 0) && write(fd, "\n", 1) != 1) {
		atomic_store(&o->torn, 1);
		records_lost(o, p, n, errno);
		return;
	}
	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (p > start && p[-1] != '\n')
				atomic_store(&o->torn, 1);
			records_lost(o, p, n, w < 0 ? errno : ENOSPC);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
	if (atomic_load_explicit(&o->failing, memory_order_relaxed) &&
	    atomic_exchange(&o->failing, 0))
		tf_log_notice("%s: writing again; %llu records lost so far",
		    o->name, (unsigned long long)atomic_load(&o->lost));
}

uint64_t
tf_log_lost(enum tf_log_stream s)
{
	return atomic_load_explicit(&outs[s].lost, memory_order_relaxed);
}

/*
 * Records a thread holds back until tf_log_flush(): whole lines only, one
 * write(2) of several whole lines on an O_APPEND descriptor still never
 * interleaves with another thread's. A thread's batch is flushed when it
 * ends, too (the key's destructor).
 */
struct batch {
	size_t len[TF_STREAM_COUNT];
	char buf[TF_STREAM_COUNT][TF_LOG_BATCH];
};

static pthread_key_t batch_key;
static pthread_once_t batch_once = PTHREAD_ONCE_INIT;

static void
batch_flush(struct batch *b)
{
	size_t i;

	for (i = 0; i < TF_STREAM_COUNT; i++) {
		int fd = atomic_load(&outs[i].fd);

		if (b->len[i] > 0 && fd >= 0)
			write_records(&outs[i], fd, b->buf[i], b->len[i]);
		b->len[i] = 0;
	}
}

static void
batch_destroy(void *p)
{
	batch_flush(p);
	free(p);
}

static void
batch_key_init(void)
{
	TF_ASSERT(pthread_key_create(&batch_key, batch_destroy) == 0);
}

int
tf_log_batch(void)
{
	struct batch *b;

	pthread_once(&batch_once, batch_key_init);
	if (pthread_getspecific(batch_key) != NULL)
		return 0;
	b = calloc(1, sizeof(*b));
	if (b == NULL || pthread_setspecific(batch_key, b) != 0) {
		free(b);
		return -1;
	}
	return 0;
}

void
tf_log_flush(void)
{
	struct batch *b;

	pthread_once(&batch_once, batch_key_init);
	b = pthread_getspecific(batch_key);
	if (b != NULL)
		batch_flush(b);
}

void
tf_log_record(enum tf_log_stream s, const char *line, size_t len)
{
	struct tf_log_out *o = &outs[s];
	struct batch *b;
	int fd;

	if (atomic_load(&o->syslog)) {
		syslog(LOG_INFO, "%.*s", (int)(len && line[len - 1] == '\n' ?
		    len - 1 : len), line);
		return;
	}
	fd = atomic_load(&o->fd);
	if (fd < 0)
		return;
	/* Diagnostics go at once; records wait for the batch's flush. */
	if (s != TF_STREAM_ERROR && len <= TF_LOG_BATCH &&
	    pthread_once(&batch_once, batch_key_init) == 0 &&
	    (b = pthread_getspecific(batch_key)) != NULL) {
		if (len > TF_LOG_BATCH - b->len[s]) {
			write_records(o, fd, b->buf[s], b->len[s]);
			b->len[s] = 0;
		}
		memcpy(b->buf[s] + b->len[s], line, len);
		b->len[s] += len;
		return;
	}
	if (s == TF_STREAM_ERROR)
		write_all(fd, line, len);
	else
		write_records(o, fd, line, len);
}

void
tf_logv(enum tf_log_level lvl, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int r;

	if (atomic_load(&outs[TF_STREAM_ERROR].syslog)) {
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
