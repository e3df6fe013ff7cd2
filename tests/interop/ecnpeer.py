# SPDX-License-Identifier: BSD-3-Clause
"""The Linux kernel's side of the ECN interop test (test_tcp_ecn.sh): tcppeer.py's bulk
client and echo server, which also report what the kernel's TCP saw of ECN on the
connection while it is still open (TCP_INFO, and `ss -tein` for a person to read: with
iproute2 6.1 on newer kernels `ss -tin` alone leaves out the option flags). Run
with /usr/bin/python3 inside the test's namespace, where net.ipv4.tcp_ecn says whether
the kernel asks for ECN (1), only accepts it (2) or neither (0).

    ecnpeer.py bulk HOST PORT --bytes N [--cc NAME]
        send N random bytes to an echo server while reading them back; compare; report
        before closing
    ecnpeer.py serve PORT [--cc NAME]
        echo one connection (sluice's client mode); report when the peer's FIN came

The report is two lines and the `ss` output:
    tcp_info: ecn=0|1 ecnseen=0|1 delivered=N delivered_ce=N ssthresh=N cwnd=N
              retrans=N cc=NAME
    ss: ...
ecn: ECN agreed (TCPI_OPT_ECN); ecnseen: an ECT or CE packet arrived (TCPI_OPT_ECN_SEEN);
delivered_ce: segments the peer acknowledged with ECE; ssthresh 2147483647 means the
window was never reduced. Exits 0 when every byte came back."""

import argparse
import hashlib
import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcppeer  # noqa: E402

TCPI_OPT_ECN = 8
TCPI_OPT_ECN_SEEN = 16


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def set_cc(s, cc):
    if cc:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())


def report(s, port):
    """What the kernel knows of ECN on socket s (struct tcp_info, linux/tcp.h)."""
    ti = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    options = ti[5]
    ssthresh, cwnd = struct.unpack_from("=II", ti, 76)
    retrans = struct.unpack_from("=I", ti, 100)[0]
    delivered, delivered_ce = struct.unpack_from("=II", ti, 192) if len(ti) >= 200 \
        else (0, 0)
    cc = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0")
    print("tcp_info: ecn=%d ecnseen=%d delivered=%d delivered_ce=%d ssthresh=%d "
          "cwnd=%d retrans=%d cc=%s" %
          (bool(options & TCPI_OPT_ECN), bool(options & TCPI_OPT_ECN_SEEN), delivered,
           delivered_ce, ssthresh, cwnd, retrans, cc.decode()), flush=True)
    ss = subprocess.run(["ss", "-tein", "( sport = :%d or dport = :%d )" % (port, port)],
                        capture_output=True, text=True, timeout=10)
    for line in ss.stdout.splitlines()[1:]:
        print("ss: " + line.strip(), flush=True)


def cmd_bulk(a):
    data = os.urandom(a.bytes)
    want = hashlib.sha256(data).hexdigest()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    set_cc(s, a.cc)
    s.settimeout(120)
    s.connect((a.host, a.port))
    # The connection's tcp_info is read before the FIN: no half-close yet.
    dt = tcppeer.echo_exchange(s, data, shut=False)
    report(s, a.port)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        fail("no FIN after the echo")
    s.close()
    print("bulk: %d bytes each way, sha256 %s..., %.2f s" % (a.bytes, want[:16], dt),
          flush=True)


def cmd_serve(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_cc(ls, a.cc)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(8)
    ls.settimeout(60)
    print("serve: listening on %d" % a.port, flush=True)
    c, _ = ls.accept()
    c.settimeout(300)
    n = 0
    while True:
        b = c.recv(262144)
        if not b:
            break
        c.sendall(b)
        n += len(b)
    report(c, a.port)
    c.shutdown(socket.SHUT_WR)
    c.close()
    print("serve: echoed %d bytes" % n, flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("bulk")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--bytes", type=int, default=1 << 20)
    c.add_argument("--cc", default="")
    c = sub.add_parser("serve")
    c.add_argument("port", type=int)
    c.add_argument("--cc", default="")
    a = p.parse_args()
    {"bulk": cmd_bulk, "serve": cmd_serve}[a.cmd](a)


if __name__ == "__main__":
    main()
