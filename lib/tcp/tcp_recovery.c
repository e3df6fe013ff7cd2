/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_recovery.c -- loss detection (RACK, IsLost, duplicate ACKs, tail loss probes),
 * recovery with Proportional Rate Reduction, and the undo of spurious reductions. See
 * tcp_recovery.h for the outline and the RFCs.
 *
 * tcp_in.c tcp_ack_in -> tcp_sack_in, tcp_sb_ack (tcp_sack.c) -> tcp_recovery_ack:
 *     undo checks -> probe settled? -> RACK update and detection -> IsLost -> enter
 *     recovery -> PRR -> end of recovery
 * tcp_timer.c -> tcp_recovery_rto, tcp_tlp_fire, tcp_rack_timeout
 * tcp_out.c -> tcp_recovery_room, tcp_recovery_sent; tcp_output_lost sends the holes.
 */

#include <rte_common.h>

#include "core/util.h"
#include "core/worker.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_recovery.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"

/* RFC 5681's DupThresh. */
#define TCP_DUPTHRESH		3
/* RFC 8985 §7.2: the worst-case delayed ACK added to the probe timeout of a flight of
 * one segment; and the slack added to 2 SRTT for the jitter of a receiver's ACK (Linux
 * adds 2 jiffies; sluice's clock is in microseconds, and on a link of 10 us a 2 ms
 * floor would make every lost ACK of a burst cost 200 round trips). */
#define TCP_TLP_WCDELACK_US	200000u
#define TCP_TLP_SLACK_US	200u
/* Probes at most before the RTO, while nothing answers (tcp_tlp_fire). */
#define TCP_TLP_PROBES		4u

static inline uint32_t
rec_now(const struct sl_worker *w)
{
	return (uint32_t)w->clock.now_us;
}

/* ---- undo ---- */

/* A reduction begins: remember the window it reduces, so that it can be restored. */
static void
rec_undo_begin(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;

	r->prior_cwnd = f->cwnd;
	r->prior_ssthresh = f->ssthresh;
	r->undo_marker = f->snd_una;
	r->undo_tsval = tcp_ts_now(w, f);
	r->undo_retrans = 0;
	r->undo_ok = true;
	flow_gate_rec(f);
	r->undo_ts = (f->flags & TF_TS) != 0;
	r->undo_dsacked = false;
}

/* The reduction was spurious: back to the window before it (RFC 4015's response for
 * Eifel, Linux's tcp_undo_cwnd_reduction for D-SACK). Recovery ends, the marks of loss
 * go, and after a timeout the go-back-N stops: what it would resend arrived. */
static void
rec_undo(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;

	f->cwnd = RTE_MAX(f->cwnd, r->prior_cwnd);
	f->ssthresh = RTE_MAX(f->ssthresh, r->prior_ssthresh);
	if (f->cc->undo != NULL)
		f->cc->undo(f);
	r->undo_ok = false;
	flow_gate_rec(f);
	w->stats.tcp_undo++;
	f->loss.undo++;
	f->flags &= ~TF_RECOVERY;
	f->dupacks = 0;
	tcp_sb_clear_lost(f);
	if (seq_lt(f->snd_nxt, f->snd_max))
		f->snd_nxt = f->snd_max;
	/* With SACK, a loss found from now on starts an episode of its own at once. */
	if (f->flags & TF_SACK)
		f->recover = f->snd_una;
	f->backoff = 0;
	flow_mark_dirty(w, f);
}

