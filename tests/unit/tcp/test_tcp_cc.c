/* SPDX-License-Identifier: BSD-3-Clause */
/* cc_newreno.c and cc_cubic.c driven directly through their operations tables (cc.h) on
 * a bare control block: TCP's side of each event (snd_una, snd_max, what counts as a
 * duplicate, RTT samples) is played by the helpers below, and every assertion is the window
 * RFC 5681 and RFC 6582 (NewReno), RFC 9438 (CUBIC) and RFC 9406 (HyStart++) ask for.
 * CUBIC's expected windows are the RFC's formulas computed in double here. CUBIC reads the
 * time from its worker, so its flows point at a worker that only has a clock. Fixture tests
 * check that real connections run CUBIC by default, feed HyStart++ their RTT samples, and
 * change module with sl_conn_set_cc. */

#include <math.h>

#include "unit.h"

#include "tcp_helper.h"
#include "core/worker.h"
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

/* ---- CUBIC (RFC 9438) ---- */

/* RFC 9438's constants, for the expected windows. */
#define C_CUBIC		0.4
#define BETA_CUBIC	0.7
#define ALPHA_CUBIC	(3.0 * (1.0 - BETA_CUBIC) / (1.0 + BETA_CUBIC))

/* The clock when a CUBIC test begins (an arbitrary, non-zero time). */
#define T0_US		7000000ull

/* The worker CUBIC flows belong to: they only read its clock. */
static struct sl_worker cubic_w;

static struct tcp_cc_cubic *
cubic(struct tcp_flow *f)
{
	return &f->cc_state.cubic;
}

/* The clock ms milliseconds after T0. */
static void
at_ms(uint64_t ms)
{
	cubic_w.clock.now_us = T0_US + ms * 1000;
}

/* W_cubic(t) = C*(t-K)^3 + W_max (RFC 9438 Figure 1), segments, seconds. */
static double
w_cubic(double t, double k, double w_max)
{
	return C_CUBIC * pow(t - k, 3) + w_max;
}

/* K = cubic_root((W_max - cwnd_epoch) / C) (Figure 2), seconds. */
static double
k_cubic(double w_max, double cwnd_epoch)
{
	return cbrt((w_max - cwnd_epoch) / C_CUBIC);
}

/* A CUBIC control block just after the handshake, at T0: an initial window of iw
 * segments, ssthresh arbitrarily high, HyStart++ waiting for its first round. */
static struct tcp_flow *
cubic_ready(unsigned int iw)
{
	struct tcp_flow *f = &flow;

	memset(f, 0, sizeof(*f));
	memset(&cubic_w, 0, sizeof(cubic_w));
	cubic_w.clock.virtual_time = true;
	at_ms(0);
	f->cc = &tcp_cc_cubic;
	f->w = &cubic_w;
	f->mss = MSS;
	f->iss = ISS;
	f->snd_una = ISS + 1;
	f->snd_max = ISS + 1;
	f->cc->init(f);
	f->cc->conn_init(f, iw * MSS);
	return f;
}

/* The peer acknowledges n new bytes of a full window: the sender keeps cwnd in flight. */
static void
ca_acked(struct tcp_flow *f, uint32_t n)
{
	f->snd_max = f->snd_una + RTE_MAX(f->cwnd, n);
	f->snd_una += n;
	f->cc->on_ack(f, n);
}

/* Where the curve aims now: cwnd grows by (target - cwnd) / cwnd per segment acknowledged,
 * so one ACK of a whole window of c0 bytes (c0 >= ssthresh: congestion avoidance) takes
 * it to target (RFC 9438 Figure 3). */
static uint32_t
curve_probe(struct tcp_flow *f, uint32_t c0)
{
	assert_true(c0 >= f->ssthresh);
	f->cwnd = c0;
	ca_acked(f, c0);
	return f->cwnd;
}

/* curve_probe from a window the target of want segments is within 1.5 times of. */
static uint32_t
curve_at(struct tcp_flow *f, double want)
{
	return curve_probe(f, RTE_MAX((uint32_t)(want * MSS / 1.25), f->ssthresh));
}

/* Within 64 bytes of the formula in double: the module keeps t and K in whole
 * milliseconds. */
static void
assert_window_near(uint32_t got, double want_segs)
{
	double want = want_segs * MSS;

	if (fabs((double)got - want) > 64.0)
		fail_msg("window %u bytes, the RFC's formula gives %.1f", got, want);
}

/* A flow that lost a segment with w_max segments in flight and a window of as many, then
 * recovered with at least ssthresh in flight: congestion avoidance from cwnd = ssthresh =
 * beta_cubic * w_max, at T0, SRTT srtt_ms. The epoch begins with the next ACK. */
static struct tcp_flow *
cubic_after_loss(unsigned int w_max, uint32_t srtt_ms)
{
	struct tcp_flow *f = cubic_ready(10);

	f->srtt = srtt_ms * 1000 << 3;
	f->cwnd = w_max * MSS;
	sent(f, w_max * MSS);
	f->cc->enter_recovery(f);
	f->snd_una = f->snd_max;
	sent(f, w_max * MSS);
	f->cc->exit_recovery(f);
	assert_int_equal(f->ssthresh, w_max * MSS * 7 / 10);
	assert_int_equal(f->cwnd, f->ssthresh);
	return f;
}

