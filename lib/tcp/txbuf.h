/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TXBUF_H
#define SL_TXBUF_H

/* txbuf.c: a connection's send queue, which is also its retransmission queue. Bytes the
 * application writes are copied into the tailroom of the last chunk (an mbuf from the
 * worker's pool), so many small writes share memory and later share segments. Bytes
 * stay until the peer acknowledges them; segments copy their payload out of the queue.
 * Chunks an ACK frees are kept aside for the writes of the same poll iteration (struct
 * txbuf_spares), the rest go back to the pool before the output phase. */

#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "net/mbuf_dyn.h"

struct rte_mbuf;
struct sl_worker;

/* Chunks the ACKs of this poll iteration freed, in the order freed (the last one is the
 * warmest, and taken first). A request-response connection gets its answer and the ACK of
 * its last write in one segment and writes again from on_message: the chunk the ACK freed
 * becomes the chunk of that write, without a round trip through the mempool (its cache
 * lookup, the mbuf reset, the reference count). Bounded, and emptied into the pool once
 * per iteration (txbuf_spares_release), so the pool's counts are exact between polls and
 * no connection keeps a buffer while it is idle. */
#define TXBUF_SPARE_MAX 32

/* Each spare's link (mbuf_dyn.h) is NULL, as the tail of the queue it left had it or as
 * txbuf_ack set it: the write that takes it queues it without that store
 * (mbuf_fifo_push_unlinked). */
struct txbuf_spares {
	uint32_t n;
	struct rte_mbuf *m[TXBUF_SPARE_MAX];
};

/* The last spare (sp->n > 0), empty again. The send queue only ever moves a chunk's data
 * offset (rte_pktmbuf_adj) and sets its lengths; everything else rte_pktmbuf_reset would
 * restore is still as the allocation left it (one segment, no flags, no port). A chunk is
 * one of the worker's mbufs (txbuf_chunk_take), whose data room holds the standard
 * headroom: rte_pktmbuf_reset_headroom's value, without its test of buf_len. */
static inline struct rte_mbuf *
txbuf_spare_take(struct txbuf_spares *sp)
{
	struct rte_mbuf *m = sp->m[--sp->n];

	RTE_ASSERT(m->buf_len >= RTE_PKTMBUF_HEADROOM);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->data_len = 0;
	m->pkt_len = 0;
	__rte_mbuf_sanity_check(m, 1);
	return m;
}

struct txbuf {
	struct mbuf_fifo q;	/* chunks; the head's first byte is snd_una */
	struct rte_mbuf *rd;	/* read cursor: a chunk ... */
	uint32_t rd_base;	/* ... and the offset of its first byte */
	uint32_t bytes;		/* bytes queued: unacknowledged + unsent (after rd_base:
				 * 40 bytes, no hole, in struct tcp_flow's hot lines) */
};

/* Bytes one chunk holds: its data room past the standard headroom, left unused so that a
 * chunk's first bytes fall in the cache line the mbuf last carried a packet in (the pool is
 * LIFO: a small answer's chunk is often the request's mbuf, just read), not in a line no
 * packet touched since long. */
static inline uint32_t
txbuf_chunk_room(const struct rte_mempool *pool)
{
	return rte_pktmbuf_data_room_size((struct rte_mempool *)(uintptr_t)pool) -
	       RTE_PKTMBUF_HEADROOM;
}

/* Chunks (mbufs) len bytes take at most in a send queue. */
/* An empty chunk for a send queue: a spare freed by this iteration's ACKs when there is
 * one (counted out of txbuf_mbufs already), else from the pool; NULL when empty. The
 * caller checks the send queues' share first and counts the chunk in. */
struct rte_mbuf *
txbuf_chunk_take(struct sl_worker *w);

uint32_t
txbuf_chunks_for(const struct sl_worker *w, uint32_t len);

/* Append len bytes, all or nothing. 0 or -ENOBUFS. */
int
txbuf_append(struct sl_worker *w, struct txbuf *tb, const void *data, uint32_t len);

