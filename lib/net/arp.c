/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arp.c -- ARP (RFC 826): answering for our address, and resolving next hops.
 *
 * RX: eth_input -> arp_input: validate, copy to the other workers (steer.c; they
 *     arp_learn from it), apply the merge rule, answer requests in place.
 * TX: ipv4_output -> arp_output: a resolved neighbour goes straight to eth_output; an
 *     unresolved one gets an INCOMPLETE entry, a request, and a small pending queue that
 *     arp_input flushes when the answer arrives.
 * Timer: arp_timer, on the worker's slow tick: retries, failures, aging.
 *
 * Every bound is configuration: table size, packets pending per destination, request
 * interval (at most one request per target per arp_retry_ms), retries, entry lifetime.
 */

#define SL_LOG_MODULE arp	/* sluice.arp (core/log.h) */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "core/steer.h"
#include "net/arp.h"
#include "net/eth.h"
#include "net/ipv4.h"
#include "core/log.h"
#include "net/mbuf_util.h"
#include "net/port.h"
#include "core/worker.h"

/* Frames shorter than this are padded (Ethernet minimum without the FCS). */
#define ARP_FRAME_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)

int
arp_table_init(struct sl_worker *w)
{
	struct arp_table *t = &w->arp;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = RTE_MAX(w->cfg->arp_entries, 8u),
		.key_len = sizeof(rte_be32_t),
		.hash_func = rte_hash_crc,
		.socket_id = w->socket,
		/* The extendable table guarantees room for `entries` keys whatever their hash. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	uint32_t i;

	snprintf(name, sizeof(name), "sl_arp_p%u_w%u", w->port_id, w->id);
	t->cap = w->cfg->arp_entries;
	t->per_dest = w->cfg->arp_pending;
	t->hash = rte_hash_create(&p);
	t->entries = rte_zmalloc_socket("sl_arp", (size_t)t->cap * sizeof(*t->entries),
					RTE_CACHE_LINE_SIZE, w->socket);
	t->pending = rte_zmalloc_socket("sl_arp_pend",
					(size_t)t->cap * t->per_dest * sizeof(*t->pending),
					RTE_CACHE_LINE_SIZE, w->socket);
	if (t->hash == NULL || t->entries == NULL || (t->pending == NULL && t->per_dest > 0)) {
		SL_LOG(ERR, "worker %u: cannot allocate a %u-entry neighbour table", w->id,
		       t->cap);
		return -ENOMEM;
	}
	t->free_list = NULL;
	for (i = t->cap; i-- > 0;) {
		struct arp_entry *e = &t->entries[i];

		e->pending = t->pending + (size_t)i * t->per_dest;
		e->next_free = t->free_list;
		t->free_list = e;
	}
	t->used = 0;
	return 0;
}

static void
arp_pending_free(struct arp_entry *e)
{
	if (e->npending > 0)
		rte_pktmbuf_free_bulk(e->pending, e->npending);
	e->npending = 0;
}

void
arp_table_free(struct sl_worker *w)
{
	struct arp_table *t = &w->arp;
	uint32_t i;

	if (t->entries != NULL)
		for (i = 0; i < t->cap; i++)
			arp_pending_free(&t->entries[i]);
	rte_hash_free(t->hash);
	rte_free(t->entries);
	rte_free(t->pending);
	memset(t, 0, sizeof(*t));
}

static struct arp_entry *
arp_find(struct sl_worker *w, rte_be32_t ip)
{
	struct arp_entry *e = w->arp.last_hit;
	void *data;

	if (likely(e != NULL) && e->ip == ip && e->state != ARP_FREE)
		return e;
	if (rte_hash_lookup_data(w->arp.hash, &ip, &data) < 0)
		return NULL;
	w->arp.last_hit = data;
	return data;
}

const struct arp_entry *
arp_lookup(struct sl_worker *w, rte_be32_t ip)
{
	return arp_find(w, ip);
}

static void
arp_entry_release(struct sl_worker *w, struct arp_entry *e)
{
	struct arp_table *t = &w->arp;

	arp_pending_free(e);
	rte_hash_del_key(t->hash, &e->ip);
	e->state = ARP_FREE;
	e->next_free = t->free_list;
	t->free_list = e;
	t->used--;
}

/* e's Ethernet header for IPv4 frames (struct arp_entry), from its MAC and ours: written
 * wherever its MAC is. */
static void
arp_entry_eth(const struct sl_worker *w, struct arp_entry *e)
{
	struct {
		struct rte_ether_hdr eh;
		uint16_t pad;
	} h;

	RTE_BUILD_BUG_ON(sizeof(h) != sizeof(e->eth_v4));
	rte_ether_addr_copy(&e->mac, &h.eh.dst_addr);
	rte_ether_addr_copy(&w->mac, &h.eh.src_addr);
	h.eh.ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	h.pad = 0;
	memcpy(e->eth_v4, &h, sizeof(h));
}

/* A free entry for ip, evicting the least recently confirmed STALE entry when the table
 * is full. INCOMPLETE and REACHABLE entries are never evicted. NULL when all are busy. */
static struct arp_entry *
arp_entry_new(struct sl_worker *w, rte_be32_t ip, uint8_t state)
{
	struct arp_table *t = &w->arp;
	struct arp_entry *e = t->free_list;
	uint32_t i;

	if (e == NULL) {
		struct arp_entry *victim = NULL;

		for (i = 0; i < t->cap; i++) {
			struct arp_entry *c = &t->entries[i];

			if (c->state == ARP_STALE &&
			    (victim == NULL || c->confirmed_us < victim->confirmed_us))
				victim = c;
		}
		if (victim == NULL) {
			w->stats.arp_table_full++;
			return NULL;
		}
		w->stats.arp_aged++;
		arp_entry_release(w, victim);
		e = t->free_list;
	}
	if (rte_hash_add_key_data(t->hash, &ip, e) < 0) {
		w->stats.arp_table_full++;
		return NULL;
	}
	t->free_list = e->next_free;
	t->used++;
	e->ip = ip;
	e->state = state;
	e->tries = 0;
	e->npending = 0;
	e->confirmed_us = w->clock.now_us;
	e->requested_us = 0;
	memset(&e->mac, 0, sizeof(e->mac));
	arp_entry_eth(w, e);
	return e;
}

/* Build and queue a request for tip: broadcast, or unicast to a known MAC when checking
 * that a STALE neighbour is still there. */
static void
arp_request(struct sl_worker *w, rte_be32_t tip, const struct rte_ether_addr *unicast)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_mbuf *m = worker_mbuf_alloc(w);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return;
	/* A fresh mbuf always has room for a minimum-size frame. */
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(ARP_FRAME_LEN +
							eth_hdr_len(w) - RTE_ETHER_HDR_LEN));
	memset(eh, 0, m->data_len);
	m->l2_len = eth_hdr_write(w, eh, RTE_ETHER_TYPE_ARP);
	ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, m->l2_len);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(rte_be32_t);
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&w->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = w->ip;
	ah->arp_data.arp_tip = tip;
	w->stats.arp_tx_request++;
	SL_LOG_RL(DEBUG, "worker %u: who has " SL_IP4_FMT "? (%s)", w->id, SL_IP4_ARGS(tip),
		  unicast != NULL ? "unicast, checking a stale entry" : "broadcast");
	eth_output(w, m, unicast != NULL ? unicast : &bcast);
}

