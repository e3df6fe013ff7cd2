/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conn.c -- the connection API (sluice/conn.h): listen, connect, send, close, and the
 * accessors. The delivery phase that calls the application is in deliver.c.
 *
 * The application calls in here from its callbacks (deliver.c runs them in the delivery
 * phase of sl_worker_poll), from the worker's thread between polls, or, for listening,
 * before sl_stack_start(). Nothing here calls the application back:
 *
 *   sl_worker_connect  flow_create -> tcp_send_syn (into the worker's TX queue, which the
 *                      poll flushes); tcp_input marks the flow ready for on_connect
 *   sl_conn_send_flags wmark_take -> txbuf_append_small (txbuf_append) -> conn_flags_apply
 *                      -> flow_mark_dirty;
 *                      tcp_output sends in the output phase
 *   sl_conn_shutdown,  change state and mark the flow dirty (the FIN leaves in the output
 *   sl_conn_close      phase) or ready (on_close comes in the delivery phase)
 *   sl_conn_abort      tcp_send_rst, drop the send queue, flow_closed (on_close follows in
 *                      the delivery phase)
 */

#define SL_LOG_MODULE api	/* sluice.api (core/log.h) */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_errno.h>

#include <sluice/conn.h>
#include <sluice/framing.h>

#include "framing/framing_priv.h"
#include "net/ipv4.h"
#include "net/port.h"
#include "api/api_priv.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_ecn.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"
#include "tcp/txbuf_small.h"
#include "tcp/tcp_seq.h"
#include "api/wmark.h"
#include "core/worker.h"

