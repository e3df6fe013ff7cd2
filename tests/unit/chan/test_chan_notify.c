/* SPDX-License-Identifier: BSD-3-Clause */
/* chan.c's wake-up shared by several channels (struct chan_notify), the way a producer
 * thread serving many connections uses it (sl_producer_wait, sl_producer_fd):
 *
 *   - a wake between the refusal (arm, check) and the wait is not lost: the wait returns
 *     at once; a wake from any of the channels sharing it counts; concurrent wakes of
 *     one arm bump the sequence once; the eventfd is readable exactly after a bump;
 *   - fan-out under threads: one producer, several consumers (one channel each, one
 *     shared wake-up), each consumer with a water mark the producer must respect (a
 *     credit counter, refused at HIGH, woken at LOW, like lib/api/wmark.h), and one
 *     consumer that never reads until the others are done. The producer never blocks on
 *     one consumer: it puts without waiting, keeps what was refused and, after a pass in
 *     which nobody took anything, waits on the shared wake-up -- with the futex, or in
 *     poll(2) on the eventfd. Every record arrives once and in order; a wait that runs
 *     into its 10 s timeout while consumers still drain would be a lost wake-up and
 *     fails the test.
 *
 * No DPDK: scripts/test.sh tsan builds it with ThreadSanitizer, like the other channel
 * tests. */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
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

#if defined(__SANITIZE_THREAD__)
#define NOTIFY_DIV 4
#else
#define NOTIFY_DIV 1
#endif

enum {
	NCONS = 4,			/* consumers; the last one stalls */
	HALF = 2048,			/* bytes per half: the channel fills too */
	HIGH = 3000,			/* a consumer's water marks, bytes */
	LOW = 1000,
	LOST_US = 10 * 1000 * 1000,	/* a wait this long means a lost wake-up */
	RECORDS = 40000 / NOTIFY_DIV,	/* per healthy consumer */
};

static struct chan *
chan_new(void)
{
	void *mem = NULL;

	assert_int_equal(posix_memalign(&mem, CHAN_CACHE_LINE, chan_mem_size(HALF)), 0);
	return chan_init(mem, HALF);
}

static bool
readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* ---- one thread ---- */

static void
test_wake_between_refusal_and_wait_is_not_lost(void **state)
{
	struct chan_notify nt;
	uint32_t seq;

	(void)state;
	chan_notify_init(&nt);
	seq = chan_notify_arm(&nt);		/* the refusal's arm, before its check */
	chan_notify_wake(&nt);			/* the consumer drains before the wait */
	assert_int_equal(chan_notify_wait(&nt, seq, LOST_US, NULL), 0);	/* at once */
	/* Nothing since: a short wait times out. */
	seq = chan_notify_arm(&nt);
	assert_int_equal(chan_notify_wait(&nt, seq, 2000, NULL), -ETIMEDOUT);
}

static void
test_any_channel_sharing_it_wakes(void **state)
{
	struct chan *a = chan_new(), *b = chan_new();
	struct chan_notify nt;
	struct chan_rec r;
	uint8_t big[HALF - 16];
	uint32_t seq;

	(void)state;
	chan_notify_init(&nt);
	chan_set_notify(a, &nt);
	chan_set_notify(b, &nt);
	assert_ptr_equal(chan_get_notify(a), &nt);
	memset(big, 7, sizeof(big));
	/* Fill b: a half, then the other. */
	assert_int_equal(chan_put(b, 1, 0, big, sizeof(big)), 0);
	assert_int_equal(chan_put(b, 2, 0, big, sizeof(big)), 0);
	seq = chan_wake_seq(a);			/* armed through a: the same word */
	assert_int_equal(chan_put(b, 3, 0, big, sizeof(big)), -EAGAIN);
	/* b's consumer clears a half: the wait that a's arm set up returns. */
	assert_true(chan_peek(b, &r));
	chan_pop(b);
	assert_int_equal(chan_notify_wait(&nt, seq, LOST_US, NULL), 0);
	assert_int_equal(chan_put(b, 3, 0, big, sizeof(big)), 0);
	free(a);
	free(b);
}

static void
test_fd_readable_after_a_bump_only(void **state)
{
	struct chan_notify nt;
	int fd;

	(void)state;
	chan_notify_init(&nt);
	fd = chan_notify_fd_open(&nt);
	assert_true(fd >= 0);
	assert_int_equal(chan_notify_fd_open(&nt), fd);	/* idempotent */
	chan_notify_wake(&nt);			/* not armed: nothing */
	assert_false(readable(fd));
	(void)chan_notify_arm(&nt);
	chan_notify_wake(&nt);
	assert_true(readable(fd));
	chan_notify_wake(&nt);			/* disarmed by the bump: no second write */
	chan_notify_fd_drain(&nt);
	assert_false(readable(fd));
	chan_notify_fd_close(&nt);
}

/* ---- concurrent wakes of one arm ---- */

struct waker {
	pthread_t tid;
	struct chan_notify *nt;
	_Atomic uint32_t *go;		/* round to wake in */
	_Atomic uint32_t *done;		/* wakers done with the round */
	uint32_t rounds;
};

