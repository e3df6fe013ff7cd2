/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_timer.c and the loss recovery in tcp_in.c: RFC 6298 (RTO, backoff, Karn), RFC 5681
 * and RFC 6582 (fast retransmit, NewReno partial ACKs), zero-window persist probes, the
 * delayed ACK, keepalive and the user timeout. Times are exact: the tests jump the
 * virtual clock from one timer deadline to the next (tp_run_until_tx). */

#include "unit.h"

#include "tcp_helper.h"

#define MSS 1448u

static uint8_t payload[64 * 1024];

static const uint8_t *
pattern(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 31 + 3);
	return payload;
}

/* Passive open whose handshake takes rtt_us, so the first RTT sample is rtt_us:
 * SRTT = R, RTTVAR = R/2, RTO = 3R (RFC 6298 §2.2), clamped to [rto_min, rto_max]. */
static struct sl_conn *
connect_with_rtt(struct tt *x, uint64_t rtt_us)
{
	struct tpeer *p = &x->p;

	tpeer_syn(p);
	tp_advance(&x->t, rtt_us, rtt_us);
	tpeer_ack(p);
	tpeer_expect_nothing(p);
	p->tc = tapp_find(&x->app, p->port);
	assert_non_null(p->tc);
	return p->tc->c;
}

/* Queue n bytes at the stack and let them leave; the peer consumes the segments. */
static unsigned int
stack_sends(struct tt *x, struct sl_conn *c, const uint8_t *d, uint32_t n)
{
	struct tp_out o;
	unsigned int segs = 0;

	assert_int_equal(sl_conn_send(c, d, n), 0);
	th_poll(&x->t);
	while (tpeer_recv(&x->p, &o))
		segs++;
	return segs;
}

/* The peer acknowledges the stack's byte offset `off` (window unchanged). */
static void
ack_upto(struct tpeer *p, uint32_t off)
{
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, off), NULL, 0);
}

/* ---- RTO ---- */

static void
test_rtt_first_sample_sets_rto_to_three_rtt(void **state)
{
	struct tt *x = *state;
	struct tcp_flow *f;

	connect_with_rtt(x, 400000);
	f = tpeer_flow(&x->p);
	assert_int_equal(f->srtt >> 3, 400000);
	assert_int_equal(f->rto, 1200000);
}

static void
test_rtt_small_sample_rto_clamped_to_rto_min(void **state)
{
	struct tt *x = *state;

	connect_with_rtt(x, 10000);
	assert_int_equal(tpeer_flow(&x->p)->rto, x->t.w->cfg->rto_min_us);
}

static void
test_established_rto_fires_then_exponential_backoff(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1000);
	struct sl_conn *c;
	struct tp_out o;
	unsigned int i;

	c = connect_with_rtt(x, 100000);
	assert_int_equal(stack_sends(x, c, d, 1000), 1);
	for (i = 0; i < 5; i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 100000000), 300000ull << i);
		tpeer_expect(p, &o);
		assert_int_equal(o.seq, tpeer_sseq(p, 0));
		assert_int_equal(o.len, 1000);
		assert_memory_equal(o.data, d, 1000);
		tpeer_expect_nothing(p);
		assert_int_equal(th_stats(&x->t)->tcp_rto, i + 1);
		assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, i + 1);
	}
	ack_upto(p, 1000);
	assert_int_equal(tp_run_until_tx(&x->t, 100000000), UINT64_MAX);
}

static int
setup_rto_max_1s(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.rto_max_us = 1000000;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_rto_capped_at_rto_max(void **state)
{
	struct tt *x = *state;
	struct sl_conn *c;
	static const uint64_t gaps[] = { 300000, 600000, 1000000, 1000000, 1000000 };
	unsigned int i;

	c = connect_with_rtt(x, 100000);
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	for (i = 0; i < RTE_DIM(gaps); i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 100000000), gaps[i]);
		th_tx_drain(&x->t);
	}
	ack_upto(&x->p, 100);
}

static int
setup_retries_3(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.retries = 3;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_rto_retries_exhausted_rst_timeout(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;
	unsigned int i;

	c = connect_with_rtt(x, 100000);
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	for (i = 0; i < x->t.w->cfg->retries; i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 100000000), 300000ull << i);
		tpeer_expect(p, &o);
		assert_int_equal(o.len, 100);
	}
	/* The next expiry gives up: RST, and the application hears "timeout". */
	assert_int_equal(tp_run_until_tx(&x->t, 100000000), 300000ull << x->t.w->cfg->retries);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST | TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 100));
	th_poll(&x->t);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "ax");
	assert_int_equal(p->tc->reason, SL_CLOSE_TIMEOUT);
	assert_int_equal(th_stats(&x->t)->tcp_conn_timeout, 1);
}

