/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_in.c / tcp_ooo.c / tcp_out.c: data in ESTABLISHED -- in-order delivery, the
 * out-of-order queue (overlaps delivered once, per-flow limits), SACK blocks in our ACKs,
 * the receive window, segmentation and the send window, sequence wraparound, peers without
 * timestamps or window scaling, and the send queue limits. */

#include <errno.h>

#include "unit.h"

#include "tcp_helper.h"
#include "net/eth.h"
#include "tcp/flow.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_mem.h"
#include "tcp/tcp_out.h"

static uint8_t payload[70000];

/* Deterministic bytes, different for every seed, so misplaced data shows. */
static const uint8_t *
pattern(size_t n, unsigned int seed)
{
	size_t i;

	assert_true(n <= sizeof(payload));
	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 7 + seed + (i >> 8));
	return payload;
}

/* The peer sends bytes [from, to) of data (offsets in its stream). */
static void
send_range(struct tpeer *p, const uint8_t *data, uint32_t from, uint32_t to)
{
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, from), p->rcv_nxt, data + from, to - from);
}

/* Expect an immediate ACK of `ack`; returns its SACK blocks in o. */
static void
expect_ack_now(struct tpeer *p, uint32_t ack, struct tp_out *o)
{
	tpeer_expect(p, o);
	assert_int_equal(o->flags, TH_ACK);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->ack, ack);
}

static void
assert_sack(const struct tp_out *o, unsigned int i, uint32_t start, uint32_t end)
{
	assert_true(o->opts.has & TO_SACK);
	assert_true(i < o->opts.nsack);
	assert_int_equal(o->opts.sack[i].start, start);
	assert_int_equal(o->opts.sack[i].end, end);
}

/* ---- receiving ---- */

static void
test_established_data_in_order_delivered_and_acked(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK | TH_PSH, "hello world", 11);
	assert_int_equal(p->tc->rx_bytes, 11);
	assert_memory_equal(p->tc->rx, "hello world", 11);
	assert_false(p->tc->stream_gap);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->iss + 12);
	assert_int_equal(th_stats(&x->t)->tcp_rx_bytes, 11);
	assert_int_equal(tpeer_flow(p)->bytes_rcvd, 11);
}

static void
test_established_duplicate_segment_acked_not_redelivered(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tp_out o;

	tpeer_connect(p);
	tpeer_send(p, TH_ACK | TH_PSH, "abc", 3);
	tt_flush(x, 2000);
	tpeer_expect_ack(p, p->iss + 4);
	/* The same segment again lies wholly below the window: not acceptable (RFC 9293
	 * §3.10.7.4), answered with an ACK at once (our first ACK may have been lost), and
	 * not delivered twice. */
	tpeer_xmit(p, TH_ACK | TH_PSH, tpeer_seq(p, 0), p->rcv_nxt, "abc", 3);
	expect_ack_now(p, p->iss + 4, &o);
	assert_int_equal(p->tc->rx_bytes, 3);
	assert_int_equal(th_stats(&x->t)->tcp_oow_drop, 1);
}

static void
test_established_partial_overlap_delivers_new_part_only(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(150, 1);

	tpeer_connect(p);
	send_range(p, d, 0, 100);
	send_range(p, d, 50, 150);
	assert_int_equal(p->tc->rx_bytes, 150);
	assert_memory_equal(p->tc->rx, d, 150);
	assert_int_equal(th_stats(&x->t)->tcp_dup_bytes, 50);
	assert_int_equal(tpeer_flow(p)->rcv_nxt, tpeer_seq(p, 150));
}

static void
test_established_ooo_segment_acked_at_once_with_sack(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(2000, 2);
	struct tp_out o;

	tpeer_connect(p);
	send_range(p, d, 1000, 2000);
	expect_ack_now(p, tpeer_seq(p, 0), &o);
	assert_true(o.opts.has & TO_TS);
	assert_int_equal(o.opts.nsack, 1);
	assert_sack(&o, 0, tpeer_seq(p, 1000), tpeer_seq(p, 2000));
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(th_stats(&x->t)->tcp_ooo_segs, 1);
}

static void
test_established_hole_filled_acked_at_once_and_delivered(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(2000, 3);
	struct tp_out o;

	tpeer_connect(p);
	send_range(p, d, 1000, 2000);
	expect_ack_now(p, tpeer_seq(p, 0), &o);
	send_range(p, d, 0, 1000);
	/* RFC 5681 §4.2: a segment that fills a hole is acknowledged at once. */
	expect_ack_now(p, tpeer_seq(p, 2000), &o);
	assert_false(o.opts.has & TO_SACK);
	assert_int_equal(p->tc->rx_bytes, 2000);
	assert_memory_equal(p->tc->rx, d, 2000);
	assert_false(p->tc->stream_gap);
	assert_int_equal(tpeer_flow(p)->ooo.nsegs, 0);
}

static void
test_established_overlapping_retransmissions_delivered_once(void **state)
{
	/* Out-of-order pieces overlapping each other and the queue in every way: inside,
	 * across the front, across the end, covering several, exact duplicates. */
	static const uint32_t ranges[][2] = {
		{ 3000, 4000 }, { 3500, 4500 }, { 2000, 3200 }, { 3100, 3300 },
		{ 4500, 5000 }, { 2500, 3900 }, { 1000, 1500 }, { 5200, 5600 },
		{ 4900, 5300 }, { 4400, 5700 }, { 1000, 1500 }, { 1400, 2100 },
		{ 5500, 6000 }, { 100, 1200 }, { 0, 150 },
	};
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(6000, 4);
	struct tcp_flow *f;
	struct tp_out o;
	unsigned int i;

	tpeer_connect(p);
	f = tpeer_flow(p);
	for (i = 0; i < RTE_DIM(ranges); i++) {
		send_range(p, d, ranges[i][0], ranges[i][1]);
		/* Every out-of-order arrival is acknowledged at once. */
		assert_true(tpeer_recv(p, &o));
		assert_int_equal(o.len, 0);
		assert_true(f->ooo.nsegs <= i + 1);
	}
	assert_int_equal(f->rcv_nxt, tpeer_seq(p, 6000));
	assert_int_equal(f->ooo.nsegs, 0);
	assert_int_equal(f->ooo.bytes, 0);
	assert_int_equal(p->tc->rx_bytes, 6000);
	assert_memory_equal(p->tc->rx, d, 6000);
	assert_false(p->tc->stream_gap);
	assert_int_equal(th_stats(&x->t)->tcp_rx_bytes, 6000);
	assert_int_equal(o.ack, tpeer_seq(p, 6000));
}

