#!/usr/bin/env bash
# Integration (issue 21): a client that pipelines requests for a large reply and never
# reads does not slow the others down, and loses nothing.
#
# For --mode kv, then --mode http (one worker, the default send and receive budgets):
#  1. baseline: redis-benchmark -t get -c 20 (the key it reads set to a 3-byte value) /
#     wrk -t1 -c4 (bodies of --http-body-len 102400) alone: no errors, its rate noted;
#  2. slowreader.py --small: a socket with 4 KB of receive buffer, set before connect,
#     pipelines short requests for a 100 kB reply (kv: SET big, then `GET big`; http:
#     `GET /`), one send() each with TCP_NODELAY, without reading, until send() makes no
#     progress for a second. That must happen: sluice answers until the connection's send
#     queue reaches its high mark, then leaves the requests unread (SL_RX_AGAIN), and its
#     receive window to that client closes. Telemetry shows the connection with less than
#     a segment of rcv_wnd left (0, or the few bytes Linux will not send a short segment
#     into), its send queue within the hard cap (sndbuf_max), its unread requests within
#     the receive budget (rcv_buf), and the server's mbufs in use within what those two
#     budgets allow;
#  3. the same benchmark beside it: no errors, and a rate of at least MIN_RATIO of the
#     baseline (printed; loose on purpose, the machine is shared). Then the same probe
#     again: nothing grew, and nothing was written to the paused connection meanwhile;
#  4. that client reads its first 50 replies (exact) and closes with the rest unread: its
#     connection leaves the table and the mbufs in use go back to the idle figure;
#  5. slowreader.py --pad 1000: the same with requests of about 1 kB (a few hundred fill
#     the receive budget, so reading everything back stays short), then it reads: every
#     request the server accepted is answered, exactly and in order (kv: the value byte
#     for byte; http: 200 and the body), then its last request (PING; GET with
#     Connection: close, then FIN);
#  6. SL_SLOW_READERS (30) such clients at once beside the benchmark: more than the pool
#     can hold (issue 17), so the worker runs under pool pressure; the benchmark still
#     passes, the pool never runs dry (its lowest free count and the pressure counters
#     are printed), each client reads its first replies exact and the mbufs come back;
#  7. the server exits cleanly with its pools back (it_stop_server), kv reports requests
#     paused on a full send queue, no reply lost and its store clean, http every
#     response queued.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)"

VALUE_LEN=102400		# the large reply (kv value, http body)
MIN_RATIO=${SL_SLOW_READER_MIN_RATIO:-0.3}
KV_N=${SL_SLOW_READER_KV_N:-50000}	# redis-benchmark requests per run
WRK_SECS=${SL_SLOW_READER_WRK_SECS:-5}
# Slow clients at once in the last round (0: skip it). Each would hold ~280 mbufs (its
# send queue at the high mark, its receive budget of unread requests): 30 of them want
# more than the whole pool of --mbufs 8191 (lib.sh), so the round runs the worker under
# pool pressure (lib/tcp/tcp_mem.h), where their payload is dropped while the benchmark's
# connections go on. They run side by side: 30 cost a few seconds more than 8.
SLOW_MANY=${SL_SLOW_READERS:-30}

TMP=$(mktemp -d "/tmp/$IT_NAME.XXXXXX")
SLOW_PID=

slow_cleanup() {
	local rc=$?
	[ -z "$SLOW_PID" ] || sl_stop_pid "$SLOW_PID" 5
	rm -rf "$TMP"
	(exit "$rc")
	it_cleanup
}
trap slow_cleanup EXIT

# slow_start MODE PORT [slowreader.py options]: slowreader.py in the background; waits
# (60 s at most) until it has filled what it can and reports.
slow_start() {
	local mode=$1 port=$2 i
	shift 2
	rm -f "$TMP/ready" "$TMP/release"
	# ip netns exec execs python: $! is the client itself, for sl_stop_pid.
	ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/slowreader.py" "$mode" "$IT_SLUICE_IP" "$port" \
		--value-len "$VALUE_LEN" --ready "$TMP/ready" --release "$TMP/release" \
		--hold 900 "$@" >"$TMP/slow.log" 2>&1 &
	SLOW_PID=$!
	for ((i = 0; i < 600; i++)); do
		[ -e "$TMP/ready" ] && break
		kill -0 "$SLOW_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -e "$TMP/ready" ]; then
		it_fail "$mode: the slow client did not get ready"
		sed 's/^/    /' "$TMP/slow.log"
		return 1
	fi
	if [ "$(sl_json_get stalled < "$TMP/ready")" != True ]; then
		it_fail "$mode: the slow client's requests never stalled: $(cat "$TMP/ready")"
	else
		it_ok "$mode: slow client pipelined until send() stalled: $(cat "$TMP/ready")"
	fi
}

