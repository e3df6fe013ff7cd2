/* SPDX-License-Identifier: BSD-3-Clause */
/* arp.c: answering, the RFC 826 merge rule, the resolver, its bounds and aging. */

#include "unit.h"

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_ip.h>

#include "net/arp.h"
#include "net/ipv4.h"

static const struct rte_ether_addr zero_mac;

/* An ARP frame from the wire (padded to the Ethernet minimum, as real ones are). */
static void
inject_arp_from(struct th *t, const struct rte_ether_addr *eth_src,
		const struct rte_ether_addr *eth_dst, uint16_t op,
		const struct rte_ether_addr *sha, rte_be32_t sip,
		const struct rte_ether_addr *tha, rte_be32_t tip)
{
	uint8_t f[60] = { 0 };
	size_t n = fb_eth(f, eth_dst, eth_src, RTE_ETHER_TYPE_ARP);

	fb_arp(f + n, op, sha, sip, tha, tip);
	th_inject_bytes(t, f, sizeof(f));
}

static void
inject_arp(struct th *t, const struct rte_ether_addr *eth_dst, uint16_t op,
	   const struct rte_ether_addr *sha, rte_be32_t sip, const struct rte_ether_addr *tha,
	   rte_be32_t tip)
{
	inject_arp_from(t, sha, eth_dst, op, sha, sip, tha, tip);
}

static void
learn_peer(struct th *t)
{
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, &zero_mac,
		   TH_STACK_IP);
	th_tx_drain(t);
}

/* Have the stack send an IP packet (8 bytes of payload) to dst. */
static void
send_ip(struct th *t, rte_be32_t dst, uint8_t marker)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->w->pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 8);

	memset(p, marker, 8);
	ipv4_output(t->w, m, dst, 253);
	th_poll(t);
}

static const struct rte_arp_hdr *
arp_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, RTE_ETHER_HDR_LEN);
}

static const struct rte_ether_hdr *
eth_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
}

static void
test_arp_request_for_us_answered_and_sender_learned(void **state)
{
	const struct arp_entry *e;
	const struct rte_arp_hdr *ah;
	struct rte_mbuf *m;
	struct th *t = *state;

	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, &zero_mac,
		   TH_STACK_IP);
	m = th_tx_pop(t);
	assert_non_null(m);
	ah = arp_of(m);
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_sha, &t->mac));
	assert_int_equal(ah->arp_data.arp_sip, TH_STACK_IP);
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &th_peer_mac));
	assert_int_equal(ah->arp_data.arp_tip, TH_PEER_IP);
	assert_true(rte_is_same_ether_addr(&eth_of(m)->dst_addr, &th_peer_mac));
	assert_true(rte_is_same_ether_addr(&eth_of(m)->src_addr, &t->mac));
	assert_int_equal(eth_of(m)->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	rte_pktmbuf_free(m);

	e = arp_lookup(t->w, TH_PEER_IP);
	assert_non_null(e);
	assert_int_equal(e->state, ARP_REACHABLE);
	assert_true(rte_is_same_ether_addr(&e->mac, &th_peer_mac));
	assert_int_equal(th_stats(t)->arp_rx_request, 1);
	assert_int_equal(th_stats(t)->arp_tx_reply, 1);
	assert_int_equal(th_stats(t)->arp_learned, 1);
}

static void
test_arp_request_for_other_ignored_not_learned(void **state)
{
	struct th *t = *state;

	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, &zero_mac,
		   TH_OTHER_IP);
	assert_int_equal(th_tx_count(t), 0);
	assert_null(arp_lookup(t->w, TH_PEER_IP));
	assert_int_equal(th_stats(t)->arp_drop_not_for_us, 1);
}

static void
test_arp_unsolicited_reply_not_learned(void **state)
{
	struct th *t = *state;

	/* A reply to us we never asked for, and a gratuitous announcement. */
	inject_arp(t, &t->mac, RTE_ARP_OP_REPLY, &th_peer_mac, TH_PEER_IP, &t->mac, TH_STACK_IP);
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REPLY, &th_other_mac, TH_OTHER_IP, &zero_mac,
		   TH_OTHER_IP);
	assert_null(arp_lookup(t->w, TH_PEER_IP));
	assert_null(arp_lookup(t->w, TH_OTHER_IP));
	assert_int_equal(th_stats(t)->arp_unsolicited, 2);
	assert_int_equal(th_tx_count(t), 0);
}