static int
setup_ooo_4_segs(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.ooo_max_segs = 4;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_ooo_queue_bounded_by_segments(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(800, 5);
	struct tcp_flow *f;
	unsigned int k;

	tpeer_connect(p);
	f = tpeer_flow(p);
	/* Six segments after a hole: four fit, the two furthest away are dropped. */
	for (k = 1; k <= 6; k++)
		send_range(p, d, 100 * k, 100 * (k + 1));
	th_tx_drain(&x->t);
	assert_int_equal(f->ooo.nsegs, 4);
	assert_int_equal(f->ooo.bytes, 400);
	assert_int_equal(th_stats(&x->t)->tcp_ooo_drop, 2);
	send_range(p, d, 0, 100);
	assert_int_equal(f->rcv_nxt, tpeer_seq(p, 500));
	send_range(p, d, 500, 800);
	assert_int_equal(p->tc->rx_bytes, 800);
	assert_memory_equal(p->tc->rx, d, 800);
}

static int
setup_ooo_2_segs(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.ooo_max_segs = 2;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_ooo_full_earlier_segment_evicts_tail(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(400, 6);
	struct tcp_flow *f;

	tpeer_connect(p);
	f = tpeer_flow(p);
	send_range(p, d, 200, 300);
	send_range(p, d, 300, 400);
	/* Full; [100, 200) is more useful than the tail [300, 400), which makes room. */
	send_range(p, d, 100, 200);
	th_tx_drain(&x->t);
	assert_int_equal(f->ooo.nsegs, 2);
	assert_int_equal(th_stats(&x->t)->tcp_ooo_drop, 1);
	send_range(p, d, 0, 100);
	assert_int_equal(f->rcv_nxt, tpeer_seq(p, 300));
	assert_int_equal(p->tc->rx_bytes, 300);
	assert_memory_equal(p->tc->rx, d, 300);
}

static void
test_established_ooo_queue_bounded_by_memory(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(500, 7);
	struct tcp_flow *f;
	unsigned int k;

	/* Room for the buffers of two segments, however small their payload: a flood of
	 * tiny segments costs what it pins. */
	x->t.s->cfg.ooo_max_bytes = 2u * rte_pktmbuf_data_room_size(x->t.w->pool);
	tpeer_connect(p);
	f = tpeer_flow(p);
	for (k = 1; k <= 4; k++)
		send_range(p, d, 100 * k, 100 * k + 10);
	th_tx_drain(&x->t);
	assert_int_equal(f->ooo.nsegs, 2);
	assert_true(f->ooo.truesize <= x->t.s->cfg.ooo_max_bytes);
	assert_int_equal(th_stats(&x->t)->tcp_ooo_drop, 2);
}

static void
test_established_sack_first_block_is_latest_arrival(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5000, 8);
	struct tp_out o;
	unsigned int i, k;

	tpeer_connect(p);
	/* Four separate runs A..D, then B grows. */
	for (k = 1; k <= 4; k++) {
		send_range(p, d, 1000 * k, 1000 * k + 100);
		expect_ack_now(p, tpeer_seq(p, 0), &o);
		assert_sack(&o, 0, tpeer_seq(p, 1000 * k), tpeer_seq(p, 1000 * k + 100));
		/* With timestamps, three blocks fit in the 40 bytes of options. */
		assert_int_equal(o.opts.nsack, RTE_MIN(k, 3u));
	}
	send_range(p, d, 2100, 2200);
	expect_ack_now(p, tpeer_seq(p, 0), &o);
	assert_int_equal(o.opts.nsack, 3);
	assert_sack(&o, 0, tpeer_seq(p, 2000), tpeer_seq(p, 2200));
	/* The other blocks report other runs, each once. */
	for (i = 1; i < 3; i++) {
		uint32_t s = o.opts.sack[i].start;

		assert_true(s == tpeer_seq(p, 1000) || s == tpeer_seq(p, 3000) ||
			    s == tpeer_seq(p, 4000));
		assert_int_equal(o.opts.sack[i].end, s + 100);
		assert_true(o.opts.sack[i].start != o.opts.sack[3 - i].start);
	}
}

static void
test_established_no_sack_blocks_when_peer_did_not_permit(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(200, 9);
	struct tp_out o;

	p->sack_ok = false;
	tpeer_connect(p);
	assert_false(p->syn.opts.has & TO_SACK_OK);
	send_range(p, d, 100, 200);
	expect_ack_now(p, tpeer_seq(p, 0), &o);
	assert_false(o.opts.has & TO_SACK);
}

/* ---- the receive window ---- */

static int
setup_rcvbuf_4k(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.rcvbuf = 4096;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_established_data_beyond_window_trimmed_window_closes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4344, 10);
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	assert_int_equal(p->syn.wnd, 4096);
	/* The application stops reading: the window fills. */
	x->app.rx_pause = true;
	send_range(p, d, 0, 1448);
	send_range(p, d, 1448, 2896);
	/* Two full segments: ACK at once, with what is left of the window. */
	expect_ack_now(p, tpeer_seq(p, 2896), &o);
	assert_int_equal(o.wnd, 4096 - 2896);
	/* Beyond the window: the part that fits is kept, the rest trimmed. */
	send_range(p, d, 2896, 4344);
	expect_ack_now(p, tpeer_seq(p, 4096), &o);
	assert_int_equal(o.wnd, 0);
	assert_int_equal(th_stats(&x->t)->tcp_window_trim, 1);
	assert_int_equal(p->tc->rx_bytes, 0);
	assert_int_equal(p->tc->paused, 1);
	/* Reading again delivers everything, and the reopened window is announced. */
	x->app.rx_pause = false;
	sl_conn_resume_rx(c);
	th_poll(&x->t);
	assert_int_equal(p->tc->rx_bytes, 4096);
	assert_memory_equal(p->tc->rx, d, 4096);
	expect_ack_now(p, tpeer_seq(p, 4096), &o);
	assert_int_equal(o.wnd, 4096);
	send_range(p, d, 4096, 4344);
	assert_int_equal(p->tc->rx_bytes, 4344);
	assert_memory_equal(p->tc->rx, d, 4344);
}

static void
test_established_fin_at_rcv_nxt_taken_with_zero_window(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4096, 20);
	struct sl_conn *c;

	c = tpeer_connect(p);
	x->app.rx_pause = true;
	tpeer_send(p, TH_ACK, d, 1448);
	tpeer_send(p, TH_ACK, d + 1448, 1448);
	tpeer_send(p, TH_ACK, d + 2896, 1200);
	th_tx_drain(&x->t);
	assert_int_equal(tpeer_flow(p)->rcv_adv, tpeer_flow(p)->rcv_nxt);
	/* The FIN occupies no buffer: it is taken even though the window is closed. */
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_CLOSE_WAIT);
	/* on_eof only after every byte was delivered. */
	assert_int_equal(p->tc->eofs, 0);
	x->app.rx_pause = false;
	sl_conn_resume_rx(c);
	th_poll(&x->t);
	assert_int_equal(p->tc->rx_bytes, 4096);
	assert_memory_equal(p->tc->rx, d, 4096);
	assert_int_equal(p->tc->eofs, 1);
	assert_int_equal(p->tc->log[p->tc->nlog - 1], 'e');
}

static void
test_established_window_field_scaled_by_our_shift(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;

	tpeer_connect(p);
	f = tpeer_flow(p);
	tpeer_send(p, TH_ACK | TH_PSH, "x", 1);
	tt_flush(x, 2000);
	tpeer_expect(p, &o);
	/* The whole buffer is free again: announced, scaled. */
	assert_int_equal((uint32_t)o.wnd << f->rcv_ws, x->t.w->cfg->rcvbuf);
	assert_int_equal(f->rcv_adv, tpeer_seq(p, 1) + x->t.w->cfg->rcvbuf);
}

/* ---- sending ---- */

static void
test_established_send_mss_segments_psh_on_last(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5000, 11);
	static const uint32_t lens[] = { 1448, 1448, 1448, 656 };
	struct sl_conn *c;
	struct tp_out o;
	uint32_t off = 0;
	unsigned int i;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 5000), 0);
	th_poll(&x->t);
	for (i = 0; i < RTE_DIM(lens); i++) {
		tpeer_expect(p, &o);
		assert_int_equal(o.seq, tpeer_sseq(p, off));
		assert_int_equal(o.ack, p->iss + 1);
		assert_int_equal(o.len, lens[i]);
		assert_int_equal(o.flags, TH_ACK | (i + 1 == RTE_DIM(lens) ? TH_PSH : 0));
		assert_memory_equal(o.data, d + off, lens[i]);
		assert_true(o.opts.has & TO_TS);
		assert_int_equal(o.opts.tsecr, p->tsval - 1);
		off += lens[i];
	}
	tpeer_expect_nothing(p);
	assert_int_equal(th_stats(&x->t)->tcp_tx_bytes, 5000);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
	assert_int_equal(tpeer_flow(p)->bytes_acked, 5000);
}

static void
test_established_small_writes_in_one_iteration_coalesced(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;
	unsigned int i;

	c = tpeer_connect(p);
	for (i = 0; i < 10; i++)
		assert_int_equal(sl_conn_send(c, "0123456789" + i, 1), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 10);
	assert_memory_equal(o.data, "0123456789", 10);
	tpeer_expect_nothing(p);
}

/* The frame of the peer's next segment carrying data (as tpeer_send would send it), in
 * an mbuf rather than on the wire. */
