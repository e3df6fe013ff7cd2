#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Linux side and the report of scripts/lossbench.sh (run with /usr/bin/python3).

Transfers (each prints one JSON line, appended to --out; exit 1 on failure):
  lossbench.py echo HOST PORT --bytes N    send N random bytes to an echo server while
                                           reading them back; check them (SHA-256), wait
                                           for the server's FIN; timed from the
                                           connection's establishment to that FIN
  lossbench.py send HOST PORT --bytes N    send N bytes to a discard server, half-close,
                                           wait for its FIN (it has read everything)
  lossbench.py sink PORT --bytes N         accept one connection, read until its FIN,
                                           check that N bytes came; timed from accept
  lossbench.py source HOST PORT --bytes N  connect, send N bytes, half-close, wait for
                                           the peer's FIN (the Linux pair's sender for sink)
  lossbench.py serve --echo P --discard Q  Linux echo and discard servers, threads, until
                                           SIGTERM or --max-s

Every Linux socket of these commands takes --cc NAME: its congestion control
(setsockopt TCP_CONGESTION; an accepted connection inherits the listener's). Without it,
the namespace's default applies (net.ipv4.tcp_congestion_control, which may be bbr).

Counters around a transfer (echo, send, sink), as differences in the JSON line:
  --telemetry PREFIX   sluice's /sluice/stats through rte_telemetry (the loss counters)
  --netns NS           the kernel's TCP counters (/proc/net/netstat, /proc/net/snmp) of
                       namespace NS, read through `ip netns exec` (repeatable)
  --iptables           the packet counts of this namespace's DROP rules (INPUT, OUTPUT)
  --tag K=V            copied into the JSON line (stack, workload, loss, rep)

Report:
  lossbench.py sluice-log LOG              sluice-server's exit counters as JSON
  lossbench.py merge RUN_JSON LOG          add a finished sluice-server's exit counters
                                           (LOG) to a one-line RUN_JSON, in place
  lossbench.py report DIR                  DIR/runs.jsonl (+ DIR/memif/*.json) -> table
                                           (DIR/table.txt), DIR/lossbench.json,
                                           DIR/lossbench.svg; exit 1 if DIR has no runs
"""

import argparse
import hashlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

MB = 1 << 20

# The counters kept per run (differences over the run).
SLUICE_KEYS = ["tcp_rto", "tcp_recoveries", "tcp_fast_retransmit", "tcp_rack_lost",
               "tcp_tlp_sent", "tcp_tlp_recovered", "tcp_dsack_rx", "tcp_undo",
               "tcp_retransmit_segs", "tcp_dupacks", "tcp_ooo_segs", "tcp_tx_data_segs",
               "tcp_rx_segs", "tcp_tx_segs", "tcp_app_bytes", "tcp_conn_timeout",
               "fault_drop"]
LINUX_KEYS = ["TcpExtTCPTimeouts", "TcpExtTCPSackRecovery", "TcpExtTCPRenoRecovery",
              "TcpExtTCPLossProbes", "TcpExtTCPLossProbeRecovery",
              "TcpExtTCPSackRecoveryFail", "TcpExtTCPDSACKRecv", "TcpExtTCPSpuriousRTOs",
              "TcpExtTCPLostRetransmit", "TcpExtTCPSACKReorder", "TcpRetransSegs",
              "TcpOutSegs", "TcpInSegs"]


def die(msg):
    print("lossbench: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


# ---- counters ----

def telemetry(prefix, cmd="/sluice/stats"):
    """One rte_telemetry command against the DPDK process with this file prefix."""
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    try:
        json.loads(s.recv(16384).decode())      # the greeting
        s.send(cmd.encode())
        buf = s.recv(1 << 20)
    finally:
        s.close()
    return json.loads(buf.decode())[cmd]


def netstat(ns):
    """TcpExt* and Tcp* counters of namespace ns (None: this one)."""
    cmd = ["cat", "/proc/net/netstat", "/proc/net/snmp"]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    text = subprocess.run(cmd, check=True, capture_output=True, text=True,
                          timeout=10).stdout
    out, lines = {}, text.splitlines()
    for i in range(0, len(lines) - 1):
        a, b = lines[i].split(), lines[i + 1].split()
        if not a or a[0] != b[0] or a[0] not in ("TcpExt:", "Tcp:") or a == b:
            continue
        pfx = a[0][:-1]
        for k, v in zip(a[1:], b[1:]):
            try:
                out[pfx + k] = int(v)
            except ValueError:
                pass
    return out


def iptables_drops():
    """Packets the statistic DROP rules of this namespace dropped, per chain."""
    out = {}
    for chain in ("INPUT", "OUTPUT"):
        r = subprocess.run(["iptables", "-w", "5", "-nvxL", chain], capture_output=True,
                           text=True, timeout=10)
        n = 0
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) > 2 and f[2] == "DROP" and "statistic" in line:
                n += int(f[0])
        out[chain.lower()] = n
    return out


class Counters:
    """Snapshots before and after a transfer; the differences go into the result."""

    def __init__(self, a):
        self.a = a
        self.before = self.snap()

    def snap(self):
        a, s = self.a, {}
        if a.telemetry:
            st = telemetry(a.telemetry)
            s["sluice"] = {k: st.get(k, 0) for k in SLUICE_KEYS}
        for ns in a.netns:
            st = netstat(ns)
            s["linux:" + ns] = {k: st.get(k, 0) for k in LINUX_KEYS}
        if a.iptables:
            s["drops"] = iptables_drops()
        return s

    def delta(self):
        after, out = self.snap(), {}
        for grp, vals in after.items():
            out[grp] = {k: v - self.before[grp].get(k, 0) for k, v in vals.items()}
        return out


def emit(a, rec):
    for t in a.tag:
        k, _, v = t.partition("=")
        rec[k] = float(v) if re.fullmatch(r"[0-9.]+", v) and k == "loss" else v
    line = json.dumps(rec, sort_keys=True)
    print(line, flush=True)
    if a.out:
        with open(a.out, "a") as f:
            f.write(line + "\n")


# ---- transfers ----

def set_cc(s, name):
    """Give socket s the congestion control name (TCP_CONGESTION), or die."""
    if not name:
        return
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, name.encode())
        got = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
    except OSError as e:
        die("congestion control %s: %s (net.ipv4.tcp_available_congestion_control?)"
            % (name, e))
    if got.rstrip(b"\0").decode() != name:
        die("congestion control %s not taken (got %r)" % (name, got))


def connect(host, port, timeout, cc=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    set_cc(s, cc)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def recv_until_eof(s, limit, deadline, h=None):
    n = 0
    while True:
        if time.time() > deadline:
            die("timed out after %d bytes" % n)
        b = s.recv(262144)
        if not b:
            return n
        n += len(b)
        if h is not None:
            h.update(b)
        if n > limit:
            die("more bytes than expected (%d > %d)" % (n, limit))


def cmd_echo(a):
    data = os.urandom(a.bytes)
    want = hashlib.sha256(data).hexdigest()
    deadline = time.time() + a.timeout
    s = connect(a.host, a.port, a.timeout, a.cc)
    c = Counters(a)
    got = hashlib.sha256()
    res, err = [0], []

    def reader():
        try:
            res[0] = recv_until_eof(s, a.bytes, deadline, got)
        except (OSError, SystemExit) as e:
            err.append(str(e) or "read failed")

    t0 = time.time()
    th = threading.Thread(target=reader)
    th.start()
    view = memoryview(data)
    try:
        for off in range(0, a.bytes, 1 << 20):
            s.sendall(view[off:off + (1 << 20)])
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        die("send failed: %s" % e)
    th.join(timeout=max(1, deadline - time.time()))
    dt = time.time() - t0
    if th.is_alive():
        die("timed out after %d of %d bytes" % (res[0], a.bytes))
    if err:
        die("read error: " + err[0])
    if res[0] != a.bytes or got.hexdigest() != want:
        die("echo differs: %d of %d bytes, sha256 %s" %
            (res[0], a.bytes, "ok" if got.hexdigest() == want else "differs"))
    s.close()
    emit(a, {"ok": True, "bytes": a.bytes, "secs": dt,
             "mbps": a.bytes * 8 / dt / 1e6, "counters": c.delta()})


def cmd_send(a):
    data = os.urandom(a.bytes)
    deadline = time.time() + a.timeout
    s = connect(a.host, a.port, a.timeout, a.cc)
    c = Counters(a)
    t0 = time.time()
    view = memoryview(data)
    try:
        for off in range(0, a.bytes, 1 << 20):
            s.sendall(view[off:off + (1 << 20)])
        s.shutdown(socket.SHUT_WR)
        n = recv_until_eof(s, 0, deadline)
    except OSError as e:
        die("send failed: %s" % e)
    dt = time.time() - t0
    if n != 0:
        die("the discard server sent %d bytes" % n)
    s.close()
    emit(a, {"ok": True, "bytes": a.bytes, "secs": dt,
             "mbps": a.bytes * 8 / dt / 1e6, "counters": c.delta()})


def cmd_sink(a):
    deadline = time.time() + a.timeout
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_cc(ls, a.cc)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(4)
    ls.settimeout(a.timeout)
    # The counters start before the connection: the sender may be fast.
    c = Counters(a)
    try:
        s, _ = ls.accept()
    except OSError as e:
        die("no connection: %s" % e)
    t0 = time.time()
    s.settimeout(a.timeout)
    try:
        n = recv_until_eof(s, a.bytes, deadline)
    except OSError as e:
        die("receive failed: %s" % e)
    dt = time.time() - t0
    s.close()
    ls.close()
    if n != a.bytes:
        die("received %d of %d bytes" % (n, a.bytes))
    emit(a, {"ok": True, "bytes": a.bytes, "secs": dt,
             "mbps": a.bytes * 8 / dt / 1e6, "counters": c.delta()})


def cmd_source(a):
    data = os.urandom(a.bytes)
    deadline = time.time() + a.timeout
    s = connect(a.host, a.port, a.timeout, a.cc)
    view = memoryview(data)
    try:
        for off in range(0, a.bytes, 1 << 20):
            s.sendall(view[off:off + (1 << 20)])
        s.shutdown(socket.SHUT_WR)
        recv_until_eof(s, 0, deadline)
    except OSError as e:
        die("send failed: %s" % e)
    s.close()


def cmd_serve(a):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def conn(c, echo):
        try:
            c.settimeout(a.max_s)
            while True:
                b = c.recv(262144)
                if not b:
                    break
                if echo:
                    c.sendall(b)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            c.close()

    def listener(port, echo):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        set_cc(ls, a.cc)
        ls.bind(("0.0.0.0", port))
        ls.listen(16)
        ls.settimeout(0.5)
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            threading.Thread(target=conn, args=(c, echo), daemon=True).start()
        ls.close()

    for port, echo in ((a.echo, True), (a.discard, False)):
        if port:
            threading.Thread(target=listener, args=(port, echo), daemon=True).start()
    print("serve: listening", flush=True)
    stop.wait(a.max_s)


# ---- sluice-server's exit report ----

def sluice_log_counters(path):
    """The counters sluice-server printed at exit ("  name  value" after 'stopped')."""
    out, on = {}, False
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("sluice-server: stopped; counters:"):
                on, out = True, {}
                continue
            if on:
                m = re.match(r"^  ([a-z0-9_]+) +([0-9]+)\s*$", line)
                if m:
                    out[m.group(1)] = int(m.group(2))
                elif not line.startswith("  "):
                    on = False
    return {k: out.get(k, 0) for k in SLUICE_KEYS} if out else None


def cmd_sluice_log(a):
    c = sluice_log_counters(a.log)
    if c is None:
        die("no exit counters in %s" % a.log)
    print(json.dumps(c, sort_keys=True))


def cmd_merge(a):
    with open(a.run) as f:
        rec = json.loads(f.read().strip().splitlines()[-1])
    c = sluice_log_counters(a.log)
    if c is None:
        die("no exit counters in %s" % a.log)
    rec.setdefault("counters", {})["sluice"] = c
    with open(a.run, "w") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


# ---- report ----

WORKLOADS = [("echo", "echo, each way"), ("up", "Linux -> sluice"),
             ("down", "sluice -> Linux")]
STACKS = ["sluice", "linux"]


def rtos(rec):
    """RTOs of the stack in sluice's role (sluice, or the Linux server-side namespace)
    and of its peer (the Linux client side, where the drop rules are)."""
    c = rec.get("counters", {})
    if rec["stack"] == "sluice":
        own = c.get("sluice", {}).get("tcp_rto")
        peer = sum(v.get("TcpExtTCPTimeouts", 0) for k, v in c.items()
                   if k.startswith("linux:"))
        return own, peer
    own = peer = 0
    for k, v in c.items():
        if not k.startswith("linux:"):
            continue
        if k.endswith(rec.get("role_ns", "")) and rec.get("role_ns"):
            own += v.get("TcpExtTCPTimeouts", 0)
        else:
            peer += v.get("TcpExtTCPTimeouts", 0)
    return own, peer


def median(xs):
    return statistics.median(xs) if xs else None


def summarize(runs, losses):
    out = {}
    for wl, _ in WORKLOADS:
        for st in STACKS:
            pts = {}
            for loss in losses:
                rs = [r for r in runs if r["workload"] == wl and r["stack"] == st and
                      abs(r["loss"] - loss) < 1e-9]
                if not rs:
                    continue
                # A failed run (timeout, wrong bytes) counts as no goodput at all.
                gp = [r["mbps"] if r.get("ok") else 0.0 for r in rs]
                ok = [r for r in rs if r.get("ok")]
                own = [rtos(r)[0] for r in ok if rtos(r)[0] is not None]
                peer = [rtos(r)[1] for r in ok]
                mbytes = sum(r["bytes"] for r in ok) / MB
                pts[loss] = {
                    "runs": len(rs), "failed": len(rs) - len(ok),
                    "mbps_median": median(gp), "mbps_all": gp,
                    "rto_total": sum(own) if own else None,
                    "rto_per_mb": sum(own) / mbytes if own and mbytes else
                    (0.0 if own else None),
                    "peer_rto_total": sum(peer),
                    "counters_sum": sum_counters(ok),
                }
            clean = pts.get(0.0, {}).get("mbps_median")
            for loss, p in pts.items():
                p["retained"] = (p["mbps_median"] / clean) if clean else None
            out.setdefault(wl, {})[st] = pts
    return out


def sum_counters(runs):
    tot = {}
    for r in runs:
        for grp, vals in r.get("counters", {}).items():
            g = "linux" if grp.startswith("linux:") else grp
            if r["stack"] == "linux" and grp.startswith("linux:"):
                g = "linux_server" if r.get("role_ns") and grp.endswith(r["role_ns"]) \
                    else "linux_client"
            elif r["stack"] == "sluice" and grp.startswith("linux:"):
                g = "linux_peer"
            d = tot.setdefault(g, {})
            for k, v in vals.items():
                d[k] = d.get(k, 0) + v
    return tot


def fmt(v, f, none="-"):
    return none if v is None else f % v


def memif_summary(d):
    rows = []
    for path in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        m = re.fullmatch(r"stream_loss([0-9.]+)_r([0-9]+)\.json", path)
        if not m:
            continue
        loss, rep = float(m.group(1)), int(m.group(2))
        try:
            with open(os.path.join(d, path)) as f:
                j = json.load(f)
            gbps = j["result"]["rate"] if j["result"]["unit"] == "Gbit/s" else None
        except (OSError, ValueError, KeyError):
            gbps = None
        cl = os.path.join(d, "stream_loss%s_r%d.log" % (m.group(1), rep))
        cnt = bench_log_counters(cl)
        rows.append({"loss": loss, "rep": rep, "gbps": gbps, "counters": cnt})
    out = {}
    for loss in sorted({r["loss"] for r in rows}):
        rs = [r for r in rows if r["loss"] == loss]
        gp = [r["gbps"] or 0.0 for r in rs]
        cnt = {}
        for r in rs:
            for k, v in (r["counters"] or {}).items():
                cnt[k] = cnt.get(k, 0) + v
        mb = cnt.get("tcp_app_bytes", 0) / MB
        out[loss] = {"runs": len(rs), "gbps_median": median(gp), "gbps_all": gp,
                     "counters_sum": cnt,
                     "rto_per_mb": cnt.get("tcp_rto", 0) / mb if mb else None}
    clean = out.get(0.0, {}).get("gbps_median")
    for p in out.values():
        p["retained"] = p["gbps_median"] / clean if clean else None
    return out


def bench_log_counters(path):
    """sluice-bench --stats true: the client stack's counters ("  name  value")."""
    out, on = {}, False
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("sluice-bench: client stack counters:"):
                    on = True
                    continue
                if on:
                    m = re.match(r"^  ([a-z0-9_]+) +([0-9]+)\s*$", line)
                    if m:
                        out[m.group(1)] = int(m.group(2))
                    else:
                        on = False
    except OSError:
        return None
    return {k: out.get(k, 0) for k in SLUICE_KEYS} if out else None


def table_text(meta, summ, memif, losses):
    L = []
    L.append("lossbench: %s MB per transfer, median of %s run(s), random loss each way "
             "(iptables statistic on the kernel side)" % (meta["mb"], meta["repeats"]))
    L.append("%s; %s" % (meta["date"], meta["machine"]))
    L.append("Linux congestion control: %s%s" % (
        meta.get("linux_cc", "?"),
        "; sluice-server options: " + meta["sluice_opts"] if meta.get("sluice_opts") else ""))
    L.append("goodput Mbit/s (each way for echo); retained = lossy / clean; RTO/MB: "
             "timeouts of the stack in the server role")
    L.append("per MB moved; ratio = sluice retained / Linux retained (goal >= 0.90)")
    for wl, title in WORKLOADS:
        if wl not in summ:
            continue
        s, lx = summ[wl].get("sluice", {}), summ[wl].get("linux", {})
        if not s and not lx:
            continue
        L.append("")
        L.append("%s" % title)
        L.append("%6s | %9s %8s %7s | %9s %8s %7s | %5s" %
                 ("loss%", "sluice", "retained", "RTO/MB", "Linux", "retained", "RTO/MB",
                  "ratio"))
        for loss in losses:
            a, b = s.get(loss), lx.get(loss)
            if a is None and b is None:
                continue
            ratio = None
            if a and b and a.get("retained") is not None and b.get("retained"):
                ratio = a["retained"] / b["retained"]

            def col(p):
                if p is None:
                    return "%9s %8s %7s" % ("-", "-", "-")
                fail = "!" if p["failed"] else " "
                return "%8s%s %8s %7s" % (fmt(p["mbps_median"], "%.0f"), fail,
                                          fmt(p["retained"] and p["retained"] * 100,
                                              "%.0f%%"),
                                          fmt(p["rto_per_mb"], "%.2f"))
            L.append("%6g | %s | %s | %5s" % (loss, col(a), col(b), fmt(ratio, "%.2f")))
    if memif:
        L.append("")
        L.append("sluice <-> sluice over memif, sluice-bench --workload stream, fault "
                 "injector drop=P on both sides (dir=tx)")
        L.append("%6s | %9s %8s %7s | %s" % ("loss%", "Gbit/s", "retained", "RTO/MB",
                                             "rto recov fast rack tlp retx"))
        for loss, p in sorted(memif.items()):
            c = p["counters_sum"]
            L.append("%6g | %9s %8s %7s | %d %d %d %d %d %d" % (
                loss, fmt(p["gbps_median"], "%.2f"),
                fmt(p["retained"] and p["retained"] * 100, "%.0f%%"),
                fmt(p["rto_per_mb"], "%.3f"), c.get("tcp_rto", 0),
                c.get("tcp_recoveries", 0), c.get("tcp_fast_retransmit", 0),
                c.get("tcp_rack_lost", 0), c.get("tcp_tlp_sent", 0),
                c.get("tcp_retransmit_segs", 0)))
    L.append("")
    L.append("'!': a run failed or timed out (counted as 0 Mbit/s in the median)")
    return "\n".join(L) + "\n"


def svg_chart(meta, summ, memif, losses):
    """Retained goodput (top) and RTOs per MB (bottom) against loss, one column per
    workload: sluice and Linux; a last column for the memif stream."""
    cols = [wl for wl, _ in WORKLOADS if any(summ.get(wl, {}).values())] + \
        (["memif"] if memif else [])
    titles = dict(WORKLOADS)
    titles["memif"] = "memif stream (sluice only)"
    pw, ph, ml, mt, gap = 230, 170, 60, 40, 30
    W = ml + len(cols) * (pw + gap) + 10
    H = mt + 2 * ph + 2 * gap + 45
    xmax = max(losses) if losses else 1
    colors = {"sluice": "#d62728", "linux": "#1f77b4", "memif": "#d62728"}
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="11">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="18" font-size="14">sluice vs Linux under random loss '
         '(%s MB, median of %s; %s)</text>' % (ml, meta["mb"], meta["repeats"],
                                                meta["date"])]

    def x_of(px, loss):
        return px + loss / xmax * pw if xmax else px

    # RTO axis: the largest value seen, rounded up.
    rmax = 0.0
    for c in cols:
        ser = memif if c == "memif" else None
        if ser is not None:
            rmax = max([rmax] + [p["rto_per_mb"] or 0 for p in memif.values()])
        else:
            for st in STACKS:
                rmax = max([rmax] + [p["rto_per_mb"] or 0
                                     for p in summ[c].get(st, {}).values()])
    # Five gridlines at a round step.
    rstep = 0.02
    for m in (0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500):
        rstep = m
        if rmax <= 5 * m:
            break
    rmax = 5 * rstep

    for i, c in enumerate(cols):
        px = ml + i * (pw + gap)
        for row in (0, 1):
            py = mt + row * (ph + gap)
            o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" '
                     'stroke="#888"/>' % (px, py, pw, ph))
            ymax = 120.0 if row == 0 else rmax
            for k in range(0, 7 if row == 0 else 6):
                v = 20.0 * k if row == 0 else rstep * k
                y = py + ph - v / ymax * ph
                o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' %
                         (px, px + pw, y, y))
                if i == 0:
                    o.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' %
                             (px - 4, y + 4, "%.0f%%" % v if row == 0 else "%g" % v))
            if i == 0:
                o.append('<text transform="translate(%d,%d) rotate(-90)" '
                         'text-anchor="middle">%s</text>' %
                         (12, py + ph // 2, "retained" if row == 0 else "RTOs per MB"))
            for loss in losses:
                x = x_of(px, loss)
                o.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' %
                         (x, py + ph + 13, loss))
            if row == 0:
                o.append('<text x="%d" y="%d" font-weight="bold">%s</text>' %
                         (px, py - 6, titles[c]))
                y90 = py + ph - 90 / ymax * ph
                o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#999" '
                         'stroke-dasharray="4,3"/>' % (px, px + pw, y90, y90))
            series = []
            if c == "memif":
                pts = [(l, (p["retained"] or 0) * 100 if row == 0 else p["rto_per_mb"])
                       for l, p in sorted(memif.items())]
                series.append(("memif", pts))
            else:
                for st in STACKS:
                    pts = [(l, (p["retained"] or 0) * 100 if row == 0 else p["rto_per_mb"])
                           for l, p in sorted(summ[c].get(st, {}).items())]
                    series.append((st, pts))
            for st, pts in series:
                pts = [(l, v) for l, v in pts if v is not None]
                if not pts:
                    continue
                xy = ["%.1f,%.1f" % (x_of(px, l), py + ph - min(v, ymax) / ymax * ph)
                      for l, v in pts]
                o.append('<polyline fill="none" stroke="%s" stroke-width="2" '
                         'points="%s"/>' % (colors[st], " ".join(xy)))
                for p in xy:
                    cx, cy = p.split(",")
                    o.append('<circle cx="%s" cy="%s" r="3" fill="%s"/>' %
                             (cx, cy, colors[st]))
    y = mt + 2 * ph + 2 * gap + 10
    o.append('<text x="%d" y="%d">top: goodput retained (lossy / clean), dashed at 90%%; '
             'bottom: RTOs per MB (the stack in the server role); x: loss %% each way</text>'
             % (ml, y))
    o.append('<rect x="%d" y="%d" width="12" height="4" fill="%s"/><text x="%d" y="%d">'
             'sluice</text>' % (ml, y + 12, colors["sluice"], ml + 16, y + 17))
    o.append('<rect x="%d" y="%d" width="12" height="4" fill="%s"/><text x="%d" y="%d">'
             'Linux (veth pair, offloads off)</text>' % (ml + 70, y + 12, colors["linux"],
                                                        ml + 86, y + 17))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d CPUs (%s), kernel %s" % (os.cpu_count() or 0, cpu, os.uname().release)


def cmd_report(a):
    d = a.dir
    runs = []
    try:
        with open(os.path.join(d, "runs.jsonl")) as f:
            runs = [json.loads(line) for line in f if line.strip()]
    except OSError:
        pass
    meta = {}
    try:
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
    except OSError:
        pass
    losses = sorted({r["loss"] for r in runs}) or [float(x) for x in
                                                    meta.get("losses", [])]
    meta.setdefault("mb", "?")
    meta.setdefault("repeats", "?")
    meta["date"] = time.strftime("%Y-%m-%d %H:%M")
    meta["machine"] = machine()
    summ = summarize(runs, losses)
    memif = memif_summary(os.path.join(d, "memif"))
    text = table_text(meta, summ, memif, losses)
    sys.stdout.write(text)
    with open(os.path.join(d, "table.txt"), "w") as f:
        f.write(text)
    res = {"meta": meta, "losses": losses,
           "tap": {wl: {st: {str(l): p for l, p in pts.items()} for st, pts in v.items()}
                   for wl, v in summ.items()},
           "memif": {str(l): p for l, p in memif.items()}}
    with open(os.path.join(d, "lossbench.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    with open(os.path.join(d, "lossbench.svg"), "w") as f:
        f.write(svg_chart(meta, summ, memif, sorted(set(losses) | set(memif))))
    print("written: %s/{table.txt,lossbench.json,lossbench.svg}" % d)
    if not runs and not memif:
        die("no results in %s" % d)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def counters_opts(c):
        c.add_argument("--bytes", type=int, required=True)
        c.add_argument("--timeout", type=float, default=120)
        c.add_argument("--telemetry")
        c.add_argument("--netns", action="append", default=[])
        c.add_argument("--iptables", action="store_true")
        c.add_argument("--tag", action="append", default=[])
        c.add_argument("--out")
        c.add_argument("--cc")

    for name in ("echo", "send"):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        counters_opts(c)
    c = sub.add_parser("sink")
    c.add_argument("port", type=int)
    counters_opts(c)
    c = sub.add_parser("source")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--bytes", type=int, required=True)
    c.add_argument("--timeout", type=float, default=120)
    c.add_argument("--cc")
    c = sub.add_parser("serve")
    c.add_argument("--cc")
    c.add_argument("--echo", type=int, default=0)
    c.add_argument("--discard", type=int, default=0)
    c.add_argument("--max-s", type=float, default=7200)
    c = sub.add_parser("sluice-log")
    c.add_argument("log")
    c = sub.add_parser("merge")
    c.add_argument("run")
    c.add_argument("log")
    c = sub.add_parser("report")
    c.add_argument("dir")
    a = p.parse_args()
    {"echo": cmd_echo, "send": cmd_send, "sink": cmd_sink, "source": cmd_source,
     "serve": cmd_serve, "sluice-log": cmd_sluice_log, "merge": cmd_merge,
     "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
