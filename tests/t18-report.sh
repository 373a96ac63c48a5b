#!/bin/sh
# tlsfloor report over a real legacy log: the daemon refuses real TLS 1.0
# and 1.1 clients (OpenSSL twice with the same fingerprint, GnuTLS, and
# hand-built hellos, one with a hostile SNI), then the report is checked as
# a table, as JSON (against an independent count of the log) and as one
# self-contained HTML page, with what to upgrade per client family;
# --since (duration and RFC 3339), malformed lines, stdin, several LOGs,
# gzip-compressed LOGs; the user agents of clients let in below the floor
# from access logs, handcrafted (bounded, mixed with requests at or above
# the floor) and from a real audit listener whose catalogue names the
# OpenSSL hello as Internet Explorer on Windows 7; unreadable input (exit
# 1) and bad usage (exit 2).
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need gnutls-cli
start_origin

mk_conf "$WORK/t18.conf" <<EOF
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
start_tlsfloor "$WORK/t18.conf"

# --- a real legacy log --------------------------------------------------

nrec=0
# refused WHAT: one more record in the legacy log.
refused() {
	nrec=$((nrec + 1))
	wait_lines "$TF_LEGACY" "$nrec"
	n=$(nlines "$TF_LEGACY")
	[ "$n" -eq "$nrec" ] || fail "$1: legacy log has $n records, expected $nrec"
}

for v in 1 1 1_1; do
	rc=0
	s_client -tls$v -cipher 'DEFAULT@SECLEVEL=0' >"$WORK/s_client.out" 2>&1 ||
	    rc=$?
	[ "$rc" -ne 0 ] || fail "openssl s_client -tls$v: handshake succeeded"
	refused "openssl -tls$v"
done

rc=0
gnutls_cli --priority="NORMAL:-VERS-ALL:+VERS-TLS1.0" >"$WORK/gnutls.out" 2>&1 ||
    rc=$?
[ "$rc" -ne 0 ] || fail "gnutls-cli TLS1.0: handshake succeeded"
refused "gnutls-cli TLS1.0"

# An SNI that is markup, with a quote, an apostrophe and an ampersand.
hostile='<script>alert("x")</script>&'"'"'.contoso.test'
sni_hex=$(printf '%s' "$hostile" | od -An -tx1 | tr -d ' \n')
out=$(hello --version 1.0 --sni-hex "$sni_hex")
assert_eq "$out" "alert 2 70" "TLS 1.0 hello with a hostile SNI"
refused "hostile SNI"

out=$(hello --version 1.1)
assert_eq "$out" "alert 2 70" "TLS 1.1 hello without SNI"
refused "no SNI"

stop_tlsfloor
LOG=$TF_LEGACY

# --- the table ----------------------------------------------------------

run_cmd "$TF_BIN" report "$LOG"
sed 's/^/# /' "$CMD_OUT"
[ ! -s "$CMD_ERR" ] || fail "report wrote to stderr: $(cat "$CMD_ERR")"
assert_grep '^tlsfloor report: 6 legacy_client records, 5 distinct clients, ' \
    "$CMD_OUT" "table summary"
assert_grep '^COUNT  FIRST SEEN +LAST SEEN +OFFERED +CLIENT IP +JA4 +CLIENT GUESS$' \
    "$CMD_OUT" "table header"
first=$(grep -A1 '^COUNT' "$CMD_OUT" | tail -n 1)
assert_match "$first" '^    2  [0-9T:-]{19}Z  [0-9T:-]{19}Z  TLS1\.0   127\.0\.0\.1  t10d' \
    "first row: the client seen twice"
assert_grep '^       SNI      mail\.contoso\.test$' "$CMD_OUT" "SNI line"
assert_grep '^       ACTIONS  refused 2$' "$CMD_OUT" "ACTIONS line"
assert_grep '^       SNI      \(none\)$' "$CMD_OUT" "SNI line without SNI"
assert_grep '^  TLS1\.0 +4$' "$CMD_OUT" "TLS1.0 total"
assert_grep '^  TLS1\.1 +2$' "$CMD_OUT" "TLS1.1 total"
assert_grep '^Totals by client guess$' "$CMD_OUT" "guess totals"
# What to upgrade: the test tools, and the hand-built hellos no catalogue
# entry names.
assert_grep '^What to upgrade$' "$CMD_OUT" "What to upgrade"
assert_grep '^  Test tools forced to an old version: 4 records$' "$CMD_OUT" \
    "test tools family"
