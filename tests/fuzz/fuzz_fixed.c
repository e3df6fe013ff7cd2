/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_fixed.c -- fixed-size records of 1, 3 and 2500 bytes (larger than an mbuf). */

#include <stdlib.h>

#include <sluice/framing.h>

#include "fuzz_common.h"

static void
fuzz_framings(struct fuzz_set *set)
{
	static const struct sl_fixed_cfg cfg[] = { { .size = 1 }, { .size = 3 }, { .size = 2500 } };
	static struct sl_deserializer ds[3];
	static struct sl_framing fr[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (sl_fixed_init(&ds[i], NULL, &cfg[i]) != 0)
			abort();
		fr[i].ds = &ds[i];
		set->fr[i] = &fr[i];
	}
	set->n = 3;
}