static void *
waker_main(void *arg)
{
	struct waker *wk = arg;
	uint32_t r;

	for (r = 1; r <= wk->rounds; r++) {
		while (atomic_load(wk->go) < r)
			sched_yield();
		chan_notify_wake(wk->nt);
		atomic_fetch_add(wk->done, 1);
	}
	return NULL;
}

static void
test_concurrent_wakes_bump_once_per_arm(void **state)
{
	enum { WAKERS = 3, ROUNDS = 2000 / NOTIFY_DIV };
	struct waker wk[WAKERS];
	_Atomic uint32_t go = 0, done = 0;
	struct chan_notify nt;
	uint32_t r, i, seq;

	(void)state;
	chan_notify_init(&nt);
	for (i = 0; i < WAKERS; i++) {
		wk[i] = (struct waker){ .nt = &nt, .go = &go, .done = &done, .rounds = ROUNDS };
		assert_int_equal(pthread_create(&wk[i].tid, NULL, waker_main, &wk[i]), 0);
	}
	for (r = 1; r <= ROUNDS; r++) {
		seq = chan_notify_arm(&nt);
		atomic_store(&go, r);
		assert_int_equal(chan_notify_wait(&nt, seq, LOST_US, NULL), 0);
		while (atomic_load(&done) < r * WAKERS)
			sched_yield();
		/* One arm, several wakes: the sequence moved by one. */
		assert_int_equal(atomic_load(&nt.wake) >> 1, seq + 1);
	}
	for (i = 0; i < WAKERS; i++)
		pthread_join(wk[i].tid, NULL);
	assert_int_equal(atomic_load(&nt.bumps), ROUNDS);
}

/* ---- fan-out: one producer, several consumers, one of them stalled ---- */

struct cons {
	pthread_t tid;
	unsigned int id;
	struct chan *c;
	_Atomic uint32_t queued;	/* the water mark count: bytes put, not yet popped */
	_Atomic uint32_t want;		/* the producer was refused at HIGH (wmark's WAIT) */
	_Atomic int *stall;		/* the stalled consumer reads once this is 0 */
	_Atomic int *stop;
	_Atomic uint64_t got;		/* read by the main thread while it runs */
	uint64_t expect;		/* next sequence */
	char err[120];
};

static uint32_t
rec_len(uint64_t seq)
{
	return 8 + (uint32_t)(seq * 37 % 200);
}

static void *
cons_main(void *arg)
{
	struct cons *k = arg;
	unsigned int nap = 0;
	struct chan_rec r;

	while (!atomic_load(k->stop)) {
		if (k->stall != NULL && atomic_load(k->stall)) {
			sched_yield();
			continue;
		}
		if (!chan_peek(k->c, &r)) {
			sched_yield();
			continue;
		}
		if (r.key != k->expect || r.len != rec_len(r.key) ||
		    r.data[r.len - 1] != (uint8_t)(r.key + k->id)) {
			snprintf(k->err, sizeof(k->err), "consumer %u: record %" PRIu64
				 " (len %u), expected %" PRIu64, k->id, r.key, r.len, k->expect);
			atomic_store(k->stop, 1);
			break;
		}
		chan_pop(k->c);
		k->expect++;
		k->got++;
		/* The water mark: give the bytes back (seq_cst, the condition change), and at
		 * the low mark after a refusal wake the producer, like wmark_put. */
		if (atomic_fetch_sub(&k->queued, r.len) - r.len <= LOW &&
		    atomic_exchange(&k->want, 0))
			chan_wake(k->c);
		if (++nap % 97 == 0)
			usleep(50);		/* slower than the producer: it must wait */
	}
	return NULL;
}

struct fanout_result {
	uint64_t refused, waits, lost;
};

/* The producer's pass over the consumers: put what fits without waiting, never more than
 * a burst per consumer. Returns whether anyone took anything; *seq, *refused as
 * producer.c keeps them (the first refusal's arm). */
static bool
fanout_pass(struct cons *ks, uint64_t *next, uint64_t limit, bool *refused, uint32_t *seq,
	    struct fanout_result *res)
{
	bool took = false;
	unsigned int i, b;

	for (i = 0; i < NCONS; i++) {
		struct cons *k = &ks[i];

		for (b = 0; b < 16 && next[i] < limit; b++) {
			uint64_t s = next[i];
			uint32_t len = rec_len(s), armed_seq = 0;
			int attempt, ok = 0;
			void *dst;

			/* Try, arm, try again: the refusal's wake-up is armed before its last
			 * check, so a drain after it moves the sequence. */
			for (attempt = 0; attempt < 2 && !ok; attempt++) {
				if (attempt == 1)
					armed_seq = chan_notify_arm(chan_get_notify(k->c));
				if (atomic_load(&k->queued) >= HIGH) {
					atomic_store(&k->want, 1);
					/* Re-check after raising want (the consumer may have
					 * drained past LOW before seeing it). */
					if (atomic_load(&k->queued) >= HIGH)
						continue;
				}
				/* Room first, then count, then publish (producer.c's order):
				 * the consumer never gives back bytes not yet counted. */
				dst = chan_reserve(k->c, len);
				if (dst != NULL) {
					atomic_fetch_add(&k->queued, len);
					memset(dst, (uint8_t)(s + k->id), len);
					chan_commit(k->c, s, 0);
					ok = 1;
				}
			}
			if (!ok) {
				res->refused++;
				if (!*refused) {
					*refused = true;
					*seq = armed_seq;
				}
				break;
			}
			next[i]++;
			took = true;
		}
	}
	return took;
}

