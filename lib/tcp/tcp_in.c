/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_in.c -- TCP input: RFC 9293 §3.10.7 "SEGMENT ARRIVES", with RFC 5961, RFC 7323
 * (PAWS), RFC 5681 (duplicate ACKs; the window arithmetic is the congestion control
 * module's, cc.h, and loss recovery tcp_recovery.c's, fed by the scoreboard of
 * tcp_sack.c) and RFC 6298 (RTT).
 *
 * ipv4_input -> tcp_input:
 *   tcp_seg_parse      header, checksum, flags; options parsed; then lookup (port 0
 *                      tested there: tcp_seg_port0)
 *   tcp_input_noflow   CLOSED (RST) and LISTEN: SYN -> SYN-RECEIVED or a SYN cookie,
 *                      ACK -> cookie check
 *   tcp_input_syn_sent the reply to our SYN (or a simultaneous open)
 *   tcp_input_timewait re-ACK the peer's FIN, TIME-WAIT reuse by a newer SYN
 *   tcp_input_flow     SYN-RECEIVED and the synchronized states, one step per check of
 *                      §3.10.7.4 in its order:
 *       tcp_paws_check, tcp_seq_check     first, sequence number (PAWS first)
 *       tcp_rst_in                        second, RST (RFC 5961 §3.2)
 *       tcp_syn_in                        fourth, SYN (RFC 5961 §4.2)
 *       tcp_syn_rcvd_ack, tcp_ack_acceptable, tcp_ack_in
 *                                         fifth, ACK: acceptability (RFC 5961 §5.2), the
 *                                         window (tcp_wnd_update), new data acknowledged
 *                                         (tcp_ack_new: RTT, congestion control through
 *                                         f->cc, recovery, timer, FIN acknowledged) or a
 *                                         duplicate (tcp_dupack_in)
 *       tcp_ecn_input (tcp_ecn.c)         ECN: the ACK's ECE, the data's CWR and CE marks
 *       tcp_text_in, tcp_data_in          seventh, segment text (in order or queued)
 *       tcp_fin_in                        eighth, FIN
 *
 * Side effects for the application are only recorded (flow_mark_ready) and output only
 * scheduled (flow_mark_dirty): callbacks run in the delivery phase, segments leave in the
 * output phase, so nothing here re-enters TCP processing. Every path consumes the mbuf
 * exactly once: it is queued (in-order or out-of-order data), reused for an in-place
 * reply, or freed.
 */

#define SL_LOG_MODULE tcp	/* sluice.tcp (core/log.h) */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "core/steer.h"
#include "api/wmark.h"
#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "net/cksum.h"
#include "net/ipv4.h"
#include "net/mbuf_util.h"
#include "net/pmtu.h"
#include "tcp/cc.h"
#include "tcp/flow.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_ecn.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_mem.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"

/* PAWS stops using ts_recent after it has been idle this long (RFC 7323 §5.5). */
#define PAWS_IDLE_US (24ull * 24 * 3600 * 1000 * 1000)

/* A dropped segment at debug level (sluice.tcp): its 4-tuple, flags and sequence number,
 * and why -- the name of the counter it went to, as /sluice/stats shows it. What an
 * operator looks at when a connection does not come up or stalls. Rate-limited (one
 * budget for every reason: a flood of one kind shows as "+N suppressed"); cold. */
static __rte_noinline void
tcp_drop_note(const struct flow_key *k, uint8_t flags, uint32_t seq, const char *why)
{
	SL_LOG_RL(DEBUG, "drop " SL_IP4_FMT ":%u > " SL_IP4_FMT ":%u flags 0x%02x seq %u: %s",
		  SL_IP4_ARGS(k->raddr), rte_be_to_cpu_16(k->rport), SL_IP4_ARGS(k->laddr),
		  rte_be_to_cpu_16(k->lport), flags, seq, why);
}

/* Count a parsed segment s dropped under the counter ctr of w, and note it. */
#define TCP_DROP(w, s, ctr) do { \
	(w)->stats.ctr++; \
	tcp_drop_note(&(s)->key, (s)->flags, (s)->seq, #ctr); \
} while (0)

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
	/* The path MTU learnt for this destination (pmtu.c), else the port's. */
	mss = RTE_MIN(mss, (uint32_t)pmtu_get(w, f->key.raddr) - 40);
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
	flow_set_state(f, SL_TCP_ESTABLISHED);
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
	f->sb.fack = f->snd_una;
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
		TCP_DROP(w, s, tcp_backlog_drop);
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
	flow_set_state(f, SL_TCP_SYN_RCVD);
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
	tcp_ecn_syn_in(w, f, s->flags);
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
	bool sack = false, ecn = false;
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
		tcp_cookie_ts_decode(s->opts.tsecr, &sack, &ws, &ecn);
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
	tcp_ecn_cookie_in(w, f, ecn);
	f->rcv_adv = f->rcv_nxt + RTE_MIN(cfg->rcvbuf, 65535u);
	f->snd_wl1 = s->seq - 1;	/* so this ACK's window is taken */
	f->snd_wl2 = s->ack;
	flow_set_state(f, SL_TCP_SYN_RCVD);
	tcp_established(w, f);
	tcp_input_flow(w, f, m, s);
}

