#!/bin/sh
# The systemd unit and what `make install` puts where. The built unit's
# exposure in `systemd-analyze security --offline=yes` is under 2.0 and
# `systemd-analyze verify` finds nothing to say about it. `make install
# DESTDIR=` holds the daemon, tlsfloor-report, the configuration, the
# unit, the logrotate and sysusers.d files, the fingerprint catalogue, the
# man pages and the README, both of which the unit's Documentation= names;
# the unit runs the installed daemon on the installed configuration, which
# is the daemon's default;
# `make uninstall` leaves no file. A build configured with
# --sysconfdir=/etc (from `make distdir`) defaults to, and runs from its
# unit, /etc/tlsfloor/tlsfloor.conf.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 || skip "no systemd-analyze"
# make runs make again here: not in the jobserver of the make check above.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${MAKE:-make}

# The build's installation folders, as make expands them.
cat >"$WORK/dirs.mk" <<'EOF'
include Makefile
tf-dirs:
	@echo "sbindir='$(sbindir)'"
	@echo "sysconfdir='$(sysconfdir)'"
	@echo "pkglibexecdir='$(pkglibexecdir)'"
	@echo "pkgdatadir='$(pkgdatadir)'"
	@echo "docdir='$(docdir)'"
	@echo "mandir='$(mandir)'"
	@echo "unitdir='$(systemdsystemunitdir)'"
	@echo "sysusersdir='$(sysusersdir)'"
EOF
sbindir='' sysconfdir='' pkglibexecdir='' pkgdatadir='' docdir='' mandir=''
unitdir='' sysusersdir=''
eval "$($MAKE -s -C "$TF_BUILDDIR" -f "$WORK/dirs.mk" tf-dirs)"
if [ -z "$sbindir" ] || [ -z "$sysconfdir" ]; then
	error "no folders from make"
fi
CONF=$sysconfdir/tlsfloor/tlsfloor.conf

# --- the built unit -----------------------------------------------------
UNIT=$TF_BUILDDIR/contrib/tlsfloor.service
[ -f "$UNIT" ] || error "no $UNIT (make builds it)"
if grep -n '@[a-z]*@' "$UNIT"; then
	fail "the unit has a path left to substitute"
fi
systemd-analyze security --offline=yes --no-pager "$UNIT" \
    >"$WORK/security.out" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for tlsfloor.service: \([0-9.]*\).*/\1/p' \
    "$WORK/security.out")
[ -n "$score" ] || {
	_dump "$WORK/security.out" "systemd-analyze security" 20
	fail "no exposure level from systemd-analyze security"
}
note "$(grep 'Overall exposure level' "$WORK/security.out")"
awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' ||
    fail "exposure $score, expected under 2.0"

# --- make install -------------------------------------------------------
D=$WORK/inst
$MAKE -s -C "$TF_BUILDDIR" install DESTDIR="$D" >"$WORK/install.out" 2>&1 || {
	_dump "$WORK/install.out" "make install" 30
	fail "make install DESTDIR failed"
}
for f in "$sbindir/tlsfloor" "$pkglibexecdir/tlsfloor-report" "$CONF" \
    "$sysconfdir/logrotate.d/tlsfloor" "$pkgdatadir/fingerprints.tsv" \
    "$docdir/README" "$mandir/man8/tlsfloor.8" "$mandir/man5/tlsfloor.conf.5" \
    ${unitdir:+"$unitdir/tlsfloor.service"} \
    ${sysusersdir:+"$sysusersdir/tlsfloor.conf"}; do
	[ -f "$D$f" ] || fail "make install: no $f"
done
[ -n "$unitdir" ] || note "configured without a unit folder: unit not installed"
cmp "$TF_SRCDIR/conf/fingerprints.tsv" "$D$pkgdatadir/fingerprints.tsv" ||
    fail "installed catalogue differs from conf/fingerprints.tsv"
assert_eq "$("$D$sbindir/tlsfloor" -h | sed -n 's/^default FILE: //p')" \
    "$CONF" "the installed daemon's default configuration"

# The unit names what was installed.
assert_grep "^ExecStart=$sbindir/tlsfloor -c $CONF\$" "$UNIT" "ExecStart"
assert_grep "^ExecReload=$sbindir/tlsfloor -t -c $CONF\$" "$UNIT" "ExecReload"
doc=$(sed -n 's/^Documentation=file://p' "$UNIT")
assert_eq "$doc" "$docdir/README" "Documentation="
assert_grep '^Documentation=man:tlsfloor\(8\)$' "$UNIT" "Documentation=man:"
if [ -n "$unitdir" ]; then
	cmp "$UNIT" "$D$unitdir/tlsfloor.service" || fail "installed unit differs"
fi

# verify checks that ExecStart='s programs exist: point them into $D.
sed "s|=$sbindir/|=$D$sbindir/|" "$UNIT" >"$WORK/tlsfloor.service"
systemd-analyze verify --man=no "$WORK/tlsfloor.service" \
    >"$WORK/verify.out" 2>&1 || true
[ ! -s "$WORK/verify.out" ] || {
	_dump "$WORK/verify.out" "systemd-analyze verify" 20
	fail "systemd-analyze verify has something to say about the unit"
}

$MAKE -s -C "$TF_BUILDDIR" uninstall DESTDIR="$D" >"$WORK/uninstall.out" 2>&1 ||
    fail "make uninstall DESTDIR failed"
left=$(find "$D" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"

# --- a build for /etc ---------------------------------------------------
# configure refuses a source tree that is configured: build from the
# distributed files, with this build's options and --sysconfdir=/etc.
$MAKE -s -C "$TF_BUILDDIR" distdir distdir="$WORK/src" >"$WORK/distdir.out" 2>&1 || {
	_dump "$WORK/distdir.out" "make distdir" 20
	fail "make distdir failed"
}
# (make distcheck's options hold its own --srcdir: the last one wins.)
opts=$("$TF_BUILDDIR/config.status" --config)
mkdir "$WORK/b"
(
	cd "$WORK/b" &&
	    eval "\"$WORK/src/configure\" $opts --srcdir=\"$WORK/src\" --sysconfdir=/etc" &&
	    $MAKE tlsfloor contrib/tlsfloor.service
) >"$WORK/b.out" 2>&1 || {
	_dump "$WORK/b.out" "configure --sysconfdir=/etc and make" 30
	fail "a build configured with --sysconfdir=/etc failed"
}
assert_eq "$("$WORK/b/tlsfloor" -h | sed -n 's/^default FILE: //p')" \
    /etc/tlsfloor/tlsfloor.conf "default configuration with --sysconfdir=/etc"
assert_grep ' -c /etc/tlsfloor/tlsfloor.conf$' "$WORK/b/contrib/tlsfloor.service" \
    "the unit with --sysconfdir=/etc"
note "installed: $sbindir/tlsfloor $CONF ${unitdir:-(no unit folder)}/tlsfloor.service $docdir/README"
