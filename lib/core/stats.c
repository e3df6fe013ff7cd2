/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c -- names and printing of the per-worker counters (the list is in stats.h).
 */

#include <inttypes.h>
#include <stdio.h>

#include <rte_common.h>

#include <sluice/stats.h>

static const char *const stats_names[] = {
#define X(name, desc) #name,
	SL_STATS_FIELDS(X)
#undef X
};

static const char *const stats_descs[] = {
#define X(name, desc) desc,
	SL_STATS_FIELDS(X)
#undef X
};

_Static_assert(RTE_DIM(stats_names) == SL_STATS_COUNT, "counter list and struct disagree");

const char *
sl_stats_name(unsigned int i)
{
	return i < SL_STATS_COUNT ? stats_names[i] : NULL;
}

const char *
sl_stats_desc(unsigned int i)
{
	return i < SL_STATS_COUNT ? stats_descs[i] : NULL;
}

uint64_t
sl_stats_value(const struct sl_stats *s, unsigned int i)
{
	const volatile uint64_t *v = (const volatile uint64_t *)s;

	return i < SL_STATS_COUNT ? v[i] : 0;
}

void
sl_stats_add(struct sl_stats *dst, const struct sl_stats *src)
{
	uint64_t *d = (uint64_t *)dst;
	unsigned int i;

	for (i = 0; i < SL_STATS_COUNT; i++)
		d[i] += sl_stats_value(src, i);
}

void
sl_stats_print(FILE *f, const struct sl_stats *s, int all)
{
	unsigned int i;

	for (i = 0; i < SL_STATS_COUNT; i++) {
		uint64_t v = sl_stats_value(s, i);

		if (v != 0 || all)
			fprintf(f, "  %-24s %" PRIu64 "\n", stats_names[i], v);
	}
}