/* The window assertions below are NewReno's (RFC 5681, RFC 6582); CUBIC's are in
 * test_tcp_cc.c. */
static int
setup_newreno(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	snprintf(cfg.cc, sizeof(cfg.cc), "%s", "newreno");
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_rto_go_back_n_from_one_segment(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5 * MSS);
	struct tcp_flow *f;
	struct sl_conn *c;
	struct tp_out o;

	c = connect_with_rtt(x, 100000);
	f = tpeer_flow(p);
	assert_int_equal(stack_sends(x, c, d, 5 * MSS), 5);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 300000);
	/* RFC 5681 §3.1: loss window of one segment, ssthresh = FlightSize / 2. */
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	tpeer_expect_nothing(p);
	assert_int_equal(f->cwnd, MSS);
	assert_int_equal(f->ssthresh, 5 * MSS / 2);
	/* Each ACK lets slow start resend the next segments (go-back-N). */
	p->rcv_nxt = tpeer_sseq(p, MSS);
	ack_upto(p, MSS);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, MSS));
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 2 * MSS));
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 3);
	ack_upto(p, 5 * MSS);
}

/* After a timeout snd_nxt is back at snd_una, but the peer may already hold everything up
 * to snd_max. A segment without data must carry the highest sequence number (as BSD's
 * snd_max): an older one fails the peer's sequence check and its ACK is never read. When
 * both sides retransmit at once, each then drops the other's ACKs and retransmissions
 * until the retries run out. */
static void
test_established_rto_rewind_ack_carries_highest_seq(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5 * MSS);
	struct sl_conn *c;
	struct tp_out o;

	c = connect_with_rtt(x, 100000);
	tpeer_send(p, TH_ACK | TH_PSH, "abcd", 4);
	tt_flush(x, 200000);
	tpeer_expect_ack(p, tpeer_seq(p, 4));
	assert_int_equal(stack_sends(x, c, d, 5 * MSS), 5);
	/* The peer's ACKs are lost: the RTO resends the first segment. */
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 300000);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	tpeer_expect_nothing(p);
	/* The peer retransmits its own (old) data; the answer is an ACK at snd_max. */
	tpeer_xmit(p, TH_ACK | TH_PSH, tpeer_seq(p, 0), p->rcv_nxt, "abcd", 4);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.ack, tpeer_seq(p, 4));
	assert_int_equal(o.seq, tpeer_sseq(p, 5 * MSS));
	ack_upto(p, 5 * MSS);
}

static void
test_established_rto_karn_retransmission_not_timed(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct sl_conn *c;

	c = connect_with_rtt(x, 100000);
	f = tpeer_flow(p);
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 300000);
	th_tx_drain(&x->t);
	/* The ACK comes 2 s later: it may answer either transmission, so it is no
	 * sample (Karn); SRTT and RTO stay. */
	tp_advance(&x->t, 2000000, 100000);
	th_tx_drain(&x->t);
	ack_upto(p, 100);
	assert_int_equal(f->srtt >> 3, 100000);
	assert_int_equal(f->rto, 300000);
	/* New data is timed again: R' = 50 ms gives SRTT 93.75 ms, RTTVAR 50 ms. */
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	tp_advance(&x->t, 50000, 50000);
	ack_upto(p, 200);
	assert_int_equal(f->srtt >> 3, 93750);
	assert_int_equal(f->rto, 93750 + 4 * 50000);
}

/* RFC 6298 §5 (after rule 5.7): the backed-off RTO stays until a new RTT measurement is
 * made; an ACK of a retransmitted segment is none (Linux: "only reset backoff on valid
 * RTT measurement"). Without timestamps, nothing else can provide one. */
static void
test_established_rto_backoff_kept_until_new_rtt_sample(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	p->ts = false;
	c = connect_with_rtt(x, 100000);
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 300000);
	th_tx_drain(&x->t);
	ack_upto(p, 100);
	/* The next segment is lost too: its timer runs the backed-off RTO. */
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 600000);
	th_tx_drain(&x->t);
	ack_upto(p, 200);
}

/* RFC 6298 (5.7): when the SYN was retransmitted and the RTO is below 3 s, it is
 * re-initialised to 3 s when data transmission begins. */
static void
test_syn_sent_syn_retransmitted_data_rto_three_seconds(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_await_syn(p);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 1000000);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_SYN);
	tpeer_synack(p);
	tpeer_expect_ack(p, p->iss + 1);
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 3000000);
	th_tx_drain(&x->t);
	ack_upto(p, 100);
}

