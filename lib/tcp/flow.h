/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_FLOW_H
#define SL_TCP_FLOW_H

/*
 * flow.h -- the connection control block (struct tcp_flow), the per-worker TCP state
 * (struct tcp_worker, embedded in struct sl_worker) and the flow table of flow.c.
 *
 * Every TCP module works on a struct tcp_flow: tcp_in.c finds it with flow_lookup() and
 * runs the state machine on it, tcp_out.c builds its segments, tcp_timer.c keeps its
 * deadlines in the worker's wheel, its congestion control module (cc.h) owns its
 * congestion window. The two lists that connect TCP to the later phases of the poll loop
 * are here too: a flow with application events is marked ready
 * (flow_mark_ready, delivered by the api layer), a flow with output owed is marked dirty
 * (flow_mark_dirty, tcp_output once per flow per iteration).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include <sluice/conn.h>

#include "core/siphash.h"
#include "framing/framing_priv.h"
#include "tcp/cc.h"
#include "tcp/rxbuf.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_recovery.h"
#include "tcp/tcp_sack.h"
#include "tcp/tcp_timer.h"
#include "tcp/txbuf.h"

struct rte_hash;
struct rte_mempool;
struct sl_worker;
struct wmark_slot;

/* The 4-tuple as it appears in a received segment (remote = source). */
struct flow_key {
	rte_be32_t raddr;
	rte_be32_t laddr;
	rte_be16_t rport;
	rte_be16_t lport;
};

/* The same 4-tuple: 12 bytes without padding, compared 8 + 4 at a time. */
static inline bool
flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
	uint64_t a0, b0;
	uint32_t a1, b1;

	RTE_BUILD_BUG_ON(sizeof(struct flow_key) != 12);
	memcpy(&a0, a, sizeof(a0));
	memcpy(&b0, b, sizeof(b0));
	memcpy(&a1, (const uint8_t *)a + sizeof(a0), sizeof(a1));
	memcpy(&b1, (const uint8_t *)b + sizeof(b0), sizeof(b1));
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* Control-block flags. */
#define TF_ACKNOW	(1u << 0)	/* send an ACK at the next output */
#define TF_DELACK	(1u << 1)	/* an ACK is owed, the delayed-ACK timer runs */
#define TF_TS		(1u << 2)	/* timestamps negotiated */
#define TF_SACK		(1u << 3)	/* SACK-permitted negotiated */
#define TF_WSCALE	(1u << 4)	/* window scaling negotiated */
#define TF_FIN_QUEUED	(1u << 5)	/* the application asked for FIN after its data */
#define TF_FIN_SENT	(1u << 6)	/* our FIN has a sequence number (snd_max counts it) */
#define TF_FIN_RCVD	(1u << 7)	/* the peer's FIN has been processed */
#define TF_RX_CLOSED	(1u << 8)	/* sl_conn_close: received data is discarded */
#define TF_RX_PAUSED	(1u << 9)	/* on_message returned SL_RX_AGAIN */
#define TF_RECOVERY	(1u << 10)	/* loss recovery (tcp_recovery.c), until recover is ACKed */
#define TF_PASSIVE	(1u << 11)	/* created by a listener */
#define TF_APP		(1u << 12)	/* the application knows this connection */
#define TF_CLOSE_DONE	(1u << 13)	/* on_close delivered (or never owed) */
#define TF_WANT_WRITE	(1u << 14)	/* a send returned -EAGAIN: on_writable owed */
#define TF_KEEPALIVE	(1u << 15)
#define TF_DIRTY	(1u << 16)	/* on the dirty list (output pending) */
#define TF_READY	(1u << 17)	/* on the ready list (delivery pending) */
#define TF_IN_WHEEL	(1u << 18)
#define TF_PERSIST	(1u << 19)	/* the peer's window is zero: probing */
#define TF_EOF_DONE	(1u << 20)	/* on_eof delivered */
#define TF_SYN_COOKIE	(1u << 21)	/* created from a SYN cookie */
#define TF_ORPHAN_TW	(1u << 22)	/* on the TIME-WAIT list */
#define TF_DEFERRED	(1u << 23)	/* on the deferred list */
#define TF_MORE		(1u << 24)	/* last send had SL_SEND_MORE: hold a short tail */
#define TF_PUSH		(1u << 25)	/* flush requested: send a short tail whatever the mode */
#define TF_ASM_LATE	(1u << 26)	/* a message's assembly deadline passed (asm_at) */
#define TF_TX_WAIT	(1u << 27)	/* this output pass stopped for TX room (tcp_output) */
/*
 * The fast paths' gates (tcp_input_predicted, tcp_ack_all_ok, tcp_output_one_ok) test
 * conditions that change rarely but live in other fields, some on other cache lines. These
 * four flags mirror them, so that each gate tests them with the flags above as one word:
 * each is set and cleared where its condition changes, through the helpers below (a
 * zeroed control block has every condition false, and every mirror clear), and
 * tcp_flow_gate_ok recomputes them (the unit tests check it after every poll).
 */
