/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_MBUF_UTIL_H
#define SL_MBUF_UTIL_H

/* Small mbuf helpers DPDK does not have. */

#include <stdint.h>

#include <rte_mbuf.h>

/*
 * A received mbuf about to be sent back (an ARP or echo reply, a RST, written in place):
 * forget its receive offload flags, but keep the flags that say whose buffer it is
 * (RTE_MBUF_F_EXTERNAL, RTE_MBUF_F_INDIRECT). A PMD may hand us mbufs that point into
 * external or shared buffers; without those flags the free returns the mbuf to its pool
 * with the foreign buffer still attached.
 */
static inline void
mbuf_ol_reset(struct rte_mbuf *m)
{
	m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;
}

/* Shorten a (possibly chained) packet to len bytes, freeing segments that fall entirely
 * beyond it. rte_pktmbuf_trim() only trims within the last segment. */
static inline void
mbuf_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m, *prev = NULL;
	uint32_t off = 0;

	if (len >= m->pkt_len)
		return;
	if (len == 0) {
		/* Nothing is kept: an empty first segment, as DPDK's checks expect. */
		if (m->next != NULL)
			rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
		m->data_len = 0;
		m->pkt_len = 0;
		return;
	}
	while (seg != NULL && off + seg->data_len <= len) {
		off += seg->data_len;
		prev = seg;
		seg = seg->next;
	}
	/* seg holds byte `len` (or starts exactly at it). */
	if (seg != NULL && off < len) {
		seg->data_len = (uint16_t)(len - off);
		prev = seg;
		seg = seg->next;
	}
	if (prev != NULL && seg != NULL) {
		uint16_t nb = 0;
		struct rte_mbuf *s;

		prev->next = NULL;
		for (s = seg; s != NULL; s = s->next)
			nb++;
		m->nb_segs = (uint16_t)(m->nb_segs - nb);
		rte_pktmbuf_free(seg);
	}
	m->pkt_len = len;
}

#endif /* SL_MBUF_UTIL_H */
