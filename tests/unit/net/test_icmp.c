/* SPDX-License-Identifier: BSD-3-Clause */
/* icmp.c: echo replies built in place with correct checksums; everything else counted. */

#include "unit.h"

#include <rte_icmp.h>
#include <rte_ip.h>

/* Check that m is a correct echo reply to a request (id, seq, data) from the peer. */
static void
check_reply(struct th *t, struct rte_mbuf *m, uint16_t id, uint16_t seq, const uint8_t *data,
	    size_t dlen)
{
	uint8_t buf[2048];
	const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	const struct rte_icmp_hdr *ic = (const struct rte_icmp_hdr *)(ip + 1);

	assert_non_null(p);
	assert_int_equal(m->pkt_len, RTE_ETHER_HDR_LEN + 20 + 8 + dlen);
	assert_true(rte_is_same_ether_addr(&eh->dst_addr, &th_peer_mac));
	assert_true(rte_is_same_ether_addr(&eh->src_addr, &t->mac));
	assert_int_equal(ip->src_addr, TH_STACK_IP);
	assert_int_equal(ip->dst_addr, TH_PEER_IP);
	assert_int_equal(ip->time_to_live, 64);
	/* The ring port has no offloads, so the header checksum must be in the packet. */
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic->icmp_code, 0);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), id);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), seq);
	assert_int_equal(rte_raw_cksum(ic, 8 + dlen), 0xffff);
	assert_memory_equal(ic + 1, data, dlen);
}

static void
test_icmp_echo_request_replied_in_place(void **state)
{
	static const uint8_t data[] = "sluice ping payload, 56 bytes long like Linux ping!!!!";
	struct rte_mbuf *m;
	struct th *t = *state;
	uint8_t f[256];
	size_t n;

	n = fb_ping(f, t, 0x1234, 7, data, sizeof(data));
	th_inject_bytes(t, f, n);
	m = th_tx_pop(t);
	assert_non_null(m);
	check_reply(t, m, 0x1234, 7, data, sizeof(data));
	rte_pktmbuf_free(m);
	assert_int_equal(th_stats(t)->icmp_rx_echo, 1);
	assert_int_equal(th_stats(t)->icmp_tx_echo_reply, 1);
}

static void
test_icmp_payload_sizes_and_checksum_edges(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 255, 1000, 1472 };
	uint8_t data[1472], f[1600];
	struct rte_mbuf *m;
	struct th *t = *state;
	unsigned int i;
	size_t n, j;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		for (j = 0; j < sizes[i]; j++)
			data[j] = (uint8_t)(0xff - j * 7);
		/* ids that make the checksum fold across 0xffff */
		n = fb_ping(f, t, (uint16_t)(0xffff - i), (uint16_t)(0xf7ff + i), data,
			    sizes[i]);
		th_inject_bytes(t, f, n);
		m = th_tx_pop(t);
		assert_non_null(m);
		check_reply(t, m, (uint16_t)(0xffff - i), (uint16_t)(0xf7ff + i), data,
			    sizes[i]);
		rte_pktmbuf_free(m);
	}
}

static void
test_icmp_chained_request_replied(void **state)
{
	uint8_t data[600], f[800];
	struct rte_mbuf *m, *tail;
	struct th *t = *state;
	size_t n, j;

	for (j = 0; j < sizeof(data); j++)
		data[j] = (uint8_t)j;
	n = fb_ping(f, t, 9, 9, data, sizeof(data));
	/* Headers and 101 bytes of data in the first segment, the rest in a second: the
	 * second segment starts at an odd offset of the ICMP message. */
	m = th_frame(t, f, 14 + 20 + 8 + 101);
	tail = th_frame(t, f + 14 + 20 + 8 + 101, n - (14 + 20 + 8 + 101));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	th_inject(t, m);
	m = th_tx_pop(t);
	assert_non_null(m);
	check_reply(t, m, 9, 9, data, sizeof(data));
	rte_pktmbuf_free(m);
}