#define TF_ESTAB	(1u << 28)	/* state == ESTABLISHED (flow_set_state) */
#define TF_OOO		(1u << 29)	/* ooo holds a segment or a FIN (flow_gate_ooo) */
#define TF_DSACK_OUT	(1u << 30)	/* dsack_out (flow_dsack_set) */
#define TF_REC_OPEN	(1u << 31)	/* rec.undo_ok or rec.tlp_out (flow_gate_rec) */

/* Application events waiting for the delivery phase. */
#define EV_ACCEPT	(1u << 0)
#define EV_CONNECT	(1u << 1)
#define EV_DATA		(1u << 2)
#define EV_EOF		(1u << 3)
#define EV_WRITABLE	(1u << 4)
#define EV_CLOSE	(1u << 5)
#define EV_DRAIN	(1u << 6)	/* the stack drains: on_drain, then close */

struct tcp_listener;

/* Flows of one RX burst that tcp_rx_prefetch hands to tcp_input (struct tcp_worker). */
#define TCP_RX_HINTS 64

/* What loss recovery and ECN did on one connection (sl_conn_info, telemetry); the
 * worker's counters of the same names (stats.h) sum them. */
struct tcp_loss_counts {
	uint32_t recoveries;		/* recovery episodes */
	uint32_t rack_lost;		/* segments RACK marked lost */
	uint32_t tlp_sent;		/* tail loss probes */
	uint32_t undo;			/* spurious reductions undone */
	uint32_t rto;			/* retransmission timeouts */
	uint32_t ece_reductions;	/* reductions on ECN-Echo */
	uint32_t dsack_rx;		/* D-SACK blocks received */
};

/* The cache lines of struct tcp_flow that a request-response exchange touches in the
 * steady state, one bit each: lines 1-5 and 7-10, nine lines (checked at build time in
 * flow.c against the groups' offsets). */
#define TCP_FLOW_HOT_MASK 0x7beu

/*
 * The fields are grouped by when a segment touches them. With tens of thousands of
 * connections the control blocks leave the caches, and a request costs one miss per line
 * it touches on each side (the RX burst prefetches them, tcp_rx_prefetch, but at 16k
 * connections the line count is what the caches hold): the lines of TCP_FLOW_HOT_MASK
 * hold everything a request-response exchange reads or writes (input, the ACK, delivery,
 * a send, output, the timer restart), and nothing else. Line 0 holds what only the timer
 * wheel's own operations touch (a flow is re-filed about once a rotation, not per
 * request) and the loss-recovery state that ACKs of an unbroken exchange never read;
 * line 6 the cold parts of the out-of-order queue and of the message writer; the
 * handshake, loss, keepalive and bookkeeping fields follow line 10.
 *
 * Four groups straddle a boundary between hot and cold lines so that no hot line carries
 * their cold part: the recovery state (struct tcp_rec keeps its per-ACK fields at its
 * end) ends in line 1; the out-of-order queue (its counts first) begins at the end of
 * line 5; the writer (wr.open, its last field, is hot) ends in line 7; the scoreboard
 * (its count and first record are per segment, the rest is used under loss) begins in
 * line 10. A field added to a hot group moves what follows it: flow.c's asserts then
 * say which group left its lines. Lines 1-5 are full, and so are lines 7-10 since the
 * checksum sums (tx_phsum, tx_ipsum) took their last 8 bytes: a field added to a hot
 * group needs as many bytes of that group moved to the cold lines.
 */
