/*
 * Unit tests for proxy/addr.c: HOST:PORT, bind addresses, CIDRs, matching
 * (with IPv4-mapped clients) and formatting.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "test.h"

/* Builds a socket address from numeric text; aborts the test on bad text. */
static void
sockaddr_of(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else {
		TEST_FAIL("bad test address %s", ip);
	}
}

/* Returns tf_cidr_match(net, ip) for text arguments. */
static int
match(const char *net, const char *ip)
{
	struct sockaddr_storage ss;
	struct tf_cidr c;
	const char *why = NULL;

	if (tf_cidr_parse(net, &c, &why) != 0)
		TEST_FAIL("tf_cidr_parse(%s): %s", net, why);
	sockaddr_of(ip, 1, &ss);
	return tf_cidr_match(&c, (struct sockaddr *)&ss);
}

/* Parses s as host:port and checks the result. */
static void
hostport_ok(const char *s, const char *host, uint16_t port)
{
	const char *why = NULL;
	char *h = NULL;
	uint16_t p = 0;

	if (tf_addr_parse_hostport(s, &h, &p, &why) != 0)
		TEST_FAIL("tf_addr_parse_hostport(%s): %s", s, why);
	ASSERT_STR_EQ(h, host);
	ASSERT_EQ(p, port);
	free(h);
}

/* Checks that s is refused as host:port, with why containing part. */
static void
hostport_bad(const char *s, const char *part)
{
	const char *why = NULL;
	char *h = NULL;
	uint16_t p = 0;

	if (tf_addr_parse_hostport(s, &h, &p, &why) == 0)
		TEST_FAIL("tf_addr_parse_hostport(%s) accepted it", s);
	ASSERT(h == NULL);
	if (why == NULL || strstr(why, part) == NULL)
		TEST_FAIL("%s: why is \"%s\", expected \"%s\"", s,
		    why ? why : "(null)", part);
}

TEST(hostport_valid)
{
	hostport_ok("outlook.office365.com:443", "outlook.office365.com",
	    443);
	hostport_ok("example.com:1", "example.com", 1);
	hostport_ok("10.0.0.1:65535", "10.0.0.1", 65535);
	hostport_ok("[::1]:8443", "::1", 8443);
	hostport_ok("[2001:db8::7]:443", "2001:db8::7", 443);
	hostport_ok("a_b-c.example:80", "a_b-c.example", 80);
}

TEST(hostport_invalid)
{
	hostport_bad("example.com", "missing port");
	hostport_bad("example.com:", "missing port");
	hostport_bad(":443", "missing host");
	hostport_bad("example.com:0", "bad port");
	hostport_bad("example.com:65536", "bad port");
	hostport_bad("example.com:+1", "bad port");
	hostport_bad("example.com:-1", "bad port");
	hostport_bad("example.com:44x", "bad port");
	hostport_bad("example.com: 443", "bad port");
	hostport_bad("::1:443", "[brackets]");
	hostport_bad("[::1]", "missing port");
	hostport_bad("[::1]:", "missing port");
	hostport_bad("[::1:443", "missing ']'");
	hostport_bad("[::1]x:443", "expected ':'");
	hostport_bad("[example.com]:443", "bad IPv6");
	hostport_bad("[]:443", "missing host");
	hostport_bad("exa mple.com:443", "bad host name");
	hostport_bad("-example.com:443", "bad host name");
	hostport_bad("", "missing port");
}