/* RFC 5681 §3.1 and RFC 6928 §2: after a lost SYN or SYN-ACK, the initial window MUST be
 * one segment. */
static void
test_syn_sent_syn_retransmitted_initial_window_one_segment(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_await_syn(p);
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 1000000);
	tpeer_expect(p, &o);
	tpeer_synack(p);
	tpeer_expect_ack(p, p->iss + 1);
	assert_int_equal(stack_sends(x, c, pattern(5 * MSS), 5 * MSS), 1);
	ack_upto(p, 5 * MSS);
}

static int
setup_user_timeout_2s(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.user_timeout_ms = 2000;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_user_timeout_aborts_unacknowledged_data(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;
	uint64_t start;

	c = connect_with_rtt(x, 100000);
	start = x->t.w->clock.now_us;
	assert_int_equal(stack_sends(x, c, pattern(100), 100), 1);
	/* Retransmissions at 0.3 s and 0.9 s; the one due at 2.1 s finds the data unacked
	 * for longer than 2 s and gives up instead. */
	while (p->tc->closes == 0 && x->t.w->clock.now_us - start < 10000000) {
		tp_run_until_tx(&x->t, 10000000);
		while (tpeer_recv(p, &o))
			if (o.flags & TH_RST)
				assert_true(x->t.w->clock.now_us - start >= 2000000);
		th_poll(&x->t);
	}
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_TIMEOUT);
	assert_int_equal(th_stats(&x->t)->tcp_rto, 2);
}

/* ---- fast retransmit and NewReno ---- */

/* A connection that has already had one segment acknowledged, then n segments in flight. */
static struct sl_conn *
flight_of(struct tt *x, unsigned int n, bool warm)
{
	struct sl_conn *c = connect_with_rtt(x, 100000);

	if (warm) {
		assert_int_equal(stack_sends(x, c, pattern(MSS), MSS), 1);
		ack_upto(&x->p, MSS);
	}
	assert_int_equal(stack_sends(x, c, pattern(n * MSS), n * MSS), n);
	return c;
}

static void
test_established_three_dupacks_fast_retransmit(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;

	p->sack_ok = false;	/* RFC 5681 / RFC 6582 without SACK */
	flight_of(x, 6, true);
	f = tpeer_flow(p);
	/* The first of the six is lost; the others each bring a duplicate ACK. */
	ack_upto(p, MSS);
	ack_upto(p, MSS);
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_dupacks, 2);
	ack_upto(p, MSS);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, MSS));
	assert_int_equal(o.len, MSS);
	assert_int_equal(th_stats(&x->t)->tcp_fast_retransmit, 1);
	assert_true(f->flags & TF_RECOVERY);
	/* RFC 5681 §3.2: ssthresh = FlightSize / 2. The window is PRR's (RFC 6937): the
	 * three duplicates say three segments left, so pipe = 6 - 1 lost - 3 = 2 SMSS,
	 * below ssthresh: the slow start reduction bound lets one segment out,
	 * cwnd = pipe + 1 SMSS. */
	assert_int_equal(f->ssthresh, 3 * MSS);
	assert_int_equal(f->cwnd, 3 * MSS);
	ack_upto(p, 7 * MSS);
	assert_false(f->flags & TF_RECOVERY);
}

static void
test_established_first_segment_lost_three_dupacks_fast_retransmit(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	/* The very first data segment of the connection is the one lost: RFC 6582
	 * initialises recover to the ISS, so these duplicates may start recovery. */
	flight_of(x, 6, false);
	ack_upto(p, 0);
	ack_upto(p, 0);
	ack_upto(p, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.len, MSS);
	assert_int_equal(th_stats(&x->t)->tcp_fast_retransmit, 1);
	ack_upto(p, 6 * MSS);
}

static void
test_established_acks_with_window_change_not_duplicates(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	unsigned int i;

	flight_of(x, 6, true);
	/* RFC 5681 §2: an ACK that changes the window is not a duplicate. */
	for (i = 0; i < 4; i++) {
		p->wnd = (uint16_t)(60000 + 1000 * i);
		ack_upto(p, MSS);
	}
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_fast_retransmit, 0);
	ack_upto(p, 7 * MSS);
}

