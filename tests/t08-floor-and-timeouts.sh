#!/bin/sh
# min-tls 1.3: a TLS 1.2 client is refused (alert 70) and recorded; a
# silent upstream is answered with 502 after upstream-connect-timeout; plain
# HTTP on the TLS port gets 400 and a not_tls record.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

# An upstream that accepts TCP (the kernel does) but never speaks TLS.
listen_silent 60
silent_port=$SILENT_PORT

mk_conf "$WORK/t08.conf" <<EOF2
listener floor13 {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    min-tls      1.3
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener silent {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     127.0.0.1:$silent_port
    upstream-ca  @PKI@/ca.pem
    upstream-connect-timeout 1s
}
EOF2
start_tlsfloor "$WORK/t08.conf"
port13=$TF_PORT
port_silent=$TF_PORT2

# TLS 1.3 passes a 1.3 floor.
code=$(curl_tf --tlsv1.3 -o /dev/null -w '%{http_code}' "$TF_URL/echo") ||
    fail "TLS 1.3 client through a 1.3 floor failed"
assert_eq "$code" 200 "TLS 1.3 client status"
assert_eq "$(nlines "$TF_LEGACY")" 0 "legacy records after a TLS 1.3 client"

# TLS 1.2 is below it: alert 70, one record with offered_max TLS1.2.
out=$(s_client -p "$port13" -tls1_2 2>&1 || true)
assert_match "$out" "alert protocol version" "TLS 1.2 client at a 1.3 floor"
wait_for 5 test "$(nlines "$TF_LEGACY")" -ge 1 || fail "no legacy record"
assert_eq "$(nlines "$TF_LEGACY")" 1 "legacy records after one TLS 1.2 client"
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "d['offered_max']")" TLS1.2 "offered_max"
assert_eq "$(echo "$rec" | jget "d['action']")" refused "action"
assert_eq "$(echo "$rec" | jget "d['listener']")" floor13 "listener"

# A silent upstream: 502 once upstream-connect-timeout (1 s) has passed.
code=$(curl -sS --max-time 20 --cacert "$PKI/ca.pem" \
    --resolve "$HOSTNAME_TF:$port_silent:127.0.0.1" -o "$WORK/body" \
    -w '%{http_code}' "https://$HOSTNAME_TF:$port_silent/echo") ||
    fail "request to the silent upstream's listener failed"
assert_eq "$code" 502 "status when the upstream never answers"
assert_grep "upstream 127.0.0.1:$silent_port: connect timed out" \
    "$TF_ERRLOG" "error log names the timeout"

# Plain HTTP on the TLS port: 400 with an explanation and a not_tls record.
n0=$(nlines "$TF_LEGACY")
out=$(curl -sS --max-time 10 -i "http://127.0.0.1:$port13/") ||
    fail "plain HTTP request got no answer"
assert_match "$out" "HTTP/1.1 400 Bad Request" "plain HTTP status"
assert_match "$out" "speaks HTTPS" "plain HTTP explanation"
wait_for 5 test "$(nlines "$TF_LEGACY")" -gt "$n0" || fail "no not_tls record"
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "d['event']")" not_tls "plain HTTP record"
assert_eq "$(echo "$rec" | jget "d['client_ip']")" 127.0.0.1 "client_ip"

stop_tlsfloor
