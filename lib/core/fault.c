/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.c -- seeded fault injection (see fault.h).
 *
 * RX: worker_rx -> fault_rx (after rte_eth_rx_burst, before eth_input).
 * TX: port_tx -> fault_tx -> port_txq_add (before the frame reaches the TX queue).
 *
 * Faults are decided independently per frame with the configured probabilities, in this
 * order: drop, CE mark, truncate, corrupt, duplicate, reorder. A corrupted TX frame first
 * gets its checksums computed in software, so that an offloading port cannot "repair" the
 * damage by computing checksums over the corrupted bytes.
 *
 * The CE mark is what a congested ECN router does (RFC 3168 §5): only an IPv4 frame that
 * is ECN-capable (ECT(0) or ECT(1)) can get it, with probability ce, and its header
 * checksum is adjusted (RFC 1624), so a right one stays right and a wrong one wrong. No
 * other fault draws a number for it: a seed replays the same drops with or without ce.
 */

#define SL_LOG_MODULE core	/* sluice.core (core/log.h) */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net/cksum.h"
#include "core/fault.h"
#include "core/log.h"
#include "core/util.h"
#include "net/mbuf_util.h"
#include "net/port.h"
#include "core/worker.h"

#define PPM 1000000u

static uint64_t
fault_rand(struct fault_dir *d)
{
	/* xorshift64* */
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 0x2545F4914F6CDD1DULL;
}

static bool
fault_hit(struct fault_dir *d, uint32_t ppm)
{
	return ppm != 0 && (fault_rand(d) >> 11) % PPM < ppm;
}

static bool
fault_any(const struct sl_fault_cfg *c)
{
	return c->drop || c->dup || c->reorder || c->corrupt || c->truncate || c->ce;
}

void
fault_init(struct sl_worker *w)
{
	const struct sl_fault_cfg *c = &w->cfg->fault;
	struct fault *f = &w->fault;
	uint64_t seed = c->seed, x;

	memset(f, 0, sizeof(*f));
	if (!fault_any(c))
		return;
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = rte_rdtsc();
	x = seed + w->id;
	f->rx.rng = splitmix64(&x) | 1;
	f->tx.rng = splitmix64(&x) | 1;
	f->rx_on = (c->dir & SL_FAULT_RX) != 0;
	f->tx_on = (c->dir & SL_FAULT_TX) != 0;
	/* The poll loop tests the injector only in a slow iteration (stack.c). */
	if (f->rx_on || f->tx_on)
		w->poll_slow |= POLL_SLOW_FAULT;
	SL_LOG(NOTICE, "worker %u: fault injection drop=%u dup=%u reorder=%u corrupt=%u "
	       "truncate=%u ce=%u ppm, dir=%s, seed=%" PRIu64 " (replay: --fault ...,seed=%"
	       PRIu64 ")", w->id, c->drop, c->dup, c->reorder, c->corrupt, c->truncate, c->ce,
	       c->dir == (SL_FAULT_RX | SL_FAULT_TX) ? "both" :
	       (c->dir & SL_FAULT_RX) ? "rx" : "tx", seed, seed);
}

static void
fault_dir_free(struct fault_dir *d)
{
	if (d->nheld > 0)
		rte_pktmbuf_free_bulk(d->held, d->nheld);
	d->nheld = 0;
}

void
fault_fini(struct sl_worker *w)
{
	fault_dir_free(&w->fault.rx);
	fault_dir_free(&w->fault.tx);
}

/* Compute offloaded checksums in software so later damage is not covered up. */
static void
fault_finish_cksums(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	if (!(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) ||
	    rte_pktmbuf_data_len(m) < m->l2_len + m->l3_len + sizeof(*th))
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if ((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
		th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, m->l2_len + m->l3_len);
		th->cksum = 0;
		th->cksum = cksum_l4_ipv4(m, ip->src_addr, ip->dst_addr, IPPROTO_TCP,
					  m->l2_len + m->l3_len,
					  m->pkt_len - m->l2_len - m->l3_len);
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
}

/* Mark an ECN-capable IPv4 frame CE with probability ppm; true when it was marked. The
 * header must be in the first segment of a frame nobody else holds (a clone's data
 * belongs to another buffer too). */
static bool
fault_mark_ce(struct fault_dir *d, struct rte_mbuf *m, uint32_t ppm)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(uintptr_t)(eh + 1);
	uint8_t ecn;
	uint16_t old;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip) || !RTE_MBUF_DIRECT(m) ||
	    rte_mbuf_refcnt_read(m) != 1 || eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    (ip->version_ihl >> 4) != 4)
		return false;
	ecn = ip->type_of_service & RTE_IPV4_HDR_ECN_MASK;
	if (ecn == 0 || ecn == RTE_IPV4_HDR_ECN_CE || !fault_hit(d, ppm))
		return false;
	/* RFC 1624 equation 3, HC' = ~(~HC + ~m + m'), over the 16-bit word holding the
	 * TOS byte; a port that computes the checksum on TX sees the new byte anyway. */
	memcpy(&old, ip, sizeof(old));
	ip->type_of_service |= RTE_IPV4_HDR_ECN_CE;
	if (!(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM)) {
		uint16_t now;

		memcpy(&now, ip, sizeof(now));
		ip->hdr_checksum = (uint16_t)~cksum_add(cksum_add((uint16_t)~ip->hdr_checksum,
								  (uint16_t)~old), now);
	}
	return true;
}

