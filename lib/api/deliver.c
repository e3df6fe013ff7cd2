/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * deliver.c -- the delivery phase: the only place application callbacks run.
 *
 * tcp_input (and the timers, and the API in conn.c) never call the application: they
 * mark a flow ready with the events it owes (flow_mark_ready). Once per iteration,
 * sl_worker_poll -> worker_deliver -> conn_deliver takes every flow on the ready list and
 * calls, in this order:
 *
 *   on_accept / on_connect
 *   on_message  raw bytes: conn_deliver_data, one call per mbuf of the receive stream;
 *               framed: conn_deliver_framed -> framing_pump -> conn_fr_deliver
 *   on_eof      once every received byte was consumed and the peer's FIN has arrived
 *   on_writable
 *   on_drain    the stack drains (drain.c): the connection closes unless the application
 *               says it will close it itself
 *   on_close    last (after which the control block may be freed)
 *
 * Callbacks may call anything in conn.c: sends only queue bytes and mark the flow dirty
 * (tcp_output runs in the output phase), close and abort only change state and queue
 * events, which this same phase delivers within its budget.
 */

#define SL_LOG_MODULE api	/* sluice.api (core/log.h) */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <sluice/conn.h>
#include <sluice/framing.h>

#include "api/api_priv.h"
#include "api/drain.h"
#include "core/log.h"
#include "core/worker.h"
#include "framing/framing_priv.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"

/* After the application consumed bytes: tell the peer when the window has opened a
 * lot (the current one is at most half the buffer and the new one at least twice it),
 * as Linux does; smaller openings ride on the next ACK. Inline in the delivery below,
 * which checks after every pass over a flow's bytes; conn_window_update for the rest. */
static inline void
deliver_window_update(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t cur, space;

	/* The window still open is tested first: more than half the buffer, the usual
	 * case of a reader that keeps up, needs no update whatever the rest says. */
	cur = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;
	if (2 * cur > f->rcv_buf || !tcp_state_synchronized(f->state) ||
	    (f->flags & TF_FIN_RCVD))
		return;
	space = tcp_rcv_space(w, f);
	if (space >= 2 * cur && space - cur >= f->mss) {
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
	}
}

void
conn_window_update(struct sl_worker *w, struct tcp_flow *f)
{
	deliver_window_update(w, f);
}

/* The raw stream, one on_message per mbuf. Paused delivery and gone bytes are tested
 * once, before the first message: within the loop only the callback can change either
 * (SL_RX_AGAIN, which pauses here, or a close or an abort), and its return is where they
 * are tested again. */
static __rte_always_inline void
conn_deliver_data(struct sl_worker *w, struct tcp_flow *f)
{
	struct sl_conn *c = flow_conn(f);
	unsigned int n = 0;
	bool consumed = false;

	/* After a normal close the bytes are still the application's: TCP acknowledged
	 * them. After a reset or an abort they are not delivered. */
	if ((f->flags & TF_RX_PAUSED) || conn_rx_gone(f))
		return;
	while (f->rx.bytes > 0) {
		struct rte_mbuf *m = f->rx.q.head;
		struct sl_msg *msg = &w->raw_msg;	/* one slice, the rest zero */
		int rc = SL_RX_OK;

		if (n++ == w->cfg->framing_batch) {
			flow_defer(w, f);	/* the rest at the next iteration */
			break;
		}
		msg->data = rte_pktmbuf_mtod(m, const uint8_t *);
		msg->len = m->data_len;
		msg->stream_off = f->rx.consumed;
		w->raw_slice.data = msg->data;
		w->raw_slice.len = msg->len;
		w->fr_cur.msg = msg;
		w->fr_cur.ff = NULL;
		w->fr_cur.rb = &f->rx;
		if (f->ops != NULL && f->ops->on_message != NULL)
			rc = f->ops->on_message(c, msg);
		w->fr_cur.msg = NULL;
		/* The callback may have closed or aborted the connection (even in TIME-WAIT,
		 * where the flow is back on the ready list for on_close and must not also
		 * be deferred). */
		if (conn_rx_gone(f))
			break;
		if (rc == SL_RX_AGAIN) {
			f->flags |= TF_RX_PAUSED;
			break;
		}
		/* The message's bytes, unless the callback consumed some itself: the whole
		 * buffer when m is its only mbuf (the usual case, told first), else msg->len
		 * bytes at the head. */
		if (likely(rxbuf_is_only(&f->rx, m, msg->len)))
			rxbuf_consume_only(&w->tcp.seg_spares, &f->rx, m);
		else if (f->rx.bytes >= msg->len && f->rx.q.head == m)
			rxbuf_consume(w, &f->rx, msg->len);
		consumed = true;
	}
	if (consumed)
		deliver_window_update(w, f);
}

