# SPDX-License-Identifier: BSD-3-Clause
"""Send malformed frames at sluice from the kernel side of the TAP and check that each
one is dropped under its own counter (read through telemetry before and after).

Environment: SL_IFACE (kernel-side tap), SL_PREFIX (DPDK file prefix), SL_MAC (sluice's
MAC), SL_IP (sluice), SL_PEER_IP (us). Exit status 0 when every expectation holds."""

import sys
import time

from scapy.all import ARP, ICMP, IP, UDP, Ether, IPOption_NOP, Raw, sendp, conf

import sltest

conf.verb = 0
iface = sltest.env("SL_IFACE")
prefix = sltest.env("SL_PREFIX")
mac = sltest.env("SL_MAC").lower()
ip = sltest.env("SL_IP")
peer = sltest.env("SL_PEER_IP")
peer_mac = "02:00:00:00:00:01"
other_mac = "02:00:00:00:00:03"
REPEAT = 3

eth = Ether(dst=mac, src=peer_mac)
ping = eth / IP(src=peer, dst=ip) / ICMP(id=7, seq=1) / Raw(b"sluice")


def raw_ipv4(version_ihl=None, tot=None, cksum=None):
    p = IP(bytes(IP(src=peer, dst=ip) / ICMP() / Raw(b"abcdefgh")))
    b = bytearray(bytes(p))
    if version_ihl is not None:
        b[0] = version_ihl
    if tot is not None:
        b[2:4] = tot.to_bytes(2, "big")
    if cksum is not None:
        b[10:12] = cksum.to_bytes(2, "big")
    # Ether() over Raw would get scapy's default ethertype; say IPv4 explicitly.
    return Ether(dst=mac, src=peer_mac, type=0x0800) / Raw(bytes(b))


def bad_icmp_cksum():
    p = IP(bytes(IP(src=peer, dst=ip) / ICMP(id=1, seq=1) / Raw(b"payload!")))
    p[ICMP].chksum ^= 0x00ff
    return eth / p


# (counter that must grow by exactly REPEAT, frame) -- eth_* counters may also grow
# from the kernel's own traffic, so they are checked as "at least". Runts are left to the
# unit tests: the kernel's packet socket will not emit a frame shorter than its header.
cases = [
    ("eth_drop_dst", Ether(dst=other_mac, src=peer_mac) / IP(src=peer, dst=ip) / ICMP()),
    ("eth_drop_src", Ether(dst=mac, src="01:00:5e:00:00:01") / IP(src=peer, dst=ip) / ICMP()),
    ("eth_drop_ethertype", Ether(dst=mac, src=peer_mac, type=0x88b5) / Raw(b"x" * 46)),
    ("ip_drop_short", Ether(dst=mac, src=peer_mac, type=0x0800) / Raw(b"\x45" + b"\x00" * 9)),
    ("ip_drop_version", raw_ipv4(version_ihl=0x65)),
    ("ip_drop_ihl", raw_ipv4(version_ihl=0x43)),
    ("ip_drop_len", raw_ipv4(tot=1400)),
    ("ip_drop_cksum", raw_ipv4(cksum=0x1234)),
    ("ip_drop_options", eth / IP(src=peer, dst=ip, options=[IPOption_NOP()] * 4) / ICMP()),
    ("ip_drop_frag", eth / IP(src=peer, dst=ip, flags="MF") / ICMP() / Raw(b"x" * 17)),
    ("ip_drop_frag", eth / IP(src=peer, dst=ip, frag=100) / Raw(b"x" * 16)),
    ("ip_drop_martian", eth / IP(src="127.0.0.1", dst=ip) / ICMP()),
    ("ip_drop_not_ours", eth / IP(src=peer, dst="198.18.0.77") / ICMP()),
    ("ip_drop_proto", eth / IP(src=peer, dst=ip) / UDP(sport=1, dport=2) / Raw(b"x")),
    ("icmp_drop_short", eth / IP(src=peer, dst=ip, proto=1) / Raw(b"\x08\x00\x00")),
    ("icmp_drop_cksum", bad_icmp_cksum()),
    ("icmp_drop_broadcast",
     Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac) / IP(src=peer, dst="198.18.0.255") / ICMP()),
    ("arp_drop_malformed",
     Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac) / ARP(hwlen=8, psrc=peer, pdst=ip)),
    ("arp_drop_malformed", Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac, type=0x0806) /
     Raw(bytes(ARP(psrc=peer, pdst=ip))[:20])),
    ("arp_drop_malformed",
     Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac) / ARP(op=3, psrc=peer, pdst=ip)),
    ("arp_drop_spoof", Ether(dst="ff:ff:ff:ff:ff:ff", src=other_mac) /
     ARP(op=2, hwsrc=other_mac, psrc=ip, pdst=ip)),
    ("arp_drop_bad_sender", Ether(dst="ff:ff:ff:ff:ff:ff", src=peer_mac) /
     ARP(hwsrc="01:00:5e:00:00:01", psrc=peer, pdst=ip)),
]

expect = {}
for counter, _ in cases:
    expect[counter] = expect.get(counter, 0) + REPEAT

before = sltest.stats(prefix)
for _, frame in cases:
    sendp([frame] * REPEAT, iface=iface)
time.sleep(0.5)
after = sltest.stats(prefix)

failed = 0
for counter, n in sorted(expect.items()):
    delta = after[counter] - before[counter]
    ok = delta >= n if counter.startswith("eth_") else delta == n
    print("  %-22s +%-3d (expected %s%d) %s" %
          (counter, delta, ">=" if counter.startswith("eth_") else "", n,
           "ok" if ok else "FAIL"))
    failed += not ok
# Nothing malformed may have been answered.
for counter in ("icmp_tx_echo_reply", "arp_tx_reply"):
    if after[counter] != before[counter]:
        print("  %s grew by %d: a malformed frame was answered" %
              (counter, after[counter] - before[counter]))
        failed += 1
sys.exit(1 if failed else 0)
