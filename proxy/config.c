/*
 * The configuration language of SPEC.md: a directive table and one handler
 * per directive, building a new struct tf_config from the words that
 * config_parse.c reads. Nothing here opens sockets or loads keys; tls.c and
 * listener.c do that from the result and report their failures at the
 * struct tf_where of the directive.
 */
#include <sys/un.h>

#include <netinet/in.h>

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "common.h"
#include "config.h"
#include "config_parse.h"
#include "smtp.h"

#define ARGS_MANY ((unsigned)-1)

#define DEFAULT_UPSTREAM_CA "/etc/ssl/certs/ca-certificates.crt"
#define DEFAULT_LEGACY_LOG "/var/log/tlsfloor/legacy.jsonl"
#define DEFAULT_ACCESS_LOG "/var/log/tlsfloor/access.jsonl"
#define DEFAULT_SYSLOG_SOCKET "/dev/log"

enum {
	SCOPE_GLOBAL = 1,
	SCOPE_LISTENER = 2,
};

enum {
	ONCE = 0,   /* a second use in the same scope is an error */
	REPEAT = 1,
};

/* The directive side of a parse; config_parse.c has the file side. */
struct parser {
	struct tf_config_parse cp; /* file, line, depth, error, files */
	struct tf_config *cfg;
	size_t cur;          /* open listener block, or NO_BLOCK */
	int block_depth;     /* cp.depth of the file that opened it */
	uint64_t seen_global;   /* single-valued directives already seen */
	uint64_t seen_listener; /* the same, in the open block */
};

#define NO_BLOCK ((size_t)-1)

struct directive;
typedef int directive_fn(struct parser *p, const struct directive *d,
    const struct tf_config_args *a);

struct directive {
	const char *name;
	directive_fn *fn;
	unsigned min_args;      /* not counting the name */
	unsigned max_args;      /* ARGS_MANY: no limit */
	unsigned scope;         /* SCOPE_* bits */
	unsigned repeatable;    /* ONCE or REPEAT */
	size_t off;             /* field for the generic handlers */
	size_t where_off;       /* its struct tf_where; 0: none */
	const char *const *choices; /* set_choice: the words, in enum order */
};

/* Errors at the line being parsed, or at a given place; both return -1. */
#define perr(p, ...) tf_config_parse_err(&(p)->cp, __VA_ARGS__)
#define perr_at(p, file, line, ...) \
	tf_config_parse_err_at(&(p)->cp, (file), (line), __VA_ARGS__)

static struct tf_listener_conf *
cur_listener(struct parser *p)
{
	TF_ASSERT(p->cur != NO_BLOCK);
	return &p->cfg->listeners[p->cur];
}

/* The struct a generic handler's d->off is relative to. */
static char *
target(struct parser *p, const struct directive *d)
{
	if (d->scope == SCOPE_LISTENER)
		return (char *)cur_listener(p);
	return (char *)p->cfg;
}

static struct tf_where
here(struct parser *p)
{
	struct tf_where w = { p->cp.file, p->cp.line };

	return w;
}

static void
set_where(struct parser *p, const struct directive *d)
{
	if (d->where_off != 0)
		*(struct tf_where *)(target(p, d) + d->where_off) = here(p);
}

/* One unit suffix and what it multiplies by; "" is the bare number. */
struct unit {
	const char *suffix;
	uint64_t mult;
};

/*
 * Parses digits followed by exactly one suffix of units (a list ended by a
 * NULL suffix), so "1m30s" and "1.5s" are refused. Returns 0 with *out set,
 * or -1, also on overflow.
 */
static int
parse_with_unit(const char *s, const struct unit *units, uint64_t *out)
{
	const char *end = s;
	char digits[24];
	uint64_t v;
	size_t n;

	while (*end >= '0' && *end <= '9')
		end++;
	n = (size_t)(end - s);
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (tf_parse_uint(digits, UINT64_MAX, &v) == -1)
		return -1;
	for (; units->suffix != NULL; units++) {
		if (strcmp(end, units->suffix) != 0)
			continue;
		if (v > UINT64_MAX / units->mult)
			return -1;
		*out = v * units->mult;
		return 0;
	}
	return -1;
}

int
tf_config_parse_duration(const char *s, uint64_t *ms)
{
	static const struct unit units[] = {
		{ "", 1000 },
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ NULL, 0 },
	};

	return parse_with_unit(s, units, ms);
}

int
tf_config_parse_size(const char *s, uint64_t *bytes)
{
	static const struct unit units[] = {
		{ "", 1 },
		{ "k", 1024 },
		{ "K", 1024 },
		{ "m", 1024 * 1024 },
		{ "M", 1024 * 1024 },
		{ NULL, 0 },
	};

	return parse_with_unit(s, units, bytes);
}