/* framing_pump callbacks for a connection. */
static enum framing_cb_rc
conn_fr_deliver(void *arg, const struct sl_msg *m)
{
	struct tcp_flow *f = arg;
	int rc = SL_RX_OK;

	if (f->ops != NULL && f->ops->on_message != NULL)
		rc = f->ops->on_message(flow_conn(f), m);
	/* The callback may have closed or aborted the connection (its bytes are gone, or no
	 * longer to be delivered). A normal close by TCP (CLOSED, TIME-WAIT) does not stop
	 * delivery: those bytes are the application's. */
	if (conn_rx_gone(f))
		return FRAMING_CB_STOP;
	return rc == SL_RX_AGAIN ? FRAMING_CB_AGAIN : FRAMING_CB_OK;
}

static enum sl_framing_policy
conn_fr_error(void *arg, int err, uint64_t off)
{
	struct tcp_flow *f = arg;

	if (f->ops != NULL && f->ops->on_error != NULL)
		f->ops->on_error(flow_conn(f), err, off);
	return f->fr.inst->fr != NULL ? f->fr.inst->fr->on_error : SL_FRAMING_CLOSE;
}

static const struct framing_cb conn_fr_cb = {
	.deliver = conn_fr_deliver,
	.error = conn_fr_error,
};

/*
 * The assembly deadline (msg-timeout-ms), after the framing went idle: bytes of an
 * incomplete message wait in the receive buffer. The clock starts when such bytes are
 * first left waiting, and again whenever a message completes; a peer that trickles one
 * message slowly enough (or stops in the middle of it) to hold the buffer and the
 * connection gets a framing error ETIMEDOUT, handled as the framing's error policy says
 * (RESYNC cannot help here: it closes).
 */
static void
conn_asm_deadline(struct sl_worker *w, struct tcp_flow *f, bool progress)
{
	uint64_t off = f->rx.consumed;

	if (f->rx.bytes == 0 || w->cfg->msg_timeout_ms == 0) {
		f->asm_at = 0;
		f->flags &= ~TF_ASM_LATE;
		return;
	}
	if (progress || (f->asm_at == 0 && !(f->flags & TF_ASM_LATE))) {
		/* A new message begins waiting: start its clock. */
		f->flags &= ~TF_ASM_LATE;
		f->asm_at = w->clock.now_us + (uint64_t)w->cfg->msg_timeout_ms * 1000;
		tcp_timer_arm(w, f);
		return;
	}
	if (!(f->flags & TF_ASM_LATE))
		return;		/* still within its time */
	f->flags &= ~TF_ASM_LATE;
	w->stats.framing_timeouts++;
	w->stats.framing_errors++;
	f->fr.failed = true;	/* on_close reports SL_CLOSE_FRAMING */
	SL_LOG_RL(DEBUG, "conn " SL_IP4_FMT ":%u > :%u slot %u: message incomplete after "
		  "%u ms (framing_timeouts)", SL_IP4_ARGS(f->key.raddr),
		  rte_be_to_cpu_16(f->key.rport), rte_be_to_cpu_16(f->key.lport), f->idx,
		  w->cfg->msg_timeout_ms);
	if (conn_fr_error(f, ETIMEDOUT, off) == SL_FRAMING_ABORT) {
		if (f->close_reason == SL_CLOSE_NORMAL && f->state != SL_TCP_CLOSED) {
			sl_conn_abort(flow_conn(f));
			f->close_reason = SL_CLOSE_FRAMING;
		}
	} else if (f->state != SL_TCP_CLOSED && !(f->flags & TF_RX_CLOSED)) {
		sl_conn_close(flow_conn(f));
	}
}

