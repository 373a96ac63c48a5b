#!/bin/sh
# Keep-alive on both legs: three requests on one client connection travel
# over one upstream connection (one TLS handshake at the origin, one
# conn_id, request_no 1, 2, 3).
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

mk_conf "$WORK/t05.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t05.conf"

# Each /stats call is its own TLS connection to the origin and counts
# itself, so "after" includes one more handshake than the gateway made.
hs0=$(origin_stats handshakes)

curl_tf -w '%{http_code} %{num_connects}\n' \
    -o "$WORK/r1.json" "$TF_URL/echo/1" \
    -o "$WORK/r2.json" "$TF_URL/echo/2" \
    -o "$WORK/r3.json" "$TF_URL/echo/3" >"$WORK/w"
assert_eq "$(tr '\n' ' ' <"$WORK/w")" "200 1 200 0 200 0 " \
    "status and new connections per request (curl)"

hs1=$(origin_stats handshakes)
assert_eq "$((hs1 - hs0 - 1))" 1 "TLS handshakes at the origin for 3 requests on one connection"

ids=
nos=
for i in 1 2 3; do
	ids="$ids $(jget "d['conn_id']" <"$WORK/r$i.json")"
	nos="$nos $(jget "d['request_no']" <"$WORK/r$i.json")"
	assert_eq "$(jget "d['path']" <"$WORK/r$i.json")" "/echo/$i" "path of request $i"
done
# shellcheck disable=SC2086 # split on purpose
set -- $ids
if [ "$1" != "$2" ] || [ "$2" != "$3" ]; then
	fail "origin conn_ids differ:$ids"
fi
assert_eq "$nos" " 1 2 3" "request_no at the origin"
note "origin conn_id $1 served request_no$nos"

# Error statuses from the origin pass through and keep the connection.
curl_tf -w '%{http_code} %{num_connects}\n' \
    -o /dev/null "$TF_URL/status/404" \
    -o /dev/null "$TF_URL/status/204" \
    -o "$WORK/r4.json" "$TF_URL/echo/4" >"$WORK/w"
assert_eq "$(tr '\n' ' ' <"$WORK/w")" "404 1 204 0 200 0 " \
    "statuses and new connections after a 404 and a 204"

stop_tlsfloor
exit 0
