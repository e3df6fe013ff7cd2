/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_echo_framed.c -- `--mode echo-line` and `--mode echo-lenpfx`: every message found
 * by the deserializer goes back through the matching serializer.
 *
 *   echo-line    lines ending in LF (or strictly CRLF with --line-crlf), at most
 *                --max-msg bytes (default 4096); a line too long or badly terminated is
 *                counted and skipped up to its end (resync), the connection goes on.
 *   echo-lenpfx  a --lenpfx-width byte length (default 4), big-endian unless
 *                --lenpfx-le, counting the payload only unless --lenpfx-incl, payload
 *                at most --max-msg bytes (default 65536, or what the field can carry);
 *                a bad length closes the connection (nothing after it can be trusted).
 *
 * Backpressure as in mode_echo.c: a message the send queue cannot take is left in place
 * (SL_RX_AGAIN) and delivery resumes on on_writable. After the peer's FIN: close.
 *
 * This file is the template for a mode of your own protocol:
 *   1. a deserializer/serializer pair for it (here the built-in line and lenpfx ones;
 *      docs/examples/tlv_framing.c and docs/framing.md show how to write one);
 *   2. setup: the pair and its struct sl_framing in the mode's state, which outlives
 *      the connections, then server_listen() with it;
 *   3. on_message: one whole message, answered through the serializer
 *      (sl_conn_send_msg()); common.c's callbacks for the rest;
 *   4. a struct server_mode at the end, one line in SERVER_MODES (server.h), the file
 *      in dpdk_app/meson.build.
 */

#include <errno.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include <sluice/sluice.h>

#include "server.h"

#define ECHO_LINE_DEFAULT_MAX	4096u
#define ECHO_LENPFX_DEFAULT_MAX	65536u

/* Everything a framing references must outlive the connections: it lives here, in
 * ctx->mode_state, until teardown. */
struct echo_framed {
	struct sl_line_cfg line;
	struct sl_lenpfx_cfg lenpfx;
	struct sl_deserializer ds;
	struct sl_serializer ser;
	struct sl_framing fr;
};

/* m is one whole message (a line without its terminator, or a payload without its
 * length); the serializer adds the framing back. */
static int
efr_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct sl_bytes b = { .data = m->data, .len = m->len };

	return server_answered(c, m, sl_conn_send_msg(c, &b));
}

static const struct sl_conn_ops efr_ops = {
	.on_accept = server_on_accept,
	.on_message = efr_on_message,
	.on_eof = server_on_eof,
	.on_writable = server_on_writable,
	.on_error = server_on_error,	/* counted; the framing's policy does the rest */
	.on_close = server_on_close,
};

static struct echo_framed *
efr_alloc(struct server_ctx *ctx)
{
	struct echo_framed *e = rte_zmalloc("sl_echo_framed", sizeof(*e), 0);

	ctx->mode_state = e;
	return e;
}

static int
efr_listen(struct sl_stack *s, struct server_ctx *ctx, struct echo_framed *e)
{
	e->fr.ds = &e->ds;
	e->fr.ser = &e->ser;
	return server_listen(s, ctx, &efr_ops, &e->fr);
}

static int
echo_line_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	struct echo_framed *e = efr_alloc(ctx);

	if (e == NULL)
		return -ENOMEM;
	e->line.max_len = o->max_msg != 0 ? o->max_msg : ECHO_LINE_DEFAULT_MAX;
	e->line.crlf = o->line_crlf;
	e->line.last_line_at_eof = true;
	if (sl_line_init(&e->ds, &e->ser, &e->line) != 0)
		return -EINVAL;
	/* A bad line ends at the next terminator: skip it and go on. */
	e->fr.on_error = SL_FRAMING_RESYNC;
	return efr_listen(s, ctx, e);
}

static int
echo_lenpfx_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	struct echo_framed *e = efr_alloc(ctx);
	uint64_t field_max;

	if (e == NULL)
		return -ENOMEM;
	e->lenpfx.width = (uint8_t)o->lenpfx_width;
	e->lenpfx.little_endian = o->lenpfx_le;
	e->lenpfx.includes_header = o->lenpfx_incl;
	field_max = (1ull << (8 * o->lenpfx_width)) - 1 - (o->lenpfx_incl ? o->lenpfx_width : 0);
	e->lenpfx.max_len = (uint32_t)RTE_MIN(o->max_msg != 0 ? o->max_msg :
					      ECHO_LENPFX_DEFAULT_MAX, field_max);
	if (sl_lenpfx_init(&e->ds, &e->ser, &e->lenpfx) != 0) {
		fprintf(stderr, "sluice-server: --lenpfx-width must be 1, 2 or 4\n");
		return -EINVAL;
	}
	/* After a bad length nothing in the stream can be trusted. */
	e->fr.on_error = SL_FRAMING_CLOSE;
	return efr_listen(s, ctx, e);
}

static void
efr_teardown(struct server_ctx *ctx)
{
	rte_free(ctx->mode_state);
	ctx->mode_state = NULL;
}

const struct server_mode mode_echo_line = {
	.name = "echo-line",
	.port = 7,
	.setup = echo_line_setup,
	.teardown = efr_teardown,
};

const struct server_mode mode_echo_lenpfx = {
	.name = "echo-lenpfx",
	.port = 7,
	.setup = echo_lenpfx_setup,
	.teardown = efr_teardown,
};
