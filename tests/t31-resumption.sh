#!/bin/sh
# Client session resumption: openssl s_client (-sess_out/-sess_in) and
# Python's ssl (session=) resume TLS 1.3 and TLS 1.2 sessions from
# tickets; over two workers (16 resumptions in a row, each a new
# connection the kernel gives to either worker's socket); after a SIGHUP
# reload; tlsfloor_handshakes_resumed_total counts each one. A ticket from
# another tlsfloor process (other keys) gets a full handshake. Below the
# floor, a TLS 1.0 client under audit resumes and is recorded each time;
# under enforce it gets no ticket at all, and the ticket it got under
# audit is refused (and recorded) once the listener enforces.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

# conf AUDIT_MODE: the configuration, with the "legacy" listener's mode.
conf() {
	mk_conf "$WORK/t31.conf" <<EOF2
workers 2
metrics 127.0.0.1:0

listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener legacy {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    mode         $1
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
}

# start: the daemon; sets P_EDGE, P_LEGACY and M_URL.
start() {
	start_tlsfloor "$WORK/t31.conf"
	tf_metrics_url
	P_EDGE=$TF_PORT
	P_LEGACY=$TF_PORT2
}

resumed() {
	tf_metric "tlsfloor_handshakes_resumed_total{listener=\"$1\",version=\"$2\"}"
}

# sget PORT OUT ARGS...: a GET /echo through openssl s_client with ARGS
# (a version flag, -sess_out/-sess_in FILE), read to the end, so that the
# tickets sent after the handshake come in; its output in OUT.
sget() {
	_port=$1
	_out=$2
	shift 2
	printf 'GET /echo HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' \
	    "$HOSTNAME_TF" | timeout 20 "$OPENSSL" s_client -ign_eof \
	    -connect "127.0.0.1:$_port" -servername "$HOSTNAME_TF" \
	    -CAfile "$PKI/ca.pem" -cipher 'DEFAULT@SECLEVEL=0' "$@" \
	    >"$_out" 2>&1 || true
}

# expect_session OUT New|Reused VERSION WHAT: s_client said so, and the
# origin answered.
expect_session() {
	grep -q "^$2, $3," "$1" || {
		_dump "$1" "s_client output" 40
		fail "$4: not '$2, $3'"
	}
	grep -q '"tls_version"' "$1" || {
		_dump "$1" "s_client output" 40
		fail "$4: no answer from the origin"
	}
}

# pyresume PORT VERSION N: one full handshake, then N connections that
# each resume the newest session; prints how many resumed.
pyresume() {
	"$PY" - "$1" "$PKI/ca.pem" "$HOSTNAME_TF" "$2" "$3" <<'EOF2'
import socket, ssl, sys
port, ca, name, version, n = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                              sys.argv[4], int(sys.argv[5]))
ctx = ssl.create_default_context(cafile=ca)
v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v

def get(sess):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                 timeout=10),
                        server_hostname=name, session=sess)
    s.sendall(b"GET /echo HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
              % name.encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    reused, sess = s.session_reused, s.session
    s.close()
    if not data.startswith(b"HTTP/1.1 200 "):
        sys.exit("no 200: %r" % data[:200])
    return reused, sess

reused, sess = get(None)
if reused:
    sys.exit("the first connection resumed")
count = 0
for i in range(n):
    reused, sess = get(sess)
    if not reused:
        sys.exit("connection %d did not resume" % (i + 1))
    count += 1
print(count)
EOF2
}

conf audit
start
note "edge $P_EDGE, legacy $P_LEGACY, $M_URL"
assert_eq "$(resumed edge TLS1.3)" 0 "resumed TLS 1.3 at start"
assert_eq "$(resumed edge TLS1.2)" 0 "resumed TLS 1.2 at start"

# ---------------------------------------------------------------------------
# openssl s_client, TLS 1.3 and 1.2: a full handshake, then a resumed one.

