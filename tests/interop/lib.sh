# Common set-up for the integration tests: a namespace, sluice-server on net_tap inside
# it, the kernel side configured. Source it, then call it_start_server [server options].
# Everything is removed by it_cleanup (installed as an EXIT trap).

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

IT_NAME=${IT_NAME:-$(basename "$0" .sh)}
IT_NS=sl-$IT_NAME-$$
IT_PREFIX=sl-$IT_NAME-$$
IT_IFACE=sl0
IT_KERNEL_IP=198.18.0.1
IT_SLUICE_IP=198.18.0.2
IT_KERNEL_MAC=02:00:00:00:00:01
IT_LOG=$(mktemp "/tmp/$IT_NAME.XXXXXX.log")
IT_SERVER_PID=
IT_PIDS=		# other processes the test started in the background, stopped first
IT_FAILED=0

it_cleanup() {
	local rc=$?
	trap - EXIT
	for p in $IT_PIDS; do
		sl_stop_pid "$p" 5 || true
	done
	if [ -n "$IT_SERVER_PID" ]; then
		sl_stop_pid "$IT_SERVER_PID" 10 || true
	fi
	sl_netns_del "$IT_NS"
	sl_eal_files_del "$IT_PREFIX"
	if [ "$rc" -ne 0 ] || [ "$IT_FAILED" -ne 0 ]; then
		echo "--- sluice-server log ($IT_LOG)"
		tail -n 60 "$IT_LOG"
	else
		rm -f "$IT_LOG"
	fi
	exit "$rc"
}

it_fail() {
	echo "FAIL: $*"
	IT_FAILED=1
}

it_ok() {
	echo "ok: $*"
}

# it_start_server [sluice-server options...]: start in the namespace (sluice-server of
# $SL_BUILD_DIR, default build), wait, configure the kernel side. Extra EAL arguments can
# be given in IT_EAL_EXTRA, the lcores (default -l 0: one worker) in IT_LCORES, the memory
# (default --no-huge -m 512: anonymous memory) in IT_MEM.
it_start_server() {
	# IT_NS_READY=1: the caller made the namespace already (to start a Linux peer in it
	# before sluice, which connects to it).
	[ "${IT_NS_READY:-0}" = 1 ] || sl_netns_add "$IT_NS"
	# shellcheck disable=SC2086
	sl_server_start IT_SERVER_PID "$IT_NS" "$IT_PREFIX" "$IT_IFACE" "$IT_LOG" \
		${IT_LCORES:--l 0} ${IT_MEM:---no-huge -m 512} ${IT_EAL_EXTRA:-} -- \
		--ip "$IT_SLUICE_IP/24" --mbufs 8191 --mbuf-cache 64 "$@" ||
		{ it_fail "sluice-server did not start"; exit 1; }
	sl_tap_peer "$IT_NS" "$IT_IFACE" "$IT_KERNEL_MAC" "$IT_KERNEL_IP/24"
	# Keep the kernel's IPv6 chatter (router solicitations, MLD) off the wire.
	ip netns exec "$IT_NS" sysctl -qw "net.ipv6.conf.$IT_IFACE.disable_ipv6=1"
}

# it_listener_first LOG CMD...: for sluice as the client of a Linux server: make the
# test's namespace, start CMD in it in the background (a tcppeer.py/ecnpeer.py serve,
# which prints "serve: listening"; its PID in IT_PEER_PID, its output in LOG) and wait
# until it listens. Then start sluice with IT_NS_READY=1 it_start_server: a SYN that
# found no listener would get an RST, and on a loaded machine a Python interpreter can
# take longer to start than the client's --start-delay-ms.
it_listener_first() {
	local log=$1 i
	shift
	sl_netns_add "$IT_NS"
	"$@" >"$log" 2>&1 &
	IT_PEER_PID=$!
	for ((i = 0; i < 150; i++)); do
		grep -q '^serve: listening' "$log" && return 0
		sleep 0.1
	done
	it_fail "the Linux server did not listen within 15 s: $(tail -n 3 "$log")"
	return 1
}

# it_stop_server: SIGINT; the server must exit 0, print its counters, and report clean
# mbuf pools (its own leak check).
it_stop_server() {
	local rc=0
	sl_stop_pid "$IT_SERVER_PID" 15 || rc=$?
	IT_SERVER_PID=
	if [ "$rc" -ne 0 ]; then
		it_fail "sluice-server exited with status $rc"
	elif ! grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
		it_fail "sluice-server did not report clean mbuf pools"
	else
		it_ok "sluice-server stopped cleanly, mbuf pools clean"
	fi
}

# it_wait_server_exit SECONDS: a server that ends by itself (--mode source) is given up to
# SECONDS to do so, then stopped; returns its exit status (IT_SERVER_PID is cleared).
it_wait_server_exit() {
	local i rc=0
	for ((i = 0; i < $1 * 4; i++)); do
		kill -0 "$IT_SERVER_PID" 2>/dev/null || break
		sleep 0.25
	done
	sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
	IT_SERVER_PID=
	return $rc
}

it_nsexec() {
	ip netns exec "$IT_NS" "$@"
}

it_stat() {
	sl_telemetry "$IT_PREFIX" /sluice/stats | sl_json_get /sluice/stats "$1"
}

# it_peer ARGS...: run tests/interop/tcppeer.py inside the namespace.
it_peer() {
	ip netns exec "$IT_NS" "$SL_PY" "$(dirname "${BASH_SOURCE[0]}")/tcppeer.py" "$@"
}

# it_check NAME COMMAND...: run a scenario, report ok/FAIL with its output.
it_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		it_ok "$name: $(echo "$out" | tail -n 1)"
	else
		it_fail "$name"
		echo "$out" | tail -n 20
	fi
}

# it_expect_stat COUNTER OP VALUE: compare one of sluice's counters (live, telemetry).
it_expect_stat() {
	local v
	v=$(it_stat "$1")
	if [ "$v" "$2" "$3" ]; then
		it_ok "counter $1 = $v ($2 $3)"
	else
		it_fail "counter $1 = $v, expected $2 $3"
	fi
}

trap it_cleanup EXIT
