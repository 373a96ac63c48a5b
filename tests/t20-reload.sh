#!/bin/sh
# SIGHUP reload. A good reload applies a raised floor and a renewed
# certificate while a 3-second request in flight completes, and 20
# clients doing steady requests across 10 reloads see no failure. A bad
# reload (syntax error, unreadable key, corrupted, truncated or mismatched
# certificate, port taken) keeps the old floor and certificate and is
# counted as failed. -t and SIGHUP agree on every file.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

# A renewed certificate for the same names, from the test CA.
renew_cert() {
	"$OPENSSL" req -new -newkey rsa:2048 -nodes -subj "/CN=$HOSTNAME_TF" \
	    -keyout "$WORK/renewed.key" -out "$WORK/renewed.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s,DNS:*.contoso.test\n' "$HOSTNAME_TF" \
	    >"$WORK/renewed.ext"
	"$OPENSSL" x509 -req -in "$WORK/renewed.csr" -CA "$PKI/ca.pem" \
	    -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
	    -extfile "$WORK/renewed.ext" -out "$WORK/renewed.pem" 2>/dev/null
	cat "$PKI/ca.pem" >>"$WORK/renewed.pem"
}
renew_cert

CONF=$WORK/t20.conf
# write_conf FLOOR CERT KEY [EXTRA-LISTENER-LINE]
write_conf() {
	mk_conf "$CONF" <<EOF2
metrics 127.0.0.1:0
listener edge {
    bind         127.0.0.1:0
    cert         $2 $3
    min-tls      $1
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
    ${4:-}
}
EOF2
}

gen=1
# hup: SIGHUP, then wait for its outcome line; sets HUP to ok or failed.
hup() {
	if tf_reload; then
		gen=$((gen + 1))
		HUP=ok
	else
		HUP=failed
	fi
}

