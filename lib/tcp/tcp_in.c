/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_in.c -- TCP input: RFC 9293 §3.10.7 "SEGMENT ARRIVES", with RFC 5961, RFC 7323
 * (PAWS), RFC 5681/6582 (congestion control, NewReno) and RFC 6298 (RTT).
 *
 * ipv4_input -> tcp_input:
 *   tcp_input          header, checksum, ports and flags; options parsed; flow lookup
 *   tcp_input_noflow   CLOSED (RST) and LISTEN: SYN -> SYN-RECEIVED or a SYN cookie,
 *                      ACK -> cookie check
 *   tcp_input_syn_sent the reply to our SYN (or a simultaneous open)
 *   tcp_input_timewait re-ACK the peer's FIN, TIME-WAIT reuse by a newer SYN
 *   tcp_input_flow     every other state, in the RFC's order: PAWS, sequence check,
 *                      RST, SYN, ACK (tcp_ack_in), data and FIN (tcp_data_in, tcp_fin_in)
 *
 * Side effects for the application are only recorded (flow_mark_ready) and output only
 * scheduled (flow_mark_dirty): callbacks run in the delivery phase, segments leave in the
 * output phase, so nothing here re-enters TCP processing. Every path consumes the mbuf
 * exactly once: it is queued (in-order or out-of-order data), reused for an in-place
 * reply, or freed.
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "api/wmark.h"
#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "net/cksum.h"
#include "net/ipv4.h"
#include "net/mbuf_util.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"

/* PAWS stops using ts_recent after it has been idle this long (RFC 7323 §5.5). */
#define PAWS_IDLE_US (24ull * 24 * 3600 * 1000 * 1000)

/* Options from the peer's SYN (or SYN-ACK): what both sides agreed on. */
static void
tcp_negotiate(struct sl_worker *w, struct tcp_flow *f, const struct tcp_opts *o)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t mss = (o->has & TO_MSS) ? o->mss : 536;	/* RFC 9293 §3.7.1 default */

	f->peer_mss = (uint16_t)RTE_MAX(mss, (uint32_t)cfg->mss_min);
	if (cfg->timestamps && (o->has & TO_TS)) {
		f->flags |= TF_TS;
		f->ts_recent = o->tsval;
		f->ts_recent_us = w->clock.now_us;
	}
	if (cfg->sack && (o->has & TO_SACK_OK))
		f->flags |= TF_SACK;
	if (cfg->wscale && (o->has & TO_WSCALE)) {
		f->flags |= TF_WSCALE;
		f->snd_ws = o->wscale;
	} else {
		f->snd_ws = 0;
		f->rcv_ws = 0;
	}
	/* Payload per segment: the smaller MSS, minus the options every segment carries
	 * (timestamps). A peer's MSS below TCP_MIN_SND_MSS (0, 1, ...) is raised to it, as
	 * Linux does (tcp_min_snd_mss): it would make us cut data into absurdly many
	 * segments, and the timestamps would not even fit. */
	mss = RTE_MAX((uint32_t)f->peer_mss, TCP_MIN_SND_MSS);
	mss = RTE_MIN(mss, (uint32_t)cfg->mtu - 40);
	if (f->flags & TF_TS)
		mss -= 12;
	f->mss = (uint16_t)mss;
	f->cc->conn_init(f, (uint32_t)cfg->init_cwnd * f->mss);
	/* What counts as a "full" segment for delayed ACKs until the peer shows its real
	 * segment size: the RFC 9293 default MSS, so small requests are not ACKed twice. */
	f->rcv_mss = (uint16_t)RTE_MIN(536u, (uint32_t)f->mss);
}

/* SYN-RECEIVED or SYN-SENT -> ESTABLISHED: the handshake is complete. */
static void
tcp_established(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->state == SL_TCP_SYN_RCVD && f->listener != NULL)
		f->listener->syn_rcvd--;
	f->listener = NULL;
	f->state = SL_TCP_ESTABLISHED;
	if (seq_lt(f->snd_una, f->iss + 1))
		f->snd_una = f->iss + 1;
	if (f->rtt_timing && f->nrtx == 0)
		tcp_rtt_sample(w, f, (uint32_t)(w->clock.now_us - f->rtt_start));
	if (f->nrtx > 0) {
		/* The SYN or SYN-ACK was retransmitted: RTO of 3 s when data transmission
		 * begins (RFC 6298 (5.7)), and an initial window of one segment (RFC 5681
		 * §3.1, RFC 6928 §2). */
		if (f->srtt == 0)
			f->rto = u32_max(f->rto, u32_min(3000000u, w->cfg->rto_max_us));
		f->cc->conn_init(f, f->mss);
	}
	f->rtt_timing = false;
	f->rtx_at = 0;
	f->nrtx = 0;
	f->backoff = 0;
	f->recover = f->iss;	/* RFC 6582 §3.2: recover starts at the ISN */
	f->sack_high = f->snd_una;
	tcp_keepalive_arm(w, f);
	if (f->flags & TF_PASSIVE) {
		w->stats.tcp_passive_opens++;
		f->flags &= ~TF_CLOSE_DONE;
		f->flags |= TF_APP;
		flow_mark_ready(w, f, EV_ACCEPT);
	} else {
		flow_mark_ready(w, f, EV_CONNECT);
	}
}