static struct rte_mbuf *
peer_frame(struct tpeer *p, const void *data, size_t len)
{
	static uint8_t frame[TP_DATA_MAX + 256];
	uint8_t o[TCP_OPT_MAX];
	size_t n = 0;
	struct tseg s = {
		.sport = p->port, .dport = p->lport, .seq = p->snd_nxt, .ack = p->rcv_nxt,
		.flags = TH_ACK | TH_PSH, .tos = p->tos, .wnd = p->wnd, .data = data,
		.len = len,
	};

	if (p->ts_on) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
		tp_opt_ts(o, &n, p->tsval++, p->ts_recent);
	}
	s.opts = o;
	s.olen = n;
	p->snd_nxt += (uint32_t)len;
	return th_frame(p->t, frame, tp_build(frame, p->t, &s));
}

/* tcp_rx_prefetch's hints stand for the lookups tcp_input would make: each segment of the
 * burst gets the flow flow_lookup finds (and the data reaches its connection), a segment
 * without a flow gets none, and a release in the burst drops them all (a segment after it
 * is looked up: here it finds no flow and is answered with a RST, as without hints). */
static void
test_rx_prefetch_hints_match_lookup(void **state)
{
	struct tt *x = *state;
	struct tcp_worker *t = &x->t.w->tcp;
	struct tpeer *a = &x->p, b, c;
	struct rte_mbuf *m[4];
	struct tcp_flow *fa, *fb, *fc;
	struct flow_key kc;
	struct tp_out o;

	tpeer_connect(a);
	tpeer_init(&b, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, TP_PEER_ISS + 1000u);
	tpeer_connect(&b);
	fa = tpeer_flow(a);
	fb = tpeer_flow(&b);
	th_tx_drain(&x->t);

	/* b, a, then a segment of a connection nobody opened, then a again. */
	tpeer_init(&c, &x->t, &x->app, TP_PEER_PORT + 2, TP_PORT, TP_PEER_ISS + 2000u);
	m[0] = peer_frame(&b, "b0", 2);
	m[1] = peer_frame(a, "a0", 2);
	m[2] = peer_frame(&c, "c0", 2);
	m[3] = peer_frame(a, "a1", 2);
	tcp_rx_prefetch(x->t.w, m, 4);
	assert_int_equal(t->rx_hint_n, 3);
	assert_ptr_equal(t->rx_hint[0].f, fb);
	assert_ptr_equal(t->rx_hint[1].f, fa);
	assert_ptr_equal(t->rx_hint[2].f, fa);
	assert_ptr_equal(t->rx_hint[2].m, m[3]);
	t->last_hit = NULL;		/* every segment goes past the one-entry cache */
	eth_input(x->t.w, m[0]);
	assert_int_equal(t->rx_hint_i, 1);
	eth_input(x->t.w, m[1]);
	assert_int_equal(t->rx_hint_i, 2);
	eth_input(x->t.w, m[2]);	/* no flow, no hint: the hints wait */
	assert_int_equal(t->rx_hint_i, 2);
	t->last_hit = NULL;
	eth_input(x->t.w, m[3]);
	assert_int_equal(t->rx_hint_i, 3);
	th_poll(&x->t);
	assert_int_equal(tapp_find(&x->app, a->port)->rx_bytes, 4);
	assert_memory_equal(tapp_find(&x->app, a->port)->rx, "a0a1", 4);
	assert_int_equal(tapp_find(&x->app, b.port)->rx_bytes, 2);
	assert_int_equal(fa->rcv_nxt, tpeer_seq(a, 4));
	assert_int_equal(fb->rcv_nxt, tpeer_seq(&b, 2));
	th_tx_drain(&x->t);

	/* A flow released between the look-ahead and its segment: no hint survives, and
	 * the segment finds no flow (a RST answers it, as it would without the hints). */
	kc = (struct flow_key){ .raddr = fa->key.raddr, .laddr = fa->key.laddr,
				.rport = rte_cpu_to_be_16(c.port), .lport = fa->key.lport };
	fc = flow_create(x->t.w, &kc);
	assert_non_null(fc);
	tcp_flow_init(x->t.w, fc);
	m[0] = peer_frame(&c, "c1", 2);
	tcp_rx_prefetch(x->t.w, m, 1);
	assert_int_equal(t->rx_hint_n, 1);
	assert_ptr_equal(t->rx_hint[0].f, fc);
	flow_release(x->t.w, fc);
	assert_int_equal(t->rx_hint_n, 0);
	eth_input(x->t.w, m[0]);
	port_flush(x->t.w);
	assert_true(tpeer_recv(&c, &o));
	assert_true(o.flags & TH_RST);
}

static void
test_established_send_limited_by_peer_window(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5000, 12);
	struct sl_conn *c;
	struct tp_out o;

	p->wscale = -1;
	p->wnd = 3000;
	c = tpeer_connect(p);
	assert_int_equal(tpeer_flow(p)->snd_wnd, 3000);
	assert_int_equal(sl_conn_send(c, d, 5000), 0);
	th_poll(&x->t);
	/* Two full segments fit; the 104 bytes left of the window would be a silly
	 * segment (RFC 9293 §3.8.6.2.1) and wait. */
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1448);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1448);
	tpeer_expect_nothing(p);
	tpeer_ack(p);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 2896));
	assert_int_equal(o.len, 1448);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 5000 - 3 * 1448);
	assert_memory_equal(o.data, d + 3 * 1448, 5000 - 3 * 1448);
}

/* What a segment that acknowledges new data, carries a request and changes the window
 * leaves behind: the control block, the segments sent in answer, the counters. */
struct wnd_shape_result {
	uint32_t snd_wnd, max_snd_wnd, snd_wl1, snd_wl2, snd_una, snd_nxt, snd_max, rcv_nxt,
		 rcv_adv, flags, cwnd, ssthresh, dupacks;
	uint64_t rtx_at, predicted;
	uint8_t rtx_kind;		/* what rtx_at is: RTO, probe, reordering */
	bool tlp_out;
	struct sl_stats stats;
	unsigned int nout;
	struct tp_out out[8];
};

/* The control block after the segment (before the output phase). */
static void
wnd_result_capture(const struct tcp_flow *f, struct wnd_shape_result *r)
{
	r->snd_wnd = f->snd_wnd;
	r->max_snd_wnd = f->max_snd_wnd;
	r->snd_wl1 = f->snd_wl1;
	r->snd_wl2 = f->snd_wl2;
	r->snd_una = f->snd_una;
	r->snd_nxt = f->snd_nxt;
	r->snd_max = f->snd_max;
	r->rcv_nxt = f->rcv_nxt;
	r->rcv_adv = f->rcv_adv;
	r->flags = f->flags;
	r->cwnd = f->cwnd;
	r->ssthresh = f->ssthresh;
	r->dupacks = f->dupacks;
	r->rtx_at = f->rtx_at;
	r->rtx_kind = f->rec.rtx_kind;
	r->tlp_out = f->rec.tlp_out;
}

/* Then the output phase: the segments sent in answer and the counters (but the one that
 * counts predictions). */
static void
wnd_result_finish(struct tt *x, struct wnd_shape_result *r)
{
	th_poll(&x->t);
	tt_flush(x, 50000);
	while (r->nout < RTE_DIM(r->out) && tpeer_recv(&x->p, &r->out[r->nout]))
		r->nout++;
	r->stats = *th_stats(&x->t);
	r->stats.tcp_rx_predicted = 0;
}

/* The segments two runs sent: the same, in the same order (sequence, ACK, length, window,
 * flags). */
static void
tp_outs_assert_equal(const struct tp_out *a, unsigned int na, const struct tp_out *b,
		     unsigned int nb)
{
	unsigned int k;

	assert_int_equal(na, nb);
	for (k = 0; k < na; k++) {
		assert_int_equal(a[k].seq, b[k].seq);
		assert_int_equal(a[k].ack, b[k].ack);
		assert_int_equal(a[k].len, b[k].len);
		assert_int_equal(a[k].wnd, b[k].wnd);
		assert_int_equal(a[k].flags, b[k].flags);
	}
}

