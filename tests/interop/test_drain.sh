#!/usr/bin/env bash
# Integration: graceful drain on SIGTERM (sl_stack_drain), Linux clients over net_tap.
#
# Each case: sluice-server --mode http with a 64 KiB response body; 100 Linux connections
# with a 4 KiB receive buffer each send one GET and do not read yet, so nearly all of
# every response waits in sluice's send queues (the server's tcp_drain_queued counter
# proves it). Then SIGTERM, and the clients start reading.
#  1. every client receives its whole response, exactly, then a FIN (recv returns 0),
#     never ECONNRESET; the server reports 100 connections closed cleanly, 0 reset,
#     exits 0 with clean mbuf pools, before the drain deadline; a new connection
#     during the drain is refused (RST: ECONNREFUSED);
#     The same with two workers (--lcores 0@0,1@0): each drains its own connections;
#  2. one client never reads: its data and FIN cannot leave, so after --drain-s it is
#     reset (the client sees ECONNRESET) while the 99 others still get all and FIN; the
#     report counts 99 clean, 1 reset, and the drain lasted at least --drain-s;
#  3. a second SIGTERM during a drain (held up by a client that never reads, --drain-s
#     60) stops the server at once: exit 0, pools clean, "drain interrupted";
#  4. --mode pubsub with producer threads that never stop (--messages 0) and 4 Linux
#     subscribers: SIGTERM stops the producers, every subscriber receives whole lines in
#     order (each record handed off before the close), then FIN; 4 closed cleanly;
#  5. --mode source (sluice as the client of a Linux echo server, 4 endless streams):
#     SIGTERM cuts the streams; the peer received exactly the bytes each stream sent,
#     then FIN; 4 closed cleanly, exit 0.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CONNS=100
BODY_LEN=65536
PEER=$(dirname "$0")/drainpeer.py
tmp=$(mktemp -d /tmp/sl-drain.XXXXXX)
# it_cleanup exits with the status it finds: keep the script's own.
# shellcheck disable=SC2154
trap 'rc=$?; rm -rf "$tmp"; (exit $rc); it_cleanup' EXIT

# wait_for FILE SECONDS
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit PID SECONDS: wait for the server to exit by itself; its status in $exit_rc,
# the time it took in $exit_s. Returns 1 (and kills it) if it did not.
wait_exit() {
	local i start=$SECONDS
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	exit_s=$((SECONDS - start))
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 1
	fi
	wait "$1"
	exit_rc=$?
	return 0
}

# start_case NAME DRAIN_S PEER_ARGS...: a fresh namespace and server, the clients
# started and their requests answered (queued).
start_case() {
	local name=$1 drain_s=$2
	shift 2
	case_dir=$tmp/$name
	mkdir -p "$case_dir"
	it_start_server --mode http --http-body-len "$BODY_LEN" --mbufs 16383 \
		--drain-s "$drain_s"
	it_nsexec timeout 120 "$SL_PY" "$PEER" "$IT_SLUICE_IP" 80 --conns "$CONNS" \
		--body-len "$BODY_LEN" --rcvbuf 4096 --ready "$case_dir/ready" \
		--go "$case_dir/go" --stuck-go "$case_dir/stuck-go" \
		--readers-done "$case_dir/readers-done" --timeout 100 "$@" \
		>"$case_dir/peer.out" 2>&1 &
	peer_pid=$!
	if ! wait_for "$case_dir/ready" 60; then
		it_fail "$name: the clients did not get ready"
		cat "$case_dir/peer.out"
		return 1
	fi
}

# end_case NAME: the peer's verdict; the namespace goes for the next case.
end_case() {
	local name=$1
	touch "$case_dir/stuck-go"
	if wait "$peer_pid"; then
		it_ok "$name: clients: $(tail -n 1 "$case_dir/peer.out")"
	else
		it_fail "$name: clients"
		tail -n 25 "$case_dir/peer.out"
	fi
	cp "$IT_LOG" "$case_dir/server.log"
	sl_netns_del "$IT_NS"
}

# check_exit NAME: status 0 and the server's own leak check.
check_exit() {
	if [ "$exit_rc" -ne 0 ]; then
		it_fail "$1: sluice-server exited with status $exit_rc"
	elif ! grep -q '^sluice-server: mbuf pools clean' "$IT_LOG"; then
		it_fail "$1: sluice-server did not report clean mbuf pools"
	else
		it_ok "$1: exit status 0, mbuf pools clean"
	fi
}

drain_line() {
	grep '^sluice-server: drain ' "$IT_LOG" | tail -n 1
}

