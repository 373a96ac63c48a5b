#!/bin/sh
# max-connections: past the limit the gateway stops accepting (the next
# client waits, it is not accepted and dropped) and accepts again when a
# connection ends.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin
mk_conf "$WORK/t17.conf" <<EOF2
workers 1
listener edge {
    bind            127.0.0.1:0
    cert            @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    max-connections 2
    upstream        localhost:@ORIGIN_PORT@
    upstream-sni    outlook.office365.test
    upstream-ca     @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t17.conf"

"$PY" - "$TF_PORT" "$PKI/ca.pem" "$HOSTNAME_TF" <<'EOF2' >"$WORK/out" 2>&1 ||
import socket, ssl, sys, time
port, ca, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)

def tls(timeout):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname=name)

def get(s):
    s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    return data.split(b"\r\n")[0].decode()

a, b = tls(10), tls(10)
print("a:", get(a))
print("b:", get(b))
# The third connects (the kernel's backlog) but is not accepted: no
# ServerHello comes.
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
raw.settimeout(1.5)
c = ctx.wrap_socket(raw, server_hostname=name, do_handshake_on_connect=False)
try:
    c.do_handshake()
    print("third: handshake completed at the limit")
    sys.exit(1)
except (socket.timeout, TimeoutError):
    print("third: waiting")
# One ends: the third is accepted, handshakes and is served.
a.close()
c.settimeout(10)
c.do_handshake()
print("c:", get(c))
EOF2
    fail "max-connections: $(cat "$WORK/out")"
note "$(tr '\n' ';' <"$WORK/out")"
assert_grep "^a: HTTP/1.1 200" "$WORK/out" "first connection"
assert_grep "^third: waiting" "$WORK/out" "third connection at the limit"
assert_grep "^c: HTTP/1.1 200" "$WORK/out" "third connection after one ended"
assert_grep "max-connections \(2\) reached" "$TF_ERRLOG" "error log at the limit"
assert_grep "accepting again" "$TF_ERRLOG" "error log below the limit"
stop_tlsfloor
