/* SPDX-License-Identifier: BSD-3-Clause */
/* chan.c under threads: several producers, each with its own channel to one consumer
 * (the test's main thread), as the worker sees them. Every record carries (producer,
 * flow, sequence per (producer, flow)) in its key and a length and content derived from
 * the key, so the consumer detects a record lost, duplicated, reordered within its flow,
 * truncated or corrupted.
 *
 *   fifo          producers never block (put, putv, reserve/commit at random, yield on
 *                 -EAGAIN); halves are small so they switch constantly
 *   slow_consumer producers use chan_put_wait with a generous timeout; the consumer
 *                 naps every few records: producers must sleep and be woken, none may
 *                 time out
 *   tiny_timeout  as slow_consumer with a timeout far below the naps: -ETIMEDOUT must
 *                 happen, and the record, sent again after each timeout, must arrive
 *                 once (a timed-out record that was published would arrive twice)
 *   wake_no_room  the consumer calls chan_wake while the channel stays full: chan_wait
 *                 returns anyway, whether the wake comes before or during the sleep
 *   wake_external the water-mark pattern: the producer waits for a credit the consumer
 *                 grants (seq_cst) before chan_wake, every other time while the
 *                 producer holds between its check and its chan_wait; a lost wake-up
 *                 would hang it until the 10 s timeout
 *
 * Sizes are bounded and every scenario has a wall-clock cap; under ThreadSanitizer the
 * counts are halved (scripts/test.sh tsan). CHAN_STRESS_RECORDS overrides the
 * records per producer of the fifo scenario. Threads report errors through the result
 * structs; only the main thread asserts. */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "chan/chan.h"

#ifndef STRESS_DIV
#if defined(__SANITIZE_THREAD__)
#define STRESS_DIV 2
#else
#define STRESS_DIV 1
#endif
#endif

enum {
	NPROD = 4,		/* producers (channels) */
	NFLOW = 8,		/* flows per producer */
	MAXLEN = 300,		/* payload bytes: 1..MAXLEN */
	NO_TIMEOUT_US = 10 * 1000 * 1000,	/* reached only if a wake-up is lost */
};

enum mode {
	MODE_SPIN,		/* put / putv / reserve+commit, yield on -EAGAIN */
	MODE_WAIT,		/* chan_put_wait, retry the same record after -ETIMEDOUT */
};

struct prod {
	pthread_t tid;
	struct chan *c;
	unsigned int id;
	uint64_t n;		/* records to send */
	enum mode mode;
	int64_t timeout_us;
	_Atomic int *stop;
	/* results, read after join */
	uint64_t sent, bytes, eagain, timeouts;
	char err[160];
};

struct scenario {
	const char *name;
	uint32_t half;
	unsigned int nprod;
	uint64_t n;
	enum mode mode;
	int64_t timeout_us;
	uint32_t nap_every;	/* consumer naps after this many records (0: never) */
	uint32_t nap_us;
	double cap_s;		/* wall-clock cap */
};

/* ---- helpers ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
mix(uint64_t x)
{
	/* splitmix64 finalizer */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t
rec_key(unsigned int prod, unsigned int flow, uint64_t seq)
{
	return (uint64_t)prod << 56 | (uint64_t)flow << 40 | seq;
}

static uint32_t
rec_tag(unsigned int prod, unsigned int flow)
{
	return prod << 8 | flow;
}

static uint32_t
rec_len(uint64_t key)
{
	return 1 + (uint32_t)(mix(key) % MAXLEN);
}

/* Content depends on the key and the position, so a record shifted, truncated or
 * swapped with another does not match. */
static void
rec_fill(uint8_t *p, uint64_t key, uint32_t len)
{
	uint64_t h = mix(key ^ 0x5555);
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(h >> ((i & 7) * 8)) ^ (uint8_t)i;
}

static bool
rec_intact(const uint8_t *p, uint64_t key, uint32_t len)
{
	uint8_t want[MAXLEN];

	rec_fill(want, key, len);
	return memcmp(p, want, len) == 0;
}

static struct chan *
chan_new(uint32_t half)
{
	size_t sz = (chan_mem_size(half) + CHAN_CACHE_LINE - 1) & ~(size_t)63;
	void *mem = aligned_alloc(CHAN_CACHE_LINE, sz);

	assert_non_null(mem);
	assert_non_null(chan_init(mem, half));
	return mem;
}

