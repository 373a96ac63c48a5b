/*
 * libFuzzer driver for proxy/proxyproto.c. conn.c read_proxy_header()
 * calls tf_proxy_parse() on whatever has arrived so far, again after each
 * read, so besides memory safety this checks that the answer does not
 * depend on how the bytes were split: every prefix of a complete header is
 * "not complete yet", never refused or accepted with another length, and
 * bytes after the header change nothing. Each parse gets a buffer of
 * exactly its length.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "addr.h"
#include "proxyproto.h"

/* Parses a copy of the first n bytes, so that ASan sees the bound. */
static int
parse_copy(const uint8_t *data, size_t n, struct sockaddr_storage *src,
    size_t *used)
{
	uint8_t *p = malloc(n > 0 ? n : 1);
	int r;

	CHECK(p != NULL);
	memcpy(p, data, n);
	*used = (size_t)-1;
	r = tf_proxy_parse(p, n, src, used);
	free(p);
	CHECK(r == TF_PROXY_AGAIN || r == TF_PROXY_OK || r == TF_PROXY_BAD);
	if (r == TF_PROXY_OK)
		CHECK(*used > 0 && *used <= n);
	return r;
}

static int
same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(a, b, sizeof(struct sockaddr_in6)) == 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage src, src2;
	size_t used, used2, k, step;
	char ip[64];
	uint16_t port;
	int r, r2;

	r = parse_copy(data, size, &src, &used);
	if (r != TF_PROXY_OK)
		return 0;

	/* What conn.c does with it. */
	CHECK(src.ss_family == AF_UNSPEC || src.ss_family == AF_INET ||
	    src.ss_family == AF_INET6);
	if (src.ss_family != AF_UNSPEC)
		CHECK(tf_addr_format((struct sockaddr *)&src, ip, sizeof(ip),
		    &port) == 0);

	/* The header alone gives the same answer. */
	r2 = parse_copy(data, used, &src2, &used2);
	CHECK(r2 == TF_PROXY_OK && used2 == used);
	CHECK(same_source(&src, &src2));

	/* Every prefix is incomplete (all of them when short). */
	step = used <= 512 ? 1 : used / 256;
	for (k = 0; k < used; k += step) {
		r2 = parse_copy(data, k, &src2, &used2);
		CHECK(r2 == TF_PROXY_AGAIN);
	}
	r2 = parse_copy(data, used - 1, &src2, &used2);
	CHECK(r2 == TF_PROXY_AGAIN);
	return 0;
}
