/* SPDX-License-Identifier: BSD-3-Clause */
/* The receive buffer's consume (rxbuf.h): the inline case, a whole buffer of one mbuf,
 * leaves the buffer and the pool as the walk over the mbufs (rxbuf_consume_walk) does
 * once the iteration's segment spares are back in the pool, and every other case is the
 * walk's; the raw delivery's test of that case (rxbuf_is_only) holds for it alone. The mbuf the inline case keeps for a segment (seg_spares.h) comes out in the
 * state rte_pktmbuf_alloc returns, whatever the receive path left in it; only mbufs no
 * one else holds and at least as large as the worker's are kept, at most SEG_SPARE_MAX. */

#include "unit.h"

#include "core/worker.h"
#include "tcp/rxbuf.h"

/* A buffer of nseg mbufs of len bytes each (pattern bytes), consumed from stream offset
 * base. */
static void
rb_fill(struct sl_worker *w, struct rxbuf *rb, unsigned int nseg, uint16_t len, uint64_t base)
{
	unsigned int i;

	memset(rb, 0, sizeof(*rb));
	rb->consumed = base;
	for (i = 0; i < nseg; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, len);
		assert_non_null(p);
		memset(p, 'a' + i, len);
		/* Past the merge size, so that each is its own slice. */
		rxbuf_append_seg(rb, m, w->tcp.mdyn);
	}
	assert_int_equal(rb->q.n, nseg);
}

/* The raw delivery's way (api/deliver.c): a buffer that is one mbuf of n bytes
 * (rxbuf_is_only, only then) is emptied by rxbuf_consume_only, anything else by
 * rxbuf_consume; the same buffer state and pool as rxbuf_consume alone. */
static void
rb_delivery_way(struct th *t, unsigned int nseg, uint16_t len, uint32_t n)
{
	struct sl_worker *w = t->w;
	struct rxbuf a, c;
	unsigned int in_use0 = rte_mempool_in_use_count(w->pool), in_use_a;
	bool only;

	rb_fill(w, &a, nseg, len, 1000);
	rxbuf_consume(w, &a, n);
	seg_spares_release(&w->tcp.seg_spares);
	in_use_a = rte_mempool_in_use_count(w->pool);
	rb_fill(w, &c, nseg, len, 1000);
	only = c.q.head != NULL && rxbuf_is_only(&c, c.q.head, n);
	assert_int_equal(only, nseg == 1 && n == len && n != 0);
	if (only)
		rxbuf_consume_only(&w->tcp.seg_spares, &c, c.q.head);
	else
		rxbuf_consume(w, &c, n);
	seg_spares_release(&w->tcp.seg_spares);
	assert_int_equal(rte_mempool_in_use_count(w->pool) - in_use_a, in_use_a - in_use0);
	assert_int_equal(a.bytes, c.bytes);
	assert_int_equal(a.consumed, c.consumed);
	assert_int_equal(a.truesize, c.truesize);
	assert_int_equal(a.q.n, c.q.n);
	assert_int_equal(a.q.head == NULL, c.q.head == NULL);
	assert_int_equal(a.q.tail == NULL, c.q.tail == NULL);
	rxbuf_free(w, &a);
	rxbuf_free(w, &c);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0);
}

/* Consume n bytes of a fresh buffer both ways: the same buffer state, the same pool. */
static void
rb_both_ways(struct th *t, unsigned int nseg, uint16_t len, uint32_t n)
{
	struct sl_worker *w = t->w;
	struct rxbuf a, b;
	unsigned int in_use0 = rte_mempool_in_use_count(w->pool), in_use_a;

	rb_fill(w, &a, nseg, len, 1000);
	rxbuf_consume(w, &a, n);
	/* The end of the poll iteration: what the consume kept for a segment goes back. */
	seg_spares_release(&w->tcp.seg_spares);
	in_use_a = rte_mempool_in_use_count(w->pool);
	rb_fill(w, &b, nseg, len, 1000);
	rxbuf_consume_walk(w, &b, n);
	assert_int_equal(rte_mempool_in_use_count(w->pool) - in_use_a, in_use_a - in_use0);
	assert_int_equal(a.bytes, b.bytes);
	assert_int_equal(a.consumed, b.consumed);
	assert_int_equal(a.consumed, 1000 + n);
	assert_int_equal(a.truesize, b.truesize);
	assert_int_equal(a.q.n, b.q.n);
	assert_int_equal(a.q.head == NULL, b.q.head == NULL);
	assert_int_equal(a.q.tail == NULL, b.q.tail == NULL);
	if (a.q.head != NULL) {
		assert_int_equal(a.q.head->data_len, b.q.head->data_len);
		assert_memory_equal(rte_pktmbuf_mtod(a.q.head, void *),
				    rte_pktmbuf_mtod(b.q.head, void *), a.q.head->data_len);
	}
	rxbuf_free(w, &a);
	rxbuf_free(w, &b);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0);
	rb_delivery_way(t, nseg, len, n);
}

static void
test_consume_inline_same_as_walk(void **state)
{
	struct th *t = *state;

	rb_both_ways(t, 1, 1, 1);		/* the inline case: one byte, all of it */
	rb_both_ways(t, 1, 1400, 1400);		/* one mbuf, all of it */
	rb_both_ways(t, 1, 1400, 700);		/* part of it: the walk */
	rb_both_ways(t, 1, 1400, 0);
	rb_both_ways(t, 2, 1000, 2000);		/* all of two mbufs: the walk */
	rb_both_ways(t, 3, 1000, 1500);
	rb_both_ways(t, 0, 0, 0);		/* empty */
}

