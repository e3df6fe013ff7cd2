# SPDX-License-Identifier: BSD-3-Clause
"""A client that pipelines requests for a large reply and does not read (test_slow_reader.sh),
run with /usr/bin/python3 inside the test's network namespace.

    slowreader.py kv|http HOST PORT --value-len L --ready FILE --release FILE
                  [--pad P] [--small] [--read K] [--max-reqs N] [--stall S] [--timeout T]

The socket gets a small receive buffer (4 KB) and send buffer (16 KB), both set before
connect, so the kernel holds little of either direction and sluice's own queues are what
fills. kv: SET a key of P bytes to a value of L random bytes (read +OK), then pipeline
`GET key` (each request about P bytes, so a few hundred fill sluice's receive budget).
http: pipeline `GET /big?pad=... ` (the server's body is --http-body-len bytes). The
requests go out on a non-blocking socket until send() has made no progress for S seconds
(the server stopped reading: its window is closed and our send buffer is full), or N
requests, or T seconds. Then FILE --ready gets one line of JSON: the requests sent (the
last one may be partly sent), whether sending stalled, and our local port (the test finds
the connection in sluice's telemetry by it). Nothing is read until FILE --release appears.

The padding is what keeps the test short: every request the server accepts is answered
with L bytes, and a few hundred requests of P bytes fill its receive budget, where short
ones would take tens of thousands (gigabytes of replies to read back). --small sends
short requests instead (P is ignored: `GET big` and `GET / HTTP/1.1`), one send() each
with TCP_NODELAY, so many small segments reach the server; with --read K only the first K
replies are then read and checked, and the socket is closed with the rest unread (the
kernel answers what still arrives with a reset): the server must drop the connection and
everything it held.

Then: the rest of a partly sent request and a last request (kv: PING; http: GET with
Connection: close) go out from a thread while the main thread reads. Every request the
server accepted must be answered, exactly and in order: kv, the value (byte for byte) for
each GET then +PONG; http, a 200 with the exact body for each, then the last response and
a FIN. A reset, a short or wrong reply, or anything more fails.

Exits 0 when everything matched, printing one line of figures; else prints FAIL and exits 1."""

import argparse
import json
import os
import random
import select
import signal
import socket
import sys
import threading
import time

from sltest import resp_bulk, resp_cmd


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def read_exact(s, n, deadline, what):
    buf = bytearray()
    while len(buf) < n:
        if time.monotonic() > deadline:
            fail("%s: timed out after %d of %d bytes" % (what, len(buf), n))
        try:
            d = s.recv(min(n - len(buf), 1 << 20))
        except socket.timeout:
            continue
        except OSError as e:
            fail("%s: %s after %d of %d bytes" % (what, e, len(buf), n))
        if not d:
            fail("%s: connection closed after %d of %d bytes" % (what, len(buf), n))
        buf += d
    return bytes(buf)


def read_to_eof(s, deadline, limit, what):
    buf = bytearray()
    while True:
        if time.monotonic() > deadline:
            fail("%s: timed out after %d bytes" % (what, len(buf)))
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            continue
        except OSError as e:
            fail("%s: %s after %d bytes" % (what, e, len(buf)))
        if not d:
            return bytes(buf)
        buf += d
        if len(buf) > limit:
            fail("%s: more than the %d bytes expected" % (what, limit))


