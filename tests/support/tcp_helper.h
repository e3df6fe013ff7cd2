/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_TCP_HELPER_H
#define SL_TEST_TCP_HELPER_H

/*
 * TCP test helpers, in the spirit of lwIP's test/unit/tcp/tcp_helper.h: segments are built
 * relative to a connection's sequence space by a small model of the peer, and everything
 * the stack transmits is parsed back so tests assert on what went out on the wire.
 *
 *   tp_*     wire level: build a segment from the peer (any flags, numbers, raw options,
 *            payload) with correct checksums; parse what the stack sent
 *   tapp_*   the application: an sl_conn_ops table whose callbacks record every event
 *            (and copy received bytes) into one struct tconn per connection
 *   tpeer_*  the peer: its ISN and next sequence number, what it has received from the
 *            stack (RCV.NXT, the stack's ISN and last TSval); opens connections in either
 *            direction and sends segments at the right numbers
 *   tt_*     a test fixture: a stack listening on TP_PORT with the recording application,
 *            the peer's MAC already learnt, and one peer ready to use
 *
 * Every test ends with tt_teardown(), which aborts the connections the application still
 * holds and then runs th_teardown() (quiesce and mbuf leak check). Tests get the fixture
 * and its teardown from cmocka (TT_TEST below) rather than calling them by hand.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_tcp.h>

#include <sluice/conn.h>

#include "harness.h"
#include "tcp/flow.h"
#include "tcp/tcp_opt.h"

/* The listener every fixture has, and the peer's default port and ISN. */
#define TP_PORT		5000
#define TP_PEER_PORT	40000
#define TP_PEER_ISS	1000000u

/* Shorter names for the flag bits. */
#define TH_FIN	RTE_TCP_FIN_FLAG
#define TH_SYN	RTE_TCP_SYN_FLAG
#define TH_RST	RTE_TCP_RST_FLAG
#define TH_PSH	RTE_TCP_PSH_FLAG
#define TH_ACK	RTE_TCP_ACK_FLAG
#define TH_ECE	RTE_TCP_ECE_FLAG
#define TH_CWR	RTE_TCP_CWR_FLAG

/* The IP header's ECN field (RFC 3168 §5), in the TOS byte. */
#define TP_NOT_ECT	0x00
#define TP_ECT1		0x01
#define TP_ECT0		0x02
#define TP_CE		0x03

/* Largest payload a parsed segment keeps (a jumbo frame's worth). */
#define TP_DATA_MAX	9600

/* ---- wire level ---- */

/* A segment to put on the wire. Zero addresses mean peer -> stack. */
struct tseg {
	rte_be32_t src, dst;
	uint16_t sport, dport;		/* host order */
	uint32_t seq, ack;
	uint8_t flags;			/* TH_* */
	uint8_t tos;			/* the IP TOS byte (its ECN field: TP_ECT0, TP_CE ...) */
	uint16_t wnd;			/* the raw window field */
	const uint8_t *opts;		/* raw option bytes, padded with EOL to 4 */
	size_t olen;
	const void *data;
	size_t len;
};

/* A segment the stack transmitted, parsed (checksums verified by tp_parse). */
struct tp_out {
	rte_be32_t src, dst;
	uint8_t ttl;
	uint8_t tos;			/* the IP TOS byte */
	bool df;
	uint16_t sport, dport;		/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;			/* raw field */
	uint8_t hlen;			/* TCP header with options */
	uint8_t raw_opts[TCP_OPT_MAX];
	size_t olen;
	struct tcp_opts opts;		/* tcp_opt_parse(raw_opts) */
	int opt_rc;
	uint32_t len;
	uint8_t data[TP_DATA_MAX];
};

/* Config for TCP tests: th_config() with neighbours trusted for a day (so long timer tests
 * see no ARP traffic). */
void
tp_config(struct sl_config *cfg);

/* Write the Ethernet + IPv4 + TCP frame of s into p (room for a 9600-byte MTU); returns
 * its length. */
size_t
tp_build(uint8_t *p, const struct th *t, const struct tseg *s);

/* Build s and inject it (one poll). */
void
tp_inject(struct th *t, const struct tseg *s);

