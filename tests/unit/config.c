/*
 * Unit tests for proxy/config.c: the configuration language of SPEC.md.
 * Every test writes its files into its own mkdtemp() folder under /tmp (the
 * source tree may be read-only) and removes it at exit, failed or not.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw() */
#endif

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

/* A listener with just what it needs, as the tail of most test files. */
#define MINIMAL \
	"listener edge {\n" \
	"\tbind 127.0.0.1:0\n" \
	"\tcert a.pem\n" \
	"\tupstream example.com:443\n" \
	"}\n"

static char tmpdir[256];

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates this test's folder; it is removed when the test process exits. */
static void
setup(void)
{
	char dir[] = "/tmp/tf-config-test-XXXXXX";
	char *real;

	if (mkdtemp(dir) == NULL)
		TEST_FAIL("mkdtemp: %s", strerror(errno));
	/* Errors name the path as the parser saw it: keep it canonical. */
	real = realpath(dir, NULL);
	if (real == NULL || strlen(real) >= sizeof(tmpdir))
		TEST_FAIL("realpath: %s", strerror(errno));
	strcpy(tmpdir, real);
	free(real);
	atexit(rm_tmpdir);
}

/* Writes tmpdir/NAME (NAME is a printf format) into out. */
static void TF_PRINTF(2, 3)
path_of(char out[PATH_MAX], const char *fmt, ...)
{
	char name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

/* Writes text to tmpdir/name. */
static void
put(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	path_of(path, "%s", name);
	f = fopen(path, "w");
	if (f == NULL)
		TEST_FAIL("%s: %s", path, strerror(errno));
	if (fputs(text, f) == EOF || fclose(f) != 0)
		TEST_FAIL("%s: write failed", path);
}

static void
put_dir(const char *name)
{
	char path[PATH_MAX];

	path_of(path, "%s", name);
	if (mkdir(path, 0755) != 0)
		TEST_FAIL("mkdir %s: %s", path, strerror(errno));
}

/* Loads tmpdir/name, which must succeed. */
static struct tf_config *
load_ok(const char *name)
{
	char path[PATH_MAX], err[512];
	struct tf_config *cfg;

	path_of(path, "%s", name);
	cfg = tf_config_load(path, err, sizeof(err));
	if (cfg == NULL)
		TEST_FAIL("tf_config_load(%s): %s", name, err);
	ASSERT_EQ(cfg->magic, TF_CONFIG_MAGIC);
	return cfg;
}

/* Writes main.conf with text and loads it; it must succeed. */
static struct tf_config *
text_ok(const char *text)
{
	put("main.conf", text);
	return load_ok("main.conf");
}

/*
 * Loads tmpdir/name, which must fail with exactly tmpdir + "/" + expected
 * (expected starts with the file name, as in "main.conf:3: ...").
 */
static void
load_err(const char *name, const char *expected)
{
	char path[PATH_MAX], err[512], want[PATH_MAX + 256];
	struct tf_config *cfg;

	path_of(path, "%s", name);
	memset(err, 'X', sizeof(err));
	cfg = tf_config_load(path, err, sizeof(err));
	if (cfg != NULL) {
		tf_config_free(cfg);
		TEST_FAIL("%s loaded, expected \"%s\"", name, expected);
	}
	snprintf(want, sizeof(want), "%s/%s", tmpdir, expected);
	ASSERT_STR_EQ(err, want);
}

/* Writes main.conf with text; loading it must fail with expected. */
static void
text_err(const char *text, const char *expected)
{
	put("main.conf", text);
	load_err("main.conf", expected);
}

/*
 * Checks that "DIRECTIVE" inside a minimal listener, at line 5, fails with
 * "main.conf:5: " + expected.
 */
static void
listener_err(const char *directive, const char *expected)
{
	char text[1024], want[1100];

	snprintf(text, sizeof(text),
	    "listener edge {\n"
	    "\tbind 127.0.0.1:0\n"
	    "\tcert a.pem\n"
	    "\tupstream example.com:443\n"
	    "\t%s\n"
	    "}\n", directive);
	snprintf(want, sizeof(want), "main.conf:5: %s", expected);
	text_err(text, want);
}

/* The same for a global directive, at line 1. */
static void
global_err(const char *directive, const char *expected)
{
	char text[1024], want[1100];

	snprintf(text, sizeof(text), "%s\n" MINIMAL, directive);
	snprintf(want, sizeof(want), "main.conf:1: %s", expected);
	text_err(text, want);
}

/* Loads a minimal listener with one more directive; returns the config. */
static struct tf_config *
listener_ok(const char *directive)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "listener edge {\n"
	    "\tbind 127.0.0.1:0\n"
	    "\tcert a.pem\n"
	    "\tupstream example.com:443\n"
	    "\t%s\n"
	    "}\n", directive);
	return text_ok(text);
}

/* Checks that a where points into tmpdir/name at line. */
static void
where_is(const struct tf_where *w, const char *name, int line)
{
	char path[PATH_MAX];

	path_of(path, "%s", name);
	ASSERT_STR_EQ(w->file, path);
	ASSERT_EQ(w->line, line);
}

/* Formats a bind address back to text, for comparisons. */
static void
bind_text(const struct tf_bind_conf *b, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;

	if (b->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin =
		    (const struct sockaddr_in *)&b->addr;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
		snprintf(out, outlen, "%s:%u", ip, port);
	} else {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)&b->addr;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
		snprintf(out, outlen, "[%s]:%u", ip, port);
	}
}