/* Drop the first n (<= bytes) bytes: the peer acknowledged them. */
void
txbuf_ack(struct sl_worker *w, struct txbuf *tb, uint32_t n);

/* txbuf_copy for a range that spans chunks (the walk). */
void
txbuf_copy_walk(struct sl_worker *w, struct txbuf *tb, uint32_t off, uint32_t len, void *dst);

/* Copy len (1 to 16) bytes from src to dst without a call: two loads and two stores,
 * overlapping in the middle (the bytes of the overlap are written twice, the same
 * value). A segment of a small message pays a library call otherwise, and the registers
 * saved around it, for one or a few bytes. */
static __rte_always_inline void
txbuf_copy_small(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	/* The shortest first: the messages this is for are mostly a few bytes. */
	if (len < 4) {
		/* 1 to 3 bytes: the first, the middle and the last (some the same). */
		uint8_t a = src[0], b = src[len / 2], c = src[len - 1];

		dst[0] = a;
		dst[len / 2] = b;
		dst[len - 1] = c;
	} else if (len < 8) {
		uint32_t a, b;

		memcpy(&a, src, 4);
		memcpy(&b, src + len - 4, 4);
		memcpy(dst, &a, 4);
		memcpy(dst + len - 4, &b, 4);
	} else {
		uint64_t a, b;

		memcpy(&a, src, 8);
		memcpy(&b, src + len - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + len - 8, &b, 8);
	}
}

/* Copy bytes [off, off + len) (off from the first queued byte, len > 0) into dst. Inline
 * for the usual segment, whose bytes lie in the chunk of the read cursor or, once an ACK
 * reset it, in the head chunk: one copy (without a call for a few bytes), and the cursor
 * left where txbuf_copy_walk leaves it (on the chunk of the last byte copied). */
static inline void
txbuf_copy(struct sl_worker *w, struct txbuf *tb, uint32_t off, uint32_t len, void *dst)
{
	struct rte_mbuf *m = tb->rd;
	uint32_t base = tb->rd_base;

	if (m == NULL || base > off) {
		m = tb->q.head;
		base = 0;
	}
	if (likely(off + len <= base + m->data_len)) {
		const uint8_t *src = rte_pktmbuf_mtod_offset(m, const uint8_t *, off - base);

		if (len <= 16)
			txbuf_copy_small(dst, src, len);
		else
			memcpy(dst, src, len);
		tb->rd = m;
		tb->rd_base = base;
		return;
	}
	txbuf_copy_walk(w, tb, off, len, dst);
}

/* txbuf_copy of the last len bytes queued (off + len == tb->bytes, len > 0): the
 * segment of tcp_output's one-segment pass, which sends all the unsent bytes. They end
 * the tail chunk, so when it holds them all they are read from there, without the read
 * cursor's lookup from snd_una (which an ACK resets: a request-response flow finds it
 * empty at every send) or its update: the cursor is a hint, left as it was (still a
 * chunk and its offset). tests/unit/tcp/test_txbuf.c compares it with txbuf_copy. */
static __rte_always_inline void
txbuf_copy_tail(struct sl_worker *w, struct txbuf *tb, uint32_t len, void *dst)
{
	const struct rte_mbuf *m = tb->q.tail;

	if (likely(len <= 16 && len <= m->data_len)) {
		txbuf_copy_small(dst, rte_pktmbuf_mtod_offset(m, const uint8_t *,
							      m->data_len - len), len);
		return;
	}
	txbuf_copy(w, tb, tb->bytes - len, len, dst);
}

/* Free everything. */
void
txbuf_free(struct sl_worker *w, struct txbuf *tb);

/* Give the chunks no write took back to the pool (the poll loop, before the output phase
 * builds segments from it; the worker's teardown). */
void
txbuf_spares_release(struct sl_worker *w);

#endif /* SL_TXBUF_H */
