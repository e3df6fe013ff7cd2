/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-bench's latency histogram (dpdk_app/bench/hist.c): bucket edges, quantiles of
 * known distributions within the bucket precision (1/16), merging, and the edges. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hist.h"

static struct hist h, h2;

static void
test_buckets_cover_every_value_once(void **state)
{
	uint64_t v, lo, hi;
	unsigned int i, prev = 0;

	(void)state;
	for (v = 0; v < 100000; v++) {
		i = hist_bucket(v);
		assert_true(i >= prev && i < HIST_BUCKETS);
		hist_bucket_range(i, &lo, &hi);
		assert_true(lo <= v && v <= hi);
		/* 1/16 precision: a bucket is never wider than a sixteenth of its values. */
		assert_true(hi - lo <= lo / 16);
		prev = i;
	}
	i = hist_bucket(UINT64_MAX);
	assert_int_equal(i, HIST_BUCKETS - 1);
	hist_bucket_range(i, &lo, &hi);
	assert_true(hi == UINT64_MAX);
}

static void
test_quantiles_of_a_uniform_distribution(void **state)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	unsigned int i;
	uint64_t v;

	(void)state;
	hist_init(&h);
	for (v = 1; v <= 1000000; v++)
		hist_add(&h, v);
	assert_int_equal(h.n, 1000000);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 1000000);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double want = qs[i] * 1000000, got = (double)hist_quantile(&h, qs[i]);

		assert_true(got >= want && got <= want * (1 + 1.0 / 16));
	}
	assert_int_equal(hist_quantile(&h, 1.0), 1000000);
	assert_int_equal(hist_quantile(&h, 0.0), 1);
}

static void
test_quantile_of_a_tail(void **state)
{
	unsigned int i;

	(void)state;
	hist_init(&h);
	/* 990 fast, 9 slow, 1 very slow. */
	for (i = 0; i < 990; i++)
		hist_add(&h, 2000);
	for (i = 0; i < 9; i++)
		hist_add(&h, 50000);
	hist_add(&h, 3000000);
	assert_true(hist_quantile(&h, 0.5) >= 2000 && hist_quantile(&h, 0.5) < 2000 * 17 / 16);
	assert_true(hist_quantile(&h, 0.99) >= 2000 && hist_quantile(&h, 0.99) < 2200);
	assert_true(hist_quantile(&h, 0.999) >= 50000 && hist_quantile(&h, 0.999) < 53200);
	assert_int_equal(hist_quantile(&h, 1.0), 3000000);
}

static void
test_merge_adds_and_empty_is_zero(void **state)
{
	uint64_t v;

	(void)state;
	hist_init(&h);
	hist_init(&h2);
	assert_int_equal(hist_quantile(&h, 0.5), 0);
	hist_merge(&h, &h2);
	assert_int_equal(h.n, 0);
	for (v = 0; v < 100; v++)
		hist_add(&h, 10);
	for (v = 0; v < 100; v++)
		hist_add(&h2, 1000);
	hist_merge(&h, &h2);
	assert_int_equal(h.n, 200);
	assert_int_equal(h.min, 10);
	assert_int_equal(h.max, 1000);
	assert_int_equal(h.sum, 100 * 10 + 100 * 1000);
	assert_int_equal(hist_quantile(&h, 0.5), 10);
	assert_true(hist_quantile(&h, 0.51) >= 1000);
	/* A single value: every quantile is that value. */
	hist_init(&h);
	hist_add(&h, 123456);
	assert_int_equal(hist_quantile(&h, 0.5), 123456);
	assert_int_equal(hist_quantile(&h, 0.999), 123456);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_cover_every_value_once),
		cmocka_unit_test(test_quantiles_of_a_uniform_distribution),
		cmocka_unit_test(test_quantile_of_a_tail),
		cmocka_unit_test(test_merge_adds_and_empty_is_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
