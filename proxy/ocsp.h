/*
 * OCSP stapling: the check of a response an operator's `ocsp-file` holds
 * (fetched beforehand, e.g. with `openssl ocsp -respout`), before it is
 * stapled. BoringSSL staples bytes as they are and has no OCSP parser; a
 * response that is not for the certificate, or not "good", makes careful
 * clients fail the handshake, so it is refused at load (and -t) instead.
 */
#ifndef TF_OCSP_H
#define TF_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* Responses bigger than this are refused (real ones are a few KiB). */
#define TF_OCSP_MAX (64 * 1024)

/*
 * Returns 0 when der (DER, len bytes) is a successful basic OCSP response
 * with a SingleResponse for leaf's serial number saying "good", else -1
 * with *why set to a static message.
 */
int tf_ocsp_check(const uint8_t *der, size_t len, X509 *leaf,
    const char **why);

#endif
