/*
 * The privilege drop and the log opener (privsep.h). autoconf.h comes
 * first: close_range(2) is a GNU extension of <unistd.h>.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "privsep.h"

/* The log paths the opener serves (a request is an index) and its socket. */
static char *paths[3];
static size_t npaths;
static int opener_fd = -1;

/* How long the control thread waits for the opener before giving up. */
#define OPENER_TIMEOUT_S 5

int
tf_user_find(const struct tf_config *cfg, struct tf_user *u, char *err,
    size_t errlen)
{
	struct passwd *pw;

	if (cfg->user == NULL)
		return 0;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		snprintf(err, errlen, "%s:%d: user %s: %s",
		    cfg->user_where.file, cfg->user_where.line, cfg->user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->name = tf_xstrdup(cfg->user);
	return 1;
}

int
tf_user_become(const struct tf_user *u, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) != 0 || initgroups(u->name, u->gid) != 0 ||
	    setgid(u->gid) != 0 || setuid(u->uid) != 0) {
		snprintf(err, errlen, "cannot become %s: %s", u->name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Sends the outcome of one open: errno (0 on success) and, on success,
 * the descriptor. Returns -1 when the daemon is gone.
 */
static int
reply(int sock, int fd, int e)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	int32_t code = e;
	struct iovec iov = { &code, sizeof(code) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd != -1) {
		memset(ctl, 0, sizeof(ctl));
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == -1 ? -1 : 0;
}

/*
 * The opener: forked from a process that may have threads, so only
 * async-signal-safe calls from here on. It keeps the socket and the three
 * standard descriptors (on /dev/null), nothing else, and ends when the
 * daemon does: the socket reads end of file, or the kernel's parent-death
 * signal, should the daemon be killed outright. The signals operators
 * send to every tlsfloor (pkill -USR1 after logrotate, a terminal's ^C,
 * systemd's SIGTERM to the whole unit) are the daemon's business: ignored.
 */
static void __attribute__((noreturn))
opener_main(int sock, pid_t daemon)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1,
		SIGUSR2, SIGPIPE, SIGQUIT };
	struct sigaction sa;
	sigset_t none;
	uint32_t i;
	size_t k;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (k = 0; k < TF_ARRAY_SIZE(ignored); k++)
		(void)sigaction(ignored[k], &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_NAME, "tlsfloor-logs", 0, 0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != daemon)
		_exit(0);
	fd = open("/dev/null", O_RDWR);
	if (fd != -1) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
	}
	if (sock != 3 && (dup2(sock, 3) == -1 || fcntl(3, F_SETFD, 0) == -1))
		_exit(1);
	(void)close_range(4, ~0U, 0);
	for (;;) {
		ssize_t n = recv(3, &i, sizeof(i), 0);

		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(i))
			_exit(0);
		if (i >= npaths) {
			fd = -1;
			errno = EINVAL;
		} else {
			fd = tf_log_file_open(paths[i]);
		}
		if (reply(3, fd, fd == -1 ? errno : 0) != 0)
			_exit(0);
		if (fd != -1)
			close(fd);
	}
}

int
tf_privsep_start(const struct tf_config *cfg, char *err, size_t errlen)
{
	const struct tf_log_dest *d[] = { &cfg->error_log, &cfg->legacy_log,
		&cfg->access_log };
	struct timeval tv = { OPENER_TIMEOUT_S, 0 };
	pid_t daemon = getpid(), pid;
	int sv[2];
	size_t i;

	TF_ASSERT(opener_fd == -1);
	for (i = 0; i < TF_ARRAY_SIZE(d); i++)
		if (d[i]->kind == TF_LOG_FILE)
			paths[npaths++] = tf_xstrdup(d[i]->path);
	if (npaths == 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "log opener: socketpair: %s",
		    strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "log opener: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		opener_main(sv[1], daemon);
	close(sv[1]);
	/* A stopped or wedged opener must not hang the control loop. */
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	opener_fd = sv[0];
	tf_log_set_opener(tf_privsep_open_log);
	return 0;
}

/* Asks the opener for paths[i]. Returns a descriptor or -1 with errno. */
static int
ask(uint32_t i)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	int32_t code;
	struct iovec iov = { &code, sizeof(code) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n = -1;
	int fd = -1;

	if (send(opener_fd, &i, sizeof(i), MSG_NOSIGNAL) != (ssize_t)sizeof(i))
		goto gone;
	do
		n = recvmsg(opener_fd, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(code))
		goto gone;
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (code == 0 && fd != -1)
		return fd;
	if (fd != -1)
		close(fd);
	errno = code != 0 ? code : EPROTO;
	return -1;
gone:
	/* Without its opener the daemon can still open what the user may. */
	tf_log_error("log opener: %s; logs are opened as the running user "
	    "from now on", n == 0 ? "gone" : strerror(errno));
	close(opener_fd);
	opener_fd = -1;
	return -1;
}

int
tf_privsep_open_log(const char *path)
{
	uint32_t i;
	int fd;

	for (i = 0; opener_fd != -1 && i < npaths; i++) {
		if (strcmp(paths[i], path) != 0)
			continue;
		fd = ask(i);
		if (fd != -1 || opener_fd != -1)
			return fd;
		break;
	}
	return tf_log_file_open(path);
}
