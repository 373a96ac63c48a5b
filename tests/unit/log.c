/*
 * Unit tests for proxy/log.c: reopening the log files (SIGUSR1 after
 * logrotate moved them, or a reload that changes where a stream goes)
 * while worker threads write. A worker loads a stream's descriptor number
 * and then writes to it; if a reopen closed that number in between, the
 * next open(2) or accept(2) takes it and the line lands in another file or
 * in a client's connection. So a stream keeps one number, and a reopen
 * changes only what the number refers to. Every test works in its own
 * mkdtemp() folder under /tmp, removed when the test process exits.
 *
 * reopen_under_writers also shows data races under ThreadSanitizer, where
 * a report makes the test's process exit 66 (TSan's default exitcode), so
 * the test fails. From the top of a source tree that is not configured in
 * place:
 *
 *   mkdir build-tsan && cd build-tsan &&
 *   ../configure CC=clang CFLAGS='-g -O1 -fsanitize=thread' \
 *       LDFLAGS=-fsanitize=thread &&
 *   make tests/unit/test-log && tests/unit/test-log reopen_under_writers
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw() */
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "test.h"

static char tmpdir[256];

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates this test's folder; it is removed when the test process exits. */
static void
setup(void)
{
	char dir[] = "/tmp/tf-log-test-XXXXXX";

	if (mkdtemp(dir) == NULL)
		TEST_FAIL("mkdtemp: %s", strerror(errno));
	strcpy(tmpdir, dir);
	atexit(rm_tmpdir);
}

/* Writes tmpdir/NAME (NAME is a printf format) into out. */
static void TF_PRINTF(2, 3)
path_of(char out[PATH_MAX], const char *fmt, ...)
{
	char name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

/* Fills d with a syslog destination: target, at the socket path. */
static void
syslog_dest(struct tf_log_dest *d, enum tf_syslog_target target,
    const char *path)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&d->addr;

	memset(d, 0, sizeof(*d));
	d->kind = TF_LOG_SYSLOG;
	d->target = target;
	sun->sun_family = AF_UNIX;
	ASSERT(strlen(path) < sizeof(sun->sun_path));
	strcpy(sun->sun_path, path);
	d->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + 1);
}

/*
 * Points stream s at dest, which must succeed. For TF_LOG_SYSLOG, path is
 * a unix datagram socket (TF_SYSLOG_UNIX), which need not exist.
 */
static void
open_dest(enum tf_log_stream s, enum tf_log_kind kind, const char *path)
{
	struct tf_log_dest d = { .kind = kind, .path = (char *)path };
	char err[1024];

	if (kind == TF_LOG_SYSLOG)
		syslog_dest(&d, TF_SYSLOG_UNIX, path);
	if (tf_log_open(s, &d, NULL, err, sizeof(err)) != 0)
		TEST_FAIL("tf_log_open: %s", err);
}

static void
record(enum tf_log_stream s, const char *line)
{
	tf_log_record(s, line, strlen(line));
}

/*
 * Returns the whole of the file at path as a string the caller frees, or
 * NULL when there is no such file.
 */
static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f, *out;
	int c;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno != ENOENT)
			TEST_FAIL("%s: %s", path, strerror(errno));
		return NULL;
	}
	out = open_memstream(&text, &len);
	ASSERT(out != NULL);
	while ((c = getc(f)) != EOF)
		putc(c, out);
	ASSERT_OK(fclose(f));
	ASSERT_OK(fclose(out));
	return text;
}

/* Fails unless the file at path holds exactly want. */
static void
has_text(const char *path, const char *want)
{
	char *text = slurp(path);

	if (text == NULL)
		TEST_FAIL("%s: no such file", path);
	if (strcmp(text, want) != 0)
		TEST_FAIL("%s holds \"%s\", expected \"%s\"", path, text, want);
	free(text);
}

