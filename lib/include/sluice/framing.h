/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_FRAMING_H
#define SLUICE_FRAMING_H

/**
 * @file
 * Framing: messages instead of bytes, in both directions.
 *
 * Receive side. A **deserializer** is a state machine (struct sl_deserializer) that the
 * stack drives over a **cursor** (struct sl_cursor) on a connection's received, in-order
 * bytes. The bytes stay in the mbufs the NIC wrote; the cursor lets a deserializer read
 * them wherever they are without caring how TCP segmented the stream. frame() answers:
 *
 *   SL_DS_NEED   not a whole message yet: need at least r->need bytes (counted from the
 *                first unconsumed byte) and r->scanned bytes were already examined (given
 *                back as `resume` on the next call, so nothing is scanned twice);
 *   SL_DS_FRAME  a message: r->consumed bytes leave the stream, the message itself is
 *                [r->msg_off, r->msg_off + r->msg_len) of them;
 *   SL_DS_SKIP   drop r->skip bytes (possibly more than are there yet) and go on;
 *   SL_DS_ERROR  the stream is bad at offset r->err_off: r->err (an errno value).
 *
 * Deserializers keep offsets, never pointers: between calls the stack may move or free
 * the bytes already consumed, and offsets are relative to the first unconsumed byte.
 * Their per-connection state (state_size bytes) starts zeroed, and zero must mean "at
 * the start of a message"; after SL_DS_FRAME the state must be back at that start.
 *
 * The stack checks every answer (a deserializer that returns impossible values closes
 * its connection with SL_EPLUGIN, never corrupts memory), enforces max_msg itself, and
 * bounds the messages delivered per connection per poll iteration (the rest is resumed
 * next iteration without waiting for a packet).
 *
 * Delivery. A message that lies in one slice is delivered in place. One that spans
 * slices is copied once into an assembly buffer (max_msg bytes, leased from a per-worker
 * hugepage pool for the time of on_message) or, when struct sl_framing asks for it,
 * delivered as a list of slices. When the pool is empty (every buffer is in a held
 * message) the connection's delivery waits and is retried every poll iteration
 * (counter framing_asm_wait). Messages are borrowed for on_message; sl_conn_hold_msg() keeps
 * one longer.
 *
 * Send side. A **serializer** encodes an application message through a **writer** on
 * the connection's send queue: reserve/commit straight into mbuf tailroom, write (may
 * span mbufs), and holes patched later (for a length known at the end). The message is
 * visible to TCP only when the encoder returns 0; an error or an abort leaves nothing on
 * the wire.
 *
 * Threading: everything here runs on the connection's worker, like sluice/conn.h.
 */

#include <stdbool.h>
#include <stdint.h>

#include <sluice/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_conn;
struct sl_conn_ops;
struct sl_msg;
struct sl_stack;

/** A deserializer broke its contract (impossible offsets, NEED for bytes it has). */
#define SL_EPLUGIN 4096

/* ---- receive: the cursor ---- */

/** A run of contiguous bytes. */
struct sl_slice {
	const uint8_t *data;
	uint32_t len;
};

/** The view a deserializer gets of a connection's unconsumed bytes. Opaque. */
struct sl_cursor;

/** Bytes available from the first unconsumed byte (offset 0). */
SL_EXPORT
uint32_t
sl_cursor_avail(const struct sl_cursor *c);

/** The byte at off (off < avail; 0 otherwise). */
SL_EXPORT
uint8_t
sl_cursor_byte(const struct sl_cursor *c, uint32_t off);

/**
 * Bytes [off, off + len): a pointer into the mbuf when they are contiguous there, else
 * a copy in scratch (at least len bytes), like rte_pktmbuf_read().
 *
 * @return
 *   The bytes, or NULL when off + len > avail.
 */
SL_EXPORT
const void *
sl_cursor_peek(const struct sl_cursor *c, uint32_t off, uint32_t len, void *scratch);

/**
 * Offset of the first byte equal to b in [from, to) (to is clamped to avail), searching
 * across slices.
 *
 * @return
 *   The offset (>= 0), or -ENOENT when absent.
 */
