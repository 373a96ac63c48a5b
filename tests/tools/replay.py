#!/usr/bin/python3
"""Replays the real ClientHellos of testssl.sh's client simulation.

Reads the captures from testssl.sh's client-simulation.txt (shell arrays
names[], short[], handshakebytes[] (hex), ...; 162 SSL Labs and Wireshark
captures in Debian's testssl.sh 3.0.8) and sends each one to HOST:PORT over
a fresh TCP connection, once per delivery mode, then classifies the server's
first answer.

Usage:
  replay.py --port PORT [--host 127.0.0.1] [--modes whole,fragmented]
            [--sni NAME] [--only REGEX] [--jobs N] [--timeout SECONDS]
            [--record-size K] [--file client-simulation.txt] [--list]

Delivery modes:
  whole       the hello as captured (one TCP write), apart from the SNI
              rewrite below.
  fragmented  the handshake message re-split into TLS records of 1..K bytes
              each (K = --record-size, default 16; the first record always
              splits the 4-byte handshake header), and the resulting byte
              stream written in TCP segments of 1..7 bytes with TCP_NODELAY
              and a short pause after each write, so that records and even
              record headers straddle segments. The sizes are drawn from a
              random generator seeded with the capture's name: a run is
              reproducible. An SSLv2-format hello cannot be split into
              records: only the TCP segmentation applies.

SNI: with --sni NAME, a capture that carries a server_name extension
(dev.ssllabs.com, www.ssllabs.com, or the site of a Wireshark capture) gets
NAME instead, with the extension, extensions, handshake and record lengths
rewritten; when the hello has a padding
extension (21) it is resized to keep the hello's total length. A capture
without SNI is sent without one. Without --sni the SNI stays as captured.
JA3 and JA4 do not depend on the SNI's value, so fingerprints of the
captures stay valid.

Prints one JSON object per line, per (capture, mode), in capture order:
  name, short        names[] and short[] of the capture
  mode               whole | fragmented
  result             server_hello      a handshake record whose first
                                       message is a ServerHello (type 2)
                     alert:N           an alert record, N its description
                     handshake:T       a handshake record starting with
                                       another message type T
                     closed            EOF before any byte
                     reset             the connection was reset before any
                                       byte
                     timeout           nothing within --timeout seconds
                     other:HEX         anything else (first bytes)
                     connect_error     no connection (see "error")
  client_port        the local TCP port of the connection (matches the
                     client_port of a legacy-log record)
  format             tls | sslv2
  offered            highest released version offered (0x0300..0x0304)
                     in the supported_versions extension when present
                     (TLS 1.3 drafts and GREASE passed over), else the
                     hello's version; 0x0002 for a pure SSLv2 hello; null
                     when there is none
  offered_name       SSL2.0 SSL3.0 TLS1.0 TLS1.1 TLS1.2 TLS1.3 (or null)
  sni                rewritten | captured | none
  records, segments  how many TLS records and TCP writes carried the hello
  bytes              the bytes sent
  server_version     the version the ServerHello selects (its
                     supported_versions extension, else its legacy_version),
                     only for server_hello
  cipher             the cipher suite the ServerHello selects
  hrr                true when the ServerHello is a HelloRetryRequest
  alert_level        only for alert:N
  after              what followed the first answer: eof (server closed),
                     reset, timeout, or "-" when the client closed first
  ms                 time from connect to the answer

After a ServerHello the client half-closes (FIN) and reads to EOF (bounded),
so the server sees a clean close in the middle of its handshake; after an
alert it also reads until the server closes (bounded). Every socket stays
open until the run ends, so no two connections of one run share a local
port and client_port identifies a connection. Exits 0 unless the captures
cannot be read (exit 2); results, even connect errors, are data.
"""

import argparse
import concurrent.futures
import json
import random
import re
import resource
import socket
import struct
import sys
import time

DEFAULT_FILE = "/etc/testssl/client-simulation.txt"

VERSION_NAMES = {0x0002: "SSL2.0", 0x0300: "SSL3.0", 0x0301: "TLS1.0",
                 0x0302: "TLS1.1", 0x0303: "TLS1.2", 0x0304: "TLS1.3"}
RELEASED = (0x0300, 0x0301, 0x0302, 0x0303, 0x0304)

EXT_SERVER_NAME = 0
EXT_PADDING = 21
EXT_SUPPORTED_VERSIONS = 43


class CaptureError(Exception):
    pass


# ---------------------------------------------------------------------------
# client-simulation.txt

LINE_RE = re.compile(r'^\s*([A-Za-z_][A-Za-z_0-9]*)\+=\((.*)\)\s*$')


