/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_HARNESS_H
#define SL_TEST_HARNESS_H

/*
 * Test harness: a real sluice stack on a net_ring port whose two rings the test holds.
 * Frames the test enqueues on `rx` are what the "wire" delivers; everything the stack
 * transmits lands on `tx` for the test to inspect. The worker runs on a virtual clock
 * that only th_advance() moves, so timers are exact and repeatable.
 *
 * Every test ends with th_teardown(), which quiesces the stack (runs time forward past
 * every timer), frees what the stack sent, and fails the test if the worker's mbuf pool
 * does not return to the count it had after start. Tests get both from cmocka fixtures
 * (TH_TEST below) rather than calling them by hand.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <sluice/sluice.h>

#include "core/worker.h"

/* The addresses tests use: the stack is 198.18.0.2/24, the peer 198.18.0.1. */
#define TH_STACK_IP	RTE_BE32(0xc6120002)
#define TH_PEER_IP	RTE_BE32(0xc6120001)
#define TH_OTHER_IP	RTE_BE32(0xc6120003)
#define TH_GATEWAY_IP	RTE_BE32(0xc61200fe)

extern const struct rte_ether_addr th_peer_mac;
extern const struct rte_ether_addr th_other_mac;
extern const struct rte_ether_addr th_bcast_mac;

/* Workers a harness stack may have (th_setup_workers). */
#define TH_MAX_WORKERS 4

struct th {
	struct sl_stack *s;
	struct sl_worker *w;		/* worker 0 */
	struct rte_ring *rx;		/* wire -> stack (queue 0) */
	struct rte_ring *tx;		/* stack -> wire (queue 0) */
	unsigned int nworkers;		/* 1 unless th_setup_workers() */
	struct rte_ring *rxq[TH_MAX_WORKERS];	/* per queue; rxq[0] == rx */
	struct rte_ring *txq[TH_MAX_WORKERS];	/* per queue; txq[0] == tx */
	uint16_t port_id;
	unsigned int baseline;		/* pool in-use count after start */
	struct rte_ether_addr mac;	/* the stack's MAC */
};

/* Initialise the EAL once per test program: no hugepages, no PCI, no shared config, a
 * unique file prefix. Aborts on failure. */
void
th_eal_init(const char *prog);

/* Configuration the unit tests start from: small pools, our test addresses. */
void
th_config(struct sl_config *cfg);

/* Create and start a stack on a fresh ring port (cfg NULL: th_config()). Returns 0. */
int
th_setup(struct th *t, const struct sl_config *cfg);

/* th_setup with a TX ring of tx_ring_size slots (a power of two; capacity one less), to
 * make the port refuse frames. */
int
th_setup_ring(struct th *t, const struct sl_config *cfg, unsigned int tx_ring_size);

/* Called by th_setup_hook() between stack creation and sl_stack_start(): the only window
 * in which sl_stack_listen() is allowed. */
typedef void (*th_hook_fn)(struct th *t, void *arg);

/* th_setup_ring() with a hook run after the stack is created (t->s and t->w are set, the
 * clock is virtual) and before it starts. */
int
th_setup_hook(struct th *t, const struct sl_config *cfg, unsigned int tx_ring_size,
	      th_hook_fn before_start, void *arg);

/* A stack (hook as in th_setup_hook) of nworkers workers (at most TH_MAX_WORKERS) on a net_ring port with one RX/TX
 * ring pair per queue, which the test fills itself (th_wire_put_q): the port has no RSS,
 * so the stack owns flows in software and hands segments between workers. th_poll() polls
 * every worker at the same virtual time, th_tx_pop() takes from every queue, th_in_use()
 * sums the pools. */
int
th_setup_workers(struct th *t, const struct sl_config *cfg, unsigned int nworkers,
		 th_hook_fn before_start, void *arg);

/* Quiesce, check for leaks (cmocka failure on a leak), destroy. */
void
th_teardown(struct th *t);

/*
 * cmocka fixtures. A test registered with TH_TEST(fn) finds a started stack (th_setup()
 * with th_config()) in *state, and th_teardown() runs after the body returns -- also when
 * an assertion failed half-way, so the leak check ends every test and the next one starts
 * without the previous stack's port and pool. A test that needs another configuration
 * names a setup function of its own that ends with th_fixture_setup_cfg(), and is
 * registered with TH_TEST_SETUP(fn, setup). One fixture at a time (it is static).
 */
int
th_fixture_setup(void **state);

/* th_setup_ring(cfg, tx_ring_size) into the fixture; *state points to it. Returns 0. */
int
th_fixture_setup_cfg(void **state, const struct sl_config *cfg, unsigned int tx_ring_size);

int
th_fixture_teardown(void **state);

