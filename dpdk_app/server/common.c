/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common.c -- what sluice-server's modes share: the connection callbacks most of them use
 * as they are, the backpressure rule of a mode that answers each message, listening on
 * the mode's port, and the connection summary printed at exit.
 *
 * Every listener gets the server's context as its argument, so any callback of an
 * accepted connection finds it with sl_conn_listen_arg() (server_ctx_of()): nothing here
 * needs a global, and sl_conn_user() stays free for a mode's per-connection state.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_common.h>

#include <sluice/sluice.h>

#include "server.h"

int
server_listen(struct sl_stack *s, struct server_ctx *ctx, const struct sl_conn_ops *ops,
	      const struct sl_framing *fr)
{
	uint32_t n = RTE_MAX(ctx->opts->ports, 1u), i;
	int rc = 0;

	if ((uint32_t)ctx->port + n - 1 > UINT16_MAX) {
		fprintf(stderr, "sluice-server: --ports %u from port %u runs past 65535\n", n,
			ctx->port);
		return -EINVAL;
	}
	for (i = 0; i < n && rc == 0; i++) {
		uint16_t port = (uint16_t)(ctx->port + i);

		rc = fr == NULL ? sl_stack_listen(s, port, ops, ctx) :
				  sl_stack_listen_framed(s, port, ops, ctx, fr);
	}
	if (rc == -EINVAL && fr != NULL && fr->ds != NULL)
		fprintf(stderr, "sluice-server: %s messages of up to %u bytes do not fit the "
			"receive budget: lower --max-msg or raise --rcvbuf\n", fr->ds->name,
			fr->ds->max_msg);
	return rc;
}

int
server_on_accept(struct sl_conn *c, void *arg)
{
	server_counters(arg, c)->accepted++;
	return 0;
}

void
server_on_eof(struct sl_conn *c)
{
	sl_conn_close(c);
}

void
server_on_writable(struct sl_conn *c)
{
	sl_conn_resume_rx(c);
}

void
server_on_error(struct sl_conn *c, int err __rte_unused, uint64_t off __rte_unused)
{
	server_counters(server_ctx_of(c), c)->framing_errors++;
}

void
server_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	server_counters(server_ctx_of(c), c)->closed[why]++;
}

int
server_answered(struct sl_conn *c, const struct sl_msg *m, int rc)
{
	if (rc == -EAGAIN || rc == -ENOBUFS)
		return SL_RX_AGAIN;	/* on_writable follows either (sluice/conn.h) */
	if (rc != 0) {
		sl_conn_abort(c);
		return SL_RX_OK;
	}
	server_counters(server_ctx_of(c), c)->bytes += m->len;
	return SL_RX_OK;
}

void
server_print_summary(struct sl_stack *s, const struct server_ctx *ctx)
{
	struct server_counters sum = { 0 };
	unsigned int i, r;

	for (i = 0; i < sl_stack_worker_count(s); i++) {
		const struct server_counters *k = &ctx->per_worker[i];

		sum.accepted += k->accepted;
		sum.bytes += k->bytes;
		sum.framing_errors += k->framing_errors;
		for (r = 0; r < RTE_DIM(sum.closed); r++)
			sum.closed[r] += k->closed[r];
	}
	printf("sluice-server: connections %" PRIu64 ", bytes %" PRIu64
	       ", framing errors %" PRIu64 "; closed:", sum.accepted, sum.bytes,
	       sum.framing_errors);
	for (r = 0; r < RTE_DIM(sum.closed); r++)
		printf(" %s %" PRIu64, sl_close_reason_str((enum sl_close_reason)r),
		       sum.closed[r]);
	printf("\n");
}
