#!/usr/bin/env bash
# Integration (issue 18): every connection through telemetry, and sluice-stat.
#
# 1. One Linux connection to sluice's echo server shows in /sluice/conns (read with
#    `sluice-stat conns --json`) as ESTABLISHED with its 4-tuple, the filters select it,
#    and its detail (/sluice/conn_info by the id the listing gave) agrees. The client
#    closes while a rule in the namespace drops its segments without FIN, so the server
#    sends its FIN and then waits in LAST-ACK for an ACK that cannot come: a closing
#    state held as long as the rule stays. Without the rule, the FIN is acknowledged and
#    the connection leaves the listing.
# 2. With 10,000 connections open, the listing pages through all of them: every page fits
#    the telemetry buffer (max_output_len) and the page-size cap, the count equals the
#    connections open, every client port appears once.
# 3. Every sluice-stat subcommand works against the running server, and against none
#    (no socket; a socket nobody listens on) fails with a clear message and status 1.
# 4. Two workers: one listing covers both, --worker selects each.
# 5. A deserializer mid-message: echo-line holding part of a line shows framing "line",
#    state "partial", the bytes waiting and how many it needs.
# The server exits clean (mbuf pools, its own leak check) each time.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CONNS=${SL_CONNS:-10000}
ulimit -n 32768 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNS + 64)) ]; then
	it_fail "the open-file limit is $(ulimit -n) (hard $(ulimit -Hn)): $CONNS connections need more"
	exit 1
fi

STAT_BIN=$SL_ROOT/${SL_BUILD_DIR:-build}/dpdk_app/sluice-stat
[ -x "$STAT_BIN" ] || { it_fail "$STAT_BIN is not built"; exit 1; }
TMP=$(mktemp -d "/tmp/$IT_NAME.XXXXXX")
PEER_PID=
STALE_DIR=

conns_cleanup() {
	local rc=$?
	[ -z "$PEER_PID" ] || { kill "$PEER_PID" 2>/dev/null; wait "$PEER_PID" 2>/dev/null; }
	[ -z "$STALE_DIR" ] || rm -rf "$STALE_DIR"
	rm -rf "$TMP"
	(exit "$rc")
	it_cleanup
}
trap conns_cleanup EXIT

stat() {
	timeout 300 "$SL_PY" "$STAT_BIN" -p "$IT_PREFIX" "$@"
}

# json_check FILE PYTHON-EXPR...: evaluate with j = the JSON of FILE; print the last value,
# fail (status 1) when any is false.
json_check() {
	local f=$1
	shift
	"$SL_PY" - "$f" "$@" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
    v = eval(e)
    if not v:
        print("false: %s" % e)
        sys.exit(1)
print(v)
EOF
}

# peer_start N: connspeer.py holding N connections in the background, ready when
# $TMP/ready.N exists.
peer_start() {
	rm -f "$TMP/ready.$1" "$TMP/release.$1"
	it_nsexec "$SL_PY" "$(dirname "$0")/connspeer.py" hold "$IT_SLUICE_IP" 7 --conns "$1" \
		--ready "$TMP/ready.$1" --release "$TMP/release.$1" --timeout 900 \
		>"$TMP/peer.$1.log" 2>&1 &
	PEER_PID=$!
}

# peer_wait_ready N SECONDS
peer_wait_ready() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -f "$TMP/ready.$1" ] && return 0
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	it_fail "the client's $1 connections did not open: $(tail -n 3 "$TMP/peer.$1.log")"
	return 1
}

# peer_finish N SECONDS: release the client and wait for it to close everything.
peer_finish() {
	local i
	touch "$TMP/release.$1"
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if wait "$PEER_PID"; then
		it_ok "client: $(tail -n 1 "$TMP/peer.$1.log")"
	else
		it_fail "client: $(tail -n 3 "$TMP/peer.$1.log")"
	fi
	PEER_PID=
}

it_start_server --mode echo --mbufs 32767 --backlog 16384

# ---- 1. one connection, ESTABLISHED, then closing ----
peer_start 1
peer_wait_ready 1 30 || exit 1
CPORT=$("$SL_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ports"][0])' \
	"$TMP/ready.1")
stat conns --json >"$TMP/one.json" || it_fail "sluice-stat conns"
if out=$(json_check "$TMP/one.json" 'j["count"] == 1 and j["total"] == 1' \
	'j["conns"][0]["state"] == "ESTABLISHED"' \
	'j["conns"][0]["local"] == "'"$IT_SLUICE_IP"':7"' \
	'j["conns"][0]["remote"] == "'"$IT_KERNEL_IP:$CPORT"'"' \
	'j["conns"][0]["recv_q"] == 0 and j["conns"][0]["send_q"] == 0' \
	'j["conns"][0]["framing"] == "raw" and j["conns"][0]["mss"] > 0' \
	'j["conns"][0]["id"]'); then
	ID=$out
	it_ok "one connection listed: ESTABLISHED $IT_SLUICE_IP:7 <- $IT_KERNEL_IP:$CPORT, id $ID"