TEST(defaults)
{
	struct tf_config *cfg;
	const struct tf_listener_conf *l;
	char path[PATH_MAX], text[64];

	setup();
	cfg = text_ok(MINIMAL);
	path_of(path, "main.conf");
	ASSERT_STR_EQ(cfg->path, path);
	ASSERT_EQ(cfg->nfiles, 1);
	ASSERT_STR_EQ(cfg->files[0], path);

	ASSERT_EQ(cfg->workers, 0);
	ASSERT(cfg->user == NULL);
	ASSERT_EQ(cfg->error_log.kind, TF_LOG_STDERR);
	ASSERT(cfg->error_log.path == NULL);
	ASSERT(cfg->error_log.where.file == NULL);
	ASSERT_EQ(cfg->legacy_log.kind, TF_LOG_FILE);
	ASSERT_STR_EQ(cfg->legacy_log.path, "/var/log/tlsfloor/legacy.jsonl");
	ASSERT_EQ(cfg->access_log.kind, TF_LOG_FILE);
	ASSERT_STR_EQ(cfg->access_log.path, "/var/log/tlsfloor/access.jsonl");
	ASSERT_EQ(cfg->has_metrics, 0);
	ASSERT(cfg->fingerprints == NULL);
	ASSERT_EQ(cfg->shutdown_timeout_ms, 30000);

	ASSERT_EQ(cfg->nlisteners, 1);
	l = &cfg->listeners[0];
	ASSERT_STR_EQ(l->name, "edge");
	where_is(&l->where, "main.conf", 1);
	ASSERT_EQ(l->nbinds, 1);
	ASSERT_STR_EQ(l->binds[0].text, "127.0.0.1:0");
	bind_text(&l->binds[0], text, sizeof(text));
	ASSERT_STR_EQ(text, "127.0.0.1:0");
	where_is(&l->binds[0].where, "main.conf", 2);
	ASSERT_EQ(l->ncerts, 1);
	path_of(path, "a.pem");
	ASSERT_STR_EQ(l->certs[0].chain, path);
	ASSERT(l->certs[0].key == NULL);
	where_is(&l->certs[0].where, "main.conf", 3);
	ASSERT_EQ(l->min_tls, 0x0303);
	ASSERT_EQ(l->mode, TF_MODE_ENFORCE);
	ASSERT_EQ(l->nexempt, 0);
	ASSERT(l->ciphers == NULL);
	where_is(&l->ciphers_where, "main.conf", 1);
	ASSERT_EQ(l->proxy_protocol, 0);
	ASSERT_STR_EQ(l->upstream_host, "example.com");
	ASSERT_EQ(l->upstream_port, 443);
	where_is(&l->upstream_where, "main.conf", 4);
	ASSERT_EQ(l->nroutes, 0);
	ASSERT_STR_EQ(l->upstream_ca, "/etc/ssl/certs/ca-certificates.crt");
	where_is(&l->upstream_ca_where, "main.conf", 1);
	ASSERT(l->upstream_sni == NULL);
	ASSERT_EQ(l->upstream_verify, 1);
	ASSERT_EQ(l->preserve_host, 0);
	ASSERT_EQ(l->handshake_timeout_ms, 10000);
	ASSERT_EQ(l->header_timeout_ms, 30000);
	ASSERT_EQ(l->idle_timeout_ms, 300000);
	ASSERT_EQ(l->upstream_connect_timeout_ms, 10000);
	ASSERT_EQ(l->upstream_timeout_ms, 3900000);
	ASSERT_EQ(l->max_connections, 20000);
	ASSERT_EQ(l->max_header_size, 65536);
	tf_config_free(cfg);
	tf_config_free(NULL);
}

TEST(sni_floors)
{
	struct tf_config *cfg;
	const struct tf_listener_conf *l;
	char path[PATH_MAX], want[512];

	setup();
	cfg = text_ok(
	    "listener edge {\n"
	    "    bind 127.0.0.1:0\n"
	    "    cert a.pem\n"
	    "    min-tls 1.3 Mail.Contoso.com autodiscover.contoso.com\n"
	    "    upstream example.com:443\n"
	    "    min-tls 1.3 owa.contoso.com\n"           /* 6 */
	    "    min-tls 1.2\n"
	    "}\n");
	l = &cfg->listeners[0];
	ASSERT_EQ(l->min_tls, 0x0303);
	where_is(&l->min_tls_where, "main.conf", 7);
	ASSERT_EQ(l->nsni_floors, 2);
	ASSERT_EQ(l->sni_floors[0].min_tls, 0x0304);
	ASSERT_EQ(l->sni_floors[0].nnames, 2);
	ASSERT_STR_EQ(l->sni_floors[0].names[0], "mail.contoso.com");
	ASSERT_STR_EQ(l->sni_floors[0].names[1], "autodiscover.contoso.com");
	ASSERT_STR_EQ(l->sni_floors[1].names[0], "owa.contoso.com");
	where_is(&l->sni_floors[1].where, "main.conf", 6);
	tf_config_free(cfg);

	/* Each name one floor; names raise the listener's; 1.2 or 1.3. */
	path_of(path, "main.conf");
	ASSERT(snprintf(want, sizeof(want), "'min-tls': 'a.example' has a "
	    "floor already at %s:5", path) < (int)sizeof(want));
	listener_err("min-tls 1.3 a.example b.example A.example", want);
	listener_err("min-tls 1.2 a.example", "'min-tls' with names raises "
	    "their floor, and the listener's is 1.2 already");
	listener_err("min-tls 1.4 a.example",
	    "'min-tls': bad value '1.4' (1.2 or 1.3)");
	listener_err("min-tls 1.3 \"\"", "'min-tls': empty name");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:443\n\tmin-tls 1.3 a.example\n"
	    "\tmin-tls 1.3\n}\n", "main.conf:5: 'min-tls' with names "
	    "raises their floor, and the listener's is 1.3 already");
}

TEST(every_directive)
{
	struct tf_config *cfg;
	const struct tf_listener_conf *l;
	char path[PATH_MAX], text[64];

	setup();
	cfg = text_ok(
	    "workers 4\n"
	    "user tlsfloor\n"
	    "error-log logs/error.log\n"
	    "legacy-log syslog\n"
	    "access-log off\n"
	    "metrics off\n"
	    "\n"
	    "listener edge {\n"
	    "    bind 127.0.0.1:8443\n"                      /* 9 */
	    "    bind [::1]:8443\n"
	    "    cert /etc/ecdsa.pem /etc/ecdsa.key\n"
	    "    cert rsa.pem\n"
	    "    min-tls 1.3\n"
	    "    mode enforce\n"
	    "    ciphers ECDHE-RSA-AES128-GCM-SHA256:0xc02b\n" /* 15 */
	    "    proxy-protocol off\n"
	    "    upstream [2001:db8::1]:8443\n"
	    "    upstream-ca ca/roots.pem\n"
	    "    upstream-sni outlook.office365.com\n"
	    "    upstream-verify off\n"                      /* 20 */
	    "    preserve-host on\n"
	    "    handshake-timeout 500ms\n"
	    "    header-timeout 1m\n"
	    "    idle-timeout 2h\n"
	    "    upstream-connect-timeout 7\n"               /* 25 */
	    "    upstream-timeout 65m\n"
	    "    max-header-size 1m\n"
	    "}\n"
	    "listener second {\n"
	    "    bind *:0\n"                                 /* 30 */
	    "    bind *:0\n"
	    "    cert b.pem\n"
	    "    upstream 10.0.0.1:80\n"
	    "    max-header-size 1k\n"
	    "}\n");
	ASSERT_EQ(cfg->workers, 4);
	ASSERT_STR_EQ(cfg->user, "tlsfloor");
	ASSERT_EQ(cfg->error_log.kind, TF_LOG_FILE);
	path_of(path, "logs/error.log");
	ASSERT_STR_EQ(cfg->error_log.path, path);
	where_is(&cfg->error_log.where, "main.conf", 3);
	ASSERT_EQ(cfg->legacy_log.kind, TF_LOG_SYSLOG);
	ASSERT(cfg->legacy_log.path == NULL);
	ASSERT_EQ(cfg->access_log.kind, TF_LOG_OFF);
	ASSERT(cfg->access_log.path == NULL);
	ASSERT_EQ(cfg->has_metrics, 0);

	ASSERT_EQ(cfg->nlisteners, 2);
	l = &cfg->listeners[0];
	ASSERT_EQ(l->nbinds, 2);
	ASSERT_STR_EQ(l->binds[1].text, "[::1]:8443");
	bind_text(&l->binds[1], text, sizeof(text));
	ASSERT_STR_EQ(text, "[::1]:8443");
	where_is(&l->binds[1].where, "main.conf", 10);
	ASSERT_EQ(l->ncerts, 2);
	ASSERT_STR_EQ(l->certs[0].chain, "/etc/ecdsa.pem");
	ASSERT_STR_EQ(l->certs[0].key, "/etc/ecdsa.key");
	path_of(path, "rsa.pem");
	ASSERT_STR_EQ(l->certs[1].chain, path);
	ASSERT(l->certs[1].key == NULL);
	where_is(&l->certs[1].where, "main.conf", 12);
	ASSERT_EQ(l->min_tls, 0x0304);
	ASSERT_EQ(l->mode, TF_MODE_ENFORCE);
	ASSERT_STR_EQ(l->ciphers, "ECDHE-RSA-AES128-GCM-SHA256:0xc02b");
	where_is(&l->ciphers_where, "main.conf", 15);
	ASSERT_EQ(l->proxy_protocol, 0);
	ASSERT_STR_EQ(l->upstream_host, "2001:db8::1");
	ASSERT_EQ(l->upstream_port, 8443);
	where_is(&l->upstream_where, "main.conf", 17);
	path_of(path, "ca/roots.pem");
	ASSERT_STR_EQ(l->upstream_ca, path);
	where_is(&l->upstream_ca_where, "main.conf", 18);
	ASSERT_STR_EQ(l->upstream_sni, "outlook.office365.com");
	ASSERT_EQ(l->upstream_verify, 0);
	ASSERT_EQ(l->preserve_host, 1);
	ASSERT_EQ(l->handshake_timeout_ms, 500);
	ASSERT_EQ(l->header_timeout_ms, 60000);
	ASSERT_EQ(l->idle_timeout_ms, 7200000);
	ASSERT_EQ(l->upstream_connect_timeout_ms, 7000);
	ASSERT_EQ(l->upstream_timeout_ms, 3900000);
	ASSERT_EQ(l->max_header_size, 1048576);

	/* Single-valued directives are per listener: no duplicate here. */
	l = &cfg->listeners[1];
	ASSERT_STR_EQ(l->name, "second");
	where_is(&l->where, "main.conf", 29);
	ASSERT_EQ(l->nbinds, 2);
	where_is(&l->binds[1].where, "main.conf", 31);
	ASSERT_EQ(l->max_header_size, 1024);
	ASSERT_EQ(l->min_tls, 0x0303);
	tf_config_free(cfg);
}

