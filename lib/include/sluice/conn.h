/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

/**
 * @file
 * TCP connections: listen, connect, receive messages, send bytes, close.
 *
 * Threading: a connection belongs to one worker and every function here must be called
 * from the thread that polls that worker (or before sl_stack_start() for the listen
 * calls). Callbacks run on that thread, from sl_worker_poll(), never in the middle of TCP
 * processing: the stack updates its state first, then delivers events in a phase of its
 * own, so a callback may call any function of this file.
 *
 * Lifetime: a struct sl_conn pointer is valid from the callback that introduces it
 * (on_accept, or the return of sl_worker_connect()) until on_close returns. on_close is
 * called exactly once for every connection the application has seen, whatever ended it
 * (including sl_conn_abort()). After it returns the pointer must not be used.
 *
 * Byte order: IPv4 addresses are in network byte order (rte_be32_t), ports in host order.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include <sluice/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sl_conn;
struct sl_field;
struct sl_slice;
struct sl_stack;
struct sl_worker;

/** Why a connection ended (argument of on_close). */
enum sl_close_reason {
	SL_CLOSE_NORMAL = 0,	/**< both sides sent FIN and it was acknowledged */
	SL_CLOSE_RESET,		/**< the peer sent RST (for an active open: refused) */
	SL_CLOSE_TIMEOUT,	/**< retransmissions, keepalive probes or the user timeout ran out */
	SL_CLOSE_ABORTED,	/**< sl_conn_abort() was called (an RST was sent) */
	SL_CLOSE_ERROR,		/**< the stack gave up (out of memory, protocol error) */
	/** The deserializer found the stream bad (on_error was called) and the framing's
	 *  policy ended the connection: FIN after the queued bytes (SL_FRAMING_CLOSE, and
	 *  SL_FRAMING_RESYNC when the deserializer cannot resynchronise) or RST
	 *  (SL_FRAMING_ABORT, and a deserializer that broke its contract, SL_EPLUGIN).
	 *  Reported whatever way the connection then ended (the peer's FIN, its RST, a
	 *  timeout), except after sl_conn_abort() from the application (SL_CLOSE_ABORTED). */
	SL_CLOSE_FRAMING,
	SL_CLOSE_UNREACHABLE,	/**< an active open failed after ICMP said the peer is unreachable
				 *   (net, host, port: after the SYN retries; protocol: at once);
				 *   sl_conn_info().soft_error says which */
};

/** The highest enum sl_close_reason, for arrays indexed by reason. It grows when a reason
 * is added (new reasons are appended, so existing values never change). */
#define SL_CLOSE_REASON_MAX SL_CLOSE_UNREACHABLE

/** Printable name of a close reason ("normal", "reset", ...). */
SL_EXPORT
const char *
sl_close_reason_str(enum sl_close_reason r);

/**
 * A received message.
 *
 * Without a framing (sl_stack_listen()), each message is a run of bytes as they arrived (one
 * segment's payload, or several small ones merged). With one (sl_stack_listen_framed()), each
 * is one message found by the deserializer. The bytes are borrowed: valid only until the
 * callback returns, unless held with sl_conn_hold_msg() (sluice/framing.h).
 */
struct sl_msg {
	const uint8_t *data;	/**< the message, contiguous (NULL for a slice list or len 0) */
	uint32_t len;		/**< number of bytes */
	uint32_t type;		/**< deserializer's tag (e.g. RESP value type) */
	/** Stream offset of the message's first byte: 0 is the first byte the peer sent on
	 *  this connection (the one after its SYN), and every byte it sent counts, consumed,
	 *  skipped or part of a header, so for a framed message this is the offset of its
	 *  payload (the deserializer's msg_off is already added), not of its header. 64 bits:
	 *  it never wraps. */
	uint64_t stream_off;
	uint32_t flags;		/**< SL_MSG_* */
	uint32_t nslices;	/**< slices covering the message (1 when contiguous) */
	const struct sl_slice *slices;
	uint32_t nfields;	/**< fields found by the deserializer (arguments, headers) */
	const struct sl_field *fields;	/**< offsets relative to the message */
};

#define SL_MSG_COPIED	(1u << 0)	/**< assembled in the connection's buffer */
#define SL_MSG_SLICES	(1u << 1)	/**< data is NULL: read it through slices */