/* th_teardown() (with its leak check) of the fixture's stack and a fresh one from
 * th_setup_ring(cfg, tx_ring_size) in its place, for a test that runs its case on more
 * than one stack. Returns the fixture (also in *state). */
struct th *
th_fixture_renew(void **state, const struct sl_config *cfg, unsigned int tx_ring_size);

#define TH_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, th_fixture_setup, th_fixture_teardown)
#define TH_TEST_SETUP(fn, setup) \
	cmocka_unit_test_setup_teardown(fn, setup, th_fixture_teardown)

/* An mbuf from the worker's pool holding a copy of frame[0..len). */
struct rte_mbuf *
th_frame(struct th *t, const void *frame, size_t len);

/* An mbuf from mp as the receive path leaves one in a receive buffer: len payload bytes
 * after 54 bytes of headers (the data pointer on the payload), and every field a driver
 * or the receive path sets dirtied (receive flags, packet type, header lengths, TSO size,
 * VLAN tags, port, RSS hash): what a reuse of it must reset. */
struct rte_mbuf *
th_mbuf_rx_like(struct rte_mempool *mp, uint16_t len);

/* Put a frame on the wire towards the stack (consumes m), and run one poll. */
void
th_inject(struct th *t, struct rte_mbuf *m);

/* Put a frame on the wire without polling (consumes m). */
void
th_wire_put(struct th *t, struct rte_mbuf *m);

/* Put a frame on RX queue q (worker q's queue) without polling (consumes m). */
void
th_wire_put_q(struct th *t, unsigned int q, struct rte_mbuf *m);

/* Copy bytes into an mbuf and inject it. */
void
th_inject_bytes(struct th *t, const void *frame, size_t len);

/* Fail unless every live flow of w has its fast-path gate flags (tcp/flow.h,
 * tcp_flow_gate_ok) in agreement with the fields they mirror. th_poll runs it after every
 * poll; tests that call the TCP functions directly call it themselves. */
void
th_gate_check(struct sl_worker *w);

/* Run one poll iteration of every worker at the current virtual time (worker 0's). */
void
th_poll(struct th *t);

/* Move the virtual clock forward by us microseconds, polling at every slow tick. */
void
th_advance(struct th *t, uint64_t us);

/* Next frame the stack sent, or NULL. The caller frees it. */
struct rte_mbuf *
th_tx_pop(struct th *t);

/* Move the frames of TX queues 1.. behind those of queue 0 (t->tx), so helpers that read
 * t->tx see everything a multi-worker stack sent. */
void
th_tx_merge(struct th *t);

/* Number of frames waiting on the TX ring. */
unsigned int
th_tx_count(struct th *t);

/* Free every frame the stack sent so far; returns how many there were. */
unsigned int
th_tx_drain(struct th *t);

/* Run time forward well past every timer the stack has, discarding its output. */
void
th_quiesce(struct th *t);

/* Mbufs of the workers' pools currently in use. */
unsigned int
th_in_use(struct th *t);

/* ---- frame builders: write into p, return the bytes written ---- */

size_t
fb_eth(uint8_t *p, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
       uint16_t ethertype);

size_t
fb_arp(uint8_t *p, uint16_t op, const struct rte_ether_addr *sha, rte_be32_t sip,
       const struct rte_ether_addr *tha, rte_be32_t tip);

/* IPv4 header without options, correct checksum; l4_len bytes follow. */
size_t
fb_ipv4(uint8_t *p, rte_be32_t src, rte_be32_t dst, uint8_t proto, uint16_t l4_len);

/* ICMP echo (type 8 request or 0 reply) with a correct checksum over data. */
size_t
fb_icmp_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq, const void *data,
	     size_t dlen);

/* A complete ICMP "fragmentation needed" frame from a router (TH_OTHER_IP) to the stack,
 * quoting the stack's segment lport -> rport (host order) at seq, qlen bytes long on the
 * wire, with next-hop MTU mtu (0: an RFC 792 router's). */
size_t
fb_frag_needed(uint8_t *p, const struct th *t, uint16_t lport, uint16_t rport, uint32_t seq,
	       uint16_t qlen, uint16_t mtu);

/* The same for any ICMP error (type, code) quoting that segment. */
size_t
fb_icmp_error(uint8_t *p, const struct th *t, uint8_t type, uint8_t code, uint16_t lport,
	      uint16_t rport, uint32_t seq, uint16_t qlen, uint16_t mtu);

/* A complete echo request frame from the peer to the stack. */
size_t
fb_ping(uint8_t *p, const struct th *t, uint16_t id, uint16_t seq, const void *data,
	size_t dlen);

/* Pointer to the stack's worker counters (for assertions). */
static inline const struct sl_stats *
th_stats(const struct th *t)
{
	return &t->w->stats;
}

#endif /* SL_TEST_HARNESS_H */
