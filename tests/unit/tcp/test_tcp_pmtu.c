/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_icmp.c / pmtu.c: path MTU discovery (RFC 1191) -- an ICMP "fragmentation needed"
 * quoting a segment in flight shrinks the connection's segments and resends at once;
 * one that quotes anything else is ignored and counted (RFC 5927); the floor, the
 * plateau of an RFC 792 router, the cache seen by the next connection, and its aging. */

#include <errno.h>

#include "unit.h"

#include "tcp_helper.h"
#include "net/pmtu.h"

static uint8_t payload[8000];

static void
inject_frag_needed(struct tt *x, struct tpeer *p, uint32_t seq, uint16_t qlen, uint16_t mtu)
{
	uint8_t f[128];

	th_inject_bytes(&x->t, f, fb_frag_needed(f, &x->t, p->lport, p->port, seq, qlen, mtu));
}

/* Four full segments out, unacknowledged; returns the first one's sequence number. */
static uint32_t
send_four(struct tt *x, struct tpeer *p, struct sl_conn *c)
{
	struct tp_out o;
	unsigned int i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(sl_conn_send(c, payload, 4 * 1448), 0);
	th_poll(&x->t);
	for (i = 0; i < 4; i++) {
		tpeer_expect(p, &o);
		assert_int_equal(o.len, 1448);
	}
	tpeer_expect_nothing(p);
	return tpeer_sseq(p, 0);
}

static void
test_frag_needed_shrinks_and_resends_at_once(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	uint32_t first = send_four(x, p, c), off = 0;
	struct tp_out o;

	/* The router dropped the second segment; the first got through. */
	inject_frag_needed(x, p, first + 1448, 1500, 1400);
	assert_int_equal(th_stats(&x->t)->icmp_rx_frag_needed, 1);
	assert_int_equal(th_stats(&x->t)->pmtu_learned, 1);
	assert_int_equal(th_stats(&x->t)->tcp_pmtu_shrinks, 1);
	assert_int_equal(tpeer_flow(p)->mss, 1400 - 40 - 12);
	/* Go-back from SND.UNA in 1348-byte segments, no timer waited for. */
	th_poll(&x->t);
	while (off < 4 * 1448 && tpeer_recv(p, &o)) {
		assert_int_equal(o.seq, tpeer_sseq(p, off));
		assert_true(o.len <= 1348);
		assert_memory_equal(o.data, payload + off, o.len);
		off += o.len;
	}
	assert_true(off >= 1348 * 2);
	assert_int_equal(th_stats(&x->t)->tcp_rto, 0);
	/* Every byte arrives, the connection goes on at the new size. */
	tt_flush(x, 5000);
	while (tpeer_recv(p, &o))
		;
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
	/* The next ICMP about an old big segment teaches nothing. */
	inject_frag_needed(x, p, first, 1500, 1400);
	assert_int_equal(th_stats(&x->t)->icmp_err_invalid, 1);	/* acknowledged by now */
}

static void
test_frag_needed_outside_flight_ignored(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	uint32_t first = send_four(x, p, c);

	inject_frag_needed(x, p, first - 1, 1500, 1400);		/* before SND.UNA */
	inject_frag_needed(x, p, first + 4 * 1448, 1500, 1400);	/* SND.MAX: not sent */
	inject_frag_needed(x, p, first + 100000, 1500, 576);
	assert_int_equal(th_stats(&x->t)->icmp_err_invalid, 3);
	/* An MTU the quoted datagram fits is no report of a smaller path. */
	inject_frag_needed(x, p, first, 1500, 1500);
	assert_int_equal(th_stats(&x->t)->icmp_err_invalid, 4);
	assert_int_equal(th_stats(&x->t)->pmtu_learned, 0);
	assert_int_equal(tpeer_flow(p)->mss, 1448);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
}

static void
test_frag_needed_floor_and_plateau(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	uint32_t first = send_four(x, p, c);

	/* An RFC 792 router says nothing: the plateau below 1500 is 1492. */
	inject_frag_needed(x, p, first, 1500, 0);
	assert_int_equal(tpeer_flow(p)->mss, 1492 - 52);
	/* Below min-pmtu (552) the floor holds. */
	inject_frag_needed(x, p, first, 1492, 100);
	assert_int_equal(tpeer_flow(p)->mss, 552 - 52);
	assert_int_equal(pmtu_get(x->t.w, TH_PEER_IP), 552);
	assert_int_equal(pmtu_plateau(1006), 508);
	assert_int_equal(pmtu_plateau(69), 68);
}

static void
test_learnt_path_used_by_next_connection_until_it_ages(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	uint32_t first = send_four(x, p, c);
	struct tp_out o;
	struct tpeer q;

	inject_frag_needed(x, p, first, 1500, 1300);
	th_poll(&x->t);
	while (tp_pop(&x->t, &o))	/* the first connection's resent segments */
		;
	assert_int_equal(pmtu_get(x->t.w, TH_PEER_IP), 1300);
	assert_int_equal(pmtu_get(x->t.w, TH_OTHER_IP), 1500);
	tpeer_init(&q, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, TP_PEER_ISS);
	tpeer_connect(&q);
	assert_int_equal(tpeer_flow(&q)->mss, 1300 - 52);
	/* Ten minutes later (RFC 1191 §6.3) the port's MTU is back. */
	th_advance(&x->t, 601ull * 1000000);
	assert_int_equal(pmtu_get(x->t.w, TH_PEER_IP), 1500);
	assert_int_equal(th_stats(&x->t)->pmtu_expired, 1);
}

