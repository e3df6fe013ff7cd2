#!/usr/bin/env bash
# sluice against the Linux kernel's TCP on the same workloads, side by side in one run,
# and both against the raw packet-rate floor of the link (docs/bench.md).
#
#   scripts/bench.sh                 the full table (about 4 minutes)
#   scripts/bench.sh --quick         every workload for 1 s (CI smoke: the tool runs and
#                                    its output parses; the figures mean little)
#   scripts/bench.sh --instructions  instructions per request under callgrind (repeatable),
#                                    rr64_1B with one and with two workers (--workers N: N)
#   scripts/bench.sh --cache         cache misses per request at 1k and 16k connections
#                                    under callgrind's cache model (repeatable; the
#                                    memory side of the sweep's 16k/1k ratio)
#   scripts/bench.sh --workers N     the sluice memif workloads with 1 and with N workers on
#                                    each side (N memif queues), side by side (rows
#                                    rr64_1B@1w, rr64_1B@Nw); with --quick, for 1 s each
#   scripts/bench.sh --sweep         the cost curve: sluice rr, depth 1, 1 B, at 1, 64, 1k,
#                                    4k, 16k and 64k connections (msg/s, p99, retransmits,
#                                    TX backpressure; sweep.txt, sweep.svg); with --quick,
#                                    1 s per point
#   scripts/bench.sh --sweep --points "1024 16384"   only these connection counts
#   scripts/bench.sh --out DIR       where results go (default build/bench/<date-time>)
#
# On this 2-core machine the server runs on CPU 0 and the client on CPU 1:
#   sluice:  sluice-server <-> sluice-bench over net_memif (two processes, hugepages)
#   kernel:  sluice-bench --backend kernel --serve <-> sluice-bench --backend kernel over
#            127.0.0.1, in a network namespace of their own
#   floor:   sluice-bench rxonly <-> txonly on the same memif link, and dpdk-testpmd
#            (rxonly forwarding) as an outside reference: the packet-rate floor;
#            sluice-bench pingpong <-> reflect: the round-trip floor
# Every process maps its hugepages unlinked (--huge-unlink), so they return to the pool
# when it exits (see sl_eal_mem in scripts/lib/common.sh).
# Nothing else may run meanwhile: a polling process owns its core, and any other load
# skews both columns. The table prints ratios because absolute rates move with the
# machine; the ratios measured in one run are what to track.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
sl_need_root

mode=full out='' NW='' sweep='' points='1 64 1024 4096 16384 65536'
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) mode=quick; shift ;;
	--instructions) mode=instructions; shift ;;
	--cache) mode=cache; shift ;;
	--sweep) sweep=1; shift ;;
	--points) points=$2; shift 2 ;;
	--workers) NW=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) sl_die "unknown option $1 (see the head of $0)" ;;
	esac
done
[ -z "$NW" ] || [[ "$NW" =~ ^[1-9][0-9]?$ ]] || sl_die "--workers takes a count from 1 to 99"
out=${out:-$SL_ROOT/build/bench/$(date +%Y%m%d-%H%M%S)${mode:+-$mode}${NW:+-w$NW}${sweep:+-sweep}}
mkdir -p "$out"

"$SL_ROOT/scripts/setup.sh" >/dev/null || sl_die "setup failed"
sl_build build -Dwerror=true || sl_die "build failed"
BENCH=$SL_ROOT/build/dpdk_app/sluice-bench
SERVER=$SL_ROOT/build/dpdk_app/sluice-server
SOCK=/run/sluice-bench-$$.sock
SIP=198.18.1.1
CIP=198.18.1.2
KPORT=7
KNS=slb-k-$$
server_pid=

# The EXIT trap cleans up however the script ends; INT and TERM end it (a trap that did
# not exit would let the workload loop go on after the cleanup). Every long run goes
# through sl_run, so that a signal acts at once and the run is stopped by its PID.
cleanup() {
	trap - EXIT INT TERM
	sl_run_stop
	[ -n "$server_pid" ] && sl_stop_pid "$server_pid" 10
	sl_netns_del "$KNS"
	rm -f "$SOCK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

case $mode in
quick) DUR=1 WARM=300 ;;
*) DUR=10 WARM=1500 ;;
esac

