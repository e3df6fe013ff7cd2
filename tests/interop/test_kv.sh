#!/usr/bin/env bash
# Integration: sluice-server --mode kv (RESP2) against Redis's own clients over net_tap.
#  - redis-cli: PING, ECHO, SET, GET, DEL, INCR, MGET, MSET, EXISTS and error replies,
#    output compared exactly;
#  - a raw socket client: every reply compared byte for byte (inline commands, SET
#    options and TTLs, INCR overflow, Redis's unknown-command and arity errors, COMMAND
#    DOCS and CONFIG GET as redis-cli and redis-benchmark send them, QUIT), the same
#    requests pipelined in one write and cut in odd chunks, and 1000 pipelined GETs of a
#    32 KB value sent before reading any reply (the server must pause on a full send
#    queue and resume, replies in order);
#  - redis-benchmark -t ping,set,get -n 100000 -c 50 -P 16 completes without errors;
#  - a full store answers -OOM and recovers after DEL;
#  - protocol errors get a Redis-style error reply, then FIN; exactly those count as
#    framing errors (telemetry), and the deserializer never broke its contract;
#  - sluice exits with every mbuf back in its pool and the store's memory balanced;
#  - commands that change data are applied once even when the send queue refuses their
#    reply and they run again: a second server whose hard cap equals its high mark
#    (--sndbuf-max = --sndbuf) gets pipelined SET ... GET with replies of several KB,
#    INCR and DEL; every reply must be what one execution gives (the previous value, the
#    next count), and the server must report such refusals.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# The inline Python clients take their RESP encoders from sltest.py, beside this file.
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)"

KV_PORT=6379
KV_MAX_KEYS=64

it_start_server --mode kv --kv-max-keys "$KV_MAX_KEYS"

# kv_cli EXPECTED ARGS...: one redis-cli command, its output (--no-raw) compared exactly.
kv_cli() {
	local want=$1 got
	shift
	got=$(it_nsexec timeout 10 redis-cli --no-raw -h "$IT_SLUICE_IP" -p "$KV_PORT" "$@" 2>&1)
	if [ "$got" == "$want" ]; then
		it_ok "redis-cli $* -> $(echo "$got" | head -c 80 | tr '\n' '|')"
	else
		it_fail "redis-cli $*: got '$got', want '$want'"
	fi
}

kv_cli "PONG" PING
kv_cli '"hello world"' ECHO "hello world"
kv_cli "OK" SET greeting hello
kv_cli '"hello"' GET greeting
kv_cli "(nil)" GET missing
kv_cli "(integer) 1" DEL greeting
kv_cli "(integer) 0" DEL greeting
kv_cli "(integer) 1" INCR counter
kv_cli "(integer) 2" INCR counter
kv_cli "OK" MSET a 1 b 2
kv_cli $'1) "1"\n2) "2"\n3) (nil)\n4) "2"' MGET a b missing counter
kv_cli "(integer) 3" EXISTS a b b missing
kv_cli "(integer) 3" DEL a b counter missing
kv_cli "OK" SET word abc
kv_cli "(error) ERR value is not an integer or out of range" INCR word
kv_cli "(integer) 1" DEL word
kv_cli "(error) ERR wrong number of arguments for 'get' command" GET
kv_cli "(error) ERR wrong number of arguments for 'incr' command" INCR x y
kv_cli "(error) ERR wrong number of arguments for 'mset' command" MSET a 1 b
kv_cli "(error) ERR unknown command 'NOPE', with args beginning with: 'x' 'y z' " NOPE x "y z"
kv_cli "(error) ERR syntax error" SET k v EX 10 PX 10
kv_cli "(integer) 0" DBSIZE

# Byte-exact replies from a raw client.
it_check "exact replies, one at a time, pipelined, and in odd chunks" \
	it_nsexec timeout 120 "$SL_PY" - "$IT_SLUICE_IP" "$KV_PORT" <<'PY'
import random, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])

from sltest import resp_cmd as cmd, resp_bulk as bulk

def err(s):
    return b"-" + s.encode() + b"\r\n"