/** on_message return values. */
enum sl_rx_verdict {
	SL_RX_OK = 0,		/**< the message is consumed; keep delivering */
	SL_RX_AGAIN = 1,	/**< not consumed: stop delivering until sl_conn_resume_rx(),
				 *   then deliver this message again. The receive window closes
				 *   as unconsumed bytes accumulate. The usual pair: a send
				 *   refused with -EAGAIN or -ENOBUFS, and on_writable calling
				 *   sl_conn_resume_rx() (docs/framing.md, "Backpressure"). */
};

/**
 * Event callbacks of a connection. Any may be NULL when the application does not care.
 * The table must stay valid as long as connections use it (typically static const).
 */
struct sl_conn_ops {
	/**
	 * A passive open completed the three-way handshake (state ESTABLISHED). `arg` is the
	 * argument given to sl_stack_listen() (later callbacks get it from
	 * sl_conn_listen_arg()). Return 0 to keep the connection, or a negative value to
	 * refuse it (the stack sends RST and on_close is not called).
	 */
	int (*on_accept)(struct sl_conn *c, void *arg);
	/** An active open (sl_worker_connect()) completed the handshake. */
	void (*on_connect)(struct sl_conn *c);
	/** In-order received bytes; see struct sl_msg and enum sl_rx_verdict. */
	int (*on_message)(struct sl_conn *c, const struct sl_msg *m);
	/** The peer sent FIN: every byte has been delivered and no more will come. The
	 *  connection may still send (half-close) until it calls sl_conn_close(). */
	void (*on_eof)(struct sl_conn *c);
	/**
	 * A send on the connection's worker was refused with -EAGAIN (the send queue reached
	 * its high water mark) and the queue has drained to the low mark; or one was refused
	 * with -ENOBUFS (no mbuf, or the worker's send queues hold their share of the pool),
	 * and this is the next poll iteration (again each iteration, while sends keep
	 * failing so). Edge-triggered: once per refusal. An on_message that returned
	 * SL_RX_AGAIN because of the refusal resumes here with sl_conn_resume_rx().
	 */
	void (*on_writable)(struct sl_conn *c);
	/**
	 * The deserializer found the stream bad: err is the positive errno value its frame()
	 * or eof() reported (EPIPE: FIN inside a message, ETIMEDOUT: a message incomplete
	 * for msg-timeout-ms; EMSGSIZE also when the stack enforced max_msg), or SL_EPLUGIN.
	 * off is the stream offset of the offending byte, counted like sl_msg.stream_off
	 * (0 is the first byte the peer sent): the deserializer's err_off plus every byte
	 * consumed before that frame() call. The framing's policy applies when this returns:
	 * with SL_FRAMING_CLOSE what the callback queues (an error reply) is sent before FIN.
	 * Unless the stream resynchronises, on_close then reports SL_CLOSE_FRAMING.
	 */
	void (*on_error)(struct sl_conn *c, int err, uint64_t off);
	/** The connection is gone (see the lifetime rules above). */
	void (*on_close)(struct sl_conn *c, enum sl_close_reason reason);
	/**
	 * The stack is draining (sl_stack_drain(), sluice/stack.h): called once, on the
	 * connection's worker, in the delivery phase after the drain began (not for a
	 * connection the application has closed with sl_conn_close() already). The
	 * application may still send what it owes (finish a response) and returns
	 * SL_DRAIN_CLOSE to have the stack close the connection now, as sl_conn_close()
	 * does (every byte queued so far, and every producer record accepted so far,
	 * leaves before the FIN; received bytes not yet delivered are discarded), or
	 * SL_DRAIN_LATER when it will call sl_conn_close() itself once its response is
	 * complete. Whatever is still open at the drain deadline (drain-s) is reset.
	 * NULL: SL_DRAIN_CLOSE.
	 */
	int (*on_drain)(struct sl_conn *c);
};

/** on_drain return values. */
enum sl_drain_verdict {
	SL_DRAIN_CLOSE = 0,	/**< close now: FIN after everything already queued */
	SL_DRAIN_LATER = 1,	/**< the application closes it (sl_conn_close()) later */
};

