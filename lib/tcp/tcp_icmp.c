/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_icmp.c -- what ICMP errors do to TCP connections.
 *
 * Path MTU discovery (RFC 1191): an ICMP "fragmentation needed" lowers the segment size
 * of the connection it quotes and of later ones to that destination (pmtu.c), and what
 * the path dropped is sent again at once, in smaller segments, instead of after a
 * retransmission timeout. Other destination-unreachable codes and time exceeded are soft
 * errors (tcp_icmp_soft_error).
 *
 * RX: ipv4_input -> icmp_input -> tcp_icmp_input [-> steer_icmp_handoff -> the owner's
 * steer_drain -> tcp_icmp_input] -> pmtu_learn, tcp_icmp_shrink.
 * RTO: tcp_rto_fire -> tcp_icmp_blackhole (a path that drops big segments silently).
 *
 * An ICMP message is easy to forge, so it is believed only when it quotes a connection we
 * have, from our address, and a sequence number we sent and that is not acknowledged yet:
 * SND.UNA <= SEG.SEQ < SND.MAX (RFC 5927 §4.1; SND.MAX rather than SND.NXT, which a
 * go-back has moved back while ICMPs about the first transmissions are still on their
 * way). A blind attacker would have to guess a window's worth of the sequence space, and
 * even then only lowers the segment size to [ip] min-pmtu. Anything else is counted in
 * icmp_err_invalid and ignored.
 */

#define SL_LOG_MODULE icmp	/* sluice.icmp (core/log.h) */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/log.h"
#include "core/steer.h"
#include "core/worker.h"
#include "net/pmtu.h"
#include "tcp/flow.h"
#include "tcp/tcp_icmp.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_seq.h"

/* ICMP types and codes (RFC 792, RFC 1191) that DPDK 22.11 does not name. */
#define TCP_ICMP_UNREACH 3
#define TCP_ICMP_FRAG_NEEDED 4

/* The quoted TCP header: RFC 792 promises its first 8 bytes (ports, sequence number). */
#define TCP_ICMP_QUOTE_MIN 8

/* The segment size for a path MTU, as the handshake computes it (tcp_in.c). */
static uint32_t
tcp_icmp_mss(const struct tcp_flow *f, uint16_t pmtu)
{
	uint32_t mss = RTE_MAX((uint32_t)f->peer_mss, TCP_MIN_SND_MSS);

	mss = RTE_MIN(mss, (uint32_t)pmtu - 40);
	if (f->flags & TF_TS)
		mss -= 12;
	return mss;
}

/* The connection's segment size for a path MTU. If it got smaller, what is in flight is
 * sent again at once, as Linux's tcp_simple_retransmit: everything not SACKed counts as lost and goes back out from SND.UNA, in the new size,
 * without a cut of the congestion window (nothing says the path is congested) and
 * without waiting for the retransmission timer. */
static void
tcp_icmp_shrink(struct sl_worker *w, struct tcp_flow *f, uint16_t pmtu)
{
	uint32_t mss = tcp_icmp_mss(f, pmtu);

	if (mss >= f->mss) {
		w->stats.icmp_err_stale++;	/* an ICMP about a segment of the old size */
		return;
	}
	SL_LOG_RL(DEBUG, "conn " SL_IP4_FMT ":%u: path MTU %u, segments %u -> %u bytes",
		  SL_IP4_ARGS(f->key.raddr), rte_be_to_cpu_16(f->key.rport), pmtu, f->mss, mss);
	f->mss = (uint16_t)mss;
	f->rcv_mss = (uint16_t)RTE_MIN((uint32_t)f->rcv_mss, mss);
	w->stats.tcp_pmtu_shrinks++;
	if (!tcp_state_sends_data(f->state) || f->snd_una == f->snd_max ||
	    (f->flags & TF_PERSIST))
		return;
	tcp_sb_timeout(f, false);
	f->rec.tlp_out = false;
	flow_gate_rec(f);
	f->recover = f->snd_max;	/* the go-back's ACKs start no fast retransmit */
	f->dupacks = 0;
	f->rtt_timing = false;		/* Karn: no sample from what is sent again */
	f->snd_nxt = f->snd_una;
	flow_mark_dirty(w, f);
}

/* Path MTUs the black-hole steps try: Linux's tcp_base_mss (1024) plus the headers, then
 * the configured floor. */
#define TCP_BLACKHOLE_MTU 1064

void
tcp_icmp_blackhole(struct sl_worker *w, struct tcp_flow *f)
{
	const struct sl_config *cfg = w->cfg;
	uint32_t mss;

	if (!cfg->mtu_probing || (f->nrtx != 2 && f->nrtx != 4) ||
	    !tcp_state_synchronized(f->state) || f->snd_max - f->snd_una < f->mss)
		return;			/* not a full-size segment that keeps timing out */
	mss = tcp_icmp_mss(f, f->nrtx == 2 ? TCP_BLACKHOLE_MTU :
			   RTE_MIN(cfg->min_pmtu, (uint16_t)TCP_BLACKHOLE_MTU));
	if (mss >= f->mss)
		return;
	SL_LOG_RL(DEBUG, "conn " SL_IP4_FMT ":%u: %u timeouts of full-size segments, "
		  "segments %u -> %u bytes (black hole?)", SL_IP4_ARGS(f->key.raddr),
		  rte_be_to_cpu_16(f->key.rport), f->nrtx, f->mss, mss);
	f->mss = (uint16_t)mss;
	w->stats.tcp_blackhole_shrinks++;
}

