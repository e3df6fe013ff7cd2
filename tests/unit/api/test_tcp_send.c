/* SPDX-License-Identifier: BSD-3-Clause */
/* The send path (tcp_out.c, wmark.c, producer.c): coalescing of small writes into full
 * segments, window-limited output, the flush policies (end of iteration, Nagle, cork, the
 * MORE and FLUSH flags) on the virtual clock, water marks and on_writable edges, abort,
 * retransmission of the same bytes, a hostile window pattern, and producer channels
 * (records reach their connection, stale references are refused or dropped). */

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "unit.h"

#include <sluice/framing.h>
#include <sluice/producer.h>

#include <rte_errno.h>
#include <rte_ip.h>

#include "tcp_helper.h"
#include "tcp/tcp_seq.h"
#include "api/wmark.h"

static uint8_t payload[200000];

static const uint8_t *
pattern(size_t n, unsigned int seed)
{
	size_t i;

	assert_true(n <= sizeof(payload));
	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 13 + seed + (i >> 9));
	return payload;
}

/* A fixture whose windows are wide open: the peer offers 65535 << 7 and the initial
 * congestion window is large, so only the flush policy decides what leaves. */
static struct tt *
open_setup(struct sl_config *cfg)
{
	struct sl_config def;

	if (cfg == NULL) {
		tp_config(&def);
		cfg = &def;
	}
	cfg->init_cwnd = 200;
	return tt_setup(cfg);
}

/* Receive every data segment now on the wire; returns how many, adds their bytes to *got
 * (checked against want from offset *off). */
static unsigned int
recv_data(struct tpeer *p, const uint8_t *want, uint32_t *off, uint32_t mss,
	  unsigned int *full)
{
	struct tp_out o;
	unsigned int n = 0;

	while (tpeer_recv(p, &o)) {
		if (o.len == 0)
			continue;
		assert_true(o.len <= mss);
		assert_memory_equal(o.data, want + *off, o.len);
		*off += o.len;
		if (full != NULL && o.len == mss)
			(*full)++;
		n++;
	}
	return n;
}

static uint32_t
slot_queued(struct tt *x)
{
	struct tcp_flow *f = tpeer_flow(&x->p);

	return (uint32_t)(x->t.w->tcp.slots[f->idx].word & WM_QUEUED);
}

/* ---- coalescing ---- */

static void
test_small_writes_coalesce_into_full_segments(void **state)
{
	struct tt *x = open_setup(NULL);
	const uint8_t *d = pattern(16000, 1);
	struct sl_conn *c;
	uint32_t mss, off = 0, i;
	unsigned int segs, full = 0;

	(void)state;
	c = tpeer_connect(&x->p);
	mss = tpeer_flow(&x->p)->mss;
	for (i = 0; i < 1000; i++)
		assert_int_equal(sl_conn_send(c, d + 16 * i, 16), 0);
	th_poll(&x->t);
	segs = recv_data(&x->p, d, &off, mss, &full);
	/* N writes of k bytes: ceil(N k / MSS) segments, all full but the last. */
	assert_int_equal(segs, (16000 + mss - 1) / mss);
	assert_int_equal(full, 16000 / mss);
	assert_int_equal(off, 16000);
	assert_int_equal(th_stats(&x->t)->tcp_app_writes, 1000);
	assert_int_equal(th_stats(&x->t)->tcp_app_bytes, 16000);
	assert_int_equal(th_stats(&x->t)->tcp_tx_data_segs, segs);
	assert_int_equal(th_stats(&x->t)->tcp_tx_full_segs, full);
	tt_teardown(x);
}

static void
test_output_limited_by_peer_window(void **state)
{
	struct sl_config cfg;
	struct tt *x;
	struct tpeer *p;
	const uint8_t *d = pattern(20000, 2);
	struct sl_conn *c;
	struct tp_out o;
	uint32_t right;

	(void)state;
	tp_config(&cfg);
	x = open_setup(&cfg);
	p = &x->p;
	p->wscale = -1;
	p->wnd = 5000;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 20000), 0);
	th_poll(&x->t);
	right = tpeer_sseq(p, 0) + 5000;
	while (tpeer_recv(p, &o))
		assert_true(seq_le(o.seq + o.len, right));
	/* Sender SWS avoidance: 3 x 1448 = 4344 went, the 656 left of the window wait. */
	assert_int_equal(p->rcv_nxt, tpeer_sseq(p, 3 * 1448));
	tpeer_ack(p);
	right = p->rcv_nxt + 5000;
	while (tpeer_recv(p, &o))
		assert_true(seq_le(o.seq + o.len, right));
	assert_int_equal(p->rcv_nxt, tpeer_sseq(p, 6 * 1448));
	tt_teardown(x);
}

