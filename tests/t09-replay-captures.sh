#!/bin/sh
# The 162 real ClientHellos of testssl.sh's client simulation (SSL Labs and
# Wireshark captures), replayed by tests/tools/replay.py whole and
# fragmented (the handshake re-split into TLS records of 1-16 bytes, sent in
# TCP segments of 1-7 bytes), with the SNI rewritten to mail.contoso.test.
#
# Listener "enforce" (min-tls 1.2): every hello whose highest released
# version is below TLS 1.2 is refused with a fatal protocol_version alert
# (SSL 3.0: 40 or 70; pure SSLv2: any alert or a close) and leaves exactly
# one legacy_client/refused record whose offered_max, ja3, ja3_md5 and ja4
# are those of tests/unit/vectors/clienthellos.tsv; every other hello gets
# a ServerHello at its highest version with a DEFAULT (or TLS 1.3) suite it
# offered (an ECDSA one when it offers any: the ECDSA certificate), and
# leaves no legacy_client record, only the handshake_failed/closed record
# SPEC asks for when the client (replay.py) then hangs up mid-handshake.
# Fragmented delivery gives the same answer and the same record.
#
# Listener "audit" (mode audit): TLS 1.0/1.1 hellos get a ServerHello at
# their version (with DEFAULT or 0x002f 0x0035 0x000a) and leave a
# legacy_client/allowed_audit record, then the handshake_failed/closed one;
# one that shares no suite gets alert 40 and handshake_failed/
# no_shared_cipher instead (no capture does: a hand-built RC4-only hello
# checks that path). SSL 3.0 is still refused.
#
# Skipped without /etc/testssl/client-simulation.txt (Debian testssl.sh).
# shellcheck disable=SC2119
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

REPLAY_PY=$TF_SRCDIR/tests/tools/replay.py
# T09_VECTORS and T09_CAPTURES exist to check that the test can fail.
VECTORS=${T09_VECTORS:-$TF_SRCDIR/tests/unit/vectors/clienthellos.tsv}
CAPTURES=${T09_CAPTURES:-/etc/testssl/client-simulation.txt}

[ -r "$CAPTURES" ] || skip "no $CAPTURES (Debian package testssl.sh)"
[ -r "$VECTORS" ] || error "no $VECTORS"
[ -r "$REPLAY_PY" ] || error "no $REPLAY_PY"
ncaptures=$(grep -c '^[[:space:]]*names+=(' "$CAPTURES" || true)
[ "$ncaptures" -gt 0 ] || error "no names+=(...) in $CAPTURES"

start_origin

mk_conf "$WORK/t09.conf" <<EOF
listener enforce {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    min-tls      1.2
    mode         enforce
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
listener audit {
    bind         127.0.0.1:0
    cert         @PKI@/gateway-ecdsa.pem @PKI@/gateway-ecdsa.key
    cert         @PKI@/gateway-rsa.pem @PKI@/gateway-rsa.key
    min-tls      1.2
    mode         audit
    upstream     localhost:@ORIGIN_PORT@
    upstream-sni outlook.office365.test
    upstream-ca  @PKI@/ca.pem
}
EOF
start_tlsfloor "$WORK/t09.conf"
enforce_port=$TF_PORT
# shellcheck disable=SC2153 # set by start_tlsfloor for the second bind
audit_port=$TF_PORT2

# replay PORT MODES OUT: every capture, each mode, to 127.0.0.1:PORT; one
# JSON line per connection in OUT. Bounded: 5 s per answer, 3 s per close,
# 8 connections at a time, 300 s in all.
replay() {
	_rc=0
	timeout 300 "$PY" "$REPLAY_PY" --file "$CAPTURES" --host 127.0.0.1 \
	    --port "$1" --modes "$2" --sni "$HOSTNAME_TF" --jobs 8 \
	    --timeout 5 --drain 3 >"$3" 2>"$WORK/replay.err" || _rc=$?
	if [ "$_rc" -ne 0 ]; then
		_dump "$WORK/replay.err" "replay.py stderr" 20
		fail "replay.py to port $1 ($2) exited with status $_rc"
	fi
	_want=$((ncaptures * $(echo "$2" | tr ',' '\n' | grep -c .)))
	[ "$(nlines "$3")" -eq "$_want" ] ||
	    fail "replay.py ($2) printed $(nlines "$3") results, expected $_want"
}

t0=$(date +%s)
replay "$enforce_port" whole,fragmented "$WORK/enforce.jsonl"
tf_alive
replay "$audit_port" whole,fragmented "$WORK/audit.jsonl"
tf_alive

# A TLS 1.0 hello with nothing but RC4, which the audit listener lets in
# but cannot serve: alert 40, then handshake_failed/no_shared_cipher.
out=$("$PY" "$HELLO_PY" --port "$audit_port" --version 1.0 \
    --sni "$HOSTNAME_TF" --ciphers 0x0005,0x0004)
assert_eq "$out" "alert 2 40" "audit: TLS 1.0 hello with RC4 suites only"
t1=$(date +%s)
note "replays took $((t1 - t0)) s"

# Every record is written by the time the daemon has stopped cleanly.
stop_tlsfloor

rc=0
pycheck '
vectors, enforce_out, audit_out, legacy, host, summary = sys.argv[1:7]

DEFAULT = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013,
           0xc00a, 0xc014, 0x009c, 0x009d}
