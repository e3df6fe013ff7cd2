/* SPDX-License-Identifier: BSD-3-Clause */
/* The send queue (txbuf.c) as tcp_out.c drains it: coalescing of small writes into full
 * segments, window-limited output, the flush policies (end of iteration, Nagle, cork, the
 * MORE and FLUSH flags) on the virtual clock, retransmission of the same bytes, a hostile
 * window pattern, TSO frames cut from the queue, and the send call's inline path for small
 * writes (txbuf_small.h) against txbuf_append. */

#include <errno.h>
#include <string.h>

#include "unit.h"

#include <rte_ip.h>

#include "send_kit.h"
#include "tcp/tcp_seq.h"
#include "tcp/txbuf_small.h"
#include "api/wmark.h"

/* ---- coalescing ---- */

static void
test_small_writes_coalesce_into_full_segments(void **state)
{
	struct tt *x = *state;
	const uint8_t *d = sk_pattern(16000, 1);
	struct sl_conn *c;
	uint32_t mss, off = 0, i;
	unsigned int segs, full = 0;

	c = tpeer_connect(&x->p);
	mss = tpeer_flow(&x->p)->mss;
	for (i = 0; i < 1000; i++)
		assert_int_equal(sl_conn_send(c, d + 16 * i, 16), 0);
	th_poll(&x->t);
	segs = sk_recv_data(&x->p, d, &off, mss, &full);
	/* N writes of k bytes: ceil(N k / MSS) segments, all full but the last. */
	assert_int_equal(segs, (16000 + mss - 1) / mss);
	assert_int_equal(full, 16000 / mss);
	assert_int_equal(off, 16000);
	assert_int_equal(th_stats(&x->t)->tcp_app_writes, 1000);
	assert_int_equal(th_stats(&x->t)->tcp_app_bytes, 16000);
	assert_int_equal(th_stats(&x->t)->tcp_tx_data_segs, segs);
	assert_int_equal(th_stats(&x->t)->tcp_tx_full_segs, full);
}

static void
test_output_limited_by_peer_window(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(20000, 2);
	struct sl_conn *c;
	struct tp_out o;
	uint32_t right;

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
}

/* ---- flush policies ---- */

static void
test_nagle_holds_short_segment_while_data_unacked(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(4000, 3);
	struct sl_conn *c;
	struct tp_out o;

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
}

static void
test_cork_holds_until_ceiling_on_virtual_clock(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(4000, 4);
	struct sl_conn *c;
	struct tp_out o;

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
}

/* A cork ceiling of 300 us for the MORE flag. */
static int
setup_cork_300us(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.cork_us = 300;
	return sk_fixture_setup_cfg(state, &cfg);
}

static void
test_more_flag_holds_until_send_without_more_or_ceiling(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(4000, 5);
	struct sl_conn *c;
	struct tp_out o;

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
}

static void
test_default_flush_sends_short_segment_at_end_of_iteration(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_conn *c;
	struct tp_out o;

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
}

/* ---- retransmission ---- */

static void
test_retransmission_resends_the_same_bytes(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(3000, 8);
	struct sl_conn *c;
	struct tp_out o;

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
}

/* ---- a hostile window ---- */

/* The peer acknowledges whatever arrives with windows 0, 1, 7, 64 K in turn. No segment
 * may reach past the window it was sent into (except the one-byte zero-window probe),
 * and silly-window avoidance keeps tiny segments to the persist timer's pace. */
static void
test_hostile_window_pattern_never_overruns_or_floods(void **state)
{
	static const uint16_t wnds[] = { 0, 1, 7, 65535 };
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	const uint8_t *d = sk_pattern(100000, 9);
	struct sl_conn *c;
	struct tp_out o;
	unsigned int step, tiny = 0, segs = 0;
	uint32_t right, got = 0;

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
}

/* ---- TSO ---- */

/* With TSO on (forced here: the ring port has no offloads), new data of several segments
 * leaves as one frame of whole segments for the port to cut: chained mbufs holding the
 * exact bytes, tso_segsz the MSS, the flags the port needs and the pseudo-header sum
 * without a length in the checksum field; the short tail goes the software way. */
static void
test_tso_frame_carries_whole_segments_for_the_port(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &x->p;
	struct sl_worker *w = x->t.w;
	const uint8_t *d = sk_pattern(20000, 16);
	static uint8_t buf[70000];
	const struct rte_tcp_hdr *th;
	const struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;
	struct sl_conn *c;
	uint32_t mss, hl, off = 0, n;

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
}

