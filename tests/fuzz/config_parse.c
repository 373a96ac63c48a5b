/*
 * libFuzzer driver for proxy/config.c: each input is written to a file in
 * a private folder (made once, under /dev/shm when there is one) and
 * loaded with tf_config_load(), as `tlsfloor -t -c FILE` does; a result is
 * checked and freed. The folder also holds three files to include, so that
 * `include` has something to find; inputs whose include could reach
 * outside the folder (a '/' on a line that says include) are skipped,
 * since /dev/zero or a FIFO would hang the fuzzer rather than find a bug.
 * Certificate and key paths are only stored by tf_config_load().
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char dir[256];
static char path[300];

static const char inc_listener[] =
    "listener inc {\n"
    "    bind 127.0.0.1:0\n"
    "    cert chain.pem key.pem\n"
    "    upstream localhost:9443\n"
    "    include part.inc\n"
    "}\n";
static const char inc_part[] =
    "route mail.contoso.test \"autodiscover.contoso.test\" [::1]:8443\n"
    "exempt 10.0.0.0/8 ::ffff:192.168.0.0/112\n"
    "header-timeout 5s\n";
static const char inc_brace[] = "}\n";

static void
remove_dir(void)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/fuzz.conf", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/listener.inc", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/part.inc", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/brace.inc", dir);
	unlink(p);
	rmdir(dir);
}

static void
write_file(const char *name, const void *data, size_t n)
{
	char p[300];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(n == 0 || write(fd, data, n) == (ssize_t)n);
	CHECK(close(fd) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/tf-fuzz-config.XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	atexit(remove_dir);
	write_file("listener.inc", inc_listener, sizeof(inc_listener) - 1);
	write_file("part.inc", inc_part, sizeof(inc_part) - 1);
	write_file("brace.inc", inc_brace, sizeof(inc_brace) - 1);
	snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	return 0;
}

/*
 * 1 when an include in the input could name something outside dir: a
 * line that says include and has a '/'. Quotes and backslashes are
 * ignored, since they can split the word ("inc""lude"); config_parse.c
 * reads a line at a time, so nothing carries over a newline.
 */
static int
may_escape(const uint8_t *data, size_t size)
{
	static const char word[] = "include";
	size_t i, k = 0;
	int slash = 0, inc = 0;

	for (i = 0; i <= size; i++) {
		char c = i < size ? (char)data[i] : '\n';

		if (c == '\n') {
			if (inc && slash)
				return 1;
			inc = slash = 0;
			k = 0;
			continue;
		}
		if (c == '"' || c == '\\')
			continue;
		if (c == '/')
			slash = 1;
		k = c == word[k] ? k + 1 : c == word[0] ? 1 : 0;
		if (k == sizeof(word) - 1) {
			inc = 1;
			k = 0;
		}
	}
	return 0;
}

static int
in_files(const struct tf_config *cfg, const char *file)
{
	size_t i;

	if (file == NULL)
		return 1;
	for (i = 0; i < cfg->nfiles; i++)
		if (cfg->files[i] == file)
			return 1;
	return 0;
}

static void
check_log(const struct tf_config *cfg, const struct tf_log_dest *d)
{
	CHECK(d->kind == TF_LOG_FILE || d->kind == TF_LOG_STDERR ||
	    d->kind == TF_LOG_SYSLOG || d->kind == TF_LOG_OFF);
	CHECK((d->kind == TF_LOG_FILE) == (d->path != NULL));
	CHECK(d->path == NULL || d->path[0] == '/');
	CHECK(in_files(cfg, d->where.file));
	if (d->kind != TF_LOG_SYSLOG)
		return;
	CHECK(d->addrlen > 0 && d->addrlen <= sizeof(d->addr));
	if (d->target == TF_SYSLOG_UDP) {
		CHECK(d->addr.ss_family == AF_INET ||
		    d->addr.ss_family == AF_INET6);
	} else {
		const struct sockaddr_un *sun =
		    (const struct sockaddr_un *)&d->addr;

		CHECK(d->target == TF_SYSLOG_DEVLOG ||
		    d->target == TF_SYSLOG_UNIX);
		CHECK(sun->sun_family == AF_UNIX && sun->sun_path[0] == '/');
		CHECK(memchr(sun->sun_path, '\0', sizeof(sun->sun_path)) !=
		    NULL);
	}
}

