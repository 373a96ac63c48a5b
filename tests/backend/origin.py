#!/usr/bin/python3
"""A local HTTPS/1.1 origin standing in for Office 365 in tlsfloor's tests.

Python 3 standard library only. One thread per connection, keep-alive,
TLS 1.2 minimum (or --min-tls 1.3), ALPN http/1.1. It counts TCP
connections, completed TLS handshakes and requests, and remembers per
connection the negotiated TLS version and the SNI it was sent.

Usage:
  origin.py --cert PEM --key KEY --listen 127.0.0.1:0 --port-file FILE
            [--min-tls 1.2|1.3] [--rcvbuf BYTES]

The bound port is written to --port-file (tmp + rename) once listening.

Endpoints (any method unless noted):
  /echo...          200 JSON: method, path, http_version, headers (list of
                    [name, value] as received), tls_version, sni, alpn,
                    conn_id, request_no, body_len, body_sha256
  GET /bytes/N      N bytes of (i % 251), streamed in 64 KiB pieces, with
                    Content-Length and X-Sha256
  POST|PUT /sha256  200 JSON {"len": N, "sha256": "..."} of the body
  GET /stats        200 JSON {"handshakes", "connections", "requests",
                    "closed_unanswered" (see /close-next)}
  GET /slow/MS      waits MS milliseconds, then 200 "slow done"
  GET /status/CODE  that status, small body (none for 1xx, 204, 304)

For the HTTP framing, timeout and WebSocket tests:
  /head             200 text with Content-Length and X-Head-Test; HEAD
                    gets the same head and no body
  /chunked/N[?size=S][&ext=multi]  N pattern bytes in a chunked response:
                    chunks of varying sizes around S (default 65536), hex
                    sizes in mixed case with leading zeros, chunk extensions
                    (;ext=1, ;name="quoted; value", ;flag, ;a;b=2; with
                    ext=multi, several with token values: ;a=1;b=2,
                    ;x=y;flag, ;p=1;q=2;r=3, ...), then the trailers
                    X-Trailer-Sha256 and X-Trailer-Len (announced in
                    Trailer); X-Sha256 in the head. HEAD: head only.
  /nolength/N       N pattern bytes with neither Content-Length nor
                    Transfer-Encoding (HTTP/1.1), then the connection closes
  /stream/N?pause=MS&piece=B  N pattern bytes with Content-Length, written
                    in pieces of B bytes (default N/4) with MS ms (default
                    1000) between them: a response that keeps moving slowly
  /expect[/ok]      honours "Expect: 100-continue": 100 Continue is sent
                    (by the request parser, as for every other path), then
                    the body is read; 200 JSON method, expect,
                    continue_sent, len, sha256
  /expect/417       417 at once, without 100 and without reading the body,
  /expect/401       or 401 (with WWW-Authenticate); Connection: close
  /malformed/KIND   an invalid response, then close; KIND in MALFORMED
                    below (bad status line, bad chunk size, CL and TE, a
                    head over 1 MiB, ...), or "truncated": a valid head
                    with Content-Length 100, then 10 bytes and the close
  /early/CODE[?delay=MS&size=N&hold=MS]  CODE after delay ms (default 0)
                    with Connection: close and a body of N pattern bytes
                    (default: a line), never reading the request body; the
                    connection then stays open, unread, for hold ms
                    (default 2000) before it closes: a gateway still
                    uploading has its writes stuck
  /close-next       200, keep-alive; the next request on the connection is
                    read and never answered: the connection closes (as an
                    origin closing an idle connection just as it is reused)
  /silent           reads the request, never answers; returns when the
                    peer closes (or after 600 s)
  /ws               WebSocket (RFC 6455): 101 with Sec-WebSocket-Accept,
                    then echoes every data frame (text, binary, fragments as
                    they come) with the client's opcode, answers ping with
                    pong, and a close frame with a close frame (then ends).
                    Client frames must be masked (else close 1002).
  GET /log[?since=N] JSON {"total": T, "requests": [...]}: every request
                    line that reached the origin, parsed or not, numbered
                    from 1 (n, conn, method, path, line, ok); since=N
                    lists those after number N; "by_path" counts the listed
                    ones per path (query left out). /log requests are in
                    it too.
  /auth[?close=1|?close-after=MS]
                    connection-bound authentication, as NTLM and Negotiate
                    do it: "Authorization: SCHEME hello" gets 401 with
                    "WWW-Authenticate: SCHEME CHALLENGE" made for this
                    connection; "SCHEME answer-CHALLENGE-USER" on the same
                    connection makes it USER's, and then any request to
                    /auth on it gets 200 {"user", "conn_id"}; otherwise
                    401 offering both schemes; once authenticated,
                    ?close=1 answers with "Connection: close" and
                    ?close-after ends the connection MS after the answer

Any method works on every path (RPC_IN_DATA, RPC_OUT_DATA, PROPFIND, ...);
/echo reports the method, body length and sha256.

Request bodies may use Content-Length or chunked encoding. One log line
per request (and per failed handshake) goes to stderr.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

PIECE = 64 * 1024
PATTERN_MOD = 251
# Enough of the pattern to slice a PIECE starting at any phase.
PATTERN = bytes(range(PATTERN_MOD)) * (PIECE // PATTERN_MOD + 2)
MAX_BYTES = 1 << 40

STATS_LOCK = threading.Lock()
STATS = {"handshakes": 0, "connections": 0, "requests": 0,
         "closed_unanswered": 0, "auth_challenges": 0, "auth_ok": 0,
         "auth_bad_challenge": 0}
SHA_CACHE = {}
REQLOG = []          # every request line that arrived (see /log)
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B57"

# /malformed/KIND: response bytes no HTTP/1.1 recipient may accept as they
# are. Each is sent, then the connection closes.
MALFORMED = {
    # status line
    "status": b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok",
    "version": b"HTTQ/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "garbage": b"\x00\x01\x02 this is not HTTP\r\n\r\n",
    # framing
    "chunksize": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"zz\r\nhello\r\n0\r\n\r\n",
    "chunkovf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"10000000000000005\r\nhello\r\n0\r\n\r\n",
    "clte": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "cl2": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n"
           b"\r\nhello!!",
    "badcl": b"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello",
    "negcl": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
    # header syntax
    "headername": b"HTTP/1.1 200 OK\r\nBad Header: x\r\n"
                  b"Content-Length: 5\r\n\r\nhello",
    "spacecolon": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
    "nul": b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 5\r\n"
           b"\r\nhello",
    # the head ends before its blank line
    "cuthead": b"HTTP/1.1 200 OK\r\nContent-Le",
    # larger than any max-header-size (64k by default, 1m at most)
    "bighead": b"HTTP/1.1 200 OK\r\n" +
               b"".join(b"X-Big-%04d: %s\r\n" % (i, b"b" * 1000)
                        for i in range(1100)) +
               b"Content-Length: 2\r\n\r\nok",
    # 101 to a request that asked for no upgrade
    "unasked101": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\n\r\n",
}
# Valid heads whose body is cut short by the close (not a 502 case: the
# head may already have gone on).
TRUNCATED = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"


def count(name):
    with STATS_LOCK:
        STATS[name] += 1
        return STATS[name]


def log(msg):
    stamp = time.strftime("%H:%M:%S", time.gmtime())
    sys.stderr.write("origin %s %s\n" % (stamp, msg))
    sys.stderr.flush()


def pattern_piece(offset, n):
    phase = offset % PATTERN_MOD
    return PATTERN[phase:phase + n]


def pattern_sha256(n):
    with STATS_LOCK:
        if n in SHA_CACHE:
            return SHA_CACHE[n]
    h = hashlib.sha256()
    off = 0
    while off < n:
        k = min(PIECE, n - off)
        h.update(pattern_piece(off, k))
        off += k
    digest = h.hexdigest()
    with STATS_LOCK:
        SHA_CACHE[n] = digest
    return digest


def ws_unmask(data, mask):
    """XORs data with the 4-byte WebSocket masking key."""
    n = len(data)
    if n == 0:
        return data
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^
            int.from_bytes(key, "big")).to_bytes(n, "big")


class BadRequest(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tlsfloor-test-origin"
    timeout = 600  # idle keep-alive connections do not live forever

    def version_string(self):
        return self.server_version

    # -- connection --------------------------------------------------------

    def setup(self):
        super().setup()
        conn = self.request
        self.conn_id = conn.tf_conn_id
        self.tls_version = conn.version()
        self.alpn = conn.selected_alpn_protocol()
        self.sni = getattr(conn, "tf_sni", None)
        self.request_no = 0
        self.close_next = False
        self.auth_challenge = None   # /auth: the challenge sent here
        self.auth_user = None        # /auth: who this connection is

    # Any method, including Exchange's RPC_IN_DATA/RPC_OUT_DATA.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    # -- request log and Expect ---------------------------------------------

    def parse_request(self):
        """Parses as the base class does, and logs every request line that
        arrived, parsed or not (see /log)."""
        self.continue_sent = False
        self.expect = None
        ok = super().parse_request()
        line = self.raw_requestline.decode("latin-1").rstrip("\r\n")
        words = line.split()
        entry = {
            "conn": self.conn_id,
            "method": words[0] if words else "",
            "path": words[1] if len(words) > 1 else "",
            "line": line[:300],
            "ok": bool(ok),
        }
        with STATS_LOCK:
            REQLOG.append(entry)
            entry["n"] = len(REQLOG)
        return ok

    def handle_expect_100(self):
        """Called by parse_request for "Expect: 100-continue" on HTTP/1.1.
        The refusing /expect variants answer at once instead."""
        self.expect = self.headers.get("Expect")
        path = self.path.split("?", 1)[0]
        if path in ("/expect/417", "/expect/401"):
            return True
        self.continue_sent = True
        return super().handle_expect_100()

    # -- bodies ------------------------------------------------------------

    def body_chunks(self):
        """Yields the request body in pieces (Content-Length or chunked)."""
        te = self.headers.get("Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if te is not None:
            if te.strip().lower() != "chunked":
                raise BadRequest("unsupported Transfer-Encoding %r" % te)
            yield from self.chunked_body()
            return
        if cl is None:
            return
        try:
            left = int(cl.strip())
        except ValueError:
            raise BadRequest("bad Content-Length %r" % cl)
        if left < 0:
            raise BadRequest("bad Content-Length %r" % cl)
        while left > 0:
            data = self.rfile.read(min(PIECE, left))
            if not data:
                raise BadRequest("body ended %d bytes early" % left)
            left -= len(data)
            yield data

    def chunked_body(self):
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise BadRequest("bad chunk size line")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest("bad chunk size %r" % line)
            if size == 0:
                break
            left = size
            while left > 0:
                data = self.rfile.read(min(PIECE, left))
                if not data:
                    raise BadRequest("chunk ended early")
                left -= len(data)
                yield data
            if self.rfile.readline(16) not in (b"\r\n", b"\n"):
                raise BadRequest("chunk not followed by CRLF")
        # Trailers, up to the empty line.
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break

    def digest_body(self):
        h = hashlib.sha256()
        n = 0
        for data in self.body_chunks():
            h.update(data)
            n += len(data)
        return n, h.hexdigest()

    # -- replies -----------------------------------------------------------

    def reply(self, code, body, ctype="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        no_body = code in (204, 304) or 100 <= code < 200
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        if not no_body:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not no_body and self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, code, obj):
        self.reply(code, json.dumps(obj) + "\n", "application/json")

    def log_request(self, code="-", size="-"):
        code = getattr(code, "value", code)
        log("conn=%d req=%d %s %s %s %s -> %s" % (
            self.conn_id, self.request_no, self.tls_version, self.command,
            self.path, self.request_version, code))

    def log_message(self, fmt, *args):
        log("conn=%d %s" % (getattr(self, "conn_id", 0), fmt % args))

    # -- endpoints ---------------------------------------------------------

    def dispatch(self):
        self.request_no += 1
        count("requests")
        path = self.path.split("?", 1)[0]
        if self.close_next:
            # The connection's request after /close-next: read, never
            # answered, the connection closed (no close_notify).
            count("closed_unanswered")
            self.drain()
            self.close_connection = True
            return
        try:
            if path.startswith("/echo"):
                self.echo()
            elif path.startswith("/bytes/"):
                self.bytes_(path[len("/bytes/"):])
            elif path == "/sha256":
                self.sha256()
            elif path == "/stats":
                self.drain()
                with STATS_LOCK:
                    stats = dict(STATS)
                self.reply_json(200, stats)
            elif path.startswith("/slow/"):
                self.slow(path[len("/slow/"):])
            elif path.startswith("/status/"):
                self.status(path[len("/status/"):])
            elif path == "/head":
                self.drain()
                self.reply(200, "head endpoint body\n",
                           headers=[("X-Head-Test", "1")])
            elif path.startswith("/chunked/"):
                self.chunked(path[len("/chunked/"):])
            elif path.startswith("/nolength/"):
                self.nolength(path[len("/nolength/"):])
            elif path.startswith("/stream/"):
                self.stream(path[len("/stream/"):])
            elif path == "/expect" or path.startswith("/expect/"):
                self.expect_(path[len("/expect"):].lstrip("/"))
            elif path.startswith("/malformed/"):
                self.malformed(path[len("/malformed/"):])
            elif path.startswith("/early/"):
                self.early(path[len("/early/"):])
            elif path == "/close-next":
                self.drain()
                self.reply(200, "the next request on this connection "
                           "goes unanswered\n")
                self.close_next = True
            elif path == "/silent":
                self.silent()
            elif path == "/ws":
                self.websocket()
            elif path == "/log":
                self.drain()
                self.reqlog()
            elif path == "/auth":
                self.drain()
                self.auth()
            else:
                self.drain()
                self.reply(404, "no such endpoint\n")
        except BadRequest as e:
            self.close_connection = True
            self.reply(400, "bad request: %s\n" % e)

    def drain(self):
        for _ in self.body_chunks():
            pass

    def auth(self):
        """Connection-bound authentication as NTLM and Negotiate do it
        (IIS, Exchange): "SCHEME hello" gets a 401 with a challenge made
        for this connection; "SCHEME answer-CHALLENGE-USER" answered on
        the same connection authenticates the connection as USER, and its
        later requests need no Authorization at all. Anything else gets
        the 401 that offers both schemes. The tokens are not NTLM's: what
        matters to a proxy is where they go."""
        cred = self.headers.get("Authorization", "")
        scheme, _, token = cred.partition(" ")
        if scheme in ("NTLM", "Negotiate") and token == "hello":
            self.auth_challenge = "c%d-%s" % (self.conn_id,
                                              os.urandom(4).hex())
            count("auth_challenges")
            self.reply(401, "challenge\n", headers=[
                ("WWW-Authenticate", "%s %s" % (scheme,
                                                self.auth_challenge))])
            return
        if scheme in ("NTLM", "Negotiate") and token.startswith("answer-"):
            parts = token.split("-", 3) + ["", "", ""]
            challenge = "%s-%s" % (parts[1], parts[2])
            user = parts[3]
            if self.auth_challenge is not None and \
                    challenge == self.auth_challenge and user:
                self.auth_user = user
                self.auth_challenge = None
                count("auth_ok")
            else:
                count("auth_bad_challenge")
        if self.auth_user is not None:
            q = self.query()
            if "close" in q:
                self.close_connection = True
            self.reply_json(200, {"user": self.auth_user,
                                  "conn_id": self.conn_id})
            if "close-after" in q:
                # The connection ends while idle, with no close_notify.
                conn = self.request
                threading.Timer(
                    self.intarg(q["close-after"], "close-after", 0,
                                60000) / 1000.0,
                    lambda: conn.shutdown(socket.SHUT_RDWR)).start()
            return
        self.reply(401, "who are you?\n", headers=[
            ("WWW-Authenticate", "Negotiate"),
            ("WWW-Authenticate", "NTLM")])

    def echo(self):
        n, digest = self.digest_body()
        self.reply_json(200, {
            "method": self.command,
            "path": self.path,
            "http_version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "tls_version": self.tls_version,
            "sni": self.sni,
            "alpn": self.alpn,
            "conn_id": self.conn_id,
            "request_no": self.request_no,
            "body_len": n,
            "body_sha256": digest,
        })

    def bytes_(self, arg):
        self.drain()
        if not arg.isdigit() or int(arg) > MAX_BYTES:
            self.reply(400, "bad length\n")
            return
        n = int(arg)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.send_header("X-Sha256", pattern_sha256(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        off = 0
        while off < n:
            k = min(PIECE, n - off)
            self.wfile.write(pattern_piece(off, k))
            off += k

    def sha256(self):
        if self.command not in ("POST", "PUT"):
            self.drain()
            self.reply(405, "POST or PUT\n", headers=[("Allow", "POST, PUT")])
            return
        n, digest = self.digest_body()
        self.reply_json(200, {"len": n, "sha256": digest})

    def slow(self, arg):
        self.drain()
        if not arg.isdigit():
            self.reply(400, "bad delay\n")
            return
        time.sleep(int(arg) / 1000.0)
        self.reply(200, "slow done\n")

    def status(self, arg):
        self.drain()
        if not arg.isdigit() or not 100 <= int(arg) <= 599:
            self.reply(400, "bad status\n")
            return
        code = int(arg)
        self.reply(code, "status %d\n" % code)

    # -- framing, timeouts, WebSocket ----------------------------------------

    def query(self):
        qs = self.path.split("?", 1)[1] if "?" in self.path else ""
        return {k: v[-1] for k, v in urllib.parse.parse_qs(qs).items()}

    @staticmethod
    def intarg(text, what, lo=0, hi=MAX_BYTES):
        if not text.isdigit() or not lo <= int(text) <= hi:
            raise BadRequest("bad %s %r" % (what, text))
        return int(text)

    def write_pattern(self, off, n):
        """Writes pattern bytes [off, off + n) in PIECE-sized writes."""
        end = off + n
        while off < end:
            k = min(PIECE, end - off)
            self.wfile.write(pattern_piece(off, k))
            off += k

    def chunked(self, arg):
        self.drain()
        n = self.intarg(arg, "length")
        size = self.intarg(self.query().get("size", str(PIECE)), "size",
                           1, 1 << 24)
        digest = pattern_sha256(n)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Trailer", "X-Trailer-Sha256, X-Trailer-Len")
        self.send_header("X-Sha256", digest)
        self.end_headers()
        if self.command == "HEAD":
            return
        sizes = [size, 1, 7, size // 2 + 3, 255, size]
        if self.query().get("ext") == "multi":
            # Several extensions with token values (RFC 9112 7.1.1).
            exts = [b";a=1;b=2", b";x=y;flag", b";p=1;q=2;r=3", b"",
                    b";a=b;c=d", b";n=1;m"]
        else:
            exts = [b";ext=1", b';name="quoted; value"', b";flag", b"",
                    b";a;b=2", b""]
        fmts = ["%x", "%X", "%06x", "%x", "%04X", "%x"]
        off = i = 0
        while off < n:
            k = min(sizes[i % 6], n - off)
            head = (fmts[i % 6] % k).encode() + exts[i % 6] + b"\r\n"
            self.wfile.write(head + pattern_piece(off, min(k, PIECE)))
            if k > PIECE:
                self.write_pattern(off + PIECE, k - PIECE)
            self.wfile.write(b"\r\n")
            off += k
            i += 1
        self.wfile.write(b"0;last=1\r\nX-Trailer-Sha256: %s\r\n"
                         b"X-Trailer-Len: %d\r\n\r\n" % (digest.encode(), n))

    def nolength(self, arg):
        self.drain()
        n = self.intarg(arg, "length")
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("X-Sha256", pattern_sha256(n))
        self.end_headers()
        if self.command != "HEAD":
            self.write_pattern(0, n)

    def stream(self, arg):
        self.drain()
        n = self.intarg(arg, "length")
        q = self.query()
        pause = self.intarg(q.get("pause", "1000"), "pause", 0, 3600000)
        piece = self.intarg(q.get("piece", str(max(1, n // 4))), "piece",
                            1, MAX_BYTES)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.send_header("X-Sha256", pattern_sha256(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        off = 0
        while off < n:
            if off > 0:
                time.sleep(pause / 1000.0)
            k = min(piece, n - off)
            self.write_pattern(off, k)
            off += k

    def expect_(self, variant):
        if variant in ("417", "401"):
            # At once: no 100, the body is not read, the connection ends.
            self.close_connection = True
            if variant == "417":
                self.reply(417, "expectation refused\n")
            else:
                self.reply(401, "authentication required\n", headers=[
                    ("WWW-Authenticate", 'Basic realm="contoso"')])
            return
        if variant not in ("", "ok"):
            self.drain()
            self.reply(404, "no such /expect variant\n")
            return
        n, digest = self.digest_body()
        self.reply_json(200, {
            "method": self.command,
            "expect": self.headers.get("Expect"),
            "continue_sent": self.continue_sent,
            "len": n,
            "sha256": digest,
        })

    def malformed(self, kind):
        self.drain()
        data = TRUNCATED if kind == "truncated" else MALFORMED.get(kind)
        if data is None:
            self.reply(404, "no such malformed kind; known: %s truncated\n"
                       % " ".join(sorted(MALFORMED)))
            return
        self.close_connection = True
        log("conn=%d req=%d malformed response %s (%d bytes)" % (
            self.conn_id, self.request_no, kind, len(data)))
        self.wfile.write(data)

    def early(self, arg):
        code = self.intarg(arg, "status", 200, 599)
        q = self.query()
        hold = self.intarg(q.get("hold", "2000"), "hold", 0, 60000)
        delay = self.intarg(q.get("delay", "0"), "delay", 0, 60000)
        time.sleep(delay / 1000.0)
        self.close_connection = True
        if "size" in q:
            n = self.intarg(q["size"], "size")
            self.send_response(code)
            self.send_header("Content-Length", str(n))
            self.send_header("Connection", "close")
            self.end_headers()
            self.write_pattern(0, n)
        else:
            self.reply(code, "early %d\n" % code)
        self.wfile.flush()
        time.sleep(hold / 1000.0)

    def silent(self):
        self.drain()
        self.close_connection = True
        log("conn=%d req=%d silent: not answering" % (
            self.conn_id, self.request_no))
        try:
            while self.rfile.read1(PIECE):
                pass
        except (OSError, ssl.SSLError, ValueError):
            pass
        log("conn=%d silent: peer closed" % self.conn_id)

    def reqlog(self):
        since = self.intarg(self.query().get("since", "0"), "since")
        with STATS_LOCK:
            total = len(REQLOG)
            items = [dict(e) for e in REQLOG[since:]]
        by_path = {}
        for e in items:
            p = e["path"].split("?", 1)[0]
            by_path[p] = by_path.get(p, 0) + 1
        self.reply_json(200, {"total": total, "requests": items,
                              "by_path": by_path})

    # WebSocket (RFC 6455).

    def websocket(self):
        self.drain()
        key = self.headers.get("Sec-WebSocket-Key", "").strip()
        tokens = [t.strip().lower() for t in
                  self.headers.get("Connection", "").split(",")]
        if (self.command != "GET" or
                self.headers.get("Upgrade", "").lower() != "websocket" or
                "upgrade" not in tokens or len(key) != 24 or
                self.headers.get("Sec-WebSocket-Version") != "13"):
            self.reply(400, "not a WebSocket handshake\n")
            return
        accept = base64.b64encode(hashlib.sha1(
            key.encode() + WS_GUID).digest()).decode()
        self.close_connection = True
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        proto = self.headers.get("Sec-WebSocket-Protocol")
        if proto:
            self.send_header("Sec-WebSocket-Protocol",
                             proto.split(",")[0].strip())
        self.end_headers()
        try:
            self.ws_echo()
        except (EOFError, OSError, ssl.SSLError) as e:
            log("conn=%d ws: ended: %s" % (self.conn_id, e or "EOF"))

    def ws_read(self, n):
        data = self.rfile.read(n) if n else b""
        if len(data) < n:
            raise EOFError("connection closed mid-frame")
        return data

    def ws_send(self, opcode, payload, fin=True):
        n = len(payload)
        b0 = (0x80 if fin else 0) | opcode
        if n < 126:
            head = struct.pack("!BB", b0, n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, 126, n)
        else:
            head = struct.pack("!BBQ", b0, 127, n)
        self.wfile.write(head + payload)

    def ws_close(self, code, why=b""):
        self.ws_send(0x8, struct.pack("!H", code) + why)

    def ws_echo(self):
        frames = 0
        while True:
            b0, b1 = self.ws_read(2)
            fin, rsv, opcode = b0 & 0x80, b0 & 0x70, b0 & 0x0F
            masked, n = b1 & 0x80, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.ws_read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.ws_read(8))[0]
            if not masked or rsv:
                log("conn=%d ws: bad frame (masked=%s rsv=%d): close 1002"
                    % (self.conn_id, bool(masked), rsv))
                self.ws_close(1002, b"client frames must be masked")
                return
            if n > 64 << 20:
                self.ws_close(1009, b"frame too large")
                return
            mask = self.ws_read(4)
            payload = ws_unmask(self.ws_read(n), mask)
            frames += 1
            if opcode == 0x8:
                # Echo the status code (if any), then end.
                self.ws_send(0x8, payload[:2])
                log("conn=%d ws: close after %d frames" % (
                    self.conn_id, frames))
                return
            if opcode == 0x9:
                self.ws_send(0xA, payload)
            elif opcode == 0xA:
                pass
            elif opcode in (0x0, 0x1, 0x2):
                self.ws_send(opcode, payload, fin=bool(fin))
            else:
                self.ws_close(1002, b"unknown opcode")
                return


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    rcvbuf = 0

    def __init__(self, addr, ctx):
        self.ctx = ctx
        super().__init__(addr, Handler)

    def server_bind(self):
        # Accepted sockets inherit it: a small window from the first byte.
        if self.rcvbuf:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                   self.rcvbuf)
        super().server_bind()

    def process_request_thread(self, sock, client_address):
        # The TLS handshake runs in the connection's own thread, so a slow
        # or broken client never stalls accept().
        conn_no = count("connections")
        try:
            sock.settimeout(30)
            tls = self.ctx.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log("conn#%d from %s:%d: TLS handshake failed: %s" % (
                conn_no, client_address[0], client_address[1], e))
            try:
                sock.close()
            except OSError:
                pass
            return
        tls.tf_conn_id = count("handshakes")
        tls.tf_sni = getattr(tls, "tf_sni", None)
        tls.settimeout(None)
        log("conn=%d from %s:%d: %s %s sni=%s alpn=%s" % (
            tls.tf_conn_id, client_address[0], client_address[1],
            tls.version(), tls.cipher()[0], tls.tf_sni,
            tls.selected_alpn_protocol()))
        super().process_request_thread(tls, client_address)

    def shutdown_request(self, request):
        # Send close_notify, but do not wait long for the peer's.
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(0.5)
                request = request.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
        try:
            request.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.close_request(request)

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, ssl.SSLError, TimeoutError)):
            log("connection from %s:%d: %s" % (
                client_address[0], client_address[1], e))
            return
        super().handle_error(request, client_address)


def make_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = (ssl.TLSVersion.TLSv1_3 if args.min_tls == "1.3"
                           else ssl.TLSVersion.TLSv1_2)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])

    def on_sni(sslobj, name, _ctx):
        # sslobj is the SSLSocket being handshaken.
        try:
            sslobj.tf_sni = name
        except AttributeError:
            pass
        return None

    ctx.sni_callback = on_sni
    return ctx


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % text)
    host = host.strip("[]")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 0))
    ap.add_argument("--port-file")
    ap.add_argument("--min-tls", choices=("1.2", "1.3"), default="1.2")
    ap.add_argument("--rcvbuf", type=int, default=0,
                    help="SO_RCVBUF of every connection (0: the system's)")
    args = ap.parse_args()
    Server.rcvbuf = args.rcvbuf

    ctx = make_context(args)
    if ":" in args.listen[0]:
        Server.address_family = socket.AF_INET6
    server = Server(args.listen, ctx)
    port = server.server_address[1]
    if args.port_file:
        tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    log("listening on %s:%d (TLS >= %s)" % (args.listen[0], port, args.min_tls))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
