/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cc_cubic.c -- CUBIC congestion control (RFC 9438), with HyStart++ (RFC 9406) in the
 * first slow start.
 *
 * tcp_in.c (ACK processing) -> on_rtt_sample and on_ack (one call when an ACK brings both,
 * tcp_cc_cubic_on_rtt_sample_ack), enter_recovery, exit_recovery, undo, on_ece;
 * tcp_timer.c (RTO) -> on_rto; flow.c and the handshake -> init, conn_init. The hooks only compute cwnd and ssthresh (cc.h); TCP decides when
 * recovery starts and ends and sends every retransmission.
 *
 * Congestion avoidance follows the window curve W_cubic(t) = C*(t-K)^3 + W_max (RFC 9438
 * §4.2), where t is the time since the epoch (the current congestion avoidance stage)
 * began and K the time the curve takes to climb back to W_max, the window before the last
 * reduction: concave below W_max (§4.4), convex above it (§4.5). Each ACK moves cwnd
 * towards the curve one RTT ahead, at most to 1.5 cwnd per window of ACKs. Beside the
 * curve runs W_est, the window a Reno flow would have (§4.3); where it is larger, cwnd
 * follows it (the Reno-friendly region: small BDPs, short RTTs). A loss or an ECN echo
 * multiplies the window by beta_cubic = 0.7 (§4.6), first lowering W_max when the flow
 * had not even regained the last one (fast convergence, §4.7); a timeout collapses it to
 * one segment (§4.8).
 *
 * The arithmetic is integer: windows in bytes, the curve in milliseconds, its cube in
 * 64 bits (t - K is bounded to keep it there), K from an exact integer cube root. The
 * constants are ratios: C = 2/5, beta_cubic = 7/10, alpha_cubic = 3(1-beta)/(1+beta) =
 * 9/17. The cube root runs once per epoch, never per ACK.
 *
 * Slow start is RFC 5681's (cwnd += min(acked, SMSS)), except in the first one, while
 * ssthresh is still arbitrarily high: there HyStart++ measures the minimum RTT of each
 * round (a round ends when the ACKs pass what was sent when it began) and, when it rises
 * by clamp(lastRoundMinRTT/8, 4 ms, 16 ms), leaves for Conservative Slow Start, a quarter
 * of the growth; back to slow start if the RTT falls below where it was; to congestion
 * avoidance after CSS_ROUNDS rounds. RFC 9406 wants N_RTT_SAMPLE = 8 samples in a round
 * before judging it; TCP measures one segment per round trip (tcp_timer.c), so a round
 * with fewer is judged at its end on what it has.
 *
 * A flow that does not use its window must not grow it, and the time it spends so is not
 * part of t (§5.8): an ACK that finds the window neither full nor holding back queued data
 * leaves cwnd alone and moves the epoch on by the time since the previous ACK;
 * after_idle (sending resumes after an idle period) does the same for the idle period.
 * Slow start too grows only a window in use (RFC 7661's intent; Linux's
 * tcp_is_cwnd_limited): an ACK that finds the flight before it at most half of cwnd and
 * no data held back by the window changes nothing, neither cwnd nor HyStart++'s rounds
 * and samples (nothing grows, so there is no exit to find; the round in progress goes on
 * when the window is used again). A request-response flow then keeps its initial window
 * instead of raising it by every byte it exchanges.
 */

#include "core/util.h"
#include "core/worker.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/tcp_seq.h"

/* RFC 9406 §4.3. */
#define HS_MIN_RTT_THRESH_US	4000u
#define HS_MAX_RTT_THRESH_US	16000u
_Static_assert(HS_MIN_RTT_THRESH_US < HS_MAX_RTT_THRESH_US, "hystart_check clamps in order");
#define HS_MIN_RTT_DIVISOR	8u
#define HS_N_RTT_SAMPLE		8u
#define HS_CSS_GROWTH_DIVISOR	4u
#define HS_CSS_ROUNDS		5u
/* L, the most one ACK adds in slow start, in segments: 8 for a sender without pacing. */
#define HS_L			8u

/* Beyond this |t - K| (27 minutes), 4 (t-K)^3 leaves 64 bits; the window there is past
 * any cwnd anyway (a saturated curve). */
