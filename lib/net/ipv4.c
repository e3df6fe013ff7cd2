/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4.c -- IPv4 in and out.
 *
 * RX: eth_input -> ipv4_input -> icmp_input | tcp_input.
 *     Checks, in this order: header present, version, header length, total length against
 *     the frame (longer frames are Ethernet padding and are trimmed), header checksum (the
 *     port's verdict when it gives one), options and fragments (counted and dropped: sluice
 *     neither reassembles nor interprets options), source address sanity, destination.
 * TX: tcp_output / icmp -> ipv4_output -> arp_output -> eth_output -> port_tx. The TOS byte
 *     is 0 except for its ECN field, which TCP sets on ECN-capable data (ipv4_output_tos).
 */

#define SL_LOG_MODULE ipv4	/* sluice.ipv4 (core/log.h) */

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/log.h"
#include "net/arp.h"
#include "net/cksum.h"
#include "net/eth.h"
#include "net/icmp.h"
#include "net/ipfrag.h"
#include "net/ipv4_direct.h"
#include "net/ipv4.h"
#include "net/mbuf_util.h"
#include "net/port.h"
#include "tcp/tcp_in.h"
#include "core/worker.h"

static bool
ipv4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	uint64_t flags = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (flags == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (flags == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	if (likely(ihl == sizeof(*ip)))
		return cksum_ipv4_hdr20_ok(ip);
	return cksum_raw(ip, ihl) == 0xffff;
}

/* A dropped datagram at debug level (sluice.ipv4, rate-limited): addresses and protocol
 * when the header is there, and why -- the name of the counter it went to. Cold. */
static __rte_noinline void
ipv4_drop_note(const struct rte_mbuf *m, uint32_t l2, const char *why)
{
	const struct rte_ipv4_hdr *ip;

	if (rte_pktmbuf_data_len(m) < l2 + sizeof(*ip)) {
		SL_LOG_RL(DEBUG, "drop %u-byte datagram: %s", m->pkt_len - l2, why);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2);
	SL_LOG_RL(DEBUG, "drop " SL_IP4_FMT " > " SL_IP4_FMT " proto %u len %u: %s",
		  SL_IP4_ARGS(ip->src_addr), SL_IP4_ARGS(ip->dst_addr), ip->next_proto_id,
		  m->pkt_len - l2, why);
}

void
ipv4_input(struct sl_worker *w, struct rte_mbuf *m)
{
	const uint32_t l2 = m->l2_len;
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot, frame;
	bool bcast = false;
	const char *why;

	w->stats.ip_rx++;
	if (unlikely(rte_pktmbuf_data_len(m) < l2 + sizeof(*ip))) {
		w->stats.ip_drop_short++;
		why = "ip_drop_short";
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	if (likely(ip->version_ihl == RTE_IPV4_VHL_DEF)) {
		/* Version 4 without options, nearly every datagram: the version and header
		 * length checks below pass (the 20 bytes are there, checked above). */
		ihl = sizeof(*ip);
	} else {
		if (unlikely((ip->version_ihl >> 4) != 4)) {
			w->stats.ip_drop_version++;
			why = "ip_drop_version";
			goto drop;
		}
		ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
		      RTE_IPV4_IHL_MULTIPLIER;
		if (unlikely(ihl < sizeof(*ip) || rte_pktmbuf_data_len(m) < l2 + ihl)) {
			w->stats.ip_drop_ihl++;
			why = "ip_drop_ihl";
			goto drop;
		}
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	frame = m->pkt_len - l2;
	if (unlikely(tot < ihl || tot > frame)) {
		w->stats.ip_drop_len++;
		why = "ip_drop_len";
		goto drop;
	}
	if (unlikely(!ipv4_cksum_ok(m, ip, ihl))) {
		w->stats.ip_drop_cksum++;
		why = "ip_drop_cksum";
		goto drop;
	}
	if (unlikely(ihl != sizeof(*ip))) {
		w->stats.ip_drop_options++;
		why = "ip_drop_options";
		goto drop;
	}
	if (unlikely(ipv4_is_martian(ip->src_addr) || ip->src_addr == w->bcast ||
		     ip->src_addr == w->ip)) {
		w->stats.ip_drop_martian++;
		why = "ip_drop_martian";
		goto drop;
	}
	if (unlikely(ip->dst_addr != w->ip)) {
		if (ip->dst_addr != RTE_BE32(0xffffffff) && ip->dst_addr != w->bcast) {
			w->stats.ip_drop_not_ours++;
			why = "ip_drop_not_ours";
			goto drop;
		}
		bcast = true;
	}
	if (unlikely(tot < frame))
		mbuf_trim_to(m, l2 + tot);
	m->l3_len = ihl;
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		/* No broadcast service takes fragments. */
		if (bcast) {
			w->stats.ip_drop_frag++;
			why = "ip_drop_frag";
			goto drop;
		}
		m = ipfrag_input(w, m, ip);
		if (m == NULL)
			return;
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	}

	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		if (likely(!bcast)) {
			tcp_input(w, m);
			return;
		}
		w->stats.ip_drop_broadcast++;
		why = "ip_drop_broadcast";
		break;
	case IPPROTO_ICMP:
		icmp_input(w, m, bcast);
		return;
	default:
		if (bcast) {
			w->stats.ip_drop_broadcast++;
			why = "ip_drop_broadcast";
		} else {
			w->stats.ip_drop_proto++;
			why = "ip_drop_proto";
		}
		break;
	}
drop:
	ipv4_drop_note(m, l2, why);
	rte_pktmbuf_free(m);
}

static __rte_always_inline void
ipv4_cksum_set(const struct sl_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	if (w->tx_ip_csum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		ip->hdr_checksum = 0;
		return;
	}
	if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
	ip->hdr_checksum = 0;
	if (likely(ip->version_ihl == RTE_IPV4_VHL_DEF))
		ip->hdr_checksum = (uint16_t)~cksum_ipv4_hdr20(ip);
	else
		ip->hdr_checksum = (uint16_t)~cksum_raw(ip, rte_ipv4_hdr_len(ip));
}

void
ipv4_cksum_finish(struct sl_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	ipv4_cksum_set(w, m, ip);
}

/* The IPv4 header of a datagram we send (RFC 791), without its checksum. */
static __rte_always_inline void
ipv4_hdr_write(const struct sl_worker *w, struct rte_ipv4_hdr *ip, uint16_t len,
	       rte_be32_t dst, uint8_t proto, uint8_t tos)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16(len);
	/* Atomic datagrams (DF set, never fragmented): the ID carries no meaning (RFC 6864). */
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = w->ttl;
	ip->next_proto_id = proto;
	ip->src_addr = w->ip;
	ip->dst_addr = dst;
}

