/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * modes.c -- dispatch from --mode to the mode implementations.
 *
 * "none" runs the stack alone: ARP and ICMP echo are answered, nothing listens.
 */

#include <rte_common.h>

#include <sluice/sluice.h>

#include "server.h"

int
server_mode_setup(struct sl_stack *s __rte_unused, const struct server_opts *o)
{
	switch (o->mode) {
	case SERVER_MODE_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

void
server_mode_report(struct sl_stack *s __rte_unused, const struct server_opts *o __rte_unused)
{
}

void
server_mode_teardown(struct sl_stack *s __rte_unused,
		     const struct server_opts *o __rte_unused)
{
}