assert_grep '^    seen as  OpenSSL 3 s_client: 3$' "$CMD_OUT" "s_client guess"
assert_grep '^             GnuTLS 3\.7 gnutls-cli: 1$' "$CMD_OUT" \
    "gnutls-cli guess"
assert_grep '^    advice   Run the tool with its defaults, which offer TLS 1\.2 and 1\.3,$' \
    "$CMD_OUT" "test tools advice"
assert_grep '^  Other and unknown clients: 2 records$' "$CMD_OUT" \
    "unknown clients family"
assert_grep '^    seen as  unknown: 2$' "$CMD_OUT" "null guesses"
assert_grep '^    advice   Find the client by its address and user agent, then upgrade its$' \
    "$CMD_OUT" "advice for a null guess"
if grep -q 'AGENTS\|^Requests:' "$CMD_OUT"; then
	fail "agents or requests without an access log"
fi
assert_grep '^0 malformed lines skipped$' "$CMD_OUT" "malformed count"

# --- JSON, checked against the log itself --------------------------------

run_cmd "$TF_BIN" report --json "$LOG"
cp "$CMD_OUT" "$WORK/report.json"
"$PY" -m json.tool "$WORK/report.json" >/dev/null ||
    fail "report --json is not valid JSON"
pycheck '
rep = json.load(open(sys.argv[1]))
log = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
hostile = sys.argv[3]
def bad(msg):
    sys.exit("report --json: " + msg)
if rep["records"] != 6: bad("records %r" % rep["records"])
if rep["malformed"] != 0: bad("malformed %r" % rep["malformed"])
if rep["since"] is not None: bad("since %r" % rep["since"])
if rep["logs"] != [sys.argv[2]]: bad("logs %r" % rep["logs"])
# The same aggregation, done independently.
want = {}
for r in log:
    k = (r["client_ip"], r["ja4"], r["client_guess"])
    c = want.setdefault(k, {"count": 0, "snis": set(), "actions": {},
                            "times": [], "offered": r["offered_max"]})
    c["count"] += 1
    c["snis"].add(r["sni"])
    c["actions"][r["action"]] = c["actions"].get(r["action"], 0) + 1
    c["times"].append(r["time"])
cl = rep["clients"]
if len(cl) != len(want) or len(cl) != 5: bad("%d clients, expected %d" % (len(cl), len(want)))
counts = [c["count"] for c in cl]
if counts != sorted(counts, reverse=True) or counts[0] != 2:
    bad("clients not by count: %r" % counts)
for c in cl:
    for f in ("client_ip", "ja4", "client_guess", "count", "first_seen",
              "last_seen", "offered_max", "snis", "snis_more", "actions",
              "advice", "user_agents", "user_agents_more"):
        if f not in c: bad("client without %r: %r" % (f, c))
    if c["user_agents"] != [] or c["user_agents_more"] != 0:
        bad("user agents without an access log: %r" % c)
    if c["client_guess"] is None and not c["advice"].startswith(
            "Find the client by its address and user agent"):
        bad("advice for a null guess: %r" % c["advice"])
    w = want.get((c["client_ip"], c["ja4"], c["client_guess"]))
    if w is None: bad("unknown client %r" % c)
    if c["count"] != w["count"]: bad("count %r, expected %r" % (c, w["count"]))
    if c["actions"] != w["actions"]: bad("actions %r, expected %r" % (c["actions"], w["actions"]))
    if c["offered_max"] != w["offered"]: bad("offered_max %r" % c)
    key = lambda s: (s is not None, (s or "").encode())
    if c["snis"] != sorted(w["snis"], key=key): bad("snis %r, expected %r" % (c["snis"], sorted(w["snis"], key=key)))
    if c["snis_more"] != 0: bad("snis_more %r" % c)
    for f in ("first_seen", "last_seen"):
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", c[f]):
            bad("%s %r" % (f, c[f]))
    if c["first_seen"] != min(w["times"]) or c["last_seen"] != max(w["times"]):
        bad("first/last seen %r, log times %r" % ((c["first_seen"], c["last_seen"]), w["times"]))
