/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_STEER_H
#define SL_STEER_H

/*
 * steer.c: which worker owns a flow, and the handoff between workers.
 *
 * The owner of a TCP flow is a fixed function of its 4-tuple that every worker computes
 * the same way: the Toeplitz hash (sluice's key, steer_rss_key()) of the peer's segments
 * (source = remote, destination = us), looked up in a redirection table. No flow table is
 * shared; a worker that receives a segment of a flow it does not own hands the mbuf to the
 * owner's ring, and the owner processes it with tcp_input as if it had received it.
 *
 * Two modes, decided at sl_stack_start():
 *   RSS       the port hashes with our key and the RETA we programmed and read back
 *             (hardware NICs): the table is that RETA, no segment ever changes worker,
 *             and the workers do not check ownership per segment (one empty-ring check
 *             per iteration is the whole cost);
 *   software  the port spreads packets by a function sluice cannot predict or control
 *             (net_tap's kernel flow hash, af_packet fanout, memif's sender, a port
 *             without RSS): the table is a default one of STEER_RETA_DEFAULT entries,
 *             entry i -> worker i % N, and every TCP segment is checked and handed off
 *             when it reached the wrong worker.
 *
 * Neighbours: an ARP frame that may teach something (for our address, or gratuitous) is
 * processed by the worker that received it and copied to every other worker's ring,
 * tagged so that they only learn from it (never answer). An ICMP error goes to the owner of
 * the connection it quotes (steer_icmp_handoff).
 *
 * Each worker's ring is multi-producer (every other worker), single-consumer (the
 * owner), drained in the poll phase worker_handoff. A full ring drops the frame
 * (handoff_drop_full) and frees it: the peer retransmits, as after any loss.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

struct flow_key;
struct rte_mbuf;
struct sl_stack;
struct sl_worker;

/* Default table (software mode), a power of two so that the hash picks an entry by mask
 * like a NIC does; the largest RETA sluice programs. */
#define STEER_RETA_DEFAULT 128
#define STEER_RETA_MAX 512

/* Bytes of the hashed tuple: IPv4 source and destination, TCP source and destination. */
#define STEER_TUPLE_LEN 12

/* The stack's steering state, written at start (steer_setup), read-only after. */
struct steer {
	/* Toeplitz by table: hash(tuple) = XOR over i of byte_hash[i][tuple[i]], each entry
	 * the XOR of the key windows of the bits set in that byte. 12 lookups instead of a
	 * loop over the tuple's set bits (rte_softrss_be: ~400 instructions a segment). */
	uint32_t byte_hash[STEER_TUPLE_LEN][256];
	uint16_t reta[STEER_RETA_MAX];	/* entry -> worker */
	uint16_t reta_size;		/* a power of two */
	bool rss;			/* the port delivers every segment to its owner */
	bool check;			/* workers check each TCP segment's owner */
};

/* The 40-byte Toeplitz key sluice gives a port (and hashes with in software). */
const uint8_t *
steer_rss_key(void);

/* Fill s->steer: `rss` when the port took our key and the table `reta` (reta_size
 * entries, NULL when none was programmed); a default table otherwise. */
void
steer_setup(struct sl_stack *s, const uint16_t *reta, uint16_t reta_size, bool rss);

/* The Toeplitz hash a NIC with sluice's key computes for the peer's segments of a flow
 * (addresses and ports in network order; source = the peer). For tests: equals
 * rte_softrss() of the same tuple. */
uint32_t
steer_hash(const struct steer *st, rte_be32_t raddr, rte_be32_t laddr, rte_be16_t rport,
	   rte_be16_t lport);

/* The worker that owns flow k (k as the flow table keys it: l = us, r = the peer). */
unsigned int
steer_owner(const struct sl_stack *s, const struct flow_key *k);

/* Create / free the worker's handoff ring (free returns what it still held). */
int
steer_worker_init(struct sl_worker *w);

void
steer_worker_fini(struct sl_worker *w);

/* From tcp_input: true when the segment m (headers validated up to IPv4) belongs to
 * another worker and was handed to it (or dropped, counted, on a full ring): the caller
 * must not touch m again. False: this worker owns it. */
bool
steer_tcp_handoff(struct sl_worker *w, struct rte_mbuf *m);

/* From tcp_icmp_input: an ICMP error quoting flow k's segment goes to k's owner, in
 * both steering modes (a NIC hashes the ICMP message by the router's address, not by the
 * flow). True: handed over (or dropped, counted); the caller must not touch m again. */
bool
steer_icmp_handoff(struct sl_worker *w, struct rte_mbuf *m, const struct flow_key *k);

/* From eth_input, before arp_input may reuse m: copy an ARP frame worth learning to
 * every other worker. m is not consumed. */
void
steer_arp_replicate(struct sl_worker *w, const struct rte_mbuf *m);

/* The poll phase: process what other workers handed to this one. */
void
steer_drain(struct sl_worker *w);

#endif /* SL_STEER_H */
