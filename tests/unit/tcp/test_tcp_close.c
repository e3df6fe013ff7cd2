/* SPDX-License-Identifier: BSD-3-Clause */
/* Closing (RFC 9293 §3.6): active, passive and simultaneous close, half-close both ways,
 * TIME-WAIT (2 MSL, re-ACK of a retransmitted FIN, RFC 1337, reuse by a new SYN),
 * FIN-WAIT-2 after close, RST in every synchronized state, and what the application
 * sees: sl_conn_close / shutdown / abort and the on_close reasons. */

#include <errno.h>

#include "unit.h"

#include "tcp_helper.h"

static uint8_t payload[8192];

static const uint8_t *
pattern(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 13 + 5);
	return payload;
}

/* MSL 1 s: TIME-WAIT lasts 2 s. */
static int
setup_msl_1s(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.msl_ms = 1000;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* ---- active close ---- */

static void
test_established_close_sends_fin_enters_fin_wait_1(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_FIN | TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.ack, p->iss + 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_1);
	assert_int_equal(p->tc->closes, 0);
	/* Idempotent: no second FIN. */
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
}

static void
test_established_close_fin_follows_queued_data(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(2000);
	struct sl_conn *c;
	struct tp_out o;
	uint32_t off = 0;
	bool fin = false;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 2000), 0);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	while (!fin) {
		tpeer_expect(p, &o);
		assert_int_equal(o.seq, tpeer_sseq(p, off));
		assert_memory_equal(o.data, d + off, o.len);
		off += o.len;
		fin = (o.flags & TH_FIN) != 0;
	}
	/* The FIN takes the sequence number after the last byte. */
	assert_int_equal(off, 2000);
	assert_int_equal(o.seq + o.len, tpeer_sseq(p, 2000));
	tpeer_expect_nothing(p);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_2);
}

static void
test_fin_wait_1_ack_of_fin_enters_fin_wait_2(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_FIN_WAIT_1);
	/* An ACK that stops short of the FIN changes nothing. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, p->rcv_nxt - 1, NULL, 0);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_1);
	tpeer_ack(p);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_2);
	assert_int_equal(p->tc->closes, 0);
}

static void
test_fin_wait_2_fin_enters_time_wait_acked_close_normal(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_FIN_WAIT_2);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	/* Shutdown kept the receive side: the FIN is an EOF, then the close. */
	assert_string_equal(p->tc->log, "aex");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
	assert_int_equal(x->t.w->tcp.ntimewait, 1);
}

static void
test_fin_wait_1_fin_acking_ours_enters_time_wait(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_FIN_WAIT_1);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_string_equal(p->tc->log, "aex");
}

static void
test_simultaneous_close_closing_then_time_wait(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_CLOSING);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(p->tc->closes, 0);
	tpeer_ack(p);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_string_equal(p->tc->log, "aex");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

/* ---- TIME-WAIT ---- */

static void
test_time_wait_ends_after_2msl(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	tp_advance(&x->t, 2000000 - 1000, 1000);
	assert_non_null(tpeer_flow(p));
	tp_advance(&x->t, 1000, 1000);
	assert_null(tpeer_flow(p));
	assert_int_equal(x->t.w->tcp.nflows, 0);
	assert_int_equal(x->t.w->tcp.ntimewait, 0);
	tpeer_expect_nothing(p);
}

