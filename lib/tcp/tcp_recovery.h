/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_RECOVERY_H
#define SL_TCP_RECOVERY_H

/*
 * tcp_recovery.c -- loss detection and recovery on top of the scoreboard (tcp_sack.h):
 *
 *   detection  RACK (RFC 8985 §6): a segment is lost when one sent after it was
 *              delivered and a reordering window has passed since it left; RFC 6675's
 *              IsLost (DupThresh segments SACKed above); three duplicate ACKs without
 *              SACK (RFC 5681); the tail loss probe (RFC 8985 §7) makes a lost tail
 *              produce the ACK that detects it, instead of waiting for the RTO.
 *   recovery   one episode per window (until SND.UNA reaches `recover`), every lost byte
 *              retransmitted as the window allows (RFC 6675 NextSeg rule 1) before new
 *              data; the window follows Proportional Rate Reduction (RFC 6937) from its
 *              value at the loss to the congestion control's ssthresh.
 *   undo       a reduction found spurious is undone: all its retransmissions D-SACKed
 *              (RFC 2883, RFC 3708) or the ACK of the retransmission echoing the
 *              original's timestamp (Eifel detection, RFC 3522), with the Eifel response
 *              (RFC 4015) of restoring the window.
 *
 * tcp_in.c calls tcp_recovery_ack once per ACK after the scoreboard and SND.UNA are
 * updated, tcp_recovery_dupack on the third duplicate ACK; tcp_timer.c calls
 * tcp_recovery_rto on a timeout and the probe and reordering timers here; tcp_out.c asks
 * tcp_recovery_room how much the window allows during recovery and reports what it sent.
 */

#include <stdbool.h>
#include <stdint.h>

struct sl_worker;
struct tcp_flow;
struct tcp_seg;
struct tcp_sack_news;

/* What the retransmission deadline (rtx_at) is for, when not persist or SYN. */
enum tcp_rtx_kind {
	TCP_RTX_RTO = 0,	/* retransmission timeout (RFC 6298) */
	TCP_RTX_TLP,		/* probe timeout (RFC 8985 §7.2) */
	TCP_RTX_REO,		/* RACK reordering window (RFC 8985 §6.3) */
};

struct tcp_rec {
	/* Cold head, used in recovery and after it. struct tcp_flow puts it in a cold line
	 * and the tail (from undo_ok, which tcp_ack_all's gate reads) in a hot one: keep the
	 * fields an ACK or a send of an unbroken exchange reads after undo_ok. */
	/* PRR (RFC 6937). */
	uint32_t prr_delivered;		/* bytes delivered since recovery began */
	uint32_t prr_out;		/* bytes sent since recovery began */
	uint32_t recover_fs;		/* flight when recovery began */
	/* Undo of the last reduction. */
	uint32_t prior_cwnd, prior_ssthresh;
	uint32_t undo_marker;		/* SND.UNA when it began */
	uint32_t undo_tsval;		/* our TSval then (Eifel) */
	uint32_t tlp_high;		/* tail loss probe: snd_max when it left */
	uint32_t reo_dsack_high;	/* snd_max when a D-SACK last widened the window */
	uint16_t undo_retrans;		/* its retransmissions not yet D-SACKed */
	bool undo_ts;			/* the first ACK of new data decides (Eifel) */
	bool undo_dsacked;		/* a D-SACK reported one of its retransmissions */
	/* Hot tail. undo_ok and tlp_out: the fast paths' gates see the two as one flag,
	 * TF_REC_OPEN (flow.h): whoever writes either calls flow_gate_rec after. */
	bool undo_ok;			/* a reduction that may still be undone */
	bool tlp_out;			/* tail loss probe: a probe is out, not yet settled */
	bool tlp_rtx;			/* it was a retransmission (not new data) */
	uint8_t tlp_probes;		/* probes sent while nothing answered */
	uint8_t rtx_kind;		/* enum tcp_rtx_kind */
	/* RACK: the most recently sent segment delivered, and RTTs measured from it. */
	bool rack_valid;
	bool rack_reord;		/* the peer reorders: keep a reordering window */
	uint8_t reo_mult;		/* reordering window in quarters of min RTT */
	uint8_t reo_persist;		/* recoveries left before it shrinks back */
	uint32_t rack_xmit, rack_end;
	uint32_t rack_rtt, rack_min_rtt;	/* us */
};

/* One ACK, after tcp_sack_in, tcp_sb_ack and the move of SND.UNA: acked bytes newly
 * acknowledged cumulatively, n what the SACK blocks and the cumulative ACK delivered. */
void
tcp_recovery_ack(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
		 uint32_t acked, const struct tcp_sack_news *n);

/* tcp_recovery_ack without its fast path for the common ACK (no loss, no probe, nothing
 * to undo), which gives the same result: tests compare the two. */
void
tcp_recovery_ack_general(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
			 uint32_t acked, const struct tcp_sack_news *n);

/* tcp_recovery_ack for an ACK of everything in flight that tcp_in.c's tcp_ack_all takes:
 * the data was one plain record (sent once at xmit, ending at end, nothing SACKed), and
 * there is no recovery, no reduction to undo, no probe out and no SACK news. What the
 * common case of tcp_recovery_ack does then with the news the scoreboard gives (that
 * record delivered): RACK's update. */
void
tcp_recovery_ack_all(struct sl_worker *w, struct tcp_flow *f, uint32_t xmit, uint32_t end);

/* A duplicate ACK (f->dupacks counts it): the third starts recovery with the first
 * unacknowledged segment lost (RFC 5681 §3.2); during recovery without SACK each one
 * stands for a segment delivered. */
void
tcp_recovery_dupack(struct sl_worker *w, struct tcp_flow *f, const struct tcp_sack_news *n);

/* A retransmission timeout, before the congestion control's on_rto. */
void
tcp_recovery_rto(struct sl_worker *w, struct tcp_flow *f);

/* Bytes the window lets out during recovery (cwnd - pipe). */
uint32_t
tcp_recovery_room(const struct tcp_flow *f);

/* len bytes left (rtx: a retransmission), for PRR and undo. */
void
tcp_recovery_sent(struct tcp_flow *f, uint32_t len, bool rtx);

/* Data is in flight after an ACK of new data (ack) or after new data left: the probe
 * timer when a tail loss probe may follow (RFC 8985 §7.2: restarted by both), else the
 * retransmission timer (restarted by the ACK, RFC 6298 (5.3); only started when it is
 * not running after a send, (5.1)). */
void
tcp_rtx_arm(struct sl_worker *w, struct tcp_flow *f, bool ack);

/* tcp_rtx_arm(w, f, false) right after tcp_output's one-segment pass sent new data
 * (tcp_out.c tcp_output_one_ok held before it and the segment left): the same timer,
 * with only the tests that pass leaves open. */
void
tcp_rtx_arm_new(struct sl_worker *w, struct tcp_flow *f);

/* rtx_at passed with rtx_kind TLP or REO. */
void
tcp_tlp_fire(struct sl_worker *w, struct tcp_flow *f);

void
tcp_rack_timeout(struct sl_worker *w, struct tcp_flow *f);

#endif /* SL_TCP_RECOVERY_H */