static void
test_icmp_short_message_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[64];
	size_t n;

	n = fb_eth(f, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4);
	n += fb_ipv4(f + n, TH_PEER_IP, TH_STACK_IP, IPPROTO_ICMP, 7);
	memset(f + n, 8, 7);
	th_inject_bytes(t, f, n + 7);
	assert_int_equal(th_stats(t)->icmp_drop_short, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_icmp_bad_checksum_dropped(void **state)
{
	struct th *t = *state;
	uint8_t f[128];
	size_t n;

	n = fb_ping(f, t, 1, 1, "abcd", 4);
	f[n - 1] ^= 0x40;
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->icmp_drop_cksum, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_icmp_broadcast_echo_ignored(void **state)
{
	struct rte_ipv4_hdr *ip;
	struct th *t = *state;
	uint8_t f[128];
	size_t n;

	n = fb_ping(f, t, 1, 1, "abcd", 4);
	ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	ip->dst_addr = RTE_BE32(0xc61200ff);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memset(f, 0xff, 6);
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->icmp_drop_broadcast, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_icmp_other_types_counted(void **state)
{
	static const uint8_t types[] = { 0, 3, 11, 13, 42 };
	struct rte_icmp_hdr *ic;
	struct th *t = *state;
	uint8_t f[128];
	unsigned int i;
	size_t n;

	for (i = 0; i < RTE_DIM(types); i++) {
		n = fb_ping(f, t, 1, 1, "abcd", 4);
		ic = (struct rte_icmp_hdr *)(f + RTE_ETHER_HDR_LEN + 20);
		ic->icmp_type = types[i];
		ic->icmp_cksum = 0;
		ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 12);
		th_inject_bytes(t, f, n);
	}
	/* Destination unreachable and time exceeded go to TCP (tcp_icmp.c), which finds
	 * that these quote nothing of ours (test_tcp_pmtu.c has the rest). */
	assert_int_equal(th_stats(t)->icmp_rx_other, RTE_DIM(types) - 2);
	assert_int_equal(th_stats(t)->icmp_rx_unreach, 2);
	assert_int_equal(th_stats(t)->icmp_err_invalid, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static unsigned int ext_freed;

static void
ext_free(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
	ext_freed++;
}

/* A PMD may hand over mbufs whose data lives in an external buffer (RTE_MBUF_F_EXTERNAL).
 * A reply written in place keeps that flag, so the buffer goes back to its owner (found
 * by fuzz_frame: clearing ol_flags returned the mbuf to the pool still attached to it). */
static void
test_icmp_reply_in_external_buffer_returned_to_owner(void **state)
{
	static const uint8_t data[] = "external";
	static uint8_t frame[128];
	struct rte_mbuf_ext_shared_info sh = { .free_cb = ext_free };
	struct rte_mbuf *m;
	struct th *t = *state;
	size_t n;

	n = fb_ping(frame, t, 9, 1, data, sizeof(data));
	m = rte_pktmbuf_alloc(t->w->pool);
	assert_non_null(m);
	rte_mbuf_ext_refcnt_set(&sh, 1);
	/* Any IOVA but 0, which DPDK's mbuf checks (-Dmbuf_debug) call a bad address. */
	rte_pktmbuf_attach_extbuf(m, frame, (rte_iova_t)(uintptr_t)frame, (uint16_t)n, &sh);
	m->data_off = 0;
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	ext_freed = 0;
	th_inject(t, m);
	m = th_tx_pop(t);
	assert_non_null(m);
	assert_true(m->ol_flags & RTE_MBUF_F_EXTERNAL);
	check_reply(t, m, 9, 1, data, sizeof(data));
	rte_pktmbuf_free(m);
	assert_int_equal(ext_freed, 1);
}

static const struct CMUnitTest tests[] = {
	TH_TEST(test_icmp_echo_request_replied_in_place),
	TH_TEST(test_icmp_payload_sizes_and_checksum_edges),
	TH_TEST(test_icmp_chained_request_replied),
	TH_TEST(test_icmp_short_message_dropped),
	TH_TEST(test_icmp_bad_checksum_dropped),
	TH_TEST(test_icmp_broadcast_echo_ignored),
	TH_TEST(test_icmp_other_types_counted),
	TH_TEST(test_icmp_reply_in_external_buffer_returned_to_owner),
};

UNIT_MAIN("test_icmp", tests)
