/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stack.c -- the stack, its workers, and the poll loop.
 *
 * sl_worker_poll() is the whole data path, one iteration at a time:
 *
 *   worker_clock      read the TSC once; every timer and timestamp uses this value
 *   worker_pool       the mbuf pool's free count: under pressure, connections holding
 *                     unread data take no more payload, and the send queues stop above
 *                     the reserve the RX ring needs (tcp_mem.h)
 *   worker_rx         one RX burst; each frame goes eth_input -> arp | ipv4 -> icmp | tcp,
 *                     or straight to tcp when it is of the usual shape (rx_direct.h)
 *                     (TCP updates state, queues data, marks flows ready and dirty); a
 *                     segment of a flow another worker owns goes to that worker's ring
 *   worker_handoff    segments and ARP copies other workers passed to this one, through
 *                     tcp_input / arp_learn as if received here (steer.c)
 *   worker_deliver    application callbacks for the flows made ready
 *   worker_producers  records from producer threads into the send queues (producer.c)
 *   worker_timers     due TCP timers (RTO, persist, delayed ACK, keepalive, TIME-WAIT)
 *                     and the slow tick (ARP retries and aging)
 *   worker_drain      only once sl_stack_drain() was called: close the listeners and
 *                     tell every connection, then watch them close, reset the rest at
 *                     the deadline (drain.c)
 *   worker_output     the chunks ACKs freed and no write reused back to the pool
 *                     (txbuf.h), then tcp_output once per dirty flow: data, ACKs, FINs
 *   worker_flush      one TX flush for everything the iteration produced; the mbufs
 *                     the application read that no segment was built in back to their
 *                     pools (seg_spares.h)
 *
 * The tests of rare work (writers left open, deferred deliveries, the fault injector, the
 * handoff ring; producer channels and a drain, which other threads announce) are made
 * only in a slow iteration, one that starts with w->poll_slow or w->poll_remote set
 * (worker.h, POLL_SLOW_*, POLL_REMOTE_*); the usual iteration goes without them
 * (worker_iterate).
 *
 * Nothing on this path allocates memory other than mbufs from the worker's own pool (or
 * reuses any but received mbufs the application has read, for segments).
 */

#define SL_LOG_MODULE core	/* sluice.core (core/log.h) */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <sluice/stack.h>

#include "net/arp.h"
#include "net/capture.h"
#include "net/eth.h"
#include "core/log.h"
#include "core/steer.h"
#include "net/pmtu.h"
#include "net/port.h"
#include "net/rx_direct.h"
#include "api/producer_priv.h"
#include "api/api_priv.h"
#include "api/drain.h"
#include "tcp/flow.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_mem.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_timer.h"
#include "core/telemetry.h"
#include "core/worker.h"

/* Largest RX burst a worker asks for (config rx_burst is capped to it). */
#define WORKER_RX_BURST_MAX 512

__rte_cold void
worker_mbuf_alloc_failed(struct sl_worker *w)
{
	w->stats.mbuf_alloc_fail++;
	SL_LOGM_RL(port, DEBUG, "worker %u: mbuf pool empty (mbuf_alloc_fail)", w->id);
}

/* ---- the poll loop phases ---- */

static __rte_always_inline void
worker_clock(struct sl_worker *w)
{
	clock_update(&w->clock);
}

static __rte_always_inline void
worker_pool(struct sl_worker *w)
{
	tcp_mem_update(w);
}

/* One frame to eth_input; one of the usual shape, a TCP segment for us, goes to TCP
 * directly after the same checks (rx_direct.h). */
static __rte_always_inline void
worker_rx_frame(struct sl_worker *w, struct rte_mbuf *m)
{
	w->stats.rx_bytes += m->pkt_len;
	if (likely(rx_direct_tcp(w, m)))
		rx_direct_input(w, m);
	else
		eth_input(w, m);
}

/* The frames of one burst, in order. A burst of one (a request-response peer's, every
 * iteration) goes without the loop and its prefetches, which have nothing to fetch. */
