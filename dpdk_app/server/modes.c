/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * modes.c -- the list of sluice-server's modes (SERVER_MODES in server.h) and --mode.
 *
 *   echo         echo every byte back (port 7)                          mode_echo.c
 *   discard      count and drop every byte (port 9; sluice-bench's      mode_discard.c
 *                stream workload)
 *   source       connect out, send a seeded stream, check what comes    mode_source.c
 *                back
 *   echo-line    echo lines through the framing layer (port 7)          mode_echo_framed.c
 *   echo-lenpfx  echo length-prefixed messages (port 7)                 mode_echo_framed.c
 *   kv           an in-memory key-value store speaking RESP, for        mode_kv.c, kv_store.c
 *                redis-cli (port 6379)
 *   http         answer HTTP/1.1 GET with a fixed body, keep-alive      mode_http.c
 *                (port 80)
 *   pubsub       producer threads publish lines to every subscriber     mode_pubsub.c
 *                (port 9000)
 *   none         the stack alone: ARP and ICMP echo are answered,       here
 *                nothing listens
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "server.h"

/* Every hook NULL: the stack alone. */
const struct server_mode mode_none = {
	.name = "none",
};

static const struct server_mode *const server_modes[] = {
#define X(id) &mode_##id,
	SERVER_MODES(X)
#undef X
};

int
server_mode_opt_parse(void *field, const char *value, char *err, size_t errlen)
{
	unsigned int i;
	int n;

	for (i = 0; i < RTE_DIM(server_modes); i++) {
		if (strcmp(value, server_modes[i]->name) == 0) {
			*(const struct server_mode **)field = server_modes[i];
			return 0;
		}
	}
	n = snprintf(err, errlen, "expected one of:");
	for (i = 0; i < RTE_DIM(server_modes) && n > 0 && (size_t)n < errlen; i++)
		n += snprintf(err + n, errlen - (size_t)n, " %s", server_modes[i]->name);
	return -EINVAL;
}

void
server_mode_opt_format(const void *field, char *buf, size_t len)
{
	snprintf(buf, len, "%s", (*(const struct server_mode *const *)field)->name);
}
