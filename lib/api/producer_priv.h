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

/* A record's tag: the SL_SEND_* flags, or this request for sl_producer_abort(). */
#define PRODUCER_TAG_ABORT (1u << 31)

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
};

/* Drain phase of the poll loop: records into send queues. Returns records drained. */
unsigned int producer_drain(struct sl_worker *w);

/* Free the worker's channels (stack teardown). */
void producer_fini(struct sl_worker *w);

#endif /* SL_PRODUCER_H */
