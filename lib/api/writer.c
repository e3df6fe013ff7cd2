/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * writer.c -- messages written straight into a connection's send queue.
 *
 * sl_conn_send_msg -> serializer encode() -> sl_writer_* -> (end) txbuf bytes -> tcp_output
 *
 * A message is a transaction on the send queue (txbuf.c): its bytes go into the tailroom
 * of the last chunk and into new chunks, but txbuf.bytes, the count TCP output sends
 * from, grows only at the end. Until then TCP cannot see them, so holes can be patched
 * and an abort simply cuts the queue back to where the message began. The same
 * guarantee makes a writer short-lived: it must be ended before control returns to the
 * poll loop (an ACK freeing queue chunks must never meet an open message); one left open
 * is withdrawn at the next poll and counted.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "framing/framing_priv.h"
#include "api/api_priv.h"
#include "tcp/flow.h"
#include "tcp/tcp_mem.h"
#include "tcp/tcp_out.h"
#include "tcp/txbuf.h"
#include "api/wmark.h"
#include "core/worker.h"

/* Room left for the open message under the queue's hard cap (wmark.h). A message's bytes
 * are counted as they are written (and a reserve's as soon as it is handed out), so the
 * count already includes them and producers on other threads cannot take the same room. */
static uint32_t
writer_room(const struct sl_writer *wr)
{
	uint32_t q = wmark_queued(wr->f->w, wr->f);

	return q >= wr->f->snd_cap ? 0 : wr->f->snd_cap - q;
}

/* Give back what a reserve counted and its commit did not use. */
static void
writer_unreserve(struct sl_writer *wr, uint32_t used)
{
	wmark_untake(wr->f->w, wr->f, wr->resv - used);
	wr->resv = 0;
}

/* n more bytes of the open message do not fit under the hard cap now: -EMSGSIZE if the
 * message could never fit, else -EAGAIN with the refusal's edge owed (wmark_refuse): the
 * application aborts the message and retries on on_writable. */
static int
writer_refuse(struct sl_writer *wr, uint32_t n)
{
	if ((uint64_t)wr->len + wr->resv + n > wr->f->snd_cap)
		return -EMSGSIZE;
	wmark_refuse(wr->f->w, wr->f);
	return -EAGAIN;
}

static void
writer_untrack(struct sl_worker *w, struct sl_writer *wr)
{
	unsigned int i;

	for (i = 0; i < w->nopen_writers; i++) {
		if (w->open_writers[i] == wr) {
			w->open_writers[i] = w->open_writers[--w->nopen_writers];
			if (w->nopen_writers == 0)
				w->poll_slow &= ~POLL_SLOW_WRITERS;
			return;
		}
	}
}

struct sl_writer *
sl_conn_writer_begin(struct sl_conn *c)
{
	struct tcp_flow *f = conn_flow(c);
	struct sl_worker *w = f->w;
	struct sl_writer *wr = &f->wr;
	int rc;

	if (!conn_can_send(f)) {
		rte_errno = EPIPE;
		return NULL;
	}
	if (wr->open || w->nopen_writers == WORKER_MAX_WRITERS) {
		rte_errno = EBUSY;
		return NULL;
	}
	/* Admission before the message, at the high mark (a zero-byte take: refused, it
	 * owes on_writable as a refused send does); the message itself may take the queue
	 * up to the hard cap. */
	rc = wmark_take(w, f, 0);
	if (rc != 0) {
		rte_errno = -rc;
		return NULL;
	}
	wr->f = f;
	wr->prev_tail = f->tx.q.tail;
	wr->prev_len = wr->prev_tail != NULL ? wr->prev_tail->data_len : 0;
	wr->prev_n = f->tx.q.n;
	wr->len = 0;
	wr->resv = 0;
	wr->open = true;
	w->open_writers[w->nopen_writers++] = wr;
	w->poll_slow |= POLL_SLOW_WRITERS;
	return wr;
}

