/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_in.c against blind in-window attacks (RFC 5961: RST, SYN, ACK acceptability and
 * the per-connection challenge-ACK budget), PAWS (RFC 7323 §5), and the probes that must
 * be answered whatever the budget says (keepalive, zero-window probes). */

#include "unit.h"

#include "tcp_helper.h"

/* The peer sends a segment whose sequence number is far outside the stack's window. */
static void
send_out_of_window(struct tpeer *p, uint8_t flags)
{
	tpeer_xmit(p, flags, p->snd_nxt + 100000000, p->rcv_nxt, "zz", 2);
}

/* Count the ACKs the stack sent (and check that they are pure challenge/dup ACKs). */
static unsigned int
count_acks(struct tpeer *p)
{
	struct tp_out o;
	unsigned int n = 0;

	while (tpeer_recv(p, &o)) {
		assert_int_equal(o.flags, TH_ACK);
		assert_int_equal(o.len, 0);
		assert_int_equal(o.ack, p->snd_nxt);
		n++;
	}
	return n;
}

/* ---- RST (RFC 5961 §3) ---- */

static void
test_established_rst_in_window_gets_challenge_ack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	tpeer_xmit(p, TH_RST, p->snd_nxt + 100, 0, NULL, 0);
	/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection is untouched. */
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.ack, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 1);
	assert_int_equal(th_stats(&x->t)->tcp_rst_rx, 0);
	assert_int_equal(p->tc->closes, 0);
	/* A real peer answers the challenge with an exact RST, which resets. */
	tpeer_xmit(p, TH_RST, o.ack, 0, NULL, 0);
	assert_null(tpeer_flow(p));
	assert_int_equal(p->tc->reason, SL_CLOSE_RESET);
}

static void
test_established_rst_outside_window_ignored_silently(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_xmit(p, TH_RST, p->snd_nxt + 100000000, 0, NULL, 0);
	tpeer_xmit(p, TH_RST, p->snd_nxt - 1, 0, NULL, 0);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 0);
	/* stats.h: tcp_rst_ignored counts "RSTs outside the window (ignored)". */
	assert_int_equal(th_stats(&x->t)->tcp_rst_ignored, 2);
}

static void
test_established_rst_with_old_timestamp_still_resets(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	/* RFC 7323 §5.3: RSTs are acceptable whatever their timestamp. */
	p->tsval -= 10000;
	tpeer_xmit(p, TH_RST, p->snd_nxt, 0, NULL, 0);
	assert_null(tpeer_flow(p));
	assert_int_equal(th_stats(&x->t)->tcp_paws_drop, 0);
	assert_int_equal(p->tc->reason, SL_CLOSE_RESET);
}

/* ---- SYN (RFC 5961 §4) ---- */

static void
test_established_syn_in_window_gets_challenge_ack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	tpeer_xmit(p, TH_SYN, p->snd_nxt + 5, 0, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.ack, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_int_equal(th_stats(&x->t)->tcp_syn_in_window, 1);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 1);
	assert_int_equal(p->tc->closes, 0);
}

static void
test_established_syn_outside_window_acked_connection_kept(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	/* "irrespective of the sequence number": an ACK, never a reset. */
	tpeer_xmit(p, TH_SYN, p->snd_nxt + 100000000, 0, NULL, 0);
	assert_int_equal(count_acks(p), 1);
	tpeer_xmit(p, TH_SYN, p->iss, 0, NULL, 0);
	assert_int_equal(count_acks(p), 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_int_equal(p->tc->closes, 0);
}

/* ---- ACK (RFC 5961 §5) ---- */

static void
test_established_ack_of_unsent_data_challenged_and_dropped(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, p->rcv_nxt + 1000, "evil", 4);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	/* The segment is dropped: its data is not acknowledged or delivered. */
	assert_int_equal(o.ack, p->snd_nxt);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(tpeer_flow(p)->snd_una, tpeer_sseq(p, 0));
	assert_int_equal(th_stats(&x->t)->tcp_ack_unsent, 1);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 1);
}

