#!/usr/bin/env bash
# Integration: two workers on one net_tap port with two queues (--lcores 0@0,1@0: both
# workers share CPU 0, so this proves correctness, not speed). The kernel picks the tap
# queue by its own flow hash, so sluice owns flows in software and hands segments over:
#  - the banner says so;
#  - ping and ARP both ways;
#  - 1,000 concurrent connections from Linux, each echoed and checked, with both workers
#    serving (per-worker counters from telemetry), and segments handed between them;
#  - sluice as the client (--mode source, 16 connections) of a Linux echo server, every
#    byte verified (the case that failed with RSTs before: SYN-ACKs on the other queue);
#  - the http mode under wrk, both workers serving;
#  - every run ends with clean mbuf pools.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

export IT_LCORES="--lcores 0@0,1@0"
ulimit -n 4096

worker_stat() {
	sl_telemetry "$IT_PREFIX" "/sluice/worker_stats,$1" |
		sl_json_get /sluice/worker_stats "$2"
}

it_start_server --mode echo --port 7

if grep -q '^sluice-server: .*2 worker(s)' "$IT_LOG" &&
   grep -q '^sluice-server: flows steered by software ownership with handoff' "$IT_LOG"; then
	it_ok "banner: 2 workers, software ownership with handoff"
else
	it_fail "banner"; grep '^sluice-server:' "$IT_LOG"
fi

out=$(it_nsexec ping -c 10 -i 0.02 -W 2 "$IT_SLUICE_IP" 2>&1)
echo "$out" | grep -q ' 0% packet loss' && it_ok "ping: 10/10 replies" ||
	{ it_fail "ping"; echo "$out"; }
mac=$(sl_telemetry "$IT_PREFIX" /sluice/info | sl_json_get /sluice/info mac | tr 'A-F' 'a-f')
neigh=$(ip -n "$IT_NS" neigh show "$IT_SLUICE_IP")
echo "$neigh" | grep -q "lladdr $mac " && it_ok "kernel learned sluice's MAC: $neigh" ||
	it_fail "kernel did not learn sluice's MAC $mac: '$neigh'"

it_check "1000 concurrent connections echoed" timeout 180 \
	ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/tcppeer.py" many "$IT_SLUICE_IP" 7 \
	--conns 1000

for w in 0 1; do
	opens=$(worker_stat "$w" tcp_passive_opens)
	learned=$(worker_stat "$w" arp_learned)
	echo "  worker $w: tcp_passive_opens $opens, arp_learned $learned," \
		"handoff_segs $(worker_stat "$w" handoff_segs)," \
		"handoff_in $(worker_stat "$w" handoff_in)"
	[ "${opens:-0}" -ge 100 ] && it_ok "worker $w served $opens connections" ||
		it_fail "worker $w served ${opens:-0} connections"
	[ "${learned:-0}" -ge 1 ] && it_ok "worker $w knows the kernel's MAC" ||
		it_fail "worker $w never learned the kernel's MAC"
done
it_expect_stat handoff_drop_full -eq 0
it_expect_stat tcp_rst_closed_port -eq 0
it_stop_server
sl_netns_del "$IT_NS"

# sluice as the client: local ports are chosen so that each connection's owner is the
# worker that opened it; the kernel still delivers SYN-ACKs to either queue.
it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 --start-delay-ms 1500 \
	--connections 16 --bytes 1m --verify echo
it_peer serve 5001 --conns 16 > "$IT_LOG.peer" 2>&1 &
peer_pid=$!
for _ in $(seq 1 480); do
	kill -0 "$IT_SERVER_PID" 2>/dev/null || break
	sleep 0.25
done
rc=0
sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
IT_SERVER_PID=
wait "$peer_pid" 2>/dev/null
if [ $rc -eq 0 ] && grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
	it_ok "sluice client, 16 connections, 1 MB each way verified, pools clean"
else
	it_fail "sluice client, 16 connections (status $rc)"
	grep '^sluice-server: connection\|FAILED\|LEAK\|handoff\|rst' "$IT_LOG" | head -n 30
	cat "$IT_LOG.peer"
fi
rm -f "$IT_LOG.peer"

# ARP from sluice's side: it resolved the kernel (the client run above needed it), and the
# kernel answered whichever worker asked.
grep -qE '^  arp_learned +[1-9]' "$IT_LOG" && it_ok "sluice resolved the kernel's MAC by ARP" ||
	it_fail "sluice did not resolve the kernel's MAC"