/* ---- txbuf_append_small against txbuf_append ---- */

/* What one write left behind: its result, the queue's byte count and every chunk (data
 * offset, lengths, bytes), the worker's send-queue mbufs, spares and refusals. */
struct tx_state {
	int rc;
	uint32_t len;			/* of the write */
	uint32_t spares0;		/* spares before it */
	uint32_t bytes, nchunks;
	uint32_t mbufs, spares;
	uint64_t full;
	uint64_t word;			/* the water-mark word (sends only) */
	uint32_t flags;			/* the flow's send flags (sends only) */
	uint64_t writes;
	uint16_t off[16], len_of[16];
	uint32_t pkt[16];
	uint8_t data[16][2048];
};

static void
tx_capture(struct sl_worker *w, const struct txbuf *tb, int rc, struct tx_state *s)
{
	struct rte_mbuf *m;
	uint32_t i = 0;

	memset(s, 0, sizeof(*s));
	s->rc = rc;
	s->bytes = tb->bytes;
	s->nchunks = tb->q.n;
	s->mbufs = w->tcp.txbuf_mbufs;
	s->spares = w->tcp.txbuf_spares.n;
	s->full = w->stats.tcp_txbuf_full;
	for (m = tb->q.head; m != NULL; m = mdyn(m, w->tcp.mdyn)->link, i++) {
		assert_true(i < RTE_DIM(s->off));
		assert_true(m->data_len <= sizeof(s->data[0]));
		s->off[i] = m->data_off;
		s->len_of[i] = m->data_len;
		s->pkt[i] = m->pkt_len;
		memcpy(s->data[i], rte_pktmbuf_mtod(m, void *), m->data_len);
	}
	assert_int_equal(i, s->nchunks);
}

/* Exactly k spare chunks, as ACKs leave them (fresh mbufs of the pool otherwise alike,
 * their link NULL as every spare's is: txbuf.h). */
static void
tx_spares_set(struct sl_worker *w, uint32_t k)
{
	struct txbuf_spares *sp = &w->tcp.txbuf_spares;

	while (sp->n > k)
		rte_pktmbuf_free(sp->m[--sp->n]);
	while (sp->n < k) {
		sp->m[sp->n] = rte_pktmbuf_alloc(w->pool);
		assert_non_null(sp->m[sp->n]);
		mdyn(sp->m[sp->n], w->tcp.mdyn)->link = NULL;
		sp->n++;
	}
}

/* Every spare's link is NULL (txbuf.h: a write queues one without that store). */
static void
tx_spares_unlinked(const struct sl_worker *w)
{
	const struct txbuf_spares *sp = &w->tcp.txbuf_spares;
	uint32_t i;

	for (i = 0; i < sp->n; i++)
		assert_null(mdyn(sp->m[i], w->tcp.mdyn)->link);
}

/* How tx_run writes: txbuf_append, its inline small path, or the whole send call, by
 * sl_conn_send (its direct path) or by sl_conn_send_flags without flags (the general
 * one). */
enum tx_how { TX_APPEND, TX_SMALL, TX_SEND, TX_SEND_FLAGS };

static int
tx_write(struct sl_worker *w, struct tcp_flow *f, enum tx_how how, const uint8_t *d,
	 uint32_t len)
{
	switch (how) {
	case TX_APPEND:
		return txbuf_append(w, &f->tx, d, len);
	case TX_SMALL:
		return txbuf_append_small(w, &f->tx, d, len);
	case TX_SEND:
		return sl_conn_send((struct sl_conn *)f, d, len);
	default:
		return sl_conn_send_flags((struct sl_conn *)f, d, len, 0);
	}
}

/* Acknowledge n bytes of f's send queue, as an ACK would: the chunks and, for the send
 * calls, the water-mark count. */
static void
tx_ack(struct sl_worker *w, struct tcp_flow *f, enum tx_how how, uint32_t n)
{
	txbuf_ack(w, &f->tx, n);
	if (how >= TX_SEND && n != 0)
		wmark_put(w, f, n);
}

/* One run of the write pattern on f's send queue, written as how says; states[i] after
 * write i. Leaves the queue empty and no spare. */
