/*
 * The upstream leg of a connection: resolve, connect (each address in
 * turn), TLS 1.2+ handshake with the chain and host name verified. The
 * functions are declared in conn.h, next to the connection they serve.
 */
#ifndef TF_UPSTREAM_H
#define TF_UPSTREAM_H

#include "conn.h"

#endif