# name  workload  client options  (server: echo, or discard for stream)
WORKLOADS=(
	"rr1_1B rr --conns 1 --depth 1 --size 1"
	"rr1_64B rr --conns 1 --depth 1 --size 64"
	"rr64_1B rr --conns 64 --depth 1 --size 1"
	"rr64x16_64B rr --conns 64 --depth 16 --size 64"
	"stream stream --conns 1 --size 16384"
	"crr crr --conns 16 --size 1"
)

# lcores N FIRST_CPU: the EAL's --lcores for N workers, lcore i on CPU (FIRST_CPU + i) mod
# the CPU count. With N > 1 on a small machine the server's and the client's workers
# share CPUs (see --workers above): the run is then about correctness, not speed.
lcores() {
	local n=$1 first=$2 ncpu i map=
	ncpu=$(nproc)
	for ((i = 0; i < n; i++)); do
		map+="${map:+,}$i@$(((first + i) % ncpu))"
	done
	echo "$map"
}

# sluice_pair NAME WORKLOAD ARGS...: sluice-server (CPU 0) <-> sluice-bench (CPU 1), or
# with SLW=N workers on each side, server lcore i on CPU i, client lcore i on CPU i + 1
# (modulo the CPU count).
SLW=1
SRV_ARGS=()
sluice_pair() {
	local name=$1 wl=$2 smode=echo log=$out/$1.sluice.server.log
	shift 2
	[ "$wl" = stream ] && smode=discard
	rm -f "$SOCK"
	"$SERVER" --lcores "$(lcores "$SLW" 0)" --no-pci --huge-unlink -m 512 \
		--file-prefix "slb-s-$$" \
		--vdev "net_memif0,role=server,socket=$SOCK" --log-level lib.eal:warning \
		-- --ip "$SIP/24" --mode "$smode" --mbufs 32767 "${SRV_ARGS[@]}" >"$log" 2>&1 &
	server_pid=$!
	sl_wait_server "$log" "$server_pid" 30 || { tail "$log"; sl_die "sluice-server did not start"; }
	# crr opens and closes a connection per request, several hundred thousand a second:
	# a short TIME-WAIT (2 x --msl-ms = 20 ms) and the widest port range keep the
	# client's local ports from running out (the kernel client reuses TIME-WAIT ports
	# on loopback by itself, net.ipv4.tcp_tw_reuse).
	sl_run timeout $((DUR + 60)) "$BENCH" --lcores "$(lcores "$SLW" 1)" --no-pci \
		--huge-unlink -m 512 --file-prefix "slb-c-$$" \
		--vdev "net_memif0,role=client,socket=$SOCK" --log-level lib.eal:warning \
		-- --ip "$CIP/24" --remote "$SIP" --mbufs 32767 --max-flows 65536 --msl-ms 10 \
		--port-min 1024 --port-max 65535 \
		--workload "$wl" "$@" --duration-s "$DUR" --warmup-ms "$WARM" \
		--label "$name sluice" --json "$out/$name.sluice.json" \
		>"$out/$name.sluice.log" 2>&1 || echo "FAILED: $name over sluice (log: $out/$name.sluice.log)"
	sl_stop_pid "$server_pid" 15 || echo "sluice-server exited with an error ($log)"
	server_pid=
	tail -n 2 "$out/$name.sluice.log" | sed 's/^/  /'
}

