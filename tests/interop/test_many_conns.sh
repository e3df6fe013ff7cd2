#!/usr/bin/env bash
# Integration (issue 17): 10,000 concurrent Linux connections to sluice's echo server over
# net_tap, each echoing its own line while all are open, then closed by FIN; no frame of
# sluice's dropped for want of TX room (tx_drop_full), no retransmission timeout on the
# lossless tap, and sluice exits with every mbuf back in its pool.
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
it_expect_stat tcp_rto -eq 0
it_expect_stat tcp_conn_reset -eq 0
it_expect_stat tcp_conn_timeout -eq 0

it_stop_server
grep '^sluice-server: connections' "$IT_LOG"
exit $IT_FAILED
