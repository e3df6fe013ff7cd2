#!/usr/bin/env bash
# ECN (RFC 3168) and DCTCP (RFC 8257) with the Linux kernel as the peer, over net_tap.
# There is no marking switch here: sluice's fault injector plays the congested router
# (--fault ce=P marks ECN-capable frames CE, on receive or on send). The kernel's view
# comes from TCP_INFO and `ss -tein` in the namespace (ecnpeer.py), sluice's from its exit
# report. Linux's sockets use Reno, so that ssthresh shows a reduction and nothing else
# (the kernel's default may be BBR, which does not reduce on ECE; CUBIC's HyStart sets
# ssthresh without any loss or mark).
#  - Linux asks (net.ipv4.tcp_ecn=1), sluice accepts by default: `ss` shows ecn and
#    ecnseen (sluice's data is ECT(0)), 20 MB echoed byte-exact;
#  - CE marks on what sluice receives: sluice echoes ECE, Linux's segments come back
#    delivered_ce and Linux reduces (ssthresh set, without a retransmission when the tap
#    lost nothing); sluice counts tcp_ecn_ce_rx;
#  - CE marks on what sluice sends: Linux echoes, sluice reduces (tcp_ece_reductions);
#  - no agreement when Linux does not ask (tcp_ecn=0) or sluice says --ecn off;
#  - sluice as the client (--ecn on, and --cc dctcp which asks by itself) of a Linux echo
#    server that only accepts (tcp_ecn=2): ECN agreed, sluice reduces on Linux's ECE;
#  - sluice exits with clean mbuf pools every time.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

MB=$((20 << 20))

ecn_peer() {
	ip netns exec "$IT_NS" timeout 300 "$SL_PY" "$(dirname "$0")/ecnpeer.py" "$@"
}

# kernel_ecn N: net.ipv4.tcp_ecn of the namespace (0 never, 1 ask, 2 accept only).
kernel_ecn() {
	ip netns exec "$IT_NS" sysctl -qw "net.ipv4.tcp_ecn=$1"
}

# ti NAME: a field of the tcp_info line in $PEER_OUT.
ti() {
	sed -n "s/^tcp_info: .*\b$1=\([^ ]*\).*/\1/p" <<<"$PEER_OUT" | tail -n 1
}

# counter NAME: a counter of sluice's exit report (0 when not printed).
counter() {
	local v
	v=$(awk -v c="$1" '$1 == c { v = $2 } END { print v }' "$IT_LOG")
	echo "${v:-0}"
}

# expect WHAT VALUE OP REF: one check, ok or FAIL.
expect() {
	if [ "$2" "$3" "$4" ]; then
		it_ok "$1 = $2 ($3 $4)"
	else
		it_fail "$1 = $2, expected $3 $4"
	fi
}

# ss_has WORD: does the connection's `ss -tein` line show WORD (ecn, ecnseen)?
ss_has() {
	grep '^ss: ' <<<"$PEER_OUT" | tr ' ' '\n' | grep -qx "$1"
}

expect_ss() {
	if ss_has "$1"; then
		it_ok "ss -tein shows $1"
	else
		it_fail "ss -tein does not show $1"
	fi
}

expect_no_ss() {
	if ss_has "$1"; then
		it_fail "ss -tein shows $1"
	else
		it_ok "ss -tein does not show $1"
	fi
}

show_peer() {
	grep -E '^(tcp_info|ss|bulk|serve): ' <<<"$PEER_OUT" | sed 's/^/    /'
}

show_counters() {
	grep -E '^  (tcp_ecn_ce_rx|tcp_ece_reductions|fault_ce|tcp_retransmit_segs) ' "$IT_LOG" |
		sed 's/^/  /'
}

# bulk NAME KERNEL_ECN [sluice-server options]: Linux client, sluice echo server.
bulk() {
	local name=$1 kecn=$2
	shift 2
	sl_say "$name"
	it_start_server --mode echo "$@"
	kernel_ecn "$kecn"
	if PEER_OUT=$(ecn_peer bulk "$IT_SLUICE_IP" 7 --bytes "$MB" --cc reno 2>&1); then
		it_ok "$name: $(grep '^bulk: ' <<<"$PEER_OUT")"
	else
		it_fail "$name"
	fi
	show_peer
	it_stop_server
	show_counters
	sl_netns_del "$IT_NS"
}

# client NAME KERNEL_ECN [sluice-server options]: sluice client (source mode), Linux
# echo server.
client() {
	local name=$1 kecn=$2 peer_pid rc=0
	shift 2
	sl_say "$name"
	# The Linux echo server listens before sluice starts (lib.sh); the namespace's ECN
	# setting applies to the connections it accepts.
	it_listener_first "$IT_LOG.peer" ecn_peer serve 5001 --cc reno
	peer_pid=$IT_PEER_PID
	kernel_ecn "$kecn"
	IT_NS_READY=1 it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 \
		--start-delay-ms 1500 --bytes 20m "$@"
	for _ in $(seq 1 480); do
		kill -0 "$IT_SERVER_PID" 2>/dev/null || break
		sleep 0.25
	done
	sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
	IT_SERVER_PID=
	wait "$peer_pid" || rc=$((rc + 100))
	PEER_OUT=$(cat "$IT_LOG.peer")
	rm -f "$IT_LOG.peer"
	if [ $rc -eq 0 ] && grep -q '^sluice-server: mbuf pools clean' "$IT_LOG" &&
		grep -q 'connection 0: .* ok' "$IT_LOG"; then
		it_ok "$name: $(grep -m1 'connection 0' "$IT_LOG")"
	else
		it_fail "$name (status $rc)"
		tail -n 20 "$IT_LOG"
	fi
	show_peer
	show_counters
	sl_netns_del "$IT_NS"
}

