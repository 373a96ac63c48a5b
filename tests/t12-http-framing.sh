#!/bin/sh
# HTTP/1.1 framing through the gateway, as Exchange clients use it:
#  - chunked request bodies (curl, and raw with chunk extensions and a
#    trailer) arrive intact, and the connection goes on;
#  - a chunked response (chunk extensions, mixed-case and zero-padded hex
#    sizes, trailers) arrives intact;
#  - HEAD gets the head (with the GET's Content-Length) and no body, for a
#    Content-Length, a chunked and a /bytes response; 204 and 304 have no
#    body; the connection carries the next request after each;
#  - a response with neither Content-Length nor Transfer-Encoding is read to
#    the close and arrives intact;
#  - the extension methods RPC_IN_DATA, RPC_OUT_DATA and PROPFIND reach the
#    origin with their names and bodies (and the access log names them);
#  - Expect: 100-continue: the origin's 100 reaches the client before it
#    sends the body, the body then arrives; when the origin refuses at once
#    (417, 401), the client gets that final status without sending a byte
#    of its body;
#  - pipelining: requests sent in one write get their responses in order.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
# shellcheck source-path=SCRIPTDIR source=lib-http.sh
. "$TF_SRCDIR/tests/lib-http.sh"
start_origin

mk_conf "$WORK/t12.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t12.conf"

# ---------------------------------------------------------------------------
note "chunked request bodies"

