/*
 * tlsfloor: command line, start-up, signals. The main thread runs the
 * control loop (signals only); workers run the connections.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "config.h"
#include "http1.h"
#include "listener.h"
#include "log.h"
#include "tls.h"
#include "worker.h"

#define DEFAULT_CONF TF_SYSCONFDIR "/tlsfloor/tlsfloor.conf"

struct tf_main {
	const char *conf_path;
	struct tf_config *cfg;
	struct tf_runtime *rt;
	struct tf_worker *workers;
	unsigned nworkers;
	uv_loop_t *loop;
	uv_signal_t sigs[4];
	int stopping;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsfloor [-c FILE]        run in the foreground\n"
	    "       tlsfloor -t [-c FILE]     check the configuration\n"
	    "       tlsfloor -V | --version   print versions\n"
	    "       tlsfloor -h | --help      this help\n"
	    "default FILE: %s\n", DEFAULT_CONF);
}

static void
version(void)
{
	printf("tlsfloor %s\nlibuv %s\n%s\n%s\n", PACKAGE_VERSION,
	    uv_version_string(), tf_tls_library_version(),
	    tf_http_library_version());
}

/* Loads the file and builds every runtime object, as a reload would. */
static int
load(const char *path, struct tf_config **cfg, struct tf_runtime **rt,
    char *err, size_t errlen)
{
	*cfg = tf_config_load(path, err, errlen);
	if (*cfg == NULL)
		return -1;
	if (tf_runtime_new(*cfg, rt, err, errlen) != 0) {
		tf_config_free(*cfg);
		*cfg = NULL;
		return -1;
	}
	return 0;
}

static int
open_logs(const struct tf_config *cfg, char *err, size_t errlen)
{
	if (tf_log_open(TF_STREAM_ERROR, &cfg->error_log, err, errlen) != 0 ||
	    tf_log_open(TF_STREAM_LEGACY, &cfg->legacy_log, err, errlen) != 0 ||
	    tf_log_open(TF_STREAM_ACCESS, &cfg->access_log, err, errlen) != 0)
		return -1;
	return 0;
}

static int
drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL || geteuid() != 0)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (setgroups(0, NULL) != 0 || initgroups(user, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct tf_main *m = s->data;
	char err[1024];
	size_t i;

	switch (signum) {
	case SIGHUP:
		tf_log_warn("SIGHUP: reload is not supported yet; "
		    "configuration unchanged");
		break;
	case SIGUSR1:
		if (open_logs(m->cfg, err, sizeof(err)) != 0)
			tf_log_error("reopening logs: %s", err);
		else
			tf_log_notice("logs reopened");
		break;
	default:
		if (m->stopping)
			break;
		m->stopping = 1;
		tf_log_notice("signal %d: stopping", signum);
		for (i = 0; i < TF_ARRAY_SIZE(m->sigs); i++)
			uv_close((uv_handle_t *)&m->sigs[i], NULL);
		break;
	}
}

static unsigned
worker_count(const struct tf_config *cfg)
{
	uv_cpu_info_t *cpus;
	int n = 1;

	if (cfg->workers > 0)
		return cfg->workers;
	if (uv_cpu_info(&cpus, &n) == 0)
		uv_free_cpu_info(cpus, n);
	return n > 0 ? (unsigned)n : 1;
}

static int
run(struct tf_main *m)
{
	static const int signums[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	char err[1024];
	int *fds = NULL, nbinds;
	unsigned i;
	size_t k;

	if (open_logs(m->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tlsfloor: %s\n", err);
		return 1;
	}
	for (k = 0; k < m->cfg->nlisteners; k++) {
		const struct tf_listener_conf *lc = &m->cfg->listeners[k];

		if (!lc->upstream_verify)
			tf_log_warn("listener %s: upstream-verify off: the "
			    "upstream's certificate is NOT checked (labs "
			    "only)", lc->name);
	}
	m->nworkers = worker_count(m->cfg);
	nbinds = tf_listener_open(m->cfg, m->nworkers, &fds, err, sizeof(err));
	if (nbinds < 0) {
		tf_log(TF_LOG_ALERT, "%s", err);
		fprintf(stderr, "tlsfloor: %s\n", err);
		return 1;
	}
	if (drop_privileges(m->cfg->user, err, sizeof(err)) != 0) {
		tf_log(TF_LOG_ALERT, "%s", err);
		fprintf(stderr, "tlsfloor: %s\n", err);
		return 1;
	}
	m->loop = uv_default_loop();
	for (i = 0; i < TF_ARRAY_SIZE(signums); i++) {
		m->sigs[i].data = m;
		uv_signal_init(m->loop, &m->sigs[i]);
		uv_signal_start(&m->sigs[i], signal_cb, signums[i]);
	}
	m->workers = tf_xcalloc(m->nworkers, sizeof(*m->workers));
	for (i = 0; i < m->nworkers; i++) {
		int *wfds = tf_xcalloc((size_t)nbinds + 1, sizeof(int));
		int r;

		for (k = 0; k < (size_t)nbinds; k++)
			wfds[k] = fds[k * m->nworkers + i];
		r = tf_worker_start(&m->workers[i], i, m->rt, wfds,
		    (size_t)nbinds);
		if (r != 0) {
			tf_log(TF_LOG_ALERT, "cannot start worker %u: %s", i,
			    uv_strerror(r));
			exit(1);
		}
	}
	tf_listener_announce(m->cfg, fds, m->nworkers);
	tf_log_notice("tlsfloor %s started: %u workers, configuration %s",
	    PACKAGE_VERSION, m->nworkers, m->conf_path);

	uv_run(m->loop, UV_RUN_DEFAULT);

	for (i = 0; i < m->nworkers; i++) {
		int *wfds = m->workers[i].fds;

		tf_worker_stop(&m->workers[i]);
		free(wfds);
	}
	free(m->workers);
	free(fds);
	tf_log_notice("stopped");
	uv_loop_close(m->loop);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tf_main m;
	char err[1024];
	int test = 0, i, r;

	memset(&m, 0, sizeof(m));
	m.conf_path = DEFAULT_CONF;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-V") == 0 ||
		    strcmp(a, "--version") == 0) {
			version();
			return 0;
		} else if (strcmp(a, "-t") == 0) {
			test = 1;
		} else if (strcmp(a, "-c") == 0 && i + 1 < argc) {
			m.conf_path = argv[++i];
		} else if (strcmp(a, "report") == 0 && i == 1) {
			fprintf(stderr, "tlsfloor: report is not supported "
			    "yet\n");
			return 1;
		} else {
			usage(stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);

	if (load(m.conf_path, &m.cfg, &m.rt, err, sizeof(err)) != 0) {
		fprintf(stderr, "tlsfloor: %s\n", err);
		return 1;
	}
	if (test) {
		printf("tlsfloor: configuration %s is valid\n", m.conf_path);
		tf_runtime_free(m.rt);
		tf_config_free(m.cfg);
		return 0;
	}
	r = run(&m);
	tf_runtime_free(m.rt);
	tf_config_free(m.cfg);
	tf_log_close_all();
	return r;
}