static __rte_always_inline void
worker_rx_input(struct sl_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i;

	if (n == 1) {
		worker_rx_frame(w, pkts[0]);
		return;
	}
	if (w->tcp.nflows >= TCP_PREFETCH_MIN_FLOWS)
		tcp_rx_prefetch(w, pkts, n);
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		worker_rx_frame(w, pkts[i]);
	}
}

/* A burst through the fault injector (fault.c) first. Out of line: its array of held
 * frames would otherwise make every poll's stack frame larger. */
static __rte_noinline __rte_cold unsigned int
worker_rx_faulty(struct sl_worker *w, struct rte_mbuf **burst, unsigned int rx)
{
	struct rte_mbuf *faulty[2 * WORKER_RX_BURST_MAX + FAULT_HOLD_MAX];
	unsigned int n = fault_rx(w, burst, rx, faulty);

	if (n == 0)
		return 0;
	w->stats.rx_bursts++;
	w->stats.rx_packets += rx;
	worker_rx_input(w, faulty, n);
	return rx;
}

static __rte_always_inline unsigned int
worker_rx(struct sl_worker *w, bool slow)
{
	struct rte_mbuf *burst[WORKER_RX_BURST_MAX];
	unsigned int n;

	n = rte_eth_rx_burst(w->port_id, w->queue_id, burst, w->rx_burst);
	if (slow && unlikely(w->fault.rx_on))
		return worker_rx_faulty(w, burst, n);
	if (n == 0)
		return 0;
	w->stats.rx_bursts++;
	w->stats.rx_packets += n;
	worker_rx_input(w, burst, n);
	return n;
}

static inline void
worker_handoff(struct sl_worker *w)
{
	/* One worker: no ring. RSS steering: the ring only carries ARP copies. */
	if (w->handoff != NULL && !rte_ring_empty(w->handoff))
		steer_drain(w);
}

static __rte_always_inline void
worker_deliver(struct sl_worker *w, bool slow)
{
	/* Flows stopped by the per-pass budget last time resume now, packet or not. */
	if (slow && unlikely(!TAILQ_EMPTY(&w->tcp.deferred)))
		conn_deliver_resume(w);
	if (!TAILQ_EMPTY(&w->tcp.ready))
		conn_deliver(w);
}

static inline void
worker_producers(struct sl_worker *w)
{
	if (__atomic_load_n(&w->pchan_hi, __ATOMIC_RELAXED) != 0)
		producer_drain(w);
}

/* tcp_timers_run's first test (tcp_timer.c) is made here, inline: most iterations have
 * nothing due, and the call would cost more than the test (the run itself makes it
 * again). wheel_run_at is the first microsecond anything may be due: the tick after the
 * last run, and both the earliest deadline left in that tick's slot and the first later
 * slot that holds a flow (wheel_run_at_update). */
static __rte_always_inline void
worker_timers(struct sl_worker *w, bool slow)
{
	if (w->clock.now_us >= w->tcp.wheel_run_at)
		tcp_timers_run(w);
	if (slow && unlikely(w->fault.tx_on))
		fault_tick(w);
	if (likely(w->clock.now_us < w->next_slow_tick_us))
		return;
	w->next_slow_tick_us = w->clock.now_us + WORKER_SLOW_TICK_US;
	arp_timer(w);
	ipfrag_timer(w);
}

/* One relaxed load of a read-mostly line while no drain was asked for. */
static inline void
worker_drain(struct sl_worker *w)
{
	if (unlikely(__atomic_load_n(&w->stack->drain_req, __ATOMIC_RELAXED) != 0) &&
	    w->drain.state != DRAIN_DONE)
		drain_run(w);
}

/* One pass over the flows dirty when it starts. A flow whose output waited for room in
 * the TX queue (backpressure, port.h) stays dirty for the next iteration: one that sent
 * nothing keeps its place, one that sent part of its data goes behind everyone, so no flow
 * starves while the port is the bottleneck. Once the queue is shut the pass ends, and the
 * flows not reached keep their order; their ACKs ride with their data in their turn, and
 * those that signal a loss left already, from input (tcp_input_flow). Out of line: the
 * poll loop settles a list of one itself (worker_output). */
