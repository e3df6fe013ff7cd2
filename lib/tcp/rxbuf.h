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

#include "net/mbuf_dyn.h"

struct rte_mbuf;
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

/* Drop the first n (<= bytes) bytes. */
void
rxbuf_consume(struct sl_worker *w, struct rxbuf *rb, uint32_t n);

/* Free everything. */
void
rxbuf_free(struct sl_worker *w, struct rxbuf *rb);

#endif /* SL_RXBUF_H */
