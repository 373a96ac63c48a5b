#!/bin/sh
# `tlsfloor report` runs the program tlsfloor-report: the one in report/
# next to the tlsfloor binary (the build tree; through a symbolic link, the
# binary's own folder), else the installed one; with neither, it names the
# path it tried and exits 1. Arguments, standard input and output and the
# exit status pass through unchanged.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

REPORT_BIN=$TF_BUILDDIR/report/tlsfloor-report
[ -x "$REPORT_BIN" ] || error "$REPORT_BIN is not built"

cat >"$WORK/legacy.jsonl" <<'EOF'
{"time":"2026-11-28T13:45:01.123Z","event":"legacy_client","action":"refused","listener":"edge","client_ip":"192.0.2.7","client_port":51234,"sni":"a\u0000b","offered_max":"TLS1.0","ja4":"t10d","client_guess":null}
not json
EOF

# --- the build tree -----------------------------------------------------

run_cmd "$TF_BIN" report "$WORK/legacy.jsonl"
assert_grep '^tlsfloor report: 1 legacy_client record, 1 distinct client, ' \
    "$CMD_OUT" "report from the build tree"
assert_grep '^       SNI      a\\x00b$' "$CMD_OUT" "an SNI holding a NUL"
assert_grep '^1 malformed lines skipped$' "$CMD_OUT" "malformed line"
run_cmd "$TF_BIN" report --json - <"$WORK/legacy.jsonl"
assert_eq "$(jget 'd["records"], d["malformed"], d["logs"]' <"$CMD_OUT")" \
    '[1, 1, ["-"]]' "report --json from standard input"
run_cmd -s 2 "$TF_BIN" report --bogus "$WORK/legacy.jsonl"
assert_grep '^usage: tlsfloor report ' "$CMD_ERR" "usage, exit 2"
run_cmd -s 1 "$TF_BIN" report "$WORK/missing.jsonl"
assert_eq "$(cat "$CMD_ERR")" \
    "tlsfloor: report: $WORK/missing.jsonl: No such file or directory" \
    "missing LOG, exit 1"

# --- report/ next to the binary wins --------------------------------------

# A stand-in that shows which program ran and with which arguments.
mkdir -p "$WORK/a/report"
cp "$TF_BIN" "$WORK/a/tlsfloor"
cat >"$WORK/a/report/tlsfloor-report" <<'EOF'
#!/bin/sh
printf '%s\n' "$0" "$@"
cat
exit 3
EOF
chmod +x "$WORK/a/report/tlsfloor-report"
echo 'from stdin' >"$WORK/stdin"
run_cmd -s 3 "$WORK/a/tlsfloor" report --json 'two words' - <"$WORK/stdin"
assert_eq "$(cat "$CMD_OUT")" "$WORK/a/report/tlsfloor-report
--json
two words
-
from stdin" "the tlsfloor-report next to the binary, with its arguments"

ln -s "$WORK/a/tlsfloor" "$WORK/link"
run_cmd -s 3 "$WORK/link" report x </dev/null
assert_eq "$(head -n 1 "$CMD_OUT")" "$WORK/a/report/tlsfloor-report" \
    "through a symbolic link, the binary's own report/"

# --- else the installed one -----------------------------------------------

mkdir "$WORK/b"
cp "$TF_BIN" "$WORK/b/tlsfloor"
rc=0
"$WORK/b/tlsfloor" report "$WORK/legacy.jsonl" >"$CMD_OUT" 2>"$CMD_ERR" ||
    rc=$?
if [ "$rc" -eq 0 ]; then
	# tlsfloor is installed on this machine: that one ran.
	assert_grep '^tlsfloor report: 1 legacy_client record' "$CMD_OUT" \
	    "the installed tlsfloor-report"
else
	assert_eq "$rc" 1 "exit status without any tlsfloor-report"
	err=$(cat "$CMD_ERR")
	assert_match "$err" \
	    '^tlsfloor: report: /.*/tlsfloor/tlsfloor-report: No such file or directory$' \
	    "message without any tlsfloor-report"
	path=${err#tlsfloor: report: }
	path=${path%: No such file or directory}
	[ ! -e "$path" ] || fail "$path exists, yet was not run"
	[ ! -s "$CMD_OUT" ] || fail "output without any tlsfloor-report"
fi

exit 0
