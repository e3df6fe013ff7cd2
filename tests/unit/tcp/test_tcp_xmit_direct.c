/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_out.c's direct segment builder (tcp_xmit_direct, with net/ipv4_direct.h): for the
 * same segment it writes byte for byte the frame of the general path (tcp_xmit_seg_general
 * -> ipv4_output_or_refuse -> ipv4_output_mode -> arp_output), with the same offload
 * metadata. Each case sends one segment twice at the same virtual time: first with the
 * neighbour cached REACHABLE (the direct path), then with the one-entry ARP cache emptied,
 * which sends the general way (arp_output finds the entry again and caches it). */

#include "unit.h"

#include <netinet/in.h>

#include <rte_arp.h>

#include "net/ipv4_direct.h"
#include "tcp/tcp_out.h"
#include "tcp_helper.h"

/* The frame the last send queued, from the worker's TX queue through the port. */
static struct rte_mbuf *
sent_frame(struct th *t)
{
	struct rte_mbuf *m;

	port_flush(t->w);
	m = th_tx_pop(t);
	assert_non_null(m);
	assert_int_equal(th_tx_count(t), 0);
	return m;
}

/* send() once by each path; the frames must be identical. Returns the direct one's
 * length after checking it is a well-formed segment (tp_parse verifies both checksums)
 * unless the peer's MAC was changed (tp_parse expects the usual one). */
static void
same_frame_both_ways(struct tt *x, void (*send)(struct tt *x), bool check_parse,
		     struct tp_out *o)
{
	struct th *t = &x->t;
	struct tcp_flow *f = tpeer_flow(&x->p);
	struct rte_mbuf *fast, *ref;

	assert_non_null(ipv4_direct_neighbour(t->w, f->key.raddr));
	send(x);
	fast = sent_frame(t);
	t->w->arp.last_hit = NULL;
	assert_null(ipv4_direct_neighbour(t->w, f->key.raddr));
	send(x);
	ref = sent_frame(t);
	assert_non_null(ipv4_direct_neighbour(t->w, f->key.raddr));	/* cached again */
	assert_int_equal(fast->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(fast), rte_pktmbuf_pkt_len(ref));
	assert_int_equal(rte_pktmbuf_data_len(fast), rte_pktmbuf_data_len(ref));
	assert_memory_equal(rte_pktmbuf_mtod(fast, void *), rte_pktmbuf_mtod(ref, void *),
			    rte_pktmbuf_pkt_len(ref));
	assert_int_equal(fast->l2_len, ref->l2_len);
	assert_int_equal(fast->l3_len, ref->l3_len);
	assert_int_equal(fast->l4_len, ref->l4_len);
	assert_int_equal(fast->ol_flags, ref->ol_flags);
	if (check_parse)
		tp_parse(fast, t, o);
	rte_pktmbuf_free(fast);
	rte_pktmbuf_free(ref);
}

static void
send_ack(struct tt *x)
{
	assert_int_equal(tcp_send_ack(x->t.w, tpeer_flow(&x->p)), 0);
}

/* The stack's bytes [0, n) again, from the send queue (n: rtx_len). */
static uint32_t rtx_len;

static void
send_rtx(struct tt *x)
{
	struct tcp_flow *f = tpeer_flow(&x->p);

	assert_int_equal(tcp_retransmit_range(x->t.w, f, f->snd_una, rtx_len), 0);
}

/* A connection with n bytes sent by the application and not yet acknowledged. */
static struct tcp_flow *
connect_with_unacked(struct tt *x, uint32_t n)
{
	static uint8_t d[1448];
	struct sl_conn *c = tpeer_connect(&x->p);
	struct tp_out o;
	uint32_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(sl_conn_send(c, d, n), 0);
	th_poll(&x->t);
	tpeer_expect(&x->p, &o);
	assert_int_equal(o.len, n);
	return tpeer_flow(&x->p);
}

/* Pure ACKs and retransmitted data of odd and even lengths, software checksums. */
static void
test_direct_segments_match_general_path(void **state)
{
	static const uint32_t lens[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 101, 1448 };
	struct tt *x = *state;
	struct tp_out o;
	unsigned int i;

	connect_with_unacked(x, 1448);
	same_frame_both_ways(x, send_ack, true, &o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.hlen, 32);		/* the timestamps */
	for (i = 0; i < RTE_DIM(lens); i++) {
		rtx_len = lens[i];
		same_frame_both_ways(x, send_rtx, true, &o);
		assert_int_equal(o.len, lens[i]);
	}
}

