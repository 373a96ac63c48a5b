#!/bin/sh
# A pooled upstream connection that the origin closes just as it is
# reused (the origin's /close-next: the connection's next request is read
# and never answered) costs the client nothing when the request may be
# sent again: GET and PUT (idempotent, RFC 9110 9.2.2) go again, whole,
# on a new connection and are answered 200; a POST, which the origin may
# have acted on, gets 502, as from nginx. Each client sends its two
# requests on one connection, so the second takes the first's upstream
# connection from the worker's pool; the origin's closed_unanswered count
# proves it did.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

mk_conf "$WORK/t34.conf" <<EOF
metrics 127.0.0.1:0
$(edge_listener)
EOF
start_tlsfloor "$WORK/t34.conf"
tf_metrics_url

head -c 3000 /dev/urandom >"$WORK/body"
body_sha=$(sha256_of "$WORK/body")

# twice OUT METHOD PATH: GET /close-next, then METHOD PATH (with the body
# unless GET) on the same client connection; the two statuses in OUT.codes
# and the second response's body in OUT.
twice() {
	_data=
	[ "$2" = GET ] || _data="--data-binary @$WORK/body"
	# shellcheck disable=SC2086
	curl_tf -o /dev/null -w '%{http_code} %{num_connects}\n' \
	    "$TF_URL/close-next" --next -sS --max-time 30 \
	    --cacert "$PKI/ca.pem" \
	    --resolve "$HOSTNAME_TF:$TF_PORT:127.0.0.1" -X "$2" $_data \
	    -o "$1" -w '%{http_code} %{num_connects}\n' "$TF_URL$3" \
	    >"$1.codes" 2>"$1.err" || true
}

unanswered() {
	origin_stats closed_unanswered
}
closed_errors() {
	tf_metric 'tlsfloor_upstream_errors_total{listener="edge",reason="closed"}'
}

# GET: sent again, answered.
u0=$(unanswered)
e0=$(closed_errors)
twice "$WORK/get" GET /echo
assert_eq "$(cat "$WORK/get.codes")" "$(printf '200 1\n200 0')" \
    "GET after /close-next (status, new client connections)"
assert_eq "$(unanswered)" $((u0 + 1)) "requests the origin left unanswered"
assert_eq "$(jget 'd["method"]' <"$WORK/get")" GET "method the origin saw"
assert_grep 'a pooled connection closed as it was reused; the request goes on a new one' "$TF_ERRLOG" \
    "the retry's log line"

# PUT with a body: sent again whole.
twice "$WORK/put" PUT /sha256
assert_eq "$(cat "$WORK/put.codes")" "$(printf '200 1\n200 0')" \
    "PUT after /close-next"
assert_eq "$(unanswered)" $((u0 + 2)) "requests the origin left unanswered"
assert_eq "$(jget 'd["sha256"]' <"$WORK/put")" "$body_sha" \
    "sha256 of the PUT body the origin got"
assert_eq "$(closed_errors)" "$e0" "upstream errors after the retries"

# POST: not sent again; 502, counted and logged as an upstream error.
twice "$WORK/post" POST /sha256
assert_eq "$(cat "$WORK/post.codes")" "$(printf '200 1\n502 0')" \
    "POST after /close-next"
assert_eq "$(unanswered)" $((u0 + 3)) "requests the origin left unanswered"
assert_eq "$(closed_errors)" $((e0 + 1)) "upstream errors after the POST"

# The access records say what the clients got.
wait_lines "$TF_ACCESS" 6
pycheck '
st = [json.loads(l)["status"] for l in open(sys.argv[1])]
if st != [200, 200, 200, 200, 200, 502]:
    sys.exit("access statuses %r" % st)
' "$TF_ACCESS" || fail "access records"
tf_alive
stop_tlsfloor