/* Two runs' control blocks, segments and counters: the same (the fast path against the
 * general one). */
static void
wnd_results_assert_equal(const struct wnd_shape_result *a, const struct wnd_shape_result *b)
{
	assert_int_equal(a->snd_wnd, b->snd_wnd);
	assert_int_equal(a->max_snd_wnd, b->max_snd_wnd);
	assert_int_equal(a->snd_wl1, b->snd_wl1);
	assert_int_equal(a->snd_wl2, b->snd_wl2);
	assert_int_equal(a->snd_una, b->snd_una);
	assert_int_equal(a->snd_nxt, b->snd_nxt);
	assert_int_equal(a->snd_max, b->snd_max);
	assert_int_equal(a->rcv_nxt, b->rcv_nxt);
	assert_int_equal(a->rcv_adv, b->rcv_adv);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->cwnd, b->cwnd);
	assert_int_equal(a->ssthresh, b->ssthresh);
	assert_int_equal(a->dupacks, b->dupacks);
	assert_int_equal(a->rtx_at, b->rtx_at);
	assert_int_equal(a->rtx_kind, b->rtx_kind);
	assert_int_equal(a->tlp_out, b->tlp_out);
	tp_outs_assert_equal(a->out, a->nout, b->out, b->nout);
	assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
}

static void
wnd_change_run(struct tt *x, bool general, uint16_t wnd, struct wnd_shape_result *r)
{
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5000, 21);
	struct tcp_flow *f;
	struct sl_conn *c;
	struct tp_out o;
	uint64_t before;

	memset(r, 0, sizeof(*r));
	p->wscale = -1;
	p->wnd = 3000;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 5000), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	tpeer_expect(p, &o);
	tpeer_expect_nothing(p);
	x->t.w->tcp.predict_off = general;
	p->wnd = wnd;
	before = th_stats(&x->t)->tcp_rx_predicted;
	tpeer_send(p, TH_ACK | TH_PSH, "req", 3);
	f = tpeer_flow(p);
	r->predicted = th_stats(&x->t)->tcp_rx_predicted - before;
	wnd_result_capture(f, r);
	wnd_result_finish(x, r);
	assert_int_equal(p->tc->rx_bytes, 3);
}


/* Review: more shapes of a window change taken by header prediction (partial ACK, pure
 * ACK of new data, pure window update with nothing outstanding, no new ACK with data),
 * each against the general path. */

static void
wnd_shape_run(struct tt *x, bool general, unsigned int shape, uint16_t wnd,
	      struct wnd_shape_result *r)
{
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(5000, 22);
	struct tcp_flow *f;
	struct sl_conn *c;
	struct tp_out o;
	uint64_t before;
	uint32_t ack;

	memset(r, 0, sizeof(*r));
	p->wscale = -1;
	p->wnd = 3000;
	c = tpeer_connect(p);
	if (shape != 2) {
		assert_int_equal(sl_conn_send(c, d, 5000), 0);
		th_poll(&x->t);
		while (tpeer_recv(p, &o))
			;
	}
	x->t.w->tcp.predict_off = general;
	f = tpeer_flow(p);
	p->wnd = wnd;
	before = th_stats(&x->t)->tcp_rx_predicted;
	switch (shape) {
	case 0:	/* partial ACK with data */
		ack = f->snd_una + 100;
		tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, ack, "req", 3);
		p->snd_nxt += 3;
		break;
	case 1:	/* pure ACK of everything, no data */
		tpeer_xmit(p, TH_ACK, p->snd_nxt, f->snd_max, NULL, 0);
		break;
	case 2:	/* pure window update, nothing outstanding */
		tpeer_xmit(p, TH_ACK, p->snd_nxt, f->snd_max, NULL, 0);
		break;
	default: /* no new ACK, with data */
		tpeer_xmit(p, TH_ACK | TH_PSH, p->snd_nxt, f->snd_una, "req", 3);
		p->snd_nxt += 3;
		break;
	}
	r->predicted = th_stats(&x->t)->tcp_rx_predicted - before;
	wnd_result_capture(f, r);
	wnd_result_finish(x, r);
}

static void
test_review_window_change_shapes(void **state)
{
	static const uint16_t wnds[] = { 6000, 2900, 500, 3000 };
	struct wnd_shape_result fast, ref;
	unsigned int i, shape;
	bool first = true;

	for (shape = 0; shape < 4; shape++)
		for (i = 0; i < RTE_DIM(wnds); i++) {
			struct tt *x = first ? *state : tt_fixture_renew(state, NULL);

			first = false;
			wnd_shape_run(x, false, shape, wnds[i], &fast);
			x = tt_fixture_renew(state, NULL);
			wnd_shape_run(x, true, shape, wnds[i], &ref);
			print_message("shape %u wnd %u: predicted %lu, out %u/%u\n", shape, wnds[i],
				      (unsigned long)fast.predicted, fast.nout, ref.nout);
			assert_int_equal(ref.predicted, 0);
			wnd_results_assert_equal(&fast, &ref);
		}
}

/* tcp_output's one-segment pass (tcp_output_one) against the general pass alone
 * (tcp.out_one_off): shapes of output around the one it takes (a byte each way, a full
 * segment, Nagle, SL_SEND_MORE, a window smaller than the data, more than a segment, an
 * idle restart, a pass entered with TF_TX_WAIT left by a send outside it). The segments, the control block and the counters must be the same. */

static void
out_one_collect(struct tpeer *p, struct wnd_shape_result *r)
{
	while (r->nout < RTE_DIM(r->out) && tpeer_recv(p, &r->out[r->nout]))
		r->nout++;
}