/* Returns 1 when one of this process's descriptors refers to path. */
static int
held_open(const char *path)
{
	struct stat want, st;
	int fd;

	ASSERT_OK(stat(path, &want));
	for (fd = 0; fd < 1024; fd++) {
		if (fstat(fd, &st) == 0 && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino)
			return 1;
	}
	return 0;
}

/*
 * logrotate renames the file and sends SIGUSR1: what was written in
 * between stays in the renamed file, what comes after the reopen goes to
 * the new one, through the same descriptor number, and the renamed file
 * is let go.
 */
TEST(reopen_keeps_descriptor)
{
	char log[PATH_MAX], moved[PATH_MAX];
	int fd;

	setup();
	path_of(log, "access.jsonl");
	path_of(moved, "access.jsonl.1");
	open_dest(TF_STREAM_ACCESS, TF_LOG_FILE, log);
	ASSERT(tf_log_enabled(TF_STREAM_ACCESS));
	fd = tf_log_fd(TF_STREAM_ACCESS);
	ASSERT(fd > 2);
	record(TF_STREAM_ACCESS, "one\n");
	ASSERT_OK(rename(log, moved));
	record(TF_STREAM_ACCESS, "two\n");
	open_dest(TF_STREAM_ACCESS, TF_LOG_FILE, log);
	ASSERT_EQ(tf_log_fd(TF_STREAM_ACCESS), fd);
	ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	record(TF_STREAM_ACCESS, "three\n");
	has_text(moved, "one\ntwo\n");
	has_text(log, "three\n");
	ASSERT(!held_open(moved));

	/* At exit the descriptor is closed at last. */
	tf_log_close_all();
	ASSERT_EQ(tf_log_fd(TF_STREAM_ACCESS), -1);
	ASSERT(!tf_log_enabled(TF_STREAM_ACCESS));
	ASSERT(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
}

/*
 * A reload switches a stream off, to syslog and back to a file. Switching
 * away from a file lets the file go but keeps the number: a worker that
 * loaded it just before the switch must not write into whatever is opened
 * next.
 */
TEST(switch_keeps_descriptor)
{
	char a[PATH_MAX], b[PATH_MAX], intruder[PATH_MAX], path[PATH_MAX];
	int fd, other;

	setup();
	path_of(a, "a.jsonl");
	path_of(b, "b.jsonl");
	path_of(intruder, "intruder");
	open_dest(TF_STREAM_LEGACY, TF_LOG_FILE, a);
	fd = tf_log_fd(TF_STREAM_LEGACY);
	record(TF_STREAM_LEGACY, "a\n");

	open_dest(TF_STREAM_LEGACY, TF_LOG_OFF, NULL);
	ASSERT(!tf_log_enabled(TF_STREAM_LEGACY));
	ASSERT_EQ(tf_log_fd(TF_STREAM_LEGACY), -1);
	record(TF_STREAM_LEGACY, "off\n");
	other = open(intruder, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600);
	ASSERT(other != -1);
	ASSERT(other != fd);
	/* The late worker's line goes nowhere it could do harm. */
	ASSERT(write(fd, "late\n", 5) == 5);
	ASSERT_OK(close(other));
	has_text(intruder, "");
	has_text(a, "a\n");
	ASSERT(!held_open(a));

	open_dest(TF_STREAM_LEGACY, TF_LOG_FILE, b);
	ASSERT(tf_log_enabled(TF_STREAM_LEGACY));
	ASSERT_EQ(tf_log_fd(TF_STREAM_LEGACY), fd);
	record(TF_STREAM_LEGACY, "b\n");
	has_text(b, "b\n");

	/* Lines go to a syslog socket now; none are written here. */
	path_of(path, "syslog.sock");
	open_dest(TF_STREAM_LEGACY, TF_LOG_SYSLOG, path);
	ASSERT(tf_log_enabled(TF_STREAM_LEGACY));
	ASSERT_EQ(tf_log_fd(TF_STREAM_LEGACY), -1);
	ASSERT(!held_open(b));
	ASSERT(fcntl(fd, F_GETFD) != -1);

	open_dest(TF_STREAM_LEGACY, TF_LOG_FILE, a);
	ASSERT_EQ(tf_log_fd(TF_STREAM_LEGACY), fd);
	record(TF_STREAM_LEGACY, "a again\n");
	has_text(a, "a\na again\n");
	has_text(b, "b\n");
	tf_log_close_all();
}

/*
 * The error log starts on stderr, goes to a file, and back to stderr: the
 * stream's own descriptor then refers to stderr, while the process's
 * stderr is left alone (dup2() onto 2 would send it into the log file).
 */
TEST(error_log_back_to_stderr)
{
	char log[PATH_MAX], errpath[PATH_MAX];
	int saved, errfd, fd, fd_stderr, fd_again, fd_closed;
	char *text;

	setup();
	path_of(log, "error.log");
	path_of(errpath, "stderr");
	ASSERT_EQ(tf_log_fd(TF_STREAM_ERROR), 2);
	/* This process's stderr goes to a file, to read back. */
	saved = dup(2);
	errfd = open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT(saved != -1 && errfd != -1);
	ASSERT(dup2(errfd, 2) == 2);
	ASSERT_OK(close(errfd));

	/* Nothing here may fail while stderr is the file. */
	tf_log_notice("first on stderr");
	open_dest(TF_STREAM_ERROR, TF_LOG_STDERR, NULL);
	tf_log_notice("still on stderr");
	open_dest(TF_STREAM_ERROR, TF_LOG_FILE, log);
	fd = tf_log_fd(TF_STREAM_ERROR);
	tf_log_notice("in the file");
	open_dest(TF_STREAM_ERROR, TF_LOG_STDERR, NULL);
	fd_stderr = tf_log_fd(TF_STREAM_ERROR);
	tf_log_notice("back on stderr");
	open_dest(TF_STREAM_ERROR, TF_LOG_FILE, log);
	fd_again = tf_log_fd(TF_STREAM_ERROR);
	tf_log_notice("in the file again");
	tf_log_close_all();
	fd_closed = tf_log_fd(TF_STREAM_ERROR);
	tf_log_notice("stderr after close");
	ASSERT(dup2(saved, 2) == 2);
	ASSERT_OK(close(saved));

	ASSERT(fd > 2);
	ASSERT_EQ(fd_stderr, fd);
	ASSERT_EQ(fd_again, fd);
	ASSERT_EQ(fd_closed, 2);
	text = slurp(errpath);
	ASSERT(text != NULL);
	ASSERT(strstr(text, "] first on stderr\n") != NULL);
	ASSERT(strstr(text, "] still on stderr\n") != NULL);
	ASSERT(strstr(text, "] back on stderr\n") != NULL);
	ASSERT(strstr(text, "] stderr after close\n") != NULL);
	ASSERT(strstr(text, "in the file") == NULL);
	free(text);
	text = slurp(log);
	ASSERT(text != NULL);
	ASSERT(strstr(text, " [notice] in the file\n") != NULL);
	ASSERT(strstr(text, " [notice] in the file again\n") != NULL);
	ASSERT(strstr(text, "stderr") == NULL);
	free(text);
}

/*
 * Workers write records without pause while the control thread renames
 * the file away, reopens it and at once opens another file, the
 * "intruder", which takes the lowest free number: the one a reopen that
 * closed the old descriptor has just freed. Every record must be found,
 * once, in one of the log files, and none in an intruder.
 */
#define NWRITERS 4
#define NROUNDS 200

struct writer {
	pthread_t tid;
	unsigned id;
	unsigned count;                 /* records written */
	unsigned char *seen;            /* per record, when checking */
};

static atomic_int writers_stop;

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	char line[64];
	int n;

	while (!atomic_load(&writers_stop)) {
		/* As record.c does before it builds a record. */
		if (!tf_log_enabled(TF_STREAM_ACCESS))
			continue;
		n = snprintf(line, sizeof(line), "w%u %u\n", w->id, w->count);
		tf_log_record(TF_STREAM_ACCESS, line, (size_t)n);
		w->count++;
	}
	return NULL;
}

