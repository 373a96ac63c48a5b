#!/usr/bin/python3
"""Writes conf/fingerprints.tsv, the client_guess catalogue tlsfloor ships.

Usage:
  mk-fingerprints.py [--vectors FILE] [--out FILE | --check FILE]
                     [--no-derived]

Reads the ClientHello captures of tests/unit/vectors/clienthellos.tsv (162
SSL Labs / testssl.sh captures and two local ones, with their JA3 and JA4),
adds the LOCAL captures below, names every capture through NAMES and
FAMILIES, and prints the catalogue (to --out, or to stdout). --check FILE
compares instead and exits 1 when FILE is not what this script would write.
The output depends only on the inputs: regenerate after editing them, and
commit the result.

Catalogue lines are "JA4<TAB>JA3_MD5<TAB>CLIENT" ('-' for a key the line
does not give); tlsfloor looks a hello up by JA4 first, then by JA3_MD5, so
every key appears on one line only:
- one line per distinct JA4, named after the client, or after the family
  when several captures share that JA4 (a fingerprint cannot tell them
  apart);
- every distinct JA3_MD5 once, on its JA4's line when the names agree, else
  on a line of its own ("-" as the JA4);
- unless --no-derived: for every JA4 of a hello that sends server_name, the
  JA4 the same hello has without it (a client connecting to an IP address
  leaves SNI out, RFC 6066 section 3). JA4 counts extensions including SNI
  and hashes them without it, so that JA4 is the original with 'd' turned
  into 'i' and the extension count lowered by one. A derived JA4 that equals
  a captured one is left out.

Python 3 standard library only.
"""

import argparse
import collections
import hashlib
import os
import re
import sys
import textwrap

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", ".."))
VECTORS = os.path.join(TOP, "tests", "unit", "vectors", "clienthellos.tsv")

JA4_RE = re.compile(r"^[tqd][0-9a-z]{2}[di][0-9]{2}[0-9]{2}[0-9A-Za-z]{2}"
                    r"_[0-9a-f]{12}_[0-9a-f]{12}$")
MD5_RE = re.compile(r"^[0-9a-f]{32}$")

# Captures made on the Debian machine the project is developed on (OpenSSL
# 3.0.19, GnuTLS 3.7.9) with the exact commands tests/t03-legacy-refused.sh
# runs, against `clienthello.py capture`; JA3 and JA4 computed from the hex
# with clienthello.py fp (salesforce/ja3 and FoxIO JA4.md definitions).
# Kept here, not in the vectors file, because only the catalogue needs them.
# (name, ja3, ja4, hello_hex)
LOCAL = [
    ("openssl s_client -tls1 -cipher DEFAULT@SECLEVEL=0",
     "769,49162-49172-57-49161-49171-51-53-47-255,0-11-10-35-22-23,"
     "29-23-30-25-24,0-1-2",
     "t10d090600_c491f621fb4c_195413a0cc0f",
     "160301007d010000790301f6b7e0629e9a910b7d7f91afe7e0ff0151007d6928cced"
     "aadad6ddfedf5754f5000012c00ac0140039c009c01300330035002f00ff0100003e"
     "0000001600140000116d61696c2e636f6e746f736f2e74657374000b000403000102"
     "000a000c000a001d0017001e00190018002300000016000000170000"),
    ("openssl s_client -tls1_1 -cipher DEFAULT@SECLEVEL=0",
     "770,49162-49172-57-49161-49171-51-53-47-255,0-11-10-35-22-23,"
     "29-23-30-25-24,0-1-2",
     "t11d090600_c491f621fb4c_195413a0cc0f",
     "160301007d010000790302abfa550ec393b21b5d07f275354519f4a317c7f3c17ef3"
     "2f8703411dfa43d622000012c00ac0140039c009c01300330035002f00ff0100003e"
     "0000001600140000116d61696c2e636f6e746f736f2e74657374000b000403000102"
     "000a000c000a001d0017001e00190018002300000016000000170000"),
    ("gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.0",
     "769,49162-49161-49172-49171-53-47-57-51,5-10-11-22-23-35-65281-0-28,"
     "23-24-25-29-30-256-257-258-259-260,0",
     "t10d080900_051fb07a0855_f8a36b20a605",
     "16030100970100009303016e999ddbb5cc892996931fbb54bb798ec4ff99c7fe4794"
     "fe72fdb4de90441f03000010c00ac009c014c0130035002f003900330100005a0005"
     "00050100000000000a00160014001700180019001d001e0100010101020103010400"
     "0b00020100001600000017000000230000ff0100010000000016001400001"
     "16d61696c2e636f6e746f736f2e74657374001c00024000"),
    ("gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.1",
     "770,49162-49161-49172-49171-53-47-57-51,5-10-11-22-23-35-65281-0-28,"
     "23-24-25-29-30-256-257-258-259-260,0",
     "t11d080900_051fb07a0855_f8a36b20a605",
     "1603020097010000930302952cb0e14bdc661d289e7b08ae2efa9e6fec3832d5d023"
     "2641246f246303fddb000010c00ac009c014c0130035002f003900330100005a0005"
     "00050100000000000a00160014001700180019001d001e0100010101020103010400"
     "0b00020100001600000017000000230000ff0100010000000016001400001"
     "16d61696c2e636f6e746f736f2e74657374001c00024000"),
]

