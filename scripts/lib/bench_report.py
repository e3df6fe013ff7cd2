#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The report of scripts/bench.sh.

  bench_report.py table DIR         the table from DIR/*.json: printed, and written as
                                    DIR/table.txt, DIR/table.md, DIR/results.json, and
                                    (with gnuplot) DIR/bench.png and DIR/latency.png
  bench_report.py instructions DIR  instructions per request from DIR/instructions.txt
                                    (a row NAME@Nw is also compared with NAME: one worker)
  bench_report.py cache DIR         cache misses per request from DIR/cache.txt
  bench_report.py workers DIR N     the sluice rows NAME@1w and NAME@Nw side by side:
                                    DIR/workers.txt, DIR/workers.json
  bench_report.py sweep DIR         the connection sweep (sweep_N.sluice.*): msg/s, p99
                                    and retransmits against connections, with the TX
                                    counters of both sides; DIR/sweep.txt, sweep.json,
                                    sweep.svg (log-scale x)

Exit status 1 when a result is missing or does not parse (what CI checks)."""

import glob
import json
import os
import platform
import re
import subprocess
import sys
import time

ORDER = ["rr1_1B", "rr1_64B", "rr64_1B", "rr64x16_64B", "stream", "crr"]
MEANING = {
    "rr1_1B": "rr, 1 conn, depth 1, 1 B",
    "rr1_64B": "rr, 1 conn, depth 1, 64 B",
    "rr64_1B": "rr, 64 conns, depth 1, 1 B",
    "rr64x16_64B": "rr, 64 conns x depth 16, 64 B",
    "stream": "stream, 1 conn, 16 KiB writes",
    "crr": "crr, 16 conns, 1 B",
}


def load(path):
    with open(path) as f:
        return json.load(f)


def fmt(v, unit):
    if unit == "Gbit/s" or unit == "Mpps":
        return "%.2f %s" % (v, unit)
    if v >= 1e6:
        return "%.2fM %s" % (v / 1e6, unit)
    if v >= 1e3:
        return "%.1fk %s" % (v / 1e3, unit)
    return "%.0f %s" % (v, unit)


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
    return "%s, %d CPUs (%s), kernel %s" % (platform.node(), os.cpu_count() or 0, cpu,
                                          platform.release())


def table(d):
    ok = True
    rows, results = [], {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(),
                         "workloads": {}}
    floor = None
    try:
        floor = load(os.path.join(d, "floor.rxonly.json"))["result"]["rate"]  # Mpps
        results["floor_mpps"] = floor
    except (OSError, ValueError, KeyError) as e:
        print("missing or bad floor result: %s" % e)
        ok = False
    rt = None
    try:
        rt = load(os.path.join(d, "floor.pingpong.json"))["result"]  # round trips/s
        results["roundtrip_floor"] = rt
    except (OSError, ValueError, KeyError) as e:
        print("missing or bad round-trip floor result: %s" % e)
        ok = False
    tp = os.path.join(d, "floor.testpmd.pps")
    if os.path.exists(tp):
        vals = [int(x) for x in open(tp).read().split() if x.strip().isdigit()]
        if vals:
            results["testpmd_rx_mpps"] = max(vals) / 1e6
    for name in ORDER:
        r = {}
        for side in ("sluice", "kernel"):
            p = os.path.join(d, "%s.%s.json" % (name, side))
            try:
                r[side] = load(p)["result"]
            except (OSError, ValueError, KeyError) as e:
                print("missing or bad result %s: %s" % (p, e))
                ok = False
        if "sluice" not in r or "kernel" not in r:
            continue
        s, k = r["sluice"], r["kernel"]
        ratio = s["rate"] / k["rate"] if k["rate"] > 0 else 0.0
        # One connection at depth 1 is bound by the round trip, the rest by packets.
        of_floor = ""
        if name.startswith("rr1_") and rt and rt["rate"] > 0:
            of_floor = "%.0f%% rt" % (100.0 * s["rate"] / rt["rate"])
        elif name.startswith("rr") and floor:
            of_floor = "%.0f%% pps" % (100.0 * s["rate"] / (floor * 1e6))
        lat = ""
        if "latency_us" in s and "latency_us" in k:
            lat = "p50 %.1f / %.1f, p99 %.1f / %.1f" % (
                s["latency_us"]["p50"], k["latency_us"]["p50"],
                s["latency_us"]["p99"], k["latency_us"]["p99"])
        rows.append((name, fmt(s["rate"], s["unit"]), fmt(k["rate"], k["unit"]),
                     "%.1fx" % ratio, of_floor, lat))
        results["workloads"][name] = {"meaning": MEANING[name], "sluice": s, "kernel": k,
                                      "ratio": ratio}
    head = ("workload", "sluice", "kernel", "sluice/kernel", "of floor",
            "latency us (sluice / kernel)")
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(x, widths)) for x in [head] + rows]
    if floor:
        lines.append("pps: packet-rate floor (sluice-bench txonly -> rxonly, 64-byte frames, "
                     "memif): %.2f Mpps" % floor)
    if rt:
        lat = rt.get("latency_us", {})
        lines.append("rt: round-trip floor (sluice-bench pingpong <-> reflect, one 64-byte "
                     "frame in flight, memif, no stack): %s, p50 %.2f us" %
                     (fmt(rt["rate"], "round trips/s"), lat.get("p50", 0.0)))
    if "testpmd_rx_mpps" in results:
        lines.append("dpdk-testpmd rxonly from the same txonly: %.2f Mpps" %
                     results["testpmd_rx_mpps"])
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(d, "table.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(d, "table.md"), "w") as f:
        f.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
        for x in rows:
            f.write("| " + " | ".join(x) + " |\n")
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    charts(d, results)
    return ok


def charts(d, results):
    if not results["workloads"]:
        return
    try:
        subprocess.run(["gnuplot", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("(gnuplot not found: no charts)")
        return
    dat = os.path.join(d, "ratios.dat")
    with open(dat, "w") as f:
        for name, w in results["workloads"].items():
            f.write("%s %.4f\n" % (name, w["ratio"]))
    lat = []
    for side in ("sluice", "kernel"):
        p = os.path.join(d, "rr1_1B.%s.json" % side)
        if not os.path.exists(p):
            continue
        h = load(p)["result"].get("histogram_ns", [])
        n = sum(c for _, c in h)
        if n == 0:
            continue
        cd = os.path.join(d, "latency.%s.dat" % side)
        with open(cd, "w") as f:
            seen = 0
            for hi, c in h:
                seen += c
                f.write("%.3f %.6f\n" % (hi / 1e3, seen / n))
        lat.append((side, cd))
    script = """set terminal pngcairo size 900,500 noenhanced
set output '%s'
set title 'sluice / kernel, same workload, same run (higher is better)'
set style fill solid 0.6
set boxwidth 0.6
set logscale y
set ylabel 'ratio'
set grid y
plot '%s' using 0:2:xtic(1) with boxes notitle, 1 with lines dt 2 title 'kernel'
""" % (os.path.join(d, "bench.png"), dat)
    if lat:
        script += """set output '%s'
set title 'rr, 1 connection, 1 byte: latency distribution'
unset logscale y
set logscale x
set xlabel 'microseconds'
set ylabel 'fraction of requests at or below'
set key bottom right
plot %s
""" % (os.path.join(d, "latency.png"),
            ", ".join("'%s' using 1:2 with steps title '%s'" % (p, s) for s, p in lat))
    r = subprocess.run(["gnuplot"], input=script.encode(), capture_output=True)
    if r.returncode != 0:
        print("(gnuplot failed: %s)" % r.stderr.decode().strip()[:200])
    else:
        print("charts: %s" % ", ".join(glob.glob(os.path.join(d, "*.png"))))


def instructions(d):
    out, ok = {}, True
    lines = []
    for line in open(os.path.join(d, "instructions.txt")):
        name, n1, ir1, n2, ir2 = line.split()
        n1, n2, ir1, ir2 = int(n1), int(n2), int(ir1), int(ir2)
        per = (ir2 - ir1) / (n2 - n1)
        out[name] = {"per_request": per, "runs": [[n1, ir1], [n2, ir2]]}
        if name.startswith("stream"):
            size = int(name.split("_")[1].replace("KiB", "")) * 1024
            out[name]["per_KiB"] = per / (size / 1024)
            out[name]["per_1448B_segment"] = per / (size / 1448)
            lines.append("%-14s %9.0f instructions per %d-byte write, %.0f per KiB, "
                         "%.0f per 1448-byte segment" %
                         (name, per, size, per / (size / 1024), per / (size / 1448)))
        else:
            lines.append("%-14s %9.0f instructions per request (client and server "
                         "stacks together)" % (name, per))
        if "@" in name and name.split("@")[0] in out:
            one = out[name.split("@")[0]]["per_request"]
            out[name]["vs_one_worker"] = per / one if one > 0 else 0.0
            lines.append("%-14s %+8.1f%% against one worker%s" %
                         ("", 100.0 * (per / one - 1) if one > 0 else 0.0,
                          handoff_note(os.path.join(d, "instr.%s.%s.log" % (name, n2)))))
        if per <= 0:
            ok = False
    prof = instructions_profile(d, "rr1_1B")
    if prof is not None:
        out["rr1_1B"].update(prof)
        lines.append("")
        lines.append("rr1_1B per request, by part (source file of each line, inlined code "
                     "included):")
        for part, v in prof["by_part"]:
            lines.append("  %-44s %6.0f" % (part, v))
        lines.append("rr1_1B per request, the top functions (self cost; after LTO, "
                     "inlined helpers count in their caller):")
        for fn, v in prof["top_functions"][:20]:
            lines.append("  %-44s %6.0f" % (fn, v))
    print("\n".join(lines))
    with open(os.path.join(d, "instructions.json"), "w") as f:
        json.dump(out, f, indent=1)
    return ok


# Which part of the program a source line belongs to, by its file.
PARTS = [
    ("sluice: TCP (lib/tcp)", "/lib/tcp/"),
    ("sluice: IP, Ethernet, ARP, port (lib/net)", "/lib/net/"),
    ("sluice: poll loop, workers (lib/core)", "/lib/core/"),
    ("sluice: API, delivery (lib/api)", "/lib/api/"),
    ("sluice: framing (lib/framing)", "/lib/framing/"),
    ("DPDK inline functions (rte_*.h)", "/dpdk/"),
    ("the bench application (dpdk_app/bench)", "/dpdk_app/"),
]


def callgrind_annotate(path, *args):
    try:
        return subprocess.run(["callgrind_annotate", "--threshold=100", "--show-percs=no"]
                              + list(args) + [path], capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def profile_load(path):
    """Per function (self cost) and per part (line level, by source file) from one
    callgrind file; None without callgrind_annotate."""
    fn_text = callgrind_annotate(path, "--inclusive=no", "--auto=no")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    line_text = callgrind_annotate(path, "--auto=yes", "--include=" + root)
    if fn_text is None or line_text is None:
        return None
    fns, parts, total = {}, {}, None
    for line in fn_text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(\S.*?)\s*$", line)
        if not m:
            continue
        v = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if "PROGRAM TOTALS" in name:
            total = v
            continue
        fn = name.split(" ")[0]
        fn = fn.split(":", 1)[1] if ":" in fn else fn
        if fn.startswith("0x"):
            continue	# no symbol (a PMD's or mempool driver's): in "the rest"
        fns[fn] = fns.get(fn, 0) + v
    src = None
    for line in line_text.splitlines():
        if line.startswith("-- Auto-annotated source:"):
            src = line.split(":", 1)[1].strip()
            continue
        if "events annotated" in line:
            break	# the summary after the sources
        m = re.match(r"\s*([\d,]+)\s+(.*)$", line)
        if src is None or not m or m.group(2).lstrip().startswith("=>"):
            continue	# a call line: the callee's inclusive cost, counted in its file
        part = next((p for p, key in PARTS if key in src), None)
        if part is not None:
            parts[part] = parts.get(part, 0) + int(m.group(1).replace(",", ""))
    return total, fns, parts


def instructions_profile(d, name):
    """Where the instructions of a request go: the difference of the two runs of NAME,
    per function and per part (the rest: DPDK's libraries and drivers, libc)."""
    try:
        runs = [l.split() for l in open(os.path.join(d, "instructions.txt"))
                if l.split()[:1] == [name]][0]
    except (OSError, IndexError):
        return None
    n1, n2 = int(runs[1]), int(runs[3])
    a = profile_load(os.path.join(d, "callgrind.%s.%d" % (name, n1)))
    b = profile_load(os.path.join(d, "callgrind.%s.%d" % (name, n2)))
    if a is None or b is None or a[0] is None or b[0] is None:
        return None
    per = lambda x, y: (y - x) / (n2 - n1)
    total = per(a[0], b[0])
    fns = sorted(((per(a[1].get(k, 0), b[1].get(k, 0)), k) for k in set(a[1]) | set(b[1])),
                 reverse=True)
    by_part = [(p, per(a[2].get(p, 0), b[2].get(p, 0))) for p, _ in PARTS]
    by_part.append(("DPDK libraries and drivers, libc (the rest)",
                    total - sum(v for _, v in by_part)))
    return {"by_part": by_part,
            "top_functions": [(k, v) for v, k in fns if v >= 1][:40]}


def handoff_note(log):
    """The share of received segments handed to their owner, from a sluice-bench log."""
    parts = []
    try:
        for line in open(log):
            m = re.match(r"sluice-bench: (\w+): \d+ workers, (\d+) of (\d+) TCP segments", line)
            if m and int(m.group(3)) > 0:
                parts.append("%s %.0f%%" % (m.group(1),
                                            100.0 * int(m.group(2)) / int(m.group(3))))
    except OSError:
        return ""
    return " (segments handed off: %s)" % ", ".join(parts) if parts else ""


def write_report(d, name, lines, data):
    """Print the lines and write them as DIR/NAME.txt, and data (with the date and the
    machine) as DIR/NAME.json."""
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(d, name + ".txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(d, name + ".json"), "w") as f:
        json.dump(dict({"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine()},
                       **data), f, indent=1)


def workers(d, n):
    """NAME@1w against NAME@Nw: the summed rate and the rate per worker."""
    ok, rows, out = True, [], {}
    n = int(n)
    for name in ORDER:
        r = {}
        for w in sorted({1, n}):
            p = os.path.join(d, "%s@%dw.sluice.json" % (name, w))
            try:
                r[w] = load(p)["result"]
            except (OSError, ValueError, KeyError) as e:
                print("missing or bad result %s: %s" % (p, e))
                ok = False
        for w in sorted(r):
            x = r[w]
            per = x["rate"] / w
            share = "%.0f%%" % (100.0 * per / r[1]["rate"]) if 1 in r and r[1]["rate"] > 0 \
                else ""
            rows.append(("%s@%dw" % (name, w), fmt(x["rate"], x["unit"]),
                         fmt(per, x["unit"]), share, "%d" % x["errors"]))
            out["%s@%dw" % (name, w)] = {"meaning": MEANING[name], "workers": w,
                                         "per_worker": per, "sluice": x}
    head = ("workload", "sluice (all workers)", "per worker", "per worker / 1w", "errors")
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(x, widths)) for x in [head] + rows]
    lines.append("(%d CPUs: with %d workers per side, %d polling threads%s)" %
                 (os.cpu_count() or 0, n, 2 * n,
                  " share them: these rates do not measure scaling" if
                  2 * n > (os.cpu_count() or 0) else ""))
    write_report(d, "workers", lines, {"workers": n, "rows": out})
    return ok


# Counters of a sluice process's exit report ("  name  value" lines) that the sweep shows.
SWEEP_COUNTERS = ["tx_drop_full", "tcp_output_waits", "tcp_ctl_waits", "tcp_reply_shed",
                  "tcp_rto", "tcp_retransmit_segs"]


def log_counters(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"^\s+([a-z0-9_]+)\s+(\d+)\s*$", line)
                if m:
                    out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    except OSError:
        pass
    return out


def sweep_svg(rows):
    """msg/s (left panel) and p99 (right panel) against connections, log-scale x."""
    import math
    W, H, PW, PH, M = 980, 360, 380, 260, 60
    xs = [r["conns"] for r in rows]
    lx0, lx1 = math.log10(min(xs)), math.log10(max(xs))

    def panel(ox, key, title, unit, logy):
        vals = [r[key] for r in rows if r[key] is not None and r[key] > 0]
        if not vals:
            return []
        lo, hi = (min(vals), max(vals))
        if logy:
            lo, hi = math.log10(lo) - 0.1, math.log10(hi) + 0.1
        else:
            lo, hi = 0, hi * 1.1

        def px(c):
            return ox + (PW * (math.log10(c) - lx0) / (lx1 - lx0) if lx1 > lx0 else PW / 2)

        def py(v):
            v = math.log10(v) if logy else v
            return M + PH - PH * (v - lo) / (hi - lo if hi > lo else 1)
        s = ['<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>' %
             (ox, M, PW, PH),
             '<text x="%d" y="%d" font-size="14">%s</text>' % (ox, M - 10, title)]
        pts = [(px(r["conns"]), py(r[key])) for r in rows if r[key]]
        s.append('<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>' %
                 " ".join("%.1f,%.1f" % p for p in pts))
        for (x, y), r in zip(pts, [r for r in rows if r[key]]):
            s.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#1f77b4"/>' % (x, y))
            s.append('<text x="%.1f" y="%.1f" font-size="10">%s</text>' %
                     (x + 4, y - 4, fmt(r[key], unit)))
            s.append('<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%d</text>' %
                     (x, M + PH + 14, r["conns"]))
        s.append('<text x="%d" y="%d" font-size="11">connections (log scale)%s</text>' %
                 (ox + PW / 2 - 60, M + PH + 32, ", log y" if logy else ""))
        return s
    body = panel(M, "rate", "msg/s (rr, depth 1, 1 B)", "msg/s", False)
    body += panel(M + PW + 60, "p99_us", "p99 latency", "us", True)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">\n%s\n</svg>\n'
            % (W, H, "\n".join(body)))


def sweep(d):
    """The connection sweep: one row per sweep_N.sluice.json."""
    ok, rows = True, []
    files = glob.glob(os.path.join(d, "sweep_*.sluice.json"))
    for p in sorted(files, key=lambda x: int(re.search(r"sweep_(\d+)", x).group(1))):
        n = int(re.search(r"sweep_(\d+)", p).group(1))
        try:
            r = load(p)["result"]
        except (OSError, ValueError, KeyError) as e:
            print("missing or bad result %s: %s" % (p, e))
            ok = False
            continue
        base = p[:-len(".json")]
        cli, srv = log_counters(base + ".log"), log_counters(base + ".server.log")
        lat = r.get("latency_us", {})
        rows.append({"conns": n, "rate": r["rate"], "p50_us": lat.get("p50"),
                     "p99_us": lat.get("p99"), "p999_us": lat.get("p99.9"),
                     "errors": r["errors"], "retransmits": r["retransmits"],
                     "client": {k: cli.get(k, 0) for k in SWEEP_COUNTERS},
                     "server": {k: srv.get(k, 0) for k in SWEEP_COUNTERS}})
    if not rows:
        print("no sweep results in %s" % d)
        return False
    head = ("conns", "msg/s", "p50 us", "p99 us", "p99.9 us", "retransmits",
            "tx_drop_full c/s", "output waits c/s", "errors")
    tab = [(str(r["conns"]), fmt(r["rate"], "msg/s"), "%.1f" % (r["p50_us"] or 0),
            "%.1f" % (r["p99_us"] or 0), "%.1f" % (r["p999_us"] or 0),
            "%d" % r["retransmits"],
            "%d/%d" % (r["client"]["tx_drop_full"], r["server"]["tx_drop_full"]),
            "%d/%d" % (r["client"]["tcp_output_waits"], r["server"]["tcp_output_waits"]),
            "%d" % r["errors"]) for r in rows]
    widths = [max(len(x[i]) for x in tab + [head]) for i in range(len(head))]
    lines = ["sluice rr, depth 1, 1 B, over memif, by connections (%s; %s)" %
             (time.strftime("%Y-%m-%d %H:%M"), machine()), ""]
    lines += ["  ".join(c.rjust(w) for c, w in zip(x, widths)) for x in [head] + tab]
    by = {r["conns"]: r for r in rows}
    if 1024 in by and 16384 in by and by[1024]["rate"] > 0:
        lines.append("")
        lines.append("16k / 1k connections: %.0f%% of the msg/s (goal: at least 75%%)" %
                     (100.0 * by[16384]["rate"] / by[1024]["rate"]))
    rtx = sum(r["retransmits"] for r in rows)
    lines.append("retransmits on this lossless link: %d (goal: 0)" % rtx)
    write_report(d, "sweep", lines, {"rows": rows})
    with open(os.path.join(d, "sweep.svg"), "w") as f:
        f.write(sweep_svg(rows))
    print("written: %s/{sweep.txt,sweep.json,sweep.svg}" % d)
    return ok


def callgrind_summary(path):
    """The events line and the summary line of a callgrind output file, as a dict."""
    events = None
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("summary:") and events:
                return dict(zip(events, map(int, line.split()[1:])))
    return None


def cache(d):
    """bench.sh --cache: per request (both stacks), from the difference of two runs."""
    ok, out = True, {}
    lines = ["rr depth 1, 1 B, both stacks, per request, under callgrind's cache model "
             "(L1d 48 KiB, last level 32 MiB):",
             "%-12s %10s %10s %10s %10s" % ("", "instr", "data refs", "L1d miss",
                                            "LL miss")]
    for line in open(os.path.join(d, "cache.txt")):
        name, n1, f1, n2, f2 = line.split()
        a, b = callgrind_summary(f1), callgrind_summary(f2)
        if a is None or b is None or int(n2) <= int(n1):
            ok = False
            continue
        per = {k: (b[k] - a[k]) / (int(n2) - int(n1)) for k in b}
        row = {"instructions": per["Ir"], "data_refs": per["Dr"] + per["Dw"],
               "l1d_misses": per["D1mr"] + per["D1mw"], "ll_misses": per["DLmr"] + per["DLmw"],
               "ll_read_misses": per["DLmr"], "ll_write_misses": per["DLmw"]}
        out[name] = row
        lines.append("%-12s %10.0f %10.0f %10.1f %10.1f" %
                     (name, row["instructions"], row["data_refs"], row["l1d_misses"],
                      row["ll_misses"]))
    lines.append("(LL misses are the lines that come from memory: past the L3, what a "
                 "request costs at many connections)")
    write_report(d, "cache", lines, {"per_request": out})
    return ok


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "sweep":
        sys.exit(0 if sweep(sys.argv[2]) else 1)
    if len(sys.argv) == 3 and sys.argv[1] == "cache":
        sys.exit(0 if cache(sys.argv[2]) else 1)
    if len(sys.argv) == 4 and sys.argv[1] == "workers":
        sys.exit(0 if workers(sys.argv[2], sys.argv[3]) else 1)
    if len(sys.argv) != 3 or sys.argv[1] not in ("table", "instructions"):
        sys.exit(__doc__)
    sys.exit(0 if (table if sys.argv[1] == "table" else instructions)(sys.argv[2]) else 1)
