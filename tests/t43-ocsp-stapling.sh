#!/bin/sh
# ocsp-file: the response is stapled with its certificate when the client
# asks (openssl s_client -status, TLS 1.3 and 1.2), per certificate (the
# RSA one staples its own, the ECDSA one none), and a reload picks up a
# refreshed file. A response that is not a good answer for that
# certificate (revoked, another serial, not OCSP) is refused at
# FILE:LINE by -t and by a reload, which keeps stapling the old one.
# The responses are made here by openssl ocsp, signed by the test CA.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin
O=$WORK/ocsp
mkdir "$O"

# mk_ocsp NAME V|R NDAYS OUT: a response for $PKI/NAME.pem's leaf with
# status good (V) or revoked (R), valid NDAYS, from the test CA.
mk_ocsp() {
	_serial=$("$OPENSSL" x509 -in "$PKI/$1.pem" -noout -serial | cut -d= -f2)
	_exp=$(date -u -d '+300 days' +%y%m%d%H%M%SZ)
	_rev=
	[ "$2" = R ] && _rev=$(date -u -d '-1 day' +%y%m%d%H%M%SZ)
	printf '%s\t%s\t%s\t%s\tunknown\t/O=tlsfloor tests/CN=x\n' \
	    "$2" "$_exp" "$_rev" "$_serial" >"$O/index.txt"
	"$OPENSSL" x509 -in "$PKI/$1.pem" -out "$O/leaf.pem"
	"$OPENSSL" ocsp -issuer "$PKI/ca.pem" -cert "$O/leaf.pem" -no_nonce \
	    -reqout "$O/req.der" >/dev/null 2>&1 || error "openssl ocsp request"
	"$OPENSSL" ocsp -index "$O/index.txt" -rsigner "$PKI/ca.pem" \
	    -rkey "$PKI/ca.key" -CA "$PKI/ca.pem" -reqin "$O/req.der" \
	    -respout "$4" -ndays "$3" >/dev/null 2>&1 ||
	    error "openssl ocsp response"
}

# next_update FILE: the response's Next Update, as openssl prints it.
next_update() {
	"$OPENSSL" ocsp -respin "$1" -resp_text -noverify 2>/dev/null |
	    sed -n 's/^ *Next Update: //p' | head -n 1
}

mk_ocsp gateway-rsa V 7 "$O/rsa.der"
mk_ocsp gateway-rsa V 3 "$O/rsa-newer.der"
mk_ocsp gateway-rsa R 7 "$O/rsa-revoked.der"
mk_ocsp gateway-ecdsa V 7 "$O/ecdsa.der"
head -c 300 /dev/urandom >"$O/junk.der"
[ "$(next_update "$O/rsa.der")" != "$(next_update "$O/rsa-newer.der")" ] ||
    error "the two responses do not differ"

mk_conf "$WORK/t43.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    ocsp-file    $O/staple.der
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
ocsp_line=$(grep -n 'ocsp-file' "$WORK/t43.conf" | cut -d: -f1)

# --- refused responses, at the directive's line --------------------------
# check_refused FILE WHY
check_refused() {
	cp "$1" "$O/staple.der"
	run_cmd -s 1 "$TF_BIN" -t -c "$WORK/t43.conf"
	assert_eq "$(head -n 1 "$CMD_ERR")" \
	    "tlsfloor: $WORK/t43.conf:$ocsp_line: ocsp-file $O/staple.der: $2" \
	    "-t on $(basename "$1")"
}
check_refused "$O/rsa-revoked.der" "it says the certificate is revoked"
check_refused "$O/ecdsa.der" \
    "it is not for this certificate (another serial number)"
check_refused "$O/junk.der" "not a DER OCSP response"
rm -f "$O/staple.der"
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/t43.conf"
assert_match "$(head -n 1 "$CMD_ERR")" \
    ":$ocsp_line: ocsp-file $O/staple.der: No such file or directory\$" \
    "-t without the file"