/* The Ethernet header an entry keeps for the direct path (arp_entry.eth_v4): to its MAC,
 * from ours, IPv4, then two zero bytes. */
static void
assert_eth_v4(const struct th *t, const struct arp_entry *e)
{
	uint8_t want[16] = { 0 };
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)want;

	rte_ether_addr_copy(&e->mac, &eh->dst_addr);
	rte_ether_addr_copy(&t->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	assert_memory_equal(e->eth_v4, want, sizeof(want));
}

static void
test_arp_known_sender_refreshed_by_any_packet(void **state)
{
	struct rte_ether_addr moved = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x77 } };
	const struct arp_entry *e;
	struct th *t = *state;

	learn_peer(t);
	e = arp_lookup(t->w, TH_PEER_IP);
	assert_non_null(e);
	assert_eth_v4(t, e);
	/* The peer moved to another MAC and announces it gratuitously: merge updates it,
	 * and the Ethernet header kept with it. */
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &moved, TH_PEER_IP, &zero_mac,
		   TH_PEER_IP);
	e = arp_lookup(t->w, TH_PEER_IP);
	assert_non_null(e);
	assert_true(rte_is_same_ether_addr(&e->mac, &moved));
	assert_eth_v4(t, e);
	assert_int_equal(th_stats(t)->arp_updated, 1);
}

static void
test_arp_claim_of_our_address_dropped(void **state)
{
	struct th *t = *state;

	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REPLY, &th_other_mac, TH_STACK_IP, &zero_mac,
		   TH_STACK_IP);
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_other_mac, TH_STACK_IP,
		   &zero_mac, TH_STACK_IP);
	assert_int_equal(th_stats(t)->arp_drop_spoof, 2);
	assert_null(arp_lookup(t->w, TH_STACK_IP));
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_arp_probe_answered_without_learning(void **state)
{
	struct rte_mbuf *m;
	struct th *t = *state;

	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, 0, &zero_mac,
		   TH_STACK_IP);
	m = th_tx_pop(t);
	assert_non_null(m);
	assert_int_equal(arp_of(m)->arp_data.arp_tip, 0);
	rte_pktmbuf_free(m);
	assert_int_equal(t->w->arp.used, 0);
}

static void
test_arp_malformed_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[60];
	size_t n;
	struct rte_arp_hdr *ah;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		memset(f, 0, sizeof(f));
		n = fb_eth(f, &th_bcast_mac, &th_peer_mac, RTE_ETHER_TYPE_ARP);
		fb_arp(f + n, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, &zero_mac,
		       TH_STACK_IP);
		ah = (struct rte_arp_hdr *)(f + n);
		switch (i) {
		case 0: ah->arp_hardware = RTE_BE16(6); break;
		case 1: ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV6); break;
		case 2: ah->arp_hlen = 8; break;
		case 3: ah->arp_plen = 16; break;
		case 4: ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REVREQUEST); break;
		case 5: th_inject_bytes(t, f, n + sizeof(*ah) - 1); continue; /* truncated */
		}
		th_inject_bytes(t, f, sizeof(f));
	}
	assert_int_equal(th_stats(t)->arp_drop_malformed, 6);
	assert_int_equal(th_tx_count(t), 0);
	assert_null(arp_lookup(t->w, TH_PEER_IP));
}

