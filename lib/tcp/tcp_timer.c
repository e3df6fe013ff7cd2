/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_timer.c -- the per-worker timer wheel and what each TCP timer does.
 *
 * sl_worker_poll -> worker_timers -> tcp_timers_run -> tcp_timer_fire -> handlers below.
 *
 * Each connection keeps absolute deadlines in microseconds (rtx_at: retransmission, SYN
 * retransmission or persist; delack_at; ka_at: keepalive; tw_at: TIME-WAIT, FIN-WAIT-2;
 * cork_at: the end of a cork or SL_SEND_MORE hold)
 * and sits in the wheel once, at the earliest of them. Moving a deadline later leaves the
 * wheel alone: the flow fires early, finds nothing due and re-arms (so the ACK clock,
 * which pushes the RTO forward on every ACK, costs no wheel operation). Slots are
 * TCP_WHEEL_TICK_US wide; one rotation covers about 262 ms and longer deadlines simply
 * stay in their slot for more rotations. The timer phase knows how far ahead the slots
 * are empty (wheel_empty_to, a bitmap word's worth) and returns at once until then.
 *
 * Retransmission follows RFC 6298 (SRTT/RTTVAR in microseconds from the TSC, Karn's rule:
 * only segments sent once are timed, exponential backoff up to rto_max), with go-back-N
 * after a timeout: snd_nxt returns to snd_una (skipping what the peer SACKed) and the
 * congestion window to the loss window of the flow's congestion control (cc.h: one
 * segment). rtx_at also carries the tail loss probe and RACK's reordering timer
 * (tcp_recovery.c; f->rec.rtx_kind says which).
 */

#define SL_LOG_MODULE tcp	/* sluice.tcp (core/log.h) */

#include <rte_common.h>

#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/tcp_icmp.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"

/* How far ahead (ticks) tcp_timers_run looks for the next slot holding a flow. */
#define TCP_WHEEL_LOOKAHEAD 64

static inline uint64_t
tick_of(uint64_t us)
{
	return us / TCP_WHEEL_TICK_US;
}

/* wheel_run_at after wheel_tick, wheel_cur_next or wheel_empty_to changed: tcp_timers_run
 * returns at once while now_tick < wheel_tick, or while now < wheel_cur_next and now_tick <
 * wheel_empty_to; as now_tick < x is now < x * TCP_WHEEL_TICK_US, that is now below the
 * larger of wheel_tick's first microsecond and the smaller of the other two. */
static inline void
wheel_run_at_update(struct tcp_worker *t)
{
	uint64_t at = RTE_MIN(t->wheel_cur_next, t->wheel_empty_to * TCP_WHEEL_TICK_US);

	t->wheel_run_at = RTE_MAX(at, t->wheel_tick * TCP_WHEEL_TICK_US);
}

static inline void
wheel_used_set(struct tcp_worker *t, uint64_t slot)
{
	t->wheel_used[slot / 64] |= UINT64_C(1) << (slot % 64);
}

static inline void
wheel_used_clear(struct tcp_worker *t, uint64_t slot)
{
	t->wheel_used[slot / 64] &= ~(UINT64_C(1) << (slot % 64));
}

/* The first slot at or after idx (mod the wheel) that holds a flow, as a distance from
 * idx; lim when none is closer than lim. */
static uint64_t
wheel_next_used(const struct tcp_worker *t, uint64_t idx, uint64_t lim)
{
	uint64_t d = 0;

	while (d < lim) {
		uint64_t slot = (idx + d) & (TCP_WHEEL_SLOTS - 1);
		uint64_t bits = t->wheel_used[slot / 64] >> (slot % 64);

		if (bits != 0)
			return RTE_MIN(d + (uint64_t)__builtin_ctzll(bits), lim);
		d += 64 - slot % 64;
	}
	return lim;
}

static uint64_t
flow_next_deadline(const struct tcp_flow *f)
{
	uint64_t t = UINT64_MAX;

	if (f->rtx_at != 0)
		t = RTE_MIN(t, f->rtx_at);
	if (f->delack_at != 0)
		t = RTE_MIN(t, f->delack_at);
	if (f->ka_at != 0)
		t = RTE_MIN(t, f->ka_at);
	if (f->tw_at != 0)
		t = RTE_MIN(t, f->tw_at);
	if (f->cork_at != 0)
		t = RTE_MIN(t, f->cork_at);
	if (f->asm_at != 0)
		t = RTE_MIN(t, f->asm_at);
	return t;
}

