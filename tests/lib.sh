# Helper library for tlsfloor's end-to-end tests, sourced by tests/tNN-*.sh.
# POSIX sh (make check runs the tests with $(SHELL), which may be dash).
#
# Environment (set by make check; defaults suit a build in the source tree):
#   TF_BIN       the daemon            TF_SRCDIR   the source tree (read-only)
#   TF_BUILDDIR  the build tree        TF_KEEP=1   keep the work folder
#   TF_WORKERS   workers for daemons whose configuration sets none
#
# Exit codes: 0 pass, 1 fail, 77 skip, 99 hard error (the harness broke).
# Tests write only into $WORK (private, removed at exit) and $TF_BUILDDIR.
# Readiness is always polled with a bounded loop, never a bare sleep.

set -eu

TEST_NAME=$(basename "$0" .sh)
if [ -z "${TF_SRCDIR:-}" ]; then
	TF_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
fi
TF_BUILDDIR=${TF_BUILDDIR:-$TF_SRCDIR}
TF_BIN=${TF_BIN:-$TF_BUILDDIR/tlsfloor}
export TF_SRCDIR TF_BUILDDIR TF_BIN

# Debian's python3, not whatever python3 comes first in PATH.
PY=${TF_PYTHON:-/usr/bin/python3}
OPENSSL=${TF_OPENSSL:-openssl}
[ -x /usr/bin/openssl ] && [ -z "${TF_OPENSSL:-}" ] && OPENSSL=/usr/bin/openssl
ORIGIN_PY=$TF_SRCDIR/tests/backend/origin.py
HELLO_PY=$TF_SRCDIR/tests/tools/hello.py
PKI=$TF_BUILDDIR/tests/pki
HOSTNAME_TF=mail.contoso.test

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlsfloor-$TEST_NAME.XXXXXX")

TF_PID=            # the running daemon, if any
TF_ERRLOG=         # its error log (a file, even when error-log is stderr)
TF_STDERR=$WORK/tlsfloor.stderr
TF_LEGACY=$WORK/legacy.jsonl
TF_ACCESS=$WORK/access.jsonl
TF_PORT=
TF_URL=
ORIGIN_PID=
ORIGIN_PORT=
ORIGIN_ERR=$WORK/origin.stderr
_tf_pids=          # every background process we started
_tf_logs=          # every error log and stderr file a daemon wrote
_tf_bad=           # problems found by stop_tlsfloor/cleanup
_tf_mounts=        # file systems mounted under $WORK (mount_tmpfs)
M_URL=             # the daemon's metrics server (tf_metrics_url)

# ---------------------------------------------------------------------------
# Outcomes

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $TEST_NAME: $*" >&2
	exit 77
}

error() {
	echo "ERROR: $TEST_NAME: $*" >&2
	exit 99
}

note() {
	echo "# $*"
}

# ---------------------------------------------------------------------------
# Processes

# pid_alive PID: true while PID runs (a zombie counts as gone).
pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_pa_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_pa_state" ] && [ "$_pa_state" != Z ] && [ "$_pa_state" != X ]
}