/*
 * Reads the records of one file and marks them seen. Returns how many
 * there were; a line that is not a record, or one seen before, fails.
 */
static unsigned
check_records(const char *path, struct writer *w)
{
	unsigned n = 0, id, seq;
	char *text, *line, *next;

	text = slurp(path);
	if (text == NULL)
		return 0;
	for (line = text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			TEST_FAIL("%s: unterminated line \"%s\"", path, line);
		*next++ = '\0';
		if (sscanf(line, "w%u %u", &id, &seq) != 2 || id >= NWRITERS ||
		    seq >= w[id].count)
			TEST_FAIL("%s: bad line \"%s\"", path, line);
		if (w[id].seen[seq]++)
			TEST_FAIL("%s: \"%s\" twice", path, line);
		n++;
	}
	free(text);
	return n;
}

TEST(reopen_under_writers)
{
	struct timespec pause = { 0, 50 * 1000 };
	char log[PATH_MAX], path[PATH_MAX];
	struct writer w[NWRITERS];
	unsigned i, r, seq, found;
	int fd;

	setup();
	path_of(log, "access.jsonl");
	open_dest(TF_STREAM_ACCESS, TF_LOG_FILE, log);
	for (i = 0; i < NWRITERS; i++) {
		w[i].id = i;
		w[i].count = 0;
		ASSERT_OK(pthread_create(&w[i].tid, NULL, writer_main, &w[i]));
	}
	for (r = 0; r < NROUNDS; r++) {
		path_of(path, "access.jsonl.%u", r);
		ASSERT_OK(rename(log, path));
		open_dest(TF_STREAM_ACCESS, TF_LOG_FILE, log);
		path_of(path, "intruder.%u", r);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		ASSERT(fd != -1);
		/* Long enough for a worker that loaded a number to use it. */
		nanosleep(&pause, NULL);
		ASSERT_OK(close(fd));
	}
	atomic_store(&writers_stop, 1);
	for (i = 0; i < NWRITERS; i++) {
		ASSERT_OK(pthread_join(w[i].tid, NULL));
		w[i].seen = calloc(w[i].count + 1, 1);
		ASSERT(w[i].seen != NULL);
	}
	tf_log_close_all();

	for (r = 0; r < NROUNDS; r++) {
		path_of(path, "intruder.%u", r);
		if (check_records(path, w) != 0)
			TEST_FAIL("records in %s", path);
	}
	found = check_records(log, w);
	for (r = 0; r < NROUNDS; r++) {
		path_of(path, "access.jsonl.%u", r);
		found += check_records(path, w);
	}
	for (i = 0; i < NWRITERS; i++) {
		for (seq = 0; seq < w[i].count; seq++) {
			if (!w[i].seen[seq])
				TEST_FAIL("record w%u %u lost (%u found)", i,
				    seq, found);
		}
		free(w[i].seen);
	}
}