static void
test_cubic_init_ssthresh_high_hystart_then_initial_window(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	assert_string_equal(tcp_cc_cubic.name, "cubic");
	assert_ptr_equal(tcp_cc_find("cubic"), &tcp_cc_cubic);
	assert_ptr_equal(tcp_cc_find("newreno"), &tcp_cc_newreno);
	assert_null(tcp_cc_find("reno"));
	assert_string_equal(tcp_cc_names(), "newreno|cubic|dctcp");
	assert_true(sizeof(struct tcp_cc_cubic) <= 48);
	/* HyStart++ takes RTT samples. */
	assert_non_null(tcp_cc_cubic.on_rtt_sample);
	assert_false(tcp_cc_cubic.needs_ecn);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	assert_int_equal(f->cwnd, 10 * MSS);
	assert_int_equal(c->phase, CUBIC_HS_SS);
	assert_int_equal(c->hs.last_min_rtt, UINT32_MAX);
	assert_int_equal(c->hs.cur_min_rtt, UINT32_MAX);
	assert_int_equal(c->w_max, 0);
	/* A retransmitted SYN: TCP restarts the window at one segment. */
	f->cc->conn_init(f, MSS);
	assert_int_equal(f->cwnd, MSS);
	assert_int_equal(c->phase, CUBIC_HS_SS);
}

static void
test_cubic_window_follows_rfc_curve_concave_then_convex(void **state)
{
	static const struct {
		uint64_t t_ms;
		int side;		/* below W_max (-1), at it (0), above it (1) */
	} probes[] = {
		{ 500, -1 }, { 2000, -1 }, { 3000, -1 }, { 4117, 0 },
		{ 5000, 1 }, { 6000, 1 }, { 8000, 1 },
	};
	struct tcp_flow *f = cubic_after_loss(100, 100);
	struct tcp_cc_cubic *c = cubic(f);
	double k = k_cubic(100, 70), want;
	uint32_t got, before;
	unsigned int i;

	(void)state;
	/* The first ACK of congestion avoidance begins the epoch: W_max is the window
	 * before the loss, K the time back to it from cwnd_epoch = 70 segments (4.217 s). */
	ca_acked(f, MSS);
	assert_true(c->flags & CUBIC_EPOCH);
	assert_int_equal(c->w_max, 100 * MSS);
	assert_int_equal(c->cwnd_prior, 100 * MSS);
	assert_true(fabs(c->ca.k_ms - k * 1000) <= 1.0);
	/* Each probe: the window one RTT (100 ms) ahead on W_cubic, concave below W_max,
	 * flat at it after K, convex above it. */
	for (i = 0; i < RTE_DIM(probes); i++) {
		double t = probes[i].t_ms / 1000.0;

		want = w_cubic(t + 0.1, k, 100);
		at_ms(probes[i].t_ms);
		got = curve_at(f, want);
		assert_window_near(got, want);
		if (probes[i].side < 0)
			assert_true(got < 100 * MSS - 64);
		else if (probes[i].side > 0)
			assert_true(got > 100 * MSS + 64);
	}
	/* An ACK of one segment adds (target - cwnd) / cwnd of a segment. */
	at_ms(6000);
	f->cwnd = before = 100 * MSS;
	ca_acked(f, MSS);
	want = (w_cubic(6.1, k, 100) - 100) / 100 * MSS;
	assert_true(fabs((double)(f->cwnd - before) - want) <= 1.0);
}

static void
test_cubic_target_clamped_between_cwnd_and_one_and_a_half_cwnd(void **state)
{
	struct tcp_flow *f = cubic_after_loss(100, 100);

	(void)state;
	ca_acked(f, MSS);
	/* Above the curve (W_cubic(5.1 s) is 100.3 segments) target = cwnd: no growth. */
	at_ms(5000);
	assert_int_equal(curve_probe(f, 130 * MSS), 130 * MSS);
	/* Far below it (W_cubic(8.1 s) is 123.4 segments) target = 1.5 cwnd: a window of
	 * ACKs takes 60 segments to 90, no further (ssthresh lowered for the probe). */
	at_ms(8000);
	f->ssthresh = 50 * MSS;
	assert_true(w_cubic(8.1, k_cubic(100, 70), 100) > 120);
	assert_int_equal(curve_probe(f, 60 * MSS), 90 * MSS);
}

static void
test_cubic_reno_friendly_region_takes_over_for_small_bdp(void **state)
{
	/* W_max 10 segments and a 1 ms RTT: the curve needs K = 1.96 s to get back to 10
	 * segments, Reno grows by a segment every millisecond. */
	struct tcp_flow *f = cubic_after_loss(10, 1);
	struct tcp_cc_cubic *c = cubic(f);
	double w_est = 7.0;
	unsigned int r, i, n;

	(void)state;
	for (r = 0; r < 40; r++) {
		at_ms(r);
		n = f->cwnd / MSS;
		for (i = 0; i < n; i++) {
			/* RFC 9438 Figure 4 per ACK of one segment, alpha_cubic = 1 from
			 * cwnd_prior (10 segments) on. */
			double alpha = w_est >= 10.0 ? 1.0 : ALPHA_CUBIC;

			w_est += alpha / ((double)f->cwnd / MSS);
			ca_acked(f, MSS);
		}
	}
	/* 39 ms into the epoch the curve is still near 7 segments; W_est, and cwnd with
	 * it, has grown like Reno's (and reached cwnd_prior on the way). */
	assert_true(w_cubic(0.039, k_cubic(10, 7), 10) < 7.5);
	assert_int_equal(f->cwnd, c->ca.w_est);
	assert_true(f->cwnd >= 30 * MSS);
	if (fabs((double)f->cwnd / MSS - w_est) > 1.0)
		fail_msg("cwnd %u, W_est by Figure 4 %.2f segments", f->cwnd, w_est);
}

