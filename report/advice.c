/*
 * The advice table and the grouping of the guess totals into its
 * families. The sentences name only what vendors ship or document, and
 * one update by number: KB3140245, Microsoft's TLS 1.1/1.2 defaults for
 * WinHTTP on Windows 7; an operator acts on them, so none is a guess.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "common.h"
#include "cset.h"

#define WIN7 "use Internet Explorer 11 or turn on \"Use TLS 1.2\" in " \
	"Internet Options, install Microsoft's update KB3140245 and set " \
	"DefaultSecureProtocols for WinHTTP programs, and have .NET " \
	"programs target .NET Framework 4.6 or later or set SchUseStrongCrypto"

/* Most specific first: the first entry with a pattern in the guess wins. */
static const struct tf_advice table[] = {
	/* Catalogue names that say "A or B" come first: a family below
	 * would match only one of the two. */
	{ { "or Java 6u45" }, "Android 2.3 or Java 6",
	    "An Android 2.3 device has no TLS 1.2: replace it or use an app "
	    "that brings its own TLS stack; a Java 6 program needs Java 8 or "
	    "later." },
	{ { "or YandexBot" }, "OpenSSL 0.9.8 or YandexBot",
	    "A program on OpenSSL 0.9.8, which has no TLS 1.2, needs "
	    "rebuilding on OpenSSL 1.0.1 or later; if it is the YandexBot "
	    "crawler, there is nothing to upgrade." },
	{ { "or a Baidu or Yahoo crawler" }, "Firefox 10 ESR or an old crawler",
	    "Update Firefox, which speaks TLS 1.2 from version 27 on; if it "
	    "is the Baidu or Yahoo crawler, there is nothing to upgrade." },
	{ { "crawler", "Googlebot", "bingbot", "YandexBot", "Yahoo Slurp" },
	    "Search engine crawlers",
	    "Nothing to upgrade: the hello matches a search engine's crawler "
	    "as captured years ago, and today's crawlers speak TLS 1.2; if "
	    "the address keeps coming back, find out whose it is." },
	{ { "s_client", "gnutls-cli" }, "Test tools forced to an old version",
	    "Run the tool with its defaults, which offer TLS 1.2 and 1.3, "
	    "instead of forcing an old version (openssl s_client -tls1 or "
	    "-tls1_1, a gnutls-cli priority such as -VERS-ALL:+VERS-TLS1.0)." },

	/* Android and Java before the browsers: "Android 2.3.7 (OpenSSL)"
	 * is about the platform, not the library. */
	{ { "Android 2.", "Android 3.", "Android 4.0" }, "Android 2.x-4.0",
	    "Android before 4.1 has no TLS 1.2: replace the device, or use an "
	    "app that brings its own TLS stack." },
	{ { "Android 4.1", "Android 4.2", "Android 4.3" }, "Android 4.1-4.3",
	    "Android 4.1-4.3 has TLS 1.2 but leaves it off and cannot turn it "
	    "on system-wide: use an app that turns it on or brings its own "
	    "TLS stack, or replace the device." },
	{ { "Android 4.4" }, "Android 4.4",
	    "Android 4.4 has TLS 1.2 but apps must turn it on themselves (it "
	    "is on by default from Android 5.0): update the app, or update "
	    "Android." },
	{ { "Java 6", "JDK 6" }, "Java 6",
	    "Public Java 6 releases have no TLS 1.2: move the program to Java "
	    "8 or later." },
	{ { "Java 7", "JDK 7" }, "Java 7",
	    "Java 7 has TLS 1.2 but does not offer it by default: move the "
	    "program to Java 8 or later, or start it with "
	    "-Dhttps.protocols=TLSv1.2 (for HttpsURLConnection)." },
	{ { "Java", "(JSSE)" }, "Java 8 and later",
	    "Java 8 and later speak TLS 1.2 by default: update Java and check "
	    "that the program does not narrow its protocols "
	    "(https.protocols, jdk.tls.client.protocols)." },

	/* Browsers with their own TLS stack, before the systems they run
	 * on ("Chrome 49 on Windows XP SP3" is not Schannel). */
	{ { "Firefox", "Thunderbird", "Tor Browser", "(NSS)" },
	    "Firefox and other NSS clients",
	    "Update Firefox, Thunderbird or Tor Browser: releases since "
	    "Firefox 27 speak TLS 1.2 by default." },
	{ { "Chrome", "Chromium", "Opera" }, "Chrome and Opera",
	    "Update the browser: every current Chrome and Opera release "
	    "speaks TLS 1.2." },
	{ { "Android" }, "Android 5.0 and later",
	    "Android 5.0 and later speak TLS 1.2 by default: update the app, "
	    "which may narrow its own versions, or Android." },

	/* Schannel, by Windows release: what it can do differs. */
	{ { "Windows XP", "Windows Server 2003" }, "Windows XP (Schannel)",
	    "Schannel on Windows XP has no TLS 1.2 and no update adds it: "
	    "upgrade Windows or replace the device." },
	{ { "Windows Vista/7" }, "Windows Vista or 7 (Schannel)",
	    "On Windows 7, " WIN7 "; Schannel on Windows Vista has no "
	    "TLS 1.2: upgrade Windows or replace the device." },
	{ { "Windows Vista" }, "Windows Vista (Schannel)",
	    "Schannel on Windows Vista has no TLS 1.2: upgrade Windows or "
	    "replace the device." },
	{ { "Windows 7", "Windows Server 2008 R2" }, "Windows 7 (Schannel)",
	    "Windows 7 has TLS 1.2 but leaves it off for most programs: "
	    WIN7 "; or upgrade Windows." },
	{ { "Windows Phone 8.0" }, "Windows Phone 8.0",
	    "Windows Phone 8.0 cannot turn TLS 1.2 on: update the phone to "
	    "Windows Phone 8.1 or replace it." },
	{ { "(Schannel)", "Internet Explorer", "Edge " },
	    "Windows 8 and later (Schannel)",
	    "Schannel here has TLS 1.2: turn it on where it is off (Internet "
	    "Options, group policy or the Schannel registry settings), use "
	    "Internet Explorer 11 or Edge, and have .NET programs target .NET "
	    "Framework 4.6 or later or set SchUseStrongCrypto." },

	{ { "Secure Transport", "Safari", "iOS", "OS X", "macOS", "Apple" },
	    "Apple (Secure Transport)",
	    "Update macOS or iOS, whose Secure Transport gives Safari and "
	    "other apps their TLS versions (OS X 10.9 and iOS 5 and later "
	    "speak TLS 1.2), or replace a device that no longer gets "
	    "updates." },
	{ { "OpenSSL 0.9", "OpenSSL 1.0.0" }, "OpenSSL before 1.0.1",
	    "OpenSSL before 1.0.1 has no TLS 1.2: rebuild or update the "
	    "program on OpenSSL 1.0.1 or later, at best a release still "
	    "supported." },
	{ { "OpenSSL", "LibreSSL", "BoringSSL", "GnuTLS", "crypto/tls",
	    "wolfSSL" }, "Other TLS libraries",
	    "The library speaks TLS 1.2: update the program and check that "
	    "its settings do not cap it at an older version." },

	/* Last: no pattern, any guess. */
	{ { NULL }, "Other and unknown clients",
	    "Find the client by its address and user agent, then upgrade its "
	    "operating system or its TLS library." }
};