# The bytes still queued when the drain began: at least 3/4 of the responses (each
# client's kernel holds a few KB), or the test would not prove data in flight.
check_queued() {
	local queued
	queued=$(drain_line | sed -n 's/.* with \([0-9]*\) bytes queued.*/\1/p')
	if [ -n "$queued" ] && [ "$queued" -ge $((CONNS * BODY_LEN * 3 / 4)) ]; then
		it_ok "$1: $queued bytes were queued in sluice when the drain began"
	else
		it_fail "$1: bytes queued at drain start '${queued}', expected >= $((CONNS * BODY_LEN * 3 / 4))"
	fi
}

# --- 1. every client: all its data, then FIN
if start_case all 20; then
	kill -TERM "$IT_SERVER_PID"
	# While draining, the listener is closed: a new connection is refused with RST. The
	# clients start reading only after this probe, so the drain (which waits for them)
	# is surely still running: had they read first, it could end, and the server and its
	# tap be gone, before the probe (ENETUNREACH).
	sleep 0.2
	if it_nsexec "$SL_PY" -c '
import socket, sys
s = socket.socket()
s.settimeout(5)
try:
    s.connect((sys.argv[1], 80))
except ConnectionRefusedError:
    sys.exit(0)
except OSError as e:
    print("unexpected:", e); sys.exit(1)
print("connected during the drain"); sys.exit(1)' "$IT_SLUICE_IP"; then
		it_ok "all: a new connection during the drain is refused (RST)"
	else
		it_fail "all: a new connection during the drain was not refused"
	fi
	touch "$tmp/all/go"
	if wait_exit "$IT_SERVER_PID" 30; then
		IT_SERVER_PID=
		check_exit all
		line=$(drain_line)
		if echo "$line" | grep -q "drain complete after .*: $CONNS connection(s) open with .* $CONNS closed cleanly, 0 reset"; then
			it_ok "all: ${line#sluice-server: }"
		else
			it_fail "all: drain report: '$line'"
		fi
		if [ "$exit_s" -lt 20 ]; then
			it_ok "all: exited ${exit_s}s after SIGTERM, within --drain-s 20"
		else
			it_fail "all: took ${exit_s}s, the drain deadline is 20 s"
		fi
		check_queued all
	else
		IT_SERVER_PID=
		it_fail "all: sluice-server did not exit within 30 s of SIGTERM"
	fi
	end_case all
fi

# --- 2. a client that never reads: reset at the deadline, the others FIN
if start_case stuck 3 --stuck 1; then
	kill -TERM "$IT_SERVER_PID"
	touch "$tmp/stuck/go"
	if wait_exit "$IT_SERVER_PID" 30; then
		IT_SERVER_PID=
		check_exit stuck
		line=$(drain_line)
		if echo "$line" | grep -q "drain complete after .*: $CONNS connection(s) open with .* $((CONNS - 1)) closed cleanly, 1 reset"; then
			it_ok "stuck: ${line#sluice-server: }"
		else
			it_fail "stuck: drain report: '$line'"
		fi
		secs=$(echo "$line" | sed -n 's/.*after \([0-9.]*\) s.*/\1/p')
		if [ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s >= 3.0 && s < 10) }'; then
			it_ok "stuck: the drain lasted $secs s: the --drain-s 3 deadline"
		else
			it_fail "stuck: the drain lasted '$secs' s, expected the 3 s deadline"
		fi
	else
		IT_SERVER_PID=
		it_fail "stuck: sluice-server did not exit within 30 s of SIGTERM"
	fi
	end_case stuck
fi

# --- 3. a second SIGTERM during the drain stops at once
if start_case twice 60 --stuck 1 --stuck-expect none; then
	kill -TERM "$IT_SERVER_PID"
	touch "$tmp/twice/go"
	wait_for "$tmp/twice/readers-done" 60 || it_fail "twice: the readers did not finish"
	sleep 0.5
	if ! kill -0 "$IT_SERVER_PID" 2>/dev/null; then
		it_fail "twice: the server did not wait for the client that does not read"
	fi
	kill -TERM "$IT_SERVER_PID"
	if wait_exit "$IT_SERVER_PID" 10; then
		IT_SERVER_PID=
		check_exit twice
		line=$(drain_line)
		if echo "$line" | grep -q "drain interrupted after" && [ "$exit_s" -le 5 ]; then
			it_ok "twice: second SIGTERM: stopped ${exit_s}s later: ${line#sluice-server: }"
		else
			it_fail "twice: exit ${exit_s}s after the second SIGTERM, drain report '$line'"
		fi
	else
		IT_SERVER_PID=
		it_fail "twice: sluice-server did not stop within 10 s of the second SIGTERM"
	fi
	end_case twice
fi