static void
test_cubic_fast_convergence_lowers_w_max_below_last(void **state)
{
	struct tcp_flow *f = cubic_after_loss(100, 100);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	ca_acked(f, MSS);
	/* A loss at 80 segments, short of W_max (100): W_max = 80 * (1 + beta_cubic) / 2,
	 * releasing bandwidth to newer flows (§4.7). */
	f->cwnd = 80 * MSS;
	f->snd_max = f->snd_una + 80 * MSS;
	f->cc->enter_recovery(f);
	assert_int_equal(c->w_max, 68 * MSS);
	assert_int_equal(c->cwnd_prior, 80 * MSS);
	assert_int_equal(f->ssthresh, 56 * MSS);
	assert_int_equal(f->cwnd, 56 * MSS);
	assert_false(c->flags & CUBIC_EPOCH);
	/* The next epoch climbs to the lowered W_max: K from 56 to 68 segments. */
	f->snd_una = f->snd_max;
	sent(f, 60 * MSS);
	f->cc->exit_recovery(f);
	at_ms(1000);
	ca_acked(f, MSS);
	assert_true(fabs(c->ca.k_ms - k_cubic(68, 56) * 1000) <= 1.0);
	/* A loss at or above W_max: no fast convergence, W_max = cwnd. */
	f->cwnd = 90 * MSS;
	f->snd_max = f->snd_una + 90 * MSS;
	f->cc->enter_recovery(f);
	assert_int_equal(c->w_max, 90 * MSS);
	assert_int_equal(f->ssthresh, 63 * MSS);
}

static void
test_cubic_loss_ssthresh_beta_times_flight_cwnd_at_least_two_mss(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	/* RFC 9438 §4.6: ssthresh = flight_size * beta_cubic, whatever cwnd is;
	 * cwnd = max(ssthresh, 2); W_max and cwnd_prior are the window before it. */
	f->cwnd = 100 * MSS;
	sent(f, 80 * MSS);
	f->cc->enter_recovery(f);
	assert_int_equal(f->ssthresh, 56 * MSS);
	assert_int_equal(f->cwnd, 56 * MSS);
	assert_int_equal(c->w_max, 100 * MSS);
	assert_int_equal(c->cwnd_prior, 100 * MSS);
	/* A loss ends HyStart++: congestion avoidance from here. */
	assert_int_equal(c->phase, CUBIC_CA);
	/* A small flight: both stay at two segments. */
	f = cubic_ready(10);
	sent(f, 2 * MSS);
	f->cc->enter_recovery(f);
	assert_int_equal(f->ssthresh, 2 * MSS);
	assert_int_equal(f->cwnd, 2 * MSS);
	/* The full ACK: cwnd = ssthresh (RFC 6937; PRR has paced the flight there). */
	f->snd_una = f->snd_max;
	f->cwnd = 30 * MSS;
	f->ssthresh = 56 * MSS;
	f->cc->exit_recovery(f);
	assert_int_equal(f->cwnd, 56 * MSS);
}

static void
test_cubic_rto_loss_window_then_epoch_with_k_zero(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	f->cwnd = 100 * MSS;
	sent(f, 50 * MSS);
	/* §4.8: ssthresh by beta_cubic, cwnd = the loss window of one segment. */
	f->cc->on_rto(f);
	assert_int_equal(f->ssthresh, 35 * MSS);
	assert_int_equal(f->cwnd, MSS);
	assert_int_equal(c->cwnd_prior, 100 * MSS);
	/* RFC 5681 slow start (no HyStart++ after a loss): at most one segment per ACK,
	 * up to ssthresh exactly. */
	acked(f, 3 * MSS);
	assert_int_equal(f->cwnd, 2 * MSS);
	while (f->cwnd < f->ssthresh)
		acked(f, 2 * MSS);
	assert_int_equal(f->cwnd, 35 * MSS);
	/* The first epoch after a timeout: K = 0, W_max = cwnd_epoch. */
	at_ms(500);
	ca_acked(f, MSS);
	assert_true(c->flags & CUBIC_EPOCH);
	assert_int_equal(c->ca.k_ms, 0);
	assert_int_equal(c->w_max, 35 * MSS);
	assert_int_equal(c->ca.w_est, 35 * MSS);
	/* Convex from there: W_cubic(t) = C t^3 + 35 segments. */
	f->srtt = 0;
	at_ms(500 + 3000);
	assert_window_near(curve_probe(f, 40 * MSS), w_cubic(3.0, 0, 35));
}

static void
test_cubic_ece_reduces_like_loss_cwnd_at_least_one_mss(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	assert_non_null(tcp_cc_cubic.on_ece);
	f->cwnd = 20 * MSS;
	sent(f, 10 * MSS);
	f->cc->on_ece(f);
	assert_int_equal(f->ssthresh, 7 * MSS);
	assert_int_equal(f->cwnd, 7 * MSS);
	assert_int_equal(c->w_max, 20 * MSS);
	assert_int_equal(c->phase, CUBIC_CA);
	/* Figure 5: after an ECN echo cwnd may go down to one segment, ssthresh to two. */
	f = cubic_ready(10);
	sent(f, MSS);
	f->cc->on_ece(f);
	assert_int_equal(f->ssthresh, 2 * MSS);
	assert_int_equal(f->cwnd, MSS);
}