/* On a batching thread: records once per flush, several lines in one
 * write; diagnostics at once; what is left when the thread ends. */
static void *
batching_thread(void *arg)
{
	const char *log = arg;

	ASSERT_OK(tf_log_batch());
	record(TF_STREAM_LEGACY, "a\n");
	record(TF_STREAM_LEGACY, "b\n");
	has_text(log, "");
	tf_log_flush();
	has_text(log, "a\nb\n");
	record(TF_STREAM_LEGACY, "c\n");
	return NULL;
}

TEST(batches)
{
	char log[PATH_MAX], err[PATH_MAX];
	pthread_t t;
	char *big;

	setup();
	path_of(log, "legacy.jsonl");
	path_of(err, "error.log");
	open_dest(TF_STREAM_LEGACY, TF_LOG_FILE, log);
	open_dest(TF_STREAM_ERROR, TF_LOG_FILE, err);
	ASSERT_OK(pthread_create(&t, NULL, batching_thread, log));
	ASSERT_OK(pthread_join(t, NULL));
	has_text(log, "a\nb\nc\n");       /* the thread's end wrote c */

	/* This thread does not batch, until it asks to. */
	record(TF_STREAM_LEGACY, "d\n");
	has_text(log, "a\nb\nc\nd\n");
	ASSERT_OK(tf_log_batch());
	tf_log(TF_LOG_NOTICE, "at once");
	big = slurp(err);
	ASSERT(big != NULL && strstr(big, "[notice] at once\n") != NULL);
	free(big);
	/* A batch that fills is written to make room. */
	big = malloc(TF_LOG_BATCH);
	ASSERT(big != NULL);
	memset(big, 'x', TF_LOG_BATCH - 1);
	big[TF_LOG_BATCH - 1] = '\n';
	record(TF_STREAM_LEGACY, "e\n");
	tf_log_record(TF_STREAM_LEGACY, big, TF_LOG_BATCH);
	free(big);
	big = slurp(log);
	ASSERT(big != NULL && strcmp(big, "a\nb\nc\nd\ne\n") == 0);
	free(big);
	tf_log_flush();
	big = slurp(log);
	ASSERT(big != NULL && strlen(big) == 10 + TF_LOG_BATCH);
	free(big);
}

