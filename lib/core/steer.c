/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * steer.c -- flow ownership and the handoff between workers (see steer.h for the design).
 *
 * RX, software mode: eth_input -> ipv4_input -> tcp_input -> steer_tcp_handoff: a segment
 * whose owner is another worker goes on that worker's ring. ARP: eth_input ->
 * steer_arp_replicate (a copy to every other worker) -> arp_input.
 * Poll phase worker_handoff -> steer_drain: tcp_input_owned for segments, arp_learn for
 * ARP copies, on the owner, exactly as if its own queue had received them.
 *
 * Ring entries are mbuf pointers; an mbuf is cache-line aligned, so bit 0 is free to
 * tag an ARP copy ("learn only") without touching the mbuf.
 */

#define SL_LOG_MODULE core	/* sluice.core (core/log.h) */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "core/log.h"
#include "core/steer.h"
#include "core/worker.h"
#include "net/arp.h"
#include "tcp/flow.h"
#include "tcp/tcp_icmp.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_mem.h"

#define STEER_TAG_ARP ((uintptr_t)1)
#define STEER_TAG_ICMP ((uintptr_t)2)
#define STEER_TAGS (STEER_TAG_ARP | STEER_TAG_ICMP)

/* Entries one drain takes per dequeue, and dequeues per iteration at most (so that a
 * flood from the other workers cannot starve this worker's own queue). */
#define STEER_DRAIN_BURST 64
#define STEER_DRAIN_ROUNDS 8

/* Toeplitz key used on every port. A fixed, known key lets every worker compute the
 * owner of a 4-tuple in software (rte_thash). This is the widely used default key
 * (Microsoft RSS verification suite). */
static const uint8_t steer_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

const uint8_t *
steer_rss_key(void)
{
	return steer_key;
}

/* The 32 key bits starting at bit `bit` (bit 0 = the most significant of key byte 0). */
static uint32_t
steer_key_window(unsigned int bit)
{
	unsigned int byte = bit / 8, i;
	uint64_t v = 0;

	for (i = 0; i < 5; i++)
		v = v << 8 | (byte + i < sizeof(steer_key) ? steer_key[byte + i] : 0);
	return (uint32_t)(v >> (8 - bit % 8));
}

static void
steer_tables_init(struct steer *st)
{
	unsigned int i, b, j;

	for (i = 0; i < STEER_TUPLE_LEN; i++)
		for (b = 0; b < 256; b++) {
			uint32_t h = 0;

			for (j = 0; j < 8; j++)
				if (b & (0x80u >> j))
					h ^= steer_key_window(8 * i + j);
			st->byte_hash[i][b] = h;
		}
}

void
steer_setup(struct sl_stack *s, const uint16_t *reta, uint16_t reta_size, bool rss)
{
	struct steer *st = &s->steer;
	unsigned int i;

	steer_tables_init(st);
	if (rss && reta != NULL && reta_size > 0 && reta_size <= STEER_RETA_MAX &&
	    rte_is_power_of_2(reta_size)) {
		memcpy(st->reta, reta, reta_size * sizeof(reta[0]));
		st->reta_size = reta_size;
		st->rss = true;
	} else {
		for (i = 0; i < STEER_RETA_DEFAULT; i++)
			st->reta[i] = (uint16_t)(i % s->nb_workers);
		st->reta_size = STEER_RETA_DEFAULT;
		st->rss = false;
	}
	st->check = s->nb_workers > 1 && !st->rss;
}

static inline uint32_t
steer_hash_inline(const struct steer *st, rte_be32_t raddr, rte_be32_t laddr,
		  rte_be16_t rport, rte_be16_t lport)
{
	/* The port hashes the peer's segments: source = remote, destination = us, in wire
	 * order, which is the order of these bytes in memory. */
	const uint8_t *a = (const uint8_t *)&raddr, *b = (const uint8_t *)&laddr;
	const uint8_t *c = (const uint8_t *)&rport, *d = (const uint8_t *)&lport;

	return st->byte_hash[0][a[0]] ^ st->byte_hash[1][a[1]] ^ st->byte_hash[2][a[2]] ^
	       st->byte_hash[3][a[3]] ^ st->byte_hash[4][b[0]] ^ st->byte_hash[5][b[1]] ^
	       st->byte_hash[6][b[2]] ^ st->byte_hash[7][b[3]] ^ st->byte_hash[8][c[0]] ^
	       st->byte_hash[9][c[1]] ^ st->byte_hash[10][d[0]] ^ st->byte_hash[11][d[1]];
}

uint32_t
steer_hash(const struct steer *st, rte_be32_t raddr, rte_be32_t laddr, rte_be16_t rport,
	   rte_be16_t lport)
{
	return steer_hash_inline(st, raddr, laddr, rport, lport);
}

static inline unsigned int
steer_owner_of(const struct steer *st, rte_be32_t raddr, rte_be32_t laddr, rte_be16_t rport,
	       rte_be16_t lport)
{
	return st->reta[steer_hash_inline(st, raddr, laddr, rport, lport) &
			(st->reta_size - 1u)];
}