void
tcp_timer_remove(struct sl_worker *w, struct tcp_flow *f)
{
	if (!(f->flags & TF_IN_WHEEL))
		return;
	TAILQ_REMOVE(&w->tcp.wheel[f->wheel_slot], f, wheel_link);
	if (TAILQ_EMPTY(&w->tcp.wheel[f->wheel_slot]))
		wheel_used_clear(&w->tcp, f->wheel_slot);
	f->flags &= ~TF_IN_WHEEL;
}

void
tcp_timer_arm(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_worker *t = &w->tcp;
	uint64_t next = flow_next_deadline(f), tick;

	if (next == UINT64_MAX) {
		tcp_timer_remove(w, f);
		return;
	}
	if ((f->flags & TF_IN_WHEEL) && f->wheel_at <= next)
		return;
	tcp_timer_remove(w, f);
	tick = RTE_MAX(tick_of(next), t->wheel_tick);
	if (tick == t->wheel_tick)	/* the slot tcp_timers_run walks again */
		t->wheel_cur_next = RTE_MIN(t->wheel_cur_next, next);
	else if (tick < t->wheel_empty_to)
		t->wheel_empty_to = tick;
	wheel_run_at_update(t);
	f->wheel_slot = (uint32_t)(tick & (TCP_WHEEL_SLOTS - 1));
	f->wheel_at = next;
	TAILQ_INSERT_TAIL(&t->wheel[f->wheel_slot], f, wheel_link);
	wheel_used_set(t, f->wheel_slot);
	f->flags |= TF_IN_WHEEL;
}

void
tcp_timer_arm_at(struct sl_worker *w, struct tcp_flow *f, uint64_t at)
{
	if ((f->flags & TF_IN_WHEEL) && f->wheel_at <= at)
		return;
	tcp_timer_arm(w, f);
}

uint64_t
tcp_timers_next(struct sl_worker *w)
{
	uint64_t next = UINT64_MAX;
	struct tcp_flow *f;
	unsigned int i;

	for (i = 0; i < TCP_WHEEL_SLOTS; i++)
		TAILQ_FOREACH(f, &w->tcp.wheel[i], wheel_link)
			next = RTE_MIN(next, f->wheel_at);
	return next;
}

/* ---- RTT, RTO ---- */

static uint32_t
tcp_rto_backed_off(struct sl_worker *w, const struct tcp_flow *f)
{
	uint64_t rto = (uint64_t)f->rto << RTE_MIN(f->backoff, (uint8_t)30);

	return (uint32_t)RTE_MIN(rto, (uint64_t)w->cfg->rto_max_us);
}

void
tcp_rto_arm(struct sl_worker *w, struct tcp_flow *f)
{
	f->rtx_at = w->clock.now_us + tcp_rto_backed_off(w, f);
	f->rec.rtx_kind = TCP_RTX_RTO;
	tcp_timer_arm_at(w, f, f->rtx_at);
}

/* Written for scalar registers: with min/max (or branches that read as such) the compiler
 * moved the arithmetic into vector registers, a dozen shuffles per sample. x + (x == 0)
 * is max(x, 1); the clamps are branches, rarely taken. `inline` on this external
 * definition (tcp_timer.h declares it plainly) lets link-time optimisation inline it into
 * the ACK path, with CUBIC's hook (a direct call, cc.h). */
__rte_always_inline uint32_t
tcp_rtt_estimate(struct sl_worker *w, struct tcp_flow *f, uint32_t rtt)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t srtt = f->srtt, rttvar, rto;

	rtt += rtt == 0;
	/* The first sample of a connection is the rare case: laid out of line, the update
	 * of every other one runs without a jump. */
	if (unlikely(srtt == 0)) {
		/* RFC 6298 (2.2): SRTT = R, RTTVAR = R/2. */
		srtt = rtt << 3;
		rttvar = rtt << 1;
	} else {
		/* (2.3): RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|; SRTT = 7/8 SRTT + 1/8 R,
		 * in fixed point (srtt << 3, rttvar << 2). */
		int32_t delta = (int32_t)rtt - (int32_t)(srtt >> 3);

		rttvar = f->rttvar;
		srtt = (uint32_t)((int32_t)srtt + delta);
		if (delta < 0)
			delta = -delta;
		rttvar = (uint32_t)((int32_t)rttvar + delta - (int32_t)(rttvar >> 2));
	}
	/* RTO = SRTT + max(G, 4 RTTVAR), G = 1 us; clamped to [rto_min, rto_max]. */
	rto = (srtt >> 3) + rttvar + (rttvar == 0);
	if (unlikely(rto < cfg->rto_min_us))
		rto = cfg->rto_min_us;
	if (unlikely(rto > cfg->rto_max_us))
		rto = cfg->rto_max_us;
	f->srtt = srtt;
	f->rttvar = rttvar;
	f->rto = rto;
	return rtt;
}

