/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_CC_H
#define SL_TCP_CC_H

/*
 * cc.h -- congestion control as a module: an operations table that owns every change to
 * a flow's congestion window (cwnd) and slow-start threshold (ssthresh).
 *
 * TCP detects what happened and the module decides what the window becomes. tcp_in.c's
 * ACK processing calls on_ack for new data acknowledged outside recovery; tcp_recovery.c
 * calls enter_recovery when it detects a loss (RACK, IsLost, three duplicate ACKs),
 * exit_recovery when the episode's data is acknowledged, undo when the reduction proves
 * spurious; tcp_timer.c calls on_rto; tcp_flow_init and the handshake call init and
 * conn_init. tcp_output only reads cwnd. Loss recovery itself stays with TCP:
 * TF_RECOVERY, recover, the scoreboard, and every retransmission; a module never sends.
 *
 * The shape follows Linux's struct tcp_congestion_ops and FreeBSD's struct cc_algo: cwnd
 * and ssthresh sit in the control block, because every module has them and others read
 * them (tcp_output, sl_conn_info); what a module keeps beyond that sits in its member of
 * union tcp_cc_state, zeroed with the control block. A flow points at its table (f->cc),
 * chosen by tcp_flow_init from the configuration's `cc` key (tcp_cc_find), or per
 * connection through sl_conn_set_cc (tcp_cc_switch), at any time.
 *
 * During loss recovery TCP's Proportional Rate Reduction (RFC 6937) moves cwnd from where
 * it was towards the ssthresh the module chose in enter_recovery; exit_recovery settles
 * it. A spurious reduction (D-SACK, F-RTO, RFC 5682) is undone by TCP restoring the cwnd
 * and ssthresh it saved, then calling undo so the module restores its own state.
 *
 * Every hook gets the flow after TCP has updated its sequence variables for the event
 * (snd_una, snd_max, mss), so tcp_flight() is the flight after it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

struct tcp_flow;

/* Largest congestion window, and the initial "arbitrarily high" ssthresh (RFC 5681 §3.1). */
#define TCP_CWND_MAX (1u << 30)

/* NewReno (cc_newreno.c): bytes acknowledged towards the next one-segment increase in
 * congestion avoidance. */
struct tcp_cc_newreno {
	uint32_t ca_acked;
};

/* CUBIC (cc_cubic.c): RFC 9438's variables in bytes, times in milliseconds of the worker
 * clock (32 bits: differences stay right for 49 days), RTTs in microseconds. The epoch of
 * congestion avoidance and HyStart++ never run at the same time, so they share storage:
 * HyStart++ only runs in the first slow start, while ssthresh is still arbitrarily high. */
struct tcp_cc_cubic {
	uint32_t w_max;			/* W_max (0: none; the next epoch starts at cwnd) */
	uint32_t cwnd_prior;		/* cwnd_prior, for alpha_cubic (0: none) */
	/* What the last reduction changed, for undo: W_max, cwnd_prior, W_est and the
	 * position on the curve, t - K (CUBIC_UNDO_EPOCH: an epoch was running). */
	uint32_t undo_w_max;
	uint32_t undo_cwnd_prior;
	uint32_t undo_w_est;
	int32_t undo_t_k;
	union {
		struct {		/* congestion avoidance (CUBIC_EPOCH) */
			uint32_t epoch_ms;	/* t_epoch */
			uint32_t k_ms;		/* K */
			uint32_t w_est;		/* W_est */
			uint32_t est_acked;	/* bytes towards W_est's next SMSS */
			uint32_t ack_ms;	/* the last ACK: where an idle period began */
		} ca;
		struct {		/* HyStart++ (RFC 9406 §4.2), one round at a time */
			uint32_t window_end;	/* the round ends when snd_una passes it */
			uint32_t last_min_rtt;	/* lastRoundMinRTT (UINT32_MAX: none) */
			uint32_t cur_min_rtt;	/* currentRoundMinRTT (UINT32_MAX: none) */
			uint32_t css_base_rtt;	/* cssBaselineMinRtt */
			uint8_t samples;	/* rttSampleCount, up to N_RTT_SAMPLE */
			uint8_t css_rounds;	/* rounds spent in Conservative Slow Start */
		} hs;
	};
	uint8_t phase;			/* enum tcp_cc_cubic_phase */
	uint8_t flags;			/* CUBIC_EPOCH, CUBIC_UNDO_EPOCH */
};

