# SPDX-License-Identifier: BSD-3-Clause
"""The Linux side of test_dumpcap.sh: one connection whose every segment is foreseeable,
so that a capture of it can be counted. Run with /usr/bin/python3 in the namespace.

    capturepeer.py HOST PORT --sizes 100,200,... [--gap-ms G]

Connect; for each size, send one message of that many bytes (each fits one segment) and
read its echo back whole, then stay idle G ms -- longer than Linux's longest delayed ACK
(200 ms), so that every echo is acknowledged by a pure ACK before the next message goes
(rather than by the next message, or not at all, as timing decides); then half-close and
read until the server's FIN. Prints one line: "port <local port> sent <bytes>"."""

import argparse
import os
import socket
import sys
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--sizes", default="100,200,300,400")
    p.add_argument("--gap-ms", type=float, default=300)
    a = p.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    s = socket.create_connection((a.host, a.port), timeout=10)
    # One write, one segment: no Nagle hold-back of a message behind an unacknowledged one.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lport = s.getsockname()[1]
    for n in sizes:
        msg = os.urandom(n)
        s.sendall(msg)
        got = bytearray()
        while len(got) < n:
            b = s.recv(n - len(got))
            if not b:
                fail("connection closed after %d of %d echoed bytes" % (len(got), n))
            got += b
        if bytes(got) != msg:
            fail("echo of %d bytes differs" % n)
        time.sleep(a.gap_ms / 1000)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        fail("data after the echo")
    s.close()
    print("port %d sent %d" % (lport, sum(sizes)), flush=True)


if __name__ == "__main__":
    main()