head -c 777777 /dev/urandom >"$WORK/body"
want=$(sha256_of "$WORK/body")
code=$(curl_tf -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/body" \
    -o "$WORK/c.json" -w '%{http_code}' "$TF_URL/echo/chunked-curl") ||
    sfail "chunked POST with curl failed"
check "$code" 200 "chunked POST (curl) status"
check "$(jget "d['body_sha256']" <"$WORK/c.json")" "$want" "chunked POST (curl) body sha256"
check "$(jget "d['body_len']" <"$WORK/c.json")" 777777 "chunked POST (curl) body length"

# Chunk extensions on every chunk, a trailer, odd chunk sizes; then the
# next request on the same connection.
raw "$WORK/ch.json" \
    "send:POST /echo/chunked-raw HTTP/1.1\\r\\n${H}Transfer-Encoding: chunked\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n" \
    chunked:300001:4093:x resp \
    "send:GET /echo/after-chunked HTTP/1.1\\r\\n${H}\\r\\n" resp
want=$(rget "$WORK/ch.json" "d['bodies'][0]['sha256']")
rcheck "$WORK/ch.json" "r[0].get('status')" 200 "chunked POST with extensions and trailer: status"
rcheck "$WORK/ch.json" "b(0)['body_len']" 300001 "chunked POST with extensions: length at the origin"
rcheck "$WORK/ch.json" "b(0)['body_sha256']" "$want" "chunked POST with extensions: sha256 at the origin"
rcheck "$WORK/ch.json" "[r[1].get('status'), b(1)['path']]" '[200, "/echo/after-chunked"]' \
    "the request after a chunked body with a trailer, same connection"

# ---------------------------------------------------------------------------
note "chunked response with extensions and trailers"

n=1000003
want=$(pattern_sha "$n")
code=$(curl_tf -D "$WORK/ch.head" -o "$WORK/ch.body" -w '%{http_code}' \
    "$TF_URL/chunked/$n?size=8191") || sfail "GET /chunked with curl failed"
check "$code" 200 "chunked response (curl) status"
check "$(sha256_of "$WORK/ch.body")" "$want" "chunked response (curl) body sha256"

raw "$WORK/chr.json" \
    "send:GET /chunked/$n?size=8191 HTTP/1.1\\r\\n${H}\\r\\n" resp \
    "send:GET /echo/after-chunked-response HTTP/1.1\\r\\n${H}\\r\\n" resp
rcheck "$WORK/chr.json" "r[0].get('status')" 200 "chunked response (raw): status"
rcheck "$WORK/chr.json" "r[0]['body_len']" "$n" "chunked response (raw): length"
rcheck "$WORK/chr.json" "r[0]['body_sha256']" "$want" "chunked response (raw): sha256"
rcheck "$WORK/chr.json" "[r[1].get('status'), b(1)['path']]" '[200, "/echo/after-chunked-response"]' \
    "the request after a chunked response, same connection"
note "chunked response reached the client as $(rget "$WORK/chr.json" "r[0]['framing']")" \
    "with $(rget "$WORK/chr.json" "r[0]['chunks']") chunks;" \
    "trailers passed on: $(rget "$WORK/chr.json" "[k for k, v in r[0]['trailers']] or 'none'")"

# ---------------------------------------------------------------------------
note "HEAD, 204 and 304 have no body and keep the connection"

raw "$WORK/head.json" \
    "send:HEAD /head HTTP/1.1\\r\\n${H}\\r\\n" headresp \
    "send:HEAD /chunked/5000 HTTP/1.1\\r\\n${H}\\r\\n" headresp \
    "send:HEAD /bytes/5000 HTTP/1.1\\r\\n${H}\\r\\n" headresp \
    "send:GET /status/204 HTTP/1.1\\r\\n${H}\\r\\n" resp \
    "send:GET /status/304 HTTP/1.1\\r\\n${H}\\r\\n" resp \
    "send:GET /echo/after-head HTTP/1.1\\r\\n${H}\\r\\n" resp \
    rest:1
rcheck "$WORK/head.json" "[r[i].get('status') for i in range(6)]" \
    '[200, 200, 200, 204, 304, 200]' "statuses of HEAD, HEAD, HEAD, 204, 304, GET on one connection"
rcheck "$WORK/head.json" "h(0, 'content-length')" '["19"]' "HEAD /head: Content-Length of the GET"
rcheck "$WORK/head.json" "h(0, 'x-head-test')" '["1"]' "HEAD /head: its headers"
rcheck "$WORK/head.json" "h(2, 'content-length')" '["5000"]' "HEAD /bytes/5000: Content-Length"
rcheck "$WORK/head.json" "[h(i, 'content-length') for i in (3, 4)]" '[[], []]' \
    "204 and 304: no Content-Length"
rcheck "$WORK/head.json" "[h(i, 'transfer-encoding') for i in (1, 3, 4)]" '[[], [], []]' \
    "HEAD of a chunked response, 204, 304: no Transfer-Encoding"
rcheck "$WORK/head.json" "b(5)['path']" /echo/after-head "the GET after HEAD, 204 and 304"
rcheck "$WORK/head.json" "[d['end'], d['extra_len']]" '["timeout", 0]' \
    "no stray bytes after the last response, connection still open"

# ---------------------------------------------------------------------------
note "a response without Content-Length or Transfer-Encoding is read to the close"

n=2000000
want=$(pattern_sha "$n")
mark=$(log_mark)
raw "$WORK/nolen.json" "send:GET /nolength/$n HTTP/1.1\\r\\n${H}\\r\\n" resp rest:5
rcheck "$WORK/nolen.json" "r[0].get('status')" 200 "no-length response: status"
rcheck "$WORK/nolen.json" "[r[0]['body_len'], r[0]['complete']]" "[$n, true]" "no-length response: length"
rcheck "$WORK/nolen.json" "r[0]['body_sha256']" "$want" "no-length response: sha256"
rcheck "$WORK/nolen.json" "d['end']" closed "no-length response: the connection ends after it"
code=$(curl_tf -o "$WORK/nolen.body" -w '%{http_code}' "$TF_URL/nolength/$n") ||
    sfail "GET /nolength with curl failed"
check "$code" 200 "no-length response (curl) status"
check "$(sha256_of "$WORK/nolen.body")" "$want" "no-length response (curl) sha256"
# Reading to the close is how such a response ends: not an upstream error.
errs=$(log_since "$mark" | grep -F '[error]' || true)
[ -z "$errs" ] || sfail "a complete read-to-close response was logged as an upstream error: $errs"

# ---------------------------------------------------------------------------
note "extension methods RPC_IN_DATA, RPC_OUT_DATA, PROPFIND"

head -c 65536 /dev/urandom >"$WORK/rpc-in"
head -c 76 /dev/urandom >"$WORK/rpc-out"
printf '<?xml version="1.0"?>\n<propfind xmlns="DAV:"><allprop/></propfind>\n' >"$WORK/dav.xml"
for m in RPC_IN_DATA:rpc-in RPC_OUT_DATA:rpc-out PROPFIND:dav.xml; do
	meth=${m%%:*}
	f=$WORK/${m#*:}
	code=$(curl_tf -X "$meth" -H 'Content-Type: application/rpc' -H 'Depth: 1' \
	    --data-binary "@$f" -o "$WORK/m.json" -w '%{http_code}' \
	    "$TF_URL/echo/$meth?x=1") || sfail "$meth with curl failed"
	check "$code" 200 "$meth status"
	check "$(jget "d['method']" <"$WORK/m.json")" "$meth" "$meth: method at the origin"
	check "$(jget "d['path']" <"$WORK/m.json")" "/echo/$meth?x=1" "$meth: path at the origin"
	check "$(jget "d['body_sha256']" <"$WORK/m.json")" "$(sha256_of "$f")" "$meth: body sha256"
	check "$(jget "d['body_len']" <"$WORK/m.json")" "$(wc -c <"$f" | tr -d ' ')" "$meth: body length"
done
# RPC_OUT_DATA as Outlook Anywhere sends it (76-byte body), a streamed
# response, then another extension method on the same connection.
n=3000000
raw "$WORK/rpc.json" \
    "send:RPC_OUT_DATA /bytes/$n HTTP/1.1\\r\\n${H}Content-Length: 76\\r\\n\\r\\n" body:76 resp \
    "send:RPC_IN_DATA /echo/rpc-in-2 HTTP/1.1\\r\\n${H}Content-Length: 5000\\r\\n\\r\\n" body:5000 resp
rcheck "$WORK/rpc.json" "[r[0].get('status'), r[0]['body_len'], r[0]['body_sha256']]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" "RPC_OUT_DATA download"
rcheck "$WORK/rpc.json" "[b(1)['method'], b(1)['body_len'], b(1)['body_sha256']]" \
    "[\"RPC_IN_DATA\", 5000, \"$(rget "$WORK/rpc.json" "d['bodies'][1]['sha256']")\"]" \
    "RPC_IN_DATA after RPC_OUT_DATA on one connection"
for meth in RPC_IN_DATA RPC_OUT_DATA PROPFIND; do
	grep -q "\"method\":\"$meth\"" "$TF_ACCESS" ||
	    sfail "no access record with method $meth"
done

# ---------------------------------------------------------------------------
note "Expect: 100-continue"

n=200000
raw "$WORK/exp.json" \
    "send:POST /expect HTTP/1.1\\r\\n${H}Content-Length: $n\\r\\nExpect: 100-continue\\r\\n\\r\\n" \
    resp body:$n resp \
    "send:GET /echo/after-expect HTTP/1.1\\r\\n${H}\\r\\n" resp
rcheck "$WORK/exp.json" "r[0].get('status')" 100 "Expect: the first response is the origin's 100"
rcheck "$WORK/exp.json" "r[1].get('status')" 200 "Expect: final status"
rcheck "$WORK/exp.json" "[b(1)['expect'], b(1)['continue_sent'], b(1)['len']]" \
    "[\"100-continue\", true, $n]" "Expect: what the origin saw"
rcheck "$WORK/exp.json" "b(1)['sha256']" "$(rget "$WORK/exp.json" "d['bodies'][0]['sha256']")" \
    "Expect: body sha256 at the origin"
rcheck "$WORK/exp.json" "b(2)['path']" /echo/after-expect "the request after an Expect exchange"

# The origin refuses at once: the client, which sent only the head, gets
# the final status (and nothing before it).
for code in 417 401; do
	raw "$WORK/exp$code.json" \
	    "send:PUT /expect/$code HTTP/1.1\\r\\n${H}Content-Length: 1000000\\r\\nExpect: 100-continue\\r\\n\\r\\n" \
	    resp rest:5
	rcheck "$WORK/exp$code.json" "r[0].get('status')" "$code" \
	    "Expect refused with $code: the first response the client gets"
	rcheck "$WORK/exp$code.json" "d['bodies']" "[]" "Expect refused: the client sent no body"
	note "Expect refused with $code: client got it after $(rget "$WORK/exp$code.json" "r[0]['t']") s," \
	    "then the connection $(rget "$WORK/exp$code.json" "d['end']")"
done
rcheck "$WORK/exp401.json" "h(0, 'www-authenticate')" '["Basic realm=\"contoso\""]' \
    "401: WWW-Authenticate passed on"

# curl's own Expect handling (waits for the 100 before the body).
head -c 1500000 /dev/urandom >"$WORK/ews"
code=$(curl_tf -v -H 'Expect: 100-continue' --expect100-timeout 20 \
    --data-binary "@$WORK/ews" -o "$WORK/ews.json" -w '%{http_code}' \
    "$TF_URL/expect" 2>"$WORK/ews.err") || sfail "curl with Expect failed: $(tail -n 3 "$WORK/ews.err")"
check "$code" 200 "curl Expect: status"
grep -q '^< HTTP/1.1 100' "$WORK/ews.err" || sfail "curl Expect: no 100 reached curl"
check "$(jget "d['sha256']" <"$WORK/ews.json")" "$(sha256_of "$WORK/ews")" "curl Expect: body sha256"

# ---------------------------------------------------------------------------
note "pipelining: responses in request order"

raw "$WORK/pipe.json" \
    "send:POST /echo/p1 HTTP/1.1\\r\\n${H}Content-Length: 5\\r\\n\\r\\nhelloHEAD /head HTTP/1.1\\r\\n${H}\\r\\nGET /echo/p3 HTTP/1.1\\r\\n${H}\\r\\nGET /chunked/70000?size=999 HTTP/1.1\\r\\n${H}\\r\\nGET /echo/p5 HTTP/1.1\\r\\n${H}Connection: close\\r\\n\\r\\n" \
    resp headresp resp resp resp rest:5
rcheck "$WORK/pipe.json" "[r[i].get('status') for i in range(5)]" '[200, 200, 200, 200, 200]' \
    "pipelined statuses"
rcheck "$WORK/pipe.json" "[b(0)['path'], b(0)['body_len'], h(1, 'x-head-test'), b(2)['path'], r[3]['body_sha256'], b(4)['path']]" \
    "[\"/echo/p1\", 5, [\"1\"], \"/echo/p3\", \"$(pattern_sha 70000)\", \"/echo/p5\"]" \
    "pipelined responses, in order"
rcheck "$WORK/pipe.json" "[d['end'], d['extra_len']]" '["closed", 0]' \
    "after Connection: close, the connection ends"

# ---------------------------------------------------------------------------
# Last, as it exposes a parser limit rather than framing logic: chunk lines
# with several extensions with token values (";a=1;b=2", valid by RFC 9112
# 7.1.1, where "a recipient MUST ignore unrecognized chunk extensions").
note "several chunk extensions with token values on one chunk line"

n=100000
raw "$WORK/multi.json" \
    "send:GET /chunked/$n?size=4000&ext=multi HTTP/1.1\\r\\n${H}\\r\\n" resp
rcheck "$WORK/multi.json" "[r[0].get('status'), r[0]['body_len'], r[0]['body_sha256']]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" \
    "response with chunk lines like 'fa0;a=1;b=2' (several token-valued extensions)"
raw "$WORK/multi2.json" \
    "send:POST /echo/chunked-multi HTTP/1.1\\r\\n${H}Transfer-Encoding: chunked\\r\\n\\r\\n" \
    chunked:$n:4000:m resp
rcheck "$WORK/multi2.json" "[r[0].get('status'), b(0).get('body_len'), b(0).get('body_sha256')]" \
    "[200, $n, \"$(pattern_sha "$n")\"]" \
    "request with chunk lines like 'fa0;a=0;b=c' (several token-valued extensions)"

tf_alive
stop_tlsfloor
finish
