#!/bin/sh
# A second tlsfloor on the same port fails at start-up with FILE:LINE and
# "already running", instead of sharing the port through SO_REUSEPORT (as
# the same user may) and taking half of the first one's clients; the first
# serves on, and every connection goes to it. A reload of the first that
# keeps its binds still works (its own sockets are not "another process").
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need curl
start_origin
mk_conf "$WORK/first.conf" <<EOF
$(edge_listener)
EOF
start_tlsfloor "$WORK/first.conf"

mk_conf -n "$WORK/second.conf" <<EOF
error-log  $WORK/second.error.log
legacy-log $WORK/second.legacy.jsonl
access-log $WORK/second.access.jsonl
$(edge_listener | sed "s|127.0.0.1:0|127.0.0.1:$TF_PORT|")
EOF
# Bounded: a second instance that did start would be stopped by timeout.
run_cmd -s 1 timeout 20 "$TF_BIN" -c "$WORK/second.conf"
assert_grep "second\.conf:[0-9]+: bind 127\.0\.0\.1:$TF_PORT: Address already in use \(by another process: is tlsfloor already running\?\)" \
    "$CMD_ERR" "the second instance's error"
note "second instance: $(head -n 1 "$CMD_ERR")"

# Every new connection still reaches the first (none is lost to a
# second listener on the port).
i=0
while [ "$i" -lt 20 ]; do
	assert_eq "$(curl_tf -o /dev/null -w '%{http_code}' "$TF_URL/echo")" \
	    200 "request $i to the first instance"
	i=$((i + 1))
done
assert_eq "$(nlines "$TF_ACCESS")" 20 "requests the first instance served"

tf_reload || fail "the first instance's reload: $(cat "$WORK/reload.last")"
assert_eq "$(curl_tf -o /dev/null -w '%{http_code}' "$TF_URL/echo")" 200 \
    "after the reload"
tf_alive
stop_tlsfloor
