#!/usr/bin/env bash
# Integration: sluice-server --mode pubsub, producer threads writing through sl_producer
# channels, with Linux subscribers over net_tap.
#  - three subscribers at once, one of them stalling 2 s before it reads: every one
#    receives every message of every producer exactly once, in order per producer;
#  - a subscriber that hangs up (RST) part way: its records are dropped and counted,
#    the others are unaffected;
#  - while producers outrun the network, segments are full: most data segments carry a
#    full MSS and writes per segment is well above one (the server's send-path line);
#  - sluice exits with every mbuf back in its pool.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PS_PORT=9000
PS_PRODUCERS=3
PS_MESSAGES=20000

pubsub_peer() {
	ip netns exec "$IT_NS" timeout 180 "$SL_PY" "$(dirname "${BASH_SOURCE[0]}")/pubsubpeer.py" \
		"$IT_SLUICE_IP" "$PS_PORT" --producers "$PS_PRODUCERS" --messages "$PS_MESSAGES" \
		--min 24 --max 200 "$@"
}

it_start_server --mode pubsub --producers "$PS_PRODUCERS" --messages "$PS_MESSAGES" \
	--msg-min 24 --msg-max 200 --sndbuf 65536

out=$(mktemp -d)
pubsub_peer >"$out/a" 2>&1 & pa=$!
pubsub_peer --stall 2 >"$out/b" 2>&1 & pb=$!
pubsub_peer --quit-after 5000 >"$out/c" 2>&1 & pc=$!
for p in a:$pa b:$pb c:$pc; do
	if wait "${p#*:}"; then
		it_ok "subscriber ${p%%:*}: $(tail -n 1 "$out/${p%%:*}")"
	else
		it_fail "subscriber ${p%%:*}: $(tail -n 3 "$out/${p%%:*}")"
	fi
done
rm -rf "$out"

# A subscriber after the others: sequences start over for it.
it_check "late subscriber" pubsub_peer
it_expect_stat prod_records -gt $((3 * PS_PRODUCERS * PS_MESSAGES - 1))
it_expect_stat tcp_tx_nombuf -eq 0
wps100=$(sl_telemetry "$IT_PREFIX" /sluice/send | sl_json_get /sluice/send writes_per_segment_x100)
if [ -n "$wps100" ] && [ "$wps100" -ge 400 ]; then
	it_ok "telemetry /sluice/send: writes per segment x100 = $wps100"
else
	it_fail "telemetry /sluice/send: writes per segment x100 = '$wps100', expected >= 400"
fi
it_stop_server

line=$(grep '^sluice-server: send path' "$IT_LOG")
echo "$line"
grep '^sluice-server: producer' "$IT_LOG"
full=$(echo "$line" | sed -n 's/.*(\([0-9.]*\)% full).*/\1/p')
wps=$(echo "$line" | sed -n 's/.*, \([0-9.]*\) writes\/segment.*/\1/p')
if [ -n "$full" ] && [ "${full%.*}" -ge 50 ] && [ -n "$wps" ] && [ "${wps%.*}" -ge 4 ]; then
	it_ok "coalescing: ${full}% of data segments full, $wps writes per segment"
else
	it_fail "coalescing: expected >= 50% full segments and >= 4 writes per segment: $line"
fi
exit $IT_FAILED
