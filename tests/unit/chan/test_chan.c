/* SPDX-License-Identifier: BSD-3-Clause */
/* chan.c from one thread: FIFO order, where records land in the two halves (exact fit,
 * moving on when a record does not fit), -EAGAIN until the consumer clears a half,
 * -EMSGSIZE, zero-length records, gather, reserve/commit, the wake-up sequence and its
 * timeouts, and the counters. A long random run checks the channel against a plain FIFO.
 * No DPDK: this file links lib/chan/chan.c alone (it also runs under ThreadSanitizer,
 * scripts/test.sh tsan). Threads are in test_chan_stress.c. */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "chan/chan.h"

/* ---- helpers ---- */

static struct chan *
chan_new(uint32_t half)
{
	size_t sz = chan_mem_size(half);
	void *mem;
	struct chan *c;

	assert_true(sz != 0);
	mem = aligned_alloc(CHAN_CACHE_LINE, (sz + CHAN_CACHE_LINE - 1) & ~(size_t)63);
	assert_non_null(mem);
	/* Garbage, not zeros: chan_init must not rely on zeroed memory. */
	memset(mem, 0xa5, sz);
	c = chan_init(mem, half);
	assert_ptr_equal(c, mem);
	return c;
}

/* Where the payload of a record at offset off of half h starts. */
static const uint8_t *
payload_at(const struct chan *c, uint32_t h, uint32_t off)
{
	return (const uint8_t *)c + sizeof(struct chan) + (size_t)h * c->half_bytes + off +
	       sizeof(struct chan_hdr);
}

static void
fill(uint8_t *p, uint32_t len, uint64_t key)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(key * 31 + i * 7);
}

static void
put_ok(struct chan *c, uint64_t key, uint32_t tag, uint32_t len)
{
	uint8_t buf[4096];

	assert_true(len <= sizeof(buf));
	fill(buf, len, key);
	assert_int_equal(chan_put(c, key, tag, buf, len), 0);
}

/* Peek, check the record against what put_ok wrote, pop. Returns the payload pointer. */
static const uint8_t *
pop_check(struct chan *c, uint64_t key, uint32_t tag, uint32_t len)
{
	uint8_t want[4096];
	struct chan_rec r;
	const uint8_t *data;

	assert_true(chan_peek(c, &r));
	assert_int_equal(r.key, key);
	assert_int_equal(r.tag, tag);
	assert_int_equal(r.len, len);
	fill(want, len, key);
	assert_memory_equal(r.data, want, len);
	data = r.data;
	chan_pop(c);
	return data;
}

