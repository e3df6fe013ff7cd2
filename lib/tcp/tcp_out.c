/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_out.c -- everything TCP sends.
 *
 * sl_worker_poll -> worker_output -> tcp_output (once per dirty flow per iteration)
 *     -> tcp_xmit -> ipv4_output -> arp_output -> eth_output -> port_tx
 * Timers and input also call the single-segment senders directly (ACK, RST, SYN,
 * retransmission of the head, window and keepalive probes).
 *
 * Segments are built in a fresh mbuf: payload copied from the send queue (one MSS fits an
 * mbuf's data room; a TSO frame chains more), TCP header and options prepended in the
 * headroom, checksum by the port when it offers TCP checksum offload, software otherwise.
 *
 * tcp_output runs in steps: the state gate (tcp_output_gate), the data loop
 * (tcp_output_data), the FIN (tcp_output_fin), then the retransmission or persist timer
 * and the ACK still owed. It sends as much queued data as min(cwnd, peer window) allows,
 * in full-MSS segments plus a final short one. Whether that short one leaves now is the
 * flow's flush policy (tcp_tail_held): by default it does (everything written in this
 * poll iteration leaves now: TCP_NODELAY that still coalesces the writes of an
 * iteration); Nagle, cork and SL_SEND_MORE may hold it. Sender-side silly window
 * avoidance (RFC 9293 §3.8.6.2.1) holds back a short segment only when the window, not
 * the data, is what makes it short. The FIN follows the last byte; with a zero window
 * the flow enters persist mode.
 *
 * Nearly every pass of a request-response flow is one segment of new data from a flow
 * with nothing else to do: tcp_output_one_ok recognises it with read-only tests, and
 * tcp_output_one sends it with the segment builder inline and ends as the general pass
 * does (tcp_output_end). tcp_output_general, the steps above, stays the reference (the
 * unit test runs both over the same shapes).
 */

#define SL_LOG_MODULE tcp	/* sluice.tcp (core/log.h) */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "api/wmark.h"
#include "core/util.h"
#include "core/worker.h"
#include "net/cksum.h"
#include "net/eth.h"
#include "net/ipv4.h"
#include "net/ipv4_direct.h"
#include "net/mbuf_util.h"
#include "net/port.h"
#include "tcp/flow.h"
#include "tcp/tcp_ecn.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_isn.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"

/* Segments in one TSO frame at most (64 KiB of IP datagram with 1448-byte segments). */
#define TCP_TSO_MAX_SEGS 44

/* tcp_xmit_direct sums a small payload as one zero-padded little-endian word. */
#define TCP_SMALL_SUM (RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN)

/* Fill the checksum of the TCP segment at the start of m (l4len bytes). */
static void
tcp_cksum_set(struct sl_worker *w, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	      rte_be32_t src, rte_be32_t dst, uint32_t hlen, uint32_t l4len, uint32_t l4off)
{
	th->cksum = 0;
	if (w->tx_tcp_csum) {
		/* The port adds the segment to the pseudo-header sum we leave here. */
		th->cksum = cksum_ipv4_phdr(src, dst, IPPROTO_TCP, l4len);
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
		m->l4_len = hlen;
		return;
	}
	th->cksum = cksum_l4_ipv4(m, src, dst, IPPROTO_TCP, l4off, l4len);
}

/* The window field to send, and the new right edge we commit to (tcp_window_scaled). */
static __rte_always_inline uint16_t
tcp_window_field(struct sl_worker *w, struct tcp_flow *f, bool syn)
{
	uint32_t space = tcp_rcv_space(w, f);

	if (syn)
		return (uint16_t)RTE_MIN(space, 65535u);
	return tcp_window_scaled(f, space);
}

/* Copy len bytes of the send queue, from offset off, to the end of m; mbufs are chained
 * when they do not fit one (a TSO frame). */
static int
tcp_payload_fill(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m, uint32_t off,
		 uint32_t len)
{
	struct rte_mbuf *last = m;

	while (len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(last));
		uint8_t *p;

		if (k == 0) {
			struct rte_mbuf *n = worker_mbuf_alloc(w);

			if (n == NULL)
				return -ENOBUFS;
			n->data_off = 0;	/* a continuation needs no headroom */
			if (rte_pktmbuf_chain(m, n) != 0) {
				rte_pktmbuf_free(n);
				return -ENOBUFS;
			}
			last = n;
			continue;
		}
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
		if (p == NULL)
			return -ENOBUFS;
		txbuf_copy(w, &f->tx, off, k, p);
		off += k;
		len -= k;
	}
	return 0;
}

/* The options of a segment with flags tflags and len bytes of data into opts; returns
 * their length. A SYN offers what we are configured for; a SYN-ACK answers what the peer
 * offered (RFC 7323 §2.2, RFC 2018); other segments carry the timestamp and, while data
 * waits out of order, SACK blocks (never on an RST); a pure ACK also the D-SACK block of
 * a duplicate just received, first (RFC 2883 §4). */
static size_t
tcp_opts_build(struct sl_worker *w, struct tcp_flow *f, uint8_t tflags, uint32_t len,
	       uint8_t *opts)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t tsval = tcp_ts_now(w, f);
	unsigned int nsack = 0;

	if (tflags & RTE_TCP_SYN_FLAG) {
		bool synack = (tflags & RTE_TCP_ACK_FLAG) != 0;
		int ws = -1;

		if (synack ? (f->flags & TF_WSCALE) : cfg->wscale)
			ws = f->rcv_ws;
		return tcp_opt_write_syn(opts, (uint16_t)(cfg->mtu - 40), ws,
					 synack ? !!(f->flags & TF_SACK) : cfg->sack,
					 synack ? !!(f->flags & TF_TS) : cfg->timestamps, tsval,
					 synack ? f->ts_recent : 0);
	}
	if ((f->flags & TF_SACK) && f->ooo.nsegs > 0 && !(tflags & RTE_TCP_RST_FLAG)) {
		tcp_ooo_sack_update(w, f);
		nsack = f->nsack;
	}
	if (unlikely(f->dsack_out) && len == 0 && !(tflags & RTE_TCP_RST_FLAG)) {
		struct tcp_sack_block b[RTE_DIM(f->sack) + 1];

		b[0] = f->dsack;
		memcpy(&b[1], f->sack, nsack * sizeof(b[0]));
		flow_dsack_set(f, false);
		return tcp_opt_write(opts, !!(f->flags & TF_TS), tsval, f->ts_recent, b,
				     nsack + 1);
	}
	return tcp_opt_write(opts, !!(f->flags & TF_TS), tsval, f->ts_recent, f->sack, nsack);
}

/*
 * The headers of a plain segment (no SYN, no SACK blocks: the timestamps alone or no
 * option, hlen bytes of TCP header; not a TSO frame; the payload, if any, already in m's
 * one segment) for the neighbour e, in one pass: the three headers written in front of
 * the payload and both checksums summed from the values written, then handed to the
 * port. eh is the frame's first byte, m's data (data_off, both lengths) the whole frame,
 * the payload at IPV4_DIRECT_HDRS + hlen (tcp_xmit_seg_inline). The general path (tcp_cksum_set, ipv4_output_or_refuse) stays the
 * reference: this builds byte for byte its frame, with the same offload metadata
 * (tests/unit/tcp/test_tcp_xmit_direct.c). The TCP checksum is the ones'-complement sum of
 * the pseudo-header, the header's 32-bit words as written (the checksum word 0) and the
 * payload (which starts at a multiple of 4, so its words line up): the sum cksum_l4_ipv4
 * reads back from the segment, in another order.
 */