/* A unix datagram socket bound at path, to receive syslog datagrams. */
static int
receiver(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT(fd != -1);
	ASSERT(strlen(path) < sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
	/* A datagram that never comes fails the test, not the runner. */
	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	return fd;
}

/* Receives one datagram into out (NUL-terminated); returns its length. */
static size_t
receive(int fd, char *out, size_t outlen)
{
	ssize_t n = recv(fd, out, outlen - 1, 0);

	if (n < 0)
		TEST_FAIL("recv: %s", strerror(errno));
	out[n] = '\0';
	return (size_t)n;
}

/* Fails unless the datagram in text matches the extended regex re. */
static void
matches(const char *text, const char *re)
{
	regex_t rx;

	ASSERT_OK(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB));
	if (regexec(&rx, text, 0, NULL, 0) != 0)
		TEST_FAIL("\"%s\" does not match /%s/", text, re);
	regfree(&rx);
}

/*
 * RFC 5424 datagrams to a unix target: PRI from the facility and each
 * stream's severity, APP-NAME and MSGID per stream, the record without its
 * newline, one datagram a record even on a batching thread, a message cut
 * at TF_LOG_SYSLOG_MAX, records batched for a file before a switch.
 */
TEST(syslog_rfc5424)
{
	struct tf_syslog_conf sc = { .facility = 16, .tag = "gw" };
	char sock[PATH_MAX], dgram[TF_LOG_SYSLOG_MAX + 64], *big, err[256];
	char log[PATH_MAX];
	struct tf_log_dest d;
	char re[256];
	int fd;

	setup();
	path_of(sock, "syslog.sock");
	fd = receiver(sock);
	syslog_dest(&d, TF_SYSLOG_UNIX, sock);
	ASSERT_OK(tf_log_open(TF_STREAM_ERROR, &d, &sc, err, sizeof(err)));
	ASSERT_OK(tf_log_open(TF_STREAM_LEGACY, &d, &sc, err, sizeof(err)));
	ASSERT_OK(tf_log_open(TF_STREAM_ACCESS, &d, &sc, err, sizeof(err)));
	ASSERT(tf_log_enabled(TF_STREAM_LEGACY));
	ASSERT_EQ(tf_log_fd(TF_STREAM_LEGACY), -1);

	/* 16 * 8 + 5 (notice), 6 (info), 4 (warning). */
	ASSERT_OK(tf_log_batch());
	record(TF_STREAM_LEGACY, "{\"event\":\"legacy_client\"}\n");
	record(TF_STREAM_ACCESS, "{\"event\":\"request\"}\n");
	tf_log_warn("disk %d%% full", 99);
	snprintf(re, sizeof(re), "^<133>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T"
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z [!-~]+ gw-legacy %ld "
	    "legacy - \\{\"event\":\"legacy_client\"\\}$", (long)getpid());
	receive(fd, dgram, sizeof(dgram));
	matches(dgram, re);
	receive(fd, dgram, sizeof(dgram));
	snprintf(re, sizeof(re), "^<134>1 [^ ]+Z [!-~]+ gw-access %ld "
	    "access - \\{\"event\":\"request\"\\}$", (long)getpid());
	matches(dgram, re);
	receive(fd, dgram, sizeof(dgram));
	snprintf(re, sizeof(re), "^<132>1 [^ ]+Z [!-~]+ gw %ld - - "
	    "disk 99%% full$", (long)getpid());
	matches(dgram, re);

	big = malloc(2 * TF_LOG_SYSLOG_MAX);
	ASSERT(big != NULL);
	memset(big, 'x', 2 * TF_LOG_SYSLOG_MAX);
	tf_log_record(TF_STREAM_ACCESS, big, 2 * TF_LOG_SYSLOG_MAX);
	free(big);
	ASSERT_EQ(receive(fd, dgram, sizeof(dgram)), TF_LOG_SYSLOG_MAX);
	ASSERT_EQ(tf_log_lost(TF_STREAM_ACCESS), 0);

	/* Records held back for a file, then the stream moved to syslog
	 * (a reload): they go one datagram each at the flush. */
	path_of(log, "access.jsonl");
	open_dest(TF_STREAM_ACCESS, TF_LOG_FILE, log);
	record(TF_STREAM_ACCESS, "{\"n\":1}\n");
	record(TF_STREAM_ACCESS, "{\"n\":2}\n");
	ASSERT_OK(tf_log_open(TF_STREAM_ACCESS, &d, &sc, err, sizeof(err)));
	tf_log_flush();
	receive(fd, dgram, sizeof(dgram));
	ASSERT(strstr(dgram, " gw-access ") != NULL);
	ASSERT(strstr(dgram, " access - {\"n\":1}") != NULL);
	receive(fd, dgram, sizeof(dgram));
	ASSERT(strstr(dgram, " access - {\"n\":2}") != NULL);
	has_text(log, "");
	tf_log_close_all();
	ASSERT_OK(close(fd));
}