/* D-SACKs and timestamps against the last reduction. */
static void
rec_undo_check(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
	       uint32_t acked, const struct tcp_sack_news *n)
{
	struct tcp_rec *r = &f->rec;

	if (n->dsack > 0) {
		w->stats.tcp_dsack_rx += n->dsack;
		f->loss.dsack_rx += n->dsack;
	}
	if (!r->undo_ok)
		return;
	/* Eifel (RFC 3522 §3.2): the first ACK of the retransmitted data echoes a
	 * timestamp older than the retransmission, so the original got there. */
	if (r->undo_ts && acked > 0) {
		r->undo_ts = false;
		if ((s->opts.has & TO_TS) && s->opts.tsecr != 0 &&
		    seq_lt(s->opts.tsecr, r->undo_tsval) && r->undo_retrans > 0) {
			rec_undo(w, f);
			return;
		}
	}
	/* Every retransmission of the episode came back as a D-SACK (RFC 3708). */
	if (n->dsack_rtx > 0) {
		r->undo_retrans = (uint16_t)(r->undo_retrans - RTE_MIN(r->undo_retrans,
								       n->dsack_rtx));
		r->undo_dsacked = true;
	}
	if (r->undo_dsacked && r->undo_retrans == 0)
		rec_undo(w, f);
}

/* ---- tail loss probe (RFC 8985 §7) ---- */

/* May a probe leave (RFC 8985 §7.2), whether or not one is out already? */
static __rte_always_inline bool
tlp_can_probe(const struct tcp_flow *f)
{
	/* Also during fast recovery, unlike RFC 8985 §7.2 and Linux: there the last
	 * segments sent are the retransmissions and new data of one burst, which a receiver
	 * that acknowledges once per burst (sluice, or GRO) answers with one ACK; when that
	 * ACK or the burst is lost nothing else would show it but the RTO. Not after a
	 * timeout (go-back-N until recover). The tests have no side effects: their order
	 * is the cheapest first (the flow's own fields, then its state, then the config). */
	return (f->flags & (TF_SACK | TF_PERSIST)) == TF_SACK &&
	       f->snd_nxt == f->snd_max && f->snd_una != f->snd_max &&
	       f->srtt != 0 && f->tx.bytes > 0 &&
	       ((f->flags & TF_RECOVERY) || seq_ge(f->snd_una, f->recover)) &&
	       tcp_state_sends_data(f->state) && f->w->cfg->tlp;
}

static __rte_always_inline bool
tlp_eligible(const struct tcp_flow *f)
{
	return !f->rec.tlp_out && tlp_can_probe(f);
}

/* PTO = 2 SRTT + slack, plus the worst-case delayed ACK when one segment is out; at most
 * the RTO: the probe then takes the RTO's place (RFC 8985 §7.2). A probe that follows
 * unanswered ones waits 2^shift PTOs, and never as long as the RTO: that arms instead. */
static __rte_always_inline void
tlp_arm(struct sl_worker *w, struct tcp_flow *f, unsigned int shift)
{
	uint32_t flight = f->snd_max - f->snd_una;
	uint64_t pto = (f->srtt >> 2) + TCP_TLP_SLACK_US;

	if (flight <= f->mss)
		pto += TCP_TLP_WCDELACK_US;
	pto <<= shift;
	if (shift > 0 && pto >= f->rto) {
		tcp_rto_arm(w, f);
		return;
	}
	f->rec.rtx_kind = TCP_RTX_TLP;
	f->rtx_at = w->clock.now_us + RTE_MIN(pto, (uint64_t)f->rto);
	tcp_timer_arm_at(w, f, f->rtx_at);
}

/* `inline` on this external definition (tcp_recovery.h declares it plainly): a hint that
 * lets link-time optimisation inline it into tcp_output, which calls it after every send
 * that finds the timer off. */
inline void
tcp_rtx_arm(struct sl_worker *w, struct tcp_flow *f, bool ack)
{
	if (!tlp_eligible(f)) {
		if (ack || f->rtx_at == 0 || f->rec.rtx_kind == TCP_RTX_TLP)
			tcp_rto_arm(w, f);
		return;
	}
	/* A pending reordering timer stays (the ACK that follows runs RACK again). */
	if (!ack && f->rtx_at != 0 && f->rec.rtx_kind == TCP_RTX_REO)
		return;
	tlp_arm(w, f, 0);
}

/* tcp_rtx_arm(w, f, false) after the one-segment pass: of tlp_can_probe's tests, that
 * pass leaves all but four true (its gate found no persist, recovery or go-back-N, and
 * a state that sends data; the new bytes it sent make snd_nxt == snd_max, above
 * snd_una, and the queue not empty), so only those are made: the flow's SACK, its RTT
 * sample, no probe out, the config. Every send of new data arms the timer here, so
 * the few tests saved count (tests/unit/tcp/test_tcp_data.c compares the pass with the
 * general one, the timer's deadline and kind included). */
