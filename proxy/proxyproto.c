#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "proxyproto.h"

#define V1_MAX 107  /* "PROXY" ... "\r\n", the specification's bound */

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* Splits the next space-separated field of [*s, end) into out. */
static int
field(const char **s, const char *end, char *out, size_t outlen)
{
	const char *p = *s;
	size_t n;

	while (p < end && *p != ' ')
		p++;
	n = (size_t)(p - *s);
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, *s, n);
	out[n] = '\0';
	*s = p < end ? p + 1 : p;
	return 0;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (s[0] == '0' && s[1] != '\0')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || end == s || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int
parse_v1(const uint8_t *p, size_t n, struct sockaddr_storage *src,
    size_t *used)
{
	const char *s = (const char *)p, *crlf = NULL, *end;
	char proto[8], a[48], b[48], sp[8], dp[8];
	uint16_t sport, dport;
	size_t i;

	for (i = 0; i + 1 < n && i + 1 < V1_MAX; i++) {
		if (p[i] == '\r' && p[i + 1] == '\n') {
			crlf = s + i;
			break;
		}
	}
	if (crlf == NULL)
		return n >= V1_MAX ? TF_PROXY_BAD : TF_PROXY_AGAIN;
	*used = (size_t)(crlf - s) + 2;
	end = crlf;
	s += 6; /* "PROXY " */
	if (field(&s, end, proto, sizeof(proto)) != 0)
		return TF_PROXY_BAD;
	memset(src, 0, sizeof(*src));
	if (strcmp(proto, "UNKNOWN") == 0) {
		src->ss_family = AF_UNSPEC;
		return TF_PROXY_OK;
	}
	if (field(&s, end, a, sizeof(a)) != 0 ||
	    field(&s, end, b, sizeof(b)) != 0 ||
	    field(&s, end, sp, sizeof(sp)) != 0 ||
	    field(&s, end, dp, sizeof(dp)) != 0 || s != end ||
	    parse_port(sp, &sport) != 0 || parse_port(dp, &dport) != 0)
		return TF_PROXY_BAD;
	if (strcmp(proto, "TCP4") == 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)src;
		struct in_addr dst;

		if (inet_pton(AF_INET, a, &sin->sin_addr) != 1 ||
		    inet_pton(AF_INET, b, &dst) != 1)
			return TF_PROXY_BAD;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(sport);
	} else if (strcmp(proto, "TCP6") == 0) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)src;
		struct in6_addr dst;

		if (inet_pton(AF_INET6, a, &sin6->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, b, &dst) != 1)
			return TF_PROXY_BAD;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(sport);
	} else {
		return TF_PROXY_BAD;
	}
	return TF_PROXY_OK;
}

static int
parse_v2(const uint8_t *p, size_t n, struct sockaddr_storage *src,
    size_t *used)
{
	size_t len;

	if (n < 16)
		return TF_PROXY_AGAIN;
	if ((p[12] & 0xf0) != 0x20)
		return TF_PROXY_BAD;            /* version 2 only */
	len = (size_t)p[14] << 8 | p[15];
	if (n < 16 + len)
		return TF_PROXY_AGAIN;
	*used = 16 + len;
	memset(src, 0, sizeof(*src));
	src->ss_family = AF_UNSPEC;
	switch (p[12] & 0x0f) {
	case 0x0:                               /* LOCAL: health checks */
		return TF_PROXY_OK;
	case 0x1:                               /* PROXY */
		break;
	default:
		return TF_PROXY_BAD;
	}
	switch (p[13]) {
	case 0x11: {                            /* TCP over IPv4 */
		struct sockaddr_in *sin = (struct sockaddr_in *)src;

		if (len < 12)
			return TF_PROXY_BAD;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, p + 16, 4);
		memcpy(&sin->sin_port, p + 24, 2);
		break;
	}
	case 0x21: {                            /* TCP over IPv6 */
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)src;

		if (len < 36)
			return TF_PROXY_BAD;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, p + 16, 16);
		memcpy(&sin6->sin6_port, p + 48, 2);
		break;
	}
	default:                                /* UNSPEC, UDP, UNIX */
		break;
	}
	return TF_PROXY_OK;
}

int
tf_proxy_parse(const uint8_t *p, size_t n, struct sockaddr_storage *src,
    size_t *used)
{
	size_t k = n < sizeof(v2_sig) ? n : sizeof(v2_sig);

	if (n == 0)
		return TF_PROXY_AGAIN;
	if (memcmp(p, v2_sig, k) == 0)
		return k < sizeof(v2_sig) ? TF_PROXY_AGAIN :
		    parse_v2(p, n, src, used);
	k = n < 6 ? n : 6;
	if (memcmp(p, "PROXY ", k) == 0)
		return k < 6 ? TF_PROXY_AGAIN : parse_v1(p, n, src, used);
	return TF_PROXY_BAD;
}
