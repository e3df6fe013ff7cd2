/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_discard.c -- `sluice-server --mode discard` (port 9, RFC 863): every byte
 * received is counted and dropped; the receive window reopens as fast as data arrives.
 * The server side of sluice-bench's stream workload.
 */

#include <rte_common.h>

#include <sluice/sluice.h>

#include "server.h"

static struct server_counters *
discard_counters(struct sl_conn *c)
{
	struct server_ctx *ctx = sl_conn_user(c);

	return &ctx->per_worker[sl_worker_id(sl_conn_worker(c))];
}

static int
discard_on_accept(struct sl_conn *c, void *arg)
{
	sl_conn_set_user(c, arg);
	discard_counters(c)->accepted++;
	return 0;
}

static int
discard_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	discard_counters(c)->bytes += m->len;
	return SL_RX_OK;
}

static void
discard_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

static void
discard_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	discard_counters(c)->closed[why]++;
}

static const struct sl_conn_ops discard_ops = {
	.on_accept = discard_on_accept,
	.on_message = discard_on_message,
	.on_eof = discard_on_eof,
	.on_close = discard_on_close,
};

int
mode_discard_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port)
{
	return sl_stack_listen(s, port, &discard_ops, ctx);
}