static void
tx_run(struct sl_worker *w, struct tcp_flow *f, enum tx_how how, struct tx_state *states,
       unsigned int nwrites)
{
	const uint8_t *d = sk_pattern(4096, 17);
	uint32_t seed = 12345, lim = w->tcp.txbuf_mbufs_lim;
	uint64_t full0 = w->stats.tcp_txbuf_full;
	unsigned int i;

	for (i = 0; i < nwrites; i++) {
		uint32_t len, spares, r;
		int rc;

		seed = seed * 1103515245u + 12345u;
		r = seed >> 8;
		/* Mostly small writes (0..70 bytes), some that fill the tail chunk to its last
		 * byte (the next write finds no room), now and then one of several chunks. */
		if (r % 8 == 0)
			len = 1000 + (r >> 3) % 2000;
		else if (r % 8 == 1 && f->tx.q.tail != NULL)
			len = rte_pktmbuf_tailroom(f->tx.q.tail);
		else
			len = (r >> 3) % 71;
		spares = (r >> 12) % 3;
		tx_spares_set(w, spares);
		/* Every ninth write finds the send queues at their limit. */
		w->tcp.txbuf_mbufs_lim = i % 9 == 8 ? w->tcp.txbuf_mbufs : lim;
		/* A send flag left by the write before must be cleared by this one. */
		if (i % 3 == 1)
			f->flags |= TF_MORE;
		rc = tx_write(w, f, how, d + (r % 1024), len);
		w->tcp.txbuf_mbufs_lim = lim;
		tx_capture(w, &f->tx, rc, &states[i]);
		states[i].full -= full0;
		if (how >= TX_SEND) {
			states[i].word = w->tcp.slots[f->idx].word;
			states[i].flags = f->flags & (TF_MORE | TF_PUSH | TF_DIRTY | TF_WANT_WRITE);
			states[i].writes = f->app_writes;
		}
		states[i].len = len;
		states[i].spares0 = spares;
		/* Drop the chunks before the tail now and then, as ACKs would, or every byte
		 * (the next write finds no tail). */
		if (i % 7 == 3)
			tx_ack(w, f, how, f->tx.bytes);
		else if (i % 5 == 4 && f->tx.q.n > 1)
			tx_ack(w, f, how, f->tx.bytes - f->tx.q.tail->data_len);
	}
	tx_ack(w, f, how, f->tx.bytes);
	txbuf_free(w, &f->tx);
	tx_spares_set(w, 0);
}

/* Two runs' send queues after the same write: the same result, bytes, chunks (offsets,
 * lengths, packet lengths, contents), mbuf and spare counts. */
static void
tx_states_assert_equal(const struct tx_state *a, const struct tx_state *b)
{
	assert_int_equal(a->rc, b->rc);
	assert_int_equal(a->bytes, b->bytes);
	assert_int_equal(a->nchunks, b->nchunks);
	assert_int_equal(a->mbufs, b->mbufs);
	assert_int_equal(a->spares, b->spares);
	assert_memory_equal(a->off, b->off, sizeof(a->off));
	assert_memory_equal(a->len_of, b->len_of, sizeof(a->len_of));
	assert_memory_equal(a->pkt, b->pkt, sizeof(a->pkt));
	assert_memory_equal(a->data, b->data, sizeof(a->data[0]) * a->nchunks);
}

static void
test_small_write_inline_same_as_txbuf_append(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;
	enum { N = 200 };
	struct tx_state *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
	unsigned int i, nsmall = 0, nspare = 0;

	assert_non_null(a);
	assert_non_null(b);
	(void)tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	assert_int_equal(f->tx.bytes, 0);
	assert_int_equal(w->tcp.txbuf_spares.n, 0);
	tx_run(w, f, TX_SMALL, a, N);
	tx_run(w, f, TX_APPEND, b, N);
	for (i = 0; i < N; i++) {
		tx_states_assert_equal(&a[i], &b[i]);
		assert_int_equal(a[i].full, b[i].full);
		if (a[i].rc == 0 && a[i].len >= 1 && a[i].len <= TXBUF_SMALL_MAX)
			nsmall++;
		if (a[i].spares < a[i].spares0)
			nspare++;
	}
	/* The pattern took every branch: small writes, spares taken, refusals at the
	 * limit. */
	assert_true(nsmall > N / 2);
	assert_true(nspare > N / 10);
	assert_true(a[N - 1].full > 0);
	free(a);
	free(b);
}

/* txbuf_ack's shortcut for the ACK of exactly the one chunk queued leaves what its loop
 * leaves: an empty queue, the chunk among the spares, one chunk fewer counted; an ACK of
 * part of it, or of the head of two, takes the loop and keeps the rest in place. */