static void
tcp_input_noflow(struct sl_worker *w, struct rte_mbuf *m, struct tcp_seg *s)
{
	struct tcp_listener *l;
	uint16_t mss;

	/* CLOSED: "An incoming segment containing a RST is discarded"; LISTEN: "An
	 * incoming RST should be ignored". */
	if (s->flags & RTE_TCP_RST_FLAG) {
		TCP_DROP(w, s, tcp_rst_noconn);
		rte_pktmbuf_free(m);
		return;
	}
	l = listener_find(w, rte_be_to_cpu_16(s->key.lport));
	if (l == NULL) {
		tcp_drop_note(&s->key, s->flags, s->seq, "no connection or listener: RST sent");
		tcp_reply_rst(w, m, s);			/* CLOSED: RST to anything else */
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
		/* "Any other control or text-bearing segment (not containing SYN) must have
		 * an ACK and thus would be discarded by the ACK processing." */
		TCP_DROP(w, s, tcp_drop_nosyn);
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
		/* "If neither of the SYN or RST bits is set, then drop the segment". */
		TCP_DROP(w, s, tcp_drop_nosyn);
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_free(m);
	f->irs = s->seq;
	f->rcv_nxt = s->seq + 1;
	tcp_negotiate(w, f, &s->opts);
	tcp_ecn_syn_in(w, f, s->flags);
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
		flow_set_state(f, SL_TCP_SYN_RCVD);
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

/* ---- synchronized states: RFC 9293 §3.10.7.4, one step per check ---- */

/* SYN-RECEIVED, before the checks: segments of the handshake that the sequence check
 * would reject. Returns true when the segment was one of them (and consumed). */
static bool
tcp_syn_rcvd_handshake(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		       const struct tcp_seg *s)
{
	/* A retransmitted SYN: our SYN-ACK was lost, send it again. */
	if ((s->flags & RTE_TCP_SYN_FLAG) &&
	    !(s->flags & (RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) && s->seq == f->irs) {
		rte_pktmbuf_free(m);
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
		return true;
	}
	/* Simultaneous open (RFC 9293 §3.5 Figure 7): in SYN-RECEIVED after our own SYN,
	 * the peer's SYN-ACK for it completes the handshake (as in Linux's
	 * tcp_validate_incoming). It would fail the sequence check (SEG.SEQ = IRS). */
	if (!(f->flags & TF_PASSIVE) &&
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
		return true;
	}
	return false;
}

/* PAWS (RFC 7323 §5.3 R1): "If there is a Timestamps option in the arriving segment,
 * SEG.TSval < TS.Recent, TS.Recent is valid ..., and if the RST bit is not set, then
 * treat the arriving segment as not acceptable": an old duplicate from an earlier turn of
 * the sequence space. TS.Recent stops being valid after 24 idle days (§5.5). Returns
 * false when the segment was dropped (and answered, within the ACK budget). */
static bool
tcp_paws_check(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
	       const struct tcp_seg *s)
{
	if (!(f->flags & TF_TS) || !(s->opts.has & TO_TS) || (s->flags & RTE_TCP_RST_FLAG) ||
	    !seq_lt(s->opts.tsval, f->ts_recent) ||
	    w->clock.now_us - f->ts_recent_us >= PAWS_IDLE_US)
		return true;
	TCP_DROP(w, s, tcp_paws_drop);
	rte_pktmbuf_free(m);
	tcp_ack_limited(w, f, false);
	return false;
}

/* Data received twice: the next ACK reports it in a D-SACK block (RFC 2883 §4), so that
 * the peer can tell a spurious retransmission from a loss. */
static void
tcp_dsack_note(struct tcp_flow *f, uint32_t start, uint32_t end)
{
	f->quickack = TCP_QUICKACKS;
	if (!(f->flags & TF_SACK))
		return;
	f->dsack.start = start;
	f->dsack.end = end;
	flow_dsack_set(f, true);
}

/* Is any part of the segment inside our window (RFC 9293 §3.10.7.4, the table of the
 * four cases of segment length and receive window)? A segment without data may also sit
 * at the right edge: that is where a peer that filled our window (and lost some of it on
 * the way) sends its ACKs from, and "special allowance should be made to accept valid
 * ACKs" (as Linux's tcp_sequence does); dropping them would stop our ACK clock. */
static bool
tcp_seq_acceptable(const struct tcp_flow *f, const struct tcp_seg *s, uint32_t seglen)
{
	uint32_t wnd = seq_gt(f->rcv_adv, f->rcv_nxt) ? f->rcv_adv - f->rcv_nxt : 0;

	if (seglen == 0)
		return seq_in(s->seq, f->rcv_nxt, f->rcv_nxt + wnd + 1);
	if (wnd == 0)
		return false;
	return seq_in(s->seq, f->rcv_nxt, f->rcv_nxt + wnd) ||
	       seq_in(s->seq + seglen - 1, f->rcv_nxt, f->rcv_nxt + wnd);
}

/* First check, sequence number: "If a segment's contents straddle the boundary between
 * old and new, only the new parts are processed"; a segment entirely outside the window
 * is not acceptable, and "an acknowledgment should be sent in reply (unless the RST bit
 * is set ...)". A FIN at RCV.NXT is taken even with a zero window. Returns false when the
 * segment was dropped. */
static bool
tcp_seq_check(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
	      const struct tcp_seg *s)
{
	uint32_t seglen = s->len + !!(s->flags & RTE_TCP_SYN_FLAG) +
			  !!(s->flags & RTE_TCP_FIN_FLAG);

	if (likely(tcp_seq_acceptable(f, s, seglen)) ||
	    (s->len == 0 && (s->flags & RTE_TCP_FIN_FLAG) && s->seq == f->rcv_nxt))
		return true;
	TCP_DROP(w, s, tcp_oow_drop);
	rte_pktmbuf_free(m);
	if (s->flags & RTE_TCP_RST_FLAG) {
		w->stats.tcp_rst_ignored++;
		return false;
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
	} else if (seglen > 0 && !(s->flags & RTE_TCP_SYN_FLAG) &&
		   seq_le(s->seq + seglen, f->rcv_nxt) && f->rcv_nxt - s->seq <= TCP_DUP_SPAN) {
		/* Data (or a FIN) we hold already: a retransmission whose ACK was lost, and
		 * the sender waits for this answer. Never rate-limited (Linux's
		 * tcp_oow_rate_limited exempts data too: it cannot be part of an ACK loop);
		 * a D-SACK block reports the duplicate. */
		if (s->len > 0)
			tcp_dsack_note(f, s->seq, s->seq + s->len);
		w->stats.tcp_dup_answered++;
		tcp_send_ack(w, f);
	} else {
		tcp_ack_limited(w, f, false);
	}
	return false;
}

/* Second check, RST bit (RFC 5961 §3.2, in the window by now): "If the RST bit is set
 * and the sequence number exactly matches the next expected sequence number (RCV.NXT),
 * then TCP MUST reset the connection"; any other in-window RST gets a challenge ACK.
 * Consumes m. */
static void
tcp_rst_in(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
	   const struct tcp_seg *s)
{
	rte_pktmbuf_free(m);
	if (s->seq != f->rcv_nxt) {
		tcp_ack_limited(w, f, true);
		return;
	}
	w->stats.tcp_rst_rx++;
	flow_closed(w, f, SL_CLOSE_RESET);
}

/* Fourth check, SYN bit (RFC 5961 §4.2): "If the SYN bit is set, irrespective of the
 * sequence number, TCP MUST send an ACK (also referred to as challenge ACK)" and drop the
 * segment. Consumes m. */
static void
tcp_syn_in(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m)
{
	w->stats.tcp_syn_in_window++;
	rte_pktmbuf_free(m);
	tcp_ack_limited(w, f, true);
}

/* The timestamp to echo from now on (RFC 7323 §4.3): the TSval of the segment that
 * reaches the left edge of the window, "SEG.SEQ =< Last.ACK.sent". */
static void
tcp_ts_recent_update(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s)
{
	if ((f->flags & TF_TS) && (s->opts.has & TO_TS) && seq_le(s->seq, f->rcv_nxt)) {
		f->ts_recent = s->opts.tsval;
		f->ts_recent_us = w->clock.now_us;
	}
}

/* Fifth check in SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
 * state"; otherwise "form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it". Returns
 * false when the segment was answered with that reset (and consumed). */
static bool
tcp_syn_rcvd_ack(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		 const struct tcp_seg *s)
{
	if (!seq_gt(s->ack, f->snd_una) || seq_gt(s->ack, f->snd_max)) {
		tcp_reply_rst(w, m, s);
		return false;
	}
	tcp_established(w, f);
	f->snd_wl1 = s->seq - 1;	/* take this segment's (scaled) window */
	return true;
}

/* ACK acceptability (RFC 5961 §5.2): "((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT)";
 * every other segment "MUST be discarded and an ACK sent back" (a challenge ACK, within
 * the budget). Returns false when the segment was discarded. */
static bool
tcp_ack_acceptable(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		   const struct tcp_seg *s)
{
	if (unlikely(seq_gt(s->ack, f->snd_max))) {
		w->stats.tcp_ack_unsent++;
		rte_pktmbuf_free(m);
		tcp_ack_limited(w, f, true);
		return false;
	}
	if (unlikely(seq_lt(s->ack, f->snd_una - f->max_snd_wnd))) {
		w->stats.tcp_ack_old++;
		rte_pktmbuf_free(m);
		tcp_ack_limited(w, f, true);
		return false;
	}
	return true;
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

/* Window update (RFC 9293 §3.10.7.4, ESTABLISHED): "If (SND.WL1 < SEG.SEQ or (SND.WL1 =
 * SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and
 * set SND.WL2 <- SEG.ACK": a segment older than the last one that set the window does
 * not set it again. A window that opens ends persist mode. */
static void
tcp_wnd_update(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s, uint32_t wnd)
{
	uint32_t old_wnd = f->snd_wnd;

	if (!seq_lt(f->snd_wl1, s->seq) && (f->snd_wl1 != s->seq || !seq_le(f->snd_wl2, s->ack)))
		return;
	if (wnd != old_wnd)
		flow_mark_dirty(w, f);
	f->snd_wnd = wnd;
	f->snd_wl1 = s->seq;
	f->snd_wl2 = s->ack;
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

/* RTT sampling (RFC 6298 §3, Karn's algorithm): the timed segment (never a retransmitted
 * one) is acknowledged. Only a new measurement collapses a backed-off RTO (RFC 6298 §5);
 * with timestamps the echo measures this ACK's RTT even for a retransmission (RFC 7323
 * §4), so it counts as one too. Returns the sample for the congestion control's hooks
 * (tcp_rtt_estimate: at least 1), 0 when the ACK measured nothing. */
static __rte_always_inline uint32_t
tcp_rtt_ack(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s)
{
	uint32_t rtt = 0;

	if (f->rtt_timing && seq_ge(s->ack, f->rtt_seq)) {
		rtt = tcp_rtt_estimate(w, f, (uint32_t)(w->clock.now_us - f->rtt_start));
		f->rtt_timing = false;
		f->backoff = 0;
	} else if ((f->flags & TF_TS) && (s->opts.has & TO_TS)) {
		f->backoff = 0;
	}
	return rtt;
}

/* The retransmission timer after an ACK of new data: (5.2) "When all outstanding data
 * has been acknowledged, turn off the retransmission timer", (5.3) otherwise "restart
 * the retransmission timer" (RFC 6298). In persist mode the timer is the probe timer and
 * keeps running. */
static void
tcp_rtx_timer_ack(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->snd_una == f->snd_max) {
		if (!(f->flags & TF_PERSIST))
			f->rtx_at = 0;
		f->unacked_since = 0;
		f->idle_since = w->clock.now_us;
		return;
	}
	f->unacked_since = w->clock.now_us;
	if (!(f->flags & TF_PERSIST))
		tcp_rtx_arm(w, f, true);
}

/* Our FIN is acknowledged: "FIN-WAIT-1 ... enter FIN-WAIT-2", "CLOSING ... enter the
 * TIME-WAIT state", "LAST-ACK ... delete the TCB, enter the CLOSED state". Returns false
 * when the connection ended (f must not be used then). */
static bool
tcp_fin_acked(struct sl_worker *w, struct tcp_flow *f)
{
	switch (f->state) {
	case SL_TCP_FIN_WAIT_1:
		flow_set_state(f, SL_TCP_FIN_WAIT_2);
		if (f->flags & TF_RX_CLOSED) {
			/* Nobody reads any more: the peer gets fin_wait2_ms to finish. */
			f->tw_at = w->clock.now_us + (uint64_t)w->cfg->fin_wait2_ms * 1000;
			tcp_timer_arm(w, f);
		}
		return true;
	case SL_TCP_CLOSING:
		flow_enter_timewait(w, f);
		return true;
	case SL_TCP_LAST_ACK:
		flow_closed(w, f, SL_CLOSE_NORMAL);
		return false;
	default:
		return true;
	}
}

/* What every ACK of new data does to the send side, the general path and tcp_ack_all
 * alike: the data bytes acknowledged leave the send queue (their room goes back to the
 * writer's water marks), snd_una moves to ack, and the marks behind it follow. */
static __rte_always_inline void
tcp_ack_advance(struct sl_worker *w, struct tcp_flow *f, uint32_t ack, uint32_t data)
{
	txbuf_ack(w, &f->tx, data);
	f->bytes_acked += data;
	wmark_put(w, f, data);	/* on_writable, producers, at the low mark */
	f->snd_una = ack;
	if (seq_lt(f->sack_high, ack))
		f->sack_high = ack;
	if (seq_lt(f->snd_nxt, ack))
		f->snd_nxt = ack;
}

/* "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK": free what the peer has,
 * time the round trip, grow the congestion window (outside recovery), restart the timer,
 * let loss recovery see what the ACK delivered (n: its SACK news, completed here), and
 * follow our FIN if that was acknowledged. Returns false when the connection ended.
 * The general case of tcp_ack_new (below), and the reference of its fast path. */
static __rte_noinline bool
tcp_ack_new_general(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
		    struct tcp_sack_news *n)
{
	uint32_t ack = s->ack;
	uint32_t acked = ack - f->snd_una;
	uint32_t data = RTE_MIN(acked, f->tx.bytes);
	bool fin_acked = (f->flags & TF_FIN_SENT) && ack == f->snd_max && acked > data;
	uint32_t rtt;

	tcp_sb_ack(f, ack, n);
	tcp_ack_advance(w, f, ack, data);
	rtt = tcp_rtt_ack(w, f, s);
	f->nrtx = 0;
	/* The congestion control hears the sample and the ACK as one when both come
	 * (cc.h tcp_cc_on_rtt_sample_ack; no hook reads rtt_timing, backoff or nrtx);
	 * during recovery, the sample alone. */
	if (likely(!(f->flags & TF_RECOVERY))) {
		if (rtt != 0)
			tcp_cc_on_rtt_sample_ack(f->cc, f, rtt, acked);
		else
			tcp_cc_on_ack(f->cc, f, acked);
	} else if (rtt != 0) {
		tcp_cc_on_rtt_sample(f->cc, f, rtt);
	}
	if (likely(!(f->flags & TF_RECOVERY)) || (f->flags & TF_SACK))
		f->dupacks = 0;	/* without SACK, recovery counts them (tcp_recovery.c) */
	tcp_rtx_timer_ack(w, f);
	flow_mark_dirty(w, f);
	tcp_recovery_ack(w, f, s, acked, n);
	/* recover trails SND.UNA outside recovery: it is compared with seq_* only, and a
	 * value left 2^31 bytes behind would read as ahead, shutting recovery and probes
	 * out. One behind keeps "covers more than recover" (RFC 6582) true. */
	if (seq_gt(f->snd_una, f->recover + 1) && !(f->flags & TF_RECOVERY))
		f->recover = f->snd_una - 1;
	return fin_acked ? tcp_fin_acked(w, f) : true;
}

/* May tcp_ack_all take this ACK of new data? It acknowledges everything in flight, and
 * that was data alone (no FIN) sent once in one burst: the scoreboard holds one plain
 * record ending at the ACK, nothing SACKed above SND.UNA, and the SACK blocks (if any)
 * told nothing (n empty); no recovery, no reduction to undo, no probe out, no persist.
 * The request-response exchange, whose every ACK is this one. */
static __rte_always_inline bool
tcp_ack_all_ok(const struct sl_worker *w, const struct tcp_flow *f, const struct tcp_seg *s,
	       const struct tcp_sack_news *n)
{
	const struct tcp_sb *sb = &f->sb;

	/* TF_REC_OPEN: a reduction to undo or a probe out (flow.h). */
	return s->ack == f->snd_max &&
	       !(f->flags & (TF_RECOVERY | TF_PERSIST | TF_FIN_SENT | TF_REC_OPEN)) &&
	       sb->n == 1 && sb->rec[0].flags == 0 && sb->rec[0].end == s->ack &&
	       !seq_gt(sb->fack, f->snd_una) &&
	       !n->delivered && !n->reordered && n->dsack == 0 &&
	       s->ack - f->snd_una <= f->tx.bytes && !w->tcp.ack_all_off;
}

/* tcp_ack_new_general for the ACK tcp_ack_all_ok admits, step by step with what each
 * step comes to then: tcp_sb_ack empties the scoreboard (its fast path: the record
 * delivered, fack = SEG.ACK); all acked bytes are data (acked <= tx.bytes, no FIN), and
 * our FIN is not acknowledged; outside recovery the congestion control sees the ACK and
 * the duplicate count resets; tcp_rtx_timer_ack finds nothing in flight and no persist,
 * so the timer stops; tcp_recovery_ack takes its common case (nothing to undo, no probe,
 * no D-SACK, the delivered record not a retransmission, fack = SND.UNA), which is RACK's
 * update alone (tcp_recovery_ack_all); recover trails SND.UNA. The same stores, without
 * the SACK news passed between the steps or their checks repeated, in the same order but
 * for RACK's, made first (see there); tests compare it with the general path
 * (test_tcp_recovery.c). */
static __rte_always_inline void
tcp_ack_all(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s)
{
	uint32_t ack = s->ack;
	uint32_t acked = ack - f->snd_una;

	/* RACK's update first, while the record's time is at hand (made last, the time
	 * had to outlive the calls below in a stack slot): no step below reads what it
	 * writes (f->rec's RACK fields), and it reads nothing they write. */
	tcp_recovery_ack_all(w, f, f->sb.rec[0].xmit, ack);
	f->sb.n = 0;
	f->sb.fack = ack;
	tcp_ack_advance(w, f, ack, acked);
	/* tcp_rtt_ack, with the congestion control's two hooks as one call when the ACK
	 * measured the RTT (no hook reads rtt_timing, backoff or nrtx). */
	if (f->rtt_timing && seq_ge(ack, f->rtt_seq)) {
		uint32_t rtt = tcp_rtt_estimate(w, f, (uint32_t)(w->clock.now_us - f->rtt_start));

		f->rtt_timing = false;
		f->backoff = 0;
		f->nrtx = 0;
		tcp_cc_on_rtt_sample_ack(f->cc, f, rtt, acked);
	} else {
		if ((f->flags & TF_TS) && (s->opts.has & TO_TS))
			f->backoff = 0;
		f->nrtx = 0;
		tcp_cc_on_ack(f->cc, f, acked);
	}
	f->dupacks = 0;
	f->rtx_at = 0;
	f->unacked_since = 0;
	f->idle_since = w->clock.now_us;
	flow_mark_dirty(w, f);
	if (seq_gt(ack, f->recover + 1))
		f->recover = ack - 1;
}

/* An ACK of new data (SND.UNA < SEG.ACK =< SND.MAX); returns false when the connection
 * ended (f must not be used then). Inline in its callers: header prediction, which
 * passes no SACK news, then checks nothing about them. */
static __rte_always_inline bool
tcp_ack_new(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s,
	    struct tcp_sack_news *n)
{
	if (likely(tcp_ack_all_ok(w, f, s, n))) {
		tcp_ack_all(w, f, s);
		return true;
	}
	return tcp_ack_new_general(w, f, s, n);
}

/* tcp_ack_new for header prediction, whose ACKs bring no SACK news: tcp_ack_all_ok's
 * tests of the news are left out, and the empty news is made only for the general
 * path. */
static __rte_always_inline void
tcp_ack_new_predicted(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s)
{
	static const struct tcp_sack_news none;

	if (likely(tcp_ack_all_ok(w, f, s, &none))) {
		tcp_ack_all(w, f, s);
	} else {
		struct tcp_sack_news n = { 0 };

		tcp_ack_new_general(w, f, s, &n);
	}
}

/* A duplicate ACK (RFC 5681 §3.2). The first two let one new segment out each (limited
 * transmit, RFC 3042), so that a small flight still produces a third instead of waiting
 * for the RTO. The third starts fast retransmit and recovery (tcp_recovery_dupack), unless
 * it only echoes retransmissions of an earlier loss (RFC 6582 §3.2 step 2). */
static void
tcp_dupack_in(struct sl_worker *w, struct tcp_flow *f, const struct tcp_sack_news *n)
{
	w->stats.tcp_dupacks++;
	f->dupacks++;
	tcp_recovery_dupack(w, f, n);
	flow_mark_dirty(w, f);
}

/* Fifth check, ACK field, in the synchronized states: the peer's window, then its
 * acknowledgment, new or duplicate. Returns false when the connection ended (LAST-ACK
 * completed); f must not be used then. */
static bool
tcp_ack_in(struct sl_worker *w, struct tcp_flow *f, const struct tcp_seg *s)
{
	uint32_t wnd = s->wnd << f->snd_ws;
	/* Answers to zero-window probes repeat the ACK, but nothing was lost. */
	bool dup = !(f->flags & TF_PERSIST) && tcp_is_dupack(f, s, wnd);
	struct tcp_sack_news n = { 0 };

	if (unlikely(s->wnd == 0))
		w->stats.tcp_rx_zero_window++;
	/* The peer answers our window probes: never give up on it (RFC 9293 §3.8.6.1). */
	if (f->flags & TF_PERSIST)
		f->nrtx = 0;
	tcp_wnd_update(w, f, s, wnd);
	if ((s->opts.has & TO_SACK) && (f->flags & TF_SACK))
		tcp_sack_in(w, f, s->ack, s->opts.sack, s->opts.nsack, &n);
	if (seq_gt(s->ack, f->snd_una))
		return tcp_ack_new(w, f, s, &n);
	if (dup)
		tcp_dupack_in(w, f, &n);
	tcp_recovery_ack(w, f, s, 0, &n);
	return true;
}

/* Eighth check, FIN bit: "Signal the user "connection closing" ..., advance RCV.NXT over
 * the FIN, and send an acknowledgment for the FIN", then the state moves on. */
static void
tcp_fin_in(struct sl_worker *w, struct tcp_flow *f)
{
	f->rcv_nxt++;
	f->flags |= TF_FIN_RCVD | TF_ACKNOW;
	flow_mark_ready(w, f, EV_EOF);
	switch (f->state) {
	case SL_TCP_SYN_RCVD:
	case SL_TCP_ESTABLISHED:
		flow_set_state(f, SL_TCP_CLOSE_WAIT);
		break;
	case SL_TCP_FIN_WAIT_1:
		/* "If our FIN has been ACKed ..., then enter TIME-WAIT ...; otherwise, enter
		 * the CLOSING state." */
		if ((f->flags & TF_FIN_SENT) && f->snd_una == f->snd_max)
			flow_enter_timewait(w, f);
		else
			flow_set_state(f, SL_TCP_CLOSING);
		break;
	case SL_TCP_FIN_WAIT_2:
		f->tw_at = 0;
		flow_enter_timewait(w, f);
		break;
	default:
		break;
	}
}

/* Cut the payload of m (data pointer on it, starting at *seq) to what is new and what
 * fits the window we offered, "only the new parts are processed". Returns the payload
 * length left; *fin is cleared when the FIN falls outside. */
static uint32_t
tcp_data_trim(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, uint32_t *seq,
	      uint32_t len, bool *fin)
{
	if (seq_lt(*seq, f->rcv_nxt)) {
		/* Already received: keep only the new part (an overlapping retransmission). */
		uint32_t d = f->rcv_nxt - *seq;

		tcp_dsack_note(f, *seq, *seq + RTE_MIN(d, len));
		if (d >= len) {
			w->stats.tcp_dup_bytes += len;
			len = 0;
		} else {
			w->stats.tcp_dup_bytes += d;
			rte_pktmbuf_adj(m, (uint16_t)d);
			len -= d;
		}
		*seq = f->rcv_nxt;
		f->flags |= TF_ACKNOW;
	}
	if (len > 0 && seq_gt(*seq + len, f->rcv_adv)) {
		/* Beyond what we offered: keep what fits, drop the rest (and its FIN). */
		uint32_t keep = seq_gt(f->rcv_adv, *seq) ? f->rcv_adv - *seq : 0;

		w->stats.tcp_window_trim++;
		mbuf_trim_to(m, keep);
		len = keep;
		*fin = false;
		f->flags |= TF_ACKNOW;
	}
	return len;
}

/* When to acknowledge in-order data (RFC 9293 §3.8.6.3, RFC 5681 §4.2): after
 * delack_segs full-sized segments, on PSH when configured, or when delaying is off;
 * otherwise within delack_us. "After" normally means in the output phase, one ACK for all
 * a burst brought. After a sign of loss (data out of order, or a duplicate: our ACK was
 * lost) the next TCP_QUICKACKS ACKs leave at once instead, one per delack_segs segments,
 * and the rest of a burst is acknowledged in the output phase without delay: one lost
 * ACK per burst would otherwise stall the whole window until the sender's probe (Linux's
 * quick-ACK mode does the same). */
static __rte_always_inline void
tcp_ack_schedule(struct sl_worker *w, struct tcp_flow *f, uint32_t len, uint8_t flags)
{
	const struct sl_config *cfg = w->cfg;

	if (len >= f->rcv_mss) {
		f->rcv_mss = (uint16_t)RTE_MIN(len, 65535u);
		f->segs_unacked++;
	}
	if (unlikely(f->quickack > 0)) {
		/* Nothing waits for the delayed-ACK timer in quick-ACK mode. */
		if (f->segs_unacked >= cfg->delack_segs && f->ooo.nsegs == 0) {
			f->quickack--;
			w->stats.tcp_ack_quick++;
			if (tcp_send_ack(w, f) == 0)
				return;
		}
		f->flags |= TF_ACKNOW;
	} else if (f->segs_unacked >= w->tcp.ack_now_segs || (flags & w->tcp.ack_now_flags)) {
		/* delack_segs reached, delaying off, or PSH with ack_on_push: tcp_worker_init
		 * folds the config's three tests into these two. */
		f->flags |= TF_ACKNOW;
	} else {
		f->flags |= TF_DELACK;
		tcp_delack_arm(w, f);
	}
}

/* In-order payload (len bytes at RCV.NXT): onto the rx stream for the delivery phase,
 * or discarded after sl_conn_close(). Consumes m. Inline in both its callers: header
 * prediction's copy is on every data segment's path. */
static __rte_always_inline void
tcp_data_in_order(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, uint32_t len,
		  uint8_t flags)
{
	f->rcv_nxt += len;
	f->bytes_rcvd += len;
	w->stats.tcp_rx_bytes += len;
	if (f->flags & TF_RX_CLOSED) {
		w->stats.tcp_rx_discarded += len;
		rte_pktmbuf_free(m);
	} else {
		if (likely(m->next == NULL))
			rxbuf_append_seg(&f->rx, m, w->tcp.mdyn);
		else
			rxbuf_append(w, &f->rx, m);
		flow_mark_ready(w, f, EV_DATA);
	}
	tcp_ack_schedule(w, f, len, flags);
}

/* Segments queued out of order that are in order now; returns true when a queued FIN is
 * next. A hole was filled: ACK at once (RFC 5681 §4.2). */
static bool
tcp_data_fill_hole(struct sl_worker *w, struct tcp_flow *f)
{
	bool had = f->ooo.nsegs > 0;
	bool fin = tcp_ooo_drain(w, f);

	if (had) {
		f->flags |= TF_ACKNOW;
		if (f->rx.bytes > 0 && !(f->flags & TF_RX_CLOSED))
			flow_mark_ready(w, f, EV_DATA);
	}
	return fin;
}

/* Seventh check, segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2): "deliver the
 * segment text to the user RECEIVE buffers", in order, or queue it after a hole; then
 * the FIN (eighth check). Consumes m. */
static void
tcp_data_in(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, const struct tcp_seg *s)
{
	uint32_t seq = s->seq, len = s->len;
	bool fin = (s->flags & RTE_TCP_FIN_FLAG) != 0;

	if (f->flags & TF_FIN_RCVD) {
		/* Nothing may follow the peer's FIN; a retransmission of it is re-ACKed. */
		if (len > 0)
			TCP_DROP(w, s, tcp_drop_after_fin);
		rte_pktmbuf_free(m);
		f->flags |= TF_ACKNOW;
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)(m->l2_len + m->l3_len + s->hlen));
	len = tcp_data_trim(w, f, m, &seq, len, &fin);
	if (len == 0) {
		rte_pktmbuf_free(m);
		m = NULL;
	} else if (unlikely(w->tcp.mem_pressure) && tcp_mem_hoarding(w, f, m, seq != f->rcv_nxt)) {
		/* The pool is nearly empty and this connection holds unread data already:
		 * drop the payload (and the FIN after it) as if lost, so that the RX ring
		 * keeps the mbufs the ACKs that free memory arrive in (tcp_mem.h). */
		w->stats.tcp_rx_drop_mempressure++;
		rte_pktmbuf_free(m);
		return;
	}
	if (seq != f->rcv_nxt) {
		/* After a hole: queue it and ACK at once, with SACK (RFC 5681 §4.2). */
		if (m != NULL) {
			tcp_ooo_insert(w, f, m, seq, fin);
		} else if (fin) {
			f->ooo.fin = true;
			f->ooo.fin_seq = seq;
			flow_gate_ooo(f);
		}
		f->flags |= TF_ACKNOW;
		f->quickack = TCP_QUICKACKS;
		return;
	}
	if (m != NULL)
		tcp_data_in_order(w, f, m, len, s->flags);
	if ((f->flags & TF_OOO) && tcp_data_fill_hole(w, f))
		fin = true;
	if (fin)
		tcp_fin_in(w, f);
}

/* Segment text and FIN once the ACK is processed. In CLOSE-WAIT, CLOSING and LAST-ACK the
 * peer's FIN came already: "This should not occur ... Ignore the segment text", and the
 * retransmission of a FIN gets our ACK again. Consumes m. */
static void
tcp_text_in(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, const struct tcp_seg *s)
{
	if (s->len == 0 && !(s->flags & RTE_TCP_FIN_FLAG)) {
		rte_pktmbuf_free(m);
		return;
	}
	switch (f->state) {
	case SL_TCP_ESTABLISHED:
	case SL_TCP_FIN_WAIT_1:
	case SL_TCP_FIN_WAIT_2:
		tcp_data_in(w, f, m, s);
		break;
	default:
		if (s->len > 0)
			TCP_DROP(w, s, tcp_drop_after_fin);
		rte_pktmbuf_free(m);
		f->flags |= TF_ACKNOW;
		break;
	}
}

/* The end of every accepted segment's processing: an ACK owed while the TX queue is
 * backed up, and the flow onto the output list when it has something to send. */
static __rte_always_inline void
tcp_input_done(struct sl_worker *w, struct tcp_flow *f)
{
	/* While the TX queue is backed up (port.h) the output pass may not reach this flow
	 * for a while: an ACK that tells the peer of a loss (duplicate, SACK, D-SACK, quick
	 * ACKs) leaves now as a pure ACK; any other rides with the flow's data in its turn
	 * (a pure ACK per request would double the frames of a congested port). */
	if (unlikely(w->txq.shut) && (f->flags & TF_ACKNOW) &&
	    (f->quickack > 0 || f->ooo.nsegs > 0 || f->dsack_out)) {
		w->stats.tcp_ack_urgent_tx++;
		tcp_send_ack(w, f);
	}
	if (f->flags & (TF_ACKNOW | TF_DELACK) || f->tx.bytes > 0 ||
	    (f->flags & TF_FIN_QUEUED))
		flow_mark_dirty(w, f);
}

/* Flags that send a segment the general way (tcp_input_predicted): recovery, persist, a
 * FIN received, anything queued out of order. */
#define TF_IN_GENERAL (TF_RECOVERY | TF_PERSIST | TF_FIN_RCVD | TF_OOO)

/*
 * Header prediction (Van Jacobson's, as in RFC 1323 Appendix and Linux's
 * tcp_rcv_established): most segments of an established connection are the next one in
 * sequence, with only the ACK flag (and PSH), only a timestamp that passes PAWS, a
 * window that is not zero, an acknowledgment that is not a duplicate, and data that fits
 * the window; nothing is out of order, neither recovery nor persist is on, and the pool
 * is not under pressure (tcp_data_in then decides whether payload may stay). For those
 * every check of the full path below would pass, so they go straight to the ACK and the
 * data. Returns false (nothing done) for any other segment.
 *
 * A changed window is taken here too: the peer's window field moves whenever its free
 * space crosses a multiple of its scale (with a 1-byte request-response and a shift of
 * 3, one segment in 8), and the general path does nothing more for it than
 * tcp_wnd_update does below. The window only weighs in on the general path in two more
 * places: tcp_is_dupack, which needs an ACK of nothing new without data (excluded here),
 * and persist mode (excluded, and then a zero window, which is excluded too, is what
 * keeps it on). Segments that change the window but would be duplicate ACKs if it had
 * not changed still take the general path.
 *
 * Inline in tcp_input_owned, the one caller: no call and no second stack frame on the
 * path of nearly every segment.
 */
static __rte_always_inline bool
tcp_input_predicted(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		    const struct tcp_seg *s, uint32_t off)
{
	uint32_t wnd = s->wnd << f->snd_ws;
	uint32_t acked;

	/* ESTABLISHED, and none of the rest (flow.h TF_ESTAB, TF_OOO: one test). */
	if ((f->flags & (TF_ESTAB | TF_IN_GENERAL)) != TF_ESTAB ||
	    (s->flags & (uint8_t)~RTE_TCP_PSH_FLAG) != RTE_TCP_ACK_FLAG ||
	    s->seq != f->rcv_nxt || s->wnd == 0 || w->tcp.mem_pressure || w->tcp.predict_off)
		return false;
	if (f->flags & TF_TS) {
		if (s->opts.has != TO_TS || seq_lt(s->opts.tsval, f->ts_recent))
			return false;
	} else if (s->opts.has != 0) {
		return false;
	}
	/* An acknowledgment of new data, or of nothing new on a segment that is not a
	 * duplicate ACK (it carries data, or nothing is outstanding). SND.UNA =< SEG.ACK =<
	 * SND.MAX is one unsigned test: SND.MAX - SND.UNA is below 2^31, so an ACK below
	 * SND.UNA wraps to more than it. */
	acked = s->ack - f->snd_una;
	if (acked > f->snd_max - f->snd_una ||
	    (acked == 0 && s->len == 0 && f->snd_una != f->snd_max))
		return false;
	if (s->len > 0 && seq_gt(s->seq + s->len, f->rcv_adv))
		return false;

	w->stats.tcp_rx_predicted++;
	f->last_rx_us = w->clock.now_us;
	f->ka_sent = 0;
	if (f->flags & TF_TS) {
		f->ts_recent = s->opts.tsval;
		f->ts_recent_us = w->clock.now_us;
	}
	/* tcp_wnd_update, persist mode off (nothing to stop when the window opens). */
	if (seq_lt(f->snd_wl1, s->seq) || (f->snd_wl1 == s->seq && seq_le(f->snd_wl2, s->ack))) {
		if (unlikely(wnd != f->snd_wnd)) {
			flow_mark_dirty(w, f);
			f->snd_wnd = wnd;
			f->max_snd_wnd = RTE_MAX(f->max_snd_wnd, wnd);
		}
		f->snd_wl1 = s->seq;
		f->snd_wl2 = s->ack;
	}
	/* No SACK news: only the general paths are given a zero one to pass on. */
	if (acked != 0) {
		uint32_t una = f->snd_una;

		tcp_ack_new_predicted(w, f, s);	/* ESTABLISHED: our FIN is not out */
		tcp_ecn_input(w, f, s, una);
	} else {
		struct tcp_sack_news n = { 0 };

		tcp_recovery_ack(w, f, s, 0, &n);
		tcp_ecn_input(w, f, s, f->snd_una);
	}
	if (s->len > 0) {
		rte_pktmbuf_adj(m, (uint16_t)(off + s->hlen));
		tcp_data_in_order(w, f, m, s->len, s->flags);
	} else {
		rte_pktmbuf_free(m);
	}
	tcp_input_done(w, f);
	return true;
}

/*
 * SYN-RECEIVED and the synchronized states, RFC 9293 §3.10.7.4 "Otherwise", in its
 * order: the sequence number (with PAWS), RST, SYN, ACK, segment text and FIN. Each check
 * that rejects a segment consumes it; the URG check (sixth) is not implemented and the
 * security check (third) does not apply. Consumes m. The segments of established
 * connections come here when header prediction (tcp_input_owned) did not take them.
 */
static void
tcp_input_flow(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, struct tcp_seg *s)
{
	uint32_t una;

	switch (f->state) {
	case SL_TCP_SYN_SENT:
		tcp_input_syn_sent(w, f, m, s);
		return;
	case SL_TCP_TIME_WAIT:
		tcp_input_timewait(w, f, m, s);
		return;
	case SL_TCP_CLOSED:
		/* Waiting for the application to hear on_close. */
		TCP_DROP(w, s, tcp_drop_closed);
		rte_pktmbuf_free(m);
		return;
	case SL_TCP_SYN_RCVD:
		if (tcp_syn_rcvd_handshake(w, f, m, s))
			return;
		break;
	default:
		break;
	}

	/* First check: sequence number, PAWS first (RFC 7323 §5.3). */
	if (!tcp_paws_check(w, f, m, s) || !tcp_seq_check(w, f, m, s))
		return;
	f->last_rx_us = w->clock.now_us;
	f->ka_sent = 0;
	/* Second check: RST bit. */
	if (s->flags & RTE_TCP_RST_FLAG) {
		tcp_rst_in(w, f, m, s);
		return;
	}
	/* Fourth check: SYN bit. */
	if (s->flags & RTE_TCP_SYN_FLAG) {
		tcp_syn_in(w, f, m);
		return;
	}
	/* Fifth check: "if the ACK bit is off, drop the segment and return". */
	if (unlikely(!(s->flags & RTE_TCP_ACK_FLAG))) {
		TCP_DROP(w, s, tcp_drop_noack);
		rte_pktmbuf_free(m);
		return;
	}
	tcp_ts_recent_update(w, f, s);
	if (f->state == SL_TCP_SYN_RCVD && !tcp_syn_rcvd_ack(w, f, m, s))
		return;
	if (!tcp_ack_acceptable(w, f, m, s))
		return;
	/* The connection ended (LAST-ACK), or CLOSING reached TIME-WAIT: "the only thing
	 * that can arrive in this state is a retransmission of the remote FIN". */
	una = f->snd_una;
	if (!tcp_ack_in(w, f, s) || f->state == SL_TCP_TIME_WAIT) {
		rte_pktmbuf_free(m);
		return;
	}
	/* ECN: the peer's ECE, CWR and CE marks (RFC 3168 §6.1.2, §6.1.3). */
	tcp_ecn_input(w, f, s, una);
	/* Seventh and eighth checks: segment text and FIN. */
	tcp_text_in(w, f, m, s);
	tcp_input_done(w, f);
}

static bool
tcp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t off,
	     uint32_t len)
{
	uint64_t fl = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	/* No verdict from the port (no offload, or a software link) tested first: then
	 * the flags cost one test on the way to the sum. */
	if (fl != RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN) {
		if (fl == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			return true;
		if (fl == RTE_MBUF_F_RX_L4_CKSUM_BAD)
			return false;
	}
	/* Over a segment that includes its checksum, a correct sum is all ones. */
	return cksum_l4_ipv4_ok(m, ip->src_addr, ip->dst_addr, IPPROTO_TCP, off, len);
}

/* A segment that failed the header checks, noted like TCP_DROP with what is known of it
 * (th NULL: too short for a header). Returns false, for tcp_seg_parse. */
static __rte_noinline bool
tcp_parse_drop(const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, const char *why)
{
	struct flow_key k = { .raddr = ip->src_addr, .laddr = ip->dst_addr };

	if (th != NULL) {
		k.rport = th->src_port;
		k.lport = th->dst_port;
	}
	tcp_drop_note(&k, th != NULL ? th->tcp_flags : 0,
		      th != NULL ? rte_be_to_cpu_32(th->sent_seq) : 0, why);
	return false;
}

#define TCP_PARSE_DROP(w, ip, th, ctr) ((w)->stats.ctr++, tcp_parse_drop(ip, th, #ctr))

/*
 * The last of the header checks, "port 0" (RFC 9293 §3.10.7 does not allow it as either
 * port): true, counted and noted as tcp_parse_drop notes it, when s has it; the caller
 * frees the segment. Made where the flow is looked up, not in tcp_seg_parse: a segment of
 * the flow of the last segment has that flow's ports, which are not zero (a passive
 * open's come from a SYN that passed here, an active open's are a non-zero remote port
 * and an ephemeral one of [port_min, port_max], port_min at least 1 by
 * sl_config_validate). tcp_seg_parse makes it itself where the order of the counters
 * depends on it: before its flags drop (port 0 is counted first) and before the walk over
 * options other than the timestamps (a port-0 segment's are not counted malformed).
 * Nothing else is done with a segment before this point but reading the flow cache.
 */
static __rte_always_inline bool
tcp_seg_port0(struct sl_worker *w, const struct tcp_seg *s)
{
	if (likely(s->key.rport != 0 && s->key.lport != 0))
		return false;
	TCP_DROP(w, s, tcp_drop_port0);
	return true;
}

/* The header checks every segment passes before any state is looked at (RFC 9293
 * §3.10.7, and the impossible flag combinations), and the parsed segment in *s; off is
 * where the TCP header starts (m->l2_len + m->l3_len). Returns false, counted, when the
 * segment is malformed; the caller frees it. Port 0 is left to the caller where the flow
 * cache misses (tcp_seg_port0), but where the order of the counters needs it here. */
static __rte_always_inline bool
tcp_seg_parse(struct sl_worker *w, struct rte_mbuf *m, struct tcp_seg *s, const uint32_t off)
{
	const uint32_t l4len = m->pkt_len - off;
	const uint32_t dlen = rte_pktmbuf_data_len(m);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *th;
	uint32_t hlen;
	uint8_t fl;

	if (likely(dlen == m->pkt_len)) {
		/* The whole segment in the first mbuf (nearly always): the tests below on
		 * the segment's length are then those on the first mbuf's, made once.
		 * dlen < off + 20 is l4len < 20 as a signed test (pkt_len, here a data
		 * length, is below 2^16: no wrap, and a negative l4len fails it too). */
		if (unlikely((int32_t)l4len < (int32_t)sizeof(*th)))
			return TCP_PARSE_DROP(w, ip, NULL, tcp_drop_short);
		th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, off);
		hlen = (uint32_t)(th->data_off >> 2) & 0x3c;	/* (data_off >> 4) * 4 */
		if (unlikely(hlen < sizeof(*th) || hlen > l4len))
			return TCP_PARSE_DROP(w, ip, th, tcp_drop_doff);
	} else {
		if (unlikely(l4len < sizeof(*th) || dlen < off + sizeof(*th)))
			return TCP_PARSE_DROP(w, ip, NULL, tcp_drop_short);
		th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, off);
		hlen = (uint32_t)(th->data_off >> 2) & 0x3c;
		if (unlikely(hlen < sizeof(*th) || hlen > l4len || dlen < off + hlen))
			return TCP_PARSE_DROP(w, ip, th, tcp_drop_doff);
	}
	if (unlikely(!tcp_cksum_ok(m, ip, off, l4len)))
		return TCP_PARSE_DROP(w, ip, th, tcp_drop_cksum);
	/* Port 0 (RFC 9293 §3.10.7) is tested last, by tcp_seg_port0, and only for
	 * segments that need it: the drops below take its verdict first. */
	fl = th->tcp_flags;
	if (unlikely((fl & RTE_TCP_SYN_FLAG) && (fl & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)))) {
		if (th->src_port == 0 || th->dst_port == 0)
			return TCP_PARSE_DROP(w, ip, th, tcp_drop_port0);
		return TCP_PARSE_DROP(w, ip, th, tcp_drop_flags);
	}
	s->th = th;
	s->flags = fl;
	s->hlen = (uint8_t)hlen;
	s->seq = rte_be_to_cpu_32(th->sent_seq);
	s->ack = rte_be_to_cpu_32(th->recv_ack);
	s->wnd = rte_be_to_cpu_16(th->rx_win);
	s->len = l4len - hlen;
	s->ecn = ip->type_of_service & RTE_IPV4_HDR_ECN_MASK;
	s->key.raddr = ip->src_addr;
	s->key.laddr = ip->dst_addr;
	s->key.rport = th->src_port;
	s->key.lport = th->dst_port;
	/* The options of nearly every segment (the timestamps alone) or none, tested
	 * inline; any other layout takes tcp_opt_parse's walk. */
	if (likely(hlen == sizeof(*th) + TCP_OPT_TS_LEN)) {
		if (likely(tcp_opt_parse_ts((const uint8_t *)(th + 1), &s->opts)))
			return true;
	} else if (hlen == sizeof(*th)) {
		s->opts.has = 0;
		return true;
	}
	if (unlikely(th->src_port == 0 || th->dst_port == 0))
		return TCP_PARSE_DROP(w, ip, th, tcp_drop_port0);
	if (tcp_opt_parse((const uint8_t *)(th + 1), hlen - sizeof(*th), &s->opts) != 0)
		w->stats.tcp_opt_malformed++;
	return true;
}