static void
test_cubic_undo_restores_w_max_and_place_on_curve(void **state)
{
	/* A spurious loss in the concave region (2 s) and in the convex one (6 s). */
	static const uint64_t loss_ms[] = { 2000, 6000 };
	double k = k_cubic(100, 70);
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(loss_ms); i++) {
		struct tcp_flow *f = cubic_after_loss(100, 100);
		struct tcp_cc_cubic *c = cubic(f);
		uint32_t cwnd, ssthresh;
		double t = loss_ms[i] / 1000.0, want;

		ca_acked(f, MSS);
		at_ms(loss_ms[i]);
		f->cwnd = cwnd = (uint32_t)(w_cubic(t, k, 100) * MSS);
		ssthresh = f->ssthresh;
		f->snd_max = f->snd_una + cwnd;
		f->cc->enter_recovery(f);
		assert_int_not_equal(f->cwnd, cwnd);
		/* 300 ms later the loss turns out spurious (D-SACK): TCP restores cwnd and
		 * ssthresh, the module what it keeps. */
		at_ms(loss_ms[i] + 300);
		f->cwnd = cwnd;
		f->ssthresh = ssthresh;
		f->cc->undo(f);
		assert_int_equal(c->w_max, 100 * MSS);
		assert_int_equal(c->cwnd_prior, 100 * MSS);
		assert_int_equal(c->phase, CUBIC_CA);
		assert_true(c->flags & CUBIC_EPOCH);
		/* The curve continues from where the loss found it, without the 300 ms: 100
		 * ms after the undo the window is the one of t + 100 ms (and the RTT). */
		at_ms(loss_ms[i] + 400);
		want = w_cubic(t + 0.1 + 0.1, k, 100);
		assert_window_near(curve_at(f, want), want);
	}
}

static void
test_cubic_undo_in_first_slow_start_resumes_hystart(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	sent(f, 10 * MSS);
	f->cc->enter_recovery(f);
	assert_int_equal(c->phase, CUBIC_CA);
	assert_int_equal(c->w_max, 10 * MSS);
	f->cwnd = 10 * MSS;
	f->ssthresh = TCP_CWND_MAX;
	f->cc->undo(f);
	assert_int_equal(c->w_max, 0);
	assert_int_equal(c->phase, CUBIC_HS_SS);
	/* HyStart++'s slow start: up to L = 8 segments per ACK. */
	acked(f, 8 * MSS);
	assert_int_equal(f->cwnd, 18 * MSS);
}

static void
test_cubic_after_idle_epoch_moves_by_idle_time_restart_window(void **state)
{
	struct tcp_flow *f = cubic_after_loss(100, 100);
	struct tcp_cc_cubic *c = cubic(f);
	double k = k_cubic(100, 70), want;
	uint32_t epoch;

	(void)state;
	ca_acked(f, MSS);
	at_ms(1000);
	ca_acked(f, MSS);	/* the last ACK before the application pauses */
	epoch = c->ca.epoch_ms;
	/* Sending resumes after 10 s: RFC 5681's restart window, and t without the idle
	 * period (§5.8). */
	at_ms(11000);
	f->cc->after_idle(f, 10 * MSS);
	assert_int_equal(f->cwnd, 10 * MSS);
	assert_int_equal(c->ca.epoch_ms, epoch + 10000);
	/* Once slow start is back at ssthresh the curve is where it was at 1 s, not where
	 * it would be at 11 s (far above W_max). */
	want = w_cubic(1.0 + 0.1, k, 100);
	assert_window_near(curve_at(f, want), want);
	/* Without an epoch (slow start) only the restart window applies. */
	f = cubic_ready(10);
	f->cwnd = 30 * MSS;
	f->cc->after_idle(f, 10 * MSS);
	assert_int_equal(f->cwnd, 10 * MSS);
	f->cwnd = 4 * MSS;
	f->cc->after_idle(f, 10 * MSS);
	assert_int_equal(f->cwnd, 4 * MSS);
}

static void
test_cubic_app_limited_acks_no_growth_time_not_counted(void **state)
{
	struct tcp_flow *f = cubic_after_loss(100, 100);
	double k = k_cubic(100, 70), want;
	uint32_t cwnd;

	(void)state;
	ca_acked(f, MSS);
	at_ms(1000);
	ca_acked(f, MSS);
	cwnd = f->cwnd;
	/* From 1 s to 3 s the application sends little: ACKs find ten segments in flight
	 * of a window of seventy, and no data waiting. */
	at_ms(1500);
	f->snd_max = f->snd_una + 10 * MSS;
	acked(f, 5 * MSS);
	at_ms(3000);
	acked(f, 5 * MSS);
	assert_int_equal(f->cwnd, cwnd);
	/* The window fills again at 3.1 s: t has not counted the 2 s in between. */
	at_ms(3100);
	want = w_cubic(1.1 + 0.1, k, 100);
	assert_window_near(curve_at(f, want), want);
}

/* ---- HyStart++ (RFC 9406) ---- */

/* One round of slow start: the whole window leaves at its start and comes back in ACKs of
 * one segment, the first `samples` of them timed at rtt_us. More data waits than the
 * window lets out (a bulk sender): every ACK finds the window in use. */