sget "$P_EDGE" "$WORK/13a" -tls1_3 -sess_out "$WORK/sess13"
expect_session "$WORK/13a" New TLSv1.3 "s_client TLS 1.3, first"
assert_grep 'lifetime hint: 7200 ' "$WORK/13a" "TLS 1.3 ticket lifetime"
sget "$P_EDGE" "$WORK/13b" -tls1_3 -sess_in "$WORK/sess13"
expect_session "$WORK/13b" Reused TLSv1.3 "s_client TLS 1.3, with the ticket"

sget "$P_EDGE" "$WORK/12a" -tls1_2 -sess_out "$WORK/sess12"
expect_session "$WORK/12a" New TLSv1.2 "s_client TLS 1.2, first"
assert_grep 'lifetime hint: 7200 ' "$WORK/12a" "TLS 1.2 ticket lifetime"
sget "$P_EDGE" "$WORK/12b" -tls1_2 -sess_in "$WORK/sess12"
expect_session "$WORK/12b" Reused TLSv1.2 "s_client TLS 1.2, with the ticket"

assert_eq "$(resumed edge TLS1.3)" 1 "resumed TLS 1.3 after s_client"
assert_eq "$(resumed edge TLS1.2)" 1 "resumed TLS 1.2 after s_client"

# ---------------------------------------------------------------------------
# Python's ssl, 16 resumptions in a row at each version. Each is a new
# connection that the kernel hands to either worker's listening socket
# (SO_REUSEPORT), so both workers issue and take tickets: that all 32
# landed on one worker has a chance of about 2^-31.

n=$(pyresume "$P_EDGE" 1.3 16) || fail "Python TLS 1.3 resumption: $n"
assert_eq "$n" 16 "Python TLS 1.3 resumptions"
n=$(pyresume "$P_EDGE" 1.2 16) || fail "Python TLS 1.2 resumption: $n"
assert_eq "$n" 16 "Python TLS 1.2 resumptions"
assert_eq "$(resumed edge TLS1.3)" 17 "resumed TLS 1.3 after Python"
assert_eq "$(resumed edge TLS1.2)" 17 "resumed TLS 1.2 after Python"
assert_eq "$(tf_metric 'tlsfloor_handshakes_total{listener="edge",version="TLS1.3"}')" \
    19 "TLS 1.3 handshakes, resumed ones included"

# ---------------------------------------------------------------------------
# Below the floor. Under audit, a TLS 1.0 client gets a ticket, resumes
# with it, and each of its hellos is recorded and let in.

sget "$P_LEGACY" "$WORK/10a" -tls1 -sess_out "$WORK/sess10"
expect_session "$WORK/10a" New TLSv1.0 "audit, TLS 1.0, first"
sget "$P_LEGACY" "$WORK/10b" -tls1 -sess_in "$WORK/sess10"
expect_session "$WORK/10b" Reused TLSv1.0 "audit, TLS 1.0, with the ticket"
wait_lines "$TF_LEGACY" 2
tail -n 2 "$TF_LEGACY" >"$WORK/legacy.2"
while read -r rec; do
	assert_eq "$(echo "$rec" | jget "d['action']")" allowed_audit \
	    "audit, TLS 1.0: action"
	assert_eq "$(echo "$rec" | jget "d['listener']")" legacy \
	    "audit, TLS 1.0: listener"
	assert_eq "$(echo "$rec" | jget "d['offered_max']")" TLS1.0 \
	    "audit, TLS 1.0: offered_max"
done <"$WORK/legacy.2"
wait_for 5 grep -q '"tls_version":"TLS1.0"' "$TF_ACCESS" ||
    fail "no access record for the TLS 1.0 client"
