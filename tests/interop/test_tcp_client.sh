#!/usr/bin/env bash
# Integration: sluice as the TCP client of a Linux echo server (tcppeer.py serve).
#  - 100 MB each way on one connection, every echoed byte checked by sluice;
#  - 8 connections at once;
#  - a slow Linux reader with a tiny receive buffer: sluice meets zero windows and probes;
#  - sluice exits 0 (every connection verified) with its mbuf pools clean.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# run_client NAME SERVE_ARGS -- SOURCE_ARGS: one sluice-server --mode source run.
run_client() {
	local name=$1 serve=() src=() peer_pid rc
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do serve+=("$1"); shift; done
	shift
	src=("$@")
	# The Linux echo server listens before sluice starts (lib.sh).
	it_listener_first "$IT_LOG.peer" it_peer serve 5001 "${serve[@]}"
	peer_pid=$IT_PEER_PID
	IT_NS_READY=1 it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 \
		--start-delay-ms 1500 "${src[@]}"
	rc=0
	for _ in $(seq 1 1200); do
		kill -0 "$IT_SERVER_PID" 2>/dev/null || break
		sleep 0.25
	done
	sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
	IT_SERVER_PID=
	wait "$peer_pid" 2>/dev/null
	if [ $rc -eq 0 ] && grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
		it_ok "$name: $(grep -m1 '^sluice-server: connection 0' "$IT_LOG")"
		for c in ${EXPECT_COUNTERS:-}; do
			if grep -qE "^  $c +[1-9]" "$IT_LOG"; then
				it_ok "  counter $c: $(grep -E "^  $c " "$IT_LOG" | awk '{print $2}')"
			else
				it_fail "  counter $c is 0"
			fi
		done
	else
		it_fail "$name (status $rc)"
		grep '^sluice-server: connection\|FAILED\|LEAK' "$IT_LOG" | head -n 20
		cat "$IT_LOG.peer"
	fi
	rm -f "$IT_LOG.peer"
	[ -z "${KEEP_LOG:-}" ] || cp "$IT_LOG" "$IT_LOG.kept"
	sl_netns_del "$IT_NS"
}

run_client "sluice client, 100 MB each way" --conns 1 -- --bytes 100m
run_client "sluice client, 8 connections" --conns 8 -- --bytes 4m --connections 8
# 1 M writes of 16 bytes, echoed and checked: they coalesce into full segments. The same
# writes through a kernel socket with TCP_NODELAY, for comparison (figures, no assertion).
KEEP_LOG=1 run_client "sluice client, 1 M writes of 16 bytes" --conns 1 -- --bytes 16000000 \
	--write-size 16
grep '^sluice-server: send path' "$IT_LOG.kept" || true
rm -f "$IT_LOG.kept"
sl_netns_add "$IT_NS"
it_check "kernel, 1 M writes of 16 bytes" ip netns exec "$IT_NS" timeout 120 "$SL_PY" \
	"$(dirname "$0")/smallwrites.py" --writes 1000000 --size 16
sl_netns_del "$IT_NS"
EXPECT_COUNTERS="tcp_rx_zero_window tcp_persist_probes" \
	run_client "sluice client, slow reader forcing zero windows" \
	--conns 1 --rcvbuf 4096 --read-delay-ms 0.2 --stall-ms 400 -- --bytes 3m
exit $IT_FAILED