/* The neighbour answered (or otherwise proved it is at mac): refresh the entry and
 * release what waited for it. */
static void
arp_entry_confirm(struct sl_worker *w, struct arp_entry *e, const struct rte_ether_addr *mac)
{
	uint16_t i;

	if (e->state != ARP_INCOMPLETE && !rte_is_same_ether_addr(mac, &e->mac))
		SL_LOG_RL(INFO, "worker %u: " SL_IP4_FMT " moved from " RTE_ETHER_ADDR_PRT_FMT
			  " to " RTE_ETHER_ADDR_PRT_FMT, w->id, SL_IP4_ARGS(e->ip),
			  RTE_ETHER_ADDR_BYTES(&e->mac), RTE_ETHER_ADDR_BYTES(mac));
	rte_ether_addr_copy(mac, &e->mac);
	arp_entry_eth(w, e);
	e->confirmed_us = w->clock.now_us;
	e->tries = 0;
	if (e->state != ARP_INCOMPLETE) {
		e->state = ARP_REACHABLE;
		w->stats.arp_updated++;
		return;
	}
	SL_LOG_RL(DEBUG, "worker %u: " SL_IP4_FMT " is at " RTE_ETHER_ADDR_PRT_FMT
		  " (%u packets were waiting)", w->id, SL_IP4_ARGS(e->ip),
		  RTE_ETHER_ADDR_BYTES(mac), e->npending);
	e->state = ARP_REACHABLE;
	w->stats.arp_learned++;
	for (i = 0; i < e->npending; i++)
		eth_output(w, e->pending[i], &e->mac);
	e->npending = 0;
}

