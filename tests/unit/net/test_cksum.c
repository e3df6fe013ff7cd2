/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net/cksum.h against DPDK's rte_raw_cksum() (one 16-bit word per step, the reference):
 * every length and start alignment, sums that wrap many times, the pseudo-header, a
 * chained mbuf split at odd and even offsets, and the verdicts on receipt against the
 * folded sums. No EAL: the mbufs are plain structs over
 * static buffers. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/cksum.h"

static uint8_t data[4096 + 16];

static void
fill_random(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	srand(seed);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rand();
}

static void
test_raw_sum_equals_dpdk_for_every_length_and_alignment(void **state)
{
	size_t len, off;

	(void)state;
	fill_random(data, sizeof(data), 1);
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 2100; len++)
			assert_int_equal(cksum_raw(data + off, len), rte_raw_cksum(data + off, len));
}

static void
test_raw_sum_of_all_ones_folds_like_dpdk(void **state)
{
	size_t len;

	(void)state;
	/* 0xff bytes carry out of every word: the folds must take them all back in. */
	memset(data, 0xff, sizeof(data));
	for (len = 0; len <= 4096; len += 3)
		assert_int_equal(cksum_raw(data, len), rte_raw_cksum(data, len));
	memset(data, 0, sizeof(data));
	assert_int_equal(cksum_raw(data, 4096), 0);
	data[4095] = 1;
	assert_int_equal(cksum_raw(data, 4096), rte_raw_cksum(data, 4096));
}

static void
test_pseudo_header_equals_dpdk(void **state)
{
	static const uint32_t lens[] = { 0, 1, 20, 1460, 65535 };
	static const rte_be32_t addrs[] = { RTE_BE32(0xc6120001), RTE_BE32(0xffffffff),
					    RTE_BE32(0), RTE_BE32(0xc6130002) };
	struct rte_ipv4_hdr ip = { 0 };
	unsigned int i, j, k;

	(void)state;
	ip.version_ihl = RTE_IPV4_VHL_DEF;
	ip.next_proto_id = IPPROTO_TCP;
	for (i = 0; i < RTE_DIM(addrs); i++)
		for (j = 0; j < RTE_DIM(addrs); j++)
			for (k = 0; k < RTE_DIM(lens); k++) {
				ip.src_addr = addrs[i];
				ip.dst_addr = addrs[j];
				ip.total_length = rte_cpu_to_be_16((uint16_t)(lens[k] + 20));
				/* rte_ipv4_phdr_cksum folds and does not invert. */
				assert_int_equal(cksum_ipv4_phdr(addrs[i], addrs[j], IPPROTO_TCP,
								 lens[k]),
						 rte_ipv4_phdr_cksum(&ip, 0));
			}
}

static void
test_chained_mbuf_sum_equals_flat_sum(void **state)
{
	static const uint16_t splits[][2] = { { 1, 1 }, { 7, 300 }, { 8, 8 }, { 333, 1 },
					      { 1000, 999 }, { 2, 3 } };
	struct rte_mbuf seg[3];
	unsigned int i;
	uint32_t off, len = 2100;

	(void)state;
	fill_random(data, sizeof(data), 2);
	for (i = 0; i < RTE_DIM(splits); i++) {
		uint16_t a = splits[i][0], b = splits[i][1];

		memset(seg, 0, sizeof(seg));
		seg[0].buf_addr = data;
		seg[0].data_len = a;
		seg[0].next = &seg[1];
		seg[1].buf_addr = data + a;
		seg[1].data_len = b;
		seg[1].next = &seg[2];
		seg[2].buf_addr = data + a + b;
		seg[2].data_len = (uint16_t)(len - a - b);
		seg[0].pkt_len = len;
		seg[0].nb_segs = 3;
		for (off = 0; off < 12; off++)
			assert_int_equal(cksum_mbuf(&seg[0], off, len - off),
					 rte_raw_cksum(data + off, len - off));
	}
}

