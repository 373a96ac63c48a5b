# shellcheck shell=sh
# Helpers for the HTTP tests (t12-t16), sourced after lib.sh. POSIX sh.
#
# Checks made with check/rcheck do not stop the test: each failure is
# printed at once ("# FAILED: ...") and collected, and finish() fails the
# test with all of them, so one run reports every broken behaviour.
# Use lib.sh's fail for anything later steps depend on.

RAWHTTP=$TF_SRCDIR/tests/tools/rawhttp.py
# The Host header every raw request carries (with rawhttp's \r\n escapes).
# shellcheck disable=SC2034
H='Host: mail.contoso.test\r\n'
_soft=$WORK/failed-checks
: >"$_soft"

# sfail WHAT: records a failed check and goes on.
sfail() {
	echo "# FAILED: $*" >&2
	printf '%s\n' "$*" | tr '\n' ' ' >>"$_soft"
	echo >>"$_soft"
}

# check GOT WANT WHAT: a check that does not stop the test.
check() {
	[ "$1" = "$2" ] || sfail "$3: got '$1', expected '$2'"
}

# finish: exit 0, or fail with every failed check.
finish() {
	if [ -s "$_soft" ]; then
		_n=$(wc -l <"$_soft" | tr -d ' ')
		fail "$_n check(s) failed: $(tr '\n' ';' <"$_soft" | cut -c1-3000)"
	fi
	exit 0
}

# raw OUT [-p PORT] [-t SECONDS] STEP...: tests/tools/rawhttp.py to the
# gateway ($TF_PORT unless -p), its JSON into OUT.
raw() {
	_out=$1
	shift
	_port=$TF_PORT
	_to=10
	while :; do
		case $1 in
		-p) _port=$2; shift 2 ;;
		-t) _to=$2; shift 2 ;;
		*) break ;;
		esac
	done
	"$PY" "$RAWHTTP" --port "$_port" --ca "$PKI/ca.pem" --timeout "$_to" \
	    "$@" >"$_out" || fail "rawhttp could not connect: $(cat "$_out")"
}

# rget FILE EXPR: EXPR over rawhttp's JSON in FILE; d is the object, r its
# responses (padded, so r[3].get('status') is None), h(i, name) the values
# of a response header (name in lower case), b(i) a response body as JSON.
rget() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d.get("responses", []) + [{}] * 8
h = lambda i, n: [v for k, v in r[i].get("headers", []) if k.lower() == n]
def b(i):
    try:
        return json.loads(r[i]["body"])
    except (KeyError, ValueError):
        return {}
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# rshow FILE: a short transcript of rawhttp's JSON in FILE, on stdout.
rshow() {
	"$PY" -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("# rawhttp output: " + open(sys.argv[1]).read()[:2000])
for i, r in enumerate(d.get("responses", [])):
    print("#   response %d at %ss: %s" % (i, r.get("t"),
          r["head"].split("\n")[0].rstrip("\r")))
    print("#     %s, body %d bytes%s, sha256 %s" % (r["framing"],
          r["body_len"], "" if r["complete"] else " (cut short)",
          r["body_sha256"][:16]))
    if r["body"][:160].strip():
        print("#     body starts: %r" % r["body"][:160])
for k in ("ws_sent", "ws_recv"):
    if d.get(k):
        print("#   %s: %s" % (k, " ".join("%d%s/%d%s" % (
              f["opcode"], "" if f["fin"] else "+", f["len"],
              "(%s)" % f["text"][:12] if f["text"] else "") for f in d[k])))
for k in ("bodies", "end", "t_end", "send_error",
          "extra_len", "extra", "steps_done", "error", "connect_error"):
    if d.get(k) not in (None, "", []):
        print("#   %s: %s" % (k, json.dumps(d[k])[:300]))' "$1"
}

# rcheck FILE EXPR WANT WHAT: a check (not stopping the test) that EXPR
# over FILE prints WANT; shows the transcript when not. Returns 0 either
# way (set -e).
rcheck() {
	_got=$(rget "$1" "$2" 2>&1) || _got="error: $_got"
	if [ "$_got" != "$3" ]; then
		echo "# rawhttp transcript $(basename "$1"):" >&2
		rshow "$1" >&2
		sfail "$4: [$2] is '$_got', expected '$3'"
	fi
}

# pattern_sha N: sha256 of N bytes of the (i % 251) pattern.
pattern_sha() {
	"$PY" "$RAWHTTP" --pattern-sha256 "$1"
}

# log_mark: the error log's current line count (for log_since).
log_mark() {
	nlines "$TF_ERRLOG"
}

# log_since MARK: the error-log lines written after log_mark gave MARK.
log_since() {
	tail -n "+$(($1 + 1))" "$TF_ERRLOG"
}

# origin_log_total: how many request lines reached the origin so far.
origin_log_total() {
	curl_origin "$ORIGIN_URL/log" | jget "d['total']"
}

# origin_log_since N: the request lines that reached the origin after
# number N, one per line, /log requests left out.
origin_log_since() {
	curl_origin "$ORIGIN_URL/log?since=$1" | "$PY" -c '
import json, sys
for e in json.load(sys.stdin)["requests"]:
    if e["path"].split("?")[0] != "/log":
        print("%s (conn %s%s)" % (e["line"], e["conn"],
              "" if e["ok"] else ", unparsable"))'
}