/* A path that drops full-size segments and sends no ICMP: after the second timeout in a
 * row the connection tries segments for a 1064-byte path, after the fourth for min-pmtu's;
 * every byte still arrives in order. */
static void
test_blackhole_timeouts_shrink_segments(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	static const uint16_t want[] = { 1448, 1448 - 436, 1448 - 436, 500 };
	struct tp_out o;
	unsigned int i;

	send_four(x, p, c);
	for (i = 0; i < RTE_DIM(want); i++) {
		assert_int_not_equal(tp_run_until_tx(&x->t, 100000000), UINT64_MAX);
		assert_int_equal(tpeer_flow(p)->nrtx, i + 1);
		assert_int_equal(tpeer_flow(p)->mss, want[i]);
		tpeer_expect(p, &o);			/* the timeout's retransmission */
		assert_int_equal(o.seq, tpeer_sseq(p, 0));
		assert_int_equal(o.len, want[i]);
		assert_memory_equal(o.data, payload, o.len);
		while (tp_pop(&x->t, &o))
			;
	}
	assert_int_equal(th_stats(&x->t)->tcp_blackhole_shrinks, 2);
	/* The small segments get through: everything is delivered and acknowledged. */
	tpeer_ack(p);
	tt_flush(x, 5000);
	while (tpeer_recv(p, &o)) {
		assert_true(o.len <= 500);
		tpeer_ack(p);
		tt_flush(x, 5000);
	}
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
}

static int
setup_no_probing(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.mtu_probing = false;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_blackhole_detection_off(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	unsigned int i;

	send_four(x, p, c);
	for (i = 0; i < 4; i++) {
		assert_int_not_equal(tp_run_until_tx(&x->t, 100000000), UINT64_MAX);
		while (tp_pop(&x->t, &(struct tp_out){ 0 }))
			;
	}
	assert_int_equal(tpeer_flow(p)->mss, 1448);
	assert_int_equal(th_stats(&x->t)->tcp_blackhole_shrinks, 0);
}

/* ---- other ICMP errors: soft, except protocol unreachable during an active open ---- */

static void
inject_icmp(struct tt *x, struct tpeer *p, uint8_t type, uint8_t code, uint32_t seq)
{
	uint8_t f[128];

	th_inject_bytes(&x->t, f, fb_icmp_error(f, &x->t, type, code, p->lport, p->port, seq,
						 60, 0));
}

static void
test_unreachable_during_active_open_reported_after_retries(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_await_syn(p);
	inject_icmp(x, p, 3, 1, p->syn.seq);		/* host unreachable */
	assert_int_equal(th_stats(&x->t)->tcp_icmp_soft_errors, 1);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_SYN_SENT);	/* not at once */
	assert_int_equal(tpeer_flow(p)->soft_err, EHOSTUNREACH);
	while (tp_run_until_tx(&x->t, 1000000000) != UINT64_MAX)
		while (tp_pop(&x->t, &(struct tp_out){ 0 }))
			;
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_UNREACHABLE);
}

static void
test_protocol_unreachable_ends_active_open_at_once(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_await_syn(p);
	inject_icmp(x, p, 3, 2, p->syn.seq + 1);	/* not the SYN's number: ignored */
	assert_int_equal(th_stats(&x->t)->icmp_err_invalid, 1);
	inject_icmp(x, p, 3, 2, p->syn.seq);
	assert_int_equal(th_stats(&x->t)->tcp_icmp_aborts, 1);
	assert_int_equal(p->tc->closes, 1);
	assert_int_equal(p->tc->reason, SL_CLOSE_UNREACHABLE);
	tpeer_expect_nothing(p);			/* no RST to a host without TCP */
}

static void
test_soft_errors_in_established_recorded_never_reset(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	uint32_t first = send_four(x, p, c);
	struct sl_conn_info info;

	inject_icmp(x, p, 3, 0, first);			/* net unreachable */
	inject_icmp(x, p, 11, 0, first + 1448);		/* time exceeded */
	inject_icmp(x, p, 3, 3, first + 2896);		/* port unreachable */
	inject_icmp(x, p, 3, 2, first);			/* protocol unreachable */
	assert_int_equal(th_stats(&x->t)->tcp_icmp_soft_errors, 4);
	assert_int_equal(th_stats(&x->t)->tcp_icmp_aborts, 0);
	sl_conn_info(c, &info);
	assert_int_equal(info.state, SL_TCP_ESTABLISHED);
	assert_int_equal(info.soft_error, ENOPROTOOPT);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_frag_needed_shrinks_and_resends_at_once),
	TT_TEST(test_frag_needed_outside_flight_ignored),
	TT_TEST(test_frag_needed_floor_and_plateau),
	TT_TEST(test_learnt_path_used_by_next_connection_until_it_ages),
	TT_TEST(test_blackhole_timeouts_shrink_segments),
	TT_TEST_SETUP(test_blackhole_detection_off, setup_no_probing),
	TT_TEST(test_unreachable_during_active_open_reported_after_retries),
	TT_TEST(test_protocol_unreachable_ends_active_open_at_once),
	TT_TEST(test_soft_errors_in_established_recorded_never_reset),
};

UNIT_MAIN("test_tcp_pmtu", tests)
