/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RXBUF_H
#define SL_RXBUF_H

/* rxbuf.c: a connection's received, in-order bytes that the application has not consumed
 * yet. They stay in the mbufs the NIC wrote them into: the buffer is a FIFO of
 * single-segment mbufs whose data pointers have been moved onto the payload, so each
 * mbuf is one slice of the byte stream. Tiny payloads are copied into the previous
 * mbuf's tailroom instead of pinning a whole mbuf each (a peer sending one byte per
 * segment would otherwise exhaust the pool long before the window closes). */

#include <stdint.h>

#include <rte_mbuf.h>

#include "net/mbuf_dyn.h"
#include "tcp/seg_spares.h"

struct sl_worker;

/* Payloads up to this size are merged into the tail mbuf when it has room. */
#define RXBUF_MERGE_MAX 512

struct rxbuf {
	struct mbuf_fifo q;
	uint32_t bytes;		/* unconsumed bytes */
	uint32_t truesize;	/* data room of the mbufs held */
	uint64_t consumed;	/* stream offset of the first unconsumed byte */
};

/* Append m (data pointer on the payload; may be chained). Consumes m. */
void
rxbuf_append(struct sl_worker *w, struct rxbuf *rb, struct rte_mbuf *m);

/* A segment not queued on its own: its bytes (if any) go after the tail's (tail may be
 * NULL when there are none), then it is freed. Out of line, so that queueing a segment,
 * the usual case, needs no stack frame for the free. */
void
rxbuf_merge_seg(struct rte_mbuf *tail, struct rte_mbuf *m);

/* rxbuf_append of a single-segment m (m->next is NULL), inline for the receive path;
 * mdyn is the worker's mbuf dynamic-field offset (w->tcp.mdyn). Consumes m. */
static inline void
rxbuf_append_seg(struct rxbuf *rb, struct rte_mbuf *m, int mdyn)
{
	struct rte_mbuf *tail = rb->q.tail;
	uint16_t len = m->data_len;

	m->nb_segs = 1;
	m->pkt_len = len;
	rb->bytes += len;
	/* An empty segment is dropped. A small payload is merged into the tail when that
	 * mbuf is ours alone: appending after its bytes changes nothing anyone else may be
	 * looking at. The empty buffer is told first: a request-response connection finds
	 * it so at every segment, and then only the length matters. */
	if (tail == NULL ? len == 0 :
	    (len == 0 || (len <= RXBUF_MERGE_MAX && RTE_MBUF_DIRECT(tail) &&
	     rte_mbuf_refcnt_read(tail) == 1 && rte_pktmbuf_tailroom(tail) >= len))) {
		rxbuf_merge_seg(tail, m);
		return;
	}
	rb->truesize += m->buf_len;
	mbuf_fifo_push(&rb->q, m, mdyn);
}

/* rxbuf_consume past its usual case: the walk over the mbufs the n bytes span. */
void
rxbuf_consume_walk(struct sl_worker *w, struct rxbuf *rb, uint32_t n);

/* m, of len bytes (len != 0), is the buffer's only mbuf, and its bytes all the buffer's. */
static __rte_always_inline bool
rxbuf_is_only(const struct rxbuf *rb, const struct rte_mbuf *m, uint32_t len)
{
	return rb->q.head == m && rb->q.tail == m && rb->bytes == len;
}

/* Drop every byte of a buffer of one mbuf m (rxbuf_is_only): the buffer empty, as
 * rxbuf_consume_walk leaves it, and m freed, into the worker's segment spares (sp, the
 * worker's w->tcp.seg_spares: the answer's segment will be built in it). */
static __rte_always_inline void
rxbuf_consume_only(struct seg_spares *sp, struct rxbuf *rb, struct rte_mbuf *m)
{
	rb->q.head = NULL;
	rb->q.tail = NULL;
	rb->q.n = 0;
	rb->consumed += rb->bytes;
	rb->bytes = 0;
	rb->truesize -= m->buf_len;
	seg_spare_put(sp, m);
}

/* Drop the first n (<= bytes) bytes. Inline for the usual case, every byte of a buffer of
 * one mbuf (a request-response connection reads each message whole): rxbuf_consume_only.
 * Called through rxbuf_consume, which finds sp in w where struct sl_worker is known. */
static __rte_always_inline void
rxbuf_consume_sp(struct sl_worker *w, struct seg_spares *sp, struct rxbuf *rb, uint32_t n)
{
	struct rte_mbuf *m = rb->q.head;

	if (likely(n == rb->bytes && n != 0 && m == rb->q.tail)) {
		rxbuf_consume_only(sp, rb, m);
		return;
	}
	rxbuf_consume_walk(w, rb, n);
}

/* void rxbuf_consume(struct sl_worker *w, struct rxbuf *rb, uint32_t n); needs
 * core/worker.h. */
#define rxbuf_consume(w, rb, n) rxbuf_consume_sp((w), &(w)->tcp.seg_spares, (rb), (n))

/* Free everything. */
void
rxbuf_free(struct sl_worker *w, struct rxbuf *rb);

#endif /* SL_RXBUF_H */
