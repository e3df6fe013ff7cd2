/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_UTIL_H
#define SL_UTIL_H

/* Typed min/max: RTE_MIN/RTE_MAX are statement-expression macros that cannot nest
 * without shadowing their own temporaries. */

#include <stdint.h>

static inline uint32_t u32_min(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline uint32_t u32_max(uint32_t a, uint32_t b) { return a > b ? a : b; }
static inline uint64_t u64_min(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t u64_max(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* SplitMix64 (Steele, Lea, Flood 2014): a fast 64-bit generator, used to seed keys and
 * as the fault injector's and the flows' cheap random source. */
static inline uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

#endif /* SL_UTIL_H */