static int
parse_onoff(struct parser *p, const struct directive *d, const char *v,
    int *out)
{
	if (strcmp(v, "on") == 0)
		*out = 1;
	else if (strcmp(v, "off") == 0)
		*out = 0;
	else
		return perr(p, "'%s': bad value '%s' (on or off)", d->name, v);
	return 0;
}

/* Generic handlers: they store into target(p, d) + d->off. */

static int
set_flag(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	int *field = (int *)(target(p, d) + d->off);

	if (parse_onoff(p, d, a->argv[1], field) == -1)
		return -1;
	set_where(p, d);
	return 0;
}

static int
set_string(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	char **field = (char **)(target(p, d) + d->off);

	if (a->argv[1][0] == '\0')
		return perr(p, "'%s': empty value", d->name);
	free(*field);
	*field = tf_xstrdup(a->argv[1]);
	set_where(p, d);
	return 0;
}

/* `ciphers A B ...`: kept as one ':'-joined list; tls.c checks the names. */
static int
set_ciphers(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	char **field = (char **)(target(p, d) + d->off);
	size_t i, len = 0;
	char *s;

	for (i = 1; i < a->argc; i++) {
		if (a->argv[i][0] == '\0')
			return perr(p, "'%s': empty value", d->name);
		len += strlen(a->argv[i]) + 1;
	}
	s = tf_xmalloc(len);
	s[0] = '\0';
	for (i = 1; i < a->argc; i++) {
		if (i > 1)
			strcat(s, ":");
		strcat(s, a->argv[i]);
	}
	free(*field);
	*field = s;
	set_where(p, d);
	return 0;
}

static int
set_path(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	char **field = (char **)(target(p, d) + d->off);

	if (a->argv[1][0] == '\0')
		return perr(p, "'%s': empty path", d->name);
	free(*field);
	*field = tf_config_parse_path(&p->cp, a->argv[1]);
	set_where(p, d);
	return 0;
}

/*
 * One word out of d->choices (NULL-terminated, in the order of the enum
 * the field is), stored as its index.
 */
static int
set_choice(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	int *field = (int *)(target(p, d) + d->off);
	char list[128] = "";
	size_t n = 0;
	int i;

	for (i = 0; d->choices[i] != NULL; i++) {
		if (strcmp(a->argv[1], d->choices[i]) == 0) {
			*field = i;
			set_where(p, d);
			return 0;
		}
	}
	for (i = 0; d->choices[i] != NULL && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i == 0 ? "" : d->choices[i + 1] != NULL ? ", " : " or ",
		    d->choices[i]);
	return perr(p, "'%s': bad value '%s' (%s)", d->name, a->argv[1],
	    list);
}

/* Durations that must be positive: a zero timeout would fire at once. */
static int
set_timeout(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	uint64_t *field = (uint64_t *)(target(p, d) + d->off);
	uint64_t ms;

	if (tf_config_parse_duration(a->argv[1], &ms) == -1 || ms == 0)
		return perr(p, "'%s': bad duration '%s' "
		    "(a positive number with one unit of ms, s, m or h)",
		    d->name, a->argv[1]);
	*field = ms;
	set_where(p, d);
	return 0;
}

/* Durations where zero means "do not wait". */
static int
set_duration(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	uint64_t *field = (uint64_t *)(target(p, d) + d->off);

	if (tf_config_parse_duration(a->argv[1], field) == -1)
		return perr(p, "'%s': bad duration '%s' "
		    "(a number with one unit of ms, s, m or h)",
		    d->name, a->argv[1]);
	set_where(p, d);
	return 0;
}

/*
 * The target after "syslog": none for /dev/log, "unix:PATH" (relative to
 * the file's folder) or "udp:ADDR:PORT" (numeric, as binds are written).
 * Returns 0 with dest's target and address set, or -1 with the error set.
 */
static int
set_syslog_target(struct parser *p, const struct directive *d,
    const char *v, struct tf_log_dest *dest)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&dest->addr;
	const char *path = DEFAULT_SYSLOG_SOCKET, *why;
	char *abs = NULL;
	size_t len;

	memset(&dest->addr, 0, sizeof(dest->addr));
	if (v == NULL) {
		dest->target = TF_SYSLOG_DEVLOG;
	} else if (strncmp(v, "udp:", 4) == 0) {
		dest->target = TF_SYSLOG_UDP;
		if (tf_addr_parse_dest(v + 4, &dest->addr, &dest->addrlen,
		    &why) == -1)
			return perr(p, "'%s': bad syslog target '%s': %s",
			    d->name, v, why);
		return 0;
	} else if (strncmp(v, "unix:", 5) == 0 && v[5] != '\0') {
		dest->target = TF_SYSLOG_UNIX;
		path = abs = tf_config_parse_path(&p->cp, v + 5);
	} else {
		return perr(p, "'%s': bad syslog target '%s' (unix:PATH or "
		    "udp:ADDR:PORT)", d->name, v);
	}
	len = strlen(path);
	if (len >= sizeof(sun->sun_path)) {
		free(abs);
		return perr(p, "'%s': bad syslog target '%s': path longer "
		    "than %zu bytes", d->name, v, sizeof(sun->sun_path) - 1);
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	dest->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + 1);
	free(abs);
	return 0;
}

