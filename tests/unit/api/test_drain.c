/* SPDX-License-Identifier: BSD-3-Clause */
/* The graceful drain (drain.c, sl_stack_drain): queued data then FIN, the listener closed
 * (RST to a new SYN), no new active opens, half-open handshakes reset, on_drain deciding
 * when to close, TIME-WAIT not waited out, and the deadline's RST for what cannot finish;
 * the counters that report it. */

#include <errno.h>

#include <rte_errno.h>

#include <sluice/producer.h>

#include "unit.h"

#include "tcp_helper.h"

static uint8_t payload[8192];

static const uint8_t *
pattern(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	return payload;
}

/* Read what the stack sends p up to and including its FIN; returns the data bytes,
 * checking each against d. */
static uint32_t
expect_data_then_fin(struct tpeer *p, const uint8_t *d)
{
	struct tp_out o;
	uint32_t off = 0;

	for (;;) {
		tpeer_expect(p, &o);
		assert_false(o.flags & TH_RST);
		assert_int_equal(o.seq, tpeer_sseq(p, off));
		if (o.len > 0)
			assert_memory_equal(o.data, d + off, o.len);
		off += o.len;
		if (o.flags & TH_FIN)
			return off;
	}
}

/* The peer acknowledges everything, then closes: the stack ends in TIME-WAIT. */
static void
peer_acks_and_closes(struct tpeer *p)
{
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_2);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
}

static void
test_drain_established_queued_data_then_fin_done_in_time_wait(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_stack *s = x->t.s;
	const uint8_t *d = pattern(3000);
	struct sl_conn *c;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	assert_false(sl_stack_draining(s));
	assert_false(sl_stack_drained(s));
	assert_int_equal(sl_stack_drain(s), 0);
	assert_true(sl_stack_draining(s));
	/* The drain phase begins it; on_drain and the close follow in the next delivery. */
	th_poll(&x->t);
	th_poll(&x->t);
	assert_int_equal(expect_data_then_fin(p, d), 3000);
	tpeer_expect_nothing(p);
	assert_string_equal(p->tc->log, "ad");
	assert_int_equal(th_stats(&x->t)->tcp_drain_conns, 1);
	assert_int_equal(th_stats(&x->t)->tcp_drain_queued, 3000);
	assert_false(sl_stack_drained(s));	/* FIN not acknowledged yet */
	peer_acks_and_closes(p);
	th_poll(&x->t);
	/* TIME-WAIT is not waited out: the drain is over at once. */
	assert_true(sl_stack_drained(s));
	assert_string_equal(p->tc->log, "adx");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
	assert_int_equal(th_stats(&x->t)->tcp_drain_reset, 0);
	/* A second call changes nothing. */
	assert_int_equal(sl_stack_drain(s), 0);
	th_poll(&x->t);
	assert_true(sl_stack_drained(s));
	assert_int_equal(th_stats(&x->t)->tcp_drain_conns, 1);
}

static void
test_drain_listener_closed_new_syn_gets_rst(void **state)
{
	struct tt *x = *state;
	struct tpeer p2;
	struct tp_out o;

	assert_int_equal(sl_stack_drain(x->t.s), 0);
	th_poll(&x->t);
	tpeer_init(&p2, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, TP_PEER_ISS + 77);
	tpeer_xmit(&p2, TH_SYN, p2.iss, 0, NULL, 0);
	tpeer_expect(&p2, &o);
	assert_int_equal(o.flags & (TH_RST | TH_ACK), TH_RST | TH_ACK);
	assert_int_equal(o.ack, p2.iss + 1);
	assert_int_equal(x->app.n, 0);
	th_poll(&x->t);
	assert_true(sl_stack_drained(x->t.s));
	assert_int_equal(th_stats(&x->t)->tcp_drain_conns, 0);
}

static void
test_drain_connect_refused_eshutdown(void **state)
{
	struct tt *x = *state;
	struct tconn *tc = tapp_new_conn(&x->app);

	assert_int_equal(sl_stack_drain(x->t.s), 0);
	th_poll(&x->t);
	rte_errno = 0;
	assert_null(sl_worker_connect(x->t.w, TH_PEER_IP, 80, &tapp_ops, tc));
	assert_int_equal(rte_errno, ESHUTDOWN);
}