static __rte_noinline void
worker_output_pass(struct sl_worker *w)
{
	struct tcp_flow_list pass, cut;
	struct tcp_flow *f;

	TAILQ_INIT(&pass);
	TAILQ_INIT(&cut);
	TAILQ_CONCAT(&pass, &w->tcp.dirty, dirty_link);
	if (w->txq.shut)
		port_flush(w);		/* the port may have drained since */
	while ((f = TAILQ_FIRST(&pass)) != NULL) {
		if (w->txq.shut) {
			w->stats.tcp_output_waits++;
			TAILQ_CONCAT(&w->tcp.dirty, &pass, dirty_link);
			break;
		}
		TAILQ_REMOVE(&pass, f, dirty_link);
		f->flags &= ~TF_DIRTY;
		switch (tcp_output(w, f)) {
		case TCP_OUT_DONE:
			break;
		case TCP_OUT_WAITED:
			flow_mark_dirty(w, f);
			break;
		case TCP_OUT_CUT:
			if (f->flags & TF_DIRTY)	/* marked again meanwhile */
				break;
			f->flags |= TF_DIRTY;
			TAILQ_INSERT_TAIL(&cut, f, dirty_link);
			break;
		}
	}
	TAILQ_CONCAT(&w->tcp.dirty, &cut, dirty_link);
}

/* Inline in the poll loop, whose frame it shares: nothing dirty (an idle iteration, or
 * half of a request-response peer's) costs a test, and a list of one (a connection busy on
 * its own) with an open queue is worker_output_pass without its two lists: a flow that
 * waited, or was cut, goes back on the dirty list, at its end, as the pass would put it. */
static __rte_always_inline void
worker_output(struct sl_worker *w)
{
	struct tcp_flow *f;

	/* The chunks this iteration's ACKs freed that no write took: back to the pool,
	 * which the segments are built from (txbuf.h). */
	if (w->tcp.txbuf_spares.n != 0)
		txbuf_spares_release(w);
	f = TAILQ_FIRST(&w->tcp.dirty);
	if (f == NULL)
		return;
	if (likely(TAILQ_NEXT(f, dirty_link) == NULL && !w->txq.shut)) {
		TAILQ_INIT(&w->tcp.dirty);
		f->flags &= ~TF_DIRTY;
		if (tcp_output(w, f) != TCP_OUT_DONE)
			flow_mark_dirty(w, f);
		return;
	}
	worker_output_pass(w);
}

static __rte_always_inline void
worker_flush(struct sl_worker *w)
{
	worker_port_flush(w);
	/* The mbufs read this iteration that no segment took: back to their pools. */
	if (w->tcp.seg_spares.n != 0)
		seg_spares_release(&w->tcp.seg_spares);
}

/*
 * One iteration after the clock. The phases' tests of what is rare (POLL_SLOW_*: writers
 * left open, deferred flows, the fault injector, the handoff ring; POLL_REMOTE_*:
 * producer channels, a drain) are made only in a slow iteration; the usual one, whose
 * w->poll_slow and w->poll_remote were 0 when it started, knows their answer: nothing to
 * do. Nothing before those tests in the iteration can make it otherwise: flows are
 * deferred in and after the delivery phase, writers opened by callbacks are closed by its
 * end, the injector and the ring are set up with the worker. Other threads announce a
 * producer channel or a drain after publishing it: an iteration that started before
 * sees it at the next one, as a test made a little earlier would have.
 */