/*
 * error-log takes stderr, syslog [TARGET], off or a path; the record logs
 * take syslog [TARGET], off or a path ("stderr" would interleave with the
 * diagnostics).
 */
static int
set_log(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_log_dest *dest =
	    (struct tf_log_dest *)(target(p, d) + d->off);
	int stderr_ok = d->off == offsetof(struct tf_config, error_log);
	const char *v = a->argv[1];

	free(dest->path);
	dest->path = NULL;
	if (strcmp(v, "syslog") == 0) {
		if (set_syslog_target(p, d, a->argc > 2 ? a->argv[2] : NULL,
		    dest) == -1)
			return -1;
		dest->kind = TF_LOG_SYSLOG;
		dest->where = here(p);
		return 0;
	}
	if (a->argc > 2)
		return perr(p, "'%s': extra argument '%s'", d->name,
		    a->argv[2]);
	if (stderr_ok && strcmp(v, "stderr") == 0) {
		dest->kind = TF_LOG_STDERR;
	} else if (strcmp(v, "off") == 0) {
		dest->kind = TF_LOG_OFF;
	} else if (v[0] == '\0' || strcmp(v, "stderr") == 0) {
		return perr(p, "'%s': bad value '%s' (%sa path, syslog or off)",
		    d->name, v, stderr_ok ? "stderr, " : "");
	} else {
		dest->kind = TF_LOG_FILE;
		dest->path = tf_config_parse_path(&p->cp, v);
	}
	dest->where = here(p);
	return 0;
}

/* Directive handlers. */

/* The facilities of syslog.conf, by code (RFC 5424 section 6.2.1). */
static const struct {
	const char *name;
	unsigned code;
} facilities[] = {
	{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 },
	{ "auth", 4 }, { "syslog", 5 }, { "lpr", 6 }, { "news", 7 },
	{ "uucp", 8 }, { "cron", 9 }, { "authpriv", 10 }, { "ftp", 11 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 },
	{ "local3", 19 }, { "local4", 20 }, { "local5", 21 },
	{ "local6", 22 }, { "local7", 23 },
};

static int
do_syslog_facility(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(facilities); i++) {
		if (strcmp(a->argv[1], facilities[i].name) == 0) {
			p->cfg->syslog.facility = facilities[i].code;
			return 0;
		}
	}
	return perr(p, "'%s': bad value '%s' (kern, user, mail, daemon, "
	    "auth, syslog, lpr, news, uucp, cron, authpriv, ftp or "
	    "local0..local7)", d->name, a->argv[1]);
}

/*
 * An RFC 5424 APP-NAME is printable ASCII without blanks; '[', ']' and ':'
 * are kept out too, as the /dev/log format ends the tag with "[PID]: ".
 */
static int
do_syslog_tag(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	const char *v = a->argv[1], *c;

	if (v[0] == '\0' || strlen(v) > TF_SYSLOG_TAG_MAX)
		return perr(p, "'%s': bad tag '%s' (1 to %d characters)",
		    d->name, v, TF_SYSLOG_TAG_MAX);
	for (c = v; *c != '\0'; c++)
		if (*c < '!' || *c > '~' || strchr("[]:", *c) != NULL)
			return perr(p, "'%s': bad tag '%s' (printable ASCII "
			    "without blanks, '[', ']' or ':')", d->name, v);
	free(p->cfg->syslog.tag);
	p->cfg->syslog.tag = tf_xstrdup(v);
	return 0;
}

/* include GLOB: its files are read in the scope of the include line. */
static int
do_include(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	return tf_config_parse_include(&p->cp, d->name, a->argv[1]);
}

static int
valid_label(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return 0;
	return 1;
}