static const char *const close_reason_names[] = {
	[SL_CLOSE_NORMAL] = "normal",
	[SL_CLOSE_RESET] = "reset",
	[SL_CLOSE_TIMEOUT] = "timeout",
	[SL_CLOSE_ABORTED] = "aborted",
	[SL_CLOSE_ERROR] = "error",
	[SL_CLOSE_FRAMING] = "framing",
	[SL_CLOSE_UNREACHABLE] = "unreachable",
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

/* A local port for an active open to (addr, port): free in the flow table and one whose
 * flow this worker owns (steer.c), so that the replies are processed here whichever
 * queue they reach. */
static int
conn_pick_port(struct sl_worker *w, struct flow_key *k)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t range = (uint32_t)cfg->port_max - cfg->port_min + 1, i;

	for (i = 0; i < range; i++) {
		uint16_t p = w->tcp.next_port;

		w->tcp.next_port = p >= cfg->port_max ? cfg->port_min : (uint16_t)(p + 1);
		k->lport = rte_cpu_to_be_16(p);
		if (steer_owner(w->stack, k) != w->id)
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
	int rc;

	if (addr == 0 || port == 0 || ipv4_is_martian(addr) || addr == w->ip ||
	    addr == w->bcast) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (w->drain.state != DRAIN_NONE) {
		rte_errno = ESHUTDOWN;
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
	flow_set_state(f, SL_TCP_SYN_SENT);
	f->flags &= ~TF_CLOSE_DONE;
	f->flags |= TF_APP;
	f->ops = ops;
	f->user = user;
	f->iss = tcp_isn(w, &k);
	f->snd_una = f->iss;
	f->snd_nxt = f->snd_max = f->iss;	/* the SYN is owed */
	f->recover = f->iss;
	w->stats.tcp_active_opens++;
	/* Many connects at once (a client opening thousands) would fill the TX queue: past
	 * its limit the SYN waits for the output phase like data (tcp_output). */
	if (!worker_tx_open(w)) {
		flow_mark_dirty(w, f);
		return flow_conn(f);
	}
	rc = tcp_send_syn_first(w, f);
	if (rc == -EAGAIN) {
		/* Waiting for room, or for the neighbour's ARP answer. */
		f->flags &= ~TF_TX_WAIT;
		flow_mark_dirty(w, f);
		return flow_conn(f);
	}
	if (rc != 0) {
		w->stats.tcp_active_opens--;
		f->flags |= TF_CLOSE_DONE;
		flow_release(w, f);
		rte_errno = ENOBUFS;
		return NULL;
	}
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
 * deadline), anything else releases it. Inline in the send below, which runs once per
 * message. */
static inline void
conn_flags_apply(struct sl_worker *w, struct tcp_flow *f, unsigned int flags)
{
	if (unlikely(flags & SL_SEND_MORE)) {
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

void
conn_send_flags(struct sl_worker *w, struct tcp_flow *f, unsigned int flags)
{
	conn_flags_apply(w, f, flags);
}

/* The send, every case: sl_conn_send_flags, and sl_conn_send past its direct case. The
 * reference for conn_send_direct below. */
static __rte_noinline int
conn_send(struct sl_conn *c, const void *data, uint32_t len, unsigned int flags)
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
	rc = txbuf_append_small(w, &f->tx, data, len);
	if (unlikely(rc != 0)) {
		wmark_untake(w, f, len);
		if (rc == -ENOBUFS)
			wmark_nobufs(w, f);
		return rc;
	}
	f->app_writes++;
	f->app_bytes += len;
	w->stats.tcp_app_writes++;
	w->stats.tcp_app_bytes += len;
	conn_flags_apply(w, f, flags);
	return 0;
}

int
sl_conn_send_flags(struct sl_conn *c, const void *data, uint32_t len, unsigned int flags)
{
	return conn_send(c, data, len, flags);
}

/*
 * sl_conn_send's usual case, a message of a few bytes that the water marks admit and
 * the send queue's tail (or an ACK's spare chunk) takes whole: conn_send's steps for it,
 * in its order of effect, with every test made before anything changes, so that any
 * other case (a refusal, a larger write, a producer's update between the read and the
 * compare-and-swap) can still go to conn_send from the start. No call on the way, and
 * so no stack frame: this runs in the application's callback once per message.
 * tests/unit/api/test_conn_api.c runs it against sl_conn_send_flags(c, ..., 0).
 */
static __rte_always_inline int
conn_send_direct(struct sl_conn *c, const void *data, uint32_t len)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;
	struct wmark_slot *s;
	struct rte_mbuf *chunk;
	uint64_t word, q;

	/* ESTABLISHED without a FIN queued (the gate flag, one test) can send; any other
	 * state asks conn_can_send. */
	if (unlikely(((f->flags & (TF_ESTAB | TF_FIN_QUEUED)) != TF_ESTAB && !conn_can_send(f)) ||
		     f->wr.open || len - 1 >= TXBUF_SMALL_MAX))
		return conn_send(c, data, len, 0);
	s = wmark_slot(w, f);
	/* wmark_take_gen's read and its admission, here for the worker's own generation. */
	word = __atomic_load_n(&s->word, __ATOMIC_SEQ_CST);
	chunk = txbuf_small_chunk(w, &f->tx, len);
	/* The generation is the flow's and neither SHUT nor WAIT is set (every bit above
	 * the count as wmark_gen_word(f->gen) has it), and the count is under the high
	 * mark: one compare, as the word XOR the generation's (q) is the count alone when
	 * the bits above it agree, and at least 2^32 (above any high mark) when not. */
	q = word ^ wmark_gen_word(f->gen);
	if (unlikely(chunk == NULL || q >= (uint64_t)__atomic_load_n(&s->high, __ATOMIC_RELAXED) ||
		     q + len > __atomic_load_n(&s->cap, __ATOMIC_RELAXED) ||
		     !__atomic_compare_exchange_n(&s->word, &word, word + len, false,
						  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)))
		return conn_send(c, data, len, 0);
	txbuf_small_place(w, &f->tx, chunk, data, len);
	/* Each pair of counters as two adds to memory: the barriers keep the compiler from
	 * making each pair one vector add (two loads into a vector register, the add, the
	 * store: five instructions where two do). */
	f->app_writes++;
	rte_compiler_barrier();
	f->app_bytes += len;
	w->stats.tcp_app_writes++;
	rte_compiler_barrier();
	w->stats.tcp_app_bytes += len;
	f->flags &= ~TF_MORE;		/* conn_flags_apply without flags */
	flow_mark_dirty(w, f);
	return 0;
}

int
sl_conn_send(struct sl_conn *c, const void *data, uint32_t len)
{
	return conn_send_direct(c, data, len);
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

int
sl_conn_set_cc(struct sl_conn *c, const char *name)
{
	const struct tcp_cc_ops *cc = name != NULL ? tcp_cc_find(name) : NULL;

	if (cc == NULL)
		return -EINVAL;
	tcp_cc_switch(conn_flow(c), cc);
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
	info->ecn = (f->ecn & TCP_ECN_OK) != 0;
	snprintf(info->cc, sizeof(info->cc), "%s", f->cc->name);
	info->recoveries = f->loss.recoveries;
	info->rack_lost = f->loss.rack_lost;
	info->tlp_sent = f->loss.tlp_sent;
	info->undo = f->loss.undo;
	info->rto = f->loss.rto;
	info->ece_reductions = f->loss.ece_reductions;
	info->dsack_rx = f->loss.dsack_rx;
	info->soft_error = f->soft_err;
}
