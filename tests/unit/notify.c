/*
 * Unit tests for proxy/notify.c: the $NOTIFY_SOCKET forms (path,
 * abstract, refused), the message text (a newline in STATUS= cannot add
 * an assignment; a long one is cut, not overrun), and the datagrams the
 * three messages send to an abstract socket of the test's own.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "test.h"

TEST(addr_path)
{
	struct sockaddr_un sa;
	socklen_t len;

	ASSERT_OK(tf_notify_addr("/run/systemd/notify", &sa, &len));
	ASSERT_EQ(sa.sun_family, AF_UNIX);
	ASSERT_STR_EQ(sa.sun_path, "/run/systemd/notify");
	ASSERT_EQ(len, offsetof(struct sockaddr_un, sun_path) +
	    strlen("/run/systemd/notify") + 1);
}

TEST(addr_abstract)
{
	struct sockaddr_un sa;
	socklen_t len;

	/* The '@' becomes the leading NUL; no NUL ends the name. */
	ASSERT_OK(tf_notify_addr("@tf/notify", &sa, &len));
	ASSERT_EQ(sa.sun_path[0], '\0');
	ASSERT(memcmp(sa.sun_path + 1, "tf/notify", 9) == 0);
	ASSERT_EQ(len, offsetof(struct sockaddr_un, sun_path) + 10);
}

TEST(addr_refused)
{
	char big[200];
	struct sockaddr_un sa;
	socklen_t len;

	ASSERT_EQ(tf_notify_addr("", &sa, &len), -EAFNOSUPPORT);
	ASSERT_EQ(tf_notify_addr("@", &sa, &len), -EAFNOSUPPORT);
	ASSERT_EQ(tf_notify_addr("run/notify", &sa, &len), -EAFNOSUPPORT);
	ASSERT_EQ(tf_notify_addr("vsock:2:1234", &sa, &len), -EAFNOSUPPORT);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	ASSERT_EQ(tf_notify_addr(big, &sa, &len), -ENAMETOOLONG);
	/* 107 bytes and the NUL fit sun_path exactly. */
	big[sizeof(sa.sun_path) - 1] = '\0';
	ASSERT_OK(tf_notify_addr(big, &sa, &len));
}

TEST(format_status)
{
	char buf[128];
	size_t n;

	n = tf_notify_format(buf, sizeof(buf), "READY=1\nMAINPID=7",
	    "generation 2");
	ASSERT_STR_EQ(buf, "READY=1\nMAINPID=7\nSTATUS=generation 2");
	ASSERT_EQ(n, strlen(buf));
	/* The head's lines stay; the status's become blanks. */
	tf_notify_format(buf, sizeof(buf), "READY=1",
	    "config reload failed: a\nSTOPPING=1");
	ASSERT_STR_EQ(buf, "READY=1\nSTATUS=config reload failed: a STOPPING=1");
}

TEST(format_cut)
{
	char buf[16];
	size_t n;

	memset(buf, 'x', sizeof(buf));
	n = tf_notify_format(buf, 12, "READY=1", "generation 3");
	ASSERT_EQ(n, 11);
	ASSERT_STR_EQ(buf, "READY=1\nSTA");
	ASSERT_EQ(buf[12], 'x');
	ASSERT_EQ(tf_notify_format(buf, 0, "READY=1", "s"), 0);
	ASSERT_EQ(buf[0], 'R');
}

/* Binds an abstract datagram socket and points $NOTIFY_SOCKET at it. */
static int
listen_notify(void)
{
	char name[64];
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	snprintf(name, sizeof(name), "@tlsfloor-test-notify-%ld",
	    (long)getpid());
	ASSERT_OK(tf_notify_addr(name, &sa, &len));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ASSERT(fd >= 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sa, len));
	ASSERT_OK(setenv("NOTIFY_SOCKET", name, 1));
	return fd;
}

static void
recv_msg(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	ASSERT(n > 0);
	buf[n] = '\0';
}

TEST(sends)
{
	char buf[2048], want[64];
	int fd = listen_notify();

	tf_notify_ready("generation %d", 1);
	recv_msg(fd, buf, sizeof(buf));
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld\nSTATUS=generation 1",
	    (long)getpid());
	ASSERT_STR_EQ(buf, want);

	tf_notify_reloading();
	recv_msg(fd, buf, sizeof(buf));
	ASSERT(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	ASSERT(strtoull(buf + 27, NULL, 10) > 0);
	ASSERT(strstr(buf, "\nSTATUS=reloading") != NULL);

	tf_notify_stopping();
	recv_msg(fd, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "STOPPING=1\nSTATUS=stopping");
	close(fd);
}

TEST(long_status_sent)
{
	char buf[4096], err[1024];
	int fd = listen_notify();

	/* As long as the longest reload error: cut, still one datagram. */
	memset(err, 'e', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	tf_notify_ready("config reload failed: f:1: %s", err);
	recv_msg(fd, buf, sizeof(buf));
	ASSERT(strstr(buf, "\nSTATUS=config reload failed: f:1: eee") != NULL);
	close(fd);
}

TEST(no_socket_no_message)
{
	ASSERT_OK(unsetenv("NOTIFY_SOCKET"));
	tf_notify_ready("generation 1");
	tf_notify_reloading();
	tf_notify_stopping();
}

TEST_MAIN(
	TEST_ENTRY(addr_path),
	TEST_ENTRY(addr_abstract),
	TEST_ENTRY(addr_refused),
	TEST_ENTRY(format_status),
	TEST_ENTRY(format_cut),
	TEST_ENTRY(sends),
	TEST_ENTRY(long_status_sent),
	TEST_ENTRY(no_socket_no_message)
)
