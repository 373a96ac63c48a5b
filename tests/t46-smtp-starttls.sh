#!/bin/sh
# SMTP for devices: listeners with `protocol smtp` in front of
# tests/backend/smtp_origin.py (STARTTLS, AUTH only under TLS).
#   - smtplib at TLS 1.2 and 1.3, and swaks with AUTH LOGIN, submit a
#     message that the origin stores intact (SHA-256 of its content), over
#     an upstream leg of TLS 1.2 or newer; one smtp_session record each
#   - openssl s_client -starttls smtp at TLS 1.0 is refused with alert 70
#     and one legacy_client record; under `mode audit` it gets through and
#     its session is relayed (legacy: true)
#   - before STARTTLS: EHLO offers STARTTLS, MAIL and AUTH get 530, QUIT
#     221 and the close; a 600-octet line gets 500 and the close; a silent
#     client gets 421 after handshake-timeout
#   - "STARTTLS\r\nRSET\r\n" in one write (CVE-2011-0411): RSET is neither
#     answered in plaintext nor seen by the origin after TLS
#   - behind a load balancer (proxy-protocol on) the PROXY header comes
#     before the greeting, and its client is the record's
#   - an upstream without STARTTLS, and a dead one: 421 to the client
#     over its TLS, counted in upstream_errors
#   - metrics count the handshakes by version and the legacy clients
#   - the configuration: a bad protocol, a route in an smtp listener and
#     smtp-hostname in an http one are errors at their line
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need swaks
mk_pki
SMTP_CLIENT="$PY $TF_SRCDIR/tests/tools/smtp_client.py"
SMTP_CA=$PKI/ca.pem
export SMTP_CA

start_smtp_origin plain --no-starttls
NOSTLS_PORT=$SMTP_PORT
start_smtp_origin o
DEAD_PORT=$(dead_port)

smtp_listener() {
	_name=$1
	_port=$2
	shift 2
	echo "listener $_name {"
	echo "    protocol     smtp"
	echo "    bind         127.0.0.1:0"
	echo "    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key"
	echo "    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key"
	for _l; do
		echo "    $_l"
	done
	echo "    upstream     localhost:$_port"
	echo "    upstream-sni outlook.office365.test"
	echo "    upstream-ca  @PKI@/ca.pem"
	echo "}"
}

mk_conf "$WORK/t46.conf" <<EOF
metrics 127.0.0.1:0
$(smtp_listener mail "$SMTP_PORT")
$(smtp_listener audit "$SMTP_PORT" "mode audit")
$(smtp_listener nostls "$NOSTLS_PORT")
$(smtp_listener dead "$DEAD_PORT" "handshake-timeout 1s" \
    "smtp-hostname relay.contoso.test")
$(smtp_listener lb "$SMTP_PORT" "proxy-protocol on")
EOF
start_tlsfloor "$WORK/t46.conf"
MAIL_PORT=$TF_PORT
AUDIT_PORT=$TF_PORT2
NOSTLS_GW=$TF_PORT3
DEAD_GW=$TF_PORT4
LB_PORT=$TF_PORT5
tf_metrics_url

# json_of FILE EXPR: EXPR over the JSON object in FILE.
json_of() {
	jget "$2" <"$1"
}

# A message of 200 lines, some starting with a dot (dot-stuffed on the
# wire), CRLF line ends.
"$PY" -c '
import sys
out = ["Subject: scan to e-mail", "From: scanner@contoso.test", ""]
for i in range(200):
    out.append(("." if i % 7 == 0 else "") + "line %d " % i + "x" * 70)
sys.stdout.buffer.write(("\r\n".join(out) + "\r\n").encode())' >"$WORK/body"
BODY_SHA=$(sha256_of "$WORK/body")
# swaks adds the last CRLF itself.
head -c -2 "$WORK/body" >"$WORK/body.swaks"

# stored N: the N-th message (from 1) the origin stored, once there.
stored() {
	wait_lines "$WORK/o.msgs" "$1"
	sed -n "$1p" "$WORK/o.msgs"
}