def unknown(name, *args):
    # Redis's own construction (server.c processCommand).
    a = ""
    for x in args:
        if len(a) >= 128:
            break
        a += "'%s' " % x[:128 - len(a)]
    return err("ERR unknown command '%s', with args beginning with: %s" %
               (name[:128], a.replace("\r", " ").replace("\n", " ")))

OK, NULL = b"+OK\r\n", b"$-1\r\n"
NOTINT = err("ERR value is not an integer or out of range")
long_arg = "x" * 200
PAIRS = [
    (cmd("PING"), b"+PONG\r\n"),
    (cmd("ping", "hello"), bulk("hello")),
    (cmd("PING", "a", "b"), err("ERR wrong number of arguments for 'ping' command")),
    (cmd("ECHO", ""), b"$0\r\n\r\n"),
    (cmd("ECHO", b"bin\r\n\x00ary"), bulk(b"bin\r\n\x00ary")),
    (b"PING\r\n", b"+PONG\r\n"),                       # inline
    (b"ECHO hi\n", bulk("hi")),                        # inline, bare LF
    (b"  \r\n\r\n", b""),                              # empty inline lines: nothing
    (b"SET  inl\tval \r\n", OK),
    (b"*0\r\n*-1\r\n", b""),                           # empty multibulk: nothing
    (cmd("GET", "inl"), bulk("val")),
    (cmd("SET", "k", "v1"), OK),
    (cmd("SET", "k", "v2", "NX"), NULL),
    (cmd("GET", "k"), bulk("v1")),
    (cmd("SET", "k", "v3", "xx"), OK),
    (cmd("SET", "nope", "v", "XX"), NULL),
    (cmd("GET", "nope"), NULL),
    (cmd("SET", "k", "v4", "GET"), bulk("v3")),
    (cmd("SET", "fresh", "v", "NX", "GET"), NULL),
    (cmd("GET", "fresh"), bulk("v")),
    (cmd("SET", "k", "v", "BOGUS"), err("ERR syntax error")),
    (cmd("SET", "k", "v", "NX", "XX"), err("ERR syntax error")),
    (cmd("SET", "k", "v", "EX"), err("ERR syntax error")),
    (cmd("SET", "k", "v", "EX", "abc"), NOTINT),
    (cmd("SET", "k", "v", "EX", "0"), err("ERR invalid expire time in 'set' command")),
    (cmd("SET", "k", "v", "PX", "-5"), err("ERR invalid expire time in 'set' command")),
    (cmd("SET", "k", "v", "EX", "10", "KEEPTTL"), err("ERR syntax error")),
    (cmd("SET"), err("ERR wrong number of arguments for 'set' command")),
    (cmd("GET", "k"), bulk("v4")),
    (cmd("INCR", "cnt"), b":1\r\n"),
    (cmd("INCR", "cnt"), b":2\r\n"),
    (cmd("SET", "cnt", "9223372036854775806"), OK),
    (cmd("INCR", "cnt"), b":9223372036854775807\r\n"),
    (cmd("INCR", "cnt"), err("ERR increment or decrement would overflow")),
    (cmd("SET", "neg", "-5"), OK),
    (cmd("INCR", "neg"), b":-4\r\n"),
    (cmd("SET", "z", "007"), OK),
    (cmd("INCR", "z"), NOTINT),
    (cmd("INCR", "k"), NOTINT),
    (cmd("MSET", "m1", "a", "m2", "", "m1", "b"), OK),
    (cmd("MGET", "m1", "m2", "none"), b"*3\r\n" + bulk("b") + bulk("") + NULL),
    (cmd("EXISTS", "m1", "m1", "none"), b":2\r\n"),
    (cmd("DEL", "m1", "m1", "m2", "none"), b":2\r\n"),
    (cmd("MSET", "a"), err("ERR wrong number of arguments for 'mset' command")),
    (cmd("MSET", "a", "1", "b"), err("ERR wrong number of arguments for 'mset' command")),
    (cmd("DEL"), err("ERR wrong number of arguments for 'del' command")),
    (cmd("FLUSHX", "a", "b\r\nc"), unknown("FLUSHX", "a", "b\r\nc")),
    (cmd("FLUSHX"), unknown("FLUSHX")),
    (cmd("whatever", long_arg, "next"), unknown("whatever", long_arg, "next")),
    (cmd("COMMAND", "DOCS"), b"*0\r\n"),
    (cmd("COMMAND"), b"*0\r\n"),
    (cmd("CONFIG", "GET", "save"), b"*2\r\n" + bulk("save") + bulk("")),
    (cmd("CONFIG", "GET", "appendonly"), b"*2\r\n" + bulk("appendonly") + bulk("no")),
    (cmd("CONFIG", "GET", "maxmemory"), b"*0\r\n"),
    (cmd("CONFIG", "GET"), err("ERR wrong number of arguments for 'config|get' command")),
    (cmd("CONFIG", "SET", "a", "b"), err("ERR unknown subcommand 'SET'. Try CONFIG HELP.")),
    (cmd("DEL", "inl", "k", "cnt", "neg", "z", "fresh"), b":6\r\n"),
    (cmd("DBSIZE"), b":0\r\n"),
]

