#!/usr/bin/env bash
# Integration: the Linux kernel as the peer of sluice over net_tap in a namespace.
#  - ping gets replies with the payload it sent (small, odd and full-MTU sizes, and
#    larger ones that travel in fragments both ways);
#  - the kernel resolves sluice's MAC by ARP;
#  - malformed frames from the kernel side are dropped, each under its own counter;
#  - ping still works afterwards, and sluice exits with clean mbuf pools.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_start_server

# 4000 and 8000: the kernel fragments the request, sluice reassembles it (ipfrag.c) and
# answers in fragments (icmp.c), which the kernel puts back together.
for size in 56 1 333 1472 4000 8000; do
	out=$(it_nsexec ping -c 10 -i 0.02 -W 2 -s "$size" -p a5c3f00d "$IT_SLUICE_IP" 2>&1)
	if echo "$out" | grep -q ' 0% packet loss' && ! echo "$out" | grep -qi 'wrong data\|DUP'; then
		it_ok "ping -s $size: 10/10 replies with the right payload"
	else
		it_fail "ping -s $size"; echo "$out"
	fi
done
[ "$(it_stat ip_frag_reassembled)" -eq 20 ] && [ "$(it_stat icmp_tx_reply_frags)" -ge 60 ] &&
	it_ok "20 fragmented pings reassembled, answered in $(it_stat icmp_tx_reply_frags) fragments" ||
	it_fail "fragmented pings: $(it_stat ip_frag_reassembled) reassembled, $(it_stat icmp_tx_reply_frags) reply fragments"

mac=$(sl_telemetry "$IT_PREFIX" /sluice/info | sl_json_get /sluice/info mac | tr 'A-F' 'a-f')
neigh=$(ip -n "$IT_NS" neigh show "$IT_SLUICE_IP")
if echo "$neigh" | grep -q "lladdr $mac "; then
	it_ok "kernel neighbour table: $neigh"
else
	it_fail "kernel did not learn sluice's MAC $mac: '$neigh'"
fi
[ "$(it_stat arp_learned)" -ge 1 ] && it_ok "sluice learned the kernel's MAC" ||
	it_fail "sluice did not learn the kernel's MAC"

echo "malformed frames from the kernel side:"
if SL_IFACE=$IT_IFACE SL_PREFIX=$IT_PREFIX SL_MAC=$mac SL_IP=$IT_SLUICE_IP \
	SL_PEER_IP=$IT_KERNEL_IP it_nsexec "$SL_PY" "$(dirname "$0")/malformed.py"; then
	it_ok "every malformed frame counted under its reason"
else
	it_fail "malformed frames"
fi

out=$(it_nsexec ping -c 5 -i 0.05 -W 2 "$IT_SLUICE_IP" 2>&1)
echo "$out" | grep -q ' 0% packet loss' && it_ok "ping still answered after the abuse" ||
	{ it_fail "ping after malformed frames"; echo "$out"; }

it_stop_server
exit $IT_FAILED
