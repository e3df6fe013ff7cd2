/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cc_newreno.c -- NewReno congestion control: RFC 5681 (slow start, congestion avoidance,
 * fast retransmit and fast recovery); during recovery the window is PRR's (RFC 6937,
 * tcp_recovery.c), which replaces RFC 5681's inflation and RFC 6582's deflation.
 *
 * tcp_in.c (ACK processing) -> on_ack; tcp_recovery.c -> enter_recovery, exit_recovery; tcp_timer.c (RTO) -> on_rto; flow.c and the handshake -> init, conn_init.
 * The hooks only compute cwnd and ssthresh (cc.h); TCP decides when recovery starts and
 * ends and sends every retransmission.
 *
 * Slow start grows cwnd by the bytes an ACK covers, at most one SMSS per ACK (RFC 3465
 * with L = 1 SMSS). Congestion avoidance counts bytes, the way RFC 5681 §3.1 recommends:
 * cwnd grows by one SMSS once a whole cwnd of bytes has been acknowledged, however the
 * peer spreads its ACKs.
 */

#include <rte_common.h>

#include "core/util.h"
#include "tcp/cc.h"
#include "tcp/flow.h"

/* RFC 5681 §3.1 equation (4), for a loss detected by duplicate ACKs or a timeout:
 * ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t
newreno_ssthresh(const struct tcp_flow *f)
{
	return RTE_MAX(tcp_flight(f) / 2, 2u * f->mss);
}

static void
newreno_init(struct tcp_flow *f)
{
	/* "The initial value of ssthresh SHOULD be set arbitrarily high" (RFC 5681 §3.1). */
	f->ssthresh = TCP_CWND_MAX;
}

static void
newreno_conn_init(struct tcp_flow *f, uint32_t iw)
{
	f->cwnd = iw;
}

static void
newreno_on_ack(struct tcp_flow *f, uint32_t acked)
{
	struct tcp_cc_newreno *nr = &f->cc_state.newreno;

	if (f->cwnd < f->ssthresh) {
		/* Slow start: "cwnd += min (N, SMSS)" (RFC 5681 §3.1 equation (2)). */
		f->cwnd += RTE_MIN(acked, (uint32_t)f->mss);
	} else {
		/* Congestion avoidance: one SMSS per cwnd of bytes acknowledged. */
		nr->ca_acked += acked;
		if (nr->ca_acked >= f->cwnd) {
			nr->ca_acked -= f->cwnd;
			f->cwnd += f->mss;
		}
	}
	f->cwnd = RTE_MIN(f->cwnd, TCP_CWND_MAX);
}

static void
newreno_enter_recovery(struct tcp_flow *f)
{
	/* RFC 5681 §3.2 step 2: ssthresh from equation (4). The window during recovery is
	 * PRR's (tcp_recovery.c, RFC 6937), in place of step 3's inflation by 3*SMSS and
	 * step 4's SMSS per further duplicate. */
	f->ssthresh = newreno_ssthresh(f);
}

static void
newreno_exit_recovery(struct tcp_flow *f)
{
	/* RFC 6937 §3: "cwnd = ssthresh" when recovery ends; PRR has brought the flight
	 * there already, so no burst follows. */
	f->cwnd = RTE_MIN(f->ssthresh, TCP_CWND_MAX);
}

static void
newreno_on_rto(struct tcp_flow *f)
{
	/* RFC 5681 §3.1: ssthresh from equation (4), and "cwnd MUST be set to no more than
	 * the loss window, LW, which equals 1 full-sized segment". */
	f->ssthresh = newreno_ssthresh(f);
	f->cwnd = f->mss;
}

static void
newreno_after_idle(struct tcp_flow *f, uint32_t iw)
{
	/* RFC 5681 §4.1: "cwnd to no more than RW before beginning transmission", with
	 * RW = min(IW, cwnd). */
	f->cwnd = u32_min(iw, f->cwnd);
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.conn_init = newreno_conn_init,
	.on_ack = newreno_on_ack,
	.enter_recovery = newreno_enter_recovery,
	.exit_recovery = newreno_exit_recovery,
	.on_rto = newreno_on_rto,
	.after_idle = newreno_after_idle,
};