static __rte_always_inline void
tcp_xmit_direct(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		struct rte_ether_hdr *eh, const struct arp_entry *e, uint32_t seq, uint32_t len,
		uint8_t tflags, uint32_t hlen, uint8_t tos)
{
	const struct { rte_be16_t sport, dport; } h0 = { f->key.lport, f->key.rport };
	/* The data offset's byte is (hlen / 4) << 4, hlen * 4 as hlen is a multiple of 4
	 * (at most 60: the byte holds it). */
	const struct { uint8_t off, flags; rte_be16_t win; } h3 = {
		(uint8_t)(hlen * 4), tflags,
		rte_cpu_to_be_16(tcp_window_field(w, f, false)) };
	const uint32_t sq = rte_cpu_to_be_32(seq);
	const uint32_t ack = (tflags & RTE_TCP_ACK_FLAG) ? rte_cpu_to_be_32(f->rcv_nxt) : 0;
	struct rte_tcp_hdr *th;
	uint32_t w0, w3;
	uint64_t sum;

	th = (struct rte_tcp_hdr *)((uint8_t *)eh + IPV4_DIRECT_HDRS);
	memcpy(&w0, &h0, sizeof(w0));
	memcpy(&w3, &h3, sizeof(w3));
	memcpy(&th->src_port, &w0, sizeof(w0));
	th->sent_seq = sq;
	th->recv_ack = ack;
	memcpy(&th->data_off, &w3, sizeof(w3));
	th->cksum = 0;
	th->tcp_urp = 0;
	/* The pseudo-header: the flow's addresses and protocol summed once (flow_alloc),
	 * and the length, its 16-bit word in network order without the swap: x * 256 is
	 * x byte-swapped modulo 0xffff (2^16 is 1 there), all the sum needs. */
	sum = (uint64_t)f->tx_phsum + ((uint64_t)(hlen + len) << 8) + w0 + sq + ack + w3;
	if (hlen != sizeof(*th)) {
		/* In network order once, for the option and for the sum (read before the
		 * option's stores, which the compiler must assume may alias the flow). */
		const rte_be32_t tsval = rte_cpu_to_be_32(tcp_ts_now(w, f));
		const rte_be32_t tsecr = rte_cpu_to_be_32(f->ts_recent);

		tcp_opt_write_ts_be((uint8_t *)(th + 1), tsval, tsecr);
		sum += (uint64_t)TCP_OPT_TS_LEAD + tsval + tsecr;
	}
	if (w->tx_tcp_csum) {
		/* The port adds the segment to the pseudo-header sum we leave here. */
		th->cksum = cksum_ipv4_phdr(f->key.laddr, f->key.raddr, IPPROTO_TCP, hlen + len);
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
		m->l4_len = hlen;
	} else if (TCP_SMALL_SUM && len <= 8) {
		/* The payload (at most 8 bytes) as one zero-padded 64-bit word: the 8 bytes
		 * that end with it (the TCP header's last ones in front of it, which the
		 * shifts drop: 8 - len bytes, in two halves so that len 0 leaves 0). */
		const uint32_t sh = 32 - 4 * len;
		uint64_t x;

		memcpy(&x, (const uint8_t *)th + hlen + len - sizeof(x), sizeof(x));
		x = (x >> sh) >> sh;
		sum += x;
		sum += sum < x;		/* end-around carry */
		th->cksum = (uint16_t)~cksum_fold64(sum);
	} else {
		th->cksum = (uint16_t)~cksum_raw_from((const uint8_t *)th + hlen, len, sum);
	}
	ipv4_direct_hdrs_sum(w, m, eh, e, f->key.raddr, IPPROTO_TCP, tos,
			     (uint16_t)(sizeof(struct rte_ipv4_hdr) + hlen + len), f->tx_ipsum);
	worker_port_tx(w, m);
}

/* What every segment that left settles: one carrying ACK, what we owed; the counters.
 * clear: more flags the caller clears when the segment left, in the same store (a
 * constant). */
static __rte_always_inline void
tcp_xmit_done(struct sl_worker *w, struct tcp_flow *f, uint8_t tflags, uint32_t len,
	      uint32_t clear)
{
	if (tflags & RTE_TCP_ACK_FLAG) {
		/* Every segment carrying ACK settles what we owed. */
		f->flags &= ~(TF_ACKNOW | TF_DELACK | clear);
		f->delack_at = 0;
		f->segs_unacked = 0;
	}
	w->stats.tcp_tx_segs++;
	w->stats.tcp_tx_bytes += len;
}

/* A plain segment: no SYN, no SACK or D-SACK block to carry; its options are the
 * timestamps alone, or none. */
static __rte_always_inline bool
tcp_seg_plain(const struct tcp_flow *f, uint8_t tflags)
{
	return !(tflags & RTE_TCP_SYN_FLAG) && !((f->flags & TF_SACK) && f->ooo.nsegs > 0) &&
	       !f->dsack_out;
}

/*
 * tcp_xmit_seg for every segment the direct path does not take (tcp_xmit_seg below): any
 * options, TSO frames, any neighbour. m is a fresh mbuf; consumed. Out of line: its
 * option buffer and the general builders stay off the common path.
 */
