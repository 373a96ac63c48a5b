#!/bin/sh
# The disk holding the record logs fills up: the gateway keeps serving
# (legacy clients refused, modern ones answered), every record the file
# refuses is counted in tlsfloor_log_records_lost_total and the error log
# says once that writing failed; when space returns, writing resumes by
# itself and the error log says how many were lost. Nothing goes
# unaccounted: for each stream, whole records in the file plus records
# counted lost equal the clients served. The logs live on a small tmpfs
# (root only; skipped elsewhere).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
[ "$(id -u)" -eq 0 ] || skip "mounting a small file system needs root"
LOGS=$WORK/logs
mount_tmpfs "$LOGS" 256k
start_origin

mk_conf -n "$WORK/t33.conf" <<EOF
error-log  $WORK/error.log
legacy-log $LOGS/legacy.jsonl
access-log $LOGS/access.jsonl
metrics    127.0.0.1:0
$(edge_listener)
EOF
start_tlsfloor "$WORK/t33.conf"
tf_metrics_url

legacy=0 requests=0
# refuse N: N TLS 1.0 hellos, each refused with protocol_version.
refuse() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		assert_eq "$(hello --version 1.0 --sni "$HOSTNAME_TF")" \
		    "alert 2 70" "TLS 1.0 hello"
		_i=$((_i + 1))
	done
	legacy=$((legacy + $1))
}
# serve N: N modern requests, each answered 200.
serve() {
	get_echo "$1"
	requests=$((requests + $1))
}

# whole FILE: the number of lines of FILE that are whole JSON records.
whole() {
	pycheck '
n = 0
for line in open(sys.argv[1], "rb"):
    try:
        json.loads(line)
        n += 1
    except ValueError:
        pass
print(n)' "$1"
}

lost() {
	tf_metric "tlsfloor_log_records_lost_total{stream=\"$1\"}"
}

# accounted FILE STREAM N: N records went to FILE or were counted lost.
accounted() {
	[ "$(($(whole "$1") + $(lost "$2")))" -eq "$3" ]
}
check_accounted() {
	wait_for 10 accounted "$LOGS/legacy.jsonl" legacy "$legacy" ||
	    fail "legacy: $(whole "$LOGS/legacy.jsonl") whole records + $(lost legacy) lost != $legacy refused"
	wait_for 10 accounted "$LOGS/access.jsonl" access "$requests" ||
	    fail "access: $(whole "$LOGS/access.jsonl") whole records + $(lost access) lost != $requests served"
}

refuse 2
serve 2
check_accounted
assert_eq "$(lost legacy) $(lost access)" "0 0" "records lost before the disk filled"

# Fill the file system to the last block.
dd if=/dev/zero of="$LOGS/filler" bs=4096 2>/dev/null || true
[ "$(df -P "$LOGS" | awk 'NR == 2 { print $4 }')" -eq 0 ] ||
    error "could not fill $LOGS"

refuse 30
serve 10
check_accounted
[ "$(lost legacy)" -gt 0 ] || fail "no legacy record counted lost on a full disk"
[ "$(lost access)" -gt 0 ] || fail "no access record counted lost on a full disk"
for s in legacy-log access-log; do
	[ "$(grep -c "\[error\] $s: cannot write: No space left on device" \
	    "$TF_ERRLOG")" -eq 1 ] ||
	    fail "expected one '$s: cannot write' line in the error log"
done
tf_alive

# Space returns: writing resumes without a signal, and is noted.
rm -f "$LOGS/filler"
before=$(whole "$LOGS/legacy.jsonl")
refuse 5
serve 5
check_accounted
assert_eq "$(($(whole "$LOGS/legacy.jsonl") - before))" 5 \
    "legacy records written after space returned"
for s in legacy access; do
	wait_for 10 grep -q "\[notice\] $s-log: writing again; $(lost $s) records lost so far" \
	    "$TF_ERRLOG" || fail "no '$s-log: writing again' line"
done
# At most the one line the failure cut short is not a whole record.
for s in legacy access; do
	n=$(nlines "$LOGS/$s.jsonl")
	[ $((n - $(whole "$LOGS/$s.jsonl"))) -le 1 ] ||
	    fail "$s: $((n - $(whole "$LOGS/$s.jsonl"))) lines are not whole records"
done
tf_alive
stop_tlsfloor
