#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed inputs of the stack fuzz targets (fuzz_frame, fuzz_arp) into
tests/fuzz/corpus/<target>/. Each input is a program of steps [op][len lo][len hi][bytes]
(tests/fuzz/fuzz_stack.h); the seeds are well-formed cases the mutations start from.
Run it again after changing the step format; regression inputs (crashes that were fixed)
are kept next to the seeds under names starting with "regress-"."""

import os
import struct

RAW, IPV4, TCP, ARP, TIME, APP = range(6)
NOPS = 6
STACK_IP = bytes([198, 18, 0, 2])
PEER_IP = bytes([198, 18, 0, 1])
OTHER_IP = bytes([198, 18, 0, 3])
PEER_MAC = bytes([0x02, 0, 0, 0, 0, 1])


def step(op, data, arg=0):
    return bytes([(op + NOPS * arg) & 0xff]) + struct.pack('<H', len(data)) + data


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4(proto, payload, src=PEER_IP, dst=STACK_IP, ihl=5, opts=b''):
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, 20 + len(opts) + len(payload), 1,
                    0x4000, 64, proto, 0, src, dst) + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def tcp(seq_off, ack_off, flags, data=b'', wnd=65535, opts=b''):
    # Sequence and acknowledgment are offsets (low 16 bits, signed) from the connection.
    doff = (20 + len(opts)) // 4
    return struct.pack('!HHIIBBHHH', 0, 0, seq_off & 0xffff, ack_off & 0xffff, doff << 4,
                       flags, wnd, 0, 0) + opts + data


def arp(op, sha, sip, tha, tip):
    return struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, sha, sip, tha, tip)


def icmp_echo(data=b'ping'):
    h = struct.pack('!BBHHH', 8, 0, 0, 7, 1) + data
    return h[:2] + struct.pack('!H', csum(h)) + h[4:]


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
TS = bytes([1, 1, 8, 10]) + struct.pack('!II', 200000, 0)

frame = {
    'data-ack': step(TCP, tcp(0, 0, ACK | PSH, b'hello sluice\n')) +
                step(TCP, tcp(0, 1448, ACK)) + step(TIME, b'\x20'),
    'ooo-and-fill': step(TCP, tcp(100, 0, ACK, b'B' * 100)) +
                    step(TCP, tcp(0, 0, ACK, b'A' * 100), arg=2),
    'fin-then-close': step(TCP, tcp(0, 0, FIN | ACK), arg=4) + step(APP, b'\x02\x04'),
    'rst-in-window': step(TCP, tcp(0, 0, RST), arg=2) + step(TIME, b'\x10'),
    'syn-on-established': step(TCP, tcp(0, 0, SYN)),
    'dup-acks-sack': step(TCP, tcp(0, 0, ACK, opts=bytes([1, 1, 5, 10]) +
                                   struct.pack('!II', 2000, 3000))) * 4,
    'zero-window-probe': step(TCP, tcp(0, 0, ACK, wnd=0)) + step(TIME, b'\xff') +
                         step(TCP, tcp(0, 0, ACK, wnd=1000)),
    'options-ts': step(TCP, tcp(0, 0, ACK, b'x', opts=TS)),
    'ping': step(IPV4, ipv4(1, icmp_echo())),
    'syn-new': step(IPV4, ipv4(6, struct.pack('!HHIIBBHHH', 41000, 5000, 1, 0, 0x60, SYN,
                                              65535, 0, 0) + bytes([2, 4, 0, 1]))),
    'ip-options': step(IPV4, ipv4(1, icmp_echo(), ihl=6, opts=bytes([1, 1, 1, 0]))),
    'app-send-abort': step(APP, b'\x00\x00' + b'z' * 40) + step(APP, b'\x01\x05'),
    'arp-request': step(ARP, arp(1, PEER_MAC, PEER_IP, bytes(6), STACK_IP)),
    'raw-runt': step(RAW, bytes(14)),
}
arp_only = {
    'request': step(0, arp(1, PEER_MAC, PEER_IP, bytes(6), STACK_IP)),
    'reply': step(0, arp(2, bytes([2, 0, 0, 0, 0, 3]), OTHER_IP, PEER_MAC, STACK_IP)),
    'claim-ours': step(0, arp(1, bytes([2, 0, 0, 0, 0, 9]), STACK_IP, bytes(6), STACK_IP)),
    'gratuitous': step(0, arp(2, PEER_MAC, PEER_IP, bytes([0xff] * 6), PEER_IP)),
    'short': step(0, arp(1, PEER_MAC, PEER_IP, bytes(6), STACK_IP)[:20]),
}

here = os.path.dirname(os.path.abspath(__file__))
for target, seeds in (('fuzz_frame', frame), ('fuzz_arp', arp_only)):
    d = os.path.join(here, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