/* ACKs for out-of-window segments and RFC 5961 challenges share one budget per
 * connection (never a global one, which leaks state across connections: CVE-2016-5696).
 * Keepalive and zero-window probes bypass it: they must always be answered. */
static void
tcp_ack_limited(struct sl_worker *w, struct tcp_flow *f, bool challenge)
{
	uint64_t now = w->clock.now_us;

	if (now - f->chack_start >= 1000000) {
		f->chack_start = now;
		f->chack_count = 0;
	}
	if (f->chack_count >= w->cfg->challenge_acks) {
		w->stats.tcp_ack_ratelimited++;
		return;
	}
	f->chack_count++;
	if (challenge)
		w->stats.tcp_challenge_ack++;
	tcp_send_ack(w, f);
}

static void tcp_input_flow(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
			   struct tcp_seg *s);

/* ---- LISTEN and CLOSED ---- */

static void
tcp_passive_open(struct sl_worker *w, struct tcp_listener *l, struct rte_mbuf *m,
		 const struct tcp_seg *s)
{
	const struct sl_config *cfg = w->cfg;
	struct tcp_flow *f;

	w->stats.tcp_syn_rx++;
	if (l->syn_rcvd >= cfg->backlog) {
		if (cfg->syncookies) {
			tcp_reply_cookie_synack(w, m, s);
			return;
		}
		w->stats.tcp_backlog_drop++;
		rte_pktmbuf_free(m);
		return;
	}
	f = flow_create(w, &s->key);
	if (f == NULL) {
		if (cfg->syncookies)
			tcp_reply_cookie_synack(w, m, s);
		else
			rte_pktmbuf_free(m);
		return;
	}
	if (l->fr != NULL && framing_flow_init(&f->fr, l->fr) != 0) {
		w->stats.framing_no_state++;
		flow_release(w, f);
		rte_pktmbuf_free(m);
		return;
	}
	tcp_flow_init(w, f);
	f->state = SL_TCP_SYN_RCVD;
	f->flags |= TF_PASSIVE;
	f->listener = l;
	f->ops = l->ops;
	f->listen_arg = l->arg;
	l->syn_rcvd++;
	f->irs = s->seq;
	f->rcv_nxt = s->seq + 1;
	f->iss = tcp_isn(w, &f->key);
	f->snd_una = f->iss;
	f->recover = f->iss;
	tcp_negotiate(w, f, &s->opts);
	/* The window of a SYN is never scaled (RFC 7323 §2.2). */
	f->snd_wnd = s->wnd;
	f->max_snd_wnd = s->wnd;
	f->snd_wl1 = s->seq;
	f->snd_wl2 = f->iss;
	/* Data on a SYN is not kept: the peer sends it again once we acknowledge the SYN. */
	rte_pktmbuf_free(m);
	if (tcp_send_syn(w, f) == 0) {
		f->rtt_timing = true;
		f->rtt_start = w->clock.now_us;
	}
	tcp_rto_arm(w, f);
}

/* An ACK that returns one of our SYN cookies: the connection starts here, established. */
static void
tcp_cookie_accept(struct sl_worker *w, struct tcp_listener *l, struct rte_mbuf *m,
		  struct tcp_seg *s, uint16_t mss)
{
	const struct sl_config *cfg = w->cfg;
	struct tcp_opts o = { 0 };
	struct tcp_flow *f;
	bool sack = false;
	int ws = -1;