/**
 * Listen on a TCP port on every worker of the stack.
 *
 * Must be called before sl_stack_start(). A SYN to a port nobody listens on is answered
 * with RST.
 *
 * @param s
 *   The stack.
 * @param port
 *   Local port (host byte order), 1..65535.
 * @param ops
 *   Callbacks for the connections accepted on this port.
 * @param arg
 *   Passed to on_accept, and returned by sl_conn_listen_arg() for every connection this
 *   listener accepts. sluice never dereferences it.
 * @return
 *   0; -EINVAL (port 0 or ops NULL); -EADDRINUSE (already listening); -ENOSPC (too many
 *   listeners); -EBUSY (the stack is started).
 */
SL_EXPORT
int
sl_stack_listen(struct sl_stack *s, uint16_t port, const struct sl_conn_ops *ops, void *arg);

/**
 * Open a connection from worker w to addr:port (active open).
 *
 * The SYN leaves at the end of the current poll iteration, or, when the worker's TX queue
 * is backed up or the peer's MAC is still being resolved, as soon as there is room or an
 * answer (many connections opened at once lose no SYN to either); on_connect follows when
 * the handshake completes, or on_close (SL_CLOSE_RESET when refused, SL_CLOSE_TIMEOUT when
 * nobody answers). The local port is chosen from the ephemeral range so that, on a port
 * with several queues, the peer's replies come back to w.
 *
 * @param w
 *   Worker that will own the connection (call from its thread).
 * @param addr
 *   Peer IPv4 address, network byte order.
 * @param port
 *   Peer port, host byte order.
 * @param ops
 *   Callbacks of the connection.
 * @param user
 *   Initial user pointer (see sl_conn_user()).
 * @return
 *   The connection, or NULL with rte_errno set: EINVAL (bad address or port), ENOSPC (no
 *   free flow or local port), ENOBUFS (no mbuf for the SYN), ESHUTDOWN (the stack is
 *   draining, sl_stack_drain()).
 */
SL_EXPORT
struct sl_conn *
sl_worker_connect(struct sl_worker *w, rte_be32_t addr, uint16_t port,
		const struct sl_conn_ops *ops, void *user);

/**
 * Queue bytes for sending (sl_conn_send_flags() with no flags). All or nothing: either every
 * byte is copied into the connection's send queue, or nothing is and an error is
 * returned. Writes append into the tail of the queue, so many small writes share a
 * segment; by default (SL_FLUSH_ITERATION) everything queued leaves at the end of the
 * poll iteration, in full segments and one short one.
 *
 * Backpressure: the queue counts unsent, unacknowledged and handed-off (sl_producer)
 * bytes. A send is accepted while that count is below the high water mark (config
 * sndbuf) and the message fits under the hard cap (sndbuf-max); otherwise -EAGAIN, and
 * every send is refused until the count drains to the low water mark (sndbuf-low), when
 * on_writable fires (hysteresis: no flapping around the high mark).
 *
 * @return
 *   0 when all len bytes are queued;
 *   -EAGAIN when the queue is at its high water mark, or the message would take it past
 *   the hard cap (on_writable follows);
 *   -EMSGSIZE when len exceeds the hard cap: it can never be accepted;
 *   -EPIPE when the connection can no longer send (closed or shut down);
 *   -EBUSY while a writer (sl_conn_writer_begin) is open on the connection;
 *   -ENOBUFS when no mbuf is available, or when the send queues of the worker's
 *   connections together hold all of the pool they may (the mbufs beyond rx-desc +
 *   tx-desc + tx-queue); on_writable follows at the next poll iteration, to retry from
 *   (the buffers come back as peers acknowledge data, independently of this queue).
 */
SL_EXPORT
int
sl_conn_send(struct sl_conn *c, const void *data, uint32_t len);

/** sl_conn_send_flags() flags. */
#define SL_SEND_MORE	(1u << 0)	/**< more follows: hold a short last segment (as
					 *   MSG_MORE) until a send without MORE, a flush,
					 *   or the cork ceiling (cork-us) */
#define SL_SEND_FLUSH	(1u << 1)	/**< send everything queued at the end of this
					 *   iteration, whatever the flush mode */

/** sl_conn_send() with SL_SEND_* flags. */
SL_EXPORT
int
sl_conn_send_flags(struct sl_conn *c, const void *data, uint32_t len, unsigned int flags);

/** Bytes sl_conn_send() would accept right now (0 at or above the high water mark). */
SL_EXPORT
uint32_t
sl_conn_send_space(const struct sl_conn *c);