static void
out_one_run(struct tt *x, bool general, unsigned int shape, struct wnd_shape_result *r)
{
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3000, 23);
	struct sl_conn *c;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	p->wscale = -1;
	if (shape == 4)
		p->wnd = 700;
	c = tpeer_connect(p);
	x->t.w->tcp.out_one_off = general;
	switch (shape) {
	case 0:	/* request-response: a byte each way, three times */
		for (i = 0; i < 3; i++) {
			assert_int_equal(sl_conn_send(c, d + i, 1), 0);
			th_poll(&x->t);
			out_one_collect(p, r);
			tpeer_send(p, TH_ACK | TH_PSH, "q", 1);
			th_poll(&x->t);
			out_one_collect(p, r);
		}
		break;
	case 1:	/* one full segment, then a byte */
		assert_int_equal(sl_conn_send(c, d, 1448), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		assert_int_equal(sl_conn_send(c, d, 1), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	case 2:	/* Nagle: the second byte waits for the ACK of the first */
		assert_int_equal(sl_conn_set_flush(c, SL_FLUSH_NAGLE, 0), 0);
		assert_int_equal(sl_conn_send(c, d, 1), 0);
		th_poll(&x->t);
		assert_int_equal(sl_conn_send(c, d + 1, 1), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		tpeer_ack(p);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	case 3:	/* SL_SEND_MORE holds the tail, sl_conn_flush lets it go */
		assert_int_equal(sl_conn_send_flags(c, d, 5, SL_SEND_MORE), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		sl_conn_flush(c);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	case 4:	/* the peer's window is smaller than the data */
		assert_int_equal(sl_conn_send(c, d, 1000), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	case 5:	/* more than a segment */
		assert_int_equal(sl_conn_send(c, d, 1500), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	case 7:	/* a send outside the pass waited for TX room (TF_TX_WAIT): the pass
		 * clears it and sends (the one-segment pass leaves this to the general) */
		assert_int_equal(sl_conn_send(c, d, 1), 0);
		tpeer_flow(p)->flags |= TF_TX_WAIT;
		th_poll(&x->t);
		assert_false(tpeer_flow(p)->flags & TF_TX_WAIT);
		out_one_collect(p, r);
		tpeer_send(p, TH_ACK | TH_PSH, "q", 1);
		th_poll(&x->t);
		out_one_collect(p, r);
		assert_int_equal(sl_conn_send(c, d + 1, 1), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	default: /* idle past the RTO, then a byte (the idle restart) */
		assert_int_equal(sl_conn_send(c, d, 1), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		tpeer_ack(p);
		th_poll(&x->t);
		th_advance(&x->t, 3 * 1000 * 1000);
		assert_int_equal(sl_conn_send(c, d + 1, 1), 0);
		th_poll(&x->t);
		out_one_collect(p, r);
		break;
	}
	wnd_result_capture(tpeer_flow(p), r);
	wnd_result_finish(x, r);
}

/* Each shape twice: with the tests' config (no tail loss probe: the retransmission timer
 * after a send) and with probes on (the probe timer the pass arms itself,
 * tcp_rtx_arm_new, against tcp_rtx_arm's). */
static void
test_output_one_segment_pass_matches_general_path(void **state)
{
	struct wnd_shape_result fast, ref;
	struct sl_config cfg;
	unsigned int run;

	tp_config(&cfg);
	cfg.tlp = true;
	for (run = 0; run < 16; run++) {
		const struct sl_config *c = run < 8 ? NULL : &cfg;
		unsigned int shape = run % 8;
		struct tt *x = run == 0 ? *state : tt_fixture_renew(state, c);

		out_one_run(x, false, shape, &fast);
		x = tt_fixture_renew(state, c);
		out_one_run(x, true, shape, &ref);
		print_message("shape %u tlp %d: out %u/%u, timer kind %u/%u\n", shape, run >= 8,
			      fast.nout, ref.nout, fast.rtx_kind, ref.rtx_kind);
		assert_true(fast.nout > 0);
		wnd_results_assert_equal(&fast, &ref);
	}
}

/* Drain what the stack sent; returns how many segments. */
static unsigned int
gate_drain(struct tpeer *p)
{
	struct tp_out o;
	unsigned int n = 0;

	while (tpeer_recv(p, &o))
		n++;
	return n;
}

/* The gate flags (flow.h TF_ESTAB, TF_OOO, TF_DSACK_OUT, TF_REC_OPEN) through the
 * transitions they mirror: each one seen set where its condition holds and clear once it
 * ends, with tcp_flow_gate_ok true throughout (th_poll checks it after every poll, this
 * test at each step as well): establishment, out-of-order data and the hole filled, a
 * duplicate (its D-SACK), a tail loss probe, a timeout (a reduction that may be undone),
 * persist, the peer's FIN and our own. */
static void
test_gate_flags_follow_transitions(void **state)
{
	struct sl_config cfg;
	struct tt *x;
	struct tpeer *p;
	struct tcp_flow *f;
	struct sl_conn *c;
	const uint8_t *d = pattern(4000, 31);
	struct tp_out o;
	unsigned int i;

	tp_config(&cfg);
	cfg.tlp = true;
	x = tt_fixture_renew(state, &cfg);
	p = &x->p;
	c = tpeer_connect(p);
	f = tpeer_flow(p);
	assert_true(tcp_flow_gate_ok(f));
	assert_int_equal(f->flags & (TF_ESTAB | TF_OOO | TF_DSACK_OUT | TF_REC_OPEN), TF_ESTAB);

	/* Out of order: queued, then the hole filled; a FIN beyond a hole too. */
	send_range(p, d, 1000, 2000);
	assert_true(f->ooo.nsegs > 0 && (f->flags & TF_OOO));
	gate_drain(p);
	send_range(p, d, 0, 1000);
	assert_int_equal(f->ooo.nsegs, 0);
	assert_false(f->flags & TF_OOO);
	gate_drain(p);
	assert_true(tcp_flow_gate_ok(f));

	/* A duplicate owes a D-SACK (set and cleared within the poll: the pure ACK that
	 * answers at once carries it). */
	send_range(p, d, 1000, 2000);
	expect_ack_now(p, tpeer_seq(p, 2000), &o);
	assert_true(o.opts.has & TO_SACK);
	assert_sack(&o, 0, tpeer_seq(p, 1000), tpeer_seq(p, 2000));
	assert_false(f->dsack_out);
	assert_false(f->flags & TF_DSACK_OUT);
	gate_drain(p);
	assert_true(tcp_flow_gate_ok(f));
	p->snd_nxt = tpeer_seq(p, 2000);	/* send_range leaves the peer's own count */

	/* A byte not acknowledged: the tail loss probe goes out (tlp_out), its ACK settles
	 * it. */
	assert_int_equal(sl_conn_send(c, d, 1), 0);
	th_poll(&x->t);
	assert_int_equal(gate_drain(p), 1);
	assert_false(f->flags & TF_REC_OPEN);
	tp_advance(&x->t, 250 * 1000, 1000);
	assert_true(f->rec.tlp_out);
	assert_true(f->flags & TF_REC_OPEN);
	gate_drain(p);
	tpeer_ack(p);
	assert_false(f->rec.tlp_out);
	assert_true(tcp_flow_gate_ok(f));

	/* A timeout: its reduction may be undone (undo_ok) until an ACK decides. */
	assert_int_equal(sl_conn_send(c, d + 1, 1), 0);
	th_poll(&x->t);
	gate_drain(p);
	for (i = 0; i < 5000 && !f->rec.undo_ok; i++)
		th_advance(&x->t, 1000);
	assert_true(f->rec.undo_ok);
	assert_true(f->flags & TF_REC_OPEN);
	assert_true(tcp_flow_gate_ok(f));
	gate_drain(p);
	tpeer_ack(p);
	assert_true(tcp_flow_gate_ok(f));
	gate_drain(p);
	/* Whatever the ACK decided, once nothing is pending the flag is clear again. */
	if (!f->rec.undo_ok && !f->rec.tlp_out)
		assert_false(f->flags & TF_REC_OPEN);

	/* Persist: the peer's window closes with data queued, then opens. */
	p->wnd = 0;
	tpeer_ack(p);
	assert_int_equal(sl_conn_send(c, d + 2, 100), 0);
	th_poll(&x->t);
	assert_true(f->flags & TF_PERSIST);
	assert_true(tcp_flow_gate_ok(f));
	p->wnd = 65535;
	tpeer_ack(p);
	gate_drain(p);
	tpeer_ack(p);
	assert_false(f->flags & TF_PERSIST);

	/* The peer's FIN: CLOSE-WAIT, no longer ESTABLISHED; then ours. */
	tpeer_send(p, TH_ACK | TH_FIN, NULL, 0);
	assert_int_equal(f->state, SL_TCP_CLOSE_WAIT);
	assert_false(f->flags & TF_ESTAB);
	assert_true(tcp_flow_gate_ok(f));
	gate_drain(p);
	sl_conn_close(c);
	th_poll(&x->t);
	assert_true(tpeer_recv(p, &o));
	assert_true(tcp_flow_gate_ok(f));
}

/* The window every segment announces (tcp_window_scaled, the common case first) against
 * the rule as it reads (tcp_window_calc): the same field and the same new right edge over
 * a sweep of scales, buffers, MSSes, sequence numbers around the wrap, edges behind,
 * at and ahead of rcv_nxt, and free space on both sides of each threshold. */
static void
test_window_field_fast_matches_rule(void **state)
{
	static const uint8_t wss[] = { 0, 1, 7, 14 };
	static const uint16_t msss[] = { 536, 1448, 8948 };
	static const uint32_t bufs[] = { 1000, 65535, 262144, 4u << 20 };
	static const uint32_t nxts[] = { 0, 1000, 0x7fffff00u, 0xfffffff0u };
	static const int64_t offs[] = { -100000, -1, 0, 1, 535, 1447, 1448, 4095, 65535,
					 262144, 1073725440 };
	static const int64_t dspace[] = { -1449, -1448, -1, 0, 1, 535, 536, 1447, 1448, 4096,
					  1 << 20 };
	static struct tcp_flow fast, ref;
	unsigned int a, b, c, d, e, g, n = 0;

	(void)state;
	for (a = 0; a < RTE_DIM(wss); a++)
	for (b = 0; b < RTE_DIM(msss); b++)
	for (c = 0; c < RTE_DIM(bufs); c++)
	for (d = 0; d < RTE_DIM(nxts); d++)
	for (e = 0; e < RTE_DIM(offs); e++)
	for (g = 0; g < RTE_DIM(dspace) + 3; g++) {
		int64_t cur = offs[e] > 0 ? offs[e] : 0;
		uint32_t thr = RTE_MIN(bufs[c] / 2, (uint32_t)msss[b]), space;
		uint16_t wf, wr;

		if (g < RTE_DIM(dspace))	/* around cur + thr, where the rule turns */
			space = (uint32_t)RTE_MAX(cur + thr + dspace[g], (int64_t)0);
		else				/* none, the whole buffer, around cur */
			space = g == RTE_DIM(dspace) ? 0 : g == RTE_DIM(dspace) + 1 ?
				bufs[c] : (uint32_t)cur;
		memset(&fast, 0, sizeof(fast));
		fast.rcv_ws = wss[a];
		fast.mss = msss[b];
		fast.rcv_buf = bufs[c];
		fast.rcv_nxt = nxts[d];
		fast.rcv_adv = nxts[d] + (uint32_t)offs[e];
		ref = fast;
		wf = tcp_window_scaled(&fast, space);
		wr = tcp_window_calc(&ref, space);
		if (wf != wr || fast.rcv_adv != ref.rcv_adv)
			print_message("ws %u mss %u buf %u nxt %u off %lld space %u: %u/%u %u/%u\n",
				      wss[a], msss[b], bufs[c], nxts[d], (long long)offs[e], space,
				      wf, wr, fast.rcv_adv, ref.rcv_adv);
		assert_int_equal(wf, wr);
		assert_int_equal(fast.rcv_adv, ref.rcv_adv);
		n++;
	}
	assert_true(n > 10000);
}

/* Header prediction takes a segment that changes the window (the peer's free space
 * crossed a multiple of its scale) and does what the general path does with it: the
 * same window, the same answers, the same counters but the one that counts predictions.
 * A window that grows lets the queued data out; one that shrinks holds it back. */
static void
test_window_change_predicted_matches_general_path(void **state)
{
	static const uint16_t wnds[] = { 6000, 2900 };
	struct wnd_shape_result fast, ref;
	unsigned int i;

	for (i = 0; i < RTE_DIM(wnds); i++) {
		struct tt *x = i == 0 ? *state : tt_fixture_renew(state, NULL);

		wnd_change_run(x, false, wnds[i], &fast);
		x = tt_fixture_renew(state, NULL);
		wnd_change_run(x, true, wnds[i], &ref);
		assert_int_equal(fast.predicted, 1);
		assert_int_equal(ref.predicted, 0);
		assert_int_equal(fast.snd_wnd, wnds[i]);
		wnd_results_assert_equal(&fast, &ref);
	}
	/* The window grew: the rest of the 5000 bytes left, with the ACK of the request. */
	assert_int_equal(ref.nout >= 1, true);
}

static void
test_established_send_initial_window_then_slow_start(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint32_t mss = 1448, n = 30;
	const uint8_t *d = pattern(mss * n, 13);
	struct sl_conn *c;
	struct tp_out o;
	unsigned int sent = 0;

	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, mss * n), 0);
	th_poll(&x->t);
	/* RFC 6928: ten segments, then nothing until an ACK. */
	while (tpeer_recv(p, &o))
		sent++;
	assert_int_equal(sent, x->t.w->cfg->init_cwnd);
	/* Each ACK of a full segment grows cwnd by one segment (RFC 5681 §3.1): two
	 * segments leave per segment acknowledged. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, mss), NULL, 0);
	sent = 0;
	while (tpeer_recv(p, &o))
		sent++;
	assert_int_equal(sent, 2);
	assert_int_equal(tpeer_flow(p)->cwnd, (x->t.w->cfg->init_cwnd + 1u) * mss);
}

/* ---- sequence numbers across 2^32 ---- */

static void
exchange_across_wrap(struct tt *x)
{
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4000, 14);
	struct sl_conn *c = p->tc->c;
	struct tp_out o;
	uint32_t off = 0;

	/* Stack to peer: three segments over the wrap point. */
	assert_int_equal(sl_conn_send(c, d, 4000), 0);
	th_poll(&x->t);
	while (tpeer_recv(p, &o)) {
		assert_int_equal(o.seq, tpeer_sseq(p, off));
		assert_memory_equal(o.data, d + off, o.len);
		off += o.len;
	}
	assert_int_equal(off, 4000);
	tpeer_ack(p);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 0);
	assert_int_equal(tpeer_flow(p)->snd_una, tpeer_sseq(p, 4000));

	/* Peer to stack, out of order over the wrap point, then the hole. */
	d = pattern(3000, 15);
	send_range(p, d, 1500, 3000);
	send_range(p, d, 0, 1500);
	assert_int_equal(p->tc->rx_bytes, 3000);
	assert_memory_equal(p->tc->rx, d, 3000);
	p->snd_nxt = tpeer_seq(p, 3000);

	/* And a clean close over the wrap. */
	assert_int_equal(sl_conn_shutdown(c), 0);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	p->rcv_nxt = tpeer_sseq(p, 4000) + 1;
	tpeer_send(p, TH_FIN | TH_ACK, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(tpeer_flow(p)->state, SL_TCP_TIME_WAIT);
	assert_int_equal(p->tc->reason, SL_CLOSE_NORMAL);
}

static void
test_seq_wrap_stack_isn_near_2_32(void **state)
{
	struct tt *x = *state;

	x->t.w->tcp.isn_pinned = true;
	x->t.w->tcp.isn_pin = 0xfffffff0;
	tpeer_connect(&x->p);
	assert_int_equal(x->p.irs, 0xfffffff0);
	exchange_across_wrap(x);
}

static void
test_seq_wrap_peer_isn_near_2_32(void **state)
{
	struct tt *x = *state;

	x->p.iss = 0xfffff800;
	tpeer_connect(&x->p);
	exchange_across_wrap(x);
}

static void
test_seq_wrap_both_isns_near_2_32(void **state)
{
	struct tt *x = *state;

	x->t.w->tcp.isn_pinned = true;
	x->t.w->tcp.isn_pin = 0xffffffff;
	x->p.iss = 0xffffffff;
	tpeer_connect(&x->p);
	assert_int_equal(x->p.irs, 0xffffffff);
	exchange_across_wrap(x);
}

/* ---- peers with fewer options ---- */

static void
test_peer_without_timestamps_gets_none(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3000, 16);
	struct sl_conn *c;
	struct tcp_flow *f;
	struct tp_out o;

	p->ts = false;
	c = tpeer_connect(p);
	f = tpeer_flow(p);
	assert_int_equal(p->syn.opts.has, TO_MSS | TO_SACK_OK | TO_WSCALE);
	assert_false(f->flags & TF_TS);
	/* No option space spent on timestamps: full 1460-byte segments. */
	assert_int_equal(f->mss, 1460);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1460);
	assert_int_equal(o.olen, 0);
	th_tx_drain(&x->t);
	/* ACKs carry SACK blocks alone. */
	send_range(p, d, 100, 200);
	expect_ack_now(p, tpeer_seq(p, 0), &o);
	assert_int_equal(o.opts.has, TO_SACK);
}

static void
test_peer_without_window_scaling_windows_unscaled(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct tp_out o;

	p->wscale = -1;
	p->wnd = 1000;
	tpeer_connect(p);
	f = tpeer_flow(p);
	assert_false(p->syn.opts.has & TO_WSCALE);
	assert_false(f->flags & TF_WSCALE);
	assert_int_equal(f->rcv_ws, 0);
	assert_int_equal(f->snd_wnd, 1000);
	tpeer_send(p, TH_ACK | TH_PSH, "x", 1);
	tt_flush(x, 2000);
	tpeer_expect(p, &o);
	/* Our 256 KiB buffer can only be announced as 65535 bytes. */
	assert_int_equal(o.wnd, 65535);
}

static void
test_peer_without_mss_option_gets_536(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1000, 17);
	struct sl_conn *c;
	struct tp_out o;

	p->mss = 0;
	p->ts = false;
	c = tpeer_connect(p);
	/* RFC 9293 §3.7.1: no MSS option means 536. */
	assert_int_equal(tpeer_flow(p)->mss, 536);
	assert_int_equal(sl_conn_send(c, d, 1000), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 536);
}

/* ---- the send queue ---- */

static int
setup_sndbuf_4k(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.sndbuf = 4096;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_send_queue_full_eagain_then_writable(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4096, 18);
	struct sl_conn *c;

	c = tpeer_connect(p);
	/* Below the high mark a message may take the queue up to the hard cap (4 x). */
	assert_int_equal(sl_conn_send_space(c), 4 * 4096);
	assert_int_equal(sl_conn_send(c, d, 4096), 0);
	assert_int_equal(sl_conn_send_space(c), 0);
	assert_int_equal(sl_conn_send(c, "y", 1), -EAGAIN);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	/* Still above the low mark (half the budget): no on_writable yet. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 1448), NULL, 0);
	assert_int_equal(p->tc->writables, 0);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 2896), NULL, 0);
	assert_int_equal(p->tc->writables, 1);
	assert_string_equal(p->tc->log, "aw");
	assert_int_equal(sl_conn_send(c, "y", 1), 0);
	/* Edge-triggered: no second on_writable without another -EAGAIN. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 4096), NULL, 0);
	assert_int_equal(p->tc->writables, 1);
}

static int
setup_sndbuf_2k(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.sndbuf = 2048;
	return tt_fixture_setup_cfg(state, &cfg);
}

static void
test_send_one_message_above_budget_accepted_on_empty_queue(void **state)
{
	struct tt *x = *state;
	const uint8_t *d = pattern(5000, 19);
	struct sl_conn *c;

	c = tpeer_connect(&x->p);
	assert_int_equal(sl_conn_send(c, d, 5000), 0);
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);
	assert_int_equal(tpeer_flow(&x->p)->tx.bytes, 5000);
}

static int
setup_pool_nearly_empty(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.mbufs = (uint32_t)cfg.rx_desc + cfg.tx_desc + cfg.tx_queue_max + 8;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* Per-flow budgets do not bound the sum over many flows: the send queues of a worker
 * together stop short of the pool (mbufs - rx_desc - tx_desc - tx_queue), with -ENOBUFS,
 * so that segments and ACKs can still be built and the queues drain. */
static void
test_send_queues_stop_at_their_share_of_the_pool_enobufs(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1024, 21);
	struct sl_conn *c;
	struct tp_out o;
	uint32_t sent = 0, room;
	int rc;

	c = tpeer_connect(p);
	while ((rc = sl_conn_send(c, d, 1024)) == 0)
		sent += 1024;
	assert_int_equal(rc, -ENOBUFS);
	room = txbuf_chunk_room(x->t.w->pool);
	assert_true(sent + 1024 > 8 * room && sent <= 8 * room);
	assert_int_equal(th_stats(&x->t)->tcp_txbuf_full, 1);
	assert_int_equal(tpeer_flow(p)->tx.bytes, sent);
	/* TCP still finds mbufs for its segments. */
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.len, 1448);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 4 * 1448), NULL, 0);
	/* The ACK freed chunks: the application may write again. */
	assert_int_equal(sl_conn_send(c, d, 1024), 0);
}

