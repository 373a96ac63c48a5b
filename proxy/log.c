#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"

/*
 * After a failed send to a UDP receiver, a send that goes through proves
 * little: the receiver's ICMP port-unreachable comes back on the send
 * after the one that caused it, so sends fail and succeed by turns while
 * it is down. "Writing again" waits until sends have gone through this
 * long, so that the error log does not say so for every other record.
 */
#define UDP_QUIET_S 10

/*
 * A stream's syslog socket and what its datagrams say. Senders hold the
 * read lock from before they look at fd until send(2) has returned, so
 * that the control thread (write lock) may close the socket and change
 * the identity on a reopen without a sender writing to a closed number
 * or with a half-changed header.
 */
struct tf_log_syslog {
	pthread_rwlock_t lock;
	int fd;                         /* SOCK_DGRAM, non-blocking; or -1 */
	int rfc5424;                    /* 0: syslog(3)'s format (/dev/log) */
	struct sockaddr_storage addr;   /* a unix target, named each send */
	socklen_t addrlen;              /* 0: fd is connected (UDP) */
	unsigned facility;
	char app[TF_SYSLOG_TAG_MAX + 8]; /* APP-NAME: the tag and suffix */
	char host[256];                 /* HOSTNAME, or "-" */
	long pid;                       /* PROCID */
};

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
	_Atomic int syslog; /* lines go to the syslog socket instead */
	_Atomic int journal; /* fd is systemd's journal stream (stderr) */
	int own;            /* the stream's descriptor, or -1; control thread */
	const char *name;   /* the directive, for diagnostics */
	const char *suffix; /* APP-NAME is the tag and this */
	const char *msgid;  /* RFC 5424 MSGID */
	int severity;       /* of the stream's records */
	struct tf_log_syslog sl;
	_Atomic uint64_t lost;  /* records the file or socket refused */
	_Atomic int failing;    /* the last write failed */
	_Atomic int torn;       /* ... halfway through a line */
	_Atomic long long quiet_until; /* no "writing again" before (s) */
};

#define SYSLOG_INIT { .lock = PTHREAD_RWLOCK_INITIALIZER, .fd = -1 }

/*
 * A SIEM tells the streams apart by APP-NAME or by MSGID, whichever its
 * rules look at; the error log is plain "TAG" with no MSGID.
 */
static struct tf_log_out outs[TF_STREAM_COUNT] = {
	[TF_STREAM_ERROR] = { .fd = 2, .own = -1, .name = "error-log",
	    .suffix = "", .msgid = "-", .sl = SYSLOG_INIT },
	[TF_STREAM_LEGACY] = { .fd = -1, .own = -1, .name = "legacy-log",
	    .suffix = "-legacy", .msgid = "legacy", .severity = LOG_NOTICE,
	    .sl = SYSLOG_INIT },
	[TF_STREAM_ACCESS] = { .fd = -1, .own = -1, .name = "access-log",
	    .suffix = "-access", .msgid = "access", .severity = LOG_INFO,
	    .sl = SYSLOG_INIT },
};

static const char *const level_names[] = {
	"debug", "info", "notice", "warn", "error", "alert",
};

/* RFC 5424 severities, which are also sd-daemon(3)'s "<N>" prefixes. */
static const int severities[] = {
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

/*
 * Returns 1 when fd is the stream systemd connected the service's stderr
 * to: JOURNAL_STREAM holds its "DEVICE:INODE" (systemd.exec(5)). The
 * variable is inherited by whatever the service starts, so only the
 * match tells that stderr was not redirected since (to a file, a pipe).
 */
static int
is_journal_stream(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || fstat(fd, &st) != 0)
		return 0;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (end == env || *end != ':')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (*end != '\0' || errno != 0)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

/* Writes a syslog target as the configuration says it, for messages. */
static void
target_text(const struct tf_log_dest *d, char *out, size_t outlen)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&d->addr;
	char ip[INET6_ADDRSTRLEN];
	uint16_t port = 0;

	if (d->target == TF_SYSLOG_DEVLOG)
		snprintf(out, outlen, "%s", sun->sun_path);
	else if (d->target == TF_SYSLOG_UNIX)
		snprintf(out, outlen, "unix:%s", sun->sun_path);
	else if (tf_addr_format((const struct sockaddr *)&d->addr, ip,
	    sizeof(ip), &port) != 0)
		snprintf(out, outlen, "udp:?");
	else
		snprintf(out, outlen, d->addr.ss_family == AF_INET6 ?
		    "udp:[%s]:%u" : "udp:%s:%u", ip, port);
}

/* RFC 5424 HOSTNAME: printable ASCII without blanks, or "-". */
static void
host_name(char *out, size_t outlen)
{
	char *c;

	if (gethostname(out, outlen) != 0 || out[0] == '\0')
		goto nil;
	out[outlen - 1] = '\0';
	for (c = out; *c != '\0'; c++)
		if (*c < '!' || *c > '~')
			goto nil;
	return;
nil:
	snprintf(out, outlen, "-");
}

