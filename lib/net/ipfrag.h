/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_IPFRAG_H
#define SL_IPFRAG_H

/*
 * ipfrag.c -- IPv4 reassembly with DPDK's rte_ip_frag, so that a peer or a middlebox that
 * fragments (a client with path MTU discovery off behind a smaller link, a tunnel) does
 * not black-hole. sluice itself never fragments: everything it sends has DF set, and its
 * segments follow the path MTU (tcp_icmp.c).
 *
 * Per worker: a table of at most [ip] frag-entries datagrams being reassembled, each of
 * at most RTE_LIBRTE_IP_FRAG_MAX_FRAG (8) fragments, dropped unfinished after [ip]
 * frag-timeout-ms. The mbufs it can pin are bounded (entries x 8), so a flood of
 * fragments that never complete cannot drain the pool TCP needs. Before a fragment is
 * kept it must have a sane shape; the classic attacks are counted in ip_drop_frag and
 * dropped at once:
 *   - a datagram that would end beyond 65,535 bytes (ping of death);
 *   - a fragment with MF whose length is not a multiple of 8, or with no payload;
 *   - TCP: a first fragment too short to hold the TCP header (tiny fragment, RFC 1858
 *     §3.1), or a fragment at offset 8 (RFC 1858 §3.2: it could rewrite the flags);
 *   - a protocol sluice does not serve (only TCP and ICMP are reassembled).
 * Fragments that overlap or repeat one another make rte_ip_frag give up the whole
 * datagram; with those that timed out or found the table full they are counted in
 * ip_frag_discarded.
 */

#include <stdint.h>

#include <rte_ip.h>

struct rte_mbuf;
struct rte_ip_frag_death_row;
struct rte_ip_frag_tbl;
struct sl_worker;

struct ipfrag {
	struct rte_ip_frag_tbl *tbl;		/* NULL: reassembly off (frag-entries 0) */
	struct rte_ip_frag_death_row *dr;	/* what the table let go, freed at once */
};

int
ipfrag_init(struct sl_worker *w);

void
ipfrag_fini(struct sl_worker *w);

/* A fragment addressed to us (IP header checked, trimmed to its total length, m->l2_len
 * and m->l3_len set). Returns the whole datagram once its last fragment arrived (a chain;
 * IP header rewritten: full length, no fragment bits, its checksum field zero), else NULL
 * (m is kept, or dropped and counted). */
struct rte_mbuf *
ipfrag_input(struct sl_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

/* The slow tick: drop datagrams that did not complete in time. */
void
ipfrag_timer(struct sl_worker *w);

#endif /* SL_IPFRAG_H */