static void
test_arp_bad_sender_dropped(void **state)
{
	struct rte_ether_addr mcast = { .addr_bytes = { 0x01, 0, 0x5e, 0, 0, 1 } };
	struct th *t = *state;

	/* A unicast Ethernet source carrying a multicast or zero ARP sender address. */
	inject_arp_from(t, &th_peer_mac, &th_bcast_mac, RTE_ARP_OP_REQUEST, &mcast, TH_PEER_IP,
			&zero_mac, TH_STACK_IP);
	inject_arp_from(t, &th_peer_mac, &th_bcast_mac, RTE_ARP_OP_REQUEST, &zero_mac, TH_PEER_IP,
			&zero_mac, TH_STACK_IP);
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, RTE_BE32(0xc61200ff),
		   &zero_mac, TH_STACK_IP);		/* subnet broadcast */
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, RTE_BE32(0x7f000001),
		   &zero_mac, TH_STACK_IP);		/* loopback */
	inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, RTE_BE32(0xe0000001),
		   &zero_mac, TH_STACK_IP);		/* multicast */
	assert_int_equal(th_stats(t)->arp_drop_bad_sender, 5);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_arp_resolve_queues_then_flushes_in_order(void **state)
{
	struct rte_mbuf *m;
	struct th *t = *state;
	unsigned int i;

	send_ip(t, TH_PEER_IP, 1);
	send_ip(t, TH_PEER_IP, 2);
	/* Exactly one broadcast request for two packets. */
	assert_int_equal(th_tx_count(t), 1);
	m = th_tx_pop(t);
	assert_true(rte_is_broadcast_ether_addr(&eth_of(m)->dst_addr));
	assert_int_equal(arp_of(m)->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(arp_of(m)->arp_data.arp_tip, TH_PEER_IP);
	assert_int_equal(arp_of(m)->arp_data.arp_sip, TH_STACK_IP);
	rte_pktmbuf_free(m);
	assert_int_equal(arp_lookup(t->w, TH_PEER_IP)->state, ARP_INCOMPLETE);

	inject_arp(t, &t->mac, RTE_ARP_OP_REPLY, &th_peer_mac, TH_PEER_IP, &t->mac, TH_STACK_IP);
	assert_int_equal(th_tx_count(t), 2);
	for (i = 1; i <= 2; i++) {
		m = th_tx_pop(t);
		assert_true(rte_is_same_ether_addr(&eth_of(m)->dst_addr, &th_peer_mac));
		assert_int_equal(*rte_pktmbuf_mtod_offset(m, uint8_t *, m->pkt_len - 1), i);
		rte_pktmbuf_free(m);
	}
	/* Resolved: the next packet goes straight out. */
	send_ip(t, TH_PEER_IP, 3);
	assert_int_equal(th_tx_count(t), 1);
	assert_int_equal(th_stats(t)->arp_learned, 1);
}

static void
test_arp_pending_queue_bounded_oldest_dropped(void **state)
{
	struct rte_mbuf *m;
	struct th *t = *state;	/* arp_pending = 4 */
	unsigned int i;

	for (i = 1; i <= 6; i++)
		send_ip(t, TH_PEER_IP, (uint8_t)i);
	assert_int_equal(th_stats(t)->arp_pending_drop, 2);
	th_tx_drain(t);
	inject_arp(t, &t->mac, RTE_ARP_OP_REPLY, &th_peer_mac, TH_PEER_IP, &t->mac, TH_STACK_IP);
	assert_int_equal(th_tx_count(t), 4);
	for (i = 3; i <= 6; i++) {
		m = th_tx_pop(t);
		assert_int_equal(*rte_pktmbuf_mtod_offset(m, uint8_t *, m->pkt_len - 1), i);
		rte_pktmbuf_free(m);
	}
}

static void
test_arp_requests_rate_limited_then_fail(void **state)
{
	struct th *t = *state;	/* retry 1000 ms, 3 retries */

	send_ip(t, TH_OTHER_IP, 1);
	assert_int_equal(th_stats(t)->arp_tx_request, 1);
	/* More traffic within the interval sends no more requests. */
	th_advance(t, 500 * 1000);
	send_ip(t, TH_OTHER_IP, 2);
	send_ip(t, TH_OTHER_IP, 3);
	assert_int_equal(th_stats(t)->arp_tx_request, 1);
	/* One per second from the timer, up to the retry count. */
	th_advance(t, 600 * 1000);
	assert_int_equal(th_stats(t)->arp_tx_request, 2);
	th_advance(t, 1000 * 1000);
	assert_int_equal(th_stats(t)->arp_tx_request, 3);
	th_advance(t, 1000 * 1000);
	assert_int_equal(th_stats(t)->arp_tx_request, 3);
	assert_int_equal(th_stats(t)->arp_resolve_fail, 3);
	assert_null(arp_lookup(t->w, TH_OTHER_IP));
}

static void
test_arp_entry_goes_stale_refreshes_then_ages_out(void **state)
{
	struct rte_mbuf *m;
	struct th *t = *state;	/* timeout 30 s */

	learn_peer(t);
	th_advance(t, 31 * 1000 * 1000);
	assert_int_equal(arp_lookup(t->w, TH_PEER_IP)->state, ARP_STALE);
	/* A STALE entry is still used, and checked with a unicast request. */
	send_ip(t, TH_PEER_IP, 9);
	assert_int_equal(th_tx_count(t), 2);
	m = th_tx_pop(t);
	assert_int_equal(arp_of(m)->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_true(rte_is_same_ether_addr(&eth_of(m)->dst_addr, &th_peer_mac));
	rte_pktmbuf_free(m);
	m = th_tx_pop(t);
	assert_true(rte_is_same_ether_addr(&eth_of(m)->dst_addr, &th_peer_mac));
	rte_pktmbuf_free(m);
	/* No answer: gone after twice the timeout. */
	th_advance(t, 30 * 1000 * 1000);
	assert_null(arp_lookup(t->w, TH_PEER_IP));
	assert_int_equal(th_stats(t)->arp_aged, 1);
}

/* An 8-byte payload sent with ipv4_output_or_refuse (TCP's way out: one step for a
 * REACHABLE neighbour found last, ipv4.c) or with the general ipv4_output_tos. */
static struct rte_mbuf *
send_tcp_like(struct th *t, rte_be32_t dst, uint8_t marker, bool refuse)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->w->pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 8);

	memset(p, marker, 8);
	if (refuse)
		assert_int_equal(ipv4_output_or_refuse(t->w, m, dst, IPPROTO_TCP, 2), 0);
	else
		ipv4_output_tos(t->w, m, dst, IPPROTO_TCP, 2);
	th_poll(t);
	return th_tx_pop(t);
}