static void
ss_round(struct tcp_flow *f, uint32_t rtt_us, unsigned int samples)
{
	unsigned int i, n = f->cwnd / MSS;

	f->snd_wnd = TCP_CWND_MAX;
	f->tx.bytes = TCP_CWND_MAX;
	f->snd_max = f->snd_una + f->cwnd;
	for (i = 0; i < n; i++) {
		f->snd_una += MSS;
		if (i < samples)
			f->cc->on_rtt_sample(f, rtt_us);
		f->cc->on_ack(f, MSS);
	}
}

static void
test_hystart_rtt_increase_enters_css_decrease_resumes_slow_start(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);
	uint32_t cwnd;
	unsigned int i;

	(void)state;
	ss_round(f, 10000, 8);
	assert_int_equal(f->cwnd, 20 * MSS);
	ss_round(f, 10000, 8);
	assert_int_equal(f->cwnd, 40 * MSS);
	assert_int_equal(c->hs.last_min_rtt, 10000);
	/* 13.9 ms: below lastRoundMinRTT + max(4 ms, 10 ms / 8). */
	ss_round(f, 13900, 8);
	assert_int_equal(c->phase, CUBIC_HS_SS);
	assert_int_equal(f->cwnd, 80 * MSS);
	/* 17.9 ms, 4 ms above the last round: judged at the eighth sample, and from
	 * there Conservative Slow Start grows by a quarter. */
	f->snd_max = f->snd_una + f->cwnd;
	for (i = 0; i < 7; i++) {
		f->snd_una += MSS;
		f->cc->on_rtt_sample(f, 17900);
		f->cc->on_ack(f, MSS);
	}
	assert_int_equal(c->phase, CUBIC_HS_SS);
	assert_int_equal(f->cwnd, 87 * MSS);
	f->snd_una += MSS;
	f->cc->on_rtt_sample(f, 17900);
	assert_int_equal(c->phase, CUBIC_HS_CSS);
	assert_int_equal(c->hs.css_base_rtt, 17900);
	f->cc->on_ack(f, MSS);
	assert_int_equal(f->cwnd, 87 * MSS + MSS / 4);
	/* Later samples of the round are not counted: the first eight decided. */
	f->snd_una += MSS;
	f->cc->on_rtt_sample(f, 1000);
	f->cc->on_ack(f, MSS);
	assert_int_equal(c->hs.cur_min_rtt, 17900);
	assert_int_equal(c->phase, CUBIC_HS_CSS);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	/* The next round's RTT falls below cssBaselineMinRtt: the exit was spurious. */
	f->snd_una = f->snd_max;
	cwnd = f->cwnd;
	ss_round(f, 15000, 8);
	assert_int_equal(c->phase, CUBIC_HS_SS);
	assert_true(f->cwnd > cwnd + (cwnd / MSS) * MSS / 4);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
}

static void
test_hystart_css_rounds_then_congestion_avoidance(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);
	unsigned int i;

	(void)state;
	ss_round(f, 10000, 8);
	ss_round(f, 10000, 8);
	ss_round(f, 20000, 8);		/* CSS from this round's eighth sample */
	assert_int_equal(c->phase, CUBIC_HS_CSS);
	/* CSS_ROUNDS = 5 rounds, counting the one CSS began in: four more. */
	for (i = 0; i < 4; i++) {
		ss_round(f, 20000, 8);
		assert_int_equal(c->phase, CUBIC_HS_CSS);
		assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	}
	/* The fifth ends with the next ACK: congestion avoidance, ssthresh = cwnd. */
	f->snd_max = f->snd_una + f->cwnd;
	f->snd_una += MSS;
	f->cc->on_rtt_sample(f, 20000);
	assert_int_equal(c->phase, CUBIC_CA);
	assert_int_equal(f->ssthresh, f->cwnd);
	/* RFC 9438 §4.10: no W_max yet, so cwnd_prior = W_max = cwnd and K = 0. */
	f->cc->on_ack(f, MSS);
	assert_true(c->flags & CUBIC_EPOCH);
	assert_int_equal(c->ca.k_ms, 0);
	assert_int_equal(c->w_max, f->ssthresh);
	assert_int_equal(c->cwnd_prior, f->ssthresh);
	assert_int_equal(c->ca.w_est, f->ssthresh);
}

static void
test_hystart_threshold_clamped_between_4_and_16_ms(void **state)
{
	struct tcp_flow *f;

	(void)state;
	/* 200 ms / 8 = 25 ms, capped at MAX_RTT_THRESH = 16 ms. */
	f = cubic_ready(10);
	ss_round(f, 200000, 8);
	ss_round(f, 215900, 8);
	assert_int_equal(cubic(f)->phase, CUBIC_HS_SS);
	ss_round(f, 215900 + 16000, 8);
	assert_int_equal(cubic(f)->phase, CUBIC_HS_CSS);
	/* 1 ms / 8, raised to MIN_RTT_THRESH = 4 ms. */
	f = cubic_ready(10);
	ss_round(f, 1000, 8);
	ss_round(f, 4900, 8);
	assert_int_equal(cubic(f)->phase, CUBIC_HS_SS);
	ss_round(f, 4900 + 4000, 8);
	assert_int_equal(cubic(f)->phase, CUBIC_HS_CSS);
}

