/* SPDX-License-Identifier: BSD-3-Clause */
/* The receive buffer's consume (rxbuf.h): the inline case, a whole buffer of one mbuf,
 * leaves the buffer and the pool as the walk over the mbufs (rxbuf_consume_walk) does,
 * and every other case is the walk's. */

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

/* Consume n bytes of a fresh buffer both ways: the same buffer state, the same pool. */
static void
rb_both_ways(struct th *t, unsigned int nseg, uint16_t len, uint32_t n)
{
	struct sl_worker *w = t->w;
	struct rxbuf a, b;
	unsigned int in_use0 = rte_mempool_in_use_count(w->pool), in_use_a;

	rb_fill(w, &a, nseg, len, 1000);
	rxbuf_consume(w, &a, n);
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

static const struct CMUnitTest tests[] = {
	TH_TEST(test_consume_inline_same_as_walk),
};

UNIT_MAIN("test_rxbuf", tests)
