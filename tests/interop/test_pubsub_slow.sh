#!/usr/bin/env bash
# Integration: one stalled subscriber must not slow the others down (issue 21).
# sluice-server --mode pubsub, Linux subscribers over net_tap (tests/interop/slowsub.py):
#  1. rate: a fast subscriber alone (A), then the same with a stalled subscriber connected
#     all along (B: a 4 KiB receive buffer, never reading, its limit out of reach): the
#     fast one receives every message in order both times; the ratio B/A is printed and
#     only required to be >= 0.1 (the same order of magnitude: no timed assertion on a
#     shared machine); the producers never slept on the stalled one: every sleep counted
#     by sl_producer_stats came from an idle wait after a pass in which no subscriber
#     took anything (slept <= idle waits), none from a send; the largest backlog stays
#     under the send queue's hard cap;
#  0. limits that cannot work (overflowing, 0 seconds, at or above the high mark) stop
#     the server at startup;
#  2. --pubsub-slow disconnect (the default), --pubsub-limit 0,0,1 and then 0,48k,1: the
#     stalled subscriber (stalled 10 s: a wide margin over the 1 s limit on a loaded
#     machine) is reset once it took nothing for a second (or stayed at 48k or more for
#     a second); it reads ECONNRESET or EOF after an in-order prefix; counted
#     (prod_aborts, "slow subscribers reset 1", close reason aborted) and logged with its
#     address; the fast one receives everything in order;
#  3. --pubsub-slow drop: the stalled subscriber stays connected and, when it reads,
#     sees sequences with gaps, exactly as many as the server counted as skipped;
#  every server exits with its mbuf pools clean (its own leak check).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PS_PORT=9000
PS_PRODUCERS=2
PS_MESSAGES=${PS_MESSAGES:-250000}
PS_SNDBUF=65536

slowsub() {
	ip netns exec "$IT_NS" timeout 120 "$SL_PY" "$(dirname "${BASH_SOURCE[0]}")/slowsub.py" \
		"$IT_SLUICE_IP" "$PS_PORT" --producers "$PS_PRODUCERS" --messages "$PS_MESSAGES" "$@"
}

start_pubsub() {
	it_start_server --mode pubsub --producers "$PS_PRODUCERS" --messages "$PS_MESSAGES" \
		--msg-min 24 --msg-max 120 --sndbuf "$PS_SNDBUF" "$@"
}

# run_fast NAME: a fast subscriber; prints its summary, sets RATE.
run_fast() {
	local out
	RATE=
	if out=$(slowsub --role fast 2>&1); then
		it_ok "$1: $(echo "$out" | grep '^fast:')"
		RATE=$(echo "$out" | sed -n 's/^RATE=//p')
	else
		it_fail "$1: $(echo "$out" | tail -n 3)"
	fi
}

# start_stalled FILE ARGS...: a stalled subscriber in the background (STALLED_PID), once
# it is connected.
start_stalled() {
	local f=$1 i
	shift
	slowsub --role stalled "$@" >"$f" 2>&1 &
	STALLED_PID=$!
	IT_PIDS="$IT_PIDS $STALLED_PID"
	for ((i = 0; i < 50; i++)); do
		grep -q '^stalled: connected' "$f" && return 0
		sleep 0.1
	done
	it_fail "stalled subscriber did not connect: $(cat "$f")"
}

pubsub_line() {
	grep '^sluice-server: pubsub: slow policy' "$IT_LOG"
}

# pubsub_field NAME: a number from the server's pubsub summary line.
pubsub_field() {
	pubsub_line | sed -n "s/.*$1 \([0-9]*\).*/\1/p"
}

tmp=$(mktemp -d)

# ---- 0. limits that cannot work are refused at startup ----
# The parser (overflow, seconds <= 0) and the setup's check against the high mark
# (--sndbuf): on net_null, no namespace needed, exit status non-zero and the reason.
bad_limit() {
	local lim=$1 want=$2 out rc
	out=$(timeout 30 "$SL_ROOT/${SL_BUILD_DIR:-build}/$SL_SERVER_BIN" --no-huge -m 256 \
		--no-pci --vdev net_null0 --no-shconf --file-prefix "$IT_PREFIX-bad" -l 0 \
		-- --mode pubsub --ip 198.18.0.1/24 --sndbuf "$PS_SNDBUF" --mbufs 8191 \
		--pubsub-limit "$lim" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo "$out" | grep -q -- "$want"; then
		it_ok "--pubsub-limit $lim refused (status $rc): $(echo "$out" | grep -m1 -- "$want" | cut -c1-100)"
	else
		it_fail "--pubsub-limit $lim: status $rc, expected a refusal with '$want': $(echo "$out" | tail -n 2)"
	fi
}
bad_limit 18014398509481985k "bad value"	# wrapped to 1024 before the fix
bad_limit 99999999999999999999999 "bad value"	# strtoull's ERANGE
bad_limit 0,0,0 "bad value"			# would reset at the first refusal
bad_limit 0,0,-1 "bad value"
bad_limit 64k "below the send buffer's high mark"	# HARD at the high mark: never reached
bad_limit 0,1m,1 "below the send buffer's high mark"

# ---- 1. the fast subscriber's rate, alone and beside a stalled one ----
start_pubsub --pubsub-limit 0,0,600
run_fast "A: fast subscriber alone"
rate_a=$RATE
start_stalled "$tmp/stalled1" --stall 600 --expect reset
sleep "${PS_B_DELAY:-1}"	# its send queue fills: every later send to it is refused
run_fast "B: fast subscriber beside a stalled one"
rate_b=$RATE
if kill -0 "$STALLED_PID" 2>/dev/null; then
	it_ok "the stalled subscriber stayed connected through run B (limit out of reach)"
else
	it_fail "the stalled subscriber ended early: $(cat "$tmp/stalled1")"
fi
kill -TERM "$STALLED_PID" 2>/dev/null
wait "$STALLED_PID" 2>/dev/null
it_stop_server
grep '^sluice-server: producer\|^sluice-server: pubsub:' "$IT_LOG"
if [ -n "$rate_a" ] && [ -n "$rate_b" ] && [ "$rate_a" -gt 0 ]; then
	ratio=$(awk -v a="$rate_a" -v b="$rate_b" 'BEGIN { printf "%.2f", b / a }')
	echo "fast subscriber: alone $rate_a messages/s, beside a stalled one $rate_b messages/s: ratio B/A $ratio"
	if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.1) }'; then
		it_ok "ratio B/A $ratio >= 0.1 (same order of magnitude)"
	else
		it_fail "ratio B/A $ratio < 0.1: the stalled subscriber slows the fast one down"
	fi