static void
test_hystart_one_sample_per_round_judged_at_round_end(void **state)
{
	struct tcp_flow *f = cubic_ready(10);
	struct tcp_cc_cubic *c = cubic(f);

	(void)state;
	/* TCP times one segment per round trip: rounds of one sample each. */
	ss_round(f, 10000, 1);
	ss_round(f, 10000, 1);
	ss_round(f, 14000, 1);
	assert_int_equal(c->phase, CUBIC_HS_SS);
	/* The round is judged on its one sample when it ends, with the next ACK. */
	f->snd_max = f->snd_una + f->cwnd;
	f->snd_una += MSS;
	f->cc->on_ack(f, MSS);
	assert_int_equal(c->phase, CUBIC_HS_CSS);
	assert_int_equal(c->hs.css_base_rtt, 14000);
}

/* The ACK of flight bytes (all that was out) when `waiting` more bytes are queued, through
 * the ACK path's hook: timed at 10 ms. */
static void
ss_ack_all(struct tcp_flow *f, uint32_t flight, uint32_t waiting)
{
	f->snd_max = f->snd_una + flight;
	f->snd_una = f->snd_max;
	f->tx.bytes = waiting;
	tcp_cc_on_rtt_sample_ack(f->cc, f, 10000, flight);
}

/* Slow start grows only a window in use (RFC 7661's intent, Linux's tcp_is_cwnd_limited):
 * the flight before the ACK above half of cwnd, or data held back by the window. Otherwise
 * nothing changes, HyStart++'s round and samples included. */
static void
test_cubic_slow_start_grows_only_a_window_in_use(void **state)
{
	struct tcp_flow *f = cubic_ready(10), before;
	unsigned int i;

	(void)state;
	f->snd_wnd = TCP_CWND_MAX;
	/* Request-response: one small segment at a time, or half the window. */
	for (i = 0; i < 100; i++) {
		before = *f;
		ss_ack_all(f, i % 2 == 0 ? 1 : 5 * MSS, 0);
		before.snd_una = f->snd_una;
		before.snd_max = f->snd_max;
		assert_memory_equal(f, &before, sizeof(before));
	}
	assert_int_equal(f->cwnd, 10 * MSS);
	assert_int_equal(cubic(f)->hs.samples, 0);
	/* More than half of it: the window grows, and HyStart++ takes the sample. */
	ss_ack_all(f, 5 * MSS + 1, 0);
	assert_int_equal(f->cwnd, 10 * MSS + 5 * MSS + 1);
	assert_int_equal(cubic(f)->hs.samples, 1);
	/* A small flight while data waits that the window held back: it grows. */
	ss_ack_all(f, MSS, 4 * MSS);
	assert_int_equal(f->cwnd, 16 * MSS + 1);
	/* ... but not when the peer's window held it back. */
	f->snd_wnd = 2 * MSS;
	ss_ack_all(f, MSS, 4 * MSS);
	assert_int_equal(f->cwnd, 16 * MSS + 1);
	/* The hook on its own (an ACK without a sample) decides alike. */
	f->snd_wnd = TCP_CWND_MAX;
	f->snd_max = f->snd_una + MSS;
	f->snd_una = f->snd_max;
	f->tx.bytes = 0;
	f->cc->on_ack(f, MSS);
	assert_int_equal(f->cwnd, 16 * MSS + 1);
	f->snd_max = f->snd_una + 10 * MSS;
	f->snd_una = f->snd_max;
	f->cc->on_ack(f, 10 * MSS);
	assert_int_equal(f->cwnd, 24 * MSS + 1);
	/* Congestion avoidance keeps its own rule (§5.8, cubic_cwnd_limited). */
	f->ssthresh = f->cwnd;
	before = *f;
	ss_ack_all(f, MSS, 0);
	assert_int_equal(f->cwnd, before.cwnd);
	assert_true(cubic(f)->flags & CUBIC_EPOCH);
}

/* ---- real connections ---- */

