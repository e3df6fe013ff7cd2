#!/usr/bin/env bash
# Integration: sluice-server --mode kv with two workers (-l 0,1 on a net_tap port whose
# two queues the kernel chooses by its own flow hash) is one store, partitioned by key
# over the workers, requests for another worker's keys forwarded to it:
#  - a key set on one redis-cli connection is read on twenty others;
#  - MSET of 30 keys, then GET of each on a new connection; MGET, EXISTS, DEL and DBSIZE
#    across owners on one connection;
#  - a raw client pipelines requests whose keys belong to both workers (one write, then
#    cut in odd chunks): replies byte for byte, in request order;
#  - the same pipelined, then FIN at once: every reply before the server's FIN;
#  - 32 KB values on both workers, 400 GETs pipelined under backpressure; a 100 KB SET
#    is refused with an error when its key belongs to the other worker (a record between
#    workers holds 64 KB);
#  - redis-benchmark -c 50 -n 20000 -t set,get,incr,mset completes without errors, and
#    its 20000 INCRs of one key leave it at 20000;
#  - redis-benchmark -P 16 (pipelined) without errors;
#  - a second server whose send queue refuses replies (--sndbuf-max = --sndbuf): pipelined
#    SET ... GET, INCR and MGET over both workers' keys, each change applied once;
#  - a third with 16 records and inboxes of 2 (--kv-fwd-records, --kv-inbox): requests
#    wait for records and rings, redis-benchmark still without errors, nothing lost.
#  - at exit: both workers served connections, requests were forwarded and every reply
#    came back, the records between workers, the store and the mbuf pools are clean.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# The inline Python clients take their RESP encoders from sltest.py, beside this file.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)"

KV_PORT=6379
# Both workers on one CPU: correctness only, and the other CPU stays free for the clients.
IT_LCORES=${IT_LCORES:---lcores 0@0,1@0}

it_start_server --mode kv
if grep -q 'partitioned over 2 workers' "$IT_LOG"; then
	it_ok "two workers, one store partitioned over them"
else
	it_fail "the server did not start two workers with a partitioned store"
	grep '^sluice-server' "$IT_LOG"
fi

kv_cli() {
	it_nsexec timeout 10 redis-cli --no-raw -h "$IT_SLUICE_IP" -p "$KV_PORT" "$@" 2>&1
}

# kv_expect EXPECTED ARGS...: one redis-cli command on a new connection, output compared.
kv_expect() {
	local want=$1 got
	shift
	got=$(kv_cli "$@")
	if [ "$got" == "$want" ]; then
		it_ok "redis-cli $(echo "$*" | head -c 60) -> $(echo "$got" | head -c 60 | tr '\n' '|')"
	else
		it_fail "redis-cli $*: got '$got', want '$want'"
	fi
}

kv_expect "OK" SET shared "seen by all"
bad=0
for i in $(seq 1 20); do
	got=$(kv_cli GET shared)
	[ "$got" == '"seen by all"' ] || { bad=$((bad + 1)); echo "connection $i: '$got'"; }
done
if [ "$bad" -eq 0 ]; then
	it_ok "a key set on one connection read on 20 others"
else
	it_fail "$bad of 20 connections did not see the key"
fi

args=()
want_mget=""
for i in $(seq 1 30); do
	args+=("key:$i" "value-$i")
	want_mget+="$(printf '%2d' "$i")) \"value-$i\""$'\n'	# redis-cli aligns the indices
done
kv_expect "OK" MSET "${args[@]}"
bad=0
for i in $(seq 1 30); do
	got=$(kv_cli GET "key:$i")
	[ "$got" == "\"value-$i\"" ] || { bad=$((bad + 1)); echo "key:$i: '$got'"; }
done
if [ "$bad" -eq 0 ]; then
	it_ok "MSET of 30 keys, each read back by GET on a new connection"
else
	it_fail "$bad of 30 keys set by MSET missing"
fi
keys=()
for i in $(seq 1 30); do keys+=("key:$i"); done
kv_expect "${want_mget}31) (nil)" MGET "${keys[@]}" missing
kv_expect "(integer) 31" EXISTS "${keys[@]}" missing shared
kv_expect "(integer) 31" DBSIZE
kv_expect "(integer) 15" DEL "${keys[@]:0:15}" "key:1" missing
kv_expect "(integer) 15" EXISTS "${keys[@]}"
kv_expect "(integer) 16" DBSIZE
kv_expect "(integer) 16" DEL "${keys[@]}" shared
kv_expect "(integer) 0" DBSIZE

it_check "pipelined requests over both workers' keys: replies exact and in order" \
	it_nsexec timeout 120 "$SL_PY" - "$IT_SLUICE_IP" "$KV_PORT" <<'PY'
import random, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])