# kernel_pair NAME WORKLOAD ARGS...: the same over the kernel's loopback, in a network
# namespace of its own: the machine's other connections (and their TIME-WAITs) stay out
# of it, and its client gets the same local port range as the sluice client.
kernel_pair() {
	local name=$1 wl=$2
	shift 2
	sl_netns_add "$KNS"
	ip netns exec "$KNS" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip netns exec "$KNS" taskset -c 0 "$BENCH" --backend kernel -- --serve \
		--workload "$wl" --port "$KPORT" >"$out/$name.kernel.server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 1 50); do
		grep -q 'kernel server on port' "$out/$name.kernel.server.log" && break
		sleep 0.1
	done
	sl_run timeout $((DUR + 60)) ip netns exec "$KNS" taskset -c 1 "$BENCH" \
		--backend kernel -- \
		--workload "$wl" --remote 127.0.0.1 --port "$KPORT" "$@" --duration-s "$DUR" \
		--warmup-ms "$WARM" \
		--label "$name kernel" --json "$out/$name.kernel.json" \
		>"$out/$name.kernel.log" 2>&1 || echo "FAILED: $name over the kernel (log: $out/$name.kernel.log)"
	sl_stop_pid "$server_pid" 10
	server_pid=
	sl_netns_del "$KNS"
	tail -n 2 "$out/$name.kernel.log" | sed 's/^/  /'
}

# raw_pair SERVER_WL SECONDS CLIENT_WL SECONDS CLIENT_ARGS...: two raw sluice-bench
# processes on the memif link, SERVER_WL on CPU 0 started first, CLIENT_WL on CPU 1; the
# side that measures must stop before the other does. Logs and JSON in
# floor.<workload>.{log,json}.
raw_pair() {
	local swl=$1 ssec=$2 cwl=$3 csec=$4
	shift 4
	rm -f "$SOCK"
	"$BENCH" -l 0 --no-pci --huge-unlink -m 512 --file-prefix "slb-s-$$" \
		--vdev "net_memif0,role=server,socket=$SOCK" --log-level lib.eal:warning \
		-- --workload "$swl" --duration-s "$ssec" --warmup-ms "$WARM" \
		--label "floor $swl" --json "$out/floor.$swl.json" >"$out/floor.$swl.log" 2>&1 &
	server_pid=$!
	sleep 1
	sl_run timeout $((csec + 60)) "$BENCH" -l 1 --no-pci --huge-unlink -m 512 \
		--file-prefix "slb-c-$$" \
		--vdev "net_memif0,role=client,socket=$SOCK" --log-level lib.eal:warning \
		-- --workload "$cwl" "$@" --duration-s "$csec" --warmup-ms "$WARM" \
		--label "floor $cwl" --json "$out/floor.$cwl.json" >"$out/floor.$cwl.log" 2>&1
	wait "$server_pid"
	server_pid=
}

# The packet-rate floor: rxonly (CPU 0) counts what txonly (CPU 1) sends over the link.
floor() {
	raw_pair rxonly $((DUR + 2)) txonly $((DUR + 2)) --size 64
	tail -n 1 "$out/floor.rxonly.log" | sed 's/^/  /'
}

# The round-trip floor: one raw frame in flight, bounced back by the other process; what
# a depth-1 request/response on one connection could reach with no stack at all.
pingpong_floor() {
	raw_pair reflect $((DUR + 2)) pingpong "$DUR" --size 64
	tail -n 2 "$out/floor.pingpong.log" | sed 's/^/  /'
}

# dpdk-testpmd as the receiver: an outside reference for the floor.
testpmd_floor() {
	local log=$out/floor.testpmd.log
	command -v dpdk-testpmd >/dev/null || { echo "  (dpdk-testpmd not installed)"; return; }
	rm -f "$SOCK"
	# Two lcores on CPU 0: testpmd's main lcore only prints stats; lcore 1 forwards.
	dpdk-testpmd --lcores "0@0,1@0" --no-pci --huge-unlink -m 512 --file-prefix "slb-t-$$" \
		--vdev "net_memif0,role=server,socket=$SOCK" --log-level lib.eal:warning \
		-- --forward-mode=rxonly --stats-period 1 --total-num-mbufs 16384 \
		</dev/null >"$log" 2>&1 &
	server_pid=$!
	sleep 2
	sl_run timeout $((DUR + 60)) "$BENCH" -l 1 --no-pci --huge-unlink -m 512 \
		--file-prefix "slb-c-$$" \
		--vdev "net_memif0,role=client,socket=$SOCK" --log-level lib.eal:warning \
		-- --workload txonly --size 64 --duration-s "$DUR" --warmup-ms "$WARM" \
		--label "testpmd txonly" >"$out/floor.testpmd.tx.log" 2>&1
	sl_stop_pid "$server_pid" 10
	server_pid=
	sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log" | grep -o 'Rx-pps: *[0-9]*' | awk '{print $2}' \
		>"$out/floor.testpmd.pps"
	echo "  testpmd rxonly: $(sort -n "$out/floor.testpmd.pps" | tail -1) pps at best"
}

