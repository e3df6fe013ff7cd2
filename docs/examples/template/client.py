#!/usr/bin/python3
"""client.py -- the test client of the template server (proto.h), standard library only.

    client.py HOST PORT [--pipelined N] [--pause-s S] [--conns N]

Every check speaks the protocol of proto.h ([u8 type][u16 BE length][payload]) over the
kernel's TCP and compares each reply with what it must be:

  basic      ECHO of 0 .. 4096 bytes (the limit), SUM, a request sent one byte per
             segment, then a half-close: the server answers everything and closes;
  pipelined  N ECHO requests of up to 4096 bytes written by one thread while the reader
             waits S seconds before reading: the server's send queue fills, its on_message
             returns SL_RX_AGAIN and resumes from on_writable; every reply must come back,
             once and in order;
  conns      N connections at once, each with its own requests;
  errors     an unknown type, then a length above the limit, each after two good
             requests: both good replies, one PROTO_ERROR with the right code, then the
             server's FIN.

Exits 0 when every check passed, 1 otherwise (the first failure is printed).
"""

import argparse
import random
import socket
import struct
import sys
import threading
import time

HDR = struct.Struct(">BH")
ECHO, SUM = 0x01, 0x02
ECHO_REPLY, SUM_REPLY, ERROR = 0x81, 0x82, 0xFF
E_TYPE, E_LENGTH = 1, 2
MAX_PAYLOAD = 4096
TIMEOUT_S = 20


class Fail(Exception):
    pass


def frame(mtype, payload=b""):
    return HDR.pack(mtype, len(payload)) + payload


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return bytes(buf)
        buf += chunk
    return bytes(buf)


def recv_msg(s):
    """(type, payload), or None at a clean end of stream."""
    hdr = recv_exact(s, HDR.size)
    if not hdr:
        return None
    if len(hdr) < HDR.size:
        raise Fail("stream ended inside a header")
    mtype, length = HDR.unpack(hdr)
    payload = recv_exact(s, length)
    if len(payload) < length:
        raise Fail("stream ended inside a payload of %d bytes" % length)
    return mtype, payload


def expect(s, want_type, want_payload, what):
    got = recv_msg(s)
    if got is None:
        raise Fail("%s: the server closed instead of replying" % what)
    if got != (want_type, want_payload):
        raise Fail("%s: got type 0x%02x, %d bytes; want type 0x%02x, %d bytes" %
                   (what, got[0], len(got[1]), want_type, len(want_payload)))


def expect_eof(s, what):
    got = recv_msg(s)
    if got is not None:
        raise Fail("%s: a message (type 0x%02x) instead of the end" % (what, got[0]))


