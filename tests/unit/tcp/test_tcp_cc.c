/* SPDX-License-Identifier: BSD-3-Clause */
/* cc_newreno.c driven directly through its operations table (cc.h) on a bare control
 * block: TCP's side of each event (snd_una, snd_max, what counts as a duplicate) is played
 * by the helpers below, and every assertion is the window RFC 5681 and RFC 6582 ask for.
 * One fixture test checks that a real connection runs NewReno from its initial window. */

#include "unit.h"

#include "tcp_helper.h"
#include "tcp/cc.h"
#include "tcp/flow.h"

#define MSS	1000u
#define ISS	5000u

static struct tcp_flow flow;

/* A control block just after the handshake: nothing in flight, an initial window of iw
 * segments, ssthresh still arbitrarily high. */
static struct tcp_flow *
flow_ready(unsigned int iw)
{
	struct tcp_flow *f = &flow;

	memset(f, 0, sizeof(*f));
	f->cc = &tcp_cc_newreno;
	f->mss = MSS;
	f->snd_una = ISS;
	f->snd_max = ISS;
	f->cc->init(f);
	f->cc->conn_init(f, iw * MSS);
	return f;
}

/* n more bytes in flight. */
static void
sent(struct tcp_flow *f, uint32_t n)
{
	f->snd_max += n;
}

/* The peer acknowledges n new bytes outside recovery (TCP moves snd_una first). */
static void
acked(struct tcp_flow *f, uint32_t n)
{
	f->snd_una += n;
	f->cc->on_ack(f, n);
}

static void
test_newreno_init_ssthresh_high_then_initial_window(void **state)
{
	struct tcp_flow *f = &flow;

	(void)state;
	memset(f, 0, sizeof(*f));
	f->mss = MSS;
	tcp_cc_newreno.init(f);
	assert_string_equal(tcp_cc_newreno.name, "newreno");
	/* RFC 5681 §3.1: ssthresh "arbitrarily high"; no window before the MSS is known. */
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	assert_int_equal(f->cwnd, 0);
	tcp_cc_newreno.conn_init(f, 10 * MSS);
	assert_int_equal(f->cwnd, 10 * MSS);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	/* A retransmitted SYN: TCP restarts the window at one segment. */
	tcp_cc_newreno.conn_init(f, MSS);
	assert_int_equal(f->cwnd, MSS);
}

static void
test_newreno_slow_start_grows_by_acked_at_most_one_mss_per_ack(void **state)
{
	struct tcp_flow *f = flow_ready(10);
	unsigned int i;

	(void)state;
	sent(f, 20 * MSS);
	acked(f, MSS);
	assert_int_equal(f->cwnd, 11 * MSS);
	/* cwnd += min(N, SMSS): a short ACK adds what it covers ... */
	acked(f, 300);
	assert_int_equal(f->cwnd, 11 * MSS + 300);
	/* ... a stretch ACK of three segments no more than one SMSS. */
	acked(f, 3 * MSS);
	assert_int_equal(f->cwnd, 12 * MSS + 300);
	/* One ACK per segment doubles the window in a round trip. */
	f->cc->conn_init(f, 10 * MSS);
	sent(f, 10 * MSS);
	for (i = 0; i < 10; i++)
		acked(f, MSS);
	assert_int_equal(f->cwnd, 20 * MSS);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	assert_int_equal(f->cc_state.newreno.ca_acked, 0);
}

static void
test_newreno_congestion_avoidance_one_mss_per_window_of_bytes(void **state)
{
	struct tcp_flow *f = flow_ready(4);
	unsigned int i;

	(void)state;
	f->ssthresh = 4 * MSS;		/* cwnd >= ssthresh: congestion avoidance */
	sent(f, 40 * MSS);
	for (i = 0; i < 3; i++)
		acked(f, MSS);
	assert_int_equal(f->cwnd, 4 * MSS);
	assert_int_equal(f->cc_state.newreno.ca_acked, 3 * MSS);
	acked(f, MSS);			/* a whole window acknowledged: one SMSS more */
	assert_int_equal(f->cwnd, 5 * MSS);
	assert_int_equal(f->cc_state.newreno.ca_acked, 0);
	/* Bytes count, not ACKs: the next window of five in ACKs of 2 and 3 segments. */
	acked(f, 2 * MSS);
	assert_int_equal(f->cwnd, 5 * MSS);
	acked(f, 3 * MSS);
	assert_int_equal(f->cwnd, 6 * MSS);
	/* What an ACK covers beyond the window counts towards the next increase. */
	acked(f, 7 * MSS);
	assert_int_equal(f->cwnd, 7 * MSS);
	assert_int_equal(f->cc_state.newreno.ca_acked, MSS);
	assert_int_equal(f->ssthresh, 4 * MSS);
}