top = cl[0]
if top["client_ip"] != "127.0.0.1" or not top["ja4"].startswith("t10d") or \
   top["snis"] != ["mail.contoso.test"] or top["actions"] != {"refused": 2}:
    bad("first client %r" % top)
if not any(c["snis"] == [hostile] for c in cl): bad("hostile SNI lost")
if not any(c["snis"] == [None] for c in cl): bad("no client without SNI")
t = rep["totals"]
if t["offered"] != {"TLS1.0": 4, "TLS1.1": 2}: bad("offered totals %r" % t["offered"])
if sum(t["guess"].values()) != 6: bad("guess totals %r" % t["guess"])
if t["action"] != {"refused": 6}: bad("action totals %r" % t["action"])
if sorted(t["guess_advice"]) != sorted(t["guess"]): bad("guess_advice %r" % t["guess_advice"])
for c in cl:
    g = c["client_guess"] if c["client_guess"] is not None else "unknown"
    if t["guess_advice"][g] != c["advice"]: bad("advice of %r differs" % g)
if rep["requests"] != {"legacy": 0, "other": 0, "agents_not_kept": 0}:
    bad("requests %r" % rep["requests"])
if rep["skipped_before_since"] != 0: bad("skipped %r" % rep["skipped_before_since"])
' "$WORK/report.json" "$LOG" "$hostile" || fail "report --json"
# Pure ASCII: nothing in the document can drive a terminal.
if LC_ALL=C grep -q '[^ -~]' "$WORK/report.json"; then
	fail "report --json holds bytes outside printable ASCII"
fi

# --- HTML ---------------------------------------------------------------

mkdir "$WORK/html"
run_cmd "$TF_BIN" report --html "$WORK/html/report.html" "$LOG"
assert_grep '^tlsfloor report: 6 legacy_client records' "$CMD_OUT" \
    "--html still prints the table"
assert_eq "$(ls "$WORK/html")" report.html "--html writes exactly one file"
H=$WORK/html/report.html
assert_grep '^<!DOCTYPE html>' "$H" "HTML doctype"
assert_grep '<svg' "$H" "inline SVG chart"
assert_grep '<rect class="c2"' "$H" "a TLS1.0 bar"
assert_grep '<rect class="c3"' "$H" "a TLS1.1 bar"
assert_grep '</html>' "$H" "complete page"
if grep -Eiq 'https?://' "$H"; then
	grep -Ein 'https?://' "$H" | head -n 5 >&2
	fail "the page references http:// or https://"
fi
if grep -Eiq '(src|href)=|url\(|@import' "$H"; then
	fail "the page loads an external asset"
fi
grep -Fq '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;.contoso.test' "$H" ||
    fail "hostile SNI not HTML-escaped"
if grep -qi '<script' "$H"; then
	fail "the page holds a <script> element"
fi
# Addresses and times never wrap.
assert_grep '\.nw\{white-space:nowrap\}' "$H" "nowrap style"
assert_grep '<td class="nw">[0-9T:-]{19}Z</td><td class="nw">[0-9T:-]{19}Z</td>' \
    "$H" "times in nowrap cells"
assert_grep '<td class="nw"><code>127\.0\.0\.1</code></td>' "$H" \
    "address in a nowrap cell"
if grep -Eq '<td>[0-9]{4}-[0-9][0-9]-[0-9][0-9]T|<td><code>127\.' "$H"; then
	fail "a time or an address in a cell that may wrap"
fi
assert_grep '^<h2>What to upgrade</h2>$' "$H" "What to upgrade section"
assert_grep '<td>Other and unknown clients</td><td class="n">2</td><td>unknown \(2\)</td><td>Find the client by its address and user agent' \
    "$H" "advice for a null guess in the page"

# A page that cannot be written.
run_cmd -s 1 "$TF_BIN" report --html "$WORK/no/such/dir/r.html" "$LOG"
assert_grep "^tlsfloor: report: $WORK/no/such/dir/r\\.html: No such file or directory\$" \
    "$CMD_ERR" "message for an unwritable --html"
