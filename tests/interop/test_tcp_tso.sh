#!/usr/bin/env bash
# TCP segmentation offload and checksum offload with the Linux kernel as the peer, over
# net_tap (which offers both; it cuts TSO frames in software):
#  - --tso on: Linux client -> sluice echo, 100 MB each way, matching SHA-256, and sluice
#    really sent TSO frames (tcp_tx_tso_frames);
#  - --tso on: sluice as the sender (source mode) to a Linux echo server, every byte
#    checked;
#  - --csum-offload off: the software checksum path, the reference, with the same bulk
#    echo;
#  - sluice exits with clean mbuf pools every time.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_start_server --mode echo --tso on
grep -q 'tso on' "$IT_LOG" && it_ok "net_tap offers TSO: $(grep -o 'checksum offload.*tso on' "$IT_LOG")" ||
	it_fail "TSO was not enabled: $(grep 'checksum offload' "$IT_LOG")"
it_check "TSO: Linux client, 100 MB each way" \
	it_peer bulk "$IT_SLUICE_IP" 7 --bytes $((100 << 20))
it_expect_stat tcp_tx_tso_frames -gt 0
it_expect_stat tx_drop_oversize -eq 0
it_stop_server
sl_netns_del "$IT_NS"

it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 --start-delay-ms 1500 \
	--bytes 50m --tso on
it_peer serve 5001 --conns 1 > "$IT_LOG.peer" 2>&1 &
peer_pid=$!
for _ in $(seq 1 600); do
	kill -0 "$IT_SERVER_PID" 2>/dev/null || break
	sleep 0.25
done
rc=0
sl_stop_pid "$IT_SERVER_PID" 10 || rc=$?
IT_SERVER_PID=
wait "$peer_pid" 2>/dev/null
if [ $rc -eq 0 ] && grep -q '^sluice-server: mbuf pools clean' "$IT_LOG" &&
	grep -q 'connection 0: .* ok' "$IT_LOG"; then
	it_ok "TSO: sluice client, 50 MB each way: $(grep -m1 'connection 0' "$IT_LOG")"
	grep -E '^  (tcp_tx_tso_frames|tcp_tx_data_segs|tcp_retransmit_segs) ' "$IT_LOG"
	grep -qE '^  tcp_tx_tso_frames +[1-9]' "$IT_LOG" || it_fail "the client sent no TSO frame"
else
	it_fail "TSO: sluice client (status $rc)"
	tail -n 30 "$IT_LOG"
fi
sl_netns_del "$IT_NS"

it_start_server --mode echo --csum-offload off
grep -q 'checksum offload tx ip=off tcp=off' "$IT_LOG" && it_ok "software checksums" ||
	it_fail "checksum offload was not off"
it_check "software checksums: Linux client, 100 MB each way" \
	it_peer bulk "$IT_SLUICE_IP" 7 --bytes $((100 << 20))
it_expect_stat tcp_drop_cksum -eq 0
it_stop_server
exit $IT_FAILED
