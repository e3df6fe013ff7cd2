/* SPDX-License-Identifier: BSD-3-Clause */
/* ipv4_input: every validation rule drops with its own counter and leaks nothing; good
 * packets (including padded ones) get through. A ping is the probe: a reply means the
 * packet passed IPv4. ipv4_output: a packet without headroom for its headers is dropped
 * and counted. */

#include "unit.h"

#include <netinet/in.h>

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

/* A ping with 64 data bytes (72 bytes of IP payload), cut into fragments: each of the
 * given IP payload offset and length, with MF when more is set. proto, if not 0,
 * replaces the protocol field (only the fragment checks look at it then). */
struct frag {
	uint16_t ofs, len;
	bool more;
};

static void
inject_frags(struct th *t, const struct frag *fr, unsigned int n, uint8_t proto)
{
	static const char data[64] = "0123456789abcdef0123456789abcdef0123456789abcdef012345678";
	uint8_t whole[256], f[256];
	size_t wn = fb_ping(whole, t, 7, 1, data, sizeof(data));
	const size_t hl = RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr);
	unsigned int i;

	assert_int_equal(wn, hl + 72);
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		size_t len = fr[i].len;

		memcpy(f, whole, hl);
		if (fr[i].ofs + len <= 72)
			memcpy(f + hl, whole + hl + fr[i].ofs, len);
		else
			memset(f + hl, 0x55, len);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + len));
		ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((fr[i].more ?
						       RTE_IPV4_HDR_MF_FLAG : 0) | fr[i].ofs / 8));
		if (proto != 0)
			ip->next_proto_id = proto;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th_inject_bytes(t, f, hl + len);
	}
}

static void
test_ipv4_fragments_reassembled_in_any_order(void **state)
{
	static const struct frag fr[] = { { 40, 32, false }, { 16, 24, true }, { 0, 16, true } };
	struct th *t = *state;

	inject_frags(t, fr, RTE_DIM(fr), 0);
	assert_int_equal(th_stats(t)->ip_frag_in, 3);
	assert_int_equal(th_stats(t)->ip_frag_reassembled, 1);
	assert_int_equal(th_stats(t)->icmp_rx_echo, 1);
	assert_int_equal(th_stats(t)->icmp_tx_echo_reply, 1);
	assert_int_equal(th_tx_drain(t), 1);
}

/* A ping of 3,000 data bytes in three fragments: the reply is larger than the MTU and
 * leaves in fragments, which put back together carry the request's data. */
static void
test_ipv4_big_ping_reassembled_and_answered_in_fragments(void **state)
{
	static uint8_t data[3000], whole[3200], f[1600], back[3200];
	const size_t hl = RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr);
	struct th *t = *state;
	size_t wn, ofs, got = 0;
	struct rte_ipv4_hdr hdr;
	struct rte_mbuf *m;
	unsigned int i, nfrag = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	wn = fb_ping(whole, t, 9, 3, data, sizeof(data));
	for (ofs = 0; ofs < wn - hl; ofs += 1480) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		size_t len = RTE_MIN((size_t)1480, wn - hl - ofs);
		bool more = ofs + len < wn - hl;

		memcpy(f, whole, hl);
		memcpy(f + hl, whole + hl + ofs, len);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + len));
		ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((more ? RTE_IPV4_HDR_MF_FLAG :
								     0) | ofs / 8));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th_inject_bytes(t, f, hl + len);
	}
	assert_int_equal(th_stats(t)->ip_frag_reassembled, 1);
	assert_int_equal(th_stats(t)->icmp_tx_echo_reply, 1);
	while ((m = th_tx_pop(t)) != NULL) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
						const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		size_t len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);

		assert_true(m->pkt_len <= RTE_ETHER_HDR_LEN + 1500);
		assert_int_equal(ip->dst_addr, TH_PEER_IP);
		memcpy(&hdr, ip, sizeof(hdr));
		hdr.hdr_checksum = 0;
		assert_int_equal(rte_ipv4_cksum(&hdr), ip->hdr_checksum);
		ofs = (size_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
		assert_true(ofs + len <= sizeof(back));
		assert_int_equal(rte_pktmbuf_linearize(m), 0);
		memcpy(back + ofs, rte_pktmbuf_mtod_offset(m, const uint8_t *, hl), len);
		got += len;
		nfrag++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(nfrag, 3);
	assert_int_equal(got, 8 + sizeof(data));
	assert_int_equal(back[0], RTE_IP_ICMP_ECHO_REPLY);
	assert_memory_equal(back + 8, data, sizeof(data));
}

