/*
 * Unit tests for proxy/metrics.c: the listener registry, the label index
 * maps and the text rendering (every series, counts, escaping, layout).
 * The server that serves it is tests/unit/admin.c's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "test.h"

/* Renders into a NUL-terminated string the test frees. */
static char *
render(void)
{
	char *s = NULL;
	size_t len = 0;

	ASSERT_OK(tf_metrics_render(&s, &len));
	ASSERT(s != NULL);
	ASSERT_EQ(strlen(s), len);
	ASSERT(len > 0 && s[len - 1] == '\n');
	return s;
}

/* Fails unless text holds line (without its '\n') as a whole line. */
static void
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	TEST_FAIL("no line \"%s\" in:\n%s", line, text);
}

/* Fails unless text has no line starting with prefix. */
static void
no_line_prefix(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	for (; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, n) == 0)
			TEST_FAIL("unexpected line starting \"%s\"", prefix);
		if (strchr(p, '\n') == NULL)
			break;
	}
}

TEST(registry_same_pointer)
{
	struct tf_mlistener *a = tf_metrics_listener("edge");
	struct tf_mlistener *b = tf_metrics_listener("internal");
	char long1[100], long2[100];

	ASSERT(a != NULL && b != NULL);
	ASSERT(a != b);
	ASSERT(tf_metrics_listener("edge") == a);
	ASSERT(tf_metrics_listener("internal") == b);
	ASSERT_STR_EQ(a->name, "edge");
	ASSERT_EQ(a->connections_total, 0);
	TF_METRIC_INC(a, connections_total);
	ASSERT_EQ(tf_metrics_listener("edge")->connections_total, 1);

	/* Truncated to the field: equal prefixes share, and stay stable. */
	memset(long1, 'x', sizeof(long1) - 1);
	long1[sizeof(long1) - 1] = '\0';
	memcpy(long2, long1, sizeof(long2));
	long2[90] = 'y';
	ASSERT(tf_metrics_listener(long1) == tf_metrics_listener(long1));
	ASSERT(tf_metrics_listener(long1) == tf_metrics_listener(long2));
	ASSERT_EQ(strlen(tf_metrics_listener(long1)->name),
	    sizeof(a->name) - 1);
}

TEST(index_maps)
{
	ASSERT_EQ(tf_metrics_version_index(0x0002), TF_M_SSL20);
	ASSERT_EQ(tf_metrics_version_index(0x0300), TF_M_SSL30);
	ASSERT_EQ(tf_metrics_version_index(0x0301), TF_M_TLS10);
	ASSERT_EQ(tf_metrics_version_index(0x0302), TF_M_TLS11);
	ASSERT_EQ(tf_metrics_version_index(0x0303), TF_M_TLS12);
	ASSERT_EQ(tf_metrics_version_index(0x0304), TF_M_TLS13);
	ASSERT_EQ(tf_metrics_version_index(0x0305), -1);
	ASSERT_EQ(tf_metrics_version_index(0x0a0a), -1);   /* GREASE */
	ASSERT_EQ(tf_metrics_version_index(0x7f1c), -1);   /* draft */
	ASSERT_EQ(tf_metrics_version_index(0), -1);

	ASSERT_EQ(tf_metrics_action_index("refused"), TF_M_REFUSED);
	ASSERT_EQ(tf_metrics_action_index("allowed_audit"),
	    TF_M_ALLOWED_AUDIT);
	ASSERT_EQ(tf_metrics_action_index("allowed_exempt"),
	    TF_M_ALLOWED_EXEMPT);
	ASSERT_EQ(tf_metrics_action_index("allowed"), -1);
	ASSERT_EQ(tf_metrics_action_index("Refused"), -1);
	ASSERT_EQ(tf_metrics_action_index(""), -1);
	ASSERT_EQ(tf_metrics_action_index(NULL), -1);

	ASSERT_EQ(tf_metrics_reason_index("no_shared_cipher"),
	    TF_M_NO_SHARED_CIPHER);
	ASSERT_EQ(tf_metrics_reason_index("timeout"), TF_M_TIMEOUT);
	ASSERT_EQ(tf_metrics_reason_index("bad_record"), TF_M_BAD_RECORD);
	ASSERT_EQ(tf_metrics_reason_index("peer_alert"), TF_M_PEER_ALERT);
	ASSERT_EQ(tf_metrics_reason_index("closed"), TF_M_CLOSED);
	ASSERT_EQ(tf_metrics_reason_index("internal"), TF_M_INTERNAL);
	ASSERT_EQ(tf_metrics_reason_index("timeout "), -1);
	ASSERT_EQ(tf_metrics_reason_index("connect"), -1);
	ASSERT_EQ(tf_metrics_reason_index(NULL), -1);
}

