# SPDX-License-Identifier: BSD-3-Clause
"""Hostile TCP, ICMP and ARP traffic at sluice-server (--mode echo, port 7) from the kernel
side of the TAP, while a healthy kernel TCP connection keeps echoing alongside.

The attacker is a host the kernel does not know: 198.18.0.50 with its own MAC, speaking
through a packet socket (frames built with scapy), so the kernel never answers for it.
Every case states its expected outcome; the script prints ok/FAIL per case and exits 1
if any failed. The shell side (test_hostile.sh) then checks that sluice exits with clean
mbuf pools.

Environment: SL_IFACE, SL_PREFIX, SL_MAC (sluice's MAC), SL_IP, SL_PEER_IP (the kernel),
SL_BACKLOG (sluice's --backlog), SL_CHALLENGE (sluice's --challenge-acks)."""

import queue
import random
import socket
import sys
import threading
import time

from scapy.all import ARP, ICMP, IP, TCP, Ether, Raw, conf

import sltest

conf.verb = 0
iface = sltest.env("SL_IFACE")
prefix = sltest.env("SL_PREFIX")
smac = sltest.env("SL_MAC").lower()
sip = sltest.env("SL_IP")
kip = sltest.env("SL_PEER_IP")
backlog = int(sltest.env("SL_BACKLOG"))
challenge = int(sltest.env("SL_CHALLENGE"))
AIP = "198.18.0.50"
AMAC = "02:00:00:00:00:50"
PORT = 7
TS0 = 1000

failed = 0


def report(ok, what):
    global failed
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    failed += not ok


# ---- the wire: a packet socket and a reader thread ----

sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sock.bind((iface, 0))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
frames = queue.Queue()
stop = threading.Event()


def reader():
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            b = sock.recv(65535)
        except socket.timeout:
            continue
        if len(b) >= 14 and b[0:6] == bytes.fromhex(AMAC.replace(":", "")) or \
                b[0:6] == b"\xff" * 6:
            frames.put(Ether(b))


threading.Thread(target=reader, daemon=True).start()


def send(pkt):
    sock.send(bytes(pkt))


def to_sluice(l3):
    return Ether(dst=smac, src=AMAC) / l3


def drain():
    while True:
        try:
            frames.get_nowait()
        except queue.Empty:
            return


def expect(pred, timeout=1.0):
    """The first frame from sluice matching pred within timeout, or None."""
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        try:
            f = frames.get(timeout=left)
        except queue.Empty:
            return None
        if IP in f and f[IP].src == sip and pred(f):
            return f


def collect(pred, timeout):
    got, end = [], time.time() + timeout
    while time.time() < end:
        try:
            f = frames.get(timeout=max(0.01, end - time.time()))
        except queue.Empty:
            break
        if IP in f and f[IP].src == sip and pred(f):
            got.append(f)
    return got


def stats():
    return sltest.stats(prefix)


# ---- an attacker-side TCP connection ----

