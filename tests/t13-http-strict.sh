#!/bin/sh
# Ambiguous and malformed requests are refused, whole: each gets 400 (431
# for the oversize head), the connection is closed, and NOTHING reaches the
# origin (its request log is compared before and after every case). Each
# attack is sent in one write, so that the whole of it is in the gateway's
# hands before it decides. The gateway and the origin must never disagree
# about where a request ends: a request hidden in a body ("/echo/smuggled")
# must never be seen by the origin, whatever else happens.
#
# Requests refused (400 unless said):
#   clte            Content-Length then Transfer-Encoding: chunked (CL.TE)
#   tecl            Transfer-Encoding: chunked then Content-Length (TE.CL)
#   cl-twice        two Content-Length headers with different values
#   cl-list         Content-Length: 5, 41
#   cl-12a          Content-Length: 12a
#   cl-negative     Content-Length: -1
#   cl-inner-space  Content-Length:  1 2
#   cl-plus         Content-Length: +12
#   cl-overflow     Content-Length: 99999999999999999999999
#   chunk-zz        chunk size "zz"
#   chunk-overflow  chunk size ffffffffffffffffff (overflows 64 bits)
#   chunk-bare-lf   chunk size line ended by a bare LF
#   chunk-no-crlf   chunk data not followed by CRLF
#   te-xchunked     Transfer-Encoding: xchunked (TE.TE)
#   te-space-colon  "Transfer-Encoding : chunked" (blank before the colon)
#   te-chunked-identity  Transfer-Encoding: chunked, identity
#   te-identity     Transfer-Encoding: identity
#   te-twice        Transfer-Encoding: chunked, then Transfer-Encoding: x
#   te-vtab         Transfer-Encoding:<VT>chunked
#   obs-fold        a header line starting with a space
#   obs-fold-te     "Transfer-Encoding:" folded onto " chunked"
#   bare-lf         a head with LF line endings only
#   bare-lf-header  one header line ended by a bare LF before a TE header
#   bare-cr         a CR not followed by LF inside the head
#   name-space      a header name with a space ("Bad Name: x")
#   name-ctl        a header name with a control byte (0x01)
#   name-empty      an empty header name (": x")
#   value-nul       a NUL byte in a header value
#   no-host         HTTP/1.1 without Host
#   two-hosts       two Host headers
#   http09          a request line without a version, with fields after it
#   oversize        a 5000-byte header with max-header-size 4k: 431
# Requests that are legitimate and must be read exactly as the origin reads
# them (no smuggled request reaches it, the connection goes on):
#   te-case         Transfer-Encoding: Chunked
#   te-ows          Transfer-Encoding:<TAB>chunked<SP>
#   cl-zeros        Content-Length: 005
#   get-body        GET with a Content-Length body that looks like a request
#   conn-cl         Connection: Content-Length (a hop-by-hop header naming the
#                   framing header): 400, or the body still framed for the
#                   origin and the next request answered with its own
#                   response
#   te-gzip         Transfer-Encoding: gzip, chunked: 501/400, or forwarded
#                   with the gzip coding still named
# Malformed responses from the origin (/malformed/KIND): 502, or, when the
# defect is in the body after a valid head (chunksize, chunkovf), a response
# visibly cut short and the connection closed; truncated (Content-Length 100,
# 10 bytes, close): cut short and closed.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
# shellcheck source-path=SCRIPTDIR source=lib-http.sh
. "$TF_SRCDIR/tests/lib-http.sh"
start_origin

mk_conf "$WORK/t13.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
    max-header-size 4k
}
EOF2
start_tlsfloor "$WORK/t13.conf"

# blen TEXT: the length in bytes of TEXT with rawhttp's escapes decoded.
blen() {
	"$PY" -c 'import codecs, sys
print(len(codecs.escape_decode(sys.argv[1].encode())[0]))' "$1"
}
hex() {
	printf '%x' "$1"
}

