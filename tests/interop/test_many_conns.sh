#!/usr/bin/env bash
# Integration (issue 17): 10,000 concurrent Linux connections to sluice's echo server over
# net_tap, each echoing its own line while all are open, then closed by FIN; no frame of
# sluice's dropped for want of TX room (tx_drop_full), no connection reset or timed out,
# and sluice exits with every mbuf back in its pool.
#
# Retransmission timeouts are printed, not judged: the client closes its 10,000
# connections in one burst, and a tap moves one frame per read() or write() system call,
# so the closes and their ACKs can queue on the tap for longer than the 200-ms minimum RTO
# of either side (or overflow the tap's queue). Both stacks then repeat a FIN or an ACK,
# which the other answers; the counters show it (tcp_rto_fin, tcp_dup_answered).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CONNS=10000
# One descriptor per connection in the Python client: raise the limit as far as allowed.
ulimit -n 32768 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNS + 64)) ]; then
	it_fail "the open-file limit is $(ulimit -n) (hard $(ulimit -Hn)): $CONNS connections need more"
	exit 1
fi
it_start_server --mode echo --mbufs 32767 --backlog 16384

it_check "$CONNS concurrent connections" it_peer many "$IT_SLUICE_IP" 7 --conns "$CONNS"
it_expect_stat tcp_passive_opens -ge "$CONNS"
it_expect_stat tx_drop_full -eq 0
it_expect_stat tcp_conn_reset -eq 0
it_expect_stat tcp_conn_timeout -eq 0

echo "retransmission timeouts: $(it_stat tcp_rto) (with only a FIN out: $(it_stat tcp_rto_fin))"
it_stop_server
grep '^sluice-server: connections' "$IT_LOG"
exit $IT_FAILED
