#!/usr/bin/env bash
# Integration: TCP with the Linux kernel under random packet loss (issue 16).
#  - sluice as the server (echo) and as the client (--mode source --verify echo against a
#    Linux echo server), at each of LOSS_RATES percent each way: every byte comes back
#    exactly (SHA-256 on the Linux client; sluice's source checks every echoed byte);
#  - sluice's counters show recovery by SACK/RACK, not by timeouts (assertions below);
#  - sluice exits with its mbuf pools clean.
#
# Where the packets are lost:
#  - iptables on the kernel side of the tap, in the test's namespace:
#      INPUT  -i sl0 -p tcp -m statistic --mode random --probability P -j DROP
#      OUTPUT -o sl0 -p tcp -m statistic --mode random --probability P -j DROP
#    INPUT drops are sluice's segments lost on the wire: what sluice's recovery must
#    repair. OUTPUT drops never reach the wire: the kernel's TCP gets an error (EPERM) from
#    the netfilter hook and sends a (GSO-sized) data packet again by itself, while a pure
#    ACK it refuses is gone (a lost ACK for sluice as the sender);
#  - so that Linux's segments are lost on the wire too (and sluice's SACK blocks, D-SACKs
#    and out-of-order queue are exercised with Linux as the recovering sender), sluice's
#    fault injector drops P of the frames it receives (--fault drop=P,dir=rx) when
#    RX_FAULT=1.
# The iptables rules live in the namespace and go with it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

LOSS_RATES=${LOSS_RATES:-"1 3"}		# percent, each way
LOSS_BYTES=${LOSS_BYTES:-$((4 << 20))}	# per transfer, each way
RX_FAULT=${RX_FAULT:-1}			# also lose Linux's segments (sluice's rx injector)

# The timeout bound. With SACK and RACK-TLP a lost segment is found from the segments
# delivered after it (RACK) or by a tail loss probe within about two round trips, and a
# lost retransmission is found the same way; a retransmission timeout is left for the
# rare case where a tail and its probe are both lost (about P squared per flight's end)
# or the ACK clock stops altogether. Linux over a veth pair with the same rules shows no
# RTOs at 1-5% (scripts/lossbench.sh). So we allow RTO_GRACE timeouts per transfer plus
# one per DROPS_PER_RTO of sluice's segments the kernel dropped (INPUT): 4 MB at 1% is
# about 30 drops, so 2 RTOs; at 3% about 90 drops, so 5.
RTO_GRACE=1
DROPS_PER_RTO=20

CHECK=$(dirname "$0")/losscheck.py
TMP=$(mktemp -d /tmp/test_tcp_loss.XXXXXX)
# lib.sh's it_cleanup reports the exit status it finds in $?: keep it.
trap 'rc=$?; rm -rf "$TMP"; (exit $rc); it_cleanup' EXIT

prob() { awk -v l="$1" 'BEGIN { printf "%.6f", l / 100 }'; }

fault_args() {	# LOSS: sluice's rx fault injector, or nothing
	[ "$RX_FAULT" = 1 ] && echo "--fault drop=$(prob "$1"),dir=rx"
}

# set_loss PERCENT: the drop rules of the test's namespace, counters zeroed.
set_loss() {
	it_nsexec iptables -w 5 -F INPUT && it_nsexec iptables -w 5 -F OUTPUT &&
		it_nsexec iptables -w 5 -A INPUT -i "$IT_IFACE" -p tcp -m statistic \
			--mode random --probability "$(prob "$1")" -j DROP &&
		it_nsexec iptables -w 5 -A OUTPUT -o "$IT_IFACE" -p tcp -m statistic \
			--mode random --probability "$(prob "$1")" -j DROP ||
		{ it_fail "cannot add the iptables statistic rules (iptables, xt_statistic)"; exit 1; }
}

drops() {	# CHAIN: packets its statistic DROP rule dropped
	it_nsexec iptables -w 5 -nvxL "$1" | awk '$3 == "DROP" && /statistic/ { s += $1 }
		END { print s + 0 }'
}

