/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode_pubsub.c -- `sluice-server --mode pubsub`: producer threads publish to every
 * subscriber.
 *
 * Subscribers connect to --port (default 9000). --producers plain threads (not lcores:
 * they are the application's own threads, outside the poll loop) each publish messages
 * to every connected subscriber through a struct sl_producer, one line per message:
 *
 *   P<producer> <sequence> <filler>\n
 *
 * with sequences counting from 0 per producer and subscriber, and a random size between
 * --msg-min and --msg-max bytes (the whole line). With --messages N a producer sends N
 * messages to each subscriber and then leaves it alone; with 0 it publishes until the
 * server stops. A subscriber that does not read makes its producers wait (water marks),
 * and a message that timed out is sent again later with the same sequence, so every
 * subscriber receives every message exactly once, in order per producer.
 *
 * Workers register subscribers in a table the producers scan: each entry has an epoch
 * that changes whenever the entry is taken by a new subscriber, so a producer notices a
 * new subscriber in an old entry and starts its sequence over. A subscriber's
 * connection keeps its entry in sl_conn_user(); the table itself is reached through the
 * listen argument (sl_conn_listen_arg()), so no callback needs a global.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <sluice/sluice.h>

#include "server.h"

#define PUBSUB_MAX_SUBS 1024
#define PUBSUB_MAX_PRODUCERS 64
#define PUBSUB_CHAN_BYTES (1u << 20)
/* A producer waits this long for room before moving on to the next subscriber. */
#define PUBSUB_WAIT_US 20000

/* One subscriber slot. epoch is odd while a subscriber holds it. */
struct pubsub_sub {
	uint64_t epoch;			/* atomic; written by the owning worker */
	struct sl_conn_ref ref;		/* valid while epoch is odd */
};

struct pubsub_producer {
	pthread_t thread;
	bool started;
	unsigned int id;
	struct pubsub_state *ps;
	struct sl_producer *p;
	uint64_t rng;
	uint64_t sent, eagain, epipe;
	/* per subscriber slot: the epoch our sequence belongs to, and the next sequence */
	uint64_t seen_epoch[PUBSUB_MAX_SUBS];
	uint64_t next_seq[PUBSUB_MAX_SUBS];
};

struct pubsub_state {
	const struct server_opts *o;
	volatile int stop;
	uint32_t nsubs_hi;		/* atomic: one past the highest slot used */
	uint64_t lock;			/* atomic: slot allocation across workers */
	struct pubsub_sub subs[PUBSUB_MAX_SUBS];
	unsigned int nproducers;
	struct pubsub_producer *prod[PUBSUB_MAX_PRODUCERS];
};

/* ---- workers: subscribers come and go ---- */

static void
pubsub_lock(struct pubsub_state *ps)
{
	while (__atomic_exchange_n(&ps->lock, 1, __ATOMIC_ACQUIRE) != 0)
		;
}

static void
pubsub_unlock(struct pubsub_state *ps)
{
	__atomic_store_n(&ps->lock, 0, __ATOMIC_RELEASE);
}

/* The seqlock's payload: a reader may copy it while a worker rewrites it (the epoch
 * then tells the reader to ignore the copy), so every field is accessed atomically. */
static void
pubsub_ref_store(struct sl_conn_ref *dst, struct sl_conn_ref ref)
{
	__atomic_store_n(&dst->worker, ref.worker, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->idx, ref.idx, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->gen, ref.gen, __ATOMIC_RELAXED);
}

static struct sl_conn_ref
pubsub_ref_load(const struct sl_conn_ref *src)
{
	return (struct sl_conn_ref){
		.worker = __atomic_load_n(&src->worker, __ATOMIC_RELAXED),
		.idx = __atomic_load_n(&src->idx, __ATOMIC_RELAXED),
		.gen = __atomic_load_n(&src->gen, __ATOMIC_RELAXED),
	};
}

static int
pubsub_on_accept(struct sl_conn *c, void *arg)
{
	struct server_ctx *ctx = arg;
	struct pubsub_state *ps = ctx->mode_state;
	unsigned int i;

	/* Workers only: a short spin lock orders slot allocation between workers; the
	 * producers never take it. */
	pubsub_lock(ps);
	for (i = 0; i < PUBSUB_MAX_SUBS; i++)
		if ((__atomic_load_n(&ps->subs[i].epoch, __ATOMIC_RELAXED) & 1) == 0)
			break;
	if (i == PUBSUB_MAX_SUBS) {
		pubsub_unlock(ps);
		return -ENOSPC;
	}
	pubsub_ref_store(&ps->subs[i].ref, sl_conn_ref(c));
	/* The reference is visible before the odd epoch that announces it. */
	__atomic_add_fetch(&ps->subs[i].epoch, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&ps->nsubs_hi, __ATOMIC_RELAXED) < i + 1)
		__atomic_store_n(&ps->nsubs_hi, i + 1, __ATOMIC_RELEASE);
	pubsub_unlock(ps);
	sl_conn_set_user(c, (void *)(uintptr_t)(i + 1));
	return server_on_accept(c, arg);
}

