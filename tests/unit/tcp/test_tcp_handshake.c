/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_in.c / tcp_out.c: opening connections (RFC 9293 §3.5) -- LISTEN, SYN-RECEIVED and
 * SYN-SENT with every event that matters there, simultaneous open, and RSTs for segments
 * to closed ports (§3.10.7.1). */

#include "unit.h"

#include "tcp_helper.h"
#include "tcp/tcp_in.h"

/* The window scale sluice offers for a receive buffer (smallest shift that fits it). */
static uint8_t
our_wscale(uint32_t rcvbuf)
{
	uint8_t ws = 0;

	while (ws < 14 && (rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

static struct tcp_listener *
listener(struct tt *x)
{
	struct tcp_listener *l = listener_find(x->t.w, TP_PORT);

	assert_non_null(l);
	return l;
}

/* ---- LISTEN ---- */

static void
test_listen_syn_answered_with_synack_and_options(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const struct tp_out *o = &p->syn;
	struct tcp_flow *f;

	tpeer_syn(p);
	assert_int_equal(o->sport, TP_PORT);
	assert_int_equal(o->dport, TP_PEER_PORT);
	assert_int_equal(o->len, 0);
	assert_true(o->df);
	/* The SYN-ACK answers every option offered; its window is never scaled. */
	assert_int_equal(o->opts.has, TO_MSS | TO_SACK_OK | TO_TS | TO_WSCALE);
	assert_int_equal(o->opts.mss, 1460);
	assert_int_equal(o->opts.wscale, our_wscale(x->t.w->cfg->rcvbuf));
	assert_int_equal(o->opts.tsecr, 100000);
	assert_int_equal(o->wnd, 65535);
	f = tpeer_flow(p);
	assert_non_null(f);
	assert_int_equal(f->state, SL_TCP_SYN_RCVD);
	assert_int_equal(f->iss, o->seq);
	assert_int_equal(listener(x)->syn_rcvd, 1);
	assert_int_equal(th_stats(&x->t)->tcp_syn_rx, 1);
	/* Nothing is told to the application before the handshake completes. */
	assert_int_equal(x->app.n, 0);
}

static void
test_listen_syn_with_data_acks_only_the_syn(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_xmit(p, TH_SYN, p->iss, 0, "early", 5);
	tpeer_expect(p, &p->syn);
	assert_int_equal(p->syn.flags, TH_SYN | TH_ACK);
	assert_int_equal(p->syn.ack, p->iss + 1);
	p->ts_on = true;
	p->snd_nxt = p->iss + 1;
	tpeer_ack(p);
	/* The data of the SYN was not kept: it arrives again, and is delivered once. */
	tpeer_send(p, TH_ACK | TH_PSH, "early", 5);
	p->tc = tapp_find(&x->app, TP_PEER_PORT);
	assert_non_null(p->tc);
	assert_int_equal(p->tc->rx_bytes, 5);
	assert_memory_equal(p->tc->rx, "early", 5);
}

static void
test_listen_ack_without_syn_gets_rst_from_its_ack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_xmit(p, TH_ACK, 5555, 7777, NULL, 0);
	tpeer_expect(p, &o);
	/* LISTEN, ACK: <SEQ=SEG.ACK><CTL=RST>; with SYN cookies on it was a bad cookie. */
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, 7777);
	assert_int_equal(o.len, 0);
	assert_null(tpeer_flow(p));
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_bad, 1);
	assert_int_equal(th_stats(&x->t)->tcp_rst_closed_port, 1);
}

static void
test_listen_rst_ignored(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_xmit(p, TH_RST, 5555, 0, NULL, 0);
	tpeer_xmit(p, TH_RST | TH_ACK, 5555, 7777, NULL, 0);
	tpeer_expect_nothing(p);
	assert_null(tpeer_flow(p));
	assert_int_equal(x->t.w->tcp.nflows, 0);
	assert_int_equal(th_stats(&x->t)->tcp_rst_noconn, 2);
}