TEST(log_destinations)
{
	struct tf_config *cfg;

	setup();
	cfg = text_ok("error-log syslog\nlegacy-log /l.jsonl\n"
	    "access-log syslog\n" MINIMAL);
	ASSERT_EQ(cfg->error_log.kind, TF_LOG_SYSLOG);
	ASSERT_EQ(cfg->legacy_log.kind, TF_LOG_FILE);
	ASSERT_STR_EQ(cfg->legacy_log.path, "/l.jsonl");
	where_is(&cfg->legacy_log.where, "main.conf", 2);
	ASSERT_EQ(cfg->access_log.kind, TF_LOG_SYSLOG);
	tf_config_free(cfg);

	cfg = text_ok("error-log off\n" MINIMAL);
	ASSERT_EQ(cfg->error_log.kind, TF_LOG_OFF);
	tf_config_free(cfg);
	cfg = text_ok("error-log stderr\n" MINIMAL);
	ASSERT_EQ(cfg->error_log.kind, TF_LOG_STDERR);
	where_is(&cfg->error_log.where, "main.conf", 1);
	tf_config_free(cfg);

	/* stderr is for diagnostics only; records need a file or syslog. */
	global_err("legacy-log stderr", "'legacy-log': bad value 'stderr' "
	    "(a path, syslog or off)");
	global_err("access-log \"\"", "'access-log': bad value '' "
	    "(a path, syslog or off)");
	global_err("error-log \"\"", "'error-log': bad value '' "
	    "(stderr, a path, syslog or off)");
}

/* Fails unless d is a syslog destination on the unix socket at path. */
static void
syslog_unix_is(const struct tf_log_dest *d, enum tf_syslog_target target,
    const char *path)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&d->addr;

	ASSERT_EQ(d->kind, TF_LOG_SYSLOG);
	ASSERT_EQ(d->target, target);
	ASSERT_EQ(sun->sun_family, AF_UNIX);
	ASSERT_STR_EQ(sun->sun_path, path);
	ASSERT(d->path == NULL);
}

