/*
 * The service manager's readiness protocol (sd_notify(3)): one datagram
 * of "NAME=value" lines to the AF_UNIX socket $NOTIFY_SOCKET names. Under
 * Type=notify, systemd takes the service as started at READY=1, shows
 * STATUS= in `systemctl status`, and knows a reload from RELOADING=1 to
 * the next READY=1. Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef TF_NOTIFY_H
#define TF_NOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"

/*
 * Fills sa from a $NOTIFY_SOCKET value: an absolute path, or "@name" for
 * an abstract socket. Returns 0 with *salen set, -EAFNOSUPPORT for any
 * other form (systemd's "vsock:" included) or -ENAMETOOLONG.
 */
int tf_notify_addr(const char *name, struct sockaddr_un *sa,
    socklen_t *salen) TF_WARN_UNUSED;

/*
 * Writes "HEAD\nSTATUS=status" into buf, NUL-terminated and cut to fit
 * size; a newline in status, which would start another assignment,
 * becomes a blank. Returns the length written.
 */
size_t tf_notify_format(char *buf, size_t size, const char *head,
    const char *status);

/* READY=1 with MAINPID= and STATUS=: serving, at start or after a reload. */
void tf_notify_ready(const char *fmt, ...) TF_PRINTF(1, 2);

/* RELOADING=1 with MONOTONIC_USEC=: a SIGHUP reload has begun. */
void tf_notify_reloading(void);

/* STOPPING=1: a graceful stop has begun. */
void tf_notify_stopping(void);

#endif
