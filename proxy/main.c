/*
 * tlsfloor: command line, start-up, signals. The main thread runs the
 * control loop: signals, reloads and the metrics server. Workers run the
 * connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "acceptor.h"
#include "admin.h"
#include "config.h"
#include "http1.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "privsep.h"
#include "runtime.h"
#include "shard.h"
#include "sockets.h"
#include "tickets.h"
#include "tls.h"
#include "worker.h"

#define DEFAULT_CONF TF_SYSCONFDIR "/tlsfloor/tlsfloor.conf"

struct tf_main {
	const char *conf_path;
	struct tf_runtime *rt;          /* the current generation (a ref) */
	struct tf_sockets socks;
	struct tf_shard *shards;        /* one per worker */
	struct tf_worker **workers;     /* each shard's worker */
	unsigned nworkers;
	struct tf_user as;              /* `user` as started (reloads keep
	                                   it); name NULL: none */
	uv_loop_t *loop;
	struct tf_mailbox mbox;         /* workers' answers */
	uv_signal_t sigs[4];
	struct tf_admin *admin;         /* the metrics server, or NULL */
	struct sockaddr_storage metrics_addr;
	struct tf_tickets *tickets;     /* ticket keys: every generation's */
	uv_timer_t tickets_timer;       /* rotates them */
	int stopping;
};

/* A reload on its way to the workers. */
struct rollout {
	struct tf_main *m;
	struct tf_runtime *rt;          /* a reference */
	struct tf_socket **binds;       /* the sockets of each bind */
	struct tf_socket *dropped;      /* sockets no bind uses any more */
	size_t nbinds;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsfloor [-c FILE]        run in the foreground\n"
	    "       tlsfloor -t [-c FILE]     check the configuration\n"
	    "       tlsfloor -V | --version   print versions\n"
	    "       tlsfloor -h | --help      this help\n"
	    "       tlsfloor report [--html OUT] [--json] [--since TIME] "
	    "LOG...\n"
	    "default FILE: %s\n", DEFAULT_CONF);
}

/*
 * `tlsfloor report ARGS...` is the program tlsfloor-report (report/); argv
 * is "report" and ARGS. The one in report/ next to this binary wins (the
 * build tree), else the installed one. Returns only when neither could be
 * run: 1, after naming the path tried.
 */
static int
exec_report(char **argv)
{
	static const char installed[] = TF_PKGLIBEXECDIR "/tlsfloor-report";
	char self[4096], built[4096 + 32];
	const char *path = installed;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && memchr(self, '/', (size_t)n) != NULL) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(built, sizeof(built), "%s/report/tlsfloor-report",
		    self);
		if (access(built, X_OK) == 0)
			path = built;
	}
	execv(path, argv);
	fprintf(stderr, "tlsfloor: report: %s: %s\n", path, strerror(errno));
	return 1;
}

static void
version(void)
{
	printf("tlsfloor %s\nlibuv %s\n%s\n%s\n", PACKAGE_VERSION,
	    uv_version_string(), tf_tls_library_version(),
	    tf_http_library_version());
}

/*
 * Reads the file and builds every runtime object: the same work for -t,
 * start-up and SIGHUP. Its listeners seal session tickets with tk, which
 * outlives every generation. Returns the new generation or NULL with err.
 */
static struct tf_runtime *
load(const char *path, struct tf_tickets *tk, char *err, size_t errlen)
{
	struct tf_config *cfg;
	struct tf_runtime *rt;

	cfg = tf_config_load(path, err, errlen);
	if (cfg == NULL)
		return NULL;
	if (tf_runtime_new(cfg, tk, &rt, err, errlen) != 0) {
		tf_config_free(cfg);
		return NULL;
	}
	return rt;
}

/*
 * Checks that every log file of cfg can be opened for appending, the way
 * the reopen will: through the log opener for the paths it keeps.
 */