# The request an attack hides in a body, and the one after it.
S='GET /echo/smuggled HTTP/1.1\r\n'$H'\r\n'
SLEN=$(blen "$S")
P='POST /echo/attack HTTP/1.1\r\n'$H

# attack NAME WANT RAW: sends RAW in one write; expects status WANT, the
# connection closed and no request at the origin.
ncases=0
attack() {
	ncases=$((ncases + 1))
	note "request $1: expect $2"
	_n0=$(origin_log_total)
	raw "$WORK/$1.json" -t 5 "send:$3" resp rest:5
	rcheck "$WORK/$1.json" "r[0].get('status')" "$2" "$1: status"
	rcheck "$WORK/$1.json" "[len(d['responses']), d['end']]" '[1, "closed"]' \
	    "$1: one response, then the connection closed"
	_seen=$(origin_log_since "$_n0")
	[ -z "$_seen" ] || sfail "$1: requests reached the origin: $_seen"
}

# legit NAME RAW EXPR WANT ORIGIN-LINES: sends RAW (with a request after it)
# in one write; EXPR over the responses must print WANT, and the request
# lines the origin saw must be exactly ORIGIN-LINES (joined by "|").
legit() {
	note "request $1: legitimate, read as the origin reads it"
	_n0=$(origin_log_total)
	raw "$WORK/$1.json" -t 5 "send:$2GET /echo/after HTTP/1.1\\r\\n${H}\\r\\n" \
	    resp resp
	rcheck "$WORK/$1.json" "$3" "$4" "$1"
	_seen=$(origin_log_since "$_n0" | sed 's/ (conn [0-9]*)$//' | tr '\n' '|')
	check "${_seen%|}" "$5" "$1: request lines at the origin"
}

attack clte 400 "${P}Content-Length: $((5 + SLEN))\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack tecl 400 "${P}Transfer-Encoding: chunked\\r\\nContent-Length: 4\\r\\n\\r\\n$(hex "$SLEN")\\r\\n$S\\r\\n0\\r\\n\\r\\n"
attack cl-twice 400 "${P}Content-Length: 0\\r\\nContent-Length: $SLEN\\r\\n\\r\\n$S"
attack cl-list 400 "${P}Content-Length: 0, $SLEN\\r\\n\\r\\n$S"
attack cl-12a 400 "${P}Content-Length: 12a\\r\\n\\r\\n$S"
attack cl-negative 400 "${P}Content-Length: -1\\r\\n\\r\\n$S"
attack cl-inner-space 400 "${P}Content-Length:  1 2\\r\\n\\r\\n$S"
attack cl-plus 400 "${P}Content-Length: +12\\r\\n\\r\\n$S"
attack cl-overflow 400 "${P}Content-Length: 99999999999999999999999\\r\\n\\r\\n$S"
attack chunk-zz 400 "${P}Transfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n$S\\r\\n0\\r\\n\\r\\n"
attack chunk-overflow 400 "${P}Transfer-Encoding: chunked\\r\\n\\r\\nffffffffffffffffff\\r\\n$S\\r\\n0\\r\\n\\r\\n"
attack chunk-bare-lf 400 "${P}Transfer-Encoding: chunked\\r\\n\\r\\n$(hex "$SLEN")\\n$S\\r\\n0\\r\\n\\r\\n"
attack chunk-no-crlf 400 "${P}Transfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhelloX0\\r\\n\\r\\n$S"
attack te-xchunked 400 "${P}Transfer-Encoding: xchunked\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack te-space-colon 400 "${P}Transfer-Encoding : chunked\\r\\nContent-Length: $((5 + SLEN))\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack te-chunked-identity 400 "${P}Transfer-Encoding: chunked, identity\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack te-identity 400 "${P}Transfer-Encoding: identity\\r\\n\\r\\n$S"
attack te-twice 400 "${P}Transfer-Encoding: chunked\\r\\nTransfer-Encoding: x\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack te-vtab 400 "${P}Transfer-Encoding:\\x0bchunked\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack obs-fold 400 "${P}X-Pad: a\\r\\n folded\\r\\nContent-Length: 0\\r\\n\\r\\n$S"
attack obs-fold-te 400 "${P}Content-Length: $((5 + SLEN))\\r\\nX-Pad: a\\r\\n Transfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack bare-lf 400 "GET /echo/attack HTTP/1.1\\nHost: mail.contoso.test\\n\\n$S"
attack bare-lf-header 400 "${P}X-Pad: a\\nTransfer-Encoding: chunked\\r\\nContent-Length: $((5 + SLEN))\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack bare-cr 400 "${P}X-Pad: a\\rTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n$S"
attack name-space 400 "${P}Bad Name: x\\r\\nContent-Length: 0\\r\\n\\r\\n$S"
attack name-ctl 400 "${P}X-Bad\\x01: x\\r\\nContent-Length: 0\\r\\n\\r\\n$S"
attack name-empty 400 "${P}: x\\r\\nContent-Length: 0\\r\\n\\r\\n$S"
attack value-nul 400 "${P}X-Pad: a\\x00b\\r\\nContent-Length: 0\\r\\n\\r\\n$S"
attack no-host 400 "GET /echo/attack HTTP/1.1\\r\\nUser-Agent: t13\\r\\n\\r\\n$S"
attack two-hosts 400 "GET /echo/attack HTTP/1.1\\r\\n${H}Host: other.fabrikam.test\\r\\n\\r\\n$S"
attack http09 400 "GET /echo/attack\\r\\n${H}Content-Length: 0\\r\\n\\r\\n$S"
big=$("$PY" -c 'print("x" * 5000)')
attack oversize 431 "GET /echo/attack HTTP/1.1\\r\\n${H}X-Big: $big\\r\\n\\r\\n$S"