inline void
tcp_rtt_sample(struct sl_worker *w, struct tcp_flow *f, uint32_t rtt)
{
	rtt = tcp_rtt_estimate(w, f, rtt);
	tcp_cc_on_rtt_sample(f->cc, f, rtt);
}

void
tcp_delack_arm(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->delack_at != 0)
		return;
	f->delack_at = w->clock.now_us + w->cfg->delack_us;
	/* Into the wheel only if the output phase finds the ACK still owed (tcp_output):
	 * an answer written in this iteration carries it, and a request-response flow
	 * then never touches the wheel for it. */
	flow_mark_dirty(w, f);
}

void
tcp_keepalive_arm(struct sl_worker *w, struct tcp_flow *f)
{
	if (!(f->flags & TF_KEEPALIVE) || !tcp_state_synchronized(f->state) ||
	    f->state == SL_TCP_TIME_WAIT) {
		f->ka_at = 0;
		return;
	}
	f->ka_at = f->ka_sent ? w->clock.now_us + f->ka_intvl_us : f->last_rx_us + f->ka_idle_us;
	tcp_timer_arm(w, f);
}

static bool
tcp_user_timeout(struct sl_worker *w, const struct tcp_flow *f)
{
	uint64_t ut = (uint64_t)w->cfg->user_timeout_ms * 1000;

	return ut != 0 && f->unacked_since != 0 && w->clock.now_us - f->unacked_since >= ut;
}

/* ---- handlers; each returns true when the flow is gone ---- */

/* The SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) is unanswered: send it again with the
 * timer backed off, up to syn_retries or synack_retries times. */
static bool
tcp_syn_rto_fire(struct sl_worker *w, struct tcp_flow *f)
{
	const struct sl_config *cfg = w->cfg;
	unsigned int retries = f->state == SL_TCP_SYN_SENT ? cfg->syn_retries :
							       cfg->synack_retries;

	if (++f->nrtx > retries) {
		/* An ICMP error said why nobody answers (tcp_icmp.c): the application hears
		 * "unreachable" rather than "timeout" (RFC 1122 §4.2.3.9). */
		flow_closed(w, f, f->soft_err != 0 && f->state == SL_TCP_SYN_SENT ?
			    SL_CLOSE_UNREACHABLE : SL_CLOSE_TIMEOUT);
		return true;
	}
	f->backoff++;
	f->rtt_timing = false;
	tcp_send_syn(w, f);
	tcp_rto_arm(w, f);
	return false;
}

/* The retransmission timer expired (RFC 6298 (5.4)-(5.6)): retransmit from SND.UNA, back
 * off the timer, collapse the window; give up after `retries` timeouts without progress
 * or the user timeout. */
static bool
tcp_rto_fire(struct sl_worker *w, struct tcp_flow *f)
{
	const struct sl_config *cfg = w->cfg;

	if (f->state == SL_TCP_SYN_SENT || f->state == SL_TCP_SYN_RCVD)
		return tcp_syn_rto_fire(w, f);
	if (f->snd_una == f->snd_max)
		return false;		/* everything was acknowledged meanwhile */
	if (++f->nrtx > cfg->retries || tcp_user_timeout(w, f)) {
		tcp_send_rst(w, f);
		flow_closed(w, f, SL_CLOSE_TIMEOUT);
		return true;
	}
	w->stats.tcp_rto++;
	tcp_icmp_blackhole(w, f);	/* full-size segments that never arrive */
	if (f->tx.bytes == 0 && (f->flags & TF_FIN_SENT))
		w->stats.tcp_rto_fin++;	/* only our FIN was out */
	tcp_recovery_rto(w, f);
	/* The window collapses to the loss window (the module's on_rto); RFC 6582 §3.2
	 * step 4: recover = highest sent, so the ACKs of the go-back-N retransmissions
	 * cannot start a fast retransmit of their own. */
	f->cc->on_rto(f);
	f->loss.rto++;
	f->flags &= ~TF_RECOVERY;
	f->dupacks = 0;
	f->recover = f->snd_max;
	f->backoff++;
	f->rtt_timing = false;
	/* Go back N; a FIN already sent is resent by tcp_output after the data (it
	 * keeps TF_FIN_SENT, so an ACK of the original FIN is still recognised). */
	f->snd_nxt = f->snd_una;
	if (f->snd_wnd == 0 && f->tx.bytes > 0) {
		/* The window closed with data in flight: retransmissions cannot go out, so
		 * probe the window instead (Linux does the same), and never give up on a
		 * peer that keeps answering (RFC 9293 §3.8.6.1). */
		f->flags |= TF_PERSIST;
		f->nrtx = 0;
		w->stats.tcp_persist_probes++;
		tcp_send_window_probe(w, f);
		tcp_rto_arm(w, f);
		return false;
	}
	if (tcp_output(w, f) != TCP_OUT_DONE)
		flow_mark_dirty(w, f);		/* the rest when the TX queue has room */
	tcp_rto_arm(w, f);
	return false;
}

