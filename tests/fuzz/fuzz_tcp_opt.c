/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the TCP option parser (lib/tcp/tcp_opt.c) on its own. The input, copied
 * into a heap buffer of exactly its size (AddressSanitizer catches a read past the end),
 * is parsed as an option block; what comes out must be within bounds, and options the
 * stack writes from the parsed values must parse back to the same values.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_opt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
fz_check(const struct tcp_opts *o)
{
	if (o->nsack > 4 || ((o->has & TO_WSCALE) && o->wscale > 14))
		abort();
	if (!(o->has & TO_SACK) && o->nsack != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tcp_opts o, back;
	uint8_t out[TCP_OPT_MAX];
	uint8_t *buf;
	size_t n;
	int ts;

	if (len > 64)
		return 0;
	buf = malloc(len == 0 ? 1 : len);
	if (buf == NULL)
		abort();
	memcpy(buf, data, len);
	memset(&o, 0, sizeof(o));
	(void)tcp_opt_parse(buf, len, &o);
	free(buf);
	fz_check(&o);

	/* What the stack would write from these values parses back to them. */
	ts = (o.has & TO_TS) != 0;
	n = tcp_opt_write(out, ts, o.tsval, o.tsecr, o.sack, o.nsack);
	if (n > TCP_OPT_MAX || n % 4 != 0)
		abort();
	memset(&back, 0, sizeof(back));
	if (tcp_opt_parse(out, n, &back) != 0)
		abort();
	if (ts && (!(back.has & TO_TS) || back.tsval != o.tsval || back.tsecr != o.tsecr))
		abort();
	if (back.nsack > o.nsack ||
	    memcmp(back.sack, o.sack, back.nsack * sizeof(back.sack[0])) != 0)
		abort();
	n = tcp_opt_write_syn(out, o.has & TO_MSS ? o.mss : 536,
			      o.has & TO_WSCALE ? o.wscale : -1, (o.has & TO_SACK_OK) != 0, ts,
			      o.tsval, o.tsecr);
	memset(&back, 0, sizeof(back));
	if (n > 20 || tcp_opt_parse(out, n, &back) != 0)
		abort();
	if ((o.has & TO_WSCALE) && back.wscale != o.wscale)
		abort();
	if ((o.has & TO_MSS) && back.mss != o.mss)
		abort();
	return 0;
}
