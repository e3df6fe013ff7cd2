/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_WORKER_H
#define SL_WORKER_H

/* The per-lcore worker and the stack that owns the workers. Private to the library (and
 * its tests). Every piece of data-path state hangs off struct sl_worker; nothing is
 * global, so several stacks can live in one process (the simulation tests do). */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <sluice/config.h>
#include <sluice/stack.h>
#include <sluice/stats.h>

#include "net/arp.h"
#include "net/ipfrag.h"
#include "net/pmtu.h"
#include "core/clock.h"
#include "core/fault.h"
#include "core/steer.h"
#include "framing/framing_priv.h"
#include "net/port.h"
#include "api/drain.h"
#include "api/producer_priv.h"
#include "tcp/flow.h"

struct rte_mempool;
struct rte_ring;

/* Writers (messages being encoded) that may be open at once on a worker. */
#define WORKER_MAX_WRITERS 16

/* How often the worker's slow housekeeping (ARP aging and retries) runs. */
#define WORKER_SLOW_TICK_US 100000

/* What makes an iteration of the poll loop a slow one (w->poll_slow, sl_worker_poll):
 * phases that have more to do than the usual iteration's tests find. A bit may be set
 * while its phase has nothing to do (the slow iteration, which makes every test, clears
 * it at its end, worker_poll_slow), never clear while it has something: whatever may
 * give a phase work sets its bit. */
#define POLL_SLOW_WRITERS	(1u << 0)	/* writers left open (nopen_writers) */
#define POLL_SLOW_DEFERRED	(1u << 1)	/* flows on the deferred list (flow_defer) */
#define POLL_SLOW_FAULT		(1u << 2)	/* the fault injector is on (fault.h) */
#define POLL_SLOW_HANDOFF	(1u << 3)	/* a handoff ring: more than one worker */
#define POLL_SLOW_ALL		0xfu

/* The same from other threads (w->poll_remote): set with an atomic OR, never cleared while
 * the worker runs (what they announce stays true: a producer channel, a drain asked for). */
#define POLL_REMOTE_PRODUCERS	(1u << 0)	/* producer channels (pchan_hi != 0) */
#define POLL_REMOTE_DRAIN	(1u << 1)	/* sl_stack_drain() was called */

struct sl_worker {
	/* Read or written every iteration. */
	struct sl_clock clock;
	uint32_t poll_slow;		/* POLL_SLOW_*: the next iteration is a slow one */
	uint32_t poll_remote;		/* POLL_REMOTE_*: so are all, from now on */
	struct port_txq txq;
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t rx_burst;
	uint32_t max_frame;		/* MTU + Ethernet header */
	struct rte_mempool *pool;	/* RX descriptors and every frame we build */
	struct sl_stats stats;
	struct rte_ring *handoff;	/* other workers -> this one (steer.c); NULL: 1 worker */

	/* Addressing (network byte order). */
	struct rte_ether_addr mac;
	rte_be32_t ip;
	rte_be32_t netmask;
	rte_be32_t bcast;		/* subnet broadcast */
	rte_be32_t gateway;		/* 0: none */
	uint8_t ttl;
	uint16_t vlan;			/* 802.1Q VLAN ID of every frame (0: untagged) */
	bool rx_direct;			/* untagged: eth_input may take rx_direct.h's path
					 * (tests turn it off to compare with the general one) */
	bool tx_ip_csum;		/* port offloads, as negotiated */
	bool tx_tcp_csum;
	bool tx_tso;			/* TSO frames go to the port (--tso) */
	uint16_t tso_trim;		/* bytes the port wants off tso_segsz (net_tap) */
	bool rx_ip_csum;
	bool rx_tcp_csum;

	struct arp_table arp;
	struct pmtu_cache pmtu;
	struct ipfrag frag;
	uint64_t next_slow_tick_us;
	struct fault fault;
	struct tcp_worker tcp;

	/* Framing: instances of the stack's framings, scratch for the deserializers'
	 * fields and slice lists, the message being delivered, held-message refs. */
	struct framing_inst framings[FRAMING_MAX];
	unsigned int nframings;
	struct sl_field fr_fields[FRAMING_MAX_FIELDS];
	struct sl_slice fr_slices[FRAMING_MAX_SLICES];
	struct framing_delivery fr_cur;
	/* The message of a raw-stream delivery (deliver.c): one slice, no fields, no
	 * flags, set once (worker_init); each delivery writes only where and how long. */
	struct sl_msg raw_msg;
	struct sl_slice raw_slice;
	struct rte_mempool *ref_pool;
	struct sl_writer *open_writers[WORKER_MAX_WRITERS];
	unsigned int nopen_writers;

	/* Producer channels (producer.c): slots are claimed by producers on other threads
	 * (compare-and-swap), pchan_hi is one past the highest ever claimed. */
	struct producer_chan *pchans[WORKER_MAX_PRODUCERS];
	uint32_t pchan_hi;

	/* Graceful drain (api/drain.c): this worker's part, and whether it is over. */
	struct drain_worker drain;

	struct sl_stack *stack;
	const struct sl_config *cfg;
	unsigned int id;
	int socket;
};