def connect(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def sum_reply(payload):
    return struct.pack(">I", sum(payload) & 0xFFFFFFFF)


def check_basic(host, port, rng):
    with connect(host, port) as s:
        sizes = (0, 1, 2, 3, 100, 1460, 1461, 3000, MAX_PAYLOAD)
        for n in sizes:
            p = rng.randbytes(n)
            s.sendall(frame(ECHO, p))
            expect(s, ECHO_REPLY, p, "echo of %d bytes" % n)
        p = bytes(range(256)) * 16
        s.sendall(frame(SUM, p))
        expect(s, SUM_REPLY, sum_reply(p), "sum of 4096 bytes")
        s.sendall(frame(SUM))
        expect(s, SUM_REPLY, sum_reply(b""), "sum of nothing")
        p = rng.randbytes(20)
        for b in frame(ECHO, p):		# one byte per segment (TCP_NODELAY)
            s.send(bytes([b]))
            time.sleep(0.002)
        expect(s, ECHO_REPLY, p, "echo sent one byte per segment")
        s.shutdown(socket.SHUT_WR)
        expect_eof(s, "after our FIN")
    return "basic: %d echoes (0..%d bytes), 2 sums, a byte-per-segment request, " \
           "half-close answered by the server's close" % (len(sizes) + 1, MAX_PAYLOAD)


def check_pipelined(host, port, rng, count, pause_s):
    reqs = []
    for i in range(count):
        n = MAX_PAYLOAD if i % 4 else rng.randrange(0, MAX_PAYLOAD)
        reqs.append((SUM, rng.randbytes(n)) if i % 10 == 9 else (ECHO, rng.randbytes(n)))
    wire = b"".join(frame(t, p) for t, p in reqs)
    errors = []
    with connect(host, port) as s:
        def writer():
            try:
                s.sendall(wire)
                s.shutdown(socket.SHUT_WR)
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(pause_s)	# not reading: the server's replies back up
        try:
            for i, (mtype, p) in enumerate(reqs):
                if mtype == ECHO:
                    expect(s, ECHO_REPLY, p, "pipelined request %d" % i)
                else:
                    expect(s, SUM_REPLY, sum_reply(p), "pipelined request %d" % i)
            expect_eof(s, "after the pipelined requests")
        finally:
            t.join(TIMEOUT_S)
        if errors:
            raise Fail("pipelined: sending failed: %s" % errors[0])
    return "pipelined: %d requests (%d bytes) sent without reading for %.1f s, every " \
           "reply in order" % (count, len(wire), pause_s)


def check_conns(host, port, rng, count):
    socks = [connect(host, port) for _ in range(count)]
    try:
        payloads = [rng.randbytes(rng.randrange(1, 2000)) for _ in socks]
        for s, p in zip(socks, payloads):
            s.sendall(frame(ECHO, p) + frame(SUM, p))
        for s, p in zip(socks, payloads):
            expect(s, ECHO_REPLY, p, "echo on one of %d connections" % count)
            expect(s, SUM_REPLY, sum_reply(p), "sum on one of %d connections" % count)
            s.shutdown(socket.SHUT_WR)
        for s in socks:
            expect_eof(s, "closing one of %d connections" % count)
    finally:
        for s in socks:
            s.close()
    return "conns: %d connections at once, each answered" % count


def check_error(host, port, bad, code, what):
    with connect(host, port) as s:
        s.sendall(frame(ECHO, b"first") + frame(SUM, b"\x01\x02") + bad)
        expect(s, ECHO_REPLY, b"first", what + ": the good request before it")
        expect(s, SUM_REPLY, sum_reply(b"\x01\x02"), what + ": the second good request")
        got = recv_msg(s)
        if got is None or got[0] != ERROR or len(got[1]) < 1 or got[1][0] != code:
            raise Fail("%s: want an ERROR reply with code %d, got %r" % (what, code, got))
        expect_eof(s, what + ": after the error reply")
    return "errors: %s answered by ERROR %d (%s), then the server's FIN" % (
        what, code, got[1][1:].decode(errors="replace"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--pipelined", type=int, default=2000, help="pipelined requests")
    ap.add_argument("--pause-s", type=float, default=1.0,
                    help="how long the pipelined reader waits before reading")
    ap.add_argument("--conns", type=int, default=50, help="concurrent connections")
    ap.add_argument("--seed", type=int, default=20)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    checks = [
        lambda: check_basic(a.host, a.port, rng),
        lambda: check_pipelined(a.host, a.port, rng, a.pipelined, a.pause_s),
        lambda: check_conns(a.host, a.port, rng, a.conns),
        lambda: check_error(a.host, a.port, HDR.pack(0x07, 3) + b"abc", E_TYPE,
                            "an unknown type (0x07)"),
        lambda: check_error(a.host, a.port, HDR.pack(ECHO, MAX_PAYLOAD + 1), E_LENGTH,
                            "a length of %d" % (MAX_PAYLOAD + 1)),
    ]
    for check in checks:
        try:
            print("ok:", check(), flush=True)
        except (Fail, OSError) as e:
            print("FAIL:", e, flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
