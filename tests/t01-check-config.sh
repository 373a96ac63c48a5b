#!/bin/sh
# tlsfloor -t: good files are accepted, bad files are refused with
# "tlsfloor: FILE:LINE: message" naming the right line; -V, -h, bad options;
# the shipped conf/tlsfloor.conf and conf/demo.conf pass -t with test paths.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

mk_pki
[ -x "$TF_BIN" ] || error "no daemon at $TF_BIN"

# The good configuration every bad case below is a variation of. Lines
# marked "# HERE" are where a case expects its error.
good_body() {
	cat <<EOF
# t01: a configuration that must pass -t
workers      1
error-log    stderr
legacy-log   $WORK/legacy.jsonl
access-log   $WORK/access.jsonl

listener edge {
    bind        127.0.0.1:0
    bind        127.0.0.1:0
    cert        $PKI/gateway-ecdsa.pem  $PKI/gateway-ecdsa.key
    cert        $PKI/gateway-rsa.pem    $PKI/gateway-rsa.key
    cert        "$PKI/other-rsa.pem"    "$PKI/other-rsa.key"  # quoted
    min-tls     1.2
    ciphers     DEFAULT
    upstream    localhost:9443
    upstream-ca $PKI/ca.pem
    upstream-sni outlook.office365.test
    upstream-verify on
    preserve-host off
    handshake-timeout 10s
    header-timeout    30
    idle-timeout      5m
    upstream-connect-timeout 1500ms
    upstream-timeout  1h
    max-header-size   64k
}
EOF
}

# check_valid FILE: -t accepts FILE with exactly the promised line.
check_valid() {
	run_cmd -s 0 "$TF_BIN" -t -c "$1"
	assert_eq "$(cat "$CMD_OUT")" "tlsfloor: configuration $1 is valid" \
	    "stdout of -t on $(basename "$1")"
}

# check_bad NAME [ALTLINE...]: -t refuses $WORK/NAME.conf, and the first
# line of stderr is "tlsfloor: FILE:LINE: ..." with LINE the line marked
# "# HERE" (or an ALTLINE, when the error may fairly be reported elsewhere).
check_bad() {
	_name=$1
	shift
	_f=$WORK/$_name.conf
	_line=$(grep -n '# HERE' "$_f" | head -n 1 | cut -d: -f1)
	[ -n "$_line" ] || error "$_name.conf has no '# HERE' mark"
	run_cmd -s 1 "$TF_BIN" -t -c "$_f"
	_first=$(head -n 1 "$CMD_ERR")
	_ok=0
	for _l in "$_line" "$@"; do
		case $_first in
		"tlsfloor: $_f:$_l: "?*) _ok=1 ;;
		esac
	done
	[ "$_ok" = 1 ] ||
	    fail "$_name: expected 'tlsfloor: $_f:$_line: ...' on stderr, got '$_first'"
	if grep -q 'is valid' "$CMD_OUT"; then
		fail "$_name: refused but stdout says it is valid"
	fi
	note "$_name: $_first"
}

# bad NAME SED-SCRIPT: writes $WORK/NAME.conf as the good body edited by
# SED-SCRIPT (which must leave a "# HERE" mark).
bad() {
	good_body | sed -e "$2" >"$WORK/$1.conf"
}

# --- good -------------------------------------------------------------------

good_body >"$WORK/good.conf"
check_valid "$WORK/good.conf"