TEST(syslog_settings)
{
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_in *sin;
	struct tf_config *cfg;
	char path[PATH_MAX], name[108], text[512], want[512];

	setup();
	cfg = text_ok(MINIMAL);
	ASSERT_EQ(cfg->syslog.facility, 3);
	ASSERT_STR_EQ(cfg->syslog.tag, "tlsfloor");
	tf_config_free(cfg);

	cfg = text_ok(
	    "error-log syslog udp:[::1]:514\n"
	    "legacy-log syslog\n"
	    "access-log syslog unix:run/log.sock\n"
	    "syslog-facility local3\n"
	    "syslog-tag gw-2.mail_x\n" MINIMAL);
	ASSERT_EQ(cfg->error_log.kind, TF_LOG_SYSLOG);
	ASSERT_EQ(cfg->error_log.target, TF_SYSLOG_UDP);
	sin6 = (const struct sockaddr_in6 *)&cfg->error_log.addr;
	ASSERT_EQ(sin6->sin6_family, AF_INET6);
	ASSERT_EQ(cfg->error_log.addrlen, sizeof(*sin6));
	ASSERT(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	ASSERT_EQ(ntohs(sin6->sin6_port), 514);
	where_is(&cfg->error_log.where, "main.conf", 1);
	syslog_unix_is(&cfg->legacy_log, TF_SYSLOG_DEVLOG, "/dev/log");
	path_of(path, "run/log.sock");
	syslog_unix_is(&cfg->access_log, TF_SYSLOG_UNIX, path);
	where_is(&cfg->access_log.where, "main.conf", 3);
	ASSERT_EQ(cfg->syslog.facility, 19);
	ASSERT_STR_EQ(cfg->syslog.tag, "gw-2.mail_x");
	tf_config_free(cfg);

	cfg = text_ok("legacy-log syslog udp:192.0.2.9:6514\n"
	    "syslog-facility kern\nsyslog-tag \"~!#$%&'()*+,-./;<=>?@^`{|}\"\n"
	    MINIMAL);
	sin = (const struct sockaddr_in *)&cfg->legacy_log.addr;
	ASSERT_EQ(sin->sin_family, AF_INET);
	ASSERT_EQ(ntohl(sin->sin_addr.s_addr), 0xc0000209);
	ASSERT_EQ(ntohs(sin->sin_port), 6514);
	ASSERT_EQ(cfg->syslog.facility, 0);
	ASSERT_STR_EQ(cfg->syslog.tag, "~!#$%&'()*+,-./;<=>?@^`{|}");
	tf_config_free(cfg);

	/* The longest tag: APP-NAME "TAG-legacy" is 48 characters. */
	cfg = text_ok("syslog-tag " "12345678901234567890123456789012345678901"
	    "\n" MINIMAL);
	ASSERT_EQ(strlen(cfg->syslog.tag), 41);
	tf_config_free(cfg);

	global_err("syslog-facility local8", "'syslog-facility': bad value "
	    "'local8' (kern, user, mail, daemon, auth, syslog, lpr, news, "
	    "uucp, cron, authpriv, ftp or local0..local7)");
	global_err("syslog-facility LOCAL0", "'syslog-facility': bad value "
	    "'LOCAL0' (kern, user, mail, daemon, auth, syslog, lpr, news, "
	    "uucp, cron, authpriv, ftp or local0..local7)");
	global_err("syslog-facility", "'syslog-facility': missing argument");
	global_err("syslog-tag a b", "'syslog-tag': extra argument 'b'");
	global_err("syslog-tag \"a b\"", "'syslog-tag': bad tag 'a b' "
	    "(printable ASCII without blanks, '[', ']' or ':')");
	global_err("syslog-tag gw:1", "'syslog-tag': bad tag 'gw:1' "
	    "(printable ASCII without blanks, '[', ']' or ':')");
	global_err("syslog-tag gw[1]", "'syslog-tag': bad tag 'gw[1]' "
	    "(printable ASCII without blanks, '[', ']' or ':')");
	global_err("syslog-tag \"gw\xc3\xa9\"", "'syslog-tag': bad tag "
	    "'gw\xc3\xa9' (printable ASCII without blanks, '[', ']' or ':')");
	global_err("syslog-tag \"\"", "'syslog-tag': bad tag '' "
	    "(1 to 41 characters)");
	global_err("syslog-tag 123456789012345678901234567890123456789012",
	    "'syslog-tag': bad tag "
	    "'123456789012345678901234567890123456789012' (1 to 41 "
	    "characters)");
	text_err("syslog-tag a\nsyslog-tag b\n" MINIMAL,
	    "main.conf:2: 'syslog-tag' is duplicate");
	listener_err("syslog-facility daemon",
	    "'syslog-facility' is not allowed in a listener block");

	global_err("legacy-log syslog udp:127.0.0.1", "'legacy-log': bad "
	    "syslog target 'udp:127.0.0.1': missing port");
	global_err("legacy-log syslog udp:[::1]", "'legacy-log': bad "
	    "syslog target 'udp:[::1]': missing port");
	global_err("access-log syslog udp:syslog.example:514", "'access-log': "
	    "bad syslog target 'udp:syslog.example:514': bad address "
	    "(numeric IPv4 or [IPv6])");
	global_err("access-log syslog udp:*:514", "'access-log': bad syslog "
	    "target 'udp:*:514': bad address (numeric IPv4 or [IPv6])");
	global_err("error-log syslog udp:10.0.0.1:0", "'error-log': bad "
	    "syslog target 'udp:10.0.0.1:0': bad port (1..65535)");
	global_err("error-log syslog tcp:10.0.0.1:514", "'error-log': bad "
	    "syslog target 'tcp:10.0.0.1:514' (unix:PATH or udp:ADDR:PORT)");
	global_err("error-log syslog unix:", "'error-log': bad syslog "
	    "target 'unix:' (unix:PATH or udp:ADDR:PORT)");
	global_err("error-log syslog /dev/log", "'error-log': bad syslog "
	    "target '/dev/log' (unix:PATH or udp:ADDR:PORT)");
	global_err("error-log syslog udp:10.0.0.1:514 x",
	    "'error-log': extra argument 'x'");
	global_err("error-log stderr udp:10.0.0.1:514",
	    "'error-log': extra argument 'udp:10.0.0.1:514'");
	global_err("legacy-log off syslog",
	    "'legacy-log': extra argument 'syslog'");
	/* sun_path holds 107 bytes and a NUL. */
	memset(name, 'p', 107);
	name[107] = '\0';
	snprintf(text, sizeof(text), "legacy-log syslog unix:/%s", name);
	snprintf(want, sizeof(want), "'legacy-log': bad syslog target "
	    "'unix:/%s': path longer than 107 bytes", name);
	global_err(text, want);
	name[106] = '\0';
	snprintf(text, sizeof(text), "legacy-log syslog unix:/%s\n"
	    MINIMAL, name);
	tf_config_free(text_ok(text));
}

TEST(quotes_and_escapes)
{
	struct tf_config *cfg;
	char path[PATH_MAX];

	setup();
	cfg = text_ok(
	    "user \"tls floor # not a comment\"\n"
	    "listener edge {\n"
	    "\tbind 127.0.0.1:0\n"
	    "\tcert \"my certs/a.pem\" \"my keys/a.key\"\n"
	    "\tupstream example.com:443\n"
	    "\tciphers \"A \\\"B\\\" \\\\ C\\x\"\n"
	    "\tupstream-sni \"\"outlook\"\".example\n"
	    "}\n");
	ASSERT_STR_EQ(cfg->user, "tls floor # not a comment");
	path_of(path, "my certs/a.pem");
	ASSERT_STR_EQ(cfg->listeners[0].certs[0].chain, path);
	path_of(path, "my keys/a.key");
	ASSERT_STR_EQ(cfg->listeners[0].certs[0].key, path);
	/* Only \" and \\ are escapes; any other backslash is kept. */
	ASSERT_STR_EQ(cfg->listeners[0].ciphers, "A \"B\" \\ C\\x");
	/* Quoted and bare pieces of one argument join up. */
	ASSERT_STR_EQ(cfg->listeners[0].upstream_sni, "outlook.example");
	tf_config_free(cfg);

	text_err("user \"tlsfloor\n" MINIMAL,
	    "main.conf:1: unterminated quote");
	text_err("\n\nuser \"a \\\" b\n" MINIMAL,
	    "main.conf:3: unterminated quote");
	/* A quoted empty argument is an argument, and a bad value. */
	listener_err("upstream-sni \"\"", "'upstream-sni': empty value");
	/* A quoted brace does not open a block. */
	text_err("listener edge \"{\"\n",
	    "main.conf:1: 'listener': expected 'listener LABEL {'");
}

TEST(comments_and_blanks)
{
	struct tf_config *cfg;

	setup();
	cfg = text_ok(
	    "# a comment\n"
	    "\n"
	    "   \t  \n"
	    "  # indented comment\n"
	    "workers 2 # trailing comment\n"
	    "user nobody#comment right after\n"
	    "listener edge { # comment after the brace\n"
	    "\tbind 127.0.0.1:0\n"
	    "\tcert a.pem\r\n"
	    "\tupstream example.com:443\n"
	    "} # done\n");
	ASSERT_EQ(cfg->workers, 2);
	ASSERT_STR_EQ(cfg->user, "nobody");
	ASSERT_EQ(cfg->listeners[0].ncerts, 1);
	tf_config_free(cfg);

	/* Comment lines count for line numbers. */
	text_err("# one\n\n# three\nfoo bar\n" MINIMAL,
	    "main.conf:4: unknown directive 'foo'");
	/* A file without a final newline. */
	text_err(MINIMAL "workers", "main.conf:6: 'workers': missing argument");
}

TEST(unknown_directive)
{
	setup();
	text_err("workers 1\nfoo 1 2\n" MINIMAL,
	    "main.conf:2: unknown directive 'foo'");
	listener_err("Bind 127.0.0.1:1", "unknown directive 'Bind'");
	text_err("{\n", "main.conf:1: unknown directive '{'");
}

TEST(argument_count)
{
	setup();
	global_err("workers", "'workers': missing argument");
	global_err("workers 1 2", "'workers': extra argument '2'");
	global_err("include", "'include': missing argument");
	listener_err("bind", "'bind': missing argument");
	listener_err("bind 127.0.0.1:1 127.0.0.1:2",
	    "'bind': extra argument '127.0.0.1:2'");
	listener_err("cert", "'cert': missing argument");
	listener_err("cert a b c", "'cert': extra argument 'c'");
	/* With names, the floor is theirs: "1.3" names a host here. */
	listener_err("min-tls 1.2 1.3", "'min-tls' with names raises their "
	    "floor, and the listener's is 1.2 already");
	listener_err("route only.example.com",
	    "'route': missing argument");
	listener_err("exempt", "'exempt': missing argument");
	text_err("listener\n", "main.conf:1: 'listener': missing argument");
	text_err("listener edge\n",
	    "main.conf:1: 'listener': expected 'listener LABEL {'");
	text_err("listener edge { x\n",
	    "main.conf:1: 'listener': extra argument 'x'");
}

TEST(bad_values)
{
	static const struct {
		const char *line;
		const char *err;
	} listener[] = {
		{ "min-tls 1.1", "'min-tls': bad value '1.1' (1.2 or 1.3)" },
		{ "min-tls TLS1.2",
		    "'min-tls': bad value 'TLS1.2' (1.2 or 1.3)" },
		{ "mode strict",
		    "'mode': bad value 'strict' (enforce or audit)" },
		{ "proxy-protocol yes",
		    "'proxy-protocol': bad value 'yes' (on or off)" },
		{ "upstream-verify 1",
		    "'upstream-verify': bad value '1' (on or off)" },
		{ "preserve-host ON",
		    "'preserve-host': bad value 'ON' (on or off)" },
		{ "max-header-size 1023",
		    "'max-header-size': bad size '1023' (1k..1m)" },
		{ "max-header-size 1025k",
		    "'max-header-size': bad size '1025k' (1k..1m)" },
		{ "max-header-size 64x",
		    "'max-header-size': bad size '64x' (1k..1m)" },
		{ "max-connections 0",
		    "'max-connections': bad value '0' (1..10000000)" },
		{ "max-connections -5",
		    "'max-connections': bad value '-5' (1..10000000)" },
		{ "handshake-timeout 0",
		    "'handshake-timeout': bad duration '0' (a positive number "
		    "with one unit of ms, s, m or h)" },
		{ "idle-timeout 1m30s",
		    "'idle-timeout': bad duration '1m30s' (a positive number "
		    "with one unit of ms, s, m or h)" },
		{ "header-timeout 10x",
		    "'header-timeout': bad duration '10x' (a positive number "
		    "with one unit of ms, s, m or h)" },
		{ "upstream-timeout \"\"",
		    "'upstream-timeout': bad duration '' (a positive number "
		    "with one unit of ms, s, m or h)" },
		{ "upstream-connect-timeout -1",
		    "'upstream-connect-timeout': bad duration '-1' (a positive "
		    "number with one unit of ms, s, m or h)" },
		{ "bind 127.0.0.1",
		    "'bind': bad address '127.0.0.1': missing port" },
		{ "bind localhost:443", "'bind': bad address 'localhost:443': "
		    "bad address (numeric IPv4, [IPv6] or *)" },
		{ "bind 127.0.0.1:65536", "'bind': bad address "
		    "'127.0.0.1:65536': bad port (0..65535)" },
		{ "upstream-ca \"\"", "'upstream-ca': empty path" },
		{ "cert \"\"", "'cert': empty path" },
		{ "ciphers \"\"", "'ciphers': empty value" },
	};
	static const struct {
		const char *line;
		const char *err;
	} global[] = {
		{ "workers 0", "'workers': bad value '0' (auto or 1..1024)" },
		{ "workers -1", "'workers': bad value '-1' (auto or 1..1024)" },
		{ "workers many",
		    "'workers': bad value 'many' (auto or 1..1024)" },
		{ "workers 1025",
		    "'workers': bad value '1025' (auto or 1..1024)" },
		{ "user \"\"", "'user': empty value" },
		{ "metrics localhost:9451", "'metrics': bad address "
		    "'localhost:9451': bad address (numeric IPv4, [IPv6] "
		    "or *)" },
		{ "shutdown-timeout 1.5s", "'shutdown-timeout': bad duration "
		    "'1.5s' (a number with one unit of ms, s, m or h)" },
		{ "include \"\"", "'include': empty path" },
	};
	size_t i;

	setup();
	for (i = 0; i < TF_ARRAY_SIZE(listener); i++)
		listener_err(listener[i].line, listener[i].err);
	for (i = 0; i < TF_ARRAY_SIZE(global); i++)
		global_err(global[i].line, global[i].err);
}

TEST(upstream_addresses)
{
	struct tf_config *cfg;

	setup();
	cfg = listener_ok("upstream-sni Example.COM");
	ASSERT_STR_EQ(cfg->listeners[0].upstream_sni, "Example.COM");
	tf_config_free(cfg);

	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com\n}\n",
	    "main.conf:4: 'upstream': bad address 'example.com': "
	    "missing port");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:0\n}\n",
	    "main.conf:4: 'upstream': bad address 'example.com:0': "
	    "bad port (1..65535)");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream 2001:db8::1:443\n}\n",
	    "main.conf:4: 'upstream': bad address '2001:db8::1:443': "
	    "an IPv6 address needs [brackets]");
}

