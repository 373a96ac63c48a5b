/*
 * rsa-speed: RSA signatures per second of CPU time, through the calls a
 * TLS server makes (EVP_DigestSign with SHA-256, PSS as TLS 1.3 signs,
 * PKCS#1 v1.5 as older TLS 1.2 clients ask for), on a fixed key.
 *
 * It counts the process's CPU time, not the wall clock, so a core shared
 * with other work gives the figure of the core alone (bssl speed and
 * openssl speed count wall time). The same source builds against
 * BoringSSL and OpenSSL 3; see BENCHMARKS.md for the build commands.
 *
 * usage: rsa-speed KEY.pem [SECONDS]   (default 2 seconds per padding)
 * Prints one line per padding:
 *     pss    sign/s 1380.2  (2761 signs, 2.000 s cpu, 2.004 s wall)
 * Exits 1 if the key does not load or a signature fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

static double
seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Signs a TLS 1.3 CertificateVerify-sized message until `budget` seconds
 * of CPU time are spent; returns 0, or -1 when a signature fails. */
static int
run(const char *name, EVP_PKEY *key, int pss, double budget)
{
	unsigned char msg[130], sig[1024];
	double cpu0, wall0, cpu;
	long n = 0;

	memset(msg, 0x5a, sizeof(msg));
	cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = seconds(CLOCK_MONOTONIC);
	do {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		size_t len = sizeof(sig);
		int ok;

		ok = md != NULL &&
		    EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) == 1;
		if (ok && pss)
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx,
			    RSA_PKCS1_PSS_PADDING) == 1 &&
			    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, -1) == 1;
		ok = ok && EVP_DigestSign(md, sig, &len, msg,
		    sizeof(msg)) == 1;
		EVP_MD_CTX_free(md);
		if (!ok) {
			ERR_print_errors_fp(stderr);
			return -1;
		}
		n++;
		cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	} while (cpu < budget);
	printf("%-6s sign/s %7.1f  (%ld signs, %.3f s cpu, %.3f s wall)\n",
	    name, n / cpu, n, cpu, seconds(CLOCK_MONOTONIC) - wall0);
	return 0;
}

int
main(int argc, char **argv)
{
	double budget = 2;
	EVP_PKEY *key;
	FILE *f;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: rsa-speed KEY.pem [SECONDS]\n");
		return 2;
	}
	if (argc == 3 && (budget = atof(argv[2])) <= 0) {
		fprintf(stderr, "rsa-speed: bad SECONDS '%s'\n", argv[2]);
		return 2;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
#ifdef OPENSSL_IS_BORINGSSL
	printf("# BoringSSL, API %d\n", BORINGSSL_API_VERSION);
#else
	printf("# %s\n", OpenSSL_version(OPENSSL_VERSION));
#endif
	if (run("pss", key, 1, budget) < 0 || run("pkcs1", key, 0, budget) < 0)
		return 1;
	EVP_PKEY_free(key);
	return 0;
}
