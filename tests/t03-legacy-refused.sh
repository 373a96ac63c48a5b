#!/bin/sh
# TLS 1.0 and 1.1 clients (OpenSSL, GnuTLS, hand-built hellos) are refused
# with a protocol_version alert (70), and each leaves exactly one
# legacy_client record with the fields of SPEC "Legacy-client records";
# records stay valid JSON whatever bytes the SNI holds. SSL 3.0 and
# SSLv2-format hellos are refused and recorded too.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need gnutls-cli
start_origin

mk_conf "$WORK/t03.conf" <<EOF
listener edge {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    min-tls      1.2
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF
start_tlsfloor "$WORK/t03.conf"

nrec=0
# check_record LINE OFFERED SNI-JSON JA4-PREFIX [HELLO-FORMAT]: checks the
# legacy record on LINE.
check_record() {
	pycheck '
line = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()[int(sys.argv[2]) - 1]
r = json.loads(line)
want_max, want_sni, ja4_prefix = sys.argv[3], json.loads(sys.argv[4]), sys.argv[5]
want_format = sys.argv[6]
def bad(msg):
    sys.exit("record %s: %s\n  %s" % (sys.argv[2], msg, line))
for k in ("time", "event", "action", "listener", "client_ip", "client_port",
          "sni", "offered_max", "offered_versions", "hello_format",
          "cipher_suites", "ja3", "ja3_md5", "ja4", "client_guess"):
    if k not in r:
        bad("no %r" % k)
if r["event"] != "legacy_client": bad("event %r" % r["event"])
if r["action"] != "refused": bad("action %r" % r["action"])
if r["listener"] != "edge": bad("listener %r" % r["listener"])
if r["client_ip"] != "127.0.0.1": bad("client_ip %r" % r["client_ip"])
p = r["client_port"]
if type(p) is not int or not 0 < p < 65536: bad("client_port %r" % p)
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", r["time"]):
    bad("time %r is not RFC 3339 UTC" % r["time"])
if r["offered_max"] != want_max: bad("offered_max %r" % r["offered_max"])
if r["offered_versions"] != [want_max]:
    bad("offered_versions %r" % r["offered_versions"])
if r["hello_format"] != want_format: bad("hello_format %r, expected %r" % (r["hello_format"], want_format))
if r["sni"] != want_sni: bad("sni %r, expected %r" % (r["sni"], want_sni))
cs = r["cipher_suites"]
if not cs or not all(isinstance(c, str) and re.fullmatch("0x[0-9a-f]{4}", c) for c in cs):
    bad("cipher_suites %r" % cs)
ja3 = r["ja3"]
if not isinstance(ja3, str): bad("ja3 %r" % ja3)
f = ja3.split(",")
if len(f) != 5: bad("ja3 %r does not have 5 fields" % ja3)
want_v = {"SSL2.0": "2", "SSL3.0": "768", "TLS1.0": "769", "TLS1.1": "770"}[want_max]
if f[0] != want_v: bad("ja3 version %r, expected %s" % (f[0], want_v))
if f[1] != "-".join(str(int(c, 16)) for c in cs):
    bad("ja3 ciphers %r do not match cipher_suites" % f[1])
if want_format == "sslv2" and f[2:] != ["", "", ""]:
    bad("ja3 of an SSLv2-format hello has extension fields: %r" % ja3)
if r["ja3_md5"] != hashlib.md5(ja3.encode()).hexdigest():
    bad("ja3_md5 %r is not md5(ja3)" % r["ja3_md5"])
if not isinstance(r["ja4"], str) or not r["ja4"].startswith(ja4_prefix):
    bad("ja4 %r, expected it to start with %r" % (r["ja4"], ja4_prefix))
if r["client_guess"] is not None and not isinstance(r["client_guess"], str):
    bad("client_guess %r" % r["client_guess"])
print("# record %s: %s %s sni=%r ja4=%s guess=%r" % (sys.argv[2], r["action"],
      r["offered_max"], r["sni"], r["ja4"], r["client_guess"]))
'  "$TF_LEGACY" "$1" "$2" "$3" "$4" "${5:-tls}" || fail "legacy record $1"
}

# expect_new_record WHAT OFFERED SNI-JSON JA4-PREFIX [HELLO-FORMAT]: exactly
# one more record than before, and it checks out.
expect_new_record() {
	nrec=$((nrec + 1))
	wait_lines "$TF_LEGACY" "$nrec"
	n=$(nlines "$TF_LEGACY")
	[ "$n" -eq "$nrec" ] || fail "$1: legacy log has $n records, expected $nrec"
	check_record "$nrec" "$2" "$3" "$4" "${5:-tls}"
}

# --- OpenSSL ----------------------------------------------------------------

for v in 1 1_1; do
	case $v in
	1) offered=TLS1.0 ja4=t10d ;;
	1_1) offered=TLS1.1 ja4=t11d ;;
	esac
	rc=0
	s_client -tls$v -cipher 'DEFAULT@SECLEVEL=0' -servername "$HOSTNAME_TF" \
	    >"$WORK/s_client.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "openssl s_client -tls$v: handshake succeeded"
	[ "$rc" -ne 124 ] || fail "openssl s_client -tls$v: timed out"
	assert_grep 'alert protocol version|alert number 70' "$WORK/s_client.out" \
	    "openssl s_client -tls$v: protocol_version alert"
	note "openssl -tls$v: $(grep -Eo 'alert protocol version|alert number 70' "$WORK/s_client.out" | head -n 1)"
	expect_new_record "openssl -tls$v" "$offered" "\"$HOSTNAME_TF\"" "$ja4"