static void
test_newreno_window_capped_at_cwnd_max(void **state)
{
	struct tcp_flow *f = flow_ready(10);

	(void)state;
	f->cwnd = TCP_CWND_MAX - 100;
	sent(f, MSS);
	acked(f, MSS);
	assert_int_equal(f->cwnd, TCP_CWND_MAX);
}

static void
test_newreno_loss_ssthresh_half_flight(void **state)
{
	struct tcp_flow *f = flow_ready(20);

	(void)state;
	sent(f, 10 * MSS);
	/* RFC 5681 §3.2: ssthresh = max(FlightSize / 2, 2*SMSS) (equation (4)), whatever
	 * cwnd is; the window itself is PRR's during recovery, so it stays. */
	f->cc->enter_recovery(f);
	assert_int_equal(f->ssthresh, 5 * MSS);
	assert_int_equal(f->cwnd, 20 * MSS);
}

static void
test_newreno_third_dupack_small_flight_ssthresh_two_mss(void **state)
{
	struct tcp_flow *f = flow_ready(10);

	(void)state;
	sent(f, 3 * MSS);		/* FlightSize / 2 = 1.5 SMSS */
	f->cc->enter_recovery(f);
	assert_int_equal(f->ssthresh, 2 * MSS);
}

static void
test_newreno_full_ack_exit_cwnd_ssthresh(void **state)
{
	struct tcp_flow *f = flow_ready(20);

	(void)state;
	sent(f, 10 * MSS);
	f->cc->enter_recovery(f);
	assert_int_equal(f->ssthresh, 5 * MSS);
	/* RFC 6937 §3: recovery ends with cwnd = ssthresh (PRR paced the flight there). */
	f->snd_una = f->snd_max;
	f->cc->exit_recovery(f);
	assert_int_equal(f->cwnd, 5 * MSS);
	assert_int_equal(f->ssthresh, 5 * MSS);
}

static void
test_newreno_rto_collapses_to_loss_window_then_slow_start(void **state)
{
	struct tcp_flow *f = flow_ready(20);

	(void)state;
	sent(f, 8 * MSS);
	/* RFC 5681 §3.1: ssthresh by equation (4), cwnd = LW = one full-sized segment. */
	f->cc->on_rto(f);
	assert_int_equal(f->ssthresh, 4 * MSS);
	assert_int_equal(f->cwnd, MSS);
	/* Slow start again up to ssthresh, congestion avoidance after. */
	acked(f, MSS);
	acked(f, MSS);
	acked(f, MSS);
	assert_int_equal(f->cwnd, 4 * MSS);
	acked(f, MSS);
	assert_int_equal(f->cwnd, 4 * MSS);
	assert_int_equal(f->cc_state.newreno.ca_acked, MSS);
	/* A timeout with almost nothing in flight still leaves ssthresh at 2 SMSS. */
	f->snd_max = f->snd_una + 1;
	f->cc->on_rto(f);
	assert_int_equal(f->ssthresh, 2 * MSS);
	assert_int_equal(f->cwnd, MSS);
}

static void
test_newreno_restart_after_idle_to_min_of_iw_and_cwnd(void **state)
{
	struct tcp_flow *f = flow_ready(10);

	(void)state;
	assert_non_null(f->cc->after_idle);
	/* RFC 5681 §4.1: cwnd = RW = min(IW, cwnd). */
	f->cwnd = 30 * MSS;
	f->cc->after_idle(f, 10 * MSS);
	assert_int_equal(f->cwnd, 10 * MSS);
	f->cwnd = 4 * MSS;
	f->cc->after_idle(f, 10 * MSS);
	assert_int_equal(f->cwnd, 4 * MSS);
}

static void
test_established_flow_runs_newreno_from_initial_window(void **state)
{
	struct tt *x = *state;
	struct tcp_flow *f;

	tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	assert_ptr_equal(f->cc, &tcp_cc_newreno);
	assert_int_equal(f->cwnd, (uint32_t)x->t.w->cfg->init_cwnd * f->mss);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_newreno_init_ssthresh_high_then_initial_window),
	cmocka_unit_test(test_newreno_slow_start_grows_by_acked_at_most_one_mss_per_ack),
	cmocka_unit_test(test_newreno_congestion_avoidance_one_mss_per_window_of_bytes),
	cmocka_unit_test(test_newreno_window_capped_at_cwnd_max),
	cmocka_unit_test(test_newreno_loss_ssthresh_half_flight),
	cmocka_unit_test(test_newreno_third_dupack_small_flight_ssthresh_two_mss),
		cmocka_unit_test(test_newreno_full_ack_exit_cwnd_ssthresh),
	cmocka_unit_test(test_newreno_rto_collapses_to_loss_window_then_slow_start),
	cmocka_unit_test(test_newreno_restart_after_idle_to_min_of_iw_and_cwnd),
	TT_TEST(test_established_flow_runs_newreno_from_initial_window),
};

UNIT_MAIN("test_tcp_cc", tests)