static void
test_established_ack_older_than_max_window_challenged_and_dropped(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;

	tpeer_connect(p);
	f = tpeer_flow(p);
	/* Below SND.UNA - MAX.SND.WND: acceptable to no honest peer. */
	tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, f->snd_una - f->max_snd_wnd - 10, "evil", 4);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.ack, p->snd_nxt);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 1);
	assert_int_equal(th_stats(&x->t)->tcp_ack_old, 1);
	/* An old ACK within the bound is fine, and its data is taken. */
	tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, f->snd_una - 10, "good", 4);
	assert_int_equal(p->tc->rx_bytes, 4);
}

static void
test_established_segment_without_ack_dropped_and_counted(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	/* RFC 9293 §3.10.7.4 fifth check: "if the ACK bit is off, drop the segment and
	 * return", data and all, without an answer. */
	tpeer_xmit(p, TH_PSH, p->snd_nxt, 0, "data", 4);
	tpeer_expect_nothing(p);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(th_stats(&x->t)->tcp_drop_noack, 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	/* The same bytes with an ACK are taken. */
	tpeer_send(p, TH_ACK | TH_PSH, "data", 4);
	assert_int_equal(p->tc->rx_bytes, 4);
	assert_int_equal(th_stats(&x->t)->tcp_drop_noack, 1);
}

static const enum sl_tcp_state sync_states[] = {
	SL_TCP_ESTABLISHED, SL_TCP_FIN_WAIT_1, SL_TCP_FIN_WAIT_2,
	SL_TCP_CLOSE_WAIT, SL_TCP_CLOSING, SL_TCP_LAST_ACK,
};

static void
test_sync_states_in_window_rst_and_syn_get_challenge_acks(void **state)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(sync_states); i++) {
		/* A fresh stack for each case (the fixture's for the first): each one ends
		 * with its own leak check. */
		struct tt *x = i == 0 ? *state : tt_fixture_renew(state, NULL);
		struct tpeer *p = &x->p;

		tpeer_open_in_state(p, sync_states[i]);
		tpeer_xmit(p, TH_RST, p->snd_nxt + 1, 0, NULL, 0);
		assert_int_equal(count_acks(p), 1);
		tpeer_xmit(p, TH_SYN, p->snd_nxt + 1, 0, NULL, 0);
		assert_int_equal(count_acks(p), 1);
		assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 2);
		assert_non_null(tpeer_flow(p));
		assert_int_equal(tpeer_flow(p)->state, sync_states[i]);
	}
}

/* ---- the challenge-ACK budget (RFC 5961 §7) ---- */

static void
test_challenge_acks_rate_limited_per_connection(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p, p2;
	const uint32_t budget = x->t.w->cfg->challenge_acks;
	unsigned int i;

	tpeer_init(&p2, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, 7000000);
	tpeer_connect(p);
	tpeer_connect(&p2);
	for (i = 0; i < budget + 2; i++)
		tpeer_xmit(p, TH_RST, p->snd_nxt + 100, 0, NULL, 0);
	assert_int_equal(count_acks(p), budget);
	assert_int_equal(th_stats(&x->t)->tcp_ack_ratelimited, 2);
	/* The other connection has its own budget: one connection's attacker cannot
	 * silence another's (and nobody can learn one from the other, CVE-2016-5696). */
	for (i = 0; i < budget + 2; i++)
		tpeer_xmit(&p2, TH_RST, p2.snd_nxt + 100, 0, NULL, 0);
	assert_int_equal(count_acks(&p2), budget);
	assert_int_equal(th_stats(&x->t)->tcp_ack_ratelimited, 4);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 2 * budget);
	/* A second later the budget is back. */
	tp_advance(&x->t, 1000000, 100000);
	tpeer_xmit(p, TH_RST, p->snd_nxt + 100, 0, NULL, 0);
	assert_int_equal(count_acks(p), 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_int_equal(tpeer_flow(&p2)->state, SL_TCP_ESTABLISHED);
}

