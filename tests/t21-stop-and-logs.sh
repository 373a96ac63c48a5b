#!/bin/sh
# SIGTERM stops accepting, lets a slow request finish and exits 0; past
# shutdown-timeout what is left is closed and it still exits 0. SIGUSR1
# after a rename (logrotate) makes new files that get the next records,
# while the renamed ones keep the earlier ones; each log keeps its
# descriptor number (a worker may have loaded it just before the reopen)
# and the renamed files are let go.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin
mk_conf "$WORK/t21.conf" <<EOF2
shutdown-timeout 10s
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2

# fds_of FILE: the daemon's descriptors that refer to FILE, one a line
# (Linux /proc shows a renamed file under its new name).
fds_of() {
	_fo_path=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
	for _fo_fd in "/proc/$TF_PID/fd/"*; do
		if [ "$(readlink "$_fo_fd" 2>/dev/null)" = "$_fo_path" ]; then
			echo "${_fo_fd##*/}"
		fi
	done
}

# --- SIGUSR1 -----------------------------------------------------------
start_tlsfloor "$WORK/t21.conf"
s_client -tls1 -cipher 'DEFAULT@SECLEVEL=0' >/dev/null 2>&1 || true
wait_lines "$TF_LEGACY" 1
curl_tf -o /dev/null "$TF_URL/echo" || fail "request before rotation"
wait_lines "$TF_ACCESS" 1
have_proc=0
if [ -r "/proc/$TF_PID/fd" ]; then
	have_proc=1
	fd_legacy=$(fds_of "$TF_LEGACY")
	fd_access=$(fds_of "$TF_ACCESS")
	fd_errlog=$(fds_of "$TF_ERRLOG")
	assert_match "$fd_legacy" '^[0-9]+$' "descriptor of the legacy log"
	assert_match "$fd_access" '^[0-9]+$' "descriptor of the access log"
	assert_match "$fd_errlog" '^[0-9]+$' "descriptor of the error log"
fi
mv "$TF_LEGACY" "$TF_LEGACY.1"
mv "$TF_ACCESS" "$TF_ACCESS.1"
mv "$TF_ERRLOG" "$TF_ERRLOG.1"
# Written between the rename and the reopen: must land in the old files.
s_client -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' >/dev/null 2>&1 || true
wait_lines "$TF_LEGACY.1" 2
kill -USR1 "$TF_PID"
wait_for 10 test -s "$TF_ERRLOG" || fail "no new error log after SIGUSR1"
assert_grep "logs reopened" "$TF_ERRLOG" "new error log"
if grep -q "logs reopened" "$TF_ERRLOG.1"; then
	fail "the reopen notice is in the rotated error log"
fi
s_client -tls1 -cipher 'DEFAULT@SECLEVEL=0' >/dev/null 2>&1 || true
curl_tf -o /dev/null "$TF_URL/echo" || fail "request after rotation"
wait_lines "$TF_LEGACY" 1
wait_lines "$TF_ACCESS" 1
assert_eq "$(nlines "$TF_LEGACY.1")" 2 "records in the rotated legacy log"
assert_eq "$(nlines "$TF_ACCESS.1")" 1 "records in the rotated access log"
assert_eq "$(jget "d['offered_max']" <"$TF_LEGACY")" TLS1.0 "new legacy log record"
if [ "$have_proc" = 1 ]; then
	assert_eq "$(fds_of "$TF_LEGACY")" "$fd_legacy" "legacy log descriptor"
	assert_eq "$(fds_of "$TF_ACCESS")" "$fd_access" "access log descriptor"
	assert_eq "$(fds_of "$TF_ERRLOG")" "$fd_errlog" "error log descriptor"
	for f in "$TF_LEGACY.1" "$TF_ACCESS.1" "$TF_ERRLOG.1"; do
		assert_eq "$(fds_of "$f")" "" "descriptors on $(basename "$f")"
	done
else
	note "no /proc/$TF_PID/fd: log descriptors not checked"
fi
note "after SIGUSR1: legacy $(nlines "$TF_LEGACY.1")+$(nlines "$TF_LEGACY"), access $(nlines "$TF_ACCESS.1")+$(nlines "$TF_ACCESS")"

# arrived PATH: the origin has the request line (it logs requests as they
# arrive at /log, and in its stderr only when they end).
arrived() {
	curl_origin "$ORIGIN_URL/log" |
	    jget "'$1' in [e['path'] for e in d['requests']]" | grep -q true
}

# --- SIGTERM drains a slow request ---------------------------------------
curl_tf -o "$WORK/slow.body" -w '%{http_code}' "$TF_URL/slow/2000" \
    >"$WORK/slow.code" 2>"$WORK/slow.err" &
slow_pid=$!
_track "$slow_pid"
wait_for 5 arrived /slow/2000 || fail "slow request did not start"
_refused() {
	! curl -sS --max-time 2 --cacert "$PKI/ca.pem" \
	    --resolve "$HOSTNAME_TF:$TF_PORT:127.0.0.1" -o /dev/null \
	    "$TF_URL/echo" 2>/dev/null
}
kill -TERM "$TF_PID"
# Stops accepting at once.
wait_for 5 _refused || fail "still accepting after SIGTERM"
wait "$slow_pid" || fail "slow request failed: $(cat "$WORK/slow.err")"
_untrack "$slow_pid"
assert_eq "$(cat "$WORK/slow.code")" 200 "slow request across SIGTERM"
assert_eq "$(cat "$WORK/slow.body")" "slow done" "its body"
st=0
wait_gone "$TF_PID" 15 || fail "tlsfloor did not exit after the request"
wait "$TF_PID" || st=$?
_untrack "$TF_PID"
TF_PID=
assert_eq "$st" 0 "exit status after draining"

# --- SIGTERM past shutdown-timeout ---------------------------------------
sed 's/^shutdown-timeout .*/shutdown-timeout 1s/' "$WORK/t21.conf" >"$WORK/t21b.conf"
start_tlsfloor "$WORK/t21b.conf"
curl_tf -o /dev/null "$TF_URL/slow/8000" 2>/dev/null &
cut_pid=$!
_track "$cut_pid"
wait_for 5 arrived /slow/8000 || fail "long request did not start"
t0=$(date +%s)
kill -TERM "$TF_PID"
st=0
wait_gone "$TF_PID" 15 || fail "tlsfloor did not exit after shutdown-timeout"
wait "$TF_PID" || st=$?
_untrack "$TF_PID"
TF_PID=
t1=$(date +%s)
assert_eq "$st" 0 "exit status after shutdown-timeout"
[ $((t1 - t0)) -le 5 ] || fail "exit took $((t1 - t0)) s with shutdown-timeout 1s"
wait "$cut_pid" 2>/dev/null || true
_untrack "$cut_pid"
