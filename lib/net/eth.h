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

/* Bytes of the Ethernet header we send: 14, or 18 with an 802.1Q tag (--vlan). */
uint32_t
eth_hdr_len(const struct sl_worker *w);

/* Write that header at p: our source MAC, the tag if any, the ethertype (host order); the
 * destination is left for eth_output(). Returns its length. */
uint32_t
eth_hdr_write(const struct sl_worker *w, void *p, uint16_t ethertype);

/* Prepend an Ethernet header (eth_hdr_write) and set m->l2_len; the destination is
 * filled by eth_output(). NULL when m has no headroom. */
struct rte_ether_hdr *
eth_prepend(struct sl_worker *w, struct rte_mbuf *m, uint16_t ethertype);

/* Fill the Ethernet header at the start of m (already prepended) and queue m for TX.
 * Consumes m. */
void
eth_output(struct sl_worker *w, struct rte_mbuf *m, const struct rte_ether_addr *dst);

#endif /* SL_ETH_H */