/*
 * Gives the stream a new syslog socket for d, under sc's facility and tag
 * (NULL: daemon, "tlsfloor"), and closes the one it had. Control thread
 * only. Returns 0, or -1 with a message in err and the stream unchanged.
 */
static int
syslog_open(struct tf_log_out *o, const struct tf_log_dest *d,
    const struct tf_syslog_conf *sc, char *err, size_t errlen)
{
	struct tf_log_syslog *sl = &o->sl;
	char host[256], what[160];
	int fd, old, e;

	fd = socket(d->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	/*
	 * A unix target is named again by every sendto(2): once a syslog
	 * daemon that restarted has bound a new socket at the path, the
	 * next datagram reaches it, where a connected socket would go on
	 * failing. A UDP socket is connected, so that the port-unreachable
	 * of a receiver that is down comes back as ECONNREFUSED.
	 */
	if (fd == -1 || (d->addr.ss_family != AF_UNIX &&
	    connect(fd, (const struct sockaddr *)&d->addr, d->addrlen) != 0)) {
		e = errno;
		target_text(d, what, sizeof(what));
		snprintf(err, errlen, "syslog %s: cannot open: %s", what,
		    strerror(e));
		if (fd != -1)
			close(fd);
		return -1;
	}
	host_name(host, sizeof(host));

	pthread_rwlock_wrlock(&sl->lock);
	old = sl->fd;
	sl->fd = fd;
	sl->rfc5424 = d->target != TF_SYSLOG_DEVLOG;
	sl->addr = d->addr;
	sl->addrlen = d->addr.ss_family == AF_UNIX ? d->addrlen : 0;
	sl->facility = sc != NULL ? sc->facility : 3;
	snprintf(sl->app, sizeof(sl->app), "%s%s",
	    sc != NULL ? sc->tag : "tlsfloor", o->suffix);
	memcpy(sl->host, host, sizeof(host));
	sl->pid = (long)getpid();
	pthread_rwlock_unlock(&sl->lock);
	if (old != -1)
		close(old);
	return 0;
}

/* Closes the stream's syslog socket, once nothing sends on it. */
static void
syslog_close(struct tf_log_out *o)
{
	int old;

	pthread_rwlock_wrlock(&o->sl.lock);
	old = o->sl.fd;
	o->sl.fd = -1;
	pthread_rwlock_unlock(&o->sl.lock);
	if (old != -1)
		close(old);
}

int
tf_log_open(enum tf_log_stream s, const struct tf_log_dest *d,
    const struct tf_syslog_conf *sc, char *err, size_t errlen)
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
		atomic_store(&o->journal, s == TF_STREAM_ERROR &&
		    is_journal_stream(2));
		atomic_store(&o->fd, o->own != -1 ? o->own : 2);
		atomic_store(&o->syslog, 0);
		syslog_close(o);
		break;
	case TF_LOG_OFF:
		atomic_store(&o->fd, -1);
		atomic_store(&o->syslog, 0);
		syslog_close(o);
		let_go(o);
		break;
	case TF_LOG_SYSLOG:
		if (syslog_open(o, d, sc, err, errlen) != 0)
			return -1;
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
		atomic_store(&o->journal, 0);
		atomic_store(&o->fd, o->own);
		atomic_store(&o->syslog, 0);
		syslog_close(o);
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
		atomic_store(&outs[i].syslog, 0);
		syslog_close(&outs[i]);
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
 * k records could not be written (errno e): they are counted as lost, and
 * the error log says so once, when the stream starts failing.
 */
static void
records_lost(struct tf_log_out *o, uint64_t k, int e)
{
	atomic_fetch_add_explicit(&o->lost, k, memory_order_relaxed);
	if (atomic_exchange(&o->failing, 1) == 0)
		tf_log_error("%s: cannot write: %s; records are counted in "
		    "tlsfloor_log_records_lost_total until writing works "
		    "again", o->name, strerror(e));
}

static long long
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/*
 * Records were written: if the stream was failing (and is past its quiet
 * time), the error log says that writing works again.
 */
static void
records_written(struct tf_log_out *o)
{
	if (!atomic_load_explicit(&o->failing, memory_order_relaxed))
		return;
	if (now_s() < atomic_load(&o->quiet_until))
		return;
	if (atomic_exchange(&o->failing, 0))
		tf_log_notice("%s: writing again; %llu records lost so far",
		    o->name, (unsigned long long)atomic_load(&o->lost));
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
		records_lost(o, count_lines(p, n), errno);
		return;
	}
	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (p > start && p[-1] != '\n')
				atomic_store(&o->torn, 1);
			records_lost(o, count_lines(p, n),
			    w < 0 ? errno : ENOSPC);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
	records_written(o);
}

/*
 * Builds the datagram for msg (len bytes, no newline) at severity sev into
 * out and returns its length; a message that does not fit is cut.
 * RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG", with
 * no structured data and MSG as it is: MSG-ANY, as a UTF-8 MSG would
 * start with a BOM, which JSON parsers refuse in front of a record.
 * /dev/log: "<PRI>Mmm dd hh:mm:ss APP-NAME[PID]: MSG", local time, as
 * syslog(3) writes it, which is what journald and rsyslog parse there.
 */
