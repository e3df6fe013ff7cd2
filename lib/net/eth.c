/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth.c -- Ethernet in and out.
 *
 * RX: sl_worker_poll -> eth_input -> arp_input | ipv4_input. (The poll loop sends a TCP
 *     frame of the usual shape to tcp_input itself, after the same checks in one pass:
 *     rx_direct.h. This is the reference for those, and the path of every other frame.)
 * TX: ipv4_output / arp -> eth_prepend ... eth_output -> port_tx.
 *
 * Accepted frames are addressed to our MAC or to broadcast and come from a unicast
 * source. With --vlan ID (802.1Q), every frame sent carries the tag (in software: the
 * tag stays in the data, so the in-place replies of ARP, ICMP and TCP keep it), and only
 * frames tagged with that ID are accepted: untagged ones, other VLANs and, without
 * --vlan, any tagged frame are counted in eth_drop_vlan. Priority bits are sent as 0 and
 * ignored on receipt; a frame with two tags (QinQ) is another VLAN's. The data pointer is left at the Ethernet header (m->l2_len says how long it
 * is) so ARP and ICMP can turn a request into its reply in place.
 */

#define SL_LOG_MODULE eth	/* sluice.eth (core/log.h) */

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/log.h"
#include "net/arp.h"
#include "net/eth.h"
#include "net/ipv4.h"
#include "net/port.h"
#include "core/worker.h"

/* A dropped frame at debug level (sluice.eth, rate-limited): addresses and ethertype, and
 * why -- the name of the counter it went to. Cold. */
static __rte_noinline void
eth_drop_note(const struct rte_mbuf *m, const char *why)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (rte_pktmbuf_data_len(m) < sizeof(*eh))
		SL_LOG_RL(DEBUG, "drop %u-byte frame: %s", m->pkt_len, why);
	else
		SL_LOG_RL(DEBUG, "drop " RTE_ETHER_ADDR_PRT_FMT " > " RTE_ETHER_ADDR_PRT_FMT
			  " type 0x%04x len %u: %s", RTE_ETHER_ADDR_BYTES(&eh->src_addr),
			  RTE_ETHER_ADDR_BYTES(&eh->dst_addr), rte_be_to_cpu_16(eh->ether_type),
			  m->pkt_len, why);
}

void
eth_input(struct sl_worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	const char *why;
	rte_be16_t type;
	uint32_t l2;

	/* Headers must be in the first segment; a PMD never splits 14 bytes. */
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
		w->stats.eth_drop_runt++;
		why = "eth_drop_runt";
		goto drop;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, &w->mac)) &&
	    !rte_is_broadcast_ether_addr(&eh->dst_addr)) {
		w->stats.eth_drop_dst++;
		why = "eth_drop_dst";
		goto drop;
	}
	if (unlikely(rte_is_multicast_ether_addr(&eh->src_addr))) {
		w->stats.eth_drop_src++;
		why = "eth_drop_src";
		goto drop;
	}
	type = eh->ether_type;
	l2 = sizeof(*eh);
	if (unlikely(type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || w->vlan != 0)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eh + 1);

		if (type != RTE_BE16(RTE_ETHER_TYPE_VLAN) || w->vlan == 0 ||
		    rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*vh) ||
		    (rte_be_to_cpu_16(vh->vlan_tci) & 0xfff) != w->vlan) {
			w->stats.eth_drop_vlan++;
			why = "eth_drop_vlan";
			goto drop;
		}
		type = vh->eth_proto;
		l2 += sizeof(*vh);
	}
	m->l2_len = l2;
	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		ipv4_input(w, m);
		return;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		arp_input(w, m);
		return;
	default:
		w->stats.eth_drop_ethertype++;
		why = "eth_drop_ethertype";
		break;
	}
drop:
	eth_drop_note(m, why);
	rte_pktmbuf_free(m);
}

uint32_t
eth_hdr_len(const struct sl_worker *w)
{
	return w->vlan != 0 ? RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr) :
			      RTE_ETHER_HDR_LEN;
}

uint32_t
eth_hdr_write(const struct sl_worker *w, void *p, uint16_t ethertype)
{
	struct rte_ether_hdr *eh = p;
	struct rte_vlan_hdr *vh;

	rte_ether_addr_copy(&w->mac, &eh->src_addr);
	if (likely(w->vlan == 0)) {
		eh->ether_type = rte_cpu_to_be_16(ethertype);
		return sizeof(*eh);
	}
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	vh = (struct rte_vlan_hdr *)(eh + 1);
	vh->vlan_tci = rte_cpu_to_be_16(w->vlan);
	vh->eth_proto = rte_cpu_to_be_16(ethertype);
	return sizeof(*eh) + sizeof(*vh);
}

struct rte_ether_hdr *
eth_prepend(struct sl_worker *w, struct rte_mbuf *m, uint16_t ethertype)
{
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, (uint16_t)eth_hdr_len(w));
	if (unlikely(eh == NULL))
		return NULL;
	m->l2_len = eth_hdr_write(w, eh, ethertype);
	return eh;
}

void
eth_output(struct sl_worker *w, struct rte_mbuf *m, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(dst, &eh->dst_addr);
	port_tx(w, m);
}
