/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_OOO_H
#define SL_TCP_OOO_H

/*
 * tcp_ooo.c: a connection's out-of-order queue, the segments received after a hole.
 * tcp_in.c queues them (tcp_ooo_insert) and moves them to the rx stream when the hole is
 * filled (tcp_ooo_drain); tcp_out.c reports them to the peer as SACK blocks
 * (tcp_ooo_sack_update). The queue is bounded per connection (segments and mbuf memory).
 */

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct sl_worker;
struct tcp_flow;

/* The queue: segments after a hole, sorted, non-overlapping. */
struct tcp_ooo {
	/* First the 16 bytes every segment reads (nsegs, fin; bytes for the receive
	 * window): struct tcp_flow keeps them at the end of a hot line and the rest,
	 * used only when segments arrive out of order, in a cold one. nsegs and fin: the
	 * fast paths' gates see "something queued" as one flag, TF_OOO (flow.h): whoever
	 * changes either outside tcp_ooo.c's entry points calls flow_gate_ooo after. */
	uint32_t nsegs;
	bool fin;			/* a FIN follows the segment ending at fin_seq */
	uint32_t bytes;			/* payload */
	uint32_t truesize;		/* mbuf memory held (data room), the real cost */
	struct rte_mbuf *head;		/* lowest sequence */
	struct rte_mbuf *tail;		/* highest sequence */
	uint32_t last_seq, last_end;	/* most recent arrival (first SACK block) */
	uint32_t fin_seq;
};

/* Queue an out-of-order segment (m's data = payload). Consumes m. */
void
tcp_ooo_insert(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, uint32_t seq,
	       bool fin);

/* Move segments that became in order into rx; returns true when a queued FIN is now in
 * order (the caller processes it). */
bool
tcp_ooo_drain(struct sl_worker *w, struct tcp_flow *f);

/* Free everything queued. */
void
tcp_ooo_free(struct sl_worker *w, struct tcp_flow *f);

/* Rebuild f->sack[] (f->nsack blocks) from the queue. */
void
tcp_ooo_sack_update(struct sl_worker *w, struct tcp_flow *f);

#endif /* SL_TCP_OOO_H */
