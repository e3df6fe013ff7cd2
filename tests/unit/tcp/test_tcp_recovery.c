/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loss recovery at the sender, on the wire: the stack sends a bulk transfer to a model of
 * the peer across a model of the network, which loses or reorders chosen segments. What is
 * required is what the RFCs ask of a SACK sender:
 *
 *   RFC 6675  SACK-based loss recovery: a scoreboard, and every hole of a window
 *             retransmitted within one recovery episode (NewReno, RFC 6582, repairs one
 *             hole per round trip)
 *   RFC 8985  RACK-TLP: time-based loss detection, lost retransmissions included, and a
 *             tail loss probe 2*SRTT after the last ACK when nothing else would start
 *             recovery before the RTO
 *   RFC 6937  Proportional Rate Reduction: what may be sent per ACK during recovery
 *   RFC 2883  D-SACK, and the undo of a reduction it shows to have been spurious
 *   RFC 2018  the SACK option, and what a sender must survive of it
 *
 * The model (lp_*):
 *   - The network: OWD_US = 5 ms each way (RTT_US = 10 ms), no serialisation time, no
 *     capacity limit: a burst sent at t arrives whole at t + 5 ms, in the order it was
 *     sent, unless the test loses the first lose[i] transmissions of segment i, or hands
 *     the first transmission of segment i to the peer right after that of segment
 *     after[i] - 1 (reordering without delay).
 *   - The peer: a Linux-like receiver with SACK and timestamps (a test may turn the
 *     timestamps off). It acknowledges every segment at once (quick-ACK; Linux always does
 *     for out-of-order data): the cumulative ACK at its first hole, then SACK blocks, the
 *     first covering the segment that triggered the ACK, then the most recently reported
 *     others (RFC 2018 §4), at most 3 with timestamps, 4 without. Data it already holds is
 *     reported by a D-SACK block first (RFC 2883 §4). It echoes TS.Recent by RFC 7323 §4.3:
 *     the TSval of the last segment that did not start beyond the ACK it last sent.
 *   - Time: virtual, jumping from event to event (a segment or an ACK arriving, a TCP
 *     timer), at most STEP_MAX_US at a time. ACKs that arrive at the same instant are
 *     injected one at a time, and what the stack sends after each is that ACK's answer.
 *
 * SL_TEST_TRACE=1 in the environment prints every transmission and every ACK injected.
 *
 * The handshake of every connection takes RTT_US, so SRTT starts at 10 ms and the RTO at
 * rto_min (200 ms; RFC 6298's 3 * RTT is below it); every later RTT sample is 10 ms too.
 * The application writes the whole transfer at t0, the end of the handshake: the initial
 * window (10 segments) leaves at t0, its ACKs are back at t0 + 10 ms, slow start lets two
 * segments leave for each, so segments 10..29 leave at t0 + 10 ms, are ACKed at
 * t0 + 20 ms, and so on. Tests name segments by their index in the transfer.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#include "tcp_helper.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"

#define RTT_US		10000u
#define OWD_US		(RTT_US / 2)
#define TICK_US		TCP_WHEEL_TICK_US
#define STEP_MAX_US	1000u		/* longest jump of virtual time */
#define MAX_ACK_DELAY_US 200000u	/* RFC 8985 §7.2 TLP.max_ack_delay, the peer's unknown */
#define PTO_SLACK_US	2000u		/* Linux adds 2 ms (TCP_TIMEOUT_MIN) to 2 * SRTT */
#define DUPTHRESH	3u		/* RFC 6675 */

#define LP_SEGS_MAX	256		/* segments of one transfer */
#define LP_DATA_MAX	(LP_SEGS_MAX * 1460u)
#define LP_TX_MAX	16384		/* transmissions logged */
#define LP_QUEUE_MAX	16384		/* segments or ACKs on their way */
#define LP_RANGES_MAX	512		/* disjoint ranges in a set */
#define LP_RECENT_MAX	16		/* out-of-order arrivals the peer remembers */

static uint8_t payload[LP_DATA_MAX];

/* Deterministic bytes, different at every offset of a segment, so misplaced data shows. */
static const uint8_t *
pattern(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		payload[i] = (uint8_t)(i * 13 + (i >> 9) + 7);
	return payload;
}

/* ---- the model: network and peer ---- */

/* Byte ranges [s, e) of the transfer (offsets, 0 = the first data byte). */
struct lp_range {
	uint32_t s, e;
};

/* A set of disjoint, non-touching ranges, sorted. */
struct lp_set {
	unsigned int n;
	struct lp_range r[LP_RANGES_MAX];
};

/* One data segment the stack transmitted. */
struct lp_tx {
	uint64_t at;
	uint32_t off, len;
	uint16_t nth;			/* transmission of this segment: 1 = the first */
	bool dropped;
	unsigned int acks_before;	/* ACKs injected before it was sent */
	uint64_t last_ack_at;		/* when the last of them was injected (0: none) */
};

/* A segment on its way to the peer. */
struct lp_seg {
	uint64_t at, order;
	uint32_t off, len, tsval;
	unsigned int txi;		/* its transmission in lp->tx */
	uint32_t after;			/* 0, or 1 + the segment it must follow */
};

/* An ACK on its way from the peer; offsets, not sequence numbers. */
struct lp_ack {
	uint64_t at, order;
	uint32_t ack;
	uint32_t tsecr;
	uint32_t delivered;		/* bytes the segment behind it brought the peer */
	unsigned int nsack;
	struct tcp_sack_block sack[4];
	bool dsack;			/* sack[0] is a D-SACK block */
};

struct lp;

typedef void (*lp_ack_hook)(struct lp *lp, const struct lp_ack *a, unsigned int sent);

struct lp {
	struct tt *x;
	struct tpeer *p;
	struct sl_conn *c;
	uint32_t mss;
	uint32_t base;			/* sequence number of offset 0 */
	uint32_t total;			/* bytes written */
	const uint8_t *data;
	uint64_t t0;			/* when they were written */
	uint64_t end_at;		/* when lp_run stopped */

	/* What the network does to the segments. */
	uint8_t lose[LP_SEGS_MAX];
	uint32_t after[LP_SEGS_MAX];

	/* What the stack sent. */
	struct lp_tx tx[LP_TX_MAX];
	unsigned int ntx;
	uint16_t nth[LP_SEGS_MAX];	/* transmissions per segment */
	bool arrived1[LP_SEGS_MAX];	/* its first transmission reached the peer */
	unsigned int pure_acks;		/* segments without data (ignored) */

	/* The link. */
	struct lp_seg segq[LP_QUEUE_MAX];
	unsigned int nseg;
	struct lp_ack ackq[LP_QUEUE_MAX];
	unsigned int nack;
	uint64_t order;

	/* The peer. */
	struct lp_set rcvd;
	uint32_t recent[LP_RECENT_MAX];	/* out-of-order arrivals, most recent first */
	unsigned int nrecent;
	uint32_t ts_recent;
	bool renege;			/* drop the out-of-order data when the first
					 * retransmission arrives */
	bool reneged;

	/* What the stack was told: the ACKs injected, and what they acknowledged or SACKed. */
	unsigned int acks_in;
	uint64_t last_ack_at;
	uint64_t first_sack_at;		/* first ACK with a (non-D-SACK) block, 0: none */
	struct lp_set known;

	/* Hooks: before and after each ACK of the peer is injected (sent: data segments the
	 * stack answered it with); peer_ack may rewrite an ACK or return false to lose it;
	 * stop ends lp_run (NULL: when the transfer is complete). */
	void (*before_ack)(struct lp *lp, const struct lp_ack *a);
	lp_ack_hook after_ack;
	bool (*peer_ack)(struct lp *lp, struct lp_ack *a);
	bool (*stop)(struct lp *lp);
	void *arg;
};

static struct lp lp_storage;		/* large: not on the stack */
static bool lp_trace;

static uint64_t
lp_now(const struct lp *lp)
{
	return lp->x->t.w->clock.now_us;
}

static struct tcp_flow *
lp_flow(const struct lp *lp)
{
	struct tcp_flow *f = tpeer_flow(lp->p);

	if (f == NULL)
		fail_msg("the connection is gone");
	return f;
}

static const struct sl_stats *
lp_stats(const struct lp *lp)
{
	return th_stats(&lp->x->t);
}

/* ---- range sets ---- */

/* Add [s, e); returns how many of its bytes were new. */
static uint32_t
set_add(struct lp_set *set, uint32_t s, uint32_t e)
{
	static struct lp_range out[LP_RANGES_MAX + 1];
	uint32_t ns = s, ne = e, dup = 0;
	unsigned int i, k = 0;
	bool placed = false;

	if (s >= e)
		return 0;
	for (i = 0; i < set->n; i++) {
		const struct lp_range *r = &set->r[i];
		uint32_t lo = RTE_MAX(r->s, s), hi = RTE_MIN(r->e, e);

		if (lo < hi)
			dup += hi - lo;
		if (r->e < s || r->s > e) {
			if (r->s > e && !placed) {
				out[k++] = (struct lp_range){ ns, ne };
				placed = true;
			}
			out[k++] = *r;
		} else {
			ns = RTE_MIN(ns, r->s);
			ne = RTE_MAX(ne, r->e);
		}
	}
	if (!placed)
		out[k++] = (struct lp_range){ ns, ne };
	assert_true(k <= LP_RANGES_MAX);
	memcpy(set->r, out, k * sizeof(out[0]));
	set->n = k;
	return (e - s) - dup;
}

/* The range holding off, or NULL. */
static const struct lp_range *
set_find(const struct lp_set *set, uint32_t off)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		if (set->r[i].s <= off && off < set->r[i].e)
			return &set->r[i];
	return NULL;
}

static bool
set_covers(const struct lp_set *set, uint32_t s, uint32_t e)
{
	const struct lp_range *r = set_find(set, s);

	return r != NULL && e <= r->e;
}

/* First byte not in the set from 0 on. */
static uint32_t
set_front(const struct lp_set *set)
{
	return set->n > 0 && set->r[0].s == 0 ? set->r[0].e : 0;
}

/* ---- the peer ---- */

