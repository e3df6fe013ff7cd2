/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rxbuf.c -- in-order received bytes, kept in place (see rxbuf.h).
 *
 * tcp_input / tcp_ooo_drain -> rxbuf_append; conn_deliver -> rxbuf_consume (rxbuf.h; the
 * walk over several mbufs here). The inline consume keeps the mbuf of a message read
 * whole for the segments of the iteration (seg_spares.h); worker_flush ->
 * seg_spares_release returns what they did not take.
 */

#include <string.h>

#include <rte_mbuf.h>

#include "tcp/rxbuf.h"
#include "core/worker.h"

__rte_noinline void
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

void
rxbuf_append(struct sl_worker *w, struct rxbuf *rb, struct rte_mbuf *m)
{
	/* Split a chain into single segments: each becomes its own slice. */
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rxbuf_append_seg(rb, m, w->tcp.mdyn);
		m = next;
	}
}

void
rxbuf_consume_walk(struct sl_worker *w, struct rxbuf *rb, uint32_t n)
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

void
seg_spares_release(struct seg_spares *sp)
{
	uint32_t i;

	for (i = 0; i < sp->n; i++)
		rte_mbuf_raw_free(sp->m[i]);
	sp->n = 0;
}
