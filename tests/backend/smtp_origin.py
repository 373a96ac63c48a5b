#!/usr/bin/env python3
"""A small SMTP submission server for the tests: what Office 365's
smtp.office365.com:587 does, in a few lines of the standard library.

It greets, answers EHLO with STARTTLS among its extensions (unless
--no-starttls), upgrades to TLS on STARTTLS (TLS 1.2 or newer), accepts
AUTH PLAIN and AUTH LOGIN only under TLS and only for the test user, and
only then MAIL, RCPT and DATA. Every message is appended to --store as
one JSON line: the envelope, the SHA-256 of its content (dot-unstuffed,
without the terminating "."), its size, the TLS version of its session
and the user. Every session ends with one JSON line in --sessions: its
commands (verbs only) with whether each came under TLS, its TLS version,
and any bytes that came pipelined behind STARTTLS (discarded, as Postfix
does).

    smtp_origin.py --cert C --key K --listen 127.0.0.1:0 --port-file F \\
        --store MSGS --sessions SESS [--no-starttls]
"""

import argparse
import base64
import hashlib
import json
import os
import re
import signal
import socketserver
import ssl
import sys
import threading

USER = "device@contoso.test"
PASSWORD = "printer-secret"
LINE_MAX = 1000  # RFC 5321 4.5.3.1.6: a text line of DATA

lock = threading.Lock()


def append(path, obj):
    with lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(obj, sort_keys=True) + "\n")


def address(line):
    """The <path> of MAIL FROM or RCPT TO, without its parameters."""
    m = re.search(r"<([^>]*)>", line)
    return m.group(1) if m else None


class Closed(Exception):
    pass


class Session(socketserver.BaseRequestHandler):
    def setup(self):
        self.sock = self.request
        self.sock.settimeout(30)
        self.buf = b""
        self.tls = None
        self.user = None
        self.mail = None
        self.rcpts = []
        self.commands = []
        self.injected = ""

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 4 * LINE_MAX:
                raise Closed()
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def ehlo(self):
        caps = ["origin.test", "SIZE 36700160", "8BITMIME", "PIPELINING"]
        if self.tls is None and not self.server.no_starttls:
            caps.append("STARTTLS")
        if self.tls is not None:
            caps.append("AUTH PLAIN LOGIN")
        caps.append("ENHANCEDSTATUSCODES")
        for c in caps[:-1]:
            self.send("250-" + c)
        self.send("250 " + caps[-1])

    def starttls(self):
        self.send("220 2.0.0 SMTP server ready")
        if self.buf:
            self.injected = self.buf.decode("latin-1")
            self.buf = b""
        self.sock = self.server.ctx.wrap_socket(self.sock, server_side=True)
        self.tls = self.sock.version()
        self.user = None
        self.mail = None
        self.rcpts = []

    def auth(self, args):
        mech = args[0].upper() if args else ""
        if mech == "PLAIN":
            resp = args[1] if len(args) > 1 else None
            if resp is None:
                self.send("334 ")
                resp = self.line()
            try:
                _, user, pw = base64.b64decode(resp).decode().split("\0")
            except Exception:
                self.send("501 5.5.2 Cannot decode response")
                return
        elif mech == "LOGIN":
            try:
                if len(args) > 1:
                    user = base64.b64decode(args[1]).decode()
                else:
                    self.send("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.line()).decode()
                self.send("334 UGFzc3dvcmQ6")
                pw = base64.b64decode(self.line()).decode()
            except Exception:
                self.send("501 5.5.2 Cannot decode response")
                return
        else:
            self.send("504 5.5.4 Unrecognized authentication type")
            return
        if user == USER and pw == PASSWORD:
            self.user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send("535 5.7.3 Authentication unsuccessful")

    def data(self):
        self.send("354 Start mail input; end with <CRLF>.<CRLF>")
        lines = []
        while True:
            line = self.line()
            if line == ".":
                break
            lines.append(line[1:] if line.startswith(".") else line)
        body = "".join(x + "\r\n" for x in lines).encode("latin-1")
        append(self.server.store, {
            "from": self.mail, "rcpt": self.rcpts, "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(), "tls": self.tls,
            "user": self.user})
        self.mail = None
        self.rcpts = []
        self.send("250 2.0.0 OK queued")

    def handle(self):
        try:
            self.send("220 origin.test Microsoft ESMTP MAIL Service ready")
            while True:
                line = self.line()
                words = line.split(" ")
                verb = words[0].upper()
                self.commands.append([verb, self.tls is not None])
                if verb in ("EHLO", "HELO"):
                    self.ehlo() if verb == "EHLO" else \
                        self.send("250 origin.test")
                elif verb == "STARTTLS" and self.tls is None and \
                        not self.server.no_starttls:
                    self.starttls()
                elif verb == "AUTH":
                    if self.tls is None:
                        self.send("530 5.7.0 Must issue a STARTTLS command first")
                    else:
                        self.auth(words[1:])
                elif verb == "MAIL":
                    if self.user is None:
                        self.send("530 5.7.57 Client not authenticated")
                    else:
                        self.mail = address(line)
                        self.send("250 2.1.0 Sender OK")
                elif verb == "RCPT":
                    if self.mail is None:
                        self.send("503 5.5.1 Need MAIL command")
                    else:
                        self.rcpts.append(address(line))
                        self.send("250 2.1.5 Recipient OK")
                elif verb == "DATA":
                    if not self.rcpts:
                        self.send("503 5.5.1 Need RCPT command")
                    else:
                        self.data()
                elif verb in ("RSET", "NOOP"):
                    self.mail = None if verb == "RSET" else self.mail
                    self.send("250 2.0.0 OK")
                elif verb == "QUIT":
                    self.send("221 2.0.0 Service closing transmission channel")
                    break
                else:
                    self.send("500 5.3.3 Unrecognized command")
        except (Closed, OSError, ssl.SSLError):
            pass
        finally:
            append(self.server.sessions, {
                "commands": self.commands, "tls": self.tls,
                "injected": self.injected})


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--sessions", required=True)
    ap.add_argument("--no-starttls", action="store_true")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    srv = Server((host, int(port)), Session)
    srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    srv.ctx.load_cert_chain(a.cert, a.key)
    srv.store, srv.sessions = a.store, a.sessions
    srv.no_starttls = a.no_starttls
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