struct tcp_flow {
	/* Line 0, cold: the timer wheel's links (written when the flow is filed in a slot
	 * or taken out, and by its neighbours' filing), the keepalive deadline, and the
	 * recovery state's cold head. */
	TAILQ_ENTRY(tcp_flow) wheel_link;
	uint64_t ka_at;
	/* Straddles lines 0 and 1: its hot tail (RACK, the probe flags, undo_ok) begins
	 * line 1. */
	struct tcp_rec rec;		/* loss recovery state (tcp_recovery.c) */

	/* Lines 1-5 (hot): the 4-tuple, state and flags, the sequence space. */
	struct flow_key key;
	uint8_t state;			/* enum sl_tcp_state */
	uint8_t snd_ws;			/* shift applied to the peer's window */
	uint8_t rcv_ws;			/* shift the peer applies to ours */
	uint8_t events;			/* EV_* */
	uint32_t flags;			/* TF_* */
	uint32_t snd_una;		/* oldest unacknowledged */
	uint32_t snd_nxt;		/* next to send */
	uint32_t snd_max;		/* highest sent (snd_nxt rewinds on retransmission) */
	uint32_t snd_wnd;		/* peer's window, bytes */
	uint32_t snd_wl1, snd_wl2;	/* segment seq/ack of the last window update */
	uint32_t rcv_nxt;
	uint32_t rcv_adv;		/* right edge of the window we advertised */
	uint32_t cwnd, ssthresh;	/* changed only by the congestion control (cc.h) */
	uint32_t recover;		/* RFC 6582: snd_max when recovery began */

	/* ACK clock, timestamps, RTT (RFC 6298, microseconds). */
	uint32_t sack_high;		/* highest sequence the peer has SACKed */
	uint16_t mss;			/* payload of a full segment we send */
	uint16_t rcv_mss;		/* largest payload the peer sent (for delayed ACK) */
	uint16_t dupacks;
	uint8_t segs_unacked;		/* full segments received since our last ACK */
	uint8_t nsack;			/* SACK blocks to report */
	uint8_t quickack;		/* ACKs still sent at once (a sign of loss was seen) */
	uint8_t ecn;			/* TCP_ECN_* (tcp_ecn.h): ECN agreed, echo, CWR owed */
	uint8_t flush_mode;		/* enum sl_flush_mode */
	bool dsack_out;			/* dsack (below) is owed: set through flow_dsack_set */
	bool rtt_timing;
	uint8_t backoff;		/* RTO doublings */
	uint8_t nrtx;			/* consecutive timeouts/probes without progress */
	uint8_t ka_sent;		/* keepalive probes unanswered */
	/* Here rather than with the cold fields: every delivery and every send checks
	 * it (conn_gone). */
	uint8_t close_reason;		/* enum sl_close_reason, with EV_CLOSE */
	const struct tcp_cc_ops *cc;	/* congestion control module */
	uint32_t ts_recent;		/* TSval to echo (RFC 7323) */
	uint32_t ts_off;		/* per-connection TSval offset */
	uint64_t ts_recent_us;		/* when ts_recent was recorded */
	uint32_t srtt;			/* << 3 */
	uint32_t rttvar;		/* << 2 */
	uint32_t rto;
	uint32_t rtt_seq;		/* segment being timed (Karn: never a retransmitted one) */
	uint64_t rtt_start;

