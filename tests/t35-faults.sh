#!/bin/sh
# Faults at the edge, with nothing lost:
#  - slowloris: clients that finish the handshake and then dribble a
#    request head are closed by header-timeout while 5 steady clients are
#    served without one failure;
#  - a flood of TLS 1.0 hellos: every one refused with protocol_version and
#    recorded (records = the metric = hellos sent) while the steady
#    clients are served;
#  - uploads cut off mid-body and downloads abandoned mid-response, half
#    with a reset: every connection goes, descriptors come back to their
#    baseline and RSS stays within the free lists' bound;
#  - the origin killed (502s, counted) and started again on its port (200
#    at once: no pooled connection to the dead origin is used, one new one
#    carries both requests), then no client connection left behind.
# Quick sizes by default; TF_FULL=1 gives the sizes of the issue: 250
# slowloris clients, 10,000 hellos, 100 aborted uploads and 100 abandoned
# downloads.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
FAULTS=$TF_SRCDIR/tests/tools/faults.py
LOAD=$TF_SRCDIR/tests/tools/load.py
if [ "${TF_FULL:-0}" = 1 ]; then
	SLOW=250 HELLOS=10000 ABORTS=100
else
	SLOW=40 HELLOS=1000 ABORTS=20
fi
start_origin

mk_conf "$WORK/t35.conf" <<EOF
metrics 127.0.0.1:0
$(edge_listener "header-timeout 2s" "upstream-connect-timeout 3s")
EOF
start_tlsfloor "$WORK/t35.conf"
tf_metrics_url

fds() {
	find "/proc/$TF_PID/fd" -mindepth 1 -maxdepth 1 | wc -l | tr -d ' '
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$TF_PID/status"
}
active() {
	tf_metric 'tlsfloor_connections_active{listener="edge"}'
}
no_client_left() {
	[ "$(active)" = 0 ]
}

# load_start NAME: 5 steady clients (keep-alive, a new connection every
# 5 requests) until load_stop NAME, which fails on any failed request.
load_start() {
	rm -f "$WORK/$1.stop" "$WORK/$1.ready"
	"$PY" "$LOAD" --port "$TF_PORT" --ca "$PKI/ca.pem" --clients 5 \
	    --seconds 300 --stop-file "$WORK/$1.stop" \
	    --ready-file "$WORK/$1.ready" >"$WORK/$1.load.json" 2>&1 &
	eval "LOAD_PID_$1=\$!"
	_track "$!"
	wait_for 10 test -f "$WORK/$1.ready" || fail "$1: load did not start"
}
load_stop() {
	touch "$WORK/$1.stop"
	eval "_lp=\$LOAD_PID_$1"
	wait "$_lp" || fail "$1: load.py failed: $(cat "$WORK/$1.load.json")"
	_untrack "$_lp"
	pycheck '
s = json.load(open(sys.argv[1]))
if s["failed"] or not s["ok"]:
    sys.exit("%d ok, %d failed: %s" % (s["ok"], s["failed"], s["errors"]))
print(s["ok"])' "$WORK/$1.load.json" >"$WORK/$1.ok" ||
	    fail "$1: steady clients failed: $(cat "$WORK/$1.ok")"
	note "$1: $(cat "$WORK/$1.ok") steady requests served, none failed"
}

# ---- slowloris
load_start slow
"$PY" "$FAULTS" slowloris --port "$TF_PORT" --ca "$PKI/ca.pem" \
    --count "$SLOW" --interval 0.5 --seconds 30 >"$WORK/slow.json" ||
    fail "faults.py slowloris failed"
load_stop slow
pycheck '
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
if s["opened"] != n or s["closed_by_server"] != n:
    sys.exit("slowloris: %r" % s)
# header-timeout 2s, checked every turn: well before the 30 s bound.
if s["longest_s"] > 10:
    sys.exit("slowloris: a client lasted %s s" % s["longest_s"])
' "$WORK/slow.json" "$SLOW" || fail "$(cat "$WORK/slow.json")"
note "slowloris: $SLOW clients, each closed by header-timeout: $(cat "$WORK/slow.json")"

# ---- a flood of TLS 1.0 hellos
legacy0=$(nlines "$TF_LEGACY")
load_start flood
"$PY" "$FAULTS" legacy --port "$TF_PORT" --count "$HELLOS" --threads 8 \
    >"$WORK/flood.json" || fail "faults.py legacy failed"