/* ---- flush policies ---- */

static void
test_nagle_holds_short_segment_while_data_unacked(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4000, 3);
	struct sl_conn *c;
	struct tp_out o;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_flush(c, SL_FLUSH_NAGLE, 0), 0);
	/* Nothing in flight: a short segment leaves. */
	assert_int_equal(sl_conn_send(c, d, 100), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 100);
	/* Unacknowledged data: the next short one waits, a full one does not. */
	assert_int_equal(sl_conn_send(c, d + 100, 50), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	assert_true(th_stats(&x->t)->tcp_flush_held >= 1);
	assert_int_equal(sl_conn_send(c, d + 150, 1448 + 10), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1448);
	assert_memory_equal(o.data, d + 100, 1448);
	tpeer_expect_nothing(p);
	/* The ACK of everything sent releases the rest (60 bytes). */
	tpeer_ack(p);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 60);
	assert_memory_equal(o.data, d + 1548, 60);
	tt_teardown(x);
}

static void
test_cork_holds_until_ceiling_on_virtual_clock(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4000, 4);
	struct sl_conn *c;
	struct tp_out o;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_flush(c, SL_FLUSH_CORK, 500), 0);
	assert_int_equal(sl_conn_send(c, d, 100), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	tp_advance(&x->t, 400, 50);
	tpeer_expect_nothing(p);
	assert_int_equal(sl_conn_send(c, d + 100, 100), 0);	/* joins the held one */
	tp_advance(&x->t, 150, 50);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 200);
	assert_memory_equal(o.data, d, 200);
	/* A full segment never waits; its short tail does. */
	assert_int_equal(sl_conn_send(c, d + 200, 1448 + 30), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1448);
	tpeer_expect_nothing(p);
	/* SL_SEND_FLUSH lets it go at once. */
	assert_int_equal(sl_conn_send_flags(c, d + 1678, 2, SL_SEND_FLUSH), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 32);
	assert_memory_equal(o.data, d + 1648, 32);
	tt_teardown(x);
}

static void
test_more_flag_holds_until_send_without_more_or_ceiling(void **state)
{
	struct sl_config cfg;
	struct tt *x;
	struct tpeer *p;
	const uint8_t *d = pattern(4000, 5);
	struct sl_conn *c;
	struct tp_out o;

	(void)state;
	tp_config(&cfg);
	cfg.cork_us = 300;
	x = open_setup(&cfg);
	p = &x->p;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send_flags(c, d, 10, SL_SEND_MORE), 0);
	th_poll(&x->t);
	tpeer_expect_nothing(p);
	assert_int_equal(sl_conn_send_flags(c, d + 10, 10, 0), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 20);
	/* MORE and nothing else: the cork ceiling (300 us) sends it. */
	assert_int_equal(sl_conn_send_flags(c, d + 20, 10, SL_SEND_MORE), 0);
	tp_advance(&x->t, 250, 50);
	tpeer_expect_nothing(p);
	tp_advance(&x->t, 100, 50);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 10);
	assert_memory_equal(o.data, d + 20, 10);
	/* sl_conn_flush does the same at once. */
	assert_int_equal(sl_conn_send_flags(c, d + 30, 10, SL_SEND_MORE), 0);
	sl_conn_flush(c);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 10);
	tt_teardown(x);
}

static void
test_default_flush_sends_short_segment_at_end_of_iteration(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, "a", 1), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1);
	/* Unacknowledged data does not hold the next one (no Nagle by default). */
	assert_int_equal(sl_conn_send(c, "b", 1), 0);
	th_poll(&x->t);
	tpeer_expect(p, &o);
	assert_int_equal(o.len, 1);
	assert_int_equal(th_stats(&x->t)->tcp_flush_held, 0);
	assert_int_equal(sl_conn_set_flush(c, (enum sl_flush_mode)7, 0), -EINVAL);
	tt_teardown(x);
}