static __rte_noinline int
tcp_xmit_seg_general(struct sl_worker *w, struct tcp_flow *f, struct rte_mbuf *m,
		     uint32_t seq, uint32_t len, uint8_t tflags, uint32_t segsz)
{
	uint8_t opts[TCP_OPT_MAX];
	struct rte_tcp_hdr *th;
	bool syn = (tflags & RTE_TCP_SYN_FLAG) != 0, plain;
	size_t olen, hlen;
	uint8_t tos;

	/* Most segments carry the timestamps alone: written in place below, without the
	 * general builder and its copy. */
	plain = tcp_seg_plain(f, tflags);
	if (likely(plain))
		olen = (f->flags & TF_TS) ? TCP_OPT_TS_LEN : 0;
	else
		olen = tcp_opts_build(w, f, tflags, len, opts);
	hlen = sizeof(*th) + olen;
	/* The frame begins where the mbuf's last packet began (the pool is LIFO: most often a
	 * segment just received and read), in cache lines still warm, instead of in the
	 * headroom before it, which no packet touched since long; the standard headroom
	 * stays in front of the headers. */
	m->data_off = (uint16_t)(RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN +
				 sizeof(struct rte_ipv4_hdr) + hlen);
	if (len > 0 && unlikely(tcp_payload_fill(w, f, m, seq - f->snd_una, len) != 0)) {
		rte_pktmbuf_free(m);
		w->stats.tcp_tx_nombuf++;
		return -ENOBUFS;
	}
	th = (struct rte_tcp_hdr *)rte_pktmbuf_prepend(m, (uint16_t)hlen);
	if (unlikely(th == NULL)) {
		/* A fresh mbuf has RTE_PKTMBUF_HEADROOM for every header: never expected. */
		w->stats.tx_drop_headroom++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	tflags |= tcp_ecn_output(f, tflags, seq, len, &tos);
	th->src_port = f->key.lport;
	th->dst_port = f->key.rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (tflags & RTE_TCP_ACK_FLAG) ? rte_cpu_to_be_32(f->rcv_nxt) : 0;
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = tflags;
	th->rx_win = rte_cpu_to_be_16(tcp_window_field(w, f, syn));
	th->tcp_urp = 0;
	if (!plain)
		memcpy(th + 1, opts, olen);
	else if (olen != 0)
		tcp_opt_write_ts((uint8_t *)(th + 1), tcp_ts_now(w, f), f->ts_recent);
	tcp_cksum_set(w, m, th, f->key.laddr, f->key.raddr, (uint32_t)hlen,
		      (uint32_t)hlen + len, 0);
	if (segsz != 0) {
		th->cksum = cksum_ipv4_phdr(f->key.laddr, f->key.raddr, IPPROTO_TCP, 0);
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
		m->tso_segsz = (uint16_t)segsz;
		w->stats.tcp_tx_tso_frames++;
	}
	/* A neighbour being resolved holds a few packets (arp-pending); past them the
	 * segment is made again later, like one waiting for TX room (TF_TX_WAIT): many
	 * connections opened at once must not lose their SYNs to the first ARP request. */
	if (unlikely(ipv4_output_or_refuse(w, m, f->key.raddr, IPPROTO_TCP, tos) != 0)) {
		f->flags |= TF_TX_WAIT;
		return -EAGAIN;
	}
	tcp_xmit_done(w, f, tflags, len, 0);
	return 0;
}

/*
 * Send one segment from seq: len bytes of data (len 0: a control segment) and tflags.
 * With segsz > 0 the frame is a TSO frame of len / segsz segments that the port cuts
 * (w->tx_tso): the TCP checksum field holds the pseudo-header sum without a length, as
 * the port fills in each segment's.
 *
 * Nearly every segment is plain (tcp_seg_plain), fits one mbuf and goes to a REACHABLE
 * neighbour: its three headers are written in one pass (tcp_xmit_direct). The rest takes
 * tcp_xmit_seg_general, which builds the same frame for those segments (the unit test
 * compares them) and everything else. checked: the caller (tcp_output_one) found room
 * in the TX queue (worker_tx_open, which implies worker_tx_room) and the segment plain
 * already, and nothing changed either since, and the segment's bytes are the last ones
 * queued (all the unsent bytes); a constant, so the tests fold away.
 */
static __rte_always_inline int
tcp_xmit_seg_inline(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len,
		    uint8_t tflags, uint32_t segsz, bool checked)
{
	const struct arp_entry *e = NULL;
	struct rte_mbuf *m;
	uint32_t hlen, hdrs;
	uint8_t *frame;
	uint8_t tos;

	/* Not even the reserve has room (port.h): nothing TCP sends is dropped there; the
	 * caller keeps what it owes (or, for a probe or an RST, its timer or the peer
	 * repeats). */
	if (!checked && unlikely(!worker_tx_room(w))) {
		w->stats.tcp_ctl_waits++;
		f->flags |= TF_TX_WAIT;
		return -EAGAIN;
	}
	/* An mbuf the application read this iteration if there is one (seg_spares.h): the
	 * state rte_pktmbuf_alloc returns, in lines still warm. */
	if (likely(w->tcp.seg_spares.n != 0))
		m = seg_spare_take(&w->tcp.seg_spares);
	else
		m = worker_mbuf_alloc(w);
	if (unlikely(m == NULL)) {
		w->stats.tcp_tx_nombuf++;
		return -ENOBUFS;
	}
	/* The flag's bit scaled to the option's length, not a select: the compiler makes
	 * the select two compare-and-masks, one for hlen and one for hdrs. A multiply by
	 * 12 / TF_TS rather than shifting the bit down first: an and and a lea. */
	RTE_BUILD_BUG_ON(!rte_is_power_of_2(TF_TS) || TCP_OPT_TS_LEN % TF_TS != 0);
	hlen = (uint32_t)sizeof(struct rte_tcp_hdr) +
	       (f->flags & TF_TS) * (TCP_OPT_TS_LEN / TF_TS);
	hdrs = (uint32_t)IPV4_DIRECT_HDRS + hlen;
	/* One mbuf holds the frame behind the standard headroom (a fresh mbuf's tailroom
	 * with the headers' room left in front, as tcp_xmit_seg_general leaves it). */
	if (likely(segsz == 0 && (checked || tcp_seg_plain(f, tflags)) &&
		   RTE_PKTMBUF_HEADROOM + hdrs + len <= m->buf_len))
		e = ipv4_direct_neighbour(w, f->key.raddr);
	if (unlikely(e == NULL)) {
		/* The general builder (a VLAN, a neighbour other than the cached one, one
		 * not reachable): for the one-segment pass, the flush request its segment
		 * settles is cleared here, as the direct path's tcp_xmit_done clears it. */
		int rc = tcp_xmit_seg_general(w, f, m, seq, len, tflags, segsz);

		if (checked && rc == 0)
			f->flags &= ~TF_PUSH;
		return rc;
	}
	/* The frame where tcp_xmit_seg_general puts it (see there), set once: the headers
	 * are written in front of the payload, not prepended to it. The data offset is
	 * that already: a spare's, and a fresh mbuf's, whose buffer is larger than the
	 * standard headroom (the test above), as rte_pktmbuf_reset_headroom sets it. */
	frame = (uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM;
	RTE_ASSERT(m->data_off == RTE_PKTMBUF_HEADROOM);
	m->data_len = (uint16_t)(hdrs + len);
	m->pkt_len = hdrs + len;
	if (checked && len > 0) {
		/* All the unsent bytes: the queue's last ones (tcp_output_one). */
		RTE_ASSERT(seq - f->snd_una + len == f->tx.bytes);
		txbuf_copy_tail(w, &f->tx, len, frame + hdrs);
	} else if (len > 0) {
		txbuf_copy(w, &f->tx, seq - f->snd_una, len, frame + hdrs);
	}
	/* tcp_ecn_output's own first test, made here: without ECN the TOS is a constant
	 * and the flags stay as they are, and the compiler keeps neither in a register. */
	tos = 0;
	if (unlikely(f->ecn & TCP_ECN_OK))
		tflags |= tcp_ecn_output(f, tflags, seq, len, &tos);
	tcp_xmit_direct(w, f, m, (struct rte_ether_hdr *)frame, e, seq, len, tflags, hlen,
			tos);
	/* The one-segment pass sent all the queue: a flush request is settled
	 * (tcp_output_one), with the flags this segment settles. */
	tcp_xmit_done(w, f, tflags, len, checked ? TF_PUSH : 0);
	return 0;
}

/* tcp_xmit_seg_inline out of line, for every caller but tcp_output's common pass, which
 * has it inline (its flags and segment size constant). */
static __rte_noinline int
tcp_xmit_seg(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len,
	     uint8_t tflags, uint32_t segsz)
{
	return tcp_xmit_seg_inline(w, f, seq, len, tflags, segsz, false);
}

static int
tcp_xmit(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len, uint8_t tflags)
{
	return tcp_xmit_seg(w, f, seq, len, tflags, 0);
}

/*
 * TSO (--tso, w->tx_tso): new data of at least two segments that the windows allow goes
 * to the port as one frame of whole segments, at most TCP_TSO_MAX_SEGS; the port cuts
 * it. Retransmissions and short tails take the software path, which stays the reference.
 * Returns the segment size for the port (0: an ordinary segment), and sets *len.
 */
static uint32_t
tcp_tso_len(const struct sl_worker *w, bool rtx, uint32_t mss, uint32_t room, uint32_t *len)
{
	uint32_t seg, n;

	if (!w->tx_tso || rtx || mss <= w->tso_trim)
		return 0;
	seg = mss - w->tso_trim;
	n = RTE_MIN(room / seg, (uint32_t)TCP_TSO_MAX_SEGS);
	if (n < 2)
		return 0;
	*len = n * seg;
	return seg;
}

/* Payload of a full segment right now: f->mss assumes only the timestamp option, so a
 * segment that also carries SACK blocks holds that much less data (as Linux's
 * tcp_current_mss), or the frame would exceed the MTU. */
static uint32_t
tcp_payload_mss_sack(struct sl_worker *w, struct tcp_flow *f)
{
	unsigned int nsack;

	tcp_ooo_sack_update(w, f);
	nsack = f->nsack;
	return f->mss - (uint32_t)(tcp_opt_len(!!(f->flags & TF_TS), nsack) -
				   tcp_opt_len(!!(f->flags & TF_TS), 0));
}

/* The common case, inline on the data path: no SACK blocks to carry. */
static inline uint32_t
tcp_payload_mss(struct sl_worker *w, struct tcp_flow *f)
{
	if (likely(!(f->flags & TF_SACK) || f->ooo.nsegs == 0))
		return f->mss;
	return tcp_payload_mss_sack(w, f);
}

/* Sequence number of a segment without data, SYN or FIN. After a timeout snd_nxt has gone
 * back to snd_una while the peer may hold everything up to snd_max: an old number there
 * fails the peer's sequence check (RFC 9293 §3.10.7.4), so the ACK is dropped unread, and
 * if the peer is retransmitting too, neither side ever sees the other's ACK. Use the next
 * new sequence number, as BSD does; except in persist, where snd_max may count a probe
 * byte beyond the window (and nothing is being retransmitted). */
static uint32_t
tcp_ctl_seq(const struct tcp_flow *f)
{
	return (f->flags & TF_PERSIST) ? f->snd_nxt : f->snd_max;
}

int
tcp_send_ack(struct sl_worker *w, struct tcp_flow *f)
{
	int rc = tcp_xmit(w, f, tcp_ctl_seq(f), 0, RTE_TCP_ACK_FLAG);

	if (unlikely(rc == -EAGAIN)) {
		/* No room (TX queue, ARP queue): the ACK stays owed, for the next pass. */
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
	}
	return rc;
}

void
tcp_send_rst(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->state == SL_TCP_SYN_SENT)
		tcp_xmit(w, f, f->snd_nxt, 0, RTE_TCP_RST_FLAG);
	else
		tcp_xmit(w, f, tcp_ctl_seq(f), 0, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
}

int
tcp_send_syn(struct sl_worker *w, struct tcp_flow *f)
{
	uint8_t fl = RTE_TCP_SYN_FLAG;
	int rc;

	if (f->state == SL_TCP_SYN_RCVD)
		fl |= RTE_TCP_ACK_FLAG;
	fl |= tcp_ecn_syn_flags(w, f);
	f->snd_nxt = f->iss + 1;
	f->snd_max = f->iss + 1;
	if (f->rcv_adv == 0 || f->state == SL_TCP_SYN_SENT)
		f->rcv_adv = f->rcv_nxt + RTE_MIN(tcp_rcv_space(w, f), 65535u);
	rc = tcp_xmit(w, f, f->iss, 0, fl);
	if (likely(rc != -EAGAIN))
		return rc;
	/* No room (TX queue, or the neighbour's ARP queue): a SYN-ACK owed is sent by the
	 * output phase (TF_ACKNOW); an active open's first SYN by its caller's; a SYN's
	 * retry is the RTO's. */
	if (f->state == SL_TCP_SYN_RCVD) {
		f->flags |= TF_ACKNOW;
		flow_mark_dirty(w, f);
	}
	return rc;
}

int
tcp_send_syn_first(struct sl_worker *w, struct tcp_flow *f)
{
	int rc = tcp_send_syn(w, f);

	if (rc != 0) {
		f->snd_nxt = f->snd_max = f->iss;	/* still owed */
		return rc;
	}
	f->rtt_timing = true;
	f->rtt_start = w->clock.now_us;
	tcp_rto_arm(w, f);
	return 0;
}

void
tcp_send_keepalive(struct sl_worker *w, struct tcp_flow *f)
{
	tcp_xmit(w, f, f->snd_una - 1, 0, RTE_TCP_ACK_FLAG);
}

void
tcp_send_window_probe(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t unsent = f->tx.bytes - (f->snd_nxt - f->snd_una);

	if (f->snd_wnd > 0 && unsent > 0 && f->snd_nxt == f->snd_una) {
		/* A small window that silly-window avoidance would not use: fill it. */
		uint32_t len = u32_min(u32_min(unsent, f->snd_wnd), tcp_payload_mss(w, f));

		if (tcp_xmit(w, f, f->snd_nxt, len, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG) == 0) {
			f->snd_nxt += len;
			f->snd_max = seq_max(f->snd_max, f->snd_nxt);
			f->flags &= ~TF_PERSIST;
		}
		return;
	}

	if (unsent == 0 || f->snd_nxt != f->snd_una) {
		/* Nothing new to offer (or bytes in flight): an old sequence number asks
		 * for an ACK just the same. */
		tcp_xmit(w, f, f->snd_una - 1, 0, RTE_TCP_ACK_FLAG);
		return;
	}
	/* One byte beyond the window: accepted if the window has opened meanwhile. */
	if (tcp_xmit(w, f, f->snd_nxt, 1, RTE_TCP_ACK_FLAG) == 0)
		f->snd_max = seq_max(f->snd_max, f->snd_nxt + 1);
}

int
tcp_retransmit_range(struct sl_worker *w, struct tcp_flow *f, uint32_t seq, uint32_t len)
{
	/* Only bytes sent before and still queued: a retransmission that reached past
	 * snd_max would put new data on the wire behind the sender's back. */
	uint32_t top = seq_min(f->snd_max, f->snd_una + f->tx.bytes);

	if (seq_lt(seq, f->snd_una) || !seq_lt(seq, top))
		return -EINVAL;
	len = u32_min(u32_min(len, top - seq), tcp_payload_mss(w, f));
	if (tcp_xmit(w, f, seq, len, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG) != 0)
		return -ENOBUFS;
	if (f->rtt_timing && seq_lt(seq, f->rtt_seq))
		f->rtt_timing = false;		/* Karn */
	w->stats.tcp_retransmit_segs++;
	f->retransmits++;
	tcp_sb_sent(w, f, seq, len, true);
	tcp_recovery_sent(f, len, true);
	return 0;
}

/* TX backpressure (port.h): output that can wait stops while the worker's TX queue is
 * full down to its reserve, and the flow notes it (TF_TX_WAIT) to stay dirty. */
static inline bool
tcp_tx_wait(struct sl_worker *w, struct tcp_flow *f)
{
	if (likely(worker_tx_open(w)))
		return false;
	f->flags |= TF_TX_WAIT;
	return true;
}

/* Recovery: the lost bytes the scoreboard lists below limit, first to last (RFC 6675
 * NextSeg rule 1), a segment at a time while the window PRR computed has room for it.
 * Returns the segments sent. */
static unsigned int
tcp_output_lost(struct sl_worker *w, struct tcp_flow *f, uint32_t limit)
{
	unsigned int sent = 0;
	uint32_t seq, len;

	while (tcp_sb_next_lost(f, &seq, &len) && seq_lt(seq, limit)) {
		len = u32_min(u32_min(len, tcp_payload_mss(w, f)), limit - seq);
		if (tcp_recovery_room(f) < len || tcp_tx_wait(w, f) ||
		    tcp_retransmit_range(w, f, seq, len) != 0)
			break;
		sent++;
	}
	return sent;
}

/*
 * Bytes a producer thread handed off before the flow was shut are still in a channel
 * (counted in the water marks, not yet in the send queue): the FIN waits for them, as
 * it waits for the bytes already queued. The drain phase marks the flow dirty when it
 * queues them.
 */
static bool
tcp_handoff_pending(const struct sl_worker *w, const struct tcp_flow *f)
{
	return wmark_queued(w, f) > f->tx.bytes;
}

/*
 * Flush policy: may the short last segment of the queue (len < MSS, everything unsent)
 * leave now? Full segments never wait. SL_SEND_FLUSH / sl_conn_flush (TF_PUSH) and a
 * queued FIN release it whatever the mode. SL_SEND_MORE and cork hold it until the cork
 * deadline, armed when the hold begins; Nagle (RFC 896) while data is unacknowledged,
 * the ACK that settles it marking the flow dirty again.
 */
static bool
tcp_tail_held(struct sl_worker *w, struct tcp_flow *f)
{
	if (f->flags & (TF_PUSH | TF_FIN_QUEUED))
		return false;
	if ((f->flags & TF_MORE) || f->flush_mode == SL_FLUSH_CORK) {
		if (f->cork_at == 0) {
			f->cork_at = w->clock.now_us + f->cork_us;
			tcp_timer_arm(w, f);
		}
		return w->clock.now_us < f->cork_at;
	}
	if (f->flush_mode == SL_FLUSH_NAGLE)
		return f->snd_max != f->snd_una;
	return false;
}

/* Our FIN is on its way: the state follows (RFC 9293 CLOSE call). */
static void
tcp_fin_sent(struct tcp_flow *f)
{
	f->flags |= TF_FIN_SENT;
	if (f->state == SL_TCP_ESTABLISHED || f->state == SL_TCP_SYN_RCVD)
		flow_set_state(f, SL_TCP_FIN_WAIT_1);
	else if (f->state == SL_TCP_CLOSE_WAIT)
		flow_set_state(f, SL_TCP_LAST_ACK);
}

/* What a pass of tcp_output left: everything, or (TF_TX_WAIT) some or all of it waiting
 * for room in the TX queue. A delayed ACK no segment carried goes into the timer wheel
 * now (tcp_delack_arm leaves that to this point). */
static __rte_always_inline enum tcp_out_rc
tcp_output_rc(struct sl_worker *w, struct tcp_flow *f, unsigned int sent)
{
	if (f->delack_at != 0)
		tcp_timer_arm_at(w, f, f->delack_at);
	if (likely(!(f->flags & TF_TX_WAIT)))
		return TCP_OUT_DONE;
	f->flags &= ~TF_TX_WAIT;
	w->stats.tcp_output_waits++;
	return sent == 0 ? TCP_OUT_WAITED : TCP_OUT_CUT;
}

/*
 * The output state gate (RFC 9293 §3.10.2 SEND and §3.10.4 CLOSE): data and FIN leave in
 * ESTABLISHED and CLOSE-WAIT, and what was queued before a close is still sent (and
 * retransmitted) in FIN-WAIT-1, CLOSING and LAST-ACK. SYN-RECEIVED can only repeat its
 * SYN-ACK, FIN-WAIT-2 and TIME-WAIT only acknowledge. Returns true when the data path
 * runs.
 */
static bool
tcp_output_gate(struct sl_worker *w, struct tcp_flow *f)
{
	if (likely(tcp_state_sends_data(f->state)))
		return true;
	switch (f->state) {
	case SL_TCP_SYN_SENT:
		/* An active open whose SYN waited for room (sl_worker_connect). */
		if (f->snd_max == f->iss && !tcp_tx_wait(w, f))
			tcp_send_syn_first(w, f);
		return false;
	case SL_TCP_SYN_RCVD:
		if (f->flags & TF_ACKNOW)
			tcp_send_syn(w, f);
		return false;
	case SL_TCP_FIN_WAIT_2:
	case SL_TCP_TIME_WAIT:
		if (f->flags & TF_ACKNOW)
			tcp_send_ack(w, f);
		return false;
	default:
		return false;
	}
}

/* The send window: min(cwnd, the peer's window), where each of the first two duplicate
 * ACKs adds a segment to cwnd (limited transmit, RFC 3042). */
static uint32_t
tcp_send_window(const struct tcp_flow *f, uint32_t mss)
{
	uint32_t wnd = f->cwnd;

	/* 0 < dupacks < 3 as one unsigned test, first: nearly always false. */
	if (unlikely((uint32_t)f->dupacks - 1u < 2u) && !(f->flags & TF_RECOVERY))
		wnd += (uint32_t)f->dupacks * mss;
	return RTE_MIN(f->snd_wnd, wnd);
}

/* Must a segment of len < MSS new bytes wait (unsent bytes are queued from snd_nxt)?
 * Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a segment shorter than the data we have,
 * because the window is small, waits unless it is half the largest window seen. A short
 * tail waits when the flush policy holds it (*held). Retransmissions never wait: those
 * bytes were sent into the window once already, and after a timeout nothing else would
 * ever resend them (Linux's tcp_retransmit_skb only trims to the window). */
static bool
tcp_short_segment_waits(struct sl_worker *w, struct tcp_flow *f, uint32_t len,
			uint32_t unsent, bool *held)
{
	if (len < unsent && len < f->max_snd_wnd / 2)
		return true;
	if (len == unsent && tcp_tail_held(w, f)) {
		w->stats.tcp_flush_held++;
		*held = true;
		return true;
	}
	return false;
}

/* A data segment of len bytes left from snd_nxt (segsz: TSO segment size, 0 for one
 * segment): count it, start timing it if it is new and nothing is timed (Karn: never a
 * retransmission, RFC 6298 §3), and move snd_nxt and snd_max on. one: the one-segment
 * pass (tcp_output_one_ok found no recovery and snd_nxt not below snd_una, and the data
 * is new), whose scoreboard record needs no test of where it ends (tcp_sb_sent_new) and
 * whose PRR and undo counts do not move (tcp_recovery_sent: not in recovery, not a
 * retransmission). Inline in its callers: it runs for every data segment, and a call of
 * its own cost a stack frame. */
static __rte_always_inline void
tcp_data_sent(struct sl_worker *w, struct tcp_flow *f, uint32_t len, uint32_t segsz,
	      uint32_t mss, bool rtx, bool one)
{
	if (rtx) {
		w->stats.tcp_retransmit_segs++;
		f->retransmits++;
	} else {
		uint32_t nseg = segsz != 0 ? len / segsz : 1;

		f->data_segs += nseg;
		w->stats.tcp_tx_data_segs += nseg;
		if (len == mss || segsz != 0)
			w->stats.tcp_tx_full_segs += nseg;
		if (!f->rtt_timing) {
			f->rtt_timing = true;
			f->rtt_seq = f->snd_nxt + len;
			f->rtt_start = w->clock.now_us;
		}
	}
	if (f->snd_una == f->snd_max)
		f->unacked_since = w->clock.now_us;
	if (one) {
		tcp_sb_sent_new(w, f, f->snd_nxt, len);
	} else {
		tcp_sb_sent(w, f, f->snd_nxt, len, rtx);
		tcp_recovery_sent(f, len, rtx);
	}
	f->snd_nxt += len;
	/* The one-segment pass sends from snd_max (snd_nxt == snd_max, its gate). */
	f->snd_max = one ? f->snd_nxt : seq_max(f->snd_max, f->snd_nxt);
}

/* The data loop: segments from snd_nxt (new data, or a go-back-N retransmission after a
 * timeout, which skips what the peer SACKed) while the send window has room, in full-MSS
 * segments (or TSO frames) and a final short one. During recovery the room is what PRR
 * leaves after the lost bytes went. Returns the segments sent; *held when the flush
 * policy kept the tail. */
static unsigned int
tcp_output_data(struct sl_worker *w, struct tcp_flow *f, uint32_t data_end, bool *held)
{
	uint32_t mss = tcp_payload_mss(w, f);
	uint32_t wnd = tcp_send_window(f, mss);
	unsigned int sent = 0;

	if (unlikely(f->flags & TF_RECOVERY))
		wnd = u32_min(f->snd_wnd, f->snd_nxt - f->snd_una + tcp_recovery_room(f));
	while (!(f->flags & TF_PERSIST) && seq_lt(f->snd_nxt, data_end)) {
		uint32_t unsent = data_end - f->snd_nxt;
		uint32_t inflight = f->snd_nxt - f->snd_una;
		uint32_t len, segsz, span = UINT32_MAX;
		uint8_t fl = RTE_TCP_ACK_FLAG;
		bool rtx = seq_lt(f->snd_nxt, f->snd_max);

		if (inflight >= wnd)
			break;
		if (unlikely(rtx) && f->sb.n > 0) {
			uint32_t seq = tcp_sb_rtx_span(f, f->snd_nxt, &span);

			if (seq != f->snd_nxt) {
				f->snd_nxt = seq;	/* the peer holds these */
				continue;
			}
		}
		len = u32_min(u32_min(u32_min(unsent, mss), wnd - inflight), span);
		if (!rtx && len < mss && tcp_short_segment_waits(w, f, len, unsent, held))
			break;
		if (tcp_tx_wait(w, f))
			break;
		segsz = tcp_tso_len(w, rtx, mss, u32_min(unsent, wnd - inflight), &len);
		if (len == unsent)
			fl |= RTE_TCP_PSH_FLAG;
		if (tcp_xmit_seg(w, f, f->snd_nxt, len, fl, segsz) != 0)
			break;
		tcp_data_sent(w, f, len, segsz, mss, rtx, false);
		sent++;
	}
	return sent;
}

int
tcp_output_probe(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t data_end = f->snd_una + f->tx.bytes;
	uint32_t mss = tcp_payload_mss(w, f), len;
	uint32_t inflight = f->snd_nxt - f->snd_una;

	if (f->snd_nxt != f->snd_max || !seq_lt(f->snd_nxt, data_end) ||
	    inflight >= f->snd_wnd)
		return -EAGAIN;
	len = u32_min(u32_min(data_end - f->snd_nxt, mss), f->snd_wnd - inflight);
	if (tcp_xmit_seg(w, f, f->snd_nxt, len, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 0) != 0)
		return -EAGAIN;
	tcp_data_sent(w, f, len, 0, mss, false, false);
	return 0;
}

/* Our FIN, after the last byte (also after a go-back-N rewind), once the application
 * asked for it and no handed-off bytes are still on their way. Returns 1 when it left. */
static __rte_always_inline unsigned int
tcp_output_fin(struct sl_worker *w, struct tcp_flow *f, uint32_t data_end)
{
	if (!(f->flags & TF_FIN_QUEUED) || f->snd_nxt != data_end ||
	    ((f->flags & TF_FIN_SENT) && !seq_lt(f->snd_nxt, f->snd_max)) ||
	    (!(f->flags & TF_FIN_SENT) && tcp_handoff_pending(w, f)) || tcp_tx_wait(w, f))
		return 0;
	if (tcp_xmit(w, f, data_end, 0, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG) != 0)
		return 0;
	if (seq_lt(data_end, f->snd_max) && (f->flags & TF_FIN_SENT)) {
		w->stats.tcp_retransmit_segs++;
		f->retransmits++;
	}
	if (f->snd_una == f->snd_max)
		f->unacked_since = w->clock.now_us;
	f->snd_nxt = data_end + 1;
	f->snd_max = seq_max(f->snd_max, f->snd_nxt);
	tcp_fin_sent(f);
	return 1;
}

/* Sending resumes with nothing in flight (RFC 5681 §4.1, RFC 9438 §5.8): after an idle
 * period longer than the RTO the ACK clock is gone, and the window restarts at
 * min(IW, cwnd) unless [tcp] slow-start-after-idle is off (Linux's
 * tcp_slow_start_after_idle, on by default); after any pause of a millisecond or more the
 * congestion control's clock moves on by it (CUBIC's epoch). */
static __rte_always_inline void
tcp_idle_restart(struct sl_worker *w, struct tcp_flow *f)
{
	uint64_t idle = w->clock.now_us - f->idle_since;
	uint32_t rw = UINT32_MAX;

	f->idle_since = 0;
	/* The pause first: between a request's reply and the next it is short. */
	if (idle < 1000 || f->snd_una != f->snd_max || f->cc->after_idle == NULL)
		return;
	if (idle > f->rto && w->cfg->idle_restart) {
		rw = (uint32_t)w->cfg->init_cwnd * f->mss;
		if (f->cwnd > rw)
			w->stats.tcp_idle_restarts++;
	}
	f->cc->after_idle(f, rw);
}

/* Persist (RFC 9293 §3.8.6.1): data waits with nothing in flight, so no ACK will come to
 * release it: the window is zero, or too small for silly-window avoidance to use it. The
 * persist timer probes a zero window and overrides SWS avoidance otherwise
 * (§3.8.6.2.1). */
static void
tcp_persist_enter(struct sl_worker *w, struct tcp_flow *f)
{
	f->flags |= TF_PERSIST;
	f->nrtx = 0;
	f->backoff = 0;
	if (f->unacked_since == 0)
		f->unacked_since = w->clock.now_us;
	tcp_rto_arm(w, f);
}

/*
 * The end of every pass of tcp_output (sent: segments that left, lost_sent: of them
 * repairs; held: the flush policy kept the tail): settle a flush or cork, the FIN, the
 * retransmission or persist timer and the ACK still owed. Inline in both passes.
 */
static __rte_always_inline enum tcp_out_rc
tcp_output_end(struct sl_worker *w, struct tcp_flow *f, uint32_t data_end, uint32_t new_from,
	       unsigned int sent, unsigned int lost_sent, bool held)
{
	if (f->snd_nxt == data_end) {
		/* Everything left: a flush request or a cork hold is settled. */
		f->flags &= ~TF_PUSH;
		f->cork_at = 0;
	}
	sent += tcp_output_fin(w, f, data_end);
	/* RFC 6298 (5.1): "Every time a packet containing data is sent (including a
	 * retransmission), if the timer is not running, start it running". */
	if (f->snd_una != f->snd_max) {
		/* A probe timer restarts when new data left (RFC 8985 §7.2), and guards
		 * the repairs of recovery too (tcp_recovery.c tlp_eligible): they can be
		 * lost as well, and the ACK that started recovery may not have re-armed
		 * the timer (a duplicate ACK does not). */
		if (f->rtx_at == 0 || f->snd_max != new_from ||
		    (lost_sent > 0 && f->rec.rtx_kind == TCP_RTX_RTO))
			tcp_rtx_arm(w, f, false);
	} else if (seq_lt(f->snd_nxt, data_end) && !(f->flags & (TF_PERSIST | TF_TX_WAIT)) &&
		   !held) {
		tcp_persist_enter(w, f);
	}
	/* Nothing carried the ACK we owe: a pure one. */
	if (sent == 0 && (f->flags & TF_ACKNOW))
		tcp_send_ack(w, f);
	return tcp_output_rc(w, f, sent);
}

/* Flags that send a pass of tcp_output the general way (tcp_output_one_ok): recovery,
 * persist, a FIN queued, a D-SACK owed, anything queued out of order (SACK blocks to
 * carry; without SACK the general pass does the same as the one-segment pass would),
 * a send outside the pass that waited for TX room (TF_TX_WAIT, which the general pass
 * clears first). */
#define TF_OUT_GENERAL (TF_RECOVERY | TF_PERSIST | TF_FIN_QUEUED | TF_DSACK_OUT | TF_OOO | \
			TF_TX_WAIT)

/*
 * Is this pass the common one: new data that fits one segment, in a flow with nothing
 * else to do? Then tcp_output_data's loop runs once and sends exactly the unsent bytes,
 * with PSH, and the steps before it do nothing but the idle restart. The conditions, all
 * read-only (the general pass stays the reference; tests/unit/tcp/test_tcp_data.c
 * compares the two): ESTABLISHED (of the states tcp_output_gate lets send data, the
 * common one); no recovery, go-back-N (snd_una below recover), persist, FIN queued,
 * D-SACK owed or send that waited for TX room; nothing to retransmit (snd_nxt == snd_max, not behind snd_una); nothing
 * queued out of order (no SACK blocks to carry: the payload MSS is f->mss); no TSO; 0 < unsent <= MSS, within the send window; and a short tail that the
 * flush policy lets go (tcp_tail_held would say false, without its cork side effects).
 */
static __rte_always_inline bool
tcp_output_one_ok(const struct sl_worker *w, const struct tcp_flow *f, uint32_t data_end)
{
	uint32_t unsent = data_end - f->snd_nxt;

	/* ESTABLISHED (the other states that send data take the general pass), and none
	 * of TF_OUT_GENERAL: one test. */
	/* snd_nxt == snd_max is not behind snd_una: no ACK above snd_max is taken. */
	if ((f->flags & (TF_ESTAB | TF_OUT_GENERAL)) != TF_ESTAB || f->snd_nxt != f->snd_max ||
	    seq_lt(f->snd_una, f->recover) || w->tx_tso || w->tcp.out_one_off)
		return false;
	/* 0 < unsent <= MSS (one unsigned test), and inflight + unsent (the whole queue,
	 * f->tx.bytes, as snd_una <= snd_nxt <= data_end here) within the send window:
	 * which holds inflight below it too. Within both cwnd and the peer's window is
	 * within it (tcp_send_window only ever adds to cwnd), and needs no more. */
	if (unsent - 1 >= f->mss)
		return false;
	if (unlikely(f->tx.bytes > f->cwnd || f->tx.bytes > f->snd_wnd) &&
	    f->tx.bytes > tcp_send_window(f, f->mss))
		return false;
	/* The common policy first: flush every iteration, no flush or MORE pending. Either
	 * way of what follows would let the segment go then. */
	if (likely(!(f->flags & (TF_PUSH | TF_MORE)) && f->flush_mode == SL_FLUSH_ITERATION))
		return true;
	if (unsent == f->mss || (f->flags & TF_PUSH))
		return true;
	return !(f->flags & TF_MORE) && (f->flush_mode == SL_FLUSH_ITERATION ||
					 (f->flush_mode == SL_FLUSH_NAGLE &&
					  f->snd_max == f->snd_una));
}

/* The common pass (tcp_output_one_ok): the data loop's one turn, then what tcp_output_end
 * does after it (the general end when the segment did not leave). */
static __rte_always_inline enum tcp_out_rc
tcp_output_one(struct sl_worker *w, struct tcp_flow *f, uint32_t data_end)
{
	uint32_t new_from, len;

	if (f->idle_since != 0)
		tcp_idle_restart(w, f);
	new_from = f->snd_max;
	len = data_end - f->snd_nxt;
	if (!tcp_tx_wait(w, f) &&
	    tcp_xmit_seg_inline(w, f, f->snd_nxt, len, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
				0, true) == 0) {
		tcp_data_sent(w, f, len, 0, f->mss, false, true);
		/* tcp_output_end after the segment left, with what this pass settled: all
		 * the queue went (the flush settled, TF_PUSH, in tcp_xmit_done's store of
		 * the flags; the cork here); no FIN was queued
		 * (tcp_output_one_ok); new data is in flight, so the timer that restarts
		 * with it (tcp_rtx_arm_new); the segment carried the ACK, so nothing is owed
		 * and no delayed ACK is due (tcp_xmit_done); nothing waited for room. */
		f->cork_at = 0;
		tcp_rtx_arm_new(w, f);
		return TCP_OUT_DONE;
	}
	return tcp_output_end(w, f, data_end, new_from, 0, 0, false);
}

/* Every other pass of tcp_output, step by step (the file's head). */
static __rte_noinline enum tcp_out_rc
tcp_output_general(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t data_end, new_from;
	unsigned int sent, lost_sent;
	bool held = false;

	/* Left by a send outside this pass (tcp_output). */
	if (unlikely(f->flags & TF_TX_WAIT))
		f->flags &= ~TF_TX_WAIT;
	if (!tcp_output_gate(w, f))
		return tcp_output_rc(w, f, 0);
	data_end = f->snd_una + f->tx.bytes;
	if (seq_lt(f->snd_nxt, f->snd_una))
		f->snd_nxt = f->snd_una;
	/* A D-SACK leaves on a pure ACK (data segments have no room for its block). */
	if (unlikely(f->dsack_out) && (f->flags & TF_ACKNOW))
		tcp_send_ack(w, f);
	lost_sent = 0;
	if (unlikely(f->flags & TF_RECOVERY))
		lost_sent = tcp_output_lost(w, f, f->snd_max);
	else if (unlikely(seq_lt(f->snd_una, f->recover)))
		/* After a timeout, go-back-N resends from snd_nxt on; what RACK found lost
		 * again below it (a lost retransmission) goes first (Linux's Loss state). */
		lost_sent = tcp_output_lost(w, f, f->snd_nxt);
	if (f->idle_since != 0 && seq_lt(f->snd_nxt, data_end))
		tcp_idle_restart(w, f);
	new_from = f->snd_max;
	sent = lost_sent + tcp_output_data(w, f, data_end, &held);
	return tcp_output_end(w, f, data_end, new_from, sent, lost_sent, held);
}

enum tcp_out_rc
tcp_output(struct sl_worker *w, struct tcp_flow *f)
{
	uint32_t data_end = f->snd_una + f->tx.bytes;

	/* TF_TX_WAIT, left by a send outside this pass, sends it the general way, which
	 * clears it: a test of the gate's flags (TF_OUT_GENERAL), not one of its own. */
	if (likely(tcp_output_one_ok(w, f, data_end)))
		return tcp_output_one(w, f, data_end);
	return tcp_output_general(w, f);
}

/* ---- replies without a connection, built in the received mbuf ---- */

/* Turn the received segment m into our answer: swapped addresses and ports, a fresh
 * TCP header with the given fields and options, no payload. Consumes m. false when it
 * was shed for want of room in the TX queue. */
static bool
tcp_reply_inplace(struct sl_worker *w, struct rte_mbuf *m, const struct tcp_seg *s,
		  uint32_t seq, uint32_t ack, uint8_t tflags, uint16_t win, const uint8_t *opts,
		  size_t olen)
{
	const uint32_t l2 = m->l2_len, l3 = m->l3_len;
	const uint32_t hlen = sizeof(struct rte_tcp_hdr) + (uint32_t)olen;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	if (unlikely(!worker_tx_room(w))) {
		/* Nothing is kept for a reply without a connection: with no room in the TX
		 * queue it is not made, and the peer repeats its segment (a SYN, for a SYN
		 * cookie), as if the segment had been lost on the way in. */
		w->stats.tcp_reply_shed++;
		rte_pktmbuf_free(m);
		return false;
	}
	mbuf_trim_to(m, l2 + l3);
	if (m->nb_segs != 1 || rte_pktmbuf_append(m, (uint16_t)hlen) == NULL) {
		/* The answer must fit behind the IPv4 header in the received buffer: a
		 * PMD's buffers always have the room, a segment at the very end of a small
		 * buffer might not. */
		w->stats.tcp_reply_no_room++;
		rte_pktmbuf_free(m);
		return false;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&w->mac, &eh->src_addr);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + hlen));
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = w->ttl;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = s->key.laddr;
	ip->dst_addr = s->key.raddr;
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l2 + sizeof(*ip));
	th->src_port = s->key.lport;
	th->dst_port = s->key.rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = tflags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->tcp_urp = 0;
	if (olen > 0)
		memcpy(th + 1, opts, olen);	/* RSTs pass no options (opts NULL) */
	mbuf_ol_reset(m);
	m->l2_len = l2;
	m->l3_len = sizeof(*ip);
	tcp_cksum_set(w, m, th, s->key.laddr, s->key.raddr, hlen, hlen, l2 + sizeof(*ip));
	ipv4_cksum_finish(w, m, ip);
	w->stats.tcp_tx_segs++;
	port_tx(w, m);
	return true;
}