static void
peer_recent_push(struct lp *lp, uint32_t off)
{
	const struct lp_range *r = set_find(&lp->rcvd, off);
	unsigned int i, k = 0;

	/* One entry per block: older arrivals in the same block give way. */
	for (i = 0; i < lp->nrecent; i++)
		if (r == NULL || lp->recent[i] < r->s || lp->recent[i] >= r->e)
			lp->recent[k++] = lp->recent[i];
	lp->nrecent = RTE_MIN(k, (unsigned int)LP_RECENT_MAX - 1);
	memmove(lp->recent + 1, lp->recent, lp->nrecent * sizeof(lp->recent[0]));
	lp->recent[0] = off;
	lp->nrecent++;
}

static void
ackq_put(struct lp *lp, const struct lp_ack *a)
{
	assert_true(lp->nack < LP_QUEUE_MAX);
	lp->ackq[lp->nack++] = *a;
}

/* A segment reaches the peer: take it, and answer it with an ACK. */
static void
peer_input(struct lp *lp, const struct lp_seg *sg)
{
	uint32_t s = sg->off, e = sg->off + sg->len, rcv = set_front(&lp->rcvd);
	unsigned int max = lp->p->ts_on ? 3 : 4, i, k;
	struct lp_ack a = { 0 };
	const struct lp_range *r;

	if (lp->renege && lp->tx[sg->txi].nth > 1) {
		/* Reneging (RFC 2018 §8): everything above the first hole is dropped. */
		lp->rcvd.n = rcv > 0 ? 1 : 0;
		lp->nrecent = 0;
		lp->renege = false;
		lp->reneged = true;
	}
	/* RFC 7323 §4.3: TS.Recent from a segment that does not start beyond the ACK last
	 * sent (every segment is acknowledged, so that is rcv). */
	if (s <= rcv && (int32_t)(sg->tsval - lp->ts_recent) >= 0)
		lp->ts_recent = sg->tsval;
	/* RFC 2883: data already held is reported in a first, D-SACK, block. */
	for (i = 0; i < lp->rcvd.n; i++) {
		uint32_t lo = RTE_MAX(lp->rcvd.r[i].s, s), hi = RTE_MIN(lp->rcvd.r[i].e, e);

		if (lo < hi) {
			a.sack[a.nsack++] = (struct tcp_sack_block){ lo, hi };
			a.dsack = true;
			break;
		}
	}
	a.delivered = set_add(&lp->rcvd, s, e);
	if (s > rcv)
		peer_recent_push(lp, s);
	a.ack = set_front(&lp->rcvd);
	a.tsecr = lp->ts_recent;
	/* RFC 2018 §4: the block of this segment first, then the most recent others. */
	for (i = 0; i < lp->nrecent && a.nsack < max; i++) {
		r = set_find(&lp->rcvd, lp->recent[i]);
		if (r == NULL || r->s <= a.ack)
			continue;
		for (k = a.dsack ? 1 : 0; k < a.nsack; k++)
			if (a.sack[k].start == r->s)
				break;
		if (k == a.nsack)
			a.sack[a.nsack++] = (struct tcp_sack_block){ r->s, r->e };
	}
	for (i = 0, k = 0; i < lp->nrecent; i++)
		if (lp->recent[i] >= a.ack)
			lp->recent[k++] = lp->recent[i];
	lp->nrecent = k;
	a.at = lp_now(lp) + OWD_US;
	a.order = ++lp->order;
	if (lp->peer_ack == NULL || lp->peer_ack(lp, &a))
		ackq_put(lp, &a);
}

/* ---- the stack's side ---- */

/* Take everything the stack transmitted onto the link; returns the data segments. */
static unsigned int
lp_collect(struct lp *lp)
{
	static struct tp_out o;
	unsigned int n = 0;

	while (tp_pop(&lp->x->t, &o)) {
		struct lp_tx *t;
		uint32_t off, idx;

		assert_int_equal(o.dport, lp->p->port);
		if (o.flags & (TH_RST | TH_SYN | TH_FIN))
			fail_msg("unexpected segment: flags 0x%02x seq %u len %u", o.flags, o.seq,
				 o.len);
		if (o.len == 0) {
			lp->pure_acks++;
			continue;
		}
		off = o.seq - lp->base;
		if (off >= lp->total || o.len > lp->total - off)
			fail_msg("data outside the transfer: offset %u len %u", off, o.len);
		assert_memory_equal(o.data, lp->data + off, o.len);
		idx = off / lp->mss;
		assert_true(lp->ntx < LP_TX_MAX);
		t = &lp->tx[lp->ntx];
		t->at = lp_now(lp);
		t->off = off;
		t->len = o.len;
		t->nth = ++lp->nth[idx];
		t->dropped = t->nth <= lp->lose[idx];
		t->acks_before = lp->acks_in;
		t->last_ack_at = lp->last_ack_at;
		if (lp_trace)
			printf("%10.3f ms  tx  seg %3u%s len %u #%u%s\n",
			       (t->at - lp->t0) / 1e3, idx, off % lp->mss ? "+" : "", o.len,
			       t->nth, t->dropped ? " (lost)" : "");
		if (!t->dropped) {
			assert_true(lp->nseg < LP_QUEUE_MAX);
			lp->segq[lp->nseg++] = (struct lp_seg){
				.at = t->at + OWD_US, .order = ++lp->order, .off = off,
				.len = o.len, .tsval = o.opts.tsval, .txi = lp->ntx,
				.after = t->nth == 1 ? lp->after[idx] : 0,
			};
		}
		lp->ntx++;
		n++;
	}
	return n;
}

/* Put an ACK from the peer on the wire (sequence numbers as given) and take the stack's
 * answer; returns the data segments it sent. */
static unsigned int
lp_send_ack_raw(struct lp *lp, uint32_t ack, const struct tcp_sack_block *b, unsigned int nb,
		uint32_t tsecr)
{
	struct tpeer *p = lp->p;
	uint8_t o[TCP_OPT_MAX];
	size_t n = 0;

	if (p->ts_on) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
		tp_opt_ts(o, &n, p->tsval, tsecr);
	}
	if (nb > 0) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
		tp_opt_sack(o, &n, b, nb);
	}
	assert_true(n <= TCP_OPT_MAX);
	tpeer_xmit_opts(p, TH_ACK, p->snd_nxt, ack, p->wnd, o, n, NULL, 0);
	p->tsval++;
	return lp_collect(lp);
}

/* Inject one of the model peer's ACKs. */
static void
lp_inject(struct lp *lp, const struct lp_ack *a)
{
	struct tcp_sack_block b[4];
	unsigned int i, sent;

	if (lp->before_ack != NULL)
		lp->before_ack(lp, a);
	for (i = 0; i < a->nsack; i++) {
		b[i].start = lp->base + a->sack[i].start;
		b[i].end = lp->base + a->sack[i].end;
	}
	lp->acks_in++;
	lp->last_ack_at = lp_now(lp);
	if (a->nsack > (a->dsack ? 1u : 0u) && lp->first_sack_at == 0)
		lp->first_sack_at = lp_now(lp);
	set_add(&lp->known, 0, a->ack);
	for (i = a->dsack ? 1 : 0; i < a->nsack; i++)
		set_add(&lp->known, a->sack[i].start, a->sack[i].end);
	sent = lp_send_ack_raw(lp, lp->base + a->ack, b, a->nsack, a->tsecr);
	if (lp_trace) {
		const struct tcp_flow *f = lp_flow(lp);

		printf("%10.3f ms  ack %3u", (lp_now(lp) - lp->t0) / 1e3, a->ack / lp->mss);
		for (i = 0; i < a->nsack; i++)
			printf(" %s%u-%u", i == 0 && a->dsack ? "D" : "",
			       a->sack[i].start / lp->mss, (a->sack[i].end - 1) / lp->mss);
		printf("  -> %u sent; cwnd %u ssthresh %u (segments)\n", sent,
		       f->cwnd / lp->mss, f->ssthresh == TCP_CWND_MAX ? 0 : f->ssthresh / lp->mss);
	}
	if (lp->after_ack != NULL)
		lp->after_ack(lp, a, sent);
}

/* The next segment due at the peer (NULL: none now): the oldest sent, except that one
 * held back for another waits for it. */
static bool
lp_deliver_seg(struct lp *lp)
{
	uint64_t now = lp_now(lp);
	unsigned int i, best = UINT32_MAX;
	struct lp_seg sg;

	for (i = 0; i < lp->nseg; i++) {
		const struct lp_seg *c = &lp->segq[i];

		if (c->at > now || (c->after != 0 && !lp->arrived1[c->after - 1]))
			continue;
		if (best == UINT32_MAX || c->order < lp->segq[best].order)
			best = i;
	}
	if (best == UINT32_MAX)
		return false;
	sg = lp->segq[best];
	lp->segq[best] = lp->segq[--lp->nseg];
	if (lp->tx[sg.txi].nth == 1)
		lp->arrived1[sg.off / lp->mss] = true;
	peer_input(lp, &sg);
	return true;
}

static bool
lp_deliver_ack(struct lp *lp)
{
	uint64_t now = lp_now(lp);
	unsigned int i, best = UINT32_MAX;
	struct lp_ack a;

	for (i = 0; i < lp->nack; i++)
		if (lp->ackq[i].at <= now &&
		    (best == UINT32_MAX || lp->ackq[i].order < lp->ackq[best].order))
			best = i;
	if (best == UINT32_MAX)
		return false;
	a = lp->ackq[best];
	lp->ackq[best] = lp->ackq[--lp->nack];
	lp_inject(lp, &a);
	return true;
}

/* Everything written has reached the peer and been acknowledged. */
static bool
lp_complete(struct lp *lp)
{
	struct tcp_flow *f = lp_flow(lp);

	return set_front(&lp->rcvd) == lp->total && f->snd_una == lp->base + lp->total;
}

/* Run the network for at most dur_us of virtual time; true when lp->stop (or, without
 * one, lp_complete) said so. */
