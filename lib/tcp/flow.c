/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow.c -- connections of a worker: the flow table, control blocks, listeners, and the
 * two lists that connect TCP processing to the later phases of the poll loop:
 *
 *   ready  flows with application events (delivered by conn_deliver)
 *   dirty  flows with output to produce (tcp_output, once per flow per iteration)
 *
 * Control blocks come from a per-worker mempool created at start; each has a fixed slot
 * index and a generation that changes whenever the slot is reused, so other threads can
 * name a flow by (index, generation) and never reach a recycled one. The table is an
 * rte_hash on the 4-tuple with a random seed, so a peer cannot aim for collisions.
 *
 * A control block is freed when TCP is done with it (state CLOSED, TIME-WAIT included)
 * and the application has been told (on_close delivered, or never owed). When the table
 * is full, the oldest TIME-WAIT connection makes room.
 */

#define SL_LOG_MODULE tcp	/* sluice.tcp (core/log.h) */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "api/api_priv.h"
#include "api/wmark.h"
#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "net/cksum.h"
#include "net/ipv4_direct.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_mem.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"

/* The hot lines of struct tcp_flow (flow.h, TCP_FLOW_HOT_MASK): each group a request
 * touches lies in them, and the fields it never touches outside them. */
#define FLOW_LINES(field)							\
	((((UINT32_C(1) << ((offsetof(struct tcp_flow, field) +			\
			     sizeof(((struct tcp_flow *)0)->field) - 1) / RTE_CACHE_LINE_SIZE + 1)) - 1) & \
	  ~((UINT32_C(1) << (offsetof(struct tcp_flow, field) / RTE_CACHE_LINE_SIZE)) - 1)))
