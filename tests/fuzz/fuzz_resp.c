/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_resp.c -- RESP requests (server side) and replies (client side), small limits so
 * every limit is reached. */

#include <sluice/framing.h>
#include <sluice/resp.h>

#include "fuzz_common.h"

static void
fuzz_framings(struct fuzz_set *set)
{
	static const struct sl_resp_cfg small = { .max_msg = 256, .max_args = 8,
						  .max_bulk = 64 };
	static const struct sl_resp_cfg big = { .max_msg = 8192, .max_args = 1024,
						.max_bulk = 4096 };
	static struct sl_deserializer ds[4];
	static struct sl_framing fr[4];
	unsigned int i;

	sl_resp_init(&ds[0], NULL, &small);
	sl_resp_init(&ds[1], NULL, &big);
	sl_resp_client_init(&ds[2], NULL, &small);
	sl_resp_client_init(&ds[3], NULL, &big);
	for (i = 0; i < 4; i++) {
		fr[i].ds = &ds[i];
		fr[i].on_error = i % 2 ? SL_FRAMING_RESYNC : SL_FRAMING_CLOSE;
		set->fr[i] = &fr[i];
	}
	set->n = 4;
}
