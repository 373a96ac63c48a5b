/*
 * The diagnostic (error) log and the record outputs. Each line is built in
 * full and written with one write(2) on an O_APPEND descriptor, so lines
 * from several worker threads never interleave. A stream keeps its
 * descriptor number while the process runs; reopening the logs makes the
 * number refer to the new file (dup2), so a worker never writes to a number
 * that was closed and given to something else.
 *
 * A stream may go to syslog instead: each line is one datagram, sent by
 * tlsfloor itself (not syslog(3), which has one identity per process and
 * no remote targets) on a non-blocking socket, so that a slow or absent
 * receiver never holds up a worker. The error log on stderr under systemd
 * gets sd-daemon(3) "<N>" priority prefixes for the journal.
 */
#ifndef TF_LOG_H
#define TF_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct tf_log_dest;
struct tf_syslog_conf;

enum tf_log_level {
	TF_LOG_DEBUG = 0,
	TF_LOG_INFO,
	TF_LOG_NOTICE,
	TF_LOG_WARN,
	TF_LOG_ERROR,
	TF_LOG_ALERT,
};

enum tf_log_stream {
	TF_STREAM_ERROR = 0,
	TF_STREAM_LEGACY,
	TF_STREAM_ACCESS,
	TF_STREAM_COUNT,
};

/* The longest syslog datagram, header included; a longer one is cut. */
#define TF_LOG_SYSLOG_MAX 8192

/*
 * Opens the destination for a stream (a file is created 0640 and
 * appended to; a syslog destination gets a new socket, sending under the
 * facility and tag of sc), or reopens it, while other threads may be
 * writing to the stream. Called from one thread at a time (the control
 * thread). Returns 0, or -1 with a message in err and the stream
 * unchanged.
 */
int tf_log_open(enum tf_log_stream s, const struct tf_log_dest *d,
    const struct tf_syslog_conf *sc, char *err, size_t errlen);

/*
 * Opens PATH for appending: created 0640, and its folder (one level) 0750
 * when missing. Async-signal-safe. Returns a descriptor or -1 with errno.
 */
int tf_log_file_open(const char *path);

/*
 * Sets what tf_log_open() opens a file with: tf_log_file_open() unless
 * open_fn is given (the privileged log opener, privsep.h). NULL restores
 * the default. The control thread only.
 */
void tf_log_set_opener(int (*open_fn)(const char *path));

/*
 * Closes every stream's file (at exit): only once no other thread writes
 * logs. The error log goes to stderr again.
 */
void tf_log_close_all(void);

/*
 * Writes one diagnostic line: "TIME [level] message\n", or "<N>[level]
 * message\n" on the journal's stderr stream, or message alone to syslog.
 */
void tf_log(enum tf_log_level lvl, const char *fmt, ...) TF_PRINTF(2, 3);
void tf_logv(enum tf_log_level lvl, const char *fmt, va_list ap)
    TF_PRINTF(2, 0);

/* Writes one complete record line (already ending in '\n'), or adds it
 * to this thread's batch (tf_log_batch). */
void tf_log_record(enum tf_log_stream s, const char *line, size_t len);

/* Bytes of records a thread holds back per stream, at most. */
#define TF_LOG_BATCH 32768

/*
 * From now on, this thread's records wait in a batch until tf_log_flush()
 * (which a worker calls once per loop turn, before it waits for I/O) or
 * until the thread ends; diagnostics still go at once. 0, or -1 when out
 * of memory (records then go at once).
 */
int tf_log_batch(void);
void tf_log_flush(void);

/*
 * Records of the stream its file refused (full, over quota, I/O error), or
 * its syslog socket (no receiver, receiver's queue full), since the
 * start: tlsfloor_log_records_lost_total. Any thread.
 */
uint64_t tf_log_lost(enum tf_log_stream s);

/* Returns 1 when the stream goes anywhere. */
int tf_log_enabled(enum tf_log_stream s);

/*
 * Returns the descriptor the stream's lines are written to, or -1 when the
 * stream is off or goes to syslog. Once the stream has written to a file,
 * the number stays the same across tf_log_open() calls until
 * tf_log_close_all(). Not owned by the caller: the tests use it to check
 * where lines go across reopens.
 */
int tf_log_fd(enum tf_log_stream s);

/* Formats the current UTC time as RFC 3339 with milliseconds and 'Z'. */
void tf_log_time(char *out, size_t outlen);

/* Debug lines exist only in --enable-debug builds: hot paths stay quiet. */
#ifdef TF_DEBUG
#define tf_log_debug(...) tf_log(TF_LOG_DEBUG, __VA_ARGS__)
#else
#define tf_log_debug(...) do { } while (0)
#endif
#define tf_log_info(...) tf_log(TF_LOG_INFO, __VA_ARGS__)
#define tf_log_notice(...) tf_log(TF_LOG_NOTICE, __VA_ARGS__)
#define tf_log_warn(...) tf_log(TF_LOG_WARN, __VA_ARGS__)
#define tf_log_error(...) tf_log(TF_LOG_ERROR, __VA_ARGS__)

#endif
