#!/bin/sh
# A reload that moves the metrics server to a port another socket holds
# fails as a whole: "config reload failed: FILE:LINE: metrics ...", counted
# as failed, and both the old configuration (its TLS floor) and the old
# metrics server go on serving. A reload that keeps the address keeps the
# running server; one to a free address opens it there and closes the old.
# At start-up, a taken metrics port exits 1 naming FILE:LINE.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
mk_pki
DEAD_PORT=$(dead_port)

CONF=$WORK/t27.conf
# write_conf METRICS-ADDR FLOOR
write_conf() {
	mk_conf "$CONF" <<EOF2
metrics 127.0.0.1:$1
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    min-tls      $2
    upstream     127.0.0.1:$DEAD_PORT
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
}

# hup: SIGHUP, then wait for its outcome line; sets HUP to ok or failed
# and keeps the line in $WORK/hup.last.
hup() {
	_n0=$(grep -c 'reloaded: generation\|config reload failed' \
	    "$TF_ERRLOG" || true)
	kill -HUP "$TF_PID"
	wait_for 10 _hup_done "$_n0" || fail "no reload outcome in 10 s"
	tf_alive
	if grep -q 'config reload failed' "$WORK/hup.last"; then
		HUP=failed
	else
		HUP=ok
	fi
}
_hup_done() {
	grep 'reloaded: generation\|config reload failed' "$TF_ERRLOG" |
	    tail -n "+$(($1 + 1))" >"$WORK/hup.last" || true
	[ -s "$WORK/hup.last" ]
}

# metrics_ports: every port a "metrics: listening on" line announced.
metrics_ports() {
	sed -n 's/.*\] metrics: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    "$TF_ERRLOG"
}

# metric PORT NAME: the value of one sample on the server at PORT.
metric() {
	curl -sS --max-time 10 "http://127.0.0.1:$1/metrics" |
	    awk -v m="$2" '$1 == m { print $2 }'
}

# healthz PORT: prints the status and body on one line ("200 ok"), or
# "refused" when nothing answers there.
healthz() {
	if curl -sS --max-time 10 -o "$WORK/healthz.body" \
	    -w '%{http_code}' "http://127.0.0.1:$1/healthz" \
	    >"$WORK/healthz.code" 2>/dev/null; then
		echo "$(cat "$WORK/healthz.code") $(cat "$WORK/healthz.body")"
	else
		echo refused
	fi
}

# check_counts PORT OK FAILED GENERATION WHAT
check_counts() {
	assert_eq \
	    "$(metric "$1" 'tlsfloor_config_reloads_total{result="ok"}')" \
	    "$2" "$5: reloads ok"
	assert_eq \
	    "$(metric "$1" 'tlsfloor_config_reloads_total{result="failed"}')" \
	    "$3" "$5: reloads failed"
	assert_eq "$(metric "$1" tlsfloor_config_generation)" "$4" \
	    "$5: generation"
}

tls12_accepted() {
	s_client -tls1_2 -brief 2>&1 | grep -q 'Protocol version: TLSv1.2'
}

write_conf 0 1.2
start_tlsfloor "$CONF"
wait_for 10 test -n "$(metrics_ports)" || fail "no metrics port announced"
M_PORT=$(metrics_ports)
assert_match "$M_PORT" '^[1-9][0-9]*$' "metrics port"
assert_eq "$(healthz "$M_PORT")" "200 ok" "/healthz at start"
check_counts "$M_PORT" 0 0 1 "at start"
tls12_accepted || fail "TLS 1.2 refused at start"

# The same address: the running server stays (no new port, no new line).
hup
assert_eq "$HUP" ok "reload keeping the metrics address"
assert_eq "$(metrics_ports)" "$M_PORT" \
    "metrics ports after a same-address reload"
check_counts "$M_PORT" 1 0 2 "after a same-address reload"

# A port another socket holds, in a file that would also raise the floor.
listen_silent 60
write_conf "$SILENT_PORT" 1.3
"$TF_BIN" -t -c "$CONF" >/dev/null || fail "-t rejects the port-taken file"
hup
assert_eq "$HUP" failed "reload to a taken metrics port"
m_line=$(grep -n '^metrics ' "$CONF" | cut -d: -f1)
m_err="$CONF:$m_line: metrics 127.0.0.1:$SILENT_PORT: address already in use"
grep -qF "config reload failed: $m_err" "$WORK/hup.last" ||
    fail "taken metrics port: $(cat "$WORK/hup.last")"
note "$m_err"
assert_eq "$(healthz "$M_PORT")" "200 ok" \
    "/healthz on the old address after the failed reload"
check_counts "$M_PORT" 1 1 2 "after the failed reload"
tls12_accepted || fail "the failed reload raised the floor"
assert_eq "$(metrics_ports)" "$M_PORT" \
    "metrics ports after the failed reload"

# A free address: the new server answers there and the old one is closed.
stop_pid "$SILENT_PID" || true
NEW_PORT=$(dead_port)
write_conf "$NEW_PORT" 1.2
hup
assert_eq "$HUP" ok "reload to a free metrics port"
_announced() {
	metrics_ports | grep -qx "$NEW_PORT"
}
wait_for 5 _announced ||
    fail "no 'metrics: listening on 127.0.0.1:$NEW_PORT'"
assert_eq "$(healthz "$NEW_PORT")" "200 ok" "/healthz on the new address"
check_counts "$NEW_PORT" 2 1 3 "after moving the metrics server"
_old_closed() {
	[ "$(healthz "$M_PORT")" = refused ]
}
wait_for 5 _old_closed ||
    fail "the old metrics address still answers: $(healthz "$M_PORT")"
stop_tlsfloor

# Start-up on a taken metrics port: exit 1 with FILE:LINE on stderr. Its
# [alert] goes to a log of its own, which teardown does not scan.
listen_silent 60
write_conf "$SILENT_PORT" 1.2
sed -i "s|^error-log .*|error-log $WORK/startup.log|" "$CONF"
run_cmd -s 1 timeout 10 "$TF_BIN" -c "$CONF"
m_err="$CONF:$m_line: metrics 127.0.0.1:$SILENT_PORT: address already in use"
assert_eq "$(head -n 1 "$CMD_ERR")" "tlsfloor: $m_err" \
    "start-up on a taken port"
stop_pid "$SILENT_PID" || true
