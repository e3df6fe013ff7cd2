/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c -- the DPDK port under the stack.
 *
 * Bring-up (port_setup, from sl_stack_create): one RX and one TX queue per worker, each
 * worker's mbuf pool created on the port's NUMA socket before the queues that fill from
 * it, checksum offloads negotiated from what the PMD reports (software otherwise), RSS
 * when there is more than one worker.
 *
 * Transmit (port_tx, port_flush): every frame a worker builds during one poll iteration
 * is appended to the worker's port_txq. Full bursts leave as soon as they fill; the rest
 * leaves in the single flush at the end of the iteration. Frames the port refuses stay
 * queued, in order, and go first at the next flush; only a full queue drops (counted).
 * rte_eth_tx_buffer() was the obvious candidate, but its error callback can only free or
 * copy out the refused frames; keeping them in place is simpler and keeps order.
 */

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
#include "net/port.h"
#include "tcp/flow.h"
#include "core/worker.h"

/* Toeplitz key used when RSS spreads flows over workers. A fixed, known key lets the
 * stack compute the queue of a 4-tuple in software (rte_thash) for active opens. This is
 * the widely used default key (Microsoft RSS verification suite). */
static const uint8_t port_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
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
	if (!(hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP)) {
		SL_LOG(ERR, "port %u (%s) cannot spread TCP flows over queues (no RSS); "
		       "run one worker on it", s->cfg.port_id, di->driver_name);
		return -ENOTSUP;
	}
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)port_rss_key;
	conf->rx_adv_conf.rss_conf.rss_key_len = sizeof(port_rss_key);
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
		SL_LOG(ERR, "port %u (%s) has %u RX / %u TX queues, %u workers need one each",
		       pid, di.driver_name, di.max_rx_queues, di.max_tx_queues, s->nb_workers);
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

void
port_rss_setup(struct sl_stack *s)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;
	int rc;

	if (s->nb_workers == 1 || s->reta_size == 0 || s->reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < s->reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % s->nb_workers);
	}
	rc = rte_eth_dev_rss_reta_update(s->cfg.port_id, reta, s->reta_size);
	if (rc != 0)
		SL_LOG(WARNING, "port %u: cannot program the RSS table (%s); assuming the "
		       "default spread for active opens", s->cfg.port_id, rte_strerror(-rc));
}

bool
port_rss_is_local(const struct sl_worker *w, const struct flow_key *k)
{
	const struct sl_stack *s = w->stack;
	union rte_thash_tuple t;
	uint32_t h;

	if (s->nb_workers == 1 || s->reta_size == 0)
		return true;
	/* The NIC hashes the peer's segments: source = remote, destination = us. */
	memset(&t, 0, sizeof(t));
	t.v4.src_addr = rte_be_to_cpu_32(k->raddr);
	t.v4.dst_addr = rte_be_to_cpu_32(k->laddr);
	t.v4.sport = rte_be_to_cpu_16(k->rport);
	t.v4.dport = rte_be_to_cpu_16(k->lport);
	h = rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, port_rss_key);
	return (h % s->reta_size) % s->nb_workers == w->queue_id;
}

void
port_flush(struct sl_worker *w)
{
	struct port_txq *q = &w->txq;
	uint16_t done = 0;
	uint64_t left_bytes = 0;
	uint16_t i;

	while (done < q->n) {
		uint16_t sent = rte_eth_tx_burst(w->port_id, w->queue_id, q->pkts + done,
						 (uint16_t)(q->n - done));
		if (sent == 0)
			break;
		done = (uint16_t)(done + sent);
		w->stats.tx_bursts++;
	}
	if (done == q->n) {
		w->stats.tx_packets += q->n;
		w->stats.tx_bytes += q->bytes;
		q->n = 0;
		q->bytes = 0;
		q->flush_at = q->burst;
		return;
	}
	/* The port is full: keep the rest, in order, for the next flush. */
	for (i = done; i < q->n; i++)
		left_bytes += q->pkts[i]->pkt_len;
	w->stats.tx_packets += done;
	w->stats.tx_bytes += q->bytes - left_bytes;
	w->stats.tx_deferred += (uint64_t)(q->n - done);
	memmove(q->pkts, q->pkts + done, (size_t)(q->n - done) * sizeof(q->pkts[0]));
	q->n = (uint16_t)(q->n - done);
	q->bytes = left_bytes;
	/* Do not retry on every append while the port is backed up; wait for a new burst. */
	q->flush_at = (uint16_t)RTE_MIN((uint32_t)q->n + q->burst, (uint32_t)q->cap);
}

void
port_txq_add(struct sl_worker *w, struct rte_mbuf *m)
{
	struct port_txq *q = &w->txq;

	/* A frame the port cannot carry would be refused at the head of the queue on
	 * every flush and block everything behind it: drop it here, loudly. */
	if (unlikely(m->pkt_len > w->max_frame) && !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
		w->stats.tx_drop_oversize++;
		rte_pktmbuf_free(m);
		return;
	}

	if (unlikely(q->n == q->cap)) {
		port_flush(w);
		if (q->n == q->cap) {
			rte_pktmbuf_free(m);
			w->stats.tx_drop_full++;
			return;
		}
	}
	q->pkts[q->n++] = m;
	q->bytes += m->pkt_len;
	if (q->n >= q->flush_at)
		port_flush(w);
}

void
port_tx(struct sl_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->fault.tx_on))
		fault_tx(w, m);
	else
		port_txq_add(w, m);
}

void
port_txq_drain(struct sl_worker *w)
{
	struct port_txq *q = &w->txq;

	if (q->n > 0)
		rte_pktmbuf_free_bulk(q->pkts, q->n);
	q->n = 0;
	q->bytes = 0;
}
