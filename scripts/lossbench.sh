#!/usr/bin/env bash
# Goodput under random packet loss: sluice against Linux<->Linux on the same transfers and
# the same drop rules, in one run (issue 16).
#
#   scripts/lossbench.sh                  20 MB per transfer, loss 0 0.5 1 2 5 % each way,
#                                         3 runs per point (median), then the memif stream
#   scripts/lossbench.sh --quick          2 MB, loss 0 1 5 %, 1 run per point, memif 2 s
#   scripts/lossbench.sh --bytes 5m --loss "0 1 2" --repeats 5 --out DIR
#
# Options:
#   --bytes N          bytes per transfer (k, m suffixes: 1024, 1048576), default 20m
#   --loss "L..."      loss rates in percent, each way (0 first: the clean reference)
#   --repeats N        runs per point, the median is reported (default 3)
#   --workloads "W..." any of echo up down (default all three)
#   --run-timeout S    a transfer not done in S seconds fails and counts as 0 (default 120)
#   --memif-seconds S  length of each memif stream run (default 4; 0: no memif part)
#   --out DIR          results (default build/lossbench/<date-time>)
#   --sluice-opts "O"  more sluice-server options for the tap runs, e.g. "--cc newreno"
#   --linux-cc NAME    congestion control of every Linux socket (default cubic, sluice's
#                      default, so the two stacks answer loss with the same algorithm;
#                      "default": the namespace's net.ipv4.tcp_congestion_control, bbr on
#                      some kernels, which does not reduce its rate on random loss)
#   --quick            2m, "0 1 5", 1 repeat, memif 2 s (what the numbers look like, fast)
#
# Transfers (the client is Python sockets, the kernel's TCP, in the namespace where the
# drop rules are; CPU 1; the server side on CPU 0):
#   echo   the client sends N bytes to an echo server and reads them back (checked);
#          goodput = N / time, each way
#   up     Linux -> server: N bytes to a discard server, until its FIN
#   down   server -> Linux: the server side connects to a Linux sink and sends N bytes
#          (sluice: sluice-server --mode source --verify none), timed by the sink
# Stacks:
#   sluice sluice-server on net_tap in namespace slb-tap-PID; the kernel side sl0 is the
#          Linux peer, with its offloads off (no GSO/TSO/GRO, no checksum offload)
#   linux  two namespaces slb-la-PID (client side) and slb-lb-PID (server side: echo,
#          discard, source) joined by a veth pair, offloads off on both ends
# Loss: on the client-side interface only (sl0, or the veth end in slb-la-PID):
#   iptables -A INPUT  -i IF -p tcp -m statistic --mode random --probability P -j DROP
#   iptables -A OUTPUT -o IF -p tcp -m statistic --mode random --probability P -j DROP
# INPUT drops are lost on the wire for the server-side sender. OUTPUT drops of data are
# not: the kernel's own TCP gets an error from the netfilter hook (EPERM) and sends the
# segment again later, without waiting for a timeout; a pure ACK it refuses is gone. So on
# both stacks the real losses are the server side's segments and the Linux client's ACKs,
# and the RTO columns count the server side's timeouts
# (sluice's tcp_rto; TcpExtTCPTimeouts of slb-lb-PID); the Linux client's timeouts are in
# the JSON (peer_rto_total).
#
# The memif part: sluice-server --mode discard <-> sluice-bench --workload stream (the
# sender, --stats true) over net_memif (hugepages), each dropping P of the frames it sends
# (--fault drop=P,dir=tx on both sides), for every loss rate: the same recovery without
# the tap's cost.
#
# Results: DIR/runs.jsonl (every run with its counters), DIR/table.txt, DIR/lossbench.json,
# DIR/lossbench.svg (scripts/lib/lossbench.py report DIR redraws them). The machine is
# shared and has two cores: read the retained ratios, not the absolute rates.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
sl_need_root

BYTES=20m LOSSES="0 0.5 1 2 5" REPEATS=3 WORKLOADS="echo up down" RUN_TIMEOUT=120
MEMIF_S=4 out='' SLUICE_OPTS='' LINUX_CC=cubic
while [ $# -gt 0 ]; do
	case "$1" in
	--bytes) BYTES=$2; shift 2 ;;
	--loss) LOSSES=$2; shift 2 ;;
	--repeats) REPEATS=$2; shift 2 ;;
	--workloads) WORKLOADS=$2; shift 2 ;;
	--run-timeout) RUN_TIMEOUT=$2; shift 2 ;;
	--memif-seconds) MEMIF_S=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--sluice-opts) SLUICE_OPTS=$2; shift 2 ;;
	--linux-cc) LINUX_CC=$2; shift 2 ;;
	--quick) BYTES=2m LOSSES="0 1 5" REPEATS=1 MEMIF_S=2; shift ;;
	*) sl_die "unknown option $1 (see the head of $0)" ;;
	esac
