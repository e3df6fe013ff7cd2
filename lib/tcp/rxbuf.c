/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rxbuf.c -- in-order received bytes, kept in place (see rxbuf.h).
 *
 * tcp_input / tcp_ooo_drain -> rxbuf_append; conn_deliver -> rxbuf_consume.
 */

#include <string.h>

#include <rte_mbuf.h>

#include "tcp/rxbuf.h"
#include "core/worker.h"

/* A segment not queued on its own: its bytes (if any) go after the tail's, then it is
 * freed. Out of line, so that queueing a segment, the usual case, needs no stack frame
 * for the free. */
static __rte_noinline void
rxbuf_merge_seg(struct rte_mbuf *tail, struct rte_mbuf *m)
{
	uint16_t len = m->data_len;

	if (len > 0) {
		memcpy(rte_pktmbuf_mtod_offset(tail, void *, tail->data_len),
		       rte_pktmbuf_mtod(m, void *), len);
		tail->data_len = (uint16_t)(tail->data_len + len);
		tail->pkt_len += len;
	}
	rte_pktmbuf_free_seg(m);
}

static inline void
rxbuf_push_seg(struct sl_worker *w, struct rxbuf *rb, struct rte_mbuf *m)
{
	struct rte_mbuf *tail = rb->q.tail;
	uint16_t len = m->data_len;

	rb->bytes += len;
	/* An empty segment is dropped. A small payload is merged into the tail when that
	 * mbuf is ours alone: appending after its bytes changes nothing anyone else may be
	 * looking at. */
	if (len == 0 ||
	    (len <= RXBUF_MERGE_MAX && tail != NULL && RTE_MBUF_DIRECT(tail) &&
	     rte_mbuf_refcnt_read(tail) == 1 && rte_pktmbuf_tailroom(tail) >= len)) {
		rxbuf_merge_seg(tail, m);
		return;
	}
	rb->truesize += m->buf_len;
	mbuf_fifo_push(&rb->q, m, w->tcp.mdyn);
}

void
rxbuf_append(struct sl_worker *w, struct rxbuf *rb, struct rte_mbuf *m)
{
	/* Split a chain into single segments: each becomes its own slice. */
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		rxbuf_push_seg(w, rb, m);
		m = next;
	}
}

void
rxbuf_consume(struct sl_worker *w, struct rxbuf *rb, uint32_t n)
{
	rb->bytes -= n;
	rb->consumed += n;
	while (n > 0) {
		struct rte_mbuf *m = rb->q.head;

		if (n < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)n);
			return;
		}
		n -= m->data_len;
		mbuf_fifo_pop(&rb->q, w->tcp.mdyn);
		rb->truesize -= m->buf_len;
		rte_pktmbuf_free_seg(m);
	}
}

void
rxbuf_free(struct sl_worker *w, struct rxbuf *rb)
{
	mbuf_fifo_free(&rb->q, w->tcp.mdyn);
	rb->bytes = 0;
	rb->truesize = 0;
}