static bool
tcp_persist_fire(struct sl_worker *w, struct tcp_flow *f)
{
	const struct sl_config *cfg = w->cfg;

	if (f->tx.bytes == (f->snd_nxt - f->snd_una) || f->snd_nxt != f->snd_una) {
		/* Nothing waits any more, or data is in flight (the RTO covers it). */
		f->flags &= ~TF_PERSIST;
		flow_mark_dirty(w, f);
		return false;
	}
	if (++f->nrtx > cfg->retries || tcp_user_timeout(w, f)) {
		tcp_send_rst(w, f);
		flow_closed(w, f, SL_CLOSE_TIMEOUT);
		return true;
	}
	w->stats.tcp_persist_probes++;
	tcp_send_window_probe(w, f);
	if (!(f->flags & TF_PERSIST)) {
		/* The probe carried data into an open window: back to the RTO. */
		f->nrtx = 0;
		tcp_rto_arm(w, f);
		return false;
	}
	f->backoff++;
	tcp_rto_arm(w, f);
	return false;
}

static bool
tcp_keepalive_fire(struct sl_worker *w, struct tcp_flow *f)
{
	uint64_t idle = w->clock.now_us - f->last_rx_us;

	if (!(f->flags & TF_KEEPALIVE) || f->state == SL_TCP_TIME_WAIT)
		return false;
	if (f->ka_sent == 0 && idle < f->ka_idle_us) {
		f->ka_at = f->last_rx_us + f->ka_idle_us;
		return false;
	}
	if (f->ka_sent >= f->ka_probes) {
		tcp_send_rst(w, f);
		flow_closed(w, f, SL_CLOSE_TIMEOUT);
		return true;
	}
	f->ka_sent++;
	w->stats.tcp_keepalive_probes++;
	tcp_send_keepalive(w, f);
	f->ka_at = w->clock.now_us + f->ka_intvl_us;
	return false;
}

static void
tcp_timer_fire(struct sl_worker *w, struct tcp_flow *f)
{
	uint64_t now = w->clock.now_us;

	if (f->tw_at != 0 && now >= f->tw_at) {
		f->tw_at = 0;
		if (f->state == SL_TCP_TIME_WAIT) {
			flow_set_state(f, SL_TCP_CLOSED);
			if (f->flags & TF_CLOSE_DONE)
				flow_release(w, f);
			/* else on_close is pending; the delivery phase frees it */
			return;
		}
		if (f->state == SL_TCP_FIN_WAIT_2 && (f->flags & TF_RX_CLOSED)) {
			/* Closed by the application; the peer never sent its FIN. */
			tcp_send_rst(w, f);
			flow_closed(w, f, SL_CLOSE_TIMEOUT);
			return;
		}
	}
	if (f->delack_at != 0 && now >= f->delack_at) {
		f->delack_at = 0;
		if (unlikely(w->txq.shut) && (f->flags & TF_DIRTY) &&
		    seq_lt(f->snd_nxt, f->snd_una + f->tx.bytes)) {
			/* Data waits for room in a backed-up TX queue (port.h) and will carry
			 * the ACK in its turn: no extra frame for the congested port. */
			f->flags = (f->flags & ~TF_DELACK) | TF_ACKNOW;
			w->stats.tcp_ack_rides_data++;
		} else if (f->flags & (TF_DELACK | TF_ACKNOW)) {
			w->stats.tcp_delayed_acks++;
			tcp_send_ack(w, f);
		}
	}
	if (f->rtx_at != 0 && now >= f->rtx_at) {
		bool gone;

		f->rtx_at = 0;
		gone = false;
		if (f->flags & TF_PERSIST)
			gone = tcp_persist_fire(w, f);
		else if (f->rec.rtx_kind == TCP_RTX_TLP)
			tcp_tlp_fire(w, f);
		else if (f->rec.rtx_kind == TCP_RTX_REO)
			tcp_rack_timeout(w, f);
		else
			gone = tcp_rto_fire(w, f);
		if (gone)
			return;
	}
	if (f->cork_at != 0 && now >= f->cork_at) {
		/* A short segment held by cork or SL_SEND_MORE has waited long enough. */
		f->cork_at = 0;
		f->flags |= TF_PUSH;
		flow_mark_dirty(w, f);
	}
	if (f->asm_at != 0 && now >= f->asm_at) {
		/* A message took too long to arrive: the delivery phase decides. */
		f->asm_at = 0;
		f->flags |= TF_ASM_LATE;
		flow_mark_ready(w, f, EV_DATA);
	}
	if (f->ka_at != 0 && now >= f->ka_at) {
		f->ka_at = 0;
		if (tcp_keepalive_fire(w, f))
			return;
	}
	tcp_timer_arm(w, f);
}

