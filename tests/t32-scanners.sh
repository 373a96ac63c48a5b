#!/bin/sh
# Outside judges: Debian's testssl.sh (offline, protocols, vulnerabilities,
# server preferences) and sslscan, run against the gateway as an operator
# would before opening it to the internet. In `mode enforce` neither finds
# SSLv2, SSLv3, TLS 1.0 or TLS 1.1 offered, both find TLS 1.2 and 1.3, and
# testssl reports nothing of severity HIGH or CRITICAL. In `mode audit`
# both find TLS 1.0 offered: the positive control that shows the scanners
# would see a legacy protocol if the gateway let one in.
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need testssl sslscan
start_origin

# conf MODE: a listener with both key types, the floor at 1.2, in MODE.
conf() {
	mk_conf "$WORK/$1.conf" <<EOF
metrics 127.0.0.1:0
$(edge_listener "cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key" \
    "min-tls      1.2" "mode         $1")
EOF
}

# testssl_json OUT CHECKS...: testssl.sh on the gateway, its findings as
# JSON in OUT. The name is the certificate's, the address given with --ip,
# so no name is ever looked up; the test CA is added to its trust stores.
testssl_json() {
	_out=$1
	shift
	rm -f "$_out"
	# testssl exits with the number of findings it rates badly; the
	# JSON, not the status, is what is judged here.
	testssl --quiet --color 0 --warnings batch --nodns none \
	    --add-ca "$PKI/ca.pem" --ip 127.0.0.1 "$@" --jsonfile "$_out" \
	    "$HOSTNAME_TF:$TF_PORT" >"$_out.txt" 2>&1 </dev/null || true
	[ -s "$_out" ] || fail "testssl wrote no JSON (its output: $_out.txt)"
}

# sslscan_xml OUT: sslscan's protocol survey of the gateway, as XML.
sslscan_xml() {
	sslscan --no-colour --no-cipher-details --xml="$1" \
	    "127.0.0.1:$TF_PORT" >"$1.txt" 2>&1 </dev/null ||
	    fail "sslscan failed: $(tail -n 5 "$1.txt")"
}

# protocols FORMAT FILE: the protocols FILE (testssl JSON or sslscan XML)
# says are offered and not offered, one "NAME yes|no" per line, sorted.
protocols() {
	pycheck '
fmt, path = sys.argv[1], sys.argv[2]
names = {"SSLv2": "ssl2", "SSLv3": "ssl3", "TLS1": "tls1.0",
         "TLS1_1": "tls1.1", "TLS1_2": "tls1.2", "TLS1_3": "tls1.3"}
out = {}
if fmt == "testssl":
    for f in json.load(open(path)):
        if f["id"] in names:
            v = f["finding"]
            if v.startswith("not offered"):
                out[names[f["id"]]] = "no"
            elif v.startswith("offered"):
                out[names[f["id"]]] = "yes"
            else:
                sys.exit("testssl: %s: %r" % (f["id"], v))
else:
    import xml.etree.ElementTree as ET
    for p in ET.parse(path).iter("protocol"):
        # type="ssl" version="3", type="tls" version="1.2"
        out[p.get("type") + p.get("version")] = \
            "yes" if p.get("enabled") == "1" else "no"
for k in sorted(out):
    print(k, out[k])
' "$1" "$2" || fail "could not read the protocols from $2"
}

want_protocols() { # FORMAT FILE EXPECTED
	_got=$(protocols "$1" "$2" | tr '\n' ' ')
	[ "$_got" = "$3" ] ||
	    fail "$1 sees protocols '$_got', expected '$3' ($2)"
}

# ---- enforce: the verdict
conf enforce
start_tlsfloor "$WORK/enforce.conf"
tf_metrics_url

testssl_json "$WORK/enforce.json" -p -U -S
want_protocols testssl "$WORK/enforce.json" \
    "ssl2 no ssl3 no tls1.0 no tls1.1 no tls1.2 yes tls1.3 yes "
pycheck '
findings = json.load(open(sys.argv[1]))
bad = [f for f in findings if f["severity"] in ("HIGH", "CRITICAL")]
for f in bad:
    print("%s %s: %s" % (f["severity"], f["id"], f["finding"]))
# Its scans ran: a protocol, two vulnerability and a certificate finding.
ids = {f["id"] for f in findings}
for want in ("TLS1_2", "heartbleed", "ROBOT", "cert_trust <cert#1>"):
    if want not in ids:
        print("no %s finding: the scan did not run" % want)
        bad.append(want)
sys.exit(1 if bad else 0)
' "$WORK/enforce.json" >"$WORK/verdict.txt" ||
    fail "testssl: $(cat "$WORK/verdict.txt")"

sslscan_xml "$WORK/enforce.xml"
want_protocols sslscan "$WORK/enforce.xml" \
    "ssl2 no ssl3 no tls1.0 no tls1.1 no tls1.2 yes tls1.3 yes "

# Every legacy hello the scanners sent was refused and recorded: one
# legacy_client record for each one counted (the log also holds the
# handshake_failed records of their modern hellos with odd suites).
legacy_records() {
	grep -c '"event":"legacy_client"' "$TF_LEGACY" || true
}
all_recorded() {
	_n=$(tf_metric_sum tlsfloor_legacy_clients_total)
	[ "$_n" -gt 0 ] && [ "$(legacy_records)" -eq "$_n" ]
}
wait_for 10 all_recorded ||
    fail "$(tf_metric_sum tlsfloor_legacy_clients_total) legacy hellos counted, $(legacy_records) recorded"
pycheck '
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)
    if r["event"] == "legacy_client" and r["action"] != "refused":
        sys.exit("line %d: action %r in mode enforce" % (n, r["action"]))
' "$TF_LEGACY" || fail "enforce mode let a legacy client in"
tf_alive
stop_tlsfloor

# ---- audit: the positive control
conf audit
start_tlsfloor "$WORK/audit.conf"
testssl_json "$WORK/audit.json" -p
want_protocols testssl "$WORK/audit.json" \
    "ssl2 no ssl3 no tls1.0 yes tls1.1 yes tls1.2 yes tls1.3 yes "
sslscan_xml "$WORK/audit.xml"
want_protocols sslscan "$WORK/audit.xml" \
    "ssl2 no ssl3 no tls1.0 yes tls1.1 yes tls1.2 yes tls1.3 yes "
grep -q '"action":"allowed_audit"' "$TF_LEGACY" ||
    fail "audit mode recorded no audited legacy client"
tf_alive
stop_tlsfloor
