#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "tls.h"
#include "worker.h"

static _Atomic uint64_t conn_ids;

uint64_t
tf_worker_next_id(void)
{
	return atomic_fetch_add(&conn_ids, 1) + 1;
}

static char *
xasprintf(const char *fmt, ...) TF_PRINTF(1, 2);

static char *
xasprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	TF_ASSERT(n >= 0 && (size_t)n < sizeof(buf));
	return tf_xstrdup(buf);
}

int
tf_runtime_new(struct tf_config *cfg, struct tf_runtime **out, char *err,
    size_t errlen)
{
	struct tf_runtime *rt = tf_xcalloc(1, sizeof(*rt));
	size_t i;

	rt->cfg = cfg;
	rt->lstns = tf_xcalloc(cfg->nlisteners, sizeof(*rt->lstns));
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct tf_listener_conf *lc = &cfg->listeners[i];
		struct tf_lstn *l = &rt->lstns[i];
		int v6 = strchr(lc->upstream_host, ':') != NULL;
		const char *name = lc->upstream_sni ? lc->upstream_sni :
		    lc->upstream_host;

		rt->nlstns++;
		l->conf = lc;
		if (tf_tls_server_new(lc, &l->server, err, errlen) != 0 ||
		    tf_tls_client_new(lc, &l->client, err, errlen) != 0) {
			tf_runtime_free(rt);
			return -1;
		}
		l->upstream_port = xasprintf("%u", lc->upstream_port);
		l->upstream_name = xasprintf(v6 ? "[%s]:%u" : "%s:%u",
		    lc->upstream_host, lc->upstream_port);
		if (lc->upstream_port == 443)
			l->host_header = xasprintf(v6 ? "[%s]" : "%s",
			    lc->upstream_host);
		else
			l->host_header = tf_xstrdup(l->upstream_name);
		l->sni = name;
		l->verify_name = name;
	}
	*out = rt;
	return 0;
}

void
tf_runtime_free(struct tf_runtime *rt)
{
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->nlstns; i++) {
		struct tf_lstn *l = &rt->lstns[i];

		tf_tls_server_free(l->server);
		tf_tls_client_free(l->client);
		free(l->upstream_port);
		free(l->upstream_name);
		free(l->host_header);
	}
	free(rt->lstns);
	free(rt);
}

static void
wake_cb(uv_async_t *a)
{
	struct tf_worker *w;

	TF_CAST_OBJ(w, a->data, TF_WORKER_MAGIC);
	w->stopping = 1;
	tf_listener_stop(w);
	while (w->conns != NULL)
		tf_conn_close(w->conns, "stopping");
	uv_close((uv_handle_t *)&w->wake, NULL);
}

static void
worker_main(void *arg)
{
	struct tf_worker *w = arg;
	int r;

	r = tf_listener_start(w);
	if (r != 0) {
		tf_log(TF_LOG_ALERT, "worker %u: cannot listen: %s", w->id,
		    uv_strerror(r));
		wake_cb(&w->wake);
	}
	uv_run(&w->loop, UV_RUN_DEFAULT);
}

int
tf_worker_start(struct tf_worker *w, unsigned id, struct tf_runtime *rt,
    int *fds, size_t nfds)
{
	size_t i, j, k = 0;
	int r;

	memset(w, 0, sizeof(*w));
	w->magic = TF_WORKER_MAGIC;
	w->id = id;
	w->rt = rt;
	w->fds = fds;
	w->nacceptors = nfds;
	w->acceptors = tf_xcalloc(nfds, sizeof(*w->acceptors));
	for (i = 0; i < rt->nlstns; i++) {
		for (j = 0; j < rt->lstns[i].conf->nbinds; j++, k++) {
			w->acceptors[k].w = w;
			w->acceptors[k].l = &rt->lstns[i];
		}
	}
	TF_ASSERT(k == nfds);
	r = uv_loop_init(&w->loop);
	if (r != 0)
		return r;
	w->wake.data = w;
	r = uv_async_init(&w->loop, &w->wake, wake_cb);
	if (r != 0)
		return r;
	return uv_thread_create(&w->thread, worker_main, w);
}

void
tf_worker_stop(struct tf_worker *w)
{
	uv_async_send(&w->wake);
	uv_thread_join(&w->thread);
	TF_ASSERT(uv_loop_close(&w->loop) == 0);
	free(w->acceptors);
	w->magic = 0;
}