inline void
tcp_rtx_arm_new(struct sl_worker *w, struct tcp_flow *f)
{
	/* With TF_REC_OPEN clear no probe is out (flow.h): rec is read only when it is set. */
	if (likely(((f->flags & (TF_SACK | TF_REC_OPEN)) == TF_SACK ||
		    ((f->flags & TF_SACK) && !f->rec.tlp_out)) && f->srtt != 0 && w->cfg->tlp)) {
		/* A pending reordering timer stays (the ACK that follows runs RACK again). */
		if (f->rtx_at != 0 && f->rec.rtx_kind == TCP_RTX_REO)
			return;
		tlp_arm(w, f, 0);
		return;
	}
	if (f->rtx_at == 0 || f->rec.rtx_kind == TCP_RTX_TLP)
		tcp_rto_arm(w, f);
}

static void
tlp_sent(struct sl_worker *w, struct tcp_flow *f, bool rtx)
{
	struct tcp_rec *r = &f->rec;

	r->tlp_probes = r->tlp_out ? (uint8_t)(r->tlp_probes + 1) : 1;
	r->tlp_out = true;
	flow_gate_rec(f);
	r->tlp_rtx = rtx;
	r->tlp_high = f->snd_max;
	w->stats.tcp_tlp_sent++;
	f->loss.tlp_sent++;
}

/* The probe: one segment whatever cwnd says, so that its ACK, with SACK blocks, shows
 * what the tail lost: new data when there is some and the peer's window takes it, else
 * the last segment sent again (RFC 8985 §7.3). Unlike RFC 8985 (one probe, then the RTO),
 * a probe that goes unanswered is followed by the last segment sent again, up to
 * TCP_TLP_PROBES in all, each after twice the wait of the one before, and only then the
 * RTO: in-order data is what a receiver may hold its ACK back for (a delayed ACK, or Linux
 * while its application does not read, when that one ACK is all it sends), while a
 * duplicate is answered at once by every stack; a lost probe or a lost answer then costs
 * a few PTOs, not the 200 ms of the RTO. Each is one segment, a few per silence. */
void
tcp_tlp_fire(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;
	bool again = r->tlp_out && r->tlp_probes < TCP_TLP_PROBES;
	uint32_t data_end, seq;

	r->rtx_kind = TCP_RTX_RTO;
	data_end = seq_min(f->snd_max, f->snd_una + f->tx.bytes);
	if (!(again ? tlp_can_probe(f) : tlp_eligible(f)) || !seq_gt(data_end, f->snd_una)) {
		if (f->snd_una != f->snd_max)
			tcp_rto_arm(w, f);
		return;
	}
	if (!again && tcp_output_probe(w, f) == 0) {
		tlp_sent(w, f, false);
		tlp_arm(w, f, 0);
		return;
	}
	seq = data_end - f->snd_una > f->mss ? data_end - f->mss : f->snd_una;
	if (tcp_retransmit_range(w, f, seq, data_end - seq) != 0) {
		tcp_rto_arm(w, f);
		return;
	}
	tlp_sent(w, f, true);
	if (r->tlp_probes < TCP_TLP_PROBES)
		tlp_arm(w, f, r->tlp_probes - 1u);
	else
		tcp_rto_arm(w, f);
}

/* The probe's episode ends when the ACK covers it (RFC 8985 §7.4): a probe of new data
 * proves nothing (the ACK of the tail may simply have been lost); for a retransmission, a
 * D-SACK of it says both copies got there and nothing was lost, otherwise it repaired a
 * loss. That calls for a reduction (a D-SACK arriving later undoes it), unless the
 * recovery the probe's SACK started has reduced the window already. */
