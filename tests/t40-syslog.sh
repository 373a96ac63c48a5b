#!/bin/sh
# Syslog destinations and the journal's priority prefixes. Legacy records
# go to a UDP receiver (a SIEM), access records to a unix datagram socket,
# both local listeners: every datagram is RFC 5424 with the configured
# facility in PRI, the stream's severity, an RFC 3339 time, the host name,
# the daemon's PID, APP-NAME TAG-legacy or TAG-access and MSGID legacy or
# access, and as MSG the JSON record a file would hold (no newline); every
# refusal and every request arrives. With the listener stopped the daemon
# goes on serving and the records that cannot go are counted in
# tlsfloor_log_records_lost_total; once it is back, records arrive again.
# A reload moves the streams and the error log and changes facility and
# tag. Under systemd (JOURNAL_STREAM naming stderr) the error log on
# stderr gets "<N>" prefixes instead of the time, and only then.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl stat
start_origin

SOCK=$WORK/syslog.sock
DGRAMS=$WORK/dgrams.jsonl

# listen PORT: receives datagrams on UDP 127.0.0.1:PORT (0: any port) and
# on the unix socket $SOCK, each appended to $DGRAMS as one JSON line
# {"via": "udp" or "unix", "data": DATAGRAM}. Sets LISTEN_PID, UDP_PORT.
listen() {
	rm -f "$WORK/udp.port"
	"$PY" -c '
import json, os, select, socket, sys
port, path, out, port_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", port))
unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if os.path.exists(path):
    os.unlink(path)
unix.bind(path)
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % udp.getsockname()[1])
os.rename(port_file + ".tmp", port_file)
with open(out, "a") as f:
    while True:
        for s in select.select([udp, unix], [], [])[0]:
            data = s.recv(65536)
            f.write(json.dumps({"via": "udp" if s is udp else "unix",
                                "data": data.decode("latin-1")}) + "\n")
            f.flush()
' "$1" "$SOCK" "$DGRAMS" "$WORK/udp.port" 2>>"$WORK/listen.err" &
	LISTEN_PID=$!
	_track "$LISTEN_PID"
	wait_for 10 test -s "$WORK/udp.port" || error "listener did not start"
	UDP_PORT=$(cat "$WORK/udp.port")
}