# include: relative to the including file; a glob matching nothing is fine.
mkdir "$WORK/inc" "$WORK/inc/conf.d"
good_body | sed -e '/^listener/,$d' >"$WORK/inc/main.conf"
cat >>"$WORK/inc/main.conf" <<EOF
include conf.d/*.conf
include nothing-here/*.conf
EOF
good_body | sed -n -e '/^listener/,$p' >"$WORK/inc/conf.d/10-edge.conf"
check_valid "$WORK/inc/main.conf"

# --- bad: syntax and values -------------------------------------------------

bad unknown-directive '/^ *min-tls/a\
    frobnicate  yes   # HERE'
check_bad unknown-directive

bad unknown-global '/^workers/a\
frobnicate yes   # HERE'
check_bad unknown-global

bad missing-arg 's|^ *upstream .*|    upstream   # HERE|'
check_bad missing-arg

bad missing-arg-min-tls 's|^ *min-tls .*|    min-tls   # HERE|'
check_bad missing-arg-min-tls

bad extra-arg 's|^ *min-tls .*|    min-tls 1.2 1.3  # HERE|'
check_bad extra-arg

bad bad-duration 's|^ *handshake-timeout .*|    handshake-timeout 10x  # HERE|'
check_bad bad-duration

bad bad-duration-units 's|^ *idle-timeout .*|    idle-timeout 1m30s  # HERE|'
check_bad bad-duration-units

bad bad-size 's|^ *max-header-size .*|    max-header-size 64q  # HERE|'
check_bad bad-size

bad bad-min-tls 's|^ *min-tls .*|    min-tls 1.1  # HERE|'
check_bad bad-min-tls

bad bad-bind 's|^\( *bind .*\)|    bind 127.0.0.1:99999  # HERE|'
check_bad bad-bind

# -t reads the files as `user` (when root), so the user must exist: as
# root or not, an unknown one is an error at its line.
bad unknown-user '/^workers/a\
user tlsfloor-no-such-user   # HERE'
check_bad unknown-user
assert_grep 'user tlsfloor-no-such-user: no such user' "$CMD_ERR" \
    "the unknown user's message"

bad repeated 's|^\( *upstream-sni .*\)|\1\
    upstream-sni other.test  # HERE|'
check_bad repeated

bad unterminated-quote 's|^ *upstream-sni .*|    upstream-sni "outlook.office365.test  # HERE|'
check_bad unterminated-quote

# The block is never closed: the error may name the block's opening line or
# the end of the file.
good_body | sed -e 's|^listener edge {|listener edge {   # HERE|' -e '/^}/d' \
    >"$WORK/unclosed.conf"
n=$(nlines "$WORK/unclosed.conf")
check_bad unclosed "$n" $((n + 1))

cat >"$WORK/no-upstream.conf" <<EOF
error-log stderr
listener edge {   # HERE
    bind 127.0.0.1:0
    cert $PKI/gateway-rsa.pem $PKI/gateway-rsa.key
}
EOF
check_bad no-upstream 5

{
	good_body
	good_body | sed -n -e '/^listener/,$p' | sed -e '1s|$|   # HERE|'
} >"$WORK/dup-listener.conf"
check_bad dup-listener

# --- bad: files named by the configuration ----------------------------------

bad missing-key "s|^ *cert .*gateway-rsa.pem.*|    cert $PKI/gateway-rsa.pem $WORK/no-such.key  # HERE|"
check_bad missing-key

bad missing-cert "s|^ *cert .*gateway-rsa.pem.*|    cert $WORK/no-such.pem $PKI/gateway-rsa.key  # HERE|"
check_bad missing-cert

bad key-mismatch "s|^ *cert .*gateway-rsa.pem.*|    cert $PKI/gateway-rsa.pem $PKI/other-rsa.key  # HERE|"
check_bad key-mismatch

printf 'this is not a certificate\n' >"$WORK/garbage.pem"
bad garbage-cert "s|^ *cert .*gateway-rsa.pem.*|    cert $WORK/garbage.pem $PKI/gateway-rsa.key  # HERE|"
check_bad garbage-cert

bad missing-ca "s|^ *upstream-ca .*|    upstream-ca $WORK/no-such-ca.pem  # HERE|"
check_bad missing-ca

bad garbage-ca "s|^ *upstream-ca .*|    upstream-ca $WORK/garbage.pem  # HERE|"
check_bad garbage-ca

# A suite this BoringSSL does not have (0xc027), by value and by name.
bad unknown-suite 's|^ *ciphers .*|    ciphers 0xc02f 0xc027  # HERE|'
check_bad unknown-suite
bad unknown-suite-name 's|^ *ciphers .*|    ciphers ECDHE-RSA-AES128-SHA256  # HERE|'
check_bad unknown-suite-name

# An error inside an included file names that file and its line.
mkdir "$WORK/inc2" "$WORK/inc2/conf.d"
cp "$WORK/inc/main.conf" "$WORK/inc2/main.conf"
sed -e 's|^ *min-tls .*|    min-tls 9.9   # HERE|' \
    "$WORK/inc/conf.d/10-edge.conf" >"$WORK/inc2/conf.d/10-edge.conf"
line=$(grep -n '# HERE' "$WORK/inc2/conf.d/10-edge.conf" | cut -d: -f1)
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/inc2/main.conf"
assert_match "$(head -n 1 "$CMD_ERR")" \
    "^tlsfloor: ([^:]*/)?conf\.d/10-edge\.conf:$line: ." "error in an included file"