# Instructions per request over the in-process ring link. rr64_1B@Nw: both stacks with N
# workers (N EAL lcores; one thread still polls them all, so the count stays repeatable),
# connection i opened from client worker i mod N; the wire joins queue i to queue i, and
# each stack hands a segment that reached the wrong queue to its owner (the log says how
# many): the handoff path is in the count.
instructions() {
	local name reqs1 reqs2 args ir1 ir2 nw=${NW:-2} eal_lcores i
	command -v valgrind >/dev/null || sl_die "valgrind is not installed"
	[ "$nw" -gt 1 ] || nw=2
	# name  requests (two counts: the difference cancels start-up and shut-down)  args
	for spec in "rr1_1B 20000 60000 --workload rr --conns 1 --size 1" \
		"rr64_1B 20000 60000 --workload rr --conns 64 --size 1" \
		"rr64_1B@${nw}w 20000 60000 --workload rr --conns 64 --size 1" \
		"stream_16KiB 200 600 --workload stream --conns 1 --size 16384"; do
		# shellcheck disable=SC2086
		set -- $spec
		name=$1 reqs1=$2 reqs2=$3
		shift 3
		args=("$@")
		# The extra lcores only make the stacks' worker count: one thread polls every
		# worker, the others wait in the EAL (so all on CPU 0).
		eal_lcores=0@0
		case $name in
		*@*w) for ((i = 1; i < nw; i++)); do eal_lcores+=",$i@0"; done ;;
		esac
		for n in "$reqs1" "$reqs2"; do
			sl_run valgrind --tool=callgrind \
				--callgrind-out-file="$out/callgrind.$name.$n" \
				"$BENCH" --lcores "$eal_lcores" --no-huge --no-pci --no-shconf -m 512 \
				--file-prefix "slb-i-$$" --log-level lib.eal:warning -- --link ring \
				--mbufs 8191 --requests "$n" --duration-s 0 --warmup-ms 0 \
				--progress false "${args[@]}" --json "$out/instr.$name.$n.json" \
				>"$out/instr.$name.$n.log" 2>&1 ||
				sl_die "callgrind run failed ($out/instr.$name.$n.log)"
		done
		ir1=$(awk '/^summary:/ { print $2 }' "$out/callgrind.$name.$reqs1")
		ir2=$(awk '/^summary:/ { print $2 }' "$out/callgrind.$name.$reqs2")
		echo "$name $reqs1 $ir1 $reqs2 $ir2" >>"$out/instructions.txt"
	done
	"$SL_PY" "$SL_ROOT/scripts/lib/bench_report.py" instructions "$out"
}

if [ "$mode" = instructions ]; then
	instructions
	exit $?
fi

# --cache: rr depth 1, 1 B over the ring link (both stacks in one process, which share the
# simulated caches as the two bench processes share the L3) under callgrind's cache model:
# L1d 48 KiB 12-way and a last level of 32 MiB 16-way, this machine's L3. Per request:
# data reads and writes, L1d misses, last-level misses (what goes to memory). Two request
# counts, several per connection each, and their difference: the steady state without
# the connections' set-up. A profiling build (build-prof) runs the worker clock 256 times
# slower (SL_CLOCK_SLOWDOWN_SHIFT, core/clock.h): under valgrind a round trip of 16k
# connections takes seconds, and every timer would fire between two requests.
cache_misses() {
	local conns n1 n2 n
	command -v valgrind >/dev/null || sl_die "valgrind is not installed"
	sl_build build-prof -Dc_args=-DSL_CLOCK_SLOWDOWN_SHIFT=8 || sl_die "profiling build failed"
	for conns in 1024 16384; do
		n1=$((conns * 12)) n2=$((conns * 24))
		for n in "$n1" "$n2"; do
			sl_run valgrind --tool=callgrind --cache-sim=yes --D1=49152,12,64 \
				--LL=33554432,16,64 --callgrind-out-file="$out/cachegrind.rr$conns.$n" \
				"$SL_ROOT/build-prof/dpdk_app/sluice-bench" --lcores 0@0 --no-huge \
				--no-pci --no-shconf -m 2048 --file-prefix "slb-m-$$" \
				--log-level lib.eal:warning -- --link ring --mbufs 65535 \
				--max-flows 20000 --requests "$n" --duration-s 0 --warmup-ms 0 \
				--progress false --workload rr --conns "$conns" --size 1 \
				>"$out/cache.rr$conns.$n.log" 2>&1 ||
				sl_die "callgrind run failed ($out/cache.rr$conns.$n.log)"
		done
		echo "rr${conns}_1B $n1 $out/cachegrind.rr$conns.$n1 $n2 $out/cachegrind.rr$conns.$n2" \
			>>"$out/cache.txt"
	done
	"$SL_PY" "$SL_ROOT/scripts/lib/bench_report.py" cache "$out"
}