if [ -w /dev/full ]; then
	run_cmd -s 1 "$TF_BIN" report --html /dev/full "$LOG"
	assert_grep '^tlsfloor: report: /dev/full: ' "$CMD_ERR" \
	    "message for a full device"
fi

# --- --since ------------------------------------------------------------

# jcount ARGS...: "records clients skipped_before_since" of a JSON report.
jcount() {
	run_cmd "$TF_BIN" report --json "$@"
	jget '"%d %d %d" % (d["records"], len(d["clients"]), d["skipped_before_since"])' \
	    <"$CMD_OUT"
}

assert_eq "$(jcount --since 1h "$LOG")" "6 5 0" "--since 1h"
assert_eq "$(jcount --since=30m "$LOG")" "6 5 0" "--since=30m"
assert_eq "$(jcount --since 2000-01-01T00:00:00Z "$LOG")" "6 5 0" \
    "--since in the past"
assert_eq "$(jcount --since 2999-01-01T00:00:00Z "$LOG")" "0 0 6" \
    "--since in the future"
assert_eq "$(jcount --since 2999-01-01T01:00:00.5+01:00 "$LOG")" "0 0 6" \
    "--since in the future, with a fraction and an offset"
run_cmd "$TF_BIN" report --since 2999-01-01T00:00:00Z "$LOG"
assert_grep '^tlsfloor report: 0 legacy_client records, 0 distinct clients$' \
    "$CMD_OUT" "table with every record skipped"
assert_grep '^since 2999-01-01T00:00:00Z: 6 older records skipped$' \
    "$CMD_OUT" "--since line"

# --- malformed lines ----------------------------------------------------

cp "$LOG" "$WORK/damaged.jsonl"
{
	printf '%s\n' '{"time":"2026-11-28T13:45:01Z","event":"legacy_client",' \
	    'not json at all'
	# One line longer than the 64 KiB bound.
	"$PY" -c 'print("{\"sni\":\"" + "x" * 70000 + "\"}")'
	cat "$LOG"
} >>"$WORK/damaged.jsonl"
run_cmd "$TF_BIN" report "$WORK/damaged.jsonl"
assert_grep '^3 malformed lines skipped$' "$CMD_OUT" "malformed lines counted"
assert_grep '^tlsfloor report: 12 legacy_client records, 5 distinct clients' \
    "$CMD_OUT" "records around the malformed lines"
assert_eq "$(jcount "$WORK/damaged.jsonl")" "12 5 0" "--json with malformed lines"
assert_eq "$(jget 'd["malformed"]' <"$CMD_OUT")" 3 "--json malformed count"

# --- stdin and several LOGs ---------------------------------------------

run_cmd "$TF_BIN" report --json - <"$LOG"
cp "$CMD_OUT" "$WORK/stdin.json"
pycheck '
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
if a["logs"] != ["-"]: sys.exit("logs %r" % a["logs"])
for k in ("records", "clients", "totals", "malformed", "first_seen", "last_seen"):
    if a[k] != b[k]: sys.exit("stdin and file differ in %s" % k)
' "$WORK/stdin.json" "$WORK/report.json" || fail "report - (stdin)"

cp "$LOG" "$WORK/copy.jsonl"
run_cmd "$TF_BIN" report --json "$LOG" - <"$WORK/copy.jsonl"
assert_eq "$(jget '[c["count"] for c in d["clients"]]' <"$CMD_OUT")" \
    "[4, 2, 2, 2, 2]" "two LOGs add up"

# --- logs logrotate compressed -------------------------------------------

# A rotated log compressed (as delaycompress leaves .2.gz), one plain:
# the same report as both plain, and from stdin too.
gzip -c "$LOG" >"$WORK/legacy.jsonl.2.gz"
run_cmd "$TF_BIN" report --json "$WORK/legacy.jsonl.2.gz" "$LOG"
assert_eq "$(jget '[c["count"] for c in d["clients"]]' <"$CMD_OUT")" \
    "[4, 2, 2, 2, 2]" "a .gz LOG and a plain one"
