/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_http.c -- HTTP/1.1 requests: default limits without a body, and small limits
 * with bodies. */

#include <stdlib.h>

#include <sluice/framing.h>
#include <sluice/http.h>

#include "fuzz_common.h"

static void
fuzz_framings(struct fuzz_set *set)
{
	static struct sl_http_cfg cfg[2];
	static struct sl_deserializer ds[2];
	static struct sl_framing fr[2];
	unsigned int i;

	sl_http_cfg_defaults(&cfg[0]);
	cfg[1].max_line = 32;
	cfg[1].max_head = 128;
	cfg[1].max_headers = 4;
	cfg[1].max_body = 64;
	for (i = 0; i < 2; i++) {
		if (sl_http_init(&ds[i], NULL, &cfg[i]) != 0)
			abort();
		fr[i].ds = &ds[i];
		set->fr[i] = &fr[i];
	}
	set->n = 2;
}