# Capture name (names[] of client-simulation.txt, or a LOCAL name) -> what
# an administrator reads in client_guess: product, version, platform and,
# where it is certain, the TLS stack in parentheses.
NAMES = {
    "Android 2.3.7": "Android 2.3.7 (OpenSSL)",
    "Android 4.0.4": "Android 4.0.4 (OpenSSL)",
    "Android 4.1.1": "Android 4.1.1 (OpenSSL)",
    "Android 4.2.2": "Android 4.2.2 (OpenSSL)",
    "Android 4.3": "Android 4.3 (OpenSSL)",
    "Android 4.4.2": "Android 4.4.2 (OpenSSL)",
    "Android 5.0.0": "Android 5.0 (OpenSSL)",
    "Android 6.0": "Android 6.0 (BoringSSL)",
    "Android 7.0 (native)": "Android 7.0 (BoringSSL)",
    "Android 8.1 (native)": "Android 8.1 (BoringSSL)",
    "Android 9.0 (native)": "Android 9 (BoringSSL)",
    "Android 10.0 (native)": "Android 10 (BoringSSL)",
    "Android 11 (native)": "Android 11 (BoringSSL)",
    "Android 12 (native)": "Android 12 (BoringSSL)",
    "Chrome 27 Win 7": "Chrome 27 on Windows 7",
    "Chrome 28 Win 7": "Chrome 28 on Windows 7",
    "Chrome 29 Win 7": "Chrome 29 on Windows 7",
    "Chrome 30 Win 7": "Chrome 30 on Windows 7",
    "Chrome 31 Win 7": "Chrome 31 on Windows 7",
    "Chrome 32 Win 7": "Chrome 32 on Windows 7",
    "Chrome 33 Win 7": "Chrome 33 on Windows 7",
    "Chrome 34 OS X": "Chrome 34 on OS X",
    "Chrome 35 Win 7": "Chrome 35 on Windows 7",
    "Chrome 36 Win 7": "Chrome 36 on Windows 7",
    "Chrome 37 OS X": "Chrome 37 on OS X",
    "Chrome 39 OS X": "Chrome 39 on OS X",
    "Chrome 40 OS X": "Chrome 40 on OS X",
    "Chrome 42 OS X": "Chrome 42 on OS X",
    "Chrome 43 OS X": "Chrome 43 on OS X",
    "Chrome 45 OS X": "Chrome 45 on OS X",
    "Chrome 47 OS X": "Chrome 47 on OS X",
    "Chrome 48 OS X": "Chrome 48 on OS X",
    "Chrome 49 Win 7": "Chrome 49 on Windows 7",
    "Chrome 49 XP SP3": "Chrome 49 on Windows XP SP3",
    "Chrome 50 Win 7": "Chrome 50 on Windows 7",
    "Chrome 51 Win 7": "Chrome 51 on Windows 7",
    "Chrome 57 Win 7": "Chrome 57 on Windows 7",
    "Chrome 65 Win 7": "Chrome 65 on Windows 7",
    "Chrome 70 Win 10": "Chrome 70 on Windows 10",
    "Chrome 73 (Win 10)": "Chrome 73 on Windows 10",
    "Chrome 74 (Win 10)": "Chrome 74 on Windows 10",
    "Chrome 78 (Win 10)": "Chrome 78 on Windows 10",
    "Chrome 79 (Win 10)": "Chrome 79 on Windows 10",
    "Chrome 101 (Win 10)": "Chrome 101 on Windows 10",
    "Firefox 10.0.12 ESR Win 7": "Firefox 10.0.12 ESR on Windows 7 (NSS)",
    "Firefox 17.0.7 ESR Win 7": "Firefox 17.0.7 ESR on Windows 7 (NSS)",
    "Firefox 21 Fedora 19": "Firefox 21 on Fedora 19 (NSS)",
    "Firefox 21 Win 7": "Firefox 21 on Windows 7 (NSS)",
    "Firefox 22 Win 7": "Firefox 22 on Windows 7 (NSS)",
    "Firefox 24.2.0 ESR Win 7": "Firefox 24.2.0 ESR on Windows 7 (NSS)",
    "Firefox 24 Win 7": "Firefox 24 on Windows 7 (NSS)",
    "Firefox 26 Win 8": "Firefox 26 on Windows 8 (NSS)",
    "Firefox 27 Win 8": "Firefox 27 on Windows 8 (NSS)",
    "Firefox 29 OS X": "Firefox 29 on OS X (NSS)",
    "Firefox 30 OS X": "Firefox 30 on OS X (NSS)",
    "Firefox 31.3.0 ESR Win 7": "Firefox 31.3.0 ESR on Windows 7 (NSS)",
    "Firefox 31 OS X": "Firefox 31 on OS X (NSS)",
    "Firefox 32 OS X": "Firefox 32 on OS X (NSS)",
    "Firefox 34 OS X": "Firefox 34 on OS X (NSS)",
    "Firefox 35 OS X": "Firefox 35 on OS X (NSS)",
    "Firefox 37 OS X": "Firefox 37 on OS X (NSS)",
    "Firefox 39 OS X": "Firefox 39 on OS X (NSS)",
    "Firefox 41 OS X": "Firefox 41 on OS X (NSS)",
    "Firefox 42 OS X": "Firefox 42 on OS X (NSS)",
    "Firefox 44 OS X": "Firefox 44 on OS X (NSS)",
    "Firefox 45 Win 7": "Firefox 45 on Windows 7 (NSS)",
    "Firefox 46 Win 7": "Firefox 46 on Windows 7 (NSS)",
    "Firefox 47 Win 7": "Firefox 47 on Windows 7 (NSS)",
    "Firefox 49 Win 7": "Firefox 49 on Windows 7 (NSS)",
    "Firefox 49 XP SP3": "Firefox 49 on Windows XP SP3 (NSS)",
    "Firefox 53 Win 7": "Firefox 53 on Windows 7 (NSS)",
    "Firefox 59 Win 7": "Firefox 59 on Windows 7 (NSS)",
    "Firefox 62 Win 7": "Firefox 62 on Windows 7 (NSS)",
    "Firefox 66 (Win 8.1/10)": "Firefox 66 on Windows 8.1/10 (NSS)",
    "Firefox 71 (Win 10)": "Firefox 71 on Windows 10 (NSS)",
    "Firefox 100 (Win 10)": "Firefox 100 on Windows 10 (NSS)",
    "IE 6 XP": "Internet Explorer 6 on Windows XP (Schannel)",
    "IE 7 Vista": "Internet Explorer 7 on Windows Vista (Schannel)",
    "IE 8-10 Win 7": "Internet Explorer 8-10 on Windows 7 (Schannel)",
    "IE 8 Win 7": "Internet Explorer 8 on Windows 7 (Schannel)",
    "IE 8 XP": "Internet Explorer 8 on Windows XP (Schannel)",
    "IE 9 Win 7": "Internet Explorer 9 on Windows 7 (Schannel)",
    "IE 10 Win Phone 8.0":
        "Internet Explorer 10 on Windows Phone 8.0 (Schannel)",
    "IE 11 Win 7": "Internet Explorer 11 on Windows 7 (Schannel)",
    "IE 11 Win 8.1": "Internet Explorer 11 on Windows 8.1 (Schannel)",
    "IE 11 Win Phone 8.1":
        "Internet Explorer 11 on Windows Phone 8.1 (Schannel)",
    "IE 11 Win Phone 8.1 Update":
        "Internet Explorer 11 on Windows Phone 8.1 Update (Schannel)",
    "IE 11 Win 10": "Internet Explorer 11 on Windows 10 (Schannel)",
    "IE 11 Win 10 Preview":
        "Internet Explorer 11 on Windows 10 Preview (Schannel)",
    "Edge 12 Win 10": "Edge 12 on Windows 10 (Schannel)",
    "Edge 13 Win 10": "Edge 13 on Windows 10 (Schannel)",
    "Edge 13 Win Phone 10": "Edge 13 on Windows 10 Mobile (Schannel)",
    "Edge 15 Win 10": "Edge 15 on Windows 10 (Schannel)",
    "Edge 17 (Win 10)": "Edge 17 on Windows 10 (Schannel)",
    "Edge 101 Win 10 21H2": "Edge 101 on Windows 10",
    "Opera 12.15 Win 7": "Opera 12.15 on Windows 7",
    "Opera 15 Win 7": "Opera 15 on Windows 7",
    "Opera 16 Win 7": "Opera 16 on Windows 7",
    "Opera 17 Win 7": "Opera 17 on Windows 7",
    "Opera 60 (Win 10)": "Opera 60 on Windows 10",
    "Opera 65 (Win 10)": "Opera 65 on Windows 10",
    "Opera 66 (Win 10)": "Opera 66 on Windows 10",
    "Safari 5.1.9 OS X 10.6.8":
        "Safari 5.1.9 on OS X 10.6.8 (Secure Transport)",
    "Safari 5 iOS 5.1.1": "Safari 5 on iOS 5.1.1 (Secure Transport)",
    "Safari 6.0.4 OS X 10.8.4":
        "Safari 6.0.4 on OS X 10.8.4 (Secure Transport)",
    "Safari 6 iOS 6.0.1": "Safari 6 on iOS 6.0.1 (Secure Transport)",
    "Safari 7 iOS 7.1": "Safari 7 on iOS 7.1 (Secure Transport)",
    "Safari 7 OS X 10.9": "Safari 7 on OS X 10.9 (Secure Transport)",
    "Safari 8 iOS 8.0 Beta": "Safari 8 on iOS 8.0 Beta (Secure Transport)",
    "Safari 8 iOS 8.4": "Safari 8 on iOS 8.4 (Secure Transport)",
    "Safari 8 OS X 10.10": "Safari 8 on OS X 10.10 (Secure Transport)",
    "Safari 9 iOS 9": "Safari 9 on iOS 9 (Secure Transport)",
    "Safari 9 OS X 10.11": "Safari 9 on OS X 10.11 (Secure Transport)",
    "Safari 10 iOS 10": "Safari 10 on iOS 10 (Secure Transport)",
    "Safari 10 OS X 10.12": "Safari 10 on macOS 10.12 (Secure Transport)",
    "Safari 12.1 (iOS 12.2)": "Safari 12.1 on iOS 12.2",
    "Safari 12.1 (macOS 10.13.6)": "Safari 12.1 on macOS 10.13.6",
    "Safari 13.0 (macOS 10.14.6)": "Safari 13.0 on macOS 10.14.6",
    "Safari 15.4 (macOS 12.3.1)": "Safari 15.4 on macOS 12.3.1",
    "Apple ATS 9 iOS 9":
        "iOS 9 app with App Transport Security (Secure Transport)",
    "Tor 17.0.9 Win 7":
        "Tor Browser (Firefox 17.0.9 ESR) on Windows 7 (NSS)",
    "Java 6u45": "Java 6u45 (JSSE)",
    "Java 7u25": "Java 7u25 (JSSE)",
    "Java 8b132": "Java 8 (JSSE)",
    "Java 8u111": "Java 8u111 (JSSE)",
    "Java 8u161": "Java 8u161 (JSSE)",
    "Java 8u31": "Java 8u31 (JSSE)",
    "Java 9.0.4": "Java 9.0.4 (JSSE)",
    "Java 11.0.2 (OpenJDK)": "Java 11.0.2 (JSSE)",
    "Java 12.0.1 (OpenJDK)": "Java 12.0.1 (JSSE)",
    "Java 17.0.3 (OpenJDK)": "Java 17.0.3 (JSSE)",
    "go 1.17.8": "Go 1.17.8 (crypto/tls)",
    "LibreSSL 2.8.3 (Apple)": "LibreSSL 2.8.3 on macOS",
    "OpenSSL 0.9.8y": "OpenSSL 0.9.8y",
    "OpenSSL 1.0.1h": "OpenSSL 1.0.1h",
    "OpenSSL 1.0.1l": "OpenSSL 1.0.1l",
    "OpenSSL 1.0.2e": "OpenSSL 1.0.2e",
    "OpenSSL 1.1.0j (Debian)": "OpenSSL 1.1.0j (Debian)",
    "OpenSSL 1.1.0l (Debian)": "OpenSSL 1.1.0l (Debian)",
    "OpenSSL 1.1.1b (Debian)": "OpenSSL 1.1.1b (Debian)",
    "OpenSSL 1.1.1d (Debian)": "OpenSSL 1.1.1d (Debian)",
    "OpenSSL 3.0.3 (git)": "OpenSSL 3.0.3",
    "Apple Mail (16.0)": "Apple Mail 16.0 on macOS",
    "Thunderbird (60.6)": "Thunderbird 60.6 (NSS)",
    "Thunderbird (68.3)": "Thunderbird 68.3 (NSS)",
    "Thunderbird (91.9)": "Thunderbird 91.9 (NSS)",
    "Baidu Jan 2015": "Baidu crawler (Jan 2015)",
    "BingBot Dec 2013": "BingBot crawler (Dec 2013)",
    "BingPreview Dec 2013": "BingPreview crawler (Dec 2013)",
    "BingPreview Jan 2015": "BingPreview crawler (Jan 2015)",
    "BingPreview Jun 2014": "BingPreview crawler (Jun 2014)",
    "Yahoo Slurp Jan 2015": "Yahoo Slurp crawler (Jan 2015)",
    "Googlebot Feb 2015": "Googlebot crawler (Feb 2015)",
    "Googlebot Feb 2018": "Googlebot crawler (Feb 2018)",
    "Googlebot Jun 2014": "Googlebot crawler (Jun 2014)",
    "Googlebot Oct 2013": "Googlebot crawler (Oct 2013)",
    "Yahoo Slurp Jun 2014": "Yahoo Slurp crawler (Jun 2014)",
    "Yahoo Slurp Oct 2013": "Yahoo Slurp crawler (Oct 2013)",
    "YandexBot 3.0": "YandexBot 3.0 crawler",
    "YandexBot Jan 2015": "YandexBot crawler (Jan 2015)",
    "YandexBot May 2014": "YandexBot crawler (May 2014)",
    "YandexBot Sep 2014": "YandexBot crawler (Sep 2014)",
    "gnutls-cli 3.7.9 forced to TLS 1.0": "GnuTLS 3.7 gnutls-cli",
    "openssl s_client forced to TLS 1.0": "OpenSSL 3 s_client",
    "openssl s_client -tls1 -cipher DEFAULT@SECLEVEL=0": "OpenSSL 3 s_client",
    "openssl s_client -tls1_1 -cipher DEFAULT@SECLEVEL=0":
        "OpenSSL 3 s_client",
    "gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.0":
        "GnuTLS 3.7 gnutls-cli",
    "gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.1":
        "GnuTLS 3.7 gnutls-cli",
}