/**
 * When a short segment (less than a full MSS) may leave. Full segments always leave at
 * the end of the iteration they are written in, within the congestion and peer windows.
 * There is no global TX delay timer: each connection chooses.
 */
enum sl_flush_mode {
	/** At the end of the poll iteration (default). Like TCP_NODELAY, but every write
	 *  of the same iteration shares the segments. */
	SL_FLUSH_ITERATION = 0,
	/** Nagle (RFC 896): a short segment waits while data is unacknowledged. */
	SL_FLUSH_NAGLE,
	/** Cork: a short segment waits until it fills, a flush, or cork_us passed since
	 *  the first byte it carries was written. */
	SL_FLUSH_CORK,
};

/**
 * Set the flush mode of a connection (new connections take the stack's configuration:
 * flush, cork-us).
 *
 * @param cork_us
 *   Ceiling of a cork or SL_SEND_MORE hold, microseconds (0: keep the current one).
 * @return
 *   0, or -EINVAL for an unknown mode.
 */
SL_EXPORT
int
sl_conn_set_flush(struct sl_conn *c, enum sl_flush_mode mode, uint32_t cork_us);

/** Send everything queued at the end of this iteration, whatever the flush mode. */
SL_EXPORT
void
sl_conn_flush(struct sl_conn *c);

/**
 * Set the water marks of a connection's send queue (bytes; new connections take
 * sndbuf-low, sndbuf, sndbuf-max). Requires low <= high <= max and high > 0.
 *
 * @return
 *   0, or -EINVAL.
 */
SL_EXPORT
int
sl_conn_set_sndbuf(struct sl_conn *c, uint32_t low, uint32_t high, uint32_t max);

/**
 * A name for a connection that other threads may hold (sluice/producer.h): the worker,
 * the flow's slot and its generation. A slot is reused only with a new generation, so a
 * reference to a closed connection never reaches the next one.
 */
struct sl_conn_ref {
	uint32_t worker;	/**< sl_worker_id() of the owning worker */
	uint32_t idx;		/**< slot in the worker's flow table */
	uint32_t gen;		/**< generation of the slot */
};

/** The reference of a connection (call on its worker). */
SL_EXPORT
struct sl_conn_ref
sl_conn_ref(const struct sl_conn *c);

/**
 * Half-close: send FIN after every queued byte. Receiving continues (on_message, on_eof)
 * until the peer closes its side too. Idempotent.
 *
 * @return
 *   0, or -ENOTCONN when the connection is already closing in that direction.
 */
SL_EXPORT
int
sl_conn_shutdown(struct sl_conn *c);

/**
 * Close: send FIN after every queued byte and stop delivering received data (bytes that
 * still arrive are acknowledged and discarded). on_close follows once the close completes.
 * Idempotent.
 *
 * @return
 *   0.
 */
SL_EXPORT
int
sl_conn_close(struct sl_conn *c);

/**
 * Abort: drop every queued byte and send RST now. on_close(SL_CLOSE_ABORTED) follows in
 * the same poll iteration's delivery phase. Idempotent.
 */
SL_EXPORT
void
sl_conn_abort(struct sl_conn *c);

/** Resume delivery after an on_message callback returned SL_RX_AGAIN. */
SL_EXPORT
void
sl_conn_resume_rx(struct sl_conn *c);

/** Set the user pointer of a connection. */
SL_EXPORT
void
sl_conn_set_user(struct sl_conn *c, void *user);

/** The user pointer of a connection (NULL until set). */
SL_EXPORT
void *
sl_conn_user(const struct sl_conn *c);

/**
 * The listener's argument: what was given to sl_stack_listen() (or
 * sl_stack_listen_framed()) for the port that accepted this connection, the value
 * on_accept received. It stays the same for the connection's whole life, whatever
 * sl_conn_set_user() stores, so every callback reaches the per-listener state (a server's
 * store, its options) without a global.
 *
 * Call on the connection's worker, like every function of this file.
 *
 * @param c
 *   The connection.
 * @return
 *   The listener's argument (NULL if the listener was given NULL), or NULL for a
 *   connection opened by sl_worker_connect().
 */
SL_EXPORT
void *
sl_conn_listen_arg(const struct sl_conn *c);

/** The worker that owns the connection. */
SL_EXPORT
struct sl_worker *
sl_conn_worker(const struct sl_conn *c);