static void
test_listen_segment_without_syn_ack_rst_dropped(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	/* RFC 9293 LISTEN, fourth: "Any other control or text-bearing segment ... drop it". */
	tpeer_xmit(p, TH_PSH, 5555, 0, "data", 4);
	tpeer_xmit(p, TH_FIN, 5559, 0, NULL, 0);
	tpeer_expect_nothing(p);
	assert_int_equal(x->t.w->tcp.nflows, 0);
	assert_int_equal(th_stats(&x->t)->tcp_drop_nosyn, 2);
}

static void
test_listen_syn_fin_dropped_as_impossible(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_xmit(p, TH_SYN | TH_FIN, p->iss, 0, NULL, 0);
	tpeer_xmit(p, TH_SYN | TH_RST, p->iss, 0, NULL, 0);
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_drop_flags, 2);
	assert_int_equal(x->t.w->tcp.nflows, 0);
}

/* ---- SYN-RECEIVED ---- */

static void
test_syn_rcvd_ack_establishes_and_accepts(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;

	tpeer_connect(p);
	f = tpeer_flow(p);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_string_equal(p->tc->log, "a");
	assert_int_equal(p->tc->lport, TP_PORT);
	assert_int_equal(listener(x)->syn_rcvd, 0);
	assert_int_equal(th_stats(&x->t)->tcp_passive_opens, 1);
	/* What both sides agreed on. */
	assert_int_equal(f->flags & (TF_TS | TF_SACK | TF_WSCALE), TF_TS | TF_SACK | TF_WSCALE);
	assert_int_equal(f->snd_ws, 7);
	assert_int_equal(f->rcv_ws, our_wscale(x->t.w->cfg->rcvbuf));
	assert_int_equal(f->mss, 1460 - 12);
	/* The ACK's window is scaled (RFC 7323 §2.2: every segment but a SYN). */
	assert_int_equal(f->snd_wnd, 65535u << 7);
	assert_int_equal(f->snd_una, p->irs + 1);
	assert_int_equal(f->rcv_nxt, p->iss + 1);
}

static void
test_syn_rcvd_ack_with_data_accepts_then_delivers(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_syn(p);
	tpeer_send(p, TH_ACK | TH_PSH, "hello", 5);
	p->tc = tapp_find(&x->app, TP_PEER_PORT);
	assert_non_null(p->tc);
	assert_string_equal(p->tc->log, "am");
	assert_memory_equal(p->tc->rx, "hello", 5);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->iss + 6);
}

static void
test_syn_rcvd_ack_with_fin_accepts_then_eof(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_syn(p);
	tpeer_send(p, TH_ACK | TH_FIN, NULL, 0);
	tpeer_expect_ack(p, p->iss + 2);
	p->tc = tapp_find(&x->app, TP_PEER_PORT);
	assert_non_null(p->tc);
	assert_string_equal(p->tc->log, "ae");
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
}

static void
test_syn_rcvd_rst_returns_to_listen(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_syn(p);
	assert_int_equal(listener(x)->syn_rcvd, 1);
	tpeer_xmit(p, TH_RST, p->snd_nxt, 0, NULL, 0);
	tpeer_expect_nothing(p);
	/* Back to LISTEN: the half-open connection is gone and nobody heard of it. */
	assert_null(tpeer_flow(p));
	assert_int_equal(listener(x)->syn_rcvd, 0);
	assert_int_equal(x->app.n, 0);
	assert_int_equal(th_stats(&x->t)->tcp_rst_rx, 1);
	/* The listener still works for the same 4-tuple. */
	tpeer_connect(p);
	assert_int_equal(x->app.n, 1);
}

static void
test_syn_rcvd_rst_in_window_gets_challenge_ack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;

	tpeer_syn(p);
	tpeer_xmit(p, TH_RST, p->snd_nxt + 10, 0, NULL, 0);
	/* RFC 5961 §3.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, the connection stays. */
	tpeer_expect_ack(p, p->iss + 1);
	f = tpeer_flow(p);
	assert_non_null(f);
	assert_int_equal(f->state, SL_TCP_SYN_RCVD);
	assert_int_equal(th_stats(&x->t)->tcp_challenge_ack, 1);
}