static bool
lp_run(struct lp *lp, uint64_t dur_us)
{
	struct th *t = &lp->x->t;
	uint64_t end = lp_now(lp) + dur_us;

	for (;;) {
		uint64_t now, next;
		unsigned int i;

		lp_collect(lp);
		if (lp_deliver_seg(lp) || lp_deliver_ack(lp))
			continue;
		if (lp->stop != NULL ? lp->stop(lp) : lp_complete(lp)) {
			lp->end_at = lp_now(lp);
			return true;
		}
		now = lp_now(lp);
		if (now >= end) {
			lp->end_at = now;
			return false;
		}
		next = RTE_MIN(end, now + STEP_MAX_US);
		for (i = 0; i < lp->nseg; i++)
			if (lp->segq[i].at > now)
				next = RTE_MIN(next, lp->segq[i].at);
		for (i = 0; i < lp->nack; i++)
			next = RTE_MIN(next, lp->ackq[i].at);
		next = RTE_MIN(next, tcp_timers_next(t->w));
		/* A deadline already passed waits for the wheel's next tick. */
		if (next <= now)
			next = now + TICK_US;
		t->w->clock.now_us = next;
		th_poll(t);
	}
}

/* A connection from the model peer whose handshake takes RTT_US (timestamps if ts), and
 * nsegs full segments written to it at once. */
static struct lp *
lp_open(struct tt *x, uint32_t nsegs, bool ts)
{
	struct lp *lp = &lp_storage;
	struct tpeer *p = &x->p;
	struct tcp_flow *f;

	memset(lp, 0, sizeof(*lp));
	lp_trace = getenv("SL_TEST_TRACE") != NULL && strcmp(getenv("SL_TEST_TRACE"), "0") != 0;
	lp->x = x;
	lp->p = p;
	p->ts = ts;
	tpeer_syn(p);
	tp_advance(&x->t, RTT_US, RTT_US);
	tpeer_ack(p);
	tpeer_expect_nothing(p);
	p->tc = tapp_find(&x->app, p->port);
	assert_non_null(p->tc);
	lp->c = p->tc->c;
	f = lp_flow(lp);
	assert_true(f->flags & TF_SACK);
	assert_int_equal(!!(f->flags & TF_TS), ts);
	assert_int_equal(f->srtt >> 3, RTT_US);
	lp->mss = f->mss;
	assert_int_equal(lp->mss, ts ? 1448 : 1460);
	assert_true(nsegs <= LP_SEGS_MAX);
	lp->base = p->irs + 1;
	lp->ts_recent = p->ts_recent;
	lp->total = nsegs * lp->mss;
	lp->data = pattern(lp->total);
	lp->t0 = lp_now(lp);
	assert_int_equal(sl_conn_send(lp->c, lp->data, lp->total), 0);
	th_poll(&x->t);
	return lp;
}

/* Time of the nth transmission (1: the first) of segment i; UINT64_MAX when none. */
static uint64_t
lp_tx_at(const struct lp *lp, uint32_t i, unsigned int nth)
{
	const struct lp_tx *t = NULL;
	unsigned int k;

	for (k = 0; k < lp->ntx; k++)
		if (lp->tx[k].off == i * lp->mss && lp->tx[k].nth == nth) {
			t = &lp->tx[k];
			break;
		}
	return t != NULL ? t->at : UINT64_MAX;
}

/* The first retransmission of anything (NULL: none). */
static const struct lp_tx *
lp_first_rtx(const struct lp *lp)
{
	unsigned int k;

	for (k = 0; k < lp->ntx; k++)
		if (lp->tx[k].nth > 1)
			return &lp->tx[k];
	return NULL;
}

/* The transfer is complete and what reached the peer is what was written (every segment
 * was checked against the source as it left), on a connection still open. It is the
 * worker's only connection, so its loss counters are the worker's. */
static void
lp_assert_complete(struct lp *lp)
{
	struct tcp_flow *f = lp_flow(lp);
	const struct sl_stats *s = lp_stats(lp);

	if (!lp_complete(lp))
		fail_msg("transfer incomplete: the peer holds %u of %u bytes in order, "
			 "snd_una at %u", set_front(&lp->rcvd), lp->total, f->snd_una - lp->base);
	assert_int_equal(f->state, SL_TCP_ESTABLISHED);
	assert_int_equal(f->tx.bytes, 0);
	assert_int_equal(lp->p->tc->closes, 0);
	assert_int_equal(f->loss.recoveries, s->tcp_recoveries);
	assert_int_equal(f->loss.rack_lost, s->tcp_rack_lost);
	assert_int_equal(f->loss.tlp_sent, s->tcp_tlp_sent);
	assert_int_equal(f->loss.undo, s->tcp_undo);
	assert_int_equal(f->loss.rto, s->tcp_rto);
	assert_int_equal(f->loss.dsack_rx, s->tcp_dsack_rx);
	assert_int_equal(f->retransmits, s->tcp_retransmit_segs);
}

/* Every segment in lost[] was retransmitted, and beyond those at most one segment more
 * than once in all (RFC 6675 §4 NextSeg rule 4 allows one "rescue" retransmission per
 * recovery episode). */
static void
lp_assert_retransmitted(const struct lp *lp, const uint32_t *lost, unsigned int nlost)
{
	unsigned int i;

	for (i = 0; i < nlost; i++)
		if (lp->nth[lost[i]] < 2)
			fail_msg("segment %u was lost and never retransmitted", lost[i]);
	assert_true(lp_stats(lp)->tcp_retransmit_segs <= nlost + 1);
}

/* ---- the model itself ---- */

static void
test_model_lossless_transfer_slow_start_no_retransmission(void **state)
{
	struct lp *lp = lp_open(*state, 40, true);

	assert_true(lp_run(lp, 1000000));
	lp_assert_complete(lp);
	/* Rounds of 10, 20 and the last 10 segments: three round trips. */
	assert_int_equal(lp->end_at - lp->t0, 3 * RTT_US);
	assert_int_equal(lp_tx_at(lp, 29, 1) - lp->t0, RTT_US);
	assert_int_equal(lp->ntx, 40);
	assert_int_equal(lp_stats(lp)->tcp_retransmit_segs, 0);
	assert_int_equal(lp_stats(lp)->tcp_recoveries, 0);
}

/* ---- 1. one loss ---- */

/* Segment 15 of 30 (sent at t0 + 10 ms in a window of 20) is lost. Its hole is reported
 * by the SACKs that come back at t0 + 20 ms: RFC 6675 retransmits it at the third SACKed
 * segment (DupThresh), RFC 8985 when RACK sees it older than a delivered segment by more
 * than reo_wnd (min_RTT / 4 = 2.5 ms before three segments are SACKed, 0 after). Either
 * way it leaves within reo_wnd of the first SACK, one recovery episode, never an RTO. */
static void
test_sack_one_loss_in_window_repaired_without_rto(void **state)
{
	static const uint32_t lost[] = { 15 };
	struct lp *lp = lp_open(*state, 30, true);
	const struct sl_stats *s = lp_stats(lp);
	uint64_t rtx;

	lp->lose[15] = 1;
	assert_true(lp_run(lp, 2000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_recoveries, 1);
	assert_int_equal(lp->first_sack_at - lp->t0, 2 * RTT_US);
	rtx = lp_tx_at(lp, 15, 2);
	assert_true(rtx != UINT64_MAX);
	assert_true(rtx >= lp->first_sack_at);
	assert_true(rtx <= lp->first_sack_at + RTT_US / 4 + 2 * TICK_US);
	lp_assert_retransmitted(lp, lost, RTE_DIM(lost));
	/* Its ACK is the last one needed. */
	assert_true(lp->end_at <= rtx + RTT_US + 2 * TICK_US);
}

/* ---- 2. several losses in one window ---- */

/* Segments 12, 15 and 19 of the window 10..29 are lost. NewReno retransmits 12 at the
 * third duplicate, 15 when the partial ACK of that retransmission returns a round trip
 * later, 19 after another. With a scoreboard, all three holes are known from the SACKs of
 * one round and all are retransmitted before the ACK of the first retransmission can be
 * back (one RTT), in one recovery episode (RFC 6675 §5; RACK marks them all lost at once,
 * RFC 8985 §6.2). */
static void
test_sack_three_losses_in_window_all_retransmitted_within_one_rtt(void **state)
{
	static const uint32_t lost[] = { 12, 15, 19 };
	struct lp *lp = lp_open(*state, 30, true);
	const struct sl_stats *s = lp_stats(lp);
	uint64_t first = UINT64_MAX, last = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(lost); i++)
		lp->lose[lost[i]] = 1;
	assert_true(lp_run(lp, 2000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_recoveries, 1);
	lp_assert_retransmitted(lp, lost, RTE_DIM(lost));
	for (i = 0; i < RTE_DIM(lost); i++) {
		uint64_t t = lp_tx_at(lp, lost[i], 2);

		first = RTE_MIN(first, t);
		last = RTE_MAX(last, t);
	}
	assert_true(first <= lp->first_sack_at + RTT_US / 4 + 2 * TICK_US);
	if (last >= first + RTT_US)
		fail_msg("the last hole was retransmitted %" PRIu64 " us after the first "
			 "(a round trip is %u us): one hole per round trip is NewReno",
			 last - first, RTT_US);
	/* Nothing left but the ACKs of the retransmissions. */
	assert_true(lp->end_at <= last + RTT_US + 2 * TICK_US);
}

/* ---- 3. tail loss probe ---- */

/* The last two segments of the transfer (18 and 19, sent at t0 + 10 ms) are lost, and
 * nothing follows them: no SACK will ever report a hole. RFC 8985 §7.2: after the last
 * ACK (t0 + 20 ms, the cumulative ACK of 17) the PTO is 2 * SRTT (flight is two segments,
 * so no max_ack_delay), well before the RTO (200 ms); the probe is the highest segment sent
 * (§7.3, there is no new data), so it is segment 19. Its ACK SACKs 19 above the hole at
 * 18, which RACK then finds lost (sent before the probe, by more than RACK.rtt + reo_wnd):
 * repaired without an RTO. */
static void
tail_two_lost(struct tt *x, bool ts)
{
	static const uint32_t lost[] = { 18, 19 };
	struct lp *lp = lp_open(x, 20, ts);
	const struct sl_stats *s = lp_stats(lp);
	const struct lp_tx *probe;
	uint64_t srtt;

	lp->lose[18] = 1;
	lp->lose[19] = 1;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_tlp_sent, 1);
	/* RFC 8985 §7.4: the episode ends without a D-SACK of the probe: a repaired loss. */
	assert_true(s->tcp_tlp_recovered >= 1);
	srtt = lp_flow(lp)->srtt >> 3;
	assert_int_equal(srtt, RTT_US);
	probe = lp_first_rtx(lp);
	assert_non_null(probe);
	assert_int_equal(probe->off, 19 * lp->mss);
	assert_int_equal(probe->len, lp->mss);
	assert_int_equal(probe->last_ack_at - lp->t0, 2 * RTT_US);
	/* Armed again at the last ACK (RFC 8985 §7.2); never earlier than 2 * SRTT after
	 * the last transmission. */
	assert_true(probe->at >= lp_tx_at(lp, 19, 1) + 2 * srtt - TICK_US);
	assert_true(probe->at <= probe->last_ack_at + 2 * srtt + PTO_SLACK_US + 2 * TICK_US);
	/* The probe's SACK is back a round trip later; 18 leaves then (at most reo_wnd on). */
	assert_true(lp_tx_at(lp, 18, 2) <= probe->at + RTT_US + RTT_US / 4 + 2 * TICK_US);
	lp_assert_retransmitted(lp, lost, RTE_DIM(lost));
}

