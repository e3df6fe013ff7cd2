/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_IN_H
#define SL_TCP_IN_H

/*
 * tcp_in.c: TCP input, RFC 9293 §3.10.7 "SEGMENT ARRIVES". ipv4_input hands every TCP
 * segment to tcp_input, which validates it, parses it into a struct tcp_seg, finds its
 * flow and runs the state machine. The parsed segment is also what the in-place replies
 * (tcp_out.h) and the SYN cookies (tcp_isn.h) work from.
 */

#include <stdint.h>

#include "tcp/flow.h"
#include "tcp/tcp_opt.h"

struct rte_mbuf;
struct rte_tcp_hdr;
struct sl_worker;

/* Smallest MSS a peer can make us use (Linux: net.ipv4.tcp_min_snd_mss). */
#define TCP_MIN_SND_MSS 48u

/* ACKs sent at once, one per delack_segs segments, after a sign of loss (tcp_in.c). */
#define TCP_QUICKACKS 16u

/* How far below RCV.NXT a duplicate segment is still answered past the ACK budget: the
 * largest window (RFC 7323 §2.3). */
#define TCP_DUP_SPAN (1u << 30)

/* A parsed incoming segment. */
struct tcp_seg {
	struct rte_tcp_hdr *th;
	uint32_t seq, ack;
	uint32_t len;			/* payload bytes */
	uint32_t wnd;			/* raw window field */
	uint8_t flags;			/* RTE_TCP_*_FLAG */
	uint8_t hlen;			/* TCP header with options */
	uint8_t ecn;			/* the IP header's ECN field (RFC 3168 §5) */
	struct flow_key key;
	struct tcp_opts opts;
};

/* A TCP segment from IPv4 (l2_len and l3_len set). Consumes m: the caller must not touch
 * it again. With software steering (steer.h), a segment of a flow another worker owns is
 * handed to that worker first. */
void
tcp_input(struct sl_worker *w, struct rte_mbuf *m);

/* tcp_input on the worker that owns the segment's flow (the handoff phase calls it for
 * segments other workers passed on). Consumes m. */
void
tcp_input_owned(struct sl_worker *w, struct rte_mbuf *m);

/* tcp_input of a frame rx_direct.h passed (so l2_len 14, l3_len 20): the same, with the
 * header's place known. Consumes m. */
void
tcp_input_direct(struct sl_worker *w, struct rte_mbuf *m);

/* The look-ahead of an RX burst: with more flows than the caches hold, the control
 * block of each segment is several misses in a row. This looks up the flows of pkts[0..n)
 * at once (rte_hash's bulk lookup overlaps the buckets' misses) and prefetches their hot
 * lines, so that those misses overlap too and tcp_input finds them in cache. The flows
 * found are kept as hints (struct tcp_worker's rx_hint) that tcp_input takes instead of
 * a second lookup; a release of any flow drops them (flows come and go within a burst),
 * and nothing else is read or changed. */
void
tcp_rx_prefetch(struct sl_worker *w, struct rte_mbuf *const *pkts, unsigned int n);

/* Flows a worker holds before tcp_rx_prefetch is worth its instructions: below this
 * they all stay in the core's caches. */
#define TCP_PREFETCH_MIN_FLOWS 256

#endif /* SL_TCP_IN_H */