static void
test_established_flow_runs_cubic_hystart_gets_rtt_samples(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;
	char buf[16384];
	uint32_t cwnd;

	/* The handshake takes 20 ms: its RTT is HyStart++'s first sample. */
	tpeer_syn(p);
	tp_advance(&x->t, 20000, 20000);
	tpeer_ack(p);
	f = tpeer_flow(p);
	assert_ptr_equal(f->cc, &tcp_cc_cubic);
	assert_int_equal(f->cwnd, (uint32_t)x->t.w->cfg->init_cwnd * f->mss);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	assert_int_equal(cubic(f)->phase, CUBIC_HS_SS);
	assert_int_equal(cubic(f)->hs.samples, 1);
	assert_int_equal(cubic(f)->hs.cur_min_rtt, 20000);
	/* Five bytes, acknowledged 40 ms later: the window was not in use, so neither it
	 * nor HyStart++'s round changes. */
	p->tc = tapp_find(&x->app, p->port);
	assert_int_equal(sl_conn_send(p->tc->c, "hello", 5), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	tp_advance(&x->t, 40000, 40000);
	tpeer_ack(p);
	assert_int_equal(f->cwnd, (uint32_t)x->t.w->cfg->init_cwnd * f->mss);
	assert_int_equal(cubic(f)->hs.samples, 1);
	assert_int_equal(cubic(f)->hs.last_min_rtt, UINT32_MAX);
	assert_int_equal(cubic(f)->hs.cur_min_rtt, 20000);
	/* A full window acknowledged 30 ms later starts the next round with its sample,
	 * and grows the window by L = 8 segments at most. */
	cwnd = f->cwnd;
	assert_true(cwnd <= sizeof(buf));
	memset(buf, 'x', cwnd);
	assert_int_equal(sl_conn_send(p->tc->c, buf, cwnd), 0);
	th_poll(&x->t);
	while (tpeer_recv(p, &o))
		;
	assert_int_equal(f->snd_max - f->snd_una, cwnd);
	tp_advance(&x->t, 30000, 30000);
	tpeer_ack(p);
	assert_int_equal(cubic(f)->hs.last_min_rtt, 20000);
	assert_int_equal(cubic(f)->hs.cur_min_rtt, 30000);
	assert_int_equal(f->cwnd, cwnd + 8 * f->mss);
}

static void
test_conn_set_cc_switches_module_keeps_window(void **state)
{
	struct tt *x = *state;
	struct sl_conn *c = tpeer_connect(&x->p);
	struct tcp_flow *f = tpeer_flow(&x->p);
	struct sl_conn_info info;
	uint32_t cwnd = f->cwnd;

	assert_int_equal(sl_conn_set_cc(c, "newreno"), 0);
	assert_ptr_equal(f->cc, &tcp_cc_newreno);
	assert_int_equal(f->cwnd, cwnd);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	assert_int_equal(f->cc_state.newreno.ca_acked, 0);
	sl_conn_info(c, &info);
	assert_string_equal(info.cc, "newreno");
	/* Unknown names change nothing. */
	assert_int_equal(sl_conn_set_cc(c, "reno"), -EINVAL);
	assert_int_equal(sl_conn_set_cc(c, NULL), -EINVAL);
	assert_ptr_equal(f->cc, &tcp_cc_newreno);
	/* Back to CUBIC in congestion avoidance: the window and ssthresh stay, no
	 * HyStart++, and the first epoch starts from cwnd. */
	f->ssthresh = cwnd / 2;
	f->cc_state.newreno.ca_acked = 1234;
	assert_int_equal(sl_conn_set_cc(c, "cubic"), 0);
	assert_ptr_equal(f->cc, &tcp_cc_cubic);
	assert_int_equal(f->cwnd, cwnd);
	assert_int_equal(f->ssthresh, cwnd / 2);
	assert_int_equal(cubic(f)->phase, CUBIC_CA);
	assert_int_equal(cubic(f)->w_max, 0);
	assert_false(cubic(f)->flags & CUBIC_EPOCH);
	sl_conn_info(c, &info);
	assert_string_equal(info.cc, "cubic");
	/* The module in use again: nothing changes. */
	cubic(f)->w_max = 77;
	assert_int_equal(sl_conn_set_cc(c, "cubic"), 0);
	assert_int_equal(cubic(f)->w_max, 77);
}

static void
test_conn_set_cc_before_handshake_module_starts_with_it(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_await_syn(p);
	struct tcp_flow *f = tpeer_flow(p);

	/* SYN-SENT: no MSS yet, so no window; the handshake gives the new module its
	 * initial window. */
	assert_int_equal(f->cwnd, 0);
	assert_int_equal(sl_conn_set_cc(c, "newreno"), 0);
	assert_ptr_equal(f->cc, &tcp_cc_newreno);
	assert_int_equal(f->cwnd, 0);
	assert_int_equal(f->ssthresh, TCP_CWND_MAX);
	tpeer_synack(p);
	th_poll(&x->t);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_ptr_equal(f->cc, &tcp_cc_newreno);
	assert_int_equal(f->cwnd, (uint32_t)x->t.w->cfg->init_cwnd * f->mss);
}

/* CUBIC's on_rtt_sample fast path (slow start, a round of one sample ending) against its
 * general path, from random HyStart++ states around the cases it must tell apart (each
 * phase; 0, 1, a few and N_RTT_SAMPLE samples; a round ending or not; minimums unset,
 * close together or far apart): the whole control block is the same after. */
static struct tcp_flow flow_b;

static uint32_t
rng_next(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*x >> 33);
}

static uint32_t
rtt_pick(uint64_t *x)
{
	static const uint32_t v[] = { UINT32_MAX, 1, 999, 1000, 5000, 9000, 10000, 14000,
				      20000, 200000 };

	return v[rng_next(x) % RTE_DIM(v)];
}

/* A CUBIC state drawn from x: phase, HyStart++ round and samples, RTTs, sequence
 * numbers around the round's end, cwnd. */
static void
cubic_state_random(uint64_t *x, struct tcp_flow *a)
{
	static const uint8_t samples[] = { 0, 1, 1, 1, 2, 7, 8 };
	struct tcp_cc_cubic *c = cubic(a);

	c->phase = (uint8_t)(rng_next(x) % 4 == 0 ? CUBIC_HS_CSS :
			     rng_next(x) % 5 == 0 ? CUBIC_CA : CUBIC_HS_SS);
	c->hs.samples = samples[rng_next(x) % RTE_DIM(samples)];
	c->hs.css_rounds = (uint8_t)(rng_next(x) % 6);
	c->hs.last_min_rtt = rtt_pick(x);
	c->hs.cur_min_rtt = rtt_pick(x);
	c->hs.css_base_rtt = rtt_pick(x);
	a->snd_una = rng_next(x);
	a->snd_max = a->snd_una + rng_next(x) % 3 * MSS;
	c->hs.window_end = a->snd_una + rng_next(x) % 5 - 2;
	if (rng_next(x) % 8 == 0)
		c->hs.window_end = a->snd_una + (1u << 31);
	a->cwnd = (1 + rng_next(x) % 100) * MSS;
}

