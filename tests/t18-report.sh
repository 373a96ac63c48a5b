#!/bin/sh
# tlsfloor report over a real legacy log: the daemon refuses real TLS 1.0
# and 1.1 clients (OpenSSL twice with the same fingerprint, GnuTLS, and
# hand-built hellos, one with a hostile SNI), then the report is checked as
# a table, as JSON (against an independent count of the log) and as one
# self-contained HTML page; --since (duration and RFC 3339), malformed
# lines, stdin, several LOGs, gzip-compressed LOGs, unreadable input
# (exit 1) and bad usage (exit 2).
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
              "last_seen", "offered_max", "snis", "snis_more", "actions"):
        if f not in c: bad("client without %r: %r" % (f, c))
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