void
tcp_timers_run(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	uint64_t now = w->clock.now_us, now_tick = tick_of(now), start, n, i;
	uint64_t cur_next = UINT64_MAX;
	const uint64_t cur_slot = now_tick & (TCP_WHEEL_SLOTS - 1);

	/* Before the next tick to process; or before anything left in the slot of the last
	 * run's tick is due and before the first tick after it whose slot may hold a flow:
	 * nothing to walk, neither that slot's flows (many, with thousands of connections)
	 * nor the bitmap. The three tests as one (wheel_run_at_update). */
	if (now < t->wheel_run_at)
		return;
	start = t->wheel_tick;
	n = RTE_MIN(now_tick - start + 1, (uint64_t)TCP_WHEEL_SLOTS);
	/* Advance first: a flow re-armed while we run lands in a later tick. */
	t->wheel_tick = now_tick + 1;
	for (i = wheel_next_used(t, start, n); i < n;
	     i += 1 + wheel_next_used(t, start + i + 1, n - i - 1)) {
		const uint64_t idx = (start + i) & (TCP_WHEEL_SLOTS - 1);
		struct tcp_flow_list *slot = &t->wheel[idx];
		struct tcp_flow_list later = TAILQ_HEAD_INITIALIZER(later);
		struct tcp_flow *f;

		TAILQ_INIT(&later);
		while ((f = TAILQ_FIRST(slot)) != NULL) {
			TAILQ_REMOVE(slot, f, wheel_link);
			if (f->wheel_at > now) {
				/* Later in this tick, or due in a later rotation. */
				TAILQ_INSERT_TAIL(&later, f, wheel_link);
				if (idx == cur_slot)
					cur_next = RTE_MIN(cur_next, f->wheel_at);
				continue;
			}
			f->flags &= ~TF_IN_WHEEL;
			tcp_timer_fire(w, f);
		}
		TAILQ_CONCAT(slot, &later, wheel_link);
		/* Flows fired here may have re-armed into this very slot (a rotation on),
		 * or emptied it meanwhile: the bit follows the list as it is now. */
		if (TAILQ_EMPTY(slot))
			wheel_used_clear(t, idx);
		else
			wheel_used_set(t, idx);
	}
	/* The current tick is not over: a deadline later in it is still in its slot, so the
	 * next run starts there again rather than a whole rotation later, once the earliest
	 * of them (or of those tcp_timer_arm adds to the slot meanwhile) is due. */
	t->wheel_tick = now_tick;
	t->wheel_cur_next = cur_next;
	/* The next runs have nothing to do until the first slot after this tick that holds a
	 * flow (looked for one bitmap word ahead, TCP_WHEEL_LOOKAHEAD ticks): a flow whose
	 * timer is far away (the retransmission timer of a request-response connection sits
	 * where it was first armed, tcp_timer_arm_at) leaves the phase idle meanwhile. */
	t->wheel_empty_to = now_tick + 1 + wheel_next_used(t, now_tick + 1, TCP_WHEEL_LOOKAHEAD);
	wheel_run_at_update(t);
}
