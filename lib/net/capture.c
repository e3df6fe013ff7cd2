/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture.c -- live packet capture of the port with DPDK's dpdk-dumpcap (rte_pdump).
 *
 * dpdk-dumpcap is a secondary process: it attaches to this (primary) process's shared
 * memory and asks, over the EAL's multi-process channel, to capture a port.
 * rte_pdump_init() registers the handler of those requests; on a request, the handler
 * (on the EAL's IPC thread) installs an RX and a TX callback on every queue of the port
 * (rte_eth_add_first_rx_callback, rte_eth_add_tx_callback), which copy each burst into
 * the capture's ring, and removes them when the capture stops. So nothing runs on the
 * data path unless a capture is attached: rte_eth_rx_burst and rte_eth_tx_burst read
 * their queue's callback pointer whether or not rte_pdump is initialised, and it is NULL.
 * The copies come from the capture's own mempool, never from the workers' pools.
 *
 * The TX callback sees a frame before the port does: with checksum offload, the port has
 * not yet written the checksums it computes (README "Capturing packets").
 *
 * rte_pdump keeps process-wide state (its request handler, registered once per process,
 * and a statistics memzone), so the stacks of a process share one initialisation: the first stack that asks for capture makes it, the last one
 * destroyed undoes it. Stacks are created and destroyed on the main lcore only
 * (sluice/stack.h), so the count needs no lock.
 */

#define SL_LOG_MODULE port	/* sluice.port (core/log.h) */

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>

#include "core/log.h"
#include "core/worker.h"
#include "net/capture.h"

/* Stacks of this process that initialised rte_pdump. */
static unsigned int capture_users;

void
capture_init(struct sl_stack *s)
{
	if (!s->cfg.pdump)
		return;
	/* Capture is for operators: a stack that cannot offer it still runs. */
	if (capture_users == 0 && rte_pdump_init() != 0) {
		SL_LOG(WARNING, "port %u: packet capture unavailable: rte_pdump_init() failed "
		       "(%s; initialised by the application already?)", s->cfg.port_id,
		       rte_strerror(rte_errno));
		return;
	}
	capture_users++;
	s->capture = true;
	/* A secondary process maps the primary's hugepages: anonymous memory (--no-huge)
	 * cannot be shared with it. */
	s->info.capture = rte_eal_has_hugepages() &&
			  rte_eal_process_type() == RTE_PROC_PRIMARY;
	if (!s->info.capture)
		SL_LOG(DEBUG, "port %u: rte_pdump ready, but dpdk-dumpcap cannot attach to a "
		       "process without hugepages", s->cfg.port_id);
}

void
capture_fini(struct sl_stack *s)
{
	if (!s->capture)
		return;
	s->capture = false;
	s->info.capture = false;
	if (--capture_users == 0)
		rte_pdump_uninit();
}