TEST(duplicates)
{
	setup();
	text_err("workers 1\nworkers 2\n" MINIMAL,
	    "main.conf:2: 'workers' is duplicate");
	text_err("user a\n" MINIMAL "user b\n",
	    "main.conf:7: 'user' is duplicate");
	text_err("metrics off\nmetrics off\n" MINIMAL,
	    "main.conf:2: 'metrics' is duplicate");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:443\n\tmin-tls 1.2\n\tmin-tls 1.3\n}\n",
	    "main.conf:6: 'min-tls' is duplicate");
	text_err(MINIMAL "listener second {\n\tbind 127.0.0.1:0\n"
	    "\tupstream a.example:443\n\tupstream b.example:443\n}\n",
	    "main.conf:9: 'upstream' is duplicate");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:443\n"
	    "\thandshake-timeout 1s\n\thandshake-timeout 1s\n}\n",
	    "main.conf:6: 'handshake-timeout' is duplicate");
	/* Even when the second one comes from an included file. */
	put("inc.conf", "# included\nmin-tls 1.3\n");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:443\n\tmin-tls 1.2\n"
	    "\tinclude inc.conf\n}\n",
	    "inc.conf:2: 'min-tls' is duplicate");
}

TEST(repeatable)
{
	struct tf_config *cfg;

	setup();
	cfg = text_ok(
	    "include none-*.conf\n"
	    "include none-*.conf\n"
	    "listener edge {\n"
	    "\tbind 127.0.0.1:0\n"
	    "\tbind 127.0.0.1:0\n"
	    "\tbind [::1]:0\n"
	    "\tcert a.pem\n"
	    "\tcert b.pem b.key\n"
	    "\tcert c.pem\n"
	    "\tupstream example.com:443\n"
	    "}\n");
	ASSERT_EQ(cfg->listeners[0].nbinds, 3);
	ASSERT_EQ(cfg->listeners[0].ncerts, 3);
	where_is(&cfg->listeners[0].certs[2].where, "main.conf", 9);
	tf_config_free(cfg);
}