static int
setup_pool_1024(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	/* Send queues' share 1024 - (64 + 64 + 256) = 640 mbufs; reserve 96 (two RX bursts
	 * and a TX burst), pressure below 96 + 640 / 8 = 176 free; with two connections,
	 * each may hold 40 mbufs of received data and still take payload under pressure. */
	cfg.mbufs = 1024;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* Free mbufs of the worker's pool, as tcp_mem_update reads them. */
static uint32_t
pool_free(struct tt *x)
{
	th_tx_drain(&x->t);	/* frames on the (fake) wire are the port's, not the pool's */
	return tcp_mem_free(x->t.w);
}

/* Under pool pressure (tcp_mem.h), a connection holding more than its share of unread
 * received data takes no more payload (dropped, counted, RCV.NXT unchanged), while its
 * pure ACKs still free its send queue, a connection holding nothing still gets its
 * payload in, and the send queues stop where the free count reaches the reserve (at once
 * for a connection whose peer's window is closed); inside
 * the reserve, every connection holding received data is refused. Once the pool
 * recovers, the dropped payload's retransmission is taken. */
static void
test_pool_pressure_drops_hoarded_payload_keeps_acks(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_worker *t = &w->tcp;
	struct tpeer *a = &x->p, q, *b = &q;
	const uint32_t seg = 1448, nheld = 44;
	const uint8_t *d = pattern((nheld + 1) * seg, 40);
	struct rte_mbuf *hold[2048];
	struct tcp_flow *fa, *fb;
	struct sl_conn *ca, *cb;
	uint32_t i, nhold, nres, nxt, txq, free, wnd, sent = 0;
	uint64_t full;
	int rc;

	/* A: the application stops reading; its peer fills nheld mbufs of receive buffer
	 * and does not acknowledge what A sends (a send queue of a few chunks). */
	ca = tpeer_connect(a);
	fa = tpeer_flow(a);
	x->app.rx_pause = true;
	for (i = 0; i < nheld; i++)
		send_range(a, d, i * seg, (i + 1) * seg);
	assert_int_equal(fa->rx.q.n, nheld);
	assert_int_equal(sl_conn_send(ca, d, 8000), 0);
	th_poll(&x->t);
	txq = t->txbuf_mbufs;
	assert_true(txq >= 4);
	/* B: connected, nothing received yet. */
	th_tx_drain(&x->t);
	tpeer_init(b, &x->t, &x->app, TP_PEER_PORT + 1, TP_PORT, TP_PEER_ISS + 777777u);
	cb = tpeer_connect(b);
	fb = tpeer_flow(b);
	assert_false(t->mem_pressure);

	/* Whatever else holds the pool takes it to 40 mbufs above the reserve. */
	free = pool_free(x);
	assert_true(free > t->mem_pressure_at);
	nhold = free - (t->mem_reserve + 40);
	assert_true(nhold <= RTE_DIM(hold));
	assert_int_equal(rte_pktmbuf_alloc_bulk(w->pool, hold, nhold), 0);
	th_poll(&x->t);
	assert_true(t->mem_pressure);
	assert_int_equal(th_stats(&x->t)->tcp_mem_pressure, 1);
	assert_int_equal(t->mem_reserve, 96);
	assert_int_equal(t->mem_pressure_at, 176);
	assert_int_equal(t->mem_held_max, 40);
	assert_true(fa->rx.q.n >= t->mem_held_max);

	/* A's next segment, inside its window: dropped as if lost, and counted. */
	nxt = fa->rcv_nxt;
	send_range(a, d, nheld * seg, (nheld + 1) * seg);
	assert_int_equal(th_stats(&x->t)->tcp_rx_drop_mempressure, 1);
	assert_int_equal(fa->rcv_nxt, nxt);
	assert_int_equal(fa->rx.q.n, nheld);
	/* A's pure ACK is processed all the same: its send queue's mbufs come back. */
	tpeer_xmit(a, TH_ACK, tpeer_seq(a, nheld * seg), tpeer_sseq(a, 8000), NULL, 0);
	assert_int_equal(t->txbuf_mbufs, 0);
	assert_int_equal(fa->tx.bytes, 0);
	/* A's peer stops reading (its window closes): under pressure A may not queue more,
	 * what it queued could not leave. */
	wnd = a->wnd;
	a->wnd = 0;
	tpeer_xmit(a, TH_ACK, tpeer_seq(a, nheld * seg), tpeer_sseq(a, 8000), NULL, 0);
	th_poll(&x->t);
	full = th_stats(&x->t)->tcp_txbuf_full;
	assert_int_equal(sl_conn_send(ca, d, 1000), -ENOBUFS);
	assert_int_equal(th_stats(&x->t)->tcp_txbuf_full, full + 1);
	a->wnd = wnd;
	tpeer_xmit(a, TH_ACK, tpeer_seq(a, nheld * seg), tpeer_sseq(a, 8000), NULL, 0);
	th_tx_drain(&x->t);
	/* B holds nothing: its payload gets in (the application is paused: held, not lost). */
	send_range(b, d, 0, seg);
	send_range(b, d, seg, 2 * seg);
	assert_int_equal(fb->rcv_nxt, tpeer_seq(b, 2 * seg));
	assert_int_equal(fb->rx.bytes, 2 * seg);
	assert_int_equal(th_stats(&x->t)->tcp_rx_drop_mempressure, 1);

	/* B's sends stop where the free count would go below the reserve. */
	th_poll(&x->t);
	while ((rc = sl_conn_send(cb, d, 1000)) == 0 && sent < 200000)
		sent += 1000;
	assert_int_equal(rc, -ENOBUFS);
	assert_true(th_stats(&x->t)->tcp_txbuf_full > 0);
	assert_true(pool_free(x) >= t->mem_reserve);
	for (i = 0; i < 10; i++) {
		th_poll(&x->t);
		assert_true(pool_free(x) >= t->mem_reserve);
	}
	assert_true(t->mem_free_min >= t->mem_reserve);

	/* Something else takes the pool into its reserve: now any connection holding
	 * received data takes no more, B too (2 mbufs, well within its share above). */
	free = pool_free(x);
	nres = free - (t->mem_reserve - 10);
	assert_true(nhold + nres <= RTE_DIM(hold));
	assert_int_equal(rte_pktmbuf_alloc_bulk(w->pool, hold + nhold, nres), 0);
	th_poll(&x->t);
	assert_int_equal(t->mem_held_max, 1);
	send_range(b, d, 2 * seg, 3 * seg);
	assert_int_equal(th_stats(&x->t)->tcp_rx_drop_mempressure, 2);
	assert_int_equal(fb->rcv_nxt, tpeer_seq(b, 2 * seg));
	assert_int_equal(th_stats(&x->t)->tcp_mem_pressure, 1);	/* the same episode */

	/* The pool recovers; the applications read; A's retransmission is taken. */
	rte_pktmbuf_free_bulk(hold, nhold + nres);
	th_poll(&x->t);
	assert_false(t->mem_pressure);
	x->app.rx_pause = false;
	sl_conn_resume_rx(ca);
	sl_conn_resume_rx(cb);
	th_poll(&x->t);
	assert_int_equal(a->tc->rx_bytes, nheld * seg);
	assert_int_equal(b->tc->rx_bytes, 2 * seg);
	send_range(a, d, nheld * seg, (nheld + 1) * seg);
	th_poll(&x->t);
	assert_int_equal(a->tc->rx_bytes, (nheld + 1) * seg);
	assert_false(a->tc->stream_gap);
	assert_memory_equal(a->tc->rx, d, (nheld + 1) * seg);
	assert_int_equal(th_stats(&x->t)->tcp_rx_drop_mempressure, 2);
	th_tx_drain(&x->t);
}

static void
test_send_after_shutdown_epipe(void **state)
{
	struct tt *x = *state;
	struct sl_conn *c;

	c = tpeer_connect(&x->p);
	assert_int_equal(sl_conn_shutdown(c), 0);
	assert_int_equal(sl_conn_send(c, "z", 1), -EPIPE);
	assert_int_equal(sl_conn_send_space(c), 0);
}

/* sl_conn_send's direct path admits ESTABLISHED without a FIN queued on the gate flag
 * alone (conn.c); in CLOSE-WAIT (TF_ESTAB clear) it must still send, as the general path
 * (sl_conn_send_flags) does, through conn_can_send. */
static void
test_send_in_close_wait_direct_and_general(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;
	struct sl_conn *c;
	struct tp_out o;

	c = tpeer_connect(p);
	f = tpeer_flow(p);
	tpeer_send(p, TH_ACK | TH_FIN, NULL, 0);
	tpeer_expect_ack(p, p->snd_nxt);
	assert_int_equal(f->state, SL_TCP_CLOSE_WAIT);
	assert_false(f->flags & TF_ESTAB);
	assert_int_equal(sl_conn_send(c, "y", 1), 0);
	th_poll(&x->t);
	assert_true(tpeer_recv(p, &o));
	assert_int_equal(o.len, 1);
	assert_int_equal(o.data[0], 'y');
	tpeer_ack(p);
	assert_int_equal(sl_conn_send_flags(c, "z", 1, 0), 0);
	th_poll(&x->t);
	assert_true(tpeer_recv(p, &o));
	assert_int_equal(o.len, 1);
	assert_int_equal(o.data[0], 'z');
	tpeer_ack(p);
	assert_int_equal(f->app_writes, 2);
	/* And once our FIN is queued, both refuse. */
	assert_int_equal(sl_conn_shutdown(c), 0);
	assert_int_equal(sl_conn_send(c, "y", 1), -EPIPE);
	assert_int_equal(sl_conn_send_flags(c, "z", 1, 0), -EPIPE);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_established_data_in_order_delivered_and_acked),
	TT_TEST(test_established_duplicate_segment_acked_not_redelivered),
	TT_TEST(test_established_partial_overlap_delivers_new_part_only),
	TT_TEST(test_established_ooo_segment_acked_at_once_with_sack),
	TT_TEST(test_established_hole_filled_acked_at_once_and_delivered),
	TT_TEST(test_established_overlapping_retransmissions_delivered_once),
	TT_TEST_SETUP(test_established_ooo_queue_bounded_by_segments, setup_ooo_4_segs),
	TT_TEST_SETUP(test_established_ooo_full_earlier_segment_evicts_tail, setup_ooo_2_segs),
	TT_TEST(test_established_ooo_queue_bounded_by_memory),
	TT_TEST(test_established_sack_first_block_is_latest_arrival),
	TT_TEST(test_established_no_sack_blocks_when_peer_did_not_permit),
	TT_TEST_SETUP(test_established_data_beyond_window_trimmed_window_closes, setup_rcvbuf_4k),
	TT_TEST_SETUP(test_established_fin_at_rcv_nxt_taken_with_zero_window, setup_rcvbuf_4k),
	TT_TEST(test_established_window_field_scaled_by_our_shift),
	TT_TEST(test_established_send_mss_segments_psh_on_last),
	TT_TEST(test_established_small_writes_in_one_iteration_coalesced),
	TT_TEST(test_established_send_limited_by_peer_window),
	TT_TEST(test_rx_prefetch_hints_match_lookup),
	TT_TEST(test_window_change_predicted_matches_general_path),
	TT_TEST(test_review_window_change_shapes),
	TT_TEST(test_output_one_segment_pass_matches_general_path),
	TT_TEST(test_gate_flags_follow_transitions),
	cmocka_unit_test(test_window_field_fast_matches_rule),
	TT_TEST(test_established_send_initial_window_then_slow_start),
	TT_TEST(test_seq_wrap_stack_isn_near_2_32),
	TT_TEST(test_seq_wrap_peer_isn_near_2_32),
	TT_TEST(test_seq_wrap_both_isns_near_2_32),
	TT_TEST(test_peer_without_timestamps_gets_none),
	TT_TEST(test_peer_without_window_scaling_windows_unscaled),
	TT_TEST(test_peer_without_mss_option_gets_536),
	TT_TEST_SETUP(test_send_queue_full_eagain_then_writable, setup_sndbuf_4k),
	TT_TEST_SETUP(test_send_one_message_above_budget_accepted_on_empty_queue, setup_sndbuf_2k),
	TT_TEST_SETUP(test_send_queues_stop_at_their_share_of_the_pool_enobufs,
		      setup_pool_nearly_empty),
	TT_TEST(test_send_after_shutdown_epipe),
	TT_TEST(test_send_in_close_wait_direct_and_general),
	TT_TEST_SETUP(test_pool_pressure_drops_hoarded_payload_keeps_acks, setup_pool_1024),
};

UNIT_MAIN("test_tcp_data", tests)