static void
test_newreno_partial_ack_retransmits_next_hole_full_ack_ends_recovery(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;

	/* Six segments S1..S6 after the first one; S1 and S3 are lost; no SACK. */
	p->sack_ok = false;
	flight_of(x, 6, true);
	f = tpeer_flow(p);
	ack_upto(p, MSS);
	ack_upto(p, MSS);
	ack_upto(p, MSS);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, MSS));
	/* A fourth duplicate: PRR's pipe = 6 - 4 = 2 SMSS, and the slow start reduction
	 * bound keeps cwnd at pipe + 1 SMSS (RFC 6937); nothing new is queued. */
	ack_upto(p, MSS);
	assert_int_equal(f->cwnd, 3 * MSS);
	tpeer_expect_nothing(p);
	/* S1 arrives: the ACK stops at the S3 hole (partial, RFC 6582 §3.2 step 3). It
	 * acknowledges S1 and S2, and S2 was already counted by a duplicate: one more
	 * segment delivered, pipe = 4 - 1 lost - 3 still counted = 0, so S3 leaves. */
	ack_upto(p, 3 * MSS);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 3 * MSS));
	assert_int_equal(o.len, MSS);
	assert_true(f->flags & TF_RECOVERY);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 2);
	assert_int_equal(th_stats(&x->t)->tcp_fast_retransmit, 1);
	/* Full ACK: recovery ends with cwnd = ssthresh (RFC 6937). */
	ack_upto(p, 7 * MSS);
	assert_false(f->flags & TF_RECOVERY);
	assert_int_equal(f->cwnd, 3 * MSS);
	tpeer_expect_nothing(p);
}

/* ---- zero window: persist ---- */

/* The stack has 1000 bytes acknowledged with a zero window, and 500 more waiting. */
static struct sl_conn *
zero_window(struct tt *x)
{
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1500);
	struct sl_conn *c = connect_with_rtt(x, 100000);

	assert_int_equal(stack_sends(x, c, d, 1000), 1);
	p->wnd = 0;
	ack_upto(p, 1000);
	assert_int_equal(tpeer_flow(p)->snd_wnd, 0);
	assert_int_equal(sl_conn_send(c, d + 1000, 500), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	return c;
}

static void
test_established_zero_window_probes_with_backoff_then_window_opens(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	uint32_t got = 0;
	unsigned int i;
	uint64_t rto;

	zero_window(x);
	/* The persist timer starts from the current RTO and backs off like it. */
	rto = tpeer_flow(p)->rto;
	for (i = 0; i < 3; i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 100000000), rto << i);
		tpeer_expect(p, &o);
		/* At most one byte, at the window's edge (RFC 9293 §3.8.6.1). */
		assert_true(o.len <= 1);
		assert_true(o.seq == tpeer_sseq(p, 1000) || o.seq == tpeer_sseq(p, 999));
		if (o.len == 1)
			assert_int_equal(o.data[0], payload[1000]);
		tpeer_expect_nothing(p);
	}
	assert_int_equal(th_stats(&x->t)->tcp_persist_probes, 3);
	/* The window opens: everything waiting leaves. */
	p->wnd = 65535;
	ack_upto(p, 1000);
	while (tpeer_recv(p, &o)) {
		assert_int_equal(o.seq, tpeer_sseq(p, 1000 + got));
		assert_memory_equal(o.data, payload + 1000 + got, o.len);
		got += o.len;
	}
	assert_int_equal(got, 500);
	ack_upto(p, 1500);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
}

/* The window closes while a segment is still unacknowledged: the retransmission timer
 * cannot retransmit into a zero window, so each timeout must become a window probe (as in
 * Linux) instead of sending nothing while backing off until the retries run out. */
static void
test_established_window_closes_with_data_in_flight_rto_probes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = connect_with_rtt(x, 100000);
	const uint8_t *d = pattern(1000);
	struct tp_out o;
	uint32_t got = 0;
	unsigned int i;

	assert_int_equal(stack_sends(x, c, d, 1000), 1);
	p->wnd = 0;
	ack_upto(p, 0);			/* nothing acknowledged, window closed */
	for (i = 0; i < 4; i++) {
		assert_true(tp_run_until_tx(&x->t, 100000000) != UINT64_MAX);
		tpeer_expect(p, &o);
		assert_true(o.len <= 1);
		ack_upto(p, 0);		/* answered, still closed */
	}
	assert_true(th_stats(&x->t)->tcp_persist_probes >= 3);
	assert_int_equal(th_stats(&x->t)->tcp_conn_timeout, 0);
	assert_true(tpeer_flow(p)->flags & TF_PERSIST);
	/* The window opens: the unacknowledged bytes go out again, whole. */
	p->wnd = 65535;
	p->rcv_nxt = tpeer_sseq(p, 0);
	ack_upto(p, 0);
	while (tp_run_until_tx(&x->t, 10000000) != UINT64_MAX && tpeer_recv(p, &o)) {
		assert_int_equal(o.seq, tpeer_sseq(p, got));
		assert_memory_equal(o.data, d + got, o.len);
		got += o.len;
		if (got >= 1000)
			break;
	}
	assert_int_equal(got, 1000);
	ack_upto(p, 1000);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
}

