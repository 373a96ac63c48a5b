#!/bin/sh
# Soak: a mixed run with everything at once, sampling the daemon's RSS and
# descriptors as it goes:
#  - 6 keep-alive clients (50 requests a connection) and 4 clients that
#    make a new connection for every request;
#  - 2 clients downloading 1 MiB responses, and uploads of 2 MiB checked
#    by their sha256 at the origin;
#  - TLS 1.0 hellos in batches of 200, every one refused and recorded;
#  - a reload every RELOAD seconds.
# Nothing may fail (every request answered 2xx, every upload intact,
# every hello refused and recorded, every reload ok), RSS after the
# warm-up may not grow past the free lists' bound, and once the clients
# are gone the descriptors are back to their baseline.
# Quick by default (24 s, a sample every 3 s); TF_SOAK_SECONDS=600 is the
# 10-minute run (a sample every 10 s, a reload every 30 s), with its
# samples in the log as a table.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
FAULTS=$TF_SRCDIR/tests/tools/faults.py
LOAD=$TF_SRCDIR/tests/tools/load.py
SECS=${TF_SOAK_SECONDS:-24}
if [ "$SECS" -ge 120 ]; then
	EVERY=10 RELOAD=30
else
	EVERY=3 RELOAD=6
fi
start_origin

# write_conf N: the configuration of generation N (idle-timeout differs).
write_conf() {
	mk_conf "$WORK/t36.conf" <<EOF
metrics 127.0.0.1:0
$(edge_listener "idle-timeout $((60 + $1 % 2))s")
EOF
}
write_conf 0
start_tlsfloor "$WORK/t36.conf"
tf_metrics_url

fds() {
	find "/proc/$TF_PID/fd" -mindepth 1 -maxdepth 1 | wc -l | tr -d ' '
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$TF_PID/status"
}
no_client_left() {
	[ "$(tf_metric 'tlsfloor_connections_active{listener="edge"}')" = 0 ]
}

fd0=$(fds)
rss0=$(rss_kb)
legacy0=$(nlines "$TF_LEGACY")
STOP=$WORK/stop
end=$(($(date +%s) + SECS))

# load NAME ARGS...: a load.py in the background until $STOP.
load() {
	_name=$1
	shift
	"$PY" "$LOAD" --port "$TF_PORT" --ca "$PKI/ca.pem" \
	    --seconds "$((SECS + 60))" --stop-file "$STOP" "$@" \
	    >"$WORK/$_name.json" 2>&1 &
	_track "$!"
	LOAD_PIDS="$LOAD_PIDS $!"
}
LOAD_PIDS=
load keepalive --clients 6 --per-conn 50
load newconn --clients 4 --per-conn 1
load bulk --clients 2 --per-conn 5 --path /bytes/1048576

# Uploads, one at a time, each checked at the origin.
head -c 2097152 /dev/urandom >"$WORK/up.bin"
up_sum=$(sha256sum "$WORK/up.bin" | cut -d' ' -f1)
(
	n=0 bad=0
	while [ ! -e "$STOP" ] && [ "$(date +%s)" -lt "$end" ]; do
		got=$(curl_tf --data-binary "@$WORK/up.bin" "$TF_URL/sha256" |
		    jget "d['sha256']") || got=
		n=$((n + 1))
		[ "$got" = "$up_sum" ] || bad=$((bad + 1))
	done
	echo "$n $bad" >"$WORK/uploads"
) &
UP_PID=$!
_track "$UP_PID"

# Legacy hellos in batches, each batch's answers kept.
(
	i=0
	while [ ! -e "$STOP" ] && [ "$(date +%s)" -lt "$end" ]; do
		"$PY" "$FAULTS" legacy --port "$TF_PORT" --count 200 \
		    --threads 2 >"$WORK/hellos.$i.json" || exit 1
		i=$((i + 1))
	done
) &
HELLO_PID=$!
_track "$HELLO_PID"

# Samples and reloads until the end.
gen=0 reloads=0
last_reload=$(date +%s)
printf 'second rss_kb fds active\n' >"$WORK/samples"
t0=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
	tf_alive
	printf '%s %s %s %s\n' "$(($(date +%s) - t0))" "$(rss_kb)" "$(fds)" \
	    "$(tf_metric 'tlsfloor_connections_active{listener="edge"}')" \
	    >>"$WORK/samples"
	if [ $(($(date +%s) - last_reload)) -ge "$RELOAD" ]; then
		gen=$((gen + 1))
		write_conf "$gen"
		tf_reload || fail "reload $gen failed: $(tail -n 1 "$TF_ERRLOG")"
		reloads=$((reloads + 1))
		last_reload=$(date +%s)
	fi
	sleep "$EVERY"
