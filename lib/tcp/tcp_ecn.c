/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_ecn.c -- Explicit Congestion Notification (RFC 3168 §6.1) and the precise echo of
 * DCTCP (RFC 8257 §3.2); see tcp_ecn.h for where TCP calls in.
 *
 * Negotiation (§6.1.1): an ECN-setup SYN has ECE and CWR, an ECN-setup SYN-ACK ECE alone.
 * The `ecn` key says whether we ask (on) or only accept (passive, the default) or neither
 * (off); a module that needs ECN (DCTCP) asks and accepts whatever it says. A SYN cookie
 * keeps the agreement in its timestamp like the window scale and SACK (tcp_isn.c); without
 * timestamps a cookie's SYN-ACK does not agree.
 *
 * Sender (§6.1.2): an ACK with ECE reduces the window through the connection's module
 * (on_ece, or enter_recovery and cwnd = ssthresh), at most once per round trip: not again
 * until SND.UNA is beyond the highest sequence number sent at the reduction (f->ecn_high),
 * and not for a window that loss recovery cut already (TF_RECOVERY, or SND.UNA not beyond
 * recover). Either way the first new data segment after a reduction carries CWR ("when an
 * ECN-Capable TCP sender reduces its congestion window for any reason"), so the receiver
 * stops echoing. Every ACK of new data also reaches on_ecn_ack, with the bytes an ECE
 * acknowledged as marked (DCTCP's alpha).
 *
 * Receiver (§6.1.3): a data segment that arrives with CE sets ECE on every ACK we send
 * until a segment with CWR arrives; the first CE is acknowledged at once (as Linux does),
 * so a CWR in the same flight cannot erase the echo before an ACK carried it. With a
 * module that needs ECN the receiver echoes precisely instead (RFC 8257 §3.2): ECE is the
 * CE state of the last data segment, CWR is ignored, and when the state changes the data
 * received before it is acknowledged at once with the old state, then this segment at once
 * with the new one (the two-state delayed ACK machine of RFC 8257 Figure 1).
 */

#include <rte_branch_prediction.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "core/worker.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/tcp_ecn.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"

#define ECN_SETUP_SYN (RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG)

bool
tcp_ecn_syn_ok(const struct sl_worker *w, const struct tcp_cc_ops *cc, uint8_t syn_flags)
{
	return (syn_flags & ECN_SETUP_SYN) == ECN_SETUP_SYN &&
	       (w->cfg->ecn != SL_ECN_OFF || cc->needs_ecn);
}

/* ECN from now on; no reduction is owed for anything sent before. */
static void
tcp_ecn_agreed(struct tcp_flow *f)
{
	f->ecn = TCP_ECN_OK;
	f->ecn_high = f->iss;
}

void
tcp_ecn_syn_in(struct sl_worker *w, struct tcp_flow *f, uint8_t syn_flags)
{
	bool ok;

	if (syn_flags & RTE_TCP_ACK_FLAG) {
		/* Our SYN's answer: "If a host has received an ECN-setup SYN-ACK packet, then
		 * it MAY set an ECT codepoint": ECE set, CWR clear. */
		ok = (f->ecn & TCP_ECN_ASKED) &&
		     (syn_flags & ECN_SETUP_SYN) == RTE_TCP_ECE_FLAG;
	} else {
		ok = tcp_ecn_syn_ok(w, f->cc, syn_flags);
	}
	if (ok)
		tcp_ecn_agreed(f);
	else
		f->ecn = 0;
}

void
tcp_ecn_cookie_in(struct sl_worker *w, struct tcp_flow *f, bool asked)
{
	tcp_ecn_syn_in(w, f, asked ? ECN_SETUP_SYN : 0);
}

uint8_t
tcp_ecn_syn_flags(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->state == SL_TCP_SYN_RCVD)
		return (f->ecn & TCP_ECN_OK) ? RTE_TCP_ECE_FLAG : 0;
	/* SYN-SENT. A SYN that got no answer may have met a middlebox that drops ECN-setup
	 * SYNs: its retransmissions ask no more (§6.1.1.1, Linux's tcp_ecn_fallback), unless
	 * the module cannot do without. */
	if ((w->cfg->ecn == SL_ECN_ON && f->nrtx == 0) || f->cc->needs_ecn) {
		f->ecn = TCP_ECN_ASKED;
		return ECN_SETUP_SYN;
	}
	f->ecn = 0;
	return 0;
}

/* ECE on an ACK: reduce as for a loss, once per round trip (§6.1.2). */
static void
tcp_ecn_ece_in(struct sl_worker *w, struct tcp_flow *f)
{
	if ((f->flags & TF_RECOVERY) || !seq_gt(f->snd_una, f->recover)) {
		/* Loss recovery cut the window for this round trip already: no second cut,
		 * but CWR (once per episode) tells the receiver that it was cut. */
		if (seq_lt(f->ecn_high, f->recover)) {
			f->ecn_high = f->snd_max;
			f->ecn |= TCP_ECN_CWR;
		}
		return;
	}
	/* Beyond the data in flight at the last reduction: "the CWR bit ... is held until
	 * something above it is acknowledged" (Linux), so the echoes of marks from before
	 * the receiver saw our CWR cannot cut the window twice. */
	if (!seq_gt(f->snd_una, f->ecn_high))
		return;
	w->stats.tcp_ece_reductions++;
	f->loss.ece_reductions++;
	if (f->cc->on_ece != NULL) {
		f->cc->on_ece(f);
	} else {
		f->cc->enter_recovery(f);
		f->cwnd = f->ssthresh;
	}
	f->ecn_high = f->snd_max;
	f->ecn |= TCP_ECN_CWR;
}

/* The CE state of a data segment changed under the precise echo (RFC 8257 §3.2): what
 * came before is acknowledged at once with the old state, this segment at once with the
 * new one. */
static void
tcp_ecn_precise_flip(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->flags & (TF_ACKNOW | TF_DELACK))
		tcp_send_ack(w, f);		/* RCV.NXT has not moved over this segment yet */
	f->ecn ^= TCP_ECN_ECHO;
	f->flags |= TF_ACKNOW;
}

/* A data segment of the peer, with the CE mark or not (§6.1.3). */
static void
tcp_ecn_data_in(struct sl_worker *w, struct tcp_flow *f, bool ce)
{
	if (ce)
		w->stats.tcp_ecn_ce_rx++;
	if (f->cc->needs_ecn) {
		if (ce != !!(f->ecn & TCP_ECN_ECHO))
			tcp_ecn_precise_flip(w, f);
		return;
	}
	if (ce && !(f->ecn & TCP_ECN_ECHO)) {
		f->ecn |= TCP_ECN_ECHO;
		f->flags |= TF_ACKNOW;
	}
}

void
tcp_ecn_input_slow(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
		   uint32_t prior_una)
{
	uint32_t acked = f->snd_una - prior_una;
	bool ece = (s->flags & RTE_TCP_ECE_FLAG) != 0;

	if (acked > 0 && f->cc->on_ecn_ack != NULL)
		f->cc->on_ecn_ack(f, acked, ece ? acked : 0);
	if (ece)
		tcp_ecn_ece_in(w, f);
	/* "When the receiver receives a packet with the CWR flag set, ... [it] stops
	 * setting the ECN-Echo flag", then a CE on that very segment sets it again. */
	if ((s->flags & RTE_TCP_CWR_FLAG) && !f->cc->needs_ecn)
		f->ecn &= (uint8_t)~TCP_ECN_ECHO;
	if (s->len > 0)
		tcp_ecn_data_in(w, f, s->ecn == RTE_IPV4_HDR_ECN_CE);
}
