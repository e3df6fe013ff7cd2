/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ARP_H
#define SL_ARP_H

/* arp.c: ARP replies and the neighbour resolver (RFC 826).
 *
 * The table is bounded (config arp_entries) and lives in an rte_hash keyed by IPv4
 * address. Each entry is in one of these states:
 *   INCOMPLETE  a request is out; up to arp_pending packets wait for the answer;
 *               re-requested at most once per arp_retry_ms, dropped after arp_retries;
 *   REACHABLE   answered within arp_timeout_ms: used without question;
 *   STALE       older than that: still used, but the next use sends a request (at most
 *               one per arp_retry_ms); removed when nothing confirms it for another
 *               arp_timeout_ms.
 * Learning follows RFC 826's merge rule: a packet from a known sender refreshes its entry;
 * a new entry is created only when the request is for our address (the asker will talk to
 * us) or answers our own request. Nobody may claim our address. */

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

struct rte_hash;
struct rte_mbuf;
struct sl_worker;

enum arp_state {
	ARP_FREE = 0,
	ARP_INCOMPLETE,
	ARP_REACHABLE,
	ARP_STALE,
};

struct arp_entry {
	rte_be32_t ip;
	uint8_t state;			/* enum arp_state */
	uint8_t tries;			/* requests sent while INCOMPLETE */
	uint16_t npending;		/* packets waiting (INCOMPLETE) */
	struct rte_ether_addr mac;
	/* The Ethernet header of an IPv4 frame to mac from us (its MAC, ours, the type),
	 * rewritten with mac (arp_entry_eth), for the direct path to copy in two stores
	 * (ipv4_direct_hdrs); 16 bytes: the IPv4 header's first two then overwrite the
	 * last two, zeros. */
	uint64_t eth_v4[2];
	uint64_t confirmed_us;		/* last answer or refresh from the neighbour */
	uint64_t requested_us;		/* last request sent for it */
	struct rte_mbuf **pending;	/* arp_pending slots, oldest first */
	struct arp_entry *next_free;
};

struct arp_table {
	struct rte_hash *hash;		/* ip -> struct arp_entry * */
	struct arp_entry *entries;
	struct rte_mbuf **pending;	/* storage behind every entry's pending[] */
	struct arp_entry *free_list;
	/* arp_find's one-entry cache: the entry found last (a worker with one gateway or
	 * one peer hits it for every packet). Valid while it is in use for that address. */
	struct arp_entry *last_hit;
	uint32_t cap;
	uint32_t used;
	uint16_t per_dest;
};

int
arp_table_init(struct sl_worker *w);

void
arp_table_free(struct sl_worker *w);

/* Handle a received ARP frame (m->l2_len set). Consumes m. */
void
arp_input(struct sl_worker *w, struct rte_mbuf *m);

/* A copy of an ARP frame another worker received and handled (steer.c): apply the
 * merge rule to this worker's table, answer nothing, count no reception. Consumes m. */
void
arp_learn(struct sl_worker *w, struct rte_mbuf *m);

/* Send m (Ethernet header prepended, destination still unset) to the neighbour `nexthop`,
 * resolving it first if needed. Consumes m. */
void
arp_output(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t nexthop);

/* arp_output, except that a packet finding the neighbour's pending queue full is not
 * queued in place of the oldest: it is freed and -EAGAIN returned, for a sender that can
 * wait and produce it again (TCP). 0 otherwise. Consumes m. */
int
arp_output_or_refuse(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t nexthop);

/* The entry for nexthop if the one-entry cache holds it and it is REACHABLE: a sender may
 * use its address at once, with no lookup, refresh or queueing (arp_output does all of
 * those for every other case). NULL otherwise. */
static inline const struct arp_entry *
arp_reachable_cached(const struct arp_table *t, rte_be32_t nexthop)
{
	const struct arp_entry *e = t->last_hit;

	if (e != NULL && e->ip == nexthop && e->state == ARP_REACHABLE)
		return e;
	return NULL;
}

/* Age entries and retry requests; run on the worker's slow tick. */
void
arp_timer(struct sl_worker *w);

/* The entry for ip, or NULL (for tests and diagnostics). */
const struct arp_entry *
arp_lookup(struct sl_worker *w, rte_be32_t ip);

#endif /* SL_ARP_H */