/* listener LABEL { : opens a block, with every listener default set. */
static int
do_listener(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_config *cfg = p->cfg;
	struct tf_listener_conf *l;
	size_t i;

	if (a->argc != 3 || a->quoted[2] || strcmp(a->argv[2], "{") != 0)
		return perr(p, "'%s': expected 'listener LABEL {'", d->name);
	if (!valid_label(a->argv[1]))
		return perr(p, "'%s': bad label '%s' (letters, digits, '-', "
		    "'_' and '.')", d->name, a->argv[1]);
	for (i = 0; i < cfg->nlisteners; i++)
		if (strcmp(cfg->listeners[i].name, a->argv[1]) == 0)
			return perr(p, "listener '%s' is duplicate "
			    "(first at %s:%d)", a->argv[1],
			    cfg->listeners[i].where.file,
			    cfg->listeners[i].where.line);

	cfg->listeners = tf_xrealloc(cfg->listeners,
	    (cfg->nlisteners + 1) * sizeof(*cfg->listeners));
	l = &cfg->listeners[cfg->nlisteners];
	memset(l, 0, sizeof(*l));
	l->name = tf_xstrdup(a->argv[1]);
	l->where = here(p);
	l->min_tls = 0x0303;
	l->mode = TF_MODE_ENFORCE;
	l->ciphers_where = l->where;
	l->upstream_where = l->where;
	l->upstream_ca = tf_xstrdup(DEFAULT_UPSTREAM_CA);
	l->upstream_ca_where = l->where;
	l->upstream_verify = 1;
	l->preserve_host = 0;
	l->handshake_timeout_ms = 10 * 1000;
	l->header_timeout_ms = 30 * 1000;
	l->idle_timeout_ms = 300 * 1000;
	l->upstream_connect_timeout_ms = 10 * 1000;
	l->upstream_timeout_ms = 3900 * 1000;
	l->max_connections = 20000;
	l->max_header_size = 64 * 1024;

	p->cur = cfg->nlisteners++;
	p->block_depth = p->cp.depth;
	p->seen_listener = 0;
	return 0;
}

/* } : closes the open block after checking what a listener needs. */
static int
close_block(struct parser *p, const struct tf_config_args *a)
{
	struct tf_listener_conf *l;
	size_t i;

	if (a->argc > 1)
		return perr(p, "extra argument '%s' after '}'", a->argv[1]);
	if (p->cur == NO_BLOCK)
		return perr(p, "'}' without a block");
	if (p->block_depth != p->cp.depth)
		return perr(p, "'}' closes a block opened in another file");
	l = cur_listener(p);
	if (l->nbinds == 0)
		return perr_at(p, l->where.file, l->where.line,
		    "listener '%s' has no 'bind'", l->name);
	if (l->ncerts == 0)
		return perr_at(p, l->where.file, l->where.line,
		    "listener '%s' has no 'cert'", l->name);
	if (l->upstream_host == NULL)
		return perr_at(p, l->where.file, l->where.line,
		    "listener '%s' has no 'upstream'", l->name);
	for (i = 0; i < l->nsni_floors; i++)
		if (l->sni_floors[i].min_tls <= l->min_tls)
			return perr_at(p, l->sni_floors[i].where.file,
			    l->sni_floors[i].where.line, "'min-tls' with "
			    "names raises their floor, and the listener's is "
			    "%s already", l->min_tls == 0x0304 ? "1.3" :
			    "1.2");
	/* An SMTP session has no Host header and no SNI that would choose:
	 * it goes to the upstream, whole. */
	if (l->protocol == TF_PROTO_SMTP && l->nroutes > 0)
		return perr_at(p, l->routes[0].where.file,
		    l->routes[0].where.line, "'route' is not allowed in an "
		    "smtp listener");
	if (l->protocol != TF_PROTO_SMTP && l->smtp_hostname != NULL)
		return perr_at(p, l->smtp_hostname_where.file,
		    l->smtp_hostname_where.line, "'smtp-hostname' needs "
		    "'protocol smtp'");
	p->cur = NO_BLOCK;
	return 0;
}

static int
do_workers(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	uint64_t v;

	if (strcmp(a->argv[1], "auto") == 0) {
		p->cfg->workers = 0;
		return 0;
	}
	if (tf_parse_uint(a->argv[1], 1024, &v) == -1 || v == 0)
		return perr(p, "'%s': bad value '%s' (auto or 1..1024)",
		    d->name, a->argv[1]);
	p->cfg->workers = (unsigned)v;
	return 0;
}

static int
do_metrics(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_config *cfg = p->cfg;
	const char *why;

	cfg->metrics_where = here(p);
	if (strcmp(a->argv[1], "off") == 0) {
		cfg->has_metrics = 0;
		return 0;
	}
	if (tf_addr_parse_bind(a->argv[1], &cfg->metrics_addr,
	    &cfg->metrics_addrlen, &why) == -1)
		return perr(p, "'%s': bad address '%s': %s", d->name,
		    a->argv[1], why);
	cfg->has_metrics = 1;
	return 0;
}

/* Returns the place where another bind already uses the address, or NULL. */
static const struct tf_where *
bind_in_use(struct tf_config *cfg, const struct sockaddr_storage *ss,
    socklen_t len)
{
	size_t i, j;

	for (i = 0; i < cfg->nlisteners; i++) {
		const struct tf_listener_conf *l = &cfg->listeners[i];

		for (j = 0; j < l->nbinds; j++)
			if (l->binds[j].addrlen == len &&
			    memcmp(&l->binds[j].addr, ss, len) == 0)
				return &l->binds[j].where;
	}
	return NULL;
}

static int
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	return ((const struct sockaddr_in6 *)ss)->sin6_port;
}

