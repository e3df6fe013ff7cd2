/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_TIMER_H
#define SL_TCP_TIMER_H

/*
 * tcp_timer.c: the per-worker timer wheel and what each TCP timer does (RTO and SYN
 * retransmission, persist, delayed ACK, keepalive, TIME-WAIT and FIN-WAIT-2, cork and
 * message assembly deadlines), with the RFC 6298 RTT estimator. The poll loop's timer
 * phase runs tcp_timers_run; input and output arm deadlines with the functions below.
 */

#include <stdint.h>

struct sl_worker;
struct tcp_flow;

#define TCP_WHEEL_SLOTS 8192		/* power of two */
#define TCP_WHEEL_TICK_US 32

/* Put the flow in the wheel at the earliest of its deadlines (or take it out: none). */
void
tcp_timer_arm(struct sl_worker *w, struct tcp_flow *f);

void
tcp_timer_remove(struct sl_worker *w, struct tcp_flow *f);

/* tcp_timer_arm() after one deadline was set to `at`: nothing to do when the flow's wheel
 * entry fires no later (it finds the real deadlines when it does), which is the common
 * case of a timer pushed later on every segment, as the retransmission timer is. */
void
tcp_timer_arm_at(struct sl_worker *w, struct tcp_flow *f, uint64_t at);

/* The timer phase: fire every flow whose deadline has come. */
void
tcp_timers_run(struct sl_worker *w);

/* Retransmission (or persist) deadline: now + RTO, backed off. */
void
tcp_rto_arm(struct sl_worker *w, struct tcp_flow *f);

/* One RTT measurement (microseconds) into SRTT, RTTVAR and RTO (RFC 6298 §2), then the
 * congestion control's on_rtt_sample. */
void
tcp_rtt_sample(struct sl_worker *w, struct tcp_flow *f, uint32_t rtt_us);

/* tcp_rtt_sample without the congestion control's hook: returns the RTT the hook is to
 * be given (0 counts as 1). For tcp_ack_all, which gives it with the ACK's (cc.h
 * tcp_cc_on_rtt_sample_ack). */
uint32_t
tcp_rtt_estimate(struct sl_worker *w, struct tcp_flow *f, uint32_t rtt_us);

/* The delayed-ACK deadline, unless one runs already; the flow goes on the dirty list and
 * tcp_output puts it into the wheel if nothing carried the ACK. */
void
tcp_delack_arm(struct sl_worker *w, struct tcp_flow *f);

/* The keepalive deadline, when keepalive is on and the connection synchronized. */
void
tcp_keepalive_arm(struct sl_worker *w, struct tcp_flow *f);

/* Earliest pending timer deadline of the worker (UINT64_MAX when none); for tests and
 * the simulation, which jump virtual time to it when idle. */
uint64_t
tcp_timers_next(struct sl_worker *w);

#endif /* SL_TCP_TIMER_H */
