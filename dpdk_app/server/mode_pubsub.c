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
 * server stops.
 *
 * A producer never waits on one subscriber (the reference for a fan-out server): it
 * sends without waiting (sl_producer_send with timeout 0), moves on when a subscriber's
 * send queue refuses, and when no subscriber took anything in a whole pass it sleeps in
 * sl_producer_wait until one of the refused ones drained, so the healthy subscribers keep
 * their rate whatever one of them does. A subscriber's backlog is its send queue, bounded
 * by the water marks (--sndbuf, --sndbuf-max). A refused message is not lost: the
 * sequence is sent again at the next pass, so a subscriber that is merely slower
 * receives every message, in order, at its own pace.
 *
 * A subscriber that stays over its limit (--pubsub-limit HARD[,SOFT,SECONDS], as Redis's
 * client-output-buffer-limit pubsub; server.h struct pubsub_limit) is dealt with by
 * --pubsub-slow:
 *   disconnect  (default) the producer asks its worker to reset it (sl_producer_abort):
 *               an RST, which frees its backlog at once; a FIN would wait behind the very
 *               bytes the subscriber does not read. Counted (slow subscribers reset, close
 *               reason "aborted") and logged, rate-limited, with its address and slot.
 *   drop        its messages are skipped while it is over, a pass's worth at a time
 *               (the sequences advance: the subscriber sees the gap as a jump in each
 *               producer's sequence), and counted per subscriber and in total; it
 *               resumes as soon as it is under its limit again (below HARD, below
 *               SOFT bytes, or, with SOFT 0, drained to its low mark).
 *
 * The limits' clocks are the subscriber's, shared by all producers (struct pubsub_sub):
 * with SOFT 0 the time since any producer last got a message into it while it refuses
 * at its own high mark; with SOFT in bytes the time since producers first found its
 * backlog at SOFT or above, stopped by any visit that finds it below. HARD and SOFT
 * must be below the high mark (--sndbuf), which bounds the backlog (checked at setup).
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

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <sluice/sluice.h>

#include "server.h"

#define PUBSUB_MAX_SUBS 1024
#define PUBSUB_MAX_PRODUCERS 64
#define PUBSUB_CHAN_BYTES (1u << 20)
/* Messages per subscriber per pass, so subscribers share the producer. */
#define PUBSUB_BURST 64
/* Longest sleep of a producer that found no room anywhere: it looks at the stop flag and
 * the soft limits' clocks at least this often. */
#define PUBSUB_IDLE_WAIT_US 10000
/* Log lines per second per thread about slow subscribers (the rest are counted). */
#define PUBSUB_LOG_PER_S 10

/* One subscriber slot. epoch is odd while a subscriber holds it. */
struct pubsub_sub {
	uint64_t epoch;			/* atomic; written by the owning worker */
	struct sl_conn_ref ref;		/* valid while epoch is odd */
	uint32_t peer_addr;		/* atomic: network order, for log lines */
	uint32_t peer_port;		/* atomic: host order */
	uint64_t slow_epoch;		/* atomic: the epoch a producer found over its limit */
	uint32_t slow_queued;		/* atomic: its backlog then */
	uint64_t gaps;			/* atomic: messages skipped for this subscriber */
	/* The soft limit's clocks belong to the subscriber, not to a producer: its
	 * backlog is shared by all producers, and after a drain to its low mark the first
	 * producers to visit refill it, so any one producer may be refused for several
	 * rounds in a row while the subscriber reads steadily. */
	int64_t last_take_us;		/* atomic: when any producer last got a message
					 * into it (set at accept) */
	int64_t soft_since_us;		/* atomic: since when producers find its backlog at
					 * SOFT bytes or above; 0: below */
};

/* What a producer knows of one slot's subscriber. */
enum pubsub_sub_state {
	PS_SEND,		/* publishing */
	PS_DROPPING,		/* over its limit (drop): skipping its messages */
	PS_ABORT,		/* over its limit (disconnect): reset to be requested */
	PS_DONE,		/* gone, reset requested, or --messages reached */
};

struct pubsub_subst {
	uint64_t epoch;			/* the subscriber this is about */
	uint64_t next_seq;
	int64_t clock_us;		/* the subscriber's soft-limit clock as last seen
					 * (pubsub_over_limit); 0: not running */
	uint64_t gaps;			/* messages skipped in the current drop episode */
	enum pubsub_sub_state state;
};

struct pubsub_producer {
	pthread_t thread;
	bool started;
	unsigned int id;
	struct pubsub_state *ps;
	struct sl_producer *p;
	uint64_t rng;
	uint64_t sent, refused, epipe;
	uint64_t toobig;		/* -EMSGSIZE (a message larger than a send accepts) */
	uint64_t over;			/* subscribers found over their limit */
	uint64_t gaps;			/* messages skipped (drop) */
	uint64_t resets;		/* resets requested (disconnect) */
	uint64_t passes, idle_waits;	/* passes over the subscribers; waits after one
					 * in which nobody took anything */
	uint32_t peak_backlog;		/* largest backlog seen, bytes */
	struct pubsub_subst subs[PUBSUB_MAX_SUBS];
};

struct pubsub_state {
	const struct server_opts *o;
	volatile int stop;
	uint32_t nsubs_hi;		/* atomic: one past the highest slot used */
	uint64_t lock;			/* atomic: slot allocation across workers */
	uint64_t slow_reset;		/* atomic: subscribers reset for being over their limit */
	struct pubsub_sub subs[PUBSUB_MAX_SUBS];
	unsigned int nproducers;
	struct pubsub_producer *prod[PUBSUB_MAX_PRODUCERS];
};

/* ---- --pubsub-limit ---- */

/* A byte count with an optional k or m suffix (binary). */
static int
pubsub_parse_bytes(const char *s, const char **end, uint32_t *out)
{
	char *e;
	unsigned long long v;

	unsigned int shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -EINVAL;
	if (*e == 'k' || *e == 'K') {
		shift = 10;
		e++;
	} else if (*e == 'm' || *e == 'M') {
		shift = 20;
		e++;
	}
	/* The range before the shift, which would wrap (18014398509481985k is 1024). */
	if (v > (UINT32_MAX / 2) >> shift)
		return -EINVAL;
	*out = (uint32_t)(v << shift);
	*end = e;
	return 0;
}

int
pubsub_limit_opt_parse(void *field, const char *value, char *err, size_t errlen)
{
	struct pubsub_limit lim = { 0, 0, 5000 }, *out = field;
	const char *p = value;
	char *e;
	double sec;

	if (pubsub_parse_bytes(p, &p, &lim.hard) != 0)
		goto bad;
	if (*p == ',') {
		if (pubsub_parse_bytes(p + 1, &p, &lim.soft) != 0 || *p != ',')
			goto bad;
		/* Above 0: with 0 a subscriber would be over at its first refusal. */
		sec = strtod(p + 1, &e);
		if (e == p + 1 || *e != '\0' || !(sec >= 0.001) || sec > 86400)
			goto bad;
		lim.soft_ms = (uint32_t)(sec * 1000 + 0.5);
	} else if (*p != '\0') {
		goto bad;
	}
	*out = lim;
	return 0;
bad:
	snprintf(err, errlen, "expected HARD[,SOFT,SECONDS]: bytes (k/m suffixes, below 2 GiB) "
		 "and seconds (0.001..86400), e.g. 0,0,5 or 1m,256k,2.5");
	return -EINVAL;
}

void
pubsub_limit_opt_format(const void *field, char *buf, size_t len)
{
	const struct pubsub_limit *lim = field;

	snprintf(buf, len, "%u,%u,%u.%03u", lim->hard, lim->soft, lim->soft_ms / 1000,
		 lim->soft_ms % 1000);
}

/* ---- log lines about slow subscribers, rate-limited per thread ---- */

struct pubsub_rl {
	time_t second;
	unsigned int printed;
	uint64_t suppressed;
};

/* May this thread print a line now? *suppressed: lines held back since the last one. */
static bool
pubsub_log_allow(struct pubsub_rl *rl, uint64_t *suppressed)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != rl->second) {
		rl->second = ts.tv_sec;
		rl->printed = 0;
	}
	if (rl->printed >= PUBSUB_LOG_PER_S) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