static void
test_syn_rcvd_unacceptable_ack_gets_rst(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_syn(p);
	/* Acknowledges something never sent, then nothing new: both unacceptable. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, p->irs + 5, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, p->irs + 5);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, p->irs, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, p->irs);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_RCVD);
	/* The right ACK still completes the handshake. */
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_non_null(tapp_find(&x->app, TP_PEER_PORT));
}

static void
test_syn_rcvd_retransmitted_syn_resends_same_synack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_syn(p);
	tpeer_xmit(p, TH_SYN, p->iss, 0, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.seq, p->syn.seq);
	assert_int_equal(o.ack, p->iss + 1);
	assert_int_equal(x->t.w->tcp.nflows, 1);
	assert_int_equal(listener(x)->syn_rcvd, 1);
}

static void
test_syn_rcvd_synack_backoff_then_dropped_silently(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const struct sl_config *cfg = x->t.w->cfg;
	struct tp_out o;
	unsigned int i;

	tpeer_syn(p);
	/* RFC 6298: initial RTO, doubled after each retransmission. */
	for (i = 0; i < cfg->synack_retries; i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 600000000),
				 (uint64_t)cfg->rto_initial_us << i);
		tpeer_expect(p, &o);
		assert_int_equal(o.flags, TH_SYN | TH_ACK);
		assert_int_equal(o.seq, p->syn.seq);
		tpeer_expect_nothing(p);
	}
	assert_int_equal(tp_run_until_tx(&x->t, 600000000), UINT64_MAX);
	assert_null(tpeer_flow(p));
	assert_int_equal(listener(x)->syn_rcvd, 0);
	assert_int_equal(th_stats(&x->t)->tcp_conn_timeout, 1);
	/* The application never knew it: no on_close. */
	assert_int_equal(x->app.n, 0);
}

static void
test_syn_rcvd_accept_refused_sends_rst_without_on_close(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tconn *tc;
	struct tp_out o;

	x->app.accept_rc = -1;
	tpeer_syn(p);
	tpeer_ack(p);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST | TH_ACK);
	assert_int_equal(o.seq, p->irs + 1);
	assert_int_equal(o.ack, p->iss + 1);
	assert_null(tpeer_flow(p));
	tc = tapp_find(&x->app, TP_PEER_PORT);
	assert_non_null(tc);
	assert_true(tc->refused);
	th_poll(&x->t);
	assert_string_equal(tc->log, "a");
	assert_int_equal(tc->closes, 0);
}

/* ---- SYN-SENT ---- */

static void
test_active_open_syn_options_then_established(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const struct tp_out *s = &p->syn;
	const struct sl_config *cfg = x->t.w->cfg;
	struct tcp_flow *f;
	struct tp_out o;

	tpeer_await_syn(p);
	assert_int_equal(s->flags, TH_SYN);
	assert_int_equal(s->ack, 0);
	assert_int_equal(s->wnd, 65535);
	assert_true(s->sport >= cfg->port_min && s->sport <= cfg->port_max);
	assert_int_equal(s->opts.has, TO_MSS | TO_SACK_OK | TO_TS | TO_WSCALE);
	assert_int_equal(s->opts.mss, 1460);
	assert_int_equal(s->opts.tsecr, 0);
	assert_int_equal(s->opts.wscale, our_wscale(cfg->rcvbuf));
	f = tpeer_flow(p);
	assert_non_null(f);
	assert_int_equal(f->state, SL_TCP_SYN_SENT);
	assert_int_equal(th_stats(&x->t)->tcp_active_opens, 1);

	tpeer_synack(p);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.seq, p->irs + 1);
	assert_int_equal(o.ack, p->iss + 1);
	assert_true(o.opts.has & TO_TS);
	assert_int_equal(o.opts.tsecr, p->tsval - 1);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_string_equal(p->tc->log, "c");
	assert_int_equal(f->snd_ws, 7);
	/* The SYN-ACK's window is not scaled. */
	assert_int_equal(f->snd_wnd, 65535);
}

