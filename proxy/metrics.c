/*
 * Prometheus counters and their text rendering.
 *
 * Counters live in one struct tf_mlistener per listener name, kept in a
 * list that only grows: workers increment fields with relaxed atomics and
 * never take a lock; the control thread creates entries at config load and
 * renders them on demand for the admin server (admin.c).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "log.h"
#include "metrics.h"

/* ------------------------------------------------------------------------
 * The registry
 */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tf_mlistener *registry_head;  /* in creation order */
static struct tf_mlistener *registry_tail;

static _Atomic uint64_t reloads_ok;
static _Atomic uint64_t reloads_failed;
static _Atomic uint64_t generation;

/*
 * Returns the counters of a listener name, creating them zeroed on first
 * use; the same pointer for the same name for the life of the process.
 * Names longer than the field are truncated, and names equal after
 * truncation share counters. Never returns NULL (allocation aborts).
 */
struct tf_mlistener *
tf_metrics_listener(const char *name)
{
	struct tf_mlistener *m;
	char key[sizeof(m->name)];

	snprintf(key, sizeof(key), "%s", name);
	pthread_mutex_lock(&registry_lock);
	for (m = registry_head; m != NULL; m = m->next)
		if (strcmp(m->name, key) == 0)
			goto out;
	/* All-zero bytes are the zero of every lock-free atomic integer on
	 * the platforms libuv supports, so calloc initialises the counters. */
	m = tf_xcalloc(1, sizeof(*m));
	memcpy(m->name, key, sizeof(key));
	if (registry_tail != NULL)
		registry_tail->next = m;
	else
		registry_head = m;
	registry_tail = m;
out:
	pthread_mutex_unlock(&registry_lock);
	return m;
}

/* Label spellings, indexed by the enums of metrics.h. */
static const char *const version_names[TF_M_NVERSIONS] = {
	"SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3",
};
static const char *const action_names[TF_M_NACTIONS] = {
	"refused", "allowed_audit", "allowed_exempt",
};
static const char *const reason_names[TF_M_NREASONS] = {
	"no_shared_cipher", "timeout", "bad_record", "peer_alert", "closed",
	"internal",
};
static const char *const upstream_error_names[TF_M_NUPERRORS] = {
	"resolve", "connect", "tls", "timeout", "bad_response", "closed",
	"no_starttls",
};
static const char *const code_names[5] = {
	"1xx", "2xx", "3xx", "4xx", "5xx",
};

/*
 * Maps a wire version (0x0002 for an SSLv2-format hello, 0x0300 ...
 * 0x0304) to its index; -1 for anything else (GREASE, drafts).
 */
int
tf_metrics_version_index(uint16_t tls_version)
{
	switch (tls_version) {
	case 0x0002:
		return TF_M_SSL20;
	case 0x0300:
		return TF_M_SSL30;
	case 0x0301:
		return TF_M_TLS10;
	case 0x0302:
		return TF_M_TLS11;
	case 0x0303:
		return TF_M_TLS12;
	case 0x0304:
		return TF_M_TLS13;
	default:
		return -1;
	}
}

/* Returns the index of s in names[0..n), or -1 (also for NULL). */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int
tf_metrics_action_index(const char *action)
{
	return name_index(action_names, TF_M_NACTIONS, action);
}

int
tf_metrics_reason_index(const char *reason)
{
	return name_index(reason_names, TF_M_NREASONS, reason);
}

void
tf_metrics_reload(int ok)
{
	if (ok)
		atomic_fetch_add_explicit(&reloads_ok, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&reloads_failed, 1,
		    memory_order_relaxed);
}