linux_counters() {	# OUT
	it_nsexec "$SL_PY" "$CHECK" linux "$1"
}

# check NAME [--before F] --after F: the counters and the assertions of one transfer.
check() {
	local name=$1 out
	shift
	out=$("$SL_PY" "$CHECK" check "$name" "$@" --linux-before "$TMP/lx0" \
		--linux-after "$TMP/lx1" --drops-in "$(drops INPUT)" \
		--drops-out "$(drops OUTPUT)" --rto-grace "$RTO_GRACE" \
		--drops-per-rto "$DROPS_PER_RTO")
	echo "$out" | grep -v '^\(ok\|FAIL\):'
	echo "$out" | grep '^ok:' || true
	if echo "$out" | grep -q '^FAIL:'; then
		echo "$out" | grep '^FAIL:'
		IT_FAILED=1
	fi
}

# sluice as the server: a Linux client sends LOSS_BYTES and checks the echo byte for byte.
server_run() {
	local loss=$1 name="sluice server, echo, $1% loss each way"
	# shellcheck disable=SC2046
	it_start_server --mode echo $(fault_args "$loss")
	set_loss "$loss"
	linux_counters "$TMP/lx0"
	"$SL_PY" "$CHECK" snap "$IT_PREFIX" "$TMP/sl0" || it_fail "$name: no telemetry"
	it_check "$name: $((LOSS_BYTES >> 20)) MB each way, byte-exact" \
		timeout 120 ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/tcppeer.py" \
		bulk "$IT_SLUICE_IP" 7 --bytes "$LOSS_BYTES"
	"$SL_PY" "$CHECK" snap "$IT_PREFIX" "$TMP/sl1" || it_fail "$name: no telemetry"
	linux_counters "$TMP/lx1"
	check "$name" --before "$TMP/sl0" --after "$TMP/sl1"
	it_stop_server
}

# sluice as the client: --mode source sends LOSS_BYTES to a Linux echo server and checks
# every byte that comes back; the counters are its exit report.
client_run() {
	local loss=$1 name="sluice client, source/echo, $1% loss each way" peer_pid rc=0
	# The Linux echo server listens before sluice starts (lib.sh).
	it_listener_first "$TMP/peer.log" it_peer serve 5001
	peer_pid=$IT_PEER_PID
	# shellcheck disable=SC2046
	IT_NS_READY=1 it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 \
		--start-delay-ms 1500 --bytes "$LOSS_BYTES" --verify echo $(fault_args "$loss")
	set_loss "$loss"
	linux_counters "$TMP/lx0"
	# The source stops by itself once its connection closed; 120 s at most.
	for _ in $(seq 1 480); do
		kill -0 "$IT_SERVER_PID" 2>/dev/null || break
		sleep 0.25
	done
	linux_counters "$TMP/lx1"
	sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
	IT_SERVER_PID=
	kill "$peer_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
	if [ $rc -eq 0 ] && grep -q '^sluice-server: connection 0: .* ok$' "$IT_LOG"; then
		it_ok "$name: $(grep -m1 '^sluice-server: connection 0' "$IT_LOG")"
	else
		it_fail "$name: byte-exact echo (status $rc)"
		grep '^sluice-server: connection\|FAILED' "$IT_LOG" | head -n 5
		cat "$TMP/peer.log"
	fi
	if grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
		it_ok "$name: mbuf pools clean"
	else
		it_fail "$name: sluice-server did not report clean mbuf pools"
	fi
	if "$SL_PY" "$CHECK" log "$IT_LOG" "$TMP/sl1"; then
		check "$name" --after "$TMP/sl1"
	else
		it_fail "$name: no counters in the exit report"
	fi
	sl_netns_del "$IT_NS"
}

for loss in $LOSS_RATES; do
	server_run "$loss"
done
for loss in $LOSS_RATES; do
	client_run "$loss"
done
exit $IT_FAILED
