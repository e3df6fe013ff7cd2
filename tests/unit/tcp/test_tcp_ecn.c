/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_ecn.c and cc_dctcp.c: ECN (RFC 3168) as the wire shows it -- the negotiation in both
 * directions and through SYN cookies, the `ecn` key, which segments are ECT(0), the echo
 * of CE until CWR, one reduction per round trip with CWR on the next new data -- then
 * DCTCP (RFC 8257): alpha's arithmetic on a bare control block, the precise echo, the cut
 * by alpha / 2; and the fault injector's CE marks in both directions. */

#include "unit.h"

#include <errno.h>

#include "tcp_helper.h"
#include "core/fault.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/tcp_ecn.h"

#define ECN_SETUP	(TH_ECE | TH_CWR)
#define SMSS		1448u	/* the stack's payload per segment (MTU 1500, timestamps) */

static uint8_t payload[64 * 1024];

/* A stack with the `ecn` key set to mode and congestion control cc (NULL: default). */
static int
setup_ecn(void **state, unsigned int mode, const char *cc)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.ecn = mode;
	if (cc != NULL)
		snprintf(cfg.cc, sizeof(cfg.cc), "%s", cc);
	return tt_fixture_setup_cfg(state, &cfg);
}

static int
setup_ecn_on(void **state)
{
	return setup_ecn(state, SL_ECN_ON, NULL);
}

static int
setup_ecn_off(void **state)
{
	return setup_ecn(state, SL_ECN_OFF, NULL);
}

static int
setup_dctcp_ecn_off(void **state)
{
	return setup_ecn(state, SL_ECN_OFF, "dctcp");
}

static int
setup_dctcp(void **state)
{
	return setup_ecn(state, SL_ECN_PASSIVE, "dctcp");
}

static bool
conn_ecn(struct sl_conn *c)
{
	struct sl_conn_info info;

	sl_conn_info(c, &info);
	return info.ecn;
}

/* A passive open whose SYN asks for ECN; the SYN-ACK must agree. */
static struct sl_conn *
ecn_connect(struct tpeer *p)
{
	struct sl_conn *c;

	p->syn_flags = ECN_SETUP;
	c = tpeer_connect(p);
	assert_int_equal(p->syn.flags, TH_SYN | TH_ACK | TH_ECE);
	assert_true(conn_ecn(c));
	return c;
}

/* The application queues n bytes; poll once. */
static void
app_send(struct tt *x, struct sl_conn *c, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(sl_conn_send(c, payload, n), 0);
	th_poll(&x->t);
}

/* Expect a segment of the stack carrying len bytes from its stream offset off. */
static void
expect_data(struct tpeer *p, uint32_t off, uint32_t len, struct tp_out *o)
{
	tpeer_expect(p, o);
	assert_int_equal(o->seq, tpeer_sseq(p, off));
	assert_int_equal(o->len, len);
}

/* The peer acknowledges the stack's stream up to offset off, with extra flags. */
static void
peer_ack_to(struct tpeer *p, uint32_t off, uint8_t flags)
{
	tpeer_xmit(p, TH_ACK | flags, p->snd_nxt, tpeer_sseq(p, off), NULL, 0);
}

/* The peer sends len bytes of data with extra flags and the IP ECN field tos. */
static void
peer_data(struct tpeer *p, uint32_t len, uint8_t flags, uint8_t tos)
{
	static const uint8_t d[1000];

	assert_true(len <= sizeof(d));
	p->tos = tos;
	tpeer_send(p, TH_ACK | flags, d, len);
	p->tos = TP_NOT_ECT;
}

/* Expect an ACK without data acknowledging ack, with ECE or not. */
static void
expect_ack_ece(struct tpeer *p, uint32_t ack, bool ece)
{
	struct tp_out o;

	tpeer_expect(p, &o);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.ack, ack);
	assert_int_equal(o.flags, TH_ACK | (ece ? TH_ECE : 0));
	assert_int_equal(o.tos, TP_NOT_ECT);
}

/* ---- negotiation ---- */