	f = flow_create(w, &s->key);
	if (f == NULL) {
		/* The peer believes it is connected: tell it otherwise. */
		tcp_reply_rst(w, m, s);
		return;
	}
	if (l->fr != NULL && framing_flow_init(&f->fr, l->fr) != 0) {
		w->stats.framing_no_state++;
		flow_release(w, f);
		tcp_reply_rst(w, m, s);
		return;
	}
	w->stats.tcp_syncookie_ok++;
	tcp_flow_init(w, f);
	f->flags |= TF_PASSIVE | TF_SYN_COOKIE;
	f->ops = l->ops;
	f->listen_arg = l->arg;
	f->iss = s->ack - 1;
	f->irs = s->seq - 1;
	f->rcv_nxt = s->seq;
	f->snd_una = f->snd_nxt = f->snd_max = s->ack;
	/* Rebuild what the SYN negotiated from the cookie and the echoed timestamp. */
	o.has = TO_MSS;
	o.mss = mss;
	if (s->opts.has & TO_TS) {
		tcp_cookie_ts_decode(s->opts.tsecr, &sack, &ws);
		o.has |= TO_TS;
		o.tsval = s->opts.tsval;
		if (sack)
			o.has |= TO_SACK_OK;
		if (ws >= 0) {
			o.has |= TO_WSCALE;
			o.wscale = (uint8_t)ws;
		}
	}
	tcp_negotiate(w, f, &o);
	f->rcv_adv = f->rcv_nxt + RTE_MIN(cfg->rcvbuf, 65535u);
	f->snd_wl1 = s->seq - 1;	/* so this ACK's window is taken */
	f->snd_wl2 = s->ack;
	f->state = SL_TCP_SYN_RCVD;
	tcp_established(w, f);
	tcp_input_flow(w, f, m, s);
}

static void
tcp_input_noflow(struct sl_worker *w, struct rte_mbuf *m, struct tcp_seg *s)
{
	struct tcp_listener *l = listener_find(w, rte_be_to_cpu_16(s->key.lport));
	uint16_t mss;

	if (l == NULL) {
		tcp_reply_rst(w, m, s);			/* CLOSED: RST unless RST */
		return;
	}
	if (s->flags & RTE_TCP_RST_FLAG) {
		rte_pktmbuf_free(m);
		return;
	}
	if (s->flags & RTE_TCP_ACK_FLAG) {
		if (!(s->flags & RTE_TCP_SYN_FLAG) && w->cfg->syncookies &&
		    tcp_cookie_check(w, s, &mss) == 0) {
			tcp_cookie_accept(w, l, m, s, mss);
			return;
		}
		if (w->cfg->syncookies && !(s->flags & RTE_TCP_SYN_FLAG))
			w->stats.tcp_syncookie_bad++;
		tcp_reply_rst(w, m, s);			/* LISTEN: <SEQ=SEG.ACK><CTL=RST> */
		return;
	}
	if (!(s->flags & RTE_TCP_SYN_FLAG)) {
		rte_pktmbuf_free(m);
		return;
	}
	tcp_passive_open(w, l, m, s);
}

/* ---- SYN-SENT ---- */

static void
tcp_input_syn_sent(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		   const struct tcp_seg *s)
{
	bool ack = (s->flags & RTE_TCP_ACK_FLAG) != 0;

	if (ack && (seq_le(s->ack, f->iss) || seq_gt(s->ack, f->snd_max))) {
		/* Not for our SYN: reset the sender, keep waiting (RFC 9293). */
		tcp_reply_rst(w, m, s);
		return;
	}
	if (s->flags & RTE_TCP_RST_FLAG) {
		/* Acceptable only with an ACK of our SYN: connection refused. */
		rte_pktmbuf_free(m);
		if (ack) {
			w->stats.tcp_rst_rx++;
			flow_closed(w, f, SL_CLOSE_RESET);
		} else {
			w->stats.tcp_rst_ignored++;
		}
		return;
	}
	if (!(s->flags & RTE_TCP_SYN_FLAG)) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_free(m);
	f->irs = s->seq;
	f->rcv_nxt = s->seq + 1;
	tcp_negotiate(w, f, &s->opts);
	f->snd_wnd = s->wnd;
	f->max_snd_wnd = s->wnd;
	f->snd_wl1 = s->seq;
	f->snd_wl2 = s->ack;
	f->rcv_adv = f->rcv_nxt + RTE_MIN(tcp_rcv_space(w, f), 65535u);
	f->last_rx_us = w->clock.now_us;
	if (ack) {
		f->snd_una = s->ack;
		tcp_established(w, f);
		f->flags |= TF_ACKNOW;
	} else {
		/* Simultaneous open: answer with SYN-ACK, same ISS. */
		f->state = SL_TCP_SYN_RCVD;
		f->flags |= TF_ACKNOW;
	}
	flow_mark_dirty(w, f);
}

/* ---- TIME-WAIT ---- */