static const char *const versions[] = {
	"SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3",
};
static const char *const actions[] = {
	"refused", "allowed_audit", "allowed_exempt",
};
static const char *const reasons[] = {
	"no_shared_cipher", "timeout", "bad_record", "peer_alert", "closed",
	"internal",
};
static const char *const uperrors[] = {
	"resolve", "connect", "tls", "timeout", "bad_response", "closed",
	"no_starttls",
};
static const char *const codes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

TEST(render_zeros_from_the_start)
{
	static const struct {
		const char *name, *type;
	} families[] = {
		{ "tlsfloor_connections_total", "counter" },
		{ "tlsfloor_connections_active", "gauge" },
		{ "tlsfloor_handshakes_total", "counter" },
		{ "tlsfloor_handshakes_resumed_total", "counter" },
		{ "tlsfloor_legacy_clients_total", "counter" },
		{ "tlsfloor_handshake_failures_total", "counter" },
		{ "tlsfloor_requests_total", "counter" },
		{ "tlsfloor_upstream_errors_total", "counter" },
		{ "tlsfloor_config_reloads_total", "counter" },
		{ "tlsfloor_config_generation", "gauge" },
	};
	char line[256], *s;
	size_t i, j;

	/* Without listeners: families and the process-wide series. */
	s = render();
	for (i = 0; i < TF_ARRAY_SIZE(families); i++) {
		snprintf(line, sizeof(line), "# TYPE %s %s",
		    families[i].name, families[i].type);
		has_line(s, line);
		snprintf(line, sizeof(line), "# HELP %s ", families[i].name);
		ASSERT(strstr(s, line) != NULL);
	}
	has_line(s, "tlsfloor_config_reloads_total{result=\"ok\"} 0");
	has_line(s, "tlsfloor_config_reloads_total{result=\"failed\"} 0");
	has_line(s, "tlsfloor_config_generation 0");
	no_line_prefix(s, "tlsfloor_connections_total{");
	free(s);

	tf_metrics_listener("edge");
	s = render();
	has_line(s, "tlsfloor_connections_total{listener=\"edge\"} 0");
	has_line(s, "tlsfloor_connections_active{listener=\"edge\"} 0");
	for (i = 2; i < TF_ARRAY_SIZE(versions); i++) {
		snprintf(line, sizeof(line), "tlsfloor_handshakes_total"
		    "{listener=\"edge\",version=\"%s\"} 0", versions[i]);
		has_line(s, line);
		snprintf(line, sizeof(line), "tlsfloor_handshakes_resumed_total"
		    "{listener=\"edge\",version=\"%s\"} 0", versions[i]);
		has_line(s, line);
	}
	/* No SSL handshake ever completes: no series for those. */
	no_line_prefix(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"SSL");
	no_line_prefix(s, "tlsfloor_handshakes_resumed_total{listener=\"edge\","
	    "version=\"SSL");
	for (i = 0; i < TF_ARRAY_SIZE(versions); i++)
		for (j = 0; j < TF_ARRAY_SIZE(actions); j++) {
			snprintf(line, sizeof(line),
			    "tlsfloor_legacy_clients_total{listener=\"edge\","
			    "offered=\"%s\",action=\"%s\"} 0", versions[i],
			    actions[j]);
			has_line(s, line);
		}
	for (i = 0; i < TF_ARRAY_SIZE(reasons); i++) {
		snprintf(line, sizeof(line),
		    "tlsfloor_handshake_failures_total{listener=\"edge\","
		    "reason=\"%s\"} 0", reasons[i]);
		has_line(s, line);
	}
	for (i = 0; i < TF_ARRAY_SIZE(codes); i++) {
		snprintf(line, sizeof(line), "tlsfloor_requests_total"
		    "{listener=\"edge\",code=\"%s\"} 0", codes[i]);
		has_line(s, line);
	}
	for (i = 0; i < TF_ARRAY_SIZE(uperrors); i++) {
		snprintf(line, sizeof(line),
		    "tlsfloor_upstream_errors_total{listener=\"edge\","
		    "reason=\"%s\"} 0", uperrors[i]);
		has_line(s, line);
	}
	free(s);
}