static __rte_always_inline int
ipv4_output_mode(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t dst, uint8_t proto,
		 uint8_t tos, bool refuse)
{
	struct rte_ipv4_hdr *ip;
	rte_be32_t nexthop = dst;

	if (unlikely(((dst ^ w->ip) & w->netmask) != 0)) {
		if (w->gateway == 0) {
			w->stats.ip_tx_no_route++;
			rte_pktmbuf_free(m);
			return 0;
		}
		nexthop = w->gateway;
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
	if (unlikely(ip == NULL)) {
		w->stats.tx_drop_headroom++;
		rte_pktmbuf_free(m);
		return 0;
	}
	ipv4_hdr_write(w, ip, (uint16_t)m->pkt_len, dst, proto, tos);
	m->l3_len = sizeof(*ip);
	ipv4_cksum_set(w, m, ip);
	if (unlikely(eth_prepend(w, m, RTE_ETHER_TYPE_IPV4) == NULL)) {
		w->stats.tx_drop_headroom++;
		rte_pktmbuf_free(m);
		return 0;
	}
	if (unlikely(refuse))
		return arp_output_or_refuse(w, m, nexthop);
	arp_output(w, m, nexthop);
	return 0;
}

void
ipv4_output_tos(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t dst, uint8_t proto,
		uint8_t tos)
{
	ipv4_output_mode(w, m, dst, proto, tos, false);
}

/*
 * The path of nearly every datagram sent with a way to wait (TCP): the direct one of
 * ipv4_direct.h when the neighbour is REACHABLE in the cache and frames go untagged
 * (TCP's segment builder takes it itself, writing all three headers in one pass), and
 * ipv4_output_mode, the reference, for everything else.
 */
int
ipv4_output_or_refuse(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t dst, uint8_t proto,
		      uint8_t tos)
{
	const struct arp_entry *e = ipv4_direct_neighbour(w, dst);
	struct rte_ether_hdr *eh;

	if (unlikely(e == NULL || rte_pktmbuf_headroom(m) < IPV4_DIRECT_HDRS))
		return ipv4_output_mode(w, m, dst, proto, tos, true);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, IPV4_DIRECT_HDRS);
	ipv4_direct_hdrs(w, m, eh, e, dst, proto, tos,
			 (uint16_t)(m->pkt_len - RTE_ETHER_HDR_LEN));
	worker_port_tx(w, m);
	return 0;
}