/* ---- producer ---- */

static int
prod_send_spin(struct prod *p, uint64_t key, uint32_t tag, const uint8_t *buf, uint32_t len,
	       uint64_t r)
{
	struct iovec iov[3];
	uint32_t a, b;
	uint8_t *dst;

	switch (r % 3) {
	case 0:
		return chan_put(p->c, key, tag, buf, len);
	case 1:
		a = (uint32_t)((r >> 8) % (len + 1));
		b = a + (uint32_t)((r >> 24) % (len - a + 1));
		iov[0] = (struct iovec){ (void *)(uintptr_t)buf, a };
		iov[1] = (struct iovec){ (void *)(uintptr_t)(buf + a), b - a };
		iov[2] = (struct iovec){ (void *)(uintptr_t)(buf + b), len - b };
		return chan_putv(p->c, key, tag, iov, 3);
	default:
		dst = chan_reserve(p->c, len);
		if (dst == NULL)
			return -errno;
		rec_fill(dst, key, len);	/* written in place, not copied */
		chan_commit(p->c, key, tag);
		return 0;
	}
}

static void *
prod_main(void *arg)
{
	struct prod *p = arg;
	uint64_t seq[NFLOW] = { 0 };
	uint64_t rs = mix(p->id + 1), i;
	uint8_t buf[MAXLEN];

	for (i = 0; i < p->n && !atomic_load(p->stop); i++) {
		uint64_t r = mix(rs + i);
		unsigned int flow = (unsigned int)(r % NFLOW);
		uint64_t key = rec_key(p->id, flow, seq[flow]);
		uint32_t len = rec_len(key);
		int rc;

		rec_fill(buf, key, len);
		for (;;) {
			if (p->mode == MODE_SPIN) {
				rc = prod_send_spin(p, key, rec_tag(p->id, flow), buf, len,
						    r >> 8);
				if (rc == -EAGAIN) {
					p->eagain++;
					sched_yield();
				}
			} else {
				rc = chan_put_wait(p->c, key, rec_tag(p->id, flow), buf, len,
						   p->timeout_us);
				if (rc == -ETIMEDOUT)
					p->timeouts++;
			}
			if ((rc != -EAGAIN && rc != -ETIMEDOUT) || atomic_load(p->stop))
				break;
		}
		if (rc != 0) {
			if (!atomic_load(p->stop))
				snprintf(p->err, sizeof(p->err), "producer %u record %" PRIu64
					 ": %s", p->id, i, strerror(-rc));
			atomic_store(p->stop, 1);
			break;
		}
		seq[flow]++;
		p->sent++;
		p->bytes += len;
	}
	return NULL;
}

/* ---- consumer ---- */

struct cons {
	uint64_t expect[NPROD][NFLOW];	/* next sequence per (producer, flow) */
	uint64_t got;
	char err[160];
};

static bool
cons_check(struct cons *k, unsigned int chan_idx, const struct chan_rec *r)
{
	unsigned int prod = (unsigned int)(r->key >> 56);
	unsigned int flow = (unsigned int)(r->key >> 40) & 0xffff;
	uint64_t seq = r->key & ((1ull << 40) - 1);

	if (prod != chan_idx || flow >= NFLOW) {
		snprintf(k->err, sizeof(k->err), "channel %u: foreign key %#" PRIx64,
			 chan_idx, r->key);
		return false;
	}
	if (seq != k->expect[prod][flow]) {
		snprintf(k->err, sizeof(k->err), "producer %u flow %u: seq %" PRIu64
			 ", expected %" PRIu64 " (%s)", prod, flow, seq, k->expect[prod][flow],
			 seq < k->expect[prod][flow] ? "duplicate" : "lost or reordered");
		return false;
	}
	if (r->tag != rec_tag(prod, flow) || r->len != rec_len(r->key) ||
	    !rec_intact(r->data, r->key, r->len)) {
		snprintf(k->err, sizeof(k->err), "producer %u flow %u seq %" PRIu64
			 ": tag, length or content corrupt", prod, flow, seq);
		return false;
	}
	k->expect[prod][flow]++;
	k->got++;
	return true;
}