def read_captures(path):
    """The captures as dicts, in file order. A capture starts at names+=."""
    caps = []
    cur = None
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for lineno, line in enumerate(f, 1):
            m = LINE_RE.match(line)
            if not m:
                continue
            key, val = m.groups()
            if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
                val = val[1:-1]
            if key == "names":
                cur = {"line": lineno}
                caps.append(cur)
            if cur is not None:
                cur[key] = val
    for c in caps:
        for k in ("names", "short", "handshakebytes"):
            if k not in c:
                raise CaptureError("%s:%d: capture without %s[]"
                                   % (path, c["line"], k))
    return caps


# ---------------------------------------------------------------------------
# ClientHello parsing and rewriting

def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


class Hello:
    """One captured hello: format, record version, handshake message."""

    def __init__(self, raw, name):
        self.name = name
        self.raw = raw
        if len(raw) >= 3 and raw[0] & 0x80 and raw[2] == 1:
            self.format = "sslv2"
            self.parse_sslv2()
        elif len(raw) >= 5 and raw[0] == 22:
            self.format = "tls"
            self.parse_tls()
        else:
            raise CaptureError("%s: neither a TLS handshake record nor an "
                               "SSLv2-format hello: %s" % (name, raw[:8].hex()))

    def bad(self, what):
        raise CaptureError("%s: %s" % (self.name, what))

    def parse_sslv2(self):
        raw = self.raw
        length = ((raw[0] & 0x7f) << 8) | raw[1]
        if length + 2 != len(raw):
            self.bad("SSLv2 record length %d, %d bytes" % (length, len(raw) - 2))
        self.version = struct.unpack("!H", raw[3:5])[0]
        self.exts = None

    def parse_tls(self):
        raw = self.raw
        msg = b""
        pos = 0
        self.record_version = struct.unpack("!H", raw[1:3])[0]
        while pos < len(raw):       # a capture could span several records
            if pos + 5 > len(raw) or raw[pos] != 22:
                self.bad("bad record at offset %d" % pos)
            n = struct.unpack("!H", raw[pos + 3:pos + 5])[0]
            if pos + 5 + n > len(raw):
                self.bad("truncated record at offset %d" % pos)
            msg += raw[pos + 5:pos + 5 + n]
            pos += 5 + n
        if len(msg) < 4 or msg[0] != 1:
            self.bad("the first handshake message is not a ClientHello")
        hl = int.from_bytes(msg[1:4], "big")
        if hl + 4 != len(msg):
            self.bad("handshake length %d, %d bytes" % (hl, len(msg) - 4))
        body = msg[4:]
        self.version = struct.unpack("!H", body[0:2])[0]
        p = 2 + 32
        p += 1 + body[p]                                   # session_id
        p += 2 + struct.unpack("!H", body[p:p + 2])[0]     # cipher_suites
        p += 1 + body[p]                                   # compression
        if p > len(body):
            self.bad("truncated ClientHello")
        self.fixed = body[:p]
        self.exts = None
        if p == len(body):
            return
        el = struct.unpack("!H", body[p:p + 2])[0]
        if p + 2 + el != len(body):
            self.bad("extensions length %d, %d bytes" % (el, len(body) - p - 2))
        self.exts = []
        e = p + 2
        while e < len(body):
            t, n = struct.unpack("!HH", body[e:e + 4])
            if e + 4 + n > len(body):
                self.bad("truncated extension %d" % t)
            self.exts.append([t, body[e + 4:e + 4 + n]])
            e += 4 + n

    def ext(self, kind):
        for t, data in self.exts or ():
            if t == kind:
                return data
        return None

    def offered(self):
        """Highest released version offered, or None."""
        if self.format == "sslv2":
            if self.version == 0x0002 or self.version in RELEASED:
                return self.version
            return None
        sv = self.ext(EXT_SUPPORTED_VERSIONS)
        if sv is not None and len(sv) >= 1:
            vs = [struct.unpack("!H", sv[1 + i:3 + i])[0]
                  for i in range(0, min(sv[0], len(sv) - 1) - 1, 2)]
            vs = [v for v in vs if v in RELEASED]
            return max(vs) if vs else None
        return self.version if self.version in RELEASED else None

    def has_sni(self):
        return self.ext(EXT_SERVER_NAME) is not None

    def set_sni(self, name):
        """Replaces the server_name list by one host_name NAME; resizes a
        padding extension to keep the total length when it can."""
        old = self.ext(EXT_SERVER_NAME)
        entry = b"\x00" + u16(len(name)) + name
        new = u16(len(entry)) + entry
        delta = len(new) - len(old)
        for e in self.exts:
            if e[0] == EXT_SERVER_NAME:
                e[1] = new
        pad = self.ext(EXT_PADDING)
        if pad is not None and delta and len(pad) - delta >= 0:
            for e in self.exts:
                if e[0] == EXT_PADDING:
                    e[1] = b"\x00" * (len(pad) - delta)

    def message(self):
        """The ClientHello handshake message (TLS format only)."""
        body = self.fixed
        if self.exts is not None:
            exts = b"".join(u16(t) + u16(len(d)) + d for t, d in self.exts)
            body += u16(len(exts)) + exts
        return b"\x01" + u24(len(body)) + body

    def record(self, payload):
        return b"\x16" + u16(self.record_version) + u16(len(payload)) + payload

    def whole(self):
        """The bytes to send whole: the capture, re-encoded as one record
        (identical to the capture unless the SNI was rewritten)."""
        if self.format == "sslv2":
            return self.raw, 1
        return self.record(self.message()), 1

    def fragmented(self, rng, k):
        """The handshake message in records of 1..k bytes."""
        if self.format == "sslv2":
            return self.raw, 1
        msg = self.message()
        out = []
        pos = 0
        first = True
        while pos < len(msg):
            if first:
                n = rng.randint(1, 3)   # split the handshake header
                first = False
            else:
                n = rng.randint(1, k)
            out.append(self.record(msg[pos:pos + n]))
            pos += n
        return b"".join(out), len(out)