static void
test_time_wait_retransmitted_fin_reacked_and_timer_restarted(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	tp_advance(&x->t, 1500000, 100000);
	/* Our last ACK was lost: the peer sends its FIN again. */
	tpeer_xmit(p, TH_FIN | TH_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	/* 2 MSL again from the retransmission, not from the first FIN. */
	tp_advance(&x->t, 2000000 - 1000, 1000);
	assert_non_null(tpeer_flow(p));
	tp_advance(&x->t, 1000, 1000);
	assert_null(tpeer_flow(p));
}

static void
test_time_wait_rst_ignored(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	/* RFC 1337: an RST must not cut TIME-WAIT short. */
	tpeer_xmit(p, TH_RST, p->snd_nxt, 0, NULL, 0);
	tpeer_expect_nothing(p);
	assert_non_null(tpeer_flow(p));
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_int_equal(th_stats(&x->t)->tcp_rst_ignored, 1);
}

static void
test_time_wait_new_syn_above_old_sequence_reuses_tuple(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tconn *old;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	old = p->tc;
	/* RFC 6191: a SYN above the old sequence space with a newer timestamp. */
	p->iss = p->snd_nxt + 100000;
	p->tsval += 1000;
	tpeer_connect(p);
	assert_true(p->tc != old);
	assert_int_equal(th_stats(&x->t)->tcp_timewait_reuse, 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
}

static void
test_time_wait_old_syn_acked_not_reused(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	/* A SYN below RCV.NXT (an old duplicate) cannot start a new incarnation. */
	tpeer_xmit(p, TH_SYN, p->iss, 0, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_int_equal(th_stats(&x->t)->tcp_timewait_reuse, 0);
}

/* RFC 9293 §3.10.7.4: in TIME-WAIT only a retransmitted FIN is answered. Answering a bare
 * ACK would ping-pong forever with a peer that is in TIME-WAIT too (simultaneous close)
 * as soon as one stray or duplicated ACK arrives. */
static void
test_time_wait_bare_ack_not_answered(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	tpeer_ack(p);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
}

static int
setup_max_flows_16(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.max_flows = 16;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_time_wait_oldest_evicted_when_table_full(void **state)
{
	struct tt *x = *state;
	struct tpeer q;
	unsigned int i;

	for (i = 0; i < x->t.w->cfg->max_flows; i++) {
		tpeer_init(&q, &x->t, &x->app, (uint16_t)(TP_PEER_PORT + i), TP_PORT,
			   TP_PEER_ISS + i * 1000000);
		tpeer_open_in_state(&q, SL_TCP_TIME_WAIT);
	}
	assert_int_equal(x->t.w->tcp.nflows, x->t.w->cfg->max_flows);
	assert_int_equal(x->t.w->tcp.ntimewait, x->t.w->cfg->max_flows);
	/* A new connection takes the place of the oldest TIME-WAIT one. */
	tpeer_init(&q, &x->t, &x->app, TP_PEER_PORT + 100, TP_PORT, 77);
	tpeer_connect(&q);
	assert_int_equal(th_stats(&x->t)->tcp_timewait_evict, 1);
	tpeer_init(&q, &x->t, &x->app, TP_PEER_PORT, TP_PORT, TP_PEER_ISS);
	assert_null(tpeer_flow(&q));
	assert_int_equal(x->t.w->tcp.nflows, x->t.w->cfg->max_flows);
}

static void
test_fin_wait_1_data_delivered_and_acked(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_FIN_WAIT_1);
	/* Data that does not acknowledge our FIN yet. */
	tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, p->rcv_nxt - 1, "still", 5);
	p->snd_nxt += 5;
	assert_int_equal(p->tc->rx_bytes, 5);
	assert_memory_equal(p->tc->rx, "still", 5);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_1);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->snd_nxt);
}

static void
test_close_wait_retransmitted_fin_reacked(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_CLOSE_WAIT);
	tpeer_xmit(p, TH_FIN | TH_ACK, p->snd_nxt - 1, p->rcv_nxt, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(p->tc->eofs, 1);
}

/* ---- passive close ---- */

static void
test_established_fin_enters_close_wait_with_eof(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_send(p, TH_FIN | TH_ACK | TH_PSH, "bye", 3);
	/* A FIN is acknowledged at once. */
	tpeer_expect_ack(p, p->iss + 5);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
	assert_string_equal(p->tc->log, "ame");
	assert_memory_equal(p->tc->rx, "bye", 3);
}