static struct chan_stats
stats_of(const struct chan *c)
{
	struct chan_stats st;

	chan_stats(c, &st);
	return st;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- construction ---- */

static void
test_init_bad_arguments_rejected(void **state)
{
	void *mem = aligned_alloc(64, 4096);

	(void)state;
	assert_int_equal(chan_mem_size(0), 0);
	assert_int_equal(chan_mem_size(56), 0);
	assert_int_equal(chan_mem_size(100), 0);
	assert_int_equal(chan_mem_size(CHAN_HALF_MAX + 8), 0);
	assert_int_equal(chan_mem_size(64), sizeof(struct chan) + 128);
	assert_int_equal(sizeof(struct chan) % 64, 0);

	errno = 0;
	assert_null(chan_init(NULL, 64));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(chan_init((uint8_t *)mem + 8, 64));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(chan_init(mem, 100));
	assert_int_equal(errno, EINVAL);

	assert_ptr_equal(chan_init(mem, 64), mem);
	assert_int_equal(chan_max_record(mem), 48);
	assert_true(chan_empty(mem));
	free(mem);
}

/* ---- order and placement ---- */

static void
test_put_peek_pop_fifo(void **state)
{
	struct chan *c = chan_new(1024);
	struct chan_rec r1, r2;
	uint32_t i;

	(void)state;
	assert_true(chan_empty(c));
	assert_false(chan_peek(c, &r1));
	for (i = 0; i < 10; i++)
		put_ok(c, 1000 + i, i, i * 7);
	assert_false(chan_empty(c));
	/* Peek does not consume. */
	assert_true(chan_peek(c, &r1));
	assert_true(chan_peek(c, &r2));
	assert_int_equal(r1.key, 1000);
	assert_ptr_equal(r1.data, r2.data);
	for (i = 0; i < 10; i++)
		pop_check(c, 1000 + i, i, i * 7);
	assert_false(chan_peek(c, &r1));
	assert_true(chan_empty(c));
	/* Records are 8-aligned: the next one follows 10 headers and payloads padded to 8
	 * (0, 7, 14, ... 63 bytes take 0, 8, 16, 24, 32, 40, 48, 56, 56, 64). */
	put_ok(c, 77, 7, 3);
	assert_ptr_equal(pop_check(c, 77, 7, 3), payload_at(c, 0, 10 * 16 + 344));
	free(c);
}

static void
test_records_exactly_filling_half_then_next_half(void **state)
{
	struct chan *c = chan_new(256);

	(void)state;
	assert_int_equal(chan_max_record(c), 240);
	/* 120 + 80 + 56 == 256: half 0 exactly full. */
	put_ok(c, 1, 1, 100);
	put_ok(c, 2, 2, 64);
	put_ok(c, 3, 3, 40);
	put_ok(c, 4, 4, 0);
	assert_int_equal(stats_of(c).halves_cleared, 0);
	assert_ptr_equal(pop_check(c, 1, 1, 100), payload_at(c, 0, 0));
	assert_ptr_equal(pop_check(c, 2, 2, 64), payload_at(c, 0, 120));
	assert_ptr_equal(pop_check(c, 3, 3, 40), payload_at(c, 0, 200));
	/* The last pop finished the sealed half 0: cleared at once. */
	assert_int_equal(stats_of(c).halves_cleared, 1);
	assert_ptr_equal(pop_check(c, 4, 4, 0), payload_at(c, 1, 0));

	/* One record of the maximum size fills a half by itself. */
	put_ok(c, 5, 5, 240);		/* half 1 at 16: does not fit, back to half 0 */
	/* Half 0 is full and half 1 sealed but not cleared: the consumer clears it when it
	 * next looks. */
	assert_int_equal(chan_put(c, 6, 6, NULL, 0), -EAGAIN);
	assert_ptr_equal(pop_check(c, 5, 5, 240), payload_at(c, 0, 0));
	assert_int_equal(stats_of(c).halves_cleared, 2);
	put_ok(c, 6, 6, 240);		/* to half 1 */
	assert_ptr_equal(pop_check(c, 6, 6, 240), payload_at(c, 1, 0));
	assert_int_equal(stats_of(c).halves_cleared, 3);
	assert_true(chan_empty(c));
	free(c);
}

static void
test_record_not_fitting_moves_to_other_half(void **state)
{
	struct chan *c = chan_new(256);

	(void)state;
	put_ok(c, 1, 0, 200);		/* 216 bytes */
	put_ok(c, 2, 0, 40);		/* 56 more would be 272: half 1 */
	put_ok(c, 3, 0, 8);		/* would fit the tail of half 0, but order: half 1 */
	assert_ptr_equal(pop_check(c, 1, 0, 200), payload_at(c, 0, 0));
	assert_int_equal(stats_of(c).halves_cleared, 1);
	assert_ptr_equal(pop_check(c, 2, 0, 40), payload_at(c, 1, 0));
	assert_ptr_equal(pop_check(c, 3, 0, 8), payload_at(c, 1, 56));
	assert_true(chan_empty(c));
	free(c);
}

/* ---- limits ---- */

static void
test_full_eagain_until_consumer_clears(void **state)
{
	struct chan *c = chan_new(128);
	char x[] = "x";
	struct iovec iov = { .iov_base = x, .iov_len = 1 };
	struct chan_rec r;
	struct chan_stats st;

	(void)state;
	put_ok(c, 1, 0, 112);		/* half 0 full */
	put_ok(c, 2, 0, 112);		/* half 1 full, half 0 sealed, not cleared */
	assert_int_equal(chan_put(c, 3, 0, "x", 1), -EAGAIN);
	errno = 0;
	assert_null(chan_reserve(c, 1));
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(chan_putv(c, 3, 0, &iov, 1), -EAGAIN);
	assert_int_equal(chan_put_wait(c, 3, 0, "x", 1, 0), -ETIMEDOUT);
	st = stats_of(c);
	assert_int_equal(st.full, 3);	/* put_wait's attempts are not "full" returns */
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.records, 2);

	/* Reading is not clearing: the record is still in use until popped. */
	assert_true(chan_peek(c, &r));
	assert_int_equal(chan_put(c, 3, 0, "x", 1), -EAGAIN);
	chan_pop(c);
	assert_int_equal(stats_of(c).halves_cleared, 1);
	assert_int_equal(chan_put(c, 3, 0, "x", 1), 0);
	assert_true(chan_peek(c, &r));
	assert_int_equal(r.key, 2);
	chan_pop(c);
	assert_true(chan_peek(c, &r));
	assert_int_equal(r.key, 3);
	assert_int_equal(r.len, 1);
	assert_int_equal(r.data[0], 'x');
	assert_ptr_equal(r.data, payload_at(c, 0, 0));
	chan_pop(c);
	assert_true(chan_empty(c));
	assert_int_equal(stats_of(c).full, 4);
	free(c);
}

