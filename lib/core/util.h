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

#endif /* SL_UTIL_H */
