/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DRAIN_H
#define SL_DRAIN_H

/* drain.c: the graceful drain (sl_stack_drain, sluice/stack.h), a phase of each worker's
 * poll loop, and the on_drain step of the delivery phase. */

#include <stdint.h>

struct sl_worker;
struct tcp_flow;

enum drain_state {
	DRAIN_NONE = 0,		/* not asked */
	DRAIN_RUNNING,		/* listeners closed, connections told: waiting for them */
	DRAIN_DONE,		/* every connection closed or in TIME-WAIT */
};

/* One worker's part of the drain (written only by that worker, done read by others). */
struct drain_worker {
	uint8_t state;			/* enum drain_state */
	uint64_t deadline_us;		/* worker clock: reset what is open by then */
	uint64_t next_scan_us;		/* drain_finished's next full scan */
	uint32_t done;			/* atomic: state reached DRAIN_DONE */
};

/* The drain phase of sl_worker_poll, when the stack's drain flag is set. */
void drain_run(struct sl_worker *w);

/* Delivery phase, EV_DRAIN: on_drain, then close unless the application keeps it. */
void drain_notify(struct sl_worker *w, struct tcp_flow *f);

#endif /* SL_DRAIN_H */