static void
test_close_wait_close_then_ack_closes_without_time_wait(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_LAST_ACK);
	assert_int_equal(p->tc->closes, 0);
	tpeer_ack(p);
	tpeer_expect_nothing(p);
	assert_null(tpeer_flow(p));
	assert_int_equal(x->t.w->tcp.nflows, 0);
	assert_string_equal(p->tc->log, "aex");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_close_wait_close_in_on_eof_fin_carries_ack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	x->app.close_on_eof = true;
	tpeer_connect(p);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	/* The application closes from on_eof: one segment carries our FIN and the ACK
	 * of the peer's. */
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_FIN | TH_ACK);
	assert_int_equal(o.ack, p->snd_nxt);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_LAST_ACK);
	tpeer_ack(p);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "aex");
}

static void
test_last_ack_lost_fin_retransmitted_on_rto(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;
	uint64_t rto;

	tpeer_open_in_state(p, SL_TCP_LAST_ACK);
	f = tpeer_flow(p);
	rto = f->rto;
	assert_int_equal(tp_run_until_tx(&x->t, 10000000), rto);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_FIN | TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 1);
	tpeer_ack(p);
	assert_null(tpeer_flow(p));
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_close_wait_data_after_fin_acked_not_delivered(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_CLOSE_WAIT);
	/* Nothing may follow the peer's FIN. */
	tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, p->rcv_nxt, "late", 4);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
	assert_int_equal(th_stats(&x->t)->tcp_drop_after_fin, 1);
}

static void
test_fin_out_of_order_takes_effect_when_hole_filled(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(200);
	struct tp_out o;

	tpeer_connect(p);
	tpeer_xmit(p, TH_FIN | TH_ACK, tpeer_seq(p, 100), p->rcv_nxt, d + 100, 100);
	tpeer_expect(p, &o);
	assert_int_equal(o.ack, tpeer_seq(p, 0));
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_int_equal(p->tc->eofs, 0);
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, 0), p->rcv_nxt, d, 100);
	tpeer_expect_ack(p, tpeer_seq(p, 200) + 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
	assert_int_equal(p->tc->rx_bytes, 200);
	assert_memory_equal(p->tc->rx, d, 200);
	assert_string_equal(p->tc->log, "ame");
}

/* ---- half-close ---- */

static void
test_half_close_peer_fin_stack_keeps_sending(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3000);
	struct sl_conn *c;
	struct tp_out o;
	uint32_t off = 0;

	c = tpeer_open_in_state(p, SL_TCP_CLOSE_WAIT);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	th_poll(&x->t);
	while (tpeer_recv(p, &o)) {
		assert_memory_equal(o.data, d + off, o.len);
		assert_int_equal(o.ack, p->snd_nxt);
		off += o.len;
	}
	assert_int_equal(off, 3000);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_FIN | TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 3000));
	tpeer_ack(p);
	assert_null(tpeer_flow(p));
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_half_close_stack_shutdown_peer_keeps_sending(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_FIN_WAIT_2);
	tpeer_send(p, TH_ACK | TH_PSH, "more", 4);
	assert_memory_equal(p->tc->rx, "more", 4);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_2);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_string_equal(p->tc->log, "amex");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_close_later_data_acked_and_discarded(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_true(o.flags & TH_FIN);
	tpeer_ack(p);
	tpeer_send(p, TH_ACK | TH_PSH, "late", 4);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(th_stats(&x->t)->tcp_rx_discarded, 4);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	/* Closed, so no on_eof: only on_close. */
	assert_string_equal(p->tc->log, "ax");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static int
setup_fin_wait2_5s(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.fin_wait2_ms = 5000;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_fin_wait_2_after_close_times_out_with_rst(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_2);
	/* The peer never closes its side. */
	assert_int_equal(tp_run_until_tx(&x->t, 60000000), 5000000);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags & TH_RST, TH_RST);
	assert_int_equal(o.seq, tpeer_sseq(p, 0) + 1);
	th_poll(&x->t);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "ax");
	assert_int_equal(p->tc->reason, SL_CLOSE_TIMEOUT);
}