/* ---- water marks ---- */

static void
test_water_marks_eagain_and_writable_edge(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(9000, 6);
	struct sl_conn_info ci;
	struct sl_conn *c;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 2000, 1000, 8000), -EINVAL);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	/* Below the high mark, a message may go up to the hard cap. */
	assert_int_equal(sl_conn_send(c, d + 3000, 3000), 0);
	assert_int_equal(slot_queued(x), 6000);
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);
	assert_int_equal(sl_conn_send_space(c), 0);
	assert_int_equal(sl_conn_send(c, d, 8001), -EMSGSIZE);
	sl_conn_info(c, &ci);
	assert_int_equal(ci.queued, 6000);
	assert_int_equal(ci.sndbuf_low, 1000);
	assert_int_equal(ci.sndbuf_high, 4000);
	assert_int_equal(ci.sndbuf_max, 8000);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	/* 5001 acknowledged: 999 left... first 4999 leaves 1001, above the low mark. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 4999), NULL, 0);
	assert_int_equal(slot_queued(x), 1001);
	assert_int_equal(p->tc->writables, 0);
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);	/* hysteresis: still refused */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 5000), NULL, 0);
	assert_int_equal(slot_queued(x), 1000);
	assert_int_equal(p->tc->writables, 1);
	assert_int_equal(sl_conn_send(c, d, 10), 0);
	/* Edge-triggered: draining further without a refusal owes nothing. */
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 6000), NULL, 0);
	assert_int_equal(p->tc->writables, 1);
	tt_teardown(x);
}

static void
test_abort_leaves_nothing_queued(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(50000, 7);
	struct sl_conn *c;
	uint32_t idx;

	(void)state;
	c = tpeer_connect(p);
	idx = tpeer_flow(p)->idx;
	p->wnd = 0;				/* nothing leaves: all of it stays queued */
	tpeer_ack(p);
	assert_int_equal(sl_conn_send(c, d, 50000), 0);
	th_poll(&x->t);
	sl_conn_abort(c);
	th_poll(&x->t);
	assert_int_equal(x->t.w->tcp.slots[idx].word & WM_QUEUED, 0);
	assert_true(x->t.w->tcp.slots[idx].word & (WM_SHUT | ((uint64_t)WM_GEN_MASK << WM_GEN_SHIFT)));
	assert_int_equal(x->t.w->tcp.txbuf_mbufs, 0);
	tt_teardown(x);
}

/* A serializer's writer counts its bytes as it writes them (and a reserve as soon as it
 * is handed out), so the hard cap holds for messages too and an abort gives it all back. */
static void
test_writer_bytes_counted_against_the_cap(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(9000, 12);
	struct sl_writer *wr;
	struct sl_conn *c;
	uint32_t got;
	uint8_t *w;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 3000), 0);
	assert_int_equal(slot_queued(x), 3000);
	w = sl_writer_reserve(wr, 16, &got);
	assert_non_null(w);
	assert_true(got >= 16 && got <= 3000);
	assert_int_equal(slot_queued(x), 3000 + got);
	memcpy(w, d + 3000, 16);
	sl_writer_commit(wr, 16);
	assert_int_equal(slot_queued(x), 3016);
	/* Past the cap: refused, nothing counted. */
	assert_int_equal(sl_writer_write(wr, d, 3000), -EMSGSIZE);
	assert_int_equal(slot_queued(x), 3016);
	assert_int_equal(sl_writer_end(wr), 0);
	assert_int_equal(tpeer_flow(p)->tx.bytes, 3016);
	assert_int_equal(slot_queued(x), 3016);
	/* An aborted message gives back everything it counted. */
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 500), 0);
	assert_non_null(sl_writer_reserve(wr, 8, &got));
	sl_writer_abort(wr);
	assert_int_equal(slot_queued(x), 3016);
	th_poll(&x->t);
	tt_teardown(x);
}

/* ---- retransmission ---- */