static struct rte_mbuf *
writer_chunk(struct sl_writer *wr)
{
	struct tcp_flow *f = wr->f;
	struct sl_worker *w = f->w;
	struct rte_mbuf *m;

	/* The send queues' share of the pool, as for sl_conn_send() (txbuf.c). Either
	 * refusal is -ENOBUFS to the application, and owes it on_writable to retry from. */
	if (w->tcp.txbuf_mbufs >= w->tcp.txbuf_mbufs_lim && !tcp_mem_snd_admit(w, &f->tx, 1)) {
		w->stats.tcp_txbuf_full++;
		wmark_nobufs(w, f);
		return NULL;
	}
	m = txbuf_chunk_take(w);
	if (m == NULL) {
		wmark_nobufs(w, f);
		return NULL;
	}
	mbuf_fifo_push(&f->tx.q, m, w->tcp.mdyn);
	w->tcp.txbuf_mbufs++;
	return m;
}

void *
sl_writer_reserve(struct sl_writer *wr, uint32_t min, uint32_t *got)
{
	struct rte_mbuf *t = wr->f->tx.q.tail;
	unsigned int tries;
	uint32_t n;

	if (!wr->open || min > SL_WRITER_MAX_CONTIG) {
		rte_errno = wr->open ? EINVAL : EPIPE;
		return NULL;
	}
	writer_unreserve(wr, 0);	/* a reserve never committed is dropped */
	if (min > writer_room(wr))
		goto refused;
	if (t == NULL || rte_pktmbuf_tailroom(t) < min) {
		t = writer_chunk(wr);
		if (t == NULL) {
			rte_errno = ENOBUFS;
			return NULL;
		}
	}
	/* Count what we hand out; a producer taking room meanwhile makes us retry. */
	for (tries = 0; tries < 4; tries++) {
		n = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(t), writer_room(wr));
		if (n < min)
			break;
		if (wmark_take_capped(wr->f->w, wr->f, n)) {
			wr->resv = n;
			*got = n;
			return rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len);
		}
	}
refused:
	rte_errno = -writer_refuse(wr, min);
	return NULL;
}

void
sl_writer_commit(struct sl_writer *wr, uint32_t n)
{
	struct rte_mbuf *t = wr->f->tx.q.tail;

	if (n > wr->resv)
		n = wr->resv;	/* more than reserved would overrun the chunk */
	writer_unreserve(wr, n);
	t->data_len = (uint16_t)(t->data_len + n);
	t->pkt_len += n;
	wr->len += n;
}

int
sl_writer_write(struct sl_writer *wr, const void *src, uint32_t n)
{
	const uint8_t *s = src;

	if (!wr->open)
		return -EPIPE;
	writer_unreserve(wr, 0);
	if (!wmark_take_capped(wr->f->w, wr->f, n))
		return writer_refuse(wr, n);
	while (n > 0) {
		struct rte_mbuf *t = wr->f->tx.q.tail;
		uint32_t k = t != NULL ? rte_pktmbuf_tailroom(t) : 0;

		if (k == 0) {
			t = writer_chunk(wr);
			if (t == NULL) {
				wmark_untake(wr->f->w, wr->f, n);	/* not written */
				return -ENOBUFS;
			}
			k = rte_pktmbuf_tailroom(t);
		}
		k = RTE_MIN(k, n);
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), s, k);
		t->data_len = (uint16_t)(t->data_len + k);
		t->pkt_len += k;
		wr->len += k;
		s += k;
		n -= k;
	}
	return 0;
}

int
sl_writer_hole(struct sl_writer *wr, uint32_t n, struct sl_hole *h)
{
	uint32_t got;
	void *p;

	if (n > 64)
		return -EINVAL;
	p = sl_writer_reserve(wr, n, &got);
	if (p == NULL)
		return -rte_errno;
	memset(p, 0, n);
	h->off = wr->len;
	h->len = n;
	sl_writer_commit(wr, n);
	return 0;
}