TEST(bind_valid)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const char *why = NULL;
	socklen_t len = 0;
	char ip[INET6_ADDRSTRLEN];

	ASSERT_OK(tf_addr_parse_bind("127.0.0.1:8443", &ss, &len, &why));
	ASSERT_EQ(sin->sin_family, AF_INET);
	ASSERT_EQ(len, sizeof(struct sockaddr_in));
	ASSERT_EQ(ntohs(sin->sin_port), 8443);
	ASSERT_EQ(ntohl(sin->sin_addr.s_addr), 0x7f000001);

	ASSERT_OK(tf_addr_parse_bind("*:443", &ss, &len, &why));
	ASSERT_EQ(sin->sin_family, AF_INET);
	ASSERT_EQ(sin->sin_addr.s_addr, htonl(INADDR_ANY));
	ASSERT_EQ(ntohs(sin->sin_port), 443);

	ASSERT_OK(tf_addr_parse_bind("0.0.0.0:0", &ss, &len, &why));
	ASSERT_EQ(ntohs(sin->sin_port), 0);

	ASSERT_OK(tf_addr_parse_bind("[::]:443", &ss, &len, &why));
	ASSERT_EQ(sin6->sin6_family, AF_INET6);
	ASSERT_EQ(len, sizeof(struct sockaddr_in6));
	ASSERT(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
	ASSERT_EQ(ntohs(sin6->sin6_port), 443);

	ASSERT_OK(tf_addr_parse_bind("[2001:db8::1]:65535", &ss, &len, &why));
	ASSERT(inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip)) != NULL);
	ASSERT_STR_EQ(ip, "2001:db8::1");
	ASSERT_EQ(ntohs(sin6->sin6_port), 65535);
}

TEST(bind_invalid)
{
	static const char *const bad[] = {
		"localhost:443", "1.2.3:443", "1.2.3.4.5:443",
		"256.0.0.1:443", "127.0.0.1:65536", "127.0.0.1",
		"127.0.0.1:", "[::1]", "[::1]:", "::1:443", "*:-1", "*:x",
		":443", "[zz]:443", "[::1:443", "*",
	};
	struct sockaddr_storage ss;
	const char *why;
	socklen_t len;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(bad); i++) {
		why = NULL;
		if (tf_addr_parse_bind(bad[i], &ss, &len, &why) == 0)
			TEST_FAIL("tf_addr_parse_bind(%s) accepted it", bad[i]);
		if (why == NULL)
			TEST_FAIL("tf_addr_parse_bind(%s): no why", bad[i]);
	}
}

/* A datagram destination: a bind's syntax without "*" and port 0. */
TEST(dest)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "*:514", "bad address (numeric IPv4 or [IPv6])" },
		{ "syslog.example:514", "bad address (numeric IPv4 or [IPv6])" },
		{ "127.0.0.1:0", "bad port (1..65535)" },
		{ "127.0.0.1:65536", "bad port (1..65535)" },
		{ "127.0.0.1", "missing port" },
		{ "[::1]", "missing port" },
		{ "::1:514", "an IPv6 address needs [brackets]" },
		{ "[zz]:514", "bad IPv6 address" },
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const char *why = NULL;
	socklen_t len = 0;
	size_t i;

	ASSERT_OK(tf_addr_parse_dest("192.0.2.10:514", &ss, &len, &why));
	ASSERT_EQ(sin->sin_family, AF_INET);
	ASSERT_EQ(len, sizeof(struct sockaddr_in));
	ASSERT_EQ(ntohl(sin->sin_addr.s_addr), 0xc000020a);
	ASSERT_EQ(ntohs(sin->sin_port), 514);
	ASSERT_OK(tf_addr_parse_dest("[::1]:6514", &ss, &len, &why));
	ASSERT_EQ(sin6->sin6_family, AF_INET6);
	ASSERT_EQ(len, sizeof(struct sockaddr_in6));
	ASSERT(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	ASSERT_EQ(ntohs(sin6->sin6_port), 6514);

	for (i = 0; i < TF_ARRAY_SIZE(bad); i++) {
		why = NULL;
		if (tf_addr_parse_dest(bad[i].text, &ss, &len, &why) == 0)
			TEST_FAIL("tf_addr_parse_dest(%s) accepted it",
			    bad[i].text);
		ASSERT_STR_EQ(why, bad[i].why);
	}
}

