#!/usr/bin/env python3
"""SMTP clients for the tests of smtp listeners (t46), each printing one
JSON object on stdout.

  send PORT TLS BODY    smtplib: EHLO, STARTTLS at TLS 1.2 or 1.3 (the
                        test CA, server name mail.contoso.test), AUTH,
                        one message whose content is the file BODY; prints
                        the TLS version and the replies
  pre PORT              EHLO and MAIL FROM before STARTTLS
  inject PORT           "STARTTLS\\r\\nRSET\\r\\n" in one write
                        (CVE-2011-0411): what comes back in plaintext,
                        then EHLO under TLS and its reply
  longline PORT         a 600-octet line: the reply, and whether the
                        gateway then closed
  tls-then PORT         STARTTLS, TLS, then EHLO: the reply and whether
                        the gateway then closed (a failing upstream)
  idle PORT             greeted, then nothing: what comes and when

The test CA is $SMTP_CA. With $SMTP_PROXY set, the raw modes send it
first and CRLF, as a load balancer sends its PROXY protocol v1 header.
"""

import json
import os
import smtplib
import socket
import ssl
import sys
import time

CA = os.environ.get("SMTP_CA")
NAME = "mail.contoso.test"
USER = "device@contoso.test"
PASSWORD = "printer-secret"


def context(version=None):
    ctx = ssl.create_default_context(cafile=CA)
    if version:
        v = getattr(ssl.TLSVersion, "TLSv1_" + version.split(".")[1])
        ctx.minimum_version = ctx.maximum_version = v
    return ctx


def send(port, version, body_path):
    with open(body_path, "rb") as f:
        body = f.read()
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="printer.lan",
                     timeout=20)
    s._host = NAME  # the name TLS verifies
    out = {"ehlo1": s.ehlo()[0]}
    out["starttls"] = s.starttls(context=context(version))[0]
    out["tls"] = s.sock.version()
    out["auth"] = s.login(USER, PASSWORD)[0]
    out["refused"] = s.sendmail("scanner@contoso.test",
                                ["bob@contoso.test"], body)
    out["quit"] = s.quit()[0]
    return out


class Raw:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def until(self, end, timeout=10):
        """Reads until the bytes received end with end."""
        self.s.settimeout(timeout)
        while not self.buf.endswith(end):
            d = self.s.recv(4096)
            if not d:
                break
            self.buf += d
        got, self.buf = self.buf, b""
        return got.decode("latin-1")

    def more(self, wait):
        """Whatever else comes within wait seconds; None when closed."""
        self.s.settimeout(wait)
        try:
            d = self.s.recv(4096)
            return None if d == b"" else d.decode("latin-1")
        except socket.timeout:
            return ""

    def send(self, b):
        self.s.sendall(b)

    def tls(self):
        self.s = context().wrap_socket(self.s, server_hostname=NAME)
        return self.s.version()


def reply(r):
    """Reads one whole reply (its last line has a blank after the code)."""
    text = ""
    while True:
        got = r.until(b"\n")
        text += got
        last = text.rstrip("\r\n").split("\n")[-1]
        if got == "" or len(last) < 4 or last[3] != "-":
            return text


EHLO = b"EHLO printer.lan\r\n"

# Each raw mode: steps of (key, what, arg). "say" sends arg and keeps the
# reply under key, "more" keeps what else comes within arg seconds (None:
# the gateway closed), "tls" starts TLS and keeps its version.
MODES = {
    "pre": [("ehlo", "say", EHLO),
            ("mail", "say", b"MAIL FROM:<scanner@contoso.test>\r\n"),
            ("auth", "say", b"AUTH PLAIN AGRldmljZQBwcmludGVy\r\n"),
            ("quit", "say", b"QUIT\r\n"),
            ("after", "more", 3)],
    "inject": [("ehlo", "say", EHLO),
               ("starttls", "say", b"STARTTLS\r\nRSET\r\n"),
               ("plaintext_after", "more", 0.5),
               ("tls", "tls", None),
               ("ehlo_tls", "say", EHLO),
               ("quit", "say", b"QUIT\r\n")],
    "longline": [("reply", "say", b"NOOP " + b"A" * 595 + b"\r\n"),
                 ("after", "more", 5)],
    "tls-then": [("ehlo", "say", EHLO),
                 ("starttls", "say", b"STARTTLS\r\n"),
                 ("tls", "tls", None),
                 ("reply", "say", EHLO),
                 ("after", "more", 5)],
}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "send":
        print(json.dumps(send(port, sys.argv[3], sys.argv[4])))
        return 0
    r = Raw(port)
    if os.environ.get("SMTP_PROXY"):
        r.send(os.environ["SMTP_PROXY"].encode() + b"\r\n")
    out = {"greeting": reply(r)}
    if mode == "idle":
        t = time.monotonic()
        out["reply"] = reply(r)
        out["seconds"] = round(time.monotonic() - t, 1)
        out["after"] = r.more(5)
    for key, what, arg in MODES.get(mode, []):
        if what == "say":
            r.send(arg)
            out[key] = reply(r)
        elif what == "more":
            out[key] = r.more(arg)
        else:
            out[key] = r.tls()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
