/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_isn.c and the listener paths of tcp_in.c: the SYN backlog bound, SYN cookies when
 * it is full (the connection is created from the returning ACK, with the MSS from the
 * cookie and the window scale and SACK-permitted from the echoed timestamp), bad and
 * expired cookies, and the backlog without cookies. */

#include "unit.h"

#include "tcp_helper.h"

/* A stack whose listener holds one half-open connection; the first peer occupies it. */
static int
setup_full_backlog(void **state, bool cookies)
{
	struct sl_config cfg;
	struct tt *x;

	tp_config(&cfg);
	cfg.backlog = 1;
	cfg.syncookies = cookies;
	tt_fixture_setup_cfg(state, &cfg);
	x = *state;
	tpeer_syn(&x->p);
	assert_int_equal(listener_find(x->t.w, TP_PORT)->syn_rcvd, 1);
	return 0;
}

/* The backlog is full and SYN cookies answer what does not fit. */
static int
setup_backlog_cookies(void **state)
{
	return setup_full_backlog(state, true);
}

/* The backlog is full and SYNs that do not fit are dropped. */
static int
setup_backlog_no_cookies(void **state)
{
	return setup_full_backlog(state, false);
}

/* A second peer, whose SYN meets the full backlog. */
static void
second_peer(struct tt *x, struct tpeer *q, uint16_t port)
{
	tpeer_init(q, &x->t, &x->app, port, TP_PORT, 0x5a5a0000u + port);
}

static void
test_backlog_full_syn_answered_with_cookie_no_state(void **state)
{
	struct tt *x = *state;
	struct tpeer q;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	/* Answered like any SYN, but nothing is kept. */
	assert_null(tpeer_flow(&q));
	assert_int_equal(x->t.w->tcp.nflows, 1);
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_sent, 1);
	assert_int_equal(q.syn.opts.has, TO_MSS | TO_SACK_OK | TO_TS | TO_WSCALE);
	assert_int_equal(q.syn.opts.mss, 1460);
	assert_int_equal(q.syn.opts.tsecr, q.tsval - 1);
	assert_int_equal(q.syn.wnd, 65535);
}

static void
test_syncookie_ack_establishes_with_recovered_options(void **state)
{
	struct tt *x = *state;
	struct tpeer q;
	struct tcp_flow *f;
	struct tp_out o;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	tpeer_ack(&q);
	tpeer_expect_nothing(&q);
	f = tpeer_flow(&q);
	assert_non_null(f);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_true(f->flags & TF_SYN_COOKIE);
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_ok, 1);
	q.tc = tapp_find(&x->app, q.port);
	assert_non_null(q.tc);
	assert_string_equal(q.tc->log, "a");
	/* What the SYN negotiated, rebuilt from the cookie and the timestamp echo. */
	assert_int_equal(f->peer_mss, 1460);
	assert_int_equal(f->mss, 1448);
	assert_int_equal(f->flags & (TF_TS | TF_SACK | TF_WSCALE), TF_TS | TF_SACK | TF_WSCALE);
	assert_int_equal(f->snd_ws, 7);
	assert_int_equal(f->rcv_ws, q.syn.opts.wscale);
	assert_int_equal(f->snd_wnd, 65535u << 7);
	assert_int_equal(f->iss, q.irs);
	assert_int_equal(f->rcv_nxt, q.iss + 1);
	/* Data both ways. */
	tpeer_send(&q, TH_ACK | TH_PSH, "ping", 4);
	assert_memory_equal(q.tc->rx, "ping", 4);
	assert_int_equal(sl_conn_send(q.tc->c, "pong", 4), 0);
	th_poll(&x->t);
	tpeer_expect(&q, &o);
	while (o.len == 0)
		tpeer_expect(&q, &o);
	assert_int_equal(o.seq, q.irs + 1);
	assert_memory_equal(o.data, "pong", 4);
	assert_true(o.opts.has & TO_TS);
}

