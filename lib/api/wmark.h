/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_WMARK_H
#define SL_WMARK_H

/*
 * wmark.h -- send queue water marks, shared with producer threads.
 *
 * A flow's queued bytes (unsent + unacknowledged + handed off through a producer channel
 * but not yet drained) are counted in one 64-bit word per flow slot, because producers
 * on other threads must count their bytes when they submit them, not when the worker
 * drains them, and must learn when the flow is gone:
 *
 *   bits 63..34  generation of the slot (the low 30 bits of tcp_flow.gen)
 *   bit  33      SHUT: the flow takes no more bytes (FIN queued, aborted, closed)
 *   bit  32      WAIT: a send was refused at the high mark; every send is refused until
 *                the count drains to the low mark (hysteresis), which wakes producers
 *   bits 31..0   queued bytes
 *
 * The slot array outlives every control block (it is indexed by slot, not pointer), so
 * a producer holding a stale reference touches only a word whose generation no longer
 * matches: every update from a producer is a compare-and-swap that checks it.
 *
 * Admission, the same for the worker and for producers: a message is accepted while the
 * count is below the high mark and the message fits under the hard cap, unless a send
 * was refused since the count last drained to the low mark. The worker's own updates are
 * atomic too, so the cap holds against concurrent producers; what a worker adds and
 * removes is always for the current generation. A serializer's message counts its bytes
 * as it writes them (writer.c), so nothing takes the queue past the hard cap.
 *
 * Draining to the low mark after a refusal (TF_WANT_WRITE) owes the application
 * on_writable; draining with WAIT set wakes the worker's producers. A refusal for want of
 * mbufs (-ENOBUFS) owes on_writable too, at the next poll iteration: the buffers come
 * back when any connection of the worker is acknowledged, an event this flow's water
 * marks never see, so the retry is simply offered once per iteration while it lasts.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcp/flow.h"
#include "core/worker.h"

#define WM_QUEUED	0xffffffffull
#define WM_WAIT		(1ull << 32)
#define WM_SHUT		(1ull << 33)
#define WM_GEN_SHIFT	34
#define WM_GEN_MASK	((1u << 30) - 1)

/* One slot of the worker's table; high and cap are read by producers. */
struct wmark_slot {
	uint64_t word;
	uint32_t high;
	uint32_t cap;
};

static inline uint64_t
wmark_gen_word(uint32_t gen)
{
	return (uint64_t)(gen & WM_GEN_MASK) << WM_GEN_SHIFT;
}

static inline struct wmark_slot *
wmark_slot(const struct sl_worker *w, const struct tcp_flow *f)
{
	return &w->tcp.slots[f->idx];
}

static inline uint32_t
wmark_queued(const struct sl_worker *w, const struct tcp_flow *f)
{
	return (uint32_t)(__atomic_load_n(&wmark_slot(w, f)->word, __ATOMIC_RELAXED) &
			  WM_QUEUED);
}

/* Admission of len bytes against a slot word: 0, -EAGAIN, -EMSGSIZE. */
static inline int
wmark_admit(uint64_t word, uint32_t len, uint32_t high, uint32_t cap)
{
	uint32_t q = (uint32_t)(word & WM_QUEUED);

	if (len > cap)
		return -EMSGSIZE;
	if ((word & WM_WAIT) || q >= high || (uint64_t)q + len > cap)
		return -EAGAIN;
	return 0;
}

/*
 * Count len bytes for the slot's generation gen: 0; -EAGAIN (water marks; the WAIT bit
 * is set in the same step, so the drain to the low mark that follows wakes producers);
 * -EMSGSIZE; -EPIPE when the flow is shut or the generation is gone.
 */
