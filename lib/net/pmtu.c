/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmtu.c -- the per-destination path MTU cache (RFC 1191); see pmtu.h.
 */

#define SL_LOG_MODULE ipv4	/* sluice.ipv4 (core/log.h) */

#include <errno.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "core/worker.h"
#include "net/pmtu.h"

static inline struct pmtu_entry *
pmtu_slot(struct sl_worker *w, rte_be32_t dst)
{
	uint32_t h = rte_be_to_cpu_32(dst) * 2654435761u;	/* Knuth's multiplicative */

	return &w->pmtu.e[h >> 24 & (PMTU_CACHE_SIZE - 1)];
}

int
pmtu_init(struct sl_worker *w)
{
	w->pmtu.e = rte_zmalloc_socket("sl_pmtu", sizeof(*w->pmtu.e) * PMTU_CACHE_SIZE,
				       RTE_CACHE_LINE_SIZE, w->socket);
	w->pmtu.used = 0;
	return w->pmtu.e != NULL ? 0 : -ENOMEM;
}

void
pmtu_fini(struct sl_worker *w)
{
	rte_free(w->pmtu.e);
	w->pmtu.e = NULL;
}

uint16_t
pmtu_get(struct sl_worker *w, rte_be32_t dst)
{
	struct pmtu_entry *e;

	if (w->pmtu.used == 0)
		return w->cfg->mtu;
	e = pmtu_slot(w, dst);
	if (e->mtu == 0 || e->dst != dst)
		return w->cfg->mtu;
	if (w->clock.now_us >= e->expires_us) {
		/* Aged out: the path may take more again (RFC 1191 §6.3). */
		e->mtu = 0;
		w->pmtu.used--;
		w->stats.pmtu_expired++;
		return w->cfg->mtu;
	}
	return e->mtu;
}

uint16_t
pmtu_learn(struct sl_worker *w, rte_be32_t dst, uint16_t mtu)
{
	const struct sl_config *cfg = w->cfg;
	uint16_t cur = pmtu_get(w, dst), lowest = RTE_MIN(cfg->min_pmtu, cfg->mtu);
	struct pmtu_entry *e;

	mtu = RTE_MAX(mtu, lowest);
	if (mtu >= cur)
		return cur;
	e = pmtu_slot(w, dst);
	if (e->mtu == 0)
		w->pmtu.used++;
	e->dst = dst;
	e->mtu = mtu;
	e->expires_us = w->clock.now_us + (uint64_t)cfg->pmtu_expire_s * 1000000;
	w->stats.pmtu_learned++;
	return mtu;
}

uint16_t
pmtu_plateau(uint16_t tot_len)
{
	/* RFC 1191 §7, Table 7-1. */
	static const uint16_t plateaus[] = {
		32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(plateaus); i++)
		if (plateaus[i] < tot_len)
			return plateaus[i];
	return 68;
}