static void
test_tlp_last_two_segments_lost_probe_at_two_srtt_no_rto(void **state)
{
	tail_two_lost(*state, false);
}

/* The same with timestamps. The probe reaches the peer out of order (18 is missing), so
 * its ACK echoes the TSval of 17, not the probe's (RFC 7323 §4.3: TS.Recent is only taken
 * from a segment that does not start beyond the last ACK sent; Linux does the same). RFC
 * 8985 §6.2 ignores the delivery of a retransmitted segment when "the TSecr ... indicates
 * the ACK was not acknowledging the last retransmission"; read strictly, that discards
 * exactly the SACK the probe was sent to obtain, and the tail waits for the RTO. Here the
 * probe's delivery must count (as in Linux's tcp_rack_advance, which discards it only when
 * the RTT measured is below min_RTT, and here it is one full RTT). */
static void
test_tlp_last_two_segments_lost_timestamps_probe_sack_counts(void **state)
{
	tail_two_lost(*state, true);
}

/* Only the very last segment (10 of 11, alone in flight after t0 + 10 ms) is lost. RFC 8985
 * §7.2: with one segment in flight the PTO adds TLP.max_ack_delay (the peer may be delaying
 * its ACK of a lone segment; 200 ms when unknown), and is at most the time left to the RTO:
 * here 2 * SRTT + 200 ms against an RTO of 200 ms. The probe (the segment itself) replaces
 * the RTO rather than coming with it, and its ACK repairs the loss. */
static void
test_tlp_lone_last_segment_lost_probe_not_rto(void **state)
{
	struct lp *lp = lp_open(*state, 11, true);
	const struct sl_stats *s = lp_stats(lp);
	const struct lp_tx *probe;
	uint64_t srtt, rto;

	lp->lose[10] = 1;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_tlp_sent, 1);
	/* RFC 8985 §7.4: no D-SACK of the probe, so it repaired a loss. */
	assert_int_equal(s->tcp_tlp_recovered, 1);
	srtt = lp_flow(lp)->srtt >> 3;
	rto = lp_flow(lp)->rto;
	probe = lp_first_rtx(lp);
	assert_non_null(probe);
	assert_int_equal(probe->off, 10 * lp->mss);
	assert_int_equal(probe->last_ack_at - lp->t0, RTT_US);
	assert_true(probe->at >= probe->last_ack_at + 2 * srtt - TICK_US);
	assert_true(probe->at <= probe->last_ack_at + RTE_MIN(2 * srtt + MAX_ACK_DELAY_US, rto) +
				  2 * TICK_US);
	assert_int_equal(s->tcp_retransmit_segs, 1);
}

/* All of the second window (segments 10..29) is lost while 30..39 wait for the congestion
 * window: nothing at all comes back after t0 + 10 ms. RFC 8985 §7.3: the probe is new data
 * when there is some and the peer's window allows it (segment 30), 2 * SRTT after the last
 * ACK. Its SACK shows every earlier segment missing, and RACK recovers them all without an
 * RTO. */
static void
test_tlp_whole_window_lost_probe_sends_new_data(void **state)
{
	struct lp *lp = lp_open(*state, 40, true);
	const struct sl_stats *s = lp_stats(lp);
	uint64_t srtt, probe_at;
	unsigned int i, k;

	for (i = 10; i < 30; i++)
		lp->lose[i] = 1;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_tlp_sent, 1);
	srtt = lp_flow(lp)->srtt >> 3;
	/* The first transmission after the second window is the probe: new data. */
	for (k = 0; k < lp->ntx && lp->tx[k].at <= lp->t0 + RTT_US; k++)
		;
	assert_true(k < lp->ntx);
	assert_int_equal(lp->tx[k].off, 30 * lp->mss);
	assert_int_equal(lp->tx[k].nth, 1);
	probe_at = lp->tx[k].at;
	assert_true(probe_at >= lp->t0 + RTT_US + 2 * srtt - TICK_US);
	assert_true(probe_at <= lp->t0 + RTT_US + 2 * srtt + PTO_SLACK_US + 2 * TICK_US);
	for (i = 10; i < 30; i++)
		assert_true(lp->nth[i] >= 2);
	assert_int_equal(s->tcp_recoveries, 1);
}

/* The same, and the probes are lost too: the probe of new data (segment 30) and then
 * `lost_rtx` of the probes that resend it. Nothing at all comes back, so each further
 * probe resends the last segment sent (30 again), waiting twice as long as the one
 * before (1, 2, 4 PTOs): a duplicate, which every receiver answers at once (in-order data
 * may wait for a delayed ACK). The SACK of the first that gets through starts the
 * recovery of 10..29; no RTO. */
static void
tail_probes_lost(struct tt *x, unsigned int lost_rtx)
{
	struct lp *lp = lp_open(x, 40, true);
	const struct sl_stats *s = lp_stats(lp);
	unsigned int i, n = lost_rtx + 2;	/* probes sent */
	uint64_t srtt, pto, prev, at;

	for (i = 10; i < 30; i++)
		lp->lose[i] = 1;
	lp->lose[30] = (uint8_t)(1 + lost_rtx);
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_tlp_sent, n);
	srtt = lp_flow(lp)->srtt >> 3;
	prev = lp_tx_at(lp, 30, 1);
	assert_true(prev >= lp->t0 + RTT_US + 2 * srtt - TICK_US);
	for (i = 2; i <= n; i++) {
		pto = 2 * srtt << (i - 2);
		at = lp_tx_at(lp, 30, i);
		assert_true(at >= prev + pto - TICK_US);
		assert_true(at <= prev + pto + (PTO_SLACK_US << (i - 2)) + 2 * TICK_US);
		prev = at;
	}
	/* Nothing else left between the probes. */
	for (i = 10; i < 30; i++) {
		assert_true(lp->nth[i] >= 2);
		assert_true(lp_tx_at(lp, i, 2) > prev);
	}
	assert_int_equal(s->tcp_recoveries, 1);
}

static void
test_tlp_new_data_probe_lost_second_probe_resends_last_no_rto(void **state)
{
	tail_probes_lost(*state, 0);
}

static void
test_tlp_probes_lost_twice_third_probe_after_two_ptos_no_rto(void **state)
{
	tail_probes_lost(*state, 1);
}

static void
test_tlp_probes_lost_three_times_fourth_probe_after_four_ptos_no_rto(void **state)
{
	tail_probes_lost(*state, 2);
}

/* Every probe is lost: after the fourth, the RTO (probes are bounded, whatever the peer
 * does), and the transfer completes. */
static void
test_tlp_all_four_probes_lost_then_rto(void **state)
{
	struct lp *lp = lp_open(*state, 40, true);
	const struct sl_stats *s = lp_stats(lp);
	unsigned int i;

	for (i = 10; i < 30; i++)
		lp->lose[i] = 1;
	lp->lose[30] = 4;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_tlp_sent, 4);
	assert_int_equal(s->tcp_rto, 1);
	assert_true(lp_tx_at(lp, 10, 2) > lp_tx_at(lp, 30, 4));
}

/* ---- 4. a lost retransmission ---- */

/* Segment 15 of 80 is lost, and so is its retransmission. New data keeps flowing during
 * recovery, so segments sent after the retransmission are SACKed a round trip after it:
 * RACK (RFC 8985 §6.2) then finds the retransmission older than a delivered segment by more
 * than RACK.rtt + reo_wnd and marks it lost; it leaves a third time about one RTT after
 * the second, not at the RTO (200 ms). */
static void
test_rack_lost_retransmission_detected_by_time_no_rto(void **state)
{
	static const uint32_t lost[] = { 15 };
	struct lp *lp = lp_open(*state, 80, true);
	const struct sl_stats *s = lp_stats(lp);
	uint64_t rtx1, rtx2;
	unsigned int k, k1 = UINT32_MAX;
	bool newer = false;

	lp->lose[15] = 2;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(lp->nth[15], 3);
	rtx1 = lp_tx_at(lp, 15, 2);
	rtx2 = lp_tx_at(lp, 15, 3);
	/* The ACK clock went on: new data left after the first retransmission, within the
	 * round trip that follows it. */
	for (k = 0; k < lp->ntx; k++) {
		if (lp->tx[k].off == 15 * lp->mss && lp->tx[k].nth == 2)
			k1 = k;
		else if (k1 != UINT32_MAX && lp->tx[k].nth == 1 && lp->tx[k].at < rtx1 + RTT_US)
			newer = true;
	}
	assert_true(newer);
	assert_true(rtx2 <= rtx1 + RTT_US + RTT_US / 4 + 2 * TICK_US);
	assert_true(s->tcp_rack_lost >= 1);
	assert_true(s->tcp_recoveries >= 1 && s->tcp_recoveries <= 2);
	lp_assert_retransmitted(lp, lost, RTE_DIM(lost));
}

