#include <string.h>

#include <openssl/bytestring.h>
#include <openssl/mem.h>

#include "ocsp.h"

/* id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1 (RFC 6960, 4.2.1). */
static const uint8_t ocsp_basic[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
	0x30, 0x01, 0x01 };

#define EXPLICIT(n) (CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | (n))

/*
 * Finds the ResponseData (RFC 6960, 4.2.1) inside an OCSPResponse: the
 * status must be successful(0) and the bytes a BasicOCSPResponse.
 */
static int
response_data(CBS *in, CBS *tbs, const char **why)
{
	CBS resp, status, bytes, rb, oid, octets, basic;
	uint8_t st;

	*why = "not a DER OCSP response";
	if (!CBS_get_asn1(in, &resp, CBS_ASN1_SEQUENCE) || CBS_len(in) != 0 ||
	    !CBS_get_asn1(&resp, &status, CBS_ASN1_ENUMERATED) ||
	    !CBS_get_u8(&status, &st) || CBS_len(&status) != 0)
		return -1;
	if (st != 0) {
		*why = "the responder did not answer successfully";
		return -1;
	}
	if (!CBS_get_asn1(&resp, &bytes, EXPLICIT(0)) ||
	    !CBS_get_asn1(&bytes, &rb, CBS_ASN1_SEQUENCE) ||
	    !CBS_get_asn1(&rb, &oid, CBS_ASN1_OBJECT) ||
	    !CBS_get_asn1(&rb, &octets, CBS_ASN1_OCTETSTRING))
		return -1;
	if (!CBS_mem_equal(&oid, ocsp_basic, sizeof(ocsp_basic))) {
		*why = "not a basic OCSP response";
		return -1;
	}
	/* BasicOCSPResponse: tbsResponseData, signature (checked by the
	 * client, which has the issuer), certs. */
	if (!CBS_get_asn1(&octets, &basic, CBS_ASN1_SEQUENCE) ||
	    !CBS_get_asn1(&basic, tbs, CBS_ASN1_SEQUENCE))
		return -1;
	return 0;
}

int
tf_ocsp_check(const uint8_t *der, size_t len, X509 *leaf, const char **why)
{
	CBS in, tbs, responses, single, certid, serial;
	uint8_t *sn = NULL;
	int found = 0, sn_len;

	CBS_init(&in, der, len);
	if (response_data(&in, &tbs, why) != 0)
		return -1;
	*why = "not a DER OCSP response";
	/* ResponseData: [0] version, responderID, producedAt, responses. */
	if (!CBS_get_optional_asn1(&tbs, NULL, NULL, EXPLICIT(0)) ||
	    !CBS_get_any_asn1_element(&tbs, NULL, NULL, NULL) ||
	    !CBS_get_asn1(&tbs, NULL, CBS_ASN1_GENERALIZEDTIME) ||
	    !CBS_get_asn1(&tbs, &responses, CBS_ASN1_SEQUENCE))
		return -1;
	sn_len = i2d_ASN1_INTEGER(X509_get_serialNumber(leaf), &sn);
	if (sn_len <= 0) {
		*why = "cannot read the certificate's serial number";
		return -1;
	}
	while (CBS_len(&responses) > 0) {
		/* SingleResponse: certID, certStatus, thisUpdate, ... */
		if (!CBS_get_asn1(&responses, &single, CBS_ASN1_SEQUENCE) ||
		    !CBS_get_asn1(&single, &certid, CBS_ASN1_SEQUENCE) ||
		    !CBS_get_asn1(&certid, NULL, CBS_ASN1_SEQUENCE) ||
		    !CBS_get_asn1(&certid, NULL, CBS_ASN1_OCTETSTRING) ||
		    !CBS_get_asn1(&certid, NULL, CBS_ASN1_OCTETSTRING) ||
		    !CBS_get_asn1_element(&certid, &serial, CBS_ASN1_INTEGER))
			goto bad;
		if (!CBS_mem_equal(&serial, sn, (size_t)sn_len))
			continue;
		found = 1;
		/* certStatus, by its identifier octet: good is [0] IMPLICIT
		 * NULL (0x80), revoked [1] constructed (0xa1), unknown [2]. */
		if (CBS_len(&single) == 0 || CBS_data(&single)[0] != 0x80) {
			*why = CBS_len(&single) > 0 &&
			    CBS_data(&single)[0] == 0xa1 ?
			    "it says the certificate is revoked" :
			    "it does not say the certificate is good";
			goto bad;
		}
	}
	OPENSSL_free(sn);
	if (!found) {
		*why = "it is not for this certificate (another serial number)";
		return -1;
	}
	return 0;
bad:
	OPENSSL_free(sn);
	return -1;
}