/* Parse a transmitted frame; fails the test unless it is a well-formed IPv4/TCP frame from
 * the stack to the peer with correct IP and TCP checksums. */
void
tp_parse(const struct rte_mbuf *m, const struct th *t, struct tp_out *o);

/* The next TCP segment the stack transmitted (ARP frames are skipped and freed); false
 * when the wire is empty. */
bool
tp_pop(struct th *t, struct tp_out *o);

/* TCP segments waiting on the wire (after dropping ARP frames). */
unsigned int
tp_pending(struct th *t);

/* Learn the peer's MAC by an ARP request from it, and drain the reply. */
void
tp_learn_peer(struct th *t);

/* Move virtual time forward by us, polling every step_us. */
void
tp_advance(struct th *t, uint64_t us, uint64_t step_us);

/* Jump virtual time from one TCP timer deadline to the next, polling at each, until the
 * stack transmits something; returns the time that took, or UINT64_MAX (time then stands
 * at the limit) when nothing was sent within limit_us. */
uint64_t
tp_run_until_tx(struct th *t, uint64_t limit_us);

/* Append one option to buf at *n (helpers for raw option bytes). */
void
tp_opt_mss(uint8_t *buf, size_t *n, uint16_t mss);
void
tp_opt_wscale(uint8_t *buf, size_t *n, uint8_t shift);
void
tp_opt_sack_ok(uint8_t *buf, size_t *n);
void
tp_opt_ts(uint8_t *buf, size_t *n, uint32_t tsval, uint32_t tsecr);
void
tp_opt_nop(uint8_t *buf, size_t *n);
/* A SACK option of nb blocks (sequence numbers as given, valid or not); the caller keeps
 * the options within TCP_OPT_MAX. */
void
tp_opt_sack(uint8_t *buf, size_t *n, const struct tcp_sack_block *b, unsigned int nb);

/* ---- the application ---- */

#define TAPP_MAX_CONNS	32
#define TCONN_RX_MAX	(64 * 1024)
#define TCONN_LOG_MAX	128

struct tapp;

/* What the application saw of one connection. */
struct tconn {
	struct tapp *app;
	struct sl_conn *c;		/* NULL once on_close returned (or accept refused) */
	uint16_t lport, rport;		/* host order */
	unsigned int accepted, connected, msgs, eofs, writables, closes, drains;
	unsigned int paused;		/* on_message calls answered SL_RX_AGAIN */
	enum sl_close_reason reason;
	bool refused;			/* on_accept returned an error */
	bool stream_gap;		/* a message's stream_off did not follow the last */
	uint64_t rx_bytes;		/* bytes delivered (all of them) */
	uint8_t rx[TCONN_RX_MAX];	/* the first TCONN_RX_MAX of them */
	char log[TCONN_LOG_MAX];	/* events in order: a c m e w x (see tapp_ops) */
	unsigned int nlog;
};

/* The recording application; tests steer it with the fields below. */
struct tapp {
	struct tconn conns[TAPP_MAX_CONNS];
	unsigned int n;
	int accept_rc;			/* what on_accept returns */
	bool rx_pause;			/* on_message returns SL_RX_AGAIN */
	bool close_on_eof;		/* on_eof calls sl_conn_close() */
	int drain_rc;			/* what on_drain returns (SL_DRAIN_CLOSE: 0) */
	const struct sl_msg *msg;	/* the message of the 'm' event, while the hook runs
					 * (for sl_conn_hold_msg()) */
	/* Runs after each event is recorded (ev is its log letter); may call the API. */
	void (*hook)(struct tconn *tc, char ev);
};

/* Callbacks that record into struct tconn: on_accept 'a' (listen arg: the struct tapp),
 * on_connect 'c', on_message 'm' (one letter per call), on_eof 'e', on_writable 'w',
 * on_drain 'd' (returns drain_rc), on_close 'x'. For active opens the user pointer is the
 * struct tconn. */
extern const struct sl_conn_ops tapp_ops;

/* A fresh record (for an active open). */
struct tconn *
tapp_new_conn(struct tapp *app);

/* The most recent record for the peer port rport (NULL when none). */
struct tconn *
tapp_find(struct tapp *app, uint16_t rport);