static void
scenario_run(const struct scenario *s)
{
	struct chan *c[NPROD];
	struct prod prods[NPROD];
	struct cons *k = calloc(1, sizeof(*k));
	_Atomic int stop = 0;
	uint64_t want = s->n * s->nprod, since_nap = 0, waits = 0, timeouts = 0;
	uint64_t eagain = 0, cleared = 0;
	double t0 = now_s(), elapsed;
	struct chan_stats st;
	unsigned int i;

	assert_non_null(k);
	assert_true(s->nprod <= NPROD);
	memset(prods, 0, sizeof(prods));
	for (i = 0; i < s->nprod; i++) {
		c[i] = chan_new(s->half);
		prods[i] = (struct prod){ .c = c[i], .id = i, .n = s->n, .mode = s->mode,
					  .timeout_us = s->timeout_us, .stop = &stop };
		assert_int_equal(pthread_create(&prods[i].tid, NULL, prod_main, &prods[i]), 0);
	}

	/* The worker: drain each channel in turn, a batch at a time. */
	while (k->got < want && !atomic_load(&stop)) {
		uint64_t before = k->got;

		for (i = 0; i < s->nprod && !atomic_load(&stop); i++) {
			struct chan_rec r;
			int batch;

			for (batch = 0; batch < 64 && chan_peek(c[i], &r); batch++) {
				if (!cons_check(k, i, &r)) {
					atomic_store(&stop, 1);
					break;
				}
				chan_pop(c[i]);
				if (s->nap_every != 0 && ++since_nap == s->nap_every) {
					since_nap = 0;
					usleep(s->nap_us);
				}
			}
		}
		if (now_s() - t0 > s->cap_s) {
			snprintf(k->err, sizeof(k->err), "over the %.0f s cap with %" PRIu64
				 " of %" PRIu64 " records", s->cap_s, k->got, want);
			atomic_store(&stop, 1);
		}
		if (k->got == before)
			sched_yield();
	}
	for (i = 0; i < s->nprod; i++)
		assert_int_equal(pthread_join(prods[i].tid, NULL), 0);
	elapsed = now_s() - t0;

	for (i = 0; i < s->nprod; i++)
		if (prods[i].err[0] != '\0')
			fail_msg("%s: %s", s->name, prods[i].err);
	if (k->err[0] != '\0')
		fail_msg("%s: %s", s->name, k->err);
	assert_int_equal(k->got, want);
	for (i = 0; i < s->nprod; i++) {
		unsigned int f;
		uint64_t sum = 0;

		assert_true(chan_empty(c[i]));
		for (f = 0; f < NFLOW; f++)
			sum += k->expect[i][f];
		assert_int_equal(sum, s->n);
		chan_stats(c[i], &st);
		assert_int_equal(prods[i].sent, s->n);
		assert_int_equal(st.records, s->n);
		assert_int_equal(st.bytes, prods[i].bytes);
		assert_int_equal(st.full, prods[i].eagain);
		assert_int_equal(st.timeouts, prods[i].timeouts);
		waits += st.waits;
		timeouts += st.timeouts;
		eagain += st.full;
		cleared += st.halves_cleared;
		free(c[i]);
	}
	printf("%s: %u x %" PRIu64 " records in %.2f s; half %u B, %" PRIu64
	       " halves cleared, %" PRIu64 " EAGAIN, %" PRIu64 " waits, %" PRIu64
	       " timeouts\n", s->name, s->nprod, s->n, elapsed, s->half, cleared, eagain,
	       waits, timeouts);

	if (s->mode == MODE_WAIT && s->timeout_us >= NO_TIMEOUT_US) {
		assert_true(waits > 0);
		assert_int_equal(timeouts, 0);
	} else if (s->mode == MODE_WAIT) {
		assert_true(timeouts > 0);
	}
	free(k);
}

/* ---- scenarios ---- */

static uint64_t
fifo_records(void)
{
	const char *e = getenv("CHAN_STRESS_RECORDS");

	if (e != NULL && atoll(e) > 0)
		return (uint64_t)atoll(e);
	return 200000 / STRESS_DIV;
}

static void
test_stress_fifo_exactly_once(void **state)
{
	const struct scenario s = {
		.name = "fifo", .half = 4096, .nprod = NPROD, .n = fifo_records(),
		.mode = MODE_SPIN, .cap_s = 50,
	};

	(void)state;
	scenario_run(&s);
}

