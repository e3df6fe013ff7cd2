/* SPDX-License-Identifier: BSD-3-Clause */
/* mbuf_dyn.c -- registration of sluice's mbuf dynamic field (see mbuf_dyn.h). */

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include "net/mbuf_dyn.h"

int
mbuf_dyn_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "sluice_flow_link",
		.size = sizeof(struct mbuf_dyn),
		.align = __alignof__(struct mbuf_dyn),
	};
	int off = rte_mbuf_dynfield_register(&desc);

	return off < 0 ? -rte_errno : off;
}
