/* SPDX-License-Identifier: BSD-3-Clause */
/* ipv4_input: every validation rule drops with its own counter and leaks nothing; good
 * packets (including padded ones) get through. A ping is the probe: a reply means the
 * packet passed IPv4. ipv4_output: a packet without headroom for its headers is dropped
 * and counted. */

#include "unit.h"

#include <rte_icmp.h>
#include <rte_ip.h>

#include "net/ipv4.h"

struct pkt {
	uint8_t f[256];
	size_t n;
	struct rte_ipv4_hdr *ip;
};

static void
pkt_ping(struct pkt *p, const struct th *t)
{
	memset(p->f, 0, sizeof(p->f));
	p->n = fb_ping(p->f, t, 7, 1, "abcdefgh", 8);
	p->ip = (struct rte_ipv4_hdr *)(p->f + RTE_ETHER_HDR_LEN);
}

static void
pkt_recksum(struct pkt *p)
{
	p->ip->hdr_checksum = 0;
	p->ip->hdr_checksum = rte_ipv4_cksum(p->ip);
}

static void
test_ipv4_valid_packet_passes(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->icmp_tx_echo_reply, 1);
	assert_int_equal(th_tx_drain(t), 1);
}

static void
test_ipv4_truncated_header_dropped_short(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	th_inject_bytes(t, p.f, RTE_ETHER_HDR_LEN + 19);
	th_inject_bytes(t, p.f, RTE_ETHER_HDR_LEN + 1);
	assert_int_equal(th_stats(t)->ip_drop_short, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_bad_version_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->version_ihl = 0x65;
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_version, 1);
}

static void
test_ipv4_bad_header_length_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->version_ihl = 0x44;		/* 16 bytes: below the minimum */
	th_inject_bytes(t, p.f, p.n);
	pkt_ping(&p, t);
	p.ip->version_ihl = 0x4f;		/* 60 bytes: beyond a 20+8+8 byte packet... */
	th_inject_bytes(t, p.f, RTE_ETHER_HDR_LEN + 40);	/* ...and beyond the frame */
	assert_int_equal(th_stats(t)->ip_drop_ihl, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_total_length_lies_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->total_length = rte_cpu_to_be_16((uint16_t)(p.n - RTE_ETHER_HDR_LEN + 1));
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);		/* claims one byte more than the frame */
	pkt_ping(&p, t);
	p.ip->total_length = RTE_BE16(19);	/* shorter than its own header */
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_len, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_bad_checksum_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->hdr_checksum ^= RTE_BE16(0x0100);
	th_inject_bytes(t, p.f, p.n);
	pkt_ping(&p, t);
	p.ip->time_to_live++;			/* header changed, checksum not */
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_cksum, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_options_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;
	uint8_t f[256];
	size_t n;

	pkt_ping(&p, t);
	/* Insert 4 bytes of options (NOP NOP NOP EOL) after the 20-byte header. */
	memcpy(f, p.f, RTE_ETHER_HDR_LEN + 20);
	memcpy(f + RTE_ETHER_HDR_LEN + 20, "\x01\x01\x01\x00", 4);
	memcpy(f + RTE_ETHER_HDR_LEN + 24, p.f + RTE_ETHER_HDR_LEN + 20,
	       p.n - RTE_ETHER_HDR_LEN - 20);
	n = p.n + 4;
	p.ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	p.ip->version_ihl = 0x46;
	p.ip->total_length = rte_cpu_to_be_16((uint16_t)(n - RTE_ETHER_HDR_LEN));
	p.ip->hdr_checksum = 0;
	p.ip->hdr_checksum = (uint16_t)~rte_raw_cksum(p.ip, 24);
	th_inject_bytes(t, f, n);
	assert_int_equal(th_stats(t)->ip_drop_options, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_fragments_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);		/* first fragment */
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	pkt_ping(&p, t);
	p.ip->fragment_offset = RTE_BE16(185);				/* last fragment */
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_frag, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_martian_sources_dropped(void **state)
{
	static const uint32_t srcs[] = { 0x00000000, 0x00000001, 0x7f000001, 0xe0000001,
					 0xf0000001, 0xffffffff, 0xc61200ff, 0xc6120002 };
	struct pkt p;
	struct th *t = *state;
	unsigned int i;

	for (i = 0; i < RTE_DIM(srcs); i++) {
		pkt_ping(&p, t);
		p.ip->src_addr = rte_cpu_to_be_32(srcs[i]);
		pkt_recksum(&p);
		th_inject_bytes(t, p.f, p.n);
	}
	assert_int_equal(th_stats(t)->ip_drop_martian, RTE_DIM(srcs));
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_other_destination_dropped(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->dst_addr = TH_OTHER_IP;
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_not_ours, 1);
}