static void
test_stress_slow_consumer_producers_block_and_wake(void **state)
{
	const struct scenario s = {
		.name = "slow_consumer", .half = 1024, .nprod = NPROD, .n = 10000 / STRESS_DIV,
		.mode = MODE_WAIT, .timeout_us = NO_TIMEOUT_US,
		.nap_every = 128, .nap_us = 1000, .cap_s = 30,
	};

	(void)state;
	scenario_run(&s);
}

static void
test_stress_tiny_timeout_publishes_nothing(void **state)
{
	const struct scenario s = {
		.name = "tiny_timeout", .half = 1024, .nprod = 2, .n = 3000 / STRESS_DIV,
		.mode = MODE_WAIT, .timeout_us = 20,
		.nap_every = 64, .nap_us = 2000, .cap_s = 30,
	};

	(void)state;
	scenario_run(&s);
}

/* wake_no_room and wake_external: one producer thread and the main thread in lock step
 * through counters; the main thread plays the worker. */
struct waker {
	struct chan *c;
	uint64_t n;
	_Atomic uint64_t armed;		/* producer: iterations that have their seq */
	_Atomic uint64_t returned;	/* producer: iterations whose chan_wait returned */
	_Atomic uint64_t woke;		/* consumer: iterations it has called chan_wake for */
	_Atomic int64_t credit;		/* wake_external: what the producer waits for */
	_Atomic int stop;
	uint64_t woken;
	char err[160];
};

/* Spin (yielding) until *v reaches want or the producer stopped; false after cap_s. */
static bool
await(_Atomic uint64_t *v, uint64_t want, _Atomic int *stop, double t0, double cap_s)
{
	while (atomic_load(v) < want && !atomic_load(stop)) {
		if (now_s() - t0 > cap_s)
			return false;
		sched_yield();
	}
	return atomic_load(v) >= want;
}

static void *
wait_no_room_main(void *arg)
{
	struct waker *w = arg;
	uint64_t i;

	for (i = 0; i < w->n && !atomic_load(&w->stop); i++) {
		uint32_t seq = chan_wake_seq(w->c);
		int rc;

		atomic_store(&w->armed, i + 1);
		/* Every 16th time hold still until the wake has happened, as a producer
		 * preempted before chan_wait: the wait must then end at once. */
		if (i % 16 == 8 && !await(&w->woke, i + 1, &w->stop, now_s(), 20)) {
			snprintf(w->err, sizeof(w->err), "iteration %" PRIu64 ": no wake", i);
			break;
		}
		rc = chan_wait(w->c, seq, NO_TIMEOUT_US);
		if (rc != 0) {
			snprintf(w->err, sizeof(w->err), "iteration %" PRIu64 ": %s", i,
				 strerror(-rc));
			break;
		}
		/* Woken, yet the channel is still full: the wake alone ended the wait. */
		if (chan_put(w->c, 99, 0, NULL, 0) != -EAGAIN) {
			snprintf(w->err, sizeof(w->err), "iteration %" PRIu64 ": room appeared", i);
			break;
		}
		atomic_store(&w->returned, i + 1);
	}
	atomic_store(&w->stop, 1);
	return NULL;
}

static void
test_stress_wake_without_room_ends_wait(void **state)
{
	struct waker w = { .c = chan_new(64), .n = 2000 / STRESS_DIV };
	double t0 = now_s();
	struct chan_stats st;
	pthread_t tid;
	uint64_t i;

	(void)state;
	/* Fill both halves: 4 + 4 zero-length records. */
	for (i = 0; i < 8; i++)
		assert_int_equal(chan_put(w.c, 1 + i, 0, NULL, 0), 0);
	assert_int_equal(chan_put(w.c, 9, 0, NULL, 0), -EAGAIN);

	assert_int_equal(pthread_create(&tid, NULL, wait_no_room_main, &w), 0);
	for (i = 0; i < w.n; i++) {
		if (!await(&w.armed, i + 1, &w.stop, t0, 20))
			break;
		/* Mostly wake at once, racing the producer into chan_wait; every 16th time
		 * let it fall asleep first; every 16th (offset 8) it waits for this wake
		 * before its chan_wait. */
		if (i % 16 == 0)
			usleep(1000);
		chan_wake(w.c);
		atomic_store(&w.woke, i + 1);
		if (!await(&w.returned, i + 1, &w.stop, t0, 20))
			break;
	}
	atomic_store(&w.stop, 1);
	chan_wake(w.c);
	assert_int_equal(pthread_join(tid, NULL), 0);
	if (w.err[0] != '\0')
		fail_msg("wake_no_room: %s", w.err);
	assert_int_equal(atomic_load(&w.returned), w.n);
	chan_stats(w.c, &st);
	printf("wake_no_room: %" PRIu64 " wakes in %.2f s, %" PRIu64 " waits\n",
	       w.n, now_s() - t0, st.waits);
	assert_int_equal(st.timeouts, 0);
	assert_true(st.waits > 0);
	assert_true(st.waits <= w.n);
	assert_int_equal(st.records, 8);
	assert_int_equal(st.halves_cleared, 0);
	free(w.c);
}