	/* The byte streams and the receive window. */
	struct rxbuf rx;
	uint32_t rx_held;		/* bytes of messages the application holds */
	uint32_t rcv_buf;		/* receive budget (bytes) */
	struct txbuf tx;
	uint32_t snd_low, snd_high;	/* send queue water marks (wmark.h) */
	uint32_t gen;			/* bumped when the slot is reused */
	uint32_t idx;			/* slot in the worker's table */
	uint64_t last_rx_us;		/* anything received (keepalive idle) */
	uint64_t idle_since;		/* an ACK emptied the flight then (0: not idle) */
	uint64_t unacked_since;		/* oldest unacknowledged data was first sent */
	struct sl_worker *w;
	/* Straddles lines 5 and 6: its counts end line 5, its queue is in line 6. */
	struct tcp_ooo ooo;

	/* Line 6, cold: the rest of ooo, then the writer's cold head. */
	/* The message being encoded, if any: every sl_send checks wr.open (its last
	 * field), which begins line 7; only the serializer path uses the rest. */
	struct sl_writer wr;

	/* Lines 7-10 (hot): the worker's lists and the application. */
	TAILQ_ENTRY(tcp_flow) ready_link;
	TAILQ_ENTRY(tcp_flow) dirty_link;
	const struct sl_conn_ops *ops;
	void *user;

	/* Timers: absolute microseconds, 0 when off. wheel_at is where the flow sits in
	 * the wheel (never later than the earliest of the others); the deadlines that a
	 * request never sets (keepalive, TIME-WAIT, message assembly) are with the cold
	 * fields, and only the timer phase reads them. */
	uint64_t rtx_at;		/* retransmission, SYN/SYN-ACK, or persist */
	uint64_t delack_at;
	uint64_t cork_at;		/* a held short segment leaves by then (0: none) */
	uint64_t wheel_at;

	/* Congestion control, framing, per-connection counters. */
	union tcp_cc_state cc_state;	/* the congestion control module's own */
	struct framing_flow fr;		/* deserializer state (inst NULL: raw bytes) */
	uint64_t bytes_acked;		/* payload the peer acknowledged */
	uint64_t bytes_rcvd;		/* in-order payload received */
	uint64_t app_writes, app_bytes;	/* sends, messages, producer records */
	uint64_t data_segs;		/* new data segments sent */
	/* The per-connection parts of the two checksums of every segment, summed once at
	 * flow_alloc (the 4-tuple, the worker's address and TTL never change after):
	 * the TCP pseudo-header without its length, the IPv4 header without its first
	 * word (version, TOS, length): tcp_out.c's direct builder. */
	uint32_t tx_phsum, tx_ipsum;
	/* Straddles line 10 and the cold lines: the scoreboard of bytes in flight
	 * (tcp_sack.c), whose count and first record are hot, the rest used under loss. */
	struct tcp_sb sb;

	/* Identity and rarely used state. */
	uint32_t wheel_slot;		/* the wheel slot the flow is in (TF_IN_WHEEL) */
	uint32_t snd_cap;		/* hard cap of the send queue (wmark.h) */
	uint32_t max_snd_wnd;		/* largest window the peer offered */
	uint32_t cork_us;		/* ceiling of a cork / MORE hold */
	uint32_t ecn_high;		/* snd_max at the last reduction ECN knows of */
	uint64_t tw_at;			/* TIME-WAIT end, FIN-WAIT-2 and user timeouts */
	uint64_t asm_at;		/* the incomplete message must be complete by then */
	TAILQ_ENTRY(tcp_flow) tw_link;
	uint32_t iss, irs;
	uint32_t ka_idle_us, ka_intvl_us;
	uint8_t ka_probes;
	uint16_t peer_mss;
	uint16_t soft_err;		/* errno of the last ICMP error about us (0: none) */
	uint32_t chack_count;
	uint64_t chack_start;		/* challenge/out-of-window ACK budget window */
	struct tcp_sack_block sack[4];
	struct tcp_sack_block dsack;	/* a duplicate received (RFC 2883), with dsack_out */
	struct tcp_listener *listener;	/* while counted in its backlog (SYN-RECEIVED) */
	void *listen_arg;		/* sl_stack_listen() argument (sl_conn_listen_arg) */
	uint64_t retransmits;
	struct tcp_loss_counts loss;	/* loss recovery and ECN, per connection */
	/* When flow_create made it (worker clock): the age telemetry reports. Set once,
	 * never on the data path; idle time comes from last_rx_us, which keepalive keeps. */
	uint64_t created_us;
};

