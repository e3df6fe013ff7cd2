/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txbuf.c -- the send/retransmission queue (see txbuf.h).
 *
 * sl_conn_send -> txbuf_append; tcp_output -> txbuf_copy; ACK processing -> txbuf_ack;
 * sl_worker_poll -> txbuf_spares_release (before the output phase).
 *
 * Chunks come from the worker's packet pool, which everything else needs too: the RX
 * ring refills from it and every segment TCP sends is built in a fresh mbuf. Per-flow
 * budgets (sndbuf) do not bound the sum over many flows, so the send queues of a worker
 * together stop at tcp_worker.txbuf_mbufs_max, leaving the port's descriptors and TX
 * queue their share, and, as set each poll iteration (txbuf_mbufs_lim, tcp_mem.h), where
 * the pool's free count reaches its reserve. Without that limit the application's writes
 * can take the last mbuf; then no segment can leave, no ACK returns, and no send queue
 * ever drains.
 */

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "tcp/tcp_mem.h"
#include "tcp/txbuf.h"
#include "core/worker.h"

#define TXBUF_BULK 16

/* A chunk an ACK freed: kept for the next write of this iteration (txbuf.h). Only one
 * nobody else holds a reference to may be written again; the others, and those past the
 * bound, go to the pool. */
static inline void
txbuf_spare_put(struct sl_worker *w, struct rte_mbuf *m)
{
	struct txbuf_spares *sp = &w->tcp.txbuf_spares;

	if (likely(sp->n < TXBUF_SPARE_MAX && rte_mbuf_refcnt_read(m) == 1))
		sp->m[sp->n++] = m;
	else
		rte_pktmbuf_free(m);
}

struct rte_mbuf *
txbuf_chunk_take(struct sl_worker *w)
{
	struct txbuf_spares *sp = &w->tcp.txbuf_spares;

	return sp->n > 0 ? txbuf_spare_take(sp) : worker_mbuf_alloc(w);
}

uint32_t
txbuf_chunks_for(const struct sl_worker *w, uint32_t len)
{
	uint32_t chunk = txbuf_chunk_room(w->pool);

	return (uint32_t)(((uint64_t)len + chunk - 1) / chunk);
}

/* The chunks of a write past what the pool's spares gave: in bulk, all or none. On
 * failure every chunk added after old_tail (the queue's tail before the write, old_n its
 * length) goes back to the pool, spares included, and the queue is as it was. Out of
 * line: most writes fit the tail or take one spare. */
static __rte_noinline int
txbuf_grow_pool(struct sl_worker *w, struct txbuf *tb, uint32_t left,
		struct rte_mbuf *old_tail, uint32_t old_n)
{
	const int off = w->tcp.mdyn;
	struct rte_mbuf *fresh[TXBUF_BULK], *m;
	uint32_t n, i;

	for (; left > 0; left -= n) {
		n = RTE_MIN(left, (uint32_t)TXBUF_BULK);
		if (rte_pktmbuf_alloc_bulk(w->pool, fresh, n) != 0)
			goto nomem;
		for (i = 0; i < n; i++)
			mbuf_fifo_push(&tb->q, fresh[i], off);
		w->tcp.txbuf_mbufs += n;
	}
	return 0;
nomem:
	m = old_tail != NULL ? mdyn(old_tail, off)->link : tb->q.head;
	while (m != NULL) {
		struct rte_mbuf *next = mdyn(m, off)->link;

		rte_pktmbuf_free(m);
		w->tcp.txbuf_mbufs--;
		m = next;
	}
	if (old_tail != NULL)
		mdyn(old_tail, off)->link = NULL;
	else
		tb->q.head = NULL;
	tb->q.tail = old_tail;
	tb->q.n = old_n;
	w->stats.mbuf_alloc_fail++;
	return -ENOBUFS;
}

/* Phase 1 of txbuf_append: chunks for need bytes past the tail's room, spares first (the
 * usual case: one chunk, and an ACK of this iteration freed one), or -ENOBUFS with the
 * queue untouched. */
static inline int
txbuf_grow(struct sl_worker *w, struct txbuf *tb, uint32_t need)
{
	struct txbuf_spares *sp = &w->tcp.txbuf_spares;
	struct rte_mbuf *old_tail = tb->q.tail;
	uint32_t old_n = tb->q.n;
	uint32_t chunk = txbuf_chunk_room(w->pool);
	uint32_t left = need <= chunk ? 1 : (need + chunk - 1) / chunk;

	if (w->tcp.txbuf_mbufs + left > w->tcp.txbuf_mbufs_lim &&
	    !tcp_mem_snd_admit(w, tb, left)) {
		w->stats.tcp_txbuf_full++;
		return -ENOBUFS;
	}
	for (; left > 0 && sp->n > 0; left--) {
		mbuf_fifo_push_unlinked(&tb->q, txbuf_spare_take(sp), w->tcp.mdyn);
		w->tcp.txbuf_mbufs++;
	}
	return left > 0 ? txbuf_grow_pool(w, tb, left, old_tail, old_n) : 0;
}

