/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conn.c -- the connection API (sluice/conn.h) and the delivery phase.
 *
 * sl_worker_poll -> worker_deliver -> conn_deliver: for every flow on the ready list, in
 * this order: on_accept / on_connect, on_message for the bytes received in order,
 * on_eof once they are all consumed and the peer's FIN has arrived, on_writable, and
 * on_close last (after which the control block may be freed).
 *
 * Callbacks run here and nowhere else, so they may call anything in this file: sends
 * only queue bytes and mark the flow dirty (tcp_output runs in the output phase), close
 * and abort only change state and queue events.
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include <sluice/conn.h>
#include <sluice/framing.h>

#include "framing/framing_priv.h"
#include "net/ipv4.h"
#include "api/api_priv.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"
#include "tcp/tcp_seq.h"
#include "api/wmark.h"
#include "core/worker.h"

/* Messages delivered to one flow per pass of the delivery phase (fairness). */
#define CONN_MSGS_PER_PASS 256

static const char *const close_reason_names[] = {
	[SL_CLOSE_NORMAL] = "normal",
	[SL_CLOSE_RESET] = "reset",
	[SL_CLOSE_TIMEOUT] = "timeout",
	[SL_CLOSE_ABORTED] = "aborted",
	[SL_CLOSE_ERROR] = "error",
};

const char *
sl_close_reason_str(enum sl_close_reason r)
{
	return (unsigned int)r < RTE_DIM(close_reason_names) ? close_reason_names[r] : "?";
}

static const char *const state_names[] = {
	[SL_TCP_CLOSED] = "CLOSED",
	[SL_TCP_LISTEN] = "LISTEN",
	[SL_TCP_SYN_SENT] = "SYN-SENT",
	[SL_TCP_SYN_RCVD] = "SYN-RECEIVED",
	[SL_TCP_ESTABLISHED] = "ESTABLISHED",
	[SL_TCP_FIN_WAIT_1] = "FIN-WAIT-1",
	[SL_TCP_FIN_WAIT_2] = "FIN-WAIT-2",
	[SL_TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[SL_TCP_CLOSING] = "CLOSING",
	[SL_TCP_LAST_ACK] = "LAST-ACK",
	[SL_TCP_TIME_WAIT] = "TIME-WAIT",
};

const char *
sl_tcp_state_str(enum sl_tcp_state s)
{
	return (unsigned int)s < RTE_DIM(state_names) ? state_names[s] : "?";
}

/* ---- listening and connecting ---- */

static int
conn_listen(struct sl_stack *s, uint16_t port, const struct sl_conn_ops *ops, void *arg,
	    const struct sl_framing *fr)
{
	unsigned int i, j;
	int rc;

	if (port == 0 || ops == NULL)
		return -EINVAL;
	if (s->started)
		return -EBUSY;
	if (s->workers[0]->tcp.listen_map[port] != 0)
		return -EADDRINUSE;
	for (j = 0; j < TCP_MAX_LISTENERS; j++)
		if (s->workers[0]->tcp.listeners[j].port == 0)
			break;
	if (j == TCP_MAX_LISTENERS)
		return -ENOSPC;
	if (fr != NULL) {
		rc = framing_prepare(s, fr);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < s->nb_workers; i++) {
		struct sl_worker *w = s->workers[i];
		struct tcp_worker *t = &w->tcp;

		t->listeners[j].port = port;
		t->listeners[j].syn_rcvd = 0;
		t->listeners[j].ops = ops;
		t->listeners[j].arg = arg;
		t->listeners[j].fr = fr != NULL ? framing_inst_find(w, fr) : NULL;
		t->listen_map[port] = (uint8_t)(j + 1);
	}
	return 0;
}

int
sl_stack_listen(struct sl_stack *s, uint16_t port, const struct sl_conn_ops *ops, void *arg)
{
	return conn_listen(s, port, ops, arg, NULL);
}

int
sl_stack_listen_framed(struct sl_stack *s, uint16_t port, const struct sl_conn_ops *ops,
		 void *arg, const struct sl_framing *fr)
{
	if (fr == NULL)
		return -EINVAL;
	return conn_listen(s, port, ops, arg, fr);
}

int
sl_stack_add_framing(struct sl_stack *s, const struct sl_framing *fr)
{
	if (fr == NULL)
		return -EINVAL;
	return framing_prepare(s, fr);
}

int
sl_conn_set_framing(struct sl_conn *c, const struct sl_framing *fr)
{
	struct tcp_flow *f = conn_flow(c);
	struct framing_inst *fi = framing_inst_find(f->w, fr);

	if (fi == NULL)
		return -EINVAL;
	/* The current framing's state is in use from the first look of its deserializer at
	 * the stream, and the delivery in progress (on_message of this very connection)
	 * still uses it after the callback returns. */
	if (f->fr.started || f->fr.framed || f->rx.consumed > 0 ||
	    (f->w->fr_cur.msg != NULL && f->w->fr_cur.rb == &f->rx))
		return -EBUSY;
	framing_flow_fini(&f->fr);
	if (framing_flow_init(&f->fr, fi) != 0) {
		f->w->stats.framing_no_state++;
		return -ENOMEM;
	}
	return 0;
}

/* A local port for an active open to (addr, port): free in the flow table and, on a
 * multi-queue port, one whose replies the NIC steers to this worker's queue. */
static int
conn_pick_port(struct sl_worker *w, struct flow_key *k)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t range = (uint32_t)cfg->port_max - cfg->port_min + 1, i;

	for (i = 0; i < range; i++) {
		uint16_t p = w->tcp.next_port;

		w->tcp.next_port = p >= cfg->port_max ? cfg->port_min : (uint16_t)(p + 1);
		k->lport = rte_cpu_to_be_16(p);
		if (!port_rss_is_local(w, k))
			continue;
		if (flow_lookup(w, k) == NULL && listener_find(w, p) == NULL)
			return 0;
	}
	return -ENOSPC;
}