static int
check_logs(const struct tf_config *cfg, char *err, size_t errlen)
{
	const struct tf_log_dest *d[] = { &cfg->error_log, &cfg->legacy_log,
		&cfg->access_log };
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(d); i++) {
		int fd;

		if (d[i]->kind != TF_LOG_FILE)
			continue;
		fd = tf_privsep_open_log(d[i]->path);
		if (fd == -1) {
			snprintf(err, errlen, "%s: cannot open: %s",
			    d[i]->path, strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}

static int
open_logs(const struct tf_config *cfg, char *err, size_t errlen)
{
	const struct tf_syslog_conf *sc = &cfg->syslog;

	if (tf_log_open(TF_STREAM_ERROR, &cfg->error_log, sc, err,
	    errlen) != 0 ||
	    tf_log_open(TF_STREAM_LEGACY, &cfg->legacy_log, sc, err,
	    errlen) != 0 ||
	    tf_log_open(TF_STREAM_ACCESS, &cfg->access_log, sc, err,
	    errlen) != 0)
		return -1;
	return 0;
}

/*
 * Reads the whole configuration again, now as the user the process runs
 * as: what a reload will do. Start-up and -t use it after becoming `user`,
 * so a key only root can read fails them as it would fail every reload.
 */
static int
check_as_user(struct tf_main *m, char *err, size_t errlen)
{
	struct tf_runtime *rt;
	size_t n;

	rt = load(m->conf_path, m->tickets, err, errlen);
	if (rt == NULL) {
		n = strlen(err);
		snprintf(err + n, errlen - n, " (read as user %s, as reloads "
		    "are)", m->as.name);
		return -1;
	}
	tf_runtime_unref(rt);
	return 0;
}

/*
 * Keeps root for the log files only (privsep.h), becomes `user`, and
 * checks that it can read what a reload reads. Nothing to do unless root
 * and the configuration names a user.
 */
static int
drop_privileges(struct tf_main *m, char *err, size_t errlen)
{
	if (m->as.name == NULL || geteuid() != 0)
		return 0;
	if (tf_privsep_start(m->rt->cfg, err, errlen) != 0 ||
	    tf_user_become(&m->as, err, errlen) != 0)
		return -1;
	return check_as_user(m, err, errlen);
}

/*
 * auto: one per CPU the process may run on (its affinity mask). Not
 * uv_cpu_info(), which reads /proc/stat and /proc/cpuinfo: the unit's
 * ProcSubset=pid hides them, and it would fail to one worker.
 */
static unsigned
worker_count(const struct tf_config *cfg)
{
	if (cfg->workers > 0)
		return cfg->workers;
	return uv_available_parallelism();
}

/* The sockets worker w accepts on for generation rt. */
static struct tf_assign *
assignment(struct tf_runtime *rt, struct tf_socket **binds, unsigned w)
{
	struct tf_assign *as;
	size_t i, j, k = 0;

	for (i = 0; i < rt->nlstns; i++)
		k += rt->lstns[i].conf->nbinds;
	as = tf_xcalloc(k + 1, sizeof(*as));
	k = 0;
	for (i = 0; i < rt->nlstns; i++) {
		for (j = 0; j < rt->lstns[i].conf->nbinds; j++, k++) {
			as[k].fd = binds[k]->fds[w];
			as[k].l = &rt->lstns[i];
		}
	}
	return as;
}

/* Logs "listening on" for the binds whose sockets the last sync opened. */
static void
announce(struct tf_runtime *rt, struct tf_socket **binds)
{
	size_t i, j, k = 0;

	for (i = 0; i < rt->nlstns; i++)
		for (j = 0; j < rt->lstns[i].conf->nbinds; j++, k++)
			if (binds[k]->fresh)
				tf_socket_announce(rt->lstns[i].conf->name,
				    binds[k]);
}

/*
 * Opens the metrics server cfg asks for without touching the running one.
 * *next is the running server when the address did not change, NULL when
 * cfg has no metrics, else a new server: the caller hands that one to
 * swap_metrics() or closes it. Returns 0, or -1 with err "FILE:LINE:
 * metrics ADDR: why" and nothing opened.
 */
static int
open_metrics(struct tf_main *m, const struct tf_config *cfg,
    struct tf_admin **next, char *err, size_t errlen)
{
	const struct sockaddr *sa = (const struct sockaddr *)&cfg->metrics_addr;
	char ip[64];
	uint16_t port;
	int r;

	*next = NULL;
	if (!cfg->has_metrics)
		return 0;
	if (m->admin != NULL && memcmp(&m->metrics_addr, &cfg->metrics_addr,
	    cfg->metrics_addrlen) == 0) {
		*next = m->admin;
		return 0;
	}
	r = tf_admin_open(m->loop, sa, next);
	if (r != 0) {
		tf_addr_format(sa, ip, sizeof(ip), &port);
		snprintf(err, errlen, "%s:%d: metrics %s:%u: %s",
		    cfg->metrics_where.file, cfg->metrics_where.line, ip,
		    (unsigned)port, uv_strerror(r));
		return -1;
	}
	return 0;
}

/* On each worker: serve the new generation on its sockets. */
static void
rollout_each(void *arg, struct tf_worker *w)
{
	struct rollout *ro = arg;
	struct tf_assign *as = assignment(ro->rt, ro->binds, w->id);

	tf_runtime_ref(ro->rt);
	tf_shard_adopt(w->data, ro->rt, as, ro->nbinds);
	free(as);
}

/* On the control thread, once every worker serves the new generation. */
static void
rollout_done(void *arg)
{
	struct rollout *ro = arg;
	struct tf_socket *s;

	tf_metrics_set_generation(ro->rt->generation);
	tf_log_notice("configuration %s reloaded: generation %llu",
	    ro->m->conf_path, (unsigned long long)ro->rt->generation);
	tf_notify_ready("generation %llu",
	    (unsigned long long)ro->rt->generation);
	while (ro->dropped != NULL) {   /* the workers closed their fds */
		s = ro->dropped;
		ro->dropped = s->next;
		tf_socket_free(s);
	}
	free(ro->binds);
	tf_runtime_unref(ro->rt);
	free(ro);
}

/*
 * Commits what open_metrics() gave for cfg: next becomes the metrics
 * server and the running one, unless it is next, is closed. Cannot fail.
 */
static void
swap_metrics(struct tf_main *m, const struct tf_config *cfg,
    struct tf_admin *next)
{
	char ip[64];
	uint16_t port;

	if (next == m->admin)
		return;
	tf_admin_close(m->admin);
	m->admin = next;
	if (next == NULL)
		return;
	memcpy(&m->metrics_addr, &cfg->metrics_addr, cfg->metrics_addrlen);
	tf_addr_format((const struct sockaddr *)&cfg->metrics_addr, ip,
	    sizeof(ip), &port);
	tf_log_notice("metrics: listening on %s:%u", ip,
	    (unsigned)tf_admin_port(next));
}

/*
 * SIGHUP: builds a whole new generation (file, certificates, keys, CA
 * files, sockets, the metrics server) and swaps it in only when all of it
 * worked. On failure the old generation and the old metrics server go on
 * serving, unchanged. The reload is logged once every worker has taken the
 * new generation.
 */
static void
reload(struct tf_main *m)
{
	struct tf_socket **binds = NULL, *dropped = NULL;
	struct tf_admin *admin;
	struct tf_runtime *rt;
	struct rollout *ro;
	char err[1024];
	int n;

	tf_notify_reloading();
	rt = load(m->conf_path, m->tickets, err, sizeof(err));
	if (rt == NULL)
		goto fail;
	if (check_logs(rt->cfg, err, sizeof(err)) != 0)
		goto fail_rt;
	/* Before the sockets: a successful sync is already committed. */
	if (open_metrics(m, rt->cfg, &admin, err, sizeof(err)) != 0)
		goto fail_rt;
	n = tf_sockets_sync(&m->socks, rt->cfg, &binds, &dropped, err,
	    sizeof(err));
	if (n < 0)
		goto fail_admin;

	/* Committed from here on. */
	if (worker_count(rt->cfg) != m->nworkers)
		tf_log_warn("reload: 'workers' takes effect at start; keeping "
		    "%u", m->nworkers);
	if ((rt->cfg->user == NULL) != (m->as.name == NULL) ||
	    (m->as.name != NULL && strcmp(rt->cfg->user, m->as.name) != 0))
		tf_log_warn("reload: 'user' takes effect at start; keeping "
		    "%s", m->as.name ? m->as.name : "the running user");
	if (open_logs(rt->cfg, err, sizeof(err)) != 0)
		tf_log_error("reload: %s", err);
	rt->generation = m->rt->generation + 1;
	announce(rt, binds);
	swap_metrics(m, rt->cfg, admin);
	tf_metrics_reload(1);
	ro = tf_xcalloc(1, sizeof(*ro));
	ro->m = m;
	ro->rt = rt;
	ro->binds = binds;
	ro->dropped = dropped;
	ro->nbinds = (size_t)n;
	tf_runtime_unref(m->rt);
	m->rt = rt;
	tf_runtime_ref(rt);             /* the rollout's */
	tf_workers_each(m->workers, m->nworkers, rollout_each, rollout_done,
	    &m->mbox, ro);
	return;
fail_admin:
	if (admin != m->admin)
		tf_admin_close(admin);
fail_rt:
	tf_runtime_unref(rt);
fail:
	tf_metrics_reload(0);
	tf_log_error("config reload failed: %s", err);
	tf_notify_ready("config reload failed: %s", err);
}

/*
 * Every TF_TICKETS_ROTATE_S: a new session ticket key, for every worker
 * and generation at once (they share the set). Tickets sealed with the
 * retired keys still resume for their lifetime (tickets.h).
 */
static void
tickets_timer_cb(uv_timer_t *t)
{
	struct tf_main *m = t->data;
	int r;

	r = tf_tickets_rotate(m->tickets);
	if (r != 0)
		tf_log_error("session ticket keys: cannot rotate: %s; the "
		    "current key goes on", strerror(-r));
}

static void
stop(struct tf_main *m, int signum)
{
	unsigned i;

	if (m->stopping)
		return;
	m->stopping = 1;
	tf_notify_stopping();
	tf_log_notice("signal %d: stopping; requests in flight have %llu ms",
	    signum, (unsigned long long)m->rt->cfg->shutdown_timeout_ms);
	for (i = 0; i < TF_ARRAY_SIZE(m->sigs); i++)
		uv_close((uv_handle_t *)&m->sigs[i], NULL);
	uv_close((uv_handle_t *)&m->tickets_timer, NULL);
	tf_admin_close(m->admin);
	m->admin = NULL;
	for (i = 0; i < m->nworkers; i++)
		tf_shard_stop(&m->shards[i]);
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct tf_main *m = s->data;
	char err[1024];

	switch (signum) {
	case SIGHUP:
		reload(m);
		break;
	case SIGUSR1:
		if (open_logs(m->rt->cfg, err, sizeof(err)) != 0)
			tf_log_error("reopening logs: %s", err);
		else
			tf_log_notice("logs reopened");
		break;
	default:
		stop(m, signum);
		break;
	}
}

/* Closes every listening socket (no worker accepts on them any more). */
static void
free_sockets(struct tf_main *m)
{
	while (m->socks.head != NULL) {
		struct tf_socket *s = m->socks.head;

		m->socks.head = s->next;
		tf_socket_free(s);
	}
}

static int
run(struct tf_main *m)
{
	static const int signums[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	struct tf_socket **binds = NULL, *dropped = NULL;
	const struct tf_config *cfg = m->rt->cfg;
	struct tf_admin *admin;
	char err[1024];
	unsigned i;
	size_t k;
	int n, r;

	if (open_logs(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tlsfloor: %s\n", err);
		return 1;
	}
	for (k = 0; k < cfg->nlisteners; k++) {
		if (!cfg->listeners[k].upstream_verify)
			tf_log_warn("listener %s: upstream-verify off: the "
			    "upstream's certificate is NOT checked (labs "
			    "only)", cfg->listeners[k].name);
	}
	m->nworkers = worker_count(cfg);
	m->socks.nworkers = m->nworkers;
	n = tf_sockets_sync(&m->socks, cfg, &binds, &dropped, err,
	    sizeof(err));
	if (n < 0)
		goto fail;
	m->loop = uv_default_loop();
	if (open_metrics(m, cfg, &admin, err, sizeof(err)) != 0)
		goto fail;
	swap_metrics(m, cfg, admin);
	if (drop_privileges(m, err, sizeof(err)) != 0)
		goto fail;
	for (i = 0; i < TF_ARRAY_SIZE(signums); i++) {
		m->sigs[i].data = m;
		uv_signal_init(m->loop, &m->sigs[i]);
		uv_signal_start(&m->sigs[i], signal_cb, signums[i]);
	}
	m->tickets_timer.data = m;
	uv_timer_init(m->loop, &m->tickets_timer);
	uv_timer_start(&m->tickets_timer, tickets_timer_cb,
	    TF_TICKETS_ROTATE_S * 1000ULL, TF_TICKETS_ROTATE_S * 1000ULL);
	m->rt->generation = 1;
	tf_metrics_set_generation(1);
	if ((r = tf_mailbox_init(&m->mbox, m->loop, 1)) != 0) {
		snprintf(err, sizeof(err), "cannot start: %s", uv_strerror(r));
		goto fail;
	}
	m->shards = tf_xcalloc(m->nworkers, sizeof(*m->shards));
	m->workers = tf_xcalloc(m->nworkers, sizeof(*m->workers));
	for (i = 0; i < m->nworkers; i++) {
		struct tf_assign *as = assignment(m->rt, binds, i);

		tf_runtime_ref(m->rt);
		r = tf_shard_start(&m->shards[i], i, m->rt, as, (size_t)n);
		free(as);
		if (r != 0) {
			snprintf(err, sizeof(err), "cannot start worker %u: %s",
			    i, uv_strerror(r));
			goto fail;
		}
		m->workers[i] = &m->shards[i].w;
	}
	announce(m->rt, binds);
	free(binds);
	tf_log_notice("tlsfloor %s started: %u workers, configuration %s",
	    PACKAGE_VERSION, m->nworkers, m->conf_path);
	tf_notify_ready("generation 1");

	uv_run(m->loop, UV_RUN_DEFAULT);

	for (i = 0; i < m->nworkers; i++)
		tf_shard_join(&m->shards[i]);
	/* Answers the workers sent while stopping. */
	tf_mailbox_close(&m->mbox);
	uv_run(m->loop, UV_RUN_DEFAULT);
	tf_mailbox_destroy(&m->mbox);
	free(m->shards);
	free(m->workers);
	free_sockets(m);
	tf_log_notice("stopped");
	uv_loop_close(m->loop);
	return 0;
fail:
	tf_log(TF_LOG_ALERT, "%s", err);
	fprintf(stderr, "tlsfloor: %s\n", err);
	free(binds);
	/* Before any worker ran, nothing else holds the sockets. */
	if (m->shards == NULL)
		free_sockets(m);
	return 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tf_main m;
	char err[1024];
	int test = 0, opt, r;

	/* "report" is a command of its own, with its own options. */
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return exec_report(argv + 1);
	memset(&m, 0, sizeof(m));
	m.conf_path = DEFAULT_CONF;
	while ((opt = getopt_long(argc, argv, "c:htV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			m.conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 't':
			test = 1;
			break;
		case 'V':
			version();
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	/* -t builds the same contexts, tickets included. */
	r = tf_tickets_new(&m.tickets);
	if (r != 0) {
		fprintf(stderr, "tlsfloor: session ticket keys: %s\n",
		    strerror(-r));
		return 1;
	}
	m.rt = load(m.conf_path, m.tickets, err, sizeof(err));
	if (m.rt == NULL) {
		fprintf(stderr, "tlsfloor: %s\n", err);
		tf_tickets_free(m.tickets);
		return 1;
	}
	/* -t reads the files as `user` too: reloads will. */
	r = tf_user_find(m.rt->cfg, &m.as, err, sizeof(err));
	if (r == 1 && test && geteuid() == 0 &&
	    (tf_user_become(&m.as, err, sizeof(err)) != 0 ||
	    check_as_user(&m, err, sizeof(err)) != 0))
		r = -1;
	if (r == -1 || test) {
		if (r == -1)
			fprintf(stderr, "tlsfloor: %s\n", err);
		else
			printf("tlsfloor: configuration %s is valid\n",
			    m.conf_path);
		free(m.as.name);
		tf_runtime_unref(m.rt);
		tf_tickets_free(m.tickets);
		return r == -1;
	}
	r = run(&m);
	tf_runtime_unref(m.rt);
	free(m.as.name);
	/* After a clean stop the workers are joined and every generation
	 * went with its last connection: no TLS context uses the keys any
	 * more; nor before any worker started. After a start that failed
	 * later, a worker may still run: the keys then go with the
	 * process. */
	if (r == 0 || m.shards == NULL)
		tf_tickets_free(m.tickets);
	tf_log_close_all();
	return r;
}