else
	it_fail "one connection: $out"
	cat "$TMP/one.json"
	ID=0.0.0
fi
stat conns --json --rport "$CPORT" --state ESTABLISHED,SYN-RECEIVED >"$TMP/f1.json"
stat conns --json --state TIME-WAIT >"$TMP/f2.json"
stat conns --json --lport 8 >"$TMP/f3.json"
if json_check "$TMP/f1.json" 'j["count"] == 1' >/dev/null &&
	json_check "$TMP/f2.json" 'j["count"] == 0' >/dev/null &&
	json_check "$TMP/f3.json" 'j["count"] == 0' >/dev/null; then
	it_ok "filters: rport+state select it; TIME-WAIT and lport 8 do not"
else
	it_fail "filters: $(cat "$TMP/f1.json" "$TMP/f2.json" "$TMP/f3.json" | head -c 600)"
fi
stat conn "$ID" --json >"$TMP/detail.json" || it_fail "sluice-stat conn $ID"
if out=$(json_check "$TMP/detail.json" 'j["state"] == "ESTABLISHED"' \
	'j["remote"] == "'"$IT_KERNEL_IP:$CPORT"'"' \
	'j["bytes_received"] == 12 and j["bytes_acked"] == 12' \
	'all(k in j for k in ("recoveries", "rack_lost", "tlp_sent", "rto", "cc", "srtt_us"))' \
	'"%s %s" % (j["cc"], j["srtt_us"])'); then
	it_ok "detail of $ID: 12 bytes each way, cc and srtt_us: $out"
else
	it_fail "detail of $ID: $out"
fi
# DPDK's own client reaches the same commands; /sluice/conn (worker,slot) still answers.
out=$(sl_telemetry "$IT_PREFIX" "/sluice/conn,0,$(echo "$ID" | cut -d. -f2)")
n=$(sl_telemetry "$IT_PREFIX" "/sluice/conns,0,10,state=established" |
	sl_json_get /sluice/conns count)
if [ "$(echo "$out" | sl_json_get /sluice/conn id)" = "$ID" ] &&
	[ "$(echo "$out" | sl_json_get /sluice/conn state)" = ESTABLISHED ] && [ "$n" = 1 ]; then
	it_ok "dpdk-telemetry.py: /sluice/conns count 1, /sluice/conn,0,slot is $ID"
else
	it_fail "dpdk-telemetry.py: /sluice/conns count '$n', /sluice/conn: $out"
fi
if stat conn "${ID%.*}.$((${ID##*.} + 1))" >/dev/null 2>"$TMP/err"; then
	it_fail "an id with another generation was accepted"
else
	it_ok "an id with another generation is refused: $(cat "$TMP/err")"
fi

# The client's FIN passes, its ACK of the server's FIN does not: LAST-ACK, held.
it_nsexec iptables -w 5 -A OUTPUT -p tcp --sport "$CPORT" --tcp-flags FIN NONE -j DROP
peer_finish 1 30
states=
for ((i = 0; i < 100; i++)); do
	st=$(stat conns --json --rport "$CPORT" | "$SL_PY" -c \
		'import json,sys; print(" ".join(c["state"] for c in json.load(sys.stdin)["conns"]))')
	case " $states " in *" $st "*) ;; *) states="$states $st" ;; esac
	[ "$st" = LAST-ACK ] && break
	sleep 0.1
done
sleep 1
st2=$(stat conns --json --rport "$CPORT" | "$SL_PY" -c \
	'import json,sys; print(" ".join(c["state"] for c in json.load(sys.stdin)["conns"]))')
if [ "$st" = LAST-ACK ] && [ "$st2" = LAST-ACK ]; then
	it_ok "after the client's close: states seen:$states, still LAST-ACK 1 s later"
else
	it_fail "after the client's close: states seen:$states, then '$st2' (LAST-ACK expected)"