struct sl_conn *
sl_worker_connect(struct sl_worker *w, rte_be32_t addr, uint16_t port,
		const struct sl_conn_ops *ops, void *user)
{
	struct flow_key k;
	struct tcp_flow *f;

	if (addr == 0 || port == 0 || ipv4_is_martian(addr) || addr == w->ip ||
	    addr == w->bcast) {
		rte_errno = EINVAL;
		return NULL;
	}
	k.raddr = addr;
	k.laddr = w->ip;
	k.rport = rte_cpu_to_be_16(port);
	if (conn_pick_port(w, &k) != 0) {
		rte_errno = ENOSPC;
		return NULL;
	}
	f = flow_create(w, &k);
	if (f == NULL) {
		rte_errno = ENOSPC;
		return NULL;
	}
	tcp_flow_init(w, f);
	f->state = SL_TCP_SYN_SENT;
	f->flags &= ~TF_CLOSE_DONE;
	f->flags |= TF_APP;
	f->ops = ops;
	f->user = user;
	f->iss = tcp_isn(w, &k);
	f->snd_una = f->iss;
	f->recover = f->iss;
	if (tcp_send_syn(w, f) != 0) {
		f->flags |= TF_CLOSE_DONE;
		flow_release(w, f);
		rte_errno = ENOBUFS;
		return NULL;
	}
	f->rtt_timing = true;
	f->rtt_start = w->clock.now_us;
	w->stats.tcp_active_opens++;
	tcp_rto_arm(w, f);
	return flow_conn(f);
}

/* ---- sending and closing ---- */

bool
conn_can_send(const struct tcp_flow *f)
{
	switch (f->state) {
	case SL_TCP_SYN_SENT:
	case SL_TCP_SYN_RCVD:
	case SL_TCP_ESTABLISHED:
	case SL_TCP_CLOSE_WAIT:
		return !(f->flags & TF_FIN_QUEUED);
	default:
		return false;
	}
}

bool
conn_takes_handoff(const struct tcp_flow *f)
{
	switch (f->state) {
	case SL_TCP_SYN_SENT:
	case SL_TCP_SYN_RCVD:
	case SL_TCP_ESTABLISHED:
	case SL_TCP_CLOSE_WAIT:
		/* A queued FIN waits for records accepted before the shutdown (tcp_out.c);
		 * an aborted flow is CLOSED or TIME-WAIT. */
		return true;
	default:
		return false;
	}
}

uint32_t
sl_conn_send_space(const struct sl_conn *c)
{
	const struct tcp_flow *f = conn_flow(c);
	uint64_t word;
	uint32_t q;

	if (!conn_can_send(f))
		return 0;
	word = __atomic_load_n(&wmark_slot(f->w, f)->word, __ATOMIC_RELAXED);
	q = (uint32_t)(word & WM_QUEUED);
	return (word & WM_WAIT) || q >= f->snd_high ? 0 : f->snd_cap - q;
}

