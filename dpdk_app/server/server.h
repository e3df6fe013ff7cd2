/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

/* sluice-server's modes. Each mode is one file (mode_<name>.c) that listens on the
 * stack and reacts to connection events; main.c only parses options and polls. */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_lcore.h>

#include <sluice/conn.h>

struct sl_stack;

/* X(id, name, default TCP port) */
#define SERVER_MODES(X) \
	X(SERVER_MODE_ECHO, "echo", 7) \
	X(SERVER_MODE_DISCARD, "discard", 9) \
	X(SERVER_MODE_SOURCE, "source", 7) \
	X(SERVER_MODE_ECHO_LINE, "echo-line", 7) \
	X(SERVER_MODE_ECHO_LENPFX, "echo-lenpfx", 7) \
	X(SERVER_MODE_KV, "kv", 6379) \
	X(SERVER_MODE_HTTP, "http", 80) \
	X(SERVER_MODE_PUBSUB, "pubsub", 9000) \
	X(SERVER_MODE_NONE, "none", 0)

enum server_mode {
#define X(id, name, port) id,
	SERVER_MODES(X)
#undef X
	SERVER_MODE_COUNT
};

enum source_verify {
	SOURCE_VERIFY_ECHO,		/* the peer must send every byte back */
	SOURCE_VERIFY_NONE,		/* the peer may send anything (a sink) */
};

struct server_opts {
	unsigned int mode;		/* enum server_mode */
	uint16_t port;			/* 0: the mode's default */
	uint32_t duration_s;
	uint32_t stats_interval_s;
	rte_be32_t remote;		/* client modes: the peer */
	uint64_t bytes;			/* client modes: bytes per connection */
	uint32_t connections;		/* client modes */
	unsigned int verify;		/* enum source_verify */
	uint32_t start_delay_ms;	/* client modes: wait before connecting */
	uint32_t write_size;		/* source: bytes per sl_conn_send() */
	uint32_t max_msg;		/* framed modes: largest message (0: the mode's default) */
	bool line_crlf;		/* echo-line: lines end with CRLF only */
	uint32_t lenpfx_width;		/* echo-lenpfx: 1, 2 or 4 */
	bool lenpfx_le;		/* echo-lenpfx: little-endian length */
	bool lenpfx_incl;		/* echo-lenpfx: length counts the header */
	uint64_t kv_max_keys;		/* kv: keys the store holds */
	uint32_t http_body_len;		/* http: bytes in the fixed body */
	uint32_t producers;		/* pubsub: producer threads */
	uint64_t messages;		/* pubsub: per producer and subscriber (0: no end) */
	uint32_t msg_min, msg_max;	/* pubsub: message sizes, bytes */
};

/* What a mode counts, per worker (each written only by its worker). */
struct server_counters {
	uint64_t accepted;
	uint64_t bytes;
	uint64_t closed[SL_CLOSE_ERROR + 1];
	uint64_t framing_errors;	/* framed modes: on_error calls */
} __rte_cache_aligned;

struct server_ctx {
	const struct server_opts *opts;
	void *mode_state;
	struct server_counters per_worker[RTE_MAX_LCORE];
};

/* Install the mode on every worker of s (before the port starts). 0 or -errno. */
int
server_mode_setup(struct sl_stack *s, const struct server_opts *o);

/* Start what the mode does on its own (client modes connect), after the port started. */
int
server_mode_start(struct sl_stack *s, const struct server_opts *o);

/* Print the mode's own figures at exit; returns the exit status it asks for. */
int
server_mode_report(struct sl_stack *s, const struct server_opts *o);

/* Ask the main loop to stop (from any callback on the main lcore). */
void
server_request_stop(void);

/* Free what setup allocated (after the workers stopped). */
void
server_mode_teardown(struct sl_stack *s, const struct server_opts *o);

int
mode_echo_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
int
mode_discard_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
int
mode_echo_line_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
int
mode_echo_lenpfx_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
void
mode_echo_framed_teardown(struct server_ctx *ctx);
int
mode_kv_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
void
mode_kv_teardown(struct server_ctx *ctx);
int
mode_http_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
void
mode_http_teardown(struct server_ctx *ctx);
int
mode_pubsub_setup(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
int
mode_pubsub_start(struct sl_stack *s, struct server_ctx *ctx);
int
mode_pubsub_report(struct server_ctx *ctx);
void
mode_pubsub_teardown(struct server_ctx *ctx);
int
mode_source_start(struct sl_stack *s, struct server_ctx *ctx, uint16_t port);
int
mode_source_report(struct server_ctx *ctx);

#endif /* SLUICE_SERVER_H */
