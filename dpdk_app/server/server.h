/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

/*
 * sluice-server's modes. A mode is one ops table, struct server_mode, defined in its own
 * file (mode_<name>.c) and registered with one line in SERVER_MODES below. main.c parses
 * the options, runs the chosen mode's hooks and polls; it knows nothing else about any
 * mode. What the modes' connections have in common (counting accepts, closes and framing
 * errors, closing after the peer's FIN, resuming delivery on on_writable) is in common.c.
 *
 * A new protocol starts as a copy of mode_echo_framed.c, with its deserializer/serializer
 * pair written like docs/examples/tlv_framing.c (docs/framing.md walks through both).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_lcore.h>

#include <sluice/conn.h>
#include <sluice/stack.h>

struct sl_framing;
struct sl_stack;
struct server_ctx;

/*
 * A mode: what sluice-server does with the stack (testpmd's struct fwd_engine idea).
 * main.c calls the hooks in this order; each may be NULL when the mode has nothing
 * special to do at that point.
 *
 *   setup     before the port starts: check the options, allocate ctx->mode_state,
 *             listen (server_listen()). 0 or -errno; on failure the program exits with
 *             status 1 after teardown, so setup leaves partial state for teardown to free.
 *   start     once the port is up and --start-delay-ms has passed, on the main lcore
 *             (worker 0's thread): client modes connect, pubsub starts its producers.
 *             0 or -errno (the program stops and exits with status 1).
 *   poll      on every worker's thread, after each sl_worker_poll() (both loops of
 *             main.c): the mode's own phase, e.g. draining messages between workers.
 *             Called on every iteration, so it must cost next to nothing when idle.
 *   drain     on SIGTERM, on the main lcore, just before sl_stack_drain(): stop making
 *             new work that would keep connections open (pubsub's producers); what a
 *             connection owes is finished in its on_drain (sluice/conn.h).
 *   report    after the workers stopped, after the connection summary: print the mode's
 *             own counters; returns the exit status the mode asks for (0, or 1 when what
 *             it did failed).
 *   teardown  last, also after a failed setup or start: free ctx->mode_state and check it
 *             for leaks; the stack still exists, stopped.
 */
struct server_mode {
	const char *name;		/* --mode */
	uint16_t port;			/* TCP port when --port is 0; 0: the mode opens no
					 * connection (and prints no connection summary) */
	int (*setup)(struct sl_stack *s, struct server_ctx *ctx);
	int (*start)(struct sl_stack *s, struct server_ctx *ctx);
	void (*poll)(struct sl_worker *w, struct server_ctx *ctx);
	void (*drain)(struct sl_stack *s, struct server_ctx *ctx);
	int (*report)(struct sl_stack *s, struct server_ctx *ctx);
	void (*teardown)(struct server_ctx *ctx);
};

/* Every mode, in the order error messages list them: one line each, X(id) naming the
 * struct server_mode mode_<id> that the mode's file defines. */
#define SERVER_MODES(X) \
	X(echo) \
	X(discard) \
	X(source) \
	X(echo_line) \
	X(echo_lenpfx) \
	X(kv) \
	X(http) \
	X(pubsub) \
	X(none)

#define X(id) extern const struct server_mode mode_##id;
SERVER_MODES(X)
#undef X

enum source_verify {
	SOURCE_VERIFY_ECHO,		/* the peer must send every byte back */
	SOURCE_VERIFY_NONE,		/* the peer may send anything (a sink) */
};

/* pubsub: what happens to a subscriber that stays over its limit (--pubsub-slow). */
enum pubsub_slow_policy {
	PUBSUB_SLOW_DISCONNECT,		/* reset it (the default) */
	PUBSUB_SLOW_DROP,		/* skip its messages while over, counting the gap */
};

/* pubsub: --pubsub-limit HARD[,SOFT,SECONDS], as Redis's client-output-buffer-limit
 * pubsub: a subscriber is over its limit once its backlog (bytes queued for it) reaches
 * hard (0: no hard limit), or stays at soft or above for soft_ms (soft 0: stays refused,
 * at its high mark, taking no message at all). */
struct pubsub_limit {
	uint32_t hard;
	uint32_t soft;
	uint32_t soft_ms;
};