/* A send's flush request: MORE holds a short tail (with the cork ceiling as its
 * deadline), anything else releases it. */
void
conn_send_flags(struct sl_worker *w, struct tcp_flow *f, unsigned int flags)
{
	if (flags & SL_SEND_MORE) {
		if (!(f->flags & TF_MORE) && f->cork_at == 0) {
			f->cork_at = w->clock.now_us + f->cork_us;
			tcp_timer_arm(w, f);
		}
		f->flags |= TF_MORE;
	} else {
		f->flags &= ~TF_MORE;
	}
	if (flags & SL_SEND_FLUSH)
		f->flags |= TF_PUSH;
	flow_mark_dirty(w, f);
}

int
sl_conn_send_flags(struct sl_conn *c, const void *data, uint32_t len, unsigned int flags)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;
	int rc;

	if (!conn_can_send(f))
		return -EPIPE;
	if (f->wr.open)
		return -EBUSY;
	rc = wmark_take(w, f, len);
	if (rc != 0)
		return rc;
	rc = txbuf_append(w, &f->tx, data, len);
	if (rc != 0) {
		wmark_untake(w, f, len);
		return rc;
	}
	f->app_writes++;
	f->app_bytes += len;
	w->stats.tcp_app_writes++;
	w->stats.tcp_app_bytes += len;
	conn_send_flags(w, f, flags);
	return 0;
}

int
sl_conn_send(struct sl_conn *c, const void *data, uint32_t len)
{
	return sl_conn_send_flags(c, data, len, 0);
}

int
sl_conn_set_flush(struct sl_conn *c, enum sl_flush_mode mode, uint32_t cork_us)
{
	struct tcp_flow *f = conn_flow(c);

	if ((unsigned int)mode > SL_FLUSH_CORK)
		return -EINVAL;
	f->flush_mode = (uint8_t)mode;
	if (cork_us != 0)
		f->cork_us = cork_us;
	/* What a stricter mode held may leave now. */
	flow_mark_dirty(f->w, f);
	return 0;
}

void
sl_conn_flush(struct sl_conn *c)
{
	struct tcp_flow *f = conn_flow(c);

	f->flags &= ~TF_MORE;
	f->flags |= TF_PUSH;
	flow_mark_dirty(f->w, f);
}

struct sl_conn_ref
sl_conn_ref(const struct sl_conn *c)
{
	const struct tcp_flow *f = conn_flow(c);
	struct sl_conn_ref r = {
		.worker = f->w->id,
		.idx = f->idx,
		.gen = f->gen & WM_GEN_MASK,
	};

	return r;
}

int
sl_conn_shutdown(struct sl_conn *c)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;

	if (f->flags & TF_FIN_QUEUED)
		return 0;
	switch (f->state) {
	case SL_TCP_SYN_SENT:
	case SL_TCP_SYN_RCVD:
	case SL_TCP_ESTABLISHED:
	case SL_TCP_CLOSE_WAIT:
		f->flags |= TF_FIN_QUEUED;
		wmark_shut(w, f);	/* producers get -EPIPE; records already handed off go first */
		flow_mark_dirty(w, f);
		return 0;
	default:
		return -ENOTCONN;
	}
}

int
sl_conn_close(struct sl_conn *c)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;

	if (f->flags & TF_RX_CLOSED)
		return 0;
	if (f->state == SL_TCP_SYN_SENT) {
		/* Nothing was established: forget it, no FIN (RFC 9293 CLOSE in SYN-SENT). */
		flow_closed(w, f, SL_CLOSE_NORMAL);
		return 0;
	}
	f->flags |= TF_RX_CLOSED;
	if (f->rx.bytes > 0) {
		w->stats.tcp_rx_discarded += f->rx.bytes;
		rxbuf_consume(w, &f->rx, f->rx.bytes);
	}
	if (f->events & EV_CLOSE) {
		/* TCP finished while delivery was paused: on_close waited for the unread
		 * bytes, which are gone now. Nothing else would bring the flow back to the
		 * delivery phase (which also frees it once TCP is CLOSED). */
		flow_mark_ready(w, f, EV_CLOSE);
	}
	if (f->state == SL_TCP_CLOSED)
		return 0;
	(void)sl_conn_shutdown(c);
	if (f->state == SL_TCP_FIN_WAIT_2 && f->tw_at == 0) {
		f->tw_at = w->clock.now_us + (uint64_t)w->cfg->fin_wait2_ms * 1000;
		tcp_timer_arm(w, f);
	}
	return 0;
}