/* /dev/log gets syslog(3)'s format, which journald and rsyslog parse. */
TEST(syslog_devlog)
{
	char sock[PATH_MAX], dgram[1024], re[256], err[256];
	struct tf_log_dest d;
	int fd;

	setup();
	path_of(sock, "dev-log");
	fd = receiver(sock);
	syslog_dest(&d, TF_SYSLOG_DEVLOG, sock);
	/* No syslog settings: daemon (3) and "tlsfloor". */
	ASSERT_OK(tf_log_open(TF_STREAM_LEGACY, &d, NULL, err, sizeof(err)));
	record(TF_STREAM_LEGACY, "{}\n");
	receive(fd, dgram, sizeof(dgram));
	snprintf(re, sizeof(re), "^<29>[A-Z][a-z]{2} [ 0-9][0-9] "
	    "[0-9]{2}:[0-9]{2}:[0-9]{2} tlsfloor-legacy\\[%ld\\]: \\{\\}$",
	    (long)getpid());
	matches(dgram, re);
	tf_log_close_all();
	ASSERT_OK(close(fd));
}

/*
 * No receiver: the record is counted lost and the error log says so once;
 * a receiver that comes back at the same path (a restarted syslog daemon)
 * gets the next record without a reopen, and the error log says so.
 */