static void
tlp_settle(struct sl_worker *w, struct tcp_flow *f, uint32_t acked,
	   const struct tcp_sack_news *n)
{
	struct tcp_rec *r = &f->rec;

	if (!r->tlp_out)
		return;
	if (seq_lt(f->snd_una, r->tlp_high)) {
		/* The probe got there (this ACK SACKs the tail for the first time) and
		 * showed a hole below it, which recovery repairs: this probe is done, and
		 * the next may guard the repairs, which can be lost too. */
		if (n->delivered && seq_ge(n->end, r->tlp_high)) {
			r->tlp_out = false;
			flow_gate_rec(f);
			if (r->tlp_rtx && n->dsack == 0)
				w->stats.tcp_tlp_recovered++;
		}
		return;
	}
	r->tlp_out = false;
	flow_gate_rec(f);
	if (!r->tlp_rtx || n->dsack > 0 || acked == 0)
		return;
	w->stats.tcp_tlp_recovered++;
	if ((f->flags & TF_RECOVERY) || seq_ge(f->recover, r->tlp_high))
		return;
	rec_undo_begin(w, f);
	r->undo_retrans = 1;
	r->undo_ts = false;
	f->cc->enter_recovery(f);
	f->cwnd = RTE_MAX(f->ssthresh, (uint32_t)f->mss);
}

/* ---- RACK (RFC 8985 §6) ---- */

/* Step 2: remember the most recently sent segment delivered by this ACK, and the RTT
 * measured from it, unless it was a retransmission whose ACK may be the original's. */
static __rte_always_inline void
rack_update(struct sl_worker *w, struct tcp_flow *f, const struct tcp_sack_news *n)
{
	struct tcp_rec *r = &f->rec;
	int32_t d;
	uint32_t rtt;

	if (n->reordered)
		r->rack_reord = true;
	if (!n->delivered)
		return;
	/* A stamp can lie a microsecond ahead of the clock (tcp_sack.c sb_stamp): max(d, 0),
	 * a conditional move (three instructions; the mask it replaced took five, and an
	 * earlier RTE_MAX went through a vector register). */
	d = (int32_t)(rec_now(w) - n->xmit);
	rtt = d > 0 ? (uint32_t)d : 0;
	/* An ACK sooner than any RTT seen answers the original, not the retransmission. */
	if (n->delivered_rtx && (rtt == 0 || (r->rack_min_rtt != 0 && rtt < r->rack_min_rtt)))
		return;
	r->rack_rtt = rtt;
	if (r->rack_min_rtt == 0 || rtt < r->rack_min_rtt)
		r->rack_min_rtt = RTE_MAX(rtt, 1u);
	/* Sent after the RACK segment first: the usual answer, which settles it. */
	if ((int32_t)(n->xmit - r->rack_xmit) > 0 || !r->rack_valid ||
	    (n->xmit == r->rack_xmit && seq_gt(n->end, r->rack_end))) {
		r->rack_xmit = n->xmit;
		r->rack_end = n->end;
		r->rack_valid = true;
	}
}

/* Step 4: the reordering window. None before reordering was seen once recovery began or
 * DupThresh segments were SACKed (so RACK never waits longer than the three duplicate
 * ACKs would); otherwise reo_mult quarters of the minimum RTT, at most SRTT. */
static uint32_t
rack_reo_wnd(const struct tcp_flow *f, uint32_t sacked)
{
	const struct tcp_rec *r = &f->rec;
	uint32_t mult;

	if (!r->rack_reord &&
	    ((f->flags & TF_RECOVERY) || sacked >= TCP_DUPTHRESH * (uint32_t)f->mss))
		return 0;
	mult = r->reo_mult > 0 ? r->reo_mult : 1;

	return u32_min(r->rack_min_rtt / 4 * mult, f->srtt >> 3);
}

/* RFC 8985 §6.2 step 4: a D-SACK says a retransmission was spurious, so the reordering
 * window was too small: one more quarter of min RTT, at most once per round trip; after
 * 16 recoveries without one it shrinks back. */