# ---------------------------------------------------------------------------
# The network side

def read_exact(sock, n):
    data = b""
    while len(data) < n:
        piece = sock.recv(n - len(data))
        if not piece:
            break
        data += piece
    return data


def drain(sock, seconds):
    """Reads until EOF, bounded: eof, reset or timeout."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return "timeout"
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return "eof"
        except socket.timeout:
            return "timeout"
        except ConnectionResetError:
            return "reset"
        except OSError:
            return "reset"


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891"
                           "c2a211167abb8c5e079e09e2c8a8339c")


def server_hello_fields(msg, out):
    """Version, cipher suite and HelloRetryRequest flag of a ServerHello
    message (as much as the bytes hold)."""
    body = msg[4:]
    if len(body) < 2 + 32 + 1:
        return
    legacy = struct.unpack("!H", body[0:2])[0]
    out["server_version"] = "0x%04x" % legacy
    if body[2:34] == HRR_RANDOM:
        out["hrr"] = True
    p = 34
    p += 1 + body[p]
    if p + 3 > len(body):
        return
    out["cipher"] = "0x%04x" % struct.unpack("!H", body[p:p + 2])[0]
    p += 3
    if p + 2 > len(body):
        return
    end = min(len(body), p + 2 + struct.unpack("!H", body[p:p + 2])[0])
    p += 2
    while p + 4 <= end:
        t, n = struct.unpack("!HH", body[p:p + 4])
        if t == EXT_SUPPORTED_VERSIONS and n == 2 and p + 6 <= end:
            out["server_version"] = "0x%04x" % struct.unpack(
                "!H", body[p + 4:p + 6])[0]
        p += 4 + n


def classify(sock, out):
    try:
        head = read_exact(sock, 5)
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    if not head:
        return "closed"
    if len(head) < 5 or head[0] not in (21, 22):
        return "other:" + head.hex()
    kind, version, length = struct.unpack("!BHH", head)
    try:
        body = read_exact(sock, min(length, 2 if kind == 21 else 16384))
    except (socket.timeout, ConnectionResetError):
        body = b""
    if kind == 21:
        if len(body) < 2:
            return "other:" + (head + body).hex()
        out["alert_level"] = body[0]
        return "alert:%d" % body[1]
    if len(body) < 1:
        return "other:" + head.hex()
    if body[0] != 2:
        return "handshake:%d" % body[0]
    server_hello_fields(body, out)
    return "server_hello"


def replay_one(args, cap, hello, mode, keep):
    out = {"name": cap["names"], "short": cap["short"], "mode": mode,
           "result": None, "client_port": None, "format": hello.format}
    off = hello.offered()
    out["offered"] = None if off is None else "0x%04x" % off
    out["offered_name"] = VERSION_NAMES.get(off)
    out["sni"] = hello.sni_state
    rng = random.Random("%s/%s" % (cap["names"], mode))
    if mode == "whole":
        data, nrec = hello.whole()
        segments = [data]
    else:
        data, nrec = hello.fragmented(rng, args.record_size)
        segments = []
        pos = 0
        while pos < len(data):
            n = rng.randint(1, 7)
            segments.append(data[pos:pos + n])
            pos += n
    out["records"] = nrec
    out["segments"] = len(segments)
    out["bytes"] = len(data)

    t0 = time.monotonic()
    # bind() before connect(): bind picks a port no socket of this host
    # holds, so a connection's port names it alone in the records (connect
    # alone may reuse a port towards another address).
    sock = socket.socket(socket.AF_INET6 if ":" in args.host
                         else socket.AF_INET)
    try:
        sock.settimeout(args.timeout)
        sock.bind((args.host, 0))
        sock.connect((args.host, args.port))
    except OSError as e:
        sock.close()
        out["result"] = "connect_error"
        out["error"] = str(e)
        return out
    keep.append(sock)   # closed at the end of the run: its port stays ours
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out["client_port"] = sock.getsockname()[1]
    try:
        for i, seg in enumerate(segments):
            sock.sendall(seg)
            if len(segments) > 1 and i + 1 < len(segments):
                time.sleep(args.pause)
    except OSError as e:
        # The server may answer (and close) before the last segment.
        out["send_error"] = e.__class__.__name__
    sock.settimeout(args.timeout)
    out["result"] = classify(sock, out)
    out["ms"] = int((time.monotonic() - t0) * 1000)
    if out["result"] == "server_hello":
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out["after"] = drain(sock, args.drain)
    elif out["result"].startswith("alert:") or \
            out["result"].startswith("other:") or \
            out["result"].startswith("handshake:"):
        out["after"] = drain(sock, args.drain)
    else:
        out["after"] = "-"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--file", default=DEFAULT_FILE)
    ap.add_argument("--modes", default="whole,fragmented")
    ap.add_argument("--sni")
    ap.add_argument("--only", help="regex over names[] (re.search)")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--drain", type=float, default=3.0,
                    help="seconds to wait for the server's close")
    ap.add_argument("--record-size", type=int, default=16)
    ap.add_argument("--pause", type=float, default=0.001,
                    help="seconds between TCP writes (fragmented)")
    ap.add_argument("--list", action="store_true",
                    help="print the captures (no network)")
    args = ap.parse_args()

    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in ("whole", "fragmented"):
            ap.error("unknown mode %r" % m)
    if not 1 <= args.record_size <= 16384:
        ap.error("--record-size must be 1..16384")
    args.jobs = max(1, min(args.jobs, 16))
    if args.port is None and not args.list:
        ap.error("--port is required")

    try:
        caps = read_captures(args.file)
        work = []
        for cap in caps:
            if args.only and not re.search(args.only, cap["names"]):
                continue
            hello = Hello(bytes.fromhex(cap["handshakebytes"]), cap["names"])
            if hello.format != "tls" or not hello.has_sni():
                hello.sni_state = "none"
            elif args.sni is not None:
                hello.set_sni(args.sni.encode("utf-8", "surrogateescape"))
                hello.sni_state = "rewritten"
            else:
                hello.sni_state = "captured"
            if hello.sni_state != "rewritten" and \
                    hello.whole()[0] != hello.raw and \
                    len(hello.message()) + 5 == len(hello.raw):
                raise CaptureError("%s: re-encoding changed the hello"
                                   % cap["names"])
            work.append((cap, hello))
    except (OSError, ValueError, CaptureError) as e:
        print("replay.py: %s" % e, file=sys.stderr)
        return 2

    if args.list:
        for cap, hello in work:
            off = hello.offered()
            print(json.dumps({"name": cap["names"], "short": cap["short"],
                              "format": hello.format,
                              "offered": None if off is None else "0x%04x" % off,
                              "offered_name": VERSION_NAMES.get(off),
                              "sni": hello.sni_state}))
        return 0

    tasks = [(cap, hello, m) for cap, hello in work for m in modes]
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = len(tasks) + 64
        if soft != resource.RLIM_INFINITY and soft < want:
            if hard != resource.RLIM_INFINITY and hard < want:
                print("replay.py: %d connections need %d descriptors, the "
                      "limit is %d" % (len(tasks), want, hard),
                      file=sys.stderr)
                return 2
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (OSError, ValueError) as e:
        print("replay.py: RLIMIT_NOFILE: %s" % e, file=sys.stderr)
        return 2
    keep = []     # list.append is atomic: no lock needed
    try:
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=args.jobs) as ex:
            futs = [ex.submit(replay_one, args, cap, hello, m, keep)
                    for cap, hello, m in tasks]
            for f in futs:
                print(json.dumps(f.result()), flush=True)
    finally:
        for sock in keep:
            sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
