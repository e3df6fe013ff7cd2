/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_MBUF_UTIL_H
#define SL_MBUF_UTIL_H

/* Small mbuf helpers DPDK does not have. */

#include <stdint.h>

#include <rte_mbuf.h>

/* Shorten a (possibly chained) packet to len bytes, freeing segments that fall entirely
 * beyond it. rte_pktmbuf_trim() only trims within the last segment. */
static inline void
mbuf_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m, *prev = NULL;
	uint32_t off = 0;

	if (len >= m->pkt_len)
		return;
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