static void
test_syncookie_mss_rounded_down_to_table_entry(void **state)
{
	static const struct { uint16_t offered, kept; } cases[] = {
		{ 1000, 536 }, { 1460, 1460 }, { 1459, 1440 }, { 9000, 8960 }, { 100, 48 },
		{ 0, 536 },
	};
	struct tt *x = *state;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		struct tpeer q;

		second_peer(x, &q, (uint16_t)(TP_PEER_PORT + 1 + i));
		q.mss = cases[i].offered;
		tpeer_syn(&q);
		tpeer_ack(&q);
		assert_non_null(tpeer_flow(&q));
		assert_int_equal(tpeer_flow(&q)->peer_mss, cases[i].kept);
	}
}

static void
test_syncookie_wscale_and_sack_variants_recovered(void **state)
{
	static const struct { int ws; bool sack; } cases[] = {
		{ -1, false }, { -1, true }, { 0, true }, { 5, false }, { 14, true },
	};
	struct tt *x = *state;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		struct tcp_flow *f;
		struct tpeer q;

		second_peer(x, &q, (uint16_t)(TP_PEER_PORT + 1 + i));
		q.wscale = cases[i].ws;
		q.sack_ok = cases[i].sack;
		tpeer_syn(&q);
		assert_int_equal(!!(q.syn.opts.has & TO_WSCALE), cases[i].ws >= 0);
		assert_int_equal(!!(q.syn.opts.has & TO_SACK_OK), cases[i].sack);
		tpeer_ack(&q);
		f = tpeer_flow(&q);
		assert_non_null(f);
		assert_int_equal(!!(f->flags & TF_SACK), cases[i].sack);
		assert_int_equal(!!(f->flags & TF_WSCALE), cases[i].ws >= 0);
		assert_int_equal(f->snd_ws, cases[i].ws >= 0 ? cases[i].ws : 0);
		if (cases[i].ws < 0)
			assert_int_equal(f->rcv_ws, 0);
	}
}

static void
test_syncookie_peer_without_timestamps_gets_mss_only(void **state)
{
	struct tt *x = *state;
	struct tcp_flow *f;
	struct tpeer q;

	second_peer(x, &q, TP_PEER_PORT + 1);
	q.ts = false;
	tpeer_syn(&q);
	/* No timestamp to carry them: window scaling and SACK are not offered back. */
	assert_int_equal(q.syn.opts.has, TO_MSS);
	tpeer_ack(&q);
	f = tpeer_flow(&q);
	assert_non_null(f);
	assert_int_equal(f->flags & (TF_TS | TF_SACK | TF_WSCALE), 0);
	assert_int_equal(f->snd_ws, 0);
	assert_int_equal(f->rcv_ws, 0);
	assert_int_equal(f->mss, 1460);
}

static void
test_syncookie_ack_with_data_accepts_and_delivers(void **state)
{
	struct tt *x = *state;
	struct tpeer q;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	tpeer_send(&q, TH_ACK | TH_PSH, "hello", 5);
	q.tc = tapp_find(&x->app, q.port);
	assert_non_null(q.tc);
	assert_string_equal(q.tc->log, "am");
	assert_memory_equal(q.tc->rx, "hello", 5);
}

static void
test_syncookie_bad_ack_gets_rst_no_state(void **state)
{
	struct tt *x = *state;
	struct tpeer q;
	struct tp_out o;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	/* Wrong cookie, then the right cookie from the wrong initial sequence number. */
	tpeer_xmit(&q, TH_ACK, q.snd_nxt, q.rcv_nxt + 1, NULL, 0);
	tpeer_expect(&q, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, q.rcv_nxt + 1);
	tpeer_xmit(&q, TH_ACK, q.snd_nxt + 1, q.rcv_nxt, NULL, 0);
	tpeer_expect(&q, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_int_equal(o.seq, q.rcv_nxt);
	assert_null(tpeer_flow(&q));
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_bad, 2);
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_ok, 0);
}

static void
test_syncookie_expired_gets_rst(void **state)
{
	struct tt *x = *state;
	struct tpeer q;
	struct tp_out o;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	/* A cookie lives for the 64 s period it was made in and the next one. */
	tp_advance(&x->t, 130000000, 10000000);
	th_tx_drain(&x->t);
	tpeer_ack(&q);
	tpeer_expect(&q, &o);
	assert_int_equal(o.flags, TH_RST);
	assert_null(tpeer_flow(&q));
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_bad, 1);
}