static int
do_bind(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	struct sockaddr_storage ss;
	const struct tf_where *prev;
	struct tf_bind_conf *b;
	socklen_t len;
	const char *why;

	if (tf_addr_parse_bind(a->argv[1], &ss, &len, &why) == -1)
		return perr(p, "'%s': bad address '%s': %s", d->name,
		    a->argv[1], why);
	/* Port 0 binds get a port each; any other repeat is a mistake
	 * that SO_REUSEPORT would otherwise turn into split traffic. */
	if (port_of(&ss) != 0 && (prev = bind_in_use(p->cfg, &ss, len)) != NULL)
		return perr(p, "'%s': %s is already bound at %s:%d", d->name,
		    a->argv[1], prev->file, prev->line);
	l->binds = tf_xrealloc(l->binds, (l->nbinds + 1) * sizeof(*l->binds));
	b = &l->binds[l->nbinds++];
	memset(b, 0, sizeof(*b));
	b->addr = ss;
	b->addrlen = len;
	b->text = tf_xstrdup(a->argv[1]);
	b->where = here(p);
	return 0;
}

static int
do_cert(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	struct tf_cert_conf *c;
	size_t i;

	for (i = 1; i < a->argc; i++)
		if (a->argv[i][0] == '\0')
			return perr(p, "'%s': empty path", d->name);
	l->certs = tf_xrealloc(l->certs, (l->ncerts + 1) * sizeof(*l->certs));
	c = &l->certs[l->ncerts++];
	memset(c, 0, sizeof(*c));
	c->chain = tf_config_parse_path(&p->cp, a->argv[1]);
	c->key = a->argc > 2 ? tf_config_parse_path(&p->cp, a->argv[2]) : NULL;
	c->where = here(p);
	return 0;
}

/* `ocsp-file PATH`: the response stapled with the `cert` line above it. */
static int
do_ocsp_file(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	struct tf_cert_conf *c;

	if (a->argv[1][0] == '\0')
		return perr(p, "'%s': empty path", d->name);
	if (l->ncerts == 0)
		return perr(p, "'%s' must follow the 'cert' it is for",
		    d->name);
	c = &l->certs[l->ncerts - 1];
	if (c->ocsp != NULL)
		return perr(p, "'%s': the 'cert' at line %d has one already "
		    "(line %d)", d->name, c->where.line, c->ocsp_where.line);
	c->ocsp = tf_config_parse_path(&p->cp, a->argv[1]);
	c->ocsp_where = here(p);
	return 0;
}

/* A host name as names are compared: a lower-case copy. */
static char *
lower_dup(const char *name)
{
	char *s = tf_xstrdup(name), *c;

	for (c = s; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

/* The floor named by `min-tls`'s first argument: 0x0303, 0x0304 or 0. */
static uint16_t
tls_floor(const char *v)
{
	if (strcmp(v, "1.2") == 0)
		return 0x0303;
	if (strcmp(v, "1.3") == 0)
		return 0x0304;
	return 0;
}

/* True when names (lower case) hold name (lower case). */
static int
names_have(char *const *names, size_t nnames, const char *name)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Where a listener's routes, or floors by name, name name; or NULL. */
typedef const struct tf_where *(*names_held_fn)(
    const struct tf_listener_conf *l, const char *name);

/*
 * The names argv[0..n) of a repeatable directive with names (min-tls,
 * route) go into *names (allocated here, n entries), lower case; each
 * must be non-empty and not held already, by this line or another, which
 * held() tells with its place, and the error says the name "TAKEN at
 * FILE:LINE". Returns 0, or -1 with the error set; what was added is the
 * listener's, freed with it.
 */
static int
add_names(struct parser *p, const struct directive *d, char *const *argv,
    size_t n, char ***names, size_t *nnames, names_held_fn held,
    const char *taken)
{
	const struct tf_where *prev;
	size_t i;
	char *s;

	*names = tf_xcalloc(n, sizeof(**names));
	for (i = 0; i < n; i++) {
		if (argv[i][0] == '\0')
			return perr(p, "'%s': empty name", d->name);
		s = lower_dup(argv[i]);
		if ((prev = held(cur_listener(p), s)) != NULL) {
			perr(p, "'%s': '%s' %s at %s:%d", d->name, s, taken,
			    prev->file, prev->line);
			free(s);
			return -1;
		}
		(*names)[(*nnames)++] = s;
	}
	return 0;
}

/* Frees a list of names, the strings and the array. */
static void
free_names(char **names, size_t nnames)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
}

/* The `min-tls VERSION NAME...` line that names name, or NULL. */
static const struct tf_where *
floor_named(const struct tf_listener_conf *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->nsni_floors; i++)
		if (names_have(l->sni_floors[i].names,
		    l->sni_floors[i].nnames, name))
			return &l->sni_floors[i].where;
	return NULL;
}