static void
test_syn_sent_rst_with_ack_refuses_connection(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_await_syn(p);
	tpeer_xmit(p, TH_RST | TH_ACK, 0, p->irs + 1, NULL, 0);
	tpeer_expect_nothing(p);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "x");
	assert_int_equal(p->tc->reason, SL_CLOSE_RESET);
	assert_int_equal(th_stats(&x->t)->tcp_rst_rx, 1);
}

static void
test_syn_sent_rst_without_ack_ignored(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_await_syn(p);
	tpeer_xmit(p, TH_RST, p->iss, 0, NULL, 0);
	tpeer_expect_nothing(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_SENT);
	assert_int_equal(th_stats(&x->t)->tcp_rst_ignored, 1);
	assert_int_equal(p->tc->closes, 0);
	tpeer_synack(p);
	tpeer_expect_ack(p, p->iss + 1);
	assert_int_equal(p->tc->connected, 1);
}

static void
test_syn_sent_unacceptable_ack_gets_rst_and_keeps_waiting(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_await_syn(p);
	/* SEG.ACK =< ISS or SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST>, then drop. */
	tpeer_xmit(p, TH_SYN | TH_ACK, p->iss, p->irs + 100, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, p->irs + 100);
	tpeer_xmit(p, TH_ACK, p->iss + 1, p->irs, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, p->irs);
	/* A RST with a bad ACK is dropped without an answer. */
	tpeer_xmit(p, TH_RST | TH_ACK, p->iss + 1, p->irs + 100, NULL, 0);
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_rst_ignored, 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_SENT);
	assert_int_equal(p->tc->closes, 0);
	tpeer_synack(p);
	tpeer_expect_ack(p, p->iss + 1);
	assert_string_equal(p->tc->log, "c");
}

static int
setup_syn_retries_3(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.syn_retries = 3;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_syn_sent_acceptable_ack_without_syn_dropped_and_counted(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_await_syn(p);
	/* RFC 9293 SYN-SENT, fifth: "If neither of the SYN or RST bits is set, then drop
	 * the segment and return", even when it acknowledges our SYN. */
	tpeer_xmit(p, TH_ACK, p->iss + 1, p->irs + 1, "data", 4);
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_drop_nosyn, 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_SENT);
	tpeer_synack(p);
	tpeer_expect_ack(p, p->iss + 1);
	assert_string_equal(p->tc->log, "c");
}

static void
test_syn_sent_no_answer_syn_backoff_then_timeout(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;
	unsigned int i;

	tpeer_await_syn(p);
	for (i = 0; i < x->t.w->cfg->syn_retries; i++) {
		assert_int_equal(tp_run_until_tx(&x->t, 600000000),
				 (uint64_t)x->t.w->cfg->rto_initial_us << i);
		tpeer_expect(p, &o);
		assert_int_equal(o.flags, TH_SYN);
		assert_int_equal(o.seq, p->irs);
	}
	assert_int_equal(tp_run_until_tx(&x->t, 600000000), UINT64_MAX);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "x");
	assert_int_equal(p->tc->reason, SL_CLOSE_TIMEOUT);
	assert_int_equal(th_stats(&x->t)->tcp_conn_timeout, 1);
}

static void
test_syn_sent_close_forgets_connection_without_fin(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_await_syn(p);
	assert_int_equal(sl_conn_close(c), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	assert_null(tpeer_flow(p));
	assert_string_equal(p->tc->log, "x");
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_syn_sent_queued_data_leaves_with_handshake_ack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_await_syn(p);
	assert_int_equal(sl_conn_send(c, "hi", 2), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	tpeer_synack(p);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_ACK | TH_PSH);
	assert_int_equal(o.seq, p->irs + 1);
	assert_int_equal(o.ack, p->iss + 1);
	assert_int_equal(o.len, 2);
	assert_memory_equal(o.data, "hi", 2);
	tpeer_expect_nothing(p);
}

/* RFC 9293 §3.5 Figure 7: both SYNs cross; each side answers with SYN-ACK (same ISN), and
 * the SYN-ACK that arrives in SYN-RECEIVED completes the handshake. */
static void
test_syn_sent_simultaneous_open_synack_establishes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;

	tpeer_await_syn(p);
	p->snd_nxt = p->iss;
	p->ts_on = true;
	tpeer_xmit(p, TH_SYN, p->iss, 0, NULL, 0);
	p->snd_nxt = p->iss + 1;
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.seq, p->irs);
	assert_int_equal(o.ack, p->iss + 1);
	f = tpeer_flow(p);
	assert_int_equal(f->state, SL_TCP_SYN_RCVD);
	assert_int_equal(p->tc->connected, 0);
	/* Figure 7 line 6: <SEQ=300><ACK=101><CTL=SYN,ACK> arrives in SYN-RECEIVED. */
	tpeer_xmit(p, TH_SYN | TH_ACK, p->iss, p->irs + 1, NULL, 0);
	th_tx_drain(&x->t);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_string_equal(p->tc->log, "c");
}