void
tf_metrics_set_generation(uint64_t gen)
{
	atomic_store_explicit(&generation, gen, memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Rendering
 */

/* A growable text buffer; after an allocation failure, failed is set and
 * every later append is a no-op. */
struct out {
	char *p;
	size_t len;
	size_t cap;
	int failed;
};

/* Makes room for n more bytes plus a NUL. Returns 0 or -1 (sets failed). */
static int
out_reserve(struct out *o, size_t n)
{
	size_t cap;
	char *p;

	if (o->failed)
		return -1;
	if (o->cap - o->len > n)
		return 0;
	cap = o->cap != 0 ? o->cap : 4096;
	while (cap - o->len <= n) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	p = realloc(o->p, cap);
	if (p == NULL)
		goto fail;
	o->p = p;
	o->cap = cap;
	return 0;
fail:
	o->failed = 1;
	return -1;
}

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (out_reserve(o, n) != 0)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_printf(struct out *o, const char *fmt, ...) TF_PRINTF(2, 3);

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out_reserve(o, 128) != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	if ((size_t)n >= o->cap - o->len) {
		if (out_reserve(o, (size_t)n) != 0)
			return;
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
	}
	o->len += (size_t)n;
}

/*
 * Appends a label value escaped as the text format requires: backslash,
 * double quote and line feed become \\, \" and \n. Other bytes pass as
 * they are (the format is UTF-8 and takes any other byte in a value).
 */
static void
out_label_value(struct out *o, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc;

		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\n':
			esc = "\\n";
			break;
		default:
			continue;
		}
		out_add(o, run, (size_t)(s - run));
		out_add(o, esc, 2);
		run = s + 1;
	}
	out_add(o, run, (size_t)(s - run));
}