void
sl_conn_abort(struct sl_conn *c)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;

	if (f->state == SL_TCP_CLOSED) {
		/* TCP is done; on_close may be waiting for the data to be read. */
		if (!(f->flags & TF_CLOSE_DONE)) {
			f->close_reason = SL_CLOSE_ABORTED;
			rxbuf_free(w, &f->rx);
			flow_mark_ready(w, f, EV_CLOSE);
		}
		return;
	}
	if (f->state != SL_TCP_TIME_WAIT)
		tcp_send_rst(w, f);
	wmark_shut(w, f);	/* first: what is given back below owes no on_writable */
	writer_forget(&f->wr);
	wmark_put(w, f, f->tx.bytes);
	txbuf_free(w, &f->tx);
	if (f->state == SL_TCP_TIME_WAIT) {
		/* Already finished for TCP; the application only waits for on_close. */
		if (!(f->flags & TF_CLOSE_DONE)) {
			f->close_reason = SL_CLOSE_ABORTED;
			flow_mark_ready(w, f, EV_CLOSE);
		}
		return;
	}
	flow_closed(w, f, SL_CLOSE_ABORTED);
}

void
sl_conn_resume_rx(struct sl_conn *c)
{
	struct tcp_flow *f = conn_flow(c);

	if (!(f->flags & TF_RX_PAUSED))
		return;
	f->flags &= ~TF_RX_PAUSED;
	flow_mark_ready(f->w, f, EV_DATA);
}

void
sl_conn_set_user(struct sl_conn *c, void *user)
{
	conn_flow(c)->user = user;
}

void *
sl_conn_user(const struct sl_conn *c)
{
	return conn_flow(c)->user;
}

void *
sl_conn_listen_arg(const struct sl_conn *c)
{
	return conn_flow(c)->listen_arg;
}

struct sl_worker *
sl_conn_worker(const struct sl_conn *c)
{
	return conn_flow(c)->w;
}

int
sl_conn_set_keepalive(struct sl_conn *c, bool on, uint32_t idle_s, uint32_t intvl_s,
		      uint32_t probes)
{
	struct tcp_flow *f = conn_flow(c);

	if (!on) {
		f->flags &= ~TF_KEEPALIVE;
		f->ka_at = 0;
		return 0;
	}
	if (idle_s == 0 || intvl_s == 0 || probes == 0 || probes > 255 ||
	    idle_s > 86400 * 7 || intvl_s > 86400)
		return -EINVAL;
	f->flags |= TF_KEEPALIVE;
	f->ka_idle_us = idle_s * 1000000u;
	f->ka_intvl_us = intvl_s * 1000000u;
	f->ka_probes = (uint8_t)probes;
	f->ka_sent = 0;
	tcp_keepalive_arm(f->w, f);
	return 0;
}

void
sl_conn_info(const struct sl_conn *c, struct sl_conn_info *info)
{
	const struct tcp_flow *f = conn_flow(c);
	uint32_t unacked = f->snd_nxt - f->snd_una;

	memset(info, 0, sizeof(*info));
	info->state = (enum sl_tcp_state)f->state;
	info->local_addr = f->key.laddr;
	info->remote_addr = f->key.raddr;
	info->local_port = rte_be_to_cpu_16(f->key.lport);
	info->remote_port = rte_be_to_cpu_16(f->key.rport);
	info->mss = f->mss;
	info->cwnd = f->cwnd;
	info->ssthresh = f->ssthresh;
	info->snd_wnd = f->snd_wnd;
	info->rcv_wnd = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;
	info->srtt_us = f->srtt >> 3;
	info->rto_us = f->rto;
	info->unacked = RTE_MIN(unacked, f->tx.bytes);
	info->unsent = f->tx.bytes - info->unacked;
	info->rx_queued = f->rx.bytes;
	info->bytes_sent = f->bytes_acked;
	info->bytes_received = f->bytes_rcvd;
	info->retransmits = f->retransmits;
	info->app_writes = f->app_writes;
	info->app_bytes = f->app_bytes;
	info->data_segs = f->data_segs;
	info->queued = wmark_queued(f->w, f);
	info->sndbuf_low = f->snd_low;
	info->sndbuf_high = f->snd_high;
	info->sndbuf_max = f->snd_cap;
	info->flush = (enum sl_flush_mode)f->flush_mode;
	info->ts = (f->flags & TF_TS) != 0;
	info->sack = (f->flags & TF_SACK) != 0;
	info->wscale = (f->flags & TF_WSCALE) != 0;
}