# Captures that share a fingerprint, by the set of their names -> the
# family the catalogue names. Required for every JA4 shared by captures of
# different NAMES, and for every JA3 shared across different JA4s; for a
# JA3 shared inside one JA4 it is optional (default: that JA4's name).
FAMILIES = {
    # JA4
    ("Android 2.3.7", "Java 6u45"):
        "Android 2.3.7 (OpenSSL) or Java 6u45 (JSSE)",
    ("Android 4.2.2", "Android 4.3"): "Android 4.2.2-4.3 (OpenSSL)",
    ("Android 10.0 (native)", "Chrome 73 (Win 10)", "Chrome 74 (Win 10)",
     "Chrome 78 (Win 10)", "Chrome 79 (Win 10)", "Opera 60 (Win 10)",
     "Opera 65 (Win 10)", "Opera 66 (Win 10)"):
        "Chrome 73-79 or Opera 60-66 on Windows 10, or Android 10",
    ("Android 11 (native)", "Android 12 (native)"):
        "Android 11-12 (BoringSSL)",
    ("Chrome 27 Win 7", "Chrome 28 Win 7", "Opera 15 Win 7"):
        "Chrome 27-28 or Opera 15 on Windows 7",
    ("Chrome 30 Win 7", "Opera 17 Win 7"):
        "Chrome 30 or Opera 17 on Windows 7",
    ("Chrome 31 Win 7", "Chrome 32 Win 7"): "Chrome 31-32 on Windows 7",
    ("Chrome 33 Win 7", "Chrome 34 OS X", "Chrome 35 Win 7",
     "Chrome 36 Win 7", "Chrome 37 OS X"):
        "Chrome 33-37 on Windows 7 or OS X",
    ("Chrome 40 OS X", "Chrome 42 OS X"): "Chrome 40-42 on OS X",
    ("Chrome 43 OS X", "Chrome 45 OS X"): "Chrome 43-45 on OS X",
    ("Chrome 101 (Win 10)", "Edge 101 Win 10 21H2"):
        "Chrome 101 or Edge 101 on Windows 10",
    ("Baidu Jan 2015", "Firefox 10.0.12 ESR Win 7", "Yahoo Slurp Oct 2013"):
        "Firefox 10 ESR on Windows 7 (NSS), or a Baidu or Yahoo crawler",
    ("Firefox 17.0.7 ESR Win 7", "Firefox 21 Win 7",
     "Firefox 24.2.0 ESR Win 7", "Firefox 24 Win 7"):
        "Firefox 17-24 on Windows 7 (NSS)",
    ("Firefox 27 Win 8", "Firefox 29 OS X", "Firefox 30 OS X",
     "Firefox 31.3.0 ESR Win 7", "Firefox 31 OS X", "Firefox 32 OS X"):
        "Firefox 27-32 on Windows or OS X (NSS)",
    ("Firefox 41 OS X", "Firefox 42 OS X", "Firefox 44 OS X",
     "Firefox 45 Win 7"):
        "Firefox 41-45 on OS X or Windows 7 (NSS)",
    ("Firefox 49 Win 7", "Firefox 49 XP SP3"):
        "Firefox 49 on Windows 7 or XP (NSS)",
    ("Firefox 59 Win 7", "Firefox 62 Win 7"):
        "Firefox 59-62 on Windows 7 (NSS)",
    ("IE 7 Vista", "IE 8-10 Win 7", "IE 8 Win 7", "IE 9 Win 7"):
        "Internet Explorer 7-10 on Windows Vista/7 (Schannel)",
    ("IE 11 Win 10", "Edge 13 Win 10"):
        "Internet Explorer 11 or Edge 13 on Windows 10 (Schannel)",
    ("Edge 15 Win 10", "Edge 17 (Win 10)"):
        "Edge 15-17 on Windows 10 (Schannel)",
    ("Safari 5 iOS 5.1.1", "Safari 7 iOS 7.1", "Safari 7 OS X 10.9"):
        "Safari 5-7 on iOS 5.1-7.1 or OS X 10.9 (Secure Transport)",
    ("Safari 8 iOS 8.0 Beta", "Safari 8 iOS 8.4", "Safari 8 OS X 10.10"):
        "Safari 8 on iOS 8 or OS X 10.10 (Secure Transport)",
    ("Safari 9 iOS 9", "Safari 9 OS X 10.11"):
        "Safari 9 on iOS 9 or OS X 10.11 (Secure Transport)",
    ("Safari 10 iOS 10", "Safari 10 OS X 10.12"):
        "Safari 10 on iOS 10 or macOS 10.12 (Secure Transport)",
    ("Java 8b132", "Java 8u31"): "Java 8 to 8u31 (JSSE)",
    ("OpenSSL 0.9.8y", "YandexBot May 2014"):
        "OpenSSL 0.9.8y, or YandexBot crawler (May 2014)",
    ("OpenSSL 1.1.0j (Debian)", "OpenSSL 1.1.0l (Debian)"):
        "OpenSSL 1.1.0 (Debian)",
    ("OpenSSL 1.1.1b (Debian)", "OpenSSL 1.1.1d (Debian)",
     "OpenSSL 3.0.3 (git)"):
        "OpenSSL 1.1.1 or 3.0",
    ("BingPreview Dec 2013", "BingPreview Jun 2014"):
        "BingPreview crawler (Dec 2013-Jun 2014)",
    ("YandexBot Jan 2015", "YandexBot Sep 2014"):
        "YandexBot crawler (Sep 2014-Jan 2015)",
    # JA3 across JA4s (they differ in ALPN or signature algorithms)
    ("Chrome 47 OS X", "Chrome 48 OS X"): "Chrome 47-48 on OS X",
    ("Firefox 34 OS X", "Firefox 35 OS X"): "Firefox 34-35 on OS X (NSS)",
    ("Firefox 37 OS X", "Firefox 39 OS X", "Firefox 41 OS X",
     "Firefox 42 OS X", "Firefox 44 OS X", "Firefox 45 Win 7"):
        "Firefox 37-45 on OS X or Windows 7 (NSS)",
    # JA3 inside one JA4, more precise than the JA4's family
    ("IE 8 Win 7", "IE 9 Win 7"):
        "Internet Explorer 8-9 on Windows 7 (Schannel)",
    ("Baidu Jan 2015", "Yahoo Slurp Oct 2013"):
        "Baidu or Yahoo crawler (2013-2015)",
    ("Safari 7 iOS 7.1", "Safari 7 OS X 10.9"):
        "Safari 7 on iOS 7.1 or OS X 10.9 (Secure Transport)",
    ("OpenSSL 1.1.1b (Debian)", "OpenSSL 1.1.1d (Debian)"):
        "OpenSSL 1.1.1 (Debian)",
}