/* Writes the # HELP and # TYPE lines of one family. */
static void
out_family(struct out *o, const char *name, const char *type,
    const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Writes one sample: NAME{listener="L"[,K1="V1"[,K2="V2"]]} VALUE. K1/K2
 * may be NULL. Label values are escaped; NAME and keys are ours.
 */
static void
out_sample(struct out *o, const char *name, const struct tf_mlistener *m,
    const char *k1, const char *v1, const char *k2, const char *v2,
    uint64_t value)
{
	out_printf(o, "%s{listener=\"", name);
	out_label_value(o, m->name);
	if (k1 != NULL) {
		out_printf(o, "\",%s=\"", k1);
		out_label_value(o, v1);
	}
	if (k2 != NULL) {
		out_printf(o, "\",%s=\"", k2);
		out_label_value(o, v2);
	}
	out_printf(o, "\"} %llu\n", (unsigned long long)value);
}

#define LOAD(p) atomic_load_explicit(p, memory_order_relaxed)

/* Writes every per-listener family; the caller holds registry_lock. */
static void
render_listeners(struct out *o)
{
	const struct tf_mlistener *m;
	size_t i, j;

	out_family(o, "tlsfloor_connections_total", "counter",
	    "Client connections accepted.");
	for (m = registry_head; m != NULL; m = m->next)
		out_sample(o, "tlsfloor_connections_total", m, NULL, NULL,
		    NULL, NULL, LOAD(&m->connections_total));

	out_family(o, "tlsfloor_connections_dropped_total", "counter",
	    "Client connections accepted and closed at once because no "
	    "memory was left to serve them.");
	for (m = registry_head; m != NULL; m = m->next)
		out_sample(o, "tlsfloor_connections_dropped_total", m, NULL,
		    NULL, NULL, NULL, LOAD(&m->connections_dropped));

	out_family(o, "tlsfloor_connections_active", "gauge",
	    "Client connections open now.");
	for (m = registry_head; m != NULL; m = m->next) {
		int64_t v = LOAD(&m->connections_active);

		out_printf(o, "tlsfloor_connections_active{listener=\"");
		out_label_value(o, m->name);
		out_printf(o, "\"} %lld\n", (long long)v);
	}

	/* BoringSSL completes no SSL 2.0 or 3.0 handshake: those series
	 * appear only if something ever counts one. */
	out_family(o, "tlsfloor_handshakes_total", "counter",
	    "Client TLS handshakes completed, by negotiated version.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NVERSIONS; i++) {
			uint64_t v = LOAD(&m->handshakes[i]);

			if (i < TF_M_TLS10 && v == 0)
				continue;
			out_sample(o, "tlsfloor_handshakes_total", m,
			    "version", version_names[i], NULL, NULL, v);
		}

	out_family(o, "tlsfloor_handshakes_resumed_total", "counter",
	    "Client TLS handshakes completed by resuming a session (a "
	    "ticket), by negotiated version; also counted in "
	    "tlsfloor_handshakes_total.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NVERSIONS; i++) {
			uint64_t v = LOAD(&m->handshakes_resumed[i]);

			if (i < TF_M_TLS10 && v == 0)
				continue;
			out_sample(o, "tlsfloor_handshakes_resumed_total", m,
			    "version", version_names[i], NULL, NULL, v);
		}

	out_family(o, "tlsfloor_legacy_clients_total", "counter",
	    "ClientHellos below the floor, by highest offered version and "
	    "action.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NVERSIONS; i++)
			for (j = 0; j < TF_M_NACTIONS; j++)
				out_sample(o, "tlsfloor_legacy_clients_total",
				    m, "offered", version_names[i], "action",
				    action_names[j], LOAD(&m->legacy[i][j]));

	out_family(o, "tlsfloor_floor_hellos_total", "counter",
	    "ClientHellos decided on, by the floor that applied to them "
	    "(the listener's, or min-tls for their SNI) and result.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < 2; i++)
			for (j = 0; j < 1 + TF_M_NACTIONS; j++)
				out_sample(o, "tlsfloor_floor_hellos_total",
				    m, "floor", version_names[TF_M_TLS12 + i],
				    "result", j == 0 ? "passed" :
				    action_names[j - 1],
				    LOAD(&m->floor_hellos[i][j]));

	out_family(o, "tlsfloor_handshake_failures_total", "counter",
	    "Client handshakes that failed after the hello was accepted.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NREASONS; i++)
			out_sample(o, "tlsfloor_handshake_failures_total", m,
			    "reason", reason_names[i], NULL, NULL,
			    LOAD(&m->handshake_failures[i]));

	out_family(o, "tlsfloor_requests_total", "counter",
	    "Requests answered, by status class.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_ARRAY_SIZE(code_names); i++)
			out_sample(o, "tlsfloor_requests_total", m, "code",
			    code_names[i], NULL, NULL,
			    LOAD(&m->requests[i]));

	out_family(o, "tlsfloor_upstream_errors_total", "counter",
	    "Upstream failures, by reason.");
	for (m = registry_head; m != NULL; m = m->next)
		for (i = 0; i < TF_M_NUPERRORS; i++)
			out_sample(o, "tlsfloor_upstream_errors_total", m,
			    "reason", upstream_error_names[i], NULL, NULL,
			    LOAD(&m->upstream_errors[i]));
}

/*
 * Renders every metric into a malloc'd, NUL-terminated buffer that the
 * caller frees; *len excludes the NUL. Returns 0, or -1 when memory ran
 * out (nothing to free then). Takes the registry lock; call from one
 * thread at a time per buffer, any thread.
 */
int
tf_metrics_render(char **out, size_t *len)
{
	struct out o = { NULL, 0, 0, 0 };

	pthread_mutex_lock(&registry_lock);
	render_listeners(&o);
	pthread_mutex_unlock(&registry_lock);

	out_family(&o, "tlsfloor_config_reloads_total", "counter",
	    "Configuration reloads (SIGHUP), by result.");
	out_printf(&o, "tlsfloor_config_reloads_total{result=\"ok\"} %llu\n",
	    (unsigned long long)LOAD(&reloads_ok));
	out_printf(&o,
	    "tlsfloor_config_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)LOAD(&reloads_failed));
	out_family(&o, "tlsfloor_log_records_lost_total", "counter",
	    "Records the log file refused (disk full, over quota, I/O "
	    "error) or the syslog socket did not take (no receiver, its "
	    "queue full), by stream; the error log says when it starts "
	    "and stops.");
	out_printf(&o,
	    "tlsfloor_log_records_lost_total{stream=\"legacy\"} %llu\n",
	    (unsigned long long)tf_log_lost(TF_STREAM_LEGACY));
	out_printf(&o,
	    "tlsfloor_log_records_lost_total{stream=\"access\"} %llu\n",
	    (unsigned long long)tf_log_lost(TF_STREAM_ACCESS));
	out_family(&o, "tlsfloor_config_generation", "gauge",
	    "Generation of the configuration in use (1 at start).");
	out_printf(&o, "tlsfloor_config_generation %llu\n",
	    (unsigned long long)LOAD(&generation));

	if (o.failed || o.p == NULL) {
		free(o.p);
		return -1;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}