note "smtplib, STARTTLS at TLS 1.2 and 1.3, AUTH PLAIN"
n=0
for v in 1.2 1.3; do
	run_cmd $SMTP_CLIENT send "$MAIL_PORT" "$v" "$WORK/body"
	cp "$CMD_OUT" "$WORK/send-$v.json"
	assert_eq "$(json_of "$WORK/send-$v.json" "d['tls']")" "TLSv$v" \
	    "smtplib's TLS version"
	assert_eq "$(json_of "$WORK/send-$v.json" "[d['auth'], d['refused']]")" \
	    '[235, {}]' "smtplib at TLS $v: AUTH and the message accepted"
	n=$((n + 1))
	stored "$n" >"$WORK/msg.json"
	assert_eq "$(json_of "$WORK/msg.json" "d['sha256']")" "$BODY_SHA" \
	    "message $n stored intact"
	assert_match "$(json_of "$WORK/msg.json" "d['tls']")" '^TLSv1\.[23]$' \
	    "the origin's TLS for message $n"
	assert_eq "$(json_of "$WORK/msg.json" "[d['user'], d['rcpt']]")" \
	    '["device@contoso.test", ["bob@contoso.test"]]' "message $n's user and recipient"
done

note "swaks, STARTTLS at TLS 1.2, AUTH LOGIN"
run_cmd timeout 30 swaks --server "127.0.0.1:$MAIL_PORT" --tls \
    --tls-verify --tls-ca-path "$PKI/ca.pem" --tls-sni "$HOSTNAME_TF" \
    --tls-protocol tlsv1_2 --auth LOGIN --auth-user device@contoso.test \
    --auth-password printer-secret --from scanner@contoso.test \
    --to bob@contoso.test --helo printer.lan --data - <"$WORK/body.swaks"
assert_grep 'TLS started with cipher TLSv1\.2' "$CMD_OUT" "swaks' TLS"
assert_grep '^<~  250 2\.0\.0 OK queued' "$CMD_OUT" "swaks' message accepted"
n=$((n + 1))
stored "$n" >"$WORK/msg.json"
assert_eq "$(json_of "$WORK/msg.json" "d['sha256']")" "$BODY_SHA" \
    "swaks' message stored intact"

note "the session records"
wait_for 5 _has_lines "$WORK/o.sessions" 3 || fail "the origin saw no 3 sessions"
wait_lines "$TF_ACCESS" 3
pycheck '
recs = [json.loads(l) for l in open(sys.argv[1])]
want = ["TLS1.2", "TLS1.3", "TLS1.2"]
got = [r["tls_version"] for r in recs]
assert got == want, got
for r in recs:
    assert r["event"] == "smtp_session" and r["listener"] == "mail", r
    assert r["upstream_tls"] in ("TLS1.2", "TLS1.3"), r
    assert r["legacy"] is False and r["sni"] == "mail.contoso.test", r
    # The message went up and the replies came down, under TLS.
    assert r["bytes_in"] > 200 * 75 and r["bytes_out"] > 100, r
    assert r["ja4"].startswith("t1"), r
    assert r["upstream"] == "localhost:" + sys.argv[2], r
' "$TF_ACCESS" "$SMTP_PORT" || fail "smtp_session records: $(cat "$TF_ACCESS")"

note "openssl s_client -starttls smtp at TLS 1.0: refused with alert 70"
legacy0=$(nlines "$TF_LEGACY")
run_cmd -s 1 s_client -p "$MAIL_PORT" -starttls smtp -tls1 \
    -cipher 'DEFAULT@SECLEVEL=0'
assert_grep 'alert number 70|alert protocol version' "$CMD_ERR" \
    "the TLS 1.0 client's alert"
wait_lines "$TF_LEGACY" $((legacy0 + 1))
tail -n 1 "$TF_LEGACY" >"$WORK/legacy.json"
assert_eq "$(json_of "$WORK/legacy.json" "[d['event'], d['action'], d['listener'], d['offered_max'], d['sni'], d['floor']]")" \
    '["legacy_client", "refused", "mail", "TLS1.0", "mail.contoso.test", "TLS1.2"]' \
    "the legacy record"
pycheck '
d = json.load(open(sys.argv[1]))
for k in ("client_ip", "client_port", "offered_versions", "hello_format",
          "cipher_suites", "ja3", "ja3_md5", "ja4", "client_guess"):
    assert k in d, k