HEADER = """\
# tlsfloor client_guess catalogue: which client a ClientHello fingerprint
# belongs to. Used for "client_guess" in legacy_client and handshake_failed
# records; this file is compiled into tlsfloor, and the `fingerprints`
# directive points tlsfloor at another file in the same format instead.
#
# Format: one entry per line, three fields separated by one TAB each:
#   JA4<TAB>JA3_MD5<TAB>CLIENT
# JA4      the FoxIO JA4 (TLS client) fingerprint, 36 characters, e.g.
#          t13d1516h2_8daaf6152771_e5627efa2ab1, or '-'
# JA3_MD5  the MD5 of the salesforce JA3 string, 32 lower-case hex
#          digits, or '-'
# CLIENT   free text up to the end of the line (no TAB or control bytes)
# At least one of JA4 and JA3_MD5 is given. A hello is looked up by its
# JA4 first, then by its JA3_MD5; no key may appear on two lines. Lines
# starting with '#' (after optional blanks) and blank lines are ignored;
# lines are at most 1024 bytes.
#
# Several clients often send the same hello; a fingerprint cannot tell them
# apart, so such an entry names the family (e.g. IE 7 on Vista and IE 8-10
# on Windows 7 share one JA4). Other applications built on the same TLS
# stack (Schannel, Secure Transport, JSSE, NSS, OpenSSL) send the same
# hello as the client named, with their default settings.
#
# Generated by tests/tools/mk-fingerprints.py from the captures in
# tests/unit/vectors/clienthellos.tsv (the SSL Labs and testssl.sh client
# captures of testssl.sh's client-simulation.txt, and openssl s_client and
# gnutls-cli at TLS 1.0) and in the script itself (openssl s_client and
# gnutls-cli at TLS 1.0 and 1.1 as tests/t03-legacy-refused.sh runs them).
# Each group of entries is preceded by the names of its captures. Do not
# edit by hand: change the script's tables and run
#   python3 tests/tools/mk-fingerprints.py --out conf/fingerprints.tsv
"""