static int
pubsub_on_message(struct sl_conn *c __rte_unused, const struct sl_msg *m __rte_unused)
{
	return SL_RX_OK;	/* subscribers have nothing to say; ignore it */
}

static void
pubsub_on_close(struct sl_conn *c, enum sl_close_reason why)
{
	struct pubsub_state *ps = server_ctx_of(c)->mode_state;
	uintptr_t slot = (uintptr_t)sl_conn_user(c);

	/* An even epoch: producers leave the entry alone until a new subscriber takes it. */
	if (slot != 0)
		__atomic_add_fetch(&ps->subs[slot - 1].epoch, 1, __ATOMIC_RELEASE);
	server_on_close(c, why);
}

static const struct sl_conn_ops pubsub_ops = {
	.on_accept = pubsub_on_accept,
	.on_message = pubsub_on_message,
	.on_eof = server_on_eof,
	.on_close = pubsub_on_close,
};

/* ---- producer threads ---- */

static uint64_t
pubsub_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Format message seq of producer pp into buf: the line, between msg-min and msg-max. */
static uint32_t
pubsub_format(struct pubsub_producer *pp, uint64_t seq, char *buf)
{
	const struct server_opts *o = pp->ps->o;
	uint32_t span = o->msg_max - o->msg_min + 1;
	uint32_t want = o->msg_min + (uint32_t)(pubsub_rand(&pp->rng) % span);
	int n = snprintf(buf, 64, "P%u %" PRIu64 " ", pp->id, seq);
	uint32_t len = (uint32_t)n;

	while (len + 1 < want) {
		buf[len] = (char)('a' + (seq + len) % 26);
		len++;
	}
	buf[len++] = '\n';
	return len;
}