# slow_finish MODE: let the slow client read; it checks the replies (120 s at most).
slow_finish() {
	local i rc
	touch "$TMP/release"
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$SLOW_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SLOW_PID" 2>/dev/null; then
		sl_stop_pid "$SLOW_PID" 5
		rc=timeout
	else
		wait "$SLOW_PID" 2>/dev/null
		rc=$?
	fi
	SLOW_PID=
	if [ "$rc" != 0 ]; then
		it_fail "$1: the slow client's replies (status $rc)"
		sed 's/^/    /' "$TMP/slow.log"
	else
		it_ok "$1: slow client: $(tail -n 1 "$TMP/slow.log")"
	fi
}

# slow_gone MODE PORT IDLE: after the client closed with replies unread, its connection
# leaves the table and the mbufs it held go back (10 s at most).
slow_gone() {
	local i n m
	for ((i = 0; i < 100; i++)); do
		n=$(sl_telemetry "$IT_PREFIX" "/sluice/conns,0,10,rport=$2" |
			sl_json_get /sluice/conns count)
		m=$(mbufs_in_use)
		[ "$n" = 0 ] && [ "$m" -le $(($3 + 64)) ] && break
		sleep 0.1
	done
	if [ "$n" = 0 ] && [ "$m" -le $(($3 + 64)) ]; then
		it_ok "$1: the connection closed with replies unread is gone, mbufs in use $m (idle $3)"
	else
		it_fail "$1: after the client closed: connections listed '$n', mbufs in use $m (idle $3)"
	fi
}

# slow_probe MODE WHAT MBUFS_IDLE [again]: the slow client's connection in telemetry; sets
# PROBE_MBUFS (the server's mbufs in use); fails unless its window is closed and its
# queues are within their budgets, and the mbufs in use above the idle figure within
# them. With "again": nothing was written to it since the previous probe (a paused
# connection costs the worker nothing but the odd window probe).
PROBE_MBUFS=
slow_probe() {
	local out
	PROBE_MBUFS=-1
	[ "${4:-}" = again ] || rm -f "$TMP/probe.json"
	if out=$("$SL_PY" - "$IT_PREFIX" "$(sl_json_get port < "$TMP/ready")" "$3" \
		"$TMP/probe.json" 2>&1 <<'PY'
import json, os, sys, time
from sltest import telemetry

prefix, port, idle, prev_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
page = telemetry(prefix, "/sluice/conns,0,10,rport=%d" % port)
if page["count"] != 1:
    raise SystemExit("the slow client's connection (port %d) is not listed: %r" % (port, page))
ci = telemetry(prefix, "/sluice/conn_info," + page["id"][0])
mbufs = telemetry(prefix, "/sluice/info")["mbufs_in_use"]
fig = ("state %s, rcv_wnd %d (mss %d), send_q %d (sndbuf_high %d, max %d), recv_q %d "
       "(rcv_buf %d), mbufs in use %d" %
       (ci["state"], ci["rcv_wnd"], ci["mss"], ci["send_q"], ci["sndbuf_high"],
        ci["sndbuf_max"], ci["recv_q"], ci["rcv_buf"], mbufs))
bad = []
if ci["state"] != "ESTABLISHED":
    bad.append("not ESTABLISHED")
# Closed: less than a segment left (Linux sends nothing into a window smaller than the
# segment it has ready, so the last few bytes of the window may stay unused).
if ci["rcv_wnd"] >= ci["mss"]:
    bad.append("receive window open: the server still reads")
if ci["send_q"] < ci["sndbuf_high"] // 2:
    bad.append("send queue below half its high mark: replies not queued")
if ci["send_q"] > ci["sndbuf_max"]:
    bad.append("send queue beyond its hard cap")
if ci["recv_q"] > ci["rcv_buf"]:
    bad.append("unread requests beyond the receive budget")
# Every queued byte sits in an mbuf holding at least 1000 of them (full segments in, the
# coalesced send queue out); the headers and a few control mbufs are the slack.
if mbufs - idle > (ci["sndbuf_max"] + ci["rcv_buf"]) // 1000 + 64:
    bad.append("%d mbufs in use above idle: more than the budgets explain" % (mbufs - idle))
now = {"t": time.monotonic(), "app_writes": ci["app_writes"], "segs": ci["data_segments"]}
if os.path.exists(prev_file):
    prev = json.load(open(prev_file))
    dt = now["t"] - prev["t"]
    fig += "; in %.1f s since: %d replies written, %d data segments sent" % (
        dt, now["app_writes"] - prev["app_writes"], now["segs"] - prev["segs"])
    if now["app_writes"] != prev["app_writes"]:
        bad.append("replies written while the client reads nothing")
    # The client's window is closed (its 4 KB are full): only window probes go out, and
    # they back off from the RTO (200 ms at least). Allow a few segments a second, in
    # case a probe's answer opened a few bytes; a loop sending would show thousands.
    if now["segs"] - prev["segs"] > 5 * dt + 5:
        bad.append("segments sent to a closed window")
json.dump(now, open(prev_file, "w"))
print(fig)
if bad:
    raise SystemExit("; ".join(bad) + ": " + fig)
print(mbufs)
PY
	); then
		it_ok "$1: slow client's connection $2: $(echo "$out" | head -n 1)"
		PROBE_MBUFS=$(echo "$out" | tail -n 1)
	else
		it_fail "$1: slow client's connection $2: $out"
	fi
}