assert_eq "$(jget 'd["malformed"]' <"$CMD_OUT")" 0 "malformed lines in a .gz LOG"
run_cmd "$TF_BIN" report --json - <"$WORK/legacy.jsonl.2.gz"
assert_eq "$(jget 'd["records"]' <"$CMD_OUT")" 6 "a .gz LOG on stdin"
# A damaged one is an error, not a count of malformed lines.
head -c 200 "$WORK/legacy.jsonl.2.gz" >"$WORK/cut.gz"
run_cmd -s 1 "$TF_BIN" report "$WORK/cut.gz"
assert_eq "$(cat "$CMD_ERR")" \
    "tlsfloor: report: $WORK/cut.gz: unexpected end of file" \
    "message for a gzip file cut short"
printf '\037\213\010\000\000\000\000\000\000\003not deflate' >"$WORK/bad.gz"
run_cmd -s 1 "$TF_BIN" report "$WORK/bad.gz"
assert_eq "$(cat "$CMD_ERR")" "tlsfloor: report: $WORK/bad.gz: corrupt gzip data" \
    "message for corrupt gzip data"

# --- user agents from access logs ----------------------------------------

# An access log as the daemon writes it, for the client seen twice
# (127.0.0.1 with the JA4 of openssl -tls1) and a stranger: requests let
# in below the floor bring their agents, 23 distinct ones for that client
# (16 kept, the requests of the others counted), one with markup; four
# requests at or above the floor are only counted.
ja4=$(jget 'd["clients"][0]["ja4"]' <"$WORK/report.json")
msie='Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)'
ACC=$WORK/crafted-access.jsonl
pycheck '
out, ja4, msie = sys.argv[1:4]
def rec(ua, legacy, ip="127.0.0.1"):
    return json.dumps({"time": "2026-11-28T13:45:01.123Z",
        "event": "request", "listener": "edge", "client_ip": ip,
        "client_port": 51234, "tls_version": "TLS1.0" if legacy else "TLS1.3",
        "cipher": "ECDHE-RSA-AES256-SHA", "sni": "mail.contoso.test",
        "ja4": ja4, "method": "GET", "host": "mail.contoso.test",
        "path": "/owa/", "status": 200, "bytes_in": 312, "bytes_out": 5120,
        "upstream": "localhost:443", "upstream_tls": "TLSv1.3",
        "duration_ms": 12, "user_agent": ua, "legacy": legacy,
        "crypt_protocol": "40" if legacy else "3000", "crypt_cipher": "6610",
        "crypt_hash": "8004", "crypt_keyexchange": "ae06"},
        separators=(",", ":"))
lines = [rec(msie, True)] * 3 + [rec(None, True), rec("<b>\"x\x27&", True)]
lines += [rec("agent-%02d" % i, True) for i in range(20)]
lines += [rec("curl/8.5.0", False)] * 4
lines.append(rec("Stranger/1.0", True, ip="192.0.2.99"))
open(out, "w").write("\n".join(lines) + "\n")
' "$ACC" "$ja4" "$msie" || fail "cannot write the access log"

# The access log first: order does not matter.
run_cmd "$TF_BIN" report "$ACC" "$LOG"
sed 's/^/# /' "$CMD_OUT"
assert_grep '^tlsfloor report: 6 legacy_client records, 5 distinct clients, ' \
    "$CMD_OUT" "summary with an access log"
first=$(grep -A5 '^COUNT' "$CMD_OUT" | tail -n 3 | tr '\n' '|')
assert_eq "$first" "       ACTIONS  refused 2|       AGENTS     3  $msie|                  1  (none)|" \
    "agents under the first row"
assert_grep '^                  1  <b>"x'"'"'&$' "$CMD_OUT" "an agent with markup"
assert_grep '^                     \(\+7 more requests with other agents\)$' \
    "$CMD_OUT" "agents past the limit counted"
assert_eq "$(grep -c '^                  1  agent-' "$CMD_OUT")" 13 \
    "distinct agents kept: 16 in all"
assert_eq "$(grep -c 'AGENTS' "$CMD_OUT")" 1 "agents on one client only"
if grep -q 'curl/\|Stranger' "$CMD_OUT"; then
	fail "an agent of a request at or above the floor, or of nobody's"