static void
test_passive_ecn_setup_syn_answered_with_ece_only(void **state)
{
	struct tt *x = *state;
	struct sl_conn *c = ecn_connect(&x->p);

	/* RFC 3168 §6.1.1: an ECN-setup SYN-ACK has ECE and not CWR, and is not ECT. */
	assert_int_equal(x->p.syn.tos, TP_NOT_ECT);
	assert_int_equal(tpeer_flow(&x->p)->ecn, TCP_ECN_OK);
	(void)c;
}

static void
test_passive_syn_without_ecn_answered_without(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(p->syn.flags, TH_SYN | TH_ACK);
	assert_false(conn_ecn(c));
	/* Nothing is ECN-capable, and an ECE from the peer means nothing. */
	app_send(x, c, 1000);
	expect_data(p, 0, 1000, &o);
	assert_int_equal(o.tos, TP_NOT_ECT);
	peer_ack_to(p, 1000, TH_ECE);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 0);
}

static void
test_passive_syn_with_ece_alone_is_no_ecn_setup_syn(void **state)
{
	struct tt *x = *state;

	/* ECE without CWR is not an ECN-setup SYN (RFC 3168 §6.1.1). */
	x->p.syn_flags = TH_ECE;
	assert_false(conn_ecn(tpeer_connect(&x->p)));
	assert_int_equal(x->p.syn.flags, TH_SYN | TH_ACK);
}

static void
test_ecn_off_ecn_setup_syn_answered_without(void **state)
{
	struct tt *x = *state;

	x->p.syn_flags = ECN_SETUP;
	assert_false(conn_ecn(tpeer_connect(&x->p)));
	assert_int_equal(x->p.syn.flags, TH_SYN | TH_ACK);
}

static void
test_ecn_passive_active_open_does_not_ask(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_await_syn(p);
	assert_int_equal(p->syn.flags, TH_SYN);
	/* An answer to a question never asked is no agreement. */
	p->syn_flags = TH_ECE;
	tpeer_synack(p);
	expect_ack_ece(p, p->snd_nxt, false);
	assert_false(conn_ecn(c));
}

static void
test_ecn_on_active_open_asks_and_ece_synack_agrees(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_await_syn(p);
	assert_int_equal(p->syn.flags, TH_SYN | TH_ECE | TH_CWR);
	assert_int_equal(p->syn.tos, TP_NOT_ECT);
	p->syn_flags = TH_ECE;
	tpeer_synack(p);
	/* The ACK that completes the handshake is a pure ACK: no ECN flag, Not-ECT. */
	expect_ack_ece(p, p->snd_nxt, false);
	assert_int_equal(p->tc->connected, 1);
	assert_true(conn_ecn(c));
	app_send(x, c, 500);
	expect_data(p, 0, 500, &o);
	assert_int_equal(o.tos, TP_ECT0);
	assert_int_equal(o.flags, TH_ACK | TH_PSH);
}

static void
test_ecn_on_synack_with_ece_and_cwr_is_no_agreement(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_await_syn(p);
	p->syn_flags = ECN_SETUP;	/* a peer that reflects our flags: no ECN */
	tpeer_synack(p);
	expect_ack_ece(p, p->snd_nxt, false);
	assert_false(conn_ecn(c));
}

static void
test_ecn_on_synack_without_ece_is_no_agreement(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;

	c = tpeer_await_syn(p);
	tpeer_synack(p);
	expect_ack_ece(p, p->snd_nxt, false);
	assert_false(conn_ecn(c));
}

static void
test_ecn_on_retransmitted_syn_no_longer_asks(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_await_syn(p);
	assert_int_equal(p->syn.flags, TH_SYN | ECN_SETUP);
	/* RFC 3168 §6.1.1.1: the SYN may have met a middlebox that drops ECN-setup SYNs. */
	assert_true(tp_run_until_tx(&x->t, 5000000) != UINT64_MAX);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_SYN);
	p->syn_flags = TH_ECE;
	tpeer_synack(p);
	expect_ack_ece(p, p->snd_nxt, false);
	assert_false(conn_ecn(c));
}