mbufs_in_use() {
	sl_telemetry "$IT_PREFIX" /sluice/info | sl_json_get /sluice/info mbufs_in_use
}

# rate_check MODE BASE BESIDE [WHAT]: WHAT the benchmark ran beside (the slow client).
rate_check() {
	local ratio what=${4:-the slow client}
	ratio=$("$SL_PY" -c 'import sys; print("%.2f" % (float(sys.argv[2]) / float(sys.argv[1])))' \
		"$2" "$3" 2>/dev/null) || ratio=0
	if "$SL_PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' \
		"$ratio" "$MIN_RATIO"; then
		it_ok "$1: $3 req/s beside $what, $2 alone: ratio $ratio (>= $MIN_RATIO)"
	else
		it_fail "$1: $3 req/s beside $what, $2 alone: ratio $ratio (< $MIN_RATIO)"
	fi
}

# pool_report MODE: the pool pressure counters and the lowest free count of the worker's
# pool so far; fails if the pool ever ran dry (the RX ring could not have been refilled).
pool_report() {
	local info stats min res
	info=$(sl_telemetry "$IT_PREFIX" /sluice/info)
	stats=$(sl_telemetry "$IT_PREFIX" /sluice/stats)
	min=$(echo "$info" | sl_json_get /sluice/info mbufs_free_min 2>/dev/null) || min=
	res=$(echo "$info" | sl_json_get /sluice/info mbufs_reserve 2>/dev/null) || res=
	echo "    pool: lowest free count $min (reserve $res); $(echo "$stats" | "$SL_PY" -c '
import json, sys
s = json.load(sys.stdin)["/sluice/stats"]
print(", ".join("%s %s" % (k, s.get(k, 0)) for k in ("tcp_rx_drop_mempressure",
      "tcp_mem_pressure", "tcp_txbuf_full", "mbuf_alloc_fail")))' 2>&1)"
	if [ -n "$min" ] && [ "$min" -gt 0 ]; then
		it_ok "$1: the pool never ran dry (lowest free count $min, reserve $res)"
	else
		it_fail "$1: the pool ran dry, or its lowest free count is unknown ('$min')"
	fi
}

server_alive() {
	if kill -0 "$IT_SERVER_PID" 2>/dev/null; then
		it_ok "$1: sluice-server still running"
	else
		it_fail "$1: sluice-server died"
	fi
}

# slow_round MODE PORT BENCH: the benchmark alone; beside a slow client of short requests
# (the case of the issue: `GET big` pipelined), which then reads its first replies and
# goes away with the rest unread; then a slow client of padded requests that reads
# everything back.
slow_round() {
	local mode=$1 port=$2 bench=$3 base beside idle m1 m2 rport
	"$bench" alone
	base=$BENCH_RATE
	idle=$(mbufs_in_use)
	if slow_start "$mode" "$port" --small --read 50; then
		rport=$(sl_json_get port < "$TMP/ready")
		slow_probe "$mode" "while held" "$idle"
		m1=$PROBE_MBUFS
		"$bench" "beside the slow client"
		beside=$BENCH_RATE
		server_alive "$mode"
		slow_probe "$mode" "after the benchmark" "$idle" again
		m2=$PROBE_MBUFS
		echo "    mbufs in use: idle $idle, slow client held $m1, after the benchmark $m2"
		rate_check "$mode" "$base" "$beside"
		slow_finish "$mode"
		slow_gone "$mode" "$rport" "$idle"
	fi
	if slow_start "$mode" "$port" --pad 1000; then
		slow_probe "$mode" "(padded requests) while held" "$idle"
		slow_finish "$mode"
	fi
	server_alive "$mode"
}

