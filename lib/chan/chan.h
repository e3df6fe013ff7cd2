/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CHAN_H
#define SL_CHAN_H

/* chan.c: the cross-thread send channel. Another thread (the producer) hands records to a
 * worker (the consumer) through one channel per (producer thread, worker): single
 * producer, single consumer, lock-free, bounded, FIFO. The memory is two halves of equal
 * size; the producer appends to one half while the worker drains, every record is
 * visible to the worker as soon as it is committed, and a half is reused once the worker
 * has read all of it ("clear" is an index reset). See the head of chan.c for the
 * memory-ordering protocol.
 *
 * This file knows nothing of DPDK or flows: records carry an opaque 64-bit key and 32-bit
 * tag, which the integration uses for the flow reference and the record kind. A producer
 * that must wait for something else the worker controls (a flow's water marks) uses the
 * same wake-up as for room in the channel: chan_wake_seq, check, chan_wait; the worker
 * changes the condition, then calls chan_wake.
 *
 * Threads: functions marked "producer" may be called by one thread at a time (the
 * channel's producer), those marked "consumer" by one thread at a time (the worker);
 * chan_stats and chan_max_record by any thread. chan_init runs before either side starts. */

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define CHAN_CACHE_LINE 64

/* Smallest and largest half (bytes). The largest keeps offsets clear of the seal bit. */
#define CHAN_HALF_MIN 64u
#define CHAN_HALF_MAX (1u << 30)

/*
 * A wake-up (an eventcount, see the head of chan.c): a producer arms it and reads its
 * sequence, checks its condition, then waits for the sequence to move; a consumer changes
 * the condition, then wakes it. A channel has its own, or shares one with other channels
 * (chan_set_notify): a producer thread that writes to several consumers then waits on
 * one word for "something changed on any of them", the condition being its own to
 * re-check. Several consumers may wake a shared one concurrently.
 *
 * Optionally an eventfd (chan_notify_fd_open) becomes readable at every wake that finds
 * the wake-up armed, for a producer that waits in poll/epoll along with other fds.
 */
struct chan_notify {
	/* (sequence << 1) | armed. The producer sets armed; a wake, seeing it, bumps the
	 * sequence and clears armed in one compare-and-swap. */
	_Atomic uint32_t wake;
	_Atomic uint32_t sleepers;		/* producers inside futex_wait */
	_Atomic int efd;			/* eventfd written at each bump, or -1 */
	_Atomic uint64_t bumps;			/* wakes that bumped the sequence */
};

/* Record header in the channel memory; the payload follows, padded to 8 bytes. */
struct chan_hdr {
	uint32_t len;		/* payload bytes, without padding */
	uint32_t tag;
	uint64_t key;
};

/* The channel's state, at the start of the memory given to chan_init, the two halves
 * after it. Fields are grouped by the thread that writes them, one cache line per group,
 * so the producer's appends do not evict the consumer's cursor and the polled wake word
 * is not invalidated by every record. Treat it as opaque: it is here so that the size is
 * known and a test can place it. */
struct chan {
	/* Written by chan_init only. */
	uint8_t *base;			/* half 0; half 1 follows at base + half_bytes */
	uint32_t half_bytes;

	/* Producer-private, except that the counters are read by chan_stats. */
	alignas(CHAN_CACHE_LINE) uint32_t p_half;	/* the half being appended to */
	uint32_t p_pos;				/* its next free byte (== wr[p_half]) */
	uint32_t p_resv;			/* chan_reserve'd payload length, or none */
	_Atomic uint64_t records;
	_Atomic uint64_t bytes;
	_Atomic uint64_t full;
	_Atomic uint64_t waits;
	_Atomic uint64_t timeouts;

	/* Consumer-private, except the counter. */
	alignas(CHAN_CACHE_LINE) uint32_t c_half;	/* the half being read */
	uint32_t c_pos;				/* offset of the next record to read */
	uint32_t c_end;				/* published end last seen in wr[c_half] */
	_Atomic uint64_t halves_cleared;

	/* Per half: published end of its records, ORed with the seal bit once the producer
	 * has left it; 0 once the consumer has cleared it. */
	alignas(CHAN_CACHE_LINE) _Atomic uint32_t wr[2];

	/* The wake-up this channel uses: its own, or one shared by several channels
	 * (chan_set_notify). */
	alignas(CHAN_CACHE_LINE) struct chan_notify *nt;
	struct chan_notify own;
};

/**
 * Bytes of memory a channel with halves of half_bytes needs, the struct included.
 *
 * @param half_bytes
 *   Size of each half: a multiple of 8, CHAN_HALF_MIN..CHAN_HALF_MAX.
 * @return
 *   The size for chan_init's memory, or 0 if half_bytes is not valid.
 */
size_t
chan_mem_size(uint32_t half_bytes);

