/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * chan.c -- the cross-thread send channel (see chan.h).
 *
 * producer thread: chan_put / chan_putv / chan_reserve + chan_commit / chan_put_wait
 *     -> two halves of records ->
 * worker, once per poll iteration: chan_peek, chan_pop, ... until chan_peek says none;
 *     chan_wake when something a producer may wait for changed (water marks)
 *
 * Memory-ordering protocol. wr[h] is half h's published end: the offset after its last
 * committed record, ORed with SEALED once the producer has left the half for good, and 0
 * once the consumer has cleared it.
 *
 * 1. Publication. The producer writes a record (header, payload) with plain stores above
 *    wr[h], then release-stores the new end into wr[h]: every record is visible as soon
 *    as it is committed, so a producer that goes idle strands nothing. The consumer
 *    acquire-loads wr[h] and reads only below the end it loaded; everything there was
 *    written before the release store it synchronized with, and the producer only ever
 *    writes above what it has published. That is why the consumer may read the half the
 *    producer is still appending to: the two never touch the same bytes.
 *
 * 2. Sealing. When a record does not fit, the producer switches halves only if the other
 *    is cleared (wr[other] == 0), and first release-stores end | SEALED into the half it
 *    leaves: its last store to that half until the consumer clears it. A consumer that
 *    has read up to end and sees SEALED knows nothing more comes there. Sealed halves are
 *    never empty: any record that passes the size check fits an empty half.
 *
 * 3. Clearing ("clear is an index reset"). After its last read of a sealed half, the
 *    consumer stores 0 into wr[h] (seq_cst, which includes release); the producer loads
 *    that 0 (seq_cst, which includes acquire) before it writes there again, so the
 *    consumer's reads happen before the producer's overwrites. wr[h] has one writer at a
 *    time: the producer from the 0 it observed until its seal, the consumer from the seal
 *    it observed until its 0. Plain stores suffice; no read-modify-write on the data path.
 *
 * 4. Wake-up (an eventcount). wake = (seq << 1) | ARMED. A producer about to wait arms
 *    first (chan_wake_seq: atomic OR, returning seq), then checks its condition (room, a
 *    water mark), then sleeps in chan_wait(seq) while wake's seq is unchanged. The
 *    consumer changes the condition (clears a half, lowers a water mark), then chan_wake
 *    loads wake: not armed, it returns (the single load of the fast path); armed, one
 *    atomic add of 1 bumps seq and clears ARMED together, and a futex wake follows if
 *    someone sleeps. No lost wake-up: the arm, the producer's check, the condition change
 *    and chan_wake's load are all seq_cst, so in their single total order either the
 *    consumer's load comes after the arm (it sees ARMED and bumps seq, or seq was already
 *    bumped since the arm; either way chan_wait(seq) returns, however late it is
 *    entered), or it comes before the arm, and then the condition change precedes the
 *    producer's check, which sees it and does not wait. Only the consumer clears ARMED
 *    and only by bumping, so a producer re-arming is never undone. The wake-up may be
 *    shared by several channels, and so by several consumers (struct chan_notify: one
 *    producer thread writing to many workers waits for any of them): a consumer bumps
 *    with a compare-and-swap that expects ARMED, so one bump is made per arm and a
 *    consumer that loses the race sees the sequence already moved.
 *    The arm is in chan_wake_seq, not only in chan_wait, because registering in
 *    chan_wait is too late: a chan_wake between the producer's check and its chan_wait
 *    would find no waiter, do nothing (its fast path leaves no trace) and the producer
 *    would sleep through it. A producer that arms and then needs no wait leaves ARMED
 *    set; the consumer's next chan_wake pays one add for it.
 *    Sleeping: the producer increments sleepers, re-reads wake and futex-waits on the
 *    value it read (the kernel sleeps only if the word still holds it); the consumer
 *    bumps, then reads sleepers. Again one total order: either the consumer sees the
 *    sleeper and calls futex_wake, or the producer's re-read sees the bump.
 *
 * 5. Counters have one writer each and are read relaxed: statistics, not synchronization.
 *
 * The futex only puts a thread to sleep; no data is passed through it (all ordering is
 * the atomics above), which is why ThreadSanitizer, which does not model futexes, can
 * check this file. It is a private futex: both sides are threads of one process.
 */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chan/chan.h"