static void
tcp_input_timewait(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		   struct tcp_seg *s)
{
	if (s->flags & RTE_TCP_RST_FLAG) {
		/* RFC 1337: an RST must not cut TIME-WAIT short. */
		w->stats.tcp_rst_ignored++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((s->flags & RTE_TCP_SYN_FLAG) && !(s->flags & RTE_TCP_ACK_FLAG) &&
	    seq_gt(s->seq, f->rcv_nxt) && (f->flags & TF_CLOSE_DONE) &&
	    (!(f->flags & TF_TS) || !(s->opts.has & TO_TS) ||
	     seq_gt(s->opts.tsval, f->ts_recent))) {
		/* A new incarnation (RFC 6191): its sequence numbers (and timestamps) are
		 * above the old ones, so old duplicates cannot be confused with it. */
		w->stats.tcp_timewait_reuse++;
		flow_release(w, f);
		tcp_input_noflow(w, m, s);
		return;
	}
	rte_pktmbuf_free(m);
	if (s->flags & RTE_TCP_FIN_FLAG) {
		/* The peer's FIN again: our ACK was lost. Re-ACK, restart 2 MSL. */
		f->tw_at = w->clock.now_us + 2ull * w->cfg->msl_ms * 1000;
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
		return;
	}
	/* RFC 9293 §3.10.7.4: only a retransmitted FIN is answered in TIME-WAIT. An
	 * acceptable bare ACK is not (answering it ping-pongs forever with a peer that is
	 * in TIME-WAIT too); anything else gets a rate-limited ACK. */
	if (s->len == 0 && s->seq == f->rcv_nxt && !(s->flags & RTE_TCP_SYN_FLAG))
		return;
	tcp_ack_limited(w, f, false);
}

/* ---- synchronized states ---- */

/* RFC 9293 §3.10.7.4 first check: is any part of the segment inside our window? */
static bool
tcp_seq_acceptable(const struct tcp_flow *f, const struct tcp_seg *s, uint32_t seglen)
{
	uint32_t wnd = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;

	if (seglen == 0) {
		if (wnd == 0)
			return s->seq == f->rcv_nxt;
		return seq_in(s->seq, f->rcv_nxt, f->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return seq_in(s->seq, f->rcv_nxt, f->rcv_nxt + wnd) ||
	       seq_in(s->seq + seglen - 1, f->rcv_nxt, f->rcv_nxt + wnd);
}

static void
tcp_fin_in(struct sl_worker *w, struct tcp_flow *f)
{
	f->rcv_nxt++;
	f->flags |= TF_FIN_RCVD | TF_ACKNOW;
	flow_mark_ready(w, f, EV_EOF);
	switch (f->state) {
	case SL_TCP_SYN_RCVD:
	case SL_TCP_ESTABLISHED:
		f->state = SL_TCP_CLOSE_WAIT;
		break;
	case SL_TCP_FIN_WAIT_1:
		if ((f->flags & TF_FIN_SENT) && f->snd_una == f->snd_max)
			flow_enter_timewait(w, f);
		else
			f->state = SL_TCP_CLOSING;
		break;
	case SL_TCP_FIN_WAIT_2:
		f->tw_at = 0;
		flow_enter_timewait(w, f);
		break;
	default:
		break;
	}
}

/* Payload (and FIN) of an acceptable segment. Consumes m. */
static void
tcp_data_in(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, const struct tcp_seg *s)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t seq = s->seq, len = s->len;
	bool fin = (s->flags & RTE_TCP_FIN_FLAG) != 0;
	bool fin_now = false;

	if (f->flags & TF_FIN_RCVD) {
		/* Nothing may follow the peer's FIN; a retransmission of it is re-ACKed. */
		rte_pktmbuf_free(m);
		f->flags |= TF_ACKNOW;
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)(m->l2_len + m->l3_len + s->hlen));
	if (seq_lt(seq, f->rcv_nxt)) {
		/* Already received: keep only the new part (an overlapping retransmission). */
		uint32_t d = f->rcv_nxt - seq;

		if (d >= len) {
			w->stats.tcp_dup_bytes += len;
			len = 0;
		} else {
			w->stats.tcp_dup_bytes += d;
			rte_pktmbuf_adj(m, (uint16_t)d);
			len -= d;
		}
		seq = f->rcv_nxt;
		f->flags |= TF_ACKNOW;
	}
	if (len > 0 && seq_gt(seq + len, f->rcv_adv)) {
		/* Beyond what we offered: keep what fits, drop the rest (and its FIN). */
		uint32_t keep = seq_gt(f->rcv_adv, seq) ? f->rcv_adv - seq : 0;

		w->stats.tcp_window_trim++;
		mbuf_trim_to(m, keep);
		len = keep;
		fin = false;
		f->flags |= TF_ACKNOW;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
		m = NULL;
	}

	if (seq != f->rcv_nxt) {
		/* After a hole: queue it and ACK at once, with SACK (RFC 5681 §4.2). */
		if (m != NULL) {
			tcp_ooo_insert(w, f, m, seq, fin);
		} else if (fin) {
			f->ooo.fin = true;
			f->ooo.fin_seq = seq;
		}
		f->flags |= TF_ACKNOW;
		return;
	}
	if (m != NULL) {
		f->rcv_nxt += len;
		f->bytes_rcvd += len;
		w->stats.tcp_rx_bytes += len;
		if (f->flags & TF_RX_CLOSED) {
			w->stats.tcp_rx_discarded += len;
			rte_pktmbuf_free(m);
		} else {
			rxbuf_append(w, &f->rx, m);
			flow_mark_ready(w, f, EV_DATA);
		}
		/* Delayed ACK: at once after delack_segs full-sized segments, on PSH when
		 * configured, or when delaying is off; otherwise within delack_us. */
		if (len >= f->rcv_mss) {
			f->rcv_mss = (uint16_t)RTE_MIN(len, 65535u);
			f->segs_unacked++;
		}
		if (f->segs_unacked >= cfg->delack_segs || cfg->delack_us == 0 ||
		    (cfg->ack_on_push && (s->flags & RTE_TCP_PSH_FLAG))) {
			f->flags |= TF_ACKNOW;
		} else {
			f->flags |= TF_DELACK;
			tcp_delack_arm(w, f);
		}
	}
	fin_now = fin;
	if (f->ooo.nsegs > 0 || f->ooo.fin) {
		bool had = f->ooo.nsegs > 0;

		if (tcp_ooo_drain(w, f))
			fin_now = true;
		if (had) {
			/* A hole was filled: ACK at once (RFC 5681 §4.2). */
			f->flags |= TF_ACKNOW;
			if (f->rx.bytes > 0 && !(f->flags & TF_RX_CLOSED))
				flow_mark_ready(w, f, EV_DATA);
		}
	}
	if (fin_now)
		tcp_fin_in(w, f);
}

/* Does this ACK announce that one more segment left the network after a hole?
 *
 * RFC 5681 §2 counts an ACK as a duplicate when it acknowledges nothing new, carries no
 * data and leaves the window unchanged. Those last two conditions miss most duplicates
 * from real peers: Linux autotunes its receive buffer and changes the window on nearly
 * every ACK, and a peer sending data of its own piggybacks its ACKs. With SACK there is
 * a better signal (RFC 6675's DupAck): an ACK at SND.UNA whose SACK blocks report data
 * not reported before, whatever else it carries. */
static bool
tcp_is_dupack(struct tcp_flow *f, const struct tcp_seg *s, uint32_t wnd)
{
	unsigned int i;
	bool news = false;

	if (s->ack != f->snd_una || f->snd_una == f->snd_max ||
	    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)))
		return false;
	if ((f->flags & TF_SACK) && (s->opts.has & TO_SACK)) {
		for (i = 0; i < s->opts.nsack; i++) {
			uint32_t end = s->opts.sack[i].end;

			/* Only blocks about data we sent and the peer has not acknowledged. */
			if (!seq_gt(end, f->snd_una) || seq_gt(end, f->snd_max) ||
			    !seq_lt(s->opts.sack[i].start, end))
				continue;
			if (seq_gt(end, f->sack_high)) {
				f->sack_high = end;
				news = true;
			}
		}
		if (news)
			return true;
	}
	return s->len == 0 && wnd == f->snd_wnd;
}

