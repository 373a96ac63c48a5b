#!/bin/sh
# The Debian package, end to end: built with `dpkg-buildpackage -us -uc -b`
# from a clean copy of the tree (`git archive HEAD`, or `make distdir`
# outside git), checked with lintian when it is there, installed with
# dpkg -i, its files, conffiles, enabled unit, user and log folder looked
# at; then the installed daemon, started as root with `user tlsfloor` on
# a configuration whose key only root and group tlsfloor can read: -t
# passes, a request through it gets 200, a TLS 1.0 client is refused and
# recorded, the unit's ExecReload= lines (what `systemctl reload` runs)
# reload it, SIGTERM stops it; last `dpkg --purge` and what it leaves.
#
# It installs system-wide, so .ci/run runs it after the suites, never make
# check. Needs root and dpkg-buildpackage (`contrib/install-deps deb`);
# skips without them. TF_DEB_KEEP=1 leaves the package installed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: it installs the package"
command -v dpkg-buildpackage >/dev/null 2>&1 ||
    skip "no dpkg-buildpackage (contrib/install-deps deb)"
need curl "$OPENSSL"
if dpkg-query -W -f='${Status}\n' tlsfloor 2>/dev/null |
    grep -q ' installed$'; then
	error "a tlsfloor package is installed already: not replacing it"
fi

t0=$(date +%s)
version=$(sed -n 's/^AC_INIT(\[tlsfloor\], \[\([^]]*\)\].*/\1/p' \
    "$TF_SRCDIR/configure.ac")
[ -n "$version" ] || error "no version in configure.ac's AC_INIT"
arch=$(dpkg --print-architecture)

# --- build from a clean copy ----------------------------------------------
mkdir "$WORK/build"
SRC=$WORK/build/tlsfloor-$version
if git -C "$TF_SRCDIR" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	mkdir "$SRC"
	git -C "$TF_SRCDIR" archive --format=tar HEAD | tar -xf - -C "$SRC" ||
	    error "git archive HEAD failed"
	from="git archive $(git -C "$TF_SRCDIR" rev-parse --short HEAD)"
	if [ -n "$(git -C "$TF_SRCDIR" status --porcelain --untracked-files=no)" ]; then
		note "uncommitted changes are not in the package"
	fi
elif [ -f "$TF_BUILDDIR/Makefile" ]; then
	make -s -C "$TF_BUILDDIR" distdir distdir="$SRC" \
	    >"$WORK/distdir.out" 2>&1 || {
		_dump "$WORK/distdir.out" "make distdir" 20
		error "make distdir failed"
	}
	from="make distdir"
else
	skip "neither a git checkout nor a configured tree to copy from"
fi
[ -d "$SRC/debian" ] || fail "no debian/ in the copy ($from)"
assert_eq "$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)" \
    "$version" "debian/changelog's version (configure.ac has $version)"

b0=$(date +%s)
(
	cd "$SRC" &&
	    DEB_BUILD_OPTIONS=parallel=2 timeout 1200 \
	    dpkg-buildpackage -us -uc -b
) >"$WORK/build.log" 2>&1 || {
	_dump "$WORK/build.log" "dpkg-buildpackage" 60
	fail "dpkg-buildpackage -us -uc -b failed ($from)"
}
build_s=$(($(date +%s) - b0))
DEB=$WORK/build/tlsfloor_${version}_$arch.deb
[ -f "$DEB" ] || fail "no $(basename "$DEB") after the build"
note "built $(basename "$DEB") from $from in $build_s s"

if command -v lintian >/dev/null 2>&1; then
	timeout 300 lintian --fail-on error,warning \
	    "$WORK/build/tlsfloor_${version}_$arch.changes" \
	    >"$WORK/lintian.out" 2>&1 || {
		_dump "$WORK/lintian.out" lintian 40
		fail "lintian has errors or warnings"
	}
else
	note "no lintian: not run"
fi

# --- install --------------------------------------------------------------
installed=0
deb_cleanup() {
	if [ "$installed" = 1 ] && [ "${TF_DEB_KEEP:-0}" != 1 ]; then
		if [ -n "$TF_PID" ]; then
			stop_pid "$TF_PID" >/dev/null 2>&1
			TF_PID=
		fi
		timeout 300 dpkg --purge tlsfloor >/dev/null 2>&1 ||
		    echo "# dpkg --purge tlsfloor failed at teardown" >&2
	fi
}
deb_exit() {
	_deb_rc=$?
	deb_cleanup
	(exit "$_deb_rc")
	cleanup
}
trap deb_exit EXIT

installed=1
export DEBIAN_FRONTEND=noninteractive
if ! timeout 300 dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1; then
	note "dpkg -i wants dependencies: apt-get install -f"
	timeout 600 apt-get install -f -y -qq >>"$WORK/dpkg.log" 2>&1 || {
		_dump "$WORK/dpkg.log" "dpkg -i, apt-get install -f" 40
		fail "the package does not install"
	}