static void
test_oversize_emsgsize(void **state)
{
	struct chan *c = chan_new(64);
	uint8_t buf[64] = { 0 };
	struct iovec iov[2] = { { buf, 25 }, { buf, 24 } };
	struct chan_stats st;

	(void)state;
	assert_int_equal(chan_max_record(c), 48);
	assert_int_equal(chan_put(c, 1, 0, buf, 49), -EMSGSIZE);
	assert_int_equal(chan_put(c, 1, 0, buf, UINT32_MAX), -EMSGSIZE);
	errno = 0;
	assert_null(chan_reserve(c, 49));
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(chan_putv(c, 1, 0, iov, 2), -EMSGSIZE);
	iov[1].iov_len = SIZE_MAX;	/* a sum that would wrap */
	assert_int_equal(chan_putv(c, 1, 0, iov, 2), -EMSGSIZE);
	assert_int_equal(chan_put_wait(c, 1, 0, buf, 49, -1), -EMSGSIZE);
	assert_int_equal(chan_putv(c, 1, 0, iov, -1), -EINVAL);
	assert_true(chan_empty(c));
	put_ok(c, 2, 0, 48);
	st = stats_of(c);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.bytes, 48);
	pop_check(c, 2, 0, 48);
	free(c);
}

static void
test_zero_length_records_take_a_header(void **state)
{
	struct chan *c = chan_new(64);
	uint64_t k;

	(void)state;
	/* Four 16-byte headers fill a 64-byte half; the fifth goes to half 1. */
	for (k = 1; k <= 5; k++)
		assert_int_equal(chan_put(c, k, (uint32_t)k + 100, NULL, 0), 0);
	for (k = 1; k <= 4; k++)
		assert_ptr_equal(pop_check(c, k, (uint32_t)k + 100, 0),
				 payload_at(c, 0, (uint32_t)(k - 1) * 16));
	assert_ptr_equal(pop_check(c, 5, 105, 0), payload_at(c, 1, 0));
	assert_int_equal(stats_of(c).records, 5);
	assert_int_equal(stats_of(c).bytes, 0);
	assert_true(chan_empty(c));
	free(c);
}

/* ---- ways to write ---- */

