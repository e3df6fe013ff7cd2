/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_MEM_H
#define SL_TCP_MEM_H

/*
 * tcp_mem.c: the worker's mbuf pool under pressure (Linux's tcp_mem and receive-queue
 * pruning, adapted to one pool per worker).
 *
 * Every mbuf the worker uses comes from one pool: the RX ring refills from it, and so do
 * the send queues, the frames TCP builds and the received bytes the application has not
 * read. The send queues are bounded together (txbuf_mbufs_max); received bytes only per
 * connection (--rcvbuf). Connections that never read what they are sent hold both at
 * their limit: their replies stay queued because the peer's window is closed, and their
 * requests stay unread because the application is paused on that full queue. Enough of
 * them take the last mbuf, the PMD cannot refill its RX descriptors, and no frame arrives
 * again, not even the ACKs that would free the other connections' send queues: the worker
 * is stuck for good.
 *
 * Once per poll iteration (stack.c, worker_pool), tcp_mem_update reads the pool's free
 * count cheaply (the common pool's count plus this lcore's cache) and sets two limits:
 *
 *   reserve      two RX bursts and one TX burst: what refilling the RX ring and sending
 *                need. The send queues may grow by no more than the free count above
 *                it this iteration (txbuf_mbufs_lim), so sends get -ENOBUFS (and
 *                on_writable) rather than the last mbufs; under pressure, only for
 *                connections whose peer's window is open (tcp_mem_snd_admit).
 *   pressure_at  reserve plus an eighth of the pool's send-queue share: below it the
 *                worker is under pressure, and tcp_data_in drops the incoming payload of
 *                connections that already hold more than their share of unread received
 *                data (tcp_mem_hoarding), counted in tcp_rx_drop_mempressure. Their ACK
 *                field, window and SACK blocks are still processed (that is what frees
 *                memory), and the peer sends the payload again, as it would after a loss
 *                (Linux drops likewise when a socket cannot charge its receive memory).
 *                Connections that hold little still take theirs, so those that keep up
 *                make progress in the band between the two limits.
 *
 * Nothing else on the RX side can pin mbufs without a bound of its own: out-of-order
 * segments go through the same test as in-order ones, IP reassembly holds at most
 * --frag-entries x 8 fragments, the ARP and handoff queues are fixed rings. A segment
 * handed to another worker (software steering) stays in this worker's pool while its
 * owner holds it, and the owner cannot relieve this pool by dropping it: once this pool
 * is into its reserve, the payload is dropped here, before the handoff
 * (tcp_mem_handoff_drop). Inside the reserve every connection that holds received data
 * is refused.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "core/worker.h"

struct txbuf;

/* Under pressure (above the reserve), a connection holding fewer mbufs of received data
 * than this, or than its share if larger, still takes payload: a couple of segments and
 * the start of a message. */
#define TCP_MEM_HELD_MIN 4u

/* The thresholds, from the configuration (tcp_worker_init). */
void
tcp_mem_init(struct sl_worker *w);

/* The cache length of a pool without one for this lcore (tcp_worker.mem_cache_len). */
static const uint32_t tcp_mem_no_cache_len;

/* Free mbufs of the worker's pool: the common pool (its driver's get_count, a ring's
 * count for the default one; rte_mempool_ops_get_count is not exported) plus this lcore's
 * cache. Other lcores' caches (workers that freed handed-over mbufs into it) are not
 * counted, which errs on the safe side; rte_mempool_avail_count would walk them all.
 * For DPDK's ring drivers (every "ring_*" one keeps its objects in the rte_ring at
 * pool_data, and its get_count is rte_ring_count of it) the ring is read here, inline:
 * the same number without an indirect call on every poll iteration. */
static __rte_always_inline uint32_t
tcp_mem_free(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	unsigned int lcore = rte_lcore_id();
	uint32_t common;

	if (unlikely(lcore != t->mem_lcore)) {
		const struct rte_mempool_cache *c = rte_mempool_default_cache(w->pool, lcore);

		t->mem_lcore = lcore;
		t->mem_cache_len = c != NULL ? &c->len : &tcp_mem_no_cache_len;
	}
	if (likely(t->mem_ring != NULL)) {
		common = rte_ring_count(t->mem_ring);
	} else {
		const struct rte_mempool_ops *ops = rte_mempool_get_ops(w->pool->ops_index);

		common = ops->get_count(w->pool);
	}
	return common + *t->mem_cache_len;
}

/* Once per poll iteration: the pressure flag, the hoarding threshold under pressure, and
 * how far the send queues may grow this iteration. Inline in the poll loop: its common
 * case is a dozen instructions, fewer than a call's. */
