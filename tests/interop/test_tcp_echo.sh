#!/usr/bin/env bash
# Integration: the Linux kernel as a TCP client of sluice's echo server over net_tap.
#  - 100 MB each way with matching SHA-256, and the FIN afterwards;
#  - 1,000 connections held open at once; 10,000 short connections in a row;
#  - half-close with socat (FIN one way, data still flowing the other);
#  - Linux keepalive probes answered every time;
#  - a Linux reader with a tiny receive buffer forcing zero windows (sluice probes them);
#  - sluice exits with every mbuf back in its pool.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
ulimit -n 8192

it_start_server --mode echo --mbufs 32767

it_check "100 MB each way" it_peer bulk "$IT_SLUICE_IP" 7 --bytes $((100 << 20))
it_check "1000 concurrent connections" it_peer many "$IT_SLUICE_IP" 7 --conns 1000
it_check "10000 short connections" it_peer short "$IT_SLUICE_IP" 7 --count 10000

# Half-close: socat sends a file, shuts down its sending side at EOF, and keeps reading
# until sluice has echoed everything and closed.
in=$(mktemp /tmp/sl-halfclose.XXXXXX) out=$(mktemp /tmp/sl-halfclose.XXXXXX)
head -c $((3 << 20)) /dev/urandom > "$in"
if it_nsexec socat -t 30 -T 60 - "TCP:$IT_SLUICE_IP:7" < "$in" > "$out" &&
	cmp -s "$in" "$out"; then
	it_ok "half-close with socat: 3 MB echoed after socat's FIN, then sluice's FIN"
else
	it_fail "half-close with socat ($(stat -c %s "$out") of $(stat -c %s "$in") bytes back)"
fi
rm -f "$in" "$out"

before=$(it_stat tcp_probe_answered)
it_check "Linux keepalive" it_peer keepalive "$IT_SLUICE_IP" 7 --idle-s 1 --wait-s 6
it_expect_stat tcp_probe_answered -ge $((before + 4))

# The reader also stalls 400 ms every 256 KB: longer than sluice's RTO, so the zero window
# lasts long enough for persist probes.
it_check "zero windows from a slow Linux reader" \
	it_peer bulk "$IT_SLUICE_IP" 7 --bytes $((3 << 20)) --rcvbuf 4096 --read-delay-ms 0.2 \
	--stall-ms 400
it_expect_stat tcp_rx_zero_window -gt 0
it_expect_stat tcp_persist_probes -gt 0
it_expect_stat tcp_conn_timeout -eq 0
it_expect_stat tcp_drop_cksum -eq 0

it_stop_server
grep '^sluice-server: connections' "$IT_LOG"
exit $IT_FAILED