static void
test_putv_gathers_in_order(void **state)
{
	struct chan *c = chan_new(256);
	char hello[] = "hello ", world[] = "world", bang[] = "!";
	struct iovec iov[4] = {
		{ .iov_base = hello, .iov_len = 6 },
		{ .iov_base = NULL, .iov_len = 0 },
		{ .iov_base = world, .iov_len = 5 },
		{ .iov_base = bang, .iov_len = 1 },
	};
	struct chan_rec r;

	(void)state;
	assert_int_equal(chan_putv(c, 9, 3, iov, 4), 0);
	assert_int_equal(chan_putv(c, 10, 4, iov, 0), 0);
	assert_true(chan_peek(c, &r));
	assert_int_equal(r.key, 9);
	assert_int_equal(r.tag, 3);
	assert_int_equal(r.len, 12);
	assert_memory_equal(r.data, "hello world!", 12);
	chan_pop(c);
	assert_true(chan_peek(c, &r));
	assert_int_equal(r.key, 10);
	assert_int_equal(r.len, 0);
	chan_pop(c);
	assert_int_equal(stats_of(c).bytes, 12);
	free(c);
}

static void
test_reserve_commit_publishes_in_place(void **state)
{
	struct chan *c = chan_new(128);
	struct chan_rec r;
	uint8_t *p;

	(void)state;
	p = chan_reserve(c, 10);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 8, 0);
	assert_ptr_equal(p, payload_at(c, 0, 0));
	memcpy(p, "0123456789", 10);
	assert_true(chan_empty(c));		/* nothing visible before the commit */
	assert_false(chan_peek(c, &r));
	chan_commit(c, 42, 7);
	assert_false(chan_empty(c));

	/* An abandoned reservation is reused by the next put. */
	p = chan_reserve(c, 20);
	assert_non_null(p);
	memset(p, 'z', 20);
	put_ok(c, 43, 8, 5);

	assert_true(chan_peek(c, &r));
	assert_int_equal(r.key, 42);
	assert_int_equal(r.tag, 7);
	assert_int_equal(r.len, 10);
	assert_memory_equal(r.data, "0123456789", 10);
	chan_pop(c);
	assert_ptr_equal(pop_check(c, 43, 8, 5), payload_at(c, 0, 32));
	assert_true(chan_empty(c));
	assert_int_equal(stats_of(c).records, 2);
	assert_int_equal(stats_of(c).bytes, 15);
	free(c);
}

static void
test_reserve_moving_halves_publishes_only_on_commit(void **state)
{
	struct chan *c = chan_new(128);
	struct chan_rec r;
	uint8_t *p;

	(void)state;
	put_ok(c, 1, 0, 112);
	/* Reserving seals half 0 and moves to half 1, but publishes nothing there. */
	p = chan_reserve(c, 112);
	assert_ptr_equal(p, payload_at(c, 1, 0));
	fill(p, 112, 2);
	pop_check(c, 1, 0, 112);
	assert_int_equal(stats_of(c).halves_cleared, 1);
	assert_true(chan_empty(c));
	assert_false(chan_peek(c, &r));
	chan_commit(c, 2, 0);
	assert_false(chan_empty(c));
	pop_check(c, 2, 0, 112);
	assert_true(chan_empty(c));
	free(c);
}

static void
test_empty_sees_records_after_a_late_seal(void **state)
{
	struct chan *c = chan_new(128);

	(void)state;
	put_ok(c, 1, 0, 48);
	put_ok(c, 2, 0, 48);		/* half 0 exactly full, not sealed yet */
	pop_check(c, 1, 0, 48);
	pop_check(c, 2, 0, 48);
	assert_true(chan_empty(c));
	assert_int_equal(stats_of(c).halves_cleared, 0);
	/* Now the producer seals half 0 and writes into half 1: the consumer, at the end
	 * of a sealed half it has not cleared, must look at the other half. */
	put_ok(c, 3, 0, 1);
	assert_false(chan_empty(c));
	assert_ptr_equal(pop_check(c, 3, 0, 1), payload_at(c, 1, 0));
	assert_int_equal(stats_of(c).halves_cleared, 1);
	assert_true(chan_empty(c));
	free(c);
}

/* ---- wake-up ---- */