struct sl_stack {
	struct sl_config cfg;
	struct sl_port_info info;	/* written by sl_stack_create() (rss_steering by
					 * sl_stack_start(), before workers run): read-only after */
	unsigned int nb_workers;
	uint16_t reta_size;		/* RSS redirection table entries (0: none) */
	bool rss_capable;		/* the port took sluice's key for TCP/IPv4 RSS */
	uint8_t rss_key_len;		/* the port's key size (sluice's 40 bytes, zero-padded) */
	uint8_t rss_key[64];
	bool port_configured;
	bool started;
	bool capture;			/* counted in capture.c's users (capture_fini undoes) */
	struct steer steer;		/* flow ownership: written at create and start */
	/* sl_stack_drain() (any thread) sets it; each worker reads it once per iteration.
	 * On a line of its own: read-mostly, it stays in every worker's cache. */
	uint32_t drain_req __rte_cache_aligned;
	struct sl_worker *workers[RTE_MAX_LCORE] __rte_cache_aligned;
};

/* The pool was empty: count it (mbuf_alloc_fail), note it at debug level. Cold. */
void
worker_mbuf_alloc_failed(struct sl_worker *w);

/* Allocate one packet mbuf from the worker's pool, counting failures. Always inline:
 * every segment sent takes one, and a call of its own (which the compiler chose once
 * tcp_output had the segment builder inline) costs more than its body's mempool cache
 * pop. */
static __rte_always_inline struct rte_mbuf *
worker_mbuf_alloc(struct sl_worker *w)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

	if (unlikely(m == NULL))
		worker_mbuf_alloc_failed(w);
	return m;
}

/* TX backpressure checks (net/port.h port_tx_open, port_tx_room), inline for the common
 * case: the queue has room. */
static inline bool
worker_tx_open(struct sl_worker *w)
{
	return likely(w->txq.n < w->txq.wait_at) || port_tx_open(w);
}

static inline bool
worker_tx_room(struct sl_worker *w)
{
	return likely(w->txq.n < w->txq.cap) || port_tx_room(w);
}

/* port_tx for the frames of the data path, inline: with the fault injector off, a frame
 * the port can carry and room in the queue, port_txq_add's append and nothing else (the
 * same checks, in the same order of effect); every other case takes port_tx. */
static inline void
worker_port_tx(struct sl_worker *w, struct rte_mbuf *m)
{
	struct port_txq *q = &w->txq;

	if (likely(!w->fault.tx_on && m->pkt_len <= w->max_frame && q->n < q->cap)) {
		q->lens[q->n] = m->pkt_len;
		q->pkts[q->n++] = m;
		q->bytes += m->pkt_len;
		if (unlikely(q->n >= q->flush_at))
			port_flush(w);
		return;
	}
	port_tx(w, m);
}

/* Every frame of the queue went to the port: counted, and the queue empty and open. The
 * counts are read into locals first: GCC pairs the two additions into SSE otherwise, more
 * instructions than two scalar ones. */
static __rte_always_inline void
port_txq_all_sent(struct sl_worker *w, struct port_txq *q)
{
	uint64_t n = q->n, bytes = q->bytes;

	q->n = 0;
	q->bytes = 0;
	w->stats.tx_packets += n;
	q->flush_at = q->burst;
	q->refused = 0;
	q->shut = false;
	w->stats.tx_bytes += bytes;
}

/*
 * port_flush, inline for the poll loop's flush phase (port.c's port_flush_queued is the
 * same body out of line, for every other caller). An empty queue is always a settled one
 * (port_txq_all_sent's state), so it needs nothing. The common flush is one burst that
 * takes the whole queue: settled here, without a call. Anything else continues in
 * port_flush_rest from done = sent, the same bursts, counters and queue state as its loop
 * would have produced from the start.
 */
static __rte_always_inline void
worker_port_flush(struct sl_worker *w)
{
	struct port_txq *q = &w->txq;
	uint16_t n = q->n, sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(w->port_id, w->queue_id, q->pkts, n);
	if (unlikely(sent != n)) {
		if (sent > 0)
			w->stats.tx_bursts++;
		port_flush_rest(w, sent);
		return;
	}
	w->stats.tx_bursts++;
	port_txq_all_sent(w, q);
}

/* The flow list marks of tcp/flow.h, inline here where the worker's lists are visible:
 * every segment received and every send makes one or two, and most find the flow
 * marked already. */

/* Output is owed: tcp_output runs on the flow in this iteration's output phase. */
static inline void
flow_mark_dirty(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->flags & TF_DIRTY)
		return;
	f->flags |= TF_DIRTY;
	TAILQ_INSERT_TAIL(&w->tcp.dirty, f, dirty_link);
}

/* Application events ev (EV_*) are owed: the delivery phase runs them. A flow waiting
 * on the deferred list (delivery budget) moves to the ready list with its data owed. */
static inline void
flow_mark_ready(struct sl_worker *w, struct tcp_flow *f, uint8_t ev)
{
	f->events |= ev;
	if (unlikely(f->flags & (TF_READY | TF_DEFERRED))) {
		if (f->flags & TF_READY)
			return;
		TAILQ_REMOVE(&w->tcp.deferred, f, ready_link);
		f->flags &= ~TF_DEFERRED;
		f->events |= EV_DATA;
	}
	f->flags |= TF_READY;
	TAILQ_INSERT_TAIL(&w->tcp.ready, f, ready_link);
}

#endif /* SL_WORKER_H */
