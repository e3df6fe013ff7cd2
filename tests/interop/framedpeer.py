# SPDX-License-Identifier: BSD-3-Clause
"""Linux clients of sluice's framed echo modes (echo-line, echo-lenpfx), run with
/usr/bin/python3 inside the test's network namespace.

    framedpeer.py line HOST PORT [--crlf] [--max N] [--count N] [--dribble N] [--seed S]
    framedpeer.py lenpfx HOST PORT [--width W] [--le] [--incl] [--max N] [--count N]
                                   [--dribble N] [--seed S]

Each sends --count messages of random sizes from 0 to --max (the first --dribble of them
short ones, one byte per segment, TCP_NODELAY and a pause after every byte; the rest in large
writes, many messages per segment), checks that every echo comes back intact and in
order, then runs the error cases of the mode:
    line:   a line one byte over --max is skipped (resync) and the next line echoed;
            an unterminated last line before FIN comes back terminated, then FIN;
    lenpfx: a length over --max makes sluice close (FIN, nothing echoed for it);
            FIN in the middle of a message: sluice closes without echoing it.
Exits 0 on success and prints one line of figures."""

import argparse
import random
import socket
import struct
import sys
import threading
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def connect(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    b = bytearray()
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            fail("connection closed after %d of %d bytes" % (len(b), n))
        b += d
    return bytes(b)


def expect_eof(s, what):
    try:
        d = s.recv(1)
    except socket.timeout:
        fail(what + ": no FIN within the timeout")
    if d:
        fail(what + ": got %r instead of FIN" % d)


def send_dribbled(s, data):
    for i in range(len(data)):
        s.send(data[i:i + 1])
        time.sleep(0.0005)


def exchange(s, wire, echo, dribble):
    """Send the encoded messages (a list), the first `dribble` one byte per segment;
    read back and compare with the expected echo bytes. The bulk part is read by a
    thread while it is sent: an echo server stops reading when its replies are not read."""
    head = b"".join(wire[:dribble])
    tail = b"".join(wire[dribble:])
    send_dribbled(s, head)
    got = recv_exact(s, sum(len(e) for e in echo[:dribble]))
    if got != b"".join(echo[:dribble]):
        fail("dribbled messages came back wrong")
    want = b"".join(echo[dribble:])
    result = {}

    def reader():
        try:
            result["got"] = recv_exact(s, len(want))
        except Exception as e:  # reported below
            result["err"] = e

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(tail)
    t.join()
    if "err" in result:
        fail("reading the echo: %r" % result["err"])
    got = result["got"]
    if got != want:
        bad = next(i for i in range(len(want)) if got[i] != want[i])
        fail("echo differs at byte %d of %d" % (bad, len(want)))
    return len(head) + len(tail)


def message_sizes(rng, a):
    """Short messages first (those are dribbled), then 0, 1 and the limit, then any."""
    small = [rng.randint(0, min(a.max, 24)) for _ in range(a.dribble)]
    rest = [0, 1, a.max] + [rng.randint(0, a.max) for _ in range(a.count - a.dribble - 3)]
    return small + rest


def line_body(rng, n):
    # Printable bytes, never a newline (a CR in the middle of a line is fine).
    return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 \r\t") for _ in range(n))


def cmd_line(a):
    rng = random.Random(a.seed)
    term = b"\r\n" if a.crlf else b"\n"
    sizes = message_sizes(rng, a)
    lines = [line_body(rng, n) for n in sizes]
    # A CR just before the terminator would be taken as part of it.
    lines = [ln[:-1] + b"x" if ln.endswith(b"\r") else ln for ln in lines]
    wire = [ln + term for ln in lines]
    echo = [ln + term for ln in lines]
    s = connect(a.host, a.port)
    sent = exchange(s, wire, echo, a.dribble)
    # Resync after a line one byte too long.
    s.sendall(b"y" * (a.max + 1) + term + b"after-resync" + term)
    if recv_exact(s, len(b"after-resync" + term)) != b"after-resync" + term:
        fail("line after an over-long one not echoed")
    if a.crlf:
        s.sendall(b"bare-lf\nstill-ok\r\n")
        if recv_exact(s, 10) != b"still-ok\r\n":
            fail("line after a bare LF not echoed")
    # The last line without its terminator, then FIN: echoed, then sluice's FIN.
    s.sendall(b"last words")
    s.shutdown(socket.SHUT_WR)
    if recv_exact(s, len(b"last words" + term)) != b"last words" + term:
        fail("unterminated last line not echoed")
    expect_eof(s, "after the last line")
    s.close()
    print("line: %d lines (%d dribbled) %d bytes echoed; resync and last line ok"
          % (len(lines), a.dribble, sent), flush=True)


def lenpfx_encode(a, payload):
    n = len(payload) + (a.width if a.incl else 0)
    fmt = {1: "B", 2: "H", 4: "I"}[a.width]
    return struct.pack(("<" if a.le else ">") + fmt, n) + payload


def cmd_lenpfx(a):
    rng = random.Random(a.seed)
    sizes = message_sizes(rng, a)
    msgs = [bytes(rng.getrandbits(8) for _ in range(n)) for n in sizes]
    wire = [lenpfx_encode(a, m) for m in msgs]
    s = connect(a.host, a.port)
    sent = exchange(s, wire, wire, a.dribble)
    s.close()
    # A length over the limit: nothing echoed for it, sluice closes.
    s = connect(a.host, a.port)
    ok = lenpfx_encode(a, b"fine")
    s.sendall(ok + lenpfx_encode(a, b"z" * (a.max + 1)))
    if recv_exact(s, len(ok)) != ok:
        fail("message before the over-long one not echoed")
    expect_eof(s, "after an over-long length")
    s.close()
    # FIN in the middle of a message.
    s = connect(a.host, a.port)
    s.sendall(ok + lenpfx_encode(a, b"cut short")[:-3])
    s.shutdown(socket.SHUT_WR)
    if recv_exact(s, len(ok)) != ok:
        fail("message before the truncated one not echoed")
    expect_eof(s, "after FIN inside a message")
    s.close()
    print("lenpfx: %d messages (%d dribbled) %d bytes echoed; limit and truncation ok"
          % (len(msgs), a.dribble, sent), flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("line", "lenpfx"):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("--max", type=int, default=4096 if name == "line" else 65536)
        c.add_argument("--count", type=int, default=2000)
        c.add_argument("--dribble", type=int, default=20)
        c.add_argument("--seed", type=int, default=1)
        if name == "line":
            c.add_argument("--crlf", action="store_true")
        else:
            c.add_argument("--width", type=int, default=4, choices=(1, 2, 4))
            c.add_argument("--le", action="store_true")
            c.add_argument("--incl", action="store_true")
    a = p.parse_args()
    if a.count < a.dribble + 3:
        fail("--count must be at least --dribble + 3")
    {"line": cmd_line, "lenpfx": cmd_lenpfx}[a.cmd](a)


if __name__ == "__main__":
    main()