static void
test_established_out_of_window_data_acked_within_budget(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint32_t budget = x->t.w->cfg->challenge_acks;
	unsigned int i;

	tpeer_connect(p);
	for (i = 0; i < budget + 3; i++)
		send_out_of_window(p, TH_ACK);
	assert_int_equal(count_acks(p), budget);
	assert_int_equal(th_stats(&x->t)->tcp_oow_drop, budget + 3);
	assert_int_equal(th_stats(&x->t)->tcp_ack_ratelimited, 3);
	assert_int_equal(p->tc->rx_bytes, 0);
}

/* A segment we hold already is a retransmission whose ACK was lost: the peer waits for
 * the answer, so it is never rate-limited (as in Linux), and carries a D-SACK block. */
static void
test_established_duplicate_data_answered_past_rate_limit(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint32_t budget = x->t.w->cfg->challenge_acks;
	static uint8_t d[1448];
	struct tp_out o;
	unsigned int i;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK, d, sizeof(d));
	th_tx_drain(&x->t);
	for (i = 0; i < budget + 1; i++)
		send_out_of_window(p, TH_ACK);
	assert_int_equal(count_acks(p), budget);
	for (i = 0; i < 3; i++) {
		tpeer_xmit(p, TH_ACK, p->snd_nxt - sizeof(d), p->rcv_nxt, d, sizeof(d));
		assert_true(tpeer_recv(p, &o));
		assert_int_equal(o.flags, TH_ACK);
		assert_int_equal(o.ack, p->snd_nxt);
		assert_true(o.opts.has & TO_SACK);
		assert_int_equal(o.opts.sack[0].start, p->snd_nxt - sizeof(d));
		assert_int_equal(o.opts.sack[0].end, p->snd_nxt);
		assert_false(tpeer_recv(p, &o));
	}
	assert_int_equal(th_stats(&x->t)->tcp_dup_answered, 3);
	assert_int_equal(th_stats(&x->t)->tcp_ack_ratelimited, 1);
	assert_int_equal(p->tc->rx_bytes, sizeof(d));
}

static void
test_keepalive_probe_from_peer_answered_past_rate_limit(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint32_t budget = x->t.w->cfg->challenge_acks;
	unsigned int i;

	tpeer_connect(p);
	for (i = 0; i < budget + 1; i++)
		send_out_of_window(p, TH_ACK);
	assert_int_equal(count_acks(p), budget);
	/* Keepalive probes, without and with the one garbage byte older stacks send. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
	assert_int_equal(count_acks(p), 1);
	tpeer_xmit(p, TH_ACK, p->snd_nxt - 1, p->rcv_nxt, "k", 1);
	assert_int_equal(count_acks(p), 1);
	assert_int_equal(th_stats(&x->t)->tcp_probe_answered, 2);
	assert_int_equal(p->tc->rx_bytes, 0);
}

static int
setup_rcvbuf_4k(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.rcvbuf = 4096;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_zero_window_probe_from_peer_answered_past_rate_limit(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	static uint8_t d[4096];
	struct tp_out o;
	unsigned int i;

	tpeer_connect(p);
	/* The application stops reading and the window closes. */
	x->app.rx_pause = true;
	tpeer_send(p, TH_ACK, d, 1448);
	tpeer_send(p, TH_ACK, d, 1448);
	tpeer_send(p, TH_ACK, d, 1200);
	th_tx_drain(&x->t);
	assert_int_equal(tpeer_flow(p)->rcv_adv, tpeer_flow(p)->rcv_nxt);
	for (i = 0; i < x->t.w->cfg->challenge_acks + 1; i++)
		send_out_of_window(p, TH_ACK);
	assert_int_equal(count_acks(p), x->t.w->cfg->challenge_acks);
	/* A probe into the closed window: one byte at RCV.NXT, answered with window 0. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, p->rcv_nxt, "p", 1);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.ack, p->snd_nxt);
	assert_int_equal(o.wnd, 0);
	assert_int_equal(th_stats(&x->t)->tcp_probe_answered, 1);
}

/* ---- PAWS (RFC 7323 §5) ---- */

static void
test_established_paws_old_timestamp_dropped_and_acked(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK | TH_PSH, "new", 3);
	th_tx_drain(&x->t);
	/* An old duplicate: next in sequence, but its timestamp is older. */
	p->tsval -= 1000;
	tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, p->rcv_nxt, "old", 3);
	assert_int_equal(count_acks(p), 1);
	assert_int_equal(p->tc->rx_bytes, 3);
	assert_memory_equal(p->tc->rx, "new", 3);
	assert_int_equal(th_stats(&x->t)->tcp_paws_drop, 1);
	/* With a current timestamp, the same bytes are taken. */
	p->tsval += 2000;
	tpeer_send(p, TH_ACK | TH_PSH, "now", 3);
	assert_int_equal(p->tc->rx_bytes, 6);
}

