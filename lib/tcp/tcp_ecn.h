/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_ECN_H
#define SL_TCP_ECN_H

/*
 * tcp_ecn.c: Explicit Congestion Notification in TCP (RFC 3168 §6.1), with the precise
 * echo of DCTCP receivers (RFC 8257 §3.2). A router that would drop a packet of an
 * ECN-capable connection marks it Congestion Experienced (CE) in the IP header instead; the
 * receiver echoes the mark back in the ECE flag of its ACKs, and the sender reduces its
 * window as for a loss, once per round trip, telling the receiver so with CWR. Nothing is
 * retransmitted.
 *
 * Where TCP calls in:
 *   tcp_in.c   tcp_passive_open, tcp_input_syn_sent (SYN or SYN-ACK) -> tcp_ecn_syn_in;
 *              tcp_cookie_accept -> tcp_ecn_cookie_in;
 *              tcp_input_flow, after the ACK check -> tcp_ecn_input (both directions: the
 *              ECE of the peer's ACK, the CE and CWR of its data)
 *   tcp_out.c  tcp_send_syn -> tcp_ecn_syn_flags; tcp_xmit_seg -> tcp_ecn_output (ECE,
 *              CWR and the IP ECN field of every segment of a connection);
 *              tcp_reply_cookie_synack -> tcp_ecn_syn_ok
 *   tcp_isn.c  a SYN cookie keeps "ECN agreed" in its timestamp, as Linux does
 *
 * The state is one flag byte of the control block (f->ecn, TCP_ECN_*) and the highest
 * sequence number sent at the last reduction (f->ecn_high); nothing else in TCP changes.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp/flow.h"
#include "tcp/tcp_seq.h"

struct sl_worker;
struct tcp_seg;

/* f->ecn */
#define TCP_ECN_OK	(1u << 0)	/* negotiated: new data leaves ECT(0) */
#define TCP_ECN_ASKED	(1u << 1)	/* our SYN was an ECN-setup SYN (ECE|CWR) */
#define TCP_ECN_ECHO	(1u << 2)	/* receiver: ECE on our ACKs (CE seen, no CWR since;
					 * precise echo: the last data segment had CE) */
#define TCP_ECN_CWR	(1u << 3)	/* sender: CWR on the next new data segment */

/* The IP header's ECN field (RFC 3168 §5): ECT(0). (rte_ip.h has the mask and CE.) */
#define TCP_IP_ECT0	0x02u

/* Would we use ECN on a connection of module cc whose SYN carried the TCP flags syn_flags?
 * An ECN-setup SYN has ECE and CWR (§6.1.1); we accept unless the `ecn` key is off, and
 * always when the module needs ECN. */
bool
tcp_ecn_syn_ok(const struct sl_worker *w, const struct tcp_cc_ops *cc, uint8_t syn_flags);

/* The peer's SYN (LISTEN, or SYN-SENT in a simultaneous open): agree or not, and our
 * SYN-ACK then carries ECE (tcp_ecn_syn_flags). Or the SYN-ACK in SYN-SENT: ECN is on when
 * we asked and it has ECE without CWR. */
void
tcp_ecn_syn_in(struct sl_worker *w, struct tcp_flow *f, uint8_t syn_flags);

/* A connection from a SYN cookie whose timestamp says ECN was agreed (asked); the key may
 * have changed meanwhile, so it is checked again. */
void
tcp_ecn_cookie_in(struct sl_worker *w, struct tcp_flow *f, bool asked);

/* The ECN flags of our SYN (ECE|CWR when we ask; a retransmitted SYN no longer asks
 * unless the module needs ECN, RFC 3168 §6.1.1.1) or SYN-ACK (ECE when agreed). */
uint8_t
tcp_ecn_syn_flags(struct sl_worker *w, struct tcp_flow *f);

/* Everything ECN does with an acceptable segment of an ECN connection once its ACK was
 * processed (prior_una: SND.UNA before): the sender side (on_ecn_ack, the reduction on
 * ECE), then the receiver side (CWR, CE). */
void
tcp_ecn_input_slow(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
		   uint32_t prior_una);

static inline void
tcp_ecn_input(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
	      uint32_t prior_una)
{
	if (unlikely(f->ecn & TCP_ECN_OK))
		tcp_ecn_input_slow(w, f, s, prior_una);
}

/*
 * The ECN marks of a segment tcp_xmit_seg is building (tflags: its TCP flags; seq and len:
 * its data): returns the TCP flags to add and sets *tos to the IP ECN field. Only new data
 * is ECN-capable, ECT(0): SYN, SYN-ACK, pure ACKs, RSTs, FINs, window probes and
 * retransmissions leave Not-ECT (RFC 3168 §6.1.1, §6.1.5, §6.1.6). Every ACK carries ECE
 * while the receiver side echoes; the first new data segment after a reduction carries
 * CWR, which is committed here: call it when nothing can fail any more.
 */
static inline uint8_t
tcp_ecn_output(struct tcp_flow *f, uint8_t tflags, uint32_t seq, uint32_t len, uint8_t *tos)
{
	uint8_t add = 0;

	*tos = 0;
	if (likely(!(f->ecn & TCP_ECN_OK)) ||
	    (tflags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)))
		return 0;
	if ((tflags & RTE_TCP_ACK_FLAG) && (f->ecn & TCP_ECN_ECHO))
		add |= RTE_TCP_ECE_FLAG;
	if (len > 0 && !seq_lt(seq, f->snd_max) && !(f->flags & TF_PERSIST)) {
		*tos = TCP_IP_ECT0;
		if (f->ecn & TCP_ECN_CWR) {
			add |= RTE_TCP_CWR_FLAG;
			f->ecn &= (uint8_t)~TCP_ECN_CWR;
		}
	}
	return add;
}

#endif /* SL_TCP_ECN_H */
