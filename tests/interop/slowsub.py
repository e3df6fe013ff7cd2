"""Subscribers of sluice-server --mode pubsub for tests/interop/test_pubsub_slow.sh.

Lines are "P<producer> <sequence> <filler>\\n"; each producer's sequence counts from 0 for
each subscriber.

--role fast: reads as fast as it can until every one of --producers producers has
delivered --messages messages; any gap, repeat or bad line fails. Prints the count, the
time from the first byte to the last message and the rate, then "RATE=<messages/s>".

--role stalled: a subscriber that does not read. Its receive buffer is 4 KiB (set before
connecting, so the window it offers stays small), and it reads nothing for --stall
seconds, then reads what there is:
  --expect reset  the server must have reset it (ECONNRESET, or EOF: either ends it);
                  what arrived before must be in order with no gap;
  --expect gaps   the server skipped messages for it: sequences must only go up, with at
                  least one jump; it reads until every producer reached --messages - 1 or
                  nothing came for --idle seconds, and counts the skipped messages (jumps,
                  plus the missing tail up to --messages). Prints "GAPS=<count>".
Every run is bounded by --timeout. Exits 1 on any violation.
"""
import argparse
import socket
import sys
import time


class Checker:
    def __init__(self, producers, gaps_ok):
        self.expect = [0] * producers
        self.gaps = 0
        self.jumps = 0
        self.total = 0
        self.buf = b""
        self.gaps_ok = gaps_ok

    def feed(self, chunk):
        """Check the whole lines in chunk; return an error string or None."""
        buf = self.buf + chunk
        lines = buf.split(b"\n")
        self.buf = lines.pop()
        expect = self.expect
        for line in lines:
            if line[:1] != b"P":
                return f"bad line {line[:60]!r}"
            parts = line[1:].split(b" ", 2)
            if len(parts) != 3:
                return f"bad line {line[:60]!r}"
            p, seq = int(parts[0]), int(parts[1])
            if p >= len(expect):
                return f"producer {p} out of range"
            if seq != expect[p]:
                if not self.gaps_ok or seq < expect[p]:
                    return f"producer {p}: sequence {seq}, expected {expect[p]}"
                self.gaps += seq - expect[p]
                self.jumps += 1
            expect[p] = seq + 1
            self.total += 1
        return None


def fast(a):
    s = socket.create_connection((a.host, a.port), timeout=10)
    s.settimeout(2)
    ck = Checker(a.producers, False)
    deadline = time.monotonic() + a.timeout
    t0 = None
    while min(ck.expect) < a.messages:
        if time.monotonic() > deadline:
            print(f"FAIL: time limit; next expected per producer {ck.expect}")
            return 1
        try:
            chunk = s.recv(1 << 18)
        except socket.timeout:
            continue
        except ConnectionResetError:
            print(f"FAIL: reset; next expected per producer {ck.expect}")
            return 1
        if not chunk:
            print(f"FAIL: server closed; next expected per producer {ck.expect}")
            return 1
        if t0 is None:
            t0 = time.monotonic()
        err = ck.feed(chunk)
        if err:
            print(f"FAIL: {err}")
            return 1
    t = time.monotonic() - t0
    s.close()
    rate = ck.total / t if t > 0 else 0.0
    print(f"fast: {ck.total} messages from {a.producers} producers in order, no gap, "
          f"in {t:.2f} s: {rate:.0f} messages/s")
    print(f"RATE={rate:.0f}")
    return 0


def stalled(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((a.host, a.port))
    print("stalled: connected, not reading", flush=True)
    time.sleep(a.stall)
    s.settimeout(0.5)
    ck = Checker(a.producers, a.expect == "gaps")
    deadline = time.monotonic() + a.timeout
    last = time.monotonic()
    how = None
    while True:
        now = time.monotonic()
        if now > deadline:
            print(f"FAIL: time limit; next expected per producer {ck.expect}")
            return 1
        if a.expect == "gaps" and (min(ck.expect) >= a.messages or now - last > a.idle):
            break
        try:
            chunk = s.recv(1 << 16)
        except socket.timeout:
            continue
        except ConnectionResetError:
            how = "reset (ECONNRESET)"
            break
        if not chunk:
            how = "closed (EOF)"
            break
        last = time.monotonic()
        err = ck.feed(chunk)
        if err:
            print(f"FAIL: {err}")
            return 1
    s.close()
    if a.expect == "reset":
        if how is None:
            print("FAIL: not reset")
            return 1
        print(f"stalled: {ck.total} messages in order, then {how}")
        return 0
    if how is not None:
        print(f"FAIL: {how} under the drop policy, after {ck.total} messages")
        return 1
    tail = sum(a.messages - e for e in ck.expect if e < a.messages)
    gaps = ck.gaps + tail
    if gaps == 0:
        print(f"FAIL: no gap in {ck.total} messages")
        return 1
    print(f"stalled: {ck.total} messages in order with {ck.jumps} jump(s) skipping "
          f"{ck.gaps} and a tail of {tail} never sent: {gaps} skipped")
    print(f"GAPS={gaps}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--role", choices=("fast", "stalled"), required=True)
    ap.add_argument("--producers", type=int, required=True)
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--expect", choices=("reset", "gaps"), default="reset")
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()
    return fast(a) if a.role == "fast" else stalled(a)


if __name__ == "__main__":
    sys.exit(main())
