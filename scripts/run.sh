#!/usr/bin/env bash
# The main job: sluice on a net_tap port inside a private network namespace, with the
# Linux kernel as its peer on the other side of the TAP.
#
#   scripts/run.sh            run the demo once and clean up
#   scripts/run.sh --keep     leave sluice running until Ctrl-C (explore from the namespace:
#                             ip netns exec sluice-run bash)
#
# What it does: installs what is missing (scripts/setup.sh), builds, creates namespace
# sluice-run, starts sluice-server there on a net_tap port (kernel side: interface sl0,
# 198.18.0.1/24; sluice: 198.18.0.2/24, TCP echo on port 7), then shows the kernel
# talking to sluice: ping, ARP, and a TCP exchange through the kernel's own TCP stack.
# Everything it creates is removed on exit or Ctrl-C.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
sl_need_root

keep=0
[ "${1:-}" = "--keep" ] && keep=1

NS=sluice-run
PREFIX=sluice-run
IFACE=sl0
KERNEL_IP=198.18.0.1
SLUICE_IP=198.18.0.2
KERNEL_MAC=02:00:00:00:00:01
LOG=$(mktemp /tmp/sluice-run.XXXXXX.log)
server_pid=

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$server_pid" ]; then
		sl_stop_pid "$server_pid" 10 || true
	fi
	sl_netns_del "$NS"
	rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sl_say "setup (packages, hugepages)"
"$SL_ROOT/scripts/setup.sh"
sl_say "build"
sl_build build

sl_say "namespace $NS, sluice-server on net_tap ($IFACE)"
sl_netns_add "$NS"
# shellcheck disable=SC2046
ip netns exec "$NS" "$SL_ROOT/build/$SL_SERVER_BIN" \
	-l 1 --no-pci $(sl_eal_mem 512) --file-prefix "$PREFIX" \
	--vdev "net_tap0,iface=$IFACE" --log-level lib.eal:warning -- \
	--ip "$SLUICE_IP/24" --mbufs 8191 >"$LOG" 2>&1 &
server_pid=$!
sl_wait_server "$LOG" "$server_pid" 30 || { cat "$LOG"; sl_die "sluice-server did not start"; }
grep '^sluice-server:' "$LOG"
sl_tap_peer "$NS" "$IFACE" "$KERNEL_MAC" "$KERNEL_IP/24"

sl_say "the kernel pings sluice ($KERNEL_IP -> $SLUICE_IP)"
ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 "$SLUICE_IP"

sl_say "the kernel's neighbour table holds sluice's MAC (learned by ARP)"
ip -n "$NS" neigh show "$SLUICE_IP"

sl_say "a Linux TCP client talks to sluice's echo server ($SLUICE_IP:7)"
ip netns exec "$NS" "$SL_PY" - "$SLUICE_IP" <<'PYEOF'
import hashlib, os, socket, sys, threading, time
host = sys.argv[1]
s = socket.create_connection((host, 7), timeout=10)
s.sendall(b"hello sluice, this is the Linux kernel\n")
print("  sent a line, echoed back:", s.recv(100))
data = os.urandom(20 << 20)
got = hashlib.sha256()
n = [0]
def reader():
    while n[0] < len(data):
        b = s.recv(1 << 18)
        if not b:
            break
        got.update(b)
        n[0] += len(b)
t0 = time.time()
th = threading.Thread(target=reader)
th.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
th.join(60)
dt = time.time() - t0
ok = n[0] == len(data) and got.digest() == hashlib.sha256(data).digest()
print("  20 MB sent and echoed back in %.2f s (%.0f Mbit/s each way): %s" %
      (dt, len(data) * 8 / dt / 1e6, "identical" if ok else "MISMATCH"))
print("  after our FIN, sluice finished echoing and closed:", s.recv(1) == b"")
s.close()
sys.exit(0 if ok else 1)
PYEOF
sl_say "the kernel's view of the connection (ss -tan)"
ip netns exec "$NS" ss -tan | sed 's/^/  /'

sl_say "sluice's counters, read live through rte_telemetry (dpdk-telemetry.py -f $PREFIX)"
sl_telemetry "$PREFIX" /sluice/stats | "$SL_PY" -c 'import json,sys
d = json.load(sys.stdin)["/sluice/stats"]
for k, v in d.items():
    if v:
        print("  %-24s %d" % (k, v))'

if [ "$keep" = 1 ]; then
	sl_say "sluice keeps running; try: ip netns exec $NS ping $SLUICE_IP   (Ctrl-C to stop)"
	wait "$server_pid" || true
	server_pid=
fi

sl_say "stopping sluice-server (SIGINT): it reports its connections and checks its pools"
rc=0
sl_stop_pid "$server_pid" 10 || rc=$?
server_pid=
grep -E '^sluice-server: (connections|mbuf|LEAK)' "$LOG"
[ "$rc" -eq 0 ] || sl_die "sluice-server exited with status $rc"
sl_say "done: namespace and processes cleaned up"
