/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PMTU_H
#define SL_PMTU_H

/*
 * pmtu.c -- what each destination's path takes: the path MTU cache of RFC 1191.
 *
 * An ICMP "fragmentation needed" that passed TCP's checks (tcp_icmp.c) teaches the path
 * MTU of its destination (pmtu_learn); a connection to that destination opened later
 * starts with it (pmtu_get, at the handshake), instead of learning it again with a lost
 * window. An entry ages out after [ip] pmtu-expire-s (RFC 1191 §6.3's ten minutes), so a
 * path that grew back is used whole again; a learnt value never goes below [ip] min-pmtu
 * (Linux's min_pmtu, 552), so a forged ICMP cannot make us send tiny segments.
 *
 * Per worker (no locks on the data path), direct-mapped: PMTU_CACHE_SIZE destinations,
 * the newest one wins a slot. A destination that lost its slot learns its path again
 * from the next ICMP; nothing but a few bytes' worth of segments is lost then.
 */

#include <stdint.h>

#include <rte_byteorder.h>

struct sl_worker;

#define PMTU_CACHE_SIZE 256	/* a power of two */

struct pmtu_entry {
	rte_be32_t dst;
	uint16_t mtu;			/* 0: free */
	uint64_t expires_us;
};

struct pmtu_cache {
	struct pmtu_entry *e;		/* PMTU_CACHE_SIZE entries */
	uint32_t used;
};

int
pmtu_init(struct sl_worker *w);

void
pmtu_fini(struct sl_worker *w);

/* The path MTU to dst: the learnt one while it is fresh, else the port's. */
uint16_t
pmtu_get(struct sl_worker *w, rte_be32_t dst);

/* A validated report that dst's path takes at most mtu bytes. Returns the path MTU now
 * in force for dst: mtu raised to min-pmtu, never above the port's MTU or above a
 * smaller value already learnt and fresh. */
uint16_t
pmtu_learn(struct sl_worker *w, rte_be32_t dst, uint16_t mtu);

/* RFC 1191 §5: the MTU to assume when a router's "fragmentation needed" carries no
 * next-hop MTU (an RFC 792 router): the largest plateau below the quoted datagram's
 * length. */
uint16_t
pmtu_plateau(uint16_t tot_len);

#endif /* SL_PMTU_H */