/* Whether the n bytes at s hold the string pat. */
static int
contains(const char *s, size_t n, const char *pat)
{
	size_t m = strlen(pat), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(s + i, pat, m) == 0)
			return 1;
	return 0;
}

static int
matches(const struct tf_advice *a, const char *guess, size_t len)
{
	size_t k;

	if (a->pattern[0] == NULL)
		return 1;
	if (guess == NULL)
		return 0;
	for (k = 0; k < TF_ADVICE_PATTERNS && a->pattern[k] != NULL; k++)
		if (contains(guess, len, a->pattern[k]))
			return 1;
	return 0;
}

const struct tf_advice *
tf_advice_find(const char *guess, size_t len)
{
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(table) - 1; i++)
		if (matches(&table[i], guess, len))
			return &table[i];
	return &table[TF_ARRAY_SIZE(table) - 1];
}

/* Most records first, then table order, so the output is stable. */
static int
family_cmp(const void *a, const void *b)
{
	const struct tf_advice_family *x = a, *y = b;

	if (x->records != y->records)
		return x->records > y->records ? -1 : 1;
	return (x->advice > y->advice) - (x->advice < y->advice);
}

struct tf_advice_family *
tf_advice_families(const struct tf_cset *by_guess, size_t *n)
{
	struct tf_advice_family *f = tf_xcalloc(TF_ARRAY_SIZE(table),
	    sizeof(*f));
	struct tf_cset_entry **v = tf_cset_sorted(by_guess,
	    tf_cset_order_count);
	struct tf_advice_family *g;
	size_t i, k = 0;

	for (i = 0; i < by_guess->n; i++) {
		g = &f[tf_advice_find(tf_cset_str(v[i]), v[i]->len) - table];
		if (g->guesses == NULL)
			g->guesses = tf_xcalloc(by_guess->n,
			    sizeof(*g->guesses));
		g->guesses[g->nguesses++] = v[i];
		g->records += v[i]->count;
	}
	free(v);
	/* Keep the families with records, at the front. */
	for (i = 0; i < TF_ARRAY_SIZE(table); i++) {
		if (f[i].nguesses == 0)
			continue;
		f[i].advice = &table[i];
		f[k++] = f[i];
	}
	qsort(f, k, sizeof(*f), family_cmp);
	*n = k;
	return f;
}

void
tf_advice_families_free(struct tf_advice_family *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i].guesses);
	free(f);
}