else
	it_fail "no rate to compare (A '$rate_a', B '$rate_b')"
fi
peak=$(pubsub_field "largest backlog")
cap=$((4 * PS_SNDBUF))
if [ -n "$peak" ] && [ "$peak" -gt 0 ] && [ "$peak" -le "$cap" ]; then
	it_ok "largest subscriber backlog $peak bytes <= hard cap $cap (memory bounded)"
else
	it_fail "largest subscriber backlog '$peak', expected 1..$cap"
fi
# Producers send with timeout 0: they sleep only in sl_producer_wait, after a pass in
# which nobody took anything, never on the stalled subscriber alone.
while read -r pl; do
	idle=$(echo "$pl" | sed -n 's/.*idle waits \([0-9]*\).*/\1/p')
	slept=$(echo "$pl" | sed -n 's/.*(slept \([0-9]*\),.*/\1/p')
	if [ -n "$idle" ] && [ -n "$slept" ] && [ "$slept" -le "$idle" ]; then
		it_ok "$(echo "$pl" | sed -n 's/^sluice-server: \(producer [0-9]*\):.*/\1/p'): slept $slept <= idle waits $idle (never inside a send)"
	else
		it_fail "producer sleeps outside idle waits: $pl"
	fi
done < <(grep '^sluice-server: producer [0-9]*:' "$IT_LOG")
over=$(pubsub_field "subscribers over their limit")
[ "$over" = 0 ] && it_ok "nobody over the limit in runs A and B" ||
	it_fail "subscribers over their limit: '$over', expected 0"

# ---- 2. disconnect: the stalled subscriber is reset ----
# run_disconnect LIMIT: once with SOFT 0 (taking nothing for a second), once with SOFT in
# bytes, 48k: the stalled one's backlog stays near its 64k high mark (about 60k: what its
# kernel took is acknowledged), the fast one's dips to its 32k low mark at every drain.
run_disconnect() {
	local lim=$1 reset
	start_pubsub --pubsub-limit "$lim"
	start_stalled "$tmp/stalled2" --stall 10 --expect reset
	run_fast "disconnect $lim: fast subscriber"
	if wait "$STALLED_PID"; then
		it_ok "disconnect $lim: $(grep -v connected "$tmp/stalled2" | tail -n 1)"
	else
		it_fail "disconnect $lim: $(tail -n 3 "$tmp/stalled2")"
	fi
	it_expect_stat prod_aborts -eq 1
	it_stop_server
	grep '^sluice-server: pubsub:' "$IT_LOG"
	if grep -q "^sluice-server: pubsub: slow subscriber $IT_KERNEL_IP:[0-9]* (worker 0 slot [0-9]*) reset" "$IT_LOG"; then
		it_ok "log: $(grep -m1 '^sluice-server: pubsub: slow subscriber' "$IT_LOG")"
	else
		it_fail "no log line naming the reset subscriber"
	fi
	reset=$(pubsub_field "slow subscribers reset")
	[ "$reset" = 1 ] && it_ok "counted: slow subscribers reset $reset" ||
		it_fail "slow subscribers reset '$reset', expected 1"
	grep -q '^sluice-server: connections .* aborted 1' "$IT_LOG" &&
		it_ok "close reason: aborted 1" ||
		it_fail "close reason 'aborted 1' missing: $(grep '^sluice-server: connections' "$IT_LOG")"
}
run_disconnect 0,0,1
run_disconnect 0,48k,1

# ---- 3. drop: the stalled subscriber sees counted gaps ----
start_pubsub --pubsub-slow drop --pubsub-limit 0,0,1
start_stalled "$tmp/stalled3" --stall 8 --expect gaps --idle 3
run_fast "drop: fast subscriber"
if wait "$STALLED_PID"; then
	it_ok "drop: $(grep '^stalled: [0-9]' "$tmp/stalled3")"
	seen=$(sed -n 's/^GAPS=//p' "$tmp/stalled3")
else
	it_fail "drop: $(tail -n 3 "$tmp/stalled3")"
	seen=
fi
it_stop_server
grep '^sluice-server: pubsub:' "$IT_LOG"
skipped=$(pubsub_field "messages skipped")
if [ -n "$seen" ] && [ "$skipped" = "$seen" ]; then
	it_ok "gaps: the subscriber counted $seen skipped messages, the server $skipped"
else
	it_fail "gaps: the subscriber counted '$seen', the server '$skipped'"
fi
grep -q '^sluice-server: pubsub: subscriber .* over its limit' "$IT_LOG" &&
	it_ok "log: $(grep -m1 '^sluice-server: pubsub: subscriber .* over its limit' "$IT_LOG")" ||
	it_fail "no log line naming the subscriber over its limit"
rm -rf "$tmp"
exit $IT_FAILED