/* The same with each of the port's checksum offloads: the metadata match too. */
static void
test_direct_segments_match_general_path_with_offloads(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tp_out o;
	unsigned int k;

	connect_with_unacked(x, 64);
	rtx_len = 33;
	for (k = 1; k < 4; k++) {
		w->tx_ip_csum = (k & 1) != 0;
		w->tx_tcp_csum = (k & 2) != 0;
		same_frame_both_ways(x, send_ack, false, &o);
		same_frame_both_ways(x, send_rtx, false, &o);
	}
	w->tx_ip_csum = false;
	w->tx_tcp_csum = false;
}

/* Without timestamps: a 20-byte TCP header. */
static void
test_direct_segments_match_general_path_without_options(void **state)
{
	struct tt *x = *state;
	struct tp_out o;

	x->p.ts = false;
	connect_with_unacked(x, 99);
	same_frame_both_ways(x, send_ack, true, &o);
	assert_int_equal(o.hlen, 20);
	rtx_len = 99;
	same_frame_both_ways(x, send_rtx, true, &o);
	assert_int_equal(o.hlen, 20);
	assert_int_equal(o.len, 99);
}

/* The peer's MAC changes (an ARP request from it with another address, RFC 826's
 * merge): the direct path uses the new one at once, as the general path does. */
static void
test_direct_path_follows_arp_change(void **state)
{
	static const struct rte_ether_addr zero_mac;
	struct rte_ether_addr mac = th_peer_mac;
	struct tt *x = *state;
	uint8_t fr[60] = { 0 };
	struct rte_mbuf *m;
	struct tp_out o;
	size_t n;

	connect_with_unacked(x, 10);
	mac.addr_bytes[5] ^= 0x5a;
	n = fb_eth(fr, &th_bcast_mac, &mac, RTE_ETHER_TYPE_ARP);
	fb_arp(fr + n, RTE_ARP_OP_REQUEST, &mac, TH_PEER_IP, &zero_mac, TH_STACK_IP);
	th_inject_bytes(&x->t, fr, sizeof(fr));
	assert_int_equal(th_tx_drain(&x->t), 1);	/* the ARP reply */
	assert_true(rte_is_same_ether_addr(&arp_lookup(x->t.w, TH_PEER_IP)->mac, &mac));
	same_frame_both_ways(x, send_ack, false, &o);
	rtx_len = 10;
	same_frame_both_ways(x, send_rtx, false, &o);
	assert_int_equal(tcp_send_ack(x->t.w, tpeer_flow(&x->p)), 0);
	m = sent_frame(&x->t);
	assert_true(rte_is_same_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr,
					   &mac));
	rte_pktmbuf_free(m);
}

/* With a VLAN the direct path steps aside: the frame is the general path's, tagged. */
static void
test_direct_path_declines_vlan(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;
	struct rte_mbuf *m;
	const struct rte_ether_hdr *eh;

	f = connect_with_unacked(x, 10);
	w->vlan = 7;
	assert_null(ipv4_direct_neighbour(w, f->key.raddr));
	assert_int_equal(tcp_send_ack(w, f), 0);
	m = sent_frame(&x->t);
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_VLAN));
	assert_int_equal(rte_pktmbuf_pkt_len(m), RTE_ETHER_HDR_LEN + 4 + 20 + 32);
	rte_pktmbuf_free(m);
	w->vlan = 0;
	assert_non_null(ipv4_direct_neighbour(w, f->key.raddr));
}

static int
setup_ecn_on(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.ecn = SL_ECN_ON;
	return tt_fixture_setup_cfg(state, &cfg);
}

/* ECN: an ACK echoing CE carries ECE by both paths; new data leaves ECT(0) by the direct
 * path with a correct IP checksum (the IPv4 layer's ECT(0) frames by both paths are
 * compared in test_arp.c). */
