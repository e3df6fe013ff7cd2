/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cc.c -- the congestion control modules by name: the configuration's `cc` key and
 * sl_conn_set_cc choose one here, and tcp_cc_switch moves a live flow to another.
 */

#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "tcp/cc.h"
#include "tcp/flow.h"

/* In the order tcp_cc_names() lists them (--help); the default (config.c) is cubic. */
static const struct tcp_cc_ops *const tcp_cc_modules[] = {
	&tcp_cc_newreno,
	&tcp_cc_cubic,
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

void
tcp_cc_switch(struct tcp_flow *f, const struct tcp_cc_ops *cc)
{
	uint32_t ssthresh = f->ssthresh;

	if (f->cc == cc)
		return;
	f->cc = cc;
	memset(&f->cc_state, 0, sizeof(f->cc_state));
	cc->init(f);
	if (f->cwnd == 0)
		return;		/* the handshake calls conn_init */
	/* init made ssthresh "arbitrarily high" again: that would send a flow that has
	 * seen congestion back to slow start, so the old module's threshold stays. */
	f->ssthresh = ssthresh;
	cc->conn_init(f, f->cwnd);
}
