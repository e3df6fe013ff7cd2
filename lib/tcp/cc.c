/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cc.c -- the congestion control modules by name: the configuration's `cc` key and
 * sl_conn_set_cc choose one here.
 */

#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "tcp/cc.h"

static const struct tcp_cc_ops *const tcp_cc_modules[] = {
	&tcp_cc_newreno,
	&tcp_cc_dctcp,
};

const struct tcp_cc_ops *
tcp_cc_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(tcp_cc_modules); i++)
		if (strcmp(tcp_cc_modules[i]->name, name) == 0)
			return tcp_cc_modules[i];
	return NULL;
}

const char *
tcp_cc_names(void)
{
	static char names[128];
	size_t n = 0;
	unsigned int i;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < RTE_DIM(tcp_cc_modules); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? "|" : "",
				      tcp_cc_modules[i]->name);
	return names;
}