static void
test_ipv4_broadcast_and_unknown_protocol_counted(void **state)
{
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	p.ip->next_proto_id = IPPROTO_UDP;
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_proto, 1);
	p.ip->dst_addr = RTE_BE32(0xc61200ff);
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	p.ip->dst_addr = RTE_BE32(0xffffffff);
	pkt_recksum(&p);
	th_inject_bytes(t, p.f, p.n);
	assert_int_equal(th_stats(t)->ip_drop_broadcast, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_ethernet_padding_trimmed(void **state)
{
	const struct rte_ipv4_hdr *rip;
	struct rte_mbuf *m;
	struct pkt p;
	struct th *t = *state;

	pkt_ping(&p, t);
	/* 14 + 20 + 16 = 50 bytes of packet in a 60-byte frame with junk padding. */
	memset(p.f + p.n, 0xee, 60 - p.n);
	th_inject_bytes(t, p.f, 60);
	m = th_tx_pop(t);
	assert_non_null(m);
	assert_int_equal(m->pkt_len, p.n);
	rip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(rip->total_length), p.n - RTE_ETHER_HDR_LEN);
	rte_pktmbuf_free(m);
}

/* An mbuf of 8 payload bytes with only `headroom` bytes in front of them. */
static struct rte_mbuf *
payload_with_headroom(struct th *t, uint16_t headroom)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->w->pool);

	assert_non_null(m);
	m->data_off = headroom;
	memset(rte_pktmbuf_append(m, 8), 0x5a, 8);
	return m;
}

static void
test_ipv4_output_without_headroom_dropped_counted(void **state)
{
	struct th *t = *state;

	/* No room for the IPv4 header, then room for it but not for Ethernet's. */
	ipv4_output(t->w, payload_with_headroom(t, 0), TH_PEER_IP, 253);
	ipv4_output(t->w, payload_with_headroom(t, sizeof(struct rte_ipv4_hdr)), TH_PEER_IP,
		    253);
	th_poll(t);
	assert_int_equal(th_tx_count(t), 0);
	assert_int_equal(th_stats(t)->tx_drop_headroom, 2);
}

static const struct CMUnitTest tests[] = {
	TH_TEST(test_ipv4_valid_packet_passes),
	TH_TEST(test_ipv4_truncated_header_dropped_short),
	TH_TEST(test_ipv4_bad_version_dropped),
	TH_TEST(test_ipv4_bad_header_length_dropped),
	TH_TEST(test_ipv4_total_length_lies_dropped),
	TH_TEST(test_ipv4_bad_checksum_dropped),
	TH_TEST(test_ipv4_options_dropped),
	TH_TEST(test_ipv4_fragments_dropped),
	TH_TEST(test_ipv4_martian_sources_dropped),
	TH_TEST(test_ipv4_other_destination_dropped),
	TH_TEST(test_ipv4_broadcast_and_unknown_protocol_counted),
	TH_TEST(test_ipv4_ethernet_padding_trimmed),
	TH_TEST(test_ipv4_output_without_headroom_dropped_counted),
};

UNIT_MAIN("test_ipv4", tests)