def http_body(n):
    # What sluice-server --mode http sends (mode_http.c http_prepare).
    return (b"Hello, world\n" * (n // 13 + 1))[:n]


def http_check(raw, want_body, n):
    """raw: n + 1 responses, all 200 with want_body; the last with Connection: close."""
    off = 0
    for i in range(n + 1):
        end = raw.find(b"\r\n\r\n", off)
        if end < 0:
            fail("response %d of %d: no complete head (%d bytes left)" %
                 (i, n + 1, len(raw) - off))
        head = raw[off:end].split(b"\r\n")
        if head[0] != b"HTTP/1.1 200 OK":
            fail("response %d: status line %r" % (i, head[0]))
        hdrs = {}
        for line in head[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower()] = v.strip()
        clen = int(hdrs.get(b"content-length", b"-1"))
        if clen != len(want_body):
            fail("response %d: Content-Length %d, want %d" % (i, clen, len(want_body)))
        body = raw[end + 4:end + 4 + clen]
        if body != want_body:
            fail("response %d: body differs (%d bytes)" % (i, len(body)))
        closing = hdrs.get(b"connection", b"").lower() == b"close"
        if closing != (i == n):
            fail("response %d: Connection: close %s" % (i, "missing" if i == n else "early"))
        off = end + 4 + clen
    if off != len(raw):
        fail("%d bytes after the last response" % (len(raw) - off))


def main():
    # Started in the background by a script, we inherit SIGINT ignored: take it back, so
    # that the test's sl_stop_pid (SIGINT) ends a client that is stuck.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("kv", "http"))
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--value-len", type=int, required=True)
    ap.add_argument("--pad", type=int, default=1000)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--read", type=int, default=0, help="replies to read (0: all)")
    ap.add_argument("--max-reqs", type=int, default=100000)
    ap.add_argument("--stall", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--hold", type=float, default=600.0, help="longest wait for --release")
    ap.add_argument("--ready", required=True)
    ap.add_argument("--release", required=True)
    a = ap.parse_args()

    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    if a.small:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        a.pad = 0
    s.settimeout(20)
    s.connect((a.host, a.port))
    deadline = time.monotonic() + 60

    if a.mode == "kv":
        key = b"big" + (b":" + b"k" * a.pad if a.pad else b"")
        val = random.Random(21).randbytes(a.value_len)
        s.sendall(resp_cmd("SET", key, val))
        got = read_exact(s, 5, deadline, "SET")
        if got != b"+OK\r\n":
            fail("SET: %r" % got)
        req = resp_cmd("GET", key)
        last = resp_cmd("PING")
        want_one = resp_bulk(val)
    else:
        req = b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % (b"big?pad=" + b"p" * a.pad
                                                          if a.pad else b"")
        last = b"GET /end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        want_one = None

    # Pipeline without reading until send() stops making progress.
    s.setblocking(False)
    sent = 0		# whole requests
    part = 0		# bytes of the next one already sent
    stalled = False
    t0 = time.monotonic()
    progress = t0
    while sent < a.max_reqs and time.monotonic() - t0 < a.timeout:
        try:
            k = s.send(req[part:])
        except BlockingIOError:
            k = 0
        if k > 0:
            progress = time.monotonic()
            part += k
            if part == len(req):
                sent += 1
                part = 0
            continue
        if time.monotonic() - progress >= a.stall:
            stalled = True
            break
        select.select([], [s], [], 0.1)
    t_fill = time.monotonic() - t0

    with open(a.ready + ".tmp", "w") as f:
        json.dump({"sent": sent, "part": part, "req_len": len(req), "stalled": stalled,
                   "fill_s": round(t_fill, 2), "port": s.getsockname()[1]}, f)
    os.rename(a.ready + ".tmp", a.ready)

    # Hold the connection, unread, until the test says so.
    hold_end = time.monotonic() + a.hold
    while not os.path.exists(a.release):
        if time.monotonic() > hold_end:
            fail("no --release within %.0f s" % a.hold)
        time.sleep(0.1)

    s.setblocking(True)
    s.settimeout(5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    total = sent + (1 if part else 0)
    deadline = time.monotonic() + 300
    t1 = time.monotonic()
    if a.read:
        # The first replies, then go away with the rest unread.
        if a.read > sent:
            fail("only %d requests sent, fewer than --read %d" % (sent, a.read))
        if a.mode == "kv":
            got = read_exact(s, a.read * len(want_one), deadline, "replies")
            if got != want_one * a.read:
                fail("the first %d replies differ" % a.read)
        else:
            body = http_body(a.value_len)
            one = b"HTTP/1.1 200 OK\r\n"
            got = read_exact(s, a.read * (len(body) + 200), deadline, "responses")
            # Heads are the same size each time: find the first, cut the rest by it.
            hlen = got.find(b"\r\n\r\n") + 4
            if hlen < 4 or not got.startswith(one):
                fail("first response: %r" % got[:80])
            want = (got[:hlen] + body) * a.read
            if got[:len(want)] != want:
                fail("the first %d responses differ" % a.read)
        s.close()
        print("%d requests of %d bytes pipelined unread (%s after %.1f s), then the first "
              "%d replies read, exact; closed with the rest unread" %
              (total, len(req), "send stalled" if stalled else "not stalled", t_fill,
               a.read), flush=True)
        return

    # Read everything now; the rest of the requests go out meanwhile.
    tail = (req[part:] if part else b"") + last
    send_err = []

    def send_tail():
        try:
            s.sendall(tail)
        except OSError as e:
            send_err.append(e)

    th = threading.Thread(target=send_tail, daemon=True)
    th.start()
    if a.mode == "kv":
        want_len = total * len(want_one) + len(b"+PONG\r\n")
        got = read_exact(s, want_len, deadline, "replies")
        for i in range(total):
            o = i * len(want_one)
            if got[o:o + len(want_one)] != want_one:
                fail("reply %d of %d differs: %r" % (i, total, got[o:o + 40]))
        if got[total * len(want_one):] != b"+PONG\r\n":
            fail("last reply: %r" % got[total * len(want_one):][:40])
        s.sendall(resp_cmd("DEL", key))
        got_del = read_exact(s, 4, deadline, "DEL")
        if got_del != b":1\r\n":
            fail("DEL: %r" % got_del)
        nbytes = want_len
    else:
        body = http_body(a.value_len)
        limit = (total + 1) * (len(body) + 1024)
        raw = read_to_eof(s, deadline, limit, "responses")
        http_check(raw, body, total)
        nbytes = len(raw)
    t_read = time.monotonic() - t1
    th.join(10)
    if th.is_alive() or send_err:
        fail("sending the rest: %s" % (send_err or "did not finish"))
    s.close()
    print("%d requests of %d bytes pipelined unread (%s after %.1f s), then %d replies "
          "(%.1f MB) read in %.1f s, all exact and in order" %
          (total, len(req), "send stalled" if stalled else "not stalled", t_fill,
           total + 1, nbytes / 1e6, t_read), flush=True)


if __name__ == "__main__":
    main()