/* RFC 9293 §3.8.6.1: as long as the receiver answers the probes, the sender MUST keep
 * the connection open, however long the window stays closed. */
/* The peer's window is below one segment, so silly-window avoidance holds the data and the
 * persist timer fills the small window instead. When that segment is lost, the RTO must
 * resend it: silly-window avoidance is about new data, never about a retransmission
 * (nothing else would ever resend those bytes). */
static void
test_established_small_window_fill_lost_rto_resends_it(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4000);
	struct sl_conn *c;
	struct tp_out o;

	c = connect_with_rtt(x, 100000);
	/* Window field 1 with the peer's scale 7: 128 bytes, far below the largest seen. */
	p->wnd = 1;
	ack_upto(p, 0);
	assert_int_equal(tpeer_flow(p)->snd_wnd, 128);
	assert_int_equal(sl_conn_send(c, d, 4000), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	/* The persist timer overrides silly-window avoidance: 128 bytes leave, and are lost. */
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 300000);
	assert_true(tp_pop(&x->t, &o));
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.len, 128);
	tpeer_expect_nothing(p);
	/* The RTO resends them, whatever the window's size. */
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), 300000);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.len, 128);
	assert_memory_equal(o.data, d, 128);
	tpeer_expect_nothing(p);
}

static int
setup_retries_3_rto_max_1s(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.retries = 3;
	cfg.rto_max_us = 1000000;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_zero_window_answered_probes_never_abort(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	unsigned int i;

	zero_window(x);
	for (i = 0; i < 3 * x->t.w->cfg->retries; i++) {
		assert_true(tp_run_until_tx(&x->t, 100000000) != UINT64_MAX);
		tpeer_expect(p, &o);
		assert_false(o.flags & TH_RST);
		/* The probe is answered: nothing new accepted, window still zero. */
		tpeer_ack(p);
		assert_non_null(tpeer_flow(p));
	}
	assert_int_equal(p->tc->closes, 0);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
}

/* Answers to zero-window probes repeat the same ACK with the same zero window, but they
 * are not duplicate ACKs of lost data: no fast retransmit of a full segment into a window
 * that is closed. */
static void
test_established_zero_window_probe_answers_not_dupacks(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	unsigned int i;

	zero_window(x);
	for (i = 0; i < 5; i++) {
		assert_true(tp_run_until_tx(&x->t, 100000000) != UINT64_MAX);
		tpeer_expect(p, &o);
		assert_true(o.len <= 1);
		tpeer_ack(p);
		while (tpeer_recv(p, &o))
			assert_true(o.len <= 1);
	}
	assert_int_equal(th_stats(&x->t)->tcp_fast_retransmit, 0);
}

/* The receiver takes the probe's byte and its window is zero again: the sender still has
 * data waiting and nothing in flight, so it must keep probing. */
static void
test_established_zero_window_probe_byte_acked_probing_continues(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	uint64_t next;

	zero_window(x);
	assert_true(tp_run_until_tx(&x->t, 100000000) != UINT64_MAX);
	tpeer_expect(p, &o);
	if (o.len == 0) {
		/* A probe without data (seq SND.UNA - 1): answer it, wait for the next. */
		tpeer_ack(p);
		assert_true(tp_run_until_tx(&x->t, 100000000) != UINT64_MAX);
		tpeer_expect(p, &o);
	}
	assert_int_equal(o.len, 1);
	/* One byte of room had opened meanwhile: the peer keeps it, window zero again. */
	ack_upto(p, 1001);
	next = tp_run_until_tx(&x->t, 100000000);
	assert_true(next != UINT64_MAX);
	tpeer_expect(p, &o);
	assert_true(o.len <= 1);
	assert_true(o.seq == tpeer_sseq(p, 1001) || o.seq == tpeer_sseq(p, 1000));
	p->wnd = 65535;
	ack_upto(p, 1001);
	th_tx_drain(&x->t);
	ack_upto(p, 1500);
}

/* ---- delayed ACK ---- */

/* A 64 KiB buffer: the handshake window is the whole buffer, so consuming data never
 * forces a window update and only the delayed-ACK rules decide. */
static int
setup_delack(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.rcvbuf = 65535;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_one_segment_ack_delayed_by_delack_us(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK, pattern(MSS), MSS);
	tpeer_expect_nothing(p);
	assert_int_equal(tp_run_until_tx(&x->t, 1000000), x->t.w->cfg->delack_us);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(th_stats(&x->t)->tcp_delayed_acks, 1);
}

/* --ack-on-push: a segment with PSH is acknowledged at once, one without waits; with
 * --delack-us 0 every segment is acknowledged at once (tcp_ack_schedule's config tests,
 * folded by tcp_worker_init). */
static int
setup_ack_on_push(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.rcvbuf = 65535;
	cfg.ack_on_push = true;
	return tt_fixture_setup_cfg(state, &cfg);
}

static int
setup_no_delack(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.rcvbuf = 65535;
	cfg.delack_us = 0;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_push_acked_at_once_with_ack_on_push(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(200);

	tpeer_connect(p);
	tpeer_send(p, TH_ACK, d, 100);
	tpeer_expect_nothing(p);
	tpeer_send(p, TH_ACK | TH_PSH, d + 100, 100);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(th_stats(&x->t)->tcp_delayed_acks, 0);
}

static void
test_established_segment_acked_at_once_without_delack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK, pattern(100), 100);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(th_stats(&x->t)->tcp_delayed_acks, 0);
}

