#!/bin/sh
# A hello that never completes hits handshake-timeout and leaves one
# handshake_failed record (reason timeout); a connection that sends nothing
# leaves none; a hello that announces an endless message is cut off without
# the gateway buffering it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin
mk_conf "$WORK/t11.conf" <<EOF2
listener edge {
    bind              127.0.0.1:0
    cert              @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    handshake-timeout 1s
    upstream          localhost:@ORIGIN_PORT@
    upstream-sni      outlook.office365.test
    upstream-ca       @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t11.conf"

# send_partial HEX: connects, sends the bytes, waits (bounded) for the
# gateway to close; prints "closed after N s".
send_partial() {
	"$PY" - "$TF_PORT" "$1" <<'EOF2'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(bytes.fromhex(sys.argv[2]))
t0 = time.monotonic()
try:
    while s.recv(4096):
        pass
except socket.timeout:
    print("still open after 10 s")
    sys.exit(0)
print("closed after %d s" % round(time.monotonic() - t0))
EOF2
}

# The first 60 bytes of a TLS 1.0 ClientHello whose record says 200.
out=$(send_partial "16030100c8010000c40301$(printf '%0100d' 0)")
assert_eq "$out" "closed after 1 s" "incomplete hello"
wait_lines "$TF_LEGACY" 1
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "d['event']")" handshake_failed "record event"
assert_eq "$(echo "$rec" | jget "d['reason']")" timeout "record reason"

# Nothing at all: closed at the timeout, no record.
out=$(send_partial "")
assert_eq "$out" "closed after 1 s" "silent connection"
assert_eq "$(nlines "$TF_LEGACY")" 1 "records after a silent connection"

# A handshake message announcing 16 MiB, fed in full records: refused
# early, not buffered (the gateway's peak RSS stays small).
"$PY" - "$TF_PORT" <<'EOF2' || fail "oversized hello: no answer"
import socket, sys
body = bytes.fromhex("01ffffff0301") + bytes(16378)
data = b"\x16\x03\x01" + len(body).to_bytes(2, "big") + body
data += (b"\x16\x03\x01\x40\x00" + bytes(16384)) * 8
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
try:
    s.sendall(data)
except OSError:
    pass  # closed on us mid-send: what we want
try:
    while s.recv(4096):
        pass
except OSError:
    pass
EOF2
hwm=$(vmhwm_kb "$TF_PID")
note "peak RSS after an oversized hello: $hwm kB"
[ "$hwm" -lt 32768 ] || fail "peak RSS $hwm kB after an oversized hello"
tf_alive
stop_tlsfloor