static void
test_dctcp_asks_and_accepts_whatever_the_key(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p, q;
	struct tp_out o;
	struct sl_conn *c;

	/* Passive: ecn = off, and still an ECN-setup SYN-ACK. */
	assert_true(conn_ecn(ecn_connect(p)));
	/* Active: asks, even on a retransmitted SYN. */
	tpeer_init(&q, &x->t, &x->app, TP_PEER_PORT + 7, 0, TP_PEER_ISS);
	c = tpeer_await_syn(&q);
	assert_int_equal(q.syn.flags, TH_SYN | ECN_SETUP);
	assert_true(tp_run_until_tx(&x->t, 5000000) != UINT64_MAX);
	tpeer_expect(&q, &o);
	assert_int_equal(o.flags, TH_SYN | ECN_SETUP);
	q.syn_flags = TH_ECE;
	tpeer_synack(&q);
	expect_ack_ece(&q, q.snd_nxt, false);
	assert_true(conn_ecn(c));
}

/* SYN cookies: the agreement survives in the timestamp (as in Linux); without
 * timestamps the cookie SYN-ACK does not agree. */
static int
setup_cookies(void **state)
{
	struct sl_config cfg;
	struct tt *x;

	tp_config(&cfg);
	cfg.backlog = 1;
	tt_fixture_setup_cfg(state, &cfg);
	x = *state;
	tpeer_syn(&x->p);		/* the backlog is full from now on */
	return 0;
}

static void
test_syncookie_keeps_ecn_in_timestamp(void **state)
{
	struct tt *x = *state;
	struct tpeer q, r;
	struct tcp_flow *f;

	tpeer_init(&q, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, 0x5a5a0001u);
	q.syn_flags = ECN_SETUP;
	tpeer_syn(&q);
	assert_int_equal(th_stats(&x->t)->tcp_syncookie_sent, 1);
	assert_null(tpeer_flow(&q));
	assert_int_equal(q.syn.flags, TH_SYN | TH_ACK | TH_ECE);
	tpeer_ack(&q);
	tpeer_expect_nothing(&q);
	f = tpeer_flow(&q);
	assert_non_null(f);
	assert_true(f->flags & TF_SYN_COOKIE);
	assert_int_equal(f->ecn, TCP_ECN_OK);
	assert_true(f->flags & TF_SACK);

	/* No timestamps: nowhere to keep it, so no agreement. */
	tpeer_init(&r, &x->t, &x->app, TP_PEER_PORT + 2, TP_PORT, 0x5a5a0002u);
	r.syn_flags = ECN_SETUP;
	r.ts = false;
	tpeer_syn(&r);
	assert_int_equal(r.syn.flags, TH_SYN | TH_ACK);
	tpeer_ack(&r);
	f = tpeer_flow(&r);
	assert_non_null(f);
	assert_int_equal(f->ecn, 0);

	/* A cookie connection whose SYN did not ask. */
	tpeer_init(&r, &x->t, &x->app, TP_PEER_PORT + 3, TP_PORT, 0x5a5a0003u);
	tpeer_syn(&r);
	assert_int_equal(r.syn.flags, TH_SYN | TH_ACK);
	tpeer_ack(&r);
	assert_int_equal(tpeer_flow(&r)->ecn, 0);
}

/* ---- what is ECN-capable ---- */

static void
test_ecn_new_data_ect0_control_segments_not_ect(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tp_out o;

	app_send(x, c, 2 * SMSS + 100);
	expect_data(p, 0, SMSS, &o);
	assert_int_equal(o.tos, TP_ECT0);
	assert_int_equal(o.flags, TH_ACK);
	expect_data(p, SMSS, SMSS, &o);
	assert_int_equal(o.tos, TP_ECT0);
	expect_data(p, 2 * SMSS, 100, &o);
	assert_int_equal(o.tos, TP_ECT0);
	tpeer_expect_nothing(p);
	tpeer_ack(p);
	/* A pure ACK (RFC 3168 §6.1.4: not ECT). */
	peer_data(p, 100, 0, TP_ECT0);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	/* A FIN without data. */
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.flags, TH_FIN | TH_ACK);
	assert_int_equal(o.tos, TP_NOT_ECT);
}

