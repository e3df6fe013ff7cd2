/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ICMP_H
#define SL_ICMP_H

/* icmp.c: echo requests answered in place; everything else counted. */

#include <stdbool.h>

struct rte_mbuf;
struct sl_worker;

/* Handle an ICMP message (m->l2_len and m->l3_len set; packet length already trimmed to
 * the IP total length). broadcast: the IP destination was a broadcast address.
 * Consumes m. */
void
icmp_input(struct sl_worker *w, struct rte_mbuf *m, bool broadcast);

#endif /* SL_ICMP_H */