fi
assert_grep '^Requests: 26 below the floor, 4 at or above it$' "$CMD_OUT" \
    "requests counted"
assert_grep '^0 malformed lines skipped$' "$CMD_OUT" \
    "requests at or above the floor are not malformed"

run_cmd "$TF_BIN" report --json "$ACC" "$LOG"
cp "$CMD_OUT" "$WORK/agents.json"
pycheck '
rep = json.load(open(sys.argv[1]))
msie = sys.argv[2]
def bad(msg):
    sys.exit("report --json with an access log: " + msg)
if rep["records"] != 6 or rep["malformed"] != 0: bad("counts %r" % rep)
if rep["requests"] != {"legacy": 26, "other": 4, "agents_not_kept": 0}:
    bad("requests %r" % rep["requests"])
if rep["other_events"]["other"] != 0: bad("other events %r" % rep["other_events"])
top = rep["clients"][0]
ua = top["user_agents"]
if len(ua) != 16 or ua[0] != msie or ua[1] is not None or ua[2] != "<b>\"x\x27&":
    bad("user_agents %r" % ua)
if ua[3:] != ["agent-%02d" % i for i in range(13)]: bad("user_agents %r" % ua)
if top["user_agents_more"] != 7: bad("user_agents_more %r" % top["user_agents_more"])
for c in rep["clients"][1:]:
    if c["user_agents"] != [] or c["user_agents_more"] != 0: bad("agents on %r" % c)
' "$WORK/agents.json" "$msie" || fail "report --json with an access log"

# Compressed, after the legacy log: the same clients.
gzip -c "$ACC" >"$ACC.1.gz"
run_cmd "$TF_BIN" report --json "$LOG" "$ACC.1.gz"
pycheck '
a = json.load(open(sys.argv[1]))
b = json.load(sys.stdin)
if a["clients"] != b["clients"] or a["requests"] != b["requests"]:
    sys.exit("a .gz access log after the legacy log differs")
' "$WORK/agents.json" <"$CMD_OUT" || fail "a .gz access log"

run_cmd "$TF_BIN" report --html "$WORK/html/agents.html" "$ACC" "$LOG"
H=$WORK/html/agents.html
grep -Fq "<th>user agents</th>" "$H" || fail "no user agents column"
grep -Fq "<td><code>$msie</code> (3)<br><code><span class=\"none\">none</span></code> (1)<br><code>&lt;b&gt;&quot;x&#39;&amp;</code> (1)<br>" "$H" ||
    fail "user agents not in the page, or not escaped"
grep -Fq '<span class="none">7 more with other agents</span>' "$H" ||
    fail "agents past the limit not in the page"
if grep -Eiq 'https?://|(src|href)=|url\(|@import|<script|<b>' "$H"; then
	fail "the page with agents loads an external asset or holds markup"
fi

# --- user agents of real clients let in under mode audit ------------------

# Our own catalogue names the hello openssl s_client -tls1 sent above as
# Internet Explorer 8-10 on Windows 7, so a real client gets that guess.
printf '%s\t-\tInternet Explorer 8-10 on Windows 7 (Schannel)\n' "$ja4" \
    >"$WORK/fingerprints.tsv"
