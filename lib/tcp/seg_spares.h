/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_SEG_SPARES_H
#define SL_SEG_SPARES_H

/*
 * Received mbufs the application has read, kept for the segments TCP builds in the same
 * poll iteration. A request-response connection reads each message whole in the delivery
 * phase (rxbuf_consume frees its one mbuf) and answers it in the output phase (tcp_output
 * takes a fresh mbuf for the segment): the answer's segment is built in the request's
 * mbuf, just read and still in cache, without a round trip through the mempool (its
 * per-lcore cache lookup, the put, the get). What no segment took goes back to the pool
 * at the end of the iteration (worker_flush), so the pool's counts are exact between polls
 * and no mbuf is held while a connection is idle.
 *
 * Only segments are built from them: a frame leaves within the iteration (or waits in the
 * bounded TX queue), so an mbuf of another pool (a segment another worker received and
 * handed over, or the peer stack's over a test's or the bench's ring link) is held no
 * longer than its own free would have kept it from home, and returns to its own pool
 * (m->pool) when the port or the peer frees it. A send-queue chunk, held until ACKed,
 * comes from the worker's pool as before (txbuf_chunk_take).
 *
 * What a spare is when taken: what rte_pktmbuf_alloc returns. rte_pktmbuf_prefree_seg
 * left it as the mempool keeps its mbufs (one reference, direct, no next segment, one
 * segment), and seg_spare_take resets the rest (rte_pktmbuf_reset;
 * tests/unit/tcp/test_rxbuf.c checks the state). Only mbufs at least as large as the
 * worker's own are kept (buf_len): a segment that fits one of those fits any spare, so
 * taking a spare never turns a one-mbuf frame into a chain, and each has the standard
 * headroom.
 */

#include <stdint.h>

#include <rte_mbuf.h>

/* At most this many per iteration: one RX burst's worth of messages read whole. */
#define SEG_SPARE_MAX 32

struct seg_spares {
	uint32_t n;
	uint16_t buf_len;	/* the worker's pool's buf_len: smaller mbufs are not kept */
	struct rte_mbuf *m[SEG_SPARE_MAX];
};

/* A received single-segment mbuf the application is done with: kept for a segment, or
 * freed as rte_pktmbuf_free_seg does. */
static __rte_always_inline void
seg_spare_put(struct seg_spares *sp, struct rte_mbuf *m)
{
	m = rte_pktmbuf_prefree_seg(m);
	if (unlikely(m == NULL))
		return;		/* someone else still holds it */
	if (likely(sp->n < SEG_SPARE_MAX && m->buf_len >= sp->buf_len))
		sp->m[sp->n++] = m;
	else
		rte_mbuf_raw_free(m);
}

/* The last spare kept (sp->n > 0), in the state rte_pktmbuf_alloc returns an mbuf in. */
static __rte_always_inline struct rte_mbuf *
seg_spare_take(struct seg_spares *sp)
{
	struct rte_mbuf *m = sp->m[--sp->n];

	rte_pktmbuf_reset(m);
	/* What the reset set, known without its test of buf_len: a kept mbuf holds the
	 * standard headroom (seg_spare_put). */
	m->data_off = RTE_PKTMBUF_HEADROOM;
	return m;
}

/* Every spare back to its pool (at the end of each poll iteration, and at teardown).
 * Out of line (rxbuf.c): the poll loop has only the test of n inline. */
void
seg_spares_release(struct seg_spares *sp);

#endif /* SL_SEG_SPARES_H */