TEST(render_counts)
{
	struct tf_mlistener *e = tf_metrics_listener("edge");
	struct tf_mlistener *o = tf_metrics_listener("other");
	char *s;
	int i;

	for (i = 0; i < 3; i++)
		TF_METRIC_INC(e, connections_total);
	TF_METRIC_INC(e, connections_active);
	TF_METRIC_INC(e, connections_active);
	TF_METRIC_DEC(e, connections_active);
	TF_METRIC_INC(e, handshakes[tf_metrics_version_index(0x0304)]);
	TF_METRIC_INC(e, handshakes[tf_metrics_version_index(0x0304)]);
	TF_METRIC_INC(e, handshakes[TF_M_TLS12]);
	TF_METRIC_INC(e, handshakes_resumed[TF_M_TLS13]);
	TF_METRIC_INC(e, legacy[TF_M_TLS10][tf_metrics_action_index(
	    "refused")]);
	TF_METRIC_INC(e, legacy[TF_M_SSL20][TF_M_REFUSED]);
	TF_METRIC_INC(e, legacy[TF_M_TLS11][TF_M_ALLOWED_EXEMPT]);
	TF_METRIC_INC(e, handshake_failures[tf_metrics_reason_index(
	    "timeout")]);
	TF_METRIC_INC(e, requests[1]);
	TF_METRIC_INC(e, requests[1]);
	TF_METRIC_INC(e, requests[4]);
	TF_METRIC_INC(e, upstream_errors[TF_M_UP_CONNECT]);
	TF_METRIC_INC(o, requests[3]);
	tf_metrics_reload(1);
	tf_metrics_reload(1);
	tf_metrics_reload(0);
	tf_metrics_set_generation(3);

	s = render();
	has_line(s, "tlsfloor_connections_total{listener=\"edge\"} 3");
	has_line(s, "tlsfloor_connections_total{listener=\"other\"} 0");
	has_line(s, "tlsfloor_connections_active{listener=\"edge\"} 1");
	has_line(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"TLS1.3\"} 2");
	has_line(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"TLS1.2\"} 1");
	has_line(s, "tlsfloor_handshakes_total{listener=\"edge\","
	    "version=\"TLS1.1\"} 0");
	has_line(s, "tlsfloor_handshakes_resumed_total{listener=\"edge\","
	    "version=\"TLS1.3\"} 1");
	has_line(s, "tlsfloor_handshakes_resumed_total{listener=\"edge\","
	    "version=\"TLS1.2\"} 0");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"TLS1.0\",action=\"refused\"} 1");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"SSL2.0\",action=\"refused\"} 1");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"TLS1.1\",action=\"allowed_exempt\"} 1");
	has_line(s, "tlsfloor_legacy_clients_total{listener=\"edge\","
	    "offered=\"TLS1.1\",action=\"allowed_audit\"} 0");
	has_line(s, "tlsfloor_handshake_failures_total{listener=\"edge\","
	    "reason=\"timeout\"} 1");
	has_line(s, "tlsfloor_requests_total{listener=\"edge\","
	    "code=\"2xx\"} 2");
	has_line(s, "tlsfloor_requests_total{listener=\"edge\","
	    "code=\"5xx\"} 1");
	has_line(s, "tlsfloor_requests_total{listener=\"other\","
	    "code=\"4xx\"} 1");
	has_line(s, "tlsfloor_requests_total{listener=\"other\","
	    "code=\"2xx\"} 0");
	has_line(s, "tlsfloor_upstream_errors_total{listener=\"edge\","
	    "reason=\"connect\"} 1");
	has_line(s, "tlsfloor_config_reloads_total{result=\"ok\"} 2");
	has_line(s, "tlsfloor_config_reloads_total{result=\"failed\"} 1");
	has_line(s, "tlsfloor_config_generation 3");
	free(s);

	/* A gauge may go below zero on a bookkeeping bug: show it as is. */
	TF_METRIC_DEC(o, connections_active);
	s = render();
	has_line(s, "tlsfloor_connections_active{listener=\"other\"} -1");
	free(s);
}