' "$WORK/legacy.json" || fail "the legacy record lacks HTTP's fields"
sleep 0.3
assert_eq "$(nlines "$TF_LEGACY")" $((legacy0 + 1)) "one legacy record"

note "the same client under mode audit: let in and relayed"
(printf 'EHLO old-printer\r\n'; sleep 2; printf 'QUIT\r\n'; sleep 1) |
    timeout 20 "$OPENSSL" s_client -connect "127.0.0.1:$AUDIT_PORT" \
    -CAfile "$PKI/ca.pem" -servername "$HOSTNAME_TF" -starttls smtp \
    -tls1 -cipher 'DEFAULT@SECLEVEL=0' -quiet \
    >"$WORK/audit.out" 2>"$WORK/audit.err" || true
assert_grep '^250-AUTH PLAIN LOGIN' "$WORK/audit.out" \
    "the origin's EHLO reply through the audited TLS 1.0 session"
assert_grep '^221 ' "$WORK/audit.out" "the origin's QUIT reply"
wait_lines "$TF_LEGACY" $((legacy0 + 2))
assert_eq "$(tail -n 1 "$TF_LEGACY" | jget "[d['action'], d['listener']]")" \
    '["allowed_audit", "audit"]' "the audit listener's legacy record"
wait_for 5 grep -q '"listener":"audit"' "$TF_ACCESS" ||
    fail "no smtp_session record for the audit listener"
assert_eq "$(grep '"listener":"audit"' "$TF_ACCESS" | jget "[d['tls_version'], d['legacy']]")" \
    '["TLS1.0", true]' "the audited session's record"

note "before STARTTLS"
run_cmd $SMTP_CLIENT pre "$MAIL_PORT"
cp "$CMD_OUT" "$WORK/pre.json"
assert_eq "$(json_of "$WORK/pre.json" "d['greeting'].strip()")" \
    "220 mail.contoso.test ESMTP tlsfloor" "greeting (the certificate's name)"
assert_match "$(json_of "$WORK/pre.json" "d['ehlo']")" '250 STARTTLS' \
    "EHLO offers STARTTLS"
assert_eq "$(json_of "$WORK/pre.json" "[d['mail'], d['auth']]")" \
    '["530 5.7.0 Must issue a STARTTLS command first\r\n", "530 5.7.0 Must issue a STARTTLS command first\r\n"]' \
    "MAIL and AUTH before STARTTLS"
assert_eq "$(json_of "$WORK/pre.json" "[d['quit'][:4], d['after']]")" \
    '["221 ", null]' "QUIT: 221, then the close"

note "a 600-octet line"
run_cmd $SMTP_CLIENT longline "$MAIL_PORT"
assert_eq "$(jget "[d['reply'], d['after']]" <"$CMD_OUT")" \
    '["500 5.5.2 Line too long\r\n", null]' "500, then the close"

note "CVE-2011-0411: RSET pipelined behind STARTTLS"
sessions0=$(nlines "$WORK/o.sessions")
run_cmd $SMTP_CLIENT inject "$MAIL_PORT"
cp "$CMD_OUT" "$WORK/inject.json"
assert_eq "$(json_of "$WORK/inject.json" "[d['starttls'], d['plaintext_after']]")" \
    '["220 2.0.0 Ready to start TLS\r\n", ""]' \
    "nothing after the 220 in plaintext"
assert_match "$(json_of "$WORK/inject.json" "d['ehlo_tls']")" '^250-origin\.test' \
    "the first reply under TLS is the origin's EHLO"
wait_lines "$WORK/o.sessions" $((sessions0 + 1))
assert_eq "$(tail -n 1 "$WORK/o.sessions" | jget "[c[0] for c in d['commands']]")" \
    '["EHLO", "STARTTLS", "EHLO", "QUIT"]' "what the origin was sent"

note "behind a load balancer: the PROXY header, then the greeting"
SMTP_PROXY="PROXY TCP4 192.0.2.9 127.0.0.1 40001 587"
export SMTP_PROXY
run_cmd $SMTP_CLIENT inject "$LB_PORT"
unset SMTP_PROXY
assert_match "$(jget "d['ehlo_tls']" <"$CMD_OUT")" '^250-origin\.test' \
    "a session after a PROXY header"
wait_for 5 grep -q '"listener":"lb"' "$TF_ACCESS" ||
    fail "no smtp_session record for the lb listener"