static void
conn_deliver_framed(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t before = f->rx.bytes;
	enum framing_rc rc;

	/* As for raw bytes: after a normal close the messages are still delivered, and
	 * on_eof and on_close wait for them. */
	if ((f->flags & TF_RX_PAUSED) || conn_rx_gone(f))
		return;
	rc = framing_pump(w, &f->fr, &f->rx, (f->flags & TF_FIN_RCVD) != 0,
			  w->cfg->framing_batch, &conn_fr_cb, f);
	switch (rc) {
	case FRAMING_MORE:
		flow_defer(w, f);
		break;
	case FRAMING_PAUSED:
		f->flags |= TF_RX_PAUSED;
		break;
	case FRAMING_CLOSE:
		/* Stop reading; what the application queued (in on_error) goes before
		 * the FIN. */
		if (f->state != SL_TCP_CLOSED && !(f->flags & TF_RX_CLOSED))
			sl_conn_close(flow_conn(f));
		return;
	case FRAMING_ABORT:
		/* Unless on_error aborted it already. Also after a normal close (TCP CLOSED):
		 * the unread bytes are dropped and on_close reports the error. */
		if (f->close_reason == SL_CLOSE_NORMAL) {
			sl_conn_abort(flow_conn(f));
			f->close_reason = SL_CLOSE_FRAMING;
		}
		return;
	case FRAMING_GONE:
		return;
	default:
		break;
	}
	if (f->rx.bytes < before)
		deliver_window_update(w, f);
	if (rc == FRAMING_IDLE)
		conn_asm_deadline(w, f, f->rx.bytes < before);
}

/* What on_close reports. A framing error decides it whatever ended the connection
 * afterwards (our FIN and the peer's, its RST, a timeout): the application must learn
 * that the stream was bad, not that TCP closed normally. Only the application's own
 * sl_conn_abort() (from on_error, say) keeps its reason. */
static enum sl_close_reason
conn_close_reason(const struct tcp_flow *f)
{
	if (f->fr.failed && f->close_reason != SL_CLOSE_ABORTED)
		return SL_CLOSE_FRAMING;
	return (enum sl_close_reason)f->close_reason;
}

/* conn_deliver_close once EV_CLOSE is owed. Out of line: once per connection. */
static __rte_noinline void
conn_deliver_closing(struct sl_worker *w, struct tcp_flow *f, const struct sl_conn_ops *ops)
{
	/* A normal close waits until every received byte and on_eof were delivered:
	 * while the application has paused delivery, EV_CLOSE stays pending and
	 * sl_conn_resume_rx() brings the flow back here. */
	if (f->close_reason == SL_CLOSE_NORMAL &&
	    !(f->flags & (TF_CLOSE_DONE | TF_RX_CLOSED)) && !f->fr.failed &&
	    (f->rx.bytes > 0 ||
	     ((f->flags & TF_FIN_RCVD) && !(f->flags & TF_EOF_DONE)))) {
		f->events |= EV_CLOSE;
		return;
	}
	/* Close comes last, even if a callback above caused it. */
	f->events &= (uint8_t)~EV_CLOSE;
	if (f->flags & TF_CLOSE_DONE)
		return;
	f->flags |= TF_CLOSE_DONE;
	if (ops != NULL && ops->on_close != NULL)
		ops->on_close(flow_conn(f), conn_close_reason(f));
	if (f->state == SL_TCP_CLOSED)
		flow_release(w, f);
}

/* on_close, last: for a normal close only once every received byte and on_eof were
 * delivered (ev: the events of this pass). */
static __rte_always_inline void
conn_deliver_close(struct sl_worker *w, struct tcp_flow *f, const struct sl_conn_ops *ops,
		   uint8_t ev)
{
	if (unlikely((f->events | ev) & EV_CLOSE))
		conn_deliver_closing(w, f, ops);
}

