#!/bin/sh
# The upstream leg is verified: an upstream whose certificate does not chain
# to upstream-ca, or does not carry the upstream-sni name, or that does not
# answer at all, gives the client 502 and an [error] line naming the
# upstream. A correct listener next to them keeps working.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin
dead=$(dead_port)

# One daemon, four listeners (ports TF_PORT..TF_PORT4, in this order).
mk_conf "$WORK/t04.conf" <<EOF
listener good {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener rogue-ca {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/rogue-ca.pem
}
listener wrong-name {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni wrong.test
    upstream-ca  @PKI@/ca.pem
}
listener dead {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     127.0.0.1:$dead
    upstream-ca  @PKI@/ca.pem
    upstream-connect-timeout 5s
}
EOF
start_tlsfloor "$WORK/t04.conf"
port_good=$TF_PORT
# shellcheck disable=SC2153 # set by start_tlsfloor
port_rogue=$TF_PORT2 port_wrong=$TF_PORT3 port_dead=$TF_PORT4

# get PORT PATH: prints the status of GET PATH through the listener on PORT.
get() {
	curl -sS --max-time 30 --cacert "$PKI/ca.pem" \
	    --resolve "$HOSTNAME_TF:$1:127.0.0.1" -o "$WORK/body" \
	    -w '%{http_code}' "https://$HOSTNAME_TF:$1$2"
}

# errors_since N: the error log's [error] lines after line N.
errors_since() {
	tail -n "+$(($1 + 1))" "$TF_ERRLOG" | grep '\[error\]' || true
}

assert_eq "$(get "$port_good" /echo)" 200 "listener good"

# Upstream certificate from a CA the gateway does not trust.
mark=$(nlines "$TF_ERRLOG")
assert_eq "$(get "$port_rogue" /echo)" 502 "upstream-ca is the rogue CA"
wait_for 5 sh -c "tail -n +$((mark + 1)) '$TF_ERRLOG' | grep '\[error\]' | grep -q 'upstream localhost:$ORIGIN_PORT.*verify'" || {
	errors_since "$mark" >&2
	fail "rogue CA: no [error] line naming upstream localhost:$ORIGIN_PORT and 'verify'"
}
note "rogue CA: $(errors_since "$mark" | head -n 1)"
if grep -q 'slow done\|"method"' "$WORK/body"; then
	fail "rogue CA: the origin's answer reached the client"
fi

# Upstream certificate without the upstream-sni name.
mark=$(nlines "$TF_ERRLOG")
assert_eq "$(get "$port_wrong" /echo)" 502 "upstream-sni wrong.test"
wait_for 5 sh -c "tail -n +$((mark + 1)) '$TF_ERRLOG' | grep '\[error\]' | grep -q 'upstream localhost:$ORIGIN_PORT'" || {
	errors_since "$mark" >&2
	fail "wrong name: no [error] line naming upstream localhost:$ORIGIN_PORT"
}
note "wrong name: $(errors_since "$mark" | head -n 1)"

# The origin never served a request for the two failed legs.
reqs=$(curl_origin "$ORIGIN_URL/stats" | jget "d['requests']")
assert_eq "$reqs" 2 "origin requests (1 good + this /stats)"

# Nothing listens on the upstream port.
mark=$(nlines "$TF_ERRLOG")
assert_eq "$(get "$port_dead" /echo)" 502 "upstream port closed"
wait_for 5 sh -c "tail -n +$((mark + 1)) '$TF_ERRLOG' | grep '\[error\]' | grep -q 'upstream 127.0.0.1:$dead'" || {
	errors_since "$mark" >&2
	fail "dead port: no [error] line naming upstream 127.0.0.1:$dead"
}
note "dead port: $(errors_since "$mark" | head -n 1)"

# 502 bodies are small plain text.
size=$(wc -c <"$WORK/body")
[ "$size" -lt 1024 ] || fail "502 body is $size bytes"

# The good listener is unaffected.
assert_eq "$(get "$port_good" /echo)" 200 "listener good after the failures"

stop_tlsfloor
exit 0