SL_EXPORT
int64_t
sl_cursor_memchr(const struct sl_cursor *c, uint32_t from, uint32_t to, uint8_t b);

/**
 * Offset of the first occurrence of pat (plen bytes, 1..64) that starts in [from, to)
 * and ends by avail, including occurrences split across slices.
 *
 * @return
 *   The offset (>= 0), -ENOENT when absent, or -EINVAL when plen is 0 or above 64.
 */
SL_EXPORT
int64_t
sl_cursor_memmem(const struct sl_cursor *c, uint32_t from, uint32_t to, const void *pat,
		 uint32_t plen);

/**
 * Read an unsigned integer of n bytes (1..8) at off, big- or little-endian.
 *
 * @return
 *   true, or false when off + n > avail (v untouched).
 */
SL_EXPORT
bool
sl_cursor_read_be(const struct sl_cursor *c, uint32_t off, unsigned int n, uint64_t *v);
SL_EXPORT
bool
sl_cursor_read_le(const struct sl_cursor *c, uint32_t off, unsigned int n, uint64_t *v);

/**
 * The slices covering [off, off + len) (clamped to avail), for custom scanners.
 *
 * @return
 *   Number of slices written to out (at most max; the rest is not reported).
 */
SL_EXPORT
unsigned int
sl_cursor_slices(const struct sl_cursor *c, uint32_t off, uint32_t len, struct sl_slice *out,
		 unsigned int max);

/* ---- receive: deserializers ---- */

/** A field inside a message (argument, header...): offsets relative to the message. */
struct sl_field {
	uint32_t off, len;
};

enum sl_ds_verdict {
	SL_DS_NEED = 0,
	SL_DS_FRAME,
	SL_DS_SKIP,
	SL_DS_ERROR,
	SL_DS_DONE,	/**< eof() only: no more messages */
};

/** What frame() reports. Zeroed by the stack before every call, except fields/max_fields. */
struct sl_ds_result {
	uint32_t need;		/**< NEED: bytes required before the next call (> avail) */
	uint32_t scanned;	/**< NEED: bytes examined (<= avail), the next `resume` */
	uint32_t consumed;	/**< FRAME: bytes removed from the stream (>= 1) */
	uint32_t msg_off;	/**< FRAME: message start within the consumed bytes */
	uint32_t msg_len;	/**< FRAME: message length (may be 0) */
	uint32_t msg_type;	/**< FRAME: deserializer's tag, copied to sl_msg.type */
	uint32_t nfields;	/**< FRAME: fields written to fields[] */
	uint64_t skip;		/**< SKIP, or ERROR with resync: bytes to drop */
	int err;		/**< ERROR: errno value (EMSGSIZE, EPROTO, EBADMSG...) */
	uint32_t err_off;	/**< ERROR: offset of the offending byte, from the cursor's
				 *   offset 0 (<= avail); on_error gets it as a stream offset */
	bool resync;		/**< ERROR: the deserializer can go on after dropping skip */
	struct sl_field *fields;	/**< set by the stack: room for max_fields fields */
	uint32_t max_fields;
};

/** Flags of struct sl_deserializer. */
#define SL_DS_F_CONTIG (1u << 0)	/**< messages must be contiguous (never slice lists) */

/**
 * A deserializer. Built-in ones are described below; writing one is explained in
 * docs/framing.md.
 */
struct sl_deserializer {
	const char *name;
	/** Per-connection state, zeroed at the start (must mean "start of a message"). */
	uint32_t state_size;
	/** Largest message, counting every byte it consumes (headers, delimiters). */
	uint32_t max_msg;
	uint32_t flags;			/**< SL_DS_F_* */
	const void *arg;		/**< configuration given to the callbacks */
	/**
	 * Find the next message at the start of the cursor. `resume` is the `scanned` of
	 * the previous NEED for this message (0 otherwise). Returns the verdict, details in r.
	 * Never called with nothing available: sl_cursor_avail(in) is at least 1, and at
	 * least the `need` of the previous NEED for this message.
	 */
	enum sl_ds_verdict (*frame)(void *state, const void *arg, const struct sl_cursor *in,
				    uint32_t resume, struct sl_ds_result *r);
	/**
	 * The peer sent FIN and every byte before it has been offered to frame(), which
	 * said NEED (or there was nothing to offer). Return FRAME (a last message; eof is
	 * called again), DONE, or ERROR. May be called with nothing available (avail 0: the
	 * FIN came between messages): answer DONE unless the state holds a message.
	 * NULL means: DONE when nothing is left, else ERROR EPIPE (FIN inside a message).
	 */
	enum sl_ds_verdict (*eof)(void *state, const void *arg, const struct sl_cursor *in,
				  struct sl_ds_result *r);
};