TEST(cidr_parse_valid)
{
	struct tf_cidr c;
	const char *why = NULL;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	ASSERT_OK(tf_cidr_parse("10.0.0.0/8", &c, &why));
	ASSERT_EQ(c.family, AF_INET);
	ASSERT_EQ(c.prefix, 8);
	ASSERT_EQ(c.addr[0], 10);

	ASSERT_OK(tf_cidr_parse("192.0.2.7", &c, &why));
	ASSERT_EQ(c.family, AF_INET);
	ASSERT_EQ(c.prefix, 32);
	ASSERT_EQ(c.addr[3], 7);

	ASSERT_OK(tf_cidr_parse("192.0.2.7/32", &c, &why));
	ASSERT_EQ(c.prefix, 32);

	ASSERT_OK(tf_cidr_parse("0.0.0.0/0", &c, &why));
	ASSERT_EQ(c.family, AF_INET);
	ASSERT_EQ(c.prefix, 0);

	ASSERT_OK(tf_cidr_parse("2001:db8::/32", &c, &why));
	ASSERT_EQ(c.family, AF_INET6);
	ASSERT_EQ(c.prefix, 32);
	ASSERT(memcmp(c.addr, v6, 16) == 0);

	ASSERT_OK(tf_cidr_parse("::/0", &c, &why));
	ASSERT_EQ(c.family, AF_INET6);
	ASSERT_EQ(c.prefix, 0);

	ASSERT_OK(tf_cidr_parse("::1", &c, &why));
	ASSERT_EQ(c.family, AF_INET6);
	ASSERT_EQ(c.prefix, 128);
	ASSERT_EQ(c.addr[15], 1);

	ASSERT_OK(tf_cidr_parse("2001:db8::1/128", &c, &why));
	ASSERT_EQ(c.prefix, 128);

	/* An IPv4 network written IPv4-mapped is kept as IPv4. */
	ASSERT_OK(tf_cidr_parse("::ffff:10.1.0.0/112", &c, &why));
	ASSERT_EQ(c.family, AF_INET);
	ASSERT_EQ(c.prefix, 16);
	ASSERT_EQ(c.addr[0], 10);
	ASSERT_EQ(c.addr[1], 1);
}

TEST(cidr_parse_invalid)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "10.0.0.1/8", "host bits set" },
		{ "11.0.0.0/7", "host bits set" },
		{ "192.0.2.1/31", "host bits set" },
		{ "2001:db8::1/32", "host bits set" },
		{ "::1/127", "host bits set" },
		{ "10.0.0.0/33", "bad prefix length (0..32)" },
		{ "10.0.0.0/", "bad prefix length (0..32)" },
		{ "10.0.0.0/-1", "bad prefix length (0..32)" },
		{ "10.0.0.0/8x", "bad prefix length (0..32)" },
		{ "10.0.0.0/ 8", "bad prefix length (0..32)" },
		{ "::/129", "bad prefix length (0..128)" },
		{ "::/1000000000000000000000", "bad prefix length (0..128)" },
		{ "", "missing address" },
		{ "/8", "missing address" },
		{ "300.0.0.0/8", "bad address" },
		{ "10.0.0/8", "bad address" },
		{ "example.com", "bad address" },
		{ "fe80::1%eth0", "bad address" },
	};
	struct tf_cidr c;
	const char *why;
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(bad); i++) {
		why = NULL;
		if (tf_cidr_parse(bad[i].text, &c, &why) == 0)
			TEST_FAIL("tf_cidr_parse(%s) accepted it",
			    bad[i].text);
		if (why == NULL || strcmp(why, bad[i].why) != 0)
			TEST_FAIL("tf_cidr_parse(%s): why is \"%s\", "
			    "expected \"%s\"", bad[i].text,
			    why ? why : "(null)", bad[i].why);
	}
}

TEST(cidr_match_v4)
{
	ASSERT_EQ(match("10.0.0.0/8", "10.1.2.3"), 1);
	ASSERT_EQ(match("10.0.0.0/8", "11.1.2.3"), 0);
	ASSERT_EQ(match("10.0.0.0/9", "10.127.255.255"), 1);
	ASSERT_EQ(match("10.0.0.0/9", "10.128.0.0"), 0);
	ASSERT_EQ(match("192.0.2.7", "192.0.2.7"), 1);
	ASSERT_EQ(match("192.0.2.7/32", "192.0.2.8"), 0);
	ASSERT_EQ(match("0.0.0.0/0", "203.0.113.9"), 1);
	/* An IPv4 network never matches a native IPv6 client. */
	ASSERT_EQ(match("0.0.0.0/0", "2001:db8::1"), 0);
}

