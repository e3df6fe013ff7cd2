# SPDX-License-Identifier: BSD-3-Clause
"""The kernel side of scripts/soak.sh: holds --idle connections open to sluice's echo
server for the whole run while --threads threads churn short connections (connect, echo a
line, close), until --seconds have passed. At the end every idle connection must still
echo. Prints one summary line; exit status 1 on any lost or corrupted echo."""

import argparse
import os
import socket
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("--idle", type=int, default=1000)
ap.add_argument("--threads", type=int, default=4)
ap.add_argument("--seconds", type=float, default=60)
ap.add_argument("--stop-file")
a = ap.parse_args()

deadline = time.time() + a.seconds
lock = threading.Lock()
tot = {"conns": 0, "bad": 0, "errors": 0}


def echo(s, msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(len(msg) - len(got))
        if not b:
            return False
        got += b
    return got == msg


def running():
    return time.time() < deadline and not (a.stop_file and os.path.exists(a.stop_file))


def churn(tid):
    i = 0
    while running():
        msg = b"churn %d %d\n" % (tid, i)
        try:
            s = socket.create_connection((a.host, a.port), timeout=15)
            ok = echo(s, msg)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)
            s.close()
            with lock:
                tot["conns"] += 1
                tot["bad"] += not ok
        except OSError:
            with lock:
                tot["errors"] += 1
        i += 1


idle = []
for i in range(a.idle):
    s = socket.create_connection((a.host, a.port), timeout=15)
    idle.append(s)
ts = [threading.Thread(target=churn, args=(t,)) for t in range(a.threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
dead = 0
for i, s in enumerate(idle):
    try:
        dead += not echo(s, b"idle %d\n" % i)
        s.close()
    except OSError:
        dead += 1
print("soakpeer: %d churned connections, %d bad echoes, %d errors; %d idle held, %d lost" %
      (tot["conns"], tot["bad"], tot["errors"], a.idle, dead))
# Under injected loss a connect may time out now and then; a wrong echo or a lost idle
# connection never.
sys.exit(1 if tot["bad"] or dead or tot["errors"] > tot["conns"] // 100 else 0)
