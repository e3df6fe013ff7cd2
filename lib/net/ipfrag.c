/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipfrag.c -- IPv4 reassembly (rte_ip_frag); see ipfrag.h.
 *
 * RX: ipv4_input -> ipfrag_input -> (the whole datagram) -> tcp_input | icmp_input
 */

#define SL_LOG_MODULE ipv4	/* sluice.ipv4 (core/log.h) */

/* rte_ip_frag_table_del_expired_entries() is still experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <netinet/in.h>

#include <rte_ip_frag.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "core/log.h"
#include "core/worker.h"
#include "net/ipfrag.h"

/* Datagrams per hash bucket (rte_ip_frag's associativity, a power of two). */
#define IPFRAG_BUCKET_ENTRIES 4

int
ipfrag_init(struct sl_worker *w)
{
	const struct sl_config *cfg = w->cfg;
	struct ipfrag *fr = &w->frag;
	int level;

	fr->tbl = NULL;
	fr->dr = NULL;
	if (cfg->frag_entries == 0)
		return 0;
	fr->dr = rte_zmalloc_socket("sl_frag_dr", sizeof(*fr->dr), RTE_CACHE_LINE_SIZE,
				    w->socket);
	/* Times are the worker clock's microseconds: rte_ip_frag only compares them. The
	 * table's creation logs its size at INFO under USER1, once per worker: quiet. */
	level = rte_log_get_level(RTE_LOGTYPE_USER1);
	if (level > (int)RTE_LOG_WARNING)
		rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_WARNING);
	fr->tbl = rte_ip_frag_table_create(cfg->frag_entries, IPFRAG_BUCKET_ENTRIES,
					   cfg->frag_entries,
					   (uint64_t)cfg->frag_timeout_ms * 1000, w->socket);
	if (level > (int)RTE_LOG_WARNING)
		rte_log_set_level(RTE_LOGTYPE_USER1, (uint32_t)level);
	if (fr->dr == NULL || fr->tbl == NULL) {
		SL_LOG(ERR, "worker %u: cannot create the %u-entry IP reassembly table", w->id,
		       cfg->frag_entries);
		ipfrag_fini(w);
		return -ENOMEM;
	}
	return 0;
}

static void
ipfrag_free_dr(struct sl_worker *w)
{
	struct ipfrag *fr = &w->frag;

	if (fr->dr->cnt == 0)
		return;
	w->stats.ip_frag_discarded += fr->dr->cnt;
	rte_ip_frag_free_death_row(fr->dr, 0);
}

void
ipfrag_fini(struct sl_worker *w)
{
	struct ipfrag *fr = &w->frag;

	if (fr->dr != NULL && fr->dr->cnt > 0)
		rte_ip_frag_free_death_row(fr->dr, 0);
	/* Frees the fragments of the datagrams still incomplete. */
	if (fr->tbl != NULL)
		rte_ip_frag_table_destroy(fr->tbl);
	rte_free(fr->dr);
	fr->tbl = NULL;
	fr->dr = NULL;
}

/* The checks of ipfrag.h, before anything is kept. */
static bool
ipfrag_shape_ok(const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t ofs = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - ihl;
	bool more = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;

	if (len == 0 || ofs + len + ihl > UINT16_MAX)
		return false;
	if (more && len % RTE_IPV4_HDR_OFFSET_UNITS != 0)
		return false;
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		if (ofs == 0 && more && len < sizeof(struct rte_tcp_hdr))
			return false;
		return ofs != RTE_IPV4_HDR_OFFSET_UNITS;
	case IPPROTO_ICMP:
		return true;
	default:
		return false;
	}
}

struct rte_mbuf *
ipfrag_input(struct sl_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	struct ipfrag *fr = &w->frag;
	struct rte_mbuf *whole;

	if (fr->tbl == NULL || !ipfrag_shape_ok(ip, m->l3_len)) {
		w->stats.ip_drop_frag++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	w->stats.ip_frag_in++;
	whole = rte_ipv4_frag_reassemble_packet(fr->tbl, fr->dr, m, w->clock.now_us, ip);
	ipfrag_free_dr(w);
	if (whole == NULL)
		return NULL;
	w->stats.ip_frag_reassembled++;
	/* A port cannot have verified a fragment's TCP checksum: TCP verifies the whole. */
	whole->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
	return whole;
}

void
ipfrag_timer(struct sl_worker *w)
{
	struct ipfrag *fr = &w->frag;

	if (fr->tbl == NULL)
		return;
	rte_ip_frag_table_del_expired_entries(fr->tbl, fr->dr, w->clock.now_us);
	ipfrag_free_dr(w);
}