static size_t
syslog_format(const struct tf_log_syslog *sl, const char *msgid, int sev,
    const char *msg, size_t len, char out[TF_LOG_SYSLOG_MAX])
{
	unsigned pri = sl->facility * 8 + (unsigned)sev;
	char ts[32];
	size_t n;
	int r;

	if (sl->rfc5424) {
		tf_log_time(ts, sizeof(ts));
		r = snprintf(out, TF_LOG_SYSLOG_MAX, "<%u>1 %s %s %s %ld %s - ",
		    pri, ts, sl->host, sl->app, sl->pid, msgid);
	} else {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
		r = snprintf(out, TF_LOG_SYSLOG_MAX, "<%u>%s %s[%ld]: ", pri,
		    ts, sl->app, sl->pid);
	}
	/* The header's fields are bounded far below the datagram's size. */
	TF_ASSERT(r > 0 && r < TF_LOG_SYSLOG_MAX);
	n = (size_t)r;
	if (len > TF_LOG_SYSLOG_MAX - n)
		len = TF_LOG_SYSLOG_MAX - n;
	memcpy(out + n, msg, len);
	return n + len;
}

/*
 * Sends one line (a newline at its end dropped) to the stream's syslog
 * socket as one datagram, without waiting. Returns 0, or -1 with errno
 * set when it did not go: no receiver (ECONNREFUSED, ENOENT), its queue
 * full (EAGAIN, ENOBUFS), or no socket (EBADF: the stream was switched
 * away from syslog meanwhile). *udp tells whether going proves little.
 */
static int
syslog_send(struct tf_log_out *o, int sev, const char *line, size_t len,
    int *udp)
{
	struct tf_log_syslog *sl = &o->sl;
	char dgram[TF_LOG_SYSLOG_MAX];
	ssize_t w = -1;
	size_t n;
	int e = EBADF;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	pthread_rwlock_rdlock(&sl->lock);
	*udp = sl->addrlen == 0;
	if (sl->fd != -1) {
		n = syslog_format(sl, o->msgid, sev, line, len, dgram);
		do {
			if (sl->addrlen > 0)
				w = sendto(sl->fd, dgram, n, MSG_DONTWAIT |
				    MSG_NOSIGNAL, (struct sockaddr *)&sl->addr,
				    sl->addrlen);
			else
				w = send(sl->fd, dgram, n, MSG_DONTWAIT |
				    MSG_NOSIGNAL);
		} while (w == -1 && errno == EINTR);
		e = errno;
	}
	pthread_rwlock_unlock(&sl->lock);
	if (w == -1) {
		errno = e;
		return -1;
	}
	return 0;
}

/* A record to syslog: one datagram, counted as lost when it cannot go. */
static void
syslog_record(struct tf_log_out *o, const char *line, size_t len)
{
	int udp, e;

	if (syslog_send(o, o->severity, line, len, &udp) == 0) {
		records_written(o);
		return;
	}
	e = errno;
	if (udp)
		atomic_store(&o->quiet_until, now_s() + UDP_QUIET_S);
	records_lost(o, 1, e);
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
	const char *p, *nl, *end;
	size_t i;
	int fd;

	for (i = 0; i < TF_STREAM_COUNT; i++) {
		if (b->len[i] == 0)
			continue;
		fd = atomic_load(&outs[i].fd);
		if (fd >= 0) {
			write_records(&outs[i], fd, b->buf[i], b->len[i]);
		} else if (atomic_load(&outs[i].syslog)) {
			/* Held back before a reload moved the stream to
			 * syslog: one datagram a record, as from now on. */
			end = b->buf[i] + b->len[i];
			for (p = b->buf[i]; p < end; p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(end - p));
				if (nl == NULL)
					nl = end - 1;
				syslog_record(&outs[i], p,
				    (size_t)(nl - p + 1));
			}
		}
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

	/* One datagram a record: a batch would be one message. */
	if (s != TF_STREAM_ERROR && atomic_load(&o->syslog)) {
		syslog_record(o, line, len);
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
	struct tf_log_out *o = &outs[TF_STREAM_ERROR];
	int to_syslog = atomic_load(&o->syslog), udp;
	char line[2048];
	size_t n = 0;
	int r;

	/* Syslog and the journal have the time and the severity already;
	 * "[level]" stays in the journal's text, for people and for grep. */
	if (to_syslog) {
		line[0] = '\0';
	} else if (atomic_load(&o->journal)) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>[%s] ",
		    severities[lvl], level_names[lvl]);
	} else {
		tf_log_time(line, sizeof(line));
		n = strlen(line);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " [%s] ",
		    level_names[lvl]);
	}
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r < 0)
		return;
	n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* A diagnostic that cannot go has nowhere left to be reported. */
	if (to_syslog) {
		(void)syslog_send(o, severities[lvl], line, n, &udp);
		return;
	}
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