TF_LEGACY=$WORK/audit-legacy.jsonl
TF_ACCESS=$WORK/audit-access.jsonl
mk_conf "$WORK/t18-audit.conf" <<EOF
fingerprints @WORK@/fingerprints.tsv
listener audit {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    mode         audit
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF
start_tlsfloor "$WORK/t18-audit.conf"

# legacy_get AGENT: GET /echo over TLS 1.0 with openssl, as User-Agent.
legacy_get() {
	printf 'GET /echo HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n' \
	    "$HOSTNAME_TF" "$1" | timeout 20 "$OPENSSL" s_client -quiet \
	    -ign_eof -connect "127.0.0.1:$TF_PORT" -servername "$HOSTNAME_TF" \
	    -tls1 -cipher 'DEFAULT@SECLEVEL=0' 2>&1 || true
}
for a in "$msie" "$msie" Java/1.7.0_25; do
	out=$(legacy_get "$a")
	assert_match "$out" '^HTTP/1\.1 200' "audit request as $a"
done
curl_tf -o /dev/null -A modern-client/1.0 "$TF_URL/echo" ||
    fail "a TLS 1.2+ request"
wait_lines "$TF_LEGACY" 3
wait_lines "$TF_ACCESS" 4
stop_tlsfloor
assert_eq "$(grep -c '"legacy":true' "$TF_ACCESS")" 3 "legacy access records"

run_cmd "$TF_BIN" report "$TF_ACCESS" "$TF_LEGACY"
sed 's/^/# /' "$CMD_OUT"
assert_grep '^    3  [0-9T:-]{19}Z  [0-9T:-]{19}Z  TLS1\.0   127\.0\.0\.1  t10d[0-9a-f_]+  Internet Explorer 8-10 on Windows 7 \(Schannel\)$' \
    "$CMD_OUT" "the audited client, guessed as IE on Windows 7"
assert_grep '^       ACTIONS  allowed_audit 3$' "$CMD_OUT" "audited"
grep -Fqx "       AGENTS     2  $msie" "$CMD_OUT" ||
    fail "real user agent not shown with its client"
assert_grep '^                  1  Java/1\.7\.0_25$' "$CMD_OUT" \
    "second real user agent"
assert_grep '^  Windows 7 \(Schannel\): 3 records$' "$CMD_OUT" \
    "Windows 7 family"
assert_grep '^    seen as  Internet Explorer 8-10 on Windows 7 \(Schannel\): 3$' \
    "$CMD_OUT" "IE guess in its family"
assert_grep '^    advice   Windows 7 has TLS 1\.2 but leaves it off for most programs: use$' \
    "$CMD_OUT" "Windows 7 advice"
assert_grep 'KB3140245' "$CMD_OUT" "Windows 7 advice names KB3140245"
assert_grep '^Requests: 3 below the floor, 1 at or above it$' "$CMD_OUT" \
    "real requests counted"
if grep -q 'modern-client' "$CMD_OUT"; then
	fail "the agent of a TLS 1.2+ request is shown"
fi
run_cmd "$TF_BIN" report --json "$TF_LEGACY" "$TF_ACCESS"
pycheck '
rep = json.load(sys.stdin)
msie = sys.argv[1]
ie = "Internet Explorer 8-10 on Windows 7 (Schannel)"
(c,) = rep["clients"]
if c["client_guess"] != ie: sys.exit("guess %r" % c["client_guess"])
if "KB3140245" not in c["advice"] or "SchUseStrongCrypto" not in c["advice"]:
    sys.exit("advice %r" % c["advice"])
if rep["totals"]["guess_advice"] != {ie: c["advice"]}:
    sys.exit("guess_advice %r" % rep["totals"]["guess_advice"])
if c["user_agents"] != [msie, "Java/1.7.0_25"] or c["user_agents_more"] != 0:
    sys.exit("user_agents %r" % c["user_agents"])
if rep["requests"] != {"legacy": 3, "other": 1, "agents_not_kept": 0}:
    sys.exit("requests %r" % rep["requests"])
' "$msie" <"$CMD_OUT" || fail "report --json of the audit listener"

# --- unreadable input and bad usage -------------------------------------

run_cmd -s 1 "$TF_BIN" report "$LOG" "$WORK/missing.jsonl"
assert_eq "$(cat "$CMD_ERR")" \
    "tlsfloor: report: $WORK/missing.jsonl: No such file or directory" \
    "message for a missing LOG"
[ ! -s "$CMD_OUT" ] || fail "a report was printed despite a missing LOG"
run_cmd -s 1 "$TF_BIN" report "$WORK"
assert_grep 'Is a directory' "$CMD_ERR" "a directory as LOG"

for args in "" "--bogus $LOG" "--since $LOG" "--since yesterday $LOG" \
    "--since 7w $LOG" "--html" "-x $LOG"; do
	# shellcheck disable=SC2086
	run_cmd -s 2 "$TF_BIN" report $args
	assert_grep '^usage: tlsfloor report ' "$CMD_ERR" "usage for '$args'"
done
run_cmd "$TF_BIN" report --help
assert_grep '^usage: tlsfloor report ' "$CMD_OUT" "report --help"

exit 0
