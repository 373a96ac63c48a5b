/*
 * Configuration generations: built on the control thread from a parsed
 * configuration, shared read-only by every worker, freed at the last
 * reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "fingerprints.h"
#include "metrics.h"
#include "runtime.h"
#include "smtp.h"
#include "tls.h"

static void
runtime_free(struct tf_runtime *rt)
{
	size_t i, j;

	for (i = 0; i < rt->nlstns; i++) {
		struct tf_lstn *l = &rt->lstns[i];

		tf_tls_server_free(l->server);
		tf_tls_client_free(l->client);
		for (j = 0; j < l->ntargets; j++) {
			free(l->targets[j].port_text);
			free(l->targets[j].name);
			free(l->targets[j].host_header);
		}
		free(l->targets);
		free(l->smtp_host);
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
	t->port_text = tf_xasprintf("%u", port);
	t->name = tf_xasprintf(v6 ? "[%s]:%u" : "%s:%u", host, port);
	if (port == 443)
		t->host_header = tf_xasprintf(v6 ? "[%s]" : "%s", host);
	else
		t->host_header = tf_xstrdup(t->name);
	t->sni = sni ? sni : host;
}

/* Points every target at the first one it shares a pool with. */
static void
pool_keys(struct tf_lstn *l)
{
	size_t i, j;

	for (i = 0; i < l->ntargets; i++) {
		struct tf_target *t = &l->targets[i];

		t->pool_key = t;
		for (j = 0; j < i; j++) {
			if (strcmp(l->targets[j].name, t->name) == 0 &&
			    strcmp(l->targets[j].sni, t->sni) == 0) {
				t->pool_key = l->targets[j].pool_key;
				break;
			}
		}
	}
}

/*
 * An SMTP listener's name: smtp-hostname, else its first certificate's
 * (what a device that checks the greeting against the certificate
 * expects), else "localhost" when that is no host name. Owned by the
 * caller.
 */
static char *
smtp_host(const struct tf_listener_conf *lc, const struct tf_tls_server *s)
{
	char name[256];

	if (lc->smtp_hostname != NULL)
		return tf_xstrdup(lc->smtp_hostname);
	if (tf_tls_server_name(s, name, sizeof(name)) != 0 ||
	    !tf_smtp_valid_host(name))
		return tf_xstrdup("localhost");
	return tf_xstrdup(name);
}

int
tf_runtime_new(struct tf_config *cfg, struct tf_tickets *tk,
    struct tf_runtime **out, char *err, size_t errlen)
{
	struct tf_runtime *rt = tf_xcalloc(1, sizeof(*rt));
	size_t i, j;

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

		rt->nlstns++;
		l->conf = lc;
		l->rt = rt;
		l->m = tf_metrics_listener(lc->name);
		if (tf_tls_server_new(lc, tk, &l->server, err, errlen) != 0 ||
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
		pool_keys(l);
		if (lc->protocol == TF_PROTO_SMTP) {
			l->smtp_host = smtp_host(lc, l->server);
			l->targets[0].smtp_ehlo = l->smtp_host;
		}
	}
	rt->cfg = cfg;
	*out = rt;
	return 0;
}

void
tf_runtime_ref(struct tf_runtime *rt)
{
	atomic_fetch_add_explicit(&rt->refs, 1, memory_order_relaxed);
}

void
tf_runtime_unref(struct tf_runtime *rt)
{
	/* acq_rel: whatever a thread did with the generation happens before
	 * the thread that frees it frees it. */
	if (rt != NULL &&
	    atomic_fetch_sub_explicit(&rt->refs, 1, memory_order_acq_rel) == 1)
		runtime_free(rt);
}

/* True when names (lower case, from the configuration) hold name, n
 * bytes in any case: how routes and floors match an SNI or a Host. */
static int
names_hold(char *const *names, size_t nnames, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

int
tf_runtime_find_route(const struct tf_lstn *l, const char *name, size_t n)
{
	size_t i;

	for (i = 1; i < l->ntargets; i++)
		if (names_hold(l->targets[i].names, l->targets[i].nnames, name,
		    n))
			return (int)i;
	return -1;
}

uint16_t
tf_runtime_floor(const struct tf_lstn *l, const char *sni, size_t n)
{
	const struct tf_listener_conf *lc = l->conf;
	size_t i;

	for (i = 0; sni != NULL && i < lc->nsni_floors; i++)
		if (names_hold(lc->sni_floors[i].names,
		    lc->sni_floors[i].nnames, sni, n))
			return lc->sni_floors[i].min_tls;
	return lc->min_tls;
}
