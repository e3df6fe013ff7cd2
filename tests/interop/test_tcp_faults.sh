#!/usr/bin/env bash
# Integration under loss and reordering: sluice's fault injector drops 1% and reorders 1%
# of the frames in each direction, with the Linux kernel as the peer.
#  - Linux client -> sluice echo: 100 MB each way, matching SHA-256;
#  - sluice client -> Linux echo server: 100 MB each way, every byte checked;
#  - connection churn under loss (handshakes and FINs get lost too);
#  - sluice exits with clean mbuf pools both times.
# The fault seed is fixed so a failure replays exactly (the seed is in the server log).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
ulimit -n 8192
FAULT=drop=0.01,reorder=0.01,seed=${SL_FAULT_SEED:-42}

it_start_server --mode echo --mbufs 32767 --fault "$FAULT"
it_check "Linux client, 100 MB each way, 1% loss + 1% reorder" \
	it_peer bulk "$IT_SLUICE_IP" 7 --bytes $((100 << 20))
it_check "300 short connections, 1% loss + 1% reorder" \
	it_peer short "$IT_SLUICE_IP" 7 --count 300
it_expect_stat fault_drop -gt 0
it_expect_stat fault_reorder -gt 0
it_expect_stat tcp_retransmit_segs -gt 0
it_stop_server
sl_netns_del "$IT_NS"

it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 --start-delay-ms 1500 \
	--bytes 100m --mbufs 32767 --fault "$FAULT"
it_peer serve 5001 --conns 1 > "$IT_LOG.peer" 2>&1 &
peer_pid=$!
for _ in $(seq 1 1200); do
	kill -0 "$IT_SERVER_PID" 2>/dev/null || break
	sleep 0.25
done
rc=0
sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
IT_SERVER_PID=
wait "$peer_pid" 2>/dev/null
if [ $rc -eq 0 ] && grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
	it_ok "sluice client, 100 MB each way, 1% loss + 1% reorder: $(grep -m1 'connection 0' "$IT_LOG")"
	grep -E '^  (fault_drop|fault_reorder|tcp_retransmit_segs|tcp_fast_retransmit|tcp_rto) ' "$IT_LOG"
else
	it_fail "sluice client under faults (status $rc)"
	grep 'connection 0\|LEAK' "$IT_LOG"
	cat "$IT_LOG.peer"
fi
rm -f "$IT_LOG.peer"
exit $IT_FAILED