# wait_gone PID SECONDS: waits (bounded) for PID to end; false on timeout.
wait_gone() {
	_n=$(($2 * 20))
	while pid_alive "$1"; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# wait_for SECONDS CMD...: runs CMD every 0.05 s until it succeeds; false
# after SECONDS.
wait_for() {
	_wf_n=$(($1 * 20))
	shift
	while ! "$@"; do
		_wf_n=$((_wf_n - 1))
		[ "$_wf_n" -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

_track() {
	_tf_pids="$_tf_pids $1"
}

_untrack() {
	_un_keep=
	for _un_p in $_tf_pids; do
		[ "$_un_p" = "$1" ] || _un_keep="$_un_keep $_un_p"
	done
	_tf_pids=$_un_keep
}

# stop_pid PID: SIGTERM, bounded wait, SIGKILL if needed; returns its status.
stop_pid() {
	if pid_alive "$1"; then
		kill -TERM "$1" 2>/dev/null || true
		if ! wait_gone "$1" 10; then
			echo "# pid $1 ignored SIGTERM for 10 s: SIGKILL" >&2
			kill -KILL "$1" 2>/dev/null || true
		fi
	fi
	_sp_rc=0
	wait "$1" 2>/dev/null || _sp_rc=$?
	_untrack "$1"
	return "$_sp_rc"
}

# ---------------------------------------------------------------------------
# Teardown

_dump() {
	[ -s "$1" ] || return 0
	echo "---- $2: $1 (last ${3:-100} lines)" >&2
	tail -n "${3:-100}" "$1" >&2
	echo "---- end of $2" >&2
}

_sanitizer_re='AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer|UndefinedBehaviorSanitizer|runtime error: |assertion failed'

cleanup() {
	_cl_rc=$?
	set +e
	trap - EXIT INT TERM HUP

	if [ -n "$TF_PID" ]; then
		_st=0
		_when="on SIGTERM at teardown"
		if pid_alive "$TF_PID"; then
			stop_pid "$TF_PID" || _st=$?
		else
			_when="before teardown"
			wait "$TF_PID" 2>/dev/null || _st=$?
			_untrack "$TF_PID"
			[ "$_st" -ne 0 ] || _st=-1
		fi
		if [ "$_st" -gt 128 ]; then
			_tf_bad="$_tf_bad; tlsfloor died from signal $((_st - 128)) ($_when)"
		elif [ "$_st" -lt 0 ]; then
			_tf_bad="$_tf_bad; tlsfloor exited on its own with status 0"
		elif [ "$_st" -ne 0 ]; then
			_tf_bad="$_tf_bad; tlsfloor exited with status $_st ($_when)"
		fi
		TF_PID=
	fi
	for _p in $_tf_pids; do
		stop_pid "$_p" >/dev/null 2>&1
	done

	for _f in $_tf_logs; do
		[ -f "$_f" ] || continue
		if grep -q '\[alert\]' "$_f"; then
			_tf_bad="$_tf_bad; [alert] in $(basename "$_f")"
		fi
		if grep -Eq "$_sanitizer_re" "$_f"; then
			_tf_bad="$_tf_bad; sanitizer or assertion report in $(basename "$_f")"
		fi
	done

	if [ -n "$_tf_bad" ] && [ "$_cl_rc" -eq 0 ]; then
		echo "FAIL: $TEST_NAME: teardown: ${_tf_bad#; }" >&2
		_cl_rc=1
	elif [ -n "$_tf_bad" ]; then
		echo "# teardown also found: ${_tf_bad#; }" >&2
	fi

	if [ "$_cl_rc" -ne 0 ] && [ "$_cl_rc" -ne 77 ]; then
		for _f in $_tf_logs; do
			_dump "$_f" "tlsfloor log"
		done
		_dump "$WORK/tlsfloor.stdout" "tlsfloor stdout" 20
		_dump "$ORIGIN_ERR" "origin stderr" 60
		_dump "$TF_ACCESS" "access log" 20
		_dump "$TF_LEGACY" "legacy log" 20
	fi
	for _m in $_tf_mounts; do
		umount "$_m" || umount -l "$_m"
	done
	if [ "${TF_KEEP:-0}" = 1 ]; then
		echo "# work folder kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$_cl_rc"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------
# Assertions and small tools

# run_cmd [-s STATUS] CMD...: runs CMD with stdout in $CMD_OUT and stderr in
# $CMD_ERR; fails unless it exits with STATUS (default 0).
CMD_OUT=$WORK/cmd.out
CMD_ERR=$WORK/cmd.err
run_cmd() {
	_want=0
	if [ "$1" = -s ]; then
		_want=$2
		shift 2
	fi
	_got=0
	"$@" >"$CMD_OUT" 2>"$CMD_ERR" || _got=$?
	if [ "$_got" -ne "$_want" ]; then
		echo "# command: $*" >&2
		_dump "$CMD_OUT" stdout 20
		_dump "$CMD_ERR" stderr 20
		fail "exit status $_got, expected $_want: $*"
	fi
}

# assert_eq GOT WANT WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# assert_match TEXT ERE WHAT
assert_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "$3: '$1' does not match /$2/"
}

# assert_grep ERE FILE WHAT
assert_grep() {
	grep -Eq -- "$1" "$2" || {
		_dump "$2" "$(basename "$2")" 30
		fail "$3: no line matching /$1/ in $(basename "$2")"
	}
}

# nlines FILE: its number of lines (0 when missing).
nlines() {
	if [ -f "$1" ]; then
		wc -l <"$1" | tr -d ' '
	else
		echo 0
	fi
}

_has_lines() {
	[ "$(nlines "$1")" -ge "$2" ]
}

# wait_lines FILE N [SECONDS]: waits until FILE has at least N lines.
wait_lines() {
	wait_for "${3:-5}" _has_lines "$1" "$2" ||
	    fail "$(basename "$1") has $(nlines "$1") lines after ${3:-5} s, expected $2"
}

# jget EXPR: reads JSON on stdin, prints EXPR over it (d is the object):
# strings raw, anything else as JSON.
jget() {
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# pycheck CODE [ARGS...]: runs Python CODE (stdin, sys.argv available) with
# json, re, hashlib imported; exits 0 or fails with what CODE printed.
pycheck() {
	_code=$1
	shift
	"$PY" -c "import json, re, sys, hashlib
$_code" "$@"
}

sha256_of() {
	sha256sum "$1" | cut -d' ' -f1
}

# dead_port: a loopback TCP port that nothing listens on (bound, then closed).
dead_port() {
	"$PY" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# vmhwm_kb PID: the process's peak resident set size in kB.
vmhwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# mount_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 256k) on DIR, under $WORK,
# unmounted at teardown. Skips the test where it cannot mount (not root,
# no mount namespace rights).
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" tlsfloor-test "$1" \
	    2>"$WORK/mount.err" ||
	    skip "cannot mount a tmpfs: $(cat "$WORK/mount.err")"
	_tf_mounts="$1 $_tf_mounts"
}

# need CMD...: skips the test when a peer program is missing.
need() {
	for _c; do
		command -v "$_c" >/dev/null 2>&1 || skip "$_c is not installed"
	done
}

# ---------------------------------------------------------------------------
# PKI, origin, configuration

# mk_pki: the shared test PKI in $PKI (made once per build tree).
mk_pki() {
	[ -f "$PKI/ca.pem" ] && return 0
	OPENSSL=$OPENSSL sh "$TF_SRCDIR/tests/certs/mk-pki.sh" "$PKI" ||
	    error "mk-pki.sh failed"
	[ -f "$PKI/ca.pem" ] || error "mk-pki.sh made no $PKI/ca.pem"
}

# as_nobody: for tests of `user nobody`, run as root: skips otherwise.
# Makes $WORK traversable and copies the gateway's ECDSA pair and the CA
# into $WORK/pki (the build tree may sit where nobody cannot look), the
# key root-owned, 0640, group nobody's: readable as nobody, as a reload
# needs. Sets NOBODY_GID, and CONF_PKI so that mk_conf's @PKI@ names
# these copies.
as_nobody() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (user nobody)"
	NOBODY_GID=$(id -g nobody 2>/dev/null) || skip "no user nobody"
	mk_pki
	chmod 0755 "$WORK"
	mkdir -m 0755 "$WORK/pki"
	cp "$PKI/gateway-ecdsa.pem" "$PKI/gateway-ecdsa.key" "$PKI/ca.pem" \
	    "$WORK/pki/"
	chmod 0644 "$WORK/pki/gateway-ecdsa.pem" "$WORK/pki/ca.pem"
	chgrp "$NOBODY_GID" "$WORK/pki/gateway-ecdsa.key"
	chmod 0640 "$WORK/pki/gateway-ecdsa.key"
	CONF_PKI=$WORK/pki
}

# _wait_port_file PID FILE NAME: tracks the server PID and waits (bounded)
# until it wrote its port to FILE; a hard error if it exits first.
_wait_port_file() {
	_track "$1"
	_n=200
	while [ ! -s "$2" ]; do
		pid_alive "$1" || {
			_dump "$ORIGIN_ERR" "origin stderr"
			error "$3 exited during start-up"
		}
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || error "$3 not listening after 10 s"
		sleep 0.05
	done
}

# start_origin [origin.py options]: starts tests/backend/origin.py on a
# kernel-chosen loopback port; sets ORIGIN_PID and ORIGIN_PORT.
start_origin() {
	mk_pki
	[ -x "$PY" ] || error "$PY not found"
	_pf=$WORK/origin.port
	rm -f "$_pf"
	"$PY" "$ORIGIN_PY" --cert "$PKI/origin.pem" --key "$PKI/origin.key" \
	    --listen 127.0.0.1:0 --port-file "$_pf" "$@" \
	    </dev/null >/dev/null 2>>"$ORIGIN_ERR" &
	ORIGIN_PID=$!
	_wait_port_file "$ORIGIN_PID" "$_pf" origin.py
	ORIGIN_PORT=$(cat "$_pf")
	ORIGIN_URL=https://localhost:$ORIGIN_PORT
	export ORIGIN_PORT ORIGIN_URL
}

# start_smtp_origin NAME [smtp_origin.py options]: tests/backend/
# smtp_origin.py on a kernel-chosen loopback port, with the origin's
# certificate; its messages go to $WORK/NAME.msgs and its sessions to
# $WORK/NAME.sessions (JSON lines). Sets SMTP_PORT.
start_smtp_origin() {
	mk_pki
	_name=$1
	shift
	_pf=$WORK/$_name.port
	rm -f "$_pf"
	"$PY" "$TF_SRCDIR/tests/backend/smtp_origin.py" \
	    --cert "$PKI/origin.pem" --key "$PKI/origin.key" \
	    --listen 127.0.0.1:0 --port-file "$_pf" \
	    --store "$WORK/$_name.msgs" --sessions "$WORK/$_name.sessions" \
	    "$@" </dev/null >/dev/null 2>>"$ORIGIN_ERR" &
	_wait_port_file $! "$_pf" smtp_origin.py
	SMTP_PORT=$(cat "$_pf")
}

# listen_silent SECONDS: a TCP listener on a kernel-chosen loopback port
# that never answers (the kernel still completes connections into its
# backlog), for SECONDS at most. Sets SILENT_PORT and SILENT_PID.
_silent_n=0
listen_silent() {
	_silent_n=$((_silent_n + 1))
	"$PY" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(float(sys.argv[1]))
' "$1" >"$WORK/silent.$_silent_n" &
	SILENT_PID=$!
	_track "$SILENT_PID"
	wait_for 10 test -s "$WORK/silent.$_silent_n" ||
	    fail "silent listener did not start"
	SILENT_PORT=$(cat "$WORK/silent.$_silent_n")
}

# curl_origin ARGS...: curl straight to the origin (not through tlsfloor).
curl_origin() {
	curl -sS --max-time 30 --cacert "$PKI/ca.pem" "$@"
}

# origin_stats FIELD: one counter from the origin's /stats. Note that the
# /stats request itself is a new TLS connection, already counted.
origin_stats() {
	curl_origin "$ORIGIN_URL/stats" | jget "d['$1']"
}

# mk_conf [-n] FILE < BODY: writes a configuration. Without -n it starts
# with error-log, legacy-log and access-log into $WORK. In BODY, @PKI@,
# @WORK@, @ORIGIN_PORT@ and @SRCDIR@ are replaced.
mk_conf() {
	_prelude=1
	if [ "$1" = -n ]; then
		_prelude=0
		shift
	fi
	{
		if [ "$_prelude" = 1 ]; then
			echo "# $TEST_NAME"
			echo "error-log  $WORK/error.log"
			echo "legacy-log $TF_LEGACY"
			echo "access-log $TF_ACCESS"
			echo
		fi
		sed -e "s|@PKI@|${CONF_PKI:-$PKI}|g" -e "s|@WORK@|$WORK|g" \
		    -e "s|@ORIGIN_PORT@|${ORIGIN_PORT:-0}|g" \
		    -e "s|@SRCDIR@|$TF_SRCDIR|g"
	} >"$1"
}

# edge_listener [-n NAME] [LINE...]: the usual listener "edge" (or NAME)
# for a mk_conf heredoc (its @PKI@ and @ORIGIN_PORT@ are filled in there):
# loopback on a kernel-chosen port, the ECDSA gateway certificate, the
# origin as its upstream, verified; each LINE (a directive) is added
# inside.
edge_listener() {
	_el_name=edge
	if [ "${1:-}" = -n ]; then
		_el_name=$2
		shift 2
	fi
	echo "listener $_el_name {"
	echo "    bind         127.0.0.1:0"
	echo "    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key"
	for _l; do
		echo "    $_l"
	done
	echo "    upstream     localhost:@ORIGIN_PORT@"
	echo "    upstream-sni outlook.office365.test"
	echo "    upstream-ca  @PKI@/ca.pem"
	echo "}"
}

# ---------------------------------------------------------------------------
# The daemon

_conf_value() {
	awk -v k="$1" '$1 == k { v = $2; gsub(/"/, "", v); print v; exit }' "$2"
}

# True once the daemon announced every bind, or died (checked after).
_count_listening() {
	pid_alive "$TF_PID" || return 0
	[ -f "$TF_ERRLOG" ] || return 1
	_c=$(tail -n "+$((_tf_skip + 1))" "$TF_ERRLOG" | grep -c '] listener [^ ]*: listening on' || true)
	[ "$_c" -ge "$_tf_nbinds" ]
}

# start_tlsfloor CONF: starts "$TF_BIN -c CONF" in the background and waits
# until its error log says "listening on" once per bind line in CONF. Sets
# TF_PID and TF_PORT, TF_PORT2, ... (the bound ports, in bind order) and
# TF_URL (https://mail.contoso.test:$TF_PORT). With TF_WORKERS set (CI's
# ThreadSanitizer run), a CONF without a workers line gets "workers
# $TF_WORKERS" at its end.
start_tlsfloor() {
	_conf=$1
	[ -x "$TF_BIN" ] || error "no daemon at $TF_BIN (build first)"
	[ -z "$TF_PID" ] || error "start_tlsfloor: tlsfloor already running"
	if [ -n "${TF_WORKERS:-}" ] &&
	    ! grep -Eq '^[[:space:]]*workers[[:space:]]' "$_conf"; then
		printf '\nworkers %s\n' "$TF_WORKERS" >>"$_conf"
	fi
	TF_ERRLOG=$(_conf_value error-log "$_conf")
	case $TF_ERRLOG in
	"" | stderr) TF_ERRLOG=$TF_STDERR ;;
	esac
	case " $_tf_logs " in
	*" $TF_ERRLOG "*) ;;
	*) _tf_logs="$_tf_logs $TF_ERRLOG" ;;
	esac
	case " $_tf_logs " in
	*" $TF_STDERR "*) ;;
	*) _tf_logs="$_tf_logs $TF_STDERR" ;;
	esac
	_tf_nbinds=$(awk '$1 == "bind" { n++ } END { print n + 0 }' "$_conf")
	[ "$_tf_nbinds" -gt 0 ] || error "start_tlsfloor: no bind in $_conf"
	_tf_skip=$(nlines "$TF_ERRLOG")

	"$TF_BIN" -c "$_conf" </dev/null >>"$WORK/tlsfloor.stdout" \
	    2>>"$TF_STDERR" &
	TF_PID=$!
	_track "$TF_PID"
	wait_for 10 _count_listening ||
	    fail "tlsfloor did not announce $_tf_nbinds listener(s) in 10 s"
	if ! pid_alive "$TF_PID"; then
		_st=0
		wait "$TF_PID" || _st=$?
		_untrack "$TF_PID"
		TF_PID=
		fail "tlsfloor exited with status $_st during start-up"
	fi

	_ports=$(tail -n "+$((_tf_skip + 1))" "$TF_ERRLOG" |
	    sed -n 's/.*] listener [^ ]*: listening on .*:\([0-9][0-9]*\)[^0-9]*$/\1/p' |
	    head -n "$_tf_nbinds")
	_i=1
	for _p in $_ports; do
		if [ "$_i" = 1 ]; then
			TF_PORT=$_p
		else
			eval "TF_PORT$_i=\$_p"
			export "TF_PORT$_i"
		fi
		_i=$((_i + 1))
	done
	[ "$_i" -gt "$_tf_nbinds" ] ||
	    fail "could not read $_tf_nbinds port(s) from the 'listening on' lines"
	TF_URL=https://$HOSTNAME_TF:$TF_PORT
	export TF_PORT TF_URL
}

