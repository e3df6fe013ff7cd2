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
#include "tcp/tcp_seq.h"

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

/*
 * The window field a segment of f announces, from the free receive space, and the right
 * edge it commits to, f->rcv_adv (receiver-side silly window avoidance, RFC 9293
 * §3.8.6.2.2: an increase smaller than min(RCV.BUFF / 2, MSS) is not announced; the edge
 * is never moved left). tcp_window_calc is the rule as it reads; tcp_window_scaled
 * computes the same (tests/unit/tcp/test_tcp_data.c compares them over a sweep) with the
 * common case first, the one every segment of a request-response flow takes: the window
 * a little under what was announced, kept as it is.
 */
static inline uint16_t
tcp_window_calc(struct tcp_flow *f, uint32_t space)
{
	uint32_t cur, win, scaled;

	cur = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;
	win = space;
	if (win < cur || win - cur < RTE_MIN(f->rcv_buf / 2, (uint32_t)f->mss))
		win = cur;
	scaled = RTE_MIN(win >> f->rcv_ws, 65535u);
	win = scaled << f->rcv_ws;
	if (seq_gt(f->rcv_nxt + win, f->rcv_adv))
		f->rcv_adv = f->rcv_nxt + win;
	return (uint16_t)scaled;
}

static __rte_always_inline uint16_t
tcp_window_scaled(struct tcp_flow *f, uint32_t space)
{
	uint32_t cur, win, scaled;

	cur = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;
	/* space < cur, or space - cur below the threshold, in one test (cur is below 2^31,
	 * the threshold at most an MSS: no wrap). Then the window stays: what is left of
	 * it, rounded down to the scale, ends no further than rcv_adv, which only an
	 * overrun window (cur 0, rcv_nxt past rcv_adv) moves, to rcv_nxt. */
	if (space < cur + RTE_MIN(f->rcv_buf / 2, (uint32_t)f->mss)) {
		if (cur == 0 && seq_gt(f->rcv_nxt, f->rcv_adv))
			f->rcv_adv = f->rcv_nxt;
		return (uint16_t)RTE_MIN(cur >> f->rcv_ws, 65535u);
	}
	win = space;
	scaled = RTE_MIN(win >> f->rcv_ws, 65535u);
	win = scaled << f->rcv_ws;
	if (seq_gt(f->rcv_nxt + win, f->rcv_adv))
		f->rcv_adv = f->rcv_nxt + win;
	return (uint16_t)scaled;
}

/* The TSval we send now on this flow (milliseconds plus the flow's offset). Inline: every
 * segment carries one. */
static inline uint32_t
tcp_ts_now(const struct sl_worker *w, const struct tcp_flow *f)
{
	return (uint32_t)(w->clock.now_us / 1000) + f->ts_off;
}

#endif /* SL_TCP_OUT_H */
