/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_SACK_H
#define SL_TCP_SACK_H

/*
 * tcp_sack.c -- the sender's scoreboard: what happened to every byte in flight.
 *
 * The send queue (txbuf.c) holds the bytes; the scoreboard holds, for the sequence range
 * [SND.UNA, end of the data sent), a short list of transmission records in sequence
 * order. A record is a run of bytes sent at the same time (one poll iteration's burst of
 * a flow, or one retransmission) with what is known about it: SACKed by the peer (RFC
 * 2018, RFC 6675's scoreboard), marked lost (RFC 6675 IsLost, RACK, a timeout) and
 * retransmitted. Its time of (last) transmission is what RACK (RFC 8985) needs.
 *
 * The list has a fixed size per connection (TCP_SB_RECS), so memory and the work per ACK
 * are bounded whatever the peer sends: at most four SACK blocks per ACK, each costing
 * one pass over the list. When a block would need more records than are free, the
 * scoreboard keeps less detail, never wrong detail: a partly covered record is left
 * un-SACKed (its bytes may be retransmitted needlessly) and tcp_sack_full counts it; new
 * data joins the newest record, which takes the later transmission time (RACK then
 * declares it lost later, never sooner).
 *
 * Records start where the previous one ends; the first starts at SND.UNA. A record is
 * never empty.
 */

#include <stdbool.h>
#include <stdint.h>

struct sl_worker;
struct tcp_flow;
struct tcp_sack_block;

#define TCP_SB_RECS	24

#define SB_SACKED	(1u << 0)	/* the peer reported holding it */
#define SB_LOST		(1u << 1)	/* marked lost, retransmission owed */
#define SB_RETRANS	(1u << 2)	/* retransmitted (since it was last marked lost) */

struct tcp_sb_rec {
	uint32_t end;		/* one past its last byte */
	uint32_t xmit;		/* time of its last transmission (us, low 32 bits) */
	uint8_t flags;		/* SB_* */
};

struct tcp_sb {
	uint8_t n;		/* records in use */
	uint32_t fack;		/* highest byte the peer has acknowledged or SACKed, + 1 */
	uint32_t last;		/* time stamp of the latest transmission recorded */
	struct tcp_sb_rec rec[TCP_SB_RECS];
};

/* What the SACK blocks of one ACK told the sender (tcp_sack_in). */
struct tcp_sack_news {
	uint32_t sacked;	/* bytes newly SACKed */
	uint32_t dsack;		/* D-SACK blocks (RFC 2883) */
	uint32_t dsack_rtx;	/* of which about data retransmitted in this episode */
	/* The newly delivered byte sent last, for RACK: when, and where it ends. */
	bool delivered;
	bool delivered_rtx;	/* it was a retransmission */
	uint32_t xmit, end;
	bool reordered;		/* a byte below the highest delivered was newly SACKed */
};

/* Bytes [seq, seq + len) left now (rtx: they had been sent before). */
void
tcp_sb_sent(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len, bool rtx);

/* tcp_sb_sent(w, f, seq, len, false) for new data ending above SND.UNA (the one-segment
 * output pass: its gate found snd_nxt not below snd_una, and len > 0): the fast path
 * without the test of that. */
void
tcp_sb_sent_new(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len);

/* SND.UNA moves to ack: the records below it go. Fills n with what the cumulative ACK
 * delivered that was not SACKed before (for RACK). Call before f->snd_una changes. */
void
tcp_sb_ack(struct tcp_flow *f, uint32_t ack, struct tcp_sack_news *n);

/* tcp_sb_sent and tcp_sb_ack take a fast path in the common case (nothing else in
 * flight; one plain record wholly acknowledged); these are the general paths alone, which
 * give the same result (tests compare the two). */
void
tcp_sb_sent_general(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len,
		    bool rtx);
void
tcp_sb_ack_general(struct tcp_flow *f, uint32_t ack, struct tcp_sack_news *n);

/* Apply the SACK blocks of an ACK whose cumulative acknowledgment is ack. */
void
tcp_sack_in(struct sl_worker *w, struct tcp_flow *f, uint32_t ack,
	    const struct tcp_sack_block *blocks, unsigned int nblocks, struct tcp_sack_news *n);

/* Totals over the scoreboard, in bytes. */
struct tcp_sb_sum {
	uint32_t sacked, lost, retrans;
	uint32_t lost_owed;	/* lost and not retransmitted yet */
};

void
tcp_sb_sum(const struct tcp_flow *f, struct tcp_sb_sum *sum);

/* RFC 6675 pipe: bytes thought to be in the network. */
uint32_t
tcp_sb_pipe(const struct tcp_flow *f);

/* RFC 6675 NextSeg () rule 1: the first lost byte not yet retransmitted, and how many
 * lost bytes follow it in the same record (*len). false: none. */
bool
tcp_sb_next_lost(const struct tcp_flow *f, uint32_t *seq, uint32_t *len);

/* Mark [SND.UNA, SND.UNA + len) lost (the third duplicate ACK without SACK, a partial
 * ACK in recovery). Returns the bytes newly marked. */
uint32_t
tcp_sb_mark_head_lost(struct tcp_flow *f, uint32_t len);

/* RFC 6675 IsLost (): mark lost every un-SACKed record with at least dupthresh * mss
 * bytes SACKed above it. Returns the bytes newly marked. */
uint32_t
tcp_sb_mark_dupthresh(struct tcp_flow *f, uint32_t mss);

/* A timeout: every byte not SACKed is lost; with forget_sacks (a peer that may have
 * reneged, RFC 2018 §8) the SACK information goes too. */
void
tcp_sb_timeout(struct tcp_flow *f, bool forget_sacks);

/* Forget the lost marks (a reduction undone as spurious). */
void
tcp_sb_clear_lost(struct tcp_flow *f);

/* Go-back-N after a timeout: from seq, skip bytes the peer holds (SACKed) and clip *len
 * to the run of bytes it does not. Returns the sequence to send from. */
uint32_t
tcp_sb_rtx_span(const struct tcp_flow *f, uint32_t seq, uint32_t *len);

/* The scoreboard is empty or reports nothing beyond what SND.UNA says. */
static inline bool
tcp_sb_plain(const struct tcp_sb *sb)
{
	return sb->n == 0 || (sb->n == 1 && sb->rec[0].flags == 0);
}

/* First byte of record i. */
static inline uint32_t
tcp_sb_start(const struct tcp_sb *sb, uint32_t snd_una, unsigned int i)
{
	return i == 0 ? snd_una : sb->rec[i - 1].end;
}

#endif /* SL_TCP_SACK_H */