# stop_tlsfloor: SIGTERM, bounded wait; fails unless the exit status is 0.
stop_tlsfloor() {
	[ -n "$TF_PID" ] || return 0
	_st=0
	stop_pid "$TF_PID" || _st=$?
	TF_PID=
	if [ "$_st" -gt 128 ]; then
		fail "tlsfloor died from signal $((_st - 128)) on SIGTERM"
	fi
	[ "$_st" -eq 0 ] || fail "tlsfloor exited with status $_st on SIGTERM"
}

# tf_metrics_url: sets M_URL to the metrics server the running daemon
# announced last ("metrics: listening on ADDR:PORT").
tf_metrics_url() {
	wait_for 10 grep -q '\[notice\] metrics: listening on ' "$TF_ERRLOG" ||
	    fail "no 'metrics: listening on' line"
	M_URL=http://127.0.0.1:$(grep '\[notice\] metrics: listening on ' \
	    "$TF_ERRLOG" | tail -n 1 | sed 's/.*:\([0-9][0-9]*\)$/\1/')
}

# tf_metric 'NAME{LABELS}': the sample's value now, or "none".
tf_metric() {
	curl -sS --max-time 10 "$M_URL/metrics" |
	    awk -v k="$1" '$1 == k { v = $2 } END { print v == "" ? "none" : v }'
}