struct server_opts {
	const struct server_mode *mode;
	uint16_t port;			/* 0: the mode's default */
	uint32_t ports;			/* listening modes: port .. port + ports - 1 */
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
	uint32_t kv_fwd_records;	/* kv, several workers: records between them */
	uint32_t kv_inbox;		/* kv, several workers: records an inbox holds */
	uint32_t http_body_len;		/* http: bytes in the fixed body */
	uint32_t producers;		/* pubsub: producer threads */
	uint64_t messages;		/* pubsub: per producer and subscriber (0: no end) */
	uint32_t msg_min, msg_max;	/* pubsub: message sizes, bytes */
	unsigned int pubsub_slow;	/* pubsub: enum pubsub_slow_policy */
	struct pubsub_limit pubsub_limit; /* pubsub: when a subscriber is too slow */
};

/* What every mode counts, per worker (each written only by its worker). */
struct server_counters {
	uint64_t accepted;		/* connections accepted (client modes: opened) */
	uint64_t bytes;			/* bytes of messages answered or consumed */
	uint64_t closed[SL_CLOSE_REASON_MAX + 1];
	uint64_t framing_errors;	/* framed modes: on_error calls */
} __rte_cache_aligned;

/* The program's state for its mode: given to every hook, and the listen argument of every
 * listener, so each callback of an accepted connection finds it (sl_conn_listen_arg()). */
struct server_ctx {
	const struct server_opts *opts;
	uint16_t port;			/* --port, or the mode's default */
	void *mode_state;		/* the mode's own, from setup to teardown */
	uint64_t drain_start;		/* TSC when SIGTERM's drain began; 0: none */
	struct server_counters per_worker[RTE_MAX_LCORE];
};

/* ---- modes.c: the list ---- */

/* SL_OPT_CUSTOM parse and format of --mode (a const struct server_mode * field). */
int
server_mode_opt_parse(void *field, const char *value, char *err, size_t errlen);
void
server_mode_opt_format(const void *field, char *buf, size_t len);

/* SL_OPT_CUSTOM parse and format of --pubsub-limit (mode_pubsub.c). */
int
pubsub_limit_opt_parse(void *field, const char *value, char *err, size_t errlen);
void
pubsub_limit_opt_format(const void *field, char *buf, size_t len);

/* ---- main.c ---- */

/* Ask the main loop to stop (from any callback on the main lcore). */
void
server_request_stop(void);

/* ---- common.c: what the modes share ---- */

/* The context of a connection accepted on one of the mode's listeners. */
static inline struct server_ctx *
server_ctx_of(const struct sl_conn *c)
{
	return sl_conn_listen_arg(c);
}

/* The counters of the worker that owns c. */
static inline struct server_counters *
server_counters(struct server_ctx *ctx, const struct sl_conn *c)
{
	return &ctx->per_worker[sl_worker_id(sl_conn_worker(c))];
}

/* Listen on ctx->port (and the --ports - 1 ports above it) with ctx as the listen
 * argument: sl_stack_listen(), or with fr (not NULL) sl_stack_listen_framed(), explaining
 * a framing the receive budget cannot hold. 0 or their -errno. */
int
server_listen(struct sl_stack *s, struct server_ctx *ctx, const struct sl_conn_ops *ops,
	      const struct sl_framing *fr);

/* Connection callbacks to use as they are in a mode's struct sl_conn_ops, or to call at
 * the end of the mode's own (for accepted connections: they find the context through
 * the listen argument). */
int
server_on_accept(struct sl_conn *c, void *arg);		/* count it, keep it */
void
server_on_eof(struct sl_conn *c);			/* finish sending, then FIN */
void
server_on_writable(struct sl_conn *c);			/* resume after SL_RX_AGAIN */
void
server_on_error(struct sl_conn *c, int err, uint64_t off);	/* count it */
void
server_on_close(struct sl_conn *c, enum sl_close_reason why);	/* count it by reason */

/*
 * on_message's verdict once m was answered with a send that returned rc: 0 counts m's
 * bytes; -EAGAIN (the send queue is full) and -ENOBUFS (no mbuf for it now) leave m in
 * place until server_on_writable() resumes delivery, so a peer that does not read cannot make the server buffer without
 * bound; any other error means the connection can no longer answer: it is aborted.
 */
int
server_answered(struct sl_conn *c, const struct sl_msg *m, int rc);

/* Print what every mode counts, summed over the workers (one line). */
void
server_print_summary(struct sl_stack *s, const struct server_ctx *ctx);

#endif /* SLUICE_SERVER_H */
