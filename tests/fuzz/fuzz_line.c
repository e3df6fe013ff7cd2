/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_line.c -- the line deserializer: LF and strict CRLF, each policy, last line at
 * FIN, short limits (so EMSGSIZE and resync are reached often). */

#include <stdlib.h>

#include <sluice/framing.h>

#include "fuzz_common.h"

static void
fuzz_framings(struct fuzz_set *set)
{
	static const struct sl_line_cfg cfg[] = {
		{ .max_len = 8 },
		{ .max_len = 8, .crlf = true },
		{ .max_len = 64, .last_line_at_eof = true },
		{ .max_len = 1, .crlf = true, .last_line_at_eof = true },
	};
	static const enum sl_framing_policy pol[] = {
		SL_FRAMING_RESYNC, SL_FRAMING_RESYNC, SL_FRAMING_CLOSE, SL_FRAMING_RESYNC,
	};
	static struct sl_deserializer ds[4];
	static struct sl_framing fr[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (sl_line_init(&ds[i], NULL, &cfg[i]) != 0)
			abort();
		fr[i].ds = &ds[i];
		fr[i].on_error = pol[i];
		set->fr[i] = &fr[i];
	}
	set->n = 4;
}
