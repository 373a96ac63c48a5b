#!/bin/sh
# The upstream connection pool: client connections that come and go reuse
# one verified upstream connection instead of a TLS handshake each; a
# reload (another verification context) does not reuse the old ones.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin
mk_conf "$WORK/t24.conf" <<EOF2
workers 1
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t24.conf"

# Each /stats call is a TLS connection of its own to the origin.
hs0=$(origin_stats handshakes)
i=0
while [ "$i" -lt 5 ]; do
	code=$(curl_tf -H 'Connection: close' -o "$WORK/r$i.json" \
	    -w '%{http_code}' "$TF_URL/echo/$i") || fail "request $i"
	assert_eq "$code" 200 "request $i"
	i=$((i + 1))
done
hs1=$(origin_stats handshakes)
assert_eq "$((hs1 - hs0 - 1))" 1 "upstream handshakes for 5 client connections"
ids=$(for i in 0 1 2 3 4; do jget "d['conn_id']" <"$WORK/r$i.json"; done | sort -u | wc -l)
assert_eq "$ids" 1 "origin connections used by 5 client connections"

# A reload builds a new verification context: no reuse across it.
kill -HUP "$TF_PID"
wait_for 10 grep -q 'reloaded: generation 2' "$TF_ERRLOG" || fail "no reload"
curl_tf -o /dev/null "$TF_URL/echo/after" || fail "request after reload"
hs2=$(origin_stats handshakes)
assert_eq "$((hs2 - hs1 - 1))" 1 "upstream handshakes after the reload"
stop_tlsfloor