void
sl_writer_patch(struct sl_writer *wr, struct sl_hole h, const void *src)
{
	const int off = wr->f->w->tcp.mdyn;
	struct rte_mbuf *c = wr->prev_tail != NULL ? wr->prev_tail : wr->f->tx.q.head;
	uint32_t pos = wr->prev_tail != NULL ? wr->prev_len : 0;
	uint32_t o = h.off;

	if (!wr->open || (uint64_t)h.off + h.len > wr->len)
		return;
	/* Walk from the message's first byte; a hole never straddles chunks (reserve). */
	while (o >= (uint32_t)c->data_len - pos) {
		o -= (uint32_t)c->data_len - pos;
		c = mdyn(c, off)->link;
		pos = 0;
	}
	memcpy(rte_pktmbuf_mtod_offset(c, uint8_t *, pos + o), src, h.len);
}

uint32_t
sl_writer_len(const struct sl_writer *wr)
{
	return wr->len;
}

int
sl_writer_end(struct sl_writer *wr)
{
	struct tcp_flow *f = wr->f;

	if (!wr->open)
		return -EPIPE;
	writer_unreserve(wr, 0);
	wr->open = false;
	writer_untrack(f->w, wr);
	f->tx.bytes += wr->len;	/* counted in the water marks as they were written */
	f->app_writes++;
	f->app_bytes += wr->len;
	f->w->stats.tcp_app_writes++;
	f->w->stats.tcp_app_bytes += wr->len;
	if (wr->len > 0)
		conn_send_flags(f->w, f, 0);
	return 0;
}

void
sl_writer_abort(struct sl_writer *wr)
{
	struct tcp_flow *f = wr->f;
	struct sl_worker *w = f->w;
	const int off = w->tcp.mdyn;
	struct rte_mbuf *m;

	if (!wr->open)
		return;
	/* Cut the queue back to where the message began. */
	m = wr->prev_tail != NULL ? mdyn(wr->prev_tail, off)->link : f->tx.q.head;
	while (m != NULL) {
		struct rte_mbuf *next = mdyn(m, off)->link;

		rte_pktmbuf_free(m);
		w->tcp.txbuf_mbufs--;
		m = next;
	}
	if (wr->prev_tail != NULL) {
		mdyn(wr->prev_tail, off)->link = NULL;
		wr->prev_tail->data_len = wr->prev_len;
		wr->prev_tail->pkt_len = wr->prev_len;
	} else {
		f->tx.q.head = NULL;
	}
	f->tx.q.tail = wr->prev_tail;
	f->tx.q.n = wr->prev_n;
	f->tx.rd = NULL;
	writer_unreserve(wr, 0);
	wmark_untake(w, f, wr->len);
	wr->open = false;
	writer_untrack(w, wr);
	w->stats.writer_aborted++;
}

void
writer_abort_open(struct sl_writer *wr)
{
	sl_writer_abort(wr);
}

void
writer_forget(struct sl_writer *wr)
{
	if (!wr->open)
		return;
	/* The queue is being freed: what the message counted goes with it. */
	writer_unreserve(wr, 0);
	wmark_untake(wr->f->w, wr->f, wr->len);
	wr->open = false;
	writer_untrack(wr->f->w, wr);
}

int
sl_conn_send_msg(struct sl_conn *c, const void *msg)
{
	struct tcp_flow *f = conn_flow(c);
	const struct sl_serializer *ser = f->fr.inst != NULL ? f->fr.inst->fr->ser : NULL;
	struct sl_writer *wr;
	int rc;

	if (ser == NULL || ser->encode == NULL)
		return -ENOTSUP;
	wr = sl_conn_writer_begin(c);
	if (wr == NULL)
		return -rte_errno;
	rc = ser->encode(ser->arg, msg, wr);
	if (rc != 0) {
		sl_writer_abort(wr);
		return rc < 0 ? rc : -EINVAL;
	}
	return sl_writer_end(wr);
}