static void
test_ecn_retransmissions_not_ect(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tp_out o;
	unsigned int i;

	/* Fast retransmit after three duplicates: Not-ECT (RFC 3168 §6.1.5). */
	app_send(x, c, 6 * SMSS);
	for (i = 0; i < 6; i++) {
		expect_data(p, i * SMSS, SMSS, &o);
		assert_int_equal(o.tos, TP_ECT0);
	}
	tpeer_expect_nothing(p);
	for (i = 0; i < 3; i++)
		peer_ack_to(p, 0, 0);
	expect_data(p, 0, SMSS, &o);
	assert_int_equal(o.tos, TP_NOT_ECT);
	assert_int_equal(th_stats(&x->t)->tcp_fast_retransmit, 1);
	tpeer_expect_nothing(p);
	peer_ack_to(p, 6 * SMSS, 0);
	/* A timeout: the head again, Not-ECT too. */
	app_send(x, c, 1000);
	expect_data(p, 6 * SMSS, 1000, &o);
	assert_int_equal(o.tos, TP_ECT0);
	assert_true(tp_run_until_tx(&x->t, 5000000) != UINT64_MAX);
	expect_data(p, 6 * SMSS, 1000, &o);
	assert_int_equal(o.tos, TP_NOT_ECT);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 2);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 0);
}

/* ---- receiver: CE -> ECE until CWR (RFC 3168 §6.1.3) ---- */

static void
test_ce_echoed_on_every_ack_until_cwr(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tp_out o;

	/* ECT(0) data is no congestion. */
	peer_data(p, 100, 0, TP_ECT0);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	/* CE: acknowledged at once, with ECE. */
	peer_data(p, 100, 0, TP_CE);
	expect_ack_ece(p, p->snd_nxt, true);
	assert_int_equal(th_stats(&x->t)->tcp_ecn_ce_rx, 1);
	/* Unmarked data after it: ECE still, on the delayed ACK ... */
	peer_data(p, 100, 0, TP_ECT0);
	tpeer_expect_nothing(p);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, true);
	/* ... and on our data. */
	app_send(x, c, 300);
	expect_data(p, 0, 300, &o);
	assert_int_equal(o.flags, TH_ACK | TH_PSH | TH_ECE);
	assert_int_equal(o.tos, TP_ECT0);
	tpeer_ack(p);
	/* CWR: the sender reduced; the echo stops. */
	peer_data(p, 100, TH_CWR, TP_ECT0);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	peer_data(p, 100, 0, TP_ECT0);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	/* CWR and CE on one segment: the mark is newer than the reduction. */
	peer_data(p, 100, TH_CWR, TP_CE);
	expect_ack_ece(p, p->snd_nxt, true);
	assert_int_equal(th_stats(&x->t)->tcp_ecn_ce_rx, 2);
}

/* ---- sender: ECE -> one reduction per round trip, CWR on the next new data ---- */

static void
test_ece_reduces_once_per_round_trip_cwr_on_next_new_data(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tcp_flow *f = tpeer_flow(p);
	struct tp_out o;
	unsigned int i, n;

	/* The arithmetic below is NewReno's. */
	assert_int_equal(sl_conn_set_cc(c, "newreno"), 0);
	app_send(x, c, 30 * SMSS);
	for (i = 0; i < 10; i++) {
		expect_data(p, i * SMSS, SMSS, &o);
		assert_int_equal(o.flags, TH_ACK);
	}
	tpeer_expect_nothing(p);
	/* ECE on the first ACK: NewReno's reduction (it has no on_ece): ssthresh =
	 * FlightSize / 2, cwnd = ssthresh; no recovery, nothing retransmitted. */
	peer_ack_to(p, SMSS, TH_ECE);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 1);
	assert_int_equal(f->loss.ece_reductions, 1);
	assert_int_equal(f->ssthresh, 9 * SMSS / 2);
	assert_int_equal(f->cwnd, f->ssthresh);
	assert_false(f->flags & TF_RECOVERY);
	tpeer_expect_nothing(p);
	/* The rest of the round trip echoes the same marks: no second cut. The window
	 * opens again as the flight drains: the first new data segment carries CWR, no
	 * other does. */
	n = 0;
	for (i = 2; i <= 8; i++) {
		peer_ack_to(p, i * SMSS, TH_ECE);
		while (tpeer_recv(p, &o)) {
			assert_int_equal(o.seq, tpeer_sseq(p, (10 + n) * SMSS));
			assert_int_equal(o.flags, TH_ACK | (n == 0 ? TH_CWR : 0));
			assert_int_equal(o.tos, TP_ECT0);
			n++;
		}
	}
	assert_true(n >= 2);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 1);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 0);
	/* Up to what was in flight at the cut: still the same round trip. */
	peer_ack_to(p, 10 * SMSS, TH_ECE);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 1);
	while (tpeer_recv(p, &o))
		assert_int_equal(o.flags, TH_ACK);
	/* Beyond it (the CWR segment acknowledged): a new mark, a new cut, a new CWR. */
	peer_ack_to(p, 11 * SMSS, TH_ECE);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 2);
	assert_int_equal(f->loss.ece_reductions, 2);
	tpeer_expect_nothing(p);
	assert_true(f->ecn & TCP_ECN_CWR);
}

