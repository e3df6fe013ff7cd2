/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_ICMP_H
#define SL_TCP_ICMP_H

/* tcp_icmp.c: what an ICMP error about one of our segments does to its connection. */

struct rte_mbuf;
struct sl_worker;
struct tcp_flow;

/* An ICMP destination unreachable (type 3) or time exceeded (11), checksum verified,
 * m->l2_len and m->l3_len set for the outer headers: validated against the connection it
 * quotes (RFC 5927), handed to that connection's worker if it is another; then
 * "fragmentation needed" teaches the destination's path MTU and resends what the path
 * dropped, the others are soft errors (see tcp_icmp.c). Consumes m. */
void
tcp_icmp_input(struct sl_worker *w, struct rte_mbuf *m);

/* From the retransmission timer, once it counted this timeout (f->nrtx): a path that
 * drops full-size segments without telling (ICMP filtered on the way) is a black hole
 * for them. After the second timeout in a row of a full-size segment the connection
 * sends segments for a 1064-byte path (Linux's tcp_base_mss, 1024), after the fourth
 * for [ip] min-pmtu's; [tcp] mtu-probing off: never. */
void
tcp_icmp_blackhole(struct sl_worker *w, struct tcp_flow *f);

#endif /* SL_TCP_ICMP_H */
