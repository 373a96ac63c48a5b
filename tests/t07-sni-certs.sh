#!/bin/sh
# Certificate selection: by SNI among several cert lines, the first cert
# for no SNI or an unknown name, ECDSA preferred over RSA when the client
# can use it; ALPN http/1.1 is negotiated when offered.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin

# Listener edge (TF_PORT): RSA contoso first, then other.fabrikam.test.
# Listener dual (TF_PORT2): RSA and ECDSA for the same names, RSA first.
mk_conf "$WORK/t07.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    cert         @PKI@/other-rsa.pem @PKI@/other-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener dual {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t07.conf"
# shellcheck disable=SC2153 # set by start_tlsfloor
port_dual=$TF_PORT2

# served WHAT [-p PORT] S_CLIENT-ARGS...: handshakes and leaves the leaf
# the server sent in $WORK/leaf.pem and the s_client output in $WORK/sc.out.
served() {
	_what=$1
	shift
	_rc=0
	s_client "$@" -showcerts >"$WORK/sc.out" 2>&1 || _rc=$?
	[ "$_rc" -eq 0 ] || {
		tail -n 20 "$WORK/sc.out" >&2
		fail "$_what: s_client exit status $_rc"
	}
	"$OPENSSL" x509 -in "$WORK/sc.out" -out "$WORK/leaf.pem" 2>/dev/null ||
	    fail "$_what: no certificate in the s_client output"
}

sans() {
	"$OPENSSL" x509 -in "$WORK/leaf.pem" -noout -ext subjectAltName |
	    tail -n +2 | tr -d ' '
}

key_type() {
	case $("$OPENSSL" x509 -in "$WORK/leaf.pem" -noout -text) in
	*id-ecPublicKey*) echo ecdsa ;;
	*rsaEncryption*) echo rsa ;;
	*) echo unknown ;;
	esac
}

contoso="DNS:mail.contoso.test,DNS:*.contoso.test,DNS:localhost,IPAddress:127.0.0.1"

served "SNI other.fabrikam.test" -servername other.fabrikam.test
assert_eq "$(sans)" "DNS:other.fabrikam.test" "cert for SNI other.fabrikam.test"

served "SNI mail.contoso.test" -servername mail.contoso.test \
    -verify_return_error -verify_hostname mail.contoso.test
assert_eq "$(sans)" "$contoso" "cert for SNI mail.contoso.test"
assert_grep 'Verify return code: 0 \(ok\)' "$WORK/sc.out" "chain for mail.contoso.test"

served "SNI autodiscover.contoso.test" -servername autodiscover.contoso.test
assert_eq "$(sans)" "$contoso" "cert for SNI autodiscover.contoso.test (wildcard)"

served "no SNI" -noservername
assert_eq "$(sans)" "$contoso" "cert without SNI (the first)"

served "unknown SNI" -servername www.example.test
assert_eq "$(sans)" "$contoso" "cert for an unknown SNI (the first)"

served "ALPN" -alpn http/1.1
assert_grep '^ALPN protocol: http/1\.1' "$WORK/sc.out" "ALPN http/1.1 negotiated"

served "no ALPN" -servername mail.contoso.test
assert_grep '^No ALPN negotiated' "$WORK/sc.out" "no ALPN when none is offered"

# h2 alone is not agreed to (refused or ignored).
s_client -alpn h2 >"$WORK/sc.out" 2>&1 || true
if grep -q '^ALPN protocol: h2' "$WORK/sc.out"; then
	fail "ALPN h2 negotiated"
fi

# ECDSA and RSA for the same names: ECDSA for clients that can use it.
served "dual, TLS 1.3" -p "$port_dual" -tls1_3
assert_eq "$(key_type)" ecdsa "dual: TLS 1.3 client with default sigalgs"
served "dual, TLS 1.2 ECDHE-ECDSA" -p "$port_dual" -tls1_2
assert_eq "$(key_type)" ecdsa "dual: TLS 1.2 client with default suites"
served "dual, TLS 1.2 RSA suites only" -p "$port_dual" -tls1_2 \
    -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384
assert_eq "$(key_type)" rsa "dual: TLS 1.2 client offering only ECDHE-RSA suites"
served "dual, TLS 1.3 RSA sigalgs only" -p "$port_dual" -tls1_3 \
    -sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256
assert_eq "$(key_type)" rsa "dual: TLS 1.3 client with only RSA sigalgs"

stop_tlsfloor
exit 0
