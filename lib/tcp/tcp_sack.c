/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_sack.c -- the sender's scoreboard (tcp_sack.h): transmission records of the bytes
 * in flight, what the peer SACKed, what is lost and what was retransmitted.
 *
 * tcp_out.c -> tcp_sb_sent for every data segment; tcp_in.c -> tcp_sack_in with each
 * ACK's SACK blocks, tcp_sb_ack when SND.UNA moves; tcp_recovery.c reads and marks it
 * (pipe, NextSeg, IsLost, RACK).
 *
 * Every operation is one pass over at most TCP_SB_RECS records (a SACK block: one pass
 * plus two splits), so an ACK costs bounded work whatever its blocks say: the SACK-panic
 * class of peers (tiny MSS, thousands of scattered blocks) meets a full list and coarser
 * records, not unbounded lists or quadratic merges.
 */

#include <string.h>

#include <rte_common.h>

#include "core/worker.h"
#include "tcp/flow.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"

static inline uint32_t
sb_now(const struct sl_worker *w)
{
	return (uint32_t)w->clock.now_us;
}

static inline uint32_t
sb_end(const struct tcp_flow *f)
{
	return f->sb.n > 0 ? f->sb.rec[f->sb.n - 1].end : f->snd_una;
}

/* Split record i at sequence at (strictly inside it): [start, at) stays at i, [at, end)
 * becomes i + 1 with the same flags and time. false when the list is full. */
static bool
sb_split(struct tcp_sb *sb, unsigned int i, uint32_t at)
{
	if (sb->n >= TCP_SB_RECS)
		return false;
	memmove(&sb->rec[i + 1], &sb->rec[i], (sb->n - i) * sizeof(sb->rec[0]));
	sb->n++;
	sb->rec[i].end = at;
	return true;
}

/* Merge neighbours that say the same: both SACKed (their times no longer matter), or the
 * same flags and the same time of transmission. */
static void
sb_compact(struct tcp_sb *sb)
{
	unsigned int i, j = 0;

	for (i = 1; i < sb->n; i++) {
		struct tcp_sb_rec *a = &sb->rec[j], *b = &sb->rec[i];

		if (a->flags == b->flags &&
		    ((a->flags & SB_SACKED) || a->xmit == b->xmit)) {
			a->end = b->end;
			a->xmit = RTE_MAX(a->xmit, b->xmit);
			continue;
		}
		sb->rec[++j] = *b;
	}
	if (sb->n > 0)
		sb->n = (uint8_t)(j + 1);
}

/* Make room for one record when the list is full: merge the two neighbouring plain
 * records (sent once, nothing known) closest in time; the merged one takes the later
 * time. false when no two plain records are neighbours. */
static bool
sb_make_room(struct tcp_sb *sb)
{
	unsigned int i, best = TCP_SB_RECS;
	uint32_t gap = UINT32_MAX;

	sb_compact(sb);
	if (sb->n < TCP_SB_RECS)
		return true;
	for (i = 0; i + 1 < sb->n; i++) {
		const struct tcp_sb_rec *a = &sb->rec[i], *b = &sb->rec[i + 1];

		if (a->flags == 0 && b->flags == 0 && b->xmit - a->xmit < gap) {
			gap = b->xmit - a->xmit;
			best = i;
		}
	}
	if (best == TCP_SB_RECS)
		return false;
	sb->rec[best].end = sb->rec[best + 1].end;
	sb->rec[best].xmit = sb->rec[best + 1].xmit;
	memmove(&sb->rec[best + 1], &sb->rec[best + 2],
		(sb->n - best - 2) * sizeof(sb->rec[0]));
	sb->n--;
	return true;
}

/* The time stamp of a transmission now. RACK orders transmissions by time, then by
 * sequence (RFC 8985 §6.2 RACK_sent_after); within one microsecond a retransmission of
 * low sequence numbers can follow new data of higher ones, so it takes the next
 * microsecond: stamps never go back and a retransmission always sorts after what left
 * before it. */
static uint32_t
sb_stamp(struct sl_worker *w, struct tcp_sb *sb, bool rtx)
{
	uint32_t now = sb_now(w);
	int32_t d = (int32_t)(now - sb->last);

	if (d < 0 && d > -1000)
		now = sb->last;
	if (rtx && now == sb->last)
		now++;
	sb->last = now;
	return now;
}

/* Bytes [seq, end) inside the list were sent again at now: retransmitted, no longer
 * lost. */
