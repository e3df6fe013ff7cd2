/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_FLOW_SNAP_H
#define SL_TCP_FLOW_SNAP_H

/*
 * flow_snap.h -- one connection's state, copied out of its control block by a thread that
 * does not own it: the telemetry thread lists connections (/sluice/conns) while the
 * workers run.
 *
 * Memory-safe, not consistent. Control blocks live in a per-worker mempool that exists
 * for the stack's whole life and every slot always points at its block (flow.c), so
 * reading one is never a use-after-free; every pointer followed (congestion control,
 * framing instance, deserializer) points at something that lives as long as the stack.
 * But the owner worker writes the block while it is read, without any barrier: a
 * snapshot may mix values from before and after a segment (snd_una of one ACK, cwnd of
 * the next). What cannot happen unnoticed is a block freed or reused during the copy:
 * the slot's owner (f->w, NULL when free) and generation (f->gen, bumped when freed) are
 * read before and after, seqlock fashion, and a change rejects the snapshot (-EAGAIN).
 * The worker's stores are not ordered for this reader, so a block being initialised
 * could still show its zeroed fields for an instant; one without a local port yet is
 * treated as not there.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "tcp/flow.h"

struct sl_worker;

#define FLOW_SNAP_NAME_LEN 24

/* What one connection looks like now; times in microseconds, 0 = timer off. */
struct flow_snap {
	uint32_t worker, idx, gen;	/* the stable id: worker.idx.gen */
	rte_be32_t laddr, raddr;
	uint16_t lport, rport;		/* host order */
	uint8_t state;			/* enum sl_tcp_state */
	uint8_t snd_ws, rcv_ws;		/* window scales (0 without the option) */
	uint8_t flush;			/* enum sl_flush_mode */
	bool ts, sack, wscale, ecn;	/* options in use */
	bool recovery, persist, keepalive, rx_paused;
	uint8_t backoff, nrtx, ka_sent;
	uint16_t dupacks;
	uint32_t snd_una, snd_nxt, snd_max, rcv_nxt;
	uint32_t iss, irs;
	uint32_t snd_wnd, rcv_wnd, max_snd_wnd;	/* bytes */
	uint32_t cwnd, ssthresh;
	uint32_t mss, rcv_mss, peer_mss;
	uint32_t srtt_us, rttvar_us, rto_us, min_rtt_us;
	uint32_t send_q, unacked, unsent;	/* the send queue (unacked + unsent) */
	uint32_t queued;			/* counted against the water marks */
	uint32_t sndbuf_low, sndbuf_high, sndbuf_max;
	uint32_t recv_q;		/* in-order bytes not yet delivered */
	uint32_t ooo_bytes, ooo_segs;	/* out of order, waiting for a hole */
	uint32_t rx_held;		/* bytes of messages the application holds */
	uint32_t rcv_buf;
	uint32_t sacked_recs;		/* records of the SACK scoreboard in use */
	uint64_t bytes_acked, bytes_rcvd;
	uint64_t app_writes, app_bytes, data_segs, retransmits;
	struct tcp_loss_counts loss;
	uint64_t age_us, idle_us;	/* since creation; since the last segment accepted */
	uint64_t rtx_in_us, delack_in_us, ka_in_us, tw_in_us;	/* timers, from now */
	char cc[16];
	char framing[FLOW_SNAP_NAME_LEN];	/* deserializer ("raw": none) */
	const char *framing_state;	/* a static string */
	uint32_t framing_need;		/* bytes the deserializer waits for */
};

/* Copy the connection in slot idx of worker w into s.
 * @return 0; -ENOENT: no connection there; -EAGAIN: it closed or the slot was reused
 * while being read (read again, or skip it). */
int
flow_snap_read(const struct sl_worker *w, uint32_t idx, struct flow_snap *s);

#endif /* SL_TCP_FLOW_SNAP_H */
