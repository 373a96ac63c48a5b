#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxyproto.h"
#include "test.h"

static int
parse(const void *p, size_t n, struct sockaddr_storage *ss, size_t *used)
{
	return tf_proxy_parse(p, n, ss, used);
}

static void
check_v4(const struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char text[INET_ADDRSTRLEN];

	ASSERT_EQ(ss->ss_family, AF_INET);
	inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
	ASSERT_STR_EQ(text, ip);
	ASSERT_EQ(ntohs(sin->sin_port), port);
}

TEST(v1_tcp4)
{
	const char h[] = "PROXY TCP4 203.0.113.7 192.0.2.1 51234 443\r\n\x16\x03";
	struct sockaddr_storage ss;
	size_t used = 0, i;

	ASSERT_EQ(parse(h, sizeof(h) - 1, &ss, &used), TF_PROXY_OK);
	ASSERT_EQ(used, sizeof(h) - 3);
	check_v4(&ss, "203.0.113.7", 51234);
	/* Every prefix waits for more. */
	for (i = 0; i < used; i++)
		ASSERT_EQ(parse(h, i, &ss, &used), TF_PROXY_AGAIN);
}

TEST(v1_tcp6_and_unknown)
{
	const char h6[] = "PROXY TCP6 2001:db8::7 2001:db8::1 1024 443\r\n";
	const char hu[] = "PROXY UNKNOWN whatever\r\n";
	const struct sockaddr_in6 *sin6;
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN];
	size_t used;

	ASSERT_EQ(parse(h6, sizeof(h6) - 1, &ss, &used), TF_PROXY_OK);
	sin6 = (const struct sockaddr_in6 *)&ss;
	ASSERT_EQ(ss.ss_family, AF_INET6);
	inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
	ASSERT_STR_EQ(text, "2001:db8::7");
	ASSERT_EQ(ntohs(sin6->sin6_port), 1024);
	ASSERT_EQ(parse(hu, sizeof(hu) - 1, &ss, &used), TF_PROXY_OK);
	ASSERT_EQ(ss.ss_family, AF_UNSPEC);
	ASSERT_EQ(used, sizeof(hu) - 1);
}

TEST(v1_bad)
{
	static const char *const bad[] = {
		"PROXY TCP4 203.0.113.7 192.0.2.1 51234\r\n",
		"PROXY TCP4 203.0.113.7 192.0.2.1 51234 443 x\r\n",
		"PROXY TCP4 2001:db8::7 192.0.2.1 1 2\r\n",
		"PROXY TCP4 203.0.113.7 192.0.2.1 65536 443\r\n",
		"PROXY TCP4 203.0.113.7 192.0.2.1 0123 443\r\n",
		"PROXY UDP4 203.0.113.7 192.0.2.1 1 2\r\n",
		"PROXY TCP4  203.0.113.7 192.0.2.1 1 2\r\n",
		"\x16\x03\x01\x00\x10",
		"GET / HTTP/1.1\r\n",
	};
	struct sockaddr_storage ss;
	char longline[200];
	size_t i, used;

	for (i = 0; i < TF_ARRAY_SIZE(bad); i++)
		if (parse(bad[i], strlen(bad[i]), &ss, &used) != TF_PROXY_BAD)
			TEST_FAIL("accepted: %s", bad[i]);
	/* No CRLF within 107 bytes. */
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "PROXY ", 6);
	ASSERT_EQ(parse(longline, sizeof(longline), &ss, &used), TF_PROXY_BAD);
}

static const unsigned char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

TEST(v2_tcp4_with_tlv)
{
	unsigned char h[16 + 12 + 7 + 2];
	struct sockaddr_storage ss;
	size_t used = 0, i;

	memcpy(h, sig, 12);
	h[12] = 0x21;                 /* v2, PROXY */
	h[13] = 0x11;                 /* TCP over IPv4 */
	h[14] = 0;
	h[15] = 12 + 7;               /* addresses and a TLV */
	memcpy(h + 16, "\xcb\x00\x71\x07", 4);   /* 203.0.113.7 */
	memcpy(h + 20, "\xc0\x00\x02\x01", 4);   /* 192.0.2.1 */
	memcpy(h + 24, "\xc8\x22", 2);           /* 51234 */
	memcpy(h + 26, "\x01\xbb", 2);           /* 443 */
	memcpy(h + 28, "\x02\x00\x04test", 7);   /* PP2_TYPE_AUTHORITY */
	memcpy(h + 35, "\x16\x03", 2);
	ASSERT_EQ(parse(h, sizeof(h), &ss, &used), TF_PROXY_OK);
	ASSERT_EQ(used, 35);
	check_v4(&ss, "203.0.113.7", 51234);
	for (i = 0; i < 35; i++)
		ASSERT_EQ(parse(h, i, &ss, &used), TF_PROXY_AGAIN);
}

TEST(v2_local_and_bad)
{
	unsigned char h[16];
	struct sockaddr_storage ss;
	size_t used;

	memcpy(h, sig, 12);
	h[12] = 0x20;                 /* LOCAL */
	h[13] = 0x00;
	h[14] = h[15] = 0;
	ASSERT_EQ(parse(h, sizeof(h), &ss, &used), TF_PROXY_OK);
	ASSERT_EQ(ss.ss_family, AF_UNSPEC);
	ASSERT_EQ(used, 16);
	h[12] = 0x11;                 /* version 1 in a v2 header */
	ASSERT_EQ(parse(h, sizeof(h), &ss, &used), TF_PROXY_BAD);
	h[12] = 0x21;
	h[13] = 0x11;                 /* IPv4 but no room for it */
	ASSERT_EQ(parse(h, sizeof(h), &ss, &used), TF_PROXY_BAD);
	h[12] = 0x2f;                 /* unknown command */
	ASSERT_EQ(parse(h, sizeof(h), &ss, &used), TF_PROXY_BAD);
}

TEST_MAIN(
	TEST_ENTRY(v1_tcp4),
	TEST_ENTRY(v1_tcp6_and_unknown),
	TEST_ENTRY(v1_bad),
	TEST_ENTRY(v2_tcp4_with_tlv),
	TEST_ENTRY(v2_local_and_bad)
)
