/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_FRAMING_H
#define SL_FRAMING_H

/* framing.c / cursor.c / writer.c: the deserializer driver, the cursor over a
 * connection's received bytes, and the writer over its send queue (public side in
 * sluice/framing.h). The driver works on an rxbuf, not on a TCP flow, so the plug-in test
 * kit runs exactly the code connections run. */

#include <stdbool.h>
#include <stdint.h>

#include <sluice/conn.h>
#include <sluice/framing.h>

struct rte_mbuf;
struct rte_mempool;
struct rxbuf;
struct sl_stack;
struct sl_worker;

#define FRAMING_MAX 16			/* framings per stack */
#define FRAMING_MAX_FIELDS 1024		/* fields one message may report */
#define FRAMING_MAX_SLICES 64		/* slices of a slice-list message */
#define MSG_REF_SLICES 16		/* slices a held message may have */
#define MSG_REF_FIELDS 64		/* fields a held message keeps */

struct sl_cursor {
	struct rte_mbuf *head;		/* first slice; its data starts at offset 0 */
	uint32_t avail;
	int mdyn;			/* link field offset (rxbuf FIFO) */
};

/* One framing on one worker: its pools. */
struct framing_inst {
	const struct sl_framing *fr;
	const struct sl_deserializer *ds;	/* fr->ds or the raw deserializer */
	struct rte_mempool *state_pool;	/* per-connection states (NULL: none needed) */
	struct rte_mempool *asm_pool;	/* assembly buffers of max_msg bytes */
};

/* A connection's framing state. Zero = no framing (raw delivery). */
struct framing_flow {
	struct framing_inst *inst;
	void *state;
	uint8_t *asm_buf;		/* assembly buffer, leased only while its message is
					 * being delivered */
	uint64_t discard;		/* bytes still to drop (SKIP beyond what was there) */
	uint32_t need;			/* do not call frame() with fewer bytes than this */
	uint32_t resume;
	bool failed;			/* a framing error stopped the stream */
	bool eof_done;
	bool started;			/* a message was delivered */
	bool framed;			/* the deserializer has seen bytes: state in use */
	bool asm_wait;			/* the next message waits for an assembly buffer */
};

/* What the driver's delivery callback tells it. */
enum framing_cb_rc {
	FRAMING_CB_OK = 0,		/* consumed: go on */
	FRAMING_CB_AGAIN,		/* not consumed: stop (it is framed again later) */
	FRAMING_CB_STOP,		/* the connection went away: do not touch the bytes */
};

struct framing_cb {
	enum framing_cb_rc (*deliver)(void *arg, const struct sl_msg *m);
	/* A framing error at stream offset off; returns what to do next (the policy). */
	enum sl_framing_policy (*error)(void *arg, int err, uint64_t off);
};

/* What framing_pump() ended with. */
enum framing_rc {
	FRAMING_IDLE = 0,		/* waiting for more bytes */
	FRAMING_MORE,			/* stopped by the per-pass budget: call again soon */
	FRAMING_PAUSED,			/* the callback said AGAIN */
	FRAMING_EOF,			/* FIN reached and every message delivered */
	FRAMING_CLOSE,			/* error, policy CLOSE */
	FRAMING_ABORT,			/* error, policy ABORT (or a broken deserializer) */
	FRAMING_GONE,			/* the callback said STOP */
};

/* The message being delivered right now on a worker (for sl_conn_hold_msg()). */
struct framing_delivery {
	const struct sl_msg *msg;
	struct framing_flow *ff;	/* NULL for raw delivery */
	struct rxbuf *rb;
};

/* Deliver the messages in rb (at most `budget`). fin: the peer's FIN follows the last
 * byte of rb. */
enum framing_rc
framing_pump(struct sl_worker *w, struct framing_flow *ff, struct rxbuf *rb, bool fin,
	     unsigned int budget, const struct framing_cb *cb, void *arg);

/* Attach a framing instance to a connection (state from its pool). 0 or -ENOMEM. */
int
framing_flow_init(struct framing_flow *ff, struct framing_inst *inst);

/* Return the state and the assembly buffer. */
void
framing_flow_fini(struct framing_flow *ff);

/* Per-worker instance of fr (NULL when fr was not prepared). */
struct framing_inst *
framing_inst_find(struct sl_worker *w, const struct sl_framing *fr);

/* Prepare fr on every worker of s (pools). */
int
framing_prepare(struct sl_stack *s, const struct sl_framing *fr);

/* Free every worker's instances (at destroy); returns the objects still out (leaks). */
unsigned int
framing_fini(struct sl_worker *w);

/* Cursor over the unconsumed bytes of rb. */
void
cursor_init(struct sl_cursor *c, struct sl_worker *w, struct rxbuf *rb);

/* The worker's held-message references (created at start). */
int
msg_ref_pool_init(struct sl_worker *w);
unsigned int
msg_ref_pool_fini(struct sl_worker *w);

/* The writer of a connection (embedded in the control block). */
struct sl_writer {
	struct tcp_flow *f;
	struct rte_mbuf *prev_tail;	/* send-queue tail when the message began */
	uint16_t prev_len;		/* its length then */
	uint32_t prev_n;		/* chunks in the queue then */
	uint32_t len;			/* bytes of this message */
	uint32_t resv;			/* counted for a reserve not yet committed */
	bool open;
};

/* Withdraw a writer left open (at the end of the delivery phase). */
void
writer_abort_open(struct sl_writer *wr);

#endif /* SL_FRAMING_H */