static void
test_ece_during_loss_recovery_no_second_cut_but_cwr(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tcp_flow *f = tpeer_flow(p);
	struct tp_out o;
	uint32_t cwnd, ssthresh;
	unsigned int i;

	app_send(x, c, 10 * SMSS);
	while (tpeer_recv(p, &o))
		;
	for (i = 0; i < 3; i++)
		peer_ack_to(p, 0, 0);
	assert_true(f->flags & TF_RECOVERY);
	while (tpeer_recv(p, &o))
		;
	cwnd = f->cwnd;
	ssthresh = f->ssthresh;
	/* The window was cut for this loss already (RFC 3168 §6.1.2). */
	peer_ack_to(p, 0, TH_ECE);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 0);
	assert_int_equal(f->ssthresh, ssthresh);
	assert_true(f->cwnd >= cwnd);
	/* But the receiver hears CWR, so it stops echoing. */
	assert_true(f->ecn & TCP_ECN_CWR);
	/* After recovery, echoes of marks from before it cut nothing either. */
	peer_ack_to(p, 10 * SMSS, TH_ECE);
	assert_false(f->flags & TF_RECOVERY);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 0);
}

/* ---- DCTCP (RFC 8257) ---- */

#define DMSS	1000u
#define DISS	7000u

static struct tcp_flow dflow;

/* A bare control block under DCTCP after the handshake. */
static struct tcp_flow *
dctcp_ready(void)
{
	struct tcp_flow *f = &dflow;

	memset(f, 0, sizeof(*f));
	f->cc = &tcp_cc_dctcp;
	f->mss = DMSS;
	f->iss = DISS;
	f->snd_una = f->snd_nxt = f->snd_max = DISS + 1;
	f->cc->init(f);
	f->cc->conn_init(f, 10 * DMSS);
	return f;
}

static void
dsend(struct tcp_flow *f, uint32_t n)
{
	f->snd_nxt += n;
	f->snd_max = f->snd_nxt;
}

/* An ACK of n new bytes, marked (ECE) or not, as tcp_ecn.c reports it. */
static void
dack(struct tcp_flow *f, uint32_t n, bool ece)
{
	f->snd_una += n;
	f->cc->on_ack(f, n);
	f->cc->on_ecn_ack(f, n, ece ? n : 0);
}

static void
test_dctcp_module_registered_needs_ecn(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_cc_find("dctcp"), &tcp_cc_dctcp);
	assert_string_equal(tcp_cc_dctcp.name, "dctcp");
	assert_true(tcp_cc_dctcp.needs_ecn);
	assert_false(tcp_cc_newreno.needs_ecn);
	assert_non_null(strstr(tcp_cc_names(), "dctcp"));
}

/* n ACKs of one segment each, the first `marked` of them with ECE. */
static void
dacks(struct tcp_flow *f, unsigned int n, unsigned int marked)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dack(f, DMSS, i < marked);
}

