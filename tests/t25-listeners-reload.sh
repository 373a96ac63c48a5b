#!/bin/sh
# A reload opens new listeners, closes removed ones and keeps the sockets
# of the ones whose address did not change (a keep-alive connection on it
# goes on). As root with `user`, reloads run unprivileged: a new privileged
# port fails the reload cleanly and the old configuration stays.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

# write_conf LISTENER...: one listener per name, each on its own port
# (0 = from the kernel at first; later the port it got, so it is "kept").
CONF=$WORK/t25.conf
write_conf() {
	{
		for _l; do
			_name=${_l%%=*}
			_port=${_l#*=}
			cat <<EOF2
listener $_name {
    bind         127.0.0.1:$_port
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
		done
	} | mk_conf "$CONF"
}

get() {
	if ! _code=$(curl -sS --max-time 10 --cacert "$PKI/ca.pem" -o /dev/null \
	    -w '%{http_code}' --resolve "$HOSTNAME_TF:$1:127.0.0.1" \
	    "https://$HOSTNAME_TF:$1/echo" 2>/dev/null); then
		_code=refused
	fi
	echo "$_code"
}

hup_ok() {
	_n=$(grep -c 'reloaded: generation' "$TF_ERRLOG" || true)
	kill -HUP "$TF_PID"
	wait_for 10 _reloaded "$_n" || fail "no reload outcome: $(tail -n 3 "$TF_ERRLOG")"
}
_reloaded() {
	[ "$(grep -c 'reloaded: generation' "$TF_ERRLOG" || true)" -gt "$1" ]
}

write_conf keep=0 gone=0
start_tlsfloor "$CONF"
p_keep=$TF_PORT
p_gone=$TF_PORT2
assert_eq "$(get "$p_keep")" 200 "kept listener before"
assert_eq "$(get "$p_gone")" 200 "removed listener before"

# A keep-alive connection on the kept listener across the reload.
"$PY" - "$p_keep" "$PKI/ca.pem" "$HOSTNAME_TF" "$WORK/step" <<'EOF2' >"$WORK/ka.out" 2>&1 &
import http.client, os, ssl, sys, time
port, ca, name, step = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
c.sock = ctx.wrap_socket(__import__("socket").create_connection(("127.0.0.1", port)), server_hostname=name)
for i in range(2):
    c.request("GET", "/echo/ka%d" % i, headers={"Host": name})
    r = c.getresponse()
    r.read()
    print(r.status, flush=True)
    if i == 0:
        open(step, "w").close()
        deadline = time.monotonic() + 20
        while not os.path.exists(step + ".go") and time.monotonic() < deadline:
            time.sleep(0.05)
EOF2
ka=$!
_track "$ka"
wait_for 10 test -e "$WORK/step" || fail "keep-alive client did not start"

write_conf keep="$p_keep" new=0
hup_ok
p_new=$(tail -n 5 "$TF_ERRLOG" | sed -n 's/.*listener new: listening on .*:\([0-9]*\)$/\1/p')
[ -n "$p_new" ] || fail "the new listener was not announced"
touch "$WORK/step.go"
wait "$ka" || fail "keep-alive connection across the reload: $(cat "$WORK/ka.out")"
_untrack "$ka"
assert_eq "$(tr '\n' ' ' <"$WORK/ka.out")" "200 200 " "keep-alive connection across the reload"
assert_eq "$(get "$p_keep")" 200 "kept listener after"
assert_eq "$(get "$p_new")" 200 "new listener"
wait_for 5 test "$(get "$p_gone")" = refused || fail "removed listener still accepts"

# Privileged port after the privilege drop (root only, with a 'nobody').
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	stop_tlsfloor
	PRIV=$(mktemp -d /tmp/tlsfloor-t25-priv.XXXXXX)
	chmod 755 "$PRIV"
	cp "$PKI/gateway-rsa.pem" "$PKI/gateway-rsa.key" "$PKI/ca.pem" "$PRIV/"
	chmod 644 "$PRIV"/*
	sed -e "s|$PKI/|$PRIV/|g" -e "s|^error-log .*|error-log $PRIV/error.log|" \
	    -e "s|^legacy-log .*|legacy-log $PRIV/legacy.jsonl|" \
	    -e "s|^access-log .*|access-log $PRIV/access.jsonl|" "$CONF" |
	    sed '1i user nobody' >"$PRIV/t25.conf"
	chmod 644 "$PRIV/t25.conf"
	touch "$PRIV/error.log" "$PRIV/legacy.jsonl" "$PRIV/access.jsonl"
	chmod 666 "$PRIV"/*.log "$PRIV"/*.jsonl
	start_tlsfloor "$PRIV/t25.conf"
	sed 's|^    bind         127.0.0.1:'"$p_keep"'|    bind         127.0.0.1:'"$p_keep"'\n    bind         127.0.0.1:81|' \
	    "$PRIV/t25.conf" >"$PRIV/t25.new" && mv "$PRIV/t25.new" "$PRIV/t25.conf"
	chmod 644 "$PRIV/t25.conf"
	kill -HUP "$TF_PID"
	wait_for 10 grep -q 'config reload failed' "$TF_ERRLOG" ||
	    fail "no failed reload for a privileged port"
	assert_grep "config reload failed: .*:[0-9]+: bind 127.0.0.1:81: Permission denied" \
	    "$TF_ERRLOG" "privileged port reload"
	assert_eq "$(get "$p_keep")" 200 "old configuration after the failed reload"
	stop_tlsfloor
	rm -rf "$PRIV"
else
	note "not root or no 'nobody': privileged-port reload not tested"
	stop_tlsfloor
fi
