/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RX_DIRECT_H
#define SL_RX_DIRECT_H

/*
 * The direct way in, the counterpart of ipv4_direct.h: nearly every frame a worker
 * receives is a TCP segment in an option-less IPv4 datagram, untagged, sent to our MAC and
 * our address, neither fragmented nor padded. rx_direct_tcp tells, in one pass over the
 * two headers, whether a frame is of that shape and passes every check eth_input and
 * ipv4_input would make on it; the poll loop (stack.c, worker_rx) then hands it straight
 * to TCP with rx_direct_input, which does what those two would have done with it. Any other frame (and one that fails any check) takes the
 * general path, which stays the reference: it makes every check again, in its order, and
 * counts the drop. So the fast path only ever accepts what the general one accepts, and
 * drops nothing itself (tests/unit/net/test_eth.c runs random frames both ways).
 *
 * Why here and not in eth.c and ipv4.c: the two layers' checks on one cache line of
 * header, folded into one sequence of compares with no call, no second read of the same
 * fields and no bitfield written twice.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net/cksum.h"
#include "net/ipv4.h"
#include "tcp/tcp_in.h"
#include "core/worker.h"

/* The headers rx_direct_tcp looks at: Ethernet and IPv4 without options. */
#define RX_DIRECT_HDRS (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))

/*
 * Is m an untagged IPv4/TCP frame for us that eth_input and ipv4_input would pass to
 * tcp_input unchanged (m->l2_len 14, m->l3_len 20)? Pure: reads m, writes nothing. Each
 * test below is one of theirs:
 *   eth_input   the header is there, the destination is our MAC (broadcast: general
 *               path), the source is unicast, no VLAN (w->rx_direct is false with --vlan),
 *               the ethertype is IPv4;
 *   ipv4_input  version 4 with a 20-byte header, total length exactly the frame's (so at
 *               least the header's, which the first segment holds; a padded frame is
 *               trimmed by the general path), the header
 *               checksum (the port's verdict when it gives one), not a fragment, a sane
 *               source that is neither the subnet broadcast nor us, our address as the
 *               destination, TCP.
 */
static __rte_always_inline bool
rx_direct_tcp(const struct sl_worker *w, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	uint64_t csum = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint32_t d4, m4;
	uint16_t d2, m2;
	rte_be32_t src;

	/* Both headers in the first segment before any byte of them is read. */
	if (!w->rx_direct || rte_pktmbuf_data_len(m) < RX_DIRECT_HDRS)
		return false;
	/* rte_is_same_ether_addr's compare in two loads a side instead of three. */
	memcpy(&d4, &eh->dst_addr, sizeof(d4));
	memcpy(&d2, &eh->dst_addr.addr_bytes[4], sizeof(d2));
	memcpy(&m4, &w->mac, sizeof(m4));
	memcpy(&m2, &w->mac.addr_bytes[4], sizeof(m2));
	if (((d4 ^ m4) | (uint32_t)(d2 ^ m2)) != 0 ||
	    rte_is_multicast_ether_addr(&eh->src_addr) ||
	    eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return false;
	if (ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_TCP ||
	    ip->dst_addr != w->ip ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
	    rte_be_to_cpu_16(ip->total_length) != m->pkt_len - RTE_ETHER_HDR_LEN)
		return false;
	src = ip->src_addr;
	if (ipv4_is_martian(src) || src == w->bcast || src == w->ip)
		return false;
	if (csum == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	/* version_ihl is 0x45 (tested above): the sum is not zero. */
	return csum != RTE_MBUF_F_RX_IP_CKSUM_BAD && cksum_ipv4_hdr20_nz_ok(ip);
}

/* A frame rx_direct_tcp passed: what eth_input and ipv4_input do with it (the lengths they
 * set, ipv4_input's counter), then TCP. Consumes m. */
static __rte_always_inline void
rx_direct_input(struct sl_worker *w, struct rte_mbuf *m)
{
	w->stats.ip_rx++;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	tcp_input_direct(w, m);
}

#endif /* SL_RX_DIRECT_H */