# check_dgrams START FACILITY TAG: checks the datagrams of $DGRAMS from
# line START on (RFC 5424 header, PRI, APP-NAME and MSGID per stream, MSG)
# and prints "VIA:STREAM=COUNT" for each kind seen, sorted; the error log's
# messages from START on go to $WORK/syslog-errors, "PRI MSG" a line.
check_dgrams() {
	pycheck '
import datetime, socket
path, start, facility, tag, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
legacy_keys = {"time", "event", "action", "listener", "client_ip",
    "client_port", "sni", "offered_max", "offered_versions", "hello_format",
    "cipher_suites", "ja3", "ja3_md5", "ja4", "client_guess"}
access_keys = {"time", "event", "listener", "client_ip", "client_port",
    "tls_version", "cipher", "sni", "ja4", "method", "host", "path", "status",
    "bytes_in", "bytes_out", "upstream", "upstream_tls", "duration_ms",
    "user_agent", "legacy", "crypt_protocol", "crypt_cipher", "crypt_hash",
    "crypt_keyexchange"}
streams = {tag + "-legacy": ("legacy", 5), tag + "-access": ("access", 6),
           tag: ("-", None)}
header = re.compile(r"<([0-9]{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) - (.*)\Z", re.S)
now = datetime.datetime.now(datetime.timezone.utc)
counts = {}
errors = open(sys.argv[6], "w")
for n, line in enumerate(open(path)):
    if n < start:
        continue
    d = json.loads(line)
    data = d["data"]
    def bad(why):
        sys.exit("datagram %d (%s): %s\n  %r" % (n + 1, d["via"], why, data))
    m = header.match(data)
    if m is None:
        bad("not an RFC 5424 message without structured data")
    pri, ts, host, app, procid, msgid, msg = m.groups()
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts):
        bad("TIMESTAMP %r is not RFC 3339 UTC with milliseconds" % ts)
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    if abs((now - t).total_seconds()) > 300:
        bad("TIMESTAMP %s is not now" % ts)
    if host != socket.gethostname():
        bad("HOSTNAME %r, expected %r" % (host, socket.gethostname()))
    if procid != pid:
        bad("PROCID %r, expected %s" % (procid, pid))
    if app not in streams:
        bad("APP-NAME %r" % app)
    want_msgid, severity = streams[app]
    if msgid != want_msgid:
        bad("MSGID %r for APP-NAME %r, expected %r" % (msgid, app, want_msgid))
    pri = int(pri)
    if pri // 8 != facility:
        bad("facility %d, expected %d" % (pri // 8, facility))
    if severity is not None and pri % 8 != severity:
        bad("severity %d, expected %d" % (pri % 8, severity))
    if msg.endswith("\n"):
        bad("MSG ends in a newline")
    if msgid == "-":
        errors.write("%d %s\n" % (pri, msg))
        kind = "error"
    else:
        try:
            r = json.loads(msg)
        except ValueError:
            bad("MSG is not JSON")
        if msgid == "legacy":
            if not legacy_keys <= set(r):
                bad("legacy record without %s" % sorted(legacy_keys - set(r)))
            if (r["event"], r["action"], r["offered_max"]) != \
                    ("legacy_client", "refused", "TLS1.0"):
                bad("not a refused TLS 1.0 legacy_client record")
        else:
            if not access_keys <= set(r):
                bad("access record without %s" % sorted(access_keys - set(r)))
            if (r["event"], r["status"], r["path"]) != ("request", 200, "/echo"):
                bad("not a 200 request record for /echo")
        kind = msgid
    k = "%s:%s" % (d["via"], kind)
    counts[k] = counts.get(k, 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
' "$DGRAMS" "$1" "$2" "$3" "$TF_PID" "$WORK/syslog-errors" ||
	    fail "datagrams from line $(($1 + 1)) on"
}

# refuse N: N TLS 1.0 clients (OpenSSL), each refused.
refuse() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		s_client -tls1 -cipher 'DEFAULT@SECLEVEL=0' \
		    >"$WORK/s_client.out" 2>&1 || true
		assert_grep 'alert protocol version|alert number 70' \
		    "$WORK/s_client.out" "TLS 1.0 client $_i: protocol_version alert"
		_i=$((_i + 1))
	done
}

# have START EXPECTED: the datagrams from line START on are EXPECTED.
have() {
	[ "$(check_dgrams "$1" "$FACILITY" "$TAG")" = "$2" ]
}
# expect START EXPECTED: waits (bounded) until they are.
expect() {
	wait_for 10 have "$1" "$2" ||
	    fail "datagrams from line $(($1 + 1)): got '$(check_dgrams "$1" "$FACILITY" "$TAG")', expected '$2'"
}
# count START VIA:STREAM: how many such datagrams from line START on.
count() {
	_c=$(check_dgrams "$1" "$FACILITY" "$TAG" | tr ' ' '\n' |
	    sed -n "s/^$2=//p")
	echo "${_c:-0}"
}
# said START PRI MESSAGE: the error log sent MESSAGE (an ERE) at PRI.
said() {
	check_dgrams "$1" "$FACILITY" "$TAG" >/dev/null &&
	    grep -Eq "^$2 $3\$" "$WORK/syslog-errors"
}

lost() {
	tf_metric "tlsfloor_log_records_lost_total{stream=\"$1\"}"
}

# --- legacy records to UDP, access records to a unix socket -----------
listen 0
FACILITY=20 TAG=edge-gw         # local4
mk_conf -n "$WORK/t40.conf" <<EOF
error-log  @WORK@/error.log
legacy-log syslog udp:127.0.0.1:$UDP_PORT
access-log syslog unix:syslog.sock
syslog-facility local4
syslog-tag $TAG
metrics    127.0.0.1:0
$(edge_listener)
EOF
start_tlsfloor "$WORK/t40.conf"
tf_metrics_url

refuse 3
get_echo 4
expect 0 "udp:legacy=3 unix:access=4"
assert_eq "$(lost legacy) $(lost access)" "0 0" "records lost"
note "$(head -n 1 "$DGRAMS" | jget 'd["data"][:200]')"

# --- the listener stops: records are counted lost, serving goes on ----
stop_pid "$LISTEN_PID" || true
start=$(nlines "$DGRAMS")
refuse 4
get_echo 3
wait_for 10 test "$(lost access)" = 3 ||
    fail "access records lost: $(lost access), expected 3 (a unix socket with no receiver refuses each)"
# UDP: the port-unreachable of one datagram fails the next send.
udp_lost=$(lost legacy)
[ "$udp_lost" -ge 1 ] && [ "$udp_lost" -le 4 ] ||
    fail "legacy records lost over UDP: $udp_lost, expected 1..4"
for s in legacy-log access-log; do
	[ "$(grep -c "\[error\] $s: cannot write: Connection refused; records are counted in tlsfloor_log_records_lost_total" \
	    "$TF_ERRLOG")" -eq 1 ] ||
	    fail "expected one '$s: cannot write: Connection refused' line"
done
assert_eq "$(nlines "$DGRAMS")" "$start" "datagrams with the listener stopped"
tf_alive

# --- the listener is back (same socket path, same port) -----------------
listen "$UDP_PORT"
start=$(nlines "$DGRAMS")
get_echo 1
expect "$start" "unix:access=1"
wait_for 10 grep -q '\[notice\] access-log: writing again; 3 records lost so far' \
    "$TF_ERRLOG" || fail "no 'access-log: writing again' line"
# A UDP send may still fail once, on the port-unreachable of the last
# datagram sent while the listener was down: each record either arrives
# or is counted, and one at least arrives.
refuse 2
udp_accounted() {
	[ $(($(lost legacy) - udp_lost + $(count "$start" udp:legacy))) -eq 2 ]
}
wait_for 10 udp_accounted ||
    fail "legacy records after the listener came back: $(count "$start" udp:legacy) arrived, $(($(lost legacy) - udp_lost)) lost, of 2"
[ "$(count "$start" udp:legacy)" -ge 1 ] ||
    fail "no legacy record over UDP after the listener came back"

# --- a reload moves the streams and the error log, new facility, tag ------
# The UDP receiver as [IPv6]:PORT (v4-mapped, to reach the IPv4 listener)
# where the kernel has IPv6.
udp=127.0.0.1:$UDP_PORT
[ ! -f /proc/net/if_inet6 ] || udp="[::ffff:127.0.0.1]:$UDP_PORT"
FACILITY=22 TAG=gw2             # local6
start=$(nlines "$DGRAMS")
mk_conf -n "$WORK/t40.conf" <<EOF
error-log  syslog unix:@WORK@/syslog.sock
legacy-log syslog unix:@WORK@/syslog.sock
access-log syslog udp:$udp
syslog-facility local6
syslog-tag $TAG
metrics    127.0.0.1:0
$(edge_listener)
EOF
kill -HUP "$TF_PID"
notice=$((FACILITY * 8 + 5))
wait_for 10 said "$start" "$notice" "configuration .* reloaded: generation 2" ||
    fail "no notice 'reloaded: generation 2' from APP-NAME $TAG over the unix socket"
refuse 1
get_echo 1
wait_for 10 test "$(count "$start" unix:legacy) $(count "$start" udp:access)" = "1 1" ||
    fail "after the reload: $(check_dgrams "$start" "$FACILITY" "$TAG"), expected unix:legacy=1 udp:access=1"
kill -USR1 "$TF_PID"
wait_for 10 said "$start" "$notice" "logs reopened" ||
    fail "no notice 'logs reopened' over the unix socket"
stop_tlsfloor
stop_pid "$LISTEN_PID" || true

# --- the journal's stderr: "<N>" prefixes, and only on that stream --------
mk_conf -n "$WORK/t40-stderr.conf" <<EOF
legacy-log off
access-log off
$(edge_listener)
EOF
: >>"$TF_STDERR"
# journal_run JOURNAL_STREAM: runs the daemon with that environment and
# stderr to $TF_STDERR; leaves the lines it wrote in $WORK/journal.out.
journal_run() {
	_jr_from=$(nlines "$TF_STDERR")
	JOURNAL_STREAM=$1
	export JOURNAL_STREAM
	start_tlsfloor "$WORK/t40-stderr.conf"
	unset JOURNAL_STREAM
	stop_tlsfloor
	tail -n "+$((_jr_from + 1))" "$TF_STDERR" >"$WORK/journal.out"
}
stderr_id=$(stat -c '%d:%i' "$TF_STDERR")

# Inherited from a unit but stderr redirected since: no prefixes.
journal_run "$(stat -c '%d:%i' "$WORK/t40.conf")"
assert_grep '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z \[notice\] listener edge: listening on ' \
    "$WORK/journal.out" "time-stamped line without the journal"
! grep -q '^<' "$WORK/journal.out" || fail "a '<N>' prefix off the journal"

journal_run "$stderr_id"
assert_grep '^<5>\[notice\] listener edge: listening on 127\.0\.0\.1:' \
    "$WORK/journal.out" "notice with prefix <5> on the journal"
assert_grep '^<5>\[notice\] stopped$' "$WORK/journal.out" \
    "'stopped' with prefix <5> on the journal"
if grep -Ev '^<[1-7]>\[(debug|info|notice|warn|error|alert)\] ' \
    "$WORK/journal.out" >"$WORK/unprefixed"; then
	_dump "$WORK/unprefixed" "lines without a prefix"
	fail "lines on the journal without a '<N>[level] ' prefix"
fi
