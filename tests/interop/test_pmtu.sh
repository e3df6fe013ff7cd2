#!/usr/bin/env bash
# Integration: path MTU discovery (RFC 1191) through real Linux routers.
#
#   client ns C (MTU 1500) -- router ns R -- link of MTU $mtu -- IT_NS: the kernel side of
#   sluice's tap, forwarding -- sluice (MTU 1500, gateway 198.18.0.1)
#
# sluice sends 1500-byte segments with DF; the kernel in IT_NS cannot forward them onto the
# smaller link and answers with ICMP "fragmentation needed". sluice must learn the path
# MTU from it, shrink its segments and resend what was dropped at once (no RTO):
#  - a Linux client behind a 1400-byte, then a 1280-byte link echoes 20 MB byte-exact
#    through sluice (one sluice-server: the second link teaches a smaller value than the
#    one cached from the first);
#  - a client with path MTU discovery off, whose segments the router fragments: sluice
#    reassembles them (rte_ip_frag) and echoes 4 MB byte-exact;
#  - with the router's ICMP filtered (iptables), black-hole detection: after two timeouts
#    of full-size segments sluice sends smaller ones, and 4 MB still echo byte-exact;
#  - sluice as the client (--mode source) sends 20 MB to a Linux server behind a 1400-byte
#    link and checks every echoed byte;
#  - an active open to a network without a route ends with "unreachable" (the kernel's
#    ICMP network unreachable, a soft error) after the SYN retries;
#  - counters: frag-needed received, path MTUs learnt, connections shrunk, no RTO, no
#    ICMP error rejected as invalid; mbuf pools clean at exit.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PM_R=sl-pmtu-r-$$
PM_C=sl-pmtu-c-$$
CLIENT_IP=198.18.2.2
trap 'rc=$?; sl_netns_del "$PM_R"; sl_netns_del "$PM_C"; (exit $rc); it_cleanup' EXIT

# pm_topology MTU: the routers and the client around IT_NS (which must exist).
pm_topology() {
	local mtu=$1
	sl_netns_add "$PM_R"
	sl_netns_add "$PM_C"
	ip link add pm-s netns "$IT_NS" type veth peer name pm-r netns "$PM_R"
	ip link add pm-r2 netns "$PM_R" type veth peer name pm-c netns "$PM_C"
	ip -n "$IT_NS" addr add 198.18.1.1/24 dev pm-s
	ip -n "$PM_R" addr add 198.18.1.2/24 dev pm-r
	ip -n "$PM_R" addr add 198.18.2.1/24 dev pm-r2
	ip -n "$PM_C" addr add "$CLIENT_IP/24" dev pm-c
	ip -n "$IT_NS" link set pm-s mtu "$mtu"
	ip -n "$PM_R" link set pm-r mtu "$mtu"
	for l in "$IT_NS pm-s" "$PM_R pm-r" "$PM_R pm-r2" "$PM_C pm-c"; do
		set -- $l
		# Checksums filled in by the sender, or the frames reach sluice unfinished.
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
		ip -n "$1" link set "$2" up
	done
	ip netns exec "$IT_NS" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$PM_R" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$IT_NS" route add 198.18.2.0/24 via 198.18.1.2
	ip -n "$PM_R" route add 198.18.0.0/24 via 198.18.1.1
	ip -n "$PM_C" route add default via 198.18.2.1
}

pm_set_mtu() {
	ip -n "$IT_NS" link set pm-s mtu "$1"
	ip -n "$PM_R" link set pm-r mtu "$1"
}

pm_peer() {
	ip netns exec "$PM_C" "$SL_PY" "$(dirname "$0")/tcppeer.py" "$@"
}

# --- sluice as the server ---
it_start_server --mode echo --gateway "$IT_KERNEL_IP" --mbufs 32767
pm_topology 1400
it_check "20 MB echoed through a 1400-byte link" pm_peer bulk "$IT_SLUICE_IP" 7 \
	--bytes $((20 << 20))
it_expect_stat icmp_rx_frag_needed -gt 0
it_expect_stat pmtu_learned -eq 1
it_expect_stat tcp_pmtu_shrinks -ge 1
pm_set_mtu 1280
it_check "20 MB echoed through a 1280-byte link" pm_peer bulk "$IT_SLUICE_IP" 7 \
	--bytes $((20 << 20))
it_expect_stat pmtu_learned -eq 2
it_expect_stat tcp_pmtu_shrinks -ge 2
it_expect_stat tcp_rto -eq 0
it_expect_stat icmp_err_invalid -eq 0
# A client with path MTU discovery off (no DF): the router fragments its segments onto the
# 1280-byte link, and sluice reassembles them.
ip netns exec "$PM_C" sysctl -qw net.ipv4.ip_no_pmtu_disc=1
ip -n "$PM_C" route flush cache	# the path MTU the client learnt above
it_check "4 MB echoed from a client whose segments the router fragments" pm_peer bulk \
	"$IT_SLUICE_IP" 7 --bytes $((4 << 20))