#define CHAN_SEALED (1u << 31)
#define CHAN_ARMED 1u
#define CHAN_NO_RESV UINT32_MAX
#define CHAN_HDR ((uint32_t)sizeof(struct chan_hdr))
#define CHAN_FOREVER UINT64_MAX

static_assert(sizeof(struct chan_hdr) == 16, "record header is 16 bytes");
static_assert(sizeof(struct chan) % CHAN_CACHE_LINE == 0, "halves start on a cache line");
static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "futex word is 32 bits");
static_assert(CHAN_HALF_MAX < CHAN_SEALED, "offsets stay clear of the seal bit");

/* Bytes a record with a len-byte payload takes in a half. len <= CHAN_HALF_MAX: no
 * overflow. */
static inline uint32_t
chan_rec_size(uint32_t len)
{
	return CHAN_HDR + ((len + 7u) & ~7u);
}

static inline uint8_t *
chan_at(const struct chan *c, uint32_t half, uint32_t off)
{
	return c->base + (size_t)half * c->half_bytes + off;
}

/* One writer per counter: a plain add published relaxed, no locked instruction. */
static inline void
chan_count(_Atomic uint64_t *ctr, uint64_t n)
{
	atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static uint64_t
chan_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Absolute deadline for a timeout in microseconds (< 0: forever). */
static uint64_t
chan_deadline(int64_t timeout_us)
{
	if (timeout_us < 0 || (uint64_t)timeout_us > (CHAN_FOREVER - chan_now_ns()) / 1000)
		return CHAN_FOREVER;
	return chan_now_ns() + (uint64_t)timeout_us * 1000;
}

size_t
chan_mem_size(uint32_t half_bytes)
{
	if (half_bytes < CHAN_HALF_MIN || half_bytes > CHAN_HALF_MAX || half_bytes % 8 != 0)
		return 0;
	return sizeof(struct chan) + 2 * (size_t)half_bytes;
}

struct chan *
chan_init(void *mem, uint32_t half_bytes)
{
	struct chan *c = mem;

	if (mem == NULL || (uintptr_t)mem % CHAN_CACHE_LINE != 0 ||
	    chan_mem_size(half_bytes) == 0) {
		errno = EINVAL;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->base = (uint8_t *)mem + sizeof(*c);
	c->half_bytes = half_bytes;
	c->p_resv = CHAN_NO_RESV;
	/* Half 0 is where both sides start; half 1 begins cleared, so the producer may move
	 * there as soon as half 0 is full. */
	atomic_init(&c->wr[0], 0);
	atomic_init(&c->wr[1], 0);
	chan_notify_init(&c->own);
	c->nt = &c->own;
	atomic_init(&c->records, 0);
	atomic_init(&c->bytes, 0);
	atomic_init(&c->full, 0);
	atomic_init(&c->waits, 0);
	atomic_init(&c->timeouts, 0);
	atomic_init(&c->halves_cleared, 0);
	return c;
}

uint32_t
chan_max_record(const struct chan *c)
{
	return c->half_bytes - CHAN_HDR;
}

/* ---- producer ---- */

/* Make room for rsize bytes at p_pos: stay in the current half if they fit, otherwise
 * seal it and move to the other half if the consumer has cleared that one. 0 or
 * -EAGAIN; nothing changes on -EAGAIN. */
static int
chan_room(struct chan *c, uint32_t rsize)
{
	uint32_t other = c->p_half ^ 1;

	if (c->half_bytes - c->p_pos >= rsize)
		return 0;
	/* Acquire: the consumer's reads of that half happened before its clear. seq_cst:
	 * this is the condition check of the wake-up protocol (4), after the arm in
	 * chan_put_wait. */
	if (atomic_load_explicit(&c->wr[other], memory_order_seq_cst) != 0)
		return -EAGAIN;
	atomic_store_explicit(&c->wr[c->p_half], c->p_pos | CHAN_SEALED, memory_order_release);
	c->p_half = other;
	c->p_pos = 0;
	return 0;
}

/* Reserve len payload bytes: where to write them, or NULL with *err. */
static void *
chan_claim(struct chan *c, uint32_t len, int *err)
{
	if (len > chan_max_record(c)) {
		*err = EMSGSIZE;
		return NULL;
	}
	if (chan_room(c, chan_rec_size(len)) != 0) {
		*err = EAGAIN;
		return NULL;
	}
	c->p_resv = len;
	return chan_at(c, c->p_half, c->p_pos + CHAN_HDR);
}

void *
chan_reserve(struct chan *c, uint32_t len)
{
	int err;
	void *p = chan_claim(c, len, &err);

	if (p == NULL) {
		if (err == EAGAIN)
			chan_count(&c->full, 1);
		errno = err;
	}
	return p;
}

void
chan_commit(struct chan *c, uint64_t key, uint32_t tag)
{
	uint32_t len = c->p_resv;
	struct chan_hdr *h;

	assert(len != CHAN_NO_RESV);
	h = (struct chan_hdr *)(void *)chan_at(c, c->p_half, c->p_pos);
	h->len = len;
	h->tag = tag;
	h->key = key;
	c->p_pos += chan_rec_size(len);
	c->p_resv = CHAN_NO_RESV;
	/* Publishes the header and payload written above (protocol 1). */
	atomic_store_explicit(&c->wr[c->p_half], c->p_pos, memory_order_release);
	chan_count(&c->records, 1);
	chan_count(&c->bytes, len);
}

/* chan_put without counting -EAGAIN: chan_put_wait's retries are not "full" returns. */
static int
chan_put_try(struct chan *c, uint64_t key, uint32_t tag, const void *data, uint32_t len)
{
	int err;
	void *p = chan_claim(c, len, &err);

	if (p == NULL)
		return -err;
	if (len != 0)
		memcpy(p, data, len);
	chan_commit(c, key, tag);
	return 0;
}

int
chan_put(struct chan *c, uint64_t key, uint32_t tag, const void *data, uint32_t len)
{
	int rc = chan_put_try(c, key, tag, data, len);

	if (rc == -EAGAIN)
		chan_count(&c->full, 1);
	return rc;
}

int
chan_putv(struct chan *c, uint64_t key, uint32_t tag, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	uint8_t *p;
	int err, i;

	if (iovcnt < 0)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		/* Stop summing once past the limit, so the sum cannot wrap. */
		if (iov[i].iov_len > chan_max_record(c) - total)
			return -EMSGSIZE;
		total += iov[i].iov_len;
	}
	p = chan_claim(c, (uint32_t)total, &err);
	if (p == NULL) {
		if (err == EAGAIN)
			chan_count(&c->full, 1);
		return -err;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len != 0)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	chan_commit(c, key, tag);
	return 0;
}

/* ---- wake-ups ---- */

void
chan_notify_init(struct chan_notify *n)
{
	atomic_init(&n->wake, 0);
	atomic_init(&n->sleepers, 0);
	atomic_init(&n->efd, -1);
	atomic_init(&n->bumps, 0);
}

void
chan_set_notify(struct chan *c, struct chan_notify *n)
{
	c->nt = n;
}

struct chan_notify *
chan_get_notify(struct chan *c)
{
	return c->nt;
}

uint32_t
chan_notify_arm(struct chan_notify *n)
{
	/* The arm of protocol 4: it must precede the caller's condition check in the
	 * total order, hence a seq_cst RMW rather than a load. */
	return atomic_fetch_or_explicit(&n->wake, CHAN_ARMED, memory_order_seq_cst) >> 1;
}

uint32_t
chan_wake_seq(struct chan *c)
{
	return chan_notify_arm(c->nt);
}

static void
chan_futex_wait(_Atomic uint32_t *word, uint32_t val, uint64_t deadline)
{
	struct timespec ts, *tsp = NULL;

	if (deadline != CHAN_FOREVER) {
		uint64_t now = chan_now_ns(), left = deadline > now ? deadline - now : 0;

		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		tsp = &ts;
	}
	/* Returns 0, or -1 with EAGAIN (the word changed), EINTR or ETIMEDOUT: the caller
	 * looks at the word and the clock again in every case. The address goes as an
	 * integer: the kernel only wants the address, and a cast to void * would drop
	 * _Atomic. */
	syscall(SYS_futex, (uintptr_t)word, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

/* Sleep until wake's sequence differs from seq: 0, or -ETIMEDOUT at deadline. *slept
 * says whether the thread went to sleep. */
static int
chan_sleep(struct chan_notify *n, uint32_t seq, uint64_t deadline, bool *slept)
{
	uint32_t w = atomic_load_explicit(&n->wake, memory_order_seq_cst);
	int rc = 0;

	*slept = false;
	if (w >> 1 != seq)
		return 0;
	if (chan_now_ns() >= deadline)
		return -ETIMEDOUT;
	/* chan_wake_seq armed already, and only a bump (which changes seq) disarms; arm
	 * anyway for a caller that got seq some other way. */
	if (!(w & CHAN_ARMED) &&
	    atomic_fetch_or_explicit(&n->wake, CHAN_ARMED, memory_order_seq_cst) >> 1 != seq)
		return 0;
	*slept = true;
	atomic_fetch_add_explicit(&n->sleepers, 1, memory_order_seq_cst);
	for (;;) {
		w = atomic_load_explicit(&n->wake, memory_order_seq_cst);
		if (w >> 1 != seq)
			break;
		if (chan_now_ns() >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		chan_futex_wait(&n->wake, w, deadline);
	}
	/* Relaxed: a consumer that still sees us only pays for a futex_wake nobody needs. */
	atomic_fetch_sub_explicit(&n->sleepers, 1, memory_order_relaxed);
	return rc;
}

int
chan_notify_wait(struct chan_notify *n, uint32_t seq, int64_t timeout_us, bool *slept)
{
	bool s;
	int rc = chan_sleep(n, seq, chan_deadline(timeout_us), &s);

	if (slept != NULL)
		*slept = s;
	return rc;
}

int
chan_wait(struct chan *c, uint32_t seq, int64_t timeout_us)
{
	bool slept;
	int rc = chan_sleep(c->nt, seq, chan_deadline(timeout_us), &slept);

	if (slept)
		chan_count(&c->waits, 1);
	if (rc == -ETIMEDOUT)
		chan_count(&c->timeouts, 1);
	return rc;
}

int
chan_notify_fd_open(struct chan_notify *n)
{
	int fd = atomic_load_explicit(&n->efd, memory_order_acquire);

	if (fd >= 0)
		return fd;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* seq_cst, not only release (a consumer that loads the fd finds it open): with
	 * chan_notify_fd_catch_up's load of the sequence and chan_notify_wake's bump and
	 * load of efd, a wake around this store either writes the fd or is seen by the
	 * catch-up. The producer is the only writer of efd until chan_notify_fd_close. */
	atomic_store_explicit(&n->efd, fd, memory_order_seq_cst);
	return fd;
}

static void
chan_notify_fd_write(int fd)
{
	uint64_t one = 1;

	/* Only EAGAIN can fail here (the counter at its maximum): it is readable then
	 * anyway. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

void
chan_notify_fd_catch_up(struct chan_notify *n, uint32_t seq)
{
	int fd = atomic_load_explicit(&n->efd, memory_order_relaxed);

	if (fd >= 0 && atomic_load_explicit(&n->wake, memory_order_seq_cst) >> 1 != seq)
		chan_notify_fd_write(fd);
}

void
chan_notify_fd_kick(struct chan_notify *n)
{
	int fd = atomic_load_explicit(&n->efd, memory_order_relaxed);

	if (fd >= 0)
		chan_notify_fd_write(fd);
}

void
chan_notify_fd_drain(struct chan_notify *n)
{
	int fd = atomic_load_explicit(&n->efd, memory_order_relaxed);
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0)
		return;		/* EAGAIN: it was empty */
}

void
chan_notify_fd_close(struct chan_notify *n)
{
	int fd = atomic_exchange_explicit(&n->efd, -1, memory_order_acq_rel);

	if (fd >= 0)
		close(fd);
}

int
chan_put_wait(struct chan *c, uint64_t key, uint32_t tag, const void *data, uint32_t len,
	      int64_t timeout_us)
{
	uint64_t deadline;
	uint32_t seq;
	int rc;

	rc = chan_put_try(c, key, tag, data, len);
	if (rc != -EAGAIN)
		return rc;
	deadline = chan_deadline(timeout_us);
	for (;;) {
		/* Arm, then check (protocol 4): a half cleared after this point bumps seq. */
		seq = chan_wake_seq(c);
		rc = chan_put_try(c, key, tag, data, len);
		if (rc != -EAGAIN)
			return rc;
		bool slept;

		rc = chan_sleep(c->nt, seq, deadline, &slept);
		if (slept)
			chan_count(&c->waits, 1);
		if (rc != 0) {
			chan_count(&c->timeouts, 1);
			return -ETIMEDOUT;
		}
	}
}

/* ---- consumer ---- */

void
chan_notify_wake(struct chan_notify *n)
{
	/* seq_cst: this load is ordered after the caller's seq_cst change of the condition
	 * (protocol 4). On x86 it is a plain load. */
	uint32_t w = atomic_load_explicit(&n->wake, memory_order_seq_cst);
	int fd;

	/* ARMED is bit 0: adding 1 clears it and carries into seq. Several consumers may
	 * share the wake-up (chan_set_notify), so the add is a compare-and-swap: one of
	 * them bumps per arm, the others find it disarmed (the sequence moved, which is
	 * all the producer needs). */
	do {
		if (!(w & CHAN_ARMED))
			return;
	} while (!atomic_compare_exchange_weak_explicit(&n->wake, &w, w + 1,
							memory_order_seq_cst,
							memory_order_seq_cst));
	atomic_fetch_add_explicit(&n->bumps, 1, memory_order_relaxed);
	if (atomic_load_explicit(&n->sleepers, memory_order_seq_cst) != 0)
		syscall(SYS_futex, (uintptr_t)&n->wake, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	/* seq_cst: ordered after the bump, against chan_notify_fd_open's store (a fd
	 * opened after this load is caught up by chan_notify_fd_catch_up). */
	fd = atomic_load_explicit(&n->efd, memory_order_seq_cst);
	if (fd >= 0)
		chan_notify_fd_write(fd);
}

void
chan_wake(struct chan *c)
{
	chan_notify_wake(c->nt);
}

/* Hand a finished half back to the producer and move to the other one. */
static void
chan_clear(struct chan *c)
{
	/* Release: our reads of the half precede the producer's overwrites (protocol 3).
	 * seq_cst: this is the condition change of protocol 4, followed by chan_wake. */
	atomic_store_explicit(&c->wr[c->c_half], 0, memory_order_seq_cst);
	chan_count(&c->halves_cleared, 1);
	c->c_half ^= 1;
	c->c_pos = 0;
	c->c_end = 0;
	chan_wake(c);
}

/* c_pos has reached c_end: look for more in the current half, clearing it and moving on
 * if it is sealed and finished. true if a record is at c_pos. Two rounds at most: a
 * half we move into was cleared by us before, so it is sealed only if non-empty. */
static bool
chan_refill(struct chan *c)
{
	int round;

	for (round = 0; round < 2; round++) {
		uint32_t w = atomic_load_explicit(&c->wr[c->c_half], memory_order_acquire);
		uint32_t end = w & ~CHAN_SEALED;

		if (end > c->c_pos) {
			c->c_end = end;
			return true;
		}
		if (!(w & CHAN_SEALED))
			return false;
		chan_clear(c);
	}
	return false;
}

bool
chan_peek(struct chan *c, struct chan_rec *r)
{
	const struct chan_hdr *h;

	if (c->c_pos == c->c_end && !chan_refill(c))
		return false;
	h = (const struct chan_hdr *)(const void *)chan_at(c, c->c_half, c->c_pos);
	r->len = h->len;
	r->tag = h->tag;
	r->key = h->key;
	r->data = (const uint8_t *)(h + 1);
	return true;
}

void
chan_pop(struct chan *c)
{
	const struct chan_hdr *h;

	assert(c->c_pos < c->c_end);
	h = (const struct chan_hdr *)(const void *)chan_at(c, c->c_half, c->c_pos);
	c->c_pos += chan_rec_size(h->len);
	/* At the end of what we had seen: if the half is sealed and done, clear it now
	 * rather than at the next peek, so a producer waiting for it wakes up sooner. */
	if (c->c_pos == c->c_end)
		chan_refill(c);
}

bool
chan_empty(const struct chan *c)
{
	uint32_t w;

	if (c->c_pos < c->c_end)
		return false;
	w = atomic_load_explicit(&c->wr[c->c_half], memory_order_acquire);
	if ((w & ~CHAN_SEALED) > c->c_pos)
		return false;
	if (!(w & CHAN_SEALED))
		return true;
	/* Our half is finished and sealed: the producer went on in the other one. */
	return (atomic_load_explicit(&c->wr[c->c_half ^ 1], memory_order_acquire) &
		~CHAN_SEALED) == 0;
}

void
chan_stats(const struct chan *c, struct chan_stats *st)
{
	st->records = atomic_load_explicit(&c->records, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
	st->full = atomic_load_explicit(&c->full, memory_order_relaxed);
	st->waits = atomic_load_explicit(&c->waits, memory_order_relaxed);
	st->timeouts = atomic_load_explicit(&c->timeouts, memory_order_relaxed);
	st->halves_cleared = atomic_load_explicit(&c->halves_cleared, memory_order_relaxed);
}