static void
test_cubic_rtt_sample_fast_path_matches_general_path(void **state)
{
	uint64_t x = 17;
	unsigned int i, fast = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct tcp_flow *a = cubic_ready(10), *b = &flow_b;
		struct tcp_cc_cubic *c = cubic(a);
		uint32_t rtt = rtt_pick(&x);

		cubic_state_random(&x, a);
		*b = *a;
		if (c->phase == CUBIC_HS_SS && c->hs.samples == 1 &&
		    (int32_t)(a->snd_una - c->hs.window_end) > 0)
			fast++;
		a->cc->on_rtt_sample(a, rtt);
		tcp_cc_cubic_rtt_sample_general(b, rtt);
		assert_memory_equal(a, b, sizeof(*a));
	}
	assert_true(fast > 1000);
}

/* The ACK that measured the RTT: CUBIC's two hooks as one (tcp_cc_on_rtt_sample_ack)
 * leave what on_rtt_sample then on_ack leave, in every phase, round and window; except
 * in slow start when the window is not in use (the flight before the ACK at most half of
 * cwnd, no data held back by it), where neither changes anything. */
static void
test_cubic_rtt_sample_ack_matches_the_two_hooks(void **state)
{
	uint64_t x = 29;
	unsigned int i, fast = 0, css = 0, idle = 0;
	bool in_use;

	(void)state;
	for (i = 0; i < 40000; i++) {
		struct tcp_flow *a = cubic_ready(10), *b = &flow_b;
		struct tcp_cc_cubic *c = cubic(a);
		uint32_t rtt = rtt_pick(&x), acked = 1 + rng_next(&x) % (12 * MSS);

		cubic_state_random(&x, a);
		if (rng_next(&x) % 3 == 0)
			a->ssthresh = a->cwnd + rng_next(&x) % 3 * MSS - MSS;
		/* Data waiting beyond the flight (or not), and the peer's window. */
		a->tx.bytes = (uint32_t)(a->snd_max - a->snd_una) + rng_next(&x) % 3 * MSS;
		a->snd_wnd = rng_next(&x) % 4 != 0 ? TCP_CWND_MAX : MSS;
		*b = *a;
		in_use = 2 * (uint64_t)(a->snd_max - a->snd_una + acked) > a->cwnd ||
			 (a->tx.bytes >= a->snd_max - a->snd_una + MSS && a->snd_wnd >= a->cwnd);
		if (a->cwnd < a->ssthresh && !in_use) {
			/* Slow start that does not use its window: nothing changes. */
			idle++;
			tcp_cc_on_rtt_sample_ack(a->cc, a, rtt, acked);
			assert_memory_equal(a, b, sizeof(*a));
			continue;
		}
		if (c->phase == CUBIC_HS_SS && c->hs.samples == 1 &&
		    (int32_t)(a->snd_una - c->hs.window_end) > 0 && a->cwnd < a->ssthresh) {
			fast++;
			if (c->hs.last_min_rtt != UINT32_MAX && c->hs.cur_min_rtt != UINT32_MAX &&
			    c->hs.cur_min_rtt >= c->hs.last_min_rtt + 4000)
				css++;
		}
		tcp_cc_on_rtt_sample_ack(a->cc, a, rtt, acked);
		b->cc->on_rtt_sample(b, rtt);
		b->cc->on_ack(b, acked);
		assert_memory_equal(a, b, sizeof(*a));
	}
	assert_true(fast > 1000);
	assert_true(css > 50);
	assert_true(idle > 1000);
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
	cmocka_unit_test(test_cubic_init_ssthresh_high_hystart_then_initial_window),
	cmocka_unit_test(test_cubic_window_follows_rfc_curve_concave_then_convex),
	cmocka_unit_test(test_cubic_target_clamped_between_cwnd_and_one_and_a_half_cwnd),
	cmocka_unit_test(test_cubic_reno_friendly_region_takes_over_for_small_bdp),
	cmocka_unit_test(test_cubic_fast_convergence_lowers_w_max_below_last),
	cmocka_unit_test(test_cubic_loss_ssthresh_beta_times_flight_cwnd_at_least_two_mss),
	cmocka_unit_test(test_cubic_rto_loss_window_then_epoch_with_k_zero),
	cmocka_unit_test(test_cubic_ece_reduces_like_loss_cwnd_at_least_one_mss),
	cmocka_unit_test(test_cubic_undo_restores_w_max_and_place_on_curve),
	cmocka_unit_test(test_cubic_undo_in_first_slow_start_resumes_hystart),
	cmocka_unit_test(test_cubic_after_idle_epoch_moves_by_idle_time_restart_window),
	cmocka_unit_test(test_cubic_app_limited_acks_no_growth_time_not_counted),
	cmocka_unit_test(test_hystart_rtt_increase_enters_css_decrease_resumes_slow_start),
	cmocka_unit_test(test_hystart_css_rounds_then_congestion_avoidance),
	cmocka_unit_test(test_hystart_threshold_clamped_between_4_and_16_ms),
	cmocka_unit_test(test_cubic_rtt_sample_ack_matches_the_two_hooks),
	cmocka_unit_test(test_hystart_one_sample_per_round_judged_at_round_end),
	cmocka_unit_test(test_cubic_rtt_sample_fast_path_matches_general_path),
	cmocka_unit_test(test_cubic_slow_start_grows_only_a_window_in_use),
	TT_TEST(test_established_flow_runs_cubic_hystart_gets_rtt_samples),
	TT_TEST(test_conn_set_cc_switches_module_keeps_window),
	TT_TEST(test_conn_set_cc_before_handshake_module_starts_with_it),
};

UNIT_MAIN("test_tcp_cc", tests)
