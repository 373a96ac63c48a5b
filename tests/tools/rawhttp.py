#!/usr/bin/python3
"""Speaks raw HTTP/1.1 (and WebSocket) over TLS to the gateway, byte-exact.

For tests that need requests no ordinary client sends (smuggling attempts,
malformed heads, slowloris), exact control of when bytes go out (Expect:
100-continue, pipelining, pauses inside a body), a reader that pauses, or
a WebSocket conversation. Python 3 standard library only.

Usage:
  rawhttp.py --port PORT --ca CA.pem [--host 127.0.0.1]
             [--sni mail.contoso.test | --no-sni] [--timeout SECONDS]
             [-v] STEP...
  rawhttp.py --pattern-sha256 N      sha256 of N bytes of the pattern

One TLS connection (ALPN http/1.1) runs the steps in order:
  send:TEXT        send TEXT's bytes; Python escapes (\\r \\n \\t \\xNN \\\\)
  hex:HEX          send these bytes
  drip:MS          from now on, send byte by byte with MS ms between bytes,
                   watching for the peer's close meanwhile (drip:0: off)
  pause:MS         sleep
  body:N           send the next N bytes of the pattern (byte i of all
                   body:N steps so far is i % 251), in 256 KiB writes
  chunked:N[:SIZE[:x|m]]  send N pattern bytes as a chunked body, SIZE-byte
                   chunks (default 65536), then the last chunk and an empty
                   trailer; with x: a chunk extension on each chunk and a
                   trailer field; with m: two extensions with token values
                   on each chunk (;a=N;b=c) and a trailer field
  readpace:B:MS    while reading bodies, sleep MS ms after every B bytes
  timeout:SECONDS  read (and send) timeout for the following steps
  resp             read one response, framed by RFC 9112: 1xx and 101 are
                   heads alone, then Transfer-Encoding chunked, or
                   Content-Length, or to the close; 204/304 have no body
  headresp         read one response to a HEAD (a head alone)
  rest[:SECONDS]   read until the peer closes (what arrives is kept as
                   "extra"), or the timeout
  ws:PATH          WebSocket opening handshake (GET PATH, Upgrade:
                   websocket, a random key); checks 101 and the accept value
  wstext:TEXT      send a masked text frame (TEXT with Python escapes)
  wsbin:N          send a masked binary frame of N pseudo-random bytes
  wsfrag:A|B|C     send one text message as fragments A, B, C (masked)
  wsping:TEXT      send a masked ping
  wsclose:CODE     send a masked close frame with CODE
  wsrecv           read one frame

Prints one JSON object on stdout, whatever happened:
  responses   [{status, reason, version, head, headers [[name, value]],
                framing (none|length|chunked|close), complete, body_len,
                body_sha256, body (its first 4096 bytes, latin-1), trailers,
                chunks, t}]     t: seconds since the TLS handshake completed
  bodies      [{len, sha256}] what each body/chunked step sent
  ws_sent, ws_recv  [{opcode, fin, len, sha256, text, masked}] frames
  ws_accept_ok  the 101's Sec-WebSocket-Accept matched (ws step)
  end         open (all steps ran, the connection is still up), closed
              (the peer closed: EOF, close_notify or reset), timeout (a
              read waited --timeout for nothing), or error
  t_end       when the end was seen (seconds since the handshake)
  send_error  why a send failed (the peer had closed), or null; a
              response the peer sent before closing is still read then
  extra       bytes read by rest (latin-1, first 4096), extra_len
  steps_done  the number of steps that ran to completion
  tls, alpn   the client leg's TLS version and ALPN
Exits 0, or 1 when it cannot connect or the TLS handshake fails (the JSON
then has connect_error).
"""

import argparse
import base64
import codecs
import hashlib
import json
import os
import random
import re
import select
import socket
import ssl
import struct
import sys
import time

PATTERN_MOD = 251
WRITE = 256 * 1024
PATTERN = bytes(range(PATTERN_MOD)) * (WRITE // PATTERN_MOD + 2)
KEEP = 4096
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B57"
HEAD_MAX = 1 << 20


class Closed(Exception):
    pass


class Timeout(Exception):
    pass


def pattern(offset, n):
    phase = offset % PATTERN_MOD
    return memoryview(PATTERN)[phase:phase + n]


def pattern_sha256(n):
    h = hashlib.sha256()
    off = 0
    while off < n:
        k = min(WRITE, n - off)
        h.update(pattern(off, k))
        off += k
    return h.hexdigest()


def unescape(text):
    return codecs.escape_decode(text.encode("utf-8"))[0]


def mask_bytes(data, key):
    n = len(data)
    if n == 0:
        return data
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^
            int.from_bytes(k, "big")).to_bytes(n, "big")