static void
test_fin_wait_2_after_shutdown_waits_for_peer(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_open_in_state(p, SL_TCP_FIN_WAIT_2);
	/* Half-closed on purpose: the receive side stays open as long as the peer likes. */
	tp_advance(&x->t, 600000000, 10000000);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_FIN_WAIT_2);
}

/* Our FIN is in flight behind data when the RTO fires; the go-back-N retransmission has
 * only re-sent the first segment when the peer's (late) ACK of everything, FIN included,
 * arrives. That ACK acknowledges our FIN: FIN-WAIT-1 -> FIN-WAIT-2, nothing more to send. */
static void
test_fin_wait_1_rto_then_ack_of_fin_enters_fin_wait_2(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3 * 1448);
	struct sl_conn *c;
	struct tcp_flow *f;
	struct tp_out o;

	c = tpeer_connect(p);
	f = tpeer_flow(p);
	assert_int_equal(sl_conn_send(c, d, 3 * 1448), 0);
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	assert_int_equal(tp_pending(&x->t), 4);
	th_tx_drain(&x->t);
	assert_int_equal(f->state, SL_TCP_FIN_WAIT_1);
	assert_true(tp_run_until_tx(&x->t, 10000000) != UINT64_MAX);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	tpeer_expect_nothing(p);
	/* The peer had everything; its ACK covers the FIN. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3 * 1448) + 1, NULL, 0);
	assert_int_equal(f->state, SL_TCP_FIN_WAIT_2);
	assert_int_equal(f->snd_una, f->snd_max);
	tpeer_expect_nothing(p);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	assert_int_equal(f->state, SL_TCP_TIME_WAIT);
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

/* Bytes the stack acknowledged belong to the application. When it has paused delivery
 * (SL_RX_AGAIN) and the close completes meanwhile, they must still be delivered, then
 * on_eof, and only then on_close -- after LAST-ACK as after TIME-WAIT. */
static void
test_last_ack_done_while_paused_unread_data_then_eof_then_close(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_connect(p);
	x->app.rx_pause = true;
	tpeer_send(p, TH_ACK | TH_PSH, "tail", 4);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
	assert_int_equal(p->tc->eofs, 0);
	/* Our side is done sending too. */
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	p->rcv_nxt = tpeer_sseq(p, 0) + 1;
	tpeer_ack(p);
	assert_int_equal(p->tc->closes, 0);
	x->app.rx_pause = false;
	sl_conn_resume_rx(c);
	th_poll(&x->t);
	assert_int_equal(p->tc->rx_bytes, 4);
	assert_memory_equal(p->tc->rx, "tail", 4);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->log[p->tc->nlog - 2], 'e');
	assert_int_equal(p->tc->log[p->tc->nlog - 1], 'x');
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_time_wait_entered_while_paused_unread_data_then_eof_then_close(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_open_in_state(p, SL_TCP_FIN_WAIT_2);
	x->app.rx_pause = true;
	tpeer_send(p, TH_ACK | TH_PSH, "tail", 4);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	th_tx_drain(&x->t);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_int_equal(p->tc->closes, 0);
	x->app.rx_pause = false;
	sl_conn_resume_rx(c);
	th_poll(&x->t);
	assert_int_equal(p->tc->rx_bytes, 4);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->log[p->tc->nlog - 1], 'x');
}

/* A paused reader that gives up instead of resuming: sl_conn_close() drops the unread
 * bytes, and the on_close that waited for them is owed at once. The control block must
 * not be left behind (CLOSED, off every list) once TIME-WAIT ends. */
static void
test_time_wait_entered_while_paused_close_discards_then_close_and_free(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_open_in_state(p, SL_TCP_FIN_WAIT_2);
	x->app.rx_pause = true;
	tpeer_send(p, TH_ACK | TH_PSH, "tail", 4);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	th_tx_drain(&x->t);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_int_equal(p->tc->closes, 0);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(th_stats(&x->t)->tcp_rx_discarded, 4);
	assert_int_equal(p->tc->eofs, 0);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	tp_advance(&x->t, 2000000 + 1000, 1000);
	assert_null(tpeer_flow(p));
	assert_int_equal(x->t.w->tcp.nflows, 0);
	tpeer_expect_nothing(p);
}

