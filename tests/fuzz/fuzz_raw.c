/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_raw.c -- sl_ds_raw (and no deserializer at all) under random segmentation. */

#include <sluice/framing.h>

#include "fuzz_common.h"

static void
fuzz_framings(struct fuzz_set *set)
{
	static const struct sl_framing raw = { .ds = &sl_ds_raw };
	static const struct sl_framing none = { .ds = NULL };

	/* Raw message boundaries follow the segmentation: compare the bytes only. */
	set->fr[0] = &raw;
	set->flags[0] = SLK_F_CONCAT;
	set->fr[1] = &none;
	set->flags[1] = SLK_F_CONCAT;
	set->n = 2;
}
