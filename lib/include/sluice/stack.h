/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_STACK_H
#define SLUICE_STACK_H

/**
 * @file
 * The stack and its workers.
 *
 * A struct sl_stack owns one DPDK port. It has one struct sl_worker per polling thread;
 * worker i owns RX/TX queue i of the port, its own mbuf pool, neighbour table, flows,
 * timers and counters, and is touched only by the thread that polls it. Typical use:
 *
 *     rte_eal_init(...);
 *     sl_config_defaults(&cfg); sl_config_parse(...);
 *     s = sl_stack_create(&cfg, rte_lcore_count());
 *     sl_stack_start(s);
 *     on each lcore i: while (!stop) sl_worker_poll(sl_stack_worker(s, i));
 *     sl_stack_stop(s); sl_stack_destroy(s);
 *
 * A graceful stop calls sl_stack_drain() and keeps polling until sl_stack_drained().
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include <sluice/config.h>
#include <sluice/export.h>
#include <sluice/stats.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_stack;
struct sl_worker;

/**
 * What the port offers, as recorded by sl_stack_create(), and its link status at the time
 * of the sl_stack_port_info() call.
 */
struct sl_port_info {
	uint16_t port_id;
	char driver[32];		/**< PMD name, e.g. "net_tap" */
	struct rte_ether_addr mac;	/**< the address the stack answers on */
	uint16_t mtu;
	bool tx_ip_csum;		/**< IPv4 header checksum computed by the port */
	bool tx_tcp_csum;		/**< TCP checksum computed by the port */
	bool rx_ip_csum;		/**< port reports IPv4 header checksum status */
	bool rx_tcp_csum;		/**< port reports TCP checksum status */
	bool tx_tso;			/**< the port cuts TCP segments (--tso) */
	/** How flows reach their owner worker (known after sl_stack_start()): true, the
	 * port's RSS with the key and RETA sluice set; false, software ownership, segments
	 * that reach another worker are handed to the owner (always false with one worker). */
	bool rss_steering;
	/** dpdk-dumpcap can capture the port: rte_pdump is initialised (`[port] pdump`) and
	 * the EAL runs on hugepages with its shared configuration (README "Capturing
	 * packets"). */
	bool capture;
	bool link_up;			/**< at the time of the call */
	uint32_t link_speed_mbps;	/**< at the time of the call, as the port reports it */
};

/**
 * Create a stack on cfg->port_id: configure the port with one RX and one TX queue per
 * worker, create each worker's mbuf pool on its NUMA socket, and allocate every table the
 * workers need. Nothing is allocated later on the data path.
 *
 * Unless cfg->pdump is false, the port is also made capturable by dpdk-dumpcap: rte_pdump
 * is initialised (once per process, while any stack asks for it; sl_stack_destroy()
 * undoes it with the last one). Nothing runs on the data path until a capture attaches.
 * When rte_pdump cannot be initialised (its memory, or an application that initialised it
 * itself), the stack is created all the same, without capture, and says so in the log.
 *
 * Must run on the main lcore after rte_eal_init(). The configuration is copied.
 *
 * @param cfg
 *   Configuration (see sl_config_defaults()); validated here.
 * @param nb_workers
 *   Number of workers (polling threads), at least 1. More than one needs a port with RSS.
 * @return
 *   The stack, or NULL with rte_errno set: EINVAL (bad configuration or worker count),
 *   ENODEV (no such port), ENOTSUP (port lacks queues/RSS for nb_workers), ENOMEM (pool or
 *   table allocation failed: hugepages missing or too few). The reason is logged.
 */
SL_EXPORT
struct sl_stack *
sl_stack_create(const struct sl_config *cfg, unsigned int nb_workers);

/**
 * Start the port. Workers may poll once this returns 0.
 *
 * @return
 *   0, or a negative errno from rte_eth_dev_start().
 */
SL_EXPORT
int
sl_stack_start(struct sl_stack *s);

/**
 * Stop the port. Call after every worker has stopped polling.
 */
SL_EXPORT
void
sl_stack_stop(struct sl_stack *s);

/**
 * Free the stack: every worker's buffered packets and tables, then close the port (which
 * returns the mbufs its rings hold), then the pools. Stops the port first if needed.
 *
 * Before freeing each pool the stack checks that every object came back (mbufs, and the
 * framing layer's states, assembly buffers and held-message references); those that did
 * not are logged and counted in the return value, so programs and tests can end with a
 * leak check.
 *
 * @param s
 *   The stack, or NULL (ignored).
 * @return
 *   Number of objects still in use when the pools were freed: 0 unless something leaked.
 */
SL_EXPORT
unsigned int
sl_stack_destroy(struct sl_stack *s);

/**
 * Begin a graceful drain: stop accepting, close every connection after the data it has
 * queued, and reset what is still open at the deadline. Callable from any thread (a
 * signal handler's flag read by the main loop, a control thread): it only sets a flag.
 * Each worker performs the drain on its own connections in the drain phase of its next
 * sl_worker_poll() (nothing crosses threads), so the workers must keep polling until
 * sl_stack_drained() returns true. In that phase a worker:
 *
 *   1. closes its listeners: a SYN (or a SYN cookie's ACK) to a listening port is
 *      answered with RST, as Linux does for a closed listener; handshakes not yet
 *      complete (SYN-RECEIVED, unknown to the application) are reset; new active opens
 *      fail with ESHUTDOWN;
 *   2. tells the application: on_drain (sluice/conn.h) of every open connection, in the
 *      delivery phase; by default (on_drain NULL or SL_DRAIN_CLOSE) the connection is
 *      closed as sl_conn_close() does: everything sl_conn_send() and sl_producer_send()
 *      accepted before leaves, then the FIN; later producer sends get -EPIPE;
 *   3. waits until every connection has closed or reached TIME-WAIT (TIME-WAIT is not
 *      waited out: the peer, which closed last, holds none and ours has nothing left to
 *      send), delivering on_close for each;
 *   4. at the deadline, drain-s seconds (configuration, sluice/config.h) after it saw
 *      the flag, resets every connection still open (on_close SL_CLOSE_ABORTED), e.g.
 *      one whose peer stopped reading so its data and FIN cannot leave.
 *
 * The counters tcp_drain_conns (connections open when the drain began), tcp_drain_reset
 * (those reset at the deadline), tcp_drain_handshakes (handshakes reset at once) and
 * tcp_drain_queued (bytes in their send queues) report the outcome (sl_stack_stats()). A drain cannot be cancelled; a second call changes
 * nothing. To stop at once instead, stop polling (sl_stack_stop(), sl_stack_destroy()).
 *
 * @param s
 *   The stack, started.
 * @return
 *   0 (also when a drain was already under way).
 */