BELOW_FLOOR = DEFAULT | {0x002f, 0x0035, 0x000a}
TLS13 = {0x1301, 0x1302, 0x1303}
ECDSA = {0xc02b, 0xc02c, 0xcca9, 0xc009, 0xc00a}   # need the ECDSA cert
RC4_ONLY = ["0x0005", "0x0004"]          # the hand-built hello

V = {}
for line in open(vectors, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f = line.rstrip("\n").split("\t")
    if len(f) < 8:
        sys.exit("%s: short line: %r" % (vectors, line[:60]))
    V[f[0]] = dict(max_version=f[1], offered_max=f[2], sni=f[3], ja3=f[4],
                   ja3_md5=f[5], ja4=f[6])

recs = {}
synthetic = []
nrecs = 0
for i, line in enumerate(open(legacy, "rb").read().decode().splitlines()):
    r = json.loads(line)
    nrecs += 1
    r["_line"] = i + 1
    if r.get("listener") == "audit" and r.get("cipher_suites") == RC4_ONLY:
        synthetic.append(r)
        continue
    recs.setdefault((r.get("listener"), r.get("client_port")), []).append(r)

problems = []
def bad(listener, c, what):
    problems.append("%s/%s %r (port %s): %s" % (listener, c["mode"], c["name"],
                    c["client_port"], what))

def suites_of(v):
    return {int(x) for x in v["ja3"].split(",")[1].split("-") if x}

def check_fields(listener, c, v, r, event, extra):
    want = {"event": event, "listener": listener, "client_ip": "127.0.0.1",
            "hello_format": c["format"], "ja3": v["ja3"],
            "ja3_md5": v["ja3_md5"], "ja4": v["ja4"],
            "offered_max": v["offered_max"] if v["offered_max"] != "-"
            else c["offered_name"],
            "sni": host if c["sni"] == "rewritten" else None}
    want.update(extra)
    for k, w in want.items():
        if r.get(k) != w:
            bad(listener, c, "%s record: %s %r, expected %r" % (event, k,
                r.get(k), w))

# SPEC "Certificates": with an ECDSA and an RSA certificate for the name,
# a client that can use ECDSA gets it. Up to TLS 1.2 the suite tells which
# certificate the server sent.
def check_cert(listener, c, shared, cs):
    if shared & ECDSA and cs not in ECDSA:
        bad(listener, c, "suite 0x%04x (RSA certificate), but the client "
            "offers ECDSA suites %s" % (cs, ",".join("0x%04x" % x
            for x in sorted(shared & ECDSA))))

used = set()
stats = {}
seen = {}
for listener, path in (("enforce", enforce_out), ("audit", audit_out)):
    for line in open(path, encoding="utf-8"):
        c = json.loads(line)
        st = stats.setdefault((listener, c["mode"]), dict(
            refused=0, accepted=0, recorded=0, audit_allowed=0,
            no_shared=0, ssl3=0, mismatches=0))
        before = len(problems)
        v = V.get(c["name"])
        key = (listener, c["client_port"])
        rs = recs.get(key, [])
        used.add(key)
        if v is None:
            bad(listener, c, "no line in %s" % vectors)
        elif c["client_port"] is None:
            bad(listener, c, "no connection: %s" % c.get("error"))
        elif c["offered"] is None:
            bad(listener, c, "the capture offers no released version")
        elif v["offered_max"] != "-" and v["offered_max"] != c["offered_name"]:
            bad(listener, c, "replay.py reads %s, the vectors say %s"
                % (c["offered_name"], v["offered_max"]))
        else:
            off = int(c["offered"], 16)
            res = c["result"]
            ev = [r["event"] for r in rs]
            client = suites_of(v)
            if off >= 0x0303:
                # At or above the floor: a ServerHello at the highest
                # version offered, with a suite of ours the client offered.
                st["accepted"] += res == "server_hello"
                sv = int(c.get("server_version") or "0", 16)
                cs = int(c.get("cipher") or "0", 16)
                ours = TLS13 if off >= 0x0304 else DEFAULT
                if res != "server_hello":
                    bad(listener, c, "offers %s, got %s instead of a "
                        "ServerHello" % (c["offered_name"], res))
                elif c.get("hrr"):
                    bad(listener, c, "HelloRetryRequest")
                elif sv != min(off, 0x0304):
                    bad(listener, c, "ServerHello selects 0x%04x, the client "
                        "offers %s" % (sv, c["offered"]))
                elif cs not in ours or cs not in client:
                    bad(listener, c, "ServerHello selects suite 0x%04x" % cs)
                elif off < 0x0304:
                    check_cert(listener, c, client & ours, cs)
                if c["after"] not in ("eof", "reset"):
                    bad(listener, c, "after our FIN, the server did not "
                        "close (%s)" % c["after"])
                if ev != ["handshake_failed"]:
                    bad(listener, c, "records %r, expected one "
                        "handshake_failed (no legacy_client)" % ev)
                else:
                    check_fields(listener, c, v, rs[0], "handshake_failed",
                                 {"reason": "closed"})
            elif listener == "audit" and off >= 0x0301:
                # Let in below the floor.
                shared = client & BELOW_FLOOR
                if shared:
                    st["audit_allowed"] += res == "server_hello"
                    if res != "server_hello":
                        bad(listener, c, "%s shares %d suites, got %s instead "
                            "of a ServerHello" % (c["offered_name"],
                            len(shared), res))
                    elif int(c.get("server_version") or "0", 16) != off:
                        bad(listener, c, "ServerHello selects %s, the client "
                            "offers %s" % (c.get("server_version"),
                            c["offered"]))
                    elif int(c.get("cipher") or "0", 16) not in shared:
                        bad(listener, c, "ServerHello selects suite %s"
                            % c.get("cipher"))
                    else:
                        check_cert(listener, c, shared,
                                   int(c["cipher"], 16))
                    reason = "closed"
                else:
                    st["no_shared"] += res == "alert:40"
                    if res != "alert:40":
                        bad(listener, c, "shares no suite, got %s instead of "
                            "alert 40" % res)
                    reason = "no_shared_cipher"
                if ev != ["legacy_client", "handshake_failed"]:
                    bad(listener, c, "records %r, expected legacy_client, "
                        "then handshake_failed" % ev)
                else:
                    st["recorded"] += 1
                    check_fields(listener, c, v, rs[0], "legacy_client",
                                 {"action": "allowed_audit"})
                    check_fields(listener, c, v, rs[1], "handshake_failed",
                                 {"reason": reason})
            else:
                # Refused: protocol_version (SSL 3.0: or handshake_failure;
                # pure SSLv2: any alert or a close).
                st["refused"] += res.startswith("alert:") or \
                    res in ("closed", "reset")
                st["ssl3"] += off <= 0x0300
                if off == 0x0002:
                    ok = res.startswith("alert:") or res in ("closed", "reset")
                elif off == 0x0300:
                    ok = res in ("alert:40", "alert:70")
                else:
                    ok = res == "alert:70"
                if not ok:
                    bad(listener, c, "offers %s, got %s" % (c["offered_name"],
                        res))
                elif res.startswith("alert:") and c.get("alert_level") != 2:
                    bad(listener, c, "alert level %r" % c.get("alert_level"))
                if c["after"] not in ("eof", "reset", "-"):
                    bad(listener, c, "after the alert, the server did not "
                        "close (%s)" % c["after"])
                if ev != ["legacy_client"]:
                    bad(listener, c, "records %r, expected one legacy_client"
                        % ev)
                else:
                    st["recorded"] += 1
                    check_fields(listener, c, v, rs[0], "legacy_client",
                                 {"action": "refused"})
            # The fragmented delivery against the whole one.
            leg = [r for r in rs if r["event"] == "legacy_client"]
            fp = (res, [(r.get("offered_max"), r.get("ja3_md5"),
                  r.get("ja4")) for r in leg])
            other = seen.get((listener, c["name"]))
            if other is None:
                seen[(listener, c["name"])] = (c["mode"], fp)
            elif other[1] != fp:
                bad(listener, c, "%s delivery: %r, %s: %r" % (other[0],
                    other[1], c["mode"], fp))
        st["mismatches"] += len(problems) > before

for key, rs in recs.items():
    if key not in used:
        for r in rs:
            problems.append("record on line %d matches no replayed "
                            "connection: %s port %s %s" % (r["_line"],
                            key[0], key[1], r.get("event")))

# The hand-built RC4-only hello.
ev = [(r.get("event"), r.get("action") or r.get("reason")) for r in synthetic]
if ev != [("legacy_client", "allowed_audit"),
          ("handshake_failed", "no_shared_cipher")]:
    problems.append("audit RC4-only hello: records %r, expected "
                    "legacy_client/allowed_audit, handshake_failed/"
                    "no_shared_cipher" % ev)

lines = []
for (listener, mode), st in sorted(stats.items(), key=lambda kv:
                                   (kv[0][0] != "enforce", kv[0][1] != "whole")):
    if listener == "enforce":
        lines.append("enforce/%s: refused %d, accepted %d, recorded %d, "
                     "mismatches %d" % (mode, st["refused"], st["accepted"],
                     st["recorded"], st["mismatches"]))
    else:
        lines.append("audit/%s: allowed with ServerHello %d, "
                     "no_shared_cipher %d, refused SSL3 %d, accepted >= "
                     "TLS1.2 %d, recorded %d, mismatches %d" % (mode,
                     st["audit_allowed"], st["no_shared"], st["ssl3"],
                     st["accepted"], st["recorded"], st["mismatches"]))
lines.append("legacy log: %d records; hand-built RC4-only hello on audit: %s"
             % (nrecs, " then ".join("/".join(map(str, e)) for e in ev)))
with open(summary, "w") as f:
    f.write("".join(l + "\n" for l in lines))
if problems:
    for p in problems[:60]:
        print(p)
    if len(problems) > 60:
        print("... and %d more" % (len(problems) - 60))
    sys.exit("%d problem(s)" % len(problems))
' "$VECTORS" "$WORK/enforce.jsonl" "$WORK/audit.jsonl" "$TF_LEGACY" \
    "$HOSTNAME_TF" "$WORK/summary" >"$WORK/check.out" 2>&1 || rc=$?
if [ -f "$WORK/summary" ]; then
	while IFS= read -r line; do
		note "$line"
	done <"$WORK/summary"
fi
if [ "$rc" -ne 0 ]; then
	cat "$WORK/check.out" >&2
	fail "replayed captures: see the problems above"
fi
exit 0