static void
sb_mark_rtx(struct tcp_flow *f, uint32_t seq, uint32_t end, uint32_t now)
{
	struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		uint32_t s = tcp_sb_start(sb, f->snd_una, i), e = sb->rec[i].end;

		if (seq_le(e, seq))
			continue;
		if (seq_ge(s, end))
			break;
		if (seq_lt(s, seq) && sb_split(sb, i, seq))
			continue;		/* the right part is next */
		if (seq_gt(e, end))
			sb_split(sb, i, end);	/* full: the whole record counts as resent */
		sb->rec[i].flags = (uint8_t)((sb->rec[i].flags & ~SB_LOST) | SB_RETRANS);
		sb->rec[i].xmit = now;
	}
	sb_compact(sb);
}

/* tcp_sb_sent's general case, out of line so that the common one (below) needs no
 * stack frame. */
__rte_noinline void
tcp_sb_sent_general(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len, bool rtx)
{
	struct tcp_sb *sb = &f->sb;
	uint32_t end = seq + len, top = sb_end(f);
	uint32_t now = sb_stamp(w, sb, rtx && seq_lt(seq, top));
	struct tcp_sb_rec *last;

	if (rtx && seq_lt(seq, top))
		sb_mark_rtx(f, seq, seq_min(end, top), now);
	if (!seq_gt(end, top))
		return;
	/* New data (or data beyond what the list covers, such as a window probe's byte):
	 * the newest record grows if it is plain and of this instant, else a new one. */
	last = sb->n > 0 ? &sb->rec[sb->n - 1] : NULL;
	if (last != NULL && last->flags == 0 && last->xmit == now) {
		last->end = end;
		return;
	}
	if (sb->n < TCP_SB_RECS || sb_make_room(sb)) {
		sb->rec[sb->n].end = end;
		sb->rec[sb->n].xmit = now;
		sb->rec[sb->n].flags = 0;
		sb->n++;
		return;
	}
	/* Every record differs from its neighbours: the newest forgets what it knew. */
	w->stats.tcp_sack_full++;
	last->end = end;
	last->xmit = now;
	last->flags = 0;
}

/* The common case: new data leaves with nothing else in flight (every request of a
 * ping-pong). With an empty list the general path finds top = SND.UNA, stamps the
 * transmission (not as a retransmission: rtx is false), and, when the data ends above
 * SND.UNA, appends the one plain record, as here; the same stores in the same order.
 * `inline` on this external definition (tcp_sack.h declares it plainly) lets link-time
 * optimisation inline it into tcp_output's data loop. */
inline void
tcp_sb_sent(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len, bool rtx)
{
	struct tcp_sb *sb = &f->sb;
	uint32_t now;

	if (unlikely(sb->n != 0 || rtx)) {
		tcp_sb_sent_general(w, f, seq, len, rtx);
		return;
	}
	now = sb_stamp(w, sb, false);
	if (seq_gt(seq + len, f->snd_una)) {
		sb->rec[0].end = seq + len;
		sb->rec[0].xmit = now;
		sb->rec[0].flags = 0;
		sb->n = 1;
	}
}

/* tcp_sb_sent for new data that ends above SND.UNA: the test the fast path above makes of
 * that is left out (tests/unit/tcp/test_tcp_sack.c compares the two). `inline` as
 * tcp_sb_sent's. */
inline void
tcp_sb_sent_new(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len)
{
	struct tcp_sb *sb = &f->sb;
	uint32_t now;

	if (unlikely(sb->n != 0)) {
		tcp_sb_sent_general(w, f, seq, len, false);
		return;
	}
	now = sb_stamp(w, sb, false);
	sb->rec[0].end = seq + len;
	sb->rec[0].xmit = now;
	sb->rec[0].flags = 0;
	sb->n = 1;
}

/* A newly delivered run [.., end) sent at xmit: keep the latest for RACK (RFC 8985 §6.2
 * step 2: the most recently sent, ties broken by the higher end). */
static void
sb_delivered(struct tcp_sack_news *n, const struct tcp_sb_rec *r, uint32_t end, uint32_t fack)
{
	if (!(r->flags & SB_RETRANS) && seq_lt(end, fack))
		n->reordered = true;
	if (!n->delivered || (int32_t)(r->xmit - n->xmit) > 0 ||
	    (r->xmit == n->xmit && seq_gt(end, n->end))) {
		n->delivered = true;
		n->delivered_rtx = (r->flags & SB_RETRANS) != 0;
		n->xmit = r->xmit;
		n->end = end;
	}
}

