#!/bin/sh
# proxy-protocol on: the load balancer's PROXY header (v1 and v2) gives the
# original client's address to records, X-Forwarded-For and exempt; a
# connection without one is closed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin
mk_conf "$WORK/t23.conf" <<EOF2
listener edge {
    bind           127.0.0.1:0
    cert           @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    proxy-protocol on
    exempt         203.0.113.0/24
    upstream       localhost:@ORIGIN_PORT@
    upstream-sni   outlook.office365.test
    upstream-ca    @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t23.conf"

# lb VERSION SRC-IP SRC-PORT TLS: what a load balancer passes on, then a
# request over TLS ("1.2" or "1.0"); prints the status and the origin's
# X-Forwarded-For, or the error.
lb() {
	"$PY" - "$TF_PORT" "$PKI/ca.pem" "$HOSTNAME_TF" "$@" <<'EOF2'
import json, socket, ssl, struct, sys
port, ca, name, ver, ip, sport, tls = sys.argv[1:8]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
if ver == "1":
    s.sendall(("PROXY TCP4 %s 127.0.0.1 %s %s\r\n" % (ip, sport, port)).encode())
elif ver == "2":
    s.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" +
              socket.inet_aton(ip) + socket.inet_aton("127.0.0.1") +
              struct.pack("!HH", int(sport), int(port)))
ctx = ssl.create_default_context(cafile=ca)
if tls == "1.0":
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
try:
    t = ctx.wrap_socket(s, server_hostname=name)
    t.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = t.recv(65536)
        if not b:
            break
        data += b
except (OSError, ssl.SSLError) as e:
    print("error", type(e).__name__)
    sys.exit(0)
head, _, body = data.partition(b"\r\n\r\n")
xff = [v for k, v in json.loads(body)["headers"] if k.lower() == "x-forwarded-for"]
print(head.split(b" ")[1].decode(), xff[0])
EOF2
}

assert_eq "$(lb 1 203.0.113.7 51234 1.2)" "200 203.0.113.7" "PROXY v1"
rec=$(tail -n 1 "$TF_ACCESS")
assert_eq "$(echo "$rec" | jget "d['client_ip']")" 203.0.113.7 "access client_ip (v1)"
assert_eq "$(echo "$rec" | jget "d['client_port']")" 51234 "access client_port (v1)"

assert_eq "$(lb 2 198.51.100.9 40000 1.2)" "200 198.51.100.9" "PROXY v2"
assert_eq "$(tail -n 1 "$TF_ACCESS" | jget "d['client_ip']")" 198.51.100.9 \
    "access client_ip (v2)"

# The original address decides exempt: a TLS 1.0 client from 203.0.113.7
# is let in, the same client from 198.51.100.9 is refused.
assert_eq "$(lb 1 203.0.113.8 1111 1.0)" "200 203.0.113.8" "exempt by PROXY address"
wait_lines "$TF_LEGACY" 1
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "d['action']")" allowed_exempt "exempt action"
assert_eq "$(echo "$rec" | jget "d['client_ip']")" 203.0.113.8 "legacy client_ip"
assert_eq "$(echo "$rec" | jget "d['client_port']")" 1111 "legacy client_port"
out=$(lb 1 198.51.100.9 2222 1.0)
assert_match "$out" "^error" "TLS 1.0 from a source not exempt"
wait_lines "$TF_LEGACY" 2
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "d['action']")" refused "refused action"
assert_eq "$(echo "$rec" | jget "d['client_ip']")" 198.51.100.9 "refused client_ip"

# Without a PROXY header: closed, nothing recorded.
out=$(lb none 0 0 1.2)
assert_match "$out" "^error" "no PROXY header"
assert_eq "$(nlines "$TF_LEGACY")" 2 "records after a connection without PROXY"
assert_grep "no valid PROXY protocol header" "$TF_ERRLOG" "error log"
stop_tlsfloor
