/* SPDX-License-Identifier: BSD-3-Clause */
/* The water marks (wmark.c): -EAGAIN above the high mark with hysteresis down to the low
 * one, the edge-triggered on_writable, the hard cap, an abort giving every counted byte
 * back, and a refusal that must survive a withdrawn message's give-back. */

#include <errno.h>

#include "unit.h"

#include <sluice/producer.h>

#include "send_kit.h"
#include "api/wmark.h"

static void
test_water_marks_eagain_and_writable_edge(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(9000, 6);
	struct sl_conn_info ci;
	struct sl_conn *c;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 2000, 1000, 8000), -EINVAL);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	/* Below the high mark, a message may go up to the hard cap. */
	assert_int_equal(sl_conn_send(c, d + 3000, 3000), 0);
	assert_int_equal(sk_queued(x), 6000);
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);
	assert_int_equal(sl_conn_send_space(c), 0);
	assert_int_equal(sl_conn_send(c, d, 8001), -EMSGSIZE);
	sl_conn_info(c, &ci);
	assert_int_equal(ci.queued, 6000);
	assert_int_equal(ci.sndbuf_low, 1000);
	assert_int_equal(ci.sndbuf_high, 4000);
	assert_int_equal(ci.sndbuf_max, 8000);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	/* 5001 acknowledged: 999 left... first 4999 leaves 1001, above the low mark. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 4999), NULL, 0);
	assert_int_equal(sk_queued(x), 1001);
	assert_int_equal(p->tc->writables, 0);
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);	/* hysteresis: still refused */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 5000), NULL, 0);
	assert_int_equal(sk_queued(x), 1000);
	assert_int_equal(p->tc->writables, 1);
	assert_int_equal(sl_conn_send(c, d, 10), 0);
	/* Edge-triggered: draining further without a refusal owes nothing. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 6000), NULL, 0);
	assert_int_equal(p->tc->writables, 1);
}

static void
test_abort_leaves_nothing_queued(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(50000, 7);
	struct sl_conn *c;
	uint32_t idx;

	c = tpeer_connect(p);
	idx = tpeer_flow(p)->idx;
	p->wnd = 0;				/* nothing leaves: all of it stays queued */
	tpeer_ack(p);
	assert_int_equal(sl_conn_send(c, d, 50000), 0);
	th_poll(&x->t);
	sl_conn_abort(c);
	th_poll(&x->t);
	assert_int_equal(x->t.w->tcp.slots[idx].word & WM_QUEUED, 0);
	assert_true(x->t.w->tcp.slots[idx].word & (WM_SHUT | ((uint64_t)WM_GEN_MASK << WM_GEN_SHIFT)));
	assert_int_equal(x->t.w->tcp.txbuf_mbufs, 0);
}

/* A refusal made while a message's bytes were counted must not be lost when the message
 * is withdrawn: with nothing queued no ACK will ever come, so the give-back itself has
 * to clear the refusal (WAIT) and owe on_writable. */
static void
test_refusal_cleared_when_counted_bytes_are_given_back(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(9000, 13);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_writer *wr;
	struct sl_conn *c;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 4500), 0);
	/* Over the high mark: the producer is refused (WAIT set)... */
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EAGAIN);
	/* ... and so is the worker's own send (on_writable owed). */
	sl_writer_abort(wr);
	assert_int_equal(sk_queued(x), 0);
	assert_false(x->t.w->tcp.slots[tpeer_flow(p)->idx].word & WM_WAIT);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), 0);
	assert_int_equal(sl_conn_send(c, d + 10, 10), 0);
	th_poll(&x->t);

	/* The same after a worker refusal: the writable edge comes with the give-back. */
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 20), NULL, 0);
	assert_int_equal(sk_queued(x), 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 4500), 0);
	assert_null(sl_conn_writer_begin(c));	/* one message at a time */
	sl_writer_abort(wr);
	assert_int_equal(sl_producer_send(pr, ref, d, 4500, 0, 0), 0);
	assert_int_equal(sl_conn_send(c, d, 10), -EAGAIN);	/* WAIT, on_writable owed */
	sl_producer_destroy(pr);
	th_poll(&x->t);		/* the record is queued and leaves */
	assert_int_equal(p->tc->writables, 0);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 4520), NULL, 0);
	assert_int_equal(sk_queued(x), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 1);
	assert_int_equal(sl_conn_send(c, d, 10), 0);
	th_poll(&x->t);
}

/* -ENOBUFS (here: the worker's send queues at their share of the pool) owes on_writable at
 * the next poll iteration, once, so that an application that paused its reader has a
 * hook to retry from (conn.h); the same for a writer's message. */
static void
test_enobufs_owes_writable_next_iteration(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_worker *w = x->t.w;
	const uint8_t *d = sk_pattern(100, 3);
	uint32_t max = w->tcp.txbuf_mbufs_max;
	struct sl_writer *wr;
	struct sl_conn *c;

	c = tpeer_connect(p);
	/* No chunk for a new queue (the limit of this iteration follows the share). */
	w->tcp.txbuf_mbufs_max = w->tcp.txbuf_mbufs_lim = w->tcp.txbuf_mbufs;
	assert_int_equal(sl_conn_send(c, d, 100), -ENOBUFS);
	assert_int_equal(sk_queued(x), 0);
	assert_int_equal(p->tc->writables, 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 1);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 1);		/* once per refusal */

	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 100), -ENOBUFS);
	sl_writer_abort(wr);
	assert_int_equal(sk_queued(x), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 2);

	/* The buffers are back: the retry succeeds. */
	w->tcp.txbuf_mbufs_max = w->tcp.txbuf_mbufs_lim = max;
	assert_int_equal(sl_conn_send(c, d, 100), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 2);
	th_tx_drain(&x->t);
}

static const struct CMUnitTest tests[] = {
	SK_TEST(test_enobufs_owes_writable_next_iteration),
	SK_TEST(test_water_marks_eagain_and_writable_edge),
	SK_TEST(test_abort_leaves_nothing_queued),
	SK_TEST(test_refusal_cleared_when_counted_bytes_are_given_back),
};

UNIT_MAIN("test_wmark", tests)