#define FLOW_HOT(field)								\
	_Static_assert((FLOW_LINES(field) & ~TCP_FLOW_HOT_MASK) == 0,		\
		       "struct tcp_flow: " #field " left the hot lines")
#define FLOW_COLD(field)							\
	_Static_assert((FLOW_LINES(field) & TCP_FLOW_HOT_MASK) == 0,		\
		       "struct tcp_flow: " #field " is in a hot line")
/* The straddling groups: the hot parts in, the cold parts out. */
FLOW_COLD(rec.undo_dsacked);
FLOW_HOT(rec.undo_ok);
FLOW_HOT(rec.rack_min_rtt);
FLOW_HOT(ooo.nsegs);
FLOW_HOT(ooo.bytes);
FLOW_COLD(ooo.head);
FLOW_COLD(wr.resv);
FLOW_HOT(wr.open);
FLOW_HOT(sb.n);
FLOW_HOT(sb.rec[0]);
FLOW_COLD(sb.rec[2]);
/* The hot groups between them. */
FLOW_HOT(key);
FLOW_HOT(flags);
FLOW_HOT(recover);
FLOW_HOT(close_reason);
FLOW_HOT(rtt_start);
FLOW_HOT(rx);
FLOW_HOT(tx);
FLOW_HOT(unacked_since);
FLOW_HOT(ready_link);
FLOW_HOT(w);
FLOW_HOT(wheel_at);
FLOW_HOT(cc_state);
FLOW_HOT(fr);
FLOW_HOT(data_segs);
/* What only the timer phase, loss, ECN, corking or the producers read. */
FLOW_COLD(wheel_link);
FLOW_COLD(ka_at);
FLOW_COLD(wheel_slot);
FLOW_COLD(snd_cap);
FLOW_COLD(max_snd_wnd);
FLOW_COLD(cork_us);
FLOW_COLD(ecn_high);
FLOW_COLD(tw_at);
FLOW_COLD(asm_at);

uint64_t
tcp_rand(struct sl_worker *w)
{
	return splitmix64(&w->tcp.rng);
}

static void
tcb_obj_init(struct rte_mempool *mp __rte_unused, void *arg, void *obj, unsigned int idx)
{
	struct sl_worker *w = arg;
	struct tcp_flow *f = obj;

	memset(f, 0, sizeof(*f));
	f->idx = idx;
	w->tcp.by_idx[idx] = f;
}

int
tcp_worker_init(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	const struct sl_config *cfg = w->cfg;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint64_t seed = cfg->seed;
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(cfg->max_flows, 16u),
		.key_len = sizeof(struct flow_key),
		.hash_func = rte_jhash,
		.socket_id = w->socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	unsigned int i;
	int off;

	off = mbuf_dyn_register();
	if (off < 0) {
		SL_LOG(ERR, "cannot register the mbuf dynamic field: %s", rte_strerror(-off));
		return off;
	}
	t->mdyn = off;
	t->cc = tcp_cc_find(cfg->cc);
	t->ack_now_segs = cfg->delack_us == 0 ? 0 : cfg->delack_segs;
	t->ack_now_flags = cfg->ack_on_push ? RTE_TCP_PSH_FLAG : 0;
	if (t->cc == NULL) {
		SL_LOG(ERR, "unknown congestion control '%s' (one of %s)", cfg->cc,
		       tcp_cc_names());
		return -EINVAL;
	}
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = rte_rdtsc();
	seed += w->id * 0x1000193ULL;
	t->isn_key.k0 = splitmix64(&seed);
	t->isn_key.k1 = splitmix64(&seed);
	t->cookie_key.k0 = splitmix64(&seed);
	t->cookie_key.k1 = splitmix64(&seed);
	t->rng = splitmix64(&seed);
	hp.hash_func_init_val = (uint32_t)splitmix64(&seed);

	t->max_flows = cfg->max_flows;
	/* The configuration guarantees this is above zero. */
	t->txbuf_mbufs_max = cfg->mbufs - ((uint32_t)cfg->rx_desc + cfg->tx_desc +
					   cfg->tx_queue_max);
	tcp_mem_init(w);
	/* Spares smaller than the worker's own mbufs, or without the standard headroom, are
	 * not kept (seg_spares.h); without a pool (unit tests of parts), none are. */
	t->seg_spares.buf_len = w->pool != NULL ?
		RTE_MAX(rte_pktmbuf_data_room_size(w->pool), (uint16_t)RTE_PKTMBUF_HEADROOM) :
		UINT16_MAX;
	t->by_idx = rte_zmalloc_socket("sl_flows", sizeof(*t->by_idx) * t->max_flows,
				       RTE_CACHE_LINE_SIZE, w->socket);
	t->slots = rte_zmalloc_socket("sl_wmark", sizeof(*t->slots) * t->max_flows,
				      RTE_CACHE_LINE_SIZE, w->socket);
	if (t->slots == NULL) {
		rte_free(t->by_idx);
		t->by_idx = NULL;
	}
	snprintf(name, sizeof(name), "sl_tcb_p%u_w%u", w->port_id, w->id);
	if (t->by_idx != NULL)
		t->tcb_pool = rte_mempool_create(name, t->max_flows, sizeof(struct tcp_flow), 0,
						 0, NULL, NULL, tcb_obj_init, w, w->socket,
						 RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	snprintf(name, sizeof(name), "sl_flows_p%u_w%u", w->port_id, w->id);
	if (t->tcb_pool != NULL)
		t->flows = rte_hash_create(&hp);
	if (t->flows == NULL) {
		SL_LOG(ERR, "worker %u: cannot allocate a %u-connection flow table (%zu bytes "
		       "per connection): reserve more hugepages or lower --max-flows", w->id,
		       t->max_flows, sizeof(struct tcp_flow));
		return -ENOMEM;
	}
	TAILQ_INIT(&t->ready);
	TAILQ_INIT(&t->dirty);
	TAILQ_INIT(&t->timewait);
	TAILQ_INIT(&t->deferred);
	for (i = 0; i < TCP_WHEEL_SLOTS; i++)
		TAILQ_INIT(&t->wheel[i]);
	memset(t->wheel_used, 0, sizeof(t->wheel_used));
	t->wheel_tick = 0;
	t->wheel_cur_next = 0;
	t->wheel_empty_to = 0;
	t->wheel_run_at = 0;
	t->next_port = (uint16_t)(cfg->port_min +
				  tcp_rand(w) % ((uint32_t)cfg->port_max - cfg->port_min + 1));
	return 0;
}

void
tcp_worker_fini(struct sl_worker *w)
{
	struct tcp_worker *t = &w->tcp;
	uint32_t i;

	if (t->by_idx != NULL && t->tcb_pool != NULL) {
		for (i = 0; i < t->max_flows; i++) {
			struct tcp_flow *f = t->by_idx[i];

			if (f != NULL && f->w == w) {
				framing_flow_fini(&f->fr);
				rxbuf_free(w, &f->rx);
				txbuf_free(w, &f->tx);
				tcp_ooo_free(w, f);
			}
		}
	}
	txbuf_spares_release(w);
	seg_spares_release(&t->seg_spares);
	rte_hash_free(t->flows);
	rte_mempool_free(t->tcb_pool);
	rte_free(t->by_idx);
	rte_free(t->slots);
	t->slots = NULL;
	t->flows = NULL;
	t->tcb_pool = NULL;
	t->by_idx = NULL;
}

static uint8_t
tcp_our_wscale(const struct sl_config *cfg)
{
	uint8_t ws = 0;

	while (ws < 14 && (cfg->rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

void
tcp_flow_init(struct sl_worker *w, struct tcp_flow *f)
{
	const struct sl_config *cfg = w->cfg;

	f->rcv_buf = cfg->rcvbuf;
	wmark_flow_init(w, f);
	f->flush_mode = (uint8_t)cfg->flush;
	f->cork_us = cfg->cork_us;
	f->rto = cfg->rto_initial_us;
	f->mss = (uint16_t)(cfg->mtu - 40);
	f->ts_off = tcp_ts_offset(w, &f->key);
	f->last_rx_us = w->clock.now_us;
	f->ka_idle_us = cfg->keepalive_idle_s * 1000000u;
	f->ka_intvl_us = cfg->keepalive_intvl_s * 1000000u;
	f->ka_probes = (uint8_t)RTE_MIN(cfg->keepalive_probes, (uint16_t)255);
	if (cfg->keepalive)
		f->flags |= TF_KEEPALIVE;
	if (cfg->wscale)
		f->rcv_ws = tcp_our_wscale(cfg);
	f->cc = w->tcp.cc;
	f->cc->init(f);
}

struct tcp_flow *
flow_lookup(struct sl_worker *w, const struct flow_key *k)
{
	struct tcp_flow *f = w->tcp.last_hit;
	void *data;

	if (likely(f != NULL) && f->key.raddr == k->raddr && f->key.laddr == k->laddr &&
	    f->key.rport == k->rport && f->key.lport == k->lport)
		return f;
	if (rte_hash_lookup_data(w->tcp.flows, k, &data) < 0)
		return NULL;
	w->tcp.last_hit = data;
	return data;
}

static void
flow_list_remove(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_worker *t = &w->tcp;

	if (f->flags & TF_READY)
		TAILQ_REMOVE(&t->ready, f, ready_link);
	if (f->flags & TF_DIRTY)
		TAILQ_REMOVE(&t->dirty, f, dirty_link);
	if (f->flags & TF_ORPHAN_TW) {
		TAILQ_REMOVE(&t->timewait, f, tw_link);
		t->ntimewait--;
	}
	if (f->flags & TF_DEFERRED)
		TAILQ_REMOVE(&t->deferred, f, ready_link);
	f->flags &= ~(TF_READY | TF_DIRTY | TF_ORPHAN_TW | TF_DEFERRED);
}

void
flow_release(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_worker *t = &w->tcp;

	if (f->listener != NULL && f->state == SL_TCP_SYN_RCVD)
		f->listener->syn_rcvd--;
	flow_list_remove(w, f);
	tcp_timer_remove(w, f);
	rte_hash_del_key(t->flows, &f->key);
	if (t->last_hit == f)
		t->last_hit = NULL;
	t->rx_hint_n = 0;	/* f may be one of them: no hint outlives a release */
	wmark_shut(w, f);	/* no edge events from what writer_forget gives back */
	writer_forget(&f->wr);
	framing_flow_fini(&f->fr);
	rxbuf_free(w, &f->rx);
	txbuf_free(w, &f->tx);
	tcp_ooo_free(w, f);
	f->w = NULL;
	f->gen++;
	wmark_slot_reset(w, f);
	flow_set_state(f, SL_TCP_CLOSED);
	t->nflows--;
	rte_mempool_put(t->tcb_pool, f);
}

/* Make room by evicting the oldest TIME-WAIT connection the application is done with. */
static bool
flow_evict_timewait(struct sl_worker *w)
{
	struct tcp_flow *f;

	TAILQ_FOREACH(f, &w->tcp.timewait, tw_link) {
		if (f->flags & TF_CLOSE_DONE) {
			w->stats.tcp_timewait_evict++;
			flow_release(w, f);
			return true;
		}
	}
	return false;
}

struct tcp_flow *
flow_create(struct sl_worker *w, const struct flow_key *k)
{
	struct tcp_worker *t = &w->tcp;
	struct tcp_flow *f;
	void *obj;
	uint32_t idx, gen;

	if (t->nflows >= t->max_flows && !flow_evict_timewait(w)) {
		w->stats.tcp_flows_full++;
		return NULL;
	}
	if (rte_mempool_get(t->tcb_pool, &obj) != 0) {
		w->stats.tcp_flows_full++;
		return NULL;
	}
	f = obj;
	idx = f->idx;
	gen = f->gen;
	memset(f, 0, sizeof(*f));
	f->idx = idx;
	f->gen = gen;
	f->key = *k;
	f->tx_phsum = cksum_fold64(cksum_ipv4_phdr64(k->laddr, k->raddr, IPPROTO_TCP, 0));
	f->tx_ipsum = ipv4_direct_sum_const(w, k->raddr, IPPROTO_TCP);
	f->created_us = w->clock.now_us;
	f->w = w;
	f->flags = TF_CLOSE_DONE;	/* nothing owed until the application knows it */
	if (rte_hash_add_key_data(t->flows, k, f) < 0) {
		w->stats.tcp_flows_full++;
		rte_mempool_put(t->tcb_pool, f);
		return NULL;
	}
	t->nflows++;
	return f;
}

void
flow_defer(struct sl_worker *w, struct tcp_flow *f)
{
	/* Both lists use ready_link, so a flow must never be on both. One already on the
	 * ready list (a callback queued an event for it) gets its data delivered there. */
	if (f->flags & TF_READY) {
		f->events |= EV_DATA;
		return;
	}
	if (f->flags & TF_DEFERRED)
		return;
	f->flags |= TF_DEFERRED;
	TAILQ_INSERT_TAIL(&w->tcp.deferred, f, ready_link);
	w->poll_slow |= POLL_SLOW_DEFERRED;
}

void
flow_closed(struct sl_worker *w, struct tcp_flow *f, enum sl_close_reason why)
{
	if (f->state == SL_TCP_SYN_RCVD && f->listener != NULL)
		f->listener->syn_rcvd--;
	f->listener = NULL;
	flow_set_state(f, SL_TCP_CLOSED);
	f->rtx_at = f->delack_at = f->ka_at = f->tw_at = f->cork_at = f->asm_at = 0;
	wmark_shut(w, f);
	tcp_timer_remove(w, f);
	if (f->flags & TF_DIRTY) {
		TAILQ_REMOVE(&w->tcp.dirty, f, dirty_link);
		f->flags &= ~TF_DIRTY;
	}
	SL_LOG_RL(DEBUG, "conn " SL_IP4_FMT ":%u > " SL_IP4_FMT ":%u slot %u closed: %s",
		  SL_IP4_ARGS(f->key.raddr), rte_be_to_cpu_16(f->key.rport),
		  SL_IP4_ARGS(f->key.laddr), rte_be_to_cpu_16(f->key.lport), f->idx,
		  sl_close_reason_str(why));
	w->stats.tcp_conn_closed++;
	if (why == SL_CLOSE_RESET)
		w->stats.tcp_conn_reset++;
	else if (why == SL_CLOSE_TIMEOUT)
		w->stats.tcp_conn_timeout++;
	if (!(f->flags & TF_CLOSE_DONE)) {
		/* The application hears about it in the delivery phase, which frees it. */
		f->close_reason = (uint8_t)why;
		flow_mark_ready(w, f, EV_CLOSE);
		return;
	}
	flow_release(w, f);
}

void
flow_state_note(const struct tcp_flow *f, uint8_t to)
{
	if (f->state == to)
		return;
	SL_LOG_RL(DEBUG, "conn " SL_IP4_FMT ":%u > " SL_IP4_FMT ":%u slot %u: %s -> %s",
		  SL_IP4_ARGS(f->key.raddr), rte_be_to_cpu_16(f->key.rport),
		  SL_IP4_ARGS(f->key.laddr), rte_be_to_cpu_16(f->key.lport), f->idx,
		  sl_tcp_state_str((enum sl_tcp_state)f->state),
		  sl_tcp_state_str((enum sl_tcp_state)to));
}

void
flow_enter_timewait(struct sl_worker *w, struct tcp_flow *f)
{
	struct tcp_worker *t = &w->tcp;

	if (f->state == SL_TCP_SYN_RCVD && f->listener != NULL)
		f->listener->syn_rcvd--;
	flow_set_state(f, SL_TCP_TIME_WAIT);
	f->rtx_at = f->ka_at = 0;
	f->flags &= ~TF_PERSIST;
	f->tw_at = w->clock.now_us + 2ull * w->cfg->msl_ms * 1000;
	tcp_timer_arm(w, f);
	/* Nothing more will be sent but ACKs: free the send queue now. */
	wmark_shut(w, f);	/* first: what is given back below owes no on_writable */
	writer_forget(&f->wr);
	wmark_put(w, f, f->tx.bytes);
	txbuf_free(w, &f->tx);
	tcp_ooo_free(w, f);
	if (!(f->flags & TF_ORPHAN_TW)) {
		f->flags |= TF_ORPHAN_TW;
		TAILQ_INSERT_TAIL(&t->timewait, f, tw_link);
		t->ntimewait++;
	}
	w->stats.tcp_conn_closed++;
	if (!(f->flags & TF_CLOSE_DONE)) {
		f->close_reason = SL_CLOSE_NORMAL;
		flow_mark_ready(w, f, EV_CLOSE);
	}
}

struct tcp_listener *
listener_find(struct sl_worker *w, uint16_t port)
{
	uint8_t i = w->tcp.listen_map[port];

	if (unlikely(w->tcp.listen_closed))
		return NULL;		/* draining (api/drain.c): closed, answered with RST */
	return i != 0 ? &w->tcp.listeners[i - 1] : NULL;
}
