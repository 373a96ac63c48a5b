#!/usr/bin/python3
"""A local HTTPS/1.1 origin standing in for Office 365 in tlsfloor's tests.

Python 3 standard library only. One thread per connection, keep-alive,
TLS 1.2 minimum (or --min-tls 1.3), ALPN http/1.1. It counts TCP
connections, completed TLS handshakes and requests, and remembers per
connection the negotiated TLS version and the SNI it was sent.

Usage:
  origin.py --cert PEM --key KEY --listen 127.0.0.1:0 --port-file FILE
            [--min-tls 1.2|1.3]

The bound port is written to --port-file (tmp + rename) once listening.

Endpoints (any method unless noted):
  /echo...          200 JSON: method, path, http_version, headers (list of
                    [name, value] as received), tls_version, sni, alpn,
                    conn_id, request_no, body_len, body_sha256
  GET /bytes/N      N bytes of (i % 251), streamed in 64 KiB pieces, with
                    Content-Length and X-Sha256
  POST|PUT /sha256  200 JSON {"len": N, "sha256": "..."} of the body
  GET /stats        200 JSON {"handshakes", "connections", "requests"}
  GET /slow/MS      waits MS milliseconds, then 200 "slow done"
  GET /status/CODE  that status, small body (none for 1xx, 204, 304)

Request bodies may use Content-Length or chunked encoding. One log line
per request (and per failed handshake) goes to stderr.
"""

import argparse
import hashlib
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time

PIECE = 64 * 1024
PATTERN_MOD = 251
# Enough of the pattern to slice a PIECE starting at any phase.
PATTERN = bytes(range(PATTERN_MOD)) * (PIECE // PATTERN_MOD + 2)
MAX_BYTES = 1 << 40

STATS_LOCK = threading.Lock()
STATS = {"handshakes": 0, "connections": 0, "requests": 0}
SHA_CACHE = {}


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

    # Any method, including Exchange's RPC_IN_DATA/RPC_OUT_DATA.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

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
            else:
                self.drain()
                self.reply(404, "no such endpoint\n")
        except BadRequest as e:
            self.close_connection = True
            self.reply(400, "bad request: %s\n" % e)

    def drain(self):
        for _ in self.body_chunks():
            pass

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


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, ctx):
        self.ctx = ctx
        super().__init__(addr, Handler)

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
    args = ap.parse_args()

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
