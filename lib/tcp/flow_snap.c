/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_snap.c -- a connection's state copied out for another thread (flow_snap.h says
 * what such a copy guarantees). Only the telemetry thread calls it; the data path never
 * does, so nothing here costs a segment anything.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include "api/wmark.h"
#include "core/worker.h"
#include "tcp/flow_snap.h"
#include "tcp/tcp_ecn.h"
#include "tcp/tcp_seq.h"

/* Time from now until an absolute deadline: 0 when off, at least 1 when due. */
static uint64_t
snap_until(uint64_t at, uint64_t now)
{
	if (at == 0)
		return 0;
	return at > now ? at - now : 1;
}

/* A name for JSON and the terminal: printable letters, digits and "-_.+" only (a
 * deserializer's name comes from the application). */
static void
snap_name(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src != NULL && src[i] != '\0'; i++) {
		char c = src[i];

		dst[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			  c == '+') ? c : '?';
	}
	dst[i] = '\0';
}

/* Where the deserializer stands, from the driver's view of it (framing.c). */
static const char *
snap_framing_state(const struct framing_flow *ff, uint32_t flags)
{
	if (ff->failed)
		return "error";
	if (ff->eof_done || (flags & TF_EOF_DONE))
		return "eof";
	if (flags & TF_RX_PAUSED)
		return "paused";
	if (ff->asm_wait)
		return "wait-buffer";
	if (ff->discard != 0)
		return "skipping";
	if (ff->need > 1)
		return "partial";
	return "idle";
}

int
flow_snap_read(const struct sl_worker *w, uint32_t idx, struct flow_snap *s)
{
	const struct tcp_flow *f;
	const struct tcp_cc_ops *cc;
	const struct framing_inst *fi;
	uint64_t now, word;
	uint32_t gen, flags;

	if (idx >= w->tcp.max_flows || w->tcp.by_idx == NULL)
		return -ENOENT;
	f = w->tcp.by_idx[idx];
	/* Owner, then generation, then the fields: the acquire loads keep the compiler and
	 * the CPU from reading any field before them. */
	if (f == NULL || __atomic_load_n(&f->w, __ATOMIC_ACQUIRE) != w)
		return -ENOENT;
	gen = __atomic_load_n(&f->gen, __ATOMIC_ACQUIRE);

	memset(s, 0, sizeof(*s));
	now = __atomic_load_n(&w->clock.now_us, __ATOMIC_RELAXED);
	flags = f->flags;
	s->worker = w->id;
	s->idx = idx;
	s->gen = gen;
	s->laddr = f->key.laddr;
	s->raddr = f->key.raddr;
	s->lport = rte_be_to_cpu_16(f->key.lport);
	s->rport = rte_be_to_cpu_16(f->key.rport);
	s->state = f->state;
	s->snd_ws = f->snd_ws;
	s->rcv_ws = f->rcv_ws;
	s->flush = f->flush_mode;
	s->ts = (flags & TF_TS) != 0;
	s->sack = (flags & TF_SACK) != 0;
	s->wscale = (flags & TF_WSCALE) != 0;
	s->ecn = (f->ecn & TCP_ECN_OK) != 0;
	s->recovery = (flags & TF_RECOVERY) != 0;
	s->persist = (flags & TF_PERSIST) != 0;
	s->keepalive = (flags & TF_KEEPALIVE) != 0;
	s->rx_paused = (flags & TF_RX_PAUSED) != 0;
	s->backoff = f->backoff;
	s->nrtx = f->nrtx;
	s->ka_sent = f->ka_sent;
	s->dupacks = f->dupacks;
	s->snd_una = f->snd_una;
	s->snd_nxt = f->snd_nxt;
	s->snd_max = f->snd_max;
	s->rcv_nxt = f->rcv_nxt;
	s->iss = f->iss;
	s->irs = f->irs;
	s->snd_wnd = f->snd_wnd;
	s->rcv_wnd = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;
	s->max_snd_wnd = f->max_snd_wnd;
	s->cwnd = f->cwnd;
	s->ssthresh = f->ssthresh;
	s->mss = f->mss;
	s->rcv_mss = f->rcv_mss;
	s->peer_mss = f->peer_mss;
	s->srtt_us = f->srtt >> 3;
	s->rttvar_us = f->rttvar >> 2;
	s->rto_us = f->rto;
	s->min_rtt_us = f->rec.rack_min_rtt;
	s->send_q = f->tx.bytes;
	s->unacked = RTE_MIN(f->snd_nxt - f->snd_una, s->send_q);
	s->unsent = s->send_q - s->unacked;
	word = __atomic_load_n(&w->tcp.slots[idx].word, __ATOMIC_RELAXED);
	s->queued = (uint32_t)(word & WM_QUEUED);
	s->sndbuf_low = f->snd_low;
	s->sndbuf_high = f->snd_high;
	s->sndbuf_max = f->snd_cap;
	s->recv_q = f->rx.bytes;
	s->ooo_bytes = f->ooo.bytes;
	s->ooo_segs = f->ooo.nsegs;
	s->rx_held = f->rx_held;
	s->rcv_buf = f->rcv_buf;
	s->sacked_recs = f->sb.n;
	s->bytes_acked = f->bytes_acked;
	s->bytes_rcvd = f->bytes_rcvd;
	s->app_writes = f->app_writes;
	s->app_bytes = f->app_bytes;
	s->data_segs = f->data_segs;
	s->retransmits = f->retransmits;
	s->loss = f->loss;
	s->age_us = now > f->created_us ? now - f->created_us : 0;
	s->idle_us = now > f->last_rx_us ? now - f->last_rx_us : 0;
	s->rtx_in_us = snap_until(f->rtx_at, now);
	s->delack_in_us = snap_until(f->delack_at, now);
	s->ka_in_us = snap_until(f->ka_at, now);
	s->tw_in_us = snap_until(f->tw_at, now);
	/* Pointers are read once and checked: a block being set up has them NULL. */
	cc = f->cc;
	snap_name(s->cc, sizeof(s->cc), cc != NULL ? cc->name : "-");
	fi = f->fr.inst;
	if (fi == NULL || fi->ds == NULL) {
		snap_name(s->framing, sizeof(s->framing), "raw");
		s->framing_state = (flags & TF_RX_PAUSED) ? "paused" : "-";
	} else {
		snap_name(s->framing, sizeof(s->framing), fi->ds->name);
		s->framing_state = snap_framing_state(&f->fr, flags);
		s->framing_need = f->fr.need;
	}

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&f->w, __ATOMIC_RELAXED) != w ||
	    __atomic_load_n(&f->gen, __ATOMIC_RELAXED) != gen)
		return -EAGAIN;
	if (s->lport == 0)
		return -ENOENT;		/* flow_create has not written the key yet */
	if (s->state > SL_TCP_TIME_WAIT)
		return -EAGAIN;		/* never written so; a reader must not trust it */
	return 0;
}