TEST(bind_conflicts)
{
	char want[1024];
	struct tf_config *cfg;

	setup();
	/* The same address twice, in one listener or two, is an error. */
	snprintf(want, sizeof(want), "main.conf:3: 'bind': 127.0.0.1:8443 "
	    "is already bound at %s/main.conf:2", tmpdir);
	text_err("listener edge {\n\tbind 127.0.0.1:8443\n"
	    "\tbind 127.0.0.1:8443\n\tcert a.pem\n"
	    "\tupstream example.com:443\n}\n", want);
	snprintf(want, sizeof(want), "main.conf:7: 'bind': [::]:443 "
	    "is already bound at %s/main.conf:2", tmpdir);
	text_err("listener a {\n\tbind [::]:443\n\tcert a.pem\n"
	    "\tupstream example.com:443\n}\n"
	    "listener b {\n\tbind [::]:443\n\tcert a.pem\n"
	    "\tupstream example.com:443\n}\n", want);
	/* Port 0 binds each get their own port; other ports differ. */
	cfg = text_ok("listener a {\n\tbind 127.0.0.1:0\n"
	    "\tbind 127.0.0.1:0\n\tbind 127.0.0.1:443\n"
	    "\tbind 127.0.0.2:443\n\tbind *:443\n\tbind [::]:443\n"
	    "\tcert a.pem\n\tupstream example.com:443\n}\n");
	ASSERT_EQ(cfg->listeners[0].nbinds, 6);
	tf_config_free(cfg);
}

TEST(wrong_scope)
{
	setup();
	text_err("bind 127.0.0.1:443\n" MINIMAL,
	    "main.conf:1: 'bind' is only allowed in a listener block");
	text_err("workers 1\nmin-tls 1.2\n" MINIMAL,
	    "main.conf:2: 'min-tls' is only allowed in a listener block");
	text_err(MINIMAL "upstream example.com:443\n",
	    "main.conf:6: 'upstream' is only allowed in a listener block");
	listener_err("workers 2",
	    "'workers' is not allowed in a listener block");
	listener_err("metrics off",
	    "'metrics' is not allowed in a listener block");
	listener_err("listener inner {",
	    "'listener' is not allowed in a listener block");
}

TEST(blocks)
{
	setup();
	/* Unclosed: reported at the 'listener' line. */
	text_err("workers 1\n\nlistener edge {\n\tbind 127.0.0.1:0\n"
	    "\tcert a.pem\n\tupstream example.com:443\n",
	    "main.conf:3: listener 'edge' is not closed");
	text_err(MINIMAL "listener two {\n",
	    "main.conf:6: listener 'two' is not closed");
	/* A '}' with no block open. */
	text_err("}\n", "main.conf:1: '}' without a block");
	text_err(MINIMAL "\n}\n", "main.conf:7: '}' without a block");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:443\n} extra\n",
	    "main.conf:5: extra argument 'extra' after '}'");
}

TEST(labels)
{
	char want[1024];

	setup();
	snprintf(want, sizeof(want), "main.conf:9: listener 'edge' is "
	    "duplicate (first at %s/main.conf:3)", tmpdir);
	text_err("workers 1\n\n" MINIMAL "\nlistener edge {\n"
	    "\tbind 127.0.0.1:0\n\tcert a.pem\n"
	    "\tupstream example.com:443\n}\n", want);
	text_err("listener \"my edge\" {\n",
	    "main.conf:1: 'listener': bad label 'my edge' (letters, digits, "
	    "'-', '_' and '.')");
	text_err("listener \"\" {\n",
	    "main.conf:1: 'listener': bad label '' (letters, digits, "
	    "'-', '_' and '.')");
}

TEST(listener_needs)
{
	setup();
	text_err("workers 1\nlistener edge {\n\tcert a.pem\n"
	    "\tupstream example.com:443\n}\n",
	    "main.conf:2: listener 'edge' has no 'bind'");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n"
	    "\tupstream example.com:443\n}\n",
	    "main.conf:1: listener 'edge' has no 'cert'");
	text_err(MINIMAL "listener b {\n\tbind 127.0.0.1:0\n"
	    "\tcert a.pem\n}\n",
	    "main.conf:6: listener 'b' has no 'upstream'");
	text_err("listener e {\n}\n",
	    "main.conf:1: listener 'e' has no 'bind'");
	/* And a file needs a listener at all. */
	text_err("# nothing\nworkers 1\n", "main.conf: no 'listener' block");
	text_err("", "main.conf: no 'listener' block");
}

TEST(cannot_open)
{
	char path[PATH_MAX], err[512], want[1024];
	struct tf_config *cfg;

	setup();
	load_err("nope.conf", "nope.conf: cannot open: "
	    "No such file or directory");
	put_dir("dir.conf");
	load_err("dir.conf", "dir.conf: cannot open: Is a directory");

	/* The error fits whatever buffer the caller has. */
	path_of(path, "nope.conf");
	ASSERT(tf_config_load(path, err, 8) == NULL);
	ASSERT_EQ(strlen(err), 7);
	ASSERT(tf_config_load(path, NULL, 0) == NULL);

	/* A file read by a relative name is reported by that name, and the
	 * paths it names are still made absolute. */
	if (chdir(tmpdir) != 0)
		TEST_FAIL("chdir: %s", strerror(errno));
	put("rel.conf", "foo\n");
	ASSERT(tf_config_load("rel.conf", err, sizeof(err)) == NULL);
	ASSERT_STR_EQ(err, "rel.conf:1: unknown directive 'foo'");
	ASSERT(tf_config_load("missing.conf", err, sizeof(err)) == NULL);
	ASSERT_STR_EQ(err, "missing.conf: cannot open: "
	    "No such file or directory");
	put("rel.conf", MINIMAL);
	cfg = tf_config_load("rel.conf", err, sizeof(err));
	if (cfg == NULL)
		TEST_FAIL("rel.conf: %s", err);
	snprintf(want, sizeof(want), "%s/a.pem", tmpdir);
	ASSERT_STR_EQ(cfg->listeners[0].certs[0].chain, want);
	ASSERT_STR_EQ(cfg->path, "rel.conf");
	tf_config_free(cfg);
}

TEST(nul_byte)
{
	char path[PATH_MAX];
	FILE *f;

	setup();
	path_of(path, "main.conf");
	f = fopen(path, "w");
	ASSERT(f != NULL);
	ASSERT_EQ(fwrite("workers 1\nuser a\0b\n", 1, 19, f), 19);
	ASSERT_OK(fclose(f));
	load_err("main.conf", "main.conf:2: NUL byte in line");
}

