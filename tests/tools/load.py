#!/usr/bin/python3
"""Steady HTTPS load for tlsfloor's reload tests.

N client threads request PATH from the gateway until STOPFILE exists or
--seconds pass, each opening a new TLS connection every --per-conn
requests (keep-alive in between). Every failure (connect, TLS, read,
non-2xx) is counted and the first few are described. Prints one JSON
object at the end.
"""
import argparse
import http.client
import json
import os
import socket
import ssl
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--sni", default="mail.contoso.test")
    ap.add_argument("--path", default="/echo")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--per-conn", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--ready-file")
    args = ap.parse_args()

    ctx = ssl.create_default_context(cafile=args.ca)
    lock = threading.Lock()
    stats = {"requests": 0, "ok": 0, "failed": 0, "connections": 0,
             "errors": []}
    deadline = time.monotonic() + args.seconds

    def note(ok, what=None):
        with lock:
            stats["requests"] += 1
            if ok:
                stats["ok"] += 1
            else:
                stats["failed"] += 1
                if len(stats["errors"]) < 10:
                    stats["errors"].append(what)

    def client():
        while not os.path.exists(args.stop_file) and \
                time.monotonic() < deadline:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", args.port, context=ctx, timeout=20)
            conn._tunnel_host = None
            # SNI and verification name: the gateway's certificate name.
            conn.host = args.sni
            sock = socket.create_connection(("127.0.0.1", args.port), 20)
            try:
                conn.sock = ctx.wrap_socket(sock, server_hostname=args.sni)
            except (OSError, ssl.SSLError) as e:
                note(False, "handshake: %s" % e)
                sock.close()
                continue
            with lock:
                stats["connections"] += 1
            for _ in range(args.per_conn):
                try:
                    conn.request("GET", args.path,
                                 headers={"Host": args.sni})
                    r = conn.getresponse()
                    r.read()
                    if 200 <= r.status < 300:
                        note(True)
                    else:
                        note(False, "status %d" % r.status)
                        break
                except (OSError, http.client.HTTPException) as e:
                    note(False, "request: %r" % e)
                    break
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    if args.ready_file:
        open(args.ready_file, "w").close()
    for t in threads:
        t.join()
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
