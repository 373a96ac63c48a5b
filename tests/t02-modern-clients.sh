#!/bin/sh
# TLS 1.3 and TLS 1.2 clients get through to the origin over a verified
# upstream leg: Host rewritten (or preserved with preserve-host on),
# X-Forwarded-For/-Proto set, bodies intact, one access record per request,
# no legacy records.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin

conf() {
	mk_conf "$WORK/t02.conf" <<EOF
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    min-tls      1.2
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
    preserve-host $1
}
EOF
}

# header NAME: the value of the first header NAME (any case) the origin saw,
# from the /echo JSON on stdin.
header() {
	jget "([v for k, v in d['headers'] if k.lower() == '$1'.lower()] + [''])[0]"
}

# check_echo JSON-FILE CLIENT-TLS: the checks every /echo reply gets.
check_echo() {
	_host=$(header host <"$1")
	case $_host in
	localhost | localhost:*) ;;
	*) fail "$2: origin saw Host '$_host', expected localhost[:port]" ;;
	esac
	assert_eq "$(header x-forwarded-for <"$1")" 127.0.0.1 "$2: X-Forwarded-For"
	assert_eq "$(header x-forwarded-proto <"$1")" https "$2: X-Forwarded-Proto"
	_ntf=$(jget "len([k for k, v in d['headers'] if k.lower() == 'x-forwarded-for'])" <"$1")
	assert_eq "$_ntf" 1 "$2: number of X-Forwarded-For headers"
	assert_match "$(jget "d['tls_version']" <"$1")" '^TLSv1\.[23]$' \
	    "$2: upstream TLS version at the origin"
	assert_eq "$(jget "d['sni']" <"$1")" outlook.office365.test \
	    "$2: SNI the origin got (upstream-sni)"
	assert_eq "$(jget "d['method']" <"$1")" GET "$2: method"
	assert_eq "$(jget "d['path']" <"$1")" "/echo/$2?q=1" "$2: path"
	note "$2: origin saw Host $_host, $(jget "d['tls_version']" <"$1") upstream"
}

conf off
start_tlsfloor "$WORK/t02.conf"

# TLS 1.3, then TLS 1.2 only.
curl_tf --tlsv1.3 -v -o "$WORK/r13.json" -w '%{http_code}' \
    "$TF_URL/echo/tls13?q=1" >"$WORK/code" 2>"$WORK/curl13.err" ||
    fail "curl --tlsv1.3: $(tail -n 1 "$WORK/curl13.err")"
assert_eq "$(cat "$WORK/code")" 200 "TLS 1.3 status"
assert_grep 'SSL connection using TLSv1\.3' "$WORK/curl13.err" "client TLS 1.3"
check_echo "$WORK/r13.json" tls13

curl_tf --tlsv1.2 --tls-max 1.2 -v -o "$WORK/r12.json" -w '%{http_code}' \
    "$TF_URL/echo/tls12?q=1" >"$WORK/code" 2>"$WORK/curl12.err" ||
    fail "curl --tls-max 1.2: $(tail -n 1 "$WORK/curl12.err")"
assert_eq "$(cat "$WORK/code")" 200 "TLS 1.2 status"
assert_grep 'SSL connection using TLSv1\.2' "$WORK/curl12.err" "client TLS 1.2"
check_echo "$WORK/r12.json" tls12

# A request body arrives intact: Content-Length, then chunked.
head -c 1048583 /dev/urandom >"$WORK/body"
want=$(sha256_of "$WORK/body")
curl_tf --data-binary "@$WORK/body" -H 'Content-Type: application/octet-stream' \
    -o "$WORK/post.json" -w '%{http_code}' "$TF_URL/echo/post" >"$WORK/code"
assert_eq "$(cat "$WORK/code")" 200 "POST status"
assert_eq "$(jget "d['method']" <"$WORK/post.json")" POST "POST method at the origin"
assert_eq "$(jget "d['body_sha256']" <"$WORK/post.json")" "$want" "POST body sha256"
assert_eq "$(jget "d['body_len']" <"$WORK/post.json")" 1048583 "POST body length"

curl_tf -T - -X POST -H 'Transfer-Encoding: chunked' -o "$WORK/chunked.json" \
    -w '%{http_code}' "$TF_URL/echo/chunked" <"$WORK/body" >"$WORK/code"
assert_eq "$(cat "$WORK/code")" 200 "chunked POST status"
assert_eq "$(jget "d['body_sha256']" <"$WORK/chunked.json")" "$want" \
    "chunked POST body sha256"

# One access record per request, written promptly.
nreq=4
wait_lines "$TF_ACCESS" "$nreq"
pycheck '
lines = open(sys.argv[1], "rb").read().decode().splitlines()
if len(lines) != int(sys.argv[2]):
    sys.exit("access log: %d lines, expected %s" % (len(lines), sys.argv[2]))
recs = [json.loads(l) for l in lines]
want_tls = ["TLS1.3", "TLS1.2", None, None]
for i, r in enumerate(recs):
    for k in ("time", "event", "listener", "client_ip", "client_port",
              "tls_version", "cipher", "sni", "ja4", "method", "host", "path",
              "status", "bytes_in", "bytes_out", "upstream", "upstream_tls",
              "duration_ms", "user_agent", "legacy", "crypt_protocol",
              "crypt_cipher", "crypt_hash", "crypt_keyexchange"):
        if k not in r:
            sys.exit("access record %d has no %r: %s" % (i + 1, k, lines[i]))
    if r.get("event") != "request":
        sys.exit("access record %d: event %r" % (i + 1, r.get("event")))
    if r["status"] != 200:
        sys.exit("access record %d: status %r" % (i + 1, r["status"]))
    if r["tls_version"] not in ("TLS1.2", "TLS1.3"):
        sys.exit("access record %d: tls_version %r" % (i + 1, r["tls_version"]))
    if want_tls[i] and r["tls_version"] != want_tls[i]:
        sys.exit("access record %d: tls_version %r, expected %r"
                 % (i + 1, r["tls_version"], want_tls[i]))
    if r["client_ip"] != "127.0.0.1" or r["listener"] != "edge":
        sys.exit("access record %d: client_ip/listener: %s" % (i + 1, lines[i]))
    if r["legacy"] is not False:
        sys.exit("access record %d: legacy %r" % (i + 1, r["legacy"]))
if recs[2]["method"] != "POST" or recs[2]["bytes_in"] < 1048583:
    sys.exit("access record 3 (POST): method/bytes_in: %s" % lines[2])
' "$TF_ACCESS" "$nreq" || fail "access log"

# Modern clients leave no legacy record.
if [ -s "$TF_LEGACY" ]; then
	fail "legacy log is not empty after modern clients: $(head -n 1 "$TF_LEGACY")"
fi

stop_tlsfloor

# preserve-host on: the origin sees the client's Host.
conf on
start_tlsfloor "$WORK/t02.conf"
curl_tf -o "$WORK/ph.json" -w '%{http_code}' "$TF_URL/echo/preserve" >"$WORK/code"
assert_eq "$(cat "$WORK/code")" 200 "preserve-host status"
host=$(header host <"$WORK/ph.json")
case $host in
"$HOSTNAME_TF" | "$HOSTNAME_TF:$TF_PORT") ;;
*) fail "preserve-host on: origin saw Host '$host', expected $HOSTNAME_TF" ;;
esac
assert_eq "$(jget "d['sni']" <"$WORK/ph.json")" outlook.office365.test \
    "preserve-host on: upstream SNI"
note "preserve-host on: origin saw Host $host"

stop_tlsfloor
exit 0