int
txbuf_append(struct sl_worker *w, struct txbuf *tb, const void *data, uint32_t len)
{
	const int off = w->tcp.mdyn;
	struct rte_mbuf *tail = tb->q.tail;
	uint32_t room = tail != NULL ? rte_pktmbuf_tailroom(tail) : 0;
	const uint8_t *src = data;

	/* Phase 1: every chunk the write needs, or fail with the queue untouched. */
	if (len > room) {
		if (txbuf_grow(w, tb, len - room) != 0)
			return -ENOBUFS;
		if (room == 0)
			tail = tail == NULL ? tb->q.head : mdyn(tail, off)->link;
	}
	/* Phase 2: copy, starting in the old tail's tailroom. */
	tb->bytes += len;
	while (len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(tail));

		memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len), src, k);
		tail->data_len = (uint16_t)(tail->data_len + k);
		tail->pkt_len += k;
		src += k;
		len -= k;
		if (len > 0)
			tail = mdyn(tail, off)->link;
	}
	return 0;
}

/* always_inline on this external definition (txbuf.h declares it plainly) makes
 * link-time optimisation inline it into the ACK path, which calls it for every ACK of new
 * data (a plain `inline` hint was not always taken). */
__rte_always_inline void
txbuf_ack(struct sl_worker *w, struct txbuf *tb, uint32_t n)
{
	tb->bytes -= n;
	tb->rd = NULL;
	/* The ACK of a request-response exchange: exactly the one chunk queued. What the
	 * loop below does for it, without the loop (its link is NULL: it is the tail). */
	if (n != 0 && tb->q.head == tb->q.tail && n == tb->q.head->data_len) {
		struct rte_mbuf *m = tb->q.head;

		tb->q.head = NULL;
		tb->q.tail = NULL;
		tb->q.n = 0;
		rte_prefetch0(rte_pktmbuf_mtod(m, const void *));
		txbuf_spare_put(w, m);
		w->tcp.txbuf_mbufs--;
		return;
	}
	while (n > 0) {
		struct rte_mbuf *m = tb->q.head;

		if (n < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)n);
			return;
		}
		n -= m->data_len;
		mbuf_fifo_pop(&tb->q, w->tcp.mdyn);
		/* A spare's link is NULL (txbuf.h); the pop just read the line. */
		mdyn(m, w->tcp.mdyn)->link = NULL;
		/* Its first data line, written an RTT ago, is where its next use writes first
		 * (a chunk, from the spares or the LIFO pool, or a segment's frame, within
		 * the iteration): fetched now, it is there by then. */
		rte_prefetch0(rte_pktmbuf_mtod(m, const void *));
		txbuf_spare_put(w, m);
		w->tcp.txbuf_mbufs--;
	}
}

void
txbuf_copy_walk(struct sl_worker *w, struct txbuf *tb, uint32_t off, uint32_t len, void *dst)
{
	struct rte_mbuf *m = tb->q.head;
	uint32_t base = 0;
	uint8_t *d = dst;

	if (tb->rd != NULL && tb->rd_base <= off) {
		m = tb->rd;
		base = tb->rd_base;
	}
	while (off >= base + m->data_len) {
		base += m->data_len;
		m = mdyn(m, w->tcp.mdyn)->link;
	}
	/* The cursor stays on the chunk of the last byte copied: the next segment starts in
	 * it or, when this one ended with it, the walk above moves on. */
	for (;;) {
		uint32_t in = off - base;
		uint32_t k = RTE_MIN(len, (uint32_t)m->data_len - in);

		memcpy(d, rte_pktmbuf_mtod_offset(m, uint8_t *, in), k);
		len -= k;
		if (len == 0)
			break;
		d += k;
		off += k;
		base += m->data_len;
		m = mdyn(m, w->tcp.mdyn)->link;
	}
	tb->rd = m;
	tb->rd_base = base;
}

void
txbuf_free(struct sl_worker *w, struct txbuf *tb)
{
	w->tcp.txbuf_mbufs -= tb->q.n;
	mbuf_fifo_free(&tb->q, w->tcp.mdyn);
	tb->bytes = 0;
	tb->rd = NULL;
}

void
txbuf_spares_release(struct sl_worker *w)
{
	struct txbuf_spares *sp = &w->tcp.txbuf_spares;

	rte_pktmbuf_free_bulk(sp->m, sp->n);
	sp->n = 0;
}