enum tcp_cc_cubic_phase {
	CUBIC_CA = 0,		/* no HyStart++: RFC 5681 slow start, or the curve */
	CUBIC_HS_SS,		/* HyStart++ slow start */
	CUBIC_HS_CSS,		/* HyStart++ Conservative Slow Start */
};

#define CUBIC_EPOCH		(1u << 0)	/* ca holds a running epoch */
#define CUBIC_UNDO_EPOCH	(1u << 1)	/* undo_* hold an epoch to restore */

/* DCTCP (cc_dctcp.c): the fraction of bytes the peer saw marked CE, an EWMA over windows
 * of data (RFC 8257 §3.3), in units of 1 / TCP_DCTCP_ALPHA_ONE. It grows the window like
 * NewReno, so NewReno's state comes first and NewReno's hooks run on it unchanged. */
#define TCP_DCTCP_ALPHA_ONE (1u << 20)

struct tcp_cc_dctcp {
	struct tcp_cc_newreno newreno;
	uint32_t alpha;
	uint32_t window_end;		/* the observation window ends when SND.UNA passes it */
	uint32_t bytes_acked;		/* acknowledged in this window */
	uint32_t bytes_marked;		/* of them, by ACKs with ECE */
};

/* A module's own per-flow state: a flow uses the member of its module. */
union tcp_cc_state {
	struct tcp_cc_newreno newreno;
	struct tcp_cc_cubic cubic;
	struct tcp_cc_dctcp dctcp;
};

struct tcp_cc_ops {
	const char *name;

	/* A new control block: no congestion seen yet, so ssthresh is arbitrarily high.
	 * The MSS is not known yet, so nothing may be sent from cwnd. */
	void (*init)(struct tcp_flow *f);

	/* The handshake fixed the MSS: start from an initial window of iw bytes, which TCP
	 * chooses (RFC 6928's init_cwnd segments, or one segment when the SYN or SYN-ACK had
	 * to be retransmitted, RFC 5681 §3.1). */
	void (*conn_init)(struct tcp_flow *f, uint32_t iw);

	/* acked bytes of new data were acknowledged outside recovery: slow start or
	 * congestion avoidance. The hot path: called for nearly every ACK. */
	void (*on_ack)(struct tcp_flow *f, uint32_t acked);

	/* A round-trip time measurement of rtt_us microseconds (tcp_rtt_sample: RFC 6298
	 * timing of one segment per round trip, Karn's rule; and the handshake), before the
	 * on_ack of the same ACK. NULL when the module does not use delay (HyStart++ does).
	 * An ACK outside recovery gives both through tcp_cc_on_rtt_sample_ack (below), which
	 * a module may take as one event. */
	void (*on_rtt_sample)(struct tcp_flow *f, uint32_t rtt_us);

	/* A loss was detected: set ssthresh, the window recovery leads to (PRR takes cwnd
	 * there, tcp_recovery.c). Also the reduction of a loss repaired by a tail loss
	 * probe, after which TCP sets cwnd = ssthresh. */
	void (*enter_recovery)(struct tcp_flow *f);

	/* A full ACK (recover reached): recovery is over; RFC 6937 ends it with
	 * cwnd = ssthresh. */
	void (*exit_recovery)(struct tcp_flow *f);

	/* The retransmission timer expired: TCP goes back to SND.UNA and resends. */
	void (*on_rto)(struct tcp_flow *f);

	/* Sending resumes with nothing in flight after a pause of 1 ms or more (tcp_out.c
	 * tcp_idle_restart): time-based state moves on by the pause (RFC 9438 §5.8). iw is
	 * the restart window in bytes (RFC 5681 §4.1: cwnd = min(iw, cwnd)) when the pause
	 * was longer than the RTO and [tcp] slow-start-after-idle is on, else UINT32_MAX
	 * (the window is kept). NULL: nothing happens. */
	void (*after_idle)(struct tcp_flow *f, uint32_t iw);

	/* The last reduction (enter_recovery or on_rto) was spurious: TCP has restored
	 * cwnd and ssthresh to what they were before it; the module restores what it keeps
	 * of its own (CUBIC's W_max and epoch). NULL: nothing to restore. */
	void (*undo)(struct tcp_flow *f);

	/* ECN (RFC 3168 §6.1.2): the peer echoed congestion (ECE), at most once per round
	 * trip. Reduce as for a loss, without retransmitting: set ssthresh and cwnd. NULL:
	 * TCP calls enter_recovery then sets cwnd = ssthresh. */
	void (*on_ece)(struct tcp_flow *f);