static void *
pubsub_producer_main(void *arg)
{
	struct pubsub_producer *pp = arg;
	struct pubsub_state *ps = pp->ps;
	const uint64_t limit = ps->o->messages;
	char buf[4200];

	while (!ps->stop) {
		uint32_t i, hi = __atomic_load_n(&ps->nsubs_hi, __ATOMIC_ACQUIRE);
		bool any = false;

		for (i = 0; i < hi && !ps->stop; i++) {
			struct pubsub_sub *sub = &ps->subs[i];
			uint64_t ep = __atomic_load_n(&sub->epoch, __ATOMIC_ACQUIRE);
			struct sl_conn_ref ref = pubsub_ref_load(&sub->ref);
			unsigned int burst;
			uint32_t len;
			int rc;

			/* Seqlock read: the reference belongs to the epoch only if the epoch
			 * did not move while we copied it. */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if ((ep & 1) == 0 || __atomic_load_n(&sub->epoch, __ATOMIC_RELAXED) != ep)
				continue;
			if (pp->seen_epoch[i] != ep) {
				pp->seen_epoch[i] = ep;	/* a new subscriber: from 0 */
				pp->next_seq[i] = 0;
			}
			if (pp->next_seq[i] == UINT64_MAX ||
			    (limit != 0 && pp->next_seq[i] >= limit))
				continue;
			any = true;
			/* A few messages per visit, so subscribers share the producer. */
			for (burst = 0; burst < 64; burst++) {
				if (limit != 0 && pp->next_seq[i] >= limit)
					break;
				len = pubsub_format(pp, pp->next_seq[i], buf);
				rc = sl_producer_send(pp->p, ref, buf, len, 0, PUBSUB_WAIT_US);
				if (rc == 0) {
					pp->next_seq[i]++;
					pp->sent++;
					continue;
				}
				if (rc == -EPIPE) {
					/* Gone: skip the slot until a new subscriber takes it. */
					pp->epipe++;
					pp->next_seq[i] = UINT64_MAX;
				} else {
					pp->eagain++;	/* the same sequence goes again later */
				}
				break;
			}
		}
		if (!any) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static int
pubsub_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	struct pubsub_state *ps;

	if (o->producers == 0 || o->producers > PUBSUB_MAX_PRODUCERS ||
	    o->msg_min < 24 || o->msg_max > 4096 || o->msg_min > o->msg_max) {
		fprintf(stderr, "sluice-server: pubsub needs 1..%u producers and "
			"24 <= msg-min <= msg-max <= 4096\n", PUBSUB_MAX_PRODUCERS);
		return -EINVAL;
	}
	ps = rte_zmalloc("sl_pubsub", sizeof(*ps), RTE_CACHE_LINE_SIZE);
	if (ps == NULL)
		return -ENOMEM;
	ps->o = o;
	ctx->mode_state = ps;
	return server_listen(s, ctx, &pubsub_ops, NULL);
}

static int
pubsub_start(struct sl_stack *s, struct server_ctx *ctx)
{
	struct pubsub_state *ps = ctx->mode_state;
	unsigned int i;

	for (i = 0; i < ctx->opts->producers; i++) {
		struct pubsub_producer *pp = calloc(1, sizeof(*pp));

		if (pp == NULL)
			return -ENOMEM;
		ps->prod[ps->nproducers++] = pp;
		pp->id = i;
		pp->ps = ps;
		pp->rng = 0x5eed0000ull + i;
		pp->p = sl_producer_create(s, PUBSUB_CHAN_BYTES);
		if (pp->p == NULL)
			return -rte_errno;
		if (pthread_create(&pp->thread, NULL, pubsub_producer_main, pp) != 0)
			return -EAGAIN;
		pp->started = true;
	}
	printf("sluice-server: pubsub: %u producer thread(s), messages %" PRIu64
	       " per subscriber (0: until stopped), %u..%u bytes\n", ps->nproducers,
	       ctx->opts->messages, ctx->opts->msg_min, ctx->opts->msg_max);
	fflush(stdout);
	return 0;
}

/* Stop the producers (the workers have stopped: waits end by timeout). */
static void
pubsub_stop(struct pubsub_state *ps)
{
	unsigned int i;

	ps->stop = 1;
	for (i = 0; i < ps->nproducers; i++)
		if (ps->prod[i]->started) {
			pthread_join(ps->prod[i]->thread, NULL);
			ps->prod[i]->started = false;
		}
}

/* SIGTERM: no new messages (a producer publishing without end would keep every
 * subscriber busy until the deadline); what was submitted is sent before each FIN. The
 * threads end at their next check, within one wait (PUBSUB_WAIT_US); report joins them. */
static void
pubsub_drain(struct sl_stack *s __rte_unused, struct server_ctx *ctx)
{
	struct pubsub_state *ps = ctx->mode_state;

	ps->stop = 1;
}

static int
pubsub_report(struct sl_stack *s __rte_unused, struct server_ctx *ctx)
{
	struct pubsub_state *ps = ctx->mode_state;
	unsigned int i;

	pubsub_stop(ps);
	for (i = 0; i < ps->nproducers; i++) {
		struct pubsub_producer *pp = ps->prod[i];
		struct sl_producer_stats st = { 0 };

		if (pp->p != NULL)
			sl_producer_stats(pp->p, &st);
		printf("sluice-server: producer %u: messages %" PRIu64 ", bytes %" PRIu64
		       ", no room %" PRIu64 ", waits %" PRIu64 ", timeouts %" PRIu64
		       ", subscriber gone %" PRIu64 "\n", i, pp->sent, st.bytes, st.full,
		       st.waits, st.timeouts, pp->epipe);
	}
	return 0;
}

static void
pubsub_teardown(struct server_ctx *ctx)
{
	struct pubsub_state *ps = ctx->mode_state;
	unsigned int i;

	if (ps == NULL)
		return;
	pubsub_stop(ps);
	for (i = 0; i < ps->nproducers; i++) {
		sl_producer_destroy(ps->prod[i]->p);
		free(ps->prod[i]);
	}
	rte_free(ps);
	ctx->mode_state = NULL;
}

const struct server_mode mode_pubsub = {
	.name = "pubsub",
	.port = 9000,
	.setup = pubsub_setup,
	.start = pubsub_start,
	.drain = pubsub_drain,
	.report = pubsub_report,
	.teardown = pubsub_teardown,
};