static void
rack_reo_adapt(struct tcp_flow *f, const struct tcp_sack_news *n)
{
	struct tcp_rec *r = &f->rec;

	if (n->dsack > 0 && (r->reo_mult == 0 || seq_ge(f->snd_una, r->reo_dsack_high))) {
		r->reo_mult = (uint8_t)RTE_MIN(r->reo_mult + 1u + (r->reo_mult == 0), 64u);
		r->reo_dsack_high = f->snd_max;
		r->reo_persist = 16;
		r->rack_reord = true;
	}
}

/* Step 5: every segment sent before the RACK segment and outstanding longer than its RTT
 * plus the reordering window is lost; for the others, the reordering timer. Returns the
 * bytes newly marked lost. */
static uint32_t
rack_detect(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;
	struct tcp_sb *sb = &f->sb;
	struct tcp_sb_sum sum;
	uint32_t now = rec_now(w), reo, marked = 0;
	int32_t wait = 0;
	unsigned int i;

	if (!r->rack_valid || !(f->flags & TF_SACK) || sb->n == 0)
		return 0;
	tcp_sb_sum(f, &sum);
	reo = rack_reo_wnd(f, sum.sacked);
	for (i = 0; i < sb->n; i++) {
		struct tcp_sb_rec *rec = &sb->rec[i];
		uint32_t start = tcp_sb_start(sb, f->snd_una, i);
		int32_t left;

		if (rec->flags & (SB_SACKED | SB_LOST))
			continue;
		/* Sent after the RACK segment: nothing known yet. */
		if ((int32_t)(rec->xmit - r->rack_xmit) > 0 ||
		    (rec->xmit == r->rack_xmit && !seq_lt(start, r->rack_end)))
			continue;
		left = (int32_t)(rec->xmit + r->rack_rtt + reo - now);
		if (left <= 0) {
			uint32_t len = rec->end - start;
			uint32_t segs = (len + f->mss - 1) / f->mss;

			rec->flags = SB_LOST;
			marked += len;
			w->stats.tcp_rack_lost += segs;
			f->loss.rack_lost += segs;
		} else if (left > wait) {
			wait = left;
		}
	}
	if (wait > 0 && !(f->flags & TF_PERSIST)) {
		/* Step 5's timer: look again when the window has passed. */
		f->rec.rtx_kind = TCP_RTX_REO;
		f->rtx_at = w->clock.now_us + (uint32_t)wait;
		tcp_timer_arm(w, f);
	}
	return marked;
}

/* ---- recovery ---- */

/* Start of a recovery episode (RFC 6675 §5 step 4, RFC 6937 initialization): the
 * congestion control picks ssthresh, PRR starts from the flight. */
static void
rec_enter(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;

	rec_undo_begin(w, f);
	f->recover = f->snd_max;
	f->cc->enter_recovery(f);
	f->flags |= TF_RECOVERY;
	r->prr_delivered = 0;
	r->prr_out = 0;
	r->recover_fs = RTE_MAX(f->snd_max - f->snd_una, 1u);
	w->stats.tcp_recoveries++;
	f->loss.recoveries++;
	flow_mark_dirty(w, f);
}

/* May a new episode begin? Not before the data of the last reduction is acknowledged
 * (RFC 6582 §3.2 step 2 without SACK: "covers more than recover"; with SACK the
 * scoreboard tells new losses from old ones, so reaching recover is enough). */
static bool
rec_may_enter(const struct tcp_flow *f)
{
	if (f->flags & TF_RECOVERY)
		return false;
	if (f->flags & TF_SACK)
		return seq_ge(f->snd_una, f->recover);
	return seq_gt(f->snd_una, f->recover);
}

static uint32_t
rec_pipe(const struct tcp_flow *f)
{
	uint32_t pipe = tcp_sb_pipe(f);
	uint32_t gone;

	if (f->flags & TF_SACK)
		return pipe;
	/* Without SACK each duplicate ACK stands for one segment that left. */
	gone = (uint32_t)f->dupacks * f->mss;
	return pipe > gone ? pipe - gone : 0;
}