struct tcp_listener {
	uint16_t port;			/* host order; 0 = free slot */
	uint32_t syn_rcvd;		/* half-open connections (bounded by the backlog) */
	const struct sl_conn_ops *ops;
	void *arg;
	struct framing_inst *fr;	/* NULL: raw bytes */
};

#define TCP_MAX_LISTENERS 32

TAILQ_HEAD(tcp_flow_list, tcp_flow);

struct tcp_worker {
	struct rte_hash *flows;		/* struct flow_key -> struct tcp_flow * */
	struct rte_mempool *tcb_pool;
	struct tcp_flow **by_idx;	/* slot -> control block (for flow references) */
	struct wmark_slot *slots;	/* slot -> queued bytes, shared with producers */
	/* flow_lookup's one-entry cache (4.4BSD's tcp_last_inpcb): the flow found last,
	 * which a burst of one connection's segments or a ping-pong hits every time; it
	 * is always a flow in the hash (flow_release clears it). */
	struct tcp_flow *last_hit;
	/* The flows tcp_rx_prefetch found for the segments of the RX burst, in burst
	 * order, which tcp_input takes instead of looking each one up a second time. A
	 * hint is the flow in the table for its key until a flow is released
	 * (flow_release empties the list), and tcp_input still compares the key: so one
	 * left over (its segment was dropped before TCP) is harmless until the next
	 * burst's tcp_rx_prefetch replaces the list, and nothing else has to clear it. */
	struct {
		const struct rte_mbuf *m;
		struct tcp_flow *f;
	} rx_hint[TCP_RX_HINTS];
	uint32_t rx_hint_n;		/* hints in rx_hint */
	uint32_t rx_hint_i;		/* the first one tcp_input has not taken */
	uint32_t max_flows;
	uint32_t nflows;
	/* mbufs held by the send queues of all flows, and their limit: the rest of the
	 * pool stays for the port's rings and for the segments, ACKs and SYNs TCP builds,
	 * without which no send queue could ever drain (txbuf.c). */
	uint32_t txbuf_mbufs;
	uint32_t txbuf_mbufs_max;
	struct txbuf_spares txbuf_spares;	/* chunks freed by this iteration's ACKs */
	/* mbufs the application read this iteration, for its segments (seg_spares.h) */
	struct seg_spares seg_spares;
	/* Pool pressure (tcp_mem.h): how far the send queues may grow this poll iteration
	 * (at most txbuf_mbufs_max), the free counts that bound it and that mean pressure,
	 * the received mbufs a connection may hold and still take payload under pressure
	 * (and how many more if its application reads), and the lowest free count seen. */
	uint32_t txbuf_mbufs_lim;
	uint32_t mem_reserve;
	uint32_t mem_pressure_at;
	uint32_t mem_held_max;
	uint32_t mem_burst;
	uint32_t mem_snd_budget;	/* under pressure: send-queue mbufs left this iteration */
	uint32_t mem_free_min;
	/* The free count and send-queue mbufs the last update without pressure found
	 * (tcp_mem_update): the same two again give the same limit. UINT32_MAX: none. */
	uint32_t mem_last_free;
	uint32_t mem_last_txbuf;
	/* The common pool's ring when the pool is one of DPDK's ring drivers (the default):
	 * its free count is read in place, without the driver's call (tcp_mem_free). */
	const struct rte_ring *mem_ring;
	/* The length of the pool's cache for the lcore that polled last (tcp_mem_free):
	 * found again only when another lcore polls. LCORE_ID_ANY has no cache: a constant
	 * 0 then (tcp_mem_no_cache_len), so that the count is one load either way. */
	const uint32_t *mem_cache_len;
	unsigned int mem_lcore;
	bool mem_pressure;
	/* tests only: no header prediction (tcp_in.c). Beside mem_pressure: prediction's
	 * gate tests the two as one 16-bit word. */
	bool predict_off;
	bool mem_in_reserve;		/* the free count is below mem_reserve */
	/* tcp_ack_schedule's three config tests as two, set by tcp_worker_init: the full
	 * segments after which in-order data is acknowledged at once (cfg->delack_segs, 0
	 * when delaying is off: delack_us 0), and the TCP flags that have it acknowledged
	 * at once (PSH with ack_on_push, else none). */
	uint8_t ack_now_segs;
	uint8_t ack_now_flags;
	const struct tcp_cc_ops *cc;	/* congestion control of new flows (cfg->cc) */
	struct tcp_listener listeners[TCP_MAX_LISTENERS];
	uint8_t listen_map[65536];	/* local port -> listener index + 1 */
	bool listen_closed;		/* draining: every listener answers as closed */
	struct tcp_flow_list ready;	/* application events to deliver */
	struct tcp_flow_list dirty;	/* output to produce */
	struct tcp_flow_list timewait;	/* oldest first, for reuse when the table is full */
	struct tcp_flow_list deferred;	/* delivery to resume next iteration (budget) */
	uint32_t ntimewait;
	struct tcp_flow_list wheel[TCP_WHEEL_SLOTS];	/* tcp_timer.c */
	/* Which slots hold a flow: a run skips empty slots 64 at a time. */
	uint64_t wheel_used[TCP_WHEEL_SLOTS / 64];
	uint64_t wheel_tick;		/* next tick to process */
	uint64_t wheel_cur_next;	/* no deadline in wheel_tick's slot is earlier */
	/* The slots of the ticks after wheel_tick and before this one held no flow when
	 * tcp_timers_run last looked, and tcp_timer_arm lowers it when it puts one there:
	 * until then, and wheel_cur_next, the timer phase has nothing to look at. */
	uint64_t wheel_empty_to;
	/* The three above as one time (us), max(wheel_tick, min(wheel_cur_next,
	 * wheel_empty_to)) with the ticks' first microseconds: before it the timer phase
	 * has nothing to do, which its every idle call then finds with one comparison. */
	uint64_t wheel_run_at;
	struct siphash_key isn_key;
	struct siphash_key cookie_key;
	uint64_t rng;
	uint16_t next_port;		/* ephemeral port search start */
	int mdyn;			/* mbuf dynamic field offset */
	bool isn_pinned;		/* tests only: every ISN is isn_pin */
	uint32_t isn_pin;
	bool ack_all_off;		/* tests only: no tcp_ack_all fast path (tcp_in.c) */
	bool out_one_off;		/* tests only: no one-segment output pass (tcp_out.c) */
};