TEST(include_sorted)
{
	struct tf_config *cfg;
	const struct tf_listener_conf *l;
	char path[PATH_MAX];

	setup();
	put_dir("conf.d");
	put_dir("conf.d/certs");
	/* Written out of order: glob(3) sorts. */
	put("conf.d/20-b.conf", "listener b {\n\tbind 127.0.0.1:0\n"
	    "\tcert b.pem\n\tupstream b.example:443\n}\n");
	put("conf.d/30-c.conf", "listener c {\n\tbind 127.0.0.1:0\n"
	    "\tcert /c.pem\n\tupstream c.example:443\n}\n");
	put("conf.d/10-a.conf", "# a\nlistener a {\n\tbind 127.0.0.1:0\n"
	    "\tcert certs/a.pem\n\tupstream a.example:443\n}\n");
	put("conf.d/ignored.txt", "this is not a config\n");
	put("tls.inc", "min-tls 1.3\ncert in-inc.pem\n");
	put("main.conf", "workers 1\ninclude conf.d/*.conf\n"
	    "listener d {\n\tbind 127.0.0.1:0\n\tinclude tls.inc\n"
	    "\tupstream d.example:443\n}\n");
	cfg = load_ok("main.conf");
	ASSERT_EQ(cfg->nlisteners, 4);
	ASSERT_STR_EQ(cfg->listeners[0].name, "a");
	ASSERT_STR_EQ(cfg->listeners[1].name, "b");
	ASSERT_STR_EQ(cfg->listeners[2].name, "c");
	ASSERT_STR_EQ(cfg->listeners[3].name, "d");
	where_is(&cfg->listeners[0].where, "conf.d/10-a.conf", 2);
	where_is(&cfg->listeners[1].where, "conf.d/20-b.conf", 1);
	where_is(&cfg->listeners[1].upstream_where, "conf.d/20-b.conf", 4);
	/* Relative paths are taken from the folder of their own file. */
	path_of(path, "conf.d/certs/a.pem");
	ASSERT_STR_EQ(cfg->listeners[0].certs[0].chain, path);
	path_of(path, "conf.d/b.pem");
	ASSERT_STR_EQ(cfg->listeners[1].certs[0].chain, path);

	/* An include inside a block adds to that block. */
	l = &cfg->listeners[3];
	ASSERT_EQ(l->min_tls, 0x0304);
	ASSERT_EQ(l->ncerts, 1);
	path_of(path, "in-inc.pem");
	ASSERT_STR_EQ(l->certs[0].chain, path);
	where_is(&l->certs[0].where, "tls.inc", 2);

	/* main.conf, three from conf.d and tls.inc. */
	ASSERT_EQ(cfg->nfiles, 5);
	tf_config_free(cfg);
}

TEST(include_no_match)
{
	struct tf_config *cfg;

	setup();
	put_dir("empty.d");
	cfg = text_ok("include empty.d/*.conf\ninclude nowhere/*\n"
	    "include /nonexistent-tlsfloor-dir/*.conf\n"
	    "listener edge {\n\tinclude empty.d/*\n\tbind 127.0.0.1:0\n"
	    "\tcert a.pem\n\tupstream example.com:443\n}\n");
	ASSERT_EQ(cfg->nlisteners, 1);
	ASSERT_EQ(cfg->nfiles, 1);
	tf_config_free(cfg);
}

TEST(include_missing_file)
{
	char want[1024];

	setup();
	/* A plain name is not a pattern: a missing file is a typo. */
	snprintf(want, sizeof(want), "main.conf:2: %s/extra.conf: cannot "
	    "open: No such file or directory", tmpdir);
	text_err("workers 1\ninclude extra.conf\n" MINIMAL, want);
	/* A folder matched by a pattern cannot be read as a file. */
	put_dir("d");
	put_dir("d/sub.conf");
	snprintf(want, sizeof(want), "main.conf:1: %s/d/sub.conf: cannot "
	    "open: Is a directory", tmpdir);
	text_err("include d/*.conf\n" MINIMAL, want);
}

TEST(include_error_location)
{
	setup();
	put_dir("conf.d");
	put("conf.d/a.conf", "# fine\nworkers 2\n");
	put("conf.d/b.conf", "\n\n\nuser nobody extra\n");
	text_err("include conf.d/*.conf\n" MINIMAL,
	    "conf.d/b.conf:4: 'user': extra argument 'extra'");
	/* After an include, lines are counted in the including file again. */
	put("conf.d/b.conf", "user nobody\n");
	text_err("include conf.d/*.conf\n\nfoo\n" MINIMAL,
	    "main.conf:3: unknown directive 'foo'");
	/* Absolute patterns and nested includes name the innermost file. */
	put("conf.d/b.conf", "include ../deeper.conf\n");
	put("deeper.conf", "\nmin-tls 1.2\n");
	text_err("include conf.d/*.conf\n" MINIMAL,
	    "conf.d/../deeper.conf:2: 'min-tls' is only allowed in a "
	    "listener block");
}

TEST(include_recursion)
{
	setup();
	text_err("include main.conf\n" MINIMAL,
	    "main.conf:1: 'include': nested too deeply (more than 16 levels)");
	put("a.conf", "\ninclude b.conf\n");
	put("b.conf", "include a.conf\n");
	text_err("workers 1\ninclude a.conf\n" MINIMAL,
	    "b.conf:1: 'include': nested too deeply (more than 16 levels)");
	/* The same loop, entered through a pattern that also matches
	 * main.conf itself. */
	text_err("include *.conf\n" MINIMAL,
	    "b.conf:1: 'include': nested too deeply (more than 16 levels)");
}

TEST(include_blocks)
{
	char want[1024];
	struct tf_config *cfg;

	setup();
	/* A block opened in an included file must close in it. */
	put("open.conf", "workers 1\nlistener x {\n\tbind 127.0.0.1:0\n");
	text_err("include open.conf\n}\n",
	    "open.conf:2: listener 'x' is not closed");
	/* A '}' cannot close the includer's block. */
	put("close.conf", "cert a.pem\n}\n");
	text_err("listener edge {\n\tbind 127.0.0.1:0\n"
	    "\tinclude close.conf\n\tupstream example.com:443\n}\n",
	    "close.conf:2: '}' closes a block opened in another file");
	/* Lines of an include inside a block are in listener scope. */
	put("global.conf", "workers 2\n");
	text_err("listener edge {\n\tinclude global.conf\n}\n",
	    "global.conf:1: 'workers' is not allowed in a listener block");
	/* A whole listener in an included file is fine, and where points
	 * at it. */
	put("whole.conf", MINIMAL);
	cfg = text_ok("include whole.conf\n");
	where_is(&cfg->listeners[0].where, "whole.conf", 1);
	tf_config_free(cfg);
	/* Duplicate labels across files name the first one's place. */
	snprintf(want, sizeof(want), "main.conf:2: listener 'edge' is "
	    "duplicate (first at %s/whole.conf:1)", tmpdir);
	text_err("include whole.conf\nlistener edge {\n", want);
}

