/* SPDX-License-Identifier: BSD-3-Clause */
/* rx_direct.h: the one-pass check of the usual TCP frame against eth_input and ipv4_input,
 * the reference. Random frames, most of them a valid segment with a few fields broken
 * (addresses, ethertype, version and length, fragment bits, truncation and padding, the
 * header checksum fixed or not, the port's checksum verdict), go through the poll loop
 * with the direct path on and then off: every counter must move the same way both times,
 * and a frame the direct check passes must reach TCP through the general path too. */

#include "unit.h"

#include <inttypes.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/rx_direct.h"

#define NFRAMES 4000

static uint64_t prng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	prng ^= prng << 13;
	prng ^= prng >> 7;
	prng ^= prng << 17;
	return (uint32_t)(prng >> 11) % n;
}

/* A valid RST to a closed port (counted in tcp_rst_noconn, no reply, no state): Ethernet,
 * IPv4 without options and TCP with plen payload bytes, both checksums right. */
static size_t
frame_valid(uint8_t *f, const struct th *t, size_t plen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	size_t n = fb_eth(f, &t->mac, &th_peer_mac, RTE_ETHER_TYPE_IPV4), i;

	n += fb_ipv4(f + n, TH_PEER_IP, TH_STACK_IP, IPPROTO_TCP,
		     (uint16_t)(sizeof(*th) + plen));
	memset(th, 0, sizeof(*th));
	th->src_port = RTE_BE16(40000);
	th->dst_port = RTE_BE16(9);
	th->sent_seq = RTE_BE32(1000);
	th->data_off = (sizeof(*th) / 4) << 4;
	th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	th->rx_win = RTE_BE16(1000);
	for (i = 0; i < plen; i++)
		((uint8_t *)(th + 1))[i] = (uint8_t)rnd(256);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return n + sizeof(*th) + plen;
}