	/* Every ACK of new data on an ECN connection: acked bytes, of which the peer
	 * reported ce_acked as received with CE (DCTCP's alpha, RFC 8257 §3.3). NULL when
	 * the module does not measure the marking rate. */
	void (*on_ecn_ack)(struct tcp_flow *f, uint32_t acked, uint32_t ce_acked);

	/* The module wants ECN on its connections whatever the `ecn` key says (DCTCP). */
	bool needs_ecn;
};

/* NewReno: RFC 5681 slow start, congestion avoidance and fast recovery, with RFC 6582's
 * partial ACKs. */
extern const struct tcp_cc_ops tcp_cc_newreno;

/* CUBIC (RFC 9438) with HyStart++ (RFC 9406) in the first slow start: the default. */
extern const struct tcp_cc_ops tcp_cc_cubic;
/* CUBIC's on_rtt_sample takes a fast path in the common case (slow start, a round of one
 * sample ending); this is its general path alone, which gives the same result (tests
 * compare the two). */
void
tcp_cc_cubic_rtt_sample_general(struct tcp_flow *f, uint32_t rtt_us);
/* CUBIC's on_ack and on_rtt_sample (the table's hooks), for the direct calls below. */
void
tcp_cc_cubic_on_ack(struct tcp_flow *f, uint32_t acked);
void
tcp_cc_cubic_on_rtt_sample(struct tcp_flow *f, uint32_t rtt_us);
/* on_rtt_sample(rtt_us) then on_ack(acked), as one (the usual ACK carries both); except
 * that in slow start an ACK that finds the window not in use changes nothing, HyStart++'s
 * round and samples included (cc_cubic.c). */
void
tcp_cc_cubic_on_rtt_sample_ack(struct tcp_flow *f, uint32_t rtt_us, uint32_t acked);
/* DCTCP (RFC 8257), for data centres where switches mark CE early: the window shrinks in
 * proportion to the fraction of marked bytes (cwnd * (1 - alpha / 2), once per window)
 * instead of halving, and grows like NewReno; losses are NewReno's. Needs ECN. */
extern const struct tcp_cc_ops tcp_cc_dctcp;

/* The per-ACK hooks of the flow's module cc (f->cc), called directly when it is CUBIC,
 * the default: a call that link-time optimisation can inline into the ACK path instead of
 * an indirect one through the table; any other module through its table. */
static inline void
tcp_cc_on_ack(const struct tcp_cc_ops *cc, struct tcp_flow *f, uint32_t acked)
{
	if (cc == &tcp_cc_cubic)
		tcp_cc_cubic_on_ack(f, acked);
	else
		cc->on_ack(f, acked);
}

static inline void
tcp_cc_on_rtt_sample(const struct tcp_cc_ops *cc, struct tcp_flow *f, uint32_t rtt_us)
{
	if (cc == &tcp_cc_cubic)
		tcp_cc_cubic_on_rtt_sample(f, rtt_us);
	else if (cc->on_rtt_sample != NULL)
		cc->on_rtt_sample(f, rtt_us);
}

/* An ACK of new data outside recovery that also measured the RTT: the module's
 * on_rtt_sample, then its on_ack (CUBIC's two as one, tcp_cc_cubic_on_rtt_sample_ack). */
static __rte_always_inline void
tcp_cc_on_rtt_sample_ack(const struct tcp_cc_ops *cc, struct tcp_flow *f, uint32_t rtt_us,
			 uint32_t acked)
{
	if (cc == &tcp_cc_cubic) {
		tcp_cc_cubic_on_rtt_sample_ack(f, rtt_us, acked);
	} else {
		if (cc->on_rtt_sample != NULL)
			cc->on_rtt_sample(f, rtt_us);
		cc->on_ack(f, acked);
	}
}

/* The module called name ("newreno", ...), or NULL. */
const struct tcp_cc_ops *
tcp_cc_find(const char *name);

/* The names of all modules, separated by '|' (for messages and --help). */
const char *
tcp_cc_names(void);

/* Move the flow f to module cc (sl_conn_set_cc). Before the handshake fixed the MSS (cwnd
 * still 0) the module only initialises (conn_init follows with the handshake); later the
 * new module continues from the current window: init, then conn_init with cwnd as the
 * initial window, with ssthresh kept (a flow in congestion avoidance stays there). The
 * old module's state is dropped. Nothing happens if f already uses cc. */
void
tcp_cc_switch(struct tcp_flow *f, const struct tcp_cc_ops *cc);

#endif /* SL_TCP_CC_H */