/* Decide the fate of one frame. Returns how many copies go on now (0, 1 or 2) in out[];
 * a held frame is stored in d and not returned. */
static unsigned int
fault_apply(struct sl_worker *w, struct fault_dir *d, struct rte_mbuf *m, bool tx,
	    struct rte_mbuf **out)
{
	const struct sl_fault_cfg *c = &w->cfg->fault;
	struct rte_mbuf *copy;

	if (fault_hit(d, c->drop)) {
		w->stats.fault_drop++;
		rte_pktmbuf_free(m);
		return 0;
	}
	if (c->ce != 0 && fault_mark_ce(d, m, c->ce))
		w->stats.fault_ce++;
	if (fault_hit(d, c->truncate) && m->pkt_len > 1) {
		w->stats.fault_truncate++;
		mbuf_trim_to(m, (uint32_t)(fault_rand(d) % m->pkt_len));
		if (m->pkt_len == 0) {
			rte_pktmbuf_free(m);
			return 0;
		}
	}
	if (fault_hit(d, c->corrupt) && m->pkt_len > 0) {
		uint32_t off;
		struct rte_mbuf *seg = m;

		if (tx) {
			/* Never damage memory the stack may still hold (send queues). */
			copy = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
			rte_pktmbuf_free(m);
			if (copy == NULL)
				return 0;
			m = copy;
			fault_finish_cksums(m);
		}
		off = (uint32_t)(fault_rand(d) % m->pkt_len);
		while (off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
		*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) ^=
			(uint8_t)(1u << (fault_rand(d) & 7));
		w->stats.fault_corrupt++;
	}
	if (fault_hit(d, c->reorder) && d->nheld < FAULT_HOLD_MAX) {
		d->held[d->nheld] = m;
		d->held_until[d->nheld] = w->clock.now_us + 1 +
			fault_rand(d) % (c->reorder_max_us ? c->reorder_max_us : 1);
		d->held_after[d->nheld] = (uint16_t)(1 + fault_rand(d) % 8);
		d->nheld++;
		w->stats.fault_reorder++;
		return 0;
	}
	out[0] = m;
	if (fault_hit(d, c->dup)) {
		copy = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
		if (copy != NULL) {
			w->stats.fault_dup++;
			out[1] = copy;
			return 2;
		}
	}
	return 1;
}

/* Release held frames that are due: after `passed` more frames, or by time. */
static unsigned int
fault_release(struct sl_worker *w, struct fault_dir *d, unsigned int passed,
	      struct rte_mbuf **out)
{
	unsigned int i = 0, n = 0;

	while (i < d->nheld) {
		d->held_after[i] = (uint16_t)(d->held_after[i] > passed ?
					      d->held_after[i] - passed : 0);
		if (d->held_after[i] == 0 || w->clock.now_us >= d->held_until[i]) {
			out[n++] = d->held[i];
			d->nheld--;
			d->held[i] = d->held[d->nheld];
			d->held_until[i] = d->held_until[d->nheld];
			d->held_after[i] = d->held_after[d->nheld];
			continue;
		}
		i++;
	}
	return n;
}

unsigned int
fault_rx(struct sl_worker *w, struct rte_mbuf **in, unsigned int n, struct rte_mbuf **out)
{
	struct fault_dir *d = &w->fault.rx;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		k += fault_apply(w, d, in[i], false, out + k);
	return k + fault_release(w, d, n, out + k);
}

