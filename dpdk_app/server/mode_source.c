/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_source.c -- `sluice-server --mode source`: sluice as a TCP client.
 *
 * Opens --connections connections to --remote:--port, sends --bytes of a seeded
 * pseudo-random stream on each (in writes of --write-size bytes), then half-closes. With
 * --verify echo every byte that comes back must equal the byte sent at that offset, and
 * all of them must come back before the peer's FIN; with --verify none the peer may send
 * nothing. The program stops when every connection has closed and exits non-zero if any
 * of them failed.
 *
 * These connections are active opens: they have no listen argument, so each carries its
 * own struct source_conn (with the context) as its user pointer, and the callbacks of
 * common.c (which find the context through the listener) are not for them.
 *
 * The stream is xorshift64* seeded per connection, so any peer can regenerate it; its
 * FNV-1a 64-bit hash is printed for peers that only hash what they receive.
 *
 * SIGTERM (a drain) ends the streams where they are: what was queued is sent, then FIN,
 * and the report says "drained" instead of "ok" for a stream cut short.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <sluice/sluice.h>

#include "server.h"

#define SOURCE_CHUNK 16384

struct stream_gen {
	uint64_t s;
	uint8_t buf[8];
	unsigned int left;	/* unread bytes in buf */
};

struct source_conn {
	struct sl_conn *c;
	struct server_ctx *ctx;
	unsigned int idx;
	struct stream_gen tx_gen, rx_gen;
	uint64_t sent, received;
	uint64_t tx_hash;
	uint64_t start_tsc, end_tsc;
	bool eof, closed, failed;
	bool drained;		/* SIGTERM closed it before the stream was out */
	enum sl_close_reason reason;
	char why[96];
};

struct source_state {
	struct server_ctx *ctx;
	unsigned int n, open;
	struct source_conn conns[];
};

static void
gen_init(struct stream_gen *g, unsigned int idx)
{
	g->s = 0x9E3779B97F4A7C15ULL * (idx + 1) | 1;
	g->left = 0;
}

static void
gen_fill(struct stream_gen *g, uint8_t *dst, size_t len)
{
	while (len > 0) {
		size_t k;

		if (g->left == 0) {
			uint64_t x;

			g->s ^= g->s >> 12;
			g->s ^= g->s << 25;
			g->s ^= g->s >> 27;
			x = g->s * 0x2545F4914F6CDD1DULL;
			memcpy(g->buf, &x, 8);
			g->left = 8;
		}
		k = RTE_MIN(len, (size_t)g->left);
		memcpy(dst, g->buf + 8 - g->left, k);
		g->left -= (unsigned int)k;
		dst += k;
		len -= k;
	}
}

static uint64_t
fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void
source_fail(struct source_conn *sc, const char *why)
{
	if (!sc->failed)
		snprintf(sc->why, sizeof(sc->why), "%s", why);
	sc->failed = true;
	sl_conn_abort(sc->c);
}

/* Send until the stream is out or the send queue is full. */
static void
source_pump(struct source_conn *sc)
{
	const struct server_opts *o = sc->ctx->opts;
	uint8_t buf[SOURCE_CHUNK];

	while (sc->sent < o->bytes) {
		uint32_t n = (uint32_t)RTE_MIN((uint64_t)sizeof(buf), o->bytes - sc->sent);
		uint32_t space = sl_conn_send_space(sc->c);
		struct stream_gen save = sc->tx_gen;
		int rc;

		n = RTE_MIN(n, o->write_size);
		if (space == 0)
			n = RTE_MIN(n, 1u);	/* probe for -EAGAIN, which arms on_writable */
		else
			n = RTE_MIN(n, space);
		gen_fill(&sc->tx_gen, buf, n);
		rc = sl_conn_send(sc->c, buf, n);
		if (rc == -EAGAIN) {
			sc->tx_gen = save;
			return;
		}
		if (rc != 0) {
			source_fail(sc, "send failed");
			return;
		}
		sc->tx_hash = fnv1a(sc->tx_hash, buf, n);
		sc->sent += n;
	}
	sl_conn_shutdown(sc->c);
}

static void
source_on_connect(struct sl_conn *c)
{
	struct source_conn *sc = sl_conn_user(c);

	sc->start_tsc = rte_rdtsc();
	source_pump(sc);
}

static void
source_on_writable(struct sl_conn *c)
{
	source_pump(sl_conn_user(c));
}

static int
source_on_message(struct sl_conn *c, const struct sl_msg *m)
{
	struct source_conn *sc = sl_conn_user(c);
	uint8_t expect[2048];
	uint32_t done = 0;

	if (sc->ctx->opts->verify == SOURCE_VERIFY_NONE) {
		sc->received += m->len;
		return SL_RX_OK;
	}
	while (done < m->len) {
		uint32_t k = RTE_MIN(m->len - done, (uint32_t)sizeof(expect));

		gen_fill(&sc->rx_gen, expect, k);
		if (memcmp(expect, m->data + done, k) != 0) {
			source_fail(sc, "echoed bytes differ from the bytes sent");
			return SL_RX_OK;
		}
		done += k;
	}
	sc->received += m->len;
	if (sc->received > sc->sent)
		source_fail(sc, "more bytes came back than were sent");
	return SL_RX_OK;
}