# Where the directive may go.
sed "s|^\( *cert .*gateway-ecdsa.*\)|    ocsp-file $O/rsa.der\n\1|" \
    "$WORK/t43.conf" >"$WORK/before-cert.conf"
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/before-cert.conf"
assert_match "$(head -n 1 "$CMD_ERR")" \
    "before-cert.conf:$((ocsp_line - 2)): 'ocsp-file' must follow the 'cert' it is for\$" \
    "ocsp-file before any cert"
sed "s|^\( *ocsp-file .*\)|\1\n\1|" "$WORK/t43.conf" >"$WORK/twice.conf"
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/twice.conf"
assert_match "$(head -n 1 "$CMD_ERR")" \
    "twice.conf:$((ocsp_line + 1)): 'ocsp-file': the 'cert' at line $((ocsp_line - 1)) has one already \\(line $ocsp_line\\)\$" \
    "two ocsp-files for one cert"

# --- stapled --------------------------------------------------------------
cp "$O/rsa.der" "$O/staple.der"
run_cmd -s 0 "$TF_BIN" -t -c "$WORK/t43.conf"
start_tlsfloor "$WORK/t43.conf"

# stapled WHAT ARGS...: the Next Update of the response the gateway
# stapled for an s_client with ARGS, "none" when it sent none.
stapled() {
	_what=$1
	shift
	s_client -status "$@" >"$WORK/s.out" 2>&1 || true
	grep -q 'Verify return code: 0 (ok)' "$WORK/s.out" ||
	    fail "$_what: handshake: $(tail -n 5 "$WORK/s.out")"
	if grep -q 'OCSP response: no response sent' "$WORK/s.out"; then
		echo none
		return 0
	fi
	grep -q 'Cert Status: good' "$WORK/s.out" ||
	    fail "$_what: no good status: $(grep -A 12 'OCSP response' "$WORK/s.out")"
	sed -n 's/^ *Next Update: //p' "$WORK/s.out" | head -n 1
}
rsa12='-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256'
ecdsa12='-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256'
want=$(next_update "$O/rsa.der")
# shellcheck disable=SC2086 # word splitting wanted
assert_eq "$(stapled 'RSA, TLS 1.2' $rsa12)" "$want" "RSA, TLS 1.2"
assert_eq "$(stapled 'RSA, TLS 1.3' -tls1_3 -sigalgs rsa_pss_rsae_sha256)" \
    "$want" "RSA, TLS 1.3"
# shellcheck disable=SC2086
assert_eq "$(stapled 'ECDSA, TLS 1.2' $ecdsa12)" none "ECDSA, TLS 1.2 (no file)"
assert_eq "$(stapled 'ECDSA, TLS 1.3' -tls1_3)" none "ECDSA, TLS 1.3 (no file)"
# Not asked, not sent.
s_client $rsa12 >"$WORK/s.out" 2>&1 || true
if grep -q 'OCSP' "$WORK/s.out"; then
	fail "a response went to a client that did not ask"
fi

# --- refreshed by a reload; a bad one keeps the old -----------------------
cp "$O/rsa-newer.der" "$O/staple.der"
tf_reload || fail "reload: $(cat "$WORK/reload.last")"
# shellcheck disable=SC2086
assert_eq "$(stapled 'after the reload' $rsa12)" \
    "$(next_update "$O/rsa-newer.der")" "the refreshed response"
cp "$O/rsa-revoked.der" "$O/staple.der"
if tf_reload; then
	fail "a reload took a revoked response"
fi
assert_match "$(cat "$WORK/reload.last")" \
    "config reload failed: $WORK/t43.conf:$ocsp_line: ocsp-file $O/staple.der: it says the certificate is revoked\$" \
    "the failed reload"
# shellcheck disable=SC2086
assert_eq "$(stapled 'after the failed reload' $rsa12)" \
    "$(next_update "$O/rsa-newer.der")" "the response kept"
stop_tlsfloor