/* ---- 5. reordering ---- */

/* Segment 13 reaches the peer right after 15 (two SACKs, then the cumulative ACK, at the
 * same instant). Two duplicates are below DupThresh (RFC 6675), and RACK waits reo_wnd
 * (min_RTT / 4, RFC 8985 §6.2: no reordering seen, fewer than DupThresh SACKed, not in
 * recovery) for what came back at once: no retransmission, no reduction. */
static void
test_reorder_two_positions_no_retransmission_no_reduction(void **state)
{
	struct lp *lp = lp_open(*state, 60, true);
	const struct sl_stats *s = lp_stats(lp);

	lp->after[13] = 15 + 1;
	assert_true(lp_run(lp, 2000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_retransmit_segs, 0);
	assert_int_equal(s->tcp_recoveries, 0);
	assert_int_equal(s->tcp_undo, 0);
	assert_int_equal(lp_flow(lp)->ssthresh, TCP_CWND_MAX);
}

struct undo_probe {
	uint32_t cwnd, ssthresh;	/* before the ACK that started recovery */
};

static void
undo_before_ack(struct lp *lp, const struct lp_ack *a __rte_unused)
{
	struct undo_probe *u = lp->arg;
	const struct tcp_flow *f = lp_flow(lp);

	if (lp_stats(lp)->tcp_recoveries == 0) {
		u->cwnd = f->cwnd;
		u->ssthresh = f->ssthresh;
	}
}

static bool
undo_stop_at_dsack(struct lp *lp)
{
	return lp_stats(lp)->tcp_dsack_rx > 0;
}

/* Segment 13 reaches the peer after 18: five SACKs precede the cumulative ACK. The third
 * meets DupThresh with no reordering seen before (RACK's reo_wnd is then 0), so 13 is
 * retransmitted, spuriously, once. The peer reports the duplicate with a D-SACK block below
 * its cumulative ACK (RFC 2883 §4.1) a round trip later: the reduction is undone, cwnd and
 * ssthresh back to at least what they were before the recovery (with timestamps the undo
 * may come earlier, when the ACK of the original echoes a TSval older than the
 * retransmission, RFC 3522; it is counted once either way). */
static void
test_reorder_five_positions_spurious_rtx_dsack_undoes_reduction(void **state)
{
	struct lp *lp = lp_open(*state, 60, true);
	const struct sl_stats *s = lp_stats(lp);
	struct undo_probe u = { 0 };
	const struct tcp_flow *f;

	lp->after[13] = 18 + 1;
	lp->arg = &u;
	lp->before_ack = undo_before_ack;
	lp->stop = undo_stop_at_dsack;
	assert_true(lp_run(lp, 2000000));
	f = lp_flow(lp);
	assert_int_equal(s->tcp_recoveries, 1);
	assert_int_equal(s->tcp_retransmit_segs, 1);
	assert_int_equal(lp->nth[13], 2);
	assert_int_equal(s->tcp_dsack_rx, 1);
	assert_int_equal(s->tcp_undo, 1);
	assert_true(u.cwnd > 0);
	if (f->cwnd < u.cwnd || f->ssthresh < u.ssthresh)
		fail_msg("not undone: cwnd %u ssthresh %u, before the recovery %u and %u",
			 f->cwnd, f->ssthresh, u.cwnd, u.ssthresh);
	lp->stop = NULL;
	lp->before_ack = NULL;
	assert_true(lp_run(lp, 2000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_undo, 1);
	assert_int_equal(s->tcp_recoveries, 1);
	assert_int_equal(s->tcp_sack_bad, 0);
}

/* ---- 6. hostile SACK input ---- */

struct hostile {
	bool done;
	uint64_t bad_before, dsack_before;
};

/* After the first ACK with a SACK block (the hole at 12 is known, 13 SACKed), the peer
 * sends ACKs of the same cumulative ACK with blocks no receiver may send: beyond SND.MAX
 * (just, far, and straddling it), empty, reversed, huge, and, not in first position,
 * below SND.UNA. Then blocks that are valid but odd: overlapping, out of order, repeated,
 * covering data the peer does hold. */
static void
hostile_after_ack(struct lp *lp, const struct lp_ack *a, unsigned int sent __rte_unused)
{
	struct hostile *h = lp->arg;
	const struct tcp_flow *f = lp_flow(lp);
	uint32_t una = f->snd_una, max = f->snd_max, m = lp->mss, b = lp->base, ack;

	if (h->done || a->nsack == 0 || a->dsack)
		return;
	h->done = true;
	ack = b + a->ack;
	assert_int_equal(ack, una);
	h->bad_before = lp_stats(lp)->tcp_sack_bad;
	h->dsack_before = lp_stats(lp)->tcp_dsack_rx;
	{
		const struct tcp_sack_block bad1[] = {
			{ max, max + m },			/* beyond SND.MAX */
			{ una + m, una + m },			/* empty */
			{ una + 3 * m, una + m },		/* reversed */
		};
		const struct tcp_sack_block bad2[] = {
			{ b + 13 * m, b + 14 * m },		/* valid, known already */
			{ una - 5 * m, una - 4 * m },		/* below SND.UNA */
		};
		const struct tcp_sack_block odd1[] = {
			{ b + 13 * m, b + 16 * m },
			{ b + 14 * m, b + 17 * m },		/* overlaps the first */
			{ b + 13 * m, b + 15 * m },		/* inside it */
		};
		/* Inside what was reported: a block beyond an unreported run (20 before
		 * 17..19) would say 17..19 are missing, and RACK rightly takes that for
		 * a loss (RFC 8985 §6.2: no reordering window once DupThresh segments
		 * are SACKed). */
		const struct tcp_sack_block odd2[] = {
			{ b + 15 * m, b + 16 * m },
			{ b + 14 * m, b + 15 * m },		/* out of order */
			{ b + 15 * m, b + 16 * m },		/* repeated */
		};

		lp_send_ack_raw(lp, ack, bad1, RTE_DIM(bad1), lp->ts_recent);
		lp_send_ack_raw(lp, ack, bad2, RTE_DIM(bad2), lp->ts_recent);
		/* SND.MAX as it is now: the duplicates above may have let new data out
		 * (limited transmit, RFC 3042). */
		max = f->snd_max;
		{
			const struct tcp_sack_block bad3[] = {
				{ max + 100000, max + 200000 },	/* far beyond */
				{ max - m, max + m },		/* straddles SND.MAX */
				{ una + 10, una + 10 + 0x80000005u },	/* half the space */
			};

			lp_send_ack_raw(lp, ack, bad3, RTE_DIM(bad3), lp->ts_recent);
		}
		assert_int_equal(lp_stats(lp)->tcp_sack_bad - h->bad_before, 7);
		lp_send_ack_raw(lp, ack, odd1, RTE_DIM(odd1), lp->ts_recent);
		lp_send_ack_raw(lp, ack, odd2, RTE_DIM(odd2), lp->ts_recent);
		assert_int_equal(lp_stats(lp)->tcp_sack_bad - h->bad_before, 7);
	}
}

static void
test_sack_invalid_blocks_counted_and_ignored_transfer_completes(void **state)
{
	static const uint32_t lost[] = { 12 };
	struct lp *lp = lp_open(*state, 40, true);
	const struct sl_stats *s = lp_stats(lp);
	struct hostile h = { 0 };
	unsigned int i;

	lp->lose[12] = 1;
	lp->arg = &h;
	lp->after_ack = hostile_after_ack;
	assert_true(lp_run(lp, 5000000));
	assert_true(h.done);
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_sack_bad - h.bad_before, 7);
	assert_int_equal(s->tcp_dsack_rx - h.dsack_before, 0);
	assert_int_equal(s->tcp_rto, 0);
	/* The odd blocks were true: what they SACKed is never sent again. */
	for (i = 13; i < 30; i++)
		assert_int_equal(lp->nth[i], 1);
	lp_assert_retransmitted(lp, lost, RTE_DIM(lost));
}

/* The first ACK with four blocks: none of them is bad; the same ACK again with an invalid
 * fourth block (beyond SND.MAX) has that one counted. */
static void
four_after_ack(struct lp *lp, const struct lp_ack *a, unsigned int sent __rte_unused)
{
	bool *done = lp->arg;
	struct tcp_sack_block b[4];
	uint32_t max = lp_flow(lp)->snd_max;
	unsigned int i;

	if (*done || a->nsack != 4 || a->dsack)
		return;
	*done = true;
	assert_int_equal(lp_stats(lp)->tcp_sack_bad, 0);
	for (i = 0; i < 3; i++) {
		b[i].start = lp->base + a->sack[i].start;
		b[i].end = lp->base + a->sack[i].end;
	}
	b[3] = (struct tcp_sack_block){ max + lp->mss, max + 2 * lp->mss };
	lp_send_ack_raw(lp, lp->base + a->ack, b, 4, 0);
	assert_int_equal(lp_stats(lp)->tcp_sack_bad, 1);
}

/* Without timestamps the peer has room for four SACK blocks (RFC 2018 §3), and uses it:
 * with segments 0, 2, 4, 6 and 8 of 10 lost, its ACK of 7 reports 7, 5, 3 and 1. Four
 * valid blocks are not counted bad; an invalid fourth block is. The five holes are
 * repaired without an RTO, and nothing SACKed is retransmitted. */
static void
test_sack_four_blocks_without_timestamps(void **state)
{
	static const uint32_t lost[] = { 0, 2, 4, 6, 8 };
	struct lp *lp = lp_open(*state, 10, false);
	const struct sl_stats *s = lp_stats(lp);
	bool done = false;
	unsigned int i;

	for (i = 0; i < RTE_DIM(lost); i++)
		lp->lose[lost[i]] = 1;
	lp->arg = &done;
	lp->after_ack = four_after_ack;
	assert_true(lp_run(lp, 5000000));
	assert_true(done);
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_sack_bad, 1);
	assert_int_equal(s->tcp_rto, 0);
	for (i = 1; i < 10; i += 2)
		assert_int_equal(lp->nth[i], 1);
	lp_assert_retransmitted(lp, lost, RTE_DIM(lost));
}