static void
test_direct_segments_match_general_path_with_ecn(void **state)
{
	static const uint8_t d[5] = { 1, 2, 3, 4, 5 };
	struct tt *x = *state;
	struct sl_conn *c;
	struct tp_out o;

	x->p.syn_flags = TH_ECE | TH_CWR;
	c = tpeer_connect(&x->p);
	assert_int_equal(x->p.syn.flags, TH_SYN | TH_ACK | TH_ECE);
	/* CE-marked data from the peer: the stack echoes ECE from now on. */
	x->p.tos = TP_CE;
	tpeer_send(&x->p, TH_ACK, d, sizeof(d));
	x->p.tos = TP_NOT_ECT;
	tt_flush(x, 500 * 1000);
	while (tpeer_recv(&x->p, &o))
		;
	same_frame_both_ways(x, send_ack, true, &o);
	assert_int_equal(o.flags, TH_ACK | TH_ECE);
	assert_int_equal(o.tos, TP_NOT_ECT);
	/* New data: ECT(0), by the direct path. */
	assert_int_equal(sl_conn_send(c, d, sizeof(d)), 0);
	th_poll(&x->t);
	tpeer_expect(&x->p, &o);
	assert_int_equal(o.len, sizeof(d));
	assert_int_equal(o.tos, TP_ECT0);
	assert_true(o.flags & TH_ECE);
	rtx_len = sizeof(d);
	same_frame_both_ways(x, send_rtx, true, &o);
	assert_int_equal(o.tos, TP_NOT_ECT);	/* a retransmission is Not-ECT */
}

/* A received frame's mbuf after the application read it (rxbuf_consume): receive
 * flags, packet type, header lengths, VLAN tags, port and hash as a port and the receive
 * path leave them, the data pointer moved onto the payload; then kept for a segment. */
static struct rte_mbuf *
spare_from_rx(struct sl_worker *w)
{
	struct rte_mbuf *m = th_mbuf_rx_like(w->pool, 6);

	memset(rte_pktmbuf_mtod(m, void *), 0xee, 6);
	seg_spare_put(&w->tcp.seg_spares, m);
	assert_int_equal(w->tcp.seg_spares.n, 1);
	return m;
}

/* send() once with a spare waiting (the segment must be built in it) and once without
 * (a fresh mbuf from the pool): the same frame and metadata, by the direct path and by
 * the general one. */
static void
same_frame_from_spare(struct tt *x, void (*send)(struct tt *x), bool direct)
{
	struct th *t = &x->t;
	struct sl_worker *w = t->w;
	struct rte_mbuf *fast, *ref, *sp;

	if (!direct)
		w->arp.last_hit = NULL;
	sp = spare_from_rx(w);
	send(x);
	fast = sent_frame(t);
	assert_ptr_equal(fast, sp);
	assert_int_equal(w->tcp.seg_spares.n, 0);
	if (!direct)
		w->arp.last_hit = NULL;
	send(x);
	ref = sent_frame(t);
	assert_ptr_not_equal(ref, sp);
	assert_int_equal(fast->nb_segs, ref->nb_segs);
	assert_int_equal(fast->data_off, ref->data_off);
	assert_int_equal(rte_pktmbuf_pkt_len(fast), rte_pktmbuf_pkt_len(ref));
	assert_int_equal(rte_pktmbuf_data_len(fast), rte_pktmbuf_data_len(ref));
	assert_memory_equal(rte_pktmbuf_mtod(fast, void *), rte_pktmbuf_mtod(ref, void *),
			    rte_pktmbuf_pkt_len(ref));
	assert_int_equal(fast->tx_offload, ref->tx_offload);
	assert_int_equal(fast->ol_flags, ref->ol_flags);
	assert_int_equal(fast->packet_type, ref->packet_type);
	assert_int_equal(fast->vlan_tci, ref->vlan_tci);
	assert_int_equal(fast->vlan_tci_outer, ref->vlan_tci_outer);
	assert_int_equal(fast->port, ref->port);
	assert_int_equal(rte_mbuf_refcnt_read(fast), 1);
	rte_pktmbuf_free(fast);
	rte_pktmbuf_free(ref);
}

/* Segments built in an mbuf the application read this iteration (seg_spares.h) are the
 * segments built in a fresh one: ACKs and data, both paths, software checksums and each
 * offload. */
