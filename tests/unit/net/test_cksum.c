/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net/cksum.h against DPDK's rte_raw_cksum() (one 16-bit word per step, the reference):
 * every length and start alignment, sums that wrap many times, the pseudo-header, and a
 * chained mbuf split at odd and even offsets. No EAL: the mbufs are plain structs over
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_sum_equals_dpdk_for_every_length_and_alignment),
		cmocka_unit_test(test_raw_sum_of_all_ones_folds_like_dpdk),
		cmocka_unit_test(test_pseudo_header_equals_dpdk),
		cmocka_unit_test(test_chained_mbuf_sum_equals_flat_sum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