static void
test_arp_reachable_fast_output_matches_general_path(void **state)
{
	struct rte_mbuf *fast, *ref;
	struct th *t = *state;

	learn_peer(t);
	assert_int_equal(arp_lookup(t->w, TH_PEER_IP)->state, ARP_REACHABLE);
	fast = send_tcp_like(t, TH_PEER_IP, 7, true);
	ref = send_tcp_like(t, TH_PEER_IP, 7, false);
	assert_non_null(fast);
	assert_non_null(ref);
	assert_int_equal(th_tx_count(t), 0);
	/* Byte for byte the same frame, with the same offload metadata. */
	assert_int_equal(rte_pktmbuf_pkt_len(fast), RTE_ETHER_HDR_LEN + 20 + 8);
	assert_int_equal(rte_pktmbuf_pkt_len(fast), rte_pktmbuf_pkt_len(ref));
	assert_memory_equal(rte_pktmbuf_mtod(fast, void *), rte_pktmbuf_mtod(ref, void *),
			    rte_pktmbuf_pkt_len(ref));
	assert_int_equal(fast->l2_len, ref->l2_len);
	assert_int_equal(fast->l3_len, ref->l3_len);
	assert_int_equal(fast->ol_flags, ref->ol_flags);
	rte_pktmbuf_free(fast);
	rte_pktmbuf_free(ref);
	/* STALE: TCP's way out still refreshes the neighbour (the general path). */
	th_advance(t, 31 * 1000 * 1000);
	assert_int_equal(arp_lookup(t->w, TH_PEER_IP)->state, ARP_STALE);
	fast = send_tcp_like(t, TH_PEER_IP, 8, true);
	assert_int_equal(arp_of(fast)->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	rte_pktmbuf_free(fast);
	assert_int_equal(th_tx_drain(t), 1);
}

static void
test_arp_table_full_counts_then_evicts_stale(void **state)
{
	struct rte_ether_addr mac = th_peer_mac;
	struct th *t = *state;	/* 16 entries */
	unsigned int i;

	for (i = 0; i < 17; i++) {
		mac.addr_bytes[5] = (uint8_t)(0x10 + i);
		inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &mac,
			   rte_cpu_to_be_32(0xc6120010 + i), &zero_mac, TH_STACK_IP);
	}
	/* All 17 are answered; the 17th could not be stored. */
	assert_int_equal(th_tx_drain(t), 17);
	assert_int_equal(th_stats(t)->arp_table_full, 1);
	assert_int_equal(t->w->arp.used, 16);
	/* Once entries are stale, a new neighbour evicts the oldest. */
	th_advance(t, 31 * 1000 * 1000);
	send_ip(t, TH_OTHER_IP, 1);
	assert_non_null(arp_lookup(t->w, TH_OTHER_IP));
	assert_int_equal(t->w->arp.used, 16);
}

