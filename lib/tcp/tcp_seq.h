/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_SEQ_H
#define SL_TCP_SEQ_H

/* Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): a < b when the signed distance
 * from a to b is positive. Valid while the numbers compared are less than 2^31 apart. */

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

/* lo <= x < hi */
static inline bool
seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return x - lo < hi - lo;
}

#endif /* SL_TCP_SEQ_H */