load_stop flood
pycheck '
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
if s["sent"] != n or s["answers"] != {"alert 2 70": n}:
    sys.exit("hellos: %r" % s)
' "$WORK/flood.json" "$HELLOS" || fail "$(cat "$WORK/flood.json")"
recorded() {
	[ "$(($(nlines "$TF_LEGACY") - legacy0))" -eq "$HELLOS" ] &&
	[ "$(tf_metric 'tlsfloor_legacy_clients_total{listener="edge",offered="TLS1.0",action="refused"}')" = "$HELLOS" ]
}
wait_for 10 recorded ||
    fail "$HELLOS hellos refused, $(($(nlines "$TF_LEGACY") - legacy0)) recorded"
note "TLS 1.0 hellos: $HELLOS refused, $HELLOS recorded"

# ---- uploads cut off, downloads abandoned
# The baseline: after the steady clients, whose upstream connections may
# wait in the pool, and whose buffers are in the free lists.
wait_for 10 no_client_left || fail "$(active) client connections still open"
fd0=$(fds)
rss0=$(rss_kb)
"$PY" "$FAULTS" abort --port "$TF_PORT" --ca "$PKI/ca.pem" \
    --uploads "$ABORTS" --downloads "$ABORTS" >"$WORK/abort.json" ||
    fail "faults.py abort failed"
pycheck '
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
if s["uploads"] != n or s["downloads"] != n or s["failed"]:
    sys.exit("aborts: %r" % s)
' "$WORK/abort.json" "$ABORTS" || fail "$(cat "$WORK/abort.json")"
note "aborted: $ABORTS uploads mid-body, $ABORTS downloads mid-response"
wait_for 20 no_client_left ||
    fail "$(active) client connections still open after the aborts"
# The upstream legs of the abandoned exchanges go too (none is clean
# enough for the pool); a worker may have pooled one of its own.
fds_back() {
	[ "$(fds)" -le $((fd0 + ${TF_WORKERS:-1})) ]
}
wait_for 20 fds_back ||
    fail "$(fds) descriptors open after the aborts, $fd0 before"
rss1=$(rss_kb)
note "RSS ${rss0} kB before, ${rss1} kB after; descriptors $fd0 before, $(fds) after"
# Buffers go back to the workers' free lists, which keep at most 4 MiB
# of each of their 4 block sizes (proxy/shard.c); what peers sent never
# makes them grow past that.
[ "$rss1" -le $((rss0 + 16384 * ${TF_WORKERS:-1})) ] ||
    fail "RSS grew from ${rss0} kB to ${rss1} kB"

# ---- the origin dies and comes back
# code URL...: the status of each URL, one a line.
code() {
	_args=
	for _u; do
		_args="$_args -o /dev/null $_u"
	done
	# shellcheck disable=SC2086
	curl_tf -w '%{http_code}\n' $_args || true
}
keep_alive_ok=$(code "$TF_URL/echo")
assert_eq "$keep_alive_ok" 200 "before the origin dies"
e0=$(tf_metric_sum tlsfloor_upstream_errors_total)
stop_pid "$ORIGIN_PID" || true
_untrack "$ORIGIN_PID"
assert_eq "$(code "$TF_URL/echo")" 502 "a new client, the origin down"
assert_eq "$(code "$TF_URL/echo" "$TF_URL/echo" | tr '\n' ' ')" \
    "502 502 " "two more requests, the origin down"
[ "$(tf_metric_sum tlsfloor_upstream_errors_total)" -ge $((e0 + 3)) ] ||
    fail "502s not counted as upstream errors"
port=$ORIGIN_PORT
start_origin --listen "127.0.0.1:$port"
assert_eq "$ORIGIN_PORT" "$port" "the origin's port after its restart"
h0=$(origin_stats handshakes)
assert_eq "$(code "$TF_URL/echo" "$TF_URL/echo" | tr '\n' ' ')" \
    "200 200 " "the origin back"
# One new upstream connection, kept for both requests.
assert_eq "$(($(origin_stats handshakes) - h0))" 2 \
    "handshakes at the origin (one from the gateway, one from origin_stats)"
wait_for 10 no_client_left ||
    fail "$(active) client connections still open at the end"
tf_alive
stop_tlsfloor
