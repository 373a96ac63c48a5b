#!/bin/sh
# Bodies stream: a 50 MiB upload and a 50 MiB download pass through intact
# while the gateway's peak RSS stays under 32 MiB.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
size=52428800
limit_kb=32768
start_origin

mk_conf "$WORK/t06.conf" <<EOF2
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF2
start_tlsfloor "$WORK/t06.conf"
note "VmHWM after start: $(vmhwm_kb "$TF_PID") kB"

# Upload.
head -c "$size" /dev/urandom >"$WORK/up"
want=$(sha256_of "$WORK/up")
curl_tf --max-time 120 --data-binary "@$WORK/up" \
    -H 'Content-Type: application/octet-stream' \
    -o "$WORK/up.json" -w '%{http_code}' "$TF_URL/sha256" >"$WORK/code"
assert_eq "$(cat "$WORK/code")" 200 "upload status"
assert_eq "$(jget "d['len']" <"$WORK/up.json")" "$size" "upload length at the origin"
assert_eq "$(jget "d['sha256']" <"$WORK/up.json")" "$want" "upload sha256 at the origin"
rm -f "$WORK/up"
tf_alive
note "VmHWM after upload: $(vmhwm_kb "$TF_PID") kB"

# Download.
curl_tf --max-time 120 -D "$WORK/down.head" -o "$WORK/down" \
    -w '%{http_code}' "$TF_URL/bytes/$size" >"$WORK/code"
assert_eq "$(cat "$WORK/code")" 200 "download status"
assert_eq "$(wc -c <"$WORK/down" | tr -d ' ')" "$size" "download length"
got=$(sha256_of "$WORK/down")
rm -f "$WORK/down"
hdr=$(tr -d '\r' <"$WORK/down.head" | awk 'tolower($1) == "x-sha256:" { print $2 }')
assert_eq "$got" "$hdr" "download sha256 against the origin's X-Sha256"
pattern=$("$PY" -c '
import hashlib, sys
n = int(sys.argv[1])
block = bytes(range(251)) * 512          # 128512 bytes = 512 periods
h = hashlib.sha256()
while n > 0:
    k = min(n, len(block))
    h.update(block[:k])
    n -= k
print(h.hexdigest())' "$size")
assert_eq "$got" "$pattern" "download sha256 against the (i % 251) pattern"

tf_alive
hwm=$(vmhwm_kb "$TF_PID")
note "VmHWM after download: $hwm kB (limit $limit_kb kB)"
[ "$hwm" -lt "$limit_kb" ] || fail "gateway peak RSS $hwm kB >= $limit_kb kB"

# The access records count the bytes.
wait_lines "$TF_ACCESS" 2
pycheck '
recs = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
up, down = recs[0], recs[1]
if up["status"] != 200 or up["bytes_in"] < n:
    sys.exit("upload record: status %r bytes_in %r" % (up["status"], up["bytes_in"]))
if down["status"] != 200 or down["bytes_out"] < n:
    sys.exit("download record: status %r bytes_out %r" % (down["status"], down["bytes_out"]))
' "$TF_ACCESS" "$size" || fail "access records"

stop_tlsfloor
exit 0