static void
test_syn_sent_simultaneous_open_ack_establishes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_await_syn(p);
	p->ts_on = true;
	tpeer_send(p, TH_SYN, NULL, 0);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_RCVD);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_ESTABLISHED);
	assert_string_equal(p->tc->log, "c");
	/* And data flows both ways. */
	tpeer_send(p, TH_ACK | TH_PSH, "ping", 4);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->iss + 5);
	assert_int_equal(sl_conn_send(c, "pong", 4), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 4);
	assert_memory_equal(o.data, "pong", 4);
	assert_int_equal(o.ack, p->iss + 5);
	assert_memory_equal(p->tc->rx, "ping", 4);
}

/* ---- CLOSED: RFC 9293 §3.10.7.1 ---- */

static void
inject_to_closed_port(struct tt *x, uint8_t flags, uint32_t seq, uint32_t ack,
		      const void *data, size_t len)
{
	struct tseg s = {
		.sport = TP_PEER_PORT, .dport = TP_PORT + 1, .seq = seq, .ack = ack,
		.flags = flags, .wnd = 65535, .data = data, .len = len,
	};

	tp_inject(&x->t, &s);
}

static void
test_closed_port_syn_gets_rst_ack_of_syn(void **state)
{
	struct tt *x = *state;
	struct tp_out o;

	inject_to_closed_port(x, TH_SYN, 123456, 0, NULL, 0);
	assert_true(tp_pop(&x->t, &o));
	/* No ACK on the segment: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	assert_int_equal(o.flags, TH_RST | TH_ACK);
	assert_int_equal(o.seq, 0);
	assert_int_equal(o.ack, 123457);
	assert_int_equal(o.sport, TP_PORT + 1);
	assert_int_equal(o.dport, TP_PEER_PORT);
	assert_int_equal(o.wnd, 0);
	assert_int_equal(o.olen, 0);
	assert_int_equal(o.len, 0);
	assert_int_equal(th_stats(&x->t)->tcp_rst_closed_port, 1);
	assert_int_equal(x->t.w->tcp.nflows, 0);
}

static void
test_closed_port_ack_gets_rst_with_seq_from_ack(void **state)
{
	struct tt *x = *state;
	struct tp_out o;

	inject_to_closed_port(x, TH_ACK | TH_PSH, 1, 99999, "data", 4);
	assert_true(tp_pop(&x->t, &o));
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, 99999);
	assert_int_equal(o.len, 0);
}

static void
test_closed_port_data_and_fin_without_ack_all_acknowledged(void **state)
{
	struct tt *x = *state;
	struct tp_out o;

	inject_to_closed_port(x, TH_FIN | TH_PSH, 0xfffffffa, 0, "0123456789", 10);
	assert_true(tp_pop(&x->t, &o));
	assert_int_equal(o.flags, TH_RST | TH_ACK);
	assert_int_equal(o.seq, 0);
	/* Ten bytes and the FIN, across the wrap. */
	assert_int_equal(o.ack, (uint32_t)(0xfffffffau + 11));
}

static void
test_closed_port_rst_not_answered(void **state)
{
	struct tt *x = *state;
	struct tp_out o;

	inject_to_closed_port(x, TH_RST, 1, 0, NULL, 0);
	inject_to_closed_port(x, TH_RST | TH_ACK, 1, 2, NULL, 0);
	assert_false(tp_pop(&x->t, &o));
	assert_int_equal(th_stats(&x->t)->tcp_rst_closed_port, 0);
	assert_int_equal(th_stats(&x->t)->tcp_rst_noconn, 2);
}