TEST(cidr_match_v4_mapped)
{
	/* Clients on a dual-stack socket arrive as ::ffff:a.b.c.d. */
	ASSERT_EQ(match("10.20.30.0/24", "::ffff:10.20.30.40"), 1);
	ASSERT_EQ(match("10.20.30.0/24", "::ffff:10.20.31.40"), 0);
	ASSERT_EQ(match("192.0.2.7", "::ffff:192.0.2.7"), 1);
	ASSERT_EQ(match("0.0.0.0/0", "::ffff:1.2.3.4"), 1);
	/* Not mapped: the same low bytes must not match. */
	ASSERT_EQ(match("10.20.30.0/24", "::10.20.30.40"), 0);
	/* A network written mapped matches both forms of the client. */
	ASSERT_EQ(match("::ffff:10.20.30.0/120", "10.20.30.40"), 1);
	ASSERT_EQ(match("::ffff:10.20.30.0/120", "::ffff:10.20.30.40"), 1);
	/* An IPv6 network sees an IPv4 client as its mapped address. */
	ASSERT_EQ(match("::/0", "10.20.30.40"), 1);
	ASSERT_EQ(match("2001:db8::/32", "10.20.30.40"), 0);
}

TEST(cidr_match_v6)
{
	ASSERT_EQ(match("2001:db8::/32", "2001:db8:1::5"), 1);
	ASSERT_EQ(match("2001:db8::/32", "2001:db9::5"), 0);
	ASSERT_EQ(match("2001:db8::/33", "2001:db8:7fff::1"), 1);
	ASSERT_EQ(match("2001:db8::/33", "2001:db8:8000::1"), 0);
	ASSERT_EQ(match("::1", "::1"), 1);
	ASSERT_EQ(match("::1/128", "::2"), 0);
	ASSERT_EQ(match("::/0", "2001:db8::1"), 1);
}

TEST(format)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN];
	char small[8];
	uint16_t port = 0;

	sockaddr_of("203.0.113.7", 51234, &ss);
	ASSERT_OK(tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip),
	    &port));
	ASSERT_STR_EQ(ip, "203.0.113.7");
	ASSERT_EQ(port, 51234);

	sockaddr_of("2001:db8::7", 443, &ss);
	ASSERT_OK(tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip),
	    &port));
	ASSERT_STR_EQ(ip, "2001:db8::7");
	ASSERT_EQ(port, 443);

	sockaddr_of("::ffff:203.0.113.7", 1, &ss);
	ASSERT_OK(tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip),
	    &port));
	ASSERT_STR_EQ(ip, "203.0.113.7");
	ASSERT_EQ(port, 1);

	/* The port is optional. */
	ASSERT_OK(tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip),
	    NULL));

	/* Too small a buffer and an unknown family fail cleanly. */
	sockaddr_of("2001:db8::7", 443, &ss);
	ASSERT_FAIL(tf_addr_format((struct sockaddr *)&ss, small,
	    sizeof(small), &port));
	ss.ss_family = AF_UNIX;
	ASSERT_FAIL(tf_addr_format((struct sockaddr *)&ss, ip, sizeof(ip),
	    &port));
}

TEST_MAIN(
	TEST_ENTRY(hostport_valid),
	TEST_ENTRY(hostport_invalid),
	TEST_ENTRY(bind_valid),
	TEST_ENTRY(bind_invalid),
	TEST_ENTRY(dest),
	TEST_ENTRY(cidr_parse_valid),
	TEST_ENTRY(cidr_parse_invalid),
	TEST_ENTRY(cidr_match_v4),
	TEST_ENTRY(cidr_match_v4_mapped),
	TEST_ENTRY(cidr_match_v6),
	TEST_ENTRY(format),
)