static bool
flood_stop(struct lp *lp)
{
	return lp->ntx >= 150;
}

/* The SACK-panic class of input: thousands of ACKs, each with three 1-byte blocks at
 * pseudo-random places across a window of some 80 segments (a quarter of them invalid),
 * while the segments themselves are still on their way. The stack may believe them (they
 * are not impossible), but the work must stay bounded: no time passes, so no segment can
 * time out or be found lost twice, and each byte may leave at most once more (twice the
 * segments outstanding or unsent when the flood began, allowing a split of each around
 * the bytes SACKed; a scoreboard that retransmitted every gap between the bytes SACKed
 * would send thousands of tiny segments). Every invalid block is counted. Then the
 * segments arrive, the real ACKs follow, and the transfer completes byte-exact. */
static void
test_sack_flood_of_tiny_blocks_bounded_transfer_completes(void **state)
{
	const unsigned int nacks = 4000;
	struct lp *lp = lp_open(*state, 200, true);
	const struct sl_stats *s = lp_stats(lp);
	uint64_t rng = 0x5ac4, bad0, invalid = 0;
	uint32_t una, max, span, segs, sent = 0;
	unsigned int i, k;
	struct tcp_flow *f;

	/* Three rounds without loss: segments 70..149 are on their way. */
	lp->stop = flood_stop;
	assert_true(lp_run(lp, 1000000));
	lp->stop = NULL;
	assert_int_equal(lp->nseg, 80);
	f = lp_flow(lp);
	una = f->snd_una;
	max = f->snd_max;
	span = max - una;
	assert_int_equal(span, 80 * lp->mss);
	segs = (lp->base + lp->total - una) / lp->mss;
	bad0 = s->tcp_sack_bad;
	for (i = 0; i < nacks; i++) {
		struct tcp_sack_block blk[3];

		for (k = 0; k < 3; k++) {
			unsigned int kind;
			uint32_t at;

			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			/* SND.MAX as it is now: the flood's duplicates let new data out. */
			max = f->snd_max;
			at = una + 1 + (uint32_t)((rng >> 33) % (span - 2));
			kind = (unsigned int)(rng >> 20) & 15;
			/* A first block inside the second is a D-SACK (RFC 2883 §4): no
			 * second block that could hold the first. */
			if (kind == 3 && k == 1)
				kind = 4;
			switch (kind) {
			case 0:
				at += max - una;
				blk[k] = (struct tcp_sack_block){ at, at + 1 };
				invalid++;
				break;
			case 1:
				blk[k] = (struct tcp_sack_block){ at + 1, at };
				invalid++;
				break;
			case 2:
				blk[k] = (struct tcp_sack_block){ at, at };
				invalid++;
				break;
			case 3:
				blk[k] = (struct tcp_sack_block){ at, max + 1 };
				invalid++;
				break;
			default:
				blk[k] = (struct tcp_sack_block){ at, at + 1 };
				break;
			}
		}
		sent += lp_send_ack_raw(lp, una, blk, 3, lp->ts_recent);
	}
	assert_int_equal(s->tcp_sack_bad - bad0, invalid);
	if (sent > 2 * segs + 16)
		fail_msg("%u segments sent for %u ACKs of 1-byte SACK blocks (%u segments "
			 "outstanding or unsent)", sent, nacks, segs);
	assert_int_equal(lp_flow(lp)->state, SL_TCP_ESTABLISHED);
	assert_true(lp_run(lp, 30000000));
	lp_assert_complete(lp);
	assert_int_equal(s->tcp_sack_bad - bad0, invalid);
}

/* Reneging (RFC 2018 §8, RFC 6675 §5.1): segment 12 is lost, the peer SACKs 13..29, and
 * then drops them; its ACK of the retransmitted 12 stops at 13 and never SACKs them again.
 * The SACKed data was kept, so it can be sent again: the transfer must complete (an RTO
 * may be needed for that; it must also clear what the scoreboard believed). */
static void
test_sack_reneging_peer_data_sent_again_transfer_completes(void **state)
{
	struct lp *lp = lp_open(*state, 30, true);
	unsigned int i;

	lp->lose[12] = 1;
	lp->renege = true;
	assert_true(lp_run(lp, 30000000));
	assert_true(lp->reneged);
	lp_assert_complete(lp);
	for (i = 13; i < 30; i++)
		assert_true(lp->nth[i] >= 2);
}

/* ---- 6b. restart after idle ---- */

/* Data segments the stack sent since the last look, taken in by the peer; each one
 * acknowledged when ack is set. */
static unsigned int
idle_data_segs(struct tpeer *p, bool ack)
{
	struct tp_out o;
	unsigned int n = 0;

	while (tpeer_recv(p, &o)) {
		if (o.len == 0)
			continue;
		n++;
		if (ack)
			tpeer_ack(p);
	}
	return n;
}

/* RFC 5681 §4.1: after an idle period longer than the RTO (200 ms here) the window
 * restarts at min(IW, cwnd) = 10 segments before sending resumes; after a shorter one
 * (100 ms), or with [tcp] slow-start-after-idle off, it is kept. The window first grows in
 * slow start, the peer acknowledging each segment at once. */
static void
idle_restart(struct tt *x, uint64_t idle_us, bool restart)
{
	static uint8_t d[40 * 1448];
	struct tpeer *p = &x->p;
	struct sl_conn *c = tpeer_connect(p);
	struct tcp_flow *f = tpeer_flow(p);
	const struct sl_stats *s = th_stats(&x->t);
	unsigned int i, n;
	uint32_t cwnd;

	for (i = 0; i < 4; i++) {
		assert_int_equal(sl_conn_send(c, d, sizeof(d)), 0);
		th_poll(&x->t);
		while (idle_data_segs(p, true) > 0)
			th_poll(&x->t);
	}
	assert_int_equal(f->snd_una, f->snd_max);
	cwnd = f->cwnd;
	assert_true(cwnd >= 20u * f->mss);
	tp_advance(&x->t, idle_us, 10000);
	assert_int_equal(sl_conn_send(c, d, sizeof(d)), 0);
	th_poll(&x->t);
	n = idle_data_segs(p, false);
	if (restart) {
		assert_int_equal(f->cwnd, 10u * f->mss);
		assert_int_equal(n, 10);
		assert_int_equal(s->tcp_idle_restarts, 1);
	} else {
		assert_int_equal(f->cwnd, cwnd);
		assert_int_equal(n, RTE_MIN(cwnd / f->mss, 40u));
		assert_int_equal(s->tcp_idle_restarts, 0);
	}
}

static void
test_idle_longer_than_rto_window_restarts_at_iw(void **state)
{
	idle_restart(*state, 300000, true);
}

static void
test_idle_shorter_than_rto_window_kept(void **state)
{
	idle_restart(*state, 100000, false);
}

static void
test_idle_restart_off_window_kept(void **state)
{
	idle_restart(*state, 300000, false);
}

