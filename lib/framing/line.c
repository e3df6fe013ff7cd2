/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * framing/line.c -- lines: text ending in LF (an optional CR before it is not part of the
 * line) or, strictly, in CRLF.
 *
 * frame() looks for the LF from where the previous call stopped (`resume`), never beyond
 * the longest line the configuration allows, so a line arriving a byte at a time costs
 * one byte of scanning per byte. Errors, at stream offsets that do not depend on how the
 * bytes were segmented:
 *   EMSGSIZE  the line is longer than max_len (offset: its first byte past max_len);
 *   EPROTO    strict CRLF and a bare LF (offset: the LF).
 * Both can resynchronise (SL_FRAMING_RESYNC): the stream goes on after the next LF, the
 * bytes up to it are dropped; while dropping, the state remembers it.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include <sluice/framing.h>

struct line_state {
	bool discarding;		/* dropping the rest of a bad line, up to its LF */
};

/* Bytes a line may occupy: content, CR, LF. */
static inline uint64_t
line_span_max(const struct sl_line_cfg *cfg)
{
	return (uint64_t)cfg->max_len + 2;
}

static enum sl_ds_verdict
line_error(struct line_state *st, struct sl_ds_result *r, int err, uint32_t off,
	   int64_t lf, uint32_t avail)
{
	r->err = err;
	r->err_off = off;
	r->resync = true;
	if (lf >= 0) {
		r->skip = (uint64_t)lf + 1;
	} else {
		/* The LF has not arrived: drop what is here, and the rest up to it later. */
		r->skip = avail;
		st->discarding = true;
	}
	return SL_DS_ERROR;
}

static enum sl_ds_verdict
line_frame(void *state, const void *arg, const struct sl_cursor *in, uint32_t resume,
	   struct sl_ds_result *r)
{
	const struct sl_line_cfg *cfg = arg;
	struct line_state *st = state;
	uint32_t avail = sl_cursor_avail(in);
	uint32_t to = (uint32_t)RTE_MIN((uint64_t)avail, line_span_max(cfg));
	uint32_t len;
	int64_t lf;

	if (st->discarding) {
		lf = sl_cursor_memchr(in, 0, avail, '\n');
		if (lf < 0) {
			r->skip = avail;
			return SL_DS_SKIP;
		}
		st->discarding = false;
		r->skip = (uint64_t)lf + 1;
		return SL_DS_SKIP;
	}
	lf = sl_cursor_memchr(in, RTE_MIN(resume, to), to, '\n');
	if (lf < 0) {
		if (avail >= line_span_max(cfg))
			/* Too long; its end may be here already: resume after it. */
			return line_error(st, r, EMSGSIZE, cfg->max_len,
					  sl_cursor_memchr(in, to, avail, '\n'), avail);
		r->need = avail + 1;
		r->scanned = avail;
		return SL_DS_NEED;
	}
	len = (uint32_t)lf;
	if (len > 0 && sl_cursor_byte(in, len - 1) == '\r')
		len--;
	else if (cfg->crlf)
		return line_error(st, r, EPROTO, (uint32_t)lf, lf, avail);
	if (len > cfg->max_len)
		return line_error(st, r, EMSGSIZE, cfg->max_len, lf, avail);
	r->consumed = (uint32_t)lf + 1;
	r->msg_len = len;
	return SL_DS_FRAME;
}

static enum sl_ds_verdict
line_eof(void *state, const void *arg, const struct sl_cursor *in, struct sl_ds_result *r)
{
	const struct sl_line_cfg *cfg = arg;
	struct line_state *st = state;
	uint32_t avail = sl_cursor_avail(in);

	if (avail == 0 || st->discarding)
		return SL_DS_DONE;
	if (!cfg->last_line_at_eof) {
		r->err = EPIPE;		/* FIN inside a line */
		r->err_off = avail;
		return SL_DS_ERROR;
	}
	if (avail > cfg->max_len) {
		r->err = EMSGSIZE;
		r->err_off = cfg->max_len;
		return SL_DS_ERROR;
	}
	r->consumed = avail;
	r->msg_len = avail;
	return SL_DS_FRAME;
}

static int
line_encode(const void *arg, const void *msg, struct sl_writer *wr)
{
	const struct sl_line_cfg *cfg = arg;
	const struct sl_bytes *b = msg;
	int rc;

	if (b->len > cfg->max_len)
		return -EMSGSIZE;
	if (b->len > 0 && memchr(b->data, '\n', b->len) != NULL)
		return -EINVAL;		/* would read back as two lines */
	rc = sl_writer_write(wr, b->data, b->len);
	if (rc != 0)
		return rc;
	return cfg->crlf ? sl_writer_write(wr, "\r\n", 2) : sl_writer_write(wr, "\n", 1);
}

int
sl_line_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	     const struct sl_line_cfg *cfg)
{
	if (cfg == NULL || cfg->max_len == 0 || line_span_max(cfg) > UINT32_MAX)
		return -EINVAL;
	if (ds != NULL) {
		memset(ds, 0, sizeof(*ds));
		ds->name = cfg->crlf ? "line-crlf" : "line";
		ds->state_size = sizeof(struct line_state);
		ds->max_msg = (uint32_t)line_span_max(cfg);
		ds->arg = cfg;
		ds->frame = line_frame;
		ds->eof = line_eof;
	}
	if (ser != NULL) {
		memset(ser, 0, sizeof(*ser));
		ser->name = ds != NULL ? ds->name : "line";
		ser->arg = cfg;
		ser->encode = line_encode;
	}
	return 0;
}