/* ---- send: the writer ---- */

/** A message being written on a connection's send queue. Opaque. */
struct sl_writer;

/** Largest contiguous reservation. */
#define SL_WRITER_MAX_CONTIG 1024u

/**
 * Contiguous room for at least min (<= SL_WRITER_MAX_CONTIG) bytes at the end of the
 * message, in mbuf tailroom. *got tells how much room there is; commit what was used.
 *
 * Like every function of sluice that returns a pointer (sluice/sluice.h), it reports
 * failure as NULL with rte_errno set; the int-returning writer calls return the same
 * errors as negative values.
 *
 * @return
 *   Where to write, or NULL with rte_errno: EAGAIN (the send queue cannot take it now:
 *   abort the message, on_writable follows), EMSGSIZE (the message would exceed the send
 *   queue's hard cap), ENOBUFS (no mbuf: abort the message, on_writable follows at the
 *   next poll iteration), EINVAL (min too large), EPIPE (not open).
 */
SL_EXPORT
void *
sl_writer_reserve(struct sl_writer *wr, uint32_t min, uint32_t *got);

/** Add n (<= *got of the last reserve) bytes to the message. */
SL_EXPORT
void
sl_writer_commit(struct sl_writer *wr, uint32_t n);

/**
 * Append n bytes (any size; spans mbufs).
 *
 * @return
 *   0, -ENOBUFS (no mbuf: abort the message, on_writable follows at the next poll
 *   iteration), -EAGAIN (the send queue cannot take it now: abort the message,
 *   on_writable follows), -EMSGSIZE (the message alone would exceed the send queue's hard
 *   cap), -EPIPE (not open).
 */
SL_EXPORT
int
sl_writer_write(struct sl_writer *wr, const void *src, uint32_t n);

/** A reserved range of the message, filled later with sl_writer_patch(). */
struct sl_hole {
	uint32_t off;
	uint32_t len;
};

/**
 * Reserve n bytes (<= 64) to fill later.
 *
 * @return
 *   0 or the sl_writer_write() errors.
 */
SL_EXPORT
int
sl_writer_hole(struct sl_writer *wr, uint32_t n, struct sl_hole *h);

/** Fill a hole with h.len bytes from src. */
SL_EXPORT
void
sl_writer_patch(struct sl_writer *wr, struct sl_hole h, const void *src);

/** Bytes written so far in this message. */
SL_EXPORT
uint32_t
sl_writer_len(const struct sl_writer *wr);

/**
 * A serializer: encodes one application message (whatever `msg` points to, as the
 * serializer defines it) through the writer. Returns 0, or a negative errno (the message
 * is then withdrawn): -EMSGSIZE for a length its fields cannot carry (never truncated),
 * -EINVAL for a message it cannot represent, or the writer's errors.
 */
struct sl_serializer {
	const char *name;
	const void *arg;
	int (*encode)(const void *arg, const void *msg, struct sl_writer *wr);
};

/* ---- a connection's framing ---- */

/** What happens after a framing error (after on_error, when the application has it). */
enum sl_framing_policy {
	SL_FRAMING_CLOSE = 0,	/**< stop reading, send what the application queued, FIN */
	SL_FRAMING_ABORT,	/**< RST at once */
	SL_FRAMING_RESYNC,	/**< go on when the deserializer can (delimiter protocols);
				 *   otherwise as CLOSE */
};

