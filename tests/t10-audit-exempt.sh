#!/bin/sh
# Below the floor but let in: `mode audit` records allowed_audit, `exempt`
# sources (IPv4 and IPv6) record allowed_exempt; either way the request
# reaches the origin over TLS 1.2+. SSL 3.0 stays refused; a let-in client
# that shares no suite gets a handshake_failed record (no_shared_cipher).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
need gnutls-cli
start_origin

v6=0
if "$PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	v6=1
fi

{
	cat <<EOF2
listener audit {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    mode         audit
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener exempt {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    exempt       10.0.0.0/8
    exempt       192.0.2.7 127.0.0.1/32
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener strict {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    exempt       10.0.0.0/8 ::1/128
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
	if [ "$v6" = 1 ]; then
		cat <<EOF2
listener exempt6 {
    bind         [::1]:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    exempt       2001:db8::/32 ::1
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
	fi
} | mk_conf "$WORK/t10.conf"
start_tlsfloor "$WORK/t10.conf"
p_audit=$TF_PORT
p_exempt=$TF_PORT2
p_strict=$TF_PORT3

# legacy_get HOST PORT VERSION-FLAG: a GET /echo with openssl s_client at
# one TLS version, returning what came back (the origin's JSON last).
legacy_get() {
	printf 'GET /echo HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' \
	    "$HOSTNAME_TF" | timeout 20 "$OPENSSL" s_client -quiet -ign_eof \
	    -connect "$1:$2" -servername "$HOSTNAME_TF" "$3" \
	    -cipher 'DEFAULT@SECLEVEL=0' 2>&1 || true
}

# last_record FIELD: a field of the newest legacy-log record.
last_record() {
	tail -n 1 "$TF_LEGACY" | jget "d['$1']"
}

# check_let_in WHAT OUT ACTION LISTENER OFFERED: the request reached the
# origin over TLS 1.2+, one record with ACTION, an access record marked
# legacy.
check_let_in() {
	echo "$2" | grep -q '"tls_version": "TLSv1\.[23]"' ||
	    fail "$1: the origin did not answer over TLS 1.2+: $2"
	assert_eq "$(last_record action)" "$3" "$1: action"
	assert_eq "$(last_record listener)" "$4" "$1: listener"
	assert_eq "$(last_record offered_max)" "$5" "$1: offered_max"
	wait_for 5 test -s "$TF_ACCESS" || fail "$1: no access record"
	rec=$(tail -n 1 "$TF_ACCESS")
	assert_eq "$(echo "$rec" | jget "d['legacy']")" true "$1: access legacy"
	assert_eq "$(echo "$rec" | jget "d['tls_version']")" "$5" \
	    "$1: access tls_version"
	assert_eq "$(echo "$rec" | jget "d['status']")" 200 "$1: access status"
}

# Audit: TLS 1.0 and 1.1 let in and recorded.
n=0
out=$(legacy_get 127.0.0.1 "$p_audit" -tls1)
n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
check_let_in "audit, openssl TLS 1.0" "$out" allowed_audit audit TLS1.0
out=$(legacy_get 127.0.0.1 "$p_audit" -tls1_1)
n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
check_let_in "audit, openssl TLS 1.1" "$out" allowed_audit audit TLS1.1
# gnutls-cli says goodbye at the end of its input: hold it open a moment
# so the answer can come back first.
out=$({ printf 'GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; sleep 2; } |
    timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$p_audit" \
    --sni-hostname "$HOSTNAME_TF" --verify-hostname "$HOSTNAME_TF" \
    --priority=NORMAL:-VERS-ALL:+VERS-TLS1.0 127.0.0.1 2>&1 || true)
n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
check_let_in "audit, gnutls TLS 1.0" "$out" allowed_audit audit TLS1.0

# Audit still refuses SSL 3.0: it cannot be spoken.
out=$(hello --port "$p_audit" --version 3.0 --sni "$HOSTNAME_TF")
n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
assert_match "$out" "alert" "audit, SSL 3.0 hello answer"
assert_eq "$(last_record action)" refused "audit, SSL 3.0: action"
assert_eq "$(last_record offered_max)" SSL3.0 "audit, SSL 3.0: offered_max"

# A let-in client sharing no suite (DHE only): handshake_failure, one
# legacy record and one handshake_failed record, no_shared_cipher.
out=$(timeout 20 "$OPENSSL" s_client -connect "127.0.0.1:$p_audit" \
    -servername "$HOSTNAME_TF" -tls1 -cipher 'DHE-RSA-AES128-SHA@SECLEVEL=0' \
    </dev/null 2>&1 || true)
n=$((n + 2)); wait_lines "$TF_LEGACY" "$n"
assert_match "$out" "handshake failure" "no shared suite: alert"
assert_eq "$(tail -n 2 "$TF_LEGACY" | head -n 1 | jget "d['action']")" \
    allowed_audit "no shared suite: legacy record"
assert_eq "$(last_record event)" handshake_failed "no shared suite: event"
assert_eq "$(last_record reason)" no_shared_cipher "no shared suite: reason"
assert_eq "$(last_record offered_max)" TLS1.0 "no shared suite: fingerprint"

# Exempt: 127.0.0.1 is listed; the same client is refused where it is not.
out=$(legacy_get 127.0.0.1 "$p_exempt" -tls1_1)
n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
check_let_in "exempt, openssl TLS 1.1" "$out" allowed_exempt exempt TLS1.1
out=$(legacy_get 127.0.0.1 "$p_strict" -tls1)
n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
assert_match "$out" "alert protocol version" "not exempt: alert"
assert_eq "$(last_record action)" refused "not exempt: action"
assert_eq "$(last_record listener)" strict "not exempt: listener"

if [ "$v6" = 1 ]; then
	out=$(legacy_get '[::1]' "$TF_PORT4" -tls1)
	n=$((n + 1)); wait_lines "$TF_LEGACY" "$n"
	check_let_in "exempt over IPv6" "$out" allowed_exempt exempt6 TLS1.0
	assert_eq "$(last_record client_ip)" ::1 "exempt over IPv6: client_ip"
else
	note "no IPv6 loopback: IPv6 exemption not tested"
fi

# Modern clients are never recorded, in any mode.
code=$(curl -sS --max-time 20 --cacert "$PKI/ca.pem" -o /dev/null \
    -w '%{http_code}' --resolve "$HOSTNAME_TF:$p_audit:127.0.0.1" \
    "https://$HOSTNAME_TF:$p_audit/echo") || fail "modern client on audit"
assert_eq "$code" 200 "modern client on the audit listener"
assert_eq "$(nlines "$TF_LEGACY")" "$n" "records after a modern client"

stop_tlsfloor