unsigned int
steer_owner(const struct sl_stack *s, const struct flow_key *k)
{
	if (s->nb_workers == 1)
		return 0;
	return steer_owner_of(&s->steer, k->raddr, k->laddr, k->rport, k->lport);
}

int
steer_worker_init(struct sl_worker *w)
{
	const struct sl_stack *s = w->stack;
	char name[RTE_RING_NAMESIZE];

	if (s->nb_workers == 1)
		return 0;
	snprintf(name, sizeof(name), "sl_ho_p%u_w%u", w->port_id, w->id);
	/* Every other worker produces, only this one consumes. RTS keeps producers from
	 * spinning behind a preempted one when workers share a CPU (--lcores 0@0,1@0). */
	w->handoff = rte_ring_create(name, w->cfg->handoff_ring, w->socket,
				     RING_F_MP_RTS_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (w->handoff == NULL) {
		SL_LOG(ERR, "worker %u: cannot create its %u-entry handoff ring: %s", w->id,
		       w->cfg->handoff_ring, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

void
steer_worker_fini(struct sl_worker *w)
{
	void *obj;

	if (w->handoff == NULL)
		return;
	while (rte_ring_dequeue(w->handoff, &obj) == 0)
		rte_pktmbuf_free((struct rte_mbuf *)((uintptr_t)obj & ~STEER_TAGS));
	rte_ring_free(w->handoff);
	w->handoff = NULL;
}

static inline void
steer_enqueue(struct sl_worker *w, struct sl_worker *to, struct rte_mbuf *m, uintptr_t tag)
{
	if (likely(rte_ring_enqueue(to->handoff, (void *)((uintptr_t)m | tag)) == 0))
		return;
	w->stats.handoff_drop_full++;
	rte_pktmbuf_free(m);
}

bool
steer_tcp_handoff(struct sl_worker *w, struct rte_mbuf *m)
{
	struct sl_stack *s = w->stack;
	const uint32_t off = (uint32_t)m->l2_len + m->l3_len;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	unsigned int owner;

	/* Too short for the ports: tcp_input drops it here, counted. */
	if (unlikely(rte_pktmbuf_data_len(m) < off + 4))
		return false;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, off);
	owner = steer_owner_of(&s->steer, ip->src_addr, ip->dst_addr, th->src_port,
			       th->dst_port);
	if (likely(owner == w->id))
		return false;
	if (unlikely(w->tcp.mem_pressure) && tcp_mem_handoff_drop(w, m, ip, th))
		return true;
	w->stats.handoff_segs++;
	steer_enqueue(w, s->workers[owner], m, 0);
	return true;
}

bool
steer_icmp_handoff(struct sl_worker *w, struct rte_mbuf *m, const struct flow_key *k)
{
	struct sl_stack *s = w->stack;
	unsigned int owner;

	if (s->nb_workers == 1)
		return false;
	owner = steer_owner(s, k);
	if (owner == w->id)
		return false;
	w->stats.handoff_segs++;
	steer_enqueue(w, s->workers[owner], m, STEER_TAG_ICMP);
	return true;
}

void
steer_arp_replicate(struct sl_worker *w, const struct rte_mbuf *m)
{
	struct sl_stack *s = w->stack;
	const struct rte_arp_hdr *ah;
	unsigned int i;

	if (s->nb_workers == 1 || rte_pktmbuf_data_len(m) < m->l2_len + sizeof(*ah))
		return;
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, m->l2_len);
	/* Only what can teach a worker something under the merge rule: frames for our
	 * address (requests from a host about to talk to us, answers to any worker's
	 * request) and gratuitous ARP. Requests between other hosts stay with the worker
	 * that saw them, so a busy segment is not multiplied by the worker count. */
	if (ah->arp_data.arp_tip != w->ip && ah->arp_data.arp_tip != ah->arp_data.arp_sip)
		return;
	for (i = 0; i < s->nb_workers; i++) {
		struct rte_mbuf *c;

		if (i == w->id)
			continue;
		/* A copy, not a clone: arp_input turns m into its reply in place. */
		c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
		if (unlikely(c == NULL)) {
			w->stats.mbuf_alloc_fail++;
			continue;
		}
		c->l2_len = m->l2_len;
		w->stats.handoff_arp++;
		steer_enqueue(w, s->workers[i], c, STEER_TAG_ARP);
	}
}

void
steer_drain(struct sl_worker *w)
{
	void *objs[STEER_DRAIN_BURST];
	unsigned int i, n, round;

	for (round = 0; round < STEER_DRAIN_ROUNDS; round++) {
		n = rte_ring_dequeue_burst(w->handoff, objs, STEER_DRAIN_BURST, NULL);
		w->stats.handoff_in += n;
		for (i = 0; i < n; i++) {
			uintptr_t v = (uintptr_t)objs[i];

			if (unlikely(v & STEER_TAG_ARP))
				arp_learn(w, (struct rte_mbuf *)(v & ~STEER_TAG_ARP));
			else if (unlikely(v & STEER_TAG_ICMP))
				tcp_icmp_input(w, (struct rte_mbuf *)(v & ~STEER_TAG_ICMP));
			else
				tcp_input_owned(w, (struct rte_mbuf *)v);
		}
		if (n < STEER_DRAIN_BURST)
			break;
	}
}