class Conn:
    def __init__(self, sport, opts=None):
        self.sport = sport
        self.seq = random.randrange(1 << 32)
        self.ts = TS0
        self.rcv = None
        self.opts = opts

    def tcp(self, flags, seq=None, ack=None, data=b"", wnd=65535, opts=None, ts=True):
        if opts is None:
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (self.ts, 0))] if ts else []
        t = TCP(sport=self.sport, dport=PORT, flags=flags,
                seq=self.seq if seq is None else seq,
                ack=(self.rcv if ack is None else ack) if "A" in flags else 0,
                window=wnd, options=opts)
        return to_sluice(IP(src=AIP, dst=sip) / t / Raw(data)) if data else \
            to_sluice(IP(src=AIP, dst=sip) / t)

    def mine(self, f):
        return TCP in f and f[TCP].dport == self.sport

    def open(self, opts=None):
        o = opts if opts is not None else [("MSS", 1460), ("SAckOK", b""),
                                           ("Timestamp", (self.ts, 0)), ("WScale", 7)]
        drain()
        send(to_sluice(IP(src=AIP, dst=sip) /
                       TCP(sport=self.sport, dport=PORT, flags="S", seq=self.seq,
                           window=65535, options=o)))
        sa = expect(lambda f: self.mine(f) and f[TCP].flags & 0x12 == 0x12)
        if sa is None:
            return None
        self.seq += 1
        self.rcv = sa[TCP].seq + 1
        self.ts += 1
        send(self.tcp("A"))
        return sa

    def echo(self, data, timeout=2.0):
        """Send data, collect the echo; returns (bytes, payload sizes)."""
        self.ts += 1
        send(self.tcp("PA", data=data))
        self.seq += len(data)
        got, sizes, end = b"", [], time.time() + timeout
        while len(got) < len(data) and time.time() < end:
            f = expect(lambda f: self.mine(f) and len(f[TCP].payload) > 0,
                       end - time.time())
            if f is None:
                break
            p = bytes(f[TCP].payload)
            if f[TCP].seq == self.rcv:
                got += p
                sizes.append(len(p))
                self.rcv += len(p)
                self.ts += 1
                send(self.tcp("A"))
        return got, sizes

    def alive(self):
        msg = b"alive %d\n" % random.randrange(1 << 30)
        got, _ = self.echo(msg)
        return got == msg

    def reset(self):
        send(self.tcp("R", ts=False))


# ---- the healthy connection: a kernel socket echoing all along ----

healthy = {"rounds": 0, "bad": 0}