static void
test_drain_half_open_handshake_reset(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_syn(p);		/* SYN-RECEIVED: the application knows nothing yet */
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_RCVD);
	assert_int_equal(sl_stack_drain(x->t.s), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_true(o.flags & TH_RST);
	assert_null(tpeer_flow(p));
	assert_int_equal(x->app.n, 0);
	assert_int_equal(th_stats(&x->t)->tcp_drain_handshakes, 1);
	assert_int_equal(th_stats(&x->t)->tcp_drain_reset, 0);
	assert_int_equal(th_stats(&x->t)->tcp_drain_conns, 0);
	th_poll(&x->t);
	assert_true(sl_stack_drained(x->t.s));
}

/* on_drain keeps the connection to finish a response: no FIN until the application
 * closes, then the response and the FIN. */
static void
test_drain_on_drain_later_app_finishes_then_closes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1000);
	struct sl_conn *c;

	x->app.drain_rc = SL_DRAIN_LATER;
	c = tpeer_connect(p);
	assert_int_equal(sl_stack_drain(x->t.s), 0);
	th_poll(&x->t);
	th_poll(&x->t);
	assert_string_equal(p->tc->log, "ad");
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	/* The response is complete: send it and close. */
	assert_int_equal(sl_conn_send(c, d, 1000), 0);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	assert_int_equal(expect_data_then_fin(p, d), 1000);
	peer_acks_and_closes(p);
	th_poll(&x->t);
	assert_true(sl_stack_drained(x->t.s));
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
	assert_int_equal(th_stats(&x->t)->tcp_drain_reset, 0);
}

/* A record a producer thread handed off before the drain leaves before the FIN; one
 * submitted after the close is refused (-EPIPE), never sent. */
static void
test_drain_producer_record_before_sent_before_fin_after_refused(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1500);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;

	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	c = tpeer_connect(p);
	ref = sl_conn_ref(c);
	assert_int_equal(sl_producer_send(pr, ref, d, 1500, 0, 0), 0);
	/* The drain is asked for before the worker saw the record. */
	assert_int_equal(sl_stack_drain(x->t.s), 0);
	th_poll(&x->t);
	th_poll(&x->t);
	assert_int_equal(sl_producer_send(pr, ref, d, 100, 0, 0), -EPIPE);
	assert_int_equal(expect_data_then_fin(p, d), 1500);
	tpeer_expect_nothing(p);
	peer_acks_and_closes(p);
	th_poll(&x->t);
	assert_true(sl_stack_drained(x->t.s));
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

static int
setup_drain_2s(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.drain_s = 2;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* A peer that acknowledges nothing: data and FIN keep being retransmitted until the
 * deadline, then RST and on_close(ABORTED); the drain is then complete. */
static void
test_drain_deadline_resets_what_cannot_finish(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(2000);
	struct sl_conn *c;
	struct tp_out o;
	bool rst = false;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 2000), 0);
	assert_int_equal(sl_stack_drain(x->t.s), 0);
	th_poll(&x->t);
	th_poll(&x->t);
	assert_int_equal(expect_data_then_fin(p, d), 2000);
	/* Just before the deadline: still waiting. */
	tp_advance(&x->t, 1900000, 10000);
	while (tp_pop(&x->t, &o))
		assert_false(o.flags & TH_RST);
	assert_false(sl_stack_drained(x->t.s));
	assert_int_equal(p->tc->closes, 0);
	tp_advance(&x->t, 200000, 10000);
	while (tp_pop(&x->t, &o))
		rst |= (o.flags & TH_RST) != 0;
	assert_true(rst);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_ABORTED);
	assert_true(sl_stack_drained(x->t.s));
	assert_int_equal(th_stats(&x->t)->tcp_drain_conns, 1);
	assert_int_equal(th_stats(&x->t)->tcp_drain_reset, 1);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_drain_established_queued_data_then_fin_done_in_time_wait),
	TT_TEST(test_drain_listener_closed_new_syn_gets_rst),
	TT_TEST(test_drain_connect_refused_eshutdown),
	TT_TEST(test_drain_half_open_handshake_reset),
	TT_TEST(test_drain_on_drain_later_app_finishes_then_closes),
	TT_TEST(test_drain_producer_record_before_sent_before_fin_after_refused),
	TT_TEST_SETUP(test_drain_deadline_resets_what_cannot_finish, setup_drain_2s),
};

UNIT_MAIN("test_drain", tests)
