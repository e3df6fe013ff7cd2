#!/usr/bin/env bash
# Integration: sluice's HTTP mode (--mode http) against Linux HTTP clients over net_tap.
#  - curl GET: status 200, the exact body, Content-Type, Content-Length, keep-alive;
#  - curl HEAD: the same head (Content-Length of the body), no body;
#  - curl POST: 405 with Allow;
#  - raw requests from a Python socket: malformed -> 400 and close, Transfer-Encoding ->
#    501, too long a request line -> 414, too many header bytes -> 431, too large a body
#    -> 413, HTTP/2.0 -> 505, pipelined requests answered in order, Connection: close
#    honoured, HTTP/1.0 keep-alive;
#  - wrk -t1 -c20 -d10s: no socket error, every response 2xx;
#  - sluice exits with every mbuf back in its pool.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

BODY_LEN=100
it_start_server --mode http --http-body-len "$BODY_LEN"
URL="http://$IT_SLUICE_IP/some/path?x=1"
# The body the server sends: "Hello, world\n" repeated, cut to BODY_LEN bytes.
want_body=$("$SL_PY" -c 'import sys; sys.stdout.write(("Hello, world\n" * 100)[:int(sys.argv[1])])' "$BODY_LEN" | sha256sum)

tmp=$(mktemp -d /tmp/sl-http.XXXXXX)

# --- curl GET
if it_nsexec timeout 20 curl -sS -o "$tmp/body" -D "$tmp/head" "$URL"; then
	got_body=$(sha256sum < "$tmp/body")
	head=$(tr -d '\r' < "$tmp/head")
	if [ "$got_body" = "$want_body" ] &&
		echo "$head" | grep -qx 'HTTP/1.1 200 OK' &&
		echo "$head" | grep -qix "content-length: $BODY_LEN" &&
		echo "$head" | grep -qix 'content-type: text/plain' &&
		! echo "$head" | grep -qi '^connection:'; then
		it_ok "curl GET: 200, $BODY_LEN-byte body exact, Content-Type and Content-Length right"
	else
		it_fail "curl GET: unexpected response"
		cat "$tmp/head"
	fi
else
	it_fail "curl GET failed"
fi

# --- curl HEAD
if it_nsexec timeout 20 curl -sS -I -o "$tmp/headonly" "$URL"; then
	head=$(tr -d '\r' < "$tmp/headonly")
	if echo "$head" | grep -qx 'HTTP/1.1 200 OK' &&
		echo "$head" | grep -qix "content-length: $BODY_LEN"; then
		it_ok "curl HEAD: 200 with Content-Length $BODY_LEN"
	else
		it_fail "curl HEAD: unexpected response"
		cat "$tmp/headonly"
	fi
else
	it_fail "curl HEAD failed"
fi

# --- curl POST
code=$(it_nsexec timeout 20 curl -sS -o "$tmp/post" -D "$tmp/posthead" -w '%{http_code}' \
	-X POST --data 'a=1&b=2' "$URL")
if [ "$code" = 405 ] && tr -d '\r' < "$tmp/posthead" | grep -qix 'allow: GET, HEAD'; then
	it_ok "curl POST: 405 with Allow: GET, HEAD"
else
	it_fail "curl POST: status '$code'"
	cat "$tmp/posthead" 2>/dev/null
fi

# --- curl keep-alive: two URLs on one connection
out=$(it_nsexec timeout 20 curl -sS -v -o /dev/null -o /dev/null "$URL" "$URL" 2>&1)
if echo "$out" | grep -q 'Re-using existing connection'; then
	it_ok "curl reuses the connection for a second request (keep-alive)"
else
	it_fail "curl did not reuse the connection"
	echo "$out" | tail -n 20
fi

# --- raw requests from Python
cat > "$tmp/raw.py" <<'EOF'
import socket, sys

HOST = sys.argv[1]
BODY_LEN = int(sys.argv[2])
BODY = (b"Hello, world\n" * 10000)[:BODY_LEN]
failed = 0

def exchange(data, pieces=1):
    """Send data (in pieces), half-close, read until the server closes."""
    s = socket.create_connection((HOST, 80), timeout=10)
    step = max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        s.sendall(data[i:i + step])
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out

def responses(raw):
    """Split a byte stream of responses: [(status, headers dict, body)]."""
    res = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("truncated head: %r" % raw[:200])
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        hdrs = {}
        for l in lines[1:]:
            k, v = l.split(b":", 1)
            hdrs[k.strip().lower().decode()] = v.strip().decode()
        n = int(hdrs.get("content-length", "0"))
        res.append((status, hdrs, rest[:n]))
        raw = rest[n:]
    return res

