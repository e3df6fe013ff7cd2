/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

/* Time on the data path is the TSC, read once per poll iteration and converted to
 * microseconds with a 32.32 fixed-point multiplier (no division per iteration). Tests
 * replace it with a virtual clock that they advance themselves. */

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>

struct sl_clock {
	uint64_t tsc_base;	/* TSC at creation: microsecond 0 */
	uint64_t mult;		/* microseconds per TSC tick, << 32 */
	uint64_t now_us;	/* the current iteration's time */
	bool virtual_time;	/* tests drive now_us; the TSC is not read */
};

static inline void
clock_init(struct sl_clock *c)
{
	uint64_t hz = rte_get_tsc_hz();

	c->tsc_base = rte_rdtsc();
	c->mult = (uint64_t)(((unsigned __int128)1000000 << 32) / (hz ? hz : 1));
#ifdef SL_CLOCK_SLOWDOWN_SHIFT
	/* Profiling builds only (-Dc_args=-DSL_CLOCK_SLOWDOWN_SHIFT=n): under valgrind the
	 * program runs some hundred times slower than the TSC, and with thousands of
	 * connections every timer (RTO, TLP, delayed ACK) would fire between two requests
	 * of a connection. A clock 2^n times slower gives the timers the poll iterations
	 * they see at full speed, so the profile is of the path that runs in production. */
	c->mult >>= SL_CLOCK_SLOWDOWN_SHIFT;
#endif
	c->now_us = 0;
	c->virtual_time = false;
}

/* Read the clock for this iteration; returns microseconds since the worker was created. */
static inline uint64_t
clock_update(struct sl_clock *c)
{
	if (!c->virtual_time)
		c->now_us = (uint64_t)(((unsigned __int128)(rte_rdtsc() - c->tsc_base) *
					c->mult) >> 32);
	return c->now_us;
}

#endif /* SL_CLOCK_H */