static int
no_idle_restart_setup(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.tlp = true;
	cfg.idle_restart = false;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* ---- 7. proportional rate reduction ---- */

/* RFC 6937 §3, computed from the test's own knowledge of the connection: at the ACK that
 * starts recovery, RecoverFS = snd.nxt - snd.una and ssthresh is what the congestion
 * control chose; then on every ACK before the one that acknowledges the recovery point:
 *
 *     DeliveredData = change_in(snd.una) + change_in(SACKd)   (here: the bytes the segment
 *                      behind the ACK brought the peer)
 *     prr_delivered += DeliveredData
 *     pipe = RFC 6675 pipe (here: transmissions not known delivered, counting the
 *            original only when it was not lost and a retransmission always)
 *     if pipe > ssthresh:  sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
 *     else:                sndcnt = MIN(ssthresh - pipe,
 *                                       MAX(prr_delivered - prr_out, DeliveredData) + MSS)
 *
 * and the segments sent in answer must be sndcnt's worth: floor(sndcnt / MSS) by the bytes
 * of the RFC (a sender sends full segments when cwnd - pipe >= SMSS, RFC 6675 (C)), or
 * ceil by a count of segments (Linux); both are accepted. The ACK that starts recovery
 * sends at least the fast retransmission (RFC 6675 §5 step 4.3). The check is skipped for
 * an ACK where pipe depends on whether the sender has yet marked a lost segment lost
 * (fewer than DupThresh segments SACKed above it). */
struct prr {
	bool in, done;
	unsigned int tx_first;			/* the first transmission in recovery */
	uint64_t rec_before;
	uint32_t una_before, max_before;
	uint64_t recover_fs, ssthresh, point;	/* bytes; point: an offset */
	uint64_t delivered, out;		/* prr_delivered, prr_out (bytes) */
	unsigned int checked_prop, checked_ssrb, skipped;
};

/* Bytes SACKed or ACKed above off, as far as the stack was told. */
static unsigned int
known_segs_above(const struct lp *lp, uint32_t off)
{
	unsigned int i, n = 0;

	for (i = 0; i < lp->known.n; i++)
		if (lp->known.r[i].e > off)
			n += (lp->known.r[i].e - RTE_MAX(lp->known.r[i].s, off)) / lp->mss;
	return n;
}

/* RFC 6675 pipe over the transmissions before ntx_end, in bytes; -1 when it depends on
 * loss marking the sender may not have done yet. */
static int64_t
lp_pipe(const struct lp *lp, unsigned int ntx_end)
{
	int64_t pipe = 0;
	unsigned int k;

	for (k = 0; k < ntx_end; k++) {
		const struct lp_tx *t = &lp->tx[k];
		bool lost;

		if (set_covers(&lp->known, t->off, t->off + t->len))
			continue;
		if (t->nth > 1) {
			pipe += t->len;		/* (b): retransmitted */
			continue;
		}
		lost = known_segs_above(lp, t->off + t->len) >= DUPTHRESH;
		if (lost != t->dropped)
			return -1;
		if (!lost)
			pipe += t->len;		/* (a): not lost */
	}
	return pipe;
}

static void
prr_before_ack(struct lp *lp, const struct lp_ack *a __rte_unused)
{
	struct prr *pc = lp->arg;
	const struct tcp_flow *f = lp_flow(lp);

	pc->rec_before = lp_stats(lp)->tcp_recoveries;
	if (!pc->in && !pc->done && pc->rec_before > 0)
		fail_msg("recovery started without an ACK (at %" PRIu64 " us): it should start "
			 "at the ACK that brings the third SACKed segment (RFC 6675 DupThresh, "
			 "RFC 8985 reo_wnd 0)", lp_now(lp) - lp->t0);
	pc->una_before = f->snd_una;
	pc->max_before = f->snd_max;
}

static void
prr_after_ack(struct lp *lp, const struct lp_ack *a, unsigned int sent)
{
	struct prr *pc = lp->arg;
	const struct tcp_flow *f = lp_flow(lp);
	uint64_t mss = lp->mss, lo, hi, out_segs;
	int64_t pipe;
	unsigned int k;

	if (!pc->in) {
		if (lp_stats(lp)->tcp_recoveries == pc->rec_before)
			return;
		if (pc->done)
			fail_msg("a second recovery episode");
		pc->in = true;
		pc->recover_fs = pc->max_before - f->snd_una;
		pc->ssthresh = f->ssthresh;
		pc->point = pc->max_before - lp->base;
		pc->tx_first = lp->ntx - sent;
		assert_true(pc->ssthresh < pc->recover_fs);
	}
	if (a->ack >= pc->point) {
		/* The recovery point is acknowledged: recovery ends, cwnd is settled
		 * (ssthresh), PRR no longer applies. */
		pc->in = false;
		pc->done = true;
		return;
	}
	pc->delivered += a->delivered;
	/* prr_out: everything sent since recovery began, timers' sends included. */
	pc->out = 0;
	for (k = pc->tx_first; k < lp->ntx - sent; k++)
		pc->out += lp->tx[k].len;
	pipe = lp_pipe(lp, lp->ntx - sent);
	out_segs = pc->out / mss;
	/* RACK (RFC 8985) marks segments lost by time, before DupThresh segments are
	 * SACKed above them, which this model's pipe cannot know: once it has, PRR is
	 * checked against the sender's own RFC 6675 pipe at the ACK (its scoreboard, which
	 * test_tcp_sack.c checks), less what it sent in answer. */
	/* RACK (RFC 8985) marks segments lost by time, before DupThresh segments are
	 * SACKed above them, which this model's pipe cannot know. PRR is checked against
	 * the sender's own RFC 6675 pipe at the ACK (its scoreboard, which test_tcp_sack.c
	 * checks), less what it sent in answer; the model's pipe only decides which ACKs
	 * are clear enough to check. */
	if (pipe >= 0) {
		int64_t answer = 0;

		for (k = lp->ntx - sent; k < lp->ntx; k++)
			answer += lp->tx[k].len;
		pipe = (int64_t)tcp_sb_pipe(f) - answer;
	}
	if (pipe < 0) {
		pc->skipped++;
	} else if ((uint64_t)pipe > pc->ssthresh) {
		uint64_t num = pc->delivered * pc->ssthresh;
		uint64_t bytes = (num + pc->recover_fs - 1) / pc->recover_fs;

		/* By bytes: floor(CEIL(...) / MSS); by segments: CEIL(... / MSS). */
		lo = bytes / mss;
		hi = (num + pc->recover_fs * mss - 1) / (pc->recover_fs * mss);
		lo = lo > out_segs ? lo - out_segs : 0;
		hi = hi > out_segs ? hi - out_segs : 0;
		pc->checked_prop++;
		if (pc->out == 0) {
			lo = RTE_MAX(lo, (uint64_t)1);
			hi = RTE_MAX(hi, (uint64_t)1);
		}
		if (sent < lo || sent > hi)
			fail_msg("PRR (proportional part) at %" PRIu64 " us: prr_delivered %" PRIu64
				 " ssthresh %" PRIu64 " RecoverFS %" PRIu64 " prr_out %" PRIu64
				 " (bytes), pipe %" PRId64 ": sent %u segments, expected %" PRIu64
				 "..%" PRIu64, lp_now(lp) - lp->t0, pc->delivered, pc->ssthresh,
				 pc->recover_fs, pc->out, pipe, sent, lo, hi);
	} else {
		int64_t lim = (int64_t)RTE_MAX((int64_t)pc->delivered - (int64_t)pc->out,
					       (int64_t)a->delivered) + (int64_t)mss;
		int64_t cnt = RTE_MIN((int64_t)pc->ssthresh - pipe, lim);

		lo = cnt > 0 ? (uint64_t)cnt / mss : 0;
		hi = cnt > 0 ? ((uint64_t)cnt + mss - 1) / mss : 0;
		pc->checked_ssrb++;
		if (pc->out == 0) {
			lo = RTE_MAX(lo, (uint64_t)1);
			hi = RTE_MAX(hi, (uint64_t)1);
		}
		if (sent < lo || sent > hi)
			fail_msg("PRR (reduction bound) at %" PRIu64 " us: prr_delivered %" PRIu64
				 " prr_out %" PRIu64 " DeliveredData %u ssthresh %" PRIu64
				 " pipe %" PRId64 " (bytes): sent %u segments, expected %" PRIu64
				 "..%" PRIu64,
				 lp_now(lp) - lp->t0, pc->delivered, pc->out, a->delivered,
				 pc->ssthresh, pipe, sent, lo, hi);
	}
}

static struct lp *
prr_open(struct tt *x, struct prr *pc)
{
	struct lp *lp = lp_open(x, 100, true);

	memset(pc, 0, sizeof(*pc));
	lp->arg = pc;
	lp->before_ack = prr_before_ack;
	lp->after_ack = prr_after_ack;
	return lp;
}

/* Segment 10 (the first of the window 10..29) is lost, with plenty of new data to send:
 * pipe stays above ssthresh for most of the recovery, so about one segment leaves for
 * every two delivered (ssthresh / RecoverFS is about 1/2) -- where NewReno would send
 * nothing until enough duplicates had inflated cwnd past the flight, then one per ACK. */
static void
test_prr_one_loss_proportional_sends_per_ack(void **state)
{
	struct prr pc;
	struct lp *lp = prr_open(*state, &pc);
	const struct sl_stats *s = lp_stats(lp);

	lp->lose[10] = 1;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_true(pc.done);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_recoveries, 1);
	assert_true(pc.checked_prop >= 10);
}

/* Half of the window 10..29 (segments 10..19) is lost: from the start of the recovery
 * pipe is below ssthresh, and PRR's slow-start reduction bound decides (PRR-SSRB): at most
 * what was delivered plus one segment per ACK, up to ssthresh. */
static void
test_prr_heavy_loss_reduction_bound_sends_per_ack(void **state)
{
	struct prr pc;
	struct lp *lp = prr_open(*state, &pc);
	const struct sl_stats *s = lp_stats(lp);
	unsigned int i;

	for (i = 10; i < 20; i++)
		lp->lose[i] = 1;
	assert_true(lp_run(lp, 5000000));
	lp_assert_complete(lp);
	assert_true(pc.done);
	assert_int_equal(s->tcp_rto, 0);
	assert_int_equal(s->tcp_recoveries, 1);
	assert_true(pc.checked_ssrb >= 10);
}

/* ---- the ACK of everything in flight: fast path against the general path ---- */

#define AA_ROUNDS	48
#define AA_OUT_MAX	512

/* What a run leaves behind after each round: the sender's state (sequence numbers
 * relative to its ISN), and everything it sent. */
struct aa_snap {
	uint32_t snd_una, snd_nxt, snd_max, recover, sack_high, rtt_seq;
	uint32_t cwnd, ssthresh, srtt, rttvar, rto, flags, tx_bytes;
	uint64_t rtx_at, unacked_since, idle_since, bytes_acked;
	uint8_t nrtx, backoff, rtt_timing, sb_n;
	uint16_t dupacks;
	uint32_t sb_fack, sb_last;
	struct tcp_sb_rec sb_rec[TCP_SB_RECS];
	struct tcp_rec rec;
	union tcp_cc_state cc;
};

struct aa_out {
	uint32_t seq, ack, len;
	uint16_t wnd;
	uint8_t flags;
};

struct aa_result {
	struct aa_snap snap[AA_ROUNDS];
	struct aa_out out[AA_OUT_MAX];
	unsigned int nout;
	unsigned int eligible;		/* ACKs the fast path's precondition admits */
	struct sl_stats stats;
};

static void
aa_collect(struct tpeer *p, const struct tcp_flow *f, struct aa_result *r)
{
	static struct tp_out o;

	while (tpeer_recv(p, &o)) {
		assert_true(r->nout < AA_OUT_MAX);
		r->out[r->nout].seq = o.seq - f->iss;
		r->out[r->nout].ack = o.ack - p->iss;
		r->out[r->nout].len = o.len;
		r->out[r->nout].wnd = o.wnd;
		r->out[r->nout].flags = o.flags;
		r->nout++;
	}
}

static void
aa_snap(const struct tcp_flow *f, struct aa_snap *a)
{
	unsigned int i;

	memset(a, 0, sizeof(*a));
	a->snd_una = f->snd_una - f->iss;
	a->snd_nxt = f->snd_nxt - f->iss;
	a->snd_max = f->snd_max - f->iss;
	a->recover = f->recover - f->iss;
	a->sack_high = f->sack_high - f->iss;
	a->rtt_seq = f->rtt_seq - f->iss;
	a->cwnd = f->cwnd;
	a->ssthresh = f->ssthresh;
	a->srtt = f->srtt;
	a->rttvar = f->rttvar;
	a->rto = f->rto;
	a->flags = f->flags;
	a->tx_bytes = f->tx.bytes;
	a->rtx_at = f->rtx_at;
	a->unacked_since = f->unacked_since;
	a->idle_since = f->idle_since;
	a->bytes_acked = f->bytes_acked;
	a->nrtx = f->nrtx;
	a->backoff = f->backoff;
	a->rtt_timing = f->rtt_timing;
	a->dupacks = f->dupacks;
	a->sb_n = f->sb.n;
	a->sb_fack = f->sb.fack - f->iss;
	a->sb_last = f->sb.last;
	for (i = 0; i < f->sb.n; i++) {
		a->sb_rec[i].end = f->sb.rec[i].end - f->iss;
		a->sb_rec[i].xmit = f->sb.rec[i].xmit;
		a->sb_rec[i].flags = f->sb.rec[i].flags;
	}
	a->rec = f->rec;
	a->cc = f->cc_state;
}