static void
test_segments_from_spares_match_fresh(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	unsigned int k;

	connect_with_unacked(x, 1448);
	for (k = 0; k < 4; k++) {
		w->tx_ip_csum = (k & 1) != 0;
		w->tx_tcp_csum = (k & 2) != 0;
		same_frame_from_spare(x, send_ack, true);
		same_frame_from_spare(x, send_ack, false);
		rtx_len = 1;
		same_frame_from_spare(x, send_rtx, true);
		same_frame_from_spare(x, send_rtx, false);
		rtx_len = 1448;
		same_frame_from_spare(x, send_rtx, true);
		same_frame_from_spare(x, send_rtx, false);
	}
	w->tx_ip_csum = false;
	w->tx_tcp_csum = false;
}

/* The checksums' per-connection parts (tx_phsum, tx_ipsum: summed once when the flow is
 * made) are those of its addresses and the worker's TTL, here not the default: the
 * frames, checksums included, are still the general path's, whose sums take every field
 * as it is written. */
static void
test_direct_sums_kept_per_flow(void **state)
{
	static const uint32_t lens[] = { 1, 3, 8, 9, 64 };
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct tcp_flow *f;
	struct tp_out o;
	unsigned int i;

	w->ttl = 37;
	f = connect_with_unacked(x, 64);
	assert_int_equal(f->tx_phsum,
			 cksum_fold64(cksum_ipv4_phdr64(f->key.laddr, f->key.raddr,
							IPPROTO_TCP, 0)));
	assert_int_equal(f->tx_ipsum, ipv4_direct_sum_const(w, f->key.raddr, IPPROTO_TCP));
	same_frame_both_ways(x, send_ack, true, &o);
	assert_int_equal(o.ttl, 37);
	for (i = 0; i < RTE_DIM(lens); i++) {
		rtx_len = lens[i];
		same_frame_both_ways(x, send_rtx, true, &o);
		assert_int_equal(o.len, lens[i]);
		assert_int_equal(o.ttl, 37);
	}
}

/* The one-segment pass settles a flush request (TF_PUSH) when its segment left, also when
 * the segment was built the general way (here: no neighbour cached, as after a lookup of
 * another one; a VLAN always takes that way): a flag left set would let every later short
 * tail go, Nagle's included. */
static void
test_one_segment_pass_settles_flush_on_the_general_builder(void **state)
{
	struct tt *x = *state;
	struct sl_worker *w = x->t.w;
	struct sl_conn *c = tpeer_connect(&x->p);
	struct tcp_flow *f = tpeer_flow(&x->p);
	static const uint8_t d[4] = { 1, 2, 3, 4 };

	assert_int_equal(sl_conn_set_flush(c, SL_FLUSH_NAGLE, 0), 0);
	assert_int_equal(sl_conn_send_flags(c, d, 1, SL_SEND_FLUSH), 0);
	w->arp.last_hit = NULL;
	th_poll(&x->t);
	rte_pktmbuf_free(sent_frame(&x->t));
	assert_false(f->flags & TF_PUSH);
	/* Nagle: a byte in flight, so a second short write waits for the ACK. */
	assert_int_equal(sl_conn_send(c, d + 1, 1), 0);
	th_poll(&x->t);
	port_flush(w);
	assert_int_equal(th_tx_count(&x->t), 0);
	assert_int_equal(f->snd_max - f->snd_una, 1);
}

static const struct CMUnitTest tests[] = {
	TT_TEST(test_one_segment_pass_settles_flush_on_the_general_builder),
	TT_TEST(test_direct_segments_match_general_path),
	TT_TEST(test_direct_segments_match_general_path_with_offloads),
	TT_TEST(test_direct_segments_match_general_path_without_options),
	TT_TEST(test_direct_path_follows_arp_change),
	TT_TEST(test_direct_path_declines_vlan),
	TT_TEST(test_segments_from_spares_match_fresh),
	TT_TEST(test_direct_sums_kept_per_flow),
	TT_TEST_SETUP(test_direct_segments_match_general_path_with_ecn, setup_ecn_on),
};

UNIT_MAIN("test_tcp_xmit_direct", tests)
