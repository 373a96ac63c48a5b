#!/bin/sh
# Timeouts: each one cuts what it should, and nothing that is still moving.
#  - header-timeout 1s: a client that completes the handshake and sends
#    nothing, and a slowloris head (a byte every 200 ms, never complete; on
#    a fresh connection and as the second request of a keep-alive one) are
#    closed within a bounded time, and nothing reaches the origin;
#  - idle-timeout 1s: a keep-alive connection survives 0.5 s of idleness
#    and is closed after 1 s of it;
#  - long polls (ActiveSync Ping, GET and POST /slow/2500) outlive both;
#  - a download with 1.5 s pauses and an upload with 1.5 s pauses (longer
#    than idle-timeout and header-timeout) complete intact;
#  - upstream-timeout 1s: a silent origin (/silent) gets 504 and an
#    error-log line; a download whose gaps (0.6 s) are shorter than
#    upstream-timeout but whose total is longer completes, and so does an
#    upload that keeps moving for longer than upstream-timeout (the origin
#    cannot answer before the body has arrived: that is not upstream
#    silence);
#  - upstream unreachable (refused): 502 and an error-log line;
#  - upstream-connect-timeout 1s against a listener that never speaks TLS:
#    502 within a bounded time and an error-log line.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
# shellcheck source-path=SCRIPTDIR source=lib-http.sh
. "$TF_SRCDIR/tests/lib-http.sh"
start_origin

# An upstream that accepts TCP (the kernel does) but never speaks TLS.
listen_silent 300
bh_port=$SILENT_PORT
dead=$(dead_port)

mk_conf "$WORK/t14.conf" <<EOF2
listener timers {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
    header-timeout 1s
    idle-timeout 1s
}
listener upto {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
    upstream-timeout 1s
}
listener dead {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     127.0.0.1:$dead
    upstream-ca  @PKI@/ca.pem
}
listener blackhole {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     127.0.0.1:$bh_port
    upstream-ca  @PKI@/ca.pem
    upstream-connect-timeout 1s
}
EOF2
start_tlsfloor "$WORK/t14.conf"
p_timers=$TF_PORT
# shellcheck disable=SC2153
p_upto=$TF_PORT2
# shellcheck disable=SC2153
p_dead=$TF_PORT3
# shellcheck disable=SC2153
p_bh=$TF_PORT4

# within X LO HI: true when LO <= X <= HI (decimals).
within() {
	"$PY" -c 'import sys; x, lo, hi = map(float, sys.argv[1:]); sys.exit(not lo <= x <= hi)' \
	    "$1" "$2" "$3"
}

# curl_port PORT ARGS...: curl_tf to another listener.
curl_port() {
	_p=$1
	shift
	curl -sS --max-time 30 --cacert "$PKI/ca.pem" \
	    --resolve "$HOSTNAME_TF:$_p:127.0.0.1" "$@"
}

# ---------------------------------------------------------------------------
note "header-timeout 1s"

n0=$(origin_log_total)
raw "$WORK/quiet.json" -p "$p_timers" -t 8 rest:8
rcheck "$WORK/quiet.json" "d['end']" closed "a client that sends nothing after the handshake is closed"
t=$(rget "$WORK/quiet.json" "d['t_end']")
within "$t" 0.8 3.5 || sfail "a client that sends nothing was closed after $t s (header-timeout 1s; expected 0.8-3.5 s)"
note "silent client closed after $t s"

pad=$("$PY" -c 'print("a" * 150)')
raw "$WORK/loris.json" -p "$p_timers" -t 8 drip:200 \
    "send:GET /echo/slowloris HTTP/1.1\\r\\n${H}X-Pad: $pad\\r\\n\\r\\n"
rcheck "$WORK/loris.json" "d['end']" closed "slowloris head (1 byte / 200 ms) is cut"
rcheck "$WORK/loris.json" "r[0].get('status') in (None, 408)" true \
    "slowloris: no answer other than 408"
t=$(rget "$WORK/loris.json" "d['t_end']")
within "$t" 0.8 3.5 || sfail "slowloris head closed after $t s (header-timeout 1s; expected 0.8-3.5 s)"
note "slowloris closed after $t s, $(rget "$WORK/loris.json" "d['send_error']")"

