/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c -- the DPDK port under the stack.
 *
 * Bring-up (port_setup, from sl_stack_create): one RX and one TX queue per worker, each
 * worker's mbuf pool created on the port's NUMA socket before the queues that fill from
 * it, checksum offloads negotiated from what the PMD reports (software otherwise), RSS
 * with sluice's key when there is more than one worker and the port has it. At start
 * (port_rss_setup) the RETA is programmed and read back; steer.c then knows whether the
 * port delivers each flow to its owner or the workers must hand segments over.
 *
 * Transmit (port_tx, port_flush): every frame a worker builds during one poll iteration
 * is appended to the worker's port_txq. Full bursts leave as soon as they fill; the rest
 * leaves in the single flush at the end of the iteration. Frames the port refuses stay
 * queued, in order, and go first at the next flush; only a full queue drops (counted).
 * rte_eth_tx_buffer() was the obvious candidate, but its error callback can only free or
 * copy out the refused frames; keeping them in place is simpler and keeps order.
 */

#define SL_LOG_MODULE port	/* sluice.port (core/log.h) */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_thash.h>

#include "core/fault.h"
#include "core/log.h"
#include "core/steer.h"
#include "net/port.h"
#include "tcp/flow.h"
#include "core/worker.h"

/* Drivers whose queue choice is not the port's Toeplitz RSS even when they accept a key
 * and a table: the kernel's tap flow hash, af_packet fanout, the memif sender, ... */
static const char *const port_soft_drivers[] = {
	"net_tap", "net_af_packet", "net_af_xdp", "net_memif", "net_ring", "net_pcap",
	"net_null", "net_vhost", "net_virtio_user", NULL,
};

/* Data room of one mbuf: a whole frame of the configured MTU in a single segment. */
static uint16_t
port_data_room(uint16_t mtu)
{
	uint32_t frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 4;
	uint32_t room = RTE_MAX(frame, 2048u);

	room = RTE_ALIGN_CEIL(room, 1024u);
	return (uint16_t)RTE_MIN(room + RTE_PKTMBUF_HEADROOM, (uint32_t)UINT16_MAX);
}

static int
port_pool_create(struct sl_stack *s, struct sl_worker *w, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint16_t room = port_data_room(s->cfg.mtu);

	snprintf(name, sizeof(name), "sl_p%u_w%u", s->cfg.port_id, w->id);
	w->pool = rte_pktmbuf_pool_create(name, s->cfg.mbufs, s->cfg.mbuf_cache, 0, room,
					  socket);
	if (w->pool != NULL)
		return 0;
	if (!rte_eal_has_hugepages())
		SL_LOG(ERR, "cannot allocate %u mbufs of %u bytes for worker %u (running with "
		       "--no-huge: raise the EAL -m memory size or lower --mbufs)",
		       s->cfg.mbufs, room, w->id);
	else
		SL_LOG(ERR, "cannot allocate %u mbufs of %u bytes for worker %u: %s. Reserve "
		       "more hugepages (scripts/setup.sh, or echo N > /sys/kernel/mm/hugepages/"
		       "hugepages-2048kB/nr_hugepages) or lower --mbufs",
		       s->cfg.mbufs, room, w->id, rte_strerror(rte_errno));
	return -ENOMEM;
}

/* Decide offloads from what the PMD offers and the configuration. */
static void
port_pick_offloads(struct sl_stack *s, const struct rte_eth_dev_info *di,
		   struct rte_eth_conf *conf)
{
	bool want = s->cfg.csum_offload == SL_OFFLOAD_AUTO;
	struct sl_port_info *info = &s->info;

