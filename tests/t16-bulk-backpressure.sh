#!/bin/sh
# Outlook Anywhere sizes, streamed: a 1 GiB RPC_IN_DATA upload (Content-
# Length 1073741824, generated on the fly) reaches the origin intact, and a
# 1 GiB RPC_OUT_DATA download reaches a client that reads 1 MiB and then
# sleeps 50 ms (so the gateway must hold the origin back) intact; the
# gateway's peak RSS (VmHWM) stays under 64 MiB throughout.
#
# Bounded: a 64 MiB upload and download first measure the machine; when
# they project the 1 GiB transfers past 250 s in all, the test is skipped
# (exit 77, saying so). Each transfer is also cut at 280 s.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need timeout
# shellcheck source-path=SCRIPTDIR source=lib-http.sh
. "$TF_SRCDIR/tests/lib-http.sh"
GIB=1073741824
limit_kb=65536
start_origin

mk_conf "$WORK/t16.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t16.conf"
note "VmHWM after start: $(vmhwm_kb "$TF_PID") kB"

now() {
	"$PY" -c 'import time; print("%.3f" % time.monotonic())'
}
elapsed() {
	"$PY" -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"
}

# upload N OUT: RPC_IN_DATA of N pattern bytes with Content-Length.
upload() {
	timeout 280 "$PY" "$RAWHTTP" --port "$TF_PORT" --ca "$PKI/ca.pem" --timeout 60 \
	    "send:RPC_IN_DATA /echo/rpc-in HTTP/1.1\\r\\n${H}Content-Type: application/rpc\\r\\nContent-Length: $1\\r\\n\\r\\n" \
	    "body:$1" resp >"$2" || fail "upload of $1 bytes: rawhttp failed or was cut at 280 s"
}

# download N OUT [PACE]: RPC_OUT_DATA (76-byte body) answered with N
# pattern bytes, read at PACE (B:MS) when given.
download() {
	_pace=
	[ -z "${3:-}" ] || _pace=readpace:$3
	# shellcheck disable=SC2086
	timeout 280 "$PY" "$RAWHTTP" --port "$TF_PORT" --ca "$PKI/ca.pem" --timeout 60 $_pace \
	    "send:RPC_OUT_DATA /bytes/$1 HTTP/1.1\\r\\n${H}Content-Type: application/rpc\\r\\nContent-Length: 76\\r\\n\\r\\n" \
	    body:76 resp >"$2" || fail "download of $1 bytes: rawhttp failed or was cut at 280 s"
}

# ---------------------------------------------------------------------------
# Calibration: 64 MiB each way.
n=67108864
t0=$(now)
upload "$n" "$WORK/cal-up.json"
t1=$(now)
download "$n" "$WORK/cal-down.json"
t2=$(now)
rcheck "$WORK/cal-up.json" "[r[0].get('status'), b(0).get('body_len')]" "[200, $n]" "64 MiB upload"
rcheck "$WORK/cal-down.json" "[r[0].get('status'), r[0]['body_len']]" "[200, $n]" "64 MiB download"
tu=$(elapsed "$t0" "$t1")
td=$(elapsed "$t1" "$t2")
# 1 GiB is 16 times as much; the paced reader adds 1024 x 50 ms.
projected=$("$PY" -c 'import sys; u, d = map(float, sys.argv[1:]); print("%.0f" % (16 * u + 16 * d + 51.2))' "$tu" "$td")
note "64 MiB: upload $tu s, download $td s; projected 1 GiB both ways: $projected s"
note "VmHWM after 64 MiB each way: $(vmhwm_kb "$TF_PID") kB"
if [ "$projected" -gt 250 ]; then
	skip "machine too slow for 1 GiB each way in the time bound: 64 MiB took $tu s up and $td s down, projecting $projected s (> 250 s)"
fi

# ---------------------------------------------------------------------------
note "1 GiB RPC_IN_DATA upload"
t0=$(now)
upload "$GIB" "$WORK/up.json"
t1=$(now)
want=$(rget "$WORK/up.json" "d['bodies'][0]['sha256']")
rcheck "$WORK/up.json" "r[0].get('status')" 200 "1 GiB upload: status"
rcheck "$WORK/up.json" "[b(0).get('method'), b(0).get('body_len')]" "[\"RPC_IN_DATA\", $GIB]" \
    "1 GiB upload: method and length at the origin"
rcheck "$WORK/up.json" "b(0).get('body_sha256')" "$want" "1 GiB upload: sha256 at the origin"
tf_alive
hwm_up=$(vmhwm_kb "$TF_PID")
note "1 GiB upload: $(elapsed "$t0" "$t1") s; VmHWM $hwm_up kB (limit $limit_kb kB)"
[ "$hwm_up" -lt "$limit_kb" ] || sfail "peak RSS after the 1 GiB upload: $hwm_up kB >= $limit_kb kB"

# ---------------------------------------------------------------------------
note "1 GiB RPC_OUT_DATA download to a reader taking 1 MiB then sleeping 50 ms"
t0=$(now)
download "$GIB" "$WORK/down.json" 1048576:50
t1=$(now)
rcheck "$WORK/down.json" "[r[0].get('status'), r[0]['body_len'], r[0]['complete']]" "[200, $GIB, true]" \
    "1 GiB paced download: status and length"
rcheck "$WORK/down.json" "r[0]['body_sha256']" "$(pattern_sha "$GIB")" "1 GiB paced download: sha256"
rcheck "$WORK/down.json" "h(0, 'x-sha256') == [r[0]['body_sha256']]" true \
    "1 GiB paced download: sha256 against the origin's X-Sha256"
tf_alive
hwm=$(vmhwm_kb "$TF_PID")
note "1 GiB paced download: $(elapsed "$t0" "$t1") s; VmHWM $hwm kB (limit $limit_kb kB)"
[ "$hwm" -lt "$limit_kb" ] || sfail "peak RSS after the 1 GiB download: $hwm kB >= $limit_kb kB"

# The access records count the bytes.
wait_lines "$TF_ACCESS" 4
pycheck '
recs = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
up, down = recs[2], recs[3]
if up["method"] != "RPC_IN_DATA" or up["status"] != 200 or up["bytes_in"] < n:
    sys.exit("upload record: %r %r bytes_in %r" % (up["method"], up["status"], up["bytes_in"]))
if down["method"] != "RPC_OUT_DATA" or down["status"] != 200 or down["bytes_out"] < n:
    sys.exit("download record: %r %r bytes_out %r" % (down["method"], down["status"], down["bytes_out"]))
' "$TF_ACCESS" "$GIB" || sfail "access records of the 1 GiB transfers"

stop_tlsfloor
finish