static void
test_arp_table_full_of_live_entries_packet_dropped_counted(void **state)
{
	struct rte_ether_addr mac = th_peer_mac;
	struct th *t = *state;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		mac.addr_bytes[5] = (uint8_t)(0x10 + i);
		inject_arp(t, &th_bcast_mac, RTE_ARP_OP_REQUEST, &mac,
			   rte_cpu_to_be_32(0xc6120010 + i), &zero_mac, TH_STACK_IP);
	}
	th_tx_drain(t);
	/* Every entry is reachable, none may be evicted: a packet to a new neighbour has
	 * nowhere to wait for its resolution. */
	send_ip(t, TH_OTHER_IP, 1);
	assert_int_equal(th_tx_count(t), 0);
	assert_null(arp_lookup(t->w, TH_OTHER_IP));
	assert_int_equal(th_stats(t)->arp_table_full, 1);
	assert_int_equal(th_stats(t)->arp_drop_no_entry, 1);
}

static void
test_arp_off_subnet_goes_to_gateway_or_counts_no_route(void **state)
{
	struct th *t = *state;
	struct sl_config cfg;
	struct rte_mbuf *m;

	send_ip(t, RTE_BE32(0xc6130001), 1);	/* 198.19.0.1: no gateway */
	assert_int_equal(th_stats(t)->ip_tx_no_route, 1);
	assert_int_equal(th_tx_count(t), 0);

	th_config(&cfg);
	cfg.gateway = TH_GATEWAY_IP;
	t = th_fixture_renew(state, &cfg, 4096);
	send_ip(t, RTE_BE32(0xc6130001), 1);
	m = th_tx_pop(t);
	assert_non_null(m);
	assert_int_equal(arp_of(m)->arp_data.arp_tip, TH_GATEWAY_IP);
	rte_pktmbuf_free(m);
}

static const struct CMUnitTest tests[] = {
	TH_TEST(test_arp_request_for_us_answered_and_sender_learned),
	TH_TEST(test_arp_request_for_other_ignored_not_learned),
	TH_TEST(test_arp_unsolicited_reply_not_learned),
	TH_TEST(test_arp_known_sender_refreshed_by_any_packet),
	TH_TEST(test_arp_claim_of_our_address_dropped),
	TH_TEST(test_arp_probe_answered_without_learning),
	TH_TEST(test_arp_malformed_dropped),
	TH_TEST(test_arp_bad_sender_dropped),
	TH_TEST(test_arp_resolve_queues_then_flushes_in_order),
	TH_TEST(test_arp_pending_queue_bounded_oldest_dropped),
	TH_TEST(test_arp_requests_rate_limited_then_fail),
	TH_TEST(test_arp_entry_goes_stale_refreshes_then_ages_out),
	TH_TEST(test_arp_reachable_fast_output_matches_general_path),
	TH_TEST(test_arp_table_full_counts_then_evicts_stale),
	TH_TEST(test_arp_table_full_of_live_entries_packet_dropped_counted),
	TH_TEST(test_arp_off_subnet_goes_to_gateway_or_counts_no_route),
};

UNIT_MAIN("test_arp", tests)