/* ---- the peer ---- */

struct tpeer {
	struct th *t;
	struct tapp *app;
	uint16_t port;			/* the peer's port */
	uint16_t lport;			/* the stack's port */
	uint32_t iss;			/* the peer's ISN */
	uint32_t snd_nxt;		/* the peer's next sequence number */
	uint32_t irs;			/* the stack's ISN (from its SYN or SYN-ACK) */
	uint32_t rcv_nxt;		/* next sequence number expected from the stack */
	uint16_t wnd;			/* window field the peer sends; 0 = its window is closed,
					 * and tpeer_recv() then accepts no data */
	/* Options the peer offers in its SYN (or answers with in its SYN-ACK). */
	uint16_t mss;			/* 0: no MSS option */
	int wscale;			/* < 0: no window scale option */
	bool sack_ok;
	bool ts;
	/* ECN: flags added to the peer's SYN or SYN-ACK (TH_ECE | TH_CWR asks for ECN), and
	 * the TOS byte of every segment it sends (TP_ECT0, TP_CE ...). */
	uint8_t syn_flags;
	uint8_t tos;
	/* Timestamps once both sides use them: the peer's clock (incremented after every
	 * segment it sends) and the stack's last TSval, which the peer echoes. */
	bool ts_on;
	uint32_t tsval;
	uint32_t ts_recent;
	struct tp_out syn;		/* the stack's SYN or SYN-ACK */
	struct tconn *tc;		/* the application's record of the connection */
};

/* A peer on port `port` with ISN iss talking to the stack's port lport (for active opens
 * lport is learnt from the stack's SYN). Offers MSS 1460, SACK, timestamps and window
 * scale 7, and a window field of 65535. */
void
tpeer_init(struct tpeer *p, struct th *t, struct tapp *app, uint16_t port, uint16_t lport,
	   uint32_t iss);

/* Sequence number of the peer's byte `off` (0 = the first data byte). */
static inline uint32_t
tpeer_seq(const struct tpeer *p, uint32_t off)
{
	return p->iss + 1 + off;
}

/* Sequence number of the stack's byte `off`. */
static inline uint32_t
tpeer_sseq(const struct tpeer *p, uint32_t off)
{
	return p->irs + 1 + off;
}

/* Send a segment with explicit numbers, the peer's window, and its options (SYN options
 * on a SYN, the timestamp otherwise when on). The peer's state does not change except for
 * its timestamp clock. */
void
tpeer_xmit(struct tpeer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	   size_t len);

/* tpeer_xmit with raw options instead of the peer's own, and an explicit window. */
void
tpeer_xmit_opts(struct tpeer *p, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		const uint8_t *opts, size_t olen, const void *data, size_t len);

/* Send at snd_nxt acknowledging rcv_nxt, then advance snd_nxt over data, SYN and FIN. */
void
tpeer_send(struct tpeer *p, uint8_t flags, const void *data, size_t len);

/* A pure ACK of everything received (seq snd_nxt, ack rcv_nxt). */
void
tpeer_ack(struct tpeer *p);

/* The next segment the stack sent on this connection: checks the ports, records its
 * TSval, and takes in-order data and FIN into rcv_nxt (unless wnd is 0). False when
 * nothing was sent. */
bool
tpeer_recv(struct tpeer *p, struct tp_out *o);

/* tpeer_recv that fails the test when nothing was sent. */
void
tpeer_expect(struct tpeer *p, struct tp_out *o);

/* Expect a pure ACK (no data, no SYN/FIN/RST) acknowledging ack. */
void
tpeer_expect_ack(struct tpeer *p, uint32_t ack);

/* Fail the test if the stack sent anything. */
void
tpeer_expect_nothing(struct tpeer *p);

/* Passive open at the stack, first half: the peer sends its SYN (with syn_flags) and
 * expects the SYN-ACK (kept in p->syn; ECE and CWR not checked); learns the stack's ISN and
 * whether timestamps are on. */
void
tpeer_syn(struct tpeer *p);

/* Whole passive open: SYN, SYN-ACK, ACK; the stack must accept. Returns the connection. */
struct sl_conn *
tpeer_connect(struct tpeer *p);