static void
test_dctcp_alpha_ewma_once_per_window(void **state)
{
	struct tcp_flow *f = dctcp_ready();
	struct tcp_cc_dctcp *d = &f->cc_state.dctcp;
	const uint32_t one = TCP_DCTCP_ALPHA_ONE;
	unsigned int i;

	(void)state;
	/* "initialized to 1" (RFC 8257 §3.3). */
	assert_int_equal(d->alpha, one);
	/* The first ACK of data ends the handshake's window, unmarked: alpha = (1 - g) * 1
	 * with g = 1/16; the next window ends at SND.NXT. */
	dsend(f, 10 * DMSS);
	dacks(f, 1, 0);
	assert_int_equal(d->alpha, one / 16 * 15);
	assert_int_equal(d->window_end, DISS + 1 + 10 * DMSS);
	/* Until an ACK passes the end nothing is folded in, however the ACKs are marked:
	 * "If the acknowledgment number is less than or equal to DCTCP.WindowEnd, stop". */
	dacks(f, 9, 4);
	assert_int_equal(d->alpha, one / 16 * 15);
	assert_int_equal(d->bytes_acked, 9 * DMSS);
	assert_int_equal(d->bytes_marked, 4 * DMSS);
	/* The ACK that passes it, marked: 5 of 10 segments, M = 1/2, g * M = 1/32. */
	dsend(f, 10 * DMSS);
	dacks(f, 1, 1);
	assert_int_equal(d->alpha, one / 16 * 15 - one / 256 * 15 + one / 32);
	assert_int_equal(d->bytes_acked, 0);
	assert_int_equal(d->bytes_marked, 0);
	assert_int_equal(d->window_end, DISS + 1 + 20 * DMSS);
	/* A whole window marked: M = 1. From 1, alpha stays 1, never beyond. */
	d->alpha = one;
	dacks(f, 9, 9);
	dsend(f, 10 * DMSS);
	dacks(f, 1, 1);
	assert_int_equal(d->alpha, one);
	/* Without marks alpha decays to exactly zero (below 16 units, alpha / 16 is zero
	 * and alpha is set to zero, as in Linux): a window per ACK from here. */
	dacks(f, 9, 0);
	for (i = 0; i < 300; i++) {
		dsend(f, DMSS);
		dacks(f, 1, 0);
	}
	assert_int_equal(d->alpha, 0);
	/* And a mark brings it back by g * M. */
	dsend(f, DMSS);
	dacks(f, 1, 1);
	assert_int_equal(d->alpha, one / 16);
}

static void
test_dctcp_ece_cuts_by_half_alpha_losses_like_newreno(void **state)
{
	struct tcp_flow *f = dctcp_ready();
	struct tcp_cc_dctcp *d = &f->cc_state.dctcp;
	uint32_t cwnd;

	(void)state;
	/* cwnd * (1 - alpha / 2): alpha 1 halves, alpha 1/4 takes an eighth. */
	f->cwnd = 20 * DMSS;
	f->cc->on_ece(f);
	assert_int_equal(f->cwnd, 10 * DMSS);
	assert_int_equal(f->ssthresh, 10 * DMSS);
	d->alpha = TCP_DCTCP_ALPHA_ONE / 4;
	f->cwnd = 16 * DMSS;
	f->cc->on_ece(f);
	assert_int_equal(f->cwnd, 14 * DMSS);
	assert_int_equal(f->ssthresh, 14 * DMSS);
	d->alpha = 0;
	f->cc->on_ece(f);
	assert_int_equal(f->cwnd, 14 * DMSS);
	/* Never below two segments. */
	d->alpha = TCP_DCTCP_ALPHA_ONE;
	f->cwnd = 3 * DMSS;
	f->cc->on_ece(f);
	assert_int_equal(f->cwnd, 2 * DMSS);
	/* Growth and losses: NewReno's (RFC 8257 §3.4). */
	f->cwnd = 4 * DMSS;
	f->ssthresh = TCP_CWND_MAX;
	dsend(f, 10 * DMSS);
	dack(f, DMSS, false);
	assert_int_equal(f->cwnd, 5 * DMSS);
	cwnd = f->cwnd;
	f->cc->enter_recovery(f);
	assert_int_equal(f->ssthresh, 9 * DMSS / 2);
	assert_int_equal(f->cwnd, cwnd);	/* PRR's during recovery (tcp_recovery.c) */
	f->cc->on_rto(f);
	assert_int_equal(f->cwnd, DMSS);
}

/* RFC 8257 §3.2: ECE is the CE state of the last data segment; a change of state
 * acknowledges what came before at once with the old state, and this one at once. */
