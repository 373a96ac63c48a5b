#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fingerprints.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
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

static void
runtime_free(struct tf_runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->nlstns; i++) {
		struct tf_lstn *l = &rt->lstns[i];

		size_t j;

		tf_tls_server_free(l->server);
		tf_tls_client_free(l->client);
		for (j = 0; j < l->ntargets; j++) {
			free(l->targets[j].port_text);
			free(l->targets[j].name);
			free(l->targets[j].host_header);
		}
		free(l->targets);
	}
	free(rt->lstns);
	tf_fingerprints_free(rt->fp);
	tf_config_free(rt->cfg);
	free(rt);
}

/* Fills a target for HOST:PORT; sni NULL: the host's own name. */
static void
target_init(struct tf_target *t, const char *host, uint16_t port,
    const char *sni)
{
	int v6 = strchr(host, ':') != NULL;

	t->host = host;
	t->port = port;
	t->port_text = xasprintf("%u", port);
	t->name = xasprintf(v6 ? "[%s]:%u" : "%s:%u", host, port);
	if (port == 443)
		t->host_header = xasprintf(v6 ? "[%s]" : "%s", host);
	else
		t->host_header = tf_xstrdup(t->name);
	t->sni = sni ? sni : host;
}

int
tf_runtime_new(struct tf_config *cfg, struct tf_runtime **out, char *err,
    size_t errlen)
{
	struct tf_runtime *rt = tf_xcalloc(1, sizeof(*rt));
	size_t i;

	rt->lstns = tf_xcalloc(cfg->nlisteners, sizeof(*rt->lstns));
	atomic_init(&rt->refs, 1);
	rt->fp = cfg->fingerprints ? tf_fingerprints_load(cfg->fingerprints,
	    err, errlen) : tf_fingerprints_builtin();
	if (rt->fp == NULL) {
		free(rt->lstns);
		free(rt);
		return -1;
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct tf_listener_conf *lc = &cfg->listeners[i];
		struct tf_lstn *l = &rt->lstns[i];
		size_t j;

		rt->nlstns++;
		l->conf = lc;
		l->rt = rt;
		l->m = tf_metrics_listener(lc->name);
		if (tf_tls_server_new(lc, &l->server, err, errlen) != 0 ||
		    tf_tls_client_new(lc, &l->client, err, errlen) != 0) {
			rt->cfg = NULL; /* not ours on failure */
			runtime_free(rt);
			return -1;
		}
		l->targets = tf_xcalloc(lc->nroutes + 1, sizeof(*l->targets));
		l->ntargets = lc->nroutes + 1;
		target_init(&l->targets[0], lc->upstream_host,
		    lc->upstream_port, lc->upstream_sni);
		for (j = 0; j < lc->nroutes; j++) {
			const struct tf_route_conf *r = &lc->routes[j];

			target_init(&l->targets[j + 1], r->host, r->port, NULL);
			l->targets[j + 1].names = r->names;
			l->targets[j + 1].nnames = r->nnames;
		}
	}
	rt->cfg = cfg;
	*out = rt;
	return 0;
}

void
tf_runtime_ref(struct tf_runtime *rt)
{
	atomic_fetch_add(&rt->refs, 1);
}

void
tf_runtime_unref(struct tf_runtime *rt)
{
	if (rt != NULL && atomic_fetch_sub(&rt->refs, 1) == 1)
		runtime_free(rt);
}

static void
stop_timer_cb(uv_timer_t *t)
{
	struct tf_worker *w = t->data;

	if (w->conns != NULL)
		tf_log_notice("worker %u: shutdown-timeout: closing the "
		    "connections left", w->id);
	while (w->conns != NULL)
		tf_conn_close(w->conns, "shutdown-timeout");
	uv_close((uv_handle_t *)&w->stop_timer, NULL);
}

void
tf_worker_conn_gone(struct tf_worker *w)
{
	if (w->stopping && w->conns == NULL &&
	    !uv_is_closing((uv_handle_t *)&w->stop_timer))
		stop_timer_cb(&w->stop_timer);
}

static void
begin_stop(struct tf_worker *w)
{
	struct tf_conn *c, *next;

	w->stopping = 1;
	tf_listener_stop(w);
	tf_upstream_pool_close_all(w);
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		tf_conn_stop(c);
	}
	uv_close((uv_handle_t *)&w->wake, NULL);
	if (w->conns == NULL)
		uv_close((uv_handle_t *)&w->stop_timer, NULL);
	else
		uv_timer_start(&w->stop_timer, stop_timer_cb,
		    w->rt->cfg->shutdown_timeout_ms, 0);
}

static void
wake_cb(uv_async_t *a)
{
	struct tf_worker *w;
	struct tf_runtime *rt, *old;
	struct tf_assign *as;
	size_t n;
	int stop;

	TF_CAST_OBJ(w, a->data, TF_WORKER_MAGIC);
	uv_mutex_lock(&w->lock);
	rt = w->next_rt;
	as = w->next_assign;
	n = w->next_nassign;
	stop = w->stop_requested;
	w->next_rt = NULL;
	w->next_assign = NULL;
	uv_mutex_unlock(&w->lock);

	if (rt != NULL) {
		old = w->rt;
		w->rt = rt;
		if (!w->stopping)
			tf_listener_apply(w, as, n);
		tf_runtime_unref(old);
		free(as);
	}
	if (stop && !w->stopping)
		begin_stop(w);
}

static void
worker_main(void *arg)
{
	struct tf_worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
}

int
tf_worker_start(struct tf_worker *w, unsigned id, struct tf_runtime *rt,
    struct tf_assign *as, size_t n)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->magic = TF_WORKER_MAGIC;
	w->id = id;
	w->rt = rt;
	r = uv_mutex_init(&w->lock);
	if (r == 0)
		r = uv_loop_init(&w->loop);
	if (r != 0)
		return r;
	w->wake.data = w;
	w->stop_timer.data = w;
	uv_timer_init(&w->loop, &w->stop_timer);
	w->pool_timer.data = w;
	uv_timer_init(&w->loop, &w->pool_timer);
	r = uv_async_init(&w->loop, &w->wake, wake_cb);
	if (r != 0)
		return r;
	r = tf_listener_apply(w, as, n);
	free(as);
	if (r != 0)
		return r;
	return uv_thread_create(&w->thread, worker_main, w);
}

void
tf_worker_reload(struct tf_worker *w, struct tf_runtime *rt,
    struct tf_assign *as, size_t n)
{
	uv_mutex_lock(&w->lock);
	if (w->next_rt != NULL) {   /* a reload the worker has not seen */
		tf_runtime_unref(w->next_rt);
		free(w->next_assign);
	}
	w->next_rt = rt;
	w->next_assign = as;
	w->next_nassign = n;
	uv_mutex_unlock(&w->lock);
	uv_async_send(&w->wake);
}

void
tf_worker_stop(struct tf_worker *w)
{
	uv_mutex_lock(&w->lock);
	w->stop_requested = 1;
	uv_mutex_unlock(&w->lock);
	uv_async_send(&w->wake);
}

void
tf_worker_join(struct tf_worker *w)
{
	uv_thread_join(&w->thread);
	TF_ASSERT(uv_loop_close(&w->loop) == 0);
	if (w->next_rt != NULL) {
		tf_runtime_unref(w->next_rt);
		free(w->next_assign);
	}
	tf_runtime_unref(w->rt);
	uv_mutex_destroy(&w->lock);
	w->magic = 0;
}