static void
test_retransmission_resends_the_same_bytes(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3000, 8);
	struct sl_conn *c;
	struct tp_out o;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	th_poll(&x->t);
	assert_int_equal(th_tx_drain(&x->t), 3);	/* lost */
	assert_true(tp_run_until_tx(&x->t, 5000000) != UINT64_MAX);
	assert_true(tp_pop(&x->t, &o));
	assert_int_equal(o.seq, tpeer_sseq(p, 0));
	assert_int_equal(o.len, 1448);
	assert_memory_equal(o.data, d, 1448);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 1);
	/* The data segments counter counts new data only. */
	assert_int_equal(th_stats(&x->t)->tcp_tx_data_segs, 3);
	tt_teardown(x);
}

/* ---- a hostile window ---- */

/* The peer acknowledges whatever arrives with windows 0, 1, 7, 64 K in turn. No segment
 * may reach past the window it was sent into (except the one-byte zero-window probe),
 * and silly-window avoidance keeps tiny segments to the persist timer's pace. */
static void
test_hostile_window_pattern_never_overruns_or_floods(void **state)
{
	static const uint16_t wnds[] = { 0, 1, 7, 65535 };
	struct sl_config cfg;
	struct tt *x;
	struct tpeer *p;
	const uint8_t *d = pattern(100000, 9);
	struct sl_conn *c;
	struct tp_out o;
	unsigned int step, tiny = 0, segs = 0;
	uint32_t right, got = 0;

	(void)state;
	tp_config(&cfg);
	x = open_setup(&cfg);
	p = &x->p;
	p->wscale = -1;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_send(c, d, 100000), 0);
	right = p->rcv_nxt + p->wnd;
	for (step = 0; step < 400; step++) {
		th_poll(&x->t);
		while (tp_pop(&x->t, &o)) {
			if (o.len == 0)
				continue;
			segs++;
			if (o.len == 1 && seq_ge(o.seq, right)) {
				/* A zero-window probe: one byte past the edge, never more. */
				assert_int_equal(o.seq, right);
			} else {
				assert_true(seq_le(o.seq + o.len, right));
			}
			if (o.len < 8)
				tiny++;
			if (o.seq == p->rcv_nxt && seq_le(o.seq + o.len, right)) {
				assert_memory_equal(o.data, d + (o.seq - tpeer_sseq(p, 0)), o.len);
				p->rcv_nxt += o.len;
				got += o.len;
			}
		}
		p->wnd = wnds[step % 4];
		tpeer_ack(p);
		right = p->rcv_nxt + p->wnd;
		tp_advance(&x->t, 2000, 1000);
	}
	assert_true(got > 0);
	/* Tiny segments only fill a small window the persist timer found (its period
	 * is the RTO, at least 200 ms): a handful in 0.8 s of virtual time, not one per
	 * window update. */
	assert_true(tiny <= 8);
	(void)segs;
	tt_teardown(x);
}

/* ---- producers ---- */

static void
test_producer_record_reaches_connection(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(1000, 10);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;
	uint32_t off = 0;

	(void)state;
	c = tpeer_connect(p);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_int_equal(sl_producer_send(pr, ref, d, 600, 0, 0), 0);
	assert_int_equal(sl_producer_send(pr, ref, d + 600, 400, 0, 0), 0);
	/* Counted at submit, before the worker drained anything. */
	assert_int_equal(slot_queued(x), 1000);
	th_poll(&x->t);
	assert_int_equal(recv_data(p, d, &off, 1448, NULL), 1);	/* one segment */
	assert_int_equal(off, 1000);
	assert_int_equal(th_stats(&x->t)->prod_records, 2);
	assert_int_equal(th_stats(&x->t)->tcp_app_writes, 2);
	/* Bad references. */
	ref.worker = 5;
	assert_int_equal(sl_producer_send(pr, ref, d, 1, 0, 0), -EINVAL);
	ref = sl_conn_ref(c);
	ref.gen++;
	assert_int_equal(sl_producer_send(pr, ref, d, 1, 0, 0), -EPIPE);
	sl_producer_destroy(pr);
	th_poll(&x->t);		/* the worker frees the drained channel */
	assert_null(x->t.w->pchans[0]);
	tt_teardown(x);
}

