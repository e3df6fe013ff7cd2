# SPDX-License-Identifier: BSD-3-Clause
"""The Linux kernel's side of the TCP interop tests: plain sockets, run with
/usr/bin/python3 inside the test's network namespace.

    tcppeer.py bulk HOST PORT --bytes N [--rcvbuf B] [--read-delay-ms D] [--stall-ms S]
        send N random bytes to an echo server while reading them back; compare
        (a slow reader: D ms after each read of 1 KB, S ms after every 256 KB)
    tcppeer.py many HOST PORT --conns N
        hold N connections open at once, one echo exchange on each, then close all
    tcppeer.py short HOST PORT --count N
        N connections in a row: connect, one echo exchange, close
    tcppeer.py keepalive HOST PORT --idle-s I --wait-s W
        enable Linux keepalive probes (idle I s, interval 1 s, 3 probes), stay idle
        W s, then prove the connection still works
    tcppeer.py serve PORT --conns N [--rcvbuf B] [--read-delay-ms D]
        a Linux echo server for sluice's client mode (N connections, then exit)

Every command exits 0 on success and prints one line of figures."""

import argparse
import hashlib
import os
import socket
import sys
import threading
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def connect(host, port, rcvbuf=None, timeout=30):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        b = s.recv(min(65536, n - len(buf)))
        if not b:
            fail("connection closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return bytes(buf)


def echo_exchange(s, data, read_delay_ms=0, stall_ms=0, shut=True):
    """Send data on s while a thread reads the echo back (read_delay_ms after each
    read, stall_ms at every 256 KiB); fail unless the echo is byte for byte the same.
    shut: half-close once everything is sent. Returns the seconds it took."""
    want = hashlib.sha256(data).hexdigest()
    got = hashlib.sha256()
    count = [0]
    err = []

    def reader():
        try:
            while count[0] < len(data):
                b = s.recv(1024 if read_delay_ms else 262144)
                if not b:
                    break
                got.update(b)
                before = count[0]
                count[0] += len(b)
                if read_delay_ms:
                    time.sleep(read_delay_ms / 1000.0)
                if stall_ms and before // 262144 != count[0] // 262144:
                    time.sleep(stall_ms / 1000.0)
        except OSError as e:
            err.append(str(e))

    t0 = time.time()
    th = threading.Thread(target=reader)
    th.start()
    view = memoryview(data)
    for off in range(0, len(data), 1 << 20):
        s.sendall(view[off:off + (1 << 20)])
    if shut:
        s.shutdown(socket.SHUT_WR)
    th.join(timeout=600)
    dt = time.time() - t0
    if err:
        fail("read error: " + err[0])
    if count[0] != len(data):
        fail("received %d of %d bytes" % (count[0], len(data)))
    if got.hexdigest() != want:
        fail("sha256 of the echo differs from the bytes sent")
    return dt


def cmd_bulk(a):
    data = os.urandom(a.bytes)
    want = hashlib.sha256(data).hexdigest()
    s = connect(a.host, a.port, a.rcvbuf, timeout=120)
    dt = echo_exchange(s, data, a.read_delay_ms, a.stall_ms)
    if s.recv(1) != b"":
        fail("no FIN after the echo")
    s.close()
    print("bulk: %d bytes each way, sha256 %s..., %.2f s, %.1f Mbit/s each way" %
          (a.bytes, want[:16], dt, a.bytes * 8 / dt / 1e6), flush=True)


def cmd_many(a):
    socks = []
    t0 = time.time()
    for i in range(a.conns):
        socks.append(connect(a.host, a.port))
    for i, s in enumerate(socks):
        s.sendall(b"conn %06d\n" % i)
    for i, s in enumerate(socks):
        if recv_exact(s, 12) != b"conn %06d\n" % i:
            fail("wrong echo on connection %d" % i)
    opened = time.time() - t0
    for s in socks:
        s.shutdown(socket.SHUT_WR)
    for i, s in enumerate(socks):
        if s.recv(1) != b"":
            fail("connection %d: no FIN" % i)
        s.close()
    print("many: %d concurrent connections, all echoed, opened+exchanged in %.2f s" %
          (a.conns, opened), flush=True)


def cmd_short(a):
    t0 = time.time()
    for i in range(a.count):
        s = connect(a.host, a.port, timeout=10)
        msg = b"short %08d" % i
        s.sendall(msg)
        if recv_exact(s, len(msg)) != msg:
            fail("wrong echo on connection %d" % i)
        s.close()
    dt = time.time() - t0
    print("short: %d connections in a row in %.2f s (%.0f connections/s)" %
          (a.count, dt, a.count / dt), flush=True)


def cmd_keepalive(a):
    s = connect(a.host, a.port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, a.idle_s)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    s.sendall(b"before")
    recv_exact(s, 6)
    # Unanswered, 3 probes 1 s apart would kill the connection after idle + 3 s.
    time.sleep(a.wait_s)
    try:
        s.sendall(b"after!")
        if recv_exact(s, 6) != b"after!":
            fail("wrong echo after the idle period")
    except OSError as e:
        fail("connection died while idle (keepalive probes unanswered?): %s" % e)
    s.close()
    print("keepalive: idle %d s with probes every second, connection alive" % a.wait_s,
          flush=True)


def cmd_serve(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(128)
    ls.settimeout(60)
    print("serve: listening on %d" % a.port, flush=True)
    done = []

    def echo(c):
        n = 0
        c.settimeout(300)
        while True:
            b = c.recv(1024 if a.read_delay_ms else 262144)
            if not b:
                break
            c.sendall(b)
            if a.stall_ms and n // 262144 != (n + len(b)) // 262144:
                time.sleep(a.stall_ms / 1000.0)
            n += len(b)
            if a.read_delay_ms:
                time.sleep(a.read_delay_ms / 1000.0)
        c.shutdown(socket.SHUT_WR)
        c.close()
        done.append(n)

    threads = []
    for _ in range(a.conns):
        c, _ = ls.accept()
        th = threading.Thread(target=echo, args=(c,))
        th.start()
        threads.append(th)
    for th in threads:
        th.join(timeout=600)
    print("serve: echoed %s bytes" % done, flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("bulk", "many", "short", "keepalive"):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("--bytes", type=int, default=1 << 20)
        c.add_argument("--rcvbuf", type=int, default=0)
        c.add_argument("--read-delay-ms", type=float, default=0)
        c.add_argument("--stall-ms", type=float, default=0)
        c.add_argument("--conns", type=int, default=100)
        c.add_argument("--count", type=int, default=100)
        c.add_argument("--idle-s", type=int, default=1)
        c.add_argument("--wait-s", type=int, default=6)
    c = sub.add_parser("serve")
    c.add_argument("port", type=int)
    c.add_argument("--conns", type=int, default=1)
    c.add_argument("--rcvbuf", type=int, default=0)
    c.add_argument("--read-delay-ms", type=float, default=0)
    c.add_argument("--stall-ms", type=float, default=0)
    a = p.parse_args()
    {"bulk": cmd_bulk, "many": cmd_many, "short": cmd_short, "keepalive": cmd_keepalive,
     "serve": cmd_serve}[a.cmd](a)


if __name__ == "__main__":
    main()
