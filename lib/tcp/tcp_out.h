/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_OUT_H
#define SL_TCP_OUT_H

/*
 * tcp_out.c: everything TCP sends. The poll loop's output phase runs tcp_output once per
 * dirty flow; input and the timers send single segments directly (ACK, RST, SYN, the
 * retransmission of the head, probes) and answer segments without a connection in the
 * received mbuf. Segments go down through ipv4_output.
 */

#include <stdint.h>

#include "core/worker.h"
#include "tcp/flow.h"

struct rte_mbuf;
struct tcp_seg;

/* What tcp_output left behind. */
enum tcp_out_rc {
	TCP_OUT_DONE,		/* everything it could send went (or nothing was owed) */
	TCP_OUT_WAITED,		/* the TX queue had no room for data: nothing of it went */
	TCP_OUT_CUT,		/* part went, the rest waits for room in the TX queue */
};

/* Send what the flow owes: data within min(cwnd, peer window), FIN, the ACK, or the SYN
 * (SYN-RECEIVED). Data, retransmissions and FIN wait while the worker's TX queue is full
 * down to its reserve (port_tx_open); the caller keeps the flow dirty unless DONE. */
enum tcp_out_rc
tcp_output(struct sl_worker *w, struct tcp_flow *f);

/* A pure ACK now: 0, -ENOBUFS (no mbuf, counted), or -EAGAIN (no room in the TX queue or
 * the neighbour's ARP queue: the ACK stays owed, TF_ACKNOW, and the flow dirty). */
int
tcp_send_ack(struct sl_worker *w, struct tcp_flow *f);

void
tcp_send_rst(struct sl_worker *w, struct tcp_flow *f);

/* An active open's first SYN: sent, timed (the handshake's RTT sample) and the RTO armed.
 * 0, or -ENOBUFS (no mbuf) or -EAGAIN (no room: TX queue or ARP pending queue), when the
 * SYN is still owed (snd_max == iss). */
int
tcp_send_syn_first(struct sl_worker *w, struct tcp_flow *f);

/* Our SYN, or SYN-ACK in SYN-RECEIVED (sets snd_nxt and snd_max past the ISS): 0, or
 * -ENOBUFS (no mbuf), or -EAGAIN (no room in the TX queue or the neighbour's ARP queue;
 * a SYN-ACK is then owed to the output phase). */
int
tcp_send_syn(struct sl_worker *w, struct tcp_flow *f);

/* Retransmit [seq, seq + len) (at most one segment, only bytes sent before): recovery's
 * holes, the tail loss probe. 0, -EINVAL (nothing there to resend) or -ENOBUFS. */
int
tcp_retransmit_range(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len);

/* A tail loss probe of new data: one segment from snd_nxt whatever cwnd says, if there is
 * unsent data and the peer's window has room. 0 when it left, -EAGAIN otherwise. */
int
tcp_output_probe(struct sl_worker *w, struct tcp_flow *f);

/* Zero-window probe: one byte of new data beyond the window (RFC 9293 §3.8.6.1). */
void
tcp_send_window_probe(struct sl_worker *w, struct tcp_flow *f);

/* Keepalive probe: seq = SND.UNA - 1 and no data, which the peer must acknowledge. */
void
tcp_send_keepalive(struct sl_worker *w, struct tcp_flow *f);

/* Answer a segment without a connection by changing it into an RST in place (RFC 9293
 * §3.10.7.1). Consumes m; never answers an RST. */
void
tcp_reply_rst(struct sl_worker *w, struct rte_mbuf *m, const struct tcp_seg *s);

/* Answer a SYN with a SYN-ACK carrying a cookie, in place. Consumes m. */
void
tcp_reply_cookie_synack(struct sl_worker *w, struct rte_mbuf *m, const struct tcp_seg *s);

/* The TSval we send now on this flow (milliseconds plus the flow's offset). Inline: every
 * segment carries one. */
static inline uint32_t
tcp_ts_now(const struct sl_worker *w, const struct tcp_flow *f)
{
	return (uint32_t)(w->clock.now_us / 1000) + f->ts_off;
}

#endif /* SL_TCP_OUT_H */
