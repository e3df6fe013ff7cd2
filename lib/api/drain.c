/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drain.c -- the graceful drain (sl_stack_drain, sluice/stack.h).
 *
 * Any thread asks for a drain by setting the stack's flag; nothing else crosses threads.
 * Each worker sees the flag in the drain phase of its own poll loop and drains its own
 * connections:
 *
 *   sl_stack_drain      drain_req = 1
 *   worker_drain        -> drain_run: the first time drain_begin (close the listeners,
 *                       reset the handshakes nobody accepted, mark every open connection
 *                       ready with EV_DRAIN); then, each iteration, done or deadline
 *   conn_deliver        -> drain_notify (EV_DRAIN): on_drain, then sl_conn_close unless
 *                       the application keeps the connection to finish a response
 *   tcp_output          the queued bytes, the records producers handed off before the
 *                       close (wmark.h: a shut slot refuses later ones), then the FIN
 *   drain_expire        at the deadline: RST to whatever is still open
 *
 * A connection is done once it is CLOSED or in TIME-WAIT with on_close delivered. TIME-WAIT
 * is not waited out: the peer sent its FIN first or in answer to ours and has everything;
 * what TIME-WAIT protects against (an old duplicate reaching a new incarnation of the
 * 4-tuple) cannot happen on a port that stops listening, and the kernel on the other
 * side keeps its own TIME-WAIT when it closed last.
 */

#define SL_LOG_MODULE api	/* sluice.api (core/log.h) */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include <sluice/conn.h>
#include <sluice/stack.h>

#include "api/api_priv.h"
#include "api/drain.h"
#include "core/log.h"
#include "core/worker.h"
#include "tcp/flow.h"
#include "tcp/tcp_out.h"

/* How often a worker whose flows are all in TIME-WAIT scans them for an on_close still
 * owed (the cheap counters cannot tell). */
#define DRAIN_SCAN_US 1000

int
sl_stack_drain(struct sl_stack *s)
{
	unsigned int i;

	__atomic_store_n(&s->drain_req, 1, __ATOMIC_RELEASE);
	/* After drain_req: every worker's iterations are slow ones from now on, and those
	 * test it (sl_worker_poll). */
	for (i = 0; i < s->nb_workers; i++)
		__atomic_fetch_or(&s->workers[i]->poll_remote, POLL_REMOTE_DRAIN,
				  __ATOMIC_RELEASE);
	return 0;
}

bool
sl_stack_draining(const struct sl_stack *s)
{
	return __atomic_load_n(&s->drain_req, __ATOMIC_ACQUIRE) != 0;
}