from sltest import resp_cmd as cmd, resp_bulk as bulk

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise SystemExit("closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return buf

def check(got, want, what):
    if got != want:
        i = next(i for i in range(min(len(got), len(want))) if got[i] != want[i]) \
            if got[:len(want)] != want[:len(got)] else min(len(got), len(want))
        raise SystemExit("%s: differs at byte %d: got %r, want %r"
                         % (what, i, got[max(0, i - 60):i + 60], want[max(0, i - 60):i + 60]))

N = 64
pairs = []
for i in range(N):
    pairs.append((cmd("SET", "p%d" % i, "v%d" % i), b"+OK\r\n"))
for i in range(N):
    pairs.append((cmd("GET", "p%d" % i), bulk("v%d" % i)))
    pairs.append((cmd("INCR", "c%d" % (i % 8)), b":%d\r\n" % (i // 8 + 1)))
    pairs.append((cmd("PING"), b"+PONG\r\n"))
ks = ["p%d" % i for i in range(N)]
pairs.append((cmd("MGET", *ks, "none"),
              b"*%d\r\n" % (N + 1) + b"".join(bulk("v%d" % i) for i in range(N)) + b"$-1\r\n"))
pairs.append((cmd("EXISTS", *ks, "none", "p0"), b":%d\r\n" % (N + 1)))
pairs.append((cmd("MSET", *sum([["p%d" % i, "w%d" % i] for i in range(N)], [])), b"+OK\r\n"))
pairs.append((cmd("GET", "p7"), bulk("w7")))
pairs.append((cmd("SET", "p7", "x", "GET"), bulk("w7")))
pairs.append((cmd("DBSIZE"), b":%d\r\n" % (N + 8)))
pairs.append((cmd("DEL", *ks, *["c%d" % i for i in range(8)], "p0"), b":%d\r\n" % (N + 8)))
pairs.append((cmd("DBSIZE"), b":0\r\n"))

s = socket.create_connection((host, port), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
# One at a time, then all in one write, then cut anywhere.
for req, want in pairs:
    s.sendall(req)
    check(read_exact(s, len(want)), want, repr(req[:50]))
allreq = b"".join(r for r, _ in pairs)
allwant = b"".join(w for _, w in pairs)
s.sendall(allreq)
check(read_exact(s, len(allwant)), allwant, "pipelined")
rnd = random.Random(15)
for rnd_i in range(10):
    i = 0
    while i < len(allreq):
        n = rnd.randint(1, 60)
        s.sendall(allreq[i:i + n])
        i += n
        time.sleep(0.0005 if rnd.random() < 0.05 else 0)
    check(read_exact(s, len(allwant)), allwant, "chunked round %d" % rnd_i)
s.close()
# Everything pipelined, then FIN at once: the server must finish every reply (forwarded
# ones included) before its own FIN.
s = socket.create_connection((host, port), timeout=20)
s.sendall(allreq)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
check(got, allwant, "pipelined then FIN")
s.close()
print("%d requests over both workers' keys, one by one, pipelined, chunked x10, then "
      "FIN: exact" % len(pairs))
PY

it_check "32 KB values over both workers, 400 pipelined GETs under backpressure" \
	it_nsexec timeout 120 "$SL_PY" - "$IT_SLUICE_IP" "$KV_PORT" <<'PY'
import random, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])

from sltest import resp_cmd as cmd, resp_bulk as bulk

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise SystemExit("closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return buf

rnd = random.Random(32)
vals = [bytes(rnd.randrange(256) for _ in range(32768)) for _ in range(8)]
s = socket.create_connection((host, port), timeout=30)
for i, v in enumerate(vals):
    s.sendall(cmd("SET", "big%d" % i, v))
    got = read_exact(s, 5)
    if got != b"+OK\r\n":
        raise SystemExit("SET big%d: %r" % (i, got))
reqs = b"".join(cmd("GET", "big%d" % (i % 8)) for i in range(400))
s.sendall(reqs)
time.sleep(1.0)       # the server's send queue fills: forwarded replies wait for room
for i in range(400):
    want = bulk(vals[i % 8])
    got = read_exact(s, len(want))
    if got != want:
        raise SystemExit("GET %d: got %r, want %r" % (i, got[:40], want[:40]))
s.sendall(cmd("DEL", *["big%d" % i for i in range(8)]))
if read_exact(s, 4) != b":8\r\n":
    raise SystemExit("DEL")
# Larger than a record between workers: refused with an error on other workers' keys,
# stored on this worker's.
huge = b"h" * 100000
TOO = b"-ERR request too large to pass between workers\r\n"
ok = refused = 0
for i in range(8):
    s.sendall(cmd("SET", "huge%d" % i, huge))
    got = read_exact(s, 5)
    if got == b"+OK\r\n":
        ok += 1
        s.sendall(cmd("GET", "huge%d" % i))
        if read_exact(s, len(bulk(huge))) != bulk(huge):
            raise SystemExit("GET huge%d" % i)
        s.sendall(cmd("DEL", "huge%d" % i))
        read_exact(s, 4)
    else:
        got += read_exact(s, len(TOO) - 5)
        if got != TOO:
            raise SystemExit("SET huge%d: %r" % (i, got))
        refused += 1
if refused == 0:
    raise SystemExit("no huge SET went to another worker")
s.close()
print("8 x 32 KB over both workers, 400 GETs in order; 100 KB SET: %d stored locally, "
      "%d refused" % (ok, refused))
PY

out=$(it_nsexec timeout 300 redis-benchmark -h "$IT_SLUICE_IP" -p "$KV_PORT" \
	-c 50 -n 20000 -t set,get,incr,mset -q 2>&1 | tr '\r' '\n')
rc=$?
summary=$(echo "$out" | grep -E '^(SET|GET|INCR|MSET \(10 keys\)): [0-9.]+ requests per second')
if [ "$rc" -eq 0 ] && [ "$(echo "$summary" | wc -l)" -eq 4 ] &&
	! echo "$out" | grep -qiE 'error|warning'; then
	it_ok "redis-benchmark -c 50 -n 20000 -t set,get,incr,mset: 4 tests, no errors"
	echo "$summary"
else
	it_fail "redis-benchmark (status $rc)"
	echo "$out" | grep -v 'rps=' | tail -n 20
fi
# Without -r every INCR hits one key: 20000 increments, each applied once.
kv_expect "\"20000\"" GET counter:__rand_int__
# Pipelined: each connection's forwarded requests wait in turn, replies in order.
out=$(it_nsexec timeout 300 redis-benchmark -h "$IT_SLUICE_IP" -p "$KV_PORT" \
	-c 50 -n 20000 -t set,get -P 16 -q 2>&1 | tr '\r' '\n')
rc=$?
summary=$(echo "$out" | grep -E '^(SET|GET): [0-9.]+ requests per second')
if [ "$rc" -eq 0 ] && [ "$(echo "$summary" | wc -l)" -eq 2 ] &&
	! echo "$out" | grep -qiE 'error|warning'; then
	it_ok "redis-benchmark -c 50 -n 20000 -t set,get -P 16: 2 tests, no errors"
else
	it_fail "redis-benchmark -P 16 (status $rc)"
	echo "$out" | grep -v 'rps=' | tail -n 20
fi
it_expect_stat framing_errors -eq 0

it_stop_server
grep '^sluice-server: kv' "$IT_LOG"
if grep -q '^sluice-server: kv: store clean' "$IT_LOG" &&
	grep -q '^sluice-server: kv: records between workers clean' "$IT_LOG" &&
	grep -q 'replies lost 0$' "$IT_LOG"; then
	it_ok "store and records between workers clean at exit, no reply lost"
else
	it_fail "kv store or records not clean at exit"
fi
served=0
for w in 0 1; do
	n=$(sed -n "s/^sluice-server: kv: worker $w: connections \([0-9]*\),.*/\1/p" "$IT_LOG")
	[ "${n:-0}" -gt 0 ] && served=$((served + 1))
done
if [ "$served" -eq 2 ]; then
	it_ok "both workers served connections"
else
	it_fail "only $served worker(s) served connections"
fi
line=$(grep '^sluice-server: kv: between workers:' "$IT_LOG")
fwd=$(echo "$line" | sed -n 's/.*requests forwarded \([0-9]*\),.*/\1/p')
ret=$(echo "$line" | sed -n 's/.*replies returned \([0-9]*\),.*/\1/p')
if [ "${fwd:-0}" -gt 0 ] && [ "$fwd" == "$ret" ]; then
	it_ok "$fwd requests forwarded to their owner, every reply returned"
else
	it_fail "forwarding: ${fwd:-none} forwarded, ${ret:-none} returned"
fi

# Forwarded requests that change data, with replies the send queue refuses: the hard
# cap at the high mark makes the connection's worker find no room for a merged reply
# that the owner already applied; it must write the kept reply later, not run the
# request again (SET ... GET answers the previous value, INCR the next count).
it_start_server --mode kv --sndbuf 16384 --sndbuf-max 16384
it_check "forwarded SET GET / INCR / DEL under refused replies: each applied once" \
	it_nsexec timeout 120 "$SL_PY" - "$IT_SLUICE_IP" "$KV_PORT" <<'PY'
import socket, sys, threading, time

host, port = sys.argv[1], int(sys.argv[2])
N, K = 300, 6

from sltest import resp_cmd as cmd, resp_bulk as bulk

def value(i):
    n = 3000 + (i * 577) % 2500
    pat = b"%d." % i
    return (pat * (n // len(pat) + 1))[:n]

reqs, wants, prev = [], [], {}
for i in range(N):
    k = i % K            # keys on both workers
    v = value(i)
    reqs.append(cmd("SET", "wk%d" % k, v, "GET"))
    wants.append(b"$-1\r\n" if k not in prev else bulk(prev[k]))
    prev[k] = v
    reqs.append(cmd("INCR", "wcnt%d" % k))
    wants.append(b":%d\r\n" % (i // K + 1))
    reqs.append(cmd("MGET", "wcnt%d" % k, "wcnt%d" % ((k + 1) % K)))
    nxt = (k + 1) % K
    cnt_next = (i // K + 1) if nxt < k else (i // K)
    wants.append(b"*2\r\n" + bulk(b"%d" % (i // K + 1)) +
                 (bulk(b"%d" % cnt_next) if cnt_next > 0 else b"$-1\r\n"))
reqs.append(cmd("DEL", *["wk%d" % k for k in range(K)], *["wcnt%d" % k for k in range(K)]))
wants.append(b":%d\r\n" % (2 * K))

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
s.settimeout(10)
s.connect((host, port))
sender = threading.Thread(target=lambda: s.sendall(b"".join(reqs)), daemon=True)
sender.start()
time.sleep(1.0)
want = b"".join(wants)
got = bytearray()
while len(got) < len(want):
    try:
        d = s.recv(4096)
    except socket.timeout:
        break
    if not d:
        break
    got += d
    time.sleep(0.002)
sender.join(30)
got = bytes(got)
if got != want:
    off = 0
    for i, w in enumerate(wants):
        if got[off:off + len(w)] != w:
            raise SystemExit("reply %d of %d: got %r, want %r" %
                             (i, len(wants), got[off:off + 80], w[:80]))
        off += len(w)
    raise SystemExit("%d bytes, want %d" % (len(got), len(want)))
s.close()
print("%d replies (%d KB) exact over both workers' keys" % (len(wants), len(want) // 1024))
PY
it_stop_server
grep '^sluice-server: kv' "$IT_LOG"
paused=$(sed -n 's/^sluice-server: kv: .*paused on a full send queue \([0-9]*\),.*/\1/p' "$IT_LOG")
fwd=$(sed -n 's/^sluice-server: kv: between workers: requests forwarded \([0-9]*\),.*/\1/p' "$IT_LOG")
if [ "${paused:-0}" -gt 0 ] && [ "${fwd:-0}" -gt 0 ] && grep -q 'replies lost 0$' "$IT_LOG" &&
	grep -q '^sluice-server: kv: records between workers clean' "$IT_LOG" &&
	grep -q '^sluice-server: kv: store clean' "$IT_LOG"; then
	it_ok "replies refused $paused times with $fwd requests forwarded, nothing lost, clean"
else
	it_fail "refused replies not exercised or not clean (paused ${paused:-none}," \
		"forwarded ${fwd:-none})"
fi

# Few records and tiny inboxes: requests wait for a free record and records wait for room
# in a ring; neither may lose or reorder anything.
it_start_server --mode kv --kv-fwd-records 16 --kv-inbox 2
out=$(it_nsexec timeout 300 redis-benchmark -h "$IT_SLUICE_IP" -p "$KV_PORT" \
	-c 50 -n 5000 -t set,get,incr,mset -q 2>&1 | tr '\r' '\n')
rc=$?
summary=$(echo "$out" | grep -E '^(SET|GET|INCR|MSET \(10 keys\)): [0-9.]+ requests per second')
if [ "$rc" -eq 0 ] && [ "$(echo "$summary" | wc -l)" -eq 4 ] &&
	! echo "$out" | grep -qiE 'error|warning'; then
	it_ok "16 records, inboxes of 2: redis-benchmark -c 50 -n 5000, 4 tests, no errors"
else
	it_fail "redis-benchmark with 16 records (status $rc)"
	echo "$out" | grep -v 'rps=' | tail -n 20
fi
kv_expect "\"5000\"" GET counter:__rand_int__
it_stop_server
grep '^sluice-server: kv: between workers' "$IT_LOG"
line=$(grep '^sluice-server: kv: between workers:' "$IT_LOG")
full=$(echo "$line" | sed -n 's/.*ring full \([0-9]*\) .*/\1/p')
nrec=$(echo "$line" | sed -n 's/.*no free record \([0-9]*\) .*/\1/p')
if [ "${full:-0}" -gt 0 ] && [ "${nrec:-0}" -gt 0 ] &&
	grep -q '^sluice-server: kv: records between workers clean' "$IT_LOG" &&
	grep -q 'replies lost 0$' "$IT_LOG"; then
	it_ok "ring full $full times, no free record $nrec times: retried, nothing lost, clean"
else
	it_fail "ring full ${full:-none}, no free record ${nrec:-none}, or not clean"
fi
exit "$IT_FAILED"