static void *
wait_external_main(void *arg)
{
	struct waker *w = arg;
	uint64_t i;

	for (i = 0; i < w->n && !atomic_load(&w->stop); i++) {
		bool held = false;

		/* The integration's pattern for a water mark: seq, check, wait, re-check. */
		for (;;) {
			uint32_t seq = chan_wake_seq(w->c);
			int rc;

			if (atomic_load(&w->credit) > 0)
				break;
			/* Every other time, hold still after the first failed check until
			 * the consumer has granted the credit and called chan_wake, as a
			 * producer preempted between its check and its wait: only the arm in
			 * chan_wake_seq makes that chan_wait return. */
			if (i % 2 == 1 && !held) {
				held = true;
				atomic_store(&w->armed, i + 1);
				if (!await(&w->woke, i + 1, &w->stop, now_s(), 20)) {
					snprintf(w->err, sizeof(w->err), "iteration %" PRIu64
						 ": no credit", i);
					return NULL;
				}
			}
			rc = chan_wait(w->c, seq, NO_TIMEOUT_US);
			if (rc != 0 || atomic_load(&w->stop)) {
				snprintf(w->err, sizeof(w->err), "iteration %" PRIu64
					 ": %s (lost wake-up)", i, rc ? strerror(-rc) : "stopped");
				atomic_store(&w->stop, 1);
				return NULL;
			}
			w->woken++;
		}
		atomic_fetch_sub(&w->credit, 1);
		atomic_store(&w->returned, i + 1);
	}
	return NULL;
}

static void
test_stress_wake_external_condition_not_lost(void **state)
{
	struct waker w = { .c = chan_new(64), .n = 20000 / STRESS_DIV };
	double t0 = now_s();
	struct chan_stats st;
	pthread_t tid;
	uint64_t i;

	(void)state;
	assert_int_equal(pthread_create(&tid, NULL, wait_external_main, &w), 0);
	for (i = 0; i < w.n; i++) {
		/* Grant one credit once the previous one is used, with a seq_cst RMW
		 * before chan_wake, as chan.h requires. */
		if (!await(&w.returned, i, &w.stop, t0, 30))
			break;
		if (i % 2 == 1 && !await(&w.armed, i + 1, &w.stop, t0, 30))
			break;
		atomic_fetch_add(&w.credit, 1);
		chan_wake(w.c);
		atomic_store(&w.woke, i + 1);
	}
	await(&w.returned, w.n, &w.stop, t0, 30);
	atomic_store(&w.stop, 1);
	chan_wake(w.c);
	assert_int_equal(pthread_join(tid, NULL), 0);
	if (w.err[0] != '\0')
		fail_msg("wake_external: %s", w.err);
	assert_int_equal(atomic_load(&w.returned), w.n);
	assert_int_equal(atomic_load(&w.credit), 0);
	chan_stats(w.c, &st);
	printf("wake_external: %" PRIu64 " credits in %.2f s, %" PRIu64 " wake-ups, %" PRIu64
	       " waits\n", w.n, now_s() - t0, w.woken, st.waits);
	assert_int_equal(st.timeouts, 0);
	assert_true(w.woken > 0);
	free(w.c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_fifo_exactly_once),
		cmocka_unit_test(test_stress_slow_consumer_producers_block_and_wake),
		cmocka_unit_test(test_stress_tiny_timeout_publishes_nothing),
		cmocka_unit_test(test_stress_wake_without_room_ends_wait),
		cmocka_unit_test(test_stress_wake_external_condition_not_lost),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