__rte_noinline void
tcp_sb_ack_general(struct tcp_flow *f, uint32_t ack, struct tcp_sack_news *n)
{
	struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		struct tcp_sb_rec *r = &sb->rec[i];
		uint32_t e = seq_min(r->end, ack);

		if (seq_le(e, tcp_sb_start(sb, f->snd_una, i)))
			break;
		if (!(r->flags & SB_SACKED))
			sb_delivered(n, r, e, f->sb.fack);
		if (seq_gt(r->end, ack))
			break;
	}
	if (i == sb->n) {
		sb->n = 0;	/* all acknowledged */
	} else if (i > 0) {
		memmove(&sb->rec[0], &sb->rec[i], (sb->n - i) * sizeof(sb->rec[0]));
		sb->n = (uint8_t)(sb->n - i);
	}
	if (seq_gt(ack, f->sb.fack))
		f->sb.fack = ack;
}

void
tcp_sb_ack(struct tcp_flow *f, uint32_t ack, struct tcp_sack_news *n)
{
	struct tcp_sb *sb = &f->sb;

	/* The common case: one plain record, all of it acknowledged, nothing SACKed above
	 * SND.UNA (fack <= SND.UNA < end) and no SACK news in n. The loop below would take
	 * record 0 (e = end > SND.UNA), deliver it (sb_delivered: not a retransmission, not
	 * reordered as end > fack, and n held nothing to compare with), stop at i == 1 ==
	 * n, empty the list and raise fack to ack (> SND.UNA >= fack). */
	if (likely(sb->n == 1 && sb->rec[0].flags == 0 && !n->delivered &&
		   !seq_lt(ack, sb->rec[0].end) && seq_gt(sb->rec[0].end, f->snd_una) &&
		   !seq_gt(sb->fack, f->snd_una))) {
		n->delivered = true;
		n->delivered_rtx = false;
		n->xmit = sb->rec[0].xmit;
		n->end = sb->rec[0].end;
		sb->n = 0;
		sb->fack = ack;
		return;
	}
	tcp_sb_ack_general(f, ack, n);
}

/* Mark [lo, hi) SACKed. */
static void
sb_mark_sacked(struct sl_worker *w, struct tcp_flow *f, uint32_t lo, uint32_t hi,
	       struct tcp_sack_news *n)
{
	struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		uint32_t s = tcp_sb_start(sb, f->snd_una, i), e = sb->rec[i].end;
		struct tcp_sb_rec *r = &sb->rec[i];

		if (seq_le(e, lo))
			continue;
		if (seq_ge(s, hi))
			break;
		if (r->flags & SB_SACKED)
			continue;
		/* A receiver SACKs whole segments: part of a record shorter than one is
		 * not a segment it holds (a 1-byte block, the SACK-panic pattern) and
		 * splits nothing (Linux's tcp_match_skb_to_sack rounds the same way). */
		if ((seq_lt(s, lo) || seq_gt(e, hi)) &&
		    seq_min(e, hi) - seq_max(s, lo) < f->mss)
			continue;
		if (seq_lt(s, lo)) {
			if (!sb_split(sb, i, lo))
				goto full;
			continue;		/* the right part, [lo, e), is next */
		}
		if (seq_gt(e, hi)) {
			if (!sb_split(sb, i, hi))
				goto full;
			e = hi;
		}
		n->sacked += e - s;
		sb_delivered(n, r, e, f->sb.fack);
		r->flags = SB_SACKED | (r->flags & SB_RETRANS);
		continue;
full:
		/* A partly covered record stays un-SACKed: less detail, never wrong. */
		w->stats.tcp_sack_full++;
	}
}

void
tcp_sack_in(struct sl_worker *w, struct tcp_flow *f, uint32_t ack,
	    const struct tcp_sack_block *blocks, unsigned int nblocks, struct tcp_sack_news *n)
{
	uint32_t top = sb_end(f);
	unsigned int i;

	for (i = 0; i < nblocks; i++) {
		uint32_t s = blocks[i].start, e = blocks[i].end;

		if (!seq_lt(s, e) || seq_gt(e, f->snd_max) || e - s >= (1u << 30) ||
		    seq_lt(s, f->snd_una - f->max_snd_wnd)) {
			w->stats.tcp_sack_bad++;
			continue;
		}
		/* D-SACK (RFC 2883 §4): the first block reports data received twice when
		 * it lies below the cumulative ACK or inside the second block. */
		if (i == 0 && (seq_le(e, ack) ||
			       (nblocks > 1 && seq_ge(s, blocks[1].start) &&
				seq_le(e, blocks[1].end)))) {
			n->dsack++;
			if (f->rec.undo_ok && seq_gt(e, f->rec.undo_marker))
				n->dsack_rtx++;
			continue;
		}
		if (seq_le(e, ack)) {
			w->stats.tcp_sack_bad++;	/* below the ACK, not first */
			continue;
		}
		s = seq_max(s, seq_max(ack, f->snd_una));
		e = seq_min(e, top);
		if (!seq_lt(s, e))
			continue;	/* only bytes the list does not cover (a FIN) */
		sb_mark_sacked(w, f, s, e, n);
		if (seq_gt(e, f->sb.fack))
			f->sb.fack = e;
	}
	sb_compact(&f->sb);
}