/* answer: false for a copy another worker received and answered (arp_learn). */
static void
arp_process(struct sl_worker *w, struct rte_mbuf *m, bool answer)
{
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct rte_ether_addr sha;
	struct arp_entry *e;
	rte_be32_t sip, tip;
	bool request, for_us, merged = false;

	if (unlikely(rte_pktmbuf_data_len(m) < m->l2_len + sizeof(*ah))) {
		w->stats.arp_drop_malformed++;
		goto drop;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, m->l2_len);
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != sizeof(rte_be32_t) ||
	    (ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) &&
	     ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY))) {
		w->stats.arp_drop_malformed++;
		goto drop;
	}
	request = ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST);
	if (answer) {
		if (request)
			w->stats.arp_rx_request++;
		else
			w->stats.arp_rx_reply++;
	}

	rte_ether_addr_copy(&ah->arp_data.arp_sha, &sha);
	sip = ah->arp_data.arp_sip;
	tip = ah->arp_data.arp_tip;
	if (rte_is_multicast_ether_addr(&sha) || rte_is_zero_ether_addr(&sha) ||
	    (sip != 0 && (ipv4_is_martian(sip) || sip == w->bcast))) {
		w->stats.arp_drop_bad_sender++;
		SL_LOG_RL(DEBUG, "worker %u: ARP from " RTE_ETHER_ADDR_PRT_FMT " sender "
			  SL_IP4_FMT " dropped: arp_drop_bad_sender", w->id,
			  RTE_ETHER_ADDR_BYTES(&sha), SL_IP4_ARGS(sip));
		goto drop;
	}
	if (unlikely(sip == w->ip)) {
		/* Someone claims our address. Never learn it; count it so it is seen. */
		w->stats.arp_drop_spoof++;
		if (answer)
			SL_LOG_RL(WARNING, "worker %u: " RTE_ETHER_ADDR_PRT_FMT " claims our "
				  "address " SL_IP4_FMT " (arp_drop_spoof)", w->id,
				  RTE_ETHER_ADDR_BYTES(&sha), SL_IP4_ARGS(sip));
		goto drop;
	}

	/* RSS does not hash ARP and net_tap's kernel picks any queue: every worker must
	 * learn what one of them received. Copied before m becomes our reply. */
	if (answer && w->handoff != NULL)
		steer_arp_replicate(w, m);

	/* RFC 826 merge: a sender we already know is refreshed, whatever it asks. */
	for_us = tip == w->ip;
	if (sip != 0) {
		e = arp_find(w, sip);
		if (e != NULL) {
			arp_entry_confirm(w, e, &sha);
			merged = true;
		}
	}
	/* A copy (!answer) was counted by the worker that received it. */
	if (!for_us) {
		if (request && answer)
			w->stats.arp_drop_not_for_us++;
		else if (!merged && answer)
			w->stats.arp_unsolicited++;
		goto drop;
	}
	if (!request) {
		/* A reply to us for a host we never asked about does not create an entry. */
		if (!merged && answer)
			w->stats.arp_unsolicited++;
		goto drop;
	}
	/* A request for our address: the asker is about to talk to us, so learn it (the
	 * second half of the merge rule), then answer in place. ARP probes (sender 0.0.0.0,
	 * RFC 5227) are answered but teach nothing. */
	if (!merged && sip != 0) {
		e = arp_entry_new(w, sip, ARP_INCOMPLETE);
		if (e != NULL)
			arp_entry_confirm(w, e, &sha);
	}
	if (!answer)
		goto drop;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&sha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = sip;
	rte_ether_addr_copy(&w->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = w->ip;
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&w->mac, &eh->src_addr);
	mbuf_ol_reset(m);
	w->stats.arp_tx_reply++;
	port_tx(w, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

void
arp_input(struct sl_worker *w, struct rte_mbuf *m)
{
	arp_process(w, m, true);
}

void
arp_learn(struct sl_worker *w, struct rte_mbuf *m)
{
	arp_process(w, m, false);
}

static __rte_always_inline int
arp_output_mode(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t nexthop, bool refuse)
{
	const struct sl_config *cfg = w->cfg;
	uint64_t now = w->clock.now_us;
	struct arp_entry *e = arp_find(w, nexthop);

	if (likely(e != NULL && e->state != ARP_INCOMPLETE)) {
		if (e->state == ARP_STALE &&
		    now - e->requested_us >= (uint64_t)cfg->arp_retry_ms * 1000) {
			e->requested_us = now;
			arp_request(w, nexthop, &e->mac);
		}
		eth_output(w, m, &e->mac);
		return 0;
	}
	if (e == NULL) {
		e = arp_entry_new(w, nexthop, ARP_INCOMPLETE);
		if (e == NULL) {
			w->stats.arp_drop_no_entry++;
			rte_pktmbuf_free(m);
			return 0;
		}
	}
	if (e->npending == w->arp.per_dest && refuse) {
		/* The caller keeps its state and tries again once the answer came. */
		w->stats.arp_pending_refused++;
		rte_pktmbuf_free(m);
		return -EAGAIN;
	}
	if (e->npending == w->arp.per_dest) {
		/* Bounded queue: the oldest packet makes room (it has waited longest). */
		w->stats.arp_pending_drop++;
		if (e->npending == 0) {
			rte_pktmbuf_free(m);
			m = NULL;
		} else {
			rte_pktmbuf_free(e->pending[0]);
			memmove(e->pending, e->pending + 1,
				(size_t)(e->npending - 1) * sizeof(e->pending[0]));
			e->npending--;
		}
	}
	if (m != NULL)
		e->pending[e->npending++] = m;
	if (e->tries == 0) {
		e->tries = 1;
		e->requested_us = now;
		arp_request(w, nexthop, NULL);
	}
	return 0;
}

void
arp_output(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t nexthop)
{
	arp_output_mode(w, m, nexthop, false);
}

int
arp_output_or_refuse(struct sl_worker *w, struct rte_mbuf *m, rte_be32_t nexthop)
{
	return arp_output_mode(w, m, nexthop, true);
}

void
arp_timer(struct sl_worker *w)
{
	const struct sl_config *cfg = w->cfg;
	struct arp_table *t = &w->arp;
	uint64_t now = w->clock.now_us;
	uint64_t retry = (uint64_t)cfg->arp_retry_ms * 1000;
	uint64_t timeout = (uint64_t)cfg->arp_timeout_ms * 1000;
	uint32_t i, seen, used = t->used;

	/* The walk ends once it has seen every entry in use instead of visiting all
	 * arp_entries slots every tick: entries are handed out from the start of the array
	 * (arp_table_init), and after releases the free list reuses the freed slots first,
	 * so the entries in use stay near the front. Those released on the way were counted
	 * in `used` already. */
	for (i = 0, seen = 0; i < t->cap && seen < used; i++) {
		struct arp_entry *e = &t->entries[i];

		if (e->state == ARP_FREE)
			continue;
		seen++;
		switch (e->state) {
		case ARP_INCOMPLETE:
			if (now - e->requested_us < retry)
				break;
			if (e->tries >= cfg->arp_retries) {
				SL_LOG_RL(NOTICE, "worker %u: " SL_IP4_FMT " did not answer %u "
					  "requests: %u waiting packets dropped "
					  "(arp_resolve_fail)", w->id, SL_IP4_ARGS(e->ip),
					  e->tries, e->npending);
				w->stats.arp_resolve_fail += e->npending;
				arp_entry_release(w, e);
				break;
			}
			e->tries++;
			e->requested_us = now;
			arp_request(w, e->ip, NULL);
			break;
		case ARP_REACHABLE:
			if (now - e->confirmed_us >= timeout)
				e->state = ARP_STALE;
			break;
		case ARP_STALE:
			if (now - e->confirmed_us >= 2 * timeout) {
				w->stats.arp_aged++;
				arp_entry_release(w, e);
			}
			break;
		default:
			break;
		}
	}
}
