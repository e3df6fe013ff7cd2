/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_ooo.c -- the out-of-order queue.
 *
 * tcp_input -> tcp_ooo_insert (a segment after a hole), then tcp_ooo_drain whenever
 * rcv_nxt advances; tcp_out reads the SACK blocks built by tcp_ooo_sack_update.
 *
 * The queue is a sorted, non-overlapping list of single-segment mbufs linked through the
 * mbuf dynamic field (no allocation). A new segment is trimmed against its neighbours, so
 * overlapping retransmissions are kept once. Bounds, per connection: a number of segments
 * and the mbuf memory they pin (data room, not payload: a flood of 1-byte segments costs
 * what it really costs). When full, a segment that fills in before the tail evicts the
 * tail (the data furthest from being useful); otherwise the new one is dropped. Arrivals
 * at either end are O(1); the list is walked only for segments landing in the middle.
 */

#include <string.h>

#include <rte_mbuf.h>

#include "core/worker.h"
#include "net/mbuf_dyn.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_seq.h"

static inline uint32_t
seg_end(struct rte_mbuf *m, int off)
{
	return mdyn(m, off)->seq + m->data_len;
}

static void
ooo_account_remove(struct tcp_ooo *q, struct rte_mbuf *m)
{
	q->nsegs--;
	q->bytes -= m->data_len;
	q->truesize -= m->buf_len;
}

/* Drop the last segment (highest sequence). */
static void
ooo_evict_tail(struct sl_worker *w, struct tcp_ooo *q)
{
	const int off = w->tcp.mdyn;
	struct rte_mbuf *m = q->head, *prev = NULL;

	while (mdyn(m, off)->link != NULL) {
		prev = m;
		m = mdyn(m, off)->link;
	}
	if (prev != NULL)
		mdyn(prev, off)->link = NULL;
	else
		q->head = NULL;
	q->tail = prev;
	ooo_account_remove(q, m);
	rte_pktmbuf_free(m);
	w->stats.tcp_ooo_drop++;
}

static void
ooo_insert(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, uint32_t seq, bool fin)
{
	const struct sl_config *cfg = w->cfg;
	const int off = w->tcp.mdyn;
	struct tcp_ooo *q = &f->ooo;
	struct rte_mbuf *prev = NULL, *next;
	uint32_t end;

	if (m->nb_segs != 1 || m->data_len == 0) {
		/* Chained (jumbo scatter) segments are not queued out of order; the peer
		 * retransmits them once the hole is filled. */
		w->stats.tcp_ooo_drop++;
		rte_pktmbuf_free(m);
		return;
	}
	end = seq + m->data_len;
	while (q->nsegs >= cfg->ooo_max_segs || q->truesize + m->buf_len > cfg->ooo_max_bytes) {
		if (q->tail == NULL || seq_ge(seq, mdyn(q->tail, off)->seq)) {
			w->stats.tcp_ooo_drop++;
			rte_pktmbuf_free(m);
			return;
		}
		ooo_evict_tail(w, q);
	}
	if (fin) {
		q->fin = true;
		q->fin_seq = end;
	}

	/* Find the neighbours: prev ends at or before seq's region, next starts after. */
	if (q->tail != NULL && seq_ge(seq, mdyn(q->tail, off)->seq)) {
		prev = q->tail;
	} else if (q->head != NULL && seq_ge(seq, mdyn(q->head, off)->seq)) {
		prev = q->head;
		while ((next = mdyn(prev, off)->link) != NULL &&
		       seq_ge(seq, mdyn(next, off)->seq))
			prev = next;
	}
	/* Trim our front against prev. */
	if (prev != NULL && seq_lt(seq, seg_end(prev, off))) {
		uint32_t overlap = seg_end(prev, off) - seq;

		if (overlap >= m->data_len) {
			w->stats.tcp_dup_bytes += m->data_len;
			rte_pktmbuf_free(m);
			goto done;
		}
		w->stats.tcp_dup_bytes += overlap;
		rte_pktmbuf_adj(m, (uint16_t)overlap);
		seq += overlap;
	}
	/* Swallow the segments we cover entirely; trim our end against a partial one. */
	next = prev != NULL ? mdyn(prev, off)->link : q->head;
	while (next != NULL && seq_lt(mdyn(next, off)->seq, end)) {
		if (seq_le(seg_end(next, off), end)) {
			struct rte_mbuf *gone = next;

			next = mdyn(gone, off)->link;
			if (prev != NULL)
				mdyn(prev, off)->link = next;
			else
				q->head = next;
			if (q->tail == gone)
				q->tail = prev;
			w->stats.tcp_dup_bytes += gone->data_len;
			ooo_account_remove(q, gone);
			rte_pktmbuf_free(gone);
			continue;
		}
		w->stats.tcp_dup_bytes += end - mdyn(next, off)->seq;
		rte_pktmbuf_trim(m, (uint16_t)(end - mdyn(next, off)->seq));
		end = mdyn(next, off)->seq;
		break;
	}
	mdyn(m, off)->seq = seq;
	mdyn(m, off)->link = next;
	if (prev != NULL)
		mdyn(prev, off)->link = m;
	else
		q->head = m;
	if (next == NULL)
		q->tail = m;
	q->nsegs++;
	q->bytes += m->data_len;
	q->truesize += m->buf_len;
	w->stats.tcp_ooo_segs++;
done:
	q->last_seq = seq;
	q->last_end = end;
}