# Each refused request has its access record, with its status.
n400=$(grep -Ec '"status":(400|431)[,}]' "$TF_ACCESS" || true)
check "$n400" "$ncases" "access records with status 400/431 (one per refused request)"

# Legitimate requests.
legit te-case "${P}Transfer-Encoding: Chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\n" \
    "[r[0].get('status'), b(0).get('body_len'), r[1].get('status')]" '[200, 5, 200]' \
    'POST /echo/attack HTTP/1.1|GET /echo/after HTTP/1.1'
legit te-ows "${P}Transfer-Encoding:\\tchunked \\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\n" \
    "[r[0].get('status'), b(0).get('body_len'), r[1].get('status')]" '[200, 5, 200]' \
    'POST /echo/attack HTTP/1.1|GET /echo/after HTTP/1.1'
legit cl-zeros "${P}Content-Length: 005\\r\\n\\r\\nhello" \
    "[r[0].get('status'), b(0).get('body_len'), r[1].get('status')]" '[200, 5, 200]' \
    'POST /echo/attack HTTP/1.1|GET /echo/after HTTP/1.1'
legit get-body "GET /echo/attack HTTP/1.1\\r\\n${H}Content-Length: $SLEN\\r\\n\\r\\n$S" \
    "[r[0].get('status'), b(0).get('body_len'), r[1].get('status')]" "[200, $SLEN, 200]" \
    'GET /echo/attack HTTP/1.1|GET /echo/after HTTP/1.1'

# Connection: Content-Length. Content-Length is what frames the body; a
# gateway that drops it as "listed in Connection" but still forwards the
# body hands the origin a request without a body followed by the body's
# bytes, which the origin reads as the next request.
note "request conn-cl: 400, or the body still framed for the origin"
n0=$(origin_log_total)
raw "$WORK/conn-cl.json" -t 5 \
    "send:${P}Connection: Content-Length\\r\\nContent-Length: $SLEN\\r\\n\\r\\n$S" resp \
    pause:300 "send:GET /echo/conn-cl-next HTTP/1.1\\r\\n${H}\\r\\n" resp rest:3
