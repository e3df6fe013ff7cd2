/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_BENCH_HIST_H
#define SLUICE_BENCH_HIST_H

/*
 * hist.c -- a log-bucket latency histogram: 16 linear sub-buckets per power of two, so a
 * recorded value is known to within 1/16 (6.25%) of itself, from 1 ns to 2^63 ns, in a
 * fixed 8 KiB with no allocation. Histograms of different connections or threads merge
 * by adding their buckets. No DPDK: tested on its own (tests/unit/bench/test_bench_hist.c).
 */

#include <stdint.h>

#define HIST_SUB_BITS	4
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t n;
	uint64_t min, max;
	uint64_t sum;
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
/* dst += src */
void hist_merge(struct hist *dst, const struct hist *src);
/* The value at quantile q (0..1): the upper edge of the bucket holding it, capped by the
 * largest value recorded; 0 when empty. q = 1 is the exact maximum. */
uint64_t hist_quantile(const struct hist *h, double q);
/* The range [lo, hi] of values bucket i holds. */
void hist_bucket_range(unsigned int i, uint64_t *lo, uint64_t *hi);

/* hist_bucket and hist_add are inline: rr records a value per request, and a call cost
 * the bench's client about as much as the bucket's arithmetic. */

/* Bucket index of v. Values below HIST_SUB have a bucket each; above, bucket (e, s) holds
 * the values whose highest set bit is e (e >= HIST_SUB_BITS) and whose next HIST_SUB_BITS
 * bits are s. */
static inline unsigned int
hist_bucket(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	return (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

static inline void
hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

#endif /* SLUICE_BENCH_HIST_H */