static void
test_established_paws_timestamp_wraps_around_2_32(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	p->tsval = 0xfffffff0;
	tpeer_connect(p);
	/* The peer's clock wraps: 0x10 is newer than 0xfffffff0 (modulo 2^32). */
	p->tsval = 0x10;
	tpeer_send(p, TH_ACK | TH_PSH, "abc", 3);
	assert_int_equal(p->tc->rx_bytes, 3);
	assert_int_equal(th_stats(&x->t)->tcp_paws_drop, 0);
	assert_int_equal(tpeer_flow(p)->ts_recent, 0x10);
}

static void
test_established_paws_not_applied_after_24_idle_days(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tp_advance(&x->t, 25ull * 86400 * 1000000, 86400ull * 1000000);
	tp_learn_peer(&x->t);
	/* ts_recent is too old to judge by (RFC 7323 §5.5). */
	p->tsval -= 100000;
	tpeer_send(p, TH_ACK | TH_PSH, "late", 4);
	assert_int_equal(p->tc->rx_bytes, 4);
	assert_int_equal(th_stats(&x->t)->tcp_paws_drop, 0);
}

static void
test_established_ts_recent_only_from_segment_at_left_edge(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	/* An out-of-order segment's timestamp is not echoed (RFC 7323 §4.3). */
	p->tsval = 500000;
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, 100), p->rcv_nxt, "ooo", 3);
	tpeer_expect(p, &o);
	assert_true(o.opts.tsecr != 500000);
	p->tsval = 400000;
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, 0), p->rcv_nxt, "in", 2);
	th_tx_drain(&x->t);
	assert_int_equal(tpeer_flow(p)->ts_recent, 400000);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_established_rst_in_window_gets_challenge_ack),
	TT_TEST(test_established_rst_outside_window_ignored_silently),
	TT_TEST(test_established_rst_with_old_timestamp_still_resets),
	TT_TEST(test_established_syn_in_window_gets_challenge_ack),
	TT_TEST(test_established_syn_outside_window_acked_connection_kept),
	TT_TEST(test_established_ack_of_unsent_data_challenged_and_dropped),
	TT_TEST(test_established_ack_older_than_max_window_challenged_and_dropped),
	TT_TEST(test_established_segment_without_ack_dropped_and_counted),
	TT_TEST(test_sync_states_in_window_rst_and_syn_get_challenge_acks),
	TT_TEST(test_challenge_acks_rate_limited_per_connection),
	TT_TEST(test_established_out_of_window_data_acked_within_budget),
	TT_TEST(test_established_duplicate_data_answered_past_rate_limit),
	TT_TEST(test_keepalive_probe_from_peer_answered_past_rate_limit),
	TT_TEST_SETUP(test_zero_window_probe_from_peer_answered_past_rate_limit, setup_rcvbuf_4k),
	TT_TEST(test_established_paws_old_timestamp_dropped_and_acked),
	TT_TEST(test_established_paws_timestamp_wraps_around_2_32),
	TT_TEST(test_established_paws_not_applied_after_24_idle_days),
	TT_TEST(test_established_ts_recent_only_from_segment_at_left_edge),
};

UNIT_MAIN("test_tcp_rfc5961", tests)