# --- 1b. the same with two workers (software steering on net_tap: each drains its own)
# shellcheck disable=SC2034  # read by it_start_server (lib.sh)
IT_LCORES="--lcores 0@0,1@0"
if start_case workers 20; then
	kill -TERM "$IT_SERVER_PID"
	touch "$tmp/workers/go"
	if wait_exit "$IT_SERVER_PID" 30; then
		IT_SERVER_PID=
		check_exit workers
		line=$(drain_line)
		if echo "$line" | grep -q "drain complete after .*: $CONNS connection(s) open with .* $CONNS closed cleanly, 0 reset"; then
			it_ok "workers: ${line#sluice-server: }"
		else
			it_fail "workers: drain report: '$line'"
		fi
	else
		IT_SERVER_PID=
		it_fail "workers: sluice-server did not exit within 30 s of SIGTERM"
	fi
	end_case workers
fi
unset IT_LCORES

# --- 4. pubsub: producer threads that never stop must stop on SIGTERM; every record
# they handed off is sent (whole lines), then FIN
it_start_server --mode pubsub --producers 2 --messages 0 --drain-s 20
for i in 1 2 3 4; do
	it_nsexec timeout 60 "$SL_PY" "$(dirname "$0")/pubsubpeer.py" "$IT_SLUICE_IP" 9000 \
		--producers 2 --messages 0 --until-eof --timeout 50 >"$tmp/sub$i.out" 2>&1 &
	eval "sub_pid$i=\$!"
done
sleep 2
kill -TERM "$IT_SERVER_PID"
if wait_exit "$IT_SERVER_PID" 30; then
	IT_SERVER_PID=
	check_exit pubsub
	line=$(drain_line)
	if echo "$line" | grep -q "drain complete after .*: 4 connection(s) open with .* 4 closed cleanly, 0 reset"; then
		it_ok "pubsub: ${line#sluice-server: }"
	else
		it_fail "pubsub: drain report: '$line'"
	fi
else
	IT_SERVER_PID=
	it_fail "pubsub: sluice-server did not exit within 30 s of SIGTERM (producers kept it busy?)"
fi
for i in 1 2 3 4; do
	pid_var=sub_pid$i
	if wait "${!pid_var}"; then
		it_ok "pubsub: subscriber $i: $(tail -n 1 "$tmp/sub$i.out")"
	else
		it_fail "pubsub: subscriber $i: $(tail -n 3 "$tmp/sub$i.out")"
	fi
done

sl_netns_del "$IT_NS"

# --- 5. sluice as a client (--mode source, 4 streams of 2 GB to a Linux echo server):
# SIGTERM cuts the streams where they are; every byte sl_conn_send() accepted reaches the
# peer (it echoes exactly what each connection sent), then FIN; exit 0
# The Linux echo server listens before sluice starts (lib.sh).
it_listener_first "$tmp/serve.out" it_peer serve 5001 --conns 4
serve_pid=$IT_PEER_PID
IT_NS_READY=1 it_start_server --mode source --remote "$IT_KERNEL_IP" --port 5001 \
	--start-delay-ms 1500 --bytes 2g --connections 4 --drain-s 20
sleep 4
kill -TERM "$IT_SERVER_PID"
if wait_exit "$IT_SERVER_PID" 30; then
	IT_SERVER_PID=
	check_exit source
	line=$(drain_line)
	if echo "$line" | grep -q "drain complete after .*: 4 connection(s) open with .* 4 closed cleanly, 0 reset" &&
		[ "$(grep -c 'drained (SIGTERM)$' "$IT_LOG")" -eq 4 ]; then
		it_ok "source: ${line#sluice-server: }; 4 streams reported drained"
	else
		it_fail "source: drain report: '$line'"
		grep '^sluice-server: connection' "$IT_LOG"
	fi
else
	IT_SERVER_PID=
	it_fail "source: sluice-server did not exit within 30 s of SIGTERM"
fi
if wait "$serve_pid"; then
	sent=$(sed -n 's/^sluice-server: connection [0-9]*: sent \([0-9]*\) .*/\1/p' "$IT_LOG" | sort -n | tr '\n' ' ')
	echoed=$(sed -n 's/^serve: echoed \[\(.*\)\] bytes/\1/p' "$tmp/serve.out" | tr -d ',' | tr ' ' '\n' | sort -n | tr '\n' ' ')
	if [ -n "$sent" ] && [ "$sent" = "$echoed" ]; then
		it_ok "source: the Linux peer received exactly what each stream sent: $sent"
	else
		it_fail "source: sent '$sent', the peer echoed '$echoed'"
	fi
else
	it_fail "source: the Linux echo server: $(tail -n 3 "$tmp/serve.out")"
fi

[ "$IT_FAILED" -eq 0 ] || exit 1
echo "PASS: test_drain"