/* Active open by the stack, first half: sl_worker_connect() to the peer, then expect the SYN
 * (kept in p->syn) and learn the stack's port and ISN. Returns the connection. */
struct sl_conn *
tpeer_await_syn(struct tpeer *p);

/* Answer the stack's SYN with the peer's SYN-ACK (options only as offered, syn_flags
 * added). */
void
tpeer_synack(struct tpeer *p);

/* Whole active open: SYN, SYN-ACK, the stack's ACK and on_connect. */
struct sl_conn *
tpeer_accept(struct tpeer *p);

/* Passive open, then drive the connection to state st with the peer's help: FIN-WAIT-1
 * (sl_conn_shutdown(), the FIN is not acknowledged), FIN-WAIT-2 (it is), CLOSE-WAIT (the
 * peer's FIN), LAST-ACK (then sl_conn_close()), CLOSING (our FIN crosses the peer's) or
 * TIME-WAIT (FIN-WAIT-2, then the peer's FIN). Everything the stack sent on the way has
 * been consumed. Returns the connection (no longer valid in TIME-WAIT: on_close ran). */
struct sl_conn *
tpeer_open_in_state(struct tpeer *p, enum sl_tcp_state st);

/* The stack's control block of this connection (NULL when it has none). */
struct tcp_flow *
tpeer_flow(const struct tpeer *p);

/* ---- fixture ---- */

struct tt {
	struct th t;
	struct tapp app;
	struct tpeer p;			/* TP_PEER_PORT -> TP_PORT, ISN TP_PEER_ISS */
	const struct sl_framing *fr;	/* the listener's framing (NULL: raw bytes) */
	const struct sl_framing *fr_extra;	/* also prepared, for sl_conn_set_framing() */
};

/* Stack (cfg NULL: tp_config()) listening on TP_PORT with tapp_ops, the peer's MAC
 * learnt, x->p initialised. The fixture is static: one per test at a time. */
struct tt *
tt_setup(const struct sl_config *cfg);

/* tt_setup() with a framed listener (sl_stack_listen_framed() with fr), and extra (NULL: none)
 * prepared with sl_stack_add_framing() for connections to switch to. */
struct tt *
tt_setup_framed(const struct sl_config *cfg, const struct sl_framing *fr,
		const struct sl_framing *extra);

/* tt_setup_framed() on a port whose TX ring has tx_ring_size slots (a power of two;
 * the "NIC" takes one less before it refuses frames). */
struct tt *
tt_setup_ring(const struct sl_config *cfg, const struct sl_framing *fr,
	      const struct sl_framing *extra, unsigned int tx_ring_size);

/* Abort what the application still holds, then th_teardown() (leak check). */
void
tt_teardown(struct tt *x);

/* Let the delayed-ACK timer (and anything else due within us) run. */
void
tt_flush(struct tt *x, uint64_t us);

/*
 * cmocka fixtures. A test registered with TT_TEST(fn) finds tt_setup(NULL)'s fixture in
 * *state, and tt_teardown() runs after the body returns -- also when an assertion failed
 * half-way, so the leak check ends every test and the next one starts without the
 * previous stack. A test that needs another configuration or framing names a setup
 * function of its own that puts its fixture in *state (tt_fixture_setup_cfg() does, for a
 * configuration), and is registered with TT_TEST_SETUP(fn, setup).
 */
int
tt_fixture_setup(void **state);

/* tt_setup(cfg) into *state. Returns 0. */
int
tt_fixture_setup_cfg(void **state, const struct sl_config *cfg);

int
tt_fixture_teardown(void **state);

/* tt_teardown() (with its leak check) of the fixture in *state and a fresh tt_setup(cfg)
 * in its place, for a test that runs its case on more than one stack. Returns the new
 * fixture (also in *state). */
struct tt *
tt_fixture_renew(void **state, const struct sl_config *cfg);

#define TT_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, tt_fixture_setup, tt_fixture_teardown)
#define TT_TEST_SETUP(fn, setup) \
	cmocka_unit_test_setup_teardown(fn, setup, tt_fixture_teardown)

#endif /* SL_TEST_TCP_HELPER_H */
