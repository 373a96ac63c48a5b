/*
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2) a
 * load balancer in front of the gateway sends before the TLS bytes, to
 * pass on the original client's address. Pure byte work.
 */
#ifndef TF_PROXYPROTO_H
#define TF_PROXYPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
	TF_PROXY_AGAIN = 0,     /* not complete yet */
	TF_PROXY_OK = 1,        /* complete; *used bytes belong to it */
	TF_PROXY_BAD = -1,      /* not a PROXY header, or malformed */
};

/*
 * Parses a header at the start of p. On TF_PROXY_OK, *used is its length
 * and *src holds the original source address, or has family AF_UNSPEC
 * when the header carries none (v1 UNKNOWN, v2 LOCAL or an unknown
 * family): the connection's own address stands then.
 */
int tf_proxy_parse(const uint8_t *p, size_t n, struct sockaddr_storage *src,
    size_t *used);

#endif