# The second head on a keep-alive connection has the same bound.
raw "$WORK/loris2.json" -p "$p_timers" -t 8 \
    "send:GET /echo/first HTTP/1.1\\r\\n${H}\\r\\n" resp drip:200 \
    "send:GET /echo/slowloris-2 HTTP/1.1\\r\\n${H}X-Pad: $pad\\r\\n\\r\\n"
rcheck "$WORK/loris2.json" "[r[0].get('status'), d['end']]" '[200, "closed"]' \
    "slowloris as the second request of a connection is cut"
t=$(rget "$WORK/loris2.json" "d['t_end'] - r[0]['t']")
within "$t" 0.8 3.5 || sfail "second-request slowloris closed $t s after the first response (expected 0.8-3.5 s)"
seen=$(origin_log_since "$n0")
check "$(echo "$seen" | sed 's/ (conn [0-9]*)$//' | tr '\n' '|')" 'GET /echo/first HTTP/1.1|' \
    "requests at the origin during the header-timeout checks"

# ---------------------------------------------------------------------------
note "idle-timeout 1s"

raw "$WORK/idle.json" -p "$p_timers" -t 8 \
    "send:GET /echo/idle-1 HTTP/1.1\\r\\n${H}\\r\\n" resp pause:500 \
    "send:GET /echo/idle-2 HTTP/1.1\\r\\n${H}\\r\\n" resp rest:8
rcheck "$WORK/idle.json" "[r[0].get('status'), r[1].get('status'), d['end']]" '[200, 200, "closed"]' \
    "keep-alive survives 0.5 s idle, then is closed"
t=$(rget "$WORK/idle.json" "d['t_end'] - r[1]['t']")
within "$t" 0.8 3.5 || sfail "idle keep-alive connection closed $t s after the last response (idle-timeout 1s; expected 0.8-3.5 s)"
note "idle connection closed $t s after its last response"

# ---------------------------------------------------------------------------
note "long polls and slow transfers outlive header-timeout and idle-timeout"

out=$(curl_port "$p_timers" -o "$WORK/lp.body" -w '%{http_code} %{time_total}' \
    "https://$HOSTNAME_TF:$p_timers/slow/2500") || sfail "GET long poll /slow/2500 failed"
check "${out% *}" 200 "GET long poll status"
check "$(cat "$WORK/lp.body")" "slow done" "GET long poll body"
within "${out#* }" 2.4 10 || sfail "GET long poll took ${out#* } s, expected about 2.5 s"
note "GET long poll: ${out% *} after ${out#* } s"

# ActiveSync Ping: a small body, then the server holds the request.
out=$(curl_port "$p_timers" -H 'Content-Type: application/vnd.ms-sync.wbxml' \
    --data-binary '<Ping><HeartbeatInterval>2</HeartbeatInterval></Ping>' \
    -o "$WORK/lp.body" -w '%{http_code}' "https://$HOSTNAME_TF:$p_timers/slow/2500?Cmd=Ping") ||
    sfail "POST long poll failed"
check "$out" 200 "POST long poll (Ping) status"
check "$(cat "$WORK/lp.body")" "slow done" "POST long poll body"

n=300000
raw "$WORK/sdown.json" -p "$p_timers" -t 8 \
    "send:GET /stream/$n?pause=1500&piece=100000 HTTP/1.1\\r\\n${H}\\r\\n" resp
rcheck "$WORK/sdown.json" "[r[0].get('status'), r[0]['body_len'], r[0]['body_sha256']]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" "download with 1.5 s pauses (idle-timeout 1s)"
note "download with pauses took $(rget "$WORK/sdown.json" "r[0]['t']") s"

raw "$WORK/sup.json" -p "$p_timers" -t 8 \
    "send:PUT /sha256 HTTP/1.1\\r\\n${H}Content-Length: $n\\r\\n\\r\\n" \
    body:100000 pause:1500 body:100000 pause:1500 body:100000 resp
rcheck "$WORK/sup.json" "[r[0].get('status'), b(0).get('len'), b(0).get('sha256')]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" "upload with 1.5 s pauses (idle-timeout, header-timeout 1s)"

# ---------------------------------------------------------------------------
note "upstream-timeout 1s"