static void
test_producer_water_marks_and_records_for_closed_flow(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(9000, 11);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_int_equal(sl_producer_send(pr, ref, d, 4000, 0, 0), 0);
	/* At the high mark: a producer that does not wait gets -EAGAIN, one that waits
	 * times out (the worker is not polled meanwhile). */
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EAGAIN);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 2000), -ETIMEDOUT);
	assert_int_equal(sl_producer_send(pr, ref, d, 9000, 0, 0), -EMSGSIZE);
	/* The worker's own sends see the producer's bytes. */
	assert_int_equal(sl_conn_send(c, d, 1), -EAGAIN);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	assert_int_equal(slot_queued(x), 1000);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), 0);
	/* The connection goes before the worker drains the record: dropped, counted, and
	 * its bytes no longer counted. */
	sl_conn_abort(c);
	th_poll(&x->t);
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 1);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EPIPE);
	sl_producer_destroy(pr);
	th_poll(&x->t);
	tt_teardown(x);
}

/* A refusal made while a message's bytes were counted must not be lost when the message
 * is withdrawn: with nothing queued no ACK will ever come, so the give-back itself has
 * to clear the refusal (WAIT) and owe on_writable. */
static void
test_refusal_cleared_when_counted_bytes_are_given_back(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(9000, 13);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_writer *wr;
	struct sl_conn *c;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 8000), 0);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 4500), 0);
	/* Over the high mark: the producer is refused (WAIT set)... */
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EAGAIN);
	/* ... and so is the worker's own send (on_writable owed). */
	sl_writer_abort(wr);
	assert_int_equal(slot_queued(x), 0);
	assert_false(x->t.w->tcp.slots[tpeer_flow(p)->idx].word & WM_WAIT);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), 0);
	assert_int_equal(sl_conn_send(c, d + 10, 10), 0);
	th_poll(&x->t);

	/* The same after a worker refusal: the writable edge comes with the give-back. */
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 20), NULL, 0);
	assert_int_equal(slot_queued(x), 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 4500), 0);
	assert_null(sl_conn_writer_begin(c));	/* one message at a time */
	sl_writer_abort(wr);
	assert_int_equal(sl_producer_send(pr, ref, d, 4500, 0, 0), 0);
	assert_int_equal(sl_conn_send(c, d, 10), -EAGAIN);	/* WAIT, on_writable owed */
	sl_producer_destroy(pr);
	th_poll(&x->t);		/* the record is queued and leaves */
	assert_int_equal(p->tc->writables, 0);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 4520), NULL, 0);
	assert_int_equal(slot_queued(x), 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 1);
	assert_int_equal(sl_conn_send(c, d, 10), 0);
	th_poll(&x->t);
	tt_teardown(x);
}

/* A message that does not fit the send queue now, but would once it drains, is refused
 * with -EAGAIN (on_writable follows), not -EMSGSIZE; one that could never fit is. */
static void
test_writer_full_now_is_eagain_not_emsgsize(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(9000, 14);
	struct sl_writer *wr;
	struct sl_conn *c;
	uint32_t got;

	(void)state;
	c = tpeer_connect(p);
	assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
	p->wnd = 0;				/* nothing leaves */
	tpeer_ack(p);
	assert_int_equal(sl_conn_send(c, d, 3000), 0);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 2000), 0);
	assert_int_equal(sl_writer_write(wr, d, 2000), -EAGAIN);
	assert_null(sl_writer_reserve(wr, 1024, &got));
	assert_int_equal(rte_errno, EAGAIN);
	assert_int_equal(sl_writer_write(wr, d, 4001), -EMSGSIZE);
	sl_writer_abort(wr);
	assert_int_equal(slot_queued(x), 3000);
	assert_int_equal(p->tc->writables, 0);
	/* The window opens, the queue drains: on_writable, and the message fits. */
	p->wnd = 65535;
	tpeer_ack(p);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	tpeer_xmit(p, TH_ACK, p->snd_nxt, tpeer_sseq(p, 3000), NULL, 0);
	th_poll(&x->t);
	assert_int_equal(p->tc->writables, 1);
	wr = sl_conn_writer_begin(c);
	assert_non_null(wr);
	assert_int_equal(sl_writer_write(wr, d, 4000), 0);
	assert_int_equal(sl_writer_end(wr), 0);
	th_poll(&x->t);
	tt_teardown(x);
}