static inline int
wmark_take_gen(struct wmark_slot *s, uint32_t gen, uint32_t len)
{
	/* seq_cst: a producer about to sleep reads the count in one total order with the
	 * worker's drain (wmark_put), as chan_wake_seq requires. */
	uint64_t word = __atomic_load_n(&s->word, __ATOMIC_SEQ_CST), next;
	int rc;

	do {
		if ((word >> WM_GEN_SHIFT) != (gen & WM_GEN_MASK) || (word & WM_SHUT))
			return -EPIPE;
		rc = wmark_admit(word, len, __atomic_load_n(&s->high, __ATOMIC_RELAXED),
				 __atomic_load_n(&s->cap, __ATOMIC_RELAXED));
		if (rc == -EMSGSIZE)
			return rc;
		next = rc == 0 ? word + len : word | WM_WAIT;
		if (next == word)
			return rc;
	} while (!__atomic_compare_exchange_n(&s->word, &word, next, true, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return rc;
}

/* Give back len bytes counted for generation gen (nothing if the slot moved on). */
static inline void
wmark_untake_gen(struct wmark_slot *s, uint32_t gen, uint32_t len)
{
	uint64_t word = __atomic_load_n(&s->word, __ATOMIC_RELAXED);

	do {
		if ((word >> WM_GEN_SHIFT) != (gen & WM_GEN_MASK))
			return;
	} while (!__atomic_compare_exchange_n(&s->word, &word, word - len, true,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
}

/* ---- worker side (wmark.c) ---- */

/* The worker's own send of len bytes: 0, -EAGAIN (TF_WANT_WRITE set), -EMSGSIZE,
 * -EPIPE. Inline: every send takes it. */
static inline int
wmark_take(struct sl_worker *w, struct tcp_flow *f, uint32_t len)
{
	int rc = wmark_take_gen(wmark_slot(w, f), f->gen, len);

	if (rc == -EAGAIN)
		f->flags |= TF_WANT_WRITE;
	return rc;
}


/* New connection: the stack's water marks, the slot's count at zero. */
void wmark_flow_init(struct sl_worker *w, struct tcp_flow *f);
/* Count len more bytes of a message already admitted: only the hard cap applies. */
bool wmark_take_capped(struct sl_worker *w, struct tcp_flow *f, uint32_t len);
/* Uncount bytes that never reached the queue (a writer's reserve, an aborted message),
 * with wmark_put's edge events. */
void wmark_untake(struct sl_worker *w, struct tcp_flow *f, uint32_t len);
/* A message already begun does not fit now (but would once the queue drains): owe
 * on_writable and hold producers back until the low mark, as a refused send does. */
void wmark_refuse(struct sl_worker *w, struct tcp_flow *f);
/* A send of the application's was refused for want of mbufs (-ENOBUFS): owe on_writable
 * at the next poll iteration, the application's hook to retry from. */
void wmark_nobufs(struct sl_worker *w, struct tcp_flow *f);
/* The count (word, just updated) is at or under the low mark: on_writable if a send was
 * refused, producers woken if one was. */
void wmark_low(struct sl_worker *w, struct tcp_flow *f, uint64_t word);

/* len bytes left the queue (acknowledged, dropped): edge events at the low mark. Inline:
 * every ACK of new data gives bytes back, and nothing is owed unless a send was refused
 * (TF_WANT_WRITE, WM_WAIT), which only matters once the count is this low. */
static inline void
wmark_put(struct sl_worker *w, struct tcp_flow *f, uint32_t len)
{
	uint64_t word = __atomic_sub_fetch(&wmark_slot(w, f)->word, len, __ATOMIC_SEQ_CST);

	/* The refusal first: rarely made, it settles the usual case in one test, while a
	 * queue that drains (request-response) is at the low mark at every ACK. */
	if (unlikely((f->flags & TF_WANT_WRITE) || (word & WM_WAIT)) &&
	    (uint32_t)(word & WM_QUEUED) <= f->snd_low)
		wmark_low(w, f, word);
}
/* The flow takes no more bytes: producers get -EPIPE from now on. */
void wmark_shut(struct sl_worker *w, struct tcp_flow *f);
/* The slot is being reused (f->gen already bumped): forget everything of the old one. */
void wmark_slot_reset(struct sl_worker *w, struct tcp_flow *f);
/* Wake producers sleeping on this worker's water marks or channels. */
void wmark_wake_producers(struct sl_worker *w);

#endif /* SL_WMARK_H */
