/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PRODUCER_H
#define SL_PRODUCER_H

/* producer.c: channels from producer threads to a worker (sluice/producer.h), the
 * worker's drain phase and its wake-ups. */

#include <stdint.h>

#include "chan/chan.h"

struct sl_worker;

/* Producers a worker can serve at once. */
#define WORKER_MAX_PRODUCERS 64

/* Records and bytes a worker drains from one channel per poll iteration, so a busy
 * producer cannot hold the poll loop. */
#define PRODUCER_DRAIN_RECORDS 1024
/* Longer producer timeouts are clamped to this (about 35 years), so the deadline cannot
 * overflow. */
#define PRODUCER_TIMEOUT_MAX_US (INT64_C(1) << 50)

/* Reset requests (sl_producer_abort) a channel's mailbox holds before refusing. */
#define PRODUCER_ABORTS 64

/* The producer's wake-up, shared by its channels to every worker (chan_set_notify), so
 * that one wait covers them all (sl_producer_wait). Held by the producer and by each
 * channel: the last of them to go frees it, since a worker may still wake it after the
 * producer is gone. */
struct producer_notify {
	struct chan_notify nt;
	uint32_t refs;			/* atomic */
};

/* One channel, owned by the worker once registered: the producer marks it closing when
 * it goes, and the worker frees it when it has drained it. */
struct producer_chan {
	struct chan *ch;
	struct producer_notify *pn;	/* shared with the producer's other channels */
	uint32_t closing;		/* atomic: the producer is gone */
	/* Reset requests, beside the channel rather than in it: the worker stops draining
	 * a channel at the first record it cannot queue (no send-queue mbufs, prod_stall),
	 * and a reset that frees a slow subscriber's mbufs must not wait behind it. A
	 * single-producer/single-consumer ring of record keys (producer_key). */
	uint32_t abort_head;		/* atomic: written by the producer */
	uint32_t abort_tail;		/* atomic: written by the worker */
	uint64_t aborts[PRODUCER_ABORTS];
};

/* Drain phase of the poll loop: records into send queues. Returns records drained. */
unsigned int producer_drain(struct sl_worker *w);

/* Free the worker's channels (stack teardown). */
void producer_fini(struct sl_worker *w);

#endif /* SL_PRODUCER_H */