/*
 * `min-tls VERSION`: the listener's floor, once. `min-tls VERSION
 * NAME...`: a floor for the hellos whose SNI is one of NAME, repeatable;
 * that it raises the listener's is checked at the block's end, where the
 * listener's is known.
 */
static int
do_min_tls(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	struct tf_sni_floor_conf *f;
	uint16_t v = tls_floor(a->argv[1]);

	if (v == 0)
		return perr(p, "'%s': bad value '%s' (1.2 or 1.3)", d->name,
		    a->argv[1]);
	if (a->argc == 2) {
		if (l->min_tls_where.line != 0)
			return perr(p, "'%s' is duplicate",
			    d->name);
		l->min_tls = v;
		l->min_tls_where = here(p);
		return 0;
	}
	l->sni_floors = tf_xrealloc(l->sni_floors,
	    (l->nsni_floors + 1) * sizeof(*l->sni_floors));
	f = &l->sni_floors[l->nsni_floors++];
	memset(f, 0, sizeof(*f));
	f->min_tls = v;
	f->where = here(p);
	return add_names(p, d, a->argv + 2, a->argc - 2, &f->names,
	    &f->nnames, floor_named, "has a floor already");
}

/* The name goes into SMTP lines as it is: no CR, LF or blank may. */
static int
do_smtp_hostname(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);

	if (!tf_smtp_valid_host(a->argv[1]))
		return perr(p, "'%s': bad host name '%s' (letters, digits, "
		    "'-' and '.')", d->name, a->argv[1]);
	l->smtp_hostname = tf_xstrdup(a->argv[1]);
	l->smtp_hostname_where = here(p);
	return 0;
}

static int
do_exempt(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	size_t i;

	l->exempt = tf_xrealloc(l->exempt,
	    (l->nexempt + a->argc - 1) * sizeof(*l->exempt));
	for (i = 1; i < a->argc; i++) {
		const char *why;

		if (tf_cidr_parse(a->argv[i], &l->exempt[l->nexempt],
		    &why) == -1)
			return perr(p, "'%s': bad network '%s': %s", d->name,
			    a->argv[i], why);
		l->nexempt++;
	}
	return 0;
}

static int
do_upstream(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	const char *why;

	if (tf_addr_parse_hostport(a->argv[1], &l->upstream_host,
	    &l->upstream_port, &why) == -1)
		return perr(p, "'%s': bad address '%s': %s", d->name,
		    a->argv[1], why);
	l->upstream_where = here(p);
	return 0;
}

/* The route that names name, or NULL. */
static const struct tf_where *
route_named(const struct tf_listener_conf *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->nroutes; i++)
		if (names_have(l->routes[i].names, l->routes[i].nnames, name))
			return &l->routes[i].where;
	return NULL;
}

static int
do_route(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	struct tf_listener_conf *l = cur_listener(p);
	struct tf_route_conf *r;
	const char *why;

	l->routes = tf_xrealloc(l->routes,
	    (l->nroutes + 1) * sizeof(*l->routes));
	r = &l->routes[l->nroutes];
	memset(r, 0, sizeof(*r));
	if (tf_addr_parse_hostport(a->argv[a->argc - 1], &r->host, &r->port,
	    &why) == -1)
		return perr(p, "'%s': bad address '%s': %s", d->name,
		    a->argv[a->argc - 1], why);
	l->nroutes++;   /* from here on tf_config_free() owns it */
	r->where = here(p);
	/* One name, one route: an ambiguous name would make the
	 * SNI-versus-Host check meaningless. */
	return add_names(p, d, a->argv + 1, a->argc - 2, &r->names,
	    &r->nnames, route_named, "is already routed");
}

static int
do_max_connections(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	uint64_t v;

	if (tf_parse_uint(a->argv[1], 10000000, &v) == -1 || v == 0)
		return perr(p, "'%s': bad value '%s' (1..10000000)", d->name,
		    a->argv[1]);
	cur_listener(p)->max_connections = (unsigned)v;
	return 0;
}

static int
do_max_header_size(struct parser *p, const struct directive *d,
    const struct tf_config_args *a)
{
	uint64_t v;

	if (tf_config_parse_size(a->argv[1], &v) == -1 || v < 1024 ||
	    v > 1024 * 1024)
		return perr(p, "'%s': bad size '%s' (1k..1m)", d->name,
		    a->argv[1]);
	cur_listener(p)->max_header_size = (size_t)v;
	return 0;
}

/* The words of set_choice's directives, in their enums' order. */
static const char *const modes[] = { "enforce", "audit", NULL };
static const char *const protocols[] = { "http", "smtp", NULL };
_Static_assert(TF_MODE_AUDIT == 1 && TF_PROTO_SMTP == 1 &&
    sizeof(enum tf_mode) == sizeof(int) &&
    sizeof(enum tf_protocol) == sizeof(int), "set_choice stores ints");

#define CFG(f) offsetof(struct tf_config, f)
#define LST(f) offsetof(struct tf_listener_conf, f)

