#!/usr/bin/python3
"""Sends one hand-built ClientHello and reports the server's first answer.

For tests that need hellos no real client sends: arbitrary SNI bytes,
chosen versions and cipher suites, GREASE, or the SSLv2 format.

Usage:
  hello.py --port PORT [--host 127.0.0.1] [--version 2.0|3.0|1.0|1.1|1.2|1.3]
           [--sni TEXT | --sni-hex HEX] [--ciphers 0x0035,0x002f,...]
           [--grease] [--sslv2] [--raw-hex HEX] [--timeout SECONDS]

--sslv2 sends an SSLv2-format CLIENT-HELLO (no extensions, so no SNI); its
default cipher list starts with three SSLv2-only kinds (0x010080, 0x0700c0,
0x030080) before the TLS suites. --version 2.0 only makes sense with it.

Prints one line and exits 0:
  alert LEVEL DESCRIPTION     e.g. "alert 2 70" (fatal protocol_version)
  handshake TYPE VERSION      e.g. "handshake 2 0x0303" (a ServerHello)
  other HEX                   the first bytes of anything else (e.g. HTTP)
  closed                      the server closed without a byte
  timeout                     nothing arrived in time
Exits 1 when it cannot connect.
"""

import argparse
import os
import socket
import struct
import sys

VERSIONS = {"2.0": 0x0002, "3.0": 0x0300, "1.0": 0x0301, "1.1": 0x0302, "1.2": 0x0303, "1.3": 0x0304}
# Internet Explorer 8-10 on Windows 7 (Schannel), roughly.
DEFAULT_CIPHERS = [0xc014, 0xc013, 0x0035, 0x002f, 0xc00a, 0xc009,
                   0x0038, 0x0032, 0x000a, 0x0013, 0x0005, 0x0004]
GREASE = 0x0a0a


def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def ext(kind, body):
    return u16(kind) + vec16(body)


def tls_hello(args, version, ciphers):
    exts = b""
    if args.grease:
        exts += ext(GREASE, b"")
    if args.sni_bytes is not None:
        name = u8(0) + vec16(args.sni_bytes)
        exts += ext(0, vec16(name))
    exts += ext(0xff01, b"\x00")                       # renegotiation_info
    groups = [0x0017, 0x0018]
    if version >= 0x0303:
        groups = [0x001d] + groups
    if args.grease:
        groups = [GREASE] + groups
    exts += ext(10, vec16(b"".join(u16(g) for g in groups)))
    exts += ext(11, vec8(b"\x00"))                     # ec_point_formats
    if version >= 0x0303:
        sigalgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0201]
        exts += ext(13, vec16(b"".join(u16(s) for s in sigalgs)))
    legacy = version
    if version == 0x0304:
        legacy = 0x0303
        sv = [0x0304, 0x0303]
        if args.grease:
            sv = [GREASE] + sv
        exts += ext(43, vec8(b"".join(u16(v) for v in sv)))
        # An X25519 key share (any 32 bytes will do for a hello).
        share = u16(0x001d) + vec16(os.urandom(32))
        exts += ext(51, vec16(share))
    suites = list(ciphers)
    if args.grease:
        suites = [GREASE] + suites
    body = (u16(legacy) + os.urandom(32) + vec8(b"") +
            vec16(b"".join(u16(c) for c in suites)) + vec8(b"\x00") +
            vec16(exts))
    msg = u8(1) + u24(len(body)) + body
    record_version = min(legacy, 0x0301) if legacy >= 0x0301 else legacy
    return u8(22) + u16(record_version) + vec16(msg)


# SSLv2-only cipher kinds (RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5, ...),
# which have no TLS equivalent.
SSL2_ONLY = [0x010080, 0x0700c0, 0x030080]


def sslv2_hello(version, ciphers):
    # SSLv2-format CLIENT-HELLO (as old Schannel and Java sent): 3-byte
    # cipher specs; TLS suites are 0x00XXYY. Values above 0xffff are
    # SSLv2-only kinds, sent as they are.
    specs = b"".join(struct.pack("!I", c)[1:] for c in ciphers)
    challenge = os.urandom(16)
    body = (u8(1) + u16(version) + u16(len(specs)) + u16(0) +
            u16(len(challenge)) + specs + challenge)
    return u16(0x8000 | len(body)) + body


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        piece = sock.recv(n - len(data))
        if not piece:
            break
        data += piece
    return data


def answer(sock):
    try:
        head = read_exact(sock, 5)
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "closed"
    if not head:
        return "closed"
    if len(head) < 5 or head[0] not in (21, 22):
        try:
            head += sock.recv(64)
        except OSError:
            pass
        return "other " + head.hex()
    kind, _, length = struct.unpack("!BHH", head)
    try:
        body = read_exact(sock, min(length, 6))
    except (socket.timeout, ConnectionResetError):
        body = b""
    if kind == 21:
        if len(body) < 2:
            return "other " + (head + body).hex()
        return "alert %d %d" % (body[0], body[1])
    if len(body) < 6:
        return "other " + (head + body).hex()
    return "handshake %d 0x%04x" % (body[0], struct.unpack("!H", body[4:6])[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--version", choices=sorted(VERSIONS), default="1.0")
    ap.add_argument("--sni")
    ap.add_argument("--sni-hex")
    ap.add_argument("--ciphers")
    ap.add_argument("--grease", action="store_true")
    ap.add_argument("--sslv2", action="store_true")
    ap.add_argument("--raw-hex")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    args.sni_bytes = None
    if args.sni is not None:
        args.sni_bytes = args.sni.encode("utf-8", "surrogateescape")
    if args.sni_hex is not None:
        args.sni_bytes = bytes.fromhex(args.sni_hex)
    version = VERSIONS[args.version]
    ciphers = DEFAULT_CIPHERS
    if version == 0x0304:
        ciphers = [0x1301, 0x1302, 0x1303] + DEFAULT_CIPHERS
    if args.ciphers:
        ciphers = [int(c, 16) for c in args.ciphers.split(",")]

    if args.raw_hex is not None:
        data = bytes.fromhex(args.raw_hex)
    elif args.sslv2:
        if not args.ciphers:
            ciphers = SSL2_ONLY + ciphers
        data = sslv2_hello(version, ciphers)
    else:
        data = tls_hello(args, version, ciphers)

    try:
        sock = socket.create_connection((args.host, args.port),
                                        timeout=args.timeout)
    except OSError as e:
        print("hello.py: connect %s:%d: %s" % (args.host, args.port, e),
              file=sys.stderr)
        return 1
    sock.settimeout(args.timeout)
    with sock:
        try:
            sock.sendall(data)
        except OSError as e:
            print("closed (send: %s)" % e)
            return 0
        print(answer(sock))
    return 0


if __name__ == "__main__":
    sys.exit(main())
