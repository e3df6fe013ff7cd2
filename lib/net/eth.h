/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ETH_H
#define SL_ETH_H

/* eth.c: the first and last hop of every frame. */

#include <stdint.h>

#include <rte_ether.h>

struct rte_mbuf;
struct sl_worker;

/* Demultiplex a received frame by ethertype. Consumes m: the caller must not touch it
 * again. On return to the protocol handlers m->l2_len is set and the data pointer still
 * points at the Ethernet header (handlers reply in place). */
void
eth_input(struct sl_worker *w, struct rte_mbuf *m);

/* Prepend an Ethernet header with our source MAC and the ethertype (host order); the
 * destination is filled by eth_output(). NULL when m has no headroom. */
struct rte_ether_hdr *
eth_prepend(struct sl_worker *w, struct rte_mbuf *m, uint16_t ethertype);

/* Fill the Ethernet header at the start of m (already prepended) and queue m for TX.
 * Consumes m. */
void
eth_output(struct sl_worker *w, struct rte_mbuf *m, const struct rte_ether_addr *dst);

#endif /* SL_ETH_H */
