/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_API_PRIV_H
#define SL_API_PRIV_H

/*
 * api_priv.h -- what the application-facing layer (conn.c, deliver.c, writer.c, producer.c)
 * offers the layers below it, and the mapping between the public struct sl_conn and the TCP
 * control block.
 *
 * The poll loop runs the delivery phase (conn_deliver, in deliver.c); framing asks for
 * window updates as the application consumes bytes; writers and producers ask whether a
 * connection still takes bytes; TCP forgets an open writer when it frees a send queue.
 */

#include <stdbool.h>
#include <stdint.h>

#include <sluice/conn.h>

#include "tcp/flow.h"

struct sl_worker;

/* The delivery phase: application callbacks for every flow on the ready list. */
void
conn_deliver(struct sl_worker *w);

/* Before it, when the deferred list is not empty: its flows join the ready list. */
void
conn_deliver_resume(struct sl_worker *w);

/* Send a window update when the application freed a lot of receive space. */
void
conn_window_update(struct sl_worker *w, struct tcp_flow *f);

/* The connection may still queue bytes (not closed or shut down for sending). */
bool
conn_can_send(const struct tcp_flow *f);

/* Can records handed off by producers before a shutdown still be queued? */
bool
conn_takes_handoff(const struct tcp_flow *f);

/* Apply a send's SL_SEND_* flags (MORE holds a short tail, FLUSH releases it). */
void
conn_send_flags(struct sl_worker *w, struct tcp_flow *f, unsigned int flags);

/* Forget an open writer whose send queue was freed (abort, release). */
void
writer_forget(struct sl_writer *wr);

/* A connection handle is its control block: valid while the application may use it
 * (sluice/conn.h). */
static inline struct sl_conn *
flow_conn(struct tcp_flow *f)
{
	return (struct sl_conn *)f;
}

static inline struct tcp_flow *
conn_flow(const struct sl_conn *c)
{
	return (struct tcp_flow *)(uintptr_t)c;
}

/* The received bytes are no longer the application's: it closed the connection (they
 * were discarded) or the connection was reset or aborted. Delivery stops, and so do
 * holds; after a normal close (TCP CLOSED, TIME-WAIT) they are still delivered. */
static inline bool
conn_rx_gone(const struct tcp_flow *f)
{
	return (f->flags & TF_RX_CLOSED) || f->close_reason != SL_CLOSE_NORMAL;
}

#endif /* SL_API_PRIV_H */