static void
test_dctcp_receiver_echoes_precisely(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	uint32_t before;

	ecn_connect(p);
	/* The first data opens our window beyond the SYN's 64 KiB: that window update
	 * leaves at once whatever the delayed ACKs say. */
	peer_data(p, 1000, 0, TP_ECT0);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	tpeer_expect_nothing(p);
	/* Full segments: the second of two is acknowledged at once (delack-segs 2). */
	peer_data(p, 1000, 0, TP_ECT0);		/* A: the ACK waits */
	tpeer_expect_nothing(p);
	before = p->snd_nxt;
	peer_data(p, 1000, 0, TP_CE);		/* B: CE, a change */
	expect_ack_ece(p, before, false);	/* A, with the old state */
	expect_ack_ece(p, p->snd_nxt, true);	/* B, with the new one */
	peer_data(p, 1000, 0, TP_CE);		/* C: no change, the ACK waits */
	tpeer_expect_nothing(p);
	peer_data(p, 1000, 0, TP_CE);		/* D: two full segments */
	expect_ack_ece(p, p->snd_nxt, true);
	peer_data(p, 1000, 0, TP_ECT0);		/* E: a change, nothing owed before */
	expect_ack_ece(p, p->snd_nxt, false);
	tpeer_expect_nothing(p);
	/* CWR does not stop a precise echo: the state is the last segment's. */
	peer_data(p, 1000, TH_CWR, TP_CE);
	expect_ack_ece(p, p->snd_nxt, true);
	peer_data(p, 500, TH_CWR, TP_CE);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, true);
	assert_int_equal(th_stats(&x->t)->tcp_ecn_ce_rx, 5);
}

static void
test_dctcp_sender_cuts_cwnd_by_half_alpha_on_ece(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tcp_flow *f = tpeer_flow(p);
	struct tp_out o;
	uint32_t cwnd;

	assert_ptr_equal(f->cc, &tcp_cc_dctcp);
	app_send(x, c, 20 * SMSS);
	while (tpeer_recv(p, &o))
		assert_int_equal(o.tos, TP_ECT0);
	/* The first ACK, marked: alpha stays 1 (1 - g + g * 1); the window halves. */
	cwnd = f->cwnd + SMSS;		/* after this ACK's slow start */
	peer_ack_to(p, SMSS, TH_ECE);
	assert_int_equal(f->cc_state.dctcp.alpha, TCP_DCTCP_ALPHA_ONE);
	assert_int_equal(f->cwnd, cwnd - cwnd / 2);
	assert_int_equal(f->ssthresh, f->cwnd);
	assert_int_equal(th_stats(&x->t)->tcp_ece_reductions, 1);
}

/* ---- the `ecn` key and the fault injector's CE marks ---- */

static void
test_config_ecn_key_and_fault_ce(void **state)
{
	static const char *const modes[] = { "off", "passive", "on" };
	struct sl_fault_cfg fc = { 0 };
	struct sl_opt_set set;
	struct sl_config cfg;
	char err[256], buf[256];
	unsigned int i, n;

	(void)state;
	sl_config_defaults(&cfg);
	assert_int_equal(cfg.ecn, SL_ECN_PASSIVE);
	set.opts = sl_config_opts(&n);
	set.n = n;
	set.base = &cfg;
	for (i = 0; i < RTE_DIM(modes); i++) {
		const char *argv[] = { "prog", "--ecn", modes[i], "--cc", "dctcp" };

		assert_int_equal(sl_config_parse(RTE_DIM(argv), (char **)(uintptr_t)argv, &set, 1,
						 err, sizeof(err)), 0);
		assert_int_equal(cfg.ecn, i);
		assert_string_equal(cfg.cc, "dctcp");
	}
	{
		const char *argv[] = { "prog", "--ecn", "yes" };

		assert_int_equal(sl_config_parse(RTE_DIM(argv), (char **)(uintptr_t)argv, &set, 1,
						 err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "ecn"));
	}
	assert_int_equal(fault_opt_parse(&fc, "ce=0.25,dir=rx", err, sizeof(err)), 0);
	assert_int_equal(fc.ce, 250000);
	assert_int_equal(fc.dir, SL_FAULT_RX);
	assert_true(fault_configured(&fc));
	fault_opt_format(&fc, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ce=0.25"));
	assert_int_equal(fault_opt_parse(&fc, "off", err, sizeof(err)), 0);
	assert_int_equal(fc.ce, 0);
	assert_int_equal(fault_opt_parse(&fc, "ce=2", err, sizeof(err)), -EINVAL);
}

static int
setup_fault_ce(void **state, unsigned int dir)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.fault.ce = 1000000;		/* every ECN-capable frame */
	cfg.fault.dir = dir;
	cfg.fault.seed = 1;
	return tt_fixture_setup_cfg(state, &cfg);
}

