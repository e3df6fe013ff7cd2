/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poll loop (stack.c) in iterations that receive nothing: each phase is gated by a
 * test of its own (the timer wheel's next deadline, the dirty list, the TX queue), and
 * the work each kind of gate guards must still run when nothing arrives. The timer gate
 * is compared with the general path: after every poll, an ungated tcp_timers_run finds
 * nothing left that the gated one should have fired.
 *
 * The usual iteration leaves out the tests of rare work (w->poll_slow, POLL_SLOW_*): what
 * may create such work sets its bit, and a slow iteration makes every test. Deferred
 * deliveries and writers left open are compared with runs whose every iteration is slow;
 * other threads' announcements (w->poll_remote) are seen by the next iteration.
 */

#include "unit.h"

#include "core/worker.h"
#include "tcp/flow.h"
#include "tcp/tcp_timer.h"
#include "tcp_helper.h"

/* A deadline armed at each kind of distance from the wheel's position (in the current
 * tick, the next, inside the stretch the last run found empty, at its end and beyond it)
 * fires in the first idle poll at or after it, never before; and no poll leaves a due
 * deadline behind that tcp_timers_run itself, called without the loop's gate, would fire. */
static void
test_poll_idle_timer_gate_fires_what_the_general_run_would(void **state)
{
	static const uint64_t after[] = {
		1, 5, TCP_WHEEL_TICK_US - 1, TCP_WHEEL_TICK_US, TCP_WHEEL_TICK_US + 1,
		3 * TCP_WHEEL_TICK_US, 64 * TCP_WHEEL_TICK_US, 65 * TCP_WHEEL_TICK_US + 3,
		100 * TCP_WHEEL_TICK_US + 7,
	};
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;
	unsigned int i;

	tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	for (i = 0; i < RTE_DIM(after); i++) {
		uint64_t at, t;

		tp_advance(&x->t, 1000, 7);	/* idle runs move the wheel on */
		at = w->clock.now_us + after[i];
		f->cork_at = at;
		tcp_timer_arm(w, f);
		for (t = 1; t <= after[i]; t++) {
			w->clock.now_us++;
			th_poll(&x->t);
			if (t < after[i]) {
				assert_int_equal(f->cork_at, at);
				/* The general run finds nothing due either. */
				tcp_timers_run(w);
				assert_int_equal(f->cork_at, at);
			}
		}
		assert_int_equal(f->cork_at, 0);	/* fired: tcp_timer_fire */
	}
}

/* A send made between polls (outside any callback) leaves in the next iteration even
 * though nothing is received: the output and flush phases run on their own gates. */
static void
test_poll_idle_send_between_polls_leaves_next_iteration(void **state)
{
	struct tt *x = *state;
	struct sl_conn *c = tpeer_connect(&x->p);
	struct tp_out o;

	tt_flush(x, 1000000);
	while (tpeer_recv(&x->p, &o))
		;
	assert_int_equal(sl_conn_send(c, "abc", 3), 0);
	assert_int_equal(th_tx_count(&x->t), 0);
	th_poll(&x->t);
	tpeer_expect(&x->p, &o);
	assert_int_equal(o.len, 3);
	tpeer_ack(&x->p);
	tpeer_expect_nothing(&x->p);
}

/* The usual iteration is the one a connection busy on its own gets: nothing rare owed. */
static void
test_poll_slow_word_clear_on_a_plain_worker(void **state)
{
	struct tt *x = *state;
	struct sl_conn *c = tpeer_connect(&x->p);

	th_poll(&x->t);
	assert_int_equal(x->t.w->poll_slow, 0);
	tpeer_send(&x->p, TH_ACK, "ping", 4);
	assert_int_equal(x->p.tc->msgs, 1);
	assert_int_equal(sl_conn_send(c, "pong", 4), 0);
	th_poll(&x->t);
	assert_int_equal(x->t.w->poll_slow, 0);
}

#define SLOW_RUN_POLLS 6

/* Three messages of one mbuf each, held back by a paused reader, then resumed with a
 * delivery budget of one per pass: the flow waits on the deferred list between polls.
 * Returns the messages delivered after each poll; every iteration is a slow one when
 * slow is set. */
static void
slow_run_deferred(struct tt *x, bool slow, unsigned int *msgs)
{
	struct sl_worker *w = x->t.w;
	struct sl_conn *c = tpeer_connect(&x->p);
	uint8_t buf[600];
	unsigned int i;

	memset(buf, 'd', sizeof(buf));	/* too big to be merged: an mbuf each */
	x->app.rx_pause = true;
	for (i = 0; i < 3; i++)
		tpeer_send(&x->p, TH_ACK, buf, sizeof(buf));
	assert_int_equal(x->p.tc->paused, 1);
	x->app.rx_pause = false;
	sl_conn_resume_rx(c);
	for (i = 0; i < SLOW_RUN_POLLS; i++) {
		if (slow)
			w->poll_slow = POLL_SLOW_ALL;
		th_poll(&x->t);
		msgs[i] = x->p.tc->msgs;
		/* A flow waits on the deferred list: its bit is set. */
		if (!TAILQ_EMPTY(&w->tcp.deferred))
			assert_true(w->poll_slow & POLL_SLOW_DEFERRED);
	}
	assert_true(TAILQ_EMPTY(&w->tcp.deferred));
	assert_int_equal(w->poll_slow, 0);
	assert_int_equal(x->p.tc->rx_bytes, 3 * sizeof(buf));
}

static void
test_poll_slow_word_deferred_delivery_as_every_test_would(void **state)
{
	struct sl_config cfg;
	unsigned int usual[SLOW_RUN_POLLS], slow[SLOW_RUN_POLLS], i;
	struct tt *x;

	tp_config(&cfg);
	cfg.framing_batch = 1;
	x = tt_fixture_renew(state, &cfg);
	slow_run_deferred(x, false, usual);
	x = tt_fixture_renew(state, &cfg);
	slow_run_deferred(x, true, slow);
	for (i = 0; i < SLOW_RUN_POLLS; i++)
		assert_int_equal(usual[i], slow[i]);
	/* One message per pass, the first at the resume's poll (the paused call is not
	 * counted: it was refused). */
	assert_int_equal(usual[0], 1);
	assert_int_equal(usual[1], 2);
	assert_int_equal(usual[2], 3);
	assert_int_equal(usual[SLOW_RUN_POLLS - 1], 3);
}

/* A writer opened between polls sets its bit; the next iteration aborts it (as every
 * slow one does) and clears the word. One closed before the poll clears it at once. */
static void
test_poll_slow_word_writer_left_open(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct sl_conn *c = tpeer_connect(&x->p);
	struct sl_writer *wr;

	th_poll(&x->t);
	assert_int_equal(w->poll_slow, 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_true(w->poll_slow & POLL_SLOW_WRITERS);
	assert_int_equal(sl_writer_write(wr, "abc", 3), 0);
	assert_int_equal(sl_writer_end(wr), 0);
	assert_int_equal(w->nopen_writers, 0);
	assert_int_equal(w->poll_slow, 0);

	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, "def", 3), 0);
	th_poll(&x->t);
	assert_int_equal(w->nopen_writers, 0);
	assert_int_equal(w->poll_slow, 0);
}

