/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing/fixed.c -- fixed-size records: every message is exactly `size` bytes.
 *
 * FIN inside a record is the driver's default EPIPE error (no eof() of its own).
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include <sluice/framing.h>

static enum sl_ds_verdict
fixed_frame(void *state __rte_unused, const void *arg, const struct sl_cursor *in,
	    uint32_t resume __rte_unused, struct sl_ds_result *r)
{
	const struct sl_fixed_cfg *cfg = arg;

	if (sl_cursor_avail(in) < cfg->size) {
		r->need = cfg->size;
		return SL_DS_NEED;
	}
	r->consumed = cfg->size;
	r->msg_len = cfg->size;
	return SL_DS_FRAME;
}

static int
fixed_encode(const void *arg, const void *msg, struct sl_writer *wr)
{
	const struct sl_fixed_cfg *cfg = arg;
	const struct sl_bytes *b = msg;

	if (b->len != cfg->size)
		return b->len > cfg->size ? -EMSGSIZE : -EINVAL;
	return sl_writer_write(wr, b->data, b->len);
}

int
sl_fixed_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	      const struct sl_fixed_cfg *cfg)
{
	if (cfg == NULL || cfg->size == 0)
		return -EINVAL;
	if (ds != NULL) {
		memset(ds, 0, sizeof(*ds));
		ds->name = "fixed";
		ds->max_msg = cfg->size;
		ds->arg = cfg;
		ds->frame = fixed_frame;
	}
	if (ser != NULL) {
		memset(ser, 0, sizeof(*ser));
		ser->name = "fixed";
		ser->arg = cfg;
		ser->encode = fixed_encode;
	}
	return 0;
}
