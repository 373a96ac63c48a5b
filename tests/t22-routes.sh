#!/bin/sh
# route NAME... HOST:PORT: the SNI picks the route; without SNI the Host
# header does (per request, so one connection may change upstream); with
# neither matching, the listener's upstream; a Host naming another route
# than the SNI gets 421.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin
port1=$ORIGIN_PORT
"$PY" "$ORIGIN_PY" --cert "$PKI/origin.pem" --key "$PKI/origin.key" \
    --listen 127.0.0.1:0 --port-file "$WORK/origin2.port" \
    </dev/null >/dev/null 2>>"$WORK/origin2.stderr" &
o2=$!
_track "$o2"
wait_for 10 test -s "$WORK/origin2.port" || fail "second origin did not start"
port2=$(cat "$WORK/origin2.port")

mk_conf "$WORK/t22.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:$port1
    upstream-sni outlook.office365.test
    route        autodiscover.contoso.test AutoDiscover.Fabrikam.test localhost:$port2
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t22.conf"

# get SNI HOST: GET /echo with that SNI (or none: "-") and Host header;
# prints "STATUS HOST-SEEN-BY-ORIGIN".
get() {
	if [ "$1" = - ]; then
		_url=https://127.0.0.1:$TF_PORT/echo
		set -- "" "$2"
	else
		_url=https://$1:$TF_PORT/echo
	fi
	curl -sS --max-time 20 --cacert "$PKI/ca.pem" \
	    --resolve "$1:$TF_PORT:127.0.0.1" -H "Host: $2" \
	    -o "$WORK/body" -w '%{http_code}' "$_url" >"$WORK/code" ||
	    fail "request SNI=$1 Host=$2 failed"
	if [ "$(cat "$WORK/code")" = 200 ]; then
		echo "200 $(jget "[v for k, v in d['headers'] if k.lower() == 'host'][0]" <"$WORK/body")"
	else
		echo "$(cat "$WORK/code")"
	fi
}

assert_eq "$(get mail.contoso.test mail.contoso.test)" "200 localhost:$port1" \
    "SNI and Host of no route: the upstream"
assert_eq "$(get autodiscover.contoso.test autodiscover.contoso.test)" \
    "200 localhost:$port2" "SNI of a route"
assert_eq "$(get autodiscover.contoso.test autodiscover.contoso.test:$TF_PORT)" \
    "200 localhost:$port2" "SNI of a route, Host with a port"
assert_eq "$(get mail.contoso.test autodiscover.fabrikam.test)" 421 \
    "Host naming another route than the SNI"
assert_eq "$(get autodiscover.contoso.test mail.contoso.test)" \
    "200 localhost:$port2" "SNI of a route, Host of none: the SNI decides"
assert_eq "$(get - autodiscover.contoso.test)" "200 localhost:$port2" \
    "no SNI: Host picks the route"
assert_eq "$(get - mail.contoso.test)" "200 localhost:$port1" \
    "no SNI, Host of no route: the upstream"
tail -n 1 "$TF_ACCESS" | grep -q "\"upstream\":\"localhost:$port1\"" ||
    fail "access record upstream: $(tail -n 1 "$TF_ACCESS")"

# Without SNI, one connection: the Host of each request picks its route.
"$PY" - "$TF_PORT" "$PKI/ca.pem" <<'EOF2' >"$WORK/ka" || fail "keep-alive routes: $(cat "$WORK/ka")"
import http.client, json, socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
for host in ("autodiscover.contoso.test", "mail.contoso.test",
             "autodiscover.fabrikam.test"):
    conn.request("GET", "/echo", headers={"Host": host})
    r = conn.getresponse()
    body = r.read()
    seen = [v for k, v in json.loads(body)["headers"] if k.lower() == "host"]
    print(r.status, seen[0])
EOF2
assert_eq "$(tr '\n' ' ' <"$WORK/ka")" \
    "200 localhost:$port2 200 localhost:$port1 200 localhost:$port2 " \
    "routes per request on one connection without SNI"
stop_tlsfloor