def healthy_loop():
    s = socket.create_connection((sip, PORT), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    i = 0
    while not stop.is_set():
        msg = (b"healthy %08d " % i) * 8
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = s.recv(len(msg) - len(got))
            if not b:
                healthy["bad"] += 1
                return
            got += b
        healthy["rounds"] += 1
        healthy["bad"] += got != msg
        i += 1
        time.sleep(0.002)
    s.close()


# ARP: make sluice learn the attacker (a request for sluice's address names it).
send(Ether(dst="ff:ff:ff:ff:ff:ff", src=AMAC) /
     ARP(op=1, hwsrc=AMAC, psrc=AIP, hwdst="00:00:00:00:00:00", pdst=sip))
def arp_reply(timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            f = frames.get(timeout=max(0.01, end - time.time()))
        except queue.Empty:
            return False
        if ARP in f and f[ARP].op == 2 and f[ARP].psrc == sip and f[ARP].pdst == AIP:
            return True
    return False


report(arp_reply(1.0), "the attacker's ARP request is answered (sluice knows its MAC)")
ht = threading.Thread(target=healthy_loop, daemon=True)
ht.start()
sport = iter(range(20000, 60000))

# ---- 1. TCP option parser abuse: every SYN is answered, bad options are counted ----
print("-- TCP options")
# (name, option bytes, malformed?): Linux's rule: options parsed before a malformed one
# are kept, the rest ignored, and the SYN is answered.
RAWOPT = [
    ("a zero-length option", b"\x1e\x00\x01\x01", True),
    ("an overlong length", b"\x02\x28\x05\xb4", True),
    ("a truncated timestamp", b"\x01\x01\x08\x0a\x00\x00", True),
    ("EOL then garbage", b"\x00\xff\xff\x07", False),
    ("a SACK block of odd length", b"\x05\x07\x00\x00\x00\x00\x00\x01", True),
    ("40 bytes of NOPs", b"\x01" * 40, False),
]
for name, raw, bad in RAWOPT:
    c = Conn(next(sport))
    before = stats()["tcp_opt_malformed"]
    drain()
    raw = raw + b"\x00" * (-len(raw) % 4)
    # The raw option bytes follow a header whose data offset covers them; scapy's TCP
    # checksum covers them too.
    send(to_sluice(IP(src=AIP, dst=sip) /
                   TCP(sport=c.sport, dport=PORT, flags="S", seq=c.seq, window=1024,
                       dataofs=(20 + len(raw)) // 4) / Raw(raw)))
    sa = expect(lambda f: c.mine(f), 1.0)
    grew = stats()["tcp_opt_malformed"] - before
    report(sa is not None and sa[TCP].flags == 0x12 and grew == (1 if bad else 0),
           "SYN with %s: answered with a SYN-ACK, %s" %
           (name, "counted as malformed" if bad else "not counted as malformed"))
    if sa is not None:
        send(c.tcp("R", seq=c.seq + 1, ts=False))

for name, opts, cap in [
        ("MSS 1", [("MSS", 1), ("Timestamp", (TS0, 0))], 36),
        ("MSS 0", [("MSS", 0)], 48),
        ("two MSS options, first 100", [("MSS", 100), ("MSS", 1400),
                                        ("Timestamp", (TS0, 0))], 88),
        ("window scale 200", [("MSS", 1460), ("WScale", 200), ("Timestamp", (TS0, 0))],
         1448)]:
    c = Conn(next(sport))
    sa = c.open(opts)
    if sa is None:
        report(False, "SYN with %s: no SYN-ACK" % name)
        continue
    data = bytes(random.randrange(256) for _ in range(300))
    got, sizes = c.echo(data, timeout=5)
    report(got == data and max(sizes) <= cap and max(sizes) >= min(cap, 36),
           "SYN with %s: echo intact in segments of %s bytes (at most %d)" %
           (name, sorted(set(sizes)), cap))
    c.reset()

# ---- 2. RFC 5961 and RFC 9293 rules on an established connection ----
print("-- RFC 5961 / RFC 9293")
e1, e2 = Conn(next(sport)), Conn(next(sport))
report(e1.open() is not None and e2.open() is not None, "two attacker connections open")
st = stats()
drain()
send(e1.tcp("R", seq=e1.seq + 10_000_000, ts=False))
r = expect(lambda f: e1.mine(f), 0.5)
report(r is None and e1.alive(), "RST outside the window: ignored, connection alive")
drain()
send(e1.tcp("R", seq=e1.seq + 100, ts=False))
r = expect(lambda f: e1.mine(f), 1.0)
report(r is not None and r[TCP].flags & 0x10 and not r[TCP].flags & 0x04 and e1.alive(),
       "RST in the window, not exact: challenge ACK, connection alive")
drain()
send(e1.tcp("S", seq=e1.seq + 5, ts=False))
r = expect(lambda f: e1.mine(f), 1.0)
report(r is not None and r[TCP].flags == 0x10 and e1.alive(),
       "SYN on an established connection: challenge ACK, connection alive")
drain()
e1.ts += 1
send(e1.tcp("PA", ack=e1.rcv + 500000, data=b"not acceptable\n"))
r = expect(lambda f: e1.mine(f) and len(f[TCP].payload) > 0, 0.5)
report(r is None and e1.alive(), "data acknowledging bytes never sent: not delivered")
drain()
send(e1.tcp("PA", data=b"old timestamp\n", opts=[("NOP", None), ("NOP", None),
                                                  ("Timestamp", (1, 0))]))
r = expect(lambda f: e1.mine(f) and len(f[TCP].payload) > 0, 0.5)
report(r is None and stats()["tcp_paws_drop"] > st["tcp_paws_drop"] and e1.alive(),
       "PAWS: a segment with an old timestamp is dropped")
# Per-connection challenge-ACK budget: a burst on e1 is limited, e2 still gets its own.
time.sleep(1.1)
drain()
for i in range(100):
    send(e1.tcp("R", seq=e1.seq + 1 + i, ts=False))
acks = collect(lambda f: e1.mine(f) and f[TCP].flags == 0x10, 1.0)
send(e2.tcp("R", seq=e2.seq + 7, ts=False))
r = expect(lambda f: e2.mine(f) and f[TCP].flags == 0x10, 1.0)
report(len(acks) <= challenge + 1 and r is not None,
       "100 blind RSTs: %d challenge ACKs (budget %d per second), and the other "
       "connection still gets its own" % (len(acks), challenge))
time.sleep(1.1)
drain()
send(e2.tcp("A", seq=e2.seq - 1, data=b"k"))
r = expect(lambda f: e2.mine(f) and f[TCP].flags & 0x10, 1.0)
report(r is not None and r[TCP].ack == e2.seq, "keepalive probe answered with an ACK")
before = stats()["tcp_conn_reset"]
send(e1.tcp("R", ts=False))
time.sleep(0.3)
report(stats()["tcp_conn_reset"] == before + 1, "exact RST resets the connection")

# ---- 3. closed and listening ports ----
print("-- closed and listening ports")
drain()
send(to_sluice(IP(src=AIP, dst=sip) / TCP(sport=4444, dport=9, flags="S", seq=1)))
r = expect(lambda f: TCP in f and f[TCP].dport == 4444, 1.0)
report(r is not None and r[TCP].flags == 0x14 and r[TCP].ack == 2,
       "SYN to a closed port: RST+ACK of the SYN")
send(to_sluice(IP(src=AIP, dst=sip) / TCP(sport=4445, dport=9, flags="A", seq=1,
                                           ack=123456)))
r = expect(lambda f: TCP in f and f[TCP].dport == 4445, 1.0)
report(r is not None and r[TCP].flags & 0x04 and r[TCP].seq == 123456,
       "ACK to a closed port: RST with the ACK's number")
before = stats()["tcp_syncookie_bad"]
send(to_sluice(IP(src=AIP, dst=sip) / TCP(sport=4446, dport=PORT, flags="A", seq=1,
                                           ack=987654)))
r = expect(lambda f: TCP in f and f[TCP].dport == 4446, 1.0)
report(r is not None and r[TCP].flags & 0x04,
       "stray ACK to the listener: RST (not a connection)")

# ---- 4. resource attacks ----
print("-- SYN flood")
st = stats()
flood = [to_sluice(IP(src=AIP, dst=sip) /
                   TCP(sport=p, dport=PORT, flags="S", seq=random.randrange(1 << 32),
                       options=[("MSS", 1460)]))
         for p in range(30000, 30000 + 4 * backlog)]
raws = [bytes(f) for f in flood]
t0 = time.time()
for b in raws:
    sock.send(b)
# A real client connects during the flood (the backlog is full: a SYN cookie).
try:
    k = socket.create_connection((sip, PORT), timeout=5)
    k.sendall(b"during the flood\n")
    real = k.recv(100) == b"during the flood\n"
    k.close()
except OSError:
    real = False
time.sleep(0.5)
st2 = stats()
report(real, "a real client connects and echoes during a SYN flood of %d" % len(raws))
report(st2["tcp_syncookie_sent"] > st["tcp_syncookie_sent"],
       "SYN cookies answered the flood beyond the backlog (%d sent)" %
       (st2["tcp_syncookie_sent"] - st["tcp_syncookie_sent"]))

print("-- out-of-order flood")
e3 = Conn(next(sport))
report(e3.open() is not None, "connection for the flood open")
st = stats()
for i in range(1000):
    send(e3.tcp("A", seq=e3.seq + 200 * (i + 1), data=b"o" * 100))
time.sleep(0.5)
st2 = stats()
report(st2["tcp_ooo_drop"] > st["tcp_ooo_drop"],
       "1000 out-of-order segments with holes: queue capped (%d kept, %d dropped)" %
       (st2["tcp_ooo_segs"] - st["tcp_ooo_segs"], st2["tcp_ooo_drop"] - st["tcp_ooo_drop"]))
report(e3.alive(), "the flooded connection still echoes in order")
e3.reset()

print("-- zero-window hold")
e4 = Conn(next(sport))
report(e4.open() is not None, "connection for the zero-window hold open")
st = stats()
e4.ts += 1
send(e4.tcp("PA", data=b"z" * 1000, wnd=0))
e4.seq += 1000
time.sleep(3)
st2 = stats()
report(st2["tcp_persist_probes"] > st["tcp_persist_probes"],
       "peer at zero window: sluice probes it (%d persist probes)" %
       (st2["tcp_persist_probes"] - st["tcp_persist_probes"]))
e4.reset()

# ---- 5. ICMP and ARP abuse ----
print("-- ICMP and ARP")
st = stats()
pings = [bytes(to_sluice(IP(src=AIP, dst=sip) / ICMP(id=9, seq=i) / Raw(b"flood")))
         for i in range(2000)]
for b in pings:
    sock.send(b)
time.sleep(0.5)
st2 = stats()
# The TAP may drop part of a burst this size before sluice polls it (more so on a busy
# machine); what reaches sluice must all be answered.
seen = st2["icmp_rx_echo"] - st["icmp_rx_echo"]
report(seen >= 200 and st2["icmp_tx_echo_reply"] - st["icmp_tx_echo_reply"] == seen,
       "echo flood of 2000: %d requests reached sluice, %d answered" %
       (st2["icmp_rx_echo"] - st["icmp_rx_echo"],
        st2["icmp_tx_echo_reply"] - st["icmp_tx_echo_reply"]))
e5 = Conn(next(sport))
report(e5.open() is not None, "connection for ICMP errors open")
quoted = IP(src=sip, dst=AIP) / TCP(sport=PORT, dport=e5.sport, seq=(e5.rcv + 9_000_000) %
                                    (1 << 32))
st = stats()
send(to_sluice(IP(src=AIP, dst=sip) / ICMP(type=3, code=4, nexthopmtu=68) /
               Raw(bytes(quoted)[:28])))
send(to_sluice(IP(src=AIP, dst=sip) / ICMP(type=3, code=1) / Raw(bytes(quoted)[:28])))
report(e5.alive(), "ICMP errors quoting a sequence outside the window: connection alive")
st2 = stats()
report(st2["icmp_err_invalid"] - st["icmp_err_invalid"] == 2 and
       st2["pmtu_learned"] == st["pmtu_learned"] and
       st2["tcp_icmp_soft_errors"] == st["tcp_icmp_soft_errors"],
       "forged ICMP errors (RFC 5927): ignored, counted (%d), nothing learnt or recorded" %
       (st2["icmp_err_invalid"] - st["icmp_err_invalid"]))
e5.reset()
st = stats()
for i in range(300):
    send(Ether(dst=smac, src="02:00:00:01:%02x:%02x" % (i >> 8, i & 0xff)) /
         ARP(op=2, hwsrc="02:00:00:01:%02x:%02x" % (i >> 8, i & 0xff),
             psrc="198.18.1.%d" % (i % 250 + 1), hwdst=smac, pdst=sip))
send(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:66") /
     ARP(op=1, hwsrc="02:00:00:00:00:66", psrc=sip, pdst=sip))
time.sleep(0.3)
st2 = stats()
report(st2["arp_learned"] == st["arp_learned"],
       "300 unsolicited ARP replies: nothing learned (%d counted unsolicited or dropped)" %
       (st2["arp_unsolicited"] + st2["arp_drop_not_for_us"] -
        st["arp_unsolicited"] - st["arp_drop_not_for_us"]))
report(st2["arp_drop_spoof"] > st["arp_drop_spoof"], "a claim of sluice's own address "
       "is dropped as a spoof")

# ---- the healthy connection ----
time.sleep(0.3)
stop.set()
ht.join(10)
report(healthy["rounds"] > 50 and healthy["bad"] == 0,
       "healthy kernel connection alongside: %d echo rounds, %d bad" %
       (healthy["rounds"], healthy["bad"]))
sys.exit(1 if failed else 0)