def conn():
    s = socket.create_connection((host, port), timeout=20)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise SystemExit("connection closed after %d of %d bytes: %r"
                             % (len(buf), n, buf[-200:]))
        buf += d
    return buf

def check(got, want, what):
    if got != want:
        raise SystemExit("%s: got %r, want %r" % (what, got[:300], want[:300]))

# One request at a time.
s = conn()
for req, want in PAIRS:
    s.sendall(req)
    if want:
        check(read_exact(s, len(want)), want, repr(req[:60]))
# Everything pipelined in one write, then in random chunks (bytes cut anywhere).
allreq = b"".join(r for r, _ in PAIRS)
allwant = b"".join(w for _, w in PAIRS)
s.sendall(allreq)
check(read_exact(s, len(allwant)), allwant, "pipelined")
rnd = random.Random(4)
for round in range(20):
    i = 0
    while i < len(allreq):
        n = rnd.randint(1, 40)
        s.sendall(allreq[i:i + n])
        i += n
        time.sleep(0.0005 if rnd.random() < 0.1 else 0)
    check(read_exact(s, len(allwant)), allwant, "chunked round %d" % round)
# TTLs.
s.sendall(cmd("SET", "ttl", "v", "PX", "200") + cmd("SET", "ttl2", "v", "EX", "100") +
          cmd("GET", "ttl"))
check(read_exact(s, 5 + 5 + 7), OK + OK + bulk("v"), "set with ttl")
time.sleep(0.5)
s.sendall(cmd("GET", "ttl") + cmd("EXISTS", "ttl", "ttl2") + cmd("SET", "ttl2", "w", "KEEPTTL") +
          cmd("DEL", "ttl2"))
check(read_exact(s, 5 + 4 + 5 + 4), NULL + b":1\r\n" + OK + b":1\r\n", "after expiry")
# QUIT: +OK, then the server closes.
s.sendall(cmd("QUIT"))
check(read_exact(s, 5), OK, "quit")
check(s.recv(100), b"", "EOF after QUIT")
s.close()

# Backpressure: 1000 GETs of 32 KB sent before reading any reply.
val = bytes(rnd.randrange(256) for _ in range(32768))
s = conn()
s.sendall(cmd("SET", "big", val))
check(read_exact(s, 5), OK, "set big")
reqs = b"".join(cmd("GET", "big") if i % 2 == 0 else cmd("ECHO", str(i)) for i in range(1000))
s.sendall(reqs)
time.sleep(1.0)       # let the server fill its send queue and pause
for i in range(1000):
    want = bulk(val) if i % 2 == 0 else bulk(str(i))
    check(read_exact(s, len(want)), want, "pipelined reply %d" % i)
s.sendall(cmd("DEL", "big"))
check(read_exact(s, 4), b":1\r\n", "del big")
s.close()
print("%d exact replies, pipelined and chunked x20, TTL, QUIT, 1000 x 32 KB under "
      "backpressure" % len(PAIRS))
PY