/* The queue's gate flag (flow.h TF_OOO) follows whatever the insertion did, on every
 * way out of it: a drop after evictions may have emptied the queue. */
void
tcp_ooo_insert(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, uint32_t seq,
	       bool fin)
{
	ooo_insert(w, f, m, seq, fin);
	flow_gate_ooo(f);
}

bool
tcp_ooo_drain(struct sl_worker *w, struct tcp_flow *f)
{
	const int off = w->tcp.mdyn;
	struct tcp_ooo *q = &f->ooo;
	struct rte_mbuf *m;

	while ((m = q->head) != NULL && seq_le(mdyn(m, off)->seq, f->rcv_nxt)) {
		uint32_t seq = mdyn(m, off)->seq;

		q->head = mdyn(m, off)->link;
		if (q->head == NULL)
			q->tail = NULL;
		ooo_account_remove(q, m);
		if (seq_le(seg_end(m, off), f->rcv_nxt)) {
			rte_pktmbuf_free(m);
			continue;
		}
		rte_pktmbuf_adj(m, (uint16_t)(f->rcv_nxt - seq));
		f->rcv_nxt += m->data_len;
		f->bytes_rcvd += m->data_len;
		w->stats.tcp_rx_bytes += m->data_len;
		if (f->flags & TF_RX_CLOSED) {
			w->stats.tcp_rx_discarded += m->data_len;
			rte_pktmbuf_free(m);
		} else {
			rxbuf_append(w, &f->rx, m);
		}
	}
	if (q->fin && q->fin_seq == f->rcv_nxt) {
		q->fin = false;
		flow_gate_ooo(f);
		return true;
	}
	flow_gate_ooo(f);
	return false;
}

void
tcp_ooo_free(struct sl_worker *w, struct tcp_flow *f)
{
	const int off = w->tcp.mdyn;
	struct tcp_ooo *q = &f->ooo;

	while (q->head != NULL) {
		struct rte_mbuf *m = q->head;

		q->head = mdyn(m, off)->link;
		rte_pktmbuf_free(m);
	}
	q->tail = NULL;
	q->nsegs = q->bytes = q->truesize = 0;
	q->fin = false;
	flow_gate_ooo(f);
}

void
tcp_ooo_sack_update(struct sl_worker *w, struct tcp_flow *f)
{
	const int off = w->tcp.mdyn;
	struct tcp_ooo *q = &f->ooo;
	struct tcp_sack_block ranges[4], first = { 0, 0 };
	unsigned int n = 0, i;
	struct rte_mbuf *m = q->head;
	bool have_first = false;

	/* Walk contiguous runs; keep the one holding the latest arrival (RFC 2018: it goes
	 * first) and the highest other runs. */
	while (m != NULL) {
		struct tcp_sack_block r = { mdyn(m, off)->seq, seg_end(m, off) };

		while ((m = mdyn(m, off)->link) != NULL && mdyn(m, off)->seq == r.end)
			r.end = seg_end(m, off);
		if (!have_first && seq_le(r.start, q->last_seq) && seq_lt(q->last_seq, r.end)) {
			first = r;
			have_first = true;
			continue;
		}
		if (n < RTE_DIM(ranges)) {
			ranges[n++] = r;
		} else {
			memmove(ranges, ranges + 1, sizeof(ranges) - sizeof(ranges[0]));
			ranges[n - 1] = r;
		}
	}
	f->nsack = 0;
	if (have_first)
		f->sack[f->nsack++] = first;
	for (i = n; i > 0 && f->nsack < RTE_DIM(f->sack); i--)
		f->sack[f->nsack++] = ranges[i - 1];
}