/* The flow of k: the one tcp_rx_prefetch found for m, if it did (the key compared
 * again, which also covers an mbuf address seen twice), else flow_lookup. Hints are
 * taken in burst order; a segment without one (no flow then, or not parsed) leaves
 * them for the segments after it. Out of line: without hints (fewer flows than
 * TCP_PREFETCH_MIN_FLOWS) tcp_input goes straight to flow_lookup. */
static __rte_noinline struct tcp_flow *
tcp_rx_hinted(struct sl_worker *w, const struct rte_mbuf *m, const struct flow_key *k)
{
	struct tcp_worker *t = &w->tcp;
	uint32_t i;

	for (i = t->rx_hint_i; i < t->rx_hint_n; i++)
		if (t->rx_hint[i].m == m) {
			t->rx_hint_i = i + 1;
			if (likely(flow_key_eq(&t->rx_hint[i].f->key, k)))
				return t->rx_hint[i].f;
			break;
		}
	return flow_lookup(w, k);
}

/* tcp_input_owned and tcp_input_direct, off being where the TCP header starts (one copy:
 * the path of every segment is big enough that a second one, specialised for the direct
 * path's constant, would leave the compiler's inlining budget short for its helpers). */
static __rte_noinline void
tcp_input_at(struct sl_worker *w, struct rte_mbuf *m, const uint32_t off)
{
	struct tcp_flow *f;
	struct tcp_seg s;

	w->stats.tcp_rx_segs++;
	if (unlikely(!tcp_seg_parse(w, m, &s, off))) {
		rte_pktmbuf_free(m);
		return;
	}
	/* flow_lookup's one-entry cache, checked here without the call: the flow of the
	 * last segment is, with one connection busy, the flow of this one. */
	f = w->tcp.last_hit;
	if (f == NULL || !flow_key_eq(&f->key, &s.key)) {
		if (unlikely(tcp_seg_port0(w, &s))) {
			rte_pktmbuf_free(m);
			return;
		}
		f = w->tcp.rx_hint_i < w->tcp.rx_hint_n ? tcp_rx_hinted(w, m, &s.key) :
							   flow_lookup(w, &s.key);
	}
	if (f == NULL)
		tcp_input_noflow(w, m, &s);
	else if (unlikely(!tcp_input_predicted(w, f, m, &s, off)))
		tcp_input_flow(w, f, m, &s);
}

