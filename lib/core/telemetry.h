/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TELEMETRY_H
#define SL_TELEMETRY_H

struct sl_stack;

/* Stop reporting on s (it is being destroyed). */
void
telemetry_detach(struct sl_stack *s);

#endif /* SL_TELEMETRY_H */