static void
source_on_eof(struct sl_conn *c)
{
	struct source_conn *sc = sl_conn_user(c);

	sc->eof = true;
	sc->end_tsc = rte_rdtsc();
	if (sc->ctx->opts->verify == SOURCE_VERIFY_ECHO && sc->received != sc->ctx->opts->bytes)
		source_fail(sc, "the peer closed before echoing everything");
	else
		sl_conn_close(c);
}

/* SIGTERM: stop the stream where it is; what was queued leaves, then the FIN (the close
 * stops delivery, so --verify echo checks nothing more). */
static int
source_on_drain(struct sl_conn *c)
{
	struct source_conn *sc = sl_conn_user(c);

	sc->drained = sc->sent < sc->ctx->opts->bytes || !sc->eof;
	return SL_DRAIN_CLOSE;
}

static void
source_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	struct source_conn *sc = sl_conn_user(c);
	struct source_state *st = sc->ctx->mode_state;

	sc->closed = true;
	sc->reason = why;
	if (sc->end_tsc == 0)
		sc->end_tsc = rte_rdtsc();
	if (why != SL_CLOSE_NORMAL && !sc->failed) {
		snprintf(sc->why, sizeof(sc->why), "closed: %s", sl_close_reason_str(why));
		sc->failed = true;
	}
	server_counters(sc->ctx, c)->closed[why]++;
	if (--st->open == 0)
		server_request_stop();
}

static const struct sl_conn_ops source_ops = {
	.on_connect = source_on_connect,
	.on_message = source_on_message,
	.on_eof = source_on_eof,
	.on_writable = source_on_writable,
	.on_close = source_on_close,
	.on_drain = source_on_drain,
};

static int
source_setup(struct sl_stack *s __rte_unused, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	struct source_state *st;
	unsigned int i;

	if (o->remote == 0) {
		fprintf(stderr, "sluice-server: --mode source needs --remote a.b.c.d\n");
		return -EINVAL;
	}
	st = rte_zmalloc("sl_source", sizeof(*st) + o->connections * sizeof(st->conns[0]),
			 RTE_CACHE_LINE_SIZE);
	if (st == NULL)
		return -ENOMEM;
	st->ctx = ctx;
	st->n = o->connections;
	ctx->mode_state = st;
	for (i = 0; i < st->n; i++) {
		struct source_conn *sc = &st->conns[i];

		sc->ctx = ctx;
		sc->idx = i;
		sc->tx_hash = 0xcbf29ce484222325ULL;
		gen_init(&sc->tx_gen, i);
		gen_init(&sc->rx_gen, i);
	}
	return 0;
}

/* From worker 0's thread (the main lcore), which then owns every connection. */
static int
source_start(struct sl_stack *s, struct server_ctx *ctx)
{
	struct source_state *st = ctx->mode_state;
	struct sl_worker *w = sl_stack_worker(s, 0);
	unsigned int i;

	for (i = 0; i < st->n; i++) {
		struct source_conn *sc = &st->conns[i];

		sc->c = sl_worker_connect(w, ctx->opts->remote, ctx->port, &source_ops, sc);
		if (sc->c == NULL) {
			fprintf(stderr, "sluice-server: connect %u failed: %s\n", i,
				rte_strerror(rte_errno));
			return -rte_errno;
		}
		st->open++;
		ctx->per_worker[sl_worker_id(w)].accepted++;
	}
	return 0;
}

static int
source_report(struct sl_stack *s __rte_unused, struct server_ctx *ctx)
{
	struct source_state *st = ctx->mode_state;
	uint64_t hz = rte_get_tsc_hz();
	unsigned int i, failed = 0;

	for (i = 0; i < st->n; i++) {
		struct source_conn *sc = &st->conns[i];
		double secs = sc->end_tsc > sc->start_tsc && sc->start_tsc != 0 ?
			      (double)(sc->end_tsc - sc->start_tsc) / (double)hz : 0.0;

		if (!sc->closed && !sc->failed) {
			snprintf(sc->why, sizeof(sc->why), "still open at exit");
			sc->failed = true;
		}
		failed += sc->failed;
		printf("sluice-server: connection %u: sent %" PRIu64 " received %" PRIu64
		       " fnv1a64 %016" PRIx64 " in %.3f s (%.1f Mbit/s each way) %s%s\n",
		       i, sc->sent, sc->received, sc->tx_hash, secs,
		       secs > 0 ? (double)sc->sent * 8 / secs / 1e6 : 0.0,
		       sc->failed ? "FAILED: " : sc->drained ? "drained (SIGTERM)" : "ok",
		       sc->failed ? sc->why : "");
	}
	return failed ? 1 : 0;
}

static void
source_teardown(struct server_ctx *ctx)
{
	rte_free(ctx->mode_state);
	ctx->mode_state = NULL;
}

/* port: the remote one. */
const struct server_mode mode_source = {
	.name = "source",
	.port = 7,
	.setup = source_setup,
	.start = source_start,
	.report = source_report,
	.teardown = source_teardown,
};
