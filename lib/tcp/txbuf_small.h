/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TXBUF_SMALL_H
#define SL_TXBUF_SMALL_H

/*
 * txbuf_append for a small write, inline in the send call (conn.c). Request-response
 * traffic writes a few bytes per message, and the write finds one of two cases:
 *
 *   - the tail chunk has room for all of it: the bytes go after the tail's;
 *   - the queue is empty or its tail is full, and an ACK of this iteration left a spare
 *     chunk (txbuf.h) under the send queues' limit: the spare becomes the tail.
 *
 * Each is what txbuf_append does in that case (the same chunk, the same counts), without
 * the call, the chunk-size arithmetic and the libc memcpy of a few bytes. Everything else
 * (a write that spans chunks, a tail with a little room, no spare, the limit reached,
 * pool pressure) takes txbuf_append, the reference (tests/unit/tcp/test_txbuf.c runs the
 * two side by side).
 */

#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "core/worker.h"
#include "tcp/txbuf.h"

/* Writes up to this many bytes take the inline path. */
#define TXBUF_SMALL_MAX 64

/* The chunk a small write of len bytes (1..TXBUF_SMALL_MAX) goes into, without taking
 * it: the tail when it has room for all of it, else a spare when the tail is full or
 * absent (as txbuf_grow takes one for a write that needs one chunk past a full tail:
 * under the limit, and a chunk holds it; a spare's room is its data room past the
 * standard headroom, as any chunk's). NULL: txbuf_append's case. Changes nothing, so a
 * caller may still decline (conn.c's direct send checks the water marks after it). */
static __rte_always_inline struct rte_mbuf *
txbuf_small_chunk(struct sl_worker *w, const struct txbuf *tb, uint32_t len)
{
	const struct tcp_worker *t = &w->tcp;
	const struct txbuf_spares *sp = &t->txbuf_spares;
	struct rte_mbuf *tail = tb->q.tail;
	uint32_t room = tail != NULL ? rte_pktmbuf_tailroom(tail) : 0;

	if (room >= len)
		return tail;
	if (room != 0 || sp->n == 0 || t->txbuf_mbufs >= t->txbuf_mbufs_lim ||
	    len + RTE_PKTMBUF_HEADROOM > sp->m[sp->n - 1]->buf_len)
		return NULL;
	return sp->m[sp->n - 1];
}

/* Place the len bytes at data in chunk, what txbuf_small_chunk returned for them: a spare
 * becomes the new tail first. Cannot fail. */
static __rte_always_inline void
txbuf_small_place(struct sl_worker *w, struct txbuf *tb, struct rte_mbuf *chunk,
		  const void *data, uint32_t len)
{
	struct tcp_worker *t = &w->tcp;
	uint8_t *dst;

	if (chunk != tb->q.tail) {
		/* The last spare (txbuf_small_chunk found it there), taken as
		 * txbuf_spare_take takes it, with its lengths set at once to the bytes
		 * that fill it (rather than zeroed, then added to). */
		RTE_ASSERT(chunk == t->txbuf_spares.m[t->txbuf_spares.n - 1]);
		t->txbuf_spares.n--;
		chunk->data_off = RTE_PKTMBUF_HEADROOM;
		chunk->data_len = (uint16_t)len;
		chunk->pkt_len = len;
		__rte_mbuf_sanity_check(chunk, 1);
		mbuf_fifo_push_unlinked(&tb->q, chunk, t->mdyn);
		t->txbuf_mbufs++;
		dst = (uint8_t *)chunk->buf_addr + RTE_PKTMBUF_HEADROOM;
	} else {
		dst = rte_pktmbuf_mtod_offset(chunk, uint8_t *, chunk->data_len);
		chunk->data_len = (uint16_t)(chunk->data_len + len);
		chunk->pkt_len += len;
	}
	if (len <= 16)
		txbuf_copy_small(dst, data, len);	/* txbuf.h */
	else
		memcpy(dst, data, len);
	tb->bytes += len;
}

/* txbuf_append (all or nothing: 0 or -ENOBUFS), the two small cases inline. */
static __rte_always_inline int
txbuf_append_small(struct sl_worker *w, struct txbuf *tb, const void *data, uint32_t len)
{
	struct rte_mbuf *chunk;

	if (unlikely(len - 1 >= TXBUF_SMALL_MAX))	/* 0 too: nothing to place */
		return txbuf_append(w, tb, data, len);
	chunk = txbuf_small_chunk(w, tb, len);
	if (chunk == NULL)
		return txbuf_append(w, tb, data, len);
	txbuf_small_place(w, tb, chunk, data, len);
	return 0;
}

#endif /* SL_TXBUF_SMALL_H */