done
touch "$STOP"
for p in $LOAD_PIDS; do
	wait "$p" || fail "load.py failed"
	_untrack "$p"
done
wait "$UP_PID" || fail "the upload loop failed"
_untrack "$UP_PID"
wait "$HELLO_PID" || fail "faults.py legacy failed"
_untrack "$HELLO_PID"

note "samples (second, RSS kB, descriptors, active connections):"
while read -r line; do
	note "  $line"
done <"$WORK/samples"

# Every request answered.
for name in keepalive newconn bulk; do
	pycheck '
s = json.load(open(sys.argv[1]))
if s["failed"] or not s["ok"]:
    sys.exit("%d ok, %d failed: %s" % (s["ok"], s["failed"], s["errors"]))
print("%d requests on %d connections" % (s["ok"], s["connections"]))
' "$WORK/$name.json" >"$WORK/$name.ok" ||
	    fail "$name: $(cat "$WORK/$name.ok")"
	note "$name: $(cat "$WORK/$name.ok"), none failed"
done
read -r uploads bad <"$WORK/uploads"
assert_eq "$bad" 0 "uploads that did not arrive intact (of $uploads)"
[ "$uploads" -gt 0 ] || fail "no upload finished"
note "uploads: $uploads of 2 MiB, all intact"

# Every hello refused and recorded.
hellos=$(pycheck '
n = 0
for f in sys.argv[1:]:
    s = json.load(open(f))
    if s["answers"] != {"alert 2 70": s["sent"]}:
        sys.exit("hellos: %r" % s)
    n += s["sent"]
print(n)' "$WORK"/hellos.*.json) || fail "$hellos"
recorded() {
	[ "$(($(nlines "$TF_LEGACY") - legacy0))" -eq "$hellos" ]
}
wait_for 10 recorded ||
    fail "$hellos hellos refused, $(($(nlines "$TF_LEGACY") - legacy0)) recorded"
note "TLS 1.0 hellos: $hellos refused, $hellos recorded"
assert_eq "$(tf_metric_sum tlsfloor_log_records_lost_total)" 0 "records lost"
[ "$reloads" -ge 2 ] || fail "only $reloads reloads"
note "reloads: $reloads, all ok"

# Flat after the warm-up (the first third of the samples). RSS: the free
# lists keep at most 4 MiB of each of 4 block sizes per worker
# (proxy/shard.c); beyond that, what is held is what is in flight.
# Descriptors: 16 clients at once, each with at most a client and an
# upstream connection, and as many parked upstream legs (a reload closes
# those of the old generation).
pycheck '
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
rss = [int(r[1]) for r in rows]
fds = [int(r[2]) for r in rows]
third = max(1, len(rows) // 3)
warm, late = max(rss[:third]), max(rss[third:] or rss)
fwarm, flate = max(fds[:third]), max(fds[third:] or fds)
print("RSS %d kB at the start, %d kB peak in the warm-up, %d kB peak after;"
      " descriptors %d, %d, %d" % (rss[0], warm, late, fds[0], fwarm, flate))
if late > warm + 16384 * int(sys.argv[2]):
    sys.exit("RSS grew after the warm-up: %d kB, %d kB before" % (late, warm))
if flate > fwarm + 32:
    sys.exit("descriptors grew after the warm-up: %d, %d before"
             % (flate, fwarm))
' "$WORK/samples" "${TF_WORKERS:-1}" >"$WORK/flat" || fail "$(cat "$WORK/flat")"
note "$(cat "$WORK/flat")"

# Descriptors back to the baseline once the clients are gone and the
# pooled upstream legs have been idle for 30 s (proxy/shard.c).
wait_for 20 no_client_left || fail "client connections still open"
fds_back() {
	[ "$(fds)" -le "$fd0" ]
}
wait_for 45 fds_back || fail "$(fds) descriptors open at the end, $fd0 before"
note "descriptors: $fd0 before, $(fds) after; RSS $rss0 kB before, $(rss_kb) kB after"
tf_alive
stop_tlsfloor