fi
it_nsexec iptables -w 5 -D OUTPUT -p tcp --sport "$CPORT" --tcp-flags FIN NONE -j DROP
for ((i = 0; i < 300; i++)); do
	n=$(stat conns --json | "$SL_PY" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
	[ "$n" = 0 ] && break
	sleep 0.1
done
if [ "$n" = 0 ]; then
	it_ok "the FIN acknowledged, the connection left the listing"
else
	it_fail "still $n connection(s) listed 30 s after the rule went"
fi

# ---- 2. many connections, paged ----
peer_start "$CONNS"
peer_wait_ready "$CONNS" 600 || exit 1
t0=$(date +%s.%N)
stat conns --json >"$TMP/many.json" || it_fail "sluice-stat conns ($CONNS)"
t1=$(date +%s.%N)
if out=$(json_check "$TMP/many.json" 'j["count"] == '"$CONNS"' and j["total"] == '"$CONNS" \
	'all(c["state"] == "ESTABLISHED" for c in j["conns"])' \
	'sorted(int(c["remote"].split(":")[1]) for c in j["conns"]) == sorted(json.load(open("'"$TMP/ready.$CONNS"'"))["ports"])' \
	'len(set(c["id"] for c in j["conns"])) == '"$CONNS" \
	'len(j["pages"]) > 1' \
	'all(p["bytes"] <= j["max_output_len"] and 0 < p["count"] <= 500 for p in j["pages"][:-1])' \
	'j["pages"][-1]["bytes"] <= j["max_output_len"]' \
	'"%d pages, at most %d connections and %d bytes per page" % (len(j["pages"]), max(p["count"] for p in j["pages"]), max(p["bytes"] for p in j["pages"]))'); then
	it_ok "$CONNS connections listed, each once, all ESTABLISHED: $out, in $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
else
	it_fail "$CONNS connections: $out"
	"$SL_PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["total"], j["count"], j["pages"][:5])' "$TMP/many.json"
fi
stat conns --json --state established --max 25 --page-size 10 >"$TMP/max.json"
if out=$(json_check "$TMP/max.json" 'j["count"] == 25 and len(j["pages"]) == 3' \
	'[p["count"] for p in j["pages"]]'); then
	it_ok "--max 25 --page-size 10: pages of $out"
else
	it_fail "--max 25 --page-size 10: $out"
fi

# ---- 3. the other subcommands, with the connections open ----
if stat conns >"$TMP/table.txt" && grep -q "^ESTABLISHED .*$IT_SLUICE_IP:7" "$TMP/table.txt" &&
	grep -q "rtt:.*rto:.*framing:raw" "$TMP/table.txt" &&
	grep -q "^$CONNS connections listed, $CONNS open in all" "$TMP/table.txt"; then
	it_ok "conns table: $(wc -l <"$TMP/table.txt") lines, $(tail -n 1 "$TMP/table.txt")"
else
	it_fail "conns table: $(head -n 3 "$TMP/table.txt"; tail -n 1 "$TMP/table.txt")"
fi
if stat counters >"$TMP/counters.txt" &&
	opens=$(awk '$1 == "tcp_passive_opens:" { print $2 }' "$TMP/counters.txt") &&
	[ "${opens:-0}" -ge $((CONNS + 1)) ] && ! grep -q ': 0$' "$TMP/counters.txt"; then
	it_ok "counters: $(($(wc -l <"$TMP/counters.txt") - 1)) non-zero, tcp_passive_opens $opens"
else
	it_fail "counters: $(head -n 5 "$TMP/counters.txt")"
fi
if stat counters --worker 0 --json >"$TMP/w0.json" &&
	json_check "$TMP/w0.json" 'j["tcp_passive_opens"] >= '"$((CONNS + 1))" >/dev/null &&
	! stat counters --worker 3 >/dev/null 2>"$TMP/err"; then
	it_ok "counters --worker 0; --worker 3 refused: $(cat "$TMP/err")"
else
	it_fail "counters --worker"
fi
# Pings during top, so that counters move.
it_nsexec ping -q -c 8 -i 0.2 "$IT_SLUICE_IP" >/dev/null 2>&1 &
ping_pid=$!
stat top -i 0.5 -n 3 >"$TMP/top.txt"
rc=$?
wait "$ping_pid"
if [ $rc = 0 ] && [ "$(grep -c '^counter .*per second' "$TMP/top.txt")" = 3 ] &&
	grep -q '^icmp_rx_echo  *[0-9.]* *[0-9]*$' "$TMP/top.txt"; then
	it_ok "top: 3 refreshes, $(grep -c '^[a-z_0-9]*  *[0-9.]*  *[0-9]*$' "$TMP/top.txt") rate lines, $(grep -m 1 '^icmp_' "$TMP/top.txt" | tr -s ' ')"
else
	it_fail "top: $(head -n 5 "$TMP/top.txt")"
fi
if stat info --json >"$TMP/info.json" && out=$(json_check "$TMP/info.json" \
	'j["ip"] == "'"$IT_SLUICE_IP"'" and j["workers"] == 1' \
	'j["flows"] == '"$CONNS"' and j["program"] == "sluice-server"' \
	'"pid %d, %s, %d flows" % (j["pid"], j["dpdk"], j["flows"])'); then
	it_ok "info: $out"
else
	it_fail "info: $out"
fi

peer_finish "$CONNS" 600
for ((i = 0; i < 600; i++)); do
	n=$(stat conns --json | "$SL_PY" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
	[ "$n" = 0 ] && break
	sleep 0.1
done
[ "$n" = 0 ] && it_ok "all $CONNS closed: the listing is empty" ||
	it_fail "$n connections still listed 60 s after the client closed"

# ---- 3. (continued) no server ----
none=sl-none-$$
bad=0
for cmd in "conns" "conn 0.0.0" "counters" "top -n 1" "info"; do
	# shellcheck disable=SC2086
	timeout 20 "$SL_PY" "$STAT_BIN" -p "$none" $cmd >/dev/null 2>"$TMP/err"
	rc=$?
	if [ "$rc" != 1 ] || ! grep -q "no DPDK process with file prefix '$none'" "$TMP/err"; then
		it_fail "sluice-stat $cmd without a server: status $rc, $(cat "$TMP/err")"
		bad=1
	fi
done
[ $bad = 1 ] || it_ok "without a server, every subcommand fails with status 1: $(cat "$TMP/err")"
# A socket nobody listens on (what a killed process leaves): connection refused.
STALE_DIR=/var/run/dpdk/sl-stale-$$
mkdir -p "$STALE_DIR"
"$SL_PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' \
	"$STALE_DIR/dpdk_telemetry.v2"
timeout 20 "$SL_PY" "$STAT_BIN" -p "sl-stale-$$" info >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "refuses connections" "$TMP/err"; then
	it_ok "a socket left behind: status 1, $(cat "$TMP/err")"
else
	it_fail "a socket left behind: status $rc, $(cat "$TMP/err")"
fi

it_stop_server

# ---- 4. two workers: one listing across both, and each worker's alone ----
IT_LCORES="--lcores 0@0,1@0" it_start_server --mode echo
peer_start 200
peer_wait_ready 200 120 || exit 1
stat conns --json >"$TMP/w.json"
stat conns --json --worker 0 >"$TMP/w0.json"
stat conns --json --worker 1 --page-size 7 >"$TMP/w1.json"
if out=$(json_check "$TMP/w.json" 'j["count"] == 200 and j["total"] == 200' \
	'set(c["id"].split(".")[0] for c in j["conns"]) == {"0", "1"}' \
	'len(set(c["id"] for c in j["conns"])) == 200' \
	'(lambda a, b: a["count"] + b["count"] == 200 and all(c["id"].startswith("0.") for c in a["conns"]) and all(c["id"].startswith("1.") for c in b["conns"]))(json.load(open("'"$TMP/w0.json"'")), json.load(open("'"$TMP/w1.json"'")))' \
	'"%d on worker 0, %d on worker 1" % (sum(c["id"][0] == "0" for c in j["conns"]), sum(c["id"][0] == "1" for c in j["conns"]))'); then
	it_ok "two workers: 200 connections listed once each, $out; --worker selects each side"
else
	it_fail "two workers: $out"
fi
peer_finish 200 120
it_stop_server

# ---- 5. a deserializer mid-message ----
it_start_server --mode echo-line
rm -f "$TMP/ready.line" "$TMP/release.line"
it_nsexec "$SL_PY" -c '
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=30)
s.sendall(b"hello\n")
assert s.recv(16) == b"hello\n"
s.sendall(b"partial line without end")
open(sys.argv[2], "w").close()
end = time.time() + 60
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
s.sendall(b"\n")
want = b"partial line without end\n"
got = b""
while len(got) < len(want):
    b = s.recv(64)
    if not b:
        break
    got += b
assert got == want, got
s.close()
' "$IT_SLUICE_IP" "$TMP/ready.line" "$TMP/release.line" >"$TMP/line.log" 2>&1 &
PEER_PID=$!
for ((i = 0; i < 300; i++)); do [ -f "$TMP/ready.line" ] && break; sleep 0.1; done
sleep 0.3	# the partial line reaches sluice
stat conns --json >"$TMP/line.json"
stat conn "$(json_check "$TMP/line.json" 'j["conns"][0]["id"]')" --json >"$TMP/line_detail.json"
if out=$(json_check "$TMP/line.json" 'j["count"] == 1' \
	'j["conns"][0]["framing"] == "line" and j["conns"][0]["framing_state"] == "partial"' \
	'j["conns"][0]["recv_q"] == 24' \
	'json.load(open("'"$TMP/line_detail.json"'"))["framing_need"] == 25' \
	'"%s(%s), recv_q %d" % (j["conns"][0]["framing"], j["conns"][0]["framing_state"], j["conns"][0]["recv_q"])'); then
	it_ok "echo-line, 24 bytes of a line without its end: $out, needs 25"
else
	it_fail "echo-line mid-message: $out"
fi
touch "$TMP/release.line"
if wait "$PEER_PID"; then
	it_ok "the line completed and echoed"
else
	it_fail "the line's client: $(cat "$TMP/line.log")"
fi
PEER_PID=
it_stop_server
exit $IT_FAILED