/* The worker's TCP state: the flow table, the listeners, the ISN and cookie keys. */
int
tcp_worker_init(struct sl_worker *w);

void
tcp_worker_fini(struct sl_worker *w);

/* Defaults of a new control block (buffers, RTO, keepalive, our window scale, congestion
 * control), after flow_create() and before the first segment. */
void
tcp_flow_init(struct sl_worker *w, struct tcp_flow *f);

/* The flow of a 4-tuple, or NULL. */
struct tcp_flow *
flow_lookup(struct sl_worker *w, const struct flow_key *k);

/* A zeroed control block in the table for k; NULL (counted) when the table is full. */
struct tcp_flow *
flow_create(struct sl_worker *w, const struct flow_key *k);

/* Remove the flow from the table and every list and free it with all it holds. */
void
flow_release(struct sl_worker *w, struct tcp_flow *f);

/* flow_mark_dirty (output owed) and flow_mark_ready (application events owed): inline
 * in core/worker.h, which sees the worker's lists. */

/* Resume delivery on this flow at the next poll iteration. */
void
flow_defer(struct sl_worker *w, struct tcp_flow *f);

/* The connection is over for TCP (CLOSED) and for the application: free it now or,
 * when the application still has to hear about it, after the delivery phase. */
void
flow_closed(struct sl_worker *w, struct tcp_flow *f, enum sl_close_reason why);

/* TIME-WAIT for 2 MSL: the send queue is freed, only ACKs leave from now on. */
void
flow_enter_timewait(struct sl_worker *w, struct tcp_flow *f);