/* Other threads' work: a producer channel and a drain set their bits in w->poll_remote
 * (after publishing themselves), and the iterations from then on are slow ones that make
 * their tests (test_producer and test_drain run the work itself). */
static void
test_poll_remote_word_producer_and_drain(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct sl_producer *pr;

	th_poll(&x->t);
	assert_int_equal(w->poll_remote, 0);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_true(w->poll_remote & POLL_REMOTE_PRODUCERS);
	assert_int_equal(w->pchan_hi, 1);
	sl_producer_destroy(pr);
	th_poll(&x->t);
	assert_null(w->pchans[0]);	/* the producer phase freed the channel */
	assert_int_equal(sl_stack_drain(x->t.s), 0);
	assert_true(w->poll_remote & POLL_REMOTE_DRAIN);
	th_poll(&x->t);
	th_poll(&x->t);
	assert_true(sl_stack_drained(x->t.s));	/* nothing open: over at once */
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_poll_idle_timer_gate_fires_what_the_general_run_would),
	TT_TEST(test_poll_idle_send_between_polls_leaves_next_iteration),
	TT_TEST(test_poll_slow_word_clear_on_a_plain_worker),
	TT_TEST(test_poll_slow_word_deferred_delivery_as_every_test_would),
	TT_TEST(test_poll_slow_word_writer_left_open),
	TT_TEST(test_poll_remote_word_producer_and_drain),
};

UNIT_MAIN("test_poll", tests)