/* A peer's MSS below TCP_MIN_SND_MSS (found by fuzz_frame: with timestamps the payload
 * size wrapped below zero and a segment no longer fit its mbuf) is raised to it, as Linux
 * does; data still flows, in small segments. */
static void
test_tiny_peer_mss_is_raised_to_the_floor(void **state)
{
	static const uint16_t peer_mss[] = { 1, 12, 47 };
	unsigned int i;

	for (i = 0; i < RTE_DIM(peer_mss); i++) {
		/* A fresh stack for each case (the fixture's for the first): each one ends
		 * with its own leak check. */
		struct tt *x = i == 0 ? *state : tt_fixture_renew(state, NULL);
		struct tpeer *p = &x->p;
		uint8_t d[500];
		struct tp_out o;
		uint32_t got = 0;

		memset(d, 'm', sizeof(d));
		p->mss = peer_mss[i];
		tpeer_connect(p);
		assert_int_equal(tpeer_flow(p)->mss, TCP_MIN_SND_MSS - 12);
		assert_int_equal(sl_conn_send(p->tc->c, d, sizeof(d)), 0);
		th_poll(&x->t);
		while (tpeer_recv(p, &o)) {
			assert_true(o.len <= TCP_MIN_SND_MSS - 12);
			got += o.len;
			tpeer_ack(p);
		}
		assert_int_equal(got, sizeof(d));
	}
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_listen_syn_answered_with_synack_and_options),
	TT_TEST(test_listen_syn_with_data_acks_only_the_syn),
	TT_TEST(test_listen_ack_without_syn_gets_rst_from_its_ack),
	TT_TEST(test_listen_rst_ignored),
	TT_TEST(test_listen_segment_without_syn_ack_rst_dropped),
	TT_TEST(test_listen_syn_fin_dropped_as_impossible),
	TT_TEST(test_syn_rcvd_ack_establishes_and_accepts),
	TT_TEST(test_syn_rcvd_ack_with_data_accepts_then_delivers),
	TT_TEST(test_syn_rcvd_ack_with_fin_accepts_then_eof),
	TT_TEST(test_syn_rcvd_rst_returns_to_listen),
	TT_TEST(test_syn_rcvd_rst_in_window_gets_challenge_ack),
	TT_TEST(test_syn_rcvd_unacceptable_ack_gets_rst),
	TT_TEST(test_syn_rcvd_retransmitted_syn_resends_same_synack),
	TT_TEST(test_syn_rcvd_synack_backoff_then_dropped_silently),
	TT_TEST(test_syn_rcvd_accept_refused_sends_rst_without_on_close),
	TT_TEST(test_active_open_syn_options_then_established),
	TT_TEST(test_syn_sent_rst_with_ack_refuses_connection),
	TT_TEST(test_syn_sent_rst_without_ack_ignored),
	TT_TEST(test_syn_sent_unacceptable_ack_gets_rst_and_keeps_waiting),
	TT_TEST(test_syn_sent_acceptable_ack_without_syn_dropped_and_counted),
	TT_TEST_SETUP(test_syn_sent_no_answer_syn_backoff_then_timeout, setup_syn_retries_3),
	TT_TEST(test_syn_sent_close_forgets_connection_without_fin),
	TT_TEST(test_syn_sent_queued_data_leaves_with_handshake_ack),
	TT_TEST(test_syn_sent_simultaneous_open_synack_establishes),
	TT_TEST(test_syn_sent_simultaneous_open_ack_establishes),
	TT_TEST(test_closed_port_syn_gets_rst_ack_of_syn),
	TT_TEST(test_closed_port_ack_gets_rst_with_seq_from_ack),
	TT_TEST(test_closed_port_data_and_fin_without_ack_all_acknowledged),
	TT_TEST(test_closed_port_rst_not_answered),
	TT_TEST(test_tiny_peer_mss_is_raised_to_the_floor),
};

UNIT_MAIN("test_tcp_handshake", tests)