static void
test_established_second_full_segment_acked_at_once(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(2 * MSS);

	tpeer_connect(p);
	tpeer_send(p, TH_ACK, d, MSS);
	tpeer_expect_nothing(p);
	tpeer_send(p, TH_ACK, d + MSS, MSS);
	/* RFC 5681 §4.2: at least every second full-sized segment. */
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(th_stats(&x->t)->tcp_delayed_acks, 0);
	assert_int_equal(tp_run_until_tx(&x->t, 1000000), UINT64_MAX);
}

static void
test_established_ooo_segment_not_delayed_hole_fill_not_delayed(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(2 * MSS);

	tpeer_connect(p);
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, MSS), p->rcv_nxt, d + MSS, MSS);
	tpeer_expect_ack(p, tpeer_seq(p, 0));
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, 0), p->rcv_nxt, d, MSS);
	tpeer_expect_ack(p, tpeer_seq(p, 2 * MSS));
	assert_int_equal(th_stats(&x->t)->tcp_delayed_acks, 0);
}

static void
reply_to_message(struct tconn *tc, char ev)
{
	if (ev == 'm')
		assert_int_equal(sl_conn_send(tc->c, "pong", 4), 0);
}

static void
test_established_delayed_ack_rides_on_reply_data(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	x->app.hook = reply_to_message;
	tpeer_send(p, TH_ACK | TH_PSH, "ping", 4);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 4);
	assert_int_equal(o.ack, p->snd_nxt);
	tpeer_ack(p);
	/* No separate ACK follows when the delayed-ACK timer would have fired. */
	assert_int_equal(tp_run_until_tx(&x->t, 1000000), UINT64_MAX);
	assert_int_equal(th_stats(&x->t)->tcp_delayed_acks, 0);
}

/* ---- keepalive ---- */

/* Keepalive on: probes after 10 s idle, every 2 s, 3 of them. */
static int
setup_keepalive(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.keepalive = true;
	cfg.keepalive_idle_s = 10;
	cfg.keepalive_intvl_s = 2;
	cfg.keepalive_probes = 3;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_keepalive_probe_after_idle_then_quiet_when_answered(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	assert_int_equal(tp_run_until_tx(&x->t, 100000000), 10000000);
	tpeer_expect(p, &o);
	/* <SEQ=SND.UNA-1><ACK=RCV.NXT>, no data: the peer must answer it. */
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 0) - 1);
	assert_int_equal(o.ack, p->iss + 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(th_stats(&x->t)->tcp_keepalive_probes, 1);
	tpeer_ack(p);
	/* Answered: the next probe only after another idle period. */
	assert_int_equal(tp_run_until_tx(&x->t, 100000000), 10000000);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0) - 1);
	tpeer_ack(p);
}

static void
test_established_keepalive_unanswered_probes_rst_timeout(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	unsigned int i;

	tpeer_connect(p);
	for (i = 0; i < 3; i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 100000000), i == 0 ? 10000000 : 2000000);
		tpeer_expect(p, &o);
		assert_int_equal(o.flags, TH_ACK);
		assert_int_equal(o.seq, tpeer_sseq(p, 0) - 1);
	}
	assert_int_equal(tp_run_until_tx(&x->t, 100000000), 2000000);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags & TH_RST, TH_RST);
	th_poll(&x->t);
	assert_null(tpeer_flow(p));
	assert_int_equal(p->tc->reason, SL_CLOSE_TIMEOUT);
	assert_int_equal(th_stats(&x->t)->tcp_keepalive_probes, 3);
}