/* Peer's ACK and window (RFC 9293 §3.10.7.4 fifth check). Returns false when the
 * connection ended (LAST-ACK completed); f must not be used then. */
static bool
tcp_ack_in(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s)
{
	uint32_t ack = s->ack;
	uint32_t wnd = s->wnd << f->snd_ws;
	/* Answers to zero-window probes repeat the ACK, but nothing was lost. */
	bool dup = !(f->flags & TF_PERSIST) && tcp_is_dupack(f, s, wnd);

	if (unlikely(s->wnd == 0))
		w->stats.tcp_rx_zero_window++;
	/* The peer answers our window probes: never give up on it (RFC 9293 §3.8.6.1). */
	if (f->flags & TF_PERSIST)
		f->nrtx = 0;
	/* Window update, unless this segment is older than the last one that set it. */
	if (seq_lt(f->snd_wl1, s->seq) || (f->snd_wl1 == s->seq && seq_le(f->snd_wl2, ack))) {
		uint32_t old_wnd = f->snd_wnd;

		if (wnd != old_wnd)
			flow_mark_dirty(w, f);
		f->snd_wnd = wnd;
		f->snd_wl1 = s->seq;
		f->snd_wl2 = ack;
		f->max_snd_wnd = RTE_MAX(f->max_snd_wnd, wnd);
		if (wnd > old_wnd && (f->flags & TF_PERSIST)) {
			f->flags &= ~TF_PERSIST;
			f->rtx_at = 0;
			f->nrtx = 0;
			f->backoff = 0;
			f->unacked_since = 0;
			flow_mark_dirty(w, f);
		}
	}

	if (seq_gt(ack, f->snd_una)) {
		uint32_t acked = ack - f->snd_una;
		uint32_t data = RTE_MIN(acked, f->tx.bytes);
		bool fin_acked = (f->flags & TF_FIN_SENT) && ack == f->snd_max &&
				 acked > data;

		txbuf_ack(w, &f->tx, data);
		f->bytes_acked += data;
		wmark_put(w, f, data);	/* on_writable, producers, at the low mark */
		f->snd_una = ack;
		if (seq_lt(f->sack_high, ack))
			f->sack_high = ack;
		if (seq_lt(f->snd_nxt, f->snd_una))
			f->snd_nxt = f->snd_una;
		if (f->rtt_timing && seq_ge(ack, f->rtt_seq)) {
			tcp_rtt_sample(w, f, (uint32_t)(w->clock.now_us - f->rtt_start));
			f->rtt_timing = false;
			/* RFC 6298 §5: only a new measurement collapses a backed-off RTO. */
			f->backoff = 0;
		} else if ((f->flags & TF_TS) && (s->opts.has & TO_TS)) {
			/* With timestamps the echo measures this ACK's RTT even for a
			 * retransmission (RFC 7323 §4), so it is a valid measurement too. */
			f->backoff = 0;
		}
		f->nrtx = 0;

		if (f->flags & TF_RECOVERY) {
			if (seq_ge(ack, f->recover)) {
				/* Full ACK: leave recovery (RFC 6582 §3.2 step 3). */
				f->cc->exit_recovery(f);
				f->flags &= ~TF_RECOVERY;
			} else {
				/* Partial ACK: resend the next hole (step 3). */
				tcp_retransmit_head(w, f);
				f->cc->on_partial_ack(f, acked);
				tcp_rto_arm(w, f);
			}
		} else {
			f->cc->on_ack(f, acked);
		}
		f->dupacks = 0;

		if (f->snd_una == f->snd_max) {
			/* In persist mode the timer is the probe timer: keep it running. */
			if (!(f->flags & TF_PERSIST))
				f->rtx_at = 0;
			f->unacked_since = 0;
		} else {
			f->unacked_since = w->clock.now_us;
			if (!(f->flags & TF_PERSIST))
				tcp_rto_arm(w, f);
		}
		flow_mark_dirty(w, f);

		if (fin_acked) {
			switch (f->state) {
			case SL_TCP_FIN_WAIT_1:
				f->state = SL_TCP_FIN_WAIT_2;
				if (f->flags & TF_RX_CLOSED) {
					f->tw_at = w->clock.now_us +
						   (uint64_t)w->cfg->fin_wait2_ms * 1000;
					tcp_timer_arm(w, f);
				}
				break;
			case SL_TCP_CLOSING:
				flow_enter_timewait(w, f);
				break;
			case SL_TCP_LAST_ACK:
				flow_closed(w, f, SL_CLOSE_NORMAL);
				return false;
			default:
				break;
			}
		}
	} else if (dup) {
		w->stats.tcp_dupacks++;
		f->dupacks++;
		if (f->flags & TF_RECOVERY) {
			f->cc->on_recovery_dupack(f);
			flow_mark_dirty(w, f);
		} else if (f->dupacks < 3) {
			/* Limited transmit (RFC 3042): each of the first two duplicates lets
			 * one new segment out, so that a small flight still produces the
			 * third duplicate instead of waiting for the RTO. */
			flow_mark_dirty(w, f);
		} else if (f->dupacks == 3 && seq_gt(ack, f->recover)) {
			/* Fast retransmit, then NewReno fast recovery (RFC 6582 §3.2). */
			w->stats.tcp_fast_retransmit++;
			f->recover = f->snd_max;
			f->cc->enter_recovery(f);
			tcp_retransmit_head(w, f);
			f->flags |= TF_RECOVERY;
			tcp_rto_arm(w, f);
		}
	}
	return true;
}