/**
 * The framing of a connection: static configuration, referenced (not copied) by every
 * connection that uses it, so it must outlive them (typically static const).
 */
struct sl_framing {
	const struct sl_deserializer *ds;	/**< NULL: raw bytes */
	const struct sl_serializer *ser;	/**< for sl_conn_send_msg(); may be NULL */
	enum sl_framing_policy on_error;
	bool slices;		/**< deliver spanning messages as slice lists, not copies */
};

/**
 * Listen with a framing: every accepted connection delivers messages found by fr->ds.
 * Like sl_stack_listen() (before sl_stack_start()), and also checks the framing: the receive
 * budget (--rcvbuf) must hold a maximal message plus a segment, or such a message could
 * never complete.
 *
 * @return
 *   0, the sl_stack_listen() errors, -EINVAL (a maximal message cannot fit the receive
 *   budget), -ENOMEM (the framing's pools cannot be allocated).
 */
SL_EXPORT
int
sl_stack_listen_framed(struct sl_stack *s, uint16_t port, const struct sl_conn_ops *ops,
		 void *arg, const struct sl_framing *fr);

/**
 * Prepare a framing for connections opened with sl_worker_connect(), before
 * sl_stack_start() (sl_stack_listen_framed() does this itself).
 *
 * @return
 *   0, -EINVAL, -ENOMEM, -EBUSY (stack started), -ENOSPC (too many framings).
 */
SL_EXPORT
int
sl_stack_add_framing(struct sl_stack *s, const struct sl_framing *fr);

/**
 * Give a connection a framing (prepared with sl_stack_add_framing()), replacing its
 * current one (or raw bytes). Call it before the current deserializer has looked at any
 * received byte: right after sl_worker_connect(), or in on_connect / on_accept (even when
 * bytes have already arrived). Never from on_message of this connection: the framing that
 * delivers the message is still in use when the callback returns.
 *
 * @return
 *   0; -EINVAL (not prepared); -EBUSY (called from on_message of c, messages already
 *   delivered or consumed, or the current deserializer has already examined received
 *   bytes); -ENOMEM (no state).
 */
SL_EXPORT
int
sl_conn_set_framing(struct sl_conn *c, const struct sl_framing *fr);

/**
 * Encode msg with the connection's serializer and queue it, all or nothing.
 *
 * From on_message, a refusal that will pass (-EAGAIN, -ENOBUFS) is answered by returning
 * SL_RX_AGAIN, and on_writable by sl_conn_resume_rx(): the message is delivered again
 * then (docs/framing.md, "Backpressure").
 *
 * @return
 *   0; -EAGAIN (send queue full: on_writable follows once it drains to the low mark);
 *   -ENOBUFS (no mbuf, or the worker's send queues hold their share of the pool:
 *   on_writable follows at the next poll iteration); -EPIPE (cannot send); -EBUSY (a
 *   writer is open on c); -ENOTSUP (no serializer); -EMSGSIZE (larger than the send
 *   queue's hard cap); or the serializer's error.
 */
SL_EXPORT
int
sl_conn_send_msg(struct sl_conn *c, const void *msg);

/**
 * Open a message on the connection's send queue (one at a time per connection), to write
 * it directly. End with sl_writer_end() or sl_writer_abort().
 *
 * @return
 *   The writer, or NULL with rte_errno EAGAIN, EPIPE or EBUSY (one already open).
 */
SL_EXPORT
struct sl_writer *
sl_conn_writer_begin(struct sl_conn *c);

/** Make the message visible to TCP. 0, or -EPIPE when the connection can no longer send. */
SL_EXPORT
int
sl_writer_end(struct sl_writer *wr);

/** Withdraw the message: nothing of it is sent. */
SL_EXPORT
void
sl_writer_abort(struct sl_writer *wr);

/* ---- holding messages ---- */

/** A message kept beyond its callback. */
struct sl_msg_ref;