bool
sl_stack_drained(const struct sl_stack *s)
{
	unsigned int i;

	if (!sl_stack_draining(s))
		return false;
	for (i = 0; i < s->nb_workers; i++)
		if (!__atomic_load_n(&s->workers[i]->drain.done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* A live control block of this worker in slot i, or NULL. */
static inline struct tcp_flow *
drain_flow_at(struct sl_worker *w, uint32_t i)
{
	struct tcp_flow *f = w->tcp.by_idx[i];

	return f != NULL && f->w == w ? f : NULL;
}

static void
drain_begin(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	uint32_t i, open = 0, reset = 0;
	uint64_t queued = 0;

	/* From now on a SYN to a listening port gets RST, like a closed listener on Linux
	 * (and a SYN cookie's ACK too: listener_find answers NULL). */
	t->listen_closed = true;
	w->drain.deadline_us = w->clock.now_us + (uint64_t)w->cfg->drain_s * 1000000u;
	w->drain.state = DRAIN_RUNNING;
	for (i = 0; i < t->max_flows; i++) {
		struct tcp_flow *f = drain_flow_at(w, i);

		if (f == NULL)
			continue;
		switch (f->state) {
		case SL_TCP_CLOSED:
		case SL_TCP_TIME_WAIT:
			break;		/* over for TCP; an on_close owed is on its way */
		default:
			if (f->state == SL_TCP_SYN_RCVD && !(f->flags & TF_APP)) {
				/* A handshake nobody accepted: Linux resets a closing
				 * listener's unaccepted children too. */
				tcp_send_rst(w, f);
				flow_closed(w, f, SL_CLOSE_ABORTED);
				reset++;
				break;
			}
			open++;
			queued += f->tx.bytes;
			flow_mark_ready(w, f, EV_DRAIN);
			break;
		}
	}
	w->stats.tcp_drain_conns += open;
	w->stats.tcp_drain_handshakes += reset;
	w->stats.tcp_drain_queued += queued;
	SL_LOG(INFO, "worker %u: drain: listeners closed, %u connection(s) closing with %"
	       PRIu64 " bytes queued, %u handshake(s) reset, deadline in %u s", w->id, open,
	       queued, reset, w->cfg->drain_s);
}

/* The deadline passed: RST to what is still open, on_close for what still owes it. */
static void
drain_expire(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	uint32_t i, reset = 0;

	for (i = 0; i < t->max_flows; i++) {
		struct tcp_flow *f = drain_flow_at(w, i);

		if (f == NULL)
			continue;
		if (f->state == SL_TCP_CLOSED || f->state == SL_TCP_TIME_WAIT) {
			/* Over for TCP: only an on_close still owed (delivery paused with
			 * unread bytes) is hurried, without any RST. */
			if (!(f->flags & TF_CLOSE_DONE))
				sl_conn_abort(flow_conn(f));
			continue;
		}
		reset++;
		if (f->flags & TF_CLOSE_DONE) {
			tcp_send_rst(w, f);	/* the application never knew it */
			flow_closed(w, f, SL_CLOSE_ABORTED);
		} else {
			sl_conn_abort(flow_conn(f));
		}
	}
	w->stats.tcp_drain_reset += reset;
	w->drain.deadline_us = UINT64_MAX;
	SL_LOG(INFO, "worker %u: drain deadline: %u connection(s) reset", w->id, reset);
}

/* Is every flow CLOSED or in TIME-WAIT with nothing owed to the application? */
static bool
drain_finished(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	uint32_t i;

	if (t->nflows != t->ntimewait || !TAILQ_EMPTY(&t->ready) || !TAILQ_EMPTY(&t->deferred))
		return false;
	for (i = 0; i < t->max_flows; i++) {
		struct tcp_flow *f = drain_flow_at(w, i);

		if (f != NULL && !(f->flags & TF_CLOSE_DONE))
			return false;
	}
	return true;
}

void
drain_run(struct sl_worker *w)
{
	struct drain_worker *d = &w->drain;

	if (d->state == DRAIN_NONE) {
		drain_begin(w);
		return;
	}
	if (w->tcp.nflows == w->tcp.ntimewait && w->clock.now_us >= d->next_scan_us) {
		d->next_scan_us = w->clock.now_us + DRAIN_SCAN_US;
		if (drain_finished(w)) {
			d->state = DRAIN_DONE;
			__atomic_store_n(&d->done, 1, __ATOMIC_RELEASE);
			SL_LOG(INFO, "worker %u: drained", w->id);
			return;
		}
	}
	if (w->clock.now_us >= d->deadline_us)
		drain_expire(w);
}

void
drain_notify(struct sl_worker *w __rte_unused, struct tcp_flow *f)
{
	const struct sl_conn_ops *ops = f->ops;
	int rc = SL_DRAIN_CLOSE;

	/* Ended meanwhile (or refused in on_accept just before), or closed by the
	 * application already (its FIN follows its data): nothing to tell. */
	if (f->state == SL_TCP_CLOSED || f->state == SL_TCP_TIME_WAIT ||
	    (f->flags & (TF_CLOSE_DONE | TF_RX_CLOSED)))
		return;
	if (ops != NULL && ops->on_drain != NULL)
		rc = ops->on_drain(flow_conn(f));
	/* on_drain may have closed or aborted it itself. */
	if (rc != SL_DRAIN_LATER && f->state != SL_TCP_CLOSED)
		sl_conn_close(flow_conn(f));
}