/* The same after LAST-ACK: TCP is CLOSED already and only the application holds the
 * flow; closing it must deliver on_close and free it. */
static void
test_last_ack_done_while_paused_close_discards_then_close_and_free(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_connect(p);
	x->app.rx_pause = true;
	tpeer_send(p, TH_ACK | TH_PSH, "tail", 4);
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	p->rcv_nxt = tpeer_sseq(p, 0) + 1;
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSED);
	assert_int_equal(p->tc->closes, 0);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(p->tc->eofs, 0);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
	assert_null(tpeer_flow(p));
	assert_int_equal(x->t.w->tcp.nflows, 0);
	tpeer_expect_nothing(p);
}

/* ---- RST and abort ---- */

static void
test_sync_states_exact_rst_resets_connection(void **state)
{
	static const enum sl_tcp_state states[] = {
		SL_TCP_ESTABLISHED, SL_TCP_FIN_WAIT_1, SL_TCP_FIN_WAIT_2,
		SL_TCP_CLOSE_WAIT, SL_TCP_CLOSING, SL_TCP_LAST_ACK,
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(states); i++) {
		/* A fresh stack for each case (the fixture's for the first): each one ends
		 * with its own leak check. */
		struct tt *x = i == 0 ? *state : tt_fixture_renew(state, NULL);
		struct tpeer *p = &x->p;

		tpeer_open_in_state(p, states[i]);
		tpeer_xmit(p, TH_RST, p->snd_nxt, 0, NULL, 0);
		tpeer_expect_nothing(p);
		assert_null(tpeer_flow(p));
		assert_int_equal(p->tc->closes, 1);
		assert_int_equal(p->tc->reason, SL_CLOSE_RESET);
		assert_int_equal(th_stats(&x->t)->tcp_rst_rx, 1);
		assert_int_equal(th_stats(&x->t)->tcp_conn_reset, 1);
	}
}

/* A segment from the peer in the same burst as the RST that reset the connection finds
 * it CLOSED, its on_close still owed: dropped and counted, nothing answered. */
static void
test_closed_awaiting_on_close_segment_dropped_and_counted(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	uint8_t frame[256];
	struct tseg rst, data;
	size_t n;

	tpeer_connect(p);
	rst = (struct tseg){ .sport = p->port, .dport = p->lport, .seq = p->snd_nxt,
			     .flags = TH_RST, .wnd = 65535 };
	data = (struct tseg){ .sport = p->port, .dport = p->lport, .seq = p->snd_nxt,
			      .ack = p->rcv_nxt, .flags = TH_ACK | TH_PSH, .wnd = 65535,
			      .data = "late", .len = 4 };
	n = tp_build(frame, &x->t, &rst);
	th_wire_put(&x->t, th_frame(&x->t, frame, n));
	n = tp_build(frame, &x->t, &data);
	th_wire_put(&x->t, th_frame(&x->t, frame, n));
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_rst_rx, 1);
	assert_int_equal(th_stats(&x->t)->tcp_drop_closed, 1);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(p->tc->reason, SL_CLOSE_RESET);
	assert_null(tpeer_flow(p));
}

static void
test_established_abort_sends_rst_drops_queue_close_aborted(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3000);
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	sl_conn_abort(c);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST | TH_ACK);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.ack, p->iss + 1);
	/* The queued bytes never leave. */
	tpeer_expect_nothing(p);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "ax");
	assert_int_equal(p->tc->reason, SL_CLOSE_ABORTED);
}

static void
abort_from_message(struct tconn *tc, char ev)
{
	if (ev == 'm')
		sl_conn_abort(tc->c);
}