static __rte_always_inline unsigned int
worker_iterate(struct sl_worker *w, bool slow)
{
	unsigned int n;

	if (slow && unlikely(w->nopen_writers > 0))
		while (w->nopen_writers > 0)	/* left open outside a callback */
			writer_abort_open(w->open_writers[0]);
	worker_pool(w);
	n = worker_rx(w, slow);
	if (slow)
		worker_handoff(w);
	worker_deliver(w, slow);
	if (slow)
		worker_producers(w);
	worker_timers(w, slow);
	if (slow)
		worker_drain(w);
	worker_output(w);
	worker_flush(w);
	return n;
}

/* The slow iteration: every test made, then the word set to what is still owed. Out of
 * line: the usual iteration's code stays free of it. */
static __rte_noinline unsigned int
worker_poll_slow(struct sl_worker *w)
{
	unsigned int n = worker_iterate(w, true);

	w->poll_slow = (w->nopen_writers > 0 ? POLL_SLOW_WRITERS : 0) |
		       (!TAILQ_EMPTY(&w->tcp.deferred) ? POLL_SLOW_DEFERRED : 0) |
		       (w->fault.rx_on || w->fault.tx_on ? POLL_SLOW_FAULT : 0) |
		       (w->handoff != NULL ? POLL_SLOW_HANDOFF : 0);
	return n;
}

unsigned int
sl_worker_poll(struct sl_worker *w)
{
	worker_clock(w);
	if (unlikely((w->poll_slow | __atomic_load_n(&w->poll_remote, __ATOMIC_RELAXED)) != 0))
		return worker_poll_slow(w);
	return worker_iterate(w, false);
}

/* ---- creation and teardown ---- */

static int
worker_init(struct sl_stack *s, struct sl_worker *w)
{
	const struct sl_config *cfg = &s->cfg;
	uint32_t mask = cfg->ip.len == 32 ? 0xffffffffu : ~(0xffffffffu >> cfg->ip.len);
	uint32_t reserve;
	int rc;

	w->stack = s;
	w->cfg = &s->cfg;
	w->port_id = cfg->port_id;
	w->queue_id = (uint16_t)w->id;
	w->rx_burst = RTE_MIN(cfg->rx_burst, (uint16_t)WORKER_RX_BURST_MAX);
	w->vlan = cfg->vlan;
	w->rx_direct = cfg->vlan == 0;
	w->max_frame = (uint32_t)cfg->mtu + RTE_ETHER_HDR_LEN +
		       (cfg->vlan != 0 ? (uint32_t)sizeof(struct rte_vlan_hdr) : 0);
	clock_init(&w->clock);
	w->poll_slow = POLL_SLOW_ALL;	/* the first iteration finds out */
	w->next_slow_tick_us = 0;
	memset(&w->raw_msg, 0, sizeof(w->raw_msg));
	w->raw_msg.nslices = 1;
	w->raw_msg.slices = &w->raw_slice;

	w->ip = cfg->ip.addr;
	w->netmask = rte_cpu_to_be_32(mask);
	/* /31 and /32 have no subnet broadcast (RFC 3021): only 255.255.255.255. */
	w->bcast = cfg->ip.len >= 31 ? RTE_BE32(0xffffffff) : (w->ip | ~w->netmask);
	w->gateway = cfg->gateway;
	w->ttl = cfg->ttl;

	w->txq.cap = cfg->tx_queue_max;
	/* A quarter of the queue, and at least two RX bursts' worth of ACKs (at most half),
	 * is kept for frames that cannot wait (port.h, TX backpressure). */
	reserve = RTE_MIN(2u * w->rx_burst, w->txq.cap / 2u);
	reserve = RTE_MAX(reserve, w->txq.cap / 4u);
	w->txq.wait_at = (uint16_t)(w->txq.cap - reserve);
	w->txq.burst = 32;
	w->txq.flush_at = w->txq.burst;
	w->txq.pkts = rte_zmalloc_socket("sl_txq", (sizeof(w->txq.pkts[0]) +
					 sizeof(w->txq.lens[0])) * w->txq.cap,
					 RTE_CACHE_LINE_SIZE, w->socket);
	if (w->txq.pkts == NULL)
		return -ENOMEM;
	w->txq.lens = (uint32_t *)(w->txq.pkts + w->txq.cap);	/* same allocation */
	fault_init(w);
	rc = tcp_worker_init(w);
	if (rc == 0)
		rc = msg_ref_pool_init(w);
	if (rc == 0)
		rc = steer_worker_init(w);
	if (rc == 0)
		rc = pmtu_init(w);
	if (rc == 0)
		rc = ipfrag_init(w);
	if (rc != 0)
		return rc;
	return arp_table_init(w);
}

