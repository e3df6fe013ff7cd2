# Shared by the scripts and the integration tests. Source it; it defines functions and a
# few variables and changes nothing by itself.
#
# Rules every caller follows: DPDK never touches a PCI device (--no-pci on every EAL
# command line), test traffic stays in network namespaces we create and remove, with
# addresses from 198.18.0.0/15, and every process we start is stopped by its PID.

SL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Debian's python3-scapy belongs to /usr/bin/python3 (not whatever python3 is on PATH).
SL_PY=/usr/bin/python3
SL_SERVER_BIN=dpdk_app/sluice-server

sl_say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
sl_warn() { printf 'warning: %s\n' "$*" >&2; }
sl_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

sl_need_root() {
	[ "$(id -u)" -eq 0 ] || sl_die "$(basename "$0") needs root (network namespaces, DPDK)"
}

# sl_build DIR [meson options...]: configure once, then build incrementally. Returns
# non-zero (with the compiler's messages) when it fails, so that a caller can go on -- test.sh
# to its summary -- or stop: `sl_build build || sl_die "build failed"`.
sl_build() {
	local dir=$1; shift
	if [ ! -f "$SL_ROOT/$dir/build.ninja" ]; then
		meson setup "$SL_ROOT/$dir" "$SL_ROOT" "$@" >/dev/null ||
			{ sl_warn "meson setup $dir failed"; return 1; }
	elif [ $# -gt 0 ]; then
		# An existing build directory gets the options asked for now, too.
		meson configure "$SL_ROOT/$dir" "$@" >/dev/null ||
			{ sl_warn "meson configure $dir failed"; return 1; }
	fi
	ninja -C "$SL_ROOT/$dir" >/dev/null ||
		{ ninja -C "$SL_ROOT/$dir"; sl_warn "build of $dir failed"; return 1; }
}

# The libFuzzer targets (tests/fuzz/fuzz_*.c), one name a line.
sl_fuzz_targets() {
	(cd "$SL_ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
}

# The environment every fuzz target runs in (the meson fuzz suite sets the same): stop at
# the first report; LeakSanitizer off, since a target keeps its stack for the whole run.
SL_FUZZ_ENV=(ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1)

# sl_build_fuzz [TARGET...]: the fuzz targets (default: all) in build-fuzz, built with clang,
# which -fsanitize=fuzzer needs (tests/fuzz/meson.build adds the sanitizer flags). DPDK's
# headers test GCC_VERSION under -Wundef, which only gcc defines: hence -Wno-undef. Only
# the targets are built; the gcc builds gate the rest of the tree. Returns non-zero on
# failure.
sl_build_fuzz() {
	local dir=$SL_ROOT/build-fuzz
	local -a targets
	if [ $# -gt 0 ]; then
		targets=("$@")
	else
		mapfile -t targets < <(sl_fuzz_targets)
	fi
	targets=("${targets[@]/#/tests/fuzz/}")	# ninja's names for them
	if [ ! -f "$dir/build.ninja" ]; then
		CC=clang meson setup "$dir" "$SL_ROOT" -Dwerror=true -Dc_args=-Wno-undef \
			>/dev/null || {
			sl_warn "meson setup build-fuzz failed" \
				"(clang and libclang-rt-14-dev: scripts/setup.sh)"
			return 1
		}
	fi
	if ! ninja -C "$dir" "${targets[@]}" >/dev/null; then
		ninja -C "$dir" "${targets[@]}"
		sl_warn "build of the fuzz targets failed"
		return 1
	fi
}

# ThreadSanitizer flags for the send channel (lib/chan/chan.c) and its tests, which need
# neither DPDK nor meson: gcc builds them directly (sl_build_tsan). The warnings are the
# meson build's, as errors.
SL_TSAN_CFLAGS=(-std=gnu11 -O1 -g -fsanitize=thread -Wall -Wextra -Werror -Wcast-qual
	-Wmissing-prototypes -Wshadow -Wstrict-prototypes -Wundef -Wwrite-strings
	-I"$SL_ROOT/lib")

# The send channel's tests under ThreadSanitizer.
SL_TSAN_TESTS=(test_chan test_chan_notify test_chan_stress)

# sl_build_tsan: build-tsan/<test> for each of SL_TSAN_TESTS. Returns non-zero on failure.
sl_build_tsan() {
	local dir=$SL_ROOT/build-tsan t
	mkdir -p "$dir"
	for t in "${SL_TSAN_TESTS[@]}"; do
		gcc "${SL_TSAN_CFLAGS[@]}" "$SL_ROOT/lib/chan/chan.c" \
			"$SL_ROOT/tests/unit/chan/$t.c" -o "$dir/$t" -lcmocka -pthread || return 1
	done
}

# Free 2 MiB hugepages; 0 when none are reserved or hugetlbfs is not mounted.
sl_free_hugepages() {
	if ! grep -qs hugetlbfs /proc/mounts; then
		echo 0
		return
	fi
	cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0
}

# EAL memory arguments: hugepages when enough are free, otherwise anonymous memory.
# --huge-unlink: DPDK 22.11 keeps a process's hugepage files after it exits (for
# secondary processes, which sluice's scripts do not use), holding the pages until the
# next DPDK start clears them; unlinked, they return to the pool when the process ends.
# sl_eal_mem MB
sl_eal_mem() {
	local mb=$1
	if [ "$(sl_free_hugepages)" -ge $((mb / 2 + 16)) ]; then
		echo "--huge-unlink -m $mb"
	else
		echo "--no-huge -m $mb"
	fi
}

# sl_eal_files_del PREFIX: what a DPDK process with that --file-prefix leaves behind once
# it has ended: its runtime directory and, when it ran on hugepages without --huge-unlink
# (a primary that secondary processes such as dpdk-dumpcap attach to), its hugepage files,
# which hold the pages until removed. Call it only after the process has exited.
sl_eal_files_del() {
	local prefix=$1 mnt
	[ -n "$prefix" ] || return 0
	for mnt in $(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts); do
		rm -f "$mnt/${prefix}map_"* 2>/dev/null
	done
	rm -rf "/var/run/dpdk/$prefix"
}

# sl_netns_add NAME: a fresh namespace with loopback up (a stale one of ours is removed).
sl_netns_add() {
	ip netns del "$1" 2>/dev/null || true
	ip netns add "$1"
	ip -n "$1" link set lo up
}

sl_netns_del() {
	ip netns del "$1" 2>/dev/null || true
}

# sl_wait_link NS IFACE SECONDS: wait until the DPDK tap interface exists in NS.
sl_wait_link() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		ip -n "$1" link show "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# sl_wait_server LOG PID SECONDS: wait for sluice-server's start banner (port up).
sl_wait_server() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q '^sluice-server: port' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# sl_server_start PIDVAR NS PREFIX IFACE LOG [EAL args...] -- [sluice-server args...]
#
# sluice-server of the build directory $SL_BUILD_DIR (default build; build-asan for the
# sanitized one) in namespace NS on a net_tap port whose kernel side is IFACE, with EAL
# file prefix PREFIX (what dpdk-telemetry.py -f takes) and its output in LOG. The EAL line
# always has --no-pci, the prefix, the tap and lib.eal:warning; the caller adds lcores,
# memory (e.g. -l 0 $(sl_eal_mem 512)) and anything else, after those. The PID is stored in
# the variable named PIDVAR as soon as the process exists, so that the caller's cleanup
# stops it whatever happens next. Returns 0 once the tap exists and the start banner is
# out; non-zero if the server died, did not start within 30 s, or is not built.
sl_server_start() {
	local _pidvar=$1 _ns=$2 _prefix=$3 _iface=$4 _log=$5 _bin _pid
	local -a _eal=()
	shift 5
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_eal+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	_bin=$SL_ROOT/${SL_BUILD_DIR:-build}/$SL_SERVER_BIN
	[ -x "$_bin" ] || { sl_warn "$_bin is not built"; return 1; }
	: >"$_log"	# the previous server's banner must not look like this one's
	ip netns exec "$_ns" "$_bin" --no-pci --file-prefix "$_prefix" \
		--vdev "net_tap0,iface=$_iface" --log-level lib.eal:warning "${_eal[@]}" \
		-- "$@" >"$_log" 2>&1 &
	_pid=$!
	printf -v "$_pidvar" '%s' "$_pid"
	sl_wait_server "$_log" "$_pid" 30 && sl_wait_link "$_ns" "$_iface" 5
}

# sl_tap_peer NS IFACE MAC ADDR/LEN: configure the kernel side of a DPDK tap port.
# net_tap gives the kernel interface the DPDK port's MAC unless told otherwise.
sl_tap_peer() {
	ip -n "$1" link set "$2" address "$3"
	ip -n "$1" addr add "$4" dev "$2"
	# The kernel's queue towards the DPDK process (the tap's "TX" side) holds 1000
	# frames by default and drops beyond (ip -s link: TX dropped): a Linux peer with
	# thousands of connections bursts faster than a poll loop reads a tap, one frame
	# per read(). A NIC's ring is the same limit on real hardware; here, make it deep.
	ip -n "$1" link set "$2" txqueuelen 10000
	ip -n "$1" link set "$2" up
}

# sl_telemetry PREFIX COMMAND: one rte_telemetry command, JSON reply on stdout.
sl_telemetry() {
	echo "$2" | timeout 10 dpdk-telemetry.py -f "$1" 2>/dev/null | grep '^{' | tail -n 1
}

# sl_json_get KEY...: read a value from the JSON on stdin, e.g. sl_json_get /sluice/stats ip_rx
sl_json_get() {
	"$SL_PY" -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[k]
print(v)' "$@"
}

# sl_run CMD...: run CMD and wait for it in a way that a trapped signal interrupts at once.
# Bash runs a trap only once the foreground command has ended, so a minute of `sleep` or a
# benchmark run would hold off Ctrl-C or kill -TERM that long; the `wait` builtin returns
# at once instead. SL_RUN_PID names the command meanwhile, for the trap to stop. Returns
# CMD's status. (CMD runs in the background: stdin is /dev/null, SIGINT ignored.)
SL_RUN_PID=
sl_run() {
	"$@" &
	SL_RUN_PID=$!
	wait "$SL_RUN_PID"
	local rc=$?
	SL_RUN_PID=
	return $rc
}

# sl_run_stop: end what sl_run is waiting for (from a trap), by its PID.
sl_run_stop() {
	if [ -n "$SL_RUN_PID" ]; then
		kill -TERM "$SL_RUN_PID" 2>/dev/null
		wait "$SL_RUN_PID" 2>/dev/null
		SL_RUN_PID=
	fi
	return 0
}

# sl_stop_pid PID [SECONDS]: SIGINT, wait, then SIGKILL. Returns the process's status.
sl_stop_pid() {
	local pid=$1 t=${2:-10} i
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		sl_warn "process $pid did not stop; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null
}
