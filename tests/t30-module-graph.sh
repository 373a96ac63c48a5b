#!/bin/sh
# The module graph of proxy/ goes one way: no header includes its way back
# to itself, and no module (a .c file with its header) uses one that uses
# it. Only tls.c, hello.c and ocsp.c (tls.c's alone) include BoringSSL's
# headers: everyone else sees struct tf_tls as an opaque type.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

P=$TF_SRCDIR/proxy
[ -d "$P" ] || error "no $P"

# includes FILE...: "A B" for every A that includes project header B.h.
includes() {
	for _f; do
		_m=$(basename "$_f")
		_m=${_m%.[ch]}
		sed -n 's/^#include "\([a-z_0-9]*\)\.h".*/\1/p' "$_f" |
		    grep -vx "autoconf\|$_m" | sed "s/^/$_m /"
	done
}

includes "$P"/*.h >"$WORK/headers"
if ! tsort "$WORK/headers" >/dev/null 2>"$WORK/tsort.err"; then
	cat "$WORK/tsort.err" >&2
	fail "proxy/ headers include each other in a circle"
fi
includes "$P"/*.c "$P"/*.h >"$WORK/modules"
if ! tsort "$WORK/modules" >/dev/null 2>"$WORK/tsort.err"; then
	cat "$WORK/tsort.err" >&2
	fail "proxy/ modules use each other in a circle"
fi
note "$(wc -l <"$WORK/modules" | tr -d ' ') module uses, no circle"

bad=$(grep -l '^#include <openssl/' "$P"/*.[ch] |
    sed 's|.*/||' | grep -vx 'tls.c\|hello.c\|ocsp.c\|ocsp.h' || true)
[ -z "$bad" ] || fail "BoringSSL headers outside tls.c, hello.c and ocsp: $bad"
# ocsp.h hands BoringSSL types around: tls.c alone may use it.
bad=$(grep -l '^#include "ocsp.h"' "$P"/*.[ch] |
    sed 's|.*/||' | grep -vx 'tls.c\|ocsp.c' || true)
[ -z "$bad" ] || fail "ocsp.h used outside tls.c: $bad"