/* Any other destination unreachable, or time exceeded (RFC 1122 §4.2.3.9, RFC 5461): a
 * soft error, recorded on the connection (sl_conn_info().soft_error) and never a reset:
 * routes come back, and an attacker who can forge one ICMP message must not be able to
 * end a connection with it. An active open that then runs out of SYN retries tells the
 * application "unreachable" instead of "timeout". Protocol unreachable during an active
 * open is the one hard error: the host there does not speak TCP at all, the attempt ends
 * at once. */
static void
tcp_icmp_soft_error(struct sl_worker *w, struct tcp_flow *f, uint8_t type, uint8_t code)
{
	int err = EHOSTUNREACH;

	if (type == TCP_ICMP_UNREACH) {
		switch (code) {
		case 0:			/* net unreachable */
		case 6:			/* destination network unknown */
		case 9:			/* network administratively prohibited */
		case 11:		/* network unreachable for TOS */
			err = ENETUNREACH;
			break;
		case 2:			/* protocol unreachable */
			err = ENOPROTOOPT;
			break;
		case 3:			/* port unreachable */
			err = ECONNREFUSED;
			break;
		default:		/* host unreachable, unknown, prohibited, ... */
			break;
		}
	}
	SL_LOG_RL(DEBUG, "conn " SL_IP4_FMT ":%u: ICMP type %u code %u (%s)",
		  SL_IP4_ARGS(f->key.raddr), rte_be_to_cpu_16(f->key.rport), type, code,
		  strerror(err));
	f->soft_err = (uint16_t)err;
	w->stats.tcp_icmp_soft_errors++;
	if (err == ENOPROTOOPT && f->state == SL_TCP_SYN_SENT) {
		w->stats.tcp_icmp_aborts++;
		flow_closed(w, f, SL_CLOSE_UNREACHABLE);
	}
}

void
tcp_icmp_input(struct sl_worker *w, struct rte_mbuf *m)
{
	const uint32_t off = (uint32_t)m->l2_len + m->l3_len;
	const struct rte_icmp_hdr *ic;
	const struct rte_ipv4_hdr *qip;
	const uint8_t *qtcp;
	struct tcp_flow *f;
	struct flow_key k;
	uint32_t qihl, seq;
	uint16_t mtu, qlen;

	if (rte_pktmbuf_data_len(m) < off + sizeof(*ic) + sizeof(*qip))
		goto invalid;
	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, off);
	qip = (const struct rte_ipv4_hdr *)(ic + 1);
	qihl = (uint32_t)(qip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if ((qip->version_ihl >> 4) != 4 || qihl < sizeof(*qip) ||
	    qip->next_proto_id != IPPROTO_TCP || qip->src_addr != w->ip ||
	    rte_pktmbuf_data_len(m) < off + sizeof(*ic) + qihl + TCP_ICMP_QUOTE_MIN)
		goto invalid;
	qtcp = (const uint8_t *)qip + qihl;
	k.laddr = qip->src_addr;
	k.raddr = qip->dst_addr;
	memcpy(&k.lport, qtcp, sizeof(k.lport));
	memcpy(&k.rport, qtcp + 2, sizeof(k.rport));
	memcpy(&seq, qtcp + 4, sizeof(seq));
	seq = rte_be_to_cpu_32(seq);
	if (steer_icmp_handoff(w, m, &k))
		return;
	f = flow_lookup(w, &k);
	if (f == NULL || f->state == SL_TCP_TIME_WAIT || seq_lt(seq, f->snd_una) ||
	    !seq_lt(seq, f->snd_max))
		goto invalid;
	if (ic->icmp_type != TCP_ICMP_UNREACH || ic->icmp_code != TCP_ICMP_FRAG_NEEDED) {
		tcp_icmp_soft_error(w, f, ic->icmp_type, ic->icmp_code);
		rte_pktmbuf_free(m);
		return;
	}
	/* The next-hop MTU is the ICMP header's last 16 bits (RFC 1191 §4); an RFC 792
	 * router leaves them zero. A value that the quoted datagram fits is no report of a
	 * smaller path. */
	qlen = rte_be_to_cpu_16(qip->total_length);
	mtu = rte_be_to_cpu_16(ic->icmp_seq_nb);
	if (mtu == 0)
		mtu = pmtu_plateau(qlen);
	if (mtu < 68 || mtu >= qlen)
		goto invalid;
	mtu = pmtu_learn(w, k.raddr, mtu);
	if (tcp_state_synchronized(f->state))
		tcp_icmp_shrink(w, f, mtu);	/* else the handshake's end reads the cache */
	rte_pktmbuf_free(m);
	return;
invalid:
	SL_LOG_RL(DEBUG, "ICMP error ignored: it quotes nothing we have in flight "
		  "(icmp_err_invalid)");
	w->stats.icmp_err_invalid++;
	rte_pktmbuf_free(m);
}