void
tcp_input(struct sl_worker *w, struct rte_mbuf *m)
{
	/* Before any parsing: the owner parses (and checksums) the segment once. */
	if (unlikely(w->stack->steer.check) && steer_tcp_handoff(w, m))
		return;
	tcp_input_owned(w, m);
}

void
tcp_input_owned(struct sl_worker *w, struct rte_mbuf *m)
{
	tcp_input_at(w, m, (uint32_t)m->l2_len + m->l3_len);
}

void
tcp_input_direct(struct sl_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->stack->steer.check) && steer_tcp_handoff(w, m))
		return;
	tcp_input_at(w, m, RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr));
}

/* ---- the RX burst's look-ahead ---- */

static inline void
flow_prefetch(const struct tcp_flow *f)
{
	const char *p = (const char *)f;
	unsigned int i;

	/* Unrolled, the mask a constant: one prefetch per hot line, nothing else. */
#pragma GCC unroll 32
	for (i = 0; i < 32; i++)
		if (TCP_FLOW_HOT_MASK & (UINT32_C(1) << i))
			rte_prefetch0(p + i * RTE_CACHE_LINE_SIZE);
}

/* The 4-tuple of m, when it is a TCP segment in IPv4 in Ethernet whose headers are in its
 * first segment; false for anything else (tcp_input judges those). */