/**
 * Make an empty channel in caller-provided memory.
 *
 * The memory need not be zeroed; the caller owns it and frees it once neither side uses
 * the channel any more. Both sides may start once the channel pointer has been handed to
 * them through something that synchronizes (thread creation, a release store).
 *
 * @param mem
 *   chan_mem_size(half_bytes) bytes, aligned to CHAN_CACHE_LINE.
 * @param half_bytes
 *   Size of each half: a multiple of 8, CHAN_HALF_MIN..CHAN_HALF_MAX.
 * @return
 *   The channel (== mem), or NULL with errno EINVAL (mem NULL or misaligned, half_bytes
 *   not valid).
 */
struct chan *
chan_init(void *mem, uint32_t half_bytes);

/**
 * The largest payload one record can carry: a half minus one record header.
 *
 * Thread-safe.
 */
uint32_t
chan_max_record(const struct chan *c);

/**
 * Append one record and publish it (producer).
 *
 * The record is visible to the consumer when this returns, whatever the producer does
 * next. Records are consumed in the order they were put.
 *
 * @param key
 *   Opaque (the integration's flow reference).
 * @param tag
 *   Opaque (the integration's record kind).
 * @param data
 *   len bytes to copy; may be NULL if len is 0.
 * @return
 *   0; -EAGAIN if there is no room now (the half being written is full and the consumer
 *   has not finished the other: retry later, or use chan_put_wait); -EMSGSIZE if len >
 *   chan_max_record().
 */
int
chan_put(struct chan *c, uint64_t key, uint32_t tag, const void *data, uint32_t len);

/**
 * chan_put gathering the payload from iovcnt buffers (producer).
 *
 * @return
 *   As chan_put, the length being the sum of the iov_len; -EINVAL if iovcnt < 0.
 */
int
chan_putv(struct chan *c, uint64_t key, uint32_t tag, const struct iovec *iov, int iovcnt);

/**
 * Reserve room for a record's payload, to be written in place (producer).
 *
 * Nothing is visible to the consumer until chan_commit. A reservation that is not
 * committed is abandoned by the next chan_reserve or put, which reuse its room.
 *
 * @param len
 *   Payload bytes the caller will write.
 * @return
 *   Where to write len bytes (8-byte aligned, valid until chan_commit or the next
 *   reserve/put), or NULL with errno EAGAIN (no room now) or EMSGSIZE (len >
 *   chan_max_record()).
 */
void *
chan_reserve(struct chan *c, uint32_t len);

/**
 * Publish the record last reserved with chan_reserve (producer).
 *
 * Calling it without a successful chan_reserve since the last commit or put is a bug
 * (asserted in debug builds).
 */
void
chan_commit(struct chan *c, uint64_t key, uint32_t tag);

/**
 * Get the wake-up sequence before checking a condition the producer may wait for
 * (producer).
 *
 * Call it, then check the condition (room in the channel, a flow's water mark), then
 * pass the value to chan_wait if the condition is not met. It also arms the wake-up, so
 * that a chan_wake after this call, however soon, bumps the sequence and chan_wait
 * returns at once: that is what makes the sequence immune to lost wake-ups. Arming costs
 * the producer one atomic OR; a stale arm costs the consumer's next chan_wake one atomic
 * add.
 *
 * The condition must be published by the consumer with a seq_cst store or read-modify-
 * write before it calls chan_wake, and read by the producer with a seq_cst load (on x86
 * both are what any atomic RMW and a plain load compile to): the proof needs the four
 * accesses in one total order (see chan.c).
 *
 * @return
 *   The sequence to pass to chan_wait.
 */
uint32_t
chan_wake_seq(struct chan *c);

/**
 * Sleep until chan_wake bumps the wake-up sequence past seq, or a timeout (producer).
 *
 * Returns at once if the sequence has already moved. The caller re-checks its condition
 * afterwards: a return of 0 means "something changed", not "the condition holds".
 *
 * @param seq
 *   From chan_wake_seq, read before the condition was checked.
 * @param timeout_us
 *   Microseconds to wait at most; 0 only checks; < 0 waits forever.
 * @return
 *   0 once the sequence differs from seq; -ETIMEDOUT if it did not within timeout_us.
 */
int
chan_wait(struct chan *c, uint32_t seq, int64_t timeout_us);

/**
 * chan_put, blocking while there is no room (producer).
 *
 * The producer sleeps until the consumer clears a half (chan_pop wakes it) or any
 * chan_wake, then retries, for timeout_us in all.
 *
 * @param timeout_us
 *   Microseconds to wait at most; 0 does not wait; < 0 waits forever.
 * @return
 *   0; -ETIMEDOUT if there was no room within timeout_us (nothing was published);
 *   -EMSGSIZE if len > chan_max_record().
 */
int
chan_put_wait(struct chan *c, uint64_t key, uint32_t tag, const void *data, uint32_t len,
	      int64_t timeout_us);

