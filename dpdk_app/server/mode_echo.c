/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_echo.c -- `sluice-server --mode echo`: every byte received is sent back.
 *
 * A message the send queue cannot take is left unconsumed (SL_RX_AGAIN) and delivery
 * resumes on on_writable, so a client that does not read cannot make the server buffer
 * without bound. After the client's FIN the server finishes echoing, then closes.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>

#include <sluice/sluice.h>

#include "server.h"

static struct server_counters *
echo_counters(struct sl_conn *c)
{
	struct server_ctx *ctx = sl_conn_user(c);

	return &ctx->per_worker[sl_worker_id(sl_conn_worker(c))];
}

static int
echo_on_accept(struct sl_conn *c, void *arg)
{
	struct server_ctx *ctx = arg;

	sl_conn_set_user(c, ctx);
	echo_counters(c)->accepted++;
	return 0;
}

static int
echo_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	int rc = sl_conn_send(c, m->data, m->len);

	if (rc == -EAGAIN)
		return SL_RX_AGAIN;
	if (rc != 0) {
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	echo_counters(c)->bytes += m->len;
	return SL_RX_OK;
}

static void
echo_on_writable(struct sl_conn *c)
{
	sl_conn_resume_rx(c);
}

static void
echo_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

static void
echo_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	echo_counters(c)->closed[why]++;
}

static const struct sl_conn_ops echo_ops = {
	.on_accept = echo_on_accept,
	.on_message = echo_on_message,
	.on_eof = echo_on_eof,
	.on_writable = echo_on_writable,
	.on_close = echo_on_close,
};

int
mode_echo_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port)
{
	return sl_stack_listen(s, port, &echo_ops, ctx);
}
