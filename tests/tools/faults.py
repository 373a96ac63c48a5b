#!/usr/bin/python3
"""Misbehaving clients for tlsfloor's fault tests. Each mode runs bounded
in count and time and prints one JSON object with what it saw.

  faults.py slowloris --port P --ca CA --count N [--interval S] [--seconds S]
      N clients complete the TLS handshake, then send a request head one
      byte every --interval seconds, never finishing it. Reports how many
      the server closed, and the longest any of them lasted.
  faults.py legacy --port P --count N [--threads T]
      N TLS 1.0 ClientHellos (IE on Windows 7, roughly; SNI
      mail.contoso.test), each on its own connection; counts the answers
      ("alert 2 70" is the refusal).
  faults.py abort --port P --ca CA --uploads N --downloads N
      N uploads that announce 64 MiB and stop after 256 KiB, and N
      downloads of 1 GiB that stop after 64 KiB; every other one ends with
      a reset (SO_LINGER 0), the others with a plain close.
"""
import argparse
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hello  # noqa: E402

SNI = "mail.contoso.test"


def tls_connect(args, timeout=20):
    ctx = ssl.create_default_context(cafile=args.ca)
    sock = socket.create_connection(("127.0.0.1", args.port), timeout)
    return ctx.wrap_socket(sock, server_hostname=SNI)


def run_threads(n, target):
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def slowloris(args):
    lock = threading.Lock()
    st = {"opened": 0, "handshake_failed": 0, "closed_by_server": 0,
          "still_open": 0, "longest_s": 0.0}
    head = b"GET /echo HTTP/1.1\r\nHost: " + SNI.encode() + b"\r\nX-Slow: "

    def one(_):
        start = time.monotonic()
        try:
            s = tls_connect(args)
        except (OSError, ssl.SSLError):
            with lock:
                st["handshake_failed"] += 1
            return
        with lock:
            st["opened"] += 1
        s.settimeout(args.interval)
        closed = False
        i = 0
        deadline = start + args.seconds
        try:
            while time.monotonic() < deadline:
                try:
                    s.sendall(head[i:i + 1] if i < len(head) else b"a")
                except (OSError, ssl.SSLError):
                    closed = True
                    break
                i += 1
                try:
                    if s.recv(4096) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except (OSError, ssl.SSLError):
                    closed = True
                    break
        finally:
            s.close()
        with lock:
            if closed:
                st["closed_by_server"] += 1
                st["longest_s"] = max(st["longest_s"],
                                      round(time.monotonic() - start, 2))
            else:
                st["still_open"] += 1

    run_threads(args.count, one)
    return st


def legacy(args):
    lock = threading.Lock()
    st = {"sent": 0, "answers": {}}
    ns = argparse.Namespace(grease=False, sni_bytes=SNI.encode())
    todo = list(range(args.count))

    def worker(_):
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            data = hello.tls_hello(ns, 0x0301, hello.DEFAULT_CIPHERS)
            try:
                with socket.create_connection(("127.0.0.1", args.port),
                                              20) as s:
                    s.settimeout(20)
                    s.sendall(data)
                    a = hello.answer(s)
            except OSError as e:
                a = "error %s" % e.__class__.__name__
            with lock:
                st["sent"] += 1
                st["answers"][a] = st["answers"].get(a, 0) + 1

    run_threads(args.threads, worker)
    return st


def end(s, reset):
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()


def abort(args):
    lock = threading.Lock()
    st = {"uploads": 0, "downloads": 0, "failed": 0, "errors": []}

    def note(kind, err=None):
        with lock:
            if err is None:
                st[kind] += 1
            else:
                st["failed"] += 1
                if len(st["errors"]) < 5:
                    st["errors"].append("%s: %r" % (kind, err))

    def upload(i):
        try:
            s = tls_connect(args)
            s.sendall(b"POST /sha256 HTTP/1.1\r\nHost: " + SNI.encode() +
                      b"\r\nContent-Length: 67108864\r\n\r\n")
            chunk = b"u" * 16384
            for _ in range(16):
                s.sendall(chunk)
            end(s, i % 2 == 0)
            note("uploads")
        except (OSError, ssl.SSLError) as e:
            note("uploads", e)

    def download(i):
        try:
            s = tls_connect(args)
            s.sendall(b"GET /bytes/1073741824 HTTP/1.1\r\nHost: " +
                      SNI.encode() + b"\r\n\r\n")
            got = 0
            while got < 65536:
                b = s.recv(16384)
                if not b:
                    raise OSError("closed after %d bytes" % got)
                got += len(b)
            end(s, i % 2 == 0)
            note("downloads")
        except (OSError, ssl.SSLError) as e:
            note("downloads", e)

    # Ten at a time, so that they overlap without a thundering herd.
    for kind, n in ((upload, args.uploads), (download, args.downloads)):
        done = 0
        while done < n:
            k = min(10, n - done)
            run_threads(k, lambda j, d=done: kind(d + j))
            done += k
    return st


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("slowloris", "legacy", "abort"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--uploads", type=int, default=10)
    ap.add_argument("--downloads", type=int, default=10)
    args = ap.parse_args()
    st = {"slowloris": slowloris, "legacy": legacy, "abort": abort}[
        args.mode](args)
    print(json.dumps(st, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