static void
tcp_input_flow(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, struct tcp_seg *s)
{
	uint32_t seglen = s->len + !!(s->flags & RTE_TCP_SYN_FLAG) +
			  !!(s->flags & RTE_TCP_FIN_FLAG);

	switch (f->state) {
	case SL_TCP_SYN_SENT:
		tcp_input_syn_sent(w, f, m, s);
		return;
	case SL_TCP_TIME_WAIT:
		tcp_input_timewait(w, f, m, s);
		return;
	case SL_TCP_CLOSED:
		/* Waiting for the application to hear on_close. */
		rte_pktmbuf_free(m);
		return;
	default:
		break;
	}

	/* A retransmitted SYN: our SYN-ACK was lost. */
	if (f->state == SL_TCP_SYN_RCVD && (s->flags & RTE_TCP_SYN_FLAG) &&
	    !(s->flags & (RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) && s->seq == f->irs) {
		rte_pktmbuf_free(m);
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
		return;
	}

	/* Simultaneous open (RFC 9293 §3.5 Figure 7): in SYN-RECEIVED after our own SYN, the
	 * peer's SYN-ACK for it completes the handshake (as in Linux's
	 * tcp_validate_incoming). It would fail the sequence check (SEG.SEQ = IRS). */
	if (f->state == SL_TCP_SYN_RCVD && !(f->flags & TF_PASSIVE) &&
	    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
	    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) &&
	    s->seq == f->irs && s->ack == f->snd_max) {
		rte_pktmbuf_free(m);
		f->last_rx_us = w->clock.now_us;
		if ((f->flags & TF_TS) && (s->opts.has & TO_TS)) {
			f->ts_recent = s->opts.tsval;
			f->ts_recent_us = w->clock.now_us;
		}
		f->snd_una = s->ack;
		tcp_established(w, f);
		/* The window of a SYN is never scaled. */
		f->snd_wnd = s->wnd;
		f->snd_wl1 = s->seq;
		f->snd_wl2 = s->ack;
		flow_mark_dirty(w, f);
		return;
	}

	/* PAWS (RFC 7323 §5.3): a timestamp older than the last one in sequence is an old
	 * duplicate, unless ts_recent has been idle for 24 days. */
	if ((f->flags & TF_TS) && (s->opts.has & TO_TS) && !(s->flags & RTE_TCP_RST_FLAG) &&
	    seq_lt(s->opts.tsval, f->ts_recent) &&
	    w->clock.now_us - f->ts_recent_us < PAWS_IDLE_US) {
		w->stats.tcp_paws_drop++;
		rte_pktmbuf_free(m);
		tcp_ack_limited(w, f, false);
		return;
	}

	/* Sequence check. A FIN at RCV.NXT is taken even with a zero window. */
	if (!tcp_seq_acceptable(f, s, seglen) &&
	    !(s->len == 0 && (s->flags & RTE_TCP_FIN_FLAG) && s->seq == f->rcv_nxt)) {
		w->stats.tcp_oow_drop++;
		rte_pktmbuf_free(m);
		if (s->flags & RTE_TCP_RST_FLAG) {
			w->stats.tcp_rst_ignored++;
			return;
		}
		if (s->len <= 1 && s->seq == f->rcv_nxt - 1 &&
		    !(s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG))) {
			/* Keepalive (or old-style zero-window) probe: always answered. */
			w->stats.tcp_probe_answered++;
			tcp_send_ack(w, f);
		} else if (s->seq == f->rcv_nxt && s->len > 0) {
			/* Zero-window probe: always answered, with our (zero) window. */
			w->stats.tcp_probe_answered++;
			tcp_send_ack(w, f);
		} else {
			tcp_ack_limited(w, f, false);
		}
		return;
	}
	f->last_rx_us = w->clock.now_us;
	f->ka_sent = 0;

	/* RST (RFC 5961 §3.2): exact match resets, otherwise a challenge ACK. */
	if (s->flags & RTE_TCP_RST_FLAG) {
		rte_pktmbuf_free(m);
		if (s->seq != f->rcv_nxt) {
			tcp_ack_limited(w, f, true);
			return;
		}
		w->stats.tcp_rst_rx++;
		flow_closed(w, f, SL_CLOSE_RESET);
		return;
	}
	/* SYN on a synchronized connection (RFC 5961 §4.2): challenge ACK, drop. */
	if (s->flags & RTE_TCP_SYN_FLAG) {
		w->stats.tcp_syn_in_window++;
		rte_pktmbuf_free(m);
		tcp_ack_limited(w, f, true);
		return;
	}
	if (!(s->flags & RTE_TCP_ACK_FLAG)) {
		rte_pktmbuf_free(m);
		return;
	}

	/* Timestamps to echo: from the segment at the left edge of the window. */
	if ((f->flags & TF_TS) && (s->opts.has & TO_TS) && seq_le(s->seq, f->rcv_nxt)) {
		f->ts_recent = s->opts.tsval;
		f->ts_recent_us = w->clock.now_us;
	}

	if (f->state == SL_TCP_SYN_RCVD) {
		if (!seq_gt(s->ack, f->snd_una) || seq_gt(s->ack, f->snd_max)) {
			tcp_reply_rst(w, m, s);
			return;
		}
		tcp_established(w, f);
		f->snd_wl1 = s->seq - 1;	/* take this segment's (scaled) window */
	}
	/* RFC 5961 §5.2: ACK acceptability. */
	if (seq_gt(s->ack, f->snd_max)) {
			w->stats.tcp_ack_unsent++;
		rte_pktmbuf_free(m);
		tcp_ack_limited(w, f, true);
		return;
	}
	if (seq_lt(s->ack, f->snd_una - f->max_snd_wnd)) {
		rte_pktmbuf_free(m);
		tcp_ack_limited(w, f, true);
		return;
	}
	if (!tcp_ack_in(w, f, s)) {
		rte_pktmbuf_free(m);
		return;
	}
	if (f->state == SL_TCP_TIME_WAIT) {
		rte_pktmbuf_free(m);
		return;
	}

	if (s->len > 0 || (s->flags & RTE_TCP_FIN_FLAG)) {
		switch (f->state) {
		case SL_TCP_ESTABLISHED:
		case SL_TCP_FIN_WAIT_1:
		case SL_TCP_FIN_WAIT_2:
			tcp_data_in(w, f, m, s);
			break;
		default:
			/* CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent FIN. */
			rte_pktmbuf_free(m);
			f->flags |= TF_ACKNOW;
			break;
		}
	} else {
		rte_pktmbuf_free(m);
	}
	if (f->flags & (TF_ACKNOW | TF_DELACK) || f->tx.bytes > 0 ||
	    (f->flags & TF_FIN_QUEUED))
		flow_mark_dirty(w, f);
}

