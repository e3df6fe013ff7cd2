/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CAPTURE_H
#define SL_CAPTURE_H

#include <stdbool.h>

struct sl_stack;

/* Make the stack's port capturable by dpdk-dumpcap (rte_pdump), when s->cfg.pdump says so,
 * and set s->info.capture. When rte_pdump cannot be initialised, the stack runs without
 * capture (logged). */
void
capture_init(struct sl_stack *s);

/* Undo capture_init (sl_stack_destroy). */
void
capture_fini(struct sl_stack *s);

#endif /* SL_CAPTURE_H */
