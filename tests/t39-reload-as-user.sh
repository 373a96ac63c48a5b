#!/bin/sh
# Run as root with `user nobody`, `tlsfloor -t`, start-up and SIGHUP read
# the files as nobody, so they agree: a key only root can read fails all
# three at its line (the start before a reload would), with the old
# configuration still serving after the failed reload; readable again,
# all three pass. Before, -t and start-up read as root and passed, and
# only the reload failed, which systemd's ExecReload= never saw.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

as_nobody
need curl
start_origin
mk_conf "$WORK/t39.conf" <<EOF2
user nobody
$(edge_listener)
EOF2
chmod 0644 "$WORK/t39.conf"
KEY=$WORK/pki/gateway-ecdsa.key
cert_line=$(grep -n '^ *cert ' "$WORK/t39.conf" | cut -d: -f1)
expect="$WORK/t39.conf:$cert_line: cannot read key $KEY: Permission denied"

run_cmd -s 0 "$TF_BIN" -t -c "$WORK/t39.conf"

# Only root may read the key: -t and start-up refuse it at its line.
chmod 0600 "$KEY"
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/t39.conf"
assert_eq "$(head -n 1 "$CMD_ERR")" \
    "tlsfloor: $expect (read as user nobody, as reloads are)" "-t, key 0600"
# (A failed start logs an alert: to stderr here, not the test's error log.)
sed 's|^error-log .*|error-log stderr|' "$WORK/t39.conf" >"$WORK/start.conf"
chmod 0644 "$WORK/start.conf"
run_cmd -s 1 timeout 20 "$TF_BIN" -c "$WORK/start.conf"
assert_eq "$(tail -n 1 "$CMD_ERR")" \
    "tlsfloor: $WORK/start.conf:$cert_line: cannot read key $KEY: Permission denied (read as user nobody, as reloads are)" \
    "start-up, key 0600"

# Readable by nobody: it starts; then the key becomes root's only.
chmod 0640 "$KEY"
start_tlsfloor "$WORK/t39.conf"
curl_tf -o /dev/null "$TF_URL/echo" || fail "request"
chmod 0600 "$KEY"
run_cmd -s 1 "$TF_BIN" -t -c "$WORK/t39.conf"
if tf_reload; then
	fail "reload with a key nobody cannot read succeeded"
fi
assert_eq "$(sed 's/.*\] //' "$WORK/reload.last")" \
    "config reload failed: $expect" "the failed reload's line"
curl_tf -o /dev/null "$TF_URL/echo" ||
    fail "request after the failed reload (the old configuration serves)"

# Readable again: -t and the reload agree once more.
chmod 0640 "$KEY"
run_cmd -s 0 "$TF_BIN" -t -c "$WORK/t39.conf"
tf_reload || fail "reload: $(cat "$WORK/reload.last")"
curl_tf -o /dev/null "$TF_URL/echo" || fail "request after the reload"
stop_tlsfloor