done

# --- GnuTLS -----------------------------------------------------------------

for v in 1.0 1.1; do
	rc=0
	gnutls_cli --priority="NORMAL:-VERS-ALL:+VERS-TLS$v" \
	    >"$WORK/gnutls.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "gnutls-cli TLS$v: handshake succeeded"
	[ "$rc" -ne 124 ] || fail "gnutls-cli TLS$v: timed out"
	assert_grep 'Received alert \[70\]' "$WORK/gnutls.out" \
	    "gnutls-cli TLS$v: protocol_version alert"
	note "gnutls-cli TLS$v: $(grep -o 'Received alert \[70\].*' "$WORK/gnutls.out")"
	expect_new_record "gnutls-cli TLS$v" "TLS$v" "\"$HOSTNAME_TF\"" \
	    "t$(echo "$v" | tr -d .)d"
done

# --- hand-built hellos ------------------------------------------------------

# An SNI holding a quote, a backslash and a control byte (0x01).
sni_hex=$(printf 'we"ird\\\001.contoso.test' | od -An -tx1 | tr -d ' \n')
out=$(hello --version 1.0 --sni-hex "$sni_hex")
assert_eq "$out" "alert 2 70" "TLS 1.0 hello with odd SNI"
expect_new_record "odd SNI" TLS1.0 '"we\"ird\\\u0001.contoso.test"' t10d
pycheck '
raw = open(sys.argv[1], "rb").read().splitlines()[-1]
if b"\x01" in raw:
    sys.exit("the record holds a raw control byte: %r" % raw)
if json.loads(raw)["sni"].encode() != bytes.fromhex(sys.argv[2]):
    sys.exit("sni does not round-trip")
' "$TF_LEGACY" "$sni_hex" || fail "JSON escaping of the SNI"

# No SNI: "sni":null and a JA4 of type "i".
out=$(hello --version 1.1)
assert_eq "$out" "alert 2 70" "TLS 1.1 hello without SNI"
expect_new_record "no SNI" TLS1.1 null t11i

# GREASE in the cipher list is not reported.
out=$(hello --version 1.0 --grease --sni "$HOSTNAME_TF" --ciphers 0x0035,0x002f,0x000a)
assert_eq "$out" "alert 2 70" "TLS 1.0 hello with GREASE"
expect_new_record "GREASE" TLS1.0 "\"$HOSTNAME_TF\"" t10d
got=$(tail -n 1 "$TF_LEGACY" | jget "','.join(d['cipher_suites'])")
assert_eq "$got" "0x0035,0x002f,0x000a" "cipher_suites without GREASE"

# SSL 3.0, which BoringSSL cannot speak: always refused.
out=$(hello --version 3.0 --sni "$HOSTNAME_TF")
assert_eq "$out" "alert 2 70" "SSL 3.0 hello"
expect_new_record "SSL 3.0" SSL3.0 "\"$HOSTNAME_TF\"" ts3d

# SSLv2-format hellos (old Schannel, Java): TLS 1.0 offered inside one, and
# pure SSL 2.0. cipher_suites and JA3 cover the TLS-compatible specs only.
ciphers_tls=0x0035,0x002f,0x000a
for v in 1.0 2.0; do
	out=$(hello --sslv2 --version "$v" --ciphers "0x0700c0,$ciphers_tls,0x010080")
	case $out in
	"alert 2 70" | closed) ;;
	*) fail "SSLv2-format hello offering $v: got '$out'" ;;
	esac
	case $v in
	1.0) offered=TLS1.0 ja4=t10i ;;
	2.0) offered=SSL2.0 ja4=ts2i ;;
	esac
	expect_new_record "SSLv2-format hello ($v)" "$offered" null "$ja4" sslv2
	got=$(tail -n 1 "$TF_LEGACY" | jget "','.join(d['cipher_suites'])")
	assert_eq "$got" "$ciphers_tls" "SSLv2-format hello ($v): cipher_suites"
done

# --- the gateway still serves modern clients, who leave no record ----------

code=$(curl_tf -o /dev/null -w '%{http_code}' "$TF_URL/echo")
assert_eq "$code" 200 "modern client after the refusals"
assert_eq "$(nlines "$TF_LEGACY")" "$nrec" "legacy records after a modern client"

stop_tlsfloor
exit 0