seen=$(origin_log_since "$n0")
st=$(rget "$WORK/conn-cl.json" "r[0].get('status')")
case $st in
400) rcheck "$WORK/conn-cl.json" "[len(d['responses']), d['end']]" '[1, "closed"]' "conn-cl: closed after 400"
     [ -z "$seen" ] || sfail "conn-cl: requests reached the origin after a 400: $seen" ;;
200) rcheck "$WORK/conn-cl.json" "b(0).get('body_len')" "$SLEN" "conn-cl: body length at the origin"
     # The next request on the connection must get its own response.
     rcheck "$WORK/conn-cl.json" "b(1).get('path')" /echo/conn-cl-next \
         "conn-cl: the response the next request on the connection gets" ;;
*) rshow "$WORK/conn-cl.json" >&2
   sfail "conn-cl: status $st, expected 400 or 200" ;;
esac
case $seen in
*smuggled*) sfail "conn-cl: the request hidden in the body reached the origin: $(echo "$seen" | tr '\n' '|')" ;;
esac

# Transfer-Encoding: gzip, chunked. Chunked is final, so the framing is
# clear; but a gateway that decodes the chunks and forwards only
# "Transfer-Encoding: chunked" passes gzip bytes off as plain ones.
note "request te-gzip: 501/400, or forwarded with gzip still named"
raw "$WORK/te-gzip.json" -t 5 \
    "send:${P}Transfer-Encoding: gzip, chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\n" resp rest:3
st=$(rget "$WORK/te-gzip.json" "r[0].get('status')")
case $st in
400 | 501) ;;
200) rcheck "$WORK/te-gzip.json" "'gzip' in ' '.join(v for k, v in b(0).get('headers', []) if k.lower() == 'transfer-encoding')" \
    true "te-gzip: forwarded, but the Transfer-Encoding the origin saw does not name gzip" ;;
*) rshow "$WORK/te-gzip.json" >&2
   sfail "te-gzip: status $st, expected 501, 400, or 200 with gzip kept" ;;
esac

# ---------------------------------------------------------------------------
# Malformed responses.
for kind in status version garbage clte cl2 badcl negcl headername \
    spacecolon nul cuthead bighead unasked101 chunksize chunkovf; do
	note "response $kind: expect 502"
	mark=$(log_mark)
	raw "$WORK/m-$kind.json" -t 5 "send:GET /malformed/$kind HTTP/1.1\\r\\n${H}\\r\\n" resp rest:3
	st=$(rget "$WORK/m-$kind.json" "r[0].get('status')")
	case $kind:$st in
	*:502)
		rcheck "$WORK/m-$kind.json" "r[0]['complete']" true "response $kind: the 502 is complete" ;;
	chunksize:200 | chunkovf:200)
		# The head was valid and went on before the body broke.
		rcheck "$WORK/m-$kind.json" "[r[0]['complete'], d['end']]" '[false, "closed"]' \
		    "response $kind: after a forwarded head, the body must end cut short and the connection closed"
		note "response $kind: head forwarded, then cut short and closed (no 502)" ;;
	*)
		rshow "$WORK/m-$kind.json" >&2
		sfail "response $kind: status $st, expected 502" ;;
	esac
	if ! log_since "$mark" | grep -q "upstream localhost:$ORIGIN_PORT"; then
		sfail "response $kind: no error-log line naming the upstream"
	fi
done

note "response truncated: cut short and closed"
raw "$WORK/m-truncated.json" -t 5 "send:GET /malformed/truncated HTTP/1.1\\r\\n${H}\\r\\n" resp rest:3
rcheck "$WORK/m-truncated.json" "[r[0].get('status'), r[0]['body_len'], r[0]['complete'], d['end']]" \
    '[200, 10, false, "closed"]' "response truncated: 10 of 100 bytes, then closed"

# Still serving.
tf_alive
code=$(curl_tf -o /dev/null -w '%{http_code}' "$TF_URL/echo/still-there") ||
    fail "a normal request after the attacks failed"
check "$code" 200 "a normal request after the attacks"

stop_tlsfloor
finish