static void
test_wait_without_wake_times_out(void **state)
{
	struct chan *c = chan_new(64);
	uint32_t seq = chan_wake_seq(c);
	uint64_t t0;
	struct chan_stats st;

	(void)state;
	assert_int_equal(chan_wait(c, seq, 0), -ETIMEDOUT);
	t0 = now_us();
	assert_int_equal(chan_wait(c, seq, 2000), -ETIMEDOUT);
	assert_true(now_us() - t0 >= 2000);
	t0 = now_us();
	assert_int_equal(chan_wait(c, seq, 50), -ETIMEDOUT);
	assert_true(now_us() - t0 >= 50);
	st = stats_of(c);
	assert_int_equal(st.timeouts, 3);
	/* Timeout 0 only looks; a 50 us timeout may expire before the sleep starts if this
	 * thread is preempted. */
	assert_true(st.waits == 1 || st.waits == 2);
	free(c);
}

static void
test_wake_bumps_sequence_once_when_armed(void **state)
{
	struct chan *c = chan_new(64);
	uint32_t seq;

	(void)state;
	/* Unarmed: a wake changes nothing. */
	chan_wake(c);
	chan_wake(c);
	seq = chan_wake_seq(c);
	assert_int_equal(seq, 0);
	/* Armed: the first wake bumps, the second finds it disarmed. */
	chan_wake(c);
	chan_wake(c);
	assert_int_equal(chan_wait(c, seq, 0), 0);
	assert_int_equal(chan_wait(c, seq, -1), 0);	/* already moved: no sleep */
	seq = chan_wake_seq(c);
	assert_int_equal(seq, 1);
	assert_int_equal(chan_wait(c, seq, 0), -ETIMEDOUT);
	/* A wake between chan_wake_seq and chan_wait is not lost. */
	chan_wake(c);
	assert_int_equal(chan_wait(c, seq, -1), 0);
	assert_int_equal(stats_of(c).waits, 0);
	assert_int_equal(stats_of(c).timeouts, 1);
	free(c);
}

static void
test_put_wait_times_out_and_publishes_nothing(void **state)
{
	struct chan *c = chan_new(64);
	uint64_t t0;
	struct chan_stats st;

	(void)state;
	put_ok(c, 1, 0, 48);
	put_ok(c, 2, 0, 48);
	t0 = now_us();
	assert_int_equal(chan_put_wait(c, 3, 0, "abc", 3, 1000), -ETIMEDOUT);
	assert_true(now_us() - t0 >= 1000);
	st = stats_of(c);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.full, 0);
	assert_int_equal(st.records, 2);
	pop_check(c, 1, 0, 48);
	pop_check(c, 2, 0, 48);
	assert_true(chan_empty(c));
	/* With room it does not wait. */
	put_ok(c, 4, 0, 8);
	assert_int_equal(chan_put_wait(c, 5, 0, "abc", 3, 0), 0);
	pop_check(c, 4, 0, 8);
	assert_true(chan_peek(c, &(struct chan_rec){ 0 }));
	assert_int_equal(stats_of(c).waits, 1);
	free(c);
}

/* ---- counters ---- */

static void
test_stats_count_everything(void **state)
{
	struct chan *c = chan_new(64);
	struct chan_stats st;
	uint32_t seq;

	(void)state;
	put_ok(c, 1, 0, 10);		/* 32 bytes */
	put_ok(c, 2, 0, 20);		/* 40 more would be 72: half 1 */
	put_ok(c, 3, 0, 0);		/* 16: half 1 at 56, no room for another header */
	assert_int_equal(chan_put(c, 4, 0, NULL, 0), -EAGAIN);
	assert_int_equal(chan_put(c, 4, 0, NULL, 0), -EAGAIN);
	seq = chan_wake_seq(c);
	assert_int_equal(chan_wait(c, seq, 0), -ETIMEDOUT);
	pop_check(c, 1, 0, 10);		/* clears half 0, wakes (bumps seq) */
	assert_int_equal(chan_wait(c, seq, 0), 0);
	pop_check(c, 2, 0, 20);
	pop_check(c, 3, 0, 0);
	put_ok(c, 4, 0, 0);		/* half 1 sealed, back to half 0 */
	pop_check(c, 4, 0, 0);
	chan_stats(c, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.bytes, 30);
	assert_int_equal(st.full, 2);
	assert_int_equal(st.waits, 0);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.halves_cleared, 2);
	free(c);
}

