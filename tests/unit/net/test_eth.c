/* SPDX-License-Identifier: BSD-3-Clause */
/* eth_input: what reaches ARP/IPv4 and what is counted and freed. */

#include "unit.h"

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
	assert_int_equal(th_stats(t)->eth_drop_ethertype, RTE_DIM(types));
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

static const struct CMUnitTest tests[] = {
	TH_TEST(test_eth_runt_dropped),
	TH_TEST(test_eth_other_destination_dropped),
	TH_TEST(test_eth_multicast_source_dropped),
	TH_TEST(test_eth_unknown_ethertype_dropped),
	TH_TEST(test_eth_header_only_ipv4_counted_short),
	TH_TEST(test_eth_counters_count_rx),
};

UNIT_MAIN("test_eth", tests)