/**
 * Enable or disable keepalive on a connection (default: the stack's configuration).
 * After idle_s seconds without anything received, probes are sent every intvl_s seconds;
 * after `probes` unanswered ones the connection ends with SL_CLOSE_TIMEOUT.
 *
 * @return
 *   0, or -EINVAL when a value is 0 while enabling.
 */
SL_EXPORT
int
sl_conn_set_keepalive(struct sl_conn *c, bool on, uint32_t idle_s, uint32_t intvl_s,
		      uint32_t probes);

/**
 * Choose the congestion control of a connection (default: the stack's configuration,
 * `cc`), at any time.
 *
 * Before the handshake completes (right after sl_worker_connect()), the connection simply
 * starts with the new module. Later the new module takes over from where the old one
 * left the window: it continues from the current congestion window (as its initial
 * window) and slow-start threshold, with none of the old module's history (a CUBIC flow
 * starts a new epoch). Choosing the module already in use changes nothing. sl_conn_info()
 * reports the module in use (`cc`).
 *
 * @param c
 *   The connection (on its worker, like every function of this file).
 * @param name
 *   A module of the `cc` configuration key: "newreno" or "cubic".
 * @return
 *   0, or -EINVAL for a NULL or unknown name (the connection keeps its module).
 */
SL_EXPORT
int
sl_conn_set_cc(struct sl_conn *c, const char *name);

/** TCP states, as in RFC 9293. */
enum sl_tcp_state {
	SL_TCP_CLOSED = 0,
	SL_TCP_LISTEN,
	SL_TCP_SYN_SENT,
	SL_TCP_SYN_RCVD,
	SL_TCP_ESTABLISHED,
	SL_TCP_FIN_WAIT_1,
	SL_TCP_FIN_WAIT_2,
	SL_TCP_CLOSE_WAIT,
	SL_TCP_CLOSING,
	SL_TCP_LAST_ACK,
	SL_TCP_TIME_WAIT,
};

/** Printable name of a TCP state ("ESTABLISHED", ...). */
SL_EXPORT
const char *
sl_tcp_state_str(enum sl_tcp_state s);

/** A snapshot of a connection, for diagnostics. */
struct sl_conn_info {
	enum sl_tcp_state state;
	rte_be32_t local_addr, remote_addr;
	uint16_t local_port, remote_port;	/**< host byte order */
	uint32_t mss;				/**< payload bytes per segment we send */
	uint32_t cwnd, ssthresh;		/**< bytes */
	uint32_t snd_wnd, rcv_wnd;		/**< bytes */
	uint32_t srtt_us, rto_us;
	uint32_t unacked, unsent;		/**< bytes in the send queue */
	uint32_t rx_queued;			/**< received bytes not yet consumed */
	uint64_t bytes_sent, bytes_received;	/**< payload */
	uint64_t retransmits;			/**< segments */
	uint64_t app_writes;			/**< sends, messages and records queued */
	uint64_t app_bytes;			/**< bytes they carried */
	uint64_t data_segs;			/**< new data segments sent (not retransmissions) */
	uint32_t queued;			/**< bytes counted against the water marks */
	uint32_t sndbuf_low, sndbuf_high, sndbuf_max;
	enum sl_flush_mode flush;
	bool ts, sack, wscale;			/**< options in use */
	bool ecn;				/**< ECN negotiated (RFC 3168) */
	char cc[16];				/**< congestion control module */
	uint32_t recoveries;			/**< loss recovery episodes */
	uint32_t rack_lost;			/**< segments RACK marked lost */
	uint32_t tlp_sent;			/**< tail loss probes sent */
	uint32_t undo;				/**< spurious reductions undone */
	uint32_t rto;				/**< retransmission timeouts */
	uint32_t ece_reductions;		/**< window reductions on ECN-Echo */
	uint32_t dsack_rx;			/**< D-SACK blocks received */
	int soft_error;				/**< the last ICMP error about the connection, an errno
					 *   (ENETUNREACH, EHOSTUNREACH, ECONNREFUSED,
					 *   ENOPROTOOPT; time exceeded: EHOSTUNREACH);
					 *   0: none. Recorded, never a reset (RFC 1122
					 *   §4.2.3.9, RFC 5461) */
};

/** Fill info with the current state of c. */
SL_EXPORT
void
sl_conn_info(const struct sl_conn *c, struct sl_conn_info *info);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_CONN_H */
