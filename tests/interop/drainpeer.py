# SPDX-License-Identifier: BSD-3-Clause
"""Linux clients for the graceful drain test (test_drain.sh), run with /usr/bin/python3
inside the test's network namespace against `sluice-server --mode http`.

    drainpeer.py HOST PORT --conns N --body-len L --ready FILE --go FILE
                 [--rcvbuf B] [--stuck K] [--stuck-go FILE] [--stuck-expect reset|none]
                 [--readers-done FILE] [--timeout S]

Opens N connections with a small receive buffer (B bytes, set before connect so the
window stays small), sends one GET on each and writes FILE --ready: the server has
queued a response of L body bytes on every connection, of which the kernel can hold only
about B, so the rest is in flight in sluice's send queues. Then waits for --go (the test
has sent SIGTERM) and reads every connection to its end.

Expectation, exact: each of the N - K readers receives the whole response (status 200,
Content-Length L, the body sluice-server sends: "Hello, world\\n" repeated, cut to L),
nothing after it, then a FIN (recv returns 0), never ECONNRESET. The K last connections
(--stuck) do not read until --stuck-go appears (after the server exited): their data
could not leave, the drain deadline reset them, so they must end with ECONNRESET
(--stuck-expect none: they are not read at all). --readers-done is written once the
readers are done.

Exits 0 when everything matched, printing one line of figures; else prints FAIL lines."""

import argparse
import os
import selectors
import socket
import sys
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def wait_file(path, deadline, what):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what)
        time.sleep(0.02)


def expected_body(n):
    text = b"Hello, world\n"
    return (text * (n // len(text) + 1))[:n]


def check_response(i, data, body_len, body):
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return "connection %d: no complete response head in %d bytes" % (i, len(data))
    head = data[:head_end].decode("latin-1").split("\r\n")
    if not head[0].startswith("HTTP/1.1 200"):
        return "connection %d: status line %r" % (i, head[0])
    clen = None
    for h in head[1:]:
        k, _, v = h.partition(":")
        if k.strip().lower() == "content-length":
            clen = int(v.strip())
    if clen != body_len:
        return "connection %d: Content-Length %r, expected %d" % (i, clen, body_len)
    got = data[head_end + 4:]
    if len(got) != body_len:
        return "connection %d: body of %d bytes, expected exactly %d" % (
            i, len(got), body_len)
    if got != body:
        return "connection %d: body bytes differ" % i
    return None


def read_all(socks, deadline):
    """Read every socket to its end: returns {index: (bytes, 'eof'|'reset'|'timeout')}."""
    sel = selectors.DefaultSelector()
    bufs = {}
    result = {}
    for i, s in socks.items():
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        bufs[i] = bytearray()
    while len(result) < len(socks):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(timeout=min(left, 0.5)):
            i = key.data
            try:
                b = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                result[i] = (bytes(bufs[i]), "reset")
                sel.unregister(key.fileobj)
                continue
            if not b:
                # A well-behaved client closes on EOF: its FIN ends sluice's
                # FIN-WAIT-2, so the connection is done for the drain.
                result[i] = (bytes(bufs[i]), "eof")
                sel.unregister(key.fileobj)
                key.fileobj.close()
            else:
                bufs[i] += b
    for i in socks:
        if i not in result:
            result[i] = (bytes(bufs[i]), "timeout")
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, required=True)
    ap.add_argument("--body-len", type=int, required=True)
    ap.add_argument("--rcvbuf", type=int, default=4096)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--stuck", type=int, default=0)
    ap.add_argument("--stuck-go")
    ap.add_argument("--stuck-expect", choices=["reset", "none"], default="reset")
    ap.add_argument("--readers-done")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    deadline = time.monotonic() + a.timeout
    body = expected_body(a.body_len)

    socks = {}
    for i in range(a.conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
        s.settimeout(10)
        try:
            s.connect((a.host, a.port))
            s.sendall(b"GET /drain HTTP/1.1\r\nHost: sluice\r\n\r\n")
        except OSError as e:
            fail("connection %d: %s" % (i, e))
        socks[i] = s
    # Let the requests reach the server and the responses fill the windows.
    time.sleep(0.5)
    with open(a.ready, "w") as f:
        f.write("ready\n")
    wait_file(a.go, deadline, "the go file (SIGTERM sent)")

    readers = {i: s for i, s in socks.items() if i < a.conns - a.stuck}
    stuck = {i: s for i, s in socks.items() if i >= a.conns - a.stuck}
    res = read_all(readers, deadline)
    errors = []
    total = 0
    for i, (data, how) in sorted(res.items()):
        total += len(data)
        if how != "eof":
            errors.append("connection %d: ended by %s after %d bytes, expected FIN" % (
                i, how, len(data)))
            continue
        e = check_response(i, data, a.body_len, body)
        if e:
            errors.append(e)
    if a.readers_done:
        with open(a.readers_done, "w") as f:
            f.write("done\n")
    if stuck:
        # Keep them open (closing with unread data would send RST and end the drain).
        wait_file(a.stuck_go, deadline, "the stuck-go file (server exited)")
    if stuck and a.stuck_expect == "reset":
        sres = read_all(stuck, deadline)
        for i, (data, how) in sorted(sres.items()):
            if how != "reset":
                errors.append("stuck connection %d: ended by %s after %d bytes, "
                              "expected RST (ECONNRESET)" % (i, how, len(data)))
    for s in socks.values():
        s.close()
    for e in errors[:20]:
        print("FAIL: " + e)
    if errors:
        print("FAIL: %d of %d connections wrong" % (len(errors), a.conns), flush=True)
        sys.exit(1)
    print("%d connections read %d bytes in all, each the whole response then FIN%s" % (
        len(readers), total, "; %d stuck connection(s) %s" % (
            len(stuck), "reset" if a.stuck_expect == "reset" else "left unread")
        if stuck else ""), flush=True)


if __name__ == "__main__":
    main()
