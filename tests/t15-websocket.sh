#!/bin/sh
# WebSocket (OWA) through the gateway: the RFC 6455 opening handshake over
# TLS reaches the origin's /ws and its 101 (with the right
# Sec-WebSocket-Accept) comes back; masked text and binary frames of every
# length encoding (7-bit, 16-bit, 64-bit, 1 MB), a fragmented message and a
# ping are echoed byte for byte; a 2 s silence (longer than idle-timeout
# and header-timeout 1s: a tunnel is not an idle keep-alive connection)
# does not end it; the close handshake ends the connection; the access log
# records status 101. An Upgrade the origin refuses (400) is a plain
# response, and no tunnel follows it.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source-path=SCRIPTDIR source=lib-http.sh
. "$TF_SRCDIR/tests/lib-http.sh"
start_origin

mk_conf "$WORK/t15.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
    header-timeout 1s
    idle-timeout 1s
}
EOF2
start_tlsfloor "$WORK/t15.conf"

note "WebSocket echo"
raw "$WORK/ws.json" -t 10 ws:/ws \
    'wstext:hello, OWA' wsrecv \
    wsbin:300 wsrecv \
    wsbin:70000 wsrecv \
    wsbin:1000000 wsrecv \
    'wsfrag:frag-one|frag-two|frag-three' wsrecv wsrecv wsrecv \
    pause:2000 \
    'wstext:after a 2 s pause' wsrecv \
    wsping:ping-1 wsrecv \
    wsclose:1000 wsrecv rest:5
rshow "$WORK/ws.json"
rcheck "$WORK/ws.json" "r[0].get('status')" 101 "handshake status"
rcheck "$WORK/ws.json" "d.get('ws_accept_ok')" true "Sec-WebSocket-Accept matches the key"
rcheck "$WORK/ws.json" "[h(0, 'upgrade'), [v.lower() for v in h(0, 'connection')]]" \
    '[["websocket"], ["upgrade"]]' "101 carries Upgrade: websocket and Connection: Upgrade"
rcheck "$WORK/ws.json" "len(d['ws_recv'])" 10 "frames received"
# Every data frame comes back as sent (opcode, FIN, payload); the ping as a
# pong with its payload; the close as a close with code 1000; none masked.
rcheck "$WORK/ws.json" "[[s['opcode'], s['fin'], s['len'], s['sha256']] for s in d['ws_sent'][:8]] == [[g['opcode'], g['fin'], g['len'], g['sha256']] for g in d['ws_recv'][:8]]" \
    true "data frames echoed byte for byte"
rcheck "$WORK/ws.json" "[d['ws_recv'][8]['opcode'], d['ws_recv'][8]['text']]" '[10, "ping-1"]' "pong"
rcheck "$WORK/ws.json" "[d['ws_recv'][9]['opcode'], d['ws_recv'][9]['sha256'] == d['ws_sent'][9]['sha256']]" \
    '[8, true]' "close frame with code 1000 echoed"
rcheck "$WORK/ws.json" "[g['masked'] for g in d['ws_recv']].count(True)" 0 "server frames unmasked"
rcheck "$WORK/ws.json" "d['ws_recv'][7]['text']" 'after a 2 s pause' "the tunnel outlives a 2 s silence"
rcheck "$WORK/ws.json" "d['end']" closed "the connection ends after the close handshake"

wait_for 5 grep -q '"path":"/ws"' "$TF_ACCESS" || sfail "no access record for /ws"
rec=$(grep '"path":"/ws"' "$TF_ACCESS" | head -n 1)
check "$(echo "$rec" | jget "d['status']")" 101 "access record status for the WebSocket"
check "$(echo "$rec" | jget "d['method']")" GET "access record method for the WebSocket"
note "access record: $(echo "$rec" | cut -c1-240)"

note "an Upgrade the origin refuses"
raw "$WORK/wsno.json" -t 5 \
    "send:GET /ws HTTP/1.1\\r\\n${H}Upgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n" \
    resp pause:300 "send:GET /echo/after-refused-upgrade HTTP/1.1\\r\\n${H}\\r\\n" resp rest:3
rcheck "$WORK/wsno.json" "[r[0].get('status'), r[0]['complete']]" '[400, true]' \
    "Upgrade without Sec-WebSocket-Key: the origin's 400"
# Without a 101 there is no tunnel: the next request is either refused by
# the close or handled as HTTP (answered and logged), never passed blindly.
if [ "$(rget "$WORK/wsno.json" "len(d['responses'])")" -gt 1 ]; then
	rcheck "$WORK/wsno.json" "[r[1].get('status'), b(1).get('path')]" '[200, "/echo/after-refused-upgrade"]' \
	    "the request after a refused Upgrade"
	wait_for 5 grep -q '"path":"/echo/after-refused-upgrade"' "$TF_ACCESS" ||
	    sfail "the request after a refused Upgrade was answered but not logged (passed through as a tunnel?)"
	note "after the refused Upgrade the connection carried the next request as HTTP"
else
	rcheck "$WORK/wsno.json" "d['end']" closed "after a refused Upgrade: one response, then the close"
	note "after the refused Upgrade the connection was closed"
fi

tf_alive
stop_tlsfloor
finish