/*
 * Every directive: name, handler, argument counts, scope, ONCE or REPEAT per
 * scope; then the field the generic handlers store into.
 */
static const struct directive directives[] = {
	{ "include", do_include, 1, 1, SCOPE_GLOBAL | SCOPE_LISTENER, REPEAT,
	    .off = 0 },
	{ "listener", do_listener, 1, 2, SCOPE_GLOBAL, REPEAT, .off = 0 },

	{ "workers", do_workers, 1, 1, SCOPE_GLOBAL, ONCE, .off = 0 },
	{ "user", set_string, 1, 1, SCOPE_GLOBAL, ONCE,
	    .off = CFG(user), .where_off = CFG(user_where) },
	{ "error-log", set_log, 1, 2, SCOPE_GLOBAL, ONCE,
	    .off = CFG(error_log) },
	{ "legacy-log", set_log, 1, 2, SCOPE_GLOBAL, ONCE,
	    .off = CFG(legacy_log) },
	{ "access-log", set_log, 1, 2, SCOPE_GLOBAL, ONCE,
	    .off = CFG(access_log) },
	{ "syslog-facility", do_syslog_facility, 1, 1, SCOPE_GLOBAL, ONCE,
	    .off = 0 },
	{ "syslog-tag", do_syslog_tag, 1, 1, SCOPE_GLOBAL, ONCE, .off = 0 },
	{ "metrics", do_metrics, 1, 1, SCOPE_GLOBAL, ONCE, .off = 0 },
	{ "fingerprints", set_path, 1, 1, SCOPE_GLOBAL, ONCE,
	    .off = CFG(fingerprints) },
	{ "shutdown-timeout", set_duration, 1, 1, SCOPE_GLOBAL, ONCE,
	    .off = CFG(shutdown_timeout_ms) },

	{ "bind", do_bind, 1, 1, SCOPE_LISTENER, REPEAT, .off = 0 },
	{ "cert", do_cert, 1, 2, SCOPE_LISTENER, REPEAT, .off = 0 },
	{ "ocsp-file", do_ocsp_file, 1, 1, SCOPE_LISTENER, REPEAT, .off = 0 },
	{ "min-tls", do_min_tls, 1, ARGS_MANY, SCOPE_LISTENER, REPEAT,
	    .off = 0 },
	{ "mode", set_choice, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(mode), .choices = modes },
	{ "protocol", set_choice, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(protocol), .choices = protocols },
	{ "smtp-hostname", do_smtp_hostname, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = 0 },
	{ "exempt", do_exempt, 1, ARGS_MANY, SCOPE_LISTENER, REPEAT, .off = 0 },
	{ "ciphers", set_ciphers, 1, ARGS_MANY, SCOPE_LISTENER, ONCE,
	    .off = LST(ciphers), .where_off = LST(ciphers_where) },
	{ "proxy-protocol", set_flag, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(proxy_protocol) },
	{ "upstream", do_upstream, 1, 1, SCOPE_LISTENER, ONCE, .off = 0 },
	{ "route", do_route, 2, ARGS_MANY, SCOPE_LISTENER, REPEAT, .off = 0 },
	{ "upstream-ca", set_path, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(upstream_ca), .where_off = LST(upstream_ca_where) },
	{ "upstream-sni", set_string, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(upstream_sni) },
	{ "upstream-verify", set_flag, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(upstream_verify) },
	{ "preserve-host", set_flag, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(preserve_host) },
	{ "handshake-timeout", set_timeout, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(handshake_timeout_ms) },
	{ "header-timeout", set_timeout, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(header_timeout_ms) },
	{ "idle-timeout", set_timeout, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(idle_timeout_ms) },
	{ "upstream-connect-timeout", set_timeout, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(upstream_connect_timeout_ms) },
	{ "upstream-timeout", set_timeout, 1, 1, SCOPE_LISTENER, ONCE,
	    .off = LST(upstream_timeout_ms) },
	{ "max-connections", do_max_connections, 1, 1, SCOPE_LISTENER, ONCE, .off = 0 },
	{ "max-header-size", do_max_header_size, 1, 1, SCOPE_LISTENER, ONCE, .off = 0 },
};

/* The seen_* masks have one bit per directive. */
_Static_assert(TF_ARRAY_SIZE(directives) <= 64, "too many directives");

/*
 * The line callback: looks the first word up in directives[], checks its
 * scope, argument count and repetition, then runs its handler. Returns 0,
 * or -1 with the error set.
 */