fi
assert_eq "$(dpkg-query -W -f='${Status} ${Version}' tlsfloor)" \
    "install ok installed $version" "dpkg's status"
# Installed again (what an upgrade runs): the user and the folder exist.
timeout 300 dpkg -i "$DEB" >>"$WORK/dpkg.log" 2>&1 || {
	_dump "$WORK/dpkg.log" "dpkg -i, again" 20
	fail "the package does not install over itself"
}

for f in /usr/sbin/tlsfloor /usr/libexec/tlsfloor/tlsfloor-report \
    /etc/tlsfloor/tlsfloor.conf /etc/logrotate.d/tlsfloor \
    /lib/systemd/system/tlsfloor.service /usr/lib/sysusers.d/tlsfloor.conf \
    /usr/share/tlsfloor/fingerprints.tsv /usr/share/man/man8/tlsfloor.8.gz \
    /usr/share/man/man5/tlsfloor.conf.5.gz /usr/share/doc/tlsfloor/README \
    /usr/share/doc/tlsfloor/copyright; do
	[ -f "$f" ] || fail "installed package: no $f"
done
conffiles=$(dpkg-query -W -f='${Conffiles}\n' tlsfloor | awk 'NF { print $1 }')
assert_eq "$(printf '%s\n' "$conffiles" | sort | tr '\n' ' ')" \
    "/etc/logrotate.d/tlsfloor /etc/tlsfloor/tlsfloor.conf " "conffiles"

# Enabled (deb-systemd-helper, which needs no running systemd), not
# started; `systemctl reload` is -t, then SIGHUP.
WANTS=/etc/systemd/system/multi-user.target.wants/tlsfloor.service
[ -L "$WANTS" ] || fail "the unit is not enabled: no $WANTS"
assert_eq "$(readlink "$WANTS")" /lib/systemd/system/tlsfloor.service \
    "the enablement symlink"
UNIT=/lib/systemd/system/tlsfloor.service
# shellcheck disable=SC2016
assert_eq "$(sed -n 's/^ExecReload=//p' "$UNIT" | tr '\n' ';')" \
    '/usr/sbin/tlsfloor -t -c /etc/tlsfloor/tlsfloor.conf;/bin/kill -HUP $MAINPID;' \
    "the unit's ExecReload= lines"
assert_grep '^Documentation=man:tlsfloor\(8\)$' "$UNIT" "Documentation=man:"
assert_grep '^Documentation=file:/usr/share/doc/tlsfloor/README$' "$UNIT" \
    "Documentation=file:"

# The user and its log folder.
pw=$(getent passwd tlsfloor) || fail "no user tlsfloor"
assert_match "$pw" '^tlsfloor:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin$' \
    "user tlsfloor"
getent group tlsfloor >/dev/null || fail "no group tlsfloor"
assert_eq "$(id -gn tlsfloor)" tlsfloor "tlsfloor's group"
assert_eq "$(stat -c '%U:%G %a' /var/log/tlsfloor)" "tlsfloor:tlsfloor 750" \
    "/var/log/tlsfloor"

# The binary finds its libraries (BoringSSL through its RUNPATH), the man
# pages render, and the shipped configuration, whose certificates are not
# there, fails -t at its line (the package installed all the same).
if ldd /usr/sbin/tlsfloor | grep 'not found'; then
	fail "the installed daemon misses a library"
fi
run_cmd /usr/sbin/tlsfloor -V
if command -v man >/dev/null 2>&1; then
	for p in /usr/share/man/man8/tlsfloor.8.gz \
	    /usr/share/man/man5/tlsfloor.conf.5.gz; do
		MANWIDTH=80 timeout 30 man --warnings -l "$p" >"$WORK/man.out" \
		    2>"$WORK/man.err" || fail "man -l $p failed"
		[ ! -s "$WORK/man.err" ] || {
			_dump "$WORK/man.err" "man --warnings" 20
			fail "man warns about $p"
		}
	done
	assert_eq "$(man -w tlsfloor.conf)" /usr/share/man/man5/tlsfloor.conf.5.gz \
	    "man -w tlsfloor.conf"
fi
run_cmd -s 1 /usr/sbin/tlsfloor -t
assert_match "$(head -n 1 "$CMD_ERR")" \
    '^tlsfloor: /etc/tlsfloor/tlsfloor.conf:[0-9]+: ' "-t on the shipped file"
printf '%s\n' '{"time":"2026-11-28T13:45:01Z","event":"legacy_client","action":"refused","client_ip":"192.0.2.7","offered_max":"TLS1.0"}' |
    timeout 30 /usr/sbin/tlsfloor report - >"$WORK/report.out" 2>&1 ||
    fail "the installed tlsfloor report failed"
