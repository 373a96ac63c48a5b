/*
 * Counters for Prometheus. Each listener name has one set of counters for
 * the life of the process (a reload keeps the counts of listeners that
 * stay), incremented with relaxed atomics at the same points that write
 * records. The text format is rendered on demand by the admin server
 * (admin.h), which runs on the control loop.
 */
#ifndef TF_METRICS_H
#define TF_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Label values, in the order the arrays below use. */
enum tf_m_version {             /* SSL2.0 SSL3.0 TLS1.0 TLS1.1 TLS1.2 TLS1.3 */
	TF_M_SSL20 = 0, TF_M_SSL30, TF_M_TLS10, TF_M_TLS11, TF_M_TLS12,
	TF_M_TLS13, TF_M_NVERSIONS,
};
enum tf_m_action {              /* refused allowed_audit allowed_exempt */
	TF_M_REFUSED = 0, TF_M_ALLOWED_AUDIT, TF_M_ALLOWED_EXEMPT,
	TF_M_NACTIONS,
};
enum tf_m_reason {              /* SPEC's handshake_failed reasons */
	TF_M_NO_SHARED_CIPHER = 0, TF_M_TIMEOUT, TF_M_BAD_RECORD,
	TF_M_PEER_ALERT, TF_M_CLOSED, TF_M_INTERNAL, TF_M_NREASONS,
};
enum tf_m_upstream_error {      /* resolve connect tls timeout bad_response
                                   closed no_starttls (an SMTP upstream) */
	TF_M_UP_RESOLVE = 0, TF_M_UP_CONNECT, TF_M_UP_TLS, TF_M_UP_TIMEOUT,
	TF_M_UP_BAD_RESPONSE, TF_M_UP_CLOSED, TF_M_UP_NO_STARTTLS,
	TF_M_NUPERRORS,
};

struct tf_mlistener {
	char name[64];
	_Atomic uint64_t connections_total;
	_Atomic uint64_t connections_dropped;         /* accepted, not served */
	_Atomic int64_t connections_active;
	_Atomic uint64_t handshakes[TF_M_NVERSIONS];   /* completed, by version */
	/* Of those, the ones that resumed a session (a ticket). */
	_Atomic uint64_t handshakes_resumed[TF_M_NVERSIONS];
	_Atomic uint64_t legacy[TF_M_NVERSIONS][TF_M_NACTIONS];
	/* Every hello decided on, by the floor that applied (TLS1.2,
	 * TLS1.3) and what came of it (passed, then as legacy[]). */
	_Atomic uint64_t floor_hellos[2][1 + TF_M_NACTIONS];
	_Atomic uint64_t handshake_failures[TF_M_NREASONS];
	_Atomic uint64_t requests[5];                  /* 1xx .. 5xx */
	_Atomic uint64_t upstream_errors[TF_M_NUPERRORS];
	struct tf_mlistener *next;
};

/* The counters of a listener name, created on first use; never freed.
 * Call from the control thread (config load), not from workers. */
struct tf_mlistener *tf_metrics_listener(const char *name);

/* Maps record spellings to indexes; -1 when unknown. */
int tf_metrics_version_index(uint16_t tls_version);
int tf_metrics_action_index(const char *action);
int tf_metrics_reason_index(const char *reason);

/* Process-wide. */
void tf_metrics_reload(int ok);                 /* config_reloads_total */
void tf_metrics_set_generation(uint64_t gen);   /* config_generation */

#define TF_METRIC_INC(m, field) \
	atomic_fetch_add_explicit(&(m)->field, 1, memory_order_relaxed)
#define TF_METRIC_DEC(m, field) \
	atomic_fetch_sub_explicit(&(m)->field, 1, memory_order_relaxed)

/*
 * Renders every metric in Prometheus text format (version 0.0.4) into a
 * malloc'd buffer. Returns 0 or -1.
 */
int tf_metrics_render(char **out, size_t *len);

#endif