TEST(syslog_lost_and_back)
{
	char sock[PATH_MAX], log[PATH_MAX], dgram[1024], *text;
	int fd;

	setup();
	path_of(sock, "syslog.sock");
	path_of(log, "error.log");
	open_dest(TF_STREAM_ERROR, TF_LOG_FILE, log);
	open_dest(TF_STREAM_LEGACY, TF_LOG_SYSLOG, sock);
	record(TF_STREAM_LEGACY, "{\"n\":1}\n");        /* ENOENT */
	fd = receiver(sock);
	ASSERT_OK(close(fd));
	record(TF_STREAM_LEGACY, "{\"n\":2}\n");        /* ECONNREFUSED */
	ASSERT_EQ(tf_log_lost(TF_STREAM_LEGACY), 2);
	ASSERT_OK(unlink(sock));
	fd = receiver(sock);
	record(TF_STREAM_LEGACY, "{\"n\":3}\n");
	receive(fd, dgram, sizeof(dgram));
	ASSERT(strstr(dgram, " legacy - {\"n\":3}") != NULL);
	ASSERT_EQ(tf_log_lost(TF_STREAM_LEGACY), 2);
	text = slurp(log);
	ASSERT(text != NULL);
	ASSERT(strstr(text, "[error] legacy-log: cannot write: No such file "
	    "or directory; records are counted") != NULL);
	ASSERT(strstr(text, "Connection refused") == NULL);
	ASSERT(strstr(text, "[notice] legacy-log: writing again; 2 records "
	    "lost so far\n") != NULL);
	free(text);
	tf_log_close_all();
	ASSERT_OK(close(fd));
}

/*
 * Under systemd, JOURNAL_STREAM names stderr's device and inode: lines get
 * sd-daemon(3) priority prefixes instead of the time. A JOURNAL_STREAM
 * that names another file (inherited, stderr redirected) changes nothing.
 */
TEST(journal_prefix)
{
	char errpath[PATH_MAX], env[64], *text;
	struct stat st;
	int errfd;

	setup();
	path_of(errpath, "stderr");
	errfd = open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT(errfd != -1);
	ASSERT(dup2(errfd, 2) == 2);
	ASSERT_OK(close(errfd));
	ASSERT_OK(fstat(2, &st));

	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
	ASSERT_OK(setenv("JOURNAL_STREAM", env, 1));
	open_dest(TF_STREAM_ERROR, TF_LOG_STDERR, NULL);
	tf_log_notice("not the journal");
	snprintf(env, sizeof(env), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	ASSERT_OK(setenv("JOURNAL_STREAM", env, 1));
	open_dest(TF_STREAM_ERROR, TF_LOG_STDERR, NULL);
	tf_log_notice("the journal");
	tf_log_error("an error");
	tf_log(TF_LOG_ALERT, "an alert");
	tf_log_warn("a warning");
	tf_log_info("some info");

	text = slurp(errpath);
	ASSERT(text != NULL);
	matches(text, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+Z \\[notice\\] "
	    "not the journal\n<5>\\[notice\\] the journal\n<3>\\[error\\] "
	    "an error\n<1>\\[alert\\] an alert\n<4>\\[warn\\] a warning\n"
	    "<6>\\[info\\] some info\n$");
	free(text);
}

TEST_MAIN(
	TEST_ENTRY(batches),
	TEST_ENTRY(reopen_keeps_descriptor),
	TEST_ENTRY(switch_keeps_descriptor),
	TEST_ENTRY(error_log_back_to_stderr),
	TEST_ENTRY(reopen_under_writers),
	TEST_ENTRY(syslog_rfc5424),
	TEST_ENTRY(syslog_devlog),
	TEST_ENTRY(syslog_lost_and_back),
	TEST_ENTRY(journal_prefix)
)
