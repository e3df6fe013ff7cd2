/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_MBUF_DYN_H
#define SL_MBUF_DYN_H

/* sluice's mbuf dynamic field (rte_mbuf_dyn): a link and a sequence number, so received
 * segments and send-queue chunks can sit in per-flow queues without any allocation. The
 * field is registered once per process; its offset is kept in each worker. */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

struct mbuf_dyn {
	struct rte_mbuf *link;	/* next in the flow queue it sits in */
	uint32_t seq;		/* TCP sequence number of the first data byte */
	uint32_t flags;		/* MDYN_F_* */
};

#define MDYN_F_FIN (1u << 0)	/* out-of-order segment carried FIN after its data */

/* Register the field (idempotent). Returns its offset or -rte_errno. */
int
mbuf_dyn_register(void);

static inline struct mbuf_dyn *
mdyn(struct rte_mbuf *m, int off)
{
	return RTE_MBUF_DYNFIELD(m, off, struct mbuf_dyn *);
}

/* A FIFO of mbufs linked through the dynamic field. */
struct mbuf_fifo {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t n;
};

/* Append m, whose link is NULL already (a send-queue spare, txbuf.h): mbuf_fifo_push
 * without the store to the mbuf's second cache line, which nothing else of a chunk's
 * reuse touches (with many connections, a line from memory per write). */
static inline void
mbuf_fifo_push_unlinked(struct mbuf_fifo *q, struct rte_mbuf *m, int off)
{
	RTE_ASSERT(mdyn(m, off)->link == NULL);
	if (q->tail != NULL)
		mdyn(q->tail, off)->link = m;
	else
		q->head = m;
	q->tail = m;
	q->n++;
}

/* Append m. */
static inline void
mbuf_fifo_push(struct mbuf_fifo *q, struct rte_mbuf *m, int off)
{
	mdyn(m, off)->link = NULL;
	mbuf_fifo_push_unlinked(q, m, off);
}

static inline struct rte_mbuf *
mbuf_fifo_pop(struct mbuf_fifo *q, int off)
{
	struct rte_mbuf *m = q->head;

	if (m == NULL)
		return NULL;
	q->head = mdyn(m, off)->link;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	return m;
}

/* Free every mbuf of the queue. */
static inline void
mbuf_fifo_free(struct mbuf_fifo *q, int off)
{
	struct rte_mbuf *m;

	while ((m = mbuf_fifo_pop(q, off)) != NULL)
		rte_pktmbuf_free(m);
}

#endif /* SL_MBUF_DYN_H */