/* Records a producer handed off before the application shut the connection down are
 * sent, and the FIN follows them. */
static void
test_shutdown_sends_records_already_handed_off(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(3000, 15);
	struct sl_producer *pr;
	struct sl_conn_ref ref;
	struct sl_conn *c;
	struct tp_out o;
	uint32_t off = 0;
	bool fin = false;

	(void)state;
	c = tpeer_connect(p);
	ref = sl_conn_ref(c);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	assert_int_equal(sl_conn_send(c, d, 1000), 0);
	assert_int_equal(sl_producer_send(pr, ref, d + 1000, 700, 0, 0), 0);
	assert_int_equal(sl_producer_send(pr, ref, d + 1700, 300, 0, 0), 0);
	assert_int_equal(sl_conn_shutdown(c), 0);
	assert_int_equal(sl_producer_send(pr, ref, d, 10, 0, 0), -EPIPE);
	th_poll(&x->t);
	while (tpeer_recv(p, &o)) {
		assert_false(fin);		/* nothing after the FIN */
		if (o.len > 0) {
			assert_memory_equal(o.data, d + off, o.len);
			off += o.len;
		}
		if (o.flags & TH_FIN) {
			assert_int_equal(off, 2000);
			fin = true;
		}
	}
	assert_true(fin);
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 0);
	assert_int_equal(th_stats(&x->t)->prod_records, 2);
	sl_producer_destroy(pr);
	th_poll(&x->t);
	tt_teardown(x);
}

/* ---- TSO ---- */

/* With TSO on (forced here: the ring port has no offloads), new data of several segments
 * leaves as one frame of whole segments for the port to cut: chained mbufs holding the
 * exact bytes, tso_segsz the MSS, the flags the port needs and the pseudo-header sum
 * without a length in the checksum field; the short tail goes the software way. */
static void
test_tso_frame_carries_whole_segments_for_the_port(void **state)
{
	struct tt *x = open_setup(NULL);
	struct tpeer *p = &x->p;
	struct sl_worker *w = x->t.w;
	const uint8_t *d = pattern(20000, 16);
	static uint8_t buf[70000];
	const struct rte_tcp_hdr *th;
	const struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;
	struct sl_conn *c;
	uint32_t mss, hl, off = 0, n;

	(void)state;
	c = tpeer_connect(p);
	mss = tpeer_flow(p)->mss;
	w->tx_tso = w->tx_tcp_csum = w->tx_ip_csum = true;
	assert_int_equal(sl_conn_send(c, d, 20000), 0);
	th_poll(&x->t);
	m = th_tx_pop(&x->t);
	assert_non_null(m);
	n = 20000 / mss;
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(m->tso_segsz, mss);
	assert_true(m->nb_segs > 1);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, m->l2_len + m->l3_len);
	hl = m->l2_len + m->l3_len + m->l4_len;
	assert_int_equal(m->pkt_len, hl + n * mss);
	assert_int_equal(rte_be_to_cpu_32(th->sent_seq), tpeer_sseq(p, 0));
	assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_TCP_SEG));
	assert_memory_equal(rte_pktmbuf_read(m, hl, n * mss, buf), d, n * mss);
	off = n * mss;
	rte_pktmbuf_free(m);
	assert_int_equal(th_stats(&x->t)->tcp_tx_tso_frames, 1);
	assert_int_equal(th_stats(&x->t)->tcp_tx_data_segs, n + 1);
	/* The tail: an ordinary segment. */
	m = th_tx_pop(&x->t);
	assert_non_null(m);
	assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(m->pkt_len - (m->l2_len + m->l3_len + m->l4_len), 20000 - off);
	rte_pktmbuf_free(m);
	/* A retransmission after a timeout is cut in software, one segment of the same
	 * bytes. */
	tt_flush(x, 1500000);
	m = th_tx_pop(&x->t);
	assert_non_null(m);
	assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	hl = m->l2_len + m->l3_len + m->l4_len;
	assert_int_equal(m->pkt_len - hl, mss);
	assert_memory_equal(rte_pktmbuf_read(m, hl, mss, buf), d, mss);
	rte_pktmbuf_free(m);
	th_tx_drain(&x->t);
	w->tx_tso = w->tx_tcp_csum = w->tx_ip_csum = false;
	tt_teardown(x);
}

