/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poll loop (stack.c) in iterations that receive nothing: each phase is gated by a
 * test of its own (the timer wheel's next deadline, the dirty list, the TX queue), and
 * the work each kind of gate guards must still run when nothing arrives. The timer gate
 * is compared with the general path: after every poll, an ungated tcp_timers_run finds
 * nothing left that the gated one should have fired.
 */

#include "unit.h"

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

static const struct CMUnitTest tests[] = {
	TT_TEST(test_poll_idle_timer_gate_fires_what_the_general_run_would),
	TT_TEST(test_poll_idle_send_between_polls_leaves_next_iteration),
};

UNIT_MAIN("test_poll", tests)
