# SPDX-License-Identifier: BSD-3-Clause
"""The kernel's side of the small-writes comparison: N writes of S bytes through a Linux
TCP socket with TCP_NODELAY, over loopback inside the test's namespace, to a sink that
reads everything. Prints the writes (one send() system call each), the data segments the
kernel sent (TCP_INFO tcpi_data_segs_out) and writes per segment, for the same figures
sluice-server prints on its send path line. Exits 1 if the sink got the wrong byte count.

    smallwrites.py --writes N --size S
"""
import argparse
import socket
import struct
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--writes", type=int, default=1000000)
    ap.add_argument("--size", type=int, default=16)
    a = ap.parse_args()

    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    got = [0]

    def sink():
        c, _ = ls.accept()
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            got[0] += len(b)
        c.close()

    t = threading.Thread(target=sink)
    t.start()
    s = socket.create_connection(ls.getsockname())
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * a.size
    for _ in range(a.writes):
        s.sendall(msg)
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    s.shutdown(socket.SHUT_WR)
    t.join(60)
    s.close()
    data_segs_out = struct.unpack_from("I", info, 156)[0]
    if got[0] != a.writes * a.size:
        print(f"FAIL: sink got {got[0]} bytes, expected {a.writes * a.size}")
        return 1
    print(f"kernel TCP_NODELAY: {a.writes} writes ({a.writes} send() calls), "
          f"{data_segs_out} data segments, {a.writes / max(data_segs_out, 1):.2f} writes/segment")
    return 0


if __name__ == "__main__":
    sys.exit(main())