static void
fanout(bool use_fd)
{
	struct cons ks[NCONS];
	struct chan_notify nt;
	_Atomic int stop = 0, stall = 1;
	struct fanout_result res = { 0 };
	uint64_t next[NCONS] = { 0 };
	bool refused = false;
	uint32_t seq = 0;
	unsigned int i;
	int fd = -1;
	time_t t0 = time(NULL);

	chan_notify_init(&nt);
	if (use_fd) {
		fd = chan_notify_fd_open(&nt);
		assert_true(fd >= 0);
	}
	for (i = 0; i < NCONS; i++) {
		ks[i] = (struct cons){ .id = i, .c = chan_new(), .stop = &stop };
		chan_set_notify(ks[i].c, &nt);
		ks[i].stall = i == NCONS - 1 ? &stall : NULL;
		assert_int_equal(pthread_create(&ks[i].tid, NULL, cons_main, &ks[i]), 0);
	}
	/* Until the healthy consumers have everything (the stalled one is never done). */
	for (;;) {
		bool healthy_done = true;

		for (i = 0; i + 1 < NCONS; i++)
			if (next[i] < RECORDS)
				healthy_done = false;
		if (healthy_done || atomic_load(&stop) || time(NULL) - t0 > 60)
			break;
		if (fanout_pass(ks, next, RECORDS, &refused, &seq, &res) || !refused)
			continue;
		/* Nobody took anything: wait on the shared wake-up, never on one consumer. */
		res.waits++;
		if (!use_fd) {
			if (chan_notify_wait(&nt, seq, LOST_US, NULL) != 0)
				res.lost++;
		} else {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			/* As sl_producer_wait: empty the fd, check, then sleep in poll. */
			chan_notify_fd_drain(&nt);
			if (chan_notify_wait(&nt, seq, 0, NULL) != 0 &&
			    poll(&pfd, 1, LOST_US / 1000) == 0)
				res.lost++;
		}
		refused = false;
	}
	/* The healthy ones drain what is left; then the stalled one reads everything. */
	for (i = 0; i + 1 < NCONS; i++)
		while (ks[i].got < next[i] && !atomic_load(&stop) && time(NULL) - t0 < 90)
			sched_yield();
	atomic_store(&stall, 0);
	while (ks[NCONS - 1].got < next[NCONS - 1] && !atomic_load(&stop) &&
	       time(NULL) - t0 < 90)
		sched_yield();
	atomic_store(&stop, 1);
	for (i = 0; i < NCONS; i++)
		pthread_join(ks[i].tid, NULL);
	printf("fanout_%s: %u healthy x %u records, stalled one took %" PRIu64 " before "
	       "its water mark; %" PRIu64 " refusals, %" PRIu64 " waits, %" PRIu64
	       " bumps, %" PRIu64 " lost\n", use_fd ? "eventfd" : "futex", NCONS - 1,
	       RECORDS, next[NCONS - 1], res.refused, res.waits, atomic_load(&nt.bumps),
	       res.lost);
	for (i = 0; i < NCONS; i++) {
		if (ks[i].err[0] != '\0')
			fail_msg("%s", ks[i].err);
		assert_int_equal(ks[i].got, next[i]);
		if (i + 1 < NCONS)
			assert_int_equal(next[i], RECORDS);
		free(ks[i].c);
	}
	/* The stalled consumer took only up to its high mark (plus one record). */
	assert_true(next[NCONS - 1] > 0 && next[NCONS - 1] < RECORDS);
	assert_int_equal(res.lost, 0);
	assert_true(res.waits > 0);		/* the producer did sleep */
	if (use_fd)
		chan_notify_fd_close(&nt);
}

static void
test_fanout_one_stalled_futex(void **state)
{
	(void)state;
	fanout(false);
}

static void
test_fanout_one_stalled_eventfd(void **state)
{
	(void)state;
	fanout(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_between_refusal_and_wait_is_not_lost),
		cmocka_unit_test(test_any_channel_sharing_it_wakes),
		cmocka_unit_test(test_fd_readable_after_a_bump_only),
		cmocka_unit_test(test_concurrent_wakes_bump_once_per_arm),
		cmocka_unit_test(test_fanout_one_stalled_futex),
		cmocka_unit_test(test_fanout_one_stalled_eventfd),
	};

	return cmocka_run_group_tests_name("test_chan_notify", tests, NULL, NULL);
}