static inline bool
tcp_rx_key(const struct rte_mbuf *m, struct flow_key *k)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	const struct rte_tcp_hdr *th;
	uint32_t ihl;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip) + sizeof(*th) ||
	    eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || ip->next_proto_id != IPPROTO_TCP)
		return false;
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (ihl < sizeof(*ip) || rte_pktmbuf_data_len(m) < sizeof(*eh) + ihl + sizeof(*th))
		return false;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	k->raddr = ip->src_addr;
	k->laddr = ip->dst_addr;
	k->rport = th->src_port;
	k->lport = th->dst_port;
	return true;
}

void
tcp_rx_prefetch(struct sl_worker *w, struct rte_mbuf *const *pkts, unsigned int n)
{
	enum { CHUNK = 32 };	/* at most RTE_HASH_LOOKUP_BULK_MAX */
	struct flow_key keys[CHUNK];
	const void *kp[CHUNK];
	const struct rte_mbuf *km[CHUNK];
	void *data[CHUNK];
	struct tcp_worker *t = &w->tcp;
	unsigned int i = 0, j, k;
	uint64_t hits;

	t->rx_hint_n = t->rx_hint_i = 0;
	while (i < n) {
		for (k = 0; i < n && k < CHUNK; i++)
			if (tcp_rx_key(pkts[i], &keys[k])) {
				kp[k] = &keys[k];
				km[k] = pkts[i];
				k++;
			}
		hits = 0;
		if (k == 0 || rte_hash_lookup_bulk_data(t->flows, kp, k, &hits, data) <= 0)
			continue;
		for (j = 0; j < k; j++)
			if (hits & (UINT64_C(1) << j)) {
				flow_prefetch(data[j]);
				if (t->rx_hint_n < TCP_RX_HINTS) {
					t->rx_hint[t->rx_hint_n].m = km[j];
					t->rx_hint[t->rx_hint_n].f = data[j];
					t->rx_hint_n++;
				}
			}
		/* Then what the flows point to: the send queue's water-mark slot (wmark.h:
		 * every send and ACK updates it) and its oldest chunk, which an ACK frees
		 * (allocated an RTT ago, so cold too); a second pass, once the flows' lines
		 * are on their way, reads where they are. */
		for (j = 0; j < k; j++) {
			const struct tcp_flow *f = data[j];
			const struct rte_mbuf *m;

			if (!(hits & (UINT64_C(1) << j)))
				continue;
			rte_prefetch0(wmark_slot(w, f));
			m = f->tx.q.head;
			if (m != NULL) {
				rte_prefetch0(m);
				rte_prefetch0((const char *)m + RTE_CACHE_LINE_SIZE);
			}
		}
	}
}