/* The usual pass: bytes for a raw-stream connection, no other event, no FIN yet. Of the
 * steps of conn_deliver_flow only on_message and the close check can apply: on_eof needs
 * the FIN, which no callback can bring, and the other callbacks need their event. Inline
 * in the delivery loop (conn_deliver_flow would take the same steps). */
static __rte_always_inline bool
conn_deliver_usual(struct sl_worker *w, struct tcp_flow *f, uint8_t ev)
{
	if (unlikely(ev != EV_DATA) || f->fr.inst != NULL || (f->flags & TF_FIN_RCVD))
		return false;
	if (f->rx.bytes > 0)
		conn_deliver_data(w, f);
	conn_deliver_close(w, f, f->ops, ev);
	return true;
}

static void
conn_deliver_flow(struct sl_worker *w, struct tcp_flow *f, uint8_t ev)
{
	struct sl_conn *c = flow_conn(f);
	const struct sl_conn_ops *ops = f->ops;

	if (ev & EV_ACCEPT) {
		int rc = ops != NULL && ops->on_accept != NULL ?
			 ops->on_accept(c, f->listen_arg) : 0;

		if (rc < 0) {
			/* Refused: RST, and no on_close for a connection never accepted. */
			f->flags |= TF_CLOSE_DONE;
			if (f->state != SL_TCP_CLOSED)
				tcp_send_rst(w, f);
			f->events = 0;
			if (f->state == SL_TCP_CLOSED)
				flow_release(w, f);
			else
				flow_closed(w, f, SL_CLOSE_ABORTED);
			return;
		}
		ops = f->ops;	/* on_accept may have switched them */
	}
	if ((ev & EV_CONNECT) && ops != NULL && ops->on_connect != NULL &&
	    f->state != SL_TCP_CLOSED)
		ops->on_connect(c);
	if (f->fr.inst != NULL)
		conn_deliver_framed(w, f);
	else if (f->rx.bytes > 0)
		conn_deliver_data(w, f);
	/* EOF once every message is out: with a framing, once the deserializer has seen
	 * the FIN too (it may have had a last message, or found one cut short). */
	if ((f->flags & TF_FIN_RCVD) && !(f->flags & TF_EOF_DONE) &&
	    !(f->flags & TF_RX_CLOSED) &&
	    (f->fr.inst != NULL ? f->fr.eof_done : f->rx.bytes == 0)) {
		f->flags |= TF_EOF_DONE;
		if (ops != NULL && ops->on_eof != NULL)
			ops->on_eof(c);
	}
	if ((ev & EV_WRITABLE) && ops != NULL && ops->on_writable != NULL &&
	    conn_can_send(f))
		ops->on_writable(c);
	if (ev & EV_DRAIN)
		drain_notify(w, f);
	conn_deliver_close(w, f, ops, ev);
}

void
conn_deliver_resume(struct sl_worker *w)
{
	struct tcp_flow *f;

	/* Flows whose delivery stopped at the per-pass budget last time join the ready
	 * list, with their data owed (flow_mark_ready). */
	while ((f = TAILQ_FIRST(&w->tcp.deferred)) != NULL)
		flow_mark_ready(w, f, EV_DATA);
}

/* Always inline (through LTO): the poll loop has two iterations, the usual and the slow
 * one (stack.c, worker_iterate), and with a caller more GCC would keep it out of line,
 * which costs the usual iteration a call and a stack frame of its own. */
__rte_always_inline void
conn_deliver(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	struct tcp_flow *f;
	unsigned int budget = 4096;

	/* Callbacks may queue events for any flow (including this one): they join the end
	 * of the list and are delivered in this same phase, within a budget so that an
	 * application that keeps re-arming itself cannot stall the poll loop. */
	while (budget-- > 0 && (f = TAILQ_FIRST(&t->ready)) != NULL) {
		uint8_t ev = f->events;

		TAILQ_REMOVE(&t->ready, f, ready_link);
		f->flags &= ~TF_READY;
		f->events = 0;
		if (!conn_deliver_usual(w, f, ev))
			conn_deliver_flow(w, f, ev);
	}
	/* A message must be complete before control returns to the poll loop. */
	while (w->nopen_writers > 0)
		writer_abort_open(w->open_writers[0]);
}