it_expect_stat ip_frag_reassembled -gt 0
it_expect_stat ip_drop_frag -eq 0
it_expect_stat tcp_conn_timeout -eq 0
it_stop_server
sl_netns_del "$PM_R"
sl_netns_del "$PM_C"
sl_netns_del "$IT_NS"

# --- a black hole: the router's ICMP is filtered ---
it_start_server --mode echo --gateway "$IT_KERNEL_IP" --mbufs 32767
pm_topology 1400
ip netns exec "$IT_NS" iptables -w 5 -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
it_check "4 MB echoed through a 1400-byte link whose ICMP is filtered" pm_peer bulk \
	"$IT_SLUICE_IP" 7 --bytes $((4 << 20))
it_expect_stat icmp_rx_frag_needed -eq 0
it_expect_stat tcp_blackhole_shrinks -ge 1
it_expect_stat tcp_conn_timeout -eq 0
it_stop_server
sl_netns_del "$PM_R"
sl_netns_del "$PM_C"
sl_netns_del "$IT_NS"

# --- sluice as the client of a Linux server behind the link ---
# The routers and the Linux server come first, and sluice starts once the server listens
# (as lib.sh's it_listener_first does): a fixed head start for the server raced a slow
# Python start on a loaded machine, and the SYN then met an RST.
sl_netns_add "$IT_NS"
pm_topology 1400
pm_peer serve 5001 --conns 1 > "$IT_LOG.peer" 2>&1 &
peer_pid=$!
for ((i = 0; i < 150; i++)); do
	grep -q '^serve: listening' "$IT_LOG.peer" && break
	sleep 0.1
done
IT_NS_READY=1 it_start_server --mode source --gateway "$IT_KERNEL_IP" --remote "$CLIENT_IP" \
	--port 5001 --start-delay-ms 1500 --bytes 20m --mbufs 32767
rc=0
it_wait_server_exit 60 || rc=$?
wait "$peer_pid" 2>/dev/null
if [ $rc -eq 0 ] && grep -q '^sluice-server: mbuf pools clean' "$IT_LOG" &&
	grep -qE '^sluice-server: connection 0: .* ok$' "$IT_LOG"; then
	it_ok "sluice client, 20 MB through a 1400-byte link: $(grep -m1 '^sluice-server: connection 0' "$IT_LOG")"
else
	it_fail "sluice client through a 1400-byte link (status $rc)"
	grep '^sluice-server: connection\|FAILED\|LEAK' "$IT_LOG" | head -n 20
	cat "$IT_LOG.peer"
fi
for c in icmp_rx_frag_needed pmtu_learned tcp_pmtu_shrinks; do
	if grep -qE "^  $c +[1-9]" "$IT_LOG"; then
		it_ok "  counter $c: $(grep -E "^  $c " "$IT_LOG" | awk '{print $2}')"
	else
		it_fail "  counter $c is 0"
	fi
done
if grep -qE "^  tcp_rto +[1-9]" "$IT_LOG"; then
	it_fail "  the sluice client needed an RTO: $(grep -E '^  tcp_rto ' "$IT_LOG")"
else
	it_ok "  no RTO"
fi
rm -f "$IT_LOG.peer"
sl_netns_del "$PM_R"
sl_netns_del "$PM_C"
sl_netns_del "$IT_NS"

# --- an active open to a network the router has no route to ---
# The kernel (sluice's gateway) answers each SYN with ICMP network unreachable: the
# attempt ends after the SYN retries with "unreachable", not "timeout".
it_start_server --mode source --gateway "$IT_KERNEL_IP" --remote 198.18.3.9 --port 5001 \
	--syn-retries 2 --start-delay-ms 1000
ip netns exec "$IT_NS" sysctl -qw net.ipv4.ip_forward=1	# a router, without that route
it_wait_server_exit 30
if grep -q '^sluice-server: connection 0: .*FAILED: closed: unreachable' "$IT_LOG" &&
	grep -qE '^  icmp_rx_unreach +[1-9]' "$IT_LOG" &&
	grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
	it_ok "active open to an unreachable network: $(grep -m1 '^sluice-server: connection 0' "$IT_LOG")"
else
	it_fail "active open to an unreachable network"
	grep '^sluice-server: connection\|icmp\|LEAK' "$IT_LOG" | head -n 20
fi
exit $IT_FAILED
