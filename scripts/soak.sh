#!/usr/bin/env bash
# Soak: sluice-server (echo) on net_tap in a throw-away namespace with the fault injector
# on, the Linux kernel as the peer holding idle connections open while it churns short
# ones (tests/interop/soakpeer.py). Prints one line per interval (connections/s, flows
# held, mbufs in use, resident memory) and fails if the mbuf pool or the memory keep
# growing, if the peer lost or corrupted an echo, or if sluice does not exit clean.
#
#   scripts/soak.sh [--minutes N] [--interval S] [--idle N] [--fault SPEC]
#
# Defaults: 10 minutes, a line every 60 s, 2000 idle connections, 0.2% loss and 0.2%
# reordering each way. scripts/test.sh runs a one-minute soak (suite "soak"). Ctrl-C (or
# SIGTERM) stops it at once: sluice-server and the peer are stopped by their PIDs, the
# namespace is removed, and the exit status is 130 (143).
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
sl_need_root

minutes=10 interval=60 idle=2000 fault=drop=0.002,reorder=0.002,seed=7
while [ $# -gt 0 ]; do
	case "$1" in
	--minutes) minutes=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--idle) idle=$2; shift 2 ;;
	--fault) fault=$2; shift 2 ;;
	*) sl_die "unknown option $1 (see the head of $0)" ;;
	esac
done
seconds=$((minutes * 60))
[ "$seconds" -ge "$interval" ] || sl_die "--minutes must cover at least one --interval"

NS=sl-soak-$$
PREFIX=sl-soak-$$
IFACE=sl0
KIP=198.18.0.1
SIP=198.18.0.2
BUILD=${SL_BUILD_DIR:-build}
LOG=$(mktemp /tmp/sl-soak.XXXXXX.log)
server_pid= peer_pid=

# The EXIT trap cleans up however the script ends; INT and TERM end it (a trap that did
# not exit would let the loop below go on after the cleanup).
cleanup() {
	trap - EXIT INT TERM
	sl_run_stop
	if [ -n "$peer_pid" ]; then
		kill "$peer_pid" 2>/dev/null
		wait "$peer_pid" 2>/dev/null
	fi
	[ -n "$server_pid" ] && sl_stop_pid "$server_pid" 10
	sl_netns_del "$NS"
	rm -f "$LOG.stop"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$SL_ROOT/$BUILD/$SL_SERVER_BIN" ] || sl_build "$BUILD" || sl_die "build failed"
sl_netns_add "$NS"
# The kernel churns client connections: let it reuse its TIME-WAIT ports.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=1
sl_server_start server_pid "$NS" "$PREFIX" "$IFACE" "$LOG" \
	-l 0 --no-huge -m 1024 -- \
	--ip "$SIP/24" --mode echo --max-flows $((idle + 8192)) --mbufs 65535 \
	--fault "$fault" || { tail -20 "$LOG"; sl_die "sluice-server did not start"; }
sl_tap_peer "$NS" "$IFACE" 02:00:00:00:00:01 "$KIP/24"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$IFACE.disable_ipv6=1"
ulimit -n $((idle + 4096))

rm -f "$LOG.stop"
ip netns exec "$NS" "$SL_PY" "$SL_ROOT/tests/interop/soakpeer.py" "$SIP" 7 --idle "$idle" \
	--seconds $((seconds + 600)) --stop-file "$LOG.stop" > "$LOG.peer" 2>&1 &
peer_pid=$!

info() { sl_telemetry "$PREFIX" /sluice/info | sl_json_get /sluice/info "$1"; }
opens() { sl_telemetry "$PREFIX" /sluice/stats | sl_json_get /sluice/stats tcp_passive_opens; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$server_pid/status"; }

printf '%6s %10s %8s %9s %12s %10s\n' minute conn/s flows timewait mbufs_in_use rss_MiB
declare -a pool=() rss=()
last=$(opens) start=$SECONDS t=0 prev=0
while [ "$t" -lt "$seconds" ]; do
	sl_run sleep $((interval - (SECONDS - start) % interval))
	t=$((SECONDS - start))
	kill -0 "$server_pid" 2>/dev/null || { tail -20 "$LOG"; sl_die "sluice-server died"; }
	now=$(opens)
	p=$(info mbufs_in_use) r=$(rss_kb)
	pool+=("$p") rss+=("$r")
	printf '%6s %10d %8d %9d %12d %10d\n' "$(awk "BEGIN { printf \"%.1f\", $t / 60 }")" \
		$(((now - last) / (t > prev ? t - prev : 1))) "$(info flows)" "$(info timewait)" \
		"$p" $((r / 1024))
	last=$now prev=$t
done
touch "$LOG.stop"
wait "$peer_pid"
prc=$?
peer_pid=
cat "$LOG.peer"
rc=0
[ "$prc" -eq 0 ] || { echo "FAIL: the kernel peer lost or corrupted echoes"; rc=1; }

# Growth: the largest figure of the last third of the run against the largest of the
# first third (after the idle connections were opened), with room for noise.
n=${#pool[@]}
k=$(((n + 2) / 3))
maxof() { printf '%s\n' "$@" | sort -n | tail -1; }
p0=$(maxof "${pool[@]:0:$k}") p1=$(maxof "${pool[@]:$((n - k))}")
r0=$(maxof "${rss[@]:0:$k}") r1=$(maxof "${rss[@]:$((n - k))}")
if [ "$n" -ge 2 ] && [ "$p1" -gt $((p0 + p0 / 4 + 1024)) ]; then
	echo "FAIL: mbufs in use grew from $p0 to $p1"; rc=1
fi
if [ "$n" -ge 2 ] && [ "$r1" -gt $((r0 + r0 / 10 + 16384)) ]; then
	echo "FAIL: resident memory grew from $((r0 / 1024)) to $((r1 / 1024)) MiB"; rc=1
fi

sl_stop_pid "$server_pid" 15 || { echo "FAIL: sluice-server exited with an error"; rc=1; }
server_pid=
grep -q '^sluice-server: mbuf pools clean' "$LOG" ||
	{ echo "FAIL: sluice-server did not report clean mbuf pools"; tail -20 "$LOG"; rc=1; }
grep -E '^  (fault_drop|fault_reorder|tcp_passive_opens|tcp_retransmit_segs|tcp_timewait_reuse) ' "$LOG"
[ "$rc" -eq 0 ] && echo "soak: ok ($minutes min, $idle idle connections held)"
rm -f "$LOG" "$LOG.peer" "$LOG.stop"
exit $rc
