/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wmark.c -- the worker's side of the send queue water marks (see wmark.h).
 *
 * sl_conn_send -> wmark_take; tcp_input (ACK) -> wmark_put -> on_writable / producer wake;
 * sl_conn_send, writer -ENOBUFS -> wmark_nobufs -> on_writable next iteration;
 * close, abort, TIME-WAIT -> wmark_shut; flow_release -> wmark_slot_reset.
 */

#include <rte_common.h>

#include "api/producer_priv.h"
#include "api/api_priv.h"
#include "tcp/flow.h"
#include "api/wmark.h"
#include "core/worker.h"

static void
wmark_publish(struct sl_worker *w, struct tcp_flow *f)
{
	struct wmark_slot *s = wmark_slot(w, f);

	__atomic_store_n(&s->high, f->snd_high, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cap, f->snd_cap, __ATOMIC_RELAXED);
}

void
wmark_flow_init(struct sl_worker *w, struct tcp_flow *f)
{
	const struct sl_config *cfg = w->cfg;

	f->snd_high = cfg->sndbuf;
	f->snd_low = cfg->sndbuf_low != 0 ? cfg->sndbuf_low : cfg->sndbuf / 2;
	f->snd_cap = cfg->sndbuf_max != 0 ? cfg->sndbuf_max :
		     (uint32_t)RTE_MIN(4ull * cfg->sndbuf, (uint64_t)WM_QUEUED >> 1);
	wmark_publish(w, f);
	__atomic_store_n(&wmark_slot(w, f)->word, wmark_gen_word(f->gen), __ATOMIC_RELEASE);
}

int
sl_conn_set_sndbuf(struct sl_conn *c, uint32_t low, uint32_t high, uint32_t max)
{
	struct tcp_flow *f = conn_flow(c);

	if (high == 0 || low > high || high > max || max > (WM_QUEUED >> 1))
		return -EINVAL;
	f->snd_low = low;
	f->snd_high = high;
	f->snd_cap = max;
	wmark_publish(f->w, f);
	/* Lowering the marks never owes anything; raising them may free a waiter. */
	wmark_put(f->w, f, 0);
	return 0;
}

bool
wmark_take_capped(struct sl_worker *w, struct tcp_flow *f, uint32_t len)
{
	struct wmark_slot *s = wmark_slot(w, f);
	uint64_t word = __atomic_load_n(&s->word, __ATOMIC_RELAXED);

	do {
		if ((word & WM_QUEUED) + len > f->snd_cap)
			return false;
	} while (!__atomic_compare_exchange_n(&s->word, &word, word + len, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return true;
}

void
wmark_untake(struct sl_worker *w, struct tcp_flow *f, uint32_t len)
{
	/* The same edge as an ACK: a refusal (TF_WANT_WRITE, WAIT) may have been made
	 * while these bytes were counted, and nothing else may bring the count down to
	 * the low mark again (an empty queue gets no ACK). */
	if (len != 0)
		wmark_put(w, f, len);
}

void
wmark_refuse(struct sl_worker *w, struct tcp_flow *f)
{
	f->flags |= TF_WANT_WRITE;
	__atomic_fetch_or(&wmark_slot(w, f)->word, WM_WAIT, __ATOMIC_SEQ_CST);
}

void
wmark_nobufs(struct sl_worker *w, struct tcp_flow *f)
{
	/* The deferred list is delivered at the start of the next iteration's delivery
	 * phase, with this event still pending; a flow already on the ready list gets it in
	 * this phase (flow_defer). Either way never twice in one pass over the flow. */
	f->events |= EV_WRITABLE;
	flow_defer(w, f);
}

void
wmark_low(struct sl_worker *w, struct tcp_flow *f, uint64_t word)
{
	struct wmark_slot *s = wmark_slot(w, f);

	if (f->flags & TF_WANT_WRITE) {
		f->flags &= ~TF_WANT_WRITE;
		flow_mark_ready(w, f, EV_WRITABLE);
	}
	if (word & WM_WAIT) {
		__atomic_fetch_and(&s->word, ~WM_WAIT, __ATOMIC_SEQ_CST);
		wmark_wake_producers(w);
	}
}

void
wmark_shut(struct sl_worker *w, struct tcp_flow *f)
{
	uint64_t word;

	f->flags &= ~TF_WANT_WRITE;	/* no on_writable for a flow that cannot send */
	word = __atomic_or_fetch(&wmark_slot(w, f)->word, WM_SHUT, __ATOMIC_SEQ_CST);

	/* A producer asleep on this flow learns it is gone. */
	if (word & WM_WAIT)
		wmark_wake_producers(w);
}

void
wmark_slot_reset(struct sl_worker *w, struct tcp_flow *f)
{
	uint64_t old = __atomic_exchange_n(&wmark_slot(w, f)->word, wmark_gen_word(f->gen),
					   __ATOMIC_SEQ_CST);

	if (old & WM_WAIT)
		wmark_wake_producers(w);
}
