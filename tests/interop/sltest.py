# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the integration tests (run with /usr/bin/python3, Debian's scapy)."""

import json
import os
import socket


def telemetry(prefix, cmd):
    """Run one rte_telemetry command against the DPDK process with this file prefix."""
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    try:
        json.loads(s.recv(16384).decode())          # the greeting
        s.send(cmd.encode())
        reply = json.loads(s.recv(65536).decode())
    finally:
        s.close()
    return reply[cmd.split(",")[0]]


def resp_cmd(*args):
    """A RESP request: an array of bulk strings (str, int or bytes arguments)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def resp_bulk(s):
    """A RESP bulk string reply (str, int or bytes)."""
    s = s if isinstance(s, bytes) else str(s).encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def stats(prefix):
    return telemetry(prefix, "/sluice/stats")


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        raise SystemExit("missing environment variable %s" % name)
    return v
