/* SPDX-License-Identifier: BSD-3-Clause */
/* A serializer's writer (writer.c) against the send queue's limits: its bytes, and its
 * reserves as soon as they are handed out, count against the hard cap; an aborted message
 * gives them back; a message that does not fit now is -EAGAIN, one that never could is
 * -EMSGSIZE. */

#include <errno.h>
#include <string.h>

#include "unit.h"

#include <rte_errno.h>

#include "send_kit.h"

/* A serializer's writer counts its bytes as it writes them (and a reserve as soon as it
 * is handed out), so the hard cap holds for messages too and an abort gives it all back. */
static void
test_writer_bytes_counted_against_the_cap(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(9000, 12);
	struct sl_writer *wr;
	struct sl_conn *c;
	uint32_t got;
	uint8_t *w;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 3000), 0);
	assert_int_equal(sk_queued(x), 3000);
	w = sl_writer_reserve(wr, 16, &got);
	assert_non_null(w);
	assert_true(got >= 16 && got <= 3000);
	assert_int_equal(sk_queued(x), 3000 + got);
	memcpy(w, d + 3000, 16);
	sl_writer_commit(wr, 16);
	assert_int_equal(sk_queued(x), 3016);
	/* Past the cap: refused, nothing counted. */
	assert_int_equal(sl_writer_write(wr, d, 3000), -EMSGSIZE);
	assert_int_equal(sk_queued(x), 3016);
	assert_int_equal(sl_writer_end(wr), 0);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 3016);
	assert_int_equal(sk_queued(x), 3016);
	/* An aborted message gives back everything it counted. */
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 500), 0);
	assert_non_null(sl_writer_reserve(wr, 8, &got));
	sl_writer_abort(wr);
	assert_int_equal(sk_queued(x), 3016);
	th_poll(&x->t);
}

/* A message that does not fit the send queue now, but would once it drains, is refused
 * with -EAGAIN (on_writable follows), not -EMSGSIZE; one that could never fit is. */
static void
test_writer_full_now_is_eagain_not_emsgsize(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(9000, 14);
	struct sl_writer *wr;
	struct sl_conn *c;
	uint32_t got;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
	p->wnd = 0;				/* nothing leaves */
	tpeer_ack(p);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 2000), 0);
	assert_int_equal(sl_writer_write(wr, d, 2000), -EAGAIN);
	assert_null(sl_writer_reserve(wr, 1024, &got));
	assert_int_equal(rte_errno, EAGAIN);
	assert_int_equal(sl_writer_write(wr, d, 4001), -EMSGSIZE);
	sl_writer_abort(wr);
	assert_int_equal(sk_queued(x), 3000);
	assert_int_equal(p->tc->writables, 0);
	/* The window opens, the queue drains: on_writable, and the message fits. */
	p->wnd = 65535;
	tpeer_ack(p);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 1);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 4000), 0);
	assert_int_equal(sl_writer_end(wr), 0);
	th_poll(&x->t);
}

static const struct CMUnitTest tests[] = {
	SK_TEST(test_writer_bytes_counted_against_the_cap),
	SK_TEST(test_writer_full_now_is_eagain_not_emsgsize),
};

UNIT_MAIN("test_writer", tests)