bulk "Linux asks, sluice accepts (passive): 20 MB each way" 1
expect "Linux tcp_info ecn" "$(ti ecn)" -eq 1
expect "Linux tcp_info ecnseen" "$(ti ecnseen)" -eq 1
expect_ss ecn
expect_ss ecnseen
expect "Linux delivered_ce" "$(ti delivered_ce)" -eq 0
expect "sluice tcp_ecn_ce_rx" "$(counter tcp_ecn_ce_rx)" -eq 0
expect "sluice tcp_ece_reductions" "$(counter tcp_ece_reductions)" -eq 0
if [ "$(ti retrans)" -eq 0 ]; then
	expect "Linux ssthresh (no loss, no mark: never reduced)" "$(ti ssthresh)" -eq 2147483647
fi

bulk "CE marks on what sluice receives (ce=0.05,dir=rx)" 1 --fault ce=0.05,dir=rx,seed=11
expect_ss ecn
expect "Linux delivered_ce (segments acknowledged with ECE)" "$(ti delivered_ce)" -gt 0
expect "Linux ssthresh (reduced)" "$(ti ssthresh)" -lt 2147483647
if [ "$(ti retrans)" -eq 0 ]; then
	it_ok "Linux retransmitted nothing: the reduction was ECN's alone"
fi
expect "sluice tcp_ecn_ce_rx" "$(counter tcp_ecn_ce_rx)" -gt 0
expect "sluice fault_ce" "$(counter fault_ce)" -gt 0

bulk "CE marks on what sluice sends (ce=0.05,dir=tx)" 1 --fault ce=0.05,dir=tx,seed=12
expect_ss ecnseen
expect "sluice tcp_ece_reductions" "$(counter tcp_ece_reductions)" -gt 0
expect "sluice tcp_ecn_ce_rx" "$(counter tcp_ecn_ce_rx)" -eq 0

bulk "Linux does not ask (tcp_ecn=0)" 0 --ecn on --fault ce=0.05,seed=13
expect "Linux tcp_info ecn" "$(ti ecn)" -eq 0
expect "Linux tcp_info ecnseen (sluice sends Not-ECT)" "$(ti ecnseen)" -eq 0
expect_no_ss ecn
expect "sluice fault_ce (nothing ECN-capable to mark)" "$(counter fault_ce)" -eq 0

bulk "Linux asks, sluice --ecn off" 1 --ecn off
expect "Linux tcp_info ecn" "$(ti ecn)" -eq 0
expect_no_ss ecn

client "sluice client --ecn on, Linux accepts (tcp_ecn=2), CE on sluice's data" 2 \
	--ecn on --fault ce=0.05,dir=tx,seed=14
expect "Linux tcp_info ecn" "$(ti ecn)" -eq 1
expect "Linux tcp_info ecnseen" "$(ti ecnseen)" -eq 1
expect_ss ecn
expect "sluice tcp_ece_reductions" "$(counter tcp_ece_reductions)" -gt 0

client "sluice client --ecn passive (does not ask), Linux accepts" 2
expect "Linux tcp_info ecn" "$(ti ecn)" -eq 0

client "sluice client --cc dctcp (asks by itself), CE on sluice's data" 2 \
	--cc dctcp --fault ce=0.05,dir=tx,seed=15
expect "Linux tcp_info ecn" "$(ti ecn)" -eq 1
expect "sluice tcp_ece_reductions (DCTCP)" "$(counter tcp_ece_reductions)" -gt 0

# Linux's own DCTCP as the sender, against sluice's precise echo, when the kernel has it
# loaded already (the test loads no module).
if grep -qw dctcp /proc/sys/net/ipv4/tcp_available_congestion_control 2>/dev/null; then
	sl_say "Linux DCTCP client, sluice --cc dctcp (precise echo), CE on Linux's data"
	it_start_server --mode echo --cc dctcp --fault ce=0.05,dir=rx,seed=16
	kernel_ecn 1
	if PEER_OUT=$(ecn_peer bulk "$IT_SLUICE_IP" 7 --bytes "$MB" --cc dctcp 2>&1); then
		it_ok "Linux DCTCP: $(grep '^bulk: ' <<<"$PEER_OUT")"
	else
		it_fail "Linux DCTCP"
	fi
	show_peer
	expect "Linux delivered_ce" "$(ti delivered_ce)" -gt 0
	it_stop_server
	show_counters
	sl_netns_del "$IT_NS"
else
	it_ok "Linux DCTCP: not loaded in this kernel, skipped"
fi
exit $IT_FAILED