static void
test_established_keepalive_idle_restarted_by_traffic(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	uint64_t t0;

	tpeer_connect(p);
	tp_advance(&x->t, 6000000, 1000000);
	t0 = x->t.w->clock.now_us;
	tpeer_send(p, TH_ACK | TH_PSH, "x", 1);
	tt_flush(x, 2000);
	th_tx_drain(&x->t);
	/* Idle counts from the last segment received. */
	assert_true(tp_run_until_tx(&x->t, 100000000) != UINT64_MAX);
	assert_int_equal(x->t.w->clock.now_us - t0, 10000000);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0) - 1);
	assert_int_equal(o.ack, p->snd_nxt);
	tpeer_ack(p);
}

/* tcp_rtt_sample's estimator, written for scalar registers, against RFC 6298 §2 written
 * the plain way (with min and max), over random samples, first samples, zero samples and
 * clamps, rto_min above rto_max included: the same SRTT, RTTVAR and RTO every time. */
static uint32_t
rtt_rng(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*x >> 33);
}

static void
test_rtt_estimator_matches_rfc6298_reference(void **state)
{
	static struct sl_worker w;
	static struct tcp_flow f;
	struct sl_config cfg;
	uint64_t x = 5;
	unsigned int i;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	w.cfg = &cfg;
	f.cc = &tcp_cc_newreno;
	for (i = 0; i < 50000; i++) {
		/* rtt_rng() has 31 bits; RTTs up to 2^27 us (134 s, beyond any rto_max)
		 * keep the RFC's signed arithmetic clear of overflow. */
		uint32_t rtt = rtt_rng(&x) % 8 == 0 ? 0 : rtt_rng(&x) >> (4 + rtt_rng(&x) % 28);
		uint32_t srtt = rtt_rng(&x) % 4 == 0 ? 0 : rtt_rng(&x) >> (1 + rtt_rng(&x) % 31);
		uint32_t rttvar = rtt_rng(&x) % 8 == 0 ? 0 : rtt_rng(&x) >> (4 + rtt_rng(&x) % 28);
		uint32_t r = rtt == 0 ? 1 : rtt, e_srtt, e_rttvar, e_rto;

		cfg.rto_min_us = rtt_rng(&x) % 16 == 0 ? rtt_rng(&x) : rtt_rng(&x) % 400000;
		cfg.rto_max_us = rtt_rng(&x) % 16 == 0 ? rtt_rng(&x) % 400000 : 60000000;
		if (srtt == 0) {
			e_srtt = r << 3;
			e_rttvar = r << 1;
		} else {
			int32_t delta = (int32_t)r - (int32_t)(srtt >> 3);

			e_srtt = (uint32_t)((int32_t)srtt + delta);
			if (delta < 0)
				delta = -delta;
			e_rttvar = (uint32_t)((int32_t)rttvar + delta - (int32_t)(rttvar >> 2));
		}
		e_rto = (e_srtt >> 3) + RTE_MAX(1u, e_rttvar);
		e_rto = RTE_MAX(e_rto, cfg.rto_min_us);
		e_rto = RTE_MIN(e_rto, cfg.rto_max_us);
		f.srtt = srtt;
		f.rttvar = rttvar;
		tcp_rtt_sample(&w, &f, rtt);
		assert_int_equal(f.srtt, e_srtt);
		assert_int_equal(f.rttvar, e_rttvar);
		assert_int_equal(f.rto, e_rto);
	}
}

/* tcp_timers_run's one comparison (now < wheel_run_at) against the three tests it stands
 * for, at the times around each of their bounds. */
static void
assert_wheel_gate(const struct tcp_worker *t)
{
	const uint64_t T = TCP_WHEEL_TICK_US;
	const uint64_t bounds[] = {
		t->wheel_tick * T, t->wheel_empty_to * T, t->wheel_cur_next, t->wheel_run_at,
	};
	unsigned int i;
	int d;

	for (i = 0; i < RTE_DIM(bounds); i++) {
		for (d = -(int)T - 1; d <= (int)T + 1; d++) {
			uint64_t now = bounds[i] + (uint64_t)(int64_t)d, tick = now / T;
			bool idle = tick < t->wheel_tick ||
				    (now < t->wheel_cur_next && tick < t->wheel_empty_to);

			if (bounds[i] == UINT64_MAX || (d < 0 && bounds[i] < (uint64_t)-d))
				continue;
			assert_int_equal(now < t->wheel_run_at, idle);
		}
	}
}

/* The timer phase returns at once while the slots ahead held no flow when it last ran
 * (tcp_timers_run's wheel_empty_to, a bitmap word ahead); a deadline armed meanwhile
 * inside that stretch, in the current tick, at its end or beyond it still fires in the
 * first poll at or after it, never earlier. */