/* What listener.c, tls.c and conn.c rely on in a loaded configuration. */
static void
check_config(const struct tf_config *cfg)
{
	size_t i, j, k;

	CHECK(cfg->magic == TF_CONFIG_MAGIC);
	CHECK(cfg->path != NULL && strcmp(cfg->path, path) == 0);
	CHECK(cfg->nfiles >= 1 && strcmp(cfg->files[0], path) == 0);
	CHECK(cfg->nlisteners >= 1);
	CHECK(cfg->workers <= 1024);
	CHECK(cfg->user == NULL || cfg->user[0] != '\0');
	CHECK(cfg->fingerprints == NULL || cfg->fingerprints[0] == '/');
	check_log(cfg, &cfg->error_log);
	check_log(cfg, &cfg->legacy_log);
	check_log(cfg, &cfg->access_log);
	CHECK(cfg->legacy_log.kind != TF_LOG_STDERR);
	CHECK(cfg->access_log.kind != TF_LOG_STDERR);
	CHECK(cfg->syslog.facility <= 23);
	CHECK(cfg->syslog.tag != NULL && cfg->syslog.tag[0] != '\0' &&
	    strlen(cfg->syslog.tag) <= TF_SYSLOG_TAG_MAX);
	if (cfg->has_metrics)
		CHECK(cfg->metrics_addrlen > 0 &&
		    cfg->metrics_addrlen <= sizeof(cfg->metrics_addr));
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct tf_listener_conf *l = &cfg->listeners[i];

		CHECK(l->name != NULL && l->name[0] != '\0');
		for (j = 0; j < i; j++)
			CHECK(strcmp(cfg->listeners[j].name, l->name) != 0);
		CHECK(in_files(cfg, l->where.file) && l->where.line > 0);
		CHECK(l->nbinds >= 1 && l->ncerts >= 1);
		CHECK(l->upstream_host != NULL && l->upstream_port != 0);
		CHECK(l->min_tls == 0x0303 || l->min_tls == 0x0304);
		CHECK(l->mode == TF_MODE_ENFORCE || l->mode == TF_MODE_AUDIT);
		CHECK(l->upstream_ca != NULL && l->upstream_ca[0] == '/');
		CHECK(l->upstream_sni == NULL || l->upstream_sni[0] != '\0');
		CHECK(l->ciphers == NULL || l->ciphers[0] != '\0');
		CHECK(l->max_header_size >= 1024 &&
		    l->max_header_size <= 1024 * 1024);
		CHECK(l->max_connections >= 1);
		CHECK(l->handshake_timeout_ms > 0 &&
		    l->header_timeout_ms > 0 && l->idle_timeout_ms > 0 &&
		    l->upstream_connect_timeout_ms > 0 &&
		    l->upstream_timeout_ms > 0);
		CHECK(in_files(cfg, l->ciphers_where.file) &&
		    in_files(cfg, l->upstream_where.file) &&
		    in_files(cfg, l->upstream_ca_where.file));
		for (j = 0; j < l->nbinds; j++) {
			const struct tf_bind_conf *b = &l->binds[j];

			CHECK(b->text != NULL && in_files(cfg, b->where.file));
			CHECK(b->addrlen > 0 && b->addrlen <= sizeof(b->addr));
			CHECK(b->addr.ss_family == AF_INET ||
			    b->addr.ss_family == AF_INET6);
		}
		for (j = 0; j < l->ncerts; j++) {
			const struct tf_cert_conf *c = &l->certs[j];

			CHECK(c->chain != NULL && c->chain[0] == '/');
			CHECK(c->key == NULL || c->key[0] == '/');
			CHECK(in_files(cfg, c->where.file));
		}
		for (j = 0; j < l->nexempt; j++) {
			const struct tf_cidr *c = &l->exempt[j];

			CHECK((c->family == AF_INET && c->prefix <= 32) ||
			    (c->family == AF_INET6 && c->prefix <= 128));
		}
		for (j = 0; j < l->nroutes; j++) {
			const struct tf_route_conf *r = &l->routes[j];

			CHECK(r->nnames >= 1 && r->host != NULL &&
			    r->port != 0);
			CHECK(in_files(cfg, r->where.file));
			for (k = 0; k < r->nnames; k++)
				CHECK(r->names[k] != NULL &&
				    r->names[k][0] != '\0');
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_config *cfg;
	size_t errlen;
	char *err;

	if (may_escape(data, size))
		return -1;
	write_file("fuzz.conf", data, size);

	/* main.c's buffer, or a small one to exercise the truncation. */
	errlen = size % 7 == 0 ? 1 + size % 16 : 512;
	err = malloc(errlen);
	CHECK(err != NULL);
	cfg = tf_config_load(path, err, errlen);
	CHECK(memchr(err, '\0', errlen) != NULL);
	if (cfg == NULL) {
		CHECK(errlen == 1 || err[0] != '\0');
	} else {
		CHECK(err[0] == '\0');
		check_config(cfg);
		tf_config_free(cfg);
	}
	free(err);
	return 0;
}
