/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_mem.c -- the thresholds of the worker's pool pressure (see tcp_mem.h).
 *
 * tcp_worker_init -> tcp_mem_init; each poll iteration -> tcp_mem_update (stack.c);
 * txbuf_append, writer_chunk -> tcp_mem_snd_admit when the send queues' limit is hit;
 * tcp_data_in -> tcp_mem_hoarding, steer_tcp_handoff -> tcp_mem_handoff_drop, while under
 * pressure.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_debug.h>

#include "tcp/tcp_mem.h"
#include "tcp/txbuf.h"

bool
tcp_mem_snd_admit(struct sl_worker *w, const struct txbuf *tb, uint32_t n)
{
	const struct tcp_flow *f = (const struct tcp_flow *)
				   ((const char *)tb - offsetof(struct tcp_flow, tx));
	struct tcp_worker *t = &w->tcp;

	if (!t->mem_pressure || n > t->mem_snd_budget ||
	    t->txbuf_mbufs + n > t->txbuf_mbufs_max || f->snd_wnd < f->mss)
		return false;
	t->mem_snd_budget -= n;
	return true;
}

void
tcp_mem_init(struct sl_worker *w)
{
	const struct sl_config *cfg = w->cfg;
	struct tcp_worker *t = &w->tcp;

	/* What must stay free for the worker to keep receiving: the RX ring refilled after
	 * two bursts (PMDs refill per burst, or in batches of about that size) and one TX
	 * burst of frames (ACKs, window updates) on top of what the TX queue and descriptors
	 * hold already, which the free count leaves out. Frames being sent come back once
	 * the port has sent them; the mbufs that only an arriving ACK or the application's
	 * reading frees are the ones that must not take this. At most half of what the
	 * configuration keeps out of the send queues for the TX queue and descriptors, so that
	 * an idle worker, whose free count is at least that and the send queues' share, is
	 * never under pressure. */
	t->mem_reserve = RTE_MIN(2u * cfg->rx_burst + 32u,
				 ((uint32_t)cfg->tx_desc + cfg->tx_queue_max) / 2u);
	/* The configuration guarantees mbufs > rx-desc + tx-desc + tx-queue, so the send
	 * queues' share is above zero; pressure starts an eighth of it above the reserve:
	 * the band where connections that keep up still make progress. */
	t->mem_pressure_at = t->mem_reserve + RTE_MAX(t->txbuf_mbufs_max / 8u, TCP_MEM_HELD_MIN);
	/* tcp_mem_update's fast path takes a free count at or above mem_pressure_at to be
	 * above the reserve too, without testing it. */
	RTE_VERIFY(t->mem_pressure_at > t->mem_reserve);
	t->mem_held_max = TCP_MEM_HELD_MIN;
	t->mem_burst = cfg->rx_burst;
	t->mem_snd_budget = 0;
	t->mem_free_min = cfg->mbufs;
	t->mem_pressure = false;
	t->mem_in_reserve = false;
	t->txbuf_mbufs_lim = t->txbuf_mbufs_max;
	t->mem_last_free = UINT32_MAX;
	/* DPDK's ring drivers (drivers/mempool/ring: ring_mp_mc, the default, ring_sp_sc,
	 * ring_mp_sc, ring_sp_mc, ring_mt_rts, ring_mt_hts) keep the pool's objects in the
	 * rte_ring at pool_data and count them with rte_ring_count; any other driver is
	 * asked through its get_count. */
	t->mem_lcore = LCORE_ID_ANY;
	t->mem_cache_len = &tcp_mem_no_cache_len;
	t->mem_ring = NULL;
	if (w->pool != NULL) {
		const struct rte_mempool_ops *ops = rte_mempool_get_ops(w->pool->ops_index);

		if (strncmp(ops->name, "ring_", 5) == 0)
			t->mem_ring = w->pool->pool_data;
	}
}