/* ---- against a model ---- */

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: deterministic, good enough for choosing sizes and operations. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Random puts (all three ways) and pops against a FIFO of keys: every record comes out
 * once, in order, intact; and an empty channel always has room. */
static void
test_random_ops_match_fifo_model(void **state)
{
	enum { HALF = 512, OPS = 200000, QCAP = 1024 };
	struct chan *c = chan_new(HALF);
	uint64_t q_key[QCAP];
	uint32_t q_len[QCAP];
	uint64_t seed = 0x9e3779b97f4a7c15ull, next_key = 1, qhead = 0, qtail = 0;
	uint64_t bytes = 0, eagain = 0;
	uint8_t buf[HALF];
	struct chan_stats st;
	int i;

	(void)state;
	for (i = 0; i < OPS; i++) {
		uint64_t x = rnd(&seed);

		if (x % 100 < 55) {
			uint32_t len = (uint32_t)(rnd(&seed) % (chan_max_record(c) + 1));
			bool was_empty = chan_empty(c);
			uint64_t k = next_key;
			int rc;

			fill(buf, len, k);
			if (x % 3 == 0) {
				rc = chan_put(c, k, (uint32_t)k, buf, len);
			} else if (x % 3 == 1) {
				struct iovec iov[2] = { { buf, len / 3 },
							{ buf + len / 3, len - len / 3 } };

				rc = chan_putv(c, k, (uint32_t)k, iov, 2);
			} else {
				uint8_t *p = chan_reserve(c, len);

				rc = p == NULL ? -errno : 0;
				if (p != NULL) {
					memcpy(p, buf, len);
					chan_commit(c, k, (uint32_t)k);
				}
			}
			if (rc == -EAGAIN) {
				assert_false(was_empty);
				eagain++;
				continue;
			}
			assert_int_equal(rc, 0);
			assert_true(qtail - qhead < QCAP);
			q_key[qtail % QCAP] = k;
			q_len[qtail % QCAP] = len;
			qtail++;
			next_key++;
			bytes += len;
		} else if (qhead < qtail) {
			pop_check(c, q_key[qhead % QCAP], (uint32_t)q_key[qhead % QCAP],
				  q_len[qhead % QCAP]);
			qhead++;
		} else {
			assert_true(chan_empty(c));
		}
	}
	while (qhead < qtail) {
		pop_check(c, q_key[qhead % QCAP], (uint32_t)q_key[qhead % QCAP],
			  q_len[qhead % QCAP]);
		qhead++;
	}
	assert_true(chan_empty(c));
	chan_stats(c, &st);
	assert_int_equal(st.records, next_key - 1);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.full, eagain);
	assert_true(eagain > 0);
	assert_true(st.halves_cleared > 1000);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bad_arguments_rejected),
		cmocka_unit_test(test_put_peek_pop_fifo),
		cmocka_unit_test(test_records_exactly_filling_half_then_next_half),
		cmocka_unit_test(test_record_not_fitting_moves_to_other_half),
		cmocka_unit_test(test_full_eagain_until_consumer_clears),
		cmocka_unit_test(test_oversize_emsgsize),
		cmocka_unit_test(test_zero_length_records_take_a_header),
		cmocka_unit_test(test_putv_gathers_in_order),
		cmocka_unit_test(test_reserve_commit_publishes_in_place),
		cmocka_unit_test(test_reserve_moving_halves_publishes_only_on_commit),
		cmocka_unit_test(test_empty_sees_records_after_a_late_seal),
		cmocka_unit_test(test_wait_without_wake_times_out),
		cmocka_unit_test(test_wake_bumps_sequence_once_when_armed),
		cmocka_unit_test(test_put_wait_times_out_and_publishes_nothing),
		cmocka_unit_test(test_stats_count_everything),
		cmocka_unit_test(test_random_ops_match_fifo_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