class Session:
    def __init__(self, sock, timeout, verbose):
        self.sock = sock
        self.timeout = timeout
        self.verbose = verbose
        self.buf = bytearray()
        self.eof = False
        self.t0 = time.monotonic()
        self.drip_ms = 0
        self.pace = None
        self.body_off = 0
        self.out = {
            "responses": [], "bodies": [], "ws_sent": [], "ws_recv": [],
            "end": "open", "t_end": None, "send_error": None,
            "extra": "", "extra_len": 0, "steps_done": 0,
            "tls": sock.version(), "alpn": sock.selected_alpn_protocol(),
        }
        self.ws_rng = random.Random(6455)

    def now(self):
        return round(time.monotonic() - self.t0, 3)

    def say(self, msg):
        if self.verbose:
            sys.stderr.write("rawhttp %7.3f %s\n" % (self.now(), msg))

    def mark_closed(self, why="closed"):
        if not self.eof:
            self.eof = True
            self.say("peer closed (%s)" % why)
        if self.out["t_end"] is None:
            self.out["t_end"] = self.now()

    # -- reading -------------------------------------------------------------

    def fill(self, timeout=None):
        """Reads more into buf. Raises Closed at EOF, Timeout."""
        if self.eof:
            raise Closed()
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(WRITE)
        except socket.timeout:
            raise Timeout()
        except (ConnectionError, ssl.SSLError, OSError) as e:
            self.mark_closed(str(e))
            raise Closed()
        if not data:
            self.mark_closed()
            raise Closed()
        self.buf += data

    def take(self, n):
        """Removes and returns the first n bytes of buf."""
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_line(self, limit=65536):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                return self.take(i + 1)
            if len(self.buf) > limit:
                raise ValueError("line longer than %d bytes" % limit)
            self.fill()

    def read_head(self):
        while True:
            m = re.search(rb"\r?\n\r?\n", self.buf)
            if m:
                return self.take(m.end())
            if len(self.buf) > HEAD_MAX:
                raise ValueError("response head over %d bytes" % HEAD_MAX)
            self.fill()

    def body_bytes(self, n, sink):
        """Passes up to n body bytes to sink (n None: to the close)."""
        got = 0
        since_pause = 0
        while n is None or got < n:
            if not self.buf:
                try:
                    self.fill()
                except Closed:
                    if n is None:
                        return got
                    raise
            k = len(self.buf) if n is None else min(len(self.buf), n - got)
            sink(self.take(k))
            got += k
            if self.pace:
                since_pause += k
                if since_pause >= self.pace[0]:
                    since_pause = 0
                    time.sleep(self.pace[1] / 1000.0)
        return got

    def read_response(self, is_head=False):
        head = self.read_head()
        text = head.decode("latin-1")
        lines = [l.rstrip("\r") for l in text.split("\n")]
        status_line = lines[0]
        parts = status_line.split(" ", 2)
        rec = {"head": text, "status": None, "reason": "", "version": "",
               "headers": [], "framing": "none", "complete": True,
               "body_len": 0, "body_sha256": hashlib.sha256().hexdigest(),
               "body": "", "trailers": [], "chunks": 0}
        self.out["responses"].append(rec)
        if len(parts) >= 2 and parts[1].isdigit():
            rec["version"], rec["status"] = parts[0], int(parts[1])
            rec["reason"] = parts[2] if len(parts) > 2 else ""
        for line in lines[1:]:
            if line and ":" in line:
                k, v = line.split(":", 1)
                rec["headers"].append([k, v.strip()])
        self.say("< %s" % status_line)
        status = rec["status"] or 0
        hdr = {}
        for k, v in rec["headers"]:
            hdr.setdefault(k.lower(), []).append(v)
        h = hashlib.sha256()
        keep = bytearray()
        total = [0]

        def sink(data):
            h.update(data)
            total[0] += len(data)
            if len(keep) < KEEP:
                keep.extend(data[:KEEP - len(keep)])

        try:
            if 100 <= status < 200 or is_head or status in (204, 304):
                pass
            elif "transfer-encoding" in hdr:
                codings = [c.strip().lower() for v in hdr["transfer-encoding"]
                           for c in v.split(",")]
                if codings and codings[-1] == "chunked":
                    rec["framing"] = "chunked"
                    self.read_chunked(rec, sink)
                else:
                    rec["framing"] = "close"
                    self.body_bytes(None, sink)
            elif "content-length" in hdr:
                rec["framing"] = "length"
                n = int(hdr["content-length"][0])
                self.body_bytes(n, sink)
            else:
                rec["framing"] = "close"
                self.body_bytes(None, sink)
        except Closed:
            rec["complete"] = False
            raise
        finally:
            rec["body_len"] = total[0]
            rec["body_sha256"] = h.hexdigest()
            rec["body"] = bytes(keep).decode("latin-1")
            rec["t"] = self.now()
            if rec["framing"] != "none":
                self.say("  body %d bytes (%s)%s" % (
                    total[0], rec["framing"],
                    "" if rec["complete"] else ", cut short"))
        return rec

    def read_chunked(self, rec, sink):
        while True:
            line = self.read_line()
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            rec["chunks"] += 1
            self.body_bytes(size, sink)
            crlf = self.read_line(4)
            if crlf.strip():
                raise ValueError("chunk data not followed by CRLF")
        while True:
            line = self.read_line()
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("latin-1").partition(":")
            rec["trailers"].append([k, v.strip()])

    # -- sending -------------------------------------------------------------

    def send(self, data):
        if self.drip_ms > 0:
            for i in range(len(data)):
                self._send(data[i:i + 1])
                self.watch(self.drip_ms / 1000.0)
            return
        view = memoryview(data)
        for off in range(0, len(data), WRITE):
            self._send(view[off:off + WRITE])

    def _send(self, data):
        if self.eof:
            raise Closed()
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            self.out["send_error"] = "send timed out"
            raise Timeout()
        except (ConnectionError, ssl.SSLError, OSError) as e:
            # What the peer sent before it closed may still be readable:
            # main() looks for a last response.
            self.out["send_error"] = str(e) or e.__class__.__name__
            if self.out["t_end"] is None:
                self.out["t_end"] = self.now()
            self.say("send failed: %s" % self.out["send_error"])
            raise Closed()

    def watch(self, seconds):
        """Waits, noticing whatever the peer sends or its close."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if self.sock.pending() == 0:
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    return
            try:
                self.fill(timeout=max(left, 0.01))
            except Timeout:
                return
            except Closed:
                self.out["send_error"] = "peer closed while sending"
                raise

    def send_body(self, n):
        h = hashlib.sha256()
        left = n
        while left > 0:
            k = min(WRITE, left)
            piece = pattern(self.body_off, k)
            h.update(piece)
            self.send(piece)
            self.body_off += k
            left -= k
        self.out["bodies"].append({"len": n, "sha256": h.hexdigest()})

    def send_chunked(self, n, size, fancy):
        h = hashlib.sha256()
        left = n
        i = 0
        while left > 0:
            k = min(size, left)
            piece = bytes(pattern(self.body_off, k))
            h.update(piece)
            ext = {"x": b";ext=%d" % i,
                   "m": b";a=%d;b=c" % i}.get(fancy, b"")
            self.send(b"%x%s\r\n" % (k, ext) + piece + b"\r\n")
            self.body_off += k
            left -= k
            i += 1
        if fancy:
            self.send(b"0;last=1\r\nX-Client-Trailer: %s\r\n\r\n"
                      % h.hexdigest().encode())
        else:
            self.send(b"0\r\n\r\n")
        self.out["bodies"].append({"len": n, "sha256": h.hexdigest()})

    # -- WebSocket -----------------------------------------------------------

    def ws_handshake(self, path, host):
        key = base64.b64encode(os.urandom(16))
        self.send(b"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                  b"Sec-WebSocket-Version: 13\r\n"
                  b"Origin: https://%s\r\n\r\n"
                  % (path.encode(), host.encode(), key, host.encode()))
        rec = self.read_response()
        want = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        got = [v for k, v in rec["headers"]
               if k.lower() == "sec-websocket-accept"]
        self.out["ws_accept_ok"] = (rec["status"] == 101 and
                                    got == [want.decode()])

    def ws_send(self, opcode, payload, fin=True):
        key = bytes(self.ws_rng.getrandbits(8) for _ in range(4))
        n = len(payload)
        b0 = (0x80 if fin else 0) | opcode
        if n < 126:
            head = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", b0, 0x80 | 127, n)
        self.send(head + key + mask_bytes(payload, key))
        self.out["ws_sent"].append(self.frame_rec(opcode, fin, payload, True))

    @staticmethod
    def frame_rec(opcode, fin, payload, masked):
        text = None
        if opcode in (0x0, 0x1, 0x8, 0x9, 0xA) and len(payload) <= 1024:
            text = payload.decode("latin-1")
        return {"opcode": opcode, "fin": bool(fin), "len": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(), "text": text,
                "masked": masked}

    def ws_need(self, n):
        while len(self.buf) < n:
            self.fill()
        return self.take(n)

    def ws_recv(self):
        b0, b1 = self.ws_need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.ws_need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.ws_need(8))[0]
        key = self.ws_need(4) if b1 & 0x80 else None
        payload = self.ws_need(n) if n else b""
        if key:
            payload = mask_bytes(payload, key)
        rec = self.frame_rec(b0 & 0x0F, b0 & 0x80, payload, key is not None)
        self.out["ws_recv"].append(rec)
        self.say("< ws frame opcode %d len %d" % (rec["opcode"], n))

    # -- steps ---------------------------------------------------------------

    def run(self, steps, host):
        for step in steps:
            name, _, arg = step.partition(":")
            self.say("step %s" % step[:60])
            if name == "send":
                self.send(unescape(arg))
            elif name == "hex":
                self.send(bytes.fromhex(arg))
            elif name == "drip":
                self.drip_ms = int(arg)
            elif name == "pause":
                if self.eof:
                    raise Closed()
                time.sleep(int(arg) / 1000.0)
            elif name == "body":
                self.send_body(int(arg))
            elif name == "chunked":
                a = arg.split(":")
                self.send_chunked(int(a[0]), int(a[1]) if len(a) > 1 else
                                  65536, a[2] if len(a) > 2 else "")
            elif name == "readpace":
                b, ms = arg.split(":")
                self.pace = (int(b), int(ms))
            elif name == "timeout":
                self.timeout = float(arg)
            elif name == "resp":
                self.read_response()
            elif name == "headresp":
                self.read_response(is_head=True)
            elif name == "rest":
                self.rest(float(arg) if arg else self.timeout)
            elif name == "ws":
                self.ws_handshake(arg, host)
            elif name == "wstext":
                self.ws_send(0x1, unescape(arg))
            elif name == "wsbin":
                rng = random.Random(int(arg))
                self.ws_send(0x2, rng.randbytes(int(arg)))
            elif name == "wsfrag":
                parts = arg.split("|")
                for i, p in enumerate(parts):
                    self.ws_send(0x1 if i == 0 else 0x0, unescape(p),
                                 fin=i == len(parts) - 1)
            elif name == "wsping":
                self.ws_send(0x9, unescape(arg))
            elif name == "wsclose":
                self.ws_send(0x8, struct.pack("!H", int(arg)))
            elif name == "wsrecv":
                self.ws_recv()
            else:
                raise ValueError("unknown step %r" % step)
            self.out["steps_done"] += 1

    def rest(self, seconds):
        extra = bytearray()
        end = time.monotonic() + seconds
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise Timeout()
                if not self.buf:
                    self.fill(timeout=left)
                extra += self.take(len(self.buf))
        finally:
            self.out["extra_len"] += len(extra)
            if len(self.out["extra"]) < KEEP:
                self.out["extra"] += bytes(extra[:KEEP]).decode("latin-1")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--ca")
    ap.add_argument("--sni", default="mail.contoso.test")
    ap.add_argument("--no-sni", action="store_true")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--pattern-sha256", type=int, metavar="N")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("steps", nargs="*")
    args = ap.parse_args()

    if args.pattern_sha256 is not None:
        print(pattern_sha256(args.pattern_sha256))
        return 0
    if args.port is None or args.ca is None:
        ap.error("--port and --ca are required")

    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.set_alpn_protocols(["http/1.1"])
    sni = None if args.no_sni else args.sni
    if sni is None:
        ctx.check_hostname = False
    try:
        raw = socket.create_connection((args.host, args.port),
                                       timeout=args.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = ctx.wrap_socket(raw, server_hostname=sni)
    except (OSError, ssl.SSLError) as e:
        print(json.dumps({"connect_error": str(e), "end": "error"}))
        return 1

    s = Session(sock, args.timeout, args.verbose)
    try:
        s.run(args.steps, args.sni)
        if s.eof:
            s.out["end"] = "closed"
    except Closed:
        if not s.eof and s.out["send_error"]:
            # A send failed: a response the peer sent before closing (an
            # error status, say) may be waiting.
            try:
                s.timeout = min(s.timeout, 2.0)
                s.read_response()
            except (Closed, Timeout, ValueError):
                pass
        s.mark_closed()
        s.out["end"] = "closed"
    except Timeout:
        s.out["end"] = "timeout"
        s.out["t_end"] = s.now()
    except (ValueError, struct.error) as e:
        s.out["end"] = "error"
        s.out["error"] = "%s: %s" % (e.__class__.__name__, e)
        s.out["t_end"] = s.now()
    s.say("end: %s" % s.out["end"])
    try:
        sock.close()
    except OSError:
        pass
    print(json.dumps(s.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
