/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

/* sluice-server's modes. Each mode is one file (mode_<name>.c) that listens on the
 * stack and reacts to connection events; main.c only parses options and polls. */

#include <stdint.h>

struct sl_stack;

/* X(id, name, default TCP port) */
#define SERVER_MODES(X) \
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

/* Install the mode on every worker of s (before the port starts). 0 or -errno. */
int
server_mode_setup(struct sl_stack *s, const struct server_opts *o);

/* Print the mode's own figures at exit. */
void
server_mode_report(struct sl_stack *s, const struct server_opts *o);

/* Free what setup allocated (after the workers stopped). */
void
server_mode_teardown(struct sl_stack *s, const struct server_opts *o);

#endif /* SLUICE_SERVER_H */
