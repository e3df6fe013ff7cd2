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

/** What the port offers, as recorded at start. */
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
	bool link_up;
	uint32_t link_speed_mbps;
};

/**
 * Create a stack on cfg->port_id: configure the port with one RX and one TX queue per
 * worker, create each worker's mbuf pool on its NUMA socket, and allocate every table the
 * workers need. Nothing is allocated later on the data path.
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

/** What the port offers; refreshed link status. */
SL_EXPORT
void
sl_stack_port_info(struct sl_stack *s, struct sl_port_info *info);

/**
 * Sum the counters of all workers into out. Safe from any thread (see stats.h).
 */
SL_EXPORT
void
sl_stack_stats(const struct sl_stack *s, struct sl_stats *out);

/**
 * Register the telemetry commands `/sluice/stats` (counters summed over workers),
 * `/sluice/worker_stats,<id>` (one worker) and `/sluice/info` for this stack, so that
 * `dpdk-telemetry.py` can read them while the program runs.
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
 * Run one poll iteration: read the clock, receive and process a burst, run due timers,
 * produce output for flows that need it, and flush the TX queue once.
 *
 * Must be called only by the thread that owns the worker.
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
