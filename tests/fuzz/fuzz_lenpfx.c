/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_lenpfx.c -- length-prefixed messages: widths 1, 2 and 4, both byte orders,
 * lengths with and without the header. */

#include <stdlib.h>

#include <sluice/framing.h>

#include "fuzz_common.h"

static void
fuzz_framings(struct fuzz_set *set)
{
	static const struct sl_lenpfx_cfg cfg[] = {
		{ .width = 1, .max_len = 200 },
		{ .width = 1, .includes_header = true, .max_len = 16 },
		{ .width = 2, .max_len = 3000 },
		{ .width = 2, .little_endian = true, .includes_header = true, .max_len = 64 },
		{ .width = 4, .max_len = 100 },
		{ .width = 4, .little_endian = true, .includes_header = true, .max_len = 5000 },
	};
	static struct sl_deserializer ds[6];
	static struct sl_framing fr[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		if (sl_lenpfx_init(&ds[i], NULL, &cfg[i]) != 0)
			abort();
		fr[i].ds = &ds[i];
		set->fr[i] = &fr[i];
	}
	set->n = 6;
}
