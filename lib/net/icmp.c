/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp.c -- ICMP: echo requests are turned into replies in the same mbuf; destination
 * unreachable (with "fragmentation needed", path MTU discovery) and time exceeded go to
 * TCP (tcp_icmp.c); every other message is counted.
 *
 * RX: ipv4_input -> icmp_input -> port_tx (the reply reuses the request's buffer)
 *                              -> tcp_icmp_input (types 3 and 11)
 *
 * Echo requests to a broadcast address are ignored, as Linux does by default
 * (icmp_echo_ignore_broadcasts), so a spoofed broadcast ping cannot make us reflect.
 */

#define SL_LOG_MODULE icmp	/* sluice.icmp (core/log.h) */

#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip_frag.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net/cksum.h"
#include "net/eth.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/mbuf_util.h"
#include "net/port.h"
#include "core/worker.h"
#include "tcp/tcp_icmp.h"

/* RFC 792 destination unreachable, RFC 1191 code 4 (DPDK 22.11 names neither). */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_TIME_EXCEEDED 11

/* RFC 1624 incremental update: one 16-bit word of the message changed from old to new. */
static rte_be16_t
icmp_cksum_adjust(rte_be16_t cksum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint32_t)(~rte_be_to_cpu_16(cksum) & 0xffff) + (~old & 0xffff) + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

/* Fragments of the largest echo reply (65,535 bytes in 1,500-byte frames: 45). */
#define ICMP_REPLY_FRAGS_MAX 48

/* An echo reply larger than the MTU: the answer to a request that came in fragments
 * (ipfrag.c), whose data it must carry whole (RFC 1122 §3.2.2.6). It leaves in fragments
 * as the request came, cut by rte_ip_frag (the headers in new mbufs, the data referenced,
 * not copied). A request that had DF set cannot be answered so (it could not have arrived
 * larger than our MTU either) and is dropped. Consumes m. */
static void
icmp_reply_fragmented(struct sl_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	struct rte_mbuf *out[ICMP_REPLY_FRAGS_MAX];
	struct rte_ether_addr dst;
	int n, i;

	rte_ether_addr_copy(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, &dst);
	n = -EINVAL;
	if (!(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))) {
		ip->hdr_checksum = 0;
		rte_pktmbuf_adj(m, m->l2_len);
		n = rte_ipv4_fragment_packet(m, out, RTE_DIM(out), w->cfg->mtu, w->pool,
					     w->pool);
	}
	rte_pktmbuf_free(m);	/* the fragments hold references to its data */
	if (n <= 0) {
		w->stats.icmp_drop_too_big++;
		return;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *f = out[i];
		struct rte_ipv4_hdr *fip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);
		struct rte_ether_hdr *eh;

		f->l3_len = sizeof(*fip);
		eh = eth_prepend(w, f, RTE_ETHER_TYPE_IPV4);
		if (unlikely(eh == NULL)) {
			w->stats.tx_drop_headroom++;
			rte_pktmbuf_free(f);
			continue;
		}
		rte_ether_addr_copy(&dst, &eh->dst_addr);
		ipv4_cksum_finish(w, f, fip);
		port_tx(w, f);
	}
	w->stats.icmp_tx_echo_reply++;
	w->stats.icmp_tx_reply_frags += (uint64_t)n;
}

void
icmp_input(struct sl_worker *w, struct rte_mbuf *m, bool broadcast)
{
	const uint32_t off = (uint32_t)m->l2_len + m->l3_len;
	const uint32_t len = m->pkt_len - off;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	rte_be32_t a;

	if (unlikely(len < sizeof(*ic) || rte_pktmbuf_data_len(m) < off + sizeof(*ic))) {
		w->stats.icmp_drop_short++;
		goto drop;
	}
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, off);
	if (ic->icmp_type == ICMP_DEST_UNREACH || ic->icmp_type == ICMP_TIME_EXCEEDED) {
		/* Errors about what we sent (tcp_icmp.c): path MTU discovery, unreachable
		 * peers. No router sends errors to a broadcast. */
		if (broadcast || cksum_mbuf(m, off, len) != 0xffff) {
			w->stats.icmp_err_invalid++;
			goto drop;
		}
		if (ic->icmp_type == ICMP_DEST_UNREACH && ic->icmp_code == ICMP_FRAG_NEEDED)
			w->stats.icmp_rx_frag_needed++;
		else
			w->stats.icmp_rx_unreach++;
		tcp_icmp_input(w, m);
		return;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST) {
		w->stats.icmp_rx_other++;
		goto drop;
	}
	if (broadcast) {
		w->stats.icmp_drop_broadcast++;
		goto drop;
	}
	if (cksum_mbuf(m, off, len) != 0xffff) {
		w->stats.icmp_drop_cksum++;
		goto drop;
	}
	w->stats.icmp_rx_echo++;

	/* Type 8 -> 0 in the first word (type << 8 | code); identifier, sequence and data
	 * stay as they are. */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = icmp_cksum_adjust(ic->icmp_cksum,
					   (uint16_t)(RTE_IP_ICMP_ECHO_REQUEST << 8), 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	a = ip->src_addr;
	ip->src_addr = w->ip;
	ip->dst_addr = a;
	ip->time_to_live = w->ttl;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&w->mac, &eh->src_addr);
	mbuf_ol_reset(m);
	if (unlikely(m->pkt_len - m->l2_len > w->cfg->mtu)) {
		icmp_reply_fragmented(w, m, ip);
		return;
	}
	ipv4_cksum_finish(w, m, ip);
	w->stats.icmp_tx_echo_reply++;
	port_tx(w, m);
	return;
drop:
	rte_pktmbuf_free(m);
}