/* PRR (RFC 6937 §3, with the slow start reduction bound): the window for this ACK. */
static void
rec_prr(struct tcp_flow *f, uint32_t delivered)
{
	struct tcp_rec *r = &f->rec;
	uint32_t pipe = rec_pipe(f), mss = f->mss;
	int64_t sndcnt;

	r->prr_delivered += delivered;
	if (pipe > f->ssthresh) {
		/* Proportional: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) -
		 * prr_out. */
		uint64_t num = (uint64_t)r->prr_delivered * f->ssthresh;

		sndcnt = (int64_t)((num + r->recover_fs - 1) / r->recover_fs) - r->prr_out;
	} else {
		/* Slow start reduction bound: back up to ssthresh, at most one segment
		 * more than was delivered. */
		int64_t limit = RTE_MAX((int64_t)r->prr_delivered - r->prr_out,
					(int64_t)delivered) + mss;

		sndcnt = RTE_MIN((int64_t)f->ssthresh - pipe, limit);
	}
	if (sndcnt < 0)
		sndcnt = 0;
	/* The fast retransmit itself always leaves. */
	if (r->prr_out == 0 && sndcnt < mss)
		sndcnt = mss;
	f->cwnd = (uint32_t)RTE_MIN((int64_t)pipe + sndcnt, (int64_t)TCP_CWND_MAX);
}

/* A partial ACK without SACK (RFC 6582 §3.2 step 3): the next segment was lost too. The
 * segments it acknowledges beyond the first were counted as delivered by their duplicate
 * ACKs already (as Linux's tcp_remove_reno_sacks): they leave the duplicate count and are
 * not delivered twice. Returns the bytes newly delivered. */
static uint32_t
rec_reno_partial(struct tcp_flow *f, uint32_t acked)
{
	uint32_t segs = (acked + f->mss - 1) / f->mss;
	uint32_t counted = RTE_MIN((uint32_t)f->dupacks, segs - 1);

	f->dupacks = (uint16_t)(f->dupacks - counted);
	tcp_sb_mark_head_lost(f, f->mss);
	return acked > counted * f->mss ? acked - counted * f->mss : f->mss;
}

static void
rec_exit(struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;

	if (r->reo_persist > 0 && --r->reo_persist == 0)
		r->reo_mult = 1;
	f->cc->exit_recovery(f);
	f->flags &= ~TF_RECOVERY;
	f->dupacks = 0;
}

/* tcp_recovery_ack's general case, out of line: the common ACK (below) needs no stack
 * frame. */
__rte_noinline void
tcp_recovery_ack_general(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
		uint32_t acked, const struct tcp_sack_news *n)
{
	uint32_t lost = 0, delivered;

	rec_undo_check(w, f, s, acked, n);
	tlp_settle(w, f, acked, n);
	if (f->flags & TF_SACK) {
		rack_reo_adapt(f, n);
		rack_update(w, f, n);
		/* Nothing can be found lost unless something above SND.UNA was SACKed, a
		 * retransmission was delivered, or recovery is on: the common ACK skips the
		 * scans of the scoreboard. */
		if (seq_gt(f->sb.fack, f->snd_una) || n->delivered_rtx ||
		    (f->flags & TF_RECOVERY)) {
			lost = rack_detect(w, f);
			lost += tcp_sb_mark_dupthresh(f, f->mss);
		}
	}
	if ((f->flags & TF_RECOVERY) && seq_ge(f->snd_una, f->recover)) {
		uint32_t seq, len;

		rec_exit(f);
		/* Losses above recover, found by this ACK or by one before it and not yet
		 * retransmitted, are a new congestion event: the next episode begins now,
		 * or nothing but the RTO would ever send them. */
		if (lost == 0 && !tcp_sb_next_lost(f, &seq, &len))
			return;
		lost = RTE_MAX(lost, 1u);
	}
	if (lost > 0 && rec_may_enter(f))
		rec_enter(w, f);
	if (!(f->flags & TF_RECOVERY))
		return;
	delivered = acked + n->sacked;
	if (!(f->flags & TF_SACK) && acked > 0)
		delivered = rec_reno_partial(f, acked);
	rec_prr(f, delivered);
	flow_mark_dirty(w, f);
}

