/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

/* sluice-server's modes. Each mode is one file (mode_<name>.c) that listens on the
 * stack and reacts to connection events; main.c only parses options and polls. */

#include <stdint.h>

#include <rte_lcore.h>

#include <sluice/conn.h>

struct sl_stack;

/* X(id, name, default TCP port) */
#define SERVER_MODES(X) \
	X(SERVER_MODE_ECHO, "echo", 7) \
	X(SERVER_MODE_NONE, "none", 0)

enum server_mode {
#define X(id, name, port) id,
	SERVER_MODES(X)
#undef X
	SERVER_MODE_COUNT
};

struct server_opts {
	unsigned int mode;		/* enum server_mode */
	uint16_t port;			/* 0: the mode's default */
	uint32_t duration_s;
	uint32_t stats_interval_s;
};

/* What a mode counts, per worker (each written only by its worker). */
struct server_counters {
	uint64_t accepted;
	uint64_t bytes;
	uint64_t closed[SL_CLOSE_ERROR + 1];
} __rte_cache_aligned;

struct server_ctx {
	const struct server_opts *opts;
	struct server_counters per_worker[RTE_MAX_LCORE];
};

/* Install the mode on every worker of s (before the port starts). 0 or -errno. */
int
server_mode_setup(struct sl_stack *s, const struct server_opts *o);

/* Print the mode's own figures at exit. */
void
server_mode_report(struct sl_stack *s, const struct server_opts *o);

/* Free what setup allocated (after the workers stopped). */
void
server_mode_teardown(struct sl_stack *s, const struct server_opts *o);

int
mode_echo_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);

#endif /* SLUICE_SERVER_H */
