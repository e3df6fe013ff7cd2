#!/usr/bin/env bash
# Hostile input from the kernel side of the TAP (tests/interop/hostile.py): TCP option
# abuse, RFC 5961 blind RST/SYN/data and PAWS, per-connection challenge-ACK budget,
# keepalive probes, closed and listening ports, a SYN flood against a small backlog (SYN
# cookies keep a real client connecting), an out-of-order flood, a zero-window hold, an
# echo flood, ICMP errors quoting sequence numbers outside the window, unsolicited ARP
# replies and claims of sluice's address -- while a healthy kernel connection keeps
# echoing. Then sluice must exit with clean mbuf pools.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

BACKLOG=64
CHALLENGE=10
it_start_server --mode echo --backlog "$BACKLOG" --challenge-acks "$CHALLENGE"
mac=$(sl_telemetry "$IT_PREFIX" /sluice/info | sl_json_get /sluice/info mac | tr 'A-F' 'a-f')
if SL_IFACE=$IT_IFACE SL_PREFIX=$IT_PREFIX SL_MAC=$mac SL_IP=$IT_SLUICE_IP \
	SL_PEER_IP=$IT_KERNEL_IP SL_BACKLOG=$BACKLOG SL_CHALLENGE=$CHALLENGE \
	timeout 300 ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/hostile.py"; then
	it_ok "every hostile case had its expected outcome"
else
	it_fail "hostile cases"
fi
for c in tcp_opt_malformed tcp_challenge_ack tcp_ack_ratelimited tcp_paws_drop \
	tcp_syncookie_sent tcp_ooo_drop tcp_persist_probes arp_drop_spoof; do
	echo "  $c $(it_stat "$c")"
done
it_stop_server
exit $IT_FAILED
