#!/bin/sh
# The service manager's notifications (Type=notify), to a datagram socket
# of the test's own as NOTIFY_SOCKET: READY=1 with MAINPID and the first
# generation once it serves; for a good SIGHUP reload RELOADING=1 with
# MONOTONIC_USEC (a CLOCK_MONOTONIC time of the reload), then READY=1
# with the new generation; for a bad one RELOADING=1, then READY=1 with
# STATUS "config reload failed: FILE:LINE: ..." as the error log has it,
# and the old generation still serving; STOPPING=1 on SIGTERM.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

# Each datagram is a line in $MSGS: its assignments joined by tabs, then
# RECV_USEC, the listener's CLOCK_MONOTONIC when it arrived.
NOTIFY=$WORK/notify.sock
MSGS=$WORK/notify.msgs
"$PY" - "$NOTIFY" "$MSGS" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        m = s.recv(65536).decode()
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        out.write(m.replace("\n", "\t") + "\tRECV_USEC=%d\n" % now)
        out.flush()
EOF
_track $!
wait_for 10 test -S "$NOTIFY" || error "the notify listener did not start"
NOTIFY_SOCKET=$NOTIFY
export NOTIFY_SOCKET

CONF=$WORK/t42.conf
mk_conf "$CONF" <<EOF2
$(edge_listener)
EOF2

TAB=$(printf '\t')
# msg N: the Nth datagram (waited for), without its RECV_USEC.
msg() {
	wait_lines "$MSGS" "$1" 10
	sed -n "${1}p" "$MSGS" | sed "s/${TAB}RECV_USEC=[0-9]*\$//"
}

start_tlsfloor "$CONF"
assert_eq "$(msg 1)" "READY=1${TAB}MAINPID=$TF_PID${TAB}STATUS=generation 1" \
    "at start"

# --- a good reload -----------------------------------------------------
echo "shutdown-timeout 5s" >>"$CONF"
tf_reload || fail "good reload: $(cat "$WORK/reload.last")"
assert_match "$(msg 2)" "^RELOADING=1${TAB}MONOTONIC_USEC=[0-9]+${TAB}STATUS=reloading\$" \
    "reload begins"
assert_eq "$(msg 3)" "READY=1${TAB}MAINPID=$TF_PID${TAB}STATUS=generation 2" \
    "reload done"
# MONOTONIC_USEC is the daemon's CLOCK_MONOTONIC, as systemd compares it.
sed -n 2p "$MSGS" | pycheck '
f = dict(kv.split("=", 1) for kv in sys.stdin.read().strip().split("\t"))
lag = int(f["RECV_USEC"]) - int(f["MONOTONIC_USEC"])
if not 0 <= lag < 5000000:
    print("MONOTONIC_USEC is %d us before its arrival" % lag)
    sys.exit(1)'

# --- a bad reload ------------------------------------------------------
cp "$CONF" "$WORK/good.conf"
echo "bogus directive" >>"$CONF"
line=$(wc -l <"$CONF" | tr -d ' ')
if tf_reload; then
	fail "a reload with an unknown directive succeeded"
fi
assert_match "$(msg 4)" "^RELOADING=1${TAB}MONOTONIC_USEC=[0-9]+${TAB}" \
    "bad reload begins"
status=$(msg 5)
assert_match "$status" "^READY=1${TAB}MAINPID=$TF_PID${TAB}STATUS=config reload failed: " \
    "bad reload ends"
# The same FILE:LINE: message as the error log and tlsfloor -t.
logged=$(sed 's/.*config reload failed: //' "$WORK/reload.last")
assert_eq "${status#*STATUS=config reload failed: }" "$logged" \
    "STATUS of the bad reload"
assert_match "$logged" "^$CONF:$line: " "FILE:LINE in STATUS"
curl_tf -o /dev/null "$TF_URL/echo" || fail "request after the bad reload"

# A good reload after it: the next generation, READY=1 again.
cp "$WORK/good.conf" "$CONF"
tf_reload || fail "reload after the bad one: $(cat "$WORK/reload.last")"
assert_eq "$(msg 7)" "READY=1${TAB}MAINPID=$TF_PID${TAB}STATUS=generation 3" \
    "reload after a failed one"

# --- stop --------------------------------------------------------------
stop_tlsfloor
assert_eq "$(msg 8)" "STOPPING=1${TAB}STATUS=stopping" "on SIGTERM"
assert_eq "$(nlines "$MSGS")" 8 "datagrams in all"
note "$(nlines "$MSGS") datagrams: READY, 3 reloads (one failed), STOPPING"