SL_EXPORT
int
sl_stack_drain(struct sl_stack *s);

/**
 * Has sl_stack_drain() been called? Any thread; lets application threads (producers,
 * timers) stop producing new work.
 */
SL_EXPORT
bool
sl_stack_draining(const struct sl_stack *s);

/**
 * Has every worker finished the drain: every connection closed, in TIME-WAIT, or reset at
 * the deadline, and every on_close delivered? Any thread. False before sl_stack_drain().
 * Once true the program may stop polling and destroy the stack.
 */
SL_EXPORT
bool
sl_stack_drained(const struct sl_stack *s);

/** Number of workers. */
SL_EXPORT
unsigned int
sl_stack_worker_count(const struct sl_stack *s);

/**
 * Worker i (i < sl_stack_worker_count()). The pointer is valid until sl_stack_destroy().
 */
SL_EXPORT
struct sl_worker *
sl_stack_worker(struct sl_stack *s, unsigned int i);

/** The configuration in use (read-only). */
SL_EXPORT
const struct sl_config *
sl_stack_config(const struct sl_stack *s);

/**
 * What the port offers (recorded when the stack was created) and its current link status.
 *
 * The stack is not modified: the record is written once, by sl_stack_create(), and the
 * link status is asked of the port (rte_eth_link_get_nowait(), which does not wait for
 * the link) and written into info only. So any thread may call this while the workers
 * poll and the telemetry thread reads the same record (/sluice/info). Like every control
 * call on a DPDK port, it must not run concurrently with sl_stack_start(),
 * sl_stack_stop() or sl_stack_destroy().
 *
 * @param s
 *   The stack.
 * @param info
 *   Filled in; link_up false and link_speed_mbps 0 when the port cannot report its link.
 */
SL_EXPORT
void
sl_stack_port_info(const struct sl_stack *s, struct sl_port_info *info);

/**
 * Sum the counters of all workers into out. Safe from any thread (see stats.h).
 */
SL_EXPORT
void
sl_stack_stats(const struct sl_stack *s, struct sl_stats *out);

/**
 * Register the telemetry commands for this stack, so that `dpdk-telemetry.py` can read
 * them while the program runs:
 *
 *   /sluice/stats                  counters summed over workers
 *   /sluice/worker_stats,<id>      the counters of worker <id>
 *   /sluice/send                   the send path: writes, segments, coalescing ratios
 *   /sluice/conn,<worker>,<slot>   one connection's state and send counters (the slot is
 *                                  sl_conn_ref().idx)
 *   /sluice/info                   port, addresses, offloads, flows and mbufs in use
 *
 * The commands read the workers' counters and tables while the workers run: each answer
 * is a snapshot, not a consistent cut.
 *
 * rte_telemetry callbacks carry no user argument in DPDK 22.11, so one stack per process
 * can be registered; registering another replaces it, and sl_stack_destroy() unregisters.
 *
 * @return
 *   0, or -errno from rte_telemetry_register_cmd().
 */
SL_EXPORT
int
sl_stack_telemetry_register(struct sl_stack *s);

/**
 * Run one poll iteration, in named phases (lib/core/stack.c):
 *
 *   1. read the clock (the TSC, once for the whole iteration);
 *   2. abort the messages of writers left open outside a callback (sl_conn_writer_begin());
 *   3. receive one RX burst and run it through Ethernet, ARP, IPv4, ICMP and TCP, which
 *      update state and mark connections ready (events owed) and dirty (output owed);
 *   4. deliver: the application callbacks of the ready connections (sluice/conn.h), and
 *      of those a previous iteration's delivery budget left waiting;
 *   5. drain the producer channels (sluice/producer.h) into the send queues;
 *   6. run due TCP timers, and the slow tick (ARP retries and aging);
 *   7. while the stack drains (sl_stack_drain()): begin, watch, or end this worker's
 *      drain (its callbacks run in phase 4 of the next iteration);
 *   8. TCP output once per dirty connection;
 *   9. flush the TX queue once.
 *
 * Callbacks run in phase 4 only, never in the middle of TCP processing. Must be called
 * only by the thread that owns the worker.
 *
 * @return
 *   Number of packets received in this iteration (0 when idle).
 */
SL_EXPORT
unsigned int
sl_worker_poll(struct sl_worker *w);

/** Index of the worker within its stack. */
SL_EXPORT
unsigned int
sl_worker_id(const struct sl_worker *w);

/** The worker's counters (read-only; see stats.h for cross-thread reads). */
SL_EXPORT
const struct sl_stats *
sl_worker_stats(const struct sl_worker *w);

/** The stack a worker belongs to. */
SL_EXPORT
struct sl_stack *
sl_worker_stack(struct sl_worker *w);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_STACK_H */
