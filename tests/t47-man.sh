#!/bin/sh
# The man pages tlsfloor(8) and tlsfloor.conf(5), made from the README by
# contrib/mkman: groff renders both without a warning, each has its
# sections in the README's order (a section the README does not have is
# left out), each section holds a directive or option of the README's
# section of the same title, the build's folders are filled in, and a
# change in the README is in the next build's page. t41 checks that `make
# install` puts them in $(mandir) and that `make uninstall` removes them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need groff
README=$TF_SRCDIR/README
MAN8=$TF_BUILDDIR/tlsfloor.8
MAN5=$TF_BUILDDIR/tlsfloor.conf.5
for f in "$MAN8" "$MAN5"; do
	[ -f "$f" ] || error "no $f (make builds it)"
done

# render PAGE OUT: plain text; fails on any warning (-ww).
render() {
	groff -man -Tascii -P-cbou -ww "$1" >"$2" 2>"$WORK/groff.err" ||
	    fail "groff failed on $(basename "$1")"
	[ ! -s "$WORK/groff.err" ] || {
		_dump "$WORK/groff.err" "groff -ww" 20
		fail "groff warns about $(basename "$1")"
	}
	groff -man -Tutf8 -ww "$1" >/dev/null 2>"$WORK/groff.err"
	[ ! -s "$WORK/groff.err" ] || {
		_dump "$WORK/groff.err" "groff -Tutf8 -ww" 20
		fail "groff -Tutf8 warns about $(basename "$1")"
	}
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 man --warnings -l "$1" >/dev/null 2>"$WORK/man.err" ||
		    fail "man -l failed on $(basename "$1")"
		[ ! -s "$WORK/man.err" ] || {
			_dump "$WORK/man.err" "man --warnings -l" 20
			fail "man -l warns about $(basename "$1")"
		}
	fi
}
render "$MAN8" "$WORK/tlsfloor.8.txt"
render "$MAN5" "$WORK/tlsfloor.conf.5.txt"

# has_title TITLE: the README has a section TITLE (underlined with '-').
has_title() {
	awk -v t="$1" 'p == t && /^-+$/ && length($0) == length(t) { f = 1 }
	    { p = $0 } END { exit !f }' "$README"
}

# expect_sections PAGE SECTION...: its .SH lines are exactly these.
expect_sections() {
	_page=$1
	shift
	_want=$(printf '%s\n' "$@")
	_got=$(sed -n 's/^\.SH "*\([^"]*\)"*$/\1/p' "$_page")
	[ "$_got" = "$_want" ] || {
		printf '%s\n' "$_got" >&2
		fail "$(basename "$_page"): sections above, expected: $*"
	}
}
smtp=
has_title "SMTP for devices" && smtp="SMTP FOR DEVICES"
# shellcheck disable=SC2086
expect_sections "$MAN8" NAME SYNOPSIS DESCRIPTION "COMMAND LINE" \
    "SIGNALS AND RELOADS" "RUNNING IT AS A SERVICE" METRICS \
    "TLS ON THE CLIENT SIDE" UPSTREAM HTTP ${smtp:+"$smtp"} FILES "SEE ALSO"
expect_sections "$MAN5" NAME SYNOPSIS DESCRIPTION "SYSLOG AND THE JOURNAL" \
    FILES "SEE ALSO"

# in_section TEXT SECTION STRING: STRING is in SECTION of the rendered TEXT.
in_section() {
	awk -v s="$2" -v w="$3" '
	    /^[A-Z]/ { cur = $0; next }
	    cur == s && index($0, w) { f = 1 }
	    END { exit !f }' "$1" ||
	    fail "$(basename "$1" .txt): no '$3' under $2"
}
# in_readme TITLE STRING: the README's section TITLE says STRING (so that
# a sample below that the README dropped fails here, not silently).
in_readme() {
	awk -v t="$1" -v w="$2" '
	    /^-+$/ && p != "" && length($0) == length(p) { cur = p }
	    cur == t && index($0, w) { f = 1 }
	    { p = $0 } END { exit !f }' "$README" ||
	    error "the README's '$1' no longer says '$2': change this test"
}
# sample PAGE SECTION README-TITLE STRING
sample() {
	in_readme "$3" "$4"
	in_section "$WORK/$1.txt" "$2" "$4"
}
sample tlsfloor.8 DESCRIPTION "What it is, and why" "protocol_version alert"
sample tlsfloor.8 "COMMAND LINE" "Command line" "tlsfloor -t [-c FILE]"
sample tlsfloor.8 "COMMAND LINE" "Command line" "--since TIME"
sample tlsfloor.8 "SIGNALS AND RELOADS" "Signals and reloads" "SIGUSR1 reopens"
sample tlsfloor.8 "RUNNING IT AS A SERVICE" "Running it as a service" \
    "systemctl daemon-reload"