assert_eq "$(grep '"listener":"lb"' "$TF_ACCESS" | jget "[d['client_ip'], d['client_port']]")" \
    '["192.0.2.9", 40001]' "the load balancer's client in the record"

note "an upstream without STARTTLS, and a dead one: 421"
run_cmd $SMTP_CLIENT tls-then "$NOSTLS_GW"
assert_eq "$(jget "[d['reply'], d['after']]" <"$CMD_OUT")" \
    '["421 4.7.0 upstream does not offer STARTTLS\r\n", null]' \
    "no STARTTLS upstream"
run_cmd $SMTP_CLIENT tls-then "$DEAD_GW"
assert_eq "$(jget "d['greeting'].strip()" <"$CMD_OUT")" \
    "220 relay.contoso.test ESMTP tlsfloor" "greeting (smtp-hostname)"
assert_match "$(jget "[d['reply'], d['after']]" <"$CMD_OUT")" \
    '^\["421 4\.4\.0 [^"]*", null\]$' "dead upstream"
assert_grep 'upstream localhost:[0-9]+: SMTP: does not offer STARTTLS' \
    "$WORK/error.log" "the error log"
assert_eq "$(tf_metric 'tlsfloor_upstream_errors_total{listener="nostls",reason="no_starttls"}')" \
    1 "upstream_errors no_starttls"
assert_eq "$(tf_metric 'tlsfloor_upstream_errors_total{listener="dead",reason="connect"}')" \
    1 "upstream_errors connect"

note "silence before STARTTLS: 421 after handshake-timeout"
run_cmd $SMTP_CLIENT idle "$DEAD_GW"
assert_eq "$(jget "[d['reply'][:10], d['after']]" <"$CMD_OUT")" \
    '["421 4.4.2 ", null]' "421 on a silent client"
assert_match "$(jget "d['seconds']" <"$CMD_OUT")" '^(0\.[89]|[12]\.[0-9])$' \
    "after about handshake-timeout (1s)"

note "metrics"
assert_eq "$(tf_metric 'tlsfloor_handshakes_total{listener="mail",version="TLS1.2"}')" \
    2 "TLS 1.2 handshakes (smtplib, swaks)"
# smtplib at 1.3, the injection test, and the pre-TLS ones had none.
assert_eq "$(tf_metric 'tlsfloor_handshakes_total{listener="mail",version="TLS1.3"}')" \
    2 "TLS 1.3 handshakes"
assert_eq "$(tf_metric 'tlsfloor_handshakes_total{listener="audit",version="TLS1.0"}')" \
    1 "the audited TLS 1.0 handshake"
assert_eq "$(tf_metric 'tlsfloor_legacy_clients_total{listener="mail",offered="TLS1.0",action="refused"}')" \
    1 "the refused TLS 1.0 client"
stop_tlsfloor

note "configuration errors"
# check_conf_error ERE WHAT LINE...: a listener with each LINE from its
# third line on must fail -t with ERE.
check_conf_error() {
	_ere=$1
	_what=$2
	shift 2
	{
		echo "listener mail {"
		echo "    bind 127.0.0.1:0"
		for _l; do
			echo "    $_l"
		done
		echo "    cert @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key"
		echo "    upstream localhost:587"
		echo "    upstream-ca @PKI@/ca.pem"
		echo "}"
	} | mk_conf -n "$WORK/bad.conf"
	run_cmd -s 1 "$TF_BIN" -t -c "$WORK/bad.conf"
	assert_match "$(cat "$CMD_ERR")" "$_ere" "$_what"
}
check_conf_error "bad.conf:3: 'protocol': bad value 'smtps' \\(http or smtp\\)" \
    "a bad protocol" "protocol smtps"
check_conf_error "bad.conf:3: 'route' is not allowed in an smtp listener" \
    "a route in an smtp listener" "route a.contoso.test localhost:25" \
    "protocol smtp"
check_conf_error "bad.conf:3: 'smtp-hostname' needs 'protocol smtp'" \
    "smtp-hostname in an http listener" "smtp-hostname relay.contoso.test"
check_conf_error "bad.conf:3: 'smtp-hostname': bad host name" \
    "a host name that is none" 'smtp-hostname "relay contoso"' \
    "protocol smtp"