	info->tx_ip_csum = want && (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	info->tx_tcp_csum = want && (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	info->rx_ip_csum = want && (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
	info->rx_tcp_csum = want && (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM);

	if (info->tx_ip_csum)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (info->tx_tcp_csum)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* TSO needs both checksums done by the port and chained mbufs. The fault
	 * injector damages whole frames, not the segments a port would cut: no TSO. */
	info->tx_tso = s->cfg.tso && info->tx_ip_csum && info->tx_tcp_csum &&
		       (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) &&
		       (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &&
		       !fault_configured(&s->cfg.fault);
	if (info->tx_tso)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (info->rx_ip_csum)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	if (info->rx_tcp_csum)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
}

static int
port_pick_rss(struct sl_stack *s, const struct rte_eth_dev_info *di, struct rte_eth_conf *conf)
{
	uint64_t hf = (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4) &
		      di->flow_type_rss_offloads;

	if (s->nb_workers == 1)
		return 0;
	if (!(hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) || di->hash_key_size < 40 ||
	    di->hash_key_size > sizeof(s->rss_key)) {
		/* Whatever the port does, ownership is computed in software (steer.c). */
		SL_LOG(DEBUG, "port %u (%s) has no Toeplitz RSS sluice can set: flows are "
		       "owned in software and handed between workers", s->cfg.port_id,
		       di->driver_name);
		return 0;
	}
	/* An IPv4/TCP tuple meets only the first 16 key bytes, so a port with a longer key
	 * (52 bytes on i40e, ice) hashes as sluice does with ours followed by zeros. */
	s->rss_capable = true;
	s->rss_key_len = di->hash_key_size;
	memset(s->rss_key, 0, sizeof(s->rss_key));
	memcpy(s->rss_key, steer_rss_key(), 40);
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = s->rss_key;
	conf->rx_adv_conf.rss_conf.rss_key_len = s->rss_key_len;
	conf->rx_adv_conf.rss_conf.rss_hf = hf;
	return 0;
}

int
port_setup(struct sl_stack *s)
{
	const struct sl_config *cfg = &s->cfg;
	uint16_t pid = cfg->port_id;
	uint16_t rxd = cfg->rx_desc, txd = cfg->tx_desc;
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	int socket, rc;
	unsigned int i;

	if (!rte_eth_dev_is_valid_port(pid)) {
		SL_LOG(ERR, "port %u does not exist (%u port(s) available): give the EAL a "
		       "device, e.g. --vdev net_tap0,iface=sl0 or -a <pci address>",
		       pid, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(pid, &di);
	if (rc != 0) {
		SL_LOG(ERR, "port %u: cannot read device info: %s", pid, rte_strerror(-rc));
		return rc;
	}
	if (s->nb_workers > di.max_rx_queues || s->nb_workers > di.max_tx_queues) {
		SL_LOG(ERR, "port %u (%s) has %u RX / %u TX queues, %u workers need one each: "
		       "give the EAL at most %u lcores", pid, di.driver_name, di.max_rx_queues,
		       di.max_tx_queues, s->nb_workers,
		       RTE_MIN(di.max_rx_queues, di.max_tx_queues));
		return -ENOTSUP;
	}
	if (cfg->mtu < di.min_mtu || cfg->mtu > di.max_mtu) {
		SL_LOG(ERR, "port %u (%s): MTU %u outside the port's range [%u, %u]",
		       pid, di.driver_name, cfg->mtu, di.min_mtu, di.max_mtu);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = cfg->mtu;
	port_pick_offloads(s, &di, &conf);
	rc = port_pick_rss(s, &di, &conf);
	if (rc != 0)
		return rc;

	rc = rte_eth_dev_configure(pid, s->nb_workers, s->nb_workers, &conf);
	if (rc != 0) {
		SL_LOG(ERR, "port %u: configure failed: %s", pid, rte_strerror(-rc));
		return rc;
	}
	s->port_configured = true;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc != 0) {
		SL_LOG(ERR, "port %u: descriptor counts rejected: %s", pid, rte_strerror(-rc));
		return rc;
	}

	socket = rte_eth_dev_socket_id(pid);
	if (socket < 0)
		socket = 0;
	for (i = 0; i < s->nb_workers; i++) {
		struct sl_worker *w = s->workers[i];
		struct rte_eth_rxconf rxc = di.default_rxconf;
		struct rte_eth_txconf txc = di.default_txconf;

		rc = port_pool_create(s, w, socket);
		if (rc != 0)
			return rc;
		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(pid, (uint16_t)i, rxd, (unsigned int)socket, &rxc,
					    w->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, (uint16_t)i, txd,
						    (unsigned int)socket, &txc);
		if (rc != 0) {
			SL_LOG(ERR, "port %u: queue %u setup failed: %s", pid, i,
			       rte_strerror(-rc));
			return rc;
		}
	}

	if (cfg->mac_set) {
		rc = rte_eth_dev_default_mac_addr_set(pid,
				(struct rte_ether_addr *)(uintptr_t)&cfg->mac);
		if (rc != 0) {
			SL_LOG(ERR, "port %u: cannot set MAC address: %s", pid,
			       rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_macaddr_get(pid, &s->info.mac);
	if (rc != 0)
		return rc;

	s->reta_size = di.reta_size;
	s->info.port_id = pid;
	s->info.mtu = cfg->mtu;
	snprintf(s->info.driver, sizeof(s->info.driver), "%s", di.driver_name);
	return 0;
}

static bool
port_soft_driver(const char *driver)
{
	unsigned int i;

	for (i = 0; port_soft_drivers[i] != NULL; i++)
		if (strcmp(driver, port_soft_drivers[i]) == 0)
			return true;
	return false;
}

/* Program entry i -> queue i % workers, then read the table and the key back: the port is
 * trusted to steer only if both are what sluice set. */
static bool
port_reta_program(struct sl_stack *s, uint16_t *table)
{
	struct rte_eth_rss_reta_entry64 reta[STEER_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rc = { 0 };
	uint8_t key[64];
	uint16_t n = s->reta_size;
	unsigned int i;

	if (!s->rss_capable || n == 0 || n > STEER_RETA_MAX || port_soft_driver(s->info.driver))
		return false;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < n; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % s->nb_workers);
	}
	if (rte_eth_dev_rss_reta_update(s->cfg.port_id, reta, n) != 0)
		return false;
	for (i = 0; i < n; i++)
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = UINT16_MAX;
	if (rte_eth_dev_rss_reta_query(s->cfg.port_id, reta, n) != 0)
		return false;
	for (i = 0; i < n; i++) {
		table[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
		if (table[i] != i % s->nb_workers)
			return false;
	}
	rc.rss_key = key;
	rc.rss_key_len = s->rss_key_len;
	return rte_eth_dev_rss_hash_conf_get(s->cfg.port_id, &rc) == 0 &&
	       memcmp(key, s->rss_key, s->rss_key_len) == 0 &&
	       (rc.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP);
}

void
port_rss_setup(struct sl_stack *s)
{
	uint16_t table[STEER_RETA_MAX];
	bool rss = s->nb_workers > 1 && port_reta_program(s, table);

	steer_setup(s, table, s->reta_size, rss);
	s->info.rss_steering = s->steer.rss;
	if (s->nb_workers > 1)
		SL_LOG(INFO, "port %u (%s): %u workers, flows steered by %s", s->cfg.port_id,
		       s->info.driver, s->nb_workers, rss ? "RSS (key and RETA set by sluice)" :
		       "software ownership with handoff");
}

/* port_flush past a first burst that left frames behind (done of them went): more bursts
 * while the port takes them, then the full queue's settling or the rest kept in order.
 * Out of line: the common flush sends everything in one burst. */
__rte_noinline void
port_flush_rest(struct sl_worker *w, uint16_t done)
{
	struct port_txq *q = &w->txq;
	uint64_t sent_bytes = 0;
	uint16_t i;

	while (done > 0 && done < q->n) {
		uint16_t sent = rte_eth_tx_burst(w->port_id, w->queue_id, q->pkts + done,
						 (uint16_t)(q->n - done));
		if (sent == 0)
			break;
		done = (uint16_t)(done + sent);
		w->stats.tx_bursts++;
	}
	if (done == q->n) {
		port_txq_all_sent(w, q);
		return;
	}
	/* The port is full: keep the rest, in order, for the next flush (what went is
	 * summed from lens[], not from the rest: with the port backed up the rest is most
	 * of the queue, and this runs at every flush). */
	for (i = 0; i < done; i++)
		sent_bytes += q->lens[i];
	w->stats.tx_packets += done;
	w->stats.tx_bytes += sent_bytes;
	/* Each frame counts once however many flushes it waits through. */
	w->stats.tx_deferred += (uint64_t)(q->n - done) -
				(q->refused > done ? (uint64_t)(q->refused - done) : 0);
	q->refused = (uint16_t)(q->n - done);
	if (done > 0) {
		memmove(q->pkts, q->pkts + done, (size_t)(q->n - done) * sizeof(q->pkts[0]));
		memmove(q->lens, q->lens + done, (size_t)(q->n - done) * sizeof(q->lens[0]));
	}
	q->n = (uint16_t)(q->n - done);
	q->bytes -= sent_bytes;
	/* Do not retry on every append while the port is backed up; wait for a new burst. */
	q->flush_at = (uint16_t)RTE_MIN((uint32_t)q->n + q->burst, (uint32_t)q->cap);
	q->shut = q->n >= q->wait_at;
}

/*
 * Every frame queued, in bursts while the port takes them. The poll loop flushes once per
 * iteration with worker_port_flush inline (worker.h); this is the same for every other
 * caller (an early flush of a full burst, backpressure checks, the output pass), out of
 * line.
 */
void
port_flush(struct sl_worker *w)
{
	worker_port_flush(w);
}

bool
port_tx_open(struct sl_worker *w)
{
	struct port_txq *q = &w->txq;

	if (likely(q->n < q->wait_at))
		return true;
	if (!q->shut)
		port_flush(w);
	return !q->shut;
}

bool
port_tx_room(struct sl_worker *w)
{
	struct port_txq *q = &w->txq;

	if (likely(q->n < q->cap))
		return true;
	port_flush(w);
	return q->n < q->cap;
}

/* port_txq_add's body, inline in port_tx too: every frame sent takes it. */
static __rte_always_inline void
port_txq_put(struct sl_worker *w, struct rte_mbuf *m)
{
	struct port_txq *q = &w->txq;

	/* A frame the port cannot carry would be refused at the head of the queue on
	 * every flush and block everything behind it: drop it here, loudly. */
	if (unlikely(m->pkt_len > w->max_frame) && !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
		w->stats.tx_drop_oversize++;
		SL_LOG_RL(WARNING, "worker %u: %u-byte frame exceeds the port's %u: dropped "
			  "(tx_drop_oversize)", w->id, m->pkt_len, w->max_frame);
		rte_pktmbuf_free(m);
		return;
	}

	if (unlikely(q->n == q->cap)) {
		port_flush(w);
		if (q->n == q->cap) {
			rte_pktmbuf_free(m);
			w->stats.tx_drop_full++;
			SL_LOG_RL(DEBUG, "worker %u: TX queue full (%u frames): frame dropped "
				  "(tx_drop_full)", w->id, q->cap);
			return;
		}
	}
	q->lens[q->n] = m->pkt_len;
	q->pkts[q->n++] = m;
	q->bytes += m->pkt_len;
	if (unlikely(q->n >= q->flush_at))
		port_flush(w);
}

void
port_txq_add(struct sl_worker *w, struct rte_mbuf *m)
{
	port_txq_put(w, m);
}

void
port_tx(struct sl_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->fault.tx_on))
		fault_tx(w, m);
	else
		port_txq_put(w, m);
}

void
port_txq_drain(struct sl_worker *w)
{
	struct port_txq *q = &w->txq;

	if (q->n > 0)
		rte_pktmbuf_free_bulk(q->pkts, q->n);
	q->n = 0;
	q->bytes = 0;
	q->refused = 0;
	/* Settled, as an empty queue always is (port_flush relies on it). */
	q->flush_at = q->burst;
	q->shut = false;
}