/* m is in the state a fresh rte_pktmbuf_alloc from its pool would return it in (fields
 * rte_pktmbuf_reset sets, and what the mempool keeps for its free mbufs). */
static void
assert_alloc_state(struct rte_mbuf *m)
{
	struct rte_mbuf *ref = rte_pktmbuf_alloc(m->pool);

	assert_non_null(ref);
	assert_null(m->next);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_true(RTE_MBUF_DIRECT(m));
	assert_int_equal(m->data_off, ref->data_off);
	assert_int_equal(m->data_len, 0);
	assert_int_equal(m->pkt_len, 0);
	assert_int_equal(m->ol_flags, ref->ol_flags);
	assert_int_equal(m->packet_type, ref->packet_type);
	assert_int_equal(m->tx_offload, ref->tx_offload);
	assert_int_equal(m->vlan_tci, ref->vlan_tci);
	assert_int_equal(m->vlan_tci_outer, ref->vlan_tci_outer);
	assert_int_equal(m->port, ref->port);
	assert_int_equal(m->buf_len, ref->buf_len);
	assert_int_equal(rte_pktmbuf_tailroom(m), rte_pktmbuf_tailroom(ref));
	rte_pktmbuf_free(ref);
}

/* One message's mbuf read whole: consume it from a buffer of its own. */
static void
rb_consume_one(struct sl_worker *w, struct rte_mbuf *m)
{
	struct rxbuf rb;

	memset(&rb, 0, sizeof(rb));
	rxbuf_append_seg(&rb, m, w->tcp.mdyn);
	assert_int_equal(rb.q.n, 1);
	rxbuf_consume(w, &rb, rb.bytes);
	assert_int_equal(rb.bytes, 0);
	assert_null(rb.q.head);
}

static void
test_consume_keeps_spare_in_alloc_state(void **state)
{
	struct th *t = *state;
	struct sl_worker *w = t->w;
	struct seg_spares *sp = &w->tcp.seg_spares;
	unsigned int in_use0 = rte_mempool_in_use_count(w->pool), i;
	struct rte_mempool *small, *big;
	struct rte_mbuf *m, *k;

	assert_int_equal(sp->n, 0);
	/* The usual case: kept, and taken in the state of a fresh allocation. */
	m = th_mbuf_rx_like(w->pool, 1);
	rb_consume_one(w, m);
	assert_int_equal(sp->n, 1);
	assert_ptr_equal(sp->m[0], m);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0 + 1);
	k = seg_spare_take(sp);
	assert_ptr_equal(k, m);
	assert_int_equal(sp->n, 0);
	assert_alloc_state(k);
	rte_pktmbuf_free(k);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0);

	/* Held by someone else too (a clone, the fault injector's copy): not kept, one
	 * reference dropped, as rte_pktmbuf_free_seg does. */
	m = th_mbuf_rx_like(w->pool, 1);
	rte_mbuf_refcnt_update(m, 1);
	rb_consume_one(w, m);
	assert_int_equal(sp->n, 0);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0 + 1);
	rte_pktmbuf_free(m);

	/* Smaller than the worker's mbufs: back to its own pool at once. Larger (another
	 * stack's, a jumbo pool): kept, and back to its own pool at the release. */
	small = rte_pktmbuf_pool_create("test_rxbuf_small", 63, 0, 0,
					RTE_PKTMBUF_HEADROOM + 256, SOCKET_ID_ANY);
	big = rte_pktmbuf_pool_create("test_rxbuf_big", 63, 0, 0,
				      (uint16_t)(rte_pktmbuf_data_room_size(w->pool) + 1024),
				      SOCKET_ID_ANY);
	assert_non_null(small);
	assert_non_null(big);
	rb_consume_one(w, th_mbuf_rx_like(small, 1));
	assert_int_equal(sp->n, 0);
	assert_int_equal(rte_mempool_in_use_count(small), 0);
	m = th_mbuf_rx_like(big, 1);
	rb_consume_one(w, m);
	assert_int_equal(sp->n, 1);
	assert_int_equal(rte_mempool_in_use_count(big), 1);
	seg_spares_release(sp);
	assert_int_equal(sp->n, 0);
	assert_int_equal(rte_mempool_in_use_count(big), 0);
	m = th_mbuf_rx_like(big, 1);
	rb_consume_one(w, m);
	k = seg_spare_take(sp);
	assert_ptr_equal(k, m);
	assert_alloc_state(k);
	rte_pktmbuf_free(k);
	assert_int_equal(rte_mempool_in_use_count(big), 0);
	rte_mempool_free(small);
	rte_mempool_free(big);

	/* At most SEG_SPARE_MAX: the rest go to the pool; the release empties them all. */
	for (i = 0; i < SEG_SPARE_MAX + 3; i++)
		rb_consume_one(w, th_mbuf_rx_like(w->pool, 1));
	assert_int_equal(sp->n, SEG_SPARE_MAX);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0 + SEG_SPARE_MAX);
	seg_spares_release(sp);
	assert_int_equal(sp->n, 0);
	assert_int_equal(rte_mempool_in_use_count(w->pool), in_use0);
}

static const struct CMUnitTest tests[] = {
	TH_TEST(test_consume_inline_same_as_walk),
	TH_TEST(test_consume_keeps_spare_in_alloc_state),
};

UNIT_MAIN("test_rxbuf", tests)
