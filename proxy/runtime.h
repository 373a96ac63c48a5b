/*
 * One configuration generation with the runtime objects built from it: the
 * listeners' TLS contexts and upstream targets, and the client_guess
 * catalogue. A generation is immutable once built and reference-counted:
 * the control thread holds the current one, every worker holds the one it
 * accepts under, every connection and every pooled upstream connection the
 * one it was made under. It is freed, configuration included, when the
 * last reference goes, on whichever thread drops it.
 */
#ifndef TF_RUNTIME_H
#define TF_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct tf_config;
struct tf_fingerprints;
struct tf_listener_conf;
struct tf_mlistener;
struct tf_tickets;
struct tf_tls_client;
struct tf_tls_server;

/* Where requests go: the listener's upstream, or one of its routes. */
struct tf_target {
	const char *host;               /* the configuration's */
	uint16_t port;
	char *port_text;                /* for getaddrinfo */
	char *name;                     /* "host:port", for records and logs */
	char *host_header;              /* Host sent upstream */
	const char *sni;                /* SNI sent, name verified */
	char *const *names;             /* route: SNI / Host names it takes */
	/* An SMTP upstream: the name our EHLO gives before STARTTLS; NULL:
	 * TLS from the first byte. */
	const char *smtp_ehlo;
	size_t nnames;
	/*
	 * The first target of its listener with the same name and SNI:
	 * connections to either are interchangeable, so the upstream pool
	 * keys on this pointer (with the TLS context that verified them).
	 */
	const struct tf_target *pool_key;
};

/* A listener's runtime objects. */
struct tf_lstn {
	const struct tf_listener_conf *conf;
	struct tf_runtime *rt;          /* the generation it belongs to */
	struct tf_mlistener *m;         /* its counters (across generations) */
	struct tf_tls_server *server;   /* client-facing TLS */
	struct tf_tls_client *client;   /* upstream TLS */
	struct tf_target *targets;      /* [0]: upstream; then the routes */
	size_t ntargets;
	/* protocol smtp: our name in the greeting, replies and EHLO
	 * (smtp-hostname, or the first certificate's); else NULL. */
	char *smtp_host;
};

struct tf_runtime {
	struct tf_config *cfg;          /* owned */
	struct tf_lstn *lstns;          /* one per configured listener */
	size_t nlstns;
	struct tf_fingerprints *fp;     /* client_guess catalogue */
	uint64_t generation;            /* 1 at start, +1 per reload */
	_Atomic unsigned refs;
};

/*
 * Builds the runtime objects of cfg (certificates and keys loaded and
 * checked, CA files read, the fingerprint catalogue loaded) into a new
 * generation holding one reference, which then owns cfg. Its listeners
 * seal session tickets with tk, the process's key set, which every
 * generation shares and which must outlive them all (NULL: no tickets).
 * Errors come back as "FILE:LINE: message". Returns 0, or -1 with cfg
 * still the caller's.
 */
int tf_runtime_new(struct tf_config *cfg, struct tf_tickets *tk,
    struct tf_runtime **out, char *err, size_t errlen) TF_WARN_UNUSED;

/* Takes and drops references; any thread. NULL is ignored by unref. */
void tf_runtime_ref(struct tf_runtime *rt);
void tf_runtime_unref(struct tf_runtime *rt);

/*
 * The route whose names hold name (n bytes, any case), as an index into
 * l->targets; -1 when none does.
 */
int tf_runtime_find_route(const struct tf_lstn *l, const char *name,
    size_t n);

/*
 * The floor (0x0303, 0x0304) for a hello to l with SNI sni (n bytes, any
 * case; NULL: none): what `min-tls VERSION NAME...` gives it, else the
 * listener's `min-tls`.
 */
uint16_t tf_runtime_floor(const struct tf_lstn *l, const char *sni,
    size_t n);

#endif
