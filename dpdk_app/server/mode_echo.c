/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_echo.c -- `sluice-server --mode echo` (port 7, RFC 862): every byte received is
 * sent back.
 *
 * A message the send queue cannot take is left unconsumed (SL_RX_AGAIN) and delivery
 * resumes on on_writable, so a client that does not read cannot make the server buffer
 * without bound (server_answered()). After the client's FIN the server finishes echoing,
 * then closes.
 */

#include <sluice/sluice.h>

#include "server.h"

static int
echo_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	return server_answered(c, m, sl_conn_send(c, m->data, m->len));
}

static const struct sl_conn_ops echo_ops = {
	.on_accept = server_on_accept,
	.on_message = echo_on_message,
	.on_eof = server_on_eof,
	.on_writable = server_on_writable,
	.on_close = server_on_close,
};

static int
echo_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	return server_listen(s, ctx, &echo_ops, NULL);
}

const struct server_mode mode_echo = {
	.name = "echo",
	.port = 7,
	.setup = echo_setup,
};
