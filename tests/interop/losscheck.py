# SPDX-License-Identifier: BSD-3-Clause
"""Counters and verdicts of test_tcp_loss.sh (run with /usr/bin/python3).

    losscheck.py snap PREFIX OUT    sluice's /sluice/stats (rte_telemetry) -> OUT (JSON)
    losscheck.py log LOG OUT        the counters sluice-server printed at exit -> OUT
    losscheck.py linux OUT          this namespace's kernel TCP counters -> OUT
    losscheck.py check NAME --before F --after F --linux-before F --linux-after F
                 --drops-in N --drops-out N --rto-grace G --drops-per-rto D
        print every loss counter of the run (differences), then judge sluice's recovery:
        tcp_recoveries > 0, tcp_rack_lost + tcp_fast_retransmit > 0, and
        tcp_rto <= G + drops-in / D; one "ok:" or "FAIL:" line per assertion, exit 1 if
        any failed. --before may be omitted (a fresh server: the counters start at 0).
"""

import argparse
import json
import re
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import sltest  # noqa: E402

SLUICE = ["tcp_rto", "tcp_recoveries", "tcp_fast_retransmit", "tcp_rack_lost",
          "tcp_tlp_sent", "tcp_tlp_recovered", "tcp_dsack_rx", "tcp_undo",
          "tcp_retransmit_segs", "tcp_dupacks", "tcp_sack_bad", "tcp_sack_full",
          "tcp_ooo_segs", "tcp_ooo_drop", "tcp_dup_bytes", "tcp_tx_data_segs",
          "tcp_conn_timeout", "tcp_dup_answered", "tcp_ack_quick", "fault_drop"]
LINUX = ["TcpExtTCPTimeouts", "TcpExtTCPSackRecovery", "TcpExtTCPLossProbes",
         "TcpExtTCPLossProbeRecovery", "TcpExtTCPDSACKRecv", "TcpExtTCPSACKReorder",
         "TcpRetransSegs"]


def save(path, d):
    with open(path, "w") as f:
        json.dump(d, f)


def load(path):
    if not path:
        return {}
    with open(path) as f:
        return json.load(f)


def cmd_snap(a):
    save(a.out, sltest.stats(a.prefix))


def cmd_log(a):
    out, on = {}, False
    with open(a.log, errors="replace") as f:
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
    if not out:
        sys.exit("no exit counters in %s" % a.log)
    save(a.out, out)


def cmd_linux(a):
    out = {}
    for path in ("/proc/net/netstat", "/proc/net/snmp"):
        with open(path) as f:
            lines = f.read().splitlines()
        for i in range(0, len(lines) - 1, 2):
            k, v = lines[i].split(), lines[i + 1].split()
            if k[0] in ("TcpExt:", "Tcp:") and k[0] == v[0]:
                for name, val in zip(k[1:], v[1:]):
                    try:
                        out[k[0][:-1] + name] = int(val)
                    except ValueError:
                        pass
    save(a.out, out)


def cmd_check(a):
    b, e = load(a.before), load(a.after)
    d = {k: e.get(k, 0) - b.get(k, 0) for k in SLUICE}
    lb, le = load(a.linux_before), load(a.linux_after)
    ld = {k: le.get(k, 0) - lb.get(k, 0) for k in LINUX}
    print("  %s: drops on the kernel side: INPUT %d (sluice's segments), OUTPUT %d "
          "(Linux's, refused locally); sluice's rx fault injector dropped %d" %
          (a.name, a.drops_in, a.drops_out, d["fault_drop"]))
    print("  sluice: " + " ".join("%s=%d" % (k, v) for k, v in d.items()
                                  if k != "fault_drop"))
    print("  Linux:  " + " ".join("%s=%d" % (k, v) for k, v in ld.items()))
    bound = a.rto_grace + a.drops_in // a.drops_per_rto
    # Linux's segments are lost by sluice's rx fault injector: Linux repairs them, and
    # its probes and retransmissions must be answered (never rate-limited), or it
    # times out.
    lbound = a.rto_grace + d["fault_drop"] // a.drops_per_rto
    failed = 0
    checks = [
        ("recovery episodes: tcp_recoveries = %d (> 0)" % d["tcp_recoveries"],
         d["tcp_recoveries"] > 0),
        ("losses detected without a timeout: tcp_rack_lost + tcp_fast_retransmit = %d "
         "(> 0)" % (d["tcp_rack_lost"] + d["tcp_fast_retransmit"]),
         d["tcp_rack_lost"] + d["tcp_fast_retransmit"] > 0),
        ("timeouts: tcp_rto = %d (<= %d + %d drops / %d = %d)" %
         (d["tcp_rto"], a.rto_grace, a.drops_in, a.drops_per_rto, bound),
         d["tcp_rto"] <= bound),
        ("no connection timed out: tcp_conn_timeout = %d" % d["tcp_conn_timeout"],
         d["tcp_conn_timeout"] == 0),
        ("Linux's timeouts: TcpExtTCPTimeouts = %d (<= %d + %d drops / %d = %d)" %
         (ld["TcpExtTCPTimeouts"], a.rto_grace, d["fault_drop"], a.drops_per_rto, lbound),
         ld["TcpExtTCPTimeouts"] <= lbound),
    ]
    for text, ok in checks:
        print("%s: %s: %s" % ("ok" if ok else "FAIL", a.name, text), flush=True)
        failed += not ok
    sys.exit(1 if failed else 0)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("snap")
    c.add_argument("prefix")
    c.add_argument("out")
    c = sub.add_parser("log")
    c.add_argument("log")
    c.add_argument("out")
    c = sub.add_parser("linux")
    c.add_argument("out")
    c = sub.add_parser("check")
    c.add_argument("name")
    c.add_argument("--before")
    c.add_argument("--after", required=True)
    c.add_argument("--linux-before")
    c.add_argument("--linux-after")
    c.add_argument("--drops-in", type=int, required=True)
    c.add_argument("--drops-out", type=int, required=True)
    c.add_argument("--rto-grace", type=int, required=True)
    c.add_argument("--drops-per-rto", type=int, required=True)
    a = p.parse_args()
    {"snap": cmd_snap, "log": cmd_log, "linux": cmd_linux, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    main()