rec=$(grep '"tls_version":"TLS1.0"' "$TF_ACCESS" | tail -n 1)
assert_eq "$(echo "$rec" | jget "d['legacy']")" true "resumed TLS 1.0: legacy"
assert_eq "$(resumed legacy TLS1.0)" 1 "resumed TLS 1.0 under audit"
assert_eq "$(tf_metric 'tlsfloor_legacy_clients_total{listener="legacy",offered="TLS1.0",action="allowed_audit"}')" \
    2 "TLS 1.0 clients let in under audit"

# Under enforce, the TLS 1.0 client is refused: no ticket at all.
sget "$P_EDGE" "$WORK/10e" -tls1 -sess_out "$WORK/sess10e"
assert_grep 'alert protocol version' "$WORK/10e" "enforce, TLS 1.0: alert"
if [ -s "$WORK/sess10e" ] &&
    "$OPENSSL" sess_id -in "$WORK/sess10e" -noout -text 2>/dev/null |
    grep -q 'TLS session ticket:'; then
	fail "enforce, TLS 1.0: the refused client got a ticket"
fi
wait_lines "$TF_LEGACY" 3
assert_eq "$(tail -n 1 "$TF_LEGACY" | jget "d['action']")" refused \
    "enforce, TLS 1.0: action"

# ---------------------------------------------------------------------------
# A reload: the "legacy" listener now enforces. Tickets keep resuming on
# edge; the TLS 1.0 ticket from audit days gets its hello refused and
# recorded like any TLS 1.0 hello.

conf enforce
_skip=$(nlines "$TF_ERRLOG")
kill -HUP "$TF_PID"
_reloaded() {
	tail -n "+$((_skip + 1))" "$TF_ERRLOG" |
	    grep -q 'reloaded: generation 2'
}
wait_for 10 _reloaded || fail "no 'reloaded: generation 2' after SIGHUP"

sget "$P_EDGE" "$WORK/13r" -tls1_3 -sess_in "$WORK/sess13"
expect_session "$WORK/13r" Reused TLSv1.3 "TLS 1.3 ticket after the reload"
sget "$P_EDGE" "$WORK/12r" -tls1_2 -sess_in "$WORK/sess12"
expect_session "$WORK/12r" Reused TLSv1.2 "TLS 1.2 ticket after the reload"
assert_eq "$(resumed edge TLS1.3)" 18 "resumed TLS 1.3 after the reload"
assert_eq "$(resumed edge TLS1.2)" 18 "resumed TLS 1.2 after the reload"

sget "$P_LEGACY" "$WORK/10r" -tls1 -sess_in "$WORK/sess10"
assert_grep 'alert protocol version' "$WORK/10r" \
    "TLS 1.0 ticket under enforce: alert"
if grep -q '^Reused' "$WORK/10r"; then
	fail "TLS 1.0 ticket under enforce: resumed"
fi
wait_lines "$TF_LEGACY" 4
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "d['action']")" refused \
    "TLS 1.0 ticket under enforce: action"
assert_eq "$(echo "$rec" | jget "d['listener']")" legacy \
    "TLS 1.0 ticket under enforce: listener"
assert_eq "$(resumed legacy TLS1.0)" 1 "resumed TLS 1.0 after enforcing"

# ---------------------------------------------------------------------------
# Another tlsfloor process has keys of its own: the tickets of this one
# get full handshakes there, which work.

stop_tlsfloor
start
sget "$P_EDGE" "$WORK/13o" -tls1_3 -sess_in "$WORK/sess13"
expect_session "$WORK/13o" New TLSv1.3 "TLS 1.3 ticket from another process"
sget "$P_EDGE" "$WORK/12o" -tls1_2 -sess_in "$WORK/sess12"
expect_session "$WORK/12o" New TLSv1.2 "TLS 1.2 ticket from another process"
assert_eq "$(resumed edge TLS1.3)" 0 "resumed TLS 1.3 in another process"
assert_eq "$(resumed edge TLS1.2)" 0 "resumed TLS 1.2 in another process"

stop_tlsfloor
