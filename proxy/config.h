/*
 * The configuration language of SPEC.md, parsed into an immutable
 * generation. tf_config_load() parses and validates syntax and values; the
 * runtime objects (SSL_CTXs, sockets) are built from it by tls.c and
 * listener.c, which report their own failures at the directive's place.
 */
#ifndef TF_CONFIG_H
#define TF_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

#define TF_CONFIG_MAGIC 0x7f3c0a11

/*
 * Where a directive was written: for errors found after parsing. A global
 * setting left at its default has file NULL and line 0; a listener setting
 * left at its default points at the 'listener' line.
 */
struct tf_where {
	const char *file; /* owned by the config (files[]) */
	int line;
};

enum tf_mode {
	TF_MODE_ENFORCE = 0,
	TF_MODE_AUDIT,
};

/* What a listener speaks before TLS and in it. */
enum tf_protocol {
	TF_PROTO_HTTP = 0,      /* HTTPS: TLS at once, HTTP/1.1 inside */
	TF_PROTO_SMTP,          /* SMTP up to STARTTLS, then a relay */
};

/* A log destination: stderr (error-log only), syslog, off, or a path. */
enum tf_log_kind {
	TF_LOG_FILE = 0,
	TF_LOG_STDERR,
	TF_LOG_SYSLOG,
	TF_LOG_OFF,
};

/*
 * Where a syslog destination sends its datagrams, which also decides their
 * format: /dev/log is read by journald or by rsyslog's imuxsock, which
 * parse the format of syslog(3) and not RFC 5424; the others get RFC 5424.
 */
enum tf_syslog_target {
	TF_SYSLOG_DEVLOG = 0,   /* syslog */
	TF_SYSLOG_UNIX,         /* syslog unix:PATH */
	TF_SYSLOG_UDP,          /* syslog udp:HOST:PORT */
};

struct tf_log_dest {
	enum tf_log_kind kind;
	char *path; /* TF_LOG_FILE only */
	/* TF_LOG_SYSLOG only: the target, and its socket address (a
	 * sockaddr_un with the path for DEVLOG and UNIX). */
	enum tf_syslog_target target;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct tf_where where;
};

/* The longest syslog-tag: APP-NAME is at most 48 (RFC 5424 section 6), and
 * the record streams add "-legacy" and "-access" to the tag. */
#define TF_SYSLOG_TAG_MAX (48 - 7)

/* What every syslog destination sends under. */
struct tf_syslog_conf {
	unsigned facility;              /* 0..23; default 3 (daemon) */
	char *tag;                      /* default "tlsfloor" */
};

struct tf_bind_conf {
	struct sockaddr_storage addr; /* numeric; port 0 = kernel's choice */
	socklen_t addrlen;
	char *text;                   /* as written */
	struct tf_where where;
};

struct tf_cert_conf {
	char *chain;     /* PEM chain (leaf first) */
	char *key;       /* PEM key; NULL: the key is in the chain file */
	struct tf_where where;
	char *ocsp;      /* DER OCSP response to staple, or NULL */
	struct tf_where ocsp_where;
};

struct tf_route_conf {
	char **names;    /* SNI / Host names, lower case */
	size_t nnames;
	char *host;
	uint16_t port;
	struct tf_where where;
};

/* `min-tls VERSION NAME...`: a higher floor for hellos naming NAME. */
struct tf_sni_floor_conf {
	char **names;    /* lower case */
	size_t nnames;
	uint16_t min_tls;
	struct tf_where where;
};

struct tf_listener_conf {
	char *name;
	struct tf_where where;          /* the 'listener' line */
	enum tf_protocol protocol;      /* default http */
	char *smtp_hostname;            /* NULL: the first cert's name */
	struct tf_where smtp_hostname_where;

	struct tf_bind_conf *binds;
	size_t nbinds;
	struct tf_cert_conf *certs;
	size_t ncerts;
	uint16_t min_tls;               /* 0x0303 (default) or 0x0304 */
	struct tf_where min_tls_where;  /* line 0: the default */
	struct tf_sni_floor_conf *sni_floors;
	size_t nsni_floors;
	enum tf_mode mode;
	struct tf_cidr *exempt;
	size_t nexempt;
	char *ciphers;                  /* NULL: DEFAULT */
	struct tf_where ciphers_where;
	int proxy_protocol;

	char *upstream_host;
	uint16_t upstream_port;
	struct tf_where upstream_where;
	struct tf_route_conf *routes;
	size_t nroutes;
	char *upstream_ca;              /* default /etc/ssl/certs/ca-certificates.crt */
	struct tf_where upstream_ca_where;
	char *upstream_sni;             /* NULL: upstream_host */
	int upstream_verify;            /* default 1 */
	int preserve_host;              /* default 0 */

	uint64_t handshake_timeout_ms;  /* default 10 s */
	uint64_t header_timeout_ms;     /* default 30 s */
	uint64_t idle_timeout_ms;       /* default 300 s */
	uint64_t upstream_connect_timeout_ms; /* default 10 s */
	uint64_t upstream_timeout_ms;   /* default 3900 s */
	unsigned max_connections;       /* default 20000 */
	size_t max_header_size;         /* default 64k */
};

struct tf_config {
	unsigned magic;
	char *path;                     /* the main file */
	char **files;                   /* every file read, for tf_where */
	size_t nfiles;

	unsigned workers;               /* 0: auto (one per CPU) */
	char *user;                     /* NULL: keep the running user */
	struct tf_where user_where;
	struct tf_log_dest error_log;   /* default stderr */
	struct tf_log_dest legacy_log;  /* default /var/log/tlsfloor/legacy.jsonl */
	struct tf_log_dest access_log;  /* default /var/log/tlsfloor/access.jsonl */
	struct tf_syslog_conf syslog;
	int has_metrics;
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;
	struct tf_where metrics_where;
	char *fingerprints;             /* NULL: the shipped catalogue */
	uint64_t shutdown_timeout_ms;   /* default 30 s */

	struct tf_listener_conf *listeners;
	size_t nlisteners;
};

/*
 * Reads, parses and validates the file (and its includes). Returns a new
 * configuration owned by the caller, or NULL with "FILE:LINE: message" (or
 * "FILE: message" when the file itself cannot be read) in err.
 */
struct tf_config *tf_config_load(const char *path, char *err, size_t errlen);

/* Frees a configuration from tf_config_load(). NULL is allowed. */
void tf_config_free(struct tf_config *cfg);

/* Parses "30", "30s", "500ms", "5m", "1h" into milliseconds; 0 or -1. */
int tf_config_parse_duration(const char *s, uint64_t *ms);

/* Parses "65536", "64k", "1m" into bytes; 0 or -1. */
int tf_config_parse_size(const char *s, uint64_t *bytes);

#endif
