/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing/raw.c -- the raw pair: bytes as they arrive, bytes as they are given.
 *
 * sl_ds_raw is also what a connection without a deserializer runs: each message is one
 * contiguous slice of the stream (a received segment, or the part of one not consumed
 * yet), so nothing is ever copied.
 */

#include <rte_common.h>

#include <sluice/framing.h>

static enum sl_ds_verdict
raw_frame(void *state __rte_unused, const void *arg __rte_unused, const struct sl_cursor *in,
	  uint32_t resume __rte_unused, struct sl_ds_result *r)
{
	struct sl_slice s;

	if (sl_cursor_slices(in, 0, sl_cursor_avail(in), &s, 1) == 0) {
		r->need = 1;
		return SL_DS_NEED;
	}
	r->consumed = s.len;
	r->msg_len = s.len;
	return SL_DS_FRAME;
}

static enum sl_ds_verdict
raw_eof(void *state __rte_unused, const void *arg __rte_unused,
	const struct sl_cursor *in __rte_unused, struct sl_ds_result *r __rte_unused)
{
	return SL_DS_DONE;
}

const struct sl_deserializer sl_ds_raw = {
	.name = "raw",
	.state_size = 0,
	.max_msg = 65536,
	.frame = raw_frame,
	.eof = raw_eof,
};

static int
raw_encode(const void *arg __rte_unused, const void *msg, struct sl_writer *wr)
{
	const struct sl_bytes *b = msg;

	return sl_writer_write(wr, b->data, b->len);
}

const struct sl_serializer sl_ser_raw = {
	.name = "raw",
	.encode = raw_encode,
};