static __rte_always_inline void
tcp_mem_update(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	uint32_t free = tcp_mem_free(w), room, share;

	/* No pressure last time, and the same free count and send-queue mbufs as then
	 * (a connection busy on its own finds them so iteration after iteration): every
	 * value below is what it was set to then. */
	if (likely(free == t->mem_last_free && t->txbuf_mbufs == t->mem_last_txbuf))
		return;
	if (unlikely(free < t->mem_free_min))
		t->mem_free_min = free;
	if (likely(free >= t->mem_pressure_at)) {
		/* Above the reserve too (mem_pressure_at is). */
		t->txbuf_mbufs_lim = RTE_MIN(t->txbuf_mbufs + (free - t->mem_reserve),
					     t->txbuf_mbufs_max);
		t->mem_pressure = false;
		t->mem_in_reserve = false;
		t->mem_last_free = free;
		t->mem_last_txbuf = t->txbuf_mbufs;
		return;
	}
	/* Under pressure the send budget is per iteration: recomputed every time. */
	t->mem_last_free = UINT32_MAX;
	room = free > t->mem_reserve ? free - t->mem_reserve : 0;
	if (!t->mem_pressure)
		w->stats.tcp_mem_pressure++;
	t->mem_pressure = true;
	/* The send queues grow only through tcp_mem_snd_admit now, from what is left above
	 * the reserve. */
	t->txbuf_mbufs_lim = t->txbuf_mbufs;
	t->mem_snd_budget = room;
	t->mem_in_reserve = free < t->mem_reserve;
	if (t->mem_in_reserve) {
		/* Into the reserve: a connection that holds any received data takes no more,
		 * reader or not, so that what arrives cannot take the RX ring's last mbufs. */
		t->mem_held_max = 1;
		t->mem_burst = 0;
		return;
	}
	/* Each connection's share of the band between the two limits, at least a few mbufs,
	 * and one RX burst more for a connection whose application reads. */
	share = (t->mem_pressure_at - t->mem_reserve) / (t->nflows > 0 ? t->nflows : 1u);
	t->mem_held_max = RTE_MAX(share, TCP_MEM_HELD_MIN);
	t->mem_burst = w->rx_burst;
}

/* Under pressure: should the payload in m, for f, be dropped? When f holds more received
 * data than it may keep taking: in mbufs, the unread in-order data, and for a segment
 * after a hole (ooo) the out-of-order queue too; a segment at RCV.NXT is judged by the
 * in-order data alone, so that it can always fill a hole and let the queue behind it
 * drain. A connection whose application reads (not paused by SL_RX_AGAIN) and whose peer
 * reads too (its window holds a segment; else the application only waits for room to
 * answer) is allowed one RX burst more, except in the reserve: what one burst brings it
 * is delivered in this same iteration, and cutting a bulk transfer short at every burst
 * would cost it timeouts for memory that comes back at once. And only when m is of this worker's pool,
 * the one under pressure: a segment another worker received and handed over (software
 * steering), or one a test's link moved from the peer stack's pool (tests/sim), frees
 * nothing here. */
static inline bool
tcp_mem_hoarding(const struct sl_worker *w, const struct tcp_flow *f,
		 const struct rte_mbuf *m, bool ooo)
{
	uint32_t held = f->rx.q.n + (ooo ? f->ooo.nsegs : 0u);
	bool reads = !(f->flags & TF_RX_PAUSED) && f->snd_wnd >= f->mss;

	return held >= w->tcp.mem_held_max + (reads ? w->tcp.mem_burst : 0u) &&
	       m->pool == w->pool;
}

/* Under pressure, the send queues' limit of the iteration stands where they were when it
 * began; a send that needs n more mbufs for the send queue tb is let through only while
 * the iteration's room above the reserve lasts, and only for a connection whose peer
 * reads (its window holds at least a segment): what is queued for a closed window could
 * not leave, and would take the band that connections which keep up need. False (the
 * caller answers -ENOBUFS, on_writable follows) otherwise, and always when not under
 * pressure. Out of line: only reached when the limit is hit. */
bool
tcp_mem_snd_admit(struct sl_worker *w, const struct txbuf *tb, uint32_t n);

/* A segment this worker received for a flow another worker owns (software steering,
 * steer.c) stays in this worker's pool while the owner holds it, and the owner cannot see
 * this pool's pressure: once this pool is into its reserve, such a segment's payload is
 * dropped here, before the handoff (pure ACKs and control segments still go). True when
 * m was dropped (counted). */
static inline bool
tcp_mem_handoff_drop(struct sl_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		     const struct rte_tcp_hdr *th)
{
	uint32_t hlen;

	/* A header too short to tell is left to the owner's checks (tcp_input). */
	if (!w->tcp.mem_in_reserve || rte_pktmbuf_data_len(m) <
	    (uint32_t)m->l2_len + m->l3_len + sizeof(struct rte_tcp_hdr))
		return false;
	hlen = (uint32_t)m->l3_len + ((th->data_off >> 4) << 2);
	if (rte_be_to_cpu_16(ip->total_length) <= hlen)
		return false;
	w->stats.tcp_rx_drop_mempressure++;
	rte_pktmbuf_free(m);
	return true;
}

#endif /* SL_TCP_MEM_H */
