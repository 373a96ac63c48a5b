#!/bin/sh
# tests/fuzz/run.sh DIR SECONDS [NAME...]: runs each driver built by
# tests/fuzz/build.sh into DIR (all seven unless NAMEs are given) for
# SECONDS, one after the other, on a scratch copy of its corpus (so the
# tree is never written) with its dictionary. The reproducers of known
# bugs in tests/fuzz/crashes/NAME/ go into the corpus too: they are
# regression tests once fixed, and fail the run until then
# (FUZZ_SKIP_KNOWN=1 leaves them out, to look for new bugs meanwhile).
#
# Exits non-zero when any driver crashed, leaked, timed out or could not
# run; what it found is left in ${FUZZ_ARTIFACTS:-DIR/artifacts}. Set
# FUZZ_KEEP_CORPUS=1 to keep the grown corpora there as well.
set -eu

usage() {
	echo "usage: $0 DIR SECONDS [hello|proxyproto|http1|config_parse|report|pump|smtp...]" >&2
	exit 2
}
[ $# -ge 2 ] || usage
case $2 in
'' | *[!0-9]*) usage ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "$1" && pwd)
SECS=$2
shift 2
NAMES=${*:-hello proxyproto http1 config_parse report pump smtp}
ART=${FUZZ_ARTIFACTS:-$BIN/artifacts}
mkdir -p "$ART"
ART=$(cd "$ART" && pwd)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# Per-driver input size limits: above a real ClientHello, a PROXY v2
# header with some TLVs, a few pipelined messages, a big configuration.
max_len() {
	case $1 in
	hello) echo 4096 ;;
	proxyproto) echo 1024 ;;
	http1) echo 8192 ;;
	config_parse) echo 4096 ;;
	report) echo 16384 ;;
	pump) echo 8192 ;;
	smtp) echo 4096 ;;
	*) echo 4096 ;;
	esac
}

# The pump's script carries HTTP/1.1 messages: the http1 tokens serve.
dict() {
	case $1 in
	pump) echo "$HERE/http1.dict" ;;
	*) echo "$HERE/$1.dict" ;;
	esac
}

failed=
for name in $NAMES; do
	exe=$BIN/fuzz-$name
	if [ ! -x "$exe" ]; then
		echo "run.sh: $exe is missing (tests/fuzz/build.sh $BIN)" >&2
		failed="$failed $name"
		continue
	fi
	corpus=$SCRATCH/$name
	mkdir -p "$corpus"
	cp "$HERE/corpus/$name/"* "$corpus/"
	if [ -d "$HERE/crashes/$name" ] && [ "${FUZZ_SKIP_KNOWN:-0}" != 1 ]; then
		for f in "$HERE/crashes/$name/"*; do
			[ -f "$f" ] && cp "$f" "$corpus/crash-$(basename "$f")"
		done
	fi
	echo "=== fuzz-$name: ${SECS}s"
	# -timeout: one input taking 10 s is a hang. Leaks are reported.
	if "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
	    -max_len="$(max_len "$name")" -dict="$(dict "$name")" \
	    -artifact_prefix="$ART/$name-" -print_final_stats=1 \
	    "$corpus" >"$SCRATCH/$name.log" 2>&1; then
		grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' \
		    "$SCRATCH/$name.log" || true
	else
		status=$?
		tail -n 60 "$SCRATCH/$name.log" >&2
		echo "run.sh: fuzz-$name FAILED (exit $status); inputs in" \
		    "$ART/$name-*" >&2
		cp "$SCRATCH/$name.log" "$ART/$name.log"
		failed="$failed $name"
	fi
	if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
		rm -rf "$ART/corpus-$name"
		cp -r "$corpus" "$ART/corpus-$name"
	fi
done

if [ -n "$failed" ]; then
	echo "run.sh: failed:$failed" >&2
	exit 1
fi
echo "run.sh: no crash in $NAMES (${SECS}s each)"
