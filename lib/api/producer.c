/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * producer.c -- writers on other threads (sluice/producer.h).
 *
 * producer thread: sl_producer_send -> chan_reserve (room in the channel) ->
 *                  wmark_take_gen (count against the flow's water marks) -> chan_commit
 *                  (publish the record) [-> chan_wait when either is full]
 *                  sl_producer_send(timeout 0) -EAGAIN ... sl_producer_wait -> chan_notify_wait
 * worker:          sl_worker_poll -> worker_producers -> producer_drain -> producer_aborts
 *                  (reset requests, beside the channel) -> txbuf_append
 *                  ACK -> wmark_put -> wmark_wake_producers -> chan_wake
 *
 * All of a producer's channels share one wake-up (struct producer_notify), so a producer
 * waits on one word whatever worker may give it room: the blocking send and
 * sl_producer_wait alike. A refusal remembers the sequence it armed before its last
 * check, and sl_producer_wait waits for that sequence to move: a wake between the
 * -EAGAIN and the wait is never lost.
 *
 * A record's key is the flow's slot and generation; its tag the SL_SEND_* flags. The
 * worker checks the generation against the control block in that slot, so a record for
 * a connection that is gone (aborted, reset, timed out) is dropped and its bytes given
 * back, never queued on whatever connection uses the slot now; one accepted before a
 * shutdown is still sent, before the FIN.
 *
 * The channels are lib/chan/chan.c's double buffers. The worker claims nothing: producers
 * register their channels in free slots of each worker's table with a compare-and-swap,
 * and the worker frees a channel after its producer marked it closing and the worker
 * drained the last record, so neither side ever touches memory the other freed.
 */

#define SL_LOG_MODULE api	/* sluice.api (core/log.h) */

#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include <sluice/producer.h>

#include "chan/chan.h"
#include "api/producer_priv.h"
#include "api/api_priv.h"
#include "tcp/flow.h"
#include "tcp/txbuf.h"
#include "api/wmark.h"
#include "core/log.h"
#include "core/worker.h"

struct sl_producer {
	struct sl_stack *stack;
	unsigned int nb_workers;
	struct producer_notify *pn;	/* the wake-up all chans share */
	bool refused;			/* a send was refused since the last wake */
	uint32_t refused_seq;		/* the wake-up sequence armed before that refusal */
	bool wake_pending;		/* a later arm found the sequence moved past
					 * refused_seq: the wake came, wait returns at once */
	struct sl_producer_stats st;
	struct producer_chan *chans[];	/* one per worker */
};

static uint64_t
producer_key(uint32_t idx, uint32_t gen)
{
	return (uint64_t)idx << 32 | (gen & WM_GEN_MASK);
}

static int64_t
producer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the producer's side ---- */

/* Arm the wake-up of ch (all of p's channels share it) and return its sequence. Only a
 * wake that finds it armed bumps the sequence, and only this thread arms: between two
 * arms it moves at most once, so a move past refused_seq is seen at the next arm, long
 * before 2^31 bumps could bring it back (ABA). */
static uint32_t
producer_arm(struct sl_producer *p, struct chan *ch)
{
	uint32_t seq = chan_wake_seq(ch);

	if (p->refused && seq != p->refused_seq)
		p->wake_pending = true;
	return seq;
}

static void
producer_notify_put(struct producer_notify *pn)
{
	if (pn == NULL || __atomic_sub_fetch(&pn->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	chan_notify_fd_close(&pn->nt);
	rte_free(pn);
}

static void
producer_chan_free(struct producer_chan *pc)
{
	producer_notify_put(pc->pn);
	rte_free(pc);
}

/* Claim a free slot of w's table for pc. */
static int
producer_register(struct sl_worker *w, struct producer_chan *pc)
{
	uint32_t i, hi;

	for (i = 0; i < WORKER_MAX_PRODUCERS; i++) {
		struct producer_chan *expect = NULL;

		if (__atomic_compare_exchange_n(&w->pchans[i], &expect, pc, false,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			break;
	}
	if (i == WORKER_MAX_PRODUCERS)
		return -ENOSPC;
	hi = __atomic_load_n(&w->pchan_hi, __ATOMIC_RELAXED);
	while (hi < i + 1 &&
	       !__atomic_compare_exchange_n(&w->pchan_hi, &hi, i + 1, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
	/* After pchan_hi: the worker's iterations are slow ones from now on, and those test
	 * it (sl_worker_poll). */
	__atomic_fetch_or(&w->poll_remote, POLL_REMOTE_PRODUCERS, __ATOMIC_RELEASE);
	return 0;
}

struct sl_producer *
sl_producer_create(struct sl_stack *s, uint32_t bytes)
{
	unsigned int i, n = sl_stack_worker_count(s);
	struct sl_producer *p;
	uint32_t half = (bytes / 2) & ~7u;

	if (bytes < 4096 || bytes > (1u << 30)) {
		rte_errno = EINVAL;
		return NULL;
	}
	p = rte_zmalloc("sl_producer", sizeof(*p) + n * sizeof(p->chans[0]),
			RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	p->stack = s;
	p->nb_workers = n;
	p->pn = rte_zmalloc("sl_pnotify", sizeof(*p->pn), RTE_CACHE_LINE_SIZE);
	if (p->pn == NULL) {
		rte_free(p);
		rte_errno = ENOMEM;
		return NULL;
	}
	chan_notify_init(&p->pn->nt);
	p->pn->refs = 1;		/* the producer's */
	for (i = 0; i < n; i++) {
		struct sl_worker *w = sl_stack_worker(s, i);
		size_t sz = RTE_ALIGN_CEIL(sizeof(struct producer_chan), 64) +
			    chan_mem_size(half);
		struct producer_chan *pc = rte_zmalloc_socket("sl_pchan", sz, 64, w->socket);
		int rc;

		if (pc == NULL) {
			rte_errno = ENOMEM;
			goto fail;
		}
		pc->ch = chan_init((uint8_t *)pc + RTE_ALIGN_CEIL(sizeof(*pc), 64), half);
		chan_set_notify(pc->ch, &p->pn->nt);
		pc->pn = p->pn;
		__atomic_add_fetch(&p->pn->refs, 1, __ATOMIC_RELAXED);
		/* The release of the registration publishes the above to the worker. */
		rc = producer_register(w, pc);
		if (rc != 0) {
			producer_chan_free(pc);
			rte_errno = -rc;
			goto fail;
		}
		p->chans[i] = pc;
	}
	return p;
fail:
	sl_producer_destroy(p);
	return NULL;
}

void
sl_producer_destroy(struct sl_producer *p)
{
	unsigned int i;

	if (p == NULL)
		return;
	/* The worker frees each channel after draining it. */
	for (i = 0; i < p->nb_workers; i++)
		if (p->chans[i] != NULL)
			__atomic_store_n(&p->chans[i]->closing, 1, __ATOMIC_RELEASE);
	producer_notify_put(p->pn);
	rte_free(p);
}

void
sl_producer_stats(const struct sl_producer *p, struct sl_producer_stats *st)
{
	*st = p->st;
}

/* A send or abort is refused: remember the sequence armed before its last check, for
 * sl_producer_wait. Only the first refusal since the last wake: a later one may have
 * armed a sequence that a drain for the first one already moved past, and waiting for
 * that later sequence would sleep through the drain. The sequence only moves forward,
 * so the first is the one that misses nothing (at worst a spurious return). Its 31 bits
 * wrap, though: producer_arm notes the move the first time it sees it, so an old
 * refused_seq that the sequence came back to is never taken for "nothing happened". */
static int
producer_refused(struct sl_producer *p, uint32_t seq, int rc)
{
	if (!p->refused) {
		p->refused = true;
		p->refused_seq = seq;
	}
	p->st.refused++;
	return rc;
}

int
sl_producer_wait(struct sl_producer *p, int64_t timeout_us)
{
	bool slept;
	int rc;

	/* The fd first: a wake after this read (and after the check below) writes it
	 * again, so a caller polling it never misses one, and a stale write from an older
	 * episode does not keep it readable. */
	chan_notify_fd_drain(&p->pn->nt);
	if (!p->refused)
		return -EALREADY;
	if (!p->wake_pending) {
		rc = chan_notify_wait(&p->pn->nt, p->refused_seq, timeout_us, &slept);
		if (slept)
			p->st.waits++;
		if (rc != 0)
			return rc;
	}
	p->refused = false;
	p->wake_pending = false;
	p->st.wakes++;
	return 0;
}

int
sl_producer_fd(struct sl_producer *p)
{
	int fd = chan_notify_fd_open(&p->pn->nt);

	/* Opened after a refusal: the wake for it may have come before the fd existed and
	 * written nothing. Readable now if a wait would return at once. */
	if (fd >= 0 && p->refused) {
		if (p->wake_pending)
			chan_notify_fd_kick(&p->pn->nt);
		else
			chan_notify_fd_catch_up(&p->pn->nt, p->refused_seq);
	}
	return fd;
}

/* The slot of a reference, or NULL if the stack has no such worker or slot. */
static struct wmark_slot *
producer_ref_slot(const struct sl_producer *p, struct sl_conn_ref ref)
{
	struct sl_worker *w;

	if (ref.worker >= p->nb_workers)
		return NULL;
	w = sl_stack_worker(p->stack, ref.worker);
	if (ref.idx >= w->tcp.max_flows)
		return NULL;
	return &w->tcp.slots[ref.idx];
}

int
sl_producer_abort(struct sl_producer *p, struct sl_conn_ref ref)
{
	struct producer_chan *pc;
	uint32_t seq = 0, head;
	int i;

	if (producer_ref_slot(p, ref) == NULL)
		return -EINVAL;
	pc = p->chans[ref.worker];
	head = __atomic_load_n(&pc->abort_head, __ATOMIC_RELAXED);	/* ours */
	/* As sl_producer_send: try, arm, try again, so that a refusal can be waited for
	 * (the worker wakes after it takes requests out: producer_aborts). seq_cst: the
	 * load after the arm is ordered after it (chan.h, protocol 4). */
	for (i = 0; i < 2; i++) {
		if (i == 1)
			seq = producer_arm(p, pc->ch);
		if (head - __atomic_load_n(&pc->abort_tail, __ATOMIC_SEQ_CST) < PRODUCER_ABORTS) {
			pc->aborts[head % PRODUCER_ABORTS] = producer_key(ref.idx, ref.gen);
			/* Release: the key before the head that announces it. */
			__atomic_store_n(&pc->abort_head, head + 1, __ATOMIC_RELEASE);
			p->st.aborts++;
			return 0;
		}
	}
	p->st.full++;
	return producer_refused(p, seq, -EAGAIN);
}

int
sl_producer_backlog(const struct sl_producer *p, struct sl_conn_ref ref,
		    struct sl_producer_backlog *bl)
{
	const struct wmark_slot *s = producer_ref_slot(p, ref);
	uint64_t word;

	if (s == NULL)
		return -EINVAL;
	word = __atomic_load_n(&s->word, __ATOMIC_RELAXED);
	if ((word >> WM_GEN_SHIFT) != (ref.gen & WM_GEN_MASK) || (word & WM_SHUT))
		return -EPIPE;
	bl->queued = (uint32_t)(word & WM_QUEUED);
	bl->refusing = (word & WM_WAIT) != 0;
	bl->high = __atomic_load_n(&s->high, __ATOMIC_RELAXED);
	bl->max = __atomic_load_n(&s->cap, __ATOMIC_RELAXED);
	return 0;
}

int
sl_producer_send(struct sl_producer *p, struct sl_conn_ref ref, const void *data,
		 uint32_t len, unsigned int flags, int64_t timeout_us)
{
	struct producer_chan *pc;
	struct wmark_slot *slot;
	struct sl_worker *w;
	int64_t deadline = 0;
	struct chan *ch;
	int rc;

	if (ref.worker >= p->nb_workers)
		return -EINVAL;
	w = sl_stack_worker(p->stack, ref.worker);
	if (ref.idx >= w->tcp.max_flows)
		return -EINVAL;
	flags &= SL_SEND_MORE | SL_SEND_FLUSH;	/* the other tag bits are requests */
	pc = p->chans[ref.worker];
	ch = pc->ch;
	if (len > chan_max_record(ch))
		return -EMSGSIZE;
	slot = &w->tcp.slots[ref.idx];
	if (timeout_us > 0)
		deadline = producer_now_us() + RTE_MIN(timeout_us, PRODUCER_TIMEOUT_MAX_US);
	for (bool armed = false;; armed = !armed) {
		/* The first attempt is the fast path. Before the second, arm the wake-up:
		 * a wake after the attempt moves the sequence on, so the wait below
		 * returns at once instead of missing it (chan.h, chan_wake_seq). */
		uint32_t seq = armed ? producer_arm(p, ch) : 0;
		int64_t left = -1;
		void *dst;

		/* Room in the channel first, then the water marks: counted bytes are
		 * published at once, never held while this thread waits. Bytes counted and
		 * then given back from here could hide a refusal's drain to the low mark
		 * from the worker, which alone raises the edge events. An abandoned
		 * reservation is reused by the next one. */
		dst = chan_reserve(ch, len);
		if (dst != NULL) {
			rc = wmark_take_gen(slot, ref.gen, len);
			if (rc == 0) {
				if (len != 0)
					memcpy(dst, data, len);
				chan_commit(ch, producer_key(ref.idx, ref.gen), flags);
				p->st.records++;
				p->st.bytes += len;
				return 0;
			}
			if (rc != -EAGAIN) {
				if (rc == -EPIPE)
					p->st.pipe++;
				return rc;
			}
		}
		if (!armed)
			continue;
		p->st.full++;
		if (timeout_us == 0)
			return producer_refused(p, seq, -EAGAIN);
		if (timeout_us > 0) {
			left = deadline - producer_now_us();
			if (left <= 0) {
				p->st.timeouts++;
				return producer_refused(p, seq, -ETIMEDOUT);
			}
		}
		p->st.waits++;
		chan_wait(ch, seq, left);
	}
}

/* ---- the worker's side ---- */

/* sl_producer_abort's request: reset the flow if it is still the one the producer
 * named. */
static void
producer_abort_flow(struct sl_worker *w, uint64_t key)
{
	uint32_t idx = (uint32_t)(key >> 32), gen = (uint32_t)key;
	struct tcp_flow *f = idx < w->tcp.max_flows ? w->tcp.by_idx[idx] : NULL;

	/* Already closed (another producer's request, the peer's RST): nothing to do,
	 * and nothing to count twice. */
	if (f == NULL || f->w != w || (f->gen & WM_GEN_MASK) != gen ||
	    f->state == SL_TCP_CLOSED || (f->flags & TF_CLOSE_DONE))
		return;
	w->stats.prod_aborts++;
	SL_LOG_RL(INFO, "worker %u: conn " SL_IP4_FMT ":%u slot %u gen %u: reset at a "
		  "producer's request", w->id, SL_IP4_ARGS(f->key.raddr),
		  rte_be_to_cpu_16(f->key.rport), f->idx, gen);
	sl_conn_abort(flow_conn(f));
}

/* A channel's reset requests, before its records: a reset overtakes the records
 * submitted before it (they are dropped as closed: the reset discards queued bytes
 * anyway), and is never held behind a record the worker cannot queue. */
static unsigned int
producer_aborts(struct sl_worker *w, struct producer_chan *pc)
{
	uint32_t tail = __atomic_load_n(&pc->abort_tail, __ATOMIC_RELAXED);	/* ours */
	uint32_t head = __atomic_load_n(&pc->abort_head, __ATOMIC_ACQUIRE);
	unsigned int n = head - tail;

	if (n == 0)
		return 0;
	for (; tail != head; tail++)
		producer_abort_flow(w, pc->aborts[tail % PRODUCER_ABORTS]);
	/* seq_cst: the room made is the condition change of chan.h's protocol 4, before
	 * the wake of a producer refused for want of it. */
	__atomic_store_n(&pc->abort_tail, tail, __ATOMIC_SEQ_CST);
	chan_wake(pc->ch);
	return n;
}

/* Queue one record on its connection: 0 consumed (queued or dropped), < 0 retry. */
static int
producer_record_queue(struct sl_worker *w, const struct chan_rec *r)
{
	uint32_t idx = (uint32_t)(r->key >> 32), gen = (uint32_t)r->key;
	struct tcp_flow *f = idx < w->tcp.max_flows ? w->tcp.by_idx[idx] : NULL;
	int rc;

	if (f == NULL || f->w != w || (f->gen & WM_GEN_MASK) != gen || !conn_takes_handoff(f)) {
		/* Gone, aborted, or reused: give the bytes back to the generation that
		 * counted them (a no-op when the slot moved on). */
		if (idx < w->tcp.max_flows)
			wmark_untake_gen(&w->tcp.slots[idx], gen, r->len);
		w->stats.prod_drop_closed++;
		return 0;
	}
	/* A message being encoded owns the tail of the queue (never the case between
	 * callbacks, where this phase runs, but keep it safe): retry later. */
	if (f->wr.open)
		return -EBUSY;
	rc = txbuf_append(w, &f->tx, r->data, r->len);
	if (rc != 0) {
		if (txbuf_chunks_for(w, r->len) <= w->tcp.txbuf_mbufs_max) {
			w->stats.prod_stall++;
			return rc;	/* fits once the send queues drain */
		}
		/* Larger than all the send queues' mbufs together: it would block the
		 * channel forever. The stream cannot go on without it: reset. */
		wmark_untake_gen(&w->tcp.slots[idx], gen, r->len);
		w->stats.prod_drop_big++;
		sl_conn_abort(flow_conn(f));
		return 0;
	}
	f->app_writes++;
	f->app_bytes += r->len;
	w->stats.tcp_app_writes++;
	w->stats.tcp_app_bytes += r->len;
	w->stats.prod_records++;
	w->stats.prod_bytes += r->len;
	conn_send_flags(w, f, r->tag & (SL_SEND_MORE | SL_SEND_FLUSH));
	return 0;
}

static unsigned int
producer_drain_chan(struct sl_worker *w, struct producer_chan *pc)
{
	struct chan_rec r;
	unsigned int n = 0;

	while (n < PRODUCER_DRAIN_RECORDS && chan_peek(pc->ch, &r)) {
		if (producer_record_queue(w, &r) != 0)
			break;		/* keep it: order per flow is FIFO */
		chan_pop(pc->ch);
		n++;
	}
	return n;
}

unsigned int
producer_drain(struct sl_worker *w)
{
	uint32_t i, hi = __atomic_load_n(&w->pchan_hi, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	for (i = 0; i < hi; i++) {
		struct producer_chan *pc = __atomic_load_n(&w->pchans[i], __ATOMIC_ACQUIRE);

		if (pc == NULL)
			continue;
		/* Closing is read before draining: a record published before the producer
		 * let go is then seen by this drain. */
		if (__atomic_load_n(&pc->closing, __ATOMIC_ACQUIRE)) {
			n += producer_aborts(w, pc);
			n += producer_drain_chan(w, pc);
			if (chan_empty(pc->ch)) {
				__atomic_store_n(&w->pchans[i], NULL, __ATOMIC_RELEASE);
				producer_chan_free(pc);
			}
			continue;
		}
		n += producer_aborts(w, pc);
		n += producer_drain_chan(w, pc);
	}
	return n;
}

void
wmark_wake_producers(struct sl_worker *w)
{
	uint32_t i, hi = __atomic_load_n(&w->pchan_hi, __ATOMIC_ACQUIRE);

	for (i = 0; i < hi; i++) {
		struct producer_chan *pc = __atomic_load_n(&w->pchans[i], __ATOMIC_ACQUIRE);

		if (pc != NULL)
			chan_wake(pc->ch);
	}
}

void
producer_fini(struct sl_worker *w)
{
	uint32_t i;

	for (i = 0; i < WORKER_MAX_PRODUCERS; i++) {
		struct producer_chan *pc = w->pchans[i];

		if (pc == NULL)
			continue;
		/* Records left undrained: nothing will send them now. */
		w->pchans[i] = NULL;
		producer_chan_free(pc);
	}
	w->pchan_hi = 0;
}