/* Set or clear one of the flags. */
static inline void
flow_flag_put(struct tcp_flow *f, uint32_t flag, bool on)
{
	f->flags = on ? f->flags | flag : f->flags & ~flag;
}

/* After any change of the out-of-order queue's segment count or FIN (tcp_ooo.c). */
static inline void
flow_gate_ooo(struct tcp_flow *f)
{
	flow_flag_put(f, TF_OOO, f->ooo.nsegs != 0 || f->ooo.fin);
}

/* After any change of rec.undo_ok or rec.tlp_out (tcp_recovery.c, tcp_icmp.c). */
static inline void
flow_gate_rec(struct tcp_flow *f)
{
	flow_flag_put(f, TF_REC_OPEN, f->rec.undo_ok || f->rec.tlp_out);
}

/* A D-SACK is owed to the peer (on), or has left (off). */
static inline void
flow_dsack_set(struct tcp_flow *f, bool on)
{
	f->dsack_out = on;
	flow_flag_put(f, TF_DSACK_OUT, on);
}

/* Do the gate flags (TF_ESTAB, TF_OOO, TF_DSACK_OUT, TF_REC_OPEN) say what the fields
 * they mirror say? A missed writer is a fast path taken when it must not be (or not
 * taken): the unit tests call this after every poll, for every flow. */
static inline bool
tcp_flow_gate_ok(const struct tcp_flow *f)
{
	return !(f->flags & TF_ESTAB) == (f->state != SL_TCP_ESTABLISHED) &&
	       !(f->flags & TF_OOO) == (f->ooo.nsegs == 0 && !f->ooo.fin) &&
	       !(f->flags & TF_DSACK_OUT) == !f->dsack_out &&
	       !(f->flags & TF_REC_OPEN) == (!f->rec.undo_ok && !f->rec.tlp_out);
}

/* Log a state change at debug level (sluice.tcp, rate-limited); see flow_set_state. */
void
flow_state_note(const struct tcp_flow *f, uint8_t to);

/* Every change of a connection's state goes through here, so that `--log-level
 * sluice.tcp:debug` shows each one (with the 4-tuple) while nothing is formatted at the
 * default level. */
static inline void
flow_set_state(struct tcp_flow *f, uint8_t to)
{
	flow_state_note(f, to);
	f->state = to;
	flow_flag_put(f, TF_ESTAB, to == SL_TCP_ESTABLISHED);
}

/* The listener on local port `port` (host order), or NULL. */
struct tcp_listener *
listener_find(struct sl_worker *w, uint16_t port);

/* The worker's PRNG (seeded from the configuration, or randomly). */
uint64_t
tcp_rand(struct sl_worker *w);

/* Bytes in flight (sent, not acknowledged), counting SYN/FIN. */
static inline uint32_t
tcp_flight(const struct tcp_flow *f)
{
	return f->snd_max - f->snd_una;
}

/* States in which data (and a FIN after it) is sent and retransmitted: ESTABLISHED and
 * CLOSE-WAIT, and what was queued before a close in FIN-WAIT-1, CLOSING and LAST-ACK
 * (RFC 9293 §3.10.2 SEND, §3.10.4 CLOSE). */
static inline bool
tcp_state_sends_data(uint8_t st)
{
	return st == SL_TCP_ESTABLISHED || st == SL_TCP_CLOSE_WAIT ||
	       st == SL_TCP_FIN_WAIT_1 || st == SL_TCP_CLOSING || st == SL_TCP_LAST_ACK;
}

static inline bool
tcp_state_synchronized(uint8_t st)
{
	return st >= SL_TCP_ESTABLISHED;
}

/* Receive window we can offer now (bytes), before scaling: the connection's budget less
 * the bytes it holds (unconsumed, out of order, held by the application). */
static inline uint32_t
tcp_rcv_space(const struct sl_worker *w __rte_unused, const struct tcp_flow *f)
{
	uint32_t used = f->rx.bytes + f->ooo.bytes + f->rx_held;

	return used >= f->rcv_buf ? 0 : f->rcv_buf - used;
}

#endif /* SL_TCP_FLOW_H */