/* ---- producers x flows, on real threads ---- */

#define ST_PRODUCERS	3
#define ST_FLOWS	4
#define ST_MSGS		2000	/* per producer and flow */

struct st_producer {
	pthread_t th;
	unsigned int id;
	struct sl_stack *s;
	struct sl_conn_ref refs[ST_FLOWS];
	int failed;			/* first error, 0 if none */
	struct sl_producer_stats st;
};

/* Record: len(1) producer(1) flow(2) seq(4), then filler bytes (seq + i) & 0xff. */
static uint32_t
st_format(uint8_t *b, unsigned int p, unsigned int f, uint32_t seq)
{
	uint32_t len = 8 + seq % 40, i;

	b[0] = (uint8_t)len;
	b[1] = (uint8_t)p;
	b[2] = (uint8_t)f;
	b[3] = 0;
	memcpy(b + 4, &seq, 4);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)(seq + i + p);
	return len;
}

static void *
st_producer_main(void *arg)
{
	struct st_producer *sp = arg;
	struct sl_producer *pr = sl_producer_create(sp->s, 8192);
	uint8_t buf[64];
	uint32_t seq;
	unsigned int f;

	if (pr == NULL) {
		sp->failed = -ENOMEM;
		return NULL;
	}
	for (seq = 0; seq < ST_MSGS && sp->failed == 0; seq++) {
		for (f = 0; f < ST_FLOWS; f++) {
			uint32_t len = st_format(buf, sp->id, f, seq);
			int rc = sl_producer_send(pr, sp->refs[f], buf, len, 0, 10000000);

			if (rc != 0) {
				sp->failed = rc;
				break;
			}
		}
	}
	sl_producer_stats(pr, &sp->st);
	sl_producer_destroy(pr);
	return NULL;
}

/* What one flow's peer has parsed so far. */
struct st_flow {
	uint8_t partial[64];
	uint32_t plen;
	uint32_t next[ST_PRODUCERS];
	uint32_t msgs;
};

static void
st_parse(struct st_flow *sf, unsigned int fidx, const uint8_t *d, uint32_t n)
{
	while (n > 0) {
		uint32_t need, k, seq, i;
		uint8_t p;

		if (sf->plen == 0 || sf->plen < sf->partial[0]) {
			need = sf->plen == 0 ? 1 : sf->partial[0] - sf->plen;
			k = RTE_MIN(need, n);
			memcpy(sf->partial + sf->plen, d, k);
			sf->plen += k;
			d += k;
			n -= k;
			if (sf->plen == 1)
				assert_true(sf->partial[0] >= 8 && sf->partial[0] < 48);
			if (sf->plen < 8 || sf->plen < sf->partial[0])
				continue;
		}
		/* A whole record. */
		p = sf->partial[1];
		memcpy(&seq, sf->partial + 4, 4);
		assert_true(p < ST_PRODUCERS);
		assert_int_equal(sf->partial[2], fidx);
		assert_int_equal(seq, sf->next[p]);	/* FIFO per producer and flow */
		for (i = 8; i < sf->partial[0]; i++)
			assert_int_equal(sf->partial[i], (uint8_t)(seq + i + p));
		sf->next[p]++;
		sf->msgs++;
		sf->plen = 0;
	}
}