/* ---- the delivery phase ---- */

/* After the application consumed bytes: tell the peer when the window has opened a
 * lot (the current one is at most half the buffer and the new one at least twice it),
 * as Linux does; smaller openings ride on the next ACK. */
void
conn_window_update(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t cur, space;

	if (!tcp_state_synchronized(f->state) || (f->flags & TF_FIN_RCVD))
		return;
	cur = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;
	space = tcp_rcv_space(w, f);
	if (2 * cur <= f->rcv_buf && space >= 2 * cur && space - cur >= f->mss) {
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
	}
}

static void
conn_deliver_data(struct sl_worker *w, struct tcp_flow *f)
{
	struct sl_conn *c = flow_conn(f);
	unsigned int n = 0;
	bool consumed = false;

	/* After a normal close the bytes are still the application's: TCP acknowledged
	 * them. After a reset or an abort they are not delivered. */
	while (f->rx.bytes > 0 && !(f->flags & TF_RX_PAUSED) && !conn_rx_gone(f)) {
		struct rte_mbuf *m = f->rx.q.head;
		struct sl_slice sl = { rte_pktmbuf_mtod(m, const uint8_t *), m->data_len };
		struct sl_msg msg = {
			.data = sl.data,
			.len = sl.len,
			.stream_off = f->rx.consumed,
			.nslices = 1,
			.slices = &sl,
		};
		int rc = SL_RX_OK;

		if (n++ == w->cfg->framing_batch) {
			flow_defer(w, f);	/* the rest at the next iteration */
			break;
		}
		w->fr_cur.msg = &msg;
		w->fr_cur.ff = NULL;
		w->fr_cur.rb = &f->rx;
		if (f->ops != NULL && f->ops->on_message != NULL)
			rc = f->ops->on_message(c, &msg);
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
		if (f->rx.bytes >= msg.len && f->rx.q.head == m)
			rxbuf_consume(w, &f->rx, msg.len);
		consumed = true;
	}
	if (consumed)
		conn_window_update(w, f);
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
	if (conn_fr_error(f, ETIMEDOUT, off) == SL_FRAMING_ABORT) {
		if (f->close_reason == SL_CLOSE_NORMAL && f->state != SL_TCP_CLOSED) {
			sl_conn_abort(flow_conn(f));
			f->close_reason = SL_CLOSE_ERROR;
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
			f->close_reason = SL_CLOSE_ERROR;
		}
		return;
	case FRAMING_GONE:
		return;
	default:
		break;
	}
	if (f->rx.bytes < before)
		conn_window_update(w, f);
	if (rc == FRAMING_IDLE)
		conn_asm_deadline(w, f, f->rx.bytes < before);
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
	if ((f->events & EV_CLOSE) || (ev & EV_CLOSE)) {
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
			ops->on_close(c, (enum sl_close_reason)f->close_reason);
		if (f->state == SL_TCP_CLOSED)
			flow_release(w, f);
	}
}

void
conn_deliver(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	struct tcp_flow *f;
	unsigned int budget = 4096;

	/* Flows whose delivery stopped at the per-pass budget last time come first. */
	while ((f = TAILQ_FIRST(&t->deferred)) != NULL)
		flow_mark_ready(w, f, EV_DATA);

	/* Callbacks may queue events for any flow (including this one): they join the end
	 * of the list and are delivered in this same phase, within a budget so that an
	 * application that keeps re-arming itself cannot stall the poll loop. */
	while (budget-- > 0 && (f = TAILQ_FIRST(&t->ready)) != NULL) {
		uint8_t ev = f->events;

		TAILQ_REMOVE(&t->ready, f, ready_link);
		f->flags &= ~TF_READY;
		f->events = 0;
		conn_deliver_flow(w, f, ev);
	}
	/* A message must be complete before control returns to the poll loop. */
	while (w->nopen_writers > 0)
		writer_abort_open(w->open_writers[0]);
}