/*
 * The text format's layout: every sample belongs to the family whose
 * # TYPE came last (a counter's samples may add _total), families are
 * not repeated, and each sample line is NAME[{...}] VALUE.
 */
TEST(render_layout)
{
	char *s, *p, *nl, family[128] = "";
	char seen[2048] = " ";

	tf_metrics_listener("a");
	tf_metrics_listener("b");
	s = render();
	for (p = s; *p != '\0'; p = nl + 1) {
		char name[128], rest[512];

		nl = strchr(p, '\n');
		ASSERT(nl != NULL);
		*nl = '\0';
		if (strncmp(p, "# TYPE ", 7) == 0) {
			char key[140];

			ASSERT_EQ(sscanf(p + 7, "%127s", family), 1);
			snprintf(key, sizeof(key), " %s ", family);
			if (strstr(seen, key) != NULL)
				TEST_FAIL("family %s repeated", family);
			ASSERT(strlen(seen) + strlen(key) < sizeof(seen));
			strcat(seen, key + 1);
			continue;
		}
		if (p[0] == '#') {
			ASSERT(strncmp(p, "# HELP ", 7) == 0);
			continue;
		}
		ASSERT(family[0] != '\0');
		ASSERT_EQ(sscanf(p, "%127[a-z_]%511[^\n]", name, rest), 2);
		if (strcmp(name, family) != 0)
			TEST_FAIL("sample %s under family %s", name, family);
		ASSERT(rest[0] == '{' || rest[0] == ' ');
		ASSERT(strrchr(rest, ' ') != NULL);
		ASSERT(strspn(strrchr(rest, ' ') + 1, "-0123456789") ==
		    strlen(strrchr(rest, ' ') + 1));
	}
	free(s);
}

TEST(label_escaping)
{
	char *s;

	TF_METRIC_INC(tf_metrics_listener("we\"ird\\na\nme"),
	    connections_total);
	s = render();
	has_line(s, "tlsfloor_connections_total"
	    "{listener=\"we\\\"ird\\\\na\\nme\"} 1");
	has_line(s, "tlsfloor_requests_total"
	    "{listener=\"we\\\"ird\\\\na\\nme\",code=\"1xx\"} 0");
	/* No raw line feed leaked into a sample. */
	ASSERT(strstr(s, "\nme\"") == NULL);
	free(s);
}

TEST_MAIN(
	TEST_ENTRY(registry_same_pointer),
	TEST_ENTRY(index_maps),
	TEST_ENTRY(render_zeros_from_the_start),
	TEST_ENTRY(render_counts),
	TEST_ENTRY(render_layout),
	TEST_ENTRY(label_escaping),
)