static void
test_ipv4_fragment_attacks_dropped(void **state)
{
	static const struct frag odd = { 0, 36, true };		/* MF, not 8-aligned */
	static const struct frag pod = { 65528, 16, false };	/* ends past 65,535 */
	static const struct frag empty = { 8, 0, false };
	static const struct frag at8 = { 8, 16, false };	/* RFC 1858 §3.2 */
	static const struct frag tiny = { 0, 16, true };	/* RFC 1858 §3.1 */
	struct th *t = *state;

	inject_frags(t, &odd, 1, 0);
	inject_frags(t, &pod, 1, 0);
	inject_frags(t, &empty, 1, 0);
	inject_frags(t, &at8, 1, IPPROTO_TCP);
	inject_frags(t, &tiny, 1, IPPROTO_TCP);
	inject_frags(t, &tiny, 1, IPPROTO_UDP);			/* not served */
	assert_int_equal(th_stats(t)->ip_drop_frag, 6);
	assert_int_equal(th_stats(t)->ip_frag_in, 0);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_overlapping_fragments_discarded(void **state)
{
	static const struct frag fr[] = { { 0, 40, true }, { 32, 40, false } };
	struct th *t = *state;

	inject_frags(t, fr, RTE_DIM(fr), 0);
	assert_int_equal(th_stats(t)->ip_frag_in, 2);
	assert_int_equal(th_stats(t)->ip_frag_reassembled, 0);
	assert_int_equal(th_stats(t)->ip_frag_discarded, 2);
	assert_int_equal(th_tx_count(t), 0);
}

static void
test_ipv4_incomplete_datagram_times_out(void **state)
{
	static const struct frag fr = { 0, 40, true };
	struct th *t = *state;

	inject_frags(t, &fr, 1, 0);
	assert_int_equal(th_stats(t)->ip_frag_discarded, 0);
	th_advance(t, 31ull * 1000000);			/* frag-timeout-ms 30000 */
	th_poll(t);
	assert_int_equal(th_stats(t)->ip_frag_discarded, 1);
	assert_int_equal(th_tx_count(t), 0);
}

static int
setup_no_reassembly(void **state)
{
	struct sl_config cfg;

	th_config(&cfg);
	cfg.frag_entries = 0;
	return th_fixture_setup_cfg(state, &cfg, 4096);
}

static void
test_ipv4_fragments_dropped_without_reassembly(void **state)
{
	static const struct frag fr[] = { { 0, 40, true }, { 40, 32, false } };
	struct th *t = *state;

	inject_frags(t, fr, RTE_DIM(fr), 0);
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
	TH_TEST(test_ipv4_fragments_reassembled_in_any_order),
	TH_TEST(test_ipv4_big_ping_reassembled_and_answered_in_fragments),
	TH_TEST(test_ipv4_fragment_attacks_dropped),
	TH_TEST(test_ipv4_overlapping_fragments_discarded),
	TH_TEST(test_ipv4_incomplete_datagram_times_out),
	TH_TEST_SETUP(test_ipv4_fragments_dropped_without_reassembly, setup_no_reassembly),
	TH_TEST(test_ipv4_martian_sources_dropped),
	TH_TEST(test_ipv4_other_destination_dropped),
	TH_TEST(test_ipv4_broadcast_and_unknown_protocol_counted),
	TH_TEST(test_ipv4_ethernet_padding_trimmed),
	TH_TEST(test_ipv4_output_without_headroom_dropped_counted),
};

UNIT_MAIN("test_ipv4", tests)
