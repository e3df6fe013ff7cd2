# SPDX-License-Identifier: BSD-3-Clause
"""A host on VLAN 100 of a trunk, talking to sluice-server --vlan 100 --mode echo (port 7)
from the kernel side of the TAP through a packet socket (frames built with scapy: this
machine's kernel has no 802.1Q module, so no sl0.100 interface can be made).

  - ARP: a tagged request is answered with a tagged reply;
  - ping: a tagged echo request is answered tagged;
  - TCP: a handshake, 64 KiB echoed byte-exact in 1,000-byte segments, FIN both ways,
    every segment from sluice tagged with VLAN 100;
  - untagged frames and frames of VLAN 200 get no answer and count in eth_drop_vlan.

Environment: SL_IFACE, SL_PREFIX, SL_MAC (sluice's MAC), SL_IP. Prints ok/FAIL per case,
exits 1 if any failed."""

import queue
import random
import socket
import struct
import threading
import time

from scapy.all import ARP, ICMP, IP, TCP, Dot1Q, Ether, Raw, conf

import sltest

conf.verb = 0
iface = sltest.env("SL_IFACE")
prefix = sltest.env("SL_PREFIX")
smac = sltest.env("SL_MAC").lower()
sip = sltest.env("SL_IP")
HIP = "198.18.0.60"
HMAC = "02:00:00:00:00:60"
VID = 100
PORT = 7
failed = 0


def report(ok, what):
    global failed
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    failed += not ok


sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sock.bind((iface, 0))
frames = queue.Queue()
stop = threading.Event()


# The kernel takes a received frame's 802.1Q tag out of the data (skb_vlan_untag) and
# hands it to packet sockets beside it (PACKET_AUXDATA): put it back.
SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10
sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)


def reader():
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            b, anc, _, _ = sock.recvmsg(65535, socket.CMSG_SPACE(20))
        except socket.timeout:
            continue
        for level, kind, d in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(d) >= 20:
                status, tci, tpid = struct.unpack_from("I", d, 0)[0], \
                    struct.unpack_from("H", d, 16)[0], struct.unpack_from("H", d, 18)[0]
                if status & TP_STATUS_VLAN_VALID:
                    b = b[:12] + struct.pack("!HH", tpid or 0x8100, tci) + b[12:]
        if b[0:6] == bytes.fromhex(HMAC.replace(":", "")):
            frames.put(Ether(b))


threading.Thread(target=reader, daemon=True).start()


def send(pkt):
    sock.send(bytes(pkt))


def tagged(l3, vid=VID, dst=None):
    return Ether(dst=dst or smac, src=HMAC) / Dot1Q(vlan=vid) / l3


def expect(pred, timeout=2.0):
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        try:
            f = frames.get(timeout=left)
        except queue.Empty:
            return None
        if pred(f):
            return f


def on_vlan(f):
    return Dot1Q in f and f[Dot1Q].vlan == VID


def cksums_ok(f):
    """The IPv4 and TCP checksums of a frame from sluice, as the wire has them (the port
    fills them in after the tag when it offloads them)."""
    g = Ether(bytes(f))
    want_ip, want_tcp = g[IP].chksum, g[TCP].chksum
    del g[IP].chksum
    del g[TCP].chksum
    g = Ether(bytes(g))
    return g[IP].chksum == want_ip and g[TCP].chksum == want_tcp


# ---- ARP and ping ----
send(tagged(ARP(op=1, hwsrc=HMAC, psrc=HIP, pdst=sip), dst="ff:ff:ff:ff:ff:ff"))
r = expect(lambda f: ARP in f and f[ARP].op == 2 and f[ARP].psrc == sip)
report(r is not None and on_vlan(r) and r[ARP].hwsrc.lower() == smac,
       "ARP request on VLAN 100 answered, tagged")
send(tagged(IP(src=HIP, dst=sip) / ICMP(id=7, seq=1) / Raw(b"vlan ping")))
r = expect(lambda f: ICMP in f and f[ICMP].type == 0 and f[ICMP].id == 7)
report(r is not None and on_vlan(r) and bytes(r[Raw]) == b"vlan ping",
       "ping on VLAN 100 answered, tagged")

# ---- TCP echo ----
sport = random.randrange(20000, 60000)
seq = random.randrange(1 << 32)


def seg(flags, ack, data=b""):
    t = TCP(sport=sport, dport=PORT, flags=flags, seq=seq, ack=ack, window=65535)
    return tagged(IP(src=HIP, dst=sip) / t / Raw(data)) if data else \
        tagged(IP(src=HIP, dst=sip) / t)


def mine(f):
    return TCP in f and f[TCP].dport == sport


send(seg("S", 0))
r = expect(lambda f: mine(f) and f[TCP].flags & 0x12 == 0x12)
ok = r is not None and on_vlan(r)
report(ok and cksums_ok(r), "SYN-ACK on VLAN 100, checksums valid")
if ok:
    rcv = (r[TCP].seq + 1) % (1 << 32)
    seq = (seq + 1) % (1 << 32)
    send(seg("A", rcv))
    data = bytes(random.randrange(256) for _ in range(64 * 1024))
    echoed = b""
    untagged = bad = 0
    for off in range(0, len(data), 1000):
        chunk = data[off:off + 1000]
        send(seg("PA", rcv, chunk))
        seq = (seq + len(chunk)) % (1 << 32)
        want = off + len(chunk)
        end = time.time() + 3
        while len(echoed) < want and time.time() < end:
            f = expect(lambda f: mine(f) and Raw in f, timeout=max(0.05, end - time.time()))
            if f is None:
                break
            untagged += not on_vlan(f)
            bad += not cksums_ok(f)
            if f[TCP].seq == rcv:
                echoed += bytes(f[Raw])
                rcv = (rcv + len(f[Raw])) % (1 << 32)
                send(seg("A", rcv))
    report(echoed == data and untagged == 0 and bad == 0,
           "64 KiB echoed byte-exact on VLAN 100 (%d bytes back, %d untagged segments, "
           "%d bad checksums)" % (len(echoed), untagged, bad))
    send(seg("FA", rcv))
    seq = (seq + 1) % (1 << 32)
    r = expect(lambda f: mine(f) and f[TCP].flags & 0x01)
    report(r is not None and on_vlan(r), "FIN from sluice, tagged")
    if r is not None:
        send(seg("A", (r[TCP].seq + 1) % (1 << 32)))

# ---- other VLANs and untagged frames: dropped, counted ----
before = sltest.stats(prefix)["eth_drop_vlan"]
send(Ether(dst=smac, src=HMAC) / IP(src=HIP, dst=sip) / ICMP(id=8, seq=1))
send(tagged(IP(src=HIP, dst=sip) / ICMP(id=9, seq=1), vid=200))
r = expect(lambda f: ICMP in f and f[ICMP].id in (8, 9), timeout=1.0)
time.sleep(0.2)
after = sltest.stats(prefix)["eth_drop_vlan"]
report(r is None and after - before == 2,
       "untagged and VLAN 200 pings unanswered, counted (eth_drop_vlan +%d)" %
       (after - before))
stop.set()
raise SystemExit(1 if failed else 0)