#define PUBSUB_LOG(fmt, ...) do { \
	static __thread struct pubsub_rl pubsub_rl_; \
	uint64_t pubsub_sup_; \
	if (pubsub_log_allow(&pubsub_rl_, &pubsub_sup_)) { \
		printf("sluice-server: pubsub: " fmt, ##__VA_ARGS__); \
		if (pubsub_sup_ != 0) \
			printf(" (+%" PRIu64 " suppressed)", pubsub_sup_); \
		printf("\n"); \
		fflush(stdout); \
	} \
} while (0)

#define PUBSUB_PEER_FMT "%u.%u.%u.%u:%u (worker %u slot %u)"
#define PUBSUB_PEER_ARGS(addr, port, ref) \
	(rte_be_to_cpu_32(addr) >> 24), (rte_be_to_cpu_32(addr) >> 16 & 0xff), \
	(rte_be_to_cpu_32(addr) >> 8 & 0xff), (rte_be_to_cpu_32(addr) & 0xff), \
	(port), (ref).worker, (ref).idx

/* ---- workers: subscribers come and go ---- */

static int64_t
pubsub_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


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

static void
pubsub_peer_store(struct pubsub_sub *sub, const struct sl_conn *c)
{
	struct sl_conn_info ci;

	sl_conn_info(c, &ci);
	__atomic_store_n(&sub->peer_addr, ci.remote_addr, __ATOMIC_RELAXED);
	__atomic_store_n(&sub->peer_port, ci.remote_port, __ATOMIC_RELAXED);
	__atomic_store_n(&sub->gaps, 0, __ATOMIC_RELAXED);
	/* A new subscriber has taken nothing yet, but has not been refused either: the
	 * SOFT 0 clock runs only while it refuses (pubsub_over_limit). */
	__atomic_store_n(&sub->last_take_us, pubsub_now_us(), __ATOMIC_RELAXED);
	__atomic_store_n(&sub->soft_since_us, 0, __ATOMIC_RELAXED);
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
	pubsub_peer_store(&ps->subs[i], c);
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

	if (slot != 0) {
		struct pubsub_sub *sub = &ps->subs[slot - 1];
		uint64_t ep = __atomic_load_n(&sub->epoch, __ATOMIC_RELAXED);
		uint64_t gaps = __atomic_load_n(&sub->gaps, __ATOMIC_RELAXED);
		struct sl_conn_ref ref = sl_conn_ref(c);
		uint32_t addr = __atomic_load_n(&sub->peer_addr, __ATOMIC_RELAXED);
		uint32_t port = __atomic_load_n(&sub->peer_port, __ATOMIC_RELAXED);

		if (why == SL_CLOSE_ABORTED &&
		    __atomic_load_n(&sub->slow_epoch, __ATOMIC_ACQUIRE) == ep) {
			__atomic_add_fetch(&ps->slow_reset, 1, __ATOMIC_RELAXED);
			PUBSUB_LOG("slow subscriber " PUBSUB_PEER_FMT " reset: over its limit "
				   "(backlog %u bytes)", PUBSUB_PEER_ARGS(addr, port, ref),
				   __atomic_load_n(&sub->slow_queued, __ATOMIC_RELAXED));
		} else if (gaps != 0) {
			PUBSUB_LOG("subscriber " PUBSUB_PEER_FMT " closed; %" PRIu64 " messages "
				   "were skipped for it (drop)", PUBSUB_PEER_ARGS(addr, port, ref),
				   gaps);
		}
		/* An even epoch: producers leave the entry alone until a new subscriber
		 * takes it. */
		__atomic_add_fetch(&sub->epoch, 1, __ATOMIC_RELEASE);
	}
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

/* Has the subscriber stayed over its limit? Samples its backlog at each visit, into
 * clocks shared by all producers (struct pubsub_sub). *clock: when the soft limit's clock
 * started, 0 if it is not running. */
static bool
pubsub_over_limit(const struct pubsub_limit *lim, struct pubsub_sub *sub,
		  const struct sl_producer_backlog *bl, int64_t now, int64_t *clock)
{
	int64_t t;

	*clock = 0;
	if (lim->hard != 0 && bl->queued >= lim->hard)
		return true;
	if (lim->soft != 0) {
		/* SOFT in bytes: over while every visit, by any producer, finds the backlog
		 * at SOFT or above; one visit below stops the clock. */
		t = __atomic_load_n(&sub->soft_since_us, __ATOMIC_RELAXED);
		if (bl->queued < lim->soft) {
			if (t != 0)
				__atomic_store_n(&sub->soft_since_us, 0, __ATOMIC_RELAXED);
			return false;
		}
		if (t == 0 && !__atomic_compare_exchange_n(&sub->soft_since_us, &t, now, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return false;	/* another producer stopped or started it: next visit */
		if (t == 0)
			t = now;
	} else {
		/* SOFT 0: refusing at its own high mark (not a full producer channel, which
		 * is no fault of the subscriber's) and no producer got a message into it for
		 * SECONDS. refusing stays set until it drains to its low mark. */
		if (!bl->refusing)
			return false;
		t = __atomic_load_n(&sub->last_take_us, __ATOMIC_RELAXED);
	}
	*clock = t;
	return now - t >= (int64_t)lim->soft_ms * 1000;
}

/* Ask the subscriber's worker to reset it; on a full channel, again at the next pass. */
static void
pubsub_reset(struct pubsub_producer *pp, struct pubsub_subst *ss, struct sl_conn_ref ref)
{
	int rc = sl_producer_abort(pp->p, ref);

	if (rc == -EAGAIN)
		return;
	ss->state = PS_DONE;
	if (rc == 0)
		pp->resets++;
}

/* Skip a pass's worth of subscriber i's messages (drop): it loses what the others
 * receive meanwhile, and sees the jump in sequence. */
static void
pubsub_skip(struct pubsub_producer *pp, struct pubsub_sub *sub, struct pubsub_subst *ss)
{
	const struct server_opts *o = pp->ps->o;
	uint64_t skip = PUBSUB_BURST;

	if (o->messages != 0)
		skip = RTE_MIN(skip, o->messages - ss->next_seq);
	ss->next_seq += skip;
	ss->gaps += skip;
	pp->gaps += skip;
	__atomic_add_fetch(&sub->gaps, skip, __ATOMIC_RELAXED);
}

/* One visit of subscriber i: its limit, then up to a burst of messages without waiting.
 * Returns whether it took a message. */
static bool
pubsub_visit(struct pubsub_producer *pp, unsigned int i, struct sl_conn_ref ref, int64_t now)
{
	struct pubsub_state *ps = pp->ps;
	const struct server_opts *o = ps->o;
	const struct pubsub_limit *lim = &o->pubsub_limit;
	struct pubsub_sub *sub = &ps->subs[i];
	struct pubsub_subst *ss = &pp->subs[i];
	struct sl_producer_backlog bl;
	uint64_t queued;
	bool took = false;
	unsigned int burst;
	char buf[4200];

	if (ss->state == PS_ABORT) {
		pubsub_reset(pp, ss, ref);
		return false;
	}
	if (sl_producer_backlog(pp->p, ref, &bl) != 0) {
		pp->epipe++;		/* gone: skip the slot until a new subscriber takes it */
		ss->state = PS_DONE;
		return false;
	}
	if (bl.queued > pp->peak_backlog)
		pp->peak_backlog = bl.queued;
	if (pubsub_over_limit(lim, sub, &bl, now, &ss->clock_us)) {
		if (o->pubsub_slow == PUBSUB_SLOW_DISCONNECT) {
			pp->over++;
			/* Tell on_close why (the epoch names this subscriber, not a later
			 * one in the slot), then ask for the reset. */
			__atomic_store_n(&sub->slow_queued, bl.queued, __ATOMIC_RELAXED);
			__atomic_store_n(&sub->slow_epoch, ss->epoch, __ATOMIC_RELEASE);
			ss->state = PS_ABORT;
			pubsub_reset(pp, ss, ref);
			return false;
		}
		/* drop: skipped for as long as it is over, whether or not its queue would
		 * take one more message (it takes up to the high mark). */
		if (ss->state != PS_DROPPING) {
			pp->over++;
			ss->state = PS_DROPPING;
			ss->gaps = 0;
			PUBSUB_LOG("subscriber " PUBSUB_PEER_FMT " over its limit (backlog %u "
				   "bytes): producer %u skips its messages while it is",
				   PUBSUB_PEER_ARGS(__atomic_load_n(&sub->peer_addr,
								    __ATOMIC_RELAXED),
						    __atomic_load_n(&sub->peer_port,
								    __ATOMIC_RELAXED), ref),
				   bl.queued, pp->id);
		}
		pubsub_skip(pp, sub, ss);
		return false;
	}
	if (ss->state == PS_DROPPING) {
		ss->state = PS_SEND;
		PUBSUB_LOG("subscriber " PUBSUB_PEER_FMT " under its limit again: producer %u "
			   "skipped %" PRIu64, PUBSUB_PEER_ARGS(
			   __atomic_load_n(&sub->peer_addr, __ATOMIC_RELAXED),
			   __atomic_load_n(&sub->peer_port, __ATOMIC_RELAXED), ref),
			   pp->id, ss->gaps);
	}
	queued = bl.queued;
	for (burst = 0; burst < PUBSUB_BURST; burst++) {
		uint32_t len;
		int rc;

		if (o->messages != 0 && ss->next_seq >= o->messages)
			break;
		/* Not past HARD on this producer's account: the next visit judges it. */
		if (lim->hard != 0 && queued >= lim->hard)
			break;
		len = pubsub_format(pp, ss->next_seq, buf);
		rc = sl_producer_send(pp->p, ref, buf, len, 0, 0);
		if (rc == 0) {
			ss->next_seq++;
			pp->sent++;
			queued += len;
			took = true;
			continue;
		}
		if (rc == -EMSGSIZE) {
			/* Cannot happen with msg-max 4096 (checked at setup) and a 512 KiB
			 * half-channel; a subscriber is not gone for it. */
			pp->toobig++;
			break;
		}
		if (rc != -EAGAIN) {
			pp->epipe++;
			ss->state = PS_DONE;
			break;
		}
		pp->refused++;
		break;	/* the same sequence goes again at the next pass */
	}
	if (took) {
		/* Any producer's accepted message restarts the SOFT 0 clock for all. */
		__atomic_store_n(&sub->last_take_us, pubsub_now_us(), __ATOMIC_RELAXED);
		if (lim->soft == 0)
			ss->clock_us = 0;
	}
	return took;
}

static void *
pubsub_producer_main(void *arg)
{
	struct pubsub_producer *pp = arg;
	struct pubsub_state *ps = pp->ps;
	const uint64_t limit = ps->o->messages;

	while (!ps->stop) {
		uint32_t i, hi = __atomic_load_n(&ps->nsubs_hi, __ATOMIC_ACQUIRE);
		int64_t now = pubsub_now_us(), wait_us = PUBSUB_IDLE_WAIT_US;
		bool any = false, took = false;

		pp->passes++;
		for (i = 0; i < hi && !ps->stop; i++) {
			struct pubsub_sub *sub = &ps->subs[i];
			struct pubsub_subst *ss = &pp->subs[i];
			uint64_t ep = __atomic_load_n(&sub->epoch, __ATOMIC_ACQUIRE);
			struct sl_conn_ref ref = pubsub_ref_load(&sub->ref);

			/* Seqlock read: the reference belongs to the epoch only if the epoch
			 * did not move while we copied it. */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if ((ep & 1) == 0 || __atomic_load_n(&sub->epoch, __ATOMIC_RELAXED) != ep)
				continue;
			if (ss->epoch != ep)	/* a new subscriber: from 0 */
				*ss = (struct pubsub_subst){ .epoch = ep, .state = PS_SEND };
			if (ss->state != PS_DONE && limit != 0 && ss->next_seq >= limit)
				ss->state = PS_DONE;
			if (ss->state == PS_DONE)
				continue;
			any = true;
			if (pubsub_visit(pp, i, ref, now))
				took = true;
			/* Wake in time to judge a soft limit that is running. */
			if (ss->state == PS_SEND && ss->clock_us != 0) {
				int64_t due = ss->clock_us +
					      (int64_t)ps->o->pubsub_limit.soft_ms * 1000 - now;

				if (due < wait_us)
					wait_us = due > 0 ? due : 0;
			}
		}
		if (!any) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
		} else if (!took) {
			/* Nobody took anything: sleep until a refused subscriber drains (or a
			 * channel has room again), never on one of them. */
			pp->idle_waits++;
			if (sl_producer_wait(pp->p, wait_us) == -EALREADY) {
				struct timespec ts = { 0, 200000 };

				nanosleep(&ts, NULL);
			}
		}
	}
	return NULL;
}

static int
pubsub_setup(struct sl_stack *s, struct server_ctx *ctx)
{
	const struct server_opts *o = ctx->opts;
	const struct pubsub_limit *lim = &o->pubsub_limit;
	struct pubsub_state *ps;
	uint32_t high;

	if (o->producers == 0 || o->producers > PUBSUB_MAX_PRODUCERS ||
	    o->msg_min < 24 || o->msg_max > 4096 || o->msg_min > o->msg_max) {
		fprintf(stderr, "sluice-server: pubsub needs 1..%u producers and "
			"24 <= msg-min <= msg-max <= 4096\n", PUBSUB_MAX_PRODUCERS);
		return -EINVAL;
	}
	/* Sends are refused at the high mark (--sndbuf), so a backlog never stays at or
	 * above it: a limit there would never apply (drop would skip nothing, disconnect
	 * never reset). */
	high = sl_stack_config(s)->sndbuf;
	if ((lim->hard != 0 && lim->hard >= high) || (lim->soft != 0 && lim->soft >= high)) {
		fprintf(stderr, "sluice-server: --pubsub-limit %u,%u: HARD and SOFT bytes must be "
			"below the send buffer's high mark (--sndbuf %u), which bounds a "
			"subscriber's backlog: a limit at or above it never applies\n",
			lim->hard, lim->soft, high);
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
 * threads end at their next check, within one wait (PUBSUB_IDLE_WAIT_US); report joins
 * them. */
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

	const struct pubsub_limit *lim = &ctx->opts->pubsub_limit;
	uint64_t over = 0, gaps = 0, resets = 0;
	uint32_t peak = 0;

	pubsub_stop(ps);
	for (i = 0; i < ps->nproducers; i++) {
		struct pubsub_producer *pp = ps->prod[i];
		struct sl_producer_stats st = { 0 };

		if (pp->p != NULL)
			sl_producer_stats(pp->p, &st);
		printf("sluice-server: producer %u: messages %" PRIu64 ", bytes %" PRIu64
		       ", refused %" PRIu64 ", passes %" PRIu64 ", idle waits %" PRIu64
		       " (slept %" PRIu64 ", woken %" PRIu64 "), subscriber gone %" PRIu64
		       ", too big %" PRIu64 ", over limit %" PRIu64 ", resets %" PRIu64
		       ", skipped %" PRIu64 "\n",
		       i, pp->sent, st.bytes, pp->refused, pp->passes, pp->idle_waits, st.waits,
		       st.wakes, pp->epipe, pp->toobig, pp->over, pp->resets, pp->gaps);
		over += pp->over;
		gaps += pp->gaps;
		resets += pp->resets;
		peak = RTE_MAX(peak, pp->peak_backlog);
	}
	printf("sluice-server: pubsub: slow policy %s, limit hard %u soft %u for %u.%03u s; "
	       "subscribers over their limit %" PRIu64 ", resets requested %" PRIu64
	       ", slow subscribers reset %" PRIu64 ", messages skipped %" PRIu64
	       ", largest backlog %u bytes\n",
	       ctx->opts->pubsub_slow == PUBSUB_SLOW_DROP ? "drop" : "disconnect", lim->hard,
	       lim->soft, lim->soft_ms / 1000, lim->soft_ms % 1000, over, resets,
	       __atomic_load_n(&ps->slow_reset, __ATOMIC_RELAXED), gaps, peak);
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
