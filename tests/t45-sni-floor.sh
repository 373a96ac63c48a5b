#!/bin/sh
# min-tls 1.3 NAME...: a higher floor for the hellos whose SNI is one of
# NAME (case-insensitive), on a listener whose own floor stays 1.2 for
# every other name and for hellos without SNI. Records carry the floor
# that applied and tlsfloor_floor_hellos_total counts by it; audit and
# exempt work as for the listener's floor; a reload moves the names.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin
write_conf() {
	mk_conf "$WORK/t45.conf" <<EOF2
metrics 127.0.0.1:0
$(edge_listener "min-tls 1.3 $1")
$(edge_listener -n audit "min-tls 1.3 mail.contoso.test" "mode audit")
EOF2
}
write_conf "mail.contoso.test owa.contoso.test"
start_tlsfloor "$WORK/t45.conf"
tf_metrics_url
audit_port=$TF_PORT2

# hs NAME ARGS...: "ok" when an s_client with SNI NAME ("-" for none)
# completes the handshake, "refused" on alert 70.
hs() {
	_sn=$1
	shift
	if [ "$_sn" = - ]; then
		set -- -noservername "$@"
	else
		set -- -servername "$_sn" "$@"
	fi
	_out=$(s_client "$@" 2>&1 || true)
	case $_out in
	*"alert protocol version"*) echo refused ;;
	*"Verify return code: 0 (ok)"*) echo ok ;;
	*) echo "other: $(echo "$_out" | tail -n 3)" ;;
	esac
}
assert_eq "$(hs mail.contoso.test -tls1_2)" refused "TLS 1.2, a 1.3 name"
assert_eq "$(hs MAIL.Contoso.TEST -tls1_2)" refused "TLS 1.2, a 1.3 name in capitals"
assert_eq "$(hs owa.contoso.test -tls1_2)" refused "TLS 1.2, the other 1.3 name"
assert_eq "$(hs mail.contoso.test -tls1_3)" ok "TLS 1.3, a 1.3 name"
assert_eq "$(hs other.contoso.test -tls1_2)" ok "TLS 1.2, another name"
assert_eq "$(hs - -tls1_2)" ok "TLS 1.2, no SNI"
assert_eq "$(hs other.contoso.test -tls1 -cipher 'DEFAULT@SECLEVEL=0')" \
    refused "TLS 1.0, another name"
code=$(curl_tf --tlsv1.3 -o /dev/null -w '%{http_code}' "$TF_URL/echo") ||
    fail "TLS 1.3 request to a 1.3 name"
assert_eq "$code" 200 "TLS 1.3 request to a 1.3 name"
if curl_tf --tls-max 1.2 -o /dev/null "$TF_URL/echo" 2>/dev/null; then
	fail "curl at TLS 1.2 to a 1.3 name got through"
fi

wait_lines "$TF_LEGACY" 5
pycheck '
recs = [json.loads(l) for l in open(sys.argv[1])]
got = [(r["sni"], r["offered_max"], r["floor"], r["action"]) for r in recs]
want = [("mail.contoso.test", "TLS1.2", "TLS1.3", "refused"),
        ("MAIL.Contoso.TEST", "TLS1.2", "TLS1.3", "refused"),
        ("owa.contoso.test", "TLS1.2", "TLS1.3", "refused"),
        ("other.contoso.test", "TLS1.0", "TLS1.2", "refused"),
        ("mail.contoso.test", "TLS1.2", "TLS1.3", "refused")]
if got != want:
    sys.exit("records:\n  %r\nwanted\n  %r" % (got, want))
' "$TF_LEGACY" || fail "legacy records"

m() {
	tf_metric "tlsfloor_floor_hellos_total{listener=\"edge\",floor=\"$1\",result=\"$2\"}"
}
assert_eq "$(m TLS1.3 refused)" 4 "1.3-floor refusals"
assert_eq "$(m TLS1.3 passed)" 2 "1.3-floor passes (s_client, curl)"
assert_eq "$(m TLS1.2 refused)" 1 "1.2-floor refusals"
assert_eq "$(m TLS1.2 passed)" 2 "1.2-floor passes"
assert_eq "$(tf_metric 'tlsfloor_legacy_clients_total{listener="edge",offered="TLS1.2",action="refused"}')" \
    4 "TLS 1.2 hellos refused (any floor)"

# Audit: a TLS 1.2 client of a 1.3 name is let in, served and recorded.
code=$(curl -sS --max-time 20 --cacert "$PKI/ca.pem" --tls-max 1.2 \
    --resolve "$HOSTNAME_TF:$audit_port:127.0.0.1" -o /dev/null \
    -w '%{http_code}' "https://$HOSTNAME_TF:$audit_port/echo") ||
    fail "audit: TLS 1.2 to a 1.3 name"
assert_eq "$code" 200 "audit: TLS 1.2 to a 1.3 name"
wait_lines "$TF_LEGACY" 6
rec=$(tail -n 1 "$TF_LEGACY")
assert_eq "$(echo "$rec" | jget "[d['listener'], d['floor'], d['action']]")" \
    '["audit", "TLS1.3", "allowed_audit"]' "audit record"
assert_eq "$(tf_metric 'tlsfloor_floor_hellos_total{listener="audit",floor="TLS1.3",result="allowed_audit"}')" \
    1 "audit: counted as let in at the 1.3 floor"

# A reload moves the 1.3 floor from owa to other.
write_conf "mail.contoso.test other.contoso.test"
tf_reload || fail "reload: $(cat "$WORK/reload.last")"
assert_eq "$(hs owa.contoso.test -tls1_2)" ok "TLS 1.2, owa after the reload"
assert_eq "$(hs other.contoso.test -tls1_2)" refused "TLS 1.2, other after the reload"
stop_tlsfloor
