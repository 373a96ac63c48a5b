#!/bin/sh
# tests/fuzz/build.sh OUTDIR: builds the libFuzzer drivers (hello,
# proxyproto, http1, config_parse, report, pump) into OUTDIR, with clang and
# -fsanitize=fuzzer,address,undefined, from the proxy/ sources (libtf.a is
# built without instrumentation, so it is not used).
#
# Paths come from the configured top-level Makefile when there is one (so
# --with-boringssl=PREFIX and --with-llhttp-src carry over), else from
# Debian's packages. Each can be overridden from the environment:
#   CC (clang)  TF_BUILDDIR (the tree with autoconf.h; default the source
#   tree)  BORINGSSL_CPPFLAGS  BORINGSSL_LDFLAGS  LLHTTP_CPPFLAGS
#   LLHTTP_SRCDIR  FUZZ_CFLAGS (default -g -O1)  FUZZ_SANITIZE
#   (default fuzzer,address,undefined)
set -eu

usage() {
	echo "usage: $0 OUTDIR" >&2
	exit 2
}
[ $# -eq 1 ] || usage

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
BUILDDIR=${TF_BUILDDIR:-$SRCDIR}

# mkvar NAME: NAME's value in the configured Makefile, or nothing.
mkvar() {
	[ -f "$BUILDDIR/Makefile" ] || return 0
	sed -n "s/^$1 = //p" "$BUILDDIR/Makefile" | head -n 1
}

CC=${CC:-clang}
BORINGSSL_CPPFLAGS=${BORINGSSL_CPPFLAGS:-$(mkvar BORINGSSL_CPPFLAGS)}
BORINGSSL_CPPFLAGS=${BORINGSSL_CPPFLAGS:--I/usr/include/android}
BORINGSSL_LDFLAGS=${BORINGSSL_LDFLAGS:-$(mkvar BORINGSSL_LDFLAGS)}
BORINGSSL_LDFLAGS=${BORINGSSL_LDFLAGS:--L/usr/lib/x86_64-linux-gnu/android -Wl,-rpath,/usr/lib/x86_64-linux-gnu/android}
LLHTTP_CPPFLAGS=${LLHTTP_CPPFLAGS:-$(mkvar LLHTTP_CPPFLAGS)}
LLHTTP_CPPFLAGS=${LLHTTP_CPPFLAGS:--I/usr/share/include/llhttp}
LLHTTP_SRCDIR=${LLHTTP_SRCDIR:-$(mkvar LLHTTP_SRCDIR)}
LLHTTP_SRCDIR=${LLHTTP_SRCDIR:-/usr/share/llhttp}
LIBUV_CFLAGS=${LIBUV_CFLAGS:-$(mkvar LIBUV_CFLAGS)}
LIBUV_LIBS=${LIBUV_LIBS:-$(mkvar LIBUV_LIBS)}
LIBUV_LIBS=${LIBUV_LIBS:--luv -lpthread -ldl -lrt}
FUZZ_CFLAGS=${FUZZ_CFLAGS:--g -O1}
FUZZ_SANITIZE=${FUZZ_SANITIZE:-fuzzer,address,undefined}

if [ ! -f "$BUILDDIR/autoconf.h" ]; then
	echo "$0: no autoconf.h in $BUILDDIR: run ./configure first" \
	    "(or set TF_BUILDDIR)" >&2
	exit 1
fi

# UBSan findings abort, so that the fuzzer stops on them as on a crash.
SAN="-fsanitize=$FUZZ_SANITIZE -fno-sanitize-recover=all"
CPPFLAGS="-I$BUILDDIR -I$SRCDIR/proxy $BORINGSSL_CPPFLAGS $LIBUV_CFLAGS $LLHTTP_CPPFLAGS"
WARN="-Wall -Wextra -Wno-unused-parameter"
P=$SRCDIR/proxy
F=$SRCDIR/tests/fuzz
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# cc_obj SRC OBJ [FLAGS...]: compiles one file with the sanitizers.
cc_obj() {
	_src=$1
	_obj=$2
	shift 2
	# shellcheck disable=SC2086 # the flag variables are word lists
	$CC $FUZZ_CFLAGS $SAN "$@" -c "$_src" -o "$_obj"
}

# link NAME OBJ...: links one driver.
link() {
	_name=$1
	shift
	# shellcheck disable=SC2086
	$CC $FUZZ_CFLAGS $SAN "$@" $BORINGSSL_LDFLAGS -lcrypto \
	    -o "$OUT/fuzz-$_name"
	echo "built $OUT/fuzz-$_name"
}

# llhttp in strict mode, as Makefile.am builds it (its warnings are not ours).
for f in api http llhttp; do
	# shellcheck disable=SC2086
	cc_obj "$LLHTTP_SRCDIR/$f.c" "$TMP/llhttp_$f.o" -w \
	    -DLLHTTP_STRICT_MODE -I"$LLHTTP_SRCDIR" $LLHTTP_CPPFLAGS
done
# Every module but main.c: the pump driver runs the connection core.
for f in acceptor addr admin buf common config config_parse conn exchange \
    fingerprints fingerprints_data hello http1 json leg log mcache metrics \
    pool proxyproto record runtime shard sockets tickets tls upstream \
    worker; do
	# shellcheck disable=SC2086
	cc_obj "$P/$f.c" "$TMP/$f.o" $WARN $CPPFLAGS
done
for f in hello proxyproto http1 config_parse pump; do
	# shellcheck disable=SC2086
	cc_obj "$F/$f.c" "$TMP/fuzz_$f.o" $WARN $CPPFLAGS \
	    -DTF_FUZZ_SRCDIR="\"$SRCDIR\""
done
# report/ (tlsfloor-report), with jansson.
R=$SRCDIR/report
for f in advice cset html jsonout report rfc3339 text; do
	# shellcheck disable=SC2086
	cc_obj "$R/$f.c" "$TMP/report_$f.o" $WARN $CPPFLAGS -I"$R"
done
# shellcheck disable=SC2086
cc_obj "$F/report.c" "$TMP/fuzz_report.o" $WARN $CPPFLAGS -I"$R"

link hello "$TMP/fuzz_hello.o" "$TMP/hello.o" "$TMP/json.o"
link proxyproto "$TMP/fuzz_proxyproto.o" "$TMP/proxyproto.o" "$TMP/addr.o" \
    "$TMP/common.o"
link http1 "$TMP/fuzz_http1.o" "$TMP/http1.o" "$TMP/buf.o" \
    "$TMP/llhttp_api.o" "$TMP/llhttp_http.o" "$TMP/llhttp_llhttp.o"
link config_parse "$TMP/fuzz_config_parse.o" "$TMP/config.o" \
    "$TMP/config_parse.o" "$TMP/addr.o" "$TMP/common.o"
# pump: the whole core with TLS and libuv (tests/unit/memworld.h).
PROXY_OBJS=
for f in "$TMP"/*.o; do
	case $(basename "$f") in
	fuzz_* | report_*) ;;
	*) PROXY_OBJS="$PROXY_OBJS $f" ;;
	esac
done
# shellcheck disable=SC2086
link pump "$TMP/fuzz_pump.o" $PROXY_OBJS -lssl $LIBUV_LIBS
link report "$TMP/fuzz_report.o" "$TMP"/report_*.o "$TMP/json.o" \
    "$TMP/common.o" -ljansson