metric() {
	curl -sS --max-time 10 "http://127.0.0.1:$METRICS_PORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}

# served_serial: the serial of the certificate the gateway serves.
served_serial() {
	s_client -tls1_3 2>/dev/null | "$OPENSSL" x509 -noout -serial
}

tls12_refused() {
	s_client -tls1_2 2>&1 | grep -q "alert protocol version"
}

write_conf 1.2 "@PKI@/gateway-rsa.pem" "@PKI@/gateway-rsa.key"
start_tlsfloor "$CONF"
METRICS_PORT=$(sed -n 's/.*metrics: listening on .*:\([0-9]*\)$/\1/p' "$TF_ERRLOG")
[ -n "$METRICS_PORT" ] || fail "no metrics port announced"
old_serial=$(served_serial)
new_serial=$("$OPENSSL" x509 -noout -serial -in "$WORK/renewed.pem")
tls12_refused && fail "TLS 1.2 refused before the floor was raised"
assert_eq "$(metric tlsfloor_config_generation)" 1 "generation at start"

# _arrived PATH: the origin has the request line (it logs requests as they
# arrive at /log, and in its stderr only when they end).
_arrived() {
	curl_origin "$ORIGIN_URL/log" |
	    jget "'$1' in [e['path'] for e in d['requests']]" | grep -q true
}

# A 3-second request in flight across the reload.
curl_tf -o "$WORK/slow.body" -w '%{http_code}' "$TF_URL/slow/3000" \
    >"$WORK/slow.code" 2>"$WORK/slow.err" &
slow_pid=$!
_track "$slow_pid"
wait_for 5 _arrived /slow/3000 || fail "slow request did not start"

# Good reload: floor 1.3, renewed certificate.
write_conf 1.3 "$WORK/renewed.pem" "$WORK/renewed.key"
"$TF_BIN" -t -c "$CONF" >/dev/null || fail "-t rejects the good file"
hup; assert_eq "$HUP" ok "good reload"
tls12_refused || fail "TLS 1.2 still accepted after min-tls 1.3"
assert_eq "$(tail -n 1 "$TF_LEGACY" | jget "d['offered_max']")" TLS1.2 \
    "record of the refused TLS 1.2 client"
assert_eq "$(served_serial)" "$new_serial" "served certificate after reload"
wait "$slow_pid" || fail "slow request failed: $(cat "$WORK/slow.err")"
_untrack "$slow_pid"
assert_eq "$(cat "$WORK/slow.code")" 200 "3-second request across the reload"
assert_eq "$(cat "$WORK/slow.body")" "slow done" "its body"

# Bad reloads: the old floor and certificate stay.
failed0=$(metric 'tlsfloor_config_reloads_total{result="failed"}')
check_bad() {
	_what=$1
	run_cmd -s 1 "$TF_BIN" -t -c "$CONF"
	_t_err=$(sed -n '1s/^tlsfloor: //p' "$CMD_ERR")
	hup; assert_eq "$HUP" failed "$_what: reload"
	_h_err=$(tail -n 1 "$WORK/reload.last" | sed 's/.*config reload failed: //')
	assert_eq "$_h_err" "$_t_err" "$_what: -t and SIGHUP say the same"
	tls12_refused || fail "$_what: the raised floor was lost"
	assert_eq "$(served_serial)" "$new_serial" "$_what: certificate"
	note "$_what: $_h_err"
}
write_conf 1.2 "$WORK/renewed.pem" "$WORK/renewed.key" "bogus-directive 1"
check_bad "syntax error"
write_conf 1.2 "$WORK/renewed.pem" "$WORK/no-such.key"
check_bad "unreadable key"
# Malformed certificates: a corrupted body, a file cut in half, a
# certificate for another key.
sed '5s/./#/g' "$WORK/renewed.pem" >"$WORK/corrupt.pem"
write_conf 1.2 "$WORK/corrupt.pem" "$WORK/renewed.key"
check_bad "corrupted certificate"
head -c "$(($(wc -c <"$WORK/renewed.pem") / 2))" "$WORK/renewed.pem" \
    >"$WORK/truncated.pem"
write_conf 1.2 "$WORK/truncated.pem" "$WORK/renewed.key"
check_bad "truncated certificate"
write_conf 1.2 "$PKI/origin.pem" "$WORK/renewed.key"
check_bad "certificate of another key"
# A port another socket holds (without SO_REUSEPORT).
listen_silent 60
write_conf 1.2 "$WORK/renewed.pem" "$WORK/renewed.key" \
    "bind 127.0.0.1:$SILENT_PORT"
# -t checks the file, not the network: it passes; SIGHUP cannot bind.
"$TF_BIN" -t -c "$CONF" >/dev/null || fail "-t rejects the port-taken file"
hup; assert_eq "$HUP" failed "port taken: reload"
grep -q "config reload failed: .*:[0-9]*: bind 127.0.0.1:.*Address already in use" \
    "$WORK/reload.last" || fail "port taken: $(tail -n 1 "$WORK/reload.last")"
tls12_refused || fail "port taken: the raised floor was lost"
stop_pid "$SILENT_PID" || true
failed1=$(metric 'tlsfloor_config_reloads_total{result="failed"}')
assert_eq "$((failed1 - failed0))" 6 "failed reloads counted"
assert_eq "$(metric tlsfloor_config_generation)" "$gen" "generation after bad reloads"

# 20 clients with steady requests across 10 reloads.
write_conf 1.2 "$WORK/renewed.pem" "$WORK/renewed.key"
"$PY" "$TF_SRCDIR/tests/tools/load.py" --port "$TF_PORT" --ca "$PKI/ca.pem" \
    --clients 20 --per-conn 5 --seconds 120 --stop-file "$WORK/stop" \
    --ready-file "$WORK/ready" >"$WORK/load.json" 2>"$WORK/load.err" &
load_pid=$!
_track "$load_pid"
wait_for 10 test -e "$WORK/ready" || fail "load did not start"
_more_requests() {
	[ "$(metric 'tlsfloor_requests_total{listener="edge",code="2xx"}')" -ge $(($1 + $2)) ]
}
i=0
while [ "$i" -lt 10 ]; do
	# Alternate a real change so every generation differs.
	if [ $((i % 2)) -eq 0 ]; then
		write_conf 1.2 "$WORK/renewed.pem" "$WORK/renewed.key" "idle-timeout 61s"
	else
		write_conf 1.2 "$WORK/renewed.pem" "$WORK/renewed.key" "idle-timeout 62s"
	fi
	hup; assert_eq "$HUP" ok "reload $((i + 1)) under load"
	# Let requests run on this generation before the next one.
	r0=$(metric 'tlsfloor_requests_total{listener="edge",code="2xx"}')
	wait_for 10 _more_requests "$r0" 40 || fail "no traffic after reload $((i + 1))"
	i=$((i + 1))
done
touch "$WORK/stop"
wait "$load_pid" || fail "load generator failed: $(cat "$WORK/load.err")"
_untrack "$load_pid"
note "load across 10 reloads: $(cat "$WORK/load.json")"
assert_eq "$(jget "d['failed']" <"$WORK/load.json")" 0 "failed requests under reloads"
[ "$(jget "d['ok']" <"$WORK/load.json")" -ge 400 ] ||
    fail "too few requests under reloads: $(cat "$WORK/load.json")"
assert_eq "$(metric tlsfloor_config_generation)" "$gen" "generation after 10 reloads"
note "generations: $gen"
stop_tlsfloor