if [ "$mode" = cache ]; then
	cache_misses
	exit $?
fi

# --sweep: rr at more and more connections (issue 17). Past one port's 4-tuples (the
# client's ports 1024-65535) the connections spread over two server ports; both sides
# get the flows and the mbufs for 64k connections, each with a request in flight.
if [ -n "$sweep" ]; then
	echo "results in $out"
	# A request in flight holds one mbuf in its sender's queue until it is acknowledged:
	# 64k connections need more than 64k mbufs on each side (about 300 MB of the -m 512).
	SRV_ARGS=(--max-flows 70000 --mbufs 131071 --ports 2 --backlog 65536)
	for n in $points; do
		[[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 65536 ] ||
			sl_die "--points takes connection counts from 1 to 65536"
		sl_say "sweep_$n: sluice, rr, $n connection(s), depth 1, 1 B"
		sluice_pair "sweep_$n" rr --conns "$n" --depth 1 --size 1 --ports 2 \
			--max-flows 70000 --mbufs 131071 --stats true --progress false
	done
	SRV_ARGS=()
	"$SL_PY" "$SL_ROOT/scripts/lib/bench_report.py" sweep "$out"
	exit $?
fi

# --workers N: the sluice memif rows with one worker and with N on each side.
if [ -n "$NW" ]; then
	echo "results in $out"
	if [ "$NW" -gt 1 ] && [ "$((2 * NW))" -gt "$(nproc)" ]; then
		echo "NOTE: $NW workers per side on $(nproc) CPUs: the server's and the client's"
		echo "      $((2 * NW)) polling threads share the CPUs (--lcores $(lcores "$NW" 0)"
		echo "      and $(lcores "$NW" 1)), so the @${NW}w rates measure time-sharing, not"
		echo "      scaling; the instructions per request (--instructions) predict scaling."
	fi
	for w in "${WORKLOADS[@]}"; do
		# shellcheck disable=SC2086
		set -- $w
		name=$1 wl=$2
		shift 2
		for SLW in 1 "$NW"; do
			sl_say "$name@${SLW}w: sluice, $SLW worker(s) per side"
			sluice_pair "$name@${SLW}w" "$wl" "$@"
			[ "$NW" -gt 1 ] || break
		done
	done
	"$SL_PY" "$SL_ROOT/scripts/lib/bench_report.py" workers "$out" "$NW"
	exit $?
fi

echo "results in $out"
# First, next to the rr1 rows whose ceiling it is: a shared machine's speed drifts.
sl_say "round-trip floor (memif, one 64-byte frame in flight)"
pingpong_floor
for w in "${WORKLOADS[@]}"; do
	# shellcheck disable=SC2086
	set -- $w
	name=$1 wl=$2
	shift 2
	sl_say "$name: sluice"
	sluice_pair "$name" "$wl" "$@"
	sl_say "$name: kernel"
	kernel_pair "$name" "$wl" "$@"
done
sl_say "raw floor (memif, 64-byte frames)"
floor
[ "$mode" = quick ] || testpmd_floor
"$SL_PY" "$SL_ROOT/scripts/lib/bench_report.py" table "$out"
