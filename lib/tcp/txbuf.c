/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txbuf.c -- the send/retransmission queue (see txbuf.h).
 *
 * sl_conn_send -> txbuf_append; tcp_output -> txbuf_copy; ACK processing -> txbuf_ack.
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

uint32_t
txbuf_chunks_for(const struct sl_worker *w, uint32_t len)
{
	uint32_t chunk = txbuf_chunk_room(w->pool);

	return (uint32_t)(((uint64_t)len + chunk - 1) / chunk);
}

int
txbuf_append(struct sl_worker *w, struct txbuf *tb, const void *data, uint32_t len)
{
	const int off = w->tcp.mdyn;
	struct rte_mbuf *tail = tb->q.tail, *old_tail = tb->q.tail, *fresh[TXBUF_BULK], *m;
	const uint8_t *src = data;
	uint32_t room = tail != NULL ? rte_pktmbuf_tailroom(tail) : 0;
	uint32_t chunk = txbuf_chunk_room(w->pool);
	uint32_t old_n = tb->q.n, left, n, i;

	if (len == 0)
		return 0;
	/* Phase 1: get every chunk the write needs, or fail with the queue untouched. */
	left = len > room ? (len - room + chunk - 1) / chunk : 0;
	if (w->tcp.txbuf_mbufs + left > w->tcp.txbuf_mbufs_lim &&
	    !tcp_mem_snd_admit(w, tb, left)) {
		w->stats.tcp_txbuf_full++;
		return -ENOBUFS;
	}
	for (; left > 0; left -= n) {
		n = RTE_MIN(left, (uint32_t)TXBUF_BULK);
		if (rte_pktmbuf_alloc_bulk(w->pool, fresh, n) != 0)
			goto nomem;
		for (i = 0; i < n; i++)
			mbuf_fifo_push(&tb->q, fresh[i], off);
		w->tcp.txbuf_mbufs += n;
	}
	/* Phase 2: copy, starting in the old tail's tailroom. */
	if (tail == NULL || room == 0)
		tail = tail == NULL ? tb->q.head : mdyn(tail, off)->link;
	while (len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(tail));

		memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len), src, k);
		tail->data_len = (uint16_t)(tail->data_len + k);
		tail->pkt_len += k;
		tb->bytes += k;
		src += k;
		len -= k;
		if (len > 0)
			tail = mdyn(tail, off)->link;
	}
	return 0;
nomem:
	/* Undo phase 1: free the chunks added after the old tail. */
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

void
txbuf_ack(struct sl_worker *w, struct txbuf *tb, uint32_t n)
{
	tb->bytes -= n;
	tb->rd = NULL;
	while (n > 0) {
		struct rte_mbuf *m = tb->q.head;

		if (n < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)n);
			return;
		}
		n -= m->data_len;
		mbuf_fifo_pop(&tb->q, w->tcp.mdyn);
		/* Its first data line, written an RTT ago, is where its next use writes first
		 * (a chunk or a segment's frame, taken from the LIFO pool within the
		 * iteration): fetched now, it is there by then. */
		rte_prefetch0(rte_pktmbuf_mtod(m, const void *));
		rte_pktmbuf_free(m);
		w->tcp.txbuf_mbufs--;
	}
}

void
txbuf_copy(struct sl_worker *w, struct txbuf *tb, uint32_t off, uint32_t len, void *dst)
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
	while (len > 0) {
		uint32_t in = off - base;
		uint32_t k = RTE_MIN(len, (uint32_t)m->data_len - in);

		memcpy(d, rte_pktmbuf_mtod_offset(m, uint8_t *, in), k);
		d += k;
		off += k;
		len -= k;
		if (off == base + m->data_len && mdyn(m, w->tcp.mdyn)->link != NULL) {
			base += m->data_len;
			m = mdyn(m, w->tcp.mdyn)->link;
		}
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