# A configuration file that does not exist.
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/no-such.conf"
assert_match "$(head -n 1 "$CMD_ERR")" "^tlsfloor: $WORK/no-such\.conf" \
    "missing configuration file"

# --- command line -----------------------------------------------------------

for opt in -V --version; do
	run_cmd -s 0 "$TF_BIN" "$opt"
	out=$(cat "$CMD_OUT" "$CMD_ERR")
	api=$(sed -n 's/^#define BORINGSSL_API_VERSION \([0-9]*\).*/\1/p' \
	    /usr/include/android/openssl/base.h 2>/dev/null || true)
	assert_match "$out" "BoringSSL API ${api:-[0-9]+}" "$opt: BoringSSL"
	uv=$(pkg-config --modversion libuv 2>/dev/null || true)
	assert_match "$out" "libuv[^0-9]*${uv:-[0-9]+\.[0-9]+\.[0-9]+}" "$opt: libuv"
	h=/usr/share/include/llhttp/llhttp.h
	ll=
	if [ -f "$h" ]; then
		ll=$(awk '/define LLHTTP_VERSION_(MAJOR|MINOR|PATCH)/ { v = v sep $3; sep = "." } END { print v }' "$h")
	fi
	assert_match "$out" "llhttp[^0-9]*${ll:-[0-9]+\.[0-9]+\.[0-9]+}" "$opt: llhttp"
	assert_match "$out" "tlsfloor" "$opt: own name"
done
note "version: $(tr '\n' ' ' <"$CMD_OUT")"

for opt in -h --help; do
	run_cmd -s 0 "$TF_BIN" "$opt"
	[ -s "$CMD_OUT" ] || [ -s "$CMD_ERR" ] || fail "$opt printed nothing"
done

for args in "-Z" "--no-such-option" "frobnicate" "-c"; do
	# shellcheck disable=SC2086 # word splitting wanted
	run_cmd -s 2 "$TF_BIN" $args
	[ -s "$CMD_ERR" ] || fail "'tlsfloor $args': no usage on stderr"
done

# --- the shipped configurations --------------------------------------------

# conf/tlsfloor.conf names real-system paths: point them at test files. The
# user line goes: there is no tlsfloor user here.
sed -e "s|/etc/tlsfloor/mail\.pem|$PKI/gateway-rsa.pem|g" \
    -e "s|/etc/tlsfloor/mail\.key|$PKI/gateway-rsa.key|g" \
    -e "s|/etc/tlsfloor/mail-ecdsa\.pem|$PKI/gateway-ecdsa.pem|g" \
    -e "s|/etc/tlsfloor/mail-ecdsa\.key|$PKI/gateway-ecdsa.key|g" \
    -e "s|/etc/ssl/certs/ca-certificates\.crt|$PKI/ca.pem|g" \
    -e "s|/var/log/tlsfloor/|$WORK/|g" \
    -e '/^[[:space:]]*user[[:space:]]/d' \
    -e '/^#listener devices {/,/^#}/s/^#//' \
    "$TF_SRCDIR/conf/tlsfloor.conf" >"$WORK/tlsfloor.conf"
# The commented SMTP listener is checked too, uncommented.
grep -q '^listener devices {' "$WORK/tlsfloor.conf" ||
    error "conf/tlsfloor.conf has no commented 'listener devices' block"
if grep -n '^[^#]*/etc/tlsfloor/' "$WORK/tlsfloor.conf"; then
	error "conf/tlsfloor.conf names a file this test does not rewrite"
fi
check_valid "$WORK/tlsfloor.conf"

# conf/demo.conf: every path is ../demo-run/..., and contrib/demo runs it in
# conf/, as here.
mkdir "$WORK/demo" "$WORK/demo/conf"
mkdir "$WORK/demo/demo-run"
for f in "$PKI"/*; do
	ln -s "$f" "$WORK/demo/demo-run/"
done
cp "$TF_SRCDIR/conf/demo.conf" "$WORK/demo/conf/demo.conf"
(cd "$WORK/demo/conf" && "$TF_BIN" -t -c demo.conf) >"$CMD_OUT" 2>"$CMD_ERR" ||
    fail "conf/demo.conf: $(head -n 1 "$CMD_ERR")"
assert_eq "$(cat "$CMD_OUT")" "tlsfloor: configuration demo.conf is valid" \
    "stdout of -t on conf/demo.conf"

exit 0