/* The four folding steps cksum_fold64 replaces (a 64-bit sum to 16 bits, each step
 * adding the upper part back into the lower). */
static uint16_t
fold_steps(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* cksum_fold64 gives the four steps' value: the edges of every 16- and 32-bit boundary,
 * sums of all ones, and random sums. */
static void
test_fold64_equals_fold_steps(void **state)
{
	static const uint64_t edge[] = {
		0, 1, 0xfffe, 0xffff, 0x10000, 0x10001, 0x1fffe, 0xfffeffff, 0xffff0000,
		0xffffffff, 0x100000000ull, 0x100000001ull, 0x1fffffffeull, 0xffffffff00000000ull,
		0xffffffff00000001ull, 0xfffffffffffffffeull, 0xffffffffffffffffull,
		0x8000000080000000ull, 0x0000ffff0000ffffull, 0xffff0000ffff0000ull,
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned int i, k;

	(void)state;
	for (i = 0; i < RTE_DIM(edge); i++)
		for (k = 0; k < 3; k++) {
			uint64_t v = k == 0 ? edge[i] : k == 1 ? edge[i] - 1 : edge[i] + 1;

			assert_int_equal(cksum_fold64(v), fold_steps(v));
		}
	for (i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		assert_int_equal(cksum_fold64(x), fold_steps(x));
		assert_int_equal(cksum_fold64(x >> (i % 64)), fold_steps(x >> (i % 64)));
	}
	for (i = 0; i < 0x20000; i++) {
		assert_int_equal(cksum_fold64(i), fold_steps(i));
		assert_int_equal(cksum_fold64((uint64_t)i << 16), fold_steps((uint64_t)i << 16));
		assert_int_equal(cksum_fold64(0xffffffffull * i), fold_steps(0xffffffffull * i));
	}
}

/* The verdicts on receipt (cksum_sum_ok and its users) against the folded sums the
 * senders use: for every length and alignment, on random bytes (nearly all bad), on the
 * same bytes with a correct checksum field written (good), and with one bit flipped. */
static void
test_verify_agrees_with_fold_for_every_length_and_alignment(void **state)
{
	static const uint64_t starts[] = { 0, 0x1234, 0xffffffffffull, UINT64_MAX - 7 };
	size_t len, off, k;

	(void)state;
	for (k = 0; k < RTE_DIM(starts); k++) {
		fill_random(data, sizeof(data), 3 + (unsigned int)k);
		for (off = 0; off < 8; off++)
			for (len = 0; len <= 600; len++) {
				uint8_t *p = data + off;
				uint16_t c;

				assert_int_equal(cksum_sum_ok(cksum_raw64_from(p, len, starts[k])),
						 cksum_raw_from(p, len, starts[k]) == 0xffff);
				if (len < 2)
					continue;
				/* A checksum field in the first word that makes the sum right. */
				p[0] = p[1] = 0;
				c = (uint16_t)~cksum_raw_from(p, len, starts[k]);
				memcpy(p, &c, sizeof(c));
				assert_int_equal(cksum_raw_from(p, len, starts[k]), 0xffff);
				assert_true(cksum_sum_ok(cksum_raw64_from(p, len, starts[k])));
				p[len - 1] ^= 0x10;
				assert_int_equal(cksum_sum_ok(cksum_raw64_from(p, len, starts[k])),
						 cksum_raw_from(p, len, starts[k]) == 0xffff);
			}
	}
	/* All ones: carries out of every word; all zeros: a sum of 0 is never right. */
	memset(data, 0xff, sizeof(data));
	for (len = 0; len <= 2048; len += 3)
		assert_int_equal(cksum_sum_ok(cksum_raw64_from(data, len, 0)),
				 cksum_raw_from(data, len, 0) == 0xffff);
	memset(data, 0, sizeof(data));
	assert_false(cksum_sum_ok(cksum_raw64_from(data, 64, 0)));
}

/* The short segment's sum (a header with timestamps and up to 8 payload bytes) against
 * the general one: the same verdict for every length, alignment and start, on random
 * bytes, with a correct checksum field, with any one bit flipped, and on all ones and
 * all zeros. */
static void
test_verify_32to40_agrees_with_general(void **state)
{
	static const uint64_t starts[] = { 0, 1, 0x1234, 0xffffffffffull, UINT64_MAX - 7 };
	uint32_t len, off, k, bit;

	(void)state;
	for (k = 0; k < RTE_DIM(starts); k++)
		for (off = 0; off < 8; off++)
			for (len = 32; len <= 40; len++) {
				uint8_t *p = data + off;
				uint16_t c;

				fill_random(data, 64, 50 + k * 100 + off * 10 + len);
				assert_int_equal(cksum_sum_ok(cksum_raw64_32to40(p, len, starts[k])),
						 cksum_sum_ok(cksum_raw64_from(p, len, starts[k])));
				p[16] = p[17] = 0;
				c = (uint16_t)~cksum_raw_from(p, len, starts[k]);
				memcpy(p + 16, &c, sizeof(c));
				assert_true(cksum_sum_ok(cksum_raw64_32to40(p, len, starts[k])));
				for (bit = 0; bit < len * 8; bit++) {
					p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
					assert_int_equal(
						cksum_sum_ok(cksum_raw64_32to40(p, len, starts[k])),
						cksum_sum_ok(cksum_raw64_from(p, len, starts[k])));
					p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				}
				/* Bytes past the end do not count. */
				p[len] ^= 0xa5;
				assert_true(cksum_sum_ok(cksum_raw64_32to40(p, len, starts[k])));
			}
	for (len = 32; len <= 40; len++) {
		memset(data, 0xff, sizeof(data));
		assert_int_equal(cksum_sum_ok(cksum_raw64_32to40(data, len, 0)),
				 cksum_sum_ok(cksum_raw64_from(data, len, 0)));
		memset(data, 0, sizeof(data));
		assert_false(cksum_sum_ok(cksum_raw64_32to40(data, len, 0)));
	}
}

static void
test_ipv4_hdr20_verify_agrees_with_fold(void **state)
{
	struct rte_ipv4_hdr ip;
	unsigned int i, bit;

	(void)state;
	for (i = 0; i < 2000; i++) {
		fill_random((uint8_t *)&ip, sizeof(ip), 100 + i);
		assert_int_equal(cksum_ipv4_hdr20_ok(&ip), cksum_ipv4_hdr20(&ip) == 0xffff);
		ip.version_ihl = RTE_IPV4_VHL_DEF;	/* rte_ipv4_cksum sums IHL words */
		ip.hdr_checksum = 0;
		ip.hdr_checksum = rte_ipv4_cksum(&ip);
		assert_true(cksum_ipv4_hdr20_ok(&ip));
		bit = i % 160;
		((uint8_t *)&ip)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(cksum_ipv4_hdr20_ok(&ip), cksum_ipv4_hdr20(&ip) == 0xffff);
	}
	memset(&ip, 0xff, sizeof(ip));
	assert_int_equal(cksum_ipv4_hdr20_ok(&ip), cksum_ipv4_hdr20(&ip) == 0xffff);
	memset(&ip, 0, sizeof(ip));
	assert_false(cksum_ipv4_hdr20_ok(&ip));
}

static void
test_l4_verify_agrees_with_sender_sum(void **state)
{
	const rte_be32_t src = RTE_BE32(0xc6120001), dst = RTE_BE32(0xc6120002);
	struct rte_mbuf m;
	uint32_t len;
	uint16_t c;

	(void)state;
	fill_random(data, sizeof(data), 4);
	memset(&m, 0, sizeof(m));
	m.buf_addr = data;
	for (len = 20; len <= 1500; len++) {
		m.data_len = (uint16_t)len;
		m.pkt_len = len;
		data[16] = data[17] = 0;	/* the TCP checksum field */
		c = cksum_l4_ipv4(&m, src, dst, IPPROTO_TCP, 0, len);
		memcpy(data + 16, &c, sizeof(c));
		assert_true(cksum_l4_ipv4_ok(&m, src, dst, IPPROTO_TCP, 0, len));
		data[len / 2] ^= 0x01;
		assert_int_equal(cksum_l4_ipv4_ok(&m, src, dst, IPPROTO_TCP, 0, len),
				 cksum_l4_ipv4(&m, src, dst, IPPROTO_TCP, 0, len) == 0);
		data[len / 2] ^= 0x01;
	}
}

/* The short segment's verdict (cksum_l4_ipv4_ok's 32-40 byte case: its pseudo-header
 * words unswapped, no zero test) against the folded sum, for random addresses, lengths
 * and bytes: random checksums (nearly all wrong), correct ones, and each with a bit
 * flipped in the segment. And rx_direct's header verdict (cksum_ipv4_hdr20_nz_ok)
 * against cksum_ipv4_hdr20_ok for headers whose first byte is not zero. */
static void
test_short_verify_random_agrees_with_fold(void **state)
{
	struct rte_ipv4_hdr ip;
	struct rte_mbuf m;
	unsigned int i, bit;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.buf_addr = data;
	for (i = 0; i < 20000; i++) {
		const uint32_t len = 28 + i % 17, off = i % 8;
		rte_be32_t src, dst;
		uint16_t c;

		fill_random(data, sizeof(data), 7000 + i);
		memcpy(&src, data + 100, sizeof(src));
		memcpy(&dst, data + 104, sizeof(dst));
		m.data_len = (uint16_t)(off + len);
		m.pkt_len = off + len;
		assert_int_equal(cksum_l4_ipv4_ok(&m, src, dst, IPPROTO_TCP, off, len),
				 cksum_l4_ipv4(&m, src, dst, IPPROTO_TCP, off, len) == 0);
		data[off + 16] = data[off + 17] = 0;
		c = cksum_l4_ipv4(&m, src, dst, IPPROTO_TCP, off, len);
		memcpy(data + off + 16, &c, sizeof(c));
		assert_true(cksum_l4_ipv4_ok(&m, src, dst, IPPROTO_TCP, off, len));
		bit = (i * 7) % (len * 8);
		data[off + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(cksum_l4_ipv4_ok(&m, src, dst, IPPROTO_TCP, off, len),
				 cksum_l4_ipv4(&m, src, dst, IPPROTO_TCP, off, len) == 0);

		memcpy(&ip, data + 64, sizeof(ip));
		if (ip.version_ihl == 0)
			ip.version_ihl = RTE_IPV4_VHL_DEF;
		assert_int_equal(cksum_ipv4_hdr20_nz_ok(&ip), cksum_ipv4_hdr20_ok(&ip));
		ip.version_ihl = RTE_IPV4_VHL_DEF;
		ip.hdr_checksum = 0;
		ip.hdr_checksum = rte_ipv4_cksum(&ip);
		assert_true(cksum_ipv4_hdr20_nz_ok(&ip));
		bit = 8 + i % 152;	/* the version byte stays 0x45 */
		((uint8_t *)&ip)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(cksum_ipv4_hdr20_nz_ok(&ip), cksum_ipv4_hdr20_ok(&ip));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_sum_equals_dpdk_for_every_length_and_alignment),
		cmocka_unit_test(test_raw_sum_of_all_ones_folds_like_dpdk),
		cmocka_unit_test(test_fold64_equals_fold_steps),
		cmocka_unit_test(test_pseudo_header_equals_dpdk),
		cmocka_unit_test(test_chained_mbuf_sum_equals_flat_sum),
		cmocka_unit_test(test_verify_agrees_with_fold_for_every_length_and_alignment),
		cmocka_unit_test(test_verify_32to40_agrees_with_general),
		cmocka_unit_test(test_ipv4_hdr20_verify_agrees_with_fold),
		cmocka_unit_test(test_l4_verify_agrees_with_sender_sum),
		cmocka_unit_test(test_short_verify_random_agrees_with_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