# many_round MODE PORT BENCH: SLOW_MANY slow clients of short requests at once beside the
# benchmark; then each reads its first 5 replies (exact) and closes with the rest unread.
# Each would hold about 280 mbufs of the worker's pool (its send queue at the high mark,
# its receive budget of unread requests); past about 25 of them (--mbufs 8191 from
# lib.sh, 1023 of them in the RX ring) the pool is under pressure: the worker drops their
# payload and keeps its reserve, so the benchmark must still pass and the pool never run
# dry (the counters and the lowest free count are printed).
many_round() {
	local mode=$1 port=$2 bench=$3 base idle i j n info held pids="" rc bad=0
	[ "$SLOW_MANY" -gt 0 ] || return 0
	"$bench" "alone (before $SLOW_MANY slow clients)"
	base=$BENCH_RATE
	idle=$(mbufs_in_use)
	rm -f "$TMP"/many.* "$TMP/release"
	for ((i = 0; i < SLOW_MANY; i++)); do
		ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/slowreader.py" "$mode" \
			"$IT_SLUICE_IP" "$port" --value-len "$VALUE_LEN" --small --read 5 \
			--ready "$TMP/many.$i.ready" --release "$TMP/release" --hold 900 \
			>"$TMP/many.$i.log" 2>&1 &
		pids="$pids $!"
	done
	IT_PIDS="$IT_PIDS $pids"
	for ((j = 0; j < 600; j++)); do
		n=$(find "$TMP" -name 'many.*.ready' | wc -l)
		[ "$n" -ge "$SLOW_MANY" ] && break
		sleep 0.1
	done
	n=$(grep -l '"stalled": true' "$TMP"/many.*.ready 2>/dev/null | wc -l)
	held=$(mbufs_in_use)
	if [ "$n" -eq "$SLOW_MANY" ]; then
		it_ok "$mode: $SLOW_MANY slow clients pipelined until send() stalled;" \
			"mbufs in use $held (idle $idle)"
	else
		it_fail "$mode: $n of $SLOW_MANY slow clients stalled (the others not ready," \
			"or not stalled); mbufs in use $held (idle $idle)"
	fi
	"$bench" "beside $SLOW_MANY slow clients"
	server_alive "$mode"
	rate_check "$mode" "$base" "$BENCH_RATE" "$SLOW_MANY slow clients"
	pool_report "$mode"
	touch "$TMP/release"
	# 120 s in all for them to finish, then the rest are stopped (and count as failed).
	for ((j = 0; j < 1200; j++)); do
		n=0
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && n=$((n + 1))
		done
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	for p in $pids; do
		if kill -0 "$p" 2>/dev/null; then
			sl_stop_pid "$p" 5
			bad=$((bad + 1))
		else
			wait "$p" 2>/dev/null
			rc=$?
			[ "$rc" -eq 0 ] || bad=$((bad + 1))
		fi
	done
	IT_PIDS=
	if [ "$bad" -eq 0 ]; then
		it_ok "$mode: each of the $SLOW_MANY slow clients read its first replies, exact"
	else
		it_fail "$mode: $bad of $SLOW_MANY slow clients failed or hung"
		grep -h 'FAIL\|Error' "$TMP"/many.*.log | sort | uniq -c | head -n 5
	fi
	# Flows other than TIME-WAIT: the padded client before them (http: GET with
	# Connection: close) left the server's side of its connection in TIME-WAIT, for
	# 2 MSL (a minute), which may not be over yet; the slow clients' connections end by
	# RST (closed with replies unread) and must be gone.
	for ((j = 0; j < 100; j++)); do
		info=$(sl_telemetry "$IT_PREFIX" /sluice/info)
		n=$(echo "$info" | "$SL_PY" -c 'import json,sys
i = json.load(sys.stdin)["/sluice/info"]
print(i["flows"] - i["timewait"])' 2>/dev/null)
		[ "$n" = 0 ] && [ "$(mbufs_in_use)" -le $((idle + 64)) ] && break
		sleep 0.1
	done
	if [ "$n" = 0 ] && [ "$(mbufs_in_use)" -le $((idle + 64)) ]; then
		it_ok "$mode: their connections are gone, mbufs in use back to $(mbufs_in_use)"
	else
		it_fail "$mode: after the slow clients closed: flows other than TIME-WAIT '$n'," \
			"mbufs in use $(mbufs_in_use) (idle $idle)"
	fi
}

# ---------------------------------------------------------------- kv
KV_PORT=6379

# kv_bench WHAT: redis-benchmark -t get -c 20 -n KV_N; sets BENCH_RATE (0 on failure).
BENCH_RATE=
kv_bench() {
	local out rc rate
	BENCH_RATE=0
	out=$(it_nsexec timeout 120 redis-benchmark -h "$IT_SLUICE_IP" -p "$KV_PORT" \
		-t get -c 20 -n "$KV_N" -q 2>&1 | tr '\r' '\n')
	rc=$?
	rate=$(echo "$out" | sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p')
	if [ "$rc" -eq 0 ] && [ -n "$rate" ] && ! echo "$out" | grep -qiE 'error|warning'; then
		it_ok "kv: redis-benchmark -t get -c 20 -n $KV_N $1: $rate req/s, no errors"
		BENCH_RATE=$rate
	else
		it_fail "kv: redis-benchmark $1 (status $rc)"
		echo "$out" | grep -v 'rps=' | tail -n 20
	fi
}

it_start_server --mode kv
# redis-benchmark -t get reads the key "key:__rand_int__" (no -r): give it the 3 bytes
# its own SET would write.
got=$(it_nsexec timeout 10 redis-cli -h "$IT_SLUICE_IP" -p "$KV_PORT" SET key:__rand_int__ xxx 2>&1)
[ "$got" = OK ] || it_fail "kv: SET key:__rand_int__: $got"

slow_round kv "$KV_PORT" kv_bench
many_round kv "$KV_PORT" kv_bench
it_stop_server
grep '^sluice-server: kv:' "$IT_LOG"
paused=$(sed -n 's/^sluice-server: kv: .*paused on a full send queue \([0-9]*\),.*/\1/p' "$IT_LOG")
if [ "${paused:-0}" -gt 0 ] && grep -q 'replies lost 0$' "$IT_LOG" &&
	grep -q '^sluice-server: kv: store clean' "$IT_LOG"; then
	it_ok "kv: requests paused on a full send queue $paused times, no reply lost, store clean"
else
	it_fail "kv: exit report: paused '${paused:-}', or replies lost, or store not clean"
fi

# ---------------------------------------------------------------- http
HTTP_PORT=80

# http_bench WHAT: wrk -t1 -c4 -d WRK_SECS; sets BENCH_RATE (0 on failure).
http_bench() {
	local rate
	BENCH_RATE=0
	if ! it_nsexec timeout $((WRK_SECS + 60)) wrk -t1 -c4 -d"${WRK_SECS}s" --timeout 5s \
		"http://$IT_SLUICE_IP/" >"$TMP/wrk" 2>&1; then
		it_fail "http: wrk $1 failed or timed out"
		sed 's/^/    /' "$TMP/wrk"
		return
	fi
	rate=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk")
	if grep -q 'Socket errors\|Non-2xx' "$TMP/wrk" || [ -z "$rate" ]; then
		it_fail "http: wrk $1: $(grep 'Socket errors\|Non-2xx' "$TMP/wrk")"
		sed 's/^/    /' "$TMP/wrk"
	else
		it_ok "http: wrk -t1 -c4 -d${WRK_SECS}s $1: $rate req/s of ${VALUE_LEN}-byte bodies," \
			"no socket errors, no non-2xx"
		BENCH_RATE=$rate
	fi
}

it_start_server --mode http --http-body-len "$VALUE_LEN"
slow_round http "$HTTP_PORT" http_bench
many_round http "$HTTP_PORT" http_bench
it_stop_server
grep '^sluice-server: http' "$IT_LOG"
unsent=$(sed -n 's/^sluice-server: http .*unsent \([0-9]*\)$/\1/p' "$IT_LOG")
if [ "$unsent" = 0 ]; then
	it_ok "http: every response queued"
else
	it_fail "http: responses not queued: '$unsent'"
fi
exit "$IT_FAILED"