# tf_metric_sum NAME: the sum of every sample of NAME, whatever its labels.
tf_metric_sum() {
	curl -sS --max-time 10 "$M_URL/metrics" |
	    awk -v k="$1" 'index($1, k "{") == 1 || $1 == k { v += $2 }
	        END { print v + 0 }'
}

# tf_reload: SIGHUP, then waits for its outcome in the error log (the
# line is left in $WORK/reload.last); fails when it is "config reload
# failed".
tf_reload() {
	_r0=$(grep -c 'reloaded: generation\|config reload failed' "$TF_ERRLOG" || true)
	kill -HUP "$TF_PID"
	wait_for 10 _reload_done "$_r0" || fail "no reload outcome in 10 s"
	! grep -q 'config reload failed' "$WORK/reload.last"
}
_reload_done() {
	grep 'reloaded: generation\|config reload failed' "$TF_ERRLOG" |
	    tail -n +"$(($1 + 1))" >"$WORK/reload.last" || true
	[ -s "$WORK/reload.last" ]
}

# tf_alive: fails the test when the daemon is no longer running.
tf_alive() {
	if [ -z "$TF_PID" ] || ! pid_alive "$TF_PID"; then
		fail "tlsfloor is not running"
	fi
}

# ---------------------------------------------------------------------------
# Clients