static bool
tcp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t off,
	     uint32_t len)
{
	uint64_t fl = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (fl == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (fl == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	/* Over a segment that includes its checksum, a correct sum is all ones. */
	return cksum_add(cksum_ipv4_phdr(ip->src_addr, ip->dst_addr, IPPROTO_TCP, len),
			 cksum_mbuf(m, off, len)) == 0xffff;
}

void
tcp_input(struct sl_worker *w, struct rte_mbuf *m)
{
	const uint32_t off = (uint32_t)m->l2_len + m->l3_len;
	const uint32_t l4len = m->pkt_len - off;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *th;
	struct tcp_flow *f;
	struct tcp_seg s;
	uint32_t hlen;
	uint8_t fl;

	w->stats.tcp_rx_segs++;
	if (unlikely(l4len < sizeof(*th) || rte_pktmbuf_data_len(m) < off + sizeof(*th))) {
		w->stats.tcp_drop_short++;
		goto drop;
	}
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, off);
	hlen = (uint32_t)(th->data_off >> 4) * 4;
	if (unlikely(hlen < sizeof(*th) || hlen > l4len || rte_pktmbuf_data_len(m) < off + hlen)) {
		w->stats.tcp_drop_doff++;
		goto drop;
	}
	if (unlikely(!tcp_cksum_ok(m, ip, off, l4len))) {
		w->stats.tcp_drop_cksum++;
		goto drop;
	}
	if (unlikely(th->src_port == 0 || th->dst_port == 0)) {
		w->stats.tcp_drop_port0++;
		goto drop;
	}
	fl = th->tcp_flags;
	if (unlikely((fl & RTE_TCP_SYN_FLAG) && (fl & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)))) {
		w->stats.tcp_drop_flags++;
		goto drop;
	}
	s.th = th;
	s.flags = fl;
	s.hlen = (uint8_t)hlen;
	s.seq = rte_be_to_cpu_32(th->sent_seq);
	s.ack = rte_be_to_cpu_32(th->recv_ack);
	s.wnd = rte_be_to_cpu_16(th->rx_win);
	s.len = l4len - hlen;
	s.key.raddr = ip->src_addr;
	s.key.laddr = ip->dst_addr;
	s.key.rport = th->src_port;
	s.key.lport = th->dst_port;
	if (hlen > sizeof(*th)) {
		if (tcp_opt_parse((const uint8_t *)(th + 1), hlen - sizeof(*th), &s.opts) != 0)
			w->stats.tcp_opt_malformed++;
	} else {
		s.opts.has = 0;
	}

	f = flow_lookup(w, &s.key);
	if (f == NULL)
		tcp_input_noflow(w, m, &s);
	else
		tcp_input_flow(w, f, m, &s);
	return;
drop:
	rte_pktmbuf_free(m);
}