static void
test_producers_times_flows_on_threads(void **state)
{
	static struct tpeer peers[ST_FLOWS];
	static struct st_flow flows[ST_FLOWS];
	struct st_producer sp[ST_PRODUCERS];
	struct tt *x = open_setup(NULL);
	unsigned int i, f, iter, total = 0, waits = 0;
	struct tp_out o;

	(void)state;
	memset(flows, 0, sizeof(flows));
	for (f = 0; f < ST_FLOWS; f++) {
		struct sl_conn *c;

		tpeer_init(&peers[f], &x->t, &x->app, (uint16_t)(TP_PEER_PORT + 1 + f), TP_PORT,
			   TP_PEER_ISS + f * 1000000u);
		c = tpeer_connect(&peers[f]);
		/* Small marks, so producers wait on the water marks as well as on room. */
		assert_int_equal(sl_conn_set_sndbuf(c, 1000, 4000, 6000), 0);
		for (i = 0; i < ST_PRODUCERS; i++)
			sp[i].refs[f] = sl_conn_ref(c);
	}
	for (i = 0; i < ST_PRODUCERS; i++) {
		sp[i].id = i;
		sp[i].s = x->t.s;
		sp[i].failed = 0;
		assert_int_equal(pthread_create(&sp[i].th, NULL, st_producer_main, &sp[i]), 0);
	}
	/* The worker and the peers on this thread: poll, read, acknowledge. Bounded. */
	for (iter = 0; iter < 2000000 && total < ST_PRODUCERS * ST_FLOWS * ST_MSGS; iter++) {
		th_poll(&x->t);
		while (tp_pop(&x->t, &o)) {
			struct tpeer *p;

			f = (unsigned int)(o.dport - TP_PEER_PORT - 1);
			assert_true(f < ST_FLOWS);
			p = &peers[f];
			if (o.len == 0 || o.seq != p->rcv_nxt)
				continue;
			st_parse(&flows[f], f, o.data, o.len);
			p->rcv_nxt += o.len;
			total = 0;
			for (i = 0; i < ST_FLOWS; i++)
				total += flows[i].msgs;
		}
		if (iter % 4 == 0)
			for (f = 0; f < ST_FLOWS; f++)
				tpeer_ack(&peers[f]);
	}
	for (i = 0; i < ST_PRODUCERS; i++) {
		pthread_join(sp[i].th, NULL);
		assert_int_equal(sp[i].failed, 0);
		waits += (unsigned int)sp[i].st.waits;
	}
	assert_int_equal(total, ST_PRODUCERS * ST_FLOWS * ST_MSGS);
	for (f = 0; f < ST_FLOWS; f++)
		for (i = 0; i < ST_PRODUCERS; i++)
			assert_int_equal(flows[f].next[i], ST_MSGS);
	assert_int_equal(th_stats(&x->t)->prod_records, ST_PRODUCERS * ST_FLOWS * ST_MSGS);
	assert_int_equal(th_stats(&x->t)->prod_drop_closed, 0);
	assert_true(waits > 0);		/* the marks and the channel did push back */
	th_poll(&x->t);			/* the workers free the producers' channels */
	for (i = 0; i < WORKER_MAX_PRODUCERS; i++)
		assert_null(x->t.w->pchans[i]);
	tt_teardown(x);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_small_writes_coalesce_into_full_segments),
	cmocka_unit_test(test_output_limited_by_peer_window),
	cmocka_unit_test(test_nagle_holds_short_segment_while_data_unacked),
	cmocka_unit_test(test_cork_holds_until_ceiling_on_virtual_clock),
	cmocka_unit_test(test_more_flag_holds_until_send_without_more_or_ceiling),
	cmocka_unit_test(test_default_flush_sends_short_segment_at_end_of_iteration),
	cmocka_unit_test(test_water_marks_eagain_and_writable_edge),
	cmocka_unit_test(test_abort_leaves_nothing_queued),
	cmocka_unit_test(test_writer_bytes_counted_against_the_cap),
	cmocka_unit_test(test_retransmission_resends_the_same_bytes),
	cmocka_unit_test(test_hostile_window_pattern_never_overruns_or_floods),
	cmocka_unit_test(test_producer_record_reaches_connection),
	cmocka_unit_test(test_producer_water_marks_and_records_for_closed_flow),
	cmocka_unit_test(test_refusal_cleared_when_counted_bytes_are_given_back),
	cmocka_unit_test(test_writer_full_now_is_eagain_not_emsgsize),
	cmocka_unit_test(test_shutdown_sends_records_already_handed_off),
	cmocka_unit_test(test_tso_frame_carries_whole_segments_for_the_port),
	cmocka_unit_test(test_producers_times_flows_on_threads),
};

UNIT_MAIN("test_tcp_send", tests)
