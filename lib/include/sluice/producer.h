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
 * Serving many connections from one thread: a producer that must not wait on one slow
 * connection sends with timeout_us 0 and keeps the messages refused with -EAGAIN; then
 * sl_producer_wait() (or poll/epoll on sl_producer_fd()) returns when anything that
 * refused one of them may take more: a connection drained to its low mark, shut or went
 * away, or a worker made room in this producer's channel. The producer then retries what
 * it kept (docs/send.md, "Serving many connections from one thread"). No wake-up is
 * lost: a refusal records the wake-up sequence before its last check, so a drain that
 * happens between the -EAGAIN and the wait makes the wait return at once.
 *
 * Threading: one thread per producer. Producers may be created and destroyed at any time
 * after sl_stack_create(), from any thread; destroy every producer before
 * sl_stack_destroy().
 */

#include <stdbool.h>
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

/**
 * Wait until a send this producer was refused may succeed, or a timeout.
 *
 * "Refused" is -EAGAIN or -ETIMEDOUT from sl_producer_send() or sl_producer_abort() since
 * the last time this function returned 0. It returns when, after that refusal, any worker
 * reported a change that may give room to the producer: a connection whose sends were
 * refused at its high mark drained to its low mark (any connection's, not only this
 * producer's: re-check), a connection stopped sending (the retry gets -EPIPE), or a
 * worker cleared a half of this producer's channel. Spurious returns happen; the caller
 * retries its refused sends and calls again for what is still refused. Which
 * connections became writable is not reported: the producer keeps its own list of
 * refused ones (a retry of a still-full connection costs two loads).
 *
 * With sl_producer_fd(), every call first empties the fd, whatever it then returns; a
 * wake after that makes the fd readable again, so a thread that polls the fd and then
 * calls this misses none.
 *
 * @param timeout_us
 *   0 only checks; a negative value waits without limit.
 * @return
 *   0 (retry); -ETIMEDOUT (nothing changed within timeout_us); -EALREADY (nothing was
 *   refused since the last return of 0: there is nothing to wait for).
 */
SL_EXPORT
int
sl_producer_wait(struct sl_producer *p, int64_t timeout_us);

/**
 * A file descriptor (an eventfd) that polls readable when sl_producer_wait() would
 * return 0, for a producer thread that waits in poll/epoll with its other fds.
 *
 * When it polls readable, call sl_producer_wait(p, 0) (it empties the fd), then retry
 * the refused sends. Workers write to it only after a refusal, once per refusal
 * episode. Opened after a refusal whose wake already came (before the fd existed), it
 * is readable at once.
 *
 * The fd belongs to the producer: do not read or close it. It is closed once neither
 * the producer nor any worker can write to it: after sl_producer_destroy(), possibly
 * later, by the last worker to drain this producer's channel. Remove it from your
 * epoll set (or poll list) before sl_producer_destroy(): after that the number may be
 * closed at any time and reused by another open.
 *
 * @return
 *   The fd, or -errno (eventfd(2) failed).
 */
SL_EXPORT
int
sl_producer_fd(struct sl_producer *p);

/**
 * Ask a connection's worker to reset it (sl_conn_abort(): queued bytes dropped, RST
 * sent, on_close(SL_CLOSE_ABORTED)), e.g. a subscriber that stays over its limit.
 *
 * The request goes beside this producer's channel to the worker, not through it: the
 * worker takes requests before records, so a reset is never held behind records it
 * cannot queue yet (its send-queue mbufs all taken, perhaps by the very connection to
 * reset). It may overtake records submitted before it for that connection: they are
 * dropped with the rest of its queue (prod_drop_closed). The worker counts the reset
 * (prod_aborts). A connection that closed meanwhile, or whose slot was reused, is left
 * alone.
 *
 * @return
 *   0; -EAGAIN (64 requests to that worker not yet taken: retry after
 *   sl_producer_wait()); -EINVAL (a reference naming a worker or slot the stack does
 *   not have).
 */
SL_EXPORT
int
sl_producer_abort(struct sl_producer *p, struct sl_conn_ref ref);

/** A connection's send queue, seen from a producer (sl_producer_backlog()). */
struct sl_producer_backlog {
	uint32_t queued;	/**< bytes counted against the water marks (unsent,
				 *   unacknowledged, submitted but not yet drained) */
	uint32_t high;		/**< its high mark: sends are refused at or above it */
	uint32_t max;		/**< its hard cap */
	bool refusing;		/**< a send was refused since it last drained to its low mark
				 *   (sends are refused until it does) */
};

/**
 * How much is queued for a connection, read from any thread (a few relaxed loads: the
 * value may be stale by the time it is used). For limits on a slow reader's backlog.
 *
 * @return
 *   0; -EPIPE (the connection is gone or no longer sends); -EINVAL (a reference naming
 *   a worker or slot the stack does not have).
 */
SL_EXPORT
int
sl_producer_backlog(const struct sl_producer *p, struct sl_conn_ref ref,
		    struct sl_producer_backlog *bl);

/** What a producer did (its own counters; the workers count drains and drops). */
struct sl_producer_stats {
	uint64_t records;	/**< records submitted */
	uint64_t bytes;		/**< bytes they carried */
	uint64_t full;		/**< attempts that found no room */
	uint64_t waits;		/**< times the producer slept */
	uint64_t timeouts;	/**< sends that gave up with -ETIMEDOUT */
	uint64_t pipe;		/**< sends refused with -EPIPE */
	uint64_t refused;	/**< sends (and aborts) refused with -EAGAIN/-ETIMEDOUT */
	uint64_t wakes;		/**< sl_producer_wait() returns of 0 */
	uint64_t aborts;	/**< sl_producer_abort() requests submitted */
};

/** Counters of p (call from its thread, or after it stopped). */
SL_EXPORT
void
sl_producer_stats(const struct sl_producer *p, struct sl_producer_stats *st);

/**
 * Destroy a producer. Records already submitted still reach their connections: each
 * worker frees its channel once it has drained it (or sl_stack_destroy() does). Closes
 * the fd of sl_producer_fd() once no worker can write to it any more.
 */
SL_EXPORT
void
sl_producer_destroy(struct sl_producer *p);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_PRODUCER_H */