def check(name, data, want, pieces=1, head_only=()):
    """want: list of (status, must_close)"""
    global failed
    try:
        got = responses(exchange(data, pieces))
    except Exception as e:
        print("FAIL: %s: %s" % (name, e))
        failed = 1
        return
    st = [g[0] for g in got]
    if st != [w[0] for w in want]:
        print("FAIL: %s: statuses %s, expected %s" % (name, st, [w[0] for w in want]))
        failed = 1
        return
    for i, (g, w) in enumerate(zip(got, want)):
        if w[1] and g[1].get("connection", "").lower() != "close":
            print("FAIL: %s: response %d lacks Connection: close" % (name, i))
            failed = 1
            return
        if g[0] == 200 and g[2] != BODY:
            print("FAIL: %s: response %d has the wrong body" % (name, i))
            failed = 1
            return
    print("ok: %s: %s" % (name, " ".join(str(s) for s in st)))

G = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
check("malformed request line", b"GARBAGE\r\n\r\n", [(400, True)])
check("malformed after a good request", G + b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
      [(200, False), (400, True)])
check("bare LF in a header", b"GET / HTTP/1.1\r\nHost: x\nA: b\r\n\r\n", [(400, True)])
check("missing Host in HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", [(400, True)])
check("chunked body", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      [(501, True)])
check("two Content-Length", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab",
      [(400, True)])
check("request line too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", [(414, True)])
check("header section too large", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"b" * 17000 + b"\r\n\r\n",
      [(431, True)])
check("body too large", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", [(413, True)])
check("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", [(505, True)])
check("FIN inside a request", b"GET / HTTP/1.1\r\nHost: x\r\n", [(400, True)])
check("10 pipelined requests, one segment", G * 10, [(200, False)] * 10)
check("10 pipelined requests, 37 segments", G * 5 + b"DELETE /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + G * 4,
      [(200, False)] * 5 + [(405, False)] + [(200, False)] * 4, pieces=37)
check("leading empty lines", b"\r\n\r\n" + G, [(200, False)])
check("Connection: close honoured", G + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + G,
      [(200, False), (200, True)])
check("HTTP/1.0 closes by default", b"GET / HTTP/1.0\r\n\r\n" + G, [(200, True)])
check("HTTP/1.0 keep-alive", b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + G,
      [(200, False), (200, False)])
check("POST with a body then GET", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + G,
      [(405, False), (200, False)], pieces=3)

# HEAD: a head with Content-Length, no body, and the next response right after.
raw = exchange(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + G)
first, sep, rest = raw.partition(b"\r\n\r\n")
if first.startswith(b"HTTP/1.1 200") and (b"Content-Length: %d" % BODY_LEN) in first and \
        rest.startswith(b"HTTP/1.1 200"):
    print("ok: HEAD then GET: no body after the HEAD response")
else:
    print("FAIL: HEAD then GET: %r" % raw[:300])
    failed = 1

# A big pipelined burst the client reads only at the end: the server's send queue fills
# and it must resume on on_writable.
n = 3000
s = socket.create_connection((HOST, 80), timeout=20)
s.sendall(G * n)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    out += b
s.close()
got = responses(out)
if len(got) == n and all(g[0] == 200 and g[2] == BODY for g in got):
    print("ok: %d pipelined requests answered in order (%d bytes)" % (n, len(out)))
else:
    print("FAIL: %d pipelined requests: %d responses" % (n, len(got)))
    failed = 1
sys.exit(failed)
EOF
if it_nsexec timeout 120 "$SL_PY" "$tmp/raw.py" "$IT_SLUICE_IP" "$BODY_LEN" > "$tmp/raw.out" 2>&1; then
	it_ok "raw requests: $(grep -c '^ok:' "$tmp/raw.out") scenarios"
	sed 's/^/    /' "$tmp/raw.out"
else
	it_fail "raw requests"
	sed 's/^/    /' "$tmp/raw.out"
fi

# --- wrk: 20 connections for 10 s; no socket errors, no non-2xx.
if it_nsexec timeout 40 wrk -t1 -c20 -d10s --timeout 5s "http://$IT_SLUICE_IP/" > "$tmp/wrk" 2>&1; then
	reqs=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
	if grep -q 'Socket errors' "$tmp/wrk"; then
		it_fail "wrk: $(grep 'Socket errors' "$tmp/wrk")"
	elif grep -q 'Non-2xx' "$tmp/wrk"; then
		it_fail "wrk: $(grep 'Non-2xx' "$tmp/wrk")"
	elif [ -z "$reqs" ] || [ "$reqs" -le 0 ]; then
		it_fail "wrk: no requests completed"
	else
		it_ok "wrk -t1 -c20 -d10s: $reqs requests, no socket errors, no non-2xx"
	fi
else
	it_fail "wrk failed or timed out"
fi
sed 's/^/    /' "$tmp/wrk"
rm -rf "$tmp"

it_stop_server
grep '^sluice-server: connections\|^sluice-server: http' "$IT_LOG"
if grep -q '^sluice-server: http requests' "$IT_LOG"; then
	unsent=$(sed -n 's/^sluice-server: http .*unsent \([0-9]*\)$/\1/p' "$IT_LOG")
	[ "$unsent" = 0 ] && it_ok "every response was queued" ||
		it_fail "responses not queued: $unsent"
else
	it_fail "no http report"
fi
exit $IT_FAILED
