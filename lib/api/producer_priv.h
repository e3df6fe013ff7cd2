/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PRODUCER_H
#define SL_PRODUCER_H

/* producer.c: channels from producer threads to a worker (sluice/producer.h), the
 * worker's drain phase and its wake-ups. */

#include <stdint.h>

struct chan;
struct sl_worker;

/* Producers a worker can serve at once. */
#define WORKER_MAX_PRODUCERS 64

/* Records and bytes a worker drains from one channel per poll iteration, so a busy
 * producer cannot hold the poll loop. */
#define PRODUCER_DRAIN_RECORDS 1024
/* Longer producer timeouts are clamped to this (about 35 years), so the deadline cannot
 * overflow. */
#define PRODUCER_TIMEOUT_MAX_US (INT64_C(1) << 50)

/* One channel, owned by the worker once registered: the producer marks it closing when
 * it goes, and the worker frees it when it has drained it. */
struct producer_chan {
	struct chan *ch;
	uint32_t closing;		/* atomic: the producer is gone */
};

/* Drain phase of the poll loop: records into send queues. Returns records drained. */
unsigned int producer_drain(struct sl_worker *w);

/* Free the worker's channels (stack teardown). */
void producer_fini(struct sl_worker *w);

#endif /* SL_PRODUCER_H */