static void
test_syncookie_accepted_within_next_period(void **state)
{
	struct tt *x = *state;
	struct tpeer q;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	tp_advance(&x->t, 70000000, 10000000);
	th_tx_drain(&x->t);
	tpeer_ack(&q);
	assert_non_null(tpeer_flow(&q));
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_ok, 1);
}

static void
test_backlog_full_without_cookies_syn_dropped(void **state)
{
	struct tt *x = *state;
	struct tpeer q;

	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_xmit(&q, TH_SYN, q.iss, 0, NULL, 0);
	tpeer_expect_nothing(&q);
	assert_null(tpeer_flow(&q));
	assert_int_equal(th_stats(&x->t)->tcp_backlog_drop, 1);
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_sent, 0);
}

/* The SYN-ACK of a cookie is written into the received SYN's mbuf. A SYN without options
 * at the very end of its buffer leaves no room for the MSS option: nothing is sent (the
 * peer retransmits its SYN), and the reason is counted. */
static void
test_syncookie_synack_without_room_in_syn_not_sent_counted(void **state)
{
	struct tt *x = *state;
	struct tseg syn = {
		.sport = TP_PEER_PORT + 1, .dport = TP_PORT, .seq = 777, .flags = TH_SYN,
		.wnd = 65535,
	};
	uint8_t frame[128];
	struct rte_mbuf *m;
	struct tp_out o;
	size_t n;

	n = tp_build(frame, &x->t, &syn);
	m = rte_pktmbuf_alloc(x->t.w->pool);
	assert_non_null(m);
	m->data_off = (uint16_t)(m->buf_len - n);
	memcpy(rte_pktmbuf_mtod(m, void *), frame, n);
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	th_inject(&x->t, m);
	assert_false(tp_pop(&x->t, &o));
	assert_int_equal(th_stats(&x->t)->tcp_reply_no_room, 1);
	assert_int_equal(x->t.w->tcp.nflows, 1);
}

static void
test_backlog_slot_freed_when_handshake_completes(void **state)
{
	struct tt *x = *state;
	struct tpeer q;

	tpeer_ack(&x->p);
	assert_int_equal(listener_find(x->t.w, TP_PORT)->syn_rcvd, 0);
	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	/* A normal half-open connection again, no cookie. */
	assert_non_null(tpeer_flow(&q));
	assert_int_equal(tpeer_flow(&q)->state, SL_TCP_SYN_RCVD);
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_sent, 0);
}

static void
test_backlog_slot_freed_when_half_open_times_out(void **state)
{
	struct tt *x = *state;
	struct tpeer q;

	/* The half-open connection gives up after its SYN-ACK retransmissions. */
	tp_advance(&x->t, 120000000, 1000000);
	th_tx_drain(&x->t);
	assert_null(tpeer_flow(&x->p));
	assert_int_equal(listener_find(x->t.w, TP_PORT)->syn_rcvd, 0);
	second_peer(x, &q, TP_PEER_PORT + 1);
	tpeer_syn(&q);
	assert_non_null(tpeer_flow(&q));
}

static const struct CMUnitTest tests[] = {
	TT_TEST_SETUP(test_backlog_full_syn_answered_with_cookie_no_state, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_ack_establishes_with_recovered_options, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_mss_rounded_down_to_table_entry, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_wscale_and_sack_variants_recovered, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_peer_without_timestamps_gets_mss_only, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_ack_with_data_accepts_and_delivers, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_bad_ack_gets_rst_no_state, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_expired_gets_rst, setup_backlog_cookies),
	TT_TEST_SETUP(test_syncookie_accepted_within_next_period, setup_backlog_cookies),
	TT_TEST_SETUP(test_backlog_full_without_cookies_syn_dropped, setup_backlog_no_cookies),
	TT_TEST_SETUP(test_syncookie_synack_without_room_in_syn_not_sent_counted,
		      setup_backlog_cookies),
	TT_TEST_SETUP(test_backlog_slot_freed_when_handshake_completes, setup_backlog_cookies),
	TT_TEST_SETUP(test_backlog_slot_freed_when_half_open_times_out, setup_backlog_no_cookies),
};

UNIT_MAIN("test_tcp_cookie", tests)
