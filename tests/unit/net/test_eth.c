/* SPDX-License-Identifier: BSD-3-Clause */
/* eth_input: what reaches ARP/IPv4 and what is counted and freed. */

#include "unit.h"

#include <string.h>

#include <rte_arp.h>
#include <rte_ip.h>

static void
test_eth_runt_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[13] = { 0 };

	th_inject_bytes(t, f, sizeof(f));
	assert_int_equal(th_stats(t)->eth_drop_runt, 1);
	th_inject_bytes(t, f, 0);
	assert_int_equal(th_stats(t)->eth_drop_runt, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_eth_other_destination_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[128];
	size_t n;

	n = fb_ping(f, t, 1, 1, "x", 1);
	rte_ether_addr_copy(&th_other_mac, (struct rte_ether_addr *)f);
	th_inject_bytes(t, f, n);
	/* An IPv6 multicast destination (33:33:...) is not ours either. */
	f[0] = 0x33; f[1] = 0x33;
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->eth_drop_dst, 2);
	assert_int_equal(th_stats(t)->ip_rx, 0);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_eth_multicast_source_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[128];
	size_t n;

	n = fb_ping(f, t, 1, 1, "x", 1);
	f[6] |= 0x01;
	th_inject_bytes(t, f, n);
	memset(f + 6, 0xff, 6);
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->eth_drop_src, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_eth_unknown_ethertype_dropped(void **state)
{
	static const uint16_t types[] = { RTE_ETHER_TYPE_IPV6, RTE_ETHER_TYPE_VLAN, 0x0000,
					  0x88cc, 0xffff };
	struct th *t = *state;
	uint8_t f[64] = { 0 };
	unsigned int i;

	for (i = 0; i < RTE_DIM(types); i++) {
		fb_eth(f, &t->mac, &th_peer_mac, types[i]);
		th_inject_bytes(t, f, sizeof(f));
	}
	/* A tagged frame without --vlan is counted apart (eth_drop_vlan). */
	assert_int_equal(th_stats(t)->eth_drop_ethertype, RTE_DIM(types) - 1);
	assert_int_equal(th_stats(t)->eth_drop_vlan, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_eth_header_only_ipv4_counted_short(void **state)
{
	struct th *t = *state;
	uint8_t f[RTE_ETHER_HDR_LEN];

	fb_eth(f, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);
	th_inject_bytes(t, f, sizeof(f));
	fb_eth(f, &th_bcast_mac, &th_peer_mac, RTE_ETHER_TYPE_ARP);
	th_inject_bytes(t, f, sizeof(f));
	assert_int_equal(th_stats(t)->ip_drop_short, 1);
	assert_int_equal(th_stats(t)->arp_drop_malformed, 1);
}

static void
test_eth_counters_count_rx(void **state)
{
	struct th *t = *state;
	uint8_t f[64] = { 0 };

	fb_eth(f, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV6);
	th_inject_bytes(t, f, sizeof(f));
	th_inject_bytes(t, f, sizeof(f));
	assert_int_equal(th_stats(t)->rx_packets, 2);
	assert_int_equal(th_stats(t)->rx_bytes, 2 * sizeof(f));
}

/* ---- 802.1Q (--vlan) ---- */

/* Insert an 802.1Q tag with VLAN ID vid after the MAC addresses of frame f (n bytes). */
static size_t
tag(uint8_t *f, size_t n, uint16_t vid)
{
	memmove(f + 16, f + 12, n - 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = (uint8_t)(vid >> 8);
	f[15] = (uint8_t)vid;
	return n + 4;
}

/* The frame the stack sent is tagged with vid and carries ethertype type inside. */
static void
expect_tagged(struct th *t, uint16_t vid, uint16_t type)
{
	struct rte_mbuf *m = th_tx_pop(t);
	const uint8_t *p;

	assert_non_null(m);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(p[12] << 8 | p[13], RTE_ETHER_TYPE_VLAN);
	assert_int_equal((p[14] << 8 | p[15]) & 0xfff, vid);
	assert_int_equal(p[16] << 8 | p[17], type);
	rte_pktmbuf_free(m);
}

static int
setup_vlan(void **state)
{
	struct sl_config cfg;

	th_config(&cfg);
	cfg.vlan = 100;
	return th_fixture_setup_cfg(state, &cfg, 4096);
}

static void
test_vlan_tagged_ping_answered_tagged(void **state)
{
	struct th *t = *state;
	uint8_t f[256];
	size_t n = tag(f, fb_ping(f, t, 1, 1, "abcd", 4), 100);

	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->icmp_tx_echo_reply, 1);
	expect_tagged(t, 100, RTE_ETHER_TYPE_IPV4);
}

static void
test_vlan_other_and_untagged_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[256];
	size_t n;

	n = fb_ping(f, t, 1, 1, "abcd", 4);
	th_inject_bytes(t, f, n);				/* untagged */
	n = tag(f, fb_ping(f, t, 1, 1, "abcd", 4), 200);	/* another VLAN */
	th_inject_bytes(t, f, n);
	n = tag(f, fb_ping(f, t, 1, 1, "abcd", 4), 100);	/* QinQ: outer 100, inner 100 */
	n = tag(f, n, 100);
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->eth_drop_vlan, 2);
	assert_int_equal(th_stats(t)->eth_drop_ethertype, 1);	/* inner tag: not IPv4/ARP */
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_vlan_arp_tagged_both_ways(void **state)
{
	struct th *t = *state;
	uint8_t f[128] = { 0 };
	size_t n;

	/* A request from the peer, answered in place: the reply keeps the tag. */
	n = fb_eth(f, &th_bcast_mac, &th_peer_mac, RTE_ETHER_TYPE_ARP);
	n += fb_arp(f + n, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, &th_bcast_mac,
		    TH_STACK_IP);
	n = tag(f, RTE_MAX(n, (size_t)60), 100);
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->arp_tx_reply, 1);
	expect_tagged(t, 100, RTE_ETHER_TYPE_ARP);
	/* A request of ours (sending to an address not yet resolved) is tagged too. */
	n = fb_ping(f, t, 1, 1, "abcd", 4);
	((struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN))->src_addr = TH_OTHER_IP;
	((struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN))->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN))->hdr_checksum =
		rte_ipv4_cksum((struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN));
	assert_int_equal(sl_worker_connect(t->w, TH_OTHER_IP, 80, NULL, NULL) != NULL, 1);
	th_poll(t);
	assert_int_equal(th_stats(t)->arp_tx_request, 1);
	expect_tagged(t, 100, RTE_ETHER_TYPE_ARP);
	th_tx_drain(t);
}

static void
test_tagged_frame_dropped_without_vlan(void **state)
{
	struct th *t = *state;
	uint8_t f[256];
	size_t n = tag(f, fb_ping(f, t, 1, 1, "abcd", 4), 100);

	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->eth_drop_vlan, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static const struct CMUnitTest tests[] = {
	TH_TEST(test_eth_runt_dropped),
	TH_TEST(test_eth_other_destination_dropped),
	TH_TEST(test_eth_multicast_source_dropped),
	TH_TEST(test_eth_unknown_ethertype_dropped),
	TH_TEST(test_eth_header_only_ipv4_counted_short),
	TH_TEST(test_eth_counters_count_rx),
	TH_TEST_SETUP(test_vlan_tagged_ping_answered_tagged, setup_vlan),
	TH_TEST_SETUP(test_vlan_other_and_untagged_dropped, setup_vlan),
	TH_TEST_SETUP(test_vlan_arp_tagged_both_ways, setup_vlan),
	TH_TEST(test_tagged_frame_dropped_without_vlan),
};

UNIT_MAIN("test_eth", tests)