void
tcp_sb_sum(const struct tcp_flow *f, struct tcp_sb_sum *sum)
{
	const struct tcp_sb *sb = &f->sb;
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < sb->n; i++) {
		uint32_t len = sb->rec[i].end - tcp_sb_start(sb, f->snd_una, i);
		uint8_t fl = sb->rec[i].flags;

		if (fl & SB_SACKED)
			sum->sacked += len;
		else if (fl & SB_LOST)
			sum->lost_owed += len;
		if (fl & SB_RETRANS)
			sum->retrans += len;
		if (fl & SB_LOST)
			sum->lost += len;
	}
}

uint32_t
tcp_sb_pipe(const struct tcp_flow *f)
{
	struct tcp_sb_sum sum;
	uint32_t flight = sb_end(f) - f->snd_una;

	tcp_sb_sum(f, &sum);
	return flight - sum.sacked - sum.lost_owed;
}

bool
tcp_sb_next_lost(const struct tcp_flow *f, uint32_t *seq, uint32_t *len)
{
	const struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		if ((sb->rec[i].flags & (SB_LOST | SB_SACKED)) == SB_LOST) {
			*seq = tcp_sb_start(sb, f->snd_una, i);
			*len = sb->rec[i].end - *seq;
			return true;
		}
	}
	return false;
}

uint32_t
tcp_sb_mark_head_lost(struct tcp_flow *f, uint32_t len)
{
	struct tcp_sb *sb = &f->sb;
	uint32_t s = f->snd_una, marked = 0;
	struct tcp_sb_rec *r;

	if (sb->n == 0)
		return 0;
	r = &sb->rec[0];
	if (r->flags & (SB_SACKED | SB_LOST))
		return 0;
	if (seq_gt(r->end, s + len))
		sb_split(sb, 0, s + len);
	marked = r->end - s;
	r->flags = SB_LOST;
	return marked;
}

uint32_t
tcp_sb_mark_dupthresh(struct tcp_flow *f, uint32_t mss)
{
	struct tcp_sb *sb = &f->sb;
	uint32_t above = 0, marked = 0;
	int i;

	for (i = (int)sb->n - 1; i >= 0; i--) {
		struct tcp_sb_rec *r = &sb->rec[i];
		uint32_t len = r->end - tcp_sb_start(sb, f->snd_una, (unsigned int)i);

		if (r->flags & SB_SACKED) {
			above += len;
			continue;
		}
		/* "more than (DupThresh - 1) * SMSS bytes ... SACKed" above it (RFC 6675
		 * §4); a retransmission is left to RACK, which knows when it left. */
		if (above > 2 * mss && r->flags == 0) {
			r->flags = SB_LOST;
			marked += len;
		}
	}
	return marked;
}

void
tcp_sb_timeout(struct tcp_flow *f, bool forget_sacks)
{
	struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		struct tcp_sb_rec *r = &sb->rec[i];

		if (forget_sacks || !(r->flags & SB_SACKED))
			r->flags = SB_LOST;
	}
	sb_compact(sb);
}

void
tcp_sb_clear_lost(struct tcp_flow *f)
{
	struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++)
		sb->rec[i].flags &= (uint8_t)~SB_LOST;
	sb_compact(sb);
}

uint32_t
tcp_sb_rtx_span(const struct tcp_flow *f, uint32_t seq, uint32_t *len)
{
	const struct tcp_sb *sb = &f->sb;
	unsigned int i;

	for (i = 0; i < sb->n; i++) {
		uint32_t e = sb->rec[i].end;

		if (seq_le(e, seq))
			continue;
		if (sb->rec[i].flags & SB_SACKED) {
			seq = e;	/* the peer holds these */
			continue;
		}
		/* seq is in an un-SACKed run: it ends at the next SACKed record. */
		for (; i < sb->n && !(sb->rec[i].flags & SB_SACKED); i++)
			;
		if (i < sb->n) {
			uint32_t run_end = tcp_sb_start(sb, f->snd_una, i);

			*len = RTE_MIN(*len, run_end - seq);
		}
		break;
	}
	return seq;
}
