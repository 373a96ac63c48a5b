#!/bin/sh
# An origin that answers an upload before reading all of it, with
# Connection: close, and then leaves the rest unread (its receive window
# is small): the gateway closes that upstream connection itself, with part
# of the upload still on its way, and goes on with the client's next,
# pipelined request on a new one. Closing it is no upstream error: the
# next request gets the origin's answer (not 502), nothing is counted,
# nothing logged. (tests/unit/leg.c and conn.c hold a write queued at the
# moment of the close, which the kernel's buffers here seldom do.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin --rcvbuf 4096
mk_conf "$WORK/t29.conf" <<EOF2
workers 1
metrics 127.0.0.1:0
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t29.conf"
M_PORT=$(sed -n 's/.*\[notice\] metrics: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
    "$TF_ERRLOG" | tail -n 1)
[ -n "$M_PORT" ] || fail "no metrics port"

# 96 KiB: the gateway's own buffers take all of it, the origin's window
# and the kernel's buffers do not.
n=$((96 * 1024))
i=0
while [ "$i" -lt 3 ]; do
	"$PY" "$TF_SRCDIR/tests/tools/rawhttp.py" --port "$TF_PORT" \
	    --ca "$PKI/ca.pem" --timeout 20 \
	    "send:POST /early/200?delay=300&hold=2000 HTTP/1.1\r\nHost: $HOSTNAME_TF\r\nContent-Length: $n\r\n\r\n" \
	    "body:$n" \
	    "send:GET /echo/next HTTP/1.1\r\nHost: $HOSTNAME_TF\r\n\r\n" \
	    resp resp >"$WORK/raw.$i" 2>&1 ||
	    { cat "$WORK/raw.$i" >&2; fail "pipelined requests $i"; }
	statuses=$(jget "' '.join(str(r['status']) for r in d['responses'])" \
	    <"$WORK/raw.$i")
	assert_eq "$statuses" "200 200" "early answer, then the next request ($i)"
	i=$((i + 1))
done

wait_lines "$TF_ACCESS" 6
if grep -E '\[error\] conn [0-9]+: upstream' "$TF_ERRLOG"; then
	fail "an upstream error was logged for a write the gateway cancelled"
fi
curl -sS --max-time 10 "http://127.0.0.1:$M_PORT/metrics" >"$WORK/metrics" ||
    fail "GET /metrics"
if grep -E '^tlsfloor_upstream_errors_total\{.*\} [1-9]' "$WORK/metrics"; then
	fail "an upstream error was counted for a write the gateway cancelled"
fi
stop_tlsfloor
