/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cc_dctcp.c -- Data Center TCP (RFC 8257): congestion control from the extent of
 * congestion, not its mere presence.
 *
 * tcp_ecn.c -> on_ecn_ack (every ACK of new data on an ECN connection), on_ece (an ACK with
 * ECE, at most once per round trip); tcp_in.c and tcp_timer.c -> the other hooks, as for
 * NewReno (cc.h).
 *
 * Switches mark CE as soon as their queue passes a small threshold, and the receiver echoes
 * every mark precisely (tcp_ecn.c, RFC 8257 §3.2). The sender measures the fraction of its
 * bytes that came back marked over each window of data and keeps a moving average of it,
 * alpha (§3.3, gain g = 1/16); on ECE it cuts the window by alpha / 2: barely under light
 * marking, by half when everything is marked (§3.3 step 9). Growth, and the answer to a
 * loss (§3.4: "in the same way as conventional TCP"), are NewReno's, called through its
 * operations table so that NewReno's code stays its own; the window during recovery is
 * PRR's (tcp_recovery.c).
 *
 * alpha is a fixed-point fraction (TCP_DCTCP_ALPHA_ONE = 1 << 20), which keeps the
 * average exact for the fractions tests use and lets it decay to nothing: below 16 units
 * alpha >> 4 is zero, and alpha is then set to zero, as Linux does.
 */

#include <rte_common.h>

#include "core/util.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/tcp_seq.h"

/* g = 1/16 (RFC 8257 §4.2: "a good choice for g is 1/16"). */
#define DCTCP_SHIFT_G 4

static void
dctcp_init(struct tcp_flow *f)
{
	tcp_cc_newreno.init(f);
	/* "DCTCP.Alpha ... initialized to 1" (§3.3): the first mark halves the window, as
	 * before anything was measured any other reaction would be a guess. */
	f->cc_state.dctcp.alpha = TCP_DCTCP_ALPHA_ONE;
}

/* A new observation window starting now: it ends when everything sent so far has been
 * acknowledged (§3.3 step 7, "DCTCP.WindowEnd = SND.NXT"). */
static void
dctcp_window_start(struct tcp_flow *f)
{
	struct tcp_cc_dctcp *d = &f->cc_state.dctcp;

	d->window_end = f->snd_nxt;
	d->bytes_acked = 0;
	d->bytes_marked = 0;
}

static void
dctcp_conn_init(struct tcp_flow *f, uint32_t iw)
{
	tcp_cc_newreno.conn_init(f, iw);
	/* The handshake is not over everywhere this runs (SYN-RECEIVED has not sent its
	 * SYN-ACK yet): the first window ends with the first ACK of data. */
	f->cc_state.dctcp.window_end = f->iss;
	f->cc_state.dctcp.bytes_acked = 0;
	f->cc_state.dctcp.bytes_marked = 0;
}

static void
dctcp_on_ack(struct tcp_flow *f, uint32_t acked)
{
	tcp_cc_newreno.on_ack(f, acked);
}

static void
dctcp_enter_recovery(struct tcp_flow *f)
{
	tcp_cc_newreno.enter_recovery(f);
}

static void
dctcp_exit_recovery(struct tcp_flow *f)
{
	tcp_cc_newreno.exit_recovery(f);
}

static void
dctcp_on_rto(struct tcp_flow *f)
{
	tcp_cc_newreno.on_rto(f);
}

static void
dctcp_after_idle(struct tcp_flow *f, uint32_t iw)
{
	tcp_cc_newreno.after_idle(f, iw);
}

/* The new alpha from the last one and the window's marked fraction M = marked / acked:
 * alpha = (1 - g) * alpha + g * M (§3.3 steps 5 and 6). */
static uint32_t
dctcp_alpha_next(uint32_t alpha, uint32_t marked, uint32_t acked)
{
	uint32_t decay = alpha >> DCTCP_SHIFT_G;

	alpha -= decay != 0 ? decay : alpha;
	if (marked > 0)
		alpha += (uint32_t)(((uint64_t)RTE_MIN(marked, acked) <<
				     (20 - DCTCP_SHIFT_G)) / RTE_MAX(acked, 1u));
	return RTE_MIN(alpha, TCP_DCTCP_ALPHA_ONE);
}

/* §3.3 steps 1-8: count the bytes this ACK acknowledged, and those it reported marked;
 * when SND.UNA passes the end of the observation window, fold the window's fraction into
 * alpha and start the next window. */
static void
dctcp_on_ecn_ack(struct tcp_flow *f, uint32_t acked, uint32_t ce_acked)
{
	struct tcp_cc_dctcp *d = &f->cc_state.dctcp;

	d->bytes_acked += acked;
	d->bytes_marked += ce_acked;
	if (!seq_gt(f->snd_una, d->window_end))
		return;
	d->alpha = dctcp_alpha_next(d->alpha, d->bytes_marked, d->bytes_acked);
	dctcp_window_start(f);
}

/* ECE, once per round trip (tcp_ecn.c): "cwnd = cwnd * (1 - DCTCP.Alpha / 2)" (§3.3 step
 * 9), and ssthresh with it so that the window grows back in congestion avoidance; never
 * below two segments (RFC 5681's floor for a reduction). */
static void
dctcp_on_ece(struct tcp_flow *f)
{
	uint32_t cut = (uint32_t)(((uint64_t)f->cwnd * f->cc_state.dctcp.alpha) >> 21);

	f->ssthresh = u32_max(f->cwnd - cut, 2u * f->mss);
	f->cwnd = f->ssthresh;
}

const struct tcp_cc_ops tcp_cc_dctcp = {
	.name = "dctcp",
	.init = dctcp_init,
	.conn_init = dctcp_conn_init,
	.on_ack = dctcp_on_ack,
	.enter_recovery = dctcp_enter_recovery,
	.exit_recovery = dctcp_exit_recovery,
	.on_rto = dctcp_on_rto,
	.after_idle = dctcp_after_idle,
	.on_ece = dctcp_on_ece,
	.on_ecn_ack = dctcp_on_ecn_ack,
	.needs_ecn = true,
};
