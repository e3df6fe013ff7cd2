/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing/lenpfx.c -- length-prefixed messages: a 1-, 2- or 4-byte length, big or little
 * endian, counting the payload alone or the length field as well, then the payload.
 *
 * frame() reads the header once it is there and then asks for the whole message at once
 * (need = header + payload), so a large message costs two calls however it is segmented.
 * The message delivered is the payload. Errors (offset 0, the length field):
 *   EMSGSIZE  the payload is longer than max_len;
 *   EPROTO    a length that includes the header but is smaller than it.
 * There is no resynchronising: once a length is wrong nothing after it can be trusted.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include <sluice/framing.h>

static bool
lenpfx_read(const struct sl_lenpfx_cfg *cfg, const struct sl_cursor *in, uint64_t *v)
{
	return cfg->little_endian ? sl_cursor_read_le(in, 0, cfg->width, v) :
				    sl_cursor_read_be(in, 0, cfg->width, v);
}

static enum sl_ds_verdict
lenpfx_frame(void *state __rte_unused, const void *arg, const struct sl_cursor *in,
	     uint32_t resume __rte_unused, struct sl_ds_result *r)
{
	const struct sl_lenpfx_cfg *cfg = arg;
	uint32_t avail = sl_cursor_avail(in);
	uint64_t len, total;

	if (!lenpfx_read(cfg, in, &len)) {
		r->need = cfg->width;
		return SL_DS_NEED;
	}
	if (cfg->includes_header) {
		if (len < cfg->width) {
			r->err = EPROTO;
			return SL_DS_ERROR;
		}
		len -= cfg->width;
	}
	if (len > cfg->max_len) {
		r->err = EMSGSIZE;
		return SL_DS_ERROR;
	}
	total = cfg->width + len;
	if (avail < total) {
		r->need = (uint32_t)total;
		return SL_DS_NEED;
	}
	r->consumed = (uint32_t)total;
	r->msg_off = cfg->width;
	r->msg_len = (uint32_t)len;
	return SL_DS_FRAME;
}

/* Largest payload the length field can describe. */
static uint64_t
lenpfx_field_max(const struct sl_lenpfx_cfg *cfg)
{
	uint64_t m = (1ull << (8 * cfg->width)) - 1;

	return cfg->includes_header ? m - cfg->width : m;
}

static int
lenpfx_encode(const void *arg, const void *msg, struct sl_writer *wr)
{
	const struct sl_lenpfx_cfg *cfg = arg;
	const struct sl_bytes *b = msg;
	uint64_t v = b->len + (cfg->includes_header ? cfg->width : 0);
	uint8_t hdr[4];
	unsigned int i;
	int rc;

	if (b->len > cfg->max_len || b->len > lenpfx_field_max(cfg))
		return -EMSGSIZE;
	for (i = 0; i < cfg->width; i++) {
		unsigned int shift = cfg->little_endian ? 8 * i : 8 * (cfg->width - 1 - i);

		hdr[i] = (uint8_t)(v >> shift);
	}
	rc = sl_writer_write(wr, hdr, cfg->width);
	if (rc != 0)
		return rc;
	return sl_writer_write(wr, b->data, b->len);
}

int
sl_lenpfx_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	       const struct sl_lenpfx_cfg *cfg)
{
	if (cfg == NULL || (cfg->width != 1 && cfg->width != 2 && cfg->width != 4))
		return -EINVAL;
	/* The whole message (header + payload) must be describable in 32 bits. */
	if ((uint64_t)cfg->max_len + cfg->width > UINT32_MAX)
		return -EINVAL;
	if (ds != NULL) {
		memset(ds, 0, sizeof(*ds));
		ds->name = "lenpfx";
		ds->max_msg = cfg->width + (uint32_t)RTE_MIN((uint64_t)cfg->max_len,
							     lenpfx_field_max(cfg));
		ds->arg = cfg;
		ds->frame = lenpfx_frame;
	}
	if (ser != NULL) {
		memset(ser, 0, sizeof(*ser));
		ser->name = "lenpfx";
		ser->arg = cfg;
		ser->encode = lenpfx_encode;
	}
	return 0;
}
