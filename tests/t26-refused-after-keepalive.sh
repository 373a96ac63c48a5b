#!/bin/sh
# A request refused on a keep-alive connection whose upstream leg is idle
# and ready: it gets its own error response, nothing of it reaches the
# origin, and the upstream leg is not handed to the next client with a
# response still owed (found by the http1 fuzzer).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_origin
mk_conf "$WORK/t26.conf" <<EOF2
workers 1
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t26.conf"
n0=$(curl_origin "$ORIGIN_URL/log" | jget "d['total']")

# refused HEAD-OF-SECOND-REQUEST: on one connection, a good GET then the
# given request; prints the two status lines.
refused() {
	"$PY" - "$TF_PORT" "$PKI/ca.pem" "$HOSTNAME_TF" "$1" <<'EOF2'
import socket, ssl, sys
port, ca, name, second = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 10),
                    server_hostname=name)
s.settimeout(10)
def response():
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        if not b:
            return "closed"
        data += b
    head, _, body = data.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        body += s.recv(65536)
    return head.split(b"\r\n")[0].decode()
s.sendall(("GET /echo/first HTTP/1.1\r\nHost: %s\r\n\r\n" % name).encode())
print(response())
s.sendall(second.encode().decode("unicode_escape").encode("latin-1"))
print(response())
EOF2
}

out=$(refused 'POST /slow/700 HTTP/1.1\r\nHost: mail.contoso.test\r\nTransfer-Encoding: gzip\r\n\r\nsmuggled-body')
assert_eq "$(echo "$out" | tr '\n' '|')" "HTTP/1.1 200 OK|HTTP/1.1 400 Bad Request|" \
    "Transfer-Encoding without chunked after a keep-alive request"
out=$(refused 'GET /echo/dup HTTP/1.1\r\nHost: a.contoso.test\r\nHost: b.contoso.test\r\n\r\n')
assert_eq "$(echo "$out" | tr '\n' '|')" "HTTP/1.1 200 OK|HTTP/1.1 400 Bad Request|" \
    "two Host headers after a keep-alive request"

# The next client gets its own answer, not one owed to another.
body=$(curl_tf "$TF_URL/echo/next") || fail "next client"
assert_eq "$(echo "$body" | jget "d['path']")" /echo/next "next client's response"

# Only the good requests reached the origin.
paths=$(curl_origin "$ORIGIN_URL/log?since=$n0" |
    jget "' '.join(e['path'] for e in d['requests'] if not e['path'].startswith('/log'))")
assert_eq "$paths" "/echo/first /echo/first /echo/next" "requests at the origin"
tail -n 3 "$TF_ACCESS" | grep -q '"status":400' || fail "no access record with 400"
stop_tlsfloor