/* Break zero or more things in the frame f of *n bytes (room for 128). */
static void
frame_mutate(uint8_t *f, size_t *n, uint64_t *ol_flags)
{
	static const rte_be32_t addrs[] = {
		TH_PEER_IP, TH_STACK_IP, TH_OTHER_IP, RTE_BE32(0xc61200ff), RTE_BE32(0xffffffff),
		RTE_BE32(0x7f000001), RTE_BE32(0x00000001), RTE_BE32(0xe0000001),
		RTE_BE32(0xf0000001),
	};
	static const uint64_t csum[] = {
		0, RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD,
		RTE_MBUF_F_RX_IP_CKSUM_NONE,
	};
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	unsigned int k, muts = rnd(4);
	bool fix = rnd(4) != 0;

	*ol_flags = csum[rnd(4)];
	for (k = 0; k < muts; k++) {
		switch (rnd(14)) {
		case 0:		/* any byte of the two headers */
			f[rnd(RX_DIRECT_HDRS)] ^= (uint8_t)(1u << rnd(8));
			break;
		case 1:
			memset(f, 0xff, RTE_ETHER_ADDR_LEN);	/* broadcast */
			break;
		case 2:
			f[6] |= 0x01;				/* multicast source */
			break;
		case 3:
			f[12] = 0x81;				/* 802.1Q */
			f[13] = 0x00;
			break;
		case 4:
			ip->version_ihl = (uint8_t)(rnd(2) ? 0x46 : 0x65);
			break;
		case 5:
			ip->total_length = rte_cpu_to_be_16((uint16_t)(
				rte_be_to_cpu_16(ip->total_length) + rnd(9) - 4));
			break;
		case 6:
			ip->fragment_offset = rnd(2) ? RTE_BE16(RTE_IPV4_HDR_MF_FLAG) :
						       RTE_BE16(1);
			break;
		case 7:
			ip->src_addr = addrs[rnd(RTE_DIM(addrs))];
			break;
		case 8:
			ip->dst_addr = addrs[rnd(RTE_DIM(addrs))];
			break;
		case 9:
			ip->next_proto_id = (uint8_t)(rnd(2) ? IPPROTO_UDP : IPPROTO_ICMP);
			break;
		case 10:
			*n = rnd((unsigned int)*n + 1);		/* truncated */
			break;
		case 11:
			*n += rnd(12);				/* padded */
			break;
		case 12:
			ip->hdr_checksum ^= RTE_BE16(1u << rnd(16));
			fix = false;
			break;
		default:
			ip->type_of_service = (uint8_t)rnd(256);	/* harmless */
			break;
		}
	}
	if (fix) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

/* A fragment stays in the reassembly table: give each run's datagram an ID of its own so
 * that no run completes or overlaps another's, with the header checksum moved by the
 * opposite amount (RFC 1624), so that it is exactly as right or wrong as before. */
static void
frame_new_id(uint8_t *f, size_t n)
{
	static uint16_t d;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	uint32_t id, ck;

	if (n < RX_DIRECT_HDRS)
		return;
	d = (uint16_t)(d % 0xfffe + 1);
	id = (uint32_t)ip->packet_id + d;
	ck = (uint32_t)ip->hdr_checksum + (uint16_t)~d;
	ip->packet_id = (uint16_t)((id & 0xffff) + (id >> 16));
	ip->hdr_checksum = (uint16_t)((ck & 0xffff) + (ck >> 16));
}

/* Run frame f through the poll loop with the direct path on or off; the counters' moves
 * into *d. Returns the frames it sent. */
static unsigned int
run(struct th *t, const uint8_t *f, size_t n, uint64_t ol_flags, bool direct,
    struct sl_stats *d)
{
	struct sl_stats before = *th_stats(t);
	struct rte_mbuf *m = th_frame(t, f, n);
	uint64_t *a = (uint64_t *)d;
	const uint64_t *b = (const uint64_t *)&before;
	unsigned int i;

	frame_new_id(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m));
	m->ol_flags = ol_flags;
	t->w->rx_direct = direct;
	th_inject(t, m);
	*d = *th_stats(t);
	for (i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		a[i] -= b[i];
	return th_tx_drain(t);
}

static void
test_rx_direct_same_counters_as_general_path(void **state)
{
	struct th *t = *state;
	unsigned int i, j, taken = 0, declined = 0;

	for (i = 0; i < NFRAMES; i++) {
		uint8_t f[128] = { 0 };
		size_t n = frame_valid(f, t, rnd(40));
		struct sl_stats on, off;
		struct rte_mbuf *m;
		unsigned int sent;
		uint64_t ol = 0;
		bool direct;

		if (i % 8 != 0)		/* every eighth frame stays valid */
			frame_mutate(f, &n, &ol);
		m = th_frame(t, f, n);
		m->ol_flags = ol;
		t->w->rx_direct = true;
		direct = rx_direct_tcp(t->w, m);
		rte_pktmbuf_free(m);
		sent = run(t, f, n, ol, true, &on);
		assert_int_equal(run(t, f, n, ol, false, &off), sent);
		if (memcmp(&on, &off, sizeof(on)) != 0) {
			const uint64_t *a = (const uint64_t *)&on, *b = (const uint64_t *)&off;

			for (j = 0; j < sizeof(on) / sizeof(*a); j++)
				if (a[j] != b[j])
					print_message("counter %u: %" PRIu64 " direct, %" PRIu64
						      " general\n", j, a[j], b[j]);
			fail_msg("frame %u (%zu bytes, direct %d): counters differ", i, n, direct);
		}
		if (direct) {
			/* The general path took it to TCP too, without a drop of its own. */
			assert_int_equal(off.ip_rx, 1);
			assert_int_equal(off.tcp_rx_segs, 1);
			taken++;
		} else {
			declined++;
		}
	}
	/* Both ways were exercised. */
	assert_true(taken > NFRAMES / 8);
	assert_true(declined > NFRAMES / 4);
	t->w->rx_direct = true;
}

/* The direct path's own word: frames the general path passes to TCP but that are not of
 * the direct shape (padded, broadcast MAC with our address) still arrive. */
static void
test_rx_direct_declines_padded_and_broadcast_frames(void **state)
{
	struct th *t = *state;
	uint8_t f[128] = { 0 };
	size_t n = frame_valid(f, t, 0);
	struct rte_mbuf *m;

	m = th_frame(t, f, n + 6);		/* Ethernet padding to 60 bytes */
	assert_false(rx_direct_tcp(t->w, m));
	th_inject(t, m);
	assert_int_equal(th_stats(t)->tcp_rst_noconn, 1);
	memset(f, 0xff, RTE_ETHER_ADDR_LEN);
	m = th_frame(t, f, n);
	assert_false(rx_direct_tcp(t->w, m));
	th_inject(t, m);
	/* TCP to a broadcast MAC but our address: eth_input takes it, so does IPv4. */
	assert_int_equal(th_stats(t)->tcp_rst_noconn, 2);
	n = frame_valid(f, t, 3);
	m = th_frame(t, f, n);
	assert_true(rx_direct_tcp(t->w, m));
	th_inject(t, m);
	assert_int_equal(th_stats(t)->tcp_rst_noconn, 3);
	assert_int_equal(th_stats(t)->ip_rx, 3);
}

static const struct CMUnitTest tests[] = {
	TH_TEST(test_rx_direct_same_counters_as_general_path),
	TH_TEST(test_rx_direct_declines_padded_and_broadcast_frames),
};

UNIT_MAIN("test_rx_direct", tests)
