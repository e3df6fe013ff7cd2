/* SPDX-License-Identifier: BSD-3-Clause */
/* flow_snap_read (tcp/flow_snap.c), what /sluice/conns and /sluice/conn_info report: the
 * 4-tuple, state and sequence numbers of a live connection, the queues in both directions,
 * age and idle time on the worker's clock, closing states, and a free or reused slot never
 * passed off as the connection that held it. */

#include <errno.h>

#include "unit.h"

#include "tcp/flow_snap.h"
#include "tcp_helper.h"

static void
test_established_snapshot_has_tuple_sequence_and_queues(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct flow_snap s;
	struct tcp_flow *f;

	tpeer_connect(p);
	x->app.rx_pause = true;		/* the 5 bytes stay waiting for delivery */
	tpeer_send(p, TH_ACK | TH_PSH, "hello", 5);
	th_poll(&x->t);
	f = tpeer_flow(p);
	assert_non_null(f);
	assert_int_equal(flow_snap_read(x->t.w, f->idx, &s), 0);
	assert_int_equal(s.worker, 0);
	assert_int_equal(s.idx, f->idx);
	assert_int_equal(s.gen, f->gen);
	assert_int_equal(s.state, SL_TCP_ESTABLISHED);
	assert_int_equal(s.lport, TP_PORT);
	assert_int_equal(s.rport, TP_PEER_PORT);
	assert_int_equal(s.laddr, f->key.laddr);
	assert_int_equal(s.raddr, f->key.raddr);
	assert_int_equal(s.rcv_nxt, tpeer_seq(p, 5));
	assert_int_equal(s.snd_una, tpeer_sseq(p, 0));
	assert_int_equal(s.snd_nxt, tpeer_sseq(p, 0));
	assert_int_equal(s.recv_q, 5);
	assert_int_equal(s.send_q, 0);
	assert_true(s.rx_paused);
	assert_int_equal(s.bytes_rcvd, 5);
	assert_true(s.ts && s.sack && s.wscale);
	assert_int_equal(s.snd_ws, 7);
	assert_int_equal(s.cwnd, f->cwnd);
	assert_int_equal(s.mss, f->mss);
	assert_string_equal(s.framing, "raw");
	assert_string_equal(s.cc, f->cc->name);

	/* 50 ms later with nothing received: idle and age both grew by as much. */
	{
		uint64_t age = s.age_us, idle = s.idle_us;

		tp_advance(&x->t, 50000, 1000);
		assert_int_equal(flow_snap_read(x->t.w, f->idx, &s), 0);
		assert_true(s.age_us >= age + 50000);
		assert_true(s.idle_us >= idle + 50000);
		assert_true(s.idle_us <= s.age_us);
	}
	x->app.rx_pause = false;
}

static void
test_unacked_data_counted_in_send_queue_with_timer(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct flow_snap s;
	struct tp_out o;
	static const char data[300] = "abc";

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, data, sizeof(data)), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(flow_snap_read(x->t.w, tpeer_flow(p)->idx, &s), 0);
	assert_int_equal(s.send_q, 300);
	assert_int_equal(s.unacked, 300);
	assert_int_equal(s.unsent, 0);
	assert_int_equal(s.snd_nxt - s.snd_una, 300);
	assert_true(s.rtx_in_us > 0);
	assert_int_equal(s.app_writes, 1);
	tpeer_ack(p);
	th_poll(&x->t);
	assert_int_equal(flow_snap_read(x->t.w, tpeer_flow(p)->idx, &s), 0);
	assert_int_equal(s.send_q, 0);
	assert_int_equal(s.bytes_acked, 300);
}

static void
test_closing_states_reported(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct flow_snap s;

	tpeer_open_in_state(p, SL_TCP_LAST_ACK);
	assert_int_equal(flow_snap_read(x->t.w, tpeer_flow(p)->idx, &s), 0);
	assert_int_equal(s.state, SL_TCP_LAST_ACK);
	assert_true(s.rtx_in_us > 0);	/* the FIN is timed */
}

static void
test_time_wait_reported_with_its_timer(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct flow_snap s;

	tpeer_open_in_state(p, SL_TCP_TIME_WAIT);
	assert_int_equal(flow_snap_read(x->t.w, tpeer_flow(p)->idx, &s), 0);
	assert_int_equal(s.state, SL_TCP_TIME_WAIT);
	assert_true(s.tw_in_us > 0 && s.tw_in_us <= 2ull * x->t.s->cfg.msl_ms * 1000);
}

static void
test_free_slot_enoent_reused_slot_new_generation(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct flow_snap s;
	struct sl_conn *c;
	struct tp_out o;
	uint32_t idx, gen;

	c = tpeer_connect(p);
	idx = tpeer_flow(p)->idx;
	assert_int_equal(flow_snap_read(x->t.w, idx, &s), 0);
	gen = s.gen;
	sl_conn_abort(c);
	th_poll(&x->t);
	tpeer_expect(p, &o);		/* the RST */
	assert_null(tpeer_flow(p));
	assert_int_equal(flow_snap_read(x->t.w, idx, &s), -ENOENT);
	assert_int_equal(flow_snap_read(x->t.w, x->t.w->tcp.max_flows, &s), -ENOENT);

	/* The slot's generation moved on: an id taken from the old connection names nothing
	 * whichever connection takes the slot next. */
	assert_int_not_equal(x->t.w->tcp.by_idx[idx]->gen, gen);
	tpeer_init(p, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, TP_PEER_ISS);
	tpeer_connect(p);
	assert_int_equal(flow_snap_read(x->t.w, tpeer_flow(p)->idx, &s), 0);
	assert_true(s.idx != idx || s.gen != gen);
	assert_int_equal(s.rport, TP_PEER_PORT + 1);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_established_snapshot_has_tuple_sequence_and_queues),
	TT_TEST(test_unacked_data_counted_in_send_queue_with_timer),
	TT_TEST(test_closing_states_reported),
	TT_TEST(test_time_wait_reported_with_its_timer),
	TT_TEST(test_free_slot_enoent_reused_slot_new_generation),
};

UNIT_MAIN("test_flow_snap", tests)
