/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_discard.c -- `sluice-server --mode discard` (port 9, RFC 863): every byte
 * received is counted and dropped; the receive window reopens as fast as data arrives.
 * The server side of sluice-bench's stream workload.
 */

#include <sluice/sluice.h>

#include "server.h"

static int
discard_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	server_counters(server_ctx_of(c), c)->bytes += m->len;
	return SL_RX_OK;
}

static const struct sl_conn_ops discard_ops = {
	.on_accept = server_on_accept,
	.on_message = discard_on_message,
	.on_eof = server_on_eof,
	.on_close = server_on_close,
};

static int
discard_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	return server_listen(s, ctx, &discard_ops, NULL);
}

const struct server_mode mode_discard = {
	.name = "discard",
	.port = 9,
	.setup = discard_setup,
};
