/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_IPV4_H
#define SL_IPV4_H

/* ipv4.c: validation of received IPv4 packets, headers and routing of sent ones. */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

struct rte_ipv4_hdr;
struct rte_mbuf;
struct sl_worker;

/* Validate an IPv4 packet (m->l2_len set, data at the Ethernet header) and hand it to
 * ICMP or TCP with m->l3_len set. Consumes m. */
void
ipv4_input(struct sl_worker *w, struct rte_mbuf *m);

/* Prepend IPv4 and Ethernet headers to m (whose data starts at the L4 header, l4 checksum
 * prepared by the caller), with tos as the whole TOS byte (DSCP 0; the ECN field of
 * RFC 3168 §5 in its two low bits), route it and send it. Consumes m. */
void
ipv4_output_tos(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t dst, uint8_t proto,
		uint8_t tos);

/* ipv4_output_tos for a sender that can produce the packet again: -EAGAIN (m freed) when
 * the next hop is being resolved and its pending queue is full (arp_output_or_refuse),
 * else 0. Consumes m. */
int
ipv4_output_or_refuse(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t dst, uint8_t proto,
		      uint8_t tos);

/* ipv4_output_tos with TOS 0 (Not-ECT). Consumes m. */
static inline void
ipv4_output(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t dst, uint8_t proto)
{
	ipv4_output_tos(w, m, dst, proto, 0);
}

/* Finish the header checksum of ip in m: by offload when the port has it, else software.
 * m->l2_len and m->l3_len must be set. */
void
ipv4_cksum_finish(struct sl_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

/* Address that may never appear as a source: 0/8, 127/8, multicast, class E, broadcast.
 * Always inline: a handful of instructions, fewer than a call, in every receive path. */
static __rte_always_inline bool
ipv4_is_martian(rte_be32_t a)
{
	uint32_t h = rte_be_to_cpu_32(a);

	return (h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe;
}

#endif /* SL_IPV4_H */