/**
 * Keep the message m (delivered to c's on_message, within that callback) valid after the
 * callback returns. Its bytes keep counting against the connection's receive window until
 * released. The reference stays valid after the connection closes.
 *
 * An in-place or slice-list message may be held more than once (the references share its
 * mbufs). A copied message (SL_MSG_COPIED) may be held once: its assembly buffer moves
 * into the reference, and a second hold returns NULL (keep the first reference instead).
 * Once the callback has called sl_conn_close() or sl_conn_abort() on c, the message's
 * bytes are no longer the application's and holds fail.
 *
 * @return
 *   The reference, or NULL with rte_errno: EINVAL (m is not the message being delivered
 *   on c), EPIPE (c was closed or aborted in this callback, or reset), EALREADY (m is a
 *   copied message already held), ENOSPC (no reference is left: msg-holds), E2BIG (m has
 *   too many slices or fields). Failures count in framing_hold_fail.
 */
SL_EXPORT
struct sl_msg_ref *
sl_conn_hold_msg(struct sl_conn *c, const struct sl_msg *m);

/** The held message. Takes no further reference: release the ref once, whatever the
 *  number of calls to this. */
SL_EXPORT
const struct sl_msg *
sl_msg_ref_get(const struct sl_msg_ref *ref);

/** Release a held message (on the worker that delivered it). */
SL_EXPORT
void
sl_msg_ref_release(struct sl_msg_ref *ref);

/* ---- built-in deserializers and serializers ---- */

/** Bytes as they arrive (each message is one slice of the stream). */
SL_EXPORT
extern const struct sl_deserializer sl_ds_raw;

/** Message type for the raw, line, length-prefixed and fixed serializers. */
struct sl_bytes {
	const void *data;
	uint32_t len;
};

SL_EXPORT
extern const struct sl_serializer sl_ser_raw;	/**< msg: struct sl_bytes, as is */

/** Lines. */
struct sl_line_cfg {
	uint32_t max_len;	/**< longest line, terminator excluded */
	bool crlf;		/**< lines end with CRLF only (a bare LF is an error) */
	bool last_line_at_eof;	/**< an unterminated line before FIN is a message */
};
/**
 * Fill ds and ser (either may be NULL) for lines. cfg is referenced, not copied: it must
 * outlive them. The message is the line without its terminator. Errors: EMSGSIZE (longer
 * than max_len; offset: byte max_len of the line), EPROTO (crlf and a bare LF; offset:
 * the LF), EPIPE (FIN inside a line, unless last_line_at_eof); the first two can
 * resynchronise at the next LF (SL_FRAMING_RESYNC). The serializer appends the
 * terminator and refuses a message containing LF (-EINVAL) or too long (-EMSGSIZE).
 *
 * @return
 *   0, or -EINVAL (max_len 0).
 */
SL_EXPORT
int
sl_line_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	     const struct sl_line_cfg *cfg);

/** Length-prefixed frames. */
struct sl_lenpfx_cfg {
	uint8_t width;		/**< 1, 2 or 4 bytes */
	bool little_endian;
	bool includes_header;	/**< the length counts the length field itself */
	uint32_t max_len;	/**< largest payload */
};
/**
 * Fill ds and ser (either may be NULL) for length-prefixed messages; cfg must outlive
 * them. The message is the payload. Errors at offset 0 of the message: EMSGSIZE (payload
 * above max_len), EPROTO (an including length smaller than the header), EPIPE (FIN
 * inside a message). The serializer returns -EMSGSIZE for a payload above max_len or
 * one the field cannot describe (never truncates).
 *
 * @return
 *   0, or -EINVAL (width not 1, 2 or 4).
 */
SL_EXPORT
int
sl_lenpfx_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	       const struct sl_lenpfx_cfg *cfg);

/** Fixed-size records. */
struct sl_fixed_cfg {
	uint32_t size;		/**< bytes in every record */
};
/**
 * Fill ds and ser (either may be NULL) for fixed-size records; cfg must outlive them.
 * FIN inside a record is EPIPE. The serializer refuses any other size.
 *
 * @return
 *   0, or -EINVAL (size 0).
 */
SL_EXPORT
int
sl_fixed_init(struct sl_deserializer *ds, struct sl_serializer *ser,
	      const struct sl_fixed_cfg *cfg);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_FRAMING_H */