sl_netns_del "$IT_NS"

# The http mode on both workers: wrk's 20 keep-alive connections spread over the two tap
# queues; every response is a 2xx and no socket fails.
it_start_server --mode http --http-body-len 100
if it_nsexec timeout 40 wrk -t1 -c20 -d5s --timeout 5s "http://$IT_SLUICE_IP/" \
	> "$IT_LOG.wrk" 2>&1; then
	reqs=$(awk '/requests in/ { print $1 }' "$IT_LOG.wrk")
	if grep -q 'Socket errors\|Non-2xx' "$IT_LOG.wrk" || [ "${reqs:-0}" -eq 0 ]; then
		it_fail "wrk on two workers"; cat "$IT_LOG.wrk"
	else
		it_ok "wrk -t1 -c20 -d5s on two workers: $reqs requests, all 2xx"
	fi
else
	it_fail "wrk did not run"; cat "$IT_LOG.wrk"
fi
for w in 0 1; do
	opens=$(worker_stat "$w" tcp_passive_opens)
	[ "${opens:-0}" -ge 1 ] && it_ok "http: worker $w served $opens connections" ||
		it_fail "http: worker $w served ${opens:-0} connections"
done
rm -f "$IT_LOG.wrk"
it_stop_server
sl_netns_del "$IT_NS"

# The same echo test over net_af_packet with two queue pairs on a veth pair: the kernel's
# packet fanout picks the queue. The Linux side computes its checksums (tx off), since
# af_packet hands sluice frames whose checksum the kernel left to an offload. The fanout
# rolls a frame over to the other queue when its own ring runs low: a flow's segments then
# take two paths (one through the handoff ring) and may be processed out of order, and a
# late ACK of a connection closed meanwhile gets an RST, as from any TCP. 1000 SYNs at once
# fill the default ring of 512 frames; with 4096 frames per ring the fanout keeps every
# flow on its queue, so any RST here is sluice's.
sl_netns_add "$IT_NS"
ip -n "$IT_NS" link add slv0 type veth peer name slv1
ip -n "$IT_NS" link set slv1 address "$IT_KERNEL_MAC"
it_nsexec ethtool -K slv1 tx off >/dev/null
ip -n "$IT_NS" addr add "$IT_KERNEL_IP/24" dev slv1
ip -n "$IT_NS" link set slv0 up
ip -n "$IT_NS" link set slv1 up
it_nsexec sysctl -qw net.ipv6.conf.slv1.disable_ipv6=1 net.ipv6.conf.slv0.disable_ipv6=1
: > "$IT_LOG"
# Not through it_nsexec: a function run in the background is a subshell, and its PID
# would not be the server's (ip netns exec execs the server in its own process).
ip netns exec "$IT_NS" "$SL_ROOT/${SL_BUILD_DIR:-build}/$SL_SERVER_BIN" --no-pci --file-prefix "$IT_PREFIX" \
	--vdev net_af_packet0,iface=slv0,qpairs=2,framecnt=4096 --log-level lib.eal:warning $IT_LCORES \
	--no-huge -m 512 -- --ip "$IT_SLUICE_IP/24" --mbufs 8191 --mbuf-cache 64 --mode echo \
	--port 7 > "$IT_LOG" 2>&1 &
IT_SERVER_PID=$!
if sl_wait_server "$IT_LOG" "$IT_SERVER_PID" 30; then
	grep -q '^sluice-server: flows steered by software ownership with handoff' "$IT_LOG" &&
		it_ok "af_packet qpairs=2: software ownership with handoff" ||
		it_fail "af_packet banner"
	it_check "af_packet: 1000 concurrent connections echoed" timeout 180 \
		ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/tcppeer.py" many \
		"$IT_SLUICE_IP" 7 --conns 1000
	for w in 0 1; do
		opens=$(worker_stat "$w" tcp_passive_opens)
		[ "${opens:-0}" -ge 100 ] && it_ok "af_packet: worker $w served $opens connections" ||
			it_fail "af_packet: worker $w served ${opens:-0} connections"
	done
	it_expect_stat tcp_rst_closed_port -eq 0
	it_stop_server
else
	it_fail "sluice-server on net_af_packet did not start"
fi
exit $IT_FAILED