mark=$(log_mark)
out=$(curl_port "$p_upto" -o "$WORK/silent.body" -w '%{http_code} %{time_total}' \
    "https://$HOSTNAME_TF:$p_upto/silent") || sfail "request to a silent origin failed"
check "${out% *}" 504 "silent origin past upstream-timeout: status"
within "${out#* }" 0.8 5 || sfail "504 after ${out#* } s (upstream-timeout 1s; expected 0.8-5 s)"
note "silent origin: ${out% *} after ${out#* } s: $(cat "$WORK/silent.body")"
wait_for 5 sh -c "tail -n +$((mark + 1)) '$TF_ERRLOG' | grep -q 'upstream localhost:$ORIGIN_PORT: .*time'" ||
    sfail "no error-log line about the upstream timing out"
log_since "$mark" | grep 'upstream localhost' | sed 's/^/# error log: /'

out=$(curl_port "$p_upto" -o /dev/null -w '%{http_code}' "https://$HOSTNAME_TF:$p_upto/slow/500") ||
    sfail "/slow/500 under upstream-timeout 1s failed"
check "$out" 200 "a 0.5 s wait under upstream-timeout 1s"

n=400000
raw "$WORK/udown.json" -p "$p_upto" -t 8 \
    "send:GET /stream/$n?pause=600&piece=100000 HTTP/1.1\\r\\n${H}\\r\\n" resp
rcheck "$WORK/udown.json" "[r[0].get('status'), r[0]['body_len'], r[0]['body_sha256']]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" \
    "download with 0.6 s gaps, 1.8 s in all (upstream-timeout 1s is inactivity, not total)"

raw "$WORK/uup.json" -p "$p_upto" -t 8 \
    "send:RPC_IN_DATA /echo/rpc-in HTTP/1.1\\r\\n${H}Content-Length: $n\\r\\n\\r\\n" \
    body:100000 pause:600 body:100000 pause:600 body:100000 pause:600 body:100000 resp
rcheck "$WORK/uup.json" "[r[0].get('status'), b(0).get('body_len'), b(0).get('body_sha256')]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" \
    "upload moving for 1.8 s (0.6 s gaps) under upstream-timeout 1s, the origin answering once it has the body"

# ---------------------------------------------------------------------------
note "upstream unreachable and upstream-connect-timeout"

mark=$(log_mark)
out=$(curl_port "$p_dead" -o "$WORK/dead.body" -w '%{http_code} %{time_total}' \
    "https://$HOSTNAME_TF:$p_dead/echo") || sfail "request to the dead upstream's listener failed"
check "${out% *}" 502 "upstream refusing connections: status"
wait_for 5 sh -c "tail -n +$((mark + 1)) '$TF_ERRLOG' | grep -q 'upstream 127.0.0.1:$dead: '" ||
    sfail "no error-log line naming the unreachable upstream"
log_since "$mark" | grep "upstream 127.0.0.1:$dead" | sed 's/^/# error log: /'

mark=$(log_mark)
out=$(curl_port "$p_bh" -o /dev/null -w '%{http_code} %{time_total}' \
    "https://$HOSTNAME_TF:$p_bh/echo") || sfail "request to the blackhole upstream's listener failed"
check "${out% *}" 502 "upstream never speaking TLS, upstream-connect-timeout 1s: status"
within "${out#* }" 0.8 5 || sfail "502 after ${out#* } s (upstream-connect-timeout 1s; expected 0.8-5 s)"
note "blackhole upstream: 502 after ${out#* } s"
wait_for 5 sh -c "tail -n +$((mark + 1)) '$TF_ERRLOG' | grep -q 'upstream 127.0.0.1:$bh_port: .*timed out'" ||
    sfail "no error-log line about the connect timeout"
log_since "$mark" | grep "upstream 127.0.0.1:$bh_port" | sed 's/^/# error log: /'

# The access log has the 504 and the two 502s.
wait_for 5 grep -q '"status":504' "$TF_ACCESS" || sfail "no access record with status 504"
n502=$(grep -c '"status":502' "$TF_ACCESS" || true)
[ "$n502" -ge 2 ] || sfail "access records with status 502: $n502, expected 2"

tf_alive
stop_tlsfloor
finish