TEST(include_glob_escaping)
{
	struct tf_config *cfg;

	setup();
	/* The including file's folder is taken literally, even when its
	 * name holds glob characters. */
	put_dir("we[ir]d*");
	put_dir("we[ir]d*/conf.d");
	put("we[ir]d*/conf.d/x.conf", MINIMAL);
	put("we[ir]d*/main.conf", "include conf.d/*.conf\n");
	cfg = load_ok("we[ir]d*/main.conf");
	ASSERT_EQ(cfg->nlisteners, 1);
	where_is(&cfg->listeners[0].where, "we[ir]d*/conf.d/x.conf", 1);
	tf_config_free(cfg);
}

TEST(durations)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} good[] = {
		{ "0", 0 }, { "30", 30000 }, { "30s", 30000 },
		{ "500ms", 500 }, { "5m", 300000 }, { "1h", 3600000 },
		{ "3900s", 3900000 }, { "007s", 7000 },
		{ "18446744073709551615ms", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "10x", "1m30s", "-1", "+1", "1.5s", " 1s", "1s ", "s",
		"ms", "1S", "1M", "1 s", "1d", "1sec", "10mss",
		"18446744073709551616ms", "18446744073709551615s",
		"99999999999999999999999999",
	};
	uint64_t ms;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(good); i++) {
		ms = 12345;
		if (tf_config_parse_duration(good[i].text, &ms) != 0)
			TEST_FAIL("duration '%s' refused", good[i].text);
		ASSERT_EQ(ms, good[i].ms);
	}
	for (i = 0; i < TF_ARRAY_SIZE(bad); i++)
		if (tf_config_parse_duration(bad[i], &ms) == 0)
			TEST_FAIL("duration '%s' accepted", bad[i]);
}

TEST(sizes)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
		{ "0", 0 }, { "65536", 65536 }, { "64k", 65536 },
		{ "64K", 65536 }, { "1m", 1048576 }, { "1M", 1048576 },
		{ "1024", 1024 },
	};
	static const char *const bad[] = {
		"", "10x", "-1", "+1", "1.5k", "k", "1kb", "1 k", "1g",
		"1km", "18446744073709551615k",
	};
	uint64_t bytes;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(good); i++) {
		bytes = 12345;
		if (tf_config_parse_size(good[i].text, &bytes) != 0)
			TEST_FAIL("size '%s' refused", good[i].text);
		ASSERT_EQ(bytes, good[i].bytes);
	}
	for (i = 0; i < TF_ARRAY_SIZE(bad); i++)
		if (tf_config_parse_size(bad[i], &bytes) == 0)
			TEST_FAIL("size '%s' accepted", bad[i]);
}

TEST(feature_directives)
{
	char want[1024];
	struct tf_config *cfg;

	setup();

	/* Every directive of the contract is built and takes its values. */
	cfg = text_ok("metrics off\n" MINIMAL);
	ASSERT_EQ(cfg->has_metrics, 0);
	where_is(&cfg->metrics_where, "main.conf", 1);
	tf_config_free(cfg);
	cfg = listener_ok("mode enforce");
	ASSERT_EQ(cfg->listeners[0].mode, TF_MODE_ENFORCE);
	tf_config_free(cfg);
	cfg = listener_ok("mode audit");
	ASSERT_EQ(cfg->listeners[0].mode, TF_MODE_AUDIT);
	tf_config_free(cfg);
	cfg = listener_ok("exempt 10.20.30.0/24 192.0.2.7 2001:db8::/32");
	ASSERT_EQ(cfg->listeners[0].nexempt, 3);
	tf_config_free(cfg);
	cfg = listener_ok("proxy-protocol off");
	ASSERT_EQ(cfg->listeners[0].proxy_protocol, 0);
	tf_config_free(cfg);
	cfg = listener_ok("proxy-protocol on");
	ASSERT_EQ(cfg->listeners[0].proxy_protocol, 1);
	tf_config_free(cfg);

	/* Bad values say what is wrong. */
	listener_err("exempt 10.0.0.0/8 10.0.0.1/8",
	    "'exempt': bad network '10.0.0.1/8': host bits set");
	listener_err("exempt 10.0.0.0/33",
	    "'exempt': bad network '10.0.0.0/33': bad prefix length (0..32)");
	listener_err("route a.example up.example",
	    "'route': bad address 'up.example': missing port");
	listener_err("route a.example \"\" up.example:443",
	    "'route': empty name");
	listener_err("mode observe",
	    "'mode': bad value 'observe' (enforce or audit)");
	listener_err("max-connections many",
	    "'max-connections': bad value 'many' (1..10000000)");
	global_err("shutdown-timeout 1m30s", "'shutdown-timeout': bad "
	    "duration '1m30s' (a number with one unit of ms, s, m or h)");
	global_err("metrics [::1]", "'metrics': bad address '[::1]': "
	    "missing port");
	global_err("fingerprints \"\"", "'fingerprints': empty path");
	/* Route names are compared in lower case, one route per name. */
	snprintf(want, sizeof(want), "'route': 'a.example' is already "
	    "routed at %s/main.conf:5", tmpdir);
	listener_err("route A.Example a.EXAMPLE up.example:443", want);
}

/* `ciphers` takes one list or several words; they are joined with ':'. */
TEST(ciphers_words)
{
	struct tf_config *cfg;

	setup();
	cfg = listener_ok("ciphers 0xc02f \"ECDHE-RSA-AES256-GCM-SHA384\" DEFAULT");
	ASSERT_STR_EQ(cfg->listeners[0].ciphers,
	    "0xc02f:ECDHE-RSA-AES256-GCM-SHA384:DEFAULT");
	tf_config_free(cfg);
	cfg = listener_ok("ciphers DEFAULT");
	ASSERT_STR_EQ(cfg->listeners[0].ciphers, "DEFAULT");
	tf_config_free(cfg);
}

TEST_MAIN(
	TEST_ENTRY(ciphers_words),
	TEST_ENTRY(defaults),
	TEST_ENTRY(every_directive),
	TEST_ENTRY(log_destinations),
	TEST_ENTRY(syslog_settings),
	TEST_ENTRY(quotes_and_escapes),
	TEST_ENTRY(comments_and_blanks),
	TEST_ENTRY(unknown_directive),
	TEST_ENTRY(argument_count),
	TEST_ENTRY(sni_floors),
	TEST_ENTRY(bad_values),
	TEST_ENTRY(upstream_addresses),
	TEST_ENTRY(duplicates),
	TEST_ENTRY(repeatable),
	TEST_ENTRY(bind_conflicts),
	TEST_ENTRY(wrong_scope),
	TEST_ENTRY(blocks),
	TEST_ENTRY(labels),
	TEST_ENTRY(listener_needs),
	TEST_ENTRY(cannot_open),
	TEST_ENTRY(nul_byte),
	TEST_ENTRY(include_sorted),
	TEST_ENTRY(include_no_match),
	TEST_ENTRY(include_missing_file),
	TEST_ENTRY(include_error_location),
	TEST_ENTRY(include_recursion),
	TEST_ENTRY(include_blocks),
	TEST_ENTRY(include_glob_escaping),
	TEST_ENTRY(durations),
	TEST_ENTRY(sizes),
	TEST_ENTRY(feature_directives),
)