void
tcp_reply_rst(struct sl_worker *w, struct rte_mbuf *m, const struct tcp_seg *s)
{
	uint32_t seglen = s->len;

	if (s->flags & RTE_TCP_RST_FLAG) {
		/* "An incoming segment containing a RST is discarded" (SYN-SENT with an
		 * unacceptable ACK is the only state that gets here with one). */
		w->stats.tcp_rst_ignored++;
		rte_pktmbuf_free(m);
		return;
	}
	w->stats.tcp_rst_closed_port++;
	if (s->flags & RTE_TCP_ACK_FLAG) {
		tcp_reply_inplace(w, m, s, s->ack, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
		return;
	}
	if (s->flags & RTE_TCP_SYN_FLAG)
		seglen++;
	if (s->flags & RTE_TCP_FIN_FLAG)
		seglen++;
	tcp_reply_inplace(w, m, s, 0, s->seq + seglen, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0,
			  NULL, 0);
}

void
tcp_reply_cookie_synack(struct sl_worker *w, struct rte_mbuf *m, const struct tcp_seg *s)
{
	const struct sl_config *cfg = w->cfg;
	uint8_t opts[TCP_OPT_MAX];
	bool ts = cfg->timestamps && (s->opts.has & TO_TS);
	bool sack = cfg->sack && (s->opts.has & TO_SACK_OK);
	int ws = -1;
	uint16_t mss;
	uint32_t iss = tcp_cookie_make(w, s, &mss);
	size_t olen;

	(void)mss;	/* encoded in the cookie; we announce our own MSS */
	/* Without timestamps there is nowhere to keep the peer's window scale, so the
	 * connection goes without (RFC 7323 allows it: both sides must agree). */
	if (ts && cfg->wscale && (s->opts.has & TO_WSCALE)) {
		uint32_t b = cfg->rcvbuf;

		ws = 0;
		while (ws < 14 && (b >> ws) > 65535)
			ws++;
	}
	olen = tcp_opt_write_syn(opts, (uint16_t)(cfg->mtu - 40), ws, ts && sack, ts,
				 ts ? tcp_cookie_tsval(w, s) : 0, s->opts.tsval);
	/* ECN agreed only where the timestamp can remember it (tcp_cookie_tsval). */
	if (tcp_reply_inplace(w, m, s, iss, s->seq + 1, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG |
			      (ts && tcp_ecn_syn_ok(w, w->tcp.cc, s->flags) ? RTE_TCP_ECE_FLAG : 0),
			      (uint16_t)RTE_MIN(cfg->rcvbuf, 65535u), opts, olen))
		w->stats.tcp_syncookie_sent++;
}