static void
test_ack_of_the_one_chunk_same_as_the_loop(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	const uint8_t *d = sk_pattern(4096, 23);
	static const uint32_t lens[] = { 1, 2, 7, 100, 1000 };
	struct tcp_flow *f;
	unsigned int i, k;

	(void)tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	for (i = 0; i < RTE_DIM(lens); i++)
		for (k = 0; k < 3; k++) {
			uint32_t len = lens[i], n = k == 0 ? len : k == 1 ? 1 : len - 1;
			uint32_t mbufs, spares;

			if (n == 0)
				continue;
			tx_spares_set(w, 0);
			assert_int_equal(txbuf_append(w, &f->tx, d, len), 0);
			assert_int_equal(f->tx.q.n, 1);
			mbufs = w->tcp.txbuf_mbufs;
			spares = w->tcp.txbuf_spares.n;
			txbuf_ack(w, &f->tx, n);
			assert_int_equal(f->tx.bytes, len - n);
			assert_null(f->tx.rd);
			if (n == len) {
				assert_null(f->tx.q.head);
				assert_null(f->tx.q.tail);
				assert_int_equal(f->tx.q.n, 0);
				assert_int_equal(w->tcp.txbuf_mbufs, mbufs - 1);
				assert_int_equal(w->tcp.txbuf_spares.n, spares + 1);
				tx_spares_unlinked(w);
			} else {
				assert_int_equal(f->tx.q.n, 1);
				assert_ptr_equal(f->tx.q.head, f->tx.q.tail);
				assert_int_equal(f->tx.q.head->data_len, len - n);
				assert_int_equal(*rte_pktmbuf_mtod(f->tx.q.head, const uint8_t *),
						 d[n]);
				assert_int_equal(w->tcp.txbuf_mbufs, mbufs);
				txbuf_free(w, &f->tx);
			}
		}
	/* Two chunks: the ACK of the first takes the loop, which keeps the second. */
	assert_int_equal(txbuf_append(w, &f->tx, d, 4096), 0);
	assert_true(f->tx.q.n > 1);
	k = f->tx.q.n;
	txbuf_ack(w, &f->tx, f->tx.q.head->data_len);
	assert_int_equal(f->tx.q.n, k - 1);
	assert_non_null(f->tx.q.head);
	/* The first chunk's link pointed at the second: the loop cleared it. */
	tx_spares_unlinked(w);
	/* All of it: each chunk the loop freed is kept unlinked. */
	txbuf_ack(w, &f->tx, f->tx.bytes);
	assert_int_equal(f->tx.q.n, 0);
	tx_spares_unlinked(w);
	/* A write takes the last spare into an empty queue, and one past a chunk's room the
	 * next: the queue links exactly its chunks, and its tail's link is NULL. */
	assert_int_equal(txbuf_append(w, &f->tx, d, 4096), 0);
	assert_true(f->tx.q.n > 1);
	{
		struct rte_mbuf *m = f->tx.q.head;
		uint32_t n = 1;

		while (m != f->tx.q.tail) {
			m = mdyn(m, w->tcp.mdyn)->link;
			assert_non_null(m);
			n++;
		}
		assert_int_equal(n, f->tx.q.n);
		assert_null(mdyn(f->tx.q.tail, w->tcp.mdyn)->link);
	}
	txbuf_free(w, &f->tx);
	tx_spares_set(w, 0);
}

/* sl_conn_send's direct path (conn.c, conn_send_direct) against the general send
 * (sl_conn_send_flags without flags), the same write pattern from the same state: the
 * same result, queue, chunks, spares, water-mark word, send flags and counters, write
 * after write, refusals (water marks, the send queues' limit) included. */
static void
test_send_direct_same_as_general_send(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;
	enum { N = 300 };
	struct tx_state *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
	unsigned int i, nsmall = 0, nagain = 0, nspare = 0;
	uint64_t w0;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(sl_conn_set_sndbuf(tpeer_connect(&x->p), 2000, 6000, 12000), 0);
	f = tpeer_flow(&x->p);
	assert_int_equal(f->tx.bytes, 0);
	w0 = w->tcp.slots[f->idx].word;
	tx_run(w, f, TX_SEND, a, N);
	assert_int_equal(w->tcp.slots[f->idx].word, w0);
	f->app_writes = 0;
	tx_run(w, f, TX_SEND_FLAGS, b, N);
	assert_int_equal(w->tcp.slots[f->idx].word, w0);
	for (i = 0; i < N; i++) {
		tx_states_assert_equal(&a[i], &b[i]);
		assert_int_equal(a[i].full - a[0].full, b[i].full - b[0].full);
		assert_true(a[i].word == b[i].word);
		assert_int_equal(a[i].flags, b[i].flags);
		assert_true(a[i].writes == b[i].writes);
		if (a[i].rc == 0 && a[i].len >= 1 && a[i].len <= TXBUF_SMALL_MAX)
			nsmall++;
		if (a[i].rc == -EAGAIN)
			nagain++;
		if (a[i].spares < a[i].spares0)
			nspare++;
	}
	/* Both paths' cases: small writes (spares taken too), refusals at the water marks,
	 * and at the send queues' limit. */
	assert_true(nsmall > N / 3);
	assert_true(nspare > N / 20);
	assert_true(nagain > 0);
	assert_true(a[N - 1].full > a[0].full);
	free(a);
	free(b);
}