it_expect_stat framing_errors -eq 0
it_expect_stat framing_plugin_errors -eq 0

out=$(it_nsexec timeout 300 redis-benchmark -h "$IT_SLUICE_IP" -p "$KV_PORT" \
	-t ping,set,get -n 100000 -c 50 -P 16 -q 2>&1 | tr '\r' '\n')
rc=$?
summary=$(echo "$out" | grep -E '^(PING_INLINE|PING_MBULK|SET|GET): [0-9.]+ requests per second')
if [ "$rc" -eq 0 ] && [ "$(echo "$summary" | wc -l)" -eq 4 ] &&
	! echo "$out" | grep -qiE 'error|warning'; then
	it_ok "redis-benchmark -t ping,set,get -n 100000 -c 50 -P 16: 4 tests, no errors"
else
	it_fail "redis-benchmark (status $rc)"
	echo "$out" | grep -v 'rps=' | tail -n 20
fi
it_expect_stat framing_errors -eq 0
it_expect_stat framing_plugin_errors -eq 0

# A full store, and protocol errors (each ends its connection).
it_check "OOM at --kv-max-keys, protocol errors answered then closed" \
	it_nsexec timeout 60 "$SL_PY" - "$IT_SLUICE_IP" "$KV_PORT" "$KV_MAX_KEYS" <<'PY'
import socket, sys

host, port, max_keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
OOM = (b"-OOM command not allowed: the store holds its limit of keys (--kv-max-keys) "
       b"or is out of memory\r\n")

from sltest import resp_cmd as cmd

def conn():
    return socket.create_connection((host, port), timeout=20)

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise SystemExit("closed after %r" % buf)
        buf += d
    return buf

def rt(s, req, want):
    s.sendall(req)
    got = read_exact(s, len(want))
    if got != want:
        raise SystemExit("%r: got %r, want %r" % (req[:60], got, want))

def read_all(s):
    buf = b""
    while True:
        d = s.recv(4096)
        if not d:
            return buf
        buf += d

s = conn()
rt(s, cmd("DBSIZE"), b":1\r\n")                 # redis-benchmark's key
n = max_keys - 1
rt(s, cmd("MSET", *sum([["k%d" % i, "v"] for i in range(n + 1)], [])), OOM)
rt(s, cmd("DBSIZE"), b":1\r\n")                 # all or nothing
rt(s, cmd("MSET", *sum([["k%d" % i, "v"] for i in range(n)], [])), b"+OK\r\n")
rt(s, cmd("DBSIZE"), b":%d\r\n" % max_keys)
rt(s, cmd("SET", "one-more", "v"), OOM)
rt(s, cmd("INCR", "one-more"), OOM)
rt(s, cmd("SET", "k0", "overwrite is fine"), b"+OK\r\n")
rt(s, cmd("DEL", "k1"), b":1\r\n")
rt(s, cmd("SET", "one-more", "v"), b"+OK\r\n")
rt(s, cmd("DEL", *["k%d" % i for i in range(n)] + ["one-more"]), b":%d\r\n" % n)
rt(s, cmd("DBSIZE"), b":1\r\n")
s.close()

cases = [
    (b"*1\r\n:5\r\n", b"-ERR Protocol error: unexpected byte at offset 4\r\n"),
    (b"PING\r\n*x\r\n", b"+PONG\r\n-ERR Protocol error: unexpected byte at offset 7\r\n"),
    (b"*1\r\n$999999999999\r\n", b"-ERR Protocol error: request too large"),
]
for req, want in cases:
    s = conn()
    s.sendall(req)
    got = read_all(s)
    # The whole reply (one line more when only its start is given), then FIN.
    lines = want.count(b"\r\n") + (0 if want.endswith(b"\r\n") else 1)
    if not got.startswith(want) or not got.endswith(b"\r\n") or got.count(b"\r\n") != lines:
        raise SystemExit("%r: got %r, want %r then FIN" % (req, got, want))
    s.close()
print("OOM exactly at %d keys, all-or-nothing MSET; %d protocol errors answered, then FIN"
      % (max_keys, len(cases)))
