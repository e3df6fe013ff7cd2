# SPDX-License-Identifier: BSD-3-Clause
"""Linux connections held open for test_conns.sh, run with /usr/bin/python3 inside the
test's network namespace.

    connspeer.py hold HOST PORT --conns N --ready FILE --release FILE [--timeout S]

Opens N connections to an echo server, echoes one line on each, writes FILE (--ready) with
their local ports as JSON, then waits (at most --timeout seconds) until the file --release
exists; then half-closes every connection, waits for the server's FIN on each and closes.
Exits 0 on success and prints one line of figures."""

import argparse
import json
import os
import socket
import sys
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            fail("connection closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return bytes(buf)


def cmd_hold(a):
    socks = []
    t0 = time.time()
    for i in range(a.conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect((a.host, a.port))
        socks.append(s)
    for i, s in enumerate(socks):
        s.sendall(b"conn %06d\n" % i)
    for i, s in enumerate(socks):
        if recv_exact(s, 12) != b"conn %06d\n" % i:
            fail("wrong echo on connection %d" % i)
    opened = time.time() - t0
    tmp = a.ready + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"ports": [s.getsockname()[1] for s in socks]}, f)
    os.rename(tmp, a.ready)
    deadline = time.time() + a.timeout
    while not os.path.exists(a.release):
        if time.time() > deadline:
            fail("not released within %d s" % a.timeout)
        time.sleep(0.05)
    for s in socks:
        s.shutdown(socket.SHUT_WR)
    for i, s in enumerate(socks):
        if s.recv(1) != b"":
            fail("connection %d: data instead of the FIN" % i)
        s.close()
    print("hold: %d connections opened and echoed in %.2f s, held, closed" %
          (a.conns, opened), flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("host")
    h.add_argument("port", type=int)
    h.add_argument("--conns", type=int, default=1)
    h.add_argument("--ready", required=True)
    h.add_argument("--release", required=True)
    h.add_argument("--timeout", type=int, default=600)
    a = p.parse_args()
    cmd_hold(a)


if __name__ == "__main__":
    main()