void
fault_tx(struct sl_worker *w, struct rte_mbuf *m)
{
	struct fault_dir *d = &w->fault.tx;
	struct rte_mbuf *out[2 + FAULT_HOLD_MAX];
	unsigned int i, k;

	k = fault_apply(w, d, m, true, out);
	k += fault_release(w, d, 1, out + k);
	for (i = 0; i < k; i++)
		port_txq_add(w, out[i]);
}

void
fault_tick(struct sl_worker *w)
{
	struct rte_mbuf *out[FAULT_HOLD_MAX];
	unsigned int i, k;

	if (!w->fault.tx_on || w->fault.tx.nheld == 0)
		return;
	k = fault_release(w, &w->fault.tx, 0, out);
	for (i = 0; i < k; i++)
		port_txq_add(w, out[i]);
}

/* ---- the --fault option ---- */

static int
fault_parse_prob(const char *v, uint32_t *ppm)
{
	char *end;
	double p;

	errno = 0;
	p = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(p >= 0.0 && p <= 1.0))
		return -EINVAL;
	*ppm = (uint32_t)(p * PPM + 0.5);
	return 0;
}

int
fault_opt_parse(void *field, const char *value, char *err, size_t errlen)
{
	struct sl_fault_cfg c = *(struct sl_fault_cfg *)field;
	char buf[256], *tok, *save = NULL;

	if (strlen(value) >= sizeof(buf)) {
		snprintf(err, errlen, "too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	if (strcmp(buf, "off") == 0 || strcmp(buf, "none") == 0) {
		c.drop = c.dup = c.reorder = c.corrupt = c.truncate = c.ce = 0;
		*(struct sl_fault_cfg *)field = c;
		return 0;
	}
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		uint32_t *prob = NULL;
		unsigned long long n;

		if (eq == NULL) {
			snprintf(err, errlen, "'%s' is not key=value", tok);
			return -EINVAL;
		}
		*eq++ = '\0';
		if (strcmp(tok, "drop") == 0)
			prob = &c.drop;
		else if (strcmp(tok, "dup") == 0)
			prob = &c.dup;
		else if (strcmp(tok, "reorder") == 0)
			prob = &c.reorder;
		else if (strcmp(tok, "corrupt") == 0)
			prob = &c.corrupt;
		else if (strcmp(tok, "truncate") == 0)
			prob = &c.truncate;
		else if (strcmp(tok, "ce") == 0)
			prob = &c.ce;
		if (prob != NULL) {
			if (fault_parse_prob(eq, prob) != 0) {
				snprintf(err, errlen, "%s=%s: expected a probability 0..1", tok, eq);
				return -EINVAL;
			}
			continue;
		}
		if (strcmp(tok, "dir") == 0) {
			if (strcmp(eq, "rx") == 0)
				c.dir = SL_FAULT_RX;
			else if (strcmp(eq, "tx") == 0)
				c.dir = SL_FAULT_TX;
			else if (strcmp(eq, "both") == 0)
				c.dir = SL_FAULT_RX | SL_FAULT_TX;
			else {
				snprintf(err, errlen, "dir=%s: expected rx, tx or both", eq);
				return -EINVAL;
			}
			continue;
		}
		if (strcmp(tok, "seed") == 0 || strcmp(tok, "reorder-us") == 0) {
			errno = 0;
			n = strtoull(eq, &end, 0);
			if (errno != 0 || end == eq || *end != '\0' || *eq == '-' ||
			    (tok[0] == 'r' && (n == 0 || n > 10000000))) {
				snprintf(err, errlen, "%s=%s: bad number", tok, eq);
				return -EINVAL;
			}
			if (tok[0] == 's')
				c.seed = n;
			else
				c.reorder_max_us = (uint32_t)n;
			continue;
		}
		snprintf(err, errlen, "unknown fault '%s' (drop, dup, reorder, corrupt, truncate, "
			 "ce, reorder-us, seed, dir)", tok);
		return -EINVAL;
	}
	*(struct sl_fault_cfg *)field = c;
	return 0;
}

void
fault_opt_format(const void *field, char *buf, size_t len)
{
	const struct sl_fault_cfg *c = field;

	if (!fault_any(c)) {
		snprintf(buf, len, "off");
		return;
	}
	snprintf(buf, len, "drop=%g,dup=%g,reorder=%g,corrupt=%g,truncate=%g,ce=%g,seed=%" PRIu64,
		 c->drop / (double)PPM, c->dup / (double)PPM, c->reorder / (double)PPM,
		 c->corrupt / (double)PPM, c->truncate / (double)PPM, c->ce / (double)PPM,
		 c->seed);
}