done
case $BYTES in
*[kK]) BYTES=$((${BYTES%[kK]} << 10)) ;;
*[mM]) BYTES=$((${BYTES%[mM]} << 20)) ;;
esac
[[ "$BYTES" =~ ^[1-9][0-9]*$ ]] || sl_die "--bytes takes a count (k, m suffixes)"
[[ "$REPEATS" =~ ^[1-9][0-9]?$ ]] || sl_die "--repeats takes 1 to 99"
[[ "$RUN_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || sl_die "--run-timeout takes seconds"
[[ "$MEMIF_S" =~ ^[0-9]+$ ]] || sl_die "--memif-seconds takes seconds"
[[ "$LINUX_CC" =~ ^[a-z0-9_]+$ ]] || sl_die "--linux-cc takes a name (cubic, reno, bbr, default)"
CC_OPT=()
if [ "$LINUX_CC" = default ]; then
	LINUX_CC=$(sysctl -n net.ipv4.tcp_congestion_control)
else
	grep -qw "$LINUX_CC" /proc/sys/net/ipv4/tcp_available_congestion_control ||
		modprobe "tcp_$LINUX_CC" 2>/dev/null
	grep -qw "$LINUX_CC" /proc/sys/net/ipv4/tcp_available_congestion_control ||
		sl_die "--linux-cc $LINUX_CC: not in net.ipv4.tcp_available_congestion_control"
	CC_OPT=(--cc "$LINUX_CC")
fi
for l in $LOSSES; do
	[[ "$l" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v l="$l" 'BEGIN { exit !(l < 100) }' ||
		sl_die "--loss takes percentages below 100, e.g. \"0 0.5 1\""
done
for w in $WORKLOADS; do
	case $w in echo | up | down) ;; *) sl_die "unknown workload $w (echo up down)" ;; esac
done
out=${out:-$SL_ROOT/build/lossbench/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out" "$out/logs"
: >"$out/runs.jsonl"

"$SL_ROOT/scripts/setup.sh" >/dev/null || sl_die "setup failed"
sl_build build -Dwerror=true || sl_die "build failed"
LB_PY=$SL_ROOT/scripts/lib/lossbench.py
SERVER=$SL_ROOT/build/$SL_SERVER_BIN
BENCH=$SL_ROOT/build/dpdk_app/sluice-bench

SNS=slb-tap-$$ LA=slb-la-$$ LB=slb-lb-$$
PREFIX=slb-tap-$$
TAP=sl0 TAP_KIP=198.18.4.1 TAP_SIP=198.18.4.2 TAP_KMAC=02:00:00:00:04:01
VA=lba0 VB=lbb0 LA_IP=198.18.5.1 LB_IP=198.18.5.2
SINK_PORT=5001
SOCK=/run/slb-loss-$$.sock
server_pid='' serve_pid='' bg_pid=''

# The EXIT trap removes everything however the script ends (the drop rules live in the
# namespaces and go with them); INT and TERM end the script.
cleanup() {
	trap - EXIT INT TERM
	sl_run_stop
	[ -n "$bg_pid" ] && { kill -TERM "$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; }
	[ -n "$server_pid" ] && sl_stop_pid "$server_pid" 10
	[ -n "$serve_pid" ] && sl_stop_pid "$serve_pid" 5
	sl_netns_del "$SNS"
	sl_netns_del "$LA"
	sl_netns_del "$LB"
	rm -f "$SOCK"
	# The EAL's runtime directories of our DPDK processes (config, telemetry socket).
	rm -rf "/var/run/dpdk/$PREFIX" "/var/run/dpdk/slb-ms-$$" "/var/run/dpdk/slb-mc-$$"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# offloads_off NS IFACE: segments at the drop rules are the segments on the wire.
offloads_off() {
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off \
		>/dev/null 2>&1 || true
	ip netns exec "$1" ethtool -K "$2" sg off >/dev/null 2>&1 || true
}

# set_loss NS IFACE PERCENT: the drop rules of the namespace, both directions.
set_loss() {
	local ns=$1 ifc=$2 p
	ip netns exec "$ns" iptables -w 5 -F INPUT
	ip netns exec "$ns" iptables -w 5 -F OUTPUT
	awk -v l="$3" 'BEGIN { exit !(l > 0) }' || return 0
	p=$(awk -v l="$3" 'BEGIN { printf "%.6f", l / 100 }')
	ip netns exec "$ns" iptables -w 5 -A INPUT -i "$ifc" -p tcp -m statistic \
		--mode random --probability "$p" -j DROP &&
		ip netns exec "$ns" iptables -w 5 -A OUTPUT -o "$ifc" -p tcp -m statistic \
			--mode random --probability "$p" -j DROP ||
		sl_die "cannot add the iptables statistic rules (iptables and xt_statistic?)"
}

# fail_rec STACK WORKLOAD LOSS REP: a run that failed or timed out.
fail_rec() {
	printf '{"ok": false, "stack": "%s", "workload": "%s", "loss": %s, "rep": "%s", "bytes": %s, "mbps": 0}\n' \
		"$1" "$2" "$3" "$4" "$BYTES" >>"$out/runs.jsonl"
	echo "  FAILED: $1 $2 at $3% (run $4)"
}

# show_last: one line for the run just recorded.
show_last() {
	tail -n 1 "$out/runs.jsonl" | "$SL_PY" -c 'import json, sys
r = json.loads(sys.stdin.read())
c = r.get("counters", {})
s = c.get("sluice", {})
d = c.get("drops", {})
lx = ["%s %d" % (k.split(":")[1], v.get("TcpExtTCPTimeouts", 0)) for k, v in c.items()
      if k.startswith("linux:")]
if r.get("ok"):
    print("  %-6s %-4s %4s%% run %s: %7.1f Mbit/s in %.2f s; drops in/out %s/%s; %s%s" % (
        r["stack"], r["workload"], r["loss"], r["rep"], r["mbps"], r["secs"],
        d.get("input", "?"), d.get("output", "?"),
        ("sluice rto %d recov %d fastrtx %d rack %d tlp %d retx %d; " % (
            s["tcp_rto"], s["tcp_recoveries"], s["tcp_fast_retransmit"],
            s["tcp_rack_lost"], s["tcp_tlp_sent"], s["tcp_retransmit_segs"])) if s else "",
        "Linux RTOs " + ", ".join(lx)))'
}

tap_server_start() {	# MODE [options...]
	local mode=$1 log=$out/logs/sluice.$1.$2.log
	shift 2
	# shellcheck disable=SC2046,SC2086
	sl_server_start server_pid "$SNS" "$PREFIX" "$TAP" "$log" -l 0 $(sl_eal_mem 512) -- \
		--ip "$TAP_SIP/24" --mode "$mode" "$@" $SLUICE_OPTS ||
		{ tail -n 20 "$log"; sl_die "sluice-server --mode $mode did not start"; }
	sl_tap_peer "$SNS" "$TAP" "$TAP_KMAC" "$TAP_KIP/24"
	ip netns exec "$SNS" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
	offloads_off "$SNS" "$TAP"
}

tap_server_stop() {
	sl_stop_pid "$server_pid" 15 || sl_warn "sluice-server exited with status $?"
	server_pid=
}

# run_client STACK WORKLOAD LOSS REP NS ARGS...: one echo or send run, recorded.
run_client() {
	local st=$1 wl=$2 loss=$3 rep=$4 ns=$5
	shift 5
	if sl_run timeout $((RUN_TIMEOUT + 30)) ip netns exec "$ns" taskset -c 1 "$SL_PY" \
		"$LB_PY" "$@" "${CC_OPT[@]}" --bytes "$BYTES" --timeout "$RUN_TIMEOUT" --iptables \
		--tag "stack=$st" --tag "workload=$wl" --tag "loss=$loss" --tag "rep=$rep" \
		--out "$out/runs.jsonl" >/dev/null 2>"$out/logs/client.err"; then
		show_last
	else
		sed 's/^/  /' "$out/logs/client.err"
		fail_rec "$st" "$wl" "$loss" "$rep"
	fi
}

# sluice_point WORKLOAD LOSS: the repeats of one point on sluice (a fresh server).
sluice_point() {
	local wl=$1 loss=$2 r mode=echo port=7 run rc
	# The rules name the interface: they hold for every tap the server creates.
	set_loss "$SNS" "$TAP" "$loss"
	if [ "$wl" = down ]; then
		for ((r = 1; r <= REPEATS; r++)); do
			run=$out/logs/run.$$.json
			rm -f "$run"
			# The sink first (it counts from before the connection), then the server.
			ip netns exec "$SNS" taskset -c 1 timeout $((RUN_TIMEOUT + 30)) "$SL_PY" \
				"$LB_PY" sink "$SINK_PORT" "${CC_OPT[@]}" --bytes "$BYTES" --timeout "$RUN_TIMEOUT" \
				--iptables --netns "$SNS" --tag stack=sluice --tag workload=down \
				--tag "loss=$loss" --tag "rep=$r" --out "$run" >/dev/null \
				2>"$out/logs/client.err" &
			bg_pid=$!
			tap_server_start source "down.$loss.$r" --remote "$TAP_KIP" \
				--port "$SINK_PORT" --bytes "$BYTES" --verify none \
				--start-delay-ms 1000
			wait "$bg_pid"
			rc=$?
			bg_pid=
			# The source stops by itself once its connection closed.
			for _ in $(seq 1 $((RUN_TIMEOUT * 10))); do
				kill -0 "$server_pid" 2>/dev/null || break
				sleep 0.1
			done
			tap_server_stop
			if [ $rc -eq 0 ] && [ -s "$run" ] &&
				"$SL_PY" "$LB_PY" merge "$run" "$out/logs/sluice.source.down.$loss.$r.log"; then
				cat "$run" >>"$out/runs.jsonl"
				show_last
			else
				sed 's/^/  /' "$out/logs/client.err"
				fail_rec sluice down "$loss" "$r"
			fi
			rm -f "$run"
		done
		return
	fi
	[ "$wl" = up ] && mode=discard port=9
	tap_server_start "$mode" "$wl.$loss"
	for ((r = 1; r <= REPEATS; r++)); do
		run_client sluice "$wl" "$loss" "$r" "$SNS" "$( [ "$wl" = echo ] && echo echo || echo send)" \
			"$TAP_SIP" "$port" --telemetry "$PREFIX" --netns "$SNS"
	done
	tap_server_stop
}

# linux_point WORKLOAD LOSS: the same on the veth pair.
linux_point() {
	local wl=$1 loss=$2 r port=7 run rc
	set_loss "$LA" "$VA" "$loss"
	for ((r = 1; r <= REPEATS; r++)); do
		case $wl in
		echo | up)
			[ "$wl" = up ] && port=9
			run_client linux "$wl" "$loss" "$r" "$LA" \
				"$( [ "$wl" = echo ] && echo echo || echo send)" "$LB_IP" "$port" \
				--netns "$LA" --netns "$LB" --tag "role_ns=$LB"
			;;
		down)
			run=$out/logs/run.$$.json
			rm -f "$run"
			ip netns exec "$LA" taskset -c 1 timeout $((RUN_TIMEOUT + 30)) "$SL_PY" \
				"$LB_PY" sink "$SINK_PORT" "${CC_OPT[@]}" --bytes "$BYTES" --timeout "$RUN_TIMEOUT" \
				--iptables --netns "$LA" --netns "$LB" --tag "role_ns=$LB" \
				--tag stack=linux --tag workload=down --tag "loss=$loss" --tag "rep=$r" \
				--out "$run" >/dev/null 2>"$out/logs/client.err" &
			bg_pid=$!
			sleep 0.3	# the sink listens
			sl_run ip netns exec "$LB" taskset -c 0 timeout $((RUN_TIMEOUT + 30)) \
				"$SL_PY" "$LB_PY" source "$LA_IP" "$SINK_PORT" "${CC_OPT[@]}" --bytes "$BYTES" \
				--timeout "$RUN_TIMEOUT" 2>>"$out/logs/client.err"
			wait "$bg_pid"
			rc=$?
			bg_pid=
			if [ $rc -eq 0 ] && [ -s "$run" ]; then
				cat "$run" >>"$out/runs.jsonl"
				show_last
			else
				sed 's/^/  /' "$out/logs/client.err"
				fail_rec linux down "$loss" "$r"
			fi
			rm -f "$run"
			;;
		esac
	done
}

# The namespaces: the tap's (the server creates sl0 in it at each start) and the pair.
sl_netns_add "$SNS"
sl_netns_add "$LA"
sl_netns_add "$LB"
ip link add "$VA" netns "$LA" type veth peer name "$VB" netns "$LB" ||
	sl_die "cannot create the veth pair"
ip -n "$LA" addr add "$LA_IP/24" dev "$VA"
ip -n "$LB" addr add "$LB_IP/24" dev "$VB"
for x in "$LA $VA" "$LB $VB"; do
	# shellcheck disable=SC2086
	set -- $x
	ip -n "$1" link set "$2" up
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	offloads_off "$1" "$2"
done
ip netns exec "$LB" taskset -c 0 "$SL_PY" "$LB_PY" serve "${CC_OPT[@]}" --echo 7 --discard 9 \
	--max-s 36000 >"$out/logs/linux-serve.log" 2>&1 &
serve_pid=$!

cat >"$out/meta.json" <<EOF
{"bytes": $BYTES, "mb": $(awk -v b="$BYTES" 'BEGIN { printf "%g", b / 1048576 }'),
 "repeats": $REPEATS, "losses": [$(echo "$LOSSES" | tr -s ' ' ',' | sed 's/^,//; s/,$//')],
 "workloads": "$WORKLOADS", "run_timeout_s": $RUN_TIMEOUT, "memif_seconds": $MEMIF_S,
 "linux_cc": "$LINUX_CC", "sluice_opts": "$SLUICE_OPTS",
 "commit": "$(git -C "$SL_ROOT" rev-parse --short HEAD 2>/dev/null)"}
EOF
echo "results in $out"
for wl in $WORKLOADS; do
	for loss in $LOSSES; do
		sl_say "$wl at $loss% loss each way: sluice"
		sluice_point "$wl" "$loss"
		sl_say "$wl at $loss% loss each way: Linux"
		linux_point "$wl" "$loss"
	done
done
sl_stop_pid "$serve_pid" 5
serve_pid=

# The memif part: sluice <-> sluice, the fault injector on both sides.
memif_run() {	# LOSS REP
	local loss=$1 rep=$2 fault=() base=$out/memif/stream_loss$1_r$2
	awk -v l="$loss" 'BEGIN { exit !(l > 0) }' &&
		fault=(--fault "drop=$(awk -v l="$loss" 'BEGIN { printf "%.6f", l / 100 }'),dir=tx")
	rm -f "$SOCK"
	"$SERVER" -l 0 --no-pci --huge-unlink -m 256 --file-prefix "slb-ms-$$" \
		--vdev "net_memif0,role=server,socket=$SOCK" --log-level lib.eal:warning \
		-- --ip 198.18.1.1/24 --mode discard --mbufs 32767 "${fault[@]}" \
		>"$base.server.log" 2>&1 &
	server_pid=$!
	sl_wait_server "$base.server.log" "$server_pid" 30 ||
		{ tail "$base.server.log"; sl_warn "memif sluice-server did not start"; return 1; }
	sl_run timeout $((MEMIF_S + 60)) "$BENCH" -l 1 --no-pci --huge-unlink -m 256 \
		--file-prefix "slb-mc-$$" \
		--vdev "net_memif0,role=client,socket=$SOCK" --log-level lib.eal:warning \
		-- --ip 198.18.1.2/24 --remote 198.18.1.1 --mbufs 32767 "${fault[@]}" \
		--workload stream --conns 1 --size 16384 --duration-s "$MEMIF_S" \
		--warmup-ms 500 --stats true --progress false \
		--label "stream loss $loss%" --json "$base.json" >"$base.log" 2>&1 ||
		echo "  FAILED: memif stream at $loss% (log: $base.log)"
	sl_stop_pid "$server_pid" 15 || sl_warn "memif sluice-server exited with an error"
	server_pid=
	grep '^sluice-bench: stream' "$base.log" | sed 's/^/  /'
	grep -E '^  tcp_(rto|recoveries|fast_retransmit|rack_lost|tlp_sent|retransmit_segs) ' \
		"$base.log" | tr -s ' ' | tr '\n' ';' | sed 's/^/  /; s/;$/\n/'
}
if [ "$MEMIF_S" -gt 0 ]; then
	mkdir -p "$out/memif"
	if [ "$(sl_free_hugepages)" -lt 300 ]; then
		sl_warn "memif needs about 300 free 2 MiB hugepages, $(sl_free_hugepages) free:" \
			"no memif part"
	else
		for loss in $LOSSES; do
			for ((r = 1; r <= REPEATS; r++)); do
				sl_say "memif stream at $loss% loss each way, run $r"
				memif_run "$loss" "$r"
			done
		done
	fi
fi

sl_say "report"
"$SL_PY" "$LB_PY" report "$out"
