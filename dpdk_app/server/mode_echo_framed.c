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

static struct server_counters *
efr_counters(struct sl_conn *c)
{
	struct server_ctx *ctx = sl_conn_user(c);

	return &ctx->per_worker[sl_worker_id(sl_conn_worker(c))];
}

static int
efr_on_accept(struct sl_conn *c, void *arg)
{
	struct server_ctx *ctx = arg;

	sl_conn_set_user(c, ctx);
	efr_counters(c)->accepted++;
	return 0;
}

static int
efr_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct sl_bytes b = { .data = m->data, .len = m->len };
	int rc = sl_conn_send_msg(c, &b);

	if (rc == -EAGAIN)
		return SL_RX_AGAIN;
	if (rc != 0) {
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	efr_counters(c)->bytes += m->len;
	return SL_RX_OK;
}

static void
efr_on_writable(struct sl_conn *c)
{
	sl_conn_resume_rx(c);
}

static void
efr_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

static void
efr_on_error(struct sl_conn *c, int err __rte_unused, uint64_t off __rte_unused)
{
	efr_counters(c)->framing_errors++;
}

static void
efr_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	efr_counters(c)->closed[why]++;
}

static const struct sl_conn_ops efr_ops = {
	.on_accept = efr_on_accept,
	.on_message = efr_on_message,
	.on_eof = efr_on_eof,
	.on_writable = efr_on_writable,
	.on_error = efr_on_error,
	.on_close = efr_on_close,
};

static struct echo_framed *
efr_alloc(struct server_ctx *ctx)
{
	struct echo_framed *e = rte_zmalloc("sl_echo_framed", sizeof(*e), 0);

	ctx->mode_state = e;
	return e;
}

static int
efr_listen(struct sl_stack *s, struct server_ctx *ctx, uint16_t port, struct echo_framed *e)
{
	int rc;

	e->fr.ds = &e->ds;
	e->fr.ser = &e->ser;
	rc = sl_stack_listen_framed(s, port, &efr_ops, ctx, &e->fr);
	if (rc == -EINVAL)
		fprintf(stderr, "sluice-server: %s messages of up to %u bytes do not fit the "
			"receive budget: lower --max-msg or raise --rcvbuf\n", e->ds.name,
			e->ds.max_msg);
	return rc;
}

int
mode_echo_line_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port)
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
	e->fr.on_error = SL_FRAMING_RESYNC;
	return efr_listen(s, ctx, port, e);
}

int
mode_echo_lenpfx_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port)
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
	e->fr.on_error = SL_FRAMING_CLOSE;
	return efr_listen(s, ctx, port, e);
}

void
mode_echo_framed_teardown(struct server_ctx *ctx)
{
	rte_free(ctx->mode_state);
	ctx->mode_state = NULL;
}