static int
setup_fault_ce_tx(void **state)
{
	return setup_fault_ce(state, SL_FAULT_TX);
}

static int
setup_fault_ce_rx(void **state)
{
	return setup_fault_ce(state, SL_FAULT_RX);
}

static void
test_fault_ce_tx_marks_ect_frames_checksum_right(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = ecn_connect(p);
	struct tp_out o;

	/* tp_parse checks the IP header checksum: RFC 1624's update kept it right. */
	app_send(x, c, 700);
	expect_data(p, 0, 700, &o);
	assert_int_equal(o.tos, TP_CE);
	assert_int_equal(th_stats(&x->t)->fault_ce, 1);
	/* Not-ECT frames are never marked (the SYN-ACK was not, nor is this ACK). */
	peer_data(p, 100, 0, TP_NOT_ECT);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	assert_int_equal(th_stats(&x->t)->fault_ce, 1);
}

static void
test_fault_ce_rx_marks_ect_frames_stack_echoes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	ecn_connect(p);
	peer_data(p, 100, 0, TP_NOT_ECT);
	tt_flush(x, 2000);
	expect_ack_ece(p, p->snd_nxt, false);
	assert_int_equal(th_stats(&x->t)->fault_ce, 0);
	peer_data(p, 100, 0, TP_ECT1);
	expect_ack_ece(p, p->snd_nxt, true);
	assert_int_equal(th_stats(&x->t)->fault_ce, 1);
	assert_int_equal(th_stats(&x->t)->tcp_ecn_ce_rx, 1);
	assert_int_equal(th_stats(&x->t)->ip_drop_cksum, 0);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_passive_ecn_setup_syn_answered_with_ece_only),
	TT_TEST(test_passive_syn_without_ecn_answered_without),
	TT_TEST(test_passive_syn_with_ece_alone_is_no_ecn_setup_syn),
	TT_TEST_SETUP(test_ecn_off_ecn_setup_syn_answered_without, setup_ecn_off),
	TT_TEST(test_ecn_passive_active_open_does_not_ask),
	TT_TEST_SETUP(test_ecn_on_active_open_asks_and_ece_synack_agrees, setup_ecn_on),
	TT_TEST_SETUP(test_ecn_on_synack_with_ece_and_cwr_is_no_agreement, setup_ecn_on),
	TT_TEST_SETUP(test_ecn_on_synack_without_ece_is_no_agreement, setup_ecn_on),
	TT_TEST_SETUP(test_ecn_on_retransmitted_syn_no_longer_asks, setup_ecn_on),
	TT_TEST_SETUP(test_dctcp_asks_and_accepts_whatever_the_key, setup_dctcp_ecn_off),
	TT_TEST_SETUP(test_syncookie_keeps_ecn_in_timestamp, setup_cookies),
	TT_TEST(test_ecn_new_data_ect0_control_segments_not_ect),
	TT_TEST(test_ecn_retransmissions_not_ect),
	TT_TEST(test_ce_echoed_on_every_ack_until_cwr),
	TT_TEST(test_ece_reduces_once_per_round_trip_cwr_on_next_new_data),
	TT_TEST(test_ece_during_loss_recovery_no_second_cut_but_cwr),
	cmocka_unit_test(test_dctcp_module_registered_needs_ecn),
	cmocka_unit_test(test_dctcp_alpha_ewma_once_per_window),
	cmocka_unit_test(test_dctcp_ece_cuts_by_half_alpha_losses_like_newreno),
	TT_TEST_SETUP(test_dctcp_receiver_echoes_precisely, setup_dctcp),
	TT_TEST_SETUP(test_dctcp_sender_cuts_cwnd_by_half_alpha_on_ece, setup_dctcp),
	cmocka_unit_test(test_config_ecn_key_and_fault_ce),
	TT_TEST_SETUP(test_fault_ce_tx_marks_ect_frames_checksum_right, setup_fault_ce_tx),
	TT_TEST_SETUP(test_fault_ce_rx_marks_ect_frames_stack_echoes, setup_fault_ce_rx),
};

UNIT_MAIN("test_tcp_ecn", tests)