# curl_tf ARGS...: curl to the gateway, trusting the test CA, with
# mail.contoso.test and other.fabrikam.test resolving to 127.0.0.1:$TF_PORT.
# Use "$TF_URL/path".
curl_tf() {
	curl -sS --max-time 30 --cacert "$PKI/ca.pem" \
	    --resolve "$HOSTNAME_TF:$TF_PORT:127.0.0.1" \
	    --resolve "other.fabrikam.test:$TF_PORT:127.0.0.1" "$@"
}

# get_echo N: N requests for $TF_URL/echo, each of which must get 200.
get_echo() {
	_ge_i=0
	while [ "$_ge_i" -lt "$1" ]; do
		assert_eq "$(curl_tf -o /dev/null -w '%{http_code}' \
		    "$TF_URL/echo")" 200 "request $_ge_i"
		_ge_i=$((_ge_i + 1))
	done
}

# s_client [-p PORT] ARGS...: openssl s_client to 127.0.0.1:PORT (default
# $TF_PORT) trusting the test CA, with stdin closed, bounded to 20 s. Sends
# SNI mail.contoso.test unless ARGS has -servername or -noservername.
s_client() {
	_port=$TF_PORT
	if [ "${1:-}" = -p ]; then
		_port=$2
		shift 2
	fi
	_sn=1
	for _a; do
		case $_a in
		-servername | -noservername) _sn=0 ;;
		esac
	done
	if [ "$_sn" = 1 ]; then
		set -- -servername "$HOSTNAME_TF" "$@"
	fi
	timeout 20 "$OPENSSL" s_client -connect "127.0.0.1:$_port" \
	    -CAfile "$PKI/ca.pem" "$@" </dev/null
}

# gnutls_cli [-p PORT] ARGS...: gnutls-cli to 127.0.0.1:PORT with SNI
# mail.contoso.test, trusting the test CA, stdin closed, bounded to 20 s.
gnutls_cli() {
	_port=$TF_PORT
	if [ "${1:-}" = -p ]; then
		_port=$2
		shift 2
	fi
	timeout 20 gnutls-cli --x509cafile "$PKI/ca.pem" -p "$_port" \
	    --sni-hostname "$HOSTNAME_TF" --verify-hostname "$HOSTNAME_TF" \
	    "$@" 127.0.0.1 </dev/null
}

# hello ARGS...: tests/tools/hello.py to 127.0.0.1:$TF_PORT.
hello() {
	"$PY" "$HELLO_PY" --port "$TF_PORT" "$@"
}