/* txbuf_copy_tail (tcp_output's one-segment pass: the last bytes queued) copies what
 * txbuf_copy copies from the same offset, for every length up to past the tail chunk
 * and past 16 bytes (the lengths that take txbuf_copy), over queues of one and several
 * chunks, with a prefix acknowledged or not and the read cursor empty or set; and the
 * cursor it leaves still serves txbuf_copy from any offset. */
static void
test_copy_tail_same_as_copy(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	const uint8_t *d = sk_pattern(8192, 31);
	static const uint32_t writes[][4] = {
		{ 1, 0, 0, 0 }, { 3, 1, 0, 0 }, { 17, 0, 0, 0 }, { 2000, 5, 0, 0 },
		{ 40, 2100, 2, 9 }, { 3000, 1, 1, 1 },
	};
	static const uint32_t acks[] = { 0, 1, 7 };
	struct tcp_flow *f;
	uint8_t a[64], b[64];
	unsigned int i, k, c;

	(void)tpeer_connect(&x->p);
	f = tpeer_flow(&x->p);
	for (i = 0; i < RTE_DIM(writes); i++)
		for (k = 0; k < RTE_DIM(acks); k++)
			for (c = 0; c < 2; c++) {
				uint32_t total = 0, acked, len, j, off;

				for (j = 0; j < 4 && writes[i][j] != 0; j++) {
					assert_int_equal(txbuf_append(w, &f->tx, d + total,
								      writes[i][j]), 0);
					total += writes[i][j];
				}
				acked = RTE_MIN(acks[k], total - 1);
				if (acked != 0)
					txbuf_ack(w, &f->tx, acked);
				assert_int_equal(f->tx.bytes, total - acked);
				/* The cursor set on the head chunk, or left empty. */
				if (c == 1)
					txbuf_copy(w, &f->tx, 0, 1, a);
				for (len = 1; len <= RTE_MIN(f->tx.bytes, (uint32_t)sizeof(a));
				     len++) {
					memset(a, 0xa5, sizeof(a));
					memset(b, 0x5a, sizeof(b));
					txbuf_copy_tail(w, &f->tx, len, a);
					txbuf_copy(w, &f->tx, f->tx.bytes - len, len, b);
					assert_memory_equal(a, b, len);
					assert_memory_equal(a, d + total - len, len);
					/* Whatever cursor it left, txbuf_copy still reads right. */
					txbuf_copy_tail(w, &f->tx, len, a);
					off = (len * 37) % f->tx.bytes;
					j = RTE_MIN(f->tx.bytes - off, (uint32_t)sizeof(b));
					txbuf_copy(w, &f->tx, off, j, b);
					assert_memory_equal(b, d + acked + off, j);
				}
				txbuf_ack(w, &f->tx, f->tx.bytes);
				txbuf_free(w, &f->tx);
				tx_spares_set(w, 0);
			}
}

static const struct CMUnitTest tests[] = {
	SK_TEST(test_small_writes_coalesce_into_full_segments),
	SK_TEST(test_output_limited_by_peer_window),
	SK_TEST(test_nagle_holds_short_segment_while_data_unacked),
	SK_TEST(test_cork_holds_until_ceiling_on_virtual_clock),
	TT_TEST_SETUP(test_more_flag_holds_until_send_without_more_or_ceiling, setup_cork_300us),
	SK_TEST(test_default_flush_sends_short_segment_at_end_of_iteration),
	SK_TEST(test_retransmission_resends_the_same_bytes),
	SK_TEST(test_hostile_window_pattern_never_overruns_or_floods),
	SK_TEST(test_tso_frame_carries_whole_segments_for_the_port),
	SK_TEST(test_small_write_inline_same_as_txbuf_append),
	SK_TEST(test_ack_of_the_one_chunk_same_as_the_loop),
	SK_TEST(test_send_direct_same_as_general_send),
	SK_TEST(test_copy_tail_same_as_copy),
};

UNIT_MAIN("test_txbuf", tests)
