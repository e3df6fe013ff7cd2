#!/usr/bin/env bash
# Integration: Linux clients of the framed echo modes over net_tap.
#  - echo-line (LF, then strict CRLF) and echo-lenpfx (4-byte BE excluding the header,
#    then 2-byte LE including it, then 1-byte): thousands of messages of every size up to
#    the limit, the first ones one byte per segment, the rest many per segment;
#  - errors: an over-long line is skipped and the stream goes on; a bare LF under strict
#    CRLF likewise; an over-long length or FIN inside a message closes the connection;
#  - sluice exits with every mbuf back in its pool.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

framed_peer() {
	ip netns exec "$IT_NS" "$SL_PY" "$(dirname "${BASH_SOURCE[0]}")/framedpeer.py" "$@"
}

run_mode() {
	local name=$1 server_args=$2 peer_args=$3
	# shellcheck disable=SC2086
	it_start_server $server_args
	# shellcheck disable=SC2086
	it_check "$name" framed_peer $peer_args
	it_expect_stat framing_plugin_errors -eq 0
	it_stop_server
	grep '^sluice-server: connections' "$IT_LOG"
}

run_mode "echo-line LF" "--mode echo-line" "line $IT_SLUICE_IP 7 --max 4096"
run_mode "echo-line strict CRLF" "--mode echo-line --line-crlf --max-msg 1000" \
	"line $IT_SLUICE_IP 7 --max 1000 --crlf"
run_mode "echo-lenpfx 4-byte BE" "--mode echo-lenpfx" "lenpfx $IT_SLUICE_IP 7"
run_mode "echo-lenpfx 2-byte LE incl" \
	"--mode echo-lenpfx --lenpfx-width 2 --lenpfx-le --lenpfx-incl --max-msg 3000" \
	"lenpfx $IT_SLUICE_IP 7 --width 2 --le --incl --max 3000"
run_mode "echo-lenpfx 1-byte" "--mode echo-lenpfx --lenpfx-width 1 --max-msg 200" \
	"lenpfx $IT_SLUICE_IP 7 --width 1 --max 200"
exit $IT_FAILED
