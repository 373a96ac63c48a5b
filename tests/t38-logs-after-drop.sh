#!/bin/sh
# Run as root with `user nobody` and the logs in a folder only root may
# write (root, 0750: /var/log/tlsfloor as packages make it): after a
# rename, SIGUSR1 makes new files (opened by the part that kept root for
# that, privsep.h) and every record lands in one file or the other, none
# lost; a reload keeps its log files too. The opener is root, holds no
# listening socket, ignores the signals sent to every tlsfloor, and goes
# when the daemon goes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

as_nobody
need curl
start_origin
LOGS=$WORK/logs
mkdir -m 0750 "$LOGS"
mk_conf -n "$WORK/t38.conf" <<EOF2
user        nobody
error-log   $LOGS/error.log
legacy-log  $LOGS/legacy.jsonl
access-log  $LOGS/access.jsonl
$(edge_listener)
EOF2
chmod 0644 "$WORK/t38.conf"
start_tlsfloor "$WORK/t38.conf"

uid_of() {
	awk '$1 == "Uid:" { print $2 }' "/proc/$1/status"
}
assert_eq "$(uid_of "$TF_PID")" "$(id -u nobody)" "the daemon's uid"
opener=$(ps -o pid= --ppid "$TF_PID" | tr -d ' ')
assert_match "$opener" '^[0-9]+$' "the log opener (a child of the daemon)"
assert_eq "$(uid_of "$opener")" 0 "the log opener's uid"
assert_eq "$(cat "/proc/$opener/comm")" tlsfloor-logs "the log opener's name"
# Its descriptors: 0-2 on /dev/null and its socket to the daemon.
for fd in "/proc/$opener/fd/"*; do
	case $(readlink "$fd") in
	/dev/null | socket:*) ;;
	*) fail "the log opener holds $(readlink "$fd")" ;;
	esac
done

legacy=0 access=0
# traffic N: N TLS 1.0 refusals and N requests.
traffic() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		s_client -tls1 -cipher 'DEFAULT@SECLEVEL=0' >/dev/null 2>&1 || true
		curl_tf -o /dev/null "$TF_URL/echo" || fail "request $_i"
		_i=$((_i + 1))
	done
	legacy=$((legacy + $1))
	access=$((access + $1))
}

traffic 4
wait_lines "$LOGS/legacy.jsonl" 4
wait_lines "$LOGS/access.jsonl" 4
tf_reload || fail "reload as nobody: $(cat "$WORK/reload.last")"

for f in legacy.jsonl access.jsonl error.log; do
	mv "$LOGS/$f" "$LOGS/$f.1"
done
traffic 3        # between the rename and the reopen: the old files
wait_lines "$LOGS/legacy.jsonl.1" 7
wait_lines "$LOGS/access.jsonl.1" 7
# What logrotate's postrotate sends to every tlsfloor process.
kill -USR1 "$TF_PID" "$opener"
wait_for 10 test -s "$LOGS/error.log" || fail "no new error log after SIGUSR1"
wait_for 10 grep -q 'logs reopened' "$LOGS/error.log" ||
    fail "no 'logs reopened': $(cat "$LOGS/error.log")"
if grep -i 'denied\|cannot' "$LOGS/error.log" "$LOGS/error.log.1"; then
	fail "errors around the reopen"
fi
pid_alive "$opener" || fail "the log opener died of SIGUSR1"
traffic 5
wait_lines "$LOGS/legacy.jsonl" 5
wait_lines "$LOGS/access.jsonl" 5
tf_reload || fail "reload after the rotation: $(cat "$WORK/reload.last")"
traffic 2
wait_lines "$LOGS/legacy.jsonl" 7
wait_lines "$LOGS/access.jsonl" 7

got_legacy=$(($(nlines "$LOGS/legacy.jsonl.1") + $(nlines "$LOGS/legacy.jsonl")))
got_access=$(($(nlines "$LOGS/access.jsonl.1") + $(nlines "$LOGS/access.jsonl")))
assert_eq "$got_legacy" "$legacy" "legacy records in both files"
assert_eq "$got_access" "$access" "access records in both files"
assert_eq "$(nlines "$LOGS/legacy.jsonl")" 7 "legacy records after the reopen"
for f in legacy.jsonl access.jsonl error.log; do
	assert_eq "$(stat -c '%U %a' "$LOGS/$f")" "root 640" "$f's owner and mode"
done
for f in legacy.jsonl access.jsonl; do
	pycheck 'for l in open(sys.argv[1]): json.loads(l)' "$LOGS/$f" ||
	    fail "$f: not one record a line"
done
# The same user in every reload: nothing to warn about.
if grep "'user' takes effect" "$LOGS/error.log.1" "$LOGS/error.log"; then
	fail "a reload with the same user warned"
fi
note "as nobody: legacy $(nlines "$LOGS/legacy.jsonl.1")+$(nlines "$LOGS/legacy.jsonl"), access $(nlines "$LOGS/access.jsonl.1")+$(nlines "$LOGS/access.jsonl")"

stop_tlsfloor
wait_gone "$opener" 10 || fail "the log opener outlived the daemon"