static int
parse_line(struct tf_config_parse *cp, const struct tf_config_args *a)
{
	struct parser *p = tf_container_of(cp, struct parser, cp);
	const struct directive *d = NULL;
	uint64_t *seen, bit;
	unsigned scope, nargs;
	size_t i;

	if (!a->quoted[0] && strcmp(a->argv[0], "}") == 0)
		return close_block(p, a);
	for (i = 0; i < TF_ARRAY_SIZE(directives); i++) {
		if (strcmp(directives[i].name, a->argv[0]) == 0) {
			d = &directives[i];
			break;
		}
	}
	if (d == NULL)
		return perr(p, "unknown directive '%s'", a->argv[0]);

	scope = p->cur == NO_BLOCK ? SCOPE_GLOBAL : SCOPE_LISTENER;
	if (!(d->scope & scope)) {
		if (scope == SCOPE_GLOBAL)
			return perr(p, "'%s' is only allowed in a listener "
			    "block", d->name);
		return perr(p, "'%s' is not allowed in a listener block",
		    d->name);
	}
	nargs = (unsigned)(a->argc - 1);
	if (nargs < d->min_args)
		return perr(p, "'%s': missing argument", d->name);
	if (nargs > d->max_args)
		return perr(p, "'%s': extra argument '%s'", d->name,
		    a->argv[d->max_args + 1]);
	if (!d->repeatable) {
		seen = scope == SCOPE_GLOBAL ? &p->seen_global :
		    &p->seen_listener;
		bit = (uint64_t)1 << i;
		if (*seen & bit)
			return perr(p, "'%s' is duplicate", d->name);
		*seen |= bit;
	}
	return d->fn(p, d, a);
}

/*
 * The end-of-file callback: a block opened in a file must be closed in it.
 * Returns 0, or -1 with the error at the 'listener' line.
 */
static int
end_file(struct tf_config_parse *cp)
{
	struct parser *p = tf_container_of(cp, struct parser, cp);
	const struct tf_listener_conf *l;

	if (p->cur == NO_BLOCK || p->block_depth != cp->depth)
		return 0;
	l = cur_listener(p);
	return perr_at(p, l->where.file, l->where.line,
	    "listener '%s' is not closed", l->name);
}

struct tf_config *
tf_config_load(const char *path, char *err, size_t errlen)
{
	struct tf_config *cfg = tf_xcalloc(1, sizeof(*cfg));
	struct parser p;
	int r;

	cfg->magic = TF_CONFIG_MAGIC;
	cfg->path = tf_xstrdup(path);
	cfg->workers = 0;
	cfg->error_log.kind = TF_LOG_STDERR;
	cfg->legacy_log.kind = TF_LOG_FILE;
	cfg->legacy_log.path = tf_xstrdup(DEFAULT_LEGACY_LOG);
	cfg->access_log.kind = TF_LOG_FILE;
	cfg->access_log.path = tf_xstrdup(DEFAULT_ACCESS_LOG);
	cfg->syslog.facility = 3;       /* daemon */
	cfg->syslog.tag = tf_xstrdup("tlsfloor");
	cfg->shutdown_timeout_ms = 30 * 1000;

	memset(&p, 0, sizeof(p));
	tf_config_parse_init(&p.cp, err, errlen, parse_line, end_file);
	p.cfg = cfg;
	p.cur = NO_BLOCK;
	r = tf_config_parse_file(&p.cp, path);
	/* Every struct tf_where points into these, success or not. */
	cfg->files = p.cp.files;
	cfg->nfiles = p.cp.nfiles;
	if (r == -1)
		goto fail;
	if (cfg->nlisteners == 0) {
		perr_at(&p, path, 0, "no 'listener' block");
		goto fail;
	}
	return cfg;

fail:
	tf_config_free(cfg);
	return NULL;
}

static void
listener_free(struct tf_listener_conf *l)
{
	size_t i;

	free(l->name);
	for (i = 0; i < l->nbinds; i++)
		free(l->binds[i].text);
	free(l->binds);
	for (i = 0; i < l->ncerts; i++) {
		free(l->certs[i].chain);
		free(l->certs[i].key);
		free(l->certs[i].ocsp);
	}
	free(l->certs);
	free(l->exempt);
	free(l->ciphers);
	free(l->upstream_host);
	for (i = 0; i < l->nsni_floors; i++)
		free_names(l->sni_floors[i].names, l->sni_floors[i].nnames);
	free(l->sni_floors);
	for (i = 0; i < l->nroutes; i++) {
		free_names(l->routes[i].names, l->routes[i].nnames);
		free(l->routes[i].host);
	}
	free(l->routes);
	free(l->upstream_ca);
	free(l->upstream_sni);
	free(l->smtp_hostname);
}

void
tf_config_free(struct tf_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	TF_CHECK_OBJ(cfg, TF_CONFIG_MAGIC);
	for (i = 0; i < cfg->nlisteners; i++)
		listener_free(&cfg->listeners[i]);
	free(cfg->listeners);
	free(cfg->user);
	free(cfg->error_log.path);
	free(cfg->legacy_log.path);
	free(cfg->access_log.path);
	free(cfg->syslog.tag);
	free(cfg->fingerprints);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	cfg->magic = 0;
	free(cfg);
}