PY
it_expect_stat framing_errors -eq 3
it_expect_stat framing_plugin_errors -eq 0

it_stop_server
grep '^sluice-server: connections' "$IT_LOG"
grep '^sluice-server: kv:' "$IT_LOG"
if grep -q '^sluice-server: kv: store clean' "$IT_LOG" &&
	grep -q 'replies lost 0$' "$IT_LOG"; then
	it_ok "kv store memory balanced at exit, no reply lost"
else
	it_fail "kv store not clean at exit"
fi
# The backpressure scenario must really have paused delivery (SL_RX_AGAIN).
paused=$(sed -n 's/^sluice-server: kv: .*paused on a full send queue \([0-9]*\),.*/\1/p' "$IT_LOG")
if [ "${paused:-0}" -gt 0 ]; then
	it_ok "requests paused on a full send queue $paused times, all answered in order"
else
	it_fail "the send queue never filled: backpressure not exercised"
fi
if grep -q '^sluice-server: connections .*, framing errors 3;' "$IT_LOG"; then
	it_ok "exit report: exactly the 3 deliberate framing errors"
else
	it_fail "exit report does not show exactly 3 framing errors"
fi

# Commands that change data, with replies the send queue refuses. With the hard cap at
# the high mark, a reply is refused (-EAGAIN) whenever it would take the queue past it,
# and the request runs again after on_writable: SET ... GET answers with the previous
# value, so a SET applied on the refused run would answer the retry with its own value;
# an INCR applied twice would skip a number, a DEL applied twice would answer 0.
KV_SNDBUF=16384
it_start_server --mode kv --sndbuf "$KV_SNDBUF" --sndbuf-max "$KV_SNDBUF"
it_check "SET GET / INCR / DEL under refused replies: each change applied once" \
	it_nsexec timeout 120 "$SL_PY" - "$IT_SLUICE_IP" "$KV_PORT" <<'PY'
import socket, sys, threading, time

host, port = sys.argv[1], int(sys.argv[2])
N = 400

from sltest import resp_cmd as cmd, resp_bulk as bulk

def value(i):
    # 3 to 5.5 KB, different for every i, sizes spread so refusals land anywhere.
    n = 3000 + (i * 577) % 2500
    pat = b"%d." % i
    return (pat * (n // len(pat) + 1))[:n]

reqs, wants, prev = [], [], None
for i in range(N):
    v = value(i)
    reqs.append(cmd("SET", "wk", v, "GET"))
    wants.append(b"$-1\r\n" if prev is None else bulk(prev))
    prev = v
    reqs.append(cmd("INCR", "wcnt"))
    wants.append(b":%d\r\n" % (i + 1))
    if i % 5 == 0:
        reqs.append(cmd("SET", "wd", "x"))
        wants.append(b"+OK\r\n")
        reqs.append(cmd("DEL", "wd", "wd"))
        wants.append(b":1\r\n")
reqs.append(cmd("GET", "wk"))
wants.append(bulk(prev))
reqs.append(cmd("GET", "wcnt"))
wants.append(bulk(b"%d" % N))
reqs.append(cmd("DEL", "wk", "wcnt", "wd"))
wants.append(b":2\r\n")

s = socket.socket()
# A small receive buffer and a slow reader keep the server's send queue at its mark.
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
        break           # a reply of the wrong length: the comparison below tells which
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
print("%d replies (%d KB) exact: SET ... GET, INCR and DEL each applied once"
      % (len(wants), len(want) // 1024))
PY
it_stop_server
grep '^sluice-server: kv:' "$IT_LOG"
refused=$(sed -n 's/^sluice-server: kv: .*write replies refused \([0-9]*\),.*/\1/p' "$IT_LOG")
if [ "${refused:-0}" -gt 0 ] && grep -q 'replies lost 0$' "$IT_LOG" &&
	grep -q '^sluice-server: kv: store clean' "$IT_LOG"; then
	it_ok "replies of commands that change data refused $refused times, nothing lost"
else
	it_fail "no reply of a command that changes data was refused (${refused:-none}):" \
		"the guard was not exercised"
fi
exit "$IT_FAILED"
