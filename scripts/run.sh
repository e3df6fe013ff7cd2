#!/usr/bin/env bash
# The main job: sluice on a net_tap port inside a private network namespace, with the
# Linux kernel as its peer on the other side of the TAP.
#
#   scripts/run.sh            run the demo once and clean up
#   scripts/run.sh --keep     leave the kv server running until Ctrl-C (explore from the
#                             namespace: ip netns exec sluice-run redis-cli -h 198.18.0.2)
#
# What it does: installs what is missing (scripts/setup.sh), builds, creates namespace
# sluice-run, starts sluice-server there on a net_tap port (kernel side: interface sl0,
# 198.18.0.1/24; sluice: 198.18.0.2/24, TCP echo on port 7), then shows the kernel
# talking to sluice: ping, ARP, and a TCP exchange through the kernel's own TCP stack.
# Then it restarts sluice-server as a RESP key-value server (--mode kv, port 6379) and
# lets Debian's redis-cli and redis-benchmark talk to it through the framing layer.
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
sl_build build || sl_die "build failed"

# start_server MODE...: sluice-server in the namespace on net_tap, the kernel side set up.
# The demo runs the build it made (build/), whatever SL_BUILD_DIR says.
start_server() {
	# shellcheck disable=SC2046
	SL_BUILD_DIR=build sl_server_start server_pid "$NS" "$PREFIX" "$IFACE" "$LOG" \
		-l 1 $(sl_eal_mem 512) -- \
		--ip "$SLUICE_IP/24" --mbufs 8191 "$@" ||
		{ cat "$LOG"; sl_die "sluice-server did not start"; }
	grep '^sluice-server:' "$LOG"
	sl_tap_peer "$NS" "$IFACE" "$KERNEL_MAC" "$KERNEL_IP/24"
}

# stop_server: SIGINT; sluice-server reports its connections and checks its pools.
stop_server() {
	local rc=0
	sl_stop_pid "$server_pid" 10 || rc=$?
	server_pid=
	grep -E '^sluice-server: (connections|kv|mbuf|LEAK)' "$LOG"
	[ "$rc" -eq 0 ] || sl_die "sluice-server exited with status $rc"
}

sl_say "namespace $NS, sluice-server on net_tap ($IFACE)"
sl_netns_add "$NS"
start_server --mode echo

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

sl_say "stopping sluice-server (SIGINT): it reports its connections and checks its pools"
stop_server

sl_say "sluice-server --mode kv: a RESP key-value server on $SLUICE_IP:6379"
start_server --mode kv
sl_say "redis-cli (the kernel's TCP) sets and reads its own keys through sluice"
for cmd in "PING" "SET greeting hello-from-linux" "GET greeting" "INCR visits" \
	"INCR visits" "MSET a 1 b 2" "MGET a b greeting nokey" "DEL a b" "NOSUCHCMD x"; do
	# shellcheck disable=SC2086
	printf '  redis-cli %-30s -> %s\n' "$cmd" \
		"$(ip netns exec "$NS" redis-cli -h "$SLUICE_IP" $cmd | tr '\n' ' ')"
done
sl_say "redis-benchmark -t ping,set,get -n 20000 -c 20 -P 16 (a short run; 2 shared cores)"
ip netns exec "$NS" timeout 120 redis-benchmark -h "$SLUICE_IP" -t ping,set,get \
	-n 20000 -c 20 -P 16 -q | tr '\r' '\n' | grep -v '^[[:space:]]*$' | grep -v 'rps=' | sed 's/^/  /'

if [ "$keep" = 1 ]; then
	sl_say "sluice keeps running; try: ip netns exec $NS redis-cli -h $SLUICE_IP   (Ctrl-C to stop)"
	wait "$server_pid" || true
	server_pid=
	exit 0
fi

sl_say "stopping sluice-server (SIGINT)"
stop_server
sl_say "done: namespace and processes cleaned up"