/* ---- wake-ups, with or without a channel ---- */

/** Make an unarmed wake-up at sequence 0, without an eventfd. */
void
chan_notify_init(struct chan_notify *n);

/**
 * Make channel c use n instead of its own wake-up (before either side starts).
 *
 * Several channels may share n; n must outlive them all.
 */
void
chan_set_notify(struct chan *c, struct chan_notify *n);

/** The wake-up channel c uses. */
struct chan_notify *
chan_get_notify(struct chan *c);

/** chan_wake_seq on a wake-up (producer). */
uint32_t
chan_notify_arm(struct chan_notify *n);

/**
 * chan_wait on a wake-up (producer).
 *
 * @return
 *   0 once the sequence differs from seq; -ETIMEDOUT; *slept (if not NULL) tells
 *   whether the thread went to sleep.
 */
int
chan_notify_wait(struct chan_notify *n, uint32_t seq, int64_t timeout_us, bool *slept);

/**
 * chan_wake on a wake-up (consumer; any number of consumers at once).
 *
 * When the wake-up is armed: bump the sequence (one compare-and-swap, so concurrent
 * wakes bump it once per arm), futex-wake a sleeper, and write 1 to the eventfd if there
 * is one. Not armed: one load.
 */
void
chan_notify_wake(struct chan_notify *n);

/**
 * Give the wake-up an eventfd (non-blocking, close-on-exec) that wakes write to (the
 * producer; once, before it relies on it). Idempotent.
 *
 * A wake that bumped the sequence before the fd existed wrote nothing: a producer that
 * armed seq before calling this passes it to chan_notify_fd_catch_up() next.
 *
 * @return
 *   The fd, or -errno from eventfd(2).
 */
int
chan_notify_fd_open(struct chan_notify *n);

/**
 * After chan_notify_fd_open() (producer): if the sequence already moved past seq, make
 * the fd readable, for a wake that came before the fd existed. The fd's store and a
 * wake's load of it are seq_cst, as are the bump and this load of the sequence: either
 * the wake saw the fd and wrote to it, or this sees the bump and writes (or both).
 */
void
chan_notify_fd_catch_up(struct chan_notify *n, uint32_t seq);

/** Make the fd readable, if there is one (producer: a wake it already knows of). */
void
chan_notify_fd_kick(struct chan_notify *n);

/**
 * Empty the eventfd (producer), if there is one: call it before re-checking the
 * conditions after the fd polled readable, so that a wake after the check makes it
 * readable again.
 */
void
chan_notify_fd_drain(struct chan_notify *n);

/** Close the eventfd (when no consumer can wake n any more). */
void
chan_notify_fd_close(struct chan_notify *n);

/* A record as the consumer sees it. data points into the channel and stays valid until
 * chan_pop. */
struct chan_rec {
	uint32_t len;
	uint32_t tag;
	uint64_t key;
	const uint8_t *data;
};

/**
 * Look at the oldest published record without consuming it (consumer).
 *
 * Also clears a half that is finished (read to its end and sealed by the producer).
 *
 * @param r
 *   Filled in when a record is available.
 * @return
 *   true with *r filled; false if nothing is published that has not been popped.
 */
bool
chan_peek(struct chan *c, struct chan_rec *r);

/**
 * Consume the record chan_peek returned (consumer).
 *
 * Its data pointer becomes invalid. When this empties a sealed half, the half is
 * cleared and a producer waiting for room is woken. Calling it without a successful
 * chan_peek is a bug (asserted in debug builds).
 */
void
chan_pop(struct chan *c);

/**
 * Wake the producer if it is waiting or about to wait (consumer).
 *
 * For conditions outside the channel (a flow's water marks dropped): publish the change
 * first (seq_cst, see chan_wake_seq), then call this. When the producer has not armed the
 * wake-up this is a single load.
 */
void
chan_wake(struct chan *c);

/**
 * Whether the consumer has nothing to read (consumer).
 *
 * @return
 *   true if every published record has been popped.
 */
bool
chan_empty(const struct chan *c);

/* Counters. Each is written by one side and read relaxed, so a snapshot taken while the
 * channel is in use is not consistent across fields. */
struct chan_stats {
	uint64_t records;	/* records published */
	uint64_t bytes;		/* payload bytes published */
	uint64_t full;		/* -EAGAIN (or NULL/EAGAIN) returns of put, putv, reserve */
	uint64_t waits;		/* chan_wait/chan_put_wait had to sleep (seq unmoved) */
	uint64_t timeouts;	/* -ETIMEDOUT returns of chan_wait and chan_put_wait */
	uint64_t halves_cleared; /* halves the consumer finished and handed back */
};

/**
 * Read the counters. Thread-safe.
 */
void
chan_stats(const struct chan *c, struct chan_stats *st);

#endif /* SL_CHAN_H */