assert_grep '^tlsfloor report: 1 legacy_client record, 1 distinct client' \
    "$WORK/report.out" "the installed tlsfloor report"

# --- the installed daemon -------------------------------------------------
# A PKI that user tlsfloor can read: the key root's, group tlsfloor, 0640.
TF_BIN=/usr/sbin/tlsfloor
PKI=$WORK/pki
chmod 0755 "$WORK"
mk_pki
chmod 0755 "$PKI"
chmod 0644 "$PKI"/*.pem
chgrp tlsfloor "$PKI/gateway-ecdsa.key"
chmod 0640 "$PKI/gateway-ecdsa.key"
# shellcheck disable=SC2119
start_origin
mk_conf "$WORK/deb.conf" <<EOF2
user tlsfloor
$(edge_listener)
EOF2
chmod 0644 "$WORK/deb.conf"

run_cmd "$TF_BIN" -t -c "$WORK/deb.conf"
assert_eq "$(cat "$CMD_OUT" "$CMD_ERR")" \
    "tlsfloor: configuration $WORK/deb.conf is valid" "-t as root, user tlsfloor"

start_tlsfloor "$WORK/deb.conf"
uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$TF_PID/status")
assert_eq "$uid" "$(id -u tlsfloor)" "the daemon's uid after start-up"
assert_eq "$(curl_tf -o /dev/null -w '%{http_code}' "$TF_URL/echo")" 200 \
    "a request through the installed daemon"
wait_lines "$TF_ACCESS" 1

rc=0
s_client -tls1 -cipher 'DEFAULT@SECLEVEL=0' >"$WORK/tls1.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "openssl s_client -tls1: handshake succeeded"
[ "$rc" -ne 124 ] || fail "openssl s_client -tls1: timed out"
assert_grep 'alert protocol version|alert number 70' "$WORK/tls1.out" \
    "TLS 1.0 refused with alert 70"
wait_lines "$TF_LEGACY" 1
assert_eq "$(head -n 1 "$TF_LEGACY" | jget 'd["action"] + " " + d["offered_max"]')" \
    "refused TLS1.0" "the legacy record"

# What `systemctl reload tlsfloor` runs: the unit's ExecReload= lines, on
# this configuration and this daemon.
r0=$(grep -c 'reloaded: generation\|config reload failed' "$TF_ERRLOG" || true)
sed -n 's/^ExecReload=//p' "$UNIT" |
    sed -e "s|/etc/tlsfloor/tlsfloor.conf|$WORK/deb.conf|" \
    -e "s|\\\$MAINPID|$TF_PID|" >"$WORK/reload.cmds"
while read -r cmd; do
	# shellcheck disable=SC2086
	timeout 30 $cmd >>"$WORK/reload.out" 2>&1 || {
		_dump "$WORK/reload.out" "ExecReload=" 10
		fail "ExecReload=$cmd failed"
	}
done <"$WORK/reload.cmds"
wait_for 10 _reload_done "$r0" || fail "no reload outcome in 10 s"
assert_grep 'reloaded: generation 2' "$WORK/reload.last" "the reload"
assert_eq "$(curl_tf -o /dev/null -w '%{http_code}' "$TF_URL/echo")" 200 \
    "a request after the reload"
stop_tlsfloor

# --- purge ----------------------------------------------------------------
if [ "${TF_DEB_KEEP:-0}" = 1 ]; then
	note "TF_DEB_KEEP=1: the package stays installed"
	exit 0
fi
timeout 300 dpkg --purge tlsfloor >"$WORK/purge.log" 2>&1 || {
	_dump "$WORK/purge.log" "dpkg --purge" 20
	fail "dpkg --purge tlsfloor failed"
}
installed=0
if dpkg-query -W -f='${Status}\n' tlsfloor 2>/dev/null | grep -q 'installed'; then
	fail "dpkg still lists tlsfloor: $(dpkg-query -W -f='${Status}' tlsfloor)"
fi
for f in /usr/sbin/tlsfloor /usr/libexec/tlsfloor /etc/tlsfloor \
    /etc/logrotate.d/tlsfloor /lib/systemd/system/tlsfloor.service "$WANTS" \
    /usr/lib/sysusers.d/tlsfloor.conf /usr/share/tlsfloor \
    /usr/share/man/man8/tlsfloor.8.gz /usr/share/man/man5/tlsfloor.conf.5.gz \
    /usr/share/doc/tlsfloor /var/log/tlsfloor; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		fail "dpkg --purge left $f"
	fi
done
getent passwd tlsfloor >/dev/null ||
    fail "user tlsfloor removed (Debian keeps system users)"
note "installed, served, reloaded and purged in $(($(date +%s) - t0)) s in all (build $build_s s); user tlsfloor stays"
