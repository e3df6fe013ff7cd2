/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * modes.c -- dispatch from --mode to the mode implementations, and their report.
 *
 *   echo    echo every byte back (port 7)
 *   discard count and drop every byte (port 9; sluice-bench's stream workload)
 *   source  connect out, send a seeded stream, check what comes back
 *   echo-line    echo lines through the framing layer (port 7)
 *   echo-lenpfx  echo length-prefixed messages (port 7)
 *   kv      an in-memory key-value store speaking RESP, for redis-cli (port 6379)
 *   http    answer HTTP/1.1 GET with a fixed body, keep-alive (port 80)
 *   pubsub  producer threads publish lines to every subscriber (port 9000)
 *   none    the stack alone: ARP and ICMP echo are answered, nothing listens
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include <sluice/sluice.h>

#include "server.h"

static const uint16_t server_default_port[] = {
#define X(id, name, port) [id] = port,
	SERVER_MODES(X)
#undef X
};

/* One context per process; modes reach it through the listen argument. */
static struct server_ctx *
server_ctx_get(bool create)
{
	static struct server_ctx *ctx;

	if (ctx == NULL && create)
		ctx = rte_zmalloc("sl_server_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE);
	return ctx;
}

int
server_mode_setup(struct sl_stack *s, const struct server_opts *o)
{
	struct server_ctx *ctx;
	uint16_t port = o->port != 0 ? o->port : server_default_port[o->mode];

	if (o->mode == SERVER_MODE_NONE)
		return 0;
	ctx = server_ctx_get(true);
	if (ctx == NULL)
		return -ENOMEM;
	ctx->opts = o;
	switch (o->mode) {
	case SERVER_MODE_ECHO:
		return mode_echo_setup(s, ctx, port);
	case SERVER_MODE_DISCARD:
		return mode_discard_setup(s, ctx, port);
	case SERVER_MODE_SOURCE:
		return 0;
	case SERVER_MODE_ECHO_LINE:
		return mode_echo_line_setup(s, ctx, port);
	case SERVER_MODE_ECHO_LENPFX:
		return mode_echo_lenpfx_setup(s, ctx, port);
	case SERVER_MODE_KV:
		return mode_kv_setup(s, ctx, port);
	case SERVER_MODE_HTTP:
		return mode_http_setup(s, ctx, port);
	case SERVER_MODE_PUBSUB:
		return mode_pubsub_setup(s, ctx, port);
	default:
		return -EINVAL;
	}
}

int
server_mode_start(struct sl_stack *s, const struct server_opts *o)
{
	struct server_ctx *ctx = server_ctx_get(false);
	uint16_t port = o->port != 0 ? o->port : server_default_port[o->mode];

	if (o->mode == SERVER_MODE_SOURCE)
		return mode_source_start(s, ctx, port);
	if (o->mode == SERVER_MODE_PUBSUB)
		return mode_pubsub_start(s, ctx);
	return 0;
}

int
server_mode_report(struct sl_stack *s, const struct server_opts *o)
{
	struct server_ctx *ctx = server_ctx_get(false);
	struct server_counters sum = { 0 };
	unsigned int i, r;
	int status = 0;

	if (ctx == NULL || o->mode == SERVER_MODE_NONE)
		return 0;
	if (o->mode == SERVER_MODE_SOURCE)
		status = mode_source_report(ctx);
	if (o->mode == SERVER_MODE_PUBSUB)
		status = mode_pubsub_report(ctx);
	for (i = 0; i < sl_stack_worker_count(s); i++) {
		sum.accepted += ctx->per_worker[i].accepted;
		sum.bytes += ctx->per_worker[i].bytes;
		sum.framing_errors += ctx->per_worker[i].framing_errors;
		for (r = 0; r < RTE_DIM(sum.closed); r++)
			sum.closed[r] += ctx->per_worker[i].closed[r];
	}
	printf("sluice-server: connections %" PRIu64 ", bytes %" PRIu64
	       ", framing errors %" PRIu64 "; closed:", sum.accepted, sum.bytes,
	       sum.framing_errors);
	for (r = 0; r < RTE_DIM(sum.closed); r++)
		printf(" %s %" PRIu64, sl_close_reason_str((enum sl_close_reason)r),
		       sum.closed[r]);
	printf("\n");
	return status;
}

void
server_mode_teardown(struct sl_stack *s __rte_unused, const struct server_opts *o)
{
	struct server_ctx *ctx = server_ctx_get(false);

	if (ctx != NULL && (o->mode == SERVER_MODE_ECHO_LINE ||
			    o->mode == SERVER_MODE_ECHO_LENPFX))
		mode_echo_framed_teardown(ctx);
	if (ctx != NULL && o->mode == SERVER_MODE_KV)
		mode_kv_teardown(ctx);
	if (ctx != NULL && o->mode == SERVER_MODE_HTTP)
		mode_http_teardown(ctx);
	if (ctx != NULL && o->mode == SERVER_MODE_PUBSUB)
		mode_pubsub_teardown(ctx);
	rte_free(ctx);
}
