"""A kernel-side subscriber of sluice-server --mode pubsub.

Connects, reads lines "P<producer> <sequence> <filler>\\n" and checks that every producer's
sequence counts up from 0 with no gap and no repeat, that each line is between --min and
--max bytes, and that the filler is the one the server writes (letter (seq + offset) % 26),
until each of --producers producers has delivered --messages messages (or, with --quit-after
N, until N lines in all, then it hangs up abruptly). --stall S reads nothing for S seconds
first, so the server's send queue fills and its producers must wait. --until-eof (with
--messages 0: producers that never stop) reads until the server closes with a FIN, which
must come after a whole line (the graceful drain: every record accepted is sent), never
a RST. Prints one summary line; exits 1 on any violation or on the time limit.
"""
import argparse
import re
import socket
import sys
import time

LINE = re.compile(rb"P(\d+) (\d+) ([a-z]*)\n\Z")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--producers", type=int, required=True)
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--min", type=int, default=24)
    ap.add_argument("--max", type=int, default=120)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--quit-after", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--until-eof", action="store_true")
    a = ap.parse_args()

    s = socket.create_connection((a.host, a.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    if a.stall > 0:
        time.sleep(a.stall)
    deadline = time.monotonic() + a.timeout
    s.settimeout(5)
    expect = [0] * a.producers
    total = 0
    nbytes = 0
    buf = b""
    done = 0
    while a.until_eof or done < a.producers:
        if time.monotonic() > deadline:
            print(f"FAIL: time limit; next expected per producer {expect}")
            return 1
        try:
            chunk = s.recv(1 << 16)
        except socket.timeout:
            continue
        except ConnectionResetError:
            print(f"FAIL: connection reset; next expected per producer {expect}")
            return 1
        if not chunk and a.until_eof:
            if buf:
                print(f"FAIL: FIN after {len(buf)} bytes of an incomplete line")
                return 1
            s.close()
            print(f"{total} messages ({nbytes} bytes) from {a.producers} producers, in "
                  f"order, whole lines, then FIN")
            return 0
        if not chunk:
            print(f"FAIL: server closed; next expected per producer {expect}")
            return 1
        nbytes += len(chunk)
        buf += chunk
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            line = buf[start:nl + 1]
            start = nl + 1
            m = LINE.match(line)
            if m is None or not a.min <= len(line) <= a.max:
                print(f"FAIL: bad line {line[:80]!r} (len {len(line)})")
                return 1
            p, seq, filler = int(m.group(1)), int(m.group(2)), m.group(3)
            if p >= a.producers:
                print(f"FAIL: unknown producer {p}")
                return 1
            if seq != expect[p]:
                print(f"FAIL: producer {p}: sequence {seq}, expected {expect[p]}")
                return 1
            off = len(line) - 1 - len(filler)
            want = bytes(ord("a") + (seq + off + i) % 26 for i in range(len(filler)))
            if filler != want:
                print(f"FAIL: producer {p} seq {seq}: filler corrupted")
                return 1
            expect[p] += 1
            total += 1
            if a.messages == 0:
                pass
            elif expect[p] == a.messages:
                done += 1
            elif expect[p] > a.messages:
                print(f"FAIL: producer {p}: more than {a.messages} messages")
                return 1
            if a.quit_after and total >= a.quit_after:
                # Hang up with data unread: the kernel answers with RST.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
                print(f"quit after {total} messages as asked")
                return 0
        buf = buf[start:]
    # Nothing more may come: the producers are done with this subscriber.
    s.settimeout(0.5)
    try:
        extra = s.recv(1 << 16)
    except socket.timeout:
        extra = b""
    if extra:
        print(f"FAIL: {len(extra)} bytes after the last expected message")
        return 1
    s.close()
    print(f"{total} messages ({nbytes} bytes) from {a.producers} producers, in order, exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