#define CUBIC_T_K_MAX_MS	1600000u

/* Flows are many: the state is kept within 48 bytes (cc.h). */
_Static_assert(sizeof(struct tcp_cc_cubic) <= 48, "struct tcp_cc_cubic grew");

static inline struct tcp_cc_cubic *
cubic_of(struct tcp_flow *f)
{
	return &f->cc_state.cubic;
}

static inline uint32_t
cubic_now_ms(const struct tcp_flow *f)
{
	return (uint32_t)(f->w->clock.now_us / 1000);
}

/* floor(cbrt(x)), bit by bit (Hacker's Delight, icbrt64). */
static uint32_t
cubic_cbrt(uint64_t x)
{
	uint64_t y = 0, b;
	int s;

	for (s = 63; s >= 0; s -= 3) {
		y <<= 1;
		b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return (uint32_t)y;
}

/* K = cubic_root((W_max - cwnd_epoch) / C) (§4.2 Figure 2) for a difference of diff bytes,
 * in milliseconds: the cube root of diff / (mss * 2/5) * 10^9. diff < 2^30 keeps the
 * product below 2^62. */
static uint32_t
cubic_k_ms(uint32_t diff, uint32_t mss)
{
	return cubic_cbrt((uint64_t)u32_min(diff, TCP_CWND_MAX) * 2500000000ull /
			  u32_max(mss, 1));
}

/* W_cubic(t) = C*(t-K)^3 + W_max (§4.2 Figure 1) in bytes, for t in milliseconds:
 * C*(t-K)^3 segments is 2 (t-K)^3 / (5 * 10^9), which is 4 (t-K)^3 / 5^10 in 1/1024ths of
 * a segment, then times the MSS. */
static uint32_t
cubic_window(const struct tcp_cc_cubic *c, uint32_t t_ms, uint32_t mss)
{
	uint32_t k = c->ca.k_ms;
	uint32_t d = t_ms >= k ? t_ms - k : k - t_ms;
	uint64_t delta = TCP_CWND_MAX;

	if (d <= CUBIC_T_K_MAX_MS) {
		uint64_t cube = (uint64_t)d * d * d;

		delta = u64_min((cube * 4 / 9765625 * mss) >> 10, TCP_CWND_MAX);
	}
	if (t_ms >= k)
		return (uint32_t)u64_min(c->w_max + delta, TCP_CWND_MAX);
	return c->w_max > delta ? c->w_max - (uint32_t)delta : 0;
}

/* ---- HyStart++ (RFC 9406) ---- */

/* A round begins: "lastRoundMinRTT = currentRoundMinRTT; currentRoundMinRTT = infinity;
 * rttSampleCount = 0", the round ending with what has been sent by now. A round without
 * samples keeps the last round's minimum, to compare the next one with. */
static void
hystart_round_start(struct tcp_flow *f, struct tcp_cc_cubic *c)
{
	if (c->hs.samples > 0)
		c->hs.last_min_rtt = c->hs.cur_min_rtt;
	c->hs.cur_min_rtt = UINT32_MAX;
	c->hs.samples = 0;
	c->hs.window_end = f->snd_max;
}

/* HyStart++ from the beginning: the first slow start, or one restored by an undo. The
 * first round ends with the next ACK of anything (snd_max may not even be set yet: a
 * passive open negotiates before its SYN-ACK leaves), the rounds after it with what was
 * sent when each began. */
static void
hystart_start(struct tcp_flow *f, struct tcp_cc_cubic *c)
{
	c->phase = CUBIC_HS_SS;
	c->hs.last_min_rtt = UINT32_MAX;
	c->hs.cur_min_rtt = UINT32_MAX;
	c->hs.css_base_rtt = UINT32_MAX;
	c->hs.css_rounds = 0;
	c->hs.samples = 0;
	c->hs.window_end = f->snd_una;
}

/* The round's minimum RTT against the last round's: slow start ends when the delay rose
 * by RttThresh (§4.2: "if (currentRoundMinRTT >= (lastRoundMinRTT + RttThresh))"), and
 * Conservative Slow Start was a false alarm when it fell below where CSS began
 * ("if (currentRoundMinRTT < cssBaselineMinRtt)"). */
static __rte_always_inline void
hystart_check(struct tcp_cc_cubic *c)
{
	uint32_t last = c->hs.last_min_rtt, cur = c->hs.cur_min_rtt, thresh;

	if (cur == UINT32_MAX)
		return;
	if (c->phase == CUBIC_HS_SS) {
		if (last == UINT32_MAX)
			return;
		/* max(MIN_RTT_THRESH, min(last / MIN_RTT_DIVISOR, MAX_RTT_THRESH)) as
		 * branches (MIN below MAX): as min and max, the compiler took it to vector
		 * registers through the stack, on every RTT sample of a slow start. */
		thresh = last / HS_MIN_RTT_DIVISOR;
		if (thresh < HS_MIN_RTT_THRESH_US)
			thresh = HS_MIN_RTT_THRESH_US;
		else if (thresh > HS_MAX_RTT_THRESH_US)
			thresh = HS_MAX_RTT_THRESH_US;
		if ((uint64_t)cur >= (uint64_t)last + thresh) {
			c->phase = CUBIC_HS_CSS;
			c->hs.css_base_rtt = cur;
			c->hs.css_rounds = 0;
		}
	} else if (cur < c->hs.css_base_rtt) {
		c->phase = CUBIC_HS_SS;
		c->hs.css_base_rtt = UINT32_MAX;
	}
}

/* End the round once snd_una passed its end (an ACK of data sent after it began). After
 * CSS_ROUNDS rounds of CSS, "enter congestion avoidance by setting the ssthresh to the
 * current cwnd"; the epoch begins with the next ACK (cubic_epoch_start: K = 0, W_max =
 * cwnd, RFC 9438 §4.10). */
static __rte_always_inline void
hystart_round(struct tcp_flow *f, struct tcp_cc_cubic *c)
{
	if (!seq_gt(f->snd_una, c->hs.window_end))
		return;
	if (c->phase == CUBIC_HS_CSS && ++c->hs.css_rounds >= HS_CSS_ROUNDS) {
		f->ssthresh = f->cwnd;
		c->phase = CUBIC_CA;
		return;
	}
	if (c->hs.samples > 0 && c->hs.samples < HS_N_RTT_SAMPLE)
		hystart_check(c);	/* what the round had, fewer than N_RTT_SAMPLE */
	hystart_round_start(f, c);
}

__rte_noinline void
tcp_cc_cubic_rtt_sample_general(struct tcp_flow *f, uint32_t rtt_us)
{
	struct tcp_cc_cubic *c = cubic_of(f);

	if (c->phase == CUBIC_CA)
		return;
	hystart_round(f, c);
	if (c->phase == CUBIC_CA || c->hs.samples >= HS_N_RTT_SAMPLE)
		return;
	c->hs.cur_min_rtt = u32_min(c->hs.cur_min_rtt, rtt_us);
	if (++c->hs.samples == HS_N_RTT_SAMPLE)
		hystart_check(c);
}

/* The common sample: HyStart++ slow start, and the ACK ends a round that had one sample
 * (request-response traffic has one segment, so one sample, per round). The general path
 * then checks the round (samples is 1: neither 0 nor N_RTT_SAMPLE), starts the next one
 * (last = cur, cur = infinity, samples = 0, window_end = snd_max), finds the phase still
 * not CA (hystart_check only moves SS to CSS) and samples under N_RTT_SAMPLE, and takes
 * the sample: cur = min(infinity, rtt) = rtt, samples back to 1, which is not
 * N_RTT_SAMPLE. The same state results here without the branches; CSS (rounds counted,
 * perhaps CA) and every other case take the general path. TCP calls it directly
 * (cc.h tcp_cc_on_rtt_sample); `inline` on this external definition (cc.h declares it
 * plainly) lets link-time optimisation inline it into the ACK path. */
inline void
tcp_cc_cubic_on_rtt_sample(struct tcp_flow *f, uint32_t rtt_us)
{
	struct tcp_cc_cubic *c = cubic_of(f);

	_Static_assert(HS_N_RTT_SAMPLE > 1, "one sample must not complete a round");
	if (likely(c->phase == CUBIC_HS_SS && c->hs.samples == 1 &&
		   seq_gt(f->snd_una, c->hs.window_end))) {
		hystart_check(c);
		c->hs.last_min_rtt = c->hs.cur_min_rtt;
		c->hs.cur_min_rtt = rtt_us;
		c->hs.window_end = f->snd_max;
		return;
	}
	tcp_cc_cubic_rtt_sample_general(f, rtt_us);
}

/* Does slow start use its window at this ACK (acked bytes newly acknowledged, SND.UNA
 * already moved)? When the flight before the ACK was above half of cwnd: the ACKs of a
 * window that was full grow it, as Linux's "cwnd < 2 * max_packets_out" (its maximum
 * over a window; the flight before each ACK, here, is that of its part of the window), or
 * when data waits that only the window held back (cubic_cwnd_limited). Windows in bytes
 * below 2^30 keep the sums in 32 bits. */
static __rte_always_inline bool
cubic_ss_in_use(const struct tcp_flow *f, uint32_t acked)
{
	uint32_t flight = tcp_flight(f);

	if (2 * ((uint64_t)flight + acked) > f->cwnd)
		return true;
	return f->tx.bytes >= flight + f->mss && f->snd_wnd >= f->cwnd;
}

static __rte_always_inline void
cubic_ack(struct tcp_flow *f, struct tcp_cc_cubic *c, uint32_t acked);

/* on_rtt_sample then on_ack for an ACK that measured the RTT, except in slow start with
 * the window not in use, where nothing changes (the header; request-response traffic,
 * every ACK). Then a fast path: the sample's (slow start, a round of one sample ending),
 * and an ACK in slow start below ssthresh. on_ack then finds the round just begun
 * (window_end = snd_max, which snd_una does not pass), so hystart_round does nothing,
 * and cwnd grows by min(acked, L*SMSS), a quarter of it if hystart_check moved to CSS.
 * Anything else: the two hooks (tests compare them). Called directly (cc.h
 * tcp_cc_on_rtt_sample_ack, which the ACK path uses whenever both come), inlined into
 * the ACK path. */
__rte_always_inline void
tcp_cc_cubic_on_rtt_sample_ack(struct tcp_flow *f, uint32_t rtt_us, uint32_t acked)
{
	struct tcp_cc_cubic *c = cubic_of(f);
	uint32_t inc;

	/* Slow start with the window not in use: nothing changes (the header). */
	if (likely(f->cwnd < f->ssthresh && !cubic_ss_in_use(f, acked)))
		return;
	if (likely(c->phase == CUBIC_HS_SS && c->hs.samples == 1 &&
		   seq_gt(f->snd_una, c->hs.window_end) && f->cwnd < f->ssthresh)) {
		hystart_check(c);
		c->hs.last_min_rtt = c->hs.cur_min_rtt;
		c->hs.cur_min_rtt = rtt_us;
		c->hs.window_end = f->snd_max;
		inc = (uint32_t)u64_min(acked, (uint64_t)HS_L * f->mss);
		if (c->phase == CUBIC_HS_CSS)
			inc /= HS_CSS_GROWTH_DIVISOR;
		f->cwnd = (uint32_t)u64_min((uint64_t)f->cwnd + inc, f->ssthresh);
		return;
	}
	tcp_cc_cubic_on_rtt_sample(f, rtt_us);
	cubic_ack(f, c, acked);
}

/* ---- congestion avoidance ---- */

/* A congestion avoidance stage begins (§4.2): t_epoch is now, and K brings the curve from
 * cwnd_epoch back to W_max. Without a W_max above cwnd (after a timeout, after HyStart++
 * left slow start without a loss) "K is set to 0, and W_max is set to the congestion
 * window size at the beginning of the current congestion avoidance stage" (§4.8, §4.10),
 * and a flow that never reduced has "cwnd_prior = cwnd". W_est starts at cwnd_epoch
 * (§4.3). */
static void
cubic_epoch_start(struct tcp_flow *f, struct tcp_cc_cubic *c, uint32_t now_ms)
{
	c->flags |= CUBIC_EPOCH;
	c->ca.epoch_ms = now_ms;
	c->ca.ack_ms = now_ms;
	if (c->w_max > f->cwnd) {
		c->ca.k_ms = cubic_k_ms(c->w_max - f->cwnd, f->mss);
	} else {
		c->w_max = f->cwnd;
		c->ca.k_ms = 0;
	}
	if (c->cwnd_prior == 0)
		c->cwnd_prior = f->cwnd;
	c->ca.w_est = f->cwnd;
	c->ca.est_acked = 0;
}

/* Did the flow use its window? It did if this ACK found it full (to within a segment, which
 * sender silly-window avoidance may leave unused), or if data waits that only the window
 * held back: ACKs read in one burst all arrive before tcp_output refills the window. A
 * flow held by the application or by the peer's window did not (§5.8). */
static bool
cubic_cwnd_limited(const struct tcp_flow *f, uint32_t acked)
{
	uint32_t flight = tcp_flight(f);

	if ((uint64_t)flight + acked + f->mss > f->cwnd)
		return true;
	return f->tx.bytes >= flight + f->mss && f->snd_wnd >= f->cwnd;
}

/* W_est += alpha_cubic * segments_acked / cwnd (§4.3 Figure 4), in bytes: one SMSS per
 * cwnd / alpha_cubic bytes acknowledged, with alpha_cubic = 9/17 until W_est reaches
 * cwnd_prior, then 1 (Reno's own rate). */
static void
cubic_reno_ack(struct tcp_flow *f, struct tcp_cc_cubic *c, uint32_t acked)
{
	uint64_t per_mss = c->ca.w_est >= c->cwnd_prior ? f->cwnd : (uint64_t)f->cwnd * 17 / 9;
	uint64_t n = (uint64_t)c->ca.est_acked + acked;

	per_mss = u64_max(per_mss, 1);
	if (n >= per_mss) {
		uint64_t w_est = c->ca.w_est + n / per_mss * f->mss;

		c->ca.w_est = (uint32_t)u64_min(w_est, TCP_CWND_MAX);
		n %= per_mss;
	}
	c->ca.est_acked = (uint32_t)n;
}

/* Out of line: slow start, the other branch of tcp_cc_cubic_on_ack, then needs no stack
 * frame. */
static __rte_noinline void
cubic_ca_ack(struct tcp_flow *f, struct tcp_cc_cubic *c, uint32_t acked)
{
	uint32_t now_ms = cubic_now_ms(f);
	uint32_t t_ms, rtt_ms, target, cwnd = f->cwnd;

	if (!(c->flags & CUBIC_EPOCH))
		cubic_epoch_start(f, c, now_ms);
	if (!cubic_cwnd_limited(f, acked)) {
		c->ca.epoch_ms += now_ms - c->ca.ack_ms;
		c->ca.ack_ms = now_ms;
		return;
	}
	c->ca.ack_ms = now_ms;
	cubic_reno_ack(f, c, acked);
	t_ms = now_ms - c->ca.epoch_ms;
	/* §4.3: "If W_cubic(t) < W_est ... cwnd SHOULD be set to W_est"; it never shrinks
	 * on an ACK, though: cwnd may already be above W_est, aiming at W_cubic(t + RTT). */
	if (cubic_window(c, t_ms, f->mss) < c->ca.w_est) {
		f->cwnd = u32_max(cwnd, c->ca.w_est);
		return;
	}
	/* §4.4, §4.5: target = W_cubic(t + RTT), between cwnd and 1.5 cwnd (Figure 3); cwnd
	 * grows by (target - cwnd) / cwnd per segment acknowledged. */
	rtt_ms = (f->srtt >> 3) / 1000;
	target = cubic_window(c, t_ms + rtt_ms, f->mss);
	target = u32_min(u32_max(target, cwnd), cwnd + cwnd / 2);
	if (cwnd > 0) {
		uint64_t inc = (uint64_t)(target - cwnd) * acked / cwnd;

		f->cwnd = (uint32_t)u64_min(cwnd + inc, TCP_CWND_MAX);
	}
}

/* ---- the hooks ---- */

static void
cubic_init(struct tcp_flow *f)
{
	/* "The initial value of ssthresh SHOULD be set arbitrarily high" (RFC 5681 §3.1). */
	f->ssthresh = TCP_CWND_MAX;
	hystart_start(f, cubic_of(f));
}

static void
cubic_conn_init(struct tcp_flow *f, uint32_t iw)
{
	struct tcp_cc_cubic *c = cubic_of(f);

	f->cwnd = iw;
	/* HyStart++ is for the first slow start only (RFC 9406 §4.2); a flow switched to
	 * CUBIC after congestion (sl_conn_set_cc) keeps its ssthresh, and its first epoch
	 * starts from cwnd. */
	if (f->ssthresh == TCP_CWND_MAX) {
		hystart_start(f, c);
	} else {
		c->phase = CUBIC_CA;
		c->flags &= (uint8_t)~CUBIC_EPOCH;
	}
}

/* on_ack once slow start was found to use its window (or in congestion avoidance, which
 * judges that itself, cubic_ca_ack). */
static __rte_always_inline void
cubic_ack(struct tcp_flow *f, struct tcp_cc_cubic *c, uint32_t acked)
{
	uint32_t inc;

	if (c->phase != CUBIC_CA)
		hystart_round(f, c);
	if (f->cwnd >= f->ssthresh) {
		c->phase = CUBIC_CA;	/* HyStart++ ends here at the latest */
		cubic_ca_ack(f, c, acked);
		return;
	}
	/* Slow start: RFC 9406's cwnd += min(N, L*SMSS), a quarter of it in CSS; after the
	 * first slow start RFC 5681's min(N, SMSS). Never beyond ssthresh (as Linux): the
	 * epoch of congestion avoidance begins with the next ACK. */
	if (c->phase == CUBIC_CA) {
		inc = u32_min(acked, f->mss);
	} else {
		inc = (uint32_t)u64_min(acked, (uint64_t)HS_L * f->mss);
		if (c->phase == CUBIC_HS_CSS)
			inc /= HS_CSS_GROWTH_DIVISOR;
	}
	f->cwnd = (uint32_t)u64_min((uint64_t)f->cwnd + inc, f->ssthresh);
}

/* Called directly for every ACK of new data outside recovery (cc.h tcp_cc_on_ack):
 * always_inline on this external definition makes link-time optimisation inline it there
 * (a plain `inline` hint lost out to the ACK path's growth). */
__rte_always_inline void
tcp_cc_cubic_on_ack(struct tcp_flow *f, uint32_t acked)
{
	/* Slow start with the window not in use: nothing changes (the header). */
	if (f->cwnd < f->ssthresh && !cubic_ss_in_use(f, acked))
		return;
	cubic_ack(f, cubic_of(f), acked);
}

/* A congestion event (§4.6, §4.7): remember what undo would restore, lower W_max by fast
 * convergence when the flow had not regained the last one, note cwnd_prior, end the epoch
 * and HyStart++. Returns flight_size * beta_cubic, the new ssthresh before its floor:
 * RFC 9438 bases it on the flight, as RFC 5681 does, so a flow that did not fill its
 * window is not credited with it. */
static uint32_t
cubic_reduce(struct tcp_flow *f)
{
	struct tcp_cc_cubic *c = cubic_of(f);

	c->undo_w_max = c->w_max;
	c->undo_cwnd_prior = c->cwnd_prior;
	c->flags &= (uint8_t)~CUBIC_UNDO_EPOCH;
	if (c->phase == CUBIC_CA && (c->flags & CUBIC_EPOCH)) {
		int64_t t_k = (int64_t)(uint32_t)(cubic_now_ms(f) - c->ca.epoch_ms) - c->ca.k_ms;

		c->flags |= CUBIC_UNDO_EPOCH;
		c->undo_w_est = c->ca.w_est;
		if (t_k > INT32_MAX)
			t_k = INT32_MAX;
		else if (t_k < INT32_MIN)
			t_k = INT32_MIN;
		c->undo_t_k = (int32_t)t_k;
	}
	/* "if (cwnd < W_max and fast convergence enabled) W_max = cwnd * (1 + beta_cubic)
	 * / 2, else W_max = cwnd" */
	c->w_max = f->cwnd < c->w_max ? (uint32_t)((uint64_t)f->cwnd * 17 / 20) : f->cwnd;
	c->cwnd_prior = f->cwnd;
	c->flags &= (uint8_t)~CUBIC_EPOCH;
	c->phase = CUBIC_CA;
	return (uint32_t)((uint64_t)tcp_flight(f) * 7 / 10);
}

static void
cubic_enter_recovery(struct tcp_flow *f)
{
	uint32_t ssthresh = cubic_reduce(f);

	/* Figure 5: "cwnd = max(ssthresh, 2)" on a loss, "ssthresh = max(ssthresh, 2)". */
	f->ssthresh = u32_max(ssthresh, 2u * f->mss);
	f->cwnd = f->ssthresh;
}

static void
cubic_exit_recovery(struct tcp_flow *f)
{
	/* RFC 6937 §3: "cwnd = ssthresh" when recovery ends; PRR has brought the flight
	 * there already, so no burst follows. */
	f->cwnd = f->ssthresh;
}

static void
cubic_on_rto(struct tcp_flow *f)
{
	uint32_t ssthresh = cubic_reduce(f);

	/* §4.8: ssthresh by beta_cubic, cwnd by RFC 5681 ("no more than the loss window,
	 * LW, which equals 1 full-sized segment"), and the next epoch with K = 0 and W_max
	 * = its own cwnd_epoch. */
	cubic_of(f)->w_max = 0;
	f->ssthresh = u32_max(ssthresh, 2u * f->mss);
	f->cwnd = f->mss;
}

static void
cubic_on_ece(struct tcp_flow *f)
{
	uint32_t ssthresh = cubic_reduce(f);

	/* Figure 5: "cwnd = max(ssthresh, 1)" on an ECN echo: nothing was lost. */
	f->ssthresh = u32_max(ssthresh, 2u * f->mss);
	f->cwnd = u32_max(ssthresh, f->mss);
}

static void
cubic_undo(struct tcp_flow *f)
{
	struct tcp_cc_cubic *c = cubic_of(f);
	uint32_t now_ms;

	c->w_max = c->undo_w_max;
	c->cwnd_prior = c->undo_cwnd_prior;
	c->flags &= (uint8_t)~CUBIC_EPOCH;
	if (f->ssthresh == TCP_CWND_MAX) {
		hystart_start(f, c);	/* back in the first slow start */
		return;
	}
	c->phase = CUBIC_CA;
	if (!(c->flags & CUBIC_UNDO_EPOCH))
		return;		/* the next epoch starts from the restored cwnd */
	/* Back on the curve where the reduction found it (same t - K, same W_max and W_est);
	 * the time spent reduced is not part of t, as for an idle period (§5.8). */
	c->flags &= (uint8_t)~CUBIC_UNDO_EPOCH;
	c->flags |= CUBIC_EPOCH;
	now_ms = cubic_now_ms(f);
	if (c->undo_t_k >= 0) {
		c->ca.epoch_ms = now_ms - (uint32_t)c->undo_t_k;
		c->ca.k_ms = 0;
	} else {
		c->ca.epoch_ms = now_ms;
		c->ca.k_ms = (uint32_t)-(int64_t)c->undo_t_k;
	}
	c->ca.ack_ms = now_ms;
	c->ca.w_est = c->undo_w_est;
	c->ca.est_acked = 0;
}

static void
cubic_after_idle(struct tcp_flow *f, uint32_t iw)
{
	struct tcp_cc_cubic *c = cubic_of(f);

	/* §5.8: t must not include the idle period, or W_cubic(t) would be far above cwnd
	 * when sending resumes: the epoch moves on by it (as Linux's bictcp_cwnd_event). */
	if (c->phase == CUBIC_CA && (c->flags & CUBIC_EPOCH)) {
		uint32_t now_ms = cubic_now_ms(f);

		c->ca.epoch_ms += now_ms - c->ca.ack_ms;
		c->ca.ack_ms = now_ms;
	}
	/* RFC 5681 §4.1, as for NewReno: cwnd = RW = min(IW, cwnd). */
	f->cwnd = u32_min(iw, f->cwnd);
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.conn_init = cubic_conn_init,
	.on_ack = tcp_cc_cubic_on_ack,
	.on_rtt_sample = tcp_cc_cubic_on_rtt_sample,
	.enter_recovery = cubic_enter_recovery,
	.exit_recovery = cubic_exit_recovery,
	.on_rto = cubic_on_rto,
	.after_idle = cubic_after_idle,
	.undo = cubic_undo,
	.on_ece = cubic_on_ece,
};