/* The state tcp_in.c's tcp_ack_all_ok asks for, before an ACK of everything in flight. */
static bool
aa_eligible(const struct tcp_flow *f)
{
	return !(f->flags & (TF_RECOVERY | TF_PERSIST | TF_FIN_SENT)) && f->sb.n == 1 &&
	       f->sb.rec[0].flags == 0 && f->sb.rec[0].end == f->snd_max &&
	       !f->rec.undo_ok && !f->rec.tlp_out && f->snd_una != f->snd_max;
}

/* An ACK of ack with a D-SACK block [ack - 1, ack) (a duplicate of the last byte). */
static void
aa_ack_dsack(struct tpeer *p, uint32_t ack)
{
	const struct tcp_sack_block b = { .start = ack - 1, .end = ack };
	uint8_t o[TCP_OPT_MAX];
	size_t n = 0;

	if (p->ts_on) {
		tp_opt_nop(o, &n);
		tp_opt_nop(o, &n);
		tp_opt_ts(o, &n, p->tsval, p->ts_recent);
	}
	tp_opt_nop(o, &n);
	tp_opt_nop(o, &n);
	tp_opt_sack(o, &n, &b, 1);
	tpeer_xmit_opts(p, TH_ACK, p->snd_nxt, ack, p->wnd, o, n, NULL, 0);
	p->tsval++;
}

/* Rounds of a request-response exchange with the peer, each acknowledged another way:
 * with data of the peer's (header prediction), by a pure ACK, in two steps (a partial
 * ACK first), with a D-SACK block (the general ACK path), not at all until the tail loss
 * probe went (a probe out), with a changed window; writes of one byte and of several
 * segments; general: every ACK takes tcp_ack_new_general. */
static void
aa_run(struct tt *x, bool general, struct aa_result *r)
{
	static const uint32_t sizes[] = { 1, 3000, 1, 200, 1, 4000, 17 };
	struct tpeer *p = &x->p;
	const uint8_t *d = pattern(4000);
	struct tcp_flow *f;
	struct sl_conn *c;
	unsigned int i, k, shape, reqs = 0;

	memset(r, 0, sizeof(*r));
	x->t.w->tcp.ack_all_off = general;
	c = tpeer_connect(p);
	f = tpeer_flow(p);
	for (i = 0; i < AA_ROUNDS; i++) {
		uint32_t len = sizes[i % RTE_DIM(sizes)];

		assert_int_equal(sl_conn_send(c, d, len), 0);
		th_poll(&x->t);
		aa_collect(p, f, r);
		tp_advance(&x->t, 20 + (i * 37) % 80, 10);
		aa_collect(p, f, r);
		/* The probe last: the reduction it makes may be undone for as long as the
		 * connection lives, which keeps later ACKs on the general path. */
		shape = i >= AA_ROUNDS - 6 && i % 3 == 0 ? 5 : i % 5;
		if ((shape == 0 || shape == 1 || shape == 4) && aa_eligible(f) &&
		    seq_ge(p->rcv_nxt, f->snd_max))
			r->eligible++;
		switch (shape) {
		case 0:
			tpeer_send(p, TH_ACK | TH_PSH, "req", 3);
			reqs++;
			break;
		case 1:
			tpeer_ack(p);
			break;
		case 2:
			tpeer_xmit(p, TH_ACK, p->snd_nxt, f->snd_una + 1, NULL, 0);
			aa_collect(p, f, r);
			tp_advance(&x->t, 60, 20);
			tpeer_ack(p);
			break;
		case 3:
			aa_ack_dsack(p, p->rcv_nxt);
			break;
		case 4:
			p->wnd = (uint16_t)(p->wnd - 64 - i);
			tpeer_ack(p);
			break;
		default:
			assert_int_not_equal(tp_run_until_tx(&x->t, 2000000), UINT64_MAX);
			aa_collect(p, f, r);
			tpeer_ack(p);
			break;
		}
		aa_collect(p, f, r);
		/* What that ACK let out (a tail the window held back) is ACKed too. */
		for (k = 0; k < 4 && f->snd_una != f->snd_max; k++) {
			tpeer_ack(p);
			aa_collect(p, f, r);
		}
		assert_int_equal(f->snd_una, f->snd_max);
		aa_snap(f, &r->snap[i]);
	}
	tt_flush(x, 50000);
	aa_collect(p, f, r);
	r->stats = *th_stats(&x->t);
	assert_int_equal(p->tc->rx_bytes, 3u * reqs);
}

/* tcp_in.c's tcp_ack_all (an ACK of everything in flight, one plain record, no recovery,
 * no probe, no SACK news) leaves every round of an exchange as the general path does: the
 * same sender state (scoreboard, RTT estimator, RACK, CUBIC, timers), the same segments
 * sent and the same counters; and the exchange gives it many ACKs to take. */
static void
test_ack_all_fast_path_matches_general_path(void **state)
{
	static struct aa_result fast, ref;
	struct tt *x = *state;
	struct sl_config cfg;
	unsigned int i;

	aa_run(x, false, &fast);
	tp_config(&cfg);
	cfg.tlp = true;		/* as recovery_setup */
	x = tt_fixture_renew(state, &cfg);
	aa_run(x, true, &ref);
	print_message("rounds %u, ACKs for the fast path %u, segments %u/%u\n", AA_ROUNDS,
		      fast.eligible, fast.nout, ref.nout);
	assert_true(fast.eligible >= AA_ROUNDS / 2);
	assert_int_equal(fast.eligible, ref.eligible);
	for (i = 0; i < AA_ROUNDS; i++) {
		const struct aa_snap *a = &fast.snap[i], *b = &ref.snap[i];

		if (memcmp(a, b, sizeof(*a)) != 0)
			fail_msg("round %u: state differs (snd_una %u/%u cwnd %u/%u srtt %u/%u "
				 "rtx_at %" PRIu64 "/%" PRIu64 ")", i, a->snd_una, b->snd_una,
				 a->cwnd, b->cwnd, a->srtt, b->srtt, a->rtx_at, b->rtx_at);
	}
	assert_int_equal(fast.nout, ref.nout);
	assert_memory_equal(fast.out, ref.out, fast.nout * sizeof(fast.out[0]));
	assert_memory_equal(&fast.stats, &ref.stats, sizeof(fast.stats));
}

/* Every test here runs with tail loss probes on (tp_config leaves them off for the
 * tests of other mechanisms). */
static int
recovery_setup(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.tlp = true;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* The PRR tests: NewReno, whose ssthresh (half the flight) their expectations name. */
static int
prr_setup(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.tlp = true;
	snprintf(cfg.cc, sizeof(cfg.cc), "%s", "newreno");
	return tt_fixture_setup_cfg(state, &cfg);
}

static const struct CMUnitTest tests[] = {
	TT_TEST_SETUP(test_model_lossless_transfer_slow_start_no_retransmission, recovery_setup),
	TT_TEST_SETUP(test_sack_one_loss_in_window_repaired_without_rto, recovery_setup),
	TT_TEST_SETUP(test_sack_three_losses_in_window_all_retransmitted_within_one_rtt, recovery_setup),
	TT_TEST_SETUP(test_tlp_last_two_segments_lost_probe_at_two_srtt_no_rto, recovery_setup),
	TT_TEST_SETUP(test_tlp_last_two_segments_lost_timestamps_probe_sack_counts, recovery_setup),
	TT_TEST_SETUP(test_tlp_lone_last_segment_lost_probe_not_rto, recovery_setup),
	TT_TEST_SETUP(test_tlp_whole_window_lost_probe_sends_new_data, recovery_setup),
	TT_TEST_SETUP(test_tlp_new_data_probe_lost_second_probe_resends_last_no_rto, recovery_setup),
	TT_TEST_SETUP(test_tlp_probes_lost_twice_third_probe_after_two_ptos_no_rto, recovery_setup),
	TT_TEST_SETUP(test_tlp_probes_lost_three_times_fourth_probe_after_four_ptos_no_rto,
		      recovery_setup),
	TT_TEST_SETUP(test_tlp_all_four_probes_lost_then_rto, recovery_setup),
	TT_TEST_SETUP(test_rack_lost_retransmission_detected_by_time_no_rto, recovery_setup),
	TT_TEST_SETUP(test_reorder_two_positions_no_retransmission_no_reduction, recovery_setup),
	TT_TEST_SETUP(test_reorder_five_positions_spurious_rtx_dsack_undoes_reduction, recovery_setup),
	TT_TEST_SETUP(test_sack_invalid_blocks_counted_and_ignored_transfer_completes, recovery_setup),
	TT_TEST_SETUP(test_sack_four_blocks_without_timestamps, recovery_setup),
	TT_TEST_SETUP(test_sack_flood_of_tiny_blocks_bounded_transfer_completes, recovery_setup),
	TT_TEST_SETUP(test_sack_reneging_peer_data_sent_again_transfer_completes, recovery_setup),
	TT_TEST_SETUP(test_idle_longer_than_rto_window_restarts_at_iw, recovery_setup),
	TT_TEST_SETUP(test_idle_shorter_than_rto_window_kept, recovery_setup),
	TT_TEST_SETUP(test_idle_restart_off_window_kept, no_idle_restart_setup),
	TT_TEST_SETUP(test_prr_one_loss_proportional_sends_per_ack, prr_setup),
	TT_TEST_SETUP(test_prr_heavy_loss_reduction_bound_sends_per_ack, prr_setup),
	TT_TEST_SETUP(test_ack_all_fast_path_matches_general_path, recovery_setup),
};

UNIT_MAIN("test_tcp_recovery", tests)