void
tcp_recovery_ack(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
		 uint32_t acked, const struct tcp_sack_news *n)
{
	/* The common ACK: no recovery, no reduction to undo, no probe out, no D-SACK, no
	 * retransmission delivered and nothing SACKed above SND.UNA. In the general path
	 * rec_undo_check then counts nothing and returns (!undo_ok), tlp_settle returns
	 * (!tlp_out), rack_reo_adapt does nothing (no D-SACK), the scans are skipped (their
	 * condition is false), no recovery ends and none begins (lost == 0): RACK's update
	 * is all that happens. TF_REC_OPEN (flow.h) stands for undo_ok and tlp_out. */
	if (likely(!(f->flags & (TF_RECOVERY | TF_REC_OPEN)) &&
		   n->dsack == 0 && !n->delivered_rtx && !seq_gt(f->sb.fack, f->snd_una))) {
		if (f->flags & TF_SACK)
			rack_update(w, f, n);
		return;
	}
	tcp_recovery_ack_general(w, f, s, acked, n);
}

/* `inline` on this external definition: link-time optimisation inlines it into
 * tcp_ack_all, its one caller. */
inline void
tcp_recovery_ack_all(struct sl_worker *w, struct tcp_flow *f, uint32_t xmit, uint32_t end)
{
	/* tcp_sb_ack's news for the record: delivered, not a retransmission, not
	 * reordered (it ends above fack), nothing SACKed, no D-SACK. */
	const struct tcp_sack_news n = { .delivered = true, .xmit = xmit, .end = end };

	if (f->flags & TF_SACK)
		rack_update(w, f, &n);
}

void
tcp_recovery_dupack(struct sl_worker *w, struct tcp_flow *f, const struct tcp_sack_news *n)
{
	if (f->flags & TF_RECOVERY) {
		/* A duplicate without SACK news delivered one segment (RFC 6937 §3). */
		if (n->sacked == 0)
			rec_prr(f, f->mss);
		return;
	}
	if (f->dupacks != TCP_DUPTHRESH || !rec_may_enter(f))
		return;
	tcp_sb_mark_head_lost(f, f->mss);
	w->stats.tcp_fast_retransmit++;
	rec_enter(w, f);
	rec_prr(f, n->sacked == 0 ? f->mss : 0);
}

void
tcp_recovery_rto(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_rec *r = &f->rec;

	/* Only the first of a series of timeouts may be undone; a reduction during
	 * recovery keeps the window from before that recovery. */
	if (f->nrtx == 1 && !(f->flags & TF_RECOVERY))
		rec_undo_begin(w, f);
	else if (f->nrtx > 1)
		r->undo_ok = false;
	/* Everything not SACKed is lost; from the second timeout on, the SACKs too: the
	 * peer may have dropped what it reported holding (RFC 2018 §8). */
	tcp_sb_timeout(f, f->nrtx > 1);
	r->tlp_out = false;
	flow_gate_rec(f);
	r->rtx_kind = TCP_RTX_RTO;
}

void
tcp_rack_timeout(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t lost;

	f->rec.rtx_kind = TCP_RTX_RTO;
	lost = rack_detect(w, f);
	if (lost > 0) {
		if (rec_may_enter(f))
			rec_enter(w, f);
		if (f->flags & TF_RECOVERY) {
			rec_prr(f, 0);
			flow_mark_dirty(w, f);
		}
	}
	if (f->rtx_at == 0 && f->snd_una != f->snd_max)
		tcp_rtx_arm(w, f, false);
}

uint32_t
tcp_recovery_room(const struct tcp_flow *f)
{
	uint32_t pipe = rec_pipe(f);

	return f->cwnd > pipe ? f->cwnd - pipe : 0;
}

void
tcp_recovery_sent(struct tcp_flow *f, uint32_t len, bool rtx)
{
	struct tcp_rec *r = &f->rec;

	if (f->flags & TF_RECOVERY)
		r->prr_out += len;
	if (rtx && r->undo_ok && r->undo_retrans < UINT16_MAX)
		r->undo_retrans++;
}
