/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_PRODUCER_H
#define SLUICE_PRODUCER_H

/**
 * @file
 * Writers on other threads: hand messages to the workers that own the connections.
 *
 * A connection belongs to one worker and sl_conn_send() must be called on it. Threads
 * that produce messages elsewhere (a market-data decoder, a pub/sub fan-out, a database
 * thread) each create a producer: one single-producer/single-consumer channel to every
 * worker, laid out as two halves. The producer appends a record (the connection's
 * reference and the bytes) to one half while the worker drains the other; a drained half
 * is cleared by resetting its index, and every record is visible to the worker as soon
 * as it is written, so an idle producer never strands data. The worker copies records
 * into the connections' send queues in a phase of its poll loop, where they coalesce with
 * everything else written in the iteration.
 *
 * Backpressure: a record counts against its connection's water marks (sl_conn_send())
 * when it is submitted, not when the worker drains it. A producer over the high mark, or
 * whose channel is full, waits up to its timeout (or gets -EAGAIN when it asked not to
 * wait) and is woken when the connection drains to its low mark or the worker clears a
 * half of the channel.
 *
 * Order: records of one producer for one connection arrive in the order submitted. There
 * is no order between producers: two producers writing to the same connection
 * interleave at record boundaries (never inside a record) in no particular order.
 *
 * Connections are named by struct sl_conn_ref (sl_conn_ref(), taken on the worker, e.g.
 * in on_accept). With several workers a producer reaches connections on any of them:
 * the reference names the owning worker, and the record goes through that worker's
 * channel. A record for a connection that closed, or stopped sending, is dropped
 * by the worker and counted (prod_drop_closed); it never reaches a connection that later
 * reuses the slot.
 *
 * Threading: one thread per producer. Producers may be created and destroyed at any time
 * after sl_stack_create(), from any thread; destroy every producer before
 * sl_stack_destroy().
 */

#include <stdint.h>

#include <sluice/conn.h>
#include <sluice/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_producer;
struct sl_stack;

/**
 * Create a producer with a channel of `bytes` (both halves) to every worker.
 *
 * @return
 *   The producer, or NULL with rte_errno set: EINVAL (bytes below 4096 or above
 *   1 GiB), ENOSPC (the workers' producer slots are taken), ENOMEM.
 */
SL_EXPORT
struct sl_producer *
sl_producer_create(struct sl_stack *s, uint32_t bytes);

/**
 * Submit one message for a connection. The bytes are copied; on return the buffer may
 * be reused.
 *
 * @param flags
 *   SL_SEND_MORE / SL_SEND_FLUSH, applied when the worker queues the record.
 * @param timeout_us
 *   How long to wait for room: 0 never waits, a negative value waits without limit.
 * @return
 *   0; -EAGAIN (no room and timeout_us 0); -ETIMEDOUT; -EPIPE (the connection is gone
 *   or no longer sends); -EMSGSIZE (larger than the connection's hard cap or than a
 *   half of the channel); -EINVAL (a reference naming a worker the stack does not
 *   have).
 */
SL_EXPORT
int
sl_producer_send(struct sl_producer *p, struct sl_conn_ref ref, const void *data,
		 uint32_t len, unsigned int flags, int64_t timeout_us);

/** What a producer did (its own counters; the workers count drains and drops). */
struct sl_producer_stats {
	uint64_t records;	/**< records submitted */
	uint64_t bytes;		/**< bytes they carried */
	uint64_t full;		/**< attempts that found no room */
	uint64_t waits;		/**< times the producer slept */
	uint64_t timeouts;	/**< sends that gave up with -ETIMEDOUT */
	uint64_t pipe;		/**< sends refused with -EPIPE */
};

/** Counters of p (call from its thread, or after it stopped). */
SL_EXPORT
void
sl_producer_stats(const struct sl_producer *p, struct sl_producer_stats *st);

/**
 * Destroy a producer. Records already submitted still reach their connections: each
 * worker frees its channel once it has drained it (or sl_stack_destroy() does).
 */
SL_EXPORT
void
sl_producer_destroy(struct sl_producer *p);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_PRODUCER_H */
