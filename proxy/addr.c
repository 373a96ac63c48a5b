/*
 * Address text: HOST:PORT for upstreams, numeric ADDR:PORT for binds, CIDRs
 * for exemptions, and client address formatting for records. Pure string and
 * byte work: nothing here resolves names or touches sockets.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "common.h"

/* The IPv4-mapped IPv6 prefix ::ffff:0:0/96. */
static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/*
 * Splits "host:port" or "[v6]:port" into a host span (brackets removed) and
 * the port text. Returns 0, or -1 with *why set. *bracketed tells whether the
 * host was written in brackets.
 */
static int
split_hostport(const char *s, const char **host, size_t *hostlen,
    const char **port, int *bracketed, const char **why)
{
	const char *colon;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL) {
			*why = "missing ']'";
			return -1;
		}
		if (close[1] != ':') {
			*why = close[1] == '\0' ? "missing port" :
			    "expected ':' after ']'";
			return -1;
		}
		*host = s + 1;
		*hostlen = (size_t)(close - s - 1);
		*port = close + 2;
		*bracketed = 1;
		return 0;
	}
	colon = strrchr(s, ':');
	if (colon == NULL) {
		*why = "missing port";
		return -1;
	}
	if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
		*why = "an IPv6 address needs [brackets]";
		return -1;
	}
	*host = s;
	*hostlen = (size_t)(colon - s);
	*port = colon + 1;
	*bracketed = 0;
	return 0;
}

/* Returns 1 when the span is a plausible DNS name or IPv4 literal. */
static int
valid_hostname(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = h[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_')
			continue;
		return 0;
	}
	return 1;
}

int
tf_addr_parse_hostport(const char *s, char **host, uint16_t *port,
    const char **why)
{
	const char *h, *p;
	size_t hlen;
	uint64_t v;
	int bracketed;
	char *copy;

	if (split_hostport(s, &h, &hlen, &p, &bracketed, why) == -1)
		return -1;
	if (hlen == 0) {
		*why = "missing host";
		return -1;
	}
	copy = malloc(hlen + 1);
	if (copy == NULL) {
		*why = "out of memory";
		return -1;
	}
	memcpy(copy, h, hlen);
	copy[hlen] = '\0';
	if (bracketed) {
		struct in6_addr a6;

		if (inet_pton(AF_INET6, copy, &a6) != 1) {
			*why = "bad IPv6 address";
			goto fail;
		}
	} else if (!valid_hostname(copy, hlen)) {
		*why = "bad host name";
		goto fail;
	}
	if (*p == '\0') {
		*why = "missing port";
		goto fail;
	}
	if (tf_parse_uint(p, 65535, &v) == -1 || v == 0) {
		*why = "bad port (1..65535)";
		goto fail;
	}
	*host = copy;
	*port = (uint16_t)v;
	return 0;

fail:
	free(copy);
	return -1;
}

/*
 * A numeric ADDR:PORT. A bind may say "*" and port 0, which only mean
 * something to bind(2); a destination (wildcard 0) may not.
 */
static int
parse_numeric(const char *s, int wildcard, struct sockaddr_storage *ss,
    socklen_t *len, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *h, *p;
	size_t hlen;
	uint64_t v;
	int bracketed;

	if (split_hostport(s, &h, &hlen, &p, &bracketed, why) == -1)
		return -1;
	if (hlen == 0) {
		*why = "missing address";
		return -1;
	}
	if (hlen >= sizeof(buf)) {
		*why = "bad address";
		return -1;
	}
	if (*p == '\0') {
		*why = "missing port";
		return -1;
	}
	if (tf_parse_uint(p, 65535, &v) == -1 || (!wildcard && v == 0)) {
		*why = wildcard ? "bad port (0..65535)" : "bad port (1..65535)";
		return -1;
	}
	memcpy(buf, h, hlen);
	buf[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (bracketed) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1) {
			*why = "bad IPv6 address";
			return -1;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)v);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (wildcard && strcmp(buf, "*") == 0) {
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		} else if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1) {
			*why = wildcard ? "bad address (numeric IPv4, [IPv6] "
			    "or *)" : "bad address (numeric IPv4 or [IPv6])";
			return -1;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)v);
		*len = sizeof(*sin);
	}
	return 0;
}

int
tf_addr_parse_bind(const char *s, struct sockaddr_storage *ss,
    socklen_t *len, const char **why)
{
	return parse_numeric(s, 1, ss, len, why);
}

int
tf_addr_parse_dest(const char *s, struct sockaddr_storage *ss,
    socklen_t *len, const char **why)
{
	return parse_numeric(s, 0, ss, len, why);
}

int
tf_cidr_parse(const char *s, struct tf_cidr *c, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix, max, i;
	int family;

	if (alen == 0) {
		*why = "missing address";
		return -1;
	}
	if (alen >= sizeof(buf)) {
		*why = "bad address";
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		family = AF_INET6;
		max = 128;
	} else {
		*why = "bad address";
		return -1;
	}
	prefix = max;
	if (slash != NULL && tf_parse_uint(slash + 1, max, &prefix) == -1) {
		*why = family == AF_INET ? "bad prefix length (0..32)" :
		    "bad prefix length (0..128)";
		return -1;
	}
	for (i = prefix; i < max; i++) {
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits set";
			return -1;
		}
	}
	/*
	 * "::ffff:10.0.0.0/104" is an IPv4 network written as IPv6: keep it
	 * as IPv4 so that it reads back the way it matches.
	 */
	if (family == AF_INET6 && prefix >= 96 &&
	    memcmp(c->addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		family = AF_INET;
		prefix -= 96;
	}
	c->family = family;
	c->prefix = (unsigned)prefix;
	return 0;
}

/* Returns 1 when the first bits of a and b are equal. */
static int
prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int
tf_cidr_match(const struct tf_cidr *c, const struct sockaddr *sa)
{
	uint8_t v6[16];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (c->family == AF_INET)
			return prefix_equal(c->addr,
			    (const uint8_t *)&sin->sin_addr, c->prefix);
		/* The same client must match the same networks whichever
		 * socket family accepted it: compare it as ::ffff:a.b.c.d. */
		memcpy(v6, v4mapped_prefix, sizeof(v4mapped_prefix));
		memcpy(v6 + 12, &sin->sin_addr, 4);
		return c->family == AF_INET6 &&
		    prefix_equal(c->addr, v6, c->prefix);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		memcpy(v6, &sin6->sin6_addr, 16);
		if (c->family == AF_INET6)
			return prefix_equal(c->addr, v6, c->prefix);
		if (c->family == AF_INET &&
		    memcmp(v6, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0)
			return prefix_equal(c->addr, v6 + 12, c->prefix);
	}
	return 0;
}

int
tf_addr_format(const struct sockaddr *sa, char *ip, size_t iplen,
    uint16_t *port)
{
	uint16_t p;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &sin->sin_addr, ip,
		    (socklen_t)iplen) == NULL)
			return -1;
		p = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;
		const uint8_t *b = sin6->sin6_addr.s6_addr;

		if (memcmp(b, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
			if (inet_ntop(AF_INET, b + 12, ip,
			    (socklen_t)iplen) == NULL)
				return -1;
		} else if (inet_ntop(AF_INET6, b, ip,
		    (socklen_t)iplen) == NULL) {
			return -1;
		}
		p = ntohs(sin6->sin6_port);
	} else {
		return -1;
	}
	if (port != NULL)
		*port = p;
	return 0;
}