DERIVED_HEADER = """\

# The same hellos without server_name: what these clients send when they
# connect to an IP address (RFC 6066 section 3 forbids an address as SNI).
# Derived from the JA4s above ('d' becomes 'i', one extension fewer), not
# captured. A client that pads its hello (extension 21) to a fixed size may
# pad differently without SNI, and then sends another JA4 still.
"""


def fail(msg):
    sys.stderr.write("mk-fingerprints.py: %s\n" % msg)
    sys.exit(2)


def read_vectors(path):
    """Returns [(name, offered_max, ja3, ja3_md5, ja4, source)]."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            col = line.split("\t")
            if len(col) < 7:
                fail("%s:%d: expected at least 7 fields" % (path, lineno))
            rows.append((col[0], col[2], col[4], col[5], col[6], "vectors"))
    for name, ja3, ja4, _hex in LOCAL:
        offered = {"769": "TLS1.0", "770": "TLS1.1"}[ja3.split(",")[0]]
        rows.append((name, offered, ja3,
                     hashlib.md5(ja3.encode()).hexdigest(), ja4, "local"))
    seen = set()
    for name, _off, ja3, md5, ja4, _src in rows:
        if name in seen:
            fail("capture %r appears twice" % name)
        seen.add(name)
        if hashlib.md5(ja3.encode()).hexdigest() != md5:
            fail("%s: ja3_md5 is not the MD5 of its ja3" % name)
        if not JA4_RE.match(ja4) or not MD5_RE.match(md5):
            fail("%s: malformed ja4 or ja3_md5" % name)
    return rows


def family(names, used, required):
    """The name for captures `names` sharing a key, or None."""
    admin = sorted(set(NAMES[n] for n in names))
    if len(admin) == 1:
        return admin[0]
    key = tuple(sorted(names))
    for k in FAMILIES:
        if tuple(sorted(k)) == key:
            used.add(k)
            return FAMILIES[k]
    if required:
        fail("no FAMILIES entry for captures sharing a fingerprint: %s"
             % ", ".join(key))
    return None


def derive_no_sni(ja4):
    """The JA4 of the same hello without server_name, or None."""
    if ja4[3] != "d":
        return None
    ne = int(ja4[6:8])
    if ne == 0 or ne == 99:  # 99 is a cap: the real count is unknown
        return None
    return "%si%s%02d%s" % (ja4[:3], ja4[4:6], ne - 1, ja4[8:])


def build(rows, derived):
    for name, *_ in rows:
        if name not in NAMES:
            fail("capture %r has no NAMES entry" % name)
    unused = set(NAMES) - set(r[0] for r in rows)
    if unused:
        fail("NAMES entries for no capture: %s" % ", ".join(sorted(unused)))

    by_ja4 = collections.OrderedDict()
    by_md5 = collections.OrderedDict()
    for r in rows:
        by_ja4.setdefault(r[4], []).append(r)
        by_md5.setdefault(r[3], []).append(r)

    used = set()
    ja4_name = {}
    for ja4, rs in by_ja4.items():
        ja4_name[ja4] = family([r[0] for r in rs], used, True)
    md5_name = {}
    for md5, rs in by_md5.items():
        ja4s = set(r[4] for r in rs)
        name = family([r[0] for r in rs], used, len(ja4s) > 1)
        md5_name[md5] = name if name is not None else ja4_name[rs[0][4]]
    unused = set(FAMILIES) - used
    if unused:
        fail("FAMILIES entries for no shared fingerprint: %s"
             % "; ".join(", ".join(k) for k in sorted(unused)))

    out = [HEADER]
    done_md5 = set()
    for ja4, rs in by_ja4.items():
        out.append("\n")
        out.extend("%s\n" % l for l in textwrap.wrap(
            "; ".join(r[0] for r in rs), width=78, initial_indent="# ",
            subsequent_indent="# ", break_on_hyphens=False))
        md5s = []
        for r in rs:
            if r[3] not in done_md5 and r[3] not in md5s:
                md5s.append(r[3])
        pair = next((m for m in md5s if md5_name[m] == ja4_name[ja4]), "-")
        out.append("%s\t%s\t%s\n" % (ja4, pair, ja4_name[ja4]))
        for m in md5s:
            if m != pair:
                out.append("-\t%s\t%s\n" % (m, md5_name[m]))
        done_md5.update(md5s)

    if derived:
        out.append(DERIVED_HEADER)
        for ja4 in by_ja4:
            d = derive_no_sni(ja4)
            if d is None or d in by_ja4:
                continue
            out.append("%s\t-\t%s\n" % (d, ja4_name[ja4]))
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", default=VECTORS)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--out", help="write the catalogue here (default stdout)")
    g.add_argument("--check", help="exit 1 unless FILE is up to date")
    ap.add_argument("--no-derived", action="store_true",
                    help="leave out the JA4s derived for hellos without SNI")
    args = ap.parse_args()

    text = build(read_vectors(args.vectors), not args.no_derived)
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            if f.read() != text:
                sys.stderr.write("%s is out of date: run %s --out %s\n"
                                 % (args.check, sys.argv[0], args.check))
                sys.exit(1)
    elif args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
