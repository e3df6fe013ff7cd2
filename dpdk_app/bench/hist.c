/* SPDX-License-Identifier: BSD-3-Clause */
/* hist.c -- log-bucket latency histogram (see hist.h). */

#include <string.h>

#include "hist.h"

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
hist_bucket_range(unsigned int i, uint64_t *lo, uint64_t *hi)
{
	unsigned int e, s;

	if (i < HIST_SUB) {
		*lo = *hi = i;
		return;
	}
	e = i / HIST_SUB + HIST_SUB_BITS - 1;
	s = i % HIST_SUB;
	*lo = (1ull << e) | ((uint64_t)s << (e - HIST_SUB_BITS));
	*hi = *lo + (1ull << (e - HIST_SUB_BITS)) - 1;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	if (src->n == 0)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi;
	unsigned int i;

	if (h->n == 0)
		return 0;
	if (q >= 1.0)
		return h->max;
	if (q <= 0.0)
		return h->min;
	/* The smallest value with at least q of the samples at or below it. */
	rank = (uint64_t)(q * (double)h->n);
	if ((double)rank < q * (double)h->n)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	hist_bucket_range(i, &lo, &hi);
	if (hi > h->max)
		hi = h->max;
	if (hi < h->min)
		hi = h->min;
	return hi;
}
