/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_IPV4_DIRECT_H
#define SL_IPV4_DIRECT_H

/*
 * The direct way out, inline for its two users (ipv4_output_or_refuse, and TCP's segment
 * builder, which writes its own header in the same pass): the next hop is the neighbour
 * found last, REACHABLE, and the port takes untagged frames. Then the Ethernet and IPv4
 * headers are written in one go, the IPv4 header checksum summed from the values being
 * written (no second read of the header), and the frame goes to the port. Everything else
 * (routes without a gateway, neighbours to resolve or refresh, VLAN tags) takes
 * ipv4_output_mode, which stays the reference: the frame built here is byte for byte the
 * one it builds (tests/unit/net/test_arp.c, tests/unit/tcp/test_tcp_xmit_direct.c).
 *
 * Why no per-flow header template: every field of these headers is either a constant,
 * a register value we have anyway (addresses, length, TOS) or the neighbour's MAC, which
 * must be read from its entry to know it is still REACHABLE; copying a template and
 * checking that it is still valid (ARP, VLAN, TOS, MTU) costs as much as writing the
 * fields, and a stale template would be a silent wrong-MAC bug. The one part kept ready
 * is the Ethernet header, and in the neighbour's entry itself (arp_entry.eth_v4), which
 * arp.c rewrites wherever it writes the MAC: read from the entry just found REACHABLE,
 * it cannot be stale, and it is two stores instead of the two MACs' and the type's.
 * What a connection keeps is only a sum (ipv4_direct_sum_const: the header's words that
 * never change for it), which nothing but the worker's address and TTL, both fixed
 * before any connection exists, could make stale.
 */

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net/arp.h"
#include "net/cksum.h"
#include "core/worker.h"

/* Bytes of the headers the direct path writes in front of the L4 header. */
#define IPV4_DIRECT_HDRS (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))

/* The neighbour entry a datagram to dst can go to directly, or NULL (then
 * ipv4_output_or_refuse's general path). Same route as ipv4_output_mode: the gateway for
 * an off-link destination. */
static __rte_always_inline const struct arp_entry *
ipv4_direct_neighbour(const struct sl_worker *w, rte_be32_t dst)
{
	rte_be32_t nexthop = dst;

	if (unlikely(((dst ^ w->ip) & w->netmask) != 0))
		nexthop = w->gateway;
	if (unlikely(nexthop == 0 || w->vlan != 0))
		return NULL;
	return arp_reachable_cached(&w->arp, nexthop);
}

/* The part of the IPv4 header's sum that is the same for every datagram to dst of
 * protocol proto from this worker: all but the first word (version, TOS, length) of what
 * ipv4_direct_hdrs writes, folded. A connection keeps it (struct tcp_flow's tx_ipsum). */
static __rte_always_inline uint16_t
ipv4_direct_sum_const(const struct sl_worker *w, rte_be32_t dst, uint8_t proto)
{
	const struct { rte_be16_t id, frag; } h1 = { 0, RTE_BE16(RTE_IPV4_HDR_DF_FLAG) };
	const struct { uint8_t ttl, proto; uint16_t cksum; } h2 = { w->ttl, proto, 0 };
	uint32_t w1, w2;

	memcpy(&w1, &h1, sizeof(w1));
	memcpy(&w2, &h2, sizeof(w2));
	return cksum_fold64((uint64_t)w1 + w2 + w->ip + dst);
}

/*
 * Write the Ethernet header (to e's MAC) and the IPv4 header of a datagram of l3len bytes
 * at eh, the first byte of m's data; set m->l2_len and m->l3_len and the header checksum,
 * by the port (offload flags) or in software, as ipv4_cksum_set does. The IPv4 header is
 * ipv4_hdr_write's: DF, ID 0, TTL w->ttl, our address. Its sum is taken from the five
 * 32-bit words as written (the checksum word holding the TTL and protocol, checksum 0):
 * what cksum_ipv4_hdr20 would read back; csum_const is ipv4_direct_sum_const(w, dst,
 * proto), which a connection has ready (ipv4_direct_hdrs computes it).
 */
static __rte_always_inline void
ipv4_direct_hdrs_sum(const struct sl_worker *w, struct rte_mbuf *m, struct rte_ether_hdr *eh,
		     const struct arp_entry *e, rte_be32_t dst, uint8_t proto, uint8_t tos,
		     uint16_t l3len, uint16_t csum_const)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	/* The header as three 32-bit words (then the two addresses), composed in memory
	 * order whatever the host's byte order: the compiler makes each one register. */
	const struct { uint8_t vhl, tos; rte_be16_t len; } h0 = {
		RTE_IPV4_VHL_DEF, tos, rte_cpu_to_be_16(l3len) };
	const struct { rte_be16_t id, frag; } h1 = { 0, RTE_BE16(RTE_IPV4_HDR_DF_FLAG) };
	struct { uint8_t ttl, proto; uint16_t cksum; } h2 = { w->ttl, proto, 0 };
	uint32_t w0, w1, w2;

	memcpy(&w0, &h0, sizeof(w0));
	memcpy(&w1, &h1, sizeof(w1));
	memcpy(&w2, &h2, sizeof(w2));
	/* The Ethernet header kept with e's MAC, and two bytes the IPv4 header's first
	 * word overwrites below. */
	memcpy(eh, e->eth_v4, sizeof(e->eth_v4));
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	if (w->tx_ip_csum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK)
			m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		h2.cksum = (uint16_t)~cksum_fold64((uint64_t)w0 + csum_const);
		memcpy(&w2, &h2, sizeof(w2));
	}
	memcpy(&ip->version_ihl, &w0, sizeof(w0));
	memcpy(&ip->packet_id, &w1, sizeof(w1));
	memcpy(&ip->time_to_live, &w2, sizeof(w2));
	ip->src_addr = w->ip;
	ip->dst_addr = dst;
}

static __rte_always_inline void
ipv4_direct_hdrs(const struct sl_worker *w, struct rte_mbuf *m, struct rte_ether_hdr *eh,
		 const struct arp_entry *e, rte_be32_t dst, uint8_t proto, uint8_t tos,
		 uint16_t l3len)
{
	ipv4_direct_hdrs_sum(w, m, eh, e, dst, proto, tos, l3len,
			     ipv4_direct_sum_const(w, dst, proto));
}

#endif /* SL_IPV4_DIRECT_H */