sample tlsfloor.8 METRICS Metrics "tlsfloor_config_reloads_total{result}"
sample tlsfloor.8 "TLS ON THE CLIENT SIDE" "TLS on the client side" \
    "min-tls 1.3 NAME..."
sample tlsfloor.8 UPSTREAM Upstream "upstream-connect-timeout"
sample tlsfloor.8 HTTP HTTP "preserve-host on"
sample tlsfloor.conf.5 DESCRIPTION Configuration "upstream-sni outlook.office365.com"
sample tlsfloor.conf.5 DESCRIPTION Configuration "max-header-size 64k"
sample tlsfloor.conf.5 "SYSLOG AND THE JOURNAL" "Syslog and the journal" \
    "syslog udp:ADDR:PORT"
sample tlsfloor.conf.5 "SYSLOG AND THE JOURNAL" "Syslog and the journal" \
    "syslog-facility NAME"

# Options and code are minus signs, not hyphens, in the source.
assert_grep '^tlsfloor \\-t \[\\-c FILE\]' "$MAN8" "-t in a block"
assert_grep '\\fBsyslog\\-facility NAME\\fR' "$MAN5" "code in prose"

# The build's folders, not $(NAME): the default -c in the synopsis of the
# configuration page is the daemon's own.
# shellcheck disable=SC2016
if grep -n '\$(' "$MAN8" "$MAN5"; then
	fail "a \$(NAME) was left in a page"
fi
default=$("$TF_BIN" -h | sed -n 's/^default FILE: //p')
[ -n "$default" ] || error "no 'default FILE:' in tlsfloor -h"
# A path may break after a '/' (\:), so these look at the page without
# the break points, and at the text rendered on lines long enough.
sed 's/\\://g' "$MAN5" >"$WORK/conf.5.plain"
assert_grep "^\\.I $default\$" "$WORK/conf.5.plain" "the configuration's path"
groff -man -Tascii -P-cbou -rLL=500n "$MAN8" >"$WORK/tlsfloor.8.wide" ||
    fail "groff -rLL=500n failed on tlsfloor.8"
in_section "$WORK/tlsfloor.8.wide" FILES "$default"

# contrib/mkman on an edited README: the page follows it, and a section
# title it has not got is left out without a word.
sed 's/^    tlsfloor -h, --help      usage$/    tlsfloor -h, --help      usage (edited)/' \
    "$README" >"$WORK/README"
cmp -s "$README" "$WORK/README" && error "the edit of the README changed nothing"
# shellcheck disable=SC2016
printf '\nSMTP for devices\n----------------\n\nPort 25, `smtp-sample`.\nSee\n$(sysconfdir)/tlsfloor/tlsfloor.conf.\n' \
    >>"$WORK/README"
# A deep prefix, as distcheck's, makes paths longer than a line, in FILES
# and in prose: they break after a '/' without a warning.
deep=/$(printf 'deep%.0s/' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20)usr
sh "$TF_SRCDIR/contrib/mkman" tlsfloor.8 "$WORK/README" 0 \
    sysconfdir="$deep/etc" pkglibexecdir="$deep/libexec/tlsfloor" \
    >"$WORK/edited.8" || fail "mkman on an edited README"
render "$WORK/edited.8" "$WORK/edited.8.txt"
in_section "$WORK/edited.8.txt" FILES "deep/deep/"
in_section "$WORK/edited.8.txt" "SMTP FOR DEVICES" "See /deep/deep/"
in_section "$WORK/edited.8.txt" "COMMAND LINE" "usage (edited)"
in_section "$WORK/edited.8.txt" "SMTP FOR DEVICES" "Port 25, smtp-sample."
if sh "$TF_SRCDIR/contrib/mkman" tlsfloor.1 "$README" 0 >/dev/null 2>&1; then
	fail "mkman made a page it does not know"
fi
note "tlsfloor.8: $(wc -l <"$WORK/tlsfloor.8.txt") lines, tlsfloor.conf.5: $(wc -l <"$WORK/tlsfloor.conf.5.txt") lines"
