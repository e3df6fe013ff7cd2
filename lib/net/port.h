/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PORT_H
#define SL_PORT_H

/* port.c: the DPDK port (bring-up, offload capabilities) and each worker's TX queue. */

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct sl_stack;
struct sl_worker;

/* A worker's pending TX frames. Frames are appended during the iteration, sent in bursts
 * as they fill, and the rest flushed once at the end of the iteration. Frames the port
 * does not accept stay at the head, in order, for the next flush: this is the one place
 * where rte_eth_tx_burst() leftovers are handled. */
struct port_txq {
	uint16_t n;			/* frames queued */
	uint16_t cap;			/* capacity (config tx_queue_max) */
	uint16_t wait_at;		/* output that can wait stops at this length */
	bool shut;			/* the last flush left it there: the port is backed up */
	uint16_t burst;			/* a full burst leaves without waiting */
	uint16_t flush_at;		/* queue length that triggers an early flush */
	uint16_t refused;		/* head frames already counted in tx_deferred */
	uint64_t bytes;			/* bytes queued (counted when sent) */
	struct rte_mbuf **pkts;
	uint32_t *lens;			/* pkts[i]->pkt_len, read without the mbuf (which
					 * the PMD may have freed once it took it) */
};

/* Configure the port for s->nb_workers queue pairs and create the workers' pools
 * (called by sl_stack_create; workers already allocated). 0 or -errno, reason logged. */
int
port_setup(struct sl_stack *s);

/* Program the RSS redirection table (entry i -> queue i % workers) and read it back, then
 * set the stack's steering (steer_setup): RSS if the port took our key and table, software
 * ownership otherwise. At start. */
void
port_rss_setup(struct sl_stack *s);

/* Hand one frame to the port (through the fault injector when it is on). Consumes m. */
void
port_tx(struct sl_worker *w, struct rte_mbuf *m);

/* Queue one frame for the port, bypassing fault injection. Consumes m. */
void
port_txq_add(struct sl_worker *w, struct rte_mbuf *m);

/*
 * TX backpressure (docs/send.md). Output that can wait (TCP data, retransmissions, FIN,
 * the SYN of an active open) goes on while the queue is shorter than wait_at; the rest of
 * the queue is a reserve for frames that cannot wait or are few (ACKs, SYN-ACKs, RSTs,
 * ARP, ICMP). TCP checks for room before it makes a segment, so it never loses one here.
 * Every flush notes whether it left the queue at the limit (txq.shut): the port is backed
 * up, and output that can wait stays shut until a flush finds room (the output phase
 * tries once per iteration; meanwhile input sends only the ACKs that signal a loss).
 */
bool
port_tx_open(struct sl_worker *w);

/* Room for one more frame of any kind (after a flush when full). */
bool
port_tx_room(struct sl_worker *w);

/* Send everything queued; what the port refuses stays queued. */
void
port_flush(struct sl_worker *w);

/* port_flush past a first burst that left frames behind (done of them went, possibly
 * none): more bursts while the port takes them, then the full queue's settling or the
 * rest kept in order. Out of line: the common flush sends everything in one burst
 * (worker_port_flush, core/worker.h). */
void
port_flush_rest(struct sl_worker *w, uint16_t done);

/* Free whatever is still queued (at stop). */
void
port_txq_drain(struct sl_worker *w);

#endif /* SL_PORT_H */