static void
test_wheel_deadline_armed_after_idle_run_fires_on_time(void **state)
{
	static const uint64_t after[] = {
		3 * TCP_WHEEL_TICK_US, 5, TCP_WHEEL_TICK_US + 1, 40 * TCP_WHEEL_TICK_US,
		64 * TCP_WHEEL_TICK_US, 65 * TCP_WHEEL_TICK_US, 100 * TCP_WHEEL_TICK_US + 7,
	};
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;
	unsigned int i;

	tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	for (i = 0; i < RTE_DIM(after); i++) {
		uint64_t at;

		tp_advance(&x->t, 1000, 10);	/* idle runs: nothing in the wheel ahead */
		assert_wheel_gate(&w->tcp);
		assert_int_equal(f->cork_at, 0);
		at = w->clock.now_us + after[i];
		f->cork_at = at;
		tcp_timer_arm(w, f);
		assert_wheel_gate(&w->tcp);
		tp_advance(&x->t, after[i] - 1, 1);
		assert_wheel_gate(&w->tcp);
		assert_int_equal(f->cork_at, at);
		tp_advance(&x->t, 1, 1);
		assert_wheel_gate(&w->tcp);
		assert_int_equal(f->cork_at, 0);	/* fired: TF_PUSH, tcp_timer_fire */
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_rtt_estimator_matches_rfc6298_reference),
	TT_TEST(test_wheel_deadline_armed_after_idle_run_fires_on_time),
	TT_TEST(test_rtt_first_sample_sets_rto_to_three_rtt),
	TT_TEST(test_rtt_small_sample_rto_clamped_to_rto_min),
	TT_TEST(test_established_rto_fires_then_exponential_backoff),
	TT_TEST_SETUP(test_established_rto_capped_at_rto_max, setup_rto_max_1s),
	TT_TEST_SETUP(test_established_rto_retries_exhausted_rst_timeout, setup_retries_3),
	TT_TEST_SETUP(test_established_rto_go_back_n_from_one_segment, setup_newreno),
	TT_TEST(test_established_rto_rewind_ack_carries_highest_seq),
	TT_TEST(test_established_rto_karn_retransmission_not_timed),
	TT_TEST(test_established_rto_backoff_kept_until_new_rtt_sample),
	TT_TEST(test_syn_sent_syn_retransmitted_data_rto_three_seconds),
	TT_TEST(test_syn_sent_syn_retransmitted_initial_window_one_segment),
	TT_TEST_SETUP(test_established_user_timeout_aborts_unacknowledged_data,
		      setup_user_timeout_2s),
	TT_TEST_SETUP(test_established_three_dupacks_fast_retransmit, setup_newreno),
	TT_TEST(test_established_first_segment_lost_three_dupacks_fast_retransmit),
	TT_TEST(test_established_acks_with_window_change_not_duplicates),
	TT_TEST_SETUP(test_newreno_partial_ack_retransmits_next_hole_full_ack_ends_recovery,
		      setup_newreno),
	TT_TEST(test_established_zero_window_probes_with_backoff_then_window_opens),
	TT_TEST(test_established_window_closes_with_data_in_flight_rto_probes),
	TT_TEST(test_established_small_window_fill_lost_rto_resends_it),
	TT_TEST_SETUP(test_established_zero_window_answered_probes_never_abort,
		      setup_retries_3_rto_max_1s),
	TT_TEST(test_established_zero_window_probe_answers_not_dupacks),
	TT_TEST(test_established_zero_window_probe_byte_acked_probing_continues),
	TT_TEST_SETUP(test_established_one_segment_ack_delayed_by_delack_us, setup_delack),
	TT_TEST_SETUP(test_established_second_full_segment_acked_at_once, setup_delack),
	TT_TEST_SETUP(test_established_ooo_segment_not_delayed_hole_fill_not_delayed, setup_delack),
	TT_TEST_SETUP(test_established_delayed_ack_rides_on_reply_data, setup_delack),
	TT_TEST_SETUP(test_established_push_acked_at_once_with_ack_on_push, setup_ack_on_push),
	TT_TEST_SETUP(test_established_segment_acked_at_once_without_delack, setup_no_delack),
	TT_TEST_SETUP(test_established_keepalive_probe_after_idle_then_quiet_when_answered,
		      setup_keepalive),
	TT_TEST_SETUP(test_established_keepalive_unanswered_probes_rst_timeout, setup_keepalive),
	TT_TEST_SETUP(test_established_keepalive_idle_restarted_by_traffic, setup_keepalive),
};

UNIT_MAIN("test_tcp_timer", tests)