/* Returns the framing objects (states, assembly buffers, held messages) still out. */
static unsigned int
worker_fini(struct sl_worker *w)
{
	unsigned int leaked;

	producer_fini(w);
	steer_worker_fini(w);
	tcp_worker_fini(w);
	leaked = framing_fini(w);
	leaked += msg_ref_pool_fini(w);
	fault_fini(w);
	port_txq_drain(w);
	arp_table_free(w);
	pmtu_fini(w);
	ipfrag_fini(w);
	rte_free(w->txq.pkts);
	w->txq.pkts = NULL;
	w->txq.lens = NULL;
	return leaked;
}

struct sl_stack *
sl_stack_create(const struct sl_config *cfg, unsigned int nb_workers)
{
	struct sl_stack *s;
	char err[256];
	unsigned int i;
	int rc, socket;

	rc = sl_config_validate(cfg, err, sizeof(err));
	if (rc != 0) {
		SL_LOG(ERR, "configuration: %s", err);
		rte_errno = EINVAL;
		return NULL;
	}
	if (nb_workers == 0 || nb_workers > RTE_MAX_LCORE) {
		SL_LOG(ERR, "worker count %u out of range [1, %u]", nb_workers, RTE_MAX_LCORE);
		rte_errno = EINVAL;
		return NULL;
	}
	/*
	 * With several workers, segments and ARP copies handed between workers are freed by
	 * the owner into its per-lcore cache of the receiving worker's pool, which the owner
	 * never allocates from: up to 1.5 x mbuf-cache of each pool can sit in every other
	 * worker's cache (DPDK flushes a cache only above that). The pool must still fill its
	 * RX ring and send with those held.
	 */
	if (nb_workers > 1) {
		uint64_t need = (uint64_t)cfg->rx_desc + cfg->tx_desc + cfg->tx_queue_max +
				(uint64_t)(nb_workers - 1) * cfg->mbuf_cache * 3 / 2;

		if (cfg->mbufs <= need) {
			SL_LOG(ERR, "--mbufs %u is too few for %u workers with --mbuf-cache %u: "
			       "need more than rx-desc + tx-desc + tx-queue + (workers - 1) x "
			       "1.5 x mbuf-cache = %" PRIu64, cfg->mbufs, nb_workers,
			       cfg->mbuf_cache, need);
			rte_errno = EINVAL;
			return NULL;
		}
	}
	s = rte_zmalloc("sl_stack", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		SL_LOG(ERR, "cannot allocate the stack (no memory: hugepages reserved?)");
		rte_errno = ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	s->nb_workers = nb_workers;
	socket = rte_eth_dev_is_valid_port(cfg->port_id) ?
		 rte_eth_dev_socket_id(cfg->port_id) : SOCKET_ID_ANY;
	for (i = 0; i < nb_workers; i++) {
		struct sl_worker *w = rte_zmalloc_socket("sl_worker", sizeof(*w),
							 RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		w->id = i;
		w->socket = socket < 0 ? 0 : socket;
		w->port_id = cfg->port_id;
		s->workers[i] = w;
	}
	rc = port_setup(s);
	if (rc != 0)
		goto fail;
	capture_init(s);
	/* Software ownership until sl_stack_start() knows whether the port steers. */
	steer_setup(s, NULL, 0, false);
	for (i = 0; i < nb_workers; i++) {
		struct sl_worker *w = s->workers[i];

		w->mac = s->info.mac;
		w->tx_ip_csum = s->info.tx_ip_csum;
		w->tx_tcp_csum = s->info.tx_tcp_csum;
		w->tx_tso = s->info.tx_tso;
		/* net_tap (22.11) checks tso_segsz plus all headers, Ethernet's included,
		 * against the IP MTU, so a full-MSS segment is refused: ask for segments
		 * an Ethernet header shorter. */
		w->tso_trim = strcmp(s->info.driver, "net_tap") == 0 ? RTE_ETHER_HDR_LEN : 0;
		w->rx_ip_csum = s->info.rx_ip_csum;
		w->rx_tcp_csum = s->info.rx_tcp_csum;
		rc = worker_init(s, w);
		if (rc != 0)
			goto fail;
	}
	return s;
fail:
	sl_stack_destroy(s);
	rte_errno = -rc;
	return NULL;
}

int
sl_stack_start(struct sl_stack *s)
{
	int rc = rte_eth_dev_start(s->cfg.port_id);

	if (rc != 0) {
		SL_LOG(ERR, "port %u: start failed: %s", s->cfg.port_id, rte_strerror(-rc));
		return rc;
	}
	s->started = true;
	port_rss_setup(s);
	if (s->cfg.promisc)
		rte_eth_promiscuous_enable(s->cfg.port_id);
	return 0;
}

void
sl_stack_stop(struct sl_stack *s)
{
	if (s == NULL || !s->started)
		return;
	rte_eth_dev_stop(s->cfg.port_id);
	s->started = false;
}

unsigned int
sl_stack_destroy(struct sl_stack *s)
{
	unsigned int i, leaked = 0;

	if (s == NULL)
		return 0;
	telemetry_detach(s);
	/* First: no capture may attach to a port going away. */
	capture_fini(s);
	sl_stack_stop(s);
	for (i = 0; i < s->nb_workers; i++)
		if (s->workers[i] != NULL)
			leaked += worker_fini(s->workers[i]);
	/* Closing the port returns the mbufs its rings hold before the pools go. */
	if (s->port_configured)
		rte_eth_dev_close(s->cfg.port_id);
	for (i = 0; i < s->nb_workers; i++) {
		struct sl_worker *w = s->workers[i];

		if (w == NULL)
			continue;
		if (w->pool != NULL) {
			unsigned int n = rte_mempool_in_use_count(w->pool);

			if (n != 0)
				SL_LOG(ERR, "worker %u: %u mbufs were not returned to the pool",
				       i, n);
			leaked += n;
			rte_mempool_free(w->pool);
		}
		rte_free(w);
	}
	rte_free(s);
	return leaked;
}

unsigned int
sl_stack_worker_count(const struct sl_stack *s)
{
	return s->nb_workers;
}

struct sl_worker *
sl_stack_worker(struct sl_stack *s, unsigned int i)
{
	return i < s->nb_workers ? s->workers[i] : NULL;
}

const struct sl_config *
sl_stack_config(const struct sl_stack *s)
{
	return &s->cfg;
}

/* Read-only on the stack: the telemetry thread copies s->info (tel_info) while another
 * thread may be here, so the link status goes into the caller's copy only. */
void
sl_stack_port_info(const struct sl_stack *s, struct sl_port_info *info)
{
	struct rte_eth_link link;

	*info = s->info;
	info->link_up = false;
	info->link_speed_mbps = 0;
	if (rte_eth_link_get_nowait(s->cfg.port_id, &link) == 0) {
		info->link_up = link.link_status == RTE_ETH_LINK_UP;
		info->link_speed_mbps = link.link_speed;
	}
}

void
sl_stack_stats(const struct sl_stack *s, struct sl_stats *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->nb_workers; i++)
		sl_stats_add(out, &s->workers[i]->stats);
}

unsigned int
sl_worker_id(const struct sl_worker *w)
{
	return w->id;
}

const struct sl_stats *
sl_worker_stats(const struct sl_worker *w)
{
	return &w->stats;
}

struct sl_stack *
sl_worker_stack(struct sl_worker *w)
{
	return w->stack;
}