static void
test_established_abort_in_callback_close_in_same_iteration(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	x->app.hook = abort_from_message;
	tpeer_send(p, TH_ACK | TH_PSH, "kill", 4);
	/* on_close follows in the same delivery phase; the RST acknowledges the data. */
	assert_string_equal(p->tc->log, "amx");
	assert_int_equal(p->tc->reason, SL_CLOSE_ABORTED);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST | TH_ACK);
	assert_int_equal(o.ack, p->snd_nxt);
	tpeer_expect_nothing(p);
	assert_null(tpeer_flow(p));
}

static void
test_established_shutdown_twice_then_send_refused(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_shutdown(c), 0);
	assert_int_equal(sl_conn_shutdown(c), 0);
	assert_int_equal(sl_conn_send(c, "x", 1), -EPIPE);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_FIN | TH_ACK);
	tpeer_expect_nothing(p);
	/* The receive side is still open after shutdown. */
	tpeer_send(p, TH_ACK | TH_PSH, "y", 1);
	assert_int_equal(p->tc->rx_bytes, 1);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_established_close_sends_fin_enters_fin_wait_1),
	TT_TEST(test_established_close_fin_follows_queued_data),
	TT_TEST(test_fin_wait_1_ack_of_fin_enters_fin_wait_2),
	TT_TEST(test_fin_wait_2_fin_enters_time_wait_acked_close_normal),
	TT_TEST(test_fin_wait_1_fin_acking_ours_enters_time_wait),
	TT_TEST(test_simultaneous_close_closing_then_time_wait),
	TT_TEST_SETUP(test_time_wait_ends_after_2msl, setup_msl_1s),
	TT_TEST_SETUP(test_time_wait_retransmitted_fin_reacked_and_timer_restarted, setup_msl_1s),
	TT_TEST(test_time_wait_rst_ignored),
	TT_TEST(test_time_wait_new_syn_above_old_sequence_reuses_tuple),
	TT_TEST(test_time_wait_old_syn_acked_not_reused),
	TT_TEST(test_time_wait_bare_ack_not_answered),
	TT_TEST_SETUP(test_time_wait_oldest_evicted_when_table_full, setup_max_flows_16),
	TT_TEST(test_fin_wait_1_data_delivered_and_acked),
	TT_TEST(test_close_wait_retransmitted_fin_reacked),
	TT_TEST(test_established_fin_enters_close_wait_with_eof),
	TT_TEST(test_close_wait_close_then_ack_closes_without_time_wait),
	TT_TEST(test_close_wait_close_in_on_eof_fin_carries_ack),
	TT_TEST(test_last_ack_lost_fin_retransmitted_on_rto),
	TT_TEST(test_close_wait_data_after_fin_acked_not_delivered),
	TT_TEST(test_fin_out_of_order_takes_effect_when_hole_filled),
	TT_TEST(test_half_close_peer_fin_stack_keeps_sending),
	TT_TEST(test_half_close_stack_shutdown_peer_keeps_sending),
	TT_TEST(test_close_later_data_acked_and_discarded),
	TT_TEST_SETUP(test_fin_wait_2_after_close_times_out_with_rst, setup_fin_wait2_5s),
	TT_TEST(test_fin_wait_2_after_shutdown_waits_for_peer),
	TT_TEST(test_fin_wait_1_rto_then_ack_of_fin_enters_fin_wait_2),
	TT_TEST(test_last_ack_done_while_paused_unread_data_then_eof_then_close),
	TT_TEST(test_time_wait_entered_while_paused_unread_data_then_eof_then_close),
	TT_TEST_SETUP(test_time_wait_entered_while_paused_close_discards_then_close_and_free,
		      setup_msl_1s),
	TT_TEST(test_last_ack_done_while_paused_close_discards_then_close_and_free),
	TT_TEST(test_sync_states_exact_rst_resets_connection),
	TT_TEST(test_closed_awaiting_on_close_segment_dropped_and_counted),
	TT_TEST(test_established_abort_sends_rst_drops_queue_close_aborted),
	TT_TEST(test_established_abort_in_callback_close_in_same_iteration),
	TT_TEST(test_established_shutdown_twice_then_send_refused),
};

UNIT_MAIN("test_tcp_close", tests)
